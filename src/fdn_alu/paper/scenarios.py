"""The paper's three scenarios, their comparison tables (B2 / B7) and capacity sweeps (B3 / B4)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fdn_alu.cases import Case, load_case
from fdn_alu.cases.scenarios import scenario_key
from fdn_alu.components.esop.data import esop_data
from fdn_alu.core.data import build_model_data
from fdn_alu.core.run import run
from fdn_alu.model.recipe import build_model
from fdn_alu.results import RunResult
from fdn_alu.solve import presolve_start, solve_dispatch
from fdn_alu.solve.sequential import relinearisations

COMPARISON_ROWS = [
    ("costs", "purchase", "Grid purchase cost", "CNY"),
    ("costs", "gas_turbine", "Gas-turbine cost", "CNY"),
    ("costs", "loss", "Loss cost", "CNY"),
    ("costs", "carbon", "Carbon cost", "CNY"),
    ("costs", "eaip", "Park running cost", "CNY"),
    ("costs", "esop", "ESOP O&M cost", "CNY"),
    ("costs", "total", "Total cost", "CNY"),
    ("emissions_t", "total", "Emissions", "t CO2"),
    ("emissions_t", "grid", "Grid emissions", "t CO2"),
    ("emissions_t", "gas_turbine", "Gas-turbine emissions", "t CO2"),
    ("emissions_t", "park", "Park emissions (5)", "t CO2"),
    ("energy_mwh", "grid_import", "Grid energy bought", "MWh"),
    ("energy_mwh", "gas_turbine", "Gas-turbine energy", "MWh"),
    ("energy_mwh", "losses", "Network losses", "MWh"),
]
"""Rows of :func:`comparison_table`: (summary group, key, label, unit). The currency is the
paper's (CNY, the cases' ``[case] currency``)."""


def run_scenarios(
    case: str | Case,
    scenarios: Sequence[int | str] = (1, 2, 3),
    periods: int | None = None,
    solver: str = "clarabel",
    progress: Callable[[str], None] | None = None,
) -> dict[int | str, RunResult]:
    """Run the paper's scenarios on one case (each a full run with checks).

    ``scenarios`` take numbers or names (``("rigid", "flexible")``); the results are keyed by
    the scenario's key in :data:`fdn_alu.cases.scenarios.SCENARIOS` (1, 2, 3, ``"3a"``,
    ``"3b"``), as :func:`comparison_table` reads them.
    """
    case = case if isinstance(case, Case) else load_case(case)
    out = {}
    for value in scenarios:
        t0 = time.perf_counter()
        s = scenario_key(value)
        out[s] = run(case, scenario=s, periods=periods, solver=solver)
        if progress:
            progress(f"{case.name} scenario {s}: {time.perf_counter() - t0:.1f} s")
    return out


def comparison_table(results: dict[int, RunResult]) -> pd.DataFrame:
    """Cost terms, total, emissions and energies by scenario, with the changes of scenario 3.

    Laid out like the paper's tables B2 / B7: one row per quantity, one column per scenario,
    then ``change_3_vs_1_pct`` and ``change_3_vs_2_pct`` (when scenarios 1-3 are present).
    """
    rows = [
        (label, unit, {s: r.summary[group][key] for s, r in results.items()})
        for group, key, label, unit in COMPARISON_ROWS
    ]
    df = pd.DataFrame(
        [
            {"quantity": label, "unit": unit, **{f"scenario_{s}": v for s, v in vals.items()}}
            for label, unit, vals in rows
        ]
    )
    if {1, 2, 3} <= set(results):
        for base in (1, 2):
            ref = df[f"scenario_{base}"]
            df[f"change_3_vs_{base}_pct"] = np.where(
                ref.abs() > 1e-12,
                100.0 * (df["scenario_3"] - ref) / ref.where(ref != 0, 1.0),
                np.nan,
            )
    return df


def to_markdown(df: pd.DataFrame, digits: int = 2) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                text = "" if np.isnan(v) else f"{v:,.{digits}f}"
                # a change of -1e-14 % is no change: never print "-0.00"
                cells.append(text[1:] if text.startswith("-") and not text.strip("-0.,") else text)
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


DIRECTIONS = [
    (
        "scenario 2 total cost <= scenario 1",
        lambda c: c[2]["costs"]["total"] <= c[1]["costs"]["total"] + 1e-6,
    ),
    (
        "emissions scenario 3 < scenario 2",
        lambda c: c[3]["emissions_t"]["total"] < c[2]["emissions_t"]["total"],
    ),
    (
        "emissions scenario 2 <= scenario 1",
        lambda c: c[2]["emissions_t"]["total"] <= c[1]["emissions_t"]["total"] + 1e-9,
    ),
    (
        "scenario 3 has the lowest loss cost",
        lambda c: c[3]["costs"]["loss"] <= min(c[1]["costs"]["loss"], c[2]["costs"]["loss"]),
    ),
    (
        "scenario 3 has the lowest total cost",
        lambda c: c[3]["costs"]["total"] <= min(c[1]["costs"]["total"], c[2]["costs"]["total"]),
    ),
    (
        "scenario 3 buys more grid energy than 1 and 2 (paper: 15-bus)",
        lambda c: (
            c[3]["energy_mwh"]["grid_import"]
            > max(c[1]["energy_mwh"]["grid_import"], c[2]["energy_mwh"]["grid_import"])
        ),
    ),
    (
        "scenario 3 burns less gas than 1 and 2",
        lambda c: (
            c[3]["costs"]["gas_turbine"]
            < min(c[1]["costs"]["gas_turbine"], c[2]["costs"]["gas_turbine"]) - 1e-6
        ),
    ),
]


def check_directions(results: dict[int, RunResult]) -> pd.DataFrame:
    """The paper's qualitative findings (MODEL.md section 8), held or not by our numbers."""
    s = {k: r.summary for k, r in results.items()}
    return pd.DataFrame([{"finding": name, "holds": bool(fn(s))} for name, fn in DIRECTIONS])


