"""Charts of notebook 04's tables: who raised which code, stance, awareness and co-occurrence.

Each function draws one figure from a table made by :mod:`srim_analysis.analyses.qualitative`
and returns it (or None when every row is too small to show). Counts from 1 to
``min_cell - 1`` are hidden before drawing, marked ``c``; where rows and columns add up,
further cells are hidden as in published tables, so no hidden count can be worked out.
"""

from __future__ import annotations

import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from srim_analysis import disclosure
from srim_analysis.analyses.qualitative import (
    AWARENESS,
    AWARENESS_COLUMNS,
    GROUPINGS,
    STANCES,
    UNATTRIBUTED_KEY,
    group_rank,
)
from srim_analysis.charts import style
from srim_analysis.charts.style import wrap_label
from srim_analysis.disclosure import SUPPRESSION_MARK

_STANCE_COLOURS = {
    "ST-CRIT": style.DIVERGING_5[0],
    "ST-MIX": style.DIVERGING_5[2],
    "ST-SUP": style.DIVERGING_5[4],
    "ST-UNC": style.MUTED,
}
_AWARENESS_COLOURS = {
    "AWR-READ": style.DIVERGING_5[4],
    "AWR-HEARD": style.DIVERGING_5[3],
    "AWR-UNAWARE": style.DIVERGING_5[1],
}
_HIDDEN_CELL = "#E5E5E5"


