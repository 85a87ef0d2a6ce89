"""Sequential convex restriction of the exact branch-flow problem (the fallback of IPOPT).

On a current cone, with ``s = b - A x`` on its rows, the relaxation keeps ``s0 >= ||s1||`` and
the exact problem also needs ``s0 <= ||s1||``, a reverse-convex constraint. Its convex
restriction at a point ``s1_bar`` replaces ``||s1||`` by its linearisation ``g' s1`` with
``g = s1_bar / ||s1_bar||`` (``g' s1 <= ||s1||`` by Cauchy-Schwarz), so

    s0 <= g' s1 + sigma,     sigma >= 0 penalised by rho sum(sigma)

and any solution with ``sigma = 0`` satisfies ``s0 = ||s1||`` exactly: it is AC-feasible. The
sequence (the penalty convex-concave procedure) re-linearises at each solution and raises rho
until sigma vanishes and the objective settles. Each step is one Clarabel solve of the compiled
conic data plus one row and one column per current cone.
"""

from __future__ import annotations

import clarabel
import numpy as np
import scipy.sparse as sp

from fdn_alu.solve.clock import record
from fdn_alu.solve.nlp import ConeProgram
from fdn_alu.solve.solver import CLARABEL_OPTIONS

# Penalty sequence (our choice, the usual penalty CCP settings): start at RHO0 times the
# largest objective coefficient, multiply by RHO_GROWTH per step up to RHO_MAX times it while
# some sigma > SIGMA_TOL (a larger penalty than needed only conditions the problem worse: on a
# hard feeder sigma grew from 2e-10 to 5e-6 as rho kept growing); stop when every
# sigma <= SIGMA_TOL (pu of the cone's entries) and the objective moves by < OBJ_RTOL, or after
# MAX_STEPS.
RHO0 = 1.0
RHO_GROWTH = 4.0
RHO_MAX = 1e6
SIGMA_TOL = 1e-9
OBJ_RTOL = 1e-7
MAX_STEPS = 30
# Clarabel options of each step: the run's own tight tolerances, with iterative refinement
# (without it the restricted problems of hard feeders stopped 1e-6 off feasibility).
RESTRICTION_CLARABEL = {**CLARABEL_OPTIONS, "iterative_refinement_enable": True}


def solve_restriction(prog: ConeProgram, x0: np.ndarray) -> tuple[np.ndarray, int, str]:
    """Penalty sequence of convex restrictions from x0.

    Returns
    -------
    (x, iterations, message)
        The last point (its residuals say whether it is feasible), Clarabel iterations summed.
    """
    n, k = prog.n, int(prog.exact.sum())
    cones_rows = prog.first_row.size
    exact_first = prog.first_row[prog.exact]
    soc_dims = np.bincount(prog.cone_of_row, minlength=cones_rows)
    # rows of the exact cones' s1 parts, grouped per cone (for g' s1)
    rows = np.flatnonzero(prog.exact[prog.cone_of_row] & (prog.sign < 0))
    cone_idx = np.searchsorted(np.flatnonzero(prog.exact), prog.cone_of_row[rows])
    c_scale = max(float(np.abs(prog.c).max(initial=0.0)), 1e-9)
    rho = RHO0 * c_scale
    x, iters, last, feasible = x0.copy(), 0, None, None
    fin_lb, fin_ub = np.isfinite(prog.lb), np.isfinite(prog.ub)
    eye_n = sp.eye_array(n, format="csr")
    A_bounds = sp.vstack([-eye_n[fin_lb], eye_n[fin_ub]])
    b_bounds = np.concatenate([-prog.lb[fin_lb], prog.ub[fin_ub]])
    for step in range(MAX_STEPS):
        s = prog.b_soc - prog.A_soc @ x
        norm = np.sqrt(np.bincount(cone_idx, s[rows] ** 2, minlength=k))
        g = s[rows] / np.maximum(norm[cone_idx], 1e-12)
        # s0 - g's1 - sigma <= 0, in x: (-a0 + g A1) x - sigma <= -(b0 - g b1)
        G = sp.csr_array((g, (cone_idx, rows)), shape=(k, prog.A_soc.shape[0]))
        A_cut = -prog.A_soc[exact_first] + G @ prog.A_soc
        b_cut = -(prog.b_soc[exact_first] - G @ prog.b_soc)
        A = sp.vstack(
            [
                sp.hstack([prog.A_eq, sp.csr_array((prog.A_eq.shape[0], k))]),
                sp.hstack([prog.A_in, sp.csr_array((prog.A_in.shape[0], k))]),
                sp.hstack([A_bounds, sp.csr_array((A_bounds.shape[0], k))]),
                sp.hstack([A_cut, -sp.eye_array(k)]),
                sp.hstack([sp.csr_array((k, n)), -sp.eye_array(k)]),
                sp.hstack([prog.A_soc, sp.csr_array((prog.A_soc.shape[0], k))]),
            ]
        ).tocsc()
        b = np.concatenate([prog.b_eq, prog.b_in, b_bounds, b_cut, np.zeros(k), prog.b_soc])
        q = np.concatenate([prog.c, np.full(k, rho)])
        P_x = prog.P if prog.P is not None else sp.csr_array((n, n))
        P = sp.block_diag([P_x, sp.csr_array((k, k))])
        n_lin = prog.A_in.shape[0] + A_bounds.shape[0] + 2 * k
        cones = [clarabel.ZeroConeT(prog.A_eq.shape[0]), clarabel.NonnegativeConeT(n_lin)]
        cones += [clarabel.SecondOrderConeT(int(d)) for d in soc_dims]
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        for key, value in RESTRICTION_CLARABEL.items():
            setattr(settings, key, value)
        sol = clarabel.DefaultSolver(sp.triu(P).tocsc(), q, A, b, cones, settings).solve()
        iters += int(sol.iterations)
        record(float(sol.solve_time))
        if str(sol.status) not in ("Solved", "AlmostSolved"):
            # the last restriction solved without slack is AC-feasible: keep it
            where = f"step {step + 1}: Clarabel {sol.status}"
            return (
                (feasible, iters, f"{where}, the last feasible step kept")
                if (feasible is not None)
                else (x, iters, where)
            )
        z = np.asarray(sol.x)
        x, sigma = z[:n], z[n:]
        obj = prog.objective(x)
        settled = last is not None and abs(obj - last) <= OBJ_RTOL * max(abs(obj), 1.0)
        if sigma.max(initial=0.0) <= SIGMA_TOL:
            if settled:
                return x, iters, f"{step + 1} convex restrictions"
            feasible = x
        else:  # raise the penalty only while the restriction needs slack
            rho = min(rho * RHO_GROWTH, RHO_MAX * c_scale)
        last = obj
    return x, iters, f"{MAX_STEPS} convex restrictions (limit)"
