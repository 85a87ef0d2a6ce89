"""Main grid after the solve: solution arrays, carbon source, sources.csv rows, energies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart
from fdn_alu.components.grid.data import GridData
from fdn_alu.model.block import Block
from fdn_alu.results.tables import source_rows


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
    """The grid is a source at each root (import only; an export is consumption there)."""
    p = part["p_grid_root_mw"]
    return CarbonPart(
        sources=[
            (int(r), np.maximum(p[:, k], 0.0), g.ci_kg_per_mwh)
            for k, r in enumerate(core.net.roots)
        ]
    )


def grid_source_rows(g: GridData, part: dict, core) -> list[pd.DataFrame]:
    """One row per root and period; the source is ``grid`` (one root) or ``grid@BUS``."""
    ids = [int(b) for b in core.net.bus_ids[core.net.roots]]
    names = ["grid"] if len(ids) == 1 else [f"grid@{b}" for b in ids]
    ci = np.repeat(g.ci_kg_per_mwh[:, None], len(ids), axis=1)
    return [
        source_rows(
            core,
            "grid",
            names,
            ids,
            part["p_grid_root_mw"],
            part["q_grid_root_mvar"],
            ci,
            direct=True,
        )
    ]


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
