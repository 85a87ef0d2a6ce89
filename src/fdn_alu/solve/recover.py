"""Recovery of an AC-feasible dispatch when the SOC relaxation is inexact.

The relaxed problem relaxes the branch current equality to the cone ``P^2 + Q^2 <= l u_i`` (and
a component's ``exact_cones``, such as a converter's loss, likewise); the exact problem has the
equalities. :func:`recover_dispatch` solves that non-convex
problem with every integer decision of the relaxed solution fixed (each component's
:class:`~fdn_alu.components.sequence.IntegerFix`, applied whether or not it was broken), the
same objective and every other constraint of the compiled model (limits, the multi-period
couplings of the devices, any re-linearisation at its last point), started from the
relaxed solution:

1. IPOPT (``cyipopt``) on :class:`~fdn_alu.solve.nlp.ConeProgram`, exact second derivatives;
2. when IPOPT is not installed or does not end at a feasible point: a sequence of convex
   restrictions (:mod:`fdn_alu.solve.restriction`), each feasible point of which satisfies the
   equality.

The first feasible point is kept: IPOPT may stop early (e.g. "error in step computation" on
degenerate cones such as an idle converter's) at a point that is feasible; its status is then
in ``tried``, and its certified gap says how good it is. A point counts as feasible when its
residuals (:meth:`~fdn_alu.solve.nlp.ConeProgram.residuals`) are within ``FEAS_TOL`` and
``CONE_EQ_TOL``; the run's checks then judge the dispatch like any other.

The relaxed problem (with the same integer decisions) is a relaxation of the exact one, so its
objective bounds the exact optimum from below: ``gap_rel = (recovered - relaxed) /
|recovered|`` certifies how far the recovered dispatch can be from optimal.
"""

from __future__ import annotations

import logging
import time
import types
import warnings
from dataclasses import dataclass

import numpy as np

from fdn_alu.components.registry import BY_NAME
from fdn_alu.model.recipe import Model, objective_scale
from fdn_alu.solve.compile import CLARABEL_SOLVER, PARAMETRISED
from fdn_alu.solve.nlp import CURRENT_CONE, ConeProgram, Derivatives, cone_program, conic_duals
from fdn_alu.solve.restriction import solve_restriction
from fdn_alu.solve.solver import CLARABEL_OPTIONS

log = logging.getLogger(__name__)
logging.getLogger("cyipopt").setLevel(logging.WARNING)  # its INFO logs every callback

# Feasibility the recovered point must reach (scaled model units, i.e. pu and pu^2): linear
# rows and bounds 1e-7, the current equality |l u - P^2 - Q^2| 1e-8 pu^2 (the AC equations to
# 1e-8 pu^2; IPOPT reaches ~1e-14, the convex restriction 1e-11..3e-9 on the hard feeders of
# benchmarks/RESULTS_RECOVERY.md). Our choice; the run's checks then judge the dispatch.
FEAS_TOL = 1e-7
CONE_EQ_TOL = 1e-8
# IPOPT options (our choice): tolerances below FEAS_TOL; MUMPS ships with the cyipopt wheels;
# max_iter 200: IPOPT converged within 29-44 iterations, counting the ~20 of the relaxed
# re-solve, on the 20 inexact hard feeders of
# benchmarks/RESULTS_RECOVERY.md, while on a degenerate cone (an idle converter of a device) it ran
# 250 iterations in 10 s without converging, at a point already feasible.
IPOPT_OPTIONS = {
    "tol": 1e-9,
    "constr_viol_tol": 1e-10,
    "acceptable_tol": 1e-7,
    "max_iter": 200,
    "mu_strategy": "adaptive",
    "print_level": 0,
    "sb": "yes",
    "linear_solver": "mumps",
}


@dataclass(frozen=True)
class RecoveryReport:
    """What the recovery did (``summary.json["recovery"]``).

    Attributes
    ----------
    method : str or None
        ``ipopt`` or ``convex_restriction``; None when nothing ran.
    status : str
        ``not_needed`` (exact), ``off`` (inexact, recovery switched off), ``recovered``,
        ``failed``.
    iterations, seconds : solver iterations and wall time (all methods tried)
    objective_relaxed : float or None
        Relaxed objective with the integer decisions fixed: a lower bound of the exact one.
    objective_recovered : float or None
    gap_rel : float or None
        ``(recovered - relaxed) / |recovered|``.
    tried : list of str
        Each method tried and how it ended.
    relaxed_failed : dict of str -> float
        The relaxed dispatch's failed checks that started the recovery, with their values.
    """

    method: str | None
    status: str
    iterations: int | None = None
    seconds: float | None = None
    objective_relaxed: float | None = None
    objective_recovered: float | None = None
    gap_rel: float | None = None
    tried: tuple[str, ...] = ()
    relaxed_failed: dict | None = None

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["tried"] = list(self.tried)
        return out


