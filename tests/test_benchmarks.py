"""The benchmark tooling (benchmarks/regenerate.py and its helpers): rendering between markers,
the growth-exponent fit, the plan of a dry run and the per-child peak memory of the launcher.
Nothing here runs a benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import cli_timings  # noqa: E402
import procs  # noqa: E402
import regenerate  # noqa: E402
import report  # noqa: E402

META = {
    "start_utc": "2026-12-05 08:00",
    "end_utc": "2026-12-05 08:19",
    "load_before": [0.12, 0.3, 0.4],
    "load_after": [0.9, 0.5, 0.45],
    "machine": {"cpu": "Test CPU", "cores": 2, "ram_gb": 23.5, "python": "3.11.7"},
    "commit": "abc1234",
    "command": "python benchmarks/regenerate.py",
}


def _row(tool: str, buses: int, periods: int, t: float) -> dict:
    return {
        "feeder": f"f{buses}", "tool": tool, "buses": buses, "periods": periods,
        "solver_s": t / 2, "in_process_s": t, "process_s": t + 2.0, "cpu_s": t,
        "peak_mb": 100.0 + buses, "status": "optimal", "check": "ok", "load_1min": 0.2,
        "rounds": 2,
    }  # fmt: skip


def test_render_writes_between_markers_and_keeps_the_rest(tmp_path):
    md = tmp_path / "RESULTS.md"
    head = "# Results\n\nHand-written text before.\n\n"
    tail = "\n\nHand-written text after, kept.\n"
    md.write_text(
        head + "<!-- table:bench-day -->\nold table\n<!-- /table:bench-day -->" + tail
        + "<!-- table:bench-fleets -->\nold fleets\n<!-- /table:bench-fleets -->\n"
    )  # fmt: skip
    rows = [_row(report.OURS, 85, 96, 0.8), _row(report.PYPSA, 85, 96, 2.0)]
    results = {"sections": {"bench-day": {"meta": META, "rows": rows}}}
    text = report.render_file(md, results)
    assert text.startswith(head + "<!-- table:bench-day -->\n")
    assert tail + "<!-- table:bench-fleets -->\nold fleets\n" in text  # untouched section
    body = report.section_body(text, "bench-day")
    assert "old table" not in body
    row = "| 85 x 96 | 0.400 / 0.800 / 2.80 | 185 | 1.00 / 2.00 / 4.00 | 185 | **0.40** | 0.40 |"
    assert row in body and "Fastest of 2 interleaved rounds." in body
    assert "Test CPU (2 cores, 23.5 GB RAM)" in body and "before 0.12/0.30/0.40" in body
    assert report.render_file(md, results) == text  # rendering twice changes nothing
    # a section without markers is appended, with them; a half-marked one is refused
    growth = {"meta": META, "fits": report.growth_fits(rows)}
    text2 = report.render_file(md, {"sections": {"bench-growth": growth}})
    assert text2.startswith(text.rstrip("\n")) and text2.rstrip().endswith(
        "<!-- /table:bench-growth -->"
    )
    with pytest.raises(ValueError, match="bench-day"):
        report.replace_section(
            "<!-- /table:bench-day -->\n<!-- table:bench-day -->", "bench-day", "x"
        )


def test_readme_gets_only_the_sections_it_marks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Tool\n<!-- table:bench-day -->\n<!-- /table:bench-day -->\n## Docs\n")
    rows = [_row(report.OURS, 15, 24, 0.2)]
    fleets = {"meta": META, "rows": [{"fleet": "china", "wall_s": 50.0, "exit_code": 0}]}
    results = {"sections": {"bench-day": {"meta": META, "rows": rows}, "bench-fleets": fleets}}
    text = report.render_file(readme, results, append_missing=False)
    assert "| 15 x 24 | 0.100 / 0.200 / 2.20 | 115 | - | - |" in text
    assert "bench-fleets" not in text and text.endswith("## Docs\n")


def test_growth_exponent_recovers_a_known_power_law():
    x = np.array([85 * 24, 85 * 96, 841 * 24, 841 * 96, 3361 * 24, 3361 * 96], dtype=float)
    assert report.fit_exponent(x, 0.003 * x**1.37) == pytest.approx(1.37, abs=1e-9)
    assert report.fit_exponent(x, 5.0 * x**0.5) == pytest.approx(0.5, abs=1e-9)
    assert np.isnan(report.fit_exponent(x[:1], x[:1]))  # one point has no slope
    # rows: the 15-bus feeder (an outlier here) is left out of the fit
    rows = [
        _row(report.OURS, b, p, 1e-4 * (b * p) ** 1.1) for b in (85, 841, 3361) for p in (24, 96)
    ]
    rows.append(_row(report.OURS, 15, 24, 100.0))
    fits = {f["quantity"]: f for f in report.growth_fits(rows)}
    assert fits["in_process_s"]["exponent"] == pytest.approx(1.1, abs=1e-9)
    assert fits["solver_s"]["exponent"] == pytest.approx(1.1, abs=1e-9)
    assert fits["in_process_s"]["points"] == 6 and fits["in_process_s"]["from_bp"] == 85 * 24


def test_dry_run_prints_the_plan_and_runs_nothing(tmp_path, capsys, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a dry run started a process")

    for mod in (regenerate, cli_timings):
        monkeypatch.setattr(mod, "run_child", refuse)
    monkeypatch.setattr(regenerate, "run_python", refuse)
    monkeypatch.setattr(regenerate, "time_season", refuse)
    out_json, md = tmp_path / "R.json", tmp_path / "R.md"
    argv = ["--dry-run", "--no-pypsa", "--json", str(out_json), "--md", str(md), "--readme", ""]
    assert regenerate.main(argv) == 0
    text = capsys.readouterr().out
    assert "plan: 18 child processes" in text  # 6 feeder-days x 2 rounds + 2 x 1; pipeline; 3 fleets
    assert "day ieee85 x40 x 96 ours round 1" in text and "round 2" in text
    assert "ieee85 x40 x 96 ours round 2" not in text  # the largest feeder runs once
    assert "fleet china" in text and "pipeline" in text
    assert not out_json.exists() and not md.exists()
    assert regenerate.main(["--dry-run", "--quick", "--no-pypsa", "--json", str(out_json)]) == 0
    quick = capsys.readouterr().out
    assert "ieee85 x10" not in quick and "fleet china" not in quick and "ieee15-park" in quick


def test_render_option_rewrites_from_results_json(tmp_path, capsys):
    rows = [_row(report.OURS, 85, 96, 0.8)]
    jpath, md, readme = tmp_path / "R.json", tmp_path / "R.md", tmp_path / "README.md"
    jpath.write_text(json.dumps({"sections": {"bench-day": {"meta": META, "rows": rows}}}))
    md.write_text("intro\n")
    readme.write_text("no markers here\n")
    argv = ["--render", "--json", str(jpath), "--md", str(md), "--readme", str(readme)]
    assert regenerate.main(argv) == 0
    assert "| 85 x 96 | 0.400 / 0.800 / 2.80 | 185 |" in md.read_text()
    assert md.read_text().startswith("intro\n")
    assert readme.read_text() == "no markers here\n"


def test_pipeline_section_runs_the_script_or_says_it_is_absent(tmp_path, monkeypatch):
    script = tmp_path / "pipeline_benchmark.py"
    monkeypatch.setattr(regenerate, "PIPELINE", script)
    a = regenerate.parse_args(["--timeout", "60"])
    absent = regenerate.run_pipeline(a, META)
    assert absent["result"] is None and "not in this checkout" in report.render_pipeline(absent)
    script.write_text(
        "import argparse, json\n"
        "def main(argv):\n"
        "    p = argparse.ArgumentParser(); p.add_argument('--json')\n"
        "    a = p.parse_args(argv)\n"
        "    rows = [{'stage': 'solver', 'time_s': 1.11}, {'stage': 'total', 'time_s': 1.47}]\n"
        "    json.dump({'rows': rows}, open(a.json, 'w'))\n"
        "    return 0\n"
        "def markdown(res):\n"
        "    return f\"total / solver {res['rows'][1]['time_s'] / res['rows'][0]['time_s']:.3f}\"\n"
    )
    sec = regenerate.run_pipeline(a, META)
    assert sec["result"]["rows"][1] == {"stage": "total", "time_s": 1.47}
    assert "total / solver 1.324" in report.render_pipeline(sec)  # the script's own tables
    sec.pop("markdown")  # a script without them: its rows as a table
    text = report.render_pipeline(sec)
    assert "| stage | time_s |" in text and "| total | 1.47 |" in text


def test_launcher_reports_each_childs_own_peak_memory():
    big = procs.run_child([sys.executable, "-c", "b = b'x' * (200 * 2**20); print(len(b))"])
    assert big.ok and big.stdout.strip() == str(200 * 2**20)
    assert big.peak_mb >= 200.0
    assert big.cpu_s > 0.0 and big.wall_s >= big.cpu_s * 0.5
    small = procs.run_child([sys.executable, "-c", "print('{\"x\": 1}')"])
    assert small.ok and small.peak_mb < 100.0  # its own peak, not the largest child's so far
    assert small.last_json() == {"x": 1}
    slow = procs.run_child([sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=0.5)
    assert slow.timed_out and not slow.ok and slow.wall_s < 10.0


def test_cli_command_runs_the_console_script():
    res = procs.run_child(cli_timings.fdn_alu_command(["solvers"]), timeout_s=120.0)
    assert res.ok, res.stderr
    assert "clarabel" in res.stdout.lower()
    bad = cli_timings.time_season("no_such_fleet.toml", timeout_s=120.0)
    assert bad["exit_code"] == 2 and "no_such_fleet" in bad["error"]
    assert bad["command"] == "fdn-alu season --fleet no_such_fleet.toml --out OUT"
