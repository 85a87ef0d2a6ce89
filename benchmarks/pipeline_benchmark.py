"""The pipeline around the solver: one case run in process and through the command line.

    python benchmarks/pipeline_benchmark.py [--case ieee85] [--scenario 3] [--periods 96]
        [--repeats 5] [--json PATH]

Not a test (the numbers depend on the machine and its load; the load average is recorded
before and after). Three measurements, each in fresh Python processes:

* **in process**: one process imports the toolkit, runs the case once to warm up, then
  ``--repeats`` times; per run ``timings_s`` (``total``, ``solver``: every solve's own time,
  :mod:`fdn_alu.solve.clock`) and a breakdown by phase (case and model data, model build,
  cvxpy compilation, Clarabel, cvxpy's unpacking, carbon flow, checks, the rest of the
  post-processing), taken by wrapping those functions with a timer;
* **command line**: ``--repeats`` processes ``fdn-alu run -q`` (the console script's entry,
  writing the result folder); wall, user + system CPU, peak RSS of each;
* **imports**: what ``fdn-alu run`` imports before it builds anything, with and without the
  deferred imports of :mod:`fdn_alu.cli.startup`.

Medians are reported; ``--json`` writes every number (benchmarks/regenerate.py reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
"""The source tree measured (``--src`` measures another checkout, e.g. a baseline)."""

IN_PROCESS = r"""
import functools, json, sys, time
case, scenario, periods, repeats = json.loads(sys.argv[1])
import clarabel
import cvxpy.problems.problem as P
import fdn_alu.core.run as R
import fdn_alu.solve.compile as C
from fdn_alu import run
phases = {}

