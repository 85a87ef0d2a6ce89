"""The region of the province-scale benefit: seed 002's four typical days of hourly demand, the
national or provincial scope, and the bundled data (``data/china_typical_days_mw.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TYPICAL_DAYS_CSV = Path(__file__).parents[1] / "data" / "china_typical_days_mw.csv"
"""Hourly demand of the 31 provinces on seed 002's four typical days, the year's mean and peak,
and each province's share of 2023 aluminium output (sources in the file's header)."""

LOAD_SHAPES = ("typical_days", "annual_mean")
"""``typical_days``: the requirement from each of seed 002's four typical days' peak hour (hourly
demand shape scaled to the annual load); ``annual_mean``: from the peak load
``E / (8760 h load_factor)``."""


def typical_days() -> pd.DataFrame:
    """The bundled table of :data:`TYPICAL_DAYS_CSV` (rows: day and hour, ``year_mean``,
    ``year_peak``, ``aluminium_share_2023``; one column per province, MW)."""
    return pd.read_csv(TYPICAL_DAYS_CSV, comment="#", dtype={"day": str})


def provinces() -> list[str]:
    """Province names of the bundled hourly data."""
    return list(typical_days().columns[2:])


TYPICAL_DAYS = ("04-18", "07-26", "09-12", "12-19")
"""Seed 002 §4: the typical days of the four seasons (18 Apr, 26 Jul, 12 Sep, 19 Dec)."""


def scope_factors(params) -> tuple[float, np.ndarray, np.ndarray]:
    """The region's share of the configured (national) load, each provider's share of its
    configured energy, and the four typical days' peak hour per unit of the year's mean load.

    ``national``: 1, ones, and the national hourly demand (the sum of the provinces).
    A province: its share of the hourly data's annual energy; aluminium its share of 2023
    output (Lyu & Jenkins), any other provider the province's load share (our choice); the
    province's own hourly shape.
    """
    table = typical_days()
    scope = params.raw["region"]["scope"]
    cols = list(table.columns[2:]) if scope == "national" else [scope]
    by_day = table.set_index("day")
    mean = float(by_day.loc["year_mean", cols].sum())
    share = mean / float(by_day.loc["year_mean", table.columns[2:]].sum())
    p_share = np.array(
        [
            float(by_day.loc["aluminium_share_2023", cols].sum()) if name == "aluminium" else share
            for name in params.providers
        ]
    )
    hourly = table[table["day"].isin(TYPICAL_DAYS)]
    peaks = hourly[cols].sum(axis=1).groupby(hourly["day"]).max()
    day_peak = peaks.reindex(list(TYPICAL_DAYS)).to_numpy() / mean
    return share, p_share, day_peak
