"""Aluminium park (EAIP) model block, eqs. (1)-(4), (14), (17) and constraint A1: equations only.

Potline series n = 1..N at one feeder bus, behind a point of common coupling (PCC):

- (1) power-current cone P_n,t >= N_n (R_n I^2 + E_n I), exact whenever power costs money;
- (2) thermal window, ``paper`` model (as printed) or ``heat_balance`` model;
- (A1) operating states: ramp limit, at most K adjustments per day, no immediate reversal;
- (3) temperature-dependent current efficiency and the production target, as a convex inner
  approximation re-linearised by the solve layer (:func:`park_relinearisation`);
- (4) park balance with park PV, gas micro-turbine (14) and battery; the PCC draw enters the
  feeder's node balance at the park bus; running cost (17).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.park.data import MJ_PER_MWH, ParkData
from fdn_alu.components.park.states import state_pattern
from fdn_alu.components.park.turbine import turbine_model
from fdn_alu.components.sequence import IntegerFix, Reach, Relinearisation
from fdn_alu.model.block import Block, lagged, to_buses
from fdn_alu.model.storage import degradation_cost, storage_variables

# Convex-concave iterations on eta * I: a solution is exact when the true production error is
# below this (five times below the 1e-4 requirement).
PRODUCTION_TOL = 2e-5
# A potline's power change counts as an "adjustment" above this (MW): our choice, far above
# solver noise (1e-8) and far below any deliberate step.
ADJUST_TOL_MW = 1e-4


def park_block(park: ParkData, core, relax_integers: bool = True) -> Block:
    """All park variables and constraint families; the PCC draw as a bus injection.

    Variables (arrays (T, N) for potlines): ``current_pu`` (I / I_N), ``dtemp`` (T - T_N, K),
    ``power`` (MW), ``up``/``down`` (state indicators, A1), ``pcc``, ``pv``, ``gas_turbine``,
    battery; expressions ``current`` (kA) and ``temperature`` (deg C) built from the scaled
    variables. Parameters ``s_bar``, ``s_bar_sq`` (T, N) hold the linearisation point of the
    production constraint (3).
    """
    T, N, dt = core.periods, len(park.names), core.dt_h
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
        "power_current": pw
        >= cp.multiply((park.a_mw_per_ka2 * park.i_rated_ka**2)[None, :], cp.square(y))
        + cp.multiply((park.b_mw_per_ka * park.i_rated_ka)[None, :], y),
        "current_bounds": [
            y >= (park.i_min_ka / park.i_rated_ka)[None, :],
            y <= (park.i_max_ka / park.i_rated_ka)[None, :],
        ],
        "temperature_window": [
            dtemp >= park.temp_min_c - park.temp_rated_c,
            dtemp <= park.temp_max_c - park.temp_rated_c,
        ],
    }
    pw_prev = lagged(pw, park.p_rated_mw)  # potline power before each period; rated before 0
    thermal_vars, thermal_cons = _thermal(park, pw, pw_prev, dtemp, dt)
    cons.update(thermal_cons)
    states, state_cons, state_params = _operating_states(park, pw, pw_prev, T, relax_integers)
    cons.update(state_cons)
    prod_params, made_t = _production(park, y, dtemp, T, dt)
    cons["production"] = [made_t >= park.production_target_t]

    variables = {"current_pu": y, "dtemp": dtemp, "power": pw, **states, **thermal_vars}
    expressions = {"current": cur, "temperature": temp, "production_inner_t": made_t}
    pcc = cp.Variable(T, nonneg=True, name="park_pcc_mw")
    supply = pcc
    costs = {"eaip": park.running_cost_per_mwh * cp.sum(pw) * dt}
    emissions = {}
    if np.isfinite(park.pcc_max_mw):
        cons["pcc_max"] = pcc <= park.pcc_max_mw
    pv = cp.Variable(T, nonneg=True, name="park_pv_mw")
    cons["pv_available"] = pv <= park.pv_avail_mw
    supply = supply + pv
    variables.update(pcc=pcc, pv=pv)
    if park.gas_turbine is not None:
        gv, gc, gp, gcost, gemis = turbine_model(park.gas_turbine, T, dt, relax_integers)
        cons.update(gc)
        state_params.update(gp)
        costs["gas_turbine"] = gcost
        emissions["gas_turbine"] = gemis
        supply = supply + gv["gas_turbine"]
        variables.update(gv)
    if park.battery is not None:
        bv, bc, bp = storage_variables("battery", park.battery, T, dt, relax_integers)
        state_params.update({f"battery_{k}": v for k, v in bp.items()})
        cons.update(bc)
        supply = supply + bv["discharge"] - bv["charge"]
        # The battery's wear per MWh discharged (0 by default) is a cost of the park.
        for wear in degradation_cost(park.battery, bv["discharge"], dt):
            costs["eaip"] = costs["eaip"] + wear
        variables.update({f"battery_{k}": v for k, v in bv.items()})
    # (4): sum_n P_n = P_pcc + P_pv + P_MT + P_dis - P_ch.
    cons["balance"] = cp.sum(pw, axis=1) == supply
    if np.isfinite(park.footprint_max_t_per_t):
        # Footprint limit: PCC draw at the bus's consumption-based intensity (a Parameter the
        # solve layer moves to the carbon flow's value) plus own direct emissions, per tonne.
        bus_ci = cp.Parameter(T, nonneg=True, name="park_bus_ci_kg_per_mwh", value=np.zeros(T))
        state_params["bus_ci"] = bus_ci
        footprint_t = bus_ci @ pcc * dt / 1000.0 + sum(emissions.values())
        cons["footprint"] = footprint_t <= park.footprint_max_t_per_t * park.production_target_t
    n = core.net.n_bus
    base = core.base_mva
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
        parameters={**prod_params, **state_params},
        expressions=expressions,
    )


def _thermal(park: ParkData, pw, pw_prev, dtemp, dt: float) -> tuple[dict, dict]:
    """Thermal window (2).

    ``paper``: c_e m_e (T_t - T_{t-1}) = (P_t - P_{t-1}) dt, which is exactly what the
    window P_t in [P_{t-1} + c m (T_min - T_{t-1})/dt, P_{t-1} + c m (T_max - T_{t-1})/dt]
    implies together with T_min <= T_t <= T_max. It makes temperature an affine function of
    the current power level, T_t - T_0 = (P_t - P_0) dt / (c m), with a slope that scales
    with the period length.

    ``quasi_static``: c m (T_t - T_{t-1}) = (P_t - P_{t-1}) tau with a fixed reference time
    tau (``thermal_tau_h``, 1 h: the paper's relation at its own hourly period), so that
    T_t - T_0 = (P_t - P_0) tau / (c m) and the window allows the same power band at every
    time step (docs/THERMAL.md).

        ``heat_balance``: c m (T_t - T_{t-1}) = dt [(P_t - P_N) - k_loss (T_{t-1} - T_N) + H_t], a
    lumped balance of heat generated above rated against the extra heat loss of a hotter cell,
    with H_t the heat the potline's adjustable shell heat exchangers hold back (H_t > 0, running
    below rated power) or take away (H_t < 0), |H_t| <= ``heat_exchanger_mw`` (seed 000 §2:
    EnPot exchangers keep the heat balance over a +/-30 % power band). Without exchangers the
    balance pins each potline's energy over a day close to rated.
    Powers before the horizon are rated (P_0 = P_N), T_0 = ``temp_init_c``.

    Returns the exchanger variable (``heat_exchange``, MW, (T, N)) when there is one, and the
    constraint families.
    """
    c = park.heat_capacity_mj_per_k[None, :]
    p0 = park.p_rated_mw[None, :]
    dtemp_prev = lagged(dtemp, np.full(pw.shape[1], park.temp_init_c - park.temp_rated_c))
    variables, cons = {}, {}
    if park.thermal_model == "paper":
        rhs = (pw - pw_prev) * dt * MJ_PER_MWH
    elif park.thermal_model == "quasi_static":
        rhs = (pw - pw_prev) * park.thermal_tau_h * MJ_PER_MWH
    else:
        heat = pw - p0 - cp.multiply(park.heat_loss_mw_per_k[None, :], dtemp_prev)
        if np.any(park.heat_exchanger_mw > 0):
            h = cp.Variable(pw.shape, name="potline_heat_exchange_mw")
            cons["heat_exchanger"] = cp.abs(h) <= park.heat_exchanger_mw[None, :]
            heat = heat + h
            variables["heat_exchange"] = h
        rhs = heat * (dt * MJ_PER_MWH)
    cons["thermal"] = cp.multiply(c, dtemp - dtemp_prev) == rhs
    return variables, cons


def park_charged_draw(park: ParkData, block: Block) -> tuple[np.ndarray, cp.Expression]:
    """The park's draw from the network: its PCC power (T, 1) MW at its bus."""
    pcc = block.variables["pcc"]
    return np.array([park.bus]), cp.reshape(pcc, (pcc.shape[0], 1), order="F")


