"""Settings of a cement plant (``[cement]``): kiln line must-run, raw mill and cement mill
schedulable between silos (seed 002 §3.1)."""

from __future__ import annotations

from fdn_alu.core.schema import NUM, REQUIRED, Field, fraction, non_negative, positive
from fdn_alu.errors import Problem

_SILO = (
    "our choice (check): silos of a few hours to a day of kiln flow; seed 002 §3.1 notes "
    "large plants' silos last days"
)
SCHEMA: dict[str, Field] = {
    "name": Field(str, "cement", "", "plant name (prefix of its reserve providers)"),
    "bus": Field(int, REQUIRED, "", "bus number (the network's own numbering)"),
    "cement_t_per_day": Field(NUM, REQUIRED, "t/day", "cement output", "", positive),
    "kwh_per_t": Field(
        NUM,
        87.0,
        "kWh/t",
        "electricity per tonne of cement",
        "Energies 8(5):3955 (2015): China 2013, 87 kWh/t",
        positive,
    ),
    "raw_mill_share": Field(
        NUM,
        0.25,
        "",
        "raw milling share of the plant's electricity",
        "Lidbetter & Liebenberg 2013: raw milling 20-30 % (midpoint)",
        fraction,
    ),
    "cement_mill_share": Field(
        NUM,
        0.38,
        "",
        "cement milling share of the plant's electricity",
        "our choice: mills 65 % in all (seed 002 §3.1: 60-70 %) less raw 25 % and coal ~2 %",
        fraction,
    ),
    "mill_utilisation": Field(
        NUM,
        0.75,
        "",
        "mean load of a mill per unit of its rated load",
        "Lidbetter & Liebenberg 2013: 6 h of load shifting per day without production loss",
        fraction,
    ),
    "raw_silo_min_h": Field(
        NUM,
        2.0,
        "h",
        "lowest raw-meal stock, hours of kiln feed",
        "our choice: seed 002 §3.1, raw meal must not run low (quality)",
        non_negative,
    ),
    "raw_silo_max_h": Field(
        NUM, 12.0, "h", "raw-meal silo capacity, hours of kiln feed", _SILO, positive
    ),
    "raw_silo_init_h": Field(
        NUM,
        6.0,
        "h",
        "raw-meal stock at the start (= at the end)",
        "our choice: half",
        non_negative,
    ),
    "clinker_silo_min_h": Field(
        NUM, 2.0, "h", "lowest clinker stock, hours of kiln output", "our choice", non_negative
    ),
    "clinker_silo_max_h": Field(
        NUM, 24.0, "h", "clinker silo capacity, hours of kiln output", _SILO, positive
    ),
    "clinker_silo_init_h": Field(
        NUM,
        12.0,
        "h",
        "clinker stock at the start (= at the end)",
        "our choice: half",
        non_negative,
    ),
    "reserve_duration_h": Field(
        NUM,
        2.0,
        "h",
        "event length a mill's non-spinning offer is held for (silo margin)",
        "our choice: non-spinning reserve's t2 - t1 (2 h)",
        positive,
    ),
    "rebound_h": Field(
        NUM,
        6.0,
        "h",
        "window after an event in which the shed energy is made up (E2 of eq. 2)",
        "Lidbetter & Liebenberg 2013: 6 h of load shifting without production loss",
        positive,
    ),
    "pf": Field(NUM, 0.9, "", "power factor of the plant's draw (lagging)", "our choice", fraction),
}


def check_cement(c: dict, where: str, problems: list[Problem]) -> None:
    """Cross-field rules: silo init within [min, max]; mills' shares below 1."""
    for silo in ("raw_silo", "clinker_silo"):
        lo, hi, x0 = (c.get(f"{silo}_{k}") for k in ("min_h", "max_h", "init_h"))
        if None not in (lo, hi, x0) and not lo <= x0 <= hi:
            problems.append(
                Problem(
                    f"{where}.{silo}_init_h",
                    f"{x0} outside [{lo}, {hi}]",
                    "cement",
                    f"{silo}_init_h",
                )
            )
    a, b = c.get("raw_mill_share"), c.get("cement_mill_share")
    if None not in (a, b) and a + b >= 1:
        problems.append(
            Problem(
                f"{where}.cement_mill_share",
                "mills' shares must sum below 1 (the kiln line runs too)",
                "cement",
                "cement_mill_share",
            )
        )
