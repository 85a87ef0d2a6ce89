"""The parametrised compilation (solve/compile.py) gives cvxpy's own conic data, entry for entry,
and a re-solve after a Parameter change gives what a fresh compilation gives."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import CLARABEL

from fdn_alu import load_case
from fdn_alu.core.data import build_model_data
from fdn_alu.model.recipe import build_model
from fdn_alu.solve.compile import CLARABEL_SOLVER, PARAMETRISED, Clarabel
from fdn_alu.solve.solver import CANON_BACKEND, solve_model

pytestmark = pytest.mark.skipif(
    not PARAMETRISED, reason=f"cvxpy {cp.__version__}: the solve layer does not use compile.py"
)


def _cone_problem() -> tuple[cp.Problem, cp.Parameter, cp.Parameter]:
    """Equalities, inequalities, SOCs of two sizes, Parameters times variables and in bounds."""
    x = cp.Variable((4, 3), name="x")
    y = cp.Variable(4, name="y")
    a = cp.Parameter((4, 3), name="a", value=np.arange(12.0).reshape(4, 3) / 10 + 1)
    b = cp.Parameter(4, nonneg=True, name="b", value=np.array([1.0, 2.0, 0.5, 3.0]))
    cons = [
        cp.sum(cp.multiply(a, x), axis=1) == b,
        x >= -cp.reshape(b, (4, 1), order="F") @ np.ones((1, 3)),
        y >= cp.square(x[:, 0]) + cp.norm(x[:, 1:], 2, axis=1),
        cp.norm(x, "fro") <= 10,
        y <= 5 * b,
    ]
    obj = cp.Minimize(cp.sum(y) + b @ x[:, 2] + cp.sum(cp.square(x)))
    return cp.Problem(obj, cons), a, b


def _unformatted(problem: cp.Problem):
    """The ParamConeProg before the solver's constraint reordering."""
    _, chain, _ = problem.get_problem_data(CLARABEL_SOLVER, canon_backend=CANON_BACKEND)
    prog = problem
    for reduction in chain.reductions[:-1]:
        prog, _ = reduction.apply(prog)
    return prog


def test_reordering_equals_cvxpy_own():
    problem, _, _ = _cone_problem()
    prog = _unformatted(problem)
    assert prog.parameters, "the tensor must carry Parameter columns"
    ours = Clarabel.format_constraints(prog, CLARABEL.EXP_CONE_ORDER).A
    theirs = CLARABEL.format_constraints(prog, CLARABEL.EXP_CONE_ORDER).A
    assert ours.shape == theirs.shape
    diff = (ours.tocsc() - theirs.tocsc()).tocoo()
    assert diff.nnz == 0 or np.max(np.abs(diff.data)) == 0.0


def test_resolve_after_parameter_change_matches_fresh_compilation():
    problem, a, b = _cone_problem()
    problem.solve(solver=CLARABEL_SOLVER, canon_backend=CANON_BACKEND)
    # the re-solve maps the new values through the reduced tensor alone (compile._drop_tensor)
    assert problem._cache.param_prog.A is None
    a.value = a.value[::-1].copy()
    b.value = np.array([2.0, 0.25, 1.5, 1.0])
    problem.solve(solver=CLARABEL_SOLVER, canon_backend=CANON_BACKEND)
    cached = problem.value
    assert problem.compilation_time is not None
    fresh, a2, b2 = _cone_problem()
    a2.value, b2.value = a.value, b.value
    fresh.solve(solver="CLARABEL", ignore_dpp=True, canon_backend=CANON_BACKEND)
    assert cached == pytest.approx(fresh.value, rel=1e-8)


def test_model_data_equal_to_unparametrised_compilation():
    """ieee15 x 24 scenario 3 (park, storage modes, SOC branches): the conic data of the
    parametrised compilation equal those of ``ignore_dpp=True`` to rounding."""
    model = build_model(build_model_data(load_case("ieee15"), 3, 24), relax_integers=True)
    ours, _, _ = model.problem.get_problem_data(CLARABEL_SOLVER, canon_backend=CANON_BACKEND)
    ref, _, _ = model.problem.get_problem_data(
        "CLARABEL", ignore_dpp=True, canon_backend=CANON_BACKEND
    )
    assert ours["dims"].soc == ref["dims"].soc and ours["dims"].zero == ref["dims"].zero
    assert abs(ours["A"] - ref["A"]).max() <= 1e-12 * abs(ref["A"]).max()
    np.testing.assert_allclose(ours["b"], ref["b"], rtol=0, atol=1e-12 * np.abs(ref["b"]).max())
    np.testing.assert_allclose(ours["c"], ref["c"], rtol=0, atol=1e-12 * np.abs(ref["c"]).max())
    info = solve_model(model)
    assert info.status == "ok"


def _clarabel_data(problem: cp.Problem) -> dict:
    data, _, _ = problem.get_problem_data(
        CLARABEL_SOLVER, canon_backend=CANON_BACKEND, solver_opts={}
    )
    return data


def test_clarabel_call_equals_cvxpy_own_and_releases_the_data():
    """Same iterates as cvxpy's own Clarabel call, first solve and updated re-solve (the
    warm-start update path), bit for bit; cvxpy's copies of the data are gone afterwards and
    the cache holds one solver."""
    problem, a, b = _cone_problem()
    ours_cache, theirs_cache = {}, {}
    for step in range(2):
        if step:
            a.value = a.value[::-1].copy()
            b.value = np.array([2.0, 0.25, 1.5, 1.0])
        data = _clarabel_data(problem)
        theirs = CLARABEL().solve_via_data(dict(data), True, False, {}, theirs_cache)
        ours = CLARABEL_SOLVER.solve_via_data(data, True, False, {}, ours_cache)
        assert not {"A", "b", "c", "P"} & set(data)
        assert ours.iterations == theirs.iterations
        np.testing.assert_array_equal(np.asarray(ours.x), np.asarray(theirs.x))
        np.testing.assert_array_equal(np.asarray(ours.z), np.asarray(theirs.z))
        assert list(ours_cache) == [CLARABEL_SOLVER.name()]


def test_release_solver_drops_the_cached_solver_and_keeps_the_compilation():
    """After release_solver a re-solve builds a new solver on the kept compilation: the same
    objective as the first solve (1e-9) and no recompilation."""
    from fdn_alu.solve.solver import release_solver

    model = build_model(build_model_data(load_case("ieee15"), 2, 24), relax_integers=True)
    solve_model(model)
    first, prog = model.problem.value, model.problem._cache.param_prog
    assert model.problem._solver_cache
    release_solver(model)
    assert not model.problem._solver_cache
    solve_model(model)
    assert model.problem._cache.param_prog is prog
    assert model.problem.value == pytest.approx(first, rel=1e-9)
