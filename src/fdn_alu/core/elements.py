"""The element tables of a pandapower net: which the model uses, which it refuses, and the
per-unit arrays of the branches (lines, two-winding transformers) and bus shunts.

Every table pandapower defines is listed in :data:`ELEMENT_TABLES` (a test holds the list
against pandapower's own): ``used`` tables enter the model, ``refused`` tables stop the run when
they hold an in-service row, ``ignored`` tables carry no electrical element (cost curves,
measurements, controllers acting only in pandapower's ``run_control``). See docs/NETWORKS.md.

Per-unit system: power base ``base_mva``, voltage base the nominal voltage ``vn_kv`` of each bus
(pandapower's), so the model's voltages are pandapower's ``res_bus.vm_pu``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdn_alu.errors import Problem

# What the model does with each pandapower table (pandapower 3.x, ``pp.create_empty_network``).
ELEMENT_TABLES: dict[str, tuple[str, str]] = {
    "bus": ("used", "buses; voltage base vn_kv per bus"),
    "line": ("used", "series impedance; charging c_nf_per_km and g_us_per_km as bus shunts"),
    "trafo": ("used", "two-winding transformers: series impedance, magnetising shunt, tap ratio"),
    "switch": ("used", "closed bus-bus switches fuse buses; open line/trafo switches open ends"),
    "ext_grid": ("used", "one slack bus (root) per in-service ext_grid"),
    "load": ("used", "fixed demand (p_mw, q_mvar, scaling)"),
    "sgen": ("used", "fixed generation (p_mw, q_mvar, scaling)"),
    "shunt": ("used", "bus shunt admittance (p_mw, q_mvar per step at vn_kv)"),
    "asymmetric_load": ("used", "balanced equivalent: the three phases' sum as a load (warning)"),
    "asymmetric_sgen": ("used", "balanced equivalent: the three phases' sum as a sgen (warning)"),
    "gen": ("refused", "voltage-controlled generators (PV buses) are not in the DistFlow model"),
    "storage": (
        "refused",
        "storage rows are not dispatched: give them as [[storage]] batteries and set the rows "
        "out of service",
    ),
    "trafo3w": ("refused", "three-winding transformers: replace by two-winding transformers"),
    "impedance": ("refused", "impedance elements (asymmetric series impedances)"),
    "motor": ("refused", "motors: give them as loads"),
    "ward": ("refused", "ward equivalents"),
    "xward": ("refused", "extended ward equivalents (voltage-controlled)"),
    "dcline": ("refused", "DC lines"),
    "svc": ("refused", "static var compensators (voltage-controlled)"),
    "tcsc": ("refused", "thyristor-controlled series capacitors"),
    "ssc": ("refused", "static synchronous compensators (voltage-controlled)"),
    "vsc": ("refused", "voltage source converters (AC/DC)"),
    "vsc_bipolar": ("refused", "bipolar voltage source converters (AC/DC)"),
    "vsc_stacked": ("refused", "stacked voltage source converters (AC/DC)"),
    "bus_dc": ("refused", "DC buses"),
    "line_dc": ("refused", "DC lines"),
    "load_dc": ("refused", "DC loads"),
    "source_dc": ("refused", "DC sources"),
    "b2b_vsc": ("refused", "back-to-back converters (AC/DC)"),
    "measurement": ("ignored", "state-estimation measurements, no element"),
    "controller": ("ignored", "controllers act only in pandapower's run_control"),
    "poly_cost": ("ignored", "OPF cost curves (the case's [grid] prices are used)"),
    "pwl_cost": ("ignored", "OPF cost curves (the case's [grid] prices are used)"),
    "group": ("ignored", "element groups, no element"),
}


def refused_tables(net) -> list[Problem]:
    """One problem per refused table holding an in-service row (and per unsupported option of
    a used table: tap-dependent impedance, shunt step tables, switch impedances)."""
    problems = []
    for table, (use, why) in ELEMENT_TABLES.items():
        if use != "refused" or table not in net or not len(net[table]):
            continue
        df = net[table]
        on = df.in_service.to_numpy(bool) if "in_service" in df else np.ones(len(df), bool)
        if on.any():
            rows = df.index[on].tolist()
            problems.append(Problem(f"net.{table}", f"{why} (in service: {_few(rows)})"))
    trafo = net["trafo"] if "trafo" in net else None
    if trafo is not None and len(trafo) and "hv_bus" not in trafo and trafo.in_service.any():
        problems.append(
            Problem(
                "net.trafo",
                "MATPOWER branches with a tap ratio or phase shift are not supported (give the "
                "grid as a pandapower net with its transformers)",
            )
        )
        trafo = None
    if trafo is not None and len(trafo) and "tap_dependency_table" in trafo:
        dep = trafo.tap_dependency_table.fillna(False).to_numpy(bool) & trafo.in_service
        if dep.any():
            problems.append(
                Problem(
                    "net.trafo",
                    "tap-dependent impedance tables are not supported (transformers "
                    f"{_few(trafo.index[dep].tolist())}); set tap_dependency_table = False",
                )
            )
    if "shunt" in net and len(net.shunt) and "step_dependency_table" in net.shunt:
        dep = net.shunt.step_dependency_table.fillna(False).to_numpy(bool) & net.shunt.in_service
        if dep.any():
            problems.append(
                Problem("net.shunt", "step-dependency tables of shunts are not supported")
            )
    if "switch" in net and len(net.switch) and "z_ohm" in net.switch:
        sw = net.switch
        bad = (sw.et == "b") & sw.closed & (sw.z_ohm.fillna(0) > 0)
        if bad.any():
            problems.append(
                Problem(
                    "net.switch",
                    f"closed bus-bus switches with z_ohm > 0 ({_few(sw.index[bad].tolist())}) "
                    "are impedances: set z_ohm = 0 or give them as lines",
                )
            )
    return problems


def _few(items: list, k: int = 10) -> str:
    return f"{items[:k]}{' ...' if len(items) > k else ''}"


@dataclass(frozen=True)
class Elements:
    """Series elements (lines, transformers) in per unit, one row per in-service element.

    The model of element e between buses ``f`` (line from / transformer hv) and ``t`` (line to /
    transformer lv): an ideal transformer of ratio ``tau`` at f, then the series impedance ``z``
    on t's voltage base; shunt ``y_f`` at the node between the two (the pi model's f-side half)
    and ``y_t`` at t. Impedances and admittances in per unit of (base_mva, vn_kv of t).
    """

    kind: np.ndarray
    eid: np.ndarray
    label: np.ndarray
    f: np.ndarray
    t: np.ndarray
    z: np.ndarray
    tau: np.ndarray
    y_f: np.ndarray
    y_t: np.ndarray
    i_max_pu: np.ndarray
    open_f: np.ndarray
    open_t: np.ndarray


def line_elements(net, pos, vn_kv, base_mva, max_i_ka, problems) -> Elements:
    """Lines in service with both buses in ``pos`` (Series bus id -> position)."""
    lines = net.line[net.line.in_service.to_numpy(bool)]
    lines = lines[lines.from_bus.isin(pos.index) & lines.to_bus.isin(pos.index)]
    f = pos.loc[lines.from_bus].to_numpy(int)
    t = pos.loc[lines.to_bus].to_numpy(int)
    kv = vn_kv[f]
    bad_kv = ~np.isclose(kv, vn_kv[t])
    for lid in lines.index[bad_kv]:
        problems.append(Problem(f"line {lid}", "connects buses of different vn_kv"))
    z_base = kv**2 / base_mva
    length = lines.length_km.to_numpy(float)
    par = _col(lines, "parallel", 1.0)
    r = lines.r_ohm_per_km.to_numpy(float) * length / par / z_base
    x = lines.x_ohm_per_km.to_numpy(float) * length / par / z_base
    bad = (r < 0) | (x < 0) | ~np.isfinite(r + x)
    for k in np.flatnonzero(bad):
        problems.append(
            Problem(
                f"line {lines.index[k]}",
                f"negative or invalid impedance (r={r[k]:.4g} pu, x={x[k]:.4g} pu)",
            )
        )
    f_hz = float(getattr(net, "f_hz", 50.0) or 50.0)
    b = 2 * np.pi * f_hz * _col(lines, "c_nf_per_km", 0.0) * 1e-9 * z_base * length * par
    g = _col(lines, "g_us_per_km", 0.0) * 1e-6 * z_base * length * par
    i_base_ka = base_mva / (np.sqrt(3) * kv)
    i_ka = np.full(len(lines), max_i_ka) if max_i_ka > 0 else _col(lines, "max_i_ka", np.inf) * par
    label = lines.branch_no.to_numpy(int) if "branch_no" in lines else lines.index.to_numpy(int)
    return Elements(
        kind=np.full(len(lines), "line"),
        eid=lines.index.to_numpy(int),
        label=label,
        f=f,
        t=t,
        z=r + 1j * x,
        tau=np.ones(len(lines)),
        y_f=(g + 1j * b) / 2,
        y_t=(g + 1j * b) / 2,
        i_max_pu=np.where(i_ka >= 1e4, np.inf, i_ka / i_base_ka),
        open_f=np.zeros(len(lines), bool),
        open_t=np.zeros(len(lines), bool),
    )


def trafo_elements(net, pos, vn_kv, base_mva, problems) -> Elements:
    """Two-winding transformers in service, pandapower's pi model (``trafo_model="pi"``).

    Series impedance on the lv bus's base (pandapower's ``_calc_r_x_from_dataframe``):
    ``|z| = vk/100 * base_mva / sn_mva * (vn_lv_tap / vn_lv_bus)^2``, ``r`` from ``vkr``;
    magnetising admittance ``g = pfe_mw / base * (vn_lv_bus / vn_lv_tap)^2``,
    ``|y| = i0/100 * sn / base * (...)^2``, ``b = -sqrt(|y|^2 - g^2)``, split half at each end
    of ``z``; off-nominal ratio ``tau = (vn_hv_tap / vn_lv_tap) / (vn_hv_bus / vn_lv_bus)``
    with the tap applied to the side ``tap_side`` names (``tap_changer_type`` "Ratio" or
    "Symmetrical": ``vn * |1 + s e^{j theta}|``, s = (tap_pos - tap_neutral) tap_step_percent/100,
    theta = tap_step_degree; "Ideal" changers only shift the phase). The phase shift
    (``shift_degree`` and the tap's angle) does not change voltage magnitudes or flows in a
    radial grid (every bus's angle moves with its transformer), so it is not modelled.
    """
    tr = net.trafo[net.trafo.in_service.to_numpy(bool)]
    tr = tr[tr.hv_bus.isin(pos.index) & tr.lv_bus.isin(pos.index)]
    f = pos.loc[tr.hv_bus].to_numpy(int)
    t = pos.loc[tr.lv_bus].to_numpy(int)
    vn_hv = tr.vn_hv_kv.to_numpy(float).copy()
    vn_lv = tr.vn_lv_kv.to_numpy(float).copy()
    for suffix in ("", "2"):
        _apply_tap(tr, suffix, vn_hv, vn_lv)
    par = _col(tr, "parallel", 1.0)
    sn = tr.sn_mva.to_numpy(float)
    scale = (vn_lv / vn_kv[t]) ** 2  # pandapower's tap_lv factor
    zk = tr.vk_percent.to_numpy(float) / 100 * base_mva / sn * scale
    rk = tr.vkr_percent.to_numpy(float) / 100 * base_mva / sn * scale
    bad = ~(np.isfinite(zk) & np.isfinite(rk)) | (zk <= 0) | (rk < 0) | (rk > zk)
    for k in np.flatnonzero(bad):
        problems.append(
            Problem(f"trafo {tr.index[k]}", "needs vk_percent > 0 and 0 <= vkr_percent <= vk")
        )
    x = np.sqrt(np.maximum(zk**2 - rk**2, 0.0))
    pfe_mw = _col(tr, "pfe_kw", 0.0) * 1e-3
    ym = _col(tr, "i0_percent", 0.0) / 100 * sn
    g = pfe_mw / base_mva * par / scale
    b = -np.sqrt(np.maximum(ym**2 - pfe_mw**2, 0.0)) / base_mva * par / scale
    tau = (vn_hv / vn_lv) / (vn_kv[f] / vn_kv[t])
    load_pc = _col(tr, "max_loading_percent", 100.0)
    df = _col(tr, "df", 1.0)
    # rated current on the lv bus's base: sn / base * vn_lv_bus / vn_lv_kv (at rated voltage)
    i_max = load_pc / 100 * sn * df * par / base_mva * vn_kv[t] / tr.vn_lv_kv.to_numpy(float)
    return Elements(
        kind=np.full(len(tr), "trafo"),
        eid=tr.index.to_numpy(int),
        label=tr.index.to_numpy(int),
        f=f,
        t=t,
        z=(rk + 1j * x) / par,
        tau=tau,
        y_f=(g + 1j * b) / 2,
        y_t=(g + 1j * b) / 2,
        i_max_pu=i_max,
        open_f=np.zeros(len(tr), bool),
        open_t=np.zeros(len(tr), bool),
    )


def _apply_tap(tr, suffix: str, vn_hv: np.ndarray, vn_lv: np.ndarray) -> None:
    """pandapower's ``_calc_tap_from_dataframe`` for the magnitudes (in place)."""
    pos_col = f"tap{suffix}_pos"
    if pos_col not in tr or not len(tr):
        return
    side = tr[f"tap{suffix}_side"].astype(object).fillna("").to_numpy()
    step = _col(tr, f"tap{suffix}_step_percent", np.nan)
    theta = np.deg2rad(np.nan_to_num(_col(tr, f"tap{suffix}_step_degree", 0.0)))
    diff = _col(tr, pos_col, np.nan) - _col(tr, f"tap{suffix}_neutral", np.nan)
    ctype_col = f"tap{suffix}_changer_type"
    if ctype_col in tr:
        ctype = tr[ctype_col].astype(object).fillna("").to_numpy()
        ratio_tap = np.isin(ctype, ("Ratio", "Symmetrical"))
    else:  # pandapower < 3.0 nets: tap_phase_shifter marks ideal phase shifters
        shifter = tr.get(f"tap{suffix}_phase_shifter")
        ideal = shifter.fillna(False).to_numpy(bool) if shifter is not None else False
        ratio_tap = np.isfinite(step) & np.isfinite(diff) & ~ideal
    s = np.nan_to_num(step * diff / 100)
    factor = np.abs(1 + s * np.exp(1j * theta))
    for name, vn in (("hv", vn_hv), ("lv", vn_lv)):
        mask = ratio_tap & (side == name)
        vn[mask] = vn[mask] * factor[mask]


def shunt_admittance(net, pos, vn_kv, base_mva) -> np.ndarray:
    """net.shunt as bus admittance (n,) per unit: draws P = p_mw step (vn_bus/vn_kv)^2 u."""
    y = np.zeros(len(pos), complex)
    if "shunt" not in net or not len(net.shunt):
        return y
    sh = net.shunt[net.shunt.in_service.to_numpy(bool) & net.shunt.bus.isin(pos.index)]
    at = pos.loc[sh.bus].to_numpy(int)
    vn = sh.vn_kv.to_numpy(float) if "vn_kv" in sh else vn_kv[at]
    vr = (vn_kv[at] / np.where(np.isfinite(vn), vn, vn_kv[at])) ** 2
    step = _col(sh, "step", 1.0)
    g = sh.p_mw.to_numpy(float) * step * vr / base_mva
    b = -sh.q_mvar.to_numpy(float) * step * vr / base_mva
    np.add.at(y, at, g + 1j * b)
    return y


def fixed_demand(net, pos, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Loads minus static generators per bus in MW / Mvar (scaling applied), asymmetric ones
    as their balanced equivalent (the three phases' sum), with a warning line for those."""
    p, q = np.zeros(n), np.zeros(n)
    notes = []
    for table, sign, cols in (
        ("load", 1.0, None),
        ("sgen", -1.0, None),
        ("asymmetric_load", 1.0, "abc"),
        ("asymmetric_sgen", -1.0, "abc"),
    ):
        if table not in net or not len(net[table]):
            continue
        df = net[table][net[table].in_service.to_numpy(bool) & net[table].bus.isin(pos.index)]
        if not len(df):
            continue
        idx = pos.loc[df.bus].to_numpy(int)
        scale = _col(df, "scaling", 1.0)
        if cols:
            pw = sum(df[f"p_{ph}_mw"].to_numpy(float) for ph in cols)
            qv = sum(df[f"q_{ph}_mvar"].to_numpy(float) for ph in cols)
            notes.append(
                f"net.{table}: {len(df)} row(s) taken as their balanced equivalent (the sum of "
                "the three phases, as pandapower's balanced power flow does)"
            )
        else:
            pw, qv = df.p_mw.to_numpy(float), df.q_mvar.to_numpy(float)
        np.add.at(p, idx, sign * pw * scale)
        np.add.at(q, idx, sign * qv * scale)
    return p, q, notes


def _col(df, name: str, default: float) -> np.ndarray:
    """A float column with missing values (or a missing column) set to ``default``."""
    if name not in df:
        return np.full(len(df), default, float)
    return df[name].astype(float).fillna(default).to_numpy()


def with_transformer_tables(net):
    """A MATPOWER feeder read without pandapower holds its transformers as row counts only; when
    it has in-service ones, its pandapower conversion (pandapower's ``from_ppc``) is used."""
    trafo = net["trafo"] if "trafo" in net else None
    if trafo is None or "hv_bus" in trafo or not trafo.in_service.any():
        return net
    try:
        return net.to_pandapower()
    except (AttributeError, ValueError):  # edited tables: refused by refused_tables
        return net


def concat_elements(a, b):
    if b is None:
        return a
    return type(a)(**{f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dict__})
