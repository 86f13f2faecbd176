"""Charts of notebook 04's tables: who raised which code, stance, awareness and co-occurrence.

Each function draws one figure from a table **as published** (the report made it safe:
hidden cells hold the suppression mark, see :func:`srim_analysis.disclosure.is_suppressed`)
and returns it (or None when nothing can be shown). A hidden cell is never drawn or
labelled, a share is drawn only where the published table shows it (shares are hidden with
their counts), and the figure says what it leaves out
(:func:`srim_analysis.charts.style.left_out_note`).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from srim_analysis import disclosure
from srim_analysis.analyses.qualitative import (
    GROUPINGS,
    NO_STANCE,
    UNATTRIBUTED_KEY,
    group_rank,
    shown_number,
)
from srim_analysis.charts import style
from srim_analysis.charts.style import left_out_note, wrap_label
from srim_analysis.disclosure import SUPPRESSION_MARK
from srim_analysis.study.plan import AWARENESS_ROLES, STANCE_ROLES

_STANCE_COLOURS = {
    "critical": style.DIVERGING_5[0],
    "mixed": style.DIVERGING_5[2],
    "supportive": style.DIVERGING_5[4],
    "unclear": style.MUTED,
}
_AWARENESS_COLOURS = {
    "read": style.DIVERGING_5[4],
    "heard": style.DIVERGING_5[3],
    "unaware": style.DIVERGING_5[1],
}
_HIDDEN_CELL = "#E5E5E5"


def _shown_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a published column as floats, NaN where a cell is hidden (or missing)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return np.array([np.nan if (v := shown_number(x)) is None else v for x in frame[column]])


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _say_left_out(
    fig: Figure,
    rows: str,
    blank: int,
    blank_text: str = "Shares hidden in the table (c) are not drawn.",
) -> None:
    """Add the note saying which rows (``rows``, or '') and how many shares are left out."""
    left_out_note(fig, " ".join([*([rows] if rows else []), *([blank_text] if blank else [])]))


def heatmap_figure(
    matrix: pd.DataFrame,
    title: str,
    min_cell: int,
    xlabel: str = "",
    ylabel: str = "",
    count_label: str = "Count",
) -> Figure | None:
    """Return an annotated heatmap of published counts; hidden cells are grey and marked 'c'.

    ``matrix`` holds published cells (numbers, or the suppression mark for a hidden one),
    rows and columns labelled for the reader. None when it is empty.
    """
    if matrix.empty:
        return None
    hidden = np.array(
        [[disclosure.is_suppressed(v) for v in row] for row in matrix.to_numpy(dtype=object)],
        dtype=bool,
    ).reshape(matrix.shape)
    values = np.array(
        [[np.nan if (v := shown_number(x)) is None else v for x in row] for row in
         matrix.to_numpy(dtype=object)],
        dtype=float,
    ).reshape(matrix.shape)  # fmt: skip
    shown = np.where(hidden | ~(values > 0), np.nan, values)
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
            elif np.isfinite(shown[i, j]):
                dark = shown[i, j] < 0.6 * vmax
                ax.text(
                    j,
                    i,
                    f"{int(shown[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels([wrap_label(c, 22) for c in matrix.columns], rotation=90, fontsize=8)
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels([wrap_label(r, 40) for r in matrix.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, wrap=True)
    bar = fig.colorbar(image, ax=ax, shrink=min(0.8, 3.0 / max(n_rows, 1) + 0.3), aspect=15)
    bar.set_label(count_label)
    if hidden.any():
        left_out_note(
            fig,
            f"c: {_plural(int(hidden.sum()), 'count', 'counts')} hidden, as in the table (from 1 "
            f"to {min_cell - 1}, or one that would let such a count be worked out); blank: none.",
        )
    return fig


def _cell(x: float, y: float, colour: str) -> Rectangle:
    """Return a square patch covering one heatmap cell."""
    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=colour, edgecolor="white", lw=0.5)


def _rows_shown(table: pd.DataFrame, count: str) -> np.ndarray:
    """Return True for the published rows whose ``count`` is shown and above zero."""
    values = _shown_column(table, count)
    return np.isfinite(values) & (values > 0)


def _drawable(table: pd.DataFrame, count: str) -> tuple[pd.DataFrame, int]:
    """Return the rows whose ``count`` is shown and above zero, and how many are hidden."""
    keep = _rows_shown(table, count)
    dropped = int((~keep & (_shown_column(table, count) != 0)).sum())
    return table[keep].reset_index(drop=True), dropped


#: The stances drawn as diverging bars (unclear views are drawn apart, or left to tables).
_VIEWS = ("critical", "mixed", "supportive")


def _diverging_bars(
    ax: Axes, y: np.ndarray, share: Mapping[str, np.ndarray], height: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw critical left of zero, supportive right, mixed across it; return the three shares.

    ``share`` holds each stance's published percentages (NaN where the table hides one):
    a hidden share draws no bar and counts as 0 in the returned arrays.
    """
    crit, mix, sup = (np.nan_to_num(share[k]) for k in _VIEWS)
    for k, width, left in (
        ("critical", -crit, -mix / 2),
        ("mixed", mix, -mix / 2),
        ("supportive", sup, mix / 2),
    ):
        drawn = share[k] > 0
        ax.barh(
            y[drawn],
            width[drawn],
            left=left[drawn],
            color=_STANCE_COLOURS[k],
            label=STANCE_ROLES[k],
            height=height,
        )
    return crit, mix, sup


