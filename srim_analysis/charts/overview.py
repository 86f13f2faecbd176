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


#: Up to this many sites, their names are written side by side, wrapped.
_WRAPPED_NAMES = 10
#: Up to this many sites, their names are written upright (beyond, only the focus site's).
_UPRIGHT_NAMES = 40


def plot_data_volume(published: pd.DataFrame, title: str, focus: str | None = None) -> Figure:
    """Return a bar chart of cases, observations and documents per site (hidden counts left out).

    ``published`` is the published
    :func:`~srim_analysis.analyses.overview.audit_observation_counts` table: a count it
    hides is not drawn (no bar, no label), and a note under the figure names what is left
    out. The total row is not drawn. The ``focus`` site's name is in the house colour and
    its bars outlined. Site names are wrapped, not slanted, so that they cannot overlap.
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
        edges = [style.FOCUS if s == focus else "none" for s in data.index[shown]]
        ax.bar(
            x[shown] + k * width,
            values[shown],
            width=width,
            label=VOLUME_LABELS[col],
            color=style.PALETTE[k],
            edgecolor=edges,
            linewidth=1.6,
        )
        hidden = [
            str(s)
            for s, v in zip(data.index, data[col], strict=True)
            if disclosure.is_suppressed(v)
        ]
        if hidden:
            left_out.append(f"{VOLUME_LABELS[col].lower()} at {', '.join(hidden)}")
    middle = x + width * (len(cols) - 1) / 2
    names = [str(s) for s in data.index]
    if len(names) <= _WRAPPED_NAMES:
        ax.set_xticks(middle, [style.wrap_label(s, 12) for s in names], fontsize=8)
    elif len(names) <= _UPRIGHT_NAMES:  # too many sites for names side by side: upright
        ax.set_xticks(middle, names, rotation=90, fontsize=6)
    else:  # too many for any name to be read: only the focus site's, the table has the rest
        names = [s for s in names if s == focus]
        ax.set_xticks(middle[[s == focus for s in data.index]], names)
        ax.set_xlabel(f"{len(data)} sites, in the table's order (their names are in the table)")
    style.mark_focus_ticks(ax.get_xticklabels(), names, focus)
    ax.set_ylabel("Count")
    ax.set_title(title, wrap=True)
    if cols:
        fig.legend(loc="outside lower center", ncols=len(cols))
    if left_out:
        style.left_out_note(
            fig, "Not shown, as the table hides them (c): " + "; ".join(left_out) + "."
        )
    return fig
