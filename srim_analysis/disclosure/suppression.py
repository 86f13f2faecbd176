"""Small-cell suppression of published tables of counts, and a checker for tables already written.

* One- and two-way tables of counts, with or without margins: :func:`plan_suppression`,
  :func:`suppression_mask`, :func:`suppress_counts`, :func:`suppress_percentages`,
  :func:`counts_and_percentages`.
* Tidy tables (count columns, percentage and statistic columns, 'Total' rows):
  :func:`count_columns_of`, :func:`publishable`; tables of one population: :class:`LinkedCells`.
* An independent check of a table as published: :func:`check_published_table`.
* What a suppressed cell shows and the note printed under a table: :data:`SUPPRESSION_MARK`,
  :func:`is_suppressed`, :func:`suppression_note`, :data:`DEFAULT_MIN_CELL`.

Safety model
------------
Counts from 1 to ``min_cell - 1`` are replaced by ``"c"``, wherever they are: in the body of
a table or in its totals. Totals a table does not show are assumed to be known to a reader
anyway (published elsewhere, or derivable); totals it does show are cells like any other and
are hidden when small.

The protection rule: for every hidden small count ``x``, the largest value it can take
consistently with everything published (every additive relation, shown cells fixed, counts
>= 0) must be at least ``min_cell``, so a reader cannot confirm that the count is small. In
tau-Argus / sdcTable terms: an upper protection level of ``min_cell - x`` on each primary
cell (no lower or sliding protection), checked on the cell's exact feasibility interval.
Exactness alone (two possible values) is not enough: a hidden 2 known to lie in [0, 3] is
still known to be small.

Relations: in a tidy table all count columns form ONE structure: total rows (nested groups
included), a row-total column (:data:`ROW_TOTAL_COLUMN_NAMES`), declared sums across a row
(``sums=``), and the column totals assumed known. A cell may lie in three or more lines.

Checking a cell: when every cell lies in at most two lines and the lines can be signed into a
bipartite graph (one- and two-way tables with margins, tidy tables with one level of totals),
the largest value is a max-flow (``scipy.sparse.csgraph.maximum_flow``; the matrix is totally
unimodular, so this is exact); otherwise a linear programme (``scipy.optimize.linprog``,
HiGHS) finds a balanced move of the hidden cells that raises the cell to ``min_cell``, tried
first among the cells near it (a move found there is a move of the whole table).

Choosing secondary cells: the line rule (no line with a single hidden cell) first; then, for
each small cell still unprotected, the cheapest balanced perturbation ``y`` with
``y_p = min_cell - x``, counts staying >= 0, cost 0 (almost) on hidden cells and a weight per
unit on shown cells (small non-total cells cheapest, zeros and totals dearest): the network /
fixed-charge relaxation heuristic of tau-Argus (Castro 2006). The cells it moves are hidden.
Last, secondary cells are shown again, largest first, when every small cell still passes
(each keeps a witness move; only the cells whose witness uses the shown cell are checked).

Linked tables: tables of one population in a report share a :class:`LinkedCells`; a cell
shown by one is fixed (not hideable) in the others, and a cell hidden by one is hidden in the
others and must be able to move by ``min_cell - 1`` both ways there.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import maximum_flow

from srim_analysis.disclosure.errors import DisclosureWarning

__all__ = [
    "COUNT_COLUMN_NAMES",
    "DEFAULT_MIN_CELL",
    "ROW_TOTAL_COLUMN_NAMES",
    "SUPPRESSION_MARK",
    "TOTAL_LABELS",
    "LinkedCells",
    "SuppressionPlan",
    "check_published_table",
    "count_columns_of",
    "counts_and_percentages",
    "is_suppressed",
    "plan_suppression",
    "publishable",
    "suppress_counts",
    "suppress_percentages",
    "suppression_mask",
    "suppression_note",
]

DEFAULT_MIN_CELL = 5
"""Smallest count that may be published (counts 1..4 are suppressed)."""

SUPPRESSION_MARK = "c"
"""What a suppressed cell shows (the DfE / ONS convention: 'c' for confidential)."""


def is_suppressed(value: object) -> bool:
    """Return True when a published cell is the suppression mark.

    >>> is_suppressed("c"), is_suppressed(" c "), is_suppressed(3), is_suppressed("cat")
    (True, True, False, False)
    """
    return isinstance(value, str) and value.strip() == SUPPRESSION_MARK


TOTAL_LABELS = frozenset({"all", "total", "totals", "grand total"})
"""Row/column labels (any case) that mark a total, e.g. the ``crosstab(margins=True)`` 'All'."""

COUNT_COLUMN_NAMES = frozenset({"n", "count", "segments", "participants", "cases", "respondents"})
"""Column names that are counts by convention (besides ``n_*``, ``*_n`` and ``*_count``)."""

ROW_TOTAL_COLUMN_NAMES = frozenset({"all", "total", "totals", "n_total", "total_n", "n_all"})
"""Count-column names that hold the total of the other count columns in the same row."""

Totals = bool | Literal["auto"]
Table = pd.DataFrame | pd.Series


def _check_min_cell(min_cell: int) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise ValueError(f"min_cell must be a whole number of at least 1, not {min_cell!r}")
    return int(min_cell)


def _small(values: np.ndarray, min_cell: int) -> np.ndarray:
    return (values >= 1) & (values < min_cell)


def suppression_note(min_cell: int = DEFAULT_MIN_CELL) -> str:
    """Return the sentence to print under a table stating the suppression rule and threshold.

    >>> suppression_note(5)[:57]
    'c = suppressed. Counts from 1 to 4 are not shown (counts '
    >>> suppression_note(2)[:42]
    'c = suppressed. Counts of 1 are not shown '
    """
    min_cell = _check_min_cell(min_cell)
    if min_cell == 1:
        return "No small-cell suppression was applied (threshold 1)."
    small = "Counts of 1" if min_cell == 2 else f"Counts from 1 to {min_cell - 1}"
    return (
        f"{SUPPRESSION_MARK} = suppressed. {small} are not shown (counts of {min_cell} or "
        f"more are), and further cells are hidden where needed so that no hidden count can be "
        f"worked out from the totals; percentages based on a hidden count are hidden too."
    )


# --------------------------------------------------------------------------------------
# Suppression engine: cells, lines with known totals, and an exact recoverability test
# --------------------------------------------------------------------------------------


def _lp_ranges(
    a_eq: np.ndarray, b_eq: np.ndarray, n_vars: int, which: Iterable[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (min, max) of each variable subject to a_eq @ x = b_eq, x >= 0 (inf if unbounded).

    Only the variables in ``which`` (default all) are solved for; the others get (0, inf).
    Raises ValueError if the constraints are infeasible.
    """
    lo = np.zeros(n_vars)
    hi = np.full(n_vars, np.inf)
    if n_vars == 0 or a_eq.size == 0:
        return lo, hi
    for i in range(n_vars) if which is None else which:
        for sign in (1.0, -1.0):
            c = np.zeros(n_vars)
            c[i] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 2:
                raise ValueError("the totals are inconsistent with the published cells")
            if res.status == 3:  # unbounded
                if sign < 0:
                    hi[i] = np.inf
                continue
            if res.status != 0:
                raise RuntimeError(f"linear programme failed: {res.message}")
            if sign > 0:
                lo[i] = res.fun
            else:
                hi[i] = -res.fun
    return lo, hi


