"""Load a study folder, check it against the data contract, and return a validated study.

:func:`load_study` is the one way notebooks read data. It reads each table from
``<table>.csv`` (UTF-8, UTF-8 with BOM or Windows-1252) or from a sheet of an Excel
workbook, normalises the harmless quirks (trailing spaces in headers, ids that Excel turned
into numbers), checks every value and every cross-table rule, and collects *every*
problem with its file, row (as numbered in the file, header = row 1), column, value and
rule. With any error the load fails with that report; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa
from openpyxl import load_workbook

from srim_analysis import paths
from srim_analysis.study import contract
from srim_analysis.study.contract import DONT_KNOW, NOT_APPLICABLE, TABLES, ColumnSpec, TableSpec
from srim_analysis.study.plan import AnalysisPlan, check_plan, read_plan, theme_of_codes
from srim_analysis.study.problems import Problem, StudyValidationError, ValidationReport
from srim_analysis.study.selection import is_all_sites

StudyKind = Literal["synthetic", "real"]
MARKER_FILE = "study.toml"
SYNTHETIC_BANNER = "# SYNTHETIC DATA"


# ---------------------------------------------------------------------------
# Problems and reports
# ---------------------------------------------------------------------------


class MissingTablesError(FileNotFoundError):
    """Raised when an analysis needs tables that the study folder does not hold."""


class StudyKindError(ValueError):
    """Raised when synthetic data would be treated as real, or real as synthetic."""


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


@dataclass
class _RawTable:
    name: str
    file: str
    frame: pd.DataFrame  # all cells as str or NA; columns as normalised
    rows: pd.Series  # index -> row number in the file
    excel: bool
    header_row: int = 1  # the header's row number in the file


_UTF8_BOM = b"\xef\xbb\xbf"
_STRAY_LIMIT = 10  # lines searched for the header row
_ENCODING_HINT = "save it again as 'CSV UTF-8 (Comma delimited)'"


def _decode(data: bytes, file: str, problems: list[Problem]) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        problems.append(
            Problem.for_file(
                file,
                "wrong encoding: the file is UTF-16 text (Excel's 'Unicode Text'), not a CSV "
                f"file in UTF-8; {_ENCODING_HINT}",
            )
        )
        return None
    if data.startswith(_UTF8_BOM):
        problems.append(
            Problem.for_file(file, "read as UTF-8 with a byte-order mark (BOM)", "note")
        )
        data = data[len(_UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # not UTF-8 throughout: decode line by line, to name the rows that are not
    texts: list[str] = []
    windows: list[int] = []
    broken: list[int] = []
    utf8_accents = False
    for n, line in enumerate(data.splitlines(keepends=True), start=1):
        try:
            texts.append(line.decode("utf-8"))
            utf8_accents = utf8_accents or not line.isascii()
        except UnicodeDecodeError:
            try:
                texts.append(line.decode("cp1252"))
                windows.append(n)
            except UnicodeDecodeError:
                texts.append(line.decode("cp1252", errors="replace"))
                broken.append(n)
    for n in broken[:20]:
        problems.append(
            Problem(
                file,
                n,
                None,
                None,
                "wrong encoding: this row holds bytes that are neither UTF-8 nor "
                f"Windows-1252 (shown as \N{REPLACEMENT CHARACTER}); {_ENCODING_HINT}",
            )
        )
    if len(broken) > 20:
        problems.append(Problem.for_file(file, f"wrong encoding in {len(broken) - 20} more row(s)"))
    if windows and utf8_accents:
        problems.append(
            Problem(
                file,
                windows[0],
                None,
                None,
                f"mixed encodings: row(s) {_ranges(windows)} are not UTF-8 like the rest of "
                "the file; they were read as Windows-1252: check their accented letters",
                "warning",
            )
        )
    elif windows:
        problems.append(
            Problem.for_file(
                file,
                "not UTF-8: read as Windows-1252 (the usual encoding of Excel's 'CSV' on Windows)",
                "note",
            )
        )
    return "".join(texts)


def _header_line(lines: Sequence[str], columns: Sequence[str]) -> int:
    """Return the index of the line that is most like the header (0 unless another is)."""
    wanted = {c.lower() for c in columns}
    scores = [
        sum(cell.strip().lower() in wanted for cell in next(csv.reader([line]), []))
        for line in lines[:_STRAY_LIMIT]
    ]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i)) if scores else 0
    return best if scores and scores[best] > scores[0] else 0


def _read_csv(
    path: Path, problems: list[Problem], columns: Sequence[str] = ()
) -> tuple[pd.DataFrame, int] | None:
    """Return the file's cells as text and the number of lines above its header, or None."""
    read = _read_csv_rows(path, problems, columns)
    return None if read is None else (read[0], read[1] - 1)


def _read_csv_rows(
    path: Path, problems: list[Problem], columns: Sequence[str] = ()
) -> tuple[pd.DataFrame, int, list[int]] | None:
    """Return the file's cells as text, its header's line number and each row's, or None."""
    file = path.name
    text = _decode(path.read_bytes(), file, problems)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    if not "".join(lines[skipped:]).strip(" \t\r\n,;"):
        problems.append(Problem.for_file(file, "the file is empty: it needs at least a header row"))
        return None
    header_at = _header_line(lines[skipped:], columns)
    for i in range(skipped, skipped + header_at):
        stray = lines[i].strip().rstrip(",;\t ").strip()
        if stray:
            problems.append(
                Problem(
                    file,
                    i + 1,
                    None,
                    stray,
                    f"stray line above the header row (the header is row "
                    f"{skipped + header_at + 1}): delete it",
                )
            )
    skipped += header_at
    reader = csv.reader(io.StringIO("".join(lines[skipped:])))
    records: list[list[str]] = []
    rows: list[int] = []
    try:
        header = next(reader)
        for record in reader:
            rows.append(skipped + reader.line_num)
            records.append(record)
    except csv.Error as exc:
        problems.append(
            Problem(file, skipped + reader.line_num, None, None, f"cannot be read as CSV: {exc}")
        )
        return None
    width = len(header)
    for n, record in zip(rows, records, strict=True):
        if len(record) > width and any(c.strip() for c in record[width:]):
            problems.append(
                Problem(
                    file,
                    n,
                    None,
                    ",".join(record[width:])[:60],
                    f"the row has {len(record)} cells but the header {width}: a text with a "
                    "comma must be in double quotes",
                )
            )
    frame = pd.DataFrame(
        [(r + [""] * width)[:width] for r in records],
        columns=header,
        dtype=object,
    )
    return frame, skipped + 1, rows


