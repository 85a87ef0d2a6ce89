"""Schema of the case settings file (TOML) and its validation.

Validation collects every problem in the file, with the file and key where it is, before
anything is built. Each field is ``(type, default, check)``; ``REQUIRED`` marks fields without
a default. A section's unknown keys are problems too (a misspelt key silently ignored is the
kind of error that ends up in a paper).

Where the defaults come from (PARAMETERS.md unless said otherwise): voltage limits 0.9-1.1 pu
(the MATPOWER files' VMIN/VMAX); PV pf >= 0.9 (common grid-code minimum, our choice); bath
window 950-970 deg C (seed 001), rated/initial 960 (our choice: mid-window); eta_N 0.94, ramp
20 %/h, 10 adjustments/day, current range 0.9-1.1 x rated (shen-y21 EAL model; the built-in
cases use its 0.7-1.1); a = 0.0015 /K (the paper's 1.5 % read per 10 K); K_Al 0.3356 kg/(kA h)
(Faraday); battery efficiencies 0.95 (planning studies 0.9-0.95); converter loss 0.02, SOP
1000 CNY/kVA at 0.01 /yr, battery O&M 0.0195 CNY/kWh (planning studies). Zero for a limit,
cost or target means "none" / "rated production"; ``max_i_ka = 0`` keeps the lines' ratings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import Problem

REQUIRED = object()

Check = Callable[[Any], str | None]


def positive(v: float) -> str | None:
    return None if v > 0 else "must be > 0"


def non_negative(v: float) -> str | None:
    return None if v >= 0 else "must be >= 0"


def fraction(v: float) -> str | None:
    return None if 0 < v <= 1 else "must be in (0, 1]"


def one_of(*choices: str) -> Check:
    def check(v: str) -> str | None:
        return None if v in choices else f"must be one of {', '.join(choices)}"

    return check


Field = tuple[type | tuple[type, ...], Any, Check | None]

NUM = (int, float)

CASE: dict[str, Field] = {
    "name": (str, REQUIRED, None),
    "description": (str, "", None),
    "network": (str, REQUIRED, None),
    "profiles": (str, REQUIRED, None),
    "horizon_h": (NUM, 24.0, positive),
    "currency": (str, "CNY", None),
}

NETWORK: dict[str, Field] = {
    "root_vm_pu": (NUM, 1.0, positive),
    "vm_min_pu": (NUM, 0.9, positive),
    "vm_max_pu": (NUM, 1.1, positive),
    "max_i_ka": (NUM, 0.0, non_negative),
    "load_profile": (str, "load_scale", None),
}

GRID: dict[str, Field] = {
    "allow_export": (bool, False, None),
    "p_max_mw": (NUM, 0.0, non_negative),
    "price_profile": (str, "price_per_mwh", None),
    "ci_profile": (str, "grid_ci_kg_per_mwh", None),
    "loss_price_per_mwh": (NUM, REQUIRED, non_negative),
    "carbon_price_per_t": (NUM, REQUIRED, non_negative),
}

PV: dict[str, Field] = {
    "name": (str, REQUIRED, None),
    "bus": (int, REQUIRED, None),
    "p_mw": (NUM, REQUIRED, non_negative),
    "s_mva": (NUM, REQUIRED, non_negative),
    "pf_min": (NUM, 0.9, fraction),
    "profile": (str, "pv_pu", None),
}

POTLINE: dict[str, Field] = {
    "name": (str, REQUIRED, None),
    "cells": (int, REQUIRED, positive),
    "i_rated_ka": (NUM, REQUIRED, positive),
    "r_cell_uohm": (NUM, REQUIRED, positive),
    "e_cell_v": (NUM, REQUIRED, non_negative),
    "i_min_frac": (NUM, 0.9, positive),
    "i_max_frac": (NUM, 1.1, positive),
}

PARK: dict[str, Field] = {
    "bus": (int, REQUIRED, None),
    "thermal_model": (str, "paper", one_of("paper", "heat_balance")),
    "temp_min_c": (NUM, 950.0, None),
    "temp_max_c": (NUM, 970.0, None),
    "temp_rated_c": (NUM, 960.0, None),
    "temp_init_c": (NUM, 960.0, None),
    "heat_capacity_mj_per_k_per_cell": (NUM, REQUIRED, positive),
    "heat_loss_kw_per_k_per_cell": (NUM, REQUIRED, non_negative),
    "eta_rated": (NUM, 0.94, fraction),
    "eta_temp_coeff_per_k": (NUM, 0.0015, non_negative),
    "k_al_kg_per_ka_h": (NUM, 0.3356, positive),
    "ramp_frac_per_h": (NUM, 0.2, positive),
    "max_adjustments": (int, 10, non_negative),
    "production_target_t": (NUM, 0.0, non_negative),
    "running_cost_per_mwh": (NUM, 0.0, non_negative),
    "pcc_max_mw": (NUM, 0.0, non_negative),
    "pcc_pf": (NUM, 1.0, fraction),
}

PARK_PV: dict[str, Field] = {
    "p_mw": (NUM, REQUIRED, non_negative),
    "profile": (str, "pv_pu", None),
}

GAS_TURBINE: dict[str, Field] = {
    "p_min_mw": (NUM, 0.0, non_negative),
    "p_max_mw": (NUM, REQUIRED, non_negative),
    "ramp_mw_per_h": (NUM, REQUIRED, positive),
    "cost_per_mwh": (NUM, REQUIRED, non_negative),
    "ci_kg_per_mwh": (NUM, REQUIRED, non_negative),
}

BATTERY: dict[str, Field] = {
    "p_max_mw": (NUM, REQUIRED, non_negative),
    "e_max_mwh": (NUM, REQUIRED, non_negative),
    "e_min_mwh": (NUM, 0.0, non_negative),
    "e_init_mwh": (NUM, REQUIRED, non_negative),
    "eta_ch": (NUM, 0.95, fraction),
    "eta_dis": (NUM, 0.95, fraction),
    "ci_init_kg_per_mwh": (NUM, REQUIRED, non_negative),
    "end_rule": (str, "ge_initial", one_of("ge_initial", "equal", "free")),
}

ESOP: dict[str, Field] = {
    "bus_i": (int, REQUIRED, None),
    "bus_j": (int, REQUIRED, None),
    "s_i_mva": (NUM, REQUIRED, positive),
    "s_j_mva": (NUM, REQUIRED, positive),
    "loss_coeff": (NUM, 0.02, non_negative),
    "sop_invest_per_kva": (NUM, 1000.0, non_negative),
    "sop_om_rate_per_year": (NUM, 0.01, non_negative),
    "battery_om_per_kwh_day": (NUM, 0.0195, non_negative),
    "days_per_year": (NUM, 365.0, positive),
}


def validate_section(
    raw: Any, schema: dict[str, Field], where: str, problems: list[Problem]
) -> dict[str, Any]:
    """Check one TOML table against a schema; fill defaults; append every problem found.

    Parameters
    ----------
    raw : Any
        The table as parsed (should be a dict).
    schema : dict
        Field name -> (type, default or REQUIRED, check).
    where : str
        "file [section]" used in problem messages.
    problems : list of Problem
        Appended to in place (the only side effect).

    Returns
    -------
    dict
        The validated values; ints are turned into floats where a float is expected.
    """
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table"))
        return {}
    out: dict[str, Any] = {}
    for key in raw:
        if key not in schema:
            allowed = ", ".join(schema)
            problems.append(Problem(f"{where}.{key}", f"unknown key (allowed: {allowed})"))
    for key, (typ, default, check) in schema.items():
        if key not in raw:
            if default is REQUIRED:
                problems.append(Problem(f"{where}.{key}", "missing"))
            else:
                out[key] = default
            continue
        value = raw[key]
        if isinstance(value, bool) and typ is not bool:
            problems.append(Problem(f"{where}.{key}", f"expected a number, got {value!r}"))
            continue
        if not isinstance(value, typ):
            name = "number" if typ == NUM else getattr(typ, "__name__", str(typ))
            problems.append(Problem(f"{where}.{key}", f"expected {name}, got {value!r}"))
            continue
        if typ == NUM:
            value = float(value)
            if value != value:
                problems.append(Problem(f"{where}.{key}", "is NaN"))
                continue
        msg = check(value) if check else None
        if msg:
            problems.append(Problem(f"{where}.{key}", f"{msg} (got {value!r})"))
            continue
        out[key] = value
    return out
