"""Feeder PV after the solve: solution arrays, its carbon sources, energies."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.base import CarbonPart, Source
from fdn_alu.components.pv.data import PvData
from fdn_alu.model.block import Block


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


def pv_carbon(pv: PvData, part: dict, core) -> CarbonPart:
    """PV is a zero-carbon source at its bus (no direct emission)."""
    p, q = part["p_pv_mw"], part["q_pv_mvar"]
    zero = np.zeros(len(p))
    return CarbonPart(
        sources=[
            Source(b, name, "pv", int(core.net.bus_ids[b]), p[:, k], zero, None, q[:, k])
            for k, (b, name) in enumerate(zip(pv.bus, pv.names, strict=True))
        ]
    )


def pv_energy(pv: PvData, part: dict, core) -> dict[str, float]:
    return {
        "pv": float(part["p_pv_mw"].sum() * core.dt_h),
        "pv_available": float(pv.p_avail_pu.sum() * core.base_mva * core.dt_h),
    }
