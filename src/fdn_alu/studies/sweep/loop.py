"""The running of a sweep's points: a bounded window of submitted points, progress lines that
add up, and a bounded retry of points whose worker process was lost.

Points are submitted as workers free up (at most :data:`WINDOW_PER_SLOT` per worker slot in
flight), so a large sweep never queues all its tasks at once and Ctrl-C stops it at once. A pool
worker that dies (killed, out of memory) breaks the standard library's pool, and every point in
flight fails with it: each is charged one attempt and run again on a new pool *on its own* (no
other point in flight), so that a point that kills its worker takes no other point down with it
again. A point is given up after :data:`MAX_ATTEMPTS` (reported as lost, not written; a rerun
tries it again).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdn_alu.studies.sweep.points import write_point
from fdn_alu.studies.sweep.spec import SweepSpec

__all__ = ["HEARTBEAT_S", "MAX_ATTEMPTS", "WINDOW_PER_SLOT", "Tally", "fmt_s", "run_points"]

HEARTBEAT_S = 30.0
"""A progress line at least this often while points run (our choice: long points stay visible)."""

MAX_ATTEMPTS = 3
"""Attempts of a point whose worker was lost before it is given up (our choice: a point that
kills its worker three times would do so again; a one-off kill costs one retry)."""

WINDOW_PER_SLOT = 2
"""Points in flight per worker slot (our choice: one running, one queued keeps every worker busy
without holding the whole sweep in the pool's queue)."""


@dataclass
class Tally:
    """Counts of the points of this run."""

    total: int
    ok: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)
    retried: int = 0

    @property
    def done(self) -> int:
        return self.ok + self.failed + len(self.lost)


def fmt_s(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def run_points(
    backend: Any, spec: SweepSpec, todo: list[int], out: Path, say: Callable[[str], None]
) -> Tally:
    """Run the points ``todo`` of ``spec`` on ``backend``, writing each as it finishes."""
    tally = Tally(len(todo))
    queue: Iterator[int] = iter(todo)
    window = max(1, WINDOW_PER_SLOT * backend.slots)
    index: dict[Any, int] = {}
    attempts: dict[int, int] = {}
    retry: list[int] = []
    t_run = last_line = time.perf_counter()

    solo: set = set()  # a retried point runs alone

    def fill() -> None:
        while len(index) < window and not solo:
            if retry:
                if index:
                    return  # wait until it can run alone
                i = retry.pop(0)
                fut = backend.submit(spec.points[i], spec.kind.runner)
                index[fut] = i
                solo.add(fut)
                return
            i = next(queue, None)
            if i is None:
                return
            index[backend.submit(spec.points[i], spec.kind.runner)] = i

    def counts() -> str:
        running = backend.running(set(index))
        waiting = tally.total - tally.done - running
        lost = f", lost {len(tally.lost)}" if tally.lost else ""
        return f"done {tally.ok}, failed {tally.failed}{lost}, running {running}, waiting {waiting}"

    fill()
    while index:
        done, _ = backend.wait(set(index), HEARTBEAT_S)
        for fut in done:
            i = index.pop(fut)  # drop the reference: Dask frees the result
            solo.discard(fut)
            try:
                res = backend.result(fut)
            except BrokenProcessPool as exc:  # a pool worker died: retry on a new worker
                attempts[i] = attempts.get(i, 0) + 1
                if attempts[i] < MAX_ATTEMPTS:
                    retry.append(i)
                    tally.retried += 1
                    say(f"  worker lost with {spec.label(i)} in flight: retrying it on its own")
                    continue
                tally.lost.append(f"{spec.ids[i]} ({spec.label(i)}): worker lost {MAX_ATTEMPTS}x")
                say(f"  lost {spec.ids[i]} ({spec.label(i)}): {exc}")
                continue
            except Exception as exc:  # the cluster failed
                tally.lost.append(f"{spec.ids[i]} ({spec.label(i)}): {type(exc).__name__}: {exc}")
                say(f"  lost {spec.ids[i]} ({spec.label(i)}): {exc}")
                continue
            write_point(out, res, spec.points[i])
            if res["status"] == "failed":
                tally.failed += 1
            else:
                tally.ok += 1
            fill()
            elapsed = time.perf_counter() - t_run
            eta = elapsed / tally.done * (tally.total - tally.done)
            tail = f": {res['message'].splitlines()[0]}" if res["message"] else ""
            say(
                f"[{tally.done}/{tally.total}] {counts()} | elapsed {fmt_s(elapsed)}, ETA "
                f"{fmt_s(eta)} | {spec.label(i)}: {res['status']} in "
                f"{res['time_point_s']:.1f} s{tail}"
            )
            last_line = time.perf_counter()
        fill()
        if index and time.perf_counter() - last_line >= HEARTBEAT_S:
            say(f"  ... {counts()}, elapsed {fmt_s(time.perf_counter() - t_run)}")
            last_line = time.perf_counter()
    return tally
