"""Validation never raises: one mistake at a time in every table and column of the study.

Each case copies a trimmed synthetic study (every table and column, fewer rows, so the
whole file runs fast), makes ONE mistake in one table, column or in ``study.toml``, and
runs ``srim validate DIR --csv FILE`` in-process: :func:`validate_study` inside it must
return (never raise) a report with a problem whose file, row (where a row is involved),
column and value name the mistake; the command must exit non-zero, print the problem and
print no traceback.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from srim_analysis.cli import main
from srim_analysis.study.contract import ID_PATTERN, TABLES, ColumnSpec
from srim_analysis.study.loading import validate_study

#: Rows kept of each table in the trimmed copy (the small tables are kept whole).
KEEP_ROWS = 12
UNKNOWN_ID = "ZZ-UNKNOWN-9"
WITHDRAWN_PARTICIPANT, WITHDRAWN_RESPONDENT = "P0002", "R00005"
NOT_A_NUMBER = "lots"


@pytest.fixture(scope="module")
def mini(tmp_path_factory, shipped_dir) -> Path:
    """The synthetic study with every table, column and reference, but few rows."""
    dest = tmp_path_factory.mktemp("mini") / "study"
    shutil.copytree(shipped_dir, dest)
    for name in ("case_audit", "coded_segments", "survey_responses", "observations", "documents"):
        banner, records = _read(dest / f"{name}.csv")
        _write(dest / f"{name}.csv", banner, records[: KEEP_ROWS + 1])
    # the optional withdrawals table (the shipped study has none): a participant, a respondent
    banner, _ = _read(dest / "sites.csv")
    _write(
        dest / "withdrawals.csv",
        banner,
        [
            ["person_id", "withdrawn_on", "note"],
            [WITHDRAWN_PARTICIPANT, "2025-01-15", "asked by email"],
            [WITHDRAWN_RESPONDENT, "2025-02-01", ""],
        ],
    )
    report, tables = validate_study(dest)
    assert report.ok, str(report)
    assert set(tables) == set(TABLES)
    return dest


# ---------------------------------------------------------------------------
# Reading and writing a CSV file as records (the synthetic files have a banner line)
# ---------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    return lines[:n], list(csv.reader(io.StringIO("".join(lines[n:]))))


def _write(
    path: Path, banner: list[str], records: list[list[str]], encoding: str = "utf-8"
) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    path.write_bytes(("".join(banner) + out.getvalue()).encode(encoding))


@dataclass(frozen=True)
class Expect:
    """The problem a mistake must produce (None: not checked, e.g. no row for a file)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    severity: str = "error"
    rule: str = ""  # a word the rule must contain
    blank: bool = False  # the value is blank: the problem's value is empty


@dataclass
class Table:
    """One CSV file of the study, opened for a mistake."""

    path: Path
    banner: list[str]
    records: list[list[str]]

    @classmethod
    def open(cls, folder: Path, name: str) -> Table:
        return cls(folder / f"{name}.csv", *_read(folder / f"{name}.csv"))

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def header(self) -> list[str]:
        return self.records[0]

    def row_of(self, record: int) -> int:
        """Return the file row (line) of a record (0 = the header)."""
        return len(self.banner) + record + 1

    def cell(self, record: int, column: str) -> str:
        return self.records[record][self.header.index(column)]

    def set(self, record: int, column: str, value: str) -> None:
        if column not in self.header:  # an optional column the study leaves out: add it
            self.records = [self.records[0] + [column]] + [[*r, ""] for r in self.records[1:]]
        self.records[record][self.header.index(column)] = value

    def save(self, encoding: str = "utf-8") -> None:
        _write(self.path, self.banner, self.records, encoding)


# ---------------------------------------------------------------------------
# The mistakes
# ---------------------------------------------------------------------------

Mistake = Callable[[Path, str, str], Expect]
#: Record 2 of a table (file row 4 with the banner) gets each cell mistake.
AT = 2


def _cell(value: str, rule: str = "") -> Mistake:
    def make(folder: Path, table: str, column: str) -> Expect:
        t = Table.open(folder, table)
        t.set(AT, column, value)
        t.save()
        return Expect(t.file, t.row_of(AT), column, value or None, rule=rule, blank=not value)

    return make


def _repeated_key(folder: Path, table: str, column: str) -> Expect:
    t = Table.open(folder, table)
    key = TABLES[table].key
    for k in key:
        t.set(AT, k, t.cell(AT - 1, k))
    t.save()
    if len(key) > 1:
        value = ", ".join(t.cell(AT, k) for k in key)
        return Expect(t.file, t.row_of(AT), "+".join(key), value, rule="unique")
    return Expect(t.file, t.row_of(AT), column, t.cell(AT, column), rule="unique")


