"""Tests for srim_analysis.analyses.qda.merge: ``srim import-qda FILE --into STUDY`` (issue #17).

Every export is built below with the REFI-QDA builder of ``test_qda.py`` and validated
against the standard's XSD; the study folders are written in each test. Known answers:
which site, method and (pseudonymised) participant each coding gets, what the mapping
sheet asks for, what a re-import replaces, and what notebook 04's counts give.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest
import xmlschema

from srim_analysis import paths
from srim_analysis.analyses import agreement, qualitative
from srim_analysis.analyses.qda import (
    MAPPING_FILE,
    MergeError,
    QdaImportWarning,
    cli,
    merge_into,
    read_qda,
)
from srim_analysis.analyses.qda.merge import IMPORTS_FILE, MAPPING_COLUMNS, SKELETON_MARK
from srim_analysis.disclosure.pseudonyms import KEY_ENV_VAR, KEY_FILE_ENV_VAR, pseudonymise
from srim_analysis.study.contract import CODEBOOK
from srim_analysis.study.loading import load_study, validate_study
from srim_analysis.study.plan import read_plan
from tests.analyses.test_qda import XSD, Qde, guid, span, sub, write_qdpx

KEY = b"a test key for the merge tests, not real"

# ---------------------------------------------------------------------------
# The export: three people, four sources, seven codings
# ---------------------------------------------------------------------------

TEXT_Q = (
    "Q: What do you do first?\n"
    "A: I seek advice from my manager before sharing.\n"
    "A: I am worried about being sanctioned.\n"
)
TEXT_F = "F: Has anyone read the advice?\nM: I have read it twice.\nX: Our IT access is poor.\n"
PDF_TEXT = "Share when a child is at risk."

ANN = 1
GOLDEN, SEEK = 101, 102
STANCE, CRITICAL = 111, 112
FEAR, IT = 121, 122  # ATLAS.ti style: "Barriers::..."
AWARE, READ = 131, 132
V_SITE, V_METHOD, V_AGENCY, V_ROLE = 201, 202, 203, 204
ROBIN, MINA, JO = 301, 302, 303
SRC_Q, SRC_F, SRC_P, SRC_PDF = 401, 402, 403, 404
SEL_Q1, SEL_Q2, SEL_F1, SEL_F2, SEL_P1, SEL_PDF = 501, 502, 503, 504, 505, 506

#: What the export calls its people and sources: none of it may reach the study folder.
ORIGINAL_IDS = (
    "Robin Quayle",
    "Mina Osei",
    "Jo Pike",
    "Quayle transcript",
    "Osei focus group",
    "Pike interview",
    "Northam protocol",
)


def export(
    *,
    linked: bool = True,
    with_focus_group: bool = True,
    second_q_code: int = FEAR,
    with_missing_text: bool = False,
) -> Qde:
    """Return the export: ``linked=False`` leaves Robin's interview without a case."""
    qde = Qde(name="Merge study project")
    qde.user(ANN, "Ann Coder")
    golden = qde.code(GOLDEN, "Golden rules")
    qde.code(SEEK, "Seek advice", golden)
    stance = qde.code(STANCE, "Stance")
    qde.code(CRITICAL, "Critical", stance)
    qde.code(FEAR, "Barriers::Fear of sanction")
    qde.code(IT, "Barriers::IT access")
    aware = qde.code(AWARE, "Awareness")
    qde.code(READ, "Read it", aware)
    for n, name in ((V_SITE, "Site"), (V_METHOD, "Method"), (V_AGENCY, "Agency"), (V_ROLE, "Role")):
        qde.variable(n, name)

    person = [(V_AGENCY, "Police", "TextValue"), (V_ROLE, "Practitioner", "TextValue")]
    if linked:
        where = [(V_SITE, "Northam", "TextValue"), (V_METHOD, "Interview", "TextValue")]
        qde.case(ROBIN, "Robin Quayle", values=person + where, sources=[SRC_Q])
    if with_focus_group:
        qde.case(
            MINA,
            "Mina Osei",
            values=[(V_AGENCY, "Midwifery", "TextValue"), (V_ROLE, "Team manager", "TextValue")],
            selections=[SEL_F1],
        )
    if with_missing_text:
        qde.case(
            JO,
            "Jo Pike",
            values=[
                (V_AGENCY, "education", "TextValue"),
                (V_ROLE, "practitioner", "TextValue"),
                (V_SITE, "NA1", "TextValue"),
                (V_METHOD, "interview", "TextValue"),
            ],
            sources=[SRC_P],
        )

    q = qde.source(SRC_Q, "Quayle transcript", content=TEXT_Q)
    qde.selection(
        q,
        SEL_Q1,
        *span(TEXT_Q, "I seek advice from my manager"),
        codes=[(601, SEEK, ANN), (602, CRITICAL, ANN)],
    )
    qde.selection(
        q,
        SEL_Q2,
        *span(TEXT_Q, "worried about being sanctioned"),
        codes=[(603, second_q_code, ANN)],
    )
    if with_focus_group:
        f = qde.source(SRC_F, "Osei focus group", content=TEXT_F)
        qde.selection(f, SEL_F1, *span(TEXT_F, "I have read it twice"), codes=[(604, READ, ANN)])
        qde.selection(f, SEL_F2, *span(TEXT_F, "Our IT access is poor"), codes=[(605, IT, ANN)])
        Qde.value(f, V_METHOD, "Focus group")
        Qde.value(f, V_SITE, "SB2")
    if with_missing_text:
        p = qde.source(SRC_P, "Pike interview.txt", path="internal://pike.txt")  # not in zip
        qde.selection(p, SEL_P1, 10, 30, codes=[(606, CRITICAL, ANN)])

    pdf = sub(qde.section("Sources"), "PDFSource", guid=guid(SRC_PDF), name="Northam protocol.pdf")
    box = sub(
        pdf,
        "PDFSelection",
        guid=guid(SEL_PDF),
        page="2",
        firstX="10",
        firstY="20",
        secondX="300",
        secondY="60",
    )
    sub(sub(box, "Representation", guid=guid(SEL_PDF + 50)), "PlainTextContent", PDF_TEXT)
    coding = sub(box, "Coding", guid=guid(607), creatingUser=guid(ANN))
    sub(coding, "CodeRef", targetGUID=guid(SEEK))
    Qde.value(pdf, V_METHOD, "Document")
    Qde.value(pdf, V_SITE, "Northam")
    return qde


