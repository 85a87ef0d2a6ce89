"""Switch states, parallel elements and the radial forest of a net (one tree per slack bus).

Closed bus-bus switches fuse buses (groups of equal voltage); open line/trafo switches open an
element's end; parallel elements between the same two bus groups are merged into one
equivalent branch; the result must be a forest with exactly one slack bus per tree. A loop is
refused with the buses on it and the switches that could open it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from fdn_alu.core.elements import Elements
from fdn_alu.errors import Problem


def apply_switches(net, pos: pd.Series, el: Elements) -> tuple[Elements, np.ndarray]:
    """Open element ends from open line/trafo switches; closed zero-impedance bus-bus switches
    as (k, 2) bus-position pairs plus their switch index (k,) in column 2."""
    if "switch" not in net or not len(net.switch):
        return el, np.zeros((0, 3), int)
    sw = net.switch
    closed = sw.closed.to_numpy(bool)
    et = sw.et.astype(str).to_numpy()
    open_f, open_t = el.open_f.copy(), el.open_t.copy()
    for code, kind in (("l", "line"), ("t", "trafo")):
        s = sw[(et == code) & ~closed]
        if not len(s):
            continue
        key = pd.Series(np.arange(len(el.eid)), index=pd.MultiIndex.from_arrays([el.kind, el.eid]))
        hit = pd.MultiIndex.from_arrays([np.full(len(s), kind), s.element.to_numpy(int)])
        k = key.reindex(hit).to_numpy()
        ok = ~np.isnan(k)
        k = k[ok].astype(int)
        bus = s.bus.to_numpy()[ok]
        at = pos.reindex(bus).to_numpy()
        open_f[k[at == el.f[k]]] = True
        open_t[k[at == el.t[k]]] = True
    bb = sw[(et == "b") & closed]
    bb = bb[bb.bus.isin(pos.index) & bb.element.isin(pos.index)]
    pairs = np.column_stack(
        [pos.loc[bb.bus].to_numpy(int), pos.loc[bb.element].to_numpy(int), bb.index.to_numpy(int)]
    )
    return replace(el, open_f=open_f, open_t=open_t), pairs.reshape(-1, 3)


def end_shunts(el: Elements, n: int) -> np.ndarray:
    """Bus shunt admittance (n,) of the elements: y_f / tau^2 at f and y_t at t when both ends
    are closed; an element open at one end leaves at the other the admittance of its two
    shunts through z (pandapower's open-switch auxiliary bus), y + y_o / (1 + z y_o)."""
    y = np.zeros(n, complex)
    both = ~el.open_f & ~el.open_t
    only_f = ~el.open_f & el.open_t
    only_t = el.open_f & ~el.open_t
    np.add.at(y, el.f[both], el.y_f[both] / el.tau[both] ** 2)
    np.add.at(y, el.t[both], el.y_t[both])
    yo = el.y_t[only_f]
    y_ff = el.y_f[only_f] + yo / (1 + el.z[only_f] * yo)
    np.add.at(y, el.f[only_f], y_ff / el.tau[only_f] ** 2)
    yo = el.y_f[only_t]
    np.add.at(y, el.t[only_t], el.y_t[only_t] + yo / (1 + el.z[only_t] * yo))
    return y


@dataclass(frozen=True)
class Forest:
    """Oriented branches of the radial forest (positions into the bus arrays).

    ``parent``, ``child`` (m,); ``elem`` (m,) the representative element of each element branch
    (-1 for a fused switch branch), ``switch`` (m,) the switch index of a fused branch; per
    element (``member_branch``) the branch it belongs to (-1: out of the forest); per bus
    ``supplied`` (reached from a root) and ``label`` (its group of switch-fused buses).
    """

    parent: np.ndarray
    child: np.ndarray
    elem: np.ndarray
    switch: np.ndarray
    member_branch: np.ndarray
    supplied: np.ndarray
    label: np.ndarray


def radial_forest(
    n: int,
    roots: np.ndarray,
    el: Elements,
    bb: np.ndarray,
    bus_ids: np.ndarray,
    switch_of: dict,
    problems: list[Problem],
) -> Forest:
    """Fuse, merge parallels, check radiality and orient every branch away from its root.

    Parameters
    ----------
    n : int
    roots : ndarray
        Slack bus positions.
    el : Elements
        Lines and transformers (elements open at an end are not branches).
    bb : ndarray (k, 3)
        Closed bus-bus switches: bus, bus, switch index.
    bus_ids : ndarray (n,)
    switch_of : dict
        (kind, element id) -> list of switch indices on that element (for loop messages).
    problems : list
        Appended to: loops (buses and switches named), substations joined, self-loops.
    """
    live = ~el.open_f & ~el.open_t
    e_idx = np.flatnonzero(live)
    g = sp.coo_matrix((np.ones(len(bb)), (bb[:, 0], bb[:, 1])), shape=(n, n))
    _, label = csgraph.connected_components(g, directed=False)
    lf, lt = label[el.f[e_idx]], label[el.t[e_idx]]
    root_lab = label[roots]
    if len(np.unique(root_lab)) < len(roots):
        problems.append(
            Problem(
                "network topology",
                f"slack buses {bus_ids[roots].tolist()} are joined by closed bus-bus switches",
            )
        )
    inner = lf == lt
    for k in e_idx[inner]:
        problems.append(
            Problem(
                "network topology",
                f"meshed: {el.kind[k]} {el.eid[k]} connects buses {bus_ids[el.f[k]]} and "
                f"{bus_ids[el.t[k]]}, which closed bus-bus switches already join "
                f"(switches that could open it: {switch_of.get((el.kind[k], el.eid[k]), [])})",
            )
        )
    e_idx, lf, lt = e_idx[~inner], lf[~inner], lt[~inner]
    # Parallel elements: same unordered pair of bus groups -> one branch.
    key = np.minimum(lf, lt) * n + np.maximum(lf, lt)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    rep = e_idx[first]
    _check_parallels(el, e_idx, inv, rep, label, problems)
    # Label-level forest check (one root per tree, no loop).
    nl = label.max() + 1 if n else 0
    a, b = label[el.f[rep]], label[el.t[rep]]
    virt = nl
    rows = np.concatenate([a, np.full(len(root_lab), virt)])
    cols = np.concatenate([b, root_lab])
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(nl + 1, nl + 1)).tocsr()
    order, pred = csgraph.breadth_first_order(graph, virt, directed=False)
    tree = (pred[b] == a) | (pred[a] == b)
    reached = np.zeros(nl + 1, bool)
    reached[order] = True
    for k in np.flatnonzero(~tree & reached[a]):
        problems.append(_loop_problem(el, rep, k, a, b, pred, label, bus_ids, roots, switch_of))
    supplied = reached[label]
    # Bus-level forest: element branches at their own buses, plus a spanning tree of each
    # group's switches (fused branches), oriented from the roots by one breadth-first search.
    mst = csgraph.minimum_spanning_tree(g.tocsr() + g.T.tocsr())
    sa, sb = mst.nonzero()
    sw_lookup = {(int(p), int(q)): int(s) for p, q, s in bb} | {
        (int(q), int(p)): int(s) for p, q, s in bb
    }
    sw_idx = np.array([sw_lookup[(int(p), int(q))] for p, q in zip(sa, sb, strict=True)], int)
    bf = np.concatenate([el.f[rep], sa, np.full(len(roots), n)])
    bt = np.concatenate([el.t[rep], sb, roots])
    full = sp.coo_matrix((np.ones(len(bf)), (bf, bt)), shape=(n + 1, n + 1)).tocsr()
    border, bpred = csgraph.breadth_first_order(full, n, directed=False)
    ef, et_ = bf[: -len(roots) or None], bt[: -len(roots) or None]
    parent_is_f = bpred[et_] == ef
    parent = np.where(parent_is_f, ef, et_)
    child = np.where(parent_is_f, et_, ef)
    keep = np.flatnonzero(np.isin(child, border) & (bpred[child] == parent))
    # element index (then switch position) of each edge: the order within a parent
    key = np.where(
        keep < len(rep),
        rep[np.minimum(keep, len(rep) - 1)] if len(rep) else 0,
        len(el.eid) + keep - len(rep),
    )
    idx = keep[_bfs_order(n, roots, parent[keep], child[keep], key)]
    is_el = idx < len(rep)
    elem = np.full(len(idx), -1)
    elem[is_el] = rep[idx[is_el]]
    switch = np.full(len(idx), -1)
    switch[~is_el] = sw_idx[idx[~is_el] - len(rep)]
    branch_of_rep = np.full(len(el.eid), -1)
    branch_of_rep[elem[elem >= 0]] = np.flatnonzero(elem >= 0)
    member_branch = np.full(len(el.eid), -1)
    member_branch[e_idx] = branch_of_rep[rep[inv]]
    return Forest(parent[idx], child[idx], elem, switch, member_branch, supplied, label)


