"""Redaction of direct identifiers in quotes and free text.

Names, sites and organisations on a study's identifier list (:class:`Identifiers`,
:func:`load_identifiers`, :func:`study_identifiers`), and emails, UK phone numbers,
postcodes, NHS and National Insurance numbers, dates and street addresses found by pattern,
are replaced by typed marks such as ``[NAME]`` (:func:`redact`, :func:`redact_series`);
:func:`redaction_report` lists what was redacted, for checking (it is sensitive).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd

__all__ = [
    "Finding",
    "Identifiers",
    "Redaction",
    "is_valid_nhs_number",
    "is_valid_ni_number",
    "load_identifiers",
    "redact",
    "redact_series",
    "redaction_report",
    "study_identifiers",
]

_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4\u2032"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"
_fold_cache: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    """Map one character to one character: strip accents, plain apostrophes and hyphens."""
    got = _fold_cache.get(ch)
    if got is not None:
        return got
    if ch in _APOSTROPHES:
        out = "'"
    elif ch in _DASHES:
        out = "-"
    else:
        d = unicodedata.normalize("NFD", ch)
        out = d[0] if len(d) > 1 and all(unicodedata.combining(x) for x in d[1:]) else ch
    _fold_cache[ch] = out
    return out


def _fold(text: str) -> str:
    return "".join(map(_fold_char, text))


class Finding(NamedTuple):
    """One redacted span: its kind, the original text, and where it was (start, end)."""

    kind: str
    original: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """The redacted ``text`` and what was ``found`` in the original."""

    text: str
    found: list[Finding]

    @property
    def kinds(self) -> list[str]:
        """Return the kinds found, in order."""
        return [f.kind for f in self.found]


def _identifier_pattern(identifier: str) -> str | None:
    s = _fold(unicodedata.normalize("NFC", identifier)).strip()
    tokens = s.split()
    if not tokens:
        return None
    parts = []
    for tok in tokens:
        p = []
        for ch in tok:
            if ch == "'":
                p.append(r"(?:'\s?|\s)?")
            elif ch == "-":
                p.append(r"(?:\s*-\s*|\s+)")
            elif ch.isalpha():
                p.append(re.escape(ch) + f"[{_COMBINING}]*")
            else:
                p.append(re.escape(ch))
        parts.append("".join(p))
    return r"\s+".join(parts)


def _clean_kind(kind: str | None) -> str:
    k = re.sub(r"[^A-Z0-9_]+", "_", (kind or "").strip().upper()).strip("_")
    return k or "NAME"


@dataclass(frozen=True)
class Identifiers:
    """A project's list of identifiers to redact: (identifier, KIND) pairs, e.g. NAME, SITE, ORG."""

    entries: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_strings(cls, items: Iterable[str], kind: str = "NAME") -> Identifiers:
        """Return identifiers of one kind from plain strings."""
        if isinstance(items, str):
            raise TypeError("pass a list of identifiers, not a single string")
        return cls.from_pairs((s, kind) for s in items)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Identifiers:
        """Return identifiers from (identifier, kind) pairs, blanks and duplicates dropped."""
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        for ident, kind in pairs:
            text = unicodedata.normalize("NFC", str(ident)).strip()
            if not text:
                continue
            k = _clean_kind(kind)
            seen.setdefault((text.casefold(), k), (text, k))
        return cls(tuple(seen.values()))

    def __len__(self) -> int:
        return len(self.entries)

    @cached_property
    def _index(
        self,
    ) -> tuple[dict[str, list[tuple[str, str]]], list[int], list[tuple[str, re.Pattern[str]]]]:
        """Pattern sources keyed by the letters and digits they match (lower case, nothing else).

        A position in the text is only tried against the identifiers whose key it starts
        with, so long identifier lists stay fast; the identifier's own pattern then decides.
        Identifiers that do not start with a letter or digit are searched for everywhere.
        """
        by_key: dict[str, list[tuple[str, str]]] = {}
        anywhere: list[tuple[str, re.Pattern[str]]] = []
        for ident, kind in sorted(self.entries, key=lambda e: -len(e[0])):
            pat = _identifier_pattern(ident)
            if not pat:
                continue
            folded = _fold(ident).strip()
            key = _skeleton(folded)[0]
            if not folded[:1].isalnum() or not key:
                rx = re.compile(
                    rf"(?<![\w{_COMBINING}])(?=({pat})(?![\w{_COMBINING}]))", re.IGNORECASE
                )
                anywhere.append((kind, rx))
                continue
            by_key.setdefault(key, []).append((rf"(?:{pat})(?![\w{_COMBINING}])", kind))
        lengths = sorted({len(k) for k in by_key}, reverse=True)
        return by_key, lengths, anywhere

    def _find(self, folded: str) -> list[tuple[int, int, str]]:
        """Return (start, end, kind) of every identifier in the folded text."""
        by_key, lengths, anywhere = self._index
        spans: list[tuple[int, int, str]] = []
        if by_key:
            skeleton, index_of = _skeleton(folded)
            for m in _WORD_START_RE.finditer(folded):
                p = m.start()
                k = index_of[p]
                if k < 0:
                    continue
                for length in lengths:
                    for pattern, kind in by_key.get(skeleton[k : k + length], ()):
                        hit = _compiled(pattern).match(folded, p)
                        if hit and hit.end() > p:
                            spans.append((p, hit.end(), kind))
        for kind, rx in anywhere:
            spans += [
                (m.start(1), m.end(1), kind) for m in rx.finditer(folded) if m.end(1) > m.start(1)
            ]
        return spans


