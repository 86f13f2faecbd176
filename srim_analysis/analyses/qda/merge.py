"""Merge a QDA export into a study folder: ``srim import-qda FILE --into STUDY``.

What :func:`merge_into` does with an import (:class:`~.tables.QdaImport`):

* **Links.** Each coding is linked to a site, a method and (when someone is speaking) a
  participant from the export's cases and variables (see :mod:`.tables`). Where the export
  does not say a source's site or method, or a new participant's agency or role, it writes
  the mapping sheet ``qda-mapping.csv`` in the study folder (one row per source: ``source``
  as the export names it, ``site_id``, ``participant_id``, ``method``, ``agency``, ``role``;
  further rows of a source name its other speakers), prefilled with what the export says,
  and stops, saying what to fill. Rerun with the sheet filled and the import completes. A
  value in the sheet wins over the export's.
* **Pseudonyms.** Participant and source ids are replaced on the way in by keyed
  pseudonyms (:func:`srim_analysis.disclosure.pseudonymise`, the key the runner insists on):
  ``P-`` + 8 hex digits for participants, ``SRC-`` for sources (and segment ids
  ``SRC-….nnn``). The export's own ids are never written, not even to the mapping sheet:
  a participant id typed there is rewritten as its pseudonym (a value already of the form
  ``P-XXXXXXXX`` is taken as a pseudonym).
* **Codes.** Code ids are the import's slugs of the tool's code names (what the study's
  ``study.toml`` maps); ATLAS.ti's ``Category::Code`` are a parent and a child. Codes
  already in ``codebook.csv`` are kept as they are. The branch written is the plan's theme
  when ``study.toml`` maps the code, else the branch the import read, else ``emergent``.
* **Nothing coded is lost.** Codings whose text is not in the export are kept (code,
  source, positions, coder) with ``excerpt`` blank and ``excerpt_missing`` 1.
* **Re-import.** ``qda-imports.csv`` records which sources, codes and participants each
  import brought (by the export's project name, or ``--name``). Importing a newer export
  of the same project replaces the rows of the previous one; other rows are left alone.
* **The plan.** A folder without ``study.toml`` gets one (``kind = "real"``); a
  ``study.toml`` without a plan gets a commented plan skeleton appended, listing the
  imported top-level codes. An existing ``study.toml``'s content is never changed.
"""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from srim_analysis import paths
from srim_analysis.atomic import atomic_path
from srim_analysis.disclosure.errors import UnsafeOutputError
from srim_analysis.disclosure.guards import assert_safe_output_dir
from srim_analysis.disclosure.pseudonyms import pseudonymise
from srim_analysis.study.contract import (
    AGENCIES,
    CODE_BRANCHES,
    CODEBOOK,
    CODED_SEGMENTS,
    PARTICIPANTS,
    ROLES,
)
from srim_analysis.study.plan import (
    PLAN_FILE,
    AnalysisPlan,
    CodePlan,
    read_plan,
    render_plan,
    theme_of_codes,
)

from .tables import QdaImport, branch_for, normalise_method, slugify

MAPPING_FILE = "qda-mapping.csv"
IMPORTS_FILE = "qda-imports.csv"
MAPPING_COLUMNS = ["source", "site_id", "participant_id", "method", "agency", "role"]
IMPORTS_COLUMNS = ["import", "file", "kind", "id", "added"]
#: Columns the import adds to coded_segments.csv beside the contract's.
SEGMENT_EXTRA = ["start", "end", "coder", "excerpt_missing"]
PARTICIPANT_PREFIX = "P"
SOURCE_PREFIX = "SRC"
PSEUDONYM = re.compile(r"^P-[0-9A-F]{8}$")
SKELETON_MARK = "# Analysis plan skeleton written by `srim import-qda`"

_SEGMENT_METHODS = CODED_SEGMENTS.column("method").allowed_values or []
_PARTICIPANT_METHODS = PARTICIPANTS.column("method").allowed_values or []


class MergeError(ValueError):
    """The study folder cannot take the import (unreadable files, tables in a workbook)."""


