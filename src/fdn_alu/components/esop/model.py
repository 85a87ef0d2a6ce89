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

from fdn_alu.components.esop.data import EsopData
from fdn_alu.model.block import Block, to_buses
from fdn_alu.model.storage import degradation_cost, storage_variables


def esop_block(e: EsopData, core, relax_integers: bool = True) -> Block:
    """ESOP variables and constraint families; terminal injections onto buses i and j.

    The solver's variables are per unit of the feeder's power base (``p``, ``q``, ``loss`` in
    the block are the MW / Mvar expressions), see docs/ARCHITECTURE.md, "Scaling".
    """
    T, n, base = core.periods, core.net.n_bus, core.base_mva
    p_pu = cp.Variable((T, 2), name="esop_p_pu")
    q_pu = cp.Variable((T, 2), name="esop_q_pu")
    loss_pu = cp.Variable((T, 2), nonneg=True, name="esop_loss_pu")
    s_max = np.tile([e.s_i_mva, e.s_j_mva], (T, 1)).ravel(order="F") / base
    pq = cp.vstack([cp.vec(p_pu, order="F"), cp.vec(q_pu, order="F")])
    bv, bc, bp = storage_variables("battery", e.battery, T, core.dt_h, relax_integers, base)
    ch_pu, dis_pu = bv["charge"] / base, bv["discharge"] / base
    om = cp.Parameter(nonneg=True, name="esop_om_cost", value=e.om_cost_per_day)
    cons = {
        # A2: converter capacity ||(P, Q)|| <= S at each terminal.
        "capacity": cp.SOC(s_max, pq, axis=0),
        # Converter loss L >= A ||(P, Q)||.
        "converter_loss": cp.SOC(cp.vec(loss_pu, order="F") / max(e.loss_coeff, 1e-12), pq, axis=0),
        # DC link (node k): P_i + P_j + L_i + L_j + P_ch - P_dis = 0.
        "dc_balance": cp.sum(p_pu + loss_pu, axis=1) + ch_pu - dis_pu == 0,
        **bc,
    }
    if e.loss_coeff == 0:
        cons["converter_loss"] = loss_pu == 0
    # (18) O&M, plus the battery's wear per MWh discharged when it is priced (0 by default).
    cost = om
    for wear in degradation_cost(e.battery, bv["discharge"], core.dt_h):
        cost = cost + wear
    bus = np.array([e.bus_i, e.bus_j])
    p, q, loss = p_pu * base, q_pu * base, loss_pu * base
    variables = {"p": p, "q": q, "loss": loss, **{f"battery_{k}": v for k, v in bv.items()}}
    return Block(
        "esop",
        variables,
        cons,
        p_bus=to_buses(p_pu, bus, n),
        q_bus=to_buses(q_pu, bus, n),
        costs={"esop": cost},
        parameters={**bp, "om_cost": om},
    )