_WORD_START_RE = re.compile(rf"(?<![\w{_COMBINING}])\w")


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    """Return the compiled identifier pattern (compiled when first needed: compiling is slow)."""
    return re.compile(pattern, re.IGNORECASE)


_skeleton_cache: dict[str, str] = {}


def _skeleton_char(ch: str) -> str:
    """Return '' for what a name pattern may skip, a lower-case letter/digit, or '\0'."""
    got = _skeleton_cache.get(ch)
    if got is None:
        if ch.isalnum():
            got = unicodedata.normalize("NFKC", ch).lower()[:1] or "\0"
            got = {"\u0131": "i"}.get(got, got)  # dotless i matches i when case is ignored
        elif unicodedata.combining(ch) or ch.isspace() or ch in "'-":
            got = ""
        else:
            got = "\0"
        _skeleton_cache[ch] = got
    return got


def _skeleton(text: str) -> tuple[str, list[int]]:
    """Return the text's letters and digits (lower case, separators dropped) and, for each
    position of the text, the index of its character in that skeleton (-1 if dropped)."""
    chars: list[str] = []
    index_of: list[int] = []
    for ch in text:
        sk = _skeleton_char(ch)
        index_of.append(len(chars) if sk else -1)
        if sk:
            chars.append(sk)
    return "".join(chars), index_of


