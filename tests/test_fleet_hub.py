"""Region-by-region fleet solve (fleet/hub.py): real HiGHS solves against the whole MILP and
against answers derived by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fdn_alu.cli import main as cli_main
from fdn_alu.fleet import load_fleet, run_season
from fdn_alu.fleet.hub import fix_columns, solve_decomposed, split_regions
from fdn_alu.fleet.model import build_model
from fdn_alu.fleet.solve import solve_model

L_MW, E, DAYS, SB = 100.0, 10.0, 20, 1.0  # line MW, MWh/t, days, stand-by CNY/(MW h)


def _fleet(tmp_path, prices: dict, lines: int = 1, transfer: bool = True, extra: str = ""):
    """Regions of ``lines`` identical lines, each with utilisation 0.5, hourly prices given."""
    hours = DAYS * 24
    pd.DataFrame(
        {"hour": np.arange(hours), **{r: np.broadcast_to(p, hours) for r, p in prices.items()}}
    ).to_csv(tmp_path / "p.csv", index=False)
    regions = "".join(
        f"""
[[region]]
name = "{r}"
lines = {lines}
line_mw = {L_MW}
energy_mwh_per_t = {E}
utilisation = 0.5
"""
        for r in prices
    )
    (tmp_path / "f.toml").write_text(
        f"""
name = "hub-test"
[horizon]
days = {DAYS}
[operation]
min_down_days = 1
min_up_days = 1
modulation_penalty_frac = 0.0
{extra}
[costs]
restart_cny_per_mw = 0.0
standby_cny_per_mw_h = {SB}
carbon_price_cny_per_t = 0.0
[production]
metal_transfer = {str(transfer).lower()}
[prices]
csv = "p.csv"
{regions}"""
    )
    return load_fleet(tmp_path / "f.toml")


def _winter_prices(seed: int, regions: int) -> dict:
    """Flat prices per region with an expensive window of region-specific days."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(regions):
        p = np.full(DAYS * 24, 80.0 + 40.0 * rng.random())
        start = int(rng.integers(0, DAYS - 6))
        p[start * 24 : (start + 6) * 24] *= 2.0 + rng.random()
        p += np.tile(np.r_[np.zeros(16), np.full(8, 30.0)], DAYS)  # evening peak
        out[f"r{i}"] = p
    return out


