"""Fleet data: validated settings -> plain numeric arrays (regions, hourly prices, blocks).

No model variables here. Arrays are time-first: hourly ``(H, R)``, daily ``(D, R)``, block
``(B, R)``. A *block* is a set of hours of one day that the model treats with one power value:
one hour each (``aggregate = "none"``), or all hours of the day whose prices and intensities are
identical in every region (``aggregate = "exact"``; the optimum is the same, docs/FLEET.md §4).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fdn_alu import load_case
from fdn_alu.errors import Problem, raise_if_problems
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


def synthetic_prices(rules: dict, days: int, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic hourly price and intensity year from the rules (synthetic_prices.toml).

    price[h] = flat * ratio[level(h mod 24)] * (1 + a cos(2 pi (d - d_peak)/365))
               * (1 + w winter(d))

    Returns
    -------
    price, ci : (24*days, n_regions) arrays, CNY/MWh and kg/MWh (same in every region)
    """
    tou, sea, win, car = rules["tou"], rules["season"], rules["winter"], rules["carbon"]
    ratio = {"v": tou["valley_ratio"], "f": 1.0, "p": tou["peak_ratio"]}
    shape = np.array([ratio[c] for c in tou["hours"]])
    d = np.arange(days)
    season = 1.0 + sea["amplitude"] * np.cos(2 * np.pi * (d - sea["peak_day"]) / 365.0)
    w = winter_mask(rules, days)
    day_factor = season * (1.0 + win["premium"] * w)
    price = tou["flat_cny_per_mwh"] * (day_factor[:, None] * shape[None, :]).ravel()
    ci = car["ci_kg_per_mwh"] * np.repeat(1.0 + (car["winter_ci_factor"] - 1.0) * w, 24)
    return np.tile(price[:, None], (1, n_regions)), np.tile(ci[:, None], (1, n_regions))


def winter_mask(rules: dict, days: int) -> np.ndarray:
    """(days,) bool: the winter window of the rules, wrapping over the year end."""
    d = np.arange(days)
    win = rules["winter"]
    return ((d - win["start_day"]) % 365) < win["days"]


def load_rules(path: str | Path | None = None) -> dict:
    """Read synthetic price rules (default: the shipped synthetic_prices.toml)."""
    p = Path(str(_DATA / "synthetic_prices.toml")) if path is None else Path(path)
    rules = tomllib.loads(p.read_text())
    problems = [
        Problem(f"{p.name}.{sec}.{k}", "missing")
        for sec, keys in {
            "tou": ("flat_cny_per_mwh", "valley_ratio", "peak_ratio", "hours"),
            "season": ("amplitude", "peak_day"),
            "winter": ("start_day", "days", "premium"),
            "carbon": ("ci_kg_per_mwh", "winter_ci_factor"),
        }.items()
        for k in keys
        if k not in rules.get(sec, {})
    ]
    h = rules.get("tou", {}).get("hours", "")
    if len(h) != 24 or set(h) - set("vfp"):
        problems.append(Problem(f"{p.name}.tou.hours", "must be 24 letters from v, f, p"))
    raise_if_problems(problems, "invalid synthetic price rules")
    return rules


def _regions_from_case(i: int, r: dict, problems: list[Problem]) -> list[dict]:
    try:
        park = load_case(r["from_case"]).settings.get("park") or {}
    except Exception as e:  # any load failure is an input problem of this fleet
        problems.append(Problem(f"region[{i}].from_case", f"cannot load case: {e}"))
        return []
    pls = park.get("potlines") or []
    if not pls:
        problems.append(Problem(f"region[{i}].from_case", "the case has no park potlines"))
        return []
    k_al = park["k_al_kg_per_ka_h"]
    eta = park["eta_rated"]
    sizes = []
    for pl in pls:
        i_ka = pl["i_rated_ka"]
        p_mw = pl["cells"] * (pl["r_cell_uohm"] * 1e-6 * i_ka**2 + pl["e_cell_v"] * 1e-3 * i_ka)
        t_per_h = pl["cells"] * k_al * eta * i_ka / 1000.0
        sizes.append((round(p_mw, 9), round(p_mw / t_per_h, 9)))
    out = []
    for j, (p_mw, e) in enumerate(sorted(set(sizes))):
        reg = {k: v for k, v in r.items() if k != "from_case"}
        reg.setdefault("name", r["from_case"] + ("" if len(set(sizes)) == 1 else f"-{j}"))
        reg.update(lines=sizes.count((p_mw, e)), line_mw=p_mw, energy_mwh_per_t=e)
        out.append(reg)
    return out


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
    out = []
    for prov, c, k, sh in zip(df["province"][keep], cap_t[keep], n[keep], share, strict=True):
        out.append(
            {
                "name": str(prov),
                "lines": int(k),
                # line size so that the province's capacity is kept exactly
                "line_mw": c * e / 8760.0 / k,
                "energy_mwh_per_t": e,
                "target_t_per_yr": sh * cap["national_target_t"],
            }
        )
    return out


