"""The joint display as a figure: how far each site's numbers and talk lie from all sites.

Drawn from the published joint display (:func:`srim_analysis.analyses.joint_displays.
joint_display`): each point is a site and a quantitative measure, placed by the gap of its
number (across) and of what people say (up) from the all-sites value, in percentage
points. The grey bands are the rule's margin: inside a band a side is "close". Points in
the top-right and bottom-left corners agree; top-left and bottom-right differ. Rows that
cannot be compared (a hidden cell, too few, not measured) are not drawn, and the figure
says how many.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from srim_analysis.charts import style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["VERDICT_COLOURS", "joint_chart"]

#: The colour of each verdict's points.
VERDICT_COLOURS: dict[str, str] = {
    "agree": style.PALETTE[2],
    "differ": style.PALETTE[3],
    "neither": style.MUTED,
}


def joint_chart(
    table: pd.DataFrame, margin: float, focus: str | None = None, title: str | None = None
) -> Figure | None:
    """Return the figure of a published joint display (None when no row can be compared)."""
    x = style.shown_values(table["numbers_gap"])
    y = style.shown_values(table["talk_gap"])
    drawn = ~np.isnan(x) & ~np.isnan(y)
    if not drawn.any():
        return None
    fig, ax = style.new_figure("full", 5.0)
    reach = max(float(np.nanmax(np.abs(np.r_[x[drawn], y[drawn]]))), margin) * 1.15
    ax.axvspan(-margin, margin, color="#EEEEEE", zorder=0)
    ax.axhspan(-margin, margin, color="#EEEEEE", zorder=0)
    ax.axvline(0, color=style.MUTED, lw=0.6, zorder=1)
    ax.axhline(0, color=style.MUTED, lw=0.6, zorder=1)
    sites = table["site"].astype(str).to_numpy()
    verdicts = table["verdict"].astype(str).to_numpy()
    for verdict, colour in VERDICT_COLOURS.items():
        rows = drawn & (verdicts == verdict)
        if rows.any():
            ax.scatter(x[rows], y[rows], s=28, color=colour, label=verdict, zorder=3)
    if focus is not None:
        own = drawn & (sites == str(focus))
        ax.scatter(
            x[own],
            y[own],
            s=70,
            facecolors="none",
            edgecolors=style.FOCUS,
            linewidths=1.4,
            label=str(focus),
            zorder=4,
        )
    corners = {
        (0.98, 0.98, "right", "top"): "both higher: agree",
        (0.02, 0.02, "left", "bottom"): "both lower: agree",
        (0.02, 0.98, "left", "top"): "differ",
        (0.98, 0.02, "right", "bottom"): "differ",
    }
    for (cx, cy, ha, va), text in corners.items():
        ax.text(cx, cy, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color=style.MUTED)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_xlabel("The numbers: site minus all sites (percentage points)")
    ax.set_ylabel(style.wrap_label("What people say: site minus all sites (points)", 30))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(title or "The numbers and what people say", loc="left")
    left = int((~drawn).sum())
    if left:
        style.left_out_note(
            fig,
            f"{left} of {len(table)} rows are not drawn: a value is hidden (c), rests on too "
            "few, or is not measured.",
        )
    return fig
