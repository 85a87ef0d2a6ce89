"""Reserve products (seed 002): hand-sized allocation with a known turbine cost, the worst-case
call replayed from reserves.csv and eaip.csv, replay checks able to fail, prices against a finite
difference, a cement non-spinning event, qualification (eq. 1), the AC check of the fully
deployed state, carbon balance."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import figure_checks as fc
from fdn_alu import InfeasibleError, InputError, case_from_net, load_case, run
from fdn_alu.analysis.checks import ac_check_sweep
from fdn_alu.analysis.tolerance import failed_checks
from fdn_alu.cli import main
from fdn_alu.components.cement.post import silo_levels, simulate_event
from fdn_alu.components.park.reserve import potline_replay, turbine_replay
from fdn_alu.components.reserves import Reserves
from fdn_alu.components.reserves.post import replay_violations
from fdn_alu.components.reserves.settings import PRODUCTS
from fdn_alu.core.data import build_model_data
from fdn_alu.model.storage import storage_replay
from fdn_alu.studies.ancillary.dispatch import TURBINE_PART_LOAD, plot_providers, with_reserves
from helpers import flat_profiles, radial_net

R_MW = 0.02  # regulation requirement of the hand-sized case, each direction


def _hand_case(band_frac: float, periods: int = 4, turbine: bool = True, down_mw: float = R_MW):
    """Two buses; a one-potline park with the part-load turbine; grid at 300/MWh (the turbine
    at 740/MWh rated stays off unless it must hold reserve); regulation 0.02 MW each way, no
    purchase; other products not required."""
    net = radial_net([(1, 2, 0.01, 0.02)], {2: (0.3, 0.1)})
    park = copy.deepcopy(load_case("ieee15").settings["park"])
    park.update(bus=2, regulation_band_frac=band_frac, max_adjustments=24)
    park["potlines"] = park["potlines"][:1]
    park.pop("battery")
    park.pop("pv")
    # A 3 MW/h ramp (our choice for the hand case) lets the turbine move 0.025 MW within the
    # 30 s of regulation; a 5 % production tolerance lets one potline carry a one-hour call
    # of 0.02 MW within a 4-h horizon.
    park["gas_turbine"].update(TURBINE_PART_LOAD, ramp_mw_per_h=3.0)
    park["reserve_production_tol"] = 0.05
    if not turbine:
        park.pop("gas_turbine")
    zero = {"load_share": 0.0, "pv_share": 0.0, "allow_purchase": False}
    reg = {**zero, "mw": R_MW}
    reserves = {
        "regulation_up": reg,
        "regulation_down": {**zero, "mw": down_mw},
        "spinning": zero,
        "non_spinning": zero,
    }
    prof = flat_profiles(periods, 4.0, price_per_mwh=300.0, grid_ci_kg_per_mwh=500.0)
    return case_from_net(
        net, "hand", profiles=prof, case={"horizon_h": 4.0}, park=park, reserves=reserves
    )


def test_reserve_moves_to_the_potline_band_and_back_to_the_turbine():
    cheap = run(_hand_case(0.1), scenario=2)
    res = cheap.table("reserves")
    line = res[(res.provider == "potline1") & res["product"].str.startswith("regulation")]
    assert np.allclose(line.mw, R_MW, atol=1e-6)  # all regulation on the potline band
    assert cheap.summary["emissions_t"]["gas_turbine"] == pytest.approx(0.0, abs=1e-7)
    assert cheap.solution.part("park")["gas_turbine_mw"].max() < 1e-6

    no_band = run(_hand_case(0.0), scenario=2)
    res = no_band.table("reserves")
    gt = res[(res.provider == "gas_turbine") & res["product"].str.startswith("regulation")]
    assert np.allclose(gt.mw, R_MW, atol=1e-6)
    # The turbine must run to hold the band: on, at its lowest output that leaves R below it,
    # P = 0.25 x 0.25 + 0.02 = 0.0825 MW, on the first segment of its fuel curve.
    x = np.array(TURBINE_PART_LOAD["part_load_pu"]) * 0.25
    f = x / np.array(TURBINE_PART_LOAD["part_load_rel_efficiency"])
    b1 = (f[1] - f[0]) / (x[1] - x[0])
    p = 0.0625 + R_MW
    fuel_mw = f[0] + b1 * (p - x[0])  # MWh of fuel per h at rated efficiency
    gas = no_band.solution.part("park")["gas_turbine_mw"]
    assert np.allclose(gas, p, atol=1e-6)
    hours = 4.0
    assert no_band.summary["costs"]["gas_turbine"] == pytest.approx(740.0 * fuel_mw * hours, 1e-5)
    assert no_band.summary["emissions_t"]["gas_turbine"] == pytest.approx(
        577.0 * fuel_mw * hours / 1000.0, 1e-5
    )
    # Fuel per MWh at this part load is above rated: 1 / eta_rel > 1 (CO2 price of reserve).
    assert fuel_mw / p > 1.2
    for r in (cheap, no_band):
        assert r.summary["checks"]["carbon_balance_rel_err"] <= 1e-9
        assert r.summary["checks"]["failed"] == []
    assert cheap.summary["costs"]["total"] < no_band.summary["costs"]["total"]


def test_allocation_stays_within_each_providers_headroom():
    """Allocated reserve never exceeds a provider's headroom; with the turbine gone and no
    purchase, a potline band (0.03 x rated, ~0.012 MW) below the 0.02 MW of regulation up
    required (none down) cannot be stretched: the problem is infeasible."""
    split = run(_hand_case(0.025), scenario=2)
    assert split.summary["status"] == "ok"
    held = split.table("reserves").dropna(subset=["headroom_mw"])  # purchase rows: no headroom
    assert len(held) and (held.mw <= held.headroom_mw + 1e-7).all()
    with pytest.raises(InfeasibleError):
        run(_hand_case(0.03, turbine=False, down_mw=0.0), scenario=2)
    # twice that band covers it: the headroom, not the missing turbine, was the limit
    wide = run(_hand_case(0.06, turbine=False, down_mw=0.0), scenario=2)
    assert wide.summary["status"] == "ok"


def test_unqualified_provider_is_refused():
    case = _hand_case(0.1)
    reserves = copy.deepcopy(case.settings["reserves"])
    raw = {k: v for k, v in reserves["products"].items()}
    raw["provider"] = {"potline1": {"products": ["spinning"], "notice_h": 4.0}}
    with pytest.raises(InputError) as info:
        run(case.with_settings(reserves=raw), scenario=2)
    msg = str(info.value)
    assert "'potline1'" in msg and "does not qualify for spinning" in msg
    assert "notice 4 h > t3 = 0 h" in msg


def test_unknown_admitted_provider_is_refused():
    case = _hand_case(0.1)
    raw = dict(case.settings["reserves"]["products"])
    raw["admit"] = ["coal_plant"]
    with pytest.raises(InputError, match="'coal_plant' offers no reserve"):
        run(case.with_settings(reserves=raw), scenario=2)


@pytest.fixture(scope="module")
def ieee15_reserves(tmp_path_factory):
    out = tmp_path_factory.mktemp("res") / "run"
    code = main(
        ["run", "--case", "ieee15", "--scenario", "3", "--reserves", "-q", "--out", str(out)]
    )
    assert code == 0
    return out


def _table_alloc(t: pd.DataFrame, providers: list[str], T: int) -> dict:
    """product -> (T, k) MW held by ``providers`` (reserves.csv)."""
    out = {}
    for prod in PRODUCTS:
        sub = t[t["product"] == prod].pivot_table(index="period", columns="provider", values="mw")
        out[prod] = sub.reindex(index=range(T), columns=providers).fillna(0.0).to_numpy()
    return out


def test_worst_case_replay_from_the_tables(ieee15_reserves):
    """Every call of every product, replayed in numpy from reserves.csv and eaip.csv (the park's
    thermal model (2), eq. (1) and (3), the turbine's limits and ramp, the battery's energy),
    stays inside every limit: the model's robust constraints are exact enough."""
    case = with_reserves(load_case("ieee15"))
    park = build_model_data(case, 3).component("park")
    t = pd.read_csv(ieee15_reserves / "reserves.csv")
    e = pd.read_csv(ieee15_reserves / "eaip.csv")
    T, dt = 24, 1.0
    lines = e[e.potline != "park"].pivot_table(index="period", columns="potline", values="p_mw")
    sched = {"power": lines[park.names].to_numpy()}
    periods = {p: 1 if p.startswith("regulation") else 2 for p in PRODUCTS}
    alloc = _table_alloc(t, park.names, T)
    assert alloc["regulation_up"].max() > 1e-3  # the potlines do hold regulation
    out = potline_replay(park, sched, alloc, periods, dt)
    assert max(out.values()) <= 1e-6, out
    row = e[e.potline == "park"].set_index("period").sort_index()
    gas = {"gas": row.gas_turbine_mw.to_numpy(), "on": (row.gas_turbine_mw > 1e-6).to_numpy()}
    out = turbine_replay(
        (park.gas_turbine, dt), gas, _table_alloc(t, ["gas_turbine"], T), periods, dt
    )
    assert out["reserves_deployed_power_mw"] <= 1e-6
    bat = {
        "charge": row.battery_charge_mw.to_numpy(),
        "discharge": row.battery_discharge_mw.to_numpy(),
        "e_max_mwh": park.battery.e_max_mwh,
        "p_max_mw": park.battery.p_max_mw,
    }
    held = _table_alloc(t, ["park_battery"], T)
    assert held["regulation_up"].max() > 1e-3
    out = storage_replay(park.battery, bat, held, periods, dt)
    assert max(out.values()) <= 1e-6, out
    # the turbine holds at most what its ramp moves within a product's response time
    gt = t[t.provider == "gas_turbine"]
    ramp = park.gas_turbine.ramp_mw_per_h / 3600.0
    assert gt[gt["product"].str.startswith("regulation")].mw.max() <= ramp * 30 + 1e-9
    assert gt[gt["product"] == "spinning"].mw.max() <= ramp * 600 + 1e-9


