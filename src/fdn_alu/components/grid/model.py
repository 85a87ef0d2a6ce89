"""Main grid supply at the root bus: purchase cost (13), grid emissions for the carbon cost (16)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.grid.data import GridData
from fdn_alu.model.block import Block, to_buses


def grid_block(g: GridData, core) -> Block:
    """Grid import ``P_trans`` (T, s) and reactive exchange at each root (slack bus).

    Constraints: ``P_trans >= 0`` at every root unless the case allows export; the total
    import ``sum_roots P_trans <= p_max`` (one limit for the case's whole supply).
    Costs: purchase ``sum lambda_t P_trans,t dt`` (13); where export is allowed, an export
    (negative P) is paid at the same price. Emissions: ``sum e_trans,t max(P_trans,t, 0) dt``
    (the grid part of (16)): one rule everywhere (objective, summary, sources.csv and the carbon
    flow, where an export is consumption at the root) -- exported power earns no carbon credit,
    because its carbon is the receiving grid's to account for.
    """
    T, n = core.periods, core.net.n_bus
    roots = core.net.roots
    p = cp.Variable((T, len(roots)), name="p_grid")
    q = cp.Variable((T, len(roots)), name="q_grid")
    price = cp.Parameter(T, name="price_per_mwh", value=g.price_per_mwh)
    ci = cp.Parameter(T, name="grid_ci_kg_per_mwh", value=g.ci_kg_per_mwh, nonneg=True)
    cons = {}
    if not g.allow_export:
        cons["no_export"] = p >= 0
    total = cp.sum(p, axis=1) if len(roots) > 1 else p[:, 0]
    if np.isfinite(g.p_max_pu):
        cons["p_max"] = total <= g.p_max_pu
    e_mwh = total * core.base_mva * core.dt_h
    if g.allow_export:  # exported power earns no credit, at any root
        e_pos = cp.sum(cp.pos(p), axis=1) * core.base_mva * core.dt_h
    else:
        e_pos = e_mwh
    return Block(
        "grid",
        {"p": p, "q": q},
        cons,
        p_bus=to_buses(p, roots, n),
        q_bus=to_buses(q, roots, n),
        costs={"purchase": price @ e_mwh},
        emissions_t={"grid": ci @ e_pos / 1000.0},
        parameters={"price_per_mwh": price, "grid_ci_kg_per_mwh": ci},
    )
