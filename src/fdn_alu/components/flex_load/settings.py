"""Settings of a controllable (shiftable) load (``[[flex_load]]``, one table per load)."""

from __future__ import annotations

from fdn_alu.core.schema import NUM, REQUIRED, Field, fraction, non_negative

SCHEMA: dict[str, Field] = {
    "name": Field(str, REQUIRED, "", "unique name of the load"),
    "bus": Field(int, REQUIRED, "", "bus number (the network's own numbering)"),
    "p_min_mw": Field(
        NUM, 0.0, "MW", "lowest draw in every period", "our choice: may stop", non_negative
    ),
    "p_max_mw": Field(NUM, REQUIRED, "MW", "highest draw in every period", "", non_negative),
    "energy_mwh": Field(
        NUM,
        REQUIRED,
        "MWh",
        "energy the load must draw over the horizon (its task)",
        "",
        non_negative,
    ),
    "pf": Field(NUM, 1.0, "", "power factor of the draw (lagging)", "our choice: unity", fraction),
}
