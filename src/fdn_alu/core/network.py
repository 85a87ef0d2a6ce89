"""Feeder tables (pandapower layout) -> per-unit arrays, radial orientation, index maps.

The DistFlow model needs every branch oriented away from its substation. This module takes the
in-service elements (:mod:`fdn_alu.core.elements`: lines, two-winding transformers, shunts,
loads and generators; every other pandapower table used or refused), applies the switches and
checks that the result is a forest with one slack bus (ext_grid) per tree
(:mod:`fdn_alu.core.topology`), orients each branch parent -> child, and converts everything to
per unit: power base chosen from the feeder's own size (:func:`feeder_base_mva`), voltage base
the nominal voltage of each bus. Branches of (near) zero impedance are bus-bar connections
(``fused``: r = x = 0, equal voltages at both ends), and so are closed bus-bus switches.
Every problem is listed at once. See docs/NETWORKS.md.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fdn_alu.core.elements import (
    concat_elements,
    fixed_demand,
    line_elements,
    refused_tables,
    shunt_admittance,
    trafo_elements,
    with_transformer_tables,
)
from fdn_alu.core.topology import (
    apply_switches,
    busy_islands,
    end_shunts,
    heaviest_feeder_share,
    merged_i_max,
    merged_z,
    radial_forest,
    switch_map,
)
from fdn_alu.errors import Problem, raise_if_problems

# A branch whose series impedance is below this (pu on the feeder's base) is a bus-bar
# connection: the model gives it r = x = 0 and the AC check fuses its buses. Our choice: on the
# feeder's own base its drop at the full feeder load (< 10 pu by the base rule) is < 1e-5 pu,
# the AC check's voltage tolerance, while Newton-Raphson cannot converge through admittances
# of ~1e6 pu (case141's 86-87 line, x = 6e-7 pu, r = 0).
FUSE_Z_PU = 1e-6
# The net's own sn_mva is kept as the power base while S_ref / sn_mva lies in this range (our
# choice, see feeder_base_mva): 0.5 keeps the IEEE cases and the two-bus smelter test case on
# 1 MVA; below it the head flow (which runs at 30-80 % of S_ref) fell to ~0.06 pu and random
# feeders left SOC gaps above 1e-6.
KEEP_SN_MVA = (0.5, 10.0)


@dataclass(frozen=True)
class NetworkData:
    """Per-unit arrays of a radial feeder (one tree per slack bus), branches oriented away from
    their root.

    Branch k from parent i to child j is an ideal transformer of ratio ``ratio[k]`` at i
    followed by the series impedance ``r + jx`` on j's voltage base (docs/MODEL.md):
    u_j = u_i / ratio^2 - 2 (r P + x Q) + (r^2 + x^2) l and l u_i / ratio^2 = P^2 + Q^2 with
    P, Q the flow leaving i. Lines have ratio 1.

    Attributes
    ----------
    base_mva, base_kv : float
        Power base (:func:`feeder_base_mva`) and the first root's nominal voltage (kV).
    bus_ids : ndarray (n,)
        The case's own bus numbers (pandapower bus index) of the supplied in-service buses.
    root : int
        Position of the first slack bus in ``bus_ids``.
    roots : ndarray (s,)
        Positions of every slack bus (one per in-service ext_grid, in ext_grid order).
    branch_ids : ndarray (m,)
        Branch label: the MATPOWER branch number (``net.line.branch_no``) when the net came
        from a MATPOWER file, else the index in the table ``branch_kind`` names (the first
        element of merged parallel elements).
    branch_kind : ndarray (m,) of str
        ``"line"``, ``"trafo"`` or ``"switch"`` (a closed bus-bus switch, fused).
    from_bus, to_bus : ndarray (m,)
        Positions (into ``bus_ids``) of parent and child of each branch.
    flipped : ndarray (m,) of bool
        True where the case's own from/to (a transformer's hv/lv) is child -> parent.
    r_pu, x_pu : ndarray (m,)
        Series impedance on (base_mva, the child's vn_kv); 0 on fused branches.
    ratio : ndarray (m,)
        Off-nominal ratio tau at the parent side (1 for lines and switches).
    fused : ndarray (m,) of bool
        Branches of impedance below ``FUSE_Z_PU`` and closed bus-bus switches.
    i_max_pu : ndarray (m,)
        Current limit on the child's base (inf where none).
    g_shunt_pu, b_shunt_pu : ndarray (n,)
        Bus shunt admittance (line charging, transformer magnetising, net.shunt): the bus
        draws P = g u and Q = -b u.
    p_load_pu, q_load_pu : ndarray (n,)
        Net fixed demand per bus (loads minus static generators), base values.
    vm_min_pu, vm_max_pu : ndarray (n,)
        Voltage bounds.
    element_kind, element_id, element_branch : ndarray (e,)
        Every in-service line and transformer of the net, and the model branch carrying it
        (-1: open or unsupplied); merged parallel elements share one branch.
    element_share : ndarray (e,) complex
        The element's share of its branch's current, z_branch / z_element (1 when alone).
    element_from, element_to : ndarray (e,)
        The element's own end buses (line from/to, transformer hv/lv), case bus numbers.
    element_flipped : ndarray (e,) of bool
        True where the element's own from end is on its branch's child side.
    """

    base_mva: float
    base_kv: float
    bus_ids: np.ndarray
    root: int
    branch_ids: np.ndarray
    from_bus: np.ndarray
    to_bus: np.ndarray
    flipped: np.ndarray
    r_pu: np.ndarray
    x_pu: np.ndarray
    fused: np.ndarray
    i_max_pu: np.ndarray
    p_load_pu: np.ndarray
    q_load_pu: np.ndarray
    vm_min_pu: np.ndarray
    vm_max_pu: np.ndarray
    roots: np.ndarray = None
    ratio: np.ndarray = None
    g_shunt_pu: np.ndarray = None
    b_shunt_pu: np.ndarray = None
    branch_kind: np.ndarray = None
    element_kind: np.ndarray = None
    element_id: np.ndarray = None
    element_branch: np.ndarray = None
    element_share: np.ndarray = None
    element_from: np.ndarray = None
    element_to: np.ndarray = None
    element_flipped: np.ndarray = None

    def __post_init__(self):
        n, m = len(self.bus_ids), len(self.r_pu)
        defaults = {
            "roots": np.array([self.root]),
            "ratio": np.ones(m),
            "g_shunt_pu": np.zeros(n),
            "b_shunt_pu": np.zeros(n),
            "branch_kind": np.full(m, "line"),
            "element_kind": np.full(m, "line"),
            "element_id": np.asarray(self.branch_ids),
            "element_branch": np.arange(m),
            "element_share": np.ones(m, complex),
            "element_from": self.bus_ids[np.where(self.flipped, self.to_bus, self.from_bus)],
            "element_to": self.bus_ids[np.where(self.flipped, self.from_bus, self.to_bus)],
            "element_flipped": np.asarray(self.flipped),
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)

    @property
    def n_bus(self) -> int:
        return len(self.bus_ids)

    @property
    def n_branch(self) -> int:
        return len(self.r_pu)

    def bus_pos(self, bus_id: int) -> int:
        """Position of a case bus number in the arrays."""
        pos = np.flatnonzero(self.bus_ids == bus_id)
        if len(pos) != 1:
            raise_if_problems([Problem("bus", f"bus {bus_id} not in the network")])
        return int(pos[0])

    def incidence(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Branch-to-bus incidence ``(C_from, C_to)``, each (m, n): 1 at the branch's end bus."""
        m, n = self.n_branch, self.n_bus
        rows = np.arange(m)
        c_from = sp.csr_matrix((np.ones(m), (rows, self.from_bus)), shape=(m, n))
        c_to = sp.csr_matrix((np.ones(m), (rows, self.to_bus)), shape=(m, n))
        return c_from, c_to

    def root_of(self) -> np.ndarray:
        """Index into ``roots`` of the tree each bus belongs to (n,), by parent pointers (a
        loop over tree depth)."""
        top = np.arange(self.n_bus)
        parent = top.copy()
        parent[self.to_bus] = self.from_bus
        while not np.array_equal(parent[top], top):
            top = parent[top]
        lookup = np.full(self.n_bus, -1)
        lookup[self.roots] = np.arange(len(self.roots))
        return lookup[top]


def network_data(
    net,
    vm_min_pu: float,
    vm_max_pu: float,
    max_i_ka: float = 0.0,
    base_mva: float | None = None,
) -> NetworkData:
    """Convert a feeder (pandapower net or :class:`~fdn_alu.cases.feeder.Feeder`) into
    :class:`NetworkData`.

    Parameters
    ----------
    net : Feeder or pandapowerNet
        Radial feeder(s): ext_grids, lines, two-winding transformers, switches, shunts, loads,
        static generators (docs/NETWORKS.md lists every table).
    vm_min_pu, vm_max_pu : float
        Voltage bounds applied at every bus but the roots.
    max_i_ka : float
        Uniform line current limit in kA; 0 keeps the lines' own ``max_i_ka`` (values of
        1e4 kA and above, pandapower's "no rating" placeholder, mean no limit).
    base_mva : float, optional
        Power base; :func:`feeder_base_mva` of the net's fixed loads and generation when
        omitted (the pipeline passes one that also counts the devices' ratings).

    Raises
    ------
    InputError
        Every unsupported element, impedance or topology problem found.
    """
    net = with_transformer_tables(net)
    problems = refused_tables(net)
    ext = net.ext_grid[net.ext_grid.in_service.to_numpy(bool)]
    on_bus = net.bus.in_service.to_numpy(bool)
    bus_all = np.array(net.bus.index[on_bus], dtype=int)
    ext = ext[ext.bus.isin(bus_all)]
    if not len(ext):
        problems.append(Problem("net.ext_grid", "need at least one in-service ext_grid (slack)"))
    raise_if_problems(problems, "unsupported network")
    pos = pd.Series(np.arange(len(bus_all)), index=bus_all)
    vn_kv = net.bus.vn_kv.loc[bus_all].to_numpy(float)
    base_mva = float(base_mva) if base_mva else feeder_base_mva(net)
    lines = line_elements(net, pos, vn_kv, base_mva, max_i_ka, problems)
    has_trafo = "trafo" in net and "hv_bus" in net.trafo
    el = concat_elements(
        lines, trafo_elements(net, pos, vn_kv, base_mva, problems) if has_trafo else None
    )
    el, bb = apply_switches(net, pos, el)
    roots_all = pos.loc[ext.bus].to_numpy(int)
    switch_of = switch_map(net)
    forest = radial_forest(len(bus_all), roots_all, el, bb, bus_all, switch_of, problems)
    y_bus = end_shunts(el, len(bus_all)) + shunt_admittance(net, pos, vn_kv, base_mva)
    p_load, q_load, notes = fixed_demand(net, pos, len(bus_all))
    idle = ~forest.supplied
    busy = idle & ((p_load != 0) | (q_load != 0) | (y_bus != 0))
    if busy.any():
        island = busy_islands(len(bus_all), el, bb, forest.supplied, busy)
        problems.append(
            Problem(
                "network topology",
                f"disconnected: bus(es) {_few(bus_all[island])} are not connected to a slack "
                "bus (ext_grid) and carry loads, generators or shunts",
            )
        )
    raise_if_problems(problems, "invalid network")
    for note in notes:
        warnings.warn(note, stacklevel=2)
    if idle.any():
        warnings.warn(
            f"bus(es) {_few(bus_all[idle])} are not supplied (open switches) and carry nothing: "
            "left out of the model",
            stacklevel=2,
        )
    keep = forest.supplied
    new = np.cumsum(keep) - 1
    is_el = forest.elem >= 0
    k = np.where(is_el, forest.elem, 0)
    # oriented impedance and ratio: parent at the element's t end -> tau' = 1/tau, z' = tau^2 z
    at_f = np.where(is_el, forest.parent == el.f[k], True)
    tau = np.where(is_el, el.tau[k], 1.0)
    z_el = merged_z(el, forest)
    z = np.where(at_f, z_el, tau**2 * z_el)
    tau = np.where(at_f, tau, 1.0 / tau)
    fused = (np.abs(z) < FUSE_Z_PU) & (tau == 1.0) | ~is_el
    z = np.where(fused, 0.0, z)
    i_max = merged_i_max(el, forest, z_el)
    i_max = np.where(at_f, i_max, i_max / np.where(is_el, el.tau[k], 1.0))
    kind = np.where(is_el, el.kind[k], "switch")
    share = np.ones(len(el.eid), complex)
    member = forest.member_branch >= 0
    z_m = el.z[member]
    share[member] = np.where(
        z_m != 0, z_el[forest.member_branch[member]] / np.where(z_m != 0, z_m, 1), 1
    )
    ids = np.where(is_el, el.label[k], forest.switch)
    member_br = np.maximum(forest.member_branch, 0)
    bus_ids = bus_all[keep]
    root_pos = new[roots_all]
    return NetworkData(
        base_mva=base_mva,
        base_kv=float(vn_kv[roots_all[0]]),
        bus_ids=bus_ids,
        root=int(root_pos[0]),
        roots=root_pos,
        branch_ids=ids,
        branch_kind=kind,
        from_bus=new[forest.parent],
        to_bus=new[forest.child],
        flipped=~at_f,
        r_pu=z.real.copy(),
        x_pu=z.imag.copy(),
        ratio=tau,
        fused=fused,
        i_max_pu=np.where(fused & ~is_el, np.inf, i_max),
        g_shunt_pu=y_bus.real[keep],
        b_shunt_pu=y_bus.imag[keep],
        p_load_pu=p_load[keep] / base_mva,
        q_load_pu=q_load[keep] / base_mva,
        vm_min_pu=np.full(len(bus_ids), vm_min_pu),
        vm_max_pu=np.full(len(bus_ids), vm_max_pu),
        element_kind=el.kind,
        element_id=el.label,
        element_branch=forest.member_branch,
        element_share=share,
        element_from=bus_all[el.f],
        element_to=bus_all[el.t],
        element_flipped=forest.label[el.f]
        != forest.label[forest.parent[member_br] if len(forest.parent) else el.f],
    )


def _few(items, k: int = 20) -> str:
    items = [int(i) for i in items]
    return f"{items[:k]}{' ...' if len(items) > k else ''}"


def feeder_base_mva(net, device_mva: float = 0.0) -> float:
    """Power base of the per-unit model, chosen from the feeder's own size.

    ``S_ref`` is the larger of the fixed loads' total apparent power and the generation plus
    device ratings (static generators' |S| and ``device_mva``), times the share of the loads' and
    generators' |S| behind the heaviest branch leaving the root (the feeders of a substation are
    the parts of the net without its slack bus): the flows the solver sees are one feeder's,
    not the substation's total (k equal copies of ieee85 under one root x 96 periods, Clarabel
    iterations on 1 / 10 / 100 MVA: k = 40, 27 / 30 / 41, the total gave 100 MVA; k = 10,
    28 / 24 / -, the total gave 10 MVA; on 1 MVA both end "solved"; issue 11).
    The net's own ``sn_mva`` is kept
    when it fits the feeder (``0.5 <= S_ref / sn_mva < 10``: head flow ~0.3-10 pu, as on the
    IEEE cases); otherwise the base is the power of ten at or below
    ``S_ref``, ``10 ** floor(log10(S_ref))`` (head flow 1-10 pu), so a 5 kW street on a 1 MVA
    net and a 50 MW trunk on a 1 MVA net both reach the solver as O(1) numbers. A feeder with
    neither loads nor devices keeps ``sn_mva``. See docs/ARCHITECTURE.md, "Scaling".
    """
    s_load = s_gen = 0.0
    buses, s_all = [np.zeros(0, int)], [np.zeros(0)]
    for table in ("load", "sgen", "asymmetric_load", "asymmetric_sgen"):
        if table not in net or not len(net[table]):
            continue
        df = net[table][net[table].in_service]
        scale = df.scaling.to_numpy(float) if "scaling" in df else 1.0
        if table.startswith("asym"):  # the three phases' sum, as the model takes them
            p = sum(df[f"p_{ph}_mw"].to_numpy(float) for ph in "abc")
            q = sum(df[f"q_{ph}_mvar"].to_numpy(float) for ph in "abc")
        else:
            p, q = df.p_mw.to_numpy(float), df.q_mvar.to_numpy(float)
        s = np.hypot(p, q) * np.abs(scale)
        buses.append(df.bus.to_numpy(int))
        s_all.append(np.broadcast_to(s, len(df)))
        if table.endswith("load"):
            s_load += float(np.nansum(s))
        else:
            s_gen += float(np.nansum(s))
    share = heaviest_feeder_share(net, np.concatenate(buses), np.concatenate(s_all))
    s_ref = max(s_load, s_gen + float(device_mva)) * share
    sn_mva = float(getattr(net, "sn_mva", 1.0) or 1.0)
    if not np.isfinite(s_ref) or s_ref <= 0 or KEEP_SN_MVA[0] <= s_ref / sn_mva < KEEP_SN_MVA[1]:
        return sn_mva
    return float(10.0 ** np.floor(np.log10(s_ref)))


def path_matrix(net: NetworkData):
    """Sparse (m, n) matrix A with A[k, j] = 1 when branch k lies on the path root -> bus j.

    Built level by level from parent pointers (a loop over tree depth, not over branches).
    """
    n, m = net.n_bus, net.n_branch
    branch_of = np.full(n, -1)  # the branch feeding each bus
    branch_of[net.to_bus] = np.arange(m)
    parent = np.full(n, -1)
    parent[net.to_bus] = net.from_bus
    rows, cols = [], []
    cur = np.arange(n)
    while True:
        live = cur >= 0
        live &= np.where(live, branch_of[np.maximum(cur, 0)] >= 0, False)
        if not live.any():
            break
        rows.append(branch_of[cur[live]])
        cols.append(np.flatnonzero(live))
        cur = np.where(live, parent[np.maximum(cur, 0)], -1)
    rows = np.concatenate(rows) if rows else np.zeros(0, int)
    cols = np.concatenate(cols) if cols else np.zeros(0, int)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, n))
