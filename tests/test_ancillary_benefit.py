"""Province-scale ancillary-service CO2 benefit (seed 002 §4): known answers, bounds, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import figure_checks as fc
from fdn_alu.cli import main as cli_main
from fdn_alu.errors import InputError
from fdn_alu.studies.ancillary.benefit import (
    PRODUCTS,
    compute,
    load_params,
    reserve_penalty_t_per_mwh,
)
from fdn_alu.studies.ancillary.output import plot

HAND_TOML = """
[region]
name = "hand"
base_year = 2020
first_year = 2020
last_year = 2020
load_twh = 8760.0
load_growth_per_yr = 0.0
load_factor = 0.5
load_shape = "annual_mean"

[products.non_spinning]
on_part_loaded_thermal_share = 1.0

[requirement]
regulation_share_of_peak = 0.01
contingency_share_of_peak = 0.05
largest_unit_mw = 1000.0
spinning_share_of_contingency = 0.5

[providers.aluminium]
energy_twh = 87.6
growth_per_yr = 0.0
flexible_share = 0.1
availability_share = 1.0
energy_penalty_share = 0.0

[providers.cement]
energy_twh = 876.0
growth_per_yr = 0.0
flexible_share = 0.6
availability_share = 1.0

[thermal]
reserve_loading_pu = 0.5
reference_loading_pu = 1.0

[thermal.fuels.coal]
share = 1.0
efficiency = 0.4
co2_t_per_mwh_th = 0.36
part_load_pu = [0.5, 1.0]
part_load_rel_efficiency = [0.9, 1.0]

[thermal.fuels.gas]
share = 0.0

