"""Exactness checks of a dispatch: SOC relaxation gap, AC power flow, power balance.

The AC check solves the AC power flow with every bus's net injection fixed at the dispatched
value and the root at its dispatched voltage, and compares voltages and losses with the
optimisation's: by default (``ac_method="auto"``) with the vectorised backward/forward sweep over
all periods at once; with ``ac_method="pandapower"`` by pandapower's Newton-Raphson per period on
a *copy* of the case network.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace

import numpy as np

from fdn_alu.analysis.sweep import AcReport, ac_check_sweep, shunt_loss_mw
from fdn_alu.components.registry import BY_NAME
from fdn_alu.core.data import ModelData
from fdn_alu.core.network import path_matrix as network_path_matrix
from fdn_alu.core.solution import Solution

# Near-idle branches: the relative gap's denominator l*u is floored at the square of 10 % of the
# feeder's peak apparent power at the root (our choice), so that a lightly loaded branch is
# judged on the feeder's scale. The interior-point solution leaves l above (P^2 + Q^2)/u by
# ~mu / (loss weight), measured ~1e-9 pu^2 (on the feeder's own base, head flow 1-10 pu) on
# idle or low-resistance branches of random 0.4-20 kV feeders; at a 1 % floor that read as
# gaps of 2e-6..5e-5 (against 1e-6) while overstating the branch's loss by < 1e-12 MW. At 10 %
# the check still catches a real relaxation gap: any branch carrying 10 % of the head flow or
# more is judged on its own l u. The unfloored value is reported as ``max_rel_unfloored``.
GAP_FLOOR_SHARE = 0.1
# pandapower NR mismatch tolerance of the check, per unit of the feeder's power base. pandapower
# compares its per-unit mismatch (on net.sn_mva) with ``tolerance_mva`` directly (newtonpf.py,
# ``norm(F, inf) < tol``), so with the copy's sn_mva set to the model's base this is 1e-10 of
# the base: 1e-10 MVA on the IEEE cases' 1 MVA base, 1e-13 MVA on a 1 kVA street base. On the
# net's own sn_mva (say 100 MVA) a 5 kW feeder would stop after one iteration, 3e-5 pu off.
AC_TOLERANCE_PU = 1e-10
# ... raised on stiff feeders to what double precision can resolve: the mismatch of a branch
# of admittance y (pu) carries rounding noise ~ y * 2e-16, so the tolerance is at least
# AC_TOLERANCE_PER_Y * max y (our choice, ~50x that noise). A 12.66 kV feeder of 50 kW (base
# 10 kVA) has sections of |z| = 2e-6 pu, y = 5e5 pu: NR cannot reach 1e-10 there, and the
# voltage error a 1e-8 pu mismatch leaves is ~1e-8 x the path impedance, far below 1e-5 pu.
AC_TOLERANCE_PER_Y = 1e-14


@dataclass(frozen=True)
class GapReport:
    """Largest relative SOC gap ``(l u - P^2 - Q^2) / (l u)`` and where it occurs.

    Branches with r = 0 carry no loss, so their cone is not pushed tight by the loss cost (only
    by a negligible floor, see ``model.distflow.R_FLOOR_PU``); their gap is kept apart in
    ``zero_r_max_rel`` instead of being reported as a false relaxation gap. Their effect on the
    solution (through x l in the reactive balance and voltage drop) is covered by the AC check.
    """

    max_rel: float
    branch: int | None
    period: int | None
    per_branch_period: np.ndarray
    zero_r_max_rel: float | None = None
    max_rel_unfloored: float | None = None
    loss_overstated_mw: float | None = None


def soc_gap(data: ModelData, sol: Solution) -> GapReport:
    """Relative relaxation gap of the current cone over all branches and periods.

    The gap ``l u_i - P^2 - Q^2`` (pu) is divided by ``max(l u_i, floor)`` with the floor set
    by ``GAP_FLOOR_SHARE``. A positive gap means the relaxation is not exact there: the current
    (and the loss) is overstated. ``loss_overstated_mw`` is the largest r (l - (P^2+Q^2)/u) in MW.
    """
    base = data.base_mva
    p = sol.p_branch_mw / base
    q = sol.q_branch_mvar / base
    u_from = sol.u_pu[:, data.net.from_bus] / data.net.ratio[None, :] ** 2
    lu = sol.l_pu * u_from
    excess = lu - p**2 - q**2
    head = np.isin(data.net.from_bus, data.net.roots)  # branches leaving a root: feeder heads
    p_head = sol.p_branch_mw[:, head].sum(axis=1)
    q_head = sol.q_branch_mvar[:, head].sum(axis=1)
    s_root = np.hypot(p_head, q_head).max() / base if p_head.size else 0
    floor = max((GAP_FLOOR_SHARE * s_root) ** 2, 1e-12)
    gap = excess / np.maximum(lu, floor)
    raw = excess / np.maximum(lu, 1e-12)
    over_mw = (
        float(np.max(excess / np.maximum(u_from, 1e-6) * data.net.r_pu[None, :]) * base)
        if excess.size
        else 0.0
    )
    zero_r = data.net.r_pu == 0
    zero_r_max = float(max(gap[:, zero_r].max(), 0.0)) if zero_r.any() and gap.size else None
    lossy = np.where(zero_r[None, :], -np.inf, gap)
    if gap.size == 0 or zero_r.all():
        return GapReport(0.0, None, None, gap, zero_r_max)
    t, k = np.unravel_index(np.argmax(lossy), lossy.shape)
    raw_max = float(max(np.where(zero_r[None, :], -np.inf, raw).max(), 0.0))
    return GapReport(
        float(max(lossy[t, k], 0.0)),
        int(data.net.branch_ids[k]),
        int(t),
        gap,
        zero_r_max,
        raw_max,
        max(over_mw, 0.0),
    )


def ac_check(net, data: ModelData, sol: Solution) -> AcReport:
    """Run an AC power flow per period at the dispatched injections on a copy of ``net``.

    The copy is put on the model's power base (``sn_mva = data.base_mva``, so pandapower's
    per-unit system and mismatch tolerance are the model's), and every branch the model fuses
    (impedance below ``network.FUSE_Z_PU``) becomes a closed bus-bus switch, which pandapower
    merges, as the model does, instead of a ~1e6 pu admittance Newton-Raphson cannot resolve.

    Parameters
    ----------
    net : Feeder or pandapowerNet
        The case network (left untouched).
    data : ModelData
    sol : Solution

    Returns
    -------
    AcReport
    """
    import pandapower as pp

    z = np.hypot(data.net.r_pu, data.net.x_pu)[~data.net.fused]
    y_max = 1.0 / z.min() if z.size else 0.0
    tolerance = max(AC_TOLERANCE_PU, AC_TOLERANCE_PER_Y * y_max)
    # a Feeder (MATPOWER read without pandapower) gives a new net; a pandapower net is copied
    work = net.to_pandapower() if hasattr(net, "to_pandapower") else copy.deepcopy(net)
    work.sn_mva = data.base_mva
    fused = data.net.branch_ids[data.net.fused & (data.net.branch_kind == "line")]
    if len(fused):
        lines = work.line.index[work.line.in_service]
        if "branch_no" in work.line:
            lines = lines[work.line.branch_no.loc[lines].isin(fused).to_numpy()]
        else:
            lines = lines[lines.isin(fused)]
        for k in lines:
            pp.create_switch(
                work, int(work.line.from_bus[k]), int(work.line.to_bus[k]), et="b", closed=True
            )
        work.line.loc[lines, "in_service"] = False
    for table in ("load", "sgen", "storage", "asymmetric_load", "asymmetric_sgen"):
        if table in work and len(work[table]):
            work[table] = work[table].iloc[0:0]
    ids = data.net.bus_ids
    for b in ids:
        pp.create_load(work, bus=int(b), p_mw=0.0, q_mvar=0.0)
    load_idx = work.load.index.to_numpy()
    eg = work.ext_grid
    ext = eg.index[eg.in_service.to_numpy(bool) & eg.bus.isin(ids).to_numpy()]
    T = data.periods
    vm_ac = np.full((T, len(ids)), np.nan)
    loss_ac = np.full(T, np.nan)
    converged = True
    for t in range(T):
        work.load.loc[load_idx, "p_mw"] = -sol.p_net_mw[t]
        work.load.loc[load_idx, "q_mvar"] = -sol.q_net_mvar[t]
        work.ext_grid.loc[ext, "vm_pu"] = np.sqrt(sol.u_pu[t, data.net.roots])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pp.runpp(
                    work,
                    algorithm="nr",
                    trafo_model="pi",
                    tolerance_mva=tolerance,
                    init="results" if t else "auto",  # "auto": a dc start across phase shifts
                    numba=False,
                    max_iteration=30,
                )
        except Exception:  # pandapower raises LoadflowNotConverged and relatives
            converged = False
            continue
        vm_ac[t] = work.res_bus.vm_pu.loc[ids].to_numpy()
        loss_ac[t] = sum(
            float(work[f"res_{tb}"][col].sum()) if f"res_{tb}" in work and tb in work else 0.0
            for tb, col in (("line", "pl_mw"), ("trafo", "pl_mw"), ("shunt", "p_mw"))
        )
    vm_opt = sol.vm_pu
    err = np.abs(vm_ac - vm_opt)
    vm_err = float(np.nanmax(err)) if converged else float("inf")
    total_ac = float(np.nansum(loss_ac))
    total_opt = float(sol.loss_mw.sum() + shunt_loss_mw(data, sol.u_pu).sum())
    rel = abs(total_ac - total_opt) / max(abs(total_ac), 1e-12) if converged else float("inf")
    return AcReport(vm_err, rel, vm_ac, loss_ac, converged)


def power_balance_residual_mw(data: ModelData, sol: Solution) -> float:
    """Largest active node-balance residual (19) of the solution, MW (solver accuracy)."""
    net = data.net
    n = net.n_bus
    res = sol.p_net_mw.copy()
    np.add.at(res.T, net.to_bus, (sol.p_branch_mw - sol.loss_mw).T)
    np.add.at(res.T, net.from_bus, -sol.p_branch_mw.T)
    return float(np.abs(res).max()) if n else 0.0


def path_matrix(data: ModelData):
    """Sparse (m, n) matrix A with A[k, j] = 1 when branch k lies on the path root -> bus j
    (see :func:`fdn_alu.core.network.path_matrix`)."""
    return network_path_matrix(data.net)


def deployed_checks(data: ModelData, sol: Solution) -> dict:
    """AC power flow (backward/forward sweep) of every deployed state a component declares
    (:meth:`~fdn_alu.components.base.Component.deployed_injections`): the dispatched injections
    plus the state's change, loads unchanged, the root exchange taking the difference.

    Returns the lowest and highest AC voltage over the deployed states and the largest
    violation of the voltage limits (pu; 0 when within), or None values when no component
    declares a deployed state.
    """
    states = {}
    for name, cdata in data.components.items():
        states.update(BY_NAME[name].deployed_injections(cdata, sol.parts[name], data))
    if not states:
        return {
            "deployed_vm_min_pu": None,
            "deployed_vm_max_pu": None,
            "deployed_vm_violation_pu": None,
            "deployed_states": None,
        }
    lo, hi, viol = np.inf, -np.inf, 0.0
    others = np.setdiff1d(np.arange(data.net.n_bus), data.net.roots)
    for delta_mw in states.values():
        dep = replace(sol, p_net_mw=sol.p_net_mw + delta_mw)
        ac = ac_check_sweep(data, dep)
        vm = ac.vm_ac_pu[:, others] if ac.converged else np.full((1, 1), np.nan)
        lo, hi = min(lo, float(np.min(vm))), max(hi, float(np.max(vm)))
        under = data.net.vm_min_pu[others][None, :] - vm
        over = vm - data.net.vm_max_pu[others][None, :]
        viol = max(viol, float(np.max(np.maximum(under, over), initial=0.0)))
        if not ac.converged:
            viol = float("inf")
    return {
        "deployed_vm_min_pu": lo,
        "deployed_vm_max_pu": hi,
        "deployed_vm_violation_pu": viol,
        "deployed_states": sorted(states),
    }


# Tolerances of the network-wide checks; every component states its own
# (``Component.tolerances``). A check outside its tolerance fails the run.
TOLERANCES = {
    "soc_gap_max": 1e-6,
    "ac_vm_err_max_pu": 1e-5,
    "ac_loss_rel_err": 1e-3,
    "carbon_balance_rel_err": 1e-9,
    # AC voltage of a deployed state outside the limits (pu): the model keeps it inside by a
    # linearised (LinDistFlow) margin; this judges the margin with the exact AC equations.
    "deployed_vm_violation_pu": 1e-4,
    # Everything derived from the one declaration of each emission and cost agrees
    # (analysis/reconcile.py): only floating-point rounding separates them.
    "emissions_reconciliation_rel_err": 1e-9,
    "costs_reconciliation_rel_err": 1e-9,
}


def all_tolerances() -> dict[str, float]:
    """The network's and every registered component's check tolerances."""
    out = dict(TOLERANCES)
    for comp in BY_NAME.values():
        out.update(comp.tolerances)
    return out


def contract_checks() -> dict[str, None]:
    """Check keys of the results contract owned by components: each one's judged checks
    (``tolerances``) and the other figures its checks report (``summary_checks``); None when
    the component is absent, so summary.json keeps its shape."""
    return {k: None for comp in BY_NAME.values() for k in (*comp.tolerances, *comp.summary_checks)}


def dispatch_checks(
    net,
    data: ModelData,
    sol: Solution,
    carbon_balance_rel_err: float,
    check_ac: bool,
    ac_method: str,
) -> tuple[dict, GapReport, AcReport | None]:
    """Every check of a solved dispatch: the network's and each component's.

    Parameters
    ----------
    net : Feeder or pandapowerNet
        The case network (only read, on a copy, by the pandapower AC check).
    data : ModelData
    sol : Solution
    carbon_balance_rel_err : float
        From the carbon emission flow.
    check_ac : bool
    ac_method : {"auto", "pandapower", "sweep"}
        ``auto`` is the sweep.

    Returns
    -------
    (dict, GapReport, AcReport or None)
        Check values by name (None where a check did not run or its component is absent),
        and the reports behind them.
    """
    gap = soc_gap(data, sol)
    if ac_method == "auto":
        # the sweep solves the same AC equations (agrees with pandapower to ~1e-11 pu in the
        # tests) in 0.023 s where pandapower takes 0.56-0.60 s on ieee15 x 24, more than the
        # optimisation itself (our measurements); pandapower on request
        ac_method = "sweep"
    ac = None
    if check_ac:
        ac = ac_check(net, data, sol) if ac_method == "pandapower" else ac_check_sweep(data, sol)
    values = {
        "soc_gap_max": gap.max_rel,
        "soc_gap_where": {"branch": gap.branch, "period": gap.period},
        "soc_gap_zero_r_branches": gap.zero_r_max_rel,
        "soc_gap_unfloored": gap.max_rel_unfloored,
        "soc_gap_loss_overstated_mw": gap.loss_overstated_mw,
        "ac_vm_err_max_pu": ac.vm_err_max_pu if ac else None,
        "ac_loss_rel_err": ac.loss_rel_err if ac else None,
        "ac_converged": ac.converged if ac else None,
        "ac_method": ac_method if ac else None,
        "carbon_balance_rel_err": carbon_balance_rel_err,
        "power_balance_residual_mw": power_balance_residual_mw(data, sol),
        **deployed_checks(data, sol),
        **contract_checks(),
    }
    for name, cdata in data.components.items():
        values.update(BY_NAME[name].checks(cdata, sol.parts[name], data))
    return values, gap, ac
