"""Charts of the cross-site comparison: sites with their intervals, funnel plots, before/after.

Each function draws from a table of :mod:`srim_analysis.analyses.comparison` (or its
funnel positions, :mod:`srim_analysis.analyses.funnel`) and returns a matplotlib figure;
publishing it is the report layer's job.

* :func:`interval_chart` - one dot and 95% Wilson interval per site and indicator, sites
  in alphabetical order (not by rank), the all-site value as a reference line;
* :func:`funnel_plot` - one indicator's sites against their denominators, with 95% and
  99.8% exact binomial limits around the all-site value;
* :func:`before_after_chart` - each indicator before (hollow) and after (filled) adoption;
* :func:`finish_panel` - labels one panel of these small multiples, the focus site bold.

Every chart hides a site whose numbers the tables suppress (worked out on the whole
published table by :func:`srim_analysis.analyses.comparison.kept`), and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srim_analysis.analyses.comparison import (
    CHANGE_DEPENDS,
    INDICATOR_LABELS,
    PROPORTION_DEPENDS,
    TOTAL,
    kept,
    wilson_interval,
)
from srim_analysis.analyses.funnel import (
    LEVELS,
    POSITIONS,
    funnel_limits,
    limit_positions,
    pooled_proportion,
)
from srim_analysis.charts import style
from srim_analysis.disclosure import DEFAULT_MIN_CELL

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SOURCE_AXIS",
    "before_after_chart",
    "finish_panel",
    "funnel_plot",
    "interval_chart",
]

#: The x-axis of a funnel plot, per source table.
SOURCE_AXIS: dict[str, str] = {
    "case_audit": "Audited cases with this recorded (denominator)",
    "observations": "Observed meetings with this recorded (denominator)",
    "documents": "Documents analysed (denominator)",
}


def finish_panel(
    ax: Any,
    labels: Sequence[str],
    sites: Sequence[str],
    focus: str | None,
    inner: bool,
    indicator: str,
    xlabel: str,
) -> None:
    """Label one panel of a small-multiple proportion chart, the focus site in bold colour."""

    ax.set_yticks(range(len(labels)), labels)
    for tick, site in zip(ax.get_yticklabels(), sites, strict=True):
        if site == focus:
            tick.set_color(style.HIGHLIGHT)
            tick.set_fontweight("bold")
    if inner:
        ax.tick_params(labelleft=False)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    ax.set_title(
        style.wrap_label(INDICATOR_LABELS.get(indicator, indicator)), fontsize=9, loc="left"
    )
    ax.set_xlabel(xlabel)


def _rows(table: pd.DataFrame, indicator: str, source: str) -> pd.DataFrame:
    """Return one indicator's site rows (not "All") from one source; an error if none."""
    rows = table[(table["indicator"] == indicator) & (table["source"] == source)]
    rows = rows[rows["site"] != TOTAL]
    if rows.empty:
        raise ValueError(f"No {source} rows for indicator {indicator!r} in this table.")
    return rows


def _kept(table: pd.DataFrame, min_cell: int) -> pd.Series:
    """Return True for rows of the whole table whose proportion is published."""
    return kept(table, min_cell, "prop_yes", PROPORTION_DEPENDS) & (table["n"] > 0)


