"""The documentation states what the code does: the results contract's check table and summary
keys (docs/RESULTS.md) against the tolerances and a real run's summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fdn_alu.analysis.checks import all_tolerances

DOCS = Path(__file__).parents[1] / "docs"


def _check_table() -> dict[str, float]:
    """Check name -> tolerance, from the table under "## Exactness checks" in RESULTS.md. A row
    naming several checks gives one tolerance for all, or one each (in order)."""
    text = (DOCS / "RESULTS.md").read_text()
    section = text[text.index("## Exactness checks") :]
    out = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([a-z_0-9]+)`", cells[0])
        tols = [float(re.match(r"[0-9.e+-]+", t.strip()).group()) for t in cells[-1].split(",")]
        tols = tols * len(names) if len(tols) == 1 else tols
        assert len(tols) == len(names), line
        out.update(zip(names, tols, strict=True))
    return out


def test_results_md_lists_every_check_with_its_tolerance():
    assert _check_table() == pytest.approx(all_tolerances())


def test_check_table_parser_can_fail():
    table = _check_table()
    table["soc_gap_max"] *= 10
    assert table != pytest.approx(all_tolerances())


def test_results_md_lists_every_summary_key_of_a_real_run():
    from fdn_alu import run

    s = run("ieee15", scenario="flexible", check_ac=False).summary
    text = (DOCS / "RESULTS.md").read_text()
    block = text[text.index("## summary.json") : text.index("## buses.csv")]
    missing = [k for k in s if not re.search(rf"\b{k}\b", block)]
    for group in ("costs", "energy_mwh", "emissions_t", "timings_s"):
        listed = re.search(rf"{group}: \{{([^}}]*)\}}", block).group(1)
        missing += [f"{group}.{k}" for k in s[group] if not re.search(rf"\b{k}\b", listed)]
    assert missing == []


def test_model_md_states_the_esop_sign_the_code_uses():
    """docs/MODEL.md: P_i, P_j are injections into the AC buses; the model puts +P_i on bus i."""
    text = (DOCS / "MODEL.md").read_text()
    assert "inject into the AC buses i and j" in text
    assert "drawn from the AC" not in text
    from fdn_alu import run

    r = run("ieee15", scenario="flexible", check_ac=False)
    e, b = r.table("esop"), r.buses
    i_bus = r.data.components["esop"].bus_i
    # the bus's net injection minus its load and other devices is the terminal's +P_i
    # (ieee15's ESOP terminal buses carry only loads): p_net = -p_load + p_i
    at_i = b[b.bus == b.bus.unique()[i_bus]].reset_index(drop=True)
    assert (at_i.p_net_mw + at_i.p_load_mw).to_numpy() == pytest.approx(
        e.p_i_mw.to_numpy(), abs=1e-7
    )


ROOT = DOCS.parent


def _nav_files() -> list[str]:
    """The pages mkdocs.yml's nav lists (``- Title: FILE`` lines)."""
    text = (ROOT / "mkdocs.yml").read_text()
    nav = text[text.index("\nnav:") : text.index("\nvalidation:")]
    return re.findall(r":\s+(\S+\.(?:md|ipynb))\s*$", nav, re.M)


def test_site_nav_lists_every_page_and_only_pages_that_exist():
    """Every docs/*.md (but the README draft) and every tutorial is in the site's nav, and the
    nav names no missing file (`mkdocs build --strict` in CI fails on both too)."""
    nav = _nav_files()
    assert [f for f in nav if not (DOCS / f).is_file()] == []
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")}
    pages |= {p.relative_to(DOCS).as_posix() for p in DOCS.glob("tutorials/*.ipynb")}
    assert sorted(pages - set(nav)) == []


def test_tutorials_are_committed_without_outputs():
    """The site executes the notebooks at build time; the repository holds only their source."""
    import json

    notebooks = sorted((DOCS / "tutorials").glob("*.ipynb"))
    assert len(notebooks) >= 2
    for nb in notebooks:
        cells = json.loads(nb.read_text())["cells"]
        dirty = [
            i
            for i, c in enumerate(cells)
            if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
        ]
        assert dirty == [], f"{nb.name}: strip the outputs of cells {dirty}"


def _named_in_docs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(page, path) of every source path and (page, name) of every ``fdn_alu.…`` name the
    pages quote in backticks."""
    paths, names = [], []
    for page in sorted(DOCS.glob("*.md")):
        for code in re.findall(r"`([^`\n]+)`", page.read_text()):
            paths += [
                (page.name, p)
                for p in re.findall(r"(?<![\w/.])((?:[a-z_]+/)+[a-z_0-9]+\.(?:py|toml|csv))", code)
            ]
            names += [(page.name, n) for n in re.findall(r"\bfdn_alu(?:[.:][A-Za-z_]\w*)+", code)]
    return paths, names


def _resolves(name: str) -> bool:
    import importlib

    parts = name.replace(":", ".").split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_docs_name_only_files_and_modules_that_exist():
    """A page that quotes `studies/sweep/spec.py` or `fdn_alu.cases.load_case` names something
    that exists (relative to the repository, src/, the package or its components)."""
    paths, names = _named_in_docs()
    bases = [ROOT, ROOT / "src", ROOT / "src" / "fdn_alu", ROOT / "src" / "fdn_alu" / "components"]
    missing = [(page, p) for page, p in paths if not any((b / p).exists() for b in bases)]
    missing += [(page, n) for page, n in names if not _resolves(n)]
    assert len(paths) > 10 and len(names) > 5
    assert missing == []


def test_a_stale_module_name_is_caught():
    assert not _resolves("fdn_alu.studies.ancillary_dispatch.with_reserves")
    assert _resolves("fdn_alu.studies.ancillary.dispatch.with_reserves")


FRONT_PAGES = [ROOT / "README.md"]


@pytest.mark.parametrize("page", FRONT_PAGES, ids=lambda p: p.name)
def test_front_page_python_runs(page, tmp_path, monkeypatch):
    """Every ```python block of the README runs as printed, in order, in an empty folder."""
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, f"{page.name} python block", "exec"), namespace)


def test_sphinx_roles_read_as_code_on_the_site():
    import importlib.util

    spec = importlib.util.spec_from_file_location("roles", DOCS / "griffe_sphinx_roles.py")
    roles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roles)
    text = "see :func:`~fdn_alu.solve.solve_exact` and :class:`fdn_alu.cases.Case`, :data:`X`"
    assert roles.plain(text) == "see `solve_exact` and `fdn_alu.cases.Case`, `X`"
