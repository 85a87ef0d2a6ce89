"""Solve a fleet MILP region by region (the national hub priced by a Lagrangian metal value).

Every variable of the fleet model is indexed by region on its last axis, and every row but the
coupling ones holds columns of one region. Without metal transfer nothing couples the regions:
each region's MILP is solved apart and the optimum is their sum. With a free national hub in
target mode the only coupling row is the national production target

    sum_r a_r' x_r >= T        (a_r: tonnes per unit of each column of region r)

and its Lagrangian with a metal value lambda >= 0 (CNY/t) separates into one MILP per region:

    g(lambda) = lambda T + sum_r min_{x_r in X_r} (c_r - lambda a_r)' x_r  <=  optimum.

g is concave in lambda; it is maximised by Kelley's cutting-plane method in one dimension: every
regional plan x_r found gives the cut g(mu) <= sum_r c_r' x_r + mu (T - sum_r a_r' x_r) for all
mu, and every evaluation gives the certified lower bound lambda T + sum_r (the region's MIP dual
bound), the *dual bound* reported. The primal is built from the regional plans generated:

1. a selection (multiple-choice knapsack, a small MILP): one plan per region, least total cost
   with total output >= T;
2. a redispatch with the selected commitment fixed (the integer columns eliminated, an LP over
   the power columns with the national row), which trims what the selection over-produces;
3. if the gap (primal - dual bound) / primal is above the target, the *marginal* regions (whose
   plans differ between the two metal values bracketing the optimum) are re-optimised together
   with the national row and every other region fixed;
4. if the gap is still above the target, the whole model is solved with the best solution as
   its first incumbent (the monolithic path, with the dual bound kept).

Inventory mode with a hub couples the regions every day (one hub row per day): not decomposed.
Docs: docs/FLEET.md §6.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from fdn_alu.fleet.blocks import Split, fix_columns, split_regions, sub_model
from fdn_alu.fleet.model import FleetModel
from fdn_alu.fleet.solve import SolveReport, _fd_silenced, solve_model

__all__ = ["Split", "fix_columns", "solve_decomposed", "split_regions"]

#: Most metal values evaluated by the cutting-plane search.
MAX_PRICE_ROUNDS = 14
#: The search may stop once the two metal values bracketing the target differ in at most this
#: many regions' plans (they are then re-optimised together, :func:`_marginal`).
MAX_MARGINAL = 3
#: First relative step of the metal value while the target is not bracketed (doubling).
BRACKET_STEP = 0.02


@dataclass
class _Plan:
    x: np.ndarray  # the region's columns
    cost: float  # c_r' x_r
    out: float  # a_r' x_r (t)


class _Regions:
    """Regional MILPs of one fleet model, solved at a metal value with warm starts."""

    def __init__(
        self, model: FleetModel, split: Split, row: int | None, opts: dict, start=None
    ) -> None:
        self.model = model
        self.start = start  # a feasible point of the whole model: each region's first start
        A = model.A.tocsr()
        self.a = np.zeros(len(model.c)) if row is None else A[row].toarray().ravel()
        self.cols = [np.flatnonzero(split.col_region == r) for r in range(split.n_regions)]
        rows = [np.flatnonzero(split.row_region == r) for r in range(split.n_regions)]
        self.subs = [
            sub_model(model, c, r, model.c[c]) for c, r in zip(self.cols, rows, strict=True)
        ]
        self.plans: list[list[_Plan]] = [[] for _ in self.cols]
        self.rounds: list[tuple[float, list[_Plan]]] = []  # (metal value, plan of each region)
        self.opts = opts
        self.solves = 0
        self.nodes = 0

    def solve(self, lam: float) -> tuple[list[_Plan], float]:
        """Each region's optimum at metal value ``lam``; returns (plans, sum of dual bounds)."""
        out, bound = [], 0.0
        for r, (cols, sub) in enumerate(zip(self.cols, self.subs, strict=True)):
            a = self.a[cols]
            m = replace(sub, c=self.model.c[cols] - lam * a)
            prev = self.plans[r]
            if prev:
                start = min(prev, key=lambda p: p.cost - lam * p.out).x
            else:
                start = None if self.start is None else self.start[cols]
            rep = solve_model(m, self.opts, start)
            self.solves += 1
            self.nodes += rep.nodes
            x = rep.x
            if sub.integer.any():
                x = np.where(sub.integer, np.rint(x), x)
            plan = _Plan(x, float(self.model.c[cols] @ x), float(a @ x))
            prev.append(plan)
            out.append(plan)
            bound += min(rep.bound, rep.objective)
        self.rounds.append((lam, out))
        return out, bound

    def assemble(self, chosen: list[_Plan]) -> np.ndarray:
        x = np.zeros(len(self.model.c))
        for cols, p in zip(self.cols, chosen, strict=True):
            x[cols] = p.x
        return x


