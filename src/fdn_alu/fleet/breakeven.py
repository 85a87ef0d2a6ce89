"""Break-even map of batch + modulation against modulation only, on the sweep engine.

The saving over a grid of restart cost C (CNY/MW per start) and winter premium p. For one
premium, the full model's optimum is F(C) = min over schedules s of [E(s) + C M(s)], with E the
cost without restarts and M(s) the MW restarted: a concave piecewise-linear function of C whose
pieces are schedules, the modulation-only schedule being the line M = 0. The map finds the
pieces by the parametric search of Eisner and Severance (1976): solve at C = 0 (the line of most
restarts); for two adjacent known lines, solve at their intersection C_x; if F(C_x) equals them
there, F is those two lines between their own solve points (it is concave, below both, and
equal at three points), else the new schedule's line splits the interval and each half is
searched again. One premium with one break-even point costs the modulation solve and two full
solves, whatever the grid's resolution; F is then known at every C, exact within the MIP gap.

Every solve is a point of the sweep engine (kind ``fleet``; :func:`fdn_alu.studies.sweep.study.
run_sweep`), so the map reports per-point progress and can run on a process pool or Dask.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from fdn_alu.errors import Problem, SolveError
from fdn_alu.fleet.data import HOURS_PER_DAY, load_fleet
from fdn_alu.fleet.study import run_season, winter_scaled
from fdn_alu.studies.sweep.spec import TaskKind, register_kind
from fdn_alu.studies.sweep.study import run_sweep

__all__ = ["breakeven", "register", "run_fleet_point"]

#: The map's solves run at the map's gap divided by this.
SOLVE_GAP_DIVISOR = 2.0


@lru_cache(maxsize=4)
def _fleet(source: str, prices: str, overrides: str):
    return load_fleet(source, prices=prices or None, **json.loads(overrides))


def run_fleet_point(point: dict) -> dict:
    """Runner of ``kind = "fleet"``: one strategy of a fleet at a winter premium and restart
    cost (the fleet is loaded once per worker process)."""
    fd = _fleet(point["fleet"], point["prices"], json.dumps(point["overrides"], sort_keys=True))
    fd = winter_scaled(fd, point["premium"], fd.base_winter_premium)
    if point["restart_cny_per_mw"] is not None:
        fd = fd.with_settings(costs={"restart_cny_per_mw": point["restart_cny_per_mw"]})
    # the full model starts from the modulation optimum (solved first, 0.1 s on the -park
    # fleets): measured 0.5 s instead of 1.3 s per full solve at the break-even points
    names = ("modulation", "full") if point["strategy"] == "full" else (point["strategy"],)
    sr = run_season(fd, names, **point["solver"]).strategies[point["strategy"]]
    restart_mw = float((sr.chi * fd.line_mw[None, :]).sum())
    winter_h = np.repeat(fd.winter, HOURS_PER_DAY)
    return {
        "summary": {
            "cost_cny": sr.costs_cny["total"],
            "bound_cny": min(sr.report.bound, sr.costs_cny["total"]),
            "restart_cost_cny": sr.costs_cny["restart"],
            "winter_energy_cny": float((sr.p_mw[winter_h] * fd.price[winter_h]).sum()),
            "restart_mw": restart_mw,
            "restarts": int(sr.chi.sum()),
            "mip_gap": sr.report.mip_gap,
            "solve_time_s": sr.report.time_s,
            "checks": {"failed": []},
        }
    }


def _base(value, spec_dir) -> tuple[dict, list[Problem]]:
    return {"fleet": str(value)}, []


def register() -> None:
    """Register the ``fleet`` task kind."""
    register_kind(
        TaskKind(
            name="fleet",
            runner="fdn_alu.fleet.breakeven:run_fleet_point",
            options={
                "prices": "",
                "overrides": {},
                "premium": 0.0,
                "restart_cny_per_mw": None,
                "strategy": "full",
                "solver": {},
            },
            base=_base,
            validate=lambda spec: [],
            row=lambda summary: {k: v for k, v in summary.items() if k != "checks"},
        )
    )


def breakeven(
    source: str,
    restart_cny_per_mw: np.ndarray,
    premiums: np.ndarray,
    prices: str | None = None,
    overrides: dict | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    **solver_opts,
) -> pd.DataFrame:
    """Saving of batch + modulation over modulation only on a grid of restart cost and winter
    premium (see the module docstring for the solves it needs).

    Parameters
    ----------
    source : str
        The fleet (built-in name or TOML path) as given to :func:`~fdn_alu.fleet.load_fleet`.
    restart_cny_per_mw, premiums : arrays
        The grid (premium 0.5: winter prices 50 % above the same days without deficit).
    prices, overrides
        As given to ``load_fleet``.
    workers : int
        Sweep workers (1: in this process).
    progress : callable, optional
        One line per finished solve.
    **solver_opts
        ``[solver]`` overrides.

    Returns
    -------
    DataFrame
        Columns restart_cny_per_mw, winter_premium, cost_modulation_cny, cost_full_cny,
        saving_cny, saving_pct, restart_mw (of the optimal schedule); ``attrs["meta"]``
        describes the grid and the number of solves.
    """
    rc = np.sort(np.asarray(restart_cny_per_mw, float))
    prem = np.asarray(premiums, float)
    rows = np.unique(prem)  # premiums in order: the rows of the map
    fd = _fleet(str(source), str(prices or ""), json.dumps(overrides or {}, sort_keys=True))
    gap = float(solver_opts.get("mip_rel_gap", fd.settings["solver"]["mip_rel_gap"]))
    # the solves run at a fifth of the gap: their dual bounds then leave most of the gap to
    # the concavity bound between searched premiums
    common = {"kind": "fleet", "base": str(source), "prices": str(prices or ""),
              "overrides": overrides or {},
              "solver": {**solver_opts, "mip_rel_gap": gap / SOLVE_GAP_DIVISOR}}  # fmt: skip
    factor = (1.0 + rows) / (1.0 + fd.base_winter_premium)  # winter price factor per row
    active = sorted({float(rows[0]), float(rows[-1])})  # rows searched in restart cost
    todo = [(float(p), None) for p in rows] + [(p, 0.0) for p in active]
    done: dict[tuple, dict] = {}
    pairs: dict[float, list] = {}
    with tempfile.TemporaryDirectory(prefix="fdn-alu-breakeven-") as tmp:
        while todo:
            points = [
                {"premium": p, "restart_cny_per_mw": c,
                 "strategy": "modulation" if c is None else "full"}
                for p, c in todo
            ]  # fmt: skip
            res = run_sweep({"sweep": common, "points": points}, tmp, workers=workers,
                            progress=progress)  # fmt: skip
            failed = res.table[res.table.status != "ok"]
            if len(failed):
                raise SolveError(f"break-even map: {failed.message.iloc[0]}")
            # the table has one row per point of this round, in the order given
            done.update(zip(todo, res.table.to_dict("records"), strict=True))
            todo = _next_round(done, pairs, active, float(rc[-1]), gap)
            if not todo:  # the searched rows are complete: does concavity give the others?
                upper, lower, _ = _bounds(done, rows, factor, rc)
                new = _next_rows(rows, active, upper, lower, gap)
                active = sorted(active + new)
                todo = [(p, 0.0) for p in new]
    df = _table(done, rows, factor, rc, source, active, gap)
    df["restart_cny_per_line"] = df["restart_cny_per_mw"] * float(np.mean(fd.line_mw))
    df.attrs["meta"].update(
        prices=fd.prices_label,
        base_winter_premium=fd.base_winter_premium,
        base_restart_cny_per_mw=fd.settings["costs"]["restart_cny_per_mw"],
    )
    return df


def _line(row: dict) -> tuple[float, float]:
    """(E, M) of a solved schedule: its cost without restarts and the MW it restarts."""
    return row["cost_cny"] - row["restart_cost_cny"], row["restart_mw"]


def _next_round(done: dict, pairs: dict, rows: list, c_max: float, gap: float) -> list:
    """Restart costs to solve next in the searched rows: the intersections of adjacent lines
    not yet verified."""
    todo = []
    for p in rows:
        if p not in pairs:  # after the first round: the C = 0 line against modulation's
            mod, top = _line(done[(p, None)]), _line(done[(p, 0.0)])
            pairs[p] = [(top, mod)] if top[1] > 1e-9 else []
        else:
            nxt = []
            for la, lb, cx in pairs[p]:
                row = done[(p, cx)]
                lx = _line(row)
                f = lx[0] + cx * lx[1]
                if f < la[0] + cx * la[1] - gap * abs(f) and lb[1] < lx[1] < la[1]:
                    nxt += [(la, lx), (lx, lb)]  # a new piece between them
            pairs[p] = nxt
        staged = []
        for la, lb in pairs[p]:
            cx = min((lb[0] - la[0]) / (la[1] - lb[1]), c_max)  # where the two lines meet
            if cx > 0 and (p, cx) not in done:
                todo.append((p, cx))
                staged.append((la, lb, cx))
        pairs[p] = staged
    return todo


def _bounds(done: dict, rows: np.ndarray, factor: np.ndarray, rc: np.ndarray):
    """Best known cost and a lower bound of the full model at every grid point.

    Upper: every solved schedule's cost is affine in the restart cost C and in the winter
    price factor f, E_rest + f E_winter + C M (its dispatch kept), so each one bounds every grid
    point from above. Lower: F(C, f) is a minimum of such affine functions, hence jointly
    concave in (C, f) and non-decreasing in C, so any convex combination of the solves' dual
    bounds (each also valid at the top restart cost of its row) bounds it from below.

    Returns
    -------
    upper, lower : (P, K) arrays over rows x restart costs
    restart_mw : (P, K) array, the MW restarted by the schedule that gives ``upper``
    """
    base = {float(p): float(f) for p, f in zip(rows, factor, strict=True)}
    planes = []  # (E_rest, E_winter at f = 1, M)
    for (p, c), r in done.items():
        f = base[p]
        e_rest = r["cost_cny"] - r["restart_cost_cny"] - r["winter_energy_cny"]
        planes.append(
            (e_rest, r["winter_energy_cny"] / f, r["restart_mw"] if c is not None else 0.0)
        )
    e0, ew, m = (np.array(v)[:, None, None] for v in zip(*planes, strict=True))
    value = e0 + ew * factor[None, :, None] + m * rc[None, None, :]  # (planes, P, K)
    best = np.argmin(value, axis=0)
    upper = np.take_along_axis(value, best[None], 0)[0]
    restart_mw = m[:, 0, 0][best]
    # lower: the concave hull of the solves' dual bounds in the (C, f) plane, each also holding
    # at the top restart cost (F is non-decreasing in C): per grid point the best convex
    # combination of them, a small LP
    pts = [(c, base[p], r["bound_cny"]) for (p, c), r in done.items() if c is not None]
    pts += [(float(rc[-1]), f, b) for _, f, b in pts]
    cs, fs, bs = np.array(pts).T
    lower = np.full(upper.shape, -np.inf)
    for i, f in enumerate(factor):
        for k, c in enumerate(rc):
            res = linprog(
                -bs,
                A_eq=np.vstack([cs, fs, np.ones_like(cs)]),
                b_eq=[c, f, 1.0],
                bounds=(0.0, None),
                method="highs",
            )
            if res.status == 0:
                lower[i, k] = -res.fun
    return upper, lower, restart_mw


def _next_rows(rows: np.ndarray, active: list, upper, lower, gap: float) -> list:
    """Rows to search next: the middle row between two searched ones wherever a row between
    them is not certified (best known cost above the lower bound by more than the gap)."""
    idx = np.flatnonzero(np.isin(rows, active))
    ok = np.all(upper - lower <= gap * np.abs(upper) + 1e-9, axis=1)
    new = []
    for a, b in pairwise(idx):
        if b - a > 1 and not ok[a + 1 : b].all():
            new.append(float(rows[(a + b) // 2]))
    return new


def _table(done, rows, factor, rc, source, active, gap) -> pd.DataFrame:
    upper, lower, restart_mw = _bounds(done, rows, factor, rc)
    out = []
    for i, p in enumerate(map(float, rows)):
        mod = done[(p, None)]["cost_cny"]
        for k, c in enumerate(map(float, rc)):
            # F(C): the best known schedule at C, never above modulation only
            full = min(mod, upper[i, k])
            out.append(
                {
                    "restart_cny_per_mw": c,
                    "winter_premium": p,
                    "cost_modulation_cny": mod,
                    "cost_full_cny": full,
                    "lower_bound_full_cny": lower[i, k],
                    "saving_cny": mod - full,
                    "saving_pct": 100 * (mod - full) / mod if mod else 0.0,
                    "restart_mw": 0.0 if full >= mod else restart_mw[i, k],
                }
            )
    df = pd.DataFrame(out)
    df.attrs["meta"] = {
        "what": "saving of batch + modulation over modulation only (CNY over the horizon)",
        "fleet": str(source),
        "grid": {"restart_cny_per_mw": rc.tolist(), "winter_premium": rows.tolist()},
        "solves": len(done),
        "searched_premiums": list(active),
        "certified": bool(np.all(upper - lower <= gap * np.abs(upper) + 1e-9)),
        "method": "parametric search of F(C) = min over schedules of E + C M (Eisner and "
        "Severance) in the first and last premium, and in the middle one wherever F's concavity "
        "in the winter price does not bound a premium between them within the MIP gap",
    }
    return df


register()
