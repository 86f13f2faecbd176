"""Notebook 01's sections: what they publish, what they say when they do not apply, the notebook."""

from __future__ import annotations

import calendar
import io
import re
from pathlib import Path

import ipywidgets as widgets
import nbformat
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from srim_analysis import disclosure
from srim_analysis.analyses import comparison as analysis
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import style
from srim_analysis.report import publishing
from srim_analysis.sections import comparison
from tests.conftest import REPORT_SITES
from tests.report.test_widgets import assert_no_small_count, html_tables

NOTEBOOK = "01_cross_site_comparison"
ROOT = Path(__file__).resolve().parents[2]
#: Every table the notebook may use (it needs only sites.csv).
OPTIONAL = (
    "case_audit",
    "codebook",
    "coded_segments",
    "observations",
    "documents",
    "participants",
    "survey_items",
    "survey_responses",
)


def _report(
    tmp_path,
    shipped_dir,
    site,
    optional=("observations", "documents", "participants"),
    tables=("sites", "case_audit", "codebook", "coded_segments"),
    **kwargs,
):
    return publishing.start(
        notebook=NOTEBOOK,
        site=site,
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        tables=list(tables),
        optional=list(optional),
        **kwargs,
    )


def _notebook_report(tmp_path, data_dir, site):
    """Return a report as the notebook starts it: only sites.csv required."""
    return _report(tmp_path, data_dir, site, optional=OPTIONAL, tables=("sites",))


def _every_section(report) -> list:
    """Return every section of the notebook, run with its default parameters."""
    return [
        comparison.show_run_summary(report, ""),
        comparison.show_site_indicators(report),
        comparison.show_agency_indicators(report),
        comparison.show_survey_scores(report),
        comparison.show_intervals(report),
        comparison.show_focus_profile(report),
        comparison.show_funnel_plots(report),
        comparison.show_before_after(report, None, ""),
        comparison.show_blueprint(report),
        comparison.show_adoption_order(report),
        comparison.show_lessons(report),
        comparison.show_quotes(report),
        comparison.show_focus_column(report),
    ]


# ---------------------------------------------------------------------------
# Every number in a sentence is a published cell (issue #16)
# ---------------------------------------------------------------------------

_MONTHS = "|".join(calendar.month_name[1:])
#: What a sentence may hold that is not a number of the data: code (ids, parameters), dates,
#: the coverage of the funnel limits and intervals, and the blueprint rule's parameters.
_NOT_DATA = re.compile(
    rf"`[^`]*`|\b\d{{1,2}} (?:{_MONTHS}) \d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    r"|\b(?:95|99\.8)%|at least \d+ source types"
)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%?)(?![\w])")


def sentence_numbers(text: str, min_cell: int) -> list[tuple[float, bool, int]]:
    """Return the data numbers of a text: (value, is a percentage, decimals).

    Code, dates, years, method constants and the small-cell threshold are left out.
    """
    out = []
    for digits, pct in _NUMBER.findall(_NOT_DATA.sub(" ", text)):
        value = float(digits)
        if not pct and "." not in digits and (1900 <= value <= 2100 or value == min_cell):
            continue
        out.append((value, bool(pct), len(digits.split(".")[1]) if "." in digits else 0))
    return out


def published_numbers(tables: dict[str, pd.DataFrame]) -> list[float]:
    """Return the numbers the tables show: numeric cells and numbers within text cells."""
    out: list[float] = []
    for table in tables.values():
        for value in table.to_numpy().ravel():
            if disclosure.is_suppressed(value) or isinstance(value, bool) or value is None:
                continue
            number = pd.to_numeric(value, errors="coerce")
            if pd.notna(number):
                out.append(float(number))
            elif isinstance(value, str):
                out += [float(d) for d, _ in _NUMBER.findall(value)]
    return out


def assert_sentences_from_tables(section: publishing.Section, min_cell: int) -> int:
    """Assert every number in the section's sentences is a shown cell of its tables.

    Returns how many numbers were checked.
    """
    cells = published_numbers(section.tables)
    numbers = sentence_numbers(section.text(), min_cell)
    for value, pct, decimals in numbers:
        found = any(
            round(c, decimals) == value or (pct and round(100 * c, decimals) == value)
            for c in cells
        )
        assert found, f"{value}{'%' if pct else ''} is in no published cell: {section.text()}"
    return len(numbers)


