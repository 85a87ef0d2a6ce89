"""Main grid after the solve: solution arrays, its carbon source, energies."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.base import CarbonPart, Source
from fdn_alu.components.grid.data import GridData
from fdn_alu.model.block import Block


def grid_solution(block: Block, core) -> dict[str, np.ndarray]:
    """Import (positive) and reactive exchange at the root, MW / Mvar, (T,)."""
    base = core.base_mva
    return {
        "p_grid_mw": np.asarray(block.variables["p"].value)[:, 0] * base,
        "q_grid_mvar": np.asarray(block.variables["q"].value)[:, 0] * base,
    }


def grid_carbon(g: GridData, part: dict, core) -> CarbonPart:
    """The grid is a source at the root, the one declaration of its emissions ("grid"); an
    export (negative import) is consumption at the root and earns no carbon credit."""
    return CarbonPart(
        sources=[
            Source(
                node=core.net.root,
                name="grid",
                kind="grid",
                bus_id=int(core.net.bus_ids[core.net.root]),
                p_mw=part["p_grid_mw"],
                ci_kg_per_mwh=g.ci_kg_per_mwh,
                emission="grid",
                q_mvar=part["q_grid_mvar"],
            )
        ]
    )


def grid_energy(part: dict, core) -> dict[str, float]:
    p, dt = part["p_grid_mw"], core.dt_h
    return {
        "grid_import": float(np.maximum(p, 0).sum() * dt),
        "grid_export": float(np.maximum(-p, 0).sum() * dt),
    }
