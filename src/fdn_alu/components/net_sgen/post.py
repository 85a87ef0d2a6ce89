"""Curtailable static generators after the solve: output, carbon sources, sources.csv rows."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.base import CarbonPart, Source
from fdn_alu.components.net_sgen.data import NetSgenData
from fdn_alu.model.block import Block


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


def net_sgen_carbon(g: NetSgenData, part: dict, core) -> CarbonPart:
    """Each generator is a zero-carbon source at its bus (the paper's convention for
    renewables; the net's sgen types are not given emission factors), declared once: its
    carbon-flow source and its sources.csv row (kind ``sgen``) both come from it."""
    p, q = part["p_net_sgen_mw"], part["q_net_sgen_mvar"]
    zero = np.zeros(len(p))
    return CarbonPart(
        sources=[
            Source(b, name, "sgen", int(core.net.bus_ids[b]), p[:, k], zero, None, q[:, k])
            for k, (b, name) in enumerate(zip(g.bus, g.names, strict=True))
        ]
    )
