"""Cases: a feeder (pandapower-layout tables) plus its settings (TOML) and profiles (CSV).

Built-in cases live in ``cases/data/<name>.toml``. A custom case is a TOML file of the same
form, or a bare network file (MATPOWER ``.m`` or pandapower ``.json``), which gets the settings
of ``cases/data/default.toml`` (grid supply only, the default day profiles).
"""

from __future__ import annotations

import copy
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fdn_alu.cases.element_profiles import ElementProfiles, parse_element_profiles
from fdn_alu.cases.networks import load_network
from fdn_alu.cases.profiles import read_profiles, validate_profiles
from fdn_alu.cases.simbench import is_simbench, load_simbench
from fdn_alu.cases.validate import check_case_data, validate_settings
from fdn_alu.errors import Problem, raise_if_problems

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Case:
    """A loaded, validated case.

    Attributes
    ----------
    name : str
        Case name.
    net : Feeder or pandapowerNet
        The feeder: a :class:`~fdn_alu.cases.feeder.Feeder` (pandapower's table layout, read
        without pandapower; ``net.to_pandapower()`` gives the net) for MATPOWER files, the
        pandapower net for pandapower JSON files, whatever was given to ``case_from_net``.
        Never mutated by this
        package; checks run on copies.
    settings : dict
        Validated settings by section (``case``, ``network``, ``grid``, ``pv`` list, and
        ``park`` / ``esop`` when present).
    profiles : DataFrame
        Profile table as read (``time_h`` plus one column per profile).
    source : str
        Where the case came from (file path or built-in name).
    notes : list of str
    element_profiles : ElementProfiles or None
        Per-element series of the net's loads and static generators (a SimBench grid's own,
        or those given to ``case_from_net``), used from ``[profiles] start``; None: every
        load follows the ``[network] load_profile`` column (docs/PROFILES.md).
    """

    name: str
    net: Any
    settings: dict
    profiles: pd.DataFrame
    source: str = ""
    notes: list[str] = field(default_factory=list)
    element_profiles: ElementProfiles | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_validated_as", _fingerprint(self.settings))

    def edited(self) -> bool:
        """Whether ``settings`` was changed in place since this case was validated (the run
        then validates it again, :func:`fdn_alu.core.data.build_model_data`)."""
        return _fingerprint(self.settings) != self._validated_as

    def with_settings(self, **sections: Any) -> Case:
        """Return a new Case with some settings sections replaced (this one is unchanged).

        The result is validated exactly like a case file: a misspelt section or key, a wrong
        type or an out-of-range value raises :class:`~fdn_alu.errors.InputError` listing every
        problem.
        """
        raw = copy.deepcopy(self.settings)
        raw.update(copy.deepcopy(sections))
        where = f"case {self.name!r}"
        settings = _validated(raw, where, self.net, self.profiles, self.element_profiles)
        return Case(
            self.name,
            self.net,
            settings,
            self.profiles,
            self.source,
            list(self.notes),
            self.element_profiles,
        )


def _fingerprint(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True, default=repr)


def list_cases() -> list[tuple[str, str]]:
    """Built-in cases as ``(name, description)``."""
    out = []
    for path in sorted(DATA_DIR.glob("*.toml")):
        if path.stem == "default":
            continue
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        out.append((path.stem, raw.get("case", {}).get("description", "")))
    return out


