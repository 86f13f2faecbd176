"""Read a QualCoder project: the SQLite database ``data.qda`` inside the project folder.

Tables used (QualCoder 2.x-3.x): ``code_cat`` (catid, name, memo, supercatid) — categories,
which become parent codes; ``code_name`` (cid, name, memo, catid, color, owner);
``source`` (id, name, fulltext, mediapath, ...) — sources with a ``fulltext`` are text
sources, others (images, audio, video) are reported as skipped; ``code_text`` (cid, fid,
seltext, pos0, pos1, owner, ...) — a span coded by one coder becomes one segment, with a
row per code; ``cases`` (caseid, name, memo); ``case_text`` (caseid, fid, pos0, pos1) — a
case covering a whole file, or only part of it (a speaker); ``attribute_type`` (name,
caseOrFile, valuetype) and ``attribute`` (name, attr_type 'case' or 'file', value, id).

QualCoder positions are code points in ``fulltext``; ``seltext`` is checked against the cut.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ._model import (
    ImportReport,
    QdaFormatError,
    RawCase,
    RawCode,
    RawCoding,
    RawProject,
    RawSelection,
    RawSource,
)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Return a read-only connection to an SQLite file, or raise QdaFormatError."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise QdaFormatError(f"{path}: not a readable SQLite database ({exc})") from exc
    return conn


def table_columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Return each table's column names."""
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    return {t: {r[1] for r in conn.execute(f'pragma table_info("{t}")')} for t in tables}


