"""Reserve offers of the park (seed 002 §3.2): potline regulation band, gas micro-turbine
headroom, park battery; each deliverable for the worst-case call of every product.

A call of product k starts in any period s, lasts the product's duration (n_k periods) at the
allocation x_k[s], and the schedule resumes after (:mod:`fdn_alu.model.deploy`).

Potlines: a symmetric band r_n (constant over the cycle, seed 002: "the up and down adjusting
range should be consistent"), P_t -/+ r_n inside the power the current limits allow. For every
call, up (less draw) or down (more draw):

- bath temperature: the park's thermal model (2) applied to the call's power change moves the
  temperature by K[t, s] x[s] (``paper``/``quasi_static``: K = g during the call,
  g = dt 3600 / c (tau for quasi_static); ``heat_balance``: the first-order lag
  d_t = (1 - k dt 3600 / c) d_(t-1) + g u_t, which relaxes after the call), and the worst over
  every start keeps the window. With shell heat exchangers (``heat_balance``,
  ``heat_exchanger_frac`` > 0) the exchangers take the call's heat instead (our reading of seed
  000 §2: EnPot keeps the heat balance over a +/-30 % power band): H_t -/+ the call stays within
  +/- H_max and the bath keeps its schedule;
- production: the horizon's production falls by at most ``tol x target``
  (``reserve_production_tol``) for the worst call in each direction, by the linear bound
  Delta(eta y) = eta' dy + y d(eta): an up call loses at most eta_max x / P'(I_min) per period
  and gains at least y_min a_T |dT| (cooler bath); a down call gains at least
  eta_min x / P'(I_max) and loses at most y_max a_T dT;
- response: a rectifier moves the pot voltage within seconds (seed 002 §3.2; Alcoa follows 4-s
  AGC set-points): the full band in 4 s.

Regulation is energy-neutral over the day in expectation (seed 002 eq. 3: the AGC signal has
no mean); the model guarantees every single call instead of an expected split of the hours.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.base import ReserveOffer
from fdn_alu.components.park.data import MJ_PER_MWH, GasTurbineData, ParkData
from fdn_alu.components.park.turbine import turbine_headroom
from fdn_alu.model.block import Block
from fdn_alu.model.deploy import (
    DOWN,
    called_power,
    first_order_kernel,
    shift_down,
    window_max,
    worst_case,
)
from fdn_alu.model.storage import storage_deliverable, storage_headroom, storage_replay

REG = ("regulation_up", "regulation_down")
# Declared qualification (eq. 1 of seed 002): response s, duration h, notice h, and source.
POTLINE_QUAL = (4.0, 12.0, 0.0)
"""Seed 002 §3.2: voltage adjustment within seconds, following 4-s AGC signals (Alcoa); one-day
cycle with at most 12 h per direction; automatic AGC following needs no notice."""
POTLINE_FULL_BAND_S = 4.0
"""Seed 002 §3.2: "precisely achieved within seconds"; Alcoa Warrick follows AGC set-points sent
every 4 s (DOE workshop 2011): the full band within one 4-s step."""
TURBINE_QUAL = (10.0, 24.0, 0.0)
"""Our choice (check): a running micro-turbine follows set-points within seconds (Capstone
load-following); sustained as long as fuel flows; no notice while running. Its response rate is
its ramp limit (``ramp_mw_per_h``)."""
BATTERY_QUAL = (1.0, 1.0, 0.0)
"""Our choice: inverter response within a second (full power in 1 s); no notice."""


def park_offers(park: ParkData, block: Block, core) -> list:
    """The park's :class:`ReserveOffer` list (potlines, turbine, battery)."""
    T, dt, N = core.periods, core.dt_h, len(park.names)
    v = block.variables
    bus = park.bus
    offers = []
    if park.regulation_band_frac > 0:
        offers.append(_potline_offer(park, v, T, dt, N, bus))
    if park.gas_turbine is not None:
        offers.append(_turbine_offer(park.gas_turbine, v, T, dt, bus))
    if park.battery is not None:
        bv = {k[len("battery_") :]: x for k, x in v.items() if k.startswith("battery_")}
        p_max = block.parameters["battery_p_max_mw"]
        e_max = block.parameters["battery_e_max_mwh"]
        up, down, cons = storage_headroom("park_battery", park.battery, bv, p_max)
        offers.append(
            ReserveOffer(
                ["park_battery"],
                [REG],
                cp.reshape(up, (T, 1), order="F"),
                cp.reshape(down, (T, 1), order="F"),
                np.array([bus]),
                *[np.array([q]) for q in BATTERY_QUAL],
                constraints={"park_battery_power_headroom": cons},
                rate_mw_per_s=np.array([park.battery.p_max_mw / BATTERY_QUAL[0]]),
                deliverable=storage_deliverable("park_battery", park.battery, bv, e_max, dt),
                replay=(
                    storage_replay,
                    park.battery,
                    {
                        "charge": bv["charge"],
                        "discharge": bv["discharge"],
                        "e_max_mwh": e_max,
                        "p_max_mw": p_max,
                    },
                ),
            )
        )
    return offers