def stance_figure(
    table: pd.DataFrame, title: str, min_cell: int, label: str = "code_label"
) -> Figure | None:
    """Return diverging bars of stance per row of a published stance table (None if none shown).

    ``table`` is a :func:`~srim_analysis.analyses.qualitative.stance_table` as published.
    Critical extends left of zero and supportive right; mixed straddles zero; unclear (and
    no stance) is drawn apart on the right. A row whose participants are hidden is left
    out, and a share the table hides is not drawn; the note under the figure says so.
    """
    data, dropped = _drawable(table, "n_participants")
    if not len(data):
        return None
    n = len(data)
    fig, ax0 = style.new_figure("full", max(2.8, 1.6 + 0.46 * n))
    ax0.remove()
    grid = fig.add_gridspec(1, 2, width_ratios=[4.2, 1])
    ax = fig.add_subplot(grid[0, 0])
    side = fig.add_subplot(grid[0, 1], sharey=ax)
    y = np.arange(n)[::-1]
    share = {k: _shown_column(data, f"pct_{k}") for k in [*STANCE_ROLES, NO_STANCE]}
    blank = int(sum(np.isnan(v).sum() for v in share.values()))
    crit, mix, sup = _diverging_bars(ax, y, share, 0.7)
    apart = share["unclear"] + share[NO_STANCE]
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
        f"{wrap_label(text, 40)}\n(n = {k:.0f} participants)"
        for text, k in zip(data[label], _shown_column(data, "n_participants"), strict=True)
    ]
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.legend(
        handles=[Patch(color=_STANCE_COLOURS[k], label=STANCE_ROLES[k]) for k in _VIEWS],
        ncols=3,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    drawn = np.isfinite(apart) & (apart > 0)
    side.barh(y[drawn], apart[drawn], color=_STANCE_COLOURS["unclear"], height=0.7)
    for yi, a in zip(y[drawn], apart[drawn], strict=True):
        side.text(a + 2, yi, f"{a:.0f}%", va="center", fontsize=8)
    side.set_xlim(0, 100)
    side.set_xticks([0, 50, 100])
    side.set_xlabel("Unclear or none (%)", fontsize=8)
    side.tick_params(axis="y", left=False, labelleft=False)
    side.grid(axis="y", visible=False)
    fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=11, wrap=True)
    fig.supxlabel("Mixed views straddle zero.", fontsize=8, color=style.MUTED)
    _say_left_out(
        fig,
        f"{_plural(dropped, 'row', 'rows')} whose participants are hidden in the table (c: fewer "
        f"than {min_cell}, or protecting such a count) not shown."
        if dropped
        else "",
        blank,
    )
    return fig


