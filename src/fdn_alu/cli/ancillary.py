"""``fdn-alu ancillary-benefit``: province-scale CO2 benefit of industrial ancillary services.

Plugin of :mod:`fdn_alu.cli` (listed in ``PLUGIN_COMMANDS``): :func:`add_parser` adds the
subcommand, :func:`main` runs it. Errors are raised (InputError -> exit 2) and mapped by the CLI.
"""

from __future__ import annotations

from fdn_alu.errors import InputError, Problem

COMMAND = "ancillary-benefit"


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(
            [Problem("--tau/--lambda", f"not a comma-separated list: {text!r}")]
        ) from None


def add_parser(subparsers) -> None:
    """Add the ``ancillary-benefit`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        COMMAND,
        help="CO2 saved when aluminium and cement carry ancillary services (seed 002 §4), "
        "by year, tau and lambda",
        description="Seed 002's province-scale method: AS requirement from the peak load, the "
        "share carried by aluminium potlines (regulation) and cement mills (non-spinning), and "
        "the part-load CO2 of the thermal reserve they displace. Default: China, national, "
        "2013-2020 (every value sourced in the bundled TOML).",
    )
    p.add_argument("--out", default="ancillary_benefit_out", help="output folder")
    p.add_argument(
        "--config",
        default=None,
        help="TOML file overriding any subset of the defaults (region, requirement, products, "
        "providers, thermal, grid, scan)",
    )
    p.add_argument("--tau", default=None, help="transforming factors, e.g. 0,0.25,0.5,1")
    p.add_argument("--lambda", dest="lam", default=None, help="penetration factors, e.g. 0,0.5,1")
    p.add_argument(
        "--scope",
        default=None,
        help="'national' (default) or a province name of the bundled hourly data (e.g. Yunnan)",
    )
    p.add_argument(
        "--non-spinning",
        dest="non_spinning",
        choices=("offline", "part_load"),
        default=None,
        help="who holds non-spinning reserve in S1: off-line units (default, seed 002 §2.1: no "
        "part-load CO2) or part-loaded thermal units",
    )
    p.add_argument(
        "--load-shape",
        dest="load_shape",
        choices=("typical_days", "annual_mean"),
        default=None,
        help="requirement from the four typical days' peak hours (default, seed 002 §4) or "
        "from the annual peak E / (8760 h load factor)",
    )


def main(args) -> int:
    """Run the subcommand; returns the exit code (0)."""
    from fdn_alu.results.folders import check_out_dir
    from fdn_alu.studies.ancillary.benefit import compute, load_params, write_result
    from fdn_alu.studies.ancillary.params import override

    check_out_dir(args.out, "ancillary-benefit")
    tau = _floats(args.tau) if args.tau else None
    lam = _floats(args.lam) if args.lam else None
    params = load_params(args.config)
    values: dict = {}
    if args.scope:
        values["region.scope"] = args.scope
        values["region.name"] = "China (national)" if args.scope == "national" else args.scope
    if args.non_spinning:
        share = 1.0 if args.non_spinning == "part_load" else 0.0
        values["products.non_spinning.on_part_loaded_thermal_share"] = share
    if args.load_shape:
        values["region.load_shape"] = args.load_shape
    if values:
        params = override(params, values, "command line")
    result = compute(params, tau=tau, lam=lam)
    write_result(result, args.out)
    s = result.summary
    print(
        f"{s['region']}, {s['years'][0]}-{s['years'][1]}: reserve held on part-loaded thermal "
        f"units costs {s['reserve_penalty_t_per_mwh'] * 1e3:.1f} kg CO2 per MW per hour"
    )
    for key in ("first_year", "last_year"):
        r = s[key]
        year = s["years"][0 if key == "first_year" else 1]
        carried = ", ".join(
            f"{k[len('carried_') : -len('_mw')]} {v:,.0f} MW"
            for k, v in r.items()
            if k.startswith("carried_")
        )
        print(
            f"  {year} (tau {r['tau']:g}, lambda {r['lambda']:g}): {carried}; displaced thermal "
            f"reserve {r['displaced_thermal_reserve_mw']:,.0f} MW; CO2 saved "
            f"{r['co2_saved_t_per_yr'] / 1e6:.2f} Mt/yr (S1 reserve CO2 "
            f"{r['co2_reserve_s1_t_per_yr'] / 1e6:.2f} Mt/yr)"
        )
    for note in s["refused"]:
        print(f"  note: {note}")
    print(f"results written to {args.out}/ (assumption-based estimate; see assumptions.csv)")
    return 0
