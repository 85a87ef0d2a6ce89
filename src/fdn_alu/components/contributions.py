"""What a component declares besides its model block: carbon sources, its part of the
carbon-flow network, and reserve offers (the data classes of the component protocol,
:mod:`fdn_alu.components.base`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["CarbonPart", "Constraints", "ReserveOffer", "Source"]

#: Constraint families: name -> one vectorised constraint or a list of them.
Constraints: TypeAlias = "dict[str, cp.Constraint | list[cp.Constraint]]"


@dataclass(frozen=True)
class Source:
    """One power source of known carbon intensity, declared once by its component.

    The carbon flow's sources, the source's rows of sources.csv and the reconciliation of the
    direct emissions (``emissions_reconciliation_rel_err``) are all derived from this one
    declaration. A negative output is consumption at the node (an export at the root): it
    enters the carbon flow as 0 and carries no emission.

    Attributes
    ----------
    node : int
        Carbon-flow node (an AC bus position or one of the component's virtual nodes).
    name, kind : str
        The ``source`` and ``kind`` columns of sources.csv.
    bus_id : int or None
        The ``bus`` column (None for a source behind a point of common coupling).
    p_mw : ndarray (T,)
        Output, MW.
    ci_kg_per_mwh : ndarray (T,)
        Carbon intensity of the output.
    emission : str or None
        Key of summary.json's ``emissions_t`` under which the model counts this source's
        direct emissions (``max(p, 0) ci dt``); None for a source that emits nothing
        (PV: its intensity must then be 0).
    q_mvar : ndarray (T,) or None
        Reactive output for sources.csv (0 when None).
    """

    node: int
    name: str
    kind: str
    bus_id: int | None
    p_mw: np.ndarray
    ci_kg_per_mwh: np.ndarray
    emission: str | None = None
    q_mvar: np.ndarray | None = None

    def emissions_t(self, dt_h: float) -> np.ndarray:
        """Direct emissions per period, t CO2 (T,): ``max(p, 0) ci dt / 1000``."""
        return np.maximum(self.p_mw, 0.0) * self.ci_kg_per_mwh * dt_h / 1000.0


@dataclass(frozen=True)
class CarbonPart:
    """A component's contribution to the carbon-flow network (absolute node numbers).

    Attributes
    ----------
    n_virtual : int
        Virtual nodes this component adds (numbered from the ``first_node`` it was given).
    nodes : dict of str -> int
        Named nodes for the component's own tables (e.g. ``{"k": 17}`` for a DC link).
    links : list of (from_node, to_node, flow_mw (T,))
        Lossless links (converter terminals, a point of common coupling).
    sources : list of Source
        Sources of known intensity (the one declaration of each emission source).
    storages : list of dict
        Keyword arguments of :class:`fdn_alu.analysis.carbon.Storage`.
    """

    n_virtual: int = 0
    nodes: dict[str, int] = field(default_factory=dict)
    links: list[tuple[int, int, np.ndarray]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    storages: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ReserveOffer:
    """Reserve headroom offered by k providers of one component (the coupling protocol).

    A provider component returns offers from :meth:`Component.reserve_offers`; a coupling
    component (one with ``coupled = True``) builds its block from every offer after the device
    blocks and the network (see docs/ARCHITECTURE.md). Capacity holds no energy: an offer adds
    no bus injection; its ``constraints`` keep the dispatched *and* the fully deployed state of
    the provider within its limits.

    Attributes
    ----------
    names : list of str
        Provider names (k), unique in the case.
    products : list of tuple of str
        Products each provider offers (``regulation_up``, ``regulation_down``, ``spinning``,
        ``non_spinning``).
    up_mw, down_mw : cp.Expression (T, k)
        Headroom to raise the provider's net injection (more output or less draw) and to lower
        it, in MW, after its dispatched operating point.
    bus : ndarray (k,)
        Bus position where a deployment changes the injection.
    response_s, duration_h, notice_h : ndarray (k,)
        Qualification data of eq. (1) of seed 002: response time, longest sustained response,
        advance notice needed.
    constraints, costs, emissions_t : dict
        Constraint families (keys unique across components, e.g. ``"park_band"``), holding
        costs (money) and holding emissions (t CO2) the offer adds.
    rate_mw_per_s : ndarray (k,)
        Physical response rate: a provider offers at most ``rate x t1`` of a product with
        response time t1 (inf: no limit within any product's response time).
    deliverable : callable or None
        ``deliverable(alloc, periods) -> dict`` of constraint families that keep the
        provider's limits for the worst-case deployment of its allocations (``alloc``:
        product -> (T, k) MW, ``periods``: product -> call duration in periods; see
        :mod:`fdn_alu.model.deploy`).
    replay : tuple or None
        ``(function, data, schedule)``: a numpy replay of the worst-case deployment, independent
        of the model, ``function(data, schedule_values, alloc_mw, periods, dt_h) -> dict`` of
        limit violations (>= 0); ``schedule`` maps names to the cvxpy expressions whose solved
        values it needs.
    """

    names: list[str]
    products: list[tuple[str, ...]]
    up_mw: cp.Expression
    down_mw: cp.Expression
    bus: np.ndarray
    response_s: np.ndarray
    duration_h: np.ndarray
    notice_h: np.ndarray
    constraints: Constraints = field(default_factory=dict)
    costs: dict[str, cp.Expression] = field(default_factory=dict)
    emissions_t: dict[str, cp.Expression] = field(default_factory=dict)
    rate_mw_per_s: np.ndarray | float | None = None
    deliverable: Callable[[dict[str, cp.Expression], dict[str, int]], Constraints] | None = None
    replay: tuple[Callable[..., dict[str, float]], Any, dict[str, cp.Expression]] | None = None
