"""Settings of the energy-storage soft open point (``[esop]`` with ``[esop.battery]``).

Sources: converter loss coefficient 0.01-0.02 (PARAMETERS.md); SOP investment 1000 CNY/kVA at
1 %/yr O&M and battery O&M 0.0195 CNY/kWh/day (planning studies; our reading of eq. (18)'s units).
"""

from __future__ import annotations

from typing import Any

from fdn_alu.components import battery_settings
from fdn_alu.core.schema import NUM, REQUIRED, Field, non_negative, positive, validate_section
from fdn_alu.errors import Problem

ESOP: dict[str, Field] = {
    "bus_i": Field(int, REQUIRED, "", "bus of converter i (the network's numbering)"),
    "bus_j": Field(int, REQUIRED, "", "bus of converter j"),
    "s_i_mva": Field(NUM, REQUIRED, "MVA", "rating of converter i (A2)", "", positive),
    "s_j_mva": Field(NUM, REQUIRED, "MVA", "rating of converter j (A2)", "", positive),
    "loss_coeff": Field(
        NUM,
        0.02,
        "",
        "converter loss A in L = A ||(P, Q)||",
        "PARAMETERS.md: 0.01-0.02",
        non_negative,
    ),
    "sop_invest_per_kva": Field(
        NUM, 1000.0, "currency/kVA", "SOP investment, eq. (18)", "planning studies", non_negative
    ),
    "sop_om_rate_per_year": Field(
        NUM, 0.01, "1/yr", "SOP O&M as a share of investment", "planning studies", non_negative
    ),
    "battery_om_per_kwh_day": Field(
        NUM,
        0.0195,
        "currency/(kWh day)",
        "battery O&M per kWh of capacity, eq. (18)",
        "planning studies",
        non_negative,
    ),
    "days_per_year": Field(
        NUM, 365.0, "d", "days per year for the O&M rate", "calendar year", positive
    ),
}


def validate_esop(raw: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    """Validated ``[esop]`` settings with its ``battery`` table; every problem appended."""
    esop_raw = raw if isinstance(raw, dict) else {}
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table", "esop"))
    esop = validate_section(
        {k: v for k, v in esop_raw.items() if k != "battery"},
        ESOP,
        where,
        problems,
        section="esop",
    )
    esop["battery"] = validate_section(
        esop_raw.get("battery", {}),
        battery_settings.SCHEMA,
        f"{where}.battery",
        problems,
        section="esop.battery",
    )
    if esop.get("bus_i") is not None and esop.get("bus_i") == esop.get("bus_j"):
        problems.append(Problem(where, "bus_i and bus_j must differ", "esop", "bus_j"))
    battery_settings.check_battery(esop["battery"], f"{where}.battery", "esop.battery", problems)
    return esop
