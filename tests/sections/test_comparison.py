"""Notebook 01's sections: what they publish, what they say when they do not apply, the notebook."""

from __future__ import annotations

import re

import ipywidgets as widgets
import nbformat
import pytest

from srim_analysis.analyses import comparison as analysis
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.report import publishing
from srim_analysis.sections import comparison
from tests.report.test_widgets import assert_no_small_count, html_tables

NOTEBOOK = "01_cross_site_comparison"


def _report(
    tmp_path, shipped_dir, site, optional=("observations", "documents", "participants"), **kwargs
):
    return publishing.start(
        notebook=NOTEBOOK,
        site=site,
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        tables=["sites", "case_audit", "codebook", "coded_segments"],
        optional=list(optional),
        **kwargs,
    )


def test_sections_say_when_they_do_not_apply(tmp_path, shipped_dir):
    everyone = _report(tmp_path, shipped_dir, "all")
    assert "No focus site" in comparison.show_run_summary(everyone, "S01").text()
    assert "No focus site" in str(comparison.show_before_after(everyone))
    comparison_site = _report(tmp_path, shipped_dir, "S05")
    note = str(comparison.show_before_after(comparison_site))
    assert "comparison site" in note and "no before/after change" in note
    assert "did not adopt" in comparison.show_run_summary(comparison_site, "S01").text()
    assert "not as the origin" in comparison.show_run_summary(comparison_site, "S02").text()
    assert "no `survey_responses` table" in comparison.show_survey_scores(everyone).text()
    assert "No focus site" in comparison.show_focus_profile(everyone).text()
    assert "No focus site" in comparison.show_focus_column(everyone).text()


