"""The README's headline tables quote the pinned reference figures (tests/reference).

How a README table is found: it sits between two HTML comments, invisible on the rendered page,

    <!-- table:paper-ieee15 -->
    | quantity | unit | scenario_1 | scenario_2 | scenario_3 | change_3_vs_1_pct |
    |---|---|---|---|---|---|
    | Total cost | CNY | 24,971.67 | ... |
    <!-- /table -->

``table:paper-CASE`` is the paper's comparison table (B2 / B7) of case CASE, as
:func:`fdn_alu.paper.scenarios.comparison_table` writes it (``fdn-alu reproduce`` writes it to
``CASE/comparison.md``): one row per quantity, labelled as in
:data:`fdn_alu.paper.scenarios.COMPARISON_ROWS`, a column ``scenario_N`` per scenario, and
optionally the ``change_3_vs_1_pct`` / ``change_3_vs_2_pct`` columns. Rows may be left out or
reordered (a front page may quote only some), but every row quoted must state the pinned figure
of ``tests/reference/CASE_sN/expected.json`` rounded to the cent / 0.01 t / 0.01 MWh, and
every change column the change between the pinned figures to 0.01 percentage points. Each
case of ``tests/reference`` must have its table in the README. Thousands separators and a
Unicode minus are accepted; an empty cell is a change with no base (0 in the base scenario).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from fdn_alu.paper.scenarios import COMPARISON_ROWS

ROOT = Path(__file__).parents[1]
REF = ROOT / "tests" / "reference"
CASES = sorted({p.name.rsplit("_s", 1)[0] for p in REF.glob("*_s[0-9]") if p.is_dir()})
ROUNDING = 0.0051  # half a unit of the last printed digit (two decimals), and float slack
MARKER = re.compile(r"<!--\s*table:([A-Za-z0-9_.-]+)\s*-->(.*?)<!--\s*/table\s*-->", re.S)


def marked_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Every marked table of a Markdown text: name -> rows as {column: cell}."""
    out = {}
    for name, body in MARKER.findall(text):
        lines = [ln.strip() for ln in body.strip().splitlines() if ln.strip().startswith("|")]
        if len(lines) < 2:
            raise ValueError(f"table:{name} holds no Markdown table")
        head = [c.strip() for c in lines[0].strip("|").split("|")]
        rows = []
        for ln in lines[2:]:
            cells = [c.strip() for c in ln.strip("|").split("|")]
            rows.append(dict(zip(head, cells, strict=True)))
        if name in out:
            raise ValueError(f"table:{name} is marked twice")
        out[name] = rows
    return out


def number(cell: str) -> float:
    """A printed number: ``19,168.03``, ``−12.77`` (Unicode minus), ``**-9.32**``; empty -> nan."""
    text = cell.replace(",", "").replace("\u2212", "-").strip("* ")
    return math.nan if text == "" else float(text)


def pinned(case: str, scenario: int) -> dict:
    return json.loads((REF / f"{case}_s{scenario}" / "expected.json").read_text())


def table_problems(rows: list[dict[str, str]], case: str) -> list[str]:
    """Every cell of a paper comparison table that disagrees with the pinned figures."""
    by_label = {label: (group, key) for group, key, label, _ in COMPARISON_ROWS}
    problems = []
    for row in rows:
        label = row.get("quantity", "")
        if label not in by_label:
            problems.append(f"unknown row {label!r} (labels: COMPARISON_ROWS)")
            continue
        group, key = by_label[label]
        want = {}
        for col, cell in row.items():
            m = re.fullmatch(r"scenario_(\d)", col)
            if m:
                s = int(m.group(1))
                want[s] = pinned(case, s)[group][key]
                got = number(cell)
                if not abs(got - want[s]) <= ROUNDING:
                    problems.append(f"{label}, {col}: README {cell}, pinned {want[s]:.4f}")
        for col, cell in row.items():
            m = re.fullmatch(r"change_(\d)_vs_(\d)_pct", col)
            if not m:
                continue
            a, b = int(m.group(1)), int(m.group(2))
            va, vb = pinned(case, a)[group][key], pinned(case, b)[group][key]
            got = number(cell)
            if abs(vb) <= 1e-12:
                if not math.isnan(got):
                    problems.append(f"{label}, {col}: README {cell}, no change from 0")
                continue
            change = 100.0 * (va - vb) / vb
            if not abs(got - change) <= ROUNDING:
                problems.append(f"{label}, {col}: README {cell}, pinned {change:.4f}")
    return problems


def test_every_reference_case_has_its_table_in_the_readme():
    tables = marked_tables((ROOT / "README.md").read_text())
    assert CASES, "no pinned references found"
    assert [c for c in CASES if f"paper-{c}" not in tables] == []


# the README, and its draft while one exists
READMES = [ROOT / "README.md"]


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
@pytest.mark.parametrize("case", CASES)
def test_readme_table_quotes_the_pinned_figures(case, readme):
    rows = marked_tables(readme.read_text())[f"paper-{case}"]
    assert len(rows) >= 3, "a headline table quotes at least three quantities"
    assert table_problems(rows, case) == []


def test_a_drifted_number_is_caught():
    """The check can fail: one cent off in one cell, a wrong change, a misspelt row."""
    case = CASES[0]
    rows = marked_tables((ROOT / "README.md").read_text())[f"paper-{case}"]
    total = next(r for r in rows if r["quantity"] == "Total cost")
    ok = table_problems([total], case)
    assert ok == []
    cent_off = {**total, "scenario_2": f"{number(total['scenario_2']) + 0.01:,.2f}"}
    assert len(table_problems([cent_off], case)) == 1
    if "change_3_vs_1_pct" in total:
        change_off = {**total, "change_3_vs_1_pct": f"{number(total['change_3_vs_1_pct']) + 0.02}"}
        assert len(table_problems([change_off], case)) == 1
    assert len(table_problems([{**total, "quantity": "Totl cost"}], case)) == 1


def test_markers_are_read_as_documented():
    text = (
        "intro\n<!-- table:paper-x -->\n\n| quantity | unit | scenario_1 |\n|---|---|---|\n"
        "| Total cost | CNY | 1,234.50 |\n| Loss cost | CNY | \u22121.00 |\n\n<!-- /table -->\nend"
    )
    rows = marked_tables(text)["paper-x"]
    assert [number(r["scenario_1"]) for r in rows] == [1234.5, -1.0]
    with pytest.raises(ValueError, match="twice"):
        marked_tables(text + text)
