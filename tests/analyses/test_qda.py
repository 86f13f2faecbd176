"""Tests for srim_analysis.analyses.qda: REFI-QDA (.qdpx, .qdc), QualCoder and Taguette imports.

Every fixture is built in code below, so what each test reads is visible here. The main
.qdpx fixture is validated against the REFI-QDA Project.xsd kept in the shared reference
folder (the test is skipped, saying why, when that folder is absent).
"""

from __future__ import annotations

import json
import sqlite3
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
import xmlschema

from srim_analysis.analyses import agreement
from srim_analysis.analyses.qda import (
    QdaFormatError,
    QdaImportWarning,
    cli,
    detect_format,
    read_qda,
)
from srim_analysis.analyses.qda.offsets import SelectionSpan, resolve
from srim_analysis.analyses.qda.tables import slugify
from tests.conftest import REFERENCE

NS = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
XSD = REFERENCE / "refi-qda" / "Project.xsd"


# ---------------------------------------------------------------------------
# Texts and offsets
# ---------------------------------------------------------------------------

TEXT_A = "Interviewer: Tell me about the dad.\nZoë: I rang the dad's GP first, then the police."
#: CRLF line ends, accents, a ZWJ emoji sequence and an astral emoji before the selections,
#: so code points, CRLF-as-one, UTF-16 units and UTF-8 bytes all give different offsets.
TEXT_B = (
    "Zoë said: «the dad» 👨‍👧 came in.\r\n"
    "We checked the police record 🚓 first.\r\n"
    "Then the GP shared his history.\r\n"
)
TEXT_C = (
    "Facilitator: What stops you sharing?\n"
    "P07: We worry about GDPR, honestly.\n"
    "P08: We always record the decision now.\n"
)


def units(text: str, index: int, counting: str) -> int:
    """Return code-point position ``index`` of ``text`` as a vendor counting would give it.

    Written independently of srim_analysis.analyses.qda.offsets, from each habit's definition.
    """
    head = text[:index]
    if counting == "codepoints":
        return len(head)
    if counting == "codepoints_crlf1":
        return len(head.replace("\r\n", "\n"))
    if counting == "utf16":
        return len(head.encode("utf-16-le")) // 2
    if counting == "utf16_crlf1":
        return len(head.replace("\r\n", "\n").encode("utf-16-le")) // 2
    if counting == "codepoints_lf2":
        return len(head.replace("\r\n", "\n").replace("\n", "\r\n"))
    if counting == "utf8":
        return len(head.encode("utf-8"))
    raise ValueError(counting)


def span(text: str, excerpt: str, counting: str = "codepoints") -> tuple[int, int]:
    """Return the (start, end) of ``excerpt`` in ``text`` in a vendor counting."""
    start = text.index(excerpt)
    return units(text, start, counting), units(text, start + len(excerpt), counting)


# ---------------------------------------------------------------------------
# Building REFI-QDA projects
# ---------------------------------------------------------------------------


def guid(n: int) -> str:
    """Return a readable, schema-valid GUID numbered ``n``."""
    return f"00000000-0000-4000-8000-{n:012d}"


