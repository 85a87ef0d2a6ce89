"""Gas micro-turbine of the park, eq. (14), with an optional part-load curve and commitment.

Without a curve (the paper's model): p_min <= P_t <= p_max, cost c P, emissions e P.

With a part-load curve (``part_load_pu``, ``part_load_rel_efficiency``): the turbine is on
(u_t = 1) or off (u_t = 0); fuel counted at rated efficiency F_t >= a_k u_t + b_k P_t for
every segment k (the perspective of the convex piecewise-linear on-state curve, so F = 0 when
off), P_min,on u_t <= P_t <= p_max u_t; cost c F, emissions e F. Fuel per MWh, F / P, rises
as output falls (a_k > 0 is the no-load fuel), so holding headroom costs fuel and CO2. Conic
solvers relax u to [0, 1] between Parameters; :func:`turbine_integer_fix` fixes it to 0/1
(on wherever the relaxed u is positive) and the solve layer re-solves.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.park.data import GasTurbineData
from fdn_alu.components.sequence import IntegerFix

# A relaxed on-status counts as fractional between these (our choice, far above solver noise).
ON_TOL = 1e-6


def turbine_model(g: GasTurbineData, T: int, dt: float, relax_integers: bool):
    """Variables, constraint families, parameters, cost and emissions of the turbine."""
    gas = cp.Variable(T, name="park_gas_turbine_mw")
    variables = {"gas_turbine": gas}
    params: dict = {}
    cons: dict = {}
    if T > 1:  # no ramp limit into period 0: the turbine's prior state is not modelled
        cons["gas_turbine_ramp"] = cp.abs(gas[1:] - gas[:-1]) <= g.ramp_mw_per_h * dt
    if not g.committed:
        cons["gas_turbine_limits"] = [gas >= g.p_min_mw, gas <= g.p_max_mw]
        fuel = gas
    else:
        if relax_integers:
            on = cp.Variable(T, name="park_gas_turbine_on")
            params["gt_on_lo"] = cp.Parameter(T, name="gt_on_lo", value=np.zeros(T))
            params["gt_on_hi"] = cp.Parameter(T, name="gt_on_hi", value=np.ones(T))
            cons["gas_turbine_on_bounds"] = [on >= params["gt_on_lo"], on <= params["gt_on_hi"]]
        else:
            on = cp.Variable(T, name="park_gas_turbine_on", boolean=True)
        fuel = cp.Variable(T, nonneg=True, name="park_gas_turbine_fuel_mw")
        a, b = g.fuel_segments()
        cons["gas_turbine_limits"] = [gas >= g.p_min_on_mw * on, gas <= g.p_max_mw * on]
        cons["gas_turbine_fuel"] = (
            cp.reshape(fuel, (T, 1), order="F")
            >= cp.reshape(on, (T, 1), order="F") @ a[None, :]
            + cp.reshape(gas, (T, 1), order="F") @ b[None, :]
        )
        variables.update(gas_turbine_on=on, gas_turbine_fuel=fuel)
    cost = g.cost_per_mwh * cp.sum(fuel) * dt
    emissions = g.ci_kg_per_mwh * cp.sum(fuel) * dt / 1000.0
    return variables, cons, params, cost, emissions


def turbine_headroom(g: GasTurbineData, variables: dict):
    """Up and down headroom (T,) in MW around the dispatched output (zero when off)."""
    gas = variables["gas_turbine"]
    if not g.committed:
        return g.p_max_mw - gas, gas - g.p_min_mw
    on = variables["gas_turbine_on"]
    return g.p_max_mw * on - gas, gas - g.p_min_on_mw * on


def turbine_integer_fix(g: GasTurbineData | None, variables: dict, params: dict):
    """Relax-and-fix of the on-status: on wherever the relaxed u is positive."""
    if g is None or not g.committed or "gt_on_lo" not in params:
        return None
    on = variables["gas_turbine_on"]

    def violated() -> bool:
        u = np.asarray(on.value)
        return bool(np.any((u > ON_TOL) & (u < 1 - ON_TOL)))

    def fix() -> None:
        pattern = (np.asarray(on.value) > ON_TOL).astype(float)
        params["gt_on_lo"].value = params["gt_on_hi"].value = pattern

    return IntegerFix("park gas turbine commitment", violated, fix)


def turbine_ci(g: GasTurbineData | None, gas_mw: np.ndarray, fuel_mw: np.ndarray | None):
    """Emission intensity of the turbine's output per period (kg/MWh): e F / P with the
    part-load curve, e without."""
    T = len(gas_mw)
    if g is None:
        return np.zeros(T)
    if fuel_mw is None:
        return np.full(T, g.ci_kg_per_mwh)
    ratio = np.divide(fuel_mw, gas_mw, out=np.ones(T), where=np.abs(gas_mw) > 1e-12)
    return g.ci_kg_per_mwh * ratio
