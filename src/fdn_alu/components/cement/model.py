"""Cement plant model block and its non-spinning reserve offer (seed 002 §3.1, eq. 2).

Kiln line must-run at P_kiln; raw mill 0 <= P_raw,t <= P_raw,max feeds the raw-meal silo, the
kiln draws it at a steady rate; the kiln fills the clinker silo, the cement mill
0 <= P_cem,t <= P_cem,max draws it. Stocks in hours of kiln flow (a mill at its mean load keeps
pace with the kiln), E_t = E_{t-1} + dt (P/P_mean - 1) (raw) or dt (1 - P/P_mean) (clinker),
within [min, max], and E_T = E_0: the day's cement output is unchanged.

Non-spinning reserve from a running mill, r_t <= P_t: an event stops r_t for D h; the shed
energy E_ns = r_t D is made up after the event within W h (E2 of eq. 2; the stock built by the
schedule before the event is E1, no extra energy), so
  - the silo the mill feeds (raw) keeps r_t D / P_mean hours above its minimum at every level
    from the event's start to the end of the make-up window (and the clinker silo the cement
    mill draws keeps that much below its maximum);
  - the mill's spare capacity over the make-up window covers r_t D.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np

from fdn_alu.components.base import ReserveOffer
from fdn_alu.components.cement.data import NOTICE_H, RESPONSE_S, CementData
from fdn_alu.model.block import Block, lagged, to_buses


def cement_block(c: CementData, core) -> Block:
    T, n, base, dt = core.periods, core.net.n_bus, core.base_mva, core.dt_h
    raw = cp.Variable(T, nonneg=True, name="cement_raw_mill_mw")
    cem = cp.Variable(T, nonneg=True, name="cement_cement_mill_mw")
    s_raw = cp.Variable(T, name="cement_raw_silo_h")
    s_clk = cp.Variable(T, name="cement_clinker_silo_h")
    cons = {
        "mill_max": [raw <= c.p_raw_max_mw, cem <= c.p_cem_max_mw],
        "raw_silo": s_raw == lagged(s_raw, c.raw_init_h) + dt * (raw / c.p_raw_mean_mw - 1),
        "clinker_silo": s_clk == lagged(s_clk, c.clk_init_h) + dt * (1 - cem / c.p_cem_mean_mw),
        "silo_bounds": [
            s_raw >= c.raw_min_h,
            s_raw <= c.raw_max_h,
            s_clk >= c.clk_min_h,
            s_clk <= c.clk_max_h,
        ],
        "silo_cycle": [s_raw[T - 1] == c.raw_init_h, s_clk[T - 1] == c.clk_init_h],
    }
    draw = (c.p_kiln_mw + raw + cem) / base
    col = cp.reshape(draw, (T, 1), order="F")
    bus = np.array([c.bus])
    return Block(
        "cement",
        {"raw": raw, "cem": cem, "raw_silo": s_raw, "clinker_silo": s_clk},
        cons,
        p_bus=to_buses(-col, bus, n),
        q_bus=to_buses(-col * c.tan_phi, bus, n),
    )


def window_matrices(T: int, dt: float, duration_h: float, rebound_h: float):
    """Lags of the event window (start of the event to the end of the make-up window) and the
    (T, T) matrix summing each event's make-up periods (after the event, within the window)."""
    n_ev = max(math.ceil(duration_h / dt - 1e-9), 1)
    n_all = math.ceil((duration_h + rebound_h) / dt - 1e-9)
    t = np.arange(T)[:, None]
    s = np.arange(T)[None, :]
    after = ((s >= t + n_ev) & (s < t + n_all)).astype(float)
    return range(n_all + 1), after


def cement_offers(c: CementData, block: Block, core) -> list[ReserveOffer]:
    """Non-spinning offers of the raw mill and the cement mill (providers
    ``{name}_raw_mill``, ``{name}_cement_mill``)."""
    T, dt, D = core.periods, core.dt_h, c.duration_h
    v = block.variables
    r = cp.Variable((T, 2), nonneg=True, name="cement_reserve_mw")
    lags, after = window_matrices(T, dt, D, c.rebound_h)
    lv_raw = cp.hstack([np.array([c.raw_init_h]), v["raw_silo"]])
    lv_clk = cp.hstack([np.array([c.clk_init_h]), v["clinker_silo"]])
    margin_raw = r[:, 0] * D / c.p_raw_mean_mw
    margin_clk = r[:, 1] * D / c.p_cem_mean_mw
    idx = [np.minimum(np.arange(T) + k, T) for k in lags]
    cons = {
        "cement_reserve_running": [r[:, 0] <= v["raw"], r[:, 1] <= v["cem"]],
        "cement_reserve_silo": [lv_raw[i] - margin_raw >= c.raw_min_h for i in idx]
        + [lv_clk[i] + margin_clk <= c.clk_max_h for i in idx],
        "cement_reserve_rebound": [
            after @ ((c.p_raw_max_mw - v["raw"]) * dt) >= r[:, 0] * D,
            after @ ((c.p_cem_max_mw - v["cem"]) * dt) >= r[:, 1] * D,
        ],
    }
    return [
        ReserveOffer(
            [f"{c.name}_raw_mill", f"{c.name}_cement_mill"],
            [("non_spinning",), ("non_spinning",)],
            r,
            np.zeros((T, 2)),
            np.array([c.bus, c.bus]),
            np.full(2, RESPONSE_S),
            np.full(2, D),
            np.full(2, NOTICE_H),
            constraints=cons,
            rate_mw_per_s=np.array([c.p_raw_max_mw, c.p_cem_max_mw]) / RESPONSE_S,
        )
    ]
