"""What a component gives the solve layer when its exact constraints are not convex: a
re-linearisation (a convex-concave sequence, with an optional phase 1 for targets beyond the
first approximation's reach) and a relax-and-fix step for binaries a conic solver relaxes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Reach:
    """How far a re-linearised constraint's quantity can be pushed (phase 1 of its sequence).

    A convex inner approximation is exact only at its linearisation point, so a target inside
    the true reachable set can lie outside the first approximation's (e.g. a production target
    above rated, with the tangent taken at rated). Phase 1
    (:func:`fdn_alu.solve.sequential.reach_start`) maximises ``approx`` without the target's
    constraint family, re-linearising at each solution: the true value rises monotonically to
    the largest the component can reach, and the first point whose true value meets the target
    is a feasible linearisation point for the real problem.

    Attributes
    ----------
    family : str
        Block constraint family holding the target (dropped in phase 1), ``"{component}-{name}"``.
    approx : cp.Expression
        The approximation of the quantity (concave in the variables), in ``unit``.
    value : callable () -> float
        The true quantity at the current solution, in ``unit``.
    target : float
    label : str
        What the quantity is, for messages (e.g. ``"park production"``).
    unit : str
    setting : tuple of (str, str)
        (section, key) of the setting that holds the target, for the input error.
    """

    family: str
    approx: Any
    value: Callable[[], float]
    target: float
    label: str
    unit: str
    setting: tuple[str, str]


@dataclass(frozen=True)
class Relinearisation:
    """A component's part in a sequential (convex-concave) solve.

    The solve layer (:func:`fdn_alu.solve.sequential.solve_sequential`) re-solves the model until
    every component's ``error()`` is within ``tol`` (or stops changing); between solves it calls
    ``update()``, which moves the component's cvxpy Parameters to the last solution.

    Attributes
    ----------
    name : str
    tol : float
        Relative error below which the component is exact.
    error : callable () -> float
        Error of the current solution (e.g. production vs target, relative).
    update : callable () -> None
        Re-linearise at the current solution (parameters only, no rebuild).
    point : callable () -> ndarray
        The linearisation point the current solution gives (to start another model there).
    start : callable (ndarray) -> None
        Set the linearisation point.
    stall_message : str
        Why the error can stop changing above ``tol`` (shown in the warning).
    initial : callable () -> ndarray, optional
        The component's own first linearisation point (e.g. rated operation, where the
        approximation is exact), to restart from when a later point makes the problem
        infeasible.
    reach : Reach, optional
        Phase 1 for targets beyond the first approximation's reach.
    """

    name: str
    tol: float
    error: Callable[[], float]
    update: Callable[[], None]
    point: Callable[[], np.ndarray]
    start: Callable[[np.ndarray], None]
    stall_message: str = ""
    initial: Callable[[], np.ndarray] | None = None
    reach: Reach | None = None


@dataclass(frozen=True)
class IntegerFix:
    """A component's relax-and-fix step for binaries a conic solver relaxes.

    After the relaxed solve, the solve layer asks ``violated()`` (does the relaxed solution
    break a rule the binaries would enforce?); if so it calls ``fix()`` (set the component's
    Parameters so that the indicators take a 0/1 pattern that satisfies the rule) and
    re-solves the convex problem, reporting the cost against the relaxed bound.
    """

    name: str
    violated: Callable[[], bool]
    fix: Callable[[], None]
