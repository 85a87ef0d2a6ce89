"""Setting paths of a sweep: ``section.key``, nested tables, and list elements by ``*``, index or
name, resolved against a raw case TOML dict (see ``docs/SWEEPS.md``)."""

from __future__ import annotations

import copy
import re
from typing import Any

from fdn_alu.errors import Problem

__all__ = ["apply_settings", "resolve_path"]


def _steps(node: Any, part: str, where: str) -> tuple[list[Any], str | None]:
    """The children of ``node`` that path element ``part`` selects, or an error."""
    if isinstance(node, dict):
        if part not in node:
            keys = ", ".join(sorted(node)) or "none"
            return [], f"no {part!r} under {where or 'the case'} (keys: {keys})"
        return [node[part]], None
    if isinstance(node, list):
        if part == "*":
            if not node:
                return [], f"wildcard '*' at {where} matches nothing (the list is empty)"
            return list(node), None
        if re.fullmatch(r"\d+", part):
            i = int(part)
            if i >= len(node):
                return [], f"index {i} at {where} is out of range ({len(node)} elements)"
            return [node[i]], None
        hits = [x for x in node if isinstance(x, dict) and x.get("name") == part]
        if not hits:
            names = ", ".join(str(x.get("name")) for x in node if isinstance(x, dict))
            return [], f"no element named {part!r} in {where} (names: {names or 'none'})"
        return hits, None
    return [], f"{where} is a value, not a table"


def resolve_path(raw: dict, path: str) -> tuple[list[dict], str, str | None]:
    """The tables whose key ``path``'s last element sets, that key, and an error or None."""
    parts = path.split(".")
    if len(parts) < 2 or any(p == "" for p in parts):
        return [], "", "a setting path is section.key (e.g. grid.carbon_price_per_t)"
    nodes: list[Any] = [raw]
    where = ""
    for part in parts[:-1]:
        nxt: list[Any] = []
        for node in nodes:
            children, err = _steps(node, part, where)
            if err:
                return [], "", err
            nxt.extend(children)
        nodes = nxt
        where = f"{where}.{part}" if where else part
    leaf = parts[-1]
    for node in nodes:
        if not isinstance(node, dict):
            kind = "a list of tables" if isinstance(node, list) else "a value"
            hint = " (select elements with *, an index or a name)" if kind.startswith("a l") else ""
            return [], "", f"{where} is {kind}, not a table{hint}"
    return nodes, leaf, None


def apply_settings(raw: dict, settings: dict[str, Any]) -> list[Problem]:
    """Set ``settings`` (path -> value) in a raw case TOML dict, in place.

    Parameters
    ----------
    raw : dict
        The case file as parsed by ``tomllib`` (modified in place).
    settings : dict
        Setting path -> value, e.g. ``{"pv.*.p_mw": 0.5, "park.battery.e_max_mwh": 1.6}``.
        Every table on the path must exist in the case; the last key may be new (a setting the
        case leaves at its default); whether it is a known key is judged by ``build_case``.

    Returns
    -------
    list of Problem
        One per path that does not resolve (unknown section, empty wildcard, ...).
    """
    problems = []
    for path, value in settings.items():
        nodes, leaf, err = resolve_path(raw, path)
        if err:
            problems.append(Problem(f"setting {path!r}", err))
            continue
        for node in nodes:
            node[leaf] = copy.deepcopy(value)
    return problems
