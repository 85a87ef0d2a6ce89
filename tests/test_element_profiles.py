"""Per-element profiles: pandapower time-series layout -> per-bus, per-period arrays.

The feeder is ieee15 as a pandapower net (line-only), with two extra loads and two static
generators so that buses hold several elements; the per-bus sums are recomputed here by plain
loops over elements and rows, and the dispatch is checked against pandapower's own
Newton-Raphson run on the user's net with the element values written into it.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from fdn_alu import run
from fdn_alu.cases import case_from_net, load_case
from fdn_alu.core.data import build_model_data
from fdn_alu.errors import InputError

ROWS = 48  # two days of hourly rows
DAY2 = "2016-06-22"  # start of the second day: row 24


@pytest.fixture(scope="module")
def feeder():
    import pandapower as pp

    net = load_case("ieee15").net.to_pandapower()
    b5, b9 = (int(net.bus.index[k]) for k in (5, 9))
    pp.create_load(net, bus=b5, p_mw=0.03, q_mvar=0.01, scaling=0.5)  # two loads at bus 5
    pp.create_sgen(net, bus=b5, p_mw=0.10, q_mvar=0.0, type="PV")
    pp.create_sgen(net, bus=b9, p_mw=0.05, q_mvar=0.01, type="WP")
    pp.create_sgen(net, bus=b9, p_mw=0.04, q_mvar=0.0, in_service=False)  # no column needed
    rng = np.random.default_rng(21)
    idx = pd.date_range("2016-06-21", periods=ROWS, freq="h")
    loads = net.load.index
    live = net.sgen.index[net.sgen.in_service]
    series = {
        ("load", "p_mw"): pd.DataFrame(
            rng.uniform(0.4, 1.0, (ROWS, len(loads))) * net.load.p_mw.to_numpy(), idx, loads
        ),
        ("load", "q_mvar"): pd.DataFrame(
            rng.uniform(0.4, 1.0, (ROWS, len(loads))) * net.load.q_mvar.to_numpy(), idx, loads
        ),
        ("sgen", "p_mw"): pd.DataFrame(
            rng.uniform(0.0, 1.0, (ROWS, len(live))) * net.sgen.p_mw[live].to_numpy(), idx, live
        ),
    }
    return net, series


def _by_hand(net, series, first_row: int, rows_per_period: int, periods: int):
    """Per-bus demand (MW, Mvar) by loops: mean of each period's rows x scaling, loads minus
    in-service sgens; sgen q is the net's value (no q series)."""
    p = {b: np.zeros(periods) for b in net.bus.index}
    q = {b: np.zeros(periods) for b in net.bus.index}
    for t in range(periods):
        rows = range(first_row + t * rows_per_period, first_row + (t + 1) * rows_per_period)
        for e in net.load.index:
            b, s = net.load.bus[e], net.load.scaling[e]
            p[b][t] += s * np.mean([series["load", "p_mw"].iloc[r][e] for r in rows])
            q[b][t] += s * np.mean([series["load", "q_mvar"].iloc[r][e] for r in rows])
        for e in net.sgen.index[net.sgen.in_service]:
            b, s = net.sgen.bus[e], net.sgen.scaling[e]
            p[b][t] -= s * np.mean([series["sgen", "p_mw"].iloc[r][e] for r in rows])
            q[b][t] -= s * net.sgen.q_mvar[e]
    return p, q