def timed(owner, name, key):
    f = getattr(owner, name)

    @functools.wraps(f)
    def g(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            phases[key] = phases.get(key, 0.0) + time.perf_counter() - t

    setattr(owner, name, g)

for owner, name, key in [
    (R, "load_case", "case_and_data"), (R, "build_model_data", "case_and_data"),
    (R, "build_model", "build"), (P.Problem, "get_problem_data", "cvxpy_compile"),
    (C.Clarabel, "solve_via_data", "clarabel"), (P.Problem, "unpack_results", "cvxpy_unpack"),
    (R, "carbon_flow", "carbon_flow"), (R, "dispatch_checks", "checks"),
    (R, "postprocess", "postprocess"),
]:
    timed(owner, name, key)
rows = []
for i in range(repeats + 1):
    phases.clear()
    c0 = time.process_time()
    res = run(case, scenario=scenario, periods=periods)
    cpu = time.process_time() - c0
    t = res.summary["timings_s"]
    row = {"total_s": t["total"], "solver_s": t["solver"], "cpu_s": cpu, **phases}
    row["post_other"] = row["postprocess"] - row["carbon_flow"] - row["checks"]
    row["other"] = t["total"] - sum(
        row[k] for k in ("case_and_data", "build", "cvxpy_compile", "clarabel", "cvxpy_unpack",
                         "postprocess")
    )
    if i:
        rows.append(row)
print(json.dumps(rows))
"""

IMPORTS = r"""
import json, sys, time
deferred = sys.argv[1] == "1"
t0 = time.perf_counter()
if deferred:
    import fdn_alu.cli.startup as startup
    with startup.imports():
        import fdn_alu.core.run, fdn_alu.results.write, fdn_alu.results.folders
else:
    import fdn_alu.core.run, fdn_alu.results.write, fdn_alu.results.folders
print(json.dumps({"import_s": time.perf_counter() - t0, "modules": len(sys.modules),
                  "scipy_stats": "scipy.stats" in sys.modules}))
"""

CLI = "import sys; from fdn_alu.cli import console; sys.argv[0] = 'fdn-alu'; console()"


def _env(src: str) -> dict:
    return {**os.environ, "PYTHONPATH": src}


def _child(code: str, src: str, *args: str) -> tuple[str, float, float, float]:
    """Run ``code`` in a fresh interpreter: (stdout, wall s, user + sys CPU s, peak RSS MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(src),
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {err[-2000:]}")
    return out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def measure(case: str, scenario: str, periods: int, repeats: int, src: str = SRC) -> dict:
    """Every measurement of the module docstring; medians and the raw rows."""
    load_before = os.getloadavg()
    scen = int(scenario) if scenario.isdigit() else scenario
    out, *_ = _child(IN_PROCESS, src, json.dumps([case, scen, periods, repeats]))
    inproc = json.loads(out.strip().splitlines()[-1])
    cli = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            folder = Path(tmp) / f"run{i}"
            argv = ["run", "-q", "--case", case, "--scenario", str(scenario)]
            argv += ["--periods", str(periods), "--out", str(folder)]
            _, wall, cpu, rss = _child(CLI, src, *argv)
            summary = json.loads((folder / "summary.json").read_text())
            cli.append(
                {
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "peak_mb": rss,
                    **{f"run_{k}_s": v for k, v in summary["timings_s"].items()},
                }
            )
    imports = {}
    has_startup = (Path(src) / "fdn_alu" / "cli" / "startup.py").is_file()
    for deferred in (False, True) if has_startup else (False,):
        flag = "1" if deferred else "0"
        rows = [json.loads(_child(IMPORTS, src, flag)[0]) for _ in range(repeats)]
        imports["deferred" if deferred else "plain"] = {
            "import_s": _median(rows, "import_s"),
            "modules": rows[0]["modules"],
            "scipy_stats": rows[0]["scipy_stats"],
        }
    keys = [k for k in inproc[0] if k not in ("total_s", "solver_s")]
    in_total = _median(inproc, "total_s")
    return {
        "case": case,
        "scenario": scenario,
        "periods": periods,
        "repeats": repeats,
        "src": src,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}",
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "in_process": {
            "total_s": in_total,
            "solver_s": _median(inproc, "solver_s"),
            "ratio_total_to_solver": statistics.median(
                r["total_s"] / r["solver_s"] for r in inproc
            ),
            "breakdown_s": {k: _median(inproc, k) for k in keys},
            "runs": inproc,
        },
        "cli": {
            "wall_s": _median(cli, "wall_s"),
            "cpu_s": _median(cli, "cpu_s"),
            "peak_mb": _median(cli, "peak_mb"),
            "ratio_to_in_process": _median(cli, "wall_s") / in_total,
            "ratio_to_own_run": statistics.median(r["wall_s"] / r["run_total_s"] for r in cli),
            "runs": cli,
        },
        "imports": imports,
    }


def markdown(res: dict) -> str:
    """The result as the tables of benchmarks/RESULTS_PIPELINE.md."""
    ip, cli, imp = res["in_process"], res["cli"], res["imports"]
    lb, la = res["load_before"], res["load_after"]
    lines = [
        f"{res['case']} x {res['periods']} scenario {res['scenario']}, {res['date_utc']} UTC, "
        f"{res['machine']}, load {lb[0]:.2f} before / {la[0]:.2f} after; medians of "
        f"{res['repeats']}.",
        "",
        "| in process | s |",
        "|---|---:|",
        f"| total | {ip['total_s']:.3f} |",
        f"| solver (every solve's own time) | {ip['solver_s']:.3f} |",
        f"| **total / solver** | **{ip['ratio_total_to_solver']:.3f}** |",
    ]
    lines += [f"| {k} | {v:.3f} |" for k, v in ip["breakdown_s"].items()]
    lines += [
        "",
        "| command line (`fdn-alu run -q`, writes the folder) | |",
        "|---|---:|",
        f"| wall, s | {cli['wall_s']:.3f} |",
        f"| user + system CPU, s | {cli['cpu_s']:.3f} |",
        f"| peak RSS, MB | {cli['peak_mb']:.0f} |",
        f"| **wall / in-process total** | **{cli['ratio_to_in_process']:.3f}** |",
        f"| wall / its own run's total | {cli['ratio_to_own_run']:.3f} |",
    ]
    for kind, row in imp.items():
        lines.append(f"| imports ({kind}), s; modules | {row['import_s']:.3f}; {row['modules']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line of this script; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--case", default="ieee85")
    p.add_argument("--scenario", default="3")
    p.add_argument("--periods", type=int, default=96)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", type=Path, default=None, help="write every number here")
    p.add_argument("--src", default=SRC, help="the src/ folder of the checkout to measure")
    args = p.parse_args(argv)
    src = str(Path(args.src).resolve())
    res = measure(args.case, args.scenario, args.periods, args.repeats, src)
    print(markdown(res))
    if args.json is not None:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
