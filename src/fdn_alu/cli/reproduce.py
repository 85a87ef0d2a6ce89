"""``fdn-alu reproduce``: the paper's scenarios on both IEEE cases into one result folder.

The API is imported when the command runs, not at start-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fdn_alu.cli.console import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    Progress,
    failed_checks,
    format_failed_checks,
)
from fdn_alu.cli.run import quick_n_bus
from fdn_alu.errors import InputError


def main(args) -> int:
    """Run ``fdn-alu reproduce``; returns the exit code."""
    from fdn_alu.cases import load_case
    from fdn_alu.paper.reproduce import reproduce
    from fdn_alu.results.folders import check_out_dir, write_dir_atomic
    from fdn_alu.results.size import check_memory
    from fdn_alu.solve import check_solver

    say = Progress(args.quiet)
    names = tuple(args.cases or ("ieee15", "ieee85"))
    for name in names:
        if args.periods and (n_quick := quick_n_bus(name)):
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
    out = check_out_dir(args.out, "reproduce")
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
