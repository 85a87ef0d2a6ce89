"""Scenario grids ("sweeps"): many dispatch runs on a process pool, or on a Dask cluster.

A sweep is described by a spec (TOML file or dict, see ``docs/SWEEPS.md``)::

    [sweep]
    base = "ieee15"            # built-in case, or a case TOML (relative to the spec file)
    scenario = 3               # run options shared by every point (an axis may vary them)
    periods = 24
    tables = ["sources"]       # result tables kept per point (default none; "all" for every one)

    [set]                      # settings fixed for every point
    "network.vm_min_pu" = 0.92

    [axes]                     # a full grid: the product of the axes, in the order given
    "pv.*.p_mw" = [0.25, 0.5]
    "grid.carbon_price_per_t" = [0, 80, 200]
    scenario = [2, 3]

or, instead of ``[axes]``, an explicit list of points (``[[points]]`` tables, one per point).

A setting path addresses the case TOML: ``section.key`` (``grid.carbon_price_per_t``), nested
tables (``park.battery.e_max_mwh``) and lists of tables by ``*`` (every element), an index
(``pv.0.p_mw``) or an element's name (``pv.pv5.p_mw``). Every point's case is built and validated
before anything runs; all problems are reported together.

Each point becomes a *task*: a JSON-able dict (``kind``, ``case``, ``settings``, ``scenario``,
``periods``, ...) that a worker turns into a case, solves and returns as plain data (summary and
chosen tables); solved cvxpy problems never cross a process boundary. Its id is a hash of that
dict, so a rerun of the same spec into the same folder skips finished points. The runner of a
task is looked up by ``kind`` (:func:`register_kind`), so other studies (a fleet of parks, for
instance) plug into the same engine.

Backends: one process (``workers=1``), the standard library's process pool (default), or Dask
distributed when a scheduler is given (``"local"`` starts a ``LocalCluster``; an address attaches
to a running cluster). Workers use one solver/BLAS thread each unless told otherwise.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import time
import tomllib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, Problem, raise_if_problems
from ..output import MARKER, check_out_dir, write_dir_atomic

__all__ = [
    "KINDS",
    "SweepResult",
    "SweepSpec",
    "TaskKind",
    "apply_settings",
    "execute_point",
    "load_spec",
    "point_id",
    "read_point",
    "register_kind",
    "run_sweep",
]

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
)
"""Thread-count variables set in every worker (BLAS, OpenMP, Rust/rayon solvers)."""

HEARTBEAT_S = 30.0
"""A progress line at least this often while points run (our choice: long points stay visible)."""

SWEEP_KIND = "sweep"
"""``fdn_alu_result`` value of the marker file of a sweep folder."""

POINT_KIND = "sweep-point"

SPEC_SECTIONS = ("sweep", "set", "axes", "points")


# --------------------------------------------------------------------------------------------
# task kinds


@dataclass(frozen=True)
class TaskKind:
    """A kind of task the sweep engine runs (``"dispatch"`` is built in).

    Attributes
    ----------
    name : str
        The ``kind`` of its points.
    runner : str
        ``"module:function"`` run in the worker: ``function(point) -> {"summary": dict,
        "tables": {name: list of records}}``. Named by import path, not passed as an object, so
        that workers on other machines find it.
    options : dict
        Run options (point keys besides ``settings``) with their defaults. ``[sweep]`` overrides
        them; each may be an axis.
    base : callable
        ``base(value, spec_dir) -> (fields, problems)``: the point fields (e.g. ``case``) of
        ``[sweep].base``.
    validate : callable
        ``validate(spec) -> problems``: checks every point before anything runs.
    row : callable
        ``row(summary) -> dict``: the columns of ``sweep.csv`` taken from a point's summary.
    """

    name: str
    runner: str
    options: dict[str, Any]
    base: Callable[[Any, Path], tuple[dict, list[Problem]]]
    validate: Callable[[SweepSpec], list[Problem]]
    row: Callable[[dict], dict]


KINDS: dict[str, TaskKind] = {}
"""Registered task kinds by name."""


def register_kind(kind: TaskKind) -> None:
    """Register (or replace) a task kind."""
    KINDS[kind.name] = kind


# --------------------------------------------------------------------------------------------
# setting paths


def _steps(node: Any, part: str, where: str) -> tuple[list[Any], str | None]:
    """The children of ``node`` that path element ``part`` selects, or an error."""
    if isinstance(node, dict):
        if part not in node:
            keys = ", ".join(sorted(node)) or "none"
            return [], f"no {part!r} under {where or 'the case'} (keys: {keys})"
        return [node[part]], None
    if isinstance(node, list):
        if part == "*":
            if not node:
                return [], f"wildcard '*' at {where} matches nothing (the list is empty)"
            return list(node), None
        if re.fullmatch(r"\d+", part):
            i = int(part)
            if i >= len(node):
                return [], f"index {i} at {where} is out of range ({len(node)} elements)"
            return [node[i]], None
        hits = [x for x in node if isinstance(x, dict) and x.get("name") == part]
        if not hits:
            names = ", ".join(str(x.get("name")) for x in node if isinstance(x, dict))
            return [], f"no element named {part!r} in {where} (names: {names or 'none'})"
        return hits, None
    return [], f"{where} is a value, not a table"


def _targets(raw: dict, path: str) -> tuple[list[dict], str, str | None]:
    """The tables whose key ``path``'s last element sets, that key, and an error or None."""
    parts = path.split(".")
    if len(parts) < 2 or any(p == "" for p in parts):
        return [], "", "a setting path is section.key (e.g. grid.carbon_price_per_t)"
    nodes: list[Any] = [raw]
    where = ""
    for part in parts[:-1]:
        nxt: list[Any] = []
        for node in nodes:
            children, err = _steps(node, part, where)
            if err:
                return [], "", err
            nxt.extend(children)
        nodes = nxt
        where = f"{where}.{part}" if where else part
    leaf = parts[-1]
    for node in nodes:
        if not isinstance(node, dict):
            kind = "a list of tables" if isinstance(node, list) else "a value"
            hint = " (select elements with *, an index or a name)" if kind.startswith("a l") else ""
            return [], "", f"{where} is {kind}, not a table{hint}"
    return nodes, leaf, None


