"""The vendor-neutral model every QDA reader fills, and the import report.

Each reader (REFI-QDA, QualCoder, Taguette) turns its vendor's file into a
:class:`RawProject`: codes with their parents, sources with their text, selections with
their codings, cases with their variables. :mod:`srim_analysis.analyses.qda.tables` then maps a
``RawProject`` onto the study's tables in one place, so the mapping rules cannot differ
between vendors.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Level = Literal["info", "warning", "skipped"]

#: The formats read, by key (see :func:`srim_analysis.analyses.qda.read_qda`).
FORMATS: tuple[str, ...] = (
    "refi-qdpx",
    "refi-qdc",
    "qualcoder",
    "taguette-sqlite",
    "taguette-highlights",
)

#: Offset countings tried by default, the REFI-QDA standard first.
DEFAULT_COUNTINGS: tuple[str, ...] = (
    "codepoints",
    "codepoints_crlf1",
    "utf16",
    "utf16_crlf1",
    "codepoints_lf2",
    "utf8",
)


class QdaFormatError(ValueError):
    """A file that cannot be read at all: not a zip, invalid XML, no project.qde, ..."""


class QdaImportWarning(UserWarning):
    """Something in a QDA file was skipped or looks wrong; the rest was imported."""


@dataclass(frozen=True)
class ReportEntry:
    """One finding of an import: how serious, what kind, which item, and what happened."""

    level: Level
    kind: str
    item: str
    message: str


@dataclass
class ImportReport:
    """The findings of one import, in the order they were made."""

    file: str
    entries: list[ReportEntry] = field(default_factory=list)

    def add(self, level: Level, kind: str, item: str, message: str) -> None:
        """Record a finding (no Python warning yet: see :meth:`emit_warnings`)."""
        self.entries.append(ReportEntry(level, kind, item, message))

    def warn(self, kind: str, item: str, message: str) -> None:
        """Record a warning: something looks wrong, or data could not be imported."""
        self.add("warning", kind, item, message)

    def skip(self, kind: str, item: str, message: str) -> None:
        """Record something deliberately not imported (not study data, or a knock-on), and why."""
        self.add("skipped", kind, item, message)

    def info(self, kind: str, item: str, message: str) -> None:
        """Record a note (nothing wrong, but worth knowing)."""
        self.add("info", kind, item, message)

    def to_frame(self) -> pd.DataFrame:
        """Return the findings as a table with columns level, kind, item, message."""
        return pd.DataFrame(
            [(e.level, e.kind, e.item, e.message) for e in self.entries],
            columns=["level", "kind", "item", "message"],
        )

    def emit_warnings(self, per_kind: int = 5, stacklevel: int = 3) -> None:
        """Issue one Python warning per warning entry (summarised when a kind is frequent).

        Deliberate skips (notes, media sources, graphs) and notes stay in the report only.
        """
        noisy = [e for e in self.entries if e.level == "warning"]
        counts = Counter(e.kind for e in noisy)
        summarised: set[str] = set()
        for e in noisy:
            if counts[e.kind] <= per_kind:
                text = f"{self.file}: {e.item}: {e.message}"
            elif e.kind not in summarised:
                summarised.add(e.kind)
                text = (
                    f"{self.file}: {counts[e.kind]} findings of kind {e.kind!r} "
                    f"(first: {e.item}: {e.message}); see the import report"
                )
            else:
                continue
            warnings.warn(text, QdaImportWarning, stacklevel=stacklevel)


@dataclass
class RawCode:
    """A code or category as the vendor has it; ``parent`` is the parent's ``key``."""

    key: str
    name: str
    parent: str | None = None
    description: str = ""
    colour: str = ""
    guid: str = ""


@dataclass
class RawCoding:
    """One code applied to a selection."""

    code: str
    coder: str = ""
    guid: str = ""


@dataclass
class RawSelection:
    """A stretch of a source's text and the codes applied to it.

    ``start`` and ``end`` are in the vendor's own units (see :mod:`.offsets`); ``stored``
    holds whatever copies of the selected text the vendor keeps, to check the cut against.
    ``excerpt`` is set only when the vendor gives the text but no positions.
    """

    key: str
    source: str
    start: int | None
    end: int | None
    codings: list[RawCoding] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    coder: str = ""
    guid: str = ""
    excerpt: str | None = None


@dataclass
class RawSource:
    """A text source; ``text`` is None when it could not be read.

    ``breaks`` are positions in ``text`` where a line break is shown but not counted
    (Taguette's HTML paragraphs); ``countings`` is the order offset countings are tried in.
    """

    key: str
    name: str
    text: str | None
    path: str = ""
    guid: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    countings: tuple[str, ...] = DEFAULT_COUNTINGS
    breaks: list[int] = field(default_factory=list)


@dataclass
class RawCase:
    """A case: its variables and the sources, selections or text ranges it covers.

    ``ranges`` are ``(source key, start, end)`` in code points of the source text.
    """

    key: str
    name: str
    description: str = ""
    guid: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    selections: list[str] = field(default_factory=list)
    ranges: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class RawSet:
    """A named set of codes and sources."""

    key: str
    name: str
    codes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class RawProject:
    """Everything a reader got out of one vendor file."""

    format: str
    description: str
    report: ImportReport
    origin: str = ""
    #: The project's own name in the vendor's file ("" when it has none).
    name: str = ""
    codes: list[RawCode] = field(default_factory=list)
    sources: list[RawSource] = field(default_factory=list)
    selections: list[RawSelection] = field(default_factory=list)
    cases: list[RawCase] = field(default_factory=list)
    sets: list[RawSet] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
