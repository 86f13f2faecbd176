"""Charts of the cross-site comparison: sites with their intervals, funnel plots, before/after.

Each function draws from a table the report published (small counts suppressed: a hidden
cell is the suppression mark, :func:`srim_analysis.disclosure.is_suppressed`) and returns
a matplotlib figure; publishing it is the report layer's job (``report.chart``).

* :func:`interval_chart` - one dot and 95% Wilson interval per site and indicator, sites
  in alphabetical order (not by rank), the all-site value as a reference line;
* :func:`funnel_plot` - one indicator's sites against their denominators, with 95% and
  99.8% exact binomial limits around the all-site value;
* :func:`before_after_chart` - each indicator before (hollow) and after (filled) adoption;
* :func:`finish_panel` - labels one panel of these small multiples, the focus site bold.

A value whose cell the table hides is not drawn (no point, interval or label), nor is an
interval or proportion worked out from a hidden count; each chart says in a note under the
figure what it leaves out (:func:`srim_analysis.charts.style.left_out_note`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses.comparison import INDICATOR_LABELS, TOTAL, wilson_interval
from srim_analysis.analyses.funnel import LEVELS, POSITIONS, funnel_limits, limit_positions
from srim_analysis.charts import style

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


def _hidden(column: pd.Series) -> np.ndarray:
    """Return True where a published cell is the suppression mark."""
    return np.array([disclosure.is_suppressed(v) for v in column], dtype=bool)


def _rows(table: pd.DataFrame, indicator: str, source: str) -> pd.DataFrame:
    """Return one indicator's site rows (not "All") from one source; an error if none."""
    rows = table[(table["indicator"] == indicator) & (table["source"] == source)]
    rows = rows[rows["site"] != TOTAL]
    if rows.empty:
        raise ValueError(f"No {source} rows for indicator {indicator!r} in this table.")
    return rows


def _all_site_value(table: pd.DataFrame, indicator: str, source: str) -> float:
    """Return the published all-site proportion of one indicator (NaN when hidden)."""
    rows = table[
        (table["indicator"] == indicator) & (table["source"] == source) & (table["site"] == TOTAL)
    ]
    return float(style.shown_values(rows["prop_yes"])[0]) if len(rows) else float("nan")


def _shown_proportions(rows: pd.DataFrame) -> np.ndarray:
    """Return True for rows whose count, proportion and interval are all published."""
    values = [style.shown_values(rows[c]) for c in ("n", "prop_yes", "ci_low", "ci_high")]
    return np.all([~np.isnan(v) for v in values], axis=0) & (values[0] > 0)


def _finish(fig: Figure, unused: Sequence[Axes], title: str, left_out: int, what: str) -> Figure:
    """Return a small-multiple figure with its unused panels hidden, its title and its note."""
    for ax in unused:
        ax.set_visible(False)
    fig.suptitle(title, x=0.01, ha="left", fontsize=10)
    if left_out:
        style.left_out_note(
            fig,
            f"Not shown, as the table hides them (c): {left_out} {what}"
            f"{'' if left_out == 1 else 's'}.",
        )
    return fig


