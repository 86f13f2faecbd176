"""Survey analysis for Objective 3: awareness of, and confidence to, share information.

What is here, in the order a notebook uses it:

* **Answers** - :func:`likert_frame` (labelled ordered answers), :func:`answer_status`
  and :func:`response_counts` (don't know / not applicable are *answers*, kept apart
  from blanks), :func:`numeric_items` (numbers, reverse-keyed items recoded).
* **Scale scores** - :func:`scale_scores` (mean of answered items with a
  minimum-answered rule) and :func:`scale_score_report` (who failed the rule).
* **Reliability** - :func:`reliability` (Cronbach's alpha with a 95% interval and
  McDonald's omega), :func:`item_statistics` (corrected item-total correlations and
  alpha if an item is deleted), :func:`construct_reliability` (both, straight from
  ``survey_items``).
* **Group comparisons** - :func:`compare_groups` (Kruskal-Wallis or Mann-Whitney with
  effect sizes, Holm-adjusted across the family).
* **Models of confidence** - :func:`fit_confidence_model` (ordinal logistic regression
  of ``CONF1``, odds ratios, thresholds, Brant test of proportional odds),
  :func:`fit_scale_ols` (linear model of the confidence scale score, the sensitivity
  analysis), :func:`forest_plot` and :func:`summarise_factors` (plain English).
* **Qualitative side** - :func:`barrier_facilitator_counts`.

Charts of the answers (diverging stacked bars) are in :mod:`srim_analysis.charts.likert`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.study.contract import AGENCIES, DONT_KNOW, NOT_APPLICABLE, ROLES, YEARS_IN_ROLE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ANSWERED",
    "DEFAULT_FACTORS",
    "DONT_KNOW_STATUS",
    "MISSING",
    "NOT_APPLICABLE_STATUS",
    "ItemInfo",
    "ModelResult",
    "answer_status",
    "barrier_facilitator_counts",
    "compare_groups",
    "construct_items",
    "construct_reliability",
    "fit_confidence_model",
    "fit_scale_ols",
    "forest_plot",
    "holm_adjust",
    "item_info",
    "item_statistics",
    "likert_frame",
    "mcdonald_omega",
    "numeric_items",
    "reliability",
    "response_counts",
    "reverse_code",
    "scale_score_report",
    "scale_scores",
    "summarise_factors",
]

# ---------------------------------------------------------------------------
# Item metadata and parsing of answers
# ---------------------------------------------------------------------------

#: The four states an item cell can be in (see :func:`answer_status`).
ANSWERED = "answered"
DONT_KNOW_STATUS = "dont_know"
NOT_APPLICABLE_STATUS = "not_applicable"
MISSING = "missing"
STATUSES: tuple[str, ...] = (ANSWERED, DONT_KNOW_STATUS, NOT_APPLICABLE_STATUS, MISSING)

#: The main outcome of the ordinal model and the construct of the sensitivity model.
CONFIDENCE_ITEM = "CONF1"
CONFIDENCE_CONSTRUCT = "confidence"


@dataclass(frozen=True)
class ItemInfo:
    """One survey item's metadata, read from a row of ``survey_items``."""

    item_id: str
    construct: str
    wording: str
    reverse_keyed: bool
    scale_min: int
    scale_max: int
    labels: tuple[str, ...]
    allows_dont_know: bool
    allows_not_applicable: bool

    @property
    def values(self) -> tuple[int, ...]:
        """Return the numeric answer values from lowest to highest."""
        return tuple(range(self.scale_min, self.scale_max + 1))


def item_info(items: pd.DataFrame) -> dict[str, ItemInfo]:
    """Return each item's metadata from ``survey_items``, keyed by item id, in table order.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["awareness"],
    ...     "wording": ["I know the advice"], "reverse_keyed": [0], "scale_min": [1],
    ...     "scale_max": [3], "labels": ["No|Unsure|Yes"], "allows_dont_know": [1],
    ...     "allows_not_applicable": [0]})
    >>> item_info(items)["A1"].labels
    ('No', 'Unsure', 'Yes')
    """
    out: dict[str, ItemInfo] = {}
    for row in items.itertuples(index=False):
        item_id = str(row.item_id)
        lo, hi = int(row.scale_min), int(row.scale_max)
        raw = "" if pd.isna(row.labels) else str(row.labels)
        labels = tuple(part.strip() for part in raw.split("|")) if raw.strip() else ()
        if not labels:
            labels = tuple(str(v) for v in range(lo, hi + 1))
        if len(labels) != hi - lo + 1:
            raise ValueError(
                f"Item {item_id}: {len(labels)} labels given but the scale runs from {lo} to "
                f"{hi} ({hi - lo + 1} answers). Give one label per answer, separated by '|'."
            )
        out[item_id] = ItemInfo(
            item_id=item_id,
            construct=str(row.construct),
            wording=str(row.wording),
            reverse_keyed=bool(int(row.reverse_keyed)),
            scale_min=lo,
            scale_max=hi,
            labels=labels,
            allows_dont_know=bool(int(row.allows_dont_know)),
            allows_not_applicable=bool(int(row.allows_not_applicable)),
        )
    return out


def construct_items(items: pd.DataFrame) -> dict[str, list[str]]:
    """Return construct -> its item ids, both in the order of ``survey_items``.

    >>> items = pd.DataFrame({"item_id": ["A1", "B1", "A2"], "construct": ["a", "b", "a"]})
    >>> construct_items(items)
    {'a': ['A1', 'A2'], 'b': ['B1']}
    """
    out: dict[str, list[str]] = {}
    for item_id, construct in zip(items["item_id"], items["construct"], strict=True):
        out.setdefault(str(construct), []).append(str(item_id))
    return out


def _mask(values: pd.Series | np.ndarray) -> np.ndarray:
    """Return a plain numpy bool array, treating missing as False."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=bool, na_value=False)
    return np.asarray(values, dtype=bool)


def _by_respondent(responses: pd.DataFrame) -> pd.DataFrame:
    """Return ``responses`` indexed by respondent id (when it has that column)."""
    if "respondent_id" in responses.columns:
        return responses.set_index("respondent_id")
    return responses


def _parse_item(column: pd.Series, info: ItemInfo) -> tuple[pd.Series, pd.Series]:
    """Return (numeric value or NaN, status) for one item column; raise on bad answers."""
    text = column.astype("string").str.strip().str.lower()
    blank = text.isna().to_numpy() | _mask(text == "")
    dk = _mask(text == DONT_KNOW)
    na = _mask(text == NOT_APPLICABLE)
    candidate = ~(blank | dk | na)
    numbers = pd.to_numeric(text.where(candidate), errors="coerce")
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    ok_number = (
        ~np.isnan(values)
        & (values == np.round(values))
        & (values >= info.scale_min)
        & (values <= info.scale_max)
    )
    bad = candidate & ~ok_number
    if bad.any():
        examples = ", ".join(repr(v) for v in pd.unique(column[bad].astype(str))[:5])
        raise ValueError(
            f"Item {info.item_id}: {int(bad.sum())} answer(s) are not a whole number from "
            f"{info.scale_min} to {info.scale_max}, '{DONT_KNOW}' or '{NOT_APPLICABLE}' "
            f"(for example {examples})."
        )
    if dk.any() and not info.allows_dont_know:
        raise ValueError(
            f"Item {info.item_id} does not offer 'don't know' (allows_dont_know is 0) but "
            f"{int(dk.sum())} respondent(s) answered '{DONT_KNOW}'."
        )
    if na.any() and not info.allows_not_applicable:
        raise ValueError(
            f"Item {info.item_id} does not offer 'not applicable' (allows_not_applicable is 0) "
            f"but {int(na.sum())} respondent(s) answered '{NOT_APPLICABLE}'."
        )
    status = np.full(len(column), MISSING, dtype=object)
    status[candidate] = ANSWERED
    status[dk] = DONT_KNOW_STATUS
    status[na] = NOT_APPLICABLE_STATUS
    values[~candidate] = np.nan
    return (
        pd.Series(values, index=column.index, name=column.name),
        pd.Series(status, index=column.index, name=column.name),
    )


def _select(
    responses: pd.DataFrame, items: pd.DataFrame, item_ids: Sequence[str] | None
) -> tuple[pd.DataFrame, dict[str, ItemInfo], list[str]]:
    info = item_info(items)
    ids = list(info) if item_ids is None else [str(i) for i in item_ids]
    unknown = [i for i in ids if i not in info]
    if unknown:
        raise ValueError(f"Not in survey_items: {', '.join(unknown)}.")
    data = _by_respondent(responses)
    absent = [i for i in ids if i not in data.columns]
    if absent:
        raise ValueError(f"survey_responses has no column for item(s): {', '.join(absent)}.")
    return data, info, ids


def likert_frame(
    responses: pd.DataFrame, items: pd.DataFrame, item_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return the answers as ordered categoricals labelled from ``survey_items`` (dk/na → NaN).

    Don't know, not applicable and blank all show as NaN here: use :func:`answer_status`
    to tell them apart and :func:`response_counts` to count them.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["awareness"],
    ...     "wording": ["I know the advice"], "reverse_keyed": [0], "scale_min": [1],
    ...     "scale_max": [3], "labels": ["No|Unsure|Yes"], "allows_dont_know": [1],
    ...     "allows_not_applicable": [0]})
    >>> resp = pd.DataFrame({"respondent_id": ["r1", "r2", "r3"], "A1": ["3", "dk", None]})
    >>> frame = likert_frame(resp, items)
    >>> frame["A1"].tolist()
    ['Yes', nan, nan]
    >>> list(frame["A1"].cat.categories), frame["A1"].cat.ordered
    (['No', 'Unsure', 'Yes'], True)
    """
    data, info, ids = _select(responses, items, item_ids)
    out = {}
    for item_id in ids:
        it = info[item_id]
        values, _ = _parse_item(data[item_id], it)
        codes = np.where(np.isnan(values), -1, values - it.scale_min).astype(int)
        cat = pd.Categorical.from_codes(codes, categories=list(it.labels), ordered=True)
        out[item_id] = pd.Series(cat, index=data.index)
    return pd.DataFrame(out, index=data.index)