@dataclass
class MergeOutcome:
    """What an import into a study folder did, or what it needs from the researcher."""

    folder: Path
    name: str
    done: bool
    needs: list[str] = field(default_factory=list)
    mapping: Path | None = None
    rows: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    skeleton: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return a few plain lines: what was merged, or what to fill in and where."""
        if not self.done:
            lines = [
                f"Not imported yet: the export does not say everything the study needs "
                f"({len(self.needs)} thing(s)):",
                *(f"  - {n}" for n in self.needs[:40]),
            ]
            if len(self.needs) > 40:
                lines.append(f"  ... and {len(self.needs) - 40} more")
            lines += [f"Note: {n}" for n in self.notes]
            lines += [
                f"Fill in the blanks of {self.mapping} (site_id from sites.csv; method one of "
                f"{', '.join(_SEGMENT_METHODS)}; agency and role of each new participant from "
                "docs/data-dictionary.md), then run the same command again.",
            ]
            return "\n".join(lines)
        lines = [f"Imported {self.name!r} into {self.folder}:"]
        lines += [f"  {name:<20} {n:>6} rows" for name, n in self.rows.items()]
        if any(self.replaced.values()):
            gone = ", ".join(f"{k} {v}" for k, v in self.replaced.items() if v)
            lines.append(f"  replaced the previous import of {self.name!r} (rows removed: {gone})")
        if self.skeleton:
            lines.append(
                f"  appended a commented analysis-plan skeleton to {PLAN_FILE}: map the "
                "imported codes there (see docs/analysis-plan.md)"
            )
        lines += [f"Note: {n}" for n in self.notes]
        lines.append(f"Check the folder with: srim validate {self.folder}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Reading and writing the folder's CSV files (comment lines kept)
# ---------------------------------------------------------------------------


@dataclass
class _Csv:
    header: list[str]
    frame: pd.DataFrame


def _read_csv(path: Path, columns: Sequence[str]) -> _Csv:
    if not path.exists():
        return _Csv([], pd.DataFrame(columns=list(columns), dtype=object))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MergeError(f"{path}: not UTF-8 text; save it as UTF-8 CSV and rerun") from exc
    lines = text.splitlines(keepends=True)
    header: list[str] = []
    while len(header) < len(lines) and lines[len(header)].startswith("#"):
        header.append(lines[len(header)].rstrip("\r\n"))
    body = "".join(lines[len(header) :])
    if not body.strip():
        return _Csv(header, pd.DataFrame(columns=list(columns), dtype=object))
    try:
        frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise MergeError(f"{path}: cannot be read as CSV ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return _Csv(header, frame.astype(object))


def _write_csv(path: Path, table: _Csv) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        for line in table.header:
            fh.write(line + "\n")
        table.frame.to_csv(fh, index=False, lineterminator="\n")


def _cell(value: object) -> str:
    """Return a cell as CSV text ('' for blanks and missing values; whole floats as ints)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: object) -> str:
    """Return a cell as stripped text ('' for blanks and missing values)."""
    return _cell(value).strip()


