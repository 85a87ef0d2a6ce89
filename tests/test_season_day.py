"""Season plan -> day dispatch (issue 12): the dispatched day runs the plan's lines and makes
the plan's metal."""

from __future__ import annotations

import numpy as np
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
    plan = read_plan(season_dir)
    row = plan[(plan.strategy == "full") & (plan.day == 0)].iloc[0]
    day = day_case(case, season_dir, 0)
    assert len(day.settings["park"]["potlines"]) == row.lines_online
    # the plan's band came from the -park fleet's thermal settings: the day uses them too
    assert day.settings["park"]["thermal_model"] == "heat_balance"
    assert day.settings["park"]["heat_exchanger_frac"] == 0.3
    assert case.settings["park"]["thermal_model"] == "paper"  # the case itself is unchanged
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

    out = tmp_path / "day0"
    code = main(
        [
            "run",
            "--case",
            "ieee15",
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


def test_days_across_the_shipped_plan_dispatch_on_the_sweep_engine(tmp_path):
    """Days of the shipped ieee15-park plan (full year) in winter (one line), spring, summer and
    autumn dispatch with every check passing (AC check included), run as sweep points; all 365
    days of both -park plans: docs/FLEET.md §7."""
    from fdn_alu.studies.season_day import sweep_days

    plan = tmp_path / "plan"
    write_season(run_season(load_fleet("ieee15-park")), plan, figures=False)
    com = read_plan(plan)
    full = com[com.strategy == "full"].set_index("day")
    winter = int(full.index[full.lines_online == 1][0])
    days = [winter, 100, 180, 280]
    res = sweep_days(plan, "ieee15", days, tmp_path / "sweep", workers=1)
    assert res.counts == {"ok": 4}, res.table[["day", "status", "message"]]
    made = res.table.set_index("day")["production_t"]
    np.testing.assert_allclose(made[days], full.production_t[days], rtol=1e-4)
