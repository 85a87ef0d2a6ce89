"""Season plan -> one day's dispatch: the potlines a season result keeps online on a day, and
the metal they must make, applied to a dispatch case (issue 12, "link to the daily dispatch").

A season result folder (``fdn-alu season ... --out DIR``) holds ``commitment.csv`` with one row
per strategy, day and region: ``lines_online`` and ``production_t``. For a dispatch case whose
park has as many potlines as the region has lines, :func:`day_case` keeps the first
``lines_online`` potlines in service (identical lines: which ones is immaterial), takes the
others out, and sets the park's production target to the day's planned metal (scaled to the
case's horizon). The thermal window and the operating states then apply only to the lines that
run, because only they are in the model.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd

from fdn_alu.cases import Case
from fdn_alu.errors import Problem, raise_if_problems

COMMITMENT_COLUMNS = ("strategy", "day", "region", "lines_online", "production_t")


def read_plan(season_dir: str | Path) -> pd.DataFrame:
    """``commitment.csv`` of a season result folder, checked for the columns the link needs."""
    path = Path(season_dir) / "commitment.csv"
    if not path.is_file():
        raise_if_problems(
            [Problem(str(season_dir), "not a season result folder (no commitment.csv)", "season")]
        )
    df = pd.read_csv(path)
    missing = [c for c in COMMITMENT_COLUMNS if c not in df.columns]
    if missing:
        raise_if_problems([Problem(str(path), f"missing column(s) {', '.join(missing)}")])
    return df


def day_plan(plan: pd.DataFrame, day: int, strategy: str = "full", region: str | None = None):
    """``(lines_online, production_t)`` of one region on one day of a season plan.

    Parameters
    ----------
    plan : DataFrame
        From :func:`read_plan`.
    day : int
        0-based day of the season.
    strategy : str
        Which strategy's plan (``full`` = batch + modulation).
    region : str, optional
        Needed when the plan has more than one region.
    """
    problems = []
    strategies = sorted(plan.strategy.unique())
    if strategy not in strategies:
        problems.append(
            Problem("strategy", f"{strategy!r} not in the plan (has: {', '.join(strategies)})")
        )
    regions = sorted(plan.region.unique())
    if region is None and len(regions) == 1:
        region = regions[0]
    if region not in regions:
        problems.append(
            Problem("region", f"{region!r}: choose one of the plan's regions {regions}", "season")
        )
    days = int(plan.day.max()) + 1
    if not 0 <= day < days:
        problems.append(Problem("day", f"{day} outside the plan's days 0..{days - 1}", "season"))
    raise_if_problems(problems, "invalid season day")
    row = plan[(plan.strategy == strategy) & (plan.region == region) & (plan.day == day)]
    return round(float(row.lines_online.iloc[0])), float(row.production_t.iloc[0])


def day_case(
    case: Case,
    season_dir: str | Path,
    day: int,
    strategy: str = "full",
    region: str | None = None,
) -> Case:
    """The dispatch case of one day of a season plan (a new Case; ``case`` is unchanged).

    Raises
    ------
    InputError
        No park in the case, a park whose potline count differs from the region's lines, a day
        on which no potline runs, or a day whose metal the running lines cannot make (the
        message gives the reachable range).
    """
    park = case.settings.get("park")
    if not park:
        raise_if_problems([Problem("case", f"case {case.name!r} has no [park]", "park")])
    plan = read_plan(season_dir)
    lines, made_t = day_plan(plan, day, strategy, region)
    n_plan = int(plan.lines_online.max())
    potlines = park["potlines"]
    problems = []
    if n_plan > len(potlines):
        problems.append(
            Problem(
                "season",
                f"the plan runs up to {n_plan} lines but the park has {len(potlines)} potlines",
                "park",
                "potlines",
            )
        )
    if lines == 0:
        problems.append(
            Problem(
                "season",
                f"no potline runs on day {day}: the park has no load to dispatch that day",
                "park",
                "potlines",
            )
        )
    raise_if_problems(problems, "invalid season day")
    new = copy.deepcopy(dict(park))
    new["potlines"] = potlines[:lines]
    new["production_target_t"] = made_t * case.settings["case"]["horizon_h"] / 24.0
    return case.with_settings(park=new)
