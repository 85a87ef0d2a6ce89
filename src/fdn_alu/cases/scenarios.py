"""The paper's three scenarios (section 8 of the model specification) as data: what each puts
in the objective and which device sections it needs.

Scenarios ``"3a"`` and ``"3b"`` split the paper's scenario 3 in two steps (our extension):
3a puts the soft open point's converters in service without their battery (flexibility
only), 3b is scenario 3 itself (converters and battery: flexibility plus arbitrage). The
paper's numbers 1, 2 and 3 keep their meaning.

Every scenario is named as well as numbered; :func:`scenario_key` accepts either:

====== =============== =====================================================================
key    name            what is in service / optimised
====== =============== =====================================================================
1      ``rigid``       rigid network, carbon cost reported ex post
2      ``low_carbon``  rigid network, carbon cost in the objective
3      ``flexible``    the energy-storage soft open point (ESOP), carbon cost in the objective
"3a"   ``sop_only``    the soft open point's converters without their battery
"3b"   ``sop_storage`` converters and battery: scenario 3 under the name of its split
====== =============== =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """One dispatch scenario.

    Attributes
    ----------
    number : int
    name, description : str
    carbon_in_objective : bool
        Carbon cost (16) in the objective (else reported ex post).
    flexible : bool
        The flexible-network devices (the ESOP) are in service.
    requires : tuple of str
        Settings sections the scenario needs.
    flexible_storage : bool
        The flexible-network devices' storage is in service (False: converters only).
    """

    number: int | str
    name: str
    description: str
    carbon_in_objective: bool
    flexible: bool
    requires: tuple[str, ...] = ()
    flexible_storage: bool = True


SCENARIOS = {
    1: Scenario(1, "rigid", "rigid network, carbon cost reported but not optimised", False, False),
    2: Scenario(2, "low_carbon", "rigid network, carbon cost in the objective", True, False),
    3: Scenario(
        3,
        "flexible",
        "energy-storage soft open point in service, carbon cost in the objective",
        True,
        True,
        ("esop",),
    ),
    "3a": Scenario(
        "3a",
        "sop_only",
        "soft open point converters in service without their battery, carbon cost in the objective",
        True,
        True,
        ("esop",),
        flexible_storage=False,
    ),
    "3b": Scenario(
        "3b",
        "sop_storage",
        "energy-storage soft open point (converters and battery) in service, carbon cost in the "
        "objective: scenario 3",
        True,
        True,
        ("esop",),
    ),
}


BY_NAME: dict[str, int | str] = {sc.name: key for key, sc in SCENARIOS.items()}
"""Scenario name -> its key in :data:`SCENARIOS` (``"low_carbon"`` -> 2)."""

SCENARIO_CHOICES = "1 rigid, 2 low_carbon, 3 flexible, 3a sop_only, 3b sop_storage"
"""The accepted values as a user reads them (number and name), for messages and ``--help``."""


def scenario_key(value: object) -> object:
    """The key of :data:`SCENARIOS` a user's value names, or the value unchanged when it names
    none (the caller reports it).

    Numbers and names are both accepted, case-insensitively and with surrounding blanks:
    ``3``, ``"3"`` and ``"flexible"`` -> 3; ``"3A"`` and ``"sop_only"`` -> ``"3a"``;
    ``"low-carbon"`` -> 2 (a hyphen reads as an underscore).

    Parameters
    ----------
    value : int or str
        A scenario number (1, 2, 3), a key (``"3a"``, ``"3b"``) or a name (:data:`BY_NAME`).

    Returns
    -------
    int or str
        The key of :data:`SCENARIOS`; ``value`` itself when it names no scenario.
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower().replace("-", "_")
    if text.isdigit() and int(text) in SCENARIOS:
        return int(text)
    if text in SCENARIOS:
        return text
    return BY_NAME.get(text, value)
