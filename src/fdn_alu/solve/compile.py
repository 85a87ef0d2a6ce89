"""cvxpy's Clarabel interface with a parametrised (DPP) compilation linear in the problem size.

cvxpy compiles a DPP-compliant problem once into a tensor that maps the Parameters' values to the
conic data (A, b, c) and, on every re-solve of the same problem, only multiplies that tensor by
the new values (issue 11: the production sequence's re-solves change only Parameters). Its last
compilation step, ``ConicSolver.format_constraints``, reorders the constraint rows into the
solver's cone order (equalities negated, the rows of each second-order cone interleaved); it does
so by reshaping the tensor, shape ``(m (n + 1), p + 1)`` for m rows, n variables and p Parameter
entries, to ``(m, (n + 1)(p + 1))`` and multiplying it by a sparse matrix, and scipy's product
allocates work arrays per column: time and memory grow as n p. On ieee85 x 96 scenario 3
(n = 35,904, p = 2,121) that step took 10.4 s and 4.4 GB, against 0.3 s for the whole
compilation without Parameters, which is why the toolkit used to compile every solve afresh
with ``ignore_dpp=True`` (cvxpy issues 886 and 1332 describe the same cost).

The reordering is a signed permutation of the m rows, the same for every (variable, Parameter)
column of the tensor: :class:`Clarabel` applies it to the tensor's row indices, O(nnz). The
permutation itself comes from cvxpy's own ``format_constraints`` run on an m x m identity (one
source of truth for the cone order); when it is not a signed permutation (a cone type whose
reordering mixes rows) cvxpy's own method runs instead.

Upstream cvxpy made the same change (pull request 3525, "Cone restructuring ... as a permutation
instead of a matrix product", merged after 1.9.3, the latest release when this was written, and
tested only with 1.9.3); once a release has it, this module can go and ``solver._solve`` can pass
``"CLARABEL"`` with ``ignore_dpp=False``.
"""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import tempfile
import types
from dataclasses import dataclass

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from cvxpy import settings as s
from cvxpy.reductions.dcp2cone.cone_matrix_stuffing import ParamConeProg
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import CLARABEL, dims_to_solver_cones

from fdn_alu.solve import eliminate
from fdn_alu.solve.cone_rows import cone_row_permutation

# Key of the elimination's pivots in cvxpy's solver cache, next to the solver (our choice).
ELIMINATION = ":elimination"


class Clarabel(CLARABEL):
    """cvxpy's Clarabel interface; only the constraint reordering of the compilation differs.

    Pass one instance (:data:`CLARABEL_SOLVER`) to ``Problem.solve(solver=...)``: cvxpy keys its
    compiled-problem cache on the solver object, so a new instance per solve would recompile.
    """

    def name(self) -> str:
        # cvxpy requires a custom solver to carry a name of its own.
        return "FDN_CLARABEL"

    def apply(self, problem: ParamConeProg):
        """cvxpy's data step, then the tensor's full copy released (:func:`_drop_tensor`)."""
        data, inverse_data = super().apply(problem)
        _drop_tensor(data.get(s.PARAM_PROB, problem))  # the formatted program, the one cached
        return data, inverse_data

    def solve_via_data(self, data, warm_start, verbose, solver_opts, solver_cache=None):
        """cvxpy's Clarabel call (same solver, same update path), holding one copy of the data.

        As cvxpy's: a re-solve of the same problem updates the cached Clarabel solver with the
        new data (``DefaultSolver.update``: its symbolic factorisation kept) when Clarabel allows
        it, else builds a new solver. Two differences, neither changing an iterate: cvxpy's
        copies of (P, q, A, b) are released from ``data`` once Clarabel holds its own (the dict
        is cvxpy's per-solve output; the compiled tensor it came from stays cached), and a
        cached solver that cannot be updated is dropped before the new one is built, so that
        two solvers' KKT factors are never held at once.
        """
        q = data.pop("c")
        n = q.size
        P = data.pop("P", None)
        P = sp.triu(P).tocsc() if P is not None else sp.csc_array((n, n))
        A, b = data.pop("A"), data.pop("b")
        dims = data[self.DIMS]
        cache = solver_cache if solver_cache is not None else {}
        large = A.shape[0] >= eliminate.ELIMINATE_MIN_ROWS
        el = None
        if large:
            _park_tensor(data.get(s.PARAM_PROB))
            _drop_canonical_forms(data.get(s.PARAM_PROB))
        if large and dims.zero:
            reuse = cache.pop(self.name() + ELIMINATION, None)
            A, b, q, P, el = eliminate.eliminate(A, b, q, P, dims.zero, reuse)
            _park_chain(el)
            dims = copy.copy(dims)
            dims.zero -= el.count
        cones = dims_to_solver_cones(dims)
        solver = cache.pop(self.name(), None)
        if (
            solver is not None
            and warm_start
            and hasattr(solver, "update")
            and solver.is_data_update_allowed()
        ):
            settings = self.parse_solver_opts(verbose, solver_opts, solver.get_settings())
            try:
                solver.update(P=P, q=q, A=A, b=b, settings=settings)
            except Exception:  # another sparsity pattern or size: cvxpy builds anew too
                solver = None
        else:
            solver = None
        if solver is None:
            settings = self.parse_solver_opts(verbose, solver_opts)
            trim_heap()  # the compilation's freed work arrays back to the system first
            solver = clarabel.DefaultSolver(P, q, A, b, cones, settings)
        del P, q, A, b, cones
        trim_heap()  # cvxpy's copies of the data, released above
        results = solver.solve()
        if large:
            # its KKT factors released before the solution is expanded and unpacked: a re-solve
            # builds a new solver (same iterates, the symbolic factorisation done again)
            del solver
            trim_heap()
        else:
            cache[self.name()] = solver
        if el is None:
            return results
        cache[self.name() + ELIMINATION] = el
        return expanded_solution(el, results)

    @classmethod
    def format_constraints(cls, problem: ParamConeProg, exp_cone_order) -> ParamConeProg:
        """cvxpy's ``ConicSolver.format_constraints``, applied to the row indices (O(nnz))."""
        n_rows = problem.A.shape[0] // (problem.x.size + 1)
        perm = _row_permutation(problem, exp_cone_order, n_rows)
        if perm is None:
            return super().format_constraints(problem, exp_cone_order)
        new_row, sign = perm
        coo = problem.A.tocoo()
        row = coo.row.astype(np.int64)
        i, j = row % n_rows, row // n_rows  # constraint row, variable column (n: the constant)
        A = sp.coo_array(
            (coo.data * sign[i], (new_row[i] + n_rows * j, coo.col.astype(np.int64))),
            shape=problem.A.shape,
        )
        return ParamConeProg(
            problem.q,
            problem.x,
            A,
            problem.variables,
            problem.var_id_to_col,
            problem.constraints,
            problem.parameters,
            problem.param_id_to_col,
            P=problem.P,
            formatted=True,
            lower_bounds=problem.lower_bounds,
            upper_bounds=problem.upper_bounds,
            lb_tensor=problem.lb_tensor,
            ub_tensor=problem.ub_tensor,
            dir_cones=problem.dir_cones,
        )


