"""The component protocol: what every device provides, one method per pipeline stage.

A component is one device type (the main grid, PV inverters, the aluminium park, the ESOP, a
controllable load...). The pipeline (``data``, ``model.recipe``, ``solve``, ``solution``,
``carbon``, ``checks``, ``results``, ``run``) loops over the components present in a case and
calls these methods; it never names a device. Each stage method lives in the component's own
module for that stage (``settings``, ``data``, ``model``, ``post``), so the one-way flow holds
inside a component too: settings -> numeric data -> model block -> solution -> checks, carbon
and tables.

Every method has a neutral default, so a component overrides only the stages it takes part
in. Methods are pure: they return new objects and never modify their arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fdn_alu.components.sequence import IntegerFix, Reach, Relinearisation
from fdn_alu.core.schema import Field, validate_section
from fdn_alu.errors import Problem

__all__ = [
    "CarbonPart",
    "Component",
    "IntegerFix",
    "Reach",
    "Relinearisation",
    "ReserveOffer",
    "Source",
]


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
    up_mw: Any
    down_mw: Any
    bus: np.ndarray
    response_s: np.ndarray
    duration_h: np.ndarray
    notice_h: np.ndarray
    constraints: dict[str, Any] = field(default_factory=dict)
    costs: dict[str, Any] = field(default_factory=dict)
    emissions_t: dict[str, Any] = field(default_factory=dict)
    rate_mw_per_s: Any = None
    deliverable: Any = None
    replay: Any = None


class Component:
    """Base class of every device component (see the module docstring).

    Class attributes
    ----------------
    name : str
        Registry key, block name, solution part and the prefix of its constraint families.
    section : str or None
        Settings section in a case file (``[park]``); None for components without settings.
    array : bool
        True when the section is an array of tables (``[[pv]]``).
    required : bool
        True when every case has this component (it then needs no section).
    schema : dict of str -> Field
        The section's fields: type, default, unit, description, source.
    tolerances : dict of str -> float
        Tolerances of the component's exactness checks (a check outside it fails the run).
    summary_costs, summary_energy, summary_emissions : tuple of str
        Keys of summary.json this component owns (``summary_emissions``: its direct
        emissions); reported as 0 when it is absent, so the results contract keeps its shape.
    summary_reported : tuple of str
        Emission figures its tables define that are not direct emissions (0 when absent).
    limits_hint : str
        What to check when a problem with this component is infeasible (the default of
        :meth:`limits`, which a component overrides to name only the limits a case has).
    summary_checks : tuple of str
        Keys its :meth:`checks` reports besides those in ``tolerances`` (both are keys of the
        results contract, None when the component is absent).
    emissions_off_network : tuple of str
        Keys of ``summary_emissions`` that no carbon-flow :class:`Source` carries (e.g. the
        CO2 of reserve bought outside the feeder); every other direct emission of the model
        must equal its declared sources' (``emissions_reconciliation_rel_err``).
    tables : tuple of str
        Names of the result tables it writes (``eaip`` -> eaip.csv).
    coupled : bool
        True for a component whose block is built from other components' offers
        (:meth:`coupling_block`), after the device blocks and the network.
    exact_cones : dict of str -> str
        Constraint families (``cp.SOC`` constraints, family name without the prefix) that
        relax an equality, each with the check that measures their gap: when that check fails,
        the recovery (``solve/recover.py``) solves the problem with the cone as an equality.
    """

    name: str = ""
    section: str | None = None
    array: bool = False
    required: bool = False
    schema: ClassVar[dict[str, Field]] = {}
    tolerances: ClassVar[dict[str, float]] = {}
    summary_costs: tuple[str, ...] = ()
    summary_energy: tuple[str, ...] = ()
    summary_emissions: tuple[str, ...] = ()
    summary_reported: tuple[str, ...] = ()
    summary_checks: tuple[str, ...] = ()
    emissions_off_network: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    limits_hint: str = ""
    coupled: bool = False
    exact_cones: ClassVar[dict[str, str]] = {}

    # -- settings (input layer) -------------------------------------------------------------
    def validate(self, raw: Any, where: str, problems: list[Problem]) -> Any:
        """Validated settings of the section (defaults filled); problems appended in place."""
        if self.array:
            if not isinstance(raw, list):
                problems.append(
                    Problem(
                        f"{where} [[{self.section}]]", "must be an array of tables", self.section
                    )
                )
                return []
            return [
                validate_section(
                    item,
                    self.schema,
                    f"{where} [[{self.section}]] #{k + 1}",
                    problems,
                    section=self.section,
                    element=k + 1,
                )
                for k, item in enumerate(raw)
            ]
        return validate_section(
            raw, self.schema, f"{where} [{self.section}]", problems, section=self.section
        )

    def schemas(self) -> dict[str, dict[str, Field]]:
        """The section's tables for the settings reference (title -> schema)."""
        title = f"[[{self.section}]]" if self.array else f"[{self.section}]"
        return {title: self.schema} if self.section else {}

    def check_against_case(
        self, settings: Any, buses: set[int], columns: set[str], where: str
    ) -> list[Problem]:
        """Problems of valid settings against the network's buses and the profile columns."""
        return []

    @staticmethod
    def missing_columns(
        where: str, refs: list[tuple[str, Any]], columns: set[str], section: str = ""
    ) -> list[Problem]:
        """Problems for ``(key, column)`` references to profile columns that do not exist."""
        return [
            Problem(
                f"{where} {key}",
                f"profile column {col!r} not in the profile file "
                f"(has: {', '.join(sorted(columns))})",
                section,
                key,
            )
            for key, col in refs
            if col is not None and col not in columns
        ]

    @staticmethod
    def missing_buses(
        where: str, refs: list[tuple[str, Any]], buses: set[int], section: str = ""
    ) -> list[Problem]:
        """Problems for ``(key, bus)`` references to buses the network does not have."""
        return [
            Problem(
                f"{where} {key}",
                f"bus {bus} is not an in-service bus of the network",
                section,
                key,
                bus,
            )
            for key, bus in refs
            if bus is not None and int(bus) not in buses
        ]

    def active(self, settings: dict, scenario: Any) -> bool:
        """Whether the component takes part in a run of ``scenario`` (default: configured)."""
        return self.required or bool(settings.get(self.section))

    def rated_mva(self, settings: Any) -> float:
        """Rated power of the configured device(s), MVA: counted in the feeder's power base
        (:func:`fdn_alu.core.network.feeder_base_mva`); 0 for a component without a rating."""
        return 0.0

    # -- numeric data -------------------------------------------------------------------------
    def data(self, settings: Any, core: Any, profiles: dict[str, np.ndarray]) -> Any:
        """Numeric data (a frozen dataclass) from validated settings and resampled profiles."""
        raise NotImplementedError

    def root_tariff(self, data: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """Price (T,) and carbon intensity (T,) of energy bought at the root, for the component
        that supplies the root (used to price a component's presolve); None otherwise."""
        return None

    def data_problems(self, data: Any, core: Any) -> list[Problem]:
        """Problems only visible in numeric data (e.g. an unreachable production target)."""
        return []

    # -- model ---------------------------------------------------------------------------------
    def block(self, data: Any, core: Any, relax_integers: bool) -> Any:
        """The component's model :class:`~fdn_alu.model.Block` (equations only)."""
        raise NotImplementedError

    def reserve_offers(self, block: Any, data: Any, core: Any) -> list[ReserveOffer]:
        """Reserve headroom this component's devices can hold (none by default)."""
        return []

    def coupling_block(
        self, data: Any, core: Any, blocks: dict[str, Any], offers: list[ReserveOffer]
    ) -> Any:
        """The block of a coupled component, from every block built so far and every offer."""
        raise NotImplementedError

    def deployed_injections(self, data: Any, part: dict, core: Any) -> dict[str, np.ndarray]:
        """Net-injection changes (MW, (T, n_bus)) of named deployed states, to be checked by an
        AC power flow on top of the dispatch (none by default)."""
        return {}

    def relinearisation(self, block: Any, data: Any, core: Any) -> Relinearisation | None:
        """The component's part in a sequential solve, or None when it needs none."""
        return None

    def integer_fixes(self, block: Any, data: Any, core: Any) -> list[IntegerFix]:
        """The component's relax-and-fix steps (none when it relaxes nothing)."""
        return []

    def charged_draw(self, block: Any, data: Any, core: Any) -> tuple[np.ndarray, Any] | None:
        """What the component is charged for under consumption-based carbon accounting.

        Returns the bus positions (k,) and the draw from the network at them, a cvxpy
        expression (T, k) in MW; the recipe prices it at the buses' carbon intensity and adds
        the block's own direct emissions (``block.emissions_t``). None: never charged.
        """
        return None

    def intensity_parameters(self, block: Any, data: Any, core: Any) -> list[tuple[Any, Any]]:
        """Parameters of the block that hold the consumption-based carbon intensity.

        A list of ``(cp.Parameter (T, k), bus positions (k,))``; the solve layer sets them to
        the nodal intensities (kg/MWh) of the carbon flow at the last iterate and re-solves
        until they stop changing (e.g. a footprint limit priced at the bus's intensity).
        """
        return []

    def limits(self, data: Any, core: Any) -> list[str]:
        """The limits of this component's devices in the case, named for an infeasibility
        message (only limits that exist; default: ``limits_hint``)."""
        return [self.limits_hint] if self.limits_hint else []

    # -- solution and post-processing ----------------------------------------------------------
    def solution(self, block: Any, data: Any, core: Any) -> dict[str, np.ndarray]:
        """Solved arrays in engineering units (MW, kA, deg C, MWh)."""
        return {}

    def checks(self, data: Any, part: dict, core: Any) -> dict[str, Any]:
        """Exactness checks (values; those in ``tolerances`` are judged)."""
        return {}

    def carbon(self, data: Any, part: dict, core: Any, first_node: int) -> CarbonPart:
        """Sources, links, virtual nodes and storages for the carbon emission flow."""
        return CarbonPart()

    def energy_mwh(self, data: Any, part: dict, core: Any) -> dict[str, float]:
        """Energy figures of summary.json."""
        return {}

    def result_tables(
        self, data: Any, part: dict, core: Any, carbon: Any, nodes: dict[str, int]
    ) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
        """The component's own result tables and any emissions they define (t CO2)."""
        return {}, {}

    def source_rows(
        self, data: Any, part: dict, core: Any, carbon: Any, nodes: dict[str, int]
    ) -> list[pd.DataFrame]:
        """Rows of sources.csv besides its declared :class:`Source` rows (which the pipeline
        writes from :meth:`carbon`): e.g. storage discharge, converter terminals."""
        return []
