"""Random radial feeders for property-based tests: a pandapower net and settings sections.

A feeder is drawn from a :class:`FeederSpec` (voltage level, size, r/x ratio, load level,
optional devices) and a seed, so a hypothesis example is a small readable record and the net is
rebuilt from it deterministically. Per-km impedances and section lengths are typical of each
voltage level (our choice, from common cable / overhead-line tables): 0.4 kV cables of
0.1-0.8 ohm/km over 10-60 m; 11-20 kV cables and lines of 0.2-0.9 ohm/km over 0.1-1.5 km.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandapower as pp
import pandas as pd

from helpers import esop_section

VOLTAGE_LEVELS_KV = (0.4, 11.0, 12.66, 20.0)
# Section length range (km) per voltage level: our choice (street cable vs MV trunk).
LENGTH_KM = {0.4: (0.01, 0.06), 11.0: (0.1, 1.5), 12.66: (0.1, 1.5), 20.0: (0.2, 1.5)}
# Feeder peak load range (MW) per voltage level: a few kW on a street, up to ~12 MW on a trunk.
LOAD_MW = {0.4: (0.003, 0.25), 11.0: (0.05, 8.0), 12.66: (0.05, 8.0), 20.0: (0.1, 12.0)}
PARK_MIN_FEEDER_MW = 0.5


@dataclass(frozen=True)
class FeederSpec:
    """What a random feeder is drawn from (every field is a hypothesis draw).

    Attributes
    ----------
    vn_kv : float
    n_bus : int
    r_over_x : float
        0.3 (overhead line) to 8 (low-voltage cable).
    load_share : float
        Position of the feeder's peak load in its level's ``LOAD_MW`` range, 0..1 (log scale).
    sn_mva : float
        The net's own ``sn_mva`` (the model must not depend on it).
    seed : int
    pv, park, esop, flex_load : bool
        Devices to add (the park only on medium-voltage feeders).
    rated_lines : bool
        Lines get ratings near their peak current (some feeders then hit them).
    grid_limit : bool
        An import limit at the root near the peak load.
    periods : int
    """

    vn_kv: float
    n_bus: int
    r_over_x: float
    load_share: float
    sn_mva: float = 1.0
    seed: int = 0
    pv: bool = False
    park: bool = False
    esop: bool = False
    flex_load: bool = False
    rated_lines: bool = False
    grid_limit: bool = False
    periods: int = 4

    @property
    def peak_load_mw(self) -> float:
        lo, hi = LOAD_MW[self.vn_kv]
        return float(lo * (hi / lo) ** self.load_share)


def random_feeder(spec: FeederSpec) -> tuple[object, dict, pd.DataFrame]:
    """The pandapower net, the settings sections and a profile table of ``spec``.

    Buses 0..n-1 (0 the slack); each bus k >= 1 hangs from a random earlier bus, preferring
    recent ones so that the tree has long laterals as real feeders do.
    """
    rng = np.random.default_rng(spec.seed)
    n = spec.n_bus
    net = pp.create_empty_network(sn_mva=spec.sn_mva)
    for b in range(n):
        pp.create_bus(net, vn_kv=spec.vn_kv, index=b)
    pp.create_ext_grid(net, bus=0, vm_pu=1.0)
    lo = np.maximum(np.arange(1, n) - 4, 0)
    parent = np.array([rng.integers(a, k) for a, k in zip(lo, range(1, n), strict=True)])
    z_km = rng.uniform(0.15, 0.8, n - 1)
    phi = np.arctan(1.0 / spec.r_over_x)
    r_km, x_km = z_km * np.cos(phi), z_km * np.sin(phi)
    length = rng.uniform(*LENGTH_KM[spec.vn_kv], n - 1)
    weights = rng.uniform(0.2, 1.0, n - 1) * (rng.random(n - 1) < 0.8)
    weights[rng.integers(0, n - 1)] += 0.5
    p_bus = spec.peak_load_mw * weights / weights.sum()
    q_bus = p_bus * rng.uniform(0.1, 0.5, n - 1)
    # Peak current through each branch (no losses), for optional ratings near it.
    sub_p = p_bus.copy()
    for k in range(n - 2, -1, -1):
        if parent[k] > 0:
            sub_p[parent[k] - 1] += sub_p[k]
    i_peak_ka = sub_p * 1.15 / (np.sqrt(3) * spec.vn_kv * 0.95)
    # Ratings 0.9-3 x each branch's peak current, but at least 10 % of the head's (no cable is
    # rated for a fraction of an ampere because the lateral behind it is idle).
    factor = rng.uniform(0.9, 3.0, n - 1)
    i_rated = np.maximum(i_peak_ka, 0.1 * i_peak_ka.max()) * factor
    i_max = i_rated if spec.rated_lines else np.full(n - 1, 1e5)
    for k in range(n - 1):
        pp.create_line_from_parameters(
            net,
            int(parent[k]),
            k + 1,
            length_km=float(length[k]),
            r_ohm_per_km=float(r_km[k]),
            x_ohm_per_km=float(x_km[k]),
            c_nf_per_km=0.0,
            max_i_ka=float(i_max[k]),
        )
        if p_bus[k] > 0:
            pp.create_load(net, k + 1, p_mw=float(p_bus[k]), q_mvar=float(q_bus[k]))
    sections = _devices(spec, rng, net)
    return net, sections, _profiles(spec.periods)


def _devices(spec: FeederSpec, rng: np.random.Generator, net) -> dict:
    """Settings sections of the optional devices, sized on the feeder's peak load."""
    n, peak = spec.n_bus, spec.peak_load_mw
    buses = rng.permutation(np.arange(1, n))
    out: dict = {}
    if spec.grid_limit:
        out["grid"] = {"p_max_mw": float(peak * rng.uniform(0.6, 1.6))}
    if spec.rated_lines:
        out["network"] = {"max_i_ka": 0.0}
    if spec.pv:
        out["pv"] = [
            {
                "name": f"pv{k}",
                "bus": int(b),
                "p_mw": float(peak * rng.uniform(0.05, 0.4)),
                "s_mva": float(peak * 0.45),
            }
            for k, b in enumerate(buses[:2])
        ]
    # A smelter park hangs off a medium-voltage feeder of at least PARK_MIN_FEEDER_MW, never a
    # 0.4 kV street: the park's own tolerances are absolute (ADJUST_TOL_MW = 1e-4 MW, the
    # simultaneity check 1e-4 MW) and its variables in MW, not yet scaled to the feeder.
    if spec.park and spec.vn_kv > 1.0 and peak >= PARK_MIN_FEEDER_MW:
        p_park = peak * rng.uniform(0.1, 0.5)
        cells = int(rng.integers(1, 4))
        i_ka = p_park * 1e3 / (cells * 3.95)  # 3.95 V per cell at rated current (shen-y21)
        share = p_park / cells / 1.98  # per-cell power / a real 500 kA cell's 1.98 MW
        out["park"] = {
            "bus": int(buses[2 % len(buses)]),
            "heat_capacity_mj_per_k_per_cell": 36.6 * share,
            "heat_loss_kw_per_k_per_cell": 0.96 * share,
            "potline": [
                {
                    "name": "line1",
                    "cells": cells,
                    "i_rated_ka": i_ka,
                    "r_cell_uohm": 1.79e3 / i_ka,
                    "e_cell_v": 2.16,
                    "i_min_frac": 0.7,
                    "i_max_frac": 1.1,
                }
            ],
        }
    if spec.esop and n >= 4:
        s = peak * rng.uniform(0.1, 0.4)
        out["esop"] = esop_section(int(buses[-1]), int(buses[-2]), s)
    if spec.flex_load:
        p_max = peak * rng.uniform(0.05, 0.3)
        out["flex_load"] = [
            {
                "name": "flex",
                "bus": int(buses[3 % len(buses)]),
                "p_max_mw": p_max,
                "energy_mwh": p_max * 24 * rng.uniform(0.2, 0.8),
            }
        ]
    return out


def _profiles(periods: int) -> pd.DataFrame:
    """A day of ``periods`` steps: load 0.6-1.0, PV half-sine, two-level price and intensity."""
    t = np.arange(periods) * 24.0 / periods
    mid = t + 12.0 / periods
    return pd.DataFrame(
        {
            "time_h": t,
            "load_scale": 0.8 + 0.2 * np.sin(np.pi * (mid - 6) / 12),
            "pv_pu": np.clip(np.sin(np.pi * (mid - 6) / 12), 0, None),
            "price_per_mwh": np.where((mid > 8) & (mid < 22), 900.0, 300.0),
            "grid_ci_kg_per_mwh": np.where((mid > 8) & (mid < 22), 650.0, 520.0),
        }
    )
