"""Controllable loads -> numeric data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FlexLoadData:
    """k controllable loads: limits (MW), energy over the horizon (MWh), bus positions.

    Attributes
    ----------
    names : list of str
    bus : ndarray (k,)
    p_min_mw, p_max_mw, energy_mwh, tan_phi : ndarray (k,)
    """

    names: list[str]
    bus: np.ndarray
    p_min_mw: np.ndarray
    p_max_mw: np.ndarray
    energy_mwh: np.ndarray
    tan_phi: np.ndarray


def flex_load_data(loads: list[dict], core) -> FlexLoadData:
    """:class:`FlexLoadData` from the validated ``[[flex_load]]`` list."""

    def arr(key: str) -> np.ndarray:
        return np.array([x[key] for x in loads], dtype=float)

    return FlexLoadData(
        names=[x["name"] for x in loads],
        bus=np.array([core.net.bus_pos(x["bus"]) for x in loads], dtype=int),
        p_min_mw=arr("p_min_mw"),
        p_max_mw=arr("p_max_mw"),
        energy_mwh=arr("energy_mwh"),
        tan_phi=np.tan(np.arccos(arr("pf"))),
    )
