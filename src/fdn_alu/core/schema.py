"""Settings schemas: one :class:`Field` per setting, with its type, default, unit, description
and source in one place (PyPSA's component attribute tables are the model), and the
validation that reports every problem at once.

The core sections (``[case]``, ``[network]``) are defined here; every device component defines
its own section in its ``settings`` module. ``docs/SETTINGS.md`` is generated from these tables
(:func:`schema_markdown`), never copied by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fdn_alu.errors import Problem

REQUIRED = object()

Check = Callable[[Any], str | None]
NUM = (int, float)


def positive(v: float) -> str | None:
    return None if v > 0 else "must be > 0"


def non_negative(v: float) -> str | None:
    return None if v >= 0 else "must be >= 0"


def fraction(v: float) -> str | None:
    return None if 0 < v <= 1 else "must be in (0, 1]"


def one_of(*choices: str) -> Check:
    def check(v: str) -> str | None:
        return None if v in choices else f"must be one of {', '.join(choices)}"

    return check


@dataclass(frozen=True)
class Field:
    """One setting.

    Attributes
    ----------
    type : type or tuple of types
        ``NUM`` for a number (ints become floats).
    default : Any
        ``REQUIRED`` when the setting has no default.
    unit : str
        Physical unit ("" for dimensionless or text).
    description : str
        What the setting means, with its sign convention.
    source : str
        Where the default comes from (a publication, a data set, or "our choice" and why).
    check : callable or None
        Returns a message when a value is out of range.
    """

    type: type | tuple[type, ...]
    default: Any
    unit: str = ""
    description: str = ""
    source: str = ""
    check: Check | None = None


CASE: dict[str, Field] = {
    "name": Field(str, REQUIRED, "", "case name, used in result folders and reports"),
    "description": Field(str, "", "", "one line shown by `fdn-alu cases`"),
    "base": Field(
        str,
        "",
        "",
        "a built-in case name or a case TOML (relative to this file) whose settings this file "
        "overrides: tables merge key by key, arrays of tables ([[pv]], ...) are replaced whole",
        "our choice: one source of truth for case variants",
    ),
    "notes": Field(
        str,
        "",
        "",
        "a note carried into every run's summary (`notes`) and printed by `fdn-alu run`, "
        "e.g. that some values are fitted",
    ),
    "network": Field(
        str,
        REQUIRED,
        "",
        "feeder: matpower:NAME, simbench:CODE (the grid with its per-element profiles, "
        "needs the simbench extra), a MATPOWER .m or a pandapower .json path",
    ),
    "profiles": Field(str, REQUIRED, "", "profile CSV: time_h plus one column per profile"),
    "horizon_h": Field(NUM, 24.0, "h", "length of the dispatch horizon", "one day", positive),
    "currency": Field(str, "CNY", "", "currency of every price", "the paper's (CNY)"),
}

NETWORK: dict[str, Field] = {
    "root_vm_pu": Field(
        NUM,
        1.0,
        "pu",
        "voltage magnitude held at the root (slack) bus",
        "MATPOWER files",
        positive,
    ),
    "vm_min_pu": Field(
        NUM, 0.9, "pu", "lower voltage limit at every bus", "MATPOWER VMIN", positive
    ),
    "vm_max_pu": Field(
        NUM, 1.1, "pu", "upper voltage limit at every bus", "MATPOWER VMAX", positive
    ),
    "max_i_ka": Field(
        NUM,
        0.0,
        "kA",
        "current limit of every line (0: keep the lines' own ratings)",
        "our choice: the feeder files carry no ratings",
        non_negative,
    ),
    "load_profile": Field(
        str,
        "load_scale",
        "",
        "profile column scaling every bus load (loads and static generators without "
        "per-element profiles; see docs/PROFILES.md)",
    ),
    "sgen": Field(
        str,
        "fixed",
        "",
        "static generators (net.sgen) with their profiles: `fixed` injections, as in "
        "pandapower's power flow, or `curtailable` (output a decision in [0, profile])",
        "our choice: the net's own generation as pandapower computes it (docs/PROFILES.md)",
        one_of("fixed", "curtailable"),
    ),
}


def _iso_time(v: str) -> str | None:
    if not v:
        return None
    try:
        datetime.fromisoformat(v)
    except ValueError:
        return "must be an ISO date or date-time such as 2016-06-21 or 2016-06-21 06:00"
    return None


PROFILES: dict[str, Field] = {
    "start": Field(
        str,
        "",
        "",
        "first time step of the per-element profiles (network = simbench:CODE, or "
        "element_profiles given to case_from_net), an ISO date or date-time; empty: their "
        "first row",
        "SimBench's year starts 2016-01-01 00:00",
        _iso_time,
    ),
}


def validate_section(
    raw: Any,
    schema: dict[str, Field],
    where: str,
    problems: list[Problem],
    section: str = "",
    element: str | int | None = None,
    aliases: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Check one TOML table against a schema; fill defaults; append every problem found.

    Parameters
    ----------
    raw : Any
        The table as parsed (should be a dict).
    schema : dict of str -> Field
    where : str
        "file [section]" used in problem messages.
    problems : list of Problem
        Appended to in place (the only side effect).
    section, element : optional
        Structured location of the problems (see :class:`~fdn_alu.errors.Problem`).
    aliases : dict, optional
        Alternative key -> schema key (e.g. a validated plural for its singular).

    Returns
    -------
    dict
        The validated values; ints are turned into floats where a float is expected.
    """

    def problem(key: str, what: str) -> None:
        problems.append(Problem(f"{where}.{key}" if key else where, what, section, key, element))

    if not isinstance(raw, dict):
        problem("", "must be a table")
        return {}
    raw = {(aliases or {}).get(k, k): v for k, v in raw.items()}
    out: dict[str, Any] = {}
    for key in raw:
        if key not in schema:
            problem(key, f"unknown key (allowed: {', '.join(schema)})")
    for key, f in schema.items():
        if key not in raw:
            if f.default is REQUIRED:
                problem(key, "missing")
            else:
                out[key] = f.default
            continue
        value = raw[key]
        if isinstance(value, bool) and f.type is not bool:
            problem(key, f"expected a number, got {value!r}")
            continue
        if not isinstance(value, f.type):
            name = "number" if f.type == NUM else getattr(f.type, "__name__", str(f.type))
            problem(key, f"expected {name}, got {value!r}")
            continue
        if f.type == NUM:
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")):
                problem(key, f"must be a finite number (got {value!r})")
                continue
        msg = f.check(value) if f.check else None
        if msg:
            problem(key, f"{msg} (got {value!r})")
            continue
        out[key] = value
    return out


def schema_markdown(title: str, schema: dict[str, Field]) -> str:
    """A Markdown table of a schema: key, unit, default, description, source."""

    def default(f: Field) -> str:
        if f.default is REQUIRED:
            return "required"
        return f"`{f.default!r}`" if not isinstance(f.default, str) else f"`{f.default}`"

    lines = [
        f"### {title}",
        "",
        "| key | unit | default | description | source |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{k}` | {f.unit} | {default(f)} | {f.description} | {f.source} |"
        for k, f in schema.items()
    ]
    return "\n".join(lines) + "\n"