def apply_settings(raw: dict, settings: dict[str, Any]) -> list[Problem]:
    """Set ``settings`` (path -> value) in a raw case TOML dict, in place.

    Parameters
    ----------
    raw : dict
        The case file as parsed by ``tomllib`` (modified in place).
    settings : dict
        Setting path -> value, e.g. ``{"pv.*.p_mw": 0.5, "park.battery.e_max_mwh": 1.6}``.
        Every table on the path must exist in the case; the last key may be new (a setting the
        case leaves at its default); whether it is a known key is judged by ``build_case``.

    Returns
    -------
    list of Problem
        One per path that does not resolve (unknown section, empty wildcard, ...).
    """
    problems = []
    for path, value in settings.items():
        nodes, leaf, err = _targets(raw, path)
        if err:
            problems.append(Problem(f"setting {path!r}", err))
            continue
        for node in nodes:
            node[leaf] = copy.deepcopy(value)
    return problems


# --------------------------------------------------------------------------------------------
# the spec


@dataclass
class SweepSpec:
    """A validated sweep: its task kind and every point.

    Attributes
    ----------
    kind : TaskKind
    points : list of dict
        The tasks, JSON-able.
    ids : list of str
        Stable id of every point (:func:`point_id`).
    values : list of dict
        The axis values of every point (axis name -> value), for tables and messages.
    axes : list of str
        Axis names in column order.
    fixed : dict
        Settings fixed for every point (``[set]``).
    raw : dict
        The spec as given.
    source : str
        Where the spec came from.
    """

    kind: TaskKind
    points: list[dict]
    ids: list[str]
    values: list[dict]
    axes: list[str]
    fixed: dict
    raw: dict
    source: str = ""

    def label(self, i: int) -> str:
        """Short description of point ``i`` (its axis values)."""
        return ", ".join(f"{k}={v}" for k, v in self.values[i].items()) or "base"