def _bfs_order(n: int, roots, parent, child, key) -> np.ndarray:
    """Edge order of a breadth-first search from the roots (in their order) that visits each
    bus's branches in element order: level by level, by (parent's rank, element index). A
    loop over tree depth."""
    rank = np.full(n, -1)
    rank[roots] = np.arange(len(roots))
    order, level, nxt = [], np.asarray(roots), len(roots)
    while len(level):
        sel = np.flatnonzero(np.isin(parent, level))
        sel = sel[np.lexsort((key[sel], rank[parent[sel]]))]
        rank[child[sel]] = nxt + np.arange(len(sel))
        nxt += len(sel)
        order.append(sel)
        level = child[sel]
    return np.concatenate(order) if order else np.zeros(0, int)


def _check_parallels(el, e_idx, inv, rep, label, problems) -> None:
    """Parallel elements must be of one kind; parallel transformers must share hv side and
    ratio (else a circulating current flows, which one equivalent branch cannot carry)."""
    for g in np.flatnonzero(np.bincount(inv) > 1):
        members = e_idx[inv == g]
        kinds = set(el.kind[members])
        names = [f"{el.kind[k]} {el.eid[k]}" for k in members]
        if len(kinds) > 1:
            problems.append(Problem("network topology", f"meshed: {names} run in parallel"))
        elif "trafo" in kinds:
            same_side = np.all(label[el.f[members]] == label[el.f[rep[g]]])
            if not same_side or np.ptp(el.tau[members]) > 1e-12:
                problems.append(
                    Problem(
                        "network topology",
                        f"parallel transformers {names} have different ratios (or hv sides): "
                        "a circulating current flows; give them the same tap position",
                    )
                )


