"""Aluminium park after the solve: solution arrays, exactness checks, eaip.csv, carbon part,
sources.csv rows and energies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart, Source
from fdn_alu.components.park.data import ParkData
from fdn_alu.components.park.model import count_moves
from fdn_alu.components.park.turbine import turbine_ci
from fdn_alu.model.block import Block
from fdn_alu.model.storage import energy_trajectory, simultaneous_mw
from fdn_alu.results.tables import long_index, source_rows


def park_solution(park: ParkData, block: Block, core) -> dict[str, np.ndarray]:
    """Park arrays of a solved model (MW, kA, deg C, MWh)."""
    v = {**block.variables, **block.expressions}
    T = core.periods
    zeros = np.zeros(T)

    def val(key):
        return np.asarray(v[key].value, dtype=float) if key in v else zeros

    out = {
        "current_ka": val("current"),
        "potline_p_mw": val("power"),
        "temperature_c": val("temperature"),
        "pcc_mw": val("pcc"),
        "pv_mw": val("pv"),
        "gas_turbine_mw": val("gas_turbine"),
        "heat_exchange_mw": val("heat_exchange")
        if "heat_exchange" in v
        else np.zeros_like(val("power")),
        "battery_charge_mw": val("battery_charge"),
        "battery_discharge_mw": val("battery_discharge"),
        "up": val("up"),
        "down": val("down"),
    }
    if park.battery is not None:
        out["battery_energy_mwh"] = energy_trajectory(park.battery, val("battery_energy"))
    else:
        out["battery_energy_mwh"] = np.zeros(T + 1)
    fuel = val("gas_turbine_fuel") if "gas_turbine_fuel" in v else None
    out["gas_turbine_ci_kg_per_mwh"] = turbine_ci(park.gas_turbine, out["gas_turbine_mw"], fuel)
    out["gas_turbine_on"] = val("gas_turbine_on") if "gas_turbine_on" in v else zeros
    out["efficiency"] = park.efficiency(out["temperature_c"])
    out["production_t"] = park.production_t(out["current_ka"], out["temperature_c"], core.dt_h)
    return out


def park_checks(park: ParkData, pk: dict) -> dict:
    """Production error, cone residual, temperature window, operating-state counts (A1) and
    simultaneous charge and discharge of the park battery: every relaxation the park uses."""
    cur, pw = pk["current_ka"], pk["potline_p_mw"]
    need = park.a_mw_per_ka2[None, :] * cur**2 + park.b_mw_per_ka[None, :] * cur
    # Residual of (1) relative to the potline's rated power (its natural scale).
    cone = float(np.max(np.abs(pw - need) / park.p_rated_mw[None, :]))
    temp = pk["temperature_c"]
    adjustments, reversals = count_moves(np.diff(np.vstack([park.p_rated_mw[None, :], pw]), axis=0))
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
        "eaip_adjustments_max": int(adjustments.max(initial=0)),
        "eaip_adjustments_allowed": park.max_adjustments,
        "eaip_adjustments_over": int(max(adjustments.max(initial=0) - park.max_adjustments, 0)),
        "eaip_reversals": reversals,
        "park_battery_simultaneous_max_mw": simultaneous_mw(
            pk["battery_charge_mw"], pk["battery_discharge_mw"]
        ),
    }


def eaip_table(park: ParkData, pk: dict, core, cr, nodes: dict) -> tuple[pd.DataFrame, float]:
    """eaip.csv: a row per period and potline, plus a ``park`` row per period.

    Returns the table and the park's emissions over the horizon, eq. (5):
    C_Al,t = e_pcc,t P_pcc,t + e_MT P_MT,t + e_dis,t P_dis,t (t CO2).
    """
    T, N = core.periods, len(park.names)
    period, time_h = long_index(T, N, core.time_h)
    lines = pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "potline": np.tile(park.names, T),
            "current_ka": pk["current_ka"].ravel(),
            "p_mw": pk["potline_p_mw"].ravel(),
            "temperature_c": pk["temperature_c"].ravel(),
            "efficiency": pk["efficiency"].ravel(),
            "production_t": pk["production_t"].ravel(),
            "heat_exchange_mw": pk["heat_exchange_mw"].ravel(),
        }
    )
    e_pcc = cr.node_ci[:, park.bus]
    e_dis = cr.storage_discharge_ci.get("park_battery", np.zeros(T))
    emis = (
        (
            e_pcc * pk["pcc_mw"]
            + pk["gas_turbine_ci_kg_per_mwh"] * pk["gas_turbine_mw"]
            + e_dis * pk["battery_discharge_mw"]
        )
        * core.dt_h
        / 1000.0
    )
    rows = pd.DataFrame(
        {
            "period": np.arange(T),
            "time_h": core.time_h,
            "potline": "park",
            "p_mw": pk["potline_p_mw"].sum(axis=1),
            "production_t": pk["production_t"].sum(axis=1),
            "pcc_mw": pk["pcc_mw"],
            "pv_mw": pk["pv_mw"],
            "gas_turbine_mw": pk["gas_turbine_mw"],
            "battery_charge_mw": pk["battery_charge_mw"],
            "battery_discharge_mw": pk["battery_discharge_mw"],
            "battery_energy_mwh": pk["battery_energy_mwh"][1:],
            "pcc_ci_kg_per_mwh": e_pcc,
            "emissions_t": emis,
        }
    )
    table = pd.concat([lines, rows], ignore_index=True)
    table = table.sort_values(["period"], kind="stable").reset_index(drop=True)
    return table, float(emis.sum())


def park_footprint(park: ParkData, pk: dict, core, cr) -> tuple[float, float]:
    """The park's carbon footprint over the horizon (t CO2) and its production (t Al).

    Footprint = sum_t e_bus,t P_pcc,t dt + direct emissions of its own generation (gas
    turbine): the carbon that crosses the park's boundary, with the grid electricity at the
    consumption-based intensity of its bus (scope 2, location-based, at the bus rather than the
    grid average) and its own fuel (scope 1). The park battery only moves carbon already
    counted at the PCC, so it adds nothing (unlike eq. (5), which counts its discharge again).
    """
    e_pcc = cr.node_ci[:, park.bus]
    foot = (
        np.sum(e_pcc * pk["pcc_mw"] + park.gas_turbine_ci_kg_per_mwh * pk["gas_turbine_mw"])
        * core.dt_h
        / 1000.0
    )
    return float(foot), float(pk["production_t"].sum())


def park_source_rows(park: ParkData, pk: dict, core, cr) -> list[pd.DataFrame]:
    """sources.csv rows of the park battery's discharge (inside the park, no bus); park PV and
    the gas turbine are declared :class:`Source` objects of :func:`park_carbon`."""
    T = core.periods
    parts = []
    if park.battery is not None:
        parts.append(
            source_rows(
                core,
                "park_battery_discharge",
                ["park_battery"],
                [None],
                pk["battery_discharge_mw"][:, None],
                np.zeros((T, 1)),
                cr.storage_discharge_ci["park_battery"][:, None],
                direct=False,
            )
        )
    return parts


def park_carbon(park: ParkData, pk: dict, core, first_node: int) -> CarbonPart:
    """The park's internal bus is a virtual node behind the PCC: a link from the PCC bus, park
    PV (0 kg/MWh) and the gas turbine (its intensity) as sources, the park battery as storage."""
    T = core.periods
    node = first_node
    storages = []
    if park.battery is not None:
        storages.append(
            {
                "name": "park_battery",
                "node": node,
                "charge_mw": pk["battery_charge_mw"],
                "discharge_mw": pk["battery_discharge_mw"],
                "energy_mwh": pk["battery_energy_mwh"],
                "carbon0_t": park.battery.carbon0_t,
                "eta_dis": park.battery.eta_dis,
            }
        )
    return CarbonPart(
        n_virtual=1,
        nodes={"park": node},
        links=[(park.bus, node, pk["pcc_mw"])],
        sources=[
            Source(node, "park_pv", "park_pv", None, pk["pv_mw"], np.zeros(T)),
            *(
                [
                    Source(
                        node,
                        "gas_turbine",
                        "gas_turbine",
                        None,
                        pk["gas_turbine_mw"],
                        pk["gas_turbine_ci_kg_per_mwh"],
                        "gas_turbine",
                    )
                ]
                if park.gas_turbine is not None
                else []
            ),
        ],
        storages=storages,
    )


def park_energy(pk: dict, core) -> dict[str, float]:
    return {
        "gas_turbine": float(pk["gas_turbine_mw"].sum() * core.dt_h),
        "eaip": float(pk["potline_p_mw"].sum() * core.dt_h),
    }
