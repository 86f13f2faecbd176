"""Charts of Objective 3 beyond the Likert bars: forest plot, items by group, barriers.

* :func:`forest_plot` - a model's estimates with their intervals;
* :func:`plot_statements` - a construct's statements as diverging bars, small DK/NA
  counts written as "<5";
* :func:`plot_item_by_group` and :func:`plot_construct_by_group` - one item (or each
  item of a construct) by group, only the groups :func:`srim_analysis.analyses.
  survey_tables.chart_groups` allows, the hidden ones named under the chart;
* :func:`barrier_chart` - the share of participants raising each barrier and
  facilitator.

The diverging bars themselves are drawn by :mod:`srim_analysis.charts.likert`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

from srim_analysis import disclosure
from srim_analysis.analyses import survey
from srim_analysis.charts import likert
from srim_analysis.charts.style import FULL_WIDTH_IN, MUTED, PALETTE, new_figure, use_house_style
from srim_analysis.disclosure import DEFAULT_MIN_CELL

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from srim_analysis.analyses.survey_models import ModelResult
    from srim_analysis.analyses.survey_tables import ChartGroups

__all__ = [
    "barrier_chart",
    "forest_plot",
    "hidden_note",
    "hide_small_dk_counts",
    "plot_construct_by_group",
    "plot_item_by_group",
    "plot_statements",
]


def forest_plot(result: ModelResult, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Return a forest plot of the estimates with intervals (odds ratios: log axis, line at 1)."""
    est = result.estimates
    if ax is None:
        fig, ax = new_figure("full", height=1.2 + 0.32 * len(est))
    else:
        fig = ax.figure  # type: ignore[assignment]
    ratio = result.effect_measure == "odds ratio"
    y = np.arange(len(est))[::-1]
    ax.hlines(y, est["ci_low"], est["ci_high"], color=PALETTE[0], linewidth=1.6)
    ax.plot(est["estimate"], y, "o", color=PALETTE[0], markersize=5, zorder=3)
    ax.axvline(1.0 if ratio else 0.0, color=MUTED, linestyle="--", linewidth=1)
    ax.set_yticks(y, list(est["label"]))
    ax.grid(axis="y", visible=False)
    pct = round(result.conf_level * 100)
    if ratio:
        ax.set_xscale("log")
        lo = min(float(est["ci_low"].min()), 0.9)
        hi = max(float(est["ci_high"].max()), 1.1)
        nice = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
        ax.set_xlim(lo / 1.15, hi * 1.15)
        ax.xaxis.set_major_locator(FixedLocator([v for v in nice if lo / 1.15 <= v <= hi * 1.15]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"Odds ratio ({pct}% CI), log scale: above 1 = higher {result.outcome}")
    else:
        ax.set_xlabel(f"Difference in mean {result.outcome} score ({pct}% CI)")
    ax.set_title(
        title
        or f"Factors associated with {result.outcome} (n = {result.n_used} of {result.n_total})"
    )
    return fig  # type: ignore[return-value]


def hide_small_dk_counts(fig: Figure, min_cell: int) -> Figure:
    """Rewrite "(n=..; 3 DK/NA)" in bar labels as "<5 DK/NA" for counts 1 to min_cell - 1."""

    def fix(match: re.Match[str]) -> str:
        k = int(match.group(1))
        return f"; <{min_cell} DK/NA)" if 0 < k < min_cell else match.group(0)

    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        if any("DK/NA" in t for t in labels):
            ax.set_yticks(ax.get_yticks(), [re.sub(r"; (\d+) DK/NA\)", fix, t) for t in labels])
    return fig


def hidden_note(names: Sequence[str], min_cell: int) -> str:
    """Return the footnote naming the groups a chart does not draw, wrapped at 100 characters."""
    text = (
        f"Not shown (fewer than {min_cell} ratings, or hidden so that a smaller group cannot be "
        "worked out): " + ", ".join(names) + "."
    )
    return textwrap.fill(text, 100)


def plot_statements(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_ids: Sequence[str],
    item_labels: Mapping[str, str],
    title: str,
    min_cell: int = DEFAULT_MIN_CELL,
) -> Figure:
    """Return one diverging bar per statement, DK/NA counts below ``min_cell`` as "<min_cell"."""
    fig = likert.plot_likert_items(
        responses,
        items,
        item_ids,
        min_cell=min_cell,
        item_labels=item_labels,
        title=title,
        wrap=60,
    )
    return hide_small_dk_counts(fig, min_cell)


def plot_item_by_group(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_id: str,
    by: str,
    groups: ChartGroups,
    title: str,
    min_cell: int = DEFAULT_MIN_CELL,
    ax: Axes | None = None,
) -> Figure | None:
    """Return one item as diverging bars by group (``groups.shown`` only); None when none is.

    On a figure of its own, the hidden groups are named under the chart.
    """
    if not groups.shown:
        return None
    fig = likert.plot_likert_by_group(
        responses,
        items,
        item_id,
        by=by,
        group_order=groups.shown,
        group_labels=groups.labels,
        ax=ax,
        min_cell=min_cell,
        title=title,
    )
    hide_small_dk_counts(fig, min_cell)
    if groups.hidden and ax is None:
        fig.supxlabel(
            hidden_note(groups.hidden, min_cell), x=0.01, ha="left", fontsize=8, style="italic"
        )
    return fig


def plot_construct_by_group(
    data: pd.DataFrame,
    items: pd.DataFrame,
    item_ids: Sequence[str],
    by: str,
    groups: Mapping[str, ChartGroups],
    title: str,
    min_cell: int = DEFAULT_MIN_CELL,
) -> Figure:
    """Return one panel per statement (``item_ids``), one diverging bar per drawn group.

    ``groups`` gives, per item, the groups that may be drawn (see
    :func:`srim_analysis.analyses.survey_tables.chart_groups`); the hidden ones are named
    under the figure.
    """
    ids = list(item_ids)
    n_groups = data[by].nunique()
    use_house_style()
    heights = [0.9 + 0.42 * max(n_groups, 1) for _ in ids]
    fig = plt.figure(figsize=(FULL_WIDTH_IN, sum(heights) + 0.8), layout="constrained")
    axes = fig.subplots(len(ids), 1, height_ratios=heights, squeeze=False)[:, 0]
    info = survey.item_info(items)
    hidden_by_item = {}
    for ax, item in zip(axes, ids, strict=True):
        wording = textwrap.shorten(info[item].wording, 80, placeholder="...")
        item_title = f"{item}: {wording}"
        drawn = plot_item_by_group(data, items, item, by, groups[item], item_title, min_cell, ax)
        if groups[item].hidden:
            hidden_by_item[item] = groups[item].hidden
        if drawn is None:
            ax.set_title(f"{item}: {wording}", fontsize=10)
            ax.text(
                0.5,
                0.5,
                f"No group has {min_cell} or more ratings.",
                ha="center",
                va="center",
                color=MUTED,
                transform=ax.transAxes,
            )
            ax.set_axis_off()
    drawn_axes = [ax for ax in axes if ax.axison]
    if drawn_axes:
        limit = max(abs(v) for ax in drawn_axes for v in ax.get_xlim())
        for ax in drawn_axes:
            ax.set_xlim(-limit, limit)
        for ax in drawn_axes[:-1]:
            ax.set_xlabel("")
    if hidden_by_item:
        names = sorted({n for names in hidden_by_item.values() for n in names})
        fig.supxlabel(hidden_note(names, min_cell), x=0.01, ha="left", fontsize=8, style="italic")
    fig.suptitle(
        title,
        x=0.01,
        ha="left",
        fontweight="bold",
    )
    return fig


def barrier_chart(totals: pd.DataFrame, title: str, min_cell: int = DEFAULT_MIN_CELL) -> Figure:
    """Return bars of the % of participants raising each barrier and facilitator (all groups).

    ``totals`` are the published ``All`` rows, ranked
    (:func:`srim_analysis.analyses.survey_barriers.ranked_totals`); suppressed counts are
    drawn as empty bars marked "c (fewer than min_cell)".
    """
    use_house_style()
    panels = [b for b in ("Barrier", "Facilitator") if (totals["branch"] == b).any()]
    sizes = [int((totals["branch"] == b).sum()) for b in panels]
    fig = plt.figure(
        figsize=(FULL_WIDTH_IN, 1.4 + 0.32 * sum(sizes) + 0.5 * len(panels)), layout="constrained"
    )
    axes = fig.subplots(len(panels), 1, height_ratios=sizes, squeeze=False)[:, 0]
    shares = pd.to_numeric(totals["pct_participants"], errors="coerce")
    limit = max(100.0, float(shares.max(skipna=True) or 0) + 20)
    for ax, branch, colour in zip(axes, panels, (PALETTE[5], PALETTE[2]), strict=False):
        part = totals[totals["branch"] == branch]
        y = np.arange(len(part))
        hidden = part["n_participants"].map(disclosure.is_suppressed).astype(bool)
        pct = pd.to_numeric(part["pct_participants"].where(~hidden), errors="coerce").fillna(0)
        ax.barh(y, pct, color=colour, height=0.7)
        for yi, p, n, h in zip(y, pct, part["n_participants"], hidden, strict=True):
            text = f"c (fewer than {min_cell})" if h else f"{p:.0f}% (n={n})"
            ax.text(p + 1, yi, text, va="center", fontsize=8, color=MUTED if h else "black")
        ax.set_yticks(y, [textwrap.fill(str(c), 40) for c in part["code"]])
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(0, limit)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{branch}s", loc="left", fontsize=10)
    axes[-1].set_xlabel("% of participants (interviews and focus groups) who raised it")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return fig
