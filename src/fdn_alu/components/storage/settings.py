"""Settings of a stand-alone battery at a feeder bus (``[[storage]]``, one table per battery).

The battery keys are those of ``[park.battery]`` and ``[esop.battery]``
(:mod:`fdn_alu.components.battery_settings`), so the three batteries read and behave alike.
"""

from __future__ import annotations

from fdn_alu.components import battery_settings
from fdn_alu.core.schema import NUM, REQUIRED, Field, non_negative

SCHEMA: dict[str, Field] = {
    "name": Field(str, REQUIRED, "", "unique name of the battery"),
    "bus": Field(int, REQUIRED, "", "bus number (the network's own numbering)"),
    **battery_settings.SCHEMA,
    "s_max_mva": Field(
        NUM,
        0.0,
        "MVA",
        "inverter rating for reactive support, ||(P_dis - P_ch, Q)|| <= S; 0 = unity power "
        "factor (no reactive power)",
        "our choice: off unless rated, so the battery only moves energy",
        non_negative,
    ),
}
