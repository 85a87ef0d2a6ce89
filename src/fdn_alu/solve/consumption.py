"""Consumption-based carbon inside the dispatch: the intensity sequence.

The carbon a consumer is charged under consumption accounting, sum_t ci_b(t) P_b(t) dt, is
not convex: the nodal intensities ci_b come from the carbon emission flow (proportional
sharing, :mod:`fdn_alu.analysis.carbon`),
which depends on the flows being decided. The model holds the
intensities in cvxpy Parameters (``Model.intensity``); this module makes them a
:class:`~fdn_alu.components.base.Relinearisation` so that :func:`solve_sequential` re-solves
with the intensities fixed at the last iterate, computes the carbon flow of the new dispatch
(post-processing, the same function every run reports), and repeats until the intensities
change by less than ``INTENSITY_TOL`` relative to the feeder's largest intensity.

With the intensities fixed, a charged draw's carbon is linear, so a draw can jump from one
bound to the other between iterates (and the intensities with it). A proximal term
rho (P - P_prev)^2 dt on the charged draws (``Model.proximal``) keeps each iterate near the
last; rho starts at the carbon price times the largest intensity per MW of the feeder's base
and then follows a secant estimate of the iteration's gain from successive steps (see
``RHO_MARGIN``). At the fixed point P = P_prev and the term vanishes.

The objective prices the charged draws at their *marginal* intensities
(:func:`fdn_alu.analysis.carbon.marginal_intensity`:
the charge's gradient at the last iterate, through
an adjoint of the carbon flow's linear system), while the bill and any footprint limit use the
average intensities. At the fixed point the draws are therefore stationary for the true,
non-convex charge (with the other injections held and the margin supplied from the root), not
only a price-taker equilibrium; docs/CARBON.md checks it against the brute-force optimum of a
3-bus feeder.
"""

from __future__ import annotations

import numpy as np

from fdn_alu.analysis.carbon import carbon_flow, carbon_network, marginal_intensity
from fdn_alu.components.sequence import Relinearisation
from fdn_alu.core.network import path_matrix
from fdn_alu.core.solution import extract_solution
from fdn_alu.model.recipe import Model

# Stop when no intensity changed by more than this, relative to the largest intensity
# (the brief's 1e-6; at 500-700 kg/MWh it is below 1e-3 kg/MWh).
INTENSITY_TOL = 1e-6
# Secant adaptation of the proximal weight rho (our choice): from the ratio q of successive
# draw steps, the iteration's own gain is rho (1 - q) when the steps keep their direction and
# rho (1 + q) when they reverse; rho is set to RHO_MARGIN times it (slightly over-damped),
# at most halved per step, within RHO_RANGE times the first weight either way.
RHO_MARGIN = 1.2
RHO_RANGE = 256.0


def root_intensity(data) -> np.ndarray:
    """Intensity (T,) of the source at the root (the component with ``price_per_mwh`` and
    ``ci_kg_per_mwh`` arrays), the sequence's first guess at every bus."""
    for cdata in data.components.values():
        if hasattr(cdata, "price_per_mwh") and hasattr(cdata, "ci_kg_per_mwh"):
            return np.asarray(cdata.ci_kg_per_mwh, dtype=float)
    return np.zeros(data.periods)


def _draw_step(model: Model) -> np.ndarray | None:
    """The charged draws' step since the last iterate, flattened (None while the proximal
    terms are off)."""
    steps = []
    if not model.proximal_started:
        return None
    for w, c, draw in model.proximal:
        steps.append((np.asarray(draw.value) - np.asarray(c.value) / w.value).ravel())
    return np.concatenate(steps) if steps else None


def _draw_change(model: Model) -> float:
    """Largest change of a charged draw since the last iterate (MW per MW of the feeder's
    base); 0 before the first update. The sequence stops only at a fixed point of the draws
    too (where the proximal terms vanish)."""
    out = 0.0
    for w, c, draw in model.proximal:
        if model.proximal_started:
            prev = np.asarray(c.value) / w.value
            out = max(out, float(np.max(np.abs(np.asarray(draw.value) - prev))))
    return out / model.data.base_mva


def rho_start(data) -> float:
    """First proximal weight (currency / (MW^2 h)): the carbon price times the largest root
    intensity, per MW of the feeder's base (our choice: the scale at which a change of the
    intensities by their own size moves a draw by about the base)."""
    ci_max = float(np.max(root_intensity(data), initial=0.0))
    return max(data.carbon_price_per_t * ci_max / 1000.0 / data.base_mva, 1e-9)


