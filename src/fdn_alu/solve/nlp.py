"""The dispatch problem as a smooth non-linear program, read off the compiled cvxpy problem.

cvxpy compiles the whole model (every component's constraints, the DistFlow network, the
objective (12)) to conic data ``min c'x + x'Px/2  s.t.  b - A x in K`` with K the product of the
zero cone, the non-negative orthant and second-order cones. Its only non-convexity was relaxed
in one place: the branch current cone ``||(2P, 2Q, l - u_i)|| <= l + u_i`` of DistFlow, i.e.
``P^2 + Q^2 <= l u_i``. The exact branch-flow problem restores the equality (eq. 19-20 with
``l u_i = P^2 + Q^2``). With ``s = b - A x`` on the rows of one cone (s0 the first):

    h(s) = s0^2 - s1^2 - ... - sk^2,      h = 4 (l u_i - P^2 - Q^2) on a current cone,

so the NLP keeps every linear row as it is, writes each current cone as ``h(s) = 0`` and every
other second-order cone (the components' own, exact in the relaxation) as the smooth
``h(s) >= 0``, both with ``s0 >= 0``. ``h`` is quadratic in x: its Jacobian
``-2 D s A`` and its constant Hessian ``2 A' D A`` (D = diag(1, -1, ...)) are assembled from
the nonzeros of A with index arrays built once (no loop over periods or branches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# The constraint family whose cone the exact branch-flow problem turns into an equality.
CURRENT_CONE = "distflow-current_cone"


@dataclass
class ConeProgram:
    """Conic data of a compiled model, and what the NLP needs of it.

    Attributes
    ----------
    c : ndarray (N,)
    P : sparse (N, N) or None
        Full symmetric quadratic objective (``x'Px/2``), None when linear.
    offset : float
        Constant of the objective (scaled like c).
    A_eq, b_eq : linear equalities ``A_eq x = b_eq``
    A_in, b_in : linear inequalities ``A_in x <= b_in``
    A_soc, b_soc : the second-order cones' rows (``s = b_soc - A_soc x``)
    cone_of_row : ndarray (rows of A_soc,) cone index of each row
    sign : ndarray (rows of A_soc,) +1 on a cone's first row, -1 on the others
    first_row : ndarray (cones,) first row of each cone in A_soc
    exact : ndarray of bool (cones,) True on the current cones (the equality)
    lb, ub : ndarray (N,) variable bounds from single-variable rows (+-inf elsewhere)
    rows_eq, rows_in, rows_single : rows of the compiled A kept as equalities, as inequalities,
        and moved into the bounds (``A_single``, ``b_single``), for the duals
    """

    c: np.ndarray
    P: sp.csr_array | None
    offset: float
    A_eq: sp.csr_array
    b_eq: np.ndarray
    A_in: sp.csr_array
    b_in: np.ndarray
    A_soc: sp.csr_array
    b_soc: np.ndarray
    cone_of_row: np.ndarray
    sign: np.ndarray
    first_row: np.ndarray
    exact: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    rows_eq: np.ndarray
    rows_in: np.ndarray
    rows_single: np.ndarray
    A_single: sp.csr_array
    b_single: np.ndarray

    @property
    def n(self) -> int:
        return self.c.size

    def objective(self, x: np.ndarray) -> float:
        quad = 0.5 * float(x @ (self.P @ x)) if self.P is not None else 0.0
        return float(self.c @ x) + quad

    def h(self, x: np.ndarray) -> np.ndarray:
        """``s0^2 - ||s1||^2`` per cone at x."""
        s = self.b_soc - self.A_soc @ x
        return np.bincount(self.cone_of_row, self.sign * s**2, minlength=self.first_row.size)

    def residuals(self, x: np.ndarray) -> dict[str, float]:
        """Largest violation of each constraint kind at x (h on the exact cones as
        ``|l u - P^2 - Q^2|``, i.e. h / 4)."""
        h = self.h(x)
        s0 = self.b_soc[self.first_row] - self.A_soc[self.first_row] @ x
        return {
            "eq": _max(np.abs(self.A_eq @ x - self.b_eq)),
            "in": _max(self.A_in @ x - self.b_in),
            "bounds": max(_max(self.lb - x), _max(x - self.ub)),
            "cone_eq": _max(np.abs(h[self.exact])) / 4.0,
            "cone_in": _max(-h[~self.exact]),
            "cone_s0": _max(-s0),
        }


def _max(v: np.ndarray) -> float:
    return float(np.max(v, initial=0.0))


def cone_program(data: dict, exact_ids: set[int]) -> ConeProgram:
    """A :class:`ConeProgram` from cvxpy's Clarabel problem data (``get_problem_data``).

    ``exact_ids``: constraint ids (cvxpy keeps them through its reductions) whose cones become
    equalities.
    """
    A = sp.csr_array(data["A"])
    b = np.asarray(data["b"], dtype=float)
    dims = data["dims"]
    z, l = dims.zero, dims.nonneg
    if dims.exp or dims.psd or dims.p3d:
        raise ValueError("exponential, power or semidefinite cones are not supported")
    soc = np.asarray(dims.soc, dtype=int)
    exact = np.zeros(soc.size, dtype=bool)
    k = 0
    for con in data["param_prob"].constraints:
        if type(con).__name__ != "SOC":
            continue
        sizes = con.cone_sizes()
        exact[k : k + len(sizes)] = con.id in exact_ids
        k += len(sizes)
    if k != soc.size:
        raise ValueError("the cone layout of the compiled problem was not understood")
    A_eq, b_eq = A[:z], b[:z]
    A_in, b_in = A[z : z + l], b[z : z + l]
    n = A.shape[1]
    lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
    A_eq, b_eq, keep_eq = _bounds_from_rows(A_eq, b_eq, lb, ub, equal=True)
    A_in, b_in, keep_in = _bounds_from_rows(A_in, b_in, lb, ub, equal=False)
    single = np.concatenate([np.flatnonzero(~keep_eq), z + np.flatnonzero(~keep_in)])
    rows = int(soc.sum())
    first = np.concatenate([[0], np.cumsum(soc)[:-1]]).astype(int)
    cone_of_row = np.repeat(np.arange(soc.size), soc)
    sign = -np.ones(rows)
    sign[first] = 1.0
    P = data.get("P")
    if P is not None:
        P = sp.csr_array(P)
        if P.nnz == 0:
            P = None
        elif sp.triu(P).nnz == P.nnz:  # cvxpy passes Clarabel the upper triangle
            P = sp.csr_array(P + P.T - sp.diags_array(P.diagonal()))
    return ConeProgram(
        c=np.asarray(data["c"], dtype=float),
        P=P,
        offset=0.0,
        A_eq=A_eq,
        b_eq=b_eq,
        A_in=A_in,
        b_in=b_in,
        A_soc=A[z + l : z + l + rows],
        b_soc=b[z + l : z + l + rows],
        cone_of_row=cone_of_row,
        sign=sign,
        first_row=first,
        exact=exact,
        lb=lb,
        ub=ub,
        rows_eq=np.flatnonzero(keep_eq),
        rows_in=z + np.flatnonzero(keep_in),
        rows_single=single,
        A_single=A[single],
        b_single=b[single],
    )


def _bounds_from_rows(A, b, lb, ub, equal: bool):
    """Move rows with one nonzero (``a x_j = b`` or ``a x_j <= b``) into the bounds (in place);
    return the other rows. IPOPT treats bounds (and fixed variables) natively."""
    single = np.diff(A.indptr) == 1
    if not single.any():
        return A, b, ~single
    idx = A.indptr[:-1][single]
    j, a = A.indices[idx], A.data[idx]
    v = b[single] / a
    if equal:
        np.maximum.at(lb, j, v)
        np.minimum.at(ub, j, v)
    else:
        up, lo = a > 0, a < 0
        np.minimum.at(ub, j[up], v[up])
        np.maximum.at(lb, j[lo], v[lo])
    keep = ~single
    return A[keep], b[keep], keep


def conic_duals(
    cp: ConeProgram, x: np.ndarray, lam: np.ndarray, z_lo: np.ndarray, z_hi: np.ndarray
) -> np.ndarray:
    """The conic dual z (rows of the compiled A, Clarabel's ``c + A'z = 0``) from the NLP's
    multipliers (IPOPT's ``grad f + J' lam - z_lo + z_hi = 0``): linear rows take their
    multiplier; a cone's rows ``-lam_s0 e0 - 2 lam_h D s``; a row moved into a bound the bound's
    multiplier over its coefficient (one row per bound: the first that sets it)."""
    n_eq, n_in, n_c = cp.A_eq.shape[0], cp.A_in.shape[0], cp.first_row.size
    rows_soc = cp.b_soc.size
    total = n_eq + n_in + cp.rows_single.size + rows_soc
    z = np.zeros(total)
    z[cp.rows_eq] = lam[:n_eq]
    z[cp.rows_in] = lam[n_eq : n_eq + n_in]
    lam_s0 = lam[n_eq + n_in : n_eq + n_in + n_c]
    lam_h = lam[n_eq + n_in + n_c :]
    s = cp.b_soc - cp.A_soc @ x
    z_soc = -2.0 * lam_h[cp.cone_of_row] * cp.sign * s
    z_soc[cp.first_row] -= lam_s0
    z[total - rows_soc :] = z_soc
    if cp.rows_single.size:
        A = cp.A_single.tocsr()
        j, a = A.indices, A.data
        v = cp.b_single / a
        at_hi = np.isclose(v, cp.ub[j], rtol=1e-12, atol=0.0)
        at_lo = np.isclose(v, cp.lb[j], rtol=1e-12, atol=0.0)
        for hit, mult in ((at_hi, z_hi), (at_lo, -z_lo)):
            rows = np.flatnonzero(hit)
            _, first = np.unique(j[rows], return_index=True)
            rows = rows[first]
            z[cp.rows_single[rows]] += mult[j[rows]] / a[rows]
    return z


class Derivatives:
    """Jacobian and Hessian of the NLP's constraints ``g = [A_eq x, A_in x, s0, h]`` in fixed
    sparse structures, computed from index arrays (eq. of :mod:`fdn_alu.solve.nlp`)."""

    def __init__(self, cp: ConeProgram):
        self.cp = cp
        A = cp.A_soc.tocoo()
        self.r, self.j, self.a = A.row.astype(np.int64), A.col.astype(np.int64), A.data
        n_eq, n_in, n_c = cp.A_eq.shape[0], cp.A_in.shape[0], cp.first_row.size
        self.m = n_eq + n_in + 2 * n_c
        # linear part: A_eq, A_in, and -A on each cone's first row (s0 = b0 - a0 x)
        lin = sp.vstack([cp.A_eq, cp.A_in, -cp.A_soc[cp.first_row]]).tocoo()
        # quadratic part: dh_k/dx_j = sum over cone rows r of -2 sign_r s_r a_rj
        cone = cp.cone_of_row[self.r]
        key = cone * cp.n + self.j
        uniq, self.jac_idx = np.unique(key, return_inverse=True)
        off = n_eq + n_in + n_c
        self.jac_rows = np.concatenate([lin.row, off + uniq // cp.n]).astype(np.int64)
        self.jac_cols = np.concatenate([lin.col, uniq % cp.n]).astype(np.int64)
        self.lin_vals = lin.data
        self.n_quad = uniq.size
        self._hessian_structure()

    def _hessian_structure(self) -> None:
        """Pairs of nonzeros in one cone row (lower triangle) plus P: the constant Hessian."""
        A = self.cp.A_soc
        length = np.diff(A.indptr)
        start = np.repeat(A.indptr[:-1], length)  # per nonzero: its row's first nonzero
        reps = np.repeat(length, length)  # per nonzero: its row's length
        e1 = np.repeat(np.arange(A.nnz), reps)
        offs = np.arange(e1.size) - np.repeat(np.cumsum(reps) - reps, reps)
        e2 = np.repeat(start, reps) + offs
        j1, j2 = A.indices[e1].astype(np.int64), A.indices[e2].astype(np.int64)
        keep = j1 >= j2
        e1, j1, j2 = e1[keep], j1[keep], j2[keep]
        row = np.repeat(np.arange(A.shape[0]), length)[e1]
        self.h_coef = 2.0 * self.cp.sign[row] * A.data[e1] * A.data[e2[keep]]
        self.h_cone = self.cp.cone_of_row[row]
        rows, cols = [j1], [j2]
        if self.cp.P is not None:
            P = sp.tril(self.cp.P).tocoo()
            rows.append(P.row.astype(np.int64))
            cols.append(P.col.astype(np.int64))
            self.p_vals = P.data
        rr, cc = np.concatenate(rows), np.concatenate(cols)
        uniq, self.hess_idx = np.unique(rr * self.cp.n + cc, return_inverse=True)
        self.hess_rows, self.hess_cols = uniq // self.cp.n, uniq % self.cp.n
        self.n_h_pairs = j1.size

    def constraints(self, x: np.ndarray) -> np.ndarray:
        cp = self.cp
        s0 = cp.b_soc[cp.first_row] - cp.A_soc[cp.first_row] @ x
        return np.concatenate([cp.A_eq @ x, cp.A_in @ x, s0, cp.h(x)])

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        s = self.cp.b_soc - self.cp.A_soc @ x
        vals = -2.0 * self.cp.sign[self.r] * s[self.r] * self.a
        quad = np.bincount(self.jac_idx, vals, minlength=self.n_quad)
        return np.concatenate([self.lin_vals, quad])

    def hessian(self, lam: np.ndarray, obj_factor: float) -> np.ndarray:
        lam_h = lam[self.m - self.cp.first_row.size :]
        w = [self.h_coef * lam_h[self.h_cone]]
        if self.cp.P is not None:
            w.append(obj_factor * self.p_vals)
        return np.bincount(self.hess_idx, np.concatenate(w), minlength=self.hess_rows.size)
