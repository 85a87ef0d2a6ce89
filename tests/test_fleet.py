"""Potline fleet over a year (issue 12): real HiGHS solves with hand-derived answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import figure_checks as fc
from fdn_alu.errors import InputError
from fdn_alu.fleet import day_plan, example_toml, load_fleet, run_season, write_season
from fdn_alu.fleet.model import STRATEGIES
from fdn_alu.fleet.plots import fig_inventory, fig_lines_by_month, fig_monthly_energy_price
from fdn_alu.fleet.schema import STRATEGY_LABELS

# One line of 100 MW, 10 MWh/t, 30 days; prices 100 CNY/MWh except days 10-19 at 300.
L_MW, E, DAYS, C0, C1 = 100.0, 10.0, 30, 100.0, 300.0
WIN = np.arange(10, 20)
SB = 1.0  # stand-by, CNY/(MW h)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _one_line(tmp_path, restart_cny_per_mw, min_down=5, utilisation=0.8):
    price = np.full(DAYS * 24, C0)
    price[WIN[0] * 24 : (WIN[-1] + 1) * 24] = C1
    pd.DataFrame({"hour": np.arange(DAYS * 24), "plant": price}).to_csv(
        tmp_path / "p.csv", index=False
    )
    (tmp_path / "f.toml").write_text(
        f"""
