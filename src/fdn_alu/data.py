"""Case -> numeric model data: per-unit arrays shaped (T, n), device specs, time axis.

This is the last step that reads the case (pandapower net, settings dicts, profile table);
everything after it (model, solve, results, carbon) works on the plain arrays defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cases import Case
from .cases.profiles import resample
from .errors import Problem, raise_if_problems
from .network import NetworkData, network_data

SCENARIOS = {
    1: ("rigid", "rigid network, carbon cost reported but not optimised"),
    2: ("rigid_low_carbon", "rigid network, carbon cost in the objective"),
    3: ("flexible", "energy-storage soft open point in service, carbon cost in the objective"),
}


@dataclass(frozen=True)
class GridData:
    """Main grid at the root: prices (T,), carbon intensity (T,), limits."""

    price_per_mwh: np.ndarray
    ci_kg_per_mwh: np.ndarray
    allow_export: bool
    p_max_pu: float
    loss_price_per_mwh: float
    carbon_price_per_t: float


@dataclass(frozen=True)
class PvData:
    """Feeder PV inverters (k units), eq. (21)."""

    names: list[str]
    bus: np.ndarray
    p_avail_pu: np.ndarray
    s_max_pu: np.ndarray
    tan_phi: np.ndarray


@dataclass(frozen=True)
class ModelData:
    """Everything the optimisation model needs, as plain arrays (time on axis 0).

    Attributes
    ----------
    case_name : str
    scenario : int
        1, 2 or 3 (see ``SCENARIOS``).
    periods : int
    dt_h : float
        Period length in hours (always explicit).
    time_h : ndarray (T,)
        Period start times.
    net : NetworkData
    root_vm_pu : float
    p_load_pu, q_load_pu : ndarray (T, n)
    grid : GridData
    pv : PvData
    park, esop : dataclass or None
        Added by the park and ESOP modules (see ``model.eaip`` and ``model.esop``).
    carbon_in_objective : bool
    currency : str
    """

    case_name: str
    scenario: int
    periods: int
    dt_h: float
    time_h: np.ndarray
    net: NetworkData
    root_vm_pu: float
    p_load_pu: np.ndarray
    q_load_pu: np.ndarray
    grid: GridData
    pv: PvData
    carbon_in_objective: bool
    currency: str = "CNY"
    park: object | None = None
    esop: object | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def base_mva(self) -> float:
        return self.net.base_mva


def build_model_data(case: Case, scenario: int = 2, periods: int | None = None) -> ModelData:
    """Turn a loaded case into :class:`ModelData` for one scenario.

    Parameters
    ----------
    case : Case
    scenario : {1, 2, 3}
        1: no ESOP, carbon cost out of the objective; 2: no ESOP, carbon cost in; 3: ESOP in
        service, carbon cost in.
    periods : int, optional
        Number of equal periods over the horizon; the profile file's row count by default.

    Raises
    ------
    InputError
        Unknown scenario, scenario 3 without an ``[esop]`` section, bad periods.
    """
    problems: list[Problem] = []
    if scenario not in SCENARIOS:
        problems.append(Problem("scenario", f"must be 1, 2 or 3 (got {scenario!r})"))
    if scenario == 3 and not case.settings.get("esop"):
        problems.append(
            Problem("scenario", f"scenario 3 needs an [esop] section in case {case.name!r}")
        )
    if periods is not None and (not isinstance(periods, int) or periods < 1):
        problems.append(Problem("periods", f"must be a positive integer (got {periods!r})"))
    raise_if_problems(problems, "invalid run settings")

    s = case.settings
    horizon_h = s["case"]["horizon_h"]
    periods = periods or len(case.profiles)
    dt_h = horizon_h / periods
    prof = resample(case.profiles, horizon_h, periods)
    netd = network_data(
        case.net, s["network"]["vm_min_pu"], s["network"]["vm_max_pu"], s["network"]["max_i_ka"]
    )
    base = netd.base_mva
    scale = prof[s["network"]["load_profile"]][:, None]
    g = s["grid"]
    grid = GridData(
        price_per_mwh=prof[g["price_profile"]],
        ci_kg_per_mwh=prof[g["ci_profile"]],
        allow_export=g["allow_export"],
        p_max_pu=(g["p_max_mw"] / base) if g["p_max_mw"] > 0 else np.inf,
        loss_price_per_mwh=g["loss_price_per_mwh"],
        carbon_price_per_t=g["carbon_price_per_t"],
    )
    pvs = s.get("pv", [])
    pv = PvData(
        names=[p["name"] for p in pvs],
        bus=np.array([netd.bus_pos(p["bus"]) for p in pvs], dtype=int),
        p_avail_pu=(
            np.column_stack([prof[p["profile"]] * p["p_mw"] for p in pvs]) / base
            if pvs
            else np.zeros((periods, 0))
        ),
        s_max_pu=np.array([p["s_mva"] for p in pvs], dtype=float) / base,
        tan_phi=np.array([np.tan(np.arccos(p["pf_min"])) for p in pvs], dtype=float),
    )
    data = ModelData(
        case_name=case.name,
        scenario=scenario,
        periods=periods,
        dt_h=dt_h,
        time_h=np.arange(periods) * dt_h,
        net=netd,
        root_vm_pu=s["network"]["root_vm_pu"],
        p_load_pu=scale * netd.p_load_pu[None, :],
        q_load_pu=scale * netd.q_load_pu[None, :],
        grid=grid,
        pv=pv,
        carbon_in_objective=scenario in (2, 3),
        currency=s["case"]["currency"],
    )
    _check_numbers(data)
    return _with_devices(data, case)


def _with_devices(data: ModelData, case: Case) -> ModelData:
    """Attach park and ESOP data when the case has them (and the scenario uses them)."""
    from dataclasses import replace

    park = esop = None
    if case.settings.get("park"):
        from .model.eaip import park_data

        park = park_data(case, data)
    if data.scenario == 3 and case.settings.get("esop"):
        from .model.esop import esop_data

        esop = esop_data(case, data)
    return replace(data, park=park, esop=esop)


def _check_numbers(data: ModelData) -> None:
    problems = []
    for name, arr in (
        ("load", data.p_load_pu),
        ("price", data.grid.price_per_mwh),
        ("grid carbon intensity", data.grid.ci_kg_per_mwh),
        ("pv availability", data.pv.p_avail_pu),
    ):
        if not np.all(np.isfinite(arr)):
            problems.append(Problem(name, "non-finite values after resampling"))
    if np.any(data.pv.p_avail_pu < 0):
        problems.append(Problem("pv profile", "negative availability"))
    if np.any(data.grid.ci_kg_per_mwh < 0):
        problems.append(Problem("grid carbon intensity", "negative values"))
    raise_if_problems(problems, "invalid model data")
