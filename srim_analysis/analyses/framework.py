"""The Framework matrix: cases by themes, with counts, summaries and segment references.

In the Framework method (Ritchie & Spencer 1994; Gale et al. 2013) the coded material is
*charted* into a matrix: one row per case (here a participant, or a site), one column per
code, and in each cell a short summary written by the researcher plus pointers back to the
coded passages. This module builds that matrix from the coded segments:

* :func:`framework_matrix` returns it in **tidy form**, one row per case and code:
  ``case_id``, the case's attributes (``site_id``, ``site``, ``agency``, ``role``,
  ``method``), ``branch``, ``code_id``, ``code_label``, ``n_segments`` (coded segments),
  ``summary`` (empty until a researcher writes one) and ``segment_refs`` (the segment ids,
  ``"; "``-separated);
* :func:`framework_pivot` turns it into the familiar wide matrix, and
  :func:`framework_preview` gives the coded segments per site and code;
* :func:`write_framework_workbook` writes the Excel workbook researchers chart in (an
  "About" sheet, then one sheet per theme with cases as rows), and
  :func:`read_framework_workbook` reads it back, summaries included, into the same tidy
  form, so the charting done in Excel comes back into the analysis without loss;
* the workbook is a **working file**, created once and never overwritten:
  :func:`merge_framework` adds the new cases, codes and themes of a rerun to the matrix
  read back from it, keeping every cell a researcher has filled exactly as it is, and
  :func:`charted_summaries` lists the summaries charted so far.

Notebook 04 keeps the workbook (``framework/framework-matrix.xlsx`` in a real study's
folder, :data:`WORKING_FILE`), shows the charted summaries and publishes the preview
through :func:`srim_analysis.sections.guidance.show_framework`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from srim_analysis import atomic
from srim_analysis.study.contract import AGENCIES, CODE_BRANCHES, METHODS, ROLES

#: Where a study keeps its Framework workbook, relative to the study folder.
WORKING_FILE = Path("framework") / "framework-matrix.xlsx"
CASE_TYPES: tuple[str, ...] = ("participant", "site")
CASE_ATTRIBUTES: tuple[str, ...] = ("site_id", "site", "agency", "role", "method")
TIDY_COLUMNS: tuple[str, ...] = (
    "case_id",
    *CASE_ATTRIBUTES,
    "branch",
    "code_id",
    "code_label",
    "n_segments",
    "summary",
    "segment_refs",
)
REF_SEPARATOR = "; "
_TEXT_COLUMNS = [c for c in TIDY_COLUMNS if c != "n_segments"]

#: Short sheet names for the branches (Excel allows 31 characters).
SHEET_NAMES: dict[str, str] = {
    "golden_rules": "Golden rules",
    "consent": "Consent",
    "lawful_basis": "Lawful bases",
    "stance": "Stance",
    "awareness": "Awareness",
    "barriers": "Barriers",
    "facilitators": "Facilitators",
    "father_practice": "Father practice",
    "gaps": "Gaps",
    "transfer_components": "Transfer components",
    "emergent": "Emergent",
}
ABOUT_SHEET = "About"
HIDDEN_SHEETS: tuple[str, ...] = ("_cases", "_codes", "_cells")
_HEADERS = {
    "case_id": "Case",
    "site": "Site",
    "agency": "Agency",
    "role": "Role",
    "method": "Method",
}
_WIDTHS = {"case_id": 12, "site": 16, "agency": 24, "role": 22, "method": 13}
CODE_WIDTH = 42
_COUNT_LINE = re.compile(r"^\[(\d+) segments?(?:: (.*))?\]$")


# ---------------------------------------------------------------------------
# Cells: summary text plus the count and references
# ---------------------------------------------------------------------------


def cell_text(summary: str, n_segments: int, segment_refs: str) -> str:
    """Return the text of one matrix cell: the summary, then a line with count and refs.

    >>> cell_text("", 2, "G1; G7")
    '[2 segments: G1; G7]'
    >>> cell_text("Worried about\\nconsent.", 1, "G3")
    'Worried about\\nconsent.\\n[1 segment: G3]'
    >>> cell_text("", 0, "")
    ''
    """
    if n_segments == 0 and not summary:
        return ""
    plural = "segment" if n_segments == 1 else "segments"
    line = f"[{n_segments} {plural}" + (f": {segment_refs}]" if segment_refs else "]")
    return f"{summary}\n{line}" if summary else line


def parse_cell(text: str | None) -> tuple[str, int, str] | None:
    """Return (summary, n_segments, segment_refs) from a cell, or None if it has no count line.

    >>> parse_cell("Worried about\\nconsent.\\n[1 segment: G3]")
    ('Worried about\\nconsent.', 1, 'G3')
    >>> parse_cell("")
    ('', 0, '')
    >>> parse_cell("just a note") is None
    True
    """
    if text is None or text == "":
        return "", 0, ""
    text = str(text).replace("\r\n", "\n")
    head, _, last = text.rpartition("\n")
    match = _COUNT_LINE.match(last.strip())
    if not match:
        return None
    return head, int(match.group(1)), match.group(2) or ""


# ---------------------------------------------------------------------------
# The tidy matrix
# ---------------------------------------------------------------------------


def _normalise(tidy: pd.DataFrame) -> pd.DataFrame:
    """Return the tidy matrix with its canonical columns and types (text as str, counts int)."""
    out = pd.DataFrame(
        {c: [("" if pd.isna(v) else str(v)) for v in tidy[c].tolist()] for c in _TEXT_COLUMNS},
        index=range(len(tidy)),
    )
    out["n_segments"] = pd.array([int(v) for v in tidy["n_segments"].tolist()], dtype="int64")
    return out[list(TIDY_COLUMNS)]


def framework_matrix(
    coded: pd.DataFrame,
    codebook: pd.DataFrame,
    people: pd.DataFrame | None = None,
    cases: str = "participant",
    branches: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the Framework matrix in tidy form: one row per case and code.

    ``coded`` is :func:`srim_analysis.analyses.qualitative.coded_frame` output. ``cases`` is
    ``"participant"`` (every participant in ``people``, or everyone who was coded) or
    ``"site"`` (segments not attributed to anyone, such as documents, count for their
    site). Columns are the codes of ``branches`` (default: every branch) or ``codes``,
    in codebook order (a branch's top-level code only if it was applied). Every case has a
    row for every code, with ``n_segments`` 0 where nothing was coded; ``summary`` is empty.
    """
    if cases not in CASE_TYPES:
        raise ValueError(f"cases must be one of {', '.join(CASE_TYPES)} (not {cases!r})")
    book = codebook.reset_index(drop=True)
    if branches is not None:
        book = book[book["branch"].isin(list(branches))]
    if codes is not None:
        book = book[book["code_id"].isin(list(codes))]
    used = set(coded["code_id"])
    book = book[book["parent_id"].notna() | book["code_id"].isin(used)]
    branch_order = list(branches) if branches is not None else list(dict.fromkeys(book["branch"]))
    site_names = dict(zip(coded["site_id"], coded["site_name"], strict=False))
    # the study's own order of sites (as its participants and codings list them), never the
    # alphabetical order of ids: a study that names its sites differently gets the same table
    known_people = people["site_id"].tolist() if people is not None and len(people) else []
    site_rank = {s: i for i, s in enumerate(dict.fromkeys([*known_people, *coded["site_id"]]))}
    if cases == "participant":
        rows = coded[coded["participant_id"].notna()]
        if people is not None:
            case_table = people.drop_duplicates("participant_id").copy()
            if "site_name" in case_table:
                pairs = zip(case_table["site_id"], case_table["site_name"], strict=True)
                site_names.update(dict(pairs))
        else:
            case_table = rows.drop_duplicates("participant_id")[
                ["participant_id", "site_id", "agency", "role", "method"]
            ].copy()
        case_table = case_table.assign(_site=case_table["site_id"].map(site_rank))
        case_table = case_table.sort_values("_site", kind="stable").drop(columns="_site")
        case_ids = list(case_table["participant_id"])
        attrs = {
            str(r.participant_id): {
                "site_id": r.site_id,
                "site": site_names.get(r.site_id, r.site_id),
                "agency": getattr(r, "agency", ""),
                "role": getattr(r, "role", ""),
                "method": getattr(r, "method", ""),
            }
            for r in case_table.itertuples(index=False)
        }
        key = rows["participant_id"]
    else:
        rows = coded
        if people is not None and len(people):
            site_ids = sorted(set(people["site_id"]) | set(coded["site_id"]), key=site_rank.get)
            if "site_name" in people:
                site_names.update(dict(zip(people["site_id"], people["site_name"], strict=False)))
        else:
            site_ids = sorted(set(coded["site_id"]), key=site_rank.get)
        case_ids = site_ids
        attrs = {
            s: {"site_id": s, "site": site_names.get(s, s), "agency": "", "role": "", "method": ""}
            for s in site_ids
        }
        key = rows["site_id"]
    refs_of: dict[tuple[str, str], list[str]] = {}
    for case, code, seg in zip(
        key.astype(str), rows["code_id"].astype(str), rows["segment_id"].astype(str), strict=True
    ):
        refs_of.setdefault((case, code), []).append(seg)
    code_lists = {
        b: list(zip(g["code_id"].astype(str), g["label"].astype(str), strict=True))
        for b, g in book.groupby("branch", sort=False)
    }
    records = []
    for branch in branch_order:
        for case in case_ids:
            case_attrs = attrs[str(case)]
            for code, label in code_lists.get(branch, []):
                refs = sorted(set(refs_of.get((str(case), code), [])))
                records.append(
                    {
                        "case_id": case,
                        **case_attrs,
                        "branch": branch,
                        "code_id": code,
                        "code_label": label,
                        "n_segments": len(refs),
                        "summary": "",
                        "segment_refs": REF_SEPARATOR.join(refs),
                    }
                )
    tidy = pd.DataFrame(records, columns=list(TIDY_COLUMNS))
    return _normalise(tidy)


