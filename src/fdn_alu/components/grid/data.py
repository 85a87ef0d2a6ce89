"""Main grid -> numeric data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GridData:
    """Main grid at the root: prices (T,), carbon intensity (T,), limits.

    Attributes
    ----------
    price_per_mwh, ci_kg_per_mwh : ndarray (T,)
    allow_export : bool
    p_max_pu : float
        Import limit (inf when none).
    loss_price_per_mwh, carbon_price_per_t : float
    """

    price_per_mwh: np.ndarray
    ci_kg_per_mwh: np.ndarray
    allow_export: bool
    p_max_pu: float
    loss_price_per_mwh: float
    carbon_price_per_t: float


def grid_data(s: dict, core, prof: dict[str, np.ndarray]) -> GridData:
    """:class:`GridData` from validated ``[grid]`` settings."""
    return GridData(
        price_per_mwh=prof[s["price_profile"]],
        ci_kg_per_mwh=prof[s["ci_profile"]],
        allow_export=s["allow_export"],
        p_max_pu=(s["p_max_mw"] / core.base_mva) if s["p_max_mw"] > 0 else np.inf,
        loss_price_per_mwh=s["loss_price_per_mwh"],
        carbon_price_per_t=s["carbon_price_per_t"],
    )