def thermal_gain_decay(park: ParkData, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Per potline (N,): temperature change per MW of the call's first period (K/MW) and the
    decay of the deviation per period (0: it follows the power)."""
    c = park.heat_capacity_mj_per_k
    if park.thermal_model == "quasi_static":
        return park.thermal_tau_h * MJ_PER_MWH / c, np.zeros_like(c)
    gain = dt * MJ_PER_MWH / c
    if park.thermal_model == "paper":
        return gain, np.zeros_like(c)
    return gain, 1.0 - park.heat_loss_mw_per_k * dt * MJ_PER_MWH / c


def potline_limits_mw(park: ParkData) -> tuple[np.ndarray, np.ndarray]:
    """Potline power at its lowest and highest current (N,), MW."""

    def p(i):
        return park.a_mw_per_ka2 * i**2 + park.b_mw_per_ka * i

    return p(park.i_min_ka), p(park.i_max_ka)


def _production_coeffs(park: ParkData, T: int, dt: float, n: int, kern: list, up: bool):
    """(T, N) upper bound of the production lost (t) per MW of a call starting in period s."""
    w = park.cells * park.k_al_kg_per_ka_h * dt * park.i_rated_ka / 1000.0  # t per unit y
    slope_lo = (2 * park.a_mw_per_ka2 * park.i_min_ka + park.b_mw_per_ka) * park.i_rated_ka
    slope_hi = (2 * park.a_mw_per_ka2 * park.i_max_ka + park.b_mw_per_ka) * park.i_rated_ka
    eta_hi = park.efficiency(np.array(park.temp_min_c))
    eta_lo = park.efficiency(np.array(park.temp_max_c))
    y_lo, y_hi = park.i_min_ka / park.i_rated_ka, park.i_max_ka / park.i_rated_ka
    count = np.minimum(n, T - np.arange(T))[:, None]  # periods of the call inside the horizon
    dtemp = np.column_stack([k.sum(axis=0) for k in kern])  # sum_t K[t, s], K per MW
    a_t = park.eta_temp_coeff_per_k
    if up:
        c = w * (eta_hi * count / slope_lo - a_t * y_lo * dtemp)
    else:
        c = w * (a_t * y_hi * dtemp - eta_lo * count / slope_hi)
    return np.maximum(c, 0.0)


def _potline_offer(park, v, T, dt, N, bus) -> ReserveOffer:
    pw, dtemp = v["power"], v["dtemp"]
    band = cp.Variable(N, nonneg=True, name="potline_band_mw")
    p_lo, p_hi = potline_limits_mw(park)
    band_t = np.ones((T, 1)) @ cp.reshape(band, (1, N), order="F")
    window = (park.temp_min_c - park.temp_rated_c, park.temp_max_c - park.temp_rated_c)
    gain, decay = thermal_gain_decay(park, dt)
    cons = {
        "potline_band_max": band <= park.regulation_band_frac * park.p_rated_mw,
        "potline_band_current": [pw - band_t >= p_lo[None, :], pw + band_t <= p_hi[None, :]],
    }

    exchangers = "heat_exchange" in v

    def deliverable(alloc: dict, periods: dict) -> dict:
        out, cool, heat = {}, 0, 0
        lost = {"up": 0, "down": 0}
        for p, x in alloc.items():
            n, is_up = periods[p], p not in DOWN
            if exchangers:
                # The shell exchangers take the call's heat: the bath keeps its schedule.
                m, c = window_max(x, n, f"potline_{p}_exchanged_mw")
                out[f"potline_{p}_exchanger_called"] = c
                kern = [np.zeros((T, T))] * N
            else:
                kern = [first_order_kernel(T, n, gain[i], decay[i]) for i in range(N)]
                m, c = worst_case(x, gain, decay, n, f"potline_{p}_dtemp_k")
                out[f"potline_{p}_thermal_called"] = c
            if is_up:
                cool = cool + m
            else:
                heat = heat + m
            coef = _production_coeffs(park, T, dt, n, kern, is_up)
            loss = cp.Variable(N, nonneg=True, name=f"potline_{p}_loss_t")
            out[f"potline_{p}_production_called"] = np.ones((T, 1)) @ cp.reshape(
                loss, (1, N), order="F"
            ) >= cp.multiply(coef, x)
            lost["up" if is_up else "down"] = lost["up" if is_up else "down"] + cp.sum(loss)
        if exchangers:  # an up call (less power) is held back, a down call taken away
            h, h_max = v["heat_exchange"], park.heat_exchanger_mw[None, :]
            out["potline_exchanger_range_called"] = [h + cool <= h_max, h - heat >= -h_max]
        else:
            out["potline_window_called"] = [dtemp - cool >= window[0], dtemp + heat <= window[1]]
        allowed = park.reserve_production_tol * park.production_target_t
        out["potline_production_called"] = [lost[d] <= allowed for d in lost]
        return out

    sched = {"power": pw}
    if "heat_exchange" in v:
        sched["heat_exchange"] = v["heat_exchange"]
    return ReserveOffer(
        list(park.names),
        [REG] * N,
        band_t,
        band_t,
        np.full(N, bus),
        *[np.full(N, q) for q in POTLINE_QUAL],
        constraints=cons,
        rate_mw_per_s=park.regulation_band_frac * park.p_rated_mw / POTLINE_FULL_BAND_S,
        deliverable=deliverable,
        replay=(potline_replay, park, sched),
    )


def simulate_temperature(park: ParkData, power_mw: np.ndarray, dt: float, heat=None):
    """Bath temperature (..., T, N) of the park's thermal model (2) for a power schedule
    (..., T, N), from rated power and ``temp_init_c`` before period 0 (numpy, step by step)."""
    c = park.heat_capacity_mj_per_k
    prev_p = np.broadcast_to(park.p_rated_mw, power_mw[..., 0, :].shape)
    temp = np.empty_like(power_mw)
    prev_t = np.full(prev_p.shape, park.temp_init_c)
    for t in range(power_mw.shape[-2]):  # a recursion in time (the replay, not the model)
        p = power_mw[..., t, :]
        if park.thermal_model == "paper":
            step = (p - prev_p) * dt * MJ_PER_MWH / c
        elif park.thermal_model == "quasi_static":
            step = (p - prev_p) * park.thermal_tau_h * MJ_PER_MWH / c
        else:
            h = 0.0 if heat is None else heat[..., t, :]
            loss = park.heat_loss_mw_per_k * (prev_t - park.temp_rated_c)
            step = (p - park.p_rated_mw - loss + h) * dt * MJ_PER_MWH / c
        temp[..., t, :] = prev_t + step
        prev_t, prev_p = temp[..., t, :], p
    return temp


def current_ka(park: ParkData, power_mw: np.ndarray) -> np.ndarray:
    """Potline current (kA) drawing ``power_mw``: the root of a I^2 + b I = P (eq. 1)."""
    a, b = park.a_mw_per_ka2, park.b_mw_per_ka
    return (-b + np.sqrt(b**2 + 4 * a * np.maximum(power_mw, 0.0))) / (2 * a)


def potline_replay(park: ParkData, sched: dict, alloc: dict, periods: dict, dt: float) -> dict:
    """Every start period, each direction, all products of it called at once at their
    allocations for their durations, schedule resumed after: the largest bath-temperature
    violation (K), power outside the current limits (MW) and the production shortfall beyond
    ``reserve_production_tol`` of the target (per unit of the target)."""
    pw = sched["power"]
    heat = sched.get("heat_exchange")
    p_lo, p_hi = potline_limits_mw(park)
    base_t = park.production_t(current_ka(park, pw), simulate_temperature(park, pw, dt, heat), dt)
    out = {k: 0.0 for k in ("temperature", "power", "production")}
    for direction, dp in called_power(alloc, periods).items():
        sign = -1.0 if direction == "up" else 1.0  # less draw is up
        p = pw[None] + sign * dp
        h = None if heat is None else heat[None] - sign * dp  # exchangers take the call's heat
        temp = simulate_temperature(park, p, dt, h)
        if h is not None:
            out["power"] = max(out["power"], float(np.max(np.abs(h) - park.heat_exchanger_mw)))
        made = park.production_t(current_ka(park, p), temp, dt).sum(axis=(1, 2))
        short = (base_t.sum() - made) / park.production_target_t - park.reserve_production_tol
        out["temperature"] = max(
            out["temperature"],
            float(np.max(park.temp_min_c - temp)),
            float(np.max(temp - park.temp_max_c)),
        )
        out["power"] = max(out["power"], float(np.max(p_lo - p)), float(np.max(p - p_hi)))
        out["production"] = max(out["production"], float(np.max(short)))
    return {
        "reserves_deployed_temperature_c": max(out["temperature"], 0.0),
        "reserves_deployed_power_mw": max(out["power"], 0.0),
        "reserves_deployed_production_rel": max(out["production"], 0.0),
    }


def _turbine_offer(g: GasTurbineData, v: dict, T: int, dt: float, bus: int) -> ReserveOffer:
    up, down = turbine_headroom(g, v)
    gas = v["gas_turbine"]

    def deliverable(alloc: dict, periods: dict) -> dict:
        if T < 2:
            return {}
        # Steps at a period boundary t: the schedule's change, every call of one direction
        # starting at t and every call of the other ending there.
        rise = fall = gas[1:] - gas[:-1]
        fall = -fall
        for p, x in alloc.items():
            start, end = x[1:, 0], shift_down(x, periods[p])[1:, 0]
            if p in DOWN:
                rise, fall = rise + end, fall + start
            else:
                rise, fall = rise + start, fall + end
        ramp = g.ramp_mw_per_h * dt
        return {"gas_turbine_ramp_called": [rise <= ramp, fall <= ramp]}

    sched = {"gas": gas}
    if g.committed:
        sched["on"] = v["gas_turbine_on"]
    return ReserveOffer(
        ["gas_turbine"],
        [(*REG, "spinning")],
        cp.reshape(up, (T, 1), order="F"),
        cp.reshape(down, (T, 1), order="F"),
        np.array([bus]),
        *[np.array([q]) for q in TURBINE_QUAL],
        rate_mw_per_s=np.array([g.ramp_mw_per_h / 3600.0]),
        deliverable=deliverable,
        replay=(turbine_replay, (g, dt), sched),
    )


def turbine_replay(gd: tuple, sched: dict, alloc: dict, periods: dict, dt: float) -> dict:
    """Worst-case calls of the turbine's allocations (numpy): output outside its limits while
    on, or a step between periods above its ramp (MW)."""
    g, _ = gd
    gas = sched["gas"]
    on = np.round(sched["on"]) if "on" in sched else np.ones_like(gas)
    lo = (g.p_min_on_mw if g.committed else g.p_min_mw) * on
    worst = 0.0
    for direction, dp in called_power(alloc, periods).items():
        p = gas[None] + (dp[:, :, 0] if direction == "up" else -dp[:, :, 0])
        worst = max(
            worst,
            float(np.max(lo - p)),
            float(np.max(p - g.p_max_mw * on)),
            float(np.max(np.abs(np.diff(p, axis=1)) - g.ramp_mw_per_h * dt, initial=0.0)),
        )
    return {"reserves_deployed_power_mw": max(worst, 0.0)}
