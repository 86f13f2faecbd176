"""Diverging stacked bar charts of Likert answers, in the house style.

Each bar shows one item (or one group's answers to an item) as percentages of the
people who gave a rating: disagreement to the left of zero, agreement to the right and
the neutral answer split across zero. Every level of the scale is drawn (a level nobody
chose is a zero-width bar and still in the legend), the order of the bars is the order
you give, percentages are written inside segments wide enough to hold them, and the
n behind each bar is in its label. Rows answered by fewer than ``min_cell`` people are
not drawn at all; a footnote says which were left out.

Don't know, not applicable and blank answers are not in the percentages; their count
is shown next to n as "DK/NA" (see :func:`srim_analysis.analyses.survey.response_counts`).
The counts drawn come from :func:`srim_analysis.analyses.survey.level_counts`.
"""

from __future__ import annotations

import math
import textwrap
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.colors import to_hex, to_rgb
from matplotlib.ticker import FuncFormatter, MultipleLocator

from srim_analysis.analyses import survey
from srim_analysis.charts.style import (
    DIVERGING_5,
    FULL_WIDTH_IN,
    MUTED,
    new_figure,
    use_house_style,
)
from srim_analysis.disclosure import DEFAULT_MIN_CELL

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure

__all__ = [
    "diverging_colours",
    "draw_diverging",
    "fit_labels_when_drawn",
    "fit_percentage_labels",
    "plot_likert_by_construct",
    "plot_likert_by_group",
    "plot_likert_items",
]

#: Label of the x axis (what the percentages are of).
X_LABEL = "% of those who gave a rating (don't know, not applicable and blank answers left out)"
FOOTNOTE_GID = "likert-footnote"
PCT_GID = "likert-pct"
#: Percentage labels and the bar segment each one sits in, per axes (for fitting).
_LABELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
BAR_HEIGHT = 0.72

ItemLabels = Literal["wording", "id", "both"] | Mapping[str, str]


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
) -> list[BarContainer]:
    """Draw diverging bars of ``counts`` (rows x levels) on ``ax``; return a container per level.

    The rows are drawn top to bottom in the order given. Each row is converted to
    percentages of its total; the middle level of an odd scale straddles zero (half on
    each side); an even scale splits between its two middle levels. A percentage is
    written inside each segment at least ``label_min_pct`` wide.
    """
    levels = [str(c) for c in counts.columns]
    k = len(levels)
    values = counts.to_numpy(dtype=float)
    totals = values.sum(axis=1, keepdims=True)
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
            if width >= label_min_pct:
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
    limit = max(10.0, math.ceil(extent / 10) * 10)
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


def _row_label(text: str, n: int, n_dk_na: int, wrap: int) -> str:
    suffix = f"(n={n}" + (f"; {n_dk_na} DK/NA)" if n_dk_na else ")")
    return "\n".join([*textwrap.wrap(text, wrap), suffix])


def _item_text(info: survey.ItemInfo, item_labels: ItemLabels) -> str:
    if isinstance(item_labels, Mapping):
        return item_labels.get(info.item_id, info.wording)
    if item_labels == "id":
        return info.item_id
    if item_labels == "both":
        return f"{info.item_id}: {info.wording}"
    return info.wording


def _suppressed_note(names: Sequence[str], min_cell: int) -> str:
    return f"Not shown (fewer than {min_cell} answers): " + ", ".join(names) + "."


def _footnote(fig: Figure, ax: Axes, text: str) -> None:
    """Write ``text`` under the bottom axes (kept inside the figure by constrained layout)."""
    ax.annotate(
        text,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -36),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=8,
        color=MUTED,
        style="italic",
        annotation_clip=False,
        gid=FOOTNOTE_GID,
        wrap=True,
    )


def _height(n_rows: int, lines_per_row: int) -> float:
    return 1.5 + n_rows * max(0.38, 0.15 * lines_per_row + 0.08)


def _ordered(ids: Sequence[str], order: Sequence[str] | None, what: str) -> list[str]:
    if order is None:
        return list(ids)
    order = [str(o) for o in order]
    unknown = [o for o in order if o not in ids]
    if unknown:
        raise ValueError(f"Unknown {what} in the order given: {', '.join(unknown)}.")
    return order


def _plot_rows(
    ax: Axes,
    counts: pd.DataFrame,
    texts: Sequence[str],
    names: Sequence[str],
    min_cell: int,
    label_min_pct: float,
    wrap: int,
) -> list[str]:
    """Draw the rows with n >= min_cell; return the names of the rows left out."""
    keep = (counts["n"] >= min_cell).to_numpy()
    suppressed = [name for name, k in zip(names, keep, strict=True) if not k]
    shown = counts[keep]
    labels = [
        _row_label(t, int(n), int(d), wrap)
        for t, n, d, k in zip(texts, counts["n"], counts["n_dk_na"], keep, strict=True)
        if k
    ]
    levels = shown.drop(columns=["n", "n_dk_na"])
    draw_diverging(ax, levels, labels, label_min_pct=label_min_pct)
    ax.set_xlabel(X_LABEL, fontsize=8)
    return suppressed