def _concat(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    columns = list(dict.fromkeys([*old.columns, *new.columns]))
    parts = [f.reindex(columns=columns).astype(object) for f in (old, new) if len(f)]
    if not parts:
        return pd.DataFrame(columns=columns, dtype=object)
    return pd.concat(parts, ignore_index=True).map(_cell)


def _need(table: _Csv, path: Path, columns: Sequence[str]) -> _Csv:
    missing = [c for c in columns if c not in table.frame.columns]
    if missing:
        raise MergeError(
            f"{path}: no column {', '.join(missing)}; fix the file (`srim validate`) and rerun"
        )
    return table


# ---------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------


def _vocabulary(value: str, allowed: Mapping[str, str] | Sequence[str]) -> str | None:
    """Return the key of a controlled vocabulary a value names (key or label), or None."""
    labels = allowed if isinstance(allowed, Mapping) else {k: k for k in allowed}
    slug = slugify(value, fallback="")
    folded = " ".join(value.split()).casefold()
    for key, label in labels.items():
        if slug == key or folded in (key.casefold(), label.casefold()):
            return key
    return None


class _Sites:
    """The study's sites, found by id or display name (any value when there is no sites.csv)."""

    def __init__(self, sites: pd.DataFrame) -> None:
        self.known = len(sites) > 0 and "site_id" in sites.columns
        self.by_name: dict[str, str] = {}
        if self.known:
            for row in sites.itertuples(index=False):
                sid = _text(getattr(row, "site_id", ""))
                self.by_name[sid.casefold()] = sid
                name = _text(getattr(row, "display_name", ""))
                if name:
                    self.by_name.setdefault(name.casefold(), sid)

    def find(self, value: str) -> str | None:
        if not value:
            return None
        if not self.known:
            return value
        return self.by_name.get(value.casefold())


# ---------------------------------------------------------------------------
# Links: export, then mapping sheet
# ---------------------------------------------------------------------------


def participant_pseudonym(value: str, key: bytes) -> str:
    """Return the study's pseudonym of a participant id (kept when it already is one)."""
    value = value.strip()
    return value if PSEUDONYM.match(value) else pseudonymise(value, key, PARTICIPANT_PREFIX)


@dataclass
class _Sheet:
    """What the mapping sheet says: per source (first row), per participant, and the rest."""

    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    people: dict[str, dict[str, str]] = field(default_factory=dict)
    unknown: list[dict[str, str]] = field(default_factory=list)


def _read_sheet(path: Path, sources: Iterable[str], key: bytes) -> _Sheet:
    """Return what a filled mapping sheet says (participant ids as pseudonyms)."""
    sheet = _Sheet()
    if not path.exists():
        return sheet
    frame = _read_csv(path, MAPPING_COLUMNS).frame
    missing = [c for c in MAPPING_COLUMNS if c not in frame.columns]
    if missing:
        raise MergeError(
            f"{path}: the column(s) {', '.join(missing)} are missing; the sheet's columns are "
            f"{', '.join(MAPPING_COLUMNS)} (delete the file to have it written afresh)"
        )
    names = set(sources)
    for record in frame[MAPPING_COLUMNS].to_dict("records"):
        row = {k: _text(v) for k, v in record.items()}
        if row["participant_id"]:
            row["participant_id"] = participant_pseudonym(row["participant_id"], key)
        if row["source"] not in names:
            sheet.unknown.append(row)
            continue
        sheet.sources.setdefault(row["source"], row)
        if row["participant_id"]:
            entry = sheet.people.setdefault(row["participant_id"], {})
            for col in ("agency", "role"):
                if row[col]:
                    entry.setdefault(col, row[col])
    return sheet


@dataclass
class _Resolved:
    """The linked codings (pseudonymised), the new participants, the sheet and what is missing."""

    segments: pd.DataFrame
    participants: pd.DataFrame
    sheet: pd.DataFrame
    needs: list[str]
    notes: list[str]


def _first(values: Iterable[object]) -> str:
    return next((t for t in map(_text, values) if t), "")


def _link_sources(
    result: QdaImport, sheet: _Sheet, sites: _Sites, key: bytes, needs: list[str]
) -> pd.DataFrame:
    """Return per source: name, site_id, method, the export's and the linked participant."""
    src = result.sources
    seg = result.coded_segments
    rows = []
    for s in src.itertuples(index=False):
        name = _text(s.name)
        given = sheet.sources.get(name, {})
        mine = seg[seg["source_id"] == s.source_id]
        raw_site = given.get("site_id") or _first([*mine["site_id"], s.site_id])
        raw_method = given.get("method") or _first([*mine["method"], s.method])
        site = sites.find(raw_site)
        method = normalise_method(raw_method) if raw_method else None
        if not raw_site:
            needs.append(f"source {name!r}: no site (site_id)")
        elif site is None:
            needs.append(f"source {name!r}: site {raw_site!r} is not a site of sites.csv")
        if not raw_method:
            needs.append(f"source {name!r}: no method")
        elif method not in _SEGMENT_METHODS:
            needs.append(
                f"source {name!r}: method {raw_method!r} is not one of "
                f"{', '.join(_SEGMENT_METHODS)}"
            )
        exported = (
            participant_pseudonym(_text(s.participant_id), key) if _text(s.participant_id) else ""
        )
        rows.append(
            {
                "source_id": s.source_id,
                "source": name,
                "site_id": site or raw_site,
                "method": method or raw_method,
                "exported": exported,
                "participant_id": given.get("participant_id") or exported,
            }
        )
    return pd.DataFrame(
        rows, columns=["source_id", "source", "site_id", "method", "exported", "participant_id"]
    )


def _link_segments(result: QdaImport, links: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Return the codings with their source's site and method, and speakers as pseudonyms.

    A coding whose speaker is the source's own participant (or nobody) takes the source's
    linked participant; a coding by another speaker (a focus-group case) keeps its speaker.
    """
    seg = result.coded_segments.copy()
    by_source = links.set_index("source_id")
    speaker = pd.Series(
        [participant_pseudonym(_text(p), key) if _text(p) else "" for p in seg["participant_id"]],
        index=seg.index,
        dtype=object,
    )
    own = speaker.eq(seg["source_id"].map(by_source["exported"])) | speaker.eq("")
    seg["participant_id"] = speaker.where(~own, seg["source_id"].map(by_source["participant_id"]))
    seg["site_id"] = seg["source_id"].map(by_source["site_id"])
    seg["method"] = seg["source_id"].map(by_source["method"])
    return seg


def _new_participants(
    seg: pd.DataFrame,
    links: pd.DataFrame,
    people: Mapping[str, Mapping[str, str]],
    known: set[str],
    needs: list[str],
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Return the participants to add (site, agency, role, method) and the sheet's speaker rows.

    ``people`` holds what the export and the sheet say of each participant's agency and role.
    """
    name_of = links.set_index("source_id")["source"]
    added: list[dict[str, str]] = []
    sheet_rows: list[dict[str, str]] = []
    firsts = seg[seg["participant_id"] != ""].drop_duplicates("participant_id")
    for row in firsts.itertuples(index=False):
        pid = str(row.participant_id)
        if pid in known:
            continue
        given = people.get(pid, {})
        where = f"participant {pid} (source {name_of[row.source_id]!r})"
        found: dict[str, str] = {}
        for col, allowed in (("agency", AGENCIES), ("role", ROLES)):
            value = given.get(col, "")
            found[col] = (_vocabulary(value, allowed) if value else None) or ""
            if not value:
                needs.append(f"{where}: no {col}")
            elif not found[col]:
                needs.append(f"{where}: {col} {value!r} is not one of {', '.join(allowed)}")
        method = str(row.method)
        if method in _SEGMENT_METHODS and method not in _PARTICIPANT_METHODS:
            needs.append(
                f"{where}: speaks in a {method} source; a participant's method is one of "
                f"{', '.join(_PARTICIPANT_METHODS)} (leave participant_id blank for documents)"
            )
        added.append(
            {
                "participant_id": pid,
                "site_id": str(row.site_id),
                "agency": found["agency"],
                "role": found["role"],
                "method": method,
                "years_in_role": "",
            }
        )
        sheet_rows.append(
            {
                "source": str(name_of[row.source_id]),
                "participant_id": pid,
                "agency": found["agency"] or given.get("agency", ""),
                "role": found["role"] or given.get("role", ""),
            }
        )
    return pd.DataFrame(added, columns=PARTICIPANTS.column_names), sheet_rows


def _sheet(
    links: pd.DataFrame, speakers: list[dict[str, str]], unknown: list[dict]
) -> pd.DataFrame:
    """Return the mapping sheet: a row per source, then its other speakers; unknown rows last."""
    rows = []
    for link in links.itertuples(index=False):
        row = {c: _text(getattr(link, c, "")) for c in MAPPING_COLUMNS}
        row["source"] = link.source
        mine = [s for s in speakers if s["source"] == link.source]
        own = next((s for s in mine if s["participant_id"] == row["participant_id"]), None)
        if own is not None:
            row.update(agency=own["agency"], role=own["role"])
        rows.append(row)
        rows += [{**row, **s} for s in mine if s is not own]
    return pd.DataFrame(rows + unknown, columns=MAPPING_COLUMNS).map(_text)


def _resolve(
    result: QdaImport, folder: Path, key: bytes, sites: _Sites, known_people: set[str]
) -> _Resolved:
    """Return the import linked to the study: codings, new participants, the sheet, the needs."""
    needs: list[str] = []
    sheet = _read_sheet(folder / MAPPING_FILE, result.sources["name"].map(_text), key)
    links = _link_sources(result, sheet, sites, key, needs)
    seg = _link_segments(result, links, key)
    people: dict[str, dict[str, str]] = {}
    for row in result.people.itertuples(index=False):
        pid = participant_pseudonym(_text(row.participant), key)
        found = {"agency": _text(row.agency), "role": _text(row.role)}
        people.setdefault(pid, {k: v for k, v in found.items() if v})
    for pid, given in sheet.people.items():
        people[pid] = {**people.get(pid, {}), **given}
    participants, speakers = _new_participants(seg, links, people, known_people, needs)
    notes = [
        f"{MAPPING_FILE}: source {row['source']!r} is not in this export; its row is kept "
        "but not used"
        for row in sheet.unknown
    ]
    return _Resolved(seg, participants, _sheet(links, speakers, sheet.unknown), needs, notes)


# ---------------------------------------------------------------------------
# The plan in study.toml
# ---------------------------------------------------------------------------


def _plan_skeleton(result: QdaImport) -> str:
    """Return a commented analysis-plan skeleton naming the import's top-level codes."""
    book = result.codebook
    top = book[book["parent_id"].isna()]
    themes = {}
    for row in top.itertuples(index=False):
        theme = branch_for(str(row.label))
        if theme and theme not in ("stance", "awareness") and theme not in themes:
            themes[theme] = (str(row.code_id),)
    text = render_plan(AnalysisPlan(codes=CodePlan(themes=themes)), "real", "")
    body = text.split("\n")
    start = next(i for i, line in enumerate(body) if line.startswith("name = "))
    plan_lines = [
        line if not line or line.startswith("#") else f"# {line}" for line in body[start + 1 :]
    ]
    listing = [f"#   {row.code_id}  ({row.label})" for row in top.itertuples(index=False)] or [
        "#   (none)"
    ]
    return (
        "\n".join(
            [
                "",
                SKELETON_MARK + f" from {result.path.name}.",
                "# Uncomment and fill it in: which imported codes mean each stance, awareness",
                "# level and theme. The top-level codes imported (code id, then the tool's name):",
                *listing,
                *plan_lines,
            ]
        ).rstrip("\n")
        + "\n"
    )


def _marker(folder: Path) -> dict:
    """Return the parsed study.toml of a folder ({} when it has none); MergeError if invalid."""
    path = folder / PLAN_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MergeError(f"{path}: not valid TOML ({exc}); fix it and rerun") from exc


def check_destination(folder: Path) -> None:
    """Return None if an import may write into ``folder``; else raise MergeError saying why.

    Never the shipped synthetic study; a folder of real data (or a new one) only where git
    cannot commit it (outside any repository, or git-ignored like ``data/private/``).
    """
    resolved = folder.expanduser().resolve()
    shipped = paths.SYNTHETIC_DIR.resolve()
    if shipped in (resolved, *resolved.parents):
        raise MergeError(
            f"{folder} is the shipped synthetic study; import into a copy of it, or into a "
            "folder of your own (e.g. data/private/my-study)"
        )
    if folder.exists() and not folder.is_dir():
        raise MergeError(f"{folder} is a file, not a study folder")
    if _marker(folder).get("kind") == "synthetic":
        return
    try:
        assert_safe_output_dir(folder, data_is_real=True)
    except UnsafeOutputError as exc:
        raise MergeError(
            f"{exc} (An import writes the export's coded text into the study folder.)"
        ) from exc


def _study_toml(folder: Path, result: QdaImport) -> tuple[str | None, bool]:
    """Return the new text of study.toml (None: leave it as it is) and whether a skeleton goes in.

    Raises MergeError for a study.toml that is not valid TOML.
    """
    path = folder / PLAN_FILE
    if not path.exists():
        head = (
            "# study.toml: what this folder holds and what its own codes, items and columns "
            "mean.\n"
            f'kind = "real"  # synthetic or real\nname = "{folder.name}"\n'
        )
        return head + _plan_skeleton(result), True
    text = path.read_text(encoding="utf-8")
    data = _marker(folder)
    has_plan = any(k in data for k in ("codes", "survey", "qca", "comparison"))
    if has_plan or SKELETON_MARK in text:
        return None, False
    return text + ("" if text.endswith("\n") else "\n") + _plan_skeleton(result), True


# ---------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------


def _previous(imports: pd.DataFrame, name: str, kind: str, added: bool = False) -> set[str]:
    if not len(imports):
        return set()
    rows = imports[(imports["import"] == name) & (imports["kind"] == kind)]
    if added:
        rows = rows[rows["added"] == "1"]
    return set(rows["id"])


def _claimed(imports: pd.DataFrame, name: str, kind: str) -> set[str]:
    if not len(imports):
        return set()
    rows = imports[(imports["import"] != name) & (imports["kind"] == kind)]
    return set(rows["id"])


def _branches(book: pd.DataFrame, folder: Path) -> pd.Series:
    """Return each code's branch: the plan's theme, else the one given, else emergent."""
    plan, _ = read_plan(folder)
    typed = book.assign(parent_id=book["parent_id"].where(book["parent_id"] != "", None))
    themes = theme_of_codes(plan, typed)
    given = book["branch"].where(book["branch"].isin(list(CODE_BRANCHES)), "emergent")
    planned = book["code_id"].map(themes).astype(object)
    return planned.where(planned.notna(), given)


def merge_into(
    result: QdaImport, folder: str | Path, key: bytes, name: str | None = None
) -> MergeOutcome:
    """Merge an import into a study folder and return what was done or what is missing.

    Nothing is written but the mapping sheet while something is missing. Raises
    :class:`MergeError` when the folder cannot take the import.
    """
    folder = Path(folder)
    name = (name or result.name).strip() or result.path.stem
    check_destination(folder)
    folder.mkdir(parents=True, exist_ok=True)
    books = [p.name for p in folder.glob("*.xlsx") if not p.name.startswith("~$")]
    if books and not (folder / "coded_segments.csv").exists():
        raise MergeError(
            f"{folder} keeps its tables in {', '.join(books)}; import-qda writes CSV files "
            "(which would take precedence over the workbook's sheets). Save the workbook's "
            "sheets as CSV files in the folder, or import into another folder."
        )
    new_toml, skeleton = _study_toml(folder, result)

    def table(stem: str, columns: Sequence[str], needed: Sequence[str]) -> _Csv:
        path = folder / f"{stem}.csv"
        return _need(_read_csv(path, columns), path, needed if path.exists() else ())

    sites = _Sites(table("sites", [], ["site_id"]).frame)
    people = table("participants", PARTICIPANTS.column_names, ["participant_id"])
    segments = table("coded_segments", CODED_SEGMENTS.column_names, ["source_id", "code_id"])
    book = table("codebook", CODEBOOK.column_names, ["code_id", "parent_id", "branch"])
    imports = table(Path(IMPORTS_FILE).stem, IMPORTS_COLUMNS, IMPORTS_COLUMNS).frame
    known = set(people.frame["participant_id"])
    resolved = _resolve(result, folder, key, sites, known)
    sheet_path = folder / MAPPING_FILE
    if resolved.needs:
        _write_csv(sheet_path, _Csv([], resolved.sheet))
        return MergeOutcome(folder, name, False, resolved.needs, sheet_path, notes=resolved.notes)

    # coded segments: the previous import's sources go, the new ones come in
    src_ids = {sid: pseudonymise(sid, key, SOURCE_PREFIX) for sid in result.sources["source_id"]}
    seg = resolved.segments
    new_seg = pd.DataFrame(
        {
            "segment_id": [
                f"{src_ids[s]}.{str(i).rsplit('.', 1)[-1]}"
                for s, i in zip(seg["source_id"], seg["segment_id"], strict=True)
            ],
            "code_id": seg["code_id"],
            "source_id": seg["source_id"].map(src_ids),
            **{c: seg[c] for c in CODED_SEGMENTS.column_names[3:]},
            **{c: seg[c] for c in SEGMENT_EXTRA},
        }
    ).map(_cell)
    old_sources = _previous(imports, name, "source") | set(src_ids.values())
    gone_rows = segments.frame["source_id"].isin(old_sources)
    replaced = {"coded_segments": int(gone_rows.sum())}
    segments.frame = _concat(segments.frame[~gone_rows], new_seg)

    # codebook: the previous import's codes go unless others use them; the import's come in
    others_use = set(segments.frame["code_id"]) - set(new_seg["code_id"])
    drop = _previous(imports, name, "code", added=True) - _claimed(imports, name, "code")
    gone_codes = book.frame["code_id"].isin(drop - others_use)
    replaced["codebook"] = int(gone_codes.sum())
    book.frame = book.frame[~gone_codes]
    imported = result.codebook[CODEBOOK.column_names].map(_cell)
    added_codes = imported[~imported["code_id"].isin(set(book.frame["code_id"]))]
    book.frame = _concat(book.frame, added_codes)
    book.frame["branch"] = _branches(book.frame, folder)

    # participants: the previous import's go unless still used; the new ones come in
    still = set(segments.frame["participant_id"]) - {""}
    owned = _previous(imports, name, "participant", added=True)
    gone_people = people.frame["participant_id"].isin(
        owned - _claimed(imports, name, "participant") - still
    )
    replaced["participants"] = int(gone_people.sum())
    people.frame = people.frame[~gone_people]
    new_people = resolved.participants[
        ~resolved.participants["participant_id"].isin(set(people.frame["participant_id"]))
    ]
    people.frame = _concat(people.frame, new_people)

    # provenance: one row per source, code and participant the import brought
    mine = set(new_seg["participant_id"]) - {""}
    brought = set(new_people["participant_id"]) | (owned & mine)
    added = set(added_codes["code_id"])
    record = pd.DataFrame(
        [
            *(("source", s, "1") for s in src_ids.values()),
            *(("code", c, "1" if c in added else "0") for c in imported["code_id"]),
            *(("participant", p, "1" if p in brought else "0") for p in sorted(mine)),
        ],
        columns=["kind", "id", "added"],
    )
    record.insert(0, "import", name)
    record.insert(1, "file", result.path.name)
    imports = _concat(imports[imports["import"] != name], record)

    _write_csv(folder / "codebook.csv", book)
    _write_csv(folder / "coded_segments.csv", segments)
    if len(people.frame) or (folder / "participants.csv").exists():
        _write_csv(folder / "participants.csv", people)
    _write_csv(folder / IMPORTS_FILE, _Csv([], imports))
    if sheet_path.exists():  # the researcher's sheet, with participant ids as pseudonyms
        _write_csv(sheet_path, _Csv([], resolved.sheet))
    if new_toml is not None:
        with atomic_path(folder / PLAN_FILE) as tmp:
            tmp.write_text(new_toml, encoding="utf-8")
    rows = {
        "codebook.csv": len(book.frame),
        "coded_segments.csv": len(segments.frame),
        "participants.csv": len(people.frame),
    }
    return MergeOutcome(
        folder,
        name,
        True,
        rows=rows,
        replaced=replaced,
        skeleton=skeleton,
        notes=resolved.notes,
    )
