"""Parameters of fit: sufficiency (inclS, PRI, covS, covU) and necessity (inclN, RoN, covN)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._notation import Expression, parse, render
from ._tables import QCATable

__all__ = [
    "EXPRESSION_ROW",
    "fit",
    "necessity",
    "necessity_measures",
    "outcome_membership",
    "sufficiency_measures",
    "unique_coverage",
]

#: Row label of the whole expression in :func:`fit` results.
EXPRESSION_ROW = "(expression)"


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def sufficiency_measures(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Return (inclS, PRI, covS) of membership ``x`` as sufficient for outcome ``y``."""
    xy = np.minimum(x, y)
    sxy = float(xy.sum())
    sx = float(x.sum())
    sy = float(y.sum())
    s3 = float(np.minimum(xy, 1.0 - y).sum())
    return _ratio(sxy, sx), _ratio(sxy - s3, sx - s3), _ratio(sxy, sy)


def unique_coverage(xs: Sequence[np.ndarray], y: np.ndarray) -> list[float]:
    """Return each term's unique coverage (covU) within the disjunction of ``xs``."""
    sy = float(y.sum())
    if not xs:
        return []
    pmins = np.vstack([np.minimum(x, y) for x in xs])
    out = []
    for i in range(len(xs)):
        others = np.zeros_like(y) if len(xs) == 1 else np.delete(pmins, i, axis=0).max(axis=0)
        out.append(_ratio(float((pmins[i] - np.minimum(pmins[i], others)).sum()), sy))
    return out


def necessity_measures(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Return (inclN, RoN, covN) of membership ``x`` as necessary for outcome ``y``."""
    xy = np.minimum(x, y)
    sxy = float(xy.sum())
    ron = _ratio(float((1.0 - x).sum()), float((1.0 - xy).sum()))
    return _ratio(sxy, float(y.sum())), ron, _ratio(sxy, float(x.sum()))


def outcome_membership(data: pd.DataFrame, outcome: str | Expression) -> tuple[str, np.ndarray]:
    """Return the outcome's label and memberships; ``"~Y"`` negates (any expression works)."""
    expr = parse(outcome) if isinstance(outcome, str) else outcome
    return render(expr), expr.evaluate(data)


def _cases(index: pd.Index, membership: np.ndarray) -> str:
    return ",".join(str(c) for c in index[membership > 0.5])


def fit(
    expression: str | Expression, data: pd.DataFrame, outcome: str | Expression
) -> pd.DataFrame:
    """Return inclS, PRI, covS (and covU, cases) for each term of an expression and for the whole.

    Terms are the top-level disjuncts; the last row, labelled ``"(expression)"``, is the whole
    expression (no covU). ``cases`` lists the cases with membership above 0.5.

    >>> df = pd.DataFrame({"A": [1, 1, 0, 0], "B": [0, 1, 1, 0], "Y": [1, 1, 1, 0]},
    ...                   index=["c1", "c2", "c3", "c4"])
    >>> res = fit("A + B", df, "Y")
    >>> res.index.tolist()
    ['A', 'B', '(expression)']
    >>> res["covS"].round(3).tolist(), res["covU"].round(3).tolist()
    ([0.667, 0.667, 1.0], [0.333, 0.333, nan])
    """
    expr = parse(expression) if isinstance(expression, str) else expression
    _, y = outcome_membership(data, outcome)
    terms = expr.terms
    xs = [t.evaluate(data) for t in terms]
    cov_u = unique_coverage(xs, y) if len(xs) > 1 else [sufficiency_measures(xs[0], y)[2]]
    rows = []
    for term, x, cu in zip(terms, xs, cov_u, strict=True):
        incl, pri, cov = sufficiency_measures(x, y)
        rows.append((render(term), incl, pri, cov, cu, _cases(data.index, x)))
    whole = expr.evaluate(data)
    incl, pri, cov = sufficiency_measures(whole, y)
    rows.append((EXPRESSION_ROW, incl, pri, cov, math.nan, _cases(data.index, whole)))
    out = QCATable(rows, columns=["term", "inclS", "PRI", "covS", "covU", "cases"])
    return out.set_index("term")


def necessity(
    data: pd.DataFrame,
    outcome: str,
    conditions: Sequence[str],
    depth: int = 1,
    *,
    incl_cut: float = 0.0,
    cov_cut: float = 0.0,
) -> pd.DataFrame:
    """Return inclN, RoN and covN of each condition, its negation and disjunctions up to ``depth``.

    Depth 1 gives every condition and its absence (``X``, ``~X``); depth ``k`` adds the
    disjunctions (``X + ~Z``, ...) of up to ``k`` literals from distinct conditions. Rows with
    inclN below ``incl_cut`` or covN below ``cov_cut`` are dropped (defaults keep all).

    >>> df = pd.DataFrame({"A": [1, 1, 0, 0], "B": [0, 1, 1, 0], "Y": [1, 1, 1, 0]})
    >>> nec = necessity(df, "Y", ["A", "B"], depth=2)
    >>> nec.index.tolist()[:4], len(nec)
    (['A', '~A', 'B', '~B'], 8)
    >>> nec.loc["A + B"].tolist()
    [1.0, 1.0, 1.0]
    """
    conditions = list(conditions)
    if not conditions:
        raise ValueError("give at least one condition")
    if not 1 <= depth <= len(conditions):
        raise ValueError(f"depth must be between 1 and {len(conditions)}")
    _, y = outcome_membership(data, outcome)
    values = {c: parse(c).evaluate(data) for c in conditions}
    rows = []
    for k in range(1, depth + 1):
        for combo in itertools.combinations(conditions, k):
            for signs in itertools.product((1, 0), repeat=k):
                lits = [c if s else f"~{c}" for c, s in zip(combo, signs, strict=True)]
                x = np.maximum.reduce(
                    [values[c] if s else 1.0 - values[c] for c, s in zip(combo, signs, strict=True)]
                )
                incl, ron, cov = necessity_measures(x, y)
                if incl >= incl_cut and cov >= cov_cut:
                    rows.append((" + ".join(lits), incl, ron, cov))
    out = QCATable(rows, columns=["expression", "inclN", "RoN", "covN"])
    return out.set_index("expression")
