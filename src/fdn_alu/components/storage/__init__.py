"""Stand-alone battery at a feeder bus (``[[storage]]``): the battery equations (9) shared with
the park and the ESOP, injecting P_dis - P_ch at its bus.

The registry name is ``bess`` (battery energy storage system) because "storage" is the carbon
flow's generic word for any tank (park battery, ESOP, this one); the user-facing names are
``[[storage]]``, ``storage.csv`` and the ``storage_*`` summary keys.
"""

from __future__ import annotations

from typing import ClassVar

from fdn_alu.components.base import Component
from fdn_alu.components.battery_settings import check_battery
from fdn_alu.components.storage.data import storage_data
from fdn_alu.components.storage.model import storage_block
from fdn_alu.components.storage.post import (
    storage_carbon,
    storage_checks,
    storage_energy,
    storage_solution,
    storage_source_rows,
    storage_table,
)
from fdn_alu.components.storage.settings import SCHEMA
from fdn_alu.components.storage_fix import block_battery_fix
from fdn_alu.errors import Problem


class Bess(Component):
    name = "bess"
    section = "storage"
    array = True
    schema = SCHEMA
    # Same tolerance as the park and ESOP batteries (docs/RESULTS.md).
    tolerances: ClassVar[dict[str, float]] = {"storage_simultaneous_max_mw": 1e-4}
    summary_costs = ("storage_wear",)
    summary_energy = ("storage_charge", "storage_discharge")
    summary_checks = ("storage_simultaneous_max_mw",)
    tables = ("storage",)
    limits_hint = "battery energy bounds and end-of-horizon rule, inverter rating"

    def validate(self, raw, where, problems):
        out = super().validate(raw, where, problems)
        seen: set[str] = set()
        for k, x in enumerate(out):
            check_battery(x, f"{where} [[storage]] #{k + 1}", "storage", problems)
            name = x.get("name")
            if name in seen:
                problems.append(
                    Problem(
                        f"{where} [[storage]] #{k + 1}.name",
                        f"duplicate name {name!r}",
                        "storage",
                        "name",
                        k + 1,
                    )
                )
            seen.add(name)
        return out

    def check_against_case(self, settings, buses, columns, where):
        refs = [(f"[[storage]] #{k + 1}.bus", x.get("bus")) for k, x in enumerate(settings)]
        return self.missing_buses(where, refs, buses, "storage")

    def data(self, settings, core, profiles):
        return storage_data(settings, core)

    def block(self, data, core, relax_integers):
        return storage_block(data, core, relax_integers)

    def integer_fixes(self, block, data, core):
        fixes = []
        for name in data.names:
            fix = block_battery_fix(f"battery {name}", block, f"{name}_")
            if fix:
                fixes.append(fix)
        return fixes

    def solution(self, block, data, core):
        return storage_solution(data, block)

    def checks(self, data, part, core):
        return storage_checks(part)

    def carbon(self, data, part, core, first_node):
        return storage_carbon(data, part)

    def energy_mwh(self, data, part, core):
        return storage_energy(part, core)

    def result_tables(self, data, part, core, carbon, nodes):
        return {"storage": storage_table(data, part, core, carbon)}, {}

    def source_rows(self, data, part, core, carbon, nodes):
        return storage_source_rows(data, part, core, carbon)