def park_intensity_parameters(park: ParkData, block: Block) -> list:
    """The footprint limit's bus intensity Parameter (T,) at the PCC bus, when a limit is set."""
    ci = block.parameters.get("bus_ci")
    return [] if ci is None else [(ci, np.array([park.bus]))]


def _operating_states(
    park: ParkData, pw, pw_prev, T: int, relax_integers: bool
) -> tuple[dict, dict, dict]:
    """Operating states (A1, our reading): rising / falling / steady.

    up_t, down_t in {0, 1}: P_t - P_{t-1} <= ramp up_t, P_{t-1} - P_t <= ramp down_t,
    up_t + down_t <= 1, sum_t (up_t + down_t) <= K, and no immediate reversal:
    up_t + down_{t+1} <= 1, down_t + up_{t+1} <= 1. For conic solvers the indicators are
    continuous between the Parameters ``up_lo <= up <= up_hi`` (likewise ``down``): [0, 1]
    relaxes them (only the ramp limit then binds exactly), and equal bounds fix a 0/1 pattern
    (see :func:`park_integer_fix`), which makes A1 exact.
    """
    N = pw.shape[1]
    ramp = park.ramp_mw[None, :]
    params = {}
    if relax_integers:
        up = cp.Variable((T, N), name="potline_up")
        down = cp.Variable((T, N), name="potline_down")
        for key in ("up_lo", "down_lo"):
            params[key] = cp.Parameter((T, N), name=f"potline_{key}", value=np.zeros((T, N)))
        for key in ("up_hi", "down_hi"):
            params[key] = cp.Parameter((T, N), name=f"potline_{key}", value=np.ones((T, N)))
    else:
        up = cp.Variable((T, N), name="potline_up", boolean=True)
        down = cp.Variable((T, N), name="potline_down", boolean=True)
    cons = {
        "ramp_up": pw - pw_prev <= cp.multiply(ramp, up),
        "ramp_down": pw_prev - pw <= cp.multiply(ramp, down),
        "one_state": up + down <= 1,
        "adjustment_count": cp.sum(up + down, axis=0) <= park.max_adjustments,
    }
    if relax_integers:
        cons["state_bounds"] = [
            up >= params["up_lo"],
            up <= params["up_hi"],
            down >= params["down_lo"],
            down <= params["down_hi"],
        ]
    if T > 1:
        cons["no_reversal"] = [up[:-1] + down[1:] <= 1, down[:-1] + up[1:] <= 1]
    return {"up": up, "down": down}, cons, params


