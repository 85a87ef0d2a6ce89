"""Inputs of the province-scale ancillary-service benefit: the parameter schema, the validated
:class:`AncillaryParams` and :func:`load_params` (defaults from ``data/ancillary_benefit.toml``,
overridden by a user file; every problem reported at once). The method is described in
:mod:`fdn_alu.studies.ancillary.benefit`.
"""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fdn_alu.errors import InputError, Problem, raise_if_problems
from fdn_alu.studies.ancillary.region import LOAD_SHAPES, provinces

DEFAULT_TOML = Path(__file__).parents[1] / "data" / "ancillary_benefit.toml"
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
    "scope": ("-", "str", None, None, False),
    "load_shape": ("-", "str", None, None, False),
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
    if r.get("load_shape") not in LOAD_SHAPES:
        probs.append(
            Problem(
                f"{where}[region].load_shape",
                f"{r.get('load_shape')!r} is not one of {', '.join(LOAD_SHAPES)}",
            )
        )
    scopes = ["national", *provinces()]
    if r.get("scope") not in scopes:
        probs.append(
            Problem(
                f"{where}[region].scope",
                f"{r.get('scope')!r} is not 'national' or a province of the hourly data "
                f"({', '.join(scopes[1:])})",
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


def override(params: AncillaryParams, values: dict, source: str) -> AncillaryParams:
    """``params`` with some leaves replaced (``{"section.key": value}``), checked again.

    Raises
    ------
    InputError
        Listing every problem of the new values (unknown leaf, out-of-range value).
    """
    raw = copy.deepcopy(params.raw)
    probs = []
    for path, value in values.items():
        *head, leaf = path.split(".")
        node = raw
        for part in head:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            probs.append(Problem(path, "unknown parameter"))
            continue
        node[leaf] = value
    raise_if_problems(probs, "invalid ancillary-benefit parameters")
    raise_if_problems(_validate_merged(raw, source), "invalid ancillary-benefit parameters")
    sources = {**params.sources, **{k: source for k in values}}
    return AncillaryParams(raw=raw, sources=sources, units=params.units)
