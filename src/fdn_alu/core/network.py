"""Feeder tables (pandapower layout) -> per-unit arrays, radial orientation, index maps.

The DistFlow model needs every branch oriented away from the substation. This module checks
that the in-service network is a tree hanging from one slack bus, orients each branch
parent -> child, and converts impedances and loads to per unit on a power base chosen from the
feeder's own size (:func:`feeder_base_mva`). Branches of (near) zero impedance are kept as
bus-bar connections (``fused``: r = x = 0, equal voltages at both ends). It refuses what the
model cannot represent (meshes, islands, negative impedance, transformers, PV generators) with
every problem listed at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

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
    """Per-unit arrays of a radial feeder, branches oriented away from the root.

    Attributes
    ----------
    base_mva, base_kv : float
        Power base (:func:`feeder_base_mva`) and the root's nominal voltage (line-to-line).
    bus_ids : ndarray (n,)
        The case's own bus numbers (pandapower bus index).
    root : int
        Position of the slack bus in ``bus_ids``.
    branch_ids : ndarray (m,)
        Branch label: the MATPOWER branch number (``net.line.branch_no``) when the net came
        from a MATPOWER file, else the pandapower line index.
    from_bus, to_bus : ndarray (m,)
        Positions (into ``bus_ids``) of parent and child of each branch.
    flipped : ndarray (m,) of bool
        True where the case's own from/to is child -> parent.
    r_pu, x_pu : ndarray (m,)
        Series impedance on (base_mva, base_kv); 0 on fused branches.
    fused : ndarray (m,) of bool
        Branches of impedance below ``FUSE_Z_PU``, modelled as bus-bar connections.
    i_max_pu : ndarray (m,)
        Current limit (inf where none).
    p_load_pu, q_load_pu : ndarray (n,)
        Net fixed demand per bus (loads minus static generators), base values.
    vm_min_pu, vm_max_pu : ndarray (n,)
        Voltage bounds.
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
        Radial feeder with one ext_grid, lines, loads and optionally static generators.
    vm_min_pu, vm_max_pu : float
        Voltage bounds applied at every bus but the root.
    max_i_ka : float
        Uniform branch current limit in kA; 0 keeps the lines' own ``max_i_ka`` (values of
        1e4 kA and above, pandapower's "no rating" placeholder, mean no limit).
    base_mva : float, optional
        Power base; :func:`feeder_base_mva` of the net's fixed loads and generation when
        omitted (the pipeline passes one that also counts the devices' ratings).

    Raises
    ------
    InputError
        Every unsupported element, impedance or topology problem found.
    """
    problems: list[Problem] = []
    for table, why in (
        ("trafo", "transformers"),
        ("trafo3w", "3-winding transformers"),
        ("impedance", "impedance elements"),
        ("gen", "voltage-controlled gens"),
        ("dcline", "DC lines"),
        ("ward", "ward equivalents"),
        ("xward", "extended wards"),
    ):
        if table in net and len(net[table]) and net[table].in_service.any():
            problems.append(
                Problem(
                    f"net.{table}",
                    f"{why} are not supported by the DistFlow "
                    "model (convert them to lines / static generators)",
                )
            )
    if "shunt" in net and len(net.shunt) and net.shunt.in_service.any():
        problems.append(Problem("net.shunt", "bus shunts are not supported"))
    if "switch" in net and len(net.switch):
        bb = net.switch[(net.switch.et == "b") & net.switch.closed]
        if len(bb):
            problems.append(
                Problem(
                    "net.switch", "closed bus-bus switches are not supported (fuse the buses first)"
                )
            )
    ext = net.ext_grid[net.ext_grid.in_service]
    if len(ext) != 1:
        problems.append(
            Problem(
                "net.ext_grid", f"need exactly one in-service ext_grid (slack), found {len(ext)}"
            )
        )
    raise_if_problems(problems, "unsupported network")

    bus_ids = np.array(net.bus.index[net.bus.in_service], dtype=int)
    pos = {b: k for k, b in enumerate(bus_ids)}
    root_id = int(ext.bus.iloc[0])
    base_kv = float(net.bus.vn_kv.loc[root_id])
    base_mva = float(base_mva) if base_mva else feeder_base_mva(net)
    z_base = base_kv**2 / base_mva

    lines = net.line[net.line.in_service]
    lines = lines[lines.from_bus.isin(pos) & lines.to_bus.isin(pos)]
    length = lines.length_km.to_numpy(float)
    par = lines.parallel.to_numpy(float) if "parallel" in lines else np.ones(len(lines))
    r = lines.r_ohm_per_km.to_numpy(float) * length / par / z_base
    x = lines.x_ohm_per_km.to_numpy(float) * length / par / z_base
    for k, lid in enumerate(lines.index):
        if r[k] < 0 or x[k] < 0 or not np.isfinite(r[k] + x[k]):
            problems.append(
                Problem(
                    f"line {lid}",
                    f"negative or invalid impedance (r={r[k]:.4g} pu, x={x[k]:.4g} pu)",
                )
            )
    if "c_nf_per_km" in lines and (lines.c_nf_per_km.fillna(0) > 0).any():
        warnings.warn(
            "line shunt capacitance is not part of the DistFlow model; the AC check "
            "reports its effect",
            stacklevel=2,
        )
    vn = net.bus.vn_kv.loc[bus_ids].to_numpy(float)
    if not np.allclose(vn, base_kv):
        problems.append(
            Problem(
                "net.bus.vn_kv",
                "all buses must share one nominal voltage (no transformers in the model)",
            )
        )
    f_pos = np.array([pos[b] for b in lines.from_bus], dtype=int)
    t_pos = np.array([pos[b] for b in lines.to_bus], dtype=int)
    order, parent_first, problems_topo = _orient_tree(
        len(bus_ids), pos[root_id], f_pos, t_pos, bus_ids, lines.index.to_numpy()
    )
    problems.extend(problems_topo)
    raise_if_problems(problems, "invalid network")

    fused = np.hypot(r, x) < FUSE_Z_PU
    r, x = np.where(fused, 0.0, r), np.where(fused, 0.0, x)
    from_bus = np.where(parent_first, f_pos, t_pos)[order]
    to_bus = np.where(parent_first, t_pos, f_pos)[order]
    i_base_ka = base_mva / (np.sqrt(3) * base_kv)
    i_max_ka = (
        np.full(len(lines), max_i_ka) if max_i_ka > 0 else lines.max_i_ka.to_numpy(float) * par
    )
    i_max_pu = np.where(i_max_ka >= 1e4, np.inf, i_max_ka / i_base_ka)[order]

    p_load, q_load = _fixed_demand(net, pos, len(bus_ids))
    vmin = np.full(len(bus_ids), vm_min_pu)
    vmax = np.full(len(bus_ids), vm_max_pu)
    return NetworkData(
        base_mva=base_mva,
        base_kv=base_kv,
        bus_ids=bus_ids,
        root=pos[root_id],
        branch_ids=(
            lines.branch_no.to_numpy(int) if "branch_no" in lines else lines.index.to_numpy()
        )[order],
        from_bus=from_bus,
        to_bus=to_bus,
        flipped=~parent_first[order],
        r_pu=r[order],
        x_pu=x[order],
        fused=fused[order],
        i_max_pu=i_max_pu,
        p_load_pu=p_load / base_mva,
        q_load_pu=q_load / base_mva,
        vm_min_pu=vmin,
        vm_max_pu=vmax,
    )


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
    for table in ("load", "sgen"):
        if table not in net or not len(net[table]):
            continue
        df = net[table][net[table].in_service]
        scale = df.scaling.to_numpy(float) if "scaling" in df else 1.0
        s = np.hypot(df.p_mw.to_numpy(float), df.q_mvar.to_numpy(float)) * np.abs(scale)
        buses.append(df.bus.to_numpy(int))
        s_all.append(np.broadcast_to(s, len(df)))
        if table == "load":
            s_load = float(np.nansum(s))
        else:
            s_gen = float(np.nansum(s))
    share = _heaviest_feeder_share(net, np.concatenate(buses), np.concatenate(s_all))
    s_ref = max(s_load, s_gen + float(device_mva)) * share
    sn_mva = float(getattr(net, "sn_mva", 1.0) or 1.0)
    if not np.isfinite(s_ref) or s_ref <= 0 or KEEP_SN_MVA[0] <= s_ref / sn_mva < KEEP_SN_MVA[1]:
        return sn_mva
    return float(10.0 ** np.floor(np.log10(s_ref)))


def _heaviest_feeder_share(net, bus: np.ndarray, s_mva: np.ndarray) -> float:
    """Share of ``s_mva`` (|S| at buses ``bus``) in the heaviest connected part of the net
    without its slack bus (1 when there is no single slack or nothing to share)."""
    ext = net.ext_grid[net.ext_grid.in_service] if "ext_grid" in net else ()
    s_mva = np.nan_to_num(s_mva)
    if len(ext) != 1 or "line" not in net or not s_mva.sum() > 0:
        return 1.0
    ids = net.bus.index
    root = ids.get_loc(ext.bus.iloc[0])
    lines = net.line[net.line.in_service]
    f, t = ids.get_indexer(lines.from_bus), ids.get_indexer(lines.to_bus)
    keep = (f >= 0) & (t >= 0) & (f != root) & (t != root)
    graph = sp.coo_matrix((np.ones(keep.sum()), (f[keep], t[keep])), shape=(len(ids),) * 2)
    _, label = csgraph.connected_components(graph, directed=False)
    pos = ids.get_indexer(bus)
    part = np.bincount(label[pos[pos >= 0]], weights=s_mva[pos >= 0], minlength=label.max() + 1)
    return float(part.max() / s_mva.sum())


def _orient_tree(
    n: int, root: int, f: np.ndarray, t: np.ndarray, bus_ids: np.ndarray, line_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Breadth-first search from the root: branch order, orientation, and topology problems."""
    problems: list[Problem] = []
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for k, (a, b) in enumerate(zip(f, t, strict=True)):
        adj[a].append((b, k))
        adj[b].append((a, k))
    seen = np.zeros(n, bool)
    seen[root] = True
    used = np.zeros(len(f), bool)
    order: list[int] = []
    parent_first = np.ones(len(f), bool)
    queue = [root]
    loops = []
    while queue:
        i = queue.pop(0)
        for j, k in adj[i]:
            if used[k]:
                continue
            used[k] = True
            if seen[j]:
                loops.append(int(line_ids[k]))
                continue
            seen[j] = True
            parent_first[k] = f[k] == i
            order.append(k)
            queue.append(j)
    if loops:
        problems.append(
            Problem(
                "network topology",
                f"meshed: line(s) {loops} close a loop; "
                "the DistFlow model needs a radial network (open tie lines)",
            )
        )
    if not seen.all():
        islands = [int(b) for b in bus_ids[~seen]]
        problems.append(
            Problem(
                "network topology",
                f"disconnected: bus(es) {islands[:20]}"
                f"{' ...' if len(islands) > 20 else ''} are not connected to the "
                "slack bus",
            )
        )
    return np.array(order, dtype=int), parent_first, problems


def _fixed_demand(net, pos: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Loads minus static generators per bus in MW / Mvar (scaling applied)."""
    p = np.zeros(n)
    q = np.zeros(n)
    for table, sign in (("load", 1.0), ("sgen", -1.0)):
        if table not in net or not len(net[table]):
            continue
        df = net[table][net[table].in_service & net[table].bus.isin(pos)]
        idx = np.array([pos[b] for b in df.bus], dtype=int)
        scale = df.scaling.to_numpy(float) if "scaling" in df else 1.0
        np.add.at(p, idx, sign * df.p_mw.to_numpy(float) * scale)
        np.add.at(q, idx, sign * df.q_mvar.to_numpy(float) * scale)
    return p, q


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
