"""Settings of a battery (``[park.battery]``, ``[esop.battery]``): shared by the components
that hold one; the equations are in :mod:`fdn_alu.model.storage`."""

from __future__ import annotations

from fdn_alu.core.schema import NUM, REQUIRED, Field, fraction, non_negative, one_of
from fdn_alu.errors import Problem

SCHEMA: dict[str, Field] = {
    "p_max_mw": Field(NUM, REQUIRED, "MW", "charge and discharge power limit", "", non_negative),
    "e_max_mwh": Field(NUM, REQUIRED, "MWh", "energy capacity", "", non_negative),
    "e_min_mwh": Field(NUM, 0.0, "MWh", "lowest allowed stored energy", "our choice", non_negative),
    "e_init_mwh": Field(NUM, REQUIRED, "MWh", "stored energy at the start", "", non_negative),
    "eta_ch": Field(
        NUM, 0.95, "", "charging efficiency, eq. (9)", "planning studies 0.9-0.95", fraction
    ),
    "eta_dis": Field(
        NUM, 0.95, "", "discharging efficiency, eq. (9)", "planning studies 0.9-0.95", fraction
    ),
    "ci_init_kg_per_mwh": Field(
        NUM,
        REQUIRED,
        "kg/MWh",
        "carbon intensity of the initially stored energy, eq. (10)",
        "seed 001: 400 g/kWh",
        non_negative,
    ),
    "degradation_cost_per_mwh": Field(
        NUM,
        0.0,
        "currency/MWh",
        "wear cost per MWh discharged (enters the owner's cost term)",
        "0: the paper's cost (18) has none; LFP 1000 CNY/kWh over 3000-6000 cycles at "
        "80-90 % depth gives 185-420 CNY/MWh (docs/PARAMETERS.md)",
        non_negative,
    ),
    "end_rule": Field(
        str,
        "ge_initial",
        "",
        "end of horizon: ge_initial (E_T >= E_0), equal or free",
        "the paper's E_T >= E_0",
        one_of("ge_initial", "equal", "free"),
    ),
}


def check_battery(b: dict, where: str, section: str, problems: list[Problem]) -> None:
    """Cross-field rules of a validated battery table (appended to ``problems``)."""
    lo, hi, e0 = b.get("e_min_mwh"), b.get("e_max_mwh"), b.get("e_init_mwh")
    if None not in (lo, hi) and lo > hi:
        problems.append(
            Problem(f"{where}.e_min_mwh", f"{lo} above e_max_mwh {hi}", section, "e_min_mwh")
        )
    elif None not in (lo, hi, e0) and not lo <= e0 <= hi:
        problems.append(
            Problem(f"{where}.e_init_mwh", f"{e0} outside [{lo}, {hi}]", section, "e_init_mwh")
        )
