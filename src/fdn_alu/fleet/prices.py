"""Fleet price series: the SYNTHETIC price year (TOU shape x seasonal factor x winter deficit)
and its rules file, and the hourly price CSV reader (docs/FLEET.md §5)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fdn_alu.errors import Problem, raise_if_problems

_DATA = resources.files("fdn_alu.fleet") / "data"


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


def read_price_csv(
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


def region_prices(s: dict, regions: list[dict], names: list[str], base: Path, prices, problems):
    """Hourly prices and intensities of the regions: the fleet's CSV (or ``prices``), else the
    synthetic year of its rules.

    Returns
    -------
    price, ci : (H, R) arrays (ci NaN where the CSV gives none), label, rules, synthetic
    """
    days = s["horizon"]["days"]
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
        return price, ci, label, rules, True
    csv = Path(csv) if prices is not None or Path(csv).is_absolute() else base / csv
    price, ci = read_price_csv(Path(csv), names, days * 24, problems)
    return price, ci, f"prices from {Path(csv).name}", rules, False


def region_ci(ci: np.ndarray | None, regions: list[dict], rules: dict) -> np.ndarray | None:
    """Fill intensities the CSV does not give: the region's ``ci_kg_per_mwh``, else the rules'."""
    if ci is None:
        return None
    default = np.array(
        [r.get("ci_kg_per_mwh") or rules["carbon"]["ci_kg_per_mwh"] for r in regions], float
    )
    return np.where(np.isnan(ci), default[None, :], ci)