def plot_likert_items(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_order: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    item_labels: ItemLabels = "wording",
    title: str | None = None,
    label_min_pct: float = 5.0,
    wrap: int = 45,
) -> Figure:
    """Return a diverging stacked bar chart with one bar per item, in ``item_order``.

    ``item_order`` lists the item ids to show, top to bottom (default: every item, in
    ``survey_items`` order; they must share one scale). Items rated by fewer than
    ``min_cell`` people are not drawn and are named in a footnote.
    """
    info = survey.item_info(items)
    ids = _ordered(list(info), item_order, "item id(s)")
    counts = survey.level_counts(responses, items, ids)
    texts = [_item_text(info[i], item_labels) for i in ids]
    lines = max(len(textwrap.wrap(t, wrap)) + 1 for t in texts)
    if ax is None:
        fig, ax = new_figure("full", height=_height(len(ids), lines))
    else:
        fig = ax.figure  # type: ignore[assignment]
    suppressed = _plot_rows(ax, counts, texts, ids, min_cell, label_min_pct, wrap)
    if title:
        ax.set_title(title, pad=24)
    if suppressed:
        _footnote(fig, ax, _suppressed_note(suppressed, min_cell))
    fit_labels_when_drawn(fig)  # type: ignore[arg-type]
    return fig  # type: ignore[return-value]


def plot_likert_by_construct(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    constructs: Sequence[str] | None = None,
    *,
    item_order: Sequence[str] | None = None,
    construct_labels: Mapping[str, str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    item_labels: ItemLabels = "wording",
    title: str | None = None,
    label_min_pct: float = 5.0,
    wrap: int = 45,
) -> Figure:
    """Return one panel per construct (in ``constructs`` order), one bar per item.

    Items appear in ``item_order`` within their construct (default: ``survey_items``
    order). Each panel has its own legend, so constructs on different scales (e.g.
    true / false consent items) can sit in one figure. Suppressed items are named in a
    single footnote.
    """
    info = survey.item_info(items)
    groups = survey.construct_items(items)
    chosen = _ordered(list(groups), constructs, "construct(s)")
    rank = {i: n for n, i in enumerate(_ordered(list(info), item_order, "item id(s)"))}
    panels = {c: sorted(groups[c], key=lambda i: rank.get(i, len(rank))) for c in chosen}
    lines = max(
        len(textwrap.wrap(_item_text(info[i], item_labels), wrap)) + 1
        for ids in panels.values()
        for i in ids
    )
    row_h = max(0.38, 0.15 * lines + 0.08)
    heights = [len(ids) * row_h + 0.9 for ids in panels.values()]
    use_house_style()
    fig = plt.figure(figsize=(FULL_WIDTH_IN, sum(heights) + 0.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, height_ratios=heights, squeeze=False)[:, 0]
    suppressed: list[str] = []
    for ax, (construct, ids) in zip(axes, panels.items(), strict=True):
        counts = survey.level_counts(responses, items, ids)
        texts = [_item_text(info[i], item_labels) for i in ids]
        suppressed += _plot_rows(ax, counts, texts, ids, min_cell, label_min_pct, wrap)
        name = (construct_labels or {}).get(construct, construct.replace("_", " ").capitalize())
        ax.set_title(name, pad=22, fontsize=10)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    limit = max(abs(v) for ax in axes for v in ax.get_xlim())
    for ax in axes:
        ax.set_xlim(-limit, limit)
    if suppressed:
        _footnote(fig, axes[-1], _suppressed_note(suppressed, min_cell))
    fit_labels_when_drawn(fig)
    return fig


def plot_likert_by_group(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_id: str,
    by: str = "agency",
    *,
    group_order: Sequence[str] | None = None,
    group_labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    title: str | None = None,
    label_min_pct: float = 5.0,
    wrap: int = 45,
) -> Figure:
    """Return one bar per group (agency, role, site, ...) for one item, small groups suppressed.

    Groups whose rating count is below ``min_cell`` are removed *before* plotting (not
    drawn, not in the axis) and named in a footnote. ``group_order`` fixes the order
    (default: sorted codes); ``group_labels`` maps codes to names (agency and role codes
    get their plain-English names by default). No "all respondents" bar is drawn: with
    one group suppressed it would let the hidden group be worked out by subtraction.
    """
    info = survey.item_info(items)
    if item_id not in info:
        raise ValueError(f"Not in survey_items: {item_id}.")
    counts = survey.level_counts(responses, items, [item_id], by=by).loc[item_id]
    counts.index = counts.index.astype(str)
    groups = _ordered(list(counts.index), group_order, "group(s)")
    counts = counts.loc[groups]

    def label(g: str) -> str:
        return (group_labels or {}).get(g) or survey.level_label(by, g)

    texts = [label(g) for g in groups]
    lines = max(len(textwrap.wrap(t, wrap)) + 1 for t in texts)
    if ax is None:
        fig, ax = new_figure("full", height=_height(len(groups), lines))
    else:
        fig = ax.figure  # type: ignore[assignment]
    suppressed = _plot_rows(ax, counts, texts, texts, min_cell, label_min_pct, wrap)
    wording = textwrap.shorten(info[item_id].wording, 90, placeholder="...")
    ax.set_title(title or f"{item_id}: {wording}", pad=24, fontsize=10)
    if suppressed:
        _footnote(fig, ax, _suppressed_note(suppressed, min_cell))
    fit_labels_when_drawn(fig)  # type: ignore[arg-type]
    return fig  # type: ignore[return-value]
