"""Command-line interface: ``fdn-alu cases | solvers | run | reproduce``. Thin: parses, calls
the API, prints."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .errors import FdnAluError, InputError

EXIT_INPUT = 2
EXIT_FAILURE = 1
EXIT_INTERNAL = 3

PLUGIN_COMMANDS: list[str] = [
    ".studies.ancillary_cli",
]
"""Modules adding a subcommand (absolute, or relative to ``fdn_alu`` with a leading dot). Each
provides ``add_parser(subparsers) -> None`` (adds its subparser) and ``main(args) -> int`` (runs it,
returns the exit code; raise :class:`~fdn_alu.errors.InputError` etc. and the CLI maps them)."""


def _add_plugins(sub) -> dict:
    """Let every module in PLUGIN_COMMANDS add its subparser; map command name -> module."""
    import importlib

    plugins = {}
    for name in PLUGIN_COMMANDS:
        try:
            mod = importlib.import_module(name, package="fdn_alu")
        except Exception as exc:  # a broken plugin must not break the other commands
            print(f"warning: command module {name} not loaded: {exc}", file=sys.stderr)
            continue
        before = set(sub.choices)
        mod.add_parser(sub)
        for cmd in set(sub.choices) - before:
            plugins[cmd] = mod
    return plugins


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fdn-alu",
        description="Low-carbon dispatch of flexible distribution networks with aluminium "
        "smelter parks (SOC-relaxed DistFlow + carbon emission flow).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("cases", help="list the built-in cases")
    sub.add_parser("solvers", help="list the installed solvers")
    r = sub.add_parser("run", help="dispatch one case and scenario, write the result tables")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--case", help="built-in case name, or a .toml / .m / .json file")
    src.add_argument("--config", help="a case TOML file (same as --case FILE.toml)")
    r.add_argument(
        "--scenario",
        type=int,
        default=2,
        choices=(1, 2, 3),
        help="1 rigid, 2 rigid + carbon cost, 3 flexible (ESOP); default 2",
    )
    r.add_argument(
        "--periods",
        type=int,
        default=None,
        help="periods over the day (24 = hourly, 96 = 15 min); default: profile rows",
    )
    r.add_argument("--solver", default="clarabel", help="clarabel (default), gurobi, scip or mosek")
    r.add_argument("--out", default=None, help="output folder (default: out/CASE_sN)")
    r.add_argument(
        "--no-ac-check", action="store_true", help="skip the AC power-flow check (not recommended)"
    )
    r.add_argument(
        "--ac-method",
        default="auto",
        choices=("auto", "pandapower", "sweep"),
        help="AC check: pandapower Newton-Raphson per period, the vectorised sweep, or auto",
    )
    rp = sub.add_parser(
        "reproduce",
        help="the paper's scenarios on both IEEE cases: tables, figures, capacity sensitivity",
    )
    rp.add_argument("--out", default="reproduce_out", help="output folder")
    rp.add_argument("--periods", type=int, default=None, help="periods over the day")
    rp.add_argument("--quick", action="store_true", help="reduced sensitivity grid")
    rp.add_argument("--solver", default="clarabel")
    rp.add_argument(
        "--case",
        action="append",
        dest="cases",
        default=None,
        help="limit to these cases (repeatable)",
    )
    p.set_defaults(_plugins=_add_plugins(sub))
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fdn-alu`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "cases":
            return _cases()
        if args.command == "solvers":
            from .solve import available_solvers

            print("\n".join(available_solvers()))
            return 0
        if args.command in args._plugins:
            return int(args._plugins[args.command].main(args))
        if args.command == "run":
            return _run(args)
        if args.command == "reproduce":
            from .reproduce import reproduce

            reproduce(
                args.out,
                cases=args.cases or ("ieee15", "ieee85"),
                periods=args.periods,
                quick=args.quick,
                solver=args.solver,
                progress=lambda m: print(m, flush=True),
            )
            return 0
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except FdnAluError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:
        if os.environ.get("FDN_ALU_DEBUG"):
            raise
        print(
            f"internal error: {exc!r} (set FDN_ALU_DEBUG=1 for the traceback; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return EXIT_FAILURE


def _cases() -> int:
    from .cases import list_cases

    for name, desc in list_cases():
        print(f"{name:10s} {desc}")
    return 0


def _run(args) -> int:
    from .results import write_results
    from .run import run

    case = args.case or args.config
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(
            case,
            scenario=args.scenario,
            periods=args.periods,
            solver=args.solver,
            check_ac=not args.no_ac_check,
            ac_method=args.ac_method,
        )
    s = result.summary
    out = args.out or f"out/{s['case']}_s{s['scenario']}"
    path = write_results(result, out)
    print(format_summary(s))
    for w in caught:
        if issubclass(w.category, UserWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    print(f"results written to {path}/")
    return 0


def format_summary(s: dict) -> str:
    """A short human-readable summary of a run's summary dict."""
    c, e, ch, t = s["costs"], s["emissions_t"], s["checks"], s["timings_s"]
    cur = s.get("currency", "")

    def fmt(v, spec):
        return "n/a" if v is None else format(v, spec)

    lines = [
        f"{s['case']} scenario {s['scenario']} ({s['scenario_name']}): {s['periods']} periods "
        f"x {s['dt_h']:g} h, solver {s['solver']} ({s['status']})",
        f"  cost {c['total']:,.2f} {cur}: purchase {c['purchase']:,.2f}, loss {c['loss']:,.2f}, "
        f"carbon {c['carbon']:,.2f}, gas turbine {c['gas_turbine']:,.2f}, park {c['eaip']:,.2f}, "
        f"ESOP {c['esop']:,.2f}",
        f"  emissions {e['total']:.4f} t CO2 (grid {e['grid']:.4f}, gas turbine "
        f"{e['gas_turbine']:.4f}; park {e['park']:.4f})",
        f"  grid import {s['energy_mwh']['grid_import']:.4f} MWh, losses "
        f"{s['energy_mwh']['losses']:.4f} MWh, V {s['vm_min_pu']:.4f}-{s['vm_max_pu']:.4f} pu",
        f"  checks: SOC gap {fmt(ch['soc_gap_max'], '.2e')}, AC |dV| "
        f"{fmt(ch['ac_vm_err_max_pu'], '.2e')} pu, AC loss err {fmt(ch['ac_loss_rel_err'], '.2e')}"
        f", carbon balance {fmt(ch['carbon_balance_rel_err'], '.1e')}"
        + (
            f", production {fmt(ch['production_rel_err'], '.1e')}"
            if ch.get("production_rel_err") is not None
            else ""
        )
        + (
            f" -- OUTSIDE TOLERANCE: {', '.join(ch['failed'])}" if ch.get("failed") else " (all ok)"
        ),
        f"  time {t['total']:.2f} s (build {t['build']:.2f}, solve {t['solve']:.2f} of which "
        f"solver {t['solver']:.2f}, post-processing {t['postprocess']:.2f})",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