def answer_status(
    responses: pd.DataFrame, items: pd.DataFrame, item_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return each cell's status: ``answered``, ``dont_know``, ``not_applicable`` or ``missing``.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["awareness"],
    ...     "wording": ["w"], "reverse_keyed": [0], "scale_min": [1], "scale_max": [5],
    ...     "labels": [""], "allows_dont_know": [1], "allows_not_applicable": [1]})
    >>> resp = pd.DataFrame({"A1": ["4", "dk", "na", None]})
    >>> answer_status(resp, items)["A1"].tolist()
    ['answered', 'dont_know', 'not_applicable', 'missing']
    """
    data, info, ids = _select(responses, items, item_ids)
    out = {}
    for item_id in ids:
        _, status = _parse_item(data[item_id], info[item_id])
        out[item_id] = pd.Categorical(status, categories=list(STATUSES))
    return pd.DataFrame(out, index=data.index)


def response_counts(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_ids: Sequence[str] | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Return per item (and group) the numbers answered, don't know, not applicable and missing.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["awareness"],
    ...     "wording": ["w"], "reverse_keyed": [0], "scale_min": [1], "scale_max": [5],
    ...     "labels": [""], "allows_dont_know": [1], "allows_not_applicable": [1]})
    >>> resp = pd.DataFrame({"A1": ["4", "dk", "dk", "na", None]})
    >>> response_counts(resp, items).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'construct': 'awareness', 'n_answered': 1, 'n_dont_know': 2, 'n_not_applicable': 1,
      'n_missing': 1, 'n_total': 5}]
    """
    data, info, ids = _select(responses, items, item_ids)
    status = answer_status(responses, items, ids)
    rows = []
    groups: Iterable[tuple[Any, pd.Index]]
    if by is None:
        groups = [(None, status.index)]
    else:
        if by not in data.columns:
            raise ValueError(f"survey_responses has no column {by!r}.")
        key = data[by].astype("string").fillna("(blank)")
        groups = [(g, key.index[_mask(key == g)]) for g in sorted(key.unique())]
    for item_id in ids:
        for group, index in groups:
            s = status.loc[index, item_id]
            row: dict[str, Any] = {"item_id": item_id, "construct": info[item_id].construct}
            if by is not None:
                row[by] = group
            row |= {
                "n_answered": int((s == ANSWERED).sum()),
                "n_dont_know": int((s == DONT_KNOW_STATUS).sum()),
                "n_not_applicable": int((s == NOT_APPLICABLE_STATUS).sum()),
                "n_missing": int((s == MISSING).sum()),
                "n_total": len(s),
            }
            rows.append(row)
    out = pd.DataFrame(rows)
    return out.set_index("item_id" if by is None else ["item_id", by])


def reverse_code(values: Any, scale_min: float, scale_max: float) -> Any:
    """Return reverse-keyed values recoded as ``scale_min + scale_max - x`` (NaN stays NaN).

    >>> reverse_code(np.array([1, 2, 5, np.nan]), 1, 5)
    array([ 5.,  4.,  1., nan])
    """
    return scale_min + scale_max - values


def numeric_items(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_ids: Sequence[str] | None = None,
    reverse: bool = True,
) -> pd.DataFrame:
    """Return the answers as numbers (dk/na/blank → NaN), reverse-keyed items recoded.

    >>> items = pd.DataFrame({"item_id": ["A1", "F1"], "construct": ["a", "a"],
    ...     "wording": ["w", "v"], "reverse_keyed": [0, 1], "scale_min": [1, 1],
    ...     "scale_max": [5, 5], "labels": ["", ""], "allows_dont_know": [1, 1],
    ...     "allows_not_applicable": [0, 0]})
    >>> resp = pd.DataFrame({"A1": ["4", "dk"], "F1": ["1", "5"]})
    >>> numeric_items(resp, items).to_dict("list")
    {'A1': [4.0, nan], 'F1': [5.0, 1.0]}
    """
    data, info, ids = _select(responses, items, item_ids)
    out = {}
    for item_id in ids:
        it = info[item_id]
        values, _ = _parse_item(data[item_id], it)
        if reverse and it.reverse_keyed:
            values = reverse_code(values, it.scale_min, it.scale_max)
        out[item_id] = values
    return pd.DataFrame(out, index=data.index)


# ---------------------------------------------------------------------------
# Scale scores
# ---------------------------------------------------------------------------

MinAnswered = int | float | Mapping[str, int | float]


def _required(rule: MinAnswered, construct: str, n_items: int) -> int:
    """Return how many items must be answered: an int is a count, a float a fraction."""
    value = rule.get(construct, 0.5) if isinstance(rule, Mapping) else rule
    if isinstance(value, bool) or value <= 0:
        raise ValueError(f"min_items_answered must be positive, not {value!r}.")
    if isinstance(value, float) and value <= 1:
        need = math.ceil(value * n_items - 1e-9)
    else:
        need = int(value)
    return max(1, min(need, n_items))


