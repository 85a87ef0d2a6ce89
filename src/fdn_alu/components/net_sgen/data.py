"""The net's static generators -> numeric data (from ``ModelData.elements``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NetSgenData:
    """g static generators of the net, curtailable.

    Attributes
    ----------
    names : list of str
        ``sgen<index>`` (the ``net.sgen`` index).
    ids : ndarray (g,)
        Their ``net.sgen`` indices.
    types : list of str
        ``net.sgen.type`` (PV, WP, Wind_MV, Biomass_MV, ...; "" when absent).
    bus : ndarray (g,)
        Bus positions.
    p_avail_pu : ndarray (T, g)
        Available active output: the element's profile (or net value x load profile), scaling
        applied.
    q_per_p : ndarray (T, g)
        Reactive output per unit of active output, from the available point (0 where it is 0):
        a curtailed generator keeps its power factor.
    """

    names: list[str]
    ids: np.ndarray
    types: list[str]
    bus: np.ndarray
    p_avail_pu: np.ndarray
    q_per_p: np.ndarray


def net_sgen_data(core) -> NetSgenData:
    """:class:`NetSgenData` from the per-element injections of the case."""
    el = core.elements
    p, q = el.gen_p_mw, el.gen_q_mvar
    ratio = np.divide(q, p, out=np.zeros_like(q), where=np.abs(p) > 0)
    return NetSgenData(
        names=[f"sgen{int(i)}" for i in el.gen_ids],
        ids=np.asarray(el.gen_ids, dtype=int),
        types=list(el.gen_type),
        bus=np.asarray(el.gen_bus, dtype=int),
        p_avail_pu=p / core.base_mva,
        q_per_p=ratio,
    )
