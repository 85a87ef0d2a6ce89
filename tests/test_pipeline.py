"""The pipeline around the solver: the solver clock, the cone row order, the stacked carbon
flow and the CSV writer, each against the construction it replaces."""

from __future__ import annotations

import copy
import gc
import types

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import CLARABEL

import fdn_alu.core.run as core_run
from fdn_alu import run
from fdn_alu.analysis import carbon
from fdn_alu.cases import load_case
from fdn_alu.core.data import build_model_data
from fdn_alu.model.recipe import build_model
from fdn_alu.results.write import FLOAT_FORMAT, csv_text
from fdn_alu.solve import compile as fdn_compile
from fdn_alu.solve.clock import record, solver_clock
from fdn_alu.solve.cone_rows import cone_row_permutation
from fdn_alu.solve.solver import collector_paused


@pytest.fixture(scope="module")
def ieee15_s3():
    """ieee15 x 24 scenario 3 (two storages: the ESOP's and the park's), with the carbon
    network its post-processing saw."""
    seen = {}
    original = core_run.carbon_network

    def keep(data, sol):
        out = original(data, sol)
        seen["cn"] = out[0]
        return out

    core_run.carbon_network = keep
    try:
        with solver_clock() as clock:
            result = run("ieee15", scenario=3, periods=24, check_ac=False)
    finally:
        core_run.carbon_network = original
    return result, seen["cn"], clock


def test_solver_clock_counts_every_solve_of_a_run(ieee15_s3):
    result, _, clock = ieee15_s3
    t = result.summary["timings_s"]
    # the run's own clock and one around it saw the same solves: the park's presolve too, so
    # more than the dispatch solves the summary counts
    assert t["solver"] == pytest.approx(clock.seconds, rel=1e-12)
    assert clock.solves > result.summary["solve_iterations"] >= 2
    assert 0 < t["solver"] < t["total"]


def test_solver_clocks_nest():
    with solver_clock() as outer:
        record(1.5)
        with solver_clock() as inner:
            record(0.25)
        record(0.5)
    record(9.0)  # no clock running
    assert (outer.seconds, outer.solves) == (2.25, 3)
    assert (inner.seconds, inner.solves) == (0.25, 1)


def _probe_permutation(problem, n_rows):
    """cvxpy's own row reordering, as compile.py's fallback builds it (the reference)."""
    probe = copy.copy(problem)
    probe.A = sp.eye_array(n_rows, format="csc")
    probe.x = types.SimpleNamespace(size=0)
    R = sp.csc_array(CLARABEL.format_constraints(probe, None).A)
    R.sum_duplicates()
    return R.indices, R.data


def test_cone_row_order_equals_cvxpys(monkeypatch):
    data = build_model_data(load_case("ieee15"), 3, 24)
    model = build_model(data, relax_integers=True)
    seen = []
    original = fdn_compile._row_permutation

    def compare(problem, order, n_rows):
        kinds = {type(c).__name__ for c in problem.constraints}
        direct = cone_row_permutation(problem.constraints)
        seen.append((kinds, direct, _probe_permutation(problem, n_rows)))
        return original(problem, order, n_rows)

    monkeypatch.setattr(fdn_compile, "_row_permutation", compare)
    solver = fdn_compile.CLARABEL_SOLVER
    model.problem.get_problem_data(solver, canon_backend=cp.COO_CANON_BACKEND)
    ((kinds, direct, probe),) = seen
    assert kinds == {"Zero", "NonNeg", "SOC"}
    assert np.array_equal(direct[0], probe[0])
    assert np.array_equal(direct[1], probe[1])
    assert (direct[1] == -1).any() and (direct[1] == 1).any()


def test_cone_row_order_leaves_other_cones_to_cvxpy():
    x = cp.Variable(3)
    assert cone_row_permutation([cp.constraints.ExpCone(x[0], x[1], x[2])]) is None
    # an SOC: t_0, X[:, 0], t_1, X[:, 1] (two cones of dimension 3)
    t, X = cp.Variable(2), cp.Variable((2, 2))
    rows, signs = cone_row_permutation([cp.constraints.SOC(t, X, axis=0)])
    assert rows.tolist() == [0, 3, 1, 2, 4, 5]
    assert signs.tolist() == [1.0] * 6


