"""Recovery of an AC-feasible dispatch when the SOC relaxation is inexact (docs/RECOVERY.md).

The inexact cases are built on purpose: at a negative price, buying more than the loads need
pays, and the relaxed problem "burns" power in fictitious branch losses (l above
(P^2 + Q^2) / u) up to the line ratings; the exact branch-flow problem cannot. The recovered
dispatch is judged by the AC equations themselves, by pandapower's Newton-Raphson on the
user's unchanged net, and against the relaxed bound.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fdn_alu.core.run as run_module
import fdn_alu.solve.recover as recover_module
from fdn_alu import run
from fdn_alu.analysis.checks import ac_check
from fdn_alu.cases import case_from_net
from fdn_alu.cli.run import recovery_line
from fdn_alu.core.data import build_model_data
from fdn_alu.model.recipe import build_model
from fdn_alu.solve import solve_exact
from fdn_alu.solve.compile import CLARABEL_SOLVER
from fdn_alu.solve.nlp import CURRENT_CONE, Derivatives, cone_program
from hard_feeders import hard_feeder
from helpers import esop_section, flat_profiles, radial_net


def tiny_case(price: float = -100.0, periods: int = 2):
    """Three 11 kV cable sections (r = 3x, 0.03 pu each) rated 0.1 kA, 0.8 MW of load, 2 MW of
    PV at the far end, no export: at a negative price the relaxation is inexact."""
    net = radial_net(
        [(1, 2, 0.03, 0.01), (2, 3, 0.03, 0.01), (3, 4, 0.03, 0.01)],
        {2: (0.3, 0.1), 3: (0.3, 0.1), 4: (0.2, 0.05)},
    )
    net.line["max_i_ka"] = 0.1
    return case_from_net(
        net,
        "tiny",
        profiles=flat_profiles(periods, pv_pu=1.0, price_per_mwh=price),
        grid={"allow_export": False, "loss_price_per_mwh": 50.0},
        network={"vm_max_pu": 1.03, "max_i_ka": 0.0},
        pv=[{"name": "a", "bus": 4, "p_mw": 2.0, "s_mva": 2.0}],
    )


def quiet_run(case, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(case, **kw)


def ac_residual_pu2(res) -> float:
    """max |l u_i - P^2 - Q^2| over branches and periods (pu^2)."""
    sol, data = res.solution, res.data
    p, q = sol.p_branch_mw / data.base_mva, sol.q_branch_mvar / data.base_mva
    return float(np.abs(sol.l_pu * sol.u_pu[:, data.net.from_bus] - p**2 - q**2).max())


def assert_recovered(case, res, method: str):
    rec = res.summary["recovery"]
    assert rec["status"] == "recovered" and rec["method"] == method, rec
    assert res.summary["status"] == "ok" and not res.summary["checks"]["failed"]
    assert ac_residual_pu2(res) <= 1e-8
    # pandapower's Newton-Raphson on the user's net (ac_check works on a copy of it)
    ac = ac_check(case.net, res.data, res.solution)
    assert ac.converged and ac.vm_err_max_pu <= 1e-6, ac.vm_err_max_pu
    # the relaxed objective bounds the exact one; the certificate is the relative difference
    assert rec["objective_relaxed"] <= rec["objective_recovered"]
    assert res.summary["objective"] == pytest.approx(rec["objective_recovered"], rel=1e-9)
    gap = (rec["objective_recovered"] - rec["objective_relaxed"]) / abs(rec["objective_recovered"])
    assert rec["gap_rel"] == pytest.approx(gap, rel=1e-12)


def test_inexact_relaxation_is_recovered_by_ipopt():
    case = tiny_case()
    relaxed = quiet_run(case, scenario=2, recover=False)
    assert relaxed.summary["status"] == "check_failed"
    assert relaxed.summary["checks"]["soc_gap_max"] > 0.5  # fictitious losses
    assert relaxed.summary["recovery"]["status"] == "off"
    res = quiet_run(case, scenario=2)
    assert_recovered(case, res, "ipopt")
    rec = res.summary["recovery"]
    # no binary to fix here: the bound is the relaxed run's own objective
    assert rec["objective_relaxed"] == pytest.approx(relaxed.summary["objective"], rel=1e-7)
    gap = relaxed.summary["checks"]["soc_gap_max"]
    assert rec["relaxed_failed"]["soc_gap_max"] == pytest.approx(gap)
    # the fictitious losses are gone: the root buys less than in the relaxed dispatch
    assert rec["objective_recovered"] > rec["objective_relaxed"] + 1.0
    assert any("recovered by ipopt" in n for n in res.summary["notes"])


def test_fallback_convex_restriction_when_ipopt_is_missing(monkeypatch):
    case = tiny_case()
    with_ipopt = quiet_run(case, scenario=2).summary["recovery"]
    monkeypatch.setattr(recover_module, "ipopt_available", lambda: False)
    res = quiet_run(case, scenario=2)
    assert_recovered(case, res, "convex_restriction")
    rec = res.summary["recovery"]
    assert rec["tried"][0] == "ipopt: cyipopt not installed"
    # both methods end at the same optimum of this problem
    assert rec["objective_recovered"] == pytest.approx(with_ipopt["objective_recovered"], rel=1e-6)


def test_failed_recovery_reports_what_was_tried(monkeypatch):
    """Both methods stopped before they can move (IPOPT at 0 iterations, the restriction at 0
    steps): the start point is the relaxed one, which breaks the equality, so the recovery
    fails, the run keeps the relaxed dispatch and says check_failed and what was tried."""
    import fdn_alu.solve.restriction as restriction

    monkeypatch.setitem(recover_module.IPOPT_OPTIONS, "max_iter", 0)
    monkeypatch.setattr(restriction, "MAX_STEPS", 0)
    res = quiet_run(tiny_case(), scenario=2)
    rec = res.summary["recovery"]
    assert rec["status"] == "failed" and rec["method"] is None
    assert res.summary["status"] == "check_failed"
    assert res.summary["checks"]["soc_gap_max"] > 0.5  # the relaxed dispatch, as reported
    assert [t.split(":")[0] for t in rec["tried"]] == ["ipopt", "convex_restriction"]
    assert rec["objective_relaxed"] == pytest.approx(res.summary["objective"], rel=1e-7)
    assert any(
        "recovery of an AC-feasible dispatch failed: ipopt" in n for n in res.summary["notes"]
    )
    assert recovery_line(rec).startswith("relaxation inexact (gap 9.7e-01): recovery failed (ipopt")


def test_exact_relaxation_does_not_run_the_recovery(monkeypatch):
    def refuse(*args, **kw):
        raise AssertionError("recovery ran on an exact relaxation")

    monkeypatch.setattr(run_module, "recover_dispatch", refuse)
    res = quiet_run(tiny_case(price=500.0), scenario=2)
    assert res.summary["status"] == "ok"
    assert res.summary["recovery"]["status"] == "not_needed"
    assert recovery_line(res.summary["recovery"]) is None


@pytest.mark.parametrize("seed", [0])
def test_hard_feeder_with_esop_keeps_the_couplings(seed):
    """A hard feeder (negative sunny-hour prices) with an ESOP and its battery (scenario 3):
    the battery's energy balance over the day and the converters stay in the recovered
    dispatch, and every check (the ESOP's own among them) passes."""
    net, sections, profiles = hard_feeder(seed, periods=8)
    far = sorted(p["bus"] for p in sections["pv"])
    s = 0.3 * float(net.load.p_mw.sum())
    sections["esop"] = esop_section(far[0], 1 if far[0] != 1 else 2, s)
    case = case_from_net(net, "hard", profiles=profiles, **sections)
    relaxed = quiet_run(case, scenario=3, recover=False)
    assert relaxed.summary["status"] == "check_failed"
    res = quiet_run(case, scenario=3)
    assert_recovered(case, res, "ipopt")
    # the day's coupling, eq. (9): E_t = E_(t-1) + eta_ch P_ch dt - P_dis dt / eta_dis
    bat, part = res.data.components["esop"].battery, res.solution.parts["esop"]
    e = part["energy_mwh"]  # from the initial energy on, T + 1 values
    dt = res.data.dt_h
    made = e[:-1] + bat.eta_ch * part["charge_mw"] * dt - part["discharge_mw"] * dt / bat.eta_dis
    assert e[0] == pytest.approx(bat.e_init_mwh)
    assert np.allclose(e[1:], made, atol=1e-7 * s)
    assert e.min() >= 0.4 * s - 1e-7 and e.max() <= 4 * s + 1e-7
    assert res.summary["recovery"]["gap_rel"] >= 0.0


def test_nlp_derivatives_match_finite_differences():
    """Jacobian and Hessian of the current-cone equality from the index arrays against
    central differences of the constraint function (eq. in solve/nlp.py)."""
    data = build_model_data(tiny_case(), 2, None)
    model = build_model(data)
    solve_exact(model, "clarabel")
    raw, _, _ = model.problem.get_problem_data(CLARABEL_SOLVER)
    prog = cone_program(raw, {model.blocks["distflow"].constraints[CURRENT_CONE].id})
    assert prog.exact.sum() == data.periods * data.net.n_branch
    d = Derivatives(prog)
    rng = np.random.default_rng(0)
    x = rng.normal(size=prog.n)
    J = np.zeros((d.m, prog.n))
    np.add.at(J, (d.jac_rows, d.jac_cols), d.jacobian(x))
    eps = 1e-6
    for j in rng.choice(prog.n, 8, replace=False):
        e = np.zeros(prog.n)
        e[j] = eps
        fd = (d.constraints(x + e) - d.constraints(x - e)) / (2 * eps)
        assert np.allclose(J[:, j], fd, atol=1e-6)
    lam = rng.normal(size=d.m)
    H = np.zeros((prog.n, prog.n))
    np.add.at(H, (d.hess_rows, d.hess_cols), d.hessian(lam, 1.0))
    H = H + np.tril(H, -1).T
    for j in rng.choice(prog.n, 8, replace=False):
        e = np.zeros(prog.n)
        e[j] = eps
        Jp = np.zeros((d.m, prog.n))
        Jm = np.zeros((d.m, prog.n))
        np.add.at(Jp, (d.jac_rows, d.jac_cols), d.jacobian(x + e))
        np.add.at(Jm, (d.jac_rows, d.jac_cols), d.jacobian(x - e))
        fd = lam @ (Jp - Jm) / (2 * eps)
        assert np.allclose(H[:, j], fd, atol=1e-5)


def test_recovery_line():
    rec = {
        "status": "recovered",
        "method": "ipopt",
        "gap_rel": 4e-4,
        "relaxed_failed": {"ac_loss_rel_err": 1e-2, "soc_gap_max": 5.2e-3},
        "tried": [],
    }
    assert recovery_line(rec) == (
        "relaxation inexact (gap 5.2e-03): recovered an AC-feasible dispatch, cost +0.04 % "
        "over the relaxed bound (ipopt)"
    )
    failed = {**rec, "status": "failed", "tried": ["ipopt: status -2", "convex_restriction: x"]}
    assert "recovery failed (ipopt: status -2; convex_restriction: x)" in recovery_line(failed)
    other = {**rec, "relaxed_failed": {"esop_converter_loss_gap_max_mw": 0.21}}
    assert recovery_line(other).startswith(
        "relaxation inexact (esop_converter_loss_gap_max_mw 2.1e-01)"
    )


def test_recovered_duals_satisfy_stationarity():
    """The duals written back with the recovered dispatch (for prices such as the reserves')
    are IPOPT's multipliers mapped to the compiled rows: Clarabel's stationarity c + A'z = 0
    holds, and the inequality rows' duals are non-negative."""
    import scipy.sparse as sp

    data = build_model_data(tiny_case(), 2, None)
    model = build_model(data)
    solve_exact(model, "clarabel")
    raw, chain, _ = model.problem.get_problem_data(CLARABEL_SOLVER)
    prog = cone_program(raw, {model.blocks["distflow"].constraints[CURRENT_CONE].id})
    x0, _, _ = recover_module._relaxed_point(raw, chain)
    _, z, _, msg = recover_module._ipopt(prog, x0)
    assert msg.startswith("status 0"), msg
    c = np.asarray(raw["c"])
    assert np.abs(c + sp.csr_array(raw["A"]).T @ z).max() <= 1e-9 * np.abs(c).max()
    dims = raw["dims"]
    assert z[dims.zero : dims.zero + dims.nonneg].min() >= -1e-9 * np.abs(z).max()
