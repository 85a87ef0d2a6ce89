"""Case -> numeric model data: the time axis, the network's per-unit arrays and loads, and each
present component's numeric data (T, n arrays, time on axis 0).

This is the last step that reads the case (feeder tables, settings dicts, profile table);
everything after it (model, solve, results, carbon) works on the plain arrays defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fdn_alu.cases import Case
from fdn_alu.cases.profiles import resample
from fdn_alu.cases.scenarios import SCENARIO_CHOICES, SCENARIOS, scenario_key
from fdn_alu.components.registry import COMPONENTS
from fdn_alu.core.injections import ElementInjections, fixed_demand_pu
from fdn_alu.core.network import NetworkData, feeder_base_mva, network_data
from fdn_alu.errors import Problem, raise_if_problems


@dataclass(frozen=True)
class ModelData:
    """Everything the optimisation model needs, as plain arrays (time on axis 0).

    Attributes
    ----------
    case_name : str
    scenario : int or str
        1, 2, 3, "3a" or "3b" (see ``SCENARIOS``).
    periods : int
    dt_h : float
        Period length in hours (always explicit).
    time_h : ndarray (T,)
        Period start times.
    net : NetworkData
    root_vm_pu : float
    p_load_pu, q_load_pu : ndarray (T, n)
    carbon_in_objective : bool
    carbon_price_per_t, loss_price_per_mwh : float
        Economics of the whole feeder (from the ``[grid]`` section): eqs. (15), (16).
    currency : str
    carbon_accounting : {"direct", "consumption"}
        What the carbon cost (16) prices (``[grid] carbon_accounting``).
    carbon_charged : str
        Under consumption accounting: the name of the component charged, or ``"all"``.
    flexible_storage : bool
        The flexible-network devices' storage is in service (False in scenario 3a).
    elements : ElementInjections or None
        Per-element loads and static generators (MW, Mvar) when the case has per-element
        profiles or curtailable static generators (:mod:`fdn_alu.core.injections`); None
        otherwise.
    components : dict of str -> data
        Numeric data of each component present, in model order; :meth:`component` reads one
        (None for a registered component that is absent).
    """

    case_name: str
    scenario: int | str
    periods: int
    dt_h: float
    time_h: np.ndarray
    net: NetworkData
    root_vm_pu: float
    p_load_pu: np.ndarray
    q_load_pu: np.ndarray
    carbon_in_objective: bool
    carbon_price_per_t: float
    loss_price_per_mwh: float
    currency: str = "CNY"
    carbon_accounting: str = "direct"
    carbon_charged: str = "all"
    flexible_storage: bool = True
    elements: ElementInjections | None = None
    components: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def base_mva(self) -> float:
        return self.net.base_mva

    @property
    def horizon_h(self) -> float:
        return self.periods * self.dt_h

    def component(self, name: str) -> Any:
        """Numeric data of the component ``name``: None when it is registered but absent from
        this run; a name no component has (a typo) raises KeyError."""
        if name in self.components:
            return self.components[name]
        if any(c.name == name for c in COMPONENTS):
            return None
        known = ", ".join(c.name for c in COMPONENTS)
        raise KeyError(f"no component {name!r} (registered: {known})")


def build_model_data(case: Case, scenario: int | str = 2, periods: int | None = None) -> ModelData:
    """Turn a loaded case into :class:`ModelData` for one scenario.

    Parameters
    ----------
    case : Case
    scenario : int or str
        A number or a name: 1 ``"rigid"``, 2 ``"low_carbon"``, 3 ``"flexible"``, ``"3a"``
        ``"sop_only"``, ``"3b"`` ``"sop_storage"`` (:data:`fdn_alu.cases.scenarios.SCENARIOS`).
    periods : int, optional
        Number of equal periods over the horizon; the profile file's row count by default.

    Raises
    ------
    InputError
        Unknown scenario, a section the scenario needs missing, bad periods, non-finite
        data, or a component whose numeric data is infeasible on its face.
    """
    if case.edited():  # settings changed in place: validated like a file before use
        case = case.with_settings()
    problems: list[Problem] = []
    if isinstance(scenario, bool) or not isinstance(scenario, int | str):
        scenario = repr(scenario)  # True would be 1 and 3.0 would be 3 as dictionary keys
    scenario = scenario_key(scenario)
    if isinstance(scenario, bool) or scenario not in SCENARIOS:  # True == 1 in a dict
        problems.append(
            Problem("scenario", f"must be one of {SCENARIO_CHOICES} (got {scenario!r})")
        )
    else:
        problems += [
            Problem(
                "scenario", f"scenario {scenario} needs a [{sec}] section in case {case.name!r}"
            )
            for sec in SCENARIOS[scenario].requires
            if not case.settings.get(sec)
        ]
    if periods is not None and (
        isinstance(periods, bool) or not isinstance(periods, int) or periods < 1
    ):
        problems.append(Problem("periods", f"must be a positive integer (got {periods!r})"))
    raise_if_problems(problems, "invalid run settings")
    sc = SCENARIOS[scenario]
    s = case.settings
    horizon_h = s["case"]["horizon_h"]
    periods = periods or len(case.profiles)
    dt_h = horizon_h / periods
    prof = resample(case.profiles, horizon_h, periods)
    # The power base counts every configured device, active in this scenario or not, so that
    # all scenarios of a case share one base (docs/ARCHITECTURE.md, "Scaling").
    device_mva = sum(c.rated_mva(s[c.section]) for c in COMPONENTS if s.get(c.section or ""))
    netd = network_data(
        case.net,
        s["network"]["vm_min_pu"],
        s["network"]["vm_max_pu"],
        s["network"]["max_i_ka"],
        base_mva=feeder_base_mva(case.net, device_mva),
    )
    p_load_pu, q_load_pu, elements = fixed_demand_pu(
        case, netd, prof[s["network"]["load_profile"]], periods
    )
    core = ModelData(
        case_name=case.name,
        scenario=scenario,
        periods=periods,
        dt_h=dt_h,
        time_h=np.arange(periods) * dt_h,
        net=netd,
        root_vm_pu=s["network"]["root_vm_pu"],
        p_load_pu=p_load_pu,
        q_load_pu=q_load_pu,
        carbon_in_objective=sc.carbon_in_objective,
        carbon_price_per_t=s["grid"]["carbon_price_per_t"],
        loss_price_per_mwh=s["grid"]["loss_price_per_mwh"],
        currency=s["case"]["currency"],
        carbon_accounting=s["grid"]["carbon_accounting"],
        carbon_charged=s["grid"]["carbon_charged"],
        flexible_storage=sc.flexible_storage,
        elements=elements,
        notes=list(case.notes),
    )
    problems = _check_numbers(core, prof)
    raise_if_problems(problems, "invalid model data")
    comps = {}
    for c in COMPONENTS:
        if c.active(s, sc):
            comps[c.name] = c.data(s.get(c.section, {}), core, prof)
            problems += c.data_problems(comps[c.name], core)
    raise_if_problems(problems, "invalid model data")
    return ModelData(**{**core.__dict__, "components": comps})


def _check_numbers(core: ModelData, prof: dict[str, np.ndarray]) -> list[Problem]:
    """Non-finite profiles, negative loads, availabilities or intensities after resampling."""
    problems = []
    for name, arr in prof.items():
        if not np.all(np.isfinite(arr)):
            problems.append(Problem(f"profile {name!r}", "non-finite values after resampling"))
    if not np.all(np.isfinite(core.p_load_pu)):
        problems.append(Problem("load", "non-finite values after resampling"))
    elif (
        core.elements is None
        and np.any(core.p_load_pu < -1e-12)
        and np.all(core.net.p_load_pu >= 0)
    ):
        problems.append(Problem("load profile", "negative values (a load profile scales loads)"))
    return problems
