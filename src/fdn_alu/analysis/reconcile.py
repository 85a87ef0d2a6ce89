"""Reconciliation of the quantities each component declares once: the summary's direct
emissions against the carbon flow's declared sources and their rows of sources.csv, and the
summary's costs against the objective (tolerances in ``analysis.checks.TOLERANCES``)."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.registry import BY_NAME

# Absolute floors of the reconciliations' denominators (our choice): 1 g CO2 and 1e-6 of the
# currency, far below any emission or cost a run reports.
RECONCILE_FLOOR_T = 1e-6
RECONCILE_FLOOR_MONEY = 1e-6


def reconciliation_checks(
    direct_t: dict[str, float],
    declared,
    sources,
    dt_h: float,
    costs: dict[str, float],
    objective_costs: tuple[str, ...],
    objective_other: float,
    objective: float,
) -> dict[str, float]:
    """Whether everything derived from the one declaration of each emission and cost agrees.

    ``emissions_reconciliation_rel_err``: for each direct-emission key (``direct_t``: the
    summary's, the model's emissions in the objective) the largest of |summary - the carbon
    flow's declared sources with that key| and |summary - their rows of sources.csv|, over
    the larger of the total direct emissions and the emissions the declared sources' output
    would carry at their highest intensity (floor ``RECONCILE_FLOOR_T``: on a nearly
    carbon-free supply, 1e-12 t of round-off is not a disagreement); keys of components'
    ``emissions_off_network`` have no source and are skipped; a source declaring no emission
    must carry none. ``costs_reconciliation_rel_err``: |objective - (the summary's cost terms
    the objective sums + ``objective_other``)| over |objective| (floor
    ``RECONCILE_FLOOR_MONEY``).

    Parameters
    ----------
    direct_t : dict of str -> float
        The summary's direct emissions by key, t CO2.
    declared : sequence of Source
        The carbon flow's sources (``CarbonNetwork.declared``).
    sources : DataFrame
        sources.csv.
    dt_h : float
    costs : dict of str -> float
        The summary's cost terms.
    objective_costs : tuple of str
    objective_other : float
    objective : float
    """
    off = {k for comp in BY_NAME.values() for k in comp.emissions_off_network}
    flow: dict = {}
    table: dict = {}
    emitted = sources.groupby(["kind", "source"])["emissions_t"].sum() if len(sources) else {}
    for src in declared:
        flow[src.emission] = flow.get(src.emission, 0.0) + float(src.emissions_t(dt_h).sum())
        row = emitted.get((src.kind, src.name), 0.0) if len(sources) else 0.0
        table[src.emission] = table.get(src.emission, 0.0) + float(row)
    keys = (set(direct_t) - off) | set(flow)
    err = 0.0
    for k in keys:
        model = 0.0 if k is None else direct_t.get(k, 0.0)
        err = max(err, abs(model - flow.get(k, 0.0)), abs(model - table.get(k, 0.0)))
    total = sum(abs(v) for v in direct_t.values())
    # the emissions the declared supply would carry at its highest intensity: the scale of
    # round-off when little or nothing is emitted (a carbon-free supply, an idle import)
    ci_max = max((float(np.max(s.ci_kg_per_mwh, initial=0.0)) for s in declared), default=0.0)
    supplied = sum(float(np.abs(s.p_mw).sum()) for s in declared) * dt_h
    scale = max(total, ci_max * supplied / 1000.0, RECONCILE_FLOOR_T)
    in_objective = sum(costs.get(k, 0.0) for k in objective_costs) + objective_other
    return {
        "emissions_reconciliation_rel_err": err / scale,
        "costs_reconciliation_rel_err": abs(objective - in_objective)
        / max(abs(objective), RECONCILE_FLOOR_MONEY),
    }
