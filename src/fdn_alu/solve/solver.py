"""Solver choice and status mapping.

Statuses are mapped to ``ok`` / ``warning`` (inaccurate solution: usable, flagged) /
``error``; variable values are never read after a failed solve.
"""

from __future__ import annotations

import contextlib
import gc
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cvxpy as cp
from cvxpy.reductions.solvers.defines import INSTALLED_SOLVERS

from fdn_alu.errors import (
    InfeasibleError,
    Problem,
    SolveError,
    SolverUnavailableError,
    raise_if_problems,
)
from fdn_alu.model.recipe import Model
from fdn_alu.solve.clock import record

try:
    from fdn_alu.solve.compile import CLARABEL_SOLVER, PARAMETRISED
except (ImportError, AttributeError):  # a cvxpy release without the internals compile.py uses
    CLARABEL_SOLVER, PARAMETRISED = None, False

SOLVERS = {"clarabel": "CLARABEL", "gurobi": "GUROBI", "scip": "SCIP", "mosek": "MOSEK"}
MIP_SOLVERS = {"gurobi", "scip", "mosek"}

# Tight interior-point tolerances: our choice (with OBJECTIVE_SCALE in model/recipe.py), so
# that the SOC relaxation gap is resolved to ~1e-8 and the AC check is not polluted by noise.
# Iterative refinement of the KKT solves off (our choice, issue 11): it took half of Clarabel's
# time (ieee85 x 96 scenario 3: 24 iterations either way, 0.66-1.0 s instead of 1.4-2.1 s per
# solve; 841 buses x 96: 24 iterations instead of 25) for residuals far below the checks' (SOC
# gap 1.9e-9 instead of 6.6e-10, tolerance 1e-6; cost equal to 3e-12). On 3,361 buses x 96 on
# a 100 MVA base the primal residual then stalled at ~2e-8 (41 iterations instead of 33, still
# less time; on the 1 MVA base network.feeder_base_mva now gives it, 27 iterations, "solved");
# the refinement comes back in CLARABEL_REFINE, the re-solve a failed SOC-gap check triggers.
# Relative gap 1e-11 (our choice). At the objective size of ieee85 x 96 Clarabel reaches ~1e-10
# and ends "almost solved" (status warning, every check passing); 5e-11 .. 1e-9 would end it
# "solved", but then the first solve of the two-bus storage hand test leaves an SOC gap above
# 1e-6 and its refined re-solve ends "almost solved" (measured): the tight value stays.
CLARABEL_OPTIONS = {
    "tol_gap_abs": 1e-10,
    "tol_gap_rel": 1e-11,
    "tol_feas": 1e-10,
    "tol_ktratio": 1e-8,
    "max_iter": 500,
    "iterative_refinement_enable": False,
}
# cvxpy's canonicalisation backend: COO (our choice, measured on the common feeder-day, CPU s of
# get_problem_data): 1.22 / 2.45 s at 841 / 1,681 buses x 96 periods against 2.04 / 7.82 s with
# the default C++ backend, whose time grows ~quadratically with size (the same matrices, entry for
# entry, on ieee85 x 96 scenario 3).
CANON_BACKEND = cp.COO_CANON_BACKEND
# A second Clarabel solve, when the first leaves a relaxation gap above the check's tolerance:
# tighter tolerances (our choice). The first solve's residual on the squared current of a
# branch is ~mu / (its loss weight), so on low-resistance branches (r ~ 1e-6 pu of the
# feeder's base) it read as gaps of 1e-6..1e-4 on random feeders; these settings resolve them
# to ~1e-8. Not the default: on ieee85 x 96 periods they end "almost solved" (reduced accuracy).
CLARABEL_REFINE = {
    "tol_gap_abs": 1e-12,
    "tol_gap_rel": 1e-13,
    "tol_feas": 1e-11,
    "tol_ktratio": 1e-10,
    "iterative_refinement_enable": True,
}
GUROBI_OPTIONS = {
    "BarConvTol": 1e-10,
    "FeasibilityTol": 1e-9,
    "OptimalityTol": 1e-9,
    "MIPGap": 1e-6,
}
SCIP_OPTIONS: dict = {"scip_params": {"limits/gap": 1e-6, "numerics/feastol": 1e-8}}


