"""Where the points of a sweep run: one interface (``submit``, ``wait``, ``result``,
``running``, ``close``) over three backends, and :func:`execute_point`, what a worker does.

* :class:`SerialBackend`: one point after another in the calling process (``workers=1``);
* :class:`PoolBackend`: the standard library's process pool (``forkserver`` start);
* :class:`DaskBackend`: Dask distributed, a new ``LocalCluster`` or a running scheduler (Dask is
  optional and imported only here, on demand).

Workers use one solver/BLAS thread each unless told otherwise (:data:`THREAD_ENV_VARS`).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing
import os
import re
import signal
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from fdn_alu.errors import InputError, Problem
from fdn_alu.studies.sweep.spec import point_id

__all__ = [
    "POOL_PRELOAD",
    "THREAD_ENV_VARS",
    "DaskBackend",
    "PoolBackend",
    "SerialBackend",
    "dask_available",
    "default_workers",
    "execute_point",
    "scheduler_problem",
]

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
)
"""Thread-count variables set in every worker (BLAS, OpenMP, Rust/rayon solvers)."""


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# executing one point (in the worker)


def _resolve(runner: str) -> Callable[[dict], dict]:
    module, _, name = runner.partition(":")
    return getattr(importlib.import_module(module), name)


def execute_point(point: dict, runner: str) -> dict:
    """Run one point and return plain data; never raises for a failing point.

    Returns
    -------
    dict
        ``id``, ``status`` (``ok``, ``checks_failed`` or ``failed``), ``message``,
        ``error_type``, ``summary`` (None when failed), ``tables`` (name -> records),
        ``warnings``, ``worker`` (host and pid), ``started_at`` (Unix time), ``time_point_s``
        (wall time in the worker, case building included) and ``cpu_point_s`` (the worker's
        CPU time for it: on a busy machine, wall time over CPU time shows the wait for a core).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {
        "id": point_id(point),
        "status": "failed",
        "message": "",
        "error_type": None,
        "summary": None,
        "tables": {},
        "warnings": [],
        "worker": {"host": socket.gethostname(), "pid": os.getpid()},
        "started_at": time.time(),
    }
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = _resolve(runner)(point)
        out["warnings"] = sorted(
            {str(w.message) for w in caught if issubclass(w.category, UserWarning)}
        )
        out["summary"] = res["summary"]
        out["tables"] = res.get("tables", {})
        failed = res["summary"].get("checks", {}).get("failed", [])
        out["status"] = "checks_failed" if failed else "ok"
        out["message"] = f"checks outside tolerance: {', '.join(failed)}" if failed else ""
    except Exception as exc:  # a failing point is a result, not the end of the sweep
        out["error_type"] = type(exc).__name__
        out["message"] = f"{type(exc).__name__}: {exc}"
    out["time_point_s"] = time.perf_counter() - t0
    out["cpu_point_s"] = time.process_time() - c0
    return out


PARENT_POLL_S = 1.0
"""How often a pool worker checks that the sweep's process still runs (our choice)."""


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker when the process running the sweep is gone (killed, even by SIGKILL).

    Linux: the kernel sends SIGKILL when the worker's parent (the fork server) exits; everywhere:
    a daemon thread polls ``parent_pid`` every :data:`PARENT_POLL_S` and exits the process.
    """
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_S)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass

    threading.Thread(target=watch, name="fdn-alu-parent-watch", daemon=True).start()


def _init_pool_worker(env: dict[str, str], parent_pid: int) -> None:
    """Process-pool worker start: thread limits; Ctrl-C and SIGTERM are the parent's to handle
    (it stops the workers); the worker exits when the parent is gone."""
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _exit_with_parent(parent_pid)


def _thread_env(threads: int) -> dict[str, str]:
    return dict.fromkeys(THREAD_ENV_VARS, str(threads))


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    """Set environment variables while workers are started (spawned children inherit them)."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------------------------
# backends: one interface (submit, wait, result, close)


class _SerialFuture:
    def __init__(self, point: dict, runner: str, seq: int):
        self.args = (point, runner)
        self.seq = seq
        self.value: dict | None = None


class SerialBackend:
    """Points one after another in this process (``workers=1``)."""

    name = "serial"
    can_respawn = False

    def __init__(self) -> None:
        self.slots = 1
        self.submitted = 0

    def submit(self, point: dict, runner: str) -> _SerialFuture:
        self.submitted += 1
        return _SerialFuture(point, runner, self.submitted)

    def wait(self, futures: set, timeout: float) -> tuple[set, set]:
        fut = min(futures, key=lambda f: f.seq)  # in the order of the spec
        fut.value = execute_point(*fut.args)
        return {fut}, futures - {fut}

    def result(self, fut: _SerialFuture) -> dict:
        return fut.value

    def running(self, futures: set) -> int:
        return 0

    def close(self, cancel: bool) -> None:
        pass


