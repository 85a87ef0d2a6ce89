"""Problem recipe: the blocks of the components present, tied together by the DistFlow node
balance, under the objective (12).

min F = C_tr + C_MT + C_l + C_C + C_Al + C_ESOP  (eq. 12), with the carbon cost C_C (16) left
out of the objective in scenario 1 and reported ex post.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp

from ..components.registry import BY_NAME
from .block import Block, flat_constraints
from .distflow import distflow_block

# Objective scaling (objective units per unit of money). Our choice, tuned with the Clarabel
# tolerances in solve/solver.py: on ieee15/ieee85 at 24 and 96 periods (scenario 3) it keeps
# the SOC gap of lightly loaded branches (whose loss cost is tiny) at <= 2e-7
# (benchmarks/results.md) at unchanged solve time, where a scale of 1e-3 left gaps of ~1e-5 on
# them. Results are reported unscaled.
OBJECTIVE_SCALE = 10.0


def objective_scale(data) -> float:
    """Objective units per unit of money: ``OBJECTIVE_SCALE`` per MVA of the power base.

    Costs grow with the feeder's size; dividing by the base (which follows the size, see
    ``network.feeder_base_mva``) gives the solver the same objective magnitude, and so the same
    effective tolerances, on a 5 kW street as on a 50 MW trunk. On a 1 MVA base (the IEEE
    cases) it is ``OBJECTIVE_SCALE`` itself.
    """
    return OBJECTIVE_SCALE / data.base_mva


@dataclass
class Model:
    """A built dispatch problem.

    Attributes
    ----------
    data : ModelData
    blocks : dict of str -> Block
        One per component present, then ``distflow``.
    problem : cp.Problem
    costs : dict of str -> cp.Expression
        Every cost term (money), carbon included, whether or not it is in the objective.
    emissions_t : dict of str -> cp.Expression
    build_s : float
        Wall time spent building the cvxpy expressions.
    relax_integers : bool
        Whether the components' binaries are relaxed (conic solvers).
    """

    data: Any
    blocks: dict[str, Block]
    problem: cp.Problem
    costs: dict[str, cp.Expression]
    emissions_t: dict[str, cp.Expression]
    build_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    relax_integers: bool = True

    def var(self, block: str, name: str):
        """Solved value of a variable (numpy array)."""
        return self.blocks[block].variables[name].value


def component_blocks(data, relax_integers: bool = True) -> list[Block]:
    """The model block of every component present in ``data`` (model order)."""
    return [
        BY_NAME[name].block(cdata, data, relax_integers) for name, cdata in data.components.items()
    ]


def objective(data, blocks: list[Block]) -> tuple[cp.Minimize, dict, dict]:
    """The objective (12) over some blocks, and every cost and emission term.

    The carbon cost (16) prices the blocks' direct emissions; it is left out of the objective
    when the scenario reports it ex post.
    """
    costs: dict[str, cp.Expression] = {}
    emissions: dict[str, cp.Expression] = {}
    for b in blocks:
        costs.update(b.costs)
        emissions.update(b.emissions_t)
    if emissions:
        costs["carbon"] = data.carbon_price_per_t * cp.sum(cp.hstack(list(emissions.values())))
    in_objective = [v for k, v in costs.items() if k != "carbon" or data.carbon_in_objective]
    scale = objective_scale(data)
    return cp.Minimize(scale * cp.sum(cp.hstack(in_objective))), costs, emissions


def build_model(data, soft_limits: bool = False, relax_integers: bool = True) -> Model:
    """Build the multi-period dispatch problem for ``data.scenario``.

    Parameters
    ----------
    data : ModelData
    soft_limits : bool
        Penalised slacks on voltage and current limits (infeasibility diagnosis).
    relax_integers : bool
        True for continuous (conic) solvers: operating-state binaries are relaxed to [0, 1].
        False keeps them boolean for MIP-capable solvers.
    """
    t0 = time.perf_counter()
    blocks = component_blocks(data, relax_integers)
    p_inj = -data.p_load_pu
    q_inj = -data.q_load_pu
    for b in blocks:
        if b.p_bus is not None:
            p_inj = p_inj + b.p_bus
        if b.q_bus is not None:
            q_inj = q_inj + b.q_bus
    blocks.append(distflow_block(data, p_inj, q_inj, soft_limits=soft_limits))
    obj, costs, emissions = objective(data, blocks)
    problem = cp.Problem(obj, flat_constraints(blocks))
    by_name = {b.name: b for b in blocks}
    return Model(
        data,
        by_name,
        problem,
        costs,
        emissions,
        time.perf_counter() - t0,
        relax_integers=relax_integers,
    )
