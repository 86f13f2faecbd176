"""Truth tables from crisp or fuzzy set data."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._fit import outcome_membership
from ._notation import parse, row_string
from ._tables import QCATable, latex_table, markdown_table, text_table

__all__ = ["QCAWarning", "TruthTable", "truth_table"]

_TOL = 1e-10


class QCAWarning(UserWarning):
    """Warning about data or results that need the researcher's attention."""


def _geq(a: float, b: float) -> bool:
    return a > b or abs(a - b) <= _TOL


def _cuts(incl_cut: float | Sequence[float]) -> tuple[float, float | None]:
    if isinstance(incl_cut, numbers.Real):
        ic1, ic0 = float(incl_cut), None
    else:
        vals = [float(v) for v in incl_cut]
        if len(vals) == 1:
            ic1, ic0 = vals[0], None
        elif len(vals) == 2:
            ic1, ic0 = vals
        else:
            raise ValueError("incl_cut must be a number or a pair (incl1, incl0)")
        if ic0 is not None and ic0 > ic1:
            raise ValueError("incl_cut pair must be (incl1, incl0) with incl1 >= incl0")
    for v in (ic1, ic0):
        if v is not None and not 0 <= v <= 1:
            raise ValueError("inclusion cut-offs must be in [0, 1]")
    return ic1, ic0


def _corner_membership(x: np.ndarray, row: int) -> np.ndarray:
    """Membership of every case (rows of ``x``) in the truth-table corner ``row``."""
    n = x.shape[1]
    bits = np.array([(row >> (n - 1 - i)) & 1 for i in range(n)], dtype=bool)
    return np.where(bits, x, 1.0 - x).min(axis=1)


@dataclass(eq=False)
class TruthTable:
    """A QCA truth table: observed rows with their fit and coded outcome, plus the remainders.

    ``table`` has one row per observed configuration (at least ``n_cut`` cases), indexed by the
    row string (``"10011"``: conditions in the given order, 1 = membership above 0.5), with the
    condition values, ``OUT`` (1, 0 or ``"C"``), ``n``, ``incl``, ``PRI`` and ``cases``.
    ``remainders`` lists the other rows (no or too few cases) as row strings.
    """

    table: pd.DataFrame
    remainders: list[str]
    outcome: str
    conditions: list[str]
    incl_cut: float | tuple[float, float]
    n_cut: int
    pri_cut: float
    data: pd.DataFrame = field(repr=False)
    #: Cases with a membership of exactly 0.5 in some condition (they belong to no row).
    ambiguous_cases: list[str] = field(default_factory=list)

    @property
    def n_conditions(self) -> int:
        """Return the number of conditions."""
        return len(self.conditions)

    @property
    def outcome_values(self) -> pd.Series:
        """Return the outcome memberships used (negated when the outcome is ``~Y``)."""
        _, y = outcome_membership(self.data, self.outcome)
        return pd.Series(y, index=self.data.index, name=self.outcome)

    def rows_with(self, out: int | str) -> list[str]:
        """Return the observed row strings coded ``out`` (1, 0 or ``"C"``)."""
        return [r for r, v in zip(self.table.index, self.table["OUT"], strict=True) if v == out]

    def full_table(self) -> pd.DataFrame:
        """Return all 2**k rows, remainders coded ``"?"`` (with their few cases, if any)."""
        n = self.n_conditions
        x = self.data[self.conditions].to_numpy(dtype=float)
        y = self.outcome_values.to_numpy()
        assigned = _assign_rows(x)
        recs = []
        for row in range(1 << n):
            key = row_string(row, n)
            if key in self.table.index:
                rec = self.table.loc[key].to_dict()
            else:
                members = assigned == row
                m = _corner_membership(x, row) if members.any() else None
                incl, pri = _row_fit(m, y) if m is not None else (math.nan, math.nan)
                rec = {c: int(key[i]) for i, c in enumerate(self.conditions)}
                rec.update(
                    OUT="?",
                    n=int(members.sum()),
                    incl=incl,
                    PRI=pri,
                    cases=",".join(map(str, self.data.index[members])),
                )
            rec["row"] = key
            recs.append(rec)
        return pd.DataFrame(recs).set_index("row")[self.table.columns]

    def _display(self) -> pd.DataFrame:
        df = self.table.copy()
        df["OUT"] = df["OUT"].astype(str)
        return df

    def summary(self) -> str:
        """Return a readable text rendering (settings, observed rows, remainder count)."""
        cut = self.incl_cut if isinstance(self.incl_cut, float) else tuple(self.incl_cut)
        head = (
            f"Truth table for {self.outcome} ~ {', '.join(self.conditions)}\n"
            f"incl_cut = {cut}, n_cut = {self.n_cut}, pri_cut = {self.pri_cut}; "
            f"{len(self.table)} observed rows, {len(self.remainders)} remainders"
        )
        lines = [head, "", text_table(self._display())]
        if self.ambiguous_cases:
            lines += ["", "Cases at exactly 0.5 (in no row): " + ", ".join(self.ambiguous_cases)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"TruthTable(outcome={self.outcome!r}, conditions={self.conditions!r}, "
            f"observed={len(self.table)}, remainders={len(self.remainders)})"
        )

    def to_markdown(self, digits: int = 3) -> str:
        """Return the observed rows as a Markdown table (no ``tabulate`` needed)."""
        return markdown_table(self._display(), digits=digits)

    def to_latex(
        self, digits: int = 3, caption: str | None = None, label: str | None = None
    ) -> str:
        """Return the observed rows as a LaTeX table (booktabs)."""
        return latex_table(self._display(), digits=digits, caption=caption, label=label)


