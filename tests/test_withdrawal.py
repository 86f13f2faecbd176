"""A person who withdraws leaves no trace in a full report, and totals lose their part.

An interviewee and a survey respondent of the smallest site (S08) of a copy of the synthetic
study withdraw (``withdrawals.csv``). Every notebook runs on the copy for that site and the
whole study; the session's report of the shipped study (``synthetic_report``) is the run
without the withdrawal. Nothing the withdrawn run writes (CSV, HTML, JSON, workbooks, any
file) holds their ids, their segment ids or a text only they said, and the published totals
change by exactly their contribution.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from srim_analysis import runner
from srim_analysis.analyses import overview
from srim_analysis.report.publishing import read_published
from srim_analysis.study.loading import load_study

SITE = "S08"
PARTICIPANT, RESPONDENT = "P0175", "R00588"  # an interviewee and a respondent of S08
OVERVIEW = "00_study_overview"
#: An embedded image (base64 in a page or notebook): a short id may occur in it by chance.
BASE64_RUN = re.compile(r"[A-Za-z0-9+/=\\n]{120,}")


@pytest.fixture(scope="module")
def withdrawn_run(tmp_path_factory, shipped_dir) -> Path:
    """Run every notebook for S08 and all sites on a copy where two people withdrew."""
    root = tmp_path_factory.mktemp("withdrawn")
    data = root / "study"
    shutil.copytree(shipped_dir, data)
    (data / "withdrawals.csv").write_text(
        "person_id,withdrawn_on,note\n"
        f"{PARTICIPANT},2025-03-01,asked by phone\n{RESPONDENT},2025-03-02,\n",
        encoding="utf-8",
    )
    out = root / "out"
    status = runner.cli(
        ["--data", str(data), "--out", str(out), "--jobs", "2", "--force", "--site", "all", SITE]
    )
    assert status == 0, f"srim run failed (exit {status}); see {out}/reports"
    return out


@pytest.fixture(scope="module")
def theirs(study) -> dict[str, set[str]]:
    """What belongs to the withdrawn people only: ids, segment ids, texts no one else said."""
    codings = study.all_codings
    mine = codings["participant_id"] == PARTICIPANT
    others = set(codings.loc[~mine, "excerpt"].dropna())
    return {
        "ids": {PARTICIPANT, RESPONDENT},
        "segments": set(codings.loc[mine, "segment_id"]),
        "texts": {t for t in codings.loc[mine, "excerpt"].dropna() if t not in others},
    }


def _texts(path: Path) -> str:
    """Return a written file as text (a workbook's cells, every other file's bytes).

    Runs of base64 (embedded figures) are left out: they hold no text, but a short id may
    turn up in their letters by chance.
    """
    if path.suffix == ".xlsx" and zipfile.is_zipfile(path):
        book = load_workbook(path, read_only=True)
        cells = [
            str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
        ]
        book.close()
        return "\n".join(cells)
    return BASE64_RUN.sub(" ", path.read_bytes().decode("utf-8", errors="replace"))


def test_the_loader_removes_them_everywhere(study, shipped_dir, withdrawn_run):
    copy = load_study(withdrawn_run.parent / "study")
    assert copy.withdrawn["people"] == 2
    assert copy.withdrawn["participants"] == 1 and copy.withdrawn["survey_responses"] == 1
    assert (
        copy.withdrawn["coded_segments"]
        == (study.coded_segments["participant_id"] == PARTICIPANT).sum()
    )
    assert len(copy.all_codings) == len(study.all_codings) - copy.withdrawn["all_codings"]
    for frame in (copy.participants, copy.coded_segments, copy.all_codings):
        assert PARTICIPANT not in set(frame["participant_id"].dropna())
    assert RESPONDENT not in set(copy.survey_responses["respondent_id"])
    assert "withdrawals" not in copy.tables  # the ids of who withdrew go no further


def test_nothing_of_theirs_is_in_any_output(withdrawn_run, theirs):
    assert theirs["segments"] and theirs["texts"]  # the test has something to look for
    files = [p for p in withdrawn_run.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".csv" for p in files)
    wanted = theirs["ids"] | theirs["segments"] | theirs["texts"]
    for path in files:
        text = _texts(path)
        found = [w for w in wanted if w in text]
        assert not found, f"{path.relative_to(withdrawn_run)} holds {found[:3]}"


def _read(root: Path, site: str, name: str) -> pd.DataFrame:
    return read_published(root / "reports" / site / "tables" / f"{OVERVIEW}__{name}.csv")


def test_totals_lose_exactly_their_part(study, synthetic_report, withdrawn_run):
    seg = study.coded_segments[study.coded_segments["participant_id"] == PARTICIPANT]

    def segments(root: Path) -> pd.Series:
        return _read(root, "all", "segments_by_source").set_index("source_type").loc["Interview"]

    before, after = segments(synthetic_report), segments(withdrawn_run)
    assert int(before["n_segments"]) - int(after["n_segments"]) == seg["segment_id"].nunique()
    assert int(before["n_codings"]) - int(after["n_codings"]) == len(seg)
    assert int(before["n_sources"]) - int(after["n_sources"]) == 1  # their interview

    def people(root: Path) -> int:
        table = _read(root, "all", "participants_by_agency").set_index("agency")
        return int(table.loc["Total", "n_total"])

    assert people(synthetic_report) - people(withdrawn_run) == 1

    def respondents(root: Path) -> int:
        table = _read(root, "all", "survey_by_site").set_index("site_id")
        return int(table.loc["Total", "Total"])

    assert respondents(synthetic_report) - respondents(withdrawn_run) == 1
    published = _read(withdrawn_run, "all", "withdrawals").set_index("removed")["n"]
    assert list(published.index) == [
        overview.WITHDRAWN_LABELS[k]
        for k in ("people", "participants", "coded_segments", "all_codings", "survey_responses")
    ]
