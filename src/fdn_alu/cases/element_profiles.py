"""Per-element time series: one column per load or static generator of the net.

The layout is pandapower's own (its ``timeseries`` module's ``DFData`` + ``ConstControl``, and
SimBench's ``get_absolute_values``): a mapping ``(table, variable) -> DataFrame`` with keys
such as ``("load", "p_mw")``, ``("load", "q_mvar")``, ``("sgen", "p_mw")``, each DataFrame
indexed by time (rows) with the element indices of ``net[table]`` as columns, values in MW /
Mvar as they would be written into ``net[table][variable]`` (the element's ``scaling`` still
applies, as in pandapower's power flow). A variable without a series keeps the net's value,
as a pandapower time series does for a column no controller writes.

Rows are uniform time steps: a ``DatetimeIndex`` (the step is read from it, and a case's
``[profiles] start`` picks the first row by date) or any other index with an explicit
``step_h`` (rows from the first). Each row holds the value over its step, so the series is a
piecewise-constant function of time and :func:`window_rows` + :func:`resample_weights`
average it onto the model's periods exactly like the case's profile table
(:mod:`fdn_alu.cases.profiles`): the energy of every element is preserved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from fdn_alu.errors import Problem, raise_if_problems

TABLES = ("load", "sgen")
VARIABLES = ("p_mw", "q_mvar")
Key = tuple[str, str]


@dataclass(frozen=True)
class ElementProfiles:
    """Validated per-element time series of one net.

    Attributes
    ----------
    values : dict of (table, variable) -> ndarray (rows, k)
        Series in MW or Mvar, one column per element of ``columns[key]``.
    columns : dict of (table, variable) -> ndarray (k,) of int
        The element indices (``net[table].index``) of each column.
    step_h : float
        Length of one row.
    first : pandas.Timestamp or None
        Time of the first row (None for a series indexed by step number).
    source : str
        Where the series came from (``simbench:CODE``, ``memory``), for messages.
    """

    values: dict[Key, np.ndarray]
    columns: dict[Key, np.ndarray]
    step_h: float
    first: pd.Timestamp | None = None
    source: str = "memory"

    @property
    def rows(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0


def element_profiles(
    series: Mapping[Key, pd.DataFrame] | ElementProfiles,
    step_h: float | None = None,
    source: str = "memory",
) -> ElementProfiles:
    """Check per-element series and return them as :class:`ElementProfiles`.

    Parameters
    ----------
    series : mapping (table, variable) -> DataFrame, or ElementProfiles (returned unchanged)
        Tables ``load`` and ``sgen``, variables ``p_mw`` and ``q_mvar``; every DataFrame with
        the same index (rows = time) and element indices as columns.
    step_h : float, optional
        Row length in hours; required unless the index is a ``DatetimeIndex`` (then it is read
        from the index, and a given value must agree).
    source : str
        Named in problem messages.

    Raises
    ------
    InputError
        Every problem at once: unknown keys, non-numeric or NaN values (with the columns),
        indices that differ between series, a non-uniform or unknown time step.
    """
    prof, problems = parse_element_profiles(series, step_h, source)
    raise_if_problems(problems, "invalid element profiles")
    return prof


def parse_element_profiles(
    series: Mapping[Key, pd.DataFrame] | ElementProfiles,
    step_h: float | None = None,
    source: str = "memory",
) -> tuple[ElementProfiles | None, list[Problem]]:
    """:func:`element_profiles` without raising: the series (None when their rows cannot be
    read as time steps) and every problem found, so that a caller can add the problems of the
    series against the net (:func:`check_element_profiles`) to the same list."""
    if isinstance(series, ElementProfiles):
        return series, []
    where = f"element profiles ({source})"
    problems: list[Problem] = []
    if not isinstance(series, Mapping) or not series:
        return None, [Problem(where, "give a non-empty dict (table, variable) -> DataFrame")]
    index = None
    values, columns = {}, {}
    for key, df in series.items():
        at = f"{where} {key!r}"
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in TABLES):
            problems.append(Problem(at, f"key must be (table, variable), table in {TABLES}"))
            continue
        if key[1] not in VARIABLES:
            problems.append(Problem(at, f"variable must be one of {', '.join(VARIABLES)}"))
            continue
        if not isinstance(df, pd.DataFrame):
            problems.append(Problem(at, f"expected a DataFrame, got {type(df).__name__}"))
            continue
        cols = pd.to_numeric(pd.Index(df.columns), errors="coerce")
        if cols.isna().any() or not np.all(np.asarray(cols) == np.round(cols)):
            problems.append(Problem(at, "columns must be element indices (integers)"))
            continue
        dup = pd.Index(cols)[pd.Index(cols).duplicated()].unique()
        if len(dup):
            problems.append(Problem(at, f"more than one column for element(s) {_cols(dup)}"))
        num = df.apply(pd.to_numeric, errors="coerce")
        bad = df.columns[~np.isfinite(num.to_numpy(float)).all(axis=0)]
        if len(bad):
            problems.append(Problem(at, f"NaN, non-numeric or infinite values in {_cols(bad)}"))
        if index is None:
            index = df.index
        elif not df.index.equals(index):
            problems.append(Problem(at, "index differs from the other series' (same rows needed)"))
        values[key] = num.to_numpy(float)
        columns[key] = np.asarray(cols, dtype=int)
    first = None
    if index is None:
        return None, problems
    if isinstance(index, pd.DatetimeIndex) and (len(index) > 1 or step_h is None):
        steps = np.diff(index.asi8) / 3.6e12
        if len(index) < 2 or not np.allclose(steps, steps[0], rtol=0, atol=1e-9) or steps[0] <= 0:
            problems.append(Problem(where, "time index must be increasing in uniform steps"))
        else:
            if step_h is not None and abs(step_h - steps[0]) > 1e-9:
                problems.append(
                    Problem(where, f"step_h {step_h:g} h differs from the index's {steps[0]:g} h")
                )
            step_h, first = float(steps[0]), index[0]
    elif step_h is None or not step_h > 0:
        problems.append(Problem(where, "give step_h > 0 (hours per row) or a DatetimeIndex"))
    else:
        first = index[0] if isinstance(index, pd.DatetimeIndex) else None
    if len(index) == 0:
        problems.append(Problem(where, "no rows"))
    if step_h is None or not step_h > 0 or len(index) == 0:
        return None, problems
    return ElementProfiles(values, columns, float(step_h), first, source), problems


def check_element_profiles(
    prof: ElementProfiles, net, start: str, horizon_h: float, where: str
) -> list[Problem]:
    """Problems of ``prof`` against a net and a case's horizon (empty when it fits).

    Every in-service element of a table with a series needs a column (the missing indices are
    listed); a column naming no element of the table is a problem too; the rows from ``start``
    must cover the horizon in whole steps.
    """
    at = f"{where} element profiles ({prof.source})"
    problems: list[Problem] = []
    for key, cols in prof.columns.items():
        table = net[key[0]] if key[0] in net else pd.DataFrame(columns=["in_service"])
        live = table.index[table.in_service.astype(bool)].to_numpy(int)
        missing = np.setdiff1d(live, cols)
        unknown = np.setdiff1d(cols, table.index.to_numpy(int))
        if len(missing):
            problems.append(Problem(f"{at} {key!r}", f"no column for {key[0]}(s) {_cols(missing)}"))
        if len(unknown):
            problems.append(
                Problem(f"{at} {key!r}", f"column(s) {_cols(unknown)} name no net.{key[0]} row")
            )
    try:
        window_rows(prof, start, horizon_h)
    except ValueError as exc:
        problems.extend(getattr(exc, "problems", [Problem(at, str(exc))]))
    return problems


def window_rows(prof: ElementProfiles, start: str, horizon_h: float) -> slice:
    """The rows of ``prof`` covering ``[start, start + horizon_h)``.

    ``start`` is an ISO date or date-time (``"2016-06-21"``, ``"2016-06-21 06:00"``) on a
    ``DatetimeIndex``, read on the index's own clock (its time zone, when it has one); empty
    means the first row.

    Raises
    ------
    InputError
        A horizon that is not a whole number of steps, a start that is not on a row, or rows
        that end before the horizon does.
    """
    where = f"[profiles].start ({prof.source})"
    n = horizon_h / prof.step_h
    if abs(n - round(n)) > 1e-6 or round(n) < 1:
        raise_if_problems(
            [
                Problem(
                    where,
                    f"horizon {horizon_h:g} h is not a whole number of "
                    f"{prof.step_h * 60:g}-min steps",
                )
            ]
        )
    n, k0 = round(n), 0
    if start:
        if prof.first is None:
            raise_if_problems([Problem(where, "a start date needs series indexed by date-time")])
        try:
            t0 = pd.Timestamp(datetime.fromisoformat(start))
            if prof.first.tz is not None and t0.tz is None:
                t0 = t0.tz_localize(prof.first.tz)
        except Exception as exc:
            # or repeats (pandas raises pytz's NonExistentTimeError / AmbiguousTimeError)
            raise_if_problems(
                [
                    Problem(
                        where,
                        f"{start!r} is not one time of the series' clock "
                        f"({prof.first.tz or 'no time zone'}): {exc}",
                    )
                ]
            )
        k = (t0 - prof.first) / pd.Timedelta(hours=prof.step_h)
        if abs(k - round(k)) > 1e-6 or k < 0:
            last = prof.first + pd.Timedelta(hours=prof.step_h * (prof.rows - 1))
            raise_if_problems(
                [
                    Problem(
                        where,
                        f"{start} is not a row of the series "
                        f"({prof.first} to {last}, every {prof.step_h * 60:g} min)",
                    )
                ]
            )
        k0 = round(k)
    if k0 + n > prof.rows:
        span = f"from {start}" if start else "from the first row"
        raise_if_problems(
            [
                Problem(
                    where,
                    f"the series has {prof.rows} rows; {n} rows {span} (row {k0}) run past its end",
                )
            ]
        )
    return slice(k0, k0 + n)


def resample_weights(rows: int, horizon_h: float, periods: int) -> np.ndarray:
    """(periods, rows) averaging weights of ``rows`` equal steps onto ``periods`` equal periods
    of the same horizon: the time overlap of period t and row r over the period's length."""
    edges_p = np.linspace(0.0, horizon_h, periods + 1)
    edges_r = np.linspace(0.0, horizon_h, rows + 1)
    lo = np.maximum(edges_p[:-1, None], edges_r[None, :-1])
    hi = np.minimum(edges_p[1:, None], edges_r[None, 1:])
    w = np.clip(hi - lo, 0.0, None)
    return w / w.sum(axis=1, keepdims=True)


def _cols(items) -> str:
    items = [str(c) for c in list(items)]
    return ", ".join(items[:20]) + (f" ... ({len(items)} in all)" if len(items) > 20 else "")