def test_replay_checks_fail_just_above_their_tolerance(ieee15_reserves):
    """Each replay limit moved so that the worst call breaks it by 0.99 and 1.01 tolerances:
    the pipeline's judgement passes the first and fails the second."""
    case = with_reserves(load_case("ieee15"))
    res = run(case, scenario=3)
    part = res.solution.part("reserves")
    tol = Reserves.tolerances
    park = res.data.component("park")

    def judged(key: str, replace_data) -> tuple[list, list]:
        out = []
        for share in (0.99, 1.01):
            p2 = dict(part)
            p2["replays"] = [
                (fn, replace_data(data, share), sched, start, k)
                for fn, data, sched, start, k in part["replays"]
            ]
            out.append(failed_checks(replay_violations(p2, 1.0), tol))
        return out

    # bath temperature: the window's lower end raised above the coldest call
    cold = potline_replay(
        replace(park, temp_min_c=2000.0), *_sched(part, "potline1"), part["periods"], 1.0
    )
    t_min = 2000.0 - cold["reserves_deployed_temperature_c"]
    key = "reserves_deployed_temperature_c"

    def temp(data, share):
        return replace(data, temp_min_c=t_min + share * tol[key]) if data is park else data

    ok, bad = judged(key, temp)
    assert key not in ok and key in bad
    # production: the allowed shortfall lowered below the worst call's
    worst = potline_replay(
        replace(park, reserve_production_tol=0.0), *_sched(part, "potline1"), part["periods"], 1.0
    )
    loss = worst["reserves_deployed_production_rel"]
    assert loss > 1e-5
    key = "reserves_deployed_production_rel"

    def prod(data, share):
        if data is not park:
            return data
        return replace(data, reserve_production_tol=loss - share * tol[key])

    ok, bad = judged(key, prod)
    assert key not in ok and key in bad
    # stored energy: the ESOP battery's floor raised above its lowest called energy
    esop = res.data.component("esop").battery
    low = storage_replay(
        replace(esop, e_min_mwh=50.0), *_sched(part, "esop_battery"), part["periods"], 1.0
    )
    e_min = 50.0 - low["reserves_deployed_energy_mwh"]
    key = "reserves_deployed_energy_mwh"

    def energy(data, share):
        return replace(data, e_min_mwh=e_min + share * tol[key]) if data is esop else data

    ok, bad = judged(key, energy)
    assert key not in ok and key in bad
    # power: the park battery's power limit lowered below its largest called output
    sched, alloc = _sched(part, "park_battery")
    top = storage_replay(park.battery, {**sched, "p_max_mw": 0.0}, alloc, part["periods"], 1.0)
    p_top = top["reserves_deployed_power_mw"]
    assert p_top > 1e-3
    key = "reserves_deployed_power_mw"
    for share, fails in ((0.99, False), (1.01, True)):
        p2 = dict(part)
        p2["replays"] = [
            (
                fn,
                data,
                {**sch, "p_max_mw": p_top - share * tol[key]} if data is park.battery else sch,
                st,
                k,
            )
            for fn, data, sch, st, k in part["replays"]
        ]
        assert (key in failed_checks(replay_violations(p2, 1.0), tol)) == fails


