"""Content checks of figures, read back from the matplotlib objects: titles, axis labels with
units, the number of series per panel, each series non-empty and finite, legends, and the
plotted data against the result tables the same run wrote (CSV files, read independently)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import StepPatch

# A unit in parentheses at the end of a label: "(MW)", "(t CO$_2$/h)", "(%)", "(h)".
UNIT = re.compile(r"\([^()]*[A-Za-z%$][^()]*\)\s*$")
SCENARIO_LABELS = ("S1 rigid", "S2 rigid + low-carbon", "S3 flexible (ESOP)")


def labels(ax: Axes, x: bool = True, y: bool = True) -> None:
    """Non-empty axis labels ending in a unit (``x`` / ``y`` False: that axis has none)."""
    for want, text in ((x, ax.get_xlabel()), (y, ax.get_ylabel())):
        if want:
            assert UNIT.search(text), f"label without unit: {text!r}"


def title(fig: Figure, ax: Axes | None = None) -> str:
    """The panel's title, else the figure's suptitle; must be non-empty."""
    text = (ax.get_title() if ax is not None else "") or (
        fig._suptitle.get_text() if fig._suptitle else ""
    )
    assert text.strip(), "figure without a title"
    return text


def finite(values, n: int | None = None) -> np.ndarray:
    """A series' values: non-empty, finite, of length ``n`` when given."""
    v = np.asarray(values, dtype=float)
    assert v.size > 0 and np.isfinite(v).all(), v
    assert n is None or len(v) == n, (len(v), n)
    return v


def data_lines(ax: Axes) -> list[Line2D]:
    """Lines drawn in data coordinates (not axhline / axvline references)."""
    return [ln for ln in ax.get_lines() if ln.get_transform() is ax.transData]


def stairs(ax: Axes) -> list[StepPatch]:
    return [p for p in ax.patches if isinstance(p, StepPatch)]


def bars(ax: Axes) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def legend_texts(owner) -> list[str]:
    """Entries of the legend of an Axes (or the figure's legends); a legend must exist."""
    legends = [owner.get_legend()] if isinstance(owner, Axes) else owner.legends
    legends = [lg for lg in legends if lg is not None]
    assert legends, "several series but no legend"
    return [t.get_text() for lg in legends for t in lg.get_texts()]


