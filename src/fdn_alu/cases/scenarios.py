"""The paper's three scenarios (section 8 of the model specification) as data: what each puts
in the objective and which device sections it needs.

Scenarios ``"3a"`` and ``"3b"`` split the paper's scenario 3 in two steps (our extension):
3a puts the soft open point's converters in service without their battery (flexibility
only), 3b is scenario 3 itself (converters and battery: flexibility plus arbitrage). The
paper's numbers 1, 2 and 3 keep their meaning.
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
    2: Scenario(2, "rigid_low_carbon", "rigid network, carbon cost in the objective", True, False),
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
        "flexible_sop",
        "soft open point converters in service without their battery, carbon cost in the objective",
        True,
        True,
        ("esop",),
        flexible_storage=False,
    ),
    "3b": Scenario(
        "3b",
        "flexible_esop",
        "energy-storage soft open point (converters and battery) in service, carbon cost in the "
        "objective: scenario 3",
        True,
        True,
        ("esop",),
    ),
}


def scenario_key(value) -> int | str:
    """The key of ``SCENARIOS`` a user's value names (``"3"`` -> 3, ``"3A"`` -> ``"3a"``), or
    the value unchanged when it names none."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text.isdigit() and int(text) in SCENARIOS:
        return int(text)
    return text if text in SCENARIOS else value
