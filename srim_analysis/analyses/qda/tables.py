"""Map a vendor-neutral :class:`RawProject` onto the study's tables.

The rules, the same for every vendor:

* **codebook** — one row per code; vendor categories (QualCoder) and parent codes become
  parent codes. ``code_id`` is a slug of the name (``"Golden rules"`` -> ``golden_rules``,
  accents folded, apostrophes dropped). Where two codes share a slug, each is qualified by
  its parent's slug (``barriers.other``, ``facilitators.other``); any clash left gets
  ``_2``, ``_3`` in file order. ``branch`` comes from the *top-level* ancestor's name when
  it matches a :data:`~srim_analysis.study.contract.CODE_BRANCHES` key or label,
  case-insensitively (``"Transfer components"`` -> ``transfer_components``); otherwise
  ``emergent``. ``a_priori`` is 1 for codes in the a priori branches
  (:data:`A_PRIORI_BRANCHES`: golden_rules, consent, lawful_basis) or whose description
  says "a priori" (and not "not a priori"); else 0. Extra columns: ``source_guid`` (the
  vendor's id), ``colour``, ``sets``.
* **coded_segments** — one row per code applied to a segment. A segment is a stretch of
  a source's text that was coded: a REFI-QDA ``PlainTextSelection``, a QualCoder
  ``code_text`` span, a Taguette highlight; selections covering exactly the same text are
  one segment, so codes applied to the same text (a rule and a stance, by one coder or
  two) are co-coded even when the vendor exports each code as its own selection. Each
  coder's codings are kept: a code two coders applied to the same text is two rows (same
  ``segment_id`` and ``code_id``, each with its ``coder``), for the agreement between coders
  (:mod:`srim_analysis.analyses.agreement`); a code the same coder applied twice to the same
  text is kept once, with a warning. ``coder`` is the vendor's user name (REFI-QDA
  ``creatingUser``, QualCoder ``owner``, Taguette's author) as the export gives it: coders
  are the research team, not participants, so it is not pseudonymised; it stays in the
  private study folder, and the agreement tables publish only how many coders there were.
  ``segment_id`` is ``<source_id>.<nnn>`` numbered in text order. ``excerpt`` is cut from
  the source text (line ends normalised to LF); ``start``/``end`` are code-point positions
  in the source text as read, so ``text[start:end]`` is the excerpt before that
  normalisation. ``method``, ``site_id``, ``participant_id`` and ``source_date`` come
  from variables named (case-insensitively, spaces or underscores alike) ``method``,
  ``site``/``site_id``, ``participant``/``participant_id``, ``date``/``source_date``,
  looked up first on cases covering just that selection (a focus-group speaker), then on
  the source itself, then on cases covering the whole source. Blank where none is found,
  and counted in the report. ``method`` is mapped onto the METHODS keys ("Focus group" ->
  ``focus_group``); dates are written ``YYYY-MM-DD`` (``dd/mm/yyyy`` read day first).
* **sources** — one row per text source: ``source_id`` (slug of the name without its
  file extension), ``name``, the same four variables, ``n_characters``, ``path``, and
  ``source_guid``, ``offset_counting``, ``sets`` and any other source variables.
* **cases** — one row per case: ``case_id`` (slug), ``name``, one column per variable,
  then ``source_ids`` and ``case_guid``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from srim_analysis.atomic import atomic_path
from srim_analysis.study.contract import CODE_BRANCHES, CODED_SEGMENTS, METHODS

from ._model import RawCase, RawCode, RawProject, RawSelection, RawSource
from .offsets import SelectionSpan, cut_text, describe_counting, resolve

#: Branches whose codes were set before coding began.
A_PRIORI_BRANCHES: frozenset[str] = frozenset({"golden_rules", "consent", "lawful_basis"})

CODEBOOK_COLUMNS = [
    "code_id",
    "parent_id",
    "label",
    "description",
    "branch",
    "a_priori",
    "source_guid",
    "colour",
    "sets",
]
SEGMENT_COLUMNS = [
    "segment_id",
    "code_id",
    "source_id",
    "method",
    "site_id",
    "participant_id",
    "source_date",
    "excerpt",
    "start",
    "end",
    "coder",
    "selection_guid",
    "excerpt_missing",
]
SOURCE_COLUMNS = [
    "source_id",
    "name",
    "method",
    "site_id",
    "participant_id",
    "source_date",
    "n_characters",
    "path",
    "source_guid",
    "offset_counting",
    "sets",
]
PEOPLE_COLUMNS = ["participant", "agency", "role"]
CASE_COLUMNS = ["case_id", "name"]
CASE_TRAILING = ["source_ids", "case_guid"]

#: Study field -> variable names (as slugs) that supply it.
FIELD_VARIABLES: dict[str, tuple[str, ...]] = {
    "method": ("method",),
    "site_id": ("site", "site_id"),
    "participant_id": ("participant", "participant_id"),
    "source_date": ("date", "source_date"),
}
FIELDS = tuple(FIELD_VARIABLES)
_TEXT_EXTENSIONS = (".txt", ".docx", ".doc", ".rtf", ".pdf", ".odt", ".html", ".htm", ".md")


def slugify(name: str, fallback: str = "item", max_length: int = 60) -> str:
    """Return a readable id made of ``a-z0-9_`` from a name.

    >>> slugify("Zoë: the dad's GP (interview 3)")
    'zoe_the_dads_gp_interview_3'
    >>> slugify("!!!", fallback="code")
    'code'
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"['’`]", "", text.lower())
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if len(text) > max_length:
        cut = text[:max_length]
        text = cut.rsplit("_", 1)[0] if "_" in cut[max_length // 2 :] else cut
    return text or fallback


def unique_ids(bases: Sequence[str]) -> list[str]:
    """Return ``bases`` made unique by suffixing repeats with ``_2``, ``_3``, ... in order.

    >>> unique_ids(["a", "b", "a", "a"])
    ['a', 'b', 'a_2', 'a_3']
    """
    taken = set(bases)
    seen: set[str] = set()
    out: list[str] = []
    for base in bases:
        candidate, n = base, 1
        while candidate in seen or (candidate != base and candidate in taken):
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def branch_for(name: str) -> str | None:
    """Return the CODE_BRANCHES key a top-level code name stands for, or None.

    >>> branch_for("Golden rules"), branch_for("BARRIERS"), branch_for("Stuff")
    ('golden_rules', 'barriers', None)
    """
    slug = slugify(name, fallback="")
    folded = " ".join(name.split()).casefold()
    for key, label in CODE_BRANCHES.items():
        if slug == key or folded == label.casefold():
            return key
    return None


_A_PRIORI = re.compile(r"\ba[\s-]?priori\b", re.IGNORECASE)
_NOT_A_PRIORI = re.compile(r"\bnot\s+a[\s-]?priori\b", re.IGNORECASE)


def _says_a_priori(description: str) -> bool:
    return bool(_A_PRIORI.search(description)) and not _NOT_A_PRIORI.search(description)


def normalise_method(value: str) -> str | None:
    """Return the METHODS key a method value stands for, or None if it is not one."""
    slug = slugify(value, fallback="")
    folded = value.strip().casefold()
    for key, label in METHODS.items():
        if slug == key or folded == label.casefold():
            return key
    return None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_UK_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def normalise_date(value: str) -> str | None:
    """Return a date value as ``YYYY-MM-DD`` (dd/mm/yyyy read day first), or None.

    >>> normalise_date("2024-05-10T09:30:00"), normalise_date("3/4/2024"), normalise_date("May")
    ('2024-05-10', '2024-04-03', None)
    """
    text = value.strip()
    try:
        if m := _ISO_DATE.match(text):
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if m := _UK_DATE.match(text):
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:
        return None
    return None


def _field_of(variable: str) -> str | None:
    slug = slugify(variable, fallback="")
    for fld, names in FIELD_VARIABLES.items():
        if slug in names:
            return fld
    return None


#: Variables (as slugs) that mark a case as a person: its name is then the participant.
PERSON_VARIABLES: tuple[str, ...] = ("role", "agency")


def case_variables(case: RawCase) -> dict[str, str]:
    """Return a case's variables, with its name as ``participant`` when it is a person.

    A case with a ``role`` or ``agency`` variable but no ``participant`` one describes a
    person (an NVivo case classification such as "Person"): its name identifies them.
    """
    slugs = {slugify(name, fallback=""): value for name, value in case.variables.items()}
    person = any(str(slugs.get(v) or "").strip() for v in PERSON_VARIABLES)
    has_participant = any(_field_of(name) == "participant_id" for name in case.variables)
    if person and not has_participant:
        return {**case.variables, "participant": case.name}
    return dict(case.variables)


def _fields_from(variables: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in variables.items():
        fld = _field_of(name)
        if fld and value is not None and str(value).strip() and fld not in out:
            out[fld] = str(value).strip()
    return out


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


@dataclass
class QdaImport:
    """The study tables read from one QDA file, with the report of what was read and skipped."""

    codebook: pd.DataFrame
    coded_segments: pd.DataFrame
    sources: pd.DataFrame
    cases: pd.DataFrame
    report: pd.DataFrame
    format: str
    description: str
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    #: The project's name in the export (the file's stem when it has none).
    name: str = ""
    #: The participants the export names (as it names them) with its agency and role values.
    people: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PEOPLE_COLUMNS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the four tables keyed by file stem."""
        return {
            "codebook": self.codebook,
            "coded_segments": self.coded_segments,
            "sources": self.sources,
            "cases": self.cases,
        }

    @property
    def warnings(self) -> list[str]:
        """Return the warning and skip messages of the report as sentences."""
        noisy = self.report[self.report["level"] != "info"]
        return [f"{r.item}: {r.message}" for r in noisy.itertuples()]

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the four tables as UTF-8 CSV files in ``out_dir`` and return their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for stem, frame in self.tables().items():
            target = out / f"{stem}.csv"
            with atomic_path(target) as tmp:
                frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
            written[stem] = target
        return written

    def summary(self) -> str:
        """Return a few plain lines: what was read, what was skipped and what looks wrong."""
        c = self.counts
        lines = [
            f"Read {self.path.name} ({self.description}):",
            f"  codes     {c.get('codes', 0):>5}  ({c.get('top_level_codes', 0)} top-level)",
            f"  sources   {c.get('sources', 0):>5}  "
            f"({c.get('sources_without_text', 0)} without readable text)",
            f"  segments  {c.get('segments', 0):>5}  ({c.get('codings', 0)} codings; blank: "
            + ", ".join(f"{fld} {c.get('blank_' + fld, 0)}" for fld in FIELDS)
            + ")",
            *(
                [
                    f"  no text   {c['codings_without_text']:>5}  codings kept without their "
                    "text (excerpt blank, flagged in excerpt_missing)"
                ]
                if c.get("codings_without_text")
                else []
            ),
            f"  cases     {c.get('cases', 0):>5}  ({c.get('variables', 0)} variables)",
            f"  users     {c.get('users', 0):>5}",
            f"  sets      {c.get('sets', 0):>5}",
        ]
        for level, title in (("skipped", "Skipped"), ("warning", "Warnings"), ("info", "Notes")):
            rows = self.report[self.report["level"] == level]
            if len(rows):
                lines.append(f"{title} ({len(rows)}):")
                lines += [f"  - {r.item}: {r.message}" for r in rows.itertuples()]
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Building the tables
# ---------------------------------------------------------------------------


def _code_ids(codes: Sequence[RawCode]) -> dict[str, str]:
    by_key = {c.key: c for c in codes}
    base = {c.key: slugify(c.name, fallback="code") for c in codes}
    counts: dict[str, int] = defaultdict(int)
    for c in codes:
        counts[base[c.key]] += 1
    qualified = []
    for c in codes:
        slug = base[c.key]
        if counts[slug] > 1 and c.parent in by_key:
            slug = f"{base[c.parent]}.{slug}"
        qualified.append(slug)
    return dict(zip([c.key for c in codes], unique_ids(qualified), strict=True))


def _ordered_codes(codes: Sequence[RawCode], project: RawProject) -> list[RawCode]:
    """Return codes parents-first in file order, dropping references to unknown parents."""
    keys = {c.key for c in codes}
    children: dict[str | None, list[RawCode]] = defaultdict(list)
    for c in codes:
        if c.parent is not None and c.parent not in keys:
            project.report.warn(
                "unknown_parent",
                f"code {c.name!r}",
                f"its parent {c.parent!r} is not in the file; imported as a top-level code",
            )
            c.parent = None
        children[c.parent].append(c)
    ordered: list[RawCode] = []
    seen: set[str] = set()

    def visit(parent: str | None) -> None:
        for c in children.get(parent, []):
            if c.key not in seen:
                seen.add(c.key)
                ordered.append(c)
                visit(c.key)

    visit(None)
    for c in codes:  # codes caught in a parent cycle
        if c.key not in seen:
            project.report.warn(
                "parent_cycle",
                f"code {c.name!r}",
                "its parents form a cycle; imported as a top-level code",
            )
            c.parent = None
            seen.add(c.key)
            ordered.append(c)
            visit(c.key)
    return ordered


_CATEGORY = "category::"


def split_categories(project: RawProject) -> None:
    """Turn ATLAS.ti's ``Category::Code`` names into a parent code and a child code.

    ``"Stance::critical"`` becomes a code ``Stance`` (made once per category, or the code
    of that name already there beside it) with a child ``critical``; ``A::B::C`` nests.
    """
    made: dict[tuple[str | None, str], str] = {}
    existing = {(c.parent, c.name.strip().casefold()): c.key for c in project.codes}
    out: list[RawCode] = []
    split = 0
    for c in project.codes:
        parts = [part.strip() for part in c.name.split("::")]
        if len(parts) < 2 or not all(parts):
            out.append(c)
            continue
        split += 1
        parent = c.parent
        for part in parts[:-1]:
            where = (parent, part.casefold())
            if where in existing:
                parent = existing[where]
                continue
            if where not in made:
                made[where] = f"{_CATEGORY}{parent or ''}/{part.casefold()}"
                out.append(RawCode(key=made[where], name=part, parent=parent))
            parent = made[where]
        c.name, c.parent = parts[-1], parent
        out.append(c)
    if split:
        project.codes[:] = out
        project.report.info(
            "code_categories",
            f"{split} code(s)",
            f"named 'Category::Code' (ATLAS.ti): each is a child of its category; "
            f"{len(made)} category code(s) added",
        )


def _build_codebook(project: RawProject) -> tuple[pd.DataFrame, dict[str, str]]:
    split_categories(project)
    codes = _ordered_codes(project.codes, project)
    ids = _code_ids(codes)
    by_key = {c.key: c for c in codes}
    sets_of: dict[str, list[str]] = defaultdict(list)
    for s in project.sets:
        for key in s.codes:
            sets_of[key].append(s.name)
    rows = []
    for c in codes:
        top = c
        while top.parent is not None:
            top = by_key[top.parent]
        branch = branch_for(top.name) or "emergent"
        a_priori = int(branch in A_PRIORI_BRANCHES or _says_a_priori(c.description))
        rows.append(
            {
                "code_id": ids[c.key],
                "parent_id": ids[c.parent] if c.parent else None,
                "label": c.name,
                "description": c.description or None,
                "branch": branch,
                "a_priori": a_priori,
                "source_guid": c.guid or None,
                "colour": c.colour or None,
                "sets": "; ".join(sets_of[c.key]) or None,
            }
        )
    frame = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    frame["a_priori"] = frame["a_priori"].astype("int64")
    return frame, ids


@dataclass
class _Seg:
    selection: RawSelection
    start: int | None
    end: int | None
    excerpt: str | None  # None: the text is not in the export (the codes are kept)


def _source_id_bases(sources: Sequence[RawSource]) -> list[str]:
    bases = []
    for s in sources:
        name = s.name
        for ext in _TEXT_EXTENSIONS:
            if name.lower().endswith(ext) and len(name) > len(ext):
                name = name[: -len(ext)]
                break
        bases.append(slugify(name, fallback="source"))
    return bases


def _cut_source(
    project: RawProject, source: RawSource, selections: list[RawSelection]
) -> tuple[str, list[_Seg]]:
    """Cut a source's selections out of its text; return the counting used and the cuts."""
    report = project.report
    label = f"source {source.name!r}"
    segs: list[_Seg] = []
    positioned: list[tuple[RawSelection, int, int]] = []
    for sel in selections:
        if sel.start is not None and sel.end is not None:
            positioned.append((sel, int(sel.start), int(sel.end)))
        elif sel.excerpt is not None:
            segs.append(_Seg(sel, None, None, sel.excerpt.replace("\r\n", "\n")))
        else:
            report.warn(
                "no_position",
                label,
                f"selection {sel.key} has no positions and no text; its codes are kept "
                "(excerpt blank, flagged in excerpt_missing)",
            )
            segs.append(_Seg(sel, None, None, None))
    if not positioned:
        return "", segs
    if source.text is None:
        report.warn(
            "source_text_missing",
            label,
            f"the source text is not in the export: {len(positioned)} selection(s) kept "
            "with their codes, positions (as exported) and coders; excerpt blank, flagged "
            "in excerpt_missing",
        )
        segs += [_Seg(sel, start, end, None) for sel, start, end in positioned]
        return "", segs
    spans = [SelectionSpan(start, end, tuple(sel.stored)) for sel, start, end in positioned]
    counting, cuts = resolve(source.text, spans, source.countings)
    if counting != source.countings[0]:
        with_text = sum(1 for sp in spans if any(t.strip() for t in sp.stored))
        matched = sum(1 for c in cuts if c is not None and c.status == "ok")
        report.info(
            "offset_counting",
            label,
            f"positions counted as {describe_counting(counting)}: the stored text of "
            f"{matched} of {with_text} selection(s) matches that way",
        )
    for (sel, _, _), cut in zip(positioned, cuts, strict=True):
        where = f"{label}, selection {sel.key} [{sel.start}:{sel.end}]"
        if cut is None:
            report.warn(
                "selection_out_of_range",
                where,
                f"positions are outside the text ({len(source.text)} characters) or empty",
            )
            continue
        excerpt = cut_text(source.text, cut.start, cut.end, source.breaks)
        if cut.status == "alternative":
            report.warn(
                "offset_counting",
                where,
                f"stored text matches only with positions counted as "
                f"{describe_counting(cut.counting)}; used that",
            )
        elif cut.status == "mismatch":
            stored = next(s for s in sel.stored if s.strip())
            report.warn(
                "excerpt_mismatch",
                where,
                f"the cut text {_preview(excerpt)} does not match the stored text "
                f"{_preview(stored)} under any counting; kept the cut text",
            )
        segs.append(_Seg(sel, cut.start, cut.end, excerpt))
    return counting, segs


def _preview(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _group_by_span(segs: list[_Seg]) -> list[list[_Seg]]:
    """Return segments in text order, those covering the very same text grouped together."""
    segs = sorted(segs, key=lambda g: (g.start if g.start is not None else -1, g.end or -1))
    groups: list[list[_Seg]] = []
    by_span: dict[tuple[int, int], list[_Seg]] = {}
    for seg in segs:
        if seg.start is None or seg.end is None:
            groups.append([seg])
        elif (seg.start, seg.end) in by_span:
            by_span[(seg.start, seg.end)].append(seg)
        else:
            by_span[(seg.start, seg.end)] = [seg]
            groups.append(by_span[(seg.start, seg.end)])
    return groups


def _variable_tiers(
    group: Sequence[_Seg], source: RawSource, cases: Sequence[tuple[RawCase, set[str]]]
) -> list[list[tuple[str, dict[str, str]]]]:
    """Return variable sets for a segment, most specific first: selection cases, source, cases.

    ``cases`` pairs each case with the set of selection keys it names.
    """
    first = group[0]
    keys = {g.selection.key for g in group}
    narrow: list[tuple[str, dict[str, str]]] = []
    whole: list[tuple[str, dict[str, str]]] = []
    for case, selections in cases:
        in_range = (
            first.start is not None
            and first.end is not None
            and any(
                src == source.key and s <= first.start and first.end <= e
                for src, s, e in case.ranges
            )
        )
        if keys & selections or in_range:
            narrow.append((f"case {case.name!r}", case_variables(case)))
        elif source.key in case.sources:
            whole.append((f"case {case.name!r}", case_variables(case)))
    return [narrow, [(f"source {source.name!r}", source.variables)], whole]


def _resolve_fields(
    tiers: Sequence[Sequence[tuple[str, Mapping[str, str]]]],
    project: RawProject,
    item: str,
    warned: set[tuple[str, str]],
) -> dict[str, str | None]:
    out: dict[str, str | None] = dict.fromkeys(FIELDS)
    for fld in FIELDS:
        for tier in tiers:
            found = [(who, _fields_from(v).get(fld)) for who, v in tier]
            found = [(who, v) for who, v in found if v]
            if not found:
                continue
            values = sorted({v for _, v in found if v})
            if len(values) > 1 and (item, fld) not in warned:
                warned.add((item, fld))
                project.report.warn(
                    "conflicting_variable",
                    item,
                    f"{fld} differs between {', '.join(w for w, _ in found)} "
                    f"({', '.join(values)}); used {found[0][1]!r}",
                )
            out[fld] = found[0][1]
            break
    return out


def _clean_fields(
    values: dict[str, str | None], project: RawProject, item: str, warned: set[tuple[str, str]]
) -> None:
    """Map method onto a METHODS key and the date onto YYYY-MM-DD, warning once per value."""
    raw_method = values.get("method")
    if raw_method:
        method = normalise_method(raw_method)
        if method is not None:
            values["method"] = method
        elif ("method", raw_method) not in warned:
            warned.add(("method", raw_method))
            project.report.warn(
                "unknown_method",
                item,
                f"method {raw_method!r} is not one of {', '.join(METHODS)}; kept as given "
                "(here and wherever else it appears)",
            )
    raw_date = values.get("source_date")
    if raw_date:
        iso = normalise_date(raw_date)
        if iso is not None:
            values["source_date"] = iso
        elif ("date", raw_date) not in warned:
            warned.add(("date", raw_date))
            project.report.warn(
                "bad_date",
                item,
                f"date {raw_date!r} is not a date (YYYY-MM-DD or dd/mm/yyyy); kept as given",
            )


def _variable_columns(
    fixed: Iterable[str], variables: Iterable[str], skip_mapped: bool
) -> dict[str, str]:
    """Return variable name -> column name, avoiding the fixed columns."""
    taken = set(fixed)
    out: dict[str, str] = {}
    for name in variables:
        if skip_mapped and _field_of(name):
            continue
        column = name.strip() or "variable"
        while column in taken:
            column += "_var"
        taken.add(column)
        out[name] = column
    return out


def _build_cases(
    project: RawProject, case_ids: Mapping[str, str], source_ids: Mapping[str, str]
) -> pd.DataFrame:
    """Return the cases table: id, name, one column per variable, sources covered, GUID."""
    names = list(
        dict.fromkeys([*project.variables, *(n for c in project.cases for n in c.variables)])
    )
    columns = _variable_columns([*CASE_COLUMNS, *CASE_TRAILING], names, skip_mapped=False)
    source_of = {s.key: s.source for s in project.selections}
    rows = []
    for case in project.cases:
        row: dict[str, object] = {"case_id": case_ids[case.key], "name": case.name}
        for name, column in columns.items():
            row[column] = case.variables.get(name)
        covered = list(
            dict.fromkeys(
                [
                    *case.sources,
                    *(r[0] for r in case.ranges),
                    *(source_of[k] for k in case.selections if k in source_of),
                ]
            )
        )
        unknown = [k for k in covered if k not in source_ids]
        unknown += [k for k in case.selections if k not in source_of]
        if unknown:
            project.report.warn(
                "unknown_reference",
                f"case {case.name!r}",
                f"refers to {len(unknown)} source(s) or selection(s) not in the file "
                f"({', '.join(unknown[:3])}); ignored",
            )
        row["source_ids"] = "; ".join(source_ids[k] for k in covered if k in source_ids) or None
        row["case_guid"] = case.guid or None
        rows.append(row)
    return pd.DataFrame(rows, columns=[*CASE_COLUMNS, *columns.values(), *CASE_TRAILING])


def _person_values(variables: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in variables.items():
        slug = slugify(name, fallback="")
        if slug in PERSON_VARIABLES and str(value or "").strip() and slug not in out:
            out[slug] = str(value).strip()
    return out


def _build_people(project: RawProject) -> pd.DataFrame:
    """Return each participant the export names (cases, then sources) with agency and role."""
    found: dict[str, dict[str, str]] = {}
    named = [case_variables(c) for c in project.cases] + [s.variables for s in project.sources]
    for variables in named:
        who = _fields_from(variables).get("participant_id")
        if not who:
            continue
        row = found.setdefault(who, {"participant": who})
        for k, v in _person_values(variables).items():
            row.setdefault(k, v)
    return pd.DataFrame(list(found.values()), columns=PEOPLE_COLUMNS)


def build_tables(project: RawProject, path: Path) -> QdaImport:
    """Return the study tables and report for a project a reader has read."""
    report = project.report
    codebook, code_ids = _build_codebook(project)

    sources = project.sources
    source_ids = dict(
        zip([s.key for s in sources], unique_ids(_source_id_bases(sources)), strict=True)
    )
    source_by_key = {s.key: s for s in sources}
    case_ids = dict(
        zip(
            [c.key for c in project.cases],
            unique_ids([slugify(c.name, fallback="case") for c in project.cases]),
            strict=True,
        )
    )

    by_source: dict[str, list[RawSelection]] = defaultdict(list)
    for sel in project.selections:
        if sel.source not in source_by_key:
            report.warn(
                "unknown_source",
                f"selection {sel.key}",
                f"refers to source {sel.source!r}, which is not in the file",
            )
            continue
        by_source[sel.source].append(sel)

    seg_rows: list[dict[str, object]] = []
    source_rows: list[dict[str, object]] = []
    warned: set[tuple[str, str]] = set()
    variable_names = list(
        dict.fromkeys([*project.variables, *(n for s in sources for n in s.variables)])
    )
    source_var_names = list(dict.fromkeys(n for s in sources for n in s.variables))
    source_var_cols = _variable_columns(SOURCE_COLUMNS, source_var_names, skip_mapped=True)
    sets_of_source: dict[str, list[str]] = defaultdict(list)
    for st in project.sets:
        for key in st.sources:
            sets_of_source[key].append(st.name)

    case_selections = [(c, set(c.selections)) for c in project.cases]
    n_segments = 0
    double_coded: set[str] = set()
    for source in sources:
        sid = source_ids[source.key]
        item = f"source {source.name!r}"
        source_fields = _resolve_fields(
            [
                [(item, source.variables)],
                [
                    (f"case {c.name!r}", case_variables(c))
                    for c in project.cases
                    if source.key in c.sources
                ],
            ],
            project,
            item,
            warned,
        )
        _clean_fields(source_fields, project, item, warned)
        counting, segs = _cut_source(project, source, by_source.get(source.key, []))
        row: dict[str, object] = {
            "source_id": sid,
            "name": source.name,
            **source_fields,
            "n_characters": None if source.text is None else len(source.text),
            "path": source.path or None,
            "source_guid": source.guid or None,
            "offset_counting": counting or None,
            "sets": "; ".join(sets_of_source[source.key]) or None,
        }
        for name, column in source_var_cols.items():
            row[column] = source.variables.get(name)
        source_rows.append(row)

        groups = _group_by_span(segs)
        merged = sum(len(g) - 1 for g in groups)
        if merged:
            report.info(
                "merged_selections",
                f"source {source.name!r}",
                f"{merged} selection(s) cover exactly the same text as another and share its "
                "segment_id (codes applied to the same text are co-coded)",
            )
        width = max(3, len(str(len(groups))))
        source_coders: set[str] = set()
        for n, group in enumerate(groups, start=1):
            seg_id = f"{sid}.{n:0{width}d}"
            where = f"segment {seg_id} ({source.name!r})"
            tiers = _variable_tiers(group, source, case_selections)
            fields = _resolve_fields(tiers, project, where, warned)
            _clean_fields(fields, project, where, warned)
            applied: set[tuple[str, str]] = set()
            for seg in group:
                sel = seg.selection
                if not sel.codings:
                    report.skip("uncoded_selection", where, f"selection {sel.key} has no codes")
                for coding in sel.codings:
                    code_id = code_ids.get(coding.code)
                    coder = (coding.coder or sel.coder) or ""
                    if code_id is None:
                        report.warn(
                            "unknown_code",
                            where,
                            f"a coding refers to code {coding.code!r}, which is not in the "
                            "codebook; skipped",
                        )
                        continue
                    if (code_id, coder) in applied:
                        report.warn(
                            "duplicate_coding",
                            where,
                            f"code {code_id} is applied to the same text more than once by "
                            f"{coder or 'an unknown coder'}; kept the first",
                        )
                        continue
                    applied.add((code_id, coder))
                    seg_rows.append(
                        {
                            "segment_id": seg_id,
                            "code_id": code_id,
                            "source_id": sid,
                            **fields,
                            "excerpt": seg.excerpt,
                            "start": seg.start,
                            "end": seg.end,
                            "coder": coder or None,
                            "selection_guid": sel.guid or sel.key or None,
                            "excerpt_missing": int(seg.excerpt is None),
                        }
                    )
            if applied:
                n_segments += 1
                source_coders.update(c for _, c in applied)
        if len(source_coders) > 1:
            double_coded.add(sid)

    if double_coded:
        report.info(
            "double_coded",
            f"{len(double_coded)} source(s)",
            "coded by more than one coder: each coder's codings are kept (one row per code "
            "and coder; codings of the same text share its segment_id), for the agreement "
            "between coders",
        )
    segments = pd.DataFrame(seg_rows, columns=SEGMENT_COLUMNS)
    segments["start"] = segments["start"].astype("Int64")
    segments["end"] = segments["end"].astype("Int64")
    segments["excerpt_missing"] = segments["excerpt_missing"].astype("int64")
    source_frame = pd.DataFrame(source_rows, columns=[*SOURCE_COLUMNS, *source_var_cols.values()])
    source_frame["n_characters"] = source_frame["n_characters"].astype("Int64")

    cases = _build_cases(project, case_ids, source_ids)

    blanks = {fld: int(segments[fld].isna().sum()) for fld in FIELDS}
    for fld, blank in blanks.items():
        if blank:
            names = "/".join(FIELD_VARIABLES[fld])
            needed = "" if CODED_SEGMENTS.column(fld).nullable else "; the study needs it"
            report.info(
                "missing_variable",
                fld,
                f"blank for {blank} of {len(segments)} coded segment rows (no case or "
                f"source variable named {names}){needed}",
            )

    counts = {
        "codes": len(codebook),
        "top_level_codes": int(codebook["parent_id"].isna().sum()),
        "sources": len(source_frame),
        "sources_without_text": sum(1 for s in sources if s.text is None),
        "segments": n_segments,
        "codings": len(segments),
        "codings_without_text": int(segments["excerpt_missing"].sum()),
        "cases": len(cases),
        "variables": len(variable_names),
        "users": len(project.users),
        "sets": len(project.sets),
        "skipped": sum(1 for e in report.entries if e.level == "skipped"),
        "warnings": sum(1 for e in report.entries if e.level == "warning"),
        **{f"blank_{fld}": n for fld, n in blanks.items()},
    }
    return QdaImport(
        codebook=codebook,
        coded_segments=segments,
        sources=source_frame,
        cases=cases,
        report=report.to_frame(),
        format=project.format,
        description=project.description,
        path=path,
        counts=counts,
        name=project.name or path.stem,
        people=_build_people(project),
    )
