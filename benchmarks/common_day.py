"""Common feeder-day benchmark: our exact SOC dispatch against PyPSA's linear OPF (HiGHS).

The day (issue 11): the grid at the root, the base case's first three PV units and one 1 MWh /
0.5 MW battery (the ``[[storage]]`` component, at the park's bus), scenario 2 (rigid network,
carbon cost in the objective), no park and no ESOP. Larger feeders are k copies of ieee85 under
one root (``fdn_alu.cases.synthetic.replicate_case``), each copy with its three PV and its
battery, so bus-periods grow with the same per-bus content.

PyPSA gets exactly the same day: our :class:`~fdn_alu.core.data.ModelData` (loads, PV availability,
prices, intensities, branches) is written to an ``.npz`` once (untimed) and a separate process
builds the PyPSA network from it: the grid as a generator priced at ``price + carbon price x
intensity``, PV as generators with their availability, loads, lines (x, r in ohm; no rating),
the battery as a StorageUnit with the same efficiencies and end state. PyPSA's linear OPF is
lossless and has no voltages or reactive power, so it solves a smaller, easier problem (an LP);
ours is the exact second-order-cone DistFlow with losses, voltages and the AC check.

Each configuration runs in its own process (peak RSS its own); rounds are interleaved (ours,
PyPSA, ours, PyPSA...) and the minimum over rounds is kept. ``benchmarks/regenerate.py`` runs
these configurations for RESULTS.md; this script runs them alone and prints the table. Usage::

    python benchmarks/common_day.py                    # 15/85/841/3361 buses x 24/96
    python benchmarks/common_day.py --quick            # 15 and 85 buses
    python benchmarks/common_day.py --no-pypsa         # ours only

Needs the ``bench`` extra (``pip install -e .[bench]``) for the PyPSA side, or PyPSA in a separate
environment given as ``--pypsa-python /path/to/python`` (recommended: PyPSA brings geopandas,
shapely, polars and pyarrow, which pandapower then imports at start-up, +4 s and +135 MB in every
one of our processes); without PyPSA the script benchmarks ours only. Prints the table and the
fitted growth exponents (``--out F.csv`` writes the rows too).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

# (label, base case, copies, battery bus in the base case): ieee15's park bus 8, ieee85's 43.
SIZES = [
    ("ieee15", "ieee15", 1, 8),
    ("ieee85", "ieee85", 1, 43),
    ("ieee85 x10", "ieee85", 10, 43),
    ("ieee85 x40", "ieee85", 40, 43),
]

# The battery of the common day (issue 11: "a 1 MWh battery"); half full at the start and at
# the end (end_rule "equal", PyPSA's state_of_charge_set at the last snapshot), default 95 %
# efficiencies of the battery schema.
BATTERY = {
    "p_max_mw": 0.5,
    "e_max_mwh": 1.0,
    "e_init_mwh": 0.5,
    "ci_init_kg_per_mwh": 500.0,
    "end_rule": "equal",
}

# Builds the common day's Case; shared by the preparation step and our timed process.
CASE = r"""
import numpy as np
from fdn_alu import case_from_net, load_case
from fdn_alu.cases.synthetic import replicate_case

def common_case(base, copies, battery_bus, battery):
    c = load_case(base)
    day = case_from_net(
        c.net, f"{base}_day", profiles=c.profiles, case={"horizon_h": 24},
        network=c.settings["network"], grid=c.settings["grid"], pv=c.settings["pv"][:3],
    )
    if copies > 1:
        day = replicate_case(day, copies)
    offset = int(10 ** np.ceil(np.log10(c.net.bus.index.max() + 1)))
    return day.with_settings(storage=[
        {"name": f"battery_c{k}", "bus": battery_bus + k * offset, **battery}
        for k in range(copies)
    ])
"""

PREPARE = (
    CASE
    + r"""
