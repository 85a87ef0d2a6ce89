"""Lazy public names of a package (PEP 562): a package maps each name to the submodule that
defines it and imports that submodule only when the name is first used (a light ``import``)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, names: dict[str, str], namespace: dict) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps a public name to the relative
    module that defines it; the value is imported on first use and cached in ``namespace`` (the
    package's ``globals()``)."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(import_module(names[name], package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