@dataclass(frozen=True)
class SolveInfo:
    """Outcome of a solve.

    Attributes
    ----------
    solver : str
    status : str
        ``ok`` or ``warning`` (errors raise instead).
    solver_status : str
        The status string cvxpy reports.
    solve_s : float
        Wall time of ``problem.solve`` (canonicalisation + solver).
    solver_s : float
        The solver's own reported time (wall time of the solve call when it reports none).
    iterations : int or None
    """

    solver: str
    status: str
    solver_status: str
    solve_s: float
    solver_s: float
    iterations: int | None


def available_solvers() -> list[str]:
    """Solvers of :data:`SOLVERS` that cvxpy found installed when it was imported.

    cvxpy's listing of that moment (``INSTALLED_SOLVERS``), not ``cp.installed_solvers()``,
    which imports every solver's package again on each call (0.002 s, five times a run) and so
    loads the packages the command line defers (:mod:`fdn_alu.cli.startup`).
    """
    installed = set(INSTALLED_SOLVERS)
    return [k for k, v in SOLVERS.items() if v in installed]


def check_solver(name: str) -> str:
    """Validate a solver name; raise :class:`SolverUnavailableError` if it is not installed
    (:class:`~fdn_alu.errors.InputError` if it is not a name)."""
    if not isinstance(name, str):
        raise_if_problems([Problem("solver", f"must be a solver name, got {name!r}")])
    key = name.lower()
    if key not in SOLVERS:
        raise SolverUnavailableError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)}")
    if key not in available_solvers():
        extra = {
            "gurobi": "pip install 'fdn_alu[gurobi]'",
            "scip": "pip install 'fdn_alu[scip]'",
            "mosek": "pip install mosek (licence needed)",
        }.get(key, "")
        raise SolverUnavailableError(
            f"solver {name!r} is not installed ({extra}); installed: "
            f"{', '.join(available_solvers())}"
        )
    return key


def _options(key: str, problem: cp.Problem) -> dict:
    if key == "clarabel":
        return dict(CLARABEL_OPTIONS)
    if key == "gurobi":
        return dict(GUROBI_OPTIONS)
    if key == "scip":
        return {k: dict(v) for k, v in SCIP_OPTIONS.items()}
    return {}


def solve_model(model: Model, solver: str = "clarabel", options: dict | None = None) -> SolveInfo:
    """Solve a built model in place (cvxpy stores the values on its variables).

    Parameters
    ----------
    model : Model
    solver : str
    options : dict, optional
        Solver options over the defaults of this module.

    With Clarabel the problem is compiled once, parametrised (DPP), and every re-solve of the
    same problem (the production sequence, relax-and-fix, sweeps: only Parameters change) reuses
    that compilation; see :func:`_solve`.

    Raises
    ------
    SolverUnavailableError
        Solver not installed, or its licence refuses the model (size-limited Gurobi).
    InfeasibleError
        The problem is infeasible (use :func:`diagnose_infeasibility` to locate it).
    SolveError
        Unbounded, or the solver failed without a usable solution.
    """
    key = check_solver(solver)
    opts = _options(key, model.problem)
    opts.update(options or {})
    t0 = time.perf_counter()
    try:
        try:
            _solve(model, key, opts)
        except cp.error.SolverError:
            if key != "clarabel" or opts.get("iterative_refinement_enable", True):
                raise
            # Without iterative refinement a KKT solve can break down (seen on ieee15 with the
            # consumption-carbon proximal cones): once more with it, as Clarabel's default.
            _solve(model, key, {**opts, "iterative_refinement_enable": True})
    except cp.error.SolverError as exc:
        text = str(exc)
        if key == "gurobi":
            text = _gurobi_reason(model.problem) or text
        if (
            "size-limited" in text.lower()
            or "model too large" in text.lower()
            or "licen" in text.lower()
        ):
            raise SolverUnavailableError(f"{solver} refused the model: {text}") from exc
        raise SolveError(f"{solver} failed: {text}") from exc
    except Exception as exc:  # licence errors of gurobipy surface as GurobiError
        text = str(exc)
        if "size-limited" in text.lower() or "licen" in text.lower():
            raise SolverUnavailableError(f"{solver} refused the model: {text}") from exc
        raise
    wall = time.perf_counter() - t0
    status = model.problem.status
    stats = model.problem.solver_stats
    solver_s = stats.solve_time if stats and stats.solve_time is not None else wall
    record(float(solver_s))
    iters = stats.num_iters if stats else None
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise InfeasibleError(f"the dispatch problem is infeasible ({status}, {solver})")
    if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise SolveError(
            f"the dispatch problem is unbounded ({status}): a cost term is missing "
            "or a variable has no bound"
        )
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or model.problem.value is None:
        raise SolveError(f"{solver} stopped without a solution (status {status!r})")
    # reduced accuracy is reported once, by the run, for its final solve (status "warning")
    mapped = "ok" if status == cp.OPTIMAL else "warning"
    return SolveInfo(key, mapped, status, wall, float(solver_s), iters)


