"""The sweep folder: its marker, one atomically written folder per finished point, ``sweep.csv``.

Every point is filled in a temporary folder and renamed into place
(:func:`fdn_alu.results.folders.write_dir_atomic`), so a folder under ``points/`` is always
whole; the points found there are what a rerun skips. ``sweep.csv`` is rebuilt from them after
every run (:func:`fdn_alu.results.folders.write_file_atomic`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from fdn_alu.errors import InputError, Problem, raise_if_problems
from fdn_alu.results.folders import MARKER, check_out_dir, write_dir_atomic, write_file_atomic
from fdn_alu.studies.sweep.spec import SweepSpec

__all__ = [
    "POINT_KIND",
    "SWEEP_KIND",
    "check_out",
    "finished_points",
    "read_point",
    "write_marker",
    "write_point",
    "write_table",
]

SWEEP_KIND = "sweep"
"""``fdn_alu_result`` value of the marker file of a sweep folder."""

POINT_KIND = "sweep-point"


def _read_json(path: Path) -> dict | None:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def _is_sweep_dir(path: Path) -> bool:
    marker = _read_json(path / MARKER)
    return path.is_dir() and marker is not None and marker.get("fdn_alu_result") == SWEEP_KIND


def check_out(out: Path) -> list[Problem]:
    """Problems with the sweep folder: a new or empty folder, or an earlier sweep (resumed)."""
    where = f"--out {out}"
    if out.is_dir() and not out.is_symlink() and _is_sweep_dir(out):
        if not os.access(out, os.W_OK | os.X_OK):
            return [Problem(where, f"no permission to write in {out}")]
        return []
    try:
        check_out_dir(out, SWEEP_KIND)
    except InputError as exc:
        return exc.problems
    return []


def write_marker(out: Path) -> None:
    """The sweep folder's marker, listing the files the sweep wrote (never a user's)."""
    files = [f for f in ("sweep.json", "sweep.csv") if (out / f).is_file()]
    points = out / "points"
    if points.is_dir():
        for d in sorted(points.iterdir()):
            marker = _read_json(d / MARKER)
            if d.is_dir() and marker is not None and marker.get("fdn_alu_result") == POINT_KIND:
                rel = f"points/{d.name}"
                files += [f"{rel}/{MARKER}"] + [f"{rel}/{f}" for f in marker.get("files", [])]
    write_file_atomic(
        out / MARKER, json.dumps({"fdn_alu_result": SWEEP_KIND, "files": files}, indent=1) + "\n"
    )


def finished_points(out: Path, ids: list[str]) -> dict[str, dict]:
    """point.json of every finished point of this spec, by id."""
    done = {}
    for pid in ids:
        info = _read_json(out / "points" / pid / "point.json")
        if info is not None and info.get("status") in ("ok", "checks_failed", "failed"):
            done[pid] = info
    return done


def write_point(out: Path, res: dict, point: dict) -> None:
    """Write one finished point, all or nothing, into ``out/points/<id>/``."""
    tables = res.get("tables") or {}

    def fill(tmp: Path) -> None:
        if res.get("summary") is not None:
            (tmp / "summary.json").write_text(
                json.dumps(res["summary"], indent=1, default=_plain) + "\n"
            )
        for name, records in tables.items():
            pd.DataFrame.from_records(records).to_csv(tmp / f"{name}.csv", index=False)
        info = {k: v for k, v in res.items() if k not in ("summary", "tables")}
        info["point"] = point
        info["tables"] = sorted(tables)
        info["finished_at"] = time.time()
        (tmp / "point.json").write_text(json.dumps(info, indent=1, default=_plain) + "\n")

    write_dir_atomic(out / "points" / res["id"], fill, kind=POINT_KIND)


def _plain(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) or value is None else value


def _table(out: Path, spec: SweepSpec) -> pd.DataFrame:
    """One row per point of the spec, from the point folders (pending points included)."""
    rows = []
    for i, pid in enumerate(spec.ids):
        row: dict[str, Any] = {"point_id": pid}
        row.update({a: _cell(spec.values[i].get(a)) for a in spec.axes})
        info = _read_json(out / "points" / pid / "point.json")
        if info is None:
            row.update(status="pending", message="")
            rows.append(row)
            continue
        row.update(status=info.get("status"), message=info.get("message", ""))
        summary = _read_json(out / "points" / pid / "summary.json")
        if summary is not None:
            row.update(spec.kind.row(summary))
        row["time_point_s"] = info.get("time_point_s")
        row["cpu_point_s"] = info.get("cpu_point_s")
        worker = info.get("worker") or {}
        row["worker"] = f"{worker.get('host')}:{worker.get('pid')}"
        rows.append(row)
    return pd.DataFrame(rows)


def write_table(out: Path, spec: SweepSpec) -> pd.DataFrame:
    """Rebuild ``sweep.csv`` (and the marker) from the point folders; return the table."""
    table = _table(out, spec)
    write_file_atomic(out / "sweep.csv", table.to_csv(index=False))
    write_marker(out)
    return table


def read_point(out: str | os.PathLike, pid: str) -> dict:
    """A finished point of a sweep folder: ``point.json`` content plus ``summary`` and tables.

    Returns
    -------
    dict
        The ``point.json`` fields, ``summary`` (dict or None) and ``tables`` (name -> DataFrame).
    """
    folder = Path(out) / "points" / pid
    info = _read_json(folder / "point.json")
    if info is None:
        raise_if_problems([Problem(str(folder), "no finished point here")])
    info["summary"] = _read_json(folder / "summary.json")
    info["tables"] = {name: pd.read_csv(folder / f"{name}.csv") for name in info.get("tables", [])}
    return info
