"""Boolean minimisation of truth tables: conservative, parsimonious and intermediate solutions.

Prime implicants are generated bit-parallel: for every set ``F`` of eliminated conditions a
Python integer holds, over all ``2**k`` truth-table rows, which ``F``-cubes lie inside the
allowed rows (explained rows plus don't-cares). Extending ``F`` by condition ``j`` is an AND
with a copy whose bits are swapped along dimension ``j``; a cube is prime when no such
extension stays inside. The prime implicant chart is then solved exactly by
:func:`._covers.minimum_covers`, which lists *all* covers with the fewest implicants.

The procedure follows R's QCA package (Dusa): the conservative (complex) solution uses only
the rows coded 1; the parsimonious solution adds the remainders as don't-cares; the
intermediate solution keeps, for every pair of conservative and parsimonious models, the
simplifying assumptions that are easy counterfactuals (Ragin & Sonnett) and minimises the
explained rows together with those.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ._covers import CoverResult, bits, minimum_covers
from ._fit import sufficiency_measures, unique_coverage
from ._notation import implicant_string, row_string
from ._tables import QCATable, latex_table, markdown_table, text_table
from ._truthtable import QCAWarning, TruthTable

__all__ = [
    "MODEL_ROW",
    "Solution",
    "minimize",
    "prime_implicants",
    "r_sort",
]

#: Row label (second index level) of a model's own fit in :attr:`Solution.fit`.
MODEL_ROW = "(model)"

Implicant = tuple[int, int]  # (mask of conditions in the term, their values)


# --------------------------------------------------------------------------- prime implicants
def _zero_masks(n: int) -> list[int]:
    size = 1 << n
    out = []
    for j in range(n):
        span = 1 << j
        m = (1 << span) - 1
        length = 2 * span
        while length < size:
            m |= m << length
            length *= 2
        out.append(m & ((1 << size) - 1))
    return out


def prime_implicants(n: int, allowed: int, on: int, *, touching_on: bool = True) -> list[Implicant]:
    """Return the prime implicants of the row set ``allowed`` as (mask, value) pairs.

    ``allowed`` and ``on`` are bit sets over the ``2**n`` rows (bit ``r`` = row number ``r``).
    With ``touching_on`` only implicants containing at least one ``on`` row are returned.

    >>> sorted(prime_implicants(2, 0b1110, 0b1110))  # A + B
    [(1, 1), (2, 2)]
    """
    if n < 0 or n > 24:
        raise ValueError("prime implicant generation supports 0 to 24 conditions")
    size = 1 << n
    full = (1 << size) - 1
    allowed &= full
    on &= allowed
    zeros = _zero_masks(n)
    all_conds = (1 << n) - 1

    def swap(b: int, j: int) -> int:
        s = 1 << j
        z = zeros[j]
        return ((b >> s) & z) | ((b & z) << s)

    out: list[Implicant] = []
    level: dict[int, tuple[int, int, int]] = {0: (allowed, on, full)} if allowed else {}
    while level:
        nxt: dict[int, tuple[int, int, int]] = {}
        for free, (imp, anyon, canon) in level.items():
            nonprime = 0
            top = free.bit_length()
            for j in range(n):
                bit = 1 << j
                if free & bit:
                    continue
                sw = swap(imp, j)
                nonprime |= sw
                if j >= top:
                    both = imp & sw
                    if both:
                        nxt[free | bit] = (both, anyon | swap(anyon, j), canon & zeros[j])
            primes = imp & ~nonprime & canon
            if touching_on:
                primes &= anyon
            mask = all_conds ^ free
            out.extend((mask, x) for x in bits(primes))
        level = nxt
    return out


def _codes(imp: Implicant, n: int) -> tuple[int, ...]:
    mask, value = imp
    out = []
    for i in range(n):
        bit = 1 << (n - 1 - i)
        out.append(0 if not mask & bit else (2 if value & bit else 1))
    return tuple(out)


def r_sort(implicants: Sequence[Implicant], n: int) -> list[Implicant]:
    """Return implicants in R QCA's order (its ``sortmat``), which fixes term and model order.

    Conditions are processed from last to first, each time sorting stably with the implicants
    that contain the condition first (absent ``~X`` before present ``X``) and those that do not
    last; finally implicants are sorted stably by their number of literals. As in R, when every
    implicant contains a condition, the last one is left out of the absent-before-present step.
    """
    codes = [_codes(p, n) for p in implicants]
    ck = [p[0].bit_count() for p in implicants]
    order = sorted(
        range(len(implicants)),
        key=lambda p: (ck[p], [i for i, c in enumerate(codes[p]) if c], codes[p]),
    )
    for i in reversed(range(n)):
        order.sort(key=lambda p: -codes[p][i])
        z = next((k for k, p in enumerate(order) if codes[p][i] == 0), len(order) - 1)
        order[:z] = sorted(order[:z], key=lambda p: codes[p][i])
    order.sort(key=lambda p: ck[p])
    return [implicants[p] for p in order]


def _coverage(implicants: Sequence[Implicant], rows: Sequence[int]) -> list[int]:
    """Bit set (over ``rows`` positions) of the rows each implicant covers."""
    if not implicants:
        return []
    if not rows:
        return [0] * len(implicants)
    masks = np.fromiter((m for m, _ in implicants), dtype=np.int64, count=len(implicants))
    values = np.fromiter((v for _, v in implicants), dtype=np.int64, count=len(implicants))
    r = np.asarray(rows, dtype=np.int64)
    hit = (r[None, :] & masks[:, None]) == values[:, None]
    packed = np.packbits(hit, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _cube_rows(imp: Implicant, n: int) -> Iterator[int]:
    mask, value = imp
    free = ((1 << n) - 1) & ~mask
    sub = free
    while True:
        yield value | sub
        if sub == 0:
            return
        sub = (sub - 1) & free


def _covers_row(imp: Implicant, row: int) -> bool:
    return row & imp[0] == imp[1]


# --------------------------------------------------------------------------- chart solving
@dataclass
class _Solved:
    implicants: list[Implicant]  # R-sorted chart rows (each covers an explained row)
    models: list[tuple[int, ...]]  # indices into implicants
    cover: CoverResult


def _solve(
    n: int,
    on_rows: Sequence[int],
    allowed: int,
    *,
    all_primes: bool,
    max_models: int | None,
    time_limit: float | None,
) -> _Solved:
    on_bits = 0
    for r in on_rows:
        on_bits |= 1 << r
    pis = r_sort(prime_implicants(n, allowed | on_bits, on_bits, touching_on=not all_primes), n)
    cov = _coverage(pis, on_rows)
    keep = [i for i, c in enumerate(cov) if c]
    pis = [pis[i] for i in keep]
    cov = [cov[i] for i in keep]
    result = minimum_covers(cov, len(on_rows), max_solutions=max_models, time_limit=time_limit)
    return _Solved(pis, result.solutions, result)


# --------------------------------------------------------------------------- result object
def _rows_list(rows: set[int] | Sequence[int], n: int) -> list[str]:
    return [row_string(r, n) for r in sorted(set(rows))]


@dataclass(eq=False)
class Solution:
    """The minimal models of a truth table, with their fit and simplifying assumptions.

    ``models`` holds every model with the fewest prime implicants (``M1``, ``M2``, ... in R
    QCA's order) as strings such as ``"DEV*~URB + STB"``. ``fit`` gives, for each model and
    term, inclS, PRI, covS, covU and the cases; the model's own fit is on the ``"(model)"``
    row. Simplifying assumptions and counterfactuals are row strings in condition order.
    """

    truth_table: TruthTable = field(repr=False)
    kind: str
    models: list[str]
    prime_implicants: list[str]
    essential: list[str]
    simplifying_assumptions: list[str]
    easy_counterfactuals: list[str]
    difficult_counterfactuals: list[str]
    directional: dict[str, int | str]
    #: Fewest prime implicants in a model (smallest over the pairs for intermediate solutions).
    minimum_terms: int
    #: Number of minimal models (a lower bound when ``complete`` is False).
    n_models: int
    #: Every minimal model is listed.
    complete: bool
    #: The minimum number of terms is proven (False only after a time-out).
    optimal: bool
    #: Intermediate solutions: the conservative/parsimonious models behind each model.
    origin: list[str] = field(default_factory=list)
    #: Intermediate solutions: ``"C1P1" -> (easy, difficult)`` counterfactuals per pair.
    counterfactuals: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    model_terms: list[list[Implicant]] = field(default_factory=list, repr=False)
    #: Terms of the parsimonious models behind the simplifying assumptions.
    parsimonious_terms: list[list[Implicant]] = field(default_factory=list, repr=False)

    @cached_property
    def simplifying_assumptions_by_model(self) -> dict[str, list[str]]:
        """Return the simplifying assumptions of each parsimonious model (``M1``, ...)."""
        n = len(self.conditions)
        on = {int(r, 2) for r in self.truth_table.rows_with(1)}
        return {
            f"M{i + 1}": _rows_list(_simplifying(terms, n, on), n)
            for i, terms in enumerate(self.parsimonious_terms)
        }

    @property
    def conditions(self) -> list[str]:
        """Return the condition names in order."""
        return self.truth_table.conditions

    @property
    def outcome(self) -> str:
        """Return the outcome (``~Y`` when negated)."""
        return self.truth_table.outcome

    @property
    def labels(self) -> list[str]:
        """Return the model labels ``M1``, ``M2``, ..."""
        return [f"M{i + 1}" for i in range(len(self.models))]

    @cached_property
    def _explained(self) -> list[tuple[int, str]]:
        table = self.truth_table.table
        return [
            (int(row, 2), cases)
            for row, out, cases in zip(table.index, table["OUT"], table["cases"], strict=True)
            if out == 1 and cases
        ]

    def _cases(self, *imps: Implicant) -> str:
        """Cases of the explained rows covered by any of ``imps`` (rows separated by ``;``)."""
        return "; ".join(
            cases for row, cases in self._explained if any(_covers_row(i, row) for i in imps)
        )

    @cached_property
    def fit(self) -> pd.DataFrame:
        """Return inclS, PRI, covS, covU and cases per (model, term), plus each model's fit."""
        tt = self.truth_table
        y = tt.outcome_values.to_numpy()
        x = tt.data[tt.conditions].to_numpy(dtype=float)
        n = len(tt.conditions)
        cache: dict[Implicant, tuple[np.ndarray, str, str, tuple[float, float, float]]] = {}

        def term(imp: Implicant) -> tuple[np.ndarray, str, str, tuple[float, float, float]]:
            if imp not in cache:
                cols = [
                    x[:, i] if imp[1] >> (n - 1 - i) & 1 else 1.0 - x[:, i]
                    for i in range(n)
                    if imp[0] >> (n - 1 - i) & 1
                ]
                m = np.minimum.reduce(cols) if cols else np.ones(len(x))
                text = implicant_string(*imp, tt.conditions)
                cache[imp] = (m, text, self._cases(imp), sufficiency_measures(m, y))
            return cache[imp]

        recs = []
        for label, terms in zip(self.labels, self.model_terms, strict=True):
            info = [term(t) for t in terms]
            xs = [i[0] for i in info]
            for (_, text, cases, (incl, pri, cov)), cu in zip(
                info, unique_coverage(xs, y), strict=True
            ):
                recs.append((label, text, incl, pri, cov, cu, cases))
            incl, pri, cov = sufficiency_measures(np.maximum.reduce(xs), y)
            recs.append((label, MODEL_ROW, incl, pri, cov, math.nan, self._cases(*terms)))
        df = QCATable(recs, columns=["model", "term", "inclS", "PRI", "covS", "covU", "cases"])
        return df.set_index(["model", "term"])

    @property
    def model_fit(self) -> pd.DataFrame:
        """Return one row per model: the model string and its inclS, PRI and covS."""
        df = self.fit.xs(MODEL_ROW, level="term")[["inclS", "PRI", "covS"]].copy()
        df.insert(0, "solution", self.models)
        return df

    def summary(self, digits: int = 3, max_models: int = 20) -> str:
        """Return a readable text report of the models, their fit and the assumptions.

        Only the first ``max_models`` models are written out (all are in ``models``).
        """
        tt = self.truth_table
        cut = tt.incl_cut if isinstance(tt.incl_cut, float) else tuple(tt.incl_cut)
        head = [
            f"{self.kind.capitalize()} solution for {self.outcome} "
            f"(incl_cut = {cut}, n_cut = {tt.n_cut}, pri_cut = {tt.pri_cut})",
        ]
        if self.directional:
            head.append(
                "Directional expectations: "
                + ", ".join(f"{k}={v}" for k, v in self.directional.items())
            )
        more = "" if self.complete else f" (listing incomplete: at least {self.n_models})"
        head.append(
            f"{len(self.models)} minimal model(s) with {self.minimum_terms} prime implicant(s)"
            + more
        )
        lines = [*head, ""]
        shown = self.labels[:max_models]
        for i, label in enumerate(shown):
            origin = f"  [{self.origin[i]}]" if self.origin else ""
            lines.append(f"{label}: {self.models[i]} -> {self.outcome}{origin}")
        if len(shown) < len(self.models):
            lines.append(f"... and {len(self.models) - len(shown)} more models")
        fit = self.fit.loc[shown] if len(shown) < len(self.models) else self.fit
        lines += ["", text_table(fit, digits=digits)]
        if self.kind != "conservative":
            sa = self.simplifying_assumptions
            lines += ["", f"Simplifying assumptions ({len(sa)}): " + (", ".join(sa) or "none")]
        if self.kind == "intermediate":
            ec, dc = self.easy_counterfactuals, self.difficult_counterfactuals
            lines.append(f"Easy counterfactuals ({len(ec)}): " + (", ".join(ec) or "none"))
            lines.append(f"Difficult counterfactuals ({len(dc)}): " + (", ".join(dc) or "none"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"Solution(kind={self.kind!r}, outcome={self.outcome!r}, models={self.models!r})"

    def to_markdown(self, digits: int = 3) -> str:
        """Return the fit table as Markdown (terms and models in backticks; no ``tabulate``)."""
        df = self._export_frame()
        return markdown_table(df, digits=digits, index=False, code_columns=("term",))

    def to_latex(
        self, digits: int = 3, caption: str | None = None, label: str | None = None
    ) -> str:
        """Return the fit table as a LaTeX table (booktabs; terms in ``\\texttt``)."""
        df = self._export_frame()
        return latex_table(
            df, digits=digits, index=False, code_columns=("term",), caption=caption, label=label
        )

    def _export_frame(self) -> pd.DataFrame:
        df = self.fit.reset_index()
        models = dict(zip(self.labels, self.models, strict=True))
        is_model = df["term"] == MODEL_ROW
        df.loc[is_model, "term"] = df.loc[is_model, "model"].map(models)
        return df


# --------------------------------------------------------------------------- minimize
def _expectations(
    directional: Mapping[str, int | str | None], conditions: Sequence[str]
) -> dict[str, int | str]:
    unknown = set(directional) - set(conditions)
    if unknown:
        raise ValueError(f"directional expectations for unknown conditions: {sorted(unknown)}")
    out: dict[str, int | str] = {}
    for c in conditions:
        v = directional.get(c, "-")
        if v is None or (isinstance(v, str) and v.strip() in {"-", ""}):
            out[c] = "-"
        elif str(v).strip() in {"1", "1.0"}:
            out[c] = 1
        elif str(v).strip() in {"0", "0.0"}:
            out[c] = 0
        else:
            raise ValueError(f"directional expectation for {c!r} must be 1, 0 or '-', not {v!r}")
    return out


def _simplifying(terms: Sequence[Implicant], n: int, on: set[int]) -> set[int]:
    rows: set[int] = set()
    for t in terms:
        rows.update(_cube_rows(t, n))
    return rows - on


def _intermediate_terms(
    cons: Sequence[Implicant], pars: Sequence[Implicant], expect: Sequence[int | None], n: int
) -> list[Implicant]:
    out = []
    for cm, cv in cons:
        for pm, pv in pars:
            if pm & ~cm or (cv & pm) != pv:
                continue  # the conservative term is not a subset of the parsimonious one
            m, v = cm, cv
            for i, e in enumerate(expect):
                bit = 1 << (n - 1 - i)
                if e is not None and cm & bit and not pm & bit and bool(cv & bit) != bool(e):
                    m &= ~bit  # a literal against the expectation: drop it (easy counterfactual)
                    v &= ~bit
            out.append((m, v))
    return out


def minimize(
    tt: TruthTable,
    remainders: bool = False,
    directional: Mapping[str, int | str | None] | None = None,
    *,
    max_models: int | None = 10_000,
    time_limit: float | None = 60.0,
) -> Solution:
    """Return the minimal models of a truth table (conservative, parsimonious or intermediate).

    * ``remainders=False``: conservative (complex) solution, rows coded 1 only;
    * ``remainders=True``: parsimonious solution, remainders as don't-cares;
    * ``directional={"A": 1, "B": 0, "C": "-"}``: intermediate solution (implies remainders,
      used only through easy counterfactuals); unnamed conditions have no expectation.

    Minimality follows R QCA: a model uses the fewest prime implicants, and *every* model with
    that number is returned (``M1``, ``M2``, ... in R's order), with no further tie-breaking
    by the number of literals. Rows coded 0 or ``"C"`` are never covered. Listing stops after
    ``max_models`` models or ``time_limit`` seconds (``None`` for no limit); the result then
    has ``complete=False`` and a :class:`QCAWarning` says so. Should the time limit strike
    before the minimum number of terms is proven (large random charts), ``optimal`` is False
    and the model given is the best cover found, not necessarily minimal (also warned).

    >>> from srim_analysis.analyses.qca import truth_table
    >>> df = pd.DataFrame({"A": [1, 1, 0, 0], "B": [1, 0, 1, 0], "Y": [1, 1, 0, 0]})
    >>> minimize(truth_table(df, "Y", ["A", "B"])).models
    ['A']
    """
    if not isinstance(tt, TruthTable):
        raise TypeError("minimize() needs a TruthTable (see truth_table())")
    if max_models is not None and max_models < 1:
        raise ValueError("max_models must be at least 1")
    deadline = None if time_limit is None else time.perf_counter() + time_limit

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.0)

    n = tt.n_conditions
    conds = tt.conditions
    on_rows = sorted(int(r, 2) for r in tt.rows_with(1))
    off_rows = sorted(int(r, 2) for r in tt.table.index if tt.table.at[r, "OUT"] != 1)
    if not on_rows:
        raise ValueError("no truth-table row is coded 1: nothing to explain")
    on_set = set(on_rows)
    on_bits = sum(1 << r for r in on_rows)
    everything = (1 << (1 << n)) - 1
    off_bits = sum(1 << r for r in off_rows)

    def solve(allowed: int, all_primes: bool = False) -> _Solved:
        return _solve(
            n,
            on_rows,
            allowed,
            all_primes=all_primes,
            max_models=max_models,
            time_limit=remaining(),
        )

    expect_map = _expectations(directional, conds) if directional is not None else {}
    if directional is None and not remainders:
        kind = "conservative"
        solved = solve(on_bits)
        sols, origins = [solved], [""]
    else:
        if not off_rows:
            raise ValueError(
                "no truth-table row is coded 0: with the remainders every condition is "
                "minimised away (the outcome is always explained)"
            )
        pars = solve(everything & ~off_bits)
        if directional is None:
            kind = "parsimonious"
            sols, origins = [pars], [""]
        else:
            kind = "intermediate"
            cons = solve(on_bits)
    counterfactuals: dict[str, tuple[list[str], list[str]]] = {}
    pars_terms: list[list[Implicant]] = []
    sa_list: list[str] = []
    if kind in ("parsimonious", "intermediate"):
        pars_terms = [[pars.implicants[j] for j in model] for model in pars.models]
        used = {t for terms in pars_terms for t in terms}
        sa_list = _rows_list(_simplifying(sorted(used), n, on_set), n)
    if kind == "intermediate":
        expect = [None if expect_map[c] == "-" else int(expect_map[c]) for c in conds]
        sols, origins = [], []
        cache: dict[frozenset[int], _Solved] = {}
        pars_sa = [_simplifying(pterms, n, on_set) for pterms in pars_terms]
        for ci, cmodel in enumerate(cons.models):
            cterms = [cons.implicants[j] for j in cmodel]
            for pi, pterms in enumerate(pars_terms):
                sa = pars_sa[pi]
                inter = _intermediate_terms(cterms, pterms, expect, n)
                easy = {r for r in sa if any(_covers_row(t, r) for t in inter)}
                pair = f"C{ci + 1}P{pi + 1}"
                counterfactuals[pair] = (_rows_list(easy, n), _rows_list(sa - easy, n))
                key = frozenset(easy)
                if key not in cache:
                    ec_bits = sum(1 << r for r in easy)
                    cache[key] = solve(on_bits | ec_bits, all_primes=True)
                sols.append(cache[key])
                origins.append(pair)

    # collect models (distinct, in order of appearance)
    models: list[str] = []
    model_terms: list[list[Implicant]] = []
    model_origin: list[str] = []
    seen: dict[str, int] = {}
    names: dict[Implicant, str] = {}
    for solved, origin in zip(sols, origins, strict=True):
        for p in solved.implicants:
            if p not in names:
                names[p] = implicant_string(*p, conds)
        for model in solved.models:
            terms = [solved.implicants[j] for j in model]
            text = " + ".join(names[t] for t in terms)
            if text in seen:
                if origin:
                    model_origin[seen[text]] += f", {origin}"
                continue
            seen[text] = len(models)
            models.append(text)
            model_terms.append(terms)
            model_origin.append(origin)
    distinct_solved = list({id(s): s for s in sols}.values())
    complete = all(s.cover.complete for s in distinct_solved)
    optimal = all(s.cover.optimal for s in distinct_solved)
    if kind == "intermediate":
        complete = complete and cons.cover.complete and pars.cover.complete
        optimal = optimal and cons.cover.optimal and pars.cover.optimal
    n_models = (
        len(models)
        if complete
        else max(len(models), *(s.cover.n_solutions for s in distinct_solved))
    )
    if not complete:
        warnings.warn(
            f"{kind} solution: model listing is incomplete ({len(models)} listed, at least "
            f"{n_models} minimal models exist; max_models={max_models}, time_limit={time_limit})",
            QCAWarning,
            stacklevel=2,
        )
    if not optimal:
        warnings.warn(
            f"{kind} solution: the minimum number of prime implicants was not proven within "
            f"time_limit={time_limit} s",
            QCAWarning,
            stacklevel=2,
        )

    chart_pis = list(dict.fromkeys(p for s in distinct_solved for p in s.implicants))
    in_all = set.intersection(*(set(t) for t in model_terms)) if model_terms else set()
    essential = [names[p] for p in chart_pis if p in in_all]

    easy_list: list[str] = []
    diff_list: list[str] = []
    if kind == "intermediate":
        easy_list = sorted({r for e, _ in counterfactuals.values() for r in e})
        diff_list = sorted({r for _, d in counterfactuals.values() for r in d})

    return Solution(
        truth_table=tt,
        kind=kind,
        models=models,
        prime_implicants=[names[p] for p in chart_pis],
        essential=essential,
        simplifying_assumptions=sa_list,
        easy_counterfactuals=easy_list,
        difficult_counterfactuals=diff_list,
        directional=expect_map,
        minimum_terms=min(s.cover.size for s in distinct_solved),
        n_models=n_models,
        complete=complete,
        optimal=optimal,
        origin=model_origin if kind == "intermediate" else [],
        parsimonious_terms=pars_terms,
        counterfactuals=counterfactuals,
        model_terms=model_terms,
    )