def _loop_problem(el, rep, k, a, b, pred, label, bus_ids, roots, switch_of) -> Problem:
    """The loop closed by branch k: the buses on it and the switches that could open it."""
    virt = len(pred) - 1

    def up(node):
        path = [node]
        while node != virt and pred[node] >= 0:
            node = pred[node]
            path.append(node)
        return path

    pa, pb = up(a[k]), up(b[k])
    common = set(pa) & set(pb)
    lca = next(x for x in pa if x in common)
    cycle = pa[: pa.index(lca) + 1] + pb[: pb.index(lca)][::-1]
    labs = [x for x in cycle if x != virt]
    buses = [int(bus_ids[np.flatnonzero(label == x)[0]]) for x in labs]
    on = set(labs)
    elems = [
        (el.kind[j], int(el.eid[j])) for j in rep if label[el.f[j]] in on and label[el.t[j]] in on
    ]
    switches = sorted({s for e in elems for s in switch_of.get(e, [])})
    through = " (through the upstream grid: it joins two slack buses)" if lca == virt else ""
    names = ", ".join(f"{kd} {i}" for kd, i in elems)
    fix = (
        f"switches that could open it: {switches}"
        if switches
        else f"no switch on it: take one of {names} out of service"
    )
    return Problem(
        "network topology",
        f"meshed in operation: a loop through buses {buses}{through}; {fix}",
    )