def load_case(case: str | os.PathLike) -> Case:
    """Load a built-in case by name, a case TOML file, or a bare network file.

    Parameters
    ----------
    case : str or path-like
        ``"ieee15"``, ``"ieee85"``, ``"simbench:CODE"`` (a SimBench grid with its own profiles),
        a ``.toml`` settings file, a MATPOWER ``.m`` file or a pandapower ``.json`` file.

    Returns
    -------
    Case

    Raises
    ------
    InputError
        Unknown case name, unreadable files, or any invalid setting (all listed at once).
    """
    text = str(case)
    builtin = DATA_DIR / f"{text}.toml"
    if builtin.is_file() and text != "default":
        return load_settings_file(builtin, name=text)
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return load_settings_file(path)
    if is_simbench(text):
        raw = _read_toml(DATA_DIR / "default.toml")
        raw["case"]["network"] = text
        raw["case"]["name"] = text.split(":", 1)[1]
        # SimBench grids feed generation back at times: fixed injections need export allowed
        raw["grid"]["allow_export"] = True
        return build_case(raw, DATA_DIR / "default.toml", name=raw["case"]["name"])
    if suffix in (".m", ".json"):
        raw = _read_toml(DATA_DIR / "default.toml")
        raw["case"]["network"] = str(path.resolve())
        raw["case"]["name"] = path.stem
        return build_case(raw, DATA_DIR / "default.toml", name=path.stem, label=str(path))
    names = ", ".join(n for n, _ in list_cases())
    raise_if_problems(
        [
            Problem(
                "case", f"unknown case {text!r}: not a built-in ({names}) nor a .toml/.m/.json file"
            )
        ]
    )
    raise AssertionError("unreachable")


def case_from_net(
    net,
    name: str = "custom",
    profiles: pd.DataFrame | None = None,
    element_profiles: dict | ElementProfiles | None = None,
    step_h: float | None = None,
    start: str | None = None,
    **sections: dict,
) -> Case:
    """Build a case from a feeder in memory (a pandapower net or a
    :class:`~fdn_alu.cases.feeder.Feeder`), with default settings.

    Parameters
    ----------
    net : pandapowerNet or Feeder
    name : str
    profiles : DataFrame, optional
        Profile table (``time_h`` + columns); the default day profiles when omitted.
    element_profiles : dict (table, variable) -> DataFrame, optional
        Per-element series in pandapower's time-series layout: keys ``("load", "p_mw")``,
        ``("load", "q_mvar")``, ``("sgen", "p_mw")``, ``("sgen", "q_mvar")``; rows = time
        steps, columns = ``net.load`` / ``net.sgen`` indices, MW / Mvar (see
        :mod:`fdn_alu.cases.element_profiles`).
    step_h : float, optional
        Hours per row of ``element_profiles`` when its index is not a ``DatetimeIndex``.
    start : str, optional
        The ``[profiles] start`` setting: the first time step used of a date-time index, an
        ISO date or date-time (e.g. ``"2016-06-21"``); the first row when omitted.
    **sections : dict
        Settings sections to merge over the defaults, e.g. ``network={"root_vm_pu": 1.05}``,
        ``pv=[{...}]``, ``park={...}``.

    Returns
    -------
    Case
        Validated exactly like a case file.
    """
    raw = _read_toml(DATA_DIR / "default.toml")
    raw["case"]["name"] = name
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key].update(value)
        else:
            raw[key] = value
    if start is not None:
        raw["profiles"] = {**raw.get("profiles", {}), "start": start}
    where = f"case {name!r}"
    problems: list[Problem] = []
    settings = validate_settings(raw, where, problems)
    raise_if_problems(problems, f"invalid {where}")
    horizon_h = settings["case"]["horizon_h"]
    if profiles is None:
        profiles = read_profiles(DATA_DIR / "day_profiles.csv", horizon_h)
    else:
        profiles = validate_profiles(profiles, horizon_h, f"{name} profiles")
    problems = []
    if element_profiles is not None:
        element_profiles, problems = parse_element_profiles(element_profiles, step_h)
    problems += check_case_data(settings, net, profiles, element_profiles, where)
    raise_if_problems(problems, f"invalid {where}")
    return Case(name, net, settings, profiles, "memory", [], element_profiles)


def _read_toml(path: Path) -> dict:
    if not path.is_file():
        raise_if_problems([Problem(str(path), "file not found")])
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise_if_problems([Problem(str(path), f"invalid TOML: {exc}")])
        raise AssertionError("unreachable") from exc


def load_settings_file(path: str | os.PathLike, name: str | None = None) -> Case:
    """Load a case TOML file (network reference, settings, profile file; ``[case] base``
    merged in, see :func:`read_case_raw`)."""
    path = Path(path)
    return build_case(read_case_raw(path)[0], path, name=name)