name = "one-line"
[horizon]
days = {DAYS}
[operation]
min_down_days = {min_down}
min_up_days = 1
modulation_penalty_frac = 0.0
[costs]
restart_cny_per_mw = {restart_cny_per_mw}
standby_cny_per_mw_h = {SB}
carbon_price_cny_per_t = 0.0
[prices]
csv = "p.csv"
[solver]
mip_rel_gap = 1e-9
[[region]]
name = "plant"
lines = 1
line_mw = {L_MW}
energy_mwh_per_t = {E}
utilisation = {utilisation}
"""
    )
    return load_fleet(tmp_path / "f.toml")


# Hand computation (penalty 0, band 0.7-1.3): energy needed 0.8*720*100 = 57,600 MWh.
# Modulation only runs the window at 0.7: 16,800 MWh at C1, 40,800 MWh at C0, and pays stand-by
# on its online line all 720 h (stand-by per online MW h, as Lyu & Jenkins and PyPSA).
# A stopped line stays off one day longer than the window (19 days at 1.3 make 59,280 >= 57,600
# MWh, 18 would not): the extra day moves energy between days at C0 and saves its stand-by.
# Stopping saves 16,800*(C1 - C0) and 264 h of stand-by, and pays the restart.
COST_MOD = 16_800 * C1 + 40_800 * C0 + 720 * SB * L_MW
THRESHOLD_CNY = 16_800 * (C1 - C0) + 264 * SB * L_MW  # restart cost per start at break-even


def test_one_stop_covers_the_expensive_window(tmp_path):
    fd = _one_line(tmp_path, 0.9 * THRESHOLD_CNY / L_MW)
    res = run_season(fd, ("modulation", "full"))
    write_season(res, tmp_path / "out", figures=False)
    com = pd.read_csv(tmp_path / "out" / "commitment.csv")
    full = com[com["strategy"] == "full"].sort_values("day")
    off = full.loc[full["lines_online"] == 0, "day"].to_numpy()
    assert set(WIN) <= set(off) and len(off) == 11 and np.ptp(off) == 10  # one run of 11 days
    assert full["stops"].sum() == 1 and full["starts"].sum() == 1
    s = json.loads((tmp_path / "out" / "summary.json").read_text())["strategies"]
    assert s["modulation"]["costs_cny"]["total"] == pytest.approx(COST_MOD, rel=1e-9)
    expected = 57_600 * C0 + 0.9 * THRESHOLD_CNY + 456 * SB * L_MW
    assert s["full"]["costs_cny"]["total"] == pytest.approx(expected, rel=1e-9)


def test_no_stop_when_restart_exceeds_the_saving(tmp_path, capfd):
    fd = _one_line(tmp_path, 1.05 * THRESHOLD_CNY / L_MW)
    res = run_season(fd, ("modulation", "full"))
    assert "HiGHS" not in capfd.readouterr().out  # no banner from the C++ library on stdout
    full = res.strategies["full"]
    assert full.nu.min() == 1 and full.chi.sum() == 0
    assert full.costs_cny["total"] == pytest.approx(COST_MOD, rel=1e-9)


def _off_runs(lines_online: np.ndarray) -> list[int]:
    """Lengths of cyclic runs of days with the (single) line off."""
    on = lines_online > 0
    if on.all() or not on.any():
        return []
    k = int(np.argmax(on))  # rotate so that the series starts online
    x = np.roll(~on, -k).astype(int)
    edges = np.diff(np.concatenate([[0], x, [0]]))
    return (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).tolist()


def test_min_downtime_longer_than_window_is_respected(tmp_path):
    # 15-day minimum downtime, 10-day window: a stop must last >= 15 days (utilisation 0.6
    # leaves room: 15 days on at 1.3 make 19.5 line-days >= 18).
    fd = _one_line(tmp_path, 0.0, min_down=15, utilisation=0.6)
    res = run_season(fd, ("full",))
    write_season(res, tmp_path / "out", figures=False)
    com = pd.read_csv(tmp_path / "out" / "commitment.csv").sort_values("day")
    runs = _off_runs(com["lines_online"].to_numpy())
    assert runs, "the expensive window should still be avoided"
    assert min(runs) >= 15
    off = set(com.loc[com["lines_online"] == 0, "day"])
    assert set(WIN) <= off


@pytest.fixture(scope="module")
def ieee15_year():
    fd = load_fleet("ieee15-park")
    return run_season(fd)


def _check_ordering_and_production(res):
    tot = {n: sr.costs_cny["total"] for n, sr in res.strategies.items()}
    for n in STRATEGIES:
        assert tot["full"] <= tot[n] * (1 + 1e-9), (n, tot)
    assert tot["modulation"] <= tot["rigid"] * (1 + 1e-9)
    fd = res.data
    for sr in res.strategies.values():
        made = sr.production_t_day.sum()
        assert made >= fd.target_t.sum() * (1 - 1e-6)
    assert res.summary()["checks_failed"] == []


def test_strategy_ordering_ieee15_year(ieee15_year, tmp_path):
    _check_ordering_and_production(ieee15_year)
    # the winter premium makes stopping one of the two lines pay on the synthetic year
    full = ieee15_year.strategies["full"]
    assert full.chi.sum() >= 1
    assert full.nu[ieee15_year.data.winter].mean() < full.nu[~ieee15_year.data.winter].mean()
    # the minimum downtime, read back from commitment.csv
    write_season(ieee15_year, tmp_path / "o", figures=False)
    com = pd.read_csv(tmp_path / "o" / "commitment.csv")
    for name, g in com.groupby("strategy"):
        nu = g.sort_values("day")["lines_online"].to_numpy()
        stops = g.sort_values("day")["stops"].to_numpy()
        D = len(nu)
        win = np.array([stops[(d - np.arange(90)) % D].sum() for d in range(D)])
        assert np.all(2 - nu >= win), name


def test_day_plan_matches_commitment(ieee15_year):
    plan = day_plan(ieee15_year, 20)
    sr = ieee15_year.strategies["full"]
    assert plan["lines_online"] == {"park": int(sr.nu[20, 0])}
    assert plan["production_t"]["park"] == pytest.approx(sr.production_t_day[20, 0])
    # the plan's production over the year adds up to the target
    total = sum(day_plan(ieee15_year, d)["production_t"]["park"] for d in range(365))
    assert total == pytest.approx(ieee15_year.data.target_t[0], rel=1e-6)


@pytest.mark.parametrize(
    "fleet",
    ["ieee85-park", pytest.param("china", marks=pytest.mark.slow)],
)
def test_strategy_ordering_short_horizon(fleet):
    fd = load_fleet(fleet, horizon={"days": 56}, operation={"min_down_days": 14, "min_up_days": 7})
    _check_ordering_and_production(run_season(fd))


def test_example_toml_loads(tmp_path):
    p = tmp_path / "ex.toml"
    p.write_text(example_toml())
    fd = load_fleet(p)
    assert len(fd.regions) == 2


def test_bad_inputs_listed_at_once(tmp_path):
    (tmp_path / "bad.toml").write_text(
        """