def interval_chart(
    table: pd.DataFrame,
    indicators: Sequence[str],
    source: str = "case_audit",
    focus: str | None = None,
    title: str | None = None,
) -> Figure:
    """Return dot-and-interval panels (one per indicator): sites by name, all-site value line.

    ``table`` is the published site-indicators table: a site whose proportion or interval
    is hidden is not drawn, and a note under the figure says how many values are left out.
    """
    indicators = list(indicators)
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    sites = table[(table["site"] != TOTAL) & (table["source"] == source)]
    order = sorted(dict.fromkeys(sites["site"].astype(str)), key=str.casefold)
    fig, axes = style.new_figure(
        "full", height=max(2.4, 0.27 * len(order) + 1.1) * nrows, nrows=nrows, ncols=ncols
    )
    axes = np.atleast_1d(axes).ravel()
    left_out = 0
    for k, (ax, ind) in enumerate(zip(axes, indicators, strict=False)):
        rows = _rows(table, ind, source).set_index("site").reindex(order)
        p0 = _all_site_value(table, ind, source)
        if not np.isnan(p0):
            ax.axvline(p0, color="black", lw=0.9, ls="--")
        shown = _shown_proportions(rows)
        left_out += int(_hidden(rows["prop_yes"]).sum())
        ys = np.arange(len(order), dtype=float)
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
                style.shown_values(part["ci_low"]),
                style.shown_values(part["ci_high"]),
                color=colour,
                lw=1.4,
                capstyle="projecting",
                zorder=2,
            )
            ax.plot(style.shown_values(part["prop_yes"]), ys[picked], "o", color=colour, ms=ms)
        finish_panel(ax, order, order, focus, k % ncols != 0, ind, "Proportion")
    return _finish(
        fig,
        axes[len(indicators) :],
        (title or "Each site against the all-site value")
        + "\ndots: proportion; lines: 95% Wilson interval; dashed: all-site value",
        left_out,
        "site value",
    )


