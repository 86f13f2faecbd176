"""The typology's charts (notebook 02): the site-by-feature heatmap and the dendrogram.

Both are drawn from published tables: the feature matrix (a hidden cell is left blank and
unlabelled, and the figure says so) and the typology's tree of merges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from scipy.cluster import hierarchy

from srim_analysis.analyses.typology import scaled
from srim_analysis.charts import style
from srim_analysis.charts.style import shown_values

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_feature_heatmap(
    published: pd.DataFrame,
    title: str,
    types: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> Figure:
    """Return an annotated heatmap of the published site-by-feature matrix (raw values shown).

    ``published`` has a ``site`` column and one column per feature; a hidden cell is left
    blank, without a value. ``types`` (site to type, e.g. :func:`leaf_types` of the
    published tree) colours each site's name as the dendrogram colours its type; the
    ``focus`` site's name is bold in the house colour.
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
    ax.set_title(title, wrap=True)
    sites = [str(s) for s in values.index]
    if len(sites) <= 12:
        ax.set_xticks(
            ax.get_xticks(), [style.wrap_label(s, 10) for s in sites], rotation=0, fontsize=7
        )
    else:
        ax.tick_params(axis="x", rotation=90)
    colours = type_colours((types or {}).values())
    for tick, site in zip(ax.get_xticklabels(), sites, strict=True):
        tick.set_color(colours.get((types or {}).get(site, ""), "black"))
    style.mark_focus_ticks(ax.get_xticklabels(), sites, focus)
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


def leaf_types(tree: pd.DataFrame) -> dict[str, str]:
    """Return each site's type, read from a published tree of merges (a merge within one type).

    A site alone in its type joins no merge within a type and is left out.

    >>> tree = pd.DataFrame({"merge": ["merge 1", "merge 2"], "left": ["A", "C"],
    ...     "right": ["B", "merge 1"], "height": [1.0, 3.0], "sites_below": [2, 3],
    ...     "type": ["type 1", ""]})
    >>> leaf_types(tree)
    {'A': 'type 1', 'B': 'type 1'}
    """
    below: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    for r in tree.itertuples():
        sites = [*below.get(r.left, [r.left]), *below.get(r.right, [r.right])]
        below[r.merge] = sites
        if str(r.type):
            types.update(dict.fromkeys(sites, str(r.type)))
    return types


def type_colours(types: Iterable[str]) -> dict[str, str]:
    """Return the colour of each site type (in name order), the same in every chart.

    >>> type_colours(["type 2", "type 1"])
    {'type 1': '#0072B2', 'type 2': '#E69F00'}
    """
    names = sorted({str(t) for t in types if str(t)}, key=lambda t: (len(t), t))
    return {t: style.PALETTE[i % len(style.PALETTE)] for i, t in enumerate(names)}


def plot_dendrogram(
    tree: pd.DataFrame, distance: str, title: str, focus: str | None = None
) -> Figure:
    """Return the dendrogram of the typology from its published tree, types coloured.

    ``tree`` is :meth:`~srim_analysis.analyses.typology.Typology.tree` as published;
    ``distance`` names the distance for the axis. Each type has its colour
    (:func:`type_colours`: the same as in the heatmap's site names), keyed in a legend;
    merges joining types are grey; the ``focus`` site's name is in the house colour.
    """
    link, leaves = linkage_of(tree)
    types = leaf_types(tree)
    colours = type_colours(types.values())
    merge_type = {len(leaves) + k: str(t) for k, t in enumerate(tree["type"])}
    fig, ax = style.new_figure("full", 3.6)
    hierarchy.dendrogram(
        link,
        labels=leaves,
        ax=ax,
        link_color_func=lambda k: colours.get(merge_type.get(k, ""), style.MUTED),
        leaf_rotation=90 if len(leaves) > 12 else 0,
        leaf_font_size=8,
    )
    ticks = ax.get_xticklabels()
    if len(leaves) <= 12:
        for tick in ticks:
            tick.set_text(style.wrap_label(tick.get_text(), 10))
        ax.set_xticks(ax.get_xticks(), [t.get_text() for t in ticks])
        ticks = ax.get_xticklabels()
    names = [t.get_text().replace("\n", " ") for t in ticks]
    for tick, name in zip(ticks, names, strict=True):
        tick.set_color(colours.get(types.get(name, ""), "black"))
    style.mark_focus_ticks(ticks, names, focus)
    ax.set_ylabel(f"{distance.split(' ')[0].capitalize()} distance")
    ax.set_title(title, wrap=True)
    ax.grid(False)
    if colours:
        ax.legend(
            handles=[Line2D([], [], color=c, lw=2, label=t) for t, c in colours.items()],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=len(colours),
            fontsize=8,
            borderaxespad=0.2,
        )
    return fig
