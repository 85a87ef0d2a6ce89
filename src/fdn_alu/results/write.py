"""Writing a run's tables and summary.json to a folder, all or nothing."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def write_results(result: Any, out: str | os.PathLike, overwrite: bool = True) -> Path:
    """Write summary.json and the CSV tables to ``out``, all or nothing.

    Files are written into a temporary folder beside ``out`` and moved into place only when
    every file is complete; a failure leaves no folder that looks complete (an existing ``out``
    is replaced only after the new one is fully written).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for name, df in result.tables().items():
            df.to_csv(tmp / f"{name}.csv", index=False, float_format="%.10g")
        with (tmp / "summary.json").open("w") as fh:
            json.dump(jsonable(result.summary), fh, indent=2)
        if out.exists():
            if not overwrite:
                raise FileExistsError(f"{out} exists")
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


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
