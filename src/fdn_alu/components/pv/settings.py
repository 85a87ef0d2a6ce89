"""Settings of the feeder PV inverters (``[[pv]]``, one table per inverter)."""

from __future__ import annotations

from fdn_alu.core.schema import NUM, REQUIRED, Field, fraction, non_negative

SCHEMA: dict[str, Field] = {
    "name": Field(str, REQUIRED, "", "unique name of the inverter"),
    "bus": Field(int, REQUIRED, "", "bus number (the network's own numbering)"),
    "p_mw": Field(NUM, REQUIRED, "MW", "installed PV power (scales the profile)", "", non_negative),
    "s_mva": Field(NUM, REQUIRED, "MVA", "inverter rating, eq. (21)", "", non_negative),
    "pf_min": Field(
        NUM,
        0.9,
        "",
        "minimum power factor: |Q| <= tan(acos(pf_min)) P, eq. (21)",
        "common grid-code minimum, our choice",
        fraction,
    ),
    "profile": Field(str, "pv_pu", "", "profile column of availability per unit of p_mw"),
}
