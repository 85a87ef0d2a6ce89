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

import numpy as np
import pandas as pd

from fdn_alu.errors import Problem, SolveError
from fdn_alu.fleet.data import load_fleet
from fdn_alu.fleet.study import run_season, winter_scaled
from fdn_alu.studies.sweep.spec import TaskKind, register_kind
from fdn_alu.studies.sweep.study import run_sweep

__all__ = ["breakeven", "register", "run_fleet_point"]


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
    return {
        "summary": {
            "cost_cny": sr.costs_cny["total"],
            "restart_cost_cny": sr.costs_cny["restart"],
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
    common = {"kind": "fleet", "base": str(source), "prices": str(prices or ""),
              "overrides": overrides or {}, "solver": solver_opts}  # fmt: skip
    gap = float(solver_opts.get("mip_rel_gap", 0.005))
    todo = [(float(p), None) for p in prem] + [(float(p), 0.0) for p in prem]
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
            todo = _next_round(done, pairs, prem, float(rc[-1]), gap)
    fd = _fleet(str(source), str(prices or ""), json.dumps(overrides or {}, sort_keys=True))
    df = _table(done, prem, rc, source)
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


def _next_round(done: dict, pairs: dict, prem: np.ndarray, c_max: float, gap: float) -> list:
    """Restart costs to solve next: the intersections of adjacent lines not yet verified."""
    todo = []
    for p in map(float, prem):
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


def _table(done: dict, prem: np.ndarray, rc: np.ndarray, source: str) -> pd.DataFrame:
    rows = []
    for p in map(float, prem):
        mod = done[(p, None)]["cost_cny"]
        solved = [(c, r) for (q, c), r in done.items() if q == p and c is not None]
        for c in map(float, rc):
            # F(C): the best known schedule line at C (exact at solved points and between
            # solved ends that agree), never above modulation only
            lines = [r["cost_cny"] - r["restart_cost_cny"] + c * r["restart_mw"] for _, r in solved]
            full = min([mod, *lines])
            best = int(np.argmin([mod, *lines]))
            rows.append(
                {
                    "restart_cny_per_mw": c,
                    "winter_premium": p,
                    "cost_modulation_cny": mod,
                    "cost_full_cny": full,
                    "saving_cny": mod - full,
                    "saving_pct": 100 * (mod - full) / mod if mod else 0.0,
                    "restart_mw": 0.0 if best == 0 else solved[best - 1][1]["restart_mw"],
                }
            )
    df = pd.DataFrame(rows)
    df.attrs["meta"] = {
        "what": "saving of batch + modulation over modulation only (CNY over the horizon)",
        "fleet": str(source),
        "grid": {"restart_cny_per_mw": rc.tolist(), "winter_premium": prem.tolist()},
        "solves": len(done),
        "method": "parametric search of F(C) = min over schedules of E + C M (Eisner and "
        "Severance): full model solved at C = 0 and where adjacent schedule lines meet",
    }
    return df


register()
