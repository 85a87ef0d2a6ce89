"""End to end: the reduced `fdn-alu reproduce`, the custom-feeder example, figures written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from fdn_alu import InputError, load_case, run
from fdn_alu.cases.matpower_io import matpower_data_dir
from fdn_alu.cli import main
from fdn_alu.core.data import build_model_data
from fdn_alu.paper import figures as plots
from figure_checks import check_case_figures

EXAMPLE = Path(__file__).resolve().parents[1] / "cases" / "examples" / "case33bw.toml"


@pytest.mark.slow
def test_reduced_reproduce_writes_tables_and_figures(tmp_path, monkeypatch):
    # Keep every figure object on its way to disk (then write it as usual) to read its content.
    figs: dict[str, Figure] = {}
    save = plots.save_figure

    def keep(fig, stem):
        figs[Path(stem).name] = fig
        return save(fig, stem)

    monkeypatch.setattr(plots, "save_figure", keep)
    out = tmp_path / "rep"
    assert main(["reproduce", "--out", str(out), "--quick"]) == 0
    index = json.loads((out / "index.json").read_text())
    assert set(index["cases"]) == {"ieee15", "ieee85"}
    pngs = sorted((out / "figures").glob("*.png"))
    assert sorted(p.stem for p in pngs) == sorted(figs)
    assert len(list((out / "figures").glob("*.pdf"))) == len(pngs)
    for case in ("ieee15", "ieee85"):
        mine = {k.removeprefix(f"{case}_"): f for k, f in figs.items() if k.startswith(case)}
        # 8 figures of the paper, the sensitivity and the decomposition; the first case also
        # the footprint and thermal studies
        assert len(mine) == (12 if case == "ieee15" else 10)
        rated = build_model_data(load_case(case), 3).component("park").p_rated_mw.sum()
        check_case_figures(mine, out, case, rated_mw=rated)
        table = pd.read_csv(out / case / "comparison.csv").set_index("quantity")
        # the comparison table states what each run's own summary.json says
        totals = {}
        for s in (1, 2, 3):
            summary = json.loads((out / case / f"s{s}" / "summary.json").read_text())
            totals[s] = summary["costs"]["total"]
            assert table.loc["Total cost", f"scenario_{s}"] == pytest.approx(totals[s], rel=1e-5)
            assert table.loc["Emissions", f"scenario_{s}"] == pytest.approx(
                summary["emissions_t"]["total"], rel=1e-5
            )
        change = 100 * (totals[3] - totals[1]) / totals[1]
        assert table.loc["Total cost", "change_3_vs_1_pct"] == pytest.approx(change, abs=1e-4)
        assert (out / case / "s3" / "esop.csv").is_file()
        sweep = pd.read_csv(out / case / "sensitivity.csv")
        assert len(sweep) == 4
        # More PV lowers cost and emissions (paper's B3/B4 direction), at either storage size.
        for _, g in sweep.groupby("storage_mwh"):
            g = g.sort_values("pv_mw")
            assert g.total_cost.is_monotonic_decreasing and g.emissions_t.is_monotonic_decreasing


def test_custom_feeder_example_end_to_end(tmp_path):
    out = tmp_path / "c33"
    assert main(["run", "--config", str(EXAMPLE), "--scenario", "3", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["checks"]["failed"] == []
    assert s["checks"]["ac_vm_err_max_pu"] <= 1e-5
    assert {p.name for p in out.iterdir()} >= {"esop.csv", "eaip.csv", "buses.csv"}
    buses = pd.read_csv(out / "buses.csv")
    assert buses.bus.nunique() == 33


def test_custom_feeder_validation_lists_every_problem(tmp_path):
    text = (
        EXAMPLE.read_text()
        .replace("bus = 30", "bus = 77")
        .replace('profiles = "day_profiles.csv"', 'profiles = "day_profiles.csv"\nfoo = 1')
    )
    text = text.replace('load_profile = "load_scale"', 'load_profile = "missing_column"')
    (tmp_path / "bad.toml").write_text(text)
    shutil.copy(EXAMPLE.parent / "day_profiles.csv", tmp_path / "day_profiles.csv")
    with pytest.raises(InputError) as info:
        load_case(tmp_path / "bad.toml")
    msg = str(info.value)
    assert "bad.toml [case].foo: unknown key" in msg
    assert "[park].bus: bus 77 is not an in-service bus" in msg
    assert "[network].load_profile: profile column 'missing_column'" in msg


def test_bare_matpower_file_runs():
    """A bare .m feeder gets the default settings (grid supply only)."""
    res = run(str(matpower_data_dir() / "case69.m"), scenario=2, periods=4)
    # Grid supply only: the root imports the loads plus the losses (energy conservation).
    e = res.summary["energy_mwh"]
    assert e["grid_import"] == pytest.approx(e["load"] + e["losses"], rel=1e-7)
    assert e["losses"] == pytest.approx(res.branches.loss_mw.sum() * 6.0, rel=1e-9)  # 6-h steps
    assert res.buses.bus.nunique() == 69
    assert res.summary["checks"]["ac_vm_err_max_pu"] <= 1e-5


def test_capacity_sweep_points_are_full_runs_with_checks():
    from fdn_alu.paper.scenarios import capacity_sweep

    case = load_case("ieee15")
    own = case.settings["esop"]["battery"]["e_max_mwh"]
    sweep = capacity_sweep(case, pv_scales=(1.0,), storage_mwh=(own,), periods=24)
    row = sweep.table.iloc[0]
    assert row.status == "ok" and row.checks_failed == ""
    # the point at the case's own capacities is the case's own run, exactly
    ref = run(case, scenario=3, periods=24).summary
    assert row.total_cost == pytest.approx(ref["costs"]["total"], rel=1e-9)
    assert row.emissions_t == pytest.approx(ref["emissions_t"]["total"], rel=1e-9)
    assert len(sweep.passed()) == 1
    failed = sweep.table.assign(checks_failed="soc_gap_max")
    assert len(type(sweep)(failed, 0.0).passed()) == 0