def test_sentence_numbers_leave_out_what_is_not_data():
    text = (
        'Split on 1 October 2023 (`site = "S02"`); within the 95% limits; 2024 advice; '
        "at least 2 source types; fewer than 5; 12 of 40 cases, 30%, 0.42."
    )
    assert sentence_numbers(text, 5) == [
        (12, False, 0),
        (40, False, 0),
        (30, True, 0),
        (0.42, False, 2),
    ]
    section = publishing.Section(["12 of 40"])
    section.tables["t"] = pd.DataFrame({"n": [12, "c"], "label": ["x", "of 40 items"]})
    assert assert_sentences_from_tables(section, 5) == 2
    section.tables["t"] = pd.DataFrame({"n": [12, "c"]})
    with pytest.raises(AssertionError, match=r"40\.0 is in no published cell"):
        assert_sentences_from_tables(section, 5)


@pytest.mark.parametrize("site", REPORT_SITES)
def test_every_number_in_a_sentence_is_a_published_cell(tmp_path, shipped_dir, site):
    report = _notebook_report(tmp_path, shipped_dir, site)
    sections = _every_section(report)
    for section in sections:
        assert_sentences_from_tables(section, report.min_cell)
    assert sum(len(s.tables) for s in sections) >= 10


# ---------------------------------------------------------------------------
# The study's plan drives the notebook (issue #17)
# ---------------------------------------------------------------------------


def _drop_part(folder: Path, header: str) -> None:
    """Remove one table (``[header]`` to the next blank line) from the folder's study.toml."""
    path = folder / "study.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"[{header}]")
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    path.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")


AUDIT_SECTIONS = (
    "show_site_indicators",
    "show_agency_indicators",
    "show_intervals",
    "show_focus_profile",
    "show_funnel_plots",
    "show_before_after",
    "show_explorer",
)


def test_indicators_default_to_the_study_plan(tmp_path, shipped_dir, study):
    report = _notebook_report(tmp_path, shipped_dir, "S02")
    planned = list(study.plan.comparison.indicators)
    sites = comparison.show_site_indicators(report).tables["site-indicators"]
    audit = sites[sites["source"] == "case_audit"]
    assert list(dict.fromkeys(audit["indicator"])) == planned
    funnel = comparison.show_funnel_plots(report)
    figures = [i.record.figure_id for i in funnel.items if isinstance(i, publishing.SavedFigure)]
    assert figures == [f"funnel-{i.replace('_', '-')}" for i in planned]
    chosen = comparison.show_site_indicators(report, ["father_invited"]).tables["site-indicators"]
    assert set(chosen.loc[chosen["source"] == "case_audit", "indicator"]) == {"father_invited"}


def test_without_indicators_the_sections_say_so_and_point_to_the_plan(tmp_path, study_copy):
    _drop_part(study_copy, "comparison")
    report = _notebook_report(tmp_path, study_copy, "S02")
    assert report.study.plan.comparison.indicators == ()
    for name in AUDIT_SECTIONS:
        shown = getattr(comparison, name)(report)
        assert shown.text() == comparison.NO_INDICATORS, name
        assert "study.toml" in shown.text() and "[comparison] indicators" in shown.text()
    assert not report.published
    # a notebook parameter still names them
    assert comparison.show_site_indicators(report, ["father_identified"]).tables


def test_survey_outcomes_come_from_the_plan(tmp_path, shipped_dir, study_copy, study):
    report = _notebook_report(tmp_path, shipped_dir, "all")
    scores = comparison.show_survey_scores(report).tables["survey-scores"]
    measures = analysis.survey_measures(study)
    assert list(dict.fromkeys(scores["indicator"])) == [m.construct for m in measures]
    assert list(dict.fromkeys(scores["label"])) == [m.label for m in measures]
    assert all(m.label in scores.attrs["caption"] for m in measures)
    _drop_part(study_copy, "survey.outcomes")
    unmapped = _notebook_report(tmp_path / "unmapped", study_copy, "all")
    shown = comparison.show_survey_scores(unmapped)
    assert "`[survey.outcomes]`" in shown.text() and "study.toml" in shown.text()
    assert not shown.tables and not unmapped.published


def test_a_study_without_case_audits_or_a_survey_still_runs(tmp_path, study_copy):
    for table in ("case_audit", "survey_responses"):
        (study_copy / f"{table}.csv").unlink()
    report = _notebook_report(tmp_path, study_copy, "S02")
    sections = {s: getattr(comparison, s)(report) for s in AUDIT_SECTIONS}
    for name, shown in sections.items():
        assert shown.text() == (
            "*This study folder has no `case_audit` table, so this section is skipped.*"
        ), name
    survey = comparison.show_survey_scores(report)
    assert "no `survey_responses` table" in survey.text()
    assert not report.published
    # the blueprint needs only the coded material
    assert "blueprint" in comparison.show_blueprint(report).tables
    assert "focus-column" in comparison.show_focus_column(report).tables
    assert "Focus site" in comparison.show_run_summary(report, "").text()


