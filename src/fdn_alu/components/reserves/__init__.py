"""Reserve products (regulation up/down, spinning, non-spinning) co-optimised with the dispatch:
a coupled component whose block is built from the other components' reserve offers (seed 002)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fdn_alu.components.base import Component
from fdn_alu.components.reserves.data import reserves_data
from fdn_alu.components.reserves.model import reserves_block
from fdn_alu.components.reserves.post import (
    REPLAY_LIMITS,
    reserves_checks,
    reserves_deployed,
    reserves_solution,
    reserves_table,
)
from fdn_alu.components.reserves.settings import (
    PRODUCT_SCHEMAS,
    PROVIDER,
    RESERVES,
    validate_reserves,
)


class Reserves(Component):
    name = "reserves"
    section = "reserves"
    schema = RESERVES
    coupled = True
    tolerances: ClassVar[dict[str, float]] = {
        "reserves_shortfall_mw": 1e-6,
        **REPLAY_LIMITS,
    }
    summary_costs = ("reserve_purchase",)
    summary_energy = ("reserves_held", "reserves_bought")
    summary_emissions = ("reserve_purchase",)
    # bought reserve's CO2 is emitted outside the feeder: no carbon-flow source carries it
    emissions_off_network = ("reserve_purchase",)
    tables = ("reserves",)
    limits_hint = (
        "reserve requirement vs the providers' headroom, response rates and worst-case "
        "deployment (bath window, stored energy, ramps, production), purchase allowed, "
        "deployed-state root import and voltage limits"
    )

    def validate(self, raw, where, problems):
        return validate_reserves(raw, f"{where} [reserves]", problems)

    def schemas(self):
        return {
            "[reserves]": RESERVES,
            **{f"[reserves.{p}]": s for p, s in PRODUCT_SCHEMAS.items()},
            "[reserves.provider.NAME]": PROVIDER,
        }

    def check_against_case(self, settings, buses, columns, where):
        refs = [
            (f"[reserves.{p}].profile", s.get("profile") or None)
            for p, s in settings.get("products", {}).items()
        ]
        return self.missing_columns(where, refs, columns, "reserves")

    def active(self, settings, scenario):
        return "reserves" in settings

    def data(self, settings, core, profiles):
        return reserves_data(settings, core, profiles)

    def coupling_block(self, data, core, blocks, offers):
        return reserves_block(data, core, blocks, offers)

    def solution(self, block, data, core):
        return reserves_solution(data, block, core)

    def checks(self, data, part, core):
        return reserves_checks(data, part, core)

    def deployed_injections(self, data, part, core):
        return reserves_deployed(part)

    def energy_mwh(self, data, part, core):
        held = sum(float(part[f"{p}_mw"].sum()) for p in data.products)
        return {
            "reserves_held": held * core.dt_h,
            "reserves_bought": float(np.sum(part["buy_mw"]) * core.dt_h),
        }

    def result_tables(self, data, part, core, carbon, nodes):
        return {"reserves": reserves_table(data, part, core)}, {}
