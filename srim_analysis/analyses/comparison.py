"""Objective 2: compare father-related practice across sites, and before and after adoption.

Pure functions on the study's tables (no plotting, no publishing), in the order the
notebook ``01_cross_site_comparison`` uses them:

* **Site indicators** - :func:`site_indicators` (case audits, observed meetings and
  documents, one row per site and indicator) and :func:`agency_indicators` (the same per
  lead agency). Each row holds the count of "yes" answers (``n_yes``), the denominator
  (``n``: blanks, meaning "not applicable or not recorded", are *excluded* from it and
  counted in ``n_blank``), the proportion ``prop_yes`` and its 95% Wilson score interval
  (:func:`wilson_interval`).
* **Survey scores** - :func:`survey_scores`: the mean of each survey outcome the study's
  plan maps (``[survey.outcomes]`` in ``study.toml``: the constructs measuring confidence
  and awareness; :func:`survey_measures` finds their items in ``survey_items``) per site or
  agency, with a 95% t interval (or a seeded bootstrap; :func:`mean_interval`). A
  respondent's score is the simple mean of their answered numeric items; "dk", "na" and
  blanks are left out, and respondents with no numeric answer are counted in ``n_blank``.
* **Before and after** - :func:`before_after`: for each adopter, each indicator before and
  after its ``initiative_start`` (by ``audit_date``), with the difference and its 95%
  Newcombe hybrid score interval (:func:`newcombe_interval`, Newcombe 1998 method 10,
  built from the two Wilson intervals). The origin site started before the audits began,
  so it has no "before" of its own: it is split at the *first adopter's* start, as a
  reference for change that had nothing to do with adopting. Comparison sites, pooled,
  are split at the same date (:func:`split_note` says so in a sentence).

Every table is tidy (one row per site, or site and agency, per indicator) and names its
count columns so that :mod:`srim_analysis.disclosure` recognises them; the ``*_DEPENDS``
mappings say which estimates must go when a count is suppressed. Sites are named by their
display name in a single ``site`` column, and the all-site row is labelled ``"All"``
(:data:`TOTAL`): the disclosure module then reads it as the total of the site rows and
hides enough cells that no suppressed count can be worked out from it (an extra id column
would hide that structure). The charts, drawn from the published tables, are in
:mod:`srim_analysis.charts.comparison`; the notebook's sections in
:mod:`srim_analysis.sections.comparison`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from srim_analysis.study.contract import (
    AGENCIES,
    AUDIT_INDICATORS,
    DOCUMENTS,
    OBSERVATION_INDICATORS,
)
from srim_analysis.study.plan import OUTCOME_ROLES

if TYPE_CHECKING:
    from srim_analysis.study.loading import Study

__all__ = [
    "AUDIT_INDICATORS",
    "CHANGE_DEPENDS",
    "DECIMALS",
    "DEFAULT_SEED",
    "DOCUMENT_FEATURES",
    "INDICATOR_LABELS",
    "MEAN_DEPENDS",
    "OBSERVATION_INDICATORS",
    "PROPORTION_DEPENDS",
    "ROLE_LABELS",
    "SOURCE_LABELS",
    "SURVEY_OUTCOMES",
    "TOTAL",
    "SurveyMeasure",
    "agency_indicators",
    "before_after",
    "date_text",
    "mean_interval",
    "newcombe_interval",
    "origin_site_id",
    "proportions",
    "reference_date",
    "respondent_scores",
    "site_indicators",
    "site_names",
    "site_role",
    "site_table",
    "split_note",
    "survey_measures",
    "survey_scores",
    "wilson_interval",
]

#: Decimal places of the proportions, means and intervals in the tables.
DECIMALS = 3
#: The label of an all-site (or all-agency) row: the disclosure module reads it as a total.
TOTAL = "All"
#: The default seed of the bootstrap intervals and of the blueprint's choice of quotes.
DEFAULT_SEED = 20240701

# AUDIT_INDICATORS and OBSERVATION_INDICATORS (the father-outcome columns, in the order of
# the care pathway) are declared by the data contract and re-exported here.
#: Protocol features recorded for each local document (binary columns of ``documents``).
DOCUMENT_FEATURES: tuple[str, ...] = tuple(c.name for c in DOCUMENTS.columns if c.kind == "binary")
#: The survey outcomes compared across sites, in report order: the keys of the plan's
#: ``[survey.outcomes]`` (:data:`srim_analysis.study.plan.OUTCOME_ROLES`).
SURVEY_OUTCOMES: tuple[str, ...] = ("confidence", "awareness")

INDICATOR_LABELS: dict[str, str] = {
    "father_identified": "Father or significant man identified",
    "father_recorded": "His details recorded",
    "father_checked": "Other agencies checked about him",
    "father_discussed": "Information about him discussed",
    "father_info_shared": "Information about him shared",
    "father_invited": "He was invited",
    "father_involved": "He took part",
    "mentions_fathers": "Names fathers or significant men",
    "father_fields": "Has fields for the father's details",
    "cites_2024_advice": "Cites the May 2024 advice",
    "consent_explained": "Explains consent is not needed when a child is at risk",
    "lawful_basis_named": "Names the lawful basis for sharing",
    "records_decision": "Asks for the sharing decision to be recorded",
}
SOURCE_LABELS: dict[str, str] = {
    "case_audit": "Audited cases",
    "observations": "Observed meetings",
    "documents": "Documents",
    "survey": "Survey",
}
ROLE_LABELS: dict[str, str] = {
    "origin": "origin site",
    "adopter": "adopter site",
    "comparison": "comparison site",
}

_CI = ("ci_low", "ci_high")
#: Which estimates go when a count is suppressed (for ``report.table(depends=...)``).
PROPORTION_DEPENDS: dict[str, tuple[str, ...]] = {
    "prop_yes": ("n_yes", "n"),
    "ci_low": ("n_yes", "n"),
    "ci_high": ("n_yes", "n"),
}
MEAN_DEPENDS: dict[str, tuple[str, ...]] = {"mean": ("n",), "ci_low": ("n",), "ci_high": ("n",)}
_CHANGE_COUNTS = ("n_yes_before", "n_before", "n_yes_after", "n_after")
CHANGE_DEPENDS: dict[str, tuple[str, ...]] = {
    "prop_before": ("n_yes_before", "n_before"),
    "prop_after": ("n_yes_after", "n_after"),
    "diff": _CHANGE_COUNTS,
    "diff_low": _CHANGE_COUNTS,
    "diff_high": _CHANGE_COUNTS,
}


# ---------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------


def wilson_interval(count: Any, nobs: Any, alpha: float = 0.05) -> tuple[Any, Any]:
    """Return the Wilson score interval (low, high) for count/nobs; NaN where nobs is 0.

    Works on numbers or arrays (statsmodels ``proportion_confint(method="wilson")``).

    >>> low, high = wilson_interval(8, 20)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2188, 0.6134)
    """
    count_arr = np.asarray(count, dtype=float)
    nobs_arr = np.asarray(nobs, dtype=float)
    safe = np.where(nobs_arr > 0, nobs_arr, 1.0)
    low, high = proportion_confint(count_arr, safe, alpha=alpha, method="wilson")
    low = np.where(nobs_arr > 0, low, np.nan)
    high = np.where(nobs_arr > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def newcombe_interval(
    count_before: Any, nobs_before: Any, count_after: Any, nobs_after: Any, alpha: float = 0.05
) -> tuple[Any, Any, Any]:
    """Return (difference, low, high) for after minus before: Newcombe's hybrid score interval.

    Newcombe (1998) method 10: the limits combine the two groups' Wilson score limits,
    ``d - sqrt((p2 - l2)^2 + (u1 - p1)^2)`` and ``d + sqrt((u2 - p2)^2 + (p1 - l1)^2)``.
    NaN where either group is empty.

    >>> d, low, high = newcombe_interval(5, 20, 12, 20)
    >>> round(float(d), 2), round(float(low), 4), round(float(high), 4)
    (0.35, 0.0444, 0.5778)
    """
    x1, n1 = np.asarray(count_before, dtype=float), np.asarray(nobs_before, dtype=float)
    x2, n2 = np.asarray(count_after, dtype=float), np.asarray(nobs_after, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(n1 > 0, x1 / np.where(n1 > 0, n1, 1), np.nan)
        p2 = np.where(n2 > 0, x2 / np.where(n2 > 0, n2, 1), np.nan)
    l1, u1 = wilson_interval(x1, n1, alpha)
    l2, u2 = wilson_interval(x2, n2, alpha)
    d = p2 - p1
    low = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    if np.ndim(d) == 0:
        return float(d), float(low), float(high)
    return d, low, high


def mean_interval(
    values: Any,
    alpha: float = 0.05,
    method: Literal["t", "bootstrap"] = "t",
    n_boot: int = 2000,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float, float]:
    """Return (mean, low, high): a t interval, or a seeded percentile bootstrap; NaN if empty.

    >>> m, low, high = mean_interval([2, 3, 4, 5])
    >>> round(m, 2), round(low, 3), round(high, 3)
    (3.5, 1.446, 5.554)
    """
    x = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").dropna().to_numpy(float)
    if len(x) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if len(x) == 1:
        return mean, float("nan"), float("nan")
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        boot = rng.choice(x, size=(n_boot, len(x)), replace=True).mean(axis=1)
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
        return mean, float(low), float(high)
    if method != "t":
        raise ValueError(f"method must be 't' or 'bootstrap', not {method!r}")
    half = float(stats.t.ppf(1 - alpha / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


# ---------------------------------------------------------------------------
# Proportions per site and agency
# ---------------------------------------------------------------------------


def site_names(study: Study) -> dict[str, str]:
    """Return site id -> display name, in the order of ``sites``."""
    sites = study.tables["sites"]
    return dict(zip(sites["site_id"].astype(str), sites["display_name"].astype(str), strict=True))


def _check_indicators(frame: pd.DataFrame, indicators: Sequence[str], table: str) -> list[str]:
    unknown = [i for i in indicators if i not in frame.columns]
    if unknown:
        known = ", ".join(c for c in frame.columns if c.startswith("father_"))
        raise ValueError(
            f"Unknown indicator(s) {', '.join(unknown)} for the {table} table. "
            f"Its indicators are: {known}."
        )
    return list(indicators)


def proportions(
    frame: pd.DataFrame, indicators: Sequence[str], by: Sequence[str], alpha: float = 0.05
) -> pd.DataFrame:
    """Return one row per group and indicator: n_yes, n (blanks excluded), n_blank, prop_yes, CI.

    >>> f = pd.DataFrame({"g": ["a"] * 4, "x": pd.array([1, 0, None, 1], dtype="Int64")})
    >>> proportions(f, ["x"], ["g"])[["g", "n_yes", "n", "n_blank", "prop_yes"]]
       g  n_yes  n  n_blank  prop_yes
    0  a      2  3        1  0.666667
    """
    by = list(by)
    long = frame[[*by, *indicators]].melt(
        id_vars=by, value_vars=list(indicators), var_name="indicator", value_name="value"
    )
    value = pd.to_numeric(long["value"], errors="coerce")
    long["yes"] = value.eq(1).fillna(False).astype(int)
    long["recorded"] = value.notna().astype(int)
    long["blank"] = value.isna().astype(int)
    keys = [*by, "indicator"]
    out = long.groupby(keys, sort=False, dropna=False)[["yes", "recorded", "blank"]].sum()
    out = out.reset_index().rename(columns={"yes": "n_yes", "recorded": "n", "blank": "n_blank"})
    for col in ("n_yes", "n", "n_blank"):
        out[col] = out[col].astype(int)
    out["prop_yes"] = (out["n_yes"] / out["n"].where(out["n"] > 0)).astype(float)
    low, high = wilson_interval(out["n_yes"].to_numpy(), out["n"].to_numpy(), alpha)
    out["ci_low"], out["ci_high"] = low, high
    return out


def _with_margins(
    frame: pd.DataFrame, dims: Sequence[str], compute: Any, include_all: bool
) -> pd.DataFrame:
    """Return ``compute(frame)`` for the groups, plus rows with each dim set to "All"."""
    parts = []
    for totalled in itertools.product([False, True] if include_all else [False], repeat=len(dims)):
        f = frame.assign(**{d: TOTAL for d, t in zip(dims, totalled, strict=True) if t})
        parts.append(compute(f))
    return pd.concat(parts, ignore_index=True)


def _sorted(out: pd.DataFrame, orders: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Return rows sorted by each column's given order (unknown values, then "All", last)."""
    keys = {}
    for col, order in orders.items():
        rank = {v: i for i, v in enumerate(order)}
        keys[f"_{col}"] = out[col].map(rank).fillna(len(rank)) + (out[col] == TOTAL) * (
            len(rank) + 1
        )
    out = out.assign(**keys).sort_values(list(keys), kind="stable").drop(columns=list(keys))
    return out.reset_index(drop=True)


