"""Stand-alone batteries -> numeric data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdn_alu.model.storage import BatteryData


@dataclass(frozen=True)
class StorageData:
    """k batteries at feeder buses.

    Attributes
    ----------
    names : list of str
    bus : ndarray (k,)
        Bus positions.
    batteries : tuple of BatteryData
        Power, energy, efficiencies, initial carbon and end rule of each, eq. (9).
    s_max_mva : ndarray (k,)
        Inverter rating for reactive support (0: none).
    """

    names: list[str]
    bus: np.ndarray
    batteries: tuple[BatteryData, ...]
    s_max_mva: np.ndarray


def storage_data(items: list[dict], core) -> StorageData:
    """:class:`StorageData` from the validated ``[[storage]]`` list."""
    return StorageData(
        names=[x["name"] for x in items],
        bus=np.array([core.net.bus_pos(x["bus"]) for x in items], dtype=int),
        batteries=tuple(BatteryData.from_settings(x) for x in items),
        s_max_mva=np.array([x["s_max_mva"] for x in items], dtype=float),
    )
