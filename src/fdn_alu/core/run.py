"""One dispatch run: case -> data -> model -> solve -> solution -> carbon -> checks -> tables.

This is the Python API behind ``fdn-alu run``::

    from fdn_alu import run
    result = run("ieee15", scenario="low_carbon")   # or scenario=2
    result.buses.head()

The pipeline loops over the components present in the case and never names one.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import pandas as pd

from fdn_alu.analysis.carbon import carbon_flow, carbon_network
from fdn_alu.analysis.checks import all_tolerances, dispatch_checks
from fdn_alu.analysis.reconcile import reconciliation_checks
from fdn_alu.cases import Case, load_case
from fdn_alu.cases.scenarios import SCENARIOS
from fdn_alu.components.registry import BY_NAME, COMPONENTS
from fdn_alu.core.data import ModelData, build_model_data
from fdn_alu.core.solution import Solution, extract_solution
from fdn_alu.errors import InfeasibleError, Problem, SolveError, raise_if_problems
from fdn_alu.model.recipe import build_model
from fdn_alu.results import RunResult
from fdn_alu.results.summary import Checks, Costs, Emissions, Summary, Timings
from fdn_alu.results.tables import branch_table, bus_table, declared_source_rows
from fdn_alu.solve import (
    CLARABEL_REFINE,
    MIP_SOLVERS,
    FixInfeasibleError,
    check_solver,
    diagnose_infeasibility,
    loads_servable,
    release_solver,
    solve_exact,
)
from fdn_alu.solve.clock import solver_clock
from fdn_alu.solve.diagnose import summarise
from fdn_alu.solve.recover import NOT_NEEDED, OFF, recover_dispatch, recovery_checks

AC_METHODS = ("auto", "pandapower", "sweep")
REFINE_NOTE = (
    "re-solved with tighter Clarabel tolerances (solve.CLARABEL_REFINE): the first solve left "
    "an SOC gap above tolerance"
)


INACCURATE_NOTE = (
    "the solver stopped close to, not at, its accuracy target (status 'warning'); every check "
    "is within its tolerance, so the dispatch is usable as reported"
)


def run(
    case: str | Case,
    *,
    scenario: int | str = 2,
    periods: int | None = None,
    solver: str = "clarabel",
    check_ac: bool = True,
    ac_method: str = "auto",
    relaxation_bound: bool = False,
    recover: bool = True,
) -> RunResult:
    """Build, solve and post-process one case and scenario.

    Parameters
    ----------
    case : str or Case
        Built-in name (``"ieee15"``, ``"ieee85"``), a case file path (TOML, MATPOWER ``.m``,
        pandapower ``.json``), or a loaded :class:`~fdn_alu.cases.Case`. Every option after it
        is keyword-only.
    scenario : int or str
        A number or a name: 1 ``"rigid"`` (carbon cost reported ex post), 2 ``"low_carbon"``
        (carbon cost in the objective; the default), 3 ``"flexible"`` (the flexible-network
        devices in service), ``"3a"`` ``"sop_only"`` and ``"3b"`` ``"sop_storage"`` (scenario 3
        without and with the devices' storage); :data:`fdn_alu.cases.scenarios.SCENARIOS`. The
        summary records the number (``summary["scenario"]``) and the name
        (``summary["scenario_name"]``).
    periods : int, optional
        Periods over the horizon (24 = hourly, 96 = quarter-hourly); the profile file's by default.
    solver : str
        ``clarabel`` (default), ``gurobi``, ``scip`` or ``mosek``. MIP-capable solvers keep the
        operating-state variables binary.
    check_ac : bool
        Run the AC power-flow check (on by default; every summary says whether it ran).
    ac_method : {"auto", "pandapower", "sweep"}
        ``pandapower``: Newton-Raphson per period on a copy of the net; ``sweep``: our
        backward/forward sweep over all periods at once (same equations, agrees with
        pandapower to ~1e-11 pu, ~20x faster on ieee15 x 24); ``auto`` (default): the sweep.
    relaxation_bound : bool
        With a conic solver, converge the relaxed problem before relax-and-fix so that
        ``integer_fix.gap_rel`` bounds what fixing the binaries cost (one more full solve when
        the first relaxed solution breaks a rule; see :func:`~fdn_alu.solve.solve_exact`).
    recover : bool
        When the SOC gap or the AC check fails, solve the exact branch-flow problem from the
        relaxed solution (:func:`~fdn_alu.solve.recover.recover_dispatch`; docs/RECOVERY.md)
        and report that dispatch, its checks and its certified gap (``summary["recovery"]``).

    Returns
    -------
    RunResult
        ``summary["status"]`` is ``check_failed`` when any check is outside its tolerance.

    Raises
    ------
    InputError, SolverUnavailableError, InfeasibleError, SolveError
    """
    with solver_clock() as clock:  # timings_s["solver"]: every solve of the run (solve/clock.py)
        args = (scenario, periods, solver, check_ac, ac_method, relaxation_bound, recover)
        return _run(case, *args, clock)


def _run(case, scenario, periods, solver, check_ac, ac_method, relaxation_bound, recover, clock):
    """:func:`run`'s pipeline; ``clock`` holds the solver's own time of all its solves."""
    t_start = time.perf_counter()
    if ac_method not in AC_METHODS:
        raise_if_problems(
            [Problem("ac_method", f"must be auto, pandapower or sweep (got {ac_method!r})")]
        )
    check_solver(solver)
    case = case if isinstance(case, Case) else load_case(case)
    data = build_model_data(case, scenario, periods)
    mip = solver.lower() in MIP_SOLVERS
    model = build_model(data, relax_integers=not mip)
    t_solve = time.perf_counter()
    try:
        try:
            info, iterations, fix = solve_exact(model, solver, bound=relaxation_bound)
        except FixInfeasibleError as exc:
            if not exc.early:
                raise
            # the pattern fixed at the first rule-breaking solve cut the problem off: once more
            # with the relaxed problem converged first (the order that pattern used to come from)
            model = build_model(data, relax_integers=not mip)
            info, iterations, fix = solve_exact(model, solver, bound=True)
    except InfeasibleError as exc:
        found = diagnose_infeasibility(data, solver)
        servable = bool(found) or loads_servable(data, solver)
        raise InfeasibleError(_infeasible_message(data, found, servable), found) from exc
    solve_s = time.perf_counter() - t_solve
    t_post = time.perf_counter()
    sol = extract_solution(model)
    release_solver(model)  # its KKT factors are not held through post-processing or a re-solve
    result = postprocess(case, data, sol, check_ac=check_ac, ac_method=ac_method, warn=False)
    refine_s = 0.0
    if solver.lower() == "clarabel" and "soc_gap_max" in result.report.checks.failed:
        # Interior-point residual on low-resistance branches, not the relaxation: solve once
        # more with tighter tolerances (solve.CLARABEL_REFINE) and keep that run if it solves
        # (at these tolerances Clarabel may stop at its iteration limit: the first run stands).
        t_refine = time.perf_counter()
        refined = build_model(data, relax_integers=not mip)
        try:
            info2, it2, fix2 = solve_exact(
                refined, solver, options=CLARABEL_REFINE, bound=relaxation_bound
            )
        except (InfeasibleError, SolveError):
            info2 = None
        refine_s = time.perf_counter() - t_refine
        solve_s += refine_s
        if info2 is not None:
            info = replace(info2, solver_s=info.solver_s + info2.solver_s)
            iterations, fix, model = iterations + it2, fix2, refined
            sol = extract_solution(model)
            result = postprocess(
                case, data, sol, check_ac=check_ac, ac_method=ac_method, warn=False
            )
            result.report = replace(result.report, notes=[*result.report.notes, REFINE_NOTE])
    recovery = NOT_NEEDED
    inexact = recovery_checks(data.components) & set(result.report.checks.failed)
    if inexact:
        values = result.report.checks.values
        recovery = replace(OFF, relaxed_failed={k: float(values[k]) for k in sorted(inexact)})
        if recover:
            recovery, result = _recover(case, model, result, recovery, check_ac, ac_method)
            solve_s += recovery.seconds or 0.0
            refine_s += recovery.seconds or 0.0
    _warn_failed(data, result.report.checks, stacklevel=4)  # the caller of run
    if info.status == "warning" and not result.report.checks.failed:
        result.report = replace(result.report, notes=[*result.report.notes, INACCURATE_NOTE])
    post_s = time.perf_counter() - t_post - refine_s
    result.report = replace(
        result.report,
        solver=info.solver,
        # a recovered dispatch is IPOPT's (or the restriction's), verified by every check: the
        # relaxed solve's accuracy no longer applies to it
        solver_status_mapped="ok" if recovery.status == "recovered" else info.status,
        solver_status=info.solver_status,
        solve_iterations=iterations,
        integer_fix=fix.to_dict() if fix else None,
        recovery=recovery.to_dict(),
        carbon_accounting=_accounting(data, model),
        timings=Timings(
            model.build_s, solve_s, clock.seconds, post_s, time.perf_counter() - t_start
        ),
    )
    return result


def _recover(case: Case, model, result: RunResult, off, check_ac: bool, ac_method: str):
    """The recovery step (docs/RECOVERY.md): the exact branch-flow problem from the relaxed
    solution; on success the run's tables and checks are those of the recovered dispatch."""
    rec = replace(recover_dispatch(model), relaxed_failed=off.relaxed_failed)
    gap = ", ".join(f"{k} {v:.1e}" for k, v in off.relaxed_failed.items())
    if rec.status != "recovered":
        note = "relaxation inexact; recovery of an AC-feasible dispatch failed: " + "; ".join(
            rec.tried
        )
        result.report = replace(result.report, notes=[*result.report.notes, note])
        return rec, result
    sol = extract_solution(model)
    out = postprocess(case, model.data, sol, check_ac=check_ac, ac_method=ac_method, warn=False)
    note = (
        f"relaxation inexact ({gap}): dispatch recovered by {rec.method} from the "
        f"exact branch-flow problem, objective {rec.gap_rel:+.2e} relative to the relaxed bound"
    )
    out.report = replace(out.report, notes=[*result.report.notes, note])
    return rec, out


def _accounting(data: ModelData, model) -> dict:
    """How the carbon cost was priced, and the intensity sequence when it ran.

    ``mode`` direct (eq. 16) or consumption; under consumption the carbon charged to the
    consumers (t CO2) and its cost; ``intensity_changes``: the relative change of the nodal
    intensities after each solve of the sequence (empty when no intensity was held).
    """
    out = {
        "mode": data.carbon_accounting,
        "charged": data.carbon_charged if data.carbon_accounting == "consumption" else None,
        "intensity_changes": [float(e) for e in model.intensity_history],
        "charged_t": None,
        "charged_cost": None,
    }
    if model.charged_t is not None:
        charged = float(model.charged_t.value)
        out["charged_t"] = charged
        out["charged_cost"] = charged * data.carbon_price_per_t
    return out


def _infeasible_message(data: ModelData, found: list[str], servable: bool = True) -> str:
    """The infeasibility error text: the network limits a penalised re-solve needed; else
    whether the loads can be carried at all; else the limits of the devices present (only
    limits the case has, from each component's ``limits``)."""
    if found:
        return (
            "the dispatch problem is infeasible; with penalised slack on the network "
            "limits it solves, needing:\n  - " + "\n  - ".join(summarise(found))
        )
    head = "the dispatch problem is infeasible even with the voltage and current limits relaxed"
    peak_mw = float(data.p_load_pu.sum(axis=1).max() * data.base_mva) if data.periods else 0.0
    if not servable:
        return (
            f"{head}: the loads cannot be served. Even from a root without import limit and "
            "with no voltage or current limit, this feeder cannot carry its fixed demand "
            f"(peak {peak_mw:.4g} MW): the demand is beyond the network's maximum loadability "
            "(line impedances too high for it), whatever the devices do"
        )
    limits = [
        f"{name}: {text}"
        for name in data.components
        for text in BY_NAME[name].limits(data.components[name], data)
    ]
    if not limits:
        return (
            f"{head}, and the feeder can carry its loads from an unlimited root; no limit of "
            "the case explains it (please report this case)"
        )
    why = "the feeder can carry its loads, so a limit of the root or of a device is binding"
    return f"{head}; {why}:\n  - " + "\n  - ".join(limits)


def _warn_failed(data: ModelData, checks: Checks, stacklevel: int = 3) -> None:
    """Warn about every check outside its tolerance (nothing when all pass); ``stacklevel`` as
    :func:`warnings.warn`'s, counted from this function."""
    if checks.failed:
        warnings.warn(
            f"{data.case_name} scenario {data.scenario}: checks outside tolerance: "
            + ", ".join(
                f"{k} = {checks.values[k]:.3g} (tolerance {checks.tolerances[k]:g})"
                for k in checks.failed
            ),
            stacklevel=stacklevel,
        )


def postprocess(
    case: Case,
    data: ModelData,
    sol: Solution,
    check_ac: bool = True,
    ac_method: str = "auto",
    warn: bool = True,
) -> RunResult:
    """Carbon flow, checks and tables of a solved run (solver fields filled in by :func:`run`);
    ``warn``: warn about checks outside tolerance here (``run`` warns once, at its end)."""
    cn, nodes = carbon_network(data, sol)
    cr = carbon_flow(cn)
    values, gap, ac = dispatch_checks(case.net, data, sol, cr.balance_rel_err, check_ac, ac_method)
    tables: dict[str, pd.DataFrame] = {}
    reported: dict[str, float] = {}
    source_parts = declared_source_rows(data, cn.declared)
    energy = {k: 0.0 for c in COMPONENTS for k in c.summary_energy}
    for name, cdata in data.components.items():
        comp, part = BY_NAME[name], sol.parts[name]
        t, e = comp.result_tables(cdata, part, data, cr, nodes[name])
        tables.update(t)
        reported.update(e)
        source_parts += comp.source_rows(cdata, part, data, cr, nodes[name])
        energy.update(comp.energy_mwh(cdata, part, data))
    energy["losses"] = float(sol.loss_mw.sum() * data.dt_h)
    energy["load"] = float(data.p_load_pu.sum() * data.base_mva * data.dt_h)
    sources = _sources(data, source_parts)
    costs = Costs(_contract_terms(sol.costs, "summary_costs", extra=("loss", "carbon")))
    emissions = Emissions(
        _contract_terms(sol.emissions_t, "summary_emissions"),
        _contract_terms(reported, "summary_reported"),
    )
    values.update(
        reconciliation_checks(
            emissions.direct,
            cn.declared,
            sources,
            data.dt_h,
            costs.terms,
            sol.objective_costs,
            sol.objective_other,
            sol.objective,
        )
    )
    checks = Checks(values, all_tolerances())
    if warn:
        _warn_failed(data, checks)
    report = Summary(
        case=data.case_name,
        scenario=data.scenario,
        scenario_name=SCENARIOS[data.scenario].name,
        scenario_description=SCENARIOS[data.scenario].description,
        periods=data.periods,
        dt_h=data.dt_h,
        currency=data.currency,
        carbon_in_objective=data.carbon_in_objective,
        objective=sol.objective,
        costs=costs,
        energy_mwh=energy,
        emissions=emissions,
        vm_min_pu=float(sol.vm_pu.min()),
        vm_max_pu=float(sol.vm_pu.max()),
        checks=checks,
        notes=list(data.notes),
        solver="",
        solver_status_mapped="ok",
        solver_status="",
        solve_iterations=0,
        timings=Timings(0.0, 0.0, 0.0, 0.0, 0.0),
    )
    return RunResult(
        report,
        bus_table(data, sol, cr),
        branch_table(data, sol, cr),
        sources,
        data,
        sol,
        cr,
        tables,
        details={
            "gap": gap,
            "ac": ac,
            "carbon_nodes": nodes,
            "carbon_declared": cn.declared,
            "table_names": tuple(t for c in COMPONENTS for t in c.tables),
        },
    )


def _contract_terms(values: dict[str, float], attr: str, extra: tuple = ()) -> dict[str, float]:
    """Terms of the results contract in a stable order: every registered component's keys
    (0 when absent) and the network's ``extra`` keys, then any further term of the model."""
    keys = dict.fromkeys([k for c in COMPONENTS for k in getattr(c, attr)] + list(extra))
    out = {k: float(values.get(k, 0.0)) for k in keys}
    out.update({k: float(v) for k, v in values.items() if k not in out})
    return out


def _sources(data: ModelData, parts: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if not data.periods:
        return df
    return df.sort_values(["period", "kind", "source"], kind="stable").reset_index(drop=True)


__all__ = ["postprocess", "run"]