def _sched(part: dict, provider: str) -> tuple:
    """(schedule, allocations) of the replay entry holding ``provider``."""
    for _fn, _data, sched, start, k in part["replays"]:
        if provider in part["providers"][start : start + k]:
            alloc = {p: part[f"{p}_mw"][:, start : start + k] for p in PRODUCTS}
            return sched, alloc
    raise KeyError(provider)


def test_reserve_prices_are_the_marginal_cost_of_holding_more():
    """Price x 1 kW more held every hour = the change of the total cost (finite difference)."""
    case = with_reserves(load_case("ieee15"))
    base = run(case, scenario=3)
    t = base.table("reserves")
    raw = copy.deepcopy(case.settings["reserves"])
    prods = raw.pop("products")
    raw.pop("provider", None)
    d = 1e-3
    for prod in ("regulation_up", "non_spinning"):
        more = {**raw, **prods, prod: {**prods[prod], "mw": d}}
        r = run(case.with_settings(reserves=more), scenario=3)
        price = t[t["product"] == prod].groupby("period").price.first().to_numpy()
        assert price.min() >= -1e-6 and price.max() > 1.0
        delta = r.summary["costs"]["total"] - base.summary["costs"]["total"]
        assert delta > 0
        assert float(price.sum() * d) == pytest.approx(delta, rel=5e-3)