def read_case_raw(path: str | os.PathLike, _seen: tuple[Path, ...] = ()) -> tuple[dict, list[Path]]:
    """The raw settings of a case TOML with the cases it names in ``[case] base`` merged in.

    A variant file names its base (a built-in case or a TOML file relative to it) and gives only
    what differs: tables merge key by key, any other value (arrays of tables included) replaces
    the base's. The base's relative ``network`` and ``profiles`` keep pointing at its own folder.

    Returns
    -------
    raw : dict
        The merged settings, not validated yet (``build_case`` does that).
    files : list of Path
        The files read, the base first (their bytes identify the case, e.g. in sweep ids).

    Raises
    ------
    InputError
        An unreadable file, a base that is not found, or a cycle of bases.
    """
    path = Path(path)
    raw = _read_toml(path)
    ref = raw.get("case", {}).get("base") if isinstance(raw.get("case"), dict) else None
    if not isinstance(ref, str) or not ref:
        return raw, [path]
    builtin = DATA_DIR / f"{ref}.toml"
    base = builtin if builtin.is_file() and ref != "default" else path.parent / ref
    where = f"{path.name} [case].base"
    if not base.is_file():
        raise_if_problems([Problem(where, f"base case {ref!r} not found ({base})", "case", "base")])
    if base.resolve() in (*_seen, path.resolve()):
        raise_if_problems([Problem(where, f"{ref!r} is part of a cycle of bases", "case", "base")])
    base_raw, files = read_case_raw(base, (*_seen, path.resolve()))
    head = base_raw.get("case", {})
    if isinstance(head, dict) and base.parent.resolve() != path.parent.resolve():
        for key in ("network", "profiles"):
            value = head.get(key)
            if isinstance(value, str) and ":" not in value and not Path(value).is_absolute():
                head[key] = str((base.parent / value).resolve())
    return _merged(base_raw, raw), [*files, path]


def _merged(base: dict, over: dict) -> dict:
    """``base`` with ``over`` laid on it: tables merge key by key, other values replace."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def build_case(raw: dict, path: Path, name: str | None = None, label: str | None = None) -> Case:
    """Validate raw settings, load the network and profiles, check devices against the network.

    ``label`` names the case in the error title (default ``path``; a bare network file is
    named, not the default settings it is loaded with).
    """
    where = Path(path).name
    problems: list[Problem] = []
    settings = validate_settings(raw, where, problems)
    net = profiles = elements = None
    if "network" in settings["case"]:
        try:
            ref = settings["case"]["network"]
            if is_simbench(ref):
                net, elements = load_simbench(ref)
            else:
                net = load_network(ref, Path(path).parent)
        except Exception as exc:
            problems.extend(
                getattr(exc, "problems", [Problem(f"{where} [case].network", str(exc))])
            )
    if "profiles" in settings["case"]:
        try:
            profiles = read_profiles(
                Path(path).parent / settings["case"]["profiles"], settings["case"]["horizon_h"]
            )
        except Exception as exc:
            problems.extend(
                getattr(exc, "problems", [Problem(f"{where} [case].profiles", str(exc))])
            )
    if net is not None and profiles is not None:
        problems.extend(check_case_data(settings, net, profiles, elements, where))
    raise_if_problems(problems, f"invalid case {label or path}")
    notes = [settings["case"]["notes"]] if settings["case"].get("notes") else []
    name = name or settings["case"]["name"]
    return Case(name, net, settings, profiles, str(path), notes, elements)


def _validated(
    raw: dict, where: str, net: Any, profiles: pd.DataFrame, elements: ElementProfiles | None
) -> dict:
    """Settings validated and checked against ``net`` and ``profiles`` (every problem raised)."""
    problems: list[Problem] = []
    settings = validate_settings(raw, where, problems)
    problems.extend(check_case_data(settings, net, profiles, elements, where))
    raise_if_problems(problems, f"invalid {where}")
    return settings
