"""Notebook 01's case-file audit sections: what they publish, what they say, when they skip."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import case_audit as analysis
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.report import figures, publishing
from srim_analysis.sections import case_audit
from srim_analysis.sections.comparison import NO_INDICATORS
from tests.conftest import ROOT
from tests.sections.helpers import NUMBER, numbers_not_published

NOTEBOOK = "01_cross_site_comparison"
TABLES = ("case-audit-cascade", "case-audit-run-charts", "case-audit-agreement")


def _report(data_dir, out, site: str, tables=("sites", "case_audit")) -> publishing.Report:
    return publishing.start(
        notebook=NOTEBOOK,
        site=site,
        data_dir=data_dir,
        reports_dir=out / "reports",
        figures_dir=out / "figures",
        tables=list(tables),
    )


@pytest.fixture(scope="module")
def runs(shipped_dir, tmp_path_factory):
    """Return, per site, the report and its three case-audit sections (run once)."""
    out = {}
    for site in ("all", "S08"):  # S08: the smallest site
        folder = tmp_path_factory.mktemp(f"case-audit-{site}")
        report = _report(shipped_dir, folder, site)
        sections = [
            case_audit.show_cascade(report),
            case_audit.show_run_charts(report),
            case_audit.show_agreement(report),
        ]
        out[site] = (report, sections, folder)
    return out


# ---------------------------------------------------------------------------
# Sentences come from published cells
# ---------------------------------------------------------------------------

#: Numbers of the method, not of the data: the shift rule, the kappa threshold, the 95%
#: intervals and the years of the sources cited.
METHOD_NUMBERS = {float(analysis.SHIFT_POINTS), analysis.POOR_KAPPA, 95.0, 2011.0, 2012.0}


@pytest.mark.parametrize("site", ["all", "S08"])
def test_every_number_in_a_sentence_is_a_published_cell(runs, site):
    _, sections, _ = runs[site]
    said = 0
    for section in sections:
        assert section.tables, section.text()
        assert not numbers_not_published(section, METHOD_NUMBERS), section.text()
        said += len(NUMBER.findall(section.text()))
    assert said > 10  # the sections do state numbers


def test_the_sentences_state_the_planted_findings(runs):
    cascade, runs_section, agreement = runs["all"][1]
    # the synthetic study plants fewer fathers involved in domestic-abuse cases
    assert "He took part was least often recorded in cases of type “Domestic abuse”" in (
        cascade.text()
    )
    assert "across all sites" in cascade.text()
    # ... and a second auditor who disagrees most on checking other agencies
    poor = agreement.text().split("Agreement is poor")[1]
    assert "Other agencies checked about him" in poor and "His details recorded" not in poor
    assert "A shift" in runs_section.text() or "No indicator shows a shift" in runs_section.text()


def test_a_hidden_share_is_never_stated(runs):
    report, (cascade, *_), _ = runs["S08"]
    mine = cascade.tables["case-audit-cascade"]
    mine = mine[(mine["site"] == report.site_label) & (mine["case_type"] == TOTAL)]
    for r in mine.itertuples():
        if disclosure.is_suppressed(r.pct_yes):
            assert f"{r.label}: hidden in the table (c)" in cascade.text() or (
                r.label not in cascade.text()
            )
        elif r.indicator in {"father_identified", "father_involved"}:
            assert f"{r.label}: {float(r.pct_yes):.1f}%" in cascade.text()


# ---------------------------------------------------------------------------
# Tables and figures
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("site", ["all", "S08"])
def test_tables_are_published_with_small_counts_hidden(runs, site):
    report, _, _ = runs[site]
    for name in TABLES:
        table = publishing.read_published(report.tables_dir / f"{NOTEBOOK}__{name}.csv")
        counts = [c for c in table.columns if c == "n" or c.startswith("n_")]
        assert counts, name
        for col in counts:
            shown = [int(v) for v in table[col] if not disclosure.is_suppressed(v)]
            assert all(v == 0 or v >= report.min_cell for v in shown), (name, col)
    text = (report.tables_dir / f"{NOTEBOOK}__case-audit-cascade.csv").read_text()
    assert "# population: cases" in text


def test_a_site_run_shows_its_own_rows_and_publishes_the_whole_study(runs):
    report, (cascade, run_charts, _), _ = runs["S08"]
    published = cascade.tables["case-audit-cascade"]
    assert set(published["site"]) > {report.site_label, TOTAL}  # the whole study's table
    shown = next(i for i in cascade.items if not isinstance(i, str))
    html = shown.data
    assert report.site_label in html and "Ashcombe" not in html
    assert "Ashcombe" not in next(i for i in run_charts.items if not isinstance(i, str)).data


def test_every_figure_is_drawn_from_a_published_table(runs):
    for site in ("all", "S08"):
        _, _, folder = runs[site]
        records = {r.figure_id: r for r in figures.read_manifest(folder / "figures")}
        assert set(records) == set(TABLES)
        for record in records.values():
            source = publishing.read_published(folder / "figures" / record.source_data)
            assert {"n", "kappa"} & set(source.columns)
        run_source = publishing.read_published(
            folder / "figures" / records["case-audit-run-charts"].source_data
        )
        assert {"median", "shift"} <= set(run_source.columns)


# ---------------------------------------------------------------------------
# What a section says when it cannot run
# ---------------------------------------------------------------------------


def test_without_the_optional_columns_each_part_says_so_and_the_rest_runs(study_copy, tmp_path):
    path = study_copy / "case_audit.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    banner = [ln for ln in lines if ln.startswith("#")]
    audit = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    optional = [c for c in audit.columns if c == "case_type" or c.startswith("second_")]
    assert "case_type" in optional and len(optional) > 5
    path.write_text(
        "".join(banner) + audit.drop(columns=optional).to_csv(index=False, lineterminator="\n"),
        encoding="utf-8",
    )
    report = _report(study_copy, tmp_path, "all")
    cascade = case_audit.show_cascade(report)
    assert "has no `case_type` column, so the cascade is by site only" in cascade.text()
    assert set(cascade.tables["case-audit-cascade"]["case_type"]) == {TOTAL}
    agreement = case_audit.show_agreement(report)
    assert "no second auditor's answers" in agreement.text() and not agreement.tables


def test_without_indicators_or_case_audit_the_sections_say_why(shipped_dir, tmp_path):
    report = _report(shipped_dir, tmp_path, "all")
    for show in (case_audit.show_cascade, case_audit.show_run_charts, case_audit.show_agreement):
        section = show(report, [])
        assert section.text() == NO_INDICATORS and not section.tables
    bare = _report(shipped_dir, tmp_path, "all", tables=("sites",))
    for show in (case_audit.show_cascade, case_audit.show_run_charts, case_audit.show_agreement):
        assert "no `case_audit` table" in show(bare).text()


def test_the_notebook_calls_each_section_once():
    nb = nbformat.read(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for call in (
        "case_audit.show_cascade(report, indicators)",
        "case_audit.show_run_charts(report, indicators, run_chart_baseline)",
        "case_audit.show_agreement(report, indicators)",
    ):
        assert code.count(call) == 1, call


def test_the_full_report_publishes_the_case_audit_tables(report_tables):
    for site in ("all", "S08"):
        agreement = report_tables(site, NOTEBOOK, "case-audit-agreement")
        assert list(agreement["indicator"]) == [
            "father_identified",
            "father_recorded",
            "father_checked",
            "father_info_shared",
            "father_invited",
            "father_involved",
        ]
        assert agreement.set_index("indicator").loc["father_checked", "poor"] == "True"
