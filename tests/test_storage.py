"""Stand-alone battery at a feeder bus: hand-derived arbitrage, its checks, table and carbon."""

from __future__ import annotations

import numpy as np
import pytest

from fdn_alu import InputError, case_from_net, run
from helpers import flat_profiles, radial_net

PRICE = [200.0, 900.0, 200.0, 900.0]


def battery(**kw) -> dict:
    """1 MWh / 1 MW, empty at the start, 90 % each way, stored carbon 400 kg/MWh."""
    b = {
        "name": "b1",
        "bus": 2,
        "p_max_mw": 1.0,
        "e_max_mwh": 1.0,
        "e_init_mwh": 0.0,
        "eta_ch": 0.9,
        "eta_dis": 0.9,
        "ci_init_kg_per_mwh": 400.0,
    }
    return {**b, **kw}


def storage_case(items=None):
    """Two buses (a nearly lossless line), 1.5 MW load at bus 2, four 1-h periods priced
    200 / 900 / 200 / 900 CNY/MWh at a flat 500 kg/MWh."""
    net = radial_net([(1, 2, 1e-4, 2e-4)], {2: (1.5, 0.0)}, sn_mva=10.0)
    prof = flat_profiles(4, horizon_h=4.0, price_per_mwh=PRICE)
    extra = {} if items is None else {"storage": items}
    return case_from_net(net, "bess", profiles=prof, case={"horizon_h": 4.0}, **extra)


@pytest.fixture(scope="module")
def runs():
    return run(storage_case(), scenario=2), run(storage_case([battery()]), scenario=2)


def test_battery_arbitrage_is_the_hand_derived_one(runs):
    base, res = runs
    s = res.summary
    assert s["status"] == "ok"
    st = res.table("storage")
    # Cheap hours: charge at the 1 MW limit (0.9 MWh stored each time); dear hours: deliver
    # all of it, 2 x 0.9 x 0.9 = 1.62 MWh, into the 1.5 MW load (nothing is exported). Which of
    # the two equally priced dear hours delivers a carried-over remainder is a tie (the 0.1 MWh
    # of spare capacity allows it), so the split is asserted only as a total.
    dis = st.discharge_mw.to_numpy()
    assert st.charge_mw.to_numpy() == pytest.approx([1.0, 0.0, 1.0, 0.0], abs=1e-6)
    assert dis[[0, 2]] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert dis.sum() == pytest.approx(1.62, abs=1e-6)
    assert dis.max() <= 0.81 + 0.1 * 0.9 + 1e-6
    assert st.energy_mwh.to_numpy()[-1] == pytest.approx(0.0, abs=1e-6)
    assert s["checks"]["storage_simultaneous_max_mw"] <= 1e-4
    assert s["energy_mwh"]["storage_charge"] == pytest.approx(2.0, abs=1e-6)
    assert s["energy_mwh"]["storage_discharge"] == pytest.approx(1.62, abs=1e-6)
    # Purchase saving 2 x (0.81 x 900 - 1 x 200) = 1058 CNY, up to the change of the line loss
    # (r = 1e-4 pu on 10 MVA: < 1e-3 MW at these flows, i.e. < 2 CNY over the day).
    saving = base.summary["costs"]["purchase"] - s["costs"]["purchase"]
    assert saving == pytest.approx(1058.0, abs=2.0)
    # Its round-trip loss is bought: 2 - 1.62 = 0.38 MWh more at 0.5 t/MWh and 80 CNY/t.
    extra_carbon = s["costs"]["carbon"] - base.summary["costs"]["carbon"]
    assert extra_carbon == pytest.approx(0.38 * 0.5 * 80.0, abs=0.1)
    # Its net injection is in the bus's p_net_mw.
    bus2 = res.buses[res.buses.bus == 2].p_net_mw.to_numpy()
    assert bus2 == pytest.approx(-1.5 + st.p_mw.to_numpy(), abs=1e-9)


def test_battery_carbon_is_hand_derived_and_the_balance_closes(runs):
    _, res = runs
    st = res.table("storage")
    # Charged with 1 MWh at 500 kg/MWh: 0.5 t stored with 0.9 MWh (555.6 kg per stored MWh);
    # each delivered MWh carries 555.6 / 0.9 = 500 / 0.81 = 617.28 kg; empty at the end.
    stored = st.stored_carbon_t.to_numpy()
    assert stored == pytest.approx(st.energy_mwh.to_numpy() * 0.5 / 0.9, abs=1e-6)
    assert stored[-1] == pytest.approx(0.0, abs=1e-6)
    dis_ci = st.discharge_ci_kg_per_mwh.to_numpy()[[1, 3]]
    assert dis_ci == pytest.approx([500.0 / 0.81] * 2, rel=1e-6)
    assert res.summary["checks"]["carbon_balance_rel_err"] <= 1e-9
    rows = res.sources[res.sources.kind == "storage_discharge"]
    assert rows.p_mw.sum() == pytest.approx(1.62, abs=1e-6)
    assert (rows.p_mw * rows.ci_kg_per_mwh).sum() / 1000.0 == pytest.approx(1.0, abs=1e-5)


def test_reactive_support_within_the_inverter_rating():
    # A 0.9 MVA inverter: in the dear hours ||(0.81, Q)|| <= 0.9 caps Q at 0.392 Mvar, and
    # the load's 0.5 Mvar makes supplying Q locally worth it (it lowers the line loss).
    net = radial_net([(1, 2, 0.01, 0.02)], {2: (1.5, 0.5)}, sn_mva=10.0)
    prof = flat_profiles(4, horizon_h=4.0, price_per_mwh=PRICE)
    case = case_from_net(
        net, "bess_q", profiles=prof, case={"horizon_h": 4.0}, storage=[battery(s_max_mva=0.9)]
    )
    res = run(case, scenario=2)
    st = res.table("storage")
    s_mva = np.hypot(st.p_mw.to_numpy(), st.q_mvar.to_numpy())
    assert s_mva.max() <= 0.9 + 1e-6
    assert st.q_mvar.to_numpy().max() > 0.1
    assert res.summary["status"] == "ok"


def test_bad_storage_settings_are_one_input_error():
    with pytest.raises(InputError) as info:
        storage_case([battery(e_init_mwh=2.0), battery(eta_ch=1.5)])
    text = str(info.value)
    assert "e_init_mwh" in text and "eta_ch" in text and "duplicate name" in text
    # Buses are checked against the network once the settings themselves are valid.
    with pytest.raises(InputError, match="bus 99 is not an in-service bus"):
        storage_case([battery(bus=99)])


def test_a_case_without_storage_reports_zeros(runs):
    base, _ = runs
    assert base.table("storage") is None
    assert base.summary["energy_mwh"]["storage_charge"] == 0.0
    assert base.summary["checks"]["storage_simultaneous_max_mw"] is None
