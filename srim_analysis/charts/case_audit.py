"""Charts of the case-file audit: the practice cascade, run charts and auditor agreement.

Each function draws from a table the report published (a hidden cell is the suppression
mark) and returns a matplotlib figure; publishing it is the report layer's job
(``report.chart``). A value whose cell the table hides is not drawn (no point, interval or
label), and a note under the figure says how many are left out
(:func:`srim_analysis.charts.style.left_out_note`).

* :func:`cascade_chart` - each step of the pathway (the plan's indicators, in order) as
  the percentage of cases with its 95% Wilson interval, one marker per case type;
* :func:`run_chart` - per indicator, the quarterly percentage (points joined by a line),
  the baseline median (dashed) and the points of a shift (six or more on one side of the
  median) highlighted;
* :func:`agreement_chart` - Cohen's kappa per indicator with its 95% interval, and the
  line below which agreement is poor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from srim_analysis.analyses.case_audit import CASE_TYPE, POOR_KAPPA
from srim_analysis.analyses.comparison import INDICATOR_LABELS, TOTAL
from srim_analysis.charts import style
from srim_analysis.disclosure import is_suppressed

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["agreement_chart", "cascade_chart", "run_chart"]


def _labels(indicators: Sequence[str]) -> list[str]:
    """Return the wrapped display labels of indicators."""
    return [style.wrap_label(INDICATOR_LABELS.get(i, i), 28) for i in indicators]


def _left_out(fig: Figure, count: int, what: str) -> None:
    """Add the note saying how many values the figure leaves out because the table hides them."""
    if count:
        plural = "" if count == 1 else "s"
        style.left_out_note(fig, f"Not shown, as the table hides them (c): {count} {what}{plural}.")


def _hidden(column: pd.Series) -> int:
    """Return how many cells of a published column are the suppression mark."""
    return sum(bool(is_suppressed(v)) for v in column)


def cascade_chart(
    table: pd.DataFrame,
    indicators: Sequence[str],
    site: str = TOTAL,
    title: str | None = None,
) -> Figure:
    """Return the cascade of one site (or "All"): % of cases per step, one marker per case type.

    ``table`` is the published cascade table. The all-case-types value is black and
    larger; a case type whose percentage or interval is hidden is not drawn at that step.
    """
    indicators = list(indicators)
    rows = table[table["site"] == site]
    kinds = list(dict.fromkeys(rows[CASE_TYPE].astype(str)))
    kinds = [k for k in kinds if k != TOTAL] + ([TOTAL] if TOTAL in kinds else [])
    fig, ax = style.new_figure("full", height=max(2.6, 0.55 * len(indicators) + 1.4))
    ys = np.arange(len(indicators), dtype=float)
    width = 0.6 / max(len(kinds), 1)
    left_out = 0
    for k, kind in enumerate(kinds):
        part = rows[rows[CASE_TYPE] == kind].set_index("indicator").reindex(indicators)
        pct, low, high = (style.shown_values(part[c]) for c in ("pct_yes", "pct_low", "pct_high"))
        shown = ~np.isnan(pct) & ~np.isnan(low) & ~np.isnan(high)
        left_out += _hidden(part["pct_yes"].dropna())
        y = ys + (k - (len(kinds) - 1) / 2) * width
        everyone = kind == TOTAL
        colour = "black" if everyone else style.PALETTE[k % (len(style.PALETTE) - 1)]
        label = "All case types" if everyone else kind
        ax.hlines(y[shown], low[shown], high[shown], color=colour, lw=1.2)
        ax.plot(
            pct[shown],
            y[shown],
            "D" if everyone else "o",
            color=colour,
            ms=6 if everyone else 4.5,
            label=label,
        )
    ax.set_yticks(ys, _labels(indicators))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of cases where it was recorded (95% Wilson interval)")
    if len(kinds) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.set_title(title or "The practice cascade")
    _left_out(fig, left_out, "value")
    return fig


def run_chart(
    table: pd.DataFrame,
    indicators: Sequence[str],
    site: str = TOTAL,
    title: str | None = None,
) -> Figure:
    """Return run charts of one site (or "All"): one panel per indicator, quarters along x.

    ``table`` is the published quarterly table with ``median`` and ``shift`` (see
    :func:`srim_analysis.analyses.case_audit.run_chart_signals`). Points whose percentage
    is hidden are not drawn (the line breaks there); the median is dashed; points in a
    shift are drawn in the highlight colour. For one site, the all-site series is drawn
    behind it as a pale line (no points), as a reference.
    """
    indicators = list(indicators)
    rows = table[(table["site"] == site) & (table["quarter"] != TOTAL)]
    quarters = sorted(set(table["quarter"].astype(str)) - {TOTAL})  # "2030 Q1" sorts by date
    ncols = min(2, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    fig, axes = style.new_figure("full", height=2.2 * nrows + 0.6, nrows=nrows, ncols=ncols)
    axes = np.atleast_1d(axes).ravel()
    xs = np.arange(len(quarters), dtype=float)
    left_out = 0
    everyone = table[(table["site"] == TOTAL) & (table["quarter"] != TOTAL)]
    for ax, ind in zip(axes, indicators, strict=False):
        part = rows[rows["indicator"] == ind].set_index("quarter").reindex(quarters)
        pct = style.shown_values(part["pct_yes"])
        if site != TOTAL and len(everyone):  # the all-site series as a reference, behind
            ref = everyone[everyone["indicator"] == ind].set_index("quarter").reindex(quarters)
            ax.plot(
                xs,
                style.shown_values(ref["pct_yes"]),
                "-",
                color=style.BACKGROUND,
                lw=2,
                label="all sites",
                zorder=1,
            )
        left_out += _hidden(part["pct_yes"].dropna())
        shift = part["shift"].map(lambda v: str(v) == "True").to_numpy() & ~np.isnan(pct)
        ax.plot(xs, pct, "-", color=style.MUTED, lw=1)
        ax.plot(xs[~shift], pct[~shift], "o", color=style.PALETTE[0], ms=4)
        if shift.any():
            ax.plot(xs[shift], pct[shift], "o", color=style.HIGHLIGHT, ms=5.5, label="shift")
        medians = style.shown_values(part["median"])
        if not np.isnan(medians).all():
            ax.axhline(float(np.nanmax(medians)), color="black", ls="--", lw=0.9)
        ax.set_ylim(0, 100)
        ax.set_xticks(xs, [q.replace(" ", "\n") for q in quarters], fontsize=7)
        ax.set_title(style.wrap_label(INDICATOR_LABELS.get(ind, ind), 40), fontsize=9)
        ax.set_ylabel("% of cases")
    for ax in axes[len(indicators) :]:
        ax.set_visible(False)
    fig.suptitle(
        (title or "Run charts by quarter")
        + "\npoints: % per quarter; dashed: baseline median; orange: a shift (6+ points on "
        "one side)" + ("" if site == TOTAL else "; pale line: all sites"),
        x=0.01,
        ha="left",
        fontsize=10,
    )
    _left_out(fig, left_out, "quarter value")
    return fig


def agreement_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Return Cohen's kappa per indicator with its 95% interval and the poor-agreement line.

    ``table`` is the published agreement table; an indicator whose kappa is hidden or
    undefined is not drawn.
    """
    indicators = list(table["indicator"])
    fig, ax = style.new_figure("full", height=max(2.4, 0.45 * len(indicators) + 1.2))
    ys = np.arange(len(indicators), dtype=float)
    kappa, low, high = (style.shown_values(table[c]) for c in ("kappa", "kappa_low", "kappa_high"))
    shown = ~np.isnan(kappa)
    poor = shown & (kappa < POOR_KAPPA)
    for picked, colour in ((shown & ~poor, style.PALETTE[0]), (poor, style.HIGHLIGHT)):
        ax.hlines(ys[picked], low[picked], high[picked], color=colour, lw=1.4)
        ax.plot(kappa[picked], ys[picked], "o", color=colour, ms=5)
    ax.axvline(POOR_KAPPA, color="black", ls="--", lw=0.9)
    ax.set_yticks(ys, _labels(indicators))
    ax.invert_yaxis()
    ax.set_xlim(min(-0.1, float(np.nanmin(low, initial=0.0)) - 0.05), 1.05)
    ax.set_xlabel(
        f"Cohen's kappa (95% interval); dashed: {POOR_KAPPA:.2f}, below it agreement is poor"
    )
    ax.set_title(title or "Agreement between the two auditors")
    _left_out(fig, _hidden(table["kappa"]), "indicator")
    return fig
