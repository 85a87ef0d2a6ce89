"""One dispatch run: case -> data -> model -> solve -> solution -> carbon -> checks -> tables.

This is the Python API behind ``fdn-alu run``::

    from fdn_alu import run
    result = run("ieee15", scenario=2)
    result.buses.head()
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from .carbon import carbon_flow, carbon_network
from .cases import Case, load_case
from .checks import ac_check, ac_check_sweep, power_balance_residual_mw, soc_gap
from .data import SCENARIOS, ModelData, build_model_data
from .errors import InfeasibleError, Problem, raise_if_problems
from .model.recipe import build_model
from .results import RunResult, branch_table, bus_table, source_rows
from .solution import Solution, extract_solution
from .solve import MIP_SOLVERS, diagnose_infeasibility, solve_model

# Above this many bus-periods the AC check uses the vectorised sweep instead of per-period
# pandapower runs (our choice: pandapower costs ~10 ms per period on an 85-bus feeder).
AC_PANDAPOWER_MAX = 500

# Tolerances the checks are judged against (stated in every summary).
TOLERANCES = {
    "soc_gap_max": 1e-6,
    "eaip_cone_gap_max": 1e-6,
    "ac_vm_err_max_pu": 1e-5,
    "ac_loss_rel_err": 1e-3,
    "carbon_balance_rel_err": 1e-9,
    "production_rel_err": 1e-4,
    "esop_simultaneous_max_mw": 1e-4,
}


def run(
    case: str | Case,
    scenario: int = 2,
    periods: int | None = None,
    solver: str = "clarabel",
    check_ac: bool = True,
    ac_method: str = "auto",
) -> RunResult:
    """Build, solve and post-process one case and scenario.

    Parameters
    ----------
    case : str or Case
        Built-in name (``"ieee15"``, ``"ieee85"``), a case file path, or a loaded Case.
    scenario : {1, 2, 3}
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
        pandapower to ~1e-11 pu, ~200x faster); ``auto``: pandapower up to
        ``AC_PANDAPOWER_MAX`` bus-periods, the sweep above.

    Returns
    -------
    RunResult

    Raises
    ------
    InputError, SolverUnavailableError, InfeasibleError, SolveError
    """
    t_start = time.perf_counter()
    case = case if isinstance(case, Case) else load_case(case)
    data = build_model_data(case, scenario, periods)
    mip = solver.lower() in MIP_SOLVERS
    model = build_model(data, relax_integers=not mip)
    t_solve = time.perf_counter()
    try:
        if data.park is not None:
            from .model.eaip import solve_with_production

            info, iterations = solve_with_production(model, solver)
        else:
            info, iterations = solve_model(model, solver), 1
    except InfeasibleError as exc:
        found = diagnose_infeasibility(data, solver)
        if found:
            msg = (
                "the dispatch problem is infeasible; with penalised slack on the network "
                "limits it solves, needing:\n  - " + "\n  - ".join(found)
            )
        else:
            msg = (
                "the dispatch problem is infeasible even with the voltage and current limits "
                "relaxed: check device limits (potline current range vs production target, "
                "storage end-of-day rule, grid export)"
            )
        raise InfeasibleError(msg, found) from exc
    solve_s = time.perf_counter() - t_solve
    t_post = time.perf_counter()
    sol = extract_solution(model)
    result = postprocess(case, data, sol, check_ac=check_ac, ac_method=ac_method)
    post_s = time.perf_counter() - t_post
    s = result.summary
    s["solver"] = info.solver
    s["status"] = info.status
    s["solver_status"] = info.solver_status
    s["solve_iterations"] = iterations
    s["timings_s"] = {
        "build": model.build_s,
        "solve": solve_s,
        "solver": info.solver_s,
        "postprocess": post_s,
        "total": time.perf_counter() - t_start,
    }
    return result


def postprocess(
    case: Case, data: ModelData, sol: Solution, check_ac: bool = True, ac_method: str = "auto"
) -> RunResult:
    """Carbon flow, checks and tables of a solved run."""
    cn, nodes = carbon_network(data, sol)
    cr = carbon_flow(cn)
    gap = soc_gap(data, sol)
    if ac_method == "auto":
        small = data.net.n_bus * data.periods <= AC_PANDAPOWER_MAX
        ac_method = "pandapower" if small else "sweep"
    if ac_method not in ("pandapower", "sweep"):
        raise_if_problems(
            [Problem("ac_method", f"must be auto, pandapower or sweep (got {ac_method!r})")]
        )
    ac = None
    if check_ac:
        ac = (
            ac_check(case.net, data, sol)
            if ac_method == "pandapower"
            else ac_check_sweep(data, sol)
        )
    buses = bus_table(data, sol, cr)
    branches = branch_table(data, sol, cr)
    sources = _sources(data, sol, cr, nodes)
    eaip_df = esop_df = None
    checks = {
        "soc_gap_max": gap.max_rel,
        "soc_gap_where": {"branch": gap.branch, "period": gap.period},
        "soc_gap_zero_r_branches": gap.zero_r_max_rel,
        "soc_gap_unfloored": gap.max_rel_unfloored,
        "soc_gap_loss_overstated_mw": gap.loss_overstated_mw,
        "ac_vm_err_max_pu": ac.vm_err_max_pu if ac else None,
        "ac_loss_rel_err": ac.loss_rel_err if ac else None,
        "ac_converged": ac.converged if ac else None,
        "ac_method": ac_method if ac else None,
        "carbon_balance_rel_err": cr.balance_rel_err,
        "power_balance_residual_mw": power_balance_residual_mw(data, sol),
        "eaip_cone_gap_max": None,
        "production_rel_err": None,
        "esop_simultaneous_max_mw": None,
    }
    park_emis = 0.0
    if data.park is not None:
        from .model.eaip import eaip_checks
        from .results import eaip_table

        eaip_df, park_emis = eaip_table(data, sol, cr, nodes)
        checks.update(eaip_checks(data, sol))
    if data.esop is not None:
        from .model.esop import esop_checks
        from .results import esop_table

        esop_df = esop_table(data, sol, cr, nodes)
        checks.update(esop_checks(data, sol))
    checks["tolerances"] = TOLERANCES
    checks["failed"] = [
        k for k, tol in TOLERANCES.items() if checks.get(k) is not None and not checks[k] <= tol
    ]
    if checks["failed"]:
        warnings.warn(
            f"{data.case_name} scenario {data.scenario}: checks outside tolerance: "
            f"{', '.join(checks['failed'])}",
            stacklevel=2,
        )
    summary = _summary(data, sol, cr, checks, park_emis)
    return RunResult(
        summary,
        buses,
        branches,
        sources,
        data,
        sol,
        cr,
        eaip_df,
        esop_df,
        extra={"gap": gap, "ac": ac, "carbon_nodes": nodes},
    )


def _sources(data: ModelData, sol: Solution, cr, nodes) -> pd.DataFrame:
    net = data.net
    T = data.periods
    root_id = int(net.bus_ids[net.root])
    parts = [
        source_rows(
            data,
            "grid",
            ["grid"],
            [root_id],
            sol.p_grid_mw[:, None],
            sol.q_grid_mvar[:, None],
            data.grid.ci_kg_per_mwh[:, None],
            direct=True,
        ),
        source_rows(
            data,
            "pv",
            data.pv.names,
            [int(net.bus_ids[b]) for b in data.pv.bus],
            sol.p_pv_mw,
            sol.q_pv_mvar,
            np.zeros_like(sol.p_pv_mw),
            direct=False,
        ),
    ]
    if data.esop is not None:
        from .results import esop_source_rows

        parts.append(esop_source_rows(data, sol, cr, nodes))
    if data.park is not None:
        from .results import park_source_rows

        parts.append(park_source_rows(data, sol, cr, nodes))
    df = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return (
        df.sort_values(["period", "kind", "source"], kind="stable").reset_index(drop=True)
        if T
        else df
    )


def _summary(data: ModelData, sol: Solution, cr, checks: dict, park_emis: float) -> dict:
    c = sol.costs
    costs = {
        k: float(c.get(k, 0.0))
        for k in ("purchase", "gas_turbine", "loss", "carbon", "eaip", "esop")
    }
    costs["total"] = float(sum(costs.values()))
    e = sol.emissions_t
    emis = {"grid": float(e.get("grid", 0.0)), "gas_turbine": float(e.get("gas_turbine", 0.0))}
    emis["total"] = emis["grid"] + emis["gas_turbine"]
    emis["park"] = float(park_emis)
    dt = data.dt_h
    energy = {
        "grid_import": float(np.maximum(sol.p_grid_mw, 0).sum() * dt),
        "grid_export": float(np.maximum(-sol.p_grid_mw, 0).sum() * dt),
        "pv": float(sol.p_pv_mw.sum() * dt),
        "pv_available": float(data.pv.p_avail_pu.sum() * data.base_mva * dt),
        "gas_turbine": float(sol.park.get("gas_turbine_mw", np.zeros(1)).sum() * dt),
        "losses": float(sol.loss_mw.sum() * dt),
        "load": float(data.p_load_pu.sum() * data.base_mva * dt),
        "eaip": float(sol.park.get("potline_p_mw", np.zeros((1, 1))).sum() * dt),
    }
    name, desc = SCENARIOS[data.scenario]
    return {
        "case": data.case_name,
        "scenario": data.scenario,
        "scenario_name": name,
        "scenario_description": desc,
        "periods": data.periods,
        "dt_h": data.dt_h,
        "currency": data.currency,
        "carbon_in_objective": data.carbon_in_objective,
        "objective": sol.objective,
        "costs": costs,
        "energy_mwh": energy,
        "emissions_t": emis,
        "vm_min_pu": float(sol.vm_pu.min()),
        "vm_max_pu": float(sol.vm_pu.max()),
        "checks": checks,
        "notes": list(data.notes),
    }