@pytest.mark.parametrize("periods", [24, 12, 6])
def test_per_bus_sums_match_hand_computed(feeder, periods):
    net, series = feeder
    case = case_from_net(net, "elements", element_profiles=series, start=DAY2)
    data = build_model_data(case, scenario=1, periods=periods)
    p, q = _by_hand(net, series, 24, 24 // periods, periods)
    base = data.base_mva
    for k, b in enumerate(data.net.bus_ids):
        np.testing.assert_allclose(data.p_load_pu[:, k] * base, p[b], rtol=0, atol=1e-12)
        np.testing.assert_allclose(data.q_load_pu[:, k] * base, q[b], rtol=0, atol=1e-12)
    # the per-element arrays: generation positive, the out-of-service sgen absent
    assert list(data.elements.gen_ids) == [0, 1]
    assert data.elements.gen_type == ["PV", "WP"]
    # energy of every element is kept by the averaging: the day's total load is the rows' sum
    day = series["load", "p_mw"].iloc[24:48] * net.load.scaling.to_numpy()
    assert data.elements.load_p_mw.sum() * 24 / periods == pytest.approx(day.to_numpy().sum())


def test_default_start_is_the_first_row_and_step_index_needs_step_h(feeder):
    net, series = feeder
    by_step = {k: v.reset_index(drop=True) for k, v in series.items()}
    with pytest.raises(InputError, match="give step_h"):
        case_from_net(net, "steps", element_profiles=by_step)
    case = case_from_net(net, "steps", element_profiles=by_step, step_h=1.0)
    data = build_model_data(case, scenario=1, periods=24)
    p, _ = _by_hand(net, series, 0, 1, 24)
    k = int(np.flatnonzero(data.net.bus_ids == net.sgen.bus[0])[0])
    np.testing.assert_allclose(data.p_load_pu[:, k] * data.base_mva, p[net.sgen.bus[0]], atol=1e-12)
    with pytest.raises(InputError, match="needs series indexed by date-time"):
        case.with_settings(profiles={"start": DAY2})


def test_dispatch_agrees_with_pandapower_on_the_users_net(feeder):
    """Scenario 1 at hourly periods = rows: pandapower's Newton-Raphson on a copy of the user's
    net with each element's value written in (as its time-series module would) gives the
    model's voltages to 1e-5 pu, so every element reached its own bus with its own sign."""
    import pandapower as pp

    net, series = feeder
    case = case_from_net(net, "elements", element_profiles=series, start=DAY2)
    result = run(case, scenario=1, periods=24)
    assert result.summary["status"] == "ok"
    vm_model = result.solution.vm_pu
    ids = result.data.net.bus_ids
    work = copy.deepcopy(net)
    live = work.sgen.index[work.sgen.in_service]
    worst = 0.0
    for t in (0, 7, 12, 19):
        work.load.p_mw = series["load", "p_mw"].iloc[24 + t].to_numpy()
        work.load.q_mvar = series["load", "q_mvar"].iloc[24 + t].to_numpy()
        work.sgen.loc[live, "p_mw"] = series["sgen", "p_mw"].iloc[24 + t][live].to_numpy()
        work.ext_grid.vm_pu = float(vm_model[t, result.data.net.root])
        pp.runpp(work, algorithm="nr", tolerance_mva=1e-10, numba=False)
        worst = max(
            worst, float(np.abs(work.res_bus.vm_pu.loc[ids].to_numpy() - vm_model[t]).max())
        )
    assert worst < 1e-5
    # the check can fail: the same series one day earlier is a different dispatch
    work.load.p_mw = series["load", "p_mw"].iloc[0].to_numpy()
    pp.runpp(work, algorithm="nr", numba=False)
    assert np.abs(work.res_bus.vm_pu.loc[ids].to_numpy() - vm_model[0]).max() > 1e-5


def test_bad_series_are_refused_with_every_problem(feeder):
    net, series = feeder
    bad = {k: v.copy() for k, v in series.items()}
    bad["load", "p_mw"].iloc[3, 2] = np.nan
    bad["load", "q_mvar"] = bad["load", "q_mvar"].drop(columns=[1, 4])  # two loads missing
    bad["sgen", "p_mw"][7] = 0.0  # no sgen 7
    bad["sgen", "v_pu"] = bad["sgen", "p_mw"]
    bad["sgen", "q_mvar"] = bad["sgen", "p_mw"].iloc[:, [0, 0, 1]]  # sgen 0 twice
    with pytest.raises(InputError) as info:
        case_from_net(net, "bad", element_profiles=bad, start="2016-06-22 12:00")
    text = str(info.value)
    assert "NaN, non-numeric or infinite values in 2" in text
    assert "no column for load(s) 1, 4" in text
    assert "column(s) 7 name no net.sgen row" in text
    assert "variable must be one of p_mw, q_mvar" in text
    assert "run past its end" in text  # 24 h from 12:00 on the second of two days
    assert "more than one column for element(s) 0" in text
    assert len(info.value.problems) == 6


def test_start_needs_element_profiles_and_a_row():
    case = load_case("ieee15")
    with pytest.raises(InputError, match="no per-element profiles to start"):
        case.with_settings(profiles={"start": "2016-06-21"})
    with pytest.raises(InputError, match="ISO date"):
        case.with_settings(profiles={"start": "21.06.2016"})


def test_without_element_profiles_the_load_profile_column_still_scales(feeder):
    net, _ = feeder
    case = case_from_net(net, "plain")
    data = build_model_data(case, scenario=1, periods=24)
    scale = case.profiles["load_scale"].to_numpy()
    np.testing.assert_allclose(
        data.p_load_pu, scale[:, None] * data.net.p_load_pu[None, :], rtol=0, atol=0
    )
    assert data.elements is None


def test_curtailable_sgens_are_bounded_decisions(feeder):
    """``[network] sgen = "curtailable"``: the generators leave the fixed demand and become
    variables 0 <= P <= their series, keeping their power factor."""
    net, series = feeder
    case = case_from_net(
        net, "curt", element_profiles=series, start=DAY2, network={"sgen": "curtailable"}
    )
    data = build_model_data(case, scenario=1, periods=24)
    p, _ = _by_hand(net, series, 24, 1, 24)
    sgen = series["sgen", "p_mw"].iloc[24:48]
    gen_at = {b: np.zeros(24) for b in net.bus.index}
    for e in sgen.columns:
        gen_at[net.sgen.bus[e]] += sgen[e].to_numpy()
    for k, b in enumerate(data.net.bus_ids):  # loads only: the hand sums plus the generation
        np.testing.assert_allclose(data.p_load_pu[:, k], p[b] + gen_at[b], atol=1e-12)
    g = data.component("net_sgen")
    np.testing.assert_allclose(g.p_avail_pu * data.base_mva, sgen.to_numpy(), atol=1e-15)
    # sgen 1 has no q series: its net value 0.01 Mvar over its available output
    np.testing.assert_allclose(g.q_per_p[:, 1], 0.01 / sgen[1].to_numpy(), rtol=1e-12)
    assert (g.q_per_p[:, 0] == 0).all()


def test_curtailment_holds_the_voltage_limit_where_fixed_generation_cannot():
    """3 MW of PV (profile: net value x load_scale) at the end of ieee15, vm_max 1.05 pu,
    export allowed. Curtailable: status ok, exact, agrees with pandapower, and wherever the
    output is below its availability the voltage limit binds (nothing is spilled for
    nothing). Fixed (the default): the relaxation is inexact (the surplus is burnt as
    fictitious losses), which the checks report."""
    import pandapower as pp

    net = load_case("ieee15").net.to_pandapower()
    pp.create_sgen(net, bus=int(net.bus.index[-1]), p_mw=3.0, q_mvar=0.0, type="PV")
    settings = {"network": {"vm_max_pu": 1.05}, "grid": {"allow_export": True}}
    curt = case_from_net(
        net, "curt", network={"sgen": "curtailable", "vm_max_pu": 1.05}, grid=settings["grid"]
    )
    result = run(curt, scenario=1, periods=24, ac_method="pandapower")
    s = result.summary
    assert s["status"] == "ok"
    assert s["checks"]["soc_gap_max"] <= 1e-6 and s["checks"]["ac_vm_err_max_pu"] <= 1e-5
    sol = result.solution
    p, avail = sol.value("p_net_sgen_mw")[:, 0], sol.value("p_net_sgen_avail_mw")[:, 0]
    np.testing.assert_allclose(avail, 3.0 * curt.profiles["load_scale"].to_numpy(), rtol=1e-12)
    assert (p <= avail + 1e-7).all()
    curtailed = p < avail - 1e-4
    assert 5 <= curtailed.sum() < 24  # the midday and evening peaks of load_scale (7 h)
    assert (sol.vm_pu[curtailed].max(axis=1) >= 1.05 - 1e-6).all()
    assert set(result.sources.kind) == {"grid", "sgen"}
    fixed = case_from_net(net, "fixed", **settings)
    assert fixed.settings["network"]["sgen"] == "fixed"
    with pytest.warns(UserWarning, match="checks outside tolerance"):
        bad = run(fixed, scenario=1, periods=24)
    assert bad.summary["status"] == "check_failed"
    assert bad.summary["checks"]["soc_gap_max"] > 0.1
