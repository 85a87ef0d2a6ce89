"""Start-up of the command line (fdn_alu.cli.startup): deferred imports, the paused collector.

Each check runs in a fresh interpreter: what a process has imported is the thing tested.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cli_import_loads_no_solver_stack():
    out = _python(
        """
        import sys
        import fdn_alu.cli
        print(sorted(m for m in ("cvxpy", "scipy.stats", "pandas") if m in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_scipy_stats_deferred_until_entropy_is_used():
    # quantum_rel_entr(diag(0.3, 0.7), diag(0.5, 0.5)) = 0.3 ln 0.6 + 0.7 ln 1.4 by hand; its
    # numeric value is cvxpy's only use of scipy.stats.entropy
    out = _python(
        """
        import sys
        import fdn_alu.cli.startup as startup
        startup.install()
        import cvxpy as cp
        import numpy as np
        import fdn_alu.core.run
        from fdn_alu.solve import available_solvers
        print("stats before", "scipy.stats" in sys.modules)
        print("solvers", "clarabel" in available_solvers())
        x = cp.Variable(2)
        prob = cp.Problem(cp.Minimize(cp.sum_squares(x - np.array([1.0, 2.0]))), [x >= 1.5])
        prob.solve(solver="CLARABEL")
        print("solve", prob.status, round(float(x.value[0]), 6), round(float(x.value[1]), 6))
        print("stats after solve", "scipy.stats" in sys.modules)
        q = cp.quantum_rel_entr(np.diag([0.3, 0.7]), np.diag([0.5, 0.5])).value
        print("value", repr(float(q)))
        print("stats after use", "scipy.stats" in sys.modules)
        """
    )
    lines = out.strip().splitlines()
    assert lines[:4] == [
        "stats before False",
        "solvers True",
        "solve optimal 1.5 2.0",
        "stats after solve False",
    ]
    expected = 0.3 * math.log(0.6) + 0.7 * math.log(1.4)
    assert abs(float(lines[4].split()[1]) - expected) < 1e-6
    assert lines[5] == "stats after use True"


def test_imports_block_pauses_and_freezes_the_collector():
    out = _python(
        """
        import gc
        import fdn_alu.cli.startup as startup
        inside = None
        with startup.imports():
            inside = gc.isenabled()
            import fdn_alu.results.write
        frozen = gc.get_freeze_count()
        gc.unfreeze()
        with startup.imports():
            import fdn_alu.results.write  # already imported: nothing new, nothing frozen
        print(inside, gc.isenabled(), frozen > 1000, gc.get_freeze_count())
        """
    )
    assert out.strip() == "False True True 0"


def test_rewrite_leaves_a_module_without_the_line_unchanged(tmp_path):
    (tmp_path / "plain_mod.py").write_text("VALUE = 41 + 1\n")
    out = _python(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import fdn_alu.cli.startup as startup
        startup.REWRITTEN["plain_mod"] = (startup.ENTROPY_IMPORT, startup.ENTROPY_ON_USE)
        startup.install()
        import plain_mod
        print(plain_mod.VALUE, hasattr(plain_mod, "entropy"))
        """
    )
    assert out.strip() == "42 False"