def test_a_hidden_all_site_value_is_shown_nowhere(tmp_path, study_copy):
    """An indicator with 2 "yes" in the whole study: its all-site value is hidden everywhere."""
    path = study_copy / "case_audit.csv"
    marker, body = path.read_text(encoding="utf-8").split("\n", 1)
    audit = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    invited = audit.index[audit["father_invited"] == "1"][:2]
    audit["father_involved"] = audit["father_involved"].where(audit["father_involved"] == "", "0")
    audit.loc[invited, "father_involved"] = "1"
    path.write_text(marker + "\n" + audit.to_csv(index=False), encoding="utf-8")
    report = _notebook_report(tmp_path, study_copy, "all")
    section = comparison.show_funnel_plots(report, ["father_involved"])
    published = section.tables["funnel-positions"]
    assert "all_sites" not in published.columns
    everyone = published[published["site"] == TOTAL].iloc[0]
    assert disclosure.is_suppressed(everyone["n_yes"]) and disclosure.is_suppressed(
        everyone["prop_yes"]
    )
    p0 = round(2 / int(everyone["n"]), 3)
    shown = published_numbers({"t": published})
    assert p0 not in shown and 2 not in shown
    (saved,) = [i for i in section.items if isinstance(i, publishing.SavedFigure)]
    assert "The all-site value is not published" in saved.svg_path.read_text(encoding="utf-8")


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


def _drawn(monkeypatch, report) -> dict:
    """Make ``report.chart`` keep each figure it draws (by figure id) instead of saving it."""
    drawn: dict = {}

    def keep(section, published, draw, figure_id, caption, **_options):
        drawn[figure_id] = draw(published)

    monkeypatch.setattr(report, "chart", keep)
    return drawn


def test_per_site_figures_highlight_the_focus_and_label_only_it_and_the_origin(
    tmp_path, shipped_dir, study, monkeypatch
):
    report = _report(tmp_path, shipped_dir, "S02")
    drawn = _drawn(monkeypatch, report)
    comparison.show_funnel_plots(report, ["father_info_shared"])
    comparison.show_intervals(report, ["father_info_shared"])
    sites = study.sites.set_index("site_id")
    origin = str(sites.loc[sites["role"] == "origin", "display_name"].iloc[0])
    ax = drawn["funnel-father-info-shared"].axes[0]
    labels = sorted(t.get_text() for t in ax.texts if t.get_visible() and t.get_text())
    assert labels == sorted(["Brackwater", f"{origin} (origin)"])  # others: one plain layer
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 1
    focus = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert [ln.get_color() for ln in focus] == [style.FOCUS]
    ticks = drawn["intervals-audit-indicators"].axes[0].get_yticklabels()
    assert [t.get_text() for t in ticks if t.get_color() == style.FOCUS] == ["Brackwater"]
    assert len(ticks) == len(study.sites)  # eight sites: every site keeps its row
    everyone = _report(tmp_path / "all", shipped_dir, "all")
    drawn_all = _drawn(monkeypatch, everyone)
    comparison.show_funnel_plots(everyone, ["father_info_shared"])
    ax = drawn_all["funnel-father-info-shared"].axes[0]
    assert len([t for t in ax.texts if t.get_visible() and t.get_text()]) == len(study.sites)


def test_a_compact_per_site_interval_chart_links_the_whole_study_one(
    tmp_path, shipped_dir, monkeypatch
):
    monkeypatch.setattr(comparison.comparison_charts, "COMPACT_ABOVE", 4)  # 8 sites: "many"
    report = _report(tmp_path, shipped_dir, "S02")
    drawn = _drawn(monkeypatch, report)
    section = comparison.show_intervals(report, ["father_info_shared"])
    link = "../../figures/all/01_cross_site_comparison__intervals-audit-indicators.png"
    assert f"[each site with its own interval]({link})" in section.text()
    page = tmp_path / "reports" / "S02" / f"{NOTEBOOK}.html"
    assert (page.parent / link).resolve() == (
        tmp_path / "figures" / "all" / f"{NOTEBOOK}__intervals-audit-indicators.png"
    ).resolve()
    ticks = [t.get_text() for t in drawn["intervals-audit-indicators"].axes[0].get_yticklabels()]
    assert ticks[0] == "Brackwater" and ticks[1].endswith("(origin)")
    assert any(t.startswith("Comparison sites (") for t in ticks)
    everyone = _report(tmp_path / "all", shipped_dir, "all")
    assert "[each site" not in comparison.show_intervals(everyone, ["father_info_shared"]).text()
