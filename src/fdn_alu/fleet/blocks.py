"""Block structure of a fleet MILP by region, and models with columns fixed (used by
:mod:`fdn_alu.fleet.hub`).

Every variable of the fleet model has the region on its last axis; a row belongs to a region
when all its columns do, else it couples regions (the national target with metal transfer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdn_alu.fleet.model import FleetModel

__all__ = ["Split", "fix_columns", "split_regions", "sub_model"]


@dataclass(frozen=True)
class Split:
    """Block structure of a fleet MILP.

    Attributes
    ----------
    col_region : (n,) int, region of each column
    row_region : (m,) int, region of each row; -1 for a row coupling regions
    n_regions : int
    """

    col_region: np.ndarray
    row_region: np.ndarray
    n_regions: int

    @property
    def coupling(self) -> np.ndarray:
        """Indices of the coupling rows."""
        return np.flatnonzero(self.row_region < 0)


def split_regions(model: FleetModel, n_regions: int) -> Split:
    """Region of every column (the last axis of its variable) and every row (-1: coupling).

    Parameters
    ----------
    model : FleetModel
    n_regions : int

    Returns
    -------
    Split
    """
    col = np.empty(len(model.c), int)
    for start, shape in model.var.values():
        size = int(np.prod(shape))
        col[start : start + size] = np.arange(size) % shape[-1] if shape[-1] == n_regions else -1
    A = model.A.tocsr()
    reg = col[A.indices]
    lo = np.minimum.reduceat(reg, A.indptr[:-1]) if A.nnz else np.zeros(0, int)
    hi = np.maximum.reduceat(reg, A.indptr[:-1]) if A.nnz else np.zeros(0, int)
    empty = np.diff(A.indptr) == 0
    row = np.where((lo == hi) & ~empty, lo, -1)
    return Split(col, row, n_regions)


def sub_model(model: FleetModel, cols: np.ndarray, rows: np.ndarray, c: np.ndarray) -> FleetModel:
    """The MILP over some columns and rows (rows must hold only these columns)."""
    return FleetModel(
        strategy=model.strategy,
        c=c,
        offset=0.0,
        lb=model.lb[cols],
        ub=model.ub[cols],
        integer=model.integer[cols],
        A=model.A[rows][:, cols].tocsr(),
        row_lo=model.row_lo[rows],
        row_hi=model.row_hi[rows],
        var={},
    )


def fix_columns(model: FleetModel, fixed: np.ndarray, x: np.ndarray) -> FleetModel:
    """The model with the columns ``fixed`` (bool mask) held at ``x`` and eliminated.

    Their contribution moves into the row bounds and the objective offset; rows left without a
    free column are dropped (they hold at ``x``, which callers take from a feasible plan).

    Parameters
    ----------
    model : FleetModel
    fixed : (n,) bool
    x : (n,) float
        Values of the fixed columns (other entries ignored).

    Returns
    -------
    FleetModel
        Columns ``~fixed`` in their order; ``var`` empty.
    """
    free = ~fixed
    A = model.A.tocsc()
    shift = A[:, fixed] @ x[fixed]
    Af = A[:, free].tocsr()
    keep = np.diff(Af.indptr) > 0
    return FleetModel(
        strategy=model.strategy,
        c=model.c[free],
        offset=float(model.offset + model.c[fixed] @ x[fixed]),
        lb=model.lb[free],
        ub=model.ub[free],
        integer=model.integer[free],
        A=Af[keep],
        row_lo=(model.row_lo - shift)[keep],
        row_hi=(model.row_hi - shift)[keep],
        var={},
    )