def _solve(model: Model, key: str, opts: dict) -> None:
    """One cvxpy solve of the model's problem (cvxpy's warnings silenced: the status says it).

    Clarabel goes through :data:`~fdn_alu.solve.compile.CLARABEL_SOLVER`, cvxpy's interface with
    a parametrised compilation linear in size, on cvxpy's DPP path: the first solve of a problem
    compiles it (as fast as the unparametrised compilation), each re-solve only maps the new
    Parameter values to the data. Measured (issue 11, CHANGELOG.md; compile per solve,
    in-process minimum of interleaved rounds, peak RSS): ieee85 x 96
    scenario 3, three solves: 0.19-0.36 s per solve, 3.11 s, 326 MB with ``ignore_dpp=True``;
    0.23 s for the first and 0.004-0.009 s per re-solve, 2.80 s, 319 MB here; ieee15 x 24
    scenario 3: 0.67 -> 0.43 s; 3,361 x 96 (one solve): compile 6.3-7.4 s and 3.3 GB either way.
    cvxpy's own DPP compilation costs time and memory growing as (variables x Parameter
    entries): 11.1 s and 4.4 GB on ieee85 x 96 scenario 3 (compile.py says why). The other
    solvers keep the unparametrised compilation (``ignore_dpp=True``): cvxpy's reordering step
    is theirs too, and so does Clarabel under a cvxpy release compile.py was not tested with
    (``compile.PARAMETRISED``).
    """
    clarabel = key == "clarabel" and PARAMETRISED
    with warnings.catch_warnings(), collector_paused():
        warnings.simplefilter("ignore")
        model.problem.solve(
            solver=CLARABEL_SOLVER if clarabel else SOLVERS[key],
            ignore_dpp=not clarabel,
            canon_backend=CANON_BACKEND,
            **opts,
        )


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (as it was after).

    cvxpy's compilation creates and drops hundreds of thousands of small objects, freed by
    reference counting; the collections they trigger scan every live object of the process and
    find almost nothing: ieee85 x 96 scenario 3, the run's time around the solver 0.375 s with
    the collector running, 0.317 s without (median of 4; 2 shared cores).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def release_solver(model: Model) -> None:
    """Drop the solver object cvxpy keeps on the model's problem for warm starts.

    cvxpy caches the last Clarabel solver per problem (``Problem._solver_cache``), so that a
    re-solve of the same problem updates it in place; with it stay its KKT matrix, factor and
    work vectors, ~2/3 of a solve's peak (benchmarks/RESULTS_PERF.md). Call it once the
    model will not be re-solved, before another model is solved (e.g. a refined re-solve), so
    that two solvers are never held at once. The compiled problem is kept.
    """
    cache = getattr(model.problem, "_solver_cache", None)
    if cache:
        cache.clear()


def _gurobi_reason(problem: cp.Problem) -> str | None:
    """Gurobi's own error message (cvxpy's interface swallows it, e.g. licence size limits)."""
    try:
        data, chain, _ = problem.get_problem_data("GUROBI")
        out = chain.solver.solve_via_data(data, False, False, {})
        out["model"].optimize()
    except Exception as exc:  # gurobipy.GurobiError carries the reason
        return str(exc)
    return None
