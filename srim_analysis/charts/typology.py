"""The typology's charts (notebook 02): the site-by-feature heatmap and the dendrogram."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import seaborn as sns
from scipy.cluster import hierarchy

from srim_analysis.analyses.typology import Typology, scaled
from srim_analysis.charts import style

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_feature_heatmap(matrix: pd.DataFrame, title: str) -> Figure:
    """Return an annotated heatmap of the site-by-feature matrix (raw values shown)."""
    fig, ax = style.new_figure("full", 0.35 * len(matrix.columns) + 1.6)
    sns.heatmap(
        scaled(matrix).T,
        annot=matrix.T.astype(int),
        fmt="d",
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
    return fig


def plot_dendrogram(typology: Typology, title: str) -> Figure:
    """Return the dendrogram of the typology, sites coloured by type."""
    fig, ax = style.new_figure("full", 3.4)
    n = len(typology.matrix)
    k = typology.clusters.nunique()
    threshold = typology.linkage[n - k - 1, 2] + 1e-9 if 1 < k < n else 0
    hierarchy.set_link_color_palette(list(style.PALETTE))
    hierarchy.dendrogram(
        typology.linkage,
        labels=list(typology.matrix.index),
        ax=ax,
        color_threshold=threshold,
        above_threshold_color=style.MUTED,
        leaf_rotation=30,
    )
    hierarchy.set_link_color_palette(None)
    ax.set_ylabel(f"{typology.distance.split(' ')[0].capitalize()} distance")
    ax.set_title(title)
    ax.grid(False)
    return fig
