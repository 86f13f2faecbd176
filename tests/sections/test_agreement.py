"""Notebook 04's agreement section: what it publishes, what it says, and the flags it lends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.report import publishing
from srim_analysis.sections import agreement, guidance
from srim_analysis.study.loading import primary_codings
from tests.analyses.test_qualitative import generated_study
from tests.sections.helpers import numbers_not_published

TABLES = ["sites", "participants", "codebook", "coded_segments"]
#: The code the tests make poor: the second coders never apply it.
PLANTED = "ST-CRIT"


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory):
    return generated_study(tmp_path_factory)


def _report(folder: Path, tmp_path: Path, site: str = "all", min_cell: int = 5):
    return publishing.start(
        notebook="04_guidance_views",
        site=site,
        data_dir=folder,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=min_cell,
        tables=TABLES,
    )


def _rewrite_codings(folder: Path, change) -> None:
    """Rewrite a study copy's coded_segments.csv through ``change`` (keeping its header)."""
    path = folder / "coded_segments.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    frame = pd.read_csv(path, comment=None, skiprows=len(comments), dtype=str)
    body = change(frame).to_csv(index=False, lineterminator="\n")
    path.write_text("".join(comments) + body, encoding="utf-8")


@pytest.fixture
def planted(study_copy: Path) -> Path:
    """The synthetic study with the second coders' PLANTED codings removed."""

    def drop(frame: pd.DataFrame) -> pd.DataFrame:
        first = frame.groupby("source_id", sort=False)["coder"].transform("first")
        second = frame["coder"] != first  # the primary coder codes a source's first row
        return frame[~(second & (frame["code_id"] == PLANTED))]

    _rewrite_codings(study_copy, drop)
    return study_copy


@pytest.mark.parametrize("site", ["all", "S08"])
def test_every_number_said_is_a_published_cell(study_dir, tmp_path, site):
    report = _report(study_dir, tmp_path, site)
    shown = agreement.show_agreement(report)
    assert set(shown.tables) == {
        "coder_agreement_overall",
        "coder_agreement_by_source",
        "coder_agreement_by_segment",
    }
    assert not numbers_not_published(shown, (report.min_cell,)), shown.text()
    assert "coded by more than one person" in shown.text()


def test_the_published_tables_hold_no_coder_names(study_dir, tmp_path):
    report = _report(study_dir, tmp_path)
    agreement.show_agreement(report)
    text = "".join(p.read_text() for p in (tmp_path / "reports").rglob("*coder_agreement*.csv"))
    assert text and "coder_a" not in text and "coder_b" not in text


def test_a_planted_poor_code_is_flagged_and_named(planted, tmp_path):
    report = _report(planted, tmp_path)
    shown = agreement.show_agreement(report, poor_alpha=0.5)
    by_segment = shown.tables["coder_agreement_by_segment"].set_index("code_id")
    assert float(by_segment.loc[PLANTED, "alpha"]) < 0.1
    flagged = agreement.flagged_codes(report, 0.5)
    # beside it only the stance codes the synthetic study's own planted code is swapped with
    assert PLANTED in flagged
    assert set(flagged) <= set(report.study.plan.codes.stance.values())
    assert f"`{PLANTED}` (Critical)" in shown.text()
    # the stance sections resting on it say so; the framework (no stance theme) does not
    for section in (
        guidance.show_reception(report, "golden_rules", poor_alpha=0.5),
        guidance.show_most_criticised(report, poor_alpha=0.5),
    ):
        assert "this section rests on code" in section.text() and f"`{PLANTED}`" in section.text()
    assert "Coder agreement" not in guidance.show_branch(report, "gaps").text()
    # with the default threshold nothing planted is missed
    assert PLANTED in agreement.flagged_codes(report)


@pytest.mark.filterwarnings("ignore::srim_analysis.disclosure.DisclosureWarning")  # min_cell 10000
def test_a_code_hidden_by_suppression_is_not_flagged(planted, tmp_path):
    report = _report(planted, tmp_path, min_cell=10_000)
    shown = agreement.show_agreement(report, poor_alpha=0.5)
    assert agreement.flagged_codes(report, 0.5) == []
    assert "No code shown has" in shown.text()
    assert set(shown.tables["coder_agreement_by_source"]["flag"]) == {disclosure.SUPPRESSION_MARK}


def test_no_double_coding_is_said(study_copy, tmp_path):
    _rewrite_codings(study_copy, primary_codings)
    report = _report(study_copy, tmp_path)
    shown = agreement.show_agreement(report)
    assert "No source across all sites was coded by more than one person" in shown.text()
    assert not shown.tables
    assert agreement.flagged_codes(report) == []
    assert "Coder agreement" not in guidance.show_reception(report, "golden_rules").text()
