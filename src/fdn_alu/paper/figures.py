"""Figures: one function per figure, taking results and returning a matplotlib Figure.

Nothing here solves anything. Scenario colours are fixed so that every figure reads the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from fdn_alu.results import RunResult

SCENARIO_STYLE = {
    1: {"color": "#7f7f7f", "label": "S1 rigid", "lw": 3.2, "alpha": 0.6},
    2: {"color": "#1f77b4", "label": "S2 rigid + low-carbon", "lw": 1.8, "ls": "--"},
    3: {"color": "#2ca02c", "label": "S3 flexible (ESOP)", "lw": 1.8},
}
DEAR_HOURS = (9.0, 19.0)


def _shade_dear(ax, result: RunResult) -> None:
    """Shade the high-carbon, dear hours [09:00, 19:00) of the paper's tariff shape."""
    horizon = result.data.periods * result.data.dt_h
    if horizon >= DEAR_HOURS[1]:
        ax.axvspan(*DEAR_HOURS, color="#f4cccc", alpha=0.35, lw=0, label="high-carbon hours")


def _step(ax, result: RunResult, y, **kw):
    t = np.append(result.data.time_h, result.data.time_h[-1] + result.data.dt_h)
    ax.stairs(y, t, baseline=None, **kw)


def _hours_axis(ax, result: RunResult) -> None:
    horizon = result.data.periods * result.data.dt_h
    ax.set_xlim(0, horizon)
    ax.set_xticks(np.arange(0, horizon + 1e-9, 3 if horizon >= 12 else 1))
    ax.set_xlabel("time of day (h)")
    ax.grid(alpha=0.3)


