"""The command line: output folders never lose a user's file, documented exit codes, Ctrl-C,
shipped examples, size estimate, quiet mode and one-line warnings (issue 10, items 1-5, 12-14).

Exit codes are asserted on ``fdn_alu.cli.main`` (the console script is ``sys.exit(main())``) and,
where the process matters (Ctrl-C, start-up time), on a real ``fdn-alu`` subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from fdn_alu import load_case, run, write_results
from fdn_alu.cases.matpower_io import matpower_data_dir
from fdn_alu.cli import EXIT_CODES, main
from fdn_alu.results.folders import (
    MARKER,
    check_out_dir,
    is_fdn_alu_result,
    write_dir_atomic,
)
from fdn_alu.results.size import estimate_memory_mb
from fdn_alu.results.write import write_run_files
from fdn_alu.solve import available_solvers

FDN_ALU = shutil.which("fdn-alu") or str(Path(sys.executable).with_name("fdn-alu"))
# case15da as a bare feeder (grid supply only, default settings): ~1 s in process, checks pass
# (ieee15 at 2-8 periods fails its park checks: the thermal window keeps production above target)
CASE15DA = str(matpower_data_dir() / "case15da.m")
RUN15 = ["run", "--case", CASE15DA, "--periods", "2"]


def _siblings(folder: Path) -> list[str]:
    """Names beside ``folder`` that an interrupted or failed write would leave behind."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


@pytest.fixture
def negprice_case(tmp_path) -> Path:
    """ieee15's feeder, no devices, price -150 CNY/MWh and no loss price: buying energy earns
    money, so the SOC relaxation burns fictitious losses (tens of MWh) and the SOC-gap and AC
    checks fail by orders of magnitude -- a real run whose checks fail."""
    d = tmp_path / "negcase"
    d.mkdir()
    (d / "case.toml").write_text(
        '[case]\nname = "negprice"\nnetwork = "matpower:case15da"\nprofiles = "prof.csv"\n'
        "horizon_h = 24\n\n[network]\nroot_vm_pu = 1.0\nvm_min_pu = 0.9\nvm_max_pu = 1.1\n"
        'load_profile = "load_scale"\n\n[grid]\nallow_export = false\n'
        'price_profile = "price_per_mwh"\nci_profile = "grid_ci_kg_per_mwh"\n'
        "loss_price_per_mwh = 0.0\ncarbon_price_per_t = 0.0\n"
    )
    (d / "prof.csv").write_text(
        "time_h,load_scale,price_per_mwh,grid_ci_kg_per_mwh\n0,1.0,-150,500\n12,1.0,-150,500\n"
    )
    return d / "case.toml"


# ---- item 1: --out never deletes or hides anything it did not write ---------------------------


def test_out_existing_foreign_folder_refused_before_solve(tmp_path, capsys):
    d = tmp_path / "d"
    d.mkdir()
    (d / "thesis.tex").write_text("my thesis")
    t0 = time.perf_counter()
    assert main([*RUN15, "--out", str(d)]) == 2
    assert time.perf_counter() - t0 < 3.0  # refused before the solve
    err = capsys.readouterr().err
    assert str(d) in err and "not an fdn_alu result" in err
    assert sorted(os.listdir(d)) == ["thesis.tex"]
    assert (d / "thesis.tex").read_text() == "my thesis"
    assert sorted(os.listdir(tmp_path)) == ["d"]


def test_out_file_under_file_and_unwritable_refused(tmp_path, capsys):
    f = tmp_path / "f.txt"
    f.write_text("keep me")
    assert main([*RUN15, "--out", str(f)]) == 2
    assert "is an existing file" in capsys.readouterr().err
    assert main([*RUN15, "--out", str(f / "sub")]) == 2
    assert "is a file, so no folder can be created under it" in capsys.readouterr().err
    assert f.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["f.txt"]  # no .f.txt.old, no partial folder
    # unwritable: /proc refuses new folders even to root
    assert main([*RUN15, "--out", "/proc/fdn_alu_test_out"]) == 2
    assert "cannot write in /proc" in capsys.readouterr().err
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert main([*RUN15, "--out", str(ro / "x")]) == 2
        ro.chmod(0o700)


