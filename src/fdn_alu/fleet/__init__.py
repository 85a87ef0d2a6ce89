"""Potline fleet over a year (issue 12, seed 000): integer line counts per region on daily
blocks, hourly power within a modulation band, restart / stand-by costs, minimum down and up
times, production targets or inventories; four strategies (rigid, modulation only, batch only,
batch + modulation) solved as MILPs with HiGHS. Equations and sources: docs/FLEET.md.

Flow: settings (schema) -> data (FleetData arrays) -> model (sparse MILP) -> solve (highspy)
-> results (tables, checks, summary) -> plots; ``season_cli`` is the ``fdn-alu season``
subcommand.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from fdn_alu._lazy import lazy_getattr
from fdn_alu.fleet.schema import STRATEGIES, STRATEGY_LABELS, schema_text

# Public name -> the module that defines it, loaded on first use (PEP 562): the ``fdn-alu``
# command line imports ``season_cli`` for its help text without loading the data layer (which
# loads the dispatch cases and cvxpy) or the solver.
_LAZY = {
    "BUILTIN": ".data",
    "FleetData": ".data",
    "load_fleet": ".data",
    "build_model": ".model",
    "SeasonResult": ".results",
    "day_plan": ".results",
    "write_season": ".results",
    "breakeven": ".breakeven",
    "run_season": ".study",
}

if TYPE_CHECKING:
    from fdn_alu.fleet.breakeven import breakeven
    from fdn_alu.fleet.data import BUILTIN, FleetData, load_fleet
    from fdn_alu.fleet.model import build_model
    from fdn_alu.fleet.results import SeasonResult, day_plan, write_season
    from fdn_alu.fleet.study import run_season


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


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
