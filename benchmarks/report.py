"""Render ``RESULTS.json`` into the marked sections of ``RESULTS.md``.

Each section lives between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``; rendering
replaces what is between the two markers and leaves every other line of the file as it was. A
section missing from the file is appended at its end, with its markers. Every section starts
with the line that says when, where and under which load it was measured.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

SECTIONS = ("bench-day", "bench-growth", "bench-pipeline", "bench-fleets")
"""The marked sections of RESULTS.md, in file order."""

OURS = "fdn_alu SOC (Clarabel)"
PYPSA = "PyPSA linear OPF (HiGHS)"

GROWTH_MIN_BUSES = 85
"""The growth exponents are fitted over feeders of at least this many buses (the 15-bus feeder's
times are dominated by fixed costs)."""


def markers(name: str) -> tuple[str, str]:
    """The opening and closing marker lines of section ``name``."""
    return f"<!-- table:{name} -->", f"<!-- /table:{name} -->"


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with the content between the markers of ``name`` replaced by ``body``.

    The markers stay; everything outside them is unchanged. Without the markers the section is
    appended at the end of ``text``.

    Raises
    ------
    ValueError
        If only one of the two markers is present, or the closing one comes first.
    """
    start, end = markers(name)
    i, j = text.find(start), text.find(end)
    block = f"{start}\n{body.strip()}\n{end}"
    if i < 0 and j < 0:
        sep = "" if text.endswith("\n\n") or not text else ("\n" if text.endswith("\n") else "\n\n")
        return f"{text}{sep}{block}\n"
    if i < 0 or j < i:
        raise ValueError(f"RESULTS.md: markers of section {name!r} are incomplete or misordered")
    return text[:i] + block + text[j + len(end) :]


def section_body(text: str, name: str) -> str | None:
    """The current content between the markers of ``name`` (None if absent)."""
    start, end = markers(name)
    m = re.search(re.escape(start) + r"\n?(.*?)\n?" + re.escape(end), text, flags=re.S)
    return m.group(1) if m else None


def fit_exponent(x: np.ndarray, y: np.ndarray) -> float:
    """Slope ``k`` of ``log y = k log x + c`` (least squares); NaN with fewer than two points.

    Points where either value is not positive or not finite are left out, and so are repeated
    ``x`` values beyond one distinct value (a single ``x`` has no slope).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if np.unique(x[ok]).size < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def growth_fits(rows: list[dict], min_buses: int = GROWTH_MIN_BUSES) -> list[dict]:
    """Growth exponents of the day rows: time and memory against buses x periods, per tool.

    Returns
    -------
    list of dict
        One per (tool, quantity): ``tool``, ``quantity``, ``exponent``, ``points`` (how many
        configurations), ``from_bp`` and ``to_bp`` (smallest and largest bus-periods fitted),
        ``buses`` (the feeder sizes among them).
    """
    out = []
    for tool in (OURS, PYPSA):
        pts = [r for r in rows if r.get("tool") == tool and r.get("buses", 0) >= min_buses]
        if not pts:
            continue
        bp = np.array([r["buses"] * r["periods"] for r in pts], dtype=float)
        for q in ("solver_s", "in_process_s", "cpu_s", "peak_mb"):
            y = np.array([r.get(q, math.nan) for r in pts], dtype=float)
            out.append(
                {
                    "tool": tool,
                    "quantity": q,
                    "exponent": fit_exponent(bp, y),
                    "points": len(pts),
                    "from_bp": float(bp.min()),
                    "to_bp": float(bp.max()),
                    "buses": sorted({int(r["buses"]) for r in pts}),
                }
            )
    return out


def _num(v, digits: int = 3) -> str:
    """A number to ``digits`` significant digits with thousands separators; '-' for missing."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    v = float(v)
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    decimals = max(digits - 1 - mag, 0)
    return f"{round(v, decimals):,.{decimals}f}"


def _mb(rec: dict | None) -> str:
    """A record's peak memory in whole MB."""
    if not rec or rec.get("peak_mb") is None:
        return "-"
    return f"{rec['peak_mb']:,.0f}"