[grid]
ci_t_per_mwh = 0.5
"""


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "hand.toml"
    path.write_text(HAND_TOML)
    return load_params(path)


def _one(result, tau, lam, year=None):
    t = result.table
    sel = t[(t["tau"] == tau) & (t["lambda"] == lam)]
    if year is not None:
        sel = sel[sel["year"] == year]
    assert len(sel) == 1
    return sel.iloc[0]


def test_hand_computed_case(hand):
    """One year, tau = lambda = 1, round numbers.

    Load 8760 TWh -> mean 1,000,000 MW; load factor 0.5 -> peak 2,000,000 MW.
    Requirement: regulation 1 % -> 20,000 MW; contingency max(5 % -> 100,000, 1,000) = 100,000 MW,
    half spinning (50,000) and half non-spinning (50,000).
    Aluminium 87.6 TWh -> 10,000 MW mean, 10 % band -> 1,000 MW of regulation (< 20,000).
    Cement 876 TWh -> 100,000 MW mean, mills 60 % -> 60,000 MW, capped by the non-spinning
    requirement at 50,000 MW.
    Penalty: x_r = 0.5 commits R/(1-0.5) = 2R MW producing R MW at relative efficiency 0.9
    instead of 1.0: extra heat R*(1/0.9 - 1)/0.4 = 0.2778 R MWh_th per hour, x 0.36 t/MWh_th
    = 0.1 t CO2 per MW of reserve per hour.
    CO2 saved = (1,000 + 50,000) MW x 8760 h x 0.1 = 44,676,000 t/yr; S1 reserve CO2 =
    (20,000 + 50,000 + 50,000) x 8760 x 0.1 = 105,120,000 t/yr.
    At lambda = 0.5: cement capped at 25,000 MW -> (1,000 + 25,000) x 876 = 22,776,000 t/yr.
    """
    assert float(reserve_penalty_t_per_mwh(hand)) == pytest.approx(0.1, rel=1e-12)
    res = compute(hand, tau=[1.0], lam=[0.5, 1.0])
    r = _one(res, 1.0, 1.0)
    assert r["peak_load_mw"] == pytest.approx(2e6)
    assert r["req_regulation_mw"] == pytest.approx(20_000)
    assert r["req_spinning_mw"] == pytest.approx(50_000)
    assert r["req_non_spinning_mw"] == pytest.approx(50_000)
    assert r["carried_aluminium_mw"] == pytest.approx(1_000)
    assert r["carried_cement_mw"] == pytest.approx(50_000)
    assert r["displaced_thermal_reserve_mw"] == pytest.approx(51_000)
    assert r["co2_saved_t_per_yr"] == pytest.approx(44_676_000, rel=1e-12)
    assert r["co2_reserve_s1_t_per_yr"] == pytest.approx(105_120_000, rel=1e-12)
    assert _one(res, 1.0, 0.5)["co2_saved_t_per_yr"] == pytest.approx(22_776_000, rel=1e-12)


def test_typical_days_and_scope(hand, tmp_path):
    """The hand case on seed 002's four typical days: each day's requirement from its peak hour,
    the bundled national hourly shape scaled to 1,000,000 MW mean (peak hours 1.0146, 1.3471,
    1.1060, 1.2090 x mean, from the sum of the 31 provinces); the year is the mean of the days.
    Yunnan: its share of the hourly data's energy, aluminium its 2023 output share."""
    import pandas as pd

    from fdn_alu.studies.ancillary.region import TYPICAL_DAYS_CSV

    table = pd.read_csv(TYPICAL_DAYS_CSV, comment="#", dtype={"day": str}).set_index("day")
    prov = table.columns[1:]
    mean = table.loc["year_mean", prov].astype(float).sum()
    days = table.loc[["04-18", "07-26", "09-12", "12-19"], prov].astype(float).sum(axis=1)
    factors = days.groupby(level=0).max().to_numpy() / mean
    assert factors == pytest.approx([1.0146, 1.3471, 1.1060, 1.2090], abs=1e-4)
    path = tmp_path / "days.toml"
    path.write_text(HAND_TOML.replace('load_shape = "annual_mean"', 'load_shape = "typical_days"'))
    r = _one(compute(load_params(path), tau=[1.0], lam=[1.0]), 1.0, 1.0)
    assert r["peak_load_mw"] == pytest.approx(1e6 * factors.mean(), rel=1e-12)
    assert r["req_regulation_mw"] == pytest.approx(0.01 * 1e6 * factors.mean(), rel=1e-12)
    # cement capped per day at half of 5 % of that day's peak, then averaged over the days
    assert r["carried_cement_mw"] == pytest.approx(0.025 * 1e6 * factors.mean(), rel=1e-12)
    yn = tmp_path / "yn.toml"
    yn.write_text(HAND_TOML.replace('name = "hand"', 'name = "hand"\nscope = "Yunnan"'))
    r = _one(compute(load_params(yn), tau=[1.0], lam=[1.0]), 1.0, 1.0)
    share = float(table.loc["year_mean", "Yunnan"]) / mean
    assert r["load_twh"] == pytest.approx(8760.0 * share, rel=1e-12)
    assert r["flexible_aluminium_mw"] == pytest.approx(1_000 * 0.102499, rel=1e-9)
    bad = tmp_path / "bad.toml"
    bad.write_text(HAND_TOML.replace('name = "hand"', 'name = "hand"\nscope = "Atlantis"'))
    with pytest.raises(InputError, match="'Atlantis' is not 'national' or a province"):
        load_params(bad)


def test_default_benefit_after_the_seed():
    """Default (national, typical days, non-spinning held off-line): only the aluminium
    regulation displaces part-loaded thermal reserve; the part-load alternative for
    non-spinning adds the cement mills'."""
    from fdn_alu.studies.ancillary.params import override

    base = load_params()
    r = _one(compute(base, tau=[1.0], lam=[1.0]), 1.0, 1.0, year=2020)
    assert r["displaced_thermal_reserve_mw"] == pytest.approx(r["carried_aluminium_mw"])
    assert r["co2_saved_t_per_yr"] / 1e6 == pytest.approx(1.465, abs=1e-3)
    alt = override(base, {"products.non_spinning.on_part_loaded_thermal_share": 1.0}, "test")
    r = _one(compute(alt, tau=[1.0], lam=[1.0]), 1.0, 1.0, year=2020)
    assert r["co2_saved_t_per_yr"] / 1e6 == pytest.approx(5.634, abs=1e-3)
    assert base.raw["providers"]["aluminium"]["notice_h"] == 0.0  # as the dispatch's potlines


