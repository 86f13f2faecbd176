"""The chart of notebook 00: how much material the study holds per site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.charts import style
from srim_analysis.charts.style import shown_values

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: What each count column of :func:`srim_analysis.analyses.overview.audit_observation_counts`
#: is called in the chart's legend.
VOLUME_LABELS: dict[str, str] = {
    "n_cases": "Audited cases",
    "n_observations": "Observed meetings",
    "n_documents": "Documents",
}


def plot_data_volume(published: pd.DataFrame, title: str) -> Figure:
    """Return a bar chart of cases, observations and documents per site (hidden counts left out).

    ``published`` is the published
    :func:`~srim_analysis.analyses.overview.audit_observation_counts` table: a count it
    hides is not drawn (no bar, no label), and a note under the figure names what is left
    out. The total row is not drawn.
    """
    data = published[published["site_id"] != "Total"].set_index("site")
    cols = [c for c in VOLUME_LABELS if c in data]
    fig, ax = style.new_figure("full", 3.6)
    width = 0.8 / max(len(cols), 1)
    x = np.arange(len(data), dtype=float)
    left_out = []
    for k, col in enumerate(cols):
        values = shown_values(data[col])
        shown = ~np.isnan(values)
        ax.bar(
            x[shown] + k * width,
            values[shown],
            width=width,
            label=VOLUME_LABELS[col],
            color=style.PALETTE[k],
        )
        hidden = [
            str(s)
            for s, v in zip(data.index, data[col], strict=True)
            if disclosure.is_suppressed(v)
        ]
        if hidden:
            left_out.append(f"{VOLUME_LABELS[col].lower()} at {', '.join(hidden)}")
    ax.set_xticks(x + width * (len(cols) - 1) / 2)
    ax.set_xticklabels(data.index, rotation=30, ha="right")
    ax.set_ylabel("Count")
    ax.set_title(title)
    if cols:
        ax.legend(ncols=3, loc="upper right")
    if left_out:
        style.left_out_note(
            fig, "Not shown, as the table hides them (c): " + "; ".join(left_out) + "."
        )
    return fig
