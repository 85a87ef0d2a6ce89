"""One validation path for case settings: files, ``case_from_net`` and ``Case.with_settings``
all go through :func:`validate_settings` and :func:`check_against_data`, which collect every
problem (with section, key and element) before anything is built."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fdn_alu.cases.element_profiles import ElementProfiles, check_element_profiles
from fdn_alu.components.registry import COMPONENTS, SECTIONS
from fdn_alu.core.schema import CASE, NETWORK, PROFILES, validate_section
from fdn_alu.errors import Problem

CORE = {"case": CASE, "network": NETWORK, "profiles": PROFILES}


def validate_settings(raw: dict, where: str, problems: list[Problem]) -> dict[str, Any]:
    """Validated settings by section (defaults filled); every problem appended to ``problems``.

    Core sections (``[case]``, ``[network]``) are checked against :mod:`fdn_alu.core.schema`, every
    device section by its component; unknown sections are problems too.
    """
    if not isinstance(raw, dict):
        problems.append(Problem(where, "settings must be a table of sections"))
        return {}
    settings: dict[str, Any] = {
        sec: validate_section(raw.get(sec, {}), schema, f"{where} [{sec}]", problems, section=sec)
        for sec, schema in CORE.items()
    }
    _check_network(settings["network"], f"{where} [network]", problems)
    known = set(CORE) | set(SECTIONS)
    for key in raw:
        if key not in known:
            problems.append(
                Problem(
                    f"{where} [{key}]",
                    f"unknown section (allowed: {', '.join(sorted(known))})",
                    key,
                )
            )
    for comp in COMPONENTS:
        if comp.section in raw:
            settings[comp.section] = comp.validate(raw[comp.section], where, problems)
        elif comp.required:
            settings[comp.section] = comp.validate([] if comp.array else {}, where, problems)
    return settings


def _check_network(net: dict, where: str, problems: list[Problem]) -> None:
    """Cross-field rules of ``[network]``: a voltage band, and the root inside it."""
    lo, hi, root = net.get("vm_min_pu"), net.get("vm_max_pu"), net.get("root_vm_pu")
    if None not in (lo, hi) and lo >= hi:
        problems.append(
            Problem(
                f"{where}.vm_min_pu",
                f"{lo} pu is not below vm_max_pu {hi} pu",
                "network",
                "vm_min_pu",
            )
        )
    elif None not in (lo, hi, root) and not lo <= root <= hi:
        problems.append(
            Problem(
                f"{where}.root_vm_pu",
                f"{root} pu is outside the voltage band [{lo}, {hi}] pu",
                "network",
                "root_vm_pu",
            )
        )


def check_against_data(
    settings: dict, net: Any, profiles: pd.DataFrame, where: str
) -> list[Problem]:
    """Devices must sit on existing buses and name existing profile columns."""
    buses = {int(b) for b in net.bus.index[net.bus.in_service]}
    columns = set(profiles.columns)
    problems: list[Problem] = []
    col = settings.get("network", {}).get("load_profile")
    if col is not None and col not in columns:
        problems.append(
            Problem(
                f"{where} [network].load_profile",
                f"profile column {col!r} not in the profile file "
                f"(has: {', '.join(sorted(columns))})",
                "network",
                "load_profile",
            )
        )
    for comp in COMPONENTS:
        if comp.section in settings:
            problems += comp.check_against_case(settings[comp.section], buses, columns, where)
    return problems


def check_case_data(
    settings: dict,
    net: Any,
    profiles: pd.DataFrame,
    elements: ElementProfiles | None,
    where: str,
) -> list[Problem]:
    """Problems of the settings against the net, the profile table and the element series."""
    problems = check_against_data(settings, net, profiles, where)
    start = settings.get("profiles", {}).get("start", "")
    if elements is not None and "horizon_h" in settings.get("case", {}):
        horizon_h = settings["case"]["horizon_h"]
        problems += check_element_profiles(elements, net, start, horizon_h, where)
    elif start:
        problems.append(
            Problem(
                f"{where} [profiles].start",
                "the case has no per-element profiles to start (network = simbench:CODE, or "
                "element_profiles given to case_from_net)",
                "profiles",
                "start",
            )
        )
    return problems