def _short_label(label: str) -> str:
    """Return a code label short enough for a panel title ('Rule 3: consent ...' -> 'Rule 3')."""
    head = label.split(":", 1)[0]
    return head if head != label and len(head) <= 12 else label


def stance_grid_figure(
    table: pd.DataFrame, title: str, min_cell: int, ncols: int = 4
) -> Figure | None:
    """Return diverging bars of stance by group, one small panel per code (None if none shown).

    ``table`` is a :func:`~srim_analysis.analyses.qualitative.stance_table` by a grouping, as
    published. In each panel, critical extends left of zero, supportive right and mixed
    straddles zero. A group whose participants are hidden in the table is marked 'c' and
    not drawn; a share the table hides is not drawn; unclear views are left to the tables.
    """
    by = next((g for g in GROUPINGS if g in table.columns), None)
    if by is None or not len(table):
        return None
    data = table[table[by].astype(str) != UNATTRIBUTED_KEY].reset_index(drop=True)
    codes = list(dict.fromkeys(data["code_id"]))
    visible: dict[str, pd.DataFrame] = {}
    hidden: dict[str, set[str]] = {}
    for code in codes:
        rows = data[data["code_id"] == code].reset_index(drop=True)
        keep = _rows_shown(rows, "n_participants")
        visible[code] = rows[keep]
        small = np.array([disclosure.is_suppressed(v) for v in rows["n_participants"]], dtype=bool)
        hidden[code] = set(rows.loc[small, by].astype(str))
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
    blank = 0
    for ax, code in zip(axes, codes, strict=False):
        rows = visible[code]
        ys = np.array([y[str(k)] for k in rows[by]], dtype=float)
        share = {k: _shown_column(rows, f"pct_{k}") for k in _VIEWS}
        blank += int(sum(np.isnan(v).sum() for v in share.values()))
        _diverging_bars(ax, ys, share, 0.72)
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
        ax.set_title(wrap_label(_short_label(label), 22), fontsize=8, loc="center", wrap=True)
    for ax in axes[len(codes) :]:
        ax.set_axis_off()
    for i, ax in enumerate(axes[: len(codes)]):
        if i % ncols:
            ax.tick_params(axis="y", labelleft=False)
    handles = [Patch(color=_STANCE_COLOURS[k], label=STANCE_ROLES[k]) for k in _VIEWS]
    if len(axes) > len(codes):
        axes[len(codes)].legend(handles=handles, loc="center", frameon=False, title="Stance")
    else:
        fig.legend(handles=handles, ncols=3, loc="outside upper right", frameon=False)
    fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=11, wrap=True)
    fig.supxlabel(
        "← critical · % of segments · supportive →\nMixed views straddle zero; unclear "
        "views are in the tables.",
        fontsize=8,
        color=style.MUTED,
    )
    left_out = sum(len(h) for h in hidden.values())
    _say_left_out(
        fig,
        f"c: {_plural(left_out, 'group', 'groups')} whose participants who spoke about a code "
        f"are hidden in the table (fewer than {min_cell}, or protecting such a count) not drawn."
        if left_out
        else "",
        blank,
    )
    return fig