def test_energy_penalty_is_charged(tmp_path):
    """Aluminium charged 1 % extra electricity on its participating load: 1,000 MW / 0.1 =
    10,000 MW x 8760 h x 0.01 x 0.5 t/MWh = 438,000 t/yr off the hand case's 44,676,000."""
    path = tmp_path / "pen.toml"
    path.write_text(HAND_TOML.replace("energy_penalty_share = 0.0", "energy_penalty_share = 0.01"))
    r = _one(compute(load_params(path), tau=[1.0], lam=[1.0]), 1.0, 1.0)
    assert r["co2_energy_penalty_t_per_yr"] == pytest.approx(438_000, rel=1e-12)
    assert r["co2_saved_t_per_yr"] == pytest.approx(44_676_000 - 438_000, rel=1e-12)


def test_default_penalty_from_sourced_curves():
    """Default fleet: 95 % coal (eta 0.369, 0.34 t/MWh_th), 5 % CCGT (0.56, 0.20), x_r = 0.75,
    x_0 = 0.9. TransiEnt curves: coal eta_rel(0.75) = (0.980 + 0.990)/2 = 0.985, eta_rel(0.9) =
    0.996; CCGT 0.966 and 0.994. Coal: 3 x (1/0.985 - 1/0.996) / 0.369 x 0.34 = 0.030993;
    gas: 3 x (1/0.966 - 1/0.994) / 0.56 x 0.20 = 0.031244; mix 0.95 x 0.030993 + 0.05 x
    0.031244 = 0.031006 t per MW-h."""
    coal = 3 * (1 / 0.985 - 1 / 0.996) / 0.369 * 0.34
    gas = 3 * (1 / 0.966 - 1 / 0.994) / 0.56 * 0.20
    got = float(reserve_penalty_t_per_mwh(load_params()))
    assert got == pytest.approx(0.95 * coal + 0.05 * gas, rel=1e-12)
    assert got == pytest.approx(0.031006, abs=1e-6)


def test_monotone_in_tau_and_lambda():
    grid = np.linspace(0, 1, 11)
    t = compute(tau=grid, lam=grid).table
    for year, g in t.groupby("year"):
        m = g.pivot(index="tau", columns="lambda", values="co2_saved_t_per_yr").values
        assert np.all(np.diff(m, axis=0) >= -1e-6), year
        assert np.all(np.diff(m, axis=1) >= -1e-6), year
        assert m[-1, -1] > m[1, 1] > 0


def test_zero_when_tau_or_lambda_zero():
    t = compute(tau=[0.0, 0.5, 1.0], lam=[0.0, 0.5, 1.0]).table
    zero = t[(t["tau"] == 0) | (t["lambda"] == 0)]
    cols = [c for c in t.columns if c.startswith("carried_")]
    assert len(zero) == 5 * t["year"].nunique()  # 5 of the 3 x 3 (tau, lambda) pairs
    assert np.all(zero[cols].to_numpy() == 0)
    assert np.all(zero["co2_saved_t_per_yr"] == 0)


