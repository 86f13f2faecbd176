"""The typology's charts (notebook 02): the site-by-feature heatmap and the dendrogram.

Both are drawn from published tables: the feature matrix (a hidden cell is left blank and
unlabelled, and the figure says so) and the typology's tree of merges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from scipy.cluster import hierarchy

from srim_analysis.analyses.typology import scaled
from srim_analysis.charts import style
from srim_analysis.charts.style import shown_values

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_feature_heatmap(published: pd.DataFrame, title: str) -> Figure:
    """Return an annotated heatmap of the published site-by-feature matrix (raw values shown).

    ``published`` has a ``site`` column and one column per feature; a hidden cell is left
    blank, without a value.
    """
    table = published.set_index("site")
    values = pd.DataFrame(
        {c: shown_values(table[c]) for c in table.columns}, index=table.index
    ).rename_axis(None)
    hidden = values.isna()
    labels = values.T.map(lambda v: "" if np.isnan(v) else f"{v:g}")
    fig, ax = style.new_figure("full", 0.35 * len(values.columns) + 1.6)
    sns.heatmap(
        scaled(values).T,
        annot=labels,
        fmt="",
        mask=hidden.T,
        cmap="Blues",
        vmin=0,
        vmax=1,
        cbar_kws={"label": "Share of the feature's maximum"},
        linewidths=0.5,
        linecolor="white",
        ax=ax,
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=30)
    for label in ax.get_xticklabels():
        label.set_ha("right")
    n = int(hidden.to_numpy().sum())
    if n:
        style.left_out_note(
            fig, f"{n} value{'s' if n > 1 else ''} hidden in the published table left blank."
        )
    return fig


def linkage_of(tree: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Return the linkage matrix and leaf labels of a published tree of merges.

    ``tree`` is :meth:`~srim_analysis.analyses.typology.Typology.tree` as published.
    """
    merges = list(tree["merge"])
    leaves = [
        name for name in dict.fromkeys([*tree["left"], *tree["right"]]) if name not in set(merges)
    ]
    index = {name: i for i, name in enumerate(leaves)}
    index.update({m: len(leaves) + k for k, m in enumerate(merges)})
    link = np.array(
        [
            [index[r.left], index[r.right], float(r.height), float(r.sites_below)]
            for r in tree.itertuples()
        ],
        dtype=float,
    )
    return link, leaves


def plot_dendrogram(tree: pd.DataFrame, distance: str, title: str) -> Figure:
    """Return the dendrogram of the typology from its published tree, types coloured.

    ``tree`` is :meth:`~srim_analysis.analyses.typology.Typology.tree` as published;
    ``distance`` names the distance for the axis.
    """
    link, leaves = linkage_of(tree)
    within = pd.to_numeric(tree.loc[tree["type"].astype(str) != "", "height"])
    n_types = int((tree["type"].astype(str) == "").sum()) + 1
    threshold = float(within.max()) + 1e-9 if 1 < n_types < len(leaves) else 0
    fig, ax = style.new_figure("full", 3.4)
    hierarchy.set_link_color_palette(list(style.PALETTE))
    hierarchy.dendrogram(
        link,
        labels=leaves,
        ax=ax,
        color_threshold=threshold,
        above_threshold_color=style.MUTED,
        leaf_rotation=30,
    )
    hierarchy.set_link_color_palette(None)
    ax.set_ylabel(f"{distance.split(' ')[0].capitalize()} distance")
    ax.set_title(title)
    ax.grid(False)
    return fig
