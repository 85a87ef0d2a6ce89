"""Every data file the package reads ships with it: each non-Python file under src/fdn_alu
matches one of pyproject.toml's package-data patterns (a file outside them is missing from
an installed package, which an editable install does not show)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "fdn_alu"


def test_every_data_file_matches_a_package_data_pattern():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["fdn_alu"]
    files = [
        p.relative_to(PKG).as_posix()
        for p in PKG.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert files, "no data files found: the test reads the wrong folder"
    missing = [f for f in files if not any(fnmatch(f, pat) for pat in patterns)]
    assert missing == []


def test_a_file_outside_the_patterns_is_reported():
    assert not any(fnmatch("fleet/data/x.csv.gz", p) for p in ["fleet/data/*.csv"])
