"""Validation of the device sections of a case file: PV, the aluminium park, the ESOP."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import Problem
from . import schema


def validate_devices(raw: dict, where: str, problems: list[Problem]) -> dict[str, Any]:
    """Validate ``[[pv]]``, ``[park]`` (with its sub-tables) and ``[esop]``.

    Returns
    -------
    dict
        ``pv`` (list of dicts), and ``park`` / ``esop`` when present.
    """
    out: dict[str, Any] = {}
    pv_raw = raw.get("pv", [])
    if not isinstance(pv_raw, list):
        problems.append(Problem(f"{where} [[pv]]", "must be an array of tables ([[pv]])"))
        pv_raw = []
    out["pv"] = [
        schema.validate_section(item, schema.PV, f"{where} [[pv]] #{k + 1}", problems)
        for k, item in enumerate(pv_raw)
    ]
    names = [p.get("name") for p in out["pv"]]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(Problem(f"{where} [[pv]]", f"duplicate name {name!r}"))
    for k, p in enumerate(out["pv"]):
        if "p_mw" in p and "s_mva" in p and p["s_mva"] < p["p_mw"]:
            problems.append(
                Problem(
                    f"{where} [[pv]] #{k + 1}.s_mva",
                    f"inverter rating {p['s_mva']} MVA below p_mw {p['p_mw']} MW",
                )
            )
    if "park" in raw:
        out["park"] = _validate_park(raw["park"], f"{where} [park]", problems)
    if "esop" in raw:
        esop_raw = raw["esop"] if isinstance(raw["esop"], dict) else {}
        battery = esop_raw.get("battery", {})
        esop = schema.validate_section(
            {k: v for k, v in esop_raw.items() if k != "battery"},
            schema.ESOP,
            f"{where} [esop]",
            problems,
        )
        esop["battery"] = schema.validate_section(
            battery, schema.BATTERY, f"{where} [esop.battery]", problems
        )
        if esop.get("bus_i") is not None and esop.get("bus_i") == esop.get("bus_j"):
            problems.append(Problem(f"{where} [esop]", "bus_i and bus_j must differ"))
        _check_battery(esop["battery"], f"{where} [esop.battery]", problems)
        out["esop"] = esop
    return out


def _validate_park(raw: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table"))
        return {}
    subs = {
        "potline": None,
        "pv": schema.PARK_PV,
        "gas_turbine": schema.GAS_TURBINE,
        "battery": schema.BATTERY,
    }
    park = schema.validate_section(
        {k: v for k, v in raw.items() if k not in subs}, schema.PARK, where, problems
    )
    lines = raw.get("potline", [])
    if not isinstance(lines, list) or not lines:
        problems.append(Problem(f"{where}.potline", "at least one [[park.potline]] is required"))
        lines = []
    park["potlines"] = [
        schema.validate_section(
            item, schema.POTLINE, f"{where} [[park.potline]] #{k + 1}", problems
        )
        for k, item in enumerate(lines)
    ]
    for k, line in enumerate(park["potlines"]):
        lo, hi = line.get("i_min_frac"), line.get("i_max_frac")
        if lo is not None and hi is not None and not lo <= 1.0 <= hi:
            problems.append(
                Problem(
                    f"{where} [[park.potline]] #{k + 1}",
                    f"need i_min_frac <= 1 <= i_max_frac (got {lo}, {hi})",
                )
            )
    for sub in ("pv", "gas_turbine", "battery"):
        if sub in raw:
            park[sub] = schema.validate_section(raw[sub], subs[sub], f"{where}.{sub}", problems)
    if "battery" in park:
        _check_battery(park["battery"], f"{where}.battery", problems)
    tmin, tmax = park.get("temp_min_c"), park.get("temp_max_c")
    for key in ("temp_rated_c", "temp_init_c"):
        v = park.get(key)
        if None not in (tmin, tmax, v) and not tmin <= v <= tmax:
            problems.append(Problem(f"{where}.{key}", f"{v} outside [{tmin}, {tmax}]"))
    if None not in (tmin, tmax) and tmin >= tmax:
        problems.append(Problem(f"{where}.temp_min_c", "must be below temp_max_c"))
    return park


def _check_battery(b: dict, where: str, problems: list[Problem]) -> None:
    lo, hi, e0 = b.get("e_min_mwh"), b.get("e_max_mwh"), b.get("e_init_mwh")
    if None not in (lo, hi, e0) and not lo <= e0 <= hi:
        problems.append(Problem(f"{where}.e_init_mwh", f"{e0} outside [{lo}, {hi}]"))


def check_against_data(
    settings: dict, net: Any, profiles: pd.DataFrame, where: str
) -> list[Problem]:
    """Devices must sit on existing buses and name existing profile columns."""
    problems: list[Problem] = []
    buses = set(int(b) for b in net.bus.index[net.bus.in_service])
    columns = set(profiles.columns)

    def bus(value: Any, key: str) -> None:
        if value is not None and int(value) not in buses:
            problems.append(
                Problem(f"{where} {key}", f"bus {value} is not an in-service bus of the network")
            )

    def col(value: Any, key: str) -> None:
        if value is not None and value not in columns:
            problems.append(
                Problem(
                    f"{where} {key}",
                    f"profile column {value!r} not in the "
                    f"profile file (has: {', '.join(sorted(columns))})",
                )
            )

    col(settings["network"].get("load_profile"), "[network].load_profile")
    col(settings["grid"].get("price_profile"), "[grid].price_profile")
    col(settings["grid"].get("ci_profile"), "[grid].ci_profile")
    for k, pv in enumerate(settings.get("pv", [])):
        bus(pv.get("bus"), f"[[pv]] #{k + 1}.bus")
        col(pv.get("profile"), f"[[pv]] #{k + 1}.profile")
    park = settings.get("park")
    if park:
        bus(park.get("bus"), "[park].bus")
        if "pv" in park:
            col(park["pv"].get("profile"), "[park.pv].profile")
    esop = settings.get("esop")
    if esop:
        bus(esop.get("bus_i"), "[esop].bus_i")
        bus(esop.get("bus_j"), "[esop].bus_j")
    return problems
