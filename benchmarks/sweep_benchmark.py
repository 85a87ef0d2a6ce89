"""Sweep engine benchmark: one grid run serially, on a 2-worker process pool and on a 2-worker
Dask LocalCluster; wall times, speed-up, per-point overhead and the largest result difference.

    python benchmarks/sweep_benchmark.py [--case ieee85] [--periods 24] [--workers 2]

Not a test (minutes, and the numbers depend on the machine and its load; the script prints
``uptime`` before and after). Each backend runs in a fresh Python process, so each pays its own
imports; times are taken inside that process around ``run_sweep`` (spec validation, worker or
cluster start-up, solves, writing). Default grid: 3 scenarios x 4 carbon prices = 12 points.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import json, sys, time
spec, out, workers, scheduler = json.loads(sys.argv[1])
from fdn_alu.studies.sweep.study import run_sweep
marks = {}
t0 = time.perf_counter()

def progress(line):
    now = time.perf_counter() - t0
    if line.startswith("sweep: ") and "to run" in line:
        marks["started_s"] = now
    elif line.startswith("[") and "first_s" not in marks:
        marks["first_s"] = now

res = run_sweep(spec, out, workers=workers, scheduler=scheduler, progress=progress)
marks["wall_s"] = time.perf_counter() - t0
marks["backend"] = res.backend
marks["slots"] = res.workers
marks["counts"] = res.counts
print(json.dumps(marks))
"""

VOLATILE = ("time_", "cpu_", "worker")


def run_backend(spec: dict, out: Path, workers: int, scheduler: str | None) -> dict:
    """Run the sweep in a fresh interpreter; return its timing marks."""
    env = dict(os.environ)
    # the serial run gets the same single-thread BLAS the workers get
    env.update({k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    args = json.dumps([spec, str(out), workers, scheduler])
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, args], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"backend {scheduler or workers} failed:\n{proc.stderr[-3000:]}")
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    table = pd.read_csv(out / "sweep.csv")
    marks["sum_point_s"] = float(table["time_point_s"].sum())
    marks["median_point_s"] = float(table["time_point_s"].median())
    marks["sum_cpu_s"] = float(table["cpu_point_s"].sum())
    return marks


def max_difference(dir_a: Path, dir_b: Path) -> float:
    """Largest absolute difference of any number in sweep.csv and the points' tables."""
    a = pd.read_csv(dir_a / "sweep.csv").set_index("point_id").sort_index()
    b = pd.read_csv(dir_b / "sweep.csv").set_index("point_id").sort_index()
    cols = [c for c in a.columns if not c.startswith(VOLATILE)]
    assert (a["status"] == b["status"]).all(), "statuses differ"
    num = a[cols].select_dtypes("number").columns
    worst = float(np.nanmax(np.abs(a[num].to_numpy() - b[num].to_numpy())))
    for pid in a.index:
        for f in sorted((dir_a / "points" / pid).glob("*.csv")):
            ta, tb = pd.read_csv(f), pd.read_csv(dir_b / "points" / pid / f.name)
            n = ta.select_dtypes("number").columns
            worst = max(worst, float(np.nanmax(np.abs(ta[n].to_numpy() - tb[n].to_numpy()))))
    return worst


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="ieee85")
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--prices", default="0,80,200,400", help="carbon prices (CNY/t)")
    args = ap.parse_args()
    prices = [float(p) for p in args.prices.split(",")]
    spec = {
        "sweep": {"base": args.case, "periods": args.periods, "tables": ["sources"]},
        "axes": {"scenario": [1, 2, 3], "grid.carbon_price_per_t": prices},
    }
    n = 3 * len(prices)
    print(f"machine: {os.cpu_count()} CPUs; load before: {uptime()}")
    print(f"grid: {args.case}, {args.periods} periods, {n} points (3 scenarios x carbon prices)")
    with tempfile.TemporaryDirectory(prefix="sweep_bench_") as tmp:
        tmp = Path(tmp)
        runs = {
            "serial": (1, None),
            f"pool x{args.workers}": (args.workers, None),
            f"dask x{args.workers}": (args.workers, "local"),
        }
        marks = {}
        for name, (workers, scheduler) in runs.items():
            marks[name] = run_backend(spec, tmp / name.replace(" ", "_"), workers, scheduler)
            print(f"  {name}: {marks[name]['wall_s']:.1f} s ({marks[name]['counts']})", flush=True)
        names = list(runs)
        diffs = {nm: max_difference(tmp / "serial", tmp / nm.replace(" ", "_")) for nm in names[1:]}
    serial = marks["serial"]["wall_s"]
    rows = []
    for name in names:
        m = marks[name]
        slots = max(1, m["slots"])
        # overhead per point: wall time beyond the points' own (worker-side) time, per point
        overhead = (m["wall_s"] - m["sum_point_s"] / slots) / n
        rows.append(
            {
                "backend": name,
                "wall_s": m["wall_s"],
                "speed_up": serial / m["wall_s"],
                "start_s": m.get("started_s"),
                "first_result_s": m.get("first_s"),
                "median_point_s": m["median_point_s"],
                "sum_point_s": m["sum_point_s"],
                "sum_cpu_s": m["sum_cpu_s"],
                # CPUs the points actually got (sum of worker CPU time over the wall time)
                "cpus_used": m["sum_cpu_s"] / m["wall_s"],
                "overhead_per_point_s": overhead,
                "max_abs_diff_vs_serial": diffs.get(name, 0.0),
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    pool, dask = rows[1], rows[2]
    print(
        f"Dask vs pool: {dask['wall_s'] - pool['wall_s']:+.1f} s wall in all, "
        f"{(dask['wall_s'] - pool['wall_s']) / n:+.2f} s per point "
        f"(of which start-up {dask['start_s'] - pool['start_s']:+.1f} s)"
    )
    print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()
