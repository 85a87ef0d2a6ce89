"""The row order cvxpy's conic interface gives a compiled problem, computed from the constraints.

cvxpy's ``ConicSolver.format_constraints`` multiplies the compiled tensor by a block-diagonal
matrix that negates equality rows and interleaves each second-order cone's ``t`` and ``X`` rows
(``t_0, X[:, 0], t_1, X[:, 1], ...``). For zero, non-negative and second-order cone
constraints that matrix is a signed permutation; :func:`cone_row_permutation` writes it down
directly (O(rows), numpy), where :func:`fdn_alu.solve.compile._row_permutation` otherwise runs
cvxpy's method on an identity matrix (0.02-0.03 s per compilation on ieee85 x 96 scenario 3).
Any other cone type returns None and cvxpy's own construction is used.
"""

from __future__ import annotations

import numpy as np
from cvxpy.constraints import SOC, NonNeg, Zero


def cone_row_permutation(constraints) -> tuple[np.ndarray, np.ndarray] | None:
    """(new row of each compiled row, its sign) for ``constraints`` in compiled order.

    Parameters
    ----------
    constraints : list of cvxpy constraints
        The compiled problem's constraints (``ParamConeProg.constraints``), whose rows follow
        one another in this order.

    Returns
    -------
    (ndarray of int64, ndarray of float) or None
        Row ``i`` of the compiled tensor becomes row ``new_row[i]``, multiplied by ``sign[i]``
        (-1 for equality rows, as cvxpy's ``NegativeIdentityOperator``); None when a
        constraint is not a zero, non-negative or axis-0 second-order cone.
    """
    parts, signs = [], []
    offset = 0
    for con in constraints:
        kind = type(con)
        if kind is Zero or kind is NonNeg:
            size = con.size
            parts.append(offset + np.arange(size, dtype=np.int64))
            signs.append(np.full(size, -1.0 if kind is Zero else 1.0))
        elif kind is SOC and con.axis == 0:
            t, x = con.args
            n_cones = t.size
            x_dim = x.shape[0] if x.shape else 1
            if x.size != n_cones * x_dim:
                return None
            block = offset + np.arange(n_cones, dtype=np.int64) * (x_dim + 1)
            x_rows = np.arange(x.size, dtype=np.int64)
            size = n_cones + x.size
            parts.append(block)  # the t rows
            parts.append(offset + (x_rows // x_dim) * (x_dim + 1) + x_rows % x_dim + 1)
            signs.append(np.ones(size))
        else:
            return None
        offset += size
    if not parts:
        return None
    return np.concatenate(parts), np.concatenate(signs)
