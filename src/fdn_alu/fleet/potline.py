"""One potline model for the fleet and the day dispatch: the modulation band, ramp and output
curve of a line taken from a dispatch case's park settings (``components/park``), so that a
season plan's days are days the dispatch can run.

For a potline of ``cells`` cells with resistance R and back-EMF E per cell, rated current I_N,
the park's eq. (1) gives P(I) = cells (R I^2 + E I) and eq. (3) at rated temperature the output
y(I) = cells eta_N K_Al I (t/h). Per unit of the rated power P_N:

- current band: [P(i_min) / P_N, P(i_max) / P_N];
- thermal band, the power the bath can hold at rated temperature hour after hour:
  ``heat_balance`` c m dT = dt [(P - P_N) - k dT + H], |H| <= h_x P_N: at dT = 0 the exchangers
  balance P in [1 - h_x, 1 + h_x]; ``paper`` / ``quasi_static`` c m (T - T_0) = (P - P_N) tau
  (tau = 1 h, the dispatch period, or ``thermal_tau_h``): the window gives
  1 + c m (T_min|max - T_0) / (tau P_N);
- daily reach: the metal of one line-day between the dispatch's slowest path (ramp from rated
  down to the band floor, bath at its coldest: the least-power day makes this much) and its
  fastest (ramp up to the band top, bath at its hottest), ramp ``ramp_frac_per_h`` of P_N per
  hour, the dispatch day starting from P_N;
- output: the concave y(P) = cells eta_N K_Al I(P) replaced by its two chords, rated to each band
  edge (below the curve: the plan never counts on more metal than the dispatch makes on the
  same path at rated temperature).

A planned day's metal per online line inside the reach is a target the dispatch can meet and
that binds (the cheapest dispatch without it makes less), so its power-current cone is tight
and its production check passes (docs/FLEET.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdn_alu.cases import load_case
from fdn_alu.errors import Problem

#: MJ per MWh.
MJ_PER_MWH = 3600.0
#: Dispatch period the ``paper`` thermal window is evaluated at (h): the built-in cases' 1 h.
DISPATCH_DT_H = 1.0
#: Park keys a fleet region may override for its lines (the dispatchable thermal settings).
PARK_OVERRIDES = ("thermal_model", "heat_exchanger_frac")
#: Relative margin kept inside the dispatch's daily reach: our choice, 10x the dispatch's
#: production tolerance (1e-4) and below the 1.5 % its bath temperature can add or take away.
REACH_MARGIN = 1e-3


@dataclass(frozen=True)
class PotlineLimits:
    """Band, ramp and output chords of one potline size, per unit of its rated power.

    Attributes
    ----------
    line_mw : float
        Rated power P_N = cells (R I_N^2 + E I_N).
    t_per_h_rated : float
        Output at rated current and temperature, cells eta_N K_Al I_N / 1000.
    p_min_pu, p_max_pu : float
        The band: the tighter of the current and thermal bands.
    ramp_pu_per_h : float
    slope_dn, slope_up : float
        Output per MW of the chords below and above rated, relative to the rated average
        t_per_h_rated / line_mw (1 - m_up and 1 + m_dn of docs/FLEET.md eq. (6)).
    day_min_pu, day_max_pu : float
        Metal of one line-day on the dispatch's slowest and fastest paths from rated power,
        relative to a rated day, narrowed by :data:`REACH_MARGIN` (:func:`day_reach`).
    limits : dict
        Each band edge by its source (``current``, ``thermal``), pu.
    """

    line_mw: float
    t_per_h_rated: float
    p_min_pu: float
    p_max_pu: float
    ramp_pu_per_h: float
    slope_dn: float
    slope_up: float
    day_min_pu: float
    day_max_pu: float
    limits: dict

    @property
    def e_mwh_per_t(self) -> float:
        return self.line_mw / self.t_per_h_rated


def penalty_slope(p_min_frac: float, penalty_frac: float) -> float:
    """Slope m of the lost output, in MW of output per MW of |P - S nu| (capacity regions).

    Calibrated so that at the lower band edge P = p_min S the energy per tonne is
    ``1 + penalty_frac`` times the rated one: p_min / (p_min - m (1 - p_min)) = 1 + penalty_frac.
    """
    if penalty_frac <= 0.0 or p_min_frac >= 1.0:
        return 0.0
    return penalty_frac * p_min_frac / ((1.0 + penalty_frac) * (1.0 - p_min_frac))


def _current_at(a: float, b: float, p_mw: float) -> float:
    """I (kA) with a I^2 + b I = p_mw (the positive root)."""
    return (-b + np.sqrt(b * b + 4.0 * a * p_mw)) / (2.0 * a) if a > 0 else p_mw / b


def day_reach(p_min_pu: float, p_max_pu: float, ramp_pu_per_h: float, hours: int = 24):
    """The dispatch day's slowest and fastest power paths (pu, hourly) from rated power before
    hour 0: ramp to a band edge and hold (two adjustments at most). Any path within the band and
    the ramp lies between them hour by hour, and metal rises with power, so a day's metal lies
    between theirs."""
    h = np.arange(1, hours + 1)
    return np.maximum(p_min_pu, 1.0 - ramp_pu_per_h * h), np.minimum(
        p_max_pu, 1.0 + ramp_pu_per_h * h
    )


def potline_limits(park: dict, potline: dict) -> PotlineLimits:
    """Band, ramp and output chords of one potline under validated ``[park]`` settings.

    Parameters
    ----------
    park : dict
        Validated park settings (``Case.settings["park"]``).
    potline : dict
        One of ``park["potlines"]``.

    Returns
    -------
    PotlineLimits
    """
    n = float(potline["cells"])
    a = n * potline["r_cell_uohm"] * 1e-6  # MW / kA^2
    b = n * potline["e_cell_v"] * 1e-3  # MW / kA
    i_n = float(potline["i_rated_ka"])
    p_n = a * i_n**2 + b * i_n
    t_per_ka_h = n * park["eta_rated"] * park["k_al_kg_per_ka_h"] / 1000.0
    cur = (
        (a * (potline["i_min_frac"] * i_n) ** 2 + b * potline["i_min_frac"] * i_n) / p_n,
        (a * (potline["i_max_frac"] * i_n) ** 2 + b * potline["i_max_frac"] * i_n) / p_n,
    )
    model = park["thermal_model"]
    if model == "heat_balance":
        hx = park["heat_exchanger_frac"]
        therm = (1.0 - hx, 1.0 + hx)
    else:
        tau = DISPATCH_DT_H if model == "paper" else park["thermal_tau_h"]
        cm = n * park["heat_capacity_mj_per_k_per_cell"]
        per_k = cm / (tau * MJ_PER_MWH * p_n)  # pu of P_N per kelvin
        therm = (
            1.0 + per_k * (park["temp_min_c"] - park["temp_init_c"]),
            1.0 + per_k * (park["temp_max_c"] - park["temp_init_c"]),
        )
    lo, hi = max(cur[0], therm[0]), min(cur[1], therm[1])

    def out(p_pu: float) -> float:
        return t_per_ka_h * _current_at(a, b, p_pu * p_n)

    y_n = t_per_ka_h * i_n
    # the dispatch's bath may sit anywhere in its window: its slowest path can make metal at the
    # coldest bath's efficiency (the least-power day does: a cold bath needs less power), its
    # fastest path at least at the hottest's; a planned day between them binds the target
    a_t = park["eta_temp_coeff_per_k"]
    eta_cold = 1.0 + a_t * (park["temp_rated_c"] - park["temp_min_c"]) / park["eta_rated"]
    eta_hot = 1.0 - a_t * (park["temp_max_c"] - park["temp_rated_c"]) / park["eta_rated"]
    slow, fast = day_reach(lo, hi, float(park["ramp_frac_per_h"]))
    day_min = np.mean([out(p) for p in slow]) / y_n * eta_cold * (1.0 + REACH_MARGIN)
    day_max = np.mean([out(p) for p in fast]) / y_n * eta_hot * (1.0 - REACH_MARGIN)
    avg = y_n / p_n  # t per MWh at rated
    slope_dn = (y_n - out(lo)) / ((1.0 - lo) * p_n) / avg if lo < 1.0 else 1.0
    slope_up = (out(hi) - y_n) / ((hi - 1.0) * p_n) / avg if hi > 1.0 else 1.0
    return PotlineLimits(
        line_mw=p_n,
        t_per_h_rated=y_n,
        p_min_pu=lo,
        p_max_pu=hi,
        ramp_pu_per_h=float(park["ramp_frac_per_h"]),
        slope_dn=float(slope_dn),
        slope_up=float(slope_up),
        day_min_pu=float(min(day_min, 1.0)),
        day_max_pu=float(max(day_max, 1.0)),
        limits={"current": list(cur), "thermal": list(therm), "thermal_model": model},
    )


def regions_from_case(i: int, r: dict, problems: list[Problem]) -> list[dict]:
    """Fleet regions of a dispatch case's park: one region per distinct potline size, its band,
    ramp and output chords from the park settings with the region's overrides
    (:data:`PARK_OVERRIDES`); ``dispatch_park`` records the case and the overrides, which
    :func:`fdn_alu.studies.season_day.day_case` applies to the dispatched day."""
    where = f"region[{i}]"
    over = {k: r[k] for k in PARK_OVERRIDES if k in r}
    try:
        case = load_case(r["from_case"])
        park = case.settings.get("park") or {}
        if park and over:
            case = case.with_settings(park={**park, **over})
            park = case.settings["park"]
    except Exception as e:  # any load or validation failure is an input problem of this fleet
        problems.append(Problem(f"{where}.from_case", f"cannot use the case's park: {e}"))
        return []
    pls = park.get("potlines") or []
    if not pls:
        problems.append(Problem(f"{where}.from_case", "the case has no park potlines"))
        return []
    lims = [potline_limits(park, pl) for pl in pls]
    keys = [(round(x.line_mw, 9), round(x.e_mwh_per_t, 9)) for x in lims]
    sizes = sorted(set(keys))
    out = []
    for j, key in enumerate(sizes):
        lim = lims[keys.index(key)]
        reg = {k: v for k, v in r.items() if k not in ("from_case", *PARK_OVERRIDES)}
        reg.setdefault("name", r["from_case"] + ("" if len(sizes) == 1 else f"-{j}"))
        reg.update(
            lines=keys.count(key),
            line_mw=lim.line_mw,
            energy_mwh_per_t=lim.e_mwh_per_t,
            limits=lim,
            dispatch_park={"case": r["from_case"], **over},
        )
        out.append(reg)
    return out
