"""Notebook 04's sections: what they publish, what they say, and the notebook end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import framework, qualitative
from srim_analysis.report import figures, publishing
from srim_analysis.report import widgets as report_widgets
from srim_analysis.sections import guidance
from srim_analysis.study import synthetic
from srim_analysis.study.loading import load_study
from tests.analyses.test_qualitative import generated_study

HEALTH = set(synthetic.HEALTH_CRITICS)
TABLES = ["sites", "participants", "codebook", "coded_segments"]


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory):
    return generated_study(tmp_path_factory)


@pytest.fixture(scope="module")
def coded(study_dir):
    loaded = load_study(study_dir)
    return qualitative.coded_frame(
        loaded.coded_segments, loaded.participants, loaded.codebook, loaded.sites
    )


def test_quote_browser_updates_when_the_theme_changes(coded):
    quotes = qualitative.choose_quotes(coded, branches=["gaps", "father_practice"], per_code=1)
    widget = guidance.quote_browser(quotes)
    dropdown, view = widget.children
    assert dropdown.value == "father_practice"  # codebook order
    first = view.value
    assert "Recording fathers" in first and "Nothing specific on fathers" not in first
    dropdown.value = "gaps"
    assert view.value != first and "Nothing specific on fathers" in view.value


def test_quote_browser_theme_dropdown_is_wide_enough_for_its_labels(coded):
    quotes = qualitative.choose_quotes(coded, branches=["gaps", "father_practice"], per_code=1)
    dropdown, _ = guidance.quote_browser(quotes).children
    assert dropdown.layout.width == report_widgets.WIDE
    assert dropdown.style.description_width == "initial"


def test_quote_browser_site_control_rechooses_the_quotes(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", 5)
    widget = guidance.quote_browser(report, themes=["golden_rules", "gaps"], per_code=1)
    assert widget.site.value == "all"
    assert widget.site.options == tuple(report_widgets.site_options(report.study))
    assert widget.theme.value == "golden_rules" and "<blockquote" in widget.view.value
    everyone = widget.view.value
    site = report.study.site_ids()[0]
    widget.site.value = site
    assert widget.view.value != everyone and "<blockquote" in widget.view.value
    assert widget.theme.value == "golden_rules"  # the theme is kept across sites
    widget.theme.value = "gaps"
    assert "<blockquote" in widget.view.value
    assert not list((tmp_path / "reports").rglob("*.csv"))  # a browser publishes nothing


def test_quote_browser_shows_no_quotes_for_a_site_with_too_few_people(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", 5)
    strict = report_widgets.report_for(report, "all")
    strict.min_cell = 10_000
    widget = guidance.quote_browser(strict, themes=["golden_rules"], per_code=1)
    assert "<blockquote" not in widget.view.value
    assert "fewer than 10000 participants" in widget.view.value


# ---------------------------------------------------------------------------
# Sections and notebook 04
# ---------------------------------------------------------------------------


def _report(study_dir: Path, tmp_path: Path, site: str, min_cell: int) -> publishing.Report:
    return publishing.start(
        notebook="04_guidance_views",
        site=site,
        data_dir=study_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=min_cell,
        tables=TABLES,
    )


def test_a_site_with_too_few_participants_is_said_plainly(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "S08", min_cell=10)  # S08 has 8 participants
    for shown in (
        guidance.show_awareness(report),
        guidance.show_reception(report, "golden_rules"),
        guidance.show_branch(report, "gaps"),
    ):
        assert "fewer than 10 participants" in shown.text()
    assert not list((tmp_path / "figures").rglob("*.png"))


def test_show_sections_publish_tables_and_figures(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    guidance.show_most_criticised(report)
    guidance.show_branch(report, "gaps")
    codes = publishing.read_published(
        report.tables_dir / "04_guidance_views__most_criticised_codes.csv"
    )
    assert codes.iloc[0]["code_id"] == "GR3"
    gaps = publishing.read_published(report.tables_dir / "04_guidance_views__gaps_summary.csv")
    assert gaps.iloc[0]["code_id"] == "GAP-FATHERS"
    assert (tmp_path / "figures" / "all" / "04_guidance_views__gaps-participants.png").exists()


def test_sections_record_the_tables_they_publish(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    shown = guidance.show_reception(report, "golden_rules")
    assert set(shown.tables) == {
        "stance_golden_rules",
        "stance_golden_rules_by_agency",
        "quotes_golden_rules",
    }
    assert shown.text().startswith("**Illustrative quotes**")
    ranked = guidance.show_most_criticised(report)
    assert "Rule 3" in ranked.items[0]  # the sentence comes before the tables
    assert set(ranked.tables) == {"most_criticised_codes", "most_criticised_by_agency"}
    pairs = guidance.show_cooccurrence(report, "gaps", "barriers")
    table = pairs.tables["cooccurrence_gaps_barriers_source"]
    assert list(table.columns[:2]) == ["code_id", "code_label"]
    assert all(c.startswith("n_") for c in table.columns[2:])
    sources = guidance.show_sources(report)
    assert set(sources.tables) == {"sources_by_method", "participants_by_agency"}
    with pytest.raises(ValueError, match="group_by"):
        guidance.show_sources(report, by="team")


def _expected(table: pd.DataFrame, min_cell: int, **kwargs) -> pd.DataFrame:
    """The published form of a table, as read back from CSV (all text)."""
    out = disclosure.publishable(table, min_cell, **kwargs).astype(str).astype(object)
    return out.replace({"nan": "", "None": "", "<NA>": ""}).reset_index(drop=True)


@pytest.mark.notebooks
@pytest.mark.parametrize("site", ["all", "S08"])
def test_notebook_04_runs_and_publishes_the_expected_tables(synthetic_report, study_dir, site):
    import nbformat

    reports, figs = synthetic_report / "reports", synthetic_report / "figures"
    executed = nbformat.read(reports / site / "04_guidance_views.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    tables = reports / site / "tables"

    def published(name: str) -> pd.DataFrame:
        return publishing.read_published(tables / f"04_guidance_views__{name}.csv")

    study = load_study(study_dir)
    coded = qualitative.coded_frame(
        study.coded_segments, study.participants, study.codebook, study.sites, site
    )
    people = qualitative.participant_frame(study.participants, study.sites, site)
    counts = ["n_sources", "n_segments", "n_participants"]
    pd.testing.assert_frame_equal(
        published("sources_by_method"),
        _expected(qualitative.sources_by_method(coded, people), 5, count_columns=counts),
    )
    awareness = qualitative.awareness_table(coded, people, "agency")
    pd.testing.assert_frame_equal(
        published("awareness_by_agency"),
        _expected(
            awareness,
            5,
            count_columns=[c for c in awareness.columns if c.startswith("n_")],
            depends=qualitative.AWARENESS_DEPENDS,
        ),
    )
    gaps = published("gaps_summary")
    assert gaps.iloc[0]["code_id"] == "GAP-FATHERS"
    for name in ("quotes_golden_rules", "quotes_gaps"):
        quotes = published(name)
        assert not quotes["attribution"].str.contains(r"\bP\d{4}\b").any()
    workbook = tables / "04_guidance_views__framework_matrix.xlsx"
    assert workbook.exists()
    tidy = framework.read_framework_workbook(workbook)
    assert tidy["case_id"].nunique() == len(people)
    assert set(tidy["branch"]) == {
        "golden_rules",
        "consent",
        "lawful_basis",
        "gaps",
        "father_practice",
    }
    manifest = {r.figure_id for r in figures.read_manifest(figs)}
    text = "\n".join(
        "".join(o.get("text", "")) + str(o.get("data", {}).get("text/markdown", ""))
        for c in executed.cells
        for o in c.get("outputs", [])
    )
    if site == "all":
        ranked = published("most_criticised_codes")
        assert ranked.iloc[0]["code_id"] == "GR3"
        critics = published("most_criticised_by_agency")
        assert set(critics["agency"].iloc[:3]) <= HEALTH
        assert {
            "stance-golden-rules",
            "stance-golden-rules-by-agency",
            "awareness-by-agency",
            "gaps-participants",
            "frequencies-themes-by-agency",
        } <= manifest
        assert "GAP-FATHERS" in set(published("framework_matrix_preview").columns.str[2:])
    else:
        assert "stance-golden-rules" in manifest  # 8 participants: pooled views can be shown
        assert "so the chart by group is not drawn" in text


def test_show_framework_writes_the_workbook_atomically(study_dir, tmp_path):
    report = publishing.start(
        notebook="04_guidance_views",
        site="S02",
        data_dir=study_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=5,
        tables=["sites", "participants", "codebook", "coded_segments"],
    )
    shown = guidance.show_framework(report, themes=["gaps", "father_practice"])
    path = tmp_path / "reports" / "S02" / "tables" / "04_guidance_views__framework_matrix.xlsx"
    assert path.exists() and path in report.published
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert "framework_matrix.xlsx" in shown.text()
    tidy = framework.read_framework_workbook(path)
    assert set(tidy["site_id"]) == {"S02"}
    preview = publishing.read_published(
        path.parent / "04_guidance_views__framework_matrix_preview.csv"
    )
    assert preview["site_id"].tolist() == ["S02"]
    assert "n_GAP-FATHERS" in preview.columns
