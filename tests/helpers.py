"""Test helpers: tiny hand-checkable feeders, flat profiles, solver availability."""

from __future__ import annotations

import pandapower as pp
import pandas as pd
import pytest

from fdn_alu.solve import available_solvers


def flat_profiles(periods: int = 1, horizon_h: float = 24.0, **cols) -> pd.DataFrame:
    """A profile table with constant columns (defaults: load 1, no PV, flat price/intensity)."""
    values = {"load_scale": 1.0, "pv_pu": 0.0, "price_per_mwh": 500.0, "grid_ci_kg_per_mwh": 500.0}
    values.update(cols)
    step = horizon_h / periods
    df = pd.DataFrame({"time_h": [k * step for k in range(periods)]})
    for k, v in values.items():
        df[k] = v
    return df


def radial_net(branches, loads, sn_mva: float = 1.0, vn_kv: float = 11.0, z_base=None):
    """pandapower net from (from, to, r_pu, x_pu) branches and {bus: (p_mw, q_mvar)} loads.

    Buses are numbered 1..n with bus 1 the slack; impedances in pu on (sn_mva, vn_kv).
    """
    net = pp.create_empty_network(sn_mva=sn_mva)
    buses = sorted({b for f, t, *_ in branches for b in (f, t)})
    for b in buses:
        pp.create_bus(net, vn_kv=vn_kv, index=b)
    pp.create_ext_grid(net, bus=buses[0], vm_pu=1.0)
    zb = z_base or vn_kv**2 / sn_mva
    for f, t, r, x in branches:
        pp.create_line_from_parameters(
            net,
            f,
            t,
            length_km=1.0,
            r_ohm_per_km=r * zb,
            x_ohm_per_km=x * zb,
            c_nf_per_km=0.0,
            max_i_ka=1e5,
        )
    for b, (p, q) in loads.items():
        pp.create_load(net, b, p_mw=p, q_mvar=q)
    return net


def needs_solver(name: str):
    return pytest.mark.skipif(name not in available_solvers(), reason=f"{name} not installed")


# The ten SimBench LV/MV base grids (switch-defined radial topology, "--0-sw").
SIMBENCH_BASE_GRIDS = [
    "1-LV-rural1--0-sw",
    "1-LV-rural2--0-sw",
    "1-LV-rural3--0-sw",
    "1-LV-semiurb4--0-sw",
    "1-LV-semiurb5--0-sw",
    "1-LV-urban6--0-sw",
    "1-MV-rural--0-sw",
    "1-MV-semiurb--0-sw",
    "1-MV-urban--0-sw",
    "1-MV-comm--0-sw",
]


def esop_section(bus_i: int, bus_j: int, s_mva: float) -> dict:
    """An ``[esop]`` section: converters of ``s_mva`` at both ends and a battery of ``s_mva``
    for 4 h (10-90 % window, half full at the start, 400 kg/MWh of initial stored carbon)."""
    return {
        "bus_i": bus_i,
        "bus_j": bus_j,
        "s_i_mva": s_mva,
        "s_j_mva": s_mva,
        "battery": {
            "p_max_mw": s_mva,
            "e_max_mwh": 4 * s_mva,
            "e_min_mwh": 0.4 * s_mva,
            "e_init_mwh": 2 * s_mva,
            "ci_init_kg_per_mwh": 400.0,
        },
    }
