"""Fleet settings: validation of a fleet TOML file against its schema (:mod:`.schema`: unit,
default, description, source per field), which reports every problem at once. The schema names are
re-exported here.

A fleet file has scalar sections (``horizon``, ``operation``, ``costs``, ``production``,
``prices``, ``model``, ``solver``), and its regions either as ``[[region]]`` tables, or from a
dispatch case's park (``[[region]] from_case = "ieee15"``), or from a capacity CSV
(``[capacity]`` section, used by the ``china`` fleet). :func:`schema_text` renders the schema for
``fdn-alu season --help`` and docs/FLEET.md.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from fdn_alu.errors import Problem, raise_if_problems
from fdn_alu.fleet.schema import (
    CAPACITY_FIELDS,
    CNY_PER_EUR,
    CNY_PER_USD,
    REGION_FIELDS,
    SCHEMA,
    Field,
    schema_text,
)

__all__ = [
    "CAPACITY_FIELDS",
    "CNY_PER_EUR",
    "CNY_PER_USD",
    "REGION_FIELDS",
    "SCHEMA",
    "Field",
    "parse_settings",
    "read_settings",
    "schema_text",
]

_TOP_KEYS = {"name", "description", "region", "capacity", *SCHEMA}


def _check_value(where: str, f: Field, v: Any, problems: list[Problem]) -> Any:
    kinds = {"float": (int, float), "int": (int,), "bool": (bool,), "str": (str,)}
    if (f.kind != "bool" and isinstance(v, bool)) or not isinstance(v, kinds[f.kind]):
        problems.append(Problem(where, f"must be {f.kind}, got {v!r}"))
        return f.default
    if f.kind in ("float", "int"):
        if not math.isfinite(v):
            problems.append(Problem(where, f"must be a finite number, got {v}"))
            return f.default
        if f.lo is not None and v < f.lo:
            problems.append(Problem(where, f"must be >= {f.lo}, got {v}"))
        if f.hi is not None and v > f.hi:
            problems.append(Problem(where, f"must be <= {f.hi}, got {v}"))
        return float(v) if f.kind == "float" else int(v)
    if f.choices and v not in f.choices:
        problems.append(Problem(where, f"must be one of {list(f.choices)}, got {v!r}"))
    return v


def _table(where: str, raw: Any, fields: dict[str, Field], problems: list[Problem]) -> dict:
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table"))
        return {}
    out = {}
    for k in raw:
        if k not in fields:
            problems.append(Problem(f"{where}.{k}", f"unknown key (known: {sorted(fields)})"))
    for k, f in fields.items():
        if k in raw:
            out[k] = _check_value(f"{where}.{k}", f, raw[k], problems)
        else:
            out[k] = f.default
    return out


def parse_settings(raw: dict, where: str = "fleet") -> tuple[dict, list[Problem]]:
    """Check a fleet TOML dict against the schema.

    Parameters
    ----------
    raw : dict
        The parsed TOML.
    where : str
        Label of the source (file name) used in problem messages.

    Returns
    -------
    settings : dict
        Sections with every default filled in; ``region`` a list of dicts, ``capacity`` a dict
        or None.
    problems : list of Problem
        Every problem found (empty when valid).
    """
    problems: list[Problem] = []
    for k in raw:
        if k not in _TOP_KEYS:
            problems.append(
                Problem(f"{where}.{k}", f"unknown section (known: {sorted(_TOP_KEYS)})")
            )
    s: dict[str, Any] = {
        "name": str(raw.get("name", Path(where).stem)),
        "description": str(raw.get("description", "")),
    }
    for sec, fields in SCHEMA.items():
        s[sec] = _table(f"{where}.{sec}", raw.get(sec, {}), fields, problems)
    regions = raw.get("region", [])
    if not isinstance(regions, list):
        problems.append(Problem(f"{where}.region", "must be an array of tables [[region]]"))
        regions = []
    s["region"] = []
    for i, r in enumerate(regions):
        tab = _table(f"{where}.region[{i}]", r, REGION_FIELDS, problems)
        s["region"].append({k: v for k, v in tab.items() if k in r or v is not None})
    s["capacity"] = (
        _table(f"{where}.capacity", raw["capacity"], CAPACITY_FIELDS, problems)
        if "capacity" in raw
        else None
    )
    if not s["region"] and s["capacity"] is None:
        problems.append(
            Problem(where, "no regions: give [[region]] tables or a [capacity] section")
        )
    op = s["operation"]
    if op["p_min_frac"] > 1.0 or op["p_max_frac"] < 1.0:
        problems.append(Problem(f"{where}.operation", "the band must contain rated power (1.0)"))
    days = s["horizon"]["days"]
    if op["cyclic"] and op["min_down_days"] + op["min_up_days"] > days:
        problems.append(
            Problem(
                f"{where}.operation",
                f"min_down_days + min_up_days ({op['min_down_days']} + {op['min_up_days']}) "
                f"exceeds the horizon ({days} d): a cyclic stop-start could not fit",
            )
        )
    return s, problems


def read_settings(path: str | Path, overrides: dict | None = None) -> dict:
    """Read and validate a fleet TOML file; raises InputError listing every problem.

    ``overrides`` maps section names to dicts of values that replace the file's.
    """
    path = Path(path)
    problems: list[Problem] = []
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise_if_problems([Problem(str(path), "file not found")], "invalid fleet")
    except tomllib.TOMLDecodeError as e:
        raise_if_problems([Problem(str(path), f"not valid TOML: {e}")], "invalid fleet")
    for sec, vals in (overrides or {}).items():
        raw[sec] = {**raw.get(sec, {}), **vals}
    s, problems = parse_settings(raw, path.name)
    raise_if_problems(problems, f"invalid fleet file {path}")
    s["_dir"] = str(path.parent)
    return s
