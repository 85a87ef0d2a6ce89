"""Reserve offers of the park (seed 002 §3.2): potline regulation band, gas micro-turbine
headroom, park battery.

Potlines, eq. (3) of seed 002: a symmetric band r_n (constant over the cycle, "the up and
down adjusting range should be consistent") with P_t - r_n and P_t + r_n inside the power the
current limits allow (the fully deployed state, every period). The expected deployment of the
band: energies e_up,t, e_down,t >= 0 with e_up,t + e_down,t = r_n dt (the band used in full
every period, AGC following), sum_t e_up = sum_t e_down (eq. 3), and each direction at most
H = 12 h at full band: sum_t e_up <= H r_n (linear because the band is constant; with a
24-h cycle eq. 3 makes both exactly 12 h). The bath temperature along that deployment
(the park's thermal model applied to the power change (e_down - e_up) / dt) stays inside the
window. Production is met by the dispatched schedule; the deployment changes the potline's
energy by nothing over the cycle (eq. 3), so production only to second order (not enforced).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.base import ReserveOffer
from fdn_alu.components.park.data import MJ_PER_MWH, ParkData
from fdn_alu.components.park.turbine import turbine_headroom
from fdn_alu.model.block import Block, lagged
from fdn_alu.model.storage import storage_headroom

REG = ("regulation_up", "regulation_down")
# Declared qualification (eq. 1 of seed 002): response s, duration h, notice h, and source.
POTLINE_QUAL = (4.0, 12.0, 0.0)
"""Seed 002 §3.2: voltage adjustment within seconds, following 4-s AGC signals (Alcoa); one-day
cycle with at most 12 h per direction; automatic AGC following needs no notice."""
TURBINE_QUAL = (10.0, 24.0, 0.0)
"""Our choice (check): a running micro-turbine follows set-points within seconds (Capstone
load-following); sustained as long as fuel flows; no notice while running."""
BATTERY_QUAL = (1.0, 1.0, 0.0)
"""Our choice: inverter response within a second; state-of-charge headroom held for 1 h of full
deployment (the regulation product's t2 - t1); no notice."""


def park_offers(park: ParkData, block: Block, core, hours_max_h: float = 12.0) -> list:
    """The park's :class:`ReserveOffer` list (potlines, turbine, battery)."""
    T, dt, N = core.periods, core.dt_h, len(park.names)
    v = block.variables
    bus = park.bus
    offers = []
    if park.regulation_band_frac > 0:
        offers.append(_potline_offer(park, v, block, T, dt, N, bus, hours_max_h))
    if park.gas_turbine is not None:
        up, down = turbine_headroom(park.gas_turbine, v)
        offers.append(
            ReserveOffer(
                ["gas_turbine"],
                [(*REG, "spinning")],
                cp.reshape(up, (T, 1), order="F"),
                cp.reshape(down, (T, 1), order="F"),
                np.array([bus]),
                *[np.array([q]) for q in TURBINE_QUAL],
            )
        )
    if park.battery is not None:
        bv = {k[len("battery_") :]: x for k, x in v.items() if k.startswith("battery_")}
        p_max = block.parameters["battery_p_max_mw"]
        up, down, cons = storage_headroom("park_battery", park.battery, bv, p_max, BATTERY_QUAL[1])
        offers.append(
            ReserveOffer(
                ["park_battery"],
                [REG],
                cp.reshape(up, (T, 1), order="F"),
                cp.reshape(down, (T, 1), order="F"),
                np.array([bus]),
                *[np.array([q]) for q in BATTERY_QUAL],
                constraints={"park_battery_soc_headroom": cons},
            )
        )
    return offers


def _potline_offer(park, v, block, T, dt, N, bus, hours_max_h) -> ReserveOffer:
    pw, dtemp = v["power"], v["dtemp"]
    band = cp.Variable(N, nonneg=True, name="potline_band_mw")
    e_up = cp.Variable((T, N), nonneg=True, name="potline_reg_up_mwh")
    e_dn = cp.Variable((T, N), nonneg=True, name="potline_reg_down_mwh")
    p_lo = park.a_mw_per_ka2 * park.i_min_ka**2 + park.b_mw_per_ka * park.i_min_ka
    p_hi = park.a_mw_per_ka2 * park.i_max_ka**2 + park.b_mw_per_ka * park.i_max_ka
    band_t = np.ones((T, 1)) @ cp.reshape(band, (1, N), order="F")
    # Temperature change along the expected deployment, the park's thermal model (2) applied
    # to the power change dP = (e_down - e_up) / dt (rated before period 0: no change).
    dp = (e_dn - e_up) / dt
    dtd = cp.Variable((T, N), name="potline_reg_dtemp_k")
    c = park.heat_capacity_mj_per_k[None, :]
    zeros = np.zeros(N)
    if park.thermal_model == "paper":
        rhs = (dp - lagged(dp, zeros)) * dt * MJ_PER_MWH
    else:
        rhs = (dp - cp.multiply(park.heat_loss_mw_per_k[None, :], lagged(dtd, zeros))) * (
            dt * MJ_PER_MWH
        )
    window = (park.temp_min_c - park.temp_rated_c, park.temp_max_c - park.temp_rated_c)
    cons = {
        "potline_band_max": band <= park.regulation_band_frac * park.p_rated_mw,
        "potline_band_current": [pw - band_t >= p_lo[None, :], pw + band_t <= p_hi[None, :]],
        "potline_reg_use": e_up + e_dn == band_t * dt,
        "potline_reg_neutral": cp.sum(e_up, axis=0) == cp.sum(e_dn, axis=0),
        "potline_reg_hours": [
            cp.sum(e_up, axis=0) <= hours_max_h * band,
            cp.sum(e_dn, axis=0) <= hours_max_h * band,
        ],
        "potline_reg_thermal": cp.multiply(c, dtd - lagged(dtd, zeros)) == rhs,
        "potline_reg_window": [dtemp + dtd >= window[0], dtemp + dtd <= window[1]],
    }
    return ReserveOffer(
        list(park.names),
        [REG] * N,
        band_t,
        band_t,
        np.full(N, bus),
        *[np.full(N, q) for q in POTLINE_QUAL],
        constraints=cons,
        deployed_up_mwh=e_up,
        deployed_down_mwh=e_dn,
    )
