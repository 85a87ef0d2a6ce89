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

from fdn_alu.errors import OutputRefusedError, Problem
from fdn_alu.results.folders import write_dir_atomic

RUN_KIND = "run"
"""The command recorded in the marker of a run's folder (``fdn-alu run`` and the API)."""


def write_run_files(result: Any, folder: Path) -> None:
    """The files of a run folder: each of ``result.tables()`` as CSV, and summary.json.

    CSV: ``index=False``, ``float_format="%.10g"``; JSON: indent 2, numpy scalars as Python
    numbers, non-finite floats as null.
    """
    folder = Path(folder)
    for name, df in result.tables().items():
        df.to_csv(folder / f"{name}.csv", index=False, float_format="%.10g")
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
