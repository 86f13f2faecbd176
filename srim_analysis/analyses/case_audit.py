"""Objective 2: the case-file audit as the study's practitioners read it.

Pure functions on the ``case_audit`` table (no plotting, no publishing), in the order the
notebook ``01_cross_site_comparison`` uses them:

* **The practice cascade** - :func:`cascade`: for each step of the pathway the study's
  plan lists (``[comparison] indicators``: was a father or significant man identified,
  checked, contacted, involved ...), the cases where it was done (``n_yes``) out of the
  cases where it was recorded (``n``; blanks, "not applicable or not recorded", are left
  out and counted in ``n_blank``), as a percentage with its 95% Wilson interval, by site
  and by case type (the optional ``case_type`` column), with "All" rows for every site
  and every case type.
* **Run charts** - :func:`quarterly` counts the same per quarter of ``audit_date``, per
  site and for all sites; :func:`run_chart_signals` adds, from the points a *published*
  table shows, the median of the baseline quarters and the run-chart **shift** rule:
  six or more consecutive points all above or all below the median (a point on the
  median neither breaks nor extends a run) signal a non-random change (Perla, Provost and
  Murray 2011, "The run chart: a simple analytical tool for learning from variation in
  healthcare processes", *BMJ Quality & Safety* 20:46-51, rule 1). A hidden point breaks
  a run, since its side of the median is not known.
* **Agreement between auditors** - :func:`agreement`: for the cases a second auditor also
  audited (the optional ``second_<indicator>`` columns), per indicator, how many were
  answered by both, the percentage agreement and Cohen's kappa with its 95% interval
  (statsmodels' ``cohens_kappa``: asymptotic standard error of Fleiss, Cohen and Everitt
  1969). An indicator whose kappa is below :data:`POOR_KAPPA` is flagged (McHugh 2012,
  "Interrater reliability: the kappa statistic", *Biochemia Medica* 22:276-282: "any
  kappa below 0.60 indicates inadequate agreement").

The tables are tidy and name their count columns so that :mod:`srim_analysis.disclosure`
recognises them; the all-site (all-case-type, all-quarter) rows are labelled ``"All"``
(:data:`srim_analysis.analyses.comparison.TOTAL`) and the tables carry the
``source = "case_audit"`` column of the site-indicators table, so that a report hides and
shows the cells they share with it alike. The charts are in
:mod:`srim_analysis.charts.case_audit`, the notebook's sections in
:mod:`srim_analysis.sections.case_audit`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from srim_analysis.analyses.comparison import (
    INDICATOR_LABELS,
    TOTAL,
    proportions,
    site_names,
)
from srim_analysis.disclosure import is_suppressed
from srim_analysis.study.contract import CASE_TYPES, SECOND_PREFIX

if TYPE_CHECKING:
    from srim_analysis.study.loading import Study

__all__ = [
    "AGREEMENT_DEPENDS",
    "CASE_TYPE",
    "NOT_RECORDED",
    "PERCENT_DEPENDS",
    "POOR_KAPPA",
    "SHIFT_POINTS",
    "SOURCE",
    "agreement",
    "cascade",
    "double_audited",
    "quarter_label",
    "quarterly",
    "run_chart_signals",
    "second_column",
    "shifts",
]

#: The optional case_audit column saying what a case is mainly about.
CASE_TYPE = "case_type"
#: The label of a case whose case type is blank.
NOT_RECORDED = "Not recorded"
#: The ``source`` value of the tables (as in the site-indicators table).
SOURCE = "case_audit"
#: A run of this many consecutive points on one side of the median is a shift.
SHIFT_POINTS = 6
#: A kappa below this is flagged as poor agreement (McHugh 2012).
POOR_KAPPA = 0.60
#: Percentage places in the tables.
PCT_DECIMALS = 1

_PCT = ("pct_yes", "pct_low", "pct_high")
#: Which percentages go when a count is suppressed (cascade and quarterly tables).
PERCENT_DEPENDS: dict[str, tuple[str, ...]] = {c: ("n_yes", "n") for c in _PCT}
#: Which estimates go when a count is suppressed (agreement table).
AGREEMENT_DEPENDS: dict[str, tuple[str, ...]] = {
    "pct_agree": ("n_agree", "n"),
    "kappa": ("n_agree", "n"),
    "kappa_low": ("n_agree", "n"),
    "kappa_high": ("n_agree", "n"),
}


def second_column(indicator: str) -> str:
    """Return the name of the second auditor's answer column for ``indicator``.

    >>> second_column("father_seen")
    'second_father_seen'
    """
    return f"{SECOND_PREFIX}{indicator}"


def quarter_label(dates: pd.Series) -> pd.Series:
    """Return each date's calendar quarter as text, e.g. "2030 Q2".

    >>> quarter_label(pd.Series(["2030-05-01", "2031-12-31"])).tolist()
    ['2030 Q2', '2031 Q4']
    """
    when = pd.to_datetime(dates)
    return when.dt.year.astype(str) + " Q" + when.dt.quarter.astype(str)


def _labelled(audit: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Return the audit with a ``site`` display-name column (and case types as labels)."""
    names = site_names(study)
    out = audit.assign(site=audit["site_id"].map(names).fillna(audit["site_id"]))
    if CASE_TYPE in out.columns:
        kinds = out[CASE_TYPE].map(CASE_TYPES)
        out[CASE_TYPE] = kinds.fillna(out[CASE_TYPE]).fillna(NOT_RECORDED).astype(str)
    return out


