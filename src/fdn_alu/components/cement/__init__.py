"""Cement plant (seed 002 §3.1): kiln must-run, raw and cement mills schedulable between
silos, non-spinning reserve from a running mill with the energy made up after an event."""

from __future__ import annotations

from typing import ClassVar

from fdn_alu.components.base import Component
from fdn_alu.components.cement.data import cement_data
from fdn_alu.components.cement.model import cement_block, cement_offers
from fdn_alu.components.cement.post import cement_checks, cement_solution, cement_table
from fdn_alu.components.cement.settings import SCHEMA, check_cement


class Cement(Component):
    name = "cement"
    section = "cement"
    schema = SCHEMA
    tolerances: ClassVar[dict[str, float]] = {
        "cement_silo_violation_h": 1e-6,
        "cement_cycle_err_h": 1e-6,
    }
    summary_energy = ("cement",)
    tables = ("cement",)
    limits_hint = "mill capacities vs the kiln's pace, silo bounds and cycle (initial = final)"

    def validate(self, raw, where, problems):
        out = super().validate(raw, where, problems)
        check_cement(out, f"{where} [cement]", problems)
        return out

    def check_against_case(self, settings, buses, columns, where):
        return self.missing_buses(where, [("[cement].bus", settings.get("bus"))], buses, "cement")

    def data(self, settings, core, profiles):
        return cement_data(settings, core)

    def block(self, data, core, relax_integers):
        return cement_block(data, core)

    def reserve_offers(self, block, data, core):
        return cement_offers(data, block, core)

    def solution(self, block, data, core):
        return cement_solution(block)

    def checks(self, data, part, core):
        return cement_checks(data, part, core)

    def energy_mwh(self, data, part, core):
        mills = part["raw_mill_mw"] + part["cement_mill_mw"]
        return {"cement": float((data.p_kiln_mw * core.periods + mills.sum()) * core.dt_h)}

    def result_tables(self, data, part, core, carbon, nodes):
        return {"cement": cement_table(data, part, core)}, {}
