"""Infeasibility diagnosis: re-solve with penalised slacks on the network limits and name the
buses, branches and periods that needed them; when that is infeasible too, test whether the
feeder can carry its fixed loads at all (from an unlimited root, limits relaxed)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fdn_alu.errors import InfeasibleError, SolveError
from fdn_alu.model.block import flat_constraints, to_buses
from fdn_alu.model.distflow import distflow_block
from fdn_alu.model.recipe import Model, build_model, objective
from fdn_alu.solve.solver import solve_model

# A threshold on limit slack (pu) under which a diagnostic slack counts as zero.
SLACK_TOL = 1e-6
# Elements named per limit family in a message; the rest are counted (our choice: the few that
# bind hardest say what to change; a long list hides them).
SHOWN_PER_FAMILY = 5


def diagnose_infeasibility(data, solver: str = "clarabel") -> list[str]:
    """Re-solve with penalised slacks on voltage and current limits; list what needed them.

    Returns
    -------
    list of str
        One line per limit family and element: which buses / branches, in which periods, by
        how much; within a family the largest relaxation first. Empty when the soft problem is
        also infeasible (the cause is elsewhere). :func:`summarise` shortens it for a message.
    """
    model = build_model(data, soft_limits=True)
    try:
        solve_model(model, solver)
    except (InfeasibleError, SolveError):  # no (usable) soft solution: the cause is elsewhere
        return []
    net = data.net
    others = np.setdiff1d(np.arange(net.n_bus), net.roots)
    limited = np.flatnonzero(np.isfinite(net.i_max_pu))
    v = model.blocks["distflow"].variables
    found = []
    for key, label, ids, what in (
        ("slack_vmin", "minimum voltage", net.bus_ids[others], "bus"),
        ("slack_vmax", "maximum voltage", net.bus_ids[others], "bus"),
        ("slack_imax", "branch current limit", _branch_names(net)[limited], "branch"),
    ):
        s = v[key].value
        if s is None or s.size == 0:
            continue
        cols = np.flatnonzero((s > SLACK_TOL).any(axis=0))
        for col in cols[np.argsort(-s[:, cols].max(axis=0), kind="stable")]:
            periods = np.flatnonzero(s[:, col] > SLACK_TOL)
            found.append(
                f"{label} at {what} {ids[col]}: needs relaxing by up to "
                f"{s[:, col].max():.4g} pu² in period(s) {_ranges(periods)}"
            )
    return found


def summarise(found: list[str], shown: int = SHOWN_PER_FAMILY) -> list[str]:
    """The lines of :func:`diagnose_infeasibility` for a message: per limit family the
    ``shown`` largest relaxations, then one line counting the rest."""
    families: dict[str, list[str]] = {}
    for line in found:
        families.setdefault(line.split(" at ", 1)[0], []).append(line)
    out = []
    for family, lines in families.items():
        out += lines[:shown]
        if len(lines) > shown:
            what = lines[shown].split(" at ", 1)[1].split(" ", 1)[0]
            out.append(f"{family}: {len(lines) - shown} more {what}es, each needing less")
    return out


def loads_servable(data, solver: str = "clarabel") -> bool:
    """Whether the feeder can carry its fixed loads with no device at all: the root supplies
    whatever it takes (no import limit, either sign) and the voltage and current limits have
    penalised slacks. False means the loads cannot be served by this network (its impedances
    cannot carry the demand: past its maximum loadability), whatever the devices do.
    """
    T, n = data.periods, data.net.n_bus
    root = data.net.roots
    p0 = cp.Variable((T, len(root)), name="root_p")
    q0 = cp.Variable((T, len(root)), name="root_q")
    p_inj = to_buses(p0, root, n) - data.p_load_pu
    q_inj = to_buses(q0, root, n) - data.q_load_pu
    dist = distflow_block(data, p_inj, q_inj, soft_limits=True)
    obj, costs, emissions = objective(data, [dist])
    problem = cp.Problem(obj, flat_constraints([dist]))
    model = Model(data, {"distflow": dist}, problem, costs, emissions)
    try:
        solve_model(model, solver if solver in ("clarabel", "mosek") else "clarabel")
    except InfeasibleError:
        return False
    except SolveError:  # undecided: do not claim the loads cannot be served
        return True
    return True


def _branch_names(net) -> np.ndarray:
    """Branch labels: the line label, or '0 (trafo)' / '5 (switch)' for the other tables."""
    ids = net.branch_ids.astype(str)
    kind = net.branch_kind.astype(str)
    return np.where(
        kind == "line", ids, np.char.add(np.char.add(ids, " ("), np.char.add(kind, ")"))
    )


def _ranges(idx: np.ndarray) -> str:
    """Compress [0,1,2,5] into '0-2, 5'."""
    if len(idx) == 0:
        return ""
    parts, start, prev = [], idx[0], idx[0]
    for i in idx[1:]:
        if i != prev + 1:
            parts.append(f"{start}-{prev}" if prev > start else f"{start}")
            start = i
        prev = i
    parts.append(f"{start}-{prev}" if prev > start else f"{start}")
    return ", ".join(parts)
