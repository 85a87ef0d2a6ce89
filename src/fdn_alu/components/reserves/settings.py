"""Settings of the reserve products (``[reserves]`` with one subtable per product and optional
``[reserves.provider.NAME]`` overrides of a provider's declared qualification).

Product qualification after eq. (1) of seed 002: a provider qualifies for a product when its
response time <= t1 (``max_response_s``), its sustained duration >= t2 - t1
(``min_duration_h``) and its advance notice <= t3 (``max_notice_h``).
"""

from __future__ import annotations

from typing import Any

from fdn_alu.core.schema import NUM, Field, non_negative, validate_section
from fdn_alu.errors import Problem

PRODUCTS = ("regulation_up", "regulation_down", "spinning", "non_spinning")
"""Reserve products; all but ``regulation_down`` raise the providers' net injection."""
UP_PRODUCTS = ("regulation_up", "spinning", "non_spinning")
DOWN_PRODUCTS = ("regulation_down",)

# Sources of the product defaults (quoted in every field).
_REG = (
    "AGC set-points every 4 s; full response within 30 s (our choice, as "
    "studies/data/ancillary_benefit.toml)"
)
_TEN_MIN = "common market definition: fully available within 10 min (PARAMETERS.md)"
_TWO_H = "common market definition: sustained for at least 2 h (PARAMETERS.md)"
_LOAD_REG = "EWITS (NREL 2010) '3 + 5' rule: 3 % of load + 5 % of wind/PV output"
_CONT = (
    "WECC/NWPP: contingency reserve 3 % of load + 3 % of generation, at least half spinning; "
    "our reading: 3 % of load each for spinning and non-spinning"
)
_PRICE = (
    "our choice (check): order of US ISO average reserve prices (regulation ~US$20, spinning "
    "~US$7, non-spinning ~US$3 per MW-h) at 7 CNY/US$"
)
_CI = (
    "studies/ancillary/compute.py reserve_penalty_t_per_mwh: part-load fuel of thermal units "
    "holding reserve upstream (coal 95 %, gas 5 %, loading 0.75 vs 0.90) = 31.0 kg/MW-h"
)


def _product(
    reg: bool,
    load_share: float,
    pv_share: float,
    price: float,
    notice_h: float,
    notice_src: str,
    ci: float = 31.0,
    ci_src: str = _CI,
) -> dict[str, Field]:
    return {
        "mw": Field(NUM, 0.0, "MW", "constant requirement", "our choice: none", non_negative),
        "profile": Field(str, "", "", "profile column of a requirement in MW, added ('' = none)"),
        "load_share": Field(
            NUM,
            load_share,
            "",
            "requirement per MW of feeder load (bus loads)",
            _LOAD_REG if reg else _CONT,
            non_negative,
        ),
        "pv_share": Field(
            NUM,
            pv_share,
            "",
            "requirement per MW of available feeder PV",
            _LOAD_REG if reg else "our choice: PV counted in the regulation requirement only",
            non_negative,
        ),
        "allow_purchase": Field(bool, True, "", "the product may be bought upstream"),
        "purchase_price_per_mwh": Field(
            NUM, price, "currency/(MW h)", "price of reserve bought upstream", _PRICE, non_negative
        ),
        "purchase_ci_kg_per_mwh": Field(
            NUM,
            ci,
            "kg/(MW h)",
            "CO2 of reserve bought upstream, per MW held for one hour (no energy)",
            ci_src,
            non_negative,
        ),
        "max_response_s": Field(
            NUM,
            30.0 if reg else 600.0,
            "s",
            "t1 of eq. (1): slowest accepted response",
            _REG if reg else _TEN_MIN,
            non_negative,
        ),
        "min_duration_h": Field(
            NUM,
            1.0 if reg else 2.0,
            "h",
            "t2 - t1 of eq. (1): shortest accepted duration, and the length of a call: every "
            "offer stays within its limits for a call this long starting in any period",
            "our choice: one dispatch hour (signals reverse within minutes)" if reg else _TWO_H,
            non_negative,
        ),
        "max_notice_h": Field(
            NUM,
            notice_h,
            "h",
            "t3 of eq. (1): longest accepted advance notice",
            notice_src,
            non_negative,
        ),
    }


