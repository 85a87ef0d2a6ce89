"""Carbon emission flow: hand examples, conservation, storage carbon, independent recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fdn_alu import SolverUnavailableError, case_from_net, run, write_results
from fdn_alu.analysis.carbon import CarbonNetwork, Storage, carbon_flow
from fdn_alu.cases.matpower_io import matpower_data_dir
from helpers import flat_profiles, needs_solver, radial_net


def hand_network() -> CarbonNetwork:
    """Two periods of 1 h on four nodes.

    node 0: grid source 1.0 MW at 600 kg/MWh, sends 1.0 MW on branch 0->2 whose loss is 0.1 MW;
    node 1: PV source 0.5 MW (0 kg/MWh), sends 0.5 MW on lossless branch 1->2;
    node 2: receives 0.9 MW at 600 and 0.5 MW at 0:  e_2 = 540 / 1.4 = 385.714285714 kg/MWh;
            serves its load and the link to node 3 (a storage node);
    node 3: period 0 takes 0.4 MW from node 2 and charges it (eta_ch = 0.95, eta_dis = 0.95,
            empty at the start): E_1 = 0.38 MWh, C_1 = 0.4 x e_2 / 1000 = 0.154285714 t;
            period 1 discharges 0.19 MW (0.2 MWh leaves the tank) into node 2 with
            e_dis = (C_1 / E_1) / eta_dis = e_2 / (0.95 x 0.95) = 427.384 kg/MWh;
            C_2 = C_1 x 0.18 / 0.38.
    In period 1 node 2 gets 0.9 at 600, 0.5 at 0 and 0.19 at e_dis:
            e_2 = (540 + 0.19 e_dis) / 1.59.
    """
    p_send = np.array([[1.0, 0.5], [1.0, 0.5]])
    loss = np.array([[0.1, 0.0], [0.1, 0.0]])
    return CarbonNetwork(
        n_nodes=4,
        br_from=np.array([0, 1]),
        br_to=np.array([2, 2]),
        p_send_mw=p_send,
        loss_mw=loss,
        link_from=np.array([2]),
        link_to=np.array([3]),
        link_mw=np.array([[0.4], [-0.19]]),
        src_node=np.array([0, 1]),
        src_mw=np.array([[1.0, 0.5], [1.0, 0.5]]),
        src_ci=np.array([[600.0, 0.0], [600.0, 0.0]]),
        storages=[
            Storage(
                "bat",
                3,
                np.array([0.4, 0.0]),
                np.array([0.0, 0.19]),
                np.array([0.0, 0.38, 0.18]),
                0.0,
                0.95,
            )
        ],
        dt_h=1.0,
    )


def test_hand_example_intensities():
    cr = carbon_flow(hand_network())
    e2_0 = 540.0 / 1.4
    c1 = 0.4 * e2_0 / 1000.0
    e_dis = 1000.0 * (c1 / 0.38) / 0.95  # kg/MWh
    assert cr.node_ci[0] == pytest.approx([600.0, 0.0, e2_0, e2_0], rel=1e-12)
    # Storage charged at e_2 delivers e_2 / (eta_ch eta_dis) (its losses carried along).
    assert cr.storage_discharge_ci["bat"][1] == pytest.approx(e2_0 / 0.95**2, rel=1e-12)
    assert cr.storage_carbon_t["bat"] == pytest.approx([0.0, c1, c1 - 0.2 * c1 / 0.38], rel=1e-12)
    e2_1 = (540.0 + 0.19 * e_dis) / 1.59
    assert cr.node_ci[1, 2] == pytest.approx(e2_1, rel=1e-12)
    assert cr.node_ci[1, 3] == pytest.approx(e_dis, rel=1e-12)  # node 3 only gets discharge
    # Branch densities are the sending nodes'; the loss carries 600 kg/MWh.
    assert cr.branch_ci[0] == pytest.approx([600.0, 0.0])
    assert cr.loss_carbon_t == pytest.approx([0.06, 0.06], rel=1e-12)
    assert cr.balance_rel_err <= 1e-12


def test_hand_example_at_half_hour_periods():
    """The same network over 0.5 h periods: intensities are power ratios (unchanged), every
    carbon quantity is half: the tank holds 0.4 MW x e_2 x 0.5 h after charging."""
    from dataclasses import replace

    base = hand_network()
    st = base.storages[0]
    half = replace(st, energy_mwh=np.array([0.0, 0.19, 0.09]))  # E follows (9) with dt 0.5
    cr = carbon_flow(replace(base, dt_h=0.5, storages=[half]))
    e2_0 = 540.0 / 1.4
    c1 = 0.4 * e2_0 * 0.5 / 1000.0
    e_dis = 1000.0 * (c1 / 0.19) / 0.95
    assert cr.node_ci[0] == pytest.approx([600.0, 0.0, e2_0, e2_0], rel=1e-12)
    assert cr.storage_discharge_ci["bat"][1] == pytest.approx(e_dis, rel=1e-12)
    assert cr.storage_carbon_t["bat"] == pytest.approx(
        [0.0, c1, c1 - 0.19 * e_dis * 0.5 / 1000.0], rel=1e-12
    )
    assert cr.loss_carbon_t == pytest.approx([0.03, 0.03], rel=1e-12)
    assert cr.balance_rel_err <= 1e-12


def test_pv_only_bus_has_zero_and_reverse_flow():
    """A bus fed only by PV has zero intensity, also when its feeder flow is reversed."""
    cn = CarbonNetwork(
        n_nodes=3,
        br_from=np.array([0, 1]),
        br_to=np.array([1, 2]),
        p_send_mw=np.array([[0.5, -0.3]]),
        loss_mw=np.array([[0.01, 0.02]]),
        link_from=np.array([], int),
        link_to=np.array([], int),
        link_mw=np.zeros((1, 0)),
        src_node=np.array([0, 2]),
        src_mw=np.array([[0.5, 0.5]]),
        src_ci=np.array([[500.0, 0.0]]),
    )
    cr = carbon_flow(cn)
    # Bus 2 (PV only) sends 0.32 MW back to bus 1, which receives 0.49 at 500 and 0.3 at 0.
    assert cr.node_ci[0, 2] == 0.0
    assert cr.node_ci[0, 1] == pytest.approx(0.49 * 500 / 0.79, rel=1e-12)
    assert cr.branch_ci[0] == pytest.approx([500.0, 0.0])
    assert cr.balance_rel_err <= 1e-12


def test_grid_only_feeder_has_grid_intensity_everywhere():
    res = run(str(matpower_data_dir() / "case15da.m"), scenario=2)
    ci = res.buses.pivot(index="period", columns="bus", values="ci_kg_per_mwh")
    grid = res.data.component("grid").ci_kg_per_mwh
    assert np.allclose(ci.to_numpy(), grid[:, None], rtol=1e-12)


@pytest.mark.parametrize("case_name", ["ieee15", "ieee85"])
@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_carbon_balance_closes(case_name, scenario):
    res = run(case_name, scenario=scenario, check_ac=scenario == 3)
    s = res.summary
    assert s["checks"]["carbon_balance_rel_err"] <= 1e-9
    # Direct emissions recomputed from the time series: grid import at the grid's intensity,
    # the gas turbine at 577 kg/MWh (1-h periods).
    src = res.sources.set_index(["kind", "period"]).p_mw
    grid_t = res.data.component("grid").ci_kg_per_mwh @ src.loc["grid"].to_numpy() / 1000.0
    gas_t = 577.0 * src.loc["gas_turbine"].sum() / 1000.0
    assert s["emissions_t"]["grid"] == pytest.approx(grid_t, rel=1e-7)
    assert s["emissions_t"]["gas_turbine"] == pytest.approx(gas_t, rel=1e-7, abs=1e-9)
    assert s["emissions_t"]["total"] == pytest.approx(grid_t + gas_t, rel=1e-7)
    if scenario == 3:
        assert s["checks"]["ac_vm_err_max_pu"] <= 1e-5
        assert s["checks"]["soc_gap_max"] <= 1e-6


def recompute_bus_intensity(
    buses: pd.DataFrame, branches: pd.DataFrame, sources: pd.DataFrame
) -> np.ndarray:
    """Independent proportional-sharing solve from the CSV tables only (dense, per period)."""
    out = []
    ids = np.sort(buses.bus.unique())
    pos = {b: k for k, b in enumerate(ids)}
    n = len(ids)
    for t, br in branches.groupby("period"):
        a = np.zeros((n, n))
        rhs = np.zeros(n)
        for row in br.itertuples():
            f, to = pos[row.from_bus], pos[row.to_bus]
            if row.p_from_mw - row.loss_mw > 0:  # received at to_bus, sent by from_bus
                a[to, to] += row.p_from_mw - row.loss_mw
                a[to, f] -= row.p_from_mw - row.loss_mw
            elif row.p_from_mw < 0:  # received at from_bus, sent by to_bus
                a[f, f] += -row.p_from_mw
                a[f, to] -= -row.p_from_mw
        src = sources[(sources.period == t) & sources.bus.notna() & (sources.p_mw > 0)]
        for row in src.itertuples():
            k = pos[int(row.bus)]
            a[k, k] += row.p_mw
            rhs[k] += row.p_mw * row.ci_kg_per_mwh
        idle = np.abs(np.diag(a)) < 1e-12
        a[idle, :] = 0.0
        a[idle, idle] = 1.0
        out.append(np.linalg.solve(a, rhs))
    return np.array(out)


@pytest.mark.parametrize("case_name", ["ieee15", "ieee85"])
def test_intensities_recomputed_from_the_csv_files(case_name, tmp_path):
    res = run(case_name, scenario=3)
    assert res.summary["status"] == "ok"
    out = write_results(res, tmp_path / "r")
    buses = pd.read_csv(out / "buses.csv")
    e = recompute_bus_intensity(
        buses, pd.read_csv(out / "branches.csv"), pd.read_csv(out / "sources.csv")
    )
    reported = buses.pivot(index="period", columns="bus", values="ci_kg_per_mwh").to_numpy()
    assert np.allclose(e, reported, rtol=1e-6, atol=1e-9)
    esop = pd.read_csv(out / "esop.csv")
    assert set(esop.state) <= {"offline", "charging", "discharging"}
    assert (esop.energy_mwh >= 0.5 - 1e-6).all() and esop.energy_mwh.iloc[-1] >= 1.0 - 1e-6


def esop_case():
    """Three-bus feeder 1-2, 1-3 with the ESOP between 2 and 3 and a price spread."""
    net = radial_net([(1, 2, 0.02, 0.03), (1, 3, 0.03, 0.04)], {2: (0.3, 0.1), 3: (0.2, 0.05)})
    prof = flat_profiles(
        6,
        horizon_h=6.0,
        price_per_mwh=[200, 200, 900, 900, 200, 900],
        grid_ci_kg_per_mwh=[450, 450, 680, 680, 450, 680],
    )
    esop = {
        "bus_i": 2,
        "bus_j": 3,
        "s_i_mva": 0.3,
        "s_j_mva": 0.3,
        "battery": {
            "p_max_mw": 0.3,
            "e_max_mwh": 1.0,
            "e_min_mwh": 0.1,
            "e_init_mwh": 0.2,
            "ci_init_kg_per_mwh": 400.0,
        },
    }
    return case_from_net(net, "three_bus_esop", profiles=prof, case={"horizon_h": 6.0}, esop=esop)


def test_esop_shifts_energy_and_carbon():
    res = run(esop_case(), scenario=3)
    s = res.summary
    assert s["status"] == "ok"
    assert s["checks"]["carbon_balance_rel_err"] <= 1e-9
    e = res.table("esop")
    cheap = e.time_h.isin([0.0, 1.0])
    assert e.loc[cheap, "charge_mw"].sum() > 0.1
    assert e.loc[~cheap, "discharge_mw"].sum() > 0.1
    assert s["checks"]["esop_simultaneous_max_mw"] <= 1e-4
    s2 = run(esop_case(), scenario=2).summary
    assert s["costs"]["total"] < s2["costs"]["total"]


@pytest.mark.scip
@needs_solver("scip")
def test_mip_never_charges_and_discharges_at_once():
    try:
        res = run(esop_case(), scenario=3, solver="scip")
    except SolverUnavailableError as exc:
        pytest.skip(str(exc))
    e = res.table("esop")
    assert (np.minimum(e.charge_mw, e.discharge_mw) <= 1e-9).all()
    assert res.summary["checks"]["carbon_balance_rel_err"] <= 1e-9