def point_id(point: dict) -> str:
    """Stable id of a point: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    text = json.dumps(point, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def load_spec(
    spec: str | os.PathLike | dict, base_dir: str | os.PathLike | None = None
) -> SweepSpec:
    """Read, expand and validate a sweep spec; every problem is reported at once.

    Parameters
    ----------
    spec : path-like or dict
        A spec TOML file, or the same content as a dict.
    base_dir : path-like, optional
        Folder a relative ``base`` is resolved against (default: the spec file's folder, or the
        working directory for a dict).

    Returns
    -------
    SweepSpec

    Raises
    ------
    InputError
        Unreadable spec, unknown sections or options, bad axes (unknown setting path, wildcard
        matching nothing, a value the case schema refuses, ...), or any point whose case does not
        validate. Nothing has run.
    """
    if isinstance(spec, dict):
        raw, source = copy.deepcopy(spec), "spec"
        spec_dir = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(spec)
        source = str(path)
        if not path.is_file():
            raise_if_problems([Problem(source, "sweep spec not found")], "invalid sweep spec")
        try:
            raw = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise_if_problems([Problem(source, f"invalid TOML: {exc}")], "invalid sweep spec")
        spec_dir = Path(base_dir) if base_dir is not None else path.resolve().parent
    problems: list[Problem] = []
    for key in raw:
        if key not in SPEC_SECTIONS:
            problems.append(
                Problem(f"[{key}]", f"unknown section (allowed: {', '.join(SPEC_SECTIONS)})")
            )
    head = raw.get("sweep", {})
    if not isinstance(head, dict):
        raise_if_problems([Problem("[sweep]", "must be a table")], "invalid sweep spec")
    kind_name = head.get("kind", "dispatch")
    if kind_name not in KINDS:
        raise_if_problems(
            [Problem("[sweep].kind", f"unknown kind {kind_name!r} (known: {', '.join(KINDS)})")],
            "invalid sweep spec",
        )
    kind = KINDS[kind_name]
    options = dict(kind.options)
    for key, value in head.items():
        if key in ("kind", "base"):
            continue
        if key not in options:
            allowed = ", ".join(["kind", "base", *kind.options])
            problems.append(Problem(f"[sweep].{key}", f"unknown option (allowed: {allowed})"))
        else:
            options[key] = value
    # base -> point fields (e.g. case and its digest), for [sweep].base and any base axis value
    bases: dict[str, dict] = {}

    def add_base(value: Any, where: str) -> None:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in bases:
            fields, base_problems = kind.base(value, spec_dir)
            bases[key] = fields
            problems.extend(Problem(where, p.what) for p in base_problems)

    if "base" in head:
        add_base(head["base"], "[sweep].base")
    base_fields = bases.get(json.dumps(head.get("base"), sort_keys=True, default=str), {})

    fixed = raw.get("set", {})
    if not isinstance(fixed, dict):
        problems.append(Problem("[set]", "must be a table of setting path = value"))
        fixed = {}
    for key, value in fixed.items():
        if "." not in key:
            problems.append(Problem(f"[set].{key}", "not a setting path (section.key)"))
        elif not _jsonable(value):
            problems.append(Problem(f"[set].{key}", f"value {value!r} is not plain data"))

    def check_axis_name(name: str, where: str) -> bool:
        if name in options:
            return True
        if name == "base":
            return True
        if name in ("kind", "settings") or name in base_fields:
            problems.append(Problem(where, f"{name!r} cannot vary"))
            return False
        if "." not in name:
            problems.append(
                Problem(
                    where,
                    f"unknown axis {name!r} (run options: {', '.join(options)}; settings are "
                    "section.key paths)",
                )
            )
            return False
        if name in fixed:
            problems.append(Problem(where, f"{name!r} is also fixed in [set]"))
            return False
        return True

    axes_raw = raw.get("axes")
    points_raw = raw.get("points")
    values: list[dict] = []
    axes: list[str] = []
    if axes_raw is not None and points_raw is not None:
        problems.append(Problem("[axes] / [[points]]", "give either a grid or a list of points"))
    elif points_raw is not None:
        if not isinstance(points_raw, list) or not all(isinstance(p, dict) for p in points_raw):
            problems.append(Problem("[[points]]", "must be a list of tables"))
        else:
            for i, p in enumerate(points_raw):
                for name, value in p.items():
                    if check_axis_name(name, f"[[points]] #{i + 1} {name!r}"):
                        if not _jsonable(value):
                            problems.append(Problem(f"[[points]] #{i + 1}", f"{value!r}"))
                            continue
                        if name == "base":
                            add_base(value, f"[[points]] #{i + 1} base")
                        if name not in axes:
                            axes.append(name)
            values = [dict(p) for p in points_raw]
            if not values:
                problems.append(Problem("[[points]]", "no points"))
    else:
        axes_raw = axes_raw or {}
        if not isinstance(axes_raw, dict):
            problems.append(Problem("[axes]", "must be a table of name = [values]"))
            axes_raw = {}
        for name, vals in axes_raw.items():
            where = f"[axes] {name!r}"
            if not check_axis_name(name, where):
                continue
            if not isinstance(vals, list) or not vals:
                problems.append(Problem(where, "must be a non-empty list of values"))
                continue
            if not _jsonable(vals):
                problems.append(Problem(where, f"values {vals!r} are not plain data"))
                continue
            seen = [json.dumps(v, sort_keys=True) for v in vals]
            if len(set(seen)) < len(seen):
                problems.append(Problem(where, "a value is repeated"))
                continue
            if name == "base":
                for v in vals:
                    add_base(v, f"{where} = {v!r}")
            axes.append(name)
        grid = [axes_raw[a] for a in axes]
        values = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*grid)]
    if "base" not in head and any("base" not in v for v in values or [{}]):
        problems.append(Problem("[sweep].base", "missing (a built-in case name or a case file)"))
    raise_if_problems(problems, "invalid sweep spec")

    points = []
    for vals in values:
        if "base" in vals:
            fields = bases[json.dumps(vals["base"], sort_keys=True, default=str)]
        else:
            fields = base_fields
        point = {"kind": kind.name, **fields, **options, "settings": dict(fixed)}
        for name, value in vals.items():
            if name in options:
                point[name] = value
            elif name != "base":
                point["settings"][name] = value
        points.append(point)
    ids = [point_id(p) for p in points]
    first: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in first:
            problems.append(Problem(f"[[points]] #{i + 1}", f"same as point #{first[pid] + 1}"))
        first.setdefault(pid, i)
    raise_if_problems(problems, "invalid sweep spec")
    out = SweepSpec(kind, points, ids, values, axes, dict(fixed), raw, source)
    raise_if_problems(kind.validate(out), f"invalid sweep {source}")
    return out


# --------------------------------------------------------------------------------------------
# the dispatch task kind

DISPATCH_TABLES = ("buses", "branches", "sources", "eaip", "esop")


def _case_file(case: str) -> tuple[Path, str | None]:
    """The case TOML and the case name of a point's ``case`` (built-in name or file path)."""
    from ..cases import DATA_DIR

    builtin = DATA_DIR / f"{case}.toml"
    if case != "default" and builtin.is_file():
        return builtin, case
    return Path(case), None


def _dispatch_base(value: Any, spec_dir: Path) -> tuple[dict, list[Problem]]:
    from ..cases import list_cases

    where = "[sweep].base"
    if not isinstance(value, str):
        return {}, [Problem(where, f"expected a case name or a case TOML path, got {value!r}")]
    path, name = _case_file(value)
    if name is None:
        path = Path(value) if Path(value).is_absolute() else spec_dir / value
        if path.suffix.lower() != ".toml":
            names = ", ".join(n for n, _ in list_cases())
            return {}, [
                Problem(where, f"{value!r} is neither a built-in case ({names}) nor a .toml")
            ]
        if not path.is_file():
            return {}, [Problem(where, f"case file {path} not found")]
        path = path.resolve()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return {"case": name or str(path), "case_digest": digest}, []


def _read_case_raw(point: dict) -> tuple[dict, Path, str | None]:
    path, name = _case_file(point["case"])
    with path.open("rb") as fh:
        return tomllib.load(fh), path, name


def build_point_case(point: dict):
    """The validated :class:`~fdn_alu.cases.Case` of a dispatch point (its settings applied)."""
    from ..cases import build_case

    raw, path, name = _read_case_raw(point)
    raise_if_problems(apply_settings(raw, point["settings"]), "invalid sweep point")
    return build_case(raw, path, name=name)


