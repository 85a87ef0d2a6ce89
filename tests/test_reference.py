"""Pinned reference results: the README's headline figures per case and scenario, which a
fresh run must reproduce within the solver's tolerance (a drift of 1e-6 already fails). The
README's tables are held to these figures by tests/test_readme_numbers.py."""

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
