"""Diverging stacked bar charts of Likert answers, in the house style, from a published table.

Each bar shows one item (or one group's answers to an item) as percentages of the
people who gave a rating: disagreement to the left of zero, agreement to the right and
the neutral answer split across zero. The bars are drawn from a *published* count table
(:func:`srim_analysis.analyses.survey_tables.level_count_table` made safe by the report):
one count column per answer, ``n`` (who gave a rating) and ``n_dk_na`` (don't know or not
applicable). What the table hides is not drawn: a row whose ``n`` is hidden has no bar;
an answer whose count is hidden has no segment and no percentage, and the other answers'
percentages are of the published ``n``, so the bar falls short of 100%. The figure says
what it leaves out (:func:`srim_analysis.charts.style.left_out_note`). Percentages are
written inside segments wide enough to hold them, and the n behind each bar is in its
label.
"""

from __future__ import annotations

import math
import textwrap
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.colors import to_hex, to_rgb
from matplotlib.ticker import FuncFormatter, MultipleLocator

from srim_analysis import disclosure
from srim_analysis.charts.style import (
    DIVERGING_5,
    FULL_WIDTH_IN,
    left_out_note,
    new_figure,
    use_house_style,
)
from srim_analysis.disclosure import DEFAULT_MIN_CELL

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure

__all__ = [
    "DK_NA",
    "RATED",
    "X_RANGE",
    "LikertRows",
    "diverging_colours",
    "draw_diverging",
    "fit_labels_when_drawn",
    "fit_percentage_labels",
    "left_out_text",
    "likert_rows",
    "plot_likert_panels",
    "plot_likert_table",
]

#: Label of the x axis (what the percentages are of).
X_LABEL = "% of those who gave a rating\n(don't know, not applicable and blank answers left out)"
PCT_GID = "likert-pct"
#: The columns of a published count table beside the answers: who rated, who said DK/NA.
RATED = "n"
DK_NA = "n_dk_na"
#: Percentage labels and the bar segment each one sits in, per axes (for fitting).
_LABELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
BAR_HEIGHT = 0.72
#: The x-range of every Likert chart (-100% to 100%), so the charts of a page compare.
X_RANGE = 100.0


