"""Season plan -> day dispatch (issue 12): the dispatched day runs the plan's lines and makes
the plan's metal."""

from __future__ import annotations

import pandas as pd
import pytest

from fdn_alu import InputError, load_case, run
from fdn_alu.fleet import load_fleet, run_season, write_season
from fdn_alu.studies.season_day import day_case, read_plan


@pytest.fixture(scope="module")
def season_dir(tmp_path_factory):
    fd = load_fleet(
        "ieee15-park", horizon={"days": 20}, operation={"min_down_days": 5, "min_up_days": 2}
    )
    out = tmp_path_factory.mktemp("season") / "plan"
    write_season(run_season(fd, strategies=("rigid", "full")), out, figures=False)
    return out


def test_dispatched_day_runs_the_plans_lines_and_metal(season_dir):
    case = load_case("ieee15")
    # Shell heat exchangers (heat-balance model) give the potlines the band the plan assumes.
    park = {**case.settings["park"], "thermal_model": "heat_balance", "heat_exchanger_frac": 0.3}
    plan = read_plan(season_dir)
    row = plan[(plan.strategy == "full") & (plan.day == 0)].iloc[0]
    day = day_case(case.with_settings(park=park), season_dir, 0)
    assert len(day.settings["park"]["potlines"]) == row.lines_online
    s = run(day, scenario=2, check_ac=False).summary
    assert s["status"] == "ok"
    assert s["checks"]["production_t"] == pytest.approx(row.production_t, rel=1e-4)


def test_bad_day_and_missing_plan_are_input_errors(season_dir, tmp_path):
    case = load_case("ieee15")
    with pytest.raises(InputError, match="outside the plan's days"):
        day_case(case, season_dir, 400)
    with pytest.raises(InputError, match="not a season result folder"):
        day_case(case, tmp_path, 0)


def test_cli_runs_a_season_day(season_dir, tmp_path):
    from fdn_alu.cli import main

    case = tmp_path / "hx.toml"
    # The ieee15 case with heat exchangers, as a user's own case file.
    from fdn_alu.cases import DATA_DIR

    text = (DATA_DIR / "ieee15.toml").read_text()
    text = text.replace('thermal_model = "paper"', 'thermal_model = "heat_balance"')
    text = text.replace("[park]\n", "[park]\nheat_exchanger_frac = 0.3\n", 1)
    case.write_text(text)
    (tmp_path / "day_profiles.csv").write_text((DATA_DIR / "day_profiles.csv").read_text())
    out = tmp_path / "day0"
    code = main(
        [
            "run",
            "--config",
            str(case),
            "--season",
            str(season_dir),
            "--day",
            "0",
            "-q",
            "--no-ac-check",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    # The day written by the CLI makes the plan's metal for day 0.
    plan = read_plan(season_dir)
    row = plan[(plan.strategy == "full") & (plan.day == 0)].iloc[0]
    eaip = pd.read_csv(out / "eaip.csv")
    made = eaip[eaip.potline != "park"].production_t.sum()
    assert made == pytest.approx(row.production_t, rel=1e-4)
    assert main(["run", "--case", "ieee15", "--season", str(season_dir), "-q"]) == 2
