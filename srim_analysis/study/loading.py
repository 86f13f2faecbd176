"""Load a study folder, check it against the data contract, and return a validated study.

:func:`load_study` is the one way notebooks read data. It reads each table from
``<table>.csv`` (UTF-8, UTF-8 with BOM or Windows-1252) or from a sheet of an Excel
workbook, normalises the harmless quirks (trailing spaces in headers, ids that Excel turned
into numbers), checks every value and every cross-table rule, and collects *every*
problem with its file, row (as numbered in the file, header = row 1), column, value and
rule. With any error the load fails with that report; nothing is dropped silently.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
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


def _decode(data: bytes, file: str, problems: list[Problem]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(
            Problem.for_file(file, "read as UTF-8 with a byte-order mark (BOM)", "note")
        )
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(
            Problem.for_file(
                file,
                "not UTF-8: read as Windows-1252 (the usual encoding of Excel's 'CSV' on Windows)",
                "note",
            )
        )
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path, problems: list[Problem]) -> tuple[pd.DataFrame, int] | None:

    text = _decode(path.read_bytes(), path.name, problems)
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    body = "".join(lines[skipped:])
    if not body.strip():
        problems.append(
            Problem.for_file(path.name, "the file is empty: it needs at least a header row")
        )
        return None
    frame = pd.read_csv(
        io.StringIO(body),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
    )
    return frame, skipped


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
        read = _read_csv(csv_path, problems)
        if read is None:
            return None
        frame, skipped = read
        file, first_row, excel = csv_path.name, 2 + skipped, False
    elif book is not None:
        wb = load_workbook(book, read_only=True)
        sheets = {s.strip().lower(): s for s in wb.sheetnames}
        wb.close()
        if spec.name not in sheets:
            return None
        frame, numeric_cols = _read_sheet(book, sheets[spec.name])
        file, first_row, excel = f"{book.name} [{sheets[spec.name]}]", 2, True
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
                    1,
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
    frame = frame.replace({"": pd.NA}).map(lambda v: v.strip() if isinstance(v, str) else v)
    frame = frame.replace({"": pd.NA})
    rows = pd.Series(range(first_row, first_row + len(frame)), index=frame.index)
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
    return _RawTable(spec.name, file, frame, rows, excel)


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


def _convert(raw: _RawTable, col: ColumnSpec, problems: list[Problem], bad: set[int]) -> pd.Series:
    s = raw.frame[col.name]
    present = s.notna()

    def flag(mask: pd.Series, rule: str) -> None:
        for idx in s.index[mask]:
            problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, str(s[idx]), rule))
            bad.add(idx)

    if col.kind in {"integer", "binary"}:
        text = s.astype("string").str.lower()
        if col.kind == "binary":
            text = text.where(~text.isin(_TRUE), "1").where(~text.isin(_FALSE), "0")
        num = pd.to_numeric(text, errors="coerce")
        flag(
            present & num.isna(),
            "text where a number is expected"
            if col.kind == "integer"
            else "must be 0 or 1 (yes/no also accepted)",
        )
        frac = num.notna() & (num != num.round())
        flag(frac, "must be a whole number")
        return num.where(~frac).astype("Float64").round().astype("Int64")
    if col.kind == "number":
        num = pd.to_numeric(s, errors="coerce")
        flag(present & num.isna(), "text where a number is expected")
        return num.astype("Float64")
    if col.kind == "date":
        out = pd.to_datetime(s, errors="coerce", format="ISO8601")
        # UK-style day-first dates (31/01/2025), and Excel date-times, where not ISO
        rest = present & out.isna()
        if rest.any():
            out[rest] = pd.to_datetime(s[rest], errors="coerce", format="mixed", dayfirst=True)
        flag(present & out.isna(), "not a date (use YYYY-MM-DD)")
        return out.astype("datetime64[ns]")
    if col.kind == "id":
        return s.astype("string").str.replace(r"\.0$", "", regex=True).astype(object)
    return s.astype(object)


def _rule_for(check: str, col: ColumnSpec) -> str:
    if "isin" in check and col.allowed is not None:
        values = col.allowed_values or []
        close = ", ".join(values[:12]) + (" ..." if len(values) > 12 else "")
        return f"not an allowed value (allowed: {close})"
    if "not_nullable" in check:
        return "required, but blank"
    if "uniqueness" in check or "duplicates" in check:
        return "duplicate: must be unique"
    if check.startswith("dtype"):
        return f"wrong type (expected {col.kind})"
    return check


def _check_values(
    raw: _RawTable, spec: TableSpec, typed: pd.DataFrame, problems: list[Problem], bad: set[int]
) -> None:
    schema = contract.pandera_schema(spec)
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        for rec in fc.itertuples(index=False):
            col_name = rec.column if isinstance(rec.column, str) else None
            idx = rec.index
            if col_name is None or col_name not in spec.column_names:
                if spec.key and len(spec.key) > 1 and idx is not None and not pd.isna(idx):
                    idx = int(idx)
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
            value = None if pd.isna(rec.failure_case) else str(rec.failure_case)
            if idx is None or pd.isna(idx):
                problems.append(
                    Problem(raw.file, None, col_name, value, _rule_for(str(rec.check), col))
                )
                continue
            idx = int(idx)
            if (
                idx in bad
                and "not_nullable" in str(rec.check)
                and raw.frame.at[idx, col_name] is not pd.NA
            ):
                continue  # already reported as unreadable
            check = str(rec.check)
            rule = _rule_for(check, col)
            if col.pattern and "str_matches" in check:
                rule = f"does not match the expected pattern {col.pattern}"
            elif "greater_than_or_equal" in check or "less_than_or_equal" in check:
                rule = (
                    f"out of range: must be between {col.minimum:g} and {col.maximum:g}"
                    if col.minimum is not None and col.maximum is not None
                    else check
                )
            raw_value = raw.frame.at[idx, col_name]
            problems.append(
                Problem(
                    raw.file,
                    int(raw.rows[idx]),
                    col_name,
                    None if raw_value is pd.NA else str(raw_value),
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
        problems.append(Problem(raw.file, 1, col.name, None, f"required column is missing{hint}"))
    dupes = {c for c in present if present.count(c) > 1}
    for c in dupes:
        ok = False
        problems.append(Problem(raw.file, 1, c, None, "column appears more than once"))
    if spec.extra_columns is None:
        for c in unknown:
            guess = difflib.get_close_matches(c, spec.column_names, n=1, cutoff=0.6)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(
                Problem(
                    raw.file,
                    1,
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


def _check_items(
    raw: _RawTable,
    responses: pd.DataFrame,
    items: pd.DataFrame,
    problems: list[Problem],
    bad: set[int],
) -> pd.DataFrame:
    spec = TABLES["survey_responses"]
    item_ids = list(items["item_id"])
    for item in item_ids:
        if item not in responses.columns:
            problems.append(
                Problem(
                    raw.file,
                    1,
                    item,
                    None,
                    "survey item listed in survey_items has no column in survey_responses",
                )
            )
    for col in responses.columns:
        if col not in spec.column_names and col not in item_ids:
            guess = difflib.get_close_matches(col, item_ids, n=1, cutoff=0.6)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(
                Problem(
                    raw.file,
                    1,
                    col,
                    None,
                    f"column is neither a respondent field nor an item in survey_items{hint}",
                )
            )
    for item in items.itertuples(index=False):
        if item.item_id not in responses.columns:
            continue
        lo, hi = int(item.scale_min), int(item.scale_max)
        s = raw.frame[item.item_id].astype("string").str.strip().str.lower()
        out = s.copy()
        out[s.isin(_DK)] = DONT_KNOW
        out[s.isin(_NA)] = NOT_APPLICABLE
        num = pd.to_numeric(s.str.replace(r"\.0$", "", regex=True), errors="coerce")
        ok_num = num.notna() & (num == num.round()) & num.between(lo, hi)
        out[ok_num] = num[ok_num].astype(int).astype(str)
        allowed = f"a whole number from {lo} to {hi}"
        if item.allows_dont_know == 1:
            allowed += ", dk (don't know)"
        if item.allows_not_applicable == 1:
            allowed += ", na (not applicable)"
        allowed += " or blank"
        bad_mask = (
            s.notna()
            & ~ok_num
            & ~(s.isin(_DK) & (item.allows_dont_know == 1))
            & ~(s.isin(_NA) & (item.allows_not_applicable == 1))
        )
        for idx in s.index[bad_mask]:
            rule = "out of range" if pd.notna(num[idx]) else "not a valid answer"
            problems.append(
                Problem(
                    raw.file,
                    int(raw.rows[idx]),
                    item.item_id,
                    str(raw.frame.at[idx, item.item_id]),
                    f"{rule}: must be {allowed}",
                )
            )
            bad.add(idx)
        responses[item.item_id] = out.astype(object).where(out.notna(), pd.NA)
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
            if row.get("role") in {"origin", "adopter"} and pd.isna(row.get("initiative_start")):
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
        site_of = tables["participants"].set_index("participant_id")["site_id"]
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
    data = tomllib.loads(path.read_text(encoding="utf-8"))
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
    # referenced tables are read too, so cross-table rules can be checked
    needed = set(wanted)
    for name in list(needed):
        for col in TABLES[name].columns:
            if col.references:
                needed.add(col.references.split(".")[0])
    if "survey_responses" in needed:
        needed.add("survey_items")
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
    return Study(
        folder=path,
        kind=marker["kind"],  # type: ignore[arg-type]
        name=marker.get("name", path.name),
        tables=typed,
        fingerprint=data_fingerprint(path),
        report=report,
        plan=plan,
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
