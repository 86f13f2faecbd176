"""Qualitative Comparative Analysis (crisp and fuzzy sets), following R's QCA package.

>>> import pandas as pd
>>> from srim_analysis.analyses import qca
>>> data = pd.DataFrame(
...     {"A": [1, 1, 1, 0, 0], "B": [1, 0, 1, 1, 0], "C": [0, 0, 1, 1, 1], "Y": [1, 1, 1, 0, 0]},
...     index=["p", "q", "r", "s", "t"])
>>> tt = qca.truth_table(data, "Y", ["A", "B", "C"])
>>> qca.minimize(tt).models
['A*B + A*~C']
>>> sol = qca.minimize(tt, remainders=True)
>>> sol.models, sol.simplifying_assumptions
(['A'], ['101'])

Main entry points:

* :func:`calibrate` (fuzzy, direct method) and :func:`calibrate_crisp`;
* :func:`truth_table` -> :class:`TruthTable`;
* :func:`minimize` -> :class:`Solution` (conservative, parsimonious or intermediate, with
  every minimal model, the fit of each term and model, and the simplifying assumptions);
* :func:`necessity` (inclN, RoN, covN) and :func:`fit` of any expression;
* :func:`parse` / :func:`render` for the ``A*~B + C`` notation.
"""

from ._calibrate import calibrate, calibrate_crisp
from ._covers import CoverResult, minimum_covers
from ._fit import (
    EXPRESSION_ROW,
    fit,
    necessity,
    necessity_measures,
    sufficiency_measures,
    unique_coverage,
)
from ._minimize import MODEL_ROW, Solution, minimize, prime_implicants
from ._notation import And, Expression, Not, Or, Var, implicant_string, parse, render, row_string
from ._tables import QCATable
from ._truthtable import QCAWarning, TruthTable, truth_table

__all__ = [
    "EXPRESSION_ROW",
    "MODEL_ROW",
    "And",
    "CoverResult",
    "Expression",
    "Not",
    "Or",
    "QCATable",
    "QCAWarning",
    "Solution",
    "TruthTable",
    "Var",
    "calibrate",
    "calibrate_crisp",
    "fit",
    "implicant_string",
    "minimize",
    "minimum_covers",
    "necessity",
    "necessity_measures",
    "parse",
    "prime_implicants",
    "render",
    "row_string",
    "sufficiency_measures",
    "truth_table",
    "unique_coverage",
]