def _rows(conn: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    return list(conn.execute(sql))


def _pick(columns: set[str], wanted: list[str]) -> str:
    return ", ".join(c if c in columns else f"NULL as {c}" for c in wanted)


def read_project(path: Path) -> RawProject:
    """Return the raw project of a QualCoder project folder or its ``data.qda`` file."""
    db = path / "data.qda" if path.is_dir() else path
    if not db.is_file():
        raise QdaFormatError(f"{path}: not a QualCoder project: no data.qda")
    report = ImportReport(path.name)
    conn = connect_readonly(db)
    try:
        cols = table_columns(conn)
        missing = [t for t in ("code_name", "code_text", "source") if t not in cols]
        if missing:
            raise QdaFormatError(f"{db}: not a QualCoder database (no table {', '.join(missing)})")
        version = ""
        if "project" in cols:
            row = conn.execute("select * from project").fetchone()
            version = str(row[0]) if row else ""
        project = RawProject(
            "qualcoder",
            "QualCoder project" + (f" (database {version})" if version else ""),
            report,
            origin="QualCoder",
        )
        _read(conn, cols, project)
    finally:
        conn.close()
    return project


def _read(conn: sqlite3.Connection, cols: dict[str, set[str]], p: RawProject) -> None:
    report = p.report
    if "code_cat" in cols:
        for r in _rows(
            conn,
            f"select {_pick(cols['code_cat'], ['catid', 'name', 'memo', 'supercatid'])} "
            "from code_cat order by catid",
        ):
            parent = None if r["supercatid"] is None else f"cat:{r['supercatid']}"
            p.codes.append(RawCode(f"cat:{r['catid']}", r["name"] or "", parent, r["memo"] or ""))
    for r in _rows(
        conn,
        f"select {_pick(cols['code_name'], ['cid', 'name', 'memo', 'catid', 'color'])} "
        "from code_name order by cid",
    ):
        parent = None if r["catid"] is None else f"cat:{r['catid']}"
        p.codes.append(
            RawCode(
                f"code:{r['cid']}",
                r["name"] or "",
                parent,
                r["memo"] or "",
                colour=(r["color"] or "").strip(),
                guid=f"cid:{r['cid']}",
            )
        )
    for code in p.codes:
        if code.key.startswith("cat:"):
            code.guid = f"catid:{code.key[4:]}"

    file_vars: dict[int, dict[str, str]] = {}
    case_vars: dict[int, dict[str, str]] = {}
    if "attribute_type" in cols:
        p.variables = [
            r["name"]
            for r in _rows(conn, "select name from attribute_type order by rowid")
            if r["name"]
        ]
    if "attribute" in cols:
        for r in _rows(conn, "select name, attr_type, value, id from attribute order by rowid"):
            if r["value"] is None or str(r["value"]).strip() == "" or r["id"] is None:
                continue
            target = case_vars if (r["attr_type"] or "").lower() == "case" else file_vars
            target.setdefault(int(r["id"]), {})[r["name"]] = str(r["value"])

    texts: dict[int, str] = {}
    src_cols = cols["source"]
    for r in _rows(
        conn, f"select {_pick(src_cols, ['id', 'name', 'fulltext', 'mediapath'])} from source"
    ):
        fid = int(r["id"])
        if r["fulltext"] is None:
            report.skip(
                "media_source",
                f"source {r['name']!r}",
                f"not a text source ({r['mediapath'] or 'no text'}); not imported",
            )
            continue
        texts[fid] = r["fulltext"]
        p.sources.append(
            RawSource(
                key=f"file:{fid}",
                name=r["name"] or f"file {fid}",
                text=r["fulltext"],
                path=r["mediapath"] or "",
                guid=f"fid:{fid}",
                variables=file_vars.get(fid, {}),
            )
        )

    ct_cols = cols["code_text"]
    spans: dict[tuple[int, int, int, str], RawSelection] = {}
    for r in _rows(
        conn,
        f"select {_pick(ct_cols, ['ctid', 'cid', 'fid', 'seltext', 'pos0', 'pos1', 'owner'])} "
        "from code_text order by fid, pos0, pos1, rowid",
    ):
        if r["fid"] is None or r["pos0"] is None or r["pos1"] is None:
            report.warn("bad_position", f"coding of code {r['cid']}", "has no file or positions")
            continue
        owner = r["owner"] or ""
        key = (int(r["fid"]), int(r["pos0"]), int(r["pos1"]), owner)
        sel = spans.get(key)
        if sel is None:
            sel = RawSelection(
                key=f"{key[0]}:{key[1]}-{key[2]}" + (f":{owner}" if owner else ""),
                source=f"file:{key[0]}",
                start=key[1],
                end=key[2],
                stored=[r["seltext"]] if r["seltext"] else [],
                coder=owner,
                guid=f"ctid:{r['ctid']}" if r["ctid"] is not None else "",
            )
            spans[key] = sel
            p.selections.append(sel)
        sel.codings.append(RawCoding(f"code:{r['cid']}", owner))
    p.users = {o: o for o in sorted({s.coder for s in p.selections if s.coder})}

    for table, what in (("code_image", "image"), ("code_av", "audio/video")):
        if table in cols:
            n = conn.execute(f"select count(*) from {table}").fetchone()[0]
            if n:
                report.skip("media_codings", table, f"{n} {what} coding(s) not imported")

    if "cases" in cols:
        members: dict[int, list[tuple[int, int | None, int | None]]] = {}
        if "case_text" in cols:
            for r in _rows(conn, "select caseid, fid, pos0, pos1 from case_text order by rowid"):
                members.setdefault(int(r["caseid"]), []).append(
                    (int(r["fid"]), r["pos0"], r["pos1"])
                )
        for r in _rows(conn, "select caseid, name, memo from cases order by caseid"):
            cid = int(r["caseid"])
            case = RawCase(
                key=f"case:{cid}",
                name=r["name"] or f"case {cid}",
                description=r["memo"] or "",
                guid=f"caseid:{cid}",
                variables=case_vars.get(cid, {}),
            )
            for fid, pos0, pos1 in members.get(cid, []):
                text = texts.get(fid)
                if text is None:
                    continue
                whole = (pos0 is None or pos0 <= 0) and (pos1 is None or pos1 >= len(text))
                if whole:
                    case.sources.append(f"file:{fid}")
                else:
                    case.ranges.append((f"file:{fid}", int(pos0 or 0), int(pos1 or len(text))))
            p.cases.append(case)
