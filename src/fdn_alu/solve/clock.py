"""The solver's own time over a run: every solve inside a :func:`solver_clock` block counts.

A run solves more than its final problem: the presolve of a re-linearised component, the
relaxed and the fixed dispatch of relax-and-fix, a refined re-solve, the restriction of a
recovery. ``timings_s["solver"]`` is their sum, so that ``total / solver`` measures what the
pipeline costs around the solver (docs/ARCHITECTURE.md "Start-up and the cost around the
solver"). Clocks nest and are per thread and task (a :class:`contextvars.ContextVar`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class SolverClock:
    """The solver's own seconds and the number of solves recorded since the block began."""

    seconds: float = 0.0
    solves: int = 0


_ACTIVE: contextvars.ContextVar[tuple[SolverClock, ...]] = contextvars.ContextVar(
    "fdn_alu_solver_clocks", default=()
)


@contextlib.contextmanager
def solver_clock() -> Iterator[SolverClock]:
    """A clock that every :func:`record` inside the block (any depth of calls) adds to."""
    clock = SolverClock()
    token = _ACTIVE.set((*_ACTIVE.get(), clock))
    try:
        yield clock
    finally:
        _ACTIVE.reset(token)


def record(seconds: float) -> None:
    """Add one solve's own time (s) to every running clock (nothing when none runs)."""
    for clock in _ACTIVE.get():
        clock.seconds += seconds
        clock.solves += 1