NOT_NEEDED = RecoveryReport(None, "not_needed")
OFF = RecoveryReport(None, "off")


def ipopt_available() -> bool:
    """Whether ``cyipopt`` imports."""
    try:
        import cyipopt  # noqa: F401
    except ImportError:
        return False
    return True


def recover_dispatch(model: Model, method: str = "auto") -> RecoveryReport:
    """Solve the exact branch-flow problem from the relaxed solution held by ``model``.

    Parameters
    ----------
    model : Model
        Solved (relaxed, conic) model; on success its variables hold the recovered dispatch
        (and ``model.problem.value`` its objective), otherwise they are left as they were.
    method : {"auto", "ipopt", "convex_restriction"}
        ``auto``: IPOPT when installed, the convex restriction when IPOPT is missing or ends
        at an infeasible point.

    Returns
    -------
    RecoveryReport
    """
    t0 = time.perf_counter()
    if not model.relax_integers:
        return RecoveryReport(None, "failed", tried=("needs the conic model (not a MIP solve)",))
    try:
        prog, x0, bound, it0, back = _exact_problem(model)
    except Exception as exc:  # the compiled data or the relaxed re-solve did not work out
        why = f"setting up the exact problem: {type(exc).__name__}: {exc}"
        return RecoveryReport(None, "failed", seconds=time.perf_counter() - t0, tried=(why,))
    tried: list[str] = []
    iterations = it0
    methods = ["ipopt", "convex_restriction"] if method == "auto" else [method]
    for name in methods:
        if name == "ipopt" and not ipopt_available():
            tried.append("ipopt: cyipopt not installed")
            continue
        try:
            x, z, its, msg = (_ipopt if name == "ipopt" else _restriction)(prog, x0)
        except Exception as exc:  # a solver error is one more failed attempt
            tried.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        iterations += its
        res = prog.residuals(x)
        tried.append(f"{name}: {msg}; " + ", ".join(f"{k} {v:.1e}" for k, v in res.items()))
        log.info("recovery by %s: %s", name, tried[-1])
        if not _feasible(res):
            continue
        # the first feasible point is kept: the restriction after an IPOPT that stopped early
        # at a feasible point took 10-15 s on the converter feeders of tests/test_recover.py and
        # ended no better (IPOPT's status is in ``tried``)
        back(x, z, prog.objective(x), iterations)
        obj = float(model.problem.value) / objective_scale(model.data)
        return RecoveryReport(
            name,
            "recovered",
            iterations,
            time.perf_counter() - t0,
            bound,
            obj,
            (obj - bound) / max(abs(obj), 1e-12),
            tuple(tried),
        )
    return RecoveryReport(
        None, "failed", iterations, time.perf_counter() - t0, bound, None, None, tuple(tried)
    )


