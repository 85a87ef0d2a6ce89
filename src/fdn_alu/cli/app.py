"""Command-line interface: ``fdn-alu cases | solvers | example | run | reproduce`` (+ plugins).

Thin: parses, calls the API, prints. Every command that writes goes through
:mod:`fdn_alu.results.folders`
(the output path is checked before any work; folders are written all or
nothing and only ever replace an earlier fdn_alu result). Errors end with one readable message and
a documented exit code (:data:`EXIT_CODES`), never a traceback (``FDN_ALU_DEBUG=1`` shows the
traceback of an internal error).

This module holds the parser, the dispatch and the exit-code mapping; each built-in command runs in
its own module (:mod:`.run_cli`, :mod:`.reproduce_cli`, :mod:`.example_cli`), and what they print
is formatted in :mod:`.console`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import os
import signal
import sys
import threading
import warnings

import fdn_alu.cli.example as example_cli
import fdn_alu.cli.reproduce as reproduce_cli
import fdn_alu.cli.run as run_cli
import fdn_alu.cli.startup as startup
from fdn_alu.cli.args import positive_float, positive_int, scenario_arg
from fdn_alu.cli.console import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
)
from fdn_alu.errors import FdnAluError, InputError, OutputError, SolverUnavailableError

PLUGIN_COMMANDS: list[str] = [
    ".cli.ancillary",
    ".cli.sweep",
    ".cli.season",
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
        "An example runs directly with `fdn-alu run --case example:NAME`.",
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
        "--case",
        help="the case: a built-in name (see `fdn-alu cases`), example:NAME, simbench:CODE (a "
        "SimBench grid with its own profiles), a case .toml, or a bare .m / .json feeder",
    )
    src.add_argument("--config", metavar="CASE", help="alias of --case")
    r.add_argument(
        "--scenario",
        type=scenario_arg,
        metavar="N|NAME",
        default=2,
        help="number or name: 1 rigid, 2 low_carbon (carbon cost in the objective), 3 flexible "
        "(ESOP), 3a sop_only (converters without battery), 3b sop_storage (= 3); default 2",
    )
    r.add_argument(
        "--periods",
        type=positive_int,
        default=None,
        help="periods over the day (24 = hourly, 96 = 15 min); default: profile rows",
    )
    r.add_argument(
        "--start",
        default=None,
        help="first time step of the per-element profiles (simbench:CODE), e.g. 2016-06-21 or "
        "'2016-06-21 06:00'; overrides [profiles] start",
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
    r.add_argument(
        "--relaxation-bound",
        action="store_true",
        help="converge the relaxed problem before fixing relaxed binaries, so that "
        "integer_fix.gap_rel bounds the fixing's cost (more solves when fixing is needed)",
    )
    r.add_argument(
        "--recover",
        choices=("on", "off"),
        default="on",
        help="when the SOC relaxation is inexact (SOC gap or AC check failing), solve the exact "
        "branch-flow problem from the relaxed solution and report that AC-feasible dispatch and "
        "its gap to the relaxed bound (docs/RECOVERY.md); off: report the relaxed dispatch",
    )
    r.add_argument(
        "--season",
        default=None,
        help="a season result folder (fdn-alu season --out DIR): dispatch one day of its plan",
    )
    r.add_argument("--day", type=int, default=None, help="with --season: the plan's day (0-based)")
    r.add_argument(
        "--strategy", default="full", help="with --season: the plan's strategy (default full)"
    )
    r.add_argument(
        "--reserves",
        action="store_true",
        help="co-optimise reserve products with the built-in settings (all providers admitted, "
        "turbine part-load curve, a cement plant on the IEEE feeders); adds reserves.csv",
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
    rp.add_argument("--periods", type=positive_int, default=None, help="periods over the day")
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
        type=positive_float,
        default=None,
        help="refuse runs whose estimated memory exceeds this (default: 75%% of physical memory)",
    )


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up path runs (exit code 143)."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` in the main thread while a command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fdn-alu`` console script; returns the exit code."""
    try:
        with _sigterm_as_interrupt(), _readable_warnings():
            try:
                args = _parser().parse_args(argv)
            except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
                return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            return _dispatch(args)
    except Terminated:
        print("terminated", file=sys.stderr, flush=True)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); silence the flush at exit
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def console() -> None:
    """Entry point of the ``fdn-alu`` console script: :func:`main`, then a fast exit.

    Once the command has returned (files written, output printed), the exit handlers run and
    the standard streams are flushed, and the process ends without finalising the interpreter:
    tearing down the ~2,500 modules cvxpy, scipy, pandas and pandapower load and collecting
    their objects took 0.97 s after an ``fdn-alu run`` (0.06 s with this exit; 2 shared cores,
    load 2-4; issue 11) and does no work a result depends on. Call :func:`main` from Python;
    this function never returns. The solver stack's unused imports are deferred for every
    command (:func:`fdn_alu.cli.startup.install`).
    """
    startup.install()
    code = main()
    atexit._run_exitfuncs()  # logging, multiprocessing and every other registered handler
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO)
"""Operating-system failures reported as output errors (exit 5) wherever they happen."""


def _dispatch(args) -> int:
    try:
        if args.command in args._plugins:
            return int(args._plugins[args.command].main(args))
        if args.command == "cases":
            return example_cli.list_cases_main()
        if args.command == "solvers":
            from fdn_alu.solve import available_solvers

            print("\n".join(available_solvers()))
            return EXIT_OK
        if args.command == "example":
            return example_cli.main(args)
        if args.command == "run":
            return run_cli.main(args)
        if args.command == "reproduce":
            return reproduce_cli.main(args)
    except (InputError, SolverUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    except FdnAluError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS or os.environ.get("FDN_ALU_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: could not write {where}{exc.strerror}", file=sys.stderr)
        return EXIT_OUTPUT
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


if __name__ == "__main__":
    console()
