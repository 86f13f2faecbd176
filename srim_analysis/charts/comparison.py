"""Charts of the cross-site comparison: sites with their intervals, funnel plots, before/after.

Each function draws from a table the report published (small counts suppressed: a hidden
cell is the suppression mark, :func:`srim_analysis.disclosure.is_suppressed`) and returns
a matplotlib figure; publishing it is the report layer's job (``report.chart``).

* :func:`interval_chart` - one dot and 95% Wilson interval per site and indicator, sites
  in alphabetical order (not by rank), the all-site value and its interval as a band; on a
  per-site page of a large study, compact: the focus site, the origin and the comparison
  sites by name, every other site as one strip of dots;
* :func:`funnel_plot` - one indicator's sites against their denominators, with 95% and
  99.8% exact binomial limits around the all-site value; on a per-site page the other
  sites are one unlabelled background layer, the focus site (and the origin) labelled;
* :func:`before_after_chart` - each indicator before (hollow) and after (filled) adoption;
* :func:`finish_panel` - labels one panel of these small multiples, the focus site bold.

A value whose cell the table hides is not drawn (no point, interval or label), nor is an
interval or proportion worked out from a hidden count; each chart says in a note under the
figure what it leaves out (:func:`srim_analysis.charts.style.left_out_note`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    "COMPACT_ABOVE",
    "OTHER_SITES",
    "SOURCE_AXIS",
    "before_after_chart",
    "finish_panel",
    "funnel_plot",
    "interval_chart",
]

#: A per-site interval chart of more sites than this is compact (one strip for the others).
COMPACT_ABOVE = 12
#: The row of a compact interval chart holding every other site.
OTHER_SITES = "Other sites"
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
    style.mark_focus_ticks(ax.get_yticklabels(), sites, focus)
    if inner:
        ax.tick_params(labelleft=False)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    ax.set_title(
        style.wrap_label(INDICATOR_LABELS.get(indicator, indicator)),
        fontsize=9,
        loc="left",
        wrap=True,
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
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, wrap=True)
    if left_out:
        style.left_out_note(
            fig,
            f"Not shown, as the table hides them (c): {left_out} {what}"
            f"{'' if left_out == 1 else 's'}.",
        )
    return fig


#: The strips of a compact interval chart: the sites of each role not named on a row.
_STRIPS: tuple[tuple[str, str], ...] = (
    ("adopter", "Other adopters"),
    ("comparison", "Comparison sites"),
    ("", OTHER_SITES),
)


def _row_order(
    sites: Sequence[str], focus: str | None, roles: Mapping[str, str], compact: bool
) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Return the rows of an interval chart (site names), their tick labels, and its strips.

    In full, every site by name and no strip; compact, the focus site and the origin by
    name, then one strip row per role for the other sites (other adopters, comparison
    sites; a site without a known role among the other sites).
    """
    order = sorted(dict.fromkeys(sites), key=str.casefold)
    if not compact:
        return order, order, {}
    named = [focus] if focus in order else []
    named += [s for s in order if roles.get(s) == "origin" and s not in named]
    labels = [f"{s} (origin)" if roles.get(s) == "origin" else s for s in named]
    strip_of = {r for r, _ in _STRIPS}
    strips: dict[str, list[str]] = {}
    for role, name in _STRIPS:
        members = [
            s
            for s in order
            if s not in named and (roles.get(s) if roles.get(s) in strip_of else "") == role
        ]
        if members:
            strips[name] = members
    named += list(strips)
    labels += [f"{name} ({len(members)})" for name, members in strips.items()]
    return named, labels, strips