@contextlib.contextmanager
def _network_cache() -> Iterator[None]:
    """Load each feeder once while validating many points (a copy per case).

    ``build_case`` reads the network file every time (~0.8 s for case15da, almost all of
    ``build_case``); the settings never touch the network, so every point gets a deep copy
    (~20 ms) of one loaded net. Keyed by reference, folder and file time. Without the loader
    hook in :mod:`fdn_alu.cases` this does nothing (correct, only slower).
    """
    from .. import cases as cases_mod

    original = getattr(cases_mod, "_load_network", None)
    if original is None or getattr(original, "_sweep_cache", False):
        yield
        return
    cases_mod._load_network = _caching_loader(original)
    try:
        yield
    finally:
        cases_mod._load_network = original


def _caching_loader(original: Callable) -> Callable:
    cache: dict[tuple, Any] = {}

    def load(ref: str, base: Path):
        path = Path(ref) if Path(ref).is_absolute() else Path(base) / ref
        mtime = path.stat().st_mtime_ns if path.is_file() else None
        key = (ref, str(Path(base).resolve()), mtime)
        if key not in cache:
            cache[key] = original(ref, base)
        return copy.deepcopy(cache[key])

    load._sweep_cache = True
    return load


def _install_worker_network_cache() -> None:
    """In a worker process: keep the network cache for the process's lifetime (in the calling
    process, ``workers=1``, the serial backend holds :func:`_network_cache` open instead)."""
    from .. import cases as cases_mod

    original = getattr(cases_mod, "_load_network", None)
    if original is not None and not getattr(original, "_sweep_cache", False):
        cases_mod._load_network = _caching_loader(original)


def _check_dispatch_options(spec: SweepSpec) -> list[Problem]:
    problems = []
    seen: dict[str, set] = {}
    for point in spec.points:
        for key in ("scenario", "periods", "solver", "check_ac", "ac_method", "tables"):
            seen.setdefault(key, set()).add(json.dumps(point[key]))
    try:
        from ..solve import available_solvers

        solvers = {s.split()[0].lower() for s in available_solvers()}
    except Exception:  # listing solvers is a courtesy; the worker reports a missing one anyway
        solvers = None
    for text in sorted(seen["scenario"]):
        v = json.loads(text)
        if not (isinstance(v, int) and not isinstance(v, bool) and v in (1, 2, 3)):
            problems.append(Problem("scenario", f"{v!r}: must be 1, 2 or 3"))
    for text in sorted(seen["periods"]):
        v = json.loads(text)
        if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
            problems.append(Problem("periods", f"{v!r}: must be a positive integer"))
    for text in sorted(seen["solver"]):
        v = json.loads(text)
        if not isinstance(v, str):
            problems.append(Problem("solver", f"{v!r}: must be a solver name"))
        elif solvers is not None and v.lower() not in solvers:
            problems.append(Problem("solver", f"{v!r} is not installed here ({sorted(solvers)})"))
    for text in sorted(seen["check_ac"]):
        if not isinstance(json.loads(text), bool):
            problems.append(Problem("check_ac", f"{text}: must be true or false"))
    for text in sorted(seen["ac_method"]):
        if json.loads(text) not in ("auto", "pandapower", "sweep"):
            problems.append(Problem("ac_method", f"{text}: must be auto, pandapower or sweep"))
    for text in sorted(seen["tables"]):
        v = json.loads(text)
        ok = v == "all" or (isinstance(v, list) and all(t in DISPATCH_TABLES for t in v))
        if not ok:
            problems.append(
                Problem("tables", f'{text}: a list of {", ".join(DISPATCH_TABLES)}, or "all"')
            )
    return problems


def _validate_dispatch(spec: SweepSpec) -> list[Problem]:
    """Check run options, resolve every setting path, then build every distinct case."""
    problems = _check_dispatch_options(spec)
    by_case: dict[str, list[int]] = {}
    for i, point in enumerate(spec.points):
        by_case.setdefault(point["case"], []).append(i)
    with _network_cache():
        for case, idx in by_case.items():
            tag = f"{Path(case).name}: " if len(by_case) > 1 else ""
            problems += [
                Problem(f"{tag}{p.where}", p.what) for p in _validate_case_points(spec, idx)
            ]
    return problems


def _validate_case_points(spec: SweepSpec, idx: list[int]) -> list[Problem]:
    """Validate the points ``idx`` of one base case (see :func:`_validate_dispatch`)."""
    from ..cases import build_case

    raw, path, name = _read_case_raw(spec.points[idx[0]])
    setting_axes = [a for a in spec.axes if a not in spec.kind.options and a != "base"]
    values_by_path: dict[str, list] = {}
    for i in idx:
        for a in setting_axes:
            vals = spec.values[i]
            if a in vals and vals[a] not in values_by_path.setdefault(a, []):
                values_by_path[a].append(vals[a])
    problems = []
    bad_paths = set()
    for p in [*spec.fixed, *setting_axes]:
        _, _, err = _targets(raw, p)
        if err:
            bad_paths.add(p)
            where = f"[set] {p!r}" if p in spec.fixed else f"axis {p!r}"
            problems.append(Problem(where, err))

    def build(settings: dict) -> list[Problem]:
        r = copy.deepcopy(raw)
        apply_settings(r, settings)
        try:
            build_case(r, path, name=name)
        except InputError as exc:
            return exc.problems
        return []

    # Each path's values on their own first (problems named by axis), then every distinct
    # combination (problems only a combination has, e.g. vm_min_pu above vm_max_pu).
    fixed = {k: v for k, v in spec.fixed.items() if k not in bad_paths}
    found = [Problem("[set]", str(p)) for p in build(fixed)]
    for a in setting_axes:
        for v in values_by_path.get(a, []) if a not in bad_paths else []:
            found += [Problem(f"axis {a!r} = {v!r}", str(p)) for p in build({**fixed, a: v})]
    if not found and not problems:
        by_text: dict[str, list[str]] = {}
        done: set[str] = set()
        for i in idx:
            key = json.dumps(spec.points[i]["settings"], sort_keys=True)
            if key in done:
                continue
            done.add(key)
            for p in build(spec.points[i]["settings"]):
                by_text.setdefault(str(p), []).append(spec.label(i))
        for text, labels in by_text.items():
            more = f" and {len(labels) - 1} more" if len(labels) > 1 else ""
            found.append(Problem(f"point {labels[0]}{more}", text))
    return problems + found


