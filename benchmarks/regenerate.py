"""Regenerate benchmarks/RESULTS.json and the tables of benchmarks/RESULTS.md in one run.

Sections (each measured configuration in its own child process, see ``procs.py``):

- ``bench-day``: the common feeder-day (``common_day.py``: 15 / 85 / 841 / 3,361 buses x 24 / 96
  periods), ours against PyPSA's linear OPF with HiGHS; solver, in-process and whole-process
  time and peak memory of each, the ratio; the minimum of interleaved rounds.
- ``bench-growth``: growth exponents of time and memory against buses x periods, fitted to the
  day rows.
- ``bench-pipeline``: ``pipeline_benchmark.py --json PATH`` when that script exists.
- ``bench-fleets``: ``fdn-alu season --fleet china | ieee15-park | ieee85-park``, whole process.

Every section records the date, the machine (CPU model, cores, RAM), package versions, the
commit and the load average before and after. Usage::

    python benchmarks/regenerate.py --pypsa-python /path/to/venv/bin/python    # everything
    python benchmarks/regenerate.py --quick ...      # 15 / 85 buses, one round, small fleet
    python benchmarks/regenerate.py --dry-run        # the plan and its time estimate only
    python benchmarks/regenerate.py --render         # RESULTS.md again from RESULTS.json

``--no-day``, ``--no-pypsa``, ``--no-pipeline``, ``--no-fleet`` leave sections out (they keep
their previous results); ``--fleets`` picks fleets, ``--rounds`` the rounds of the day.
PyPSA runs best from a separate environment (``python3.11 -m venv V && V/bin/pip install pypsa
highspy``): its dependencies would otherwise be imported by pandapower in our processes too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common_day  # noqa: E402
import report  # noqa: E402
from cli_timings import FLEETS, time_season  # noqa: E402
from procs import run_child, run_python  # noqa: E402

RESULTS_JSON = HERE / "RESULTS.json"
RESULTS_MD = HERE / "RESULTS.md"
README = HERE.parent / "README.md"
PIPELINE = HERE / "pipeline_benchmark.py"

OUR_PACKAGES = ("numpy", "scipy", "cvxpy", "clarabel", "highspy", "pandas")
REFERENCE_PACKAGES = ("pypsa", "linopy", "highspy", "pandas")

# Rough whole-process seconds on an idle 2-core machine, for --dry-run before any RESULTS.json
# holds measured ones: (copies of the base feeder, periods) -> (ours, PyPSA, preparing its input).
ROUGH_DAY_S = {
    (1, 24): (2.5, 7.0, 3.0),
    (1, 96): (3.5, 8.0, 3.0),
    (10, 24): (8.0, 16.0, 4.0),
    (10, 96): (16.0, 20.0, 5.0),
    (40, 24): (35.0, 60.0, 8.0),
    (40, 96): (55.0, 110.0, 10.0),
}
ROUGH_FLEET_S = {"china": 300.0, "ieee15-park": 150.0, "ieee85-park": 170.0}
ROUGH_PIPELINE_S = 120.0


@dataclass
class Job:
    """One planned child process (or a round of them): section, label, estimated seconds."""

    section: str
    label: str
    estimate_s: float | None
    runs: bool = True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="15 and 85 buses, 1 round, small fleet")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and estimate only")
    ap.add_argument("--render", action="store_true", help="re-render RESULTS.md from RESULTS.json")
    ap.add_argument("--no-day", action="store_true", help="skip the day (and growth) section")
    ap.add_argument("--no-pypsa", action="store_true", help="day: ours only")
    ap.add_argument("--no-pipeline", action="store_true", help="skip the pipeline section")
    ap.add_argument("--no-fleet", action="store_true", help="skip the fleet section")
    ap.add_argument("--fleets", nargs="+", default=None, help=f"default: {' '.join(FLEETS)}")
    ap.add_argument("--rounds", type=int, default=None, help="day rounds (default 2; quick 1)")
    ap.add_argument("--periods", type=int, nargs="+", default=[24, 96])
    ap.add_argument("--timeout", type=float, default=3600.0, help="per child process, s")
    ap.add_argument("--pypsa-python", default=None, help="python of the PyPSA environment")
    ap.add_argument("--json", default=str(RESULTS_JSON), help="results file (read and written)")
    ap.add_argument("--md", default=str(RESULTS_MD), help="markdown file to render into")
    ap.add_argument(
        "--readme", default=str(README), help="file whose marked day table is updated too"
    )
    a = ap.parse_args(argv)
    if a.rounds is None:
        a.rounds = 1 if a.quick else 2
    if a.fleets is None:
        a.fleets = ["ieee15-park"] if a.quick else list(FLEETS)
    unknown = [f for f in a.fleets if f not in FLEETS and not f.endswith(".toml")]
    if unknown:
        ap.error(f"unknown fleet(s) {unknown}; built-in: {', '.join(FLEETS)} or FILE.toml")
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    if a.pypsa_python and not os.access(a.pypsa_python, os.X_OK):
        ap.error(f"--pypsa-python {a.pypsa_python}: not an executable")
    return a


def day_sizes(quick: bool) -> list[tuple]:
    """The (label, base, copies, battery bus) feeders of the day."""
    return common_day.SIZES[:2] if quick else common_day.SIZES


def day_rounds(copies: int, rounds: int) -> int:
    """Rounds for one feeder: the 40-copy feeder once (minutes per round, GBs of memory)."""
    return 1 if copies >= 40 else rounds


def pypsa_python(a: argparse.Namespace) -> str | None:
    """The interpreter for PyPSA, or None when the day runs without it."""
    if a.no_pypsa:
        return None
    if a.pypsa_python:
        return a.pypsa_python
    return sys.executable if importlib.util.find_spec("pypsa") is not None else None


def _previous(results: dict) -> dict:
    """Measured whole-process seconds by job label from an earlier RESULTS.json."""
    prev = {}
    secs = results.get("sections", {})
    for r in secs.get("bench-day", {}).get("rows", []):
        tool = "ours" if r["tool"] == report.OURS else "pypsa"
        prev[f"day {r['feeder']} x {r['periods']} {tool}"] = r.get("process_s")
    for r in secs.get("bench-fleets", {}).get("rows", []):
        prev[f"fleet {r['fleet']}"] = r.get("wall_s")
    wall = secs.get("bench-pipeline", {}).get("meta", {}).get("wall_s")
    if wall:
        prev["pipeline"] = wall
    return {k: v for k, v in prev.items() if v}


def build_plan(a: argparse.Namespace, results: dict) -> list[Job]:
    """Every child process the run will start, with an estimate of its seconds (the earlier
    measurement of the same job when RESULTS.json has one, else a rough idle-machine figure)."""
    prev = _previous(results)
    jobs: list[Job] = []
    ref = pypsa_python(a)
    if not a.no_day:
        for label, _base, copies, _bus in day_sizes(a.quick):
            for periods in a.periods:
                rough = ROUGH_DAY_S.get((copies, periods), (60.0, 60.0, 10.0))
                if ref:
                    jobs.append(Job("day", f"prepare {label} x {periods}", rough[2]))
                for r in range(day_rounds(copies, a.rounds)):
                    for tool, est in (("ours", rough[0]), ("pypsa", rough[1])):
                        if tool == "pypsa" and not ref:
                            continue
                        key = f"day {label} x {periods} {tool}"
                        jobs.append(Job("day", f"{key} round {r + 1}", prev.get(key, est)))
    if not a.no_pipeline:
        if PIPELINE.exists():
            est = prev.get("pipeline", ROUGH_PIPELINE_S)
            jobs.append(Job("pipeline", "pipeline_benchmark.py", est))
        else:
            jobs.append(Job("pipeline", "pipeline_benchmark.py absent: skipped", 0.0, False))
    if not a.no_fleet:
        for f in a.fleets:
            jobs.append(Job("fleets", f"fleet {f}", prev.get(f"fleet {f}", ROUGH_FLEET_S.get(f))))
    return jobs


def print_plan(jobs: list[Job], a: argparse.Namespace) -> float:
    """Print the plan; return the estimated total seconds."""
    total = sum(j.estimate_s or 0.0 for j in jobs)
    ref = pypsa_python(a)
    n = sum(j.runs for j in jobs)
    print(f"plan: {n} child processes, estimated {total / 60:.1f} min on an idle machine")
    print(f"PyPSA: {ref or 'not run'}")
    for j in jobs:
        est = "?" if j.estimate_s is None else f"{j.estimate_s:7.1f} s"
        print(f"  [{j.section:8s}] {j.label:45s} {est}")
    return total


def _versions(python: str, names: tuple[str, ...]) -> dict:
    """Installed versions of ``names`` in the environment of ``python`` (metadata only)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    if python == sys.executable:
        out = {}
        for n in names:
            try:
                out[n] = importlib.metadata.version(n)
            except importlib.metadata.PackageNotFoundError:
                pass
        return out
    proc = subprocess.run([python, "-c", code, *names], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def machine_info(ref_python: str | None) -> dict:
    """CPU model, cores, RAM, Python and package versions (ours and the reference's)."""
    cpu = platform.processor() or platform.machine()
    ram_gb = float("nan")
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = int(line.split()[1]) / 1024**2
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "packages": _versions(sys.executable, OUR_PACKAGES),
    }
    if ref_python:
        info["reference_packages"] = _versions(ref_python, REFERENCE_PACKAGES)
    return info


