"""Operating-state pattern (A1) from a relaxed schedule: which periods each potline may rise,
fall or must hold, so that the limits of A1 hold exactly (pure numpy, no solver)."""

from __future__ import annotations

import numpy as np

STEADY, UP, DOWN = 0, 1, 2


def state_pattern(
    dp_mw: np.ndarray, max_adjustments: int, tol_mw: float
) -> tuple[np.ndarray, np.ndarray]:
    """The A1-feasible state pattern closest to a relaxed schedule's moves, per potline.

    For each potline a dynamic programme over the periods chooses a state (steady, up, down)
    per period that keeps as much of the relaxed schedule's movement as possible,
    ``sum_t |dP_t|`` over periods whose state matches the sign of ``dP_t``, subject to at most
    ``max_adjustments`` non-steady periods and no immediate reversal (up then down or down then
    up). Ties go to fewer adjustments. Fixing the model's state indicators to this pattern and
    re-solving keeps the rated schedule feasible (a state allows a move, it never forces one).

    Parameters
    ----------
    dp_mw : ndarray (T, N)
        Power change of each period against the one before (before period 0: rated).
    max_adjustments : int
    tol_mw : float
        Changes below this are not moves.

    Returns
    -------
    up, down : ndarray (T, N) of 0/1
    """
    T, N = dp_mw.shape
    K = int(max_adjustments)
    up = np.zeros((T, N))
    down = np.zeros((T, N))
    for n in range(N):
        states = _best_states(dp_mw[:, n], K, tol_mw)
        up[:, n] = states == UP
        down[:, n] = states == DOWN
    return up, down


def _best_states(dp: np.ndarray, K: int, tol: float) -> np.ndarray:
    """Dynamic programme of :func:`state_pattern` for one potline (T x 3 x (K + 1) table)."""
    T = len(dp)
    gain = np.zeros((T, 3))
    gain[:, UP] = np.where(dp > tol, dp, 0.0)
    gain[:, DOWN] = np.where(dp < -tol, -dp, 0.0)
    # A tiny cost per adjustment breaks ties toward fewer moves.
    penalty = 1e-9 * max(float(np.abs(dp).max(initial=0.0)), 1.0)
    neg = -np.inf
    best = np.full((T, 3, K + 1), neg)
    back = np.zeros((T, 3, K + 1, 2), dtype=int)
    best[0, STEADY, 0] = 0.0
    if K >= 1:
        best[0, UP, 1] = gain[0, UP] - penalty
        best[0, DOWN, 1] = gain[0, DOWN] - penalty
    allowed = {STEADY: (STEADY, UP, DOWN), UP: (STEADY, UP), DOWN: (STEADY, DOWN)}
    for t in range(1, T):
        for s in (STEADY, UP, DOWN):
            step = 0 if s == STEADY else 1
            for prev in allowed[s]:
                cand = np.full(K + 1, neg)
                cand[step:] = best[t - 1, prev, : K + 1 - step]
                cand = cand + (gain[t, s] - step * penalty)
                better = cand > best[t, s]
                best[t, s] = np.where(better, cand, best[t, s])
                back[t, s, better] = [prev, 0]
                back[t, s, better, 1] = np.arange(K + 1)[better] - step
    s, k = np.unravel_index(np.argmax(best[T - 1]), best[T - 1].shape)
    out = np.zeros(T, dtype=int)
    for t in range(T - 1, -1, -1):
        out[t] = s
        if t:
            s, k = back[t, s, k]
    return out
