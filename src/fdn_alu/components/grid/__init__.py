"""Main grid supply at the root bus (always present)."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.base import Component
from fdn_alu.components.grid.data import grid_data
from fdn_alu.components.grid.model import grid_block
from fdn_alu.components.grid.post import (
    grid_carbon,
    grid_energy,
    grid_roots_table,
    grid_solution,
)
from fdn_alu.components.grid.settings import SCHEMA
from fdn_alu.errors import Problem


class Grid(Component):
    name = "grid"
    section = "grid"
    required = True
    schema = SCHEMA
    summary_costs = ("purchase",)
    summary_energy = ("grid_import", "grid_export")
    summary_emissions = ("grid",)
    limits_hint = "import limit p_max_mw, export not allowed"

    def check_against_case(self, settings, buses, columns, where):
        refs = [
            ("[grid].price_profile", settings.get("price_profile")),
            ("[grid].ci_profile", settings.get("ci_profile")),
        ]
        return self.missing_columns(where, refs, columns, "grid")

    def data(self, settings, core, profiles):
        return grid_data(settings, core, profiles)

    def limits(self, data, core):
        """The root's import limit when there is one; the export ban when the case can
        generate (negative fixed demand, or any device besides the grid and an empty PV list)."""
        out = []
        peak = float(core.p_load_pu.sum(axis=1).max() * core.base_mva) if core.periods else 0.0
        if np.isfinite(data.p_max_pu):
            out.append(
                f"import limit at the root p_max_mw = {data.p_max_pu * core.base_mva:.4g} MW "
                f"(peak fixed demand {peak:.4g} MW before losses and devices)"
            )
        devices = [
            n
            for n, c in core.components.items()
            if n != self.name and len(getattr(c, "names", [n]))
        ]
        if not data.allow_export and (devices or (core.p_load_pu.sum(axis=1) < 0).any()):
            out.append("no export to the upstream grid (allow_export = false)")
        return out

    def data_problems(self, data, core):
        if np.any(data.ci_kg_per_mwh < 0):
            return [Problem("grid carbon intensity", "negative values", "grid", "ci_profile")]
        return []

    def root_tariff(self, data):
        return data.price_per_mwh, data.ci_kg_per_mwh

    def block(self, data, core, relax_integers):
        return grid_block(data, core)

    def solution(self, block, data, core):
        return grid_solution(block, core)

    def carbon(self, data, part, core, first_node):
        return grid_carbon(data, part, core)

    def energy_mwh(self, data, part, core):
        return grid_energy(part, core)

    def result_tables(self, data, part, core, carbon, nodes):
        return grid_roots_table(data, part, core), {}
