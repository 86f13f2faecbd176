"""Funnel plots and dot-and-interval charts: comparing sites without a league table.

A funnel plot (Spiegelhalter 2005, *Statistics in Medicine* 24:1185-1202; the convention
in English public-sector comparisons) puts each site's proportion against its denominator,
with control limits around the all-site value that narrow as the denominator grows. A
site inside the 95% limits is consistent with the all-site value; outside the 99.8%
limits, it is unlikely to differ by chance alone. Sites are labelled, never ranked.

The limits here are **exact binomial** limits (scipy ``binom.ppf``) with Spiegelhalter's
interpolation between the discrete steps (his Appendix A.1.1): for a limit at tail
probability ``q`` and denominator ``n``, ``r = binom.ppf(q, n, p0)`` and the limit is
``(r - a) / n`` with ``a = (F(r) - q) / (F(r) - F(r - 1))``; without interpolation it
is ``r / n``. The all-site value ``p0`` is the pooled proportion (all "yes" over all
recorded cases).

:func:`interval_chart` is the companion: one dot and 95% Wilson interval per site, sites
in alphabetical order (not by rank), the all-site value as a reference line. Both hide a
site whose numbers the tables suppress, and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srim_analysis.analyses import comparison
from srim_analysis.analyses.comparison import INDICATOR_LABELS, PROPORTION_DEPENDS, TOTAL
from srim_analysis.charts import style
from srim_analysis.report.publishing import Section

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from srim_analysis.report.publishing import Report

__all__ = [
    "LEVELS",
    "POSITIONS",
    "POSITION_DEPENDS",
    "funnel_limits",
    "funnel_plot",
    "funnel_positions",
    "interval_chart",
    "publish_funnel_plots",
]

#: Coverage of the two pairs of control limits drawn on every funnel plot.
LEVELS: tuple[float, float] = (0.95, 0.998)
#: The plain-English positions a site can have in a funnel plot, low to high.
POSITIONS: tuple[str, ...] = (
    "below the 99.8% limit",
    "below the 95% limit",
    "within the 95% limits",
    "above the 95% limit",
    "above the 99.8% limit",
)
#: What a funnel-positions table hides with its counts (the position gives away a rough value).
POSITION_DEPENDS: dict[str, tuple[str, ...]] = {**PROPORTION_DEPENDS, "position": ("n_yes", "n")}
_SOURCE_AXIS = {
    "case_audit": "Audited cases with this recorded (denominator)",
    "observations": "Observed meetings with this recorded (denominator)",
    "documents": "Documents analysed (denominator)",
}


def _wrap(text: str, width: int = 24) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def funnel_limits(
    p0: float, n: Any, coverage: float = 0.95, interpolate: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return (lower, upper) exact binomial control limits for proportion ``p0`` at each ``n``.

    >>> low, high = funnel_limits(0.3, [100], interpolate=False)
    >>> float(low[0]), float(high[0])
    (0.21, 0.39)
    """
    from scipy.stats import binom

    n_arr = np.atleast_1d(np.asarray(n, dtype=float))
    if not np.all(n_arr == np.round(n_arr)):
        raise ValueError("funnel_limits needs whole-number denominators n")
    tail = (1 - coverage) / 2
    out = []
    for q in (tail, 1 - tail):
        r = binom.ppf(q, n_arr, p0)
        if interpolate:
            f_r = binom.cdf(r, n_arr, p0)
            f_below = binom.cdf(r - 1, n_arr, p0)
            step = f_r - f_below
            with np.errstate(invalid="ignore", divide="ignore"):
                a = np.where(step > 0, (f_r - q) / np.where(step > 0, step, 1), 0.0)
            r = r - a
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(
                np.where(n_arr > 0, np.clip(r / np.where(n_arr > 0, n_arr, 1), 0, 1), np.nan)
            )
    return out[0], out[1]


def _positions(p: Any, n: Any, p0: float) -> list[str]:
    """Return each proportion's position against exact limits at its own denominator."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    out = np.full(len(p), "nothing recorded", dtype=object)
    ok = (n > 0) & ~np.isnan(p)
    if ok.any():
        q, m = p[ok], n[ok]
        lo95, hi95 = funnel_limits(p0, m, LEVELS[0])
        lo998, hi998 = funnel_limits(p0, m, LEVELS[1])
        out[ok] = np.select(
            [q > hi998, q > hi95, q < lo998, q < lo95],
            [POSITIONS[4], POSITIONS[3], POSITIONS[0], POSITIONS[1]],
            default=POSITIONS[2],
        )
    return [str(x) for x in out]


def _pooled(rows: pd.DataFrame) -> float:
    total = rows["n"].sum()
    return float(rows["n_yes"].sum() / total) if total else float("nan")


def funnel_positions(table: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Return a :func:`~comparison.site_indicators` table with each site's place in the funnel.

    Adds ``all_sites`` (the pooled all-site value) and ``position`` (one of
    :data:`POSITIONS`, against exact binomial limits at the site's own denominator; blank
    on the "All" rows). Publish it with ``depends=POSITION_DEPENDS``.
    """
    rows = table if source is None else table[table["source"] == source]
    rows = rows.copy()
    rows["all_sites"] = np.nan
    rows["position"] = ""
    for _key, group in rows.groupby(["source", "indicator"], sort=False):
        sites = group[group["site"] != TOTAL]
        p0 = _pooled(sites)
        rows.loc[group.index, "all_sites"] = round(p0, comparison.DECIMALS)
        n = sites["n"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n > 0, sites["n_yes"].to_numpy(dtype=float) / n, np.nan)
        rows.loc[sites.index, "position"] = _positions(p, n, p0)
    return rows.reset_index(drop=True)