def _counts(frame: pd.DataFrame, indicators: Sequence[str], dims: Sequence[str]) -> pd.DataFrame:
    """Return :func:`proportions` for every group of ``dims`` and each margin set to "All"."""
    parts = []
    for mask in range(2 ** len(dims)):
        totals = {d: TOTAL for k, d in enumerate(dims) if mask >> k & 1}
        parts.append(proportions(frame.assign(**totals), indicators, list(dims)))
    return pd.concat(parts, ignore_index=True)


def _as_percent(out: pd.DataFrame) -> pd.DataFrame:
    """Return ``out`` with its proportion and interval as rounded percentages."""
    pct = {
        new: (out[old].astype(float) * 100).round(PCT_DECIMALS)
        for new, old in zip(_PCT, ("prop_yes", "ci_low", "ci_high"), strict=True)
    }
    return out.drop(columns=["prop_yes", "ci_low", "ci_high"]).assign(**pct)


def _ordered(out: pd.DataFrame, orders: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Return rows sorted by each column's given order, "All" last."""
    keys = {}
    for col, order in orders.items():
        rank = {v: i for i, v in enumerate([*order, TOTAL])}
        keys[f"__{col}"] = out[col].map(rank).fillna(len(rank))
    out = out.assign(**keys).sort_values(list(keys), kind="stable").drop(columns=list(keys))
    return out.reset_index(drop=True)


def _label_columns(out: pd.DataFrame, front: Sequence[str]) -> pd.DataFrame:
    """Return ``out`` with ``source`` and the indicator's label, columns in table order."""
    out = out.assign(
        source=SOURCE, label=out["indicator"].map(INDICATOR_LABELS).fillna(out["indicator"])
    )
    rest = [c for c in out.columns if c not in {*front, "source", "indicator", "label"}]
    return out[[*front, "source", "indicator", "label", *rest]]


def cascade(study: Study, indicators: Sequence[str]) -> pd.DataFrame:
    """Return the practice cascade: per site and case type, each indicator's count and %.

    Columns: ``site, case_type, source, indicator, label, n_yes, n, n_blank, pct_yes,
    pct_low, pct_high`` (the percentage of recorded cases, with its 95% Wilson interval);
    ``site`` and ``case_type`` are "All" in the margins. Without a ``case_type`` column
    every row is for all case types. Indicators keep the given (the plan's) order.
    """
    audit = _labelled(study.tables["case_audit"], study)
    dims = ["site", CASE_TYPE] if CASE_TYPE in audit.columns else ["site"]
    out = _as_percent(_counts(audit, indicators, dims))
    if CASE_TYPE not in out.columns:
        out[CASE_TYPE] = TOTAL
    kinds = [*CASE_TYPES.values(), NOT_RECORDED]
    out = _ordered(
        out,
        {"site": list(site_names(study).values()), CASE_TYPE: kinds, "indicator": indicators},
    )
    return _label_columns(out, ["site", CASE_TYPE])


def quarterly(study: Study, indicators: Sequence[str]) -> pd.DataFrame:
    """Return each indicator per site and quarter of ``audit_date``, with "All" margins.

    Columns: ``site, quarter, source, indicator, label, n_yes, n, pct_yes, pct_low,
    pct_high``; rows in site, indicator and date order. The "All" quarter of a site is its
    total over the quarters (the site-indicators row). Blanks are left out of ``n`` (and
    not counted: a run chart does not need them).
    """
    audit = _labelled(study.tables["case_audit"], study)
    audit = audit.assign(quarter=quarter_label(audit["audit_date"]))
    out = _as_percent(_counts(audit, indicators, ["site", "quarter"]).drop(columns="n_blank"))
    out = _ordered(
        out,
        {
            "site": list(site_names(study).values()),
            "indicator": indicators,
            "quarter": sorted(set(audit["quarter"])),
        },
    )
    return _label_columns(out, ["site", "quarter"])


def shifts(values: Sequence[float], median: float, points: int = SHIFT_POINTS) -> list[bool]:
    """Return, per point, whether it is in a shift: ``points``+ in a row on one side.

    NaN (a hidden point) breaks a run; a point on the median neither breaks nor extends it
    (and is not flagged).

    >>> shifts([1, 2, 3, 3, 5, 6, 7, 8, 9], median=2.5, points=6)
    [False, False, True, True, True, True, True, True, True]
    >>> shifts([3, 3, float("nan"), 3, 3, 3, 3], median=1, points=6)
    [False, False, False, False, False, False, False]
    """
    flags = [False] * len(values)
    run: list[int] = []
    side = 0
    for i, v in enumerate([*values, float("nan")]):
        here = 0 if np.isnan(v) else int(np.sign(v - median))
        if here == 0 and not np.isnan(v):
            continue
        if here != side or np.isnan(v):
            if len(run) >= points:
                for j in run:
                    flags[j] = True
            run, side = ([i], here) if here else ([], 0)
        else:
            run.append(i)
    return flags


def _shown(column: pd.Series) -> np.ndarray:
    """Return a (possibly published) column as floats, NaN where hidden or blank."""
    return np.array(
        [np.nan if is_suppressed(v) else pd.to_numeric(v, errors="coerce") for v in column],
        dtype=float,
    )


def run_chart_signals(
    table: pd.DataFrame, baseline: int | None = None, points: int = SHIFT_POINTS
) -> pd.DataFrame:
    """Return the quarterly table with the baseline median and the shift rule per point.

    ``table`` is :func:`quarterly`'s table as a report published it: the median of a
    site's indicator is the median of the percentages it *shows* in its first
    ``baseline`` quarters (None: all its quarters), so that no hidden value enters it.
    Adds ``median`` (blank on the "All" quarter rows) and ``shift`` (True for a shown point
    in a run of ``points`` or more on one side of the median).

    >>> t = pd.DataFrame({"site": "A", "indicator": "x", "quarter": ["q1", "q2", "q3"],
    ...                   "pct_yes": [10.0, "c", 30.0]})
    >>> run_chart_signals(t)[["median", "shift"]].to_dict("list")
    {'median': [20.0, 20.0, 20.0], 'shift': [False, False, False]}
    """
    out = table.copy()
    out["median"] = np.nan
    out["shift"] = False
    series = out[out["quarter"] != TOTAL].groupby(["site", "indicator"], sort=False)
    for _, rows in series:
        pct = _shown(rows["pct_yes"])
        base = pct[: len(pct) if baseline is None else baseline]
        if np.isnan(base).all():
            continue
        median = float(np.nanmedian(base))
        out.loc[rows.index, "median"] = round(median, PCT_DECIMALS)
        out.loc[rows.index, "shift"] = shifts(pct, median, points)
    return out


def double_audited(study: Study, indicators: Sequence[str]) -> list[str]:
    """Return the indicators the study's audit has a second auditor's column for."""
    columns = set(study.tables["case_audit"].columns)
    return [i for i in indicators if second_column(i) in columns]


def _kappa(first: np.ndarray, second: np.ndarray) -> tuple[float, float, float]:
    """Return Cohen's kappa of two 0/1 ratings with its 95% interval (NaN when undefined)."""
    table = np.zeros((2, 2))
    np.add.at(table, (first.astype(int), second.astype(int)), 1)
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    chance = float((rows * cols).sum()) / table.sum() ** 2 if table.sum() else 1.0
    if chance >= 1:  # both auditors gave one answer throughout: kappa is undefined
        return float("nan"), float("nan"), float("nan")
    result = cohens_kappa(table)
    return float(result.kappa), float(result.kappa_low), float(result.kappa_upp)


def agreement(study: Study, indicators: Sequence[str]) -> pd.DataFrame:
    """Return per indicator the agreement of the two auditors of double-audited cases.

    Columns: ``source, indicator, label, n`` (cases both auditors answered, 0 or 1),
    ``n_agree, n_disagree, pct_agree, kappa, kappa_low, kappa_high`` (Cohen's kappa and its
    95% interval) and ``poor`` (kappa below :data:`POOR_KAPPA`). Only indicators with a
    second auditor's column are included; a case blank for either auditor is left out.
    """
    audit = study.tables["case_audit"]
    rows = []
    for ind in double_audited(study, indicators):
        first = pd.to_numeric(audit[ind], errors="coerce")
        second = pd.to_numeric(audit[second_column(ind)], errors="coerce")
        both = first.notna() & second.notna()
        a, b = first[both].to_numpy(), second[both].to_numpy()
        agree = int((a == b).sum())
        kappa, low, high = _kappa(a, b) if both.any() else (np.nan,) * 3
        rows.append(
            {
                "indicator": ind,
                "n": int(both.sum()),
                "n_agree": agree,
                "n_disagree": int(both.sum()) - agree,
                "pct_agree": round(100 * agree / both.sum(), PCT_DECIMALS)
                if both.any()
                else np.nan,
                "kappa": round(kappa, 3),
                "kappa_low": round(low, 3),
                "kappa_high": round(high, 3),
                "poor": bool(kappa < POOR_KAPPA),
            }
        )
    columns = ["indicator", "n", "n_agree", "n_disagree", "pct_agree", "kappa"]
    out = pd.DataFrame(rows, columns=[*columns, "kappa_low", "kappa_high", "poor"])
    return _label_columns(out, [])