@pytest.fixture(scope="module")
def schema():
    """Return the REFI-QDA project schema."""
    return xmlschema.XMLSchema(str(XSD))


def write_export(path: Path, qde: Qde) -> Path:
    return write_qdpx(path, qde.xml(), {})


SITES_CSV = (
    "site_id,display_name,ons_code,region,authority_type,role,initiative_start\n"
    "NA1,Northam,E06000101,North East,unitary authority,comparison,\n"
    "SB2,Southby,E08000102,South West,metropolitan borough,comparison,\n"
)
PLAN_TOML = """kind = "real"
name = "Merge test"

[codes.stance]
critical = "critical"

[codes.awareness]
read = "read_it"

[codes.themes]
barriers = "barriers"
"""


def study_folder(path: Path, toml: str = PLAN_TOML) -> Path:
    path.mkdir(parents=True)
    (path / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    (path / "study.toml").write_text(toml, encoding="utf-8")
    return path


def pid(name: str) -> str:
    return pseudonymise(name, KEY, "P")


def merged(tmp_path: Path, qde: Qde | None = None, folder: Path | None = None, quiet: bool = True):
    """Import an export (the main one by default) into a study folder; return both.

    ``quiet``: fail on any import warning (the exports without missing text give none).
    """
    folder = folder or study_folder(tmp_path / "study")
    with warnings.catch_warnings():
        warnings.simplefilter("error" if quiet else "ignore", QdaImportWarning)
        result = read_qda(write_export(tmp_path / "export.qdpx", qde or export()))
    return folder, merge_into(result, folder, KEY)


def segments_of(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "coded_segments.csv", dtype=str, keep_default_na=False)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_the_exports_are_valid_refi_qda(schema) -> None:
    schema.validate(export().xml().decode("utf-8"))
    schema.validate(export(linked=False, with_missing_text=True).xml().decode("utf-8"))


def test_cases_and_variables_link_codings_to_sites_and_participants(tmp_path: Path) -> None:
    folder, outcome = merged(tmp_path)
    assert outcome.done and outcome.needs == []
    seg = segments_of(folder)
    columns = ["excerpt", "code_id", "site_id", "method", "participant_id"]
    got = sorted(map(tuple, seg[columns].values.tolist()))
    robin, mina = pid("Robin Quayle"), pid("Mina Osei")
    assert got == sorted(
        [
            ("I seek advice from my manager", "seek_advice", "NA1", "interview", robin),
            ("I seek advice from my manager", "critical", "NA1", "interview", robin),
            ("worried about being sanctioned", "fear_of_sanction", "NA1", "interview", robin),
            ("I have read it twice", "read_it", "SB2", "focus_group", mina),
            ("Our IT access is poor", "it_access", "SB2", "focus_group", ""),
            (PDF_TEXT, "seek_advice", "NA1", "document", ""),
        ]
    )
    people = pd.read_csv(folder / "participants.csv", dtype=str, keep_default_na=False)
    assert people.to_dict("records") == [
        {
            "participant_id": pid("Robin Quayle"),
            "site_id": "NA1",
            "agency": "police",
            "role": "practitioner",
            "method": "interview",
            "years_in_role": "",
            "other_methods": "",
        },
        {
            "participant_id": pid("Mina Osei"),
            "site_id": "SB2",
            "agency": "midwifery",
            "role": "manager",
            "method": "focus_group",
            "years_in_role": "",
            "other_methods": "",
        },
    ]
    assert not (folder / MAPPING_FILE).exists()


def test_ids_are_pseudonymised_and_the_originals_never_written(tmp_path: Path) -> None:
    folder, outcome = merged(tmp_path, export(with_missing_text=True), quiet=False)
    assert outcome.done
    seg = segments_of(folder)
    assert set(seg["participant_id"]) - {""} == {
        pid("Robin Quayle"),
        pid("Mina Osei"),
        pid("Jo Pike"),
    }
    assert seg["source_id"].str.fullmatch(r"SRC-[0-9A-F]{8}").all()
    assert (seg["segment_id"].str.rsplit(".", n=1).str[0] == seg["source_id"]).all()
    assert seg["source_id"].nunique() == 4
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"codebook.csv", "coded_segments.csv", IMPORTS_FILE}
    for path in written:
        text = path.read_text(encoding="utf-8").casefold()
        for original in ORIGINAL_IDS:
            assert original.casefold() not in text, (original, path.name)


