"""Problem recipe: the blocks of the components present, tied together by the DistFlow node
balance, under the objective (12).

min F = C_tr + C_MT + C_l + C_C + C_Al + C_ESOP  (eq. 12), with the carbon cost C_C (16) left
out of the objective in scenario 1 and reported ex post.

Under consumption-based carbon accounting (``[grid] carbon_accounting = "consumption"``) the
carbon cost in the objective prices the carbon the flow carries to the charged consumers,
sum_t ci_b(t) P_b(t) dt plus their own direct emissions, with the nodal intensities ci_b held
in a Parameter that the solve layer updates from the carbon flow between solves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from fdn_alu.components.registry import BY_NAME
from fdn_alu.model.block import Block, flat_constraints, objective_scale
from fdn_alu.model.distflow import distflow_block

# Initial weight of the proximal terms of consumption accounting (sqrt of currency/(MW^2 h)):
# small but not 0, since a zero weight makes the cone degenerate and Clarabel then stops at
# "almost solved" (measured on ieee15); 1e-3 pulls a draw toward 0 at 1e-6 currency/(MW^2 h).
PROX_W0 = 1e-3


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
    intensity : list of (cp.Parameter (T, k), ndarray (k,))
        Parameters holding nodal carbon intensities (kg/MWh) at bus positions, set by the
        solve layer from the carbon flow (consumption accounting, footprint limits).
    charged_t : cp.Expression or None
        Carbon charged to the consumers under consumption accounting (t CO2).
    intensity_history : list of float
        Relative change of the intensities per iteration of the sequence (solve layer).
    proximal : list of (cp.Parameter, cp.Parameter, cp.Expression)
        Proximal terms of the intensity sequence, ``sum_squares(w * draw - c)`` with the
        weight ``w`` (sqrt of rho dt) and ``c = w * draw_prev`` set by the solve layer: they keep
        the charged draws near the last iterate and vanish at the fixed point.
    proximal_started : bool
        Whether the proximal terms hold a previous iterate (set by the solve layer).
    charge : Charge or None
        The consumption-based charge (its parameters and draws), None under direct accounting.
    objective_costs : tuple of str
        The keys of ``costs`` the objective sums (``carbon`` only when it is priced directly).
    objective_other : cp.Expression or None
        Money in the objective besides those terms (the priced consumption charge, the
        proximal terms); None when there is none.
    """

    data: Any
    blocks: dict[str, Block]
    problem: cp.Problem
    costs: dict[str, cp.Expression]
    emissions_t: dict[str, cp.Expression]
    build_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    relax_integers: bool = True
    intensity: list = field(default_factory=list)
    charged_t: Any = None
    intensity_history: list = field(default_factory=list)
    proximal: list = field(default_factory=list)
    proximal_started: bool = False
    charge: Any = None
    objective_costs: tuple[str, ...] = ()
    objective_other: Any = None


def component_blocks(data, relax_integers: bool = True) -> list[Block]:
    """The model block of every device component present in ``data`` (model order); coupled
    components are built later by :func:`coupling_blocks`."""
    return [
        BY_NAME[name].block(cdata, data, relax_integers)
        for name, cdata in data.components.items()
        if not BY_NAME[name].coupled
    ]


def coupling_blocks(data, blocks: list[Block]) -> list[Block]:
    """Blocks of the coupled components, built from every block so far (devices and network)
    and every device's offers (:meth:`~fdn_alu.components.base.Component.reserve_offers`).

    Coupled blocks hold capacity, not energy: they add constraints, costs and emissions but no
    bus injection.
    """
    coupled = [n for n in data.components if BY_NAME[n].coupled]
    if not coupled:
        return []
    by_name = {b.name: b for b in blocks}
    offers = [
        offer
        for name, cdata in data.components.items()
        if name in by_name
        for offer in BY_NAME[name].reserve_offers(by_name[name], cdata, data)
    ]
    out = [BY_NAME[n].coupling_block(data.components[n], data, by_name, offers) for n in coupled]
    assert all(b.p_bus is None and b.q_bus is None for b in out), "coupled blocks inject nothing"
    return out