def framework_preview(
    coded: pd.DataFrame,
    codebook: pd.DataFrame,
    people: pd.DataFrame | None = None,
    branches: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return coded segments per site and code: ``site_id``, ``site`` and ``n_<code>`` columns.

    The matrix with sites as the cases (:func:`framework_matrix`), wide, as notebook 04
    publishes it beside the workbook.
    """
    wide = framework_pivot(framework_matrix(coded, codebook, people, "site", branches))
    wide = wide.drop(columns=["case_id", "agency", "role", "method"])
    codes = [c for c in wide.columns if c not in ("site_id", "site")]
    return wide.rename(columns={c: f"n_{c}" for c in codes})


def framework_pivot(tidy: pd.DataFrame, value: str = "n_segments") -> pd.DataFrame:
    """Return the matrix wide: cases (with attributes) as rows, codes as columns.

    ``value`` is ``"n_segments"``, ``"summary"``, ``"segment_refs"`` or ``"cell"`` (the
    text a workbook cell shows: summary, count and references).
    """
    data = tidy.copy()
    if value == "cell":
        data["cell"] = [
            cell_text(s, int(n), r)
            for s, n, r in zip(
                data["summary"], data["n_segments"], data["segment_refs"], strict=True
            )
        ]
    index = ["case_id", *CASE_ATTRIBUTES]
    codes = list(dict.fromkeys(data["code_id"]))
    cases = list(dict.fromkeys(data["case_id"]))
    wide = data.pivot_table(
        index=index, columns="code_id", values=value, aggfunc="first", sort=False
    )
    wide = wide.reindex(columns=codes)
    wide = wide.reset_index()
    wide["_order"] = wide["case_id"].map({c: i for i, c in enumerate(cases)})
    wide = wide.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    wide.columns.name = None
    if value == "n_segments":
        for c in codes:
            wide[c] = wide[c].fillna(0).astype(int)
    return wide


# ---------------------------------------------------------------------------
# The Excel workbook
# ---------------------------------------------------------------------------


def _sheet_title(branch: str, taken: set[str]) -> str:
    base = SHEET_NAMES.get(branch, branch.replace("_", " ").capitalize())
    base = re.sub(r"[\[\]:*?/\\]", " ", base)[:31] or "Theme"
    title, k = base, 2
    reserved = {ABOUT_SHEET.casefold(), *HIDDEN_SHEETS}
    while title.casefold() in taken or title.casefold() in reserved:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(title.casefold())
    return title


def _display(attr: str, value: str) -> str:
    mapping = {"agency": AGENCIES, "role": ROLES, "method": METHODS}.get(attr)
    return mapping.get(value, value) if mapping else value


def _safe_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def write_framework_workbook(
    tidy: pd.DataFrame,
    path: str | Path,
    title: str = "Framework matrix",
    about: Sequence[str] = (),
) -> Path:
    """Write the matrix as an Excel workbook (About sheet, one sheet per theme); return the path.

    Each theme sheet has a row per case, the case's attributes as leading columns, and a
    column per code whose cells hold the summary, then ``[n segments: refs]``. Text wraps,
    the header row and attribute columns are frozen. The file is written atomically.
    Hidden sheets (``_cases``, ``_codes``, ``_cells``) keep the ids and counts that
    :func:`read_framework_workbook` needs.
    """
    tidy = _normalise(tidy)
    wb = Workbook()
    about_ws = wb.active
    about_ws.title = ABOUT_SHEET
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8E8E8")

    cells = {
        (case, code): (summary, n, refs)
        for case, code, summary, n, refs in zip(
            tidy["case_id"],
            tidy["code_id"],
            tidy["summary"],
            tidy["n_segments"],
            tidy["segment_refs"],
            strict=True,
        )
    }
    case_rows = tidy.drop_duplicates("case_id")[["case_id", *CASE_ATTRIBUTES]]
    case_attrs = {r[0]: r[1:] for r in case_rows.itertuples(index=False, name=None)}
    taken: set[str] = set()
    attrs_all = ["case_id", "site", "agency", "role", "method"]
    sheet_list: list[tuple[str, str, int, int]] = []
    code_records: list[list[object]] = []
    for branch in dict.fromkeys(tidy["branch"]):
        part = tidy[tidy["branch"] == branch]
        ws = wb.create_sheet(_sheet_title(branch, taken))
        attrs = [a for a in attrs_all if a == "case_id" or (part[a] != "").any()]
        codes = list(
            part.drop_duplicates("code_id")[["code_id", "code_label"]].itertuples(
                index=False, name=None
            )
        )
        ws.append([_HEADERS[a] for a in attrs] + [f"{c}\n{label}" for c, label in codes])
        for j, (code, label) in enumerate(codes, start=len(attrs) + 1):
            code_records.append([ws.title, j, branch, code, label])
        cases = list(dict.fromkeys(part["case_id"]))
        for case in cases:
            first = dict(zip(CASE_ATTRIBUTES, case_attrs[case], strict=True))
            values = [case if a == "case_id" else _display(a, first[a]) for a in attrs]
            values += [_safe_text(cell_text(*cells[(case, code)])) for code, _ in codes]
            ws.append(values)
        for row in ws.iter_rows():
            for cell in row:
                cell.alignment = wrap
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, never a formula
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        ws.row_dimensions[1].height = 48
        for j, a in enumerate(attrs, start=1):
            ws.column_dimensions[get_column_letter(j)].width = _WIDTHS[a]
        for j in range(len(attrs) + 1, len(attrs) + len(codes) + 1):
            ws.column_dimensions[get_column_letter(j)].width = CODE_WIDTH
        ws.freeze_panes = ws.cell(row=2, column=len(attrs) + 1)
        sheet_list.append((ws.title, branch, len(cases), len(codes)))

    hidden = {
        "_cases": (["case_id", *CASE_ATTRIBUTES], [[c, *a] for c, a in case_attrs.items()]),
        "_codes": (["sheet", "column", "branch", "code_id", "code_label"], code_records),
        "_cells": (
            ["case_id", "code_id", "n_segments", "segment_refs"],
            [[c, k, n, r] for (c, k), (_, n, r) in cells.items() if n],
        ),
    }
    for name, (header, rows) in hidden.items():
        ws = wb.create_sheet(name)
        ws.sheet_state = "hidden"
        ws.append(header)
        for row in rows:
            ws.append(row)

    lines = [
        title,
        "",
        *about,
        *([""] if about else []),
        "How to read this workbook",
        "Each theme has a sheet. Each row is a case; the leading columns describe it "
        "(site, agency, role and method for a participant). Each other column is a code.",
        "A cell holds the researcher's summary of what the case said on that code (empty "
        "until you write one), then a last line [n segments: ids] giving the number of coded "
        "segments and their ids, to find the passages in the coded data.",
        "",
        "How to chart",
        "Write or edit the summary above the bracketed line; keep that line as it is, and do "
        "not rename the sheets or change the Case column. Line breaks and any characters "
        "are fine. read_framework_workbook() reads the summaries back into the analysis.",
        "",
        "This is a working file for the research team: it holds pseudonymous case ids and "
        "segment references (no quotations), and counts that are not suppressed. Do not "
        "publish it.",
        "",
        f"Cases: {len(case_attrs)}. Sheets:",
        *(
            f"{t} — {CODE_BRANCHES.get(b, b)}: {nc} cases × {nk} codes"
            for t, b, nc, nk in sheet_list
        ),
    ]
    for line in lines:
        about_ws.append([line])
    about_ws["A1"].font = Font(bold=True, size=14)
    for row in about_ws.iter_rows():
        for cell in row:
            cell.alignment = wrap
            if cell.value in ("How to read this workbook", "How to chart"):
                cell.font = bold
    about_ws.column_dimensions["A"].width = 110
    wb.active = 0

    target = Path(path)
    with atomic.atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def _sheet_frame(wb: object, name: str) -> pd.DataFrame:
    rows = list(wb[name].iter_rows(values_only=True))  # type: ignore[index]
    if not rows:
        return pd.DataFrame()
    header = [str(h) for h in rows[0]]
    data = [["" if v is None else v for v in r] for r in rows[1:] if r and r[0] is not None]
    return pd.DataFrame(data, columns=header, dtype=object)


def read_framework_workbook(path: str | Path) -> pd.DataFrame:
    """Return the tidy matrix from a workbook written by :func:`write_framework_workbook`.

    Summaries are read from the theme sheets (as edited in Excel); counts and references
    from each cell's last line, or from the hidden ``_cells`` sheet if that line was lost.
    Rows may have been re-sorted in Excel: cases are matched by the Case column.
    """
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        missing = [s for s in ("_cases", "_codes", "_cells") if s not in wb.sheetnames]
        if missing:
            raise ValueError(
                f"{Path(path).name} has no {', '.join(missing)} sheet(s): it was not written by "
                "write_framework_workbook, or hidden sheets were deleted."
            )
        cases = _sheet_frame(wb, "_cases")
        codes = _sheet_frame(wb, "_codes")
        stored = {
            (str(c), str(k)): (int(n), str(r))
            for c, k, n, r in _sheet_frame(wb, "_cells").itertuples(index=False, name=None)
        }
        values: dict[tuple[str, str], str] = {}
        for sheet in dict.fromkeys(codes["sheet"]):
            rows = list(wb[sheet].iter_rows(values_only=True))
            head = ["" if h is None else str(h) for h in rows[0]]
            col_of = {h.split("\n", 1)[0].strip(): j for j, h in enumerate(head)}
            mine = codes[codes["sheet"] == sheet]
            for code, column in zip(mine["code_id"], mine["column"], strict=True):
                col_of.setdefault(str(code), int(column) - 1)
            wanted = [(str(code), col_of[str(code)]) for code in mine["code_id"]]
            for r in rows[1:]:
                if not r or r[0] is None:
                    continue
                for code, j in wanted:
                    v = r[j] if j < len(r) else None
                    values[(str(r[0]), code)] = "" if v is None else str(v)
    finally:
        wb.close()
    attrs = {
        str(r[0]): dict(zip(CASE_ATTRIBUTES, r[1:], strict=True))
        for r in cases.itertuples(index=False, name=None)
    }
    records = []
    for branch, group in codes.groupby("branch", sort=False):
        for case in attrs:
            for code, label in zip(group["code_id"], group["code_label"], strict=True):
                raw = values.get((case, str(code)), "")
                parsed = parse_cell(raw)
                if parsed is None:
                    n, refs = stored.get((case, str(code)), (0, ""))
                    summary = raw
                else:
                    summary, n, refs = parsed
                records.append(
                    {
                        "case_id": case,
                        **attrs[case],
                        "branch": branch,
                        "code_id": code,
                        "code_label": label,
                        "n_segments": n,
                        "summary": summary,
                        "segment_refs": refs,
                    }
                )
    return _normalise(pd.DataFrame(records, columns=list(TIDY_COLUMNS)))


# ---------------------------------------------------------------------------
# The workbook as a working file: merged on rerun, never overwritten
# ---------------------------------------------------------------------------


def merge_framework(existing: pd.DataFrame | None, fresh: pd.DataFrame) -> pd.DataFrame:
    """Return the matrix to keep: ``existing`` with the new cases, codes and themes of ``fresh``.

    Both are tidy matrices (``existing`` as read back from the workbook, or None). A cell
    whose summary a researcher has written is kept exactly as it is (summary, count and
    references); an empty cell takes ``fresh``'s count and references; nothing of
    ``existing`` is dropped (a case or code no longer coded stays). Themes, cases and
    codes keep their order, new ones coming after; every case has a row for every code.

    >>> old = pd.DataFrame({"case_id": ["a"], "site_id": ["X"], "site": ["X"], "agency": [""],
    ...     "role": [""], "method": [""], "branch": ["gaps"], "code_id": ["K1"],
    ...     "code_label": ["One"], "n_segments": [1], "summary": ["Said so."],
    ...     "segment_refs": ["s1"]})
    >>> new = pd.concat([old.assign(summary="", n_segments=2, segment_refs="s1; s5"),
    ...     old.assign(case_id="b", summary="", n_segments=0, segment_refs="")])
    >>> merge_framework(old, new)[["case_id", "n_segments", "summary"]].values.tolist()
    [['a', 1, 'Said so.'], ['b', 0, '']]
    """
    fresh = _normalise(fresh)
    if existing is None or not len(existing):
        return fresh
    old = _normalise(existing)
    both = pd.concat([old, fresh], ignore_index=True)
    branches = list(dict.fromkeys(both["branch"]))
    cases = list(dict.fromkeys(both["case_id"]))
    attrs = {
        r[0]: r[1:]
        for r in both.drop_duplicates("case_id")[["case_id", *CASE_ATTRIBUTES]].itertuples(
            index=False, name=None
        )
    }
    codes = {
        b: list(
            both[both["branch"] == b]
            .drop_duplicates("code_id")[["code_id", "code_label"]]
            .itertuples(index=False, name=None)
        )
        for b in branches
    }
    old_cells = {
        (r.branch, r.case_id, r.code_id): (r.n_segments, r.summary, r.segment_refs)
        for r in old.itertuples(index=False)
    }
    new_cells = {
        (r.branch, r.case_id, r.code_id): (r.n_segments, r.summary, r.segment_refs)
        for r in fresh.itertuples(index=False)
    }
    records = []
    for branch in branches:
        for case in cases:
            for code, label in codes[branch]:
                key = (branch, case, code)
                kept = old_cells.get(key)
                if kept is None or not kept[1]:
                    kept = new_cells.get(key, kept or (0, "", ""))
                records.append(
                    {
                        "case_id": case,
                        **dict(zip(CASE_ATTRIBUTES, attrs[case], strict=True)),
                        "branch": branch,
                        "code_id": code,
                        "code_label": label,
                        "n_segments": kept[0],
                        "summary": kept[1],
                        "segment_refs": kept[2],
                    }
                )
    return _normalise(pd.DataFrame(records, columns=list(TIDY_COLUMNS)))


def same_matrix(one: pd.DataFrame, other: pd.DataFrame) -> bool:
    """Return True when two tidy matrices hold the same cells in the same order."""
    return _normalise(one).reset_index(drop=True).equals(_normalise(other).reset_index(drop=True))


def charted_summaries(tidy: pd.DataFrame) -> pd.DataFrame:
    """Return the cells a researcher has charted (a summary written), in matrix order.

    Columns: ``branch``, ``code_id``, ``code_label``, ``case_id``, the case's attributes,
    ``summary``.
    """
    tidy = _normalise(tidy)
    cols = ["branch", "code_id", "code_label", "case_id", *CASE_ATTRIBUTES, "summary"]
    filled = tidy[tidy["summary"].str.strip() != ""]
    return filled[cols].reset_index(drop=True)
