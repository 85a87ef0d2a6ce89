"""Reserve products (issue 13, seed 002): hand-sized allocation with a known turbine cost, eq. (3)
and the 12 h limit from reserves.csv, a cement non-spinning event, qualification (eq. 1), the
AC check of the fully deployed state, carbon balance."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import figure_checks as fc
from fdn_alu import InfeasibleError, InputError, case_from_net, load_case, run
from fdn_alu.analysis.checks import ac_check_sweep
from fdn_alu.cli import main
from fdn_alu.components.cement.post import silo_levels, simulate_event
from fdn_alu.studies.ancillary.dispatch import TURBINE_PART_LOAD, plot_providers
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
    park["gas_turbine"].update(TURBINE_PART_LOAD)
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


def test_csv_regulation_energy_neutral_and_within_12_h(ieee15_reserves):
    t = pd.read_csv(ieee15_reserves / "reserves.csv")
    assert set(t.columns) >= {"period", "product", "provider", "mw", "price"}
    reg = t[t["product"].str.startswith("regulation") & (t.provider.str.startswith("potline"))]
    for _, g in reg.groupby("provider"):
        up = g[g["product"] == "regulation_up"]
        down = g[g["product"] == "regulation_down"]
        assert up.deployed_mwh.sum() == pytest.approx(down.deployed_mwh.sum(), abs=1e-6)  # (3)
        band = up.headroom_mw.max()
        assert band > 1e-3
        hours_up = up.deployed_mwh.sum() / band
        assert hours_up <= 12.0 + 1e-6
        assert (down.deployed_mwh.sum() / band) <= 12.0 + 1e-6
        assert (up.mw <= up.headroom_mw + 1e-7).all()


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
    from dataclasses import replace

    from fdn_alu.studies.ancillary.dispatch import with_reserves

    res = run(with_reserves(load_case("ieee15")), scenario=2)
    part = res.solution.part("reserves")
    for key in ("deployed_up_mw", "deployed_down_mw"):
        dep = replace(res.solution, p_net_mw=res.solution.p_net_mw + part[key])
        ac = ac_check_sweep(res.data, dep)
        assert ac.converged
        assert ac.vm_ac_pu.min() >= 0.9 - 1e-4 and ac.vm_ac_pu.max() <= 1.1 + 1e-4
    # up state: injections rise by exactly the up products held locally
    held = sum(part[f"{p}_mw"].sum(axis=1) for p in ("regulation_up", "spinning", "non_spinning"))
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
