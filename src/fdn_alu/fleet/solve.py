"""Solve a fleet MILP: HiGHS through highspy (default); SCIP or Gurobi by name through an MPS
file written by HiGHS (the model is the same matrix; only HiGHS reports nodes for warm starts).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fdn_alu.errors import InfeasibleError, SolveError, SolverUnavailableError
from fdn_alu.fleet.model import FleetModel

HIGHS_HEURISTICS_OFF = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_root_reduced_cost",
    "mip_heuristic_run_zi_round",
)


#: Thread count of HiGHS's process-wide scheduler (set by the first run).
_SCHEDULER: dict = {"threads": None}


@dataclass
class SolveReport:
    """What the solver returned."""

    solver: str
    status: str
    x: np.ndarray
    objective: float
    bound: float
    mip_gap: float
    nodes: int
    time_s: float
    #: how the answer was found: ``monolithic`` (one MILP) or a path of :mod:`.hub`
    method: str = "monolithic"
    #: the national metal value of the hub decomposition (CNY/t); None without one
    metal_value_cny_per_t: float | None = None
    #: MILPs and LPs solved for this answer
    subproblems: int = 1

    def as_dict(self) -> dict:
        return {
            "solver": self.solver,
            "status": self.status,
            "objective_cny": self.objective,
            "dual_bound_cny": self.bound,
            "mip_gap": self.mip_gap,
            "nodes": self.nodes,
            "solve_time_s": self.time_s,
            "method": self.method,
            "metal_value_cny_per_t": self.metal_value_cny_per_t,
            "subproblems": self.subproblems,
        }


@contextmanager
def _fd_silenced(fd: int, active: bool) -> Iterator[None]:
    """Send file descriptor ``fd`` to the null device while the block runs.

    HiGHS prints its banner from C++ to the process's stdout when the solver object is made,
    before any option can switch it off (HiGHS issue #1932), which would mix it into the
    command line's own output.
    """
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _highs(model: FleetModel, opts: dict, start: np.ndarray | None) -> SolveReport:
    try:
        import highspy
    except ImportError as e:  # pragma: no cover - highspy is a dependency
        raise SolverUnavailableError("highspy is not installed (pip install highspy)") from e
    verbose = bool(opts.get("verbose", False))
    with _fd_silenced(1, not verbose):
        h = highspy.Highs()
        h.setOptionValue("output_flag", verbose)
    h.setOptionValue("mip_rel_gap", float(opts["mip_rel_gap"]))
    h.setOptionValue("time_limit", float(opts["time_limit_s"]))
    threads = int(opts["threads"])
    h.setOptionValue("threads", threads)
    if _SCHEDULER["threads"] not in (None, threads):
        # HiGHS keeps one global thread pool per process, sized by its first run; a run asking
        # for another count stops at once ("Not Set") unless the pool is rebuilt
        h.resetGlobalScheduler(True)
    _SCHEDULER["threads"] = threads
    # Measured on ieee15-park (docs/FLEET.md §6): the sub-MIP heuristics (RINS, RENS, root
    # reduced cost, ZI rounding) took > 90 % of the time without improving the incumbent that the
    # restrictions hand over; without them the full model solves to optimality in ~4 s, not 250 s.
    for opt in HIGHS_HEURISTICS_OFF:
        h.setOptionValue(opt, False)
    # Measured on the ieee15-park break-even solves (one region, 1 node each): the root restarts
    # after presolve took 1.0-1.3 s of 1.5-2.4 s; without them 0.5 s with the modulation start
    h.setOptionValue("mip_allow_restart", False)
    A = model.A.tocsc()
    n, m = A.shape[1], A.shape[0]
    status = h.passModel(
        n,
        m,
        int(A.nnz),
        1,  # column-wise
        1,  # minimise
        float(model.offset),
        model.c.astype(float),
        model.lb.astype(float),
        model.ub.astype(float),
        model.row_lo.astype(float),
        model.row_hi.astype(float),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(float),
        model.integer.astype(np.int32),
    )
    if status != highspy.HighsStatus.kOk:
        raise SolveError(f"HiGHS refused the model: {status}")
    if start is not None and model.integer.any():
        # an LP gets no start: measured on china's fixed-commitment redispatch (70,080
        # columns), a handed-over point made HiGHS take 90 s instead of 3 s
        h.setSolution(n, np.arange(n, dtype=np.int32), start.astype(float))
    t0 = time.perf_counter()
    with _fd_silenced(1, not verbose):  # HiGHS 1.16 prints a MIP debug line despite the flag
        h.run()
    t = time.perf_counter() - t0
    ms = h.getModelStatus()
    name = h.modelStatusToString(ms)
    info = h.getInfo()
    ok = {highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit}
    if ms == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(
            f"the {model.strategy} fleet problem is infeasible: the targets cannot be met "
            "within the band, the line counts and the up/down times"
        )
    if ms not in ok or info.primal_solution_status != 2:
        raise SolveError(f"HiGHS stopped without a feasible solution: {name}")
    x = np.asarray(h.getSolution().col_value)
    return SolveReport(
        "highs",
        name,
        x,
        float(info.objective_function_value),
        float(info.mip_dual_bound),
        float(info.mip_gap),
        int(info.mip_node_count),
        t,
    )


def _via_mps(model: FleetModel, opts: dict, solver: str) -> SolveReport:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    A = model.A.tocsc()
    h.passModel(
        A.shape[1], A.shape[0], int(A.nnz), 1, 1, float(model.offset),
        model.c, model.lb, model.ub, model.row_lo, model.row_hi,
        A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data,
        model.integer.astype(np.int32),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "fleet.mps")
        h.writeModel(path)
        names = [f"c{j}" for j in range(A.shape[1])]
        if solver == "scip":
            try:
                import pyscipopt
            except ImportError as e:
                raise SolverUnavailableError("SCIP needs pyscipopt (pip install pyscipopt)") from e
            s = pyscipopt.Model()
            s.hideOutput(not opts.get("verbose", False))
            s.readProblem(path)
            s.setParam("limits/gap", float(opts["mip_rel_gap"]))
            s.setParam("limits/time", float(opts["time_limit_s"]))
            t0 = time.perf_counter()
            s.optimize()
            t = time.perf_counter() - t0
            st = s.getStatus()
            if st == "infeasible":
                raise InfeasibleError(f"the {model.strategy} fleet problem is infeasible (SCIP)")
            if s.getNSols() == 0:
                raise SolveError(f"SCIP stopped without a solution: {st}")
            val = {v.name: s.getVal(v) for v in s.getVars()}
            x = np.array([val.get(nm, 0.0) for nm in names])
            return SolveReport(
                "scip", st, x, s.getObjVal(), s.getDualbound(), s.getGap(), int(s.getNNodes()), t
            )
        try:
            import gurobipy
        except ImportError as e:
            raise SolverUnavailableError("Gurobi needs gurobipy and a licence") from e
        g = gurobipy.read(path)
        g.Params.MIPGap = float(opts["mip_rel_gap"])
        g.Params.TimeLimit = float(opts["time_limit_s"])
        g.Params.Threads = int(opts["threads"])
        g.Params.OutputFlag = int(bool(opts.get("verbose", False)))
        t0 = time.perf_counter()
        g.optimize()
        t = time.perf_counter() - t0
        if g.Status == gurobipy.GRB.INFEASIBLE:
            raise InfeasibleError(f"the {model.strategy} fleet problem is infeasible (Gurobi)")
        if g.SolCount == 0:
            raise SolveError(f"Gurobi stopped without a solution (status {g.Status})")
        val = {v.VarName: v.X for v in g.getVars()}
        x = np.array([val.get(nm, 0.0) for nm in names])
        return SolveReport(
            "gurobi", str(g.Status), x, g.ObjVal, g.ObjBound, g.MIPGap, int(g.NodeCount), t
        )


def solve_model(
    model: FleetModel, opts: dict, start: np.ndarray | None = None, solver: str = "highs"
) -> SolveReport:
    """Solve a fleet MILP.

    Parameters
    ----------
    model : FleetModel
    opts : dict
        The ``[solver]`` settings (mip_rel_gap, time_limit_s, threads; verbose optional).
    start : ndarray, optional
        A feasible point (e.g. a restriction's optimum) handed to HiGHS as first incumbent.
    solver : {"highs", "scip", "gurobi"}

    Raises
    ------
    InfeasibleError, SolveError, SolverUnavailableError
    """
    if solver == "highs":
        return _highs(model, opts, start)
    if solver in ("scip", "gurobi"):
        return _via_mps(model, opts, solver)
    raise SolverUnavailableError(f"unknown fleet solver {solver!r}: highs, scip or gurobi")
