"""Checks of a fleet's hourly input series (prices, grid carbon intensities) before a solve."""

from __future__ import annotations

import numpy as np

from fdn_alu.errors import Problem

#: Largest |hourly price| accepted, CNY/MWh: three times the EU day-ahead market's harmonised
#: maximum clearing price (4,000 EUR/MWh, SDAC 2022) at CNY_PER_EUR; a value beyond it is a unit
#: or typing error, not a price.
PRICE_ABS_MAX_CNY_PER_MWH = 1e5
#: Largest carbon intensity accepted, kg CO2/MWh: 2.5 x a lignite plant's ~1,200 kg/MWh (IPCC
#: AR5 WG3 annex III, lifecycle max for coal); beyond it is a unit error.
CI_MAX_KG_PER_MWH = 3000.0


def price_problems(price, ci, where: str = "prices") -> list[Problem]:
    """Problems of an hourly price and intensity series (NaN, inf, out of range), one line each.

    Parameters
    ----------
    price, ci : array-like (H, R)
        CNY/MWh and kg CO2/MWh.
    where : str
        Label of the series in the messages.
    """
    out = []
    for name, arr, lo, hi, unit in (
        ("price", price, -PRICE_ABS_MAX_CNY_PER_MWH, PRICE_ABS_MAX_CNY_PER_MWH, "CNY/MWh"),
        ("carbon intensity", ci, 0.0, CI_MAX_KG_PER_MWH, "kg CO2/MWh"),
    ):
        a = np.asarray(arr, float)
        bad = ~np.isfinite(a) | (a < lo) | (a > hi)
        if bad.any():
            h, r = np.argwhere(bad)[0]
            out.append(
                Problem(
                    where,
                    f"{name} {a[h, r]:g} {unit} at hour {h} (region {r}) is outside [{lo:g}, "
                    f"{hi:g}] or not finite ({int(bad.sum())} value(s) in all)",
                )
            )
    return out
