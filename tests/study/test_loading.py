"""The loader: every bad input gives a clear problem naming file, row, column, value and rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from srim_analysis.study import loading
from srim_analysis.study.loading import (
    MissingTablesError,
    StudyKindError,
    StudyValidationError,
    load_study,
    validate_study,
)


def _edit(folder: Path, table: str, old: str, new: str, count: int = 1) -> None:
    path = folder / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {table}.csv"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _lines(folder: Path, table: str) -> list[str]:
    return (folder / f"{table}.csv").read_text(encoding="utf-8").splitlines()


def _problems(folder: Path, **kw) -> pd.DataFrame:
    report, _ = validate_study(folder, **kw)
    return report.to_frame()


def _only_errors(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["severity"] == "error"]


def test_shipped_study_is_valid(study):
    assert study.report.ok
    assert study.synthetic
    assert len(study.sites) == 8
    # every table but the optional withdrawals (nobody withdrew; the loader never keeps it)
    assert set(study.tables) == set(loading.TABLES) - {"withdrawals"}
    assert study.withdrawn == {}


def test_missing_file_is_named_when_needed(study_copy):
    (study_copy / "case_audit.csv").unlink()
    with pytest.raises(MissingTablesError, match="case_audit"):
        load_study(study_copy, tables=["sites", "case_audit"])
    # a notebook that does not need it still runs
    assert "case_audit" not in load_study(study_copy).tables


def test_misspelt_column_names_the_likely_match(study_copy):
    _edit(study_copy, "participants", "participant_id,site_id", "participant_id,siteid")
    errors = _only_errors(_problems(study_copy))
    row = errors[errors["column"] == "site_id"].iloc[0]
    assert row["file"] == "participants.csv"
    assert row["row"] == 2  # the header's line: the banner is line 1
    assert "missing" in row["rule"] and "siteid" in row["rule"]


def test_out_of_range_likert_value(study_copy):
    lines = _lines(study_copy, "survey_responses")
    header = lines[1].split(",")
    col = header.index("SE1")
    cells = lines[5].split(",")
    cells[col] = "7"
    lines[5] = ",".join(cells)
    (study_copy / "survey_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _only_errors(_problems(study_copy))
    hit = errors[errors["column"] == "SE1"].iloc[0]
    assert hit["row"] == 6  # line 6 of the file: banner, header, then data
    assert hit["value"] == "7"
    assert "out of range" in hit["rule"] and "1 to 5" in hit["rule"]


def test_text_in_numeric_column(study_copy):
    lines = _lines(study_copy, "site_features")
    cells = lines[2].split(",")
    header = lines[1].split(",")
    cells[header.index("agencies_colocated")] = "eight"
    lines[2] = ",".join(cells)
    (study_copy / "site_features.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _only_errors(_problems(study_copy))
    hit = errors[errors["column"] == "agencies_colocated"].iloc[0]
    assert (hit["file"], hit["row"], hit["value"]) == ("site_features.csv", 3, "eight")
    assert "text where a number is expected" in hit["rule"]


def test_duplicate_ids(study_copy):
    _edit(study_copy, "case_audit", "C00002,", "C00001,")
    errors = _only_errors(_problems(study_copy))
    dup = errors[(errors["column"] == "case_id") & errors["rule"].str.contains("unique")]
    assert set(dup["row"]) == {3, 4}
    assert set(dup["value"]) == {"C00001"}


def test_unknown_site_and_unknown_code(study_copy):
    lines = _lines(study_copy, "coded_segments")
    header = lines[1].split(",")
    first = lines[2].split(",")
    code_at = header.index("code_id")
    lines[2] = ",".join([*first[:code_at], "GR99", *first[code_at + 1 :]])
    (study_copy / "coded_segments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _edit(study_copy, "case_audit", ",S02,", ",S99,")
    errors = _only_errors(_problems(study_copy))
    code = errors[errors["column"] == "code_id"].iloc[0]
    assert (code["row"], code["value"]) == (3, "GR99") and "unknown code" in code["rule"]
    site = errors[(errors["file"] == "case_audit.csv") & (errors["column"] == "site_id")]
    assert list(site["value"]) == ["S99"] and "unknown site" in site.iloc[0]["rule"]


def test_every_problem_is_collected_and_the_load_fails(study_copy):
    _edit(study_copy, "case_audit", "C00002,", "C00001,")
    _edit(study_copy, "sites", "E06900001", "X06900001")
    with pytest.raises(StudyValidationError) as info:
        load_study(study_copy)
    report = info.value.report
    assert {p.file for p in report.errors} >= {"case_audit.csv", "sites.csv"}
    assert "sites.csv, row 3, column 'ons_code'" in str(info.value)
    # rejected rows are kept for inspection with their file row numbers
    assert list(report.rejected["sites"]["row"]) == [3]
    assert set(report.rejected["case_audit"]["row"]) == {3, 4}


def test_empty_file(study_copy):
    (study_copy / "documents.csv").write_text("", encoding="utf-8")
    errors = _only_errors(_problems(study_copy))
    assert (errors["file"] == "documents.csv").any()
    assert "empty" in errors[errors["file"] == "documents.csv"].iloc[0]["rule"]


def test_utf8_with_bom_is_accepted(study_copy):
    path = study_copy / "participants.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report, tables = validate_study(study_copy)
    assert report.ok
    assert "participant_id" in tables["participants"].columns
    assert any("BOM" in p.rule for p in report.problems)


def test_windows_1252_is_decoded(study_copy):
    path = study_copy / "sites.csv"
    text = path.read_text(encoding="utf-8").replace("Ashcombe", "Ashcombe Cœur – Zoë")
    path.write_bytes(text.encode("cp1252"))
    report, tables = validate_study(study_copy)
    assert report.ok
    assert tables["sites"].loc[0, "display_name"] == "Ashcombe Cœur – Zoë"
    assert any("Windows-1252" in p.rule for p in report.problems)


def test_trailing_spaces_in_headers_are_stripped(study_copy):
    _edit(study_copy, "sites", "site_id,display_name", " site_id ,display_name  ")
    report, tables = validate_study(study_copy)
    assert report.ok
    assert list(tables["sites"].columns[:2]) == ["site_id", "display_name"]
    assert sum("spaces" in p.rule for p in report.problems) == 2


def test_uk_and_iso_dates(study_copy):
    _edit(study_copy, "sites", "2023-10-01", "01/10/2023")
    _, tables = validate_study(study_copy)
    starts = tables["sites"].set_index("site_id")["initiative_start"]
    assert starts["S02"] == pd.Timestamp("2023-10-01")
    assert starts["S03"] == pd.Timestamp("2024-03-01")  # ISO is never read day-first


def _to_workbook(folder: Path, dest: Path, numeric_ids: bool = False) -> Path:
    dest.mkdir()
    shutil.copy(folder / "study.toml", dest / "study.toml")
    with pd.ExcelWriter(dest / "study.xlsx", engine="openpyxl") as xl:
        for table in ("sites", "participants"):
            frame = loading._read_csv(folder / f"{table}.csv", [])[0]
            if numeric_ids and table == "participants":
                frame["participant_id"] = range(1, len(frame) + 1)  # Excel's numbers
            frame.to_excel(xl, sheet_name=table, index=False)
    return dest


def test_excel_workbook_is_read(study_copy, tmp_path):
    book = _to_workbook(study_copy, tmp_path / "book")
    study = load_study(book)
    assert set(study.tables) == {"sites", "participants"}
    assert len(study.participants) == 174  # 181 rows before #19: seven took part twice
    assert study.sites["initiative_start"].notna().sum() == 4


def test_excel_numeric_ids_are_read_back_as_text(study_copy, tmp_path):
    book = _to_workbook(study_copy, tmp_path / "book", numeric_ids=True)
    report, tables = validate_study(book)
    assert report.ok
    assert tables["participants"]["participant_id"].iloc[11] == "12"  # not 12 or "12.0"
    warn = [p for p in report.problems if p.severity == "warning"]
    assert warn and warn[0].column == "participant_id" and "numbers" in warn[0].rule


def test_marker_refuses_to_mix_real_and_synthetic(study_copy):
    with pytest.raises(StudyKindError, match="synthetic"):
        load_study(study_copy, expect="real")
    (study_copy / "study.toml").unlink()
    with pytest.raises(StudyKindError, match=r"study\.toml"):
        load_study(study_copy)


def test_synthetic_marker_inside_private_folder_is_refused(tmp_path, monkeypatch, shipped_dir):
    from srim_analysis import paths

    private = tmp_path / "private"
    shutil.copytree(shipped_dir, private / "site")
    monkeypatch.setattr(paths, "PRIVATE_DIR", private)
    with pytest.raises(StudyKindError, match="private"):
        load_study(private / "site")


def test_survey_dont_know_and_not_applicable_are_answers_not_missing(study):
    aw1 = study.survey_responses["AW1"]
    assert (aw1 == "dk").sum() > 10
    assert aw1.isna().sum() > 5
    assert set(aw1.dropna()) <= {"1", "2", "3", "4", "5", "dk"}
    assert (study.survey_responses["FP1"] == "na").sum() > 5


def test_study_is_cached_but_callers_get_copies(shipped_dir):
    a = load_study(shipped_dir)
    a.sites.loc[0, "display_name"] = "changed"
    b = load_study(shipped_dir)
    assert b.sites.loc[0, "display_name"] == "Ashcombe"


def test_a_problem_about_a_whole_file_has_no_row_column_or_value():
    problem = loading.Problem.for_file("sites.csv", "file is missing")
    assert problem == loading.Problem("sites.csv", None, None, None, "file is missing", "error")
    assert problem.sentence() == "sites.csv — file is missing"
    note = loading.Problem.for_file("sites.csv", "read with a BOM", "note")
    assert note.severity == "note"


def test_impossible_and_far_dates_are_problems_not_crashes(study_copy):
    lines = _lines(study_copy, "sites")
    for n, value in ((2, "-0"), (3, "0001-01-01"), (4, "2024-03-01T09:00:00+01:00")):
        cells = lines[n].split(",")
        cells[-1] = value
        lines[n] = ",".join(cells)
    (study_copy / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report, tables = validate_study(study_copy)
    bad = {(p.row, p.value) for p in report.errors if p.column == "initiative_start"}
    assert bad == {(3, "-0"), (4, "0001-01-01")}
    assert tables["sites"].loc[2, "initiative_start"] == pd.Timestamp("2024-03-01 09:00")


def test_a_row_with_too_many_cells_is_named(study_copy):
    lines = _lines(study_copy, "participants")
    lines[4] += ",surplus"
    (study_copy / "participants.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _only_errors(_problems(study_copy))
    hit = errors[errors["file"] == "participants.csv"].iloc[0]
    assert (hit["row"], hit["value"]) == (5, "surplus")
    assert "double quotes" in hit["rule"]


def test_mixed_encodings_name_the_rows(study_copy):
    path = study_copy / "sites.csv"
    text = path.read_text(encoding="utf-8").replace("Ashcombe", "Ashcombe Zoë")
    data = text.encode("utf-8").replace(b"Brackwater", "Brackwater Chloé".encode("cp1252"))
    path.write_bytes(data)
    report, tables = validate_study(study_copy)
    assert report.ok
    warn = [p for p in report.problems if p.severity == "warning" and p.file == "sites.csv"]
    assert [(p.row, "row(s) 4 " in p.rule) for p in warn] == [(4, True)]
    assert list(tables["sites"]["display_name"][:2]) == ["Ashcombe Zoë", "Brackwater Chloé"]


# ---------------------------------------------------------------------------
# Issue #19: one coding per source, people once, withdrawals
# ---------------------------------------------------------------------------


def test_the_analyses_get_the_primary_coders_coding(study):
    every = study.all_codings
    assert set(every["coder"]) == {"coder_a", "coder_b", "coder_c"}
    first = every.groupby("source_id", sort=False)["coder"].transform("first")
    assert study.coded_segments.equals(every[every["coder"] == first].reset_index(drop=True))
    assert study.coded_segments.groupby("source_id")["coder"].nunique().max() == 1
    assert len(study.coded_segments) == 3522  # as before the second coders were added


def test_a_primary_coder_in_study_toml_is_used_where_they_coded(study_copy):
    path = study_copy / "study.toml"
    path.write_text(path.read_text() + '\n[coding]\nprimary_coder = "coder_c"\n')
    copy = load_study(study_copy)
    by_c = set(copy.all_codings.loc[copy.all_codings["coder"] == "coder_c", "source_id"])
    chosen = copy.coded_segments.groupby("source_id")["coder"].first()
    assert by_c and (chosen[list(by_c)] == "coder_c").all()
    assert (chosen.drop(list(by_c)) != "coder_c").all()


def test_a_person_who_took_part_twice_is_listed_once(study):
    twice = study.participants[study.participants["other_methods"].notna()]
    assert len(twice) == 7  # one interviewee per site but the smallest
    methods = study.participant_methods()
    assert methods["participant_id"].nunique() == len(study.participants)
    assert len(methods) == len(study.participants) + len(twice)
    for pid in twice["participant_id"]:
        assert methods.loc[methods["participant_id"] == pid, "method"].tolist() == [
            "interview",
            "focus_group",
        ]
        spoke = study.coded_segments.loc[study.coded_segments["participant_id"] == pid, "method"]
        assert set(spoke) == {"interview", "focus_group"}


def test_a_withdrawal_removes_the_person_from_every_table(study, study_copy):
    person, respondent = "P0002", "R00005"
    (study_copy / "withdrawals.csv").write_text(
        f"person_id,withdrawn_on\n{person},2025-01-15\n{respondent},2025-02-01\n"
    )
    copy = load_study(study_copy)
    mine = study.all_codings["participant_id"] == person
    assert copy.withdrawn == {
        "people": 2,
        "participants": 1,
        "coded_segments": int((study.coded_segments["participant_id"] == person).sum()),
        "all_codings": int(mine.sum()),
        "survey_responses": 1,
    }
    assert person not in set(copy.participants["participant_id"])
    assert person not in set(copy.all_codings["participant_id"].dropna())
    assert respondent not in set(copy.survey_responses["respondent_id"])
    assert "withdrawals" not in copy.tables
    # a notebook that needs the qualitative tables only gets them, withdrawals applied
    qual = load_study(study_copy, tables=["coded_segments"])
    assert "survey_responses" not in qual.tables
    assert len(qual.coded_segments) == len(copy.coded_segments)
