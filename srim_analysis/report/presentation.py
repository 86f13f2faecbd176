"""How a published table is shown to a reader: plain labels, tidy values, long tables folded.

The CSV a run publishes keeps every row and the analysis's column names (for re-use); the
page shows the same cells for a person to read (issue #18):

* column names become plain labels (:func:`plain_label`: ``n_dont_know`` -> "Don't know
  (n)", ``ci_low`` -> "CI low", ``pct_agree`` -> "Agree (%)");
* p-values below 0.001 read "< 0.001", not ``0.0``; missing values are blank, not ``<NA>``;
* rows of several counts that are all hidden are left out, and a table whose every count
  is hidden is not shown: a sentence says so (the CSV still holds them);
* a table of more than ``max_rows`` rows shows its first rows and folds the rest (HTML
  ``<details>``), with a link to download the CSV;
* text is left-aligned and numbers right-aligned.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis import disclosure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Tables longer than this show their first rows and fold the rest.
MAX_ROWS = 30
#: Rows shown above the fold of a long table.
HEAD_ROWS = 15

_WORDS = {
    "n": "n",
    "pct": "%",
    "ci": "CI",
    "sd": "SD",
    "se": "SE",
    "or": "OR",
    "p": "p",
    "id": "id",
    "qca": "QCA",
    "incl": "incl",
    "pri": "PRI",
    "cov": "cov",
    "dont": "don't",
    "ons": "ONS",
    "it": "IT",
}
_NUM = ' class="num"'
_P_COLUMNS = re.compile(r"^(p|p_value|pvalue|p_adj|p_holm|p_adjusted|.*_p|.*_p_value)$", re.I)

# the class twice: JupyterLab's own rule for output tables (right-aligned) is more specific
STYLE = (
    "<style>.srim-table.srim-table td, .srim-table.srim-table th {padding: 0.15em 0.6em;"
    " text-align: left;}"
    " .srim-table.srim-table td.num, .srim-table.srim-table th.num {text-align: right;}"
    " .srim-table {border-collapse: collapse; margin-bottom: 0.3em;}"
    " .srim-table tr:nth-child(even) {background: #f6f6f6;}</style>"
)


def plain_label(column: object) -> str:
    """Return a column name as a reader's label.

    >>> plain_label("n_dont_know"), plain_label("pct_agree"), plain_label("ci_low")
    ("Don't know (n)", 'Agree (%)', 'CI low')
    >>> plain_label("site_id"), plain_label("n"), plain_label("Mean score")
    ('Site id', 'n', 'Mean score')
    """
    name = str(column)
    if not re.fullmatch(r"[a-z0-9_]+", name):
        return name  # already written for readers
    parts = name.split("_")
    unit = ""
    if len(parts) > 1 and parts[0] in ("n", "pct"):
        unit = f" ({_WORDS[parts[0]]})"
        parts = parts[1:]
    elif len(parts) > 1 and parts[-1] in ("n", "pct"):
        unit = f" ({_WORDS[parts[-1]]})"
        parts = parts[:-1]
    words = [_WORDS.get(p, p) for p in parts]
    text = " ".join(words)
    if text and words[0] not in ("n", "p", "incl", "cov"):
        text = text[0].upper() + text[1:]
    return text + unit


def _p_text(value: object) -> object:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value
    if number != number:  # NaN
        return value
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def _hidden_cells(frame: pd.DataFrame, counts: Sequence[str]) -> pd.DataFrame:
    """Return True for each hidden count cell."""
    return frame[list(counts)].map(disclosure.is_suppressed)


def _is_number(value: object) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True  # a blank cell does not make a column text
    if isinstance(value, int | float):
        return True
    text = str(value).strip()
    if disclosure.is_suppressed(text) or text in ("", "< 0.001"):
        return True
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _cells(frame: pd.DataFrame, numeric: set[str]) -> str:
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, values, strict=True):
            blank = value is None or (not isinstance(value, str) and pd.isna(value))
            shown = "" if blank else value
            css = _NUM if col in numeric else ""
            cells.append(f"<td{css}>{html.escape(str(shown))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(rows)


def table_html(
    published: pd.DataFrame,
    *,
    caption: str = "",
    csv_href: str | None = None,
    max_rows: int = MAX_ROWS,
) -> str:
    """Return the HTML a reader sees for a published table (see the module docstring)."""
    counts = [c for c in disclosure.count_columns_of(published) if c in published.columns]
    frame = published.copy()
    for col in frame.columns:
        if _P_COLUMNS.match(str(col)):
            frame[col] = frame[col].map(_p_text)
    head = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    download = (
        f' <a href="{html.escape(csv_href)}" download>Download the table (CSV)</a>.'
        if csv_href
        else ""
    )
    cells = _hidden_cells(frame, counts)
    # a row with one count keeps its label ("Probation: c"); a row of several counts, all
    # hidden, says nothing and is left out
    hidden = cells.all(axis=1) if len(counts) > 1 else pd.Series(False, index=frame.index)
    if len(frame) and len(counts) and cells.all(axis=None):
        return (
            f"{head}<p><i>Every count in this table is hidden (small counts, or counts from "
            f"which one could be worked out), so it is not shown.{download}</i></p>"
        )
    notes = []
    if hidden.any():
        frame = frame[~hidden]
        n = int(hidden.sum())
        notes.append(
            f"{n} row{'s' if n != 1 else ''} whose every count is hidden "
            f"{'are' if n != 1 else 'is'} not shown."
        )
    numeric = {c for c in frame.columns if all(_is_number(v) for v in frame[c].tolist())}
    header = "".join(
        f'<th data-column="{html.escape(str(c))}"{_NUM if c in numeric else ""}>'
        f"{html.escape(plain_label(c))}</th>"
        for c in frame.columns
    )
    body = f'<table class="srim-table"><thead><tr>{header}</tr></thead><tbody>'
    if len(frame) > max_rows:
        top, rest = frame.iloc[:HEAD_ROWS], frame.iloc[HEAD_ROWS:]
        body += _cells(top, numeric) + "</tbody></table>"
        body += (
            f"<details><summary>Show the other {len(rest)} rows</summary>"
            f'<table class="srim-table"><thead><tr>{header}</tr></thead><tbody>'
            f"{_cells(rest, numeric)}</tbody></table></details>"
        )
    else:
        body += _cells(frame, numeric) + "</tbody></table>"
    foot = " ".join(notes) + download
    return f"{STYLE}{head}{body}" + (f"<p><small>{foot.strip()}</small></p>" if foot else "")


# ---------------------------------------------------------------------------
# Numbered figures and tables: the one rule (the pages and `srim export` use it)
# ---------------------------------------------------------------------------


def numbered(keys: Iterable[str]) -> dict[str, int]:
    """Return each key's number, 1, 2, ..., in the order the keys first appear.

    This is the numbering rule of a page: figures and tables are numbered apart, each in
    the order the run first showed them; a table shown twice keeps its first number.

    >>> numbered(["b", "a", "b", "c"])
    {'b': 1, 'a': 2, 'c': 3}
    """
    numbers: dict[str, int] = {}
    for key in keys:
        numbers.setdefault(key, len(numbers) + 1)
    return numbers


def figure_numbers(figure_ids: Iterable[str]) -> dict[str, int]:
    """Return each figure's number by figure id, in the order a run saved (showed) them."""
    return numbered(figure_ids)