def _production(park: ParkData, y, dtemp, T: int, dt: float) -> tuple[dict, cp.Expression]:
    """Production (3) as a concave lower bound of the bilinear eta * I (the target's left side).

    With y = I / I_N (so that eta and y are both ~1) and s = eta + y, d = eta - y,
    eta y = (s^2 - d^2) / 4. The convex s^2 is replaced by its tangent at s_bar (a lower
    bound) and the concave -d^2 is kept exact, so

        sum_{t,n} w [s_bar^2 + 2 s_bar (s - s_bar) - d^2] / 4 >= M_N,   w = N_n K dt I_N

    is convex and implies the true production >= M_N at every iterate (convex-concave
    procedure). Re-linearising at the last solution converges to a point where the tangent is
    exact; as production costs energy, the target is then met with equality.

    Returns the linearisation parameters and the lower bound (t, a concave expression).
    """
    N = y.shape[1]
    s0 = np.full((T, N), park.eta_rated + 1.0)
    s_bar = cp.Parameter((T, N), name="s_bar", value=s0)
    s_bar_sq = cp.Parameter((T, N), name="s_bar_sq", nonneg=True, value=s0**2)
    eta = park.eta_rated - park.eta_temp_coeff_per_k * dtemp
    w = park.cells[None, :] * park.k_al_kg_per_ka_h * dt * park.i_rated_ka[None, :] / 1000.0
    w = np.broadcast_to(w, (T, N))
    # s_bar^2 + 2 s_bar (s - s_bar) written as 2 s_bar s - s_bar^2: parameter times an affine
    # expression minus a parameter, so the problem stays DPP and re-solves skip compilation.
    tangent = cp.multiply(2 * s_bar, eta + y) - s_bar_sq
    made = (cp.sum(cp.multiply(w, tangent)) - cp.sum(cp.multiply(w, cp.square(eta - y)))) / 4
    return {"s_bar": s_bar, "s_bar_sq": s_bar_sq}, made


