"""Cement plant -> numeric data (MW, hours of kiln flow)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESPONSE_S = 300.0
"""Our choice (check): a running mill is stopped within minutes (as studies/data/
ancillary_benefit.toml)."""
NOTICE_H = 4.0
"""Seed 002 §2.1: industrial users need 2-4 h notice (upper end)."""


@dataclass(frozen=True)
class CementData:
    """One plant. Silo stocks in hours of the kiln's steady flow.

    Attributes
    ----------
    name : str
    bus : int
    p_kiln_mw : float
        Must-run load (kiln line, coal mill, fans, packing).
    p_raw_mean_mw, p_raw_max_mw, p_cem_mean_mw, p_cem_max_mw : float
        A mill at its mean load keeps pace with the kiln.
    raw_min_h, raw_max_h, raw_init_h, clk_min_h, clk_max_h, clk_init_h : float
    duration_h, rebound_h : float
    tan_phi : float
    cement_t_per_h : float
    """

    name: str
    bus: int
    p_kiln_mw: float
    p_raw_mean_mw: float
    p_raw_max_mw: float
    p_cem_mean_mw: float
    p_cem_max_mw: float
    raw_min_h: float
    raw_max_h: float
    raw_init_h: float
    clk_min_h: float
    clk_max_h: float
    clk_init_h: float
    duration_h: float
    rebound_h: float
    tan_phi: float
    cement_t_per_h: float


def cement_data(s: dict, core) -> CementData:
    mean = s["cement_t_per_day"] * s["kwh_per_t"] / 24.0 / 1000.0
    raw, cem = s["raw_mill_share"] * mean, s["cement_mill_share"] * mean
    return CementData(
        name=s["name"],
        bus=core.net.bus_pos(s["bus"]),
        p_kiln_mw=mean - raw - cem,
        p_raw_mean_mw=raw,
        p_raw_max_mw=raw / s["mill_utilisation"],
        p_cem_mean_mw=cem,
        p_cem_max_mw=cem / s["mill_utilisation"],
        raw_min_h=s["raw_silo_min_h"],
        raw_max_h=s["raw_silo_max_h"],
        raw_init_h=s["raw_silo_init_h"],
        clk_min_h=s["clinker_silo_min_h"],
        clk_max_h=s["clinker_silo_max_h"],
        clk_init_h=s["clinker_silo_init_h"],
        duration_h=s["reserve_duration_h"],
        rebound_h=s["rebound_h"],
        tan_phi=float(np.tan(np.arccos(s["pf"]))),
        cement_t_per_h=s["cement_t_per_day"] / 24.0,
    )
