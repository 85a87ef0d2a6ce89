"""Main grid after the solve: solution arrays, its carbon source, energies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart, Source
from fdn_alu.components.grid.data import GridData
from fdn_alu.model.block import Block


def grid_solution(block: Block, core) -> dict[str, np.ndarray]:
    """Import (positive) and reactive exchange in total (T,) and per root (T, s), MW / Mvar."""
    base = core.base_mva
    p = np.asarray(block.variables["p"].value).reshape(core.periods, -1) * base
    q = np.asarray(block.variables["q"].value).reshape(core.periods, -1) * base
    return {
        "p_grid_mw": p.sum(axis=1),
        "q_grid_mvar": q.sum(axis=1),
        "p_grid_root_mw": p,
        "q_grid_root_mvar": q,
    }


def grid_carbon(g: GridData, part: dict, core) -> CarbonPart:
    """The grid is a source at each root, the one declaration of its emissions ("grid"):
    named ``grid`` (one root) or ``grid@BUS`` in sources.csv; an export (negative import) is
    consumption at that root and earns no carbon credit."""
    p, q = part["p_grid_root_mw"], part["q_grid_root_mvar"]
    ids = [int(b) for b in core.net.bus_ids[core.net.roots]]
    names = ["grid"] if len(ids) == 1 else [f"grid@{b}" for b in ids]
    return CarbonPart(
        sources=[
            Source(
                node=int(r),
                name=names[k],
                kind="grid",
                bus_id=ids[k],
                p_mw=p[:, k],
                ci_kg_per_mwh=g.ci_kg_per_mwh,
                emission="grid",
                q_mvar=q[:, k],
            )
            for k, r in enumerate(core.net.roots)
        ]
    )


def grid_energy(part: dict, core) -> dict[str, float]:
    p, dt = part["p_grid_root_mw"], core.dt_h
    return {
        "grid_import": float(np.maximum(p, 0).sum() * dt),
        "grid_export": float(np.maximum(-p, 0).sum() * dt),
    }


def grid_roots_table(g: GridData, part: dict, core) -> dict[str, pd.DataFrame]:
    """grid_roots.csv when the net has several substations: per period and root the import,
    its purchase cost (13) and its emissions (import only), which sum to the summary's totals."""
    roots = core.net.roots
    if len(roots) < 2:
        return {}
    T, k = core.periods, len(roots)
    p = part["p_grid_root_mw"]
    return {
        "grid_roots": pd.DataFrame(
            {
                "period": np.repeat(np.arange(T), k),
                "time_h": np.repeat(core.time_h, k),
                "bus": np.tile(core.net.bus_ids[roots], T),
                "p_mw": p.ravel(),
                "q_mvar": part["q_grid_root_mvar"].ravel(),
                "purchase": (g.price_per_mwh[:, None] * p * core.dt_h).ravel(),
                "emissions_t": (
                    g.ci_kg_per_mwh[:, None] * np.maximum(p, 0.0) * core.dt_h / 1000.0
                ).ravel(),
            }
        )
    }