def run_dispatch_point(point: dict) -> dict:
    """Runner of ``kind = "dispatch"``: build the point's case, run it, return plain data."""
    from .. import run

    case = build_point_case(point)
    result = run(
        case,
        scenario=point["scenario"],
        periods=point["periods"],
        solver=point["solver"],
        check_ac=point["check_ac"],
        ac_method=point["ac_method"],
    )
    wanted = point["tables"]
    tables = {
        name: df.to_dict("records")
        for name, df in result.tables().items()
        if df is not None and (wanted == "all" or name in wanted)
    }
    return {"summary": result.summary, "tables": tables}


def dispatch_row(summary: dict) -> dict:
    """The ``sweep.csv`` columns of a dispatch summary: costs, emissions, energy, checks, times."""
    row: dict[str, Any] = {"case": summary.get("case"), "currency": summary.get("currency")}
    for k, v in summary.get("costs", {}).items():
        row[f"cost_{k}"] = v
    for k, v in summary.get("emissions_t", {}).items():
        row[f"emissions_{k}_t"] = v
    for k, v in summary.get("energy_mwh", {}).items():
        row[f"energy_{k}_mwh"] = v
    row["vm_min_pu"] = summary.get("vm_min_pu")
    row["vm_max_pu"] = summary.get("vm_max_pu")
    checks = summary.get("checks", {})
    for k in checks.get("tolerances", {}):
        row[k] = checks.get(k)
    row["checks_failed"] = ";".join(checks.get("failed", []))
    row["solver_status"] = summary.get("solver_status")
    for k, v in summary.get("timings_s", {}).items():
        row[f"time_{k}_s"] = v
    return row


register_kind(
    TaskKind(
        name="dispatch",
        runner="fdn_alu.studies.sweep:run_dispatch_point",
        options={
            "scenario": 2,
            "periods": None,
            "solver": "clarabel",
            "check_ac": True,
            "ac_method": "auto",
            "tables": [],
        },
        base=_dispatch_base,
        validate=_validate_dispatch,
        row=dispatch_row,
    )
)


# --------------------------------------------------------------------------------------------
# executing one point (in the worker)


def _resolve(runner: str) -> Callable[[dict], dict]:
    module, _, name = runner.partition(":")
    return getattr(importlib.import_module(module), name)


def execute_point(point: dict, runner: str) -> dict:
    """Run one point and return plain data; never raises for a failing point.

    Returns
    -------
    dict
        ``id``, ``status`` (``ok``, ``checks_failed`` or ``failed``), ``message``,
        ``error_type``, ``summary`` (None when failed), ``tables`` (name -> records),
        ``warnings``, ``worker`` (host and pid), ``started_at`` (Unix time), ``time_point_s``
        (wall time in the worker, case building included) and ``cpu_point_s`` (the worker's
        CPU time for it: on a busy machine, wall time over CPU time shows the wait for a core).
    """
    _install_worker_network_cache()
    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {
        "id": point_id(point),
        "status": "failed",
        "message": "",
        "error_type": None,
        "summary": None,
        "tables": {},
        "warnings": [],
        "worker": {"host": socket.gethostname(), "pid": os.getpid()},
        "started_at": time.time(),
    }
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = _resolve(runner)(point)
        out["warnings"] = sorted(
            {str(w.message) for w in caught if issubclass(w.category, UserWarning)}
        )
        out["summary"] = res["summary"]
        out["tables"] = res.get("tables", {})
        failed = res["summary"].get("checks", {}).get("failed", [])
        out["status"] = "checks_failed" if failed else "ok"
        out["message"] = f"checks outside tolerance: {', '.join(failed)}" if failed else ""
    except Exception as exc:  # a failing point is a result, not the end of the sweep
        out["error_type"] = type(exc).__name__
        out["message"] = f"{type(exc).__name__}: {exc}"
    out["time_point_s"] = time.perf_counter() - t0
    out["cpu_point_s"] = time.process_time() - c0
    return out


