"""Writing a run's tables and summary.json to a folder, all or nothing.

One writer for the API (:func:`write_results`) and ``fdn-alu run`` (:func:`write_run_files`
through :func:`fdn_alu.results.folders.write_dir_atomic`): the same files, the same rules.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fdn_alu.errors import OutputRefusedError, Problem
from fdn_alu.results.folders import write_dir_atomic

FLOAT_FORMAT = "%.10g"
"""How a run's CSV tables write floats (10 significant digits)."""
RUN_KIND = "run"
"""The command recorded in the marker of a run's folder (``fdn-alu run`` and the API)."""


def write_run_files(result: Any, folder: Path) -> None:
    """The files of a run folder: each of ``result.tables()`` as CSV, and summary.json.

    CSV: pandas' ``to_csv(index=False, float_format="%.10g")``, byte for byte
    (:func:`csv_text`); JSON: indent 2, numpy scalars as Python
    numbers, non-finite floats as null.
    """
    folder = Path(folder)
    for name, df in result.tables().items():
        text = csv_text(df, FLOAT_FORMAT)
        (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    with (folder / "summary.json").open("w") as fh:
        json.dump(jsonable(result.summary), fh, indent=2)


def write_results(result: Any, out: str | os.PathLike, overwrite: bool = True) -> Path:
    """Write summary.json and the CSV tables to ``out``, all or nothing.

    Parameters
    ----------
    result : RunResult
        What :func:`fdn_alu.run` returned.
    out : path-like
        A new folder, an empty folder, or an earlier run result (replaced only once the new
        folder is complete). Anything else -- a user's folder, a file, a symbolic link, another
        command's result -- is refused and left untouched.
    overwrite : bool
        Replace an earlier run result (default); ``False`` refuses any existing ``out``.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    OutputRefusedError
        ``out`` is not ours to write (nothing was written). An ``OutputError`` and an
        ``InputError``.
    OutputError
        The operating system failed while writing (disk full, ...): the path and the reason;
        nothing half-written is left and an earlier result stays as it was.
    """
    if not overwrite and os.path.lexists(os.fspath(out) or "."):
        raise OutputRefusedError([Problem(f"out {out}", f"{out} exists and overwrite=False")])
    write_dir_atomic(out, lambda tmp: write_run_files(result, tmp), kind=RUN_KIND, where="out")
    return Path(out)


def jsonable(obj):
    """``obj`` for JSON: string keys, numpy arrays and scalars as Python values, non-finite
    floats as None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def csv_text(df: pd.DataFrame, float_format: str) -> str:
    """``df.to_csv(index=False, float_format=float_format)``, byte for byte, in less time.

    pandas formats every cell through its generic writer (0.19 s for the two large tables of
    ieee85 x 96); here each column is formatted at once: floats with ``float_format`` (NaN as
    an empty field), integers and booleans with ``str``, text quoted as the csv module's
    minimal quoting does. Any other column type, a text column holding something other than
    text, or a single-column frame is left to pandas.
    """
    if df.shape[1] < 2:
        return df.to_csv(index=False, float_format=float_format)
    columns = []
    for name in df.columns:
        cells = _cells(df[name], float_format)
        if cells is None:
            return df.to_csv(index=False, float_format=float_format)
        columns.append(cells)
    header = ",".join(_quoted(str(c)) for c in df.columns)
    return "\n".join([header, *map(",".join, zip(*columns, strict=True))]) + "\n"


def _cells(col: pd.Series, float_format: str) -> list[str] | None:
    """One column's fields as pandas writes them, or None when pandas must write it."""
    kind = col.dtype
    if kind == np.float64:
        values = col.to_numpy()
        cells = [float_format % v for v in values.tolist()]
        if np.isnan(values).any():
            cells = ["" if v != v else c for v, c in zip(values.tolist(), cells, strict=True)]
        return cells
    if kind == np.int64 or kind == np.bool_:
        return [str(v) for v in col.tolist()]
    if isinstance(kind, pd.Int64Dtype):
        return ["" if v is pd.NA else str(v) for v in col.tolist()]
    if pd.api.types.is_object_dtype(kind):
        values = col.tolist()
        if not all(isinstance(v, str) or v is None for v in values):
            return None
        return ["" if v is None else _quoted(v) for v in values]
    return None


def _quoted(text: str) -> str:
    """A text field as csv's QUOTE_MINIMAL writes it (quotes doubled inside quotes)."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
