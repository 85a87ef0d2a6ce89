"""Reserves after the solve: allocation arrays, clearing prices, checks, reserves.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.reserves.data import ReservesData
from fdn_alu.components.reserves.settings import DOWN_PRODUCTS, PRODUCTS
from fdn_alu.model.block import Block, objective_scale
from fdn_alu.model.deploy import window_max_values

PURCHASE = "purchase"
"""Provider name of reserve bought upstream in reserves.csv."""

REPLAY_LIMITS = {
    "reserves_deployed_temperature_c": 1e-3,
    "reserves_deployed_production_rel": 1e-6,
    "reserves_deployed_energy_mwh": 1e-6,
    "reserves_deployed_power_mw": 1e-6,
}
"""Limits the worst-case deployment replay judges, with their tolerances: bath temperature
outside its window (K; the solver's 1e-8 is far below), production shortfall beyond the
allowed share of the target, stored energy outside its limits (MWh), power outside a device's
limits or a ramp exceeded (MW)."""


def _val(x, shape) -> np.ndarray:
    v = getattr(x, "value", x)
    return np.zeros(shape) if v is None else np.asarray(v, dtype=float).reshape(shape)


def reserves_solution(d: ReservesData, block: Block, core) -> dict:
    """Allocated MW (T, K) per product, purchase (T, 4), clearing prices (T, 4) in currency per
    MW and hour (minus the duals of the requirement: the marginal cost of holding one more MW
    for one hour), deployed-state injection changes (T, n) in MW, and the providers' solved
    schedules for the deployment replay."""
    T, n = core.periods, core.net.n_bus
    info, v, e = block.info, block.variables, block.expressions
    K = len(info["names"])
    out: dict = {"providers": list(info["names"]), "requirement_mw": info["requirement_mw"]}
    for p in PRODUCTS:
        alloc = np.zeros((T, K))
        cols = info["cols"].get(p, [])
        if cols:
            alloc[:, cols] = _val(v[f"x_{p}"], (T, len(cols)))
        out[f"{p}_mw"] = alloc
    out["buy_mw"] = _val(v["buy"], (T, len(PRODUCTS)))
    dual = block.constraints["reserves-requirement"].dual_value
    out["price_per_mw_h"] = (
        np.zeros((T, len(PRODUCTS)))
        if dual is None
        else -np.asarray(dual).reshape(T, len(PRODUCTS)) / (objective_scale(core) * core.dt_h)
    )
    # Fully deployed states: every call still being delivered (the largest allocation of each
    # product's last n_k periods), at the providers' buses.
    called = {"deployed_up_mw": np.zeros((T, K)), "deployed_down_mw": np.zeros((T, K))}
    for p in PRODUCTS:
        key = "deployed_down_mw" if p in DOWN_PRODUCTS else "deployed_up_mw"
        called[key] += window_max_values(out[f"{p}_mw"], info["periods"][p])
    for key, mw in called.items():
        at_bus = np.zeros((T, n))
        np.add.at(at_bus.T, info["bus"], mw.T)
        out[key] = at_bus if key == "deployed_up_mw" else -at_bus
    for key in ("up_headroom_mw", "down_headroom_mw"):
        out[key] = _val(e[key], (T, K))
    out["periods"] = dict(info["periods"])
    out["replays"] = [
        (fn, data, {k: np.asarray(x.value, float) for k, x in sched.items()}, start, k)
        for fn, data, sched, start, k in info["replays"]
    ]
    return out


def replay_violations(part: dict, dt_h: float) -> dict[str, float]:
    """The providers' numpy replays of the worst-case deployment of their allocations: the
    largest violation of each limit (0 inside), by limit name."""
    worst: dict[str, float] = {key: 0.0 for key in REPLAY_LIMITS}
    for fn, data, sched, start, k in part["replays"]:
        alloc = {p: part[f"{p}_mw"][:, start : start + k] for p in PRODUCTS}
        for key, value in fn(data, sched, alloc, part["periods"], dt_h).items():
            worst[key] = max(worst.get(key, 0.0), float(value))
    return worst


def reserves_checks(d: ReservesData, part: dict, core) -> dict:
    """Shortfall against the requirement and the worst-case deployment replay
    (:func:`replay_violations`)."""
    covered = np.column_stack([part[f"{p}_mw"].sum(axis=1) for p in PRODUCTS]) + part["buy_mw"]
    short = float(np.max(part["requirement_mw"] - covered, initial=0.0))
    return {
        "reserves_shortfall_mw": max(short, 0.0),
        **replay_violations(part, core.dt_h),
    }


def reserves_table(d: ReservesData, part: dict, core) -> pd.DataFrame:
    """reserves.csv: a row per period, product and provider (admitted offers and the upstream
    purchase): allocated MW, the product's clearing price (currency per MW and hour), the
    provider's headroom in the product's direction.
    """
    T = core.periods
    names = part["providers"]
    frames = []
    for k, p in enumerate(PRODUCTS):
        up = p != "regulation_down"
        alloc = part[f"{p}_mw"]
        head = part["up_headroom_mw" if up else "down_headroom_mw"]
        mw = np.column_stack([alloc, part["buy_mw"][:, k]])
        frames.append(
            pd.DataFrame(
                {
                    "period": np.repeat(np.arange(T), len(names) + 1),
                    "time_h": np.repeat(core.time_h, len(names) + 1),
                    "product": p,
                    "provider": np.tile([*names, PURCHASE], T),
                    "mw": mw.ravel(),
                    "price": np.repeat(part["price_per_mw_h"][:, k], len(names) + 1),
                    "headroom_mw": np.column_stack([head, np.full(T, np.nan)]).ravel(),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["period"], kind="stable").reset_index(drop=True)


def reserves_deployed(part: dict) -> dict[str, np.ndarray]:
    """Injection changes (MW) of the fully deployed states, for the AC check."""
    return {
        "reserves_up": part["deployed_up_mw"],
        "reserves_down": part["deployed_down_mw"],
    }
