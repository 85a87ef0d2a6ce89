"""Solved model -> plain numeric arrays in engineering units (MW, Mvar, MWh, pu).

Everything downstream (carbon flow, checks, tables, figures) reads a :class:`Solution`, never
the cvxpy objects, so those modules can be tested on hand-made solutions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fdn_alu.components.registry import BY_NAME
from fdn_alu.model.recipe import Model, objective_scale


@dataclass(frozen=True)
class Solution:
    """Dispatch of one run. Powers in MW / Mvar, arrays (T, n); model branch orientation.

    Attributes
    ----------
    p_branch_mw, q_branch_mvar : ndarray (T, m)
        Sending-end flows, parent -> child.
    l_pu : ndarray (T, m)
        Squared current magnitude (pu).
    loss_mw : ndarray (T, m)
        ``r l`` in MW.
    u_pu : ndarray (T, n)
        Squared voltage magnitude.
    p_net_mw, q_net_mvar : ndarray (T, n)
        Net injection into the AC network per bus (generation minus consumption).
    costs : dict of str -> float
    emissions_t : dict of str -> float
    objective : float
    objective_costs : tuple of str
        Keys of ``costs`` the objective sums.
    objective_other : float
        Money in the objective besides those terms (priced consumption charge, proximal
        terms); 0 under direct accounting.
    parts : dict of str -> dict of str -> ndarray
        Each component's solved arrays; :meth:`part` reads one (empty when absent) and
        :meth:`value` one array of any part (``sol.value("p_grid_mw")``).
    """

    p_branch_mw: np.ndarray
    q_branch_mvar: np.ndarray
    l_pu: np.ndarray
    loss_mw: np.ndarray
    u_pu: np.ndarray
    p_net_mw: np.ndarray
    q_net_mvar: np.ndarray
    costs: dict[str, float]
    emissions_t: dict[str, float]
    objective: float
    parts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    objective_costs: tuple[str, ...] = ()
    objective_other: float = 0.0

    @property
    def vm_pu(self) -> np.ndarray:
        return np.sqrt(np.clip(self.u_pu, 0.0, None))

    def part(self, name: str) -> dict[str, np.ndarray]:
        """The solved arrays of the component ``name``: empty when it is registered but absent
        from this run; a name no component has (a typo) raises KeyError."""
        if name in self.parts:
            return self.parts[name]
        if name in BY_NAME:
            return {}
        raise KeyError(f"no component {name!r} (registered: {', '.join(BY_NAME)})")

    def value(self, key: str) -> np.ndarray:
        """The solved array ``key`` of whichever component holds it (e.g. ``"p_grid_mw"``);
        a key no part has raises KeyError."""
        for part in self.parts.values():
            if key in part:
                return part[key]
        raise KeyError(f"no solved array {key!r} in any component's part")


def extract_solution(model: Model) -> Solution:
    """Read the solved values out of ``model`` into a :class:`Solution`."""
    data = model.data
    base = data.base_mva
    b = model.blocks
    dist = b["distflow"].variables
    T, n = data.periods, data.net.n_bus
    p_net = -data.p_load_pu.copy()
    q_net = -data.q_load_pu.copy()
    for blk in b.values():
        if blk.p_bus is not None:
            p_net = p_net + np.asarray(blk.p_bus.value).reshape(T, n)
        if blk.q_bus is not None:
            q_net = q_net + np.asarray(blk.q_bus.value).reshape(T, n)
    l = np.asarray(dist["l"].value)
    parts = {
        name: BY_NAME[name].solution(b[name], cdata, data)
        for name, cdata in data.components.items()
    }
    return Solution(
        p_branch_mw=np.asarray(dist["p"].value) * base,
        q_branch_mvar=np.asarray(dist["q"].value) * base,
        l_pu=l,
        loss_mw=l * data.net.r_pu[None, :] * base,
        u_pu=np.asarray(dist["u"].value),
        p_net_mw=p_net * base,
        q_net_mvar=q_net * base,
        costs={key: float(v.value) for key, v in model.costs.items()},
        emissions_t={key: float(v.value) for key, v in model.emissions_t.items()},
        objective=float(model.problem.value) / objective_scale(data),
        parts=parts,
        objective_costs=tuple(model.objective_costs),
        objective_other=(
            float(model.objective_other.value) if model.objective_other is not None else 0.0
        ),
    )