def _source_rows(
    frame: pd.DataFrame,
    indicators: Sequence[str],
    names: Mapping[str, str],
    source: str,
    dims: Sequence[str] = ("site",),
    include_all: bool = True,
) -> pd.DataFrame:
    frame = frame.assign(site=frame["site_id"].map(names).fillna(frame["site_id"]))
    out = _with_margins(frame, dims, lambda f: proportions(f, indicators, list(dims)), include_all)
    out["source"] = source
    out["label"] = out["indicator"].map(INDICATOR_LABELS).fillna(out["indicator"])
    return out


_PROP_COLUMNS = ["n_yes", "n", "n_blank", "prop_yes", "ci_low", "ci_high"]
_ROUNDED = ("prop_yes", "mean", "ci_low", "ci_high", "prop_before", "prop_after", "diff")


def _rounded(out: pd.DataFrame) -> pd.DataFrame:
    """Return ``out`` with its estimates rounded to :data:`DECIMALS` places."""
    cols = [c for c in out.columns if c.startswith(_ROUNDED)]
    return out.assign(**{c: out[c].astype(float).round(DECIMALS) for c in cols})


def site_indicators(
    study: Study,
    indicators: Sequence[str] = AUDIT_INDICATORS,
    observation_indicators: Sequence[str] | None = OBSERVATION_INDICATORS,
    document_features: Sequence[str] | None = DOCUMENT_FEATURES,
    include_all: bool = True,
) -> pd.DataFrame:
    """Return one row per site and indicator (audits, observed meetings, documents) with CIs.

    Columns: ``site, source, indicator, label, n_yes, n, n_blank, prop_yes, ci_low,
    ci_high``; ``site`` is the display name, and the row with ``site = "All"`` is the
    all-site value (the disclosure module reads it as the total of the site rows). ``n``
    excludes blanks (not applicable or not recorded), which are counted in ``n_blank``;
    the interval is Wilson's (95%). Observed meetings and documents are included when the
    study has them (pass ``None`` to leave them out).
    """
    names = site_names(study)
    audit = study.tables["case_audit"]
    parts = [
        _source_rows(
            audit,
            _check_indicators(audit, indicators, "case_audit"),
            names,
            "case_audit",
            include_all=include_all,
        )
    ]
    order = list(indicators)
    obs = study.tables.get("observations")
    if observation_indicators and obs is not None:
        cols = [c for c in observation_indicators if c in obs.columns]
        parts.append(_source_rows(obs, cols, names, "observations", include_all=include_all))
        order += [c for c in cols if c not in order]
    docs = study.tables.get("documents")
    if document_features and docs is not None:
        cols = [c for c in document_features if c in docs.columns]
        parts.append(_source_rows(docs, cols, names, "documents", include_all=include_all))
        order += cols
    out = pd.concat(parts, ignore_index=True)
    out = _sorted(
        out, {"source": list(SOURCE_LABELS), "site": list(names.values()), "indicator": order}
    )
    return _rounded(out[["site", "source", "indicator", "label", *_PROP_COLUMNS]])


