"""Notebook 00 (study overview): srim_analysis.sections.overview and the notebook's shape."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import overview as overview_analyses
from srim_analysis.report.publishing import SavedFigure, start
from srim_analysis.sections import overview

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "00_study_overview.ipynb"
OPTIONAL = [
    "site_features",
    "participants",
    "survey_items",
    "survey_responses",
    "codebook",
    "coded_segments",
    "case_audit",
    "observations",
    "documents",
]
#: What each section publishes: table names and captions ("{where}" is the site label).
PUBLISHED = {
    "show_sites": {"sites": "Study sites"},
    "show_inventory": {"inventory": "Tables held and their rows: {where}"},
    "show_participants": {
        "participants_by_agency": "Participants by agency and method: {where}",
        "participants_by_role": "Participants by role and method: {where}",
    },
    "show_survey": {
        "survey_completeness": "Survey item completeness: {where}",
        "survey_by_site": "Survey respondents by site and agency",
    },
    "show_segments": {"segments_by_source": "Coded segments by source type: {where}"},
    "show_data_volume": {"data_volume": "Audited cases, observed meetings and documents per site"},
}


def make_report(tmp_path: Path, data_dir: Path, site: str = "all"):
    """Return a notebook-00 report for ``site`` publishing under ``tmp_path``."""
    return start(
        notebook=NOTEBOOK.stem,
        site=site,
        data_dir=data_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=disclosure.DEFAULT_MIN_CELL,
        tables=["sites"],
        optional=OPTIONAL,
    )


@pytest.mark.parametrize("site", ["all", "S08"])
def test_each_section_publishes_its_tables_with_their_captions(tmp_path, shipped_dir, site):
    report = make_report(tmp_path, shipped_dir, site)
    for name, tables in PUBLISHED.items():
        section = getattr(overview, name)(report)
        assert list(section.tables) == list(tables), name
        for table, caption in tables.items():
            published = section.tables[table]
            assert published.attrs["caption"] == caption.format(where=report.site_label)
            assert (report.tables_dir / f"{NOTEBOOK.stem}__{table}.csv").exists()
    assert len(report.published) == sum(len(t) for t in PUBLISHED.values())


def test_sections_publish_the_suppressed_analysis_tables(tmp_path, shipped_dir):
    report = make_report(tmp_path, shipped_dir, "S08")
    section = overview.show_participants(report)
    raw = overview_analyses.participants_by(report.study, "S08", "role")
    expected = report.table(raw, "check", "check")
    assert section.tables["participants_by_role"].equals(expected)
    assert disclosure.SUPPRESSION_MARK in set(expected["n_interview"].astype(str))


def test_data_volume_section_saves_its_figure(tmp_path, shipped_dir):
    report = make_report(tmp_path, shipped_dir)
    section = overview.show_data_volume(report)
    figures = [i for i in section.items if isinstance(i, SavedFigure)]
    assert [f.record.figure_id for f in figures] == ["data-volume"]
    assert figures[0].record.caption == (
        "Audited cases, observed meetings and documents per site (counts below min_cell hidden)."
    )
    assert figures[0].png_path.exists() and figures[0].svg_path.exists()


@pytest.mark.parametrize(
    ("table", "section"),
    [
        ("participants", "show_participants"),
        ("survey_responses", "show_survey"),
        ("coded_segments", "show_segments"),
    ],
)
def test_a_section_without_its_table_says_so(tmp_path, study_copy, table, section):
    (study_copy / f"{table}.csv").unlink()
    report = make_report(tmp_path, study_copy)
    shown = getattr(overview, section)(report)
    assert shown.text() == (
        f"*This study folder has no `{table}` table, so this section is skipped.*"
    )
    assert not shown.tables and not report.published


def test_the_notebook_makes_one_section_call_per_code_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    params = {}
    exec(code[0].source, params)  # the parameters cell: plain assignments
    assert params["min_cell"] == disclosure.DEFAULT_MIN_CELL and params["site"] == "all"
    calls = []
    for cell in code[2:]:
        (stmt,) = ast.parse(cell.source).body
        call = stmt.value
        assert isinstance(call, ast.Call) and ast.unparse(call.func).startswith("overview.show_")
        assert [ast.unparse(a) for a in call.args] == ["report"] and not call.keywords
        calls.append(call.func.attr)
    assert calls == list(PUBLISHED)
    assert "min_cell" not in "".join(c.source for c in code[2:])
