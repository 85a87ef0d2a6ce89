"""Run one benchmark configuration in its own child process and measure that child alone.

The child is reaped with :func:`os.wait4`, which returns the resource usage of that child and
the descendants it waited for: its peak resident set (``ru_maxrss``) and its user + system CPU
time. ``resource.getrusage(RUSAGE_CHILDREN)`` in the parent would instead give the largest peak
of every child reaped so far, so a small configuration run after a large one would report the
large one's memory.

Linux also counts in a process's peak the resident set it had when it was forked (``exec``
keeps the high-water mark of the memory it replaces), so a child forked from a large process
(a test runner, a benchmark driver holding results) reports at least the parent's size, in
``wait4`` and in the child's own ``getrusage(RUSAGE_SELF)`` alike. The command therefore
starts from a small launcher (``python -I -S`` running :data:`LAUNCHER`): it forks and execs
the command, reaps it with ``wait4`` and writes the usage to a file. The measured child is
forked from the launcher's few megabytes. Output goes to temporary files, so a chatty child
cannot block on a full pipe.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ChildResult:
    """What one child process did.

    Attributes
    ----------
    returncode : int
        Exit status (negative: killed by that signal).
    wall_s : float
        Wall time from start to exit, as seen by the parent.
    cpu_s : float
        User + system CPU time of the child (and of the descendants it waited for).
    peak_mb : float
        Peak resident set of the child (or of its largest waited-for descendant), MB (MiB).
    stdout, stderr : str
        The child's output.
    timed_out : bool
        The child was killed after ``timeout_s``.
    load_before, load_after : float
        1-minute load average at start and at exit.
    """

    returncode: int
    wall_s: float
    cpu_s: float
    peak_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False
    load_before: float = float("nan")
    load_after: float = float("nan")
    record: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Exited with status 0 and was not killed."""
        return self.returncode == 0 and not self.timed_out

    def last_json(self) -> dict | None:
        """The last line of stdout parsed as a JSON object, or None."""
        for line in reversed(self.stdout.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    return None
        return None


LAUNCHER = r"""
import json, os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
with open(report, "w") as f:
    json.dump({"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
               "returncode": code}, f)
os._exit(code if code >= 0 else 128 - code)
"""
"""Runs ``argv[2:]`` as a grandchild of the caller, reaps it and writes its usage to
``argv[1]`` (with its exit status, negative when killed by that signal)."""


def run_child(
    cmd: list[str],
    timeout_s: float = 1800.0,
    env: dict | None = None,
    cwd: str | None = None,
) -> ChildResult:
    """Run ``cmd`` in a new process group; return its wall time, CPU time and peak memory.

    Parameters
    ----------
    cmd : list of str
        The command (``[python, "-c", script, arg]`` or any program).
    timeout_s : float
        Wall-time limit; the child's whole process group is killed after it.
    env, cwd
        As for :class:`subprocess.Popen` (``env`` None: this process's environment).

    Returns
    -------
    ChildResult
        ``peak_mb`` and ``cpu_s`` come from :func:`os.wait4` on this child only.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        usage_path = os.path.join(tmp, "usage.json")
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", LAUNCHER, usage_path, *cmd],
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        wall_s = time.perf_counter() - t0
        usage = {
            "wall_s": wall_s,
            "cpu_s": float("nan"),
            "maxrss_kb": float("nan"),
            "returncode": proc.returncode,
        }
        if os.path.exists(usage_path):
            with open(usage_path) as f:
                usage = json.load(f)
        out.seek(0)
        err.seek(0)
        return ChildResult(
            returncode=usage["returncode"],
            wall_s=usage["wall_s"],
            cpu_s=usage["cpu_s"],
            peak_mb=usage["maxrss_kb"] / 1024.0,  # kilobytes on Linux
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            timed_out=expired.is_set(),
            load_before=load_before,
            load_after=os.getloadavg()[0],
        )


def run_python(
    script: str, args: object, python: str = sys.executable, timeout_s: float = 1800.0
) -> ChildResult:
    """Run ``python -c script json(args)``; the child's last JSON line goes to ``.record``.

    The child's own measurements (in-process times) are in ``record``; the parent's (whole
    process wall, CPU, peak) are added to it as ``process_s``, ``process_cpu_s``, ``peak_mb``
    and ``load_1min``.
    """
    res = run_child([python, "-c", script, json.dumps(args)], timeout_s=timeout_s)
    rec = res.last_json() if res.ok else None
    if rec is not None:
        rec.update(
            process_s=res.wall_s,
            process_cpu_s=res.cpu_s,
            peak_mb=res.peak_mb,
            load_1min=res.load_before,
        )
        res.record = rec
    return res