def _excel_cell_text(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return pd.NA
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat") and not isinstance(value, str):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _read_sheet(path: Path, sheet: str) -> tuple[pd.DataFrame, dict[str, int]]:

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    if not rows:
        return pd.DataFrame(), {}
    header = ["" if h is None else str(h) for h in rows[0]]
    numeric_ids: dict[str, int] = {}
    data = []
    for r in rows[1:]:
        if r is None or all(v is None for v in r):
            data.append([pd.NA] * len(header))
            continue
        data.append([_excel_cell_text(v) for v in list(r)[: len(header)]])
        for h, v in zip(header, r, strict=False):
            if isinstance(v, int | float) and not isinstance(v, bool):
                numeric_ids[h] = numeric_ids.get(h, 0) + 1
    frame = pd.DataFrame(data, columns=header, dtype=object)
    # drop trailing blank rows that Excel keeps as formatted but empty
    while len(frame) and frame.iloc[-1].isna().all():
        frame = frame.iloc[:-1]
    return frame.fillna(""), numeric_ids


def _find_workbook(folder: Path) -> Path | None:
    books = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$"))
    return books[0] if len(books) == 1 else None


def _read_raw(folder: Path, spec: TableSpec, problems: list[Problem]) -> _RawTable | None:
    csv_path = folder / f"{spec.name}.csv"
    book = _find_workbook(folder)
    numeric_cols: dict[str, int] = {}
    if csv_path.exists():
        read = _read_csv_rows(csv_path, problems, spec.column_names)
        if read is None:
            return None
        frame, header_row, line_numbers = read
        file, excel = csv_path.name, False
    elif book is not None:
        wb = load_workbook(book, read_only=True)
        sheets = {s.strip().lower(): s for s in wb.sheetnames}
        wb.close()
        if spec.name not in sheets:
            return None
        frame, numeric_cols = _read_sheet(book, sheets[spec.name])
        file, excel, header_row = f"{book.name} [{sheets[spec.name]}]", True, 1
        line_numbers = list(range(2, 2 + len(frame)))
        if frame.empty and not len(frame.columns):
            problems.append(
                Problem.for_file(file, "the sheet is empty: it needs at least a header row")
            )
            return None
    else:
        return None

    # headers: strip spaces, report renames
    renamed = {}
    for col in frame.columns:
        clean = str(col).strip()
        if clean != col:
            renamed[col] = clean
            problems.append(
                Problem(
                    file,
                    header_row,
                    clean,
                    repr(col),
                    "header had leading or trailing spaces; they were removed",
                    "note",
                )
            )
    frame = frame.rename(columns=renamed)
    lowered = {
        c: c.lower() for c in frame.columns if c != c.lower() and c.lower() in spec.column_names
    }
    frame = frame.rename(columns=lowered)
    for col in numeric_cols:
        name = col.strip().lower()
        if name in spec.column_names and spec.column(name).kind == "id":
            problems.append(
                Problem(
                    file,
                    None,
                    name,
                    None,
                    "Excel stored some ids as "
                    "numbers; they were read back as text (check leading "
                    "zeros were not lost)",
                    "warning",
                )
            )
    frame, line_numbers = _drop_repeats(frame, line_numbers, file, header_row, problems)
    frame = frame.replace({"": pd.NA}).map(lambda v: v.strip() if isinstance(v, str) else v)
    frame = frame.replace({"": pd.NA})
    rows = pd.Series(line_numbers, index=frame.index, dtype="int64")
    blank = frame.isna().all(axis=1)
    if blank.any():
        problems.append(
            Problem.for_file(
                file,
                f"{int(blank.sum())} blank row(s) "
                "skipped (rows " + _ranges(rows[blank].tolist()) + ")",
                "note",
            )
        )
        frame, rows = frame[~blank], rows[~blank]
    frame.index = pd.RangeIndex(len(frame))
    rows.index = frame.index
    return _RawTable(spec.name, file, frame, rows, excel, header_row)


def _drop_repeats(
    frame: pd.DataFrame, rows: list[int], file: str, header_row: int, problems: list[Problem]
) -> tuple[pd.DataFrame, list[int]]:
    """Return the frame without repeated columns and repeated header rows (each reported)."""
    names = [str(c) for c in frame.columns]
    for name in dict.fromkeys(n for n in names if names.count(n) > 1):
        places = [i + 1 for i, n in enumerate(names) if n == name]
        problems.append(
            Problem(
                file,
                header_row,
                name,
                None,
                "column appears more than once (columns "
                + ", ".join(map(str, places))
                + "): only the first is read",
            )
        )
    frame = frame.loc[:, ~frame.columns.duplicated()]
    if not len(frame) or not len(frame.columns):
        return frame, rows
    header = [str(c).strip().lower() for c in frame.columns]
    need = max(2, (len(header) + 1) // 2)  # most of the row's cells are column names
    repeat = [
        sum(isinstance(v, str) and v.strip().lower() == h for v, h in zip(row, header, strict=True))
        >= need
        for row in frame.itertuples(index=False, name=None)
    ]
    for i in [i for i, flag in enumerate(repeat) if flag]:
        problems.append(
            Problem(
                file,
                rows[i],
                None,
                None,
                "stray header line: this row repeats the header (two files joined?); delete it",
            )
        )
    if not any(repeat):
        return frame, rows
    keep = [not flag for flag in repeat]
    return frame[keep].reset_index(drop=True), [r for r, k in zip(rows, keep, strict=True) if k]


def _ranges(numbers: list[int]) -> str:
    """Return row numbers as compact ranges, e.g. '2-5, 9'."""
    out: list[str] = []
    for n in numbers:
        if out and "-" not in out[-1].split(", ")[-1] and int(out[-1]) == n - 1:
            out[-1] = f"{out[-1]}-{n}"
        elif out and "-" in out[-1] and int(out[-1].split("-")[1]) == n - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


# ---------------------------------------------------------------------------
# Typing and checking one table
# ---------------------------------------------------------------------------

_TRUE = {"1", "1.0", "yes", "y", "true"}
_FALSE = {"0", "0.0", "no", "n", "false"}


def _read_number(text: str, kind: str) -> tuple[float | None, str | None]:
    """Return a cell read as a number of the column's kind, or what is wrong with it."""
    t = text.strip().lower()
    if kind == "binary":
        t = "1" if t in _TRUE else "0" if t in _FALSE else t
    try:
        num = float(t) if "_" not in t else math.nan
    except ValueError:
        num = math.nan
    if not math.isfinite(num):
        rule = "must be 0 or 1 (yes/no also accepted)" if kind == "binary" else None
        return None, rule or "text where a number is expected"
    if kind != "number" and not num.is_integer():
        return None, "must be a whole number"
    return num, None


def _read_date(text: str) -> pd.Timestamp | None:
    """Return a cell read as a date (ISO first, then UK day-first), or None."""
    for options in ({"format": "ISO8601"}, {"format": "mixed", "dayfirst": True}):
        try:
            date = pd.to_datetime(text, **options)
            if not pd.isna(date):
                date = pd.Timestamp(date)
                return (date.tz_localize(None) if date.tzinfo else date).as_unit("ns")
        except (ValueError, OverflowError, TypeError):
            continue
    return None


def _convert(raw: _RawTable, col: ColumnSpec, problems: list[Problem], bad: set[int]) -> pd.Series:
    s = raw.frame[col.name]
    present = s.notna()

    def flag(mask: pd.Series, rule: str) -> None:
        for idx in s.index[mask]:
            problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, str(s[idx]), rule))
            bad.add(idx)

    if col.kind in {"integer", "binary", "number"}:
        # each distinct text is read once (a column holds few distinct values)
        read = {v: _read_number(str(v), col.kind) for v in s[present].unique()}
        rules = s.map(lambda v: read[v][1] if v in read else None)
        for rule in dict.fromkeys(r for r in rules if r is not None):
            flag(rules == rule, rule)
        num = s.map(lambda v: read[v][0] if v in read else None).astype("Float64")
        return num if col.kind == "number" else num.astype("Int64")
    if col.kind == "date":
        dates = {v: _read_date(str(v)) for v in s[present].unique()}
        flag(
            present & s.map(lambda v: v in dates and dates[v] is None),
            "not a date (use YYYY-MM-DD)",
        )
        return pd.Series(
            [dates.get(v) if isinstance(v, str) else None for v in s],
            index=s.index,
            dtype="datetime64[ns]",
        )
    if col.kind == "id":
        return s.astype("string").str.replace(r"\.0$", "", regex=True).astype(object)
    return s.astype(object)


