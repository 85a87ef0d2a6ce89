"""fdn_alu: low-carbon dispatch of flexible distribution networks with aluminium smelter parks."""

from .cases import Case, case_from_net, list_cases, load_case
from .errors import FdnAluError, InfeasibleError, InputError, SolveError, SolverUnavailableError
from .results import RunResult, write_results
from .run import run

__version__ = "0.1.0"

__all__ = [
    "Case",
    "FdnAluError",
    "InfeasibleError",
    "InputError",
    "RunResult",
    "SolveError",
    "SolverUnavailableError",
    "case_from_net",
    "list_cases",
    "load_case",
    "run",
    "write_results",
]