def _rows(table: pd.DataFrame, indicator: str, source: str) -> pd.DataFrame:
    rows = table[(table["indicator"] == indicator) & (table["source"] == source)]
    rows = rows[rows["site"] != TOTAL]
    if rows.empty:
        raise ValueError(f"No {source} rows for indicator {indicator!r} in this table.")
    return rows


def _kept(table: pd.DataFrame, min_cell: int) -> pd.Series:
    """Return True for rows of the whole table whose proportion is published."""
    return comparison.kept(table, min_cell, "prop_yes", PROPORTION_DEPENDS) & (table["n"] > 0)


def funnel_plot(
    table: pd.DataFrame,
    indicator: str,
    source: str = "case_audit",
    focus: str | None = None,
    min_cell: int = 5,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Return a funnel plot of one indicator: sites against their denominators, with limits.

    95% (dashed) and 99.8% (dotted) exact binomial limits around the all-site value; the
    ``focus`` site is highlighted; sites whose numbers are suppressed are not drawn.
    """
    rows = _rows(table, indicator, source)
    keep = _kept(table, min_cell).loc[rows.index]
    p0 = _pooled(rows)
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
    positions = _positions(shown["prop_yes"], shown["n"], p0)
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
    ax.set_xlabel(_SOURCE_AXIS.get(source, "Denominator"))
    ax.set_ylabel("Proportion")
    ax.set_title(title or INDICATOR_LABELS.get(indicator, indicator))
    ax.legend(loc="upper right", fontsize=8)
    return fig


def interval_chart(
    table: pd.DataFrame,
    indicators: Sequence[str],
    source: str = "case_audit",
    focus: str | None = None,
    min_cell: int = 5,
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
        p0 = _pooled(rows.dropna(subset=["n"]))
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
        comparison.finish_panel(ax, order, order, focus, k % ncols != 0, ind, "Proportion")
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


def publish_funnel_plots(
    report: Report,
    table: pd.DataFrame,
    indicators: Sequence[str],
    source: str = "case_audit",
) -> Section:
    """Publish the funnel positions table and one funnel plot per indicator; return the section.

    Figure ids are ``funnel-<indicator>`` (``funnel-father-info-shared``); the section's
    sentence says where the focus site lies in each.
    """
    positions = funnel_positions(table, source)
    positions = positions[positions["indicator"].isin(indicators)]
    published = report.table(
        positions,
        "funnel-positions",
        "Where each site lies in each funnel plot of audited cases: proportion, 95% Wilson "
        "interval, all-site value and position against exact binomial 95% and 99.8% limits",
        depends=POSITION_DEPENDS,
    )
    focus = comparison.focus_name(report)
    figs = []
    for ind in indicators:
        label = INDICATOR_LABELS.get(ind, ind)
        fig = funnel_plot(
            table,
            ind,
            source=source,
            focus=focus,
            min_cell=report.min_cell,
            title=report.title(f"Funnel plot: {label.lower()}"),
        )
        saved = report.figure(
            fig,
            f"funnel-{ind.replace('_', '-')}",
            f"Funnel plot of audited cases where {label.lower()}: each site's proportion "
            "against its number of cases with this recorded, with 95% and 99.8% exact "
            f"binomial limits around the all-site value; {comparison.focus_phrase(report)}.",
        )
        figs.append(saved)
    if focus is None:
        note = (
            "Each point is a site. A site inside the dashed funnel (95% limits) is consistent "
            "with the all-site value; outside the dotted funnel (99.8% limits) a difference is "
            'unlikely to be chance. No site is highlighted (`site = "all"`).'
        )
    else:
        keep = comparison.kept(positions, report.min_cell, "position", POSITION_DEPENDS)
        mine = positions[(positions["site"] == focus) & keep]
        if mine.empty:
            note = f"{focus}'s numbers are too small to publish, so it is not drawn."
        else:
            inside = mine["position"].eq(POSITIONS[2]).sum()
            outside = [
                f"{r.label.lower()} ({r.position})"
                for r in mine.itertuples()
                if r.position != POSITIONS[2]
            ]
            note = (
                f"**{focus}** (highlighted) lies within the 95% limits for "
                f"{inside} of {len(mine)} indicators"
                + ("; " + "; ".join(outside) if outside else "")
                + "."
            )
    return Section([note, report.show(published), *figs])
