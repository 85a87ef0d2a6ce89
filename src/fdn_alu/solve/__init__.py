"""Solve layer: solver choice and status mapping (:mod:`.solver`), sequential convex solves
for components with a non-convex exact constraint (:mod:`.sequential`), relax-and-fix of
relaxed binaries (:mod:`.relax_fix`), and the
infeasibility diagnosis (:mod:`.diagnose`). Model code never imports this package."""

from fdn_alu.solve.diagnose import diagnose_infeasibility, loads_servable
from fdn_alu.solve.relax_fix import FixInfeasibleError, FixReport, solve_exact
from fdn_alu.solve.sequential import presolve_start, solve_dispatch, solve_sequential
from fdn_alu.solve.solver import (
    CLARABEL_REFINE,
    MIP_SOLVERS,
    SOLVERS,
    SolveInfo,
    available_solvers,
    check_solver,
    release_solver,
    solve_model,
)

__all__ = [
    "CLARABEL_REFINE",
    "MIP_SOLVERS",
    "SOLVERS",
    "FixInfeasibleError",
    "FixReport",
    "SolveInfo",
    "available_solvers",
    "check_solver",
    "diagnose_infeasibility",
    "loads_servable",
    "presolve_start",
    "release_solver",
    "solve_dispatch",
    "solve_exact",
    "solve_model",
    "solve_sequential",
]
