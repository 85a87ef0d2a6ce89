"""Studies beyond the paper (issue 15): the price of green metal (cost against a limit on the
park's carbon footprint), flexibility separated from arbitrage (scenarios 1 -> 2 -> 3a -> 3b),
and the thermal model across time steps."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fdn_alu.cases import Case, load_case
from fdn_alu.core.run import run
from fdn_alu.errors import InfeasibleError
from fdn_alu.results import RunResult

# Steps of the flexibility decomposition: (from, to, what the step adds).
STEPS = (
    (1, 2, "carbon price in the objective"),
    (2, "3a", "soft open point (converters only)"),
    ("3a", "3b", "storage behind the soft open point"),
)
# Quantities the decomposition splits: (label, summary section, key, unit).
DECOMPOSED = (
    ("total cost", "costs", "total", "CNY"),
    ("grid purchase cost", "costs", "purchase", "CNY"),
    ("loss cost", "costs", "loss", "CNY"),
    ("network losses", "energy_mwh", "losses", "MWh"),
    ("emissions", "emissions_t", "total", "t CO2"),
)


def _value(result: RunResult, section: str, key: str) -> float:
    return float(result.summary[section][key])


def decomposition_table(results: dict) -> pd.DataFrame:
    """Each step's change of cost, loss and emissions and its share of the total change.

    ``results`` holds runs of scenarios 1, 2, "3a" and "3b". One row per quantity and step:
    the value before and after, the change, and the share of the change from scenario 1 to
    3b (the steps' changes add up to it exactly, as every step starts where the last ended).
    """
    rows = []
    for label, section, key, unit in DECOMPOSED:
        total = _value(results["3b"], section, key) - _value(results[1], section, key)
        for a, b, what in STEPS:
            va, vb = _value(results[a], section, key), _value(results[b], section, key)
            rows.append(
                {
                    "quantity": label,
                    "unit": unit,
                    "step": f"S{a} -> S{b}",
                    "adds": what,
                    "before": va,
                    "after": vb,
                    "change": vb - va,
                    "share_pct": 100.0 * (vb - va) / total if abs(total) > 1e-12 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def footprint_sweep(
    case: str | Case,
    scenario: int | str = 2,
    cuts: Sequence[float] = (0.005, 0.01, 0.015, 0.02),
    periods: int | None = None,
) -> pd.DataFrame:
    """Total cost against a limit on the park's footprint (the price of green metal).

    The first row is the run without a limit; every further row limits the footprint to
    ``(1 - cut)`` times that run's footprint (t CO2 per t Al, consumption-based intensity at
    the park bus plus its own generation). A limit the park cannot reach is kept as a row with
    ``feasible`` False. Returns one row per point: limit, footprint, total cost, the extra cost
    per tonne of CO2 avoided at the park and per tonne of aluminium, emissions, iterations.
    """
    case = case if isinstance(case, Case) else load_case(case)
    base = run(case, scenario=scenario, periods=periods, check_ac=False).summary
    f0 = base["emissions_t"]["park_footprint_t_per_t_al"]
    rows = [_footprint_row(base, np.nan, base)]
    for cut in cuts:
        limit = f0 * (1.0 - cut)
        park = {**case.settings["park"], "footprint_max_t_per_t": limit}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = run(
                    case.with_settings(park=park),
                    scenario=scenario,
                    periods=periods,
                    check_ac=False,
                ).summary
        except InfeasibleError:
            rows.append({"limit_t_per_t": limit, "feasible": False})
            continue
        rows.append(_footprint_row(s, limit, base))
    return pd.DataFrame(rows)


def _footprint_row(s: dict, limit: float, base: dict) -> dict:
    em, em0 = s["emissions_t"], base["emissions_t"]
    extra = s["costs"]["total"] - base["costs"]["total"]
    avoided = em0["park_footprint"] - em["park_footprint"]
    return {
        "limit_t_per_t": limit,
        "feasible": True,
        "footprint_t_per_t": em["park_footprint_t_per_t_al"],
        "park_footprint_t": em["park_footprint"],
        "production_t": em["park_production_t"],
        "total_cost": s["costs"]["total"],
        "extra_cost": extra,
        "extra_cost_per_t_co2": extra / avoided if avoided > 1e-9 else np.nan,
        "extra_cost_per_t_al": extra / em["park_production_t"],
        "emissions_t": em["total"],
        "iterations": len(s["carbon_accounting"]["intensity_changes"]),
        "status": s["status"],
    }


def thermal_dt_study(
    case: str | Case,
    periods: Sequence[int] = (12, 24, 48, 96),
    models: Sequence[str] = ("paper", "quasi_static"),
    scenario: int | str = 2,
) -> pd.DataFrame:
    """The park's flexibility and the cost across time steps, per thermal model.

    For each model and number of periods (dt = horizon / periods): the largest deviation of the
    park's potline power from rated (per unit, up and down), the temperature range, the total
    cost and the checks that failed.
    """
    case = case if isinstance(case, Case) else load_case(case)
    rows = []
    for model in models:
        park = {**case.settings["park"], "thermal_model": model}
        c = case.with_settings(park=park)
        for n in periods:
            r = run(c, scenario=scenario, periods=n, check_ac=False)
            pw = r.solution.value("potline_p_mw").sum(axis=1)
            rated = float(r.data.component("park").p_rated_mw.sum())
            s = r.summary
            rows.append(
                {
                    "thermal_model": model,
                    "periods": n,
                    "dt_h": r.data.dt_h,
                    "p_up_pct": 100.0 * (pw.max() / rated - 1.0),
                    "p_down_pct": 100.0 * (1.0 - pw.min() / rated),
                    "temp_min_c": s["checks"]["eaip_temperature_range_c"][0],
                    "temp_max_c": s["checks"]["eaip_temperature_range_c"][1],
                    "total_cost": s["costs"]["total"],
                    "failed": ",".join(s["checks"]["failed"]),
                }
            )
    return pd.DataFrame(rows)