def interval_chart(
    table: pd.DataFrame,
    indicators: Sequence[str],
    source: str = "case_audit",
    focus: str | None = None,
    title: str | None = None,
    roles: Mapping[str, str] | None = None,
    compact: bool | None = None,
) -> Figure:
    """Return dot-and-interval panels (one per indicator): sites by name, all-site band.

    ``table`` is the published site-indicators table: a site whose proportion or interval
    is hidden is not drawn, and a note under the figure says how many values are left out.
    The all-site value is a dashed line in its 95% interval (a grey band). ``compact``
    (None: when there is a ``focus`` site and more than :data:`COMPACT_ABOVE` sites)
    draws the focus site, the origin and the comparison sites (``roles``: site name to
    role) as rows, and every other site as dots on one last row, without intervals.
    """
    indicators = list(indicators)
    roles = dict(roles or {})
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    sites = table[(table["site"] != TOTAL) & (table["source"] == source)]
    names = list(dict.fromkeys(sites["site"].astype(str)))
    if compact is None:
        compact = focus is not None and len(names) > COMPACT_ABOVE
    order, labels, strips = _row_order(names, focus, roles, compact)
    fig, axes = style.new_figure(
        "full", height=max(2.4, 0.27 * len(order) + 1.3) * nrows, nrows=nrows, ncols=ncols
    )
    axes = np.atleast_1d(axes).ravel()
    left_out = 0
    for k, (ax, ind) in enumerate(zip(axes, indicators, strict=False)):
        rows = _rows(table, ind, source)
        rows = rows.assign(site=rows["site"].astype(str)).set_index("site")
        _all_site_band(ax, table, ind, source)
        left_out += int(_hidden(rows["prop_yes"]).sum())
        named = rows.reindex(order)
        shown = _shown_proportions(named) & ~np.isin(order, list(strips))
        for y, members in enumerate(strips.values()):
            # every other site of a role: one background layer of dots, no intervals
            values = style.shown_values(rows.reindex(members)["prop_yes"])
            values = values[~np.isnan(values)]
            ax.scatter(
                values,
                np.full(len(values), float(order.index(list(strips)[y]))),
                s=12,
                color=style.BACKGROUND,
                edgecolors="none",
                zorder=2,
            )
        ys = np.arange(len(order), dtype=float)
        focused = np.asarray([sid == focus for sid in order])
        # one artist per kind (intervals, dots) for the other sites and one for the focus
        for picked, colour, ms in (
            (shown & ~focused, style.PALETTE[0], 4.5),
            (shown & focused, style.FOCUS, 6),
        ):
            if not picked.any():
                continue
            part = named[picked]
            ax.hlines(
                ys[picked],
                style.shown_values(part["ci_low"]),
                style.shown_values(part["ci_high"]),
                color=colour,
                lw=1.4,
                capstyle="projecting",
                zorder=3,
            )
            ax.plot(style.shown_values(part["prop_yes"]), ys[picked], "o", color=colour, ms=ms)
        finish_panel(ax, labels, order, focus, k % ncols != 0, ind, "Proportion")
    return _finish(
        fig,
        axes[len(indicators) :],
        (title or "Each site against the all-site value")
        + "\ndots: proportion; lines: 95% Wilson interval; dashed line and grey band: all-site "
        "value and its 95% interval",
        left_out,
        "site value",
    )


def _all_site_band(ax: Axes, table: pd.DataFrame, indicator: str, source: str) -> None:
    """Draw the all-site value (dashed) and its published 95% interval (a band) on ``ax``."""
    rows = table[
        (table["indicator"] == indicator) & (table["source"] == source) & (table["site"] == TOTAL)
    ]
    if not len(rows):
        return
    p0, low, high = (
        float(style.shown_values(rows[c])[0]) for c in ("prop_yes", "ci_low", "ci_high")
    )
    if not np.isnan(low) and not np.isnan(high):
        ax.axvspan(low, high, color="#E8E8E8", lw=0, zorder=0)
    if not np.isnan(p0):
        ax.axvline(p0, color="black", lw=0.9, ls="--", zorder=1)


def _funnel_labels(
    shown: pd.DataFrame,
    positions: Sequence[str],
    focus: str | None,
    roles: Mapping[str, str],
) -> pd.DataFrame:
    """Return the points of a funnel plot to label, those that matter first.

    With a focus site, the focus site and the origin; without one, every site of a small
    study, or the sites outside the 95% limits of a large one.
    """
    shown = shown.assign(position=list(positions))
    if focus is not None:
        keep = (shown["site"] == focus) | shown["site"].map(lambda s: roles.get(s) == "origin")
    elif len(shown) > 20:
        keep = shown["position"] != POSITIONS[2]
    else:
        keep = pd.Series(True, index=shown.index)
    chosen = shown[keep.to_numpy(dtype=bool)]
    outside = chosen["position"] != POSITIONS[2]
    return pd.concat([chosen[outside], chosen[~outside]])