def agency_indicators(
    study: Study,
    indicators: Sequence[str] = AUDIT_INDICATORS,
    include_all: bool = True,
) -> pd.DataFrame:
    """Return one row per site, lead agency and audit indicator, with counts and Wilson CIs.

    The agency is ``case_audit.lead_agency`` (shown by its label). Rows with ``site`` or
    ``agency`` = "All" are the margins. Many cells are small: publish through
    ``report.table`` so they are suppressed.
    """
    names = site_names(study)
    audit = study.tables["case_audit"]
    indicators = _check_indicators(audit, indicators, "case_audit")
    audit = audit.assign(agency=audit["lead_agency"].map(AGENCIES).fillna(audit["lead_agency"]))
    out = _source_rows(audit, indicators, names, "case_audit", ("site", "agency"), include_all)
    out = _sorted(
        out,
        {"site": list(names.values()), "indicator": indicators, "agency": list(AGENCIES.values())},
    )
    return _rounded(out[["site", "agency", "source", "indicator", "label", *_PROP_COLUMNS]])


# ---------------------------------------------------------------------------
# Survey scores
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyMeasure:
    """A survey outcome compared across sites: its construct, its label and its items."""

    outcome: str
    construct: str
    label: str
    items: tuple[str, ...]


def _scale(rows: pd.DataFrame) -> str:
    """Return the answer scale of a construct's items ("1-5"), or "" when not recorded."""
    if not {"scale_min", "scale_max"} <= set(rows.columns):
        return ""
    low = pd.to_numeric(rows["scale_min"], errors="coerce").min()
    high = pd.to_numeric(rows["scale_max"], errors="coerce").max()
    return "" if pd.isna(low) or pd.isna(high) else f"{low:g}-{high:g}"