def node_intensities(model: Model) -> np.ndarray:
    """Nodal intensities (T, n_bus) in kg/MWh of the model's current solution (carbon flow)."""
    return _flow(model)[1][:, : model.data.net.n_bus]


def _flow(model: Model):
    """The carbon network of the model's current solution and its nodal intensities (T, N)."""
    cn, _ = carbon_network(model.data, extract_solution(model))
    return cn, carbon_flow(cn).node_ci


def charged_weights(model: Model) -> np.ndarray:
    """The charged draws of the current solution at each AC bus, MW (T, n_bus)."""
    data = model.data
    out = np.zeros((data.periods, data.net.n_bus))
    for cols, p_mw in model.charge.draws:
        np.add.at(out.T, cols, np.asarray(p_mw.value, dtype=float).reshape(data.periods, -1).T)
    return out


def _set(model: Model, ci: np.ndarray) -> None:
    for param, buses in model.intensity:
        param.value = np.clip(ci[:, np.asarray(buses, dtype=int)], 0.0, None).reshape(param.shape)


def _current(model: Model) -> np.ndarray:
    """The intensities the parameters hold, as a (T, n_bus) array (NaN where none)."""
    data = model.data
    out = np.full((data.periods, data.net.n_bus), np.nan)
    for param, buses in model.intensity:
        out[:, np.asarray(buses, dtype=int)] = np.asarray(param.value).reshape(data.periods, -1)
    return out


def intensity_sequence(model: Model) -> Relinearisation | None:
    """The intensity fixed-point iteration as a :class:`Relinearisation` (None when the model
    has no intensity parameter).

    ``error`` is max |ci_new - ci_held| / max(ci_new) over the buses with a parameter, after
    computing the carbon flow of the current solution (and at least the change of the charged
    draws per MW of the feeder's base, see :func:`_draw_change`); it is appended to
    ``model.intensity_history``. ``update`` moves the parameters to the new intensities (the
    full step), the marginal intensities of the objective to the adjoint's values at the current
    solution, and the proximal terms to the current draws. The first solve holds the
    intensities at 0 (the parameters' initial value): the first dispatch then ignores the
    network carbon it is charged for, and every limit priced at the intensities is feasible
    when the dispatch without it is (a first guess at the root's intensity would overstate the
    intensity of buses fed by PV and can make a footprint limit look infeasible).
    """
    if not model.intensity:
        return None
    data = model.data
    rho0 = rho_start(data)
    state = {"new": None, "rho": rho0, "step": None, "flow": None}
    path = path_matrix(data.net) if model.charge is not None else None

    def error() -> float:
        cn, node_ci = _flow(model)
        state["flow"] = (cn, node_ci)
        new = node_ci[:, : data.net.n_bus]
        held = _current(model)
        mask = ~np.isnan(held)
        scale = max(float(np.max(np.abs(new))), 1e-9)
        err = float(np.max(np.abs(new - np.nan_to_num(held))[mask]) / scale) if mask.any() else 0
        err = max(err, _draw_change(model))
        state["new"] = new
        model.intensity_history.append(err)
        return err

    def update() -> None:
        step = _draw_step(model)
        last = state["step"]
        if step is not None and last is not None:
            n0, n1 = float(np.linalg.norm(last)), float(np.linalg.norm(step))
            if n0 > 0 and n1 > 0:
                q = n1 / n0
                gain = state["rho"] * (1.0 - q if float(step @ last) > 0 else 1.0 + q)
                rho = max(RHO_MARGIN * gain, state["rho"] / 2.0)  # at most halved per step
                state["rho"] = float(np.clip(rho, rho0 / RHO_RANGE, rho0 * RHO_RANGE))
        state["step"] = step
        _set(model, state["new"])
        if model.charge is not None:
            cn, node_ci = state["flow"]
            model.charge.mc.value = marginal_intensity(
                cn,
                node_ci,
                charged_weights(model),
                path,
                data.net.roots[data.net.root_of()],
                root_intensity(data),
            )
        w = float(np.sqrt(state["rho"] * data.dt_h))
        for wp, cp_, draw in model.proximal:
            wp.value = w
            cp_.value = w * np.asarray(draw.value)
        model.proximal_started = bool(model.proximal)

    def point() -> np.ndarray:
        return node_intensities(model)

    return Relinearisation(
        "carbon intensities",
        INTENSITY_TOL,
        error,
        update,
        point,
        lambda ci: _set(model, ci),
        "the intensities stopped changing above the tolerance (a cycle between dispatches)",
    )
