"""Fleet figures: one function per figure, each takes results and returns a Figure.

Every figure built on the synthetic price year says so in its title.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fdn_alu.fleet.data import HOURS_PER_DAY
from fdn_alu.fleet.schema import STRATEGY_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from fdn_alu.fleet.results import SeasonResult

_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_COLORS = {"rigid": "0.45", "modulation": "tab:blue", "batch": "tab:orange", "full": "tab:green"}


def _pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend, loaded on first use (a figure is
    the only reason to pay for matplotlib's import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def month_of_day(days: int) -> np.ndarray:
    """(days,) month index 0..11 of each day (non-leap calendar, day 0 = 1 January)."""
    return np.searchsorted(np.cumsum(_MONTH_DAYS), np.arange(days) % 365, side="right")


def _suffix(res: SeasonResult) -> str:
    return "\nSYNTHETIC prices (TOU x season x winter deficit)" if res.data.synthetic else ""


def _scale(v: float, unit: str) -> tuple[float, str]:
    for f, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= f:
            return f, p + unit
    return 1.0, unit


def fig_lines_by_month(res: SeasonResult, strategy: str = "full") -> Figure:
    """Mean number of lines online per month and region (one strategy)."""
    plt = _pyplot()
    fd, sr = res.data, res.strategies[strategy]
    mon = month_of_day(fd.days)
    used = np.unique(mon)
    mean = np.array([sr.nu[mon == k].mean(axis=0) for k in used])  # (months, R)
    R = len(fd.regions)
    if R <= 6:
        fig, ax = plt.subplots(figsize=(8, 4.2))
        for j, reg in enumerate(fd.regions):
            ax.step(used, mean[:, j], where="mid", marker="o", label=f"{reg} ({fd.lines[j]} lines)")
        ax.set_ylim(0, fd.lines.max() + 0.5)
        ax.set_ylabel("lines online (monthly mean)")
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    else:
        fig, ax = plt.subplots(figsize=(9, 0.28 * R + 2.2))
        frac = mean / np.maximum(fd.lines, 1)
        # regions that stop most first; each labelled with its lines, grid intensity and the
        # winter (Dec-Feb) to annual mean price ratio, the data that set the order
        wh = np.repeat(fd.winter, HOURS_PER_DAY)
        winter = fd.price[wh].mean(axis=0) / fd.price.mean(axis=0) if wh.any() else np.ones(R)
        order = np.lexsort((-fd.ci.mean(axis=0), frac.mean(axis=0)))
        im = ax.imshow(frac[:, order].T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_yticks(
            range(R),
            [
                f"{fd.regions[j]} ({fd.lines[j]}; {fd.ci[:, j].mean():.0f} kg/MWh, "
                f"winter price x{winter[j]:.2f})"
                for j in order
            ],
            fontsize=7,
        )
        ax.set_xticks(range(len(used)))
        fig.colorbar(im, ax=ax, label="share of the region's lines online (monthly mean)")
    ax.set_xticks(range(len(used)) if R > 6 else used, [_MONTHS[k] for k in used])
    ax.set_xlabel("month")
    ax.set_title(f"{fd.name}: lines online by month, {STRATEGY_LABELS[strategy]}" + _suffix(res))
    fig.tight_layout()
    return fig


def fig_monthly_energy_price(res: SeasonResult) -> Figure:
    """Monthly energy of each strategy (bars) and the monthly mean price (line)."""
    plt = _pyplot()
    fd = res.data
    mon_h = np.repeat(month_of_day(fd.days), HOURS_PER_DAY)
    used = np.unique(mon_h)
    names = list(res.strategies)
    energy = np.array(
        [[res.strategies[n].p_mw[mon_h == k].sum() for k in used] for n in names]
    )  # MWh
    f, unit = next((f, u) for f, u in ((1e6, "TWh"), (1e3, "GWh"), (1.0, "MWh")) if
                   energy.max() >= f or f == 1.0)  # fmt: skip
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        ax.bar(used + (i - (len(names) - 1) / 2) * width, energy[i] / f, width,
               color=_COLORS[n], label=STRATEGY_LABELS[n])  # fmt: skip
    ax.set_ylabel(f"energy per month ({unit})")
    ax.set_xticks(used, [_MONTHS[k] for k in used])
    ax.set_xlabel("month")
    ax2 = ax.twinx()
    price = np.array([fd.price[mon_h == k].mean() for k in used])
    ax2.plot(used, price, "k--o", label="mean price (all regions)")
    ax2.set_ylabel("mean price (CNY/MWh)")
    ax2.set_ylim(0, price.max() * 1.25)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3,
              fontsize=8)  # fmt: skip
    ax.set_title(f"{fd.name}: monthly energy and price" + _suffix(res))
    fig.tight_layout()
    return fig


def fig_inventory(res: SeasonResult) -> Figure:
    """Metal inventory over the year (inventory mode), or cumulative production minus an even
    share of the target (target mode), summed over regions."""
    plt = _pyplot()
    fd = res.data
    inv_mode = fd.settings["production"]["mode"] == "inventory"
    fig, ax = plt.subplots(figsize=(9, 4.2))
    top = max(abs(sr.inventory_t.sum(axis=1)).max() for sr in res.strategies.values())
    f, unit = _scale(top, "t")
    for n, sr in res.strategies.items():
        ax.plot(np.arange(fd.days), sr.inventory_t.sum(axis=1) / f, color=_COLORS[n],
                label=STRATEGY_LABELS[n])  # fmt: skip
    w = np.flatnonzero(fd.winter)
    if len(w):  # one shaded span per run of winter days (the window may wrap over the year end)
        for run in np.split(w, np.flatnonzero(np.diff(w) > 1) + 1):
            ax.axvspan(run.min() - 0.5, run.max() + 0.5, color="tab:red", alpha=0.1, lw=0)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("day of the year (shaded: winter window)")
    ax.set_ylabel(
        f"metal inventory ({unit})"
        if inv_mode
        else f"cumulative production − even share of target ({unit})"
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(f"{fd.name}: {'inventory' if inv_mode else 'production ahead of target'}"
                 + _suffix(res))  # fmt: skip
    fig.tight_layout()
    return fig


def fig_breakeven(df: pd.DataFrame, res: SeasonResult) -> Figure:
    """Saving of batch + modulation over modulation only vs restart cost and winter premium."""
    plt = _pyplot()
    fd = res.data
    meta = df.attrs.get("meta", {})
    x = np.sort(df["restart_cny_per_line"].unique())
    y = np.sort(df["winter_premium"].unique())
    z = df.pivot(index="winter_premium", columns="restart_cny_per_line", values="saving_cny")
    z = z.loc[y, x].to_numpy()
    fx, ux = _scale(x.max(), "CNY")
    fz, uz = _scale(max(np.abs(z).max(), 1.0), "CNY")
    fig, ax = plt.subplots(figsize=(7.5, 5))
    im = ax.pcolormesh(x / fx, 100 * y, z / fz, shading="nearest", cmap="Greens",
                       vmin=0)  # fmt: skip
    fig.colorbar(im, ax=ax, label=f"saving of batch + modulation over modulation only ({uz})")
    if z.min() <= 0 < z.max() and len(x) > 1 and len(y) > 1:
        cs = ax.contour(x / fx, 100 * y, z, levels=[max(z.max(), 1) * 1e-3], colors="k")
        ax.clabel(cs, fmt={cs.levels[0]: "break-even"}, fontsize=8)
    base_rc = meta.get("base_restart_cny_per_mw", 0.0) * np.mean(fd.line_mw)
    ax.plot(base_rc / fx, 100 * meta.get("base_winter_premium", 0.0), "r*", ms=14,
            label="case settings")  # fmt: skip
    ax.legend(loc="upper right")
    ax.set_xlim(x.min() / fx, x.max() / fx)
    ax.set_ylim(100 * y.min(), 100 * y.max())
    ax.set_xlabel(f"restart cost per line ({ux}; {np.mean(fd.line_mw):.3g} MW lines)")
    ylab = "winter price premium of the synthetic year (%)" if fd.synthetic else (
        "winter price uplift on the given prices (%)")  # fmt: skip
    ax.set_ylabel(ylab)
    ax.set_title(f"{fd.name}: break-even map" + _suffix(res))
    fig.tight_layout()
    return fig


def save_all(res: SeasonResult, out: Path, breakeven: pd.DataFrame | None = None) -> list[Path]:
    """Write every figure as PNG into ``out``; returns the paths."""
    plt = _pyplot()
    figs = {
        "lines_by_month.png": fig_lines_by_month(
            res, "full" if "full" in res.strategies else next(iter(res.strategies))
        ),
        "monthly_energy_price.png": fig_monthly_energy_price(res),
        "inventory.png": fig_inventory(res),
    }
    if breakeven is not None and len(breakeven):
        figs["breakeven.png"] = fig_breakeven(breakeven, res)
    paths = []
    for name, fig in figs.items():
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        paths.append(out / name)
    return paths