def survey_measures(study: Study) -> list[SurveyMeasure]:
    """Return the survey outcomes the study's plan maps, with their items, in report order.

    Each outcome of ``[survey.outcomes]`` (:data:`SURVEY_OUTCOMES`) names a construct of
    ``survey_items``; its items are those of the construct that ``survey_responses`` holds,
    and its label is the plan's label of the construct (or of the outcome), with the scale.
    Empty when the study has no survey or its plan maps no outcome.

    >>> from srim_analysis.study.plan import AnalysisPlan, SurveyPlan
    >>> items = pd.DataFrame({"item_id": ["K1", "K2"], "construct": ["know", "know"],
    ...                       "scale_min": [1, 1], "scale_max": [4, 4]})
    >>> responses = pd.DataFrame(columns=["respondent_id", "K1", "K2"])
    >>> plan = AnalysisPlan(survey=SurveyPlan({"know": "Knowing the rules"},
    ...                                       {"awareness": "know"}))
    >>> study = type("S", (), {"tables": {"survey_items": items,
    ...                                   "survey_responses": responses}, "plan": plan})()
    >>> [(m.construct, m.label, m.items) for m in survey_measures(study)]
    [('know', 'Knowing the rules (mean of 2 items, 1-4)', ('K1', 'K2'))]
    """
    items = study.tables.get("survey_items")
    responses = study.tables.get("survey_responses")
    if items is None or responses is None:
        return []
    survey = study.plan.survey
    out: list[SurveyMeasure] = []
    for outcome in SURVEY_OUTCOMES:
        construct = survey.outcomes.get(outcome)
        if not construct or construct in {m.construct for m in out}:
            continue
        rows = items[items["construct"] == construct]
        ids = tuple(i for i in rows["item_id"].astype(str) if i in responses.columns)
        if not ids:
            continue
        name = survey.constructs.get(construct) or OUTCOME_ROLES[outcome]
        scale = _scale(rows)
        detail = ", ".join(
            part for part in (f"mean of {len(ids)} items" if len(ids) > 1 else "", scale) if part
        )
        out.append(SurveyMeasure(outcome, construct, f"{name} ({detail})" if detail else name, ids))
    return out