POOL_PRELOAD = (
    "fdn_alu.studies.sweep.study",
    "matpowercaseframes",
    "cvxpy",
)
"""Modules the fork server imports once for all pool workers (what a first dispatch imports;
names that do not import are skipped)."""


def _mp_context():
    """``forkserver`` where there is one (workers start from one process that has imported the
    package, instead of each importing it, ~5 s of CPU each), else ``spawn``. Never plain
    ``fork``: the parent may hold threads."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(POOL_PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


class PoolBackend:
    """The standard library's process pool (one solver thread per worker by default)."""

    name = "process pool"
    can_respawn = True

    def __init__(self, workers: int, threads: int) -> None:
        self.slots = workers
        self.threads = threads
        self.respawned = 0
        # the variables must be set when the fork server / spawned workers start
        self._env = _environ(_thread_env(threads))
        self._env.__enter__()
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.slots,
            mp_context=_mp_context(),
            initializer=_init_pool_worker,
            initargs=(_thread_env(self.threads), os.getpid()),
        )

    def submit(self, point: dict, runner: str):
        if getattr(self.pool, "_broken", False):  # a worker died: new workers for what is left
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            self.respawned += 1
        return self.pool.submit(execute_point, point, runner)

    def wait(self, futures: set, timeout: float) -> tuple[set, set]:
        done, not_done = wait_futures(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def result(self, fut) -> dict:
        return fut.result()

    def running(self, futures: set) -> int:
        # a future counts as running once it is in the pool's call queue (one more than workers)
        return min(self.slots, sum(1 for f in futures if f.running()))

    def close(self, cancel: bool) -> None:
        try:
            if cancel:
                # stop the points still running now instead of waiting for them (their results
                # would be dropped anyway): Python >= 3.14 has a method for it; before, the
                # pool's process table (read before shutdown, which clears it)
                terminate = getattr(self.pool, "terminate_workers", None)
                procs = list((getattr(self.pool, "_processes", None) or {}).values())
                if terminate is not None:
                    terminate()
                else:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    for proc in procs:
                        proc.terminate()
                for proc in procs:
                    proc.join(timeout=10)
            self.pool.shutdown(wait=True, cancel_futures=cancel)
        finally:
            self._env.__exit__(None, None, None)


SCHEDULER_TIMEOUT_S = 5.0
"""How long to try reaching a Dask scheduler before the sweep is refused (our choice)."""

_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[^\s/:]+(:\d{1,5})?/?$")


def scheduler_problem(scheduler: str) -> str:
    """Why ``scheduler`` is not ``"local"`` or a Dask address (empty when it is one)."""
    if scheduler == "local" or _ADDRESS.match(scheduler):
        return ""
    return f"{scheduler!r} is neither 'local' nor a scheduler address such as tcp://host:8786"


class DaskBackend:
    """Dask distributed: a new ``LocalCluster`` (``"local"``) or a running scheduler's address.

    Raises
    ------
    InputError
        The address cannot be reached within :data:`SCHEDULER_TIMEOUT_S`.
    """

    can_respawn = False

    def __init__(self, scheduler: str, workers: int, threads: int) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler == "local":
            self.name = "Dask LocalCluster"
            env = _thread_env(threads)
            with _environ(env):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    env=env,
                )
            self.client = Client(self.cluster)
        else:
            self.name = f"Dask scheduler {scheduler}"
            try:
                self.client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(
                    [
                        Problem(
                            "--scheduler",
                            f"cannot reach the Dask scheduler at {scheduler} within "
                            f"{SCHEDULER_TIMEOUT_S:g} s ({type(exc).__name__}); nothing was run",
                        )
                    ]
                ) from None
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.dashboard = self.client.dashboard_link

    def submit(self, point: dict, runner: str):
        return self.client.submit(
            execute_point, point, runner, key=f"fdn-alu-point-{point_id(point)}", pure=False
        )

    def wait(self, futures: set, timeout: float) -> tuple[set, set]:
        from dask.distributed import wait

        try:
            done, not_done = wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set(), futures
        return set(done), set(not_done)

    def result(self, fut) -> dict:
        return fut.result()

    def running(self, futures: set) -> int:
        return min(len(futures), self.slots)

    def close(self, cancel: bool) -> None:
        try:
            if cancel:
                with contextlib.suppress(Exception):
                    self.client.cancel(list(self.client.futures.values()), force=True)
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def dask_available() -> bool:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True