@pytest.mark.parametrize("multi", [False, True])
def test_carried_within_requirement_and_flexible_capacity(tmp_path, multi):
    """Never more than lambda x requirement per product, nor tau x flexible capacity per provider,
    also when providers compete for the same products (multi)."""
    params = load_params()
    if multi:
        path = tmp_path / "multi.toml"
        path.write_text(
            '[providers.aluminium]\nproducts = ["regulation", "spinning"]\nflexible_share = 0.5\n'
            '[providers.cement]\nproducts = ["spinning", "non_spinning"]\n'
            "[requirement]\nregulation_share_of_peak = 0.002\n"
        )
        params = load_params(path)
    grid = [0.0, 0.3, 0.7, 1.0]
    res = compute(params, tau=grid, lam=grid)
    t = res.table
    for k in PRODUCTS:
        assert np.all(t[f"carried_{k}_mw"] <= t["lambda"] * t[f"req_{k}_mw"] * (1 + 1e-12) + 1e-9)
        assert np.all(t[f"carried_{k}_mw"] <= t[f"req_{k}_mw"] + 1e-9)
    for p in params.providers:
        assert np.all(t[f"carried_{p}_mw"] <= t["tau"] * t[f"flexible_{p}_mw"] * (1 + 1e-12))
        assert np.all(t[f"carried_{p}_mw"] <= t[f"flexible_{p}_mw"] + 1e-9)
    # the long table adds up to the per-provider and per-product columns
    c = res.carried.groupby(["year", "tau", "lambda", "provider"])["carried_mw"].sum()
    for p in params.providers:
        wide = t.set_index(["year", "tau", "lambda"])[f"carried_{p}_mw"]
        np.testing.assert_allclose(c.xs(p, level="provider").reindex(wide.index), wide)
    if multi:  # competition really happened: some rows saturate a product
        full = t[(t["tau"] == 1) & (t["lambda"] == 1)]
        assert np.allclose(full["carried_regulation_mw"], full["req_regulation_mw"])


def test_unqualified_provider_is_refused(tmp_path):
    """Non-spinning product with 1 h maximum notice: cement (4 h notice) is refused."""
    path = tmp_path / "notice.toml"
    path.write_text("[products.non_spinning]\nmax_notice_h = 1.0\n")
    res = compute(load_params(path), tau=[1.0], lam=[1.0])
    assert np.all(res.table["carried_cement_mw"] == 0)
    assert np.all(res.table["carried_aluminium_mw"] > 0)
    assert any(
        "cement refused for non_spinning" in n and "notice 4 h > 1 h" in n
        for n in res.summary["refused"]
    )


def test_bad_toml_lists_every_problem(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        "[region]\nload_twh = 100.0\npeak_mw = 5.0\n"
        "[providers.aluminium]\nenergy_twh = -3.0\n"
        "[scan]\ntau = [0.5, 1.2]\n"
    )
    with pytest.raises(InputError) as exc:
        load_params(path)
    text = str(exc.value)
    assert len(exc.value.problems) == 3
    assert "region].peak_mw: unknown key" in text
    assert "providers.aluminium].energy_twh: -3.0 is negative" in text
    assert "scan].tau: 1.2 is out of range" in text


def test_bad_toml_cross_checks(tmp_path):
    path = tmp_path / "bad2.toml"
    path.write_text(
        "[region]\nfirst_year = 2020\nlast_year = 2015\n"
        "[thermal]\nreserve_loading_pu = 0.3\n"
        "[thermal.fuels.coal]\nshare = 0.99\n"
        "[thermal.fuels.oil]\nshare = 0.1\n"
    )
    with pytest.raises(InputError) as exc:
        load_params(path)
    text = str(exc.value)
    # new fuel 'oil' misses 4 keys; the cross-field problems are reported once these are fixed
    assert text.count("thermal.fuels.oil].") == 4
    path.write_text(
        "[region]\nfirst_year = 2020\nlast_year = 2015\n"
        "[thermal]\nreserve_loading_pu = 0.3\n"
        "[thermal.fuels.coal]\nshare = 0.99\n"
    )
    with pytest.raises(InputError) as exc:
        load_params(path)
    text = str(exc.value)
    assert "first_year 2020 > last_year 2015" in text
    assert "shares sum to 1.04" in text
    assert "no extrapolation" in text


