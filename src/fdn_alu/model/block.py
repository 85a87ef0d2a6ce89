"""What a component contributes to the optimisation model: a :class:`Block`, and the
vectorised helpers every model block uses (bus placement, one-period lag).

A block holds the component's variables, its constraint families (one vectorised cvxpy
constraint per family, over all periods and elements, named ``"{component}-{family}"``), its
injections into the AC network's buses, its cost terms and its direct emissions.
``model.recipe.build_model`` ties the blocks of the components present together through the
DistFlow node balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

# Objective scaling (objective units per unit of money). Our choice, tuned with the Clarabel
# tolerances in solve/solver.py: on ieee15/ieee85 at 24 and 96 periods (scenario 3) it keeps
# the SOC gap of lightly loaded branches (whose loss cost is tiny) at <= 2e-7 at unchanged
# solve time, where a scale of 1e-3 left gaps of ~1e-5 on them. Results are reported unscaled;
# duals divided by it are prices in money.
OBJECTIVE_SCALE = 10.0


@dataclass
class Block:
    """What one component contributes to the model.

    Attributes
    ----------
    name : str
    variables : dict of str -> cp.Variable
    constraints : dict of str -> cp.Constraint
        One entry per constraint family, vectorised; keys are stored as
        ``"{component}-{family}"`` (e.g. ``"distflow-voltage_drop"``).
    p_bus, q_bus : cp.Expression or None
        Active / reactive injection into the AC network, (T, n_bus) in pu.
    costs : dict of str -> cp.Expression
        Scalar costs in the case currency, keyed by the RESULTS.md cost names.
    emissions_t : dict of str -> cp.Expression
        Scalar direct emissions in t CO2.
    parameters : dict of str -> cp.Parameter
        Data that can change between re-solves without rebuilding.
    expressions : dict of str -> cp.Expression
        Physical quantities defined from scaled variables (e.g. current in kA).
    info : dict
        Plain (non-cvxpy) facts the block was built with that its post stage needs (e.g. which
        providers a coupling block allocated).
    """

    name: str
    variables: dict[str, cp.Variable] = field(default_factory=dict)
    constraints: dict[str, cp.Constraint] = field(default_factory=dict)
    p_bus: cp.Expression | None = None
    q_bus: cp.Expression | None = None
    costs: dict[str, cp.Expression] = field(default_factory=dict)
    emissions_t: dict[str, cp.Expression] = field(default_factory=dict)
    parameters: dict[str, cp.Parameter] = field(default_factory=dict)
    expressions: dict[str, cp.Expression] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Constraint families are named "{component}-{family}" everywhere (reports, lookups).
        self.constraints = {
            (k if k.startswith(f"{self.name}-") else f"{self.name}-{k}"): v
            for k, v in self.constraints.items()
        }


def to_buses(values: cp.Expression, bus: np.ndarray, n_bus: int) -> cp.Expression:
    """Place a (T, k) device quantity onto (T, n_bus) buses: ``values @ M``, M sparse (k, n)."""
    k = len(bus)
    m = sp.csr_matrix((np.ones(k), (np.arange(k), np.asarray(bus, dtype=int))), shape=(k, n_bus))
    return values @ m


def lagged(x: cp.Expression, first: np.ndarray) -> cp.Expression:
    """``x`` shifted one period later along axis 0, with ``first`` as the value before period 0.

    For (T,) or (T, k) expressions; ``first`` is a scalar-like array of shape () / (1,) or
    (1, k). Time coupling as one slice, e.g. ``E == lagged(E, E0) + ...``.
    """
    first = np.asarray(first, dtype=float)
    if x.shape[0] == 1:
        return first.reshape(x.shape) if first.size == x.size else first
    if x.ndim == 1:
        return cp.hstack([first.reshape(1), x[:-1]])
    return cp.vstack([first.reshape(1, -1), x[:-1, :]])


def flat_constraints(blocks) -> list[cp.Constraint]:
    """All constraints of some blocks as one list (a family may hold a list of constraints)."""
    out: list[cp.Constraint] = []
    for b in blocks:
        for c in b.constraints.values():
            out.extend(c if isinstance(c, list) else [c])
    return out


def objective_scale(data) -> float:
    """Objective units per unit of money: ``OBJECTIVE_SCALE`` per MVA of the power base.

    Costs grow with the feeder's size; dividing by the base (which follows the size, see
    ``network.feeder_base_mva``) gives the solver the same objective magnitude, and so the same
    effective tolerances, on a 5 kW street as on a 50 MW trunk. On a 1 MVA base (the IEEE
    cases) it is ``OBJECTIVE_SCALE`` itself.
    """
    return OBJECTIVE_SCALE / data.base_mva