def _first_value(model: FleetModel, a: np.ndarray) -> float:
    """Median cost per tonne of the producing columns (CNY/t): a first metal value."""
    unit = a > 0
    if not unit.any():
        return 1.0
    return max(float(np.median(model.c[unit] / a[unit])), 1.0)


def _kelley_next(cuts: list[tuple[float, float]], lam_max: float) -> tuple[float, float]:
    """Maximiser and maximum over 0 <= mu <= lam_max of min_k (C_k + mu s_k)."""
    cand = [0.0, lam_max]
    for i, (c1, s1) in enumerate(cuts):
        for c2, s2 in cuts[i + 1 :]:
            if s1 != s2:
                mu = (c2 - c1) / (s1 - s2)
                if 0.0 <= mu <= lam_max:
                    cand.append(mu)
    mu = np.array(cand)
    env = np.min([c + mu * s for c, s in cuts], axis=0)
    k = int(np.argmax(env))
    return float(mu[k]), float(env[k])


def _select(plans: list[list[_Plan]], target: float) -> list[_Plan]:
    """One plan per region, least total cost with total output >= target (a small MILP)."""
    sizes = [len(p) for p in plans]
    n = sum(sizes)
    cost = np.array([p.cost for ps in plans for p in ps])
    out = np.array([p.out for ps in plans for p in ps])
    owner = np.repeat(np.arange(len(plans)), sizes)
    one = sp.csr_matrix((np.ones(n), (owner, np.arange(n))), shape=(len(plans), n))
    scale = max(abs(cost).max(), 1.0)
    with _fd_silenced(1, True):  # scipy's HiGHS prints a MIP debug line (1.16)
        res = milp(
            cost / scale,
            constraints=[
                LinearConstraint(one, 1.0, 1.0),
                LinearConstraint(out[None, :], target, np.inf),
            ],
            integrality=np.ones(n),
            bounds=Bounds(0.0, 1.0),
            options={"mip_rel_gap": 1e-9},
        )
    if res.x is None:
        return []
    pick = np.rint(res.x).astype(bool)
    flat = [p for ps in plans for p in ps]
    return [flat[i] for i in np.flatnonzero(pick)]


def _redispatch(model: FleetModel, x: np.ndarray, mask: np.ndarray, opts: dict):
    """Re-solve the columns not in ``mask`` with those in ``mask`` fixed at ``x``."""
    reduced = fix_columns(model, mask, x)
    rep = solve_model(reduced, {**opts, "mip_rel_gap": opts["mip_rel_gap"] / 4}, x[~mask])
    y = x.copy()
    y[~mask] = np.where(reduced.integer, np.rint(rep.x), rep.x)
    return y, rep


def solve_decomposed(
    model: FleetModel,
    n_regions: int,
    opts: dict,
    start: np.ndarray | None = None,
    metal_value: float | None = None,
) -> SolveReport | None:
    """Solve a fleet MILP region by region (see the module docstring).

    Parameters
    ----------
    model : FleetModel
    n_regions : int
    opts : dict
        ``[solver]`` settings (mip_rel_gap is the target of the reported gap).
    start : ndarray, optional
        A feasible point of the whole model (a restriction's optimum): a primal candidate, and
        the monolithic fallback's first incumbent.
    metal_value : float, optional
        First metal value to try (CNY/t), e.g. a restriction's; default: the median energy
        cost of a tonne at rated power.

    Returns
    -------
    SolveReport or None
        None when the model is not separable this way (more than one coupling row, or a
        coupling row that is not a lower bound); ``method`` tells how the answer was found.
    """
    t0 = time.perf_counter()
    sp_ = split_regions(model, n_regions)
    if (sp_.col_region < 0).any():
        return None
    coupling = sp_.coupling
    if len(coupling) > 1:
        return None
    row = int(coupling[0]) if len(coupling) else None
    if row is not None and not (np.isfinite(model.row_lo[row]) and np.isinf(model.row_hi[row])):
        return None
    gap_target = float(opts["mip_rel_gap"])
    if row is None:  # independent regions: each within the gap, so is their sum
        regs = _Regions(model, sp_, row, opts, start)
        plans, bound = regs.solve(0.0)
        x = regs.assemble(plans)
        return _report(model, x, bound + model.offset, None, regs, "regions", t0)

    # regional Lagrangian objectives are differences of cost and metal value: a tighter gap
    sub_opts = {**opts, "mip_rel_gap": gap_target / 4, "threads": 1}
    regs = _Regions(model, sp_, row, sub_opts, start)
    target = float(model.row_lo[row])
    lam = _first_value(model, regs.a) if metal_value is None else float(metal_value)
    cuts: list[tuple[float, float]] = []
    best_lb, best_lam = -np.inf, lam
    lam_lo = lam_hi = None  # highest value making less than the target, lowest making enough
    step = BRACKET_STEP
    for _ in range(MAX_PRICE_ROUNDS):
        plans, bound = regs.solve(lam)
        cost = sum(p.cost for p in plans)
        out = sum(p.out for p in plans)
        lb = lam * target + bound
        if lb > best_lb:
            best_lb, best_lam = lb, lam
        cuts.append((cost, target - out))
        if out >= target:
            lam_hi = lam if lam_hi is None else min(lam_hi, lam)
        else:
            lam_lo = lam if lam_lo is None else max(lam_lo, lam)
        if lam_hi is None or lam_lo is None:  # not bracketed yet: move, faster each time
            lam = lam * (1.0 + step) if lam_hi is None else lam / (1.0 + step)
            step *= 2.0
            continue
        # stop when the selected plans are within a quarter of the gap of the bound (the
        # redispatch only lowers their cost), or when the search stalls
        chosen = _select(regs.plans, target)
        primal = sum(p.cost for p in chosen) if chosen else np.inf
        nxt, ub = _kelley_next(cuts, lam_hi)
        converged = ub - best_lb <= 0.1 * gap_target * abs(ub)
        few = _bracket(regs, target)[2].sum() <= MAX_MARGINAL
        if (
            primal - best_lb <= 0.25 * gap_target * abs(primal)
            or (converged and few)
            or lam_hi - lam_lo <= 1e-9 * lam_hi
        ):
            break
        if any(abs(nxt - lm) <= 1e-9 * max(lm, 1.0) for lm, _ in regs.rounds):
            nxt = 0.5 * (lam_lo + lam_hi)  # the cuts repeat a value (inexact plans): bisect
        lam = nxt
    dual = best_lb + model.offset
    x, primal = _primal(model, regs, target, opts, start)
    method = "hub"
    if x is None or (primal - dual) / abs(primal) > 0.1 * gap_target:
        y, val = _marginal(model, regs, sp_, target, opts)
        if val < primal:
            x, primal, method = y, val, "hub+marginal"
    # the whole model when the plans miss the gap (or never bracketed the target)
    if x is None or (primal - dual) / abs(primal) > gap_target:
        rep = solve_model(model, opts, x)
        dual = max(dual, rep.bound)
        x = rep.x
        method = "hub+monolithic"
    return _report(model, x, dual, best_lam, regs, method, t0)


