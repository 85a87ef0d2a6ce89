"""Bad inputs give clear errors, listed all at once; failures leave no half-written results."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import fdn_alu.results.write as results_write
from fdn_alu import (
    InfeasibleError,
    InputError,
    SolverUnavailableError,
    case_from_net,
    load_case,
    run,
    write_results,
)
from fdn_alu.cases import DATA_DIR
from fdn_alu.cases.matpower_io import matpower_data_dir, read_matpower
from fdn_alu.cli import main
from fdn_alu.solve import available_solvers
from helpers import flat_profiles, radial_net


def _case_dir(tmp_path, toml_extra: str = "", profile_rows: int = 24, nan_row: int | None = None):
    """A case folder: TOML + CSV copied from ieee15 with optional defects."""
    text = (DATA_DIR / "ieee15.toml").read_text() + toml_extra
    (tmp_path / "case.toml").write_text(text)
    df = pd.read_csv(DATA_DIR / "day_profiles.csv", comment="#")
    df = df.iloc[:profile_rows].copy()
    if nan_row is not None:
        df.loc[nan_row, "pv_pu"] = np.nan
    df.to_csv(tmp_path / "day_profiles.csv", index=False)
    return tmp_path / "case.toml"


def test_unknown_case():
    with pytest.raises(InputError, match="unknown case 'nope'"):
        load_case("nope")


def test_meshed_network_refused():
    net = read_matpower(matpower_data_dir() / "case33bw.m")
    net.line.loc[:, "in_service"] = True  # close the five tie switches
    case = case_from_net(net, "meshed")
    with pytest.raises(InputError, match="meshed"):
        run(case, periods=1)


def test_disconnected_bus_refused():
    net = radial_net([(1, 2, 0.01, 0.02), (3, 4, 0.01, 0.02)], {2: (0.1, 0.0), 4: (0.1, 0.0)})
    with pytest.raises(InputError, match=r"disconnected: bus\(es\) \[3, 4\]"):
        run(case_from_net(net, "islanded", profiles=flat_profiles(1)))


def test_negative_impedance_refused():
    net = radial_net([(1, 2, 0.01, 0.02), (2, 3, -0.01, 0.02)], {3: (0.1, 0.0)})
    with pytest.raises(InputError, match="negative or invalid impedance"):
        run(case_from_net(net, "neg", profiles=flat_profiles(1)))


def test_nan_in_profile(tmp_path):
    path = _case_dir(tmp_path, nan_row=5)
    with pytest.raises(InputError, match=r"pv_pu: missing/NaN value in row\(s\) 7"):
        load_case(path)


def test_wrong_profile_length(tmp_path):
    path = _case_dir(tmp_path, profile_rows=23)
    with pytest.raises(InputError, match="23 rows imply"):
        load_case(path)


def test_every_problem_listed_at_once(tmp_path):
    extra = """
[[pv]]
name = "pv_bad"
bus = 99
p_mw = "big"
s_mva = 0.1
colour = "red"
"""
    path = _case_dir(tmp_path, toml_extra=extra)
    with pytest.raises(InputError) as info:
        load_case(path)
    msg = str(info.value)
    assert "#4.p_mw: expected number" in msg
    assert "#4.colour: unknown key" in msg
    assert "bus 99 is not an in-service bus" in msg
    assert len(info.value.problems) == 3


def test_infeasible_case_names_buses_and_periods():
    case = load_case("ieee15")
    tight = case.with_settings(network={**case.settings["network"], "vm_min_pu": 0.97})
    with pytest.raises(InfeasibleError) as info:
        run(tight, periods=4)
    msg = str(info.value)
    assert "minimum voltage at bus 13" in msg
    assert info.value.violations


def test_missing_solver_is_clear():
    if "mosek" in available_solvers():
        pytest.skip("mosek installed")
    with pytest.raises(SolverUnavailableError, match="not installed"):
        run("ieee15", periods=1, solver="mosek")
    with pytest.raises(SolverUnavailableError, match="unknown solver"):
        run("ieee15", periods=1, solver="cplexx")


def test_cli_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--case", "nope", "--out", str(out)]) == 2
    assert "unknown case" in capsys.readouterr().err
    assert not out.exists()
    case = _case_dir(tmp_path / "c", profile_rows=20) if (tmp_path / "c").mkdir() is None else None
    assert main(["run", "--config", str(case), "--out", str(out)]) == 2
    assert not out.exists()


def test_write_is_all_or_nothing(tmp_path, monkeypatch):
    res = run("ieee15", periods=2)
    out = tmp_path / "run"
    calls = {"n": 0}
    original = results_write.csv_text  # each table's CSV text, then written to its file

    def failing(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(*a, **k)

    monkeypatch.setattr(results_write, "csv_text", failing)
    with pytest.raises(OSError, match="disk full"):
        write_results(res, out)
    assert calls["n"] == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(results_write, "csv_text", original)
    write_results(res, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        ".fdn_alu",
        "branches.csv",
        "buses.csv",
        "eaip.csv",
        "sources.csv",
        "summary.json",
    ]
    shutil.rmtree(out)


def test_matpower_bad_values_listed_all_at_once(tmp_path):
    """NaN, inf and meaningless negative values in a .m file are input errors, each located by
    file, table, column and row (before: a NaN Pd silently dropped the bus's load)."""
    lines = (matpower_data_dir() / "case33bw.m").read_text().splitlines()
    edits = {
        # bus rows: BUS_I TYPE PD QD GS BS AREA VM VA BASE_KV ZONE VMAX VMIN
        ("5", "1", "60", "30"): (2, "NaN"),  # bus 5 Pd
        ("7", "1", "200", "100"): (3, "Inf"),  # bus 7 Qd
        ("9", "1", "60", "20"): (9, "-12.66"),  # bus 9 base kV
    }
    in_branch = False
    n_branch = 0
    for k, line in enumerate(lines):
        parts = line.split()
        in_branch = in_branch or line.startswith("mpc.branch")
        if tuple(parts[:4]) in edits and not in_branch:
            col, value = edits[tuple(parts[:4])]
            parts[col] = value
            lines[k] = "\t" + "\t".join(parts)
        elif in_branch and len(parts) >= 13 and parts[0][0].isdigit():
            n_branch += 1
            if n_branch == 3:  # branch 3-4: negative resistance and rating
                parts[2], parts[5] = "-0.3660", "-1"
                lines[k] = "\t" + "\t".join(parts)
    path = tmp_path / "bad33.m"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_matpower(path)
    msg = str(info.value)
    assert "bad33.m mpc.bus column PD: NaN in row(s) 5 (bus 5) = nan" in msg
    assert "bad33.m mpc.bus column QD: infinite value in row(s) 7 (bus 7) = inf" in msg
    assert "bad33.m mpc.bus column BASE_KV: negative value (no physical meaning) in row(s) 9" in msg
    assert (
        "bad33.m mpc.branch column BR_R: negative value (no physical meaning) in row(s) 3 " in msg
    )
    assert "(branch 3-4) = -0.366" in msg
    assert "bad33.m mpc.branch column RATE_A: negative value" in msg
    assert len(info.value.problems) == 5
    # the untouched file still loads, its 33 loads summing to the published 3.715 MW
    net = read_matpower(matpower_data_dir() / "case33bw.m")
    assert net.load.p_mw.sum() == pytest.approx(3.715, abs=1e-9)
