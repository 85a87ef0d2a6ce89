"""Controllable loads after the solve: draw, energy check, flex_load.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.flex_load.data import FlexLoadData
from fdn_alu.model.block import Block
from fdn_alu.results.tables import long_index


def flex_load_solution(block: Block) -> dict[str, np.ndarray]:
    return {"flex_load_p_mw": np.asarray(block.variables["p"].value, dtype=float)}


def flex_load_checks(d: FlexLoadData, part: dict, core) -> dict[str, float]:
    """Largest relative error of the drawn energy against each load's task."""
    made = part["flex_load_p_mw"].sum(axis=0) * core.dt_h
    err = np.abs(made - d.energy_mwh) / np.maximum(d.energy_mwh, 1e-9)
    return {"flex_load_energy_rel_err": float(err.max()) if err.size else 0.0}


def flex_load_table(d: FlexLoadData, part: dict, core, cr) -> pd.DataFrame:
    """flex_load.csv: a row per period and load, with the carbon its draw carries (the nodal
    intensity of its bus)."""
    T, k = core.periods, len(d.names)
    period, time_h = long_index(T, k, core.time_h)
    p = part["flex_load_p_mw"]
    ci = cr.node_ci[:, d.bus]
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "load": np.tile(d.names, T),
            "bus": np.tile(core.net.bus_ids[d.bus], T),
            "p_mw": p.ravel(),
            "ci_kg_per_mwh": ci.ravel(),
            "carbon_t": (p * ci * core.dt_h / 1000.0).ravel(),
        }
    )