def _read_price_csv(
    path: Path, regions: list[str], hours: int, problems: list[Problem]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    try:
        df = pd.read_csv(path, comment="#")
    except (OSError, pd.errors.ParserError) as e:
        problems.append(Problem(str(path), f"cannot read: {e}"))
        return None, None
    where = path.name
    if "hour" not in df.columns:
        problems.append(Problem(where, "no 'hour' column"))
    elif not np.array_equal(df["hour"].to_numpy(), np.arange(len(df))):
        problems.append(Problem(f"{where}.hour", "must be 0, 1, ..., H-1 in order"))
    if len(df) != hours:
        problems.append(Problem(where, f"has {len(df)} rows; the horizon needs {hours} (24*days)"))
    missing = [r for r in regions if r not in df.columns]
    if missing:
        problems.append(Problem(where, f"no price column for region(s) {missing}"))
    known = {"hour", *regions, *(f"ci:{r}" for r in regions)}
    extra = [c for c in df.columns if c not in known]
    if extra:
        problems.append(Problem(where, f"unknown column(s) {extra}"))
    for c in df.columns:
        if c in known and c != "hour":
            v = pd.to_numeric(df[c], errors="coerce")
            if v.isna().any():
                problems.append(Problem(f"{where}.{c}", "has empty or non-numeric values"))
            elif c.startswith("ci:") and (v < 0).any():
                problems.append(Problem(f"{where}.{c}", "carbon intensity must be >= 0"))
    if problems:
        return None, None
    price = df[regions].to_numpy(float)
    ci = np.full((hours, len(regions)), np.nan)
    for j, r in enumerate(regions):
        if f"ci:{r}" in df.columns:
            ci[:, j] = df[f"ci:{r}"].to_numpy(float)
    return price, ci


def _with_blocks(fd: FleetData, label: str | None = None) -> FleetData:
    """Group each day's hours into blocks (identical price and intensity rows, or one per hour)."""
    H, R = fd.price.shape
    day = np.repeat(np.arange(H // HOURS_PER_DAY), HOURS_PER_DAY)
    if fd.settings["model"]["aggregate"] == "exact":
        key = np.column_stack([day, fd.price, fd.ci])
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        inv = inv.ravel()
        bp, bc = uniq[:, 1 : R + 1], uniq[:, R + 1 :]
        bday = uniq[:, 0].astype(int)
    else:
        inv = np.arange(H)
        bp, bc, bday = fd.price, fd.ci, day
    bh = np.bincount(inv, minlength=len(bday)).astype(float)
    return replace(
        fd,
        block_day=bday,
        block_h=bh,
        block_price=bp,
        block_ci=bc,
        hour_block=inv,
        prices_label=fd.prices_label if label is None else label,
    )


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
        regions += _regions_from_case(i, r, problems) if "from_case" in r else [r]
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
    cap_t = op["p_max_frac"] * rated_t
    if s["production"]["metal_transfer"]:
        if target.sum() > cap_t.sum() * (1 - op["modulation_penalty_frac"]):
            problems.append(Problem("production", "the total target exceeds the fleet's output"))
    else:
        for j in np.flatnonzero(target > cap_t * (1 - op["modulation_penalty_frac"])):
            problems.append(
                Problem(f"region {names[j]}", f"target {target[j]:.6g} t exceeds its output")
            )

    rules_path = s["prices"]["synthetic_rules"]
    rp = Path(rules_path) if Path(rules_path).is_absolute() else base / rules_path
    if not rp.is_file() and (_DATA / rules_path).is_file():
        rp = Path(str(_DATA / rules_path))  # the shipped rules, by name
    rules = load_rules(rp)
    csv = prices if prices is not None else (s["prices"]["csv"] or None)
    if csv is None:
        price, ci = synthetic_prices(rules, days, len(names))
        label = rules.get("label", "SYNTHETIC price year")
        if not label.startswith("SYNTHETIC"):
            label = "SYNTHETIC " + label
    else:
        csv = Path(csv) if prices is not None or Path(csv).is_absolute() else base / csv
        price, ci = _read_price_csv(Path(csv), names, hours, problems)
        label = f"prices from {Path(csv).name}"
    raise_if_problems(problems, f"invalid fleet {path.name}")
    default_ci = np.array(
        [r.get("ci_kg_per_mwh", rules["carbon"]["ci_kg_per_mwh"]) for r in regions], float
    )
    ci = np.where(np.isnan(ci), default_ci[None, :], ci)
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
        base_winter_premium=float(rules["winter"]["premium"]) if csv is None else 0.0,
    )
    return _with_blocks(fd)
