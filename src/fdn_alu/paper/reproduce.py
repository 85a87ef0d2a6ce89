"""``fdn-alu reproduce``: the paper's scenarios on both IEEE cases, tables, figures, sensitivity."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fdn_alu.core.run import run
from fdn_alu.paper import figures as plots
from fdn_alu.paper import figures_beyond as plots_beyond
from fdn_alu.paper.beyond import decomposition_table, footprint_sweep, thermal_dt_study
from fdn_alu.paper.scenarios import (
    capacity_sweep,
    check_directions,
    comparison_table,
    run_scenarios,
    to_markdown,
)
from fdn_alu.results import write_results

FULL_SWEEP = {"pv_scales": (0.5, 1.0, 1.5), "storage_mwh": (5.0, 10.0, 15.0)}
QUICK_SWEEP = {"pv_scales": (0.5, 1.5), "storage_mwh": (5.0, 15.0)}
# Studies beyond the paper, run on the first case only (run time of `fdn-alu reproduce`).
FULL_BEYOND = {"cuts": (0.003, 0.006, 0.009, 0.012, 0.015), "periods": (12, 24, 48, 96)}
QUICK_BEYOND = {"cuts": (0.006,), "periods": (12, 24, 48)}


def reproduce(
    out: str | Path = "reproduce_out",
    cases: Sequence[str] = ("ieee15", "ieee85"),
    periods: int | None = None,
    quick: bool = False,
    solver: str = "clarabel",
    progress: Callable[[str], None] = print,
) -> dict:
    """Run scenarios 1-3 and 3a on each case and write run folders, tables, figures and the
    sweep; on the first case also the studies beyond the paper (footprint limit sweep,
    thermal model across time steps).

    Parameters
    ----------
    out : path
        Output folder: ``CASE/sN/`` run folders (RESULTS.md), ``CASE/comparison.csv|.md``,
        ``CASE/directions.csv``, ``CASE/sensitivity.csv``, ``CASE/decomposition.csv|.md``
        (S1 -> S2 -> S3a -> S3b), ``CASE/footprint.csv``, ``CASE/thermal_dt.csv``,
        ``figures/*.png|.pdf``, ``index.json``.
    quick : bool
        A reduced sensitivity grid (2 x 2) and no rebuild timing; used by the tests.

    Returns
    -------
    dict
        What was written (also saved as ``index.json``).
    """
    out = Path(out)
    figs = out / "figures"
    index: dict = {"cases": {}, "figures": []}
    t_all = time.perf_counter()
    for name in cases:
        progress(f"[{name}] scenarios 1-3 ...")
        results = run_scenarios(
            name, periods=periods, solver=solver, progress=lambda m: progress(f"  {m}")
        )
        entry: dict = {"runs": {}}
        for s, r in results.items():
            entry["runs"][s] = str(write_results(r, out / name / f"s{s}"))
        table = comparison_table(results)
        table.to_csv(out / name / "comparison.csv", index=False, float_format="%.6g")
        (out / name / "comparison.md").write_text(to_markdown(table))
        progress(f"[{name}] scenario 3a (soft open point without its battery) ...")
        split = {
            1: results[1],
            2: results[2],
            "3a": run(name, scenario="3a", periods=periods, solver=solver),
        }
        split["3b"] = results[3]
        entry["runs"]["3a"] = str(write_results(split["3a"], out / name / "s3a"))
        deco = decomposition_table(split)
        deco.to_csv(out / name / "decomposition.csv", index=False, float_format="%.6g")
        (out / name / "decomposition.md").write_text(to_markdown(deco))
        directions = check_directions(results)
        directions.to_csv(out / name / "directions.csv", index=False)
        entry["directions"] = dict(zip(directions.finding, directions.holds, strict=True))
        progress(f"[{name}] figures ...")
        made = [
            ("topology", plots.plot_topology(results[3])),
            ("grid_purchase", plots.plot_grid_purchase(results)),
            ("park_emissions", plots.plot_park_emissions(results)),
            ("esop_storage", plots.plot_esop_storage(results[3])),
            ("intensity_heatmap", plots.plot_intensity_heatmap(results)),
            ("gas_turbine", plots.plot_gas_turbine(results)),
            ("potline_power", plots.plot_potline_power(results)),
            ("esop_flows", plots.plot_esop_flows(results[3])),
        ]
        progress(f"[{name}] capacity sensitivity ...")
        sweep = capacity_sweep(
            name, periods=periods, solver=solver, **(QUICK_SWEEP if quick else FULL_SWEEP)
        )
        # every point with its status; the published table and figure only from passed ones
        sweep.table.to_csv(out / name / "sensitivity.csv", index=False, float_format="%.6g")
        (out / name / "sensitivity.md").write_text(to_markdown(sweep.passed(), digits=3))
        entry["sweep_s"] = sweep.elapsed_s
        entry["sweep_checks_failed"] = int((sweep.table.checks_failed != "").sum())
        made.append(("sensitivity", plots.plot_sensitivity(sweep.passed(), name)))
        made.append(("decomposition", plots_beyond.plot_decomposition(deco, name)))
        if name == cases[0]:
            beyond = QUICK_BEYOND if quick else FULL_BEYOND
            progress(f"[{name}] price of green metal (footprint limits) ...")
            foot = footprint_sweep(name, cuts=beyond["cuts"], periods=periods)
            foot.to_csv(out / name / "footprint.csv", index=False, float_format="%.6g")
            made.append(("footprint", plots_beyond.plot_footprint_sweep(foot, name)))
            progress(f"[{name}] thermal model across time steps ...")
            thermal = thermal_dt_study(name, periods=beyond["periods"])
            thermal.to_csv(out / name / "thermal_dt.csv", index=False, float_format="%.6g")
            made.append(("thermal_dt", plots_beyond.plot_thermal_dt(thermal, name)))
        for fig_name, fig in made:
            paths = plots.save_figure(fig, figs / f"{name}_{fig_name}")
            index["figures"].append(str(paths[0]))
        entry["comparison"] = str(out / name / "comparison.md")
        index["cases"][name] = entry
    index["elapsed_s"] = time.perf_counter() - t_all
    (out / "index.json").write_text(json.dumps(index, indent=2))
    progress(
        f"done in {index['elapsed_s']:.1f} s: tables in {out}/<case>/, "
        f"{len(index['figures'])} figures in {figs}/, index in {out / 'index.json'}"
    )
    return index
