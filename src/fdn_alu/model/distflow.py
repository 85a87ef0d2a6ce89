"""SOC-relaxed DistFlow (branch flow model), eqs. (19)-(20) of the paper.

Variables per period t and branch ij (oriented parent -> child): sending-end flows P, Q and
squared current l; per bus the squared voltage u. All in per unit on the case base. A branch is
an ideal transformer of ratio tau at the parent (1 for lines) followed by its series impedance;
bus shunts (line charging, transformer magnetising, net.shunt) draw g u and -b u (docs/MODEL.md).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.model.block import Block

# Weight (pu resistance) that stands in for r on zero-resistance branches so that the
# relaxation has a (negligible) reason to be tight there: our choice, 1e-6 pu.
R_FLOOR_PU = 1e-6
# Penalty per pu of voltage/current limit violation in the diagnostic (soft-limit) solve, per
# MVA of the power base (so that it weighs the same against the feeder's costs, which scale
# with its size, on a 5 kW street as on the IEEE cases' 1 MVA base).
SLACK_PENALTY = 1e4


def distflow_block(
    data, p_inj: cp.Expression, q_inj: cp.Expression, soft_limits: bool = False
) -> Block:
    """Node balance (19), voltage drop (20), the relaxed current cone and the limits.

    Parameters
    ----------
    data : ModelData
        The core arrays (network, time axis, loss price).
    p_inj, q_inj : cp.Expression, (T, n)
        Net injection into each bus from every device and load (pu).
    soft_limits : bool
        Add penalised slacks to the voltage and current limits (used to locate the cause of an
        infeasibility); the slack cost enters ``costs["limit_slack"]``.

    Returns
    -------
    Block
        Variables ``p``, ``q``, ``l`` (T, m) and ``u`` (T, n); constraint families
        ``distflow-p_balance``, ``-q_balance``, ``-voltage_drop``, ``-current_cone``,
        ``-root_voltage``, ``-voltage_min``, ``-voltage_max``, ``-current_max``; cost ``loss``.
    """
    net = data.net
    T, n, m = data.periods, net.n_bus, net.n_branch
    c_from, c_to = net.incidence()
    r, x = net.r_pu, net.x_pu
    inv_tau_sq = (1.0 / net.ratio**2)[None, :]
    g_sh, b_sh = net.g_shunt_pu[None, :], net.b_shunt_pu[None, :]
    p = cp.Variable((T, m), name="p_branch")
    q = cp.Variable((T, m), name="q_branch")
    l = cp.Variable((T, m), name="l_branch")
    u = cp.Variable((T, n), name="u_bus")
    # squared voltage behind the parent's ideal transformer, u_i / tau^2
    u_from = cp.multiply(u @ c_from.T, inv_tau_sq) if np.any(net.ratio != 1) else u @ c_from.T
    u_to = u @ c_to.T
    # (19): sum_in (P - r l) - sum_out P + injection - shunt draw = 0, every bus and period.
    p_bal = (p - cp.multiply(l, r[None, :])) @ c_to - p @ c_from + p_inj
    q_bal = (q - cp.multiply(l, x[None, :])) @ c_to - q @ c_from + q_inj
    if np.any(g_sh):
        p_bal = p_bal - cp.multiply(u, g_sh)
    if np.any(b_sh):
        q_bal = q_bal + cp.multiply(u, b_sh)
    root = net.roots if len(net.roots) > 1 else net.root
    cons = {
        "p_balance": p_bal == 0,
        "q_balance": q_bal == 0,
        # (20): u_j = u_i / tau^2 - 2 (r P + x Q) + (r^2 + x^2) l.
        "voltage_drop": u_to
        == u_from
        - 2 * (cp.multiply(p, r[None, :]) + cp.multiply(q, x[None, :]))
        + cp.multiply(l, (r**2 + x**2)[None, :]),
        # ||(2P, 2Q, l - u_i/tau^2)|| <= l + u_i/tau^2  <=>  P^2 + Q^2 <= l u_i / tau^2.
        "current_cone": cp.SOC(
            cp.vec(l + u_from, order="F"),
            cp.vstack(
                [cp.vec(2 * p, order="F"), cp.vec(2 * q, order="F"), cp.vec(l - u_from, order="F")]
            ),
            axis=0,
        ),
        "root_voltage": u[:, root] == data.root_vm_pu**2,
    }
    others = np.setdiff1d(np.arange(n), net.roots)
    u_lo = (net.vm_min_pu[others] ** 2)[None, :]
    u_hi = (net.vm_max_pu[others] ** 2)[None, :]
    limited = np.flatnonzero(np.isfinite(net.i_max_pu))
    l_hi = (net.i_max_pu[limited] ** 2)[None, :]
    variables = {"p": p, "q": q, "l": l, "u": u}
    costs = {}
    if soft_limits:
        s_lo = cp.Variable((T, len(others)), nonneg=True, name="slack_vmin")
        s_hi = cp.Variable((T, len(others)), nonneg=True, name="slack_vmax")
        s_l = cp.Variable((T, len(limited)), nonneg=True, name="slack_imax")
        cons["voltage_min"] = u[:, others] >= u_lo - s_lo
        cons["voltage_max"] = u[:, others] <= u_hi + s_hi
        if len(limited):
            cons["current_max"] = l[:, limited] <= l_hi + s_l
        variables.update(slack_vmin=s_lo, slack_vmax=s_hi, slack_imax=s_l)
        penalty = SLACK_PENALTY * data.base_mva
        costs["limit_slack"] = penalty * (cp.sum(s_lo) + cp.sum(s_hi) + cp.sum(s_l))
    else:
        cons["voltage_min"] = u[:, others] >= u_lo
        cons["voltage_max"] = u[:, others] <= u_hi
        if len(limited):
            cons["current_max"] = l[:, limited] <= l_hi
    # C_l: loss cost lambda_loss * sum r l dt (eq. 15), with r floored on r = 0 branches.
    r_eff = np.maximum(r, R_FLOOR_PU)
    loss_mwh = cp.sum(l @ r_eff) * data.base_mva * data.dt_h
    costs["loss"] = data.loss_price_per_mwh * loss_mwh
    return Block("distflow", variables, cons, costs=costs)