def respondent_scores(study: Study) -> pd.DataFrame:
    """Return one row per respondent: site, agency and each score (NaN if nothing answered).

    One score column per :func:`survey_measures` construct: the mean of the respondent's
    numeric answers to its items (reverse-keyed items recoded); "dk", "na" and blanks are
    left out.
    """
    responses = study.tables["survey_responses"]
    items = study.tables.get("survey_items")
    meta = items.set_index("item_id") if items is not None else None
    names = site_names(study)
    scores = pd.DataFrame(
        {
            "respondent_id": responses["respondent_id"],
            "site": responses["site_id"].map(names).fillna(responses["site_id"]),
            "agency": responses["agency"].map(AGENCIES).fillna(responses["agency"]),
        }
    )
    for measure in survey_measures(study):
        cols = []
        for item in measure.items:
            num = pd.to_numeric(responses[item].astype("string"), errors="coerce").astype(float)
            if meta is not None and item in meta.index and int(meta.at[item, "reverse_keyed"]):
                num = float(meta.at[item, "scale_min"]) + float(meta.at[item, "scale_max"]) - num
            cols.append(num)
        scores[measure.construct] = pd.concat(cols, axis=1).mean(axis=1, skipna=True)
    return scores


def survey_scores(
    study: Study,
    by_agency: bool = False,
    method: Literal["t", "bootstrap"] = "t",
    seed: int = DEFAULT_SEED,
    include_all: bool = True,
) -> pd.DataFrame:
    """Return each survey outcome's mean per site (or site and agency) with 95% intervals.

    Columns: ``site, [agency,] source, indicator, label, n, n_blank, mean, ci_low,
    ci_high``; ``indicator`` is the outcome's construct (:func:`survey_measures`), ``n``
    counts respondents with a score, ``n_blank`` those without one (every item blank, "dk"
    or "na"). Intervals are t intervals, or a percentile bootstrap seeded with ``seed``.
    Rows with "All" are the margins. An error when the plan maps no survey outcome.
    """
    names = site_names(study)
    measures = survey_measures(study)
    if not measures:
        raise ValueError(
            "The study's plan maps no survey outcome to a construct of survey_items "
            "([survey.outcomes] in study.toml)."
        )
    scores = respondent_scores(study)
    constructs = [m.construct for m in measures]
    labels = {m.construct: m.label for m in measures}
    dims = ["site", *(["agency"] if by_agency else [])]

    def compute(f: pd.DataFrame) -> pd.DataFrame:
        long = f.melt(id_vars=dims, value_vars=constructs, var_name="indicator", value_name="x")
        rows = []
        for key, group in long.groupby([*dims, "indicator"], sort=False):
            mean, low, high = mean_interval(group["x"], method=method, seed=seed)
            n = int(group["x"].notna().sum())
            rows.append((*key, n, len(group) - n, mean, low, high))
        return pd.DataFrame(rows, columns=[*dims, "indicator", "n", "n_blank", "mean", *_CI])

    out = _with_margins(scores, dims, compute, include_all)
    out["source"] = "survey"
    out["label"] = out["indicator"].map(labels)
    orders: dict[str, Sequence[str]] = {"site": list(names.values()), "indicator": constructs}
    if by_agency:
        orders["agency"] = list(AGENCIES.values())
    out = _sorted(out, orders)
    return _rounded(out[[*dims, "source", "indicator", "label", "n", "n_blank", "mean", *_CI]])


