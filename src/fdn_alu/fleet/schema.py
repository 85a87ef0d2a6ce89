"""Fleet settings schema: every key of a fleet TOML file with its unit, default, description and
the source of the default (:data:`SCHEMA`, :data:`REGION_FIELDS`, :data:`CAPACITY_FIELDS`), and
:func:`schema_text`, which renders it for ``fdn-alu season --help`` and docs/FLEET.md. Validation
against it lives in :mod:`fdn_alu.fleet.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STRATEGIES = ("rigid", "modulation", "batch", "full")
"""Operating strategies compared by ``fdn-alu season`` (restrictions of the full model)."""
STRATEGY_LABELS = {
    "rigid": "rigid (constant load, no stops)",
    "modulation": "modulation only (band, no stops)",
    "batch": "batch only (on/off at rated)",
    "full": "batch + modulation (full)",
}

#: EUR -> CNY and USD -> CNY used to convert the sourced cost figures (our choice: round 2024
#: annual averages, 7.8 CNY/EUR and 7.1 CNY/USD; the break-even map sweeps the restart cost).
CNY_PER_EUR = 7.8
CNY_PER_USD = 7.1


@dataclass(frozen=True)
class Field:
    """One setting: its unit, default, meaning and the source of the default."""

    unit: str
    default: Any
    description: str
    source: str
    kind: str = "float"  # float | int | bool | str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()


# Restart cost default: seed 000 §5.1 recommends US$20-50 M per 385 MW line; we take the low end
# (US$20 M) per MW: 20e6 * 7.1 / 385 = 368,831 CNY/MW.
_RESTART_DEFAULT = round(20e6 * CNY_PER_USD / 385.0)

SCHEMA: dict[str, dict[str, Field]] = {
    "horizon": {
        "days": Field(
            "d",
            365,
            "number of daily commitment blocks (24 h each); the price series needs 24*days rows",
            "one non-leap year (our choice)",
            "int",
            2,
            3660,
        ),
    },
    "operation": {
        "p_min_frac": Field(
            "pu of line rating",
            0.7,
            "lowest power of an online line (modulation band, lower edge)",
            "seed 000 §2.1, table 1: EnPot shell heat exchangers ±30 % (TRIMET: ±25 % for 48 h)",
            "float",
            0.0,
            1.0,
        ),
        "p_max_frac": Field(
            "pu of line rating",
            1.3,
            "highest power of an online line (modulation band, upper edge)",
            "seed 000 §2.1 and table 1 (±30 %, EnPot)",
            "float",
            1.0,
            3.0,
        ),
        "min_down_days": Field(
            "d",
            90,
            "a line that stops stays off at least this many days (GenX clustered form)",
            "seed 000 §5.1 table: 3-6 months; we take the low end (not in the Lyu & Jenkins code)",
            "int",
            1,
            3650,
        ),
        "min_up_days": Field(
            "d",
            30,
            "a line that starts runs at least this many days",
            "our choice: a restarted line needs weeks to stabilise (seed 000 ref. 16); 1 disables",
            "int",
            1,
            3650,
        ),
        "commitment_days": Field(
            "d",
            1,
            "lines start and stop only every this many days: a restriction (cost upper bound)",
            "our choice (1: daily, the exact model; 7: weekly blocks)",
            "int",
            1,
        ),
        "cyclic": Field(
            "-",
            True,
            "commitment and inventory wrap around the horizon (steady annual cycle); if false, "
            "all lines are online before day 0",
            "our choice (GenX also wraps its windows)",
            "bool",
        ),
        "modulation_penalty_frac": Field(
            "-",
            0.015,
            "extra energy per tonne at the lower band edge; the lost output is linear in "
            "|P - S*nu| (convex), so it is smaller per tonne at the upper edge",
            "seed 000 table 2: about 1-2 % more energy per tonne when modulating (midpoint)",
            "float",
            0.0,
            0.5,
        ),
    },
    "costs": {
        "restart_cny_per_mw": Field(
            "CNY/MW per start",
            _RESTART_DEFAULT,
            "cost of one restart of a line, per MW of line rating",
            "seed 000 §5.1: US$20-50 M per 385 MW line (low end, 7.1 CNY/USD); Lyu & Jenkins "
            "config: 96,594 / 13,981 / 2,796 EUR/MW at p_min 0.99 / 0.9 / 0.7",
            "float",
            0.0,
        ),
        "standby_cny_per_mw_h": Field(
            "CNY/(MW h)",
            round(1.2 * CNY_PER_EUR, 4),
            "stand-by cost of one online MW of line rating per hour (charged while a line is "
            "committed, as PyPSA's stand_by_cost)",
            "Lyu & Jenkins config: 1.2 EUR/MW/h (7.8 CNY/EUR), charged on the committed status",
            "float",
            0.0,
        ),
        "idle_cny_per_mw_h": Field(
            "CNY/(MW h)",
            0.0,
            "holding cost of one offline MW of line rating per hour (keeping a stopped line "
            "ready: heating, guards; permanent spares too)",
            "our choice: 0, not in the sources (Lyu & Jenkins and PyPSA charge online units)",
            "float",
            0.0,
        ),
        "carbon_price_cny_per_t": Field(
            "CNY/t CO2",
            80.0,
            "carbon price in the objective (0 reports emissions without pricing them)",
            "China ETS 2021-2025 averages 53-89 CNY/t (PARAMETERS.md); 80 as in the dispatch",
            "float",
            0.0,
        ),
        "transfer_cny_per_t": Field(
            "CNY/t",
            0.0,
            "cost of moving one tonne of metal between regions through the hub",
            "Lyu & Jenkins code: a free national hub",
            "float",
            0.0,
        ),
    },
    "production": {
        "mode": Field(
            "-",
            "target",
            "'target': annual production >= target per region; 'inventory': a constant demand "
            "rate served from a metal inventory kept within bounds, cyclic over the year",
            "issue 12 (both forms)",
            "str",
            choices=("target", "inventory"),
        ),
        "metal_transfer": Field(
            "-",
            False,
            "metal may move between regions (a national hub); targets then hold in total",
            "Lyu & Jenkins code has a free national hub",
            "bool",
        ),
        "inventory_max_days": Field(
            "d of demand",
            30.0,
            "inventory capacity per region, in days of its demand (inventory mode)",
            "our choice: a month of cast-house and warehouse stock",
            "float",
            0.0,
        ),
        "inventory_min_days": Field(
            "d of demand",
            0.0,
            "least inventory per region, in days of its demand (inventory mode)",
            "our choice",
            "float",
            0.0,
        ),
    },
    "prices": {
        "csv": Field(
            "path",
            "",
            "hourly prices: column 'hour' 0..H-1, one column per region (CNY/MWh), optional "
            "'ci:<region>' columns (kg CO2/MWh); relative to the TOML; empty: synthetic year",
            "user data",
            "str",
        ),
        "demand_csv": Field(
            "path",
            "",
            "hourly demand per region (MW; a 'Time Series' column and one column per province "
            "code or region name): prices from the demand model instead of the synthetic year",
            "china: Lyu & Jenkins repository, data/load (31 provinces x 8,760 h)",
            "str",
        ),
        "mean_cny_per_mwh": Field(
            "CNY/MWh",
            523.8,
            "annual mean price of every region in the demand model",
            "shen-y21 TOU tariff's daily mean (0.2329 x 11 h + 0.6982 x 9 h + 0.9312 x 4 h) / 24",
            "float",
            0.0,
        ),
        "peak_valley_ratio": Field(
            "-",
            4.0,
            "demand model: price ratio between the 95th and 5th percentile of a typical "
            "region's demand (sets the exponent)",
            "shen-y21 tariff peak / valley 0.9312 / 0.2329 = 4.0 (NDRC 2021: at least 4:1)",
            "float",
            1.0,
        ),
        "synthetic_rules": Field(
            "path",
            "synthetic_prices.toml",
            "rules of the synthetic price year (TOU shape x seasonal factor x winter deficit)",
            "shipped file (every parameter labelled synthetic)",
            "str",
        ),
    },
    "model": {
        "aggregate": Field(
            "-",
            "exact",
            "'exact': hours of a day with identical prices and intensities in every region are "
            "merged into one block (same optimum, see docs/FLEET.md); 'none': hourly",
            "our choice (issue 12, performance section)",
            "str",
            choices=("exact", "none"),
        ),
    },
    "solver": {
        "name": Field(
            "-",
            "highs",
            "MILP solver: highs (highspy), scip (pyscipopt, via MPS) or gurobi (via MPS)",
            "issue 12",
            "str",
            choices=("highs", "scip", "gurobi"),
        ),
        "mip_rel_gap": Field(
            "-",
            0.005,
            "relative MIP gap at which the solver stops",
            "issue 12 benchmark target (0.5 %)",
            "float",
            0.0,
            1.0,
        ),
        "time_limit_s": Field("s", 600.0, "time limit per solve", "our choice", "float", 1.0),
        "threads": Field("-", 2, "solver threads", "this machine has 2 cores", "int", 1, 256),
        "decompose": Field(
            "-",
            True,
            "solve region by region (HiGHS), a national target priced by a metal value",
            "docs/FLEET.md §6 (china: same optimum within the gap)",
            "bool",
        ),
    },
}

REGION_FIELDS: dict[str, Field] = {
    "name": Field("-", None, "region name; also its price column in the CSV", "user", "str"),
    "lines": Field("-", None, "number N of identical potlines", "user / case", "int", 1, 10000),
    "line_mw": Field("MW", None, "rated power S of one line", "user / case", "float", 0.0),
    "energy_mwh_per_t": Field(
        "MWh/t",
        13.3,
        "energy per tonne at rated power",
        "Lyu & Jenkins code (13.3 MWh/t AC); seed 000 uses 13.5",
        "float",
        1.0,
        100.0,
    ),
    "utilisation": Field(
        "-",
        None,
        "annual target as a fraction of the region's rated output N*S*H/e (if target_t absent)",
        "user",
        "float",
        0.0,
        3.0,
    ),
    "target_t": Field(
        "t per horizon", None, "production target over the horizon", "user", "float", 0.0
    ),
    "ci_kg_per_mwh": Field(
        "kg CO2/MWh",
        None,
        "carbon intensity when the CSV has no 'ci:<region>' column (default: synthetic rules)",
        "user",
        "float",
        0.0,
    ),
    "from_case": Field(
        "-",
        None,
        "take lines, line_mw and energy_mwh_per_t from a dispatch case's park potlines",
        "fdn_alu.load_case(name).settings['park']",
        "str",
    ),
    "thermal_model": Field(
        "-",
        None,
        "with from_case: the park's thermal model for these lines (paper, quasi_static, "
        "heat_balance); the band follows it, and the dispatched days use it",
        "components/park settings (default: the case's own)",
        "str",
        choices=("paper", "quasi_static", "heat_balance"),
    ),
    "heat_exchanger_frac": Field(
        "pu of line rating",
        None,
        "with from_case: the park's shell heat exchangers (heat_balance model); the dispatched "
        "days use it",
        "seed 000 §2: EnPot exchangers, +/-30 % power at constant heat balance",
        "float",
        0.0,
        1.0,
    ),
}

CAPACITY_FIELDS: dict[str, Field] = {
    "csv": Field(
        "path", None, "capacity CSV (province, capacity_10kt_per_yr, share)", "user", "str"
    ),
    "line_t_per_yr": Field(
        "t/yr",
        250000.0,
        "output of one line at rated power",
        "seed 000 §5.1 (250 kt)",
        "float",
        1.0,
    ),
    "energy_mwh_per_t": Field(
        "MWh/t", 13.3, "energy per tonne at rated power", "Lyu & Jenkins code", "float", 1.0
    ),
    "national_target_t": Field(
        "t/yr",
        11.67e6,
        "national primary production target (split by production share without transfer)",
        "Lyu & Jenkins demand scenarios: 2050 mid 11.67 Mt (2030 mid 29.02, 2040 15.08)",
        "float",
        0.0,
    ),
    "ci_csv": Field(
        "path",
        "",
        "grid carbon intensity per province (province, ci_kg_per_mwh): each region's own "
        "intensity (empty: the synthetic rules' national value)",
        "china: MEE / NBS 2022 provincial and regional factors (china_grid_ci_2022.csv)",
        "str",
    ),
    "min_lines": Field(
        "-",
        1,
        "provinces whose capacity rounds to fewer lines are left out (reported)",
        "our choice: a province below half a line has no potline of 250 kt",
        "int",
        0,
    ),
}


def schema_text() -> str:
    """The fleet TOML schema as plain text (for ``fdn-alu season --help`` and the docs)."""
    out = []

    def block(header: str, fields: dict[str, Field]) -> None:
        out.append(header)
        for k, f in fields.items():
            d = "(required)" if f.default is None else repr(f.default)
            out.append(f"  {k} = {d}  [{f.unit}] {f.description}. Source: {f.source}.")

    for sec, fields in SCHEMA.items():
        block(f"[{sec}]", fields)
    block("[[region]]  (one table per region)", REGION_FIELDS)
    block("[capacity]  (instead of [[region]]: one region per CSV row)", CAPACITY_FIELDS)
    return "\n".join(out)
