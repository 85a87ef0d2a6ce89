"""Energy-storage soft open point (ESOP), eqs. (6)-(11), (18), A2-A3.

Two voltage-source converters at buses i and j share a DC link (the virtual node k) with a
battery. Per period: converter injections P_i, Q_i, P_j, Q_j into the AC buses (Q independent),
capacity cones ||(P, Q)|| <= S, converter losses L >= A ||(P, Q)|| (tight whenever energy
costs money), the DC balance P_i + P_j + L_i + L_j + P_ch - P_dis = 0, and the battery (9).
States offline / charging / discharging: binary with MIP solvers; relaxed with Clarabel and
any simultaneous charge and discharge reported (``esop_simultaneous_max_mw``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from . import Block, to_buses
from .storage import BatteryData, energy_trajectory, simultaneous_mw, storage_variables

# Below this (MW) a battery power counts as zero when naming the state (our choice).
STATE_TOL_MW = 1e-5


@dataclass(frozen=True)
class EsopData:
    """ESOP parameters. Positions into the bus arrays; powers in MW.

    Attributes
    ----------
    bus_i, bus_j : int
    s_i_mva, s_j_mva : float
    loss_coeff : float
        A in L = A ||(P, Q)|| (PARAMETERS.md: 0.01-0.02).
    battery : BatteryData
    om_cost_per_day : float
        (18) as a function of installed capacities: SOP O&M (rate x investment x kVA / year)
        plus battery O&M per kWh of capacity and day.
    """

    bus_i: int
    bus_j: int
    s_i_mva: float
    s_j_mva: float
    loss_coeff: float
    battery: BatteryData
    om_cost_per_day: float

    @property
    def carbon0_t(self) -> float:
        return self.battery.carbon0_t

    @property
    def eta_dis(self) -> float:
        return self.battery.eta_dis


def esop_data(case, data) -> EsopData:
    """Build :class:`EsopData` from the case's ``[esop]`` settings."""
    s = case.settings["esop"]
    bat = BatteryData.from_settings(s["battery"])
    kva = (s["s_i_mva"] + s["s_j_mva"]) * 1000.0
    sop = s["sop_om_rate_per_year"] * s["sop_invest_per_kva"] * kva / s["days_per_year"]
    battery = s["battery_om_per_kwh_day"] * bat.e_max_mwh * 1000.0
    horizon_days = data.periods * data.dt_h / 24.0
    return EsopData(
        bus_i=data.net.bus_pos(s["bus_i"]),
        bus_j=data.net.bus_pos(s["bus_j"]),
        s_i_mva=s["s_i_mva"],
        s_j_mva=s["s_j_mva"],
        loss_coeff=s["loss_coeff"],
        battery=bat,
        om_cost_per_day=(sop + battery) * horizon_days,
    )


def esop_block(data, relax_integers: bool = True) -> Block:
    """ESOP variables and constraint families; terminal injections onto buses i and j."""
    e = data.esop
    T, n, base = data.periods, data.net.n_bus, data.base_mva
    p = cp.Variable((T, 2), name="esop_p_mw")
    q = cp.Variable((T, 2), name="esop_q_mvar")
    loss = cp.Variable((T, 2), nonneg=True, name="esop_loss_mw")
    s_max = np.tile([e.s_i_mva, e.s_j_mva], (T, 1)).ravel(order="F")
    pq = cp.vstack([cp.vec(p, order="F"), cp.vec(q, order="F")])
    bv, bc, bp = storage_variables("esop_battery", e.battery, T, data.dt_h, relax_integers)
    om = cp.Parameter(nonneg=True, name="esop_om_cost", value=e.om_cost_per_day)
    cons = {
        # A2: converter capacity ||(P, Q)|| <= S at each terminal.
        "esop_capacity": cp.SOC(s_max, pq, axis=0),
        # Converter loss L >= A ||(P, Q)||.
        "esop_converter_loss": cp.SOC(
            cp.vec(loss, order="F") / max(e.loss_coeff, 1e-12), pq, axis=0
        ),
        # DC link (node k): P_i + P_j + L_i + L_j + P_ch - P_dis = 0.
        "esop_dc_balance": cp.sum(p + loss, axis=1) + bv["charge"] - bv["discharge"] == 0,
        **bc,
    }
    if e.loss_coeff == 0:
        cons["esop_converter_loss"] = loss == 0
    bus = np.array([e.bus_i, e.bus_j])
    variables = {"p": p, "q": q, "loss": loss, **{f"battery_{k}": v for k, v in bv.items()}}
    return Block(
        "esop",
        variables,
        cons,
        p_bus=to_buses(p / base, bus, n),
        q_bus=to_buses(q / base, bus, n),
        costs={"esop": om},
        parameters={"e_max_mwh": bp["e_max_mwh"], "p_max_mw": bp["p_max_mw"], "om_cost": om},
    )


def esop_solution(model) -> dict[str, np.ndarray]:
    """ESOP arrays of a solved model (MW, Mvar, MWh)."""
    e = model.data.esop
    v = model.blocks["esop"].variables
    p, q, loss = (np.asarray(v[k].value, dtype=float) for k in ("p", "q", "loss"))
    ch = np.asarray(v["battery_charge"].value, dtype=float)
    dis = np.asarray(v["battery_discharge"].value, dtype=float)
    state = np.where(
        dis > STATE_TOL_MW, "discharging", np.where(ch > STATE_TOL_MW, "charging", "offline")
    )
    return {
        "p_i_mw": p[:, 0],
        "q_i_mvar": q[:, 0],
        "p_j_mw": p[:, 1],
        "q_j_mvar": q[:, 1],
        "loss_i_mw": loss[:, 0],
        "loss_j_mw": loss[:, 1],
        "charge_mw": ch,
        "discharge_mw": dis,
        "energy_mwh": energy_trajectory(e.battery, v["battery_energy"].value),
        "state": state,
    }


def esop_checks(data, sol) -> dict:
    """Simultaneous charge/discharge and converter-loss tightness."""
    e, s = data.esop, sol.esop
    need = e.loss_coeff * np.hypot(
        np.column_stack([s["p_i_mw"], s["p_j_mw"]]), np.column_stack([s["q_i_mvar"], s["q_j_mvar"]])
    )
    loss = np.column_stack([s["loss_i_mw"], s["loss_j_mw"]])
    return {
        "esop_simultaneous_max_mw": simultaneous_mw(s["charge_mw"], s["discharge_mw"]),
        "esop_converter_loss_gap_max_mw": float(np.max(loss - need)) if loss.size else 0.0,
        "esop_end_energy_mwh": float(s["energy_mwh"][-1]),
    }
