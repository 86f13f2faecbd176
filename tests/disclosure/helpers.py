"""Shared helpers of the disclosure tests: the corpus, hypothesis settings, and an LP checker.

The checker works out, by linear programming and independently of
:mod:`srim_analysis.disclosure.suppression`, whether a hidden count of a one- or two-way
table can be recovered from what the table shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from scipy.optimize import linprog

from srim_analysis.disclosure.redaction import load_identifiers
from srim_analysis.disclosure.suppression import SuppressionPlan

CORPUS = Path(__file__).parent / "corpus"
IDENTIFIERS = load_identifiers(CORPUS / "identifiers.csv")

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# examples that solve many linear programmes each
LP = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------
# Independent checker: linear programming over a two-way (or one-way) table
# --------------------------------------------------------------------------------------


Cell = tuple[int, int]
Line = tuple[list[Cell], Cell]


def table_lines(n_r: int, n_c: int, row_margin: bool, col_margin: bool) -> list[Line]:
    """The additive relations of an n_r x n_c table with its margins in row n_r / column n_c.

    As in the module: when a one-column table shows no total column, its 'row totals' are
    just its cells, so those relations are left out (and likewise for one row).
    """
    lines: list[Line] = []
    if not (n_c == 1 and not col_margin):
        lines += [([(i, j) for j in range(n_c)], (i, n_c)) for i in range(n_r + 1)]
    if not (n_r == 1 and not row_margin):
        lines += [([(i, j) for i in range(n_r)], (n_r, j)) for j in range(n_c + 1)]
    return lines


def lp_ranges(
    ext: np.ndarray, hidden: np.ndarray, lines: list[Line]
) -> dict[Cell, tuple[float, float]]:
    """Min and max of each hidden cell given the shown cells, the relations and x >= 0."""
    cells = [tuple(map(int, c)) for c in zip(*np.nonzero(hidden), strict=True)]
    if not cells:
        return {}
    pos = {cell: k for k, cell in enumerate(cells)}
    a_eq, b_eq = [], []
    for members, total in lines:
        row = np.zeros(len(cells))
        rhs = 0.0
        for cell, w in [*((m, 1.0) for m in members), (total, -1.0)]:
            if hidden[cell]:
                row[pos[cell]] += w
            else:
                rhs -= w * ext[cell]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out = {}
    for cell, k in pos.items():
        if not a_eq:
            out[cell] = (0.0, np.inf)
            continue
        e = np.zeros(len(cells))
        e[k] = 1.0
        value = float(ext[cell])
        hi = linprog(-e, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert hi.status in (0, 3), hi.message
        top = np.inf if hi.status == 3 else -hi.fun
        if top > value + 0.5:  # free already: no need for the minimum
            out[cell] = (value, top)
            continue
        lo = linprog(e, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0, lo.message
        out[cell] = (lo.fun, top)
    return out


def assert_safe(
    ext: np.ndarray,
    hidden: np.ndarray,
    hideable: np.ndarray,
    lines: list[Line],
    min_cell: int,
    unprotectable: set[Cell] = frozenset(),  # type: ignore[assignment]
) -> None:
    """No shown small count; no hidden count pinned down; every hidden small count can reach
    ``min_cell`` (upper protection), except the unprotectable ones (which cannot even with
    everything the table shows hidden)."""
    small = (ext >= 1) & (ext < min_cell)
    assert not (small & hideable & ~hidden).any(), "a small count is shown"
    assert not (hidden & ~hideable).any(), "a cell the table does not show was 'hidden'"
    for cell, (lo, hi) in lp_ranges(ext, hidden, lines).items():
        if cell not in unprotectable:
            assert hi - lo > 0.5, f"hidden cell {cell} = {ext[cell]} is recoverable: [{lo}, {hi}]"
            if small[cell]:
                assert hi >= min_cell - 1e-6, f"hidden small cell {cell} is at most {hi}"
    if unprotectable:  # cannot reach min_cell even with everything the table shows hidden
        everything = lp_ranges(ext, hideable, lines)
        for cell in unprotectable:
            assert hidden[cell], f"{cell} is unprotectable but shown"
            _, hi_all = everything[cell]
            assert hi_all < min_cell - 1e-6, f"{cell} reported unprotectable but is not"


def relation_upper(
    values: dict[object, int],
    shown: set[object],
    relations: list[tuple[list[object], object]],
) -> dict[object, float]:
    """Largest value of each hidden cell given the shown cells, ``sum(members) == total``
    relations and counts >= 0, by linear programming (written here, independent of the engine).

    ``values`` maps every cell (shown or hidden) to its true count; cells not in ``shown`` are
    hidden. Unbounded cells get ``inf``.
    """
    hidden = [c for c in values if c not in shown]
    pos = {c: k for k, c in enumerate(hidden)}
    a_eq, b_eq = [], []
    for members, total in relations:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for cell, w in [*((m, 1.0) for m in members), (total, -1.0)]:
            if cell in pos:
                row[pos[cell]] += w
            else:
                rhs -= w * values[cell]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out: dict[object, float] = {}
    for cell, k in pos.items():
        if not a_eq:
            out[cell] = np.inf
            continue
        e = np.zeros(len(hidden))
        e[k] = -1.0
        res = linprog(e, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert res.status in (0, 3), res.message
        out[cell] = np.inf if res.status == 3 else -res.fun
    return out


def extended_view(table: pd.DataFrame | pd.Series, plan: SuppressionPlan):
    """The table with margins last (shown or not), what is hidden, what could be, relations."""
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    mask = plan.mask.to_frame() if isinstance(plan.mask, pd.Series) else plan.mask
    rows = [i for i, r in enumerate(frame.index) if r != plan.row_total]
    cols = [j for j, c in enumerate(frame.columns) if c != plan.column_total]
    x = frame.to_numpy().astype(int)[np.ix_(rows, cols)]
    n_r, n_c = x.shape
    ext = np.zeros((n_r + 1, n_c + 1))
    ext[:n_r, :n_c] = x
    ext[:n_r, n_c] = x.sum(axis=1)
    ext[n_r, :n_c] = x.sum(axis=0)
    ext[n_r, n_c] = x.sum()
    m = mask.to_numpy()
    rpos = None if plan.row_total is None else frame.index.get_loc(plan.row_total)
    cpos = None if plan.column_total is None else frame.columns.get_loc(plan.column_total)
    row_at, col_at = [*rows, rpos], [*cols, cpos]
    hidden = np.zeros(ext.shape, dtype=bool)
    hideable = np.zeros(ext.shape, dtype=bool)
    for i, r in enumerate(row_at):
        for j, c in enumerate(col_at):
            if r is not None and c is not None:
                hidden[i, j] = m[r, c]
                hideable[i, j] = True
    unprot = set()
    for u in plan.unprotectable:
        r, c = (u, frame.columns[0]) if isinstance(table, pd.Series) else u
        unprot.add((row_at.index(frame.index.get_loc(r)), col_at.index(frame.columns.get_loc(c))))
    lines = table_lines(n_r, n_c, rpos is not None, cpos is not None)
    return ext, hidden, hideable, lines, unprot


# --------------------------------------------------------------------------------------
# Independent checker for tidy tables: cells (row, column), relations given by the test
# --------------------------------------------------------------------------------------

TidyCell = tuple[object, str]


def tidy_values(frame: pd.DataFrame, columns: list[str], table: object = 0) -> dict[object, int]:
    """The true counts of a tidy table, keyed (table, row, column)."""
    return {
        (table, r, c): int(frame[c].iloc[r])
        for c in columns
        for r in range(len(frame))
        if pd.notna(frame[c].iloc[r])
    }


def tidy_hidden(published: pd.DataFrame, columns: list[str], table: object = 0) -> set[object]:
    """The cells a published tidy table shows as 'c', keyed (table, row, column)."""
    return {
        (table, r, c)
        for c in columns
        for r in range(len(published))
        if isinstance(published[c].iloc[r], str) and published[c].iloc[r].strip() == "c"
    }


def assert_tidy_safe(
    values: dict[object, int],
    hidden: set[object],
    relations: list[tuple[list[object], object]],
    min_cell: int,
    allowed: set[object] = frozenset(),  # type: ignore[assignment]
) -> None:
    """No shown small count; every hidden small count can reach ``min_cell`` (by an LP over
    everything published, written here); ``allowed`` lists cells reported unprotectable."""
    for cell, v in values.items():
        if 1 <= v < min_cell and cell not in allowed:
            assert cell in hidden, f"a small count is shown: {cell}"
    shown = set(values) - hidden
    for cell, hi in relation_upper(values, shown, relations).items():
        if 1 <= values[cell] < min_cell and cell not in allowed:
            assert hi >= min_cell - 1e-6, f"hidden small cell {cell} is at most {hi}"