def test_cheapest_region_meets_the_national_target(tmp_path):
    """Two one-line regions at 100 and 200 CNY/MWh, national target = one line's rated output.

    By hand: the energy T e all comes from region A at 100 CNY/MWh; A's line runs on the fewest
    days that can make it at the band's top, ceil(D / 1.3) = 16, and pays stand-by on those only;
    B's stays off. The Lagrangian turns A on at the metal value e (100 + SB / 1.3), a dual bound
    24 D L (100 + SB / 1.3) just below the optimum (a duality gap: the days are integers)."""
    fd = _fleet(tmp_path, {"A": 100.0, "B": 200.0})
    sr = run_season(fd, ("full",)).strategies["full"]
    rep = sr.report
    assert rep.method.startswith("hub")
    days_on = int(np.ceil(DAYS / 1.3))
    want = 24 * DAYS * L_MW * 100.0 + 24 * days_on * L_MW * SB
    assert sr.costs_cny["total"] == pytest.approx(want, rel=1e-9)
    assert sr.nu[:, 0].sum() == days_on and sr.nu[:, 1].sum() == 0
    lam = rep.metal_value_cny_per_t
    assert lam == pytest.approx(E * (100.0 + SB / 1.3), rel=1e-3)  # the target binds: > 0
    dual_by_hand = 24 * DAYS * L_MW * (100.0 + SB / 1.3)
    assert rep.bound <= dual_by_hand * (1 + 1e-9) < want
    assert rep.bound >= dual_by_hand * (1 - 1e-4)
    assert rep.mip_gap == pytest.approx((want - rep.bound) / want)
    assert sr.production_t_day.sum() == pytest.approx(fd.target_t.sum(), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decomposed_equals_the_whole_milp(tmp_path, seed):
    """Three regions of two lines, seasonal windows, restarts: the region-by-region answer is
    the whole MILP's optimum within the gap, and its dual bound is below that optimum."""
    fd = _fleet(tmp_path, _winter_prices(seed, 3), lines=2)
    fd = fd.with_settings(
        operation={"min_down_days": 3, "min_up_days": 2}, costs={"restart_cny_per_mw": 500.0}
    )
    opts = {**fd.settings["solver"], "mip_rel_gap": 1e-3}
    model = build_model(fd, "full")
    exact = solve_model(model, {**opts, "mip_rel_gap": 1e-9})
    rep = solve_decomposed(model, len(fd.regions), opts)
    assert rep is not None and rep.metal_value_cny_per_t > 0
    assert rep.bound <= exact.objective * (1 + 1e-9)
    assert rep.bound <= rep.objective
    assert rep.mip_gap <= 1e-3
    assert exact.objective * (1 - 1e-9) <= rep.objective <= exact.objective * (1 + 1e-3)
    # the solution is feasible in the whole model
    ax = model.A @ rep.x
    tol = 1e-6 * np.maximum(1.0, np.abs(ax))
    assert np.all(ax >= model.row_lo - tol) and np.all(ax <= model.row_hi + tol)


def test_independent_regions_without_transfer(tmp_path):
    """Without metal transfer nothing couples the regions: no coupling row, each region apart,
    the sum of their optima is the whole model's."""
    fd = _fleet(tmp_path, _winter_prices(8, 2), lines=2, transfer=False)
    model = build_model(fd, "full")
    assert len(split_regions(model, 2).coupling) == 0
    opts = {**fd.settings["solver"], "mip_rel_gap": 1e-4}
    rep = solve_decomposed(model, 2, opts)
    exact = solve_model(model, opts)
    assert rep.method == "regions" and rep.metal_value_cny_per_t is None
    assert rep.objective == pytest.approx(exact.objective, rel=2e-4)
    assert rep.bound <= exact.objective * (1 + 1e-9) and exact.bound <= rep.objective * (1 + 1e-9)


def test_split_finds_the_national_row_only(tmp_path):
    fd = _fleet(tmp_path, _winter_prices(4, 3))
    model = build_model(fd, "full")
    sp = split_regions(model, 3)
    start, count = model.rows["production"]
    assert sp.coupling.tolist() == [start] and count == 1
    assert set(np.unique(sp.col_region)) == {0, 1, 2}


def test_fixed_columns_keep_the_objective(tmp_path):
    """Fixing every integer column at an optimum and re-solving the LP gives the same cost."""
    fd = _fleet(tmp_path, _winter_prices(5, 2))
    model = build_model(fd, "full")
    opts = {**fd.settings["solver"], "mip_rel_gap": 1e-9}
    exact = solve_model(model, opts)
    reduced = fix_columns(model, model.integer, exact.x)
    assert not reduced.integer.any()
    lp = solve_model(reduced, opts)
    assert lp.objective == pytest.approx(exact.objective, rel=1e-8)


def test_decompose_false_solves_the_whole_model(tmp_path):
    fd = _fleet(tmp_path, {"A": 100.0, "B": 200.0}, extra="")
    whole = run_season(fd.with_settings(solver={"decompose": False}), ("full",))
    rep = whole.strategies["full"].report
    assert rep.method == "monolithic" and rep.metal_value_cny_per_t is None
    want = 24 * DAYS * L_MW * 100.0 + 24 * int(np.ceil(DAYS / 1.3)) * L_MW * SB
    assert rep.objective == pytest.approx(want, rel=1e-6)


def test_bad_decompose_value_exits_2(tmp_path, capsys):
    _fleet(tmp_path, {"A": 100.0, "B": 200.0})
    text = (
        (tmp_path / "f.toml")
        .read_text()
        .replace("[prices]", '[solver]\ndecompose = "yes"\n[prices]')
    )
    (tmp_path / "f.toml").write_text(text)
    code = cli_main(["season", "--fleet", str(tmp_path / "f.toml"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "decompose" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_weekly_commitment_is_a_restriction(tmp_path):
    """commitment_days = 5: lines start and stop only on days 0, 5, 10, 15; the cost is never
    below the daily model's (a restriction, an upper bound)."""
    prices = _winter_prices(6, 2)
    daily = run_season(_fleet(tmp_path, prices, lines=2), ("full",)).strategies["full"]
    fd = _fleet(tmp_path, prices, lines=2, extra="commitment_days = 5")
    weekly = run_season(fd, ("full",)).strategies["full"]
    changed = np.flatnonzero((weekly.chi + weekly.zeta).sum(axis=1))
    assert np.all(changed % 5 == 0)
    assert np.all(weekly.nu.reshape(4, 5, 2) == weekly.nu.reshape(4, 5, 2)[:, :1])
    assert weekly.costs_cny["total"] >= daily.report.bound - 1e-6
    assert weekly.production_t_day.sum() == pytest.approx(fd.target_t.sum(), rel=1e-6)


def test_summary_reports_the_metal_value_and_dual_bound(tmp_path, capsys):
    """`fdn-alu season` writes the method, the metal value and the certified bound per strategy."""
    import json

    _fleet(tmp_path, {"A": 100.0, "B": 200.0})
    out = tmp_path / "o"
    code = cli_main(
        ["season", "--fleet", str(tmp_path / "f.toml"), "--out", str(out), "--no-figures"]
    )
    assert code == 0
    full = json.loads((out / "summary.json").read_text())["strategies"]["full"]
    assert full["method"].startswith("hub")
    assert full["metal_value_cny_per_t"] == pytest.approx(E * (100.0 + SB / 1.3), rel=1e-3)
    assert full["dual_bound_cny"] <= full["costs_cny"]["total"]
    assert full["mip_gap"] == pytest.approx(
        (full["objective_cny"] - full["dual_bound_cny"]) / full["objective_cny"]
    )
