"""Aluminium park -> numeric data: potline series, thermal and production parameters, park PV,
gas micro-turbine, battery. Currents in kA, powers in MW, temperatures in deg C."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fdn_alu.errors import Problem
from fdn_alu.model.storage import BatteryData

MJ_PER_MWH = 3600.0


@dataclass(frozen=True)
class GasTurbineData:
    """Gas micro-turbine (14): limits (MW), ramp (MW/h), fuel cost, emission intensity."""

    p_min_mw: float
    p_max_mw: float
    ramp_mw_per_h: float
    cost_per_mwh: float
    ci_kg_per_mwh: float
    part_load_pu: tuple = ()
    part_load_rel_efficiency: tuple = ()

    @property
    def committed(self) -> bool:
        """With a part-load curve the turbine is on/off with no-load fuel (commitment)."""
        return len(self.part_load_pu) > 0

    @property
    def p_min_on_mw(self) -> float:
        """Lowest output while on: p_min_mw or the curve's first point."""
        first = self.part_load_pu[0] * self.p_max_mw if self.committed else 0.0
        return max(self.p_min_mw, first)

    def fuel_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """Fuel F(P) = max_k (a_k + b_k P) while on, in MWh of fuel per h counted at rated
        efficiency (so cost = cost_per_mwh F, CO2 = ci_kg_per_mwh F): the segments through
        the points (x_i p_max, x_i p_max / eta_rel,i); a_k > 0 is the no-load fuel, so fuel
        per MWh rises as output falls."""
        x = np.asarray(self.part_load_pu, float) * self.p_max_mw
        f = x / np.asarray(self.part_load_rel_efficiency, float)
        b = np.diff(f) / np.diff(x)
        a = f[:-1] - b * x[:-1]
        return a, b


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
    heat_exchanger_mw : ndarray (N,)
        Heat the shell exchangers can hold back or take away (heat-balance model), MW.
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
    gas_turbine : GasTurbineData or None
    battery : BatteryData or None
    footprint_max_t_per_t : float
        Limit on the park's footprint (t CO2 per t Al; inf when none).
    thermal_tau_h : float
        Reference time of the ``quasi_static`` thermal model (h).
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
    heat_exchanger_mw: np.ndarray
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
    gas_turbine: GasTurbineData | None
    battery: BatteryData | None
    regulation_band_frac: float = 0.0
    reserve_production_tol: float = 0.005
    footprint_max_t_per_t: float = np.inf
    thermal_tau_h: float = 1.0

    @property
    def gas_turbine_ci_kg_per_mwh(self) -> float:
        return self.gas_turbine.ci_kg_per_mwh if self.gas_turbine else 0.0

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


def park_data(s: dict, core, prof: dict[str, np.ndarray]) -> ParkData:
    """:class:`ParkData` from validated ``[park]`` settings and the resampled profiles."""
    lines = s["potlines"]
    cells = np.array([p["cells"] for p in lines], dtype=float)
    r_mohm = np.array([p["r_cell_uohm"] for p in lines]) * 1e-6  # MW per kA^2 per cell
    e_mv = np.array([p["e_cell_v"] for p in lines]) * 1e-3  # MW per kA per cell
    i_n = np.array([p["i_rated_ka"] for p in lines], dtype=float)
    a = cells * r_mohm
    b = cells * e_mv
    p_n = a * i_n**2 + b * i_n
    pv = s.get("pv")
    gas = s.get("gas_turbine")
    horizon_h = core.periods * core.dt_h
    adjustments = int(np.floor(s["max_adjustments"] * horizon_h / 24.0))
    park = ParkData(
        bus=core.net.bus_pos(s["bus"]),
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
        heat_exchanger_mw=s["heat_exchanger_frac"] * p_n,
        thermal_model=s["thermal_model"],
        thermal_tau_h=s["thermal_tau_h"],
        footprint_max_t_per_t=s["footprint_max_t_per_t"] or np.inf,
        temp_min_c=s["temp_min_c"],
        temp_max_c=s["temp_max_c"],
        temp_rated_c=s["temp_rated_c"],
        temp_init_c=s["temp_init_c"],
        eta_rated=s["eta_rated"],
        eta_temp_coeff_per_k=s["eta_temp_coeff_per_k"],
        k_al_kg_per_ka_h=s["k_al_kg_per_ka_h"],
        ramp_mw=s["ramp_frac_per_h"] * p_n * core.dt_h,
        max_adjustments=adjustments,
        production_target_t=0.0,
        running_cost_per_mwh=s["running_cost_per_mwh"],
        pcc_max_mw=s["pcc_max_mw"] if s["pcc_max_mw"] > 0 else np.inf,
        pcc_tan_phi=float(np.tan(np.arccos(s["pcc_pf"]))),
        pv_avail_mw=(prof[pv["profile"]] * pv["p_mw"]) if pv else np.zeros(core.periods),
        gas_turbine=_gas(gas) if gas else None,
        regulation_band_frac=s["regulation_band_frac"],
        reserve_production_tol=s["reserve_production_tol"],
        battery=BatteryData.from_settings(s["battery"]) if "battery" in s else None,
    )
    target = s["production_target_t"] or park.rated_production_t(horizon_h)
    return replace(park, production_target_t=target)


def _gas(g: dict) -> GasTurbineData:
    return GasTurbineData(
        **{k: v for k, v in g.items() if not k.startswith("part_load")},
        part_load_pu=tuple(g.get("part_load_pu") or ()),
        part_load_rel_efficiency=tuple(g.get("part_load_rel_efficiency") or ()),
    )


def park_problems(park: ParkData, horizon_h: float) -> list[Problem]:
    """Refuse targets no current inside the bounds can meet (at any window temperature)."""
    target = park.production_target_t
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
                "park",
                "production_target_t",
            )
        )
    if park.eta_rated + park.eta_temp_coeff_per_k * (park.temp_rated_c - park.temp_min_c) >= 1:
        problems.append(
            Problem(
                "[park].eta_temp_coeff_per_k",
                "efficiency would exceed 100 % inside the temperature window",
                "park",
                "eta_temp_coeff_per_k",
            )
        )
    return problems
