"""Pinned reference results: the README's headline figures per case and scenario, which a
fresh run must reproduce within the solver's tolerance (a drift of 1e-6 already fails)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fdn_alu import run

REF = Path(__file__).parent / "reference"
CASES = sorted(p.name for p in REF.iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("name", CASES)
def test_fresh_run_reproduces_the_pinned_figures(name):
    expected = json.loads((REF / name / "expected.json").read_text())
    case, scenario = name.rsplit("_s", 1)
    s = run(case, scenario=int(scenario), check_ac=False).summary
    tol = expected["tolerance_rel"][s["solver"]]
    assert s["status"] == "ok"
    got = {
        **{f"costs.{k}": s["costs"][k] for k in expected["costs"]},
        **{f"emissions_t.{k}": s["emissions_t"][k] for k in expected["emissions_t"]},
        **{f"energy_mwh.{k}": s["energy_mwh"][k] for k in expected["energy_mwh"]},
        "production_t": s["checks"]["production_t"],
    }
    want = {
        **{f"costs.{k}": v for k, v in expected["costs"].items()},
        **{f"emissions_t.{k}": v for k, v in expected["emissions_t"].items()},
        **{f"energy_mwh.{k}": v for k, v in expected["energy_mwh"].items()},
        "production_t": expected["production_t"],
    }
    off = {k: (got[k], v) for k, v in want.items() if abs(got[k] - v) > tol * max(abs(v), 1.0)}
    assert off == {}


def test_readme_headline_tables_are_the_pinned_figures():
    """The README's B2/B7 tables state the pinned figures (rounded to the cent / 0.01 t)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    rows = {
        "Total cost": ("costs", "total"),
        "Grid purchase cost": ("costs", "purchase"),
        "Loss cost": ("costs", "loss"),
        "Emissions": ("emissions_t", "total"),
        "Network losses": ("energy_mwh", "losses"),
    }
    for case, title in (("ieee15", "IEEE 15-bus"), ("ieee85", "IEEE 85-bus")):
        section = readme[readme.index(f"### {title}") :]
        for label, (group, key) in rows.items():
            line = next(ln for ln in section.splitlines() if ln.startswith(f"| {label} |"))
            cells = [c.strip().replace(",", "") for c in line.strip("|").split("|")]
            for s in (1, 2, 3):
                want = json.loads((REF / f"{case}_s{s}" / "expected.json").read_text())
                assert float(cells[1 + s]) == pytest.approx(round(want[group][key], 2), abs=0.011)
