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