import json, sys
from fdn_alu.core.data import build_model_data
base, copies, bus, battery, periods, out = json.loads(sys.argv[1])
d = build_model_data(common_case(base, copies, bus, battery), 2, periods)
net, grid, pv, st = d.net, d.components["grid"], d.components["pv"], d.components["bess"]
np.savez(
    out, base_mva=net.base_mva, base_kv=net.base_kv, root=net.root, dt_h=d.dt_h,
    from_bus=net.from_bus, to_bus=net.to_bus, r_pu=net.r_pu, x_pu=net.x_pu,
    p_load_mw=d.p_load_pu * net.base_mva,
    pv_bus=pv.bus, pv_avail_mw=pv.p_avail_pu * net.base_mva,
    cost_per_mwh=grid.price_per_mwh + grid.carbon_price_per_t * grid.ci_kg_per_mwh / 1000.0,
    st_bus=st.bus, st_p_mw=[b.p_max_mw for b in st.batteries],
    st_e_mwh=[b.e_max_mwh for b in st.batteries], st_e0_mwh=[b.e_init_mwh for b in st.batteries],
    st_eta_ch=[b.eta_ch for b in st.batteries], st_eta_dis=[b.eta_dis for b in st.batteries],
)
print(json.dumps({"written": out}))
"""
)

OURS = (
    r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
"""
    + CASE
    + r"""
from fdn_alu import run
base, copies, bus, battery, periods, out = json.loads(sys.argv[1])
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
case = common_case(base, copies, bus, battery)
t_load = time.perf_counter() - t1
c0, t2 = time.process_time(), time.perf_counter()
res = run(case, scenario=2, periods=periods)
cpu, wall = time.process_time() - c0, time.perf_counter() - t2
s = res.summary
tm = s["timings_s"]
print(json.dumps({
    "tool": "fdn_alu SOC (Clarabel)", "buses": int(res.data.net.n_bus), "import_s": t_import,
    "load_s": t_load, "build_s": tm["build"], "solver_s": tm["solver"],
    "solve_s": tm["solve"], "post_s": tm["postprocess"], "in_process_s": wall, "cpu_s": cpu,
    "objective": s["objective"], "status": s["solver_status"], "check": s["status"],
    "iterations": s["solve_iterations"],
    "storage_discharge_mwh": s["energy_mwh"]["storage_discharge"],
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""
)

PYPSA = r"""
import json, logging, resource, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import numpy as np
import pandas as pd
import pypsa
logging.getLogger("pypsa").setLevel(logging.ERROR)
logging.getLogger("linopy").setLevel(logging.ERROR)
path = json.loads(sys.argv[1])[-1]
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
z = np.load(path)
t_load = time.perf_counter() - t1
c0, t2 = time.process_time(), time.perf_counter()
T, n_bus = z["p_load_mw"].shape
snap = pd.RangeIndex(T)
n = pypsa.Network()
n.set_snapshots(snap)
n.snapshot_weightings = n.snapshot_weightings.astype(float)
n.snapshot_weightings.loc[:, :] = float(z["dt_h"])
kv, base = float(z["base_kv"]), float(z["base_mva"])
buses = [f"b{k}" for k in range(n_bus)]
n.add("Bus", buses, v_nom=kv)
zb = kv**2 / base
m = len(z["from_bus"])
n.add("Line", [f"l{k}" for k in range(m)], bus0=[buses[i] for i in z["from_bus"]],
      bus1=[buses[j] for j in z["to_bus"]], x=np.maximum(z["x_pu"] * zb, 1e-6),
      r=z["r_pu"] * zb, s_nom=1e5)
has = z["p_load_mw"].any(axis=0)
idx = np.flatnonzero(has)
n.add("Load", [f"d{k}" for k in idx], bus=[buses[k] for k in idx],
      p_set=pd.DataFrame(z["p_load_mw"][:, idx], index=snap, columns=[f"d{k}" for k in idx]))
n.add("Generator", "grid", bus=buses[int(z["root"])], p_nom=1e5,
      marginal_cost=pd.Series(z["cost_per_mwh"], index=snap))
pv_names = [f"pv{k}" for k in range(len(z["pv_bus"]))]
avail = z["pv_avail_mw"]
p_nom = np.maximum(avail.max(axis=0), 1e-9)
n.add("Generator", pv_names, bus=[buses[k] for k in z["pv_bus"]], p_nom=p_nom,
      p_max_pu=pd.DataFrame(avail / p_nom, index=snap, columns=pv_names), marginal_cost=0.0)
st = [f"st{k}" for k in range(len(z["st_bus"]))]
soc_set = np.full((T, len(st)), np.nan)
soc_set[-1] = z["st_e0_mwh"]
n.add("StorageUnit", st, bus=[buses[k] for k in z["st_bus"]], p_nom=z["st_p_mw"],
      max_hours=z["st_e_mwh"] / z["st_p_mw"], efficiency_store=z["st_eta_ch"],
      efficiency_dispatch=z["st_eta_dis"], state_of_charge_initial=z["st_e0_mwh"],
      cyclic_state_of_charge=False,
      state_of_charge_set=pd.DataFrame(soc_set, index=snap, columns=st))
t_net = time.perf_counter() - t2
t3 = time.perf_counter()
n.optimize.create_model()
t_model = time.perf_counter() - t3
t4 = time.perf_counter()
status, cond = n.optimize.solve_model(solver_name="highs")
t_solve = time.perf_counter() - t4
try:
    solver_s = float(n.model.solver_model.getRunTime())
except Exception:
    solver_s = float("nan")
