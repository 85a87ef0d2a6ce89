"""Electrolytic aluminium industrial park (EAIP), eqs. (1)-(5), (14), (17) and A1."""

from __future__ import annotations

from typing import ClassVar

from fdn_alu.components.base import Component
from fdn_alu.components.park.data import park_data, park_problems
from fdn_alu.components.park.model import (
    park_block,
    park_charged_draw,
    park_integer_fix,
    park_intensity_parameters,
    park_relinearisation,
)
from fdn_alu.components.park.post import (
    eaip_table,
    park_carbon,
    park_checks,
    park_energy,
    park_footprint,
    park_solution,
    park_source_rows,
)
from fdn_alu.components.park.reserve import park_offers
from fdn_alu.components.park.settings import PARK, POTLINE, SUBTABLES, validate_park
from fdn_alu.components.park.turbine import turbine_integer_fix
from fdn_alu.components.storage_fix import block_battery_fix


class Park(Component):
    name = "park"
    section = "park"
    schema = PARK
    tolerances: ClassVar[dict[str, float]] = {
        "eaip_cone_gap_max": 1e-6,
        "production_rel_err": 1e-4,
        "eaip_adjustments_over": 0,
        "eaip_reversals": 0,
        "park_battery_simultaneous_max_mw": 1e-4,
    }
    summary_costs = ("gas_turbine", "eaip")
    summary_energy = ("gas_turbine", "eaip")
    summary_emissions = ("gas_turbine",)
    summary_reported = (
        "park",
        "park_consumed",
        "park_footprint",
        "park_footprint_t_per_t_al",
        "park_production_t",
    )
    summary_checks = (
        "production_rel_err",
        "production_t",
        "production_target_t",
        "eaip_cone_gap_max",
        "eaip_cone_gap_max_mw",
        "eaip_temperature_range_c",
        "eaip_temperature_violation_c",
        "eaip_adjustments_max",
        "eaip_adjustments_allowed",
        "eaip_adjustments_over",
        "eaip_reversals",
        "park_battery_simultaneous_max_mw",
    )
    tables = ("eaip",)
    limits_hint = (
        "potline current range vs production target, thermal window, park battery "
        "end-of-horizon rule, PCC limit"
    )

    def rated_mva(self, settings):
        """Rated potline power (eq. 1 at rated current) at the PCC power factor."""
        p_mw = sum(
            pl["cells"]
            * (pl["r_cell_uohm"] * 1e-3 * pl["i_rated_ka"] + pl["e_cell_v"])
            * pl["i_rated_ka"]
            * 1e-3
            for pl in settings["potlines"]
        )
        return float(p_mw / settings["pcc_pf"])

    def validate(self, raw, where, problems):
        return validate_park(raw, f"{where} [park]", problems)

    def schemas(self):
        return {
            "[park]": PARK,
            "[[park.potline]]": POTLINE,
            **{f"[park.{k}]": v for k, v in SUBTABLES.items()},
        }

    def check_against_case(self, settings, buses, columns, where):
        out = self.missing_buses(where, [("[park].bus", settings.get("bus"))], buses, "park")
        if "pv" in settings:
            ref = [("[park.pv].profile", settings["pv"].get("profile"))]
            out += self.missing_columns(where, ref, columns, "park.pv")
        return out

    def data(self, settings, core, profiles):
        return park_data(settings, core, profiles)

    def data_problems(self, data, core):
        return park_problems(data, core.periods * core.dt_h)

    def block(self, data, core, relax_integers):
        return park_block(data, core, relax_integers)

    def relinearisation(self, block, data, core):
        return park_relinearisation(data, block, core)

    def integer_fixes(self, block, data, core):
        fixes = [park_integer_fix(data, block, core)]

        fixes.append(block_battery_fix("park battery", block, "battery_"))
        fixes.append(turbine_integer_fix(data.gas_turbine, block.variables, block.parameters))
        return [f for f in fixes if f is not None]

    def reserve_offers(self, block, data, core):
        return park_offers(data, block, core)

    def charged_draw(self, block, data, core):
        return park_charged_draw(data, block)

    def intensity_parameters(self, block, data, core):
        return park_intensity_parameters(data, block)

    def solution(self, block, data, core):
        return park_solution(data, block, core)

    def checks(self, data, part, core):
        return park_checks(data, part)

    def carbon(self, data, part, core, first_node):
        return park_carbon(data, part, core, first_node)

    def energy_mwh(self, data, part, core):
        return park_energy(part, core)

    def result_tables(self, data, part, core, carbon, nodes):
        table, emissions_t = eaip_table(data, part, core, carbon, nodes)
        # (5) as the paper writes it counts carbon cycled through the park battery twice (at
        # the PCC when charged, again at discharge); the carbon flow's consumption at the park
        # node (the potlines' end use) conserves carbon. Both are reported, labelled.
        consumed_t = float(carbon.consumption_carbon_t[:, nodes["park"]].sum())
        foot_t, made_t = park_footprint(data, part, core, carbon)
        return {"eaip": table}, {
            "park": emissions_t,
            "park_consumed": consumed_t,
            "park_footprint": foot_t,
            "park_footprint_t_per_t_al": foot_t / made_t if made_t > 0 else 0.0,
            "park_production_t": made_t,
        }

    def source_rows(self, data, part, core, carbon, nodes):
        return park_source_rows(data, part, core, carbon)
