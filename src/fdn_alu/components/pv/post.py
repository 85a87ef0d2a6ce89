"""Feeder PV after the solve: solution arrays, carbon sources, sources.csv rows, energies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart
from fdn_alu.components.pv.data import PvData
from fdn_alu.model.block import Block
from fdn_alu.results.tables import source_rows


def pv_solution(pv: PvData, block: Block, core) -> dict[str, np.ndarray]:
    """Active and reactive output (T, k), MW / Mvar."""
    T, k, base = core.periods, len(pv.names), core.base_mva
    if not k:
        return {"p_pv_mw": np.zeros((T, 0)), "q_pv_mvar": np.zeros((T, 0))}
    v = block.variables
    return {
        "p_pv_mw": np.asarray(v["p"].value) * base,
        "q_pv_mvar": np.asarray(v["q"].value) * base,
    }


def pv_carbon(pv: PvData, part: dict) -> CarbonPart:
    """PV is a zero-carbon source at its bus."""
    p = part["p_pv_mw"]
    return CarbonPart(sources=[(b, p[:, k], np.zeros(len(p))) for k, b in enumerate(pv.bus)])


def pv_source_rows(pv: PvData, part: dict, core) -> list[pd.DataFrame]:
    p = part["p_pv_mw"]
    return [
        source_rows(
            core,
            "pv",
            pv.names,
            [int(core.net.bus_ids[b]) for b in pv.bus],
            p,
            part["q_pv_mvar"],
            np.zeros_like(p),
            direct=False,
        )
    ]


def pv_energy(pv: PvData, part: dict, core) -> dict[str, float]:
    return {
        "pv": float(part["p_pv_mw"].sum() * core.dt_h),
        "pv_available": float(pv.p_avail_pu.sum() * core.base_mva * core.dt_h),
    }
