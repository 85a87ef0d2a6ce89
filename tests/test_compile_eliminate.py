"""The elimination of equality rows (solve/eliminate.py) solves the same problem: on a small
feeder-day forced above a lowered threshold, the same objective, primal solution and duals as
the solve without it, and a re-solve after a Parameter change gives a fresh compilation's."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp

from fdn_alu import load_case
from fdn_alu.core.data import build_model_data
from fdn_alu.model.recipe import build_model
from fdn_alu.solve import eliminate, pivots
from fdn_alu.solve.compile import CLARABEL_SOLVER, ELIMINATION, PARAMETRISED
from fdn_alu.solve.solver import CANON_BACKEND, solve_model

pytestmark = pytest.mark.skipif(
    not PARAMETRISED, reason=f"cvxpy {cp.__version__}: the solve layer does not use compile.py"
)


def _solved(data, threshold: int, monkeypatch):
    monkeypatch.setattr(eliminate, "ELIMINATE_MIN_ROWS", threshold)
    model = build_model(data, relax_integers=True)
    info = solve_model(model)
    return model, info


def test_elimination_keeps_objective_solution_and_duals(monkeypatch):
    """ieee15 x 24 scenario 2: DistFlow equalities eliminated (exactly, in rounds), the solve
    equal to the one without to the solver's accuracy, the balances' duals as well."""
    data = build_model_data(load_case("ieee15"), 2, 24)
    ref, ref_info = _solved(data, 2**62, monkeypatch)
    assert ELIMINATION not in "".join(ref.problem._solver_cache)
    ours, info = _solved(data, 0, monkeypatch)
    chain = ours.problem._solver_cache[CLARABEL_SOLVER.name() + ELIMINATION]
    n_eq = sum(c.size for c in ref.problem.constraints if isinstance(c, cp.constraints.Zero))
    assert chain.count > 0.4 * n_eq  # most of the equality rows left the solver's problem
    assert info.status == ref_info.status == "ok"
    assert ours.problem.value == pytest.approx(ref.problem.value, rel=1e-9)
    # the network's state and the duals of the eliminated families (the node balances and the
    # voltage drop: unique here; some device duals are not, and differ between any two solves)
    mine, theirs = ours.blocks["distflow"], ref.blocks["distflow"]
    for name, var in theirs.variables.items():
        np.testing.assert_allclose(mine.variables[name].value, var.value, rtol=1e-6, atol=1e-6)
    for name in ("distflow-p_balance", "distflow-q_balance", "distflow-voltage_drop"):
        d = theirs.constraints[name].dual_value
        scale = float(np.abs(d).max())
        np.testing.assert_allclose(mine.constraints[name].dual_value, d, rtol=0, atol=1e-6 * scale)


def test_expand_restores_the_eliminated_rows_exactly():
    """A random sparse system: the expanded x satisfies every eliminated equality to
    rounding, and the expanded z satisfies the eliminated columns' stationarity."""
    rng = np.random.default_rng(3)
    m, n, n_zero = 60, 40, 25
    A = sp.random_array((m, n), density=0.08, random_state=rng, format="csc")
    A = sp.csc_array(A + sp.eye_array(m, n, format="csc"))
    b, q = rng.normal(size=m), rng.normal(size=n)
    A_red, b_red, q_red, _, chain = eliminate.eliminate(A, b, q, None, n_zero, rounds=3)
    assert chain.count > 0
    assert A_red.shape == (m - chain.count, n - chain.count)
    x_red, z_red = rng.normal(size=n - chain.count), rng.normal(size=m - chain.count)
    s_red = b_red - A_red @ x_red
    x, s, z = eliminate.expand_chain(chain, x_red, s_red, z_red)
    # the eliminated rows hold exactly (s = 0), the kept ones give the reduced slack
    np.testing.assert_allclose(A @ x + s, b, rtol=0, atol=1e-12)
    # stationarity: the reduced problem's residual, zero in every eliminated column
    r_full = q + A.T @ z
    eliminated = np.ones(n, bool)
    eliminated[_kept_columns(chain, n)] = False
    np.testing.assert_allclose(r_full[eliminated], 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r_full[~eliminated], q_red + A_red.T @ z_red, rtol=0, atol=1e-12)
    assert q @ x == pytest.approx(q_red @ x_red + chain.offset, rel=1e-12)


def _kept_columns(chain: eliminate.Chain, n: int) -> np.ndarray:
    """Original indices of the variables the last round keeps."""
    index = np.arange(n)
    for st in chain.stages:
        index = index[st.kept_cols()]
    return index


