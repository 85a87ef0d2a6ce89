"""Ancillary services in the daily dispatch after seed 002 §4: S1 (reserves held by the gas
micro-turbine and bought upstream) against S2 (industrial demand response admitted: potlines,
cement mills, batteries), on the IEEE feeders with a cement plant and the turbine's part-load
curve. Reports cost, CO2, who carries which product per hour (stacked figure) and the CO2
benefit table.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from fdn_alu.cases import Case, load_case
from fdn_alu.core.run import run

TURBINE_PART_LOAD = {
    "part_load_pu": [0.25, 0.5, 0.75, 1.0],
    "part_load_rel_efficiency": [0.66, 0.87, 0.96, 1.0],
}
"""Our choice (check): relative electrical efficiency of a recuperated micro-turbine at 25, 50,
75 and 100 % output (the falling part-load efficiency of Capstone C30/C60 technical references
410004/410005). Fuel x / eta_rel(x) is convex; no-load fuel 18 % of rated."""

CEMENT = {
    "ieee15": {"name": "cement", "bus": 13, "cement_t_per_day": 80.0},
    "ieee85": {"name": "cement", "bus": 40, "cement_t_per_day": 150.0},
}
"""Built-in cement plants (our choice): at a load bus far from the root, sized at ~25 % of the
feeder's base load (80 t/day x 87 kWh/t = 0.29 MW mean on ieee15; 150 t/day = 0.54 MW on
ieee85)."""

SCENARIOS = {
    "S1": {"admit": ["gas_turbine"]},
    "S2": {"admit": ["all"]},
}
"""Seed 002 §4: S1, AS by thermal units only (the gas micro-turbine, and purchase upstream from
part-loaded thermal units); S2, industrial demand response admitted."""


def with_reserves(case: Case, admit: list[str] | None = None, cement: bool = True) -> Case:
    """``case`` with the built-in reserve settings: ``[reserves]`` (default products), the
    turbine's part-load curve and, on the IEEE feeders, a cement plant."""
    s = case.settings
    sections: dict = {"reserves": {"admit": list(admit or ["all"])}}
    if s.get("park") and s["park"].get("gas_turbine"):
        park = copy.deepcopy(s["park"])
        park["gas_turbine"].update(TURBINE_PART_LOAD)
        sections["park"] = park
    if cement and case.name in CEMENT and "cement" not in s:
        sections["cement"] = dict(CEMENT[case.name])
    return case.with_settings(**sections)


def run_scenarios(case: str | Case = "ieee15", scenario: int = 3, periods: int | None = None):
    """Run S1 and S2; returns {name: RunResult}."""
    base = case if isinstance(case, Case) else load_case(case)
    return {
        name: run(with_reserves(base, cfg["admit"]), scenario=scenario, periods=periods)
        for name, cfg in SCENARIOS.items()
    }


def benefit_table(results: dict) -> pd.DataFrame:
    """Cost and CO2 of S1 and S2, by term, and the change S2 - S1 (the CO2 benefit), split into
    what the dispatch changed (``CO2 of the dispatch``: grid, turbine and every device) and what
    the assumed upstream factor contributes (``CO2 of the upstream factor``: reserve bought x
    ``purchase_ci_kg_per_mwh``); the two add up to the total."""
    rows = {}
    for name, r in results.items():
        s = r.summary
        c, e = s["costs"], s["emissions_t"]
        res = r.table("reserves")
        local = res[res.provider != "purchase"].mw.sum() * s["dt_h"]
        rows[name] = {
            "total cost (currency)": c["total"],
            "gas-turbine cost (currency)": c["gas_turbine"],
            "reserve purchase cost (currency)": c["reserve_purchase"],
            "emissions total (t CO2)": e["total"],
            "grid emissions (t CO2)": e["grid"],
            "gas-turbine emissions (t CO2)": e["gas_turbine"],
            "upstream reserve CO2 (t CO2)": e["reserve_purchase"],
            # The benefit's two parts: what the dispatch emits (grid, turbine, every device) and
            # the assumed part-load factor times the reserve bought upstream.
            "CO2 of the dispatch (t CO2)": e["total"] - e["reserve_purchase"],
            "CO2 of the upstream factor (t CO2)": e["reserve_purchase"],
            "reserve held locally (MW h)": local,
            "reserve bought (MW h)": s["energy_mwh"]["reserves_bought"],
        }
    df = pd.DataFrame(rows)
    df["S2 - S1"] = df["S2"] - df["S1"]
    df["change %"] = 100 * df["S2 - S1"] / df["S1"].where(df["S1"].abs() > 1e-12)
    return df


def plot_providers(results: dict):
    """Stacked MW of every product by provider per hour, one column per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    products = ["regulation_up", "regulation_down", "spinning", "non_spinning"]
    providers = sorted({p for r in results.values() for p in r.table("reserves").provider.unique()})
    colors = dict(zip(providers, plt.get_cmap("tab10").colors, strict=False))
    fig, axes = plt.subplots(
        len(products), len(results), figsize=(11, 10), sharex=True, squeeze=False
    )
    for j, (name, r) in enumerate(results.items()):
        t = r.table("reserves")
        for i, prod in enumerate(products):
            ax = axes[i, j]
            sub = t[t["product"] == prod].pivot_table(
                index="time_h", columns="provider", values="mw", aggfunc="sum"
            )
            bottom = np.zeros(len(sub))
            for prov in providers:
                if prov in sub and sub[prov].abs().max() > 1e-6:
                    ax.bar(
                        sub.index,
                        sub[prov],
                        bottom=bottom,
                        width=r.summary["dt_h"],
                        align="edge",
                        color=colors[prov],
                        label=prov,
                    )
                    bottom = bottom + sub[prov].to_numpy()
            ax.set_title(f"{name}: {prod.replace('_', ' ')}", fontsize=10)
            ax.set_ylim(bottom=0.0)
            if j == 0:
                ax.set_ylabel("reserve held (MW)")
            if i == len(products) - 1:
                ax.set_xlabel("time of day (h)")
    handles = {}
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles[lab] = h
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=5, fontsize=9)
    fig.suptitle(
        "Who holds which reserve, per hour (S1: turbine + purchase; S2: industrial DR "
        "admitted)\nassumptions: built-in reserve requirements (3 % load + 5 % PV, 3 % load), "
        "prices and cement plant (our choices)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return fig
