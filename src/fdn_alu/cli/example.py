"""``fdn-alu cases`` and ``fdn-alu example``: list the built-in cases; list, print or copy the
worked example case files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fdn_alu.cli.console import EXIT_OK
from fdn_alu.errors import InputError, Problem


def list_cases_main() -> int:
    """Run ``fdn-alu cases``; returns the exit code."""
    from fdn_alu.cases import list_cases

    for name, desc in list_cases():
        print(f"{name:10s} {desc}")
    return EXIT_OK


def main(args) -> int:
    """Run ``fdn-alu example``; returns the exit code."""
    from fdn_alu.examples import example_files, example_path, list_examples
    from fdn_alu.results.folders import write_dir_atomic

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
