"""Where the memory and the time of one dispatch go, stage by stage (issue: memory at scale).

Runs the pipeline of :func:`fdn_alu.run` by hand in one process: case and data, the cvxpy model,
cvxpy's compilation to Clarabel's conic data (``get_problem_data``), Clarabel's solve, the
solution's unpacking and the post-processing. A background thread samples the resident set
(``/proc/self/statm``) every 5 ms, so each stage reports its peak RSS and the RSS it leaves.
Usage::

    python benchmarks/memory_profile.py --copies 40 --periods 96 --scenario 2   # 3,361 x 96
    python benchmarks/memory_profile.py --copies 1 --periods 96 --scenario 3    # ieee85 x 96

``--no-eliminate`` hands Clarabel the conic data as cvxpy compiles them (no elimination of
equality rows, :mod:`fdn_alu.solve.eliminate`), for comparison.

The common day of ``benchmarks/common_day.py`` (three PV, one battery per copy) with
``--common-day``; otherwise the base case ieee85 with its own components.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = os.sysconf("SC_PAGE_SIZE")


class Sampler(threading.Thread):
    """The process's resident set sampled every ``dt`` s; ``mark`` closes a stage."""

    def __init__(self, dt: float = 0.005):
        super().__init__(daemon=True)
        self.dt, self.peak, self.stop = dt, 0, False
        self.rows: list[dict] = []
        self.t0 = time.perf_counter()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, self.rss())
            time.sleep(self.dt)

    def mark(self, stage: str):
        now, rss = time.perf_counter(), self.rss()
        peak = max(self.peak, rss)
        self.rows.append(
            {"stage": stage, "s": now - self.t0, "peak_mb": peak / 2**20, "after_mb": rss / 2**20}
        )
        self.peak, self.t0 = rss, time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--periods", type=int, default=96)
    ap.add_argument("--scenario", type=int, default=3)
    ap.add_argument("--common-day", action="store_true")
    ap.add_argument("--options", default="{}", help="Clarabel options (JSON) over the defaults")
    ap.add_argument(
        "--no-eliminate", action="store_true", help="hand Clarabel the equality rows as compiled"
    )
    args = ap.parse_args()
    s = Sampler()
    s.start()
    import warnings

    warnings.simplefilter("ignore")
    from fdn_alu import load_case
    from fdn_alu.cases.synthetic import replicate_case
    from fdn_alu.core.data import build_model_data
    from fdn_alu.model.recipe import build_model
    from fdn_alu.solve import eliminate
    from fdn_alu.solve import solver as solver_mod

    if args.no_eliminate:
        eliminate.ELIMINATE_MIN_ROWS = 2**62

    s.mark("imports")
    if args.common_day:
        sys.path.insert(0, str(HERE))
        from common_day import BATTERY, CASE

        ns: dict = {}
        exec(CASE, ns)
        case = ns["common_case"]("ieee85", args.copies, 43, BATTERY)
    else:
        case = load_case("ieee85")
        if args.copies > 1:
            case = replicate_case(case, args.copies)
    data = build_model_data(case, args.scenario, args.periods)
    s.mark("case + data")
    model = build_model(data)
    s.mark("cvxpy model (build_model)")
    prob = model.problem
    opts = {**solver_mod.CLARABEL_OPTIONS, **json.loads(args.options)}
    data_, chain, inv = prob.get_problem_data(
        solver_mod.CLARABEL_SOLVER, canon_backend=solver_mod.CANON_BACKEND, solver_opts=opts
    )
    A, P = data_["A"], data_.get("P")
    shape = {"n": int(A.shape[1]), "m": int(A.shape[0]), "nnz_A": int(A.nnz)}
    shape["nnz_P"] = int(P.nnz) if P is not None else 0
    del A, P  # the solve's data are cvxpy's dict alone (released by the solver call)
    s.mark("cvxpy compile (get_problem_data)")
    t = time.perf_counter()
    raw = chain.solver.solve_via_data(data_, False, False, opts)
    solver_wall = time.perf_counter() - t
    s.mark("Clarabel solve")
    prob.unpack_results(raw, chain, inv)
    s.mark("unpack")
    from fdn_alu.core.run import extract_solution, postprocess

    sol = extract_solution(model)
    res = postprocess(case, data, sol, check_ac=True, warn=False)
    s.mark("post-processing (checks, AC, tables)")
    s.stop = True
    print(
        json.dumps(
            {
                "copies": args.copies,
                "periods": args.periods,
                "scenario": args.scenario,
                **shape,
                "status": str(raw.status),
                "iterations": getattr(raw, "iterations", None),
                "eliminated": getattr(raw, "eliminated", 0),
                "solver_s": getattr(raw, "solve_time", None),
                "solver_wall_s": solver_wall,
                "objective": float(prob.value) if prob.value is not None else None,
                "checks_failed": list(res.report.checks.failed),
                "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "load": os.getloadavg()[0],
            }
        )
    )
    for r in s.rows:
        print(
            f"{r['stage']:40s} {r['s']:8.2f} s  peak {r['peak_mb']:8.0f} MB"
            f"  after {r['after_mb']:8.0f} MB"
        )


if __name__ == "__main__":
    main()