# ---------------------------------------------------------------------------
# Before and after adoption
# ---------------------------------------------------------------------------


def site_table(study: Study) -> pd.DataFrame:
    """Return the ``sites`` table indexed by site id, with ``initiative_start`` as dates."""
    sites = study.tables["sites"].copy()
    sites["site_id"] = sites["site_id"].astype(str)
    sites["initiative_start"] = pd.to_datetime(sites["initiative_start"])
    return sites.set_index("site_id")


def site_role(study: Study, site: str) -> str:
    """Return a site's role (origin, adopter or comparison), or "" for an unknown site id."""
    sites = site_table(study)
    return str(sites.at[site, "role"]) if site in sites.index else ""


def date_text(value: Any) -> str:
    """Return a date as a sentence writes it ("1 March 2024"), or "no start date"."""
    if value is None or pd.isna(value):
        return "no start date"
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def origin_site_id(study: Study, origin_site: str | None) -> str | None:
    """Return the origin site's id: ``origin_site``, or (None or "") the origin in sites.csv.

    An ``origin_site`` that is not a site of the study is a plain error.
    """
    sites = site_table(study)
    if not origin_site:
        origins = sites.index[sites["role"] == "origin"]
        return str(origins[0]) if len(origins) else None
    if origin_site not in sites.index:
        raise ValueError(
            f"origin_site {origin_site!r} is not a site in this study "
            f"(sites: {', '.join(sites.index)})."
        )
    return origin_site


def reference_date(study: Study) -> pd.Timestamp | None:
    """Return the first adopter's initiative start (the origin's reference date), or None."""
    sites = site_table(study)
    starts = sites.loc[sites["role"] == "adopter", "initiative_start"].dropna()
    return None if starts.empty else pd.Timestamp(starts.min())


