"""Every period's proportional-sharing system of the carbon flow solved at once.

The sharing matrix of a period (:func:`fdn_alu.analysis.carbon._system`) is sparse and small;
solving one per period cost more in Python and SciPy overhead than in arithmetic (ieee85 x 96:
96 factorisations, 0.08 s). Stacked block-diagonally, a few periods share one factorisation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

# Unknowns per factorisation of stacked periods (our choice: ieee85 x 96 0.010 s, a period at a
# time 0.08 s; 3,400 buses x 96, a period a factorisation, 0.47 s, all at once 0.8 s, +190 MB).
BLOCK_UNKNOWNS = 4_000


def solve_periods(
    rows_recv: np.ndarray,
    rows_send: np.ndarray,
    recv: np.ndarray,
    diag: np.ndarray,
    rhs: np.ndarray,
) -> np.ndarray:
    """Solve every period's sharing system for the right-hand sides ``rhs`` (T n, r).

    The system of period t: ``diag[t]`` on the diagonal, ``-recv[t]`` at (``rows_recv``,
    ``rows_send``) (:func:`fdn_alu.analysis.carbon._system`). Periods are stacked
    block-diagonally and factorised together, :data:`BLOCK_UNKNOWNS` unknowns at a time.
    """
    T, n = diag.shape
    step = max(1, BLOCK_UNKNOWNS // n)
    out = np.empty_like(rhs)
    for a in range(0, T, step):
        b = min(T, a + step)
        base = (np.arange(b - a) * n)[:, None]
        k = (b - a) * n
        A = sp.csc_array(
            (
                np.concatenate([-recv[a:b].ravel(), diag[a:b].ravel()]),
                (
                    np.concatenate([(base + rows_recv).ravel(), np.arange(k)]),
                    np.concatenate([(base + rows_send).ravel(), np.arange(k)]),
                ),
            ),
            shape=(k, k),
        )
        out[a * n : b * n] = spla.splu(A).solve(rhs[a * n : b * n])
    return out


def per_period(nodes: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``bincount(nodes, weights[t], minlength=n)`` for every period t at once, (T, n)."""
    T = weights.shape[0]
    idx = (np.arange(T)[:, None] * n + np.asarray(nodes, dtype=np.int64)).ravel()
    return np.bincount(idx, weights=weights.ravel(), minlength=T * n).reshape(T, n)
