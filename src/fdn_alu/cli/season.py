"""``fdn-alu season``: the potline fleet over a year (CLI plugin: add_parser, main).

Imports only the fleet schema at start-up; the fleet model and solver load when the command runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys

import numpy as np

from fdn_alu.errors import Problem, SolverUnavailableError, raise_if_problems
from fdn_alu.fleet.inputs import price_problems
from fdn_alu.fleet.schema import STRATEGIES, STRATEGY_LABELS, schema_text
from fdn_alu.results.folders import check_out_dir

SEASON_KIND = "season"
SOLVER_MODULES = {"highs": "highspy", "scip": "pyscipopt", "gurobi": "gurobipy"}

_EPILOG = f"""\
Built-in fleets: ieee15-park, ieee85-park (the dispatch cases' parks), china (provinces).
A fleet TOML has these sections (key = default [unit] meaning. Source):

{schema_text()}

Price CSV: column 'hour' 0..H-1 (H = 24*days), one column per region named after it (CNY/MWh),
optional 'ci:<region>' columns (kg CO2/MWh). Without a CSV the fleet uses its [prices] demand_csv
(china: a TOU tariff on each province's hourly demand) or the SYNTHETIC price year of
synthetic_prices.toml (TOU shape x seasonal factor x winter deficit), labelled in all outputs.
Regions from a dispatch case take their band, daily reach and output curve from its park; a
day of the plan then dispatches with `fdn-alu run --case CASE --season DIR --day N`.

Writes into --out: summary.json (per strategy: costs by kind, energy, emissions, production,
restarts, MIP gap to the dual bound, nodes, solve time, method, national metal value; savings
against rigid; checks), commitment.csv (strategy, day, region, lines_online, starts, stops,
production_t, inventory_t), power.csv (strategy, hour, region, p_mw), breakeven.csv (with each
grid point's lower bound) and PNG figures. Exit codes: 0 ok, 1 solve failure, 2 input error
(nothing solved or written), 3 internal error, 4 checks failed, 5 output error (disk full...),
130/143 interrupted/terminated. Equations and sources: docs/FLEET.md; folders: docs/OUTPUT.md.
"""


#: Fleets with more regions skip the break-even map unless asked (each of its full solves costs
#: about as much as the season itself: china's full model is the bulk of its run time).
MAP_MAX_REGIONS = 4


def add_parser(subparsers) -> None:
    """Register ``season`` on the ``fdn-alu`` subparsers."""
    p = subparsers.add_parser(
        "season",
        help="potline fleet over a year: seasonal batch shutdown vs modulation (MILP, HiGHS)",
        description="Commit whole potlines per day and modulate their power per hour over a "
        "year; compare rigid, modulation only, batch only and batch + modulation.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--fleet", required=True, help="ieee15-park, ieee85-park, china or FILE.toml")
    p.add_argument("--prices", default=None, help="hourly price CSV (overrides the fleet's)")
    p.add_argument(
        "--strategy",
        default="all",
        help=f"all, or a comma list of {', '.join(STRATEGIES)} (default all)",
    )
    p.add_argument(
        "--solver",
        default=None,
        choices=tuple(SOLVER_MODULES),
        help="highs (default), scip or gurobi",
    )
    p.add_argument("--gap", type=_gap, default=None, help="relative MIP gap (default 0.005)")
    p.add_argument("--time-limit", type=_seconds, default=None, help="seconds per solve")
    p.add_argument("--days", type=_count(1), default=None, help="override the horizon (days)")
    p.add_argument(
        "--breakeven-grid",
        type=_count(0),
        default=None,
        help="N x N break-even map of restart cost and winter premium (N modulation solves and "
        "the full model where schedule lines meet, ~2N; 0 skips it; default 5 for fleets of up "
        "to 4 regions, 0 above)",
    )
    p.add_argument(
        "--workers",
        type=_count(1),
        default=1,
        help="sweep workers for the break-even map (default 1)",
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--out", required=True, help="output folder (a new or earlier result folder)")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _gap(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _seconds(text: str) -> float:
    value = _number(text)
    if value <= 0.0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _count(lo: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {value}")
        return value

    return parse


def _strategies(text: str) -> tuple[str, ...]:
    if text.strip() == "all":
        return STRATEGIES
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    problems = [
        Problem("--strategy", f"unknown {n!r}; known: all, {', '.join(STRATEGIES)}")
        for n in names
        if n not in STRATEGIES
    ]
    if not names:
        problems.append(Problem("--strategy", f"no strategy in {text!r}; give all or a list"))
    raise_if_problems(problems, "invalid arguments")
    return tuple(dict.fromkeys(names))


def _check_solver(name: str | None) -> None:
    if name is not None and importlib.util.find_spec(SOLVER_MODULES[name]) is None:
        raise SolverUnavailableError(
            f"solver {name} is not installed (pip install {SOLVER_MODULES[name]}); "
            "highs is the default"
        )


def main(args: argparse.Namespace) -> int:
    """Run ``fdn-alu season``; returns the exit code (errors are raised: the CLI maps them)."""
    from fdn_alu.fleet import breakeven, load_fleet, run_season, write_season

    strategies = _strategies(args.strategy)
    check_out_dir(args.out, SEASON_KIND)
    _check_solver(args.solver)
    over: dict = {"horizon": {"days": args.days}} if args.days is not None else {}
    sopts = {}
    if args.gap is not None:
        sopts["mip_rel_gap"] = args.gap
    if args.time_limit is not None:
        sopts["time_limit_s"] = args.time_limit
    fd = load_fleet(args.fleet, prices=args.prices, **over)
    raise_if_problems(price_problems(fd.price, fd.ci, fd.prices_label), "invalid prices")
    res = run_season(fd, strategies, solver=args.solver, **sopts)
    be = None
    n = args.breakeven_grid
    if n is None:
        n = 5 if len(fd.regions) <= MAP_MAX_REGIONS else 0
        if n == 0:
            print(
                f"break-even map skipped for {len(fd.regions)} regions "
                "(--breakeven-grid N runs it)",
                file=sys.stderr,
            )
    if n > 0:
        base = fd.settings["costs"]["restart_cny_per_mw"]
        rc = np.linspace(0.0, 3.0 * max(base, 1.0), n)
        prem = np.linspace(0.0, 1.0, n)
        print(f"break-even map: {n} x {n} grid on the sweep engine", file=sys.stderr)
        be = breakeven(
            args.fleet,
            rc,
            prem,
            prices=args.prices,
            overrides=over,
            workers=args.workers,
            progress=lambda line: print(f"  {line}", file=sys.stderr),
            **sopts,
            **({"solver": args.solver} if args.solver else {}),
        )
    write_season(res, args.out, figures=not args.no_figures, breakeven=be)
    summ = res.summary()
    print(f"{fd.name}: {fd.prices_label}; {len(fd.regions)} region(s), {fd.lines.sum()} lines")
    print(f"{'strategy':36s} {'total CNY':>16s} {'vs rigid':>9s} {'restarts':>8s} "
          f"{'gap':>8s} {'time s':>7s}")  # fmt: skip
    for name, st in summ["strategies"].items():
        sv = summ.get("savings_vs_rigid", {}).get(name, {}).get("pct", float("nan"))
        print(
            f"{STRATEGY_LABELS[name]:36s} {st['costs_cny']['total']:16,.0f} {sv:8.2f}% "
            f"{st['restarts']:8d} {st['mip_gap']:8.1e} {st['solve_time_s']:7.1f}"
        )
    print(f"written: {args.out}")
    if summ["checks_failed"]:
        for f in summ["checks_failed"]:
            print(f"check failed: {f}", file=sys.stderr)
        return 4
    return 0
