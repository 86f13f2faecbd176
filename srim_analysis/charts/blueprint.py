"""Charts of the transfer blueprint: the components-by-site grid and the adoption timeline.

Both draw from the published tables of :mod:`srim_analysis.analyses.blueprint` and return
a matplotlib figure; publishing it is the report layer's job (``report.chart``). A count the
table hides is not drawn, and a note under the figure says so.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from srim_analysis import disclosure
from srim_analysis.charts import style

__all__ = ["STATUS_COLOURS", "adoption_timeline", "blueprint_chart"]

#: Up to this many sites, each cell shows its number of sources and their types; up to
#: :data:`_NUMBERED_CELLS`, the number only; beyond, the colour only (the table has the rest).
_WIDE_CELLS = 8
_NUMBERED_CELLS = 24
#: The colour of each blueprint status.
STATUS_COLOURS: dict[str, str] = {"present": "#009E73", "partial": "#E69F00", "absent": "#F2F2F2"}


def blueprint_chart(
    matrix: pd.DataFrame,
    focus: str | None = None,
    title: str | None = None,
) -> Figure:
    """Return the blueprint as a grid: components by site, coloured present/partial/absent.

    ``matrix`` is the published blueprint. Each cell shows its number of sources (none
    where the table hides it) and its source types' initials (with many sites, the number
    only, then neither: cells too narrow to hold them); the focus site's column is outlined.
    """
    sites = list(dict.fromkeys(matrix["site"]))
    comps = list(dict.fromkeys(matrix["component"]))
    hidden = 0
    fig, ax = style.new_figure("full", height=0.5 * len(comps) + 1.8)
    ax.grid(False)
    for _, r in matrix.iterrows():
        x, y = sites.index(r["site"]), comps.index(r["component"])
        ax.add_patch(
            Rectangle(
                (x - 0.48, y - 0.45),
                0.96,
                0.9,
                color=STATUS_COLOURS[r["status"]],
                ec="white",
                lw=0.5,
            )
        )
        if r["status"] != "absent":
            initials = "".join(t.strip()[0].upper() for t in r["source_types"].split(",") if t)
            count = disclosure.is_suppressed(r["n_sources"])
            hidden += count
            if len(sites) <= _WIDE_CELLS:
                text = f"({initials})" if count else f"{r['n_sources']} ({initials})"
                ax.text(x, y, text, ha="center", va="center", fontsize=7.5)
            elif len(sites) <= _NUMBERED_CELLS and not count:  # narrow cells: the number
                ax.text(x, y, str(r["n_sources"]), ha="center", va="center", fontsize=6.5)
    if focus in sites:
        x = sites.index(focus)
        ax.add_patch(
            Rectangle(
                (x - 0.5, -0.5),
                1.0,
                len(comps),
                fill=False,
                ec=style.HIGHLIGHT,
                lw=2.2,
            )
        )
    ax.set_xlim(-0.5, len(sites) - 0.5)
    ax.set_ylim(len(comps) - 0.5, -0.5)
    roles = matrix.drop_duplicates("site").set_index("site")["role"]
    if len(sites) <= _WIDE_CELLS:
        ax.set_xticks(
            range(len(sites)), [f"{style.wrap_label(s, 12)}\n({roles[s]})" for s in sites],
            fontsize=8,
        )  # fmt: skip
    else:  # many sites: names upright, so that they cannot overlap
        ax.set_xticks(
            range(len(sites)), [f"{s} ({roles[s]})" for s in sites], rotation=90, fontsize=7
        )
    ax.set_yticks(range(len(comps)), comps)
    style.mark_focus_ticks(ax.get_xticklabels(), sites, focus)
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    handles = [Patch(color=c, label=s) for s, c in STATUS_COLOURS.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    key = (
        "cells: number of sources (D document, O observation, I interview, F focus group)"
        if len(sites) <= _WIDE_CELLS
        else "cells: number of sources"
        if len(sites) <= _NUMBERED_CELLS
        else "the blueprint table gives each cell's sources"
    )
    ax.set_title(
        (title or "Transfer blueprint") + "\n" + key,
        fontsize=10,
        wrap=True,
    )
    if hidden:
        style.left_out_note(
            fig,
            f"{hidden} cell{'' if hidden == 1 else 's'} without a number: the table hides "
            "the count of sources (c).",
        )
    return fig


def adoption_timeline(
    order: pd.DataFrame, focus: str | None = None, title: str | None = None
) -> Figure:
    """Return a timeline: when each component was first evidenced at each site, with its start.

    ``order`` is the published adoption order (dates, no counts). One row per site; a black
    bar marks the site's ``initiative_start``.
    """
    sites = list(dict.fromkeys(order["site"]))
    comps = sorted(dict.fromkeys(order["component"]), key=str.casefold)
    colours = {c: style.PALETTE[i % len(style.PALETTE)] for i, c in enumerate(comps)}
    fig, ax = style.new_figure("full", height=0.55 * max(len(sites), 1) + 1.9)
    for y, site in enumerate(sites):
        rows = order[order["site"] == site]
        start = rows["initiative_start"].iloc[0]
        if start:
            ax.plot([pd.Timestamp(start)] * 2, [y - 0.35, y + 0.35], color="black", lw=2)
        dated = rows[[bool(d) and not disclosure.is_suppressed(d) for d in rows["first_evidence"]]]
        for k, r in enumerate(dated.itertuples()):
            ax.plot(
                pd.Timestamp(r.first_evidence),
                y + (k % 3 - 1) * 0.12,
                "o",
                color=colours[r.component],
                ms=7 if site == focus else 5.5,
                markeredgecolor="black" if site == focus else "white",
            )
    ax.set_yticks(range(len(sites)), sites)
    style.mark_focus_ticks(ax.get_yticklabels(), sites, focus)
    ax.invert_yaxis()
    handles = [Line2D([], [], marker="o", ls="", color=colours[c], label=c) for c in comps] + [
        Line2D([], [], color="black", lw=2, label="Initiative start")
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Date of the first source evidencing the component")
    ax.set_title(title or "When each component was first evidenced", fontsize=10, wrap=True)
    return fig
