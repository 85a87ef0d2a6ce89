"""The spec of a sweep: task kinds, the expanded and validated list of points, stable point ids.

:func:`load_spec` reads a spec (TOML file or dict, see ``docs/SWEEPS.md``), expands ``[axes]``
(a full grid) or ``[[points]]`` (an explicit list) into tasks and validates all of them before
anything runs. What a point means is its kind's business (:class:`TaskKind`); the built-in
``dispatch`` kind lives in :mod:`fdn_alu.studies.sweep.dispatch` and is registered when
:mod:`fdn_alu.studies.sweep.study` is imported.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdn_alu.errors import Problem, raise_if_problems

__all__ = [
    "DEFAULT_MAX_POINTS",
    "KINDS",
    "SPEC_SECTIONS",
    "SweepSpec",
    "TaskKind",
    "load_spec",
    "point_id",
    "register_kind",
]

SPEC_SECTIONS = ("sweep", "set", "axes", "points")

DEFAULT_MAX_POINTS = 10_000
"""Largest sweep run without ``--max-points`` (our choice: at 1-5 s per point of the shipped
feeders, 3-14 CPU-hours; above it a typing slip such as a 300-value axis is more likely than
intent, and the spec is refused with its size, time and memory before anything is expanded)."""

PARENT_BYTES_PER_POINT = 3_000
"""Memory the running sweep holds per point (its task, id, values and table row; measured
with tracemalloc on a 10,000-point dispatch grid: 2.4 kB, rounded up)."""


# --------------------------------------------------------------------------------------------
# task kinds


@dataclass(frozen=True)
class TaskKind:
    """A kind of task the sweep engine runs (``"dispatch"`` is built in).

    Attributes
    ----------
    name : str
        The ``kind`` of its points.
    runner : str
        ``"module:function"`` run in the worker: ``function(point) -> {"summary": dict,
        "tables": {name: list of records}}``. Named by import path, not passed as an object, so
        that workers on other machines find it.
    options : dict
        Run options (point keys besides ``settings``) with their defaults. ``[sweep]`` overrides
        them; each may be an axis.
    base : callable
        ``base(value, spec_dir) -> (fields, problems)``: the point fields (e.g. ``case``) of
        ``[sweep].base``.
    validate : callable
        ``validate(spec) -> problems``: checks every point before anything runs.
    row : callable
        ``row(summary) -> dict``: the columns of ``sweep.csv`` taken from a point's summary.
    cost : callable, optional
        ``cost(point) -> (seconds, megabytes, what)``: estimated time and peak memory of one
        point on one worker, and what they were estimated for (shown when a sweep is refused).
    """

    name: str
    runner: str
    options: dict[str, Any]
    base: Callable[[Any, Path], tuple[dict, list[Problem]]]
    validate: Callable[[SweepSpec], list[Problem]]
    row: Callable[[dict], dict]
    cost: Callable[[dict], tuple[float, float, str]] | None = None


KINDS: dict[str, TaskKind] = {}
"""Registered task kinds by name."""


def register_kind(kind: TaskKind) -> None:
    """Register (or replace) a task kind."""
    KINDS[kind.name] = kind


# --------------------------------------------------------------------------------------------
# the spec


@dataclass
class SweepSpec:
    """A validated sweep: its task kind and every point.

    Attributes
    ----------
    kind : TaskKind
    points : list of dict
        The tasks, JSON-able.
    ids : list of str
        Stable id of every point (:func:`point_id`).
    values : list of dict
        The axis values of every point (axis name -> value), for tables and messages.
    axes : list of str
        Axis names in column order.
    fixed : dict
        Settings fixed for every point (``[set]``).
    raw : dict
        The spec as given.
    source : str
        Where the spec came from.
    """

    kind: TaskKind
    points: list[dict]
    ids: list[str]
    values: list[dict]
    axes: list[str]
    fixed: dict
    raw: dict
    source: str = ""

    def label(self, i: int) -> str:
        """Short description of point ``i`` (its axis values)."""
        return ", ".join(f"{k}={v}" for k, v in self.values[i].items()) or "base"


def point_id(point: dict) -> str:
    """Stable id of a point: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    text = json.dumps(point, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _too_many(
    kind: TaskKind, sample: dict, n: int, sizes: list[int], max_points: int, workers: int
) -> Problem:
    """The refusal of a sweep of ``n`` points: its size, time and memory, and the override."""
    shape = " x ".join(str(k) for k in sizes) or str(n)
    text = f"{n:,} points ({shape}) exceed the limit of {max_points:,}"
    if kind.cost is not None:
        try:
            seconds, mb, what = kind.cost(sample)
        except Exception:  # the estimate is a courtesy; the refusal stands without it
            seconds = None
        if seconds is not None:
            cpu_h = n * seconds / 3600
            text += (
                f"; about {cpu_h:,.0f} CPU-hours ({seconds:.1f} s per point, {what}): "
                f"{cpu_h / max(workers, 1):,.0f} h on {workers} worker(s), {mb / 1024:.1f} GB "
                f"per worker and {n * PARENT_BYTES_PER_POINT / 1024**3:,.1f} GB for the "
                "sweep's bookkeeping"
            )
    return Problem(
        "sweep size",
        text + f"; use fewer axis values, or raise the limit with --max-points {n}",
    )


def count_points(raw: dict) -> tuple[int, list[int]]:
    """Points of a spec and the axis lengths, counted without expanding it."""
    axes = raw.get("axes")
    points = raw.get("points")
    if points is not None:
        return (len(points), [len(points)]) if isinstance(points, list) else (0, [])
    if not isinstance(axes, dict):
        return 1, []
    sizes = [len(v) for v in axes.values() if isinstance(v, list)]
    return math.prod(sizes), sizes


def load_spec(
    spec: str | os.PathLike | dict,
    base_dir: str | os.PathLike | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    workers: int = 1,
) -> SweepSpec:
    """Read, expand and validate a sweep spec; every problem is reported at once.

    Parameters
    ----------
    spec : path-like or dict
        A spec TOML file, or the same content as a dict.
    base_dir : path-like, optional
        Folder a relative ``base`` is resolved against (default: the spec file's folder, or the
        working directory for a dict).
    max_points : int
        Largest number of points accepted (:data:`DEFAULT_MAX_POINTS`); a larger spec is refused
        with its estimated time and memory before its points are expanded.
    workers : int
        Worker slots, for the time estimate of a refused spec.

    Returns
    -------
    SweepSpec

    Raises
    ------
    InputError
        Unreadable spec, unknown sections or options, bad axes (unknown setting path, wildcard
        matching nothing, a value the case schema refuses, ...), or any point whose case does not
        validate. Nothing has run.
    """
    if isinstance(spec, dict):
        raw, source = copy.deepcopy(spec), "spec"
        spec_dir = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(spec)
        source = str(path)
        if not path.is_file():
            raise_if_problems([Problem(source, "sweep spec not found")], "invalid sweep spec")
        try:
            raw = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise_if_problems([Problem(source, f"invalid TOML: {exc}")], "invalid sweep spec")
        spec_dir = Path(base_dir) if base_dir is not None else path.resolve().parent
    problems: list[Problem] = []
    for key in raw:
        if key not in SPEC_SECTIONS:
            problems.append(
                Problem(f"[{key}]", f"unknown section (allowed: {', '.join(SPEC_SECTIONS)})")
            )
    head = raw.get("sweep", {})
    if not isinstance(head, dict):
        raise_if_problems([Problem("[sweep]", "must be a table")], "invalid sweep spec")
    kind_name = head.get("kind", "dispatch")
    if kind_name not in KINDS:
        raise_if_problems(
            [Problem("[sweep].kind", f"unknown kind {kind_name!r} (known: {', '.join(KINDS)})")],
            "invalid sweep spec",
        )
    kind = KINDS[kind_name]
    options = dict(kind.options)
    for key, value in head.items():
        if key in ("kind", "base"):
            continue
        if key not in options:
            allowed = ", ".join(["kind", "base", *kind.options])
            problems.append(Problem(f"[sweep].{key}", f"unknown option (allowed: {allowed})"))
        else:
            options[key] = value
    # base -> point fields (e.g. case and its digest), for [sweep].base and any base axis value
    bases: dict[str, dict] = {}

    def add_base(value: Any, where: str) -> None:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in bases:
            fields, base_problems = kind.base(value, spec_dir)
            bases[key] = fields
            problems.extend(Problem(where, p.what) for p in base_problems)

    if "base" in head:
        add_base(head["base"], "[sweep].base")
    base_fields = bases.get(json.dumps(head.get("base"), sort_keys=True, default=str), {})

    fixed = raw.get("set", {})
    if not isinstance(fixed, dict):
        problems.append(Problem("[set]", "must be a table of setting path = value"))
        fixed = {}
    for key, value in fixed.items():
        if "." not in key:
            problems.append(Problem(f"[set].{key}", "not a setting path (section.key)"))
        elif not _jsonable(value):
            problems.append(Problem(f"[set].{key}", f"value {value!r} is not plain data"))

    def check_axis_name(name: str, where: str) -> bool:
        if name in options:
            return True
        if name == "base":
            return True
        if name in ("kind", "settings") or name in base_fields:
            problems.append(Problem(where, f"{name!r} cannot vary"))
            return False
        if "." not in name:
            problems.append(
                Problem(
                    where,
                    f"unknown axis {name!r} (run options: {', '.join(options)}; settings are "
                    "section.key paths)",
                )
            )
            return False
        if name in fixed:
            problems.append(Problem(where, f"{name!r} is also fixed in [set]"))
            return False
        return True

    axes_raw = raw.get("axes")
    points_raw = raw.get("points")
    values: list[dict] = []
    axes: list[str] = []
    if axes_raw is not None and points_raw is not None:
        problems.append(Problem("[axes] / [[points]]", "give either a grid or a list of points"))
    elif points_raw is not None:
        if not isinstance(points_raw, list) or not all(isinstance(p, dict) for p in points_raw):
            problems.append(Problem("[[points]]", "must be a list of tables"))
        else:
            for i, p in enumerate(points_raw):
                for name, value in p.items():
                    if check_axis_name(name, f"[[points]] #{i + 1} {name!r}"):
                        if not _jsonable(value):
                            problems.append(Problem(f"[[points]] #{i + 1}", f"{value!r}"))
                            continue
                        if name == "base":
                            add_base(value, f"[[points]] #{i + 1} base")
                        if name not in axes:
                            axes.append(name)
            values = [dict(p) for p in points_raw]
            if not values:
                problems.append(Problem("[[points]]", "no points"))
    else:
        axes_raw = axes_raw or {}
        if not isinstance(axes_raw, dict):
            problems.append(Problem("[axes]", "must be a table of name = [values]"))
            axes_raw = {}
        for name, vals in axes_raw.items():
            where = f"[axes] {name!r}"
            if not check_axis_name(name, where):
                continue
            if not isinstance(vals, list) or not vals:
                problems.append(Problem(where, "must be a non-empty list of values"))
                continue
            if not _jsonable(vals):
                problems.append(Problem(where, f"values {vals!r} are not plain data"))
                continue
            seen = [json.dumps(v, sort_keys=True) for v in vals]
            if len(set(seen)) < len(seen):
                problems.append(Problem(where, "a value is repeated"))
                continue
            if name == "base":
                for v in vals:
                    add_base(v, f"{where} = {v!r}")
            axes.append(name)
    n_points, sizes = count_points(raw)
    if n_points > max_points:  # refused before its points are expanded
        sample = {"kind": kind.name, **base_fields, **options, "settings": dict(fixed)}
        for name, vals in (axes_raw or {}).items():
            if name in options and isinstance(vals, list) and vals:
                sample[name] = vals[0]
        problems.append(_too_many(kind, sample, n_points, sizes, max_points, workers))
        raise_if_problems(problems, "sweep too large")
    if axes_raw is not None and points_raw is None:
        grid = [axes_raw[a] for a in axes]
        values = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*grid)]
    if "base" not in head and any("base" not in v for v in values or [{}]):
        problems.append(Problem("[sweep].base", "missing (a built-in case name or a case file)"))
    raise_if_problems(problems, "invalid sweep spec")

    points = []
    for vals in values:
        if "base" in vals:
            fields = bases[json.dumps(vals["base"], sort_keys=True, default=str)]
        else:
            fields = base_fields
        point = {"kind": kind.name, **fields, **options, "settings": dict(fixed)}
        for name, value in vals.items():
            if name in options:
                point[name] = value
            elif name != "base":
                point["settings"][name] = value
        points.append(point)
    ids = [point_id(p) for p in points]
    first: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in first:
            problems.append(Problem(f"[[points]] #{i + 1}", f"same as point #{first[pid] + 1}"))
        first.setdefault(pid, i)
    raise_if_problems(problems, "invalid sweep spec")
    out = SweepSpec(kind, points, ids, values, axes, dict(fixed), raw, source)
    raise_if_problems(kind.validate(out), f"invalid sweep {source}")
    return out
