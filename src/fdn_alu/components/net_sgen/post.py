"""Curtailable static generators after the solve: output, carbon sources, sources.csv rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart
from fdn_alu.components.net_sgen.data import NetSgenData
from fdn_alu.model.block import Block
from fdn_alu.results.tables import source_rows


def net_sgen_solution(g: NetSgenData, block: Block, core) -> dict[str, np.ndarray]:
    """Dispatched and available output (T, g), MW / Mvar."""
    T, k, base = core.periods, len(g.names), core.base_mva
    if not k:
        z = np.zeros((T, 0))
        return {"p_net_sgen_mw": z, "q_net_sgen_mvar": z, "p_net_sgen_avail_mw": z}
    p = np.asarray(block.variables["p"].value) * base
    return {
        "p_net_sgen_mw": p,
        "q_net_sgen_mvar": g.q_per_p * p,
        "p_net_sgen_avail_mw": g.p_avail_pu * base,
    }


def net_sgen_carbon(g: NetSgenData, part: dict) -> CarbonPart:
    """Each generator is a zero-carbon source at its bus (the paper's convention for
    renewables; the net's sgen types are not given emission factors)."""
    p = part["p_net_sgen_mw"]
    return CarbonPart(sources=[(b, p[:, k], np.zeros(len(p))) for k, b in enumerate(g.bus)])


def net_sgen_source_rows(g: NetSgenData, part: dict, core) -> list[pd.DataFrame]:
    p = part["p_net_sgen_mw"]
    buses = [int(core.net.bus_ids[b]) for b in g.bus]
    return [
        source_rows(
            core, "sgen", g.names, buses, p, part["q_net_sgen_mvar"], np.zeros_like(p), False
        )
    ]