def funnel_plot(
    table: pd.DataFrame,
    indicator: str,
    source: str = "case_audit",
    focus: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    roles: Mapping[str, str] | None = None,
) -> Figure:
    """Return a funnel plot of one indicator: sites against their denominators, with limits.

    ``table`` is a published site-indicators or funnel-positions table. 95% (dashed) and
    99.8% (dotted) exact binomial limits around the published all-site value. With a
    ``focus`` site, the other sites are one background layer without labels, and the
    focus site (highlighted) and the origin (``roles``: site name to role) are labelled;
    without one, sites are labelled where they do not crowd each other (a large study:
    those outside the 95% limits). A site whose numbers are hidden is not drawn, and a
    note under the figure names it. The legend sits outside the data area.
    """
    roles = dict(roles or {})
    rows = _rows(table, indicator, source)
    rows = rows.assign(site=rows["site"].astype(str))
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
    is_focus = (shown["site"] == focus).to_numpy()
    # the other sites: one background layer; the focus: one point drawn above them
    others = shown[~is_focus]
    if len(others):
        ax.scatter(
            others["plot_n"],
            others["plot_p"],
            s=22 if focus is not None else 30,
            color=style.BACKGROUND if focus is not None else style.PALETTE[0],
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
            label="Other sites" if focus is not None else "Sites",
        )
    if is_focus.any():
        part = shown[is_focus]
        ax.plot(
            part["plot_n"], part["plot_p"], "o", ms=8, color=style.FOCUS, mec="black", zorder=4,
            label=str(focus),
        )  # fmt: skip
    positions = (
        limit_positions(shown["plot_p"], shown["plot_n"], p0)
        if not np.isnan(p0)
        else [POSITIONS[2]] * len(shown)
    )
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, 1)
    ax.set_xlabel(SOURCE_AXIS.get(source, "Denominator"))
    ax.set_ylabel("Proportion")
    ax.set_title(title or INDICATOR_LABELS.get(indicator, indicator), wrap=True)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    labelled = _funnel_labels(shown, positions, focus, roles)
    crowded = style.place_labels(
        ax,
        labelled["plot_n"].tolist(),
        labelled["plot_p"].tolist(),
        [
            f"{site} (origin)" if roles.get(site) == "origin" and site != focus else site
            for site in labelled["site"]
        ],
        focus=focus,
        points=(others["plot_n"].tolist(), others["plot_p"].tolist()),
    )
    notes = []
    hidden = rows[~keep & (_hidden(rows["n"]) | _hidden(rows["prop_yes"]))]
    if len(hidden):
        names = ", ".join(str(s) for s in hidden["site"])
        notes.append(f"Not shown, as the table hides their numbers (c): {names}.")
    if np.isnan(p0):
        notes.append("The all-site value is not published, so no limits are drawn.")
    if crowded:
        notes.append(
            f"{len(crowded)} site label{'s' if len(crowded) > 1 else ''} left off where "
            "labels would overlap: the funnel-positions table names every site."
        )
    style.left_out_note(fig, " ".join(notes))
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
    compact: bool | None = None,
) -> Figure:
    """Return a figure: before (hollow) and after (filled) proportions with 95% Wilson intervals.

    ``change`` is the published before/after table. One panel per indicator, one row per
    site (adopters, the origin for reference), then, below a rule and in italics, the
    pooled rows (all adopters, all comparison sites). ``compact`` (None: with a ``focus``
    site and more than :data:`COMPACT_ABOVE` rows) keeps the focus site, the origin and the
    pooled rows: the other adopters are in the pooled row and the table. A
    side whose counts are hidden is not drawn (its interval would need them); a note under
    the figure says how many are left out.
    """

    indicators = list(indicators or dict.fromkeys(change["indicator"]))
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    keys = list(dict.fromkeys(zip(change["site"], change["role"], strict=True)))
    # the pooled rows (totals) last, set apart below a rule
    keys = [k for k in keys if k[0] != TOTAL] + [k for k in keys if k[0] == TOTAL]
    pooled = sum(site == TOTAL for site, _role in keys)
    if compact is None:
        compact = focus is not None and len(keys) > COMPACT_ABOVE
    if compact:
        keys = [k for k in keys if k[0] in (focus, TOTAL) or k[1] == "origin"]
        change = change[
            change["site"].isin([focus, TOTAL]) | (change["role"] == "origin")
        ].reset_index(drop=True)
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
            colour = style.FOCUS if site == focus else style.PALETTE[0]
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
        if 0 < pooled < len(keys):
            rule = len(keys) - pooled - 0.5
            ax.hlines([rule], 0, 1, transform=ax.get_yaxis_transform(), color=style.MUTED, lw=0.8)
        for tick in ax.get_yticklabels()[len(keys) - pooled :]:
            tick.set_fontstyle("italic")
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