def interval_chart(
    table: pd.DataFrame,
    indicators: Sequence[str],
    source: str = "case_audit",
    focus: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    title: str | None = None,
) -> Figure:
    """Return dot-and-interval panels (one per indicator): sites by name, all-site value line."""
    indicators = list(indicators)
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    sites = table[(table["site"] != TOTAL) & (table["source"] == source)]
    order = sorted(dict.fromkeys(sites["site"].astype(str)), key=str.casefold)
    keep_all = _kept(table, min_cell)
    fig, axes = style.new_figure(
        "full", height=max(2.4, 0.27 * len(order) + 1.1) * nrows, nrows=nrows, ncols=ncols
    )
    axes = np.atleast_1d(axes).ravel()
    for k, (ax, ind) in enumerate(zip(axes, indicators, strict=False)):
        rows = _rows(table, ind, source)
        rows = rows.assign(_keep=keep_all.loc[rows.index]).set_index("site").reindex(order)
        p0 = pooled_proportion(rows.dropna(subset=["n"]))
        ax.axvline(p0, color="black", lw=0.9, ls="--")
        shown = rows["_keep"].fillna(False).astype(bool).to_numpy()
        ys = np.arange(len(order), dtype=float)
        for y in ys[~shown]:
            ax.text(0.02, y, "c", color=style.MUTED, va="center", fontsize=8)
        focused = np.asarray([sid == focus for sid in order])
        # one artist per kind (intervals, dots) for the other sites and one for the focus
        for picked, colour, ms in (
            (shown & ~focused, style.PALETTE[0], 4.5),
            (shown & focused, style.HIGHLIGHT, 6),
        ):
            if not picked.any():
                continue
            part = rows[picked]
            ax.hlines(
                ys[picked],
                part["ci_low"].to_numpy(dtype=float),
                part["ci_high"].to_numpy(dtype=float),
                color=colour,
                lw=1.4,
                capstyle="projecting",
                zorder=2,
            )
            ax.plot(part["prop_yes"].to_numpy(dtype=float), ys[picked], "o", color=colour, ms=ms)
        finish_panel(ax, order, order, focus, k % ncols != 0, ind, "Proportion")
    for ax in axes[len(indicators) :]:
        ax.set_visible(False)
    fig.suptitle(
        (title or "Each site against the all-site value")
        + "\ndots: proportion; lines: 95% Wilson interval; dashed: all-site value; "
        "c: too few to show",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return fig


def funnel_plot(
    table: pd.DataFrame,
    indicator: str,
    source: str = "case_audit",
    focus: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Return a funnel plot of one indicator: sites against their denominators, with limits.

    95% (dashed) and 99.8% (dotted) exact binomial limits around the all-site value; the
    ``focus`` site is highlighted; sites whose numbers are suppressed are not drawn.
    """
    rows = _rows(table, indicator, source)
    keep = _kept(table, min_cell).loc[rows.index]
    p0 = pooled_proportion(rows)
    if ax is None:
        fig, ax = style.new_figure("full", height=4.2)
    else:
        fig = ax.figure
    n_max = max(float(rows["n"].max()), 10.0) * 1.12
    # binomial limits need whole-number denominators
    grid = np.unique(np.round(np.concatenate([np.arange(1, 30), np.linspace(1, n_max, 400)])))
    for level, dash in zip(LEVELS, ("--", ":"), strict=True):
        low, high = funnel_limits(p0, grid, level)
        label = f"{level * 100:g}% limits"
        ax.plot(grid, low, dash, color=style.MUTED, lw=1.1, label=label)
        ax.plot(grid, high, dash, color=style.MUTED, lw=1.1)
    ax.axhline(p0, color="black", lw=0.9, label=f"All-site value ({p0:.2f})")
    shown = rows[keep.to_numpy()]
    many = len(shown) > 20
    is_focus = (shown["site"] == focus).to_numpy()
    # one artist for all the other sites' points, one for the focus (drawn above them)
    for picked, look in (
        (~is_focus, {"ms": 5.5, "color": style.PALETTE[0], "mec": "white", "zorder": 3}),
        (is_focus, {"ms": 8, "color": style.HIGHLIGHT, "mec": "black", "zorder": 4}),
    ):
        if picked.any():
            part = shown[picked]
            ax.plot(part["n"], part["prop_yes"], "o", **look)
    positions = limit_positions(shown["prop_yes"], shown["n"], p0)
    for r, position in zip(shown.itertuples(), positions, strict=True):
        is_focus = r.site == focus
        colour = style.HIGHLIGHT if is_focus else style.PALETTE[0]
        if many and not is_focus and position == POSITIONS[2]:
            continue
        ax.annotate(
            str(r.site),
            (r.n, r.prop_yes),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=8 if not is_focus else 9,
            fontweight="bold" if is_focus else "normal",
            color=colour if is_focus else "#333333",
        )
    hidden = rows[~keep.to_numpy()]
    if len(hidden):
        names = ", ".join(str(s) for s in hidden["site"])
        ax.text(
            0.01,
            0.01,
            f"Not shown (numbers too small to publish): {names}",
            transform=ax.transAxes,
            fontsize=7.5,
            color=style.MUTED,
        )
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, 1)
    ax.set_xlabel(SOURCE_AXIS.get(source, "Denominator"))
    ax.set_ylabel("Proportion")
    ax.set_title(title or INDICATOR_LABELS.get(indicator, indicator))
    ax.legend(loc="upper right", fontsize=8)
    return fig


def before_after_chart(
    change: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    focus: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    title: str | None = None,
) -> Figure:
    """Return a figure: before (hollow) and after (filled) proportions with 95% Wilson intervals.

    One panel per indicator, one row per site (adopters, pooled adopters, the origin for
    reference, pooled comparison sites). Points whose counts the tables suppress are not
    drawn (the row label says "c").
    """

    indicators = list(indicators or dict.fromkeys(change["indicator"]))
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    keys = list(dict.fromkeys(zip(change["site"], change["role"], strict=True)))
    fig, axes = style.new_figure(
        "full", height=max(2.6, 0.34 * len(keys) + 1.3) * nrows, nrows=nrows, ncols=ncols
    )
    axes = np.atleast_1d(axes).ravel()
    show_before = kept(change, min_cell, "prop_before", CHANGE_DEPENDS) & (change["n_before"] > 0)
    show_after = kept(change, min_cell, "prop_after", CHANGE_DEPENDS) & (change["n_after"] > 0)
    for k, (ax, ind) in enumerate(zip(axes, indicators, strict=False)):
        labels = []
        for y, (site, role) in enumerate(keys):
            sel = (change["site"] == site) & (change["role"] == role) & (change["indicator"] == ind)
            name = _row_name(site, role)
            if not sel.any():
                labels.append(name)
                continue
            i = change.index[sel][0]
            row = change.loc[i]
            colour = style.HIGHLIGHT if site == focus else style.PALETTE[0]
            if site == TOTAL:
                colour = style.PALETTE[7]
            shown = []
            for flag, x, n, filled, dy in (
                (show_before[i], row["n_yes_before"], row["n_before"], False, 0.13),
                (show_after[i], row["n_yes_after"], row["n_after"], True, -0.13),
            ):
                shown.append(bool(flag))
                if not flag:
                    continue
                low, high = wilson_interval(x, n)
                ax.plot([low, high], [y + dy, y + dy], color=colour, lw=1.2)
                face = colour if filled else "white"
                ax.plot(x / n, y + dy, "o", ms=5, color=colour, markerfacecolor=face)
            if all(shown):
                ax.annotate(
                    "",
                    xy=(row["prop_after"], y - 0.13),
                    xytext=(row["prop_before"], y + 0.13),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.8, "alpha": 0.7},
                )
            labels.append(name)
            if not all(shown):
                ax.text(0.02, y, "c", color=style.MUTED, va="center", fontsize=8)
        finish_panel(
            ax,
            labels,
            [site for site, _role in keys],
            focus,
            k % ncols != 0,
            ind,
            "Proportion of cases",
        )
    for ax in axes[len(indicators) :]:
        ax.set_visible(False)
    fig.suptitle(
        (title or "Before and after adoption")
        + "\nhollow = before, filled = after; lines: 95% Wilson intervals; c: too few to show",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return fig


def _row_name(site: str, role: str) -> str:
    if site == TOTAL:
        return {"adopter": "All adopters", "comparison": "All comparison sites"}.get(role, "All")
    return f"{site} (origin)" if role == "origin" else site
