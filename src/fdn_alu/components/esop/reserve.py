"""Reserve offer of the ESOP battery: regulation within its state-of-charge headroom, deployed
through converter i, whose capacity cone holds in both fully deployed states."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.base import ReserveOffer
from fdn_alu.components.esop.data import EsopData
from fdn_alu.model.block import Block
from fdn_alu.model.storage import storage_deliverable, storage_headroom, storage_replay

QUAL = (1.0, 1.0, 0.0)
"""Our choice: converter response within a second (full power in 1 s); no notice. Its stored
energy under a call: :func:`~fdn_alu.model.storage.storage_deliverable`."""


def esop_offers(e: EsopData, block: Block, core) -> list[ReserveOffer]:
    """One offer (``esop_battery``): regulation up and down at bus i."""
    T = core.periods
    v = block.variables
    bv = {k[len("battery_") :]: x for k, x in v.items() if k.startswith("battery_")}
    p_max, e_max = block.parameters["p_max_mw"], block.parameters["e_max_mwh"]
    up, down, cons = storage_headroom("esop_battery", e.battery, bv, p_max)
    p_i, q_i = v["p"][:, 0], v["q"][:, 0]
    s_i = np.full(T, e.s_i_mva)
    cons_all = {
        "esop_battery_power_headroom": cons,
        # Converter i carries the deployment: ||(P_i + up, Q_i)|| <= S_i and the same for down.
        "esop_battery_converter_deployed": [
            cp.SOC(s_i, cp.vstack([p_i + up, q_i]), axis=0),
            cp.SOC(s_i, cp.vstack([p_i - down, q_i]), axis=0),
        ],
    }
    return [
        ReserveOffer(
            ["esop_battery"],
            [("regulation_up", "regulation_down")],
            cp.reshape(up, (T, 1), order="F"),
            cp.reshape(down, (T, 1), order="F"),
            np.array([e.bus_i]),
            *[np.array([q]) for q in QUAL],
            constraints=cons_all,
            rate_mw_per_s=np.array([e.battery.p_max_mw / QUAL[0]]),
            deliverable=storage_deliverable("esop_battery", e.battery, bv, e_max, core.dt_h),
            replay=(
                storage_replay,
                e.battery,
                {
                    "charge": bv["charge"],
                    "discharge": bv["discharge"],
                    "e_max_mwh": e_max,
                    "p_max_mw": p_max,
                },
            ),
        )
    ]
