"""Figures of the studies beyond the paper (issue 15): each takes a study table and returns a
matplotlib Figure; nothing here solves anything."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

STEP_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")
THERMAL_STYLE = {
    "paper": {"color": "#d62728", "marker": "o", "label": "paper eq. (2) as printed"},
    "quasi_static": {"color": "#2ca02c", "marker": "s", "label": "quasi-static (tau = 1 h)"},
    "heat_balance": {"color": "#7f7f7f", "marker": "^", "label": "heat balance"},
}


def plot_decomposition(table: pd.DataFrame, case_name: str) -> Figure:
    """Each step's change (S1 -> S2 -> S3a -> S3b) of cost, losses and emissions, as stacked
    bars in percent of the scenario-1 value, with the share of the total change labelled."""
    quantities = list(dict.fromkeys(table.quantity))
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    x = np.arange(len(quantities))
    bottom_pos = np.zeros(len(quantities))
    bottom_neg = np.zeros(len(quantities))
    for k, (step, g) in enumerate(table.groupby("step", sort=False)):
        g = g.set_index("quantity").loc[quantities]
        base = table[table.step == table.step.iloc[0]].set_index("quantity").loc[quantities]
        pct = 100.0 * g.change.to_numpy() / base.before.to_numpy()
        bottom = np.where(pct < 0, bottom_neg, bottom_pos)
        bars = ax.bar(
            x, pct, 0.6, bottom=bottom, color=STEP_COLOURS[k], label=f"{step}: {g.adds.iloc[0]}"
        )
        for bar, share, p in zip(bars, g.share_pct.to_numpy(), pct, strict=True):
            if abs(p) > 1.2:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{share:.0f} %",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white",
                )
        bottom_neg = np.where(pct < 0, bottom_neg + pct, bottom_neg)
        bottom_pos = np.where(pct >= 0, bottom_pos + pct, bottom_pos)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(x, quantities)
    ax.set_ylabel("change from scenario 1 (%)")
    ax.set_title(f"{case_name}: each step's share of the change, S1 -> S2 -> S3a -> S3b")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_footprint_sweep(table: pd.DataFrame, case_name: str) -> Figure:
    """Total cost against the park's footprint limit: the price of green metal."""
    ok = table[table.feasible].sort_values("footprint_t_per_t")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    axes[0].plot(ok.footprint_t_per_t, ok.total_cost, "-o", color="#2ca02c")
    axes[0].set_xlabel("park footprint (t CO$_2$ / t Al, electricity and own fuel)")
    axes[0].set_ylabel("total cost (CNY/day)")
    axes[0].invert_xaxis()
    lim = ok.dropna(subset=["extra_cost_per_t_co2"])
    axes[1].plot(lim.footprint_t_per_t, lim.extra_cost_per_t_al, "-o", color="#1f77b4")
    axes[1].set_xlabel("park footprint limit met (t CO$_2$ / t Al)")
    axes[1].set_ylabel("extra cost (CNY per t Al)")
    axes[1].invert_xaxis()
    for ax in axes:
        ax.grid(alpha=0.3)
    bad = table[~table.feasible]
    note = f"; limits below {bad.limit_t_per_t.max():.2f} t/t infeasible" if len(bad) else ""
    fig.suptitle(f"{case_name}: the price of green metal on the feeder{note}")
    fig.tight_layout()
    return fig


def plot_thermal_dt(table: pd.DataFrame, case_name: str) -> Figure:
    """Potline power band and total cost across time steps, per thermal model."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for model, g in table.groupby("thermal_model", sort=False):
        st = THERMAL_STYLE.get(model, {"label": model})
        g = g.sort_values("dt_h")
        minutes = g.dt_h * 60
        axes[0].plot(minutes, g.p_up_pct, "-", **st)
        axes[0].plot(minutes, -g.p_down_pct, "--", color=st.get("color"), marker=st.get("marker"))
        axes[1].plot(minutes, g.total_cost, "-", **st)
    ref = table[table.thermal_model == "paper"].sort_values("dt_h")
    if len(ref):
        k = ref.p_up_pct.iloc[-1] * ref.dt_h.iloc[-1]
        dts = np.linspace(ref.dt_h.min(), ref.dt_h.max(), 50)
        axes[0].plot(dts * 60, k / dts, ":", color="k", lw=1, label="1/dt")
    axes[0].set_ylabel("largest potline power deviation (% of rated)")
    axes[1].set_ylabel("total cost (CNY/day)")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ticks = sorted(set((table.dt_h * 60).round().astype(int)))
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xlabel("time step (min)")
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=8, title="solid: up, dashed: down", title_fontsize=8)
    fig.suptitle(f"{case_name}: the park's flexibility across time steps (scenario 2)")
    fig.tight_layout()
    return fig


__all__ = ["plot_decomposition", "plot_footprint_sweep", "plot_thermal_dt"]
