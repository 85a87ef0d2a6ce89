"""Stand-alone battery model block: the battery equations (9) of
:func:`fdn_alu.model.storage.storage_variables` per battery, injection P_dis - P_ch at its bus,
and optional reactive support within the inverter rating (equations only)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.components.storage.data import StorageData
from fdn_alu.model.block import Block, to_buses
from fdn_alu.model.storage import degradation_cost, storage_variables


def storage_block(d: StorageData, core, relax_integers: bool = True) -> Block:
    """Charge, discharge, energy and mode of every battery (one set per battery, named
    ``"{name}_charge"`` ...), net injection ``P_dis - P_ch`` (T, k) onto the batteries' buses;
    reactive injection ``Q`` (T, k) with ``||(P_dis - P_ch, Q)|| <= S`` where ``s_max_mva > 0``
    and ``Q = 0`` elsewhere. The energy is bought through the network; the batteries' wear per
    MWh discharged, when priced, is the cost term ``storage_wear`` (0 at the default price of 0)."""
    T, n, base, k = core.periods, core.net.n_bus, core.base_mva, len(d.names)
    variables, cons, params = {}, {}, {}
    charge, discharge, wear = [], [], []
    # One battery's equations per device (k is small); each is vectorised over the periods.
    for name, bat in zip(d.names, d.batteries, strict=True):
        v, c, p = storage_variables(name, bat, T, core.dt_h, relax_integers)
        variables.update({f"{name}_{key}": x for key, x in v.items()})
        params.update({f"{name}_{key}": x for key, x in p.items()})
        cons.update(c)
        charge.append(v["charge"])
        discharge.append(v["discharge"])
        wear += degradation_cost(bat, v["discharge"], core.dt_h)
    p_net = cp.vstack(discharge).T - cp.vstack(charge).T
    q = cp.Variable((T, k), name="storage_q_mvar")
    rated = np.flatnonzero(d.s_max_mva > 0)
    fixed = np.flatnonzero(d.s_max_mva <= 0)
    if rated.size:
        s = np.repeat(d.s_max_mva[rated], T)
        pq = cp.vstack([cp.vec(p_net[:, rated], order="F"), cp.vec(q[:, rated], order="F")])
        cons["apparent_power"] = cp.SOC(s, pq, axis=0)
    if fixed.size:
        cons["unity_pf"] = q[:, fixed] == 0
    variables["q"] = q
    return Block(
        "bess",
        variables,
        cons,
        p_bus=to_buses(p_net / base, d.bus, n),
        q_bus=to_buses(q / base, d.bus, n),
        costs={"storage_wear": cp.sum(cp.hstack(wear))} if wear else {},
        parameters=params,
    )
