"""Synthetic large feeders for scaling studies: k copies of a case joined under one root.

Copy 0 keeps the case's bus numbers and all its devices (PV, park, ESOP); copy c >= 1 numbers
its buses ``bus + c * offset`` (offset: the next power of ten above the largest bus number) and
repeats the case's PV. Every copy hangs from the shared slack bus, so the result is radial and
each copy sees the same voltages as the original would alone.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from fdn_alu.cases import Case


def replicate_case(case: Case, copies: int) -> Case:
    """Return a new Case with ``copies`` copies of ``case``'s feeder under one root."""
    net0 = case.net
    root = int(net0.ext_grid.bus.iloc[0])
    offset = int(10 ** np.ceil(np.log10(net0.bus.index.max() + 1)))
    net = copy.deepcopy(net0)
    net.name = f"{net0.name}_x{copies}"
    lines0 = net0.line[net0.line.in_service]
    loads0 = net0.load[net0.load.in_service]
    has_no = "branch_no" in net0.line
    n_lines0 = len(net0.line)
    buses0 = net0.bus.drop(index=root)
    for c in range(1, copies):
        mapping = {b: (b + c * offset if b != root else root) for b in net0.bus.index}
        new_buses = buses0.copy()
        new_buses.index = buses0.index + c * offset
        net.bus = _concat(net.bus, new_buses)
        new_lines = lines0.copy()
        new_lines["from_bus"] = new_lines.from_bus.map(mapping)
        new_lines["to_bus"] = new_lines.to_bus.map(mapping)
        new_lines.index = new_lines.index + c * n_lines0
        if has_no:
            new_lines["branch_no"] = new_lines["branch_no"] + c * offset
        net.line = _concat(net.line, new_lines)
        new_loads = loads0.copy()
        new_loads["bus"] = new_loads.bus.map(mapping)
        new_loads.index = new_loads.index + c * len(net0.load)
        net.load = _concat(net.load, new_loads)
    settings = copy.deepcopy(case.settings)
    pv0 = case.settings.get("pv", [])
    settings["pv"] = list(pv0) + [
        {**p, "name": f"{p['name']}_c{c}", "bus": p["bus"] + c * offset}
        for c in range(1, copies)
        for p in pv0
    ]
    settings["case"] = {**settings["case"], "name": f"{case.name}_x{copies}"}
    return Case(
        f"{case.name}_x{copies}",
        net,
        settings,
        case.profiles,
        source=case.source,
        notes=[f"{copies} copies of {case.name} under one root"],
    )


def _concat(a, b):
    return pd.concat([a, b.astype(a.dtypes.to_dict(), errors="ignore")])
