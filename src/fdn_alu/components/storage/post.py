"""Stand-alone batteries after the solve: solution arrays, the exclusivity check, storage.csv,
their carbon part (a storage at the bus node) and sources.csv rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart
from fdn_alu.components.storage.data import StorageData
from fdn_alu.model.block import Block
from fdn_alu.model.storage import energy_trajectory, simultaneous_mw
from fdn_alu.results.tables import long_index, source_rows


def carbon_name(name: str) -> str:
    """Key of a battery in the carbon flow's storage tables (unique next to other storages)."""
    return f"storage:{name}"


def storage_solution(d: StorageData, block: Block) -> dict[str, np.ndarray]:
    """Arrays (T, k) in MW / Mvar, and the energy (T + 1, k) at the start of each period and
    at the end of the horizon, MWh."""
    v = block.variables

    def col(key: str) -> np.ndarray:
        return np.column_stack([np.asarray(v[f"{n}_{key}"].value, dtype=float) for n in d.names])

    energy = np.column_stack(
        [
            energy_trajectory(bat, v[f"{n}_energy"].value)
            for n, bat in zip(d.names, d.batteries, strict=True)
        ]
    )
    return {
        "storage_charge_mw": col("charge"),
        "storage_discharge_mw": col("discharge"),
        "storage_q_mvar": np.asarray(v["q"].value, dtype=float),
        "storage_energy_mwh": energy,
    }


def storage_checks(part: dict) -> dict[str, float]:
    """Largest simultaneous charge and discharge over batteries and periods (MW)."""
    ch, dis = part["storage_charge_mw"], part["storage_discharge_mw"]
    worst = [simultaneous_mw(ch[:, j], dis[:, j]) for j in range(ch.shape[1])]
    return {"storage_simultaneous_max_mw": max(worst, default=0.0)}


def storage_energy(part: dict, core) -> dict[str, float]:
    """Energy drawn from the network (charge) and delivered to it (discharge), MWh."""
    return {
        "storage_charge": float(part["storage_charge_mw"].sum() * core.dt_h),
        "storage_discharge": float(part["storage_discharge_mw"].sum() * core.dt_h),
    }


def storage_carbon(d: StorageData, part: dict) -> CarbonPart:
    """Each battery is a storage at its bus node: charging stores the carbon of the power it
    draws from the bus, discharging injects with the tank's intensity (eqs. (10)-(11))."""
    ch, dis, e = part["storage_charge_mw"], part["storage_discharge_mw"], part["storage_energy_mwh"]
    return CarbonPart(
        storages=[
            {
                "name": carbon_name(name),
                "node": int(d.bus[j]),
                "charge_mw": ch[:, j],
                "discharge_mw": dis[:, j],
                "energy_mwh": e[:, j],
                "carbon0_t": bat.carbon0_t,
                "eta_dis": bat.eta_dis,
            }
            for j, (name, bat) in enumerate(zip(d.names, d.batteries, strict=True))
        ]
    )


def storage_table(d: StorageData, part: dict, core, cr) -> pd.DataFrame:
    """storage.csv: a row per period and battery (energy and stored carbon at the end of the
    period; the intensity its discharge carries and that of its bus)."""
    T, k = core.periods, len(d.names)
    period, time_h = long_index(T, k, core.time_h)
    ch, dis = part["storage_charge_mw"], part["storage_discharge_mw"]
    keys = [carbon_name(n) for n in d.names]
    stored = np.column_stack([cr.storage_carbon_t[key][1:] for key in keys])
    dis_ci = np.column_stack([cr.storage_discharge_ci[key] for key in keys])
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "storage": np.tile(d.names, T),
            "bus": np.tile(core.net.bus_ids[d.bus], T),
            "charge_mw": ch.ravel(),
            "discharge_mw": dis.ravel(),
            "p_mw": (dis - ch).ravel(),
            "q_mvar": part["storage_q_mvar"].ravel(),
            "energy_mwh": part["storage_energy_mwh"][1:].ravel(),
            "stored_carbon_t": stored.ravel(),
            "discharge_ci_kg_per_mwh": dis_ci.ravel(),
            "bus_ci_kg_per_mwh": cr.node_ci[:, d.bus].ravel(),
        }
    )


def storage_source_rows(d: StorageData, part: dict, core, cr) -> list[pd.DataFrame]:
    """sources.csv rows: each battery's discharge, injected at its bus with the tank's
    intensity (its charging is a draw at the bus, like a load, in ``buses.csv`` p_net_mw)."""
    keys = [carbon_name(n) for n in d.names]
    return [
        source_rows(
            core,
            "storage_discharge",
            list(d.names),
            [int(b) for b in core.net.bus_ids[d.bus]],
            part["storage_discharge_mw"],
            np.zeros((core.periods, len(d.names))),
            np.column_stack([cr.storage_discharge_ci[key] for key in keys]),
            direct=False,
        )
    ]
