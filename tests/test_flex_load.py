"""The example component (a controllable load): hand-derivable dispatch, its check and table."""

from __future__ import annotations

import numpy as np
import pytest

from fdn_alu import InputError, case_from_net, run
from helpers import flat_profiles, radial_net


def flex_case(energy_mwh: float = 0.5, p_max_mw: float = 0.3):
    """Two buses, 0.1 MW fixed load; a 0.3 MW controllable load at bus 2 that must draw
    ``energy_mwh`` over four 1-h periods priced 200 / 900 / 200 / 900."""
    net = radial_net([(1, 2, 0.01, 0.02)], {2: (0.1, 0.02)})
    prof = flat_profiles(4, horizon_h=4.0, price_per_mwh=[200, 900, 200, 900])
    load = {"name": "pump", "bus": 2, "p_max_mw": p_max_mw, "energy_mwh": energy_mwh}
    return case_from_net(net, "flex", profiles=prof, case={"horizon_h": 4.0}, flex_load=[load])


def test_flex_load_draws_its_energy_in_the_cheap_hours():
    res = run(flex_case(), scenario=2)
    s = res.summary
    assert s["status"] == "ok"
    assert s["checks"]["flex_load_energy_rel_err"] <= 1e-6
    p = res.table("flex_load").p_mw.to_numpy()
    # 0.5 MWh in the two 200-CNY hours; the (convex) loss makes the split even: 0.25 + 0.25.
    assert p == pytest.approx([0.25, 0.0, 0.25, 0.0], abs=1e-5)
    assert s["energy_mwh"]["flex_load"] == pytest.approx(0.5, rel=1e-8)
    # Its draw appears in the bus's net injection and carries the bus's carbon intensity.
    bus2 = res.buses[res.buses.bus == 2]
    assert bus2.p_net_mw.to_numpy() == pytest.approx(-0.1 - p, abs=1e-9)
    assert res.table("flex_load").ci_kg_per_mwh.to_numpy() == pytest.approx(
        bus2.ci_kg_per_mwh.to_numpy()
    )
    assert s["checks"]["carbon_balance_rel_err"] <= 1e-9


def test_flex_load_that_cannot_meet_its_task_is_an_input_error():
    with pytest.raises(InputError, match="cannot be drawn within"):
        run(flex_case(energy_mwh=2.0, p_max_mw=0.3), scenario=2)


def test_a_case_without_the_component_has_no_table():
    net = radial_net([(1, 2, 0.01, 0.02)], {2: (0.1, 0.02)})
    res = run(case_from_net(net, "plain", profiles=flat_profiles(1)))
    assert res.table("flex_load") is None
    assert "flex_load" not in res.tables()
    assert np.isclose(res.summary["energy_mwh"]["flex_load"], 0.0)