def funnel_plot(
    table: pd.DataFrame,
    indicator: str,
    source: str = "case_audit",
    focus: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Return a funnel plot of one indicator: sites against their denominators, with limits.

    ``table`` is a published site-indicators or funnel-positions table. 95% (dashed) and
    99.8% (dotted) exact binomial limits around the published all-site value; the
    ``focus`` site is highlighted; a site whose numbers are hidden is not drawn, and a note
    under the figure names it.
    """
    rows = _rows(table, indicator, source)
    n = style.shown_values(rows["n"])
    prop = style.shown_values(rows["prop_yes"])
    keep = ~np.isnan(n) & ~np.isnan(prop) & (np.nan_to_num(n) > 0)
    p0 = _all_site_value(table, indicator, source)
    if ax is None:
        fig, ax = style.new_figure("full", height=4.2)
    else:
        fig = ax.figure
    n_max = max(float(np.nanmax(n, initial=0.0)), 10.0) * 1.12
    if not np.isnan(p0):
        # binomial limits need whole-number denominators
        grid = np.unique(np.round(np.concatenate([np.arange(1, 30), np.linspace(1, n_max, 400)])))
        for level, dash in zip(LEVELS, ("--", ":"), strict=True):
            low, high = funnel_limits(p0, grid, level)
            label = f"{level * 100:g}% limits"
            ax.plot(grid, low, dash, color=style.MUTED, lw=1.1, label=label)
            ax.plot(grid, high, dash, color=style.MUTED, lw=1.1)
        ax.axhline(p0, color="black", lw=0.9, label=f"All-site value ({p0:.2f})")
    shown = rows[keep].assign(plot_n=n[keep], plot_p=prop[keep])
    many = len(shown) > 20
    is_focus = (shown["site"] == focus).to_numpy()
    # one artist for all the other sites' points, one for the focus (drawn above them)
    for picked, look in (
        (~is_focus, {"ms": 5.5, "color": style.PALETTE[0], "mec": "white", "zorder": 3}),
        (is_focus, {"ms": 8, "color": style.HIGHLIGHT, "mec": "black", "zorder": 4}),
    ):
        if picked.any():
            part = shown[picked]
            ax.plot(part["plot_n"], part["plot_p"], "o", **look)
    positions = (
        limit_positions(shown["plot_p"], shown["plot_n"], p0)
        if not np.isnan(p0)
        else [POSITIONS[2]] * len(shown)
    )
    for r, position in zip(shown.itertuples(), positions, strict=True):
        me = r.site == focus
        if many and not me and position == POSITIONS[2]:
            continue
        ax.annotate(
            str(r.site),
            (r.plot_n, r.plot_p),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=9 if me else 8,
            fontweight="bold" if me else "normal",
            color=style.HIGHLIGHT if me else "#333333",
        )
    notes = []
    hidden = rows[~keep & (_hidden(rows["n"]) | _hidden(rows["prop_yes"]))]
    if len(hidden):
        names = ", ".join(str(s) for s in hidden["site"])
        notes.append(f"Not shown, as the table hides their numbers (c): {names}.")
    if np.isnan(p0):
        notes.append("The all-site value is not published, so no limits are drawn.")
    style.left_out_note(fig, " ".join(notes))
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, 1)
    ax.set_xlabel(SOURCE_AXIS.get(source, "Denominator"))
    ax.set_ylabel("Proportion")
    ax.set_title(title or INDICATOR_LABELS.get(indicator, indicator))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=8)
    return fig


#: Each side of a before/after row: its counts, its proportion, filled marker, offset.
_SIDES: tuple[tuple[str, str, str, bool, float], ...] = (
    ("n_yes_before", "n_before", "prop_before", False, 0.13),
    ("n_yes_after", "n_after", "prop_after", True, -0.13),
)


def before_after_chart(
    change: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    focus: str | None = None,
    title: str | None = None,
) -> Figure:
    """Return a figure: before (hollow) and after (filled) proportions with 95% Wilson intervals.

    ``change`` is the published before/after table. One panel per indicator, one row per
    site (adopters, pooled adopters, the origin for reference, pooled comparison sites). A
    side whose counts are hidden is not drawn (its interval would need them); a note under
    the figure says how many are left out.
    """

    indicators = list(indicators or dict.fromkeys(change["indicator"]))
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    keys = list(dict.fromkeys(zip(change["site"], change["role"], strict=True)))
    fig, axes = style.new_figure(
        "full", height=max(2.6, 0.34 * len(keys) + 1.3) * nrows, nrows=nrows, ncols=ncols
    )
    axes = np.atleast_1d(axes).ravel()
    values = {c: style.shown_values(change[c]) for side in _SIDES for c in side[:3]}
    left_out = 0
    for k, (ax, ind) in enumerate(zip(axes, indicators, strict=False)):
        labels = []
        for y, (site, role) in enumerate(keys):
            labels.append(_row_name(site, role))
            sel = (change["site"] == site) & (change["role"] == role) & (change["indicator"] == ind)
            if not sel.any():
                continue
            i = int(np.flatnonzero(sel.to_numpy())[0])
            colour = style.HIGHLIGHT if site == focus else style.PALETTE[0]
            if site == TOTAL:
                colour = style.PALETTE[7]
            points = []
            for yes, n, prop, filled, dy in _SIDES:
                x, m, p = values[yes][i], values[n][i], values[prop][i]
                if np.isnan(x) or np.isnan(m) or np.isnan(p) or m <= 0:
                    left_out += any(_hidden(change[[yes, n, prop]].iloc[i]))
                    continue
                low, high = wilson_interval(x, m)
                ax.plot([low, high], [y + dy, y + dy], color=colour, lw=1.2)
                face = colour if filled else "white"
                ax.plot(p, y + dy, "o", ms=5, color=colour, markerfacecolor=face)
                points.append((p, y + dy))
            if len(points) == 2:
                ax.annotate(
                    "",
                    xy=points[1],
                    xytext=points[0],
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.8, "alpha": 0.7},
                )
        finish_panel(
            ax,
            labels,
            [site for site, _role in keys],
            focus,
            k % ncols != 0,
            ind,
            "Proportion of cases",
        )
    return _finish(
        fig,
        axes[len(indicators) :],
        (title or "Before and after adoption")
        + "\nhollow = before, filled = after; lines: 95% Wilson intervals",
        left_out,
        "before or after value",
    )


def _row_name(site: str, role: str) -> str:
    if site == TOTAL:
        return {"adopter": "All adopters", "comparison": "All comparison sites"}.get(role, "All")
    return f"{site} (origin)" if role == "origin" else site
