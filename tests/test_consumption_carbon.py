"""Consumption-based carbon inside the dispatch (the intensity sequence) and the park's
footprint: convergence on ieee15, a 3-bus feeder checked against brute force, the limit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fdn_alu import case_from_net, load_case, run
from fdn_alu.analysis.carbon import CarbonNetwork, carbon_flow, marginal_intensity
from helpers import flat_profiles, radial_net

PRICE = 300.0  # CNY/MWh in both hours: the energy bill does not favour either hour
CARBON_PRICE = 1000.0  # CNY/t: high, so that carbon decides
E_GRID = (800.0, 400.0)  # kg/MWh in hours 1 and 2
PV_MW = 0.5  # at bus 2 in hour 1 only
LOAD_MW = 0.3  # fixed load at bus 2


def three_bus(accounting: str):
    """Root 1 - bus 2 (0.3 MW load, 0.5 MW PV in hour 1) - bus 3 (a controllable load that
    must draw 1 MWh over the two hours, 0-1 MW). Near-lossless lines (r = 1e-4 pu)."""
    net = radial_net([(1, 2, 1e-4, 1e-4), (2, 3, 1e-4, 1e-4)], {2: (LOAD_MW, 0.0)})
    prof = flat_profiles(
        2,
        horizon_h=2.0,
        price_per_mwh=PRICE,
        grid_ci_kg_per_mwh=list(E_GRID),
        pv_pu=[1.0, 0.0],
    )
    pv = [{"name": "pv2", "bus": 2, "p_mw": PV_MW, "s_mva": 1.0}]
    load = {"name": "flex3", "bus": 3, "p_max_mw": 1.0, "energy_mwh": 1.0}
    grid = {
        "loss_price_per_mwh": 50.0,
        "carbon_price_per_t": CARBON_PRICE,
        "carbon_accounting": accounting,
        "carbon_charged": "flex_load",
    }
    return case_from_net(
        net, "tiny", profiles=prof, case={"horizon_h": 2.0}, grid=grid, pv=[*pv], flex_load=[load]
    )


def flex_carbon_kg(x: float) -> tuple[float, float]:
    """Brute force, lossless: the controllable load draws x in hour 1 and 1 - x in hour 2.
    Returns (carbon charged to it at its bus intensity (kg), the grid energy bought (MWh)),
    the intensities from the toolkit's own carbon flow on the hand-built flows."""
    carbon, bought = 0.0, 0.0
    for hour, draw in enumerate((x, 1.0 - x)):
        pv = min(PV_MW if hour == 0 else 0.0, LOAD_MW + draw)
        grid = LOAD_MW + draw - pv
        cn = CarbonNetwork(
            n_nodes=3,
            br_from=np.array([0, 1]),
            br_to=np.array([1, 2]),
            p_send_mw=np.array([[grid, draw]]),
            loss_mw=np.zeros((1, 2)),
            link_from=np.zeros(0, int),
            link_to=np.zeros(0, int),
            link_mw=np.zeros((1, 0)),
            src_node=np.array([0, 1]),
            src_mw=np.array([[grid, pv]]),
            src_ci=np.array([[E_GRID[hour], 0.0]]),
        )
        carbon += carbon_flow(cn).node_ci[0, 2] * draw
        bought += grid
    return carbon, bought


@pytest.mark.slow
def test_tiny_feeder_sequence_finds_the_brute_force_optimum():
    res = run(three_bus("consumption"), scenario=2)
    s = res.summary
    assert s["checks"]["failed"] == []
    changes = s["carbon_accounting"]["intensity_changes"]
    assert changes[-1] <= 1e-6 and len(changes) < 30
    x_seq = float(res.table("flex_load").p_mw.to_numpy()[0])
    grid_x = np.linspace(0.0, 1.0, 2001)
    evals = [flex_carbon_kg(x) for x in grid_x]
    cost = np.array([PRICE * b + CARBON_PRICE * c / 1000.0 for c, b in evals])
    # The optimum of the non-convex problem (brute force): by hand, with the flat energy price
    # only the carbon charge matters, d/dx [800 x (x - 0.2) / (x + 0.3) + 400 (1 - x)] = 0
    # gives x^2 + 0.6 x - 0.21 = 0, x = 0.2477.
    x_opt = grid_x[np.argmin(cost)]
    assert x_opt == pytest.approx(0.2477, abs=1e-3)
    assert x_seq == pytest.approx(x_opt, abs=1e-3)
    c_seq, c_opt = flex_carbon_kg(x_seq)[0], flex_carbon_kg(x_opt)[0]
    assert c_seq <= c_opt * (1 + 1e-4)
    # Holding the intensities fixed (a price-taker at its bus's average intensity) would stop
    # at the equilibrium instead, where hour 1's bus intensity equals hour 2's:
    # 800 (x - 0.2) / (x + 0.3) = 400, x = 0.7, charging 26 % more.
    e1 = np.array([800.0 * max(x - 0.2, 0.0) / (x + LOAD_MW) for x in grid_x])
    x_eq = grid_x[np.argmin(np.abs(e1 - E_GRID[1]))]
    assert x_eq == pytest.approx(0.7, abs=1e-4)
    assert flex_carbon_kg(x_eq)[0] / c_opt == pytest.approx(400.0 / 318.2, rel=2e-3)
    # The run's own charge is the brute-force charge at its dispatch (to the line losses).
    assert s["carbon_accounting"]["charged_t"] * 1000.0 == pytest.approx(c_seq, rel=1e-4)