def merged_z(el, forest) -> np.ndarray:
    """Series impedance of each branch: its element's own z, or 1 / sum(1 / z) over merged
    parallel elements (0 when one of them has none; 0 for switches)."""
    m = len(forest.parent)
    member = np.flatnonzero(forest.member_branch >= 0)
    b = forest.member_branch[member]
    count = np.bincount(b, minlength=m)
    z = np.zeros(m, complex)
    z[b] = el.z[member]  # exact for single elements (no 1/(1/z) rounding)
    multi = count[b] > 1
    zm = el.z[member[multi]]
    inv_z = np.zeros(m, complex)
    zero = np.zeros(m, bool)
    np.add.at(inv_z, b[multi], 1.0 / np.where(zm != 0, zm, 1.0))
    np.logical_or.at(zero, b[multi], zm == 0)
    par = (count > 1) & ~zero
    z[par] = 1.0 / inv_z[par]
    z[(count > 1) & zero] = 0.0
    return z


def merged_i_max(el, forest, z_br) -> np.ndarray:
    """Current limit of each branch: min over members of i_max_k |z_k| / |z_branch| (the
    branch current at which the first member reaches its own limit)."""
    m = len(forest.parent)
    lim = np.full(m, np.inf)
    member = forest.member_branch >= 0
    b = forest.member_branch[member]
    np.minimum.at(lim, b, el.i_max_pu[member] * np.abs(el.z[member]) / np.abs(z_br[b]))
    return lim


def switch_map(net) -> dict:
    """(kind, element id) -> switch indices on it (for loop messages)."""
    if "switch" not in net or not len(net.switch):
        return {}
    sw = net.switch
    out: dict = {}
    for code, kind in (("l", "line"), ("t", "trafo")):
        s = sw[sw.et == code]
        for key, grp in s.groupby("element").groups.items():
            out[(kind, int(key))] = [int(i) for i in grp]
    return out


def heaviest_feeder_share(net, bus: np.ndarray, s_mva: np.ndarray) -> float:
    """Share of ``s_mva`` (|S| at buses ``bus``) in the heaviest connected part of the net
    without its slack buses (lines, transformers and closed bus-bus switches connect; 1 when
    there is no slack or nothing to share)."""
    ext = net.ext_grid[net.ext_grid.in_service.to_numpy(bool)] if "ext_grid" in net else ()
    s_mva = np.nan_to_num(s_mva)
    if not len(ext) or "line" not in net or not s_mva.sum() > 0:
        return 1.0
    ids = net.bus.index
    roots = ids.get_indexer(ext.bus)
    ends = [(net.line, "from_bus", "to_bus")]
    if "trafo" in net and "hv_bus" in net.trafo:
        ends.append((net.trafo, "hv_bus", "lv_bus"))
    if "switch" in net and len(net.switch):
        sw = net.switch
        ends.append((sw[(sw.et == "b") & sw.closed.astype(bool)], "bus", "element"))
    f = np.concatenate([ids.get_indexer(df[a][_on(df)]) for df, a, _ in ends])
    t = np.concatenate([ids.get_indexer(df[b][_on(df)]) for df, _, b in ends])
    keep = (f >= 0) & (t >= 0) & ~np.isin(f, roots) & ~np.isin(t, roots)
    graph = sp.coo_matrix((np.ones(keep.sum()), (f[keep], t[keep])), shape=(len(ids),) * 2)
    _, label = csgraph.connected_components(graph, directed=False)
    pos = ids.get_indexer(bus)
    part = np.bincount(label[pos[pos >= 0]], weights=s_mva[pos >= 0], minlength=label.max() + 1)
    return float(part.max() / s_mva.sum())


def _on(df) -> np.ndarray:
    return df.in_service.to_numpy(bool) if "in_service" in df else np.ones(len(df), bool)


def busy_islands(n: int, el: Elements, bb: np.ndarray, supplied: np.ndarray, busy: np.ndarray):
    """Every bus of the unsupplied islands (connected by closed elements and switches) that
    hold a busy bus (a load, generator or shunt): (k,) bus positions."""
    live = ~el.open_f & ~el.open_t
    f = np.concatenate([el.f[live], bb[:, 0]])
    t = np.concatenate([el.t[live], bb[:, 1]])
    g = sp.coo_matrix((np.ones(len(f)), (f, t)), shape=(n, n))
    _, label = csgraph.connected_components(g, directed=False)
    bad = np.unique(label[busy & ~supplied])
    return np.flatnonzero(np.isin(label, bad) & ~supplied)
