"""Energy-storage soft open point (ESOP) model block, eqs. (6)-(11), (18), A2-A3.

Two voltage-source converters at buses i and j share a DC link (the virtual node k) with a
battery. Per period: converter injections P_i, Q_i, P_j, Q_j into the AC buses (Q independent),
capacity cones ||(P, Q)|| <= S, converter losses L >= A ||(P, Q)|| (tight whenever energy
costs money), the DC balance P_i + P_j + L_i + L_j + P_ch - P_dis = 0, and the battery (9).
States offline / charging / discharging: binary with MIP solvers; relaxed with Clarabel and
any simultaneous charge and discharge reported (``esop_simultaneous_max_mw``).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from ...model.block import Block, to_buses
from ...model.storage import storage_variables
from .data import EsopData


def esop_block(e: EsopData, core, relax_integers: bool = True) -> Block:
    """ESOP variables and constraint families; terminal injections onto buses i and j."""
    T, n, base = core.periods, core.net.n_bus, core.base_mva
    p = cp.Variable((T, 2), name="esop_p_mw")
    q = cp.Variable((T, 2), name="esop_q_mvar")
    loss = cp.Variable((T, 2), nonneg=True, name="esop_loss_mw")
    s_max = np.tile([e.s_i_mva, e.s_j_mva], (T, 1)).ravel(order="F")
    pq = cp.vstack([cp.vec(p, order="F"), cp.vec(q, order="F")])
    bv, bc, bp = storage_variables("battery", e.battery, T, core.dt_h, relax_integers)
    om = cp.Parameter(nonneg=True, name="esop_om_cost", value=e.om_cost_per_day)
    cons = {
        # A2: converter capacity ||(P, Q)|| <= S at each terminal.
        "capacity": cp.SOC(s_max, pq, axis=0),
        # Converter loss L >= A ||(P, Q)||.
        "converter_loss": cp.SOC(cp.vec(loss, order="F") / max(e.loss_coeff, 1e-12), pq, axis=0),
        # DC link (node k): P_i + P_j + L_i + L_j + P_ch - P_dis = 0.
        "dc_balance": cp.sum(p + loss, axis=1) + bv["charge"] - bv["discharge"] == 0,
        **bc,
    }
    if e.loss_coeff == 0:
        cons["converter_loss"] = loss == 0
    bus = np.array([e.bus_i, e.bus_j])
    variables = {"p": p, "q": q, "loss": loss, **{f"battery_{k}": v for k, v in bv.items()}}
    return Block(
        "esop",
        variables,
        cons,
        p_bus=to_buses(p / base, bus, n),
        q_bus=to_buses(q / base, bus, n),
        costs={"esop": om},
        parameters={**bp, "om_cost": om},
    )
