"""Potline fleet over a year (issue 12, seed 000): integer line counts per region on daily
blocks, hourly power within a modulation band, restart / stand-by costs, minimum down and up
times, production targets or inventories; four strategies (rigid, modulation only, batch only,
batch + modulation) solved as MILPs with HiGHS. Equations and sources: docs/FLEET.md.

Flow: settings (schema) -> data (FleetData arrays) -> model (sparse MILP) -> solve (highspy)
-> results (tables, checks, summary) -> plots; ``cli`` is the ``fdn-alu season`` subcommand.
"""

from __future__ import annotations

from importlib import resources

from .data import BUILTIN, FleetData, load_fleet
from .model import STRATEGIES, STRATEGY_LABELS, build_model
from .results import SeasonResult, day_plan, write_season
from .settings import schema_text
from .study import breakeven, run_season


def example_toml() -> str:
    """A worked fleet TOML (two regions, explicit lines, every section), for
    ``fdn-alu example fleet``."""
    return (resources.files("fdn_alu.fleet") / "data" / "example_fleet.toml").read_text()


__all__ = [
    "BUILTIN",
    "STRATEGIES",
    "STRATEGY_LABELS",
    "FleetData",
    "SeasonResult",
    "breakeven",
    "build_model",
    "day_plan",
    "example_toml",
    "load_fleet",
    "run_season",
    "schema_text",
    "write_season",
]