def _missing_column(folder: Path, table: str, column: str) -> Expect:
    t = Table.open(folder, table)
    at = t.header.index(column)
    t.records = [r[:at] + r[at + 1 :] for r in t.records]
    t.save()
    return Expect(t.file, t.row_of(0), column, None, rule="missing", blank=True)


def _extra_column(folder: Path, table: str, column: str) -> Expect:
    t = Table.open(folder, table)
    t.records = [[*r, "notes" if i == 0 else "x"] for i, r in enumerate(t.records)]
    t.save()
    # an extra column is kept but not used (a warning); among the survey answers, where
    # every column must be an item, it is an error
    severity = "error" if table == "survey_responses" else "warning"
    return Expect(t.file, t.row_of(0), "notes", None, severity, blank=True)


def _empty_file(folder: Path, table: str, column: str) -> Expect:
    (folder / f"{table}.csv").write_bytes(b"")
    return Expect(f"{table}.csv", None, None, None, rule="empty")


def _utf16(folder: Path, table: str, column: str) -> Expect:
    t = Table.open(folder, table)
    t.save(encoding="utf-16")
    return Expect(t.file, None, None, None, rule="UTF-16")


def _undecodable(folder: Path, table: str, column: str) -> Expect:
    path = folder / f"{table}.csv"
    data = bytearray(path.read_bytes())
    lines = data.split(b"\n")
    first_data = next(i for i, line in enumerate(lines) if not line.startswith(b"#")) + 1
    lines[first_data] = lines[first_data] + b"\x81\x8d"  # neither UTF-8 nor Windows-1252
    path.write_bytes(b"\n".join(lines))
    return Expect(path.name, first_data + 1, None, None, rule="encoding")


def _title_line(folder: Path, table: str, column: str) -> Expect:
    t = Table.open(folder, table)
    t.banner = []
    t.records = [["Export of " + table, *[""] * (len(t.header) - 1)], [], *t.records]
    t.save()
    return Expect(t.file, 1, None, "Export of " + table, rule="header")


def _repeated_header(folder: Path, table: str, column: str) -> Expect:
    t = Table.open(folder, table)
    t.records.insert(AT, list(t.header))
    t.save()
    return Expect(t.file, t.row_of(AT), None, None, rule="header")


TABLE_MISTAKES: dict[str, Mistake] = {
    "extra-column": _extra_column,
    "empty-file": _empty_file,
    "utf-16": _utf16,
    "undecodable-bytes": _undecodable,
    "title-line-above-header": _title_line,
    "header-repeated-in-data": _repeated_header,
}


def _column_mistakes(table: str, col: ColumnSpec) -> dict[str, Mistake]:
    out: dict[str, Mistake] = {}
    if col.required:
        out["missing-column"] = _missing_column
    if not col.nullable:
        out["blank"] = _cell("", "blank")
    if TABLES[table].key[:1] == (col.name,) and (col.unique or len(TABLES[table].key) > 1):
        out["repeated-key"] = _repeated_key
    if col.kind in ("integer", "number", "binary"):
        out["wrong-type"] = _cell(NOT_A_NUMBER)
    if col.kind == "integer":
        out["fraction"] = _cell("1.5", "whole number")
    if col.kind == "date":
        out["wrong-type"] = _cell("2024-02-30", "date")
    if col.kind == "binary":
        out["out-of-range"] = _cell("2", "0 or 1")
    if col.maximum is not None:
        out["out-of-range"] = _cell(f"{col.maximum + 1:g}", "range")
    if col.allowed is not None:
        out["not-allowed"] = _cell("something else", "allowed")
    if col.pattern is not None and col.kind == "id":
        out["bad-id"] = _cell("has spaces!", "valid id" if col.pattern == ID_PATTERN else "pattern")
    if col.references is not None:
        out["unknown-reference"] = _cell(UNKNOWN_ID, "unknown")
    return out


CASES = [
    pytest.param(table, col.name, mistake, id=f"{table}-{col.name}-{name}")
    for table, spec in TABLES.items()
    for col in spec.columns
    for name, mistake in _column_mistakes(table, col).items()
] + [
    pytest.param(table, None, mistake, id=f"{table}-{name}")
    for table in TABLES
    for name, mistake in TABLE_MISTAKES.items()
]


