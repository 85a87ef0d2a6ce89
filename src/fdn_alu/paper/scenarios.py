"""The paper's three scenarios, their comparison tables (B2 / B7) and capacity sweeps (B3 / B4)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fdn_alu.cases import Case, load_case
from fdn_alu.cases.scenarios import scenario_key
from fdn_alu.core.run import run
from fdn_alu.results import RunResult

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
    """Capacity sensitivity: one row per (PV scale, storage capacity) point.

    Every point is a full :func:`~fdn_alu.core.run.run` (relax-and-fix, every check); its
    ``status`` and ``checks_failed`` columns say whether its numbers may be used, and
    :meth:`passed` keeps only the points whose checks passed (the rows published).
    """

    table: pd.DataFrame
    elapsed_s: float

    def passed(self) -> pd.DataFrame:
        """The points whose run was ``ok`` or ``warning`` with every check within tolerance."""
        keep = self.table["checks_failed"] == ""
        return self.table[keep].drop(columns=["status", "checks_failed"]).reset_index(drop=True)


def capacity_case(case: Case, pv_scale: float, storage_mwh: float) -> Case:
    """``case`` with every PV's power and inverter rating scaled by ``pv_scale`` and the ESOP
    battery resized to ``storage_mwh`` at the case's energy-to-power ratio."""
    s = case.settings
    pv = [{**p, "p_mw": p["p_mw"] * pv_scale, "s_mva": p["s_mva"] * pv_scale} for p in s["pv"]]
    bat = s["esop"]["battery"]
    p_max = bat["p_max_mw"] * storage_mwh / bat["e_max_mwh"]
    esop = {**s["esop"], "battery": {**bat, "e_max_mwh": storage_mwh, "p_max_mw": p_max}}
    return case.with_settings(pv=pv, esop=esop)


def capacity_sweep(
    case: str | Case,
    pv_scales: Sequence[float] = (0.5, 1.0, 1.5),
    storage_mwh: Sequence[float] = (5.0, 10.0, 15.0),
    periods: int | None = None,
    solver: str = "clarabel",
) -> CapacitySweep:
    """Total cost and emissions of scenario 3 over a grid of PV and ESOP storage capacities.

    PV capacity scales every PV's power (and so its availability) and inverter rating; the
    storage capacity scales the ESOP battery's energy and, at the case's energy-to-power
    ratio, its power (:func:`capacity_case`). Each point is a full run through the same exact
    path and checks as :func:`~fdn_alu.core.run.run`.
    """
    case = case if isinstance(case, Case) else load_case(case)
    t0 = time.perf_counter()
    rows = []
    for scale in pv_scales:
        for e_max in storage_mwh:
            point = capacity_case(case, scale, e_max)
            res = run(point, scenario=3, periods=periods, solver=solver)
            s = res.summary
            rows.append(
                {
                    "pv_scale": scale,
                    "pv_mw": sum(p["p_mw"] for p in point.settings["pv"]),
                    "storage_mwh": e_max,
                    "storage_mw": point.settings["esop"]["battery"]["p_max_mw"],
                    "total_cost": s["costs"]["total"],
                    "carbon_cost": s["costs"]["carbon"],
                    "emissions_t": s["emissions_t"]["total"],
                    "solver_s": s["timings_s"]["solver"],
                    "status": s["status"],
                    "checks_failed": ";".join(s["checks"]["failed"]),
                }
            )
    return CapacitySweep(pd.DataFrame(rows), time.perf_counter() - t0)
