"""The park's equations read back from a solved run, each against the case's own settings
(not the code's data): the power-current relation (1), the thermal window (2), production (3),
the operating states (A1), the park balance (4) and the gas turbine's emissions (14), at
half-hour periods so that every dt counts."""

from __future__ import annotations

import numpy as np
import pytest

from fdn_alu import load_case, run

MJ_PER_MWH = 3600.0


@pytest.fixture(scope="module")
def res():
    return run("ieee15", scenario=2, periods=48)


@pytest.fixture(scope="module")
def park():
    return load_case("ieee15").settings["park"]


def test_run_is_exact(res):
    assert res.summary["status"] == "ok"
    assert res.data.dt_h == 0.5


def test_power_current_relation_1(res, park):
    pk = res.solution.parts["park"]
    for n, line in enumerate(park["potlines"]):
        i_ka = pk["current_ka"][:, n]
        # N (R I^2 + E I): R in micro-ohm, E in V, I in kA -> MW
        p_mw = line["cells"] * (
            line["r_cell_uohm"] * 1e-6 * i_ka**2 + line["e_cell_v"] * 1e-3 * i_ka
        )
        assert pk["potline_p_mw"][:, n] == pytest.approx(p_mw, abs=1e-6)
        assert i_ka.min() >= line["i_min_frac"] * line["i_rated_ka"] - 1e-6
        assert i_ka.max() <= line["i_max_frac"] * line["i_rated_ka"] + 1e-6


def rated_mw(line):
    i = line["i_rated_ka"]
    return line["cells"] * (line["r_cell_uohm"] * 1e-6 * i**2 + line["e_cell_v"] * 1e-3 * i)


def test_thermal_window_2_paper_model(res, park):
    """c m (T_t - T_{t-1}) = (P_t - P_{t-1}) dt, from rated power and the initial temperature;
    the temperature rises when the power does."""
    assert park["thermal_model"] == "paper"
    pk = res.solution.parts["park"]
    dt = res.data.dt_h
    for n, line in enumerate(park["potlines"]):
        c_mj_per_k = park["heat_capacity_mj_per_k_per_cell"] * line["cells"]
        p = np.concatenate([[rated_mw(line)], pk["potline_p_mw"][:, n]])
        temp = np.concatenate([[park["temp_init_c"]], pk["temperature_c"][:, n]])
        assert c_mj_per_k * np.diff(temp) == pytest.approx(np.diff(p) * dt * MJ_PER_MWH, abs=1e-5)
        assert temp.min() >= park["temp_min_c"] - 1e-6 and temp.max() <= park["temp_max_c"] + 1e-6
    assert np.ptp(pk["temperature_c"]) > 1.0  # the window is used


def test_production_3_meets_the_rated_target(res, park):
    pk = res.solution.parts["park"]
    dt, horizon = res.data.dt_h, res.data.horizon_h
    made = target = 0.0
    for n, line in enumerate(park["potlines"]):
        eta = park["eta_rated"] + park["eta_temp_coeff_per_k"] * (
            park["temp_rated_c"] - pk["temperature_c"][:, n]
        )
        made += np.sum(line["cells"] * eta * park["k_al_kg_per_ka_h"] * pk["current_ka"][:, n]) * dt
        target += line["cells"] * park["eta_rated"] * park["k_al_kg_per_ka_h"] * line["i_rated_ka"]
    target *= horizon  # production_target_t = 0: rated production over the horizon
    assert park["production_target_t"] == 0.0
    assert made / 1000.0 == pytest.approx(target / 1000.0, rel=1e-4)


def test_operating_states_a1(res, park):
    pk = res.solution.parts["park"]
    p = np.vstack([[rated_mw(line) for line in park["potlines"]], pk["potline_p_mw"]])
    dp = np.diff(p, axis=0)
    ramp = park["ramp_frac_per_h"] * np.array([rated_mw(line) for line in park["potlines"]])
    assert (np.abs(dp).max(axis=0) <= ramp * res.data.dt_h + 1e-6).all()  # MW/h x dt
    moves = np.sign(np.where(np.abs(dp) > 1e-4, dp, 0.0))
    assert (moves != 0).sum(axis=0).max() <= park["max_adjustments"]
    assert ((moves[:-1] * moves[1:]) < 0).sum() == 0
    assert (moves != 0).sum() > 0  # the potlines do move


def test_park_balance_4_and_turbine_emissions(res, park):
    pk = res.solution.parts["park"]
    supply = pk["pcc_mw"] + pk["pv_mw"] + pk["gas_turbine_mw"]
    supply = supply + pk["battery_discharge_mw"] - pk["battery_charge_mw"]
    assert pk["potline_p_mw"].sum(axis=1) == pytest.approx(supply, abs=1e-6)
    gt = park["gas_turbine"]
    emitted = gt["ci_kg_per_mwh"] * pk["gas_turbine_mw"].sum() * res.data.dt_h / 1000.0
    assert res.summary["emissions_t"]["gas_turbine"] == pytest.approx(emitted, rel=1e-6)
    assert res.summary["costs"]["gas_turbine"] == pytest.approx(
        gt["cost_per_mwh"] * pk["gas_turbine_mw"].sum() * res.data.dt_h, rel=1e-6
    )
    assert emitted > 0.1
