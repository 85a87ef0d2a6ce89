"""Reserve products -> numeric data: requirements (T, products), purchase terms, eq. (1) limits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fdn_alu.components.reserves.settings import PRODUCTS


@dataclass(frozen=True)
class ReservesData:
    """Reserve requirements and market terms, one column per product (``PRODUCTS`` order).

    Attributes
    ----------
    products : tuple of str
    fixed_mw : ndarray (T, 4)
        Requirement from the constant and the profile column, MW.
    load_share, pv_share : ndarray (4,)
        Requirement per MW of feeder load and of available feeder PV (applied in the model,
        where the PV availability is known).
    allow_purchase : ndarray (4,) of bool
    purchase_price_per_mw_h, purchase_ci_kg_per_mw_h : ndarray (4,)
        Per MW held for one hour.
    max_response_s, min_duration_h, max_notice_h : ndarray (4,)
        t1, t2 - t1 and t3 of eq. (1) of seed 002.
    admit : tuple of str or None
        Admitted provider names (None: every provider).
    overrides : dict of str -> dict
        ``[reserves.provider.NAME]`` values that replace a provider's declaration.
    """

    products: tuple[str, ...]
    fixed_mw: np.ndarray
    load_share: np.ndarray
    pv_share: np.ndarray
    allow_purchase: np.ndarray
    purchase_price_per_mw_h: np.ndarray
    purchase_ci_kg_per_mw_h: np.ndarray
    max_response_s: np.ndarray
    min_duration_h: np.ndarray
    max_notice_h: np.ndarray
    admit: tuple[str, ...] | None
    overrides: dict = field(default_factory=dict)


def reserves_data(s: dict, core, prof: dict[str, np.ndarray]) -> ReservesData:
    """:class:`ReservesData` from validated ``[reserves]`` settings and resampled profiles."""
    ps = s["products"]
    T = core.periods

    def arr(key: str) -> np.ndarray:
        return np.array([ps[p][key] for p in PRODUCTS])

    fixed = np.column_stack(
        [
            ps[p]["mw"] + (prof[ps[p]["profile"]] if ps[p]["profile"] else np.zeros(T))
            for p in PRODUCTS
        ]
    )
    admit = tuple(s["admit"])
    return ReservesData(
        products=PRODUCTS,
        fixed_mw=fixed,
        load_share=arr("load_share").astype(float),
        pv_share=arr("pv_share").astype(float),
        allow_purchase=arr("allow_purchase").astype(bool),
        purchase_price_per_mw_h=arr("purchase_price_per_mwh").astype(float),
        purchase_ci_kg_per_mw_h=arr("purchase_ci_kg_per_mwh").astype(float),
        max_response_s=arr("max_response_s").astype(float),
        min_duration_h=arr("min_duration_h").astype(float),
        max_notice_h=arr("max_notice_h").astype(float),
        admit=None if admit == ("all",) else admit,
        overrides=dict(s["provider"]),
    )
