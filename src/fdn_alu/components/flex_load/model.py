"""Controllable load model block: p_min <= P_t <= p_max, sum_t P_t dt = E (equations only)."""

from __future__ import annotations

import cvxpy as cp

from fdn_alu.components.flex_load.data import FlexLoadData
from fdn_alu.model.block import Block, to_buses


def flex_load_block(d: FlexLoadData, core) -> Block:
    """Draw ``P`` (T, k) in MW of every controllable load, placed on its bus (negative
    injection, reactive draw at the load's power factor). Its energy is bought through the
    network, so it carries no cost of its own. The solver's variable is per unit of the feeder's
    power base (docs/ARCHITECTURE.md, "Scaling"); ``p`` in the block is the MW expression."""
    T, n, base, k = core.periods, core.net.n_bus, core.base_mva, len(d.names)
    p_pu = cp.Variable((T, k), name="flex_load_p_pu")
    cons = {
        "p_min": p_pu >= d.p_min_mw[None, :] / base,
        "p_max": p_pu <= d.p_max_mw[None, :] / base,
        "energy": cp.sum(p_pu, axis=0) * core.dt_h == d.energy_mwh / base,
    }
    return Block(
        "flex_load",
        {"p": p_pu * base},
        cons,
        p_bus=to_buses(-p_pu, d.bus, n),
        q_bus=to_buses(-cp.multiply(p_pu, d.tan_phi[None, :]), d.bus, n),
    )
