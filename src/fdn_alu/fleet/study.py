"""Season study: solve the strategies on one price series (break-even map: :mod:`.breakeven`)."""

from __future__ import annotations

import numpy as np

from fdn_alu.errors import Problem, raise_if_problems
from fdn_alu.fleet.data import HOURS_PER_DAY, FleetData
from fdn_alu.fleet.hub import solve_decomposed
from fdn_alu.fleet.model import STRATEGIES, build_model, embed_solution
from fdn_alu.fleet.results import SeasonResult, extract
from fdn_alu.fleet.solve import solve_model

#: The strategy whose national metal value starts each strategy's search (the nearest one:
#: at rated power, or with the band).
METAL_HINT = {"modulation": "rigid", "batch": "rigid", "full": "modulation"}


def run_season(
    fd: FleetData,
    strategies: tuple[str, ...] | list[str] = STRATEGIES,
    solver: str | None = None,
    **solver_opts,
) -> SeasonResult:
    """Solve the chosen strategies of a fleet.

    Restrictions are solved first (rigid, modulation, batch); the best restriction's optimum is
    handed to the full model as its first incumbent (it is feasible there), so the full model's
    reported cost is never above a restriction's even when the solver stops at its MIP gap.
    With ``[solver] decompose`` (default) and HiGHS, each strategy is solved region by region
    (:mod:`fdn_alu.fleet.hub`; a national target priced by a metal value) when its model
    separates so, else as one MILP.

    Parameters
    ----------
    fd : FleetData
    strategies : sequence of {"rigid", "modulation", "batch", "full"}
    solver : str, optional
        ``highs`` (default: the fleet's ``[solver] name``), ``scip`` or ``gurobi``.
    **solver_opts
        Overrides of the ``[solver]`` settings (mip_rel_gap, time_limit_s, threads, verbose).

    Returns
    -------
    SeasonResult
    """
    bad = [s for s in strategies if s not in STRATEGIES]
    raise_if_problems(
        [Problem("strategy", f"unknown {b!r}; known: {list(STRATEGIES)}") for b in bad],
        "invalid strategy",
    )
    opts = {**fd.settings["solver"], **solver_opts}
    solver = solver or opts["name"]
    res = SeasonResult(fd)
    solved = {}
    decompose = bool(opts["decompose"]) and solver == "highs"
    for name in [s for s in STRATEGIES if s in strategies]:
        model = build_model(fd, name)
        start = None
        donors = {"modulation": ("rigid",), "full": ("rigid", "modulation", "batch")}
        cands = [d for d in donors.get(name, ()) if d in solved]
        if cands:
            best = min(cands, key=lambda d: solved[d][1].objective)
            start = embed_solution(solved[best][0], solved[best][1].x, model)
        rep = None
        if decompose:
            hint = solved.get(METAL_HINT.get(name, ""), (None, None))[1]
            value = hint.metal_value_cny_per_t if hint is not None else None
            rep = solve_decomposed(model, len(fd.regions), opts, start, value)
        if rep is None:
            rep = solve_model(model, opts, start, solver)
        solved[name] = (model, rep)
        res.strategies[name] = extract(fd, model, rep)
    return res


def winter_scaled(fd: FleetData, premium: float, base_premium: float) -> FleetData:
    """Prices with the winter window scaled from ``base_premium`` to ``premium``.

    Winter hours are multiplied by (1 + premium) / (1 + base_premium); for the synthetic year
    with base_premium = its rule this equals regenerating the year with the new premium.
    """
    f = (1.0 + premium) / (1.0 + base_premium)
    mask_h = np.repeat(fd.winter, HOURS_PER_DAY)[:, None]
    return fd.with_prices(np.where(mask_h, fd.price * f, fd.price))