def _scenario_lines(
    results: dict[int, RunResult], series, ylabel: str, title: str, rated_mw: float | None = None
) -> Figure:
    """One step line per scenario over the day, dear hours shaded."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    first = next(iter(results.values()))
    _shade_dear(ax, first)
    if rated_mw is not None:
        ax.axhline(
            rated_mw, color="k", ls="--", lw=1.2, label=f"flat rated schedule ({rated_mw:.3f} MW)"
        )
    for s, r in results.items():
        _step(ax, r, series(r), **SCENARIO_STYLE[s])
    _hours_axis(ax, first)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{first.data.case_name}: {title}")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def plot_grid_purchase(results: dict[int, RunResult]) -> Figure:
    """Grid import by scenario over the day (the paper's Fig. 5)."""
    return _scenario_lines(
        results,
        lambda r: r.solution.value("p_grid_mw"),
        "grid import (MW)",
        "power bought from the main grid",
    )


def plot_park_emissions(results: dict[int, RunResult]) -> Figure:
    """Park emissions per period by scenario, eq. (5) (the paper's Fig. 6 / Fig. 8)."""

    def series(r):
        park = r.table("eaip")[r.table("eaip").potline == "park"]
        return park.emissions_t.to_numpy() / r.data.dt_h

    return _scenario_lines(
        results,
        series,
        "park emissions (t CO$_2$/h)",
        "aluminium-park emissions (PCC + gas turbine + battery)",
    )


def plot_esop_storage(result: RunResult) -> Figure:
    """ESOP stored energy and virtual stored carbon (the paper's Fig. 7)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    e = result.table("esop")
    d = result.data
    t = np.append(0.0, d.time_h + d.dt_h)
    esop = d.component("esop")
    energy = np.append(esop.battery.e_init_mwh, e.energy_mwh.to_numpy())
    carbon = np.append(esop.carbon0_t, e.stored_carbon_t.to_numpy())
    ax.plot(t, energy, "-o", ms=3, color="#1f77b4", label="stored energy (MWh)")
    ax.set_ylabel("stored energy (MWh)", color="#1f77b4")
    ax2 = ax.twinx()
    ax2.plot(t, carbon, "-s", ms=3, color="#d62728", label="virtual stored carbon (t CO$_2$)")
    ax2.set_ylabel("stored carbon (t CO$_2$)", color="#d62728")
    _hours_axis(ax, result)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [x.get_label() for x in lines], frameon=False, fontsize=9, loc="upper left")
    ax.set_title(f"{d.case_name}: ESOP storage energy and stored carbon (scenario 3)")
    fig.tight_layout()
    return fig


def plot_intensity_heatmap(results: dict[int, RunResult]) -> Figure:
    """Nodal carbon intensity, bus x hour, one panel per scenario (the paper's Fig. B3)."""
    n = len(results)
    fig, axes = plt.subplots(
        1, n, figsize=(4.0 * n + 1.2, 4.6), sharey=True, squeeze=False, layout="constrained"
    )
    allv = np.concatenate(
        [r.carbon.node_ci[:, : r.data.net.n_bus].ravel() for r in results.values()]
    )
    vmin, vmax = float(np.min(allv)), float(np.max(allv))
    im = None
    for ax, (s, r) in zip(axes[0], results.items(), strict=True):
        d = r.data
        ci = r.carbon.node_ci[:, : d.net.n_bus]
        order = np.argsort(d.net.bus_ids)
        im = ax.imshow(
            ci[:, order].T,
            aspect="auto",
            origin="lower",
            cmap="viridis",
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
            extent=(0, d.periods * d.dt_h, -0.5, d.net.n_bus - 0.5),
        )
        ticks = np.linspace(0, d.net.n_bus - 1, min(d.net.n_bus, 8)).round().astype(int)
        ax.set_yticks(ticks, [str(b) for b in d.net.bus_ids[order][ticks]])
        ax.set_title(SCENARIO_STYLE[s]["label"], fontsize=10)
        ax.set_xlabel("time of day (h)")
        ax.set_xticks(np.arange(0, d.periods * d.dt_h + 1e-9, 6))
    axes[0][0].set_ylabel("bus")
    cb = fig.colorbar(im, ax=axes[0].tolist(), shrink=0.9)
    cb.set_label("nodal carbon intensity (kg CO$_2$/MWh)")
    fig.suptitle(f"{next(iter(results.values())).data.case_name}: nodal carbon intensity")
    return fig


def plot_gas_turbine(results: dict[int, RunResult]) -> Figure:
    """Park gas-turbine output by scenario (the paper's Fig. B4)."""
    return _scenario_lines(
        results,
        lambda r: r.solution.part("park")["gas_turbine_mw"],
        "gas-turbine output (MW)",
        "park gas micro-turbine",
    )


def plot_potline_power(results: dict[int, RunResult]) -> Figure:
    """Potline power against the flat rated schedule (the paper's Fig. B5)."""
    rated = float(next(iter(results.values())).data.component("park").p_rated_mw.sum())
    return _scenario_lines(
        results,
        lambda r: r.solution.part("park")["potline_p_mw"].sum(axis=1),
        "potline power (MW)",
        "electrolysis load (same daily production)",
        rated_mw=rated,
    )


def plot_esop_flows(result: RunResult) -> Figure:
    """ESOP terminal injections and battery power (the paper's Fig. B6)."""
    d, e = result.data, result.table("esop")
    esop = d.component("esop")
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ids = d.net.bus_ids
    w = d.dt_h * 0.4
    t = d.time_h + d.dt_h / 2
    ax.bar(
        t - w / 2,
        e.p_i_mw,
        width=w,
        color="#9467bd",
        label=f"injection at bus {ids[esop.bus_i]} (MW)",
    )
    ax.bar(
        t + w / 2,
        e.p_j_mw,
        width=w,
        color="#ff7f0e",
        label=f"injection at bus {ids[esop.bus_j]} (MW)",
    )
    ax.plot(
        t, e.charge_mw - e.discharge_mw, "k.-", lw=1, label="battery charge (+) / discharge (−)"
    )
    ax.axhline(0, color="k", lw=0.6)
    _hours_axis(ax, result)
    ax.set_ylabel("power (MW)")
    ax.set_title(f"{d.case_name}: ESOP power flows (scenario 3)")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    fig.tight_layout()
    return fig


def _tree_layout(result: RunResult) -> np.ndarray:
    """(x, y) of every bus: x = depth from the root, y = leaf order of a depth-first walk."""
    net = result.data.net
    children: dict[int, list[int]] = {}
    for f, t in zip(net.from_bus, net.to_bus, strict=True):
        children.setdefault(int(f), []).append(int(t))
    pos = np.zeros((net.n_bus, 2))
    counter = [0.0]

    def place(node: int, depth: int) -> float:
        kids = sorted(children.get(node, []), key=lambda k: net.bus_ids[k])
        if not kids:
            y = counter[0]
            counter[0] += 1.0
        else:
            y = float(np.mean([place(k, depth + 1) for k in kids]))
        pos[node] = (depth, y)
        return y

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * net.n_bus + 100))
    place(net.root, 0)
    return pos