def load_identifiers(path: str | Path) -> Identifiers:
    """Return the identifiers listed in a file: CSV with columns ``identifier,kind``, or text.

    A ``.csv`` file needs an ``identifier`` column; ``kind`` (NAME, SITE, ORG, ...) defaults
    to NAME; comment lines starting with ``#`` above the header are skipped. Any other file is
    read as one identifier per line (kind NAME); blank lines and lines starting with ``#``
    are skipped. The file is sensitive: keep it outside git.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig")
    if p.suffix.casefold() == ".csv":
        lines = text.splitlines()
        while lines and lines[0].lstrip().startswith("#"):  # banner lines before the header
            lines.pop(0)
        reader = csv.DictReader(lines)
        fields = {(f or "").strip().casefold(): f for f in reader.fieldnames or []}
        if "identifier" not in fields:
            raise ValueError(f"{p.name}: a CSV of identifiers needs an 'identifier' column")
        id_f, kind_f = fields["identifier"], fields.get("kind")
        pairs = [
            ((row.get(id_f) or ""), (row.get(kind_f) or "NAME") if kind_f else "NAME")
            for row in reader
            if not (row.get(id_f) or "").lstrip().startswith("#")
        ]
        return Identifiers.from_pairs(pairs)
    lines = [ln.strip() for ln in text.splitlines()]
    return Identifiers.from_strings(ln for ln in lines if ln and not ln.startswith("#"))


def study_identifiers(folder: str | Path) -> Identifiers | None:
    """Return the identifier list ``<folder>/identifiers.csv``, or None if the folder has none.

    The list is read once per version of the file; its compiled patterns are reused.
    """
    path = Path(folder) / "identifiers.csv"
    if not path.is_file():
        return None
    stat = path.stat()
    return _cached_identifiers(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _cached_identifiers(path: str, mtime_ns: int, size: int) -> Identifiers:
    return load_identifiers(path)


def _as_identifiers(identifiers: Identifiers | Iterable[str] | None) -> Identifiers:
    if identifiers is None:
        return Identifiers()
    if isinstance(identifiers, Identifiers):
        return identifiers
    return Identifiers.from_strings(identifiers)


_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR4 = r"(?:1[89]|20)[0-9]{2}"
_ORD = r"(?:st|nd|rd|th)?"

_EMAIL_RE = re.compile(
    r"(?<![\w.+'%-])[\w.+'%-]+"
    r"(?:\s*@\s*|\s*[\[\(\{]\s*at\s*[\]\)\}]\s*)"
    r"(?:[\w-]+(?:\.|\s*[\[\(\{]\s*dot\s*[\]\)\}]\s*))+[a-z]{2,}(?![\w])",
    re.IGNORECASE,
)
_PHONE_RE = re.compile(
    r"(?<![\w+/])"
    r"(?:(?:\(\s*)?(?:\+|00)\s?44\s?\)?\s?(?:\(\s?0\s?\)\s?)?\(?|\(?0)"
    r"[1-9](?:[\s\-.()]{0,2}[0-9]){8,9}(?![0-9])",
)
_POSTCODE_RE = re.compile(
    r"(?<![\w])(?:GIR[ \t]{0,2}0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])[ \t]{0,2}[0-9][ABD-HJLNP-UW-Z]{2})(?![\w])",
    re.IGNORECASE,
)
_NHS_RE = re.compile(r"(?<![\w])[0-9]{3}[ \t\-]?[0-9]{3}[ \t\-]?[0-9]{4}(?![\w])")
_NI_RE = re.compile(
    r"(?<![\w])([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])[ \t\-]?[0-9]{2}[ \t\-]?[0-9]{2}"
    r"[ \t\-]?[0-9]{2}(?:[ \t\-]?[A-D])?(?![\w])",
    re.IGNORECASE,
)
_DATE_NUMERIC_RE = re.compile(
    r"(?<![\w/.\-])([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![\w/\-]|\.[0-9])"
)
_DATE_ISO_RE = re.compile(
    rf"(?<![\w/.\-])({_YEAR4})([/.\-])([0-9]{{1,2}})\2([0-9]{{1,2}})(?![\w/\-]|\.[0-9])"
)
_DATE_TEXT_RE = re.compile(
    rf"(?<![\w])(?:([0-9]{{1,2}}){_ORD}(?:\s+of)?[\s\-]+{_MONTHS}\.?,?[\s\-]+(?:{_YEAR4}|'[0-9]{{2}})"
    rf"|{_MONTHS}\.?\s+([0-9]{{1,2}}){_ORD},?\s+{_YEAR4})(?![\w])",
    re.IGNORECASE,
)
_DOB_RE = re.compile(
    r"(?<![\w])(?:d\.?\s?o\.?\s?b(?![\w])\.?|(?:born|date\s+of\s+birth|birth\s?date|birthday)(?![\w]))"
    # up to four words between, which may hold a dot (an email) but not end a sentence
    r"[\s:,\-]*(?:[^\s;!?]*[^\s.;!?]\s+){0,4}?"
    rf"(?P<p>{_MONTHS}\.?,?\s+{_YEAR4}|[0-9]{{1,2}}[/.\-]{_YEAR4}"
    rf"|[0-9]{{1,2}}{_ORD}(?:\s+of)?\s+{_MONTHS}|{_MONTHS}\s+[0-9]{{1,2}}{_ORD}"
    rf"|{_YEAR4}|'[0-9]{{2}})(?![\w])",
    re.IGNORECASE,
)
_STREET_SUFFIXES = (
    r"(?:road|rd|street|st|avenue|ave|lane|ln|close|cl|drive|dr|way|crescent|cres|grove|gr"
    r"|place|pl|terrace|terr|tce|court|ct|gardens|gdns|square|sq|mews|walk|row|hill|rise|park"
    r"|parade|vale|view|green|wharf|yard|croft|gate|boulevard|approach)"
)
_ADDRESS_RE = re.compile(
    r"(?<![\w])(?P<flat>(?:flat|apartment|apt|unit)\.?\s*[0-9]+[a-z]?\s*,?\s+)?"
    r"(?P<num>[0-9]{1,4}[a-z]?(?:\s*[-/]\s*[0-9]{1,4}[a-z]?)?),?\s+"
    r"(?P<name>(?:[^\W\d_][\w'\-]*\.?\s+){1,4}?)"
    rf"(?P<suffix>{_STREET_SUFFIXES})(?![\w])",
    re.IGNORECASE,
)
_FLAT_RE = re.compile(
    r"(?<![\w])(?:Flat|FLAT|Apartment|APARTMENT|Apt|APT)\.?\s*[0-9]+[A-Za-z]?(?![\w])"
)
_ADDRESS_CUE_RE = re.compile(
    r"(?:\bat|\baddress(?:\s+is)?|\blive[sd]?\s+at|\bliving\s+at|\bmov(?:ed|ing|es)\s+(?:in)?to"
    r"|\bresides?\s+at|\bstay(?:s|ed|ing)?\s+at)[\s:,]*$",
    re.IGNORECASE,
)
_COURT_INSTITUTIONS = frozenset(
    {
        "family",
        "crown",
        "magistrates",
        "magistrates'",
        "youth",
        "county",
        "high",
        "supreme",
        "appeal",
        "coroners",
        "coroner's",
        "coroners'",
        "district",
        "juvenile",
    }
)
_BAD_NI_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})

# tie-break when two detections of equal length overlap (lower wins)
_PRIORITY = {
    "EMAIL": 0,
    "NHS_NUMBER": 1,
    "NI_NUMBER": 2,
    "PHONE": 3,
    "POSTCODE": 4,
    "DATE": 5,
    "ADDRESS": 6,
}


def is_valid_nhs_number(text: str) -> bool:
    """Return True if ``text`` is ten digits (spaces/dashes allowed) with a valid Modulus 11 check.

    >>> is_valid_nhs_number("943 476 5919"), is_valid_nhs_number("943 476 5918")
    (True, False)
    """
    digits = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def is_valid_ni_number(text: str) -> bool:
    """Return True if ``text`` is a National Insurance number in a valid format.

    >>> is_valid_ni_number("AB 12 34 56 C"), is_valid_ni_number("QQ 12 34 56 C")
    (True, False)
    """
    m = _NI_RE.fullmatch(text.strip())
    return bool(m) and (m.group(1) + m.group(2)).upper() not in _BAD_NI_PREFIXES


def _valid_day_month(a: int, b: int) -> bool:
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _detect(folded: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    spans += [(m.start(), m.end(), "EMAIL") for m in _EMAIL_RE.finditer(folded)]
    spans += [(m.start(), m.end(), "PHONE") for m in _PHONE_RE.finditer(folded)]
    spans += [(m.start(), m.end(), "POSTCODE") for m in _POSTCODE_RE.finditer(folded)]
    spans += [
        (m.start(), m.end(), "NHS_NUMBER")
        for m in _NHS_RE.finditer(folded)
        if is_valid_nhs_number(m.group())
    ]
    spans += [
        (m.start(), m.end(), "NI_NUMBER")
        for m in _NI_RE.finditer(folded)
        if (m.group(1) + m.group(2)).upper() not in _BAD_NI_PREFIXES
    ]
    for m in _DATE_NUMERIC_RE.finditer(folded):
        a, sep, b, year = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        if len(year) == 2 and sep == ".":
            continue
        if _valid_day_month(a, b):
            spans.append((m.start(), m.end(), "DATE"))
    for m in _DATE_ISO_RE.finditer(folded):
        if 1 <= int(m.group(3)) <= 12 and 1 <= int(m.group(4)) <= 31:
            spans.append((m.start(), m.end(), "DATE"))
    for m in _DATE_TEXT_RE.finditer(folded):
        day = int(m.group(1) or m.group(2))
        if 1 <= day <= 31:
            spans.append((m.start(), m.end(), "DATE"))
    spans += [(m.start("p"), m.end("p"), "DATE") for m in _DOB_RE.finditer(folded)]
    for m in _ADDRESS_RE.finditer(folded):
        words = m.group("name").split()
        suffix = m.group("suffix")
        if suffix.casefold() == "court" and words[-1].casefold() in _COURT_INSTITUTIONS:
            continue
        capitalised = all(w[0].isupper() for w in words)
        cue = _ADDRESS_CUE_RE.search(folded[max(0, m.start() - 30) : m.start()])
        if capitalised or cue or m.group("flat"):
            spans.append((m.start(), m.end(), "ADDRESS"))
    spans += [(m.start(), m.end(), "ADDRESS") for m in _FLAT_RE.finditer(folded)]
    return spans


def _resolve(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Merge overlapping detections; each cluster takes the kind of its longest member."""
    out: list[tuple[int, int, str]] = []
    cluster: list[tuple[int, int, str]] = []
    end = -1
    for span in sorted(spans):
        if cluster and span[0] < end:
            cluster.append(span)
            end = max(end, span[1])
            continue
        if cluster:
            out.append(_cluster(cluster))
        cluster, end = [span], span[1]
    if cluster:
        out.append(_cluster(cluster))
    return out


