"""Exact minimum set covers of a prime implicant chart, all of them.

Rows (the truth-table rows to explain) and columns (prime implicants) are bit sets held in
Python integers. :func:`minimum_covers` finds the minimum number of columns needed to cover
every row and enumerates *every* column set of that size that does:

1. columns with identical coverage are merged into classes (each class solution expands into
   the product of its members, so ties between interchangeable implicants cost nothing);
2. two reductions that keep every cover, with candidates always counted over all classes,
   are repeated until neither applies: rows whose candidate set contains another row's are
   dropped (covering the smaller set covers them too), and a row with a single candidate
   class forces it into every cover (it is taken and the rows it covers removed);
3. the remaining rows split into connected components (rows linked by a class covering
   both); each is solved on its own: the minimum is the sum of the components' minima and
   the minimum covers are the forced classes times the product of the components' covers,
   so their number is exact whenever every component was searched to the end, even when
   the listing is capped;
4. within a component the search runs over the classes that no other class contains; every
   minimum cover maps onto such a cover (replace each class by one containing it: still a
   cover, same size), so all minimum covers are recovered by trying, for each chosen class,
   itself or any class it contains, keeping the combinations that still cover every row;
5. the linear relaxation (scipy's HiGHS) gives a lower bound ``z`` and dual row prices ``y``;
   any cover ``S`` then satisfies ``|S| >= z + sum of reduced costs of S``, so with a target
   size ``K`` the reduced costs of the chosen columns may not exceed ``K - z`` (columns above
   that are never used), and ``sum(y)`` over the uncovered rows bounds what is still needed;
6. a depth-first search branches on the uncovered row with the fewest candidate classes,
   excluding each class from the later sibling branches (so every set is found once), takes
   forced choices for rows left with one candidate, and prunes with the bounds above, the
   combinatorial bound ``sum over uncovered rows of 1 / max |class ∩ uncovered|`` and a dual
   ascent (row prices raised while every still-available column has slack);
7. the target ``K`` starts at the lower bound and grows by one until covers exist: the first
   size with covers is the minimum, and that pass has listed all of them. Large components
   get ``K`` from the covering integer programme (HiGHS ``milp``, proven optimal) instead,
   and a single enumeration pass.

A time limit can stop the search: the result then says whether the minimum was proven
(``optimal``) and whether every cover was listed (``complete``); a component stopped before
any cover of its target size turned up contributes the best cover known (integer programme
or greedy), and the result is flagged ``optimal=False``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix

__all__ = ["CoverResult", "bits", "minimum_covers"]

#: Charts with more column classes than this get the linear-relaxation bounds.
LP_THRESHOLD = 12
#: Charts with more column classes than this get their minimum from an integer programme.
MILP_THRESHOLD = 150
_EPS = 1e-7


def bits(x: int) -> Iterator[int]:
    """Yield the positions of the set bits of ``x``, lowest first."""
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


def _bitlist(x: int) -> list[int]:
    out = []
    while x:
        low = x & -x
        out.append(low.bit_length() - 1)
        x ^= low
    return out


@dataclass
class CoverResult:
    """Minimum covers of a chart (column-index tuples, sorted)."""

    size: int
    solutions: list[tuple[int, ...]]
    #: Exact number of minimum covers when ``exhaustive`` (even if the listing was capped at
    #: ``max_solutions``), otherwise a lower bound.
    n_solutions: int
    #: Every component's search finished (``n_solutions`` is exact).
    exhaustive: bool
    #: ``size`` is proven minimal (False only when the time limit stopped the search early).
    optimal: bool = True

    @property
    def complete(self) -> bool:
        """Return True when every minimum cover is listed in ``solutions``."""
        return self.exhaustive and len(self.solutions) == self.n_solutions


class _Stop(Exception):
    pass


class _Chart:
    def __init__(self, masks: list[int], req: int, n_rows: int) -> None:
        self.masks = masks
        self.req = req
        self.rowc = [0] * n_rows
        for i, m in enumerate(masks):
            for r in bits(m):
                self.rowc[r] |= 1 << i
        # linear relaxation: objective z, row prices y, class reduced costs d
        self.z = 0.0
        self.y = [0.0] * n_rows
        self.d = [0.0] * len(masks)

    def _incidence(self) -> tuple[list[int], list[int], list[int]]:
        """Return the rows to cover and the (row position, class) pairs of the chart."""
        rows = list(bits(self.req))
        pos = {r: i for i, r in enumerate(rows)}
        ri, ci = [], []
        for c, m in enumerate(self.masks):
            for r in bits(m & self.req):
                ri.append(pos[r])
                ci.append(c)
        return rows, ri, ci

    def relax(self) -> bool:
        """Solve the linear relaxation; keep its bound and duals. Return False on failure."""
        rows, ri, ci = self._incidence()
        a = coo_matrix((-np.ones(len(ri)), (ri, ci)), shape=(len(rows), len(self.masks)))
        res = linprog(
            np.ones(len(self.masks)),
            A_ub=a.tocsr(),
            b_ub=-np.ones(len(rows)),
            bounds=(0, None),
            method="highs",
        )
        if res.status != 0 or res.ineqlin is None:
            return False
        duals = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0)
        # the duals must be feasible for the bounds to be valid: scale down any excess
        load = np.zeros(len(self.masks))
        np.add.at(load, ci, duals[ri])
        worst = float(load.max()) if len(load) else 0.0
        if worst > 1.0:
            duals = duals / worst
            load = load / worst
        self.y = [0.0] * len(self.rowc)
        for r, v in zip(rows, duals, strict=True):
            self.y[r] = float(v)
        self.d = [max(0.0, 1.0 - float(v)) for v in load]
        self.z = float(duals.sum())
        return True

    def integer_minimum(self, time_limit: float | None) -> tuple[list[int], bool] | None:
        """Solve the covering integer programme (HiGHS); return a cover and whether optimal."""
        rows, ri, ci = self._incidence()
        ncol = len(self.masks)
        a = coo_matrix((np.ones(len(ri)), (ri, ci)), shape=(len(rows), ncol)).tocsr()
        options: dict[str, object] = {"mip_rel_gap": 0.0, "disp": False}
        if time_limit is not None:
            options["time_limit"] = max(time_limit, 0.01)
        res = milp(
            np.ones(ncol),
            constraints=LinearConstraint(a, lb=1.0, ub=np.inf),
            integrality=np.ones(ncol),
            bounds=Bounds(0.0, 1.0),
            options=options,
        )
        if res.x is None:
            return None
        sol = [c for c in range(ncol) if res.x[c] > 0.5]
        covered = 0
        for c in sol:
            covered |= self.masks[c]
        if covered & self.req != self.req:
            return None
        return sol, res.status == 0

    def greedy(self) -> list[int]:
        """Return a cover picked greedily (most uncovered rows first); not necessarily minimal."""
        unc, sol = self.req, []
        while unc:
            best = max(range(len(self.masks)), key=lambda c: (self.masks[c] & unc).bit_count())
            sol.append(best)
            unc &= ~self.masks[best]
        return sol

    def fractional_bound(self, unc: int, forb: int) -> int:
        total = 0.0
        sizes: dict[int, int] = {}
        for r in bits(unc):
            best = 0
            for c in bits(self.rowc[r] & ~forb):
                s = sizes.get(c)
                if s is None:
                    s = sizes[c] = (self.masks[c] & unc).bit_count()
                best = max(best, s)
            if best == 0:
                return 1 << 30
            total += 1.0 / best
        return math.ceil(max(total, sum(self.y[r] for r in bits(unc))) - _EPS)

    def search(
        self,
        k_max: int,
        on_solution: Callable[[Sequence[int]], None],
        deadline: float | None,
    ) -> None:
        """Call ``on_solution`` for every cover with at most ``k_max`` classes (each once)."""
        masks, rowc, y, d = self.masks, self.rowc, self.y, self.d
        budget = k_max - self.z + _EPS
        start_forb = 0
        for c, dc in enumerate(d):
            if dc > budget:
                start_forb |= 1 << c  # too expensive to appear in any cover of size k_max
        chosen: list[int] = []

        def node(unc: int, forb: int, spent: float) -> None:
            if deadline is not None and time.perf_counter() > deadline:
                raise _Stop
            added = 0
            nf = ~forb
            try:
                while True:
                    if not unc:
                        on_solution(chosen)
                        return
                    best_r, best_n, forced = -1, 1 << 30, -1
                    dual = 0.0
                    for r in bits(unc):
                        avail = rowc[r] & nf
                        if not avail:
                            return
                        cnt = avail.bit_count()
                        if cnt == 1:
                            forced = avail.bit_length() - 1
                            break
                        dual += y[r]
                        if cnt < best_n:
                            best_n, best_r = cnt, r
                    if forced >= 0:
                        spent += d[forced]
                        if len(chosen) >= k_max or spent > budget:
                            return
                        chosen.append(forced)
                        added += 1
                        unc &= ~masks[forced]
                        continue
                    if len(chosen) + math.ceil(dual - _EPS) > k_max:
                        return
                    break
                # two more bounds from one pass over (row, available class) pairs:
                # each uncovered row needs 1 / (largest class share) of a column, and the row
                # prices can be raised while every available column keeps some slack
                table = [(r, _bitlist(rowc[r] & nf)) for r in bits(unc)]
                sizes: dict[int, int] = {}
                slack: dict[int, float] = {}
                total = 0.0
                for r, classes in table:
                    top = 0
                    yr = y[r]
                    for c in classes:
                        sz = sizes.get(c)
                        if sz is None:
                            sz = sizes[c] = (masks[c] & unc).bit_count()
                            slack[c] = 1.0 - yr
                        else:
                            slack[c] -= yr
                        if sz > top:
                            top = sz
                    total += 1.0 / top
                room = k_max - len(chosen)
                if math.ceil(total - _EPS) > room:
                    return
                table.sort(key=lambda item: len(item[1]))
                for _, classes in table:
                    inc = min(1.0, *(slack[c] for c in classes))
                    if inc > _EPS:
                        dual += inc
                        for c in classes:
                            slack[c] -= inc
                if math.ceil(dual - _EPS) > room:
                    return
                cands = sorted(_bitlist(rowc[best_r] & nf), key=lambda c: (d[c], -sizes[c]))
                f = forb
                for c in cands:
                    if spent + d[c] <= budget:
                        chosen.append(c)
                        node(unc & ~masks[c], f, spent + d[c])
                        chosen.pop()
                    f |= 1 << c
            finally:
                if added:
                    del chosen[-added:]

        node(self.req, start_forb, 0.0)


@dataclass
class _Part:
    """Minimum covers of one independent component, as tuples of class indices."""

    size: int
    keys: list[tuple[int, ...]]
    count: int
    exhaustive: bool
    optimal: bool


def _solve_component(
    masks: list[int],
    weight: list[int],
    cand: list[int],
    req: int,
    n_rows: int,
    cap: int | None,
    deadline: float | None,
) -> _Part:
    """Return every minimum cover of ``req`` by the classes ``cand`` (steps 3-6)."""
    # column dominance: search over the classes no other class contains, then widen each
    # cover by swapping in the classes each chosen one contains
    red = {c: masks[c] & req for c in cand}
    by_size = sorted(cand, key=lambda c: -red[c].bit_count())
    top: list[int] = []
    for c in by_size:
        rc = red[c]
        if not any(rc & red[t] == rc for t in top):
            top.append(c)
    top.sort()
    inside = {t: [t] + [c for c in by_size if c != t and red[c] & red[t] == red[c]] for t in top}
    chart = _Chart([red[t] for t in top], req, n_rows)
    if len(top) > LP_THRESHOLD:
        chart.relax()

    class_solutions: set[tuple[int, ...]] = set()
    count = [0]

    def record(sol: Sequence[int]) -> None:
        key = tuple(sorted(sol))
        if key in class_solutions:
            return
        class_solutions.add(key)
        count[0] += math.prod(weight[c] for c in key)
        if cap is not None and count[0] > cap:
            raise _Stop

    def widen(sol: Sequence[int]) -> None:
        chosen = [top[i] for i in sorted(sol)]
        rest = [0] * (len(chosen) + 1)
        for i in reversed(range(len(chosen))):
            rest[i] = rest[i + 1] | red[chosen[i]]
        picked: list[int] = []

        def step(i: int, covered: int) -> None:
            if i == len(chosen):
                record(picked)
                return
            for c in inside[chosen[i]]:
                now = covered | red[c]
                if (now | rest[i + 1]) == req and c not in picked:
                    picked.append(c)
                    step(i + 1, now)
                    picked.pop()

        step(0, 0)

    size = chart.fractional_bound(req, 0)
    exhaustive = optimal = True
    incumbent: list[int] | None = None
    if len(top) > MILP_THRESHOLD:
        # large charts: the integer programme proves the minimum (and gives one cover)
        remaining = None if deadline is None else deadline - time.perf_counter()
        found = chart.integer_minimum(remaining)
        if found is not None:
            seed, proven = found
            incumbent = seed
            if proven:
                size = len(seed)
                try:
                    widen(seed)
                except _Stop:
                    exhaustive = False
    while exhaustive:
        try:
            chart.search(size, widen, deadline)
        except _Stop:
            exhaustive = False
        if class_solutions or not exhaustive:
            break
        size += 1
    if not class_solutions:
        # stopped by the time limit before any cover of the current size turned up: give the
        # best cover known (integer programme or greedy), flagged as not proven minimal
        optimal = False
        best = incumbent if incumbent is not None else chart.greedy()
        key = tuple(sorted(top[i] for i in best))
        class_solutions.add(key)
        count[0] = math.prod(weight[c] for c in key)
    size = len(next(iter(class_solutions)))
    return _Part(size, sorted(class_solutions), count[0], exhaustive, optimal)


def _components(masks: list[int], cand: list[int], req: int) -> list[tuple[int, list[int]]]:
    """Split the rows ``req`` into groups no class links: ``(rows, classes)`` per group."""
    groups: list[tuple[int, list[int]]] = []
    left = [c for c in cand if masks[c] & req]
    rest = req
    while rest:
        rows = rest & -rest
        members: list[int] = []
        while True:
            grown = rows
            others = []
            for c in left:
                if masks[c] & grown:
                    members.append(c)
                    grown |= masks[c] & req
                else:
                    others.append(c)
            left = others
            if grown == rows:
                break
            rows = grown
        groups.append((rows, members))
        rest &= ~rows
    return groups


def minimum_covers(
    columns: Sequence[int],
    n_rows: int,
    *,
    max_solutions: int | None = None,
    time_limit: float | None = None,
) -> CoverResult:
    """Return every minimum-size set of columns covering all ``n_rows`` rows.

    ``columns[j]`` is the bit set of rows covered by column ``j``. Solutions are tuples of
    column indices in increasing order, sorted. Enumeration stops once more than
    ``max_solutions`` covers are known or ``time_limit`` seconds have passed; the result then
    says so (``complete`` is False). ``n_solutions`` is exact when ``exhaustive`` (the listing
    may still be capped at ``max_solutions``), otherwise a lower bound.

    >>> minimum_covers([0b011, 0b110, 0b100, 0b001], 3).solutions
    [(0, 1), (0, 2), (1, 3)]
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    full = (1 << n_rows) - 1
    classes: dict[int, list[int]] = {}
    for j, c in enumerate(columns):
        c &= full
        if c:
            classes.setdefault(c, []).append(j)
    masks = list(classes)
    members = [classes[m] for m in masks]
    weight = [len(m) for m in members]
    union = 0
    for m in masks:
        union |= m
    if union != full:
        missing = [r for r in range(n_rows) if not (union >> r) & 1]
        raise ValueError(f"rows {missing} are not covered by any column")
    if n_rows == 0:
        return CoverResult(0, [()], 1, True)

    # reductions that keep every cover (candidates always counted over all classes): rows
    # whose candidate set contains another row's are dropped, and a row left with a single
    # candidate forces that class into every cover; repeat until neither applies
    req = full
    forced: list[int] = []
    cand = list(range(len(masks)))
    while True:
        cand = [c for c in cand if masks[c] & req]
        rowc: dict[int, int] = {}
        for c in cand:
            for r in bits(masks[c] & req):
                rowc[r] = rowc.get(r, 0) | (1 << c)
        kept: list[int] = []
        for r in sorted(rowc, key=lambda r: rowc[r].bit_count()):
            rc = rowc[r]
            if not any(rowc[k] & rc == rowc[k] for k in kept):
                kept.append(r)
        req = sum(1 << r for r in kept)
        single = {rowc[r] for r in kept if rowc[r].bit_count() == 1}
        if not single:
            break
        for c1 in single:
            c = c1.bit_length() - 1
            forced.append(c)
            req &= ~masks[c]
    forced.sort()

    # the rest splits into independent components: the minimum is the sum of theirs and the
    # minimum covers are the products of theirs
    parts = [
        _solve_component(masks, weight, comp, rows, n_rows, max_solutions, deadline)
        for rows, comp in _components(masks, cand, req)
    ]
    size = len(forced) + sum(p.size for p in parts)
    n_solutions = math.prod(weight[c] for c in forced) * math.prod(p.count for p in parts)
    exhaustive = all(p.exhaustive for p in parts)
    optimal = all(p.optimal for p in parts)

    solutions: list[tuple[int, ...]] = []
    cap = max_solutions
    for combo in itertools.product(*(p.keys for p in parts)):
        key = sorted(forced + [c for k in combo for c in k])
        for pick in itertools.product(*(members[c] for c in key)):
            solutions.append(tuple(sorted(pick)))
            if cap is not None and len(solutions) >= cap:
                break
        if cap is not None and len(solutions) >= cap:
            break
    solutions.sort()
    return CoverResult(size, solutions, n_solutions, exhaustive, optimal)
