"""The paper's three scenarios (section 8 of the model specification) as data: what each puts
in the objective and which device sections it needs."""

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
    """

    number: int
    name: str
    description: str
    carbon_in_objective: bool
    flexible: bool
    requires: tuple[str, ...] = ()


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
}