def table_numbers(table_names: Iterable[str]) -> dict[str, int]:
    """Return each table's number by table name (or CSV name), in the order a run showed them."""
    return numbered(table_names)


def figure_label(number: int | None, caption: str) -> str:
    """Return a figure's caption line: "Figure 3. caption" (the caption alone without a number)."""
    return f"Figure {number}. {caption}" if number else caption


def table_label(number: int | None, caption: str) -> str:
    """Return a table's caption line: "Table 5. caption" (the caption alone without a number)."""
    return f"Table {number}. {caption}" if number else caption


# ---------------------------------------------------------------------------
# Figures as a reader sees them: the saved PNG, its alt text and its caption
# ---------------------------------------------------------------------------

#: Where an axes may hold its title (the house style puts titles on the left).
_TITLES = ("left", "center", "right")
#: At most this many panels are described in a figure's alt text.
_ALT_PANELS = 6


def alt_text(caption: str, fig: Figure) -> str:
    """Return a figure's alt text: its caption, then what each panel shows (titles, axes).

    Written from the figure's own titles, axis labels and notes, so it says what the picture
    shows without reading the picture.
    """
    parts = [caption.strip().rstrip(".") + "."]
    suptitle = fig.get_suptitle().strip()
    if suptitle:
        parts.append(f"Title: {_one_line(suptitle)}.")
    panels = []
    for ax in fig.axes:
        title = " ".join(t for t in (ax.get_title(loc) for loc in _TITLES) if t.strip())
        if not ax.get_visible() or (not ax.axison and not title):
            continue
        bits = []
        if title:
            bits.append(f"“{_one_line(title)}”")
        axes = [
            f"{name} axis: {_one_line(label)}"
            for name, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel()))
            if label.strip()
        ]
        if axes:
            bits.append(", ".join(axes))
        if bits:
            panels.append(" — ".join(bits))
    if panels:
        shown = panels[:_ALT_PANELS]
        more = len(panels) - len(shown)
        parts.append(
            ("Panel" if len(panels) == 1 else f"{len(panels)} panels")
            + ": "
            + "; ".join(shown)
            + (f"; and {more} more" if more else "")
            + "."
        )
    notes = [_one_line(t.get_text()) for t in fig.texts if t.get_text().strip()]
    notes = [n for n in notes if n != suptitle]
    if notes:
        parts.append("Notes: " + " ".join(n.rstrip(".") + "." for n in notes))
    return " ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def png_size(png: bytes) -> tuple[int, int]:
    """Return the (width, height) in pixels of a PNG image, read from its header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


#: The saved PNGs are 300 dpi; a page shows them at the size of a 100-dpi screen image.
SHOWN_DPI_RATIO = 3


def figure_html(png: bytes, *, alt: str, label: str, figure_id: str = "") -> str:
    """Return a saved figure as HTML: the PNG (inline) with alt text and a numbered caption."""
    width, _ = png_size(png)
    data = base64.b64encode(png).decode("ascii")
    anchor = f' id="figure-{html.escape(figure_id)}"' if figure_id else ""
    return (
        f'<figure class="srim-figure"{anchor} style="margin: 0.5em 0 1em;">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
        f'style="max-width: 100%; height: auto;" width="{width // SHOWN_DPI_RATIO}">'
        f'<figcaption style="font-size: 0.92em; color: #333;"><b>{html.escape(label)}</b>'
        "</figcaption></figure>"
    )
