"""Error types of fdn_alu.

Every error carries a human-readable message; input errors carry the full list of problems
found, so that a user fixes a case file in one pass instead of one error at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    where : str
        Location of the problem as a user reads it: a file and key, a table and column.
    what : str
        What is wrong, in words a user understands.
    section : str
        The settings section (``"park"``, ``"network"``, ``"pv"``...), empty when none applies.
    key : str
        The field inside the section, empty when the problem is about the whole section.
    element : str or int or None
        The element the problem is about (a PV name, a potline number, a bus), if any.
    """

    where: str
    what: str
    section: str = ""
    key: str = ""
    element: str | int | None = None

    @property
    def message(self) -> str:
        return self.what

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class FdnAluError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(FdnAluError, ValueError):
    """The inputs (network, case settings, profiles) are invalid (a :class:`ValueError`).

    Parameters
    ----------
    problems : list of Problem
        Every problem found; the message lists them all.
    """

    def __init__(self, problems: list[Problem], title: str = "invalid input"):
        self.problems = list(problems)
        lines = [f"{title} ({len(self.problems)} problem(s)):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def raise_if_problems(problems: list[Problem], title: str = "invalid input") -> None:
    """Raise :class:`InputError` when ``problems`` is not empty."""
    if problems:
        raise InputError(problems, title)


class SolverUnavailableError(FdnAluError):
    """The requested solver is not installed, or its licence refused the model."""


class InfeasibleError(FdnAluError):
    """The dispatch problem has no feasible point.

    Parameters
    ----------
    message : str
        Explanation, including the diagnosis of which limits had to be violated.
    violations : list of str
        The limits (family, element, period) that a slack-penalised re-solve needed to relax.
    """

    def __init__(self, message: str, violations: list[str] | None = None):
        self.violations = list(violations or [])
        super().__init__(message)


class SolveError(FdnAluError):
    """The solver stopped without a usable solution (unbounded, numerical failure, ...)."""
