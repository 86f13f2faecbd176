"""The joint-display sections: what they publish, what they say, and from which cells."""

from __future__ import annotations

import dataclasses

import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import joint_displays as analyses
from srim_analysis.report import publishing
from srim_analysis.sections import joint_displays
from srim_analysis.study.plan import AnalysisPlan
from tests.sections.helpers import NUMBER, numbers_not_published

SECTIONS = (
    joint_displays.show_transfer_joint,
    joint_displays.show_blueprint_joint,
    joint_displays.show_advice_joint,
)


def _report(study, tmp_path, site: str, min_cell: int = 5) -> publishing.Report:
    """Return a report on the session's synthetic study (not loaded again)."""
    return publishing.Report(
        notebook="01_cross_site_comparison",
        site=site,
        study=study,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=min_cell,
    )


@pytest.mark.parametrize("site", ["all", "S02", "S08"])
def test_every_number_in_a_sentence_is_a_published_cell(study, tmp_path, site):
    report = _report(study, tmp_path, site)
    said = 0
    for show in SECTIONS:
        section = show(report)
        assert not numbers_not_published(section, (report.min_cell, report.min_cell - 1)), (
            section.text()
        )
        said += len(NUMBER.findall(section.text()))
    assert said >= 4  # the rule's margin and minimum n, in both joint displays


def test_the_display_compares_only_published_cells(study, tmp_path):
    report = _report(study, tmp_path, "all")
    section = joint_displays.show_advice_joint(report)
    talk = section.tables["joint_advice_talk"].set_index(["site", "label"])
    display = section.tables["joint_advice"]
    assert set(display["verdict"]) <= set(analyses.VERDICTS)
    hidden = 0
    for row in display.itertuples():
        cell = talk.loc[(row.site, row.theme), "pct_positive"]
        if disclosure.is_suppressed(cell):
            hidden += 1
            assert row.verdict == "cannot be compared" and row.talk_direction == ""
        assert row.verdict == analyses.verdict(
            row.numbers_direction or None, row.talk_direction or None
        )
    assert hidden  # min_cell 5 hides a site's rated talk on awareness
    assert "All" not in set(display["site"])  # the all-sites row is the reference, not a row


def test_evidence_tables_declare_their_populations_and_the_rule(study, tmp_path):
    report = _report(study, tmp_path, "all")
    section = joint_displays.show_transfer_joint(report, margin=15.0, min_n=20)
    tables = section.tables
    assert tables["joint_transfer_audit"].attrs["population"] == "cases"
    assert tables["joint_transfer_survey"].attrs["population"] == "respondents"
    assert tables["joint_transfer_talk"].attrs["population"] == "participants"
    assert tables["joint_transfer_rule"]["value"].tolist() == [15.0, 20.0]
    assert "at least 15 percentage points" in section.text()
    assert "fewer than 20 cases" in section.text()
    written = sorted(p.name for p in report.published)
    assert "joint_transfer.csv" in " ".join(written)
    figures = [i for i in section.items if isinstance(i, publishing.SavedFigure)]
    assert len(figures) == 1 and figures[0].png_path.exists()  # drawn from the display
    # the origin's audit indicators are above the all-sites value: never "lower"
    display = tables["joint_transfer"]
    origin = display[(display["site"] == "Ashcombe") & (display["source"] == "Audited cases")]
    assert len(origin) == len(study.plan.comparison.indicators)
    assert "lower" not in set(origin["numbers_direction"])
    assert "higher" in set(origin["numbers_direction"])


def test_a_study_without_joint_themes_says_where_to_name_them(study, tmp_path):
    bare = dataclasses.replace(study, plan=AnalysisPlan())
    report = _report(bare, tmp_path, "all")
    for show in (joint_displays.show_transfer_joint, joint_displays.show_advice_joint):
        section = show(report)
        assert "study.toml" in section.text() and "[[joint.theme]]" in section.text()
        assert not section.tables


def test_blueprint_view_at_a_comparison_site_says_so(study, tmp_path):
    section = joint_displays.show_blueprint_joint(_report(study, tmp_path, "S08"))
    assert "comparison site" in section.text() and not section.tables


def test_blueprint_view_links_audit_indicators_from_the_plan(study, tmp_path, monkeypatch):
    no_links = {"theme": study.plan.joint["theme"]}
    bare = dataclasses.replace(study, plan=dataclasses.replace(study.plan, joint=no_links))
    unlinked = joint_displays.show_blueprint_joint(_report(bare, tmp_path / "bare", "S02"))
    assert "[joint.components]" in unlinked.text()
    assert set(unlinked.tables["joint_blueprint"]["audit"]) == {"no audit indicator linked"}
    components = dict.fromkeys(analyses.blueprint_evidence(study)["component_id"], ())
    first = next(iter(components))
    joint = analyses.JointPlan(components={first: ("father_recorded",)})
    monkeypatch.setattr(analyses, "study_joint_plan", lambda _study: joint)
    linked = joint_displays.show_blueprint_joint(_report(study, tmp_path, "S02"))
    table = linked.tables["joint_blueprint"]
    audit = linked.tables["joint_blueprint_audit"]
    assert audit.attrs["population"] == "cases"
    row = table[(table["site"] == "Brackwater")].iloc[0]
    shown = audit[(audit["site"] == "Brackwater")].iloc[0]
    assert row["audit"] == (
        f"{shown['label']}: {float(shown['pct_yes']):.0f}% of {int(float(shown['n']))} cases"
    )
    assert "[joint.components]" not in linked.text()


def test_a_run_without_the_survey_tables_says_so(study, tmp_path):
    tables = {k: v for k, v in study.tables.items() if not k.startswith("survey")}
    report = _report(dataclasses.replace(study, tables=tables), tmp_path, "all")
    section = joint_displays.show_advice_joint(report)
    assert "no `survey_responses` table" in section.text()
    display = section.tables["joint_advice"]
    assert set(display["measure"]) == {"no number in the tables"}
    assert set(display["verdict"]) == {"cannot be compared"}
