"""The house style for figures: colours, sizes and fonts every chart of the report shares.

Charts import this module to draw; saving a figure (formats, stamp, manifest) is the
report layer's job (:mod:`srim_analysis.report.figures`).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler

from srim_analysis import disclosure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

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
MUTED = "#8C8C8C"
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

    The note sits just under the figure (saving with a tight bounding box keeps it). A
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
        wrap_label(text, 110),
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
