"""The public API's shape: ``fdn_alu.run`` is the function, scenarios by number or name, options
keyword-only, ``InputError`` a ``ValueError``, ``--case``/``--config`` one flag."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fdn_alu.cases.scenarios import BY_NAME, SCENARIOS, scenario_key
from fdn_alu.cli.app import _parser, main
from fdn_alu.errors import InputError

NAMES = {
    "rigid": 1,
    "low_carbon": 2,
    "flexible": 3,
    "sop_only": "3a",
    "sop_storage": "3b",
}


@pytest.mark.parametrize(
    "code",
    [
        "import fdn_alu.run; from fdn_alu import run",
        "from fdn_alu import run; import fdn_alu.run",
        "import importlib; run = importlib.import_module('fdn_alu.run')",
    ],
)
def test_fdn_alu_run_is_the_function_whatever_is_imported_first(code):
    check = "; import inspect; assert inspect.isfunction(run) and run.__name__ == 'run', run"
    subprocess.run([sys.executable, "-c", code + check], check=True)


def test_every_scenario_has_a_name_and_the_names_are_the_documented_ones():
    assert BY_NAME == NAMES
    assert {SCENARIOS[k].name for k in SCENARIOS} == set(NAMES)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        *NAMES.items(),
        (1, 1),
        ("2", 2),
        (" 3 ", 3),
        ("3A", "3a"),
        ("3b", "3b"),
        ("Low-Carbon", 2),
        ("SOP_ONLY", "3a"),
    ],
)
def test_scenario_key_reads_numbers_and_names(value, key):
    assert scenario_key(value) == key


@pytest.mark.parametrize("value", [4, "4", "rigid_low_carbon", "esop", None])
def test_unknown_scenario_is_returned_unchanged(value):
    assert scenario_key(value) == value and value not in SCENARIOS


def test_run_options_are_keyword_only():
    from fdn_alu import run

    with pytest.raises(TypeError, match="positional"):
        run("ieee15", 2)


def test_unknown_scenario_is_an_input_error_naming_the_choices():
    from fdn_alu import load_case
    from fdn_alu.core.data import build_model_data

    with pytest.raises(InputError, match="low_carbon") as exc:
        build_model_data(load_case("ieee15"), "greenest")
    assert isinstance(exc.value, ValueError)
    with pytest.raises(InputError, match="scenario"):
        build_model_data(load_case("ieee15"), True)


def test_scenario_by_name_builds_the_same_model_data_as_by_number():
    from fdn_alu import load_case
    from fdn_alu.core.data import build_model_data

    case = load_case("ieee15")
    for name, key in NAMES.items():
        by_name = build_model_data(case, name, periods=2)
        by_key = build_model_data(case, key, periods=2)
        assert by_name.scenario == by_key.scenario == key
        assert by_name.carbon_in_objective == by_key.carbon_in_objective
        assert by_name.flexible_storage == by_key.flexible_storage
        assert sorted(by_name.components) == sorted(by_key.components)
    # the names select different things: 3a drops the ESOP battery, 1 the carbon price
    assert not build_model_data(case, "sop_only", periods=2).flexible_storage
    assert not build_model_data(case, "rigid", periods=2).carbon_in_objective
    assert "esop" not in build_model_data(case, "low_carbon", periods=2).components


def test_run_by_name_reports_number_and_name():
    from fdn_alu import run

    s = run("ieee15", scenario="sop_only", check_ac=False).summary
    assert (s["scenario"], s["scenario_name"]) == ("3a", "sop_only")
    assert s["status"] == "ok"


@pytest.mark.parametrize(
    ("text", "key"), [("flexible", 3), ("3", 3), ("sop-only", "3a"), ("LOW_CARBON", 2)]
)
def test_cli_scenario_accepts_names(text, key):
    args = _parser().parse_args(["run", "--case", "ieee15", "--scenario", text])
    assert args.scenario == key


def test_cli_unknown_scenario_lists_the_names(capsys):
    assert main(["run", "--case", "ieee15", "--scenario", "greenest"]) == 2
    err = capsys.readouterr().err
    assert "1 rigid, 2 low_carbon, 3 flexible, 3a sop_only, 3b sop_storage" in err


def test_config_is_an_alias_of_case(tmp_path, capsys):
    a = _parser().parse_args(["run", "--config", "example:case33bw"])
    b = _parser().parse_args(["run", "--case", "example:case33bw"])
    assert (a.case or a.config) == (b.case or b.config) == "example:case33bw"
    # giving both is refused, whatever the order
    assert main(["run", "--case", "ieee15", "--config", "ieee85"]) == 2
    # --config takes a built-in name too, and the run folder is named by the scenario's number
    out = tmp_path / "r"
    argv = ["run", "--config", "ieee15", "--scenario", "rigid", "--periods", "2", "-q"]
    code = main([*argv, "--no-ac-check", "--out", str(out)])
    assert code in (0, 4)
    s = json.loads((out / "summary.json").read_text())
    assert (s["case"], s["scenario"], s["scenario_name"]) == ("ieee15", 1, "rigid")


def test_run_scenarios_takes_names_and_keys_results_by_number():
    from fdn_alu.paper.scenarios import comparison_table, run_scenarios

    results = run_scenarios("ieee15", ("rigid", "flexible"), periods=None)
    assert list(results) == [1, 3]
    table = comparison_table(results).set_index("quantity")
    assert list(table.columns) == ["unit", "scenario_1", "scenario_3"]
    assert table.loc["Total cost", "scenario_3"] < table.loc["Total cost", "scenario_1"]


def test_a_sweep_takes_scenario_names_and_refuses_unknown_ones():
    from fdn_alu.studies.sweep.study import load_spec

    spec = {"sweep": {"base": "ieee15"}, "axes": {"scenario": ["rigid", "3a", 3, "sop_storage"]}}
    assert [p["scenario"] for p in load_spec(spec).points] == ["rigid", "3a", 3, "sop_storage"]
    spec["axes"]["scenario"] = ["flexible", 4, "greenest", True]
    with pytest.raises(InputError) as exc:
        load_spec(spec)
    refused = [p.what for p in exc.value.problems]
    assert len(refused) == 3 and all("1 rigid, 2 low_carbon" in w for w in refused)
