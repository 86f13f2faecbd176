"""The house style for figures: colours, sizes and fonts every chart of the report shares.

Charts import this module to draw; saving a figure (formats, stamp, manifest) is the
report layer's job (:mod:`srim_analysis.report.figures`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from adjustText import adjust_text
from cycler import cycler
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from srim_analysis import disclosure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Okabe-Ito palette: distinguishable with the common forms of colour-blindness.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
HIGHLIGHT = "#D55E00"
#: The house colour of the focus site in every per-site figure (its point, bar, row or label).
FOCUS = HIGHLIGHT
MUTED = "#8C8C8C"
#: The colour of the other sites drawn as one background layer behind the focus site.
BACKGROUND = "#B8C7D6"
#: Diverging colours for ordered scales, negative to positive (colour-blind safe, from
#: ColorBrewer's PuOr); the middle one is the neutral category.
DIVERGING_5: tuple[str, ...] = ("#B35806", "#F1A340", "#D9D9D9", "#998EC3", "#542788")
#: Sequential colour map for heatmaps of counts and memberships.
SEQUENTIAL_CMAP = "viridis"

FULL_WIDTH_IN = 7.5
HALF_WIDTH_IN = 3.6

_STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "svg.fonttype": "none",
    "svg.hashsalt": "srim",
}


def use_house_style() -> None:
    """Apply the house style to matplotlib (and seaborn) globally; returns nothing."""

    mpl.rcParams.update(_STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))


def new_figure(
    width: str | float = "full", height: float | None = None, nrows: int = 1, ncols: int = 1
) -> tuple[Figure, Axes]:
    """Return a new (figure, axes) pair in the house style at report size."""

    use_house_style()
    w = {"full": FULL_WIDTH_IN, "half": HALF_WIDTH_IN}.get(width, width)  # type: ignore[arg-type]
    h = height if height is not None else float(w) * 0.6
    fig, ax = plt.subplots(nrows, ncols, figsize=(float(w), h), layout="constrained")
    return fig, ax


def site_title(text: str, site_label: str) -> str:
    """Return a figure title that says what it shows and for which site."""
    return f"{text} — {site_label}"


def wrap_label(text: object, width: int = 24) -> str:
    """Return ``text`` wrapped onto lines of at most ``width`` characters for a chart label."""
    text = str(text)
    return "\n".join(textwrap.wrap(text, width)) or text


#: The ``gid`` of the note a figure carries about what it leaves out (tests find it by this).
LEFT_OUT_GID = "left-out-note"


def left_out_note(fig: Figure, text: str) -> Text | None:
    """Return the note added below ``fig`` saying what it leaves out (None if no text).

    The note sits just under the figure (saving with a tight bounding box keeps it),
    wrapped to the figure's width. A
    chart drawn from a published table leaves out the cells the table hides; the note says
    so in the figure itself, e.g. "2 groups with fewer than 5 people are not shown".

    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure()
    >>> left_out_note(fig, "1 site with fewer than 5 cases is not shown").get_gid()
    'left-out-note'
    >>> plt.close(fig)
    """
    if not text:
        return None
    note = fig.text(
        0.01,
        -0.01,
        text,
        wrap=True,  # wrapped at the figure's edge when drawn, at whatever width it has
        ha="left",
        va="top",
        fontsize="small",
        style="italic",
        color=MUTED,
        gid=LEFT_OUT_GID,
    )
    return note


def shown_values(column: pd.Series) -> np.ndarray:
    """Return a published column as floats: NaN where the cell is hidden or blank.

    >>> shown_values(pd.Series([3, "c", None, "0.25"])).tolist()
    [3.0, nan, nan, 0.25]
    """
    return np.array(
        [
            np.nan if disclosure.is_suppressed(v) else pd.to_numeric(v, errors="coerce")
            for v in column
        ],
        dtype=float,
    )


def focus_look(label: object, focus: str | None) -> dict[str, object]:
    """Return the text properties of a site's label: the focus site bold in the house colour.

    >>> focus_look("B", "B")["color"] == FOCUS, focus_look("A", "B")
    (True, {})
    """
    if focus is not None and str(label) == str(focus):
        return {"color": FOCUS, "fontweight": "bold"}
    return {}


def mark_focus_ticks(labels: Sequence[Text], sites: Sequence[object], focus: str | None) -> None:
    """Set the tick labels of the focus site bold in the house colour; returns nothing."""
    for tick, site in zip(labels, sites, strict=False):
        for key, value in focus_look(site, focus).items():
            tick.set(**{key: value})


# ---------------------------------------------------------------------------
# Labels that cannot collide, and the check that they do not
# ---------------------------------------------------------------------------


class TextBox(NamedTuple):
    """One text a figure draws: its string, its box on the canvas (pixels) and its gid."""

    text: str
    box: Bbox
    gid: str | None


def drawn_texts(fig: Figure) -> list[TextBox]:
    """Return every non-empty text ``fig`` draws on the Agg canvas, with its box in pixels.

    The figure is drawn once (layout included) and each :class:`~matplotlib.text.Text` that
    is actually drawn is recorded: titles, tick labels in view, legend entries, annotations
    (their text, not their arrow), notes. A text hidden or left empty is not drawn.
    """
    drawn: list[TextBox] = []
    original = Text.draw

    def record(self: Text, renderer: object) -> None:
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            box = Text.get_window_extent(self, renderer)
            drawn.append(TextBox(self.get_text(), box, self.get_gid()))

    Text.draw = record  # type: ignore[method-assign]
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original  # type: ignore[method-assign]
    return drawn


def _overlap(a: Bbox, b: Bbox, tolerance: float) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance and (
        min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance
    )


def text_collisions(fig: Figure, tolerance_px: float = 0.5) -> list[tuple[str, str]]:
    """Return the pairs of texts of ``fig`` whose boxes overlap (by more than ``tolerance_px``).

    Every drawn text is checked against every other, tick labels of one axis included.

    >>> fig, ax = new_figure("half")
    >>> _ = ax.text(0.5, 0.5, "one"), ax.text(0.5, 0.5, "two")
    >>> text_collisions(fig)
    [('one', 'two')]
    >>> plt.close(fig)
    """
    boxes = drawn_texts(fig)
    return [
        (a.text, b.text)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if _overlap(a.box, b.box, tolerance_px)
    ]


def text_outside(fig: Figure, tolerance_px: float = 0.5) -> list[str]:
    """Return the texts of ``fig`` that do not lie wholly inside the figure (clipped on a page).

    The note of what a figure leaves out (:func:`left_out_note`) sits just under the
    figure by design (a saved figure's box extends down to hold it): it must only lie
    within the figure's width.

    >>> fig, ax = new_figure("half")
    >>> _ = ax.text(1.5, 0.5, "far right", transform=ax.transAxes)
    >>> text_outside(fig)
    ['far right']
    >>> plt.close(fig)
    """
    frame = fig.bbox
    out = []
    for t in drawn_texts(fig):
        inside_x = t.box.x0 >= frame.x0 - tolerance_px and t.box.x1 <= frame.x1 + tolerance_px
        inside_y = t.box.y0 >= frame.y0 - tolerance_px and t.box.y1 <= frame.y1 + tolerance_px
        if not inside_x or not (inside_y or t.gid == LEFT_OUT_GID):
            out.append(t.text)
    return out


def place_labels(
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    labels: Sequence[str],
    *,
    focus: str | None = None,
    fontsize: float = 8,
    avoid: Sequence[Text] = (),
    points: tuple[Sequence[float], Sequence[float]] | None = None,
) -> list[str]:
    """Label points so that no two labels overlap; return the labels left off (crowded out).

    Labels are moved off their points with adjustText (a thin line joins a moved label to
    its point); any label that would still overlap another, or leave the axes, is then
    dropped, the focus site's label first kept, then in the order given (put the labels
    that matter first). ``avoid`` are texts already on the axes the labels must not cover,
    ``points`` (xs, ys) further points they should keep off (the labelled points are kept
    off anyway). The figure is laid out (drawn without rendering) first, at its final size.
    """
    if not labels:
        return []
    fig = ax.figure
    texts = []
    for x, y, label in zip(xs, ys, labels, strict=True):
        text = ax.text(x, y, str(label), fontsize=fontsize, color="#333333", zorder=5)
        text.set(**focus_look(label, focus))
        text.set_in_layout(False)
        texts.append(text)
    fig.draw_without_rendering()
    arrows = []
    if len(texts) > 1 or avoid or points is not None:
        every_x, every_y = list(xs), list(ys)
        if points is not None:
            every_x += [float(v) for v in points[0]]
            every_y += [float(v) for v in points[1]]
        _moved, arrows = adjust_text(
            texts,
            x=every_x,
            y=every_y,
            ax=ax,
            objects=list(avoid) or None,
            expand=(1.1, 1.25),
            arrowprops={"arrowstyle": "-", "color": MUTED, "lw": 0.5},
            time_lim=1.0,
        )
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    order = sorted(range(len(texts)), key=lambda i: str(labels[i]) != str(focus))
    kept: list[Bbox] = [t.get_window_extent(renderer) for t in avoid]
    dropped = []
    for i in order:
        box = texts[i].get_window_extent(renderer)
        if str(labels[i]) == str(focus):
            box = _pull_inside(texts[i], box, frame)
        inside = (
            box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
        )
        if inside and not any(_overlap(box, k, 0.0) for k in kept):
            kept.append(box)
            continue
        texts[i].set_visible(False)
        dropped.append(str(labels[i]))
    for arrow in arrows:
        if not getattr(arrow, "patchA", None) or not arrow.patchA.get_visible():
            arrow.set_visible(False)
    return [str(label) for label in labels if str(label) in set(dropped)]


def _pull_inside(text: Text, box: Bbox, frame: Bbox) -> Bbox:
    """Move ``text`` (placed in data coordinates) so its box lies inside ``frame``; return it."""
    dx = max(frame.x0 - box.x0, 0.0) + min(frame.x1 - box.x1, 0.0)
    dy = max(frame.y0 - box.y0, 0.0) + min(frame.y1 - box.y1, 0.0)
    if not dx and not dy:
        return box
    to_data = text.get_transform()
    x, y = to_data.transform(text.get_position())
    text.set_position(to_data.inverted().transform((x + dx, y + dy)))
    return box.translated(dx, dy)
