"""Quote review: with real data, a quote is published only once a researcher has approved it.

Redaction by an identifier list cannot catch a name nobody listed, a nickname or a detail
that identifies someone in context. So with a real study every quote a notebook chooses
(already redacted, attributed pseudonymously) is written to a **review sheet** for the
research team, and only the quotes a researcher has approved there are published; the
others are counted as *awaiting review* (their text is not shown).

The sheet is ``<study folder>/review/quotes.csv`` (:data:`REVIEW_COLUMNS`): ``key`` (a
stable key of the quote: the same passage, redacted text and attribution always get the
same key), ``site`` and ``notebook`` (where it is used, ``"; "``-separated), ``code``,
``attribution``, ``quote``, ``approved`` (blank until a researcher writes ``yes`` or
``no``) and ``reviewer_note``. A run adds the quotes it chose and keeps every row and
decision already there (a changed quote gets a new key, so it needs a new approval);
concurrent runs take a lock on the sheet, and it is written atomically.

A synthetic study's quotes are made up: they are published without review, and the sheet
(the same columns, for trying the workflow) is written under the run's outputs,
``reports/<site>/review/<notebook>__quotes.csv``, never into the tracked synthetic folder.

:func:`review_quotes` is the one call a section makes::

    reviewed = disclosure.review_quotes(quotes, folder=study.folder, synthetic=study.synthetic,
                                        site=site, notebook=notebook, reports_dir=reports_dir)
    reviewed.quotes        # the quotes to publish
    reviewed.sentence()    # "2 quotes are awaiting review in ..." (or None)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from srim_analysis import atomic
from srim_analysis.layout import RunLayout

if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt
else:
    import fcntl

#: The review sheet's columns, in order.
__all__ = [
    "REVIEW_COLUMNS",
    "REVIEW_SHEET",
    "ReviewedQuotes",
    "decisions",
    "quote_key",
    "read_review_sheet",
    "record_quotes",
    "review_quotes",
    "review_sheet",
    "sheet_lock",
]

REVIEW_COLUMNS: tuple[str, ...] = (
    "key",
    "site",
    "notebook",
    "code",
    "attribution",
    "quote",
    "approved",
    "reviewer_note",
)
#: Where a real study keeps its review sheet, relative to the study folder.
REVIEW_SHEET = Path("review") / "quotes.csv"
#: What a researcher writes in ``approved``.
APPROVED, DECLINED = "yes", "no"
_SEPARATOR = "; "


def quote_key(code: str, segment: str, quote: str, attribution: str) -> str:
    """Return the stable key of a quote: the same passage, text and attribution, the same key.

    >>> quote_key("K1", "seg-9", "We never ask about dads.", "Practitioner, Northfield")
    'q-a6dddf8cf2d9'
    """
    text = "\x1f".join((str(code), str(segment), " ".join(str(quote).split()), str(attribution)))
    return "q-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def review_sheet(
    folder: str | Path, synthetic: bool, site: str, notebook: str, reports_dir: str | Path
) -> Path:
    """Return where a run's quotes are reviewed: the study folder (real) or the run's outputs."""
    if not synthetic:
        return Path(folder) / REVIEW_SHEET
    return Path(reports_dir) / site / "review" / f"{notebook}__quotes.csv"


@contextlib.contextmanager
def sheet_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a ``.lock`` file beside it) while the block runs.

    Runs of several sites at once read, merge and rewrite the same working file of the
    study folder; the lock makes each read-merge-write whole.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(f".{target.name}.lock"), "a+") as handle:
        if os.name == "nt":  # pragma: no cover - Windows
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if os.name != "nt":
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_review_sheet(path: str | Path) -> pd.DataFrame:
    """Return a review sheet (all text, blank for empty cells); an empty one if there is none."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=list(REVIEW_COLUMNS), dtype=object)
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in REVIEW_COLUMNS:
        if col not in sheet:
            sheet[col] = ""
    extra = [c for c in sheet.columns if c not in REVIEW_COLUMNS]
    return sheet[[*REVIEW_COLUMNS, *extra]]


def _merge_places(old: str, new: str) -> str:
    places = [p for p in str(old).split(_SEPARATOR) if p]
    return _SEPARATOR.join(dict.fromkeys([*places, new]))


