"""Carbon emission flow (post-processing), eqs. (5), (6), (8)-(11), (22) of the paper.

Proportional sharing (Kang/Zhou matrix method) on the solved flows, one sparse linear solve
over all periods. Nodes are the AC buses plus the virtual nodes components add (a DC link, an
internal bus behind a point of common coupling). For node j

    e_j (sum of inflows received at j + sources at j) = sum inflows * e_sender + sum sources * e_s

Branches deliver their **receiving-end** flow (P_ij - r_ij l_ij); the loss r_ij l_ij carries the
sender's intensity and is booked to the network, so carbon is conserved exactly:
sum direct emissions + initial stored carbon = sum end-use consumption carbon + loss carbon +
final stored carbon. Storage follows the "water tank" convention, see :func:`carbon_flow`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fdn_alu.analysis.sharing import per_period, solve_periods
from fdn_alu.components.registry import BY_NAME

# Nodes with total throughput below this (MW) have no defined intensity; reported as 0.
IDLE_MW = 1e-12


@dataclass(frozen=True)
class Storage:
    """A storage attached to a node (typically a component's virtual node).

    Attributes
    ----------
    name : str
    node : int
    charge_mw, discharge_mw : ndarray (T,)
        Power taken from / delivered to the node (DC side, before / after efficiency).
    energy_mwh : ndarray (T + 1,)
        Stored energy at the start of each period and at the end of the horizon.
    carbon0_t : float
        Initial stored carbon.
    eta_dis : float
        Discharge efficiency (tank energy withdrawn = delivered / eta_dis).
    """

    name: str
    node: int
    charge_mw: np.ndarray
    discharge_mw: np.ndarray
    energy_mwh: np.ndarray
    carbon0_t: float
    eta_dis: float


@dataclass(frozen=True)
class CarbonNetwork:
    """Flows of one run seen by the carbon-flow solver (MW, arrays (T, .)).

    Attributes
    ----------
    n_nodes : int
        AC buses first (same order as NetworkData), then virtual nodes.
    br_from, br_to : ndarray (m,)
        Branch ends; ``p_send_mw`` is measured at ``br_from`` toward ``br_to``.
    p_send_mw, loss_mw : ndarray (T, m)
    link_from, link_to : ndarray (k,)
        Lossless links between nodes (converter terminals, the PCC).
    link_mw : ndarray (T, k)
        Flow from ``link_from`` to ``link_to`` (negative: the other way).
    src_node : ndarray (s,)
    src_mw, src_ci : ndarray (T, s)
        Sources of known intensity (kg/MWh): grid, PV, gas turbine.
    storages : list of Storage
    dt_h : float
    declared : tuple of Source
        The components' declared sources behind ``src_*`` (same order), when assembled by
        :func:`carbon_network`: sources.csv and the emissions reconciliation read them.
    """

    n_nodes: int
    br_from: np.ndarray
    br_to: np.ndarray
    p_send_mw: np.ndarray
    loss_mw: np.ndarray
    link_from: np.ndarray
    link_to: np.ndarray
    link_mw: np.ndarray
    src_node: np.ndarray
    src_mw: np.ndarray
    src_ci: np.ndarray
    storages: list[Storage] = field(default_factory=list)
    dt_h: float = 1.0
    declared: tuple = ()


@dataclass(frozen=True)
class CarbonResult:
    """Carbon emission flow of a run.

    Attributes
    ----------
    node_ci : ndarray (T, n_nodes)
        Nodal carbon intensity, kg/MWh.
    branch_ci : ndarray (T, m)
        Carbon flow density (intensity of the sending node), kg/MWh.
    loss_carbon_t : ndarray (T,)
        Carbon of branch losses per period.
    consumption_carbon_t : ndarray (T, n_nodes)
        Carbon consumed at each node per period (loads, potlines, converter losses; storage
        charging excluded).
    storage_carbon_t : dict of str -> ndarray (T + 1,)
    storage_discharge_ci : dict of str -> ndarray (T,)
    balance_rel_err : float
    """

    node_ci: np.ndarray
    branch_ci: np.ndarray
    loss_carbon_t: np.ndarray
    consumption_carbon_t: np.ndarray
    storage_carbon_t: dict[str, np.ndarray]
    storage_discharge_ci: dict[str, np.ndarray]
    direct_emissions_t: float
    balance_rel_err: float


def carbon_flow(cn: CarbonNetwork) -> CarbonResult:
    """Solve the carbon emission flow of all periods as one sparse linear system.

    Storage convention (documented choice): charging stores the carbon of all the power taken
    from the node, ``P_ch e_node dt`` (so the carbon of charging losses stays in the tank, as
    in (10)); discharging withdraws ``P_dis dt / eta_dis`` of tank energy and the carbon in
    proportion to it, so the delivered intensity is ``e_dis = (C / E) / eta_dis`` with C, E
    at the start of the period (the "water tank" reading of (11)). Carbon thus leaves the tank
    with the energy and C reaches 0 when E does.

    The periods' sharing systems (:func:`_system`) are solved stacked
    (:func:`~fdn_alu.analysis.sharing.solve_periods`); the periods are coupled only through the
    tanks, whose carbon a scalar recursion gives (the same equations as a solve per period,
    equal to round-off).

    Returns
    -------
    CarbonResult
    """
    T = cn.p_send_mw.shape[0]
    N = cn.n_nodes
    m = len(cn.br_from)
    dt = cn.dt_h
    # Unified branch treatment: each end "sends" what enters the branch from it and
    # "receives" what leaves the branch into it; the loss is what is sent and not received.
    p = cn.p_send_mw
    sent_f = np.maximum(p, 0.0)
    sent_t = np.maximum(cn.loss_mw - p, 0.0)
    rows_recv, rows_send, recv_all = _receipts(cn)
    recv_t, recv_f = recv_all[:, :m], recv_all[:, m : 2 * m]
    src_node, src_mw = _source_mw(cn)
    n_fixed = cn.src_mw.reshape(T, -1).shape[1]  # the sources of known intensity come first
    stores = cn.storages
    n_st = len(stores)
    throughput = per_period(rows_recv, recv_all, N) + per_period(src_node, src_mw, N)
    idle = throughput <= IDLE_MW
    fixed_carbon = src_mw[:, :n_fixed] * cn.src_ci.reshape(T, -1)
    # Each tank's discharge is a source at the tank's intensity, linear in its carbon C[k, t]:
    # e_t = x_t + sum_k C[k, t] g_{k,t}, with A x = (fixed sources) and A g_k = (the tank's
    # discharge, per tonne stored, at its node) solved together; then C follows its recursion.
    e_dis_per_t = np.zeros((n_st, T))  # intensity of a discharge per tonne stored, kg/MWh/t
    rhs = np.zeros((T * N, 1 + n_st))
    rhs[:, 0] = per_period(src_node[:n_fixed], fixed_carbon, N).ravel()
    for k, s in enumerate(stores):
        e0 = np.asarray(s.energy_mwh[:T], dtype=float)
        live = e0 > 1e-12
        e_dis_per_t[k, live] = 1000.0 / e0[live] / s.eta_dis
        rhs[np.arange(T) * N + s.node, 1 + k] = s.discharge_mw * e_dis_per_t[k]
    diag = np.where(idle, 1.0, throughput)
    x = solve_periods(rows_recv, rows_send, recv_all, diag, rhs).reshape(T, N, 1 + n_st)
    tank = np.zeros((n_st, T + 1))
    tank[:, 0] = [s.carbon0_t for s in stores]
    at = [s.node for s in stores]
    x_at = np.where(idle[:, at, None], 0.0, x[:, at, :])  # (T, tank's node, 1 + n_st)
    charge = np.array([s.charge_mw for s in stores]).reshape(n_st, T) * dt / 1000.0
    out = np.array([s.discharge_mw for s in stores]).reshape(n_st, T) * e_dis_per_t * dt / 1e3
    for t in range(T):  # C[t + 1] = C[t] + P_ch e_node dt - P_dis e_dis dt (scalars per tank)
        c = tank[:, t]
        tank[:, t + 1] = c + charge[:, t] * (x_at[t, :, 0] + x_at[t, :, 1:] @ c) - out[:, t] * c
    e = np.where(idle, 0.0, x[:, :, 0] + np.einsum("tnk,kt->tn", x[:, :, 1:], tank[:, :T]))
    st_ci = tank[:, :T] * e_dis_per_t
    # Branch intensity: the sending end's (both ends send only when the loss exceeds the
    # flow; then the flow-weighted mix).
    ef, et = e[:, cn.br_from], e[:, cn.br_to]
    tot = sent_f + sent_t
    mix = np.where(tot > 0, (sent_f * ef + sent_t * et) / np.where(tot > 0, tot, 1.0), 0.0)
    branch_ci = np.where(p >= 0, np.where(sent_t > 0, mix, ef), et)
    loss_c = np.sum(sent_f * ef + sent_t * et - (recv_t + recv_f) * branch_ci, axis=1) * dt / 1000.0
    # Consumption at each node = throughput - what it sends on.
    sent = (
        per_period(cn.br_from, sent_f, N)
        + per_period(cn.br_to, sent_t, N)
        + per_period(cn.link_from, np.maximum(cn.link_mw, 0.0), N)
        + per_period(cn.link_to, np.maximum(-cn.link_mw, 0.0), N)
    )
    cons_c = (throughput - sent) * e * dt / 1000.0
    carbon, e_dis = {}, {}
    for k, s in enumerate(stores):
        cons_c[:, s.node] -= s.charge_mw * e[:, s.node] * dt / 1000.0  # storage, not end use
        carbon[s.name] = tank[k].copy()
        e_dis[s.name] = st_ci[k].copy()
    direct = float(np.sum(cn.src_mw * cn.src_ci) * dt / 1000.0)
    stored0 = sum(c[0] for c in carbon.values())
    stored_end = sum(c[-1] for c in carbon.values())
    lhs = direct + stored0
    rhs = float(cons_c.sum() + loss_c.sum() + stored_end)
    rel = abs(lhs - rhs) / max(abs(lhs), 1e-12)
    return CarbonResult(e, branch_ci, loss_c, cons_c, carbon, e_dis, direct, rel)


def _receipts(cn: CarbonNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What each node receives from a neighbour: the receiving node and the sending node of
    each column, and the power received (MW, (T, k)): branch ends (receiving-end flows, the
    to-end then the from-end) and links (each direction)."""
    p = cn.p_send_mw
    recv = np.hstack(
        [
            np.maximum(p - cn.loss_mw, 0.0),
            np.maximum(-p, 0.0),
            np.maximum(cn.link_mw, 0.0),
            np.maximum(-cn.link_mw, 0.0),
        ]
    )
    rows_recv = np.concatenate([cn.br_to, cn.br_from, cn.link_to, cn.link_from]).astype(int)
    rows_send = np.concatenate([cn.br_from, cn.br_to, cn.link_from, cn.link_to]).astype(int)
    return rows_recv, rows_send, recv


def _source_mw(cn: CarbonNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (s,) and power (T, s) of every source, storage discharge included."""
    nodes = np.concatenate([cn.src_node, [st.node for st in cn.storages]]).astype(int)
    T = cn.p_send_mw.shape[0]
    dis = [st.discharge_mw for st in cn.storages]
    mw = np.column_stack([cn.src_mw, *dis]) if dis else cn.src_mw.reshape(T, -1)
    return nodes, mw


def _system(
    n: int,
    rows_recv: np.ndarray,
    rows_send: np.ndarray,
    recv: np.ndarray,
    src_node: np.ndarray,
    src_mw: np.ndarray,
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """One period's proportional-sharing matrix A (e = A^-1 (sources' carbon)), the idle
    nodes (throughput below ``IDLE_MW``, given a unit row) and the nodes' throughput (MW).

    A node's throughput is what it receives plus its sources; a node receives a flow at the
    intensity of the node that sends it: A = diag(throughput) - (received from).
    """
    throughput = np.bincount(rows_recv, weights=recv, minlength=n) + np.bincount(
        src_node, weights=src_mw, minlength=n
    )
    idle = throughput <= IDLE_MW
    A = sp.csr_matrix((-recv, (rows_recv, rows_send)), shape=(n, n)) + sp.diags(
        np.where(idle, 1.0, throughput)
    )
    return A.tocsc(), idle, throughput


def marginal_intensity(
    cn: CarbonNetwork,
    node_ci: np.ndarray,
    weights_mw: np.ndarray,
    path: sp.spmatrix,
    root: int | np.ndarray,
    root_ci: np.ndarray,
) -> np.ndarray:
    """Marginal intensity of a draw at each AC bus for a weighted charge, kg/MWh (T, n_bus).

    The charge is Phi(t) = sum_j W_j e_j(t) (W: the charged draws, MW; e: the nodal
    intensities of :func:`carbon_flow`). One more MW drawn at bus b, supplied from the root
    along the path root -> b (the other injections held), changes Phi by

        m_b = e_b + lambda_root (ci_root - e_root) + sum_{branches k on the path} g_k,

    with lambda = A^-T W the adjoint of the period's sharing system (:func:`_system`) and, for
    branch k from parent j to child i, g_k = lambda_i (e_j - e_i) when it carries power to the
    child (the child receives one more MW at e_j) and lambda_j (e_j - e_i) when it carries
    power to the parent (the parent receives one MW less from the child). Branch losses'
    change and the carbon a storage carries into later periods are not differentiated.

    Parameters
    ----------
    cn : CarbonNetwork
    node_ci : ndarray (T, n_nodes)
        Intensities of :func:`carbon_flow` on ``cn``.
    weights_mw : ndarray (T, n_bus)
        Charged draw at each AC bus.
    path : sparse (m, n_bus)
        Branch k lies on the path root -> bus j (:func:`fdn_alu.core.network.path_matrix`).
    root : int or ndarray (n_bus,)
        The root, or the root of each bus's tree (several slack buses).
    root_ci : ndarray (T,)
        Intensity of the supply at the roots (the upstream grid).
    """
    T, N = node_ci.shape
    n_bus = weights_mw.shape[1]
    rows_recv, rows_send, recv = _receipts(cn)
    src_node, src_mw = _source_mw(cn)
    out = np.zeros((T, n_bus))
    for t in range(T):
        A, idle, _ = _system(N, rows_recv, rows_send, recv[t], src_node, src_mw[t])
        w = np.zeros(N)
        w[:n_bus] = np.where(idle[:n_bus], 0.0, weights_mw[t])
        lam = spla.spsolve(A.T.tocsc(), w)
        e = node_ci[t]
        j, i = cn.br_from, cn.br_to
        g = np.where(cn.p_send_mw[t] >= 0, lam[i], lam[j]) * (e[j] - e[i])
        out[t] = e[:n_bus] + lam[root] * (root_ci[t] - e[root]) + path.T @ g
    return out


def carbon_network(data, sol) -> tuple[CarbonNetwork, dict[str, dict[str, int]]]:
    """Assemble the carbon network of a run from the components' carbon parts.

    AC buses come first; each component adds its virtual nodes (numbered in model order), its
    links, sources and storages (see :meth:`fdn_alu.components.base.Component.carbon`).

    Returns
    -------
    CarbonNetwork
    dict of str -> dict of str -> int
        Each component's named nodes (component name -> node name -> node number).
    """
    net = data.net
    T = data.periods
    nodes = net.n_bus
    links, sources, storages, named = [], [], [], {}
    for name, cdata in data.components.items():
        part = BY_NAME[name].carbon(cdata, sol.parts[name], data, nodes)
        nodes += part.n_virtual
        named[name] = dict(part.nodes)
        links += part.links
        sources += part.sources
        storages += [Storage(**st) for st in part.storages]
    cn = CarbonNetwork(
        n_nodes=nodes,
        br_from=net.from_bus,
        br_to=net.to_bus,
        p_send_mw=sol.p_branch_mw,
        loss_mw=sol.loss_mw,
        link_from=np.array([a for a, _, _ in links], dtype=int),
        link_to=np.array([b for _, b, _ in links], dtype=int),
        link_mw=(np.column_stack([f for _, _, f in links]) if links else np.zeros((T, 0))),
        src_node=np.array([s.node for s in sources], dtype=int),
        # a negative output is consumption at the node (an export at the root): no source
        src_mw=(
            np.column_stack([np.maximum(s.p_mw, 0.0) for s in sources])
            if sources
            else np.zeros((T, 0))
        ),
        src_ci=(
            np.column_stack([np.broadcast_to(s.ci_kg_per_mwh, (T,)) for s in sources])
            if sources
            else np.zeros((T, 0))
        ),
        storages=storages,
        dt_h=data.dt_h,
        declared=tuple(sources),
    )
    return cn, named
