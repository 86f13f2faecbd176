"""Turn a vendor's selection offsets into code-point positions, detecting how it counted.

REFI-QDA says selections count Unicode code points from 0, and ``text[start:end]`` on the
decoded text is the selected text. Vendors do not all do that. The habits handled here:

``codepoints``
    the standard: code points of the text as stored.
``codepoints_crlf1``
    code points, but a Windows line break (CR LF) counted as one character (the vendor
    normalised line endings before counting).
``utf16``
    UTF-16 code units (.NET, Java, JavaScript, Qt): a character outside the Basic
    Multilingual Plane, such as most emoji, counts as two.
``utf16_crlf1``
    UTF-16 code units with CR LF counted as one.
``codepoints_lf2``
    code points, but each bare LF counted as two (positions taken on a CR LF copy of a
    text that was then stored with LF endings, e.g. inline ``PlainTextContent``).
``utf8``
    UTF-8 bytes (Taguette's own highlight offsets).

Each habit can also be combined with an *inclusive* end position (``endPosition`` naming
the last selected character rather than the one after it); these are tried last.

Where the vendor stored the selected text (a REFI-QDA selection's ``name`` or
``Description``, QualCoder's ``seltext``, Taguette's ``snippet``), every counting is tried
and the one under which the most stored texts match the cut is used for the whole source;
a selection that matches only under another counting uses that one and is reported.
Comparison ignores white space and accepts a stored text that is a truncated start of the
excerpt (ending in an ellipsis, or at least 12 characters long).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "unchecked", "alternative", "mismatch"]


@dataclass(frozen=True)
class Counting:
    """One way of counting positions in a text: which characters do not count as one unit."""

    key: str
    label: str
    pattern: re.Pattern[str] | None
    delta: Callable[[str], int]


def _utf16_crlf_delta(ch: str) -> int:
    return -1 if ch == "\r" else 1


def _utf8_delta(ch: str) -> int:
    return len(ch.encode("utf-8", "surrogatepass")) - 1


_ASTRAL = "[\U00010000-\U0010ffff]"

COUNTINGS: dict[str, Counting] = {
    c.key: c
    for c in (
        Counting("codepoints", "Unicode code points (the REFI-QDA standard)", None, lambda _: 0),
        Counting(
            "codepoints_crlf1",
            "code points with CR LF counted as one character",
            re.compile(r"\r(?=\n)"),
            lambda _: -1,
        ),
        Counting("utf16", "UTF-16 code units", re.compile(_ASTRAL), lambda _: 1),
        Counting(
            "utf16_crlf1",
            "UTF-16 code units with CR LF counted as one",
            re.compile(r"\r(?=\n)|" + _ASTRAL),
            _utf16_crlf_delta,
        ),
        Counting(
            "codepoints_lf2",
            "code points with each line break counted as two (CR LF)",
            re.compile(r"(?<!\r)\n"),
            lambda _: 1,
        ),
        Counting("utf8", "UTF-8 bytes", re.compile(r"[^\x00-\x7f]"), _utf8_delta),
    )
}

INCLUSIVE_SUFFIX = "+inclusive_end"


def describe_counting(key: str) -> str:
    """Return a plain-English description of a counting key (as used in the report)."""
    base, _, rest = key.partition("+")
    label = COUNTINGS[base].label if base in COUNTINGS else base
    return label + (", end position inclusive" if rest else "")


class UnitMap:
    """Map positions in one counting's units to code-point positions in ``text``."""

    def __init__(self, text: str, counting: Counting) -> None:
        self.counting = counting
        self.length = len(text)
        self.positions: list[int] = []
        self.cumulative: list[int] = [0]
        if counting.pattern is not None:
            for m in counting.pattern.finditer(text):
                self.positions.append(m.start())
                self.cumulative.append(self.cumulative[-1] + counting.delta(m.group()))

    def units_before(self, index: int) -> int:
        """Return how many units precede code point ``index``."""
        return index + self.cumulative[bisect_left(self.positions, index)]

    @property
    def signature(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Return a value equal for countings that agree everywhere on this text."""
        return tuple(self.positions), tuple(self.cumulative)

    def to_codepoint(self, units: int) -> int | None:
        """Return the code-point position of a unit position, or None if outside the text."""
        if units < 0 or units > self.units_before(self.length):
            return None
        lo, hi = 0, self.length
        while lo < hi:
            mid = (lo + hi) // 2
            if self.units_before(mid) >= units:
                hi = mid
            else:
                lo = mid + 1
        return lo


def _squash(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(text.split()))


def texts_agree(excerpt: str, stored: str) -> bool:
    """Return True if a vendor's stored selection text matches the cut excerpt.

    >>> texts_agree("the dad's\\r\\nGP", "the dad's GP")
    True
    >>> texts_agree("the dad's GP said", "the dad's…")
    True
    >>> texts_agree("he dad's GP", "the dad's GP")
    False
    """
    a, b = _squash(excerpt), _squash(stored)
    if not b:
        return False
    if a == b:
        return True
    for ellipsis in ("...", "…"):
        if b.endswith(ellipsis):
            head = b[: -len(ellipsis)]
            return bool(head) and a.startswith(head)
    return len(b) >= 12 and a.startswith(b)


@dataclass(frozen=True)
class Cut:
    """Where a selection falls in the text (code points) and how that was decided."""

    start: int
    end: int
    counting: str
    status: Status


@dataclass(frozen=True)
class SelectionSpan:
    """A selection's vendor positions and any stored copies of its text."""

    start: int
    end: int
    stored: tuple[str, ...] = ()


def _candidates(text: str, countings: Sequence[str]) -> list[tuple[str, UnitMap, bool]]:
    maps: list[tuple[str, UnitMap]] = []
    seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for key in countings:
        umap = UnitMap(text, COUNTINGS[key])
        if umap.signature in seen:
            continue  # same as an earlier counting on this text
        seen.add(umap.signature)
        maps.append((key, umap))
    return [(k, m, False) for k, m in maps] + [(k + INCLUSIVE_SUFFIX, m, True) for k, m in maps]


def _cut(umap: UnitMap, inclusive: bool, span: SelectionSpan) -> tuple[int, int] | None:
    start = umap.to_codepoint(span.start)
    end = umap.to_codepoint(span.end + (1 if inclusive else 0))
    if start is None or end is None or end <= start:
        return None
    return start, end


def _agrees(text: str, cut: tuple[int, int] | None, stored: Sequence[str]) -> bool:
    if cut is None:
        return False
    excerpt = text[cut[0] : cut[1]]
    return any(texts_agree(excerpt, s) for s in stored if s)


def resolve(
    text: str, spans: Sequence[SelectionSpan], countings: Sequence[str]
) -> tuple[str, list[Cut | None]]:
    """Return the counting used for a source and each selection's cut (None: outside the text).

    >>> text = "Zoë 🙂 said:\\r\\nthe dad's GP"
    >>> span = SelectionSpan(14, 26, ("the dad's GP",))
    >>> key, cuts = resolve(text, [span], ["codepoints", "utf16"])
    >>> key, text[cuts[0].start : cuts[0].end]
    ('utf16', "the dad's GP")
    """
    candidates = _candidates(text, countings)
    cuts = [[_cut(m, inc, span) for span in spans] for _, m, inc in candidates]
    scores = [
        sum(_agrees(text, c, span.stored) for c, span in zip(row, spans, strict=True))
        for row in cuts
    ]
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        best = 0
    chosen = candidates[best][0]
    result: list[Cut | None] = []
    for j, span in enumerate(spans):
        cut = cuts[best][j]
        has_stored = any(s.strip() for s in span.stored)
        if not has_stored:
            result.append(None if cut is None else Cut(*cut, chosen, "unchecked"))
            continue
        if cut is not None and _agrees(text, cut, span.stored):
            result.append(Cut(*cut, chosen, "ok"))
            continue
        alternative: Cut | None = None
        for i in range(len(candidates)):
            alt = cuts[i][j]
            if i != best and alt is not None and _agrees(text, alt, span.stored):
                alternative = Cut(*alt, candidates[i][0], "alternative")
                break
        if alternative is not None:
            result.append(alternative)
        elif cut is not None:
            result.append(Cut(*cut, chosen, "mismatch"))
        else:
            result.append(None)
    return chosen, result


def cut_text(text: str, start: int, end: int, breaks: Sequence[int] = ()) -> str:
    """Return ``text[start:end]`` with shown-but-uncounted breaks inserted and LF line ends."""
    if breaks:
        pieces: list[str] = []
        last = start
        for b in breaks:
            if start < b < end:
                pieces += [text[last:b], "\n"]
                last = b
        pieces.append(text[last:end])
        excerpt = "".join(pieces)
    else:
        excerpt = text[start:end]
    return excerpt.replace("\r\n", "\n").replace("\r", "\n")
