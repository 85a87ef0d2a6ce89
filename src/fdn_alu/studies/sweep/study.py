"""Scenario grids ("sweeps"): many dispatch runs on a process pool, or on a Dask cluster.

A sweep is described by a spec (TOML file or dict, see ``docs/SWEEPS.md``)::

    [sweep]
    base = "ieee15"            # built-in case, or a case TOML (relative to the spec file)
    scenario = 3               # run options shared by every point (an axis may vary them)
    periods = 24
    tables = ["sources"]       # result tables kept per point (default none; "all" for every one)

    [set]                      # settings fixed for every point
    "network.vm_min_pu" = 0.92

    [axes]                     # a full grid: the product of the axes, in the order given
    "pv.*.p_mw" = [0.25, 0.5]
    "grid.carbon_price_per_t" = [0, 80, 200]
    scenario = [2, 3]

or, instead of ``[axes]``, an explicit list of points (``[[points]]`` tables, one per point).

A setting path addresses the case TOML: ``section.key`` (``grid.carbon_price_per_t``), nested
tables (``park.battery.e_max_mwh``) and lists of tables by ``*`` (every element), an index
(``pv.0.p_mw``) or an element's name (``pv.pv5.p_mw``). Every point's case is built and validated
before anything runs; all problems are reported together.

Each point becomes a *task*: a JSON-able dict (``kind``, ``case``, ``settings``, ``scenario``,
``periods``, ...) that a worker turns into a case, solves and returns as plain data (summary and
chosen tables); solved cvxpy problems never cross a process boundary. Its id is a hash of that
dict, so a rerun of the same spec into the same folder skips finished points. The runner of a
task is looked up by ``kind`` (:func:`register_kind`), so other studies (a fleet of parks, for
instance) plug into the same engine.

Backends: one process (``workers=1``), the standard library's process pool (default), or Dask
distributed when a scheduler is given (``"local"`` starts a ``LocalCluster``; an address attaches
to a running cluster). Workers use one solver/BLAS thread each unless told otherwise.

The stages live in their own modules: :mod:`~fdn_alu.studies.sweep.spec` (spec, task kinds,
point ids), :mod:`~fdn_alu.studies.sweep.paths` (setting paths),
:mod:`~fdn_alu.studies.sweep.dispatch` (the ``dispatch`` kind),
:mod:`~fdn_alu.studies.sweep.engine` (backends and the worker side) and
:mod:`~fdn_alu.studies.sweep.points` (the sweep folder). This module runs a sweep and re-exports
their public names.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fdn_alu.errors import InputError, Problem, raise_if_problems
from fdn_alu.results.folders import clean_stale, write_file_atomic
from fdn_alu.studies.sweep.dispatch import (
    DISPATCH_TABLES,
    build_point_case,
    dispatch_row,
    run_dispatch_point,
)
from fdn_alu.studies.sweep.engine import (
    POOL_PRELOAD,
    THREAD_ENV_VARS,
    DaskBackend,
    PoolBackend,
    SerialBackend,
    dask_available,
    default_workers,
    execute_point,
    scheduler_problem,
)
from fdn_alu.studies.sweep.loop import Tally, fmt_s, run_points
from fdn_alu.studies.sweep.paths import apply_settings
from fdn_alu.studies.sweep.points import (
    check_out,
    finished_points,
    read_point,
    write_marker,
    write_table,
)
from fdn_alu.studies.sweep.spec import (
    DEFAULT_MAX_POINTS,
    KINDS,
    SweepSpec,
    TaskKind,
    load_spec,
    point_id,
    register_kind,
)

__all__ = [
    "DISPATCH_TABLES",
    "KINDS",
    "POOL_PRELOAD",
    "THREAD_ENV_VARS",
    "SweepResult",
    "SweepSpec",
    "TaskKind",
    "apply_settings",
    "build_point_case",
    "dispatch_row",
    "execute_point",
    "load_spec",
    "point_id",
    "read_point",
    "register_kind",
    "run_dispatch_point",
    "run_sweep",
]

# --------------------------------------------------------------------------------------------
# running a sweep


@dataclass
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    out : Path
        The sweep folder.
    table : DataFrame
        ``sweep.csv``: one row per point of the spec.
    backend : str
    workers : int
        Worker slots used.
    ran, skipped : int
        Points run now; points finished earlier and skipped.
    counts : dict
        Points of the spec by status (``ok``, ``checks_failed``, ``failed``, ``pending``).
    lost : list of str
        Points whose worker was lost (not written; a rerun retries them), with the reason.
    elapsed_s : float
    retried : int
        Attempts repeated on a new worker after a worker running them was lost.
    """

    out: Path
    table: pd.DataFrame
    backend: str
    workers: int
    ran: int
    skipped: int
    counts: dict
    lost: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    retried: int = 0


