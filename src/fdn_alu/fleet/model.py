"""Fleet MILP: integer line counts on daily blocks, power on hourly (or merged) blocks.

The model is assembled as one sparse matrix: each constraint family is one vectorised block of
COO triplets over all days, blocks and regions (no Python loop over time). Equations and their
sources: docs/FLEET.md. Variables (index shapes, time first):

    up[b, r]    MW above rated, P = S nu + up - dn        (B, R) continuous
    dn[b, r]    MW below rated                             (B, R) continuous
    nu[d, r]    lines online on day d                      (D, R) integer 0..N
    chi[d, r]   lines started on day d                     (D, R) integer
    zeta[d, r]  lines stopped on day d                     (D, R) integer
    cum_stops[d, r], cum_starts[d, r]  cumulative sums of zeta, chi  (D, R) continuous
    inv[d, r]   t, metal inventory at the end of day d     (D, R) inventory mode only
    imp[d, r], exp[d, r]  t/day through the hub            (D, R) inventory mode with transfer

Strategies are restrictions of the full model (same variables, extra bounds or rows):
``full`` (batch + modulation), ``modulation`` (no starts/stops), ``batch`` (online lines at
rated power), ``rigid`` (no starts/stops and one constant power all horizon).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from fdn_alu.fleet.data import HOURS_PER_DAY, FleetData
from fdn_alu.fleet.potline import penalty_slope
from fdn_alu.fleet.schema import STRATEGIES, STRATEGY_LABELS

__all__ = [
    "STRATEGIES",
    "STRATEGY_LABELS",
    "FleetModel",
    "build_model",
    "embed_solution",
    "penalty_slope",
]


@dataclass
class FleetModel:
    """A MILP in HiGHS form: min c'x + offset, row_lo <= A x <= row_hi, lb <= x <= ub."""

    strategy: str
    c: np.ndarray
    offset: float
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray  # (n,) bool
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    var: dict[str, tuple[int, tuple[int, ...]]]  # name -> (start, shape)
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # family -> (start, count)
    slope_dn: np.ndarray | None = None  # (R,) output per MW below rated, rel. to rated avg
    slope_up: np.ndarray | None = None
    build_time_s: float = 0.0

    def value(self, x: np.ndarray, name: str) -> np.ndarray:
        """Slice of a solution vector for one variable, reshaped; zeros if absent."""
        if name not in self.var:
            return np.zeros(self.var["nu"][1])
        start, shape = self.var[name]
        return x[start : start + int(np.prod(shape))].reshape(shape)

    def power_mw(self, x: np.ndarray, line_mw: np.ndarray, block_day: np.ndarray) -> np.ndarray:
        """(B, R) block power P = S nu + up - dn."""
        nu = np.rint(self.value(x, "nu"))
        return line_mw * nu[block_day] + self.value(x, "up") - self.value(x, "dn")

    def size(self) -> dict:
        return {
            "columns": int(self.A.shape[1]),
            "rows": int(self.A.shape[0]),
            "nonzeros": int(self.A.nnz),
            "integer_columns": int(self.integer.sum()),
        }


class _Builder:
    """Collects variables and vectorised row blocks."""

    def __init__(self) -> None:
        self.n = 0
        self.var: dict[str, tuple[int, tuple[int, ...]]] = {}
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.rows_i: list[np.ndarray] = []
        self.rows_j: list[np.ndarray] = []
        self.rows_v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.m = 0
        self.families: dict[str, tuple[int, int]] = {}

    def add_var(self, name, shape, lb, ub, integer=False, cost=0.0) -> np.ndarray:
        size = int(np.prod(shape))
        idx = self.n + np.arange(size).reshape(shape)
        self.var[name] = (self.n, tuple(shape))
        self.n += size
        self.lb.append(np.broadcast_to(np.asarray(lb, float), shape).ravel())
        self.ub.append(np.broadcast_to(np.asarray(ub, float), shape).ravel())
        self.integer.append(np.full(size, integer))
        self.c.append(np.broadcast_to(np.asarray(cost, float), shape).ravel())
        return idx

    def add_rows(self, name, n_rows, terms, lo, hi) -> None:
        """Rows ``lo <= sum(coef * x[col]) <= hi``; terms: list of (row, col, coef) arrays."""
        for r, c, v in terms:
            r, c = np.broadcast_arrays(np.asarray(r), np.asarray(c))
            self.rows_i.append(self.m + r.ravel())
            self.rows_j.append(c.ravel())
            self.rows_v.append(np.broadcast_to(np.asarray(v, float), c.shape).ravel())
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (n_rows,)).ravel())
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (n_rows,)).ravel())
        self.families[name] = (self.m, n_rows)
        self.m += n_rows

    def matrix(self) -> sp.csr_matrix:
        i = np.concatenate(self.rows_i)
        j = np.concatenate(self.rows_j)
        v = np.concatenate(self.rows_v)
        return sp.csr_matrix((v, (i, j)), shape=(self.m, self.n))


