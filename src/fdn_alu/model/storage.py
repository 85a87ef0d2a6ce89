"""Battery storage shared by the park (eq. 4) and the ESOP (eq. 9).

E_t = E_{t-1} + eta_ch P_ch,t dt - P_dis,t dt / eta_dis, E_min <= E_t <= E_max, and an
end-of-horizon rule. Charging and discharging at once is excluded by a binary with MIP solvers;
with a conic solver the binary is relaxed to [0, 1] (which removes nothing) and any
simultaneous operation is detected and reported after the solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from fdn_alu.model.block import lagged
from fdn_alu.model.deploy import called_power, worst_case


@dataclass(frozen=True)
class BatteryData:
    """Battery parameters (MW, MWh, t CO2).

    Attributes
    ----------
    p_max_mw : float
        Charge and discharge power limit.
    e_min_mwh, e_max_mwh, e_init_mwh : float
    eta_ch, eta_dis : float
    carbon0_t : float
        Carbon stored at the start (``e_init_mwh`` x the initial intensity).
    end_rule : str
        ``ge_initial`` (E_T >= E_0), ``equal`` (E_T = E_0) or ``free``.
    degradation_cost_per_mwh : float
        Wear cost per MWh discharged (0: none, the paper's cost (18)).
    """

    p_max_mw: float
    e_min_mwh: float
    e_max_mwh: float
    e_init_mwh: float
    eta_ch: float
    eta_dis: float
    carbon0_t: float
    end_rule: str
    degradation_cost_per_mwh: float = 0.0

    @classmethod
    def from_settings(cls, s: dict) -> BatteryData:
        return cls(
            p_max_mw=s["p_max_mw"],
            e_min_mwh=s["e_min_mwh"],
            e_max_mwh=s["e_max_mwh"],
            e_init_mwh=s["e_init_mwh"],
            eta_ch=s["eta_ch"],
            eta_dis=s["eta_dis"],
            carbon0_t=s["e_init_mwh"] * s["ci_init_kg_per_mwh"] / 1000.0,
            end_rule=s["end_rule"],
            degradation_cost_per_mwh=s["degradation_cost_per_mwh"],
        )


def storage_variables(
    name: str,
    bat: BatteryData,
    periods: int,
    dt_h: float,
    relax_integers: bool,
    mw_per_unit: float = 1.0,
) -> tuple[dict[str, cp.Expression], dict[str, cp.Constraint], dict[str, cp.Parameter]]:
    """Variables and constraint families of one battery over T periods.

    The solver's variables are in units of ``mw_per_unit`` (MW, MWh per h): the feeder's power
    base, so that a 5 kWh street battery is O(1) like a 10 MWh one (docs/ARCHITECTURE.md,
    "Scaling"); the constraints are written on those units and the returned ``charge``,
    ``discharge``, ``energy`` are MW / MWh expressions.

    Returns
    -------
    variables : dict
        ``charge``, ``discharge`` (T,) MW, ``energy`` (T,) MWh at the end of each period,
        ``mode`` (T,) 1 = may charge, 0 = may discharge (boolean with MIP solvers).
    constraints : dict
        ``{name}_energy`` (9), ``{name}_energy_bounds``, ``{name}_end``, ``{name}_charge_max``,
        ``{name}_discharge_max`` (the exclusive-mode pair).
    parameters : dict
        ``e_max_mwh``, ``p_max_mw``: capacities, changeable between re-solves; with relaxed
        integers also ``mode_lo``, ``mode_hi`` (T,): the mode's bounds, [0, 1] to relax it,
        equal to fix a 0/1 pattern (relax-and-fix, see :func:`mode_pattern`).
    """
    T, unit = periods, float(mw_per_unit)
    ch = cp.Variable(T, nonneg=True, name=f"{name}_charge")
    dis = cp.Variable(T, nonneg=True, name=f"{name}_discharge")
    e = cp.Variable(T, name=f"{name}_energy")
    params = {}
    if relax_integers:
        mode = cp.Variable(T, name=f"{name}_mode")
        params["mode_lo"] = cp.Parameter(T, name=f"{name}_mode_lo", value=np.zeros(T))
        params["mode_hi"] = cp.Parameter(T, name=f"{name}_mode_hi", value=np.ones(T))
    else:
        mode = cp.Variable(T, boolean=True, name=f"{name}_mode")
    e_max = cp.Parameter(nonneg=True, name=f"{name}_e_max_mwh", value=bat.e_max_mwh)
    p_max = cp.Parameter(nonneg=True, name=f"{name}_p_max_mw", value=bat.p_max_mw)
    cons = {
        f"{name}_energy": e
        == lagged(e, bat.e_init_mwh / unit) + bat.eta_ch * ch * dt_h - dis * dt_h / bat.eta_dis,
        f"{name}_energy_bounds": [e >= bat.e_min_mwh / unit, e <= e_max / unit],
        f"{name}_charge_max": ch <= p_max / unit * mode,
        f"{name}_discharge_max": dis <= p_max / unit * (1 - mode),
    }
    if relax_integers:
        cons[f"{name}_mode_bounds"] = [mode >= params["mode_lo"], mode <= params["mode_hi"]]
    if bat.end_rule == "ge_initial":
        cons[f"{name}_end"] = e[T - 1] >= bat.e_init_mwh / unit
    elif bat.end_rule == "equal":
        cons[f"{name}_end"] = e[T - 1] == bat.e_init_mwh / unit
    if unit != 1.0:
        ch, dis, e = unit * ch, unit * dis, unit * e
    variables = {"charge": ch, "discharge": dis, "energy": e, "mode": mode}
    return variables, cons, {"e_max_mwh": e_max, "p_max_mw": p_max, **params}


def degradation_cost(bat: BatteryData, discharge_mw: cp.Expression, dt_h: float) -> list:
    """Wear cost of a battery: ``c_deg sum_t P_dis,t dt`` (currency), as a list of zero or one
    expression (empty when the cost is 0, so that the default model is unchanged)."""
    if bat.degradation_cost_per_mwh <= 0.0:
        return []
    return [bat.degradation_cost_per_mwh * dt_h * cp.sum(discharge_mw)]


def mode_pattern(charge: np.ndarray, discharge: np.ndarray) -> np.ndarray:
    """Charging mode per period from a relaxed schedule: 1 where it charges on balance."""
    return (np.asarray(charge) >= np.asarray(discharge)).astype(float)


def energy_trajectory(bat: BatteryData, energy_end: np.ndarray) -> np.ndarray:
    """Energy at the start of each period and at the end of the horizon, shape (T + 1,)."""
    return np.concatenate([[bat.e_init_mwh], np.asarray(energy_end, dtype=float)])


def simultaneous_mw(charge: np.ndarray, discharge: np.ndarray) -> float:
    """Largest min(charge, discharge) over the periods: 0 when never both at once."""
    if len(charge) == 0:
        return 0.0
    return float(np.max(np.minimum(charge, discharge)))


def storage_headroom(
    name: str, bat: BatteryData, variables: dict, p_max
) -> tuple[cp.Variable, cp.Variable, list]:
    """Reserve headroom a battery offers (T,), MW, within its power limit: ``up`` (more
    discharge or less charge) ``<= p_max - P_dis + P_ch`` and ``down <= p_max - P_ch + P_dis``.
    Its stored energy under a call is :func:`storage_deliverable`'s."""
    ch, dis = variables["charge"], variables["discharge"]
    T = ch.shape[0]
    up = cp.Variable(T, nonneg=True, name=f"{name}_reserve_up_mw")
    down = cp.Variable(T, nonneg=True, name=f"{name}_reserve_down_mw")
    return up, down, [up <= p_max - dis + ch, down <= p_max - ch + dis]


def storage_deliverable(name: str, bat: BatteryData, variables: dict, e_max, dt_h: float):
    """``deliverable(alloc, periods)`` of a battery's offer: the stored energy stays within
    [E_min, E_max] at the end of every period for a call of every product starting in any period
    (the schedule resumes after, so the energy moved stays moved): a call of x MW over n periods
    moves the energy by up to ``x dt min(t - s + 1, n) / eta_dis`` (the larger of x eta_ch and
    x / eta_dis), :func:`fdn_alu.model.deploy.worst_case`."""
    e = variables["energy"]

    def deliverable(alloc: dict, periods: dict) -> dict:
        cons, low, high = {}, 0, 0
        for p, x in alloc.items():
            z, c = worst_case(x, dt_h / bat.eta_dis, 1.0, periods[p], f"{name}_{p}_energy_mwh")
            cons[f"{name}_{p}_energy_called"] = c
            if p == "regulation_down":
                high = high + cp.sum(z, axis=1)
            else:
                low = low + cp.sum(z, axis=1)
        cons[f"{name}_energy_called"] = [e - low >= bat.e_min_mwh, e + high <= e_max]
        return cons

    return deliverable


def storage_replay(bat: BatteryData, sched: dict, alloc: dict, periods: dict, dt_h: float):
    """Worst-case deployment of a battery's allocations, replayed in numpy: every start period,
    each direction, all products of it at once for their durations, schedule resumed after;
    returns the largest stored-energy and power violations (MWh, MW)."""
    net = sched["discharge"] - sched["charge"]  # (T,)
    e_max, p_max = float(sched["e_max_mwh"]), float(sched["p_max_mw"])
    worst_e = worst_p = 0.0
    for direction, dp in called_power(alloc, periods).items():  # (S, T, 1) per start S
        p = net[None, :] + (1.0 if direction == "up" else -1.0) * dp[:, :, 0]
        dis, ch = np.maximum(p, 0.0), np.maximum(-p, 0.0)
        e = bat.e_init_mwh + np.cumsum(dt_h * (bat.eta_ch * ch - dis / bat.eta_dis), axis=1)
        worst_e = max(worst_e, float(np.max(bat.e_min_mwh - e)), float(np.max(e - e_max)))
        worst_p = max(worst_p, float(np.max(np.abs(p) - p_max)))
    return {
        "reserves_deployed_energy_mwh": max(worst_e, 0.0),
        "reserves_deployed_power_mw": max(worst_p, 0.0),
    }
