"""The QCA charts of objective 1 (notebook 02): the outcome's calibration and XY plots.

Both are drawn from published tables: a site whose outcome count the table hides (its
proportion and membership hidden with it) has no point and no label, and the figure says
how many sites it leaves out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from srim_analysis.analyses.configurations import Anchors, calibration_curve
from srim_analysis.charts import style
from srim_analysis.charts.style import shown_values

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text


def _sites_left_out(n: int) -> str:
    """Return the note for ``n`` sites not drawn ('' for none)."""
    if not n:
        return ""
    return (
        f"{n} site{'s' if n > 1 else ''} not shown: {'its' if n == 1 else 'their'} outcome "
        "count is hidden in the published table."
    )


def _points(
    ax: Axes,
    sites: pd.Series,
    x: np.ndarray,
    y: np.ndarray,
    avoid: Sequence[Text] = (),
    focus: str | None = None,
) -> tuple[int, list[str]]:
    """Draw and label the sites whose x and y are both shown, labels apart.

    Returns how many sites are left out (hidden) and the labels left off where they would
    overlap (:func:`srim_analysis.charts.style.place_labels`).
    """
    shown = ~(np.isnan(x) | np.isnan(y))
    mine = (sites.astype(str) == str(focus)).to_numpy()
    ax.scatter(x[shown & ~mine], y[shown & ~mine], color=style.PALETTE[0], zorder=3)
    if (shown & mine).any():
        ax.scatter(x[shown & mine], y[shown & mine], color=style.FOCUS, ec="black", zorder=4)
    crowded = style.place_labels(
        ax,
        list(x[shown]),
        list(y[shown]),
        [str(s) for s in sites[shown]],
        fontsize=7,
        avoid=avoid,
        focus=focus,
    )
    return int((~shown).sum()), crowded


def _note(left_out: int, crowded: list[str]) -> str:
    """Return the note under a QCA chart: sites not drawn, labels left off."""
    parts = [_sites_left_out(left_out)]
    if crowded:
        parts.append(f"Not labelled, as labels would overlap: {', '.join(crowded)}.")
    return " ".join(p for p in parts if p)


def plot_calibration(
    published: pd.DataFrame, anchors: Anchors, title: str, focus: str | None = None
) -> Figure:
    """Return the calibration curve with each site whose proportion is published placed on it.

    ``published`` is the published calibration table (``site``, ``prop``, ``membership``;
    :func:`~srim_analysis.analyses.configurations.calibration_table` made safe). Site
    labels never overlap (one that would is left off, and the note names it); the
    ``focus`` site is drawn and labelled in the house colour.
    """
    fig, ax = style.new_figure("half", 3.2)
    curve = calibration_curve(anchors)
    ax.plot(
        curve["prop"].to_numpy(),
        curve["membership"].to_numpy(),
        color=style.MUTED,
        lw=1.2,
        label="Calibration",
    )
    for a in (anchors.exclusion, anchors.crossover, anchors.inclusion):
        ax.axvline(a, color=style.MUTED, lw=0.6, ls=":")
    ax.set_xlabel("Proportion of cases with the outcome")
    ax.set_ylabel("Membership in the outcome set")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(title, wrap=True)
    left_out, crowded = _points(
        ax,
        published["site"],
        shown_values(published["prop"]),
        shown_values(published["membership"]),
        focus=focus,
    )
    style.left_out_note(fig, _note(left_out, crowded))
    return fig


def plot_xy(
    published: pd.DataFrame, expression: str, outcome: str, title: str, focus: str | None = None
) -> Figure:
    """Return an XY plot of membership in an expression against the outcome, with its fit.

    ``published`` is the published
    :func:`~srim_analysis.analyses.configurations.xy_table` (``site``, ``x``, ``y``,
    ``consistency``, ``coverage``). Labels and the ``focus`` site as in
    :func:`plot_calibration`.
    """
    fig, ax = style.new_figure("half", 3.4)
    ax.plot([0, 1], [0, 1], color=style.MUTED, lw=0.8)
    ax.axhline(0.5, color=style.MUTED, lw=0.5, ls=":")
    ax.axvline(0.5, color=style.MUTED, lw=0.5, ls=":")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(f"Membership in {expression}")
    ax.set_ylabel(f"Membership in {outcome}")
    ax.set_title(title, wrap=True)
    consistency = shown_values(published["consistency"])[:1]
    coverage = shown_values(published["coverage"])[:1]
    if len(consistency) and not np.isnan(consistency[0]) and not np.isnan(coverage[0]):
        ax.text(
            0.02,
            0.97,
            f"consistency {consistency[0]:.2f}\ncoverage {coverage[0]:.2f}",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
        )
    fit = [t for t in ax.texts if t.get_text().startswith("consistency")]
    left_out, crowded = _points(
        ax,
        published["site"],
        shown_values(published["x"]),
        shown_values(published["y"]),
        fit,
        focus,
    )
    style.left_out_note(fig, _note(left_out, crowded))
    return fig