_AUTO = "our choice: automatic (AGC) or unannounced contingency response, no advance notice"
PRODUCT_SCHEMAS: dict[str, dict[str, Field]] = {
    "regulation_up": _product(True, 0.03, 0.05, 140.0, 0.0, _AUTO),
    "regulation_down": _product(True, 0.03, 0.05, 140.0, 0.0, _AUTO),
    "spinning": _product(False, 0.03, 0.0, 50.0, 0.0, _AUTO),
    "non_spinning": _product(
        False,
        0.03,
        0.0,
        20.0,
        4.0,
        "seed 002 §2.1: responsive (industrial) loads with 2-4 h notice may supply non-spinning "
        "reserve (upper end)",
        0.0,
        "seed 002 §2.1: non-spinning reserve is held by off-line units that start when called, "
        "so holding it burns no part-load fuel; the part-load alternative: 31.0 (" + _CI + ")",
    ),
}

RESERVES: dict[str, Field] = {
    "admit": Field(
        list,
        ["all"],
        "",
        "providers admitted to the reserve market: ['all'] or provider names "
        "(e.g. ['gas_turbine'] for seed 002's scenario 1)",
        "our choice: seed 002 scenario 2 (every qualified provider)",
    ),
}

PROVIDER: dict[str, Field] = {
    "products": Field(list, None, "", "products the provider offers (default: its own)"),
    "response_s": Field(
        NUM, None, "s", "response time", "default: the provider's declaration", non_negative
    ),
    "duration_h": Field(
        NUM,
        None,
        "h",
        "longest sustained response",
        "default: the provider's declaration",
        non_negative,
    ),
    "notice_h": Field(
        NUM, None, "h", "advance notice", "default: the provider's declaration", non_negative
    ),
}


def validate_reserves(raw: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    """Validated ``[reserves]``: top-level keys, every product (defaults filled) under
    ``products``, provider overrides under ``provider``; every problem appended."""
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table", "reserves"))
        return {}
    if isinstance(raw.get("products"), dict):  # already validated (Case.with_settings)
        raw = {**{k: v for k, v in raw.items() if k != "products"}, **raw["products"]}
    top = {k: v for k, v in raw.items() if k not in PRODUCT_SCHEMAS and k != "provider"}
    out = validate_section(top, RESERVES, where, problems, section="reserves")
    for k, name in enumerate(out.get("admit", [])):
        if not isinstance(name, str):
            problems.append(
                Problem(
                    f"{where}.admit", f"entry {k + 1} is not a name: {name!r}", "reserves", "admit"
                )
            )
    out["products"] = {
        p: validate_section(
            raw.get(p, {}), schema, f"{where}.{p}", problems, section=f"reserves.{p}"
        )
        for p, schema in PRODUCT_SCHEMAS.items()
    }
    prov = raw.get("provider", {})
    if not isinstance(prov, dict):
        problems.append(Problem(f"{where}.provider", "must be a table of providers", "reserves"))
        prov = {}
    out["provider"] = {}
    for name, table in prov.items():
        v = validate_section(
            table,
            PROVIDER,
            f"{where}.provider.{name}",
            problems,
            section="reserves.provider",
            element=name,
        )
        for p in v.get("products") or []:
            if p not in PRODUCTS:
                problems.append(
                    Problem(
                        f"{where}.provider.{name}.products",
                        f"unknown product {p!r} (allowed: {', '.join(PRODUCTS)})",
                        "reserves.provider",
                        "products",
                        name,
                    )
                )
        out["provider"][name] = v
    return out