def objective(data, blocks: list[Block], charged_t=None) -> tuple[cp.Minimize, dict, dict]:
    """The objective (12) over some blocks, and every cost and emission term.

    The carbon cost (16) prices the blocks' direct emissions (``costs["carbon"]``, reported in
    every scenario); it is left out of the objective when the scenario reports it ex post.
    With ``charged_t`` (consumption accounting) the objective prices that carbon instead.
    """
    costs: dict[str, cp.Expression] = {}
    emissions: dict[str, cp.Expression] = {}
    for b in blocks:
        costs.update(b.costs)
        emissions.update(b.emissions_t)
    if emissions:
        costs["carbon"] = data.carbon_price_per_t * cp.sum(cp.hstack(list(emissions.values())))
    in_objective = [v for k, v in costs.items() if k != "carbon"]
    if data.carbon_in_objective and charged_t is not None:
        in_objective.append(data.carbon_price_per_t * charged_t)
    elif data.carbon_in_objective and "carbon" in costs:
        in_objective.append(costs["carbon"])
    return cp.Minimize(objective_scale(data) * cp.sum(cp.hstack(in_objective))), costs, emissions


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
    blocks += coupling_blocks(data, blocks)
    intensity = [
        pair
        for name, cdata in data.components.items()
        for pair in BY_NAME[name].intensity_parameters(blocks_of(blocks, name), cdata, data)
    ]
    charge = None
    if getattr(data, "carbon_accounting", "direct") == "consumption":
        charge = consumption_charge(data, blocks)
        intensity.append((charge.ci, np.arange(data.net.n_bus)))
    obj, costs, emissions = objective(data, blocks, charge.priced_t if charge else None)
    # What the objective holds besides its named cost terms (money): the priced consumption
    # charge and the proximal terms (the costs reconciliation check adds them back).
    other = []
    if data.carbon_in_objective and charge is not None:
        other.append(data.carbon_price_per_t * charge.priced_t)
    proximal = charge.proximal if charge else []
    if proximal:
        prox = cp.sum(cp.hstack([cp.sum_squares(cp.multiply(w, d) - c) for w, c, d in proximal]))
        obj = cp.Minimize(obj.args[0] + objective_scale(data) * prox)
        other.append(prox)
    in_objective = tuple(
        k for k in costs if k != "carbon" or (data.carbon_in_objective and charge is None)
    )
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
        intensity=intensity,
        charged_t=charge.charged_t if charge else None,
        proximal=proximal,
        charge=charge,
        objective_costs=in_objective,
        objective_other=cp.sum(cp.hstack(other)) if other else None,
    )


def blocks_of(blocks: list[Block], name: str) -> Block:
    """The block called ``name``."""
    return next(b for b in blocks if b.name == name)


@dataclass
class Charge:
    """Consumption-based carbon charge of a model (see :func:`consumption_charge`).

    Attributes
    ----------
    ci, mc : cp.Parameter (T, n_bus)
        Average and marginal nodal intensities (kg/MWh), set by the solve layer.
    charged_t : cp.Expression
        The charge at the average intensities (t CO2): what the consumers are billed.
    priced_t : cp.Expression
        The charge's first-order model at the last iterate, priced in the objective (t CO2 plus
        a constant): the draws at their marginal intensities.
    proximal : list
        See ``Model.proximal``.
    draws : list of (ndarray (k,), cp.Expression (T, k))
        The charged draws (bus positions, MW); fixed loads are added when all are charged.
    """

    ci: cp.Parameter
    mc: cp.Parameter
    charged_t: cp.Expression
    priced_t: cp.Expression
    proximal: list
    draws: list


def consumption_charge(data, blocks: list[Block]) -> Charge:
    """Carbon charged to consumers under consumption-based accounting (t CO2).

    sum_t sum_b ci_b(t) P_b(t) dt / 1000 over the charged components' draws (their
    :meth:`~fdn_alu.components.base.Component.charged_draw`), plus their own direct emissions;
    with ``carbon_charged = "all"`` also every fixed load at its bus. ``ci`` is a Parameter
    (T, n_bus) in kg/MWh: fixed within a solve, moved to the carbon flow's intensities by the
    solve layer between solves. The objective prices the same draws at ``mc``, the marginal
    intensities (the charge's gradient at the last iterate, which includes how a draw raises
    the intensity of every charged draw), so that the sequence's fixed point is a stationary
    point of the charge, not only a price-taker equilibrium. Each charged draw also gets a
    proximal term (weight ``PROX_W0`` until the solve layer sets it, see ``Model.proximal``).
    """
    T, n = data.periods, data.net.n_bus
    ci = cp.Parameter((T, n), nonneg=True, name="bus_ci_kg_per_mwh", value=np.zeros((T, n)))
    mc = cp.Parameter((T, n), name="bus_marginal_ci_kg_per_mwh", value=np.zeros((T, n)))
    every = data.carbon_charged == "all"
    terms, priced, proximal, draws = [], [], [], []
    for name, cdata in data.components.items():
        if not every and name != data.carbon_charged:
            continue
        blk = blocks_of(blocks, name)
        draw = BY_NAME[name].charged_draw(blk, cdata, data)
        if draw is None:
            continue
        bus, p_mw = draw
        w = cp.Parameter(nonneg=True, name=f"{name}_prox_w", value=PROX_W0)
        c = cp.Parameter(p_mw.shape, name=f"{name}_prox_c", value=np.zeros(p_mw.shape))
        proximal.append((w, c, p_mw))
        cols = np.asarray(bus, dtype=int)
        draws.append((cols, p_mw))
        own = [1000.0 / data.dt_h * e for e in blk.emissions_t.values()]
        terms += [cp.sum(cp.multiply(ci[:, cols], p_mw)), *own]
        priced += [cp.sum(cp.multiply(mc[:, cols], p_mw)), *own]
    if every:
        load_mw = data.p_load_pu * data.base_mva
        draws.append((np.arange(n), cp.Constant(load_mw)))
        terms.append(cp.sum(cp.multiply(ci, load_mw)))
        priced.append(cp.sum(cp.multiply(mc, load_mw)))

    def tonnes(parts):
        return (cp.sum(cp.hstack(parts)) if parts else cp.Constant(0.0)) * data.dt_h / 1000.0

    return Charge(ci, mc, tonnes(terms), tonnes(priced), proximal, draws)
