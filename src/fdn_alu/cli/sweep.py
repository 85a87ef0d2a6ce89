"""``fdn-alu sweep SPEC.toml --out DIR [--workers N] [--scheduler ADDRESS|local]``.

Thin: parses the arguments, calls :func:`fdn_alu.studies.sweep.study.run_sweep`, prints progress and
the outcome. Exit codes: 0 every point ok, 4 some point's checks outside tolerance, 1 some point
failed or was lost (the others are written), 2 bad spec, folder, scheduler or a sweep above
--max-points (nothing ran or was written), 5 disk full (finished points kept), 130 Ctrl-C and
143 SIGTERM (finished points kept; rerun the same command to resume).
"""

from __future__ import annotations

import sys

from fdn_alu.studies.sweep.spec import DEFAULT_MAX_POINTS

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CHECKS = 4


def add_parser(subparsers) -> None:
    """Add the ``sweep`` subcommand."""
    p = subparsers.add_parser(
        "sweep",
        help="run a grid of settings x scenarios on a process pool or a Dask cluster",
        description="Run every point of a sweep spec (see docs/SWEEPS.md) and write one folder "
        "per point plus sweep.csv into --out. Rerunning the same command resumes: finished "
        "points are skipped.",
    )
    p.add_argument("spec", help="sweep spec TOML file")
    p.add_argument("--out", required=True, help="sweep folder (new, empty, or an earlier sweep)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: the CPUs available; 1 = run in this process)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local",
        help="run on Dask: 'local' starts a LocalCluster of --workers processes, an address "
        "(tcp://host:8786) attaches to a running scheduler; needs fdn_alu[dask]",
    )
    p.add_argument(
        "--threads-per-worker",
        type=int,
        default=1,
        help="solver/BLAS threads per worker (default 1)",
    )
    p.add_argument(
        "--retry-failed", action="store_true", help="run points recorded as failed again"
    )
    p.add_argument(
        "--max-points",
        type=int,
        default=None,
        help=f"refuse sweeps of more points than this (default {DEFAULT_MAX_POINTS:,}); the "
        "refusal gives the sweep's estimated time and memory",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def main(args) -> int:
    """Run the sweep; return the exit code (input errors propagate to the CLI's handler)."""
    from fdn_alu.studies.sweep.study import run_sweep

    def progress(line: str) -> None:
        print(line, flush=True)

    try:
        result = run_sweep(
            args.spec,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=None if args.quiet else progress,
            retry_failed=args.retry_failed,
            threads_per_worker=args.threads_per_worker,
            max_points=DEFAULT_MAX_POINTS if args.max_points is None else args.max_points,
        )
    except KeyboardInterrupt:
        print(
            f"\nfinished points are kept in {args.out}; run the same command again to resume",
            file=sys.stderr,
        )
        raise
    counts = result.counts
    print(
        f"{len(result.table)} points ({result.ran} run now, {result.skipped} finished earlier): "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    )
    print(f"table: {result.out / 'sweep.csv'}")
    for line in result.lost:
        print(f"lost (rerun to retry): {line}", file=sys.stderr)
    if counts.get("failed") or result.lost:
        failed = result.table[result.table["status"] == "failed"]
        for _, row in failed.head(5).iterrows():
            first = str(row["message"]).splitlines()[0] if row["message"] else ""
            print(f"failed {row['point_id']}: {first}", file=sys.stderr)
        return EXIT_FAILURE
    if counts.get("checks_failed"):
        return EXIT_CHECKS
    return EXIT_OK
