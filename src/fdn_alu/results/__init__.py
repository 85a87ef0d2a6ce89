"""Results layer: typed results (:mod:`.summary`), the network's tables (:mod:`.tables`) and
all-or-nothing writing (:mod:`.write`); :class:`RunResult` holds one run's results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fdn_alu.results.summary import Checks, Costs, Emissions, Summary, Timings
from fdn_alu.results.write import write_results

__all__ = [
    "Checks",
    "Costs",
    "Emissions",
    "RunResult",
    "Summary",
    "Timings",
    "write_results",
]


@dataclass
class RunResult:
    """Everything a run produces: typed summary, tables, and the arrays behind them.

    Attributes
    ----------
    report : Summary
        The typed summary; ``summary`` is its summary.json dict.
    buses, branches, sources : DataFrame
    component_tables : dict of str -> DataFrame
        The components' own tables by file stem; :meth:`table` reads one (None for a table
        of an absent component).
    data : ModelData
    solution : Solution
    carbon : CarbonResult
    details : dict
        The reports behind the checks (``gap``, ``ac``) and the carbon network's named nodes.
    """

    report: Summary
    buses: pd.DataFrame
    branches: pd.DataFrame
    sources: pd.DataFrame
    data: Any
    solution: Any
    carbon: Any
    component_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    @property
    def summary(self) -> dict:
        """summary.json as a dict (the results contract)."""
        return self.report.to_dict()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the run by file stem (``buses`` -> buses.csv)."""
        return {
            "buses": self.buses,
            "branches": self.branches,
            "sources": self.sources,
            **self.component_tables,
        }

    def table(self, name: str) -> pd.DataFrame | None:
        """The table ``name`` (file stem): the network's or a component's; None for a
        component table of a component absent from this run; an unknown name (a typo) raises
        KeyError."""
        tables = self.tables()
        if name in tables:
            return tables[name]
        if name in self.details.get("table_names", ()):
            return None
        raise KeyError(f"no table {name!r} (this run has: {', '.join(tables)})")