def test_a_coding_without_its_text_is_kept_and_flagged(tmp_path: Path) -> None:
    folder, _ = merged(tmp_path, export(with_missing_text=True), quiet=False)
    seg = segments_of(folder)
    kept = seg[seg["excerpt_missing"] == "1"]
    assert kept[["code_id", "start", "end", "coder", "excerpt", "site_id", "method"]].to_dict(
        "records"
    ) == [
        {
            "code_id": "critical",
            "start": "10",
            "end": "30",
            "coder": "Ann Coder",
            "excerpt": "",
            "site_id": "NA1",
            "method": "interview",
        }
    ]
    assert kept["participant_id"].tolist() == [pid("Jo Pike")]
    assert (seg.loc[seg["excerpt_missing"] == "0", "excerpt"] != "").all()
    # Counts need no text: the merged folder, blank excerpt and all, is a valid study
    report, _ = validate_study(folder)
    assert report.errors == []


def test_a_pdf_selection_with_its_text_inline_is_imported_as_text(tmp_path: Path) -> None:
    folder, _ = merged(tmp_path)
    seg = segments_of(folder)
    pdf = seg[seg["method"] == "document"]
    assert pdf[["excerpt", "code_id", "excerpt_missing", "coder"]].values.tolist() == [
        [PDF_TEXT, "seek_advice", "0", "Ann Coder"]
    ]