def _init_pool_worker(env: dict[str, str]) -> None:
    """Process-pool worker start: thread limits; Ctrl-C is the parent's to handle."""
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _thread_env(threads: int) -> dict[str, str]:
    return dict.fromkeys(THREAD_ENV_VARS, str(threads))


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    """Set environment variables while workers are started (spawned children inherit them)."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------------------------
# backends: one interface (submit, wait, result, close)


class _SerialFuture:
    def __init__(self, point: dict, runner: str, seq: int):
        self.args = (point, runner)
        self.seq = seq
        self.value: dict | None = None


class _SerialBackend:
    """Points one after another in this process (``workers=1``)."""

    name = "serial"

    def __init__(self) -> None:
        self.slots = 1
        self.submitted = 0
        # feeders loaded once for the whole sweep, and this process's loader restored after
        self._cache = _network_cache()
        self._cache.__enter__()

    def submit(self, point: dict, runner: str) -> _SerialFuture:
        self.submitted += 1
        return _SerialFuture(point, runner, self.submitted)

    def wait(self, futures: set, timeout: float) -> tuple[set, set]:
        fut = min(futures, key=lambda f: f.seq)  # in the order of the spec
        fut.value = execute_point(*fut.args)
        return {fut}, futures - {fut}

    def result(self, fut: _SerialFuture) -> dict:
        return fut.value

    def running(self, futures: set) -> int:
        return 0

    def close(self, cancel: bool) -> None:
        self._cache.__exit__(None, None, None)


POOL_PRELOAD = (
    "fdn_alu.studies.sweep",
    "pandapower.create",
    "pandapower.converter",
    "matpowercaseframes",
    "cvxpy",
)
"""Modules the fork server imports once for all pool workers (what a first dispatch imports;
names that do not import are skipped)."""


def _mp_context():
    """``forkserver`` where there is one (workers start from one process that has imported the
    package, instead of each importing it, ~5 s of CPU each), else ``spawn``. Never plain
    ``fork``: the parent may hold threads."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(POOL_PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


class _PoolBackend:
    """The standard library's process pool (one solver thread per worker by default)."""

    name = "process pool"

    def __init__(self, workers: int, threads: int) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.slots = workers
        # the variables must be set when the fork server / spawned workers start
        self._env = _environ(_thread_env(threads))
        self._env.__enter__()
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_mp_context(),
            initializer=_init_pool_worker,
            initargs=(_thread_env(threads),),
        )

    def submit(self, point: dict, runner: str):
        return self.pool.submit(execute_point, point, runner)

    def wait(self, futures: set, timeout: float) -> tuple[set, set]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, not_done = wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def result(self, fut) -> dict:
        return fut.result()

    def running(self, futures: set) -> int:
        # a future counts as running once it is in the pool's call queue (one more than workers)
        return min(self.slots, sum(1 for f in futures if f.running()))

    def close(self, cancel: bool) -> None:
        try:
            if cancel:
                # stop the points still running now instead of waiting for them (their results
                # would be dropped anyway): Python >= 3.14 has a method for it; before, the
                # pool's process table (read before shutdown, which clears it)
                terminate = getattr(self.pool, "terminate_workers", None)
                procs = list((getattr(self.pool, "_processes", None) or {}).values())
                if terminate is not None:
                    terminate()
                else:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    for proc in procs:
                        proc.terminate()
                for proc in procs:
                    proc.join(timeout=10)
            self.pool.shutdown(wait=True, cancel_futures=cancel)
        finally:
            self._env.__exit__(None, None, None)


class _DaskBackend:
    """Dask distributed: a new ``LocalCluster`` (``"local"``) or a running scheduler's address."""

    def __init__(self, scheduler: str, workers: int, threads: int) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler == "local":
            self.name = "Dask LocalCluster"
            env = _thread_env(threads)
            with _environ(env):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    env=env,
                )
            self.client = Client(self.cluster)
        else:
            self.name = f"Dask scheduler {scheduler}"
            self.client = Client(scheduler)
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.dashboard = self.client.dashboard_link

    def submit(self, point: dict, runner: str):
        return self.client.submit(
            execute_point, point, runner, key=f"fdn-alu-point-{point_id(point)}", pure=False
        )

    def wait(self, futures: set, timeout: float) -> tuple[set, set]:
        from dask.distributed import wait

        try:
            done, not_done = wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set(), futures
        return set(done), set(not_done)

    def result(self, fut) -> dict:
        return fut.result()

    def running(self, futures: set) -> int:
        return min(len(futures), self.slots)

    def close(self, cancel: bool) -> None:
        try:
            if cancel:
                with contextlib.suppress(Exception):
                    self.client.cancel(list(self.client.futures.values()), force=True)
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _dask_available() -> bool:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# the sweep folder


def _read_json(path: Path) -> dict | None:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def _is_sweep_dir(path: Path) -> bool:
    marker = _read_json(path / MARKER)
    return path.is_dir() and marker is not None and marker.get("fdn_alu_result") == SWEEP_KIND


def _check_out(out: Path) -> list[Problem]:
    """Problems with the sweep folder: a new or empty folder, or an earlier sweep (resumed)."""
    where = f"--out {out}"
    if out.is_dir() and not out.is_symlink() and _is_sweep_dir(out):
        if not os.access(out, os.W_OK | os.X_OK):
            return [Problem(where, f"no permission to write in {out}")]
        return []
    try:
        check_out_dir(out)
    except InputError as exc:
        return exc.problems
    if out.is_dir() and any(out.iterdir()):
        return [
            Problem(
                where,
                f"{out} holds an earlier fdn_alu result that is not a sweep; choose a new folder "
                "(nothing was written)",
            )
        ]
    return []


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_marker(out: Path) -> None:
    """The sweep folder's marker, listing the files the sweep wrote (never a user's)."""
    files = [f for f in ("sweep.json", "sweep.csv") if (out / f).is_file()]
    points = out / "points"
    if points.is_dir():
        for d in sorted(points.iterdir()):
            marker = _read_json(d / MARKER)
            if d.is_dir() and marker is not None and marker.get("fdn_alu_result") == POINT_KIND:
                rel = f"points/{d.name}"
                files += [f"{rel}/{MARKER}"] + [f"{rel}/{f}" for f in marker.get("files", [])]
    _write_text_atomic(
        out / MARKER, json.dumps({"fdn_alu_result": SWEEP_KIND, "files": files}, indent=1) + "\n"
    )


