"""Quote review: with real data only approved quotes are published; decisions are never lost."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.disclosure import quote_review


def _quotes(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_id": ["K1"] * n,
            "segment_id": [f"seg-{i}" for i in range(start, start + n)],
            "quote": [f"Made-up words number {i}." for i in range(start, start + n)],
            "attribution": ["Practitioner, Northfield (interview)"] * n,
            "stance": [""] * n,
        }
    )


def _review(quotes: pd.DataFrame, folder: Path, synthetic: bool = False, **kw) -> object:
    args = {"site": "all", "notebook": "nb", "reports_dir": folder / "out" / "reports"} | kw
    return disclosure.review_quotes(quotes, folder=folder, synthetic=synthetic, **args)


def test_quote_keys_are_stable_and_change_with_the_text():
    key = disclosure.quote_key("K1", "seg-1", "Some  words.", "A")
    assert key == disclosure.quote_key("K1", "seg-1", "Some words.", "A")  # spacing only
    assert key != disclosure.quote_key("K1", "seg-1", "Some [NAME] words.", "A")
    assert key != disclosure.quote_key("K1", "seg-1", "Some words.", "B")


def test_real_quotes_are_published_only_once_approved(tmp_path):
    first = _review(_quotes(4), tmp_path)
    sheet_path = tmp_path / "review" / "quotes.csv"
    assert first.sheet == sheet_path and sheet_path.exists()
    assert not len(first.quotes) and first.awaiting == 4 and first.declined == 0
    assert "4 quotes are awaiting a researcher's review" in first.sentence()
    sheet = disclosure.read_review_sheet(sheet_path)
    assert list(sheet.columns) == list(disclosure.REVIEW_COLUMNS)
    assert sheet["quote"].tolist() == _quotes(4)["quote"].tolist()
    sheet.loc[[0, 3], "approved"] = ["yes", "YES"]
    sheet.loc[1, "approved"] = "no"
    sheet.loc[2, "approved"] = "maybe"  # not a decision
    sheet.to_csv(sheet_path, index=False)

    again = _review(_quotes(5), tmp_path, site="S02", notebook="nb2")  # one new quote
    assert again.quotes["segment_id"].tolist() == ["seg-0", "seg-3"]
    assert (again.awaiting, again.declined) == (2, 1)
    assert "1 quote was declined" in again.sentence()
    kept = disclosure.read_review_sheet(sheet_path)
    assert len(kept) == 5
    assert kept["approved"].tolist() == ["yes", "no", "maybe", "YES", ""]
    assert kept.loc[0, "site"] == "all; S02" and kept.loc[0, "notebook"] == "nb; nb2"
    assert kept.loc[4, "site"] == "S02"


def test_a_changed_quote_needs_a_new_approval(tmp_path):
    _review(_quotes(1), tmp_path)
    sheet_path = tmp_path / "review" / "quotes.csv"
    sheet = disclosure.read_review_sheet(sheet_path)
    sheet["approved"] = "yes"
    sheet.to_csv(sheet_path, index=False)
    changed = _quotes(1).assign(quote="Made-up words, now with [NAME] redacted.")
    reviewed = _review(changed, tmp_path)
    assert not len(reviewed.quotes) and reviewed.awaiting == 1
    assert len(disclosure.read_review_sheet(sheet_path)) == 2  # the old decision stays


def test_an_unchanged_sheet_is_not_rewritten(tmp_path):
    _review(_quotes(2), tmp_path)
    sheet_path = tmp_path / "review" / "quotes.csv"
    before = sheet_path.stat().st_mtime_ns
    _review(_quotes(2), tmp_path)
    assert sheet_path.stat().st_mtime_ns == before


def test_synthetic_quotes_are_published_and_reviewed_with_the_outputs(tmp_path):
    study = tmp_path / "study"
    stage = tmp_path / "out" / "reports" / ".staging" / "run1" / "reports"
    final = tmp_path / "out" / "reports" / "all" / "review" / "nb__quotes.csv"
    final.parent.mkdir(parents=True)
    final.write_text(
        "key,site,notebook,code,attribution,quote,approved,reviewer_note\n"
        "q-old,all,nb,K0,A,Old words.,yes,kept\n",
        encoding="utf-8",
    )
    reviewed = _review(_quotes(3), study, synthetic=True, reports_dir=stage)
    assert len(reviewed.quotes) == 3 and reviewed.sentence() is None
    assert reviewed.sheet == stage / "all" / "review" / "nb__quotes.csv"
    sheet = disclosure.read_review_sheet(reviewed.sheet)
    assert sheet["key"].iloc[0] == "q-old" and sheet["reviewer_note"].iloc[0] == "kept"
    assert len(sheet) == 4
    assert not (study / "review").exists()  # never into the study folder


def test_reading_only_writes_nothing(tmp_path):
    reviewed = _review(_quotes(2), tmp_path, record=False)
    assert not len(reviewed.quotes) and reviewed.awaiting == 2
    assert not (tmp_path / "review").exists()


def _add(args: tuple[str, int]) -> None:
    folder, start = args
    sheet = Path(folder) / "review" / "quotes.csv"
    for i in range(start, start + 5):
        quote_review.record_quotes(
            sheet, _quotes(1, i).assign(key=f"q-{i}"), site=f"s{start}", notebook="nb"
        )


def test_concurrent_runs_lose_no_quote(tmp_path):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_add, [(str(tmp_path), start) for start in (0, 100, 200, 300)])
    sheet = disclosure.read_review_sheet(tmp_path / "review" / "quotes.csv")
    assert len(sheet) == 20 and sheet["key"].is_unique
