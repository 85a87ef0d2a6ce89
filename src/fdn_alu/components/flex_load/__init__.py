"""Controllable (shiftable) load: the worked example of adding a device
(``docs/ARCHITECTURE.md``)."""

from __future__ import annotations

from typing import ClassVar

from fdn_alu.components.base import Component
from fdn_alu.components.flex_load.data import flex_load_data
from fdn_alu.components.flex_load.model import flex_load_block
from fdn_alu.components.flex_load.post import flex_load_checks, flex_load_solution, flex_load_table
from fdn_alu.components.flex_load.settings import SCHEMA
from fdn_alu.errors import Problem


class FlexLoad(Component):
    name = "flex_load"
    section = "flex_load"
    array = True
    schema = SCHEMA
    tolerances: ClassVar[dict[str, float]] = {"flex_load_energy_rel_err": 1e-6}
    summary_energy = ("flex_load",)
    tables = ("flex_load",)
    limits_hint = "p_min_mw * horizon <= energy_mwh <= p_max_mw * horizon"

    def rated_mva(self, settings):
        return float(sum(x["p_max_mw"] / x["pf"] for x in settings))

    def validate(self, raw, where, problems):
        out = super().validate(raw, where, problems)
        for k, x in enumerate(out):
            lo, hi = x.get("p_min_mw"), x.get("p_max_mw")
            if None not in (lo, hi) and lo > hi:
                problems.append(
                    Problem(
                        f"{where} [[flex_load]] #{k + 1}.p_min_mw",
                        f"{lo} above p_max_mw {hi}",
                        "flex_load",
                        "p_min_mw",
                        k + 1,
                    )
                )
        return out

    def check_against_case(self, settings, buses, columns, where):
        refs = [(f"[[flex_load]] #{k + 1}.bus", x.get("bus")) for k, x in enumerate(settings)]
        return self.missing_buses(where, refs, buses, "flex_load")

    def data(self, settings, core, profiles):
        return flex_load_data(settings, core)

    def data_problems(self, data, core):
        lo, hi = data.p_min_mw * core.horizon_h, data.p_max_mw * core.horizon_h
        return [
            Problem(
                f"[[flex_load]] {name}.energy_mwh",
                f"{e:g} MWh cannot be drawn within [{a:g}, {b:g}] MWh over the horizon",
                "flex_load",
                "energy_mwh",
                name,
            )
            for name, e, a, b in zip(data.names, data.energy_mwh, lo, hi, strict=True)
            if not a - 1e-9 <= e <= b + 1e-9
        ]

    def block(self, data, core, relax_integers):
        return flex_load_block(data, core)

    def charged_draw(self, block, data, core):
        return data.bus, block.variables["p"]

    def solution(self, block, data, core):
        return flex_load_solution(block)

    def checks(self, data, part, core):
        return flex_load_checks(data, part, core)

    def energy_mwh(self, data, part, core):
        return {"flex_load": float(part["flex_load_p_mw"].sum() * core.dt_h)}

    def result_tables(self, data, part, core, carbon, nodes):
        return {"flex_load": flex_load_table(data, part, core, carbon)}, {}