def _range_text(col: ColumnSpec) -> str:
    if col.minimum is not None and col.maximum is not None:
        return f"out of range: must be between {col.minimum:g} and {col.maximum:g}"
    if col.minimum is not None:
        return f"out of range: must be at least {col.minimum:g}"
    return f"out of range: must be at most {col.maximum:g}"


def _rule_for(check: str, col: ColumnSpec) -> str:
    """Return the plain-English rule for a pandera check (its name or the contract's error)."""
    if col.kind == "binary" and ("isin" in check or "0 or 1" in check):
        return "must be 0 or 1 (yes/no also accepted)"
    if col.allowed is not None and ("isin" in check or "listed values" in check):
        values = col.allowed_values or []
        close = ", ".join(values[:12]) + (" ..." if len(values) > 12 else "")
        return f"not an allowed value (allowed: {close})"
    if "not_nullable" in check:
        return "required, but blank"
    if "uniqueness" in check or "duplicates" in check:
        return "duplicate: must be unique"
    if col.pattern is not None and ("str_matches" in check or "must match" in check):
        if col.pattern == contract.ID_PATTERN:
            return (
                "not a valid id: use letters, digits, '.', '_' or '-' (no spaces), "
                "starting with a letter or digit"
            )
        return f"does not match the expected pattern {col.pattern}"
    if any(w in check for w in ("greater_than", "less_than", "at least", "at most")):
        return _range_text(col)
    if check.startswith("dtype"):
        return f"wrong type (expected {col.kind})"
    return check