def _pct(v) -> str:
    """A fraction as a percentage to 2 significant digits ('-' for missing)."""
    return "-" if v is None else _num(100.0 * float(v), 2)


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def meta_line(meta: dict) -> str:
    """When, where, with what and under which load a section was measured."""
    m = meta.get("machine", {})
    start, end = meta.get("start_utc", "?"), meta.get("end_utc", "?")
    if start[:10] == end[:10]:
        end = end[11:]
    lb = "/".join(f"{x:.2f}" for x in meta.get("load_before", []))
    la = "/".join(f"{x:.2f}" for x in meta.get("load_after", []))
    text = (
        f"Measured {start} to {end} UTC on {m.get('cpu', '?')} ({m.get('cores', '?')} cores, "
        f"{_num(m.get('ram_gb'))} GB RAM); load average (1/5/15 min) before {lb}, after {la}"
    )
    if meta.get("commit"):
        text += f"; commit {meta['commit']}"
    text += "."
    pk = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
    ref = ", ".join(f"{k} {v}" for k, v in m.get("reference_packages", {}).items())
    if pk:
        text += f" Python {m.get('python', '?')}, {pk}"
        text += f"; PyPSA's environment: {ref}." if ref else "."
    if meta.get("command"):
        text += f" `{meta['command']}`."
    return text


def render_day(sec: dict) -> str:
    """The ours-against-PyPSA table of the common feeder-day."""
    rows = sec.get("rows", [])
    by = {(r["buses"], r["periods"], r["tool"]): r for r in rows}
    keys = sorted({(b, p) for b, p, _ in by})
    out = []
    for b, p in keys:
        o, r = by.get((b, p, OURS)), by.get((b, p, PYPSA))

        def times(rec):
            if rec is None:
                return "-"
            return " / ".join(_num(rec.get(k)) for k in ("solver_s", "in_process_s", "process_s"))

        ratio = o["in_process_s"] / r["in_process_s"] if o and r else math.nan
        ratio_cpu = o["cpu_s"] / r["cpu_s"] if o and r and r.get("cpu_s") else math.nan
        load = max(x.get("load_1min", math.nan) for x in (o, r) if x)
        out.append(
            [
                f"{b:,} x {p}",
                times(o),
                _mb(o),
                times(r),
                _mb(r),
                f"**{_num(ratio, 2)}**" if math.isfinite(ratio) else "-",
                _num(ratio_cpu, 2),
                _num(load, 2),
            ]
        )
    head = [
        "buses x periods",
        "ours: solver / in process / whole process (s)",
        "ours peak MB",
        "PyPSA: HiGHS / in process / whole process (s)",
        "PyPSA peak MB",
        "ratio in process",
        "ratio CPU",
        "load",
    ]
    rounds = ""
    if rows:
        n = max(r.get("rounds", 1) for r in rows)
        rounds = f"Fastest of {n} interleaved rounds" if n > 1 else "One round"
        rounds += " (the 3,361-bus feeder once)." if any(r["buses"] > 3000 for r in rows) else "."
    notes = [
        meta_line(sec.get("meta", {})),
        "",
        _table(head, out),
        "",
        "Ours: the exact SOC DistFlow dispatch (losses, voltages, AC check) with Clarabel; "
        "PyPSA: its lossless linear OPF with HiGHS on the same loads, PV, prices and battery. "
        "In process = building and solving the day from a loaded case; whole process = the "
        "child process from start to exit (imports included); peak MB = the child's peak "
        "resident set (`os.wait4`); ratio = ours / PyPSA, of the in-process wall time and of "
        "the in-process CPU time. " + (rounds + " " if rounds else "") + "Load = 1-minute load "
        "average at the start of the fastest round.",
    ]
    bad = [
        f"{r['buses']:,} x {r['periods']} {r['tool']}: {r.get('status')} / {r.get('check')}"
        for r in rows
        if r.get("status") not in ("optimal", "Optimal")
        or r.get("check", "ok") not in ("ok", "", None)
    ]
    if bad:
        notes.append("")
        notes.append("Not optimal or a check not ok: " + "; ".join(bad) + ".")
    missing = sec.get("missing", [])
    if missing:
        notes.append("")
        notes.append("Failed or timed out: " + "; ".join(missing) + ".")
    return "\n".join(notes)


QUANTITY_LABEL = {
    "solver_s": "solver",
    "in_process_s": "in process",
    "cpu_s": "CPU (in process)",
    "peak_mb": "peak memory",
}


