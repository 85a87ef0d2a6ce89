"""Griffe extension of the documentation site: Sphinx roles in docstrings read as code.

The docstrings cross-reference in Sphinx's syntax (``:func:`~fdn_alu.solve.solve_exact```),
which mkdocstrings would print verbatim. This extension rewrites each role to inline code of the
name it shows (``solve_exact`` for a ``~`` reference, the full path otherwise) before the
docstrings are parsed. Loaded by ``mkdocs.yml`` (``extensions`` of the python handler).
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj|const):`(~?)([^`<]+?)`")


def plain(text: str) -> str:
    """``:func:`~a.b.c``` -> ```c```, ``:class:`a.B``` -> ```a.B```."""
    return ROLE.sub(
        lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text
    )


class SphinxRoles(Extension):
    """Rewrite Sphinx roles in every docstring to inline code."""

    def on_instance(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
