"""Controllable load model block: p_min <= P_t <= p_max, sum_t P_t dt = E (equations only)."""

from __future__ import annotations

import cvxpy as cp

from ...model.block import Block, to_buses
from .data import FlexLoadData


def flex_load_block(d: FlexLoadData, core) -> Block:
    """Draw ``P`` (T, k) in MW of every controllable load, placed on its bus (negative
    injection, reactive draw at the load's power factor). Its energy is bought through the
    network, so it carries no cost of its own."""
    T, n, base, k = core.periods, core.net.n_bus, core.base_mva, len(d.names)
    p = cp.Variable((T, k), name="flex_load_p_mw")
    cons = {
        "p_min": p >= d.p_min_mw[None, :],
        "p_max": p <= d.p_max_mw[None, :],
        "energy": cp.sum(p, axis=0) * core.dt_h == d.energy_mwh,
    }
    return Block(
        "flex_load",
        {"p": p},
        cons,
        p_bus=to_buses(-p / base, d.bus, n),
        q_bus=to_buses(-cp.multiply(p, d.tan_phi[None, :]) / base, d.bus, n),
    )