def render_growth(sec: dict) -> str:
    """The fitted growth exponents, one row per quantity, one column per tool."""
    fits = sec.get("fits", [])
    tools = [t for t in (OURS, PYPSA) if any(f["tool"] == t for f in fits)]
    rows = []
    for q, label in QUANTITY_LABEL.items():
        cells = [label]
        for t in tools:
            f = next((f for f in fits if f["tool"] == t and f["quantity"] == q), None)
            cells.append(_num(f["exponent"], 3) if f else "-")
        rows.append(cells)
    span = ""
    if fits:
        f0 = fits[0]
        span = (
            f" over {f0['points']} configurations of at least {GROWTH_MIN_BUSES} buses, "
            f"{_num(f0['from_bp'])} to {_num(f0['to_bp'])} bus-periods"
        )
    text = [
        meta_line(sec.get("meta", {})),
        "",
        _table(["quantity ~ (buses x periods)^k", *tools], rows),
        "",
        f"k: least-squares slope of log(quantity) against log(buses x periods){span}, "
        "from the rows of the day table.",
    ]
    if fits and len(fits[0].get("buses", [])) == 1:
        text[-1] += (
            f" All of them have {fits[0]['buses'][0]:,} buses: k is the growth with the number "
            "of periods only."
        )
    return "\n".join(text)


def _cell(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int | float):
        return _num(v)
    return str(v)


def render_pipeline(sec: dict) -> str:
    """The pipeline benchmark's result: the script's own tables (``markdown``, rendered when
    it was measured), else its rows as a table, else its scalars; or the note why none."""
    lines = [meta_line(sec.get("meta", {})), ""] if sec.get("meta") else []
    res = sec.get("result")
    if sec.get("note"):
        lines.append(sec["note"])
    if isinstance(sec.get("markdown"), str):
        lines.append(sec["markdown"].strip())
    else:
        rows = res if isinstance(res, list) else (res or {}).get("rows")
        if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
            cols = list(dict.fromkeys(k for r in rows for k, v in r.items() if _scalar(v)))
            lines.append(_table(cols, [[_cell(r.get(c)) for c in cols] for r in rows]))
        elif isinstance(res, dict):
            kv = [[k, _cell(v)] for k, v in res.items() if _scalar(v)]
            if kv:
                lines.append(_table(["quantity", "value"], kv))
    return "\n".join(lines)


def _scalar(v) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def render_fleets(sec: dict) -> str:
    """The ``fdn-alu season`` whole-process table."""
    rows = []
    for r in sec.get("rows", []):
        rows.append(
            [
                f"`{r['fleet']}`",
                _num(r.get("wall_s")),
                _num(r.get("cpu_s")),
                _mb(r),
                _pct(r.get("mip_gap_max")),
                _num(r.get("solve_time_s")),
                str(r.get("exit_code", "-")),
                _num(r.get("load_1min"), 2),
            ]
        )
    head = [
        "fleet",
        "wall (s)",
        "CPU (s)",
        "peak MB",
        "largest MIP gap (%)",
        "solver time, all strategies (s)",
        "exit",
        "load",
    ]
    cmd = sec.get("rows", [{}])[0].get("command", "fdn-alu season --fleet FLEET --out OUT")
    cmd = re.sub(r"--fleet \S+", "--fleet FLEET", cmd)
    lines = [
        meta_line(sec.get("meta", {})),
        "",
        _table(head, rows),
        "",
        f"`{cmd}` with the fleet's defaults (every strategy; the break-even map where the "
        "fleet is small enough for it), each in its own process: wall and CPU (user + system, "
        "worker processes included) of the whole process, its peak resident set, and the "
        "largest MIP gap over the strategies from summary.json. Load = 1-minute load average "
        "at the start.",
    ]
    errs = [f"`{r['fleet']}`: {r['error']}" for r in sec.get("rows", []) if r.get("error")]
    if errs:
        lines.append("")
        lines.append("Failed: " + "; ".join(errs) + ".")
    return "\n".join(lines)


RENDER = {
    "bench-day": render_day,
    "bench-growth": render_growth,
    "bench-pipeline": render_pipeline,
    "bench-fleets": render_fleets,
}


def render_file(path: Path, results: dict, append_missing: bool = True) -> str:
    """Rewrite the marked sections of ``path`` present in ``results['sections']``.

    Sections absent from ``results`` keep their current text. A section whose markers are not
    in the file is appended to it, or skipped with ``append_missing=False`` (the main README
    quotes only the day table). Returns the new file content (also written to ``path``).
    """
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    for name in SECTIONS:
        sec = results.get("sections", {}).get(name)
        if sec is None or (not append_missing and markers(name)[0] not in text):
            continue
        text = replace_section(text, name, RENDER[name](sec))
    path.write_text(text)
    return text