def _ranges_free(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return True where [lo, hi] holds at least two whole numbers (value not pinned down)."""
    eps = 1e-6
    with np.errstate(invalid="ignore"):
        n_int = np.floor(hi + eps) - np.ceil(lo - eps)
    return np.isinf(hi) | (n_int >= 1)


class _Line(NamedTuple):
    """One additive relation: the members add up to the total (all are cell indices)."""

    members: tuple[int, ...]
    total: int


class _Structure:
    """Cells (counts >= 0) tied by additive lines ``sum(members) == total``.

    Cells that are not ``hideable`` are always shown (e.g. a total that the table does not
    carry but that is assumed known elsewhere). The exact recoverability test: a hidden cell
    can change, with every shown cell fixed, every line still adding up and every count
    non-negative, exactly when the LP min and max of its value differ.

    When every cell lies in at most two lines and signs can be given so that every line reads
    ``sum(w) == 0`` with ``w = +count`` or ``w = -count`` (one- and two-way tables with their
    margins, tidy tables with totals on up to two label columns), this is a reachability test
    on a small directed graph: lines are nodes, a hidden cell is an edge that can be moved up
    or down (a count at zero cannot go down), and the cell can change exactly when one of its
    moves closes a directed cycle through other hidden cells (the constraint matrix is then
    totally unimodular, so this agrees with the LP). Otherwise linear programming is used.
    """

    def __init__(
        self, values: np.ndarray, lines: Sequence[_Line], hideable: np.ndarray | None = None
    ) -> None:
        self.values = np.asarray(values, dtype=np.int64)
        self.n = int(self.values.size)
        self.lines = list(lines)
        self.hideable = (
            np.ones(self.n, dtype=bool) if hideable is None else np.asarray(hideable, dtype=bool)
        )
        # cells of each line, and (line, role) of each cell: role +1 member, -1 total
        self.line_cells = [np.array([*ln.members, ln.total], dtype=np.intp) for ln in self.lines]
        self.cell_lines: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        for li, ln in enumerate(self.lines):
            for m in ln.members:
                self.cell_lines[m].append((li, 1))
            self.cell_lines[ln.total].append((li, -1))
        self._graph = self._signed_bipartite()
        self._incidence: sparse.csr_matrix | None = None

    def _signed_bipartite(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Return (sign, side-0 line, side-1 line) per cell, or None if the graph test fails."""
        if any(len(cl) > 2 for cl in self.cell_lines):
            return None
        n_lines = len(self.lines)
        line_sign = [0] * n_lines
        line_side = [-1] * n_lines
        for start in range(n_lines):
            if line_sign[start]:
                continue
            line_sign[start], line_side[start] = 1, 0
            queue = [start]
            while queue:
                li = queue.pop()
                cells = self.line_cells[li]
                for c in cells.tolist():
                    role = next(r for lj, r in self.cell_lines[c] if lj == li)
                    for lj, other in self.cell_lines[c]:
                        if lj == li:
                            continue
                        sign = line_sign[li] * role * other
                        if line_sign[lj] == 0:
                            line_sign[lj], line_side[lj] = sign, 1 - line_side[li]
                            queue.append(lj)
                        elif line_sign[lj] != sign or line_side[lj] == line_side[li]:
                            return None
        z = n_lines
        sign = np.ones(self.n, dtype=np.int64)
        end0 = np.full(self.n, z, dtype=np.intp)
        end1 = np.full(self.n, z, dtype=np.intp)
        for c, cl in enumerate(self.cell_lines):
            for li, role in cl:
                sign[c] = line_sign[li] * role
                if line_side[li] == 0:
                    end0[c] = li
                else:
                    end1[c] = li
        return sign, end0, end1

    def free(
        self,
        hidden: np.ndarray,
        only: np.ndarray | None = None,
        witness: dict[int, frozenset[int]] | None = None,
    ) -> np.ndarray:
        """Return True for hidden cells whose value cannot be worked out exactly.

        ``only`` (a boolean mask) limits which hidden cells are examined; the others are
        reported False. ``witness``, when given, receives for each free cell found by the
        graph test the hidden cells of the cycle that frees it (it stays free while they
        stay hidden); the linear-programming route records nothing.
        """
        out = np.zeros(self.n, dtype=bool)
        idx = np.flatnonzero(hidden)
        if idx.size == 0:
            return out
        if self._graph is not None:
            sign, end0, end1 = self._graph
            a, b = end0[idx].tolist(), end1[idx].tolist()
            positive = (self.values[idx] > 0).tolist()
            plus = (sign[idx] > 0).tolist()
            # moving w = sign * count up (a -> b) or down (b -> a); a count of 0 cannot fall
            up = [p or pos for p, pos in zip(plus, positive, strict=True)]
            down = [(not p) or pos for p, pos in zip(plus, positive, strict=True)]
            adj: list[list[tuple[int, int]]] = [[] for _ in range(len(self.lines) + 1)]
            for k in range(idx.size):
                if up[k]:
                    adj[a[k]].append((b[k], k))
                if down[k]:
                    adj[b[k]].append((a[k], k))

            cells = idx.tolist()

            def path(src: int, dst: int, skip: int) -> frozenset[int] | None:
                """Return the cells of a path src -> dst not using cell ``skip``, or None."""
                came: dict[int, tuple[int, int]] = {src: (-1, -1)}
                stack = [src]
                while stack:
                    node = stack.pop()
                    for nxt, owner in adj[node]:
                        if owner == skip or nxt in came:
                            continue
                        came[nxt] = (node, owner)
                        if nxt == dst:
                            used = set()
                            while nxt != src:
                                nxt, owner = came[nxt]
                                used.add(cells[owner])
                            return frozenset(used)
                        stack.append(nxt)
                return None

            for k, c in enumerate(cells):
                if only is not None and not only[c]:
                    continue
                # a move of this cell must be balanced by a cycle of moves of other cells
                if a[k] == b[k]:  # a cell in no line
                    out[c] = True
                    if witness is not None:
                        witness[c] = frozenset({c})
                    continue
                cycle = (path(b[k], a[k], k) if up[k] else None) or (
                    path(a[k], b[k], k) if down[k] else None
                )
                out[c] = cycle is not None
                if witness is not None and cycle is not None:
                    witness[c] = cycle | {c}
            return out
        col = {c: i for i, c in enumerate(idx.tolist())}
        rows, rhs = [], []
        for ln in self.lines:
            coeffs = [(m, 1.0) for m in ln.members] + [(ln.total, -1.0)]
            if not any(hidden[c] for c, _ in coeffs):
                continue
            row = np.zeros(idx.size)
            const = 0.0
            for c, w in coeffs:
                if hidden[c]:
                    row[col[c]] += w
                else:
                    const -= w * float(self.values[c])
            rows.append(row)
            rhs.append(const)
        a_eq = np.array(rows) if rows else np.zeros((0, idx.size))
        which = None if only is None else [i for i, c in enumerate(idx) if only[c]]
        lo, hi = _lp_ranges(a_eq, np.array(rhs), idx.size, which)
        out[idx] = _ranges_free(lo, hi)
        if only is not None:
            out &= only
        return out

    def incidence(self) -> sparse.csr_matrix:
        """Return the lines x cells matrix of the relations (+1 member, -1 total)."""
        if self._incidence is None:
            rows, cols, data = [], [], []
            for li, ln in enumerate(self.lines):
                for m in ln.members:
                    rows.append(li)
                    cols.append(m)
                    data.append(1.0)
                rows.append(li)
                cols.append(ln.total)
                data.append(-1.0)
            self._incidence = sparse.coo_matrix(
                (data, (rows, cols)), shape=(len(self.lines), self.n)
            ).tocsr()
        return self._incidence

    def lift(
        self,
        p: int,
        target: float,
        hidden: np.ndarray,
        weights: np.ndarray | None = None,
        near: np.ndarray | None = None,
    ) -> frozenset[int] | None:
        """Return the cells of a cheapest balanced move raising cell ``p`` by ``target``, or None.

        ``near`` (a mask) limits the cells that may move (a move found among fewer cells is
        a move of the whole structure: the others stay put).
        The move keeps every line adding up and every count >= 0 and leaves shown cells
        where they are; with ``weights`` (a cost per unit for each shown hideable cell) shown
        cells may move too, at that cost (hidden cells move almost free): the cells it moves
        are the ones to hide so that ``p`` may be ``target`` higher than it is (the network,
        or fixed-charge relaxation, heuristic of tau-Argus; Castro 2006). None: no such move.
        """
        movable = hidden.copy()
        if weights is not None:
            movable |= self.hideable
        if near is not None:
            movable &= near
        movable[p] = True
        cand = np.flatnonzero(movable)
        k = cand.size
        a = self.incidence()[:, cand]
        used = np.flatnonzero(np.diff(a.indptr) > 0)
        at = int(np.searchsorted(cand, p))
        if used.size == 0 or not self.cell_lines[p]:
            return frozenset({p})  # a cell in no line can take any value
        a = a[used]
        a_eq = sparse.hstack([a, -a]).tocsr()
        cost = np.full(2 * k, 1e-3)
        if weights is not None:
            shown = ~hidden[cand]
            cost[:k][shown] = weights[cand][shown]
            cost[k:][shown] = weights[cand][shown]
        lower = np.zeros(2 * k)
        upper = np.concatenate([np.full(k, np.inf), self.values[cand].astype(float)])
        if target >= 0:  # y+ of p fixed at target, y- at 0
            lower[at] = upper[at] = float(target)
            upper[k + at] = 0.0
        else:  # a fall: y- of p fixed at -target (at most its value), y+ at 0
            if -target > self.values[p]:
                return None
            lower[k + at] = upper[k + at] = float(-target)
            upper[at] = 0.0
        res = linprog(
            cost,
            A_eq=a_eq,
            b_eq=np.zeros(a_eq.shape[0]),
            bounds=np.column_stack([lower, upper]),
            method="highs",
        )
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"linear programme failed: {res.message}")
        moved = (res.x[:k] + res.x[k:]) > 1e-7
        return frozenset(int(c) for c in cand[moved])

    def flow_lift(
        self, p: int, hidden: np.ndarray, cap: int, *, fall: bool = False
    ) -> tuple[int, frozenset[int]]:
        """Return how far cell ``p`` can rise (at most ``cap``) and the cells moved, by max-flow.

        Exact on graph structures only (see the class docstring): a rise of ``p`` is a flow
        around the graph through the other hidden cells, each of which can rise without
        bound and fall by at most its value.
        """
        assert self._graph is not None
        sign, end0, end1 = self._graph
        if end0[p] == end1[p]:
            return cap, frozenset({p})
        idx = np.flatnonzero(hidden)
        idx = idx[(idx != p) & (end0[idx] != end1[idx])]
        vals = np.minimum(self.values[idx], cap)
        inf = np.full(idx.size, cap)
        plus = sign[idx] > 0
        # w = sign * count moves "up" end0 -> end1 and "down" end1 -> end0
        src = np.concatenate([end0[idx], end1[idx]])
        dst = np.concatenate([end1[idx], end0[idx]])
        caps = np.concatenate([np.where(plus, inf, vals), np.where(plus, vals, inf)])
        n_nodes = len(self.lines) + 1
        keep = caps > 0
        graph = sparse.coo_matrix(
            (caps[keep].astype(np.int32), (src[keep], dst[keep])), shape=(n_nodes, n_nodes)
        ).tocsr()
        # p rising moves w_p up (end0 -> end1) if sign +1: the flow must come back end1 -> end0
        s, t = (int(end1[p]), int(end0[p])) if sign[p] > 0 else (int(end0[p]), int(end1[p]))
        if fall:  # p falling: the flow goes the other way round
            s, t = t, s
        res = maximum_flow(graph, s, t)
        cells = {p}
        if idx.size:  # the cells on an edge that carries flow, either way (one lookup)
            flow = res.flow.tocsr()
            a, b = end0[idx], end1[idx]
            carrying = (np.asarray(flow[a, b]).ravel() > 0) | (np.asarray(flow[b, a]).ravel() > 0)
            cells.update(idx[carrying].tolist())
        return min(int(res.flow_value), cap), frozenset(cells)

    def upper(self, hidden: np.ndarray, cells: Iterable[int], method: str = "auto") -> np.ndarray:
        """Return the largest value each listed hidden cell can take given what is shown.

        ``method``: 'lp' (linear programming), 'flow' (max-flow, graph structures only) or
        'auto' (max-flow where it is exact). Unbounded cells get ``inf``.
        """
        cells = list(cells)
        out = np.full(len(cells), np.inf)
        use_flow = method == "flow" or (method == "auto" and self._graph is not None)
        if use_flow:
            cap = int(min(self.values.sum() + 1, 2**30))
            for i, c in enumerate(cells):
                rise, _ = self.flow_lift(c, hidden, cap)
                out[i] = np.inf if rise >= cap else float(self.values[c] + rise)
            return out
        idx = np.flatnonzero(hidden)
        a = self.incidence()[:, idx]
        fixed = self.incidence()[:, np.flatnonzero(~hidden)] @ self.values[~hidden]
        used = np.flatnonzero(np.diff(a.indptr) > 0)
        a, rhs = a[used], -fixed[used]
        pos = {int(c): i for i, c in enumerate(idx)}
        for i, c in enumerate(cells):
            cost = np.zeros(idx.size)
            cost[pos[c]] = -1.0
            if used.size == 0:
                continue
            res = linprog(cost, A_eq=a, b_eq=rhs, bounds=(0, None), method="highs")
            if res.status == 3:
                continue
            if res.status != 0:
                raise RuntimeError(f"linear programme failed: {res.message}")
            out[i] = -res.fun
        return out

    def near(self, p: int, radius: int) -> np.ndarray | None:
        """Return the cells within ``radius`` lines of cell ``p`` (None: that is most cells)."""
        mask = np.zeros(self.n, dtype=bool)
        mask[p] = True
        frontier = [p]
        seen_lines: set[int] = set()
        for _ in range(radius):
            nxt: list[int] = []
            for c in frontier:
                for li, _role in self.cell_lines[c]:
                    if li in seen_lines:
                        continue
                    seen_lines.add(li)
                    cells = self.line_cells[li]
                    new = cells[~mask[cells]]
                    mask[new] = True
                    nxt.extend(new.tolist())
            frontier = nxt
            if mask.sum() * 4 > self.n:
                return None
        return mask

    def local_lift(
        self, p: int, target: int, hidden: np.ndarray, weights: np.ndarray | None = None
    ) -> frozenset[int] | None:
        """Return :meth:`lift` tried first among the cells near ``p``, then everywhere."""
        for radius in (2,):  # a cycle needs cells two lines away; 1 almost never does
            near = self.near(p, radius)
            if near is None:
                break
            found = self.lift(p, target, hidden, weights, near)
            if found is not None:
                return found
        return self.lift(p, target, hidden, weights)

    def protected(self, p: int, target: int, hidden: np.ndarray) -> frozenset[int] | None:
        """Return a witness (the cells that move) if hidden cell ``p`` can move by ``target``."""
        if self._graph is not None:
            if target < 0 and -target > self.values[p]:
                return None
            rise, cells = self.flow_lift(p, hidden, abs(target), fall=target < 0)
            return cells if rise >= abs(target) else None
        return self.local_lift(p, target, hidden)

    def plan(
        self,
        min_cell: int,
        is_total: np.ndarray | None = None,
        forced: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (hidden, primary, unprotectable) boolean arrays over the cells.

        The rule: every hidden small count ``x`` must be able to reach ``min_cell`` (upper
        protection level ``min_cell - x``) given everything shown. ``is_total`` marks
        totals (dearer to hide); ``forced`` marks cells that must be hidden (hidden
        elsewhere). Cells are added by the line rule, then by the cheapest balanced move
        (:meth:`lift`) for each small cell still unprotected; then cells not needed are shown
        again.
        """
        values = self.values
        total = np.zeros(self.n, dtype=bool) if is_total is None else np.asarray(is_total)
        primary = self.hideable & _small(values, min_cell)
        hidden = primary.copy()
        if forced is not None:
            hidden |= np.asarray(forced, dtype=bool) & self.hideable
        keep = hidden.copy()
        eligible = self.hideable & (values > 0)

        def closes(c: int, line: int) -> bool:
            return any(
                li != line and int(hidden[self.line_cells[li]].sum()) == 1
                for li, _ in self.cell_lines[c]
            )

        def cost(c: int) -> tuple[bool, bool, int]:
            return (bool(total[c]), bool(values[c] == 0), int(values[c]))

        changed = True
        while changed:  # the line rule: no line with exactly one hidden cell
            changed = False
            for li, cells in enumerate(self.line_cells):
                if int(hidden[cells].sum()) != 1:
                    continue
                candidates = [int(c) for c in cells if not hidden[c] and eligible[c]]
                if not candidates:
                    continue
                best = min(candidates, key=lambda c, li=li: (*cost(c), not closes(c, li), c))
                hidden[best] = True
                changed = True

        # per unit moved: small non-total cells are cheapest, zeros and totals dear
        weights = (1.0 + values) * np.where(total, 10.0, 1.0) * np.where(values == 0, 3.0, 1.0)
        # what must be possible: each small count rises to min_cell; a cell hidden by another
        # table of the population moves both ways by up to min_cell - 1 (so the other table's
        # protection, which moved it, still holds here)
        needs = [(p, int(min_cell - values[p])) for p in np.flatnonzero(primary).tolist()]
        if forced is not None:
            for f in np.flatnonzero(np.asarray(forced) & self.hideable & ~primary).tolist():
                needs.append((f, min_cell - 1))
                if values[f] > 0:
                    needs.append((f, -int(min(values[f], min_cell - 1))))
        unprotectable = np.zeros(self.n, dtype=bool)
        witness: dict[tuple[int, int], frozenset[int]] = {}
        for p, move in needs:
            found = self.protected(p, move, hidden)
            if found is None:
                found = self.local_lift(p, move, hidden, weights)
                if found is None and primary[p]:
                    # cannot reach min_cell: at least keep it from being worked out exactly
                    unprotectable[p] = True
                    for move in (1, -1):
                        found = self.protected(p, move, hidden) or self.local_lift(
                            p, move, hidden, weights
                        )
                        if found is not None:
                            break
                if found is None:
                    continue
                hidden[list(found)] = True
            witness[(p, move)] = found
        # Show again any hidden cell the small ones do not need: totals first, then the
        # largest counts. Showing c can only unprotect the cells whose witness moves c.
        order = sorted(
            np.flatnonzero(hidden & ~keep).tolist(),
            key=lambda c: (not total[c], -values[c], -c),
        )
        for c in order:
            hidden[c] = False
            redone: dict[tuple[int, int], frozenset[int]] = {}
            for (p, move), cells in witness.items():
                if c in cells:
                    again = self.protected(p, move, hidden)
                    if again is None:
                        hidden[c] = True
                        break
                    redone[(p, move)] = again
            if not hidden[c]:
                witness.update(redone)
        # A hidden non-small cell that no witness moves and the totals pin down protects
        # nothing: show it.
        moving = set().union(*witness.values()) if witness else set()
        extra = hidden & ~keep
        extra[list(moving)] = False
        if extra.any():
            hidden &= ~extra | self.free(hidden, only=extra)
        return hidden, primary, unprotectable


# --------------------------------------------------------------------------------------
# One- and two-way tables of counts
# --------------------------------------------------------------------------------------


def _is_total_label(label: object) -> bool:
    if isinstance(label, tuple):
        return any(_is_total_label(part) for part in label)
    return isinstance(label, str) and label.strip().casefold() in TOTAL_LABELS


def _margin_position(labels: pd.Index, totals: Totals, axis: str) -> int | None:
    if totals is False:
        return None
    if totals is True:
        if len(labels) < 2:
            raise ValueError(f"totals=True but the {axis} has no cells besides the total")
        return len(labels) - 1
    if totals != "auto":
        raise ValueError(f"totals must be True, False or 'auto', not {totals!r}")
    found = [i for i, label in enumerate(labels) if _is_total_label(label)]
    if len(found) > 1:
        raise ValueError(
            f"more than one total {axis} ({[labels[i] for i in found]}); "
            "pass one table per set of totals"
        )
    return found[0] if found else None


def _to_counts(frame: pd.DataFrame | pd.Series, what: str) -> np.ndarray:
    try:
        arr = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{what} must hold numbers only (is it already suppressed, with '{SUPPRESSION_MARK}'"
            " marks?)"
        ) from exc
    if np.isnan(arr).any():
        raise ValueError(f"{what} has missing values; counts must be whole numbers >= 0")
    if (arr < 0).any() or not np.all(arr == np.round(arr)):
        raise ValueError(f"{what} must hold whole numbers >= 0 (counts)")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class SuppressionPlan:
    """Which cells of a table to hide, and why (returned by :func:`plan_suppression`)."""

    mask: pd.DataFrame | pd.Series
    primary: pd.DataFrame | pd.Series
    secondary: pd.DataFrame | pd.Series
    unprotectable: tuple[Hashable, ...]
    min_cell: int
    row_total: Hashable | None = None
    column_total: Hashable | None = None
    # Extended arrays: interior cells plus (real or virtual) margins in the last row/column.
    _ext_values: np.ndarray = field(default_factory=lambda: np.zeros((1, 1)), repr=False)
    _ext_mask: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), bool), repr=False)
    _row_pos: tuple[int, ...] = field(default=(), repr=False)
    _col_pos: tuple[int, ...] = field(default=(), repr=False)


def plan_suppression(
    table: Table, min_cell: int = DEFAULT_MIN_CELL, totals: Totals = "auto"
) -> SuppressionPlan:
    """Return the :class:`SuppressionPlan` (masks of hidden cells) for a table of counts.

    ``table`` is a one-way table (a Series, or a one-column/one-row DataFrame) or a two-way
    contingency table, optionally with margins. ``totals='auto'`` finds margins labelled
    'All'/'Total'; ``True`` means the last row and column (last element of a Series) are
    totals; ``False`` means no margins are shown.

    Margins shown in the table are cells like any other: a small one is hidden, and hidden
    margins are protected too. Margins *not* shown are assumed known (published elsewhere);
    a small count that such a total gives away is listed in ``unprotectable`` with a
    :class:`DisclosureWarning`.
    """
    min_cell = _check_min_cell(min_cell)
    is_series = isinstance(table, pd.Series)
    if not is_series and not isinstance(table, pd.DataFrame):
        raise TypeError("table must be a pandas DataFrame or Series")
    frame = table.to_frame() if is_series else table
    rpos = _margin_position(frame.index, totals, "row")
    cpos = None if is_series else _margin_position(frame.columns, totals, "column")
    rows = [i for i in range(frame.shape[0]) if i != rpos]
    cols = [j for j in range(frame.shape[1]) if j != cpos]
    full = _to_counts(frame, "the table")
    x = full[np.ix_(rows, cols)]
    n_r, n_c = x.shape
    # consistency of the margins that are shown
    if rpos is not None and not np.array_equal(full[rpos, cols], x.sum(axis=0)):
        raise ValueError(
            "the total row does not equal the sum of the rows; pass totals=False if it is not "
            "a plain total"
        )
    if cpos is not None and not np.array_equal(full[rows, cpos], x.sum(axis=1)):
        raise ValueError(
            "the total column does not equal the sum of the columns; pass totals=False if it is "
            "not a plain total"
        )
    if rpos is not None and cpos is not None and full[rpos, cpos] != x.sum():
        raise ValueError("the grand total does not equal the sum of the cells")

    # The table with its margins, shown or not: (n_r + 1) x (n_c + 1), margins last.
    ext_values = np.zeros((n_r + 1, n_c + 1), dtype=np.int64)
    ext_values[:n_r, :n_c] = x
    ext_values[:n_r, n_c] = x.sum(axis=1)
    ext_values[n_r, :n_c] = x.sum(axis=0)
    ext_values[n_r, n_c] = x.sum()
    shown_margin = np.zeros((n_r + 1, n_c + 1), dtype=bool)
    shown_margin[:n_r, n_c] = cpos is not None
    shown_margin[n_r, :n_c] = rpos is not None
    shown_margin[n_r, n_c] = rpos is not None and cpos is not None
    hideable = shown_margin.copy()
    hideable[:n_r, :n_c] = True
    is_total = np.ones_like(hideable)
    is_total[:n_r, :n_c] = False
    idx = np.arange(ext_values.size).reshape(n_r + 1, n_c + 1)
    lines: list[_Line] = []
    # Totals not shown are known (published elsewhere); but in a one-row table the column
    # totals are the cells themselves, so they are not treated as known (and vice versa).
    if x.size and not (n_c == 1 and cpos is None):
        lines += [_Line(tuple(idx[i, :n_c]), int(idx[i, n_c])) for i in range(n_r + 1)]
    if x.size and not (n_r == 1 and rpos is None):
        lines += [_Line(tuple(idx[:n_r, j]), int(idx[n_r, j])) for j in range(n_c + 1)]
    structure = _Structure(ext_values.reshape(-1), lines, hideable.reshape(-1))
    hidden, _, unprotectable = structure.plan(min_cell, is_total.reshape(-1))
    ext_hidden = hidden.reshape(n_r + 1, n_c + 1)
    # for percentages: a margin not shown but small counts as hidden
    ext_mask = ext_hidden | (~hideable & _small(ext_values, min_cell))
    h = ext_hidden[:n_r, :n_c]

    mask_arr = np.zeros(full.shape, dtype=bool)
    mask_arr[np.ix_(rows, cols)] = h
    if cpos is not None:
        mask_arr[rows, cpos] = ext_hidden[:n_r, n_c]
    if rpos is not None:
        mask_arr[rpos, cols] = ext_hidden[n_r, :n_c]
    if rpos is not None and cpos is not None:
        mask_arr[rpos, cpos] = ext_hidden[n_r, n_c]
    primary_arr = _small(full, min_cell)

    def wrap(arr: np.ndarray) -> pd.DataFrame | pd.Series:
        if is_series:
            return pd.Series(arr[:, 0], index=table.index, name=table.name, dtype=bool)
        return pd.DataFrame(arr, index=table.index, columns=table.columns, dtype=bool)

    row_at = [*rows, rpos]
    col_at = [*cols, cpos]
    labels: list[Hashable] = []
    for c in np.flatnonzero(unprotectable):
        i, j = divmod(int(c), n_c + 1)
        r_label = frame.index[row_at[i]]
        labels.append(r_label if is_series else (r_label, frame.columns[col_at[j]]))
    if labels:
        warnings.warn(
            f"{len(labels)} small count(s) can be worked out from totals that this table does "
            f"not show but that are assumed published: {labels}. Show the totals in the table "
            "(so they can be suppressed too), merge categories, or make sure those totals are "
            "published nowhere.",
            DisclosureWarning,
            stacklevel=3,
        )
    return SuppressionPlan(
        mask=wrap(mask_arr),
        primary=wrap(primary_arr),
        secondary=wrap(mask_arr & ~primary_arr),
        unprotectable=tuple(labels),
        min_cell=min_cell,
        row_total=None if rpos is None else frame.index[rpos],
        column_total=None if cpos is None else frame.columns[cpos],
        _ext_values=ext_values,
        _ext_mask=ext_mask,
        _row_pos=tuple(rows) + ((rpos,) if rpos is not None else ()),
        _col_pos=tuple(cols) + ((cpos,) if cpos is not None else ()),
    )


def suppression_mask(
    table: Table, min_cell: int = DEFAULT_MIN_CELL, totals: Totals = "auto"
) -> pd.DataFrame | pd.Series:
    """Return a boolean mask shaped like ``table``: True where a count must be hidden.

    >>> suppression_mask(pd.Series([3, 10, 12]), 5).tolist()
    [True, True, False]
    """
    return plan_suppression(table, min_cell, totals).mask


def _apply_mask(values: Table, mask: Table) -> Table:
    out = values.astype(object).copy()
    arr = out.to_numpy(copy=True)
    marr = np.asarray(mask.to_numpy(), dtype=bool)
    for pos in zip(*np.nonzero(~marr), strict=True):
        v = arr[pos]
        if isinstance(v, np.integer) or (
            isinstance(v, float | np.floating) and float(v).is_integer()
        ):
            arr[pos] = int(v)
    arr[marr] = SUPPRESSION_MARK
    if isinstance(out, pd.Series):
        return pd.Series(arr, index=out.index, name=out.name, dtype=object)
    return pd.DataFrame(arr, index=out.index, columns=out.columns, dtype=object)


def suppress_counts(
    table: Table, min_cell: int = DEFAULT_MIN_CELL, totals: Totals = "auto"
) -> pd.DataFrame | pd.Series:
    """Return an object-dtype copy of a table of counts with hidden cells shown as ``"c"``.

    Counts 1..min_cell-1 are hidden (primary suppression), then further cells (secondary
    suppression) so that no hidden count can be recovered from the row/column totals; a total
    that is itself small is hidden too. Zeros are shown. Other cells become Python ints.

    >>> suppress_counts(pd.Series([3, 10, 12, 25], index=["a", "b", "c", "Total"])).tolist()
    ['c', 'c', 12, 25]
    """
    plan = plan_suppression(table, min_cell, totals)
    return _apply_mask(table, plan.mask)


def suppress_percentages(
    counts: Table,
    percents: Table,
    min_cell: int = DEFAULT_MIN_CELL,
    *,
    totals: Totals = "auto",
    normalize: Literal["index", "columns", "all"] | None = None,
) -> pd.DataFrame | pd.Series:
    """Return an object-dtype copy of ``percents`` with ``"c"`` where its count is hidden.

    A percentage is hidden when its numerator (the count in the same cell of ``counts``) or its
    denominator is hidden. ``normalize`` says what the denominator is, as in
    ``pd.crosstab``: 'index' (row totals), 'columns' (column totals) or 'all' (grand total).
    ``None`` hides a percentage when any of the three is hidden. ``percents`` must use the
    labels of ``counts`` (it may add a total row/column labelled as in ``counts`` or 'All').
    """
    plan = plan_suppression(counts, min_cell, totals)
    is_series = isinstance(counts, pd.Series)
    frame = counts.to_frame() if is_series else counts
    pframe = percents.to_frame() if isinstance(percents, pd.Series) else percents
    ext = plan._ext_mask
    n_r, n_c = ext.shape[0] - 1, ext.shape[1] - 1
    row_of = {frame.index[p]: k for k, p in enumerate(plan._row_pos[:n_r])}
    col_of = {frame.columns[p]: k for k, p in enumerate(plan._col_pos[:n_c])}
    row_of[plan.row_total if plan.row_total is not None else "All"] = n_r
    col_of[plan.column_total if plan.column_total is not None else "All"] = n_c
    if is_series:
        col_of = {label: 0 for label in pframe.columns}
    if normalize not in (None, "index", "columns", "all"):
        raise ValueError("normalize must be 'index', 'columns', 'all' or None")
    out_mask = np.zeros(pframe.shape, dtype=bool)
    for i, r in enumerate(pframe.index):
        for j, c in enumerate(pframe.columns):
            if r not in row_of or c not in col_of:
                raise ValueError(f"percentages cell ({r!r}, {c!r}) has no count in `counts`")
            ri, cj = row_of[r], col_of[c]
            hide = bool(ext[ri, cj])
            if is_series:
                hide |= bool(ext[n_r, 0])
            else:
                if normalize in (None, "index"):
                    hide |= bool(ext[ri, n_c])
                if normalize in (None, "columns"):
                    hide |= bool(ext[n_r, cj])
                if normalize in (None, "all"):
                    hide |= bool(ext[n_r, n_c])
            out_mask[i, j] = hide
    if isinstance(percents, pd.Series):
        mask: Table = pd.Series(out_mask[:, 0], index=percents.index)
    else:
        mask = pd.DataFrame(out_mask, index=percents.index, columns=percents.columns)
    out = percents.astype(object).copy()
    out[mask] = SUPPRESSION_MARK
    return out


def counts_and_percentages(
    table: Table,
    min_cell: int = DEFAULT_MIN_CELL,
    *,
    totals: Totals = "auto",
    normalize: Literal["index", "columns", "all"] = "columns",
    decimals: int = 1,
) -> pd.DataFrame:
    """Return a publishable table of counts ``n`` and percentages ``pct`` with small cells hidden.

    A Series gives columns ``n`` and ``pct`` (percent of the total); a DataFrame gives
    two-level columns ``(column, 'n')`` and ``(column, 'pct')``, percentages taken along
    ``normalize``.

    >>> counts_and_percentages(pd.Series([3, 10, 12], index=list("abc"))).to_dict("list")
    {'n': ['c', 'c', 12], 'pct': ['c', 'c', 48.0]}
    """
    plan = plan_suppression(table, min_cell, totals)
    counts = _apply_mask(table, plan.mask)
    ext = plan._ext_values.astype(float)
    n_r, n_c = ext.shape[0] - 1, ext.shape[1] - 1
    is_series = isinstance(table, pd.Series)
    frame = table.to_frame() if is_series else table
    pct = np.full(frame.shape, np.nan)
    for k, p in enumerate(plan._row_pos):
        for m, q in enumerate(plan._col_pos):
            if is_series or normalize == "columns":
                denom = ext[n_r, m]
            elif normalize == "index":
                denom = ext[k, n_c]
            else:
                denom = ext[n_r, n_c]
            pct[p, q] = np.nan if denom == 0 else round(100.0 * ext[k, m] / denom, decimals)
    if is_series:
        pct_table: Table = pd.Series(pct[:, 0], index=table.index)
    else:
        pct_table = pd.DataFrame(pct, index=table.index, columns=table.columns)
    pct_out = suppress_percentages(
        table, pct_table, min_cell, totals=totals, normalize=None if is_series else normalize
    )
    if is_series:
        return pd.DataFrame({"n": counts, "pct": pct_out})
    parts = {}
    for col in table.columns:
        parts[(col, "n")] = counts[col]
        parts[(col, "pct")] = pct_out[col]
    return pd.DataFrame(parts, index=table.index)


# --------------------------------------------------------------------------------------
# Tidy tables: count columns, percent columns, total rows
# --------------------------------------------------------------------------------------

_PERCENT_PREFIXES = ("pct_", "prop_", "rate_", "percent_")
_PERCENT_SUFFIXES = ("_pct", "_prop", "_rate", "_percent")
_PERCENT_NAMES = frozenset({"pct", "percent", "prop", "proportion", "rate"})
# summary statistics of a group: hidden with its counts (a mean of three people discloses)
_STAT_PREFIXES = ("mean_", "median_", "avg_", "average_", "sd_", "std_", "min_", "max_", "iqr_")
_STAT_SUFFIXES = ("_mean", "_median", "_avg", "_sd", "_std", "_min", "_max", "_iqr")
_STAT_NAMES = frozenset({"mean", "median", "average", "sd", "std", "min", "max", "iqr"})


def _is_count_name(name: object) -> bool:
    if not isinstance(name, str):
        return False
    s = name.strip().casefold()
    return s in COUNT_COLUMN_NAMES or s.startswith("n_") or s.endswith("_n") or s.endswith("_count")


def _is_stat_name(name: object) -> bool:
    """Return True for a summary-statistic column name (a mean, a median, ...)."""
    if not isinstance(name, str):
        return False
    s = name.strip().casefold()
    return s in _STAT_NAMES or s.startswith(_STAT_PREFIXES) or s.endswith(_STAT_SUFFIXES)


def _is_dependent_name(name: object) -> bool:
    """Return True for a percentage, rate or summary-statistic column name."""
    if not isinstance(name, str):
        return False
    s = name.strip().casefold()
    return (
        s in _PERCENT_NAMES
        or s in _STAT_NAMES
        or s.startswith(_PERCENT_PREFIXES + _STAT_PREFIXES)
        or s.endswith(_PERCENT_SUFFIXES + _STAT_SUFFIXES)
    )


def _parse_count_column(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return (values, suppressed, unrecognised) arrays, or None if not integer-valued."""
    n = len(series)
    values = np.full(n, np.nan)
    suppressed = np.zeros(n, dtype=bool)
    unrecognised = np.zeros(n, dtype=bool)
    for i, v in enumerate(series.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            continue
        if isinstance(v, bool):
            return None
        if isinstance(v, str):
            s = v.strip()
            if s == "":
                continue
            if s == SUPPRESSION_MARK:
                suppressed[i] = True
                continue
            try:
                v = float(s.replace(",", ""))
            except ValueError:
                unrecognised[i] = True
                continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            unrecognised[i] = True
            continue
        if np.isnan(f):
            continue
        if not f.is_integer():
            return None
        values[i] = f
    return values, suppressed, unrecognised


def count_columns_of(df: pd.DataFrame, count_columns: Iterable[str] | None = None) -> list[str]:
    """Return the names of the count columns of a published/tidy table.

    The convention, in order of precedence:

    1. ``count_columns`` if given (every name must exist);
    2. else ``df.attrs["count_columns"]`` if the frame carries it;
    3. else the columns whose name is ``n``, ``count``, ``segments``, ``participants``,
       ``cases`` or ``respondents``, starts with ``n_``, or ends with ``_n`` or ``_count``
       (any case).

    In every case only columns whose values are whole numbers (or the suppression mark
    ``"c"``, or blank) are kept; a column of non-whole numbers is not a count column.

    >>> count_columns_of(pd.DataFrame({"site": ["A"], "n_cases": [7], "pct_shared": [40.0]}))
    ['n_cases']
    """
    if count_columns is not None:
        names = list(count_columns)
    elif df.attrs.get("count_columns"):
        names = list(df.attrs["count_columns"])
    else:
        names = [c for c in df.columns if _is_count_name(c)]
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise ValueError(f"count columns not in the table: {missing}")
    return [c for c in names if _parse_count_column(df[c]) is not None]


def _dependent_columns(df: pd.DataFrame, depends: Mapping[str, Sequence[str]] | None) -> list[str]:
    cols = [c for c in df.columns if _is_dependent_name(c)]
    for c in depends or {}:
        if c not in df.columns:
            raise ValueError(f"depends names a column not in the table: {c!r}")
        if c not in cols:
            cols.append(c)
    return cols


def _is_label_column(series: pd.Series) -> bool:
    """Return True for a column that labels rows (text, categories, whole-number codes).

    Floats and columns of numbers mixed with the suppression mark are measures, not labels:
    a measure differs between a total row and its parts and would hide the grouping.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_integer_dtype(dtype):
        return True
    if pd.api.types.is_float_dtype(dtype):
        return False
    for v in series.tolist():
        if isinstance(v, str):
            s = v.strip()
            if s in ("", SUPPRESSION_MARK):
                continue
            try:
                float(s.replace(",", ""))
            except ValueError:
                return True
        elif v is not None and not isinstance(v, int | float | np.number) and v is not pd.NA:
            return True
    return False


def _label_frame(
    df: pd.DataFrame, counts: Sequence[str], others: Sequence[str]
) -> tuple[pd.DataFrame, list[object]]:
    """Return the label columns (and index levels) used to find total rows and their groups."""
    try:
        frame = df.reset_index(drop=isinstance(df.index, pd.RangeIndex))
    except ValueError:  # an index level named like a column
        frame = df.reset_index(drop=True)
    exclude = set(counts) | set(others)
    labels = [c for c in frame.columns if c not in exclude and _is_label_column(frame[c])]
    return frame, labels


class _TotalRow(NamedTuple):
    total: int  # row position of the total row
    members: tuple[int, ...]  # row positions of its parts
    dim: object  # the label column in which the total marks 'all'


def _total_lines(
    frame: pd.DataFrame, labels: Sequence[object]
) -> tuple[list[_TotalRow], list[bool]]:
    """Return the (total row -> member rows) relations of a tidy table and which rows are totals."""
    n = len(frame)
    if not labels:
        return [], [False] * n

    def key(v: object) -> object:
        return "\x00nan" if v is None or (isinstance(v, float) and np.isnan(v)) else v

    vals = [[key(v) for v in frame[c].tolist()] for c in labels]
    tset = [
        frozenset(k for k, c in enumerate(labels) if _is_total_label(vals[k][r])) for r in range(n)
    ]
    is_total = [bool(t) for t in tset]
    # rows by (their totals, one more label, their values on the others): the members of a
    # total over that label (one pass, not a scan of the table per total row)
    width = len(labels)
    index: dict[tuple[object, ...], list[int]] = {}
    for r in range(n):
        for k in range(width):
            if k in tset[r]:
                continue
            rest = tuple(vals[m][r] for m in range(width) if m != k and m not in tset[r])
            index.setdefault((tset[r], k, rest), []).append(r)
    seen: dict[tuple[object, ...], int] = {}
    lines: list[_TotalRow] = []
    for t in range(n):
        if not tset[t]:
            continue
        ident = tuple(vals[k][t] if k not in tset[t] else "\x00total" for k in range(len(labels)))
        if ident in seen:
            raise ValueError(
                f"rows {seen[ident] + 1} and {t + 1} are both the same total; a tidy table may "
                "carry each total once"
            )
        seen[ident] = t
        rest = tuple(vals[m][t] for m in range(width) if m not in tset[t])
        for k in sorted(tset[t]):
            members = tuple(index.get((tset[t] - {k}, k, rest), ()))
            if members:
                lines.append(_TotalRow(t, members, labels[k]))
    return lines, is_total


def _dependent_map(
    df: pd.DataFrame,
    counts: Sequence[str],
    depends: Mapping[str, Sequence[str]] | None,
) -> dict[object, list[str]]:
    deps: dict[object, list[str]] = {}
    for c in _dependent_columns(df, depends):
        if c in counts:
            continue
        if depends and c in depends:
            names = [depends[c]] if isinstance(depends[c], str) else list(depends[c])
            bad = [m for m in names if m not in counts]
            if bad:
                raise ValueError(f"depends[{c!r}] names columns that are not counts: {bad}")
            deps[c] = names
        else:
            deps[c] = list(counts)
    return deps


class _Tidy(NamedTuple):
    """How a tidy table is read: its count and dependent columns, and its total rows."""

    counts: list[str]
    deps: dict[object, list[str]]  # dependent column -> the counts it rests on
    lines: list[_TotalRow]
    is_total: list[bool]  # per row


def _read_tidy(
    df: pd.DataFrame,
    count_columns: Iterable[str] | None,
    depends: Mapping[str, Sequence[str]] | None,
) -> _Tidy:
    """Return the count columns, dependent columns and total rows of a tidy table."""
    counts = count_columns_of(df, count_columns)
    deps = _dependent_map(df, counts, depends)
    frame, labels = _label_frame(df, counts, list(deps))
    lines, is_total = _total_lines(frame, labels)
    return _Tidy(counts, deps, lines, is_total)


LinkedKey = tuple[frozenset[tuple[str, str]], str | None]
"""How a cell is known across the tables of one population: its labels and its count."""


class LinkedCells:
    """The count cells a report has published, by population: shown ones and hidden ones.

    A report creates one and passes it to :func:`publishable` for every table of the same
    population (``population='participants'``). A cell is keyed by its row's labels other
    than totals (``{('agency', 'Police')}``; the overall total has none) and by its count
    column (``None`` for a table's only count column or its row-total column, so that
    'participants by agency' and 'participants by role' share their grand total). A cell
    shown by one table is known to later ones (they cannot hide it); a cell hidden by one
    must be hidden by later ones that carry it (with the same value).

    >>> linked = LinkedCells()
    >>> linked.record("people", (frozenset(), None), 12, hidden=False)
    >>> linked.get("people", (frozenset(), None))
    (12, False)
    """

    def __init__(self) -> None:
        self._cells: dict[str, dict[LinkedKey, tuple[int, bool, str]]] = {}

    def get(self, population: str, key: LinkedKey, source: str = "") -> tuple[int, bool] | None:
        """Return (value, hidden) of a cell published earlier by another table, or None.

        ``source`` identifies the asking table: what it recorded itself is not returned (the
        same table published twice comes out the same).
        """
        got = self._cells.get(population, {}).get(key)
        if got is None or (source and got[2] == source):
            return None
        return got[0], got[1]

    def record(
        self, population: str, key: LinkedKey, value: int, *, hidden: bool, source: str = ""
    ) -> None:
        """Record a published cell (the first table that publishes a cell decides it)."""
        cells = self._cells.setdefault(population, {})
        cells.setdefault(key, (int(value), bool(hidden), source))

    def __len__(self) -> int:
        """Return the number of cells recorded."""
        return sum(len(cells) for cells in self._cells.values())


def publishable(
    df: pd.DataFrame,
    min_cell: int = DEFAULT_MIN_CELL,
    count_columns: Iterable[str] | None = None,
    depends: Mapping[str, Sequence[str]] | None = None,
    *,
    assume_column_total: bool = True,
    sums: Mapping[str, Sequence[str]] | None = None,
    population: str | None = None,
    linked: LinkedCells | None = None,
) -> pd.DataFrame:
    """Return an object-dtype copy of a tidy table with its counts and percentages made safe.

    * **Count columns** are found by :func:`count_columns_of` (explicit names, the frame's
      ``attrs['count_columns']``, or the naming convention ``n``, ``n_*``, ``*_n``,
      ``*_count``, ``count``, ``cases``, ``participants``, ``respondents``, ``segments``).
    * **Totals**: a row whose label column holds 'All'/'Total' is the total of the rows that
      agree with it on the other label columns (label columns: the index, text and category
      columns, and whole-number columns that are not counts, e.g. a year). A count column
      named as in :data:`ROW_TOTAL_COLUMN_NAMES` (``n_total``, ``total``, ...) is the total
      of the other count columns in its row, and ``sums={"n_coded": ("n_read", "n_heard")}``
      declares more such sums. All count columns are suppressed together, as one set of
      relations (nested totals included). Totals are cells like any other (hidden when
      small, and protected). Where no total row covers the whole table (no total rows, or
      subtotals on one label column only) the overall total is assumed known, as if
      published elsewhere (``assume_column_total=False`` turns that off, unless the table
      shows percentages, from which the total can be worked out). A total that is not the
      sum of its parts is not used, with a :class:`DisclosureWarning`.
    * **Protection**: every hidden count from 1 to ``min_cell - 1`` could be as large as
      ``min_cell`` given everything shown (see the module docstring).
    * **Dependent columns**: percentages and rates (``pct``, ``pct_*``, ``prop_*``,
      ``rate_*``, ``percent_*``, ``*_pct``, ``*_prop``, ``*_rate``, ``*_percent``) and group
      statistics (``mean``, ``median``, ``sd``, ``min``, ``max``, ``iqr``, ``average``, as a
      name or as a ``name_`` prefix / ``_name`` suffix, e.g. ``mean_age``) are hidden in
      every row where a count is hidden; ``depends={"pct_shared": ("n_shared", "n_cases")}``
      restricts a column to the listed counts (and can name any other column).
    * **Linked tables**: with ``linked`` (a :class:`LinkedCells` the report shares between
      its tables) and ``population``, cells shown by an earlier table of the same
      population are kept shown and cells it hid are hidden here too.

    The result is remembered for the rest of the process (a run that publishes the same
    whole-study table for every site works its suppression out once); warnings are repeated.

    >>> t = pd.DataFrame({"site": ["A", "B", "C"], "n_cases": [3, 9, 20], "pct_x": [1.0, 2.0, 3.0]})
    >>> publishable(t).to_dict("list")
    {'site': ['A', 'B', 'C'], 'n_cases': ['c', 'c', 20], 'pct_x': ['c', 'c', 3.0]}
    """
    rules = _Rules(
        _check_min_cell(min_cell),
        None if count_columns is None else tuple(count_columns),
        depends,
        assume_column_total,
        _normal_sums(sums),
        (),
    )
    cells: list[tuple[int, str, LinkedKey, int]] = []
    source = ""
    if linked is not None and population is not None:
        cells = _linked_keys(df, rules)
        source = _publishable_key(df, rules) or ""
        fixed = []
        for r, col, k, value in cells:
            got = linked.get(population, k, source)
            if got is not None and got[0] == value:
                fixed.append((r, col, got[1]))
        rules = rules._replace(fixed=tuple(fixed))
    key = _publishable_key(df, rules)
    hit = _PUBLISHED.get(key) if key is not None else None
    if hit is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _publishable(df, rules)
        hit = (out, [(w.message, w.category) for w in caught])
        if key is not None:
            if len(_PUBLISHED) >= _PUBLISHED_MAX:
                _PUBLISHED.pop(next(iter(_PUBLISHED)))
            _PUBLISHED[key] = hit
    out, said = hit
    for message, category in said:
        warnings.warn(message, category, stacklevel=2)
    if linked is not None and population is not None:
        for r, col, k, value in cells:
            hidden = is_suppressed(out[col].iloc[r])
            linked.record(population, k, value, hidden=hidden, source=source)
    result = out.copy()
    result.attrs = dict(out.attrs)
    return result


#: Tables made safe in this process, by content (see :func:`publishable`).
_PUBLISHED: dict[str, tuple[pd.DataFrame, list[tuple[Warning | str, type[Warning]]]]] = {}
_PUBLISHED_MAX = 256


class _Rules(NamedTuple):
    """What :func:`publishable` is asked to do to a table (its arguments besides the table)."""

    min_cell: int
    count_columns: tuple[str, ...] | None
    depends: Mapping[str, Sequence[str]] | None
    assume_column_total: bool
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fixed: tuple[tuple[int, str, bool], ...] = ()  # (row, column, hidden elsewhere): links


def _normal_sums(
    sums: Mapping[str, Sequence[str]] | None,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return declared sums as a sorted tuple of (total column, part columns)."""
    if not sums:
        return ()
    out = []
    for total, parts in sums.items():
        names = (parts,) if isinstance(parts, str) else tuple(parts)
        if not names or total in names:
            raise ValueError(f"sums[{total!r}] must name other columns")
        out.append((total, names))
    return tuple(sorted(out))


def _publishable_key(df: pd.DataFrame, rules: _Rules) -> str | None:
    """Return a digest of everything :func:`publishable` reads, or None if it cannot hash."""
    try:
        cells = pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes()
    except (TypeError, ValueError):
        return None
    digest = hashlib.sha256(cells)
    for i in range(df.shape[1]):  # in object columns 1 and "1" hash alike: add the types
        column = df.iloc[:, i]
        if pd.api.types.is_object_dtype(column):
            kinds = column.map(lambda v: type(v).__name__)
            digest.update(pd.util.hash_pandas_object(kinds, index=False).to_numpy().tobytes())
    meta = (
        [str(c) for c in df.columns],
        [str(t) for t in df.dtypes],
        [str(n) for n in df.index.names],
        repr(sorted((str(k), repr(v)) for k, v in df.attrs.items())),
        repr(rules.min_cell),
        None if rules.count_columns is None else [str(c) for c in rules.count_columns],
        None
        if rules.depends is None
        else sorted((str(k), [str(v) for v in vs]) for k, vs in rules.depends.items()),
        rules.assume_column_total,
        repr(rules.sums),
        repr(rules.fixed),
    )
    digest.update(repr(meta).encode("utf-8"))
    return digest.hexdigest()


def _row_total_columns(
    counts: Sequence[str], sums: tuple[tuple[str, tuple[str, ...]], ...]
) -> list[tuple[str, tuple[str, ...], bool]]:
    """Return (total column, part columns, declared) for the sums across a row."""
    declared = dict(sums)
    for total, parts in sums:
        missing = [c for c in (total, *parts) if c not in counts]
        if missing:
            raise ValueError(f"sums[{total!r}] names columns that are not counts: {missing}")
    out = [(total, parts, True) for total, parts in sums]
    named = [
        c
        for c in counts
        if isinstance(c, str)
        and c.strip().casefold() in ROW_TOTAL_COLUMN_NAMES
        and c not in declared
    ]
    if len(named) == 1:
        parts = tuple(c for c in counts if c != named[0] and c not in declared)
        if parts:
            out.append((named[0], parts, False))
    return out


def _found_sums(
    values: Mapping[str, np.ndarray], taken: Iterable[str]
) -> list[tuple[str, tuple[str, ...], bool]]:
    """Return count columns that are, in every row, the sum of all the other count columns
    (or of all but one): undeclared row totals such as ``n_participants`` or ``n_segments``.
    """
    taken = set(taken)
    names = list(values)
    out: list[tuple[str, tuple[str, ...], bool]] = []
    for total in names:
        if total in taken:
            continue
        others = [c for c in names if c != total and c not in taken]
        options = [tuple(others)] + [tuple(c for c in others if c != d) for d in others]
        for parts in options:
            if len(parts) < 2:
                continue
            block = np.column_stack([values[c] for c in (*parts, total)])
            rows = ~np.isnan(block).any(axis=1)
            if rows.sum() < 2:
                continue
            if np.array_equal(block[rows, :-1].sum(axis=1), block[rows, -1]):
                out.append((total, parts, False))
                taken.add(total)
                break
    return out


def _linked_keys(df: pd.DataFrame, rules: _Rules) -> list[tuple[int, str, LinkedKey, int]]:
    """Return (row, column, key, value) of every count cell with a value, keyed for links."""
    tidy = _read_tidy(df, rules.count_columns, rules.depends)
    frame, labels = _label_frame(df, tidy.counts, list(tidy.deps))
    named = {t for t, _, declared in _row_total_columns(tidy.counts, rules.sums) if not declared}
    rows = [
        frozenset(
            (str(lab), str(v)) for lab, v in zip(labels, row, strict=True) if not _is_total_label(v)
        )
        for row in frame[labels].to_numpy(dtype=object).tolist()
    ]
    out = []
    for col in tidy.counts:
        parsed = _parse_count_column(df[col])
        assert parsed is not None
        values = parsed[0]
        ckey = None if len(tidy.counts) == 1 or col in named else str(col)
        for r in range(len(frame)):
            if not np.isnan(values[r]):
                out.append((r, col, (rows[r], ckey), int(values[r])))
    return out


def _publishable(df: pd.DataFrame, rules: _Rules) -> pd.DataFrame:
    """Work out :func:`publishable` (uncached): one structure over all count columns."""
    min_cell = rules.min_cell
    counts, deps, lines, is_total = _read_tidy(df, rules.count_columns, rules.depends)
    n = len(df)
    k = len(counts)
    at = {col: i * n for i, col in enumerate(counts)}  # cell of (row r, column col): at + r
    cell_values: list[int] = []
    present_all: list[np.ndarray] = []
    eng_lines: list[_Line] = []
    virtual_values: list[int] = []
    shares = any(_is_dependent_name(c) and not _is_stat_name(c) for c in deps)
    for col in counts:
        parsed = _parse_count_column(df[col])
        assert parsed is not None
        values, already, _ = parsed
        if already.any():
            raise ValueError(f"column {col!r} is already suppressed; pass the unsuppressed table")
        if (values[~np.isnan(values)] < 0).any():
            raise ValueError(f"column {col!r} has negative counts")
        present = ~np.isnan(values)
        present_all.append(present)
        cell_values.extend(np.where(present, values, 0).astype(np.int64).tolist())
        is_member = np.zeros(n, dtype=bool)
        is_used_total = np.zeros(n, dtype=bool)
        dims: set[object] = set()
        for line in lines:
            if not present[line.total] or not all(present[m] for m in line.members):
                continue  # a blank count: the relation cannot be used
            if int(sum(values[m] for m in line.members)) != int(values[line.total]):
                warnings.warn(
                    f"column {col!r}: the total in row {line.total + 1} is not the sum of its "
                    "rows, so it is treated as not additive (no cells hidden to protect it)",
                    DisclosureWarning,
                    stacklevel=2,
                )
                continue
            eng_lines.append(_Line(tuple(at[col] + m for m in line.members), at[col] + line.total))
            is_member[list(line.members)] = True
            is_used_total[line.total] = True
            dims.add(line.dim)
        # the parts of the whole: rows in no group, and the totals of groups that add up
        top = [
            r
            for r in range(n)
            if present[r] and not is_member[r] and (is_used_total[r] or not is_total[r])
        ]
        # no grand total shown: it is assumed known (published elsewhere); percentages of
        # the whole give it away anyway
        if (rules.assume_column_total or shares) and len(dims) <= 1 and len(top) >= 2:
            virtual = k * n + len(virtual_values)
            eng_lines.append(_Line(tuple(at[col] + r for r in top), virtual))
            virtual_values.append(int(values[top].sum()))
    present_cells = np.concatenate(present_all) if present_all else np.zeros(0, dtype=bool)
    # sums across a row: a row-total column, declared sums, and columns found to be sums
    across = _row_total_columns(counts, rules.sums)
    parsed_values = {col: _parse_count_column(df[col])[0] for col in counts}  # type: ignore[index]
    across += _found_sums(parsed_values, [t for t, _, _ in across])
    for total, parts, declared in across:
        bad = []
        for r in range(n):
            cells = [at[c] + r for c in parts]
            if not present_cells[at[total] + r] or not all(present_cells[c] for c in cells):
                continue
            if sum(cell_values[c] for c in cells) != cell_values[at[total] + r]:
                bad.append(r + 1)
                continue
            eng_lines.append(_Line(tuple(cells), at[total] + r))
        if bad and declared:
            warnings.warn(
                f"column {total!r} is not the sum of {list(parts)} in rows {bad}, so those "
                "rows are treated as not additive (no cells hidden to protect them)",
                DisclosureWarning,
                stacklevel=2,
            )
    n_virtual = len(virtual_values)
    all_values = np.array(cell_values + virtual_values, dtype=np.int64)
    hideable = np.concatenate([present_cells, np.zeros(n_virtual, dtype=bool)])
    row_total = np.tile(np.asarray(is_total, dtype=bool), k)
    sums_total = np.zeros(k * n, dtype=bool)
    for total, _, _ in across:
        sums_total[at[total] : at[total] + n] = True
    totals_flag = np.concatenate([row_total | sums_total, np.ones(n_virtual, dtype=bool)])
    forced = np.zeros(all_values.size, dtype=bool)
    for r, col, hidden_elsewhere in rules.fixed:
        if hidden_elsewhere:
            forced[at[col] + r] = True
        else:  # shown elsewhere: known, and cannot be hidden here
            hideable[at[col] + r] = False
    structure = _Structure(all_values, eng_lines, hideable)
    hidden, _, unprotectable = structure.plan(min_cell, totals_flag, forced)
    if unprotectable.any() and n_virtual:
        # The totals assumed published (not shown here) keep some small count below
        # min_cell whatever is hidden. Still protect it against what the table does show:
        # plan again on the shown relations only and hide the union (hiding more cells
        # only widens the range of every hidden cell).
        real = k * n
        shown_lines = [line for line in eng_lines if line.total < real]
        fallback = _Structure(all_values[:real], shown_lines, hideable[:real])
        again, _, _ = fallback.plan(min_cell, totals_flag[:real], forced[:real])
        hidden[:real] |= again
    if unprotectable.any():
        where = [
            f"{counts[int(c) // n]!r} row {int(c) % n + 1}" for c in np.flatnonzero(unprotectable)
        ]
        warnings.warn(
            f"small count(s) at {where} cannot be protected: totals the table does not show "
            f"but that are assumed published, or cells published elsewhere, keep them below "
            f"{min_cell}; add a Total row (so it can be suppressed too), merge groups, or make "
            "sure those totals are published nowhere",
            DisclosureWarning,
            stacklevel=2,
        )
    masks = {col: hidden[at[col] : at[col] + n] for col in counts}
    out = df.astype(object).copy()
    for col, mask in masks.items():
        out[col] = _apply_mask(df[col], pd.Series(mask, index=df.index))
    for col, names in deps.items():
        hide = np.zeros(n, dtype=bool)
        for m in names:
            hide |= masks[m]
        column = df[col].astype(object).copy()
        column[hide] = SUPPRESSION_MARK
        out[col] = column
    return out


# --------------------------------------------------------------------------------------
# Checking a table that is about to be (or has been) published
# --------------------------------------------------------------------------------------


def check_published_table(
    df: pd.DataFrame,
    min_cell: int = DEFAULT_MIN_CELL,
    count_columns: Iterable[str] | None = None,
    *,
    depends: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Return the disclosure problems of a published table (an empty list when it is safe).

    Count columns are found as in :func:`count_columns_of`: explicit ``count_columns``, else
    ``df.attrs['count_columns']``, else by name (``n``, ``n_*``, ``*_n``, ``*_count``,
    ``count``, ``cases``, ``participants``, ``respondents``, ``segments``), keeping only
    columns of whole numbers, ``"c"`` and blanks. A count column named 'All'/'Total'/
    ``n_total``/``total_n`` is taken to be the total of the other count columns in its row
    (if the fully published rows agree), and rows labelled 'All'/'Total' the totals of their
    groups (as in :func:`publishable`). Problems reported:

    * a published count from 1 to ``min_cell - 1``;
    * a suppressed cell whose value can be worked out exactly from the published cells and
      totals (by subtraction, or by combining rows and columns; checked by linear programming);
    * a dependent value (percentage, rate, group statistic: named as in :func:`publishable`,
      or listed in ``depends``) published in a row where a count it may rest on is suppressed.

    Messages name rows and columns but never a value.

    >>> check_published_table(pd.DataFrame({"g": ["a", "b", "Total"], "n": [3, 12, 15]}))[0]
    "column 'n', row 1 (CSV line 2): a published count is between 1 and 4"
    >>> [p.split(": ")[1] for p in check_published_table(
    ...     pd.DataFrame({"g": ["a", "b", "Total"], "n": ["c", 12, 15]}))]
    ['the suppressed value can be worked out from the totals and the other published cells']
    """
    min_cell = _check_min_cell(min_cell)
    problems: list[str] = []
    counts, deps, lines, _ = _read_tidy(df, count_columns, depends)

    def where(col: object, r: int) -> str:
        return f"column {col!r}, row {r + 1} (CSV line {r + 2})"

    parsed = {}
    for col in counts:
        p = _parse_count_column(df[col])
        assert p is not None
        values, suppressed, unrecognised = p
        parsed[col] = (values, suppressed)
        for r in np.flatnonzero(unrecognised):
            problems.append(f"{where(col, int(r))}: an unrecognised value in a count column")
        for r in np.flatnonzero((values >= 1) & (values < min_cell)):
            problems.append(
                f"{where(col, int(r))}: a published count is between 1 and {min_cell - 1}"
            )

    n = len(df)

    # equations: sum(members) - total = 0 over cells (row, column)
    equations: list[list[tuple[tuple[int, object], float]]] = []
    for col in counts:
        values, suppressed = parsed[col]
        for line in lines:
            eq = [((m, col), 1.0) for m in line.members] + [((line.total, col), -1.0)]
            equations.append(eq)
    total_cols = [
        c for c in counts if isinstance(c, str) and c.strip().casefold() in ROW_TOTAL_COLUMN_NAMES
    ]
    if len(total_cols) == 1 and len(counts) >= 2:
        tc = total_cols[0]
        parts = [c for c in counts if c != tc]
        additive = True
        for r in range(n):
            row = [parsed[c][0][r] for c in parts]
            if any(parsed[c][1][r] for c in [*parts, tc]) or np.isnan(parsed[tc][0][r]):
                continue
            if any(np.isnan(v) for v in row) or sum(row) != parsed[tc][0][r]:
                additive = False
                break
        if additive:
            for r in range(n):
                equations.append([((r, c), 1.0) for c in parts] + [((r, tc), -1.0)])

    def is_hidden(cell: tuple[int, object]) -> bool:
        return bool(parsed[cell[1]][1][cell[0]])

    def value(cell: tuple[int, object]) -> float:
        return float(parsed[cell[1]][0][cell[0]])

    usable: list[list[tuple[tuple[int, object], float]]] = []
    for eq in equations:
        if any(not is_hidden(c) and np.isnan(value(c)) for c, _ in eq):
            continue  # a blank cell: the relation cannot be used
        if not any(is_hidden(c) for c, _ in eq):
            continue
        rest = -sum(w * value(c) for c, w in eq if not is_hidden(c))
        hidden_w = [w for c, w in eq if is_hidden(c)]
        if all(w > 0 for w in hidden_w) and rest < 0:
            continue  # parts exceed the total: not additive
        if all(w < 0 for w in hidden_w) and rest > 0:
            continue
        usable.append(eq)
    variables = sorted(
        {c for eq in usable for c, _ in eq if is_hidden(c)}, key=lambda c: (c[0], str(c[1]))
    )
    pos = {c: i for i, c in enumerate(variables)}
    recoverable: set[tuple[int, object]] = set()
    if variables:
        a_eq = np.zeros((len(usable), len(variables)))
        b_eq = np.zeros(len(usable))
        for k, eq in enumerate(usable):
            for c, w in eq:
                if is_hidden(c):
                    a_eq[k, pos[c]] += w
                else:
                    b_eq[k] -= w * value(c)
        try:
            lo, hi = _lp_ranges(a_eq, b_eq, len(variables))
            recoverable = {
                c for c, free in zip(variables, _ranges_free(lo, hi), strict=True) if not free
            }
        except ValueError:
            # inconsistent totals: fall back to plain subtraction within each relation
            for eq in usable:
                hidden_cells = [c for c, _ in eq if is_hidden(c)]
                if len(hidden_cells) == 1:
                    recoverable.add(hidden_cells[0])
    for r, col in sorted(recoverable, key=lambda c: (c[0], str(c[1]))):
        problems.append(
            f"{where(col, r)}: the suppressed value can be worked out from the totals and the "
            "other published cells"
        )

    for col, names in deps.items():
        shown = df[col].astype(object).tolist()
        for r in range(n):
            v = shown[r]
            blank = v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            if blank or (isinstance(v, str) and v.strip() in ("", SUPPRESSION_MARK)):
                continue
            if any(parsed[m][1][r] for m in names):
                problems.append(
                    f"{where(col, r)}: a percentage, rate or statistic is shown where a count it "
                    "rests on is suppressed"
                )
    return problems