def _commit() -> str:
    proc = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no", "../src"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return ""
    return proc.stdout.strip() + (" (src modified)" if dirty.stdout.strip() else "")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")


class Section:
    """Context of one measured section: start time and load before, end time and load after."""

    def __init__(self, machine: dict, command: str):
        self.meta = {"machine": machine, "commit": _commit(), "command": command}

    def __enter__(self) -> dict:
        self.t0 = time.perf_counter()
        self.meta["start_utc"] = _now()
        self.meta["load_before"] = list(os.getloadavg())
        return self.meta

    def __exit__(self, *exc) -> None:
        self.meta["end_utc"] = _now()
        self.meta["load_after"] = list(os.getloadavg())
        self.meta["wall_s"] = time.perf_counter() - self.t0


def run_day(a: argparse.Namespace, meta: dict) -> dict:
    """The common day, ours and PyPSA interleaved; the fastest round of each kept."""
    ref = pypsa_python(a)
    rows, missing = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, base, copies, bus in day_sizes(a.quick):
            for periods in a.periods:
                npz = str(Path(tmp) / f"{base}_{copies}_{periods}.npz")
                args = [base, copies, bus, common_day.BATTERY, periods, npz]
                tools = [("ours", common_day.OURS, sys.executable)]
                if ref:
                    prep = run_python(common_day.PREPARE, args, timeout_s=a.timeout)
                    if prep.ok:
                        tools.append(("pypsa", common_day.PYPSA, ref))
                    else:
                        missing.append(f"{label} x {periods} PyPSA input: {_tail(prep)}")
                best: dict[str, dict] = {}
                rounds = day_rounds(copies, a.rounds)
                for r in range(rounds):
                    for key, script, python in tools:
                        res = run_python(script, args, python, timeout_s=a.timeout)
                        if not res.record:
                            missing.append(f"{label} x {periods} {key} round {r + 1}: {_tail(res)}")
                            continue
                        rec = res.record
                        if key not in best or rec["in_process_s"] < best[key]["in_process_s"]:
                            best[key] = rec
                        print(
                            f"  {label:>11} x {periods:>3} round {r + 1} {key:>5}: solver "
                            f"{rec['solver_s']:.2f} s, in process {rec['in_process_s']:.2f} s, "
                            f"process {rec['process_s']:.2f} s, {rec['peak_mb']:.0f} MB, "
                            f"load {rec['load_1min']:.2f}",
                            flush=True,
                        )
                for rec in best.values():
                    rows.append({"feeder": label, "periods": periods, "rounds": rounds, **rec})
    return {"meta": meta, "rows": rows, "missing": missing}


