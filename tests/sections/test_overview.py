"""Notebook 00 (study overview): srim_analysis.sections.overview and the notebook's shape."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import overview as overview_analyses
from srim_analysis.report.publishing import SavedFigure, read_published, start
from srim_analysis.sections import overview
from tests.conftest import REPORT_SITES
from tests.sections.test_comparison import assert_sentences_from_tables

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
    "show_recruitment": {
        "recruitment": "Recruitment against targets (people counted once): {where}"
    },
    "show_inventory": {"inventory": "Tables held and their rows: {where}"},
    "show_participants": {
        "participants_by_agency": "Participants by agency and method: {where}",
        "participants_by_role": "Participants by role and method: {where}",
    },
    "show_withdrawals": {},  # nobody withdrew from the shipped study: a sentence says so
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


def test_data_volume_section_draws_its_figure_from_the_published_table(tmp_path, shipped_dir):
    report = make_report(tmp_path, shipped_dir)
    section = overview.show_data_volume(report)
    figures = [i for i in section.items if isinstance(i, SavedFigure)]
    assert [f.record.figure_id for f in figures] == ["data-volume"]
    assert figures[0].record.caption == (
        "Audited cases, observed meetings and documents per site, from the table above "
        "(a count it hides is not drawn)."
    )
    assert figures[0].png_path.exists() and figures[0].svg_path.exists()
    source = read_published(report.figures_dir / figures[0].record.source_data)
    table = section.tables["data_volume"]
    assert source.equals(read_published(report.tables_dir / f"{NOTEBOOK.stem}__data_volume.csv"))
    hidden = table.map(disclosure.is_suppressed).to_numpy().sum()
    assert hidden >= 2  # Harrowmere's observed meetings and a complement: not drawn
    assert (source == disclosure.SUPPRESSION_MARK).to_numpy().sum() == hidden


@pytest.mark.parametrize("site", [s for s in REPORT_SITES if s != "S02"] + ["S05"])
def test_the_inventory_hides_what_the_data_volume_table_hides(tmp_path, shipped_dir, site):
    """The inventory repeats the site's row of the data volume: shown and hidden alike."""
    report = make_report(tmp_path, shipped_dir, site)
    inventory = overview.show_inventory(report).tables["inventory"].set_index("table")
    volume = overview.show_data_volume(report).tables["data_volume"].set_index("site_id")
    row = volume.loc["Total" if site == "all" else site]
    for table, column in overview_analyses.VOLUME_COLUMNS.items():
        assert str(inventory.loc[table, "n"]) == str(row[column]), (table, site)
    if site == "S05":  # its observed meetings hide Harrowmere's 2 in the data volume
        assert disclosure.is_suppressed(inventory.loc["observations", "n"])
    # the data-volume table is the whole study's: the same on every site's page
    everyone = make_report(tmp_path / "all", shipped_dir, "all")
    overview.show_inventory(everyone)
    same = overview.show_data_volume(everyone).tables["data_volume"]
    assert same.astype(str).values.tolist() == volume.reset_index().astype(str).values.tolist()


def test_participant_tables_declare_their_population_and_totals(tmp_path, shipped_dir):
    report = make_report(tmp_path, shipped_dir, "S08")
    section = overview.show_participants(report)
    assert overview_analyses.PARTICIPANT_SUMS == {"n_total": ("n_interview", "n_focus_group")}
    by_agency = section.tables["participants_by_agency"]
    by_role = section.tables["participants_by_role"]
    totals = [t[t.iloc[:, 0] == "Total"].iloc[0] for t in (by_agency, by_role)]
    for column in ("n_interview", "n_focus_group", "n_total"):
        assert str(totals[0][column]) == str(totals[1][column])  # one population, one total
    for table in (by_agency, by_role):
        for _, row in table.iterrows():
            parts = [row["n_interview"], row["n_focus_group"]]
            hidden = [disclosure.is_suppressed(v) for v in parts]
            # a shown total with one part shown would give away the other
            assert sum(hidden) != 1 or disclosure.is_suppressed(row["n_total"]), row.to_dict()


@pytest.mark.parametrize("site", ["all", REPORT_SITES[-1]])
def test_every_number_in_a_sentence_is_a_published_cell(tmp_path, study_copy, site):
    (study_copy / "coded_segments.csv").unlink()  # a section that says what is missing
    report = make_report(tmp_path, study_copy, site)
    sections = [getattr(overview, name)(report) for name in PUBLISHED]
    for section in sections:
        assert_sentences_from_tables(section, report.min_cell)
    assert "no `coded_segments` table" in sections[list(PUBLISHED).index("show_segments")].text()
    assert "Nobody has withdrawn" in sections[list(PUBLISHED).index("show_withdrawals")].text()


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


def _withdraw(folder: Path, *people: str) -> None:
    lines = ["person_id,withdrawn_on,note", *(f"{p},2025-03-01," for p in people)]
    (folder / "withdrawals.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_withdrawals_are_counted_never_named(tmp_path, study_copy):
    _withdraw(study_copy, "P0002", "R00005")  # an interviewee of S01 and a respondent
    report = make_report(tmp_path, study_copy)
    section = overview.show_withdrawals(report)
    published = section.tables["withdrawals"].set_index("removed")["n"]
    people = overview_analyses.WITHDRAWN_LABELS["people"]
    assert disclosure.is_suppressed(published[people])  # two people: fewer than min_cell
    assert published[overview_analyses.WITHDRAWN_LABELS["survey_responses"]] in ("c", 1)
    assert section.text().startswith(f"Fewer than {report.min_cell} people withdrew")
    assert_sentences_from_tables(section, report.min_cell)
    assert "P0002" not in section.text() and "R00005" not in section.text()
    csv = (report.tables_dir / f"{NOTEBOOK.stem}__withdrawals.csv").read_text()
    assert "P0002" not in csv and "R00005" not in csv


def test_recruitment_says_what_is_still_missing(tmp_path, shipped_dir):
    report = make_report(tmp_path, shipped_dir)
    section = overview.show_recruitment(report)
    text = section.text()
    # all sites, interviews: 96 of 100; Brackwater early help interviews: none of 2
    assert "All sites, any agency, interview: 4 more of 100" in text
    assert "Early help / family hub, interview: 2 more of 2" in text
    assert "focus group: 0" not in text  # met targets are not listed
    assert f"fewer than {report.min_cell} people" in text  # GP / primary care: 4 of 8
    assert assert_sentences_from_tables(section, report.min_cell) > 4
    hidden = section.tables["recruitment"]
    small = hidden[hidden["agency"] == "GP / primary care"].iloc[0]
    assert disclosure.is_suppressed(small["n_achieved"])
    assert disclosure.is_suppressed(small["still_missing"])  # 8 - it would give it away


def test_recruitment_without_targets_says_so(tmp_path, study_copy):
    path = study_copy / "study.toml"
    path.write_text(path.read_text().split("[recruitment]")[0], encoding="utf-8")
    report = make_report(tmp_path, study_copy)
    section = overview.show_recruitment(report)
    assert "No recruitment targets are set" in section.text() and "study.toml" in section.text()
    assert not section.tables