def _check_values(
    raw: _RawTable, spec: TableSpec, typed: pd.DataFrame, problems: list[Problem], bad: set[int]
) -> None:
    schema = contract.pandera_schema(spec, list(typed.columns))
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        repeated: set[int] = set()  # rows reported as a repeated key combination
        for rec in fc.itertuples(index=False):
            col_name = rec.column if isinstance(rec.column, str) else None
            check = str(rec.check)
            idx = rec.index
            known_row = idx is not None and not pd.isna(idx)
            if check == "multiple_fields_uniqueness" or col_name not in spec.column_names:
                if len(spec.key) > 1 and known_row and int(idx) not in repeated:
                    idx = int(idx)
                    repeated.add(idx)
                    vals = ", ".join(str(typed.at[idx, k]) for k in spec.key)
                    problems.append(
                        Problem(
                            raw.file,
                            int(raw.rows[idx]),
                            "+".join(spec.key),
                            vals,
                            "duplicate: this combination must be unique",
                        )
                    )
                    bad.add(idx)
                continue
            col = spec.column(col_name)
            rule = _rule_for(check, col)
            if not known_row:
                value = None if pd.isna(rec.failure_case) else str(rec.failure_case)
                problems.append(Problem(raw.file, None, col_name, value, rule))
                continue
            idx = int(idx)
            raw_value = raw.frame.at[idx, col_name]
            if idx in bad and "not_nullable" in check and not pd.isna(raw_value):
                continue  # already reported as unreadable
            problems.append(
                Problem(
                    raw.file,
                    int(raw.rows[idx]),
                    col_name,
                    None if pd.isna(raw_value) else str(raw_value),
                    rule,
                )
            )
            bad.add(idx)


def _check_columns(
    raw: _RawTable, spec: TableSpec, problems: list[Problem], allowed_extra: Iterable[str] = ()
) -> bool:
    present = list(raw.frame.columns)
    allowed_extra = set(allowed_extra)
    ok = True
    unknown = [c for c in present if c not in spec.column_names and c not in allowed_extra]
    for col in spec.columns:
        if col.name in present or not col.required:
            continue
        ok = False
        guess = difflib.get_close_matches(col.name, unknown, n=1, cutoff=0.6)
        hint = f"; did you mean to name column '{guess[0]}' '{col.name}'?" if guess else ""
        problems.append(
            Problem(raw.file, raw.header_row, col.name, None, f"required column is missing{hint}")
        )
    if spec.extra_columns is None:
        for c in unknown:
            guess = difflib.get_close_matches(c, spec.column_names, n=1, cutoff=0.6)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(
                Problem(
                    raw.file,
                    raw.header_row,
                    c,
                    None,
                    f"unknown column{hint}; it is kept but not used",
                    "warning",
                )
            )
    return ok


def _type_table(
    raw: _RawTable, spec: TableSpec, problems: list[Problem], bad: set[int]
) -> pd.DataFrame:
    typed = {}
    for col in spec.columns:
        if col.name in raw.frame.columns:
            typed[col.name] = _convert(raw, col, problems, bad)
    frame = pd.DataFrame(typed, index=raw.frame.index)
    _check_values(raw, spec, frame, problems, bad)
    extras = [c for c in raw.frame.columns if c not in frame.columns]
    for c in extras:
        frame[c] = raw.frame[c].astype(object)
    return frame


# ---------------------------------------------------------------------------
# Survey item columns (dynamic)
# ---------------------------------------------------------------------------

_DK = {"dk", "don't know", "dont know", "don’t know"}
_NA = {"na", "n/a", "not applicable"}


def _is_yes(value: object) -> bool:
    return not pd.isna(value) and value == 1


def _answer(text: str, lo: int, hi: int, dk: bool, na: bool) -> tuple[str, str | None]:
    """Return one survey answer as stored ('3', 'dk', 'na') and what is wrong with it."""
    t = text.strip().lower()
    if t in _DK:
        return DONT_KNOW, None if dk else "not a valid answer"
    if t in _NA:
        return NOT_APPLICABLE, None if na else "not a valid answer"
    try:
        num = float(t.removesuffix(".0"))
    except ValueError:
        return t, "not a valid answer"
    if math.isnan(num) or not num.is_integer():
        return t, "not a valid answer"
    if not lo <= num <= hi:
        return t, "out of range"
    return str(int(num)), None


def _check_items(
    raw: _RawTable,
    responses: pd.DataFrame,
    items: pd.DataFrame,
    problems: list[Problem],
    bad: set[int],
) -> pd.DataFrame:
    spec = TABLES["survey_responses"]
    # items whose id is blank or repeated are reported in survey_items.csv; each id once here
    items = items[items["item_id"].notna()].drop_duplicates("item_id")
    item_ids = [str(i) for i in items["item_id"]]
    for item in item_ids:
        if item not in responses.columns:
            problems.append(
                Problem(
                    raw.file,
                    raw.header_row,
                    item,
                    None,
                    "required column is missing: the item is listed in survey_items.csv",
                )
            )
    for col in responses.columns:
        if col not in spec.column_names and col not in item_ids:
            guess = difflib.get_close_matches(col, item_ids, n=1, cutoff=0.6)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(
                Problem(
                    raw.file,
                    raw.header_row,
                    col,
                    None,
                    f"column is neither a respondent field nor an item in survey_items{hint}",
                )
            )
    for item in items.itertuples(index=False):
        if item.item_id not in responses.columns:
            continue
        if pd.isna(item.scale_min) or pd.isna(item.scale_max):
            continue  # its scale is unreadable (reported in survey_items.csv)
        lo, hi = int(item.scale_min), int(item.scale_max)
        dk, na = _is_yes(item.allows_dont_know), _is_yes(item.allows_not_applicable)
        allowed = f"a whole number from {lo} to {hi}"
        if dk:
            allowed += ", dk (don't know)"
        if na:
            allowed += ", na (not applicable)"
        allowed += " or blank"
        s = raw.frame[item.item_id]
        answers = {v: _answer(str(v), lo, hi, dk, na) for v in s.dropna().unique()}
        for idx in s.index[s.notna()]:
            rule = answers[s[idx]][1]
            if rule is not None:
                problems.append(
                    Problem(
                        raw.file,
                        int(raw.rows[idx]),
                        item.item_id,
                        str(s[idx]),
                        f"{rule}: must be {allowed}",
                    )
                )
                bad.add(idx)
        out = s.map({v: a[0] for v, a in answers.items()}).astype(object)
        responses[item.item_id] = out.where(out.notna(), pd.NA)
    return responses