def record_quotes(path: str | Path, quotes: pd.DataFrame, site: str, notebook: str) -> pd.DataFrame:
    """Add ``quotes`` to the review sheet at ``path`` (decisions kept); return the sheet.

    ``quotes`` has ``key``, ``code_id``, ``attribution`` and ``quote``. A quote already in
    the sheet keeps its row and decision (its ``site`` and ``notebook`` gain this run's);
    a new one is added with ``approved`` blank. Nothing is removed. The sheet is rewritten
    atomically, only when it changes, under :func:`sheet_lock`.
    """
    path = Path(path)
    with sheet_lock(path):
        sheet = read_review_sheet(path)
        before = sheet.copy()
        row_of = {k: i for i, k in enumerate(sheet["key"])}
        added = []
        for q in quotes.itertuples(index=False):
            i = row_of.get(q.key)
            if i is not None:
                sheet.loc[i, "site"] = _merge_places(sheet.loc[i, "site"], site)
                sheet.loc[i, "notebook"] = _merge_places(sheet.loc[i, "notebook"], notebook)
                continue
            row_of[q.key] = -1
            added.append(
                {
                    "key": q.key,
                    "site": site,
                    "notebook": notebook,
                    "code": q.code_id,
                    "attribution": q.attribution,
                    "quote": q.quote,
                    "approved": "",
                    "reviewer_note": "",
                }
            )
        if added:
            sheet = pd.concat([sheet, pd.DataFrame(added, dtype=object)], ignore_index=True)
        sheet = sheet.fillna("")
        if not path.is_file() or not sheet.equals(before):
            buf = io.StringIO()
            sheet.to_csv(buf, index=False, lineterminator="\n")
            atomic.write_text(path, buf.getvalue())
    return sheet


def decisions(sheet: pd.DataFrame) -> dict[str, str]:
    """Return each key's decision: 'yes', 'no' or '' (blank or anything else: not decided)."""
    out = {}
    for key, value in zip(sheet["key"], sheet["approved"], strict=True):
        word = str(value).strip().casefold()
        out[str(key)] = word if word in (APPROVED, DECLINED) else ""
    return out


@dataclass(frozen=True)
class ReviewedQuotes:
    """The quotes a run may publish, and how many wait for (or failed) a researcher's review."""

    quotes: pd.DataFrame  # the quotes to publish (approved ones; every one if synthetic)
    awaiting: int  # chosen quotes with no decision yet
    declined: int  # chosen quotes a researcher declined
    sheet: Path  # the review sheet
    synthetic: bool

    def sentence(self) -> str | None:
        """Return what the page says about quotes held back for review (None if none are)."""
        if not self.awaiting and not self.declined:
            return None
        parts = []
        if self.awaiting:
            were = "quote is" if self.awaiting == 1 else "quotes are"
            parts.append(f"{self.awaiting} {were} awaiting a researcher's review")
        if self.declined:
            were = "quote was" if self.declined == 1 else "quotes were"
            parts.append(f"{self.declined} {were} declined by the reviewer")
        return (
            "*" + " and ".join(parts).capitalize() + f" in `{RunLayout.final(self.sheet)}`, so "
            "not shown: with real data a quote is published only once a researcher has "
            "approved it there (write yes or no in `approved`, then run again).*"
        )


def review_quotes(
    quotes: pd.DataFrame,
    *,
    folder: str | Path,
    synthetic: bool,
    site: str,
    notebook: str,
    reports_dir: str | Path,
    record: bool = True,
) -> ReviewedQuotes:
    """Record the chosen quotes for review; return those that may be published.

    ``quotes`` come from :func:`srim_analysis.analyses.qualitative.choose_quotes` (redacted,
    attributed). Each gets its :func:`quote_key` (a ``key`` column) and is recorded in the
    review sheet (:func:`review_sheet`). With real data only the approved ones are returned;
    with synthetic data all of them (they are made up), and the sheet is written under the
    run's outputs: a staged run starts from the sheet of the last good run, so decisions
    written there are kept. ``record=False`` only reads the decisions (a quote browser,
    which publishes nothing, writes nothing).
    """
    keyed = quotes.copy()
    keyed["key"] = [
        quote_key(c, s, q, a)
        for c, s, q, a in zip(
            keyed["code_id"], keyed["segment_id"], keyed["quote"], keyed["attribution"], strict=True
        )
    ]
    sheet_path = review_sheet(folder, synthetic, site, notebook, reports_dir)
    if not record:
        sheet = read_review_sheet(RunLayout.final(sheet_path))
    elif synthetic:
        last = RunLayout.final(sheet_path)
        if last != sheet_path and last.is_file() and not sheet_path.is_file():
            sheet_path.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(sheet_path, last.read_bytes())
    if record:
        sheet = record_quotes(sheet_path, keyed, site, notebook)
    decided = decisions(sheet)
    state = keyed["key"].map(lambda k: decided.get(k, ""))
    if synthetic:
        return ReviewedQuotes(keyed, 0, 0, sheet_path, True)
    return ReviewedQuotes(
        keyed[state == APPROVED].reset_index(drop=True),
        awaiting=int((state == "").sum()),
        declined=int((state == DECLINED).sum()),
        sheet=sheet_path,
        synthetic=False,
    )
