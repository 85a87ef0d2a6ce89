"""Outputs of the province-scale ancillary-service benefit: the figure and the result folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fdn_alu.results.folders import write_dir_atomic
from fdn_alu.studies.ancillary.compute import AncillaryResult, reserve_penalty_t_per_mwh


def plot(result: AncillaryResult, pairs=None):
    """Figure: CO2 saved vs year for several (tau, lambda); tau x lambda map; part-load penalty.

    Parameters
    ----------
    result : AncillaryResult
    pairs : sequence of (tau, lambda), optional
        Curves of panel (a); default: tau = lambda for every value present in both scans.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    t = result.table
    taus, lams = sorted(set(t["tau"])), sorted(set(t["lambda"]))
    if pairs is None:
        pairs = [(v, v) for v in taus if v in lams and v > 0]
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.3), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    ax = axes[0]
    cmap = plt.get_cmap("viridis")
    for i, (a, b) in enumerate(pairs):
        s = t[(t["tau"] == a) & (t["lambda"] == b)]
        ax.plot(
            s["year"],
            s["co2_saved_t_per_yr"] / 1e6,
            marker="o",
            ms=3,
            color=cmap(i / max(len(pairs) - 1, 1) * 0.9),
            label=f"τ = {a:g}, λ = {b:g}",
        )
    ax.set_xlabel("year")
    ax.set_ylabel("CO$_2$ saved (Mt/yr)")
    ax.set_title("(a) CO$_2$ saved by industrial AS", fontsize=10)
    ax.grid(alpha=0.3)
    top = t["co2_saved_t_per_yr"].max() / 1e6
    ax.set_ylim(0, 1.45 * top if top > 0 else 1.0)
    ax.legend(fontsize=7.5, frameon=False, ncol=2, loc="upper left")
    ax.xaxis.get_major_locator().set_params(integer=True)

    ax = axes[1]
    y1 = t["year"].max()
    grid = (
        t[t["year"] == y1].pivot(index="lambda", columns="tau", values="co2_saved_t_per_yr") / 1e6
    )
    im = ax.imshow(grid.values, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(grid.columns)), [f"{v:g}" for v in grid.columns], fontsize=8)
    ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index], fontsize=8)
    ax.set_xlabel("transforming factor τ")
    ax.set_ylabel("penetration factor λ")
    ax.set_title(f"(b) CO$_2$ saved in {y1} (Mt/yr)", fontsize=10)
    vmax = np.nanmax(grid.values)
    for (i, j), v in np.ndenumerate(grid.values):
        ax.text(
            j,
            i,
            f"{v:.1f}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v < 0.6 * vmax else "black",
        )
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label="CO$_2$ saved (Mt/yr)")

    ax = axes[2]
    th = result.params.raw["thermal"]
    lo = max(f["part_load_pu"][0] for f in th["fuels"].values())  # no extrapolation
    xs = np.linspace(lo, th["reference_loading_pu"] - 1e-6, 60)
    ax.plot(xs, reserve_penalty_t_per_mwh(result.params, xs) * 1e3, color="0.2")
    xr = th["reserve_loading_pu"]
    e = result.summary["reserve_penalty_t_per_mwh"]
    ax.plot([xr], [e * 1e3], "o", color="C3", label=f"default x$_r$ = {xr:g}: {e * 1e3:.1f} kg")
    ax.set_xlabel("loading of reserve-holding units x$_r$ (pu)")
    ax.set_ylabel("part-load penalty (kg CO$_2$ per MW-h of reserve)")
    ax.set_title(f"(c) part-load penalty (x$_0$ = {th['reference_loading_pu']:g})", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)

    fig.suptitle(
        f"{result.summary['region']}: ancillary services from aluminium and cement, "
        "seed 002 method — ASSUMPTION-BASED ESTIMATE",
        fontsize=11,
    )
    fig.text(
        0.5,
        0.01,
        "Assumptions (sources in assumptions.csv): AS requirement from peak load (regulation "
        f"{result.params.raw['requirement']['regulation_share_of_peak']:.0%}, contingency "
        f"{result.params.raw['requirement']['contingency_share_of_peak']:.0%}); load factor "
        f"{result.params.raw['region']['load_factor']:g};\nS1 holds on part-loaded thermal "
        "units the shares "
        + ", ".join(
            f"{k.replace('_', '-')} {v['on_part_loaded_thermal_share']:.0%}"
            for k, v in result.params.raw["products"].items()
        )
        + "; ramping and start-up fuel not counted.",
        ha="center",
        fontsize=7.5,
        style="italic",
        color="0.3",
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return fig


def write_result(result: AncillaryResult, out) -> Path:
    """Write table.csv, carried.csv, assumptions.csv, summary.json and the figure to ``out``.

    The folder is written atomically through
    :func:`fdn_alu.results.folders.write_dir_atomic` (only an
    absent folder or an earlier fdn_alu result is replaced).
    """

    def fill(tmp: Path):
        result.table.to_csv(tmp / "table.csv", index=False)
        result.carried.to_csv(tmp / "carried.csv", index=False)
        result.assumptions.to_csv(tmp / "assumptions.csv", index=False)
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=1) + "\n")
        fig = plot(result)
        fig.savefig(tmp / "co2_saved.png", dpi=150)
        import matplotlib.pyplot as plt

        plt.close(fig)

    return write_dir_atomic(out, fill, kind="ancillary-benefit")