def _scale_parts(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    min_items_answered: MinAnswered,
    constructs: Sequence[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    info = item_info(items)
    groups = construct_items(items)
    chosen = list(groups) if constructs is None else list(constructs)
    unknown = [c for c in chosen if c not in groups]
    if unknown:
        raise ValueError(f"No items for construct(s): {', '.join(unknown)}.")
    wanted = [i for c in chosen for i in groups[c]]
    num = numeric_items(responses, items, wanted)
    scores, report = {}, []
    for c in chosen:
        ids = groups[c]
        ranges = {(info[i].scale_min, info[i].scale_max) for i in ids}
        if len(ranges) > 1:
            raise ValueError(
                f"Construct {c!r} mixes items on different scales {sorted(ranges)}: "
                "their mean would not mean anything. Split it or rescale first."
            )
        need = _required(min_items_answered, c, len(ids))
        answered = num[ids].notna().sum(axis=1)
        ok = answered >= need
        scores[c] = num[ids].mean(axis=1, skipna=True).where(ok)
        none = int((answered == 0).sum())
        failed = int(((answered > 0) & ~ok).sum())
        report.append(
            {
                "construct": c,
                "n_items": len(ids),
                "min_items_required": need,
                "n_respondents": len(num),
                "n_scored": int(ok.sum()),
                "n_failed_rule": failed,
                "n_no_items_answered": none,
                "n_not_scored": failed + none,
            }
        )
    return pd.DataFrame(scores, index=num.index), pd.DataFrame(report).set_index("construct")


def scale_scores(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    min_items_answered: MinAnswered = 0.5,
    constructs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return one score per respondent and construct: the mean of answered items, or NaN.

    A respondent gets a score on a construct only if they answered (with a number, not
    don't know / not applicable) at least ``min_items_answered`` of its items: an ``int``
    is a count, a ``float`` up to 1 a fraction (0.5 = at least half, rounded up), a mapping
    gives a rule per construct (others: half). Reverse-keyed items are recoded first. The
    count of respondents who failed the rule is in :func:`scale_score_report` (also kept
    in ``result.attrs["report"]``): nobody is dropped silently.

    >>> items = pd.DataFrame({"item_id": ["A1", "A2", "A3"], "construct": ["a"] * 3,
    ...     "wording": ["w"] * 3, "reverse_keyed": [0, 0, 1], "scale_min": [1] * 3,
    ...     "scale_max": [5] * 3, "labels": [""] * 3, "allows_dont_know": [1] * 3,
    ...     "allows_not_applicable": [0] * 3})
    >>> resp = pd.DataFrame({"A1": ["4", "dk", "5"], "A2": ["2", None, "5"],
    ...     "A3": ["3", "1", "1"]})
    >>> scale_scores(resp, items, min_items_answered=2)["a"].tolist()
    [3.0, nan, 5.0]
    """
    scores, report = _scale_parts(responses, items, min_items_answered, constructs)
    scores.attrs["report"] = report
    return scores


def scale_score_report(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    min_items_answered: MinAnswered = 0.5,
    constructs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return per construct how many respondents were scored and how many failed the rule."""
    return _scale_parts(responses, items, min_items_answered, constructs)[1]


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------

NanPolicy = Literal["pairwise", "listwise"]


def _numeric_columns(responses: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return the columns as floats; ``dk``, ``na`` and blanks become NaN, other text raises."""
    data = _by_respondent(responses)
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise ValueError(f"No column(s) {', '.join(absent)} in the responses.")
    out = {}
    for col in columns:
        s = data[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = s.to_numpy(dtype=float, na_value=np.nan)
            continue
        text = s.astype("string").str.strip().str.lower()
        text = text.mask(text.isin(["", DONT_KNOW, NOT_APPLICABLE]))
        num = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & num.isna()
        if _mask(bad).any():
            examples = ", ".join(repr(v) for v in pd.unique(s[_mask(bad)].astype(str))[:5])
            raise ValueError(f"Column {col}: answers that are not numbers: {examples}.")
        out[col] = num.to_numpy(dtype=float, na_value=np.nan)
    return pd.DataFrame(out, index=data.index)


def _reversed(
    data: pd.DataFrame,
    reverse: Iterable[str],
    scale_max: int | Mapping[str, int] | None,
    min_value: int | Mapping[str, int] | None,
) -> pd.DataFrame:
    rev = list(dict.fromkeys(reverse))
    if not rev:
        return data
    absent = [r for r in rev if r not in data.columns]
    if absent:
        raise ValueError(f"Reverse-keyed item(s) not in the scales: {', '.join(absent)}.")
    if scale_max is None:
        raise ValueError(
            "Reverse-keyed items need scale_max (the highest possible answer, e.g. 5): "
            "it cannot be guessed from the answers given."
        )
    data = data.copy()
    for item in rev:
        hi = scale_max[item] if isinstance(scale_max, Mapping) else scale_max
        lo_raw = min_value.get(item, 1) if isinstance(min_value, Mapping) else min_value
        lo = 1 if lo_raw is None else lo_raw
        col = data[item]
        if ((col < lo) | (col > hi)).any():
            raise ValueError(f"Item {item}: answers outside {lo} to {hi}; cannot reverse it.")
        data[item] = reverse_code(col, lo, hi)
    return data


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def _prepare(x: pd.DataFrame, nan_policy: NanPolicy) -> pd.DataFrame:
    x = x.dropna(how="all")
    return x.dropna(how="any") if nan_policy == "listwise" else x


def mcdonald_omega(data: pd.DataFrame, nan_policy: NanPolicy = "pairwise") -> float:
    """Return McDonald's omega total for the unweighted sum of the columns (one-factor ML fit).

    The one-factor model is fitted by maximum likelihood to the (pairwise or listwise)
    correlation matrix and rescaled to the items' variances; omega total is then
    ``(sum of loadings)^2 / ((sum of loadings)^2 + sum of unique variances)``. Needs at
    least three items (a one-factor model on two items is not identified): NaN otherwise.
    """
    from scipy.optimize import minimize

    x = _prepare(data.astype(float), nan_policy)
    p = x.shape[1]
    if p < 3 or len(x) < p + 1:
        return float("nan")
    cov = x.cov().to_numpy()
    sd = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(cov)) or np.any(sd == 0):
        return float("nan")
    corr = cov / np.outer(sd, sd)

    def discrepancy(theta: np.ndarray) -> float:
        lam, psi = theta[:p], np.exp(theta[p:])
        sigma = np.outer(lam, lam) + np.diag(psi)
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return 1e10
        return float(logdet + np.trace(np.linalg.solve(sigma, corr)))

    try:
        smc = 1 - 1 / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        return float("nan")
    smc = np.clip(smc, 0.05, 0.95)
    start = np.concatenate([np.sqrt(smc), np.log(1 - smc)])
    bounds = [(-1.5, 1.5)] * p + [(np.log(1e-4), 0.0)] * p
    fit = minimize(discrepancy, start, method="L-BFGS-B", bounds=bounds)
    lam, psi = fit.x[:p], np.exp(fit.x[p:])
    if lam.sum() < 0:
        lam = -lam
    lam_raw, psi_raw = lam * sd, psi * sd**2
    common = lam_raw.sum() ** 2
    return float(common / (common + psi_raw.sum()))


def reliability(
    responses: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    reverse: Iterable[str] = (),
    scale_max: int | Mapping[str, int] | None = None,
    min_value: int | Mapping[str, int] | None = None,
    nan_policy: NanPolicy = "pairwise",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Return Cronbach's alpha with its interval, omega and the n used, one row per construct.

    ``scales`` maps a construct to its item columns. Items in ``reverse`` are recoded as
    ``min_value + scale_max - x`` (``min_value`` defaults to 1). ``dk`` / ``na`` answers
    count as missing. ``nan_policy="pairwise"`` uses every available pair of answers for
    the covariances (respondents who answered none of a construct's items are left
    out); ``"listwise"`` keeps only respondents who answered every item. Alpha and its
    Feldt interval come from :func:`pingouin.cronbach_alpha`; ``n_respondents`` is the n
    behind the interval. Columns: ``alpha``, ``ci_low``, ``ci_high``, ``n_items``,
    ``n_respondents``, ``n_complete`` (answered every item), ``n_answered_any``, ``nan_policy``,
    ``omega_total`` (:func:`mcdonald_omega`) and ``note``.

    >>> resp = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5],
    ...     "c": [5, 4, 3, 2, 2]})
    >>> table = reliability(resp, {"s": ["a", "b", "c"]}, reverse=["c"], scale_max=5)
    >>> round(float(table.loc["s", "alpha"]), 3), int(table.loc["s", "n_respondents"])
    (0.979, 5)
    """
    import pingouin as pg

    if nan_policy not in ("pairwise", "listwise"):
        raise ValueError("nan_policy must be 'pairwise' or 'listwise'.")
    columns = list(dict.fromkeys(c for cols in scales.values() for c in cols))
    data = _reversed(_numeric_columns(responses, columns), reverse, scale_max, min_value)
    rows = []
    for construct, cols in scales.items():
        x = data[list(cols)]
        answered_any = x.dropna(how="all")
        complete = int(x.dropna(how="any").shape[0])
        used = _prepare(x, nan_policy)
        row: dict[str, Any] = {
            "construct": construct,
            "alpha": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n_items": len(cols),
            "n_respondents": len(used),
            "n_complete": complete,
            "n_answered_any": len(answered_any),
            "nan_policy": nan_policy,
            "omega_total": np.nan,
            "note": "",
        }
        if len(cols) < 2:
            row["note"] = "single item: alpha is not defined"
        elif len(used) < 3:
            row["note"] = "fewer than 3 respondents: not estimated"
        else:
            alpha, interval = pg.cronbach_alpha(data=used, nan_policy=nan_policy, ci=ci)
            row |= {
                "alpha": float(alpha),
                "ci_low": float(interval[0]),
                "ci_high": float(interval[1]),
                "omega_total": mcdonald_omega(used, nan_policy),
            }
            if len(cols) < 3:
                row["note"] = "omega needs 3 or more items"
        rows.append(row)
    return pd.DataFrame(rows).set_index("construct")


def item_statistics(
    responses: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    reverse: Iterable[str] = (),
    scale_max: int | Mapping[str, int] | None = None,
    min_value: int | Mapping[str, int] | None = None,
    nan_policy: NanPolicy = "pairwise",
) -> pd.DataFrame:
    """Return per item its n, mean, SD, corrected item-total r and alpha if the item is deleted.

    The corrected item-total correlation is the item's correlation with the sum of the
    *other* items of its construct, computed from the covariance matrix (pairwise or
    listwise, as ``nan_policy``), as ``psych::alpha`` reports ``r.drop``. ``flag`` says in
    words when an item looks weak (r below 0.30, or alpha higher without it).
    Index: (construct, item).
    """
    if nan_policy not in ("pairwise", "listwise"):
        raise ValueError("nan_policy must be 'pairwise' or 'listwise'.")
    rev = set(reverse)
    columns = list(dict.fromkeys(c for cols in scales.values() for c in cols))
    data = _reversed(_numeric_columns(responses, columns), rev, scale_max, min_value)
    rows = []
    for construct, cols in scales.items():
        x = _prepare(data[list(cols)], nan_policy)
        cov = x.cov().to_numpy()
        alpha = _alpha_from_cov(cov)
        k = len(cols)
        for i, item in enumerate(cols):
            others = [j for j in range(k) if j != i]
            rest_var = cov[np.ix_(others, others)].sum()
            r_drop = (
                cov[i, others].sum() / math.sqrt(cov[i, i] * rest_var)
                if k > 1 and cov[i, i] > 0 and rest_var > 0
                else float("nan")
            )
            a_del = _alpha_from_cov(cov[np.ix_(others, others)]) if k > 2 else float("nan")
            flags = []
            if np.isfinite(r_drop) and r_drop < 0.3:
                flags.append("weak item-total correlation (below 0.30)")
            if np.isfinite(a_del) and np.isfinite(alpha) and a_del > alpha + 0.01:
                flags.append("alpha rises if deleted")
            rows.append(
                {
                    "construct": construct,
                    "item": item,
                    "reversed": item in rev,
                    "n": int(x[item].notna().sum()),
                    "mean": float(x[item].mean()),
                    "sd": float(x[item].std()),
                    "item_total_r": float(r_drop),
                    "alpha_if_deleted": float(a_del),
                    "alpha": alpha,
                    "nan_policy": nan_policy,
                    "flag": "; ".join(flags),
                }
            )
    return pd.DataFrame(rows).set_index(["construct", "item"])


def construct_reliability(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    constructs: Sequence[str] | None = None,
    nan_policy: NanPolicy = "pairwise",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (:func:`reliability`, :func:`item_statistics`) for constructs in ``survey_items``.

    Reverse keying and scale ranges come from ``survey_items``; single-item constructs
    are listed with a note rather than left out.
    """
    groups = construct_items(items)
    chosen = list(groups) if constructs is None else list(constructs)
    scales = {c: groups[c] for c in chosen}
    num = numeric_items(responses, items, [i for c in chosen for i in groups[c]])
    info = item_info(items)
    table = reliability(num, scales, nan_policy=nan_policy)
    stats = item_statistics(num, scales, nan_policy=nan_policy)
    stats["reversed"] = [info[i].reverse_keyed for _, i in stats.index]
    return table, stats


# ---------------------------------------------------------------------------
# Group comparisons
# ---------------------------------------------------------------------------

#: Plain-English labels for grouping variables and factors.
FACTOR_LABELS: dict[str, str] = {
    "trained_2024": "Trained on the 2024 advice",
    "read_advice_2024": "Has read the 2024 advice",
    "manager_support": "Manager support (1-5)",
    "agency": "Agency",
    "role": "Role",
    "years_in_role": "Years in role",
    "site_id": "Site",
}

#: Labels for the values of grouping variables and factors.
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "agency": dict(AGENCIES),
    "role": dict(ROLES),
    "years_in_role": {
        "<2": "under 2 years",
        "2-5": "2-5 years",
        "6-10": "6-10 years",
        ">10": "over 10 years",
    },
    "trained_2024": {"0": "not trained", "1": "trained"},
    "read_advice_2024": {"0": "not read", "1": "read"},
}


def _level_label(
    factor: str, level: Any, extra: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    key = _level_key(level)
    if extra and factor in extra and key in extra[factor]:
        return extra[factor][key]
    return LEVEL_LABELS.get(factor, {}).get(key, key)


def _level_key(value: Any) -> str:
    """Return a group value as text, writing whole numbers without '.0'."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def holm_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return Holm step-down adjusted p-values (NaN entries stay NaN and are not counted).

    >>> holm_adjust([0.01, 0.04, 0.03, np.nan])
    array([0.03, 0.06, 0.06,  nan])
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="mergesort")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def compare_groups(
    scores: pd.DataFrame,
    responses: pd.DataFrame,
    by: Sequence[str] = ("agency", "role", "site_id", "trained_2024"),
    constructs: Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
) -> pd.DataFrame:
    """Return one row per (construct, grouping): test, effect size, p and Holm-adjusted p.

    For each construct score (from :func:`scale_scores`, indexed by respondent) and each
    grouping column of ``responses``: groups with fewer than ``min_cell`` scored
    respondents are left out and listed in ``excluded``; with three or more groups left
    the test is Kruskal-Wallis with epsilon-squared (``H / (n - 1)``); with two it is
    Mann-Whitney with the rank-biserial correlation, ``P(group_2 > group_1) -
    P(group_1 > group_2)`` (positive when the second group, in sorted order, scores
    higher: e.g. trained ``1`` versus not trained ``0``). ``p_holm`` adjusts across every
    test in the table (the family).
    """
    from scipy import stats

    data = _by_respondent(responses)
    chosen = list(scores.columns) if constructs is None else list(constructs)
    rows = []
    for construct in chosen:
        for var in by:
            if var not in data.columns:
                raise ValueError(f"survey_responses has no column {var!r}.")
            joined = pd.DataFrame({"score": scores[construct]}).join(
                data[[var]].rename(columns={var: "group"}), how="left"
            )
            joined = joined.dropna()
            joined["group"] = joined["group"].map(_level_key)
            sizes = joined["group"].value_counts()
            kept = sorted(g for g, n in sizes.items() if n >= min_cell)
            excluded = sorted(g for g, n in sizes.items() if n < min_cell)
            part = joined[joined["group"].isin(kept)]
            samples = [part.loc[part["group"] == g, "score"].to_numpy() for g in kept]
            row: dict[str, Any] = {
                "construct": construct,
                "by": var,
                "test": "not tested",
                "k": len(kept),
                "n": len(part),
                "statistic": np.nan,
                "p_value": np.nan,
                "effect_size": np.nan,
                "effect_measure": "",
                "group_1": kept[0] if len(kept) == 2 else "",
                "group_2": kept[1] if len(kept) == 2 else "",
                "groups": "; ".join(
                    f"{_level_label(var, g)} (n={len(s)}, median {np.median(s):.2f})"
                    for g, s in zip(kept, samples, strict=True)
                ),
                "excluded": (
                    f"{len(excluded)} group(s) with fewer than {min_cell}: "
                    + ", ".join(_level_label(var, g) for g in excluded)
                    if excluded
                    else ""
                ),
                "note": "",
            }
            n = len(part)
            if len(kept) < 2:
                row["note"] = f"fewer than two groups with at least {min_cell} respondents"
            elif len(np.unique(part["score"])) < 2:
                row["note"] = "every respondent has the same score"
            elif len(kept) == 2:
                a, b = samples
                res = stats.mannwhitneyu(b, a, alternative="two-sided")
                u_b = float(res.statistic)
                row |= {
                    "test": "Mann-Whitney U",
                    "statistic": u_b,
                    "p_value": float(res.pvalue),
                    "effect_size": 2 * u_b / (len(a) * len(b)) - 1,
                    "effect_measure": "rank-biserial r (group_2 vs group_1)",
                }
            else:
                res = stats.kruskal(*samples)
                h = float(res.statistic)
                row |= {
                    "test": "Kruskal-Wallis H",
                    "statistic": h,
                    "p_value": float(res.pvalue),
                    "effect_size": h / (n - 1),
                    "effect_measure": "epsilon-squared",
                }
            rows.append(row)
    out = pd.DataFrame(rows)
    out.insert(out.columns.get_loc("p_value") + 1, "p_holm", holm_adjust(out["p_value"]))
    return out


# ---------------------------------------------------------------------------
# Models of confidence
# ---------------------------------------------------------------------------

#: Candidate factors for the confidence models (change per analysis).
DEFAULT_FACTORS: tuple[str, ...] = (
    "trained_2024",
    "read_advice_2024",
    "manager_support",
    "agency",
    "years_in_role",
    "site_id",
)
_NUMERIC_FACTORS = frozenset({"trained_2024", "read_advice_2024", "manager_support"})


@dataclass
class ModelResult:
    """A fitted confidence model: estimates, thresholds, n used and every dropped count."""

    model: str
    outcome: str
    outcome_label: str
    effect_measure: str
    estimates: pd.DataFrame
    n_total: int
    n_used: int
    dropped: pd.DataFrame
    references: dict[str, str]
    thresholds: pd.DataFrame | None = None
    proportional_odds: pd.DataFrame | None = None
    proportional_odds_method: str = ""
    proportional_odds_by_cut: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    fit: Any = None
    conf_level: float = 0.95

    def missing_data_statement(self) -> str:
        """Return the complete-case statement: n used of n total and who was dropped, why."""
        text = (
            f"Complete-case analysis: {self.n_used} of {self.n_total} respondents "
            f"used ({self.n_total - self.n_used} left out)."
        )
        parts = [f"{r.n} {r.reason}" for r in self.dropped.itertuples() if r.n > 0]
        if parts:
            text += " Left out, in this order: " + "; ".join(parts) + "."
        return text


def _factor_kinds(data: pd.DataFrame, factors: Sequence[str]) -> dict[str, str]:
    kinds = {}
    for f in factors:
        if f not in data.columns:
            raise ValueError(f"survey_responses has no column {f!r} (a model factor).")
        s = data[f]
        numeric = f in _NUMERIC_FACTORS or (
            pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
        )
        kinds[f] = "numeric" if numeric else "categorical"
    return kinds


def _factor_values(data: pd.DataFrame, factor: str, kind: str) -> pd.Series:
    s = data[factor]
    if kind == "numeric":
        text = s.astype("string").str.strip()
        num = pd.to_numeric(text.mask(text == ""), errors="coerce")
        bad = text.notna() & (text != "") & num.isna()
        if _mask(bad).any():
            raise ValueError(f"Factor {factor}: values that are not numbers.")
        return pd.Series(num.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    text = s.astype("string").str.strip()
    blank = text.isna().to_numpy() | _mask(text == "")
    return text.astype(object).where(~blank, np.nan)


def _complete_cases(
    data: pd.DataFrame,
    outcome_status: pd.Series | None,
    outcome_values: pd.Series,
    outcome: str,
    factors: Sequence[str],
    kinds: Mapping[str, str],
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Return (factor values, keep mask, dropped counts by reason in order)."""
    keep = np.ones(len(data), dtype=bool)
    reasons: list[dict[str, Any]] = []
    if outcome_status is not None:
        for status, words in (
            (MISSING, f"gave no answer to {outcome}"),
            (DONT_KNOW_STATUS, f"answered 'don't know' to {outcome}"),
            (NOT_APPLICABLE_STATUS, f"answered 'not applicable' to {outcome}"),
        ):
            hit = keep & (outcome_status.to_numpy() == status)
            reasons.append({"reason": words, "n": int(hit.sum())})
            keep &= ~hit
    else:
        hit = keep & outcome_values.isna().to_numpy()
        reasons.append({"reason": f"had no {outcome} score", "n": int(hit.sum())})
        keep &= ~hit
    values = pd.DataFrame({f: _factor_values(data, f, kinds[f]) for f in factors})
    for f in factors:
        hit = keep & values[f].isna().to_numpy()
        reasons.append(
            {"reason": f"had no answer for '{FACTOR_LABELS.get(f, f)}'", "n": int(hit.sum())}
        )
        keep &= ~hit
    return values, keep, pd.DataFrame(reasons)


@dataclass(frozen=True)
class _Term:
    name: str
    factor: str
    kind: str  # binary | numeric | categorical
    level: str | None
    reference: str | None
    label: str
    level_label: str | None = None
    reference_label: str | None = None


def _design(
    values: pd.DataFrame,
    kinds: Mapping[str, str],
    reference: Mapping[str, str] | None,
    level_labels: Mapping[str, Mapping[str, str]] | None,
) -> tuple[pd.DataFrame, list[_Term], dict[str, str], list[str]]:
    """Return (design matrix, terms, reference levels, notes) for complete cases."""
    cols: dict[str, np.ndarray] = {}
    terms: list[_Term] = []
    refs: dict[str, str] = {}
    notes: list[str] = []
    for f, kind in kinds.items():
        s = values[f]
        flabel = FACTOR_LABELS.get(f, f)
        if kind == "numeric":
            x = s.to_numpy(dtype=float)
            if np.nanstd(x) == 0:
                notes.append(f"{flabel} is the same for everyone in the model: left out.")
                continue
            binary = set(np.unique(x)) <= {0.0, 1.0}
            label = f"{flabel} (yes vs no)" if binary else f"{flabel}, per point"
            cols[f] = x
            terms.append(_Term(f, f, "binary" if binary else "numeric", None, None, label))
            continue
        counts = s.value_counts()
        if f == "years_in_role":
            levels = [lv for lv in YEARS_IN_ROLE if lv in counts.index]
            levels += sorted(lv for lv in counts.index if lv not in YEARS_IN_ROLE)
        else:
            levels = sorted(counts.index)
        if len(levels) < 2:
            notes.append(f"{flabel} has one value among those in the model: left out.")
            continue
        ref = (reference or {}).get(f)
        if ref is None:
            if f == "years_in_role":
                ref = levels[0]
            else:
                top = counts.max()
                ref = sorted(lv for lv in levels if counts[lv] == top)[0]
        elif ref not in levels:
            raise ValueError(
                f"Reference level {ref!r} for {f} is not among the values in the model: "
                f"{', '.join(levels)}."
            )
        refs[f] = ref
        ref_label = _level_label(f, ref, level_labels)
        for lv in levels:
            if lv == ref:
                continue
            name = f"{f}[{lv}]"
            cols[name] = (s == lv).to_numpy(dtype=float)
            lv_label = _level_label(f, lv, level_labels)
            label = f"{flabel}: {lv_label} (vs {ref_label})"
            terms.append(_Term(name, f, "categorical", lv, ref, label, lv_label, ref_label))
    design = pd.DataFrame(cols, index=values.index)
    if design.shape[1] and np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        raise ValueError(
            "Some factors are perfectly confounded with each other among the respondents "
            "in the model (for example every respondent of one agency is at one site): "
            "leave one of them out."
        )
    return design, terms, refs, notes


def _estimates_table(
    terms: Sequence[_Term],
    est: pd.Series,
    low: pd.Series,
    high: pd.Series,
    p: pd.Series,
    n_by_term: Mapping[str, int],
) -> pd.DataFrame:
    rows = [
        {
            "term": t.name,
            "factor": t.factor,
            "kind": t.kind,
            "level": t.level,
            "reference": t.reference,
            "label": t.label,
            "level_label": t.level_label,
            "reference_label": t.reference_label,
            "estimate": float(est[t.name]),
            "ci_low": float(low[t.name]),
            "ci_high": float(high[t.name]),
            "p_value": float(p[t.name]),
            "n_level": n_by_term.get(t.name),
        }
        for t in terms
    ]
    return pd.DataFrame(rows).set_index("term")


def _level_counts(design: pd.DataFrame, terms: Sequence[_Term]) -> dict[str, int]:
    return {t.name: int(design[t.name].sum()) for t in terms if t.kind in ("binary", "categorical")}


def _brant(
    y: np.ndarray, design: pd.DataFrame, levels: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (Brant Wald tests per term and omnibus, odds ratios of the binary logit per cut).

    Brant (1990): fit a separate binary logit of ``Y > j`` for each cut ``j``, then test
    that the slopes are equal across cuts with a Wald test that uses the covariance of
    the estimates between cuts.
    """
    import statsmodels.api as sm
    from scipy import stats
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    x = sm.add_constant(design.to_numpy(dtype=float), has_constant="add")
    p = x.shape[1] - 1
    cuts = len(levels) - 1
    betas, pis, infos = [], [], []
    for j in range(cuts):
        z = (y > j).astype(float)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = sm.Logit(z, x).fit(disp=False, maxiter=200)
        pi = fit.predict(x)
        trouble = [
            w
            for w in caught
            if issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning))
        ]
        if (
            trouble
            or not fit.mle_retvals.get("converged", True)
            or pi.min() < 1e-8
            or (pi.max() > 1 - 1e-8)
        ):
            raise ValueError(
                f"the binary logit for answers above '{levels[j]}' does not converge "
                "(some factor separates the answers perfectly)"
            )
        betas.append(fit.params)
        pis.append(pi)
        infos.append(np.linalg.inv(x.T @ (x * (pi * (1 - pi))[:, None])))
    names = list(design.columns)
    by_cut = pd.DataFrame(
        {f"> {levels[j]}": np.exp(betas[j][1:]) for j in range(cuts)}, index=names
    )
    # Joint covariance of the slope estimates (intercepts removed).
    var = np.zeros((cuts * p, cuts * p))
    for j in range(cuts):
        for m in range(j, cuts):
            w = pis[m] * (1 - pis[j])
            block = infos[j] @ (x.T @ (x * w[:, None])) @ infos[m]
            block = block[1:, 1:]
            var[j * p : (j + 1) * p, m * p : (m + 1) * p] = block
            var[m * p : (m + 1) * p, j * p : (j + 1) * p] = block.T
    stacked = np.concatenate([b[1:] for b in betas])

    def wald(cols: Sequence[int]) -> tuple[float, int, float]:
        d_rows = []
        for j in range(1, cuts):
            for c in cols:
                row = np.zeros(cuts * p)
                row[c] = 1.0
                row[j * p + c] = -1.0
                d_rows.append(row)
        d = np.array(d_rows)
        diff = d @ stacked
        stat = float(diff @ np.linalg.pinv(d @ var @ d.T) @ diff)
        df = len(d_rows)
        return stat, df, float(stats.chi2.sf(stat, df))

    rows = []
    omnibus = wald(range(p))
    rows.append(
        {
            "term": "all factors (omnibus)",
            "chi2": omnibus[0],
            "df": omnibus[1],
            "p_value": omnibus[2],
        }
    )
    for i, name in enumerate(names):
        stat, df, pv = wald([i])
        rows.append({"term": name, "chi2": stat, "df": df, "p_value": pv})
    return pd.DataFrame(rows).set_index("term"), by_cut


def ordered_logit(endog: pd.Series, exog: pd.DataFrame) -> Any:
    """Return statsmodels' ``OrderedModel`` (logit) with an analytic score and Hessian.

    statsmodels differentiates the ordered logit numerically: each gradient costs one
    log-likelihood per parameter and the Hessian one per pair, so a model with a factor of
    many levels (150 sites) takes minutes. Here the score and the Hessian are exact
    (derived below for statsmodels' parameters: coefficients, first cut, log-increments of
    the later cuts). Fits agree with ``OrderedModel`` to numerical precision (tested).
    """
    from scipy.special import expit
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    class _OrderedLogit(OrderedModel):  # type: ignore[misc]
        def _parts(self, params: Any) -> dict[str, Any]:
            """Per-observation derivatives of log P(y) with respect to its two bounds."""
            params = np.asarray(params, dtype=float)
            low, upp = self._bounds(params)
            f_low, f_upp = expit(low), expit(upp)
            prob = f_upp - f_low + 1e-20  # as in loglikeobs
            d_low, d_upp = f_low * (1 - f_low), f_upp * (1 - f_upp)  # 0 at infinite bounds
            y = np.asarray(self.endog, dtype=int)
            n_cut = self.k_levels - 1
            exog = np.asarray(self.exog, dtype=float)
            return {
                "params": params,
                "exog": exog,
                "y": y,
                "n_cut": n_cut,
                "upper": y < n_cut,  # the upper bound of answer y is cut y
                "lower": y > 0,  # the lower bound of answer y is cut y - 1
                "g_upp": d_upp / prob,
                "g_low": -d_low / prob,
                "h_upp": d_upp * (1 - 2 * f_upp) / prob - (d_upp / prob) ** 2,
                "h_low": -d_low * (1 - 2 * f_low) / prob - (d_low / prob) ** 2,
                "h_both": d_upp * d_low / prob**2,
                # cut_m = a_0 + sum_{i=1..m} exp(a_i)
                "exp_a": np.r_[1.0, np.exp(params[exog.shape[1] + 1 :])],
            }

        @staticmethod
        def _cut_jacobian(q: dict[str, Any]) -> np.ndarray:
            n_cut = q["n_cut"]
            jac = np.tril(np.ones((n_cut, n_cut))) * q["exp_a"][None, :]
            jac[:, 0] = 1.0
            return jac

        def score_obs(self, params: Any) -> np.ndarray:
            q = self._parts(params)
            g_beta = (-(q["g_upp"] + q["g_low"]))[:, None] * q["exog"]
            rows = np.arange(len(q["y"]))
            g_cut = np.zeros((len(q["y"]), q["n_cut"]))
            up, lo, y = q["upper"], q["lower"], q["y"]
            g_cut[rows[up], y[up]] += q["g_upp"][up]
            g_cut[rows[lo], y[lo] - 1] += q["g_low"][lo]
            return np.column_stack([g_beta, g_cut @ self._cut_jacobian(q)])

        def score(self, params: Any) -> np.ndarray:
            return self.score_obs(params).sum(axis=0)

        def hessian(self, params: Any) -> np.ndarray:
            q = self._parts(params)
            x, y, n_cut = q["exog"], q["y"], q["n_cut"]
            up, lo = q["upper"], q["lower"]
            a, b, c = q["h_upp"], q["h_low"], q["h_both"]
            # the linear predictor moves both bounds down together
            h_bb = x.T @ (x * (a + 2 * c + b)[:, None])
            cross = np.zeros((len(y), n_cut))  # d2 / (d xb d cut_m), per observation
            rows = np.arange(len(y))
            cross[rows[up], y[up]] -= (a + c)[up]
            cross[rows[lo], y[lo] - 1] -= (c + b)[lo]
            h_bc = x.T @ cross
            h_cc = np.zeros((n_cut, n_cut))
            np.add.at(h_cc, (y[up], y[up]), a[up])
            np.add.at(h_cc, (y[lo] - 1, y[lo] - 1), b[lo])
            both = up & lo
            np.add.at(h_cc, (y[both], y[both] - 1), c[both])
            np.add.at(h_cc, (y[both] - 1, y[both]), c[both])
            jac = self._cut_jacobian(q)
            g_cut = np.zeros(n_cut)
            np.add.at(g_cut, y[up], q["g_upp"][up])
            np.add.at(g_cut, y[lo] - 1, q["g_low"][lo])
            h_aa = jac.T @ h_cc @ jac
            # second derivative of cut_m in a_i (i >= 1, i <= m) is exp(a_i)
            tail = g_cut[::-1].cumsum()[::-1]
            h_aa[np.arange(1, n_cut), np.arange(1, n_cut)] += (q["exp_a"] * tail)[1:]
            h_ba = h_bc @ jac
            return np.block([[h_bb, h_ba], [h_ba.T, h_aa]])

    return _OrderedLogit(endog, exog, distr="logit")


def fit_confidence_model(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    outcome: str = CONFIDENCE_ITEM,
    factors: Sequence[str] = DEFAULT_FACTORS,
    reference: Mapping[str, str] | None = None,
    level_labels: Mapping[str, Mapping[str, str]] | None = None,
    conf_level: float = 0.95,
    check_proportional_odds: bool = True,
) -> ModelResult:
    """Return odds ratios (95% CI), thresholds and a Brant test from an ordinal logit of CONF1.

    The model is a proportional-odds (cumulative logit) regression, statsmodels
    ``OrderedModel`` with ``distr="logit"``, of the answer to ``outcome`` (default
    ``CONF1``) on ``factors``. An odds ratio above 1 means higher odds of a *higher*
    answer. ``trained_2024``, ``read_advice_2024`` and ``manager_support`` (and any other
    numeric column) enter as numbers - per point for manager support; text columns enter
    as categories against a reference level: ``reference`` if given, else the lowest
    band for ``years_in_role`` and the most common value for the others (stated in
    ``result.references`` and in every label). Only complete cases are used; ``dk`` and
    ``na`` answers to the outcome are left out and counted (``result.dropped``).
    Answer levels nobody chose are dropped from the outcome (noted).

    ``result.thresholds`` are the cut points on the latent logit scale, converted from
    statsmodels' parameterisation (first cut as is, later ones as log-increments: cut_j
    = cut_1 + sum of exp(increments)) with delta-method intervals. The proportional-odds
    check is the Brant (1990) Wald test comparing separate binary logits at each cut
    (``result.proportional_odds``; the per-cut odds ratios are in
    ``result.proportional_odds_by_cut``).
    """
    from scipy import stats

    data, info, _ = _select(responses, items, [outcome])
    it = info[outcome]
    values, status = _parse_item(data[outcome], it)
    kinds = _factor_kinds(data, factors)
    fvalues, keep, dropped = _complete_cases(data, status, values, outcome, factors, kinds)
    design, terms, refs, notes = _design(fvalues[keep], kinds, reference, level_labels)
    if not terms:
        raise ValueError("No factor varies among the respondents in the model.")
    codes = (values[keep] - it.scale_min).astype(int).to_numpy()
    used_codes = sorted(set(codes))
    unused = [it.labels[c] for c in range(len(it.labels)) if c not in used_codes]
    if unused:
        notes.append(
            "Nobody in the model chose "
            + ", ".join(f"'{u}'" for u in unused)
            + ": the outcome has only the answers given."
        )
    if len(used_codes) < 3:
        raise ValueError(
            f"{outcome} has fewer than three different answers among the respondents in the "
            "model: an ordinal model is not useful; compare proportions instead."
        )
    levels = [it.labels[c] for c in used_codes]
    recode = {c: i for i, c in enumerate(used_codes)}
    y = np.array([recode[c] for c in codes])
    endog = pd.Series(
        pd.Categorical.from_codes(y, categories=levels, ordered=True), index=design.index
    )
    model = ordered_logit(endog, design)
    fit = model.fit(method="newton", disp=False, maxiter=200)
    if not fit.mle_retvals.get("converged", True):
        notes.append("The model fit did not fully converge: treat the estimates with caution.")
    a = 1 - conf_level
    ci = fit.conf_int(alpha=a)
    est = np.exp(fit.params)
    table = _estimates_table(
        terms, est, np.exp(ci[0]), np.exp(ci[1]), fit.pvalues, _level_counts(design, terms)
    )
    # Thresholds: statsmodels keeps cut_1 and log-increments; convert and delta-method SEs.
    k_exog = design.shape[1]
    raw = fit.params.to_numpy()
    cuts = model.transform_threshold_params(raw)[1:-1]
    cov = np.asarray(fit.cov_params())[k_exog:, k_exog:]
    n_cut = len(cuts)
    jac = np.zeros((n_cut, n_cut))
    jac[:, 0] = 1.0
    for j in range(1, n_cut):
        jac[j, 1 : j + 1] = np.exp(raw[k_exog + 1 : k_exog + j + 1])
    se = np.sqrt(np.diag(jac @ cov @ jac.T))
    zcrit = stats.norm.ppf(1 - a / 2)
    thresholds = pd.DataFrame(
        {
            "below": levels[:-1],
            "above": levels[1:],
            "threshold": cuts,
            "ci_low": cuts - zcrit * se,
            "ci_high": cuts + zcrit * se,
        },
        index=pd.Index([f"{lo} | {hi}" for lo, hi in itertools.pairwise(levels)], name="cut"),
    )
    result = ModelResult(
        model="ordinal logistic regression (proportional odds, logit link)",
        outcome=outcome,
        outcome_label=it.wording,
        effect_measure="odds ratio",
        estimates=table,
        n_total=len(data),
        n_used=int(keep.sum()),
        dropped=dropped,
        references=refs,
        thresholds=thresholds,
        notes=notes,
        fit=fit,
        conf_level=conf_level,
    )
    if check_proportional_odds:
        result.proportional_odds_method = (
            "Brant (1990) Wald test: separate binary logits of 'answer above each cut', "
            "slopes compared across cuts; a small p-value suggests the factor's effect "
            "differs across the scale."
        )
        simple = [t.name for t in terms if t.kind != "categorical"]
        try:
            result.proportional_odds, result.proportional_odds_by_cut = _brant(y, design, levels)
        except (np.linalg.LinAlgError, ValueError) as err:
            reason = str(err)
            if simple and len(simple) < len(terms):
                try:
                    result.proportional_odds, result.proportional_odds_by_cut = _brant(
                        y, design[simple], levels
                    )
                    labels = ", ".join(FACTOR_LABELS.get(t, t) for t in simple)
                    result.proportional_odds_method += (
                        f" Checked on a reduced model with only: {labels} (with every factor, "
                        f"{reason})."
                    )
                    notes.append(
                        "The proportional-odds (Brant) test was run on the numeric and yes/no "
                        f"factors only ({labels}): with the categorical factors too, {reason}."
                    )
                except (np.linalg.LinAlgError, ValueError) as err2:
                    notes.append(
                        f"The proportional-odds (Brant) test could not be computed: {err2}"
                    )
            else:
                notes.append(f"The proportional-odds (Brant) test could not be computed: {reason}")
        if result.proportional_odds is not None and np.bincount(y).min() < 10:
            notes.append(
                "Some answers were chosen by fewer than 10 respondents: the Brant test is "
                "unreliable with sparse categories."
            )
    return result


def fit_scale_ols(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    construct: str = CONFIDENCE_CONSTRUCT,
    factors: Sequence[str] = DEFAULT_FACTORS,
    reference: Mapping[str, str] | None = None,
    level_labels: Mapping[str, Mapping[str, str]] | None = None,
    min_items_answered: MinAnswered = 0.5,
    conf_level: float = 0.95,
) -> ModelResult:
    """Return differences in mean scale score (95% CI) from an OLS of ``construct``'s score.

    The sensitivity analysis for :func:`fit_confidence_model`: the construct's scale
    score (:func:`scale_scores` with ``min_items_answered``) regressed on the same
    factors, with HC3 heteroscedasticity-robust standard errors. Respondents without a
    score (too few items answered) or with a missing factor are left out and counted.
    """
    import statsmodels.api as sm

    scores, report = _scale_parts(responses, items, min_items_answered, [construct])
    data = _by_respondent(responses)
    kinds = _factor_kinds(data, factors)
    y_all = scores[construct].reindex(data.index)
    fvalues, keep, dropped = _complete_cases(data, None, y_all, construct, factors, kinds)
    dropped.loc[0, "reason"] = (
        f"had no {construct} score (answered fewer than "
        f"{int(report.loc[construct, 'min_items_required'])} of its "
        f"{int(report.loc[construct, 'n_items'])} items)"
    )
    design, terms, refs, notes = _design(fvalues[keep], kinds, reference, level_labels)
    if not terms:
        raise ValueError("No factor varies among the respondents in the model.")
    y = y_all[keep].to_numpy(dtype=float)
    fit = sm.OLS(y, sm.add_constant(design, has_constant="add")).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - conf_level)
    table = _estimates_table(
        terms, fit.params, ci[0], ci[1], fit.pvalues, _level_counts(design, terms)
    )
    notes.append(f"HC3 robust standard errors; R-squared {fit.rsquared:.2f}.")
    return ModelResult(
        model="linear regression (OLS) of the scale score",
        outcome=construct,
        outcome_label=f"{construct} scale score (mean of items)",
        effect_measure="difference in mean score",
        estimates=table,
        n_total=len(data),
        n_used=int(keep.sum()),
        dropped=dropped,
        references=refs,
        notes=notes,
        fit=fit,
        conf_level=conf_level,
    )


def forest_plot(result: ModelResult, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Return a forest plot of the estimates with intervals (odds ratios: log axis, line at 1)."""
    from srim_analysis.charts.style import MUTED, PALETTE, new_figure

    est = result.estimates
    if ax is None:
        fig, ax = new_figure("full", height=1.2 + 0.32 * len(est))
    else:
        fig = ax.figure  # type: ignore[assignment]
    ratio = result.effect_measure == "odds ratio"
    y = np.arange(len(est))[::-1]
    ax.hlines(y, est["ci_low"], est["ci_high"], color=PALETTE[0], linewidth=1.6)
    ax.plot(est["estimate"], y, "o", color=PALETTE[0], markersize=5, zorder=3)
    ax.axvline(1.0 if ratio else 0.0, color=MUTED, linestyle="--", linewidth=1)
    ax.set_yticks(y, list(est["label"]))
    ax.grid(axis="y", visible=False)
    pct = round(result.conf_level * 100)
    if ratio:
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

        ax.set_xscale("log")
        lo = min(float(est["ci_low"].min()), 0.9)
        hi = max(float(est["ci_high"].max()), 1.1)
        nice = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
        ax.set_xlim(lo / 1.15, hi * 1.15)
        ax.xaxis.set_major_locator(FixedLocator([v for v in nice if lo / 1.15 <= v <= hi * 1.15]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"Odds ratio ({pct}% CI), log scale: above 1 = higher {result.outcome}")
    else:
        ax.set_xlabel(f"Difference in mean {result.outcome} score ({pct}% CI)")
    ax.set_title(
        title
        or f"Factors associated with {result.outcome} (n = {result.n_used} of {result.n_total})"
    )
    return fig  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# Plain-English summary
# ---------------------------------------------------------------------------

_BINARY_PHRASES: dict[str, tuple[str, str]] = {
    "trained_2024": ("Practitioners trained on the 2024 advice", "those not trained"),
    "read_advice_2024": ("Practitioners who had read the 2024 advice", "those who had not"),
}
_NUMERIC_PHRASES: dict[str, str] = {
    "manager_support": "Each extra point of manager support (on the 1-5 scale)",
}
_CATEGORY_PHRASES: dict[str, str] = {
    "agency": "practitioners in {level}",
    "role": "respondents working as {level}",
    "years_in_role": "practitioners with {level} in role",
    "site_id": "respondents at site {level}",
}


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _subject(row: pd.Series, result: ModelResult) -> tuple[str, str]:
    """Return (who, compared with whom) for one estimate row, in plain words."""
    factor, kind = row["factor"], row["kind"]
    if kind == "binary":
        who, other = _BINARY_PHRASES.get(
            factor,
            (f"Respondents with {FACTOR_LABELS.get(factor, factor).lower()}", "those without"),
        )
        return who, other
    if kind == "numeric":
        return (
            _NUMERIC_PHRASES.get(factor, f"Each one-point increase in {factor}"),
            "",
        )
    template = _CATEGORY_PHRASES.get(factor, f"respondents with {factor} = {{level}}")
    who = template.format(level=row["level_label"])
    other = template.format(level=row["reference_label"]) + " (the reference group)"
    return who[0].upper() + who[1:], other


def summarise_factors(
    model_result: ModelResult, max_factors: int = 3, outcome_phrase: str | None = None
) -> str:
    """Return a plain-English paragraph on the strongest factors with their intervals.

    "Strongest" means the largest effects (furthest from no effect on the log-odds or
    score scale) among those whose interval excludes no effect; per-point effects of
    numeric factors are compared as they stand.
    """
    r = model_result
    pct = round(r.conf_level * 100)
    est = r.estimates.copy()
    ratio = r.effect_measure == "odds ratio"
    null = 1.0 if ratio else 0.0
    est["size"] = np.abs(np.log(est["estimate"])) if ratio else np.abs(est["estimate"])
    clear = est[(est["ci_low"] > null) | (est["ci_high"] < null)].sort_values(
        "size", ascending=False
    )
    phrase = outcome_phrase or (
        "reporting higher confidence" if r.outcome == CONFIDENCE_ITEM else f"a higher {r.outcome}"
    )

    def sentence(row: pd.Series) -> str:
        who, other = _subject(row, r)
        ci = f"({pct}% CI {_fmt(row['ci_low'])} to {_fmt(row['ci_high'])})"
        if ratio:
            core = f"{_fmt(row['estimate'])} times the odds {ci} of {phrase}"
            if row["kind"] == "numeric":
                text = f"{who} was associated with {core}"
            else:
                text = f"{who} had {core} compared with {other}"
            if row["estimate"] < 1:
                text += ", that is, lower odds"
            return text + "."
        direction = "higher" if row["estimate"] > 0 else "lower"
        if row["estimate"] < 0:  # state the interval in the direction of the sentence
            ci = f"({pct}% CI {_fmt(-row['ci_high'])} to {_fmt(-row['ci_low'])} lower)"
        core = f"{_fmt(abs(row['estimate']))} points {direction} on the {r.outcome} scale {ci}"
        if row["kind"] == "numeric":
            return f"{who} was associated with a score {core}."
        return f"{who} scored {core} than {other}."

    parts = []
    if clear.empty:
        parts.append(
            f"None of the {len(est)} factor terms had a {pct}% confidence interval that "
            "excluded no difference."
        )
        if len(est):
            top = est.sort_values("size", ascending=False).iloc[0]
            parts.append("The largest estimate, which may be chance, was: " + sentence(top))
    else:
        shown = clear.head(max_factors)
        parts.append(
            f"{len(clear)} of the {len(est)} factor terms had a {pct}% confidence interval "
            f"that excluded no difference; the strongest {'was' if len(shown) == 1 else 'were'}:"
        )
        parts += [sentence(row) for _, row in shown.iterrows()]
    parts.append(r.missing_data_statement())
    po = r.proportional_odds
    if po is None and r.proportional_odds_method:
        parts.append(
            "The proportional-odds check (Brant test) could not be computed for these data "
            "(see the model notes), so whether effects differ across the scale is unknown."
        )
    if po is not None and len(po):
        omni = po.iloc[0]
        if omni["p_value"] < 0.05:
            parts.append(
                f"The proportional-odds check (Brant test, p = {omni['p_value']:.3f}) suggests "
                "some effects differ across the answer scale: read the odds ratios as "
                "averages across the scale."
            )
        else:
            parts.append(
                f"The proportional-odds check (Brant test, p = {omni['p_value']:.2f}) found no "
                "clear sign that effects differ across the answer scale."
            )
    return " ".join(parts)


# ---------------------------------------------------------------------------
# Qualitative side: barriers and facilitators
# ---------------------------------------------------------------------------

UNATTRIBUTED = "(unattributed)"


def _descendants(codebook: pd.DataFrame) -> dict[str, set[str]]:
    children: dict[str, list[str]] = {}
    for code, parent in zip(codebook["code_id"], codebook["parent_id"], strict=True):
        if pd.notna(parent) and str(parent) != "":
            children.setdefault(str(parent), []).append(str(code))
    out: dict[str, set[str]] = {}
    for code in codebook["code_id"].astype(str):
        seen, stack = {code}, [code]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        out[code] = seen
    return out


def barrier_facilitator_counts(
    coded_segments: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    by: str = "agency",
    branches: Sequence[str] = ("barriers", "facilitators"),
    rollup: bool = True,
) -> pd.DataFrame:
    """Return per barrier / facilitator code and group the distinct participants and segments.

    ``by`` is a column of ``participants`` (agency, role, ...) or of ``coded_segments``
    (site_id, method). ``n_participants`` counts distinct people, ``n_segments`` distinct
    segments; ``n_group`` is the number of participants in that group and
    ``pct_participants`` the share of them who raised the code. With ``rollup`` a parent
    code counts everyone coded with it *or any code below it* (each person once).
    Segments with no participant (documents, unattributed group talk) go in the group
    ``(unattributed)`` when ``by`` comes from participants: counted as segments only.
    A group ``All`` gives totals.
    """
    book = codebook.copy()
    book["code_id"] = book["code_id"].astype(str)
    in_branch = book[book["branch"].isin(branches)]
    family = _descendants(book) if rollup else {c: {c} for c in book["code_id"]}
    seg = coded_segments.copy()
    seg["code_id"] = seg["code_id"].astype(str)
    pid = seg["participant_id"].astype("string")
    seg["participant_id"] = pid.mask(pid == "").astype(object).where(pid.notna(), None)
    people = participants.copy()
    people["participant_id"] = people["participant_id"].astype(str)
    if by in seg.columns:
        seg["group"] = seg[by].astype(str)
        group_sizes = (
            seg.dropna(subset=["participant_id"]).groupby("group")["participant_id"].nunique()
        )
        total_people = seg["participant_id"].dropna().nunique()
    elif by in people.columns:
        lookup = people.set_index("participant_id")[by].astype(str)
        seg["group"] = seg["participant_id"].map(lookup)
        seg.loc[seg["participant_id"].isna(), "group"] = UNATTRIBUTED
        missing = seg["group"].isna()
        if missing.any():
            raise ValueError(
                "coded_segments names participant(s) not in participants: "
                + ", ".join(sorted(seg.loc[missing, "participant_id"].unique())[:5])
            )
        group_sizes = people.groupby(people[by].astype(str))["participant_id"].nunique()
        total_people = people["participant_id"].nunique()
    else:
        raise ValueError(f"Neither participants nor coded_segments has a column {by!r}.")
    groups = sorted(seg["group"].dropna().unique())
    rows = []
    for code in in_branch.itertuples(index=False):
        hits = seg[seg["code_id"].isin(family[code.code_id])]
        for group in [*groups, "All"]:
            part = hits if group == "All" else hits[hits["group"] == group]
            n_group = total_people if group == "All" else int(group_sizes.get(group, 0))
            n_people = int(part["participant_id"].dropna().nunique())
            rows.append(
                {
                    "branch": code.branch,
                    "code_id": code.code_id,
                    "label": code.label,
                    by: group,
                    "n_participants": n_people if group != UNATTRIBUTED else pd.NA,
                    "n_segments": int(part["segment_id"].nunique()),
                    "n_group": n_group if group != UNATTRIBUTED else pd.NA,
                    "pct_participants": (
                        100 * n_people / n_group if group != UNATTRIBUTED and n_group else np.nan
                    ),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for col in ("n_participants", "n_group"):
        out[col] = out[col].astype("Int64")
    out.insert(
        out.columns.get_loc(by) + 1,
        f"{by}_label",
        [g if g in (UNATTRIBUTED, "All") else _level_label(by, g) for g in out[by]],
    )
    last = {UNATTRIBUTED: 1, "All": 2}
    out["_order"] = out[by].map(lambda g: last.get(g, 0))
    out = out.sort_values(["branch", "code_id", "_order", by], kind="mergesort")
    return out.drop(columns="_order").reset_index(drop=True)
