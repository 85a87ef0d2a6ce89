"""Sweeps: the same grid on a process pool and a Dask LocalCluster, resume, failures, bad axes.

Real solves on ieee15 with 24 periods. The grid crosses two carbon prices with two lower voltage
limits; 0.99 pu is infeasible on this feeder (its last bus sits at 0.935 pu with the root at
1.0 pu, README), so half of the points must fail while the others finish.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import sweep_faults  # noqa: F401  (registers the "fault" task kind)
from fdn_alu.cases import DATA_DIR
from fdn_alu.cli import main as cli_main
from fdn_alu.errors import InputError
from fdn_alu.studies.sweep.study import apply_settings, load_spec, point_id, read_point, run_sweep

SPEC = {
    "sweep": {
        "base": "ieee15",
        "scenario": 3,
        "periods": 24,
        "check_ac": False,  # the AC check is the run's business, not the engine's; saves ~1 s/point
        "tables": ["buses", "sources"],
    },
    "axes": {"grid.carbon_price_per_t": [0, 200], "network.vm_min_pu": [0.9, 0.99]},
}

VOLATILE = {"cpu_point_s", "worker"}  # and time_*: differ from run to run by nature


@pytest.fixture(scope="module")
def pool_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "pool"
    result = run_sweep(SPEC, out, workers=2)
    assert result.backend == "process pool"
    assert result.ran == 4 and result.skipped == 0
    return out


def _numeric(table: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in table.columns if c not in VOLATILE and not c.startswith("time_")]
    return table[cols].set_index("point_id").sort_index()


def _assert_same(dir_a, dir_b) -> None:
    a = _numeric(pd.read_csv(dir_a / "sweep.csv"))
    b = _numeric(pd.read_csv(dir_b / "sweep.csv"))
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-9)
    for pid in a.index[a["status"] == "ok"]:
        pa, pb = read_point(dir_a, pid), read_point(dir_b, pid)
        assert sorted(pa["tables"]) == ["buses", "sources"]
        for name in pa["tables"]:
            pd.testing.assert_frame_equal(
                pa["tables"][name], pb["tables"][name], check_exact=False, rtol=0, atol=1e-9
            )


@pytest.mark.slow
def test_pool_sweep_records_failures_and_finishes_the_rest(pool_dir):
    table = pd.read_csv(pool_dir / "sweep.csv")
    assert len(table) == 4
    feasible = table["network.vm_min_pu"] == 0.9
    assert (table.loc[feasible, "status"] == "ok").all()
    assert (table.loc[~feasible, "status"] == "failed").all()
    assert table.loc[~feasible, "message"].str.startswith("InfeasibleError").all()
    ok = table[feasible].set_index("grid.carbon_price_per_t")
    # the axis reached the model: carbon cost = price x emissions (0 and 200 CNY/t, not 80)
    assert ok.loc[0, "cost_carbon"] == pytest.approx(0.0, abs=1e-9)
    assert ok.loc[200, "cost_carbon"] == pytest.approx(200 * ok.loc[200, "emissions_total_t"])
    # pricing carbon cannot raise emissions; with no price the ESOP arbitrage is unchanged
    assert ok.loc[200, "emissions_total_t"] <= ok.loc[0, "emissions_total_t"] + 1e-6
    assert (ok["checks_failed"].isna()).all()
    # the folders: one per point, marker naming the sweep, sources table of the feasible points
    marker = json.loads((pool_dir / ".fdn_alu").read_text())
    assert marker["fdn_alu_result"] == "sweep"
    assert len(list((pool_dir / "points").iterdir())) == 4
    pid = table.loc[feasible, "point_id"].iloc[0]
    src = read_point(pool_dir, pid)["tables"]["sources"]
    grid = src[src["kind"] == "grid"]
    assert grid["p_mw"].sum() == pytest.approx(ok.iloc[0]["energy_grid_import_mwh"], rel=1e-6)


@pytest.mark.slow
def test_local_cluster_gives_the_pool_tables(pool_dir, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    # one worker: each Dask worker process imports the package afresh (~5 s of CPU); the pool
    # run above already spreads the points over two processes
    result = run_sweep(SPEC, out, workers=1, scheduler="local")
    assert result.backend == "Dask LocalCluster" and result.ran == 4
    _assert_same(pool_dir, out)


@pytest.mark.slow
def test_resume_skips_finished_points(pool_dir, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(pool_dir, out)
    before = {p.name: (p / "point.json").stat().st_mtime_ns for p in (out / "points").iterdir()}
    again = run_sweep(SPEC, out, workers=1)
    assert (again.ran, again.skipped) == (0, 4)
    # one more carbon price: exactly its two points are solved, the earlier four untouched
    wider = {**SPEC, "axes": {**SPEC["axes"], "grid.carbon_price_per_t": [0, 200, 80]}}
    more = run_sweep(wider, out, workers=1)
    assert (more.ran, more.skipped) == (2, 4)
    after = {p.name: (p / "point.json").stat().st_mtime_ns for p in (out / "points").iterdir()}
    assert {k: after[k] for k in before} == before
    assert len(after) == 6
    assert more.counts == {"ok": 3, "failed": 3}
    # the finished folder runs nothing; failed points give exit code 1
    (tmp_path / "spec.toml").write_text(
        '[sweep]\nbase = "ieee15"\nscenario = 3\nperiods = 24\ncheck_ac = false\n'
        'tables = ["buses", "sources"]\n'
        '[axes]\n"grid.carbon_price_per_t" = [0, 200]\n"network.vm_min_pu" = [0.9, 0.99]\n'
    )
    assert (
        cli_main(["sweep", str(tmp_path / "spec.toml"), "--out", str(out), "--workers", "1"]) == 1
    )


def test_bad_axes_are_refused_before_anything_runs(tmp_path):
    spec = {
        "sweep": {"base": "ieee15", "periods": 24},
        "axes": {
            "grid.carbon_pric": [0, 80],  # misspelt key
            "pv.nosuch.p_mw": [0.3],  # no PV of that name
            "nosection.x": [1],
            "network.vm_min_pu": [-0.5, 0.9],  # the schema refuses -0.5
            "scenario": [3, 4],
        },
    }
    out = tmp_path / "never"
    with pytest.raises(InputError) as err:
        run_sweep(spec, out, workers=1)
    text = str(err.value)
    for part in ("carbon_pric", "nosuch", "nosection", "vm_min_pu", "scenario: 4"):
        assert part in text
    assert len(err.value.problems) == 6  # carbon_pric once per value
    assert not out.exists()
    # a folder that is not a sweep is refused too, and left as it was
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="not an fdn_alu result"):
        run_sweep(SPEC, foreign, workers=1)
    assert os.listdir(foreign) == ["notes.txt"]
    # the CLI maps it to exit code 2
    (tmp_path / "bad.toml").write_text('[sweep]\nbase = "ieee15"\n[axes]\n"grid.x" = [1]\n')
    assert cli_main(["sweep", str(tmp_path / "bad.toml"), "--out", str(out)]) == 2


def test_setting_paths_on_the_raw_case():
    raw = tomllib.loads((DATA_DIR / "ieee15.toml").read_text())
    assert not apply_settings(
        raw, {"pv.*.p_mw": 0.5, "pv.pv11.s_mva": 0.6, "park.potline.1.cells": 3}
    )
    assert [p["p_mw"] for p in raw["pv"]] == [0.5, 0.5, 0.5]
    assert [p["s_mva"] for p in raw["pv"]] == [0.275, 0.6, 0.275]
    assert [p["cells"] for p in raw["park"]["potline"]] == [2, 3]
    problems = apply_settings({"pv": []}, {"pv.*.p_mw": 1.0, "pv.0.p_mw": 1.0, "pv": 2})
    assert [p.what for p in problems] == [
        "wildcard '*' at pv matches nothing (the list is empty)",
        "index 0 at pv is out of range (0 elements)",
        "a setting path is section.key (e.g. grid.carbon_price_per_t)",
    ]


def test_spec_expansion_and_stable_ids(tmp_path):
    spec = load_spec(SPEC)
    assert spec.axes == ["grid.carbon_price_per_t", "network.vm_min_pu"]
    assert [v["grid.carbon_price_per_t"] for v in spec.values] == [0, 0, 200, 200]
    p = spec.points[1]
    assert p["kind"] == "dispatch" and p["case"] == "ieee15" and p["scenario"] == 3
    assert p["settings"] == {"grid.carbon_price_per_t": 0, "network.vm_min_pu": 0.99}
    assert spec.ids == [point_id(q) for q in spec.points] == load_spec(SPEC).ids
    assert len(set(spec.ids)) == 4
    # an explicit list of points, fixed settings in [set], from a TOML file
    (tmp_path / "s.toml").write_text(
        '[sweep]\nbase = "ieee15"\n[set]\n"grid.loss_price_per_mwh" = 400\n'
        '[[points]]\nscenario = 1\n[[points]]\nscenario = 3\n"park.battery.e_max_mwh" = 1.6\n'
    )
    listed = load_spec(tmp_path / "s.toml")
    assert listed.axes == ["scenario", "park.battery.e_max_mwh"]
    assert [q["scenario"] for q in listed.points] == [1, 3]
    assert listed.points[1]["settings"] == {
        "grid.loss_price_per_mwh": 400,
        "park.battery.e_max_mwh": 1.6,
    }


def test_feeder_axis_validates_each_case(tmp_path):
    # a second feeder: ieee15 with its PV renamed (same network, so no second feeder to load)
    text = (DATA_DIR / "ieee15.toml").read_text()
    text = text.replace('name = "pv5"', 'name = "pv_a"').replace(
        'profiles = "day_profiles.csv"',
        f'profiles = "{(DATA_DIR / "day_profiles.csv").as_posix()}"',
    )
    (tmp_path / "other.toml").write_text(text)
    spec = load_spec(
        {"sweep": {"periods": 24}, "axes": {"base": ["ieee15", "other.toml"]}}, tmp_path
    )
    assert [p["case"] for p in spec.points] == ["ieee15", str((tmp_path / "other.toml").resolve())]
    with pytest.raises(InputError) as err:
        load_spec({"axes": {"base": ["ieee15", "other.toml"], "pv.pv5.p_mw": [0.3]}}, tmp_path)
    # ieee15's pv5 has a 0.275 MVA inverter, below 0.3 MW; the other case has no pv5
    assert [p.where.split(":")[0] for p in err.value.problems] == ["ieee15", "other.toml"]
    assert "below p_mw" in err.value.problems[0].what
    assert "no element named 'pv5'" in err.value.problems[1].what


def test_values_valid_only_together_are_accepted():
    # ieee15's pv5: 0.25 MW on a 0.275 MVA inverter. Raising both is valid although 0.375 MW
    # alone (inverter left at 0.275 MVA) is not; a point that really is invalid is named.
    up = {"pv.pv5.p_mw": 0.375, "pv.pv5.s_mva": 0.4125}
    spec = load_spec({"sweep": {"base": "ieee15"}, "points": [up]})
    assert spec.points[0]["settings"] == up
    grid = load_spec({"sweep": {"base": "ieee15"}, "axes": {k: [v] for k, v in up.items()}})
    assert grid.ids == spec.ids
    with pytest.raises(InputError) as err:
        load_spec({"sweep": {"base": "ieee15"}, "points": [up, {**up, "pv.pv5.s_mva": 0.3}]})
    [problem] = err.value.problems
    assert problem.where == "point pv.pv5.p_mw=0.375, pv.pv5.s_mva=0.3"
    assert "inverter rating 0.3 MVA below p_mw 0.375 MW" in problem.what
    with pytest.raises(InputError, match=r"axis 'pv\.pv5\.p_mw' = 0\.375: .* 0\.275 MVA below"):
        load_spec({"sweep": {"base": "ieee15"}, "points": [{"pv.pv5.p_mw": 0.375}]})


def test_sweeps_accept_every_component_table_and_scenarios_3a_3b(tmp_path):
    from fdn_alu.components.registry import COMPONENTS
    from fdn_alu.studies.sweep.dispatch import DISPATCH_TABLES

    assert {t for c in COMPONENTS for t in c.tables} <= set(DISPATCH_TABLES)
    spec = {
        "sweep": {
            "base": "ieee15",
            "periods": 12,
            "check_ac": False,
            "tables": ["esop", "storage", "reserves", "cement", "flex_load"],
        },
        "axes": {"scenario": ["3a", "3b"]},
    }
    out = tmp_path / "s3ab"
    result = run_sweep(spec, out, workers=1)
    assert result.ran == 2
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.status) == ["ok", "ok"]
    # 3a: the soft open point without its battery; 3b: with it (the flexible scenario)
    assert set(table.scenario.astype(str)) == {"3a", "3b"}


# ---- size up front, scheduler, progress, lost workers ------------------------------------------


def test_a_huge_sweep_is_refused_up_front_with_its_size_time_and_memory(tmp_path, capsys):
    spec = tmp_path / "big.toml"
    axes = {
        "grid.carbon_price_per_t": list(range(300)),
        "grid.loss_price_per_mwh": list(range(300)),
        "network.vm_min_pu": [0.8 + i * 1e-4 for i in range(100)],
        "scenario": [1, 2, 3],
    }
    spec.write_text(
        '[sweep]\nbase = "ieee15"\nperiods = 24\n[axes]\n'
        + "".join(f'"{k}" = {json.dumps(v)}\n' for k, v in axes.items())
    )
    out = tmp_path / "out"
    t0 = time.perf_counter()
    assert cli_main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 2
    assert time.perf_counter() - t0 < 30  # before: 14 GB in 100 s, nothing printed
    err = capsys.readouterr().err
    assert "27,000,000 points (300 x 300 x 100 x 3)" in err
    m = re.search(r"about ([0-9,]+) CPU-hours \(([0-9.]+) s per point", err)
    assert m and float(m[1].replace(",", "")) == pytest.approx(27e6 * float(m[2]) / 3600, rel=0.1)
    assert "--max-points 27000000" in err and "GB per worker" in err
    assert not out.exists()
    with pytest.raises(InputError, match="exceed the limit of 3"):
        load_spec(SPEC, max_points=3)
    assert len(load_spec(SPEC, max_points=4).ids) == 4


@pytest.mark.parametrize("address", ["nonsense", "tcp://", "http://127.0.0.1:8786"])
def test_a_malformed_scheduler_is_refused_at_once_and_nothing_written(tmp_path, capsys, address):
    out = tmp_path / "out"
    t0 = time.perf_counter()
    code = cli_main(["sweep", "spec-not-read.toml", "--out", str(out), "--scheduler", address])
    assert code == 2 and time.perf_counter() - t0 < 5
    assert "neither 'local' nor a scheduler address" in capsys.readouterr().err
    assert not out.exists()


def _fault_spec(tmp_path, n: int, **options) -> dict:
    flags = tmp_path / "flags"
    flags.mkdir(exist_ok=True)
    return {
        "sweep": {"kind": "fault", "base": "x", "flag_dir": str(flags), **options},
        "axes": {"value": list(range(n))},
    }


def test_a_killed_worker_costs_one_retry_not_the_pool(tmp_path):
    lines: list[str] = []
    spec = _fault_spec(tmp_path, 6)
    spec["points"] = [{"value": v, "die_once": v == 2} for v in range(6)]
    del spec["axes"]
    result = run_sweep(spec, tmp_path / "out", workers=2, progress=lines.append)
    assert result.counts == {"ok": 6} and result.lost == []
    assert 1 <= result.retried <= 4  # the points in flight when the worker died (window 2 x 2)
    assert (tmp_path / "flags" / "died-2").exists()  # the point really killed its worker
    assert any("worker lost with value=2, die_once=True in flight" in line for line in lines)
    # the progress counts add up to the points of the run on every line
    for line in lines:
        m = re.match(
            r"\[(\d+)/(\d+)\] done (\d+), failed (\d+), running (\d+), waiting (\d+)", line
        )
        if m:
            n_done, total, ok, failed, running, waiting = map(int, m.groups())
            assert n_done == ok + failed and ok + failed + running + waiting == total, line


def test_pool_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    spec = _fault_spec(tmp_path, 2, sleep_s=120.0)
    code = (
        "import sys, sweep_faults\n"
        "from fdn_alu.studies.sweep.study import run_sweep\n"
        f"run_sweep({spec!r}, {str(tmp_path / 'out')!r}, workers=2)\n"
    )
    tests_dir = str(Path(__file__).resolve().parent)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, tests_dir])}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
    flags = tmp_path / "flags"
    deadline = time.monotonic() + 120
    while len(list(flags.glob("pid-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = [int(p.read_text()) for p in flags.glob("pid-*")]
    assert len(pids) == 2, "the workers did not start"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), "pool workers outlived the sweep process"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))
