"""A two-bus feeder whose loss and voltage follow from the DistFlow equations by hand.

Root at 1 pu, branch z = r + jx = 0.01 + j0.02 pu, load S = 0.5 + j0.2 pu at bus 2.
With u_1 = 1 the current satisfies l = (P_12^2 + Q_12^2) / u_1, P_12 = P + r l, Q_12 = Q + x l:

    (r^2 + x^2) l^2 + (2 P r + 2 Q x - 1) l + (P^2 + Q^2) = 0
    5e-4 l^2 - 0.982 l + 0.29 = 0  ->  l = 0.2953601  (the small root)

then loss = r l = 2.953601e-3 pu and u_2 = 1 - 2 (r P_12 + x Q_12) + (r^2 + x^2) l,
V_2 = 0.9908846 pu.
"""

from __future__ import annotations

import math

import pytest

from fdn_alu import case_from_net, run
from helpers import flat_profiles

R, X, P, Q = 0.01, 0.02, 0.5, 0.2


def hand_solution():
    a = R**2 + X**2
    b = 2 * P * R + 2 * Q * X - 1
    c = P**2 + Q**2
    l = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    p12, q12 = P + R * l, Q + X * l
    u2 = 1 - 2 * (R * p12 + X * q12) + a * l
    return l, R * l, math.sqrt(u2), p12


@pytest.mark.parametrize("periods", [1, 4])
def test_two_bus_dispatch_matches_hand_derivation(two_bus_net, periods):
    case = case_from_net(two_bus_net, "two_bus", profiles=flat_profiles(periods))
    res = run(case, scenario=2)
    _l, loss, vm2, p12 = hand_solution()
    br = res.branches
    assert br.loss_mw.to_numpy() == pytest.approx([loss] * periods, rel=1e-6)
    assert br.p_from_mw.to_numpy() == pytest.approx([p12] * periods, rel=1e-7)
    vm = res.buses.set_index(["period", "bus"]).vm_pu
    assert vm.xs(2, level="bus").to_numpy() == pytest.approx([vm2] * periods, abs=1e-7)
    # Grid buys load + loss for the whole day: cost = 500 CNY/MWh x (0.5 + loss) MW x 24 h.
    s = res.summary
    assert s["costs"]["purchase"] == pytest.approx(500 * (P + loss) * 24, rel=1e-6)
    assert s["emissions_t"]["grid"] == pytest.approx(0.5 * (P + loss) * 24, rel=1e-6)
    # Loss cost (15) over the day, whatever the period length: lambda_loss x loss x 24 h.
    price = res.data.loss_price_per_mwh
    assert price > 0
    assert s["costs"]["loss"] == pytest.approx(price * loss * 24, rel=1e-6)
    assert s["costs"]["carbon"] == pytest.approx(
        res.data.carbon_price_per_t * s["emissions_t"]["grid"], rel=1e-9
    )
    assert s["checks"]["soc_gap_max"] <= 1e-6
    assert s["checks"]["ac_vm_err_max_pu"] <= 1e-7
    # Only the grid supplies: every bus has the grid's intensity.
    assert res.buses.ci_kg_per_mwh.to_numpy() == pytest.approx(500.0, rel=1e-12)
