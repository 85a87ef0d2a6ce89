"""Benchmark of the potline fleet season model on the ``china`` fleet (or any fleet).

China's provinces (~178 lines), daily commitment, 8760 h: model size, build time, HiGHS time to
a 0.5 % MIP gap, for the hourly model and for the exact price-block aggregation (docs/FLEET.md
§4). Every row reports wall and CPU time, the 1-minute load average and the peak memory, since
this machine is shared (wall time alone is not comparable between runs).

    python benchmarks/fleet_benchmark.py [--fleet china] [--aggregate exact none]
        [--time-limit 600] [--warm] [--out F.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

from fdn_alu.fleet import build_model, load_fleet
from fdn_alu.fleet.model import embed_solution
from fdn_alu.fleet.solve import solve_model


def bench(fleet: str, aggregate: str, time_limit: float, strategy: str, warm: bool) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    fd = load_fleet(fleet, model={"aggregate": aggregate})
    t_load = time.perf_counter() - t0
    opts = {**fd.settings["solver"], "mip_rel_gap": 0.005, "threads": 2,
            "time_limit_s": time_limit}  # fmt: skip
    out = {"aggregate": aggregate, "strategy": strategy, "blocks": len(fd.block_h),
           "regions": len(fd.regions), "lines": int(fd.lines.sum()), "load_s": t_load}  # fmt: skip
    start = None
    if warm:
        m0 = build_model(fd, "modulation")
        r0 = solve_model(m0, opts)
        out["warm_start_modulation_s"] = r0.time_s
        out["warm_start_objective_cny"] = r0.objective
    model = build_model(fd, strategy)
    if warm:
        start = embed_solution(m0, r0.x, model)
    out.update(model.size())
    out["build_s"] = model.build_time_s
    rep = solve_model(model, opts, start)
    out.update(rep.as_dict())
    out["end_to_end_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    out["load_1min"] = os.getloadavg()[0]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fleet", default="china")
    ap.add_argument("--aggregate", nargs="+", default=["exact", "none"])
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--strategy", default="full")
    ap.add_argument("--warm", action="store_true", help="start from the modulation-only optimum")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    rows = []
    for agg in a.aggregate:
        r = bench(a.fleet, agg, a.time_limit, a.strategy, a.warm)
        print(json.dumps(r), flush=True)
        rows.append(r)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
