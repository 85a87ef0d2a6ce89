"""The ESOP where it lives: its equations read back from a solved scenario 3, each against the
case's own settings (not the code's data): converter loss, capacity, the DC link's balance
and the battery's energy (9), at half-hour periods so that every dt counts."""

from __future__ import annotations

import numpy as np
import pytest

from fdn_alu import load_case, run


@pytest.fixture(scope="module")
def res():
    return run("ieee15", scenario=3, periods=48)


@pytest.fixture(scope="module")
def esop():
    return load_case("ieee15").settings["esop"]


def test_scenario_3_is_exact(res):
    assert res.summary["status"] == "ok"
    assert res.summary["checks"]["failed"] == []


def test_converter_loss_is_its_coefficient_times_the_apparent_power(res, esop):
    e = res.solution.parts["esop"]
    for side in ("i", "j"):
        s_mva = np.hypot(e[f"p_{side}_mw"], e[f"q_{side}_mvar"])
        assert e[f"loss_{side}_mw"] == pytest.approx(esop["loss_coeff"] * s_mva, abs=1e-6)
        assert s_mva.max() <= esop[f"s_{side}_mva"] + 1e-7
    # the converters do work in this scenario (the test has something to judge)
    assert np.hypot(e["p_i_mw"], e["q_i_mvar"]).max() > 0.1


def test_dc_link_balance_losses_are_drawn_from_the_link(res):
    """P_i + P_j + L_i + L_j + P_ch - P_dis = 0 with P the terminals' injections into the AC
    buses: what the link gives the AC side is the battery's net discharge less both losses."""
    e = res.solution.parts["esop"]
    residual = e["p_i_mw"] + e["p_j_mw"] + e["loss_i_mw"] + e["loss_j_mw"]
    residual = residual + e["charge_mw"] - e["discharge_mw"]
    assert np.abs(residual).max() <= 1e-7
    # the losses are positive energy over the day, paid by the AC network
    lost = (e["loss_i_mw"] + e["loss_j_mw"]).sum() * res.data.dt_h
    assert lost > 1e-3


def test_battery_energy_follows_eq_9_with_dt(res, esop):
    b = esop["battery"]
    e = res.solution.parts["esop"]
    dt = res.data.dt_h
    assert dt == 0.5
    energy = e["energy_mwh"]
    assert energy[0] == b["e_init_mwh"]
    step = b["eta_ch"] * e["charge_mw"] * dt - e["discharge_mw"] * dt / b["eta_dis"]
    assert np.diff(energy) == pytest.approx(step, abs=1e-6)
    assert energy.min() >= b["e_min_mwh"] - 1e-6 and energy.max() <= b["e_max_mwh"] + 1e-6
    assert energy[-1] >= b["e_init_mwh"] - 1e-6  # end_rule ge_initial
    assert e["charge_mw"].max() > 0.05 and e["discharge_mw"].max() > 0.05


def test_om_cost_is_eq_18(res, esop):
    """(18): SOP O&M = invest x S x rate / days, battery O&M per kWh and day."""
    sop = esop["sop_invest_per_kva"] * 1000 * (esop["s_i_mva"] + esop["s_j_mva"])
    sop = sop * esop["sop_om_rate_per_year"] / esop["days_per_year"]
    bat = esop["battery_om_per_kwh_day"] * esop["battery"]["e_max_mwh"] * 1000
    days = res.data.horizon_h / 24.0
    assert res.summary["costs"]["esop"] == pytest.approx((sop + bat) * days, rel=1e-9)
