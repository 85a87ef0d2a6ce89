"""Optimisation model: one module per component, each returning a :class:`Block`.

A block holds the component's variables, its constraint families (one vectorised cvxpy
constraint per family, over all periods and elements), its injections into the AC network's
buses, its cost terms and its direct emissions. ``recipe.build_model`` picks the blocks a
scenario needs and ties them together through the DistFlow node balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import scipy.sparse as sp


@dataclass
class Block:
    """What one component contributes to the model.

    Attributes
    ----------
    name : str
    variables : dict of str -> cp.Variable
    constraints : dict of str -> cp.Constraint
        One entry per constraint family (e.g. ``"voltage_drop"``), vectorised.
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


def to_buses(values: cp.Expression, bus: np.ndarray, n_bus: int) -> cp.Expression:
    """Place a (T, k) device quantity onto (T, n_bus) buses: ``values @ M``, M sparse (k, n)."""
    k = len(bus)
    m = sp.csr_matrix((np.ones(k), (np.arange(k), np.asarray(bus, dtype=int))), shape=(k, n_bus))
    return values @ m