def run_sweep(
    spec: str | os.PathLike | dict | SweepSpec,
    out: str | os.PathLike,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
    retry_failed: bool = False,
    threads_per_worker: int = 1,
    max_points: int = DEFAULT_MAX_POINTS,
) -> SweepResult:
    """Run every point of a sweep that is not finished yet; write each one as it completes.

    Parameters
    ----------
    spec : path-like, dict or SweepSpec
        The sweep (see the module docstring and ``docs/SWEEPS.md``).
    out : path-like
        The sweep folder: new, empty, or an earlier sweep folder (resumed: finished points are
        skipped). Any other existing folder is refused.
    workers : int, optional
        Worker processes (default: the CPUs available). ``1`` without a scheduler runs the points
        in this process.
    scheduler : str, optional
        ``"local"``: a Dask ``LocalCluster`` of ``workers`` single-threaded processes; an address
        (``tcp://host:8786``): attach to that Dask scheduler (``workers`` is then ignored).
        Needs the ``dask`` extra.
    progress : callable, optional
        Called with one line of text per finished point (done, failed, running, elapsed, ETA).
    retry_failed : bool
        Run points recorded as failed again (default: keep them; a failure is a result).
    threads_per_worker : int
        Solver and BLAS threads in each worker (default 1: workers, not threads, use the CPUs).
    max_points : int
        Largest sweep accepted (:data:`~fdn_alu.studies.sweep.spec.DEFAULT_MAX_POINTS`); a larger
        one is refused with its estimated time and memory before it is expanded.

    Returns
    -------
    SweepResult

    Raises
    ------
    InputError
        Bad spec, bad axes, a point whose case does not validate, a sweep above
        ``max_points``, an unusable folder, or a scheduler that is malformed or cannot be
        reached; all listed together, before anything runs or is written.
    OutputError
        The operating system failed while writing (disk full, ...); the points finished
        before are kept whole.
    KeyboardInterrupt
        After Ctrl-C: finished points are kept whole, ``sweep.csv`` is rebuilt, nothing
        half-written remains; rerunning resumes.
    """
    t_start = time.perf_counter()
    say = progress or (lambda _line: None)
    out = Path(out)
    problems = check_out(out)
    if workers is None:
        workers = default_workers()
    if not (isinstance(workers, int) and workers >= 1):
        problems.append(Problem("workers", f"{workers!r}: must be a positive integer"))
    if not (isinstance(threads_per_worker, int) and threads_per_worker >= 1):
        problems.append(Problem("threads_per_worker", f"{threads_per_worker!r}: must be >= 1"))
    if scheduler is not None and (why := scheduler_problem(str(scheduler))):
        problems.append(Problem("--scheduler", why))
    elif scheduler is not None and not dask_available():
        problems.append(Problem("scheduler", "Dask is not installed: pip install 'fdn_alu[dask]'"))
    raise_if_problems(problems, "sweep not started")  # before the spec is read and checked
    if not isinstance(spec, SweepSpec):
        try:
            spec = load_spec(
                spec, max_points=max_points, workers=workers if isinstance(workers, int) else 1
            )
        except InputError as exc:
            problems.extend(exc.problems)
    raise_if_problems(problems, "sweep not started")

    finished = finished_points(out, spec.ids) if out.is_dir() else {}
    todo = [
        i
        for i, pid in enumerate(spec.ids)
        if pid not in finished or (retry_failed and finished[pid]["status"] == "failed")
    ]
    skipped = len(spec.ids) - len(todo)
    backend: Any = None
    if todo:  # started (a scheduler reached) before anything is written
        if scheduler is not None:
            backend = DaskBackend(scheduler, workers, threads_per_worker)
        elif workers == 1:
            backend = SerialBackend()
        else:
            backend = PoolBackend(min(workers, len(todo)), threads_per_worker)
    try:
        return _run(spec, out, backend, todo, skipped, say, t_start)
    except BaseException:  # Ctrl-C and SIGTERM included: stop the workers, keep whole points
        if backend is not None and not getattr(backend, "closed", False):
            with contextlib.suppress(Exception):
                backend.close(cancel=True)
        if out.is_dir():
            with contextlib.suppress(Exception):
                write_table(out, spec)
        raise


def _run(spec, out, backend, todo, skipped, say, t_start) -> SweepResult:
    """Write the sweep folder's head, run the points, rebuild the table."""
    out.mkdir(parents=True, exist_ok=True)
    clean_stale(out)  # temporary files and point folders of a killed run (ours, incomplete)
    clean_stale(out / "points")
    meta = {
        "fdn_alu_sweep": 1,
        "source": spec.source,
        "kind": spec.kind.name,
        "axes": spec.axes,
        "spec": spec.raw,
        "points": [{"id": i, "values": v} for i, v in zip(spec.ids, spec.values, strict=True)],
    }
    write_file_atomic(out / "sweep.json", json.dumps(meta, indent=1, default=str) + "\n")
    write_marker(out)

    if not todo:
        say(f"sweep: all {len(spec.ids)} points finished earlier; nothing to run")
        tally = Tally(0)
    else:
        where = f" (dashboard {backend.dashboard})" if getattr(backend, "dashboard", "") else ""
        say(
            f"sweep: {len(spec.ids)} points, {skipped} finished earlier, {len(todo)} to run "
            f"on {backend.name} with {backend.slots} worker(s){where}"
        )
        tally = run_points(backend, spec, todo, out, say)
        backend.close(cancel=False)
        backend.closed = True
    table = write_table(out, spec)
    counts = {s: int(n) for s, n in table["status"].value_counts().items()}
    elapsed = time.perf_counter() - t_start
    result = SweepResult(
        out,
        table,
        backend.name if backend is not None else "none",
        backend.slots if backend is not None else 0,
        ran=tally.ok + tally.failed,
        skipped=skipped,
        counts=counts,
        lost=tally.lost,
        retried=tally.retried,
        elapsed_s=elapsed,
    )
    say(
        f"sweep finished in {fmt_s(elapsed)}: "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + f"; table {out / 'sweep.csv'}"
    )
    return result