def q(tag: str, ns: str = NS) -> str:
    return f"{{{ns}}}{tag}"


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, q(tag), {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


class Qde:
    """A REFI-QDA project.qde under construction; sections come out in schema order."""

    SECTIONS = ("Users", "CodeBook", "Variables", "Cases", "Sources", "Sets")

    def __init__(self, name: str = "SRIM test project", **attrs: str) -> None:
        ET.register_namespace("", NS)
        self.root = ET.Element(q("Project"), {"name": name, "origin": "pytest builder", **attrs})
        self.sections: dict[str, ET.Element] = {}

    def section(self, name: str) -> ET.Element:
        if name not in self.sections:
            self.sections[name] = ET.Element(q(name))
            if name == "CodeBook":
                ET.SubElement(self.sections[name], q("Codes"))
        return self.sections[name]

    def user(self, n: int, name: str) -> None:
        sub(self.section("Users"), "User", guid=guid(n), name=name)

    def code(
        self,
        n: int,
        name: str,
        parent: ET.Element | None = None,
        color: str | None = None,
        description: str | None = None,
    ) -> ET.Element:
        where = parent if parent is not None else self.section("CodeBook")[0]
        el = sub(where, "Code", guid=guid(n), name=name, isCodable="true", color=color)
        if description:
            # Description must come before child codes: insert it first.
            d = ET.Element(q("Description"))
            d.text = description
            el.insert(0, d)
        return el

    def variable(self, n: int, name: str, kind: str = "Text") -> None:
        sub(self.section("Variables"), "Variable", guid=guid(n), name=name, typeOfVariable=kind)

    @staticmethod
    def value(parent: ET.Element, variable: int, value: str, kind: str = "TextValue") -> None:
        vv = sub(parent, "VariableValue")
        sub(vv, "VariableRef", targetGUID=guid(variable))
        sub(vv, kind, value)

    def case(
        self,
        n: int,
        name: str,
        values: Sequence[tuple[int, str, str]] = (),
        sources: Sequence[int] = (),
        selections: Sequence[int] = (),
    ) -> ET.Element:
        el = sub(self.section("Cases"), "Case", guid=guid(n), name=name)
        for variable, value, kind in values:
            self.value(el, variable, value, kind)
        for s in sources:
            sub(el, "SourceRef", targetGUID=guid(s))
        for s in selections:
            sub(el, "SelectionRef", targetGUID=guid(s))
        return el

    def source(
        self, n: int, name: str, *, content: str | None = None, path: str | None = None
    ) -> ET.Element:
        el = sub(self.section("Sources"), "TextSource", guid=guid(n), name=name, plainTextPath=path)
        if content is not None:
            sub(el, "PlainTextContent", content)
        return el

    def selection(
        self,
        source: ET.Element,
        n: int,
        start: int,
        end: int,
        codes: list[tuple[int, int, int]],
        name: str | None = None,
        description: str | None = None,
        user: int | None = None,
    ) -> ET.Element:
        """Add a selection; ``codes`` are (coding number, code number, user number)."""
        sel = ET.Element(
            q("PlainTextSelection"),
            {
                k: v
                for k, v in {
                    "guid": guid(n),
                    "name": name,
                    "startPosition": str(start),
                    "endPosition": str(end),
                    "creatingUser": guid(user) if user else None,
                }.items()
                if v is not None
            },
        )
        if description is not None:
            sub(sel, "Description", description)
        for coding, code, coder in codes:
            c = sub(sel, "Coding", guid=guid(coding), creatingUser=guid(coder))
            sub(c, "CodeRef", targetGUID=guid(code))
        # PlainTextSelection goes after PlainTextContent and before VariableValue.
        position = len([c for c in source if c.tag in {q("Description"), q("PlainTextContent")}])
        position += len(source.findall(q("PlainTextSelection")))
        source.insert(position, sel)
        return sel

    def set(
        self, n: int, name: str, codes: Sequence[int] = (), sources: Sequence[int] = ()
    ) -> None:
        el = sub(self.section("Sets"), "Set", guid=guid(n), name=name)
        for c in codes:
            sub(el, "MemberCode", targetGUID=guid(c))
        for s in sources:
            sub(el, "MemberSource", targetGUID=guid(s))

    def xml(self) -> bytes:
        root = self.root
        for name in self.SECTIONS:
            if name in self.sections:
                root.append(self.sections[name])
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_qdpx(
    path: Path, qde: bytes | str, sources: dict[str, bytes], project_name: str = "project.qde"
) -> Path:
    """Write a .qdpx zip with ``project.qde`` and ``sources/<name>`` files."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(project_name, qde)
        for name, data in sources.items():
            zf.writestr(f"sources/{name}", data)
    return path


# Numbering of the main fixture's objects (see guid()).
ALICE, BOB = 1, 2
GOLDEN, NECESSARY, RECORD = 101, 102, 103
BARRIERS, FEAR, BARRIERS_OTHER = 111, 112, 113
FACILITATORS, FACILITATORS_OTHER = 121, 122
FATHER_INVISIBLE = 131
TRANSFER, SHARED_RECORDS = 141, 142
V_SITE, V_METHOD, V_PARTICIPANT, V_DATE, V_ROLE = 201, 202, 203, 204, 205
CASE_P01, CASE_P07 = 301, 302
SRC_A, SRC_B, SRC_C = 401, 402, 403
SEL_A1, SEL_B1, SEL_B2, SEL_C1, SEL_C2 = 501, 502, 503, 504, 505
B_FILE = f"{guid(SRC_B)}.txt"


def main_project(qde: Qde | None = None) -> Qde:
    """The main fixture: two users, a code tree, three sources, five selections, two cases."""
    qde = qde or Qde()
    qde.user(ALICE, "Alice")
    qde.user(BOB, "Bob")

    golden = qde.code(GOLDEN, "Golden rules", color="#FF0000", description="The seven rules")
    qde.code(NECESSARY, "Necessary and proportionate", golden, color="#FF8080")
    qde.code(RECORD, "Record the decision", golden, description="Record what and why")
    barriers = qde.code(BARRIERS, "Barriers", color="#00FF00")
    qde.code(FEAR, "Fear of data protection", barriers)
    qde.code(BARRIERS_OTHER, "Other", barriers)
    facilitators = qde.code(FACILITATORS, "Facilitators")
    qde.code(FACILITATORS_OTHER, "Other", facilitators)
    qde.code(
        FATHER_INVISIBLE, "Father invisibility", description="Set a priori from the literature."
    )
    transfer = qde.code(TRANSFER, "Transfer components", color="#00F")
    qde.code(SHARED_RECORDS, "Shared records", transfer)

    qde.variable(V_SITE, "Site")
    qde.variable(V_METHOD, "Method")
    qde.variable(V_PARTICIPANT, "Participant")
    qde.variable(V_DATE, "Date", "Date")
    qde.variable(V_ROLE, "Role")

    qde.case(
        CASE_P01,
        "P01 Zoë",
        values=[
            (V_SITE, "S1", "TextValue"),
            (V_METHOD, "Interview", "TextValue"),
            (V_PARTICIPANT, "P01", "TextValue"),
            (V_DATE, "2024-06-03", "DateValue"),
            (V_ROLE, "Social worker", "TextValue"),
        ],
        sources=[SRC_A, SRC_B],
    )
    qde.case(
        CASE_P07,
        "P07",
        values=[(V_PARTICIPANT, "P07", "TextValue"), (V_ROLE, "Health visitor", "TextValue")],
        selections=[SEL_C1],
    )

    a = qde.source(SRC_A, "P01 interview part 1", content=TEXT_A)
    qde.selection(
        a,
        SEL_A1,
        *span(TEXT_A, "I rang the dad's GP first"),
        codes=[(601, NECESSARY, ALICE), (602, BARRIERS_OTHER, BOB)],
        name="I rang the dad's GP first",
        user=ALICE,
    )
    b = qde.source(SRC_B, "P01 interview part 2.txt", path=f"internal://{B_FILE}")
    qde.selection(
        b,
        SEL_B1,
        *span(TEXT_B, "the police record 🚓 first"),
        codes=[(603, FACILITATORS_OTHER, ALICE)],
        name="the police record 🚓 first",
        user=ALICE,
    )
    qde.selection(
        b,
        SEL_B2,
        *span(TEXT_B, "the GP shared his history"),
        codes=[(604, SHARED_RECORDS, BOB)],
        description="the GP shared his history",
        user=BOB,
    )
    c = qde.source(SRC_C, "Focus group S2", path="relative://focus group S2.txt")
    qde.selection(
        c,
        SEL_C1,
        *span(TEXT_C, "We worry about GDPR, honestly."),
        codes=[(605, FEAR, ALICE)],
        name="We worry about GDPR, honestly.",
    )
    qde.selection(
        c,
        SEL_C2,
        *span(TEXT_C, "We always record the decision now."),
        codes=[(606, RECORD, BOB)],
    )
    Qde.value(c, V_METHOD, "Focus group")
    Qde.value(c, V_SITE, "S2")
    Qde.value(c, V_DATE, "2024-07-01", "DateValue")

    qde.set(701, "Core rules", codes=[NECESSARY, RECORD], sources=[SRC_A])
    return qde


@pytest.fixture(scope="module")
def schema():
    """Return the REFI-QDA project schema (the standard's XSD, kept in tests/reference)."""
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def qdpx(tmp_path: Path) -> Path:
    """Write the main fixture: the .qdpx, with the relative source beside it."""
    (tmp_path / "focus group S2.txt").write_text(TEXT_C, encoding="utf-8", newline="")
    return write_qdpx(
        tmp_path / "srim.qdpx", main_project().xml(), {B_FILE: TEXT_B.encode("utf-8")}
    )


def read_quietly(path: Path, **kwargs: object):
    """Read a file, failing the test on any QdaImportWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", QdaImportWarning)
        return read_qda(path, **kwargs)  # type: ignore[arg-type]


def segments_by_excerpt(result) -> dict[str, pd.DataFrame]:
    seg = result.coded_segments
    return {e: seg[seg["excerpt"] == e] for e in seg["excerpt"].unique()}


# ---------------------------------------------------------------------------
# REFI-QDA: the main project
# ---------------------------------------------------------------------------


def test_main_fixture_is_valid_refi_qda(schema) -> None:
    schema.validate(main_project().xml().decode("utf-8"))


def test_detects_every_format(qdpx: Path, tmp_path: Path) -> None:
    assert detect_format(qdpx) == "refi-qdpx"
    assert detect_format(write_qdc(tmp_path / "book.qdc")) == "refi-qdc"
    assert detect_format(qualcoder_project(tmp_path / "proj.qda")) == "qualcoder"
    assert detect_format(tmp_path / "proj.qda" / "data.qda") == "qualcoder"
    assert detect_format(taguette_db(tmp_path / "tag.sqlite3")) == "taguette-sqlite"
    assert detect_format(taguette_csv(tmp_path / "hl.csv")) == "taguette-highlights"
    renamed = tmp_path / "export.zip"
    renamed.write_bytes(qdpx.read_bytes())
    assert detect_format(renamed) == "refi-qdpx"


def test_codebook_hierarchy_branches_and_ids(qdpx: Path) -> None:
    book = read_quietly(qdpx).codebook.set_index("code_id")
    assert list(book.index) == [
        "golden_rules",
        "necessary_and_proportionate",
        "record_the_decision",
        "barriers",
        "fear_of_data_protection",
        "barriers.other",
        "facilitators",
        "facilitators.other",
        "father_invisibility",
        "transfer_components",
        "shared_records",
    ]
    parents = book["parent_id"].dropna().to_dict()
    assert parents == {
        "necessary_and_proportionate": "golden_rules",
        "record_the_decision": "golden_rules",
        "fear_of_data_protection": "barriers",
        "barriers.other": "barriers",
        "facilitators.other": "facilitators",
        "shared_records": "transfer_components",
    }
    assert book.loc["barriers.other", "label"] == "Other"
    assert book["branch"].to_dict() == {
        "golden_rules": "golden_rules",
        "necessary_and_proportionate": "golden_rules",
        "record_the_decision": "golden_rules",
        "barriers": "barriers",
        "fear_of_data_protection": "barriers",
        "barriers.other": "barriers",
        "facilitators": "facilitators",
        "facilitators.other": "facilitators",
        "father_invisibility": "emergent",
        "transfer_components": "transfer_components",
        "shared_records": "transfer_components",
    }
    assert book["a_priori"].to_dict() == {
        "golden_rules": 1,
        "necessary_and_proportionate": 1,
        "record_the_decision": 1,
        "barriers": 0,
        "fear_of_data_protection": 0,
        "barriers.other": 0,
        "facilitators": 0,
        "facilitators.other": 0,
        "father_invisibility": 1,  # its description says a priori
        "transfer_components": 0,
        "shared_records": 0,
    }
    assert book.loc["golden_rules", "colour"] == "#FF0000"
    assert book.loc["transfer_components", "colour"] == "#00F"
    assert pd.isna(book.loc["barriers.other", "colour"])
    assert book.loc["record_the_decision", "description"] == "Record what and why"
    assert book.loc["golden_rules", "source_guid"] == guid(GOLDEN)
    assert book.loc["necessary_and_proportionate", "sets"] == "Core rules"
    assert book.index.str.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*").all()


def test_excerpts_are_cut_exactly(qdpx: Path) -> None:
    result = read_quietly(qdpx)
    seg = result.coded_segments
    assert len(seg) == 6
    assert seg["segment_id"].nunique() == 5
    assert result.counts["segments"] == 5
    assert result.counts["codings"] == 6
    a1 = seg[seg["segment_id"] == "p01_interview_part_1.001"]
    assert list(a1["code_id"]) == ["necessary_and_proportionate", "barriers.other"]
    assert list(a1["coder"]) == ["Alice", "Bob"]
    assert set(a1["excerpt"]) == {"I rang the dad's GP first"}
    by_id = seg.drop_duplicates("segment_id").set_index("segment_id")
    assert by_id["excerpt"].to_dict() == {
        "p01_interview_part_1.001": "I rang the dad's GP first",
        "p01_interview_part_2.001": "the police record 🚓 first",
        "p01_interview_part_2.002": "the GP shared his history",
        "focus_group_s2.001": "We worry about GDPR, honestly.",
        "focus_group_s2.002": "We always record the decision now.",
    }
    # start/end are code points into the source text as read.
    b1 = by_id.loc["p01_interview_part_2.001"]
    assert TEXT_B[b1["start"] : b1["end"]] == "the police record 🚓 first"
    assert by_id.loc["focus_group_s2.002", "selection_guid"] == guid(SEL_C2)
    sources = result.sources.set_index("source_id")
    assert set(sources["offset_counting"]) == {"codepoints"}


def test_variables_map_to_method_site_participant_date(qdpx: Path) -> None:
    seg = read_quietly(qdpx).coded_segments.drop_duplicates("segment_id")
    got = seg.set_index("segment_id")[["method", "site_id", "participant_id", "source_date"]]
    expected = {
        # Case "P01 Zoë" covers both interview sources.
        "p01_interview_part_1.001": ("interview", "S1", "P01", "2024-06-03"),
        "p01_interview_part_2.001": ("interview", "S1", "P01", "2024-06-03"),
        "p01_interview_part_2.002": ("interview", "S1", "P01", "2024-06-03"),
        # Focus group: method, site, date on the source; the speaker from a SelectionRef.
        "focus_group_s2.001": ("focus_group", "S2", "P07", "2024-07-01"),
        "focus_group_s2.002": ("focus_group", "S2", None, "2024-07-01"),
    }
    for seg_id, values in expected.items():
        row = tuple(None if pd.isna(v) else v for v in got.loc[seg_id])
        assert row == values, seg_id


def test_blank_participant_is_counted_in_the_report(qdpx: Path) -> None:
    report = read_quietly(qdpx).report
    row = report[(report["kind"] == "missing_variable") & (report["item"] == "participant_id")]
    assert len(row) == 1
    assert "blank for 1 of 6" in row["message"].iloc[0]
    assert read_quietly(qdpx).counts["blank_participant_id"] == 1
    assert row["level"].iloc[0] == "info"


def test_sources_table(qdpx: Path) -> None:
    src = read_quietly(qdpx).sources.set_index("source_id")
    assert list(src.index) == ["p01_interview_part_1", "p01_interview_part_2", "focus_group_s2"]
    assert src["n_characters"].tolist() == [len(TEXT_A), len(TEXT_B), len(TEXT_C)]
    assert src.loc["p01_interview_part_2", "name"] == "P01 interview part 2.txt"
    assert src.loc["p01_interview_part_2", "path"] == f"srim.qdpx!sources/{B_FILE}"
    assert src.loc["focus_group_s2", "path"].endswith("focus group S2.txt")
    assert pd.isna(src.loc["p01_interview_part_1", "path"])
    assert src.loc["p01_interview_part_1", "method"] == "interview"
    assert src.loc["focus_group_s2", "method"] == "focus_group"
    assert src.loc["focus_group_s2", "source_date"] == "2024-07-01"
    assert src.loc["p01_interview_part_1", "sets"] == "Core rules"
    assert src.loc["focus_group_s2", "source_guid"] == guid(SRC_C)


def test_cases_table(qdpx: Path) -> None:
    cases = read_quietly(qdpx).cases
    assert list(cases.columns) == [
        "case_id",
        "name",
        "Site",
        "Method",
        "Participant",
        "Date",
        "Role",
        "source_ids",
        "case_guid",
    ]
    p01 = cases.set_index("case_id").loc["p01_zoe"]
    assert p01["name"] == "P01 Zoë"
    assert (p01["Site"], p01["Method"], p01["Participant"], p01["Date"], p01["Role"]) == (
        "S1",
        "Interview",
        "P01",
        "2024-06-03",
        "Social worker",
    )
    assert p01["source_ids"] == "p01_interview_part_1; p01_interview_part_2"
    p07 = cases.set_index("case_id").loc["p07"]
    assert p07["Role"] == "Health visitor"
    assert pd.isna(p07["Site"])
    assert p07["source_ids"] == "focus_group_s2"


def test_counts_and_summary(qdpx: Path) -> None:
    result = read_quietly(qdpx)
    c = result.counts
    assert (c["codes"], c["top_level_codes"], c["sources"], c["cases"]) == (11, 5, 3, 2)
    assert (c["users"], c["sets"], c["variables"], c["warnings"]) == (2, 1, 5, 0)
    text = result.summary()
    assert "REFI-QDA project exported by pytest builder" in text
    assert "segments      5  (6 codings; blank: method 0, site_id 0, participant_id 1" in text


def test_relative_source_found_with_base_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "transcripts"
    elsewhere.mkdir()
    (elsewhere / "focus group S2.txt").write_text(TEXT_C, encoding="utf-8")
    qdpx = write_qdpx(tmp_path / "p.qdpx", main_project().xml(), {B_FILE: TEXT_B.encode("utf-8")})
    with (
        pytest.warns(QdaImportWarning, match="focus group S2.txt not found"),
        pytest.warns(QdaImportWarning, match="source text is not in the export"),
    ):
        read_qda(qdpx)
    result = read_quietly(qdpx, base_path=elsewhere)
    assert "We worry about GDPR, honestly." in set(result.coded_segments["excerpt"])


def test_unzipped_project_folder_reads_the_same(tmp_path: Path, qdpx: Path) -> None:
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(qdpx) as zf:
        zf.extractall(folder)
    (folder / "focus group S2.txt").write_text(TEXT_C, encoding="utf-8")
    a, b = read_quietly(qdpx), read_quietly(folder)
    pd.testing.assert_frame_equal(a.coded_segments, b.coded_segments)
    pd.testing.assert_frame_equal(a.codebook, b.codebook)


def test_pdf_representation_and_bare_qde(tmp_path: Path, schema) -> None:
    qde = Qde()
    qde.code(GOLDEN, "Golden rules")
    pdf = sub(qde.section("Sources"), "PDFSource", guid=guid(450), name="Protocol.pdf")
    sub(
        pdf,
        "PDFSelection",
        guid=guid(451),
        page="1",
        firstX="0",
        firstY="0",
        secondX="9",
        secondY="9",
    )
    rep = sub(pdf, "Representation", guid=guid(452), plainTextPath="internal://protocol.txt")
    qde.selection(rep, 453, *span(TEXT_B, "the GP shared his history"), [(690, GOLDEN, 1)])
    Qde.value(pdf, V_METHOD, "Document")
    qde.variable(V_METHOD, "method")
    xml = qde.xml()
    schema.validate(xml.decode("utf-8"))
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "protocol.txt").write_bytes(TEXT_B.encode("utf-8"))
    (tmp_path / "project.qde").write_bytes(xml)
    result = read_qda(tmp_path / "project.qde")
    assert result.coded_segments[["source_id", "excerpt", "method"]].values.tolist() == [
        ["protocol", "the GP shared his history", "document"]
    ]
    assert result.sources["source_guid"].tolist() == [guid(450)]
    assert "pdf_selections" in set(result.report["kind"])
    assert result.warnings == [
        "source 'Protocol.pdf': 1 PDF area selection(s) not imported (only text selections)"
    ]


# ---------------------------------------------------------------------------
# REFI-QDA: vendors' offset habits
# ---------------------------------------------------------------------------

COUNTINGS = ["codepoints", "codepoints_crlf1", "utf16", "utf16_crlf1", "utf8"]


def habit_project(text: str, counting: str, excerpts: list[str], named: bool = True) -> Qde:
    """A one-source project whose selections are positioned in a vendor counting."""
    qde = Qde()
    qde.code(GOLDEN, "Golden rules")
    src = qde.source(SRC_B, "vendor.txt", path=f"internal://{B_FILE}")
    for i, excerpt in enumerate(excerpts):
        qde.selection(
            src,
            SEL_A1 + i,
            *span(text, excerpt, counting),
            codes=[(600 + i, GOLDEN, ALICE)],
            name=excerpt if named else None,
        )
    return qde


@pytest.mark.parametrize("counting", COUNTINGS)
def test_vendor_offset_habits_are_detected(tmp_path: Path, counting: str, schema) -> None:
    excerpts = ["the police record 🚓 first", "the GP shared his history"]
    qde = habit_project(TEXT_B, counting, excerpts).xml()
    schema.validate(qde.decode("utf-8"))
    qdpx = write_qdpx(tmp_path / "v.qdpx", qde, {B_FILE: TEXT_B.encode("utf-8")})
    result = read_quietly(qdpx)
    assert list(result.coded_segments["excerpt"]) == excerpts
    assert result.sources["offset_counting"].tolist() == [counting]
    if counting != "codepoints":
        notes = result.report[result.report["kind"] == "offset_counting"]
        assert len(notes) == 1 and notes["level"].iloc[0] == "info"


def test_crlf_counted_as_one_also_fixes_selections_without_stored_text(tmp_path: Path) -> None:
    # One selection carries its text; the other has none and follows the source's habit.
    qde = habit_project(TEXT_B, "codepoints_crlf1", ["the police record 🚓 first"])
    src = qde.section("Sources")[0]
    qde.selection(
        src, 599, *span(TEXT_B, "Then the GP", "codepoints_crlf1"), codes=[(699, GOLDEN, BOB)]
    )
    qdpx = write_qdpx(tmp_path / "v.qdpx", qde.xml(), {B_FILE: TEXT_B.encode("utf-8")})
    result = read_quietly(qdpx)
    assert list(result.coded_segments["excerpt"]) == ["the police record 🚓 first", "Then the GP"]


def test_lf_text_with_crlf_positions(tmp_path: Path) -> None:
    lf_text = TEXT_B.replace("\r\n", "\n")
    qde = habit_project(lf_text, "codepoints_lf2", ["the GP shared his history"])
    qdpx = write_qdpx(tmp_path / "v.qdpx", qde.xml(), {B_FILE: lf_text.encode("utf-8")})
    result = read_quietly(qdpx)
    assert result.coded_segments["excerpt"].tolist() == ["the GP shared his history"]
    assert result.sources["offset_counting"].tolist() == ["codepoints_lf2"]


def test_inclusive_end_position_is_detected(tmp_path: Path) -> None:
    qde = Qde()
    qde.code(GOLDEN, "Golden rules")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    start, end = span(TEXT_A, "the dad's GP")
    qde.selection(src, SEL_A1, start, end - 1, [(601, GOLDEN, ALICE)], name="the dad's GP")
    qdpx = write_qdpx(tmp_path / "v.qdpx", qde.xml(), {})
    result = read_quietly(qdpx)
    assert result.coded_segments["excerpt"].tolist() == ["the dad's GP"]
    assert result.sources["offset_counting"].tolist() == ["codepoints+inclusive_end"]


def test_stored_text_mismatch_is_a_warning_and_the_cut_is_kept(tmp_path: Path) -> None:
    qde = Qde()
    qde.code(GOLDEN, "Golden rules")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    qde.selection(
        src, SEL_A1, *span(TEXT_A, "the police"), [(601, GOLDEN, ALICE)], name="Something else"
    )
    qdpx = write_qdpx(tmp_path / "v.qdpx", qde.xml(), {})
    with pytest.warns(QdaImportWarning, match="does not match the stored text"):
        result = read_qda(qdpx)
    assert result.coded_segments["excerpt"].tolist() == ["the police"]
    assert "excerpt_mismatch" in set(result.report["kind"])


def test_one_selection_with_another_habit_is_reported(tmp_path: Path) -> None:
    qde = habit_project(TEXT_B, "codepoints", ["the police record 🚓 first", "Then the GP"])
    src = qde.section("Sources")[0]
    qde.selection(
        src,
        599,
        *span(TEXT_B, "shared his history", "utf16"),
        codes=[(699, GOLDEN, BOB)],
        name="shared his history",
    )
    qdpx = write_qdpx(tmp_path / "v.qdpx", qde.xml(), {B_FILE: TEXT_B.encode("utf-8")})
    with pytest.warns(QdaImportWarning, match="UTF-16"):
        result = read_qda(qdpx)
    assert "shared his history" in set(result.coded_segments["excerpt"])
    assert result.sources["offset_counting"].tolist() == ["codepoints"]


def test_vendor_variations_are_tolerated(tmp_path: Path) -> None:
    """No namespace, braced upper-case GUID references, MemberSource in a case, absolute://."""
    transcript = tmp_path / "elsewhere" / "p03.txt"
    transcript.parent.mkdir()
    transcript.write_text(TEXT_C, encoding="utf-8")
    start, end = span(TEXT_C, "We worry about GDPR")
    code, var, src = guid(GOLDEN), guid(V_SITE), guid(SRC_C)
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project name="vendor">
  <CodeBook><Codes><Code guid="{code}" name="Barriers" isCodable="true"/></Codes></CodeBook>
  <Variables><Variable guid="{var}" name="site_id" typeOfVariable="Text"/></Variables>
  <Cases>
    <Case guid="{guid(CASE_P01)}" name="Site 3">
      <VariableValue><VariableRef targetGUID="{{{var.upper()}}}"/><TextValue>S3</TextValue>
      </VariableValue>
      <MemberSource targetGUID="{{{src.upper()}}}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{src}" name="P03" plainTextPath="absolute://{transcript.as_posix()}">
      <PlainTextSelection guid="{guid(SEL_C1)}" startPosition="{start}" endPosition="{end}">
        <Description>We worry about GDPR</Description>
        <Coding guid="{guid(601)}"><CodeRef targetGUID="{{{code.upper()}}}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>"""
    qdpx = write_qdpx(tmp_path / "vendor.qdpx", xml, {})
    with pytest.warns(QdaImportWarning, match="namespace is '\\(none\\)'"):
        result = read_qda(qdpx)
    seg = result.coded_segments
    assert seg[["code_id", "excerpt", "site_id"]].values.tolist() == [
        ["barriers", "We worry about GDPR", "S3"]
    ]
    assert result.sources["path"].tolist() == [str(transcript)]


def test_resolve_prefers_the_standard_when_countings_agree() -> None:
    text = "plain ascii text"
    key, cuts = resolve(text, [SelectionSpan(6, 11, ("ascii",))], ["codepoints", "utf8"])
    assert key == "codepoints"
    assert cuts[0] is not None and text[cuts[0].start : cuts[0].end] == "ascii"


# ---------------------------------------------------------------------------
# REFI-QDA: problems
# ---------------------------------------------------------------------------


def test_missing_source_file_warns_and_the_rest_loads(tmp_path: Path) -> None:
    qdpx = write_qdpx(tmp_path / "m.qdpx", main_project().xml(), {})  # no sources/, no relative
    with pytest.warns(QdaImportWarning) as caught:
        result = read_qda(qdpx)
    messages = " ".join(str(w.message) for w in caught)
    assert f"sources/{B_FILE} is not in the archive" in messages
    assert "focus group S2.txt not found" in messages
    src = result.sources.set_index("source_id")
    assert len(src) == 3
    assert pd.isna(src.loc["p01_interview_part_2", "n_characters"])
    seg = result.coded_segments
    assert seg["excerpt"].dropna().unique().tolist() == ["I rang the dad's GP first"]
    assert len(result.codebook) == 11
    # Issue #17: nothing coded is lost. The codings of the two sources without text are
    # kept with code, source, positions (as exported) and coder; excerpt blank and flagged.
    kept = seg[seg["excerpt_missing"] == 1]
    assert kept["excerpt"].isna().all()
    assert sorted(
        zip(
            kept["code_id"],
            kept["source_id"],
            kept["start"],
            kept["end"],
            kept["coder"],
            strict=True,
        )
    ) == sorted(
        [
            (
                "facilitators.other",
                "p01_interview_part_2",
                *span(TEXT_B, "the police record 🚓 first"),
                "Alice",
            ),
            (
                "shared_records",
                "p01_interview_part_2",
                *span(TEXT_B, "the GP shared his history"),
                "Bob",
            ),
            (
                "fear_of_data_protection",
                "focus_group_s2",
                *span(TEXT_C, "We worry about GDPR, honestly."),
                "Alice",
            ),
            (
                "record_the_decision",
                "focus_group_s2",
                *span(TEXT_C, "We always record the decision now."),
                "Bob",
            ),
        ]
    )
    assert (seg.loc[seg["excerpt_missing"] == 0, "excerpt"].notna()).all()
    assert result.counts["codings_without_text"] == 4
    report = result.report
    assert set(report.loc[report["kind"] == "missing_source", "level"]) == {"warning"}
    flagged = report[report["kind"] == "source_text_missing"]
    assert len(flagged) == 2 and set(flagged["level"]) == {"warning"}


def test_unknown_elements_warn_and_are_ignored(tmp_path: Path) -> None:
    qde = main_project()
    sub(qde.section("Sources")[0], "Highlight", colour="yellow")
    sub(qde.section("Sources")[0], "Highlight", colour="green")
    ET.SubElement(qde.root, "{urn:vendor:extras}Extras", {"x": "1"})
    (tmp_path / "focus group S2.txt").write_text(TEXT_C, encoding="utf-8")
    qdpx = write_qdpx(tmp_path / "u.qdpx", qde.xml(), {B_FILE: TEXT_B.encode("utf-8")})
    with pytest.warns(QdaImportWarning, match="unknown element") as caught:
        result = read_qda(qdpx)
    messages = [str(w.message) for w in caught]
    assert any("<Highlight> in <TextSource>" in m and "(2 times)" in m for m in messages)
    assert any("<Extras> in <Project>" in m and "urn:vendor:extras" in m for m in messages)
    assert len(result.coded_segments) == 6


def test_media_sources_notes_and_whole_source_codings_are_reported_as_skipped(
    tmp_path: Path,
) -> None:
    qde = Qde()
    qde.code(GOLDEN, "Golden rules")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    coding = sub(src, "Coding", guid=guid(690))
    sub(coding, "CodeRef", targetGUID=guid(GOLDEN))
    sub(qde.section("Sources"), "AudioSource", guid=guid(480), name="recording", path="x.m4a")
    xml = qde.xml()
    root = ET.fromstring(xml)
    notes = ET.Element(q("Notes"))
    note = sub(notes, "Note", guid=guid(490), name="memo")
    sub(note, "PlainTextContent", "A memo.")
    root.insert(list(root).index(root.find(q("Sources"))) + 1, notes)
    qdpx = write_qdpx(tmp_path / "s.qdpx", ET.tostring(root), {})
    result = read_quietly(qdpx)
    skipped = result.report[result.report["level"] == "skipped"]
    assert set(skipped["kind"]) == {"source_codings", "media_source", "notes"}


def test_malformed_zip_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.qdpx"
    bad.write_bytes(b"this is not a zip archive")
    with pytest.raises(QdaFormatError, match=r"broken\.qdpx: not a valid \.qdpx file"):
        read_qda(bad)


def test_malformed_xml_is_a_clear_error(tmp_path: Path) -> None:
    qdpx = write_qdpx(tmp_path / "x.qdpx", "<Project name='x'><Users></Project>", {})
    with pytest.raises(QdaFormatError, match=r"x\.qdpx: project\.qde: not well-formed XML.*line 1"):
        read_qda(qdpx)


def test_missing_project_qde_is_a_clear_error(tmp_path: Path) -> None:
    qdpx = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(qdpx, "w") as zf:
        zf.writestr("sources/a.txt", "text")
    with pytest.raises(QdaFormatError, match=r"empty\.qdpx: .*no project\.qde"):
        read_qda(qdpx)


def test_wrong_root_element_is_a_clear_error(tmp_path: Path) -> None:
    qdpx = write_qdpx(tmp_path / "r.qdpx", f"<Codes xmlns='{NS}'/>", {})
    with pytest.raises(QdaFormatError, match="root element is <Codes>, expected <Project>"):
        read_qda(qdpx)


def test_selections_on_the_same_text_share_a_segment(tmp_path: Path) -> None:
    """Vendors that export each code as its own selection still give co-coded segments."""
    qde = Qde()
    qde.user(ALICE, "Alice")
    qde.user(BOB, "Bob")
    qde.code(GOLDEN, "Golden rules")
    qde.code(BARRIERS, "Stance")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    where = span(TEXT_A, "the police")
    qde.selection(src, SEL_A1, *where, [(601, GOLDEN, ALICE)], user=ALICE)
    qde.selection(src, SEL_B1, *where, [(602, BARRIERS, ALICE)], user=ALICE)
    qde.selection(src, SEL_B2, *where, [(603, BARRIERS, BOB)], user=BOB)
    qdpx = write_qdpx(tmp_path / "m.qdpx", qde.xml(), {})
    result = read_quietly(qdpx)
    seg = result.coded_segments
    # Issue #19: Bob's coding of the same text with the same code is his own row (it used
    # to be merged into Alice's, with a warning), so coder agreement can be measured.
    assert seg[["segment_id", "code_id", "coder"]].values.tolist() == [
        ["a.001", "golden_rules", "Alice"],
        ["a.001", "stance", "Alice"],
        ["a.001", "stance", "Bob"],
    ]
    assert "merged_selections" in set(result.report["kind"])
    assert "duplicate_coding" not in set(result.report["kind"])
    double = result.report[result.report["kind"] == "double_coded"]
    assert double["item"].tolist() == ["1 source(s)"]
    assert result.counts["segments"] == 1 and result.counts["codings"] == 3


def test_the_same_coder_coding_the_same_text_twice_is_kept_once(tmp_path: Path) -> None:
    qde = Qde()
    qde.user(ALICE, "Alice")
    qde.code(BARRIERS, "Stance")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    where = span(TEXT_A, "the police")
    qde.selection(src, SEL_B1, *where, [(602, BARRIERS, ALICE)], user=ALICE)
    qde.selection(src, SEL_B2, *where, [(603, BARRIERS, ALICE)], user=ALICE)
    qdpx = write_qdpx(tmp_path / "m.qdpx", qde.xml(), {})
    with pytest.warns(QdaImportWarning, match="more than once by Alice; kept the first"):
        result = read_qda(qdpx)
    assert result.coded_segments[["code_id", "coder"]].values.tolist() == [["stance", "Alice"]]
    assert "double_coded" not in set(result.report["kind"])


def test_two_coders_of_one_source_give_agreement(tmp_path: Path) -> None:
    """Known answer: Alice and Bob agree on "Golden rules" and differ on "Stance"."""
    qde = Qde()
    qde.user(ALICE, "Alice")
    qde.user(BOB, "Bob")
    qde.code(GOLDEN, "Golden rules")
    qde.code(BARRIERS, "Stance")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    police, gp = span(TEXT_A, "the police"), span(TEXT_A, "GP")
    qde.selection(src, SEL_A1, *police, [(601, GOLDEN, ALICE), (602, BARRIERS, ALICE)])
    qde.selection(src, SEL_B1, *police, [(603, GOLDEN, BOB)])
    qde.selection(src, SEL_B2, *gp, [(604, BARRIERS, BOB)])
    result = read_quietly(write_qdpx(tmp_path / "m.qdpx", qde.xml(), {}))
    seg = result.coded_segments
    assert sorted(map(tuple, seg[["code_id", "coder"]].values.tolist())) == [
        ("golden_rules", "Alice"),
        ("golden_rules", "Bob"),
        ("stance", "Alice"),
        ("stance", "Bob"),
    ]
    by_segment = agreement.agreement_table(seg, result.codebook, unit="segment")
    rows = by_segment.set_index("code_id")
    # two segment units (the police, the GP): both coders put golden_rules on the first;
    # stance is Alice's on the first and Bob's on the second
    assert rows.loc["golden_rules", ["n_units", "n_coded", "pct_agreement"]].tolist() == [
        2,
        1,
        100.0,
    ]
    assert rows.loc["stance", ["n_units", "n_coded", "pct_agreement"]].tolist() == [2, 2, 0.0]
    by_source = agreement.agreement_table(seg, result.codebook, unit="source")
    assert by_source["pct_agreement"].tolist() == [100.0, 100.0]  # both applied both


def test_coding_to_an_unknown_code_warns(tmp_path: Path) -> None:
    qde = Qde()
    qde.code(GOLDEN, "Golden rules")
    src = qde.source(SRC_A, "a", content=TEXT_A)
    qde.selection(
        src, SEL_A1, *span(TEXT_A, "the police"), [(601, GOLDEN, 1), (602, 999, 1)], name=None
    )
    qdpx = write_qdpx(tmp_path / "c.qdpx", qde.xml(), {})
    with pytest.warns(QdaImportWarning, match="not in the codebook"):
        result = read_qda(qdpx)
    assert result.coded_segments["code_id"].tolist() == ["golden_rules"]


# ---------------------------------------------------------------------------
# REFI-QDA codebook (.qdc)
# ---------------------------------------------------------------------------


def qdc_xml() -> bytes:
    ET.register_namespace("", NS_CODEBOOK)
    book = ET.Element(q("CodeBook", NS_CODEBOOK), {"origin": "pytest"})
    codes = ET.SubElement(book, q("Codes", NS_CODEBOOK))

    def code(parent: ET.Element, n: int, name: str, desc: str = "", **attrs: str) -> ET.Element:
        el = ET.SubElement(
            parent,
            q("Code", NS_CODEBOOK),
            {"guid": guid(n), "name": name, "isCodable": "true", **attrs},
        )
        if desc:
            ET.SubElement(el, q("Description", NS_CODEBOOK)).text = desc
        return el

    consent = code(codes, 801, "Consent", "The three meanings of consent", color="#123456")
    code(consent, 802, "Consent as a lawful basis")
    code(consent, 803, "Consent as good practice", "Asking is respectful")
    code(codes, 804, "Stance")
    sets = ET.SubElement(book, q("Sets", NS_CODEBOOK))
    s = ET.SubElement(sets, q("Set", NS_CODEBOOK), {"guid": guid(805), "name": "Consent codes"})
    ET.SubElement(s, q("MemberCode", NS_CODEBOOK), {"guid": guid(802)})
    return ET.tostring(book, encoding="utf-8", xml_declaration=True)


def write_qdc(path: Path) -> Path:
    path.write_bytes(qdc_xml())
    return path


def test_qdc_codes_are_valid_refi_qda(schema) -> None:
    # The codebook schema is not in the shared folder; its Code type is the project
    # schema's, so the code tree is checked inside a minimal project.
    codes = ET.fromstring(qdc_xml()).find(q("Codes", NS_CODEBOOK))
    assert codes is not None
    text = ET.tostring(codes, encoding="unicode").replace(NS_CODEBOOK, NS)
    schema.validate(f"<Project xmlns='{NS}' name='p'><CodeBook>{text}</CodeBook></Project>")


def test_qdc_codebook_alone(tmp_path: Path) -> None:
    result = read_quietly(write_qdc(tmp_path / "book.qdc"))
    assert result.format == "refi-qdc"
    book = result.codebook.set_index("code_id")
    assert list(book.index) == [
        "consent",
        "consent_as_a_lawful_basis",
        "consent_as_good_practice",
        "stance",
    ]
    assert book["parent_id"].isna().tolist() == [True, False, False, True]
    assert book["branch"].tolist() == ["consent", "consent", "consent", "stance"]
    assert book["a_priori"].tolist() == [1, 1, 1, 0]
    assert book.loc["consent", "colour"] == "#123456"
    assert book.loc["consent_as_good_practice", "description"] == "Asking is respectful"
    assert book.loc["consent_as_a_lawful_basis", "sets"] == "Consent codes"
    assert result.coded_segments.empty and result.sources.empty and result.cases.empty
    assert "segment_id" in result.coded_segments.columns


# ---------------------------------------------------------------------------
# QualCoder
# ---------------------------------------------------------------------------

#: QualCoder's own table definitions (qualcoder/__main__.py, database v2 onwards, with
#: the later ctid, important, av_text_id and risid columns).
QUALCODER_SCHEMA = """
CREATE TABLE project (databaseversion text, date text, memo text, about text,
    bookmarkfile integer, bookmarkpos integer, codername text);
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text,
    memo text, owner text, date text, av_text_id integer, risid integer, unique(name));
CREATE TABLE code_image (imid integer primary key, id integer, x1 integer, y1 integer,
    width integer, height integer, cid integer, memo text, date text, owner text,
    important integer);
CREATE TABLE annotation (anid integer primary key, fid integer, pos0 integer, pos1 integer,
    memo text, owner text, date text, unique(fid,pos0,pos1,owner));
CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text,
    caseOrFile text, valuetype text);
CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text,
    id integer, date text, owner text, unique(name,attr_type,id));
CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer,
    pos1 integer, owner text, date text, memo text);
CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text,
    date text, constraint ucm unique(name));
CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text,
    memo text, supercatid integer, unique(name));
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text,
    pos0 integer, pos1 integer, owner text, date text, memo text, avid integer,
    important integer, unique(cid,fid,pos0,pos1,owner));
CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer,
    owner text, date text, color text, unique(name));
"""

QC_TEXT_1 = "Zoë: I asked the dad 👨 about his GP.\nThen I rang the police."
QC_TEXT_2 = "P07: Our IT systems don't talk.\nP08: Caseloads are huge.\n"


def qualcoder_project(folder: Path) -> Path:
    """Write a QualCoder project folder (``<name>.qda/data.qda``) and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "data.qda")
    conn.executescript(QUALCODER_SCHEMA)
    ins = conn.execute
    ins("insert into project values ('v11', '2024-06-01', '', 'QualCoder 3.5', 0, 0, 'alice')")
    ins("insert into code_cat values (1, 'Barriers', 'alice', '', 'Why not share', NULL)")
    ins("insert into code_cat values (2, 'Organisational', 'alice', '', '', 1)")
    ins("insert into code_name values (1, 'Consent', 'Asked or not', NULL, 'alice', '', '#F5A9A9')")
    ins("insert into code_name values (2, 'IT systems', '', 2, 'alice', '', '#81BEF7')")
    ins("insert into code_name values (3, 'Workload', '', 1, 'alice', '', NULL)")
    ins(
        "insert into source values (1, 'Interview P01.txt', ?, NULL, '', 'alice', '', NULL, NULL)",
        (QC_TEXT_1,),
    )
    ins(
        "insert into source values (2, 'Focus group 1.docx', ?, 'docs:/x/fg.docx', '', 'alice',"
        " '', NULL, NULL)",
        (QC_TEXT_2,),
    )
    ins("insert into source values (3, 'photo.jpg', NULL, '/images/photo.jpg', '', '', '', 0, 0)")
    ins("insert into code_image values (1, 3, 0, 0, 5, 5, 1, '', '', 'alice', 0)")

    def code_text(ctid: int, cid: int, fid: int, text: str, excerpt: str, owner: str) -> None:
        start = text.index(excerpt)
        ins(
            "insert into code_text values (?, ?, ?, ?, ?, ?, ?, '', '', NULL, 0)",
            (ctid, cid, fid, excerpt, start, start + len(excerpt), owner),
        )

    code_text(1, 1, 1, QC_TEXT_1, "I asked the dad 👨 about his GP", "alice")
    code_text(2, 3, 1, QC_TEXT_1, "I asked the dad 👨 about his GP", "alice")
    code_text(3, 2, 1, QC_TEXT_1, "I asked the dad 👨 about his GP", "bob")
    code_text(4, 2, 2, QC_TEXT_2, "Our IT systems don't talk.", "bob")
    code_text(5, 3, 2, QC_TEXT_2, "Caseloads are huge.", "bob")

    ins("insert into cases values (1, 'P01', 'Zoë', 'alice', '')")
    ins("insert into cases values (2, 'P07', '', 'alice', '')")
    ins("insert into case_text values (1, 1, 1, 0, ?, 'alice', '', '')", (len(QC_TEXT_1),))
    p07_end = QC_TEXT_2.index("\n") + 1
    ins("insert into case_text values (2, 2, 2, 0, ?, 'alice', '', '')", (p07_end,))
    for name, kind in (("Site", "case"), ("Participant", "case"), ("Method", "file")):
        ins("insert into attribute_type values (?, '', 'alice', '', ?, 'character')", (name, kind))
    ins("insert into attribute_type values ('Date', '', 'alice', '', 'file', 'character')")
    for name, kind, value, target in (
        ("Site", "case", "S1", 1),
        ("Participant", "case", "P01", 1),
        ("Participant", "case", "P07", 2),
        ("Method", "file", "Interview", 1),
        ("Date", "file", "03/06/2024", 1),
        ("Method", "file", "focus group", 2),
        ("Site", "file", "S2", 2),
    ):
        ins(
            "insert into attribute (name, attr_type, value, id) values (?, ?, ?, ?)",
            (name, kind, value, target),
        )
    conn.commit()
    conn.close()
    return folder


def test_qualcoder_project(tmp_path: Path) -> None:
    result = read_quietly(qualcoder_project(tmp_path / "study.qda"))
    assert result.format == "qualcoder"
    book = result.codebook.set_index("code_id")
    assert list(book.index) == ["barriers", "organisational", "it_systems", "workload", "consent"]
    assert book["parent_id"].fillna("").to_dict() == {
        "barriers": "",
        "organisational": "barriers",
        "it_systems": "organisational",
        "workload": "barriers",
        "consent": "",
    }
    assert book["branch"].tolist() == ["barriers"] * 4 + ["consent"]
    assert book["a_priori"].tolist() == [0, 0, 0, 0, 1]
    assert book.loc["barriers", "description"] == "Why not share"
    assert book.loc["it_systems", "colour"] == "#81BEF7"

    seg = result.coded_segments
    assert seg[["segment_id", "code_id", "coder"]].values.tolist() == [
        # Both coders' codes on the same text share one segment.
        ["interview_p01.001", "consent", "alice"],
        ["interview_p01.001", "workload", "alice"],
        ["interview_p01.001", "it_systems", "bob"],
        ["focus_group_1.001", "it_systems", "bob"],
        ["focus_group_1.002", "workload", "bob"],
    ]
    assert seg["excerpt"].iloc[0] == "I asked the dad 👨 about his GP"
    fg = seg[seg["source_id"] == "focus_group_1"].set_index("code_id")
    # The P07 case covers only the first line of the focus group.
    assert fg.loc["it_systems", "participant_id"] == "P07"
    assert pd.isna(fg.loc["workload", "participant_id"])
    assert set(fg["method"]) == {"focus_group"} and set(fg["site_id"]) == {"S2"}
    p01 = seg[seg["source_id"] == "interview_p01"].iloc[0]
    assert (p01["method"], p01["site_id"], p01["participant_id"], p01["source_date"]) == (
        "interview",
        "S1",
        "P01",
        "2024-06-03",
    )

    src = result.sources.set_index("source_id")
    assert list(src.index) == ["interview_p01", "focus_group_1"]
    assert src.loc["interview_p01", "n_characters"] == len(QC_TEXT_1)
    cases = result.cases.set_index("case_id")
    assert cases.loc["p01", "Site"] == "S1" and cases.loc["p07", "Participant"] == "P07"
    assert cases.loc["p07", "source_ids"] == "focus_group_1"
    skipped = result.report[result.report["level"] == "skipped"]
    assert set(skipped["kind"]) == {"media_source", "media_codings"}
    assert result.counts["users"] == 2
    assert result.counts["segments"] == 3


def test_qualcoder_data_qda_file_and_bad_database(tmp_path: Path) -> None:
    folder = qualcoder_project(tmp_path / "p.qda")
    assert len(read_quietly(folder / "data.qda").coded_segments) == 5
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("create table t (x)").connection.commit()
    with pytest.raises(QdaFormatError, match="neither a QualCoder project"):
        read_qda(other)


# ---------------------------------------------------------------------------
# Taguette
# ---------------------------------------------------------------------------

TAGUETTE_SCHEMA = """
CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL,
    description TEXT NOT NULL, created DATETIME NOT NULL);
CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL,
    description TEXT NOT NULL, filename VARCHAR(200) NOT NULL, created DATETIME NOT NULL,
    project_id INTEGER NOT NULL, text_direction VARCHAR(13) NOT NULL, contents TEXT NOT NULL);
