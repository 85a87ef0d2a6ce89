"""Multi-period dispatch on the IEEE feeders: exactness, AC check, independent re-check."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from fdn_alu import load_case, run, write_results
from fdn_alu.cases.matpower_io import matpower_data_dir


def independent_ac(case_name: str, buses: pd.DataFrame, branches: pd.DataFrame):
    """AC power flow fed only with buses.csv's p_net, q_net and the root's vm (fresh net)."""
    net = load_case(case_name).net.to_pandapower()
    net.load.drop(net.load.index, inplace=True)
    root = int(net.ext_grid.bus.iloc[0])
    worst_dv, loss_ac, loss_opt = 0.0, 0.0, 0.0
    for t, g in buses.groupby("period"):
        net.load.drop(net.load.index, inplace=True)
        for row in g.itertuples():
            pp.create_load(net, int(row.bus), p_mw=-row.p_net_mw, q_mvar=-row.q_net_mvar)
        net.ext_grid.loc[:, "vm_pu"] = float(g.loc[g.bus == root, "vm_pu"].iloc[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.runpp(net, numba=False, tolerance_mva=1e-10)
        vm = net.res_bus.vm_pu.loc[g.bus.to_numpy()].to_numpy()
        worst_dv = max(worst_dv, float(np.abs(vm - g.vm_pu.to_numpy()).max()))
        loss_ac += net.res_line.pl_mw.sum()
        loss_opt += branches.loc[branches.period == t, "loss_mw"].sum()
    return worst_dv, abs(loss_ac - loss_opt) / loss_ac


@pytest.mark.parametrize("case_name", ["ieee15", "ieee85"])
def test_ieee_dispatch_is_exact_and_ac_feasible(case_name, tmp_path):
    res = run(case_name, scenario=2, periods=24)
    ch = res.summary["checks"]
    assert ch["soc_gap_max"] <= 1e-6
    assert ch["ac_vm_err_max_pu"] <= 1e-5
    assert ch["ac_loss_rel_err"] <= 1e-3
    assert ch["carbon_balance_rel_err"] <= 1e-9
    out = write_results(res, tmp_path / "run")
    buses = pd.read_csv(out / "buses.csv")
    branches = pd.read_csv(out / "branches.csv")
    dv, loss_err = independent_ac(case_name, buses, branches)
    assert dv <= 1e-5
    assert loss_err <= 1e-3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok"
    assert buses.vm_pu.min() >= 0.9 - 1e-7
    # Conservation: the net injections of all buses add up to the branch losses, every period.
    net_injection = buses.groupby("period").p_net_mw.sum()
    loss = branches.groupby("period").loss_mw.sum()
    assert np.allclose(net_injection, loss, atol=1e-7)


def test_quarter_hour_periods_work():
    res = run("ieee15", scenario=2, periods=96)
    s = res.summary
    assert s["status"] == "ok"
    # Quarter-hour steps: the purchase is 0.25 h x price x import in every period.
    p_grid = res.sources[res.sources.kind == "grid"].sort_values("period").p_mw.to_numpy()
    price = np.repeat(load_case("ieee15").profiles.price_per_mwh.to_numpy(), 4)
    assert s["costs"]["purchase"] == pytest.approx(0.25 * price @ p_grid, rel=1e-8)
    assert s["checks"]["soc_gap_max"] <= 1e-6 and s["checks"]["ac_vm_err_max_pu"] <= 1e-5
    hourly = run("ieee15", scenario=2, periods=24).summary
    # Step-held profiles: the same daily load energy and production at either resolution.
    assert s["energy_mwh"]["load"] == pytest.approx(hourly["energy_mwh"]["load"], rel=1e-12)
    assert s["checks"]["production_t"] == pytest.approx(hourly["checks"]["production_t"], 1e-4)


def test_zero_resistance_branch_shows_no_false_gap():
    """case141 has a branch with r = 0: its cone must not be reported as a gap."""
    res = run(str(matpower_data_dir() / "case141.m"), scenario=2, periods=4)
    ch = res.summary["checks"]
    assert ch["soc_gap_max"] <= 1e-6
    assert ch["ac_vm_err_max_pu"] <= 1e-5


def test_scenario_1_reports_carbon_ex_post():
    res = run("ieee15", scenario=1)
    s1 = res.summary
    s2 = run("ieee15", scenario=2).summary
    assert s1["costs"]["carbon"] > 0
    # Every cost term recomputed from the time series of the tables and the case's prices.
    case = load_case("ieee15")
    grid, park = case.settings["grid"], case.settings["park"]
    prof = case.profiles
    src = res.sources.set_index(["kind", "period"]).p_mw
    p_grid, gas = src.loc["grid"].to_numpy(), src.loc["gas_turbine"].to_numpy()
    potlines = res.table("eaip")[res.table("eaip").potline != "park"].p_mw.sum()
    dt = 1.0  # 24 periods over the day
    co2_t = (prof.grid_ci_kg_per_mwh.to_numpy() @ p_grid + 577.0 * gas.sum()) * dt / 1000
    want = {
        "purchase": prof.price_per_mwh.to_numpy() @ p_grid * dt,
        "loss": grid["loss_price_per_mwh"] * res.branches.loss_mw.sum() * dt,
        "carbon": grid["carbon_price_per_t"] * co2_t,
        "gas_turbine": park["gas_turbine"]["cost_per_mwh"] * gas.sum() * dt,
        "eaip": park["running_cost_per_mwh"] * potlines * dt,
    }
    assert {k: v for k, v in s1["costs"].items() if v != 0.0} == pytest.approx(
        {**want, "total": sum(want.values())}, rel=1e-6
    )
    assert s1["emissions_t"]["total"] == pytest.approx(co2_t, rel=1e-6)
    assert s2["costs"]["total"] <= s1["costs"]["total"] + 1e-6
    assert s2["emissions_t"]["total"] <= s1["emissions_t"]["total"] + 1e-9


def test_user_net_is_not_mutated():
    case = load_case("ieee15")
    before = case.net.load.copy()
    run(case, scenario=2, periods=2)
    pd.testing.assert_frame_equal(case.net.load, before)


def test_vectorised_ac_sweep_agrees_with_pandapower():
    from fdn_alu.analysis.checks import ac_check, ac_check_sweep

    res = run("ieee85", scenario=3, periods=24, ac_method="pandapower")
    assert res.summary["status"] == "ok"
    nr = ac_check(load_case("ieee85").net, res.data, res.solution)
    sw = ac_check_sweep(res.data, res.solution)
    assert sw.converged and nr.converged
    assert np.abs(sw.vm_ac_pu - nr.vm_ac_pu).max() <= 1e-9
    assert np.abs(sw.loss_ac_mw - nr.loss_ac_mw).max() <= 1e-9
    assert res.summary["checks"]["ac_method"] == "pandapower"
    assert run("ieee85", scenario=2, periods=24).summary["checks"]["ac_method"] == "sweep"
    # Since issue 11 the sweep is the default at every size (pandapower on request).
    assert run("ieee15", scenario=2, periods=24).summary["checks"]["ac_method"] == "sweep"
