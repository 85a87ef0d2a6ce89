"""Fleet results: per-strategy quantities in engineering units, checks computed from the
result tables (not from the model), summary.json, commitment.csv, power.csv, and the day plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fdn_alu.fleet.data import HOURS_PER_DAY, FleetData
from fdn_alu.fleet.model import STRATEGY_LABELS, FleetModel
from fdn_alu.fleet.plots import save_all
from fdn_alu.fleet.solve import SolveReport
from fdn_alu.results.folders import check_out_dir, write_dir_atomic

#: Tolerances of the checks (relative unless the name says otherwise).
TOL = {
    "production_rel": 1e-6,  # issue 12: production met to 1e-6
    "band_mw_rel": 1e-6,  # of line rating
    "objective_rel": 1e-6,  # recomputed cost vs solver objective
}


@dataclass
class StrategyResult:
    """Solution of one strategy, in arrays (time first)."""

    strategy: str
    nu: np.ndarray  # (D, R) lines online
    chi: np.ndarray  # (D, R) starts
    zeta: np.ndarray  # (D, R) stops
    p_mw: np.ndarray  # (H, R) hourly power
    production_t_day: np.ndarray  # (D, R)
    inventory_t: np.ndarray  # (D, R) inventory (inventory mode) or cumulative surplus
    costs_cny: dict
    report: SolveReport
    size: dict
    build_time_s: float
    dev_slack_mw: float


@dataclass
class SeasonResult:
    """All strategies of one fleet on one price series."""

    data: FleetData
    strategies: dict[str, StrategyResult] = field(default_factory=dict)

    def commitment(self) -> pd.DataFrame:
        """Rows (strategy, day, region, lines_online, starts, stops, production_t, inventory_t)."""
        frames = []
        D, R = self.data.days, len(self.data.regions)
        for name, sr in self.strategies.items():
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": name,
                        "day": np.repeat(np.arange(D), R),
                        "region": np.tile(self.data.regions, D),
                        "lines_online": sr.nu.ravel(),
                        "starts": sr.chi.ravel(),
                        "stops": sr.zeta.ravel(),
                        "production_t": sr.production_t_day.ravel(),
                        "inventory_t": sr.inventory_t.ravel(),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def power(self) -> pd.DataFrame:
        """Rows (strategy, hour, region, p_mw)."""
        frames = []
        H, R = self.data.hours, len(self.data.regions)
        for name, sr in self.strategies.items():
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": name,
                        "hour": np.repeat(np.arange(H), R),
                        "region": np.tile(self.data.regions, H),
                        "p_mw": sr.p_mw.ravel(),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> dict:
        """The summary.json content (costs by kind, energy, emissions, production, restarts,
        MIP gap, nodes, time per strategy; savings against rigid; checks)."""
        fd = self.data
        com = self.commitment()
        out: dict = {
            "fdn_alu_result": "season",
            "fleet": fd.name,
            "prices": fd.prices_label,
            "synthetic_prices": fd.synthetic,
            "days": fd.days,
            "blocks": len(fd.block_h),
            "regions": fd.regions,
            "lines": fd.lines.tolist(),
            "line_mw": fd.line_mw.tolist(),
            "target_t": fd.target_t.tolist(),
            "settings": {k: v for k, v in fd.settings.items() if not k.startswith("_")},
            "notes": fd.notes,
            "band_pu": {
                r: [float(lo), float(hi)]
                for r, lo, hi in zip(fd.regions, fd.p_min_pu, fd.p_max_pu, strict=True)
            },
            "dispatch_park": {
                r: dp for r, dp in zip(fd.regions, fd.dispatch_park, strict=True) if dp
            },
            "strategies": {},
        }
        failed = []
        for name, sr in self.strategies.items():
            checks = check_strategy(fd, sr, com[com["strategy"] == name])
            failed += [f"{name}: {c}" for c in checks["failed"]]
            e_mwh = sr.p_mw.sum(axis=0)
            out["strategies"][name] = {
                "label": STRATEGY_LABELS[name],
                "costs_cny": sr.costs_cny,
                "energy_mwh": float(e_mwh.sum()),
                "energy_mwh_by_region": dict(zip(fd.regions, e_mwh.tolist(), strict=True)),
                "emissions_t": float((sr.p_mw * fd.ci).sum() / 1000.0),
                "production_t": float(sr.production_t_day.sum()),
                "production_t_by_region": dict(
                    zip(fd.regions, sr.production_t_day.sum(axis=0).tolist(), strict=True)
                ),
                "restarts": round(sr.chi.sum()),
                "stops": round(sr.zeta.sum()),
                "line_days_offline": round((fd.lines[None, :] - sr.nu).sum()),
                **sr.report.as_dict(),
                "build_time_s": sr.build_time_s,
                "model_size": sr.size,
                "checks": checks,
            }
        if "rigid" in self.strategies:
            base = self.strategies["rigid"].costs_cny["total"]
            out["savings_vs_rigid"] = {
                n: {
                    "cny": base - sr.costs_cny["total"],
                    "pct": 100.0 * (base - sr.costs_cny["total"]) / base if base else 0.0,
                }
                for n, sr in self.strategies.items()
            }
        out["checks_failed"] = failed
        return out


def day_plan(result: SeasonResult, day: int, strategy: str = "full") -> dict:
    """Lines online and metal to make on one day of a season plan (for the daily dispatch).

    Parameters
    ----------
    result : SeasonResult
    day : int
        Day index 0..days-1.
    strategy : str
        Which strategy's plan (default the full model).

    Returns
    -------
    dict
        ``{"lines_online": {region: int}, "production_t": {region: float}}``.
    """
    sr = result.strategies[strategy]
    if not 0 <= day < result.data.days:
        raise IndexError(f"day {day} outside 0..{result.data.days - 1}")
    regs = result.data.regions
    return {
        "lines_online": {r: round(v) for r, v in zip(regs, sr.nu[day], strict=True)},
        "production_t": {r: float(v) for r, v in zip(regs, sr.production_t_day[day], strict=True)},
    }


def extract(fd: FleetData, model: FleetModel, rep: SolveReport) -> StrategyResult:
    """Turn a solution vector into a StrategyResult (costs recomputed from the values)."""
    s = fd.settings
    _op, costs = s["operation"], s["costs"]
    x = rep.x
    nu = np.rint(model.value(x, "nu"))
    chi = np.rint(model.value(x, "chi"))
    zeta = np.rint(model.value(x, "zeta"))
    p_blk = model.power_mw(x, fd.line_mw, fd.block_day)
    hb = fd.hour_block
    p_h = p_blk[hb] if hb.ndim == 1 else np.take_along_axis(p_blk, hb, 0)  # (H, R)
    L, e, N = fd.line_mw, fd.e_mwh_per_t, fd.lines
    nu_h = np.repeat(nu, HOURS_PER_DAY, axis=0)
    dev = p_h - L * nu_h
    # eq. (6): output per MW of deviation is slope_up above rated, slope_dn below
    out_h = (L * nu_h + fd.slope_up * np.maximum(dev, 0.0) + fd.slope_dn * np.minimum(dev, 0.0)) / e
    D, R = nu.shape
    prod_day = out_h.reshape(D, HOURS_PER_DAY, R).sum(axis=1)
    if s["production"]["mode"] == "inventory":
        inv = model.value(x, "inv")
    else:
        inv = np.cumsum(prod_day, axis=0) - np.outer(np.arange(1, D + 1), fd.target_t / D)
    # up and dn both positive in one block would only lose output: report the overlap
    slack = float(np.max(np.minimum(model.value(x, "up"), model.value(x, "dn")), initial=0.0))
    e_cost = float((p_h * fd.price).sum())
    c_t = float((p_h * fd.ci).sum() / 1000.0)
    exp = model.value(x, "exp") if "exp" in model.var else np.zeros((D, R))
    cost = {
        "energy": e_cost,
        "carbon": costs["carbon_price_cny_per_t"] * c_t,
        "restart": float((costs["restart_cny_per_mw"] * L * chi).sum()),
        "standby": float((HOURS_PER_DAY * costs["standby_cny_per_mw_h"] * L * nu).sum()),
        "idle": float((HOURS_PER_DAY * costs["idle_cny_per_mw_h"] * L * (N - nu)).sum()),
        "transfer": float(costs["transfer_cny_per_t"] * exp.sum()),
    }
    cost["total"] = sum(cost.values())
    return StrategyResult(
        strategy=model.strategy,
        nu=nu.astype(int),
        chi=chi.astype(int),
        zeta=zeta.astype(int),
        p_mw=p_h,
        production_t_day=prod_day,
        inventory_t=inv,
        costs_cny=cost,
        report=rep,
        size=model.size(),
        build_time_s=model.build_time_s,
        dev_slack_mw=slack,
    )


def check_min_times(
    com: pd.DataFrame, lines: dict, min_down: int, min_up: int, cyclic: bool
) -> list[str]:
    """Check commitment rows (one strategy) for balance and minimum down/up times.

    Uses only the table: for every day d, lines offline >= stops in the ``min_down`` days ending
    on d, and lines online >= starts in the ``min_up`` days ending on d; and
    lines_online_d = lines_online_{d-1} + starts_d - stops_d.
    """
    bad = []
    for reg, g in com.groupby("region", sort=False):
        g = g.sort_values("day")
        nu, st, sp_ = (g[c].to_numpy() for c in ("lines_online", "starts", "stops"))
        N = lines[reg]
        D = len(nu)
        prev = np.roll(nu, 1) if cyclic else np.concatenate([[N], nu[:-1]])
        if np.any(nu != prev + st - sp_):
            bad.append(f"{reg}: lines_online does not follow starts and stops")
        for k, arr, lim, what in (
            (min_down, sp_, N - nu, "minimum downtime"),
            (min_up, st, nu, "minimum up time"),
        ):
            idx = np.arange(D)[:, None] - np.arange(k)[None, :]
            win = arr[idx % D] if cyclic else np.where(idx >= 0, arr[np.clip(idx, 0, None)], 0)
            if np.any(win.sum(axis=1) > lim):
                days = np.flatnonzero(win.sum(axis=1) > lim)
                bad.append(f"{reg}: {what} violated on days {days[:5].tolist()}")
    return bad


def check_strategy(fd: FleetData, sr: StrategyResult, com: pd.DataFrame) -> dict:
    """Checks of one strategy from its tables: production, band, minimum times, objective."""
    op = fd.settings["operation"]
    prod = sr.production_t_day.sum(axis=0)
    if fd.settings["production"]["metal_transfer"] or fd.settings["production"]["mode"] == (
        "inventory"
    ):
        short = (fd.target_t.sum() - prod.sum()) / max(fd.target_t.sum(), 1e-12)
    else:
        short = float(np.max((fd.target_t - prod) / np.maximum(fd.target_t, 1e-12)))
    nu_h = np.repeat(sr.nu, HOURS_PER_DAY, axis=0)
    L = fd.line_mw
    over = np.max((sr.p_mw - fd.p_max_pu * L * nu_h) / L)
    under = np.max((fd.p_min_pu * L * nu_h - sr.p_mw) / L)
    # daily reach (regions from a case): metal per online line-day within the dispatch's
    rated_day = HOURS_PER_DAY * L / fd.e_mwh_per_t
    per_line = sr.production_t_day / np.maximum(sr.nu, 1) / rated_day
    on = sr.nu > 0
    reach = max(
        float(np.max(np.where(on, fd.day_min_pu - per_line, 0.0), initial=0.0)),
        float(
            np.max(
                np.where(on & np.isfinite(fd.day_max_pu), per_line - fd.day_max_pu, 0.0),
                initial=0.0,
            )
        ),
    )
    times = check_min_times(
        com,
        dict(zip(fd.regions, fd.lines.tolist(), strict=True)),
        op["min_down_days"],
        op["min_up_days"],
        op["cyclic"],
    )
    obj_err = abs(sr.costs_cny["total"] - sr.report.objective) / max(abs(sr.report.objective), 1.0)
    c = {
        "production_shortfall_rel": float(short),
        "band_violation_pu": float(max(over, under, 0.0)),
        "reach_violation_pu": reach,
        "min_time_violations": times,
        "objective_rel_err": float(obj_err),
        "penalty_slack_mw": sr.dev_slack_mw,
        "tolerances": TOL,
    }
    failed = []
    if short > TOL["production_rel"]:
        failed.append(f"production short by {short:.2e} (relative)")
    if c["band_violation_pu"] > TOL["band_mw_rel"]:
        failed.append(f"band violated by {c['band_violation_pu']:.2e} pu")
    if reach > TOL["band_mw_rel"]:
        failed.append(f"a day's metal per line is outside the dispatch's reach by {reach:.2e}")
    failed += times
    if obj_err > TOL["objective_rel"]:
        failed.append(f"recomputed cost differs from the solver objective by {obj_err:.2e}")
    c["failed"] = failed
    return c


def _write_all(result: SeasonResult, tmp: Path, figures: bool, breakeven=None) -> None:
    summary = result.summary()
    if breakeven is not None:
        summary["breakeven"] = breakeven.attrs.get("meta", {})
        breakeven.to_csv(tmp / "breakeven.csv", index=False)
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    result.commitment().to_csv(tmp / "commitment.csv", index=False)
    result.power().to_csv(tmp / "power.csv", index=False, float_format="%.6g")
    if figures:
        save_all(result, tmp, breakeven)


def write_season(result: SeasonResult, out: str | Path, figures: bool = True, breakeven=None):
    """Write summary.json, commitment.csv, power.csv (and figures) into ``out`` atomically.

    Uses :mod:`fdn_alu.results.folders`
    (refuses to overwrite a folder that is not an earlier result).
    """
    out = Path(out)
    check_out_dir(out)
    write_dir_atomic(
        out, lambda tmp: _write_all(result, Path(tmp), figures, breakeven), kind="season"
    )
    return out