# the rules of issue #19 between columns and tables: each named with its file, row, column


def _first_row(t: Table, column: str, test: Callable[[str], bool]) -> int:
    return next(i for i, r in enumerate(t.records[1:], start=1) if test(r[t.header.index(column)]))


def _unknown_person(folder: Path) -> Expect:
    return _cell(UNKNOWN_ID, "unknown person")(folder, "withdrawals", "person_id")


def _other_method_unknown(folder: Path) -> Expect:
    return _cell("interview|party", "not a method")(folder, "participants", "other_methods")


def _other_method_twice(folder: Path) -> Expect:
    t = Table.open(folder, "participants")
    at = _first_row(t, "method", lambda m: m == "interview")
    t.set(at, "other_methods", "interview")
    t.save()
    return Expect(t.file, t.row_of(at), "other_methods", "interview", rule="twice")


def _same_second_auditor(folder: Path) -> Expect:
    t = Table.open(folder, "case_audit")
    t.set(AT, "second_auditor", t.cell(AT, "auditor"))
    t.save()
    return Expect(t.file, t.row_of(AT), "second_auditor", t.cell(AT, "auditor"), rule="another")


def _second_answers_without_auditor(folder: Path) -> Expect:
    t = Table.open(folder, "case_audit")
    at = _first_row(t, "second_auditor", lambda v: v == "")
    t.set(at, "second_father_identified", "1")
    t.save()
    return Expect(t.file, t.row_of(at), "second_auditor", None, rule="no second_auditor")


CROSS_MISTAKES: dict[str, Callable[[Path], Expect]] = {
    "withdrawn-person-unknown": _unknown_person,
    "other-method-unknown": _other_method_unknown,
    "other-method-twice": _other_method_twice,
    "second-auditor-is-auditor": _same_second_auditor,
    "second-answers-without-second-auditor": _second_answers_without_auditor,
}


@pytest.mark.parametrize("mistake", list(CROSS_MISTAKES))
def test_one_mistake_between_columns_or_tables(mini, tmp_path, capsys, mistake):
    folder = tmp_path / "study"
    shutil.copytree(mini, folder)
    _check(folder, CROSS_MISTAKES[mistake](folder), capsys)


# survey answers: the item columns come from survey_items (first and last item)
def _item_column(folder: Path, which: int) -> str:
    t = Table.open(folder, "survey_items")
    return t.records[1:][which][0]


def _answer(value: str, rule: str) -> Callable[[Path, int], Expect]:
    def make(folder: Path, which: int) -> Expect:
        return _cell(value, rule)(folder, "survey_responses", _item_column(folder, which))

    return make


def _missing_item(folder: Path, which: int) -> Expect:
    return _missing_column(folder, "survey_responses", _item_column(folder, which))


ITEM_MISTAKES: dict[str, Callable[[Path, int], Expect]] = {
    "wrong-type": _answer(NOT_A_NUMBER, "not a valid answer"),
    "out-of-range": _answer("99", "out of range"),
    "fraction": _answer("2.5", "not a valid answer"),
    "missing-column": _missing_item,
}


# ---------------------------------------------------------------------------
# The assertions
# ---------------------------------------------------------------------------


def _matches(p: dict[str, str], e: Expect) -> bool:
    return (
        p["severity"] == e.severity
        and p["file"] == e.file
        and (e.row is None or p["row"] == str(e.row))
        and (e.column is None or p["column"] == e.column)
        and (p["value"] == "" if e.blank else e.value is None or p["value"] == e.value)
        and e.rule.lower() in p["rule"].lower()
    )