CREATE TABLE highlights (id INTEGER PRIMARY KEY AUTOINCREMENT, document_id INTEGER NOT NULL,
    start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, snippet TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL,
    path VARCHAR(200) NOT NULL, description TEXT NOT NULL, parent_id INTEGER);
CREATE TABLE highlight_tags (highlight_id INTEGER NOT NULL, tag_id INTEGER NOT NULL,
    PRIMARY KEY (highlight_id, tag_id));
CREATE TABLE commands (id INTEGER PRIMARY KEY AUTOINCREMENT, date DATETIME NOT NULL,
    user_login VARCHAR(30) NOT NULL, project_id INTEGER NOT NULL, document_id INTEGER,
    payload TEXT NOT NULL);
"""

TAG_HTML = "<p>Zoë said the dad’s GP was helpful.</p><p>The police 🚓 shared records.</p>"
#: The text Taguette counts: text nodes only, so the paragraphs run together.
TAG_TEXT = "Zoë said the dad’s GP was helpful.The police 🚓 shared records."


def taguette_db(path: Path) -> Path:
    """Write a Taguette project copy whose highlight offsets are UTF-8 bytes."""
    conn = sqlite3.connect(path)
    conn.executescript(TAGUETTE_SCHEMA)
    ins = conn.execute
    ins("insert into projects values (1, 'SRIM pilot', '', '2024-06-01')")
    ins(
        "insert into documents values (1, 'Interview Z', '', 'z.docx', '2024-06-01', 1, "
        "'LEFT_TO_RIGHT', ?)",
        (TAG_HTML,),
    )
    ins("insert into tags values (1, 1, 'Barriers', 'Why not share', NULL)")
    ins("insert into tags values (2, 1, 'Fear', '', 1)")
    ins("insert into tags values (3, 1, 'Facilitators', '', NULL)")
    highlights = [
        (1, "the dad’s GP", "the dad’s GP", [3]),
        (2, "police 🚓 shared records", "<p>police 🚓 shared records</p>", [1, 2]),
        (3, "helpful.The police", "<p>helpful.</p><p>The police</p>", [2]),
    ]
    for hid, excerpt, snippet, tags in highlights:
        start, end = span(TAG_TEXT, excerpt, "utf8")
        ins("insert into highlights values (?, 1, ?, ?, ?)", (hid, start, end, snippet))
        for t in tags:
            ins("insert into highlight_tags values (?, ?)", (hid, t))
    payload = json.dumps({"type": "highlight_add", "highlight_id": 1, "tags": [3]})
    ins("insert into commands values (1, '2024-06-01', 'alice', 1, 1, ?)", (payload,))
    conn.commit()
    conn.close()
    return path


def test_taguette_sqlite(tmp_path: Path) -> None:
    result = read_quietly(taguette_db(tmp_path / "2024-06-01_SRIM pilot.sqlite3"))
    assert result.format == "taguette-sqlite"
    book = result.codebook.set_index("code_id")
    assert list(book.index) == ["barriers", "fear", "facilitators"]
    assert book.loc["fear", "parent_id"] == "barriers"
    assert book["branch"].tolist() == ["barriers", "barriers", "facilitators"]
    seg = result.coded_segments
    assert seg[["segment_id", "code_id", "excerpt"]].values.tolist() == [
        ["interview_z.001", "facilitators", "the dad’s GP"],
        ["interview_z.002", "fear", "helpful.\nThe police"],
        ["interview_z.003", "barriers", "police 🚓 shared records"],
        ["interview_z.003", "fear", "police 🚓 shared records"],
    ]
    assert seg["coder"].iloc[0] == "alice"
    assert result.sources["offset_counting"].tolist() == ["utf8"]
    assert result.sources["n_characters"].tolist() == [len(TAG_TEXT)]


def taguette_csv(path: Path) -> Path:
    rows = [
        (1, "Interview A", "Barriers", "We worry about GDPR"),
        (1, "Interview A", "Fear", "We worry about GDPR"),
        (2, "Interview B", "Facilitators", "The GP rang back,\nthe same day"),
        (3, "Interview B", "", "An untagged highlight"),
    ]
    frame = pd.DataFrame(rows, columns=["id", "document", "tag", "content"])
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False, sheet_name="highlights")
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_taguette_highlights_export(tmp_path: Path, suffix: str) -> None:
    result = read_quietly(taguette_csv(tmp_path / f"all_tags{suffix}"))
    assert result.format == "taguette-highlights"
    assert result.codebook["code_id"].tolist() == ["barriers", "fear", "facilitators"]
    seg = result.coded_segments
    assert seg[["segment_id", "code_id", "source_id", "excerpt"]].values.tolist() == [
        ["interview_a.001", "barriers", "interview_a", "We worry about GDPR"],
        ["interview_a.001", "fear", "interview_a", "We worry about GDPR"],
        ["interview_b.001", "facilitators", "interview_b", "The GP rang back,\nthe same day"],
    ]
    assert seg["start"].isna().all()
    assert result.sources["source_id"].tolist() == ["interview_a", "interview_b"]
    skipped = result.report[result.report["level"] == "skipped"]
    assert skipped["kind"].tolist() == ["uncoded_selection"]


def test_csv_that_is_not_a_taguette_export_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(QdaFormatError, match="not a Taguette highlights export"):
        read_qda(other)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def test_cli_writes_the_four_tables_and_prints_a_summary(
    qdpx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tables"
    report = tmp_path / "import_report.csv"
    assert cli([str(qdpx), "--out", str(out), "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "Read srim.qdpx (REFI-QDA project exported by pytest builder):" in printed
    assert "codes        11  (5 top-level)" in printed
    assert "segments      5  (6 codings; blank: method 0, site_id 0, participant_id 1" in printed
    assert "Wrote codebook.csv (11 rows), coded_segments.csv (6 rows)" in printed
    for name in ("codebook", "coded_segments", "sources", "cases"):
        assert (out / f"{name}.csv").is_file()
    seg = pd.read_csv(out / "coded_segments.csv", dtype=str, keep_default_na=False)
    assert "the police record 🚓 first" in set(seg["excerpt"])
    assert list(seg.columns[:8]) == [
        "segment_id",
        "code_id",
        "source_id",
        "method",
        "site_id",
        "participant_id",
        "source_date",
        "excerpt",
    ]
    book = pd.read_csv(out / "codebook.csv", dtype=str, keep_default_na=False)
    assert list(book.columns[:6]) == [
        "code_id",
        "parent_id",
        "label",
        "description",
        "branch",
        "a_priori",
    ]
    assert report.is_file()


def test_cli_reports_skips_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qdpx = write_qdpx(tmp_path / "m.qdpx", main_project().xml(), {})
    out = tmp_path / "tables"
    assert cli([str(qdpx), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Warnings (" in printed and "is not in the archive" in printed
    # Issue #17: codings of sources without text are kept (no longer skipped), and said so.
    assert "no text       4  codings kept without their text" in printed
    assert cli([str(qdpx), "-o", str(out)]) == 2
    assert "add --force to overwrite" in capsys.readouterr().err
    assert cli([str(qdpx), "-o", str(out), "--force"]) == 0


def test_cli_error_for_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.qdpx"
    bad.write_bytes(b"nope")
    assert cli([str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "broken.qdpx: not a valid .qdpx file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Golden rules", "golden_rules"),
        ("Transfer components", "transfer_components"),
        ("Zoë's dad", "zoes_dad"),
        ("  --  ", "item"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
