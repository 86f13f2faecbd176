"""Read Taguette exports: the project's ``.sqlite3`` copy and the highlights CSV/Excel.

*Project copy* (Project > Export project): tables ``projects`` (id, name, description),
``documents`` (id, name, description, filename, contents, project_id), ``highlights``
(id, document_id, start_offset, end_offset, snippet), ``tags`` (id, project_id, path,
description, and ``parent_id`` since Taguette 1.5) and ``highlight_tags`` (highlight_id,
tag_id). Documents and snippets are HTML; Taguette counts highlight offsets in UTF-8 bytes
of the document's text nodes (tags not counted), so that counting is tried first. The
user who made a highlight is taken from the ``commands`` log where the copy has it.

*Highlights export* (Highlights > Export, CSV or Excel): columns ``id``, ``document``,
``tag``, ``content``; one row per highlight and tag. There are no positions, no document
texts and no tag hierarchy: the excerpt is ``content`` as exported.
"""

from __future__ import annotations

import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from ._model import (
    DEFAULT_COUNTINGS,
    ImportReport,
    QdaFormatError,
    RawCode,
    RawCoding,
    RawProject,
    RawSelection,
    RawSource,
)
from .qualcoder import connect_readonly, table_columns

TAGUETTE_COUNTINGS: tuple[str, ...] = (
    "utf8",
    *(c for c in DEFAULT_COUNTINGS if c != "utf8"),
)
HIGHLIGHT_COLUMNS = ("id", "document", "tag", "content")

_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
    }
)