def test_resolve_with_elimination_matches_fresh_compilation(monkeypatch):
    """A Parameter change re-solves through the cached compilation (its tensor in a
    file-backed map) and the same pivots: the objective of a fresh unparametrised compilation."""
    monkeypatch.setattr(eliminate, "ELIMINATE_MIN_ROWS", 0)
    x = cp.Variable(6, name="x")
    y = cp.Variable(6, name="y")
    a = cp.Parameter(6, name="a", value=np.linspace(1.0, 2.0, 6))
    cons = [
        x[1:] == x[:-1] + y[1:],
        x[0] == a[0],
        cp.SOC(x + 3.0, cp.vstack([y, a]), axis=0),
        y >= -a,
    ]
    problem = cp.Problem(cp.Minimize(a @ x + cp.sum(y)), cons)
    problem.solve(solver=CLARABEL_SOLVER, canon_backend=CANON_BACKEND)
    first = problem.value
    chain = problem._solver_cache[CLARABEL_SOLVER.name() + ELIMINATION]
    assert chain.count >= 5
    assert isinstance(problem._cache.param_prog.reduced_A.reduced_mat.data, np.memmap)
    a.value = np.linspace(2.0, 0.5, 6)
    problem.solve(solver=CLARABEL_SOLVER, canon_backend=CANON_BACKEND)
    assert problem._solver_cache[CLARABEL_SOLVER.name() + ELIMINATION] is chain  # same pivots
    fresh = cp.Problem(problem.objective, problem.constraints)
    fresh.solve(solver="CLARABEL", ignore_dpp=True, canon_backend=CANON_BACKEND)
    assert problem.value == pytest.approx(fresh.value, rel=1e-8)
    assert problem.value != pytest.approx(first, rel=1e-3)


@pytest.mark.parametrize("where", ["open", "write"])
def test_park_keeps_arrays_in_memory_when_the_disk_refuses(monkeypatch, where):
    """A full disk (ENOSPC) while parking: the arrays stay in memory, values unchanged; when the
    disk takes them, they come back as file-backed maps with the same values."""
    import errno
    import tempfile

    from fdn_alu.solve import compile as compile_mod

    arrays = [np.arange(1000, dtype=np.int64), np.linspace(0.0, 1.0, 37)]
    parked = compile_mod._park(arrays)
    assert all(isinstance(p, np.memmap) for p in parked)
    assert all(np.array_equal(p, a) for p, a in zip(parked, arrays, strict=True))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    def device_full(*args, **kwargs):
        return open("/dev/full", "w+b")  # every write: ENOSPC

    monkeypatch.setattr(tempfile, "TemporaryFile", full if where == "open" else device_full)
    kept = compile_mod._park(arrays)
    assert not any(isinstance(k, np.memmap) for k in kept)
    assert all(np.array_equal(k, a) for k, a in zip(kept, arrays, strict=True))


def _greedy_scan(cr, cv, er, ec, n_rows, n_vars):
    """The pivot choice as a plain scan: a candidate taken unless a taken one conflicts."""
    rows_of = [[] for _ in range(n_vars)]
    vars_of = [[] for _ in range(n_rows)]
    for r, v in zip(er.tolist(), ec.tolist(), strict=True):
        rows_of[v].append(r)
        vars_of[r].append(v)
    row_free, var_free = [True] * n_rows, [True] * n_vars
    taken = []
    for r, v in zip(cr.tolist(), cv.tolist(), strict=True):
        if row_free[r] and var_free[v]:
            taken.append((r, v))
            for w in vars_of[r]:
                var_free[w] = False
            for i in rows_of[v]:
                row_free[i] = False
    return taken


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_pivot_choice_equals_the_greedy_scan(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_vars = 400, 500
    M = sp.random_array((n_rows, n_vars), density=0.01, rng=rng, format="csr")
    M.sum_duplicates()
    er = np.repeat(np.arange(n_rows), np.diff(M.indptr))
    ec = M.indices.astype(np.int64)
    order = rng.permutation(er.size)  # candidates: every entry, in a random priority order
    cr, cv = er[order], ec[order]
    rows, cols = pivots.greedy_independent(cr, cv, er, ec, n_rows, n_vars)
    expected = _greedy_scan(cr, cv, er, ec, n_rows, n_vars)
    assert len(expected) > 50
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == expected


def _cached_canonical_forms(problem) -> int:
    stack, seen, found = list(problem.constraints), set(), 0
    while stack:
        expr = stack.pop()
        if id(expr) not in seen:
            seen.add(id(expr))
            keys = getattr(expr, "__dict__", {})
            found += sum(k.startswith("_lazy") and k.endswith("canonical_form") for k in keys)
            stack.extend(getattr(expr, "args", ()))
    return found


def test_large_solve_releases_cached_canonical_forms(monkeypatch):
    """Above the threshold the compiled program's expressions keep no canonical form through
    the solve (cvxpy builds them again if it compiles anew); below it they stay cached."""
    data = build_model_data(load_case("ieee15"), 2, 24)
    small, _ = _solved(data, 2**62, monkeypatch)
    assert _cached_canonical_forms(small.problem._cache.param_prog) > 0
    large, info = _solved(data, 0, monkeypatch)
    assert info.status == "ok"
    assert _cached_canonical_forms(large.problem._cache.param_prog) == 0
    assert large.problem.value == pytest.approx(small.problem.value, rel=1e-9)
