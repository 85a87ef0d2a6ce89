"""Province-scale CO2 benefit of ancillary services carried by aluminium and cement (seed 002 §4).

Seed 002 (Zhang et al., J. Mod. Power Syst. Clean Energy 2015) compares two scenarios for one
province and the years 2012-2020: S1, every ancillary service (AS) is held by thermal units running
part-loaded; S2, energy-intensive industry is admitted to the AS market, scaled by a transforming
factor tau (share of the industry retrofitted) and a penetration factor lambda (acceptance by the
AS market). Its Tables 3-7 are missing from the text, so this module rebuilds the method from
sourced figures (``data/ancillary_benefit.toml``, every value with its source) and computes,
vectorised over years x tau x lambda x providers:

1. **Requirement** per product k from the peak load ``P_pk = E_load / (8760 h * load_factor)``::

       R_reg  = s_reg * P_pk
       R_cont = max(s_cont * P_pk, P_largest_unit)
       R_spin = f_spin * R_cont,   R_ns = (1 - f_spin) * R_cont

2. **Flexible capacity** of provider p (average MW over the year)::

       F_p = flexible_share_p * availability_share_p * E_p / 8760 h,
       E_p(y) = E_p(base) * (1 + g_p) ** (y - base_year)

   Provider p may carry product k only if it offers it and qualifies (seed 002 eq. 1):
   response <= t1, duration >= t2 - t1, notice <= t3.

3. **Carried capacity**, products assigned in file order (regulation, spinning, non-spinning);
   retrofitted capacity ``tau * F_p`` is offered, the market admits at most ``lambda * R_k``::

       C_pk = O_pk * min(1, lambda * R_k / sum_p O_pk),   O_pk = q_pk * (tau * F_p - sum_{j<k} C_pj)

   so ``sum_p C_pk <= lambda * R_k <= R_k`` and ``sum_k C_pk <= tau * F_p <= F_p``.

4. **Displaced thermal reserve** ``D_k = h_k * sum_p C_pk`` (h_k: share of product k held on
   part-loaded thermal units) and the **CO2 saved**::

       CO2 = sum_k D_k * 8760 h * e_res - sum_p pi_p * (sum_k C_pk / flexible_share_p) * 8760 h * ci

   with the part-load penalty per MW of reserve held for one hour (t CO2 / MWh of reserve)::

       e_res = sum_f s_f * x_r/(1 - x_r) * (1/eta_rel,f(x_r) - 1/eta_rel,f(x_0)) * ef_f/eta_f

   Holding R MW of headroom at loading x_r commits ``R / (1 - x_r)`` MW of units, which produce
   ``R x_r / (1 - x_r)`` MW at the part-load efficiency ``eta_f * eta_rel,f(x_r)`` instead of
   ``eta_f * eta_rel,f(x_0)`` (S2: "thermal generators keep running smoothly"); ``eta_rel`` is a
   sourced part-load curve, interpolated linearly; ``ef_f`` is t CO2 per MWh of fuel heat. The
   second term charges extra smelter electricity (share ``pi_p`` of the participating load,
   valued at the grid intensity ``ci``); it is zero by default (regulation is energy-neutral over
   the day, seed 002 eq. 3; cement mills make up the shed energy, eq. 2).

Not modelled (each would raise the benefit): extra fuel of ramping units that follow AGC, start-up
fuel, and renewable curtailment avoided (seed 002 §2.3 item 2).
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem, raise_if_problems

DEFAULT_TOML = Path(__file__).with_name("data") / "ancillary_benefit.toml"
"""The national China default (2013 base year) with the source of every value."""

H_PER_YR = 8760.0
"""Hours per year (non-leap year)."""

PRODUCTS = ("regulation", "spinning", "non_spinning")
"""AS products with a requirement rule, in the order providers are assigned to them."""

# ---------------------------------------------------------------------------------------------
# Parameter schema: (unit, kind, lower, upper, lower_open). kind: "float", "int", "str",
# "floats" (list of numbers), "products" (list of product names).
_REGION = {
    "name": ("-", "str", None, None, False),
    "base_year": ("year", "int", 1900, 2200, False),
    "first_year": ("year", "int", 1900, 2200, False),
    "last_year": ("year", "int", 1900, 2200, False),
    "load_twh": ("TWh/yr", "float", 0.0, None, True),
    "load_growth_per_yr": ("1/yr", "float", -0.5, 1.0, False),
    "load_factor": ("pu", "float", 0.0, 1.0, True),
}
_REQUIREMENT = {
    "regulation_share_of_peak": ("pu of peak load", "float", 0.0, 1.0, False),
    "contingency_share_of_peak": ("pu of peak load", "float", 0.0, 1.0, False),
    "largest_unit_mw": ("MW", "float", 0.0, None, False),
    "spinning_share_of_contingency": ("pu", "float", 0.0, 1.0, False),
}
_PRODUCT = {
    "max_response_s": ("s", "float", 0.0, None, True),
    "min_duration_h": ("h", "float", 0.0, None, False),
    "max_notice_h": ("h", "float", 0.0, None, False),
    "on_part_loaded_thermal_share": ("pu", "float", 0.0, 1.0, False),
}
_PROVIDER = {
    "energy_twh": ("TWh/yr", "float", 0.0, None, False),
    "specific_energy_kwh_per_t": ("kWh/t", "float", 0.0, None, True),
    "growth_per_yr": ("1/yr", "float", -0.5, 1.0, False),
    "flexible_share": ("pu of mean load", "float", 0.0, 1.0, False),
    "products": ("-", "products", None, None, False),
    "response_s": ("s", "float", 0.0, None, False),
    "duration_h": ("h", "float", 0.0, None, False),
    "notice_h": ("h", "float", 0.0, None, False),
    "availability_share": ("pu of hours", "float", 0.0, 1.0, False),
    "energy_penalty_share": ("pu of participating energy", "float", 0.0, 1.0, False),
}
_THERMAL = {
    "reserve_loading_pu": ("pu of rated", "float", 0.0, 1.0, True),
    "reference_loading_pu": ("pu of rated", "float", 0.0, 1.0, True),
}
_FUEL = {
    "share": ("pu of thermal reserve", "float", 0.0, 1.0, False),
    "efficiency": ("pu (rated, net)", "float", 0.0, 1.0, True),
    "co2_t_per_mwh_th": ("t CO2/MWh_th", "float", 0.0, None, False),
    "part_load_pu": ("pu of rated", "floats", 0.0, 1.0, True),
    "part_load_rel_efficiency": ("pu of rated efficiency", "floats", 0.0, 1.5, True),
}
_GRID = {"ci_t_per_mwh": ("t CO2/MWh", "float", 0.0, None, False)}
_SCAN = {
    "tau": ("pu", "floats", 0.0, 1.0, False),
    "lambda": ("pu", "floats", 0.0, 1.0, False),
}


@dataclass(frozen=True)
class AncillaryParams:
    """Validated inputs of the province-scale benefit (see the module docstring for symbols).

    Attributes
    ----------
    raw : dict
        The merged parameter tree (defaults overridden by a user file), without ``sources``.
    sources : dict
        ``"section.key" -> source`` for every leaf parameter ("user file ..." when overridden).
    units : dict
        ``"section.key" -> unit`` for every leaf parameter.
    """

    raw: dict
    sources: dict
    units: dict
    providers: tuple[str, ...] = field(init=False)
    fuels: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "providers", tuple(self.raw["providers"]))
        object.__setattr__(self, "fuels", tuple(self.raw["thermal"]["fuels"]))


# ---------------------------------------------------------------------------------------------
# Loading and validation


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_value(where: str, v, spec) -> list[Problem]:
    unit, kind, lo, hi, lo_open = spec
    if kind == "str":
        return [] if isinstance(v, str) else [Problem(where, f"must be text, got {v!r}")]
    if kind == "products":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return [Problem(where, f"must be a list of product names, got {v!r}")]
        bad = [x for x in v if x not in PRODUCTS]
        if bad:
            return [Problem(where, f"unknown product(s) {bad}; known: {list(PRODUCTS)}")]
        return []
    values = v if kind == "floats" else [v]
    if kind == "floats" and (not isinstance(v, list) or not v):
        return [Problem(where, f"must be a non-empty list of numbers, got {v!r}")]
    if kind == "int" and not (isinstance(v, int) and not isinstance(v, bool)):
        return [Problem(where, f"must be an integer ({unit}), got {v!r}")]
    if not all(_is_number(x) for x in values):
        return [Problem(where, f"must be a number ({unit}), got {v!r}")]
    probs = []
    for x in values:
        if not math.isfinite(x):
            probs.append(Problem(where, f"must be finite, got {x!r}"))
        elif lo is not None and (x <= lo if lo_open else x < lo):
            rel = ">" if lo_open else ">="
            word = "negative" if lo == 0.0 and not lo_open and x < 0 else "out of range"
            probs.append(Problem(where, f"{x!r} is {word}: must be {rel} {lo:g} ({unit})"))
        elif hi is not None and x > hi:
            probs.append(Problem(where, f"{x!r} is out of range: must be <= {hi:g} ({unit})"))
    return probs


def _check_table(where: str, table, schema: dict, required: bool) -> list[Problem]:
    if not isinstance(table, dict):
        return [Problem(where, f"must be a table, got {table!r}")]
    probs = [
        Problem(f"{where}.{k}", f"unknown key; known keys: {sorted(schema)}")
        for k in table
        if k not in schema
    ]
    for k, spec in schema.items():
        if k in table:
            probs += _check_value(f"{where}.{k}", table[k], spec)
        elif required:
            probs.append(Problem(f"{where}.{k}", f"missing ({spec[0]})"))
    return probs


_SECTIONS = {
    "region": _REGION,
    "requirement": _REQUIREMENT,
    "grid": _GRID,
    "scan": _SCAN,
}
_NESTED = {"products", "providers", "thermal", "sources"}


def _validate_user(user: dict, defaults: dict, where: str) -> list[Problem]:
    """Problems of a user file before merging: unknown keys, bad types and ranges."""
    probs = []
    for k, v in user.items():
        if k in _SECTIONS:
            probs += _check_table(f"{where}[{k}]", v, _SECTIONS[k], required=False)
        elif k in _NESTED:
            if not isinstance(v, dict):
                probs.append(Problem(f"{where}[{k}]", "must be a table"))
        else:
            known = sorted(set(_SECTIONS) | _NESTED)
            probs.append(Problem(f"{where}[{k}]", f"unknown section; known: {known}"))
    for name, tab in (user.get("products") or {}).items():
        if name not in PRODUCTS:
            probs.append(Problem(f"{where}[products.{name}]", f"unknown product; known {PRODUCTS}"))
        else:
            probs += _check_table(f"{where}[products.{name}]", tab, _PRODUCT, required=False)
    for name, tab in (user.get("providers") or {}).items():
        new = name not in defaults["providers"]
        probs += _check_table(f"{where}[providers.{name}]", tab, _PROVIDER, required=new)
    th = user.get("thermal") or {}
    if isinstance(th, dict):
        top = {k: v for k, v in th.items() if k != "fuels"}
        probs += _check_table(f"{where}[thermal]", top, _THERMAL, required=False)
        for name, tab in (th.get("fuels") or {}).items():
            new = name not in defaults["thermal"]["fuels"]
            probs += _check_table(f"{where}[thermal.fuels.{name}]", tab, _FUEL, required=new)
    src = user.get("sources") or {}
    if isinstance(src, dict):
        for k, v in src.items():
            if not isinstance(v, str):
                probs.append(Problem(f"{where}[sources].{k}", "a source must be text"))
    return probs


def _validate_merged(p: dict, where: str) -> list[Problem]:
    """Cross-field checks on the merged tree."""
    probs = []
    r = p["region"]
    if r["first_year"] > r["last_year"]:
        probs.append(
            Problem(
                f"{where}[region]", f"first_year {r['first_year']} > last_year {r['last_year']}"
            )
        )
    th = p["thermal"]
    xr, x0 = th["reserve_loading_pu"], th["reference_loading_pu"]
    if _is_number(xr) and _is_number(x0) and xr > x0:
        probs.append(
            Problem(
                f"{where}[thermal]",
                f"reserve_loading_pu {xr} > reference_loading_pu {x0}: units holding headroom "
                "run at a lower loading than without it",
            )
        )
    shares = [f.get("share") for f in th["fuels"].values()]
    if all(_is_number(s) for s in shares) and sum(shares) > 1 + 1e-9:
        probs.append(
            Problem(
                f"{where}[thermal.fuels]",
                f"shares sum to {sum(shares):g} > 1 (the rest is "
                "reserve held by non-emitting units)",
            )
        )
    for name, f in th["fuels"].items():
        xs, es = f.get("part_load_pu"), f.get("part_load_rel_efficiency")
        w = f"{where}[thermal.fuels.{name}]"
        if not (isinstance(xs, list) and isinstance(es, list)):
            continue
        if len(xs) != len(es) or len(xs) < 2:
            probs.append(
                Problem(
                    w,
                    "part_load_pu and part_load_rel_efficiency need the same length (>= 2 points)",
                )
            )
            continue
        if not all(_is_number(x) for x in xs + es):
            continue
        if np.any(np.diff(xs) <= 0):
            probs.append(Problem(w, "part_load_pu must increase strictly"))
        elif _is_number(xr) and _is_number(x0) and (xr < xs[0] or x0 > xs[-1]):
            probs.append(
                Problem(
                    w,
                    f"the curve covers loadings {xs[0]:g}-{xs[-1]:g} pu; the reserve and "
                    f"reference loadings {xr:g}, {x0:g} must lie inside (no extrapolation)",
                )
            )
    return probs


def _leaves(tree: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in tree.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_leaves(v, path + "."))
        else:
            out[path] = v
    return out


def _unit_of(path: str) -> str:
    parts = path.split(".")
    table = {
        "region": _REGION,
        "requirement": _REQUIREMENT,
        "grid": _GRID,
        "scan": _SCAN,
        "products": _PRODUCT,
        "providers": _PROVIDER,
    }.get(parts[0])
    if parts[0] == "thermal":
        table = _FUEL if parts[1] == "fuels" else _THERMAL
    spec = (table or {}).get(parts[-1])
    return spec[0] if spec else "-"


def load_params(path: str | Path | None = None) -> AncillaryParams:
    """Read the default parameters, overridden by a user TOML file.

    Parameters
    ----------
    path : path-like, optional
        A TOML file with any subset of the sections of ``data/ancillary_benefit.toml``. Keys it
        sets override the defaults; a new provider or fuel must give every key.

    Returns
    -------
    AncillaryParams

    Raises
    ------
    InputError
        Listing every problem: unreadable file, unknown section or key, wrong type, negative or
        out-of-range value (a factor tau or lambda above 1), inconsistent years or curves.
    """
    defaults = tomllib.loads(DEFAULT_TOML.read_text())
    def_sources = defaults.pop("sources")
    user: dict = {}
    where = "defaults"
    if path is not None:
        where = str(path)
        try:
            user = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise InputError([Problem(where, "file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(where, f"cannot read: {exc}")]) from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError([Problem(where, f"not valid TOML: {exc}")]) from None
    probs = _validate_user(user, defaults, where)
    raise_if_problems(probs, "invalid ancillary-benefit parameters")
    user_sources = user.pop("sources", {}) or {}
    merged = _deep_merge(defaults, user)
    raise_if_problems(_validate_merged(merged, where), "invalid ancillary-benefit parameters")
    leaves = _leaves(merged)
    user_leaves = _leaves(user)
    sources, units = {}, {}
    for k in leaves:
        if k in user_sources:
            sources[k] = user_sources[k]
        elif k in user_leaves:
            sources[k] = f"user file {where}"
        else:
            sources[k] = def_sources.get(k, "-")
        units[k] = _unit_of(k)
    return AncillaryParams(raw=merged, sources=sources, units=units)


# ---------------------------------------------------------------------------------------------
# Computation


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
    load_twh = reg["load_twh"] * (1.0 + reg["load_growth_per_yr"]) ** dy  # (Y,)
    peak_mw = load_twh * 1e6 / H_PER_YR / reg["load_factor"]
    cont_mw = np.maximum(req["contingency_share_of_peak"] * peak_mw, req["largest_unit_mw"])
    f_spin = req["spinning_share_of_contingency"]
    r_mw = np.stack(
        [req["regulation_share_of_peak"] * peak_mw, f_spin * cont_mw, (1 - f_spin) * cont_mw],
        axis=1,
    )  # (Y, K)

    prov = raw["providers"]
    pv = {k: np.array([p[k] for p in prov.values()], float) for k in _PROVIDER if k != "products"}
    e_p_twh = pv["energy_twh"][None, :] * (1.0 + pv["growth_per_yr"][None, :]) ** dy[:, None]
    flex_mw = pv["flexible_share"] * pv["availability_share"] * e_p_twh * 1e6 / H_PER_YR  # (Y,P)
    qual, refusals = _qualification(params)

    # (Y, A, B, P) retrofitted capacity still free; products assigned in order
    rem = tau[None, :, None, None] * flex_mw[:, None, None, :]
    rem = np.broadcast_to(rem, (len(years), len(tau), len(lam), len(prov))).copy()
    carried = np.zeros((*rem.shape, len(PRODUCTS)))
    for k in range(len(PRODUCTS)):
        offer = rem * qual[None, None, None, :, k]
        cap = lam[None, None, :] * r_mw[:, None, None, k]
        tot = offer.sum(axis=-1)
        scale = np.divide(cap, tot, out=np.zeros_like(tot), where=tot > 0)
        carried[..., k] = offer * np.minimum(1.0, scale)[..., None]
        rem = rem - carried[..., k]

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


# ---------------------------------------------------------------------------------------------
# Figure and files


def plot(result: AncillaryResult, pairs=None):
    """Figure: CO2 saved vs year for several (tau, lambda); tau x lambda map; part-load penalty.

    Parameters
    ----------
    result : AncillaryResult
    pairs : sequence of (tau, lambda), optional
        Curves of panel (a); default: tau = lambda for every value present in both scans.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    t = result.table
    taus, lams = sorted(set(t["tau"])), sorted(set(t["lambda"]))
    if pairs is None:
        pairs = [(v, v) for v in taus if v in lams and v > 0]
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.3), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    ax = axes[0]
    cmap = plt.get_cmap("viridis")
    for i, (a, b) in enumerate(pairs):
        s = t[(t["tau"] == a) & (t["lambda"] == b)]
        ax.plot(
            s["year"],
            s["co2_saved_t_per_yr"] / 1e6,
            marker="o",
            ms=3,
            color=cmap(i / max(len(pairs) - 1, 1) * 0.9),
            label=f"τ = {a:g}, λ = {b:g}",
        )
    ax.set_xlabel("year")
    ax.set_ylabel("CO$_2$ saved (Mt/yr)")
    ax.set_title("(a) CO$_2$ saved by industrial AS", fontsize=10)
    ax.grid(alpha=0.3)
    top = t["co2_saved_t_per_yr"].max() / 1e6
    ax.set_ylim(0, 1.45 * top if top > 0 else 1.0)
    ax.legend(fontsize=7.5, frameon=False, ncol=2, loc="upper left")
    ax.xaxis.get_major_locator().set_params(integer=True)

    ax = axes[1]
    y1 = t["year"].max()
    grid = (
        t[t["year"] == y1].pivot(index="lambda", columns="tau", values="co2_saved_t_per_yr") / 1e6
    )
    im = ax.imshow(grid.values, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(grid.columns)), [f"{v:g}" for v in grid.columns], fontsize=8)
    ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index], fontsize=8)
    ax.set_xlabel("transforming factor τ")
    ax.set_ylabel("penetration factor λ")
    ax.set_title(f"(b) CO$_2$ saved in {y1} (Mt/yr)", fontsize=10)
    vmax = np.nanmax(grid.values)
    for (i, j), v in np.ndenumerate(grid.values):
        ax.text(
            j,
            i,
            f"{v:.1f}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v < 0.6 * vmax else "black",
        )
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)

    ax = axes[2]
    th = result.params.raw["thermal"]
    lo = max(f["part_load_pu"][0] for f in th["fuels"].values())  # no extrapolation
    xs = np.linspace(lo, th["reference_loading_pu"] - 1e-6, 60)
    ax.plot(xs, reserve_penalty_t_per_mwh(result.params, xs) * 1e3, color="0.2")
    xr = th["reserve_loading_pu"]
    e = result.summary["reserve_penalty_t_per_mwh"]
    ax.plot([xr], [e * 1e3], "o", color="C3", label=f"default x$_r$ = {xr:g}: {e * 1e3:.1f} kg")
    ax.set_xlabel("loading of reserve-holding units x$_r$ (pu)")
    ax.set_ylabel("kg CO$_2$ per MW of reserve per hour")
    ax.set_title(f"(c) part-load penalty (x$_0$ = {th['reference_loading_pu']:g})", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)

    fig.suptitle(
        f"{result.summary['region']}: ancillary services from aluminium and cement, "
        "seed 002 method — ASSUMPTION-BASED ESTIMATE",
        fontsize=11,
    )
    fig.text(
        0.5,
        0.01,
        "Assumptions (sources in assumptions.csv): AS requirement from peak load (regulation "
        f"{result.params.raw['requirement']['regulation_share_of_peak']:.0%}, contingency "
        f"{result.params.raw['requirement']['contingency_share_of_peak']:.0%}); load factor "
        f"{result.params.raw['region']['load_factor']:g}; all AS held on part-loaded thermal "
        "units in S1; ramping and start-up fuel not counted.",
        ha="center",
        fontsize=7.5,
        style="italic",
        color="0.3",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return fig


def write_result(result: AncillaryResult, out) -> Path:
    """Write table.csv, carried.csv, assumptions.csv, summary.json and the figure to ``out``.

    The folder is written atomically through :func:`fdn_alu.output.write_dir_atomic` (only an
    absent folder or an earlier fdn_alu result is replaced).
    """
    from ..output import write_dir_atomic

    def fill(tmp: Path):
        result.table.to_csv(tmp / "table.csv", index=False)
        result.carried.to_csv(tmp / "carried.csv", index=False)
        result.assumptions.to_csv(tmp / "assumptions.csv", index=False)
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=1) + "\n")
        fig = plot(result)
        fig.savefig(tmp / "co2_saved.png", dpi=150)
        import matplotlib.pyplot as plt

        plt.close(fig)

    return write_dir_atomic(out, fill, kind="ancillary-benefit")
