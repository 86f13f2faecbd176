"""The Framework matrix: tidy and wide forms, and the Excel workbook round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from srim_analysis.analyses import framework, qualitative
from srim_analysis.study.loading import load_study
from tests.analyses.test_qualitative import generated_study

THEMES = ["golden_rules", "consent", "lawful_basis", "gaps", "father_practice"]


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory) -> Path:
    """The generated synthetic study (shared with test_qualitative when run together)."""
    return generated_study(tmp_path_factory)


@pytest.fixture(scope="module")
def material(study_dir):
    study = load_study(study_dir)
    coded = qualitative.coded_frame(
        study.coded_segments, study.participants, study.codebook, study.sites
    )
    people = qualitative.participant_frame(study.participants, study.sites)
    return study, coded, people


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


BOOK = pd.DataFrame(
    {
        "code_id": ["GAP", "G1", "G2", "FP", "F1"],
        "parent_id": [None, "GAP", "GAP", None, "FP"],
        "label": ["Gaps", "Fathers", "Examples", "Father practice", "Asking"],
        "branch": ["gaps", "gaps", "gaps", "father_practice", "father_practice"],
    }
)
PEOPLE = pd.DataFrame(
    {
        "participant_id": ["p1", "p2", "p3"],
        "site_id": ["S1", "S1", "S2"],
        "agency": ["midwifery", "police", "housing"],
        "role": ["practitioner", "manager", "practitioner"],
        "method": ["interview", "interview", "focus_group"],
    }
)
SITES = pd.DataFrame({"site_id": ["S1", "S2"], "display_name": ["Ashcombe", "Brackwater"]})
SEGMENTS = pd.DataFrame(
    [
        ("s1", "G1", "i1", "interview", "S1", "p1"),
        ("s2", "G1", "i1", "interview", "S1", "p1"),
        ("s3", "G2", "i1", "interview", "S1", "p1"),
        ("s4", "G1", "i2", "interview", "S1", "p2"),
        ("s5", "F1", "d1", "document", "S1", None),
        ("s6", "G1", "f1", "focus_group", "S2", "p3"),
    ],
    columns=["segment_id", "code_id", "source_id", "method", "site_id", "participant_id"],
)


def _hand_made(cases: str = "participant") -> pd.DataFrame:
    coded = qualitative.coded_frame(SEGMENTS, PEOPLE, BOOK, SITES)
    people = qualitative.participant_frame(PEOPLE, SITES)
    return framework.framework_matrix(coded, BOOK, people, cases=cases)


def test_matrix_has_a_row_per_case_and_code_with_counts_and_refs():
    tidy = _hand_made()
    assert list(tidy.columns) == list(framework.TIDY_COLUMNS)
    # 3 participants x (2 gap codes + 1 father-practice code); unused top-level codes left out
    assert len(tidy) == 9
    assert set(tidy["code_id"]) == {"G1", "G2", "F1"}
    cell = tidy.set_index(["case_id", "code_id"])
    assert cell.loc[("p1", "G1"), "n_segments"] == 2
    assert cell.loc[("p1", "G1"), "segment_refs"] == "s1; s2"
    assert cell.loc[("p3", "G2"), "n_segments"] == 0
    assert cell.loc[("p3", "G2"), "segment_refs"] == ""
    assert (tidy["summary"] == "").all()
    first = tidy.iloc[0]
    assert (first["site_id"], first["site"], first["agency"], first["role"], first["method"]) == (
        "S1",
        "Ashcombe",
        "midwifery",
        "practitioner",
        "interview",
    )
    # the document is nobody's: it counts only when sites are the cases
    assert cell.xs("F1", level="code_id")["n_segments"].sum() == 0
    by_site = _hand_made("site").set_index(["case_id", "code_id"])
    assert by_site.loc[("S1", "F1"), "n_segments"] == 1
    assert by_site.loc[("S1", "G1"), "segment_refs"] == "s1; s2; s4"
    assert by_site.loc[("S2", "G1"), "site"] == "Brackwater"
    with pytest.raises(ValueError, match="cases"):
        framework.framework_matrix(qualitative.coded_frame(SEGMENTS), BOOK, cases="team")


def test_pivot_puts_cases_in_rows_and_codes_in_columns():
    wide = framework.framework_pivot(_hand_made())
    assert list(wide.columns) == ["case_id", *framework.CASE_ATTRIBUTES, "G1", "G2", "F1"]
    assert wide["case_id"].tolist() == ["p1", "p2", "p3"]
    assert wide.set_index("case_id").loc["p1", ["G1", "G2", "F1"]].tolist() == [2, 1, 0]
    cells = framework.framework_pivot(_hand_made(), "cell").set_index("case_id")
    assert cells.loc["p1", "G1"] == "[2 segments: s1; s2]"


def test_preview_counts_segments_per_site_and_code():
    coded = qualitative.coded_frame(SEGMENTS, PEOPLE, BOOK, SITES)
    people = qualitative.participant_frame(PEOPLE, SITES)
    preview = framework.framework_preview(coded, BOOK, people)
    assert list(preview.columns) == ["site_id", "site", "n_G1", "n_G2", "n_F1"]
    assert preview["site"].tolist() == ["Ashcombe", "Brackwater"]
    assert preview.set_index("site_id").loc["S1", ["n_G1", "n_G2", "n_F1"]].tolist() == [3, 1, 1]
    gaps = framework.framework_preview(coded, BOOK, people, branches=["gaps"])
    assert list(gaps.columns) == ["site_id", "site", "n_G1", "n_G2"]


def test_workbook_round_trip_keeps_researcher_summaries(material, tmp_path):
    _, coded, people = material
    tidy = framework.framework_matrix(coded, material[0].codebook, people, branches=THEMES)
    edits = {
        0: "Zoë (HV) finds rule 3 “hard to apply”.\nSecond line — with a dash\n\nand a gap.",
        7: "= not a formula, starts with an equals sign",
        11: "Windows line end\r\nkept as a plain line break? No: see below.",
        25: "[3 segments: looks like our line] but is a summary",
        40: "Emoji and accents: 👩🏽‍⚕️ Siobhán, Oluwaseun; tabs\tand  spaces  ",
    }
    for row, text in edits.items():
        tidy.loc[row, "summary"] = text
    path = framework.write_framework_workbook(tidy, tmp_path / "matrix.xlsx")
    back = framework.read_framework_workbook(path)
    expected = tidy.copy()
    expected.loc[11, "summary"] = edits[11].replace("\r\n", "\n")  # Excel keeps \n only
    pd.testing.assert_frame_equal(back, expected)


def test_summaries_edited_in_excel_come_back(tmp_path):
    from openpyxl import load_workbook

    tidy = _hand_made()
    path = framework.write_framework_workbook(tidy, tmp_path / "m.xlsx")
    wb = load_workbook(path)
    ws = wb["Gaps"]
    header = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(header, start=1) if str(h).startswith("G1\n"))
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "p2")
    cell = ws.cell(row, col)
    cell.value = "Says the advice ignores dads.\n" + cell.value
    # a researcher who lost the count line: the hidden sheet supplies count and refs
    row1 = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "p1")
    ws.cell(row1, col).value = "Overwrote the whole cell."
    # and sorted the rows: cases are matched by the Case column
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    for r, vals in enumerate(reversed(values), start=2):
        for c, v in enumerate(vals, start=1):
            ws.cell(r, c).value = v
    wb.save(path)
    back = framework.read_framework_workbook(path).set_index(["case_id", "code_id"])
    assert back.loc[("p2", "G1"), "summary"] == "Says the advice ignores dads."
    assert back.loc[("p2", "G1"), "n_segments"] == 1
    assert back.loc[("p1", "G1"), "summary"] == "Overwrote the whole cell."
    assert back.loc[("p1", "G1"), ["n_segments", "segment_refs"]].tolist() == [2, "s1; s2"]
    assert back.loc[("p3", "G1"), "segment_refs"] == "s6"


def test_workbook_layout(tmp_path):
    from openpyxl import load_workbook

    path = framework.write_framework_workbook(_hand_made(), tmp_path / "m.xlsx", about=["Hi"])
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["About", "Gaps", "Father practice"]
    assert {wb[s].sheet_state for s in framework.HIDDEN_SHEETS} == {"hidden"}
    assert "Do not publish" in " ".join(str(c.value) for c in wb["About"]["A"])
    ws = wb["Gaps"]
    assert [c.value for c in ws[1]][:5] == ["Case", "Site", "Agency", "Role", "Method"]
    assert ws.cell(2, 3).value == "Midwifery" and ws.cell(2, 4).value == "Practitioner"
    assert ws.freeze_panes == "F2"
    assert ws.cell(1, 6).value == "G1\nFathers"
    assert ws.cell(2, 6).alignment.wrap_text
    assert ws.column_dimensions["F"].width == framework.CODE_WIDTH
    assert ws.column_dimensions["C"].width > 15
    site_book = framework.write_framework_workbook(_hand_made("site"), tmp_path / "s.xlsx")
    ws = load_workbook(site_book)["Gaps"]
    assert [c.value for c in ws[1]][:2] == ["Case", "Site"] and ws.freeze_panes == "C2"


# ---------------------------------------------------------------------------
# The workbook as a working file: merged on rerun, never overwritten
# ---------------------------------------------------------------------------


def test_merge_keeps_filled_cells_and_adds_new_cases_codes_and_themes(tmp_path):
    first = _hand_made()
    path = framework.write_framework_workbook(first, tmp_path / "m.xlsx")
    charted = framework.read_framework_workbook(path)
    row = charted.index[(charted["case_id"] == "p1") & (charted["code_id"] == "G1")][0]
    charted.loc[row, "summary"] = "Wants examples about fathers."
    # later: p1 coded once more under G1, a new participant p4, a new gap code G3
    book = pd.concat(
        [
            BOOK,
            pd.DataFrame(
                {"code_id": ["G3"], "parent_id": ["GAP"], "label": ["Adults"], "branch": ["gaps"]}
            ),
        ],
        ignore_index=True,
    )
    people = pd.concat(
        [
            PEOPLE,
            pd.DataFrame(
                {
                    "participant_id": ["p4"],
                    "site_id": ["S2"],
                    "agency": ["police"],
                    "role": ["manager"],
                    "method": ["interview"],
                }
            ),
        ],
        ignore_index=True,
    )
    more = pd.DataFrame(
        [
            ("s7", "G1", "i1", "interview", "S1", "p1"),
            ("s8", "G3", "i4", "interview", "S2", "p4"),
            ("s9", "G2", "i1", "interview", "S1", "p2"),
        ],
        columns=SEGMENTS.columns,
    )
    coded = qualitative.coded_frame(pd.concat([SEGMENTS, more]), people, book, SITES)
    fresh = framework.framework_matrix(coded, book, qualitative.participant_frame(people, SITES))
    merged = framework.merge_framework(charted, fresh)
    cell = merged.set_index(["case_id", "code_id"])
    # the filled cell is kept exactly (its count too); empty cells take the new counts
    assert cell.loc[("p1", "G1"), ["summary", "n_segments", "segment_refs"]].tolist() == [
        "Wants examples about fathers.",
        2,
        "s1; s2",
    ]
    assert cell.loc[("p2", "G2"), ["n_segments", "segment_refs"]].tolist() == [1, "s9"]
    assert cell.loc[("p4", "G3"), "n_segments"] == 1
    # order: old cases and codes first, new ones after; every case has every code
    gaps = merged[merged["branch"] == "gaps"]
    assert list(dict.fromkeys(gaps["case_id"])) == ["p1", "p2", "p3", "p4"]
    assert list(dict.fromkeys(gaps["code_id"])) == ["G1", "G2", "G3"]
    assert len(merged) == 4 * 4
    # written and read back: the new column is in the Gaps sheet, nothing lost
    framework.write_framework_workbook(merged, path)
    back = framework.read_framework_workbook(path)
    assert framework.same_matrix(back, merged)
    assert not framework.same_matrix(back, charted)
    old = charted.set_index(["case_id", "code_id"])
    new = back.set_index(["case_id", "code_id"]).loc[old.index]
    assert (new["summary"] == old["summary"]).all()
    assert framework.merge_framework(None, fresh).equals(fresh)


def test_merge_keeps_cases_and_codes_no_longer_coded():
    charted = _hand_made()
    charted.loc[charted["case_id"] == "p3", "summary"] = "Left the service."
    fresh = charted[(charted["case_id"] != "p3") & (charted["code_id"] != "G2")]
    merged = framework.merge_framework(charted, fresh)
    assert framework.same_matrix(merged, charted)


def test_charted_summaries_lists_only_filled_cells():
    tidy = _hand_made()
    tidy.loc[3, "summary"] = "A summary."
    tidy.loc[5, "summary"] = "   "
    out = framework.charted_summaries(tidy)
    assert out["summary"].tolist() == ["A summary."]
    assert out.loc[0, "code_id"] == tidy.loc[3, "code_id"]
    assert list(out.columns) == [
        "branch",
        "code_id",
        "code_label",
        "case_id",
        *framework.CASE_ATTRIBUTES,
        "summary",
    ]
