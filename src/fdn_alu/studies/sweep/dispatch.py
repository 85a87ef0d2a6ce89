"""The ``dispatch`` task kind of the sweep engine: one :func:`fdn_alu.core.run` per point.

A point names its case (built-in name or case TOML file, with a digest of that file), the
settings it changes (setting paths, :mod:`fdn_alu.studies.sweep.paths`) and the run options.
Feeders are read once per process by :func:`fdn_alu.cases.networks.load_network` (each case
gets its own
copy), so validating or running many points on one feeder reads its file once.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from fdn_alu.cases import DATA_DIR, Case, build_case, list_cases, load_case, read_case_raw
from fdn_alu.cases.scenarios import SCENARIO_CHOICES, SCENARIOS, scenario_key
from fdn_alu.components.registry import COMPONENTS
from fdn_alu.core.run import run
from fdn_alu.errors import InputError, Problem, raise_if_problems
from fdn_alu.results.size import estimate_memory_mb
from fdn_alu.solve import available_solvers
from fdn_alu.studies.sweep.paths import apply_settings, resolve_path
from fdn_alu.studies.sweep.spec import SweepSpec, TaskKind, register_kind

__all__ = ["DISPATCH_TABLES", "build_point_case", "dispatch_row", "run_dispatch_point"]


# The network's tables and every registered component's (a new component's tables are
# accepted without a change here).
DISPATCH_TABLES = ("buses", "branches", "sources", *(t for c in COMPONENTS for t in c.tables))


def _case_file(case: str) -> tuple[Path, str | None]:
    """The case TOML and the case name of a point's ``case`` (built-in name or file path)."""
    builtin = DATA_DIR / f"{case}.toml"
    if case != "default" and builtin.is_file():
        return builtin, case
    return Path(case), None


def _dispatch_base(value: Any, spec_dir: Path) -> tuple[dict, list[Problem]]:
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
    # the file and the bases it names (one file: the digest of its bytes, as before variants)
    try:
        files = read_case_raw(path)[1]
    except InputError as exc:
        return {}, [Problem(where, p.what) for p in exc.problems]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    return {"case": name or str(path), "case_digest": digest}, []


def _read_case_raw(point: dict) -> tuple[dict, Path, str | None]:
    path, name = _case_file(point["case"])
    return read_case_raw(path)[0], path, name


def build_point_case(point: dict) -> Case:
    """The validated :class:`~fdn_alu.cases.Case` of a dispatch point (its settings applied)."""
    raw, path, name = _read_case_raw(point)
    raise_if_problems(apply_settings(raw, point["settings"]), "invalid sweep point")
    return build_case(raw, path, name=name)


def _check_dispatch_options(spec: SweepSpec) -> list[Problem]:
    problems = []
    seen: dict[str, set] = {}
    for point in spec.points:
        for key in ("scenario", "periods", "solver", "check_ac", "ac_method", "tables"):
            seen.setdefault(key, set()).add(json.dumps(point[key]))
    try:
        solvers = {s.split()[0].lower() for s in available_solvers()}
    except Exception:  # listing solvers is a courtesy; the worker reports a missing one anyway
        solvers = None
    for text in sorted(seen["scenario"]):
        v = json.loads(text)
        if isinstance(v, bool) or not isinstance(v, int | str) or scenario_key(v) not in SCENARIOS:
            problems.append(Problem("scenario", f"{v!r}: must be one of {SCENARIO_CHOICES}"))
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
    for case, idx in by_case.items():
        tag = f"{Path(case).name}: " if len(by_case) > 1 else ""
        problems += [Problem(f"{tag}{p.where}", p.what) for p in _validate_case_points(spec, idx)]
    return problems


def _validate_case_points(spec: SweepSpec, idx: list[int]) -> list[Problem]:
    """Validate the points ``idx`` of one base case (see :func:`_validate_dispatch`)."""
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
        _, _, err = resolve_path(raw, p)
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

    def fails_alike(subset: dict, alone: list[Problem]) -> bool:
        # A value checked alone, the other settings at the case's, may be refused although the
        # points holding it are valid (pv p_mw raised above the case's inverter rating that the
        # same points raise too): its problems are kept only if a point holding it has them all;
        # otherwise the points themselves are checked below.
        want = {k: json.dumps(v, sort_keys=True) for k, v in subset.items()}
        texts = {str(p) for p in alone}
        for i in idx:
            settings = spec.points[i]["settings"]
            if all(json.dumps(settings.get(k), sort_keys=True) == w for k, w in want.items()):
                if texts <= {str(p) for p in build(settings)}:
                    return True
        return False

    # Each path's values on their own first (problems named by axis), then every distinct
    # combination (problems only a combination has, e.g. vm_min_pu above vm_max_pu).
    fixed = {k: v for k, v in spec.fixed.items() if k not in bad_paths}
    found = []
    alone = build(fixed)
    if alone and fails_alike(fixed, alone):
        found += [Problem("[set]", str(p)) for p in alone]
    for a in setting_axes:
        for v in values_by_path.get(a, []) if a not in bad_paths else []:
            alone = build({**fixed, a: v})
            if alone and fails_alike({a: v}, alone):
                found += [Problem(f"axis {a!r} = {v!r}", str(p)) for p in alone]
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


SECONDS_BASE = 0.7
SECONDS_PER_BUS_PERIOD = 5.2e-4
"""Time of one dispatch point, ``SECONDS_BASE + SECONDS_PER_BUS_PERIOD x buses x periods``:
fitted to ieee15 x 24 (0.88 s) and ieee85 x 96 (4.9 s), scenario 3 without the AC check, in
process on this project's 2-core machine under load (our measurements)."""


def dispatch_cost(point: dict) -> tuple[float, float, str]:
    """Estimated seconds and peak MB of one dispatch point (a sweep's size estimate)."""
    path, name = _case_file(point["case"])
    case = load_case(name or str(path))
    n_bus, periods = len(case.net.bus), point.get("periods") or len(case.profiles)
    seconds = SECONDS_BASE + SECONDS_PER_BUS_PERIOD * n_bus * periods
    return seconds, estimate_memory_mb(n_bus, periods), f"{n_bus} buses x {periods} periods"


def run_dispatch_point(point: dict) -> dict:
    """Runner of ``kind = "dispatch"``: build the point's case, run it, return plain data."""
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
        runner="fdn_alu.studies.sweep.dispatch:run_dispatch_point",
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
        cost=dispatch_cost,
    )
)
