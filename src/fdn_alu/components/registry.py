"""The components a case can hold, in model order. Adding a device = its package + one line."""

from __future__ import annotations

from fdn_alu.components.base import Component
from fdn_alu.components.cement import Cement
from fdn_alu.components.esop import Esop
from fdn_alu.components.flex_load import FlexLoad
from fdn_alu.components.grid import Grid
from fdn_alu.components.net_sgen import NetSgen
from fdn_alu.components.park import Park
from fdn_alu.components.pv import Pv
from fdn_alu.components.reserves import Reserves
from fdn_alu.components.storage import Bess

COMPONENTS: tuple[Component, ...] = (
    Grid(),
    Pv(),
    NetSgen(),
    Park(),
    Esop(),
    FlexLoad(),
    Cement(),
    Bess(),
    Reserves(),
)

BY_NAME: dict[str, Component] = {c.name: c for c in COMPONENTS}
SECTIONS: dict[str, Component] = {c.section: c for c in COMPONENTS if c.section}
