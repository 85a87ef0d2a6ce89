"""Worst-case reserve deployment as exact linear (robust) constraints.

A reserve product k held as x_k[s] MW in period s may be called in any period s and is then
delivered at x_k[s] for the product's duration, n_k periods (s .. s + n_k - 1), after which the
schedule resumes. A state that responds linearly to a power change (bath temperature, stored
energy, the deployed power itself) moves by ``K[t, s] x_k[s]`` at period t, with a kernel
``K`` >= 0 fixed by the device's dynamics. The worst deviation at t over every start s is

    z_k[t] = max_s K[t, s] x_k[s],

and, for x >= 0 and K >= 0, the constraints ``z_k[t] >= K[t, s] x_k[s]`` for all (t, s) with
``z`` entering the device's limit with the sign that tightens it make the limit hold for every
start of every product (each product's call may start in a different period): the robust
counterpart of the limit, exact and linear. For the first-order kernels of the devices here the
maximum over s is a recursion, so :func:`worst_case` needs O(T n) rows, not T^2.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np


def periods_of(duration_h: float, dt_h: float) -> int:
    """Periods a call of ``duration_h`` covers (at least one)."""
    return max(int(np.ceil(duration_h / dt_h - 1e-9)), 1)


def first_order_kernel(T: int, n: int, gain: float, decay: float = 0.0) -> np.ndarray:
    """(T, T) response at t of a unit change held over periods s .. s + n - 1, for the state
    d_t = decay d_(t-1) + gain u_t (d = 0 before the call).

    ``decay = 0``: the state follows the change (power, the paper's thermal relation);
    ``decay = 1``: it integrates it (stored energy, gain = dt); 0 < decay < 1: a first-order lag
    that relaxes back after the call (heat balance with heat loss).
    """
    t = np.arange(T)[:, None]
    s = np.arange(T)[None, :]
    lag = t - s
    out = np.zeros((T, T))
    for j in range(n):  # contribution of the change in period s + j (n is a few periods)
        m = lag - j
        ok = m >= 0
        out[ok] += gain * np.power(float(decay), m[ok])  # 0 ** 0 = 1: decay 0 follows
    return out


def worst_case(x, gain, decay, n: int, name: str) -> tuple[cp.Variable, list]:
    """Worst deviation z (T, k) over every start of a call of x (T, k) lasting n periods through
    the first-order kernel of :func:`first_order_kernel` (``gain``, ``decay`` per column, with
    0 <= decay <= 1), and its constraints, in O(T n) rows.

    For a lag l = t - s < n - 1 (the call still running) ``K_l = g sum_(j<=l) a^j``, written
    ``z[t] >= K_l x[t - l]``; for l >= n - 1 ``K_l = a^(l - n + 1) G`` with
    ``G = g sum_(j<n) a^j``, whose maximum over s follows the recursion
    ``W[t] >= a W[t - 1]``, ``W[t] >= G x[t - n + 1]``, and ``z >= W``. Every bound is an
    epigraph of the maximum over starts, so the robust limit is exact.
    """
    T, k = x.shape
    g = np.broadcast_to(np.asarray(gain, float), (k,))
    a = np.broadcast_to(np.asarray(decay, float), (k,))
    z = cp.Variable((T, k), nonneg=True, name=name)
    w = cp.Variable((T, k), nonneg=True, name=f"{name}_tail")
    big_g = g * np.sum([a**j for j in range(n)], axis=0)
    cons = [z >= w]
    if T > 1:
        cons.append(w[1:] >= cp.multiply(np.ones((T - 1, 1)) * a[None, :], w[:-1]))
    if n - 1 < T:
        m = T - n + 1
        cons.append(w[n - 1 :] >= cp.multiply(np.ones((m, 1)) * big_g[None, :], x[:m]))
    for lag in range(min(n - 1, T)):  # the call's own periods (n is a few)
        k_l = g * np.sum([a**j for j in range(lag + 1)], axis=0)
        cons.append(z[lag:] >= cp.multiply(np.ones((T - lag, 1)) * k_l[None, :], x[: T - lag]))
    return z, cons


def window_max(x, n: int, name: str) -> tuple[cp.Variable, list]:
    """m (T, k) >= x[s] for every s in t - n + 1 .. t: the largest call still being delivered
    in period t (the deployed power of a product of n periods)."""
    T, k = x.shape
    m = cp.Variable((T, k), nonneg=True, name=name)
    cons = [m >= x]
    for lag in range(1, min(n, T)):  # n - 1 lags of the call's own duration
        cons.append(m[lag:] >= x[: T - lag])
    return m, cons


def window_max_values(x: np.ndarray, n: int) -> np.ndarray:
    """Numpy value of :func:`window_max`: the largest of x over the last n periods (T, k)."""
    out = np.array(x, float)
    for lag in range(1, min(n, len(out))):
        out[lag:] = np.maximum(out[lag:], x[: len(out) - lag])
    return out


def shift_down(x, n: int):
    """x delayed by n periods (zero before): the call that started n periods ago."""
    T, k = x.shape
    if n >= T:
        return np.zeros((T, k))
    return cp.vstack([np.zeros((n, k)), x[: T - n]]) if n > 0 else x


DOWN = ("regulation_down",)
"""Products that lower a provider's net injection; every other product raises it."""


def called_power(alloc: dict, periods: dict) -> dict[str, np.ndarray]:
    """Replay of calls (numpy, independent of any model): for every start period s, the power
    change (S, T, k) >= 0 when every product of a direction is called at once at its
    allocation of period s for its duration, the schedule resuming after. Keys ``up`` (raise
    the net injection: more output, less draw) and ``down``."""
    out = {}
    for direction in ("up", "down"):
        prods = [p for p in alloc if (p in DOWN) == (direction == "down")]
        if not prods:
            continue
        T, k = alloc[prods[0]].shape
        t = np.arange(T)[None, :]
        s = np.arange(T)[:, None]
        dp = np.zeros((T, T, k))
        for p in prods:
            on = ((t >= s) & (t < s + periods[p])).astype(float)  # (S, T)
            dp += on[:, :, None] * np.asarray(alloc[p], float)[:, None, :]
        out[direction] = dp
    return out
