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
    if csv is None and s["prices"]["demand_csv"]:
        dp = Path(s["prices"]["demand_csv"])
        dp = dp if dp.is_absolute() or dp.is_file() else base / dp
        if not dp.is_file() and (_DATA / s["prices"]["demand_csv"]).is_file():
            dp = Path(str(_DATA / s["prices"]["demand_csv"]))
        price, beta = demand_prices(dp, names, days, s["prices"], problems)
        label = f"price model on provincial hourly demand ({dp.name}, exponent {beta:.3f})"
        return price, np.full_like(price, np.nan), label, rules, False
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


#: Province names of the capacity CSV -> column codes of the provincial demand CSV.
PROVINCE_CODES = {
    "Anhui": "AH", "Beijing": "BJ", "Chongqing": "CQ", "Fujian": "FJ", "Gansu": "GS",
    "Guangdong": "GD", "Guangxi": "GX", "Guizhou": "GZ", "Hainan": "HI", "Hebei": "HE",
    "Heilongjiang": "HL", "Henan": "HA", "Hubei": "HB", "Hunan": "HN", "Jiangsu": "JS",
    "Jiangxi": "JX", "Jilin": "JL", "Liaoning": "LN", "InnerMongolia": "NM", "Ningxia": "NX",
    "Qinghai": "QH", "Shaanxi": "SN", "Shandong": "SD", "Shanghai": "SH", "Shanxi": "SX",
    "Sichuan": "SC", "Tianjin": "TJ", "Xinjiang": "XJ", "Tibet": "XZ", "Yunnan": "YN",
    "Zhejiang": "ZJ",
}  # fmt: skip


#: Hours per day and price ratios of valley, flat and peak (shen-y21 TOU tariff 0.2329 / 0.6982 /
#: 0.9312 CNY/kWh over 11 / 9 / 4 h, as the synthetic year's levels).
TOU_HOURS = (11, 9, 4)
TOU_RATIO = (0.2329 / 0.6982, 1.0, 0.9312 / 0.6982)


def demand_exponent(norm: np.ndarray, ratio: float) -> float:
    """Exponent b of the demand price model: the typical province (geometric mean over the
    columns) gets ``ratio`` between its prices at the 95th and the 5th percentile of its demand,
    (q95 / q5)^b = ratio."""
    spread = np.log(np.quantile(norm, 0.95, axis=0) / np.quantile(norm, 0.05, axis=0))
    return float(np.log(ratio) / np.exp(np.mean(np.log(spread))))


def demand_prices(path: Path, names: list[str], days: int, ps: dict, problems: list[Problem]):
    """Hourly prices from provincial hourly demand: a provincial TOU tariff (docs/FLEET.md §5).

    Each day a region's 11 hours of lowest demand are valley, its 4 highest peak, the other 9
    flat (the shen-y21 tariff's counts and ratios, ``tou`` of the rules), so the periods follow
    the region's own load; the day's level follows its daily mean demand,

    price[d, h, r] = k_r * ratio[level(d, h, r)] * (dbar[d, r] / dbar[r])^b,

    b from :func:`demand_exponent` over every province of the file (``peak_valley_ratio``), k_r
    such that the region's annual mean price is ``mean_cny_per_mwh``.

    Returns
    -------
    price : (24 days, R) array, CNY/MWh (None on a problem); b : float
    """
    try:
        df = pd.read_csv(path, comment="#")
    except (OSError, pd.errors.ParserError) as e:
        problems.append(Problem(str(path), f"cannot read: {e}"))
        return None, float("nan")
    demand = df.drop(columns=[c for c in df.columns if c == "Time Series"])
    hours = days * 24
    if len(demand) < hours:
        problems.append(Problem(path.name, f"{len(demand)} hours; the horizon needs {hours}"))
    codes = [PROVINCE_CODES.get(n, n) for n in names]
    missing = [n for n, c in zip(names, codes, strict=True) if c not in demand.columns]
    if missing:
        problems.append(Problem(path.name, f"no demand column for region(s) {missing}"))
    if problems:
        return None, float("nan")
    beta = demand_exponent((demand / demand.mean()).to_numpy(float), ps["peak_valley_ratio"])
    dem = demand[codes].to_numpy(float)[:hours].reshape(days, 24, len(codes))
    rank = np.argsort(np.argsort(dem, axis=1, kind="stable"), axis=1)  # 0 = lowest hour
    ratio = np.where(rank < TOU_HOURS[0], TOU_RATIO[0], np.where(rank >= 24 - TOU_HOURS[2],
                     TOU_RATIO[2], TOU_RATIO[1]))  # fmt: skip
    day_mean = dem.mean(axis=1, keepdims=True)
    price = ratio * (day_mean / day_mean.mean(axis=0, keepdims=True)) ** beta
    price = price.reshape(hours, len(codes))
    return ps["mean_cny_per_mwh"] * price / price.mean(axis=0), beta
