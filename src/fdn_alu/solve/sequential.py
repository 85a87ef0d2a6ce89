"""Sequential convex solves: the algorithm behind components whose exact constraint is not
convex (a production target with a bilinear efficiency, eq. 3), written once for any
component.

A component supplies a :class:`~fdn_alu.components.base.Relinearisation` (its error at the
current solution and how to move its linearisation point there); this module re-solves the
compiled problem (parameters only, no rebuild) until every error is within its tolerance or
stops changing. It also offers a cheap first linearisation point: the component's block alone,
its bus draw priced at the root's energy price (:func:`presolve_start`), and a phase 1 for
targets beyond the first approximation's reach (:func:`reach_start`).

Each solve is logged (logger ``fdn_alu.solve.sequential``, level INFO): the command line shows
these lines as progress.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import replace

import cvxpy as cp
import numpy as np

from fdn_alu.components.registry import BY_NAME
from fdn_alu.components.sequence import Relinearisation
from fdn_alu.errors import InfeasibleError, InputError, Problem
from fdn_alu.model.block import Block, flat_constraints
from fdn_alu.model.recipe import Model, objective_scale
from fdn_alu.solve.consumption import intensity_sequence
from fdn_alu.solve.solver import SolveInfo, solve_model

# Iteration limit of the sequence (our choice: the IEEE cases converge in 1-2).
MAX_ITERATIONS = 30
# Iteration limit when nodal carbon intensities join the sequence (our choice: the intensity
# fixed point converges linearly; 6-12 solves on the IEEE cases, ~40 on the 3-bus test feeder).
MAX_INTENSITY_ITERATIONS = 100
# Phase 1 stops when its true value rises by less than this fraction of the target between
# iterations (our choice: the convex-concave sequence rises monotonically; 1e-7 is far below
# the 1e-4 production check and far above solver noise on a tonne-scale sum).
REACH_STALL = 1e-7

log = logging.getLogger(__name__)


def relinearisations(model: Model) -> dict[str, Relinearisation]:
    """The sequential-solve parts of the components in ``model``, by component name."""
    data = model.data
    out = {}
    for name, cdata in data.components.items():
        rel = BY_NAME[name].relinearisation(model.blocks[name], cdata, data)
        if rel is not None:
            out[name] = rel
    return out


def solve_sequential(
    model: Model,
    solve: Callable[[], SolveInfo],
    parts: list[Relinearisation],
    warn: bool = True,
    max_iterations: int = MAX_ITERATIONS,
    label: str = "dispatch",
    interrupt: Callable[[], str | None] | None = None,
) -> tuple[SolveInfo, int]:
    """Solve, re-linearise every part at the solution, and repeat until all are exact.

    Stops when every part's error is at most its ``tol``, or when no error changed by more
    than 1 % of its tolerance since the last iteration (a stalled error is warned about with
    the part's ``stall_message``), or after ``max_iterations``. ``interrupt``, asked after a
    solve that is not exact yet, stops the sequence early (no warning) when it returns a
    reason: the caller continues from the current solution (relax-and-fix, see
    :func:`~fdn_alu.solve.relax_fix.solve_exact`).

    Returns
    -------
    (SolveInfo, int)
        The last solve's info with times summed over the iterations, and the iteration count.
    """
    total_solver = total_wall = 0.0
    prev = [np.inf] * len(parts)
    errs = list(prev)
    info = None
    it = 0
    stalled = False
    while it < max_iterations:
        it += 1
        info = solve()
        total_solver += info.solver_s
        total_wall += info.solve_s
        errs = [p.error() for p in parts]
        log.info(
            "%s solve %d: %s (solver %.2f s)",
            label,
            it,
            ", ".join(f"{p.name} error {e:.1e}" for p, e in zip(parts, errs, strict=True)),
            info.solver_s,
        )
        if all(e <= p.tol for e, p in zip(errs, parts, strict=True)):
            break
        reason = interrupt() if interrupt is not None else None
        if reason:
            log.info("%s solve %d: %s; the relaxed sequence stops here", label, it, reason)
            warn = False
            break
        stalled = all(
            e <= p.tol or abs(e - q) <= p.tol * 1e-2
            for e, q, p in zip(errs, prev, parts, strict=True)
        )
        if stalled:
            break
        prev = errs
        for p, e in zip(parts, errs, strict=True):
            if e > p.tol:
                p.update()
    if warn:
        for p, e in zip(parts, errs, strict=True):
            if e > p.tol:
                why = (
                    p.stall_message if stalled else f"no convergence in {max_iterations} iterations"
                )
                warnings.warn(
                    f"{p.name}: error {e:.2e} (relative) above {p.tol:g}: {why}", stacklevel=2
                )
    return replace(info, solver_s=total_solver, solve_s=total_wall), it


def presolve_start(model: Model, name: str) -> np.ndarray:
    """Linearisation point of component ``name`` from its block alone, priced at the root.

    A small problem: the component's block (fresh, relaxed integers), its net draw from the
    network priced at the root's energy price and, where the scenario optimises it, the
    root's carbon (both from the component that supplies the root, see ``root_price``),
    solved to convergence with Clarabel. Starting the full problem's iterations there usually
    saves one full solve, because the network changes the component's schedule only a little.
    """
    data = model.data
    comp = BY_NAME[name]
    blk = comp.block(data.components[name], data, True)
    price, ci = root_price(data)
    draw_mw = -cp.sum(blk.p_bus, axis=1) * data.base_mva
    cost = price @ draw_mw * data.dt_h + cp.sum(cp.hstack(list(blk.costs.values())))
    if data.carbon_in_objective:
        carbon = ci @ draw_mw * data.dt_h / 1000.0
        for e in blk.emissions_t.values():
            carbon = carbon + e
        cost = cost + data.carbon_price_per_t * carbon
    problem = cp.Problem(cp.Minimize(objective_scale(data) * cost), flat_constraints([blk]))
    small = Model(data, {name: blk}, problem, {}, {})
    rel = comp.relinearisation(blk, data.components[name], data)
    label = f"presolve {name}"
    try:
        solve_sequential(small, lambda: solve_model(small, "clarabel"), [rel], False, label=label)
    except InfeasibleError:
        if rel.reach is None:
            raise
        rel.start(reach_start(blk, rel, data))
        solve_sequential(small, lambda: solve_model(small, "clarabel"), [rel], False, label=label)
    return rel.point()


def reach_start(block, rel: Relinearisation, data) -> np.ndarray:
    """Phase 1: a linearisation point where ``rel``'s target is inside the approximation.

    Maximises the approximation of the quantity (:class:`~fdn_alu.components.base.Reach`)
    over the block without the target's constraint, re-linearising at every solution. The true
    value never falls (the approximation is exact at its point and a lower bound elsewhere), so
    the sequence either meets the target, and returns that point, or stalls at the most the
    component can reach.

    Raises
    ------
    InputError
        The target is above the most the sequence reaches; the message gives that value.
    """
    reach = rel.reach
    kept = {k: v for k, v in block.constraints.items() if k != reach.family}
    cons = flat_constraints([Block(block.name, constraints=kept)])
    problem = cp.Problem(cp.Maximize(reach.approx / reach.target), cons)
    small = Model(data, {block.name: block}, problem, {}, {})
    best = -np.inf
    for it in range(1, MAX_ITERATIONS + 1):
        solve_model(small, "clarabel")
        value = reach.value()
        log.info(
            "phase 1 (%s target %.6g %s beyond the first approximation) iteration %d: %.6g %s",
            reach.label,
            reach.target,
            reach.unit,
            it,
            value,
            reach.unit,
        )
        if value >= reach.target:
            return rel.point()
        if value <= best + REACH_STALL * reach.target:
            break
        best = max(best, value)
        rel.update()
    best = max(best, value)
    if best >= reach.target * (1 - REACH_STALL):
        return rel.point()
    section, key = reach.setting
    raise InputError(
        [
            Problem(
                f"[{section}].{key}",
                f"{reach.label} target {reach.target:.6g} {reach.unit} is out of reach: at most "
                f"{best:.6g} {reach.unit} ({best / reach.target:.4%} of the target) within "
                "the device's limits and operating rules",
                section,
                key,
            )
        ]
    )


def root_price(data) -> tuple[np.ndarray, np.ndarray]:
    """Energy price (T,) and carbon intensity (T,) at the root, from the component that
    supplies the root (:meth:`~fdn_alu.components.base.Component.root_tariff`); zero when none
    does."""
    for name, cdata in data.components.items():
        tariff = BY_NAME[name].root_tariff(cdata)
        if tariff is not None:
            return np.asarray(tariff[0]), np.asarray(tariff[1])
    return np.zeros(data.periods), np.zeros(data.periods)


def solve_dispatch(
    model: Model,
    solver: str = "clarabel",
    starts: dict[str, np.ndarray] | None = None,
    options: dict | None = None,
    label: str = "dispatch",
    interrupt: Callable[[], str | None] | None = None,
) -> tuple[SolveInfo, int]:
    """Solve a dispatch model: one solve, or the sequence when a component needs it.

    Parameters
    ----------
    model : Model
    solver : str
    starts : dict of str -> ndarray, optional
        First linearisation point per component (e.g. a presolve reused across re-solves).
        When omitted: a presolve of each component alone (:func:`presolve_start`; measured
        with relax-and-fix, it saves one full solve at every size: ieee15 x 24 1.0 s instead of
        2.3 s, ieee85 x 96 13.9 s instead of 19.0 s on a loaded machine). Nodal carbon
        intensities held in the model (consumption accounting, footprint limits) join the sequence
        (:func:`~fdn_alu.solve.consumption.intensity_sequence`).
    options : dict, optional
        Solver options over the defaults (every solve of the sequence).
    label : str
        Names the solves in the log lines.
    interrupt : callable, optional
        Stops the sequence early (see :func:`solve_sequential`); ignored when nodal
        intensities join the sequence.

    Returns
    -------
    (SolveInfo, int)
        Solve info (times summed over iterations) and the number of solves.
    """
    parts = relinearisations(model)
    carbon = intensity_sequence(model)
    if not parts and carbon is None:
        return solve_model(model, solver, options), 1
    starts = dict(starts or {})
    if not starts:
        starts = {name: presolve_start(model, name) for name in parts}
    for name, part in parts.items():
        if name in starts:
            part.start(starts[name])
    sequence = list(parts.values()) + ([carbon] if carbon is not None else [])
    limit = MAX_ITERATIONS if carbon is None else MAX_INTENSITY_ITERATIONS
    if carbon is not None:
        # No early stop with nodal intensities in the sequence: its first solve prices carbon at
        # the starting intensities, far from the converged ones, so a pattern fixed there does
        # not fit the limit (ieee15 scenario 2, footprint limit 6.18623 t/t: +0.53 CNY, the limit
        # left slack, 12 solves instead of 22; measured).
        interrupt = None
    # The proximal terms of the intensity sequence are quadratic: passed to the solver as
    # cones, not as a quadratic objective, which left Clarabel "almost solved" on ieee15; and
    # with Clarabel's iterative refinement, which the fast default leaves off (without it the
    # ieee15 scenario 3 sequence ended "almost solved" too).
    prox = {"use_quad_obj": False}
    if solver.lower() == "clarabel":
        prox["iterative_refinement_enable"] = True
    opts = {**(options or {}), **(prox if model.proximal else {})}
    return solve_sequential(
        model,
        lambda: solve_model(model, solver, options=opts),
        sequence,
        max_iterations=limit,
        label=label,
        interrupt=interrupt,
    )
