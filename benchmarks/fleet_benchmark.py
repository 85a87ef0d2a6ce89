"""Benchmark of the potline fleet season model (issue 12) on the ``china`` fleet.

China's provinces (~178 lines), hourly power, daily commitment, 8760 h: model size, build time,
HiGHS time to a 0.5 % MIP gap on 2 threads, for the hourly model and for the exact price-block
aggregation (hours of a day with identical prices merged; same optimum, docs/FLEET.md §4).

    python benchmarks/fleet_benchmark.py [--aggregate exact none] [--time-limit 600] [--out F.json]
"""

from __future__ import annotations

import argparse
import json
import time

from fdn_alu.fleet import build_model, load_fleet
from fdn_alu.fleet.model import embed_solution
from fdn_alu.fleet.solve import solve_model


def bench(aggregate: str, time_limit: float, strategy: str, warm: bool) -> dict:
    t0 = time.perf_counter()
    fd = load_fleet("china", model={"aggregate": aggregate})
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
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--aggregate", nargs="+", default=["exact", "none"])
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--strategy", default="full")
    ap.add_argument("--warm", action="store_true", help="start from the modulation-only optimum")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    rows = []
    for agg in a.aggregate:
        r = bench(agg, a.time_limit, a.strategy, a.warm)
        print(json.dumps(r), flush=True)
        rows.append(r)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