def test_atlas_category_names_become_a_parent_and_a_child(tmp_path: Path) -> None:
    result = read_qda(write_export(tmp_path / "export.qdpx", export()))
    book = result.codebook.set_index("code_id")
    assert book.loc["barriers", "label"] == "Barriers" and pd.isna(
        book.loc["barriers", "parent_id"]
    )
    assert book.loc["fear_of_sanction", ["parent_id", "label"]].tolist() == [
        "barriers",
        "Fear of sanction",
    ]
    assert book.loc["it_access", "parent_id"] == "barriers"
    assert (result.codebook["code_id"] == "barriers").sum() == 1
    assert "code_categories" in set(result.report["kind"])


def test_atlas_categories_nest_and_reuse_a_code_of_that_name(tmp_path: Path) -> None:
    qde = Qde()
    qde.code(1, "Consent::Explicit::Written")
    qde.code(2, "Consent")
    qde.code(3, "Consent::Implied")
    result = read_qda(write_export(tmp_path / "nest.qdpx", qde))
    rows = result.codebook[["code_id", "parent_id", "label"]].fillna("").values.tolist()
    assert rows == [
        ["consent", "", "Consent"],
        ["explicit", "consent", "Explicit"],
        ["written", "explicit", "Written"],
        ["implied", "consent", "Implied"],
    ]


def test_codes_keep_the_tools_names_and_take_branches_from_the_plan(tmp_path: Path) -> None:
    folder, _ = merged(tmp_path)
    book = pd.read_csv(folder / "codebook.csv", dtype=str, keep_default_na=False)
    branch = dict(zip(book["code_id"], book["branch"], strict=True))
    assert branch == {
        "golden_rules": "golden_rules",
        "seek_advice": "golden_rules",
        "stance": "stance",
        "critical": "stance",
        "barriers": "barriers",
        "fear_of_sanction": "barriers",
        "it_access": "barriers",
        "awareness": "awareness",
        "read_it": "awareness",
    }
    assert list(book.columns) == CODEBOOK.column_names


def test_branch_is_emergent_when_neither_plan_nor_name_says(tmp_path: Path) -> None:
    qde = Qde()
    qde.code(1, "Trust")
    folder = study_folder(tmp_path / "s", 'kind = "real"\nname = "t"\n')
    merge_into(read_qda(write_export(tmp_path / "t.qdpx", qde)), folder, KEY)
    book = pd.read_csv(folder / "codebook.csv", dtype=str)
    assert book[["code_id", "branch"]].values.tolist() == [["trust", "emergent"]]


def test_merged_folder_validates_and_notebook_04_counts_work(tmp_path: Path) -> None:
    folder, _ = merged(tmp_path)
    report, _ = validate_study(folder)
    assert report.ok, str(report)
    study = load_study(folder)
    assert study.plan.codes.stance_columns() == {"critical": "critical"}
    coded, people = qualitative.material(study)
    freq = qualitative.code_frequencies(coded, by=None).set_index("code_id")
    assert freq.loc[["seek_advice", "critical", "read_it", "it_access"], [
        "n_participants", "n_segments", "n_sources"
    ]].values.tolist() == [[1, 2, 2], [1, 1, 1], [1, 1, 1], [0, 1, 1]]  # fmt: skip
    by_agency = qualitative.code_frequencies(coded, by="agency", codes=["seek_advice"])
    assert by_agency[["agency", "n_participants", "n_segments"]].values.tolist() == [
        ["police", 1, 1],
        ["unattributed", 0, 1],
    ]
    assert len(people) == 2


BOB_CODER = 2


