"""A task kind for sweep fault tests: points that kill their worker once, or sleep.

Imported by the pool workers by name (``sweep_faults:run_point``): pytest puts ``tests/`` on
``sys.path`` and the workers inherit it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from fdn_alu.studies.sweep.spec import TaskKind, register_kind


def run_point(point: dict) -> dict:
    """``die_once``: the first attempt of the point SIGKILLs its own worker (a flag file marks
    it); ``sleep_s``: write the worker's pid into ``flag_dir`` and sleep."""
    flag_dir = Path(point["flag_dir"])
    value = point["value"]
    if point["sleep_s"]:
        (flag_dir / f"pid-{os.getpid()}").write_text(str(os.getpid()))
        time.sleep(point["sleep_s"])
    flag = flag_dir / f"died-{value}"
    if point["die_once"] and not flag.exists():
        flag.write_text("1")
        os.kill(os.getpid(), signal.SIGKILL)
    return {"summary": {"value": value, "checks": {"failed": []}}, "tables": {}}


register_kind(
    TaskKind(
        name="fault",
        runner="sweep_faults:run_point",
        options={"flag_dir": "", "value": 0, "die_once": False, "sleep_s": 0.0},
        base=lambda value, spec_dir: ({}, []),
        validate=lambda spec: [],
        row=lambda summary: {"value": summary["value"]},
    )
)
