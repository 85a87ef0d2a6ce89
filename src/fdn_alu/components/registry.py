"""The components a case can hold, in model order. Adding a device = its package + one line."""

from __future__ import annotations

from .base import Component
from .cement import Cement
from .esop import Esop
from .flex_load import FlexLoad
from .grid import Grid
from .park import Park
from .pv import Pv
from .reserves import Reserves
from .storage import Bess

COMPONENTS: tuple[Component, ...] = (
    Grid(),
    Pv(),
    Park(),
    Esop(),
    FlexLoad(),
    Cement(),
    Bess(),
    Reserves(),
)

BY_NAME: dict[str, Component] = {c.name: c for c in COMPONENTS}
SECTIONS: dict[str, Component] = {c.section: c for c in COMPONENTS if c.section}
