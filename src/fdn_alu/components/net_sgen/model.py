"""Curtailable static generators: 0 <= P <= P_avail, Q = (Q_avail / P_avail) P (vectorised)."""

from __future__ import annotations

import cvxpy as cp

from fdn_alu.components.net_sgen.data import NetSgenData
from fdn_alu.model.block import Block, to_buses


def net_sgen_block(g: NetSgenData, core) -> Block:
    """Active output of every generator, a (T, g) decision bounded by its profile; no cost
    (curtailment spills free energy, so it happens only where a limit or a price needs it)."""
    T, n, k = core.periods, core.net.n_bus, len(g.names)
    if k == 0:
        return Block("net_sgen")
    p = cp.Variable((T, k), nonneg=True, name="p_net_sgen")
    avail = cp.Parameter((T, k), nonneg=True, name="net_sgen_avail_pu", value=g.p_avail_pu)
    q = cp.multiply(g.q_per_p, p)
    return Block(
        "net_sgen",
        {"p": p},
        {"available": p <= avail},
        p_bus=to_buses(p, g.bus, n),
        q_bus=to_buses(q, g.bus, n),
        parameters={"net_sgen_avail_pu": avail},
    )