# ---------------------------------------------------------------------------
# Cross-table rules
# ---------------------------------------------------------------------------


def _cross_checks(
    tables: dict[str, pd.DataFrame],
    raws: dict[str, _RawTable],
    problems: list[Problem],
    bad: dict[str, set[int]],
) -> None:
    def refer(table: str, column: str, target: str, target_col: str, what: str) -> None:
        if table not in tables or target not in tables or column not in tables[table]:
            return
        known = set(tables[target][target_col].dropna())
        s = tables[table][column]
        for idx in s.index[s.notna() & ~s.isin(known)]:
            problems.append(
                Problem(
                    raws[table].file,
                    int(raws[table].rows[idx]),
                    column,
                    str(s[idx]),
                    f"unknown {what}: not in {target}.csv",
                )
            )
            bad[table].add(idx)

    for name, spec in TABLES.items():
        for col in spec.columns:
            if col.references and name in tables:
                target, target_col = col.references.split(".")
                what = {"site_id": "site", "participant_id": "participant", "code_id": "code"}.get(
                    target_col, target_col
                )
                refer(name, col.name, target, target_col, what)

    if "sites" in tables:
        sites, raw = tables["sites"], raws["sites"]
        for idx, row in sites.iterrows():
            code, kind = row.get("ons_code"), row.get("authority_type")
            if isinstance(code, str) and isinstance(kind, str):
                expected = contract.AUTHORITY_TYPES.get(code[:3])
                if expected and expected != kind:
                    problems.append(
                        Problem(
                            raw.file,
                            int(raw.rows[idx]),
                            "authority_type",
                            kind,
                            f"does not agree with ONS code {code} ({expected})",
                        )
                    )
                    bad["sites"].add(idx)
            written = raw.frame.get("initiative_start", pd.Series(dtype=object)).get(idx)
            if (
                row.get("role") in {"origin", "adopter"}
                and pd.isna(row.get("initiative_start"))
                and pd.isna(written)  # a date that is not a date is reported already
            ):
                problems.append(
                    Problem(
                        raw.file,
                        int(raw.rows[idx]),
                        "initiative_start",
                        None,
                        "origin and adopter sites need the date the initiative started",
                    )
                )
                bad["sites"].add(idx)
        if "role" in sites and (sites["role"] == "origin").sum() > 1:
            problems.append(
                Problem(
                    raw.file,
                    None,
                    "role",
                    "origin",
                    "more than one origin site: comparisons use the first",
                    "warning",
                )
            )

    if "coded_segments" in tables and "participants" in tables:
        seg, raw = tables["coded_segments"], raws["coded_segments"]
        people = tables["participants"].drop_duplicates("participant_id")  # repeats: reported
        site_of = people.set_index("participant_id")["site_id"]
        if "participant_id" in seg and "site_id" in seg:
            their = seg["participant_id"].map(site_of)
            mismatch = seg["participant_id"].notna() & their.notna() & (their != seg["site_id"])
            for idx in seg.index[mismatch]:
                problems.append(
                    Problem(
                        raw.file,
                        int(raw.rows[idx]),
                        "site_id",
                        str(seg.at[idx, "site_id"]),
                        f"participant {seg.at[idx, 'participant_id']} belongs to site {their[idx]}",
                    )
                )
                bad["coded_segments"].add(idx)

    _housekeeping_checks(tables, raws, problems, bad)

    if "codebook" in tables:
        cb, raw = tables["codebook"], raws["codebook"]
        parents = cb.set_index("code_id")["parent_id"].to_dict()
        for idx, row in cb.iterrows():
            seen, node = set(), row["code_id"]
            while isinstance(node, str) and node in parents and node not in seen:
                seen.add(node)
                node = parents[node]
            if isinstance(node, str) and node in seen:
                problems.append(
                    Problem(
                        raw.file,
                        int(raw.rows[idx]),
                        "parent_id",
                        str(row["parent_id"]),
                        "code hierarchy has a cycle",
                    )
                )
                bad["codebook"].add(idx)


def _housekeeping_checks(
    tables: dict[str, pd.DataFrame],
    raws: dict[str, _RawTable],
    problems: list[Problem],
    bad: dict[str, set[int]],
) -> None:
    """Check withdrawals, participants' other methods and second auditors (issue #19)."""

    def flag(table: str, idx: int, column: str, value: object, rule: str) -> None:
        problems.append(
            Problem(raws[table].file, int(raws[table].rows[idx]), column, str(value), rule)
        )
        bad[table].add(idx)

    if "withdrawals" in tables:
        known: set[str] = set()
        for table in ("participants", "survey_responses"):
            column = WITHDRAWN_FROM[table]
            if table in tables and column in tables[table]:
                known.update(tables[table][column].dropna())
        people = tables["withdrawals"]["person_id"]
        for idx in people.index[people.notna() & ~people.isin(known)]:
            flag(
                "withdrawals",
                idx,
                "person_id",
                people[idx],
                "unknown person: not a participant_id in participants.csv nor a respondent_id "
                "in survey_responses.csv (a withdrawal must name the person's id exactly)",
            )
    people = tables.get("participants")
    if people is not None and "other_methods" in people:
        allowed = contract.PARTICIPANT_METHODS
        for idx, value in people["other_methods"].dropna().items():
            methods = [m.strip() for m in str(value).split(contract.LIST_SEPARATOR)]
            wrong = [m for m in methods if m not in allowed]
            if wrong:
                flag(
                    "participants",
                    idx,
                    "other_methods",
                    value,
                    f"not a method ({', '.join(wrong)}): methods separated by "
                    f"'{contract.LIST_SEPARATOR}', each one of {', '.join(allowed)}",
                )
            elif people.at[idx, "method"] in methods or len(set(methods)) < len(methods):
                flag(
                    "participants",
                    idx,
                    "other_methods",
                    value,
                    "names a method twice (method and other_methods list each way the person "
                    "took part once)",
                )
    audit = tables.get("case_audit")
    if audit is not None and {"auditor", "second_auditor"} <= set(audit.columns):
        same = audit["auditor"].notna() & (audit["auditor"] == audit["second_auditor"])
        for idx in audit.index[same]:
            flag(
                "case_audit",
                idx,
                "second_auditor",
                audit.at[idx, "second_auditor"],
                "the second auditor must be another person than the auditor",
            )
    if audit is not None:
        seconds = [c for c in audit.columns if c.startswith(contract.SECOND_PREFIX + "father_")]
        if seconds and "second_auditor" in audit:
            answered = audit[seconds].notna().any(axis=1) & audit["second_auditor"].isna()
            for idx in audit.index[answered]:
                flag(
                    "case_audit",
                    idx,
                    "second_auditor",
                    None,
                    "the case has a second auditor's answers but no second_auditor",
                )


