"""Scaling chosen from the feeder (issue 16): the power base, a 5 kW street solved exactly,
independence of the net's own sn_mva, fused zero-impedance branches, a non-converged AC check
failing the run, and infeasibility messages that name only what the case has."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandapower as pp
import pytest

from fdn_alu import run
from fdn_alu.analysis.checks import all_tolerances, dispatch_checks
from fdn_alu.analysis.tolerance import failed_checks
from fdn_alu.cases import case_from_net, load_case
from fdn_alu.cases.matpower_io import matpower_data_dir
from fdn_alu.core.data import build_model_data
from fdn_alu.core.network import feeder_base_mva
from fdn_alu.errors import InfeasibleError
from feeders import FeederSpec, random_feeder
from helpers import flat_profiles


def _street(sn_mva: float = 1.0, p_kw: float = 5.0):
    """0.4 kV street: 3 cable sections of 40 m (0.3 + 0.08j ohm/km), 5 kW at the far end."""
    net = pp.create_empty_network(sn_mva=sn_mva)
    for b in range(4):
        pp.create_bus(net, vn_kv=0.4, index=b)
    pp.create_ext_grid(net, 0, vm_pu=1.0)
    for b in range(3):
        pp.create_line_from_parameters(
            net, b, b + 1, 0.04, 0.3, 0.08, c_nf_per_km=0.0, max_i_ka=1e5
        )
    pp.create_load(net, 3, p_mw=p_kw / 1000, q_mvar=p_kw / 1000 * 0.3)
    return net


def test_base_rule_keeps_the_ieee_cases_base_and_follows_a_street():
    # S_ref = max(loads, devices): ieee15 1.75 MVA of load, ieee85 3.6 MVA -> 1 MVA, as before.
    for name in ("ieee15", "ieee85"):
        assert build_model_data(load_case(name), 3).base_mva == 1.0
    net = _street(sn_mva=100.0)  # 5 kW + 1.5 kvar = 5.22 kVA -> 1 kVA
    assert feeder_base_mva(net) == pytest.approx(1e-3)
    assert feeder_base_mva(net, device_mva=0.02) == pytest.approx(1e-2)
    empty = pp.create_empty_network(sn_mva=7.0)
    assert feeder_base_mva(empty) == 7.0


def test_five_kw_street_is_exact_and_independent_of_the_nets_sn_mva():
    prof = flat_profiles(2)
    out = []
    for sn in (0.001, 1.0, 100.0):
        res = run(case_from_net(_street(sn), "street", profiles=prof), scenario=2)
        c = res.summary["checks"]
        assert res.summary["status"] in ("ok", "warning") and not c["failed"]
        assert c["soc_gap_max"] <= 1e-6 and c["ac_converged"]
        out.append(res)
    # Hand check: I = S / V along the whole street, loss = 3 r I^2 (one phase-equivalent).
    s_mva = np.hypot(5e-3, 1.5e-3)
    r_ohm = 3 * 0.04 * 0.3
    loss_mw = r_ohm * (s_mva / 0.4) ** 2  # V ~ 1 pu: first order, within 2 % of the exact
    got = out[0].solution.loss_mw.sum(axis=1)
    assert got == pytest.approx(np.full(2, loss_mw), rel=0.02)
    for res in out[1:]:
        assert res.summary["objective"] == pytest.approx(out[0].summary["objective"], rel=1e-7)
        assert np.allclose(res.solution.vm_pu, out[0].solution.vm_pu, atol=1e-9)


def test_zero_impedance_branch_is_fused_and_pandapower_converges():
    # case141: branch 86-87 has r = 0, x = 6e-7 pu; 141 x 3 bus-periods -> pandapower NR.
    res = run(str(matpower_data_dir() / "case141.m"), periods=3, ac_method="pandapower")
    c = res.summary["checks"]
    assert res.data.net.fused.sum() == 1
    k = np.flatnonzero(res.data.net.fused)[0]
    ends = {int(res.data.net.bus_ids[res.data.net.from_bus[k]])}
    ends.add(int(res.data.net.bus_ids[res.data.net.to_bus[k]]))
    assert ends == {86, 87}
    assert c["ac_converged"] is True and c["ac_method"] == "pandapower"
    assert c["ac_vm_err_max_pu"] <= 1e-5 and res.summary["status"] == "ok"
    vm = res.solution.vm_pu
    assert np.allclose(vm[:, res.data.net.from_bus[k]], vm[:, res.data.net.to_bus[k]], atol=1e-12)


def test_a_non_converged_ac_check_fails_the_run():
    case = case_from_net(_street(), "street", profiles=flat_profiles(1))
    res = run(case, scenario=2)
    # An injection 1000 times the street's loadability: no AC solution exists.
    bad = replace(res.solution, p_net_mw=res.solution.p_net_mw * 1e4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values, _, ac = dispatch_checks(case.net, res.data, bad, 0.0, True, "pandapower")
    assert ac.converged is False and values["ac_converged"] is False
    assert {"ac_vm_err_max_pu", "ac_loss_rel_err"} <= set(failed_checks(values, all_tolerances()))


def _infeasible(spec: FeederSpec, **over) -> str:
    net, sections, prof = random_feeder(spec)
    sections.update(over)
    with pytest.raises(InfeasibleError) as exc:
        run(case_from_net(net, "f", profiles=prof, **sections), scenario=2)
    return str(exc.value)


def test_device_less_feeder_beyond_loadability_says_the_loads_cannot_be_served():
    # 20 MW at the end of 120 m of 0.4 kV cable (|z| = 0.037 ohm): far beyond V^2 / (2 |z|).
    case = case_from_net(_street(p_kw=20_000.0), "street", profiles=flat_profiles(1))
    with pytest.raises(InfeasibleError) as exc:
        run(case, scenario=2)
    text = str(exc.value)
    assert "the loads cannot be served" in text and "peak 20 MW" in text
    for word in ("potline", "park", "esop", "import limit at", "flex_load", "export"):
        assert word not in text.lower()


def test_root_import_limit_is_named_when_it_binds():
    spec = FeederSpec(vn_kv=20.0, n_bus=10, r_over_x=1.0, load_share=0.5, seed=4)
    text = _infeasible(spec, grid={"p_max_mw": 0.1})
    assert "import limit at the root p_max_mw = 0.1 MW" in text
    assert "cannot be served" not in text and "potline" not in text


def test_line_rating_is_named_when_it_binds():
    spec = FeederSpec(vn_kv=11.0, n_bus=10, r_over_x=1.0, load_share=0.5, seed=5)
    text = _infeasible(spec, network={"max_i_ka": 0.005})
    assert "branch current limit at branch" in text