def awareness_figure(
    table: pd.DataFrame, title: str, min_cell: int, labels: Mapping[str, str] = AWARENESS_ROLES
) -> Figure | None:
    """Return 100% stacked bars of awareness per group from a published awareness table.

    A group whose coded participants (``n_coded``) are hidden is left out; a level whose
    share the table hides is left blank (never drawn or labelled); the note under the
    figure says what is left out. ``labels`` names the levels (read, heard, unaware).
    """
    data, dropped = _drawable(table, "n_coded")
    if not len(data):
        return None
    n = len(data)
    fig, ax = style.new_figure("full", max(2.8, 1.6 + 0.32 * n))
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    blank = 0
    for level in AWARENESS_ROLES:
        share = _shown_column(data, f"pct_{level}")
        blank += int(np.isnan(share).sum())
        drawn = share > 0
        ax.barh(
            y[drawn],
            share[drawn],
            left=left[drawn],
            color=_AWARENESS_COLOURS[level],
            label=labels.get(level, level),
            height=0.7,
        )
        for yi, lft, sh in zip(y[drawn], left[drawn], share[drawn], strict=True):
            if sh >= 8:
                colour = "black" if level == "unaware" else "white"
                ax.text(
                    lft + sh / 2,
                    yi,
                    f"{sh:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=colour,
                )
        left += np.nan_to_num(share)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            f"{wrap_label(g, 30)} (n = {k:.0f})"
            for g, k in zip(data["group"], _shown_column(data, "n_coded"), strict=True)
        ],
        fontsize=8,
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of participants whose awareness was coded")
    ax.grid(axis="y", visible=False)
    ax.legend(
        handles=[
            Patch(color=_AWARENESS_COLOURS[k], label=labels.get(k, k)) for k in AWARENESS_ROLES
        ],
        ncols=3,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    ax.set_title(title, pad=22, wrap=True)
    _say_left_out(
        fig,
        f"{_plural(dropped, 'group', 'groups')} whose participants with awareness coded are "
        f"hidden in the table (c: fewer than {min_cell}, or protecting such a count) not shown."
        if dropped
        else "",
        blank,
        "Shares hidden in the table (c) are left blank.",
    )
    return fig


def branch_figure(
    summary: pd.DataFrame, title: str, min_cell: int, highlight: str | None = None
) -> Figure | None:
    """Return horizontal bars of participants per code from a published summary ('c': hidden).

    Every bar is drawn alike, except the code whose label is ``highlight`` (the one the
    section's sentence names, if any) in the house highlight colour.
    """
    if not len(summary):
        return None
    data = summary.reset_index(drop=True)
    n = len(data)
    fig, ax = style.new_figure("full", max(2.2, 1.2 + 0.36 * n))
    y = np.arange(n)[::-1]
    values = _shown_column(data, "n_participants")
    hidden = np.array([disclosure.is_suppressed(v) for v in data["n_participants"]], dtype=bool)
    drawn = np.isfinite(values)
    colours = [
        style.HIGHLIGHT if highlight is not None and str(label) == highlight else style.PALETTE[0]
        for label in data["code_label"]
    ]
    ax.barh(
        y[drawn], values[drawn], color=[c for c, d in zip(colours, drawn, strict=True) if d],
        height=0.7,
    )  # fmt: skip
    for yi, v, h in zip(y, values, hidden, strict=True):
        if h:
            ax.text(0, yi, f" {SUPPRESSION_MARK}", va="center", fontsize=8, color=style.MUTED)
        elif np.isfinite(v):
            ax.text(v, yi, f" {v:.0f}", va="center", fontsize=8, color="black")
    ax.set_yticks(y)
    ax.set_yticklabels([wrap_label(t, 40) for t in data["code_label"]], fontsize=8)
    ax.set_ylim(-0.6, n - 0.4)  # every row inside, the hidden ones' "c" too
    ax.set_xlabel("Participants who raised it")
    ax.grid(axis="y", visible=False)
    ax.set_title(title, wrap=True)
    if hidden.any():
        left_out_note(
            fig,
            f"c: {_plural(int(hidden.sum()), 'count', 'counts')} hidden, as in the table (fewer "
            f"than {min_cell} participants, or one that would let such a count be worked out).",
        )
    return fig


def count_matrix(
    table: pd.DataFrame, value: str, rows: str = "code_label", columns: str = "group"
) -> pd.DataFrame:
    """Return one column of a published tidy table as a rows-by-columns grid of its cells.

    Cells are kept as published (hidden ones stay the suppression mark); a combination
    the table does not have is 0.

    >>> t = pd.DataFrame({"code_label": ["A", "A", "B"], "group": ["x", "y", "x"],
    ...     "n": [7, "c", 9]})
    >>> count_matrix(t, "n").values.tolist()
    [[7, 'c'], [9, 0]]
    """
    row_order = list(dict.fromkeys(table[rows]))
    col_order = list(dict.fromkeys(table[columns]))
    grid = pd.DataFrame(0, index=pd.Index(row_order), columns=pd.Index(col_order), dtype=object)
    for r, c, v in zip(table[rows], table[columns], table[value], strict=True):
        grid.at[r, c] = v
    return grid
