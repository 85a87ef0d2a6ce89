"""SimBench grids with their own per-element profiles (``network = "simbench:CODE"``).

The series reaching the model are compared value by value with SimBench's own
``get_absolute_values`` at the rows SimBench itself labels with the chosen start, found here
from its time-stamp strings (independently of the loader's time-zone reading).
"""

from __future__ import annotations

import numpy as np
import pytest

from fdn_alu.cases import load_case
from fdn_alu.core.injections import element_injections
from fdn_alu.errors import InputError

sb = pytest.importorskip("simbench")

CODE = "1-MV-rural--0-sw"


@pytest.fixture(scope="module")
def grid():
    case = load_case(f"simbench:{CODE}")
    net = sb.get_simbench_net(CODE)
    absolute = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    return case, net, absolute


def _row(net, label: str) -> int:
    return int(np.flatnonzero(net.profiles["load"]["time"].to_numpy() == label)[0])


@pytest.mark.parametrize(
    ("start", "label"),
    [
        ("2016-06-21", "21.06.2016 00:00"),  # summer time (after the clock skipped an hour)
        ("2016-01-01", "01.01.2016 00:00"),
        ("2016-11-02 06:00", "02.11.2016 06:00"),  # after the repeated hour of 30 October
    ],
)
def test_profiles_are_simbenchs_own_element_by_element(grid, start, label):
    case, net, absolute = grid
    case = case.with_settings(profiles={"start": start})
    r0 = _row(net, label)
    inj = element_injections(
        case.net, case.net.bus.index.to_numpy(), case.element_profiles, start, 24.0, 96
    )
    sgen = absolute["sgen", "p_mw"]
    for e in (0, 1, 57, 101):
        k = int(np.flatnonzero(inj.gen_ids == e)[0])
        for t in (0, 33, 48, 95):
            assert inj.gen_p_mw[t, k] == sgen.iloc[r0 + t][e]
    assert inj.gen_type[0] == net.sgen.type[0]
    # per bus: the sum of that bus's loads, SimBench's values (scaling is 1 in SimBench)
    ids = case.net.bus.index.to_numpy()
    for b in (net.load.bus[0], net.load.bus[50], net.load.bus[95]):
        loads = net.load.index[net.load.bus == b]
        col = int(np.flatnonzero(ids == b)[0])
        for t in (0, 40, 95):
            p = absolute["load", "p_mw"].iloc[r0 + t][loads].sum()
            q = absolute["load", "q_mvar"].iloc[r0 + t][loads].sum()
            assert inj.load_p_mw[t, col] == pytest.approx(p, rel=1e-15, abs=1e-15)
            assert inj.load_q_mvar[t, col] == pytest.approx(q, rel=1e-15, abs=1e-15)
    # the check can fail: the row one hour later is different
    assert inj.gen_p_mw[0, 0] != sgen.iloc[r0 + 4][0]


def test_hourly_periods_average_four_quarter_hours(grid):
    case, net, absolute = grid
    start = "2016-06-21"
    r0 = _row(net, "21.06.2016 00:00")
    inj = element_injections(
        case.net, case.net.bus.index.to_numpy(), case.element_profiles, start, 24.0, 24
    )
    sgen = absolute["sgen", "p_mw"][0].to_numpy()
    expected = sgen[r0 : r0 + 96].reshape(24, 4).mean(axis=1)
    np.testing.assert_allclose(inj.gen_p_mw[:, 0], expected, rtol=1e-14, atol=1e-15)


def test_bad_start_and_code_are_input_errors(grid):
    case, _, _ = grid
    with pytest.raises(InputError, match="run past its end"):
        case.with_settings(profiles={"start": "2016-12-31 12:00"})
    with pytest.raises(InputError, match="not a row of the series"):
        case.with_settings(profiles={"start": "2016-06-21 00:10"})
    with pytest.raises(InputError, match="not one time of the series' clock"):
        case.with_settings(profiles={"start": "2016-03-27 02:00"})  # skipped by the clock
    with pytest.raises(InputError, match="unknown SimBench code"):
        load_case("simbench:1-MV-nowhere--0-sw")


def test_cli_run_with_start(grid, tmp_path, capsys):
    """``fdn-alu run --case simbench:CODE --start DATE --periods 96``: a bad start is an input
    error naming it (exit 2); a good one reaches the network layer, which runs the grid or
    refuses it with the physical reason (exit 2), never an unexplained failure."""
    from fdn_alu.cli.app import main

    base = ["run", "--case", f"simbench:{CODE}", "--periods", "96", "--scenario", "1"]
    base += ["--ac-method", "sweep"]
    assert main([*base, "--start", "2016-13-01", "--out", str(tmp_path / "a")]) == 2
    assert "[profiles].start" in capsys.readouterr().err
    rc = main([*base, "--start", "2016-06-21", "--out", str(tmp_path / "b"), "--quiet"])
    err = capsys.readouterr().err
    if rc == 2:
        assert "transformers" in err or "switch" in err
    else:
        assert rc == 0 and (tmp_path / "b" / "summary.json").is_file()