def split_note(study: Study, origin_site: str | None = None) -> str:
    """Return a sentence saying where each site's cases are split into before and after."""
    sites = site_table(study)
    adopters = sites[(sites["role"] == "adopter") & sites["initiative_start"].notna()]
    if adopters.empty:
        return "No adopter site has an initiative start date, so there is no before and after."
    parts = ", ".join(
        f"{r.display_name} {date_text(r.initiative_start)}" for r in adopters.itertuples()
    )
    ref = reference_date(study)
    origin = origin_site_id(study, origin_site)
    text = f"Adopters are split at their own initiative start ({parts})"
    if origin is not None:
        text += (
            f"; the origin site, {sites.at[origin, 'display_name']}, whose initiative predates "
            f"the audits, and the comparison sites at the first adopter's start, "
            f"{date_text(ref)}"
        )
    return text + ". A case is 'after' from its split date onwards (audit_date)."


_CHANGE_COLUMNS = [
    "site",
    "role",
    "indicator",
    "label",
    "n_yes_before",
    "n_before",
    "prop_before",
    "n_yes_after",
    "n_after",
    "prop_after",
    "diff",
    "diff_low",
    "diff_high",
]


def before_after(
    study: Study,
    indicators: Sequence[str] = AUDIT_INDICATORS,
    origin_site: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Return each indicator before and after adoption, with the change and its 95% interval.

    One row per site and indicator: ``site, role, indicator, label, n_yes_before,
    n_before, prop_before, n_yes_after, n_after, prop_after, diff, diff_low, diff_high``.
    A case is "after" when its ``audit_date`` is on or after the split date: an adopter's
    own ``initiative_start``. The origin site (``origin_site``, or the site whose role is
    origin) started before the audits, so it is split at the first adopter's start, as a
    reference. Rows with ``site = "All"`` pool the adopters (each split at its own start;
    role adopter) and the comparison sites (split at the first adopter's start; role
    comparison). ``diff`` is after minus before, with Newcombe's hybrid score interval.
    """
    sites = site_table(study)
    audit = study.tables["case_audit"]
    indicators = _check_indicators(audit, indicators, "case_audit")
    origin = origin_site_id(study, origin_site)
    ref = reference_date(study)
    site_id = audit["site_id"].astype(str)
    start = site_id.map(sites["initiative_start"])
    role = site_id.map(sites["role"])
    dates = pd.to_datetime(audit["audit_date"])

    groups: list[tuple[str, str, pd.Series, pd.Series]] = []
    adopters = [
        s
        for s in sites.index[sites["role"] == "adopter"]
        if pd.notna(sites.at[s, "initiative_start"])
    ]
    for sid in adopters:
        mask = site_id == sid
        groups.append((str(sites.at[sid, "display_name"]), "adopter", mask, dates >= start))
    if len(adopters) > 1:
        groups.append((TOTAL, "adopter", site_id.isin(adopters), dates >= start))
    if ref is not None:
        if origin is not None:
            mask = site_id == origin
            groups.append(
                (
                    str(sites.at[origin, "display_name"]),
                    str(sites.at[origin, "role"]),
                    mask,
                    dates >= ref,
                )
            )
        comparison = (role == "comparison") & (site_id != origin)
        if comparison.any():
            groups.append((TOTAL, "comparison", comparison, dates >= ref))

    rows = []
    for name, grp_role, mask, after_all in groups:
        after = after_all[mask].to_numpy()
        for ind in indicators:
            value = pd.to_numeric(audit.loc[mask, ind], errors="coerce")
            rec = value.notna().to_numpy()
            yes = value.eq(1).fillna(False).to_numpy()
            rows.append(
                (
                    name,
                    grp_role,
                    ind,
                    INDICATOR_LABELS.get(ind, ind),
                    int((yes & ~after).sum()),
                    int((rec & ~after).sum()),
                    int((yes & after).sum()),
                    int((rec & after).sum()),
                )
            )
    counts = ["n_yes_before", "n_before", "n_yes_after", "n_after"]
    out = pd.DataFrame(rows, columns=["site", "role", "indicator", "label", *counts])
    for col in counts:
        out[col] = out[col].astype(int)
    out["prop_before"] = (out["n_yes_before"] / out["n_before"].where(out["n_before"] > 0)).astype(
        float
    )
    out["prop_after"] = (out["n_yes_after"] / out["n_after"].where(out["n_after"] > 0)).astype(
        float
    )
    d, low, high = newcombe_interval(
        out["n_yes_before"], out["n_before"], out["n_yes_after"], out["n_after"], alpha
    )
    out["diff"], out["diff_low"], out["diff_high"] = d, low, high
    return _rounded(out[_CHANGE_COLUMNS])
