"""Season plan -> one day's dispatch: the potlines a season result keeps online on a day, and
the metal they must make, applied to a dispatch case (issue 12, "link to the daily dispatch").

A season result folder (``fdn-alu season ... --out DIR``) holds ``commitment.csv`` with one row
per strategy, day and region: ``lines_online`` and ``production_t``. For a dispatch case whose
park has as many potlines as the region has lines, :func:`day_case` keeps the first
``lines_online`` potlines in service (identical lines: which ones is immaterial), takes the
others out, and sets the park's production target to the day's planned metal (scaled to the
case's horizon). The park settings the plan's band came from (its thermal model and heat
exchangers, ``summary.json["dispatch_park"]``) replace the case's, so that the day runs the same
potline model the plan did. The thermal window and the operating states then apply only to the
lines that run, because only they are in the model.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd

from fdn_alu.cases import Case
from fdn_alu.core.run import run
from fdn_alu.errors import Problem, raise_if_problems
from fdn_alu.studies.sweep.dispatch import _dispatch_base, build_point_case, dispatch_row
from fdn_alu.studies.sweep.spec import TaskKind, register_kind
from fdn_alu.studies.sweep.study import run_sweep

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


def plan_park_settings(season_dir: str | Path, region: str | None) -> dict:
    """The park settings a season plan's band came from (``summary.json["dispatch_park"]``):
    the thermal keys its region overrides, e.g. ``{"thermal_model": "heat_balance",
    "heat_exchanger_frac": 0.3}``; empty for a plan without them."""
    path = Path(season_dir) / "summary.json"
    if not path.is_file():
        return {}
    parks = json.loads(path.read_text()).get("dispatch_park", {})
    if region is None and len(parks) == 1:
        region = next(iter(parks))
    return {k: v for k, v in parks.get(region, {}).items() if k != "case"}


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
    # the plan's band came from these park settings: the day runs with the same ones
    new.update(plan_park_settings(season_dir, region))
    new["potlines"] = potlines[:lines]
    new["production_target_t"] = made_t * case.settings["case"]["horizon_h"] / 24.0
    return case.with_settings(park=new)


# --------------------------------------------------------------------------------------------
# the ``season_day`` kind of the sweep engine: days of a season plan dispatched as sweep points


def run_season_day_point(point: dict) -> dict:
    """Runner of ``kind = "season_day"``: the point's case on one day of a season plan."""

    case = day_case(
        build_point_case(point), point["season"], point["day"], point["strategy"], point["region"]
    )
    result = run(
        case, scenario=point["scenario"], solver=point["solver"], check_ac=point["check_ac"]
    )
    return {"summary": result.summary, "tables": {}}


def _validate_season_days(spec) -> list[Problem]:
    problems: list[Problem] = []
    for season in sorted({p["season"] for p in spec.points}):
        try:
            plan = read_plan(season)
        except Exception as exc:  # reported as a problem of the spec
            problems.append(Problem("[sweep].season", str(exc)))
            continue
        days = int(plan.day.max()) + 1
        bad = sorted({p["day"] for p in spec.points if p["season"] == season} - set(range(days)))
        if bad:
            problems.append(Problem("day", f"{bad[:5]} outside the plan's days 0..{days - 1}"))
    return problems


def _season_day_row(summary: dict) -> dict:

    row = dispatch_row(summary)
    row["production_t"] = summary.get("checks", {}).get("production_t")
    return row


def register() -> None:
    """Register the ``season_day`` kind (a sweep spec: ``[sweep] kind = "season_day"``,
    ``base`` a case, ``season`` a plan folder; axis ``day``)."""

    register_kind(
        TaskKind(
            name="season_day",
            runner="fdn_alu.studies.season_day:run_season_day_point",
            options={
                "season": "",
                "day": 0,
                "strategy": "full",
                "region": None,
                "scenario": 2,
                "solver": "clarabel",
                "check_ac": True,
            },
            base=_dispatch_base,
            validate=_validate_season_days,
            row=_season_day_row,
        )
    )


def sweep_days(
    season_dir, case: str, days, out, workers: int | None = None, progress=None, **options
):
    """Dispatch days of a season plan on the sweep engine (one point per day).

    Returns the :class:`~fdn_alu.studies.sweep.study.SweepResult` (``table``: one row per day,
    ``counts`` by status).
    """

    spec = {
        "sweep": {"kind": "season_day", "base": case, "season": str(Path(season_dir).resolve()),
                  **options},
        "axes": {"day": [int(d) for d in days]},
    }  # fmt: skip
    return run_sweep(spec, out, workers=workers, progress=progress)


register()