def test_out_replaces_earlier_result_atomically_with_normal_permissions(tmp_path, capsys):
    out = tmp_path / "r"
    old_mask = os.umask(0o027)
    try:
        assert main([*RUN15, "--out", str(out)]) == 0
        first = json.loads((out / "summary.json").read_text())
        assert main([*RUN15, "--scenario", "1", "--out", str(out)]) == 0
    finally:
        os.umask(old_mask)
    second = json.loads((out / "summary.json").read_text())
    assert (first["scenario"], second["scenario"]) == (2, 1)
    assert out.stat().st_mode & 0o777 == 0o750  # 0777 minus umask 027, not mkdtemp's 0700
    assert sorted(os.listdir(out)) == sorted(
        [MARKER, "branches.csv", "buses.csv", "sources.csv", "summary.json"]
    )
    assert _siblings(out) == []
    assert is_fdn_alu_result(out)
    # a file the user adds to a result folder makes it theirs: refused, file kept
    (out / "notes.txt").write_text("mine")
    assert main([*RUN15, "--out", str(out)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


def test_legacy_result_folder_is_replaceable(tmp_path):
    """A folder written by write_results (no marker) is recognised by its summary.json."""
    res = run(CASE15DA, periods=2)
    out = write_results(res, tmp_path / "legacy")
    (out / MARKER).unlink()  # as written before the marker existed
    assert check_out_dir(out) == out
    (out / "summary.json").write_text("[1, 2]")  # not an object: not a result
    with pytest.raises(Exception, match="not an fdn_alu result"):
        check_out_dir(out)


def test_run_folder_matches_write_results_byte_for_byte(tmp_path):
    res = run(CASE15DA, periods=2)
    a = write_results(res, tmp_path / "a")
    b = write_dir_atomic(tmp_path / "b", lambda t: write_run_files(res, t), kind="run")
    names = sorted(os.listdir(a))
    assert sorted(os.listdir(b)) == names and MARKER in names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_write_dir_atomic_interrupted_leaves_nothing_and_keeps_old(tmp_path):
    out = tmp_path / "r"
    write_dir_atomic(out, lambda t: (t / "x.csv").write_text("1"))

    def interrupted(t: Path) -> None:
        (t / "x.csv").write_text("2")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_dir_atomic(out, interrupted)
    assert (out / "x.csv").read_text() == "1"
    assert _siblings(out) == []

    def mkdtemp_writer(t: Path) -> None:
        import tempfile

        sub = Path(tempfile.mkdtemp(dir=t))  # 0700, like results.write_results' folders
        (sub / "y.csv").write_text("3")

    old_mask = os.umask(0o022)
    try:
        write_dir_atomic(tmp_path / "m", mkdtemp_writer)
    finally:
        os.umask(old_mask)
    (sub,) = [p for p in (tmp_path / "m").iterdir() if p.is_dir()]
    assert sub.stat().st_mode & 0o777 == 0o755


def test_reproduce_refuses_foreign_folder_and_file(tmp_path, capsys):
    d = tmp_path / "paper"
    d.mkdir()
    (d / "draft.md").write_text("draft")
    t0 = time.perf_counter()
    assert main(["reproduce", "--quick", "--out", str(d)]) == 2
    assert time.perf_counter() - t0 < 5.0  # before any scenario is solved
    assert str(d) in capsys.readouterr().err
    assert os.listdir(d) == ["draft.md"]
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert main(["reproduce", "--quick", "--out", str(f)]) == 2
    assert f.read_text() == "x" and sorted(os.listdir(tmp_path)) == ["f.txt", "paper"]


# ---- item 2: NaN / inf / negative in a MATPOWER file ------------------------------------------


def _case33bw_with_nan_pd(folder: Path) -> Path:
    lines = (matpower_data_dir() / "case33bw.m").read_text().splitlines()
    for k, line in enumerate(lines):
        if line.split()[:4] == ["5", "1", "60", "30"]:  # bus 5: Pd 60 kW, Qd 30 kvar
            lines[k] = line.replace("60", "NaN", 1)
            break
    else:
        raise AssertionError("bus 5 row not found")
    path = folder / "case33bw_nan.m"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_matpower_nan_pd_is_input_error(tmp_path, capsys):
    path = _case33bw_with_nan_pd(tmp_path)
    out = tmp_path / "out"
    assert main(["run", "--case", str(path), "--periods", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "case33bw_nan.m mpc.bus column PD: NaN in row(s) 5 (bus 5)" in err
    assert not out.exists()


# ---- item 3: failed checks -> printed, results written, exit 4 -------------------------------


def test_failed_checks_exit_4_results_written(tmp_path, capsys, negprice_case):
    out = tmp_path / "r"
    assert main(["run", "--config", str(negprice_case), "--out", str(out), "--recover", "off"]) == 4
    captured = capsys.readouterr()
    s = json.loads((out / "summary.json").read_text())
    failed = s["checks"]["failed"]
    assert "soc_gap_max" in failed and s["checks"]["soc_gap_max"] > 0.1
    assert s["status"] == "check_failed"
    # each failed check printed with its value and tolerance
    for name in failed:
        tol = s["checks"]["tolerances"][name]
        assert f"  {name} = {s['checks'][name]:.3g}, tolerance {tol:.3g}" in captured.err
    assert "checks failed" in captured.err
    assert sorted(os.listdir(out)) == sorted(
        [MARKER, "branches.csv", "buses.csv", "sources.csv", "summary.json"]
    )


def test_inexact_relaxation_recovered_exit_0(tmp_path, capsys, negprice_case):
    """The same case with the recovery on (the default): an AC-feasible dispatch, every check
    passing, exit 0, and one line saying what happened (docs/RECOVERY.md)."""
    out = tmp_path / "r"
    assert main(["run", "--config", str(negprice_case), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    rec = s["recovery"]
    assert s["status"] == "ok" and s["checks"]["failed"] == []
    assert rec["status"] == "recovered" and rec["relaxed_failed"]["soc_gap_max"] > 0.1
    assert rec["objective_relaxed"] <= rec["objective_recovered"] == pytest.approx(s["objective"])
    gap = rec["relaxed_failed"]["soc_gap_max"]
    line = (
        f"relaxation inexact (gap {gap:.1e}): recovered an AC-feasible dispatch, cost "
        f"{100 * rec['gap_rel']:+.2f} % over the relaxed bound ({rec['method']})"
    )
    assert line in capsys.readouterr().out


# ---- item 4: exit codes as documented ---------------------------------------------------------


def test_solver_errors_are_input_errors(tmp_path, capsys):
    assert main([*RUN15, "--solver", "cplexx", "--out", str(tmp_path / "a")]) == 2
    assert "unknown solver 'cplexx'" in capsys.readouterr().err
    if "mosek" not in available_solvers():
        assert main([*RUN15, "--solver", "mosek", "--out", str(tmp_path / "b")]) == 2
        assert "not installed" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_help_documents_exit_codes(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130 "):
        assert f"\n  {code}" in text
    assert EXIT_CODES in text
    assert main(["run", "--help"]) == 0
    assert "130  interrupted" in capsys.readouterr().out


# ---- item 5: Ctrl-C and SIGTERM are tested in tests/test_trust.py


# ---- item 13: examples reachable from anywhere ------------------------------------------------


def test_example_list_print_copy_and_run_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["example"]) == 0
    assert capsys.readouterr().out.startswith("case33bw ")
    assert main(["example", "case33bw"]) == 0
    printed = capsys.readouterr().out
    raw = tomllib.loads(printed)
    assert raw["case"]["network"] == "matpower:case33bw"
    assert raw["case"]["profiles"] == "day_profiles.csv"
    assert main(["example", "case33bw", "--out", "mine"]) == 0
    capsys.readouterr()
    assert sorted(os.listdir("mine")) == ["case33bw.toml", "day_profiles.csv"]
    assert Path("mine/case33bw.toml").read_text() == printed
    (Path("mine") / "case33bw.toml").write_text(printed + "# edited\n")
    assert main(["example", "case33bw", "--out", "mine"]) == 2  # never over an existing folder
    assert "exist" in capsys.readouterr().err
    assert Path("mine/case33bw.toml").read_text().endswith("# edited\n")
    # the copy and the shipped example load to the same case
    a = load_case("mine/case33bw.toml")
    assert len(a.net.bus) == 33 and len(a.profiles) == 24
    # at its own 24 periods (coarser steps fail the park checks: exit 4)
    assert main(["run", "--config", "example:case33bw", "-q", "--out", "r"]) == 0
    s = json.loads(Path("r/summary.json").read_text())
    assert s["case"] == "case33bw_example" and s["periods"] == 24
    assert s["checks"]["failed"] == []
    # an example copy is not a result folder: a run may not replace it
    assert main(["run", "--config", "mine/case33bw.toml", "--periods", "4", "--out", "mine"]) == 2
    assert main(["example", "nope"]) == 2
    assert "shipped examples: case33bw" in capsys.readouterr().err


# ---- item 14: size estimate -------------------------------------------------------------------


def test_estimate_matches_measured_peak_memory():
    # (buses, periods) -> measured peak RSS in MB
    # (scenario 3, Clarabel; see fdn_alu.results.folders)
    measured = {
        (15, 96): 266,
        (15, 384): 331,
        (15, 960): 466,
        (85, 96): 340,
        (85, 384): 584,
        (841, 96): 1100,
        (3361, 96): 3600,
    }
    for (n, t), mb in measured.items():
        assert abs(estimate_memory_mb(n, t) / mb - 1) < 0.08, (n, t)


def test_absurd_size_refused_fast(tmp_path, capsys):
    out = tmp_path / "big"
    t0 = time.perf_counter()
    assert main(["run", "--case", "ieee85", "--periods", "100000", "--out", str(out)]) == 2
    assert time.perf_counter() - t0 < 5.0
    err = capsys.readouterr().err
    assert "85 buses x 100000 periods needs about 95.6 GB" in err
    assert "--max-memory-gb" in err
    assert main([*RUN15, "--max-memory-gb", "0.1", "--out", str(out)]) == 2
    assert "needs about 0.2 GB" in capsys.readouterr().err
    assert not out.exists()


def test_absurd_size_refused_fast_subprocess(tmp_path):
    t0 = time.perf_counter()
    cpu0 = os.times()
    proc = subprocess.run(
        [FDN_ALU, "run", "--case", "ieee15", "--periods", "100000", "--out", "big"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    cpu = os.times().children_user - cpu0.children_user
    assert proc.returncode == 2, proc.stderr
    assert "--max-memory-gb" in proc.stderr and "Traceback" not in proc.stderr
    # the check runs before pandapower is imported: CPU time is start-up plus the check; wall
    # time also depends on the machine's load, so it gets a looser bound
    assert cpu < 5.0, cpu
    assert time.perf_counter() - t0 < 30.0
    assert os.listdir(tmp_path) == []


def test_console_entry_flushes_and_keeps_exit_codes(tmp_path):
    """The console script's fast exit (no interpreter finalisation) loses neither buffered
    output on a pipe nor the command's exit code."""
    code = (
        "import sys; from fdn_alu.cli import console; "
        "sys.argv = ['fdn-alu', *sys.argv[1:]]; console()"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    ok = subprocess.run(
        [sys.executable, "-c", code, "cases"], capture_output=True, text=True, timeout=60, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert "ieee85" in ok.stdout and "ieee15" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-c", code, "run", "--case", "ieee15", "--periods", "100000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert bad.returncode == 2 and "--max-memory-gb" in bad.stderr


# ---- items 8, 9: every wrong invocation ends in one message; -q; warnings --------------------


def test_wrong_invocations_end_in_one_message(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("file.txt").write_text("x")
    Path("taken").mkdir()
    Path("taken/mine.txt").write_text("x")
    cases = [
        [],
        ["nope"],
        ["cases", "extra"],
        ["run"],
        ["run", "--case", "nope"],
        ["run", "--case", "ieee15", "--config", "x.toml"],
        ["run", "--case", "ieee15", "--scenario", "4"],
        ["run", "--case", "ieee15", "--periods", "0"],
        ["run", "--case", "ieee15", "--periods", "x"],
        ["run", "--case", "ieee15", "--solver", "cplexx"],
        ["run", "--case", "ieee15", "--ac-method", "exact"],
        ["run", "--case", "ieee15", "--max-memory-gb", "-1"],
        ["run", "--case", "ieee15", "--out", "file.txt"],
        ["run", "--case", "ieee15", "--out", "taken"],
        ["run", "--config", "missing.toml"],
        ["run", "--config", "example:nope"],
        ["run", "--case", "file.txt"],
        ["reproduce", "--case", "nope"],
        ["reproduce", "--periods", "-3"],
        ["reproduce", "--solver", "nope"],
        ["reproduce", "--out", "file.txt"],
        ["reproduce", "--out", "taken"],
        ["example", "nope"],
        ["example", "--out", "x"],
        ["example", "case33bw", "--out", "taken"],
    ]
    for argv in cases:
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, (argv, code, err)
        assert "Traceback" not in err and "internal error" not in err, argv
        message = [ln for ln in err.splitlines() if not ln.startswith("[")]  # minus progress
        assert message[0].startswith(("error:", "usage:")), (argv, err)
        assert sum(ln.startswith(("error:", "usage:")) for ln in message) == 1, (argv, err)
    assert sorted(os.listdir()) == ["file.txt", "taken"]
    assert os.listdir("taken") == ["mine.txt"]


def test_quiet_and_one_line_warnings(tmp_path, capsys):
    assert main([*RUN15, "-q", "--out", str(tmp_path / "q")]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    # ieee15 in 2 periods of 12 h: the production target does not bind (a UserWarning from the
    # solve) and the park checks fail (reported once, by the CLI, not again as a warning)
    argv = ["run", "--case", "ieee15", "--periods", "2", "-q", "--out", str(tmp_path / "w")]
    assert main(argv) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    warn = [ln for ln in lines if ln.startswith("warning:")]
    assert len(warn) == 1 and "target is not binding" in warn[0], captured.err
    assert lines.index(warn[0]) == 0  # -q: no progress lines before it
    assert "checks failed (ieee15 scenario 2)" in captured.err
    assert "checks outside tolerance" not in captured.err
    assert ".py:" not in captured.err and "warn(" not in captured.err
    assert main([*RUN15, "--out", str(tmp_path / "p")]) == 0
    captured = capsys.readouterr()
    assert "building and solving case15da scenario 2: 15 buses x 2 periods" in captured.err
    assert "results written to" in captured.out


def test_progress_shows_each_solve_of_the_production_sequence(tmp_path, capsys):
    """Issue 10.12: every solve of the sequence (presolve, dispatch, relax-and-fix) is a
    progress line with elapsed time and the production error; none with -q."""
    argv = ["run", "--case", "ieee15", "--scenario", "3", "--out", str(tmp_path / "r")]
    assert main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    solves = [ln for ln in err if "solve " in ln and "park production error" in ln]
    assert any("presolve park solve 1" in ln for ln in solves), err
    assert any("] " in ln and "dispatch solve 1" in ln for ln in solves), err
    last = float(solves[-1].split("park production error ")[1].split()[0])
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert last == pytest.approx(summary["checks"]["production_rel_err"], rel=0.05, abs=1e-9)
    assert main([*argv[:-1], str(tmp_path / "q"), "-q"]) == 0
    assert capsys.readouterr().err == ""
