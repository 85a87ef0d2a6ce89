"""The net's own static generators (``net.sgen``) as curtailable generation.

Active when ``[network] sgen = "curtailable"``; with the default ``"fixed"`` the generators are
fixed injections netted into the bus demand (:func:`fdn_alu.core.injections.fixed_demand_pu`) and
this component takes no part. Its data come from the net and its per-element profiles, not
from a settings section.
"""

from __future__ import annotations

from fdn_alu.components.base import Component
from fdn_alu.components.net_sgen.data import net_sgen_data
from fdn_alu.components.net_sgen.model import net_sgen_block
from fdn_alu.components.net_sgen.post import (
    net_sgen_carbon,
    net_sgen_solution,
)
from fdn_alu.errors import Problem


class NetSgen(Component):
    name = "net_sgen"
    section = None
    limits_hint = (
        "the net's static generators can only lower their output: 0 <= P <= profile "
        "([network] sgen = curtailable)"
    )

    def active(self, settings, scenario):
        return settings.get("network", {}).get("sgen") == "curtailable"

    def data(self, settings, core, profiles):
        return net_sgen_data(core)

    def data_problems(self, data, core):
        bad = data.ids[(data.p_avail_pu < 0).any(axis=0)]
        if len(bad):
            return [
                Problem(
                    "net.sgen profiles",
                    f"negative output of sgen(s) {', '.join(map(str, bad[:20]))}: a curtailable "
                    "generator's profile is its available output >= 0",
                    "network",
                    "sgen",
                )
            ]
        return []

    def block(self, data, core, relax_integers):
        return net_sgen_block(data, core)

    def solution(self, block, data, core):
        return net_sgen_solution(data, block, core)

    def carbon(self, data, part, core, first_node):
        return net_sgen_carbon(data, part, core)
