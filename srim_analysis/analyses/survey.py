"""Survey answers for Objective 3: parsing, scale scores, reliability and group tests.

What is here, in the order a notebook uses it:

* **Answers** - :func:`likert_frame` (labelled ordered answers), :func:`answer_status`
  and :func:`response_counts` (don't know / not applicable are *answers*, kept apart
  from blanks), :func:`numeric_items` (numbers, reverse-keyed items recoded) and
  :func:`level_counts` (counts of every scale level, the data of the Likert charts).
* **Scale scores** - :func:`scale_scores` (mean of answered items with a
  minimum-answered rule) and :func:`scale_score_report` (who failed the rule).
* **Reliability** - :func:`reliability` (Cronbach's alpha with a 95% interval and
  McDonald's omega), :func:`item_statistics` (corrected item-total correlations and
  alpha if an item is deleted), :func:`construct_reliability` (both, straight from
  ``survey_items``).
* **Group comparisons** - :func:`compare_groups` (Kruskal-Wallis or Mann-Whitney with
  effect sizes, Holm-adjusted across the family), with the plain-English names of
  groups (:func:`level_label`).

The ordinal models of the outcomes are in :mod:`srim_analysis.analyses.survey_models`, the tables
notebook 03 publishes in :mod:`srim_analysis.analyses.survey_tables`,
:mod:`srim_analysis.analyses.survey_model_tables` and
:mod:`srim_analysis.analyses.survey_barriers`; the charts in
:mod:`srim_analysis.charts.likert` and :mod:`srim_analysis.charts.survey`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize

from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.study.contract import AGENCIES, DONT_KNOW, NOT_APPLICABLE, ROLES

__all__ = [
    "ANSWERED",
    "DONT_KNOW_STATUS",
    "FACTOR_LABELS",
    "LEVEL_LABELS",
    "MISSING",
    "NOT_APPLICABLE_STATUS",
    "ItemInfo",
    "MinAnswered",
    "NanPolicy",
    "answer_status",
    "bool_mask",
    "by_respondent",
    "compare_groups",
    "construct_items",
    "construct_reliability",
    "holm_adjust",
    "item_info",
    "item_statistics",
    "level_counts",
    "level_key",
    "level_label",
    "likert_frame",
    "mcdonald_omega",
    "numeric_items",
    "parse_item",
    "reliability",
    "response_counts",
    "reverse_code",
    "scale_score_report",
    "scale_scores",
    "select_items",
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

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["know"],
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


def bool_mask(values: pd.Series | np.ndarray) -> np.ndarray:
    """Return a plain numpy bool array, treating missing as False.

    >>> bool_mask(pd.Series([True, None, False], dtype="boolean")).tolist()
    [True, False, False]
    """
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=bool, na_value=False)
    return np.asarray(values, dtype=bool)


def by_respondent(responses: pd.DataFrame) -> pd.DataFrame:
    """Return ``responses`` indexed by respondent id (when it has that column)."""
    if "respondent_id" in responses.columns:
        return responses.set_index("respondent_id")
    return responses


def parse_item(column: pd.Series, info: ItemInfo) -> tuple[pd.Series, pd.Series]:
    """Return (numeric value or NaN, status) for one item column; raise on bad answers."""
    text = column.astype("string").str.strip().str.lower()
    blank = text.isna().to_numpy() | bool_mask(text == "")
    dk = bool_mask(text == DONT_KNOW)
    na = bool_mask(text == NOT_APPLICABLE)
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


def select_items(
    responses: pd.DataFrame, items: pd.DataFrame, item_ids: Sequence[str] | None
) -> tuple[pd.DataFrame, dict[str, ItemInfo], list[str]]:
    """Return (responses by respondent, item metadata, item ids); raise on unknown items."""
    info = item_info(items)
    ids = list(info) if item_ids is None else [str(i) for i in item_ids]
    unknown = [i for i in ids if i not in info]
    if unknown:
        raise ValueError(f"Not in survey_items: {', '.join(unknown)}.")
    data = by_respondent(responses)
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

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["know"],
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
    data, info, ids = select_items(responses, items, item_ids)
    out = {}
    for item_id in ids:
        it = info[item_id]
        values, _ = parse_item(data[item_id], it)
        codes = np.where(np.isnan(values), -1, values - it.scale_min).astype(int)
        cat = pd.Categorical.from_codes(codes, categories=list(it.labels), ordered=True)
        out[item_id] = pd.Series(cat, index=data.index)
    return pd.DataFrame(out, index=data.index)


def answer_status(
    responses: pd.DataFrame, items: pd.DataFrame, item_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return each cell's status: ``answered``, ``dont_know``, ``not_applicable`` or ``missing``.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["know"],
    ...     "wording": ["w"], "reverse_keyed": [0], "scale_min": [1], "scale_max": [5],
    ...     "labels": [""], "allows_dont_know": [1], "allows_not_applicable": [1]})
    >>> resp = pd.DataFrame({"A1": ["4", "dk", "na", None]})
    >>> answer_status(resp, items)["A1"].tolist()
    ['answered', 'dont_know', 'not_applicable', 'missing']
    """
    data, info, ids = select_items(responses, items, item_ids)
    out = {}
    for item_id in ids:
        _, status = parse_item(data[item_id], info[item_id])
        out[item_id] = pd.Categorical(status, categories=list(STATUSES))
    return pd.DataFrame(out, index=data.index)


