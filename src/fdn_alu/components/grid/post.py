"""Main grid after the solve: solution arrays, carbon source, sources.csv rows, energies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart
from fdn_alu.components.grid.data import GridData
from fdn_alu.model.block import Block
from fdn_alu.results.tables import source_rows


def grid_solution(block: Block, core) -> dict[str, np.ndarray]:
    """Import (positive) and reactive exchange at the root, MW / Mvar, (T,)."""
    base = core.base_mva
    return {
        "p_grid_mw": np.asarray(block.variables["p"].value)[:, 0] * base,
        "q_grid_mvar": np.asarray(block.variables["q"].value)[:, 0] * base,
    }


def grid_carbon(g: GridData, part: dict, core) -> CarbonPart:
    """The grid is a source at the root (import only; an export is consumption at the root)."""
    return CarbonPart(
        sources=[(core.net.root, np.maximum(part["p_grid_mw"], 0.0), g.ci_kg_per_mwh)]
    )


def grid_source_rows(g: GridData, part: dict, core) -> list[pd.DataFrame]:
    root_id = int(core.net.bus_ids[core.net.root])
    return [
        source_rows(
            core,
            "grid",
            ["grid"],
            [root_id],
            part["p_grid_mw"][:, None],
            part["q_grid_mvar"][:, None],
            g.ci_kg_per_mwh[:, None],
            direct=True,
        )
    ]


def grid_energy(part: dict, core) -> dict[str, float]:
    p, dt = part["p_grid_mw"], core.dt_h
    return {
        "grid_import": float(np.maximum(p, 0).sum() * dt),
        "grid_export": float(np.maximum(-p, 0).sum() * dt),
    }
