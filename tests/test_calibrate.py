"""Case variants (``[case] base``) and the fitted ``ieee15-paper`` / ``ieee85-paper`` cases:
they load, say they are fitted, and reproduce their stored calibration; the search picks the
better of two points."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from fdn_alu import load_case, run
from fdn_alu.cases import DATA_DIR, list_cases
from fdn_alu.cli.console import format_summary
from fdn_alu.errors import InputError
from fdn_alu.paper.calibration import (
    PARAMETERS,
    TARGETS,
    Parameter,
    Target,
    calibrate,
    changes_pct,
    misfit,
    residuals,
    settings_for,
)

REF = Path(__file__).parent / "reference"
# % changes come from costs that move by up to ~2e-5 relative between equally exact solution
# paths (tests/reference/*/expected.json): 1e-3 relative, 5e-3 percentage points at least
REL, ABS_PCT = 1e-3, 5e-3


def _stored(case: str) -> dict:
    return json.loads((REF / f"{case}-paper_calibration.json").read_text())


@pytest.mark.parametrize("base", ["ieee15", "ieee85"])
def test_fitted_variant_loads_says_fitted_and_changes_only_the_fitted_keys(base):
    rec = _stored(base)
    variant, original = load_case(f"{base}-paper"), load_case(base)
    assert variant.name == f"{base}-paper"
    assert variant.settings["case"]["base"] == base
    assert variant.notes and "FITTED" in variant.notes[0]
    assert "FITTED" in dict(list_cases())[f"{base}-paper"]
    assert "FITTED VARIANT" in (DATA_DIR / f"{base}-paper.toml").read_text().splitlines()[0]
    changed = {}
    for path, value in rec["settings"].items():
        *tables, key = path.split(".")
        a, b = variant.settings, original.settings
        for t in tables:
            a, b = a[t], b[t]
        assert a[key] == pytest.approx(value, rel=1e-12)
        changed[path] = (a.pop(key), b.pop(key))
    # every other setting (PV list, potlines, network, ESOP converters, ...) is the base's
    skip = {"name", "description", "base", "notes"}
    assert {k: v for k, v in variant.settings["case"].items() if k not in skip} == {
        k: v for k, v in original.settings["case"].items() if k not in skip
    }
    for section in original.settings:
        if section != "case":
            assert variant.settings[section] == original.settings[section], section
    assert any(new != old for new, old in changed.values())


def _check_reproduces(base: str) -> None:
    rec = _stored(base)
    results = {s: run(f"{base}-paper", scenario=s, periods=rec["periods"]) for s in (1, 2, 3)}
    for r in results.values():
        # "warning": Clarabel reported reduced accuracy on one ieee85-paper run; every check
        # holds (the sweep that fitted the case took the same run as ok)
        assert r.summary["status"] in ("ok", "warning")
        assert r.summary["checks"]["failed"] == []
        assert any("FITTED" in n for n in r.summary["notes"])
    assert "note: FITTED" in format_summary(results[3].summary)
    ch = changes_pct({s: r.summary["costs"] for s, r in results.items()})
    stored = {k: v for k, v in rec["changes_pct"].items() if v is not None}
    assert {k: ch[k] for k in stored} == pytest.approx(stored, rel=REL, abs=ABS_PCT)
    res = residuals(ch, TARGETS[base])
    for row in rec["targets"]:
        assert res[row["quantity"]] == pytest.approx(row["residual"], rel=1e-2, abs=1e-3)
    assert misfit(ch, TARGETS[base]) == pytest.approx(rec["misfit"], rel=1e-2, abs=1e-3)
    assert rec["misfit"] < rec["default_misfit"]
    # the fitted ESOP battery cycles (the paper's Fig. 7) as much as the record says, and its
    # cost term is eq. (18)'s O&M at the fitted converter rating plus the wear per MWh
    # discharged, by hand: 1 % x 1000 CNY/kVA x 2 S / 365 d + 0.0195 CNY/kWh/d x E + c x E_dis
    esop, use = results[3].table("esop"), rec["esop_battery"]
    discharged = float(esop["discharge_mw"].sum())  # 1 h periods
    assert discharged == pytest.approx(use["discharged_mwh"], rel=1e-3, abs=1e-3)
    assert discharged > 0.1 and use["discharging_h"]
    es = load_case(f"{base}-paper").settings["esop"]
    om = 0.01 * 1000.0 * (es["s_i_mva"] + es["s_j_mva"]) * 1000.0 / 365.0
    om += 0.0195 * es["battery"]["e_max_mwh"] * 1000.0
    wear = es["battery"]["degradation_cost_per_mwh"] * discharged
    assert results[3].summary["costs"]["esop"] == pytest.approx(om + wear, rel=1e-6)


def test_ieee15_paper_reproduces_its_stored_residuals():
    _check_reproduces("ieee15")


@pytest.mark.slow
def test_ieee85_paper_reproduces_its_stored_residuals():
    _check_reproduces("ieee85")


def test_stored_parameters_lie_in_their_stated_ranges():
    for base in ("ieee15", "ieee85"):
        rec = _stored(base)
        params = {p.name: p for p in PARAMETERS[base]}
        for p in rec["parameters"]:
            grid = params[p["name"]].values
            assert min(grid) <= p["value"] <= max(grid)
            assert p["range_source"]
        values = {p["name"]: p["value"] for p in rec["parameters"]}
        assert settings_for(values, 3) == pytest.approx(rec["settings"])


def test_gas_cost_and_intensity_follow_price_and_efficiency():
    s = settings_for({"gas_price_cny_per_m3": 2.0, "gas_efficiency": 0.25, "gas_p_max_mw": 0.4}, 1)
    assert s["park.gas_turbine.cost_per_mwh"] == pytest.approx(2000.0 / (9.7 * 0.25))
    assert s["park.gas_turbine.ci_kg_per_mwh"] == pytest.approx(56.1 * 3.6 / 0.25)
    assert s["park.gas_turbine.ramp_mw_per_h"] == 0.2
    assert "esop.battery.p_max_mw" not in settings_for({"esop_battery_p_mw": 0.1}, 2)


def test_esop_parameters_set_both_converters_in_scenario_3_only():
    v = {"esop_s_mva": 0.3, "esop_battery_p_mw": 0.1, "esop_degradation_cny_per_mwh": 200.0}
    assert settings_for(v, 3) == {
        "esop.s_i_mva": 0.3,
        "esop.s_j_mva": 0.3,
        "esop.battery.p_max_mw": 0.1,
        "esop.battery.degradation_cost_per_mwh": 200.0,
    }
    assert settings_for(v, 1) == {} and settings_for(v, 2) == {}


def test_degradation_cost_prices_discharge_and_stops_arbitrage_above_the_spread():
    """ieee15 scenario 3 (pinned: no wear cost). The widest arbitrage margin per MWh discharged
    is 931.2 - 232.9 / 0.95**2 = 673.1 CNY and the narrowest used, valley to flat, 440.2: at
    300 CNY/MWh the schedule stays and the ESOP cost rises by exactly 300 x the MWh
    discharged; at 800 CNY/MWh (above 673 plus the carbon, 80 CNY/t x 0.68 t, and a few % of
    losses a discharge may save) no cycle pays, so the battery no longer arbitrages."""
    pinned = json.loads((REF / "ieee15_s3" / "expected.json").read_text())["costs"]
    case = load_case("ieee15")

    def with_wear(c: float):
        bat = {**case.settings["esop"]["battery"], "degradation_cost_per_mwh": c}
        esop = {**case.settings["esop"], "battery": bat}
        return run(case.with_settings(esop=esop), scenario=3, check_ac=False)

    mid, high = with_wear(300.0), with_wear(800.0)
    dis = float(mid.table("esop")["discharge_mw"].sum())
    assert dis > 1.0
    assert mid.summary["costs"]["esop"] == pytest.approx(pinned["esop"] + 300.0 * dis, rel=1e-6)
    for k in ("purchase", "loss", "gas_turbine"):
        assert mid.summary["costs"][k] == pytest.approx(pinned[k], rel=1e-4)
    assert float(high.table("esop")["discharge_mw"].sum()) < 0.02 * dis
    assert high.summary["costs"]["purchase"] > pinned["purchase"] * 1.01


def test_misfit_by_hand():
    targets = [
        Target("loss", 1, -20.0, ""),
        Target("carbon", 1, -0.5, ""),
        Target("total", 1, None, ""),
    ]
    ch = {"loss_3_vs_1": -10.0, "carbon_3_vs_1": 0.5, "total_3_vs_1": 0.05}
    # (-10 + 20)/20 = 0.5; (0.5 + 0.5)/max(0.5, 1) = 1.0; 0.05 / 0.1 = 0.5
    assert residuals(ch, targets) == pytest.approx(
        {"loss_3_vs_1": 0.5, "carbon_3_vs_1": 1.0, "total_3_vs_1": 0.5}
    )
    assert misfit(ch, targets) == pytest.approx(0.25 + 1.0 + 0.25)
    assert misfit({**ch, "total_3_vs_1": -3.0}, targets) == pytest.approx(1.25)
    assert residuals({}, targets[:1]) == {"loss_3_vs_1": 10.0}
    assert math.isnan(
        changes_pct(
            {
                1: {"purchase": 1, "gas_turbine": 0.0, "loss": 1, "carbon": 1, "total": 3},
                3: {"purchase": 1, "gas_turbine": 0.5, "loss": 1, "carbon": 1, "total": 3},
            }
        )["gas_turbine_3_vs_1"]
    )


def test_search_on_two_points_returns_the_better_one(tmp_path):
    """ESOP battery 0.5 MW (the base case) against 0 MW, scored on the paper's 15-bus purchase
    and loss changes: without the battery's arbitrage the purchase cost barely falls (paper:
    +4.75 %), so 0 MW must win, with the misfit a direct run gives."""
    param = Parameter("esop_battery_p_mw", "MW", (0.5, 0.0), (0.5, 0.0), 0.5, "", esop_only=True)
    targets = [Target("purchase", 1, 4.75, ""), Target("loss", 1, -20.1, "")]
    res = calibrate("ieee15", tmp_path / "runs", [param], targets, max_cycles=1)
    assert res.best.values == {"esop_battery_p_mw": 0.0}
    assert res.evaluations == 2
    assert res.default.misfit > res.best.misfit
    # independent: the pinned scenario-1/3 figures of ieee15 and one direct run without battery
    pinned = {
        s: json.loads((REF / f"ieee15_s{s}" / "expected.json").read_text())["costs"] for s in (1, 3)
    }
    case = load_case("ieee15")
    esop = {
        **case.settings["esop"],
        "battery": {**case.settings["esop"]["battery"], "p_max_mw": 0.0},
    }
    no_batt = run(case.with_settings(esop=esop), scenario=3, check_ac=False).summary["costs"]
    fit = {
        p: misfit(changes_pct({1: pinned[1], 3: c3}), targets)
        for p, c3 in ((0.5, pinned[3]), (0.0, no_batt))
    }
    assert fit[0.0] < fit[0.5]
    assert res.best.misfit == pytest.approx(fit[0.0], rel=1e-3)
    assert res.default.misfit == pytest.approx(fit[0.5], rel=1e-3)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_variant_file_inherits_overrides_and_replaces_arrays(tmp_path):
    base = DATA_DIR / "ieee15.toml"
    v = _write(
        tmp_path / "v.toml",
        f'[case]\nname = "v"\nbase = "{base.as_posix()}"\nnotes = "mine"\n'
        "[grid]\ncarbon_price_per_t = 200.0\n"
        '[[pv]]\nname = "only"\nbus = 3\np_mw = 0.1\ns_mva = 0.11\nprofile = "pv_pu"\n',
    )
    case = load_case(v)
    orig = load_case("ieee15")
    assert case.settings["grid"]["carbon_price_per_t"] == 200.0
    assert (
        case.settings["grid"]["loss_price_per_mwh"] == orig.settings["grid"]["loss_price_per_mwh"]
    )
    assert [p["name"] for p in case.settings["pv"]] == ["only"]  # arrays replace, not merge
    assert case.settings["park"] == orig.settings["park"]
    assert case.notes == ["mine"] and len(case.profiles) == 24  # base's relative profile path
    # a variant of a variant, by a relative path
    w = _write(
        tmp_path / "w.toml",
        '[case]\nname = "w"\nbase = "v.toml"\n[grid]\nloss_price_per_mwh = 1.0\n',
    )
    cw = load_case(w)
    assert (
        cw.settings["grid"]["carbon_price_per_t"],
        cw.settings["grid"]["loss_price_per_mwh"],
    ) == (
        200.0,
        1.0,
    )


def test_variant_file_errors_are_input_errors(tmp_path):
    a = _write(tmp_path / "a.toml", '[case]\nname = "a"\nbase = "b.toml"\n')
    _write(tmp_path / "b.toml", '[case]\nname = "b"\nbase = "a.toml"\n')
    with pytest.raises(InputError, match="cycle"):
        load_case(a)
    c = _write(tmp_path / "c.toml", '[case]\nname = "c"\nbase = "nosuch"\n')
    with pytest.raises(InputError, match="not found") as exc:
        load_case(c)
    assert (exc.value.problems[0].section, exc.value.problems[0].key) == ("case", "base")