def build_model(fd: FleetData, strategy: str = "full") -> FleetModel:
    """Assemble the fleet MILP of one strategy (docs/FLEET.md §2-§3 equations).

    Parameters
    ----------
    fd : FleetData
    strategy : {"full", "modulation", "batch", "rigid"}

    Returns
    -------
    FleetModel
    """
    t0 = time.perf_counter()
    s = fd.settings
    op, costs, prod = s["operation"], s["costs"], s["production"]
    B, R, D = len(fd.block_h), len(fd.regions), fd.days
    N, L, e = fd.lines.astype(float), fd.line_mw, fd.e_mwh_per_t
    w = fd.block_h[:, None]  # (B, 1) hours
    bd = fd.block_day
    cyclic = op["cyclic"]
    bl = _Builder()

    # --- variables and objective coefficients. Power is split around the rated point,
    #     P[b, r] = S nu[d(b), r] + up[b, r] - dn[b, r],
    # so the band is two bounds on up, dn, and |P - S nu| = up + dn (exact at an optimum that
    # needs the output, since up and dn together only lose output).
    c_mwh = fd.block_price + costs["carbon_price_cny_per_t"] * fd.block_ci / 1000.0  # (B, R)
    c_energy = w * c_mwh
    rated_day = np.zeros((D, R))
    np.add.at(rated_day, bd, c_energy)  # CNY per MW held at rated over the day
    # stand-by per online line-day (Lyu & Jenkins, PyPSA stand_by_cost: while committed); the
    # idle-line holding cost per offline line-day, 24 C_idle S (N - nu), is a separate setting
    standby = HOURS_PER_DAY * costs["standby_cny_per_mw_h"] * L
    idle = HOURS_PER_DAY * costs["idle_cny_per_mw_h"] * L
    nu = bl.add_var("nu", (D, R), 0.0, N, integer=True, cost=rated_day * L + standby - idle)
    no_band = strategy == "batch"
    if strategy == "rigid":
        # one constant power all horizon: a single up and dn column per region, shared by every
        # block (measured on china: the equivalent B - 1 equality rows per region left HiGHS at
        # a 190 % gap after 600 s; one column per region is an LP the presolve closes at once)
        up = bl.add_var("up", (1, R), 0.0, np.inf, cost=c_energy.sum(axis=0, keepdims=True))
        dn = bl.add_var("dn", (1, R), 0.0, np.inf, cost=-c_energy.sum(axis=0, keepdims=True))
        up, dn = np.broadcast_to(up, (B, R)), np.broadcast_to(dn, (B, R))
    else:
        up = bl.add_var("up", (B, R), 0.0, 0.0 if no_band else np.inf, cost=c_energy)
        dn = bl.add_var("dn", (B, R), 0.0, 0.0 if no_band else np.inf, cost=-c_energy)
    no_switch = strategy in ("rigid", "modulation")
    # [operation] commitment_days = k > 1: lines start and stop only on days 0, k, 2k, ... (a
    # restriction: its optimum bounds the daily model's from above)
    block_start = (np.arange(D) % op["commitment_days"] == 0)[:, None]
    sw_ub = 0.0 if no_switch else np.where(block_start, N, 0.0)
    chi = bl.add_var("chi", (D, R), 0.0, sw_ub, True, cost=costs["restart_cny_per_mw"] * L)
    zeta = bl.add_var("zeta", (D, R), 0.0, sw_ub, integer=True)
    offset = float(D * (idle * N).sum())
    inventory = prod["mode"] == "inventory"
    transfer = prod["metal_transfer"]
    if inventory:
        demand_t_per_d = fd.target_t / D
        inv = bl.add_var(
            "inv",
            (D, R),
            prod["inventory_min_days"] * demand_t_per_d,
            prod["inventory_max_days"] * demand_t_per_d,
        )
        if transfer:
            imp = bl.add_var("imp", (D, R), 0.0, np.inf)
            exp = bl.add_var("exp", (D, R), 0.0, np.inf, cost=costs["transfer_cny_per_t"])

    br = np.arange(B * R).reshape(B, R)
    nu_b = nu[bd]  # (B, R) column of nu for the day of each block
    # --- modulation band: p_min S nu <= P <= p_max S nu
    if not no_band:
        up_lim = (fd.p_max_pu - 1.0) * L
        dn_lim = (1.0 - fd.p_min_pu) * L
        bl.add_rows("band_max", B * R, [(br, up, 1.0), (br, nu_b, -up_lim)], -np.inf, 0.0)
        bl.add_rows("band_min", B * R, [(br, dn, 1.0), (br, nu_b, -dn_lim)], -np.inf, 0.0)
    # --- commitment balance nu_d = nu_{d-1} + chi_d - zeta_d
    dr = np.arange(D * R).reshape(D, R)
    prev = np.roll(nu, 1, axis=0)
    terms = [(dr, nu, 1.0), (dr, chi, -1.0), (dr, zeta, 1.0)]
    if cyclic:
        terms.append((dr, prev, -1.0))
        rhs = np.zeros((D, R))
    else:
        terms.append((dr[1:], prev[1:], -1.0))
        rhs = np.zeros((D, R))
        rhs[0] = N  # all lines online before day 0
    bl.add_rows("commitment", D * R, terms, rhs.ravel(), rhs.ravel())
    # --- minimum downtime / up time in GenX's clustered form,
    #     N - nu_d >= sum_{k = d-DT+1..d} zeta_k,   nu_d >= sum_{k = d-UT+1..d} chi_k,
    # with the window sums written through cumulative sums (same LP relaxation, 3-4 nonzeros per
    # row instead of DT): Zc_d = Zc_{d-1} + zeta_d, window(d) = Zc_d - Zc_{d-DT} (wrapping).
    rr = np.arange(R)
    for cname, src, k, fam, sign, lo, hi in (
        ("cum_stops", zeta, op["min_down_days"], "min_down", 1.0, -np.inf, np.tile(N, D)),
        ("cum_starts", chi, op["min_up_days"], "min_up", -1.0, 0.0, np.inf),
    ):
        cum = bl.add_var(cname, (D, R), 0.0, np.inf)
        bl.add_rows(
            cname,
            D * R,
            [(dr, cum, 1.0), (dr[1:], cum[:-1], -1.0), (dr, src, -1.0)],
            0.0,
            0.0,
        )
        terms = [(dr, nu, 1.0), (dr, cum, sign)]
        if k < D:
            terms.append((dr[k:], cum[:-k], -sign))
            if cyclic:
                # window of day d < k wraps: + (Zc_{D-1} - Zc_{D-k+d})
                terms += [(dr[:k], cum[[-1]], sign), (dr[:k], cum[D - k : D], -sign)]
        bl.add_rows(fam, D * R, terms, lo, hi)

    # --- production: output of block b is w_b (S nu + (1 - m) up - (1 + m) dn) / e  [t]
    out_nu = np.zeros((D, R))
    np.add.at(out_nu, bd, np.broadcast_to(w * L / e, (B, R)))  # t per online line-day
    out_up = w / e * fd.slope_up * np.ones((B, R))
    out_dn = -w / e * fd.slope_dn * np.ones((B, R))
    _reach_rows(bl, fd, nu, up, dn, out_nu, out_up, out_dn)
    if not inventory:
        if transfer:
            z_d, z_b = np.zeros((D, R), int), np.zeros((B, R), int)
            terms = [(z_d, nu, out_nu), (z_b, up, out_up), (z_b, dn, out_dn)]
            bl.add_rows("production", 1, terms, fd.target_t.sum(), np.inf)
        else:
            r_d, r_b = np.broadcast_to(rr, (D, R)), np.broadcast_to(rr, (B, R))
            terms = [(r_d, nu, out_nu), (r_b, up, out_up), (r_b, dn, out_dn)]
            bl.add_rows("production", R, terms, fd.target_t, np.inf)
    else:
        # inv_d - inv_{d-1} - output_d - imp_d + exp_d = -demand_d
        rows_b = bd[:, None] * R + rr[None, :]
        terms = [(dr, inv, 1.0), (dr, nu, -out_nu), (rows_b, up, -out_up), (rows_b, dn, -out_dn)]
        rhs = -np.broadcast_to(demand_t_per_d, (D, R)).copy()
        if cyclic:
            terms.append((dr, np.roll(inv, 1, axis=0), -1.0))
        else:
            terms.append((dr[1:], inv[:-1], -1.0))
            rhs[0] += prod["inventory_min_days"] * demand_t_per_d  # start at the minimum
        if transfer:
            terms += [(dr, imp, -1.0), (dr, exp, 1.0)]
        bl.add_rows("inventory", D * R, terms, rhs.ravel(), rhs.ravel())
        if transfer:
            drow = np.broadcast_to(np.arange(D)[:, None], (D, R))
            bl.add_rows("hub", D, [(drow, imp, 1.0), (drow, exp, -1.0)], 0.0, 0.0)

    # --- strategy restrictions: batch up = dn = 0 and modulation no starts or stops (bounds
    # above); rigid also one power all horizon (shared columns above)
    model = FleetModel(
        strategy=strategy,
        c=np.concatenate(bl.c),
        offset=offset,
        lb=np.concatenate(bl.lb),
        ub=np.concatenate(bl.ub),
        integer=np.concatenate(bl.integer),
        A=bl.matrix(),
        row_lo=np.concatenate(bl.lo),
        row_hi=np.concatenate(bl.hi),
        var=bl.var,
        rows=bl.families,
        slope_dn=fd.slope_dn,
        slope_up=fd.slope_up,
    )
    model.build_time_s = time.perf_counter() - t0
    return model


