"""Time series of a case: read the profile table and average it onto the model's periods.

A profile file is a CSV with a ``time_h`` column (start of each row's interval, uniform steps
from 0) and one column per profile. Each row holds the value over its interval, so the file is
a piecewise-constant function of time. The model's periods (``periods`` of ``dt_h`` hours over
the horizon) take the time average of that function over each period: 24 hourly rows give 96
quarter-hour periods by repetition and 4 six-hour periods by averaging, and the energy of every
profile is preserved exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from fdn_alu.cases.element_profiles import resample_weights
from fdn_alu.errors import Problem, raise_if_problems


def read_profiles(path: str | os.PathLike, horizon_h: float) -> pd.DataFrame:
    """Read and validate a profile CSV.

    Parameters
    ----------
    path : path-like
        CSV with a ``time_h`` column and numeric profile columns.
    horizon_h : float
        The case horizon; the rows must cover exactly ``[0, horizon_h)``.

    Returns
    -------
    DataFrame
        The table, ``time_h`` as the first column.

    Raises
    ------
    InputError
        Missing file or ``time_h``, non-numeric values, NaNs, non-uniform steps, wrong length.
    """
    path = Path(path)
    if not path.is_file():
        raise_if_problems([Problem(str(path), "profile file not found")])
    try:
        df = pd.read_csv(path, comment="#")
    except Exception as exc:
        raise_if_problems([Problem(str(path), f"cannot read CSV: {exc}")])
    return validate_profiles(df, horizon_h, str(path))


def validate_profiles(df: pd.DataFrame, horizon_h: float, where: str) -> pd.DataFrame:
    """Check a profile table; raise one InputError listing every problem."""
    problems: list[Problem] = []
    if "time_h" not in df.columns:
        raise_if_problems([Problem(where, "missing column 'time_h'")])
    for col in df.columns:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        if bad.any():
            problems.append(
                Problem(
                    f"{where}:{col}",
                    f"non-numeric value in row(s) {_rows(np.flatnonzero(bad.to_numpy()))}",
                )
            )
        nan = df[col].isna()
        if nan.any():
            problems.append(
                Problem(
                    f"{where}:{col}",
                    f"missing/NaN value in row(s) {_rows(np.flatnonzero(nan.to_numpy()))}",
                )
            )
    raise_if_problems(problems, "invalid profiles")
    df = df.apply(pd.to_numeric)
    t = df["time_h"].to_numpy(float)
    n = len(t)
    if n == 0:
        raise_if_problems([Problem(where, "no rows")])
    step = horizon_h / n
    expected = np.arange(n) * step
    if not np.allclose(t, expected, atol=1e-9):
        problems.append(
            Problem(
                f"{where}:time_h",
                f"rows must start at 0 and step uniformly to cover the {horizon_h:g} h horizon; "
                f"{n} rows imply a {step:g} h step, but time_h is {_short(t)} "
                "(wrong number of rows or a gap?)",
            )
        )
    for col in df.columns:
        if col != "time_h" and not np.all(np.isfinite(df[col].to_numpy(float))):
            problems.append(Problem(f"{where}:{col}", "non-finite value"))
    raise_if_problems(problems, "invalid profiles")
    return df.reset_index(drop=True)


def resample(df: pd.DataFrame, horizon_h: float, periods: int) -> dict[str, np.ndarray]:
    """Average every profile of ``df`` over ``periods`` equal periods of the horizon.

    Returns
    -------
    dict of str -> ndarray, shape (periods,)
        One array per profile column (``time_h`` excluded).
    """
    if periods < 1:
        raise_if_problems([Problem("periods", f"must be >= 1 (got {periods})")])
    w = resample_weights(len(df), horizon_h, periods)
    return {c: w @ df[c].to_numpy(float) for c in df.columns if c != "time_h"}


def _rows(idx: np.ndarray) -> str:
    rows = [str(i + 2) for i in idx[:10]]  # +2: header line and 1-based numbering
    return ", ".join(rows) + (" ..." if len(idx) > 10 else "") + " (file line numbers)"


def _short(t: np.ndarray) -> str:
    if len(t) <= 6:
        return "[" + ", ".join(f"{v:g}" for v in t) + "]"
    return f"[{t[0]:g}, {t[1]:g}, ..., {t[-1]:g}]"