def _assign_rows(x: np.ndarray) -> np.ndarray:
    """Row number of each case (membership > 0.5 in each corner), -1 if some value is 0.5."""
    n = x.shape[1]
    weights = 1 << np.arange(n - 1, -1, -1, dtype=np.int64)
    rows = ((x > 0.5).astype(np.int64) * weights).sum(axis=1)
    half = (np.abs(x - 0.5) <= _TOL).any(axis=1)
    return np.where(half, -1, rows)


def _row_fit(m: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    xy = np.minimum(m, y)
    sxy, sx = float(xy.sum()), float(m.sum())
    s3 = float(np.minimum(xy, 1.0 - y).sum())
    incl = sxy / sx if sx > 0 else math.nan
    pri = (sxy - s3) / (sx - s3) if sx - s3 > 0 else math.nan
    return incl, pri


def truth_table(
    data: pd.DataFrame,
    outcome: str,
    conditions: Sequence[str],
    incl_cut: float | tuple[float, float] = 1.0,
    n_cut: int = 1,
    pri_cut: float = 0.0,
) -> TruthTable:
    """Return the truth table of ``conditions`` for ``outcome`` (``"~Y"`` for its negation).

    A case belongs to the row where its membership is above 0.5 in every corner; cases with a
    membership of exactly 0.5 in some condition belong to no row (a :class:`QCAWarning` names
    them) but, as in R QCA, still count in every row's inclusion and PRI. A row with at least
    ``n_cut`` cases is coded 1 when its inclusion reaches ``incl_cut`` (the first value of a
    pair ``(incl1, incl0)``) and its PRI reaches ``pri_cut``; with a pair, rows with
    ``incl0 <= incl < incl1`` are contradictions ``"C"``; all others are 0. Rows with fewer
    cases are remainders.

    >>> df = pd.DataFrame({"A": [1, 1, 0], "B": [1, 0, 0], "Y": [1, 1, 0]}, index=["x", "y", "z"])
    >>> tt = truth_table(df, "Y", ["A", "B"])
    >>> tt.table.index.tolist(), tt.table["OUT"].tolist(), tt.table["cases"].tolist()
    (['00', '10', '11'], [0, 1, 1], ['z', 'y', 'x'])
    >>> tt.remainders
    ['01']
    """
    conditions = list(conditions)
    if not conditions:
        raise ValueError("give at least one condition")
    if len(set(conditions)) != len(conditions):
        raise ValueError("conditions must be distinct")
    reserved = {"row", "OUT", "n", "incl", "PRI", "cases"} & set(conditions)
    if reserved:
        raise ValueError(f"condition names clash with truth-table columns: {sorted(reserved)}")
    if n_cut < 1:
        raise ValueError("n_cut must be at least 1")
    ic1, ic0 = _cuts(incl_cut)
    clash = set(_outcome_names(outcome)) & set(conditions)
    if clash:
        raise ValueError(f"the outcome cannot also be a condition: {sorted(clash)}")
    label, y = outcome_membership(data, outcome)
    for c in conditions:
        if c not in data.columns:
            raise KeyError(f"condition {c!r} is not a column of the data")
    x = data[conditions].to_numpy(dtype=float)
    if np.isnan(x).any():
        bad = data.index[np.isnan(x).any(axis=1)].tolist()
        raise ValueError(f"missing condition values for cases {bad}")
    if ((x < 0) | (x > 1)).any():
        raise ValueError("condition values must be set memberships in [0, 1]; calibrate first")
    n = len(conditions)
    assigned = _assign_rows(x)
    ambiguous = [str(c) for c in data.index[assigned < 0]]
    if ambiguous:
        warnings.warn(
            f"cases with a membership of exactly 0.5 belong to no truth-table row: {ambiguous}",
            QCAWarning,
            stacklevel=2,
        )
    counts = np.bincount(assigned[assigned >= 0], minlength=1 << n)
    names = np.asarray([str(c) for c in data.index], dtype=object)
    observed_rows = [int(r) for r in np.flatnonzero(counts >= n_cut)]
    if not observed_rows:
        raise ValueError("no truth-table row has n_cut cases")
    cols: dict[str, list[object]] = {
        c: [] for c in ["row", *conditions, "OUT", "n", "incl", "PRI", "cases"]
    }
    for row in observed_rows:
        incl, pri = _row_fit(_corner_membership(x, row), y)
        if _geq(incl, ic1) and _geq(pri, pri_cut):
            out: int | str = 1
        elif ic0 is not None and incl < ic1 and _geq(incl, ic0):
            out = "C"
        else:
            out = 0
        key = row_string(row, n)
        cols["row"].append(key)
        for i, c in enumerate(conditions):
            cols[c].append(int(key[i]))
        cols["OUT"].append(out)
        cols["n"].append(int(counts[row]))
        cols["incl"].append(incl)
        cols["PRI"].append(pri)
        cols["cases"].append(",".join(names[assigned == row]))
    index = pd.Index(cols.pop("row"), name="row")
    table = QCATable(cols, index=index)
    table["OUT"] = pd.Series(cols["OUT"], index=table.index, dtype=object)
    observed = set(observed_rows)
    remainders = [row_string(r, n) for r in range(1 << n) if r not in observed]
    used = list(dict.fromkeys([*conditions, *_outcome_names(outcome)]))
    return TruthTable(
        table=table,
        remainders=remainders,
        outcome=label,
        conditions=conditions,
        incl_cut=ic1 if ic0 is None else (ic1, ic0),
        n_cut=int(n_cut),
        pri_cut=float(pri_cut),
        data=data[used].copy(),
        ambiguous_cases=ambiguous,
    )


def _outcome_names(outcome: str) -> list[str]:
    return parse(outcome).names()