def test_survey_agency_and_interval_sections_publish(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S03", optional=("survey_items", "survey_responses"))
    survey = comparison.show_survey_scores(report)
    assert list(survey.tables) == ["survey-scores", "survey-scores-by-agency"]
    assert "agency" in survey.tables["survey-scores-by-agency"].columns
    agency = comparison.show_agency_indicators(report, ["father_info_shared"])
    assert set(agency.tables["agency-indicators"]["indicator"]) == {"father_info_shared"}
    intervals = comparison.show_intervals(report, ["father_info_shared"])
    (saved,) = [i for i in intervals.items if isinstance(i, publishing.SavedFigure)]
    assert saved.record.figure_id == "intervals-audit-indicators"
    assert saved.record.caption.endswith("; Carrowby highlighted.")


def test_focus_change_for_an_adopter_uses_the_published_rows(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S02")
    section = comparison.show_before_after(report)
    assert "Information about him shared" in section.text()
    assert set(section.tables["focus-change"]["site"]) == {"Brackwater", TOTAL}
    published = section.tables["before-after"]
    view = section.tables["focus-change"]
    assert view.equals(published.loc[view.index])  # the published cells, not new ones
    assert (report.tables_dir / f"{NOTEBOOK}__before-after.csv").exists()


def test_focus_profile_names_the_indicators_outside_the_funnel(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S01")
    section = comparison.show_focus_profile(report)
    assert "Information about him shared (above the 99.8% limit)" in section.text()
    assert set(section.tables["focus-profile"]["site"]) == {"Ashcombe", TOTAL}
    # shown rows are those of the published site table; nothing new is written
    published = comparison.show_site_indicators(report).tables["site-indicators"]
    view = section.tables["focus-profile"]
    assert view.equals(published.loc[view.index])
    assert report.published == [report.tables_dir / f"{NOTEBOOK}__site-indicators.csv"]


def test_funnel_plots_publish_positions_and_one_figure_per_indicator(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S02")
    indicators = ["father_info_shared", "father_checked"]
    section = comparison.show_funnel_plots(report, indicators)
    assert set(section.tables["funnel-positions"]["indicator"]) == set(indicators)
    assert "**Brackwater** (highlighted)" in section.text()
    figures = [i for i in section.items if isinstance(i, publishing.SavedFigure)]
    assert [f.record.figure_id for f in figures] == [
        "funnel-father-info-shared",
        "funnel-father-checked",
    ]


def test_blueprint_sections_publish_their_tables(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S02")
    section = comparison.show_blueprint(report, present_min_types=3)
    assert "at least 3 source types" in section.text()
    assert set(section.tables["blueprint"]["status"]) <= {"present", "partial", "absent"}
    assert "adoption-order" in comparison.show_adoption_order(report).tables
    assert "lessons" in comparison.show_lessons(report).tables
    quotes = comparison.show_quotes(report).tables["quotes"]
    assert not re.search(r"\bP\d{4}\b", " ".join(quotes["attribution"]))
    column = comparison.show_focus_column(report, present_min_types=3)
    assert "**Brackwater**" in column.text()
    mine = section.tables["blueprint"]
    mine = mine[mine["site"] == "Brackwater"]
    assert list(column.tables["focus-column"]["status"]) == list(mine["status"])


def test_focus_column_for_a_comparison_site_says_why(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S06")
    section = comparison.show_focus_column(report)
    assert "comparison site" in section.text() and "no column" in section.text()


def test_site_explorer_updates_when_the_dropdown_changes(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S01")
    box = comparison.show_explorer(report)
    dropdown, summary, image = box.children
    assert isinstance(dropdown, widgets.Dropdown) and dropdown.value == "S01"
    assert "Ashcombe" in summary.value
    first_image = image.value
    dropdown.value = "S03"
    assert "Carrowby" in summary.value and "Ashcombe (" not in summary.value
    assert image.value != first_image and image.value[:4] == b"\x89PNG"


def test_site_explorer_lists_all_sites_and_every_site(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "all")
    box = comparison.show_explorer(report)
    options = box.site.options
    assert options[0] == ("All sites", "all") and box.site.value == "all"
    assert [sid for _, sid in options[1:]] == report.study.site_ids()
    (everyone,) = html_tables(box.summary.value)
    assert set(everyone["site"]) == {TOTAL}
    assert "All sites" in box.summary.value and "text-align: left" in box.summary.value
    box.site.value = "S08"
    (mine,) = html_tables(box.summary.value)
    assert set(mine["site"]) == {"Harrowmere", TOTAL}
    assert report.made_safe(analysis.site_indicators(report.study)).attrs["note"] in (
        box.summary.value
    )
    assert_no_small_count(mine, ["n_yes", "n"])
    assert "-0.00" not in box.summary.value


def test_site_explorer_shows_no_small_count_at_any_site(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S02")
    box = comparison.show_explorer(report)
    for site in report.study.site_ids():
        box.site.value = site
        (shown,) = html_tables(box.summary.value)
        assert_no_small_count(shown, ["n_yes", "n"])
        assert "-0.00" not in box.summary.value


def test_an_unknown_origin_site_stops_the_run(tmp_path, shipped_dir):
    report = _report(tmp_path, shipped_dir, "S02")
    with pytest.raises(ValueError, match="origin_site 'S001' is not a site in this study"):
        comparison.show_run_summary(report, origin_site="S001")


def test_sections_read_min_cell_from_the_report(tmp_path, shipped_dir):
    strict = _report(tmp_path, shipped_dir, "all", min_cell=10_000)
    published = comparison.show_site_indicators(strict).tables["site-indicators"]
    assert all(v == "c" or v == 0 for v in published["n_yes"])  # zeros are not hidden
    assert "c" in set(published["n"])
    expected = analysis.site_indicators(strict.study)
    assert len(published) == len(expected)


# ---------------------------------------------------------------------------
# The notebook, end to end
# ---------------------------------------------------------------------------


def _published(report_tables, site, name):
    return report_tables(site, NOTEBOOK, name)


@pytest.mark.notebooks
def test_notebook_runs_for_all_sites(synthetic_report, report_tables, study):
    change = _published(report_tables, "all", "before-after")
    shared = change[change["indicator"] == "father_info_shared"]
    pooled = shared[(shared["site"] == TOTAL) & (shared["role"] == "adopter")].iloc[0]
    assert float(pooled["diff_low"]) > 0 and float(pooled["diff"]) > 0.15
    sites = _published(report_tables, "all", "site-indicators")
    expected = analysis.site_indicators(study)
    row = sites[(sites["site"] == TOTAL) & (sites["indicator"] == "father_info_shared")]
    want = expected[(expected["site"] == TOTAL) & (expected["indicator"] == "father_info_shared")]
    assert int(row.iloc[0]["n"]) == int(want.iloc[0]["n"])
    assert float(row.iloc[0]["prop_yes"]) == pytest.approx(want.iloc[0]["prop_yes"], abs=1e-3)
    assert "c" in set(sites["n_yes"])  # small cells are suppressed in what is written
    blueprint = _published(report_tables, "all", "blueprint")
    assert set(blueprint["status"]) <= {"present", "partial", "absent"}
    assert set(blueprint["role"]) == {"origin", "adopter"}
    figures = synthetic_report / "figures" / "all"
    for fid in ("funnel-father-info-shared", "before-after", "blueprint-matrix"):
        assert (figures / f"{NOTEBOOK}__{fid}.png").exists()


@pytest.mark.notebooks
def test_notebook_runs_for_an_adopter_site(synthetic_report, report_tables):
    out = synthetic_report / "reports" / "S02" / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(
        str(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "Focus site: Brackwater" in text
    assert "Change at Brackwater since it adopted" in text
    change = _published(report_tables, "S02", "before-after")
    mine = change[(change["site"] == "Brackwater") & (change["indicator"] == "father_info_shared")]
    assert float(mine.iloc[0]["diff"]) > 0
    quotes = _published(report_tables, "S02", "quotes")
    joined = " ".join(quotes["quote"]) + " ".join(quotes["attribution"])
    assert not re.search(r"\bP\d{4}\b", joined)  # no participant ids
    assert not re.search(r"0161 496 0\d{3}", joined)  # no phone numbers
    assert (
        synthetic_report / "figures" / "S02" / f"{NOTEBOOK}__funnel-father-checked.png"
    ).exists()
