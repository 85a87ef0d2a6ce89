"""Tidy result tables of the network in engineering units (the results contract): buses.csv,
branches.csv, and the row builder every component uses for its rows of sources.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd

BUS_COLUMNS = [
    "period",
    "time_h",
    "bus",
    "vm_pu",
    "p_load_mw",
    "q_load_mvar",
    "p_net_mw",
    "q_net_mvar",
    "ci_kg_per_mwh",
]
BRANCH_COLUMNS = [
    "period",
    "time_h",
    "branch",
    "kind",
    "from_bus",
    "to_bus",
    "p_from_mw",
    "q_from_mvar",
    "i_sq_pu",
    "loss_mw",
    "ci_kg_per_mwh",
    "carbon_t_per_h",
]
SOURCE_COLUMNS = [
    "period",
    "time_h",
    "source",
    "kind",
    "bus",
    "p_mw",
    "q_mvar",
    "ci_kg_per_mwh",
    "emissions_t",
]


def long_index(T: int, n: int, time_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Period and time columns of a long table with ``n`` rows per period."""
    return np.repeat(np.arange(T), n), np.repeat(time_h, n)


def bus_table(data, sol, cr) -> pd.DataFrame:
    """buses.csv: one row per period and bus."""
    T, n = data.periods, data.net.n_bus
    period, time_h = long_index(T, n, data.time_h)
    base = data.base_mva
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "bus": np.tile(data.net.bus_ids, T),
            "vm_pu": sol.vm_pu.ravel(),
            "p_load_mw": (data.p_load_pu * base).ravel(),
            "q_load_mvar": (data.q_load_pu * base).ravel(),
            "p_net_mw": sol.p_net_mw.ravel(),
            "q_net_mvar": sol.q_net_mvar.ravel(),
            "ci_kg_per_mwh": cr.node_ci[:, :n].ravel(),
        }
    )[BUS_COLUMNS]


def branch_table(data, sol, cr) -> pd.DataFrame:
    """branches.csv, one row per element (line, transformer, closed bus-bus switch) in the
    element's own from/to orientation (a flipped element is measured at its own from bus, the
    model's child end). Parallel elements merged into one model branch each get their share of
    its current, I_k = (z_branch / z_k) I (exact for parallel series impedances behind one
    ratio): S_k = conj(share) S, l_k = |share|^2 l, loss r_k l_k."""
    net = data.net
    T = data.periods
    on = np.flatnonzero(net.element_branch >= 0)
    sw = np.flatnonzero(net.branch_kind == "switch")
    br = np.concatenate([net.element_branch[on], sw]).astype(int)
    share = np.concatenate([net.element_share[on], np.ones(len(sw), complex)])
    order = np.argsort(br, kind="stable")
    br, share = br[order], share[order]
    flipped = np.concatenate([net.element_flipped[on], net.flipped[sw]])[order]
    case_from = np.concatenate(
        [net.element_from[on], np.where(net.flipped, net.to_bus, net.from_bus)[sw]]
    )
    case_to = np.concatenate(
        [net.element_to[on], np.where(net.flipped, net.from_bus, net.to_bus)[sw]]
    )
    if len(sw):
        case_from[len(on) :] = net.bus_ids[case_from[len(on) :]]
        case_to[len(on) :] = net.bus_ids[case_to[len(on) :]]
    kind = np.concatenate([net.element_kind[on], np.full(len(sw), "switch")])[order]
    ids = np.concatenate([net.element_id[on], net.branch_ids[sw]])[order]
    case_from, case_to = case_from[order], case_to[order]
    k = len(br)
    period, time_h = long_index(T, k, data.time_h)
    z_br = net.r_pu[br] + 1j * net.x_pu[br]
    z_el = z_br / share
    p, q = sol.p_branch_mw[:, br], sol.q_branch_mvar[:, br]
    pk = share.real * p + share.imag * q
    qk = share.real * q - share.imag * p
    l_k = sol.l_pu[:, br] * np.abs(share) ** 2
    loss = l_k * z_el.real * data.base_mva
    q_loss = l_k * z_el.imag * data.base_mva
    flip = flipped[None, :]
    p_from = np.where(flip, -(pk - loss), pk)
    q_from = np.where(flip, -(qk - q_loss), qk)
    ci = cr.branch_ci[:, br]
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "branch": np.tile(ids, T),
            "kind": np.tile(kind, T),
            "from_bus": np.tile(case_from, T),
            "to_bus": np.tile(case_to, T),
            "p_from_mw": p_from.ravel(),
            "q_from_mvar": q_from.ravel(),
            "i_sq_pu": l_k.ravel(),
            "loss_mw": loss.ravel(),
            "ci_kg_per_mwh": ci.ravel(),
            "carbon_t_per_h": (ci * p_from / 1000.0).ravel(),
        }
    )[BRANCH_COLUMNS]


def source_rows(
    data,
    kind: str,
    names: list[str],
    bus: list,
    p: np.ndarray,
    q: np.ndarray,
    ci: np.ndarray,
    direct: bool,
) -> pd.DataFrame:
    """Rows of sources.csv for k sources of one kind; arrays (T, k)."""
    T = data.periods
    k = len(names)
    if k == 0:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    period, time_h = long_index(T, k, data.time_h)
    emis = (np.maximum(p, 0.0) * ci * data.dt_h / 1000.0) if direct else np.zeros_like(p)
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "source": np.tile(names, T),
            "kind": kind,
            "bus": pd.array(np.tile(np.array(bus, dtype=object), T), dtype="Int64"),
            "p_mw": p.ravel(),
            "q_mvar": q.ravel(),
            "ci_kg_per_mwh": ci.ravel(),
            "emissions_t": emis.ravel(),
        }
    )[SOURCE_COLUMNS]


def declared_source_rows(data, declared) -> list[pd.DataFrame]:
    """Rows of sources.csv of the components' declared sources
    (:class:`~fdn_alu.components.base.Source`): emissions ``max(p, 0) ci dt`` for a source
    that declares an emission key, 0 otherwise."""
    T = data.periods
    return [
        source_rows(
            data,
            s.kind,
            [s.name],
            [s.bus_id],
            np.asarray(s.p_mw, dtype=float).reshape(T, 1),
            (np.zeros((T, 1)) if s.q_mvar is None else np.asarray(s.q_mvar).reshape(T, 1)),
            np.broadcast_to(s.ci_kg_per_mwh, (T,)).reshape(T, 1),
            direct=s.emission is not None,
        )
        for s in declared
    ]
