"""Every SimBench LV/MV base grid with its own per-element profiles for one day at 15 min, built
as ``fdn-alu run --case simbench:CODE --start 2016-06-21 --periods 96`` builds it (default
settings, scenario 2, the run's automatic AC check, recovery on): status, SOC gap (or a
recovered dispatch), and pandapower's Newton-Raphson (``trafo_model="pi"``) on a copy of the
user's unchanged net with each period's injections written in, in all 96 periods."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from fdn_alu import run
from fdn_alu.cases import load_case
from fdn_alu.cases.simbench import simbench_series
from helpers import SIMBENCH_BASE_GRIDS

sb = pytest.importorskip("simbench")

from test_simbench_example import nr_error_pu  # noqa: E402 (needs simbench, skipped above)

START = "2016-06-21"
PERIODS = 96
CODES = SIMBENCH_BASE_GRIDS


def simbench_injections_mw(net, bus_ids, start: str = START) -> tuple[np.ndarray, np.ndarray]:
    """Each bus's generation minus demand (P, Q; MW, Mvar) over the day, straight from
    SimBench's own per-element series of ``net`` (its labels from ``start`` 00:00), (T, n)."""
    series = simbench_series(net)
    rows = series["load", "p_mw"].index.tz_localize(None) >= np.datetime64(start)
    first = int(np.flatnonzero(rows)[0])
    day = slice(first, first + PERIODS)
    out = []
    for gen, load in ((("sgen", "p_mw"), ("load", "p_mw")), (None, ("load", "q_mvar"))):
        by_bus = -series[load].iloc[day].T.groupby(net.load.bus).sum().T
        if gen is not None:
            by_bus = by_bus.add(series[gen].iloc[day].T.groupby(net.sgen.bus).sum().T, fill_value=0)
        out.append(by_bus.reindex(columns=bus_ids, fill_value=0.0).to_numpy())
    return out[0], out[1]


def day_case(code: str):
    """The case ``fdn-alu run --case simbench:CODE --start START`` runs (cli/run.py)."""
    case = load_case(f"simbench:{code}")
    return case.with_settings(profiles={**case.settings["profiles"], "start": START})


@pytest.mark.grids_long  # simbench reads its whole data set per grid: ~15 s each
@pytest.mark.parametrize("code", CODES)
def test_simbench_day_with_own_profiles(code):
    case = day_case(code)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run(case, periods=PERIODS)
    seconds = time.perf_counter() - t0
    s, c = res.summary, res.summary["checks"]
    rec = s["recovery"] or {"status": "not_needed"}
    nr = nr_error_pu(case.net, res, range(PERIODS))
    print(  # the docs/NETWORKS.md row (pytest -s)
        f"\n| {code} | {len(case.net.bus)} | {res.solution.vm_pu.shape[0]} | {seconds:.1f} "
        f"| {s['status']} | {c['soc_gap_max']:.1e} | {rec['status']} | {nr:.1e} |"
    )
    assert res.solution.vm_pu.shape[0] == PERIODS
    # the grid's own profiles drove the run, element by element (no devices in scenario 2 of
    # the default settings: each bus's injection is its elements' values of the period)
    # (the roots' injection is the grid supply: compared without it)
    nd = res.data.net
    p_mw, q_mvar = simbench_injections_mw(case.net, nd.bus_ids)
    own = np.setdiff1d(np.arange(len(nd.bus_ids)), nd.roots)
    assert not (case.net.load.bus.isin(nd.bus_ids[nd.roots]).any())
    sol = res.solution
    np.testing.assert_allclose(sol.p_net_mw[:, own], p_mw[:, own], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sol.q_net_mvar[:, own], q_mvar[:, own], rtol=1e-9, atol=1e-9)
    assert np.ptp(p_mw.sum(axis=1)) > 0  # the day's profile, not a static snapshot
    assert not c["failed"], c["failed"]
    # "warning" only for Clarabel's "almost solved" (every check passing, measured on all ten
    # day runs: docs/NETWORKS.md), never for a failed check or another note
    assert s["status"] == "ok" or (
        s["status"] == "warning" and s["solver_status"] == "optimal_inaccurate"
    ), (s["status"], s["solver_status"], s["notes"])
    assert c["soc_gap_max"] <= 1e-6 or rec["status"] == "recovered"
    assert nr <= 1e-5, f"max |V - V_NR| = {nr:.2e} pu"