def _reach_rows(bl: _Builder, fd: FleetData, nu, up, dn, out_nu, out_up, out_dn) -> None:
    """Daily reach (regions from a dispatch case): each online line's metal of the day between
    what the dispatch makes on its slowest and fastest path from rated power (ramp to a band
    edge and hold, :func:`fdn_alu.fleet.potline.day_reach`), so every planned day is a day the
    dispatch can run with its production target binding."""
    cols = np.flatnonzero(np.isfinite(fd.day_max_pu))
    if cols.size == 0 or not np.any(fd.block_h):
        return
    D, B = fd.days, len(fd.block_h)
    rated_day_t = HOURS_PER_DAY * fd.line_mw[cols] / fd.e_mwh_per_t[cols]  # t per line-day
    rows_d = np.arange(D * cols.size).reshape(D, cols.size)
    rows_b = rows_d[fd.block_day]
    for fam, frac, lo, hi in (
        ("reach_min", fd.day_min_pu[cols], 0.0, np.inf),
        ("reach_max", fd.day_max_pu[cols], -np.inf, 0.0),
    ):
        terms = [
            (rows_d, nu[:, cols], out_nu[:, cols] - frac * rated_day_t),
            (rows_b, up[:, cols], out_up[:, cols] * np.ones((B, 1))),
            (rows_b, dn[:, cols], out_dn[:, cols] * np.ones((B, 1))),
        ]
        bl.add_rows(fam, D * cols.size, terms, lo, hi)


def embed_solution(src: FleetModel, x: np.ndarray, dst: FleetModel) -> np.ndarray:
    """Map a solution of one strategy onto another's columns (same data, same variable names).

    A restriction's optimum is feasible in the full model, so it serves as a starting incumbent.
    """
    y = np.zeros(len(dst.c))
    for name, (start, shape) in dst.var.items():
        if name in src.var:
            y[start : start + int(np.prod(shape))] = np.broadcast_to(
                src.value(x, name), shape
            ).ravel()
    return y
