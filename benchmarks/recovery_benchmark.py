"""Recovery of AC-feasible dispatches on hard random feeders (docs/RECOVERY.md).

For each feeder of the hard profile (``tests/hard_feeders.py``: high PV at far buses, tight
ratings and voltage band, export on some, negative sunny-hour prices on half) one run with the
recovery on; the run's ``recovery`` record says whether the relaxed dispatch was inexact (what
``--recover off`` would have reported as check_failed), how it was recovered, the certified
gap and the time, against the conic solve's.

    PYTHONPATH=src python benchmarks/recovery_benchmark.py --feeders 40 --periods 24 \\
        --time-limit 900 --csv benchmarks/recovery.csv

Prints a Markdown summary (benchmarks/RESULTS_RECOVERY.md holds a measured one).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fdn_alu import run
from fdn_alu.cases import case_from_net
from fdn_alu.errors import InfeasibleError
from hard_feeders import hard_feeder


def one(seed: int, periods: int, method: str | None) -> dict:
    """One hard feeder, recovery on; a row of the table."""
    net, sections, profiles = hard_feeder(seed, periods=periods)
    case = case_from_net(net, f"hard{seed}", profiles=profiles, **sections)
    row = {
        "seed": seed,
        "n_bus": len(net.bus),
        "negative_prices": bool((profiles.price_per_mwh < 0).any()),
        "export": sections["grid"]["allow_export"],
    }
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "convex_restriction":
                import fdn_alu.solve.recover as rec_mod

                rec_mod.ipopt_available = lambda: False
            res = run(case, scenario=2)
    except InfeasibleError:
        return {**row, "outcome": "infeasible", "wall_s": time.perf_counter() - t0}
    s = res.summary
    rec = s["recovery"]
    inexact = rec["status"] != "not_needed"
    rec_s = rec["seconds"] or 0.0
    conic_s = s["timings_s"]["solve"] - rec_s
    failed_before = sorted(rec["relaxed_failed"]) if inexact else list(s["checks"]["failed"])
    return {
        **row,
        "outcome": "exact" if not inexact else rec["status"],
        "status_before": "check_failed" if failed_before else s["status"],
        "status_after": s["status"],
        "failed_before": ";".join(failed_before),
        "failed_after": ";".join(s["checks"]["failed"]),
        "soc_gap_before": (rec["relaxed_failed"] or {}).get("soc_gap_max") if inexact else None,
        "soc_gap_after": s["checks"]["soc_gap_max"],
        "ac_vm_err_after": s["checks"]["ac_vm_err_max_pu"],
        "method": rec["method"],
        "gap_rel": rec["gap_rel"],
        "iterations": rec["iterations"],
        "ipopt_status": next(
            (t.split(";")[0] for t in rec["tried"] if t.startswith("ipopt: status")), None
        ),
        "recovery_s": rec_s,
        "conic_solve_s": conic_s,
        "recovery_over_conic": rec_s / conic_s if inexact and conic_s > 0 else None,
        "wall_s": time.perf_counter() - t0,
    }


def summary(df: pd.DataFrame) -> str:
    """Markdown summary of the table."""
    ran = df[df.outcome != "infeasible"]
    rec = ran[ran.outcome.isin(["recovered", "failed"])]
    ok = rec[rec.outcome == "recovered"]
    lines = [
        f"feeders: {len(df)} ({len(df) - len(ran)} infeasible), {len(ran) - len(rec)} exact, "
        f"{len(rec)} inexact",
        f"check_failed before (recover off): {int((ran.status_before == 'check_failed').sum())}; "
        f"after (recover on): {int((ran.status_after == 'check_failed').sum())}",
        f"recovered: {len(ok)} of {len(rec)} (methods: {ok.method.value_counts().to_dict()})",
    ]
    if len(ok):
        q = np.percentile(ok.gap_rel, [0, 25, 50, 75, 100])
        r = np.percentile(ok.recovery_over_conic, [0, 50, 100])
        lines += [
            "gap_rel (min / q1 / median / q3 / max): " + " / ".join(f"{v:.2e}" for v in q),
            "recovery time / conic solve (min / median / max): "
            + " / ".join(f"{v:.2f}" for v in r),
            "iterations (Clarabel re-solve + method; min / median / max): "
            + " / ".join(f"{v:.0f}" for v in np.percentile(ok.iterations, [0, 50, 100])),
            f"recovery time (s, median): {ok.recovery_s.median():.3f}; "
            f"conic solve (s, median): {ok.conic_solve_s.median():.3f}",
            f"largest SOC gap before: {rec.soc_gap_before.max():.2e}; after: "
            f"{ok.soc_gap_after.max():.2e}; largest AC voltage error after: "
            f"{ok.ac_vm_err_after.max():.2e} pu",
        ]
    return "\n".join(f"- {ln}" for ln in lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeders", type=int, default=40)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--time-limit", type=float, default=900.0, help="stop starting feeders (s)")
    ap.add_argument("--method", choices=("auto", "convex_restriction"), default="auto")
    ap.add_argument("--csv", default=None)
    args = ap.parse_args(argv)
    rows, t0 = [], time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.feeders):
        if time.perf_counter() - t0 > args.time_limit:
            print(f"time limit reached after {len(rows)} feeders", file=sys.stderr)
            break
        rows.append(one(seed, args.periods, args.method))
        r = rows[-1]
        print(
            f"seed {seed}: {r['outcome']} {r.get('method') or ''} gap_rel={r.get('gap_rel')} "
            f"rec/conic={r.get('recovery_over_conic')}",
            file=sys.stderr,
        )
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False, float_format="%.6g")
    print(summary(df))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
