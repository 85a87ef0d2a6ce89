"""Whole-process timings of ``fdn-alu`` commands, each in its own child process.

The command runs exactly as a user types it (``fdn-alu`` is :func:`fdn_alu.cli.console`), into
a temporary output folder; the parent measures the child's wall time, CPU time (user + system,
the sweep engine's worker processes included when they are waited for) and peak resident set
(:mod:`procs`), and reads the result's ``summary.json`` for what the run reached (the largest
MIP gap over the strategies of a season).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from procs import run_child

FLEETS = ("china", "ieee15-park", "ieee85-park")
"""The built-in potline fleets, in the order the table lists them."""

CONSOLE = "import sys; sys.argv[0] = 'fdn-alu'; from fdn_alu.cli import console; console()"
"""``python -c CONSOLE ARGS...`` is the ``fdn-alu ARGS...`` console script."""


def fdn_alu_command(args: list[str], python: str = sys.executable) -> list[str]:
    """The argument vector that runs ``fdn-alu ARGS`` with ``python``."""
    return [python, "-c", CONSOLE, *args]


def season_args(fleet: str, out: str) -> list[str]:
    """Arguments of the timed ``fdn-alu season`` run of one fleet (its defaults otherwise)."""
    return ["season", "--fleet", fleet, "--out", out]


def time_season(fleet: str, timeout_s: float = 3600.0, python: str = sys.executable) -> dict:
    """Run ``fdn-alu season --fleet FLEET`` once; its whole-process measurements.

    Returns
    -------
    dict
        ``fleet``, ``command``, ``exit_code``, ``wall_s``, ``cpu_s``, ``peak_mb``,
        ``load_1min`` (at the start), ``mip_gap_max`` and ``solve_time_s`` (sum over the
        strategies, from summary.json), ``strategies``, ``regions``, ``lines``; ``error`` with
        the last lines of stderr when the command failed or timed out.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "season")
        args = season_args(fleet, out)
        res = run_child(fdn_alu_command(args, python), timeout_s=timeout_s)
        rec: dict = {
            "fleet": fleet,
            "command": "fdn-alu " + " ".join(season_args(fleet, "OUT")),
            "exit_code": res.returncode,
            "wall_s": res.wall_s,
            "cpu_s": res.cpu_s,
            "peak_mb": res.peak_mb,
            "load_1min": res.load_before,
        }
        summary = Path(out) / "summary.json"
        if res.timed_out or not summary.exists():
            tail = res.stderr.strip().splitlines()[-5:]
            rec["error"] = ("timed out; " if res.timed_out else "") + " | ".join(tail)
            return rec
        s = json.loads(summary.read_text())
        st = s["strategies"]
        rec.update(
            regions=len(s["regions"]),
            lines=int(sum(s["lines"])),
            strategies=len(st),
            mip_gap_max=max(float(v.get("mip_gap", 0.0) or 0.0) for v in st.values()),
            solve_time_s=sum(float(v.get("solve_time_s", 0.0) or 0.0) for v in st.values()),
            breakeven_map=(Path(out) / "breakeven.csv").exists(),
        )
        return rec