# ---------------------------------------------------------------------------
# Withdrawals and primary codings (applied after validation)
# ---------------------------------------------------------------------------

#: The name under which every coder's codings go through :func:`withdraw`.
ALL_CODINGS = "all_codings"
#: Where a withdrawn person's rows are, per table: the column holding their id.
WITHDRAWN_FROM: dict[str, str] = {
    "participants": "participant_id",
    "coded_segments": "participant_id",
    ALL_CODINGS: "participant_id",
    "survey_responses": "respondent_id",
}


def withdraw(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Return the tables without the people of ``withdrawals``, and how many were removed.

    The counts are numbers only: ``people`` (the people withdrawn) and, per table, the rows
    removed (``coded_segments``: codings of the primary coder; ``all_codings``: every
    coder's). The withdrawals table itself is left out of the tables returned.

    >>> t = {"participants": pd.DataFrame({"participant_id": ["a", "b"]}),
    ...      "withdrawals": pd.DataFrame({"person_id": ["b"]})}
    >>> out, removed = withdraw(t)
    >>> list(out), out["participants"]["participant_id"].tolist(), removed
    (['participants'], ['a'], {'people': 1, 'participants': 1})
    """
    out = {k: v for k, v in tables.items() if k != "withdrawals"}
    gone = tables.get("withdrawals")
    if gone is None:
        return out, {}
    ids = set(gone["person_id"].dropna())
    removed = {"people": len(ids)}
    for table, column in WITHDRAWN_FROM.items():
        frame = out.get(table)
        if frame is None or column not in frame:
            continue
        drop = frame[column].isin(ids)
        removed[table] = int(drop.sum())
        out[table] = frame[~drop].reset_index(drop=True)
    return out, removed


def primary_codings(segments: pd.DataFrame, primary_coder: str | None = None) -> pd.DataFrame:
    """Return one coding per source: its primary coder's rows (every row without a coder column).

    The primary coder of a source is ``primary_coder`` when they coded it, else the coder
    of the source's first row in file order. A blank coder counts as one coder.

    >>> seg = pd.DataFrame({"source_id": ["s1", "s1", "s1", "s2"],
    ...                     "coder": ["x", "y", "x", "y"], "code_id": ["A", "A", "B", "C"]})
    >>> primary_codings(seg)["code_id"].tolist(), primary_codings(seg, "y")["code_id"].tolist()
    (['A', 'B', 'C'], ['A', 'C'])
    """
    if "coder" not in segments or not len(segments):
        return segments
    coder = segments["coder"].astype(object).where(segments["coder"].notna(), "")
    first = coder.groupby(segments["source_id"], sort=False).transform("first")
    if primary_coder is not None:
        has = (coder == primary_coder).groupby(segments["source_id"], sort=False).transform("any")
        first = first.where(~has, primary_coder)
    return segments[coder == first].reset_index(drop=True)


# ---------------------------------------------------------------------------
# The study object
# ---------------------------------------------------------------------------


@dataclass
class Study:
    """A validated study: its tables, where they came from and whether they are synthetic."""

    folder: Path
    kind: StudyKind
    name: str
    tables: dict[str, pd.DataFrame]
    fingerprint: str
    report: ValidationReport
    #: The study's analysis plan (its ``study.toml``): what its codes, items and columns mean.
    plan: AnalysisPlan = field(default_factory=AnalysisPlan)
    #: Every coder's codings (``coded_segments`` rows of all coders, withdrawn people left
    #: out); ``coded_segments`` holds one coding per source, the primary coder's. None when
    #: the study has no coded segments.
    all_codings: pd.DataFrame | None = field(default=None, repr=False)
    #: What the withdrawals removed: ``people`` and rows per table (numbers, never ids);
    #: empty when nobody withdrew.
    withdrawn: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, item: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if item in tables:
            return tables[item]
        if item in TABLES:
            raise MissingTablesError(
                f"The study in {self.__dict__.get('folder')} has no '{item}' table."
            )
        raise AttributeError(item)

    @property
    def synthetic(self) -> bool:
        """Return True when the study is the shipped synthetic data."""
        return self.kind == "synthetic"

    def has(self, *names: str) -> bool:
        """Return True when every named table is present."""
        return all(n in self.tables for n in names)

    def missing(self, names: Iterable[str]) -> list[str]:
        """Return the named tables this study does not hold."""
        return [n for n in names if n not in self.tables]

    def require(self, *names: str) -> None:
        """Raise a plain-English :class:`MissingTablesError` unless every table is present."""
        missing = self.missing(names)
        if missing:
            raise MissingTablesError(
                f"This analysis needs the table(s) {', '.join(missing)}, which are not in "
                f"{self.folder}. The folder holds: {', '.join(sorted(self.tables)) or 'nothing'}."
                " Add the missing files (see docs/data-dictionary.md) or run a notebook that "
                "needs only the tables you have."
            )

    def site_label(self, site: str) -> str:
        """Return the display name of a site, or 'All sites'."""
        if is_all_sites(site):
            return "All sites"
        if "sites" in self.tables:
            names = self.tables["sites"].set_index("site_id")["display_name"]
            if site in names.index:
                return str(names[site])
        return site

    def site_ids(self) -> list[str]:
        """Return the ids of the study's sites in file order."""
        return list(self.tables["sites"]["site_id"]) if "sites" in self.tables else []

    def participant_methods(self) -> pd.DataFrame:
        """Return one row per participant and way they took part (a person once per method).

        The methods of a person are ``method``, ``other_methods`` and the methods of the
        sources their coded segments come from; the other columns are the participant's.
        """
        return participant_methods(self.tables["participants"], self.tables.get("coded_segments"))


def participant_methods(
    participants: pd.DataFrame, segments: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return one row per participant and method they took part by (each pair once).

    >>> people = pd.DataFrame({"participant_id": ["a", "b"], "site_id": ["S", "S"],
    ...                        "method": ["interview", "interview"],
    ...                        "other_methods": ["focus_group", None]})
    >>> participant_methods(people)[["participant_id", "method"]].values.tolist()
    [['a', 'interview'], ['a', 'focus_group'], ['b', 'interview']]
    """
    people = participants.drop_duplicates("participant_id")
    pairs = [people[["participant_id", "method"]]]
    if "other_methods" in people:
        more = people[["participant_id", "other_methods"]].dropna()
        more = more.assign(
            method=more["other_methods"].astype(str).str.split(contract.LIST_SEPARATOR)
        ).explode("method")
        pairs.append(more[["participant_id"]].assign(method=more["method"].str.strip()))
    if segments is not None and {"participant_id", "method"} <= set(segments.columns):
        spoke = segments[["participant_id", "method"]].dropna()
        pairs.append(spoke[spoke["participant_id"].isin(people["participant_id"])])
    both = pd.concat(pairs, ignore_index=True)
    both = both[both["method"].isin(list(contract.PARTICIPANT_METHODS))]
    both = both.drop_duplicates().reset_index(drop=True)
    order = {p: i for i, p in enumerate(people["participant_id"])}
    rank = {m: i for i, m in enumerate(contract.PARTICIPANT_METHODS)}
    recruited = people.set_index("participant_id")["method"]
    first = both["method"].eq(both["participant_id"].map(recruited))
    both = both.assign(
        _p=both["participant_id"].map(order), _first=~first, _m=both["method"].map(rank)
    ).sort_values(["_p", "_first", "_m"], kind="stable")
    details = people.drop(columns=["method", "other_methods"], errors="ignore")
    out = both[["participant_id", "method"]].merge(details, on="participant_id", how="left")
    return out[[*details.columns[:1], "method", *details.columns[1:]]].reset_index(drop=True)


def read_marker(folder: str | Path) -> dict[str, str]:
    """Return the folder's ``study.toml`` marker (kind and name), or raise a clear error."""
    folder = Path(folder)
    path = folder / MARKER_FILE
    if not path.exists():
        raise StudyKindError(
            f"{folder} has no {MARKER_FILE}. A study folder must say whether it holds "
            'synthetic or real data: add a file study.toml containing kind = "real" '
            '(or "synthetic") and name = "...".'
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StudyKindError(
            f"{path} cannot be read: it must be TOML text in UTF-8 ({exc}). "
            "`srim template DIR` writes a fresh, commented one to copy from."
        ) from None
    if data.get("kind") not in ("synthetic", "real"):
        raise StudyKindError(
            f'{path}: kind must be "synthetic" or "real", not {data.get("kind")!r}'
        )
    return {k: str(v) for k, v in data.items()}


def _check_kind(folder: Path, kind: str, expect: StudyKind | None) -> None:

    resolved = folder.resolve()
    if expect is not None and kind != expect:
        raise StudyKindError(
            f"{folder} holds {kind} data, but this run expects {expect} data. Refusing to "
            f"treat {kind} data as {expect}."
        )
    in_private = paths.PRIVATE_DIR.resolve() in (resolved, *resolved.parents)
    in_synthetic = paths.SYNTHETIC_DIR.resolve() in (resolved, *resolved.parents)
    if kind == "synthetic" and in_private:
        raise StudyKindError(
            f"{folder} is in data/private/ (real data) but its marker says "
            "synthetic. Keep synthetic data out of the private folder."
        )
    if kind == "real" and in_synthetic:
        raise StudyKindError(
            f"{folder} is the shipped synthetic folder but its marker says "
            "real. Real data belong in data/private/ (git-ignored)."
        )


def data_fingerprint(folder: str | Path) -> str:
    """Return a short SHA-256 fingerprint of the study files in ``folder``."""
    folder = Path(folder)
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and (path.suffix in {".csv", ".xlsx", ".toml"}):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.is_file()
    )


def _kind_problems(folder: Path) -> list[Problem]:
    """Return a problem when the folder's study.toml says neither synthetic nor real."""
    try:
        data = tomllib.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # a missing or unreadable file is reported by read_plan
    value = data.get("kind")
    if value in ("synthetic", "real"):
        return []
    return [
        Problem(
            MARKER_FILE,
            None,
            "kind",
            None if value is None else str(value),
            'must be "synthetic" or "real": whether the folder holds made-up or real data',
        )
    ]


def _needed(wanted: Iterable[str]) -> set[str]:
    """Return the tables read for ``wanted``: they and the tables their columns refer to."""
    needed = set(wanted)
    for name in list(needed):
        for col in TABLES[name].columns:
            if col.references:
                needed.add(col.references.split(".")[0])
    if "survey_responses" in needed:
        needed.add("survey_items")
    return needed


def validate_study(
    folder: str | Path, tables: Sequence[str] | None = None
) -> tuple[ValidationReport, dict[str, pd.DataFrame]]:
    """Return the validation report and the typed tables of a study folder."""
    folder = Path(folder)
    report = ValidationReport(folder)
    problems = report.problems
    if not folder.is_dir():
        problems.append(Problem.for_file(str(folder), "folder not found"))
        return report, {}
    wanted = list(tables) if tables is not None else list(TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; the tables are {list(TABLES)}")
    needed = _needed(wanted)
    if _table_present(folder, "withdrawals"):
        # a withdrawal applies to every table: read it, and the tables its people are in
        needed |= _needed(("withdrawals", *WITHDRAWN_FROM.keys() - {ALL_CODINGS}))
    raws: dict[str, _RawTable] = {}
    typed: dict[str, pd.DataFrame] = {}
    bad: dict[str, set[int]] = {}
    for name in TABLES:
        if name not in needed:
            continue
        spec = TABLES[name]
        raw = _read_raw(folder, spec, problems)
        if raw is None:
            if name in wanted and tables is not None:
                problems.append(
                    Problem.for_file(f"{name}.csv", "file is missing (needed by this analysis)")
                )
            continue
        bad[name] = set()
        extra: list[str] = []
        if name == "survey_responses" and "survey_items" in typed:
            extra = list(typed["survey_items"]["item_id"].dropna())
        if not _check_columns(raw, spec, problems, extra):
            bad[name].update(raw.frame.index)  # unusable without its columns
            raws[name] = raw
            continue
        frame = _type_table(raw, spec, problems, bad[name])
        if name == "survey_responses" and "survey_items" in typed:
            frame = _check_items(raw, frame, typed["survey_items"], problems, bad[name])
        raws[name], typed[name] = raw, frame
    _cross_checks(typed, raws, problems, bad)
    plan, plan_problems = read_plan(folder)
    problems.extend(plan_problems)
    problems.extend(_kind_problems(folder))
    problems.extend(check_plan(plan, typed))
    for name, idx in bad.items():
        if idx:
            rejected = raws[name].frame.loc[sorted(idx)].copy()
            rejected.insert(0, "row", raws[name].rows.loc[sorted(idx)])
            report.rejected[name] = rejected
    return report, typed


@functools.lru_cache(maxsize=8)
def _load_cached(folder: str, signature: tuple, tables: tuple[str, ...] | None) -> Study:
    path = Path(folder)
    marker = read_marker(path)
    report, typed = validate_study(path, tables)
    if not report.ok:
        raise StudyValidationError(report)
    plan, _ = read_plan(path)
    if "codebook" in typed and plan.codes.themes:
        themes = theme_of_codes(plan, typed["codebook"])
        book = typed["codebook"]
        book["branch"] = book["code_id"].map(themes).fillna(book["branch"])
    if "coded_segments" in typed:
        # the primary coder of a source is found before anyone's codings are withdrawn
        typed[ALL_CODINGS] = typed["coded_segments"]
        typed["coded_segments"] = primary_codings(typed[ALL_CODINGS], plan.coding.primary_coder)
    typed, removed = withdraw(typed)
    all_codings = typed.pop(ALL_CODINGS, None)
    if tables is not None:  # the tables read only to apply the withdrawals are left out
        typed = {k: v for k, v in typed.items() if k in _needed(tables)}
    return Study(
        folder=path,
        kind=marker["kind"],  # type: ignore[arg-type]
        name=marker.get("name", path.name),
        tables=typed,
        fingerprint=data_fingerprint(path),
        report=report,
        plan=plan,
        all_codings=all_codings,
        withdrawn=removed,
    )


def load_study(
    folder: str | Path, tables: Sequence[str] | None = None, expect: StudyKind | None = None
) -> Study:
    """Return the validated study in ``folder`` (all tables present, or those named)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Study folder not found: {folder}")
    marker = read_marker(folder)
    _check_kind(folder, marker["kind"], expect)
    if tables is not None:
        missing = [t for t in tables if not _table_present(folder, t)]
        if missing:
            raise MissingTablesError(
                f"This analysis needs the table(s) {', '.join(missing)}, which are not in "
                f"{folder}. Add them (see docs/data-dictionary.md; `srim template DIR` writes "
                "blank ones) or use a notebook that needs only the tables you have."
            )
    cached = _load_cached(
        str(folder.resolve()), _signature(folder), tuple(tables) if tables is not None else None
    )
    return Study(
        folder=folder,
        kind=cached.kind,
        name=cached.name,
        tables={k: v.copy() for k, v in cached.tables.items()},
        fingerprint=cached.fingerprint,
        report=cached.report,
        plan=cached.plan,
        all_codings=None if cached.all_codings is None else cached.all_codings.copy(),
        withdrawn=dict(cached.withdrawn),
    )


def _table_present(folder: Path, name: str) -> bool:
    if (folder / f"{name}.csv").exists():
        return True
    book = _find_workbook(folder)
    if book is None:
        return False

    wb = load_workbook(book, read_only=True)
    names = {s.strip().lower() for s in wb.sheetnames}
    wb.close()
    return name in names


def tables_present(folder: str | Path) -> list[str]:
    """Return the names of the contract's tables found in ``folder``."""
    return [t for t in TABLES if _table_present(Path(folder), t)]