@dataclass(frozen=True)
class CapacitySweep:
    """Capacity sensitivity: one row per (PV scale, storage capacity) point."""

    table: pd.DataFrame
    compiled_s: float
    rebuild_s: float | None


def capacity_sweep(
    case: str | Case,
    pv_scales: Sequence[float] = (0.5, 1.0, 1.5),
    storage_mwh: Sequence[float] = (5.0, 10.0, 15.0),
    periods: int | None = None,
    solver: str = "clarabel",
    compare_rebuild: bool = True,
) -> CapacitySweep:
    """Total cost and emissions of scenario 3 over a grid of PV and ESOP storage capacities.

    PV capacity scales every PV's availability and inverter rating; the storage capacity
    scales the ESOP battery's energy and, at the case's energy-to-power ratio, its power.

    The problem is compiled once; every point only changes cvxpy Parameters (PV availability
    and inverter ratings, the ESOP battery's energy limit and its capacity-dependent O&M) and
    re-solves, including the production iterations (all started from one park-only presolve).
    With ``compare_rebuild`` the same number of solves is also timed building the problem
    afresh each time (at the case's own capacities), for the speed comparison.
    """
    case = case if isinstance(case, Case) else load_case(case)
    data = build_model_data(case, 3, periods)
    t0 = time.perf_counter()
    model = build_model(data)
    pv_params = model.blocks["pv"].parameters
    esop_params = model.blocks["esop"].parameters
    starts = {name: presolve_start(model, name) for name in relinearisations(model)}
    base_avail = pv_params["pv_avail_pu"].value.copy()
    base_s = pv_params["pv_s_max_pu"].value.copy()
    rows = []
    for scale in pv_scales:
        for e_max in storage_mwh:
            pv_params["pv_avail_pu"].value = base_avail * scale
            pv_params["pv_s_max_pu"].value = base_s * scale
            settings = dict(case.settings["esop"])
            ratio = e_max / case.settings["esop"]["battery"]["e_max_mwh"]
            p_max = case.settings["esop"]["battery"]["p_max_mw"] * ratio
            settings["battery"] = {**settings["battery"], "e_max_mwh": e_max, "p_max_mw": p_max}
            om = esop_data(settings, data).om_cost_per_day
            esop_params["e_max_mwh"].value = np.array(e_max)
            esop_params["p_max_mw"].value = np.array(p_max)
            esop_params["om_cost"].value = np.array(om)
            info, _ = solve_dispatch(model, solver, starts=starts)
            costs = {k: float(v.value) for k, v in model.costs.items()}
            emis = float(sum(v.value for v in model.emissions_t.values()))
            rows.append(
                {
                    "pv_scale": scale,
                    "pv_mw": scale * sum(p["p_mw"] for p in case.settings["pv"]),
                    "storage_mwh": e_max,
                    "storage_mw": p_max,
                    "total_cost": sum(costs.values()),
                    "carbon_cost": costs["carbon"],
                    "emissions_t": emis,
                    "solver_s": info.solver_s,
                }
            )
    compiled_s = time.perf_counter() - t0
    rebuild_s = None
    if compare_rebuild:
        t1 = time.perf_counter()
        for _ in range(len(rows)):
            fresh = build_model(replace(data))
            solve_dispatch(
                fresh, solver, starts={n: presolve_start(fresh, n) for n in relinearisations(fresh)}
            )
        rebuild_s = time.perf_counter() - t1
    return CapacitySweep(pd.DataFrame(rows), compiled_s, rebuild_s)
