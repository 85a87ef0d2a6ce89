"""Optional solvers give the same dispatch as Clarabel; absent or refusing solvers skip cleanly."""

from __future__ import annotations

import pytest

from fdn_alu import SolverUnavailableError, case_from_net, run
from helpers import flat_profiles, needs_solver


def _run_or_skip(case, solver, **kw):
    try:
        return run(case, solver=solver, **kw)
    except SolverUnavailableError as exc:
        pytest.skip(f"{solver} refused: {exc}")


@pytest.mark.scip
@needs_solver("scip")
def test_scip_matches_clarabel_on_ieee15():
    ref = run("ieee15", scenario=2, periods=4).summary
    s = _run_or_skip("ieee15", "scip", scenario=2, periods=4).summary
    assert s["costs"]["total"] == pytest.approx(ref["costs"]["total"], rel=1e-6)
    assert s["checks"]["ac_vm_err_max_pu"] <= 1e-5


@pytest.mark.gurobi
@needs_solver("gurobi")
def test_gurobi_matches_clarabel_on_two_bus(two_bus_net):
    case = case_from_net(two_bus_net, "two_bus", profiles=flat_profiles(1))
    ref = run(case).summary
    s = _run_or_skip(case, "gurobi").summary
    assert s["costs"]["total"] == pytest.approx(ref["costs"]["total"], rel=1e-6)
    assert s["checks"]["ac_vm_err_max_pu"] <= 1e-5