def test_deployed_state_within_voltage_limits_and_carbon_closed(ieee15_reserves):
    import json

    s = json.loads((ieee15_reserves / "summary.json").read_text())
    ch = s["checks"]
    assert ch["carbon_balance_rel_err"] <= 1e-9
    assert ch["deployed_vm_violation_pu"] <= 1e-4
    assert ch["deployed_vm_min_pu"] >= 0.9 - 1e-4
    assert s["costs"]["reserve_purchase"] > 0
    assert ch["reserves_shortfall_mw"] <= 1e-6


def test_ac_sweep_of_the_fully_deployed_dispatch():
    res = run(with_reserves(load_case("ieee15")), scenario=2)
    part = res.solution.part("reserves")
    for key in ("deployed_up_mw", "deployed_down_mw"):
        dep = replace(res.solution, p_net_mw=res.solution.p_net_mw + part[key])
        ac = ac_check_sweep(res.data, dep)
        assert ac.converged
        assert ac.vm_ac_pu.min() >= 0.9 - 1e-4 and ac.vm_ac_pu.max() <= 1.1 + 1e-4

    # up state: injections rise by every up call still being delivered: regulation (1 h) held
    # this hour, spinning and non-spinning (2 h) the larger of this and the last hour's
    def last2(x):
        return np.maximum(x, np.vstack([np.zeros((1, x.shape[1])), x[:-1]]))

    held = (
        part["regulation_up_mw"] + last2(part["spinning_mw"]) + last2(part["non_spinning_mw"])
    ).sum(axis=1)
    assert np.allclose(part["deployed_up_mw"].sum(axis=1), held, atol=1e-9)
    # cement: a non-spinning event on the mill with the largest offer, with make-up (eq. 2)
    c = res.data.component("cement")
    cm = res.solution.part("cement")
    t = res.table("reserves")
    ns = t[(t["product"] == "non_spinning") & (t.provider == "cement_raw_mill")]
    k = int(ns.mw.to_numpy().argmax())
    shed = float(ns.mw.to_numpy()[k])
    assert shed > 1e-3
    p, e_ns, e2 = simulate_event(c, cm["raw_mill_mw"], "raw", k, shed, res.data.dt_h)
    assert e2 == pytest.approx(e_ns, rel=1e-6)  # E_ns = E1 + E2 with E1 = 0
    raw, _ = silo_levels(c, p, cm["cement_mill_mw"], res.data.dt_h)
    assert raw.min() >= c.raw_min_h - 1e-6 and raw.max() <= c.raw_max_h + 1e-6
    assert raw[-1] == pytest.approx(c.raw_init_h, abs=1e-6)  # production unchanged
    assert p.sum() == pytest.approx(cm["raw_mill_mw"].sum(), rel=1e-9)
    _check_providers_figure(plot_providers({"S2": res}), res.table("reserves"))


def _check_providers_figure(fig, table: pd.DataFrame) -> None:
    """One panel per product: stacked bars per provider add up to the table's MW per hour."""
    axes = fc.panels(fig)
    assert len(axes) == 4
    products = ("regulation_up", "regulation_down", "spinning", "non_spinning")
    for ax, prod in zip(axes, products, strict=True):
        assert fc.title(fig, ax) == f"S2: {prod.replace('_', ' ')}"
        fc.labels(ax, x=ax is axes[-1])
        want = table[table["product"] == prod].groupby("time_h").mw.sum()
        groups = fc.bars(ax)
        assert groups, prod
        held = sum(fc.finite([b.get_height() for b in g], len(want)) for g in groups)
        assert np.allclose(held, want.to_numpy(), atol=1e-6)
    providers = {g.get_label() for ax in axes for g in fc.bars(ax)}
    assert set(fc.legend_texts(fig)) == providers


