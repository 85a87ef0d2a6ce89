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

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar

import numpy as np
import pandas as pd

from fdn_alu.components.contributions import CarbonPart, Constraints, ReserveOffer, Source
from fdn_alu.components.sequence import IntegerFix, Reach, Relinearisation
from fdn_alu.core.schema import Field, validate_section
from fdn_alu.errors import Problem

if TYPE_CHECKING:  # type-only: the pipeline imports the components, never the reverse
    import cvxpy as cp

    from fdn_alu.analysis.carbon import CarbonResult
    from fdn_alu.cases.scenarios import Scenario
    from fdn_alu.core.data import ModelData
    from fdn_alu.model.block import Block

__all__ = [
    "CarbonPart",
    "Component",
    "ComponentData",
    "Constraints",
    "IntegerFix",
    "Part",
    "Reach",
    "Relinearisation",
    "ReserveOffer",
    "Settings",
    "Source",
]

#: A validated settings section: one table (``[park]``) or an array of tables (``[[pv]]``);
#: values are TOML scalars, lists and sub-tables, as declared by the component's schema.
Settings: TypeAlias = dict[str, Any] | list[dict[str, Any]]
#: A component's solved arrays (:meth:`Component.solution`), engineering units.
Part: TypeAlias = dict[str, np.ndarray]
#: The component's own numeric data (a frozen dataclass): what :meth:`Component.data` returns
#: and every later stage receives.
ComponentData = TypeVar("ComponentData")


class Component(Generic[ComponentData]):
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
    def validate(self, raw: Any, where: str, problems: list[Problem]) -> Settings:
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
        self, settings: Settings, buses: set[int], columns: set[str], where: str
    ) -> list[Problem]:
        """Problems of valid settings against the network's buses and the profile columns."""
        return []

    @staticmethod
    def missing_columns(
        where: str, refs: list[tuple[str, str | None]], columns: set[str], section: str = ""
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
        where: str, refs: list[tuple[str, int | None]], buses: set[int], section: str = ""
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

    def active(self, settings: dict[str, Any], scenario: Scenario) -> bool:
        """Whether the component takes part in a run of ``scenario`` (default: configured)."""
        return self.required or bool(settings.get(self.section))

    def rated_mva(self, settings: Settings) -> float:
        """Rated power of the configured device(s), MVA: counted in the feeder's power base
        (:func:`fdn_alu.core.network.feeder_base_mva`); 0 for a component without a rating."""
        return 0.0

    # -- numeric data -------------------------------------------------------------------------
    def data(
        self, settings: Settings, core: ModelData, profiles: dict[str, np.ndarray]
    ) -> ComponentData:
        """Numeric data (a frozen dataclass) from validated settings and resampled profiles."""
        raise NotImplementedError

    def root_tariff(self, data: ComponentData) -> tuple[np.ndarray, np.ndarray] | None:
        """Price (T,) and carbon intensity (T,) of energy bought at the root, for the component
        that supplies the root (used to price a component's presolve); None otherwise."""
        return None

    def data_problems(self, data: ComponentData, core: ModelData) -> list[Problem]:
        """Problems only visible in numeric data (e.g. an unreachable production target)."""
        return []

    # -- model ---------------------------------------------------------------------------------
    def block(self, data: ComponentData, core: ModelData, relax_integers: bool) -> Block:
        """The component's model :class:`~fdn_alu.model.Block` (equations only)."""
        raise NotImplementedError

    def reserve_offers(
        self, block: Block, data: ComponentData, core: ModelData
    ) -> list[ReserveOffer]:
        """Reserve headroom this component's devices can hold (none by default)."""
        return []

    def coupling_block(
        self,
        data: ComponentData,
        core: ModelData,
        blocks: dict[str, Block],
        offers: list[ReserveOffer],
    ) -> Block:
        """The block of a coupled component, from every block built so far and every offer."""
        raise NotImplementedError

    def deployed_injections(
        self, data: ComponentData, part: Part, core: ModelData
    ) -> dict[str, np.ndarray]:
        """Net-injection changes (MW, (T, n_bus)) of named deployed states, to be checked by an
        AC power flow on top of the dispatch (none by default)."""
        return {}

    def relinearisation(
        self, block: Block, data: ComponentData, core: ModelData
    ) -> Relinearisation | None:
        """The component's part in a sequential solve, or None when it needs none."""
        return None

    def integer_fixes(self, block: Block, data: ComponentData, core: ModelData) -> list[IntegerFix]:
        """The component's relax-and-fix steps (none when it relaxes nothing)."""
        return []

    def charged_draw(
        self, block: Block, data: ComponentData, core: ModelData
    ) -> tuple[np.ndarray, cp.Expression] | None:
        """What the component is charged for under consumption-based carbon accounting.

        Returns the bus positions (k,) and the draw from the network at them, a cvxpy
        expression (T, k) in MW; the recipe prices it at the buses' carbon intensity and adds
        the block's own direct emissions (``block.emissions_t``). None: never charged.
        """
        return None

    def intensity_parameters(
        self, block: Block, data: ComponentData, core: ModelData
    ) -> list[tuple[cp.Parameter, np.ndarray]]:
        """Parameters of the block that hold the consumption-based carbon intensity.

        A list of ``(cp.Parameter (T, k), bus positions (k,))``; the solve layer sets them to
        the nodal intensities (kg/MWh) of the carbon flow at the last iterate and re-solves
        until they stop changing (e.g. a footprint limit priced at the bus's intensity).
        """
        return []

    def limits(self, data: ComponentData, core: ModelData) -> list[str]:
        """The limits of this component's devices in the case, named for an infeasibility
        message (only limits that exist; default: ``limits_hint``)."""
        return [self.limits_hint] if self.limits_hint else []

    # -- solution and post-processing ----------------------------------------------------------
    def solution(self, block: Block, data: ComponentData, core: ModelData) -> Part:
        """Solved arrays in engineering units (MW, kA, deg C, MWh)."""
        return {}

    def checks(self, data: ComponentData, part: Part, core: ModelData) -> dict[str, Any]:
        """Exactness checks (values; those in ``tolerances`` are judged)."""
        return {}

    def carbon(
        self, data: ComponentData, part: Part, core: ModelData, first_node: int
    ) -> CarbonPart:
        """Sources, links, virtual nodes and storages for the carbon emission flow."""
        return CarbonPart()

    def energy_mwh(self, data: ComponentData, part: Part, core: ModelData) -> dict[str, float]:
        """Energy figures of summary.json."""
        return {}

    def result_tables(
        self,
        data: ComponentData,
        part: Part,
        core: ModelData,
        carbon: CarbonResult,
        nodes: dict[str, int],
    ) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
        """The component's own result tables and any emissions they define (t CO2)."""
        return {}, {}

    def source_rows(
        self,
        data: ComponentData,
        part: Part,
        core: ModelData,
        carbon: CarbonResult,
        nodes: dict[str, int],
    ) -> list[pd.DataFrame]:
        """Rows of sources.csv besides its declared :class:`Source` rows (which the pipeline
        writes from :meth:`carbon`): e.g. storage discharge, converter terminals."""
        return []
