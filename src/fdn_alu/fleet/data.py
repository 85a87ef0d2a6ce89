"""Fleet data: validated settings -> plain numeric arrays (regions, hourly prices, blocks).

No model variables here. Arrays are time-first: hourly ``(H, R)``, daily ``(D, R)``, block
``(B, R)``. A *block* is a set of hours of one day that the model treats with one power value:
one hour each (``aggregate = "none"``), or all hours of the day whose prices and intensities are
identical in every region (``aggregate = "exact"``; the optimum is the same, docs/FLEET.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fdn_alu.errors import Problem, raise_if_problems
from fdn_alu.fleet.potline import penalty_slope, regions_from_case
from fdn_alu.fleet.prices import region_ci, region_prices, winter_mask
from fdn_alu.fleet.settings import read_settings

HOURS_PER_DAY = 24
_DATA = resources.files("fdn_alu.fleet") / "data"
BUILTIN = ("ieee15-park", "ieee85-park", "china")


@dataclass(frozen=True)
class FleetData:
    """Numeric data of a fleet over its horizon.

    Attributes
    ----------
    name : str
    regions : list of str
    lines : (R,) int, number N of identical lines per region
    line_mw : (R,) float, rated power S of one line
    e_mwh_per_t : (R,) float, energy per tonne at rated power
    target_t : (R,) float, production target over the horizon
    price : (H, R) float, CNY/MWh
    ci : (H, R) float, kg CO2/MWh
    block_day : (B,) int, day of each block
    block_h : (B,) float, hours in each block
    block_price, block_ci : (B, R) float
    hour_block : (H,) int, block of each hour
    winter : (D,) bool, days of the winter window (price rules)
    prices_label : str, where the prices come from ("SYNTHETIC ..." for the synthetic year)
    settings : dict, the validated settings
    notes : list of str, what the loader decided (dropped provinces, ...)
    base_winter_premium : float, winter premium in the prices (synthetic rule; 0 for a CSV)
    p_min_pu, p_max_pu : (R,) float, modulation band per unit of line rating
    ramp_pu_per_h : (R,) float, ramp limit per unit of line rating (inf: none)
    slope_dn, slope_up : (R,) float, output per MW below / above rated relative to the rated
        average (1 + m_dn, 1 - m_up of docs/FLEET.md eq. (6))
    day_min_pu, day_max_pu : (R,) float, metal per online line-day relative to a rated day that
        the dispatch can make (regions from a case; 0 and inf otherwise)
    dispatch_park : list of dict or None, per region the dispatch case and park settings its
        band comes from (regions from a case), else None
    """

    name: str
    regions: list[str]
    lines: np.ndarray
    line_mw: np.ndarray
    e_mwh_per_t: np.ndarray
    target_t: np.ndarray
    price: np.ndarray
    ci: np.ndarray
    block_day: np.ndarray
    block_h: np.ndarray
    block_price: np.ndarray
    block_ci: np.ndarray
    hour_block: np.ndarray
    winter: np.ndarray
    prices_label: str
    settings: dict
    notes: list[str] = field(default_factory=list)
    base_winter_premium: float = 0.0
    p_min_pu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    p_max_pu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ramp_pu_per_h: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slope_dn: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slope_up: np.ndarray = field(default_factory=lambda: np.zeros(0))
    day_min_pu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    day_max_pu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dispatch_park: list = field(default_factory=list)

    @property
    def days(self) -> int:
        return int(self.settings["horizon"]["days"])

    @property
    def hours(self) -> int:
        return self.days * HOURS_PER_DAY

    @property
    def synthetic(self) -> bool:
        return self.prices_label.startswith("SYNTHETIC")

    def with_prices(self, price: np.ndarray, label: str | None = None) -> FleetData:
        """A copy with other hourly prices (same shape), blocks rebuilt."""
        return _with_blocks(replace(self, price=np.asarray(price, float)), label)

    def with_settings(self, **sections: dict) -> FleetData:
        """A copy with some settings changed, e.g. ``costs={"restart_cny_per_mw": 0}``."""
        s = {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.settings.items()}
        for sec, vals in sections.items():
            s[sec] = {**s[sec], **vals}
        return replace(self, settings=s)


def fleet_path(name_or_path: str | Path) -> Path:
    """Path of a built-in fleet (``ieee15-park``, ``ieee85-park``, ``china``) or a TOML file."""
    if str(name_or_path) in BUILTIN:
        return Path(str(_DATA / f"{name_or_path}.toml"))
    p = Path(name_or_path)
    if p.suffix != ".toml":
        raise_if_problems(
            [Problem(str(p), f"not a fleet: give one of {list(BUILTIN)} or a .toml file")],
            "invalid fleet",
        )
    return p


def _regions_from_capacity(cap: dict, base: Path, notes: list[str]) -> list[dict]:
    path = base / cap["csv"] if not Path(cap["csv"]).is_absolute() else Path(cap["csv"])
    df = pd.read_csv(path, comment="#")
    cap_t = df["capacity_10kt_per_yr"].to_numpy(float) * 1e4
    n = np.rint(cap_t / cap["line_t_per_yr"]).astype(int)
    keep = n >= max(cap["min_lines"], 1)
    dropped = df.loc[~keep & (cap_t > 0), "province"].tolist()
    if dropped:
        notes.append(
            f"left out (capacity below half a line): {', '.join(dropped)} "
            f"({cap_t[~keep].sum() / 1e3:.0f} kt/yr of {cap_t.sum() / 1e6:.2f} Mt/yr)"
        )
    share = df["production_share_2023"].to_numpy(float)[keep]
    share = share / share.sum()
    e = cap["energy_mwh_per_t"]
    ci = {}
    if cap["ci_csv"]:
        cp = base / cap["ci_csv"] if not Path(cap["ci_csv"]).is_absolute() else Path(cap["ci_csv"])
        cdf = pd.read_csv(cp, comment="#")
        ci = dict(zip(cdf["province"], cdf["ci_kg_per_mwh"].astype(float), strict=True))
    out = []
    for prov, c, k, sh in zip(df["province"][keep], cap_t[keep], n[keep], share, strict=True):
        out.append(
            {
                **({"ci_kg_per_mwh": ci[prov]} if prov in ci else {}),
                "name": str(prov),
                "lines": int(k),
                # line size so that the province's capacity is kept exactly
                "line_mw": c * e / 8760.0 / k,
                "energy_mwh_per_t": e,
                "target_t_per_yr": sh * cap["national_target_t"],
            }
        )
    return out


def _with_blocks(fd: FleetData, label: str | None = None) -> FleetData:
    """Group each day's hours into blocks of identical price and intensity (or one per hour).

    ``exact``: hours of a day identical in every region form one block; when the regions' prices
    differ but each region's day has the same number of distinct levels with the same hours per
    level (a TOU tariff with region-specific periods), block k of a day is each region's k-th
    cheapest level and ``hour_block`` is (H, R). Either way every hour of a block has one price
    and intensity per region, so the optimum is that of the hourly model (docs/FLEET.md §4).
    """
    H, R = fd.price.shape
    D = H // HOURS_PER_DAY
    day = np.repeat(np.arange(D), HOURS_PER_DAY)
    exact = fd.settings["model"]["aggregate"] == "exact"
    if exact:
        key = np.column_stack([day, fd.price, fd.ci])
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        inv = inv.ravel()
        bp, bc = uniq[:, 1 : R + 1], uniq[:, R + 1 :]
        bday = uniq[:, 0].astype(int)
        per_region = _levels_by_region(fd.price, fd.ci, D) if R > 1 else None
        if per_region is not None and len(per_region[1]) < len(bday):
            inv, bday, bp, bc = per_region
    else:
        inv = np.arange(H)
        bp, bc, bday = fd.price, fd.ci, day
    bh = np.bincount(inv[:, 0] if inv.ndim == 2 else inv, minlength=len(bday)).astype(float)
    return replace(
        fd,
        block_day=bday,
        block_h=bh,
        block_price=bp,
        block_ci=bc,
        hour_block=inv,
        prices_label=fd.prices_label if label is None else label,
    )


def _levels_by_region(price: np.ndarray, ci: np.ndarray, days: int):
    """Blocks (day, k-th cheapest level) when every region's day has the same level sizes.

    Returns ``(hour_block (H, R), block_day (B,), block_price (B, R), block_ci (B, R))`` or None.
    """
    H, R = price.shape
    p = price.reshape(days, HOURS_PER_DAY, R)
    c = ci.reshape(days, HOURS_PER_DAY, R)
    order = np.lexsort((c, p), axis=1)  # hours by price (then intensity) per day and region
    ps, cs = np.take_along_axis(p, order, 1), np.take_along_axis(c, order, 1)
    new = np.ones((days, HOURS_PER_DAY, R), bool)
    new[:, 1:] = (ps[:, 1:] != ps[:, :-1]) | (cs[:, 1:] != cs[:, :-1])
    if not (new == new[:1, :, :1]).all():
        return None  # level sizes differ between days or regions
    level_sorted = np.cumsum(new, axis=1) - 1  # (D, 24, R) level of each sorted hour
    k = int(level_sorted[0, -1, 0]) + 1
    level = np.empty_like(level_sorted)
    np.put_along_axis(level, order, level_sorted, 1)
    hour_block = (np.arange(days)[:, None, None] * k + level).reshape(H, R)
    first = np.flatnonzero(new[0, :, 0])  # sorted position of each level's first hour
    bp = ps[:, first, :].reshape(days * k, R)
    bc = cs[:, first, :].reshape(days * k, R)
    return hour_block, np.repeat(np.arange(days), k), bp, bc


def load_fleet(
    name_or_path: str | Path, prices: str | Path | None = None, **overrides: dict
) -> FleetData:
    """Load a fleet: settings, regions, prices, blocks.

    Parameters
    ----------
    name_or_path : str or Path
        ``ieee15-park``, ``ieee85-park``, ``china`` or a fleet TOML file.
    prices : str or Path, optional
        Hourly price CSV overriding the fleet's ``[prices] csv`` (``hour``, one column per region
        in CNY/MWh, optional ``ci:<region>`` in kg/MWh).
    **overrides : dict
        Settings sections to override, e.g. ``horizon={"days": 60}``.

    Returns
    -------
    FleetData

    Raises
    ------
    InputError
        Listing every problem of the file, the regions and the price series.
    """
    path = fleet_path(name_or_path)
    s = read_settings(path, overrides)
    base = Path(s["_dir"])
    problems: list[Problem] = []
    notes: list[str] = []
    regions: list[dict] = []
    for i, r in enumerate(s["region"]):
        regions += regions_from_case(i, r, problems) if "from_case" in r else [r]
    if s["capacity"] is not None:
        regions += _regions_from_capacity(s["capacity"], base, notes)
    days = s["horizon"]["days"]
    hours = days * HOURS_PER_DAY
    names = [str(r.get("name", f"region{i}")) for i, r in enumerate(regions)]
    if len(set(names)) != len(names):
        problems.append(Problem("region", f"duplicate region names in {names}"))
    for i, r in enumerate(regions):
        for k in ("name", "lines", "line_mw"):
            if k not in r:
                problems.append(Problem(f"region[{i}]", f"'{k}' is required"))
        n_goals = sum(k in r for k in ("target_t", "utilisation", "target_t_per_yr"))
        if n_goals != 1:
            problems.append(Problem(f"region[{i}]", "give exactly one of target_t, utilisation"))
    raise_if_problems(problems, f"invalid fleet {path.name}")

    lines = np.array([r["lines"] for r in regions], int)
    line_mw = np.array([r["line_mw"] for r in regions], float)
    e = np.array([r.get("energy_mwh_per_t", 13.3) for r in regions], float)
    rated_t = lines * line_mw * hours / e
    target = np.array(
        [
            r["target_t"]
            if "target_t" in r
            else r["utilisation"] * rt
            if "utilisation" in r
            else r["target_t_per_yr"] * days / 365.0
            for r, rt in zip(regions, rated_t, strict=True)
        ]
    )
    op = s["operation"]
    m = penalty_slope(op["p_min_frac"], op["modulation_penalty_frac"])
    lims = [r.get("limits") for r in regions]
    p_min = np.array([x.p_min_pu if x else op["p_min_frac"] for x in lims])
    p_max = np.array([x.p_max_pu if x else op["p_max_frac"] for x in lims])
    ramp = np.array([x.ramp_pu_per_h if x else np.inf for x in lims])
    slope_dn = np.array([x.slope_dn if x else 1.0 + m for x in lims])
    slope_up = np.array([x.slope_up if x else 1.0 - m for x in lims])
    day_min = np.array([x.day_min_pu if x else 0.0 for x in lims])
    day_max = np.array([x.day_max_pu if x else np.inf for x in lims])
    # most a region can make: every line at the band's top all horizon
    cap_t = rated_t * np.minimum(1.0 + (p_max - 1.0) * slope_up, day_max)
    if s["production"]["metal_transfer"]:
        if target.sum() > cap_t.sum():
            problems.append(Problem("production", "the total target exceeds the fleet's output"))
    else:
        for j in np.flatnonzero(target > cap_t):
            problems.append(
                Problem(f"region {names[j]}", f"target {target[j]:.6g} t exceeds its output")
            )
    price, ci, label, rules, synthetic = region_prices(s, regions, names, base, prices, problems)
    raise_if_problems(problems, f"invalid fleet {path.name}")
    ci = region_ci(ci, regions, rules)
    fd = FleetData(
        name=s["name"],
        regions=names,
        lines=lines,
        line_mw=line_mw,
        e_mwh_per_t=e,
        target_t=target,
        price=price,
        ci=ci,
        block_day=np.zeros(0, int),
        block_h=np.zeros(0),
        block_price=np.zeros((0, len(names))),
        block_ci=np.zeros((0, len(names))),
        hour_block=np.zeros(0, int),
        winter=winter_mask(rules, days),
        prices_label=label,
        settings=s,
        notes=notes,
        base_winter_premium=float(rules["winter"]["premium"]) if synthetic else 0.0,
        p_min_pu=p_min,
        p_max_pu=p_max,
        ramp_pu_per_h=ramp,
        slope_dn=slope_dn,
        slope_up=slope_up,
        day_min_pu=day_min,
        day_max_pu=day_max,
        dispatch_park=[r.get("dispatch_park") for r in regions],
    )

    return _with_blocks(fd)