def double_coded_export() -> Qde:
    """The main export with a second coder, Bob, on the Quayle transcript.

    Bob codes the same two passages: "Seek advice" and "Fear of sanction" as Ann did, but
    not "Critical" (Ann's second code on the first passage).
    """
    qde = export()
    qde.user(BOB_CODER, "Bob Coder")
    q = next(el for el in qde.section("Sources") if el.get("guid") == guid(SRC_Q))
    first, second = span(TEXT_Q, "I seek advice from my manager"), span(TEXT_Q, "being sanctioned")
    qde.selection(q, 511, *first, codes=[(611, SEEK, BOB_CODER)])
    qde.selection(q, 512, *second, codes=[(612, FEAR, BOB_CODER)])
    return qde


def test_a_double_coded_export_keeps_each_coder_and_gives_agreement(tmp_path: Path) -> None:
    folder, outcome = merged(tmp_path, double_coded_export())
    assert outcome.done
    seg = segments_of(folder)
    quayle = seg[seg["coder"] == "Bob Coder"]
    assert sorted(quayle["code_id"]) == ["fear_of_sanction", "seek_advice"]
    # Bob's "Seek advice" shares Ann's segment id (the same text); his second selection
    # is a shorter stretch inside Ann's, so a segment of its own that overlaps hers.
    ann = seg[(seg["coder"] == "Ann Coder") & (seg["source_id"].isin(quayle["source_id"]))]
    seek = seg[seg["code_id"] == "seek_advice"].groupby("coder")["segment_id"].first()
    assert seek["Ann Coder"] == seek["Bob Coder"]
    fear = seg[seg["code_id"] == "fear_of_sanction"].groupby("coder")["segment_id"].first()
    assert fear["Ann Coder"] != fear["Bob Coder"]
    report, _ = validate_study(folder)
    assert report.ok, str(report)
    study = load_study(folder)
    assert set(study.coded_segments["coder"]) == {"Ann Coder"}  # the primary coder's
    assert len(study.all_codings) == len(seg)
    by_segment = agreement.agreement_table(study.all_codings, study.codebook, unit="segment")
    rows = by_segment.set_index("code_id")
    assert rows["n_units"].unique().tolist() == [2]  # the two passages of the transcript
    assert rows.loc[["seek_advice", "critical", "fear_of_sanction"], "pct_agreement"].tolist() == [
        100.0,
        50.0,
        100.0,
    ]
    assert rows["coders"].unique().tolist() == [2]
    assert len(ann) == 3


