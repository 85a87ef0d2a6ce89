"""Reserve products co-optimised with the dispatch: the coupling block built from every offer.

For product k (call duration n_k periods, response time t1_k), period t, admitted and
qualified provider p (eq. 1 of seed 002):

- allocation x_{p,k,t} >= 0; requirement  sum_p x_{p,k,t} + b_{k,t} = R_{k,t} (held =
  required; minus its dual is the clearing price, the marginal cost of holding one more MW
  for one hour), b the reserve bought upstream (>= 0, only where it may be bought);
- response rate: x_{p,k,t} <= rate_p t1_k (what the provider can move within t1);
- headroom for a call that may start in any period and lasts n_k periods:
  sum_{k up} max_{s in t-n_k+1..t} x_{p,k,s} <= up_{p,t} (likewise down), so the provider's
  power limits hold for the whole call;
- the provider's own deliverability constraints (``ReserveOffer.deliverable``: bath
  temperature, stored energy, ramp, production; :mod:`fdn_alu.model.deploy`);
- fully deployed states (every call at once, up; regulation down), loads as dispatched, the
  root exchange taking the change (first order, lossless):
  root import  P_root + sum_p down_p <= P_root,max  and  P_root - sum_p up_p >= 0 without export;
  voltages by the LinDistFlow sensitivity  u_dep = u + 2 dP A^T diag(r) A  within the limits
  (judged afterwards by an AC power flow of each deployed state, ``deployed_vm_violation_pu``).

Capacity holds no energy: the block adds no bus injection; the purchase cost and the upstream
part-load CO2 of bought reserve enter the objective (12) and the emissions.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from fdn_alu.components.base import ReserveOffer
from fdn_alu.components.reserves.data import ReservesData
from fdn_alu.components.reserves.settings import PRODUCTS, UP_PRODUCTS
from fdn_alu.core.network import path_matrix
from fdn_alu.errors import Problem, raise_if_problems
from fdn_alu.model.block import Block
from fdn_alu.model.deploy import periods_of, window_max


def requirement_mw(d: ReservesData, core) -> np.ndarray:
    """Requirement per period and product (T, 4), MW: fixed part + shares of load and PV."""
    load = core.p_load_pu.sum(axis=1) * core.base_mva
    pvd = core.components.get("pv")
    pv = (
        pvd.p_avail_pu.sum(axis=1) * core.base_mva
        if pvd is not None and pvd.p_avail_pu.size
        else np.zeros(core.periods)
    )
    return d.fixed_mw + load[:, None] * d.load_share[None, :] + pv[:, None] * d.pv_share[None, :]


def provider_table(d: ReservesData, offers: list[ReserveOffer]) -> dict:
    """Every provider of every offer with its (overridden) qualification and products, and
    whether it is admitted; raises InputError for a refused provider (eq. 1) or an unknown name.
    """
    names, prods, resp, dur, notice, bus = [], [], [], [], [], []
    for o in offers:
        for i, name in enumerate(o.names):
            over = d.overrides.get(name, {})
            names.append(name)
            prods.append(tuple(over.get("products") or o.products[i]))
            resp.append(
                over.get("response_s")
                if over.get("response_s") is not None
                else float(o.response_s[i])
            )
            dur.append(
                over.get("duration_h")
                if over.get("duration_h") is not None
                else float(o.duration_h[i])
            )
            notice.append(
                over.get("notice_h") if over.get("notice_h") is not None else float(o.notice_h[i])
            )
            bus.append(int(o.bus[i]))
    admitted = [d.admit is None or n in d.admit for n in names]
    problems = [
        Problem(
            "[reserves].admit",
            f"{a!r} offers no reserve in this case (providers: {', '.join(names) or 'none'})",
            "reserves",
            "admit",
        )
        for a in (d.admit or ())
        if a not in names
    ]
    problems += [
        Problem(
            f"[reserves.provider.{n}]",
            f"{n!r} offers no reserve in this case (providers: {', '.join(names) or 'none'})",
            "reserves.provider",
            None,
            n,
        )
        for n in d.overrides
        if n not in names
    ]
    for i, name in enumerate(names):
        if not admitted[i]:
            continue
        for p in prods[i]:
            k = PRODUCTS.index(p)
            why = []
            if resp[i] > d.max_response_s[k]:
                why.append(f"response {resp[i]:g} s > t1 = {d.max_response_s[k]:g} s")
            if dur[i] < d.min_duration_h[k]:
                why.append(f"duration {dur[i]:g} h < t2 - t1 = {d.min_duration_h[k]:g} h")
            if notice[i] > d.max_notice_h[k]:
                why.append(f"notice {notice[i]:g} h > t3 = {d.max_notice_h[k]:g} h")
            if why:
                problems.append(
                    Problem(
                        f"reserve provider {name!r}",
                        f"does not qualify for {p} (eq. 1 of seed 002): "
                        + "; ".join(why)
                        + f" (remove {p} from [reserves.provider.{name}].products or "
                        "from [reserves].admit)",
                        "reserves.provider",
                        "products",
                        name,
                    )
                )
    raise_if_problems(problems, "reserve providers refused")
    return {"names": names, "products": prods, "admitted": admitted, "bus": np.array(bus, int)}


def reserves_block(d: ReservesData, core, blocks: dict, offers: list[ReserveOffer]) -> Block:
    """Allocation of every product to the admitted, qualified providers and upstream purchase;
    headroom for the worst-case call of every product, the providers' response-rate limits and
    deliverability constraints, the deployed-state limits of the root import and the voltages
    (module docstring)."""
    T, dt, base, n = core.periods, core.dt_h, core.base_mva, core.net.n_bus
    prov = provider_table(d, offers)
    K = len(prov["names"])
    need = requirement_mw(d, core)
    periods = {p: periods_of(d.min_duration_h[k], dt) for k, p in enumerate(PRODUCTS)}
    rate = (
        np.concatenate(
            [
                np.full(len(o.names), np.inf) if o.rate_mw_per_s is None else o.rate_mw_per_s
                for o in offers
            ]
        )
        if offers
        else np.zeros(0)
    )
    cons: dict = {}
    variables: dict = {}
    costs: dict = {}
    emissions: dict = {}
    for o in offers:
        cons.update(o.constraints)
        costs.update(o.costs)
        emissions.update(o.emissions_t)
    up = cp.hstack([o.up_mw for o in offers]) if offers else None
    down = cp.hstack([o.down_mw for o in offers]) if offers else None
    used_up = used_down = None
    alloc: dict = {}
    buy = cp.Variable((T, len(PRODUCTS)), nonneg=True, name="reserve_buy_mw")
    variables["buy"] = buy
    cover = []
    for k, p in enumerate(PRODUCTS):
        cols = [i for i in range(K) if prov["admitted"][i] and p in prov["products"][i]]
        if cols:
            x = cp.Variable((T, len(cols)), nonneg=True, name=f"reserve_{p}_mw")
            place = sp.csr_matrix(
                (np.ones(len(cols)), (np.arange(len(cols)), cols)), (len(cols), K)
            )
            variables[f"x_{p}"] = x
            variables[f"cols_{p}"] = cols
            alloc[p] = x @ place
            # Response rate: at most rate x t1 within the product's response time.
            limit = rate[cols] * d.max_response_s[k]
            fin = np.flatnonzero(np.isfinite(limit))
            if len(fin):
                cons[f"response_{p}"] = x[:, fin] <= np.ones((T, 1)) @ limit[None, fin]
            # Headroom for a call still being delivered: the largest allocation of the
            # product's last n_k periods.
            m, m_cons = window_max(x, periods[p], f"reserve_{p}_called_mw")
            cons[f"called_{p}"] = m_cons
            placed = m @ place
            if p in UP_PRODUCTS:
                used_up = placed if used_up is None else used_up + placed
            else:
                used_down = placed if used_down is None else used_down + placed
            cover.append(cp.sum(x, axis=1) + buy[:, k])
        else:
            cover.append(buy[:, k])
    # Held = required. cvxpy's dual y of ``cover == need`` enters as y (cover - need), so the
    # marginal cost of one more MW held is -y (reserves_solution).
    cons["requirement"] = cp.vstack(cover).T == need
    closed = np.flatnonzero(~d.allow_purchase)
    if len(closed):
        cons["no_purchase"] = buy[:, closed] == 0
    if used_up is not None:
        cons["headroom_up"] = used_up <= up
    if used_down is not None:
        cons["headroom_down"] = used_down <= down
    # Providers' own deliverability (bath temperature, stored energy, ramps, production).
    replays = []
    start = 0
    for o in offers:
        k = len(o.names)
        held = {
            p for i in range(start, start + k) if prov["admitted"][i] for p in prov["products"][i]
        }
        mine = {p: a[:, start : start + k] for p, a in alloc.items() if p in held}
        if o.deliverable is not None and mine:
            cons.update(o.deliverable(mine, periods))
        if o.replay is not None:
            replays.append((*o.replay, start, k))
        start += k
    bus_map = sp.csr_matrix((np.ones(K), (np.arange(K), prov["bus"])), (K, n)) if K else None
    deployed = {}
    if used_up is not None:
        deployed["deployed_up"] = used_up @ bus_map / base
    if used_down is not None:
        deployed["deployed_down"] = -(used_down @ bus_map) / base
    cons.update(_deployed_limits(core, blocks, deployed))
    price = d.purchase_price_per_mw_h
    costs["reserve_purchase"] = cp.sum(buy @ price) * dt
    emissions["reserve_purchase"] = cp.sum(buy @ d.purchase_ci_kg_per_mw_h) * dt / 1000.0
    zeros = np.zeros((T, 0))
    deployed["up_headroom_mw"] = up if up is not None else zeros
    deployed["down_headroom_mw"] = down if down is not None else zeros
    cols = {k[len("cols_") :]: variables.pop(k) for k in list(variables) if k.startswith("cols_")}
    return Block(
        "reserves",
        variables=variables,
        constraints=cons,
        costs=costs,
        emissions_t=emissions,
        expressions=deployed,
        info={
            **prov,
            "cols": cols,
            "requirement_mw": need,
            "periods": periods,
            "replays": replays,
        },
    )


def _deployed_limits(core, blocks: dict, deployed: dict) -> dict:
    """Root import and LinDistFlow voltage limits of each fully deployed state (pu)."""
    cons = {}
    net = core.net
    grid = core.components.get("grid")
    root_p = cp.sum(blocks["grid"].variables["p"], axis=1) if "grid" in blocks else None
    a = path_matrix(net)
    sens = (2.0 * (a.T @ sp.diags(net.r_pu) @ a)).toarray()  # (n, n): du per pu injected
    u = blocks["distflow"].variables["u"]
    others = np.setdiff1d(np.arange(net.n_bus), net.roots)
    u_lo = (net.vm_min_pu[others] ** 2)[None, :]
    u_hi = (net.vm_max_pu[others] ** 2)[None, :]
    for state, dp in deployed.items():
        total = cp.sum(dp, axis=1)
        if root_p is not None and grid is not None:
            if np.isfinite(grid.p_max_pu):
                cons[f"root_max_{state}"] = root_p - total <= grid.p_max_pu
            if not grid.allow_export:
                cons[f"root_min_{state}"] = root_p - total >= 0
        u_dep = u[:, others] + (dp @ sens)[:, others]
        cons[f"voltage_{state}"] = [u_dep >= u_lo, u_dep <= u_hi]
    return cons