cpu, wall = time.process_time() - c0, time.perf_counter() - t2
dis = n.storage_units_t.p_dispatch.to_numpy().sum() * float(z["dt_h"])
print(json.dumps({
    "tool": "PyPSA linear OPF (HiGHS)", "buses": int(n_bus), "import_s": t_import,
    "load_s": t_load, "build_s": t_net + t_model, "solver_s": solver_s, "solve_s": t_solve,
    "post_s": 0.0, "in_process_s": wall, "cpu_s": cpu, "objective": float(n.objective),
    "status": str(cond), "check": "", "iterations": 1, "storage_discharge_mwh": float(dis),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_one(script: str, args: list, timeout_s: float, python: str = sys.executable) -> dict | None:
    """Run one configuration in a fresh process; its JSON line with the process wall time."""
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [python, "-c", script, json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout_s:.0f} s: {args[:5]}", flush=True)
        return None
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        return None
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["process_s"] = time.perf_counter() - t0
    return rec


def markdown(df: pd.DataFrame) -> str:
    """A markdown table (3 significant digits), without the optional tabulate dependency."""

    def cell(v) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, *body])


def fit_exponent(df: pd.DataFrame, col: str, min_buses: int = 85) -> float:
    """Slope of log(col) against log(bus-periods) over feeders of at least ``min_buses``."""
    d = df[(df.buses >= min_buses) & (df[col] > 0)]
    if len(d) < 2:
        return float("nan")
    return float(np.polyfit(np.log(d.buses * d.periods), np.log(d[col]), 1)[0])


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="15 and 85 buses only")
    ap.add_argument("--no-pypsa", action="store_true", help="benchmark ours only")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds (min kept)")
    ap.add_argument("--periods", type=int, nargs="+", default=[24, 96])
    ap.add_argument("--timeout", type=float, default=600.0, help="per process, s")
    ap.add_argument("--out", default=None, help="CSV of the rows (default: none)")
    ap.add_argument(
        "--pypsa-python",
        default=None,
        help="interpreter of a separate environment holding PyPSA (keeps PyPSA's dependencies, "
        "e.g. geopandas, which pandapower then imports, out of the environment measured)",
    )
    a = ap.parse_args(argv)
    py_ref = a.pypsa_python or sys.executable
    pypsa = not a.no_pypsa and (
        a.pypsa_python is not None or importlib.util.find_spec("pypsa") is not None
    )
    if not a.no_pypsa and not pypsa:
        print("PyPSA is not installed (pip install -e .[bench]): benchmarking ours only")
    sizes = SIZES[:2] if a.quick else SIZES
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, base, copies, bus in sizes:
            for periods in a.periods:
                npz = str(Path(tmp) / f"{base}_{copies}_{periods}.npz")
                args = [base, copies, bus, BATTERY, periods, npz]
                tools = [("ours", OURS, sys.executable)]
                if pypsa:
                    if run_one(PREPARE, args, a.timeout) is None:
                        print(f"  {label} x {periods}: preparing PyPSA's input failed")
                    else:
                        tools.append(("pypsa", PYPSA, py_ref))
                rounds = 1 if copies >= 40 else a.rounds
                best: dict[str, dict] = {}
                for r in range(rounds):
                    for key, script, python in tools:
                        rec = run_one(script, args, a.timeout, python)
                        if rec is None:
                            continue
                        if key not in best or rec["in_process_s"] < best[key]["in_process_s"]:
                            best[key] = rec
                        print(
                            f"{label:>11} x {periods:>3} round {r + 1} {key:>5}: "
                            f"solver {rec['solver_s']:.2f} s, in-process {rec['in_process_s']:.2f}"
                            f" s, cpu {rec['cpu_s']:.2f} s, process {rec['process_s']:.2f} s, "
                            f"{rec['peak_mb']:.0f} MB",
                            flush=True,
                        )
                for rec in best.values():
                    rows.append({"feeder": label, "periods": periods, "rounds": rounds, **rec})
    df = pd.DataFrame(rows)
    if a.out:
        df.to_csv(a.out, index=False)
    cols = [
        "feeder", "buses", "periods", "tool", "build_s", "solver_s", "solve_s", "post_s",
        "in_process_s", "cpu_s", "process_s", "import_s", "load_s", "peak_mb", "objective",
        "status",
    ]  # fmt: skip
    print(markdown(df[cols]))
    for tool, d in df.groupby("tool"):
        for col in ("solver_s", "in_process_s", "cpu_s"):
            print(f"- {tool}: {col} ~ (bus-periods)^{fit_exponent(d, col):.2f} (>= 85 buses)")
    if pypsa and df.tool.nunique() == 2:
        w = df.pivot_table(index=["feeder", "periods"], columns="tool", values="in_process_s")
        c = df.pivot_table(index=["feeder", "periods"], columns="tool", values="cpu_s")
        ours, ref = "fdn_alu SOC (Clarabel)", "PyPSA linear OPF (HiGHS)"
        ratio = pd.DataFrame({"in_process": w[ours] / w[ref], "cpu": c[ours] / c[ref]})
        print("ratio ours / PyPSA:")
        print(markdown(ratio.reset_index()))
    return df


if __name__ == "__main__":
    main()
