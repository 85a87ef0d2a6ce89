"""Settings of the aluminium park (``[park]`` with ``[[park.potline]]``, ``[park.pv]``,
``[park.gas_turbine]``, ``[park.battery]``) and their cross-field rules.

Sources of the defaults: bath window 950-970 deg C (seed 001), rated/initial 960 (our choice:
mid-window); eta_N 0.94, ramp 20 %/h, 10 adjustments/day, current range 0.9-1.1 x rated
(shen-y21 EAL model; the built-in cases use its 0.7-1.1); a = 0.0015 /K (the paper's 1.5 % read
per 10 K, MODEL.md section 5); K_Al 0.3356 kg/(kA h) (Faraday).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from fdn_alu.components import battery_settings
from fdn_alu.core.schema import (
    NUM,
    REQUIRED,
    Field,
    fraction,
    non_negative,
    one_of,
    positive,
    validate_section,
)
from fdn_alu.errors import Problem

POTLINE: dict[str, Field] = {
    "name": Field(str, REQUIRED, "", "potline name"),
    "cells": Field(int, REQUIRED, "", "cells in series, N_n of eq. (1)", "", positive),
    "i_rated_ka": Field(NUM, REQUIRED, "kA", "rated line current I_N", "", positive),
    "r_cell_uohm": Field(
        NUM, REQUIRED, "uOhm", "equivalent resistance per cell, R of eq. (1)", "", positive
    ),
    "e_cell_v": Field(NUM, REQUIRED, "V", "back-EMF per cell, E of eq. (1)", "", non_negative),
    "i_min_frac": Field(NUM, 0.9, "", "lowest current, per unit of rated", "shen-y21", positive),
    "i_max_frac": Field(NUM, 1.1, "", "highest current, per unit of rated", "shen-y21", positive),
}

PARK: dict[str, Field] = {
    "bus": Field(int, REQUIRED, "", "point of common coupling (bus number)"),
    "thermal_model": Field(
        str,
        "paper",
        "",
        "thermal window (2): paper (as printed; its flexibility scales as 1/dt), "
        "quasi_static (the paper's relation with a fixed reference time thermal_tau_h: the "
        "same at every time step, recommended below 1 h) or heat_balance (lumped)",
        "seed 001; quasi_static and heat balance: our documented alternatives (docs/THERMAL.md)",
        one_of("paper", "quasi_static", "heat_balance"),
    ),
    "thermal_tau_h": Field(
        NUM,
        1.0,
        "h",
        "reference time tau of the quasi_static model: c m (T_t - T_(t-1)) = (P_t - P_(t-1)) tau",
        "the paper's own period (eq. 2 as printed at dt = 1 h)",
        positive,
    ),
    "heat_exchanger_frac": Field(
        NUM,
        0.0,
        "",
        "adjustable shell heat exchange per potline, share of its rated power (heat_balance "
        "model only): the heat the exchangers can hold back or take away",
        "seed 000 §2: EnPot exchangers, +/-30 % power at constant heat balance; 0: none",
        non_negative,
    ),
    "temp_min_c": Field(NUM, 950.0, "degC", "lowest bath temperature", "seed 001"),
    "temp_max_c": Field(NUM, 970.0, "degC", "highest bath temperature", "seed 001"),
    "temp_rated_c": Field(NUM, 960.0, "degC", "rated bath temperature T_N", "our choice: mid"),
    "temp_init_c": Field(NUM, 960.0, "degC", "bath temperature before period 0", "our choice"),
    "heat_capacity_mj_per_k_per_cell": Field(
        NUM, REQUIRED, "MJ/K", "heat capacity c_e m_e per cell", "shen-y21 (scaled)", positive
    ),
    "heat_loss_kw_per_k_per_cell": Field(
        NUM,
        REQUIRED,
        "kW/K",
        "extra heat loss per kelvin above rated, per cell",
        "shen-y21 thermal resistances (scaled)",
        non_negative,
    ),
    "eta_rated": Field(
        NUM, 0.94, "", "current efficiency at rated temperature, eta_N of (3)", "shen-y21", fraction
    ),
    "eta_temp_coeff_per_k": Field(
        NUM,
        0.0015,
        "1/K",
        "efficiency gain per kelvin colder, a of (3)",
        "seed 001's 1.5 % read per 10 K",
        non_negative,
    ),
    "k_al_kg_per_ka_h": Field(
        NUM, 0.3356, "kg/(kA h)", "electrochemical equivalent, K_Al of (3)", "Faraday", positive
    ),
    "ramp_frac_per_h": Field(
        NUM, 0.2, "1/h", "ramp limit per hour, per unit of rated power (A1)", "shen-y21", positive
    ),
    "max_adjustments": Field(
        int, 10, "1/day", "power adjustments per potline and day (A1)", "shen-y21", non_negative
    ),
    "production_target_t": Field(
        NUM,
        0.0,
        "t",
        "aluminium over the horizon, M_N of (3) (0: rated production)",
        "our choice: the rated day",
        non_negative,
    ),
    "running_cost_per_mwh": Field(
        NUM,
        0.0,
        "currency/MWh",
        "running cost c_Al of (17)",
        "our choice (the paper's is missing)",
        non_negative,
    ),
    "footprint_max_t_per_t": Field(
        NUM,
        0.0,
        "t CO2/t",
        "limit on the park's carbon footprint over the horizon per tonne of aluminium: its PCC "
        "draw at the consumption-based intensity of its bus plus its own generation's direct "
        "emissions (0: none)",
        "our choice: off; labels of low-carbon metal use 4 t CO2/t (docs/CARBON.md)",
        non_negative,
    ),
    "pcc_max_mw": Field(NUM, 0.0, "MW", "PCC draw limit (0: none)", "our choice", non_negative),
    "pcc_pf": Field(NUM, 1.0, "", "power factor of the PCC draw (lagging)", "our choice", fraction),
    "regulation_band_frac": Field(
        NUM,
        0.1,
        "",
        "largest symmetric regulation band of a potline, per unit of its rated power (used "
        "only with [reserves])",
        "seed 000 table 1: +-10-15 % by anode-cathode voltage (lower end); Alcoa: 70 MW of "
        "regulation from a ~600 MW smelter (DOE workshop 2011)",
        non_negative,
    ),
    "reserve_production_tol": Field(
        NUM,
        0.005,
        "",
        "largest shortfall of the horizon's production a worst-case reserve call may cause, "
        "per unit of the target (used only with [reserves])",
        "our choice (check): one hour of the full 10 % band is 0.42 % of a day's metal; "
        "smelters hold monthly, not hourly, metal targets",
        fraction,
    ),
}

PARK_PV: dict[str, Field] = {
    "p_mw": Field(NUM, REQUIRED, "MW", "installed park PV", "", non_negative),
    "profile": Field(str, "pv_pu", "", "profile column of availability per unit of p_mw"),
}

GAS_TURBINE: dict[str, Field] = {
    "p_min_mw": Field(NUM, 0.0, "MW", "lowest output", "our choice", non_negative),
    "p_max_mw": Field(NUM, REQUIRED, "MW", "highest output", "", non_negative),
    "ramp_mw_per_h": Field(NUM, REQUIRED, "MW/h", "ramp limit", "", positive),
    "cost_per_mwh": Field(NUM, REQUIRED, "currency/MWh", "fuel cost, eq. (14)", "", non_negative),
    "ci_kg_per_mwh": Field(NUM, REQUIRED, "kg/MWh", "emission intensity e_MT", "", non_negative),
    "part_load_pu": Field(
        list,
        [],
        "pu of p_max_mw",
        "output points of the part-load efficiency curve ([] = constant efficiency, no "
        "commitment); with a curve the turbine is on or off and burns no-load fuel when on",
        "our choice: off by default (the paper's linear (14))",
    ),
    "part_load_rel_efficiency": Field(
        list,
        [],
        "pu of rated efficiency",
        "electrical efficiency at those points relative to rated (cost_per_mwh and "
        "ci_kg_per_mwh hold at rated output)",
        "built-in --reserves settings: our choice (check), the falling part-load efficiency of "
        "recuperated micro-turbines (Capstone C30/C60 technical references 410004/410005)",
    ),
}

SUBTABLES = {"pv": PARK_PV, "gas_turbine": GAS_TURBINE, "battery": battery_settings.SCHEMA}


def validate_park(raw: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    """Validated ``[park]`` settings (potlines under ``potlines``), every problem appended."""
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table", "park"))
        return {}
    raw = {("potline" if k == "potlines" else k): v for k, v in raw.items()}
    park = validate_section(
        {k: v for k, v in raw.items() if k not in SUBTABLES and k != "potline"},
        PARK,
        where,
        problems,
        section="park",
    )
    lines = raw.get("potline", [])
    if not isinstance(lines, list) or not lines:
        problems.append(
            Problem(
                f"{where}.potline", "at least one [[park.potline]] is required", "park", "potline"
            )
        )
        lines = []
    park["potlines"] = [
        validate_section(
            item,
            POTLINE,
            f"{where} [[park.potline]] #{k + 1}",
            problems,
            section="park.potline",
            element=k + 1,
        )
        for k, item in enumerate(lines)
    ]
    for k, line in enumerate(park["potlines"]):
        lo, hi = line.get("i_min_frac"), line.get("i_max_frac")
        if lo is not None and hi is not None and not lo <= 1.0 <= hi:
            problems.append(
                Problem(
                    f"{where} [[park.potline]] #{k + 1}",
                    f"need i_min_frac <= 1 <= i_max_frac (got {lo}, {hi})",
                    "park.potline",
                    "i_min_frac",
                    k + 1,
                )
            )
    for sub, schema in SUBTABLES.items():
        if sub in raw:
            park[sub] = validate_section(
                raw[sub], schema, f"{where}.{sub}", problems, section=f"park.{sub}"
            )
    if "battery" in park:
        battery_settings.check_battery(
            park["battery"], f"{where}.battery", "park.battery", problems
        )
    gt = park.get("gas_turbine", {})
    if gt.get("p_min_mw") is not None and gt.get("p_max_mw") is not None:
        if gt["p_min_mw"] > gt["p_max_mw"]:
            problems.append(
                Problem(
                    f"{where}.gas_turbine.p_min_mw",
                    f"{gt['p_min_mw']} above p_max_mw {gt['p_max_mw']}",
                    "park.gas_turbine",
                    "p_min_mw",
                )
            )
    if park.get("heat_exchanger_frac", 0) > 0 and park.get("thermal_model") == "paper":
        problems.append(
            Problem(
                f"{where}.heat_exchanger_frac",
                "needs thermal_model = heat_balance (the paper's window has no heat-loss term)",
                "park",
                "heat_exchanger_frac",
            )
        )
    problems += part_load_problems(gt, f"{where}.gas_turbine")
    tmin, tmax = park.get("temp_min_c"), park.get("temp_max_c")
    for key in ("temp_rated_c", "temp_init_c"):
        v = park.get(key)
        if None not in (tmin, tmax, v) and not tmin <= v <= tmax:
            problems.append(Problem(f"{where}.{key}", f"{v} outside [{tmin}, {tmax}]", "park", key))
    if None not in (tmin, tmax) and tmin >= tmax:
        problems.append(
            Problem(f"{where}.temp_min_c", "must be below temp_max_c", "park", "temp_min_c")
        )
    return park


def part_load_problems(gt: dict, where: str) -> list[Problem]:
    """A part-load curve: equal lengths, rising points in (0, 1] ending at 1, efficiencies in
    (0, 1.5], and a convex fuel curve x / eta_rel(x) (non-decreasing slopes)."""
    x, e = gt.get("part_load_pu") or [], gt.get("part_load_rel_efficiency") or []
    if not x and not e:
        return []

    def bad(msg: str) -> list[Problem]:
        return [Problem(f"{where}.part_load_pu", msg, "park.gas_turbine", "part_load_pu")]

    if len(x) != len(e) or len(x) < 2:
        return bad("part_load_pu and part_load_rel_efficiency need equal lengths >= 2")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in [*x, *e]):
        return bad("points and efficiencies must be numbers")
    if not (all(0 < a < b for a, b in pairwise(x)) and x[-1] == 1.0):
        return bad(f"points must rise within (0, 1] and end at 1 (got {x})")
    if not all(0 < v <= 1.5 for v in e):
        return bad(f"relative efficiencies must be in (0, 1.5] (got {e})")
    fuel = [a / b for a, b in zip(x, e, strict=True)]
    slopes = [
        (f2 - f1) / (x2 - x1) for f1, f2, x1, x2 in zip(fuel, fuel[1:], x, x[1:], strict=False)
    ]
    if any(s2 < s1 - 1e-12 for s1, s2 in pairwise(slopes)):
        return bad(f"fuel x / eta_rel(x) must be convex (slopes {slopes} must not fall)")
    if fuel[0] - slopes[0] * x[0] < 0:
        return bad("the fuel curve extended to zero output must not be negative")
    return []