def park_relinearisation(park: ParkData, block: Block, core) -> Relinearisation:
    """The production constraint's convex-concave sequence (see :func:`_production`).

    ``error`` is the true production's relative excess over the target at the current
    solution; ``update`` moves the tangent point to ``s_bar = eta(T) + I / I_N`` of it.
    """
    params, expr = block.parameters, block.expressions

    def point() -> np.ndarray:
        cur = np.asarray(expr["current"].value)
        temp = np.asarray(expr["temperature"].value)
        return park.efficiency(temp) + cur / park.i_rated_ka[None, :]

    def start(s_bar: np.ndarray) -> None:
        params["s_bar"].value = s_bar
        params["s_bar_sq"].value = s_bar**2

    def made_t() -> float:
        cur = np.asarray(expr["current"].value)
        temp = np.asarray(expr["temperature"].value)
        return float(park.production_t(cur, temp, core.dt_h).sum())

    def error() -> float:
        return abs(made_t() - park.production_target_t) / park.production_target_t

    return Relinearisation(
        "park production",
        PRODUCTION_TOL,
        error,
        lambda: start(point()),
        point,
        start,
        "the target is not binding: the thermal window keeps power (and so production) "
        "above what the target needs",
        lambda: np.full(params["s_bar"].shape, park.eta_rated + 1.0),
        Reach(
            "park-production",
            expr["production_inner_t"],
            made_t,
            park.production_target_t,
            "park production",
            "t",
            ("park", "production_target_t"),
        ),
    )


def park_integer_fix(park: ParkData, block: Block, core) -> IntegerFix | None:
    """Relax-and-fix of the operating states (A1) for conic solvers.

    ``violated`` tells whether the relaxed schedule breaks A1 (more than K adjustments or an
    immediate reversal); ``fix`` sets the state bounds to the pattern of
    :func:`~fdn_alu.components.park.states.state_pattern` chosen from the relaxed schedule.
    """
    params = block.parameters
    if "up_lo" not in params:
        return None
    pw = block.variables["power"]

    def moves() -> np.ndarray:
        p = np.asarray(pw.value)
        return np.diff(np.vstack([park.p_rated_mw[None, :], p]), axis=0)

    def violated() -> bool:
        adjustments, reversals = count_moves(moves())
        return bool(adjustments.max(initial=0) > park.max_adjustments or reversals > 0)

    def fix() -> None:
        up, down = state_pattern(moves(), park.max_adjustments, ADJUST_TOL_MW)
        params["up_lo"].value = params["up_hi"].value = up
        params["down_lo"].value = params["down_hi"].value = down

    return IntegerFix("park operating states (A1)", violated, fix)


def count_moves(dp_mw: np.ndarray) -> tuple[np.ndarray, int]:
    """Adjustments per potline and immediate reversals of a schedule's power changes (T, N)."""
    moves = np.sign(np.where(np.abs(dp_mw) > ADJUST_TOL_MW, dp_mw, 0.0))
    reversals = int(np.sum((moves[:-1] * moves[1:]) < 0)) if len(moves) > 1 else 0
    return np.sum(moves != 0, axis=0), reversals