def plot_topology(result: RunResult) -> Figure:
    """Feeder topology with PV, park and ESOP, buses coloured by day-mean nodal intensity
    (the paper's Fig. 4)."""
    d = result.data
    net = d.net
    pv, park, esop = d.component("pv"), d.component("park"), d.component("esop")
    pos = _tree_layout(result)
    fig, ax = plt.subplots(figsize=(9, 5.5 if net.n_bus > 30 else 4.5))
    for f, t in zip(net.from_bus, net.to_bus, strict=True):
        ax.plot(*pos[[f, t]].T, color="#999999", lw=1.2, zorder=1)
    ci = result.carbon.node_ci[:, : net.n_bus].mean(axis=0)
    sc = ax.scatter(
        *pos.T,
        c=ci,
        cmap="viridis",
        s=60 if net.n_bus < 30 else 28,
        edgecolors="k",
        linewidths=0.4,
        zorder=3,
    )
    cb = fig.colorbar(sc, ax=ax, shrink=0.85)
    cb.set_label("day-mean nodal intensity (kg CO$_2$/MWh)")
    ax.scatter(*pos[net.root], marker="*", s=260, color="#d62728", zorder=4, label="substation")
    if len(pv.bus):
        ax.scatter(
            *pos[pv.bus].T,
            marker="^",
            s=140,
            facecolors="none",
            edgecolors="#ff7f0e",
            linewidths=2,
            zorder=4,
            label="PV",
        )
    if park is not None:
        ax.scatter(
            *pos[park.bus],
            marker="s",
            s=230,
            facecolors="none",
            edgecolors="#8c564b",
            linewidths=2.2,
            zorder=4,
            label="aluminium park",
        )
    if esop is not None:
        i, j = esop.bus_i, esop.bus_j
        ax.plot(*pos[[i, j]].T, ls="--", color="#9467bd", lw=2, zorder=2, label="ESOP")
    show = net.n_bus <= 40
    for k in range(net.n_bus):
        special = (
            k in set(pv.bus)
            or (park is not None and k == park.bus)
            or (esop is not None and k in (esop.bus_i, esop.bus_j))
        )
        if show or special:
            ax.annotate(
                str(net.bus_ids[k]),
                pos[k],
                textcoords="offset points",
                xytext=(4, 5),
                fontsize=8 if show else 7,
            )
    ax.set_xlabel("depth from the substation (branches)")
    ax.set_yticks([])
    ax.set_title(f"{d.case_name}: feeder and devices (scenario {d.scenario})")
    ax.legend(frameon=False, fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_sensitivity(table, case_name: str) -> Figure:
    """Total cost and emissions over PV and storage capacities (the paper's B3 / B4 tables)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for pv_mw, g in table.groupby("pv_mw"):
        axes[0].plot(g.storage_mwh, g.total_cost, "-o", label=f"PV {pv_mw:.2f} MW")
        axes[1].plot(g.storage_mwh, g.emissions_t, "-o", label=f"PV {pv_mw:.2f} MW")
    axes[0].set_ylabel("total cost (CNY/day)")
    axes[1].set_ylabel("emissions (t CO$_2$/day)")
    for ax in axes:
        ax.set_xlabel("ESOP storage capacity (MWh)")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=9)
    fig.suptitle(f"{case_name}: capacity sensitivity (scenario 3)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def save_figure(fig: Figure, stem: str | Path) -> list[Path]:
    """Write ``stem.png`` (150 dpi) and ``stem.pdf``; close the figure."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    fig.savefig(out[0], dpi=150)
    fig.savefig(out[1])
    plt.close(fig)
    return out