@pytest.mark.filterwarnings("ignore:tiny scenario 2")
def test_direct_accounting_on_the_tiny_feeder_avoids_the_dear_hour():
    """Direct accounting prices grid import: 800 vs 400 kg/MWh, so the load avoids hour 1
    beyond what the PV covers (0.2 MW): the opposite corner to the equilibrium."""
    res = run(three_bus("direct"), scenario=2)
    assert float(res.table("flex_load").p_mw.to_numpy()[0]) == pytest.approx(0.2, abs=1e-4)
    assert res.summary["carbon_accounting"]["intensity_changes"] == []


@pytest.mark.slow
def test_ieee15_consumption_sequence_converges():
    case = load_case("ieee15")
    grid = {**case.settings["grid"], "carbon_accounting": "consumption"}
    res = run(case.with_settings(grid=grid), scenario=3, check_ac=False)
    s = res.summary
    changes = s["carbon_accounting"]["intensity_changes"]
    assert s["checks"]["failed"] == [] and s["status"] == "ok"
    assert changes[-1] <= 1e-6 and len(changes) <= 30
    # The charge is the park's footprint at the final intensities (the same carbon flow).
    assert s["carbon_accounting"]["charged_t"] == pytest.approx(
        s["emissions_t"]["park_footprint"], rel=1e-5
    )


def test_marginal_intensity_equals_finite_differences_of_the_carbon_flow():
    """The adjoint formula of :func:`marginal_intensity` against central differences of the
    carbon flow itself: root 0 (grid, 600 kg/MWh) - bus 1 (gas 0.4 MW at 450) with children
    bus 2 (draw 0.5 MW) and bus 3 (PV 0.9 MW, draw 0.3 MW, so it exports 0.6 MW to bus 1).
    One more MW drawn at bus b comes from the root along the path root -> b."""
    draw = np.array([0.0, 0.2, 0.5, 0.3])  # MW charged at each bus
    path = sp.csr_matrix(np.array([[0, 1, 1, 1], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float))
    br_from, br_to = np.array([0, 1, 1]), np.array([1, 2, 3])

    def network(extra: np.ndarray) -> CarbonNetwork:
        d = draw + extra
        p = np.array([d[1] + d[2] + d[3] - 0.4 - 0.9, d[2], d[3] - 0.9])  # lossless branches
        return CarbonNetwork(
            n_nodes=4,
            br_from=br_from,
            br_to=br_to,
            p_send_mw=p[None, :],
            loss_mw=np.zeros((1, 3)),
            link_from=np.zeros(0, int),
            link_to=np.zeros(0, int),
            link_mw=np.zeros((1, 0)),
            src_node=np.array([0, 1, 3]),
            src_mw=np.array([[p[0], 0.4, 0.9]]),
            src_ci=np.array([[600.0, 450.0, 0.0]]),
        )

    def charge(extra: np.ndarray) -> float:
        return float((draw + extra) @ carbon_flow(network(extra)).node_ci[0])

    cn = network(np.zeros(4))
    assert cn.p_send_mw[0, 2] < 0  # bus 3 exports: the reverse-flow rule is exercised
    node_ci = carbon_flow(cn).node_ci
    m = marginal_intensity(cn, node_ci, draw[None, :], path, 0, np.array([600.0]))
    h = 1e-6
    for b in range(1, 4):
        unit = np.eye(4)[b] * h
        fd = (charge(unit) - charge(-unit)) / (2 * h)
        assert m[0, b] == pytest.approx(fd, rel=1e-6, abs=1e-6), b
    assert not np.allclose(m[0, 1:], node_ci[0, 1:4])  # the draws move their intensities
