"""Computation of the province-scale ancillary-service benefit: requirement, flexible and carried
capacity, displaced thermal reserve and CO2 saved, vectorised over years x tau x lambda x providers
(equations in :mod:`fdn_alu.studies.ancillary.benefit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fdn_alu.errors import Problem, raise_if_problems
from fdn_alu.studies.ancillary.params import (
    _PROVIDER,
    H_PER_YR,
    PRODUCTS,
    AncillaryParams,
    _leaves,
    load_params,
)
from fdn_alu.studies.ancillary.region import scope_factors


def reserve_penalty_t_per_mwh(params: AncillaryParams, reserve_loading_pu=None) -> np.ndarray:
    """CO2 of holding 1 MW of reserve on part-loaded thermal units for 1 h (fleet mix).

    ``e_res = sum_f s_f * x_r/(1-x_r) * (1/eta_rel(x_r) - 1/eta_rel(x_0)) * ef_f / eta_f``.

    Parameters
    ----------
    params : AncillaryParams
    reserve_loading_pu : float or array, optional
        Loading x_r of the reserve-holding units; default ``thermal.reserve_loading_pu``.

    Returns
    -------
    ndarray
        t CO2 per MWh of reserve held, same shape as ``reserve_loading_pu``.
    """
    th = params.raw["thermal"]
    xr = np.asarray(
        th["reserve_loading_pu"] if reserve_loading_pu is None else reserve_loading_pu, dtype=float
    )
    x0 = float(th["reference_loading_pu"])
    total = np.zeros_like(xr)
    for f in th["fuels"].values():
        xs = np.asarray(f["part_load_pu"], float)
        es = np.asarray(f["part_load_rel_efficiency"], float)
        fuel_per_mw = 1.0 / np.interp(xr, xs, es) - 1.0 / np.interp(x0, xs, es)
        total = (
            total
            + f["share"] * xr / (1.0 - xr) * fuel_per_mw * f["co2_t_per_mwh_th"] / f["efficiency"]
        )
    return total


@dataclass
class AncillaryResult:
    """Result of :func:`compute`.

    Attributes
    ----------
    table : DataFrame
        One row per (year, tau, lambda): requirement, flexible and carried capacity (MW, annual
        mean), displaced thermal reserve (MW), CO2 of S1 reserve holding and CO2 saved (t/yr).
    carried : DataFrame
        Long table (year, tau, lambda, provider, product, carried_mw).
    assumptions : DataFrame
        (parameter, value, unit, source) for every input.
    summary : dict
        Headline numbers (JSON-serialisable).
    params : AncillaryParams
    """

    table: pd.DataFrame
    carried: pd.DataFrame
    assumptions: pd.DataFrame
    summary: dict
    params: AncillaryParams


def _qualification(params: AncillaryParams) -> tuple[np.ndarray, list[str]]:
    """(P, K) boolean: provider p offers and qualifies for product k (seed 002 eq. 1)."""
    prov, prod = params.raw["providers"], params.raw["products"]
    q = np.zeros((len(prov), len(PRODUCTS)), bool)
    notes = []
    for i, (pn, p) in enumerate(prov.items()):
        for k, kn in enumerate(PRODUCTS):
            if kn not in p["products"]:
                continue
            t = prod[kn]
            why = []
            if p["response_s"] > t["max_response_s"]:
                why.append(f"response {p['response_s']:g} s > {t['max_response_s']:g} s")
            if p["duration_h"] < t["min_duration_h"]:
                why.append(f"duration {p['duration_h']:g} h < {t['min_duration_h']:g} h")
            if p["notice_h"] > t["max_notice_h"]:
                why.append(f"notice {p['notice_h']:g} h > {t['max_notice_h']:g} h")
            if why:
                notes.append(f"{pn} refused for {kn}: " + ", ".join(why))
            else:
                q[i, k] = True
    return q, notes


def compute(
    params: AncillaryParams | None = None,
    tau=None,
    lam=None,
) -> AncillaryResult:
    """Carried AS capacity and CO2 saved over the grid years x tau x lambda.

    Parameters
    ----------
    params : AncillaryParams, optional
        Default: :func:`load_params` () (China, national).
    tau, lam : sequence of float, optional
        Transforming and penetration factors (each in [0, 1]); default ``scan.tau`` and
        ``scan.lambda``.

    Returns
    -------
    AncillaryResult
    """
    params = params or load_params()
    raw = params.raw
    probs = []
    tau = np.asarray(raw["scan"]["tau"] if tau is None else tau, float).ravel()
    lam = np.asarray(raw["scan"]["lambda"] if lam is None else lam, float).ravel()
    for name, v in (("tau", tau), ("lambda", lam)):
        if v.size == 0 or not np.all(np.isfinite(v)) or np.any((v < 0) | (v > 1)):
            probs.append(Problem(name, f"values must lie in [0, 1], got {v.tolist()}"))
    raise_if_problems(probs, "invalid ancillary-benefit scan")

    reg, req = raw["region"], raw["requirement"]
    years = np.arange(reg["first_year"], reg["last_year"] + 1)
    dy = years - reg["base_year"]
    scale_load, scale_p, day_peak = scope_factors(params)
    load_twh = scale_load * reg["load_twh"] * (1.0 + reg["load_growth_per_yr"]) ** dy  # (Y,)
    mean_mw = load_twh * 1e6 / H_PER_YR
    if reg["load_shape"] == "typical_days":
        day_peak_mw = mean_mw[:, None] * day_peak[None, :]  # (Y, D): each day's peak hour
    else:
        day_peak_mw = (mean_mw / reg["load_factor"])[:, None]  # (Y, 1)
    D = day_peak_mw.shape[1]
    cont_mw = np.maximum(req["contingency_share_of_peak"] * day_peak_mw, req["largest_unit_mw"])
    f_spin = req["spinning_share_of_contingency"]
    r_day = np.stack(
        [req["regulation_share_of_peak"] * day_peak_mw, f_spin * cont_mw, (1 - f_spin) * cont_mw],
        axis=-1,
    )  # (Y, D, K)

    prov = raw["providers"]
    pv = {k: np.array([p[k] for p in prov.values()], float) for k in _PROVIDER if k != "products"}
    e_p_twh = (
        scale_p * pv["energy_twh"][None, :] * (1.0 + pv["growth_per_yr"][None, :]) ** dy[:, None]
    )
    flex_mw = pv["flexible_share"] * pv["availability_share"] * e_p_twh * 1e6 / H_PER_YR  # (Y,P)
    qual, refusals = _qualification(params)

    # (Y D, A, B, P) retrofitted capacity still free on each typical day; products in order
    flex_day = np.repeat(flex_mw, D, axis=0)
    r_flat = r_day.reshape(len(years) * D, len(PRODUCTS))
    rem = tau[None, :, None, None] * flex_day[:, None, None, :]
    rem = np.broadcast_to(rem, (len(r_flat), len(tau), len(lam), len(prov))).copy()
    carried = np.zeros((*rem.shape, len(PRODUCTS)))
    for k in range(len(PRODUCTS)):
        offer = rem * qual[None, None, None, :, k]
        cap = lam[None, None, :] * r_flat[:, None, None, k]
        tot = offer.sum(axis=-1)
        scale = np.divide(cap, tot, out=np.zeros_like(tot), where=tot > 0)
        carried[..., k] = offer * np.minimum(1.0, scale)[..., None]
        rem = rem - carried[..., k]
    # Each typical day stands for a quarter of the year: annual means over the days.
    carried = carried.reshape(len(years), D, *carried.shape[1:]).mean(axis=1)
    r_mw = r_day.mean(axis=1)  # (Y, K)
    peak_mw = day_peak_mw.mean(axis=1)

    on_th = np.array([raw["products"][k]["on_part_loaded_thermal_share"] for k in PRODUCTS])
    e_res = float(reserve_penalty_t_per_mwh(params))
    carried_k = carried.sum(axis=3)  # (Y, A, B, K)
    displaced = (carried_k * on_th).sum(axis=-1)  # (Y, A, B)
    co2_gross = displaced * H_PER_YR * e_res
    carried_p = carried.sum(axis=4)  # (Y, A, B, P)
    part_mw = np.divide(
        carried_p,
        pv["flexible_share"],
        out=np.zeros_like(carried_p),
        where=pv["flexible_share"] > 0,
    )
    co2_pen = (
        (part_mw * pv["energy_penalty_share"]).sum(-1) * H_PER_YR * raw["grid"]["ci_t_per_mwh"]
    )
    co2_s1 = (r_mw * on_th).sum(-1) * H_PER_YR * e_res  # (Y,)

    Y, A, B = np.meshgrid(
        np.arange(len(years)), np.arange(len(tau)), np.arange(len(lam)), indexing="ij"
    )
    cols = {
        "year": years[Y].ravel(),
        "tau": tau[A].ravel(),
        "lambda": lam[B].ravel(),
        "load_twh": load_twh[Y].ravel(),
        "peak_load_mw": peak_mw[Y].ravel(),
    }
    for k, kn in enumerate(PRODUCTS):
        cols[f"req_{kn}_mw"] = r_mw[Y, k].ravel()
    for i, pn in enumerate(prov):
        cols[f"flexible_{pn}_mw"] = flex_mw[Y, i].ravel()
    for i, pn in enumerate(prov):
        cols[f"carried_{pn}_mw"] = carried_p[..., i].ravel()
    for k, kn in enumerate(PRODUCTS):
        cols[f"carried_{kn}_mw"] = carried_k[..., k].ravel()
    cols["displaced_thermal_reserve_mw"] = displaced.ravel()
    cols["co2_reserve_s1_t_per_yr"] = co2_s1[Y].ravel()
    cols["co2_saved_gross_t_per_yr"] = co2_gross.ravel()
    cols["co2_energy_penalty_t_per_yr"] = co2_pen.ravel()
    cols["co2_saved_t_per_yr"] = (co2_gross - co2_pen).ravel()
    table = pd.DataFrame(cols)

    idx = np.indices(carried.shape).reshape(carried.ndim, -1)
    pnames, knames = np.array(list(prov)), np.array(PRODUCTS)
    long = pd.DataFrame(
        {
            "year": years[idx[0]],
            "tau": tau[idx[1]],
            "lambda": lam[idx[2]],
            "provider": pnames[idx[3]],
            "product": knames[idx[4]],
            "carried_mw": carried.ravel(),
        }
    )
    long = long[qual[idx[3], idx[4]]].reset_index(drop=True)

    leaves = _leaves(raw)
    assumptions = pd.DataFrame(
        {
            "parameter": list(leaves),
            "value": [json.dumps(v) if isinstance(v, list) else v for v in leaves.values()],
            "unit": [params.units[k] for k in leaves],
            "source": [params.sources[k] for k in leaves],
        }
    )
    summary = _summary(params, table, e_res, refusals, pv, on_th)
    return AncillaryResult(table, long, assumptions, summary, params)


def _summary(params, table, e_res, refusals, pv, on_th) -> dict:
    raw = params.raw
    t_max, l_max = table["tau"].max(), table["lambda"].max()
    head = table[(table["tau"] == t_max) & (table["lambda"] == l_max)].set_index("year")

    def row(y):
        r = head.loc[y]
        return {
            "tau": float(t_max),
            "lambda": float(l_max),
            "peak_load_mw": float(r["peak_load_mw"]),
            **{f"req_{k}_mw": float(r[f"req_{k}_mw"]) for k in PRODUCTS},
            **{f"carried_{p}_mw": float(r[f"carried_{p}_mw"]) for p in params.providers},
            "displaced_thermal_reserve_mw": float(r["displaced_thermal_reserve_mw"]),
            "co2_reserve_s1_t_per_yr": float(r["co2_reserve_s1_t_per_yr"]),
            "co2_saved_t_per_yr": float(r["co2_saved_t_per_yr"]),
        }

    y0, y1 = int(head.index.min()), int(head.index.max())
    # share of a participating provider's load that, spent as extra electricity, cancels the
    # saving of its first product: flexible_share * h_k * e_res / ci
    ci = raw["grid"]["ci_t_per_mwh"]
    breakeven = {}
    for i, (pn, p) in enumerate(raw["providers"].items()):
        if p["products"] and ci > 0:
            k = PRODUCTS.index(p["products"][0])
            breakeven[pn] = float(pv["flexible_share"][i] * on_th[k] * e_res / ci)
    return {
        "fdn_alu_result": "ancillary-benefit",
        "method": "seed 002 §4 (Zhang et al. 2015), rebuilt from sourced figures; "
        "part-load penalty of thermal reserve, see docs/ANCILLARY.md",
        "region": raw["region"]["name"],
        "years": [y0, y1],
        "tau": sorted(set(table["tau"].tolist())),
        "lambda": sorted(set(table["lambda"].tolist())),
        "reserve_penalty_t_per_mwh": e_res,
        "first_year": row(y0),
        "last_year": row(y1),
        "co2_saved_total_t": float(head["co2_saved_t_per_yr"].sum()),
        "break_even_energy_penalty_share": breakeven,
        "refused": refusals,
        "assumption_based": True,
    }
