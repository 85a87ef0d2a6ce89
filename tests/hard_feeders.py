"""Random radial feeders of the high-PV regime where the SOC relaxation is often inexact.

PV at the far buses of 0.5-3 x the feeder's peak load, line ratings 1.0-1.3 x each branch's
peak-load current, an upper voltage band of 1.02-1.05 pu with the root at 1.0 pu up to just
below it, export to the upstream grid allowed on some, and negative prices in the sunny hours
on half of them: the regime real grids with high PV live in (docs/RECOVERY.md). Without
negative prices these feeders end exact in our draws (34 of 34 seeds, 24 periods); with them,
buying more than the loads need pays, and the relaxation overstates the losses. Built on
:func:`feeders.random_feeder` (same tree, impedances and loads), so a feeder is a seed.
"""

from __future__ import annotations

import numpy as np

from feeders import FeederSpec, random_feeder

# Ranges of the regime (our choice, from the cases that end inexact): PV share of peak load,
# line rating per unit of peak-load current, upper voltage limit (pu).
PV_SHARE = (0.5, 3.0)
RATING_FACTOR = (1.0, 1.3)
VM_MAX_PU = (1.02, 1.05)
R_OVER_X = (1.0, 4.0)
# Root voltage between 1.0 pu and 5 mV below the upper limit (substations hold 1.0-1.03 pu).
ROOT_VM_PU = (1.0, 0.005)
# Price of losses on top of their purchase at the root (currency/MWh; the built-in cases' 500 is
# a separate loss charge) and, on NEGATIVE_SHARE of the feeders, a negative price of the sunny
# hours (currency/MWh; day-ahead markets with much PV clear at -50..-500 EUR/MWh).
LOSS_PRICE = (0.0, 50.0)
NEGATIVE_SHARE = 0.5
NEGATIVE_PRICE = (50.0, 400.0)
EXPORT_SHARE = 0.7


def hard_feeder(seed: int, n_bus: int | None = None, periods: int = 4):
    """(net, settings sections, profiles) of hard feeder ``seed`` (deterministic)."""
    rng = np.random.default_rng(10_000 + seed)
    vn_kv = float(rng.choice([11.0, 12.66, 20.0]))
    spec = FeederSpec(
        vn_kv=vn_kv,
        n_bus=int(n_bus or rng.integers(6, 16)),
        r_over_x=float(rng.uniform(*R_OVER_X)),
        load_share=float(rng.uniform(0.2, 0.8)),
        seed=seed,
        rated_lines=True,
        periods=periods,
    )
    net, sections, profiles = random_feeder(spec)
    n = spec.n_bus
    # Ratings 1.0-1.3 x each line's peak-load current (random_feeder's own estimate).
    line = net.line
    p_peak = spec.peak_load_mw
    sub = _subtree_load_mw(net, n)
    i_peak_ka = np.maximum(sub, 0.1 * sub.max()) * 1.15 / (np.sqrt(3) * vn_kv * 0.95)
    line["max_i_ka"] = i_peak_ka[line.to_bus.to_numpy() - 1] * rng.uniform(*RATING_FACTOR, n - 1)
    # PV at the buses farthest from the root (by hops), 0.5-3 x the peak load in total.
    depth = _depth(net, n)
    far = np.argsort(-depth[1:], kind="stable")[: max(1, min(3, n // 4))] + 1
    total = p_peak * rng.uniform(*PV_SHARE)
    share = rng.dirichlet(np.ones(len(far)))
    sections["pv"] = [
        {"name": f"pv{k}", "bus": int(b), "p_mw": float(total * s), "s_mva": float(total * s)}
        for k, (b, s) in enumerate(zip(far, share, strict=True))
    ]
    vm_max = float(rng.uniform(*VM_MAX_PU))
    root = float(rng.uniform(ROOT_VM_PU[0], vm_max - ROOT_VM_PU[1]))
    sections["network"] = {"max_i_ka": 0.0, "vm_max_pu": vm_max, "root_vm_pu": root}
    sections["grid"] = {
        "allow_export": bool(rng.random() < EXPORT_SHARE),
        "loss_price_per_mwh": float(rng.uniform(*LOSS_PRICE)),
    }
    # Negative prices in the sunny hours on some feeders (PV surplus markets).
    if rng.random() < NEGATIVE_SHARE:
        sunny = profiles["pv_pu"].to_numpy() > 0.5
        profiles.loc[sunny, "price_per_mwh"] = -rng.uniform(*NEGATIVE_PRICE)
    return net, sections, profiles


def _depth(net, n: int) -> np.ndarray:
    parent = np.zeros(n, dtype=int)
    parent[net.line.to_bus.to_numpy()] = net.line.from_bus.to_numpy()
    depth = np.zeros(n)
    for k in range(1, n):  # parents come first (random_feeder hangs k on an earlier bus)
        depth[k] = depth[parent[k]] + 1
    return depth


def _subtree_load_mw(net, n: int) -> np.ndarray:
    """Peak load behind each line (indexed by its to-bus - 1)."""
    load = np.zeros(n)
    np.add.at(load, net.load.bus.to_numpy(), net.load.p_mw.to_numpy())
    parent = np.zeros(n, dtype=int)
    parent[net.line.to_bus.to_numpy()] = net.line.from_bus.to_numpy()
    for k in range(n - 1, 0, -1):
        load[parent[k]] += load[k]
    return load[1:]