def test_mapping_sheet_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY.decode())
    monkeypatch.delenv(KEY_FILE_ENV_VAR, raising=False)
    folder = study_folder(tmp_path / "study")
    qdpx = write_export(tmp_path / "export.qdpx", export(linked=False))
    assert cli([str(qdpx), "--into", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "source 'Quayle transcript': no site (site_id)" in out
    assert "source 'Quayle transcript': no method" in out
    assert MAPPING_FILE in out
    assert not (folder / "coded_segments.csv").exists()  # nothing merged yet
    sheet = pd.read_csv(folder / MAPPING_FILE, dtype=str, keep_default_na=False)
    assert list(sheet.columns) == MAPPING_COLUMNS
    assert sheet.values.tolist() == [
        ["Quayle transcript", "", "", "", "", ""],
        ["Osei focus group", "SB2", "", "focus_group", "", ""],
        ["Osei focus group", "SB2", pid("Mina Osei"), "focus_group", "midwifery", "manager"],
        ["Northam protocol.pdf", "NA1", "", "document", "", ""],
    ]
    # the researcher fills the blanks, naming the interviewee as in their own records
    sheet.loc[0, ["site_id", "participant_id", "method", "agency", "role"]] = [
        "Northam",
        "Robin Quayle",
        "Interview",
        "Police",
        "senior_practitioner",
    ]
    # a row for a source the export no longer has does not stop the import, and is kept
    sheet.loc[len(sheet)] = ["Dropped source", "SB2", "", "interview", "", ""]
    sheet.to_csv(folder / MAPPING_FILE, index=False)
    assert cli([str(qdpx), "--into", str(folder)]) == 0
    assert "source 'Dropped source' is not in this export" in capsys.readouterr().out
    seg = segments_of(folder)
    robin = seg[seg["participant_id"] == pid("Robin Quayle")]
    assert len(robin) == 3 and set(robin["site_id"]) == {"NA1"}
    assert set(robin["method"]) == {"interview"}
    people = pd.read_csv(folder / "participants.csv", dtype=str).set_index("participant_id")
    assert people.loc[pid("Robin Quayle"), ["agency", "role"]].tolist() == [
        "police",
        "senior_practitioner",
    ]
    # the name typed in the sheet is replaced by its pseudonym
    rewritten = (folder / MAPPING_FILE).read_text(encoding="utf-8")
    assert "Robin Quayle" not in rewritten and pid("Robin Quayle") in rewritten
    assert rewritten.splitlines()[-1] == "Dropped source,SB2,,interview,,"
    assert validate_study(folder)[0].ok


def test_mapping_sheet_says_which_value_is_not_allowed(tmp_path: Path) -> None:
    folder = study_folder(tmp_path / "study")
    qde = export()
    for el in qde.section("Cases").iter():
        if el.text == "Team manager":
            el.text = "Ward sister"
        if el.text == "Northam":
            el.text = "Eastholm"
    _, outcome = merged(tmp_path, qde, folder)
    assert not outcome.done
    assert f"participant {pid('Mina Osei')} (source 'Osei focus group'): role 'Ward sister'" in (
        "\n".join(outcome.needs)
    )
    assert "source 'Quayle transcript': site 'Eastholm' is not a site of sites.csv" in (
        outcome.needs
    )
    assert "Fill in the blanks of" in outcome.summary()


def test_a_second_import_replaces_the_first_and_leaves_other_rows(tmp_path: Path) -> None:
    folder = study_folder(tmp_path / "study")
    mine = pseudonymise("someone else", KEY, "P")
    (folder / "participants.csv").write_text(
        "participant_id,site_id,agency,role,method,years_in_role\n"
        f"{mine},SB2,housing,manager,interview,2-5\n",
        encoding="utf-8",
    )
    (folder / "codebook.csv").write_text(
        "code_id,parent_id,label,description,branch,a_priori\nOWN,,Own code,,emergent,0\n",
        encoding="utf-8",
    )
    (folder / "coded_segments.csv").write_text(
        "segment_id,code_id,source_id,method,site_id,participant_id,source_date,excerpt\n"
        f"X.1,OWN,X,interview,SB2,{mine},,Typed by hand\n",
        encoding="utf-8",
    )
    merged(tmp_path, export(), folder)
    assert len(segments_of(folder)) == 7
    newer = export(with_focus_group=False, second_q_code=CRITICAL)
    write_export(tmp_path / "export-v2.qdpx", newer)
    result = read_qda(tmp_path / "export-v2.qdpx")
    outcome = merge_into(result, folder, KEY)
    assert outcome.replaced == {"coded_segments": 6, "codebook": 9, "participants": 1}
    seg = segments_of(folder)
    assert seg.iloc[0].to_dict()["excerpt"] == "Typed by hand"
    assert sorted(zip(seg["code_id"], seg["excerpt"], strict=True)) == sorted(
        [
            ("OWN", "Typed by hand"),
            ("seek_advice", "I seek advice from my manager"),
            ("critical", "I seek advice from my manager"),
            ("critical", "worried about being sanctioned"),
            ("seek_advice", PDF_TEXT),
        ]
    )
    people = pd.read_csv(folder / "participants.csv", dtype=str)
    assert people["participant_id"].tolist() == [mine, pid("Robin Quayle")]
    book = pd.read_csv(folder / "codebook.csv", dtype=str)
    assert book["code_id"].tolist()[0] == "OWN"
    assert "read_it" in set(book["code_id"])  # the newer export still has the code
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    merge_into(result, folder, KEY)  # the same export again changes nothing
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert validate_study(folder)[0].ok


def test_a_study_toml_without_a_plan_gets_a_commented_skeleton(tmp_path: Path) -> None:
    original = 'kind = "real"\nname = "No plan yet"\n'
    folder, outcome = merged(tmp_path, folder=study_folder(tmp_path / "s", original))
    text = (folder / "study.toml").read_text(encoding="utf-8")
    assert outcome.skeleton and text.startswith(original)
    assert SKELETON_MARK in text
    for line in (
        "#   golden_rules  (Golden rules)",
        "#   barriers  (Barriers)",
        "#   stance  (Stance)",
    ):
        assert line in text
    skeleton = text[len(original) :].splitlines()
    assert [line for line in skeleton if line and not line.startswith("#")] == []
    assert '# golden_rules = "golden_rules"  # The seven golden rules' in text
    plan, problems = read_plan(folder)
    assert problems == [] and not plan.codes.themes
    merge_into(read_qda(tmp_path / "export.qdpx"), folder, KEY)
    assert (folder / "study.toml").read_text(encoding="utf-8") == text  # appended once


def test_a_folder_with_a_plan_keeps_its_study_toml(tmp_path: Path) -> None:
    folder, outcome = merged(tmp_path)
    assert not outcome.skeleton
    assert (folder / "study.toml").read_text(encoding="utf-8") == PLAN_TOML


def test_a_new_folder_gets_a_real_study_toml(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    qde = Qde()
    qde.code(1, "Trust")
    merge_into(read_qda(write_export(tmp_path / "t.qdpx", qde)), folder, KEY)
    text = (folder / "study.toml").read_text(encoding="utf-8")
    assert text.startswith("# study.toml") and 'kind = "real"' in text and SKELETON_MARK in text


def test_into_needs_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV_VAR, raising=False)
    qdpx = write_export(tmp_path / "export.qdpx", export())
    assert cli([str(qdpx), "--into", str(tmp_path / "s")]) == 2
    assert "pseudonymisation key" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_into_refuses_the_report_option(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        cli(["x.qdpx", "--into", str(tmp_path), "--report", str(tmp_path / "r.csv")])


def test_never_into_the_shipped_synthetic_study(tmp_path: Path) -> None:
    result = read_qda(write_export(tmp_path / "export.qdpx", export()))
    before = sorted(p.name for p in paths.SYNTHETIC_DIR.iterdir())
    with pytest.raises(MergeError, match="shipped synthetic study"):
        merge_into(result, paths.SYNTHETIC_DIR, KEY)
    assert sorted(p.name for p in paths.SYNTHETIC_DIR.iterdir()) == before


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_real_data_only_where_git_cannot_commit_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True, env=env)
    (repo / ".gitignore").write_text("private/\n", encoding="utf-8")
    result = read_qda(write_export(tmp_path / "export.qdpx", export()))
    with pytest.raises(MergeError, match="git does not ignore this folder"):
        merge_into(result, repo / "shared", KEY)
    assert not (repo / "shared").exists()
    folder = study_folder(repo / "private" / "study")
    assert merge_into(result, folder, KEY).done


def test_a_folder_it_cannot_take_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    result = read_qda(write_export(tmp_path / "export.qdpx", export()))
    broken = study_folder(tmp_path / "broken", 'kind = "real"\nname = \n')
    with pytest.raises(MergeError, match=r"study\.toml: not valid TOML"):
        merge_into(result, broken, KEY)
    book = study_folder(tmp_path / "book")
    (book / "study.xlsx").write_bytes(b"")
    with pytest.raises(MergeError, match=r"keeps its tables in study\.xlsx"):
        merge_into(result, book, KEY)
    for folder in (broken, book):
        assert sorted(p.name for p in folder.iterdir()) in (
            ["sites.csv", "study.toml"],
            ["sites.csv", "study.toml", "study.xlsx"],
        )