def _carbon_per_period(cn):
    """The carbon flow a period at a time (the sharing system of each period solved on its
    own, the tanks carried from one period to the next): the reference."""
    T, N = cn.p_send_mw.shape[0], cn.n_nodes
    rows_recv, rows_send, recv = carbon._receipts(cn)
    src_node, src_mw = carbon._source_mw(cn)
    tank = {s.name: [s.carbon0_t] for s in cn.storages}
    e_all = np.zeros((T, N))
    for t in range(T):
        st_ci = []
        for s in cn.storages:
            e0 = s.energy_mwh[t]
            st_ci.append(1000.0 * tank[s.name][t] / e0 / s.eta_dis if e0 > 1e-12 else 0.0)
        ci = np.concatenate([cn.src_ci[t], st_ci])
        A, idle, _ = carbon._system(N, rows_recv, rows_send, recv[t], src_node, src_mw[t])
        e = spla.spsolve(A, np.bincount(src_node, weights=src_mw[t] * ci, minlength=N))
        e[idle] = 0.0
        e_all[t] = e
        for s, ci_dis in zip(cn.storages, st_ci, strict=True):
            c_in = s.charge_mw[t] * e[s.node] * cn.dt_h / 1000.0
            c_out = s.discharge_mw[t] * ci_dis * cn.dt_h / 1000.0
            tank[s.name].append(tank[s.name][t] + c_in - c_out)
    return e_all, {k: np.array(v) for k, v in tank.items()}


def test_stacked_carbon_flow_equals_a_solve_per_period(ieee15_s3):
    _, cn, _ = ieee15_s3
    assert len(cn.storages) == 2 and any(s.discharge_mw.max() > 0 for s in cn.storages)
    e_ref, tank_ref = _carbon_per_period(cn)
    got = carbon.carbon_flow(cn)
    scale = np.abs(e_ref).max()
    assert scale > 100.0  # kg/MWh: a grid-supplied feeder
    np.testing.assert_allclose(got.node_ci, e_ref, rtol=0, atol=1e-9 * scale)
    for name, ref in tank_ref.items():
        np.testing.assert_allclose(got.storage_carbon_t[name], ref, rtol=1e-10, atol=1e-12)
    assert got.balance_rel_err < 1e-12


def test_stacked_carbon_flow_in_blocks(ieee15_s3, monkeypatch):
    # a block of one period per factorisation gives the same intensities as one for all
    _, cn, _ = ieee15_s3
    whole = carbon.carbon_flow(cn)
    monkeypatch.setattr("fdn_alu.analysis.sharing.BLOCK_UNKNOWNS", 1)
    apart = carbon.carbon_flow(cn)
    np.testing.assert_allclose(apart.node_ci, whole.node_ci, rtol=1e-12, atol=1e-9)


def test_csv_text_is_pandas_to_csv_byte_for_byte(ieee15_s3):
    result, _, _ = ieee15_s3
    for name, df in result.tables().items():
        assert csv_text(df, FLOAT_FORMAT) == df.to_csv(index=False, float_format=FLOAT_FORMAT), name
    odd = pd.DataFrame(
        {
            "x": [1.0, np.nan, -0.0, np.inf, 1e-300, 123456789012.0],
            "text": ["a", "b,c", 'say "hi"', None, "two\nlines", ""],
            "n": np.arange(6),
            "flag": [True, False] * 3,
            "maybe": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        }
    )
    assert csv_text(odd, "%.10g") == odd.to_csv(index=False, float_format="%.10g")
    # one column, or mixed objects: pandas writes it
    single = pd.DataFrame({"text": ["", "a"]})
    assert csv_text(single, "%.10g") == single.to_csv(index=False, float_format="%.10g")
    mixed = pd.DataFrame({"o": [1.5, "a"], "n": [1, 2]})
    assert csv_text(mixed, "%.3g") == mixed.to_csv(index=False, float_format="%.3g")


def test_collector_paused_restores_the_collector():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
