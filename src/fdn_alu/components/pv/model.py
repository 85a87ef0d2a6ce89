"""Feeder PV inverters, eq. (21): 0 <= P <= P_avail, P^2 + Q^2 <= S^2, |Q| <= tan(theta) P."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.pv.data import PvData
from fdn_alu.model.block import Block, to_buses


def pv_block(pv: PvData, core) -> Block:
    """Active and reactive output of every PV inverter, (T, k) each, curtailable at no cost."""
    T, n = core.periods, core.net.n_bus
    k = len(pv.names)
    if k == 0:
        return Block("pv")
    p = cp.Variable((T, k), nonneg=True, name="p_pv")
    q = cp.Variable((T, k), name="q_pv")
    avail = cp.Parameter((T, k), nonneg=True, name="pv_avail_pu", value=pv.p_avail_pu)
    s_max = cp.Parameter(k, nonneg=True, name="pv_s_max_pu", value=pv.s_max_pu)
    cons = {
        "available": p <= avail,
        "capacity": cp.SOC(
            cp.vec(np.ones((T, 1)) @ cp.reshape(s_max, (1, k), order="F"), order="F"),
            cp.vstack([cp.vec(p, order="F"), cp.vec(q, order="F")]),
            axis=0,
        ),
        "power_factor": cp.abs(q) <= cp.multiply(p, pv.tan_phi[None, :]),
    }
    return Block(
        "pv",
        {"p": p, "q": q},
        cons,
        p_bus=to_buses(p, pv.bus, n),
        q_bus=to_buses(q, pv.bus, n),
        parameters={"pv_avail_pu": avail, "pv_s_max_pu": s_max},
    )
