"""Read an export of any supported QDA package: detect its format and return its raw tables."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

from . import qualcoder, refi, taguette
from ._model import FORMATS, QdaFormatError, RawProject
from .tables import QdaImport, build_tables

_BY_EXTENSION = {
    ".qdpx": "refi-qdpx",
    ".qde": "refi-qdpx",
    ".qdc": "refi-qdc",
    ".csv": "taguette-highlights",
    ".xlsx": "taguette-highlights",
    ".xlsm": "taguette-highlights",
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_format(path: Path) -> str:
    conn = qualcoder.connect_readonly(path)
    try:
        tables = set(qualcoder.table_columns(conn))
    finally:
        conn.close()
    if {"code_name", "code_text", "source"} <= tables:
        return "qualcoder"
    if {"documents", "highlights", "tags"} <= tables:
        return "taguette-sqlite"
    raise QdaFormatError(
        f"{path}: an SQLite database, but neither a QualCoder project (tables code_name, "
        "code_text, source) nor a Taguette project (tables documents, highlights, tags)"
    )


def detect_format(path: str | Path) -> str:
    """Return the format key (one of :data:`FORMATS`) of a QDA file or folder."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    if p.is_dir():
        if (p / "data.qda").is_file():
            return "qualcoder"
        if (p / "project.qde").is_file():
            return "refi-qdpx"
        raise QdaFormatError(
            f"{p}: a folder, but neither a QualCoder project (no data.qda) nor an unzipped "
            "REFI-QDA project (no project.qde)"
        )
    suffix = p.suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    with p.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(_SQLITE_MAGIC):
        return _sqlite_format(p)
    if zipfile.is_zipfile(p):
        with zipfile.ZipFile(p) as zf:
            if any(n.lower().endswith(".qde") for n in zf.namelist()):
                return "refi-qdpx"
    if m := re.search(rb"<(?:[\w.-]+:)?(Project|CodeBook)\b", head):
        return "refi-qdpx" if m[1] == b"Project" else "refi-qdc"
    raise QdaFormatError(
        f"{p}: cannot tell the format; expected a .qdpx, .qdc, QualCoder project or "
        "data.qda, Taguette .sqlite3, or Taguette highlights .csv/.xlsx"
    )


def _reader(fmt: str, base_path: Path | None) -> Callable[[Path], RawProject]:
    readers: dict[str, Callable[[Path], RawProject]] = {
        "refi-qdpx": lambda p: refi.read_project(p, base_path),
        "refi-qdc": refi.read_codebook,
        "qualcoder": qualcoder.read_project,
        "taguette-sqlite": taguette.read_sqlite,
        "taguette-highlights": taguette.read_highlights,
    }
    if fmt not in readers:
        raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")
    return readers[fmt]


def read_qda(
    path: str | Path, *, base_path: str | Path | None = None, format: str | None = None
) -> QdaImport:
    """Return the study tables and import report read from a QDA file or project folder.

    ``base_path`` is where ``relative://`` source files are looked for first (then the
    project's ``basePath``, then the folder holding the file); ``format`` skips detection.
    Raises :class:`QdaFormatError` for a file that cannot be read at all; everything else
    is reported as :class:`QdaImportWarning` and in ``result.report``.
    """
    p = Path(path)
    fmt = format or detect_format(p)
    try:
        raw = _reader(fmt, Path(base_path) if base_path is not None else None)(p)
    except sqlite3.Error as exc:
        raise QdaFormatError(f"{p}: cannot read the database ({exc})") from exc
    result = build_tables(raw, p)
    raw.report.emit_warnings(stacklevel=3)
    return result