def panels(fig: Figure) -> list[Axes]:
    """The figure's axes without colorbars."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def colorbar_label(fig: Figure) -> str:
    (cb,) = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    text = cb.get_ylabel() or cb.get_xlabel()
    assert UNIT.search(text), f"colorbar label without unit: {text!r}"
    return text


def _per_period(table: pd.DataFrame, column: str) -> np.ndarray:
    return table.groupby("period")[column].sum().sort_index().to_numpy()


def scenario_stairs(fig: Figure, want: dict[int, np.ndarray], rated: float | None = None):
    """One step line per scenario with the given values, dear hours shaded, a legend."""
    (ax,) = panels(fig)
    title(fig, ax)
    labels(ax)
    steps = stairs(ax)
    assert [p.get_label() for p in steps] == list(SCENARIO_LABELS)
    for p, s in zip(steps, sorted(want), strict=True):
        got = finite(p.get_data().values, len(want[s]))
        assert np.allclose(got, want[s], rtol=1e-8, atol=1e-9), (p.get_label(), got, want[s])
    entries = legend_texts(ax)
    assert set(SCENARIO_LABELS) <= set(entries) and "high-carbon hours" in entries
    refs = [ln for ln in ax.get_lines() if ln not in data_lines(ax)]
    if rated is not None:
        (ref,) = refs
        assert np.allclose(ref.get_ydata(), rated)
    else:
        assert refs == []


def check_case_figures(figs: dict[str, Figure], root: Path, case: str, rated_mw: float) -> None:
    """Every figure ``fdn-alu reproduce`` makes for ``case`` against the CSV tables it wrote
    (``rated_mw``: the potlines' summed rated power, the flat reference schedule)."""
    run = {
        s: {t: pd.read_csv(root / case / f"s{s}" / f"{t}.csv") for t in TABLES} for s in (1, 2, 3)
    }
    esop = pd.read_csv(root / case / "s3" / "esop.csv")
    grid = {
        s: _per_period(r["sources"][r["sources"].kind == "grid"], "p_mw") for s, r in run.items()
    }
    scenario_stairs(figs["grid_purchase"], grid)
    park = {s: r["eaip"][r["eaip"].potline == "park"].sort_values("period") for s, r in run.items()}
    dt = float(np.diff(park[1].time_h.to_numpy())[0])
    emis = {s: p.emissions_t.to_numpy() / dt for s, p in park.items()}
    scenario_stairs(figs["park_emissions"], emis)
    scenario_stairs(figs["gas_turbine"], {s: p.gas_turbine_mw.to_numpy() for s, p in park.items()})
    lines = {s: _per_period(r["eaip"][r["eaip"].potline != "park"], "p_mw") for s, r in run.items()}
    scenario_stairs(figs["potline_power"], lines, rated=rated_mw)
    _esop_figures(figs, esop)
    _heatmap(figs["intensity_heatmap"], {s: r["buses"] for s, r in run.items()})
    _topology(figs["topology"], run[3]["buses"])
    _sensitivity(figs["sensitivity"], pd.read_csv(root / case / "sensitivity.csv"))
    _decomposition(figs["decomposition"], pd.read_csv(root / case / "decomposition.csv"))
    if "footprint" in figs:
        _footprint(figs["footprint"], pd.read_csv(root / case / "footprint.csv"))
        _thermal(figs["thermal_dt"], pd.read_csv(root / case / "thermal_dt.csv"))


TABLES = ("buses", "sources", "eaip")


def _esop_figures(figs: dict[str, Figure], esop: pd.DataFrame) -> None:
    fig = figs["esop_storage"]
    ax, ax2 = panels(fig)
    title(fig, ax)
    labels(ax)
    labels(ax2, x=False)
    (energy,) = data_lines(ax)
    (carbon,) = data_lines(ax2)
    n = len(esop)
    assert np.allclose(finite(energy.get_ydata(), n + 1)[1:], esop.energy_mwh, rtol=1e-8)
    assert np.allclose(finite(carbon.get_ydata(), n + 1)[1:], esop.stored_carbon_t, rtol=1e-8)
    assert len(legend_texts(ax)) == 2
    fig = figs["esop_flows"]
    (ax,) = panels(fig)
    title(fig, ax)
    labels(ax)
    inj_i, inj_j = bars(ax)
    for group, col in ((inj_i, "p_i_mw"), (inj_j, "p_j_mw")):
        heights = finite([b.get_height() for b in group], n)
        assert np.allclose(heights, esop[col], rtol=1e-8, atol=1e-9)
    (battery,) = data_lines(ax)
    net = (esop.charge_mw - esop.discharge_mw).to_numpy()
    assert np.allclose(finite(battery.get_ydata(), n), net, rtol=1e-8, atol=1e-9)
    assert len(legend_texts(ax)) == 3


def _heatmap(fig: Figure, buses: dict[int, pd.DataFrame]) -> None:
    title(fig)
    colorbar_label(fig)
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == list(SCENARIO_LABELS)
    for ax, s in zip(axes, (1, 2, 3), strict=True):
        labels(ax, y=False)
        (im,) = ax.images
        want = buses[s].pivot(index="bus", columns="period", values="ci_kg_per_mwh")
        got = np.asarray(im.get_array(), dtype=float)
        assert got.shape == want.shape and np.isfinite(got).all()
        assert np.allclose(got, want.to_numpy(), rtol=1e-8)
    assert axes[0].get_ylabel() == "bus"


def _topology(fig: Figure, buses: pd.DataFrame) -> None:
    (ax,) = panels(fig)
    title(fig, ax)
    labels(ax, y=False)  # y is the leaf order of the tree walk: no quantity
    colorbar_label(fig)
    nodes = ax.collections[0]
    want = buses.groupby("bus").ci_kg_per_mwh.mean().to_numpy()
    got = finite(nodes.get_array(), len(want))
    assert np.allclose(np.sort(got), np.sort(want), rtol=1e-8)
    n_bus = len(want)
    branch_lines = [ln for ln in data_lines(ax) if ln.get_label().startswith("_")]
    assert len(branch_lines) == n_bus - 1  # radial: one branch per non-root bus
    entries = legend_texts(ax)
    assert {"substation", "PV", "aluminium park", "ESOP"} <= set(entries)


def _sensitivity(fig: Figure, table: pd.DataFrame) -> None:
    title(fig)
    axes = panels(fig)
    assert len(axes) == 2
    for ax, col in zip(axes, ("total_cost", "emissions_t"), strict=True):
        labels(ax)
        lines = data_lines(ax)
        assert len(lines) == table.pv_mw.nunique()
        for ln, (_, g) in zip(lines, table.groupby("pv_mw"), strict=True):
            assert np.allclose(finite(ln.get_xdata(), len(g)), g.storage_mwh)
            assert np.allclose(ln.get_ydata(), g[col], rtol=1e-5)
    assert len(legend_texts(fig)) == table.pv_mw.nunique()


def _decomposition(fig: Figure, table: pd.DataFrame) -> None:
    (ax,) = panels(fig)
    title(fig, ax)
    labels(ax, x=False)  # categorical x: the quantities
    quantities = list(dict.fromkeys(table.quantity))
    assert [t.get_text() for t in ax.get_xticklabels()] == quantities
    groups = bars(ax)
    steps = list(dict.fromkeys(table.step))
    assert len(groups) == len(steps)
    base = table[table.step == steps[0]].set_index("quantity").before
    for group, step in zip(groups, steps, strict=True):
        g = table[table.step == step].set_index("quantity").loc[quantities]
        pct = 100.0 * g.change / base.loc[quantities]
        heights = finite([b.get_height() for b in group], len(quantities))
        assert np.allclose(heights, pct, rtol=1e-4, atol=1e-6)
    assert len(legend_texts(ax)) == len(steps)


def _footprint(fig: Figure, table: pd.DataFrame) -> None:
    title(fig)
    ok = table[table.feasible].sort_values("footprint_t_per_t")
    axes = panels(fig)
    assert len(axes) == 2
    (cost,) = data_lines(axes[0])
    assert np.allclose(finite(cost.get_xdata(), len(ok)), ok.footprint_t_per_t, rtol=1e-5)
    assert np.allclose(cost.get_ydata(), ok.total_cost, rtol=1e-5)
    lim = ok.dropna(subset=["extra_cost_per_t_co2"])
    (extra,) = data_lines(axes[1])
    assert np.allclose(finite(extra.get_ydata(), len(lim)), lim.extra_cost_per_t_al, rtol=1e-5)
    for ax in axes:
        labels(ax)


def _thermal(fig: Figure, table: pd.DataFrame) -> None:
    title(fig)
    band, cost = panels(fig)
    models = list(dict.fromkeys(table.thermal_model))
    # per model an up (solid) and a down (dashed) line, and the 1/dt reference
    assert len(data_lines(band)) == 2 * len(models) + 1
    assert len(data_lines(cost)) == len(models)
    for k, model in enumerate(models):
        g = table[table.thermal_model == model].sort_values("dt_h")
        up, down = data_lines(band)[2 * k : 2 * k + 2]
        assert np.allclose(finite(up.get_xdata(), len(g)), 60 * g.dt_h)
        assert np.allclose(up.get_ydata(), g.p_up_pct, rtol=1e-5)
        assert np.allclose(down.get_ydata(), -g.p_down_pct, rtol=1e-5)
        assert np.allclose(finite(data_lines(cost)[k].get_ydata()), g.total_cost, rtol=1e-5)
    assert len(legend_texts(band)) == len(models) + 1
    for ax in (band, cost):
        labels(ax)
