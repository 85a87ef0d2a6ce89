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


class OutputError(FdnAluError):
    """A result could not be written where asked (command line: exit code 5).

    Raised when the operating system fails while a result folder is written (disk full, file
    size limit, quota, read-only file system, I/O error); the temporary folder is removed and
    whatever was at the target before is left as it was. Its subclass
    :class:`OutputRefusedError` is raised before anything is written when the target is not
    ours to replace.

    Parameters
    ----------
    message : str
        The whole message: the path and the reason.
    path : str
        The output path concerned.
    reason : str
        The operating system's reason (``"No space left on device"``) or why it was refused.
    """

    def __init__(self, message: str, path: str = "", reason: str = ""):
        self.path = str(path)
        self.reason = reason
        super().__init__(message)


class OutputRefusedError(OutputError, InputError):
    """The output path was refused before anything was written (command line: exit code 2).

    The target is a file, a symbolic link, lies under a file, cannot be written, or is an
    existing folder that is not an earlier result of the same command (a user's folder, or
    another command's result). Both an :class:`OutputError` and an :class:`InputError`.

    Parameters
    ----------
    problems : list of Problem
        What is wrong with the path (usually one).
    title : str
        Heading of the message.
    """

    def __init__(self, problems: list[Problem], title: str = "refusing to write the results"):
        InputError.__init__(self, problems, title)
        self.path = problems[0].where if problems else ""
        self.reason = "; ".join(p.what for p in problems)