def test_config_file_with_reserves_section(tmp_path):
    from fdn_alu.cases import DATA_DIR

    text = (
        (DATA_DIR / "ieee15.toml")
        .read_text()
        .replace('profiles = "day_profiles.csv"', f'profiles = "{DATA_DIR / "day_profiles.csv"}"')
    )
    text += '\n[reserves]\nadmit = ["gas_turbine"]\n\n[reserves.spinning]\nload_share = 0.05\n'
    path = tmp_path / "case.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["run", "--config", str(path), "--scenario", "2", "-q", "--out", str(out)]) == 0
    t = pd.read_csv(out / "reserves.csv")
    assert set(t[t.mw > 1e-6].provider) <= {"gas_turbine", "purchase"}


@pytest.mark.parametrize("model", ["paper", "quasi_static", "heat_balance"])
def test_thermal_kernel_is_the_thermal_model(model):
    """The robust constraints' kernel K[t, s] (model/deploy.py) equals the temperature change
    the step-by-step thermal model (2) gives for a call of 1 kW from period s for 2 periods."""
    from fdn_alu.components.park.reserve import simulate_temperature, thermal_gain_decay
    from fdn_alu.model.deploy import first_order_kernel

    park = replace(build_model_data(load_case("ieee15"), 3).component("park"), thermal_model=model)
    T, dt, s, x = 8, 1.0, 3, 1e-3
    rng = np.random.default_rng(1)
    pw = park.p_rated_mw[None, :] * (1 + 0.05 * rng.standard_normal((T, len(park.names))))
    called = pw.copy()
    called[s : s + 2] += x
    moved = simulate_temperature(park, called, dt) - simulate_temperature(park, pw, dt)
    gain, decay = thermal_gain_decay(park, dt)
    kern = first_order_kernel(T, 2, gain[0], decay[0])
    assert np.allclose(moved[:, 0], kern[:, s] * x, rtol=1e-9, atol=1e-12)
    assert moved[s + 1, 0] > 0
    if model == "heat_balance":
        assert 0 < moved[-1, 0] < moved[s + 1, 0]  # relaxes after the call
    else:
        assert moved[-1, 0] == pytest.approx(0.0, abs=1e-12)  # follows the power


def test_dispatch_benefit_split_into_dispatch_and_upstream_factor():
    """S1/S2 (seed 002 §4): the CO2 change is the dispatch's plus the upstream factor's, and the
    upstream part is the reserve bought (reserves.csv) x its factor: 31 kg/MW-h for regulation
    and spinning, 0 for non-spinning (held off-line)."""
    from fdn_alu.studies.ancillary.dispatch import benefit_table, run_scenarios

    results = run_scenarios("ieee15", 3)
    table = benefit_table(results)
    ci = {"regulation_up": 31.0, "regulation_down": 31.0, "spinning": 31.0, "non_spinning": 0.0}
    for name, r in results.items():
        col = table[name]
        total = col["emissions total (t CO2)"]
        parts = col["CO2 of the dispatch (t CO2)"] + col["CO2 of the upstream factor (t CO2)"]
        assert parts == pytest.approx(total, rel=1e-12)
        bought = r.table("reserves")[r.table("reserves").provider == "purchase"]
        upstream = sum(bought[bought["product"] == p].mw.sum() * c for p, c in ci.items()) / 1e3
        assert col["CO2 of the upstream factor (t CO2)"] == pytest.approx(upstream, rel=1e-6)
        assert r.summary["checks"]["failed"] == []
    assert table.loc["CO2 of the upstream factor (t CO2)", "S2 - S1"] < 0


@pytest.mark.parametrize(("gain", "decay", "n"), [(2.0, 0.0, 1), (0.5, 1.0, 3), (1.5, 0.9, 2)])
def test_worst_case_recursion_is_the_maximum_over_starts(gain, decay, n):
    """The O(T n) rows of worst_case give exactly max_s K[t, s] x[s] (brute force over the
    (T, T) kernel) at their least value."""
    import cvxpy as cp

    from fdn_alu.model.deploy import first_order_kernel, worst_case

    T = 12
    x = np.random.default_rng(2).uniform(0, 1, (T, 2))
    z, cons = worst_case(cp.Constant(x), gain, decay, n, "z")
    cp.Problem(cp.Minimize(cp.sum(z)), cons).solve("CLARABEL")
    kern = first_order_kernel(T, n, gain, decay)
    brute = np.max(kern[:, :, None] * x[None, :, :], axis=1)
    assert np.allclose(z.value, brute, atol=1e-7)