[operation]
p_min_frac = 1.2
min_down_days = "long"
[costs]
restrt_cny_per_mw = 1
[[region]]
name = "a"
lines = 1
line_mw = 10
utilisation = 0.5
"""
    )
    with pytest.raises(InputError) as e:
        load_fleet(tmp_path / "bad.toml")
    msg = str(e.value)
    assert "p_min_frac" in msg and "min_down_days" in msg and "restrt_cny_per_mw" in msg


def test_price_csv_problems(tmp_path):
    fd_toml = tmp_path / "f.toml"
    fd_toml.write_text(
        "[horizon]\ndays = 2\n[operation]\nmin_down_days = 1\nmin_up_days = 1\n"
        '[[region]]\nname = "a"\nlines = 1\nline_mw = 10\nutilisation = 0.5\n'
    )
    pd.DataFrame({"hour": np.arange(47), "b": 1.0}).to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(InputError) as e:
        load_fleet(fd_toml, prices=tmp_path / "p.csv")
    msg = str(e.value)
    assert "48" in msg and "'a'" in msg and "unknown column" in msg


def test_figures_show_the_season(ieee15_year, tmp_path):
    """The three season figures, read back from matplotlib: labels with units, one series per
    strategy (or region), legends, and the plotted values recomputed from the result arrays."""
    res, fd = ieee15_year, ieee15_year.data
    month = pd.date_range("2021-01-01", periods=fd.days, freq="D").month.to_numpy() - 1  # 0..11
    used = np.unique(month)
    labels = [STRATEGY_LABELS[n] for n in res.strategies]

    fig = fig_lines_by_month(res, "full")
    (ax,) = fig.axes
    fc.title(fig, ax)
    fc.labels(ax, x=False)  # x: month names
    assert [t.get_text() for t in ax.get_xticklabels()] == [MONTHS[k] for k in used]
    (line,) = fc.data_lines(ax)  # one region
    nu = res.strategies["full"].nu[:, 0]
    want = [nu[month == k].mean() for k in used]
    assert np.allclose(fc.finite(line.get_ydata(), len(used)), want)
    assert fc.legend_texts(ax) == [f"{fd.regions[0]} ({fd.lines[0]} lines)"]

    fig = fig_monthly_energy_price(res)
    ax, ax2 = fig.axes
    fc.title(fig, ax)
    fc.labels(ax, x=False)
    fc.labels(ax2, x=False)
    scale = {"TWh": 1e6, "GWh": 1e3, "MWh": 1.0}[ax.get_ylabel().split("(")[-1].rstrip(")")]
    hour_month = np.repeat(month, 24)
    for group, (name, sr) in zip(fc.bars(ax), res.strategies.items(), strict=True):
        want = [sr.p_mw[hour_month == k].sum() / scale for k in used]
        assert np.allclose(fc.finite([b.get_height() for b in group], len(used)), want)
        assert group.get_label() == STRATEGY_LABELS[name]
    (price,) = fc.data_lines(ax2)
    want = [fd.price[hour_month == k].mean() for k in used]
    assert np.allclose(fc.finite(price.get_ydata(), len(used)), want)
    assert fc.legend_texts(ax) == [*labels, "mean price (all regions)"]

    fig = fig_inventory(res)
    (ax,) = fig.axes
    fc.title(fig, ax)
    fc.labels(ax)
    unit = ax.get_ylabel().split("(")[-1].rstrip(")")
    scale = {"Mt": 1e6, "kt": 1e3, "t": 1.0}[unit]
    lines = fc.data_lines(ax)
    assert len(lines) == len(res.strategies)
    for line, sr in zip(lines, res.strategies.values(), strict=True):
        want = sr.inventory_t.sum(axis=1) / scale
        assert np.allclose(fc.finite(line.get_ydata(), fd.days), want)
    assert fc.legend_texts(ax) == labels
    for name, f in (("lines", fig_lines_by_month(res)), ("energy", fig_monthly_energy_price(res))):
        f.savefig(tmp_path / f"{name}.png", dpi=110)
    fig.savefig(tmp_path / "inventory.png", dpi=110)


def test_breakeven_map_matches_the_hand_line(tmp_path):
    """The parametric map (sweep engine, Eisner-Severance) gives saving(C) = max(0, T - C S) on
    the one-line fleet, at grid points it never solved too."""
    from fdn_alu.fleet import breakeven

    _one_line(tmp_path, 0.0)
    rc = np.array([0.0, 0.3, 0.6, 0.9, 1.2]) * THRESHOLD_CNY / L_MW
    lines = []
    df = breakeven(str(tmp_path / "f.toml"), rc, np.array([0.0]), progress=lines.append)
    want = np.maximum(THRESHOLD_CNY - rc * L_MW, 0.0)
    np.testing.assert_allclose(df["saving_cny"], want, rtol=1e-7, atol=1e-3)
    np.testing.assert_allclose(df["cost_modulation_cny"], COST_MOD, rtol=1e-9)
    assert df.attrs["meta"]["solves"] == 3  # modulation, C = 0, and where the two lines meet
    assert any("strategy=full" in line for line in lines)  # per-solve progress


def test_breakeven_premiums_between_searched_ones_are_certified(tmp_path):
    """The one-line fleet's 30 days all lie in the synthetic winter window, so a premium p
    scales every price by f = 1 + p: saving(C, f) = max(0, 16,800 (C1 - C0) f + 264 SB S - C S)
    by hand. Two premiums are searched (first and last); the three between are certified by the
    concave hull of the dual bounds, with no solve of their own, and match the hand values."""
    from fdn_alu.fleet import breakeven

    _one_line(tmp_path, 0.0)
    prem = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    rc = np.linspace(0.0, 120_000.0, 5)
    lines = []
    df = breakeven(str(tmp_path / "f.toml"), rc, prem, progress=lines.append)
    f = 1.0 + df["winter_premium"]
    want = np.maximum(16_800 * (C1 - C0) * f + 264 * SB * L_MW - df["restart_cny_per_mw"] * L_MW, 0)
    np.testing.assert_allclose(df["saving_cny"], want, rtol=1e-7, atol=1e-3)
    meta = df.attrs["meta"]
    assert meta["searched_premiums"] == [0.0, 2.0] and meta["certified"]
    assert meta["solves"] == 5 + 2 * 2  # modulation per premium; C = 0 and the meeting point
    assert sum("strategy=" in line for line in lines) == meta["solves"]  # one line per solve
    assert (df["lower_bound_full_cny"] <= df["cost_full_cny"] * (1 + 1e-9)).all()


def test_potline_band_from_the_park_settings():
    """Band and output chords of the ieee15 potline by hand: P(I) = cells (R I^2 + E I) with
    R = 35.8 uOhm, E = 2.16 V, I_N = 50 kA; current 0.7-1.1 I_N, exchangers 30 %."""
    from fdn_alu import load_case
    from fdn_alu.fleet.potline import potline_limits

    park = load_case("ieee15").settings["park"]
    pl = park["potlines"][0]

    def p_kw(i_ka):
        return 35.8e-3 * i_ka**2 + 2.16 * i_ka  # per cell

    hx = potline_limits({**park, "thermal_model": "heat_balance", "heat_exchanger_frac": 0.3}, pl)
    assert hx.line_mw == pytest.approx(2 * p_kw(50) / 1000)
    assert hx.limits["current"] == pytest.approx([p_kw(35) / p_kw(50), p_kw(55) / p_kw(50)])
    assert (hx.p_min_pu, hx.p_max_pu) == pytest.approx((0.7, p_kw(55) / p_kw(50)))
    # paper window at 1 h: +-c m 10 K / (3600 s P_N), c m = 2 x 3.66 MJ/K
    paper = potline_limits(park, pl)
    half = 2 * 3.66 * 10 / (3600 * hx.line_mw)
    assert (paper.p_min_pu, paper.p_max_pu) == pytest.approx((1 - half, 1 + half))
    # chords of I(P): metal per MW below rated falls less than power (I(P) concave through 0)
    i_lo = np.roots([35.8e-3, 2.16, -0.7 * p_kw(50)]).max()  # kA at 0.7 P_N
    assert hx.slope_dn == pytest.approx((1 - i_lo / 50) / 0.3)
    assert hx.slope_up < hx.slope_dn < 1.0
    assert hx.day_min_pu < 1.0 < hx.day_max_pu


def test_plan_days_inside_the_dispatch_reach_and_the_check_can_fail(ieee15_year):
    from dataclasses import replace

    from fdn_alu.fleet.results import check_strategy

    res, fd = ieee15_year, ieee15_year.data
    sr = res.strategies["full"]
    per_line = sr.production_t_day[:, 0] / sr.nu[:, 0] / (24 * fd.line_mw[0] / fd.e_mwh_per_t[0])
    assert per_line.min() >= fd.day_min_pu[0] * (1 - 1e-9)
    assert per_line.max() <= fd.day_max_pu[0] * (1 + 1e-9)
    com = res.commitment()
    tight = replace(fd, day_min_pu=np.array([per_line.max() + 0.01]))
    failed = check_strategy(tight, sr, com[com.strategy == "full"])["failed"]
    assert any("reach" in f for f in failed)


def test_china_provinces_differ():
    """Each province its own grid intensity (MEE 2022) and TOU prices from its own demand."""
    from fdn_alu.fleet.prices import TOU_RATIO, demand_exponent

    fd = load_fleet("china", horizon={"days": 28}, operation={"min_down_days": 7, "min_up_days": 7})
    ci = dict(zip(fd.regions, fd.ci[0], strict=True))
    assert ci["Yunnan"] == 107.3 and ci["Sichuan"] == 140.4 and ci["Shanxi"] == 709.6
    # blocks are exact: every hour's price is its block's, per region
    np.testing.assert_array_equal(np.take_along_axis(fd.block_price, fd.hour_block, 0), fd.price)
    assert len(fd.block_h) == 3 * 28 and set(fd.block_h) == {11.0, 9.0, 4.0}
    # within a day the levels keep the tariff's ratios
    day = fd.price[:24, fd.regions.index("Yunnan")]
    assert sorted(set(np.round(day / day.max() * TOU_RATIO[2], 9))) == pytest.approx(
        sorted(TOU_RATIO)
    )
    # the exponent gives the typical province (geometric mean of the log spreads) a 4:1 price
    # spread between its demand quantiles 95 and 5
    norm = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 5.0]])
    b = demand_exponent(norm, 4.0)
    log_spread = np.log(np.quantile(norm, 0.95, axis=0) / np.quantile(norm, 0.05, axis=0))
    assert np.exp(b * np.exp(np.mean(np.log(log_spread)))) == pytest.approx(4.0)
    # over the year every province has the mean 523.8, but their seasons differ: January
    # means from 350 (Guangdong) to 764 (Guizhou) CNY/MWh
    year = load_fleet("china")
    np.testing.assert_allclose(year.price.mean(axis=0), 523.8)
    jan = year.price[: 31 * 24].mean(axis=0)
    assert np.ptp(jan) / jan.mean() > 0.5
