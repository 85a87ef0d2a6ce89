"""Feeder PV inverters -> numeric data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PvData:
    """Feeder PV inverters (k units), eq. (21).

    Attributes
    ----------
    names : list of str
    bus : ndarray (k,)
        Bus positions.
    p_avail_pu : ndarray (T, k)
    s_max_pu, tan_phi : ndarray (k,)
    p_mw : ndarray (k,)
        Installed power (the profile is availability per unit of it).
    """

    names: list[str]
    bus: np.ndarray
    p_avail_pu: np.ndarray
    s_max_pu: np.ndarray
    tan_phi: np.ndarray
    p_mw: np.ndarray


def pv_data(pvs: list[dict], core, prof: dict[str, np.ndarray]) -> PvData:
    """:class:`PvData` from the validated ``[[pv]]`` list."""
    base = core.base_mva
    return PvData(
        names=[p["name"] for p in pvs],
        bus=np.array([core.net.bus_pos(p["bus"]) for p in pvs], dtype=int),
        p_avail_pu=(
            np.column_stack([prof[p["profile"]] * p["p_mw"] for p in pvs]) / base
            if pvs
            else np.zeros((core.periods, 0))
        ),
        s_max_pu=np.array([p["s_mva"] for p in pvs], dtype=float) / base,
        tan_phi=np.array([np.tan(np.arccos(p["pf_min"])) for p in pvs], dtype=float),
        p_mw=np.array([p["p_mw"] for p in pvs], dtype=float),
    )
