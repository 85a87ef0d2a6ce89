"""Calibration of the paper's unknown parameters to its reported percentage changes.

The paper's appendix with its parameters (tables B1, B6) is missing; its text reports how
scenario 3 changes the cost terms against scenarios 1 and 2 (tables B2, B7; seed 001 §4.2.1,
§4.3). This module searches a few unknown parameters, each within a stated range, for the values
whose changes come closest to the reported ones, and runs every dispatch on the sweep engine
(:func:`fdn_alu.studies.sweep.study.run_sweep`): the sweep folder is the cache, so a rerun or a
second stage reuses every point already solved.

Misfit (our choice): the sum over the targets of ``((ours - paper) / max(|paper|, 1)) ** 2``,
changes in percent, so that a 1.4 % carbon change weighs as much as a 20 % loss change; a target
with only a sign (the paper: scenario 3 has the lowest total cost) adds
``(max(0, ours) / 0.1) ** 2``;
a change whose reference value vanishes (no gas burnt in scenario 1) counts as a misfit of 10.
Search (our choice): a coarse grid (each parameter's ``coarse`` values), then coordinate
descent over each parameter's full grid from the best coarse point until no step improves.
``python -m fdn_alu.cli.calibrate`` runs it and writes the record and the variant.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fdn_alu.paper.calibration_params import PARAMETERS, TARGETS, Parameter, Target, settings_for
from fdn_alu.studies.sweep.spec import load_spec
from fdn_alu.studies.sweep.study import run_sweep

__all__ = [
    "PARAMETERS",
    "TARGETS",
    "CalibrationResult",
    "Parameter",
    "Target",
    "calibrate",
    "changes_pct",
    "evaluate",
    "misfit",
    "settings_for",
]

QUANTITIES = ("purchase", "gas_turbine", "loss", "carbon", "total")
MISSING_CHANGE_MISFIT = 10.0  # our choice: a vanished reference value is a gross misfit
SIGN_SCALE_PCT = 0.1  # our choice: a 0.1 % rise where the paper reports a fall = one full miss


def changes_pct(costs: Mapping[int, Mapping[str, float]]) -> dict[str, float]:
    """``{quantity}_3_vs_{s}``: 100 (x3 - xs) / xs for every cost term and reference scenario.

    NaN where the reference value is below 1e-9 of the reference total (nothing to compare).
    """
    out = {}
    for vs in (1, 2):
        if vs not in costs or 3 not in costs:
            continue
        for q in QUANTITIES:
            ref, new = costs[vs][q], costs[3][q]
            small = abs(ref) < 1e-9 * abs(costs[vs]["total"])
            out[f"{q}_3_vs_{vs}"] = math.nan if small else 100.0 * (new - ref) / ref
    return out


def residuals(changes: Mapping[str, float], targets: Sequence[Target]) -> dict[str, float]:
    """Scaled residual of every target (see the module docstring)."""
    out = {}
    for t in targets:
        ours = changes.get(t.key, math.nan)
        if math.isnan(ours):
            out[t.key] = MISSING_CHANGE_MISFIT
        elif t.paper_pct is None:
            out[t.key] = max(0.0, ours) / SIGN_SCALE_PCT
        else:
            out[t.key] = (ours - t.paper_pct) / max(abs(t.paper_pct), 1.0)
    return out


def misfit(changes: Mapping[str, float], targets: Sequence[Target]) -> float:
    """Sum of squared scaled residuals (the search's objective)."""
    return float(sum(r * r for r in residuals(changes, targets).values()))


@dataclass
class Evaluation:
    """One parameter point: its changes, residuals and misfit (inf if a run failed)."""

    values: dict[str, float]
    changes: dict[str, float]
    residuals: dict[str, float]
    misfit: float
    status: str = "ok"


def evaluate(
    base: str,
    points: Sequence[Mapping[str, float]],
    targets: Sequence[Target],
    out: str | Path,
    params: Sequence[Parameter] = (),
    periods: int | None = 24,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> list[Evaluation]:
    """Run the scenarios the targets need for every parameter point (one sweep) and score them.

    Parameters
    ----------
    base : str
        Case the parameters are set on (built-in name or case TOML path).
    points : sequence of dict
        Parameter name -> value.
    targets : sequence of Target
    out : path-like
        The sweep folder (new, empty or an earlier one: its finished points are reused).
    params : sequence of Parameter
        Only their ``esop_only`` flags are used (a run of scenario 1 or 2 then serves every
        point that differs in ESOP parameters alone).
    periods, workers, progress
        As :func:`~fdn_alu.studies.sweep.study.run_sweep`.

    Returns
    -------
    list of Evaluation
        In the order of ``points``. A point with a failed run or a failed check gets misfit inf.
    """
    esop_only = {p.name for p in params if p.esop_only}
    scenarios = sorted({3, *(t.vs for t in targets)})
    runs: list[dict] = []
    index: dict[str, int] = {}
    keys = []
    for values in points:
        row = {}
        for s in scenarios:
            used = {k: v for k, v in values.items() if s == 3 or k not in esop_only}
            task = {"scenario": s, **settings_for(used, s)}
            key = repr(sorted(task.items()))
            if key not in index:
                index[key] = len(runs)
                runs.append(task)
            row[s] = index[key]
        keys.append(row)
    spec = load_spec(
        {"sweep": {"base": base, "periods": periods, "check_ac": True}, "points": runs}
    )
    table = run_sweep(spec, out, workers=workers, progress=progress).table.set_index("point_id")
    result = []
    for values, row in zip(points, keys, strict=True):
        rows = {s: table.loc[spec.ids[i]] for s, i in row.items()}
        bad = [r["status"] for r in rows.values() if r["status"] != "ok"]
        costs = {s: {q: float(r[f"cost_{q}"]) for q in QUANTITIES} for s, r in rows.items()}
        ch = {} if bad else changes_pct(costs)
        res = residuals(ch, targets)
        fit = math.inf if bad else misfit(ch, targets)
        result.append(Evaluation(dict(values), ch, res, fit, bad[0] if bad else "ok"))
    return result


@dataclass
class CalibrationResult:
    """The best point of a search, the base case's point and the search's record."""

    case: str
    best: Evaluation
    default: Evaluation
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    evaluations: int
    runs_dir: Path
    elapsed_s: float
    history: list[dict] = field(default_factory=list)


def calibrate(
    case: str,
    out: str | Path,
    params: Sequence[Parameter] | None = None,
    targets: Sequence[Target] | None = None,
    periods: int | None = 24,
    workers: int = 1,
    max_cycles: int = 3,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Coarse grid, then coordinate descent over every parameter's grid (module docstring).

    Parameters
    ----------
    case : str
        ``"ieee15"`` or ``"ieee85"`` (the defaults of ``params`` and ``targets``), or any case
        when both are given.
    out : path-like
        Sweep folder (created; an earlier one is reused as a cache).
    max_cycles : int
        Coordinate-descent passes over all parameters at most.
    """
    t0 = time.perf_counter()
    params = tuple(params if params is not None else PARAMETERS[case])
    targets = tuple(targets if targets is not None else TARGETS[case])
    say = progress or (lambda _line: None)
    seen: dict[tuple, Evaluation] = {}

    def run(points: list[dict]) -> list[Evaluation]:
        new = [p for p in points if _key(p) not in seen]
        if new:
            for p, ev in zip(
                new,
                evaluate(case, new, targets, out, params, periods, workers),
                strict=True,
            ):
                seen[_key(p)] = ev
        return [seen[_key(p)] for p in points]

    default = run([{p.name: p.default for p in params}])[0]
    grid = [
        dict(zip([p.name for p in params], v, strict=True))
        for v in itertools.product(*(p.coarse for p in params))
    ]
    best = min(run(grid), key=lambda e: e.misfit)
    history = [{"stage": "coarse grid", "points": len(grid), "misfit": best.misfit}]
    say(f"{case}: coarse grid of {len(grid)} points, best misfit {best.misfit:.4f}")
    for cycle in range(max_cycles):
        improved = False
        for p in params:
            line = [{**best.values, p.name: v} for v in p.values]
            cand = min(run(line), key=lambda e: e.misfit)
            if cand.misfit < best.misfit - 1e-12:
                best, improved = cand, True
            history.append({"stage": f"cycle {cycle + 1} {p.name}", "misfit": best.misfit})
            say(f"{case}: cycle {cycle + 1}, {p.name} = {best.values[p.name]}: {best.misfit:.4f}")
        if not improved:
            break
    return CalibrationResult(
        case,
        best,
        default,
        params,
        targets,
        len(seen),
        Path(out),
        time.perf_counter() - t0,
        history,
    )


def _key(values: Mapping[str, float]) -> tuple:
    return tuple(sorted(values.items()))