def _primal(model, regs: _Regions, target: float, opts: dict, start) -> tuple[np.ndarray, float]:
    """Selection of regional plans, then the redispatch with their commitment fixed."""
    best_x, best = None, np.inf
    chosen = _select(regs.plans, target)
    if chosen:
        x = regs.assemble(chosen)
        x, _ = _redispatch(model, x, model.integer, opts)
        regs.solves += 1
        best_x, best = x, float(model.c @ x + model.offset)
    if start is not None:
        val = float(model.c @ start + model.offset)
        if val < best:
            best_x, best = start, val
    return best_x, best


def _bracket(regs: _Regions, target: float):
    """Plans at the two metal values bracketing the target, and the regions where they differ.

    Returns ``(low, high, marginal)``: the plans of the highest value whose total is below the
    target and of the lowest whose total reaches it (None if missing), and a bool per region.
    """
    below = [(lam, ps) for lam, ps in regs.rounds if sum(p.out for p in ps) < target]
    above = [(lam, ps) for lam, ps in regs.rounds if sum(p.out for p in ps) >= target]
    if not below or not above:
        return None, None, np.ones(len(regs.cols), bool)
    lo = max(below, key=lambda t: t[0])[1]
    hi = min(above, key=lambda t: t[0])[1]
    marginal = np.array(
        [abs(a.out - b.out) > 1e-6 * max(abs(b.out), 1.0) for a, b in zip(lo, hi, strict=True)]
    )
    return lo, hi, marginal


def _marginal(model, regs: _Regions, split: Split, target: float, opts: dict):
    """Re-optimise the marginal regions together with the national row, the others held at
    their plans of the highest metal value that makes less than the target.

    Returns ``(x, cost)`` or ``(None, inf)`` without a bracket.
    """
    lo, hi, marginal = _bracket(regs, target)
    if lo is None or not marginal.any():
        return None, np.inf
    base = [h if m else l for l, h, m in zip(lo, hi, marginal, strict=True)]
    x = regs.assemble(base)  # feasible: the high plans of the marginal regions add enough
    fixed = ~marginal[split.col_region]
    y, _ = _redispatch(model, x, fixed, opts)
    regs.solves += 1
    return y, float(model.c @ y + model.offset)


def _report(model, x, dual: float, lam, regs: _Regions, method: str, t0: float) -> SolveReport:
    obj = float(model.c @ x + model.offset)
    return SolveReport(
        solver="highs",
        status="Optimal" if obj - dual <= 1e-9 * abs(obj) else "Optimal within the gap",
        x=x,
        objective=obj,
        bound=float(dual),
        mip_gap=max(obj - dual, 0.0) / abs(obj) if obj else 0.0,
        nodes=regs.nodes,
        time_s=time.perf_counter() - t0,
        metal_value_cny_per_t=lam,
        method=method,
        subproblems=regs.solves,
    )
