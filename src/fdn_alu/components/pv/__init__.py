"""Feeder PV inverters, eq. (21)."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.base import Component
from fdn_alu.components.pv.data import pv_data
from fdn_alu.components.pv.model import pv_block
from fdn_alu.components.pv.post import pv_carbon, pv_energy, pv_solution
from fdn_alu.components.pv.settings import SCHEMA
from fdn_alu.errors import Problem


class Pv(Component):
    name = "pv"
    section = "pv"
    array = True
    required = True
    schema = SCHEMA
    summary_energy = ("pv", "pv_available")

    def rated_mva(self, settings):
        return float(sum(p["s_mva"] for p in settings))

    def validate(self, raw, where, problems):
        out = super().validate(raw, where, problems)
        names = [p.get("name") for p in out]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem(f"{where} [[pv]]", f"duplicate name {name!r}", "pv", "name"))
        for k, p in enumerate(out):
            if "p_mw" in p and "s_mva" in p and p["s_mva"] < p["p_mw"]:
                problems.append(
                    Problem(
                        f"{where} [[pv]] #{k + 1}.s_mva",
                        f"inverter rating {p['s_mva']} MVA below p_mw {p['p_mw']} MW",
                        "pv",
                        "s_mva",
                        k + 1,
                    )
                )
        return out

    def check_against_case(self, settings, buses, columns, where):
        out = []
        for k, pv in enumerate(settings):
            out += self.missing_buses(where, [(f"[[pv]] #{k + 1}.bus", pv.get("bus"))], buses, "pv")
            out += self.missing_columns(
                where, [(f"[[pv]] #{k + 1}.profile", pv.get("profile"))], columns, "pv"
            )
        return out

    def data(self, settings, core, profiles):
        return pv_data(settings, core, profiles)

    def data_problems(self, data, core):
        out = []
        if np.any(data.p_avail_pu < 0):
            out.append(Problem("pv profile", "negative availability", "pv", "profile"))
        installed = np.where(data.p_mw > 0, data.p_mw, np.inf)
        avail = data.p_avail_pu * core.base_mva / installed  # per unit of p_mw
        for k in np.flatnonzero((avail > 1.0 + 1e-9).any(axis=0)):
            t = int(np.argmax(avail[:, k]))
            out.append(
                Problem(
                    f"pv {data.names[k]} profile",
                    f"availability {avail[t, k]:.4g} pu of p_mw in period {t}: a profile is "
                    "a fraction of installed power, at most 1",
                    "pv",
                    "profile",
                    data.names[k],
                )
            )
        return out

    def block(self, data, core, relax_integers):
        return pv_block(data, core)

    def solution(self, block, data, core):
        return pv_solution(data, block, core)

    def carbon(self, data, part, core, first_node):
        return pv_carbon(data, part, core)

    def energy_mwh(self, data, part, core):
        return pv_energy(data, part, core)