def heatmap_figure(
    matrix: pd.DataFrame,
    title: str,
    min_cell: int,
    xlabel: str = "",
    ylabel: str = "",
    count_label: str = "Count",
    secondary: bool = False,
) -> Figure:
    """Return an annotated heatmap of counts with small counts hidden (shown as 'c').

    Counts from 1 to ``min_cell - 1`` are hidden before plotting; with ``secondary=True``
    (tables whose rows and columns add up, such as people by group) further cells are
    hidden, as in published tables, so no hidden count can be worked out from the totals.
    """
    values = matrix.to_numpy(dtype=float)
    small = (values >= 1) & (values < min_cell)
    hidden = small.copy()
    if secondary and values.size:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", disclosure.DisclosureWarning)
            mask = disclosure.suppression_mask(matrix.astype(int), min_cell, totals=False)
        hidden |= np.asarray(mask, dtype=bool)
    shown = np.where(hidden | (values == 0), np.nan, values)
    n_rows, n_cols = values.shape
    width = min(style.FULL_WIDTH_IN, 3.2 + 0.5 * n_cols)
    fig, ax = style.new_figure(max(width, 5.0), 2.6 + 0.34 * max(n_rows, 2))
    ax.grid(False)
    vmax = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
    cmap = mpl.colormaps[style.SEQUENTIAL_CMAP]
    image = ax.imshow(shown, cmap=cmap, aspect="auto", vmin=0, vmax=vmax)
    for i in range(n_rows):
        for j in range(n_cols):
            if hidden[i, j]:
                ax.add_patch(_cell(j, i, _HIDDEN_CELL))
                ax.text(
                    j, i, SUPPRESSION_MARK, ha="center", va="center", fontsize=8, color="#555555"
                )
            elif values[i, j] > 0:
                dark = values[i, j] < 0.6 * vmax
                ax.text(
                    j,
                    i,
                    f"{int(values[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels([str(c) for c in matrix.columns], rotation=40, ha="right")
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels([wrap_label(r, 40) for r in matrix.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    bar = fig.colorbar(image, ax=ax, shrink=min(0.8, 3.0 / max(n_rows, 1) + 0.3), aspect=15)
    bar.set_label(count_label)
    fig.supxlabel(
        f"c: from 1 to {min_cell - 1}, hidden; blank: none.", fontsize=8, color=style.MUTED
    )
    return fig


def _cell(x: float, y: float, colour: str) -> Rectangle:
    """Return a square patch covering one heatmap cell."""
    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=colour, edgecolor="white", lw=0.5)


def _visible_rows(counts: pd.Series, min_cell: int, secondary: bool = True) -> np.ndarray:
    """Return True for rows whose count may be shown (small ones, and their protectors, hidden)."""
    values = counts.to_numpy(dtype=int)
    hidden = (values >= 1) & (values < min_cell)
    if secondary and len(values) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", disclosure.DisclosureWarning)
            mask = disclosure.suppression_mask(pd.Series(values), min_cell, totals=False).to_numpy()
        hidden |= mask
    return ~hidden & (values > 0)


def stance_figure(
    table: pd.DataFrame,
    title: str,
    min_cell: int,
    label: str = "code_label",
    secondary: bool = False,
) -> Figure | None:
    """Return diverging bars of stance per row of a stance table (None if all hidden).

    ``table`` is a :func:`~srim_analysis.analyses.qualitative.stance_table`.

    Critical extends left of zero and supportive right; mixed straddles zero; unclear (and
    no stance) is drawn apart on the right. Rows with fewer than ``min_cell`` participants
    are dropped before plotting (with ``secondary=True``, also rows that would let a dropped
    one be worked out from the total); the axis label says how many were left out.
    """
    visible = _visible_rows(table["n_participants"], min_cell, secondary=secondary)
    data = table[visible].reset_index(drop=True)
    dropped = int((~visible).sum())
    if not len(data):
        return None
    n = len(data)
    fig, ax0 = style.new_figure("full", 1.6 + 0.46 * n)
    ax0.remove()
    grid = fig.add_gridspec(1, 2, width_ratios=[4.2, 1])
    ax = fig.add_subplot(grid[0, 0])
    side = fig.add_subplot(grid[0, 1], sharey=ax)
    y = np.arange(n)[::-1]
    crit = data["pct_critical"].to_numpy(float)
    mix = data["pct_mixed"].to_numpy(float)
    sup = data["pct_supportive"].to_numpy(float)
    apart = (data["pct_unclear"] + data["pct_no_stance"]).to_numpy(float)
    ax.barh(y, -crit, left=-mix / 2, color=_STANCE_COLOURS["ST-CRIT"], label="Critical", height=0.7)
    ax.barh(y, mix, left=-mix / 2, color=_STANCE_COLOURS["ST-MIX"], label="Mixed", height=0.7)
    ax.barh(y, sup, left=mix / 2, color=_STANCE_COLOURS["ST-SUP"], label="Supportive", height=0.7)
    for yi, c, m, s in zip(y, crit, mix, sup, strict=True):
        if c >= 12:
            ax.text(
                -m / 2 - c / 2, yi, f"{c:.0f}%", ha="center", va="center", fontsize=8, color="white"
            )
        if s >= 12:
            ax.text(
                m / 2 + s / 2, yi, f"{s:.0f}%", ha="center", va="center", fontsize=8, color="white"
            )
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlim(-100, 100)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
    ax.set_xlabel("← critical   ·   % of segments   ·   supportive →")
    labels = [
        f"{wrap_label(text, 40)}\n(n = {k} participants)"
        for text, k in zip(data[label], data["n_participants"], strict=True)
    ]
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    side.barh(y, apart, color=_STANCE_COLOURS["ST-UNC"], height=0.7)
    for yi, a in zip(y, apart, strict=True):
        if a > 0:
            side.text(a + 2, yi, f"{a:.0f}%", va="center", fontsize=8)
    side.set_xlim(0, 100)
    side.set_xticks([0, 50, 100])
    side.set_xlabel("Unclear or none (%)", fontsize=8)
    side.tick_params(axis="y", left=False, labelleft=False)
    side.grid(axis="y", visible=False)
    fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=11)
    note = "Mixed views straddle zero."
    if dropped:
        note += f" {dropped} group(s) with fewer than {min_cell} participants not shown."
    fig.supxlabel(note, fontsize=8, color=style.MUTED)
    return fig


def _short_label(label: str) -> str:
    """Return a code label short enough for a panel title ('Rule 3: consent ...' -> 'Rule 3')."""
    head = label.split(":", 1)[0]
    return head if head != label and len(head) <= 12 else label


def stance_grid_figure(
    table: pd.DataFrame, title: str, min_cell: int, ncols: int = 4
) -> Figure | None:
    """Return diverging bars of stance by group, one small panel per code (None if all hidden).

    ``table`` is a :func:`~srim_analysis.analyses.qualitative.stance_table` by a grouping.
    In each panel, critical extends left of zero, supportive right and mixed straddles
    zero. A group with fewer than ``min_cell`` participants who spoke about the code (or
    whose count would let one be worked out) is hidden before plotting and marked 'c';
    unclear views are left to the tables.
    """
    by = table.attrs.get("by") or next((g for g in GROUPINGS if g in table.columns), None)
    if by is None or not len(table):
        return None
    data = table[table[by] != UNATTRIBUTED_KEY]
    codes = list(dict.fromkeys(data["code_id"]))
    visible: dict[str, pd.DataFrame] = {}
    hidden: dict[str, set[str]] = {}
    for code in codes:
        rows = data[data["code_id"] == code].reset_index(drop=True)
        keep = _visible_rows(rows["n_participants"], min_cell, secondary=True)
        visible[code] = rows[keep]
        hidden[code] = set(rows.loc[~keep, by].astype(str))
    shown_groups = {str(k) for v in visible.values() for k in v[by]}
    if not shown_groups:
        return None
    rank = group_rank(by, shown_groups)
    groups = sorted(shown_groups, key=lambda k: rank.get(k, 0))
    label_of = dict(zip(data[by].astype(str), data["group"], strict=False))
    ncols = max(1, min(ncols, len(codes)))
    nrows = -(-len(codes) // ncols)
    height = nrows * (0.9 + 0.24 * len(groups)) + 0.9
    fig, axes = style.new_figure("full", height, nrows=nrows, ncols=ncols)
    axes = np.atleast_1d(axes).ravel()
    y = {g: i for i, g in enumerate(reversed(groups))}
    for ax, code in zip(axes, codes, strict=False):
        rows = visible[code]
        ys = [y[str(k)] for k in rows[by]]
        crit = rows["pct_critical"].to_numpy(float)
        mix = rows["pct_mixed"].to_numpy(float)
        sup = rows["pct_supportive"].to_numpy(float)
        ax.barh(ys, -crit, left=-mix / 2, color=_STANCE_COLOURS["ST-CRIT"], height=0.72)
        ax.barh(ys, mix, left=-mix / 2, color=_STANCE_COLOURS["ST-MIX"], height=0.72)
        ax.barh(ys, sup, left=mix / 2, color=_STANCE_COLOURS["ST-SUP"], height=0.72)
        for g in sorted(hidden[code] & set(y)):
            ax.text(
                0, y[g], SUPPRESSION_MARK, ha="center", va="center", fontsize=7, color=style.MUTED
            )
        ax.axvline(0, color="#333333", lw=0.7)
        ax.set_xlim(-100, 100)
        ax.set_ylim(-0.6, len(groups) - 0.4)
        ax.set_xticks([-100, 0, 100])
        ax.set_xticklabels(["100%", "0", "100%"], fontsize=7)
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels(
            [wrap_label(label_of.get(g, g), 24) for g in reversed(groups)], fontsize=7
        )
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        label = str(data.loc[data["code_id"] == code, "code_label"].iloc[0])
        ax.set_title(wrap_label(_short_label(label), 22), fontsize=8, loc="center")
    for ax in axes[len(codes) :]:
        ax.set_axis_off()
    for i, ax in enumerate(axes[: len(codes)]):
        if i % ncols:
            ax.tick_params(axis="y", labelleft=False)
    handles = [
        Patch(color=_STANCE_COLOURS[c], label=STANCES[c]) for c in ("ST-CRIT", "ST-MIX", "ST-SUP")
    ]
    if len(axes) > len(codes):
        axes[len(codes)].legend(handles=handles, loc="center", frameon=False, title="Stance")
    else:
        fig.legend(handles=handles, ncols=3, loc="outside upper right", frameon=False)
    fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=11)
    fig.supxlabel(
        f"← critical · % of segments · supportive →\nc: fewer than {min_cell} participants "
        "(hidden). Mixed views straddle zero; unclear views are in the tables.",
        fontsize=8,
        color=style.MUTED,
    )
    return fig


def awareness_figure(table: pd.DataFrame, title: str, min_cell: int) -> Figure | None:
    """Return 100% stacked bars of awareness per group (groups below ``min_cell`` hidden)."""
    visible = _visible_rows(table["n_coded"], min_cell, secondary=True)
    data = table[visible].reset_index(drop=True)
    if not len(data):
        return None
    n = len(data)
    fig, ax = style.new_figure("full", 1.4 + 0.32 * n)
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    for code, col in AWARENESS_COLUMNS.items():
        share = data[f"pct_{col}"].to_numpy(float)
        ax.barh(
            y, share, left=left, color=_AWARENESS_COLOURS[code], label=AWARENESS[code], height=0.7
        )
        for yi, lft, s in zip(y, left, share, strict=True):
            if s >= 8:
                colour = "white" if code != "AWR-UNAWARE" else "black"
                ax.text(
                    lft + s / 2, yi, f"{s:.0f}%", ha="center", va="center", fontsize=8, color=colour
                )
        left += share
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            f"{wrap_label(g, 30)} (n = {k})"
            for g, k in zip(data["group"], data["n_coded"], strict=True)
        ],
        fontsize=8,
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of participants whose awareness was coded")
    ax.grid(axis="y", visible=False)
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.set_title(title, pad=22)
    dropped = int((~visible).sum())
    if dropped:
        fig.supxlabel(
            f"{dropped} group(s) with fewer than {min_cell} participants not shown.",
            fontsize=8,
            color=style.MUTED,
        )
    return fig


def branch_figure(summary: pd.DataFrame, title: str, min_cell: int) -> Figure | None:
    """Return horizontal bars of participants per code (small counts hidden, shown as 'c')."""
    if not len(summary):
        return None
    data = summary.reset_index(drop=True)
    n = len(data)
    fig, ax = style.new_figure("full", 1.2 + 0.36 * n)
    y = np.arange(n)[::-1]
    values = data["n_participants"].to_numpy(int)
    hidden = (values >= 1) & (values < min_cell)
    colours = [style.HIGHLIGHT if i == 0 and not hidden[0] else style.PALETTE[0] for i in range(n)]
    ax.barh(y, np.where(hidden, 0, values), color=colours, height=0.7)
    for yi, v, h in zip(y, values, hidden, strict=True):
        ax.text(
            0 if h else v,
            yi,
            f" {SUPPRESSION_MARK}" if h else f" {v}",
            va="center",
            fontsize=8,
            color=style.MUTED if h else "black",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([wrap_label(t, 40) for t in data["code_label"]], fontsize=8)
    ax.set_xlabel(f"Participants who raised it (c: 1 to {min_cell - 1}, hidden)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return fig
