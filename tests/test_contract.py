"""The results contract loops over the components: summary.json keys are always present and
exactly those docs/RESULTS.md lists; the CLI's printed cost parts sum to its total."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fdn_alu import load_case, run
from fdn_alu.cli.console import format_summary
from test_checks_fail import every_component_case
from test_reconcile import two_bus

RESULTS_MD = Path(__file__).resolve().parents[1] / "docs" / "RESULTS.md"


def documented_keys() -> set[str]:
    """Keys of the summary.json block of docs/RESULTS.md: top-level names and ``group.key``."""
    text = RESULTS_MD.read_text()
    block = text.split("## summary.json", 1)[1].split("```", 2)[1]
    block = re.sub(r"\([^)]*\)", "", block)  # value notes such as (1|2|3)
    keys = set()
    for group, inner in re.findall(r"(\w+): (?:null \| )?\{([^}]*)\}", block):
        keys.add(group)
        keys |= {f"{group}.{k.strip()}" for k in inner.split(",") if k.strip()}
    outside = re.sub(r"(\w+): (?:null \| )?\{[^}]*\}", "", block)
    keys |= {k.strip() for k in outside.split(",") if k.strip()}
    return keys


def summary_keys(s: dict) -> set[str]:
    """Top-level keys and one level below (the check tolerances are check names, not keys)."""
    out = set()
    for k, v in s.items():
        out.add(k)
        if isinstance(v, dict):
            out |= {f"{k}.{j}" for j in v if (k, j) != ("checks", "tolerances")} | {k}
            if k == "checks":
                out.add("checks.tolerances")
    return out


@pytest.fixture(scope="module")
def runs():
    every = run(every_component_case(), scenario=3, periods=24)
    bare = run(two_bus(), scenario=2)
    case = load_case("ieee15")
    grid = {**case.settings["grid"], "carbon_accounting": "consumption"}
    consumption = run(case.with_settings(grid=grid), scenario=2, periods=12)
    return {"every": every, "bare": bare, "consumption": consumption}


def test_every_key_is_documented_and_nothing_documented_is_absent(runs):
    doc = documented_keys()
    assert "costs.storage_wear" in doc and "checks.emissions_reconciliation_rel_err" in doc
    assert runs["every"].summary["integer_fix"] is not None
    for name, res in runs.items():
        assert res.summary["status"] == "ok", name
        keys = summary_keys(res.summary)
        if res.summary["integer_fix"] is None:
            keys |= {k for k in doc if k.startswith("integer_fix.")}
        assert keys - doc == set(), f"{name}: undocumented keys"
        assert doc - keys == set(), f"{name}: documented keys absent"


def test_keys_are_always_present_zero_when_absent(runs):
    every, bare = runs["every"].summary, runs["bare"].summary
    for group in ("costs", "energy_mwh", "emissions_t"):
        assert list(every[group]) == list(bare[group])
    assert bare["costs"]["storage_wear"] == 0.0 and bare["costs"]["reserve_purchase"] == 0.0
    assert bare["checks"]["production_rel_err"] is None
    assert set(every["checks"]) == set(bare["checks"])


def printed_parts(line: str) -> tuple[float, list[float]]:
    total = float(re.search(r"cost ([\d,.-]+)", line).group(1).replace(",", ""))
    parts = [
        float(v.replace(",", ""))
        for v in re.findall(r"[a-z ]+ (-?[\d,]+\.\d\d)", line.split(":", 1)[1])
    ]
    return total, parts


@pytest.mark.parametrize("scenario", [1, 2, 3, "3a", "3b"])
def test_printed_cost_parts_sum_to_the_total(scenario):
    res = run("ieee15", scenario=scenario, periods=12)
    assert res.summary["status"] == "ok"
    line = format_summary(res.summary).splitlines()[1]
    total, parts = printed_parts(line)
    assert total == pytest.approx(res.summary["costs"]["total"], abs=0.006)
    assert sum(parts) == pytest.approx(total, abs=0.006 * (len(parts) + 1))


def test_printed_parts_with_every_component_and_reserves(runs):
    s = runs["every"].summary
    lines = format_summary(s).splitlines()
    total, parts = printed_parts(lines[1])
    assert "reserve purchase" in lines[1] and s["costs"]["reserve_purchase"] > 0
    assert sum(parts) == pytest.approx(total, abs=0.006 * (len(parts) + 1))
    emitted = lines[2].split(":", 1)[1].split(";")[0]
    values = [float(v) for v in re.findall(r"(-?\d+\.\d{4})", emitted)]
    assert sum(values) == pytest.approx(s["emissions_t"]["total"], abs=1e-4 * len(values))


def test_a_typo_raises_instead_of_reading_as_absent(runs):
    res = runs["bare"]
    assert res.data.component("park") is None  # registered, absent from this run
    assert res.solution.part("esop") == {}
    assert res.table("eaip") is None
    for call in (
        lambda: res.data.component("parkk"),
        lambda: res.solution.part("esopp"),
        lambda: res.solution.value("p_gridd_mw"),
        lambda: res.table("eaipp"),
    ):
        with pytest.raises(KeyError):
            call()
    for name in ("park", "eaip"):
        with pytest.raises(AttributeError):
            getattr(res, name)
        with pytest.raises(AttributeError):
            getattr(res.data, name)
    assert res.solution.value("p_grid_mw").shape == (res.data.periods,)
