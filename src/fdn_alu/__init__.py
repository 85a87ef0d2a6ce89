"""fdn_alu: low-carbon dispatch of flexible distribution networks with aluminium smelter parks.

The public names below are loaded on first use (PEP 562), so that ``import fdn_alu`` and the
command line start in a fraction of a second and load cvxpy, pandas and pandapower only when a
command needs them.
"""

from typing import TYPE_CHECKING

from fdn_alu._lazy import lazy_getattr
from fdn_alu.errors import (
    FdnAluError,
    InfeasibleError,
    InputError,
    OutputError,
    SolveError,
    SolverUnavailableError,
)

__version__ = "0.1.0"

# Public name -> the module that defines it.
_LAZY = {
    "Case": ".cases",
    "case_from_net": ".cases",
    "list_cases": ".cases",
    "load_case": ".cases",
    "RunResult": ".results",
    "write_results": ".results",
    "run": ".core.run",
}

if TYPE_CHECKING:
    from fdn_alu.cases import Case, case_from_net, list_cases, load_case
    from fdn_alu.core.run import run
    from fdn_alu.results import RunResult, write_results


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = [
    "Case",
    "FdnAluError",
    "InfeasibleError",
    "InputError",
    "OutputError",
    "RunResult",
    "SolveError",
    "SolverUnavailableError",
    "case_from_net",
    "list_cases",
    "load_case",
    "run",
    "write_results",
]
