"""Mutation testing of the physics: does the test suite notice when an equation is wrong?

``python tools/mutants.py`` copies the working tree to a temporary folder (the working tree is
never edited), then for each mutation in :data:`MUTATIONS` -- a sign flipped, a coefficient
changed, a term or a dt dropped, a check forced to zero -- edits that one line in the copy, runs
only the test files of that mutation's family (``pytest -x``) and restores the line. A mutation
is *killed* when a test fails; a *survivor* is a change to the physics that no test noticed.
It prints a table (mutation, file, killed by) and exits 1 when any mutation survives, 2 when a
mutation no longer applies to the source (its text is not found exactly once: update it).

Usage::

    python tools/mutants.py                  # every mutation (~10 min on 2 cores)
    python tools/mutants.py --only esop      # mutations whose id starts with "esop"
    python tools/mutants.py --list           # the mutations and their test files, no run
    python tools/mutants.py --markdown       # the table in Markdown (docs/TESTING.md)

Not part of the default test run. How to add a mutation for a new component:
docs/TESTING.md, "Mutation testing".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = "src/fdn_alu"
# Seconds one mutation's tests may take before it counts as killed (a mutation that makes a
# solve hang is noticed too); our choice, ~10x the slowest family (fleet, ~25 s).
TIMEOUT_S = 300


@dataclass(frozen=True)
class Mutation:
    """One edit of the physics: ``old`` (found exactly once in ``file``) becomes ``new``."""

    id: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    what: str


# Test files per family: the tests that live with the physics they judge.
DISTFLOW = ("tests/test_two_bus.py",)
BATTERY = ("tests/test_storage.py", "tests/test_esop.py")
ESOP = ("tests/test_esop.py",)
PARK = ("tests/test_park_physics.py",)
CARBON = ("tests/test_carbon.py",)
RESERVES = ("tests/test_reserves.py",)
FLEET = ("tests/test_fleet.py",)
CHECKS = ("tests/test_checks_fail.py", "tests/test_reconcile.py")
RECONCILE = ("tests/test_reconcile.py", "tests/test_checks_fail.py")

D, S, E = f"{PKG}/model/distflow.py", f"{PKG}/model/storage.py", f"{PKG}/components/esop/model.py"
P, C = f"{PKG}/components/park/model.py", f"{PKG}/analysis/carbon.py"
K, R = f"{PKG}/analysis/checks.py", f"{PKG}/components/reserves/model.py"

MUTATIONS: list[Mutation] = [
    # -- DistFlow (19)-(20), loss cost (15) ------------------------------------------------
    Mutation(
        "distflow-loss-sign",
        D,
        "(p - cp.multiply(l, r[None, :])) @ c_to",
        "(p + cp.multiply(l, r[None, :])) @ c_to",
        DISTFLOW,
        "active loss added at the receiving end instead of lost",
    ),
    Mutation(
        "distflow-q-loss-dropped",
        D,
        "(q - cp.multiply(l, x[None, :])) @ c_to",
        "q @ c_to",
        DISTFLOW,
        "reactive loss x l dropped from (19)",
    ),
    Mutation(
        "distflow-drop-q-term",
        D,
        "- 2 * (cp.multiply(p, r[None, :]) + cp.multiply(q, x[None, :]))",
        "- 2 * cp.multiply(p, r[None, :])",
        DISTFLOW,
        "x Q dropped from the voltage drop (20)",
    ),
    Mutation(
        "distflow-drop-l-sign",
        D,
        "+ cp.multiply(l, (r**2 + x**2)[None, :]),",
        "- cp.multiply(l, (r**2 + x**2)[None, :]),",
        DISTFLOW,
        "sign of (r^2 + x^2) l in the voltage drop (20)",
    ),
    Mutation(
        "distflow-cone-factor",
        D,
        'cp.vec(2 * p, order="F"), cp.vec(2 * q, order="F")',
        'cp.vec(p, order="F"), cp.vec(q, order="F")',
        DISTFLOW,
        "current cone P^2 + Q^2 <= 4 l u (factor 2 dropped)",
    ),
    Mutation(
        "distflow-loss-cost-dt",
        D,
        "loss_mwh = cp.sum(l @ r_eff) * data.base_mva * data.dt_h",
        "loss_mwh = cp.sum(l @ r_eff) * data.base_mva",
        DISTFLOW,
        "dt dropped from the loss cost (15)",
    ),
    # -- batteries (9) ---------------------------------------------------------------------
    Mutation(
        "battery-eta-ch",
        S,
        "+ bat.eta_ch * ch * dt_h",
        "+ ch * dt_h",
        BATTERY,
        "charging efficiency dropped from (9)",
    ),
    Mutation(
        "battery-eta-dis",
        S,
        "- dis * dt_h / bat.eta_dis",
        "- dis * dt_h * bat.eta_dis",
        BATTERY,
        "discharge efficiency multiplied instead of divided",
    ),
    Mutation(
        "battery-initial-energy",
        S,
        "lagged(e, bat.e_init_mwh / unit)",
        "lagged(e, 0 * bat.e_init_mwh / unit)",
        BATTERY,
        "initial energy dropped",
    ),
    Mutation(
        "battery-end-rule",
        S,
        'cons[f"{name}_end"] = e[T - 1] >= bat.e_init_mwh / unit',
        'cons[f"{name}_end"] = e[T - 1] >= 0 * bat.e_init_mwh / unit',
        BATTERY,
        "end-of-day energy rule dropped",
    ),
    Mutation(
        "battery-dt",
        S,
        "+ bat.eta_ch * ch * dt_h - dis * dt_h / bat.eta_dis",
        "+ bat.eta_ch * ch - dis / bat.eta_dis",
        BATTERY,
        "dt dropped from (9)",
    ),
    # -- ESOP ---------------------------------------------------------------------------------
    Mutation(
        "esop-loss-coeff",
        E,
        "/ max(e.loss_coeff, 1e-12)",
        "/ max(2 * e.loss_coeff, 1e-12)",
        ESOP,
        "converter loss coefficient doubled",
    ),
    Mutation(
        "esop-loss-sign",
        E,
        "cp.sum(p_pu + loss_pu, axis=1)",
        "cp.sum(p_pu - loss_pu, axis=1)",
        ESOP,
        "converter losses feed the DC link instead of draining it",
    ),
    Mutation(
        "esop-battery-sign",
        E,
        "+ ch_pu - dis_pu == 0",
        "- ch_pu + dis_pu == 0",
        ESOP,
        "battery charge and discharge swapped in the DC balance",
    ),
    Mutation(
        "esop-om-dropped",
        E,
        "cost = om\n",
        "cost = 0 * om\n",
        ESOP,
        "O&M cost (18) dropped",
    ),
    # -- park: cone (1), thermal (2), production (3), A1, balance (4), turbine (14) ------------
    Mutation(
        "park-cone-quadratic",
        P,
        "cp.multiply((park.a_mw_per_ka2 * park.i_rated_ka**2)[None, :], cp.square(y))",
        "cp.multiply((0.5 * park.a_mw_per_ka2 * park.i_rated_ka**2)[None, :], cp.square(y))",
        PARK,
        "potline resistance halved in the cone (1)",
    ),
    Mutation(
        "park-cone-linear",
        P,
        "+ cp.multiply((park.b_mw_per_ka * park.i_rated_ka)[None, :], y),",
        "+ 0 * y,",
        PARK,
        "back-EMF term dropped from (1)",
    ),
    Mutation(
        "park-thermal-sign",
        P,
        "rhs = (pw - pw_prev) * dt * MJ_PER_MWH",
        "rhs = (pw_prev - pw) * dt * MJ_PER_MWH",
        PARK,
        "thermal window (2) with the wrong sign",
    ),
    Mutation(
        "park-thermal-dt",
        P,
        "rhs = (pw - pw_prev) * dt * MJ_PER_MWH",
        "rhs = (pw - pw_prev) * MJ_PER_MWH",
        PARK,
        "dt dropped from the thermal window (2)",
    ),
    Mutation(
        "park-production-target",
        P,
        'cons["production"] = [made_t >= park.production_target_t]',
        'cons["production"] = [made_t >= 0.95 * park.production_target_t]',
        PARK,
        "production target (3) relaxed by 5 %",
    ),
    Mutation(
        "park-ramp",
        P,
        '"ramp_up": pw - pw_prev <= cp.multiply(ramp, up),',
        '"ramp_up": pw - pw_prev <= cp.multiply(3 * ramp, up),',
        PARK,
        "ramp limit (A1) tripled upward",
    ),
    Mutation(
        "park-balance-battery",
        P,
        'supply = supply + bv["discharge"] - bv["charge"]',
        'supply = supply + bv["charge"] - bv["discharge"]',
        PARK,
        "park battery's charge and discharge swapped in (4)",
    ),
    Mutation(
        "park-turbine-emissions-dt",
        f"{PKG}/components/park/turbine.py",
        "emissions = g.ci_kg_per_mwh * cp.sum(fuel) * dt / 1000.0",
        "emissions = g.ci_kg_per_mwh * cp.sum(fuel) / 1000.0",
        PARK,
        "dt dropped from the turbine's emissions (14)",
    ),
    Mutation(
        "park-turbine-carbon-source",
        f"{PKG}/components/park/turbine.py",
        "        return np.full(T, g.ci_kg_per_mwh)",
        "        return np.full(T, 0.5 * g.ci_kg_per_mwh)",
        RECONCILE + PARK,
        "turbine's carbon-flow intensity halved (declarations disagree)",
    ),
    Mutation(
        "grid-carbon-source",
        f"{PKG}/components/grid/post.py",
        "                ci_kg_per_mwh=g.ci_kg_per_mwh,",
        "                ci_kg_per_mwh=0.5 * g.ci_kg_per_mwh,",
        RECONCILE,
        "grid's carbon-flow intensity halved (declarations disagree)",
    ),
    # -- carbon emission flow ------------------------------------------------------------------
    Mutation(
        "carbon-discharge-eta",
        C,
        "/ e0 / s.eta_dis",
        "/ e0",
        CARBON,
        "discharge efficiency dropped from the tank's delivered intensity",
    ),
    Mutation(
        "carbon-charge-dt",
        C,
        "c_in = s.charge_mw[t] * e[s.node] * cn.dt_h / 1000.0",
        "c_in = s.charge_mw[t] * e[s.node] / 1000.0",
        CARBON,
        "dt dropped from the carbon stored by charging",
    ),
    Mutation(
        "carbon-receipt-loss",
        C,
        "np.maximum(p - cn.loss_mw, 0.0),",
        "np.maximum(p, 0.0),",
        CARBON,
        "receiving end gets the sending-end flow (loss ignored)",
    ),
    Mutation(
        "carbon-source-weight",
        C,
        "rhs = np.bincount(src_node, weights=src_mw * src_ci, minlength=N)",
        "rhs = np.bincount(src_node, weights=src_ci, minlength=N)",
        CARBON,
        "sources' carbon not weighted by their power",
    ),
    # -- reserves and cement -------------------------------------------------------------------
    Mutation(
        "reserves-requirement",
        R,
        'cons["requirement"] = cp.vstack(cover).T == need',
        'cons["requirement"] = cp.vstack(cover).T == 0.5 * need',
        RESERVES,
        "half the reserve requirement covered",
    ),
    Mutation(
        "reserves-headroom",
        R,
        'cons["headroom_up"] = used_up <= up',
        'cons["headroom_up"] = used_up <= 2 * up',
        RESERVES,
        "reserve allocated beyond the provider's headroom",
    ),
    Mutation(
        "cement-kiln-feed",
        f"{PKG}/components/cement/model.py",
        "+ dt * (raw / c.p_raw_mean_mw - 1),",
        "+ dt * (raw / c.p_raw_mean_mw - 0.5),",
        RESERVES,
        "the kiln draws half its raw meal from the silo",
    ),
    Mutation(
        "cement-silo-cycle",
        f"{PKG}/components/cement/model.py",
        '"silo_cycle": [s_raw[T - 1] == c.raw_init_h, s_clk[T - 1] == c.clk_init_h],',
        '"silo_cycle": [],',
        RESERVES,
        "silo levels need not return to their start",
    ),
    # -- fleet MILP (seed 000) -----------------------------------------------------------------
    Mutation(
        "fleet-modulation-penalty",
        f"{PKG}/fleet/model.py",
        "out_up = w / e * (1.0 - m_eff) * np.ones((B, R))",
        "out_up = w / e * (1.0 + m_eff) * np.ones((B, R))",
        FLEET,
        "modulation above rated produces more per MWh, not less",
    ),
    Mutation(
        "fleet-carbon-price",
        f"{PKG}/fleet/model.py",
        'c_mwh = fd.block_price + costs["carbon_price_cny_per_t"] * fd.block_ci / 1000.0',
        'c_mwh = fd.block_price + costs["carbon_price_cny_per_t"] * fd.block_ci / 1e6',
        FLEET,
        "carbon price in the energy cost off by 1000",
    ),
    Mutation(
        "fleet-commitment",
        f"{PKG}/fleet/model.py",
        "terms = [(dr, nu, 1.0), (dr, chi, -1.0), (dr, zeta, 1.0)]",
        "terms = [(dr, nu, 1.0), (dr, chi, -1.0), (dr, zeta, -1.0)]",
        FLEET,
        "a stopped line counts as started in the commitment balance",
    ),
    # -- the checks ----------------------------------------------------------------------------
    Mutation(
        "check-ac-vm-zero",
        K,
        'err = float(np.max(np.abs(vm - sol.vm_pu))) if converged else float("inf")',
        "err = 0.0",
        CHECKS,
        "AC check's voltage error forced to 0 (the default sweep)",
    ),
    Mutation(
        "check-ac-loss-zero",
        K,
        "rel = abs(loss.sum() - total_opt) / max(abs(loss.sum()), 1e-12)"
        ' if converged else float("inf")',
        "rel = 0.0",
        CHECKS,
        "AC check's loss error forced to 0",
    ),
    Mutation(
        "check-soc-gap-zero",
        K,
        "        float(max(lossy[t, k], 0.0)),\n",
        "        0.0,\n",
        CHECKS,
        "SOC gap forced to 0",
    ),
    Mutation(
        "check-carbon-balance-zero",
        C,
        "rel = abs(lhs - rhs) / max(abs(lhs), 1e-12)",
        "rel = 0.0",
        CHECKS,
        "carbon balance error forced to 0",
    ),
    Mutation(
        "check-reconciliation-zero",
        f"{PKG}/analysis/reconcile.py",
        '"emissions_reconciliation_rel_err": err / max(total, RECONCILE_FLOOR_T),',
        '"emissions_reconciliation_rel_err": 0.0,',
        CHECKS,
        "emissions reconciliation forced to 0",
    ),
    Mutation(
        "check-tolerance-rule",
        f"{PKG}/analysis/tolerance.py",
        "and not values[k] <= tol",
        "and not values[k] <= 10 * tol",
        CHECKS,
        "every tolerance judged 10x looser",
    ),
    Mutation(
        "check-park-cone-zero",
        f"{PKG}/components/park/post.py",
        "cone = float(np.max(np.abs(pw - need) / park.p_rated_mw[None, :]))",
        "cone = 0.0",
        CHECKS,
        "park cone residual forced to 0",
    ),
    Mutation(
        "check-esop-loss-gap-zero",
        f"{PKG}/components/esop/post.py",
        '"esop_converter_loss_gap_max_mw": float(np.max(loss - need)) if loss.size else 0.0,',
        '"esop_converter_loss_gap_max_mw": 0.0,',
        CHECKS,
        "ESOP converter-loss gap forced to 0",
    ),
    Mutation(
        "check-deployed-zero",
        K,
        "viol = max(viol, float(np.max(np.maximum(under, over), initial=0.0)))",
        "viol = 0.0",
        CHECKS,
        "deployed reserve state's voltage violation forced to 0",
    ),
]


def copy_tree(dest: Path) -> Path:
    """The working tree (sources, tests, docs, data) copied to ``dest``; git data, caches
    and outputs left out."""
    ignore = shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", "out", "site"
    )
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def apply(tree: Path, m: Mutation) -> str | None:
    """Apply ``m`` in ``tree``; the original text, or None when ``old`` is not found once."""
    path = tree / m.file
    text = path.read_text()
    if text.count(m.old) != 1:
        return None
    path.write_text(text.replace(m.old, m.new))
    return text


def run_tests(tree: Path, tests: tuple[str, ...], timeout_s: float) -> tuple[bool, str]:
    """Run ``tests`` in ``tree`` (first failure stops); (passed, first failing test or note)."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", *tests]
    try:
        proc = subprocess.run(
            cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return False, f"timeout ({timeout_s:.0f} s)"
    if proc.returncode == 0:
        return True, ""
    found = re.search(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, re.M)
    return False, found.group(1) if found else f"pytest exit {proc.returncode}"


def table(rows: list[tuple[Mutation, str, str]], markdown: bool) -> str:
    head = ("mutation", "file", "change", "killed by")
    body = [(m.id, m.file.removeprefix(f"{PKG}/"), m.what, killed) for m, killed, _ in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += [
            "| " + " | ".join(f"`{c}`" if i < 2 else c for i, c in enumerate(r)) + " |"
            for r in body
        ]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join(fmt.format(*r) for r in [head, *body])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="run the mutations whose id starts with this")
    ap.add_argument("--list", action="store_true", help="list the mutations, run nothing")
    ap.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per mutation")
    ap.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if m.id.startswith(args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.id:30} {m.file.removeprefix(PKG + '/'):32} {' '.join(m.tests)}")
        return 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fdn_alu_mutants_") as tmp:
        tree = copy_tree(Path(tmp) / "tree")
        stale = [m.id for m in chosen if (tree / m.file).read_text().count(m.old) != 1]
        if stale:
            print(f"mutations that no longer apply (text not found once): {', '.join(stale)}")
            return 2
        if not args.no_baseline:
            files = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
            ok, why = run_tests(tree, files, args.timeout * 2)
            if not ok:
                print(f"the unmutated tests fail ({why}): fix them before judging mutations")
                return 2
        rows = []
        for m in chosen:
            original = apply(tree, m)
            try:
                passed, why = run_tests(tree, m.tests, args.timeout)
            finally:
                (tree / m.file).write_text(original)
            rows.append((m, "SURVIVED" if passed else why, ""))
            print(f"  {m.id}: {'SURVIVED' if passed else 'killed by ' + why}", file=sys.stderr)
    survivors = [m.id for m, killed, _ in rows if killed == "SURVIVED"]
    print(table(rows, args.markdown))
    print(
        f"\n{len(rows) - len(survivors)} of {len(rows)} mutations killed, "
        f"{len(survivors)} survived; {time.perf_counter() - t0:.0f} s"
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