def _cluster(spans: list[tuple[int, int, str]]) -> tuple[int, int, str]:
    best = min(spans, key=lambda s: (-(s[1] - s[0]), _PRIORITY.get(s[2], 10), s[0]))
    return min(s[0] for s in spans), max(s[1] for s in spans), best[2]


def _dates_of_birth_around_marks(
    folded: str, spans: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Return the date-of-birth spans found with every other finding read as one word.

    On the redacted text "born in the 14 Acacia Road 2015" reads "born in the [ADDRESS]
    2015", close enough to 'born' for the year to count; reading it that way already on
    the first pass keeps redaction idempotent.
    """
    collapsed: list[str] = []
    plain: list[tuple[int, int, int]] = []  # (start in collapsed, start in folded, length)
    at = last = 0
    for start, end, kind in _resolve(spans):
        plain.append((at, last, start - last))
        collapsed.append(folded[last:start])
        mark = f"[{kind}]"
        collapsed.append(mark)
        at += start - last + len(mark)
        last = end
    plain.append((at, last, len(folded) - last))
    collapsed.append(folded[last:])
    found = []
    for m in _DOB_RE.finditer("".join(collapsed)):
        a, b = m.start("p"), m.end("p")
        for c0, f0, n in plain:
            if c0 <= a and b <= c0 + n:
                found.append((f0 + a - c0, f0 + b - c0, "DATE"))
                break
    return found


def _redact(text: str, ids: Identifiers) -> Redaction:
    folded = _fold(text)
    spans = _detect(folded)
    spans += ids._find(folded)
    known = set(spans)
    while True:  # to a fixpoint, as repeated redaction would reach
        extra = [s for s in _dates_of_birth_around_marks(folded, spans) if s not in known]
        if not extra:
            break
        spans += extra
        known.update(extra)
    pieces: list[str] = []
    found: list[Finding] = []
    last = 0
    for start, end, kind in _resolve(spans):
        pieces.append(text[last:start])
        pieces.append(f"[{kind}]")
        found.append(Finding(kind, text[start:end], start, end))
        last = end
    pieces.append(text[last:])
    return Redaction("".join(pieces), found)


def redact(text: str, identifiers: Identifiers | Iterable[str] | None = None) -> Redaction:
    """Return the :class:`Redaction` of ``text``: identifiers replaced by typed marks.

    Replaced: names on the identifier list (whole words, any case, accents optional,
    across line breaks; kinds become marks such as ``[NAME]``, ``[SITE]``), email addresses
    (``[EMAIL]``), UK phone numbers (``[PHONE]``), UK postcodes (``[POSTCODE]``), NHS numbers
    with a valid check digit (``[NHS_NUMBER]``), National Insurance numbers
    (``[NI_NUMBER]``), full dates in any common format and partial dates after 'born'/'DOB'
    (``[DATE]``), and house-number street addresses and flat numbers (``[ADDRESS]``).

    >>> redact("Zoë's NHS number is 943 476 5919.", ["Zoë"]).text
    "[NAME]'s NHS number is [NHS_NUMBER]."
    """
    if not isinstance(text, str):
        raise TypeError(f"redact() needs a string, not {type(text).__name__}")
    return _redact(text, _as_identifiers(identifiers))


def redact_series(
    texts: pd.Series, identifiers: Identifiers | Iterable[str] | None = None
) -> pd.Series:
    """Return a Series of redacted texts (missing values stay missing)."""
    ids = _as_identifiers(identifiers)
    return texts.map(lambda t: _redact(t, ids).text if isinstance(t, str) else t)


def redaction_report(
    texts: pd.Series | pd.DataFrame,
    identifiers: Identifiers | Iterable[str] | None = None,
    *,
    source_column: str = "source",
    text_column: str = "text",
) -> pd.DataFrame:
    """Return counts of redactions per source and kind, with the originals, for checking.

    ``texts`` is a Series (its index is the source) or a DataFrame with ``source_column``
    and ``text_column``. Columns of the result: source, kind, count, originals (the distinct
    redacted strings, '; '-separated). **The report holds the identifiers themselves: it is
    sensitive, and belongs in the private folder, never in git or a published output.**
    """
    if isinstance(texts, pd.DataFrame):
        missing = [c for c in (source_column, text_column) if c not in texts.columns]
        if missing:
            raise ValueError(f"redaction_report: columns {missing} not in {list(texts.columns)}")
        pairs = zip(texts[source_column].tolist(), texts[text_column].tolist(), strict=True)
    else:
        pairs = zip(texts.index.tolist(), texts.tolist(), strict=True)
    ids = _as_identifiers(identifiers)
    tally: dict[tuple[object, str], list[str]] = {}
    for source, text in pairs:
        if not isinstance(text, str):
            continue
        for f in _redact(text, ids).found:
            tally.setdefault((source, f.kind), []).append(f.original)
    rows = [
        {
            "source": source,
            "kind": kind,
            "count": len(originals),
            "originals": "; ".join(sorted(set(originals))),
        }
        for (source, kind), originals in tally.items()
    ]
    report = pd.DataFrame(rows, columns=["source", "kind", "count", "originals"])
    if len(report):
        report = report.sort_values(["source", "kind"], key=lambda s: s.astype(str))
    return report.reset_index(drop=True)
