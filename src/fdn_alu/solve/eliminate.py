"""Exact elimination of equality rows from Clarabel's conic data, before the solver is built.

Clarabel solves ``min 1/2 x'Px + q'x  s.t.  A x + s = b,  s in K`` with one KKT row per variable
and per conic row (n + m), whatever the row's cone: an equality (zero-cone row) costs as much of
the factorisation's memory as a second-order-cone row. On the DistFlow core, three of the ~9.4
conic rows per bus-period are equalities (the node balances and the voltage drop).

An equality row r that defines a variable v (coefficient d = A[r, v]) gives
``x_v = (b_r - A[r, W] x_W) / d``; substituted in every other row, the row and the variable both
leave the problem. Substitution is exact (the same feasible set and objective, in the remaining
variables W) and the eliminated values come back exactly from the solved ones:

* primal: ``x_V = (b_R - A[R, W] x_W) / d``, the eliminated rows' slacks ``s_R = 0``;
* dual: the stationarity ``P x + q + A' z = 0`` of an eliminated column v (P has none there)
  gives ``z_r = -(q_v + A[I, v]' z_I) / d``, I the rows kept.

The pivots of one round are chosen so that no pivot variable appears in another pivot row
(``A[R, V]`` is diagonal): each substitution then touches only kept rows, never another pivot,
and the fill it adds, at most ``(nnz of v's column - 1) x (nnz of r's row - 1)``, is known
before it is made. The greedy choice takes the lowest fill first and keeps a pivot only when
that bound is at most :data:`MAX_FILL` entries and its coefficient at least :data:`PIVOT_REL` of
its row's largest. :data:`ROUNDS` rounds run one after the other on the reduced data (a
:class:`Chain`); the expansion undoes them in reverse order.

The kept matrix keeps every structural entry (an entry whose sum cancels to 0 stays, stored as
0), so the same pivots on new values of the same pattern give the same sparsity: a
parametrised re-solve updates the cached Clarabel solver in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fdn_alu.solve.pivots import greedy_independent

# Conic rows from which the elimination runs (our choice): below it the problem is small and
# Clarabel's memory no concern, and the solve sees cvxpy's data unchanged.
ELIMINATE_MIN_ROWS = 200_000
# Largest fill (new non-zeros in the kept rows) one pivot may add (our choice). A pivot saves two
# KKT rows (its row and its variable), ~1 kB of Clarabel's memory at 3,361 buses x 96 periods.
MAX_FILL = 20
# Rounds of elimination (our choice): each round pivots on the rows left by the previous one,
# whose substitutions have made new single-pivot rows; 6 take 75 % of the common day's equalities.
ROUNDS = 6
# Smallest pivot coefficient relative to the largest of its row (our choice: the balance and
# voltage-drop rows pivot on coefficients of 1 next to impedances far below 1).
PIVOT_REL = 0.5


@dataclass
class Elimination:
    """Pivots of one round of elimination and what is needed to expand its solution back.

    Attributes
    ----------
    shape : tuple of int
        (m, n) of the original A.
    n_zero : int
        Zero-cone rows of the original (the first rows of A).
    rows, cols : np.ndarray
        Pivot row and pivot variable of each pivot (indices in this round's input, rows
        ascending); the rows and variables kept are the others, in their order
        (:meth:`kept_rows`, :meth:`kept_cols`).
    pivot : np.ndarray
        d = A[rows, cols].
    b_pivot, q_pivot : np.ndarray
        b[rows] and q[cols] of the last data reduced.
    a_rw : scipy.sparse.csr_array
        A[rows, kept_cols] (pivot k's row is row k).
    a_iv : scipy.sparse.csc_array
        A[kept_rows, cols] (pivot k's column is column k).
    offset : float
        The objective's constant from the substitution, q_V' b_R / d.
    """

    shape: tuple[int, int]
    n_zero: int
    rows: np.ndarray
    cols: np.ndarray
    pivot: np.ndarray | None = None
    b_pivot: np.ndarray | None = None
    q_pivot: np.ndarray | None = None
    a_rw: sp.csr_array | None = None
    a_iv: sp.csc_array | None = None
    offset: float = 0.0

    @property
    def count(self) -> int:
        """Rows (and variables) eliminated."""
        return int(self.rows.size)

    def kept_rows(self) -> np.ndarray:
        """Rows kept, in their order."""
        return _complement(self.shape[0], self.rows)

    def kept_cols(self) -> np.ndarray:
        """Variables kept, in their order."""
        return _complement(self.shape[1], self.cols)


def _complement(size: int, removed: np.ndarray) -> np.ndarray:
    keep = np.ones(size, bool)
    keep[removed] = False
    return np.flatnonzero(keep)


def pattern_digest(A: sp.csc_array) -> str:
    """Digest of a CSC matrix's shape and sparsity pattern."""
    h = hashlib.blake2b(digest_size=16)
    h.update(np.asarray(A.shape, np.int64).tobytes())
    h.update(np.ascontiguousarray(A.indptr).tobytes())
    h.update(np.ascontiguousarray(A.indices).tobytes())
    return h.hexdigest()


def _p_free(P: sp.csc_array | None, n: int) -> np.ndarray:
    """Variables with no entry in P (neither row nor column)."""
    free = np.ones(n, bool)
    if P is not None and P.nnz:
        coo = sp.coo_array(P)
        free[coo.row] = False
        free[coo.col] = False
    return free


def choose_pivots(
    A: sp.csc_array,
    n_zero: int,
    P: sp.csc_array | None = None,
    max_fill: int | None = None,
    pivot_rel: float | None = None,
) -> Elimination:
    """Pivots (row, variable) among the zero-cone rows with ``A[R, V]`` diagonal.

    Parameters
    ----------
    A : scipy.sparse.csc_array
        Conic constraint matrix, shape (m, n), zero-cone rows first.
    n_zero : int
        Number of zero-cone (equality) rows.
    P : scipy.sparse array, optional
        Quadratic objective (upper triangle); variables with an entry in it are never pivots.
    max_fill, pivot_rel : int, float, optional
        :data:`MAX_FILL` and :data:`PIVOT_REL` by default.

    Returns
    -------
    Elimination
        The pivots (no data reduced yet; see :func:`reduce`).
    """
    max_fill = MAX_FILL if max_fill is None else max_fill
    pivot_rel = PIVOT_REL if pivot_rel is None else pivot_rel
    m, n = A.shape
    A = sp.csc_array(A)
    col_nnz = np.diff(A.indptr)
    eq = sp.csr_array(A[:n_zero])
    row_nnz = np.diff(eq.indptr)
    er = np.repeat(np.arange(n_zero), row_nnz)
    ec, ev = eq.indices.astype(np.int64), np.abs(eq.data)
    row_max = np.zeros(n_zero)
    np.maximum.at(row_max, er, ev)
    fill = (col_nnz[ec] - 1) * (row_nnz[er] - 1)
    ok = (ev > 0) & (ev >= pivot_rel * row_max[er]) & (fill <= max_fill) & _p_free(P, n)[ec]
    cand = np.flatnonzero(ok)
    cand = cand[np.lexsort((er[cand], fill[cand]))]
    rows_a, cols_a = greedy_independent(er[cand], ec[cand], er, ec, n_zero, n)
    order = np.argsort(rows_a)
    return Elimination(shape=(m, n), n_zero=n_zero, rows=rows_a[order], cols=cols_a[order])


def reduce(
    el: Elimination,
    A: sp.csc_array,
    b: np.ndarray,
    q: np.ndarray,
    P: sp.csc_array | None = None,
) -> tuple[sp.csc_array, np.ndarray, np.ndarray, sp.csc_array | None]:
    """The conic data with the pivots eliminated; ``el`` keeps what expanding needs.

    Returns
    -------
    A, b, q, P
        Kept rows and variables in their original order (the cones' order unchanged, the zero
        cone shorter by ``el.count`` rows). The kept A holds every structural entry of
        ``A[I, W] - A[I, V] diag(1/d) A[R, W]``, cancelled sums included, as zeros.
    """
    A = sp.csc_array(A)
    m, n = A.shape
    R, V = el.rows, el.cols
    I, W = el.kept_rows(), el.kept_cols()
    # each entry's place: kept row / pivot k of its row, kept column / pivot k of its column
    new_row = np.full(m, -1, np.int64)
    new_row[I] = np.arange(I.size)
    new_col = np.full(n, -1, np.int64)
    new_col[W] = np.arange(W.size)
    pivot_of_row = np.full(m, -1, np.int64)
    pivot_of_row[R] = np.arange(R.size)
    pivot_of_col = np.full(n, -1, np.int64)
    pivot_of_col[V] = np.arange(V.size)
    row = A.indices
    col = np.repeat(np.arange(n), np.diff(A.indptr))
    i_row, w_col = new_row[row], new_col[col]
    k_row, k_col = pivot_of_row[row], pivot_of_col[col]
    del new_row, new_col, pivot_of_row, pivot_of_col, row, col
    in_i, in_w = i_row >= 0, w_col >= 0
    s = ~in_i & in_w
    a_rw = sp.csr_array((A.data[s], (k_row[s], w_col[s])), shape=(R.size, W.size))
    s = in_i & ~in_w
    a_iv = sp.csc_array((A.data[s], (i_row[s], k_col[s])), shape=(I.size, V.size))
    s = np.flatnonzero((k_col >= 0) & (k_row == k_col))
    d = np.zeros(V.size)
    d[k_col[s]] = A.data[s]
    s = in_i & in_w
    kept_data, kept_row, kept_col = A.data[s], i_row[s], w_col[s]
    del i_row, w_col, k_row, k_col, in_i, in_w, s
    if np.any(d == 0):
        raise ValueError("a pivot of the elimination is zero in these data")
    b_r, q_v = b[R], q[V]
    # fill: for pivot k, column A[I, v_k] times row -A[r_k, W] / d_k
    ci = np.diff(a_iv.indptr)  # entries of each pivot's column in the kept rows
    cr = np.diff(a_rw.indptr)  # entries of each pivot's row in the kept columns
    k_of = np.repeat(np.arange(V.size), ci)  # pivot of each column entry
    rep = cr[k_of]
    e = np.repeat(np.arange(k_of.size), rep)
    j = np.arange(e.size) - np.repeat(np.cumsum(rep) - rep, rep)
    pos = a_rw.indptr[k_of[e]] + j
    r1, c1 = a_iv.indices[e], a_rw.indices[pos]
    v1 = -a_iv.data[e] * a_rw.data[pos] / d[k_of[e]]
    del e, j, pos
    # with the kept entries A[I, W]; scipy's conversion sums duplicates and keeps zero sums
    A_red = sp.coo_array(
        (
            np.concatenate([kept_data, v1]),
            (np.concatenate([kept_row, r1]), np.concatenate([kept_col, c1])),
        ),
        shape=(I.size, W.size),
    ).tocsc()
    del kept_data, kept_row, kept_col, r1, c1, v1
    A_red.sum_duplicates()
    # right-hand side and costs
    b_red = b[I] - a_iv @ (b_r / d)
    q_red = q[W] - a_rw.T @ (q_v / d)
    P_red = sp.csc_array(sp.csc_array(P)[:, W][W]) if P is not None else None
    el.pivot, el.b_pivot, el.q_pivot = d, b_r, q_v
    el.a_rw = _compact(a_rw)
    el.a_iv = _compact(a_iv)
    el.offset = float(q_v @ (b_r / d))
    return A_red, b_red, q_red, P_red


def _compact(M):
    """The matrix with int32 indices (it is held through the solve)."""
    M = M.copy()
    M.indices = M.indices.astype(np.int32)
    M.indptr = M.indptr.astype(np.int32)
    return M


def expand(
    el: Elimination, x: np.ndarray, s: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The original problem's (x, s, z) from the reduced problem's solution.

    ``x_V = (b_R - A[R, W] x_W) / d``, ``s_R = 0``, ``z_R = -(q_V + A[I, V]' z_I) / d``.
    """
    m, n = el.shape
    kept_rows = el.kept_rows()
    x_full = np.empty(n)
    x_full[el.kept_cols()] = x
    x_full[el.cols] = (el.b_pivot - el.a_rw @ x) / el.pivot
    s_full = np.zeros(m)
    s_full[kept_rows] = s
    z_full = np.empty(m)
    z_full[kept_rows] = z
    z_full[el.rows] = -(el.q_pivot + el.a_iv.T @ z) / el.pivot
    return x_full, s_full, z_full


@dataclass
class Chain:
    """Rounds of elimination applied one after the other to the same problem.

    Attributes
    ----------
    pattern : str
        Digest of the original A's sparsity pattern (:func:`pattern_digest`).
    stages : list of Elimination
        The rounds, first to last.
    """

    pattern: str
    stages: list[Elimination]

    @property
    def count(self) -> int:
        """Rows (and variables) eliminated in all."""
        return sum(st.count for st in self.stages)

    @property
    def offset(self) -> float:
        return sum(st.offset for st in self.stages)


def eliminate(
    A: sp.csc_array,
    b: np.ndarray,
    q: np.ndarray,
    P: sp.csc_array | None,
    n_zero: int,
    reuse: Chain | None = None,
    rounds: int | None = None,
) -> tuple[sp.csc_array, np.ndarray, np.ndarray, sp.csc_array | None, Chain]:
    """Eliminate equality rows in rounds; the reduced data and the :class:`Chain` to expand.

    ``reuse``: the pivots of an earlier call, applied again when A has the same pattern (a
    re-solve with new values: the reduced data then have the same pattern too) and none of
    the pivots is zero; otherwise new pivots are chosen.

    Returns
    -------
    A, b, q, P, chain
        Reduced data; their zero cone has ``n_zero - chain.count`` rows.
    """
    digest = pattern_digest(sp.csc_array(A))
    if reuse is not None and reuse.pattern == digest:
        try:
            out = (A, b, q, P)
            for st in reuse.stages:
                out = reduce(st, *out)
            return (*out, reuse)
        except ValueError:  # a pivot is zero with these values: new pivots
            pass
    chain = Chain(digest, [])
    for _ in range(ROUNDS if rounds is None else rounds):
        st = choose_pivots(A, n_zero, P)
        if st.count == 0:
            break
        A, b, q, P = reduce(st, A, b, q, P)
        n_zero -= st.count
        chain.stages.append(st)
    return A, b, q, P, chain


def expand_chain(
    chain: Chain, x: np.ndarray, s: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`expand` through every round, last first."""
    for st in reversed(chain.stages):
        x, s, z = expand(st, x, s, z)
    return x, s, z