def _finished(out: Path, ids: list[str]) -> dict[str, dict]:
    """point.json of every finished point of this spec, by id."""
    done = {}
    for pid in ids:
        info = _read_json(out / "points" / pid / "point.json")
        if info is not None and info.get("status") in ("ok", "checks_failed", "failed"):
            done[pid] = info
    return done


def _write_point(out: Path, res: dict, point: dict) -> None:
    """Write one finished point, all or nothing, into ``out/points/<id>/``."""
    tables = res.get("tables") or {}

    def fill(tmp: Path) -> None:
        if res.get("summary") is not None:
            (tmp / "summary.json").write_text(
                json.dumps(res["summary"], indent=1, default=_plain) + "\n"
            )
        for name, records in tables.items():
            pd.DataFrame.from_records(records).to_csv(tmp / f"{name}.csv", index=False)
        info = {k: v for k, v in res.items() if k not in ("summary", "tables")}
        info["point"] = point
        info["tables"] = sorted(tables)
        info["finished_at"] = time.time()
        (tmp / "point.json").write_text(json.dumps(info, indent=1, default=_plain) + "\n")

    write_dir_atomic(out / "points" / res["id"], fill, kind=POINT_KIND)


def _plain(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) or value is None else value


def _table(out: Path, spec: SweepSpec) -> pd.DataFrame:
    """One row per point of the spec, from the point folders (pending points included)."""
    rows = []
    for i, pid in enumerate(spec.ids):
        row: dict[str, Any] = {"point_id": pid}
        row.update({a: _cell(spec.values[i].get(a)) for a in spec.axes})
        info = _read_json(out / "points" / pid / "point.json")
        if info is None:
            row.update(status="pending", message="")
            rows.append(row)
            continue
        row.update(status=info.get("status"), message=info.get("message", ""))
        summary = _read_json(out / "points" / pid / "summary.json")
        if summary is not None:
            row.update(spec.kind.row(summary))
        row["time_point_s"] = info.get("time_point_s")
        row["cpu_point_s"] = info.get("cpu_point_s")
        worker = info.get("worker") or {}
        row["worker"] = f"{worker.get('host')}:{worker.get('pid')}"
        rows.append(row)
    return pd.DataFrame(rows)


def _write_table(out: Path, spec: SweepSpec) -> pd.DataFrame:
    table = _table(out, spec)
    tmp = out / f".sweep.csv.tmp-{os.getpid()}"
    table.to_csv(tmp, index=False)
    os.replace(tmp, out / "sweep.csv")
    _write_marker(out)
    return table


def read_point(out: str | os.PathLike, pid: str) -> dict:
    """A finished point of a sweep folder: ``point.json`` content plus ``summary`` and tables.

    Returns
    -------
    dict
        The ``point.json`` fields, ``summary`` (dict or None) and ``tables`` (name -> DataFrame).
    """
    folder = Path(out) / "points" / pid
    info = _read_json(folder / "point.json")
    if info is None:
        raise_if_problems([Problem(str(folder), "no finished point here")])
    info["summary"] = _read_json(folder / "summary.json")
    info["tables"] = {name: pd.read_csv(folder / f"{name}.csv") for name in info.get("tables", [])}
    return info


# --------------------------------------------------------------------------------------------
# running a sweep