def test_user_values_are_reported_as_user_sources(tmp_path):
    path = tmp_path / "u.toml"
    path.write_text('[region]\nload_growth_per_yr = 0.03\n[sources]\n"region.load_factor" = "x"\n')
    res = compute(load_params(path), tau=[1.0], lam=[1.0])
    a = res.assumptions.set_index("parameter")
    assert a.loc["region.load_growth_per_yr", "source"].startswith("user file")
    assert a.loc["region.load_factor", "source"] == "x"
    assert "NEA" in a.loc["region.load_twh", "source"]
    assert a.loc["region.load_twh", "unit"] == "TWh/yr"
    assert (a["source"] != "-").all()


def test_cli_writes_result_folder(tmp_path, capsys):
    out = tmp_path / "anc"
    assert (
        cli_main(["ancillary-benefit", "--out", str(out), "--tau", "0,1", "--lambda", "0,1"]) == 0
    )
    for f in ("table.csv", "carried.csv", "assumptions.csv", "summary.json", "co2_saved.png"):
        assert (out / f).is_file(), f
    s = json.loads((out / "summary.json").read_text())
    assert s["fdn_alu_result"] == "ancillary-benefit"
    assert s["assumption_based"] is True
    assert s["last_year"]["co2_saved_t_per_yr"] > s["first_year"]["co2_saved_t_per_yr"] > 0
    assert "CO2 saved" in capsys.readouterr().out
    # an earlier result may be replaced; a foreign folder is refused before any work
    assert cli_main(["ancillary-benefit", "--out", str(out), "--tau", "1", "--lambda", "1"]) == 0
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    assert cli_main(["ancillary-benefit", "--out", str(foreign)]) == 2
    assert (foreign / "notes.txt").read_text() == "keep"
    bad = tmp_path / "bad.toml"
    bad.write_text("[scan]\ntau = [2.0]\n")
    assert cli_main(["ancillary-benefit", "--out", str(tmp_path / "x"), "--config", str(bad)]) == 2


def test_figure_shows_the_table(tmp_path):
    """The result figure, read back: (a) one curve per tau = lambda pair, (b) the tau x lambda
    map of the last year, (c) the part-load penalty with the default point; labels with units."""
    res = compute(tau=[0.0, 0.5, 1.0], lam=[0.0, 0.5, 1.0])
    fig = plot(res)
    fig.savefig(tmp_path / "co2_saved.png", dpi=150)
    t = res.table
    a, b, c = fc.panels(fig)
    fc.title(fig)
    for ax in (a, b, c):
        fc.title(fig, ax)
    fc.labels(a, x=False)  # x: calendar year
    curves = fc.data_lines(a)
    assert len(curves) == 2 and fc.legend_texts(a) == ["τ = 0.5, λ = 0.5", "τ = 1, λ = 1"]
    for line, v in zip(curves, (0.5, 1.0), strict=True):
        s = t[(t["tau"] == v) & (t["lambda"] == v)].sort_values("year")
        assert np.allclose(fc.finite(line.get_xdata(), len(s)), s["year"])
        assert np.allclose(line.get_ydata(), s["co2_saved_t_per_yr"] / 1e6, rtol=1e-12)
    (im,) = b.images
    last = t[t["year"] == t["year"].max()]
    want = last.pivot(index="lambda", columns="tau", values="co2_saved_t_per_yr") / 1e6
    assert np.allclose(fc.finite(np.asarray(im.get_array()).ravel(), 9), want.to_numpy().ravel())
    assert "Mt/yr" in fc.colorbar_label(fig)
    fc.labels(c)
    curve, point = fc.data_lines(c)
    assert np.all(fc.finite(curve.get_ydata(), 60) > 0)
    e_kg = res.summary["reserve_penalty_t_per_mwh"] * 1e3
    assert point.get_ydata() == pytest.approx([e_kg]) and e_kg == pytest.approx(31.006, abs=1e-3)
