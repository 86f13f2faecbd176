"""The QCA charts of objective 1 (notebook 02): the outcome's calibration and XY plots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis.analyses.configurations import Anchors, XYFit, calibration_curve
from srim_analysis.charts import style

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_calibration(table: pd.DataFrame, anchors: Anchors, title: str) -> Figure:
    """Return the calibration curve with each site placed on it.

    ``table`` is :func:`~srim_analysis.analyses.configurations.calibration_table` (``site``,
    ``prop``, ``membership``).
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
    ax.scatter(table["prop"], table["membership"], color=style.PALETTE[0], zorder=3)
    for _, row in table.iterrows():
        ax.annotate(
            row["site"],
            (row["prop"], row["membership"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set_xlabel("Proportion of cases with the outcome")
    ax.set_ylabel("Membership in the outcome set")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(title)
    return fig


def plot_xy(xy: XYFit, title: str) -> Figure:
    """Return an XY plot of membership in an expression against the outcome, with its fit.

    ``xy`` is :func:`~srim_analysis.analyses.configurations.xy_membership`.
    """
    x, y = xy.points["x"], xy.points["y"]
    fig, ax = style.new_figure("half", 3.4)
    ax.plot([0, 1], [0, 1], color=style.MUTED, lw=0.8)
    ax.axhline(0.5, color=style.MUTED, lw=0.5, ls=":")
    ax.axvline(0.5, color=style.MUTED, lw=0.5, ls=":")
    ax.scatter(x, y, color=style.PALETTE[0], zorder=3)
    for site in xy.points.index:
        ax.annotate(site, (x[site], y[site]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(f"Membership in {xy.expression}")
    ax.set_ylabel(f"Membership in {xy.outcome}")
    ax.set_title(title)
    ax.text(
        0.02,
        0.97,
        f"consistency {xy.consistency:.2f}\ncoverage {xy.coverage:.2f}",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
    )
    return fig
