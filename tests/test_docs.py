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
    e, b = r.esop, r.buses
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
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")} - {"README_DRAFT.md"}
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
