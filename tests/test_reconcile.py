"""Each emission and cost is declared once: the summary, the carbon flow's sources, sources.csv
and the objective are derived from it, and a reconciliation check judges that they agree."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fdn_alu import case_from_net, run
from fdn_alu.analysis.checks import TOLERANCES
from fdn_alu.analysis.reconcile import reconciliation_checks
from fdn_alu.components.grid import Grid
from fdn_alu.components.registry import BY_NAME
from helpers import flat_profiles, radial_net

TOL = TOLERANCES["emissions_reconciliation_rel_err"]


def two_bus():
    """0.5 MW + 0.2 Mvar at bus 2 over four 1-h periods at 500 kg/MWh: 2 MWh + losses."""
    net = radial_net([(1, 2, 0.01, 0.02)], {2: (0.5, 0.2)})
    return case_from_net(
        net, "two", profiles=flat_profiles(4, horizon_h=4.0), case={"horizon_h": 4}
    )


@pytest.fixture(scope="module")
def res():
    return run(two_bus(), scenario=2)


def test_declarations_agree_on_a_real_run(res):
    s = res.summary
    assert s["status"] == "ok"
    ch = s["checks"]
    assert ch["emissions_reconciliation_rel_err"] <= TOL
    assert ch["costs_reconciliation_rel_err"] <= TOL
    # the grid's emission, from its one declaration: import x 500 kg/MWh (hand: > 2 MWh)
    imp = s["energy_mwh"]["grid_import"]
    assert imp > 2.0
    assert s["emissions_t"]["grid"] == pytest.approx(imp * 0.5, rel=1e-9)
    assert res.sources.emissions_t.sum() == pytest.approx(s["emissions_t"]["grid"], rel=1e-12)


class HalfIntensityGrid(Grid):
    """A grid whose carbon-flow source says half the intensity its model block prices: two
    declarations that disagree (the defect the reconciliation exists for)."""

    def carbon(self, data, part, core, first_node):
        cp = super().carbon(data, part, core, first_node)
        src = cp.sources[0]
        return replace(cp, sources=[replace(src, ci_kg_per_mwh=0.5 * src.ci_kg_per_mwh)])


def test_a_component_whose_declarations_disagree_fails_the_run(monkeypatch):
    monkeypatch.setitem(BY_NAME, "grid", HalfIntensityGrid())
    with pytest.warns(UserWarning, match="emissions_reconciliation_rel_err"):
        bad = run(two_bus(), scenario=2)
    assert bad.summary["status"] == "check_failed"
    assert bad.summary["checks"]["emissions_reconciliation_rel_err"] == pytest.approx(0.5)


def _inputs(res):
    s = res.report
    return dict(
        direct_t=dict(s.emissions.direct),
        declared=res.details["carbon_declared"],
        sources=res.sources,
        dt_h=res.data.dt_h,
        costs=dict(s.costs.terms),
        objective_costs=res.solution.objective_costs,
        objective_other=res.solution.objective_other,
        objective=res.solution.objective,
    )


@pytest.mark.parametrize("factor, fails", [(1.01, True), (0.99, False)])
def test_emissions_reconciliation_fails_just_above_its_tolerance(res, factor, fails):
    kw = _inputs(res)
    total = sum(kw["direct_t"].values())
    kw["direct_t"]["grid"] += factor * TOL * total
    err = reconciliation_checks(**kw)["emissions_reconciliation_rel_err"]
    assert (err > TOL) is fails
    # sources.csv is judged too: a table row off by the same amount
    kw = _inputs(res)
    src = kw["sources"].copy()
    src.loc[0, "emissions_t"] += factor * TOL * total
    kw["sources"] = src
    assert (reconciliation_checks(**kw)["emissions_reconciliation_rel_err"] > TOL) is fails


@pytest.mark.parametrize("factor, fails", [(1.01, True), (0.99, False)])
def test_costs_reconciliation_fails_just_above_its_tolerance(res, factor, fails):
    kw = _inputs(res)
    kw["costs"]["purchase"] += factor * TOL * abs(kw["objective"])
    err = reconciliation_checks(**kw)["costs_reconciliation_rel_err"]
    assert (err > TOL) is fails


def test_a_source_declaring_no_emission_must_carry_none(res):
    kw = _inputs(res)
    src = kw["declared"][0]
    kw["declared"] = (replace(src, emission=None),)
    assert reconciliation_checks(**kw)["emissions_reconciliation_rel_err"] > 0.99
    assert np.isclose(
        float(src.emissions_t(kw["dt_h"]).sum()), res.summary["emissions_t"]["grid"], rtol=1e-9
    )
