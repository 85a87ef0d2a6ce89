"""The package's shape: no import cycles, layers that only import downward, a pipeline that never
names a device, modules of bounded size, one validation path for every way of making a case."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest

from fdn_alu import InputError, case_from_net, load_case, run
from fdn_alu.components.registry import COMPONENTS
from helpers import flat_profiles, radial_net

SRC = Path(__file__).resolve().parents[1] / "src" / "fdn_alu"
# Imports allowed inside function bodies: optional or heavy dependencies loaded on demand.
LAZY_OK = {
    "pandapower",
    "simbench",
    "matpowercaseframes",
    "gurobipy",
    "dask",
    "distributed",
    "matplotlib",
    "importlib",
    "highspy",
    "pyscipopt",
    "cyipopt",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([node.module] if node.module else []))
    out = [base]
    out += [f"{base}.{a.name}" for a in node.names]
    return out


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """Module-level import graph of fdn_alu, and the imports found inside function bodies."""
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    inner = []
    for mod, path in files.items():
        tree = ast.parse(path.read_text())
        is_pkg = path.name == "__init__.py"
        for node in tree.body:
            targets = []
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(mod, is_pkg, node)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[mod] |= {t for t in targets if t in files and t != mod}
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for n in ast.walk(fn):
                    if isinstance(n, ast.Import):
                        inner += [(mod, n.lineno, a.name) for a in n.names]
                    elif isinstance(n, ast.ImportFrom):
                        name = n.module or "" if n.level == 0 else _resolve(mod, is_pkg, n)[0]
                        inner.append((mod, n.lineno, name))
    return graph, inner


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_imports_inside_functions_are_only_optional_dependencies():
    _, inner = _graph()
    # Command-line modules load the API on demand (start-up time of `fdn-alu --help`).
    cli = {m for m, _, _ in inner if m == "fdn_alu.cli" or m.startswith("fdn_alu.cli.")}
    bad = [
        (m, line, name)
        for m, line, name in inner
        if name.split(".")[0] not in LAZY_OK and m not in cli
    ]
    assert bad == []


def test_model_layer_never_imports_solve_results_or_cases():
    graph, _ = _graph()
    model = [m for m in graph if m.startswith("fdn_alu.model") or m.endswith(".model")]
    for m in model:
        for dep in graph[m]:
            assert not dep.startswith(("fdn_alu.solve", "fdn_alu.cases", "fdn_alu.core.run")), (
                m,
                dep,
            )
            assert not dep.startswith("fdn_alu.results"), (m, dep)


def test_modules_stay_small():
    big = {p.name: n for p in SRC.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert big == {}


@pytest.mark.parametrize(
    "module",
    [
        "core",
        "results",
        "analysis",
        "model/recipe.py",
        "solve",
    ],
)
def test_pipeline_never_names_a_device(module):
    devices = [c.name for c in COMPONENTS if c.name not in ("grid", "pv")]
    devices += ["eaip", "potline", "esop"]
    paths = [SRC / module] if module.endswith(".py") else sorted((SRC / module).rglob("*.py"))
    pattern = re.compile(r"\b(" + "|".join(devices) + r")\b", re.IGNORECASE)
    hits = [
        f"{p.name}:{k + 1}: {line.strip()}"
        for p in paths
        for k, line in enumerate(p.read_text().splitlines())
        if pattern.search(line)
    ]
    assert hits == []


def test_with_settings_runs_the_same_validation_as_a_file():
    case = load_case("ieee15")
    with pytest.raises(InputError) as info:
        case.with_settings(
            parkk={"bus": 8},
            network={**case.settings["network"], "vm_min_pu": "low"},
        )
    msg = str(info.value)
    assert "[parkk]: unknown section" in msg
    assert "vm_min_pu: expected number, got 'low'" in msg
    assert len(info.value.problems) == 2
    sections = {p.section for p in info.value.problems}
    assert sections == {"parkk", "network"}


def test_case_from_net_refuses_a_misspelt_section_and_bad_values():
    net = radial_net([(1, 2, 0.01, 0.02)], {2: (0.1, 0.02)})
    park = copy.deepcopy(load_case("ieee15").settings["park"])
    park["bus"] = 2
    park["potlines"][0]["cells"] = -2
    with pytest.raises(InputError) as info:
        case_from_net(net, "bad", profiles=flat_profiles(1), parkk={"bus": 2})
    assert "[parkk]: unknown section" in str(info.value)
    with pytest.raises(InputError) as info:
        case_from_net(net, "bad", profiles=flat_profiles(1), park=park)
    p = info.value.problems
    assert [(x.section, x.key, x.element) for x in p] == [("park.potline", "cells", 1)]


def test_cross_field_network_rules_are_one_line_each():
    case = load_case("ieee15")
    with pytest.raises(InputError) as info:
        case.with_settings(network={**case.settings["network"], "vm_min_pu": 1.1, "vm_max_pu": 0.9})
    assert len(info.value.problems) == 1
    assert "not below vm_max_pu" in str(info.value)
    with pytest.raises(InputError, match="outside the voltage band"):
        case.with_settings(network={**case.settings["network"], "root_vm_pu": 1.3})


def test_a_device_less_infeasible_feeder_blames_no_device():
    # 2 MW at 0.5 pu impedance cannot be served within 0.9-1.1 pu; nothing but the grid exists.
    net = radial_net([(1, 2, 0.5, 0.5)], {2: (2.0, 0.5)})
    case = case_from_net(net, "weak", profiles=flat_profiles(1))
    with pytest.raises(Exception) as info:
        run(case)
    assert "potline" not in str(info.value)
    assert "park" not in str(info.value)


def test_settings_reference_is_generated_from_the_schemas():
    from fdn_alu.cases.reference import settings_markdown

    doc = (SRC.parents[1] / "docs" / "SETTINGS.md").read_text()
    assert doc == settings_markdown(), "regenerate: python -m fdn_alu.cases.reference"


def test_every_numeric_default_states_its_source():
    from fdn_alu.cases.validate import CORE
    from fdn_alu.core.schema import NUM, REQUIRED

    tables = dict(CORE)
    for comp in COMPONENTS:
        tables.update(comp.schemas())
    missing = [
        f"{title}.{key}"
        for title, schema in tables.items()
        for key, f in schema.items()
        if f.type == NUM and f.default is not REQUIRED and not f.source
    ]
    assert missing == []