@dataclass
class ExpandedSolution:
    """Clarabel's solution, expanded to the original problem (the fields cvxpy reads).

    ``obj_val`` and ``obj_val_dual`` include the substitution's constant; the residuals,
    iterations and times are Clarabel's on the reduced problem.
    """

    status: object
    obj_val: float
    obj_val_dual: float
    x: np.ndarray
    s: np.ndarray
    z: np.ndarray
    iterations: int
    solve_time: float
    r_prim: float
    r_dual: float
    eliminated: int


def expanded_solution(el: eliminate.Chain, sol) -> ExpandedSolution:
    """:func:`.eliminate.expand_chain` applied to a Clarabel ``DefaultSolution``."""
    x, s, z = eliminate.expand_chain(el, np.asarray(sol.x), np.asarray(sol.s), np.asarray(sol.z))
    return ExpandedSolution(
        status=sol.status,
        obj_val=sol.obj_val + el.offset,
        obj_val_dual=sol.obj_val_dual + el.offset,
        x=x,
        s=s,
        z=z,
        iterations=sol.iterations,
        solve_time=sol.solve_time,
        r_prim=sol.r_prim,
        r_dual=sol.r_dual,
        eliminated=el.count,
    )


def _park(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The arrays written to an anonymous temporary file and mapped back (copy-on-write).

    Values, dtypes and shapes unchanged; the pages of a file-backed map leave the resident set
    while nothing reads them (here: while Clarabel's KKT factorisation is in memory) and come
    back when read. Empty arrays stay as they are. Where the temporary directory cannot take
    them (full disk, no permission) they stay in memory: the same values, a higher peak.
    """
    arrays = [np.ascontiguousarray(a) for a in arrays]
    try:
        f = tempfile.TemporaryFile(prefix="fdn_alu_")
    except OSError:
        return arrays
    with f:
        offsets = []
        try:
            for a in arrays:
                offsets.append(f.tell())
                a.tofile(f)
            f.flush()
        except OSError:
            return arrays
        # copy-on-write: scipy may tidy an index in place; the file is never written back
        return [
            np.memmap(f, dtype=a.dtype, mode="c", offset=o, shape=a.shape) if a.size else a
            for a, o in zip(arrays, offsets, strict=True)
        ]


def _park_tensor(problem) -> None:
    """Store the cached tensor's arrays (:func:`_park`) once a large problem is compiled.

    The reduced tensor (``reduced_A``: the CSR map from Parameter values to the conic data
    and the data's CSC index) is read once per re-solve and never written; a re-solve maps the
    new Parameter values exactly as before, reading the pages back.
    """
    reduced = getattr(problem, "reduced_A", None)
    mat = getattr(reduced, "reduced_mat", None)
    if mat is None or not hasattr(mat, "indptr") or isinstance(mat.data, np.memmap):
        return
    index = reduced.problem_data_index
    arrays = [mat.data, mat.indices, mat.indptr]
    if index is not None:
        arrays += [index[0], index[1]]
    maps = _park(arrays)
    mat.data, mat.indices, mat.indptr = maps[0], maps[1], maps[2]
    if index is not None:
        reduced.problem_data_index = (maps[3], maps[4], index[2])


def _drop_canonical_forms(problem) -> None:
    """Release the canonical forms cvxpy cached on the compiled program's expressions.

    cvxpy caches each expression's canonical form (its linear operators, constants' data
    included) on the expression (``Canonical.canonical_form``, a lazy property stored as
    ``_lazy[_dpp]_canonical_form``) when the program is compiled; once the tensor is built only
    the tensor is read (a re-solve maps new Parameter values through it), and a new
    compilation builds the forms again. 29 MB at 3,361 buses x 96 periods (measured).
    """
    stack = list(getattr(problem, "constraints", None) or [])
    seen = set()
    while stack:
        expr = stack.pop()
        if id(expr) in seen:
            continue
        seen.add(id(expr))
        attrs = getattr(expr, "__dict__", {})
        for key in [k for k in attrs if k.startswith("_lazy") and k.endswith("canonical_form")]:
            del attrs[key]
        stack.extend(getattr(expr, "args", ()))


def _park_chain(chain: eliminate.Chain) -> None:
    """Store what expanding the solution needs (:func:`_park`): read once, after the solve."""
    for st in chain.stages:
        names = ("rows", "cols", "pivot", "b_pivot", "q_pivot")
        maps = _park(
            [getattr(st, k) for k in names]
            + [st.a_rw.data, st.a_rw.indices, st.a_rw.indptr]
            + [st.a_iv.data, st.a_iv.indices, st.a_iv.indptr]
        )
        for k, a in zip(names, maps[:5], strict=True):
            setattr(st, k, a)
        st.a_rw.data, st.a_rw.indices, st.a_rw.indptr = maps[5:8]
        st.a_iv.data, st.a_iv.indices, st.a_iv.indptr = maps[8:11]


def _libc():
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return lib if lib is not None and hasattr(lib, "malloc_trim") else None


_LIBC = _libc()


def trim_heap() -> None:
    """Return the C heap's free memory to the system (glibc ``malloc_trim``; else nothing).

    numpy's and scipy's freed work arrays can stay in the heap's arenas, counted in the resident
    set, while Clarabel (a separate allocation pattern) asks for fresh pages.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _drop_tensor(problem: ParamConeProg) -> None:
    """Release the compiled tensor of A once its reduced form is cached.

    cvxpy keeps the tensor twice: as compiled (``problem.A``, COO with int64 indices, also
    ``reduced_A.matrix_data``) and reduced to its non-zero rows (``reduced_A.reduced_mat``, CSR,
    with its row index), which is all that mapping new Parameter values uses
    (``ReducedMat.get_matrix_from_tensor``). The full copy serves only cvxpy's derivative
    (``Problem.backward``/``derivative``, ``requires_grad``), which the toolkit never uses: 43 MB
    of the 136 MB cvxpy holds after compiling 841 buses x 96 periods (measured, tracemalloc).
    """
    reduced = getattr(problem, "reduced_A", None)
    if reduced is None or getattr(reduced, "reduced_mat", None) is None:
        return
    reduced.matrix_data = None  # ReducedMat.cache returns early from now on: it is cached
    problem.A = None


def _row_permutation(
    problem: ParamConeProg, exp_cone_order, n_rows: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """cvxpy's row reordering of ``problem``'s constraints as (new row of each row, its sign).

    cvxpy's own method on a copy whose tensor is the n_rows x n_rows identity (no variable
    columns) returns the reordering matrix itself; None unless each row goes to exactly one
    row (then the matrix product is that scatter, duplicates summed by the sparse format).
    Zero, non-negative and second-order cones: written down directly (:mod:`.cone_rows`).
    """
    direct = cone_row_permutation(problem.constraints)
    if direct is not None and direct[0].size == n_rows:
        return direct
    probe = copy.copy(problem)
    probe.A = sp.eye_array(n_rows, format="csc")
    probe.x = types.SimpleNamespace(size=0)
    R = sp.csc_array(CLARABEL.format_constraints(probe, exp_cone_order).A)
    R.sum_duplicates()
    if R.shape != (n_rows, n_rows) or np.any(np.diff(R.indptr) != 1):
        return None
    return R.indices.astype(np.int64), R.data


CLARABEL_SOLVER = Clarabel()
# The cvxpy releases this module was written and tested against (the tensor's row layout and the
# ParamConeProg constructor are cvxpy internals). With any other release the solve layer keeps
# the unparametrised compilation (``ignore_dpp=True``) instead of relying on them.
TESTED_CVXPY = ("1.9.",)
PARAMETRISED = cp.__version__.startswith(TESTED_CVXPY)
