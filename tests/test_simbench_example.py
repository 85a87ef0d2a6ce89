"""The shipped SimBench example (``fdn-alu example simbench_mv``): a real MV grid with its own
per-element profiles, an aluminium park and an ESOP.

The example as shipped needs transformers in the model (SimBench's MV grids hang from
110/20 kV transformers): its end-to-end test runs by itself once the network layer accepts
them, and is skipped while it refuses them (detected by trying). Meanwhile the same settings
run on the grid's 20 kV part (the substation's MV bus as the slack, its transformers and HV
buses left out) with SimBench's own profiles, which exercises everything this example adds:
element profiles from the grid's year, the devices placed at its buses, the sgens fixed.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fdn_alu import run
from fdn_alu.cases import case_from_net, load_case, read_case_raw
from fdn_alu.cases.simbench import load_simbench, simbench_series
from fdn_alu.core.network import network_data
from fdn_alu.errors import InputError
from fdn_alu.examples import example_files, example_path

sb = pytest.importorskip("simbench")

CODE = "1-MV-rural--0-sw"


def _transformers_refused() -> bool:
    """True while the network layer refuses a SimBench grid for its transformers."""
    net, _ = load_simbench(CODE)
    if not len(net.trafo):
        return False
    try:
        network_data(net, 0.9, 1.1)
    except InputError as exc:
        return any(p.where == "net.trafo" for p in exc.problems)
    return False


@pytest.fixture(scope="module")
def example_raw():
    return read_case_raw(example_path("simbench_mv"))[0]


def test_example_is_listed_loads_and_copies(tmp_path):
    from fdn_alu.cli.app import main

    case = load_case(example_path("simbench_mv"))
    assert case.settings["profiles"]["start"] == "2016-06-21"
    assert case.element_profiles.source == f"simbench:{CODE}"
    assert [f.name for f in example_files("simbench_mv")] == [
        "simbench_mv.toml",
        "day_profiles.csv",
    ]
    assert main(["example", "simbench_mv", "--out", str(tmp_path / "ex")]) == 0
    copied = load_case(tmp_path / "ex" / "simbench_mv.toml")
    assert copied.settings == case.settings


@pytest.mark.slow
@pytest.mark.skipif(
    "_transformers_refused()",
    reason="the network layer refuses transformers: SimBench grids run once it models them",
)
def test_example_runs_end_to_end():
    """Scenario 3 at 15 min as shipped: status ok (the sweep as the run's AC check), exact SOC,
    and pandapower's Newton-Raphson on a copy of the user's own net (transformers, switches,
    line charging as SimBench has them) within 1e-5 pu of the model's voltages."""
    case = load_case(example_path("simbench_mv"))
    result = run(case, scenario=3, periods=96, ac_method="sweep")
    s = result.summary
    assert s["status"] in ("ok", "warning"), s["checks"]["failed"]
    assert s["checks"]["soc_gap_max"] <= 1e-6
    assert s["checks"]["ac_vm_err_max_pu"] <= 1e-5
    assert nr_error_pu(case.net, result, (0, 24, 48, 52, 72, 95)) <= 1e-5
    assert s["energy_mwh"]["eaip"] > 0
    assert np.abs(result.solution.part("esop")["p_i_mw"]).max() > 1e-3


def nr_error_pu(net, result, periods) -> float:
    """Largest |vm| difference between the model and pandapower's Newton-Raphson on a copy of
    ``net`` as the user has it, with each bus's dispatched net injection of period t as one
    load (its own loads and generators set to 0) and the root at the model's voltage."""
    import pandapower as pp

    data, sol = result.data, result.solution
    work = copy.deepcopy(net)
    ids = data.net.bus_ids
    work.load[["p_mw", "q_mvar"]] = 0.0
    work.sgen[["p_mw", "q_mvar"]] = 0.0
    first = len(work.load) and int(work.load.index.max()) + 1
    extra = np.arange(first, first + len(ids))
    for k, b in zip(extra, ids, strict=True):
        pp.create_load(work, bus=int(b), p_mw=0.0, q_mvar=0.0, index=int(k))
    worst = 0.0
    for t in periods:
        work.load.loc[extra, "p_mw"] = -sol.p_net_mw[t]
        work.load.loc[extra, "q_mvar"] = -sol.q_net_mvar[t]
        work.ext_grid["vm_pu"] = float(np.sqrt(sol.u_pu[t, data.net.root]))
        pp.runpp(
            work,
            algorithm="nr",
            tolerance_mva=1e-9,
            max_iteration=50,
            numba=False,
            trafo_model="pi",
        )
        vm = work.res_bus.vm_pu.loc[ids].to_numpy()
        worst = max(worst, float(np.abs(vm - sol.vm_pu[t]).max()))
    return worst


def mv_part(net):
    """The 20 kV part of a SimBench MV grid, unchanged but for its substation and cables'
    charging: the two transformers' MV buses (joined by a closed bus-bus switch) become one
    slack bus, the HV buses and transformers are left out, open line switches take their lines
    out, and the lines' shunt capacitance is set to 0 (the DistFlow model leaves it out until
    it takes line charging as bus shunts; with it pandapower's voltages differ by 2e-3 pu)."""
    net = copy.deepcopy(net)
    net.line["c_nf_per_km"] = 0.0
    sw = net.switch
    bb = sw[(sw.et == "b") & sw.closed & sw.bus.isin(net.trafo.lv_bus)]
    keep, gone = int(bb.bus.iloc[0]), int(bb.element.iloc[0])
    for table, cols in (("line", ("from_bus", "to_bus")), ("load", ("bus",)), ("sgen", ("bus",))):
        for col in cols:
            net[table].loc[net[table][col] == gone, col] = keep
    opened = sw[(sw.et == "l") & ~sw.closed].element
    net.line.loc[opened, "in_service"] = False
    hv = [*net.trafo.hv_bus, gone]
    net.switch = sw.iloc[0:0]
    net.trafo = net.trafo.iloc[0:0]
    net.bus = net.bus.drop(index=hv)
    net.ext_grid.loc[:, "bus"] = keep
    return net


@pytest.fixture(scope="module")
def mv_case(example_raw):
    full, _ = load_simbench(CODE)
    net = mv_part(full)
    raw = copy.deepcopy(example_raw)
    raw["network"]["root_vm_pu"] = 1.0  # the MV bus: no transformer drop to start from
    sections = {k: raw[k] for k in ("network", "grid", "park", "esop")}
    return case_from_net(
        net,
        "simbench_mv_part",
        element_profiles=simbench_series(full),
        start=raw["profiles"]["start"],
        **sections,
    )


@pytest.mark.slow
def test_example_settings_run_on_the_mv_part(mv_case):
    """Scenario 3 at 15 min on SimBench's own profiles: status ok, exact SOC, and agreement
    with pandapower's Newton-Raphson (the AC check of record) in every period."""
    result = run(mv_case, scenario=3, periods=96, ac_method="pandapower")
    s = result.summary
    assert s["status"] == "ok", s["checks"]["failed"]
    assert s["checks"]["soc_gap_max"] <= 1e-6
    assert s["checks"]["ac_vm_err_max_pu"] <= 1e-5
    assert nr_error_pu(mv_case.net, result, (0, 52, 95)) <= 1e-5
    data = result.data
    # the grid's generation reached the model, fixed: its energy is SimBench's over the day
    sgen_mwh = data.elements.gen_p_mw.sum() * data.dt_h
    day = simbench_day(mv_case)
    assert sgen_mwh == pytest.approx(day, rel=1e-12)
    assert s["energy_mwh"]["eaip"] > 0
    assert np.abs(result.solution.part("esop")["p_i_mw"]).max() > 1e-3


def simbench_day(case) -> float:
    """SimBench's static generation on 21 June 2016 (its labels), MWh, from its own tables."""
    net = sb.get_simbench_net(CODE)
    absolute = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    labels = net.profiles["load"]["time"].to_numpy()
    r0 = int(np.flatnonzero(labels == "21.06.2016 00:00")[0])
    return float(absolute["sgen", "p_mw"].iloc[r0 : r0 + 96].to_numpy().sum() * 0.25)