@dataclass
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    out : Path
        The sweep folder.
    table : DataFrame
        ``sweep.csv``: one row per point of the spec.
    backend : str
    workers : int
        Worker slots used.
    ran, skipped : int
        Points run now; points finished earlier and skipped.
    counts : dict
        Points of the spec by status (``ok``, ``checks_failed``, ``failed``, ``pending``).
    lost : list of str
        Points whose worker was lost (not written; a rerun retries them), with the reason.
    elapsed_s : float
    """

    out: Path
    table: pd.DataFrame
    backend: str
    workers: int
    ran: int
    skipped: int
    counts: dict
    lost: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _fmt_s(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def run_sweep(
    spec: str | os.PathLike | dict | SweepSpec,
    out: str | os.PathLike,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
    retry_failed: bool = False,
    threads_per_worker: int = 1,
) -> SweepResult:
    """Run every point of a sweep that is not finished yet; write each one as it completes.

    Parameters
    ----------
    spec : path-like, dict or SweepSpec
        The sweep (see the module docstring and ``docs/SWEEPS.md``).
    out : path-like
        The sweep folder: new, empty, or an earlier sweep folder (resumed: finished points are
        skipped). Any other existing folder is refused.
    workers : int, optional
        Worker processes (default: the CPUs available). ``1`` without a scheduler runs the points
        in this process.
    scheduler : str, optional
        ``"local"``: a Dask ``LocalCluster`` of ``workers`` single-threaded processes; an address
        (``tcp://host:8786``): attach to that Dask scheduler (``workers`` is then ignored).
        Needs the ``dask`` extra.
    progress : callable, optional
        Called with one line of text per finished point (done, failed, running, elapsed, ETA).
    retry_failed : bool
        Run points recorded as failed again (default: keep them; a failure is a result).
    threads_per_worker : int
        Solver and BLAS threads in each worker (default 1: workers, not threads, use the CPUs).

    Returns
    -------
    SweepResult

    Raises
    ------
    InputError
        Bad spec, bad axes, a point whose case does not validate, or an unusable folder; all
        listed together, before anything runs or is written.
    KeyboardInterrupt
        After Ctrl-C: finished points are kept whole, ``sweep.csv`` is rebuilt, nothing
        half-written remains; rerunning resumes.
    """
    t_start = time.perf_counter()
    say = progress or (lambda _line: None)
    out = Path(out)
    problems = _check_out(out)
    if workers is None:
        workers = _default_workers()
    if not (isinstance(workers, int) and workers >= 1):
        problems.append(Problem("workers", f"{workers!r}: must be a positive integer"))
    if not (isinstance(threads_per_worker, int) and threads_per_worker >= 1):
        problems.append(Problem("threads_per_worker", f"{threads_per_worker!r}: must be >= 1"))
    if scheduler is not None and not _dask_available():
        problems.append(Problem("scheduler", "Dask is not installed: pip install 'fdn_alu[dask]'"))
    if not isinstance(spec, SweepSpec):
        try:
            spec = load_spec(spec)
        except InputError as exc:
            problems.extend(exc.problems)
    raise_if_problems(problems, "sweep not started")

    out.mkdir(parents=True, exist_ok=True)
    for stale in (out / "points").glob(".*.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed process: ours, incomplete
    meta = {
        "fdn_alu_sweep": 1,
        "source": spec.source,
        "kind": spec.kind.name,
        "axes": spec.axes,
        "spec": spec.raw,
        "points": [{"id": i, "values": v} for i, v in zip(spec.ids, spec.values, strict=True)],
    }
    _write_text_atomic(out / "sweep.json", json.dumps(meta, indent=1, default=str) + "\n")
    _write_marker(out)

    finished = _finished(out, spec.ids)
    todo = [
        i
        for i, pid in enumerate(spec.ids)
        if pid not in finished or (retry_failed and finished[pid]["status"] == "failed")
    ]
    skipped = len(spec.ids) - len(todo)
    lost: list[str] = []
    n_ok = n_failed = 0
    backend: Any = None
    closed = False
    if not todo:
        say(f"sweep: all {len(spec.ids)} points finished earlier; nothing to run")
    try:
        if todo:
            if scheduler is not None:
                backend = _DaskBackend(scheduler, workers, threads_per_worker)
            elif workers == 1:
                backend = _SerialBackend()
            else:
                backend = _PoolBackend(min(workers, len(todo)), threads_per_worker)
            where = f" (dashboard {backend.dashboard})" if getattr(backend, "dashboard", "") else ""
            say(
                f"sweep: {len(spec.ids)} points, {skipped} finished earlier, {len(todo)} to run "
                f"on {backend.name} with {backend.slots} worker(s){where}"
            )
            t_run = time.perf_counter()
            index = {}
            for i in todo:
                index[backend.submit(spec.points[i], spec.kind.runner)] = i
            pending = set(index)
            last_line = time.perf_counter()
            while pending:
                done, pending = backend.wait(pending, HEARTBEAT_S)
                for fut in done:
                    i = index.pop(fut)  # drop the reference: Dask frees the result
                    try:
                        res = backend.result(fut)
                    except Exception as exc:  # the worker died or the cluster failed
                        lost.append(f"{spec.ids[i]} ({spec.label(i)}): {type(exc).__name__}: {exc}")
                        say(f"  lost {spec.ids[i]} ({spec.label(i)}): {exc}")
                        continue
                    _write_point(out, res, spec.points[i])
                    if res["status"] == "failed":
                        n_failed += 1
                    else:
                        n_ok += 1
                    elapsed = time.perf_counter() - t_run
                    n_done = n_ok + n_failed + len(lost)
                    eta = elapsed / n_done * (len(todo) - n_done)
                    tail = f": {res['message'].splitlines()[0]}" if res["message"] else ""
                    say(
                        f"[{n_done}/{len(todo)}] done {n_ok}, failed {n_failed}, running "
                        f"{backend.running(pending)}, pending {len(pending)} | elapsed "
                        f"{_fmt_s(elapsed)}, ETA {_fmt_s(eta)} | {spec.label(i)}: {res['status']} "
                        f"in {res['time_point_s']:.1f} s{tail}"
                    )
                    last_line = time.perf_counter()
                if pending and time.perf_counter() - last_line >= HEARTBEAT_S:
                    say(
                        f"  ... done {n_ok}, failed {n_failed}, running "
                        f"{backend.running(pending)}, pending {len(pending)}, elapsed "
                        f"{_fmt_s(time.perf_counter() - t_run)}"
                    )
                    last_line = time.perf_counter()
        if backend is not None:
            backend.close(cancel=False)
            closed = True
    except BaseException:  # Ctrl-C included: stop the workers, keep the whole points, re-raise
        if backend is not None and not closed:
            with contextlib.suppress(Exception):
                backend.close(cancel=True)
        with contextlib.suppress(Exception):
            _write_table(out, spec)
        raise
    table = _write_table(out, spec)
    counts = {s: int(n) for s, n in table["status"].value_counts().items()}
    elapsed = time.perf_counter() - t_start
    result = SweepResult(
        out,
        table,
        backend.name if backend is not None else "none",
        backend.slots if backend is not None else 0,
        ran=n_ok + n_failed,
        skipped=skipped,
        counts=counts,
        lost=lost,
        elapsed_s=elapsed,
    )
    say(
        f"sweep finished in {_fmt_s(elapsed)}: "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + f"; table {out / 'sweep.csv'}"
    )
    return result