class _HtmlText(HTMLParser):
    """Collect the text nodes of an HTML fragment, and where block elements break lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.breaks: list[int] = []
        self._skip = 0

    def _break(self, tag: str) -> None:
        if tag in _BLOCKS and self.length and (not self.breaks or self.breaks[-1] != self.length):
            self.breaks.append(self.length)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            data = data.replace("\r\n", "\n").replace("\r", "\n")
            self.parts.append(data)
            self.length += len(data)


def html_text(html: str) -> tuple[str, list[int]]:
    """Return the text Taguette counts in an HTML document, and the block-break positions.

    >>> html_text("<p>Zoë said</p><p>the dad&#39;s GP</p>")
    ("Zoë saidthe dad's GP", [8])
    """
    parser = _HtmlText()
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts)
    breaks = [b for b in parser.breaks if 0 < b < len(text) and not text[b - 1].isspace()]
    return text, [b for b in breaks if not text[b].isspace()]


def html_to_plain(html: str) -> str:
    """Return an HTML snippet as plain text with line breaks between blocks."""
    text, breaks = html_text(html)
    pieces, last = [], 0
    for b in breaks:
        pieces += [text[last:b], "\n"]
        last = b
    pieces.append(text[last:])
    return "".join(pieces).strip()


def read_sqlite(path: Path) -> RawProject:
    """Return the raw project of a Taguette ``.sqlite3`` project copy."""
    report = ImportReport(path.name)
    conn = connect_readonly(path)
    try:
        cols = table_columns(conn)
        missing = [
            t for t in ("documents", "highlights", "tags", "highlight_tags") if t not in cols
        ]
        if missing:
            raise QdaFormatError(f"{path}: not a Taguette project (no table {', '.join(missing)})")
        conn.row_factory = sqlite3.Row
        names = (
            [r["name"] for r in conn.execute("select name from projects")]
            if "projects" in cols
            else []
        )
        description = "Taguette project" + (f" {', '.join(map(repr, names))}" if names else "")
        p = RawProject("taguette-sqlite", description, report, origin="Taguette")
        if len(names) > 1:
            report.info("projects", path.name, f"{len(names)} projects in the file; all imported")

        parent_col = "parent_id" in cols["tags"]
        extra = ", parent_id" if parent_col else ""
        for r in conn.execute(f"select id, path, description{extra} from tags order by id"):
            parent = f"tag:{r['parent_id']}" if parent_col and r["parent_id"] is not None else None
            p.codes.append(
                RawCode(
                    f"tag:{r['id']}",
                    r["path"] or "",
                    parent,
                    r["description"] or "",
                    guid=f"tag:{r['id']}",
                )
            )

        for r in conn.execute(
            "select id, name, description, filename, contents from documents order by id"
        ):
            text, breaks = html_text(r["contents"] or "")
            p.sources.append(
                RawSource(
                    key=f"doc:{r['id']}",
                    name=r["name"] or r["filename"] or f"document {r['id']}",
                    text=text,
                    path=r["filename"] or "",
                    guid=f"document:{r['id']}",
                    countings=TAGUETTE_COUNTINGS,
                    breaks=breaks,
                )
            )

        authors: dict[int, str] = {}
        if "commands" in cols:
            for r in conn.execute("select user_login, payload from commands order by id"):
                try:
                    payload = json.loads(r["payload"])
                except (TypeError, ValueError):
                    continue
                if isinstance(payload, dict) and payload.get("type") == "highlight_add":
                    hid = payload.get("highlight_id")
                    if isinstance(hid, int):
                        authors.setdefault(hid, r["user_login"] or "")

        tags_of: dict[int, list[int]] = {}
        for r in conn.execute("select highlight_id, tag_id from highlight_tags order by rowid"):
            tags_of.setdefault(int(r["highlight_id"]), []).append(int(r["tag_id"]))
        for r in conn.execute(
            "select id, document_id, start_offset, end_offset, snippet from highlights order by id"
        ):
            hid = int(r["id"])
            coder = authors.get(hid, "")
            p.selections.append(
                RawSelection(
                    key=f"highlight {hid}",
                    source=f"doc:{r['document_id']}",
                    start=r["start_offset"],
                    end=r["end_offset"],
                    codings=[RawCoding(f"tag:{t}", coder) for t in tags_of.get(hid, [])],
                    stored=[html_to_plain(r["snippet"] or "")],
                    coder=coder,
                    guid=f"highlight:{hid}",
                )
            )
        p.users = {u: u for u in sorted(set(authors.values())) if u}
    finally:
        conn.close()
    return p


def read_highlights(path: Path) -> RawProject:
    """Return the raw project of a Taguette highlights export (CSV or Excel)."""
    report = ImportReport(path.name)
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise QdaFormatError(f"{path}: cannot read the highlights table ({exc})") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in HIGHLIGHT_COLUMNS if c not in frame.columns]
    if missing:
        raise QdaFormatError(
            f"{path}: not a Taguette highlights export (no column {', '.join(missing)}; "
            f"expected {', '.join(HIGHLIGHT_COLUMNS)})"
        )
    p = RawProject("taguette-highlights", "Taguette highlights export", report, origin="Taguette")
    tag_keys: dict[str, str] = {}
    doc_keys: dict[str, str] = {}
    selections: dict[str, RawSelection] = {}
    for n, row in enumerate(frame.itertuples(index=False), start=2):
        hid, document, tag, content = (str(getattr(row, c)).strip() for c in HIGHLIGHT_COLUMNS)
        content = str(row.content)
        if not document:
            report.warn("bad_row", f"row {n}", "has no document; skipped")
            continue
        if document not in doc_keys:
            doc_keys[document] = f"doc:{len(doc_keys) + 1}"
            p.sources.append(RawSource(doc_keys[document], document, None))
        hid = hid or f"row {n}"
        sel = selections.get(hid)
        if sel is None:
            sel = RawSelection(
                key=f"highlight {hid}",
                source=doc_keys[document],
                start=None,
                end=None,
                excerpt=content.strip(),
                guid=f"highlight:{hid}",
            )
            selections[hid] = sel
            p.selections.append(sel)
        if tag:
            if tag not in tag_keys:
                tag_keys[tag] = f"tag:{len(tag_keys) + 1}"
                p.codes.append(RawCode(tag_keys[tag], tag))
            sel.codings.append(RawCoding(tag_keys[tag]))
    report.info(
        "no_text",
        path.name,
        "a highlights export has no document texts or positions: excerpts are as exported, "
        "and n_characters, start and end are blank",
    )
    return p