def _check(folder: Path, expect: Expect, capsys) -> None:
    """Run ``srim validate DIR --csv`` (validate_study inside) once and check what it says."""
    listing = folder.parent / "problems.csv"
    code = main(["validate", str(folder), "--csv", str(listing)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    with listing.open(encoding="utf-8", newline="") as f:
        problems = list(csv.DictReader(f))
    assert any(_matches(p, expect) for p in problems), f"no problem like {expect} in:\n{text}"
    assert (code != 0) == (expect.severity == "error"), text
    assert expect.file in text
    for part in (expect.column, expect.value):
        if part:
            assert part[:60] in text, f"{part!r} not in the output:\n{text}"


@pytest.mark.parametrize(("table", "column", "mistake"), CASES)
def test_one_mistake_in_a_table(mini, tmp_path, capsys, table, column, mistake):
    folder = tmp_path / "study"
    shutil.copytree(mini, folder)
    expect = mistake(folder, table, column or TABLES[table].columns[0].name)
    _check(folder, expect, capsys)


@pytest.mark.parametrize("which", [0, -1], ids=["first-item", "last-item"])
@pytest.mark.parametrize("mistake", list(ITEM_MISTAKES))
def test_one_mistake_in_a_survey_answer(mini, tmp_path, capsys, mistake, which):
    folder = tmp_path / "study"
    shutil.copytree(mini, folder)
    _check(folder, ITEM_MISTAKES[mistake](folder, which), capsys)


def test_every_table_and_column_gets_a_mistake():
    covered = {(p.values[0], p.values[1]) for p in CASES}
    for table, spec in TABLES.items():
        for col in spec.columns:
            # an optional free-text column that may be blank holds no wrong value
            free = not col.required and col.nullable and col.kind == "text" and not col.allowed
            assert free or (table, col.name) in covered
        assert sum(1 for t, c in covered if t == table and c is None) == 1


# ---------------------------------------------------------------------------
# One mistake in study.toml (the analysis plan): read_plan and check_plan name it
# ---------------------------------------------------------------------------


def _plan_edit(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def _below(header: str, line: str) -> Callable[[str], str]:
    return _plan_edit(f"{header}\n", f"{header}\n{line}\n")


#: (edit of the text, key, value, a word of the rule)
PLAN_MISTAKES: dict[str, tuple[Callable[[str], str], str | None, str | None, str]] = {
    "unknown-top-key": (
        _plan_edit('name = "', 'colour = "blue"\nname = "'),
        "colour",
        "blue",
        "unknown key",
    ),
    "unknown-stance-role": (
        _below("[codes.stance]", 'hostile = "ST-CRIT"'),
        "codes.stance.hostile",
        "ST-CRIT",
        "unknown key",
    ),
    "unknown-stance-code": (
        _plan_edit('critical = "ST-CRIT"', 'critical = "NO-SUCH-CODE"'),
        "codes.stance.critical",
        "NO-SUCH-CODE",
        "not in codebook",
    ),
    "unknown-awareness-code": (
        _plan_edit('read = "AWR-READ"', 'read = "AWR-LOOKED"'),
        "codes.awareness.read",
        "AWR-LOOKED",
        "not in codebook",
    ),
    "unknown-theme": (
        _below("[codes.themes]", 'moods = "EM"'),
        "codes.themes.moods",
        "EM",
        "unknown theme",
    ),
    "unknown-theme-code": (
        _plan_edit('golden_rules = "GR"', 'golden_rules = ["GR1", "NO-SUCH-RULE"]'),
        "codes.themes.golden_rules",
        "NO-SUCH-RULE",
        "not in codebook",
    ),
    "stance-code-not-text": (
        _plan_edit('critical = "ST-CRIT"', "critical = 3"),
        "codes.stance.critical",
        "3",
        "text",
    ),
    "unknown-construct": (
        _below("[survey.constructs]", 'happiness = "Happiness"'),
        "survey.constructs.happiness",
        "happiness",
        "not a construct",
    ),
    "unknown-outcome-construct": (
        _plan_edit('confidence = "confidence"', 'confidence = "assurance"'),
        "survey.outcomes.confidence",
        "assurance",
        "not a construct",
    ),
    "unknown-qca-outcome": (
        _plan_edit('outcome = "father_info_shared"', 'outcome = "father_happy"'),
        "qca.outcome",
        "father_happy",
        "not an indicator",
    ),
    "unknown-qca-condition": (
        _plan_edit('conditions = ["', 'conditions = ["no_such_feature", "'),
        "qca.conditions",
        "no_such_feature",
        "not a column",
    ),
    "anchors-decreasing": (
        _plan_edit("anchors = [0.25, 0.45, 0.65]", "anchors = [0.65, 0.45, 0.25]"),
        "qca.anchors",
        "[0.65, 0.45, 0.25]",
        "increasing",
    ),
    "anchors-two": (
        _plan_edit("anchors = [0.25, 0.45, 0.65]", "anchors = [0.25, 0.65]"),
        "qca.anchors",
        "[0.25, 0.65]",
        "three",
    ),
    "anchors-text": (
        _plan_edit("anchors = [0.25, 0.45, 0.65]", 'anchors = ["low", 0.45, 0.65]'),
        "qca.anchors",
        "low",
        "number",
    ),
    "anchors-above-one": (
        _plan_edit("anchors = [0.25, 0.45, 0.65]", "anchors = [0.25, 0.45, 1.5]"),
        "qca.anchors",
        "1.5",
        "between",
    ),
    "outcome-since-not-a-date": (
        _plan_edit('outcome_since = "2024-07-01"', 'outcome_since = "last summer"'),
        "qca.outcome_since",
        "last summer",
        "date",
    ),
    "incl-cut-out-of-range": (
        _plan_edit("incl_cut = 0.8", "incl_cut = 2"),
        "qca.incl_cut",
        "2",
        "between",
    ),
    "unknown-qca-key": (
        _below("[qca]", "cut_off = 0.5"),
        "qca.cut_off",
        "0.5",
        "unknown key",
    ),
    "unknown-indicator": (
        _plan_edit('indicators = ["', 'indicators = ["father_happy", "'),
        "comparison.indicators",
        "father_happy",
        "not an indicator",
    ),
    "section-not-a-table": (
        lambda text: text.split("[comparison]")[0].replace('name = "', 'comparison = 3\nname = "'),
        "comparison",
        "3",
        "table",
    ),
    "unknown-kind": (
        _plan_edit('kind = "synthetic"', 'kind = "pretend"'),
        "kind",
        "pretend",
        "synthetic",
    ),
    "invalid-toml": (
        _plan_edit("[codes.stance]", "[codes.stance"),
        None,
        None,
        "not valid TOML",
    ),
    "repeated-key": (
        _below("[codes.stance]", 'critical = "ST-MIX"'),
        None,
        None,
        "not valid TOML",
    ),
    "target-unknown-site": (
        _plan_edit(
            '{ site = "S08", agency = "all", method = "focus_group"',
            '{ site = "S99", agency = "all", method = "focus_group"',
        ),
        "recruitment.target[13].site",
        "S99",
        "not a site",
    ),
    "target-unknown-agency": (
        _plan_edit('agency = "police"', 'agency = "fire_service"'),
        "recruitment.target[4].agency",
        "fire_service",
        "unknown agency",
    ),
    "target-unknown-method": (
        _plan_edit('method = "focus_group", n = 80', 'method = "survey", n = 80'),
        "recruitment.target[2].method",
        "survey",
        "unknown method",
    ),
    "target-not-a-number": (
        _plan_edit("n = 100", 'n = "many"'),
        "recruitment.target[1].n",
        "many",
        "whole number",
    ),
    "target-twice": (
        _plan_edit("n = 100 },", 'n = 100 },\n  { method = "interview", n = 90 },'),
        "recruitment.target[2]",
        "all, all, interview",
        "two targets",
    ),
    "target-unknown-key": (
        _plan_edit("n = 100 }", 'n = 100, role = "manager" }'),
        "recruitment.target[1].role",
        "manager",
        "unknown key",
    ),
    "primary-coder-unknown": (
        _plan_edit('# [coding]\n# primary_coder = ""', '[coding]\nprimary_coder = "coder_z"'),
        "coding.primary_coder",
        "coder_z",
        "coded nothing",
    ),
}


@pytest.mark.parametrize("mistake", list(PLAN_MISTAKES))
def test_one_mistake_in_the_plan(mini, tmp_path, capsys, mistake):
    folder = tmp_path / "study"
    shutil.copytree(mini, folder)
    edit, key, value, rule = PLAN_MISTAKES[mistake]
    path = folder / "study.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    report, _ = validate_study(folder)
    hits = [
        p
        for p in report.errors
        if p.file == "study.toml"
        and p.column == key
        and (value is None or value in (p.value or ""))
        and rule.lower() in p.rule.lower()
    ]
    assert hits, str(report)
    code = main(["validate", str(folder)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code != 0 and "Traceback" not in text
    assert "study.toml" in text
    for part in (key, value):
        if part:
            assert part in text, text


def test_a_plan_that_is_not_utf8_or_missing_is_named(mini, tmp_path, capsys):
    folder = tmp_path / "study"
    shutil.copytree(mini, folder)
    path = folder / "study.toml"
    path.write_bytes(path.read_text(encoding="utf-8").replace("SRIM", "Zoë").encode("utf-16"))
    report, _ = validate_study(folder)
    assert [p.rule for p in report.errors] == ["is not UTF-8 text"]
    assert main(["validate", str(folder)]) == 2
    text = capsys.readouterr().err
    assert "study.toml" in text and "Traceback" not in text
    path.unlink()
    report, _ = validate_study(folder)
    assert [(p.file, p.rule) for p in report.errors] == [("study.toml", "file is missing")]
    assert main(["validate", str(folder)]) == 2
    assert "no study.toml" in capsys.readouterr().err
