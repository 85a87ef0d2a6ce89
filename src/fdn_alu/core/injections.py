"""Per-element time series -> per-bus, per-period loads and generation (vectorised).

Each in-service load and static generator of the net is one column: its per-element series
(:class:`~fdn_alu.cases.element_profiles.ElementProfiles`) averaged onto the model's periods,
or the net's own value where it has no series (as pandapower's time series leaves a column no
controller writes), times the element's ``scaling``; an element-to-bus incidence matrix sums
the columns per bus in one sparse product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fdn_alu.cases.element_profiles import ElementProfiles, resample_weights, window_rows


@dataclass(frozen=True)
class ElementInjections:
    """Loads per bus and static generators per element over the model's periods.

    Attributes
    ----------
    load_p_mw, load_q_mvar : ndarray (T, n)
        Sum of the loads at each bus (consumption positive).
    gen_p_mw, gen_q_mvar : ndarray (T, g)
        Each in-service static generator's output (generation positive), scaling applied.
    gen_bus : ndarray (g,)
        Bus positions of the generators.
    gen_ids : ndarray (g,)
        Their ``net.sgen`` indices.
    gen_type : list of str
        Their ``net.sgen.type`` ("" where the net has none).
    """

    load_p_mw: np.ndarray
    load_q_mvar: np.ndarray
    gen_p_mw: np.ndarray
    gen_q_mvar: np.ndarray
    gen_bus: np.ndarray
    gen_ids: np.ndarray
    gen_type: list[str]

    def gen_at_buses(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Generators summed per bus, (T, n) MW and Mvar."""
        inc = incidence(self.gen_bus, n)
        return self.gen_p_mw @ inc, self.gen_q_mvar @ inc


def incidence(bus: np.ndarray, n: int) -> sp.csr_matrix:
    """(k, n) sparse matrix with a 1 at (element, its bus position)."""
    k = len(bus)
    return sp.csr_matrix((np.ones(k), (np.arange(k), bus)), shape=(k, n))


def element_injections(
    net,
    bus_ids: np.ndarray,
    prof: ElementProfiles | None,
    start: str,
    horizon_h: float,
    periods: int,
    scale: np.ndarray | None = None,
) -> ElementInjections:
    """Loads and static generators of ``net`` over ``periods`` equal periods of the horizon.

    Parameters
    ----------
    net : pandapowerNet or Feeder
    bus_ids : ndarray (n,)
        The model's buses (``NetworkData.bus_ids``); elements at other buses are left out, as
        in :func:`fdn_alu.core.network.network_data`.
    prof : ElementProfiles or None
        Checked against ``net`` (:func:`~fdn_alu.cases.element_profiles.check_element_profiles`).
        None: every element is its net value times ``scale``.
    start : str
        ``[profiles] start``: the first row used.
    horizon_h : float
    periods : int
    scale : ndarray (T,), optional
        With ``prof=None``: the ``[network] load_profile`` column scaling every element.

    Returns
    -------
    ElementInjections
        MW / Mvar: ``series[rows] averaged onto the periods x scaling``, the rows being those of
        ``[start, start + horizon_h)``.
    """
    if prof is None:
        prof = ElementProfiles({}, {}, horizon_h)
        rows, w = slice(0, 0), None
    else:
        rows = window_rows(prof, start, horizon_h)
        w = resample_weights(rows.stop - rows.start, horizon_h, periods)
    static = np.ones((periods, 1)) if scale is None else np.asarray(scale, float)[:, None]
    pos = pd.Index(np.asarray(bus_ids))
    out = {}
    for table in ("load", "sgen"):
        df = net[table] if table in net and len(net[table]) else None
        if df is None:
            out[table] = (np.zeros((periods, 0)),) * 2 + (np.zeros(0, int), np.zeros(0, int), [])
            continue
        df = df[df.in_service.astype(bool) & df.bus.isin(pos)]
        ids = df.index.to_numpy(int)
        scale = (
            df.scaling.astype(float).fillna(1.0).to_numpy() if "scaling" in df else np.ones(len(df))
        )
        pq = []
        for var in ("p_mw", "q_mvar"):
            key = (table, var)
            if key in prof.values:
                col = pd.Index(prof.columns[key]).get_indexer(ids)
                series = w @ prof.values[key][rows][:, col]
            else:
                series = static * df[var].to_numpy(float)[None, :]
            pq.append(series * scale[None, :])
        types = df["type"].fillna("").astype(str).tolist() if "type" in df else [""] * len(df)
        out[table] = (*pq, pos.get_indexer(df.bus.to_numpy(int)), ids, types)
    n = len(pos)
    lp, lq, lbus, _, _ = out["load"]
    inc = incidence(lbus, n)
    gp, gq, gbus, gids, gtype = out["sgen"]
    return ElementInjections(
        load_p_mw=np.asarray(lp @ inc).reshape(periods, n),
        load_q_mvar=np.asarray(lq @ inc).reshape(periods, n),
        gen_p_mw=np.ascontiguousarray(gp),
        gen_q_mvar=np.ascontiguousarray(gq),
        gen_bus=gbus,
        gen_ids=gids,
        gen_type=gtype,
    )


def fixed_demand_pu(
    case, netd, load_scale: np.ndarray, periods: int
) -> tuple[np.ndarray, np.ndarray, ElementInjections | None]:
    """Fixed demand per bus and period, (T, n) pu each, and the per-element injections.

    Without per-element profiles every bus's net demand (loads minus static generators) is
    scaled by the ``[network] load_profile`` column (``load_scale``, (T,)). With them, each
    load and static generator follows its own series (:func:`element_injections`). Static
    generators are netted into the demand when ``[network] sgen = "fixed"``; when
    ``"curtailable"`` they are left out of it and the returned injections give each one's
    available output (its series, or its net value times ``load_scale`` without series), which
    the generators' own decision variables take up (docs/PROFILES.md).
    """
    s = case.settings
    fixed = s["network"]["sgen"] == "fixed"
    if case.element_profiles is None and fixed:
        scale = load_scale[:, None]
        return scale * netd.p_load_pu[None, :], scale * netd.q_load_pu[None, :], None
    inj = element_injections(
        case.net,
        netd.bus_ids,
        case.element_profiles,
        s["profiles"]["start"],
        s["case"]["horizon_h"],
        periods,
        scale=load_scale if case.element_profiles is None else None,
    )
    # what the network layer puts into the fixed demand besides load and sgen rows (e.g. the
    # balanced equivalents of asymmetric loads) keeps its net value in every period
    rest_p, rest_q = _other_demand_mw(case.net, netd)
    p, q = inj.load_p_mw + rest_p, inj.load_q_mvar + rest_q
    if fixed:
        gp, gq = inj.gen_at_buses(netd.n_bus)
        p, q = p - gp, q - gq
    return p / netd.base_mva, q / netd.base_mva, inj


def _other_demand_mw(net, netd) -> tuple[np.ndarray, np.ndarray]:
    """(n,) MW and Mvar of the network layer's fixed demand (``NetworkData.p_load_pu``) that
    is not the net's load and sgen rows at their net values: zero (to round-off) for a net of
    loads and static generators only."""
    static = element_injections(net, netd.bus_ids, None, "", 1.0, 1)
    gp, gq = static.gen_at_buses(netd.n_bus)
    rest_p = netd.p_load_pu * netd.base_mva - (static.load_p_mw - gp)[0]
    rest_q = netd.q_load_pu * netd.base_mva - (static.load_q_mvar - gq)[0]
    return rest_p[None, :], rest_q[None, :]
