"""Electrolytic aluminium industrial park (EAIP), eqs. (1)-(5), (14), (17) and constraint A1.

Potline series n = 1..N at one feeder bus, behind a point of common coupling (PCC):

- (1) power-current cone P_n,t >= N_n (R_n I^2 + E_n I), exact whenever power costs money;
- (2) thermal window, ``paper`` model (as printed) or ``heat_balance`` model;
- (A1) operating states: ramp limit, at most K adjustments per day, no immediate reversal;
- (3) temperature-dependent current efficiency and the production target, solved by a
  convex-concave sequence on eta * I (see :func:`_production`, :func:`solve_with_production`);
- (4) park balance with park PV, gas micro-turbine (14) and battery; the PCC draw enters the
  feeder's node balance at the park bus; running cost (17).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np

from ..errors import Problem, raise_if_problems
from . import Block, flat_constraints, lagged, to_buses
from .storage import BatteryData, energy_trajectory, simultaneous_mw, storage_variables

MJ_PER_MWH = 3600.0
# Convex-concave iterations on eta * I: stop when the true production error is below this
# (five times below the 1e-4 requirement), or after MAX_ITERATIONS.
PRODUCTION_TOL = 2e-5
MAX_ITERATIONS = 30
# From this many bus-periods on, the production iterations start from a park-only presolve
# (our choice, measured: it saves one full solve on 3361 buses x 24 periods, 15 s instead of
# 28 s, while on 85 buses x 24 periods its ~0.13 s of compilation costs what it saves).
PRESOLVE_MIN = 5000
# A potline's power change counts as an "adjustment" above this (MW): our choice, far above
# solver noise (1e-8) and far below any deliberate step.
ADJUST_TOL_MW = 1e-4


@dataclass(frozen=True)
class ParkData:
    """Numeric park data. Currents in kA, powers in MW, temperatures in deg C.

    Attributes
    ----------
    bus : int
        Position of the PCC bus.
    names : list of str
        Potline names (N).
    cells : ndarray (N,)
    a_mw_per_ka2, b_mw_per_ka : ndarray (N,)
        Potline P(I) = a I^2 + b I with a = cells R, b = cells E (eq. 1).
    i_rated_ka, i_min_ka, i_max_ka, p_rated_mw : ndarray (N,)
    heat_capacity_mj_per_k, heat_loss_mw_per_k : ndarray (N,)
        Lumped per potline (cells x per-cell values).
    thermal_model : str
    temp_min_c, temp_max_c, temp_rated_c, temp_init_c : float
    eta_rated, eta_temp_coeff_per_k, k_al_kg_per_ka_h : float
    ramp_mw : ndarray (N,)
        Ramp limit per period.
    max_adjustments : int
        Per potline over the horizon.
    production_target_t : float
    running_cost_per_mwh : float
    pcc_max_mw : float
    pcc_tan_phi : float
    pv_avail_mw : ndarray (T,)
    gt : dict or None
    battery : BatteryData or None
    """

    bus: int
    names: list[str]
    cells: np.ndarray
    a_mw_per_ka2: np.ndarray
    b_mw_per_ka: np.ndarray
    i_rated_ka: np.ndarray
    i_min_ka: np.ndarray
    i_max_ka: np.ndarray
    p_rated_mw: np.ndarray
    heat_capacity_mj_per_k: np.ndarray
    heat_loss_mw_per_k: np.ndarray
    thermal_model: str
    temp_min_c: float
    temp_max_c: float
    temp_rated_c: float
    temp_init_c: float
    eta_rated: float
    eta_temp_coeff_per_k: float
    k_al_kg_per_ka_h: float
    ramp_mw: np.ndarray
    max_adjustments: int
    production_target_t: float
    running_cost_per_mwh: float
    pcc_max_mw: float
    pcc_tan_phi: float
    pv_avail_mw: np.ndarray
    gt: dict | None
    battery: BatteryData | None

    @property
    def gt_ci_kg_per_mwh(self) -> float:
        return self.gt["ci_kg_per_mwh"] if self.gt else 0.0

    def efficiency(self, temp_c: np.ndarray) -> np.ndarray:
        """Current efficiency (3): eta = eta_N + a (T_N - T)."""
        return self.eta_rated + self.eta_temp_coeff_per_k * (self.temp_rated_c - temp_c)

    def production_t(self, current_ka: np.ndarray, temp_c: np.ndarray, dt_h: float) -> np.ndarray:
        """Aluminium produced per period and potline (3), tonnes, shape (T, N)."""
        eff = self.efficiency(temp_c)
        return self.cells[None, :] * eff * self.k_al_kg_per_ka_h * current_ka * dt_h / 1000.0

    def rated_production_t(self, horizon_h: float) -> float:
        """Production at rated current and temperature over the horizon (the default target)."""
        return float(
            np.sum(self.cells * self.eta_rated * self.k_al_kg_per_ka_h * self.i_rated_ka)
            * horizon_h
            / 1000.0
        )


def park_data(case, data) -> ParkData:
    """Build :class:`ParkData` from the case's ``[park]`` settings and the model's time axis."""
    from ..cases.profiles import resample

    s = case.settings["park"]
    lines = s["potlines"]
    cells = np.array([p["cells"] for p in lines], dtype=float)
    r_mohm = np.array([p["r_cell_uohm"] for p in lines]) * 1e-6  # MW per kA^2 per cell
    e_mv = np.array([p["e_cell_v"] for p in lines]) * 1e-3  # MW per kA per cell
    i_n = np.array([p["i_rated_ka"] for p in lines], dtype=float)
    a = cells * r_mohm
    b = cells * e_mv
    p_n = a * i_n**2 + b * i_n
    prof = resample(case.profiles, case.settings["case"]["horizon_h"], data.periods)
    pv = s.get("pv")
    gt = s.get("gas_turbine")
    horizon_h = data.periods * data.dt_h
    adjustments = int(np.floor(s["max_adjustments"] * horizon_h / 24.0))
    park = ParkData(
        bus=data.net.bus_pos(s["bus"]),
        names=[p["name"] for p in lines],
        cells=cells,
        a_mw_per_ka2=a,
        b_mw_per_ka=b,
        i_rated_ka=i_n,
        i_min_ka=i_n * np.array([p["i_min_frac"] for p in lines]),
        i_max_ka=i_n * np.array([p["i_max_frac"] for p in lines]),
        p_rated_mw=p_n,
        heat_capacity_mj_per_k=cells * s["heat_capacity_mj_per_k_per_cell"],
        heat_loss_mw_per_k=cells * s["heat_loss_kw_per_k_per_cell"] / 1000.0,
        thermal_model=s["thermal_model"],
        temp_min_c=s["temp_min_c"],
        temp_max_c=s["temp_max_c"],
        temp_rated_c=s["temp_rated_c"],
        temp_init_c=s["temp_init_c"],
        eta_rated=s["eta_rated"],
        eta_temp_coeff_per_k=s["eta_temp_coeff_per_k"],
        k_al_kg_per_ka_h=s["k_al_kg_per_ka_h"],
        ramp_mw=s["ramp_frac_per_h"] * p_n * data.dt_h,
        max_adjustments=adjustments,
        production_target_t=0.0,
        running_cost_per_mwh=s["running_cost_per_mwh"],
        pcc_max_mw=s["pcc_max_mw"] if s["pcc_max_mw"] > 0 else np.inf,
        pcc_tan_phi=float(np.tan(np.arccos(s["pcc_pf"]))),
        pv_avail_mw=(prof[pv["profile"]] * pv["p_mw"]) if pv else np.zeros(data.periods),
        gt=dict(gt) if gt else None,
        battery=BatteryData.from_settings(s["battery"]) if "battery" in s else None,
    )
    target = s["production_target_t"] or park.rated_production_t(horizon_h)
    _check_park(park, target, horizon_h)
    return replace(park, production_target_t=target)


def _check_park(park: ParkData, target: float, horizon_h: float) -> None:
    """Refuse targets no current inside the bounds can meet (at any window temperature)."""
    eff_hi = park.efficiency(np.array(park.temp_min_c))
    eff_lo = park.efficiency(np.array(park.temp_max_c))
    k = park.cells * park.k_al_kg_per_ka_h * horizon_h / 1000.0
    most = float(np.sum(k * eff_hi * park.i_max_ka))
    least = float(np.sum(k * eff_lo * park.i_min_ka))
    problems = []
    if not least * (1 - 1e-9) <= target <= most * (1 + 1e-9):
        problems.append(
            Problem(
                "[park].production_target_t",
                f"{target:.4f} t is outside what the potlines can make over the horizon "
                f"({least:.4f} .. {most:.4f} t at their current limits)",
            )
        )
    if park.eta_rated + park.eta_temp_coeff_per_k * (park.temp_rated_c - park.temp_min_c) >= 1:
        problems.append(
            Problem(
                "[park].eta_temp_coeff_per_k",
                "efficiency would exceed 100 % inside the temperature window",
            )
        )
    raise_if_problems(problems, "invalid park settings")


def park_block(data, relax_integers: bool = True) -> Block:
    """All park variables and constraint families; the PCC draw as a bus injection.

    Variables (arrays (T, N) for potlines): ``current_pu`` (I / I_N), ``dtemp`` (T - T_N, K),
    ``power`` (MW), ``up``/``down`` (state indicators, A1), ``pcc``, ``pv``, ``gt``, battery;
    expressions ``current`` (kA) and ``temperature`` (deg C) built from the scaled variables.
    Parameters ``s_bar``, ``s_bar_sq`` (T, N) hold the linearisation point of the production
    constraint (3).
    """
    park = data.park
    T, N, dt = data.periods, len(park.names), data.dt_h
    # Scaled variables for conditioning: current per unit of rated, temperature as the
    # deviation from rated (K); the physical quantities are affine expressions of them.
    y = cp.Variable((T, N), name="potline_current_pu")
    dtemp = cp.Variable((T, N), name="potline_dtemp_k")
    cur = cp.multiply(y, park.i_rated_ka[None, :])
    temp = park.temp_rated_c + dtemp
    pw = cp.Variable((T, N), name="potline_p_mw")
    cons: dict = {
        # (1): P >= N (R I^2 + E I) as a convex cone; tight whenever power costs money.
        # Written in y = I / I_N so that the cone's entries are O(1).
        "eaip_power_current": pw
        >= cp.multiply((park.a_mw_per_ka2 * park.i_rated_ka**2)[None, :], cp.square(y))
        + cp.multiply((park.b_mw_per_ka * park.i_rated_ka)[None, :], y),
        "eaip_current_bounds": [
            y >= (park.i_min_ka / park.i_rated_ka)[None, :],
            y <= (park.i_max_ka / park.i_rated_ka)[None, :],
        ],
        "eaip_temperature_window": [
            dtemp >= park.temp_min_c - park.temp_rated_c,
            dtemp <= park.temp_max_c - park.temp_rated_c,
        ],
    }
    pw_prev = lagged(pw, park.p_rated_mw)  # potline power before each period; rated before 0
    cons.update(_thermal(park, pw, pw_prev, dtemp, dt))
    states, state_cons = _operating_states(park, pw, pw_prev, T, relax_integers)
    cons.update(state_cons)
    prod_params, prod_con = _production(park, y, dtemp, T, dt)
    cons["eaip_production"] = prod_con

    variables = {"current_pu": y, "dtemp": dtemp, "power": pw, **states}
    expressions = {"current": cur, "temperature": temp}
    pcc = cp.Variable(T, nonneg=True, name="park_pcc_mw")
    supply = pcc
    costs = {"eaip": park.running_cost_per_mwh * cp.sum(pw) * dt}
    emissions = {}
    if np.isfinite(park.pcc_max_mw):
        cons["park_pcc_max"] = pcc <= park.pcc_max_mw
    pv = cp.Variable(T, nonneg=True, name="park_pv_mw")
    cons["park_pv_available"] = pv <= park.pv_avail_mw
    supply = supply + pv
    variables.update(pcc=pcc, pv=pv)
    if park.gt:
        g = park.gt
        gt = cp.Variable(T, name="park_gt_mw")
        cons["gt_limits"] = [gt >= g["p_min_mw"], gt <= g["p_max_mw"]]
        if T > 1:  # no ramp limit into period 0: the turbine's prior state is not modelled
            cons["gt_ramp"] = cp.abs(gt[1:] - gt[:-1]) <= g["ramp_mw_per_h"] * dt
        costs["gas_turbine"] = g["cost_per_mwh"] * cp.sum(gt) * dt
        emissions["gas_turbine"] = g["ci_kg_per_mwh"] * cp.sum(gt) * dt / 1000.0
        supply = supply + gt
        variables["gt"] = gt
    if park.battery is not None:
        bv, bc, _ = storage_variables("park_battery", park.battery, T, dt, relax_integers)
        cons.update(bc)
        supply = supply + bv["discharge"] - bv["charge"]
        variables.update({f"battery_{k}": v for k, v in bv.items()})
    # (4): sum_n P_n = P_pcc + P_pv + P_MT + P_dis - P_ch.
    cons["park_balance"] = cp.sum(pw, axis=1) == supply
    n = data.net.n_bus
    base = data.base_mva
    bus = np.array([park.bus])
    p_bus = to_buses(cp.reshape(-pcc / base, (T, 1), order="F"), bus, n)
    q_bus = to_buses(cp.reshape(-pcc * park.pcc_tan_phi / base, (T, 1), order="F"), bus, n)
    return Block(
        "park",
        variables,
        cons,
        p_bus=p_bus,
        q_bus=q_bus,
        costs=costs,
        emissions_t=emissions,
        parameters=prod_params,
        expressions=expressions,
    )


def _thermal(park: ParkData, pw, pw_prev, dtemp, dt: float) -> dict:
    """Thermal window (2).

    ``paper``: c_e m_e (T_t - T_{t-1}) = (P_t - P_{t-1}) dt, which is exactly what the
    window P_t in [P_{t-1} + c m (T_min - T_{t-1})/dt, P_{t-1} + c m (T_max - T_{t-1})/dt]
    implies together with T_min <= T_t <= T_max. It makes temperature an affine function of
    the current power level, T_t - T_0 = (P_t - P_0) dt / (c m), with a slope that scales
    with the period length.

    ``heat_balance``: c m (T_t - T_{t-1}) = dt [(P_t - P_N) - k_loss (T_{t-1} - T_N)], a lumped
    balance of heat generated above rated against the extra heat loss of a hotter cell.
    Powers before the horizon are rated (P_0 = P_N), T_0 = ``temp_init_c``.
    """
    c = park.heat_capacity_mj_per_k[None, :]
    p0 = park.p_rated_mw[None, :]
    dtemp_prev = lagged(dtemp, np.full(pw.shape[1], park.temp_init_c - park.temp_rated_c))
    if park.thermal_model == "paper":
        rhs = (pw - pw_prev) * dt * MJ_PER_MWH
    else:
        rhs = (pw - p0 - cp.multiply(park.heat_loss_mw_per_k[None, :], dtemp_prev)) * (
            dt * MJ_PER_MWH
        )
    return {"eaip_thermal": cp.multiply(c, dtemp - dtemp_prev) == rhs}


def _operating_states(
    park: ParkData, pw, pw_prev, T: int, relax_integers: bool
) -> tuple[dict, dict]:
    """Operating states (A1, our reading): rising / falling / steady.

    up_t, down_t in {0, 1} (relaxed to [0, 1] for conic solvers):
    P_t - P_{t-1} <= ramp up_t, P_{t-1} - P_t <= ramp down_t, up_t + down_t <= 1,
    sum_t (up_t + down_t) <= K, and no immediate reversal: up_t + down_{t+1} <= 1,
    down_t + up_{t+1} <= 1. Relaxed, only the ramp limit binds exactly.
    """
    N = pw.shape[1]
    kw = {"bounds": [0, 1]} if relax_integers else {"boolean": True}
    up = cp.Variable((T, N), name="potline_up", **kw)
    down = cp.Variable((T, N), name="potline_down", **kw)
    ramp = park.ramp_mw[None, :]
    cons = {
        "eaip_ramp_up": pw - pw_prev <= cp.multiply(ramp, up),
        "eaip_ramp_down": pw_prev - pw <= cp.multiply(ramp, down),
        "eaip_one_state": up + down <= 1,
        "eaip_adjustment_count": cp.sum(up + down, axis=0) <= park.max_adjustments,
    }
    if T > 1:
        cons["eaip_no_reversal"] = [up[:-1] + down[1:] <= 1, down[:-1] + up[1:] <= 1]
    return {"up": up, "down": down}, cons


def _production(park: ParkData, y, dtemp, T: int, dt: float) -> tuple[dict, list]:
    """Production target (3) as a convex inner approximation of the bilinear eta * I.

    With y = I / I_N (so that eta and y are both ~1) and s = eta + y, d = eta - y,
    eta y = (s^2 - d^2) / 4. The convex s^2 is replaced by its tangent at s_bar (a lower
    bound) and the concave -d^2 is kept exact, so

        sum_{t,n} w [s_bar^2 + 2 s_bar (s - s_bar) - d^2] / 4 >= M_N,   w = N_n K dt I_N

    is convex and implies the true production >= M_N at every iterate (convex-concave
    procedure). Re-linearising at the last solution converges to a point where the tangent is
    exact; as production costs energy, the target is then met with equality.
    """
    N = y.shape[1]
    s0 = np.full((T, N), park.eta_rated + 1.0)
    s_bar = cp.Parameter((T, N), name="s_bar", value=s0)
    s_bar_sq = cp.Parameter((T, N), name="s_bar_sq", nonneg=True, value=s0**2)
    eta = park.eta_rated - park.eta_temp_coeff_per_k * dtemp
    w = park.cells[None, :] * park.k_al_kg_per_ka_h * dt * park.i_rated_ka[None, :] / 1000.0
    w = np.broadcast_to(w, (T, N))
    tangent = s_bar_sq + cp.multiply(2 * s_bar, eta + y - s_bar)
    made = (cp.sum(cp.multiply(w, tangent)) - cp.sum(cp.multiply(w, cp.square(eta - y)))) / 4
    return {"s_bar": s_bar, "s_bar_sq": s_bar_sq}, [made >= park.production_target_t]


def presolve_park(data) -> np.ndarray:
    """Linearisation point for (3) from the park alone, buying at the grid's prices.

    A small problem (the park block, its PCC draw priced at the TOU price and, where the
    scenario optimises it, the grid's carbon) solved to a converged production schedule with
    Clarabel in milliseconds. Starting the full problem's iterations there usually saves one
    full solve, because the network changes the park's schedule only a little.

    Returns
    -------
    ndarray (T, N)
        ``s_bar = eta(T) + I / I_N`` of the park-only schedule.
    """
    from ..solve import solve_model
    from .recipe import OBJECTIVE_SCALE, Model

    blk = park_block(data, relax_integers=True)
    pcc = blk.variables["pcc"]
    g = data.grid
    cost = g.price_per_mwh @ pcc * data.dt_h + cp.sum(cp.hstack(list(blk.costs.values())))
    if data.carbon_in_objective:
        carbon = g.ci_kg_per_mwh @ pcc * data.dt_h / 1000.0
        for e in blk.emissions_t.values():
            carbon = carbon + e
        cost = cost + g.carbon_price_per_t * carbon
    problem = cp.Problem(cp.Minimize(OBJECTIVE_SCALE * cost), flat_constraints([blk]))
    small = Model(data, {"park": blk}, problem, {}, {})
    _iterate_production(small, lambda: solve_model(small, "clarabel"), warn=False)
    expr = blk.expressions
    return (
        data.park.efficiency(np.asarray(expr["temperature"].value))
        + np.asarray(expr["current"].value) / data.park.i_rated_ka[None, :]
    )


def solve_with_production(model, solver: str, start: np.ndarray | None = None):
    """Solve, re-linearising the production constraint until it is exact.

    Each iteration sets ``s_bar = eta(T) + I / I_N`` from the last solution and re-solves the
    compiled problem (parameters only, no rebuild). Every iterate meets the true target
    (inner approximation); the loop stops when the true production exceeds the target by less
    than ``PRODUCTION_TOL`` (relative), or after ``MAX_ITERATIONS`` (then warns).

    Parameters
    ----------
    model : Model
    solver : str
    start : ndarray (T, N), optional
        First linearisation point (e.g. from :func:`presolve_park`, to reuse one across
        re-solves). When omitted: the park-only presolve for models of ``PRESOLVE_MIN``
        bus-periods or more, rated operation below.

    Returns
    -------
    (SolveInfo, int)
        The last solve's info (times summed over iterations) and the iteration count.
    """
    from ..solve import solve_model

    data = model.data
    if start is None and data.net.n_bus * data.periods >= PRESOLVE_MIN:
        start = presolve_park(data)
    if start is not None:
        model.blocks["park"].parameters["s_bar"].value = start
        model.blocks["park"].parameters["s_bar_sq"].value = start**2
    return _iterate_production(model, lambda: solve_model(model, solver))


def _iterate_production(model, solve, warn: bool = True):
    """The convex-concave loop of :func:`solve_with_production` around any ``solve()``."""
    park = model.data.park
    params = model.blocks["park"].parameters
    expr = model.blocks["park"].expressions
    dt = model.data.dt_h
    total_solver = total_wall = 0.0
    it = 0
    err = prev = np.inf
    while it < MAX_ITERATIONS:
        it += 1
        info = solve()
        total_solver += info.solver_s
        total_wall += info.solve_s
        cur = np.asarray(expr["current"].value)
        temp = np.asarray(expr["temperature"].value)
        made = park.production_t(cur, temp, dt).sum()
        err = abs(made - park.production_target_t) / park.production_target_t
        if err <= PRODUCTION_TOL or abs(err - prev) <= PRODUCTION_TOL * 1e-2:
            break
        prev = err
        s_new = park.efficiency(temp) + cur / park.i_rated_ka[None, :]
        params["s_bar"].value = s_new
        params["s_bar_sq"].value = s_new**2
    if err > PRODUCTION_TOL and warn:
        why = (
            "the target is not binding: the thermal window keeps power (and so production) "
            "above what the target needs"
            if abs(err - prev) <= PRODUCTION_TOL * 1e-2
            else f"no convergence in {MAX_ITERATIONS} iterations"
        )
        warnings.warn(f"production exceeds the target by {err:.2e} (relative): {why}", stacklevel=2)
    return replace(info, solver_s=total_solver, solve_s=total_wall), it


def park_solution(model) -> dict[str, np.ndarray]:
    """Park arrays of a solved model (MW, kA, deg C, MWh)."""
    park = model.data.park
    v = {**model.blocks["park"].variables, **model.blocks["park"].expressions}
    T = model.data.periods
    zeros = np.zeros(T)

    def val(key):
        return np.asarray(v[key].value, dtype=float) if key in v else zeros

    out = {
        "current_ka": val("current"),
        "potline_p_mw": val("power"),
        "temperature_c": val("temperature"),
        "pcc_mw": val("pcc"),
        "pv_mw": val("pv"),
        "gas_turbine_mw": val("gt"),
        "battery_charge_mw": val("battery_charge"),
        "battery_discharge_mw": val("battery_discharge"),
        "up": val("up"),
        "down": val("down"),
    }
    if park.battery is not None:
        out["battery_energy_mwh"] = energy_trajectory(park.battery, val("battery_energy"))
    else:
        out["battery_energy_mwh"] = np.zeros(T + 1)
    out["efficiency"] = park.efficiency(out["temperature_c"])
    out["production_t"] = park.production_t(
        out["current_ka"], out["temperature_c"], model.data.dt_h
    )
    return out


def eaip_checks(data, sol) -> dict:
    """Production error, cone residual, temperature window, operating-state counts."""
    park, pk = data.park, sol.park
    cur, pw = pk["current_ka"], pk["potline_p_mw"]
    need = park.a_mw_per_ka2[None, :] * cur**2 + park.b_mw_per_ka[None, :] * cur
    # Residual of (1) relative to the potline's rated power (its natural scale).
    cone = float(np.max(np.abs(pw - need) / park.p_rated_mw[None, :]))
    temp = pk["temperature_c"]
    dp = np.diff(np.vstack([park.p_rated_mw[None, :], pw]), axis=0)
    moves = np.sign(np.where(np.abs(dp) > ADJUST_TOL_MW, dp, 0.0))
    reversals = int(np.sum((moves[:-1] * moves[1:]) < 0)) if len(moves) > 1 else 0
    made = float(pk["production_t"].sum())
    return {
        "production_rel_err": abs(made - park.production_target_t) / park.production_target_t,
        "production_t": made,
        "production_target_t": park.production_target_t,
        "eaip_cone_gap_max": cone,
        "eaip_cone_gap_max_mw": float(np.max(np.abs(pw - need))),
        "eaip_temperature_range_c": [float(temp.min()), float(temp.max())],
        "eaip_temperature_violation_c": float(
            max(park.temp_min_c - temp.min(), temp.max() - park.temp_max_c, 0.0)
        ),
        "eaip_adjustments_max": int(np.max(np.sum(moves != 0, axis=0))),
        "eaip_adjustments_allowed": park.max_adjustments,
        "eaip_reversals": reversals,
        "park_battery_simultaneous_max_mw": simultaneous_mw(
            pk["battery_charge_mw"], pk["battery_discharge_mw"]
        ),
    }
