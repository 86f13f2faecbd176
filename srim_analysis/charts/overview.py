"""The chart of notebook 00: how much material the study holds per site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.charts import style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: What each count column of :func:`srim_analysis.analyses.overview.audit_observation_counts`
#: is called in the chart's legend.
VOLUME_LABELS: dict[str, str] = {
    "n_cases": "Audited cases",
    "n_observations": "Observed meetings",
    "n_documents": "Documents",
}


def plot_data_volume(counts: pd.DataFrame, title: str, min_cell: int) -> Figure:
    """Return a bar chart of cases, observations and documents per site (small bars hidden).

    ``counts`` is :func:`~srim_analysis.analyses.overview.audit_observation_counts`; a count
    from 1 to ``min_cell - 1`` is drawn as an empty bar marked with the suppression mark.
    """
    data = counts[counts["site_id"] != "Total"].set_index("site")
    cols = [c for c in VOLUME_LABELS if c in data]
    fig, ax = style.new_figure("full", 3.6)
    width = 0.8 / max(len(cols), 1)
    x = range(len(data))
    for k, col in enumerate(cols):
        hidden = data[col].between(1, min_cell - 1)
        values = data[col].where(~hidden, 0)
        bars = ax.bar(
            [i + k * width for i in x],
            values,
            width=width,
            label=VOLUME_LABELS[col],
            color=style.PALETTE[k],
        )
        for bar, small in zip(bars, hidden, strict=True):
            if small:
                ax.annotate(
                    disclosure.SUPPRESSION_MARK,
                    (bar.get_x() + bar.get_width() / 2, 0),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=style.MUTED,
                )
    ax.set_xticks([i + width * (len(cols) - 1) / 2 for i in x])
    ax.set_xticklabels(data.index, rotation=30, ha="right")
    ax.set_ylabel("Count")
    ax.set_title(title)
    ax.legend(ncols=3, loc="upper right")
    return fig