def _tail(res) -> str:
    if res.timed_out:
        return "timed out"
    lines = res.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {res.returncode}"


def run_pipeline(a: argparse.Namespace, meta: dict) -> dict:
    """``pipeline_benchmark.py --json PATH`` in a child process; a note when it is absent."""
    if not PIPELINE.exists():
        return {"meta": meta, "result": None, "note": "`benchmarks/pipeline_benchmark.py` is "
                "not in this checkout: no pipeline measurements."}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pipeline.json"
        code = (
            f"import sys; sys.path.insert(0, {str(PIPELINE.parent)!r}); "
            f"from {PIPELINE.stem} import main; sys.exit(main(sys.argv[1:]))"
        )
        argv = ["--json", str(out), *(["--repeats", "2"] if a.quick else [])]
        res = run_child([sys.executable, "-c", code, *argv], timeout_s=a.timeout)
        if not res.ok or not out.exists():
            return {"meta": meta, "result": None, "note": f"pipeline_benchmark.py failed: "
                    f"{_tail(res)}"}  # fmt: skip
        result = json.loads(out.read_text())
    return {"meta": meta, "result": result, "note": "", "markdown": pipeline_markdown(result)}


def pipeline_markdown(result) -> str | None:
    """The pipeline script's own tables of ``result`` (its ``markdown`` function), if it has
    one; None otherwise (the report then tabulates the result's rows)."""
    spec = importlib.util.spec_from_file_location(PIPELINE.stem, PIPELINE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    render = getattr(module, "markdown", None)
    return render(result) if callable(render) else None


def run_fleets(a: argparse.Namespace, meta: dict) -> dict:
    """``fdn-alu season`` once per fleet, whole process."""
    rows = []
    for f in a.fleets:
        rec = time_season(f, timeout_s=a.timeout)
        print(
            f"  fleet {f}: wall {rec['wall_s']:.1f} s, cpu {rec['cpu_s']:.1f} s, "
            f"{rec['peak_mb']:.0f} MB, gap {rec.get('mip_gap_max', float('nan')):.2e}, "
            f"exit {rec['exit_code']}, load {rec['load_1min']:.2f}",
            flush=True,
        )
        rows.append(rec)
    return {"meta": meta, "rows": rows}


def load_results(path: Path) -> dict:
    """An earlier RESULTS.json, or an empty one."""
    if path.exists():
        return json.loads(path.read_text())
    return {"sections": {}}


def save_results(path: Path, results: dict) -> None:
    """Write RESULTS.json (sorted keys, two-space indent, NaN as null)."""

    def clean(v):
        if isinstance(v, float) and v != v:
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    path.write_text(json.dumps(clean(results), indent=2, sort_keys=True) + "\n")


def render(a: argparse.Namespace, results: dict) -> None:
    """RESULTS.md, and the README's marked sections when it has any."""
    report.render_file(Path(a.md), results)
    if a.readme and Path(a.readme).exists():
        report.render_file(Path(a.readme), results, append_missing=False)


def main(argv: list[str] | None = None) -> int:
    """Run the planned sections, update RESULTS.json, render RESULTS.md; returns the exit code."""
    a = parse_args(argv)
    jpath, mpath = Path(a.json), Path(a.md)
    results = load_results(jpath)
    if a.render:
        render(a, results)
        print(f"rendered {mpath} from {jpath}")
        return 0
    jobs = build_plan(a, results)
    print_plan(jobs, a)
    if a.dry_run:
        return 0
    command = "python benchmarks/regenerate.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    machine = machine_info(pypsa_python(a) if not a.no_day else None)
    secs = results.setdefault("sections", {})
    if not a.no_day:
        with Section(machine, command) as meta:
            print("day:", flush=True)
            day = run_day(a, meta)
        secs["bench-day"] = day
        secs["bench-growth"] = {"meta": meta, "fits": report.growth_fits(day["rows"])}
        save_results(jpath, results)
    if not a.no_pipeline:
        with Section(machine, command) as meta:
            print("pipeline:", flush=True)
            pipe = run_pipeline(a, meta)
        secs["bench-pipeline"] = pipe
        save_results(jpath, results)
    if not a.no_fleet:
        with Section(machine, command) as meta:
            print("fleets:", flush=True)
            fleets = run_fleets(a, meta)
        secs["bench-fleets"] = fleets
        save_results(jpath, results)
    render(a, results)
    print(f"written: {jpath}, {mpath}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
