"""Charts of Objective 3 beyond the Likert bars: forest plot, answers by group, barriers.

Every chart here draws a table the report published (hidden cells are the suppression
mark) and nothing else: a hidden cell is not drawn or labelled, and the figure says what it
leaves out (:func:`srim_analysis.charts.style.left_out_note`).

* :func:`forest_plot` - a model's published estimates with their intervals;
* :func:`plot_statements` - a construct's statements as diverging bars;
* :func:`plot_item_by_group` and :func:`plot_construct_by_group` - one item (or each
  item of a construct) by group, from a published count table by group;
* :func:`plot_predicted_answers` - the predicted share of each answer per profile;
* :func:`barrier_chart` - the share of participants raising each barrier and
  facilitator.

The diverging bars themselves are drawn by :mod:`srim_analysis.charts.likert`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

from srim_analysis import disclosure
from srim_analysis.analyses.survey_barriers import ranked_totals
from srim_analysis.analyses.survey_tables import TOTAL
from srim_analysis.charts import likert
from srim_analysis.charts.style import (
    FULL_WIDTH_IN,
    MUTED,
    PALETTE,
    left_out_note,
    new_figure,
    use_house_style,
)
from srim_analysis.disclosure import DEFAULT_MIN_CELL

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "barrier_chart",
    "forest_plot",
    "plot_construct_by_group",
    "plot_item_by_group",
    "plot_predicted_answers",
    "plot_statements",
]

_NICE = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]


def _shown(value: object) -> bool:
    return not disclosure.is_suppressed(value) and not pd.isna(value)  # type: ignore[arg-type]


def forest_plot(
    published: pd.DataFrame, title: str, outcome: str, conf_level: float = 0.95
) -> Figure | None:
    """Return a forest plot of a published model table (odds ratios: log axis, line at 1).

    ``published`` holds ``label``, ``odds_ratio`` or ``difference``, ``ci_low`` and
    ``ci_high`` (:func:`srim_analysis.analyses.survey_model_tables.model_table`, made
    safe). A term with a hidden estimate or interval end is not drawn, and the note under
    the figure names it; None when no term can be drawn.
    """
    ratio = "odds_ratio" in published.columns
    measure = "odds_ratio" if ratio else "difference"
    cells = published[[measure, "ci_low", "ci_high"]]
    ok = cells.apply(lambda row: all(_shown(v) for v in row), axis=1).to_numpy(dtype=bool)
    est = published[ok]
    if est.empty:
        return None
    values = est[[measure, "ci_low", "ci_high"]].astype(float)
    fig, ax = new_figure("full", height=1.2 + 0.32 * len(est))
    y = np.arange(len(est))[::-1]
    ax.hlines(y, values["ci_low"], values["ci_high"], color=PALETTE[0], linewidth=1.6)
    ax.plot(values[measure], y, "o", color=PALETTE[0], markersize=5, zorder=3)
    ax.axvline(1.0 if ratio else 0.0, color=MUTED, linestyle="--", linewidth=1)
    ax.set_yticks(y, list(est["label"]))
    ax.grid(axis="y", visible=False)
    pct = round(conf_level * 100)
    if ratio:
        ax.set_xscale("log")
        lo = min(float(values["ci_low"].min()), 0.9)
        hi = max(float(values["ci_high"].max()), 1.1)
        ax.set_xlim(lo / 1.15, hi * 1.15)
        ax.xaxis.set_major_locator(FixedLocator([v for v in _NICE if lo / 1.15 <= v <= hi * 1.15]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"Odds ratio ({pct}% CI), log scale: above 1 = higher {outcome}", wrap=True)
    else:
        ax.set_xlabel(f"Difference in mean {outcome} score ({pct}% CI)", wrap=True)
    ax.set_title(title, wrap=True)
    left = list(published.loc[~ok, "label"])
    if left:
        left_out_note(fig, "Not shown (estimate hidden in the table): " + "; ".join(left) + ".")
    return fig


def plot_statements(
    published: pd.DataFrame, levels: Sequence[str], title: str, min_cell: int = DEFAULT_MIN_CELL
) -> Figure | None:
    """Return one diverging bar per statement of a published count table (None if none shown)."""
    return likert.plot_likert_table(
        published,
        levels,
        [str(s) for s in published["statement"]],
        min_cell=min_cell,
        title=title,
        wrap=60,
    )


def plot_item_by_group(
    published: pd.DataFrame,
    levels: Sequence[str],
    by: str,
    title: str,
    min_cell: int = DEFAULT_MIN_CELL,
) -> Figure | None:
    """Return one item as diverging bars by group from a published count table by group.

    The ``All`` row is not drawn; groups whose n the table hides are left out (named in
    the note). None when no group can be drawn.
    """
    groups = published[published[by] != TOTAL]
    return likert.plot_likert_table(
        groups, levels, [str(g) for g in groups[by]], min_cell=min_cell, title=title
    )


def plot_construct_by_group(
    published: pd.DataFrame,
    levels: Sequence[str],
    by: str,
    title: str,
    min_cell: int = DEFAULT_MIN_CELL,
) -> Figure:
    """Return one panel per statement of a published count table by group, a bar per group."""
    groups = published[published[by] != TOTAL]
    titles = {
        str(i): textwrap.shorten(f"{i}: {s}", 90, placeholder="...")
        for i, s in zip(groups["item"], groups["statement"], strict=True)
    }
    return likert.plot_likert_panels(
        groups, levels, "item", by, titles, min_cell=min_cell, title=title
    )


def plot_predicted_answers(published: pd.DataFrame, title: str) -> Figure | None:
    """Return diverging bars of a model's predicted % of each answer, one bar per profile.

    ``published`` is :func:`srim_analysis.analyses.survey_model_tables.predicted_answers`
    made safe: a ``profile`` column, then one column per answer (percentages that add up
    to 100). A profile with a hidden share is not drawn.
    """
    levels = [c for c in published.columns if c != "profile"]
    ok = published[levels].apply(lambda row: all(_shown(v) for v in row), axis=1)
    rows = published[ok.to_numpy(dtype=bool)]
    if rows.empty:
        return None
    fig, ax = new_figure("full", height=1.6 + 0.5 * len(rows))
    likert.draw_diverging(ax, rows[levels].astype(float), list(rows["profile"]))
    ax.set_xlabel("Predicted % of respondents giving each answer", fontsize=8)
    ax.set_title(title, pad=24, wrap=True)
    left = list(published.loc[~ok.to_numpy(dtype=bool), "profile"])
    if left:
        left_out_note(fig, "Not shown (a share hidden in the table): " + "; ".join(left) + ".")
    likert.fit_labels_when_drawn(fig)
    return fig


def barrier_chart(
    published: pd.DataFrame, by: str, title: str, min_cell: int = DEFAULT_MIN_CELL
) -> Figure:
    """Return bars of the % of participants raising each barrier and facilitator (all groups).

    Drawn from the published barrier table's ``All`` rows, ranked
    (:func:`srim_analysis.analyses.survey_barriers.ranked_totals`): a code whose count is
    hidden has no bar and no label (its name stays on the axis), and the note under the
    figure says how many.
    """
    totals = ranked_totals(published, by)
    use_house_style()
    panels = [b for b in ("Barrier", "Facilitator") if (totals["branch"] == b).any()]
    sizes = [int((totals["branch"] == b).sum()) for b in panels]
    fig = plt.figure(
        figsize=(FULL_WIDTH_IN, 1.4 + 0.32 * sum(sizes) + 0.5 * len(panels)), layout="constrained"
    )
    axes = fig.subplots(len(panels), 1, height_ratios=sizes, squeeze=False)[:, 0]
    hidden = totals["n_participants"].map(disclosure.is_suppressed).astype(bool)
    shares = pd.to_numeric(totals["pct_participants"].where(~hidden), errors="coerce")
    limit = max(100.0, float(shares.max(skipna=True) or 0) + 20)
    for ax, branch, colour in zip(axes, panels, (PALETTE[5], PALETTE[2]), strict=False):
        part = totals[totals["branch"] == branch]
        y = np.arange(len(part))
        shown = ~part["n_participants"].map(disclosure.is_suppressed).astype(bool).to_numpy()
        pct = pd.to_numeric(part["pct_participants"], errors="coerce").to_numpy()
        ax.barh(y[shown], pct[shown], color=colour, height=0.7)
        for yi, p, n in zip(y[shown], pct[shown], part["n_participants"][shown], strict=True):
            ax.text(p + 1, yi, f"{p:.0f}% (n={n})", va="center", fontsize=8)
        ax.set_yticks(y, [textwrap.fill(str(c), 40) for c in part["code"]])
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(0, limit)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{branch}s", loc="left", fontsize=10, wrap=True)
    axes[-1].set_xlabel("% of participants (interviews and focus groups) who raised it")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", wrap=True)
    if hidden.any():
        left_out_note(
            fig,
            f"{int(hidden.sum())} code(s) raised by fewer than {min_cell} participants, or "
            "hidden so that a smaller count cannot be worked out (c in the table), have no bar.",
        )
    return fig
