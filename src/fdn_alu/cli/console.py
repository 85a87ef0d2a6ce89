"""What the ``fdn-alu`` command line prints: its exit codes, progress lines, the summary of a run
and the failed checks with value and tolerance. Pure formatting, no heavy imports.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fdn_alu.analysis.tolerance import failed_checks as judge

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_CHECK_FAILED = 4
EXIT_OUTPUT = 5
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143

EXIT_CODES = """\
exit codes:
  0    success
  1    solve failure: the case is infeasible (the message names the limits) or the
       solver stopped without a usable solution
  2    input error: bad argument, case file or value, unknown or uninstalled solver,
       refused output path (a file, unwritable, a folder holding other files or
       another command's result), run larger than --max-memory-gb, sweep larger
       than --max-points; nothing was solved or written
  3    internal error (a bug; FDN_ALU_DEBUG=1 shows the traceback; please report it)
  4    results written, but a check failed (SOC gap, AC error, production, cone,
       balance, ...): the failed checks are printed with value and tolerance
  5    output error: the results could not be written (disk full, file size
       limit, quota, I/O error); the message names the path and the reason, and
       nothing half-written is left (an earlier result stays as it was)
  130  interrupted (Ctrl-C); no partial output is left
  141  output pipe closed early (e.g. piped into head)
  143  terminated (SIGTERM); no partial output is left, as for Ctrl-C"""


class Progress:
    """Stage lines with elapsed time on stderr (``[  1.2 s] ...``); silent with ``-q``."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            dt = time.perf_counter() - self.t0
            print(f"[{dt:6.1f} s] {message}", file=sys.stderr, flush=True)

    @contextmanager
    def solves(self) -> Iterator[None]:
        """Show the toolkit's INFO log lines (each solve of a sequence, phase 1, relax-and-fix)
        as indented progress lines while the block runs; nothing with ``-q``."""
        if self.quiet:
            yield
            return
        logger = logging.getLogger("fdn_alu")
        handler = _SayHandler(self)
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


class _SayHandler(logging.Handler):
    """A log handler that prints INFO records as :class:`Progress` lines."""

    def __init__(self, say: Progress):
        super().__init__(logging.INFO)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        self.say(f"  {record.getMessage()}")


def failed_checks(s: dict) -> list[str]:
    """Names of the failed checks of a run summary, judged by the one rule
    (:func:`fdn_alu.analysis.tolerance.failed_checks`) on its values and tolerances; a summary
    whose ``status`` is ``check_failed`` without a judged check still reports one."""
    ch = s.get("checks") or {}
    failed = judge(ch, ch.get("tolerances") or {})
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
        f"  cost {c['total']:,.2f} {cur}: {_join(cost_parts(c), ',.2f')}",
        f"  emissions {e['total']:.4f} t CO2: {_join(emission_parts(e), '.4f')}"
        + (f"; park (5) {e['park']:.4f}" if e.get("park") else ""),
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
    lines += [f"  note: {note}" for note in s.get("notes", [])]
    return "\n".join(lines)


def cost_parts(costs: dict) -> dict[str, float]:
    """Every non-zero cost term of a summary (every component's, the loss and the carbon
    cost); the terms left out are exactly 0, so the parts sum to ``total``."""
    return {k: v for k, v in costs.items() if k != "total" and v != 0}


def emission_parts(emissions: dict) -> dict[str, float]:
    """Every non-zero direct emission of a summary (they sum to ``total``); figures that
    components' tables define besides their direct emissions are left out."""
    skip = _reported_keys() | {"total"}
    return {k: v for k, v in emissions.items() if k not in skip and v != 0}


def _reported_keys() -> set[str]:
    """Emission figures that are not direct emissions (every component's
    ``summary_reported``), read from the registry when a summary is printed."""
    from fdn_alu.components.registry import COMPONENTS

    return {k for comp in COMPONENTS for k in comp.summary_reported}


def _join(parts: dict[str, float], spec: str) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {format(v, spec)}" for k, v in parts.items())