def _exact_problem(model: Model):
    """The exact problem's data, the relaxed start point, the bound (currency), the Clarabel
    iterations of the re-solve, and the function writing a point back to the model."""
    _fix_integers(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, chain, inverse = model.problem.get_problem_data(
            CLARABEL_SOLVER if PARAMETRISED else "CLARABEL", ignore_dpp=not PARAMETRISED
        )
    prog = cone_program(data, {con.id for con in exact_cone_constraints(model)})
    x0, relaxed, iterations = _relaxed_point(data, chain)
    # the objective's constant, which the compilation keeps apart from c
    offset = float(data["param_prob"].apply_parameters()[1])
    bound = (relaxed + offset) / objective_scale(model.data)

    def back(x, z, obj_val, iters):
        _write_back(model, chain, inverse, x, z, obj_val, iters)

    return prog, x0, bound, iterations, back


def exact_cone_constraints(model: Model) -> list:
    """The cone constraints that relax an equality: DistFlow's current cone and each
    component's ``exact_cones`` families."""
    out = [model.blocks["distflow"].constraints[CURRENT_CONE]]
    for name in model.data.components:
        block = model.blocks.get(name)
        for family in BY_NAME[name].exact_cones:
            con = block.constraints.get(f"{name}-{family}") if block is not None else None
            if con is not None and type(con).__name__ == "SOC":
                out.append(con)
    return out


def recovery_checks(components) -> set[str]:
    """Checks whose failure starts the recovery: the network's SOC gap and AC check, and the
    gap check of every component's ``exact_cones``."""
    out = {"soc_gap_max", "ac_vm_err_max_pu", "ac_loss_rel_err"}
    for name in components:
        out.update(BY_NAME[name].exact_cones.values())
    return out


def _fix_integers(model: Model) -> None:
    """Fix every relaxed binary at the pattern of the relaxed solution (each component's
    relax-and-fix step, applied whether or not the relaxed solution breaks its rule)."""
    data = model.data
    for name, cdata in data.components.items():
        for fix in BY_NAME[name].integer_fixes(model.blocks[name], cdata, data):
            fix.fix()


def _relaxed_point(data: dict, chain) -> tuple[np.ndarray, float, int]:
    """The relaxed optimum in the compiled variables: Clarabel on the same data (cvxpy keeps
    no raw solution), with the run's default options. The solver gets a shallow copy of
    ``data``: our Clarabel interface releases the arrays it is handed, which the exact problem
    still reads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = chain.solver.solve_via_data(dict(data), False, False, dict(CLARABEL_OPTIONS))
    if str(sol.status) not in ("Solved", "AlmostSolved"):
        raise RuntimeError(f"the relaxed problem did not solve again ({sol.status})")
    return np.asarray(sol.x, dtype=float), float(sol.obj_val), int(sol.iterations)


def _feasible(res: dict[str, float]) -> bool:
    return (
        res["eq"] <= FEAS_TOL
        and res["in"] <= FEAS_TOL
        and res["bounds"] <= FEAS_TOL
        and res["cone_in"] <= FEAS_TOL
        and res["cone_s0"] <= FEAS_TOL
        and res["cone_eq"] <= CONE_EQ_TOL
    )


class _Ipopt:
    """cyipopt's problem interface over :class:`Derivatives`."""

    def __init__(self, prog: ConeProgram, d: Derivatives):
        self.prog, self.d = prog, d
        self.iterations = 0

    def intermediate(self, alg_mod, iter_count, *args):
        self.iterations = int(iter_count)
        return True

    def objective(self, x):
        return self.prog.objective(x)

    def gradient(self, x):
        g = self.prog.c.copy()
        if self.prog.P is not None:
            g += self.prog.P @ x
        return g

    def constraints(self, x):
        return self.d.constraints(x)

    def jacobianstructure(self):
        return self.d.jac_rows, self.d.jac_cols

    def jacobian(self, x):
        return self.d.jacobian(x)

    def hessianstructure(self):
        return self.d.hess_rows, self.d.hess_cols

    def hessian(self, x, lam, obj_factor):
        return self.d.hessian(lam, obj_factor)


def _ipopt(prog: ConeProgram, x0: np.ndarray) -> tuple:
    """IPOPT from x0: linear rows, ``s0 >= 0``, ``h = 0`` on current cones, ``h >= 0`` else."""
    import cyipopt

    d = Derivatives(prog)
    n_eq, n_in, n_c = prog.A_eq.shape[0], prog.A_in.shape[0], prog.first_row.size
    inf = 1e20
    h_hi = np.where(prog.exact, 0.0, inf)
    cl = np.concatenate([prog.b_eq, np.full(n_in, -inf), np.zeros(n_c), np.zeros(n_c)])
    cu = np.concatenate([prog.b_eq, prog.b_in, np.full(n_c, inf), h_hi])
    assert cl.size == d.m == n_eq + n_in + 2 * n_c
    lb = np.where(np.isfinite(prog.lb), prog.lb, -inf)
    ub = np.where(np.isfinite(prog.ub), prog.ub, inf)
    obj = _Ipopt(prog, d)
    nlp = cyipopt.Problem(n=prog.n, m=d.m, problem_obj=obj, lb=lb, ub=ub, cl=cl, cu=cu)
    for key, value in IPOPT_OPTIONS.items():
        nlp.add_option(key, value)
    x, info = nlp.solve(np.clip(x0, lb, ub))
    msg = (
        info["status_msg"].decode() if isinstance(info["status_msg"], bytes) else info["status_msg"]
    )
    its = obj.iterations
    z = conic_duals(prog, x, info["mult_g"], info["mult_x_L"], info["mult_x_U"])
    return np.asarray(x), z, its, f"status {info['status']} ({msg.split(',')[0]})"


def _restriction(prog: ConeProgram, x0: np.ndarray) -> tuple:
    x, its, msg = solve_restriction(prog, x0)
    # no duals: the restriction's are those of a tangent, not of the exact problem
    return x, None, its, msg


def _write_back(model: Model, chain, inverse, x, z, obj_val: float, iters: int):
    """Put x (and the duals z, when known) on the model's variables and constraints through
    cvxpy's own inverse of its compilation."""
    fake = types.SimpleNamespace(
        status="Solved", x=x, z=z, s=None, obj_val=obj_val, solve_time=0.0, iterations=iters
    )
    for inv in inverse:  # get_problem_data leaves the solver options unset
        if getattr(inv, "solver_options", {}) is None:
            inv.solver_options = {}
    model.problem.unpack_results(fake, chain, inverse)
