"""Minimisation cross-checked against independent methods on random truth tables.

* brute force: prime implicants from all 3**k cubes, minimal covers from all combinations of
  primes of increasing size (every minimal model must be returned, and nothing else);
* sympy's ``SOPform`` (one heuristic model): never fewer terms than our minimum, and when it
  has as many, its model is one of ours.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable

import pandas as pd
import pytest
from sympy import And, Not, Or, Symbol, symbols
from sympy.logic import SOPform

from srim_analysis.analyses import qca
from srim_analysis.analyses.qca import _covers as covers

N_TABLES = 200
N_SOPFORM = 60


def random_table(seed: int) -> tuple[list[str], dict[int, int]]:
    rng = random.Random(seed)
    k = rng.randint(3, 6)
    conds = [f"C{i}" for i in range(k)]
    n_obs = rng.randint(2, min(1 << k, 10))
    rows = rng.sample(range(1 << k), n_obs)
    outs = {r: rng.randint(0, 1) for r in rows}
    outs[rows[0]], outs[rows[1]] = 1, 0  # something to explain and something to avoid
    return conds, outs


def crisp_data(conds: list[str], outs: dict[int, int]) -> pd.DataFrame:
    k = len(conds)
    recs = {f"r{r}": [int(b) for b in qca.row_string(r, k)] + [y] for r, y in sorted(outs.items())}
    return pd.DataFrame.from_dict(recs, orient="index", columns=[*conds, "Y"])


def cube_rows(cube: tuple[int | None, ...]) -> list[int]:
    k = len(cube)
    base = sum(1 << (k - 1 - i) for i, v in enumerate(cube) if v == 1)
    free = [1 << (k - 1 - i) for i, v in enumerate(cube) if v is None]
    return [
        base + sum(f for f, on in zip(free, pick, strict=True) if on)
        for pick in itertools.product((0, 1), repeat=len(free))
    ]


def brute_force(
    conds: list[str], on: set[int], allowed: set[int]
) -> tuple[int, set[frozenset[str]]]:
    """Minimum number of terms and every minimal model (as sets of term strings)."""
    k = len(conds)
    implicants = {}
    for cube in itertools.product((0, 1, None), repeat=k):
        rows = cube_rows(cube)
        if all(r in allowed for r in rows):
            implicants[cube] = set(rows)
    primes = []
    for cube, rows in implicants.items():
        widened = ((*cube[:i], None, *cube[i + 1 :]) for i in range(k) if cube[i] is not None)
        if not any(w in implicants for w in widened) and rows & on:
            primes.append((cube, frozenset(rows & on)))
    names = []
    for cube, _ in primes:
        lits = [c if v else f"~{c}" for c, v in zip(conds, cube, strict=True) if v is not None]
        names.append("*".join(lits))
    for size in range(1, len(primes) + 1):
        found = set()
        for combo in itertools.combinations(range(len(primes)), size):
            if set().union(*(primes[i][1] for i in combo)) == on:
                found.add(frozenset(names[i] for i in combo))
        if found:
            return size, found
    raise AssertionError("no cover")


def as_sets(models: Iterable[str]) -> set[frozenset[str]]:
    return {frozenset(m.split(" + ")) for m in models}


@pytest.mark.parametrize("remainders", [False, True], ids=["conservative", "parsimonious"])
def test_minimal_models_match_brute_force(remainders: bool) -> None:
    checked = 0
    for seed in range(N_TABLES):
        conds, outs = random_table(seed)
        tt = qca.truth_table(crisp_data(conds, outs), "Y", conds)
        on = {r for r, y in outs.items() if y == 1}
        off = {r for r, y in outs.items() if y == 0}
        allowed = set(range(1 << len(conds))) - off if remainders else on
        size, expected = brute_force(conds, on, allowed)
        sol = qca.minimize(tt, remainders=remainders)
        assert sol.complete and sol.optimal
        assert sol.minimum_terms == size, seed
        assert as_sets(sol.models) == expected, seed
        assert len(sol.models) == len(set(sol.models)) == sol.n_models
        assert all(len(m.split(" + ")) == size for m in sol.models)
        # every model explains every row coded 1 and none coded 0
        columns = {c: tt.data[c].to_numpy(dtype=float) for c in tt.data.columns}
        y = columns["Y"]
        for model in sol.models:
            x = qca.parse(model).evaluate(columns)
            assert (x[y == 1] == 1).all() and (x[y == 0] == 0).all()
        checked += 1
    assert checked == N_TABLES


def _sympy_terms(expr: object, names: dict[Symbol, str]) -> set[str] | None:
    def term(t: object) -> str:
        lits = t.args if isinstance(t, And) else (t,)
        out = {}
        for lit in lits:
            if isinstance(lit, Not):
                out[names[lit.args[0]]] = f"~{names[lit.args[0]]}"
            else:
                out[names[lit]] = names[lit]
        order = list(names.values())
        return "*".join(out[n] for n in order if n in out)

    if expr is True or expr is False:
        return None
    terms = expr.args if isinstance(expr, Or) else (expr,)
    return {term(t) for t in terms}


@pytest.mark.parametrize("remainders", [False, True], ids=["conservative", "parsimonious"])
def test_sopform_never_beats_the_minimum(remainders: bool) -> None:
    same = 0
    for seed in range(N_SOPFORM):
        conds, outs = random_table(seed)
        k = len(conds)
        tt = qca.truth_table(crisp_data(conds, outs), "Y", conds)
        sol = qca.minimize(tt, remainders=remainders)
        syms = symbols(" ".join(conds))
        syms = syms if isinstance(syms, tuple) else (syms,)
        names = dict(zip(syms, conds, strict=True))
        on = sorted(r for r, y in outs.items() if y == 1)
        dc = []
        if remainders:
            dc = [r for r in range(1 << k) if r not in outs]
        terms = _sympy_terms(SOPform(list(syms), on, dc), names)
        assert terms is not None
        assert len(terms) >= sol.minimum_terms, seed
        if len(terms) == sol.minimum_terms:
            assert frozenset(terms) in as_sets(sol.models), seed
            same += 1
    assert same > N_SOPFORM // 2  # SOPform is usually (not always) minimal on small tables


def test_minimum_covers_unit() -> None:
    # rows 0..3; columns: {0,1}, {2,3}, {0,2}, {1,3}, {0}, {3}
    cols = [0b0011, 0b1100, 0b0101, 0b1010, 0b0001, 0b1000]
    res = qca.minimum_covers(cols, 4)
    assert res.size == 2 and res.solutions == [(0, 1), (2, 3)] and res.complete
    # identical columns are interchangeable: 2 x 2 models
    res = qca.minimum_covers([0b01, 0b01, 0b10, 0b10], 2)
    assert res.solutions == [(0, 2), (0, 3), (1, 2), (1, 3)] and res.n_solutions == 4
    capped = qca.minimum_covers([0b01, 0b01, 0b10, 0b10], 2, max_solutions=3)
    assert not capped.complete and len(capped.solutions) == 3
    with pytest.raises(ValueError):
        qca.minimum_covers([0b01], 2)


def test_large_chart_uses_exact_integer_programme() -> None:
    # 60 rows; columns are all pairs {i, i+1} (a path): the minimum is 30, and there are
    # exactly as many minimal covers as ways to tile a path of 60 with dominoes: 1
    n = 60
    cols = [(1 << i) | (1 << (i + 1)) for i in range(n - 1)]
    res = qca.minimum_covers(cols, n)
    assert res.size == 30 and res.solutions == [tuple(range(0, n - 1, 2))] and res.complete
    # a cycle of 61 rows needs 31 pairs, in 61 ways (one row is covered twice)
    m = 61
    cols = [(1 << i) | (1 << ((i + 1) % m)) for i in range(m)]
    res = qca.minimum_covers(cols, m)
    assert res.size == 31 and res.n_solutions == len(res.solutions) == 61


def test_intermediate_invariants_on_random_tables() -> None:
    for seed in range(50):
        conds, outs = random_table(seed)
        k = len(conds)
        tt = qca.truth_table(crisp_data(conds, outs), "Y", conds)
        rng = random.Random(seed)
        expect = {c: rng.choice([1, 0, "-"]) for c in conds}
        pars = qca.minimize(tt, remainders=True)
        inter = qca.minimize(tt, directional=expect)
        on = {r for r, y in outs.items() if y == 1}
        off = {r for r, y in outs.items() if y == 0}
        for pair, (easy, difficult) in inter.counterfactuals.items():
            p_model = "M" + pair.split("P")[1]
            assert sorted(easy + difficult) == pars.simplifying_assumptions_by_model[p_model]
            assert not set(easy) & set(difficult)
        every_row = {
            c: [int(qca.row_string(r, k)[i]) for r in range(1 << k)] for i, c in enumerate(conds)
        }
        for model, origin in zip(inter.models, inter.origin, strict=True):
            easy = {int(r, 2) for r in inter.counterfactuals[origin.split(", ")[0]][0]}
            member = qca.parse(model).evaluate(every_row)
            rows = {r for r in range(1 << k) if member[r] == 1}
            assert on <= rows and not rows & off, seed
            assert rows <= on | easy, seed  # only easy counterfactuals are used


def random_chart(rng: random.Random) -> tuple[list[int], int]:
    """Columns over 1-3 independent blocks of rows, with duplicates and lone-candidate rows."""
    cols: list[int] = []
    n = 0
    for _ in range(rng.randint(1, 3)):
        size = rng.randint(1, 5)
        block = [1 << (n + i) for i in range(size)]
        for _ in range(rng.randint(1, 5)):
            cols.append(sum(b for b in block if rng.random() < 0.5) or block[0])
        for b in block:  # every row coverable; some rows only by one column
            if not any(c & b for c in cols):
                cols.append(b)
        n += size
    if cols and rng.random() < 0.5:
        cols.append(rng.choice(cols))  # interchangeable duplicate
    rng.shuffle(cols)
    return cols, n


def brute_force_covers(cols: list[int], n: int) -> list[tuple[int, ...]]:
    full = (1 << n) - 1
    for size in range(len(cols) + 1):
        found = [
            combo
            for combo in itertools.combinations(range(len(cols)), size)
            if sum_or(cols[j] for j in combo) & full == full
        ]
        if found:
            return found
    raise AssertionError("no cover")


def sum_or(values: Iterable[int]) -> int:
    out = 0
    for v in values:
        out |= v
    return out


def test_minimum_covers_match_brute_force_on_random_charts() -> None:
    rng = random.Random(5)
    several = forced = 0
    for _ in range(400):
        cols, n = random_chart(rng)
        expected = brute_force_covers(cols, n)
        res = qca.minimum_covers(cols, n)
        assert res.solutions == expected, (cols, n)
        assert res.size == len(expected[0]) and res.n_solutions == len(expected)
        assert res.complete and res.optimal
        several += (
            len(covers._components(list(set(cols)), list(range(len(set(cols)))), 2**n - 1)) > 1
        )
        forced += any(sum(1 for c in cols if c >> r & 1) == 1 for r in range(n))
        # a listing cap keeps the exact count when the search itself finished
        if len(expected) > 2:
            capped = qca.minimum_covers(cols, n, max_solutions=2)
            assert len(capped.solutions) == 2 and not capped.complete
            assert set(capped.solutions) <= set(expected)
            assert capped.n_solutions == len(expected) or not capped.exhaustive
    assert several > 100 and forced > 100  # the generator exercises both reductions


def test_components_multiply_and_match_the_undecomposed_search() -> None:
    rng = random.Random(11)
    for _ in range(100):
        # two copies of a random block on disjoint rows: covers are the product of the block's
        cols, n = random_chart(rng)
        block = qca.minimum_covers(cols, n)
        both = qca.minimum_covers(cols + [c << n for c in cols], 2 * n)
        m = len(cols)
        assert both.size == 2 * block.size
        assert both.n_solutions == block.n_solutions**2
        assert both.solutions == sorted(
            a + tuple(j + m for j in b)
            for a, b in itertools.product(block.solutions, block.solutions)
        )
        # the component solver run on the whole chart (no reductions, no split) agrees
        masks = list(dict.fromkeys(c for c in cols))
        weight = [cols.count(c) for c in masks]
        part = covers._solve_component(
            masks, weight, list(range(len(masks))), 2**n - 1, n, None, None
        )
        assert part.size == block.size and part.count == block.n_solutions
        assert part.exhaustive and part.optimal


def test_exact_count_beyond_the_listing_cap() -> None:
    # 7 independent rows, each with 3 interchangeable columns: 3**7 minimum covers of size 7
    cols = [1 << r for r in range(7) for _ in range(3)]
    res = qca.minimum_covers(cols, 7, max_solutions=100)
    assert res.size == 7 and res.exhaustive and res.n_solutions == 3**7
    assert len(res.solutions) == 100 and not res.complete
