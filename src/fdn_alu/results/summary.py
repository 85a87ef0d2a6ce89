"""Typed run results: costs, emissions, energies, checks, timings and the summary they form.

Inside the package results are these dataclasses; JSON appears only at the edge
(:meth:`Summary.to_dict`, the summary.json layout of the results contract). Every total is
defined once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fdn_alu.analysis.tolerance import failed_checks

# Status of a run whose solver succeeded but whose exactness checks failed.
CHECK_FAILED = "check_failed"


@dataclass(frozen=True)
class Costs:
    """Cost terms of the objective (12) in the case currency.

    ``terms`` holds every term of the results contract (0 for a device that is absent); the
    carbon cost is included whether or not the scenario optimises it.
    """

    terms: dict[str, float]

    @property
    def total(self) -> float:
        """F of eq. (12), carbon cost included in every scenario (the results contract)."""
        return float(sum(self.terms.values()))

    def to_dict(self) -> dict[str, float]:
        return {**{k: float(v) for k, v in self.terms.items()}, "total": self.total}


@dataclass(frozen=True)
class Emissions:
    """Emissions in t CO2.

    Attributes
    ----------
    direct : dict of str -> float
        Direct emissions by source (they sum to the total).
    reported : dict of str -> float
        Other figures a component's tables define (e.g. eq. (5) of the paper); not in the total.
    """

    direct: dict[str, float]
    reported: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(sum(self.direct.values()))

    def to_dict(self) -> dict[str, float]:
        out = {"total": self.total, **{k: float(v) for k, v in self.direct.items()}}
        out.update({k: float(v) for k, v in self.reported.items()})
        return out


@dataclass(frozen=True)
class Checks:
    """Exactness checks: values, the tolerances they are judged against, what failed."""

    values: dict[str, Any]
    tolerances: dict[str, float]

    @property
    def failed(self) -> list[str]:
        """Checks whose value is outside its tolerance (a non-finite value fails)."""
        return failed_checks(self.values, self.tolerances)

    def to_dict(self) -> dict[str, Any]:
        return {**self.values, "tolerances": dict(self.tolerances), "failed": self.failed}


@dataclass(frozen=True)
class Timings:
    """Wall times in seconds; ``solver`` is the solver's own reported time summed over every
    solve of the run (presolve, relaxed and fixed dispatch, refinement, restriction;
    :mod:`fdn_alu.solve.clock`)."""

    build: float
    solve: float
    solver: float
    postprocess: float
    total: float

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Summary:
    """Everything summary.json holds, typed.

    ``status`` is ``ok`` (solver optimal, every check within tolerance), ``warning`` (the
    solver reported reduced accuracy, checks within tolerance) or ``check_failed`` (some check
    outside its tolerance: the numbers must not be used as exact).
    """

    case: str
    scenario: int
    scenario_name: str
    scenario_description: str
    periods: int
    dt_h: float
    currency: str
    carbon_in_objective: bool
    objective: float
    costs: Costs
    energy_mwh: dict[str, float]
    emissions: Emissions
    vm_min_pu: float
    vm_max_pu: float
    checks: Checks
    notes: list[str]
    solver: str
    solver_status_mapped: str
    solver_status: str
    solve_iterations: int
    timings: Timings
    integer_fix: dict | None = None
    carbon_accounting: dict | None = None
    # recovery of an AC-feasible dispatch (solve/recover.py RecoveryReport.to_dict(); set by
    # run, None when the summary comes from elsewhere)
    recovery: dict | None = None

    @property
    def status(self) -> str:
        return CHECK_FAILED if self.checks.failed else self.solver_status_mapped

    def to_dict(self) -> dict[str, Any]:
        """The summary.json layout (results contract)."""
        return {
            "case": self.case,
            "scenario": self.scenario,
            "scenario_name": self.scenario_name,
            "scenario_description": self.scenario_description,
            "periods": self.periods,
            "dt_h": self.dt_h,
            "currency": self.currency,
            "carbon_in_objective": self.carbon_in_objective,
            "objective": self.objective,
            "costs": self.costs.to_dict(),
            "energy_mwh": dict(self.energy_mwh),
            "emissions_t": self.emissions.to_dict(),
            "vm_min_pu": self.vm_min_pu,
            "vm_max_pu": self.vm_max_pu,
            "checks": self.checks.to_dict(),
            "notes": list(self.notes),
            "solver": self.solver,
            "status": self.status,
            "solver_status": self.solver_status,
            "solve_iterations": self.solve_iterations,
            "integer_fix": self.integer_fix,
            "recovery": self.recovery,
            "carbon_accounting": self.carbon_accounting,
            "timings_s": self.timings.to_dict(),
        }
