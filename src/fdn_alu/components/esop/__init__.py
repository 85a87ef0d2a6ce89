"""Energy-storage soft open point (ESOP), eqs. (6)-(11), (18), A2-A3: in service in the
scenarios that use the flexible network."""

from __future__ import annotations

from typing import ClassVar

from fdn_alu.components.base import Component
from fdn_alu.components.battery_settings import SCHEMA as BATTERY
from fdn_alu.components.esop.data import esop_data
from fdn_alu.components.esop.model import esop_block
from fdn_alu.components.esop.post import (
    esop_carbon,
    esop_checks,
    esop_solution,
    esop_source_rows,
    esop_table,
)
from fdn_alu.components.esop.reserve import esop_offers
from fdn_alu.components.esop.settings import ESOP, validate_esop
from fdn_alu.components.storage_fix import block_battery_fix


class Esop(Component):
    name = "esop"
    section = "esop"
    schema = ESOP
    tolerances: ClassVar[dict[str, float]] = {
        "esop_simultaneous_max_mw": 1e-4,
        "esop_converter_loss_gap_max_mw": 1e-4,
    }
    # the converter loss L >= A ||(P, Q)|| relaxes L = A ||(P, Q)|| (tight unless power pays)
    exact_cones: ClassVar[dict[str, str]] = {"converter_loss": "esop_converter_loss_gap_max_mw"}
    summary_costs = ("esop",)
    summary_checks = (
        "esop_simultaneous_max_mw",
        "esop_converter_loss_gap_max_mw",
        "esop_end_energy_mwh",
    )
    tables = ("esop",)
    limits_hint = "battery energy bounds and end-of-horizon rule, converter ratings"

    def rated_mva(self, settings):
        return float(max(settings["s_i_mva"], settings["s_j_mva"]))

    def validate(self, raw, where, problems):
        return validate_esop(raw, f"{where} [esop]", problems)

    def schemas(self):
        return {"[esop]": ESOP, "[esop.battery]": BATTERY}

    def check_against_case(self, settings, buses, columns, where):
        refs = [("[esop].bus_i", settings.get("bus_i")), ("[esop].bus_j", settings.get("bus_j"))]
        return self.missing_buses(where, refs, buses, "esop")

    def active(self, settings, scenario):
        return bool(settings.get("esop")) and scenario.flexible

    def data(self, settings, core, profiles):
        return esop_data(settings, core)

    def block(self, data, core, relax_integers):
        return esop_block(data, core, relax_integers)

    def integer_fixes(self, block, data, core):
        fix = block_battery_fix("ESOP battery", block, "battery_", "")
        return [fix] if fix else []

    def reserve_offers(self, block, data, core):
        return esop_offers(data, block, core)

    def solution(self, block, data, core):
        return esop_solution(data, block)

    def checks(self, data, part, core):
        return esop_checks(data, part)

    def carbon(self, data, part, core, first_node):
        return esop_carbon(data, part, first_node)

    def result_tables(self, data, part, core, carbon, nodes):
        return {"esop": esop_table(part, core, carbon, nodes)}, {}

    def source_rows(self, data, part, core, carbon, nodes):
        return esop_source_rows(data, part, core, carbon, nodes)