def response_counts(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_ids: Sequence[str] | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Return per item (and group) the numbers answered, don't know, not applicable and missing.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["know"],
    ...     "wording": ["w"], "reverse_keyed": [0], "scale_min": [1], "scale_max": [5],
    ...     "labels": [""], "allows_dont_know": [1], "allows_not_applicable": [1]})
    >>> resp = pd.DataFrame({"A1": ["4", "dk", "dk", "na", None]})
    >>> response_counts(resp, items).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'construct': 'know', 'n_answered': 1, 'n_dont_know': 2, 'n_not_applicable': 1,
      'n_missing': 1, 'n_total': 5}]
    """
    data, info, ids = select_items(responses, items, item_ids)
    status = answer_status(responses, items, ids)
    rows = []
    groups: Iterable[tuple[Any, pd.Index]]
    if by is None:
        groups = [(None, status.index)]
    else:
        if by not in data.columns:
            raise ValueError(f"survey_responses has no column {by!r}.")
        key = data[by].astype("string").fillna("(blank)")
        groups = [(g, key.index[bool_mask(key == g)]) for g in sorted(key.unique())]
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
    data, info, ids = select_items(responses, items, item_ids)
    out = {}
    for item_id in ids:
        it = info[item_id]
        values, _ = parse_item(data[item_id], it)
        if reverse and it.reverse_keyed:
            values = reverse_code(values, it.scale_min, it.scale_max)
        out[item_id] = values
    return pd.DataFrame(out, index=data.index)


def level_counts(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    item_ids: Sequence[str] | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Return counts of every scale level (zeros kept) per item, or per item and group.

    Columns: one per level label (lowest first), then ``n`` (gave a rating) and
    ``n_dk_na`` (don't know or not applicable). All the items must share one scale.

    >>> items = pd.DataFrame({"item_id": ["A1"], "construct": ["a"], "wording": ["w"],
    ...     "reverse_keyed": [0], "scale_min": [1], "scale_max": [3],
    ...     "labels": ["No|Unsure|Yes"], "allows_dont_know": [1],
    ...     "allows_not_applicable": [0]})
    >>> resp = pd.DataFrame({"A1": ["3", "3", "1", "dk", None]})
    >>> level_counts(resp, items).to_dict("records")
    [{'No': 1, 'Unsure': 0, 'Yes': 2, 'n': 3, 'n_dk_na': 1}]
    """
    info = item_info(items)
    ids = list(info) if item_ids is None else [str(i) for i in item_ids]
    labels = {info[i].labels for i in ids if i in info}
    if len(labels) > 1:
        raise ValueError(
            "These items are on different scales; plot them separately (for example with "
            "plot_likert_by_construct): " + ", ".join(ids)
        )
    frame = likert_frame(responses, items, ids)
    status = answer_status(responses, items, ids)
    level_names = list(next(iter(labels)))
    data = by_respondent(responses)
    rows, index = [], []
    if by is None:
        groups = [(None, frame.index)]
    else:
        if by not in data.columns:
            raise ValueError(f"survey_responses has no column {by!r}.")
        key = data[by].map(lambda v: None if pd.isna(v) else level_key(v))
        groups = [(g, key.index[(key == g).to_numpy()]) for g in sorted(key.dropna().unique())]
    for item_id in ids:
        for group, idx in groups:
            col = frame.loc[idx, item_id]
            counts = col.value_counts().reindex(level_names, fill_value=0)
            st = status.loc[idx, item_id]
            row = {lv: int(counts[lv]) for lv in level_names}
            row["n"] = int(col.notna().sum())
            row["n_dk_na"] = int(((st == DONT_KNOW_STATUS) | (st == NOT_APPLICABLE_STATUS)).sum())
            rows.append(row)
            index.append(item_id if by is None else (item_id, group))
    names = ["item_id"] if by is None else ["item_id", by]
    out = pd.DataFrame(rows, columns=[*level_names, "n", "n_dk_na"])
    out.index = (
        pd.Index(index, name="item_id")
        if by is None
        else pd.MultiIndex.from_tuples(index, names=names)
    )
    return out


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
    data = by_respondent(responses)
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
        if bool_mask(bad).any():
            examples = ", ".join(repr(v) for v in pd.unique(s[bool_mask(bad)].astype(str))[:5])
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
    import pingouin as pg  # here, not at the top: it adds 0.6 s to importing this module (measured)

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


def level_label(
    factor: str, level: Any, extra: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """Return the plain-English name of a group value (``extra`` first, then LEVEL_LABELS).

    >>> level_label("trained_2024", 1.0), level_label("agency", "zz")
    ('trained', 'zz')
    """
    key = level_key(level)
    if extra and factor in extra and key in extra[factor]:
        return extra[factor][key]
    return LEVEL_LABELS.get(factor, {}).get(key, key)


def level_key(value: Any) -> str:
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
    data = by_respondent(responses)
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
            joined["group"] = joined["group"].map(level_key)
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
                    f"{level_label(var, g)} (n={len(s)}, median {np.median(s):.2f})"
                    for g, s in zip(kept, samples, strict=True)
                ),
                "excluded": (
                    f"{len(excluded)} group(s) with fewer than {min_cell}: "
                    + ", ".join(level_label(var, g) for g in excluded)
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
