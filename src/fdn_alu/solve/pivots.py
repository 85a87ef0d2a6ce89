"""The greedy choice of independent pivots for :mod:`fdn_alu.solve.eliminate`, vectorised.

Candidates (row, variable) come in the order of preference (lowest fill first); two candidates
conflict when the variable of one appears in the row of the other. A greedy scan in that order
keeps each candidate not in conflict with one kept before it; :func:`greedy_independent` gives
the same set without a Python loop over candidates.
"""

from __future__ import annotations

import numpy as np


def greedy_independent(
    cr: np.ndarray, cv: np.ndarray, er: np.ndarray, ec: np.ndarray, n_rows: int, n_vars: int
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates the greedy scan in their order keeps, found in vectorised passes.

    The greedy scan takes candidate k = (cr[k], cv[k]) unless an earlier taken candidate
    (r, v) conflicts with it: v in row cr[k], or cv[k] in row r (the equality entries are
    (er, ec)). The relation is symmetric, so the scan's result is the lexicographically first
    independent set, which these passes give exactly: each takes every live candidate that
    precedes all live candidates in conflict with it (the scan would take it: none before it
    can be taken any more), then drops the candidates in conflict with those taken.

    Returns
    -------
    rows, cols : np.ndarray
        The candidates taken, in the scan's order.
    """
    big = np.iinfo(np.int64).max
    live = np.arange(cr.size, dtype=np.int64)
    taken = []
    # work arrays, reset where written after each pass
    first_in_row = np.full(n_rows, big)
    first_of_var = np.full(n_vars, big)
    by_row = np.full(n_rows, big)
    by_var = np.full(n_vars, big)
    mark_row = np.zeros(n_rows, bool)
    mark_var = np.zeros(n_vars, bool)
    while live.size:
        lr, lv = cr[live], cv[live]
        # the entries that can matter: rows and variables of live candidates
        mark_row[lr] = True
        mark_var[lv] = True
        e = np.flatnonzero(mark_row[er] & mark_var[ec])
        mark_row[lr] = False
        mark_var[lv] = False
        er, ec = er[e], ec[e]
        np.minimum.at(first_in_row, lr, live)
        np.minimum.at(first_of_var, lv, live)
        # first live candidate in conflict through a row holding v / a variable of row r
        np.minimum.at(by_var, ec, first_in_row[er])
        np.minimum.at(by_row, er, first_of_var[ec])
        now = live[np.minimum(by_var[lv], by_row[lr]) == live]
        first_in_row[lr] = big
        first_of_var[lv] = big
        by_var[ec] = big
        by_row[er] = big
        taken.append(now)
        mark_var[cv[now]] = True
        mark_row[cr[now]] = True
        blocked_row = er[mark_var[ec]]  # rows holding a taken variable
        blocked_var = ec[mark_row[er]]  # variables of a taken row
        mark_var[cv[now]] = False
        mark_row[cr[now]] = False
        mark_row[blocked_row] = True
        mark_var[blocked_var] = True
        live = live[~(mark_row[lr] | mark_var[lv])]
        mark_row[blocked_row] = False
        mark_var[blocked_var] = False
    k = np.sort(np.concatenate(taken)) if taken else np.zeros(0, np.int64)
    return cr[k].astype(np.int64), cv[k].astype(np.int64)