def diverging_colours(k: int) -> list[str]:
    """Return ``k`` colours from negative to positive: the house ``DIVERGING_5`` when k is 5.

    >>> diverging_colours(5)[2]
    '#D9D9D9'
    >>> len(diverging_colours(4)), diverging_colours(3)[1]
    (4, '#D9D9D9')
    """
    if k == 5:
        return list(DIVERGING_5)
    cmap = mpl.colormaps["PuOr"]
    colours = [to_hex(cmap(v)).upper() for v in np.linspace(0.08, 0.92, k)]
    if k % 2:
        colours[k // 2] = DIVERGING_5[2]
    return colours


def _text_colour(hex_colour: str) -> str:
    r, g, b = to_rgb(hex_colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.45 else "black"


def draw_diverging(
    ax: Axes,
    counts: pd.DataFrame,
    row_labels: Sequence[str],
    *,
    label_min_pct: float = 5.0,
    colours: Sequence[str] | None = None,
    legend: bool = True,
    totals: Sequence[float] | None = None,
    x_range: float | None = X_RANGE,
) -> list[BarContainer]:
    """Draw diverging bars of ``counts`` (rows x levels) on ``ax``; return a container per level.

    The rows are drawn top to bottom in the order given. Each row is converted to
    percentages of its total (``totals``, else the row's sum); the middle level of an odd
    scale straddles zero (half on each side); an even scale splits between its two middle
    levels. A percentage is written inside each segment at least ``label_min_pct`` wide
    (a segment of zero count has none). The x-axis runs from ``-x_range`` to ``x_range``
    (default -100% to 100%, the same on every Likert chart of a page); None fits it to the
    bars (to the next 10%).
    """
    levels = [str(c) for c in counts.columns]
    k = len(levels)
    values = counts.to_numpy(dtype=float)
    if totals is None:
        totals = values.sum(axis=1, keepdims=True)
    else:
        totals = np.asarray(totals, dtype=float).reshape(-1, 1)
    pct = np.divide(values * 100, totals, out=np.zeros_like(values), where=totals > 0)
    lefts = np.zeros_like(pct)
    mid = k // 2
    if k % 2:
        half = pct[:, mid] / 2
        lefts[:, mid] = -half
        start_neg, start_pos, first_pos = -half, half, mid + 1
    else:
        start_neg = start_pos = np.zeros(len(pct))
        first_pos = mid
    cursor = start_neg.copy()
    for j in range(mid - 1, -1, -1):
        cursor = cursor - pct[:, j]
        lefts[:, j] = cursor
    cursor = start_pos.copy()
    for j in range(first_pos, k):
        lefts[:, j] = cursor
        cursor = cursor + pct[:, j]
    colours = list(colours) if colours is not None else diverging_colours(k)
    y = np.arange(len(pct))
    containers = []
    placed = _LABELS.setdefault(ax, [])
    for j in range(k):
        bars = ax.barh(
            y,
            pct[:, j],
            left=lefts[:, j],
            height=BAR_HEIGHT,
            color=colours[j],
            edgecolor="white",
            linewidth=0.6,
            label=levels[j],
        )
        containers.append(bars)
        for row in range(len(pct)):
            width = pct[row, j]
            if width >= label_min_pct and values[row, j] > 0:
                text = ax.text(
                    lefts[row, j] + width / 2,
                    row,
                    f"{width:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=_text_colour(colours[j]),
                    gid=PCT_GID,
                )
                placed.append((text, bars.patches[row]))
    extent = max(float(np.max(-lefts[:, 0], initial=0)), float(np.max(cursor, initial=0)))
    limit = max(10.0, math.ceil(extent / 10) * 10) if x_range is None else float(x_range)
    ax.set_xlim(-limit, limit)
    ax.xaxis.set_major_locator(MultipleLocator(50 if limit > 60 else 25 if limit > 30 else 10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):.0f}%"))
    ax.axvline(0, color="#4D4D4D", linewidth=0.8, zorder=3)
    ax.set_yticks(y, list(row_labels))
    ax.set_ylim(len(pct) - 0.5, -0.5)  # first row on top
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    if legend:
        ax.legend(
            handles=containers,
            labels=levels,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=k,
            fontsize=8,
            handlelength=1.2,
            columnspacing=1.0,
            borderaxespad=0.3,
        )
    return containers


def fit_percentage_labels(fig: Figure, padding_px: float = 4.0, renderer: object = None) -> int:
    """Show the percentage labels that fit their bar segment, hide the rest; return how many hid.

    Needs the figure laid out: without a ``renderer`` it draws the figure (without
    rendering) first. Charts made here call it while they are drawn (see
    :func:`fit_labels_when_drawn`), so saving or showing a chart needs no extra pass.
    """
    if renderer is None:
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    hidden = 0
    for ax in fig.axes:
        for text, patch in _LABELS.get(ax, []):
            text.set_visible(True)  # a hidden text measures as a unit box: measure it shown
            fits = (
                text.get_window_extent(renderer).width + padding_px
                <= patch.get_window_extent(renderer).width
            )
            text.set_visible(fits)
            hidden += not fits
    return hidden


def fit_labels_when_drawn(fig: Figure, padding_pt: float = 3.0) -> None:
    """Make ``fig`` fit its percentage labels each time it is drawn, after its layout.

    An invisible artist drawn before everything else (lowest z-order) calls
    :func:`fit_percentage_labels` with the renderer of that draw: the layout is final by
    then, at whatever size and resolution the figure is being saved or shown.
    """

    class _LabelFitter(Artist):
        def draw(self, renderer: object) -> None:
            points = renderer.points_to_pixels(padding_pt)  # type: ignore[attr-defined]
            fit_percentage_labels(fig, points, renderer)

    if any(isinstance(a, Artist) and a.get_gid() == _FITTER_GID for a in fig.artists):
        return
    fitter = _LabelFitter()
    fitter.set_gid(_FITTER_GID)
    fitter.set_zorder(-1e9)
    fitter.set_in_layout(False)
    fig.add_artist(fitter)


_FITTER_GID = "likert-label-fitter"


class LikertRows(NamedTuple):
    """The rows of a published count table a chart can draw, and what it must leave out."""

    counts: pd.DataFrame  # drawable rows x answers; a hidden count is 0
    rated: list[int]  # the published n of each drawable row
    dk_na: list[str]  # the published DK/NA count of each drawable row ("c" when hidden)
    drawn: list[int]  # positions (in the table) of the drawable rows
    left_out: list[int]  # positions of the rows whose n is hidden
    hidden_answers: int  # answer cells hidden in the drawable rows


def likert_rows(published: pd.DataFrame, levels: Sequence[str]) -> LikertRows:
    """Return the rows of a published count table that can be drawn, hidden counts as 0.

    A row is drawn when its ``n`` is shown and above 0; in it, an answer whose count is
    hidden counts 0 (no segment) and is counted in ``hidden_answers``.
    """
    drawn, left_out, rows, rated, dk_na = [], [], [], [], []
    hidden = 0
    for pos, (_, row) in enumerate(published.iterrows()):
        n = row[RATED]
        if disclosure.is_suppressed(n):
            left_out.append(pos)
            continue
        if int(n) == 0:
            continue
        cells = [row[lv] for lv in levels]
        hidden += sum(bool(disclosure.is_suppressed(c)) for c in cells)
        rows.append([0 if disclosure.is_suppressed(c) else int(c) for c in cells])
        rated.append(int(n))
        dk = row[DK_NA] if DK_NA in published.columns else 0
        dk_na.append(disclosure.SUPPRESSION_MARK if disclosure.is_suppressed(dk) else str(int(dk)))
        drawn.append(pos)
    counts = pd.DataFrame(rows, columns=list(levels), dtype=float)
    return LikertRows(counts, rated, dk_na, drawn, left_out, hidden)


def left_out_text(names: Sequence[str], hidden_answers: int, min_cell: int) -> str:
    """Return the note of what a Likert chart leaves out ("" when nothing is left out)."""
    parts = []
    if names:
        parts.append(
            f"Not shown (fewer than {min_cell} ratings, or hidden so that a smaller count "
            "cannot be worked out): " + ", ".join(names) + "."
        )
    if hidden_answers:
        parts.append(
            f"Answers chosen by fewer than {min_cell} people (c in the table) are not drawn, "
            "so those bars add up to less than 100%."
        )
    return " ".join(parts)


def _row_label(text: str, n: int, dk_na: str, wrap: int, min_cell: int) -> str:
    if disclosure.is_suppressed(dk_na):
        dk = f"; fewer than {min_cell} DK/NA"
    else:
        dk = f"; {dk_na} DK/NA" if int(dk_na) else ""
    return "\n".join([*textwrap.wrap(text, wrap), f"(n={n}{dk})"])


def _height(n_rows: int, lines_per_row: int) -> float:
    return 1.5 + n_rows * max(0.38, 0.15 * lines_per_row + 0.08)


def _draw_rows(
    ax: Axes,
    rows: LikertRows,
    texts: Sequence[str],
    min_cell: int,
    label_min_pct: float,
    wrap: int,
    x_range: float | None = X_RANGE,
) -> None:
    labels = [
        _row_label(texts[pos], n, dk, wrap, min_cell)
        for pos, n, dk in zip(rows.drawn, rows.rated, rows.dk_na, strict=True)
    ]
    draw_diverging(
        ax, rows.counts, labels, label_min_pct=label_min_pct, totals=rows.rated, x_range=x_range
    )
    ax.set_xlabel(X_LABEL, fontsize=8)


def plot_likert_table(
    published: pd.DataFrame,
    levels: Sequence[str],
    row_labels: Sequence[str],
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    title: str | None = None,
    label_min_pct: float = 5.0,
    wrap: int = 45,
    x_range: float | None = X_RANGE,
) -> Figure | None:
    """Return one diverging bar per row of a published count table; None when none is shown.

    ``levels`` are the answer columns (lowest first), ``row_labels`` the text of each row
    (in table order). Rows whose ``n`` is hidden are not drawn, answers whose count is
    hidden have no segment; a note under the figure says so.
    """
    rows = likert_rows(published, levels)
    if not rows.drawn:
        return None
    texts = list(row_labels)
    lines = max(len(textwrap.wrap(texts[p], wrap)) + 1 for p in rows.drawn)
    fig, ax = new_figure("full", height=_height(len(rows.drawn), lines))
    _draw_rows(ax, rows, texts, min_cell, label_min_pct, wrap, x_range)
    if title:
        ax.set_title(title, pad=24, wrap=True)
    names = [texts[p].split("\n")[0] for p in rows.left_out]
    left_out_note(fig, left_out_text(names, rows.hidden_answers, min_cell))
    fit_labels_when_drawn(fig)
    return fig


def plot_likert_panels(
    published: pd.DataFrame,
    levels: Sequence[str],
    panel_column: str,
    row_column: str,
    panel_titles: Mapping[str, str],
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    title: str | None = None,
    label_min_pct: float = 5.0,
    wrap: int = 45,
    x_range: float | None = X_RANGE,
) -> Figure:
    """Return one panel per value of ``panel_column`` (in table order), a bar per row in it.

    Each panel draws its rows of the published table labelled by ``row_column``, on one
    shared scale; what the table hides is left out as in :func:`plot_likert_table`, and
    one note under the figure says what.
    """
    panels = list(dict.fromkeys(published[panel_column]))
    parts = {p: published[published[panel_column] == p] for p in panels}
    drawn = {p: likert_rows(part, levels) for p, part in parts.items()}
    heights = [0.9 + 0.42 * max(len(drawn[p].drawn), 1) for p in panels]
    use_house_style()
    fig = plt.figure(figsize=(FULL_WIDTH_IN, sum(heights) + 0.8), layout="constrained")
    axes = fig.subplots(len(panels), 1, height_ratios=heights, squeeze=False)[:, 0]
    left: list[str] = []
    hidden = 0
    for ax, panel in zip(axes, panels, strict=True):
        rows, texts = drawn[panel], [str(t) for t in parts[panel][row_column]]
        left += [texts[p] for p in rows.left_out]
        hidden += rows.hidden_answers
        ax.set_title(panel_titles.get(panel, str(panel)), fontsize=10, pad=22, wrap=True)
        if not rows.drawn:
            ax.text(
                0.5,
                0.5,
                f"No group has {min_cell} or more ratings shown.",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_axis_off()
            continue
        _draw_rows(ax, rows, texts, min_cell, label_min_pct, wrap, x_range)
    shown = [ax for ax in axes if ax.axison]
    if shown:
        limit = max(abs(v) for ax in shown for v in ax.get_xlim())
        for ax in shown:
            ax.set_xlim(-limit, limit)
        for ax in shown[:-1]:
            ax.set_xlabel("")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold", wrap=True)
    left_out_note(fig, left_out_text(list(dict.fromkeys(left)), hidden, min_cell))
    fit_labels_when_drawn(fig)
    return fig
