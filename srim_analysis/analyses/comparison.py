"""Objective 2: compare father-related practice across sites, and before and after adoption.

What is here, in the order the notebook ``01_cross_site_comparison`` uses it:

* **Site indicators** - :func:`site_indicators` (case audits, observed meetings and
  documents, one row per site and indicator) and :func:`agency_indicators` (the same per
  lead agency). Each row holds the count of "yes" answers (``n_yes``), the denominator
  (``n``: blanks, meaning "not applicable or not recorded", are *excluded* from it and
  counted in ``n_blank``), the proportion ``prop_yes`` and its 95% Wilson score interval
  (:func:`wilson_interval`).
* **Survey scores** - :func:`survey_scores`: mean confidence (the ``confidence``
  construct, item CONF1) and awareness (items AW1-AW3) per site or agency, with a 95%
  t interval (or a seeded bootstrap; :func:`mean_interval`). A respondent's score is the
  simple mean of their answered numeric items; "dk", "na" and blanks are left out, and
  respondents with no numeric answer are counted in ``n_blank``.
* **Before and after** - :func:`before_after`: for each adopter, each indicator before and
  after its ``initiative_start`` (by ``audit_date``), with the difference and its 95%
  Newcombe hybrid score interval (:func:`newcombe_interval`, Newcombe 1998 method 10,
  built from the two Wilson intervals). The origin site started before the audits began,
  so it has no "before" of its own: it is split at the *first adopter's* start, as a
  reference for change that had nothing to do with adopting. Comparison sites, pooled,
  are split at the same date. :func:`before_after_chart` draws it.
* **Notebook sections** - :func:`describe_run`, :func:`focus_profile`,
  :func:`focus_change` return a :class:`Section` (a sentence, tables, figures) that says
  so in plain words when it does not apply to the focus site; :func:`site_explorer`
  is the interactive dropdown.

Every table is tidy (one row per site, or site and agency, per indicator) and names its
count columns so that :mod:`srim_analysis.disclosure` recognises them; the ``*_DEPENDS``
mappings say which estimates must go when a count is suppressed. Sites are named by their
display name in a single ``site`` column, and the all-site row is labelled ``"All"``:
the disclosure module then reads it as the total of the site rows and hides enough cells
that no suppressed count can be worked out from it (an extra id column would hide that
structure). Figures hide what the tables suppress (:func:`kept`), and the focus-site
sections show rows of the tables *as published* rather than publishing subsets.
"""

from __future__ import annotations

import html
import io
import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from srim_analysis.charts import style
from srim_analysis.report.publishing import Section
from srim_analysis.study.contract import AGENCIES, DOCUMENTS, SITE_ROLES

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.figure import Figure

    from srim_analysis.report.publishing import Report
    from srim_analysis.study.loading import Study

__all__ = [
    "ALL",
    "AUDIT_INDICATORS",
    "CHANGE_DEPENDS",
    "DOCUMENT_FEATURES",
    "INDICATOR_LABELS",
    "MEAN_DEPENDS",
    "OBSERVATION_INDICATORS",
    "PROPORTION_DEPENDS",
    "SURVEY_CONSTRUCTS",
    "TOTAL",
    "Section",
    "agency_indicators",
    "before_after",
    "before_after_chart",
    "describe_run",
    "focus_change",
    "focus_name",
    "focus_phrase",
    "focus_profile",
    "kept",
    "mean_interval",
    "newcombe_interval",
    "proportions",
    "reference_date",
    "respondent_scores",
    "rows_of",
    "site_explorer",
    "site_indicators",
    "site_names",
    "split_note",
    "split_section",
    "survey_scores",
    "survey_section",
    "wilson_interval",
]

ALL = "all"
#: Decimal places of the proportions, means and intervals in the tables.
DECIMALS = 3
#: The label of an all-site (or all-agency) row: the disclosure module reads it as a total.
TOTAL = "All"
DEFAULT_SEED = 20240701

#: Case-audit indicators (columns of ``case_audit``), in the order of the care pathway.
AUDIT_INDICATORS: tuple[str, ...] = (
    "father_identified",
    "father_recorded",
    "father_checked",
    "father_info_shared",
    "father_invited",
    "father_involved",
)
#: Indicators recorded for observed meetings (columns of ``observations``).
OBSERVATION_INDICATORS: tuple[str, ...] = (
    "father_identified",
    "father_discussed",
    "father_info_shared",
    "father_invited",
    "father_involved",
)
#: Protocol features recorded for each local document (binary columns of ``documents``).
DOCUMENT_FEATURES: tuple[str, ...] = tuple(c.name for c in DOCUMENTS.columns if c.kind == "binary")
#: Survey scores: name -> (construct in ``survey_items``, fallback item ids).
SURVEY_CONSTRUCTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "confidence": ("confidence", ("CONF1",)),
    "awareness": ("awareness", ("AW1", "AW2", "AW3")),
}

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
    "confidence": "Confidence to share information about a father (1-5)",
    "awareness": "Awareness of the 2024 advice (mean of AW1-AW3, 1-5)",
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
    from statsmodels.stats.proportion import proportion_confint

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
    from scipy import stats

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


def focus_name(report: Report) -> str | None:
    """Return the focus site's display name, or None when ``site = "all"``."""
    return None if report.site == ALL else report.site_label


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


def _construct_items(study: Study) -> dict[str, list[str]]:
    items = study.tables.get("survey_items")
    responses = study.tables["survey_responses"]
    out: dict[str, list[str]] = {}
    for name, (construct, fallback) in SURVEY_CONSTRUCTS.items():
        if items is not None:
            ids = list(items.loc[items["construct"] == construct, "item_id"].astype(str))
        else:
            ids = list(fallback)
        ids = [i for i in ids if i in responses.columns]
        if ids:
            out[name] = ids
    return out


def respondent_scores(study: Study) -> pd.DataFrame:
    """Return one row per respondent: site, agency and each score (NaN if nothing answered).

    A score is the mean of the respondent's numeric answers to the construct's items
    (reverse-keyed items recoded); "dk", "na" and blanks are left out.
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
    for name, ids in _construct_items(study).items():
        cols = []
        for item in ids:
            num = pd.to_numeric(responses[item].astype("string"), errors="coerce").astype(float)
            if meta is not None and item in meta.index and int(meta.at[item, "reverse_keyed"]):
                num = float(meta.at[item, "scale_min"]) + float(meta.at[item, "scale_max"]) - num
            cols.append(num)
        scores[name] = pd.concat(cols, axis=1).mean(axis=1, skipna=True)
    return scores


def survey_scores(
    study: Study,
    by_agency: bool = False,
    method: Literal["t", "bootstrap"] = "t",
    seed: int = DEFAULT_SEED,
    include_all: bool = True,
) -> pd.DataFrame:
    """Return mean confidence and awareness per site (or site and agency) with 95% intervals.

    Columns: ``site, [agency,] source, indicator, label, n, n_blank, mean, ci_low,
    ci_high``; ``n`` counts respondents with a score, ``n_blank`` those without one (every
    item blank, "dk" or "na"). Intervals are t intervals, or a percentile bootstrap seeded
    with ``seed``. Rows with "All" are the margins.
    """
    names = site_names(study)
    scores = respondent_scores(study)
    constructs = [c for c in SURVEY_CONSTRUCTS if c in scores.columns]
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
    out["label"] = out["indicator"].map(INDICATOR_LABELS).fillna(out["indicator"])
    orders: dict[str, Sequence[str]] = {"site": list(names.values()), "indicator": constructs}
    if by_agency:
        orders["agency"] = list(AGENCIES.values())
    out = _sorted(out, orders)
    return _rounded(out[[*dims, "source", "indicator", "label", "n", "n_blank", "mean", *_CI]])


# ---------------------------------------------------------------------------
# Before and after adoption
# ---------------------------------------------------------------------------


def _sites(study: Study) -> pd.DataFrame:
    sites = study.tables["sites"].copy()
    sites["site_id"] = sites["site_id"].astype(str)
    sites["initiative_start"] = pd.to_datetime(sites["initiative_start"])
    return sites.set_index("site_id")


def _origin(study: Study, origin_site: str | None) -> str | None:
    """Return the origin site's id: ``origin_site``, or (None or "") the origin in sites.csv."""
    sites = _sites(study)
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
    sites = _sites(study)
    starts = sites.loc[sites["role"] == "adopter", "initiative_start"].dropna()
    return None if starts.empty else pd.Timestamp(starts.min())


def split_note(study: Study, origin_site: str | None = None) -> str:
    """Return a sentence saying where each site's cases are split into before and after."""
    sites = _sites(study)
    adopters = sites[(sites["role"] == "adopter") & sites["initiative_start"].notna()]
    if adopters.empty:
        return "No adopter site has an initiative start date, so there is no before and after."
    parts = ", ".join(
        f"{r.display_name} {_date_text(r.initiative_start)}" for r in adopters.itertuples()
    )
    ref = reference_date(study)
    origin = _origin(study, origin_site)
    text = f"Adopters are split at their own initiative start ({parts})"
    if origin is not None:
        text += (
            f"; the origin site, {sites.at[origin, 'display_name']}, whose initiative predates "
            f"the audits, and the comparison sites at the first adopter's start, "
            f"{_date_text(ref)}"
        )
    return text + ". A case is 'after' from its split date onwards (audit_date)."


def split_section(report: Report, origin_site: str | None = None) -> Section:
    """Return the sentence saying where each site is split into before and after (a Section)."""
    return Section([split_note(report.study, origin_site)])


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
    sites = _sites(study)
    audit = study.tables["case_audit"]
    indicators = _check_indicators(audit, indicators, "case_audit")
    origin = _origin(study, origin_site)
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


def finish_panel(
    ax: Any,
    labels: Sequence[str],
    sites: Sequence[str],
    focus: str | None,
    inner: bool,
    indicator: str,
    xlabel: str,
) -> None:
    """Label one panel of a small-multiple proportion chart, the focus site in bold colour."""

    ax.set_yticks(range(len(labels)), labels)
    for tick, site in zip(ax.get_yticklabels(), sites, strict=True):
        if site == focus:
            tick.set_color(style.HIGHLIGHT)
            tick.set_fontweight("bold")
    if inner:
        ax.tick_params(labelleft=False)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    ax.set_title(_wrap(INDICATOR_LABELS.get(indicator, indicator)), fontsize=9, loc="left")
    ax.set_xlabel(xlabel)


def before_after_chart(
    change: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    focus: str | None = None,
    min_cell: int = 5,
    title: str | None = None,
) -> Figure:
    """Return a figure: before (hollow) and after (filled) proportions with 95% Wilson intervals.

    One panel per indicator, one row per site (adopters, pooled adopters, the origin for
    reference, pooled comparison sites). Points whose counts the tables suppress are not
    drawn (the row label says "c").
    """

    indicators = list(indicators or dict.fromkeys(change["indicator"]))
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    keys = list(dict.fromkeys(zip(change["site"], change["role"], strict=True)))
    fig, axes = style.new_figure(
        "full", height=max(2.6, 0.34 * len(keys) + 1.3) * nrows, nrows=nrows, ncols=ncols
    )
    axes = np.atleast_1d(axes).ravel()
    show_before = kept(change, min_cell, "prop_before", CHANGE_DEPENDS) & (change["n_before"] > 0)
    show_after = kept(change, min_cell, "prop_after", CHANGE_DEPENDS) & (change["n_after"] > 0)
    for k, (ax, ind) in enumerate(zip(axes, indicators, strict=False)):
        labels = []
        for y, (site, role) in enumerate(keys):
            sel = (change["site"] == site) & (change["role"] == role) & (change["indicator"] == ind)
            name = _row_name(site, role)
            if not sel.any():
                labels.append(name)
                continue
            i = change.index[sel][0]
            row = change.loc[i]
            colour = style.HIGHLIGHT if site == focus else style.PALETTE[0]
            if site == TOTAL:
                colour = style.PALETTE[7]
            shown = []
            for flag, x, n, filled, dy in (
                (show_before[i], row["n_yes_before"], row["n_before"], False, 0.13),
                (show_after[i], row["n_yes_after"], row["n_after"], True, -0.13),
            ):
                shown.append(bool(flag))
                if not flag:
                    continue
                low, high = wilson_interval(x, n)
                ax.plot([low, high], [y + dy, y + dy], color=colour, lw=1.2)
                face = colour if filled else "white"
                ax.plot(x / n, y + dy, "o", ms=5, color=colour, markerfacecolor=face)
            if all(shown):
                ax.annotate(
                    "",
                    xy=(row["prop_after"], y - 0.13),
                    xytext=(row["prop_before"], y + 0.13),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.8, "alpha": 0.7},
                )
            labels.append(name)
            if not all(shown):
                ax.text(0.02, y, "c", color=style.MUTED, va="center", fontsize=8)
        finish_panel(
            ax,
            labels,
            [site for site, _role in keys],
            focus,
            k % ncols != 0,
            ind,
            "Proportion of cases",
        )
    for ax in axes[len(indicators) :]:
        ax.set_visible(False)
    fig.suptitle(
        (title or "Before and after adoption")
        + "\nhollow = before, filled = after; lines: 95% Wilson intervals; c: too few to show",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return fig


def _wrap(text: str, width: int = 24) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _row_name(site: str, role: str) -> str:
    if site == TOTAL:
        return {"adopter": "All adopters", "comparison": "All comparison sites"}.get(role, "All")
    return f"{site} (origin)" if role == "origin" else site


# ---------------------------------------------------------------------------
# Small-cell suppression for figures
# ---------------------------------------------------------------------------


def kept(
    table: pd.DataFrame,
    min_cell: int,
    column: str,
    depends: Mapping[str, Sequence[str]] | None = None,
    count_columns: Sequence[str] | None = None,
) -> pd.Series:
    """Return True for rows whose ``column`` survives small-cell suppression (as in tables).

    Pass the *whole* table that is published (with its "All" rows), so that secondary
    suppression is worked out exactly as :meth:`Report.table` does.

    >>> t = pd.DataFrame({"site": ["A", "B", "All"], "n_yes": [3, 20, 23], "n": [10, 40, 50],
    ...                   "prop_yes": [0.3, 0.5, 0.46]})
    >>> kept(t, 5, "prop_yes", {"prop_yes": ("n_yes", "n")}).tolist()
    [False, False, True]
    """
    from srim_analysis import disclosure

    if table.empty:
        return pd.Series(dtype=bool)
    published = disclosure.publishable(
        table, min_cell, count_columns=count_columns, depends=depends
    )
    if column not in published.columns:
        return pd.Series(True, index=table.index)
    marked = published[column].map(lambda v: isinstance(v, str) and v == "c")
    return ~marked.astype(bool)


# ---------------------------------------------------------------------------
# Notebook sections
# ---------------------------------------------------------------------------


def rows_of(published: pd.DataFrame, sites: Sequence[str], caption: str) -> pd.DataFrame:
    """Return the rows of an already-published table for the named sites (for display only).

    The cells are exactly the published ones (suppression worked out on the whole table);
    nothing new is written.
    """
    out = published[published["site"].isin(list(sites))].copy()
    out.attrs = {**published.attrs, "caption": caption}
    return out


def _date_text(value: Any) -> str:
    if value is None or pd.isna(value):
        return "no start date"
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def focus_phrase(report: Report) -> str:
    """Return how a caption names the focus site ("Brackwater highlighted" or "none")."""
    if report.site == ALL:
        return "all sites, none highlighted"
    return f"{report.site_label} highlighted"


def _role_of(report: Report) -> str:
    sites = _sites(report.study)
    return str(sites.at[report.site, "role"]) if report.site in sites.index else ""


def describe_run(report: Report, origin_site: str | None = None) -> Any:
    """Return a Markdown paragraph: the focus site, its role, and which sections apply to it."""
    from IPython.display import Markdown

    _origin(report.study, origin_site)  # an unknown origin site stops the run here
    sites = _sites(report.study)
    counts = sites["role"].value_counts()
    role_text = ", ".join(
        f"{int(counts[r])} {ROLE_LABELS[r]}{'' if counts[r] == 1 else 's'}"
        for r in SITE_ROLES
        if counts.get(r, 0)
    )
    lines = []
    if report.site == ALL:
        lines.append(
            f'**No focus site** (`site = "all"`): this run compares all {len(sites)} sites '
            f"({role_text}). The focus-site sections say so and are skipped; set `site` to "
            "a site id to see one site's profile, its place in the funnel plots, its change "
            "since adoption and its column of the blueprint."
        )
    else:
        role = _role_of(report)
        start = sites.at[report.site, "initiative_start"]
        what = {
            "adopter": (
                f"It adopted the initiative on {_date_text(start)}: every section applies, "
                "including its change since adoption."
            ),
            "origin": (
                f"The initiative started here on {_date_text(start)}, before the audited "
                "cases begin, so its before/after comparison uses the first adopter's start "
                "as a reference date."
            ),
            "comparison": (
                "It did not adopt the initiative: it has no before/after change and no "
                "column in the transfer blueprint, and those sections say so."
            ),
        }.get(role, "")
        lines.append(
            f"**Focus site: {report.site_label}** ({ROLE_LABELS.get(role, role)}). {what} "
            f"All {len(sites)} sites ({role_text}) are shown for comparison, the focus site "
            "highlighted."
        )
    if origin_site and sites.at[origin_site, "role"] != "origin":
        lines.append(
            f'*Note: `origin_site = "{origin_site}"` '
            f"({sites.at[origin_site, 'display_name']}) is recorded as a "
            f"{sites.at[origin_site, 'role']} site in sites.csv, not as the origin; it is "
            "treated as the origin here.*"
        )
    return Markdown("\n\n".join(lines))


def survey_section(report: Report, by_agency: bool = False) -> Section:
    """Return the survey scores section: the published table, or a note if there is no survey."""
    if "survey_responses" not in report.study.tables:
        return Section(
            [
                "*This study folder has no `survey_responses` table, so survey confidence and "
                "awareness are not shown.*"
            ]
        )
    scores = survey_scores(report.study, by_agency=by_agency)
    name = "survey-scores-by-agency" if by_agency else "survey-scores"
    caption = (
        "Mean confidence to share information about a father (CONF1) and awareness of the "
        "2024 advice (mean of AW1-AW3), from 1 to 5, by site"
        + (" and respondent's agency" if by_agency else "")
        + ", with 95% t intervals; don't know, not applicable and blank answers left out"
    )
    published = report.table(scores, name, caption, depends=MEAN_DEPENDS)
    return Section([report.show(published)])


def focus_profile(
    report: Report,
    table: pd.DataFrame,
    published: pd.DataFrame,
    indicators: Sequence[str] = AUDIT_INDICATORS,
) -> Section:
    """Return the focus site's profile: its published rows beside "All", and a sentence.

    ``table`` is the :func:`site_indicators` table and ``published`` what ``report.table``
    returned for it. The sentence names the audit indicators on which the site lies
    outside the 95% funnel limits. For ``site = "all"`` it says there is no focus site.
    """
    from srim_analysis.analyses import funnel

    name = focus_name(report)
    if name is None:
        return Section(
            [
                '*No focus site was chosen (`site = "all"`), so there is no single-site '
                "profile: the full comparison is above and below.*"
            ]
        )
    view = rows_of(
        published,
        [name, TOTAL],
        f"{name} beside all sites (All): father-related practice in audited cases, observed "
        "meetings and documents, with 95% Wilson intervals",
    )
    positions = funnel.funnel_positions(table, "case_audit")
    keep = kept(positions, report.min_cell, "position", funnel.POSITION_DEPENDS)
    mine = positions[(positions["site"] == name) & keep]
    mine = mine[mine["indicator"].isin(indicators)]
    outside = mine[mine["position"].str.startswith(("above", "below"))]
    parts = [f"How **{name}** compares with the other sites in audited cases."]
    if len(outside):
        parts.append(
            "Outside the 95% funnel limits around the all-site value: "
            + "; ".join(f"{r.label} ({r.position})" for r in outside.itertuples())
            + "."
        )
    if mine.empty:
        parts.append("Its numbers are too small to publish.")
    elif outside.empty:
        parts.append(
            "Every indicator lies within the 95% funnel limits: on these data the site does "
            "not differ from the all-site value by more than chance would explain."
        )
    section = Section([" ".join(parts), report.show(view)])
    section.tables["focus-profile"] = view
    return section


def focus_change(report: Report, published: pd.DataFrame) -> Section:
    """Return the focus site's change since adoption (its published rows), or why there is none.

    ``published`` is what ``report.table`` returned for the :func:`before_after` table.
    """
    name = focus_name(report)
    if name is None:
        return Section(
            ["*No focus site was chosen: the table and chart above show every adopter.*"]
        )
    role = _role_of(report)
    if role == "comparison":
        return Section(
            [
                f"*{name} is a comparison site: it did not adopt the initiative, so it has no "
                "before/after change. The pooled comparison sites (All comparison sites) show how "
                "practice moved elsewhere over the same period.*"
            ]
        )
    rows = published[(published["site"] == name) & (published["role"] == role)]
    if rows.empty:
        return Section(
            [
                f"*{name} has no audited cases on both sides of its split date, so no change can "
                "be estimated.*"
            ]
        )
    view = rows_of(
        published[published["role"] == role],
        [name, TOTAL] if role == "adopter" else [name],
        f"{name}: each indicator before and after, with the change (after minus before) and "
        "its 95% Newcombe hybrid score interval",
    )

    def num(v: Any) -> float:
        return float(v) if not isinstance(v, str) else float("nan")

    up = [r.label for r in rows.itertuples() if num(r.diff_low) > 0]
    down = [r.label for r in rows.itertuples() if num(r.diff_high) < 0]
    lead = (
        f"{name} is the origin site: its initiative predates the audits, so this compares "
        "its cases before and after the first adopter's start, as a reference. "
        if role == "origin"
        else f"Change at {name} since it adopted the initiative. "
    )
    if up:
        lead += "Clear rises (interval above zero): " + "; ".join(up) + ". "
    if down:
        lead += "Clear falls (interval below zero): " + "; ".join(down) + ". "
    if not up and not down:
        lead += "No change is clear of chance (every published interval includes zero)."
    section = Section([lead.strip(), report.show(view)])
    section.tables["focus-change"] = view
    return section


# ---------------------------------------------------------------------------
# Interactive explorer
# ---------------------------------------------------------------------------


def _explorer_html(
    table: pd.DataFrame,
    published: pd.DataFrame,
    change: pd.DataFrame,
    name: str,
    role: str,
) -> str:
    rows = published[published["site"].isin([name, TOTAL]) & (published["source"] == "case_audit")]
    show = rows[["site", "label", "n_yes", "n", "prop_yes", "ci_low", "ci_high"]]
    parts = [
        f"<h4>{html.escape(name)} ({html.escape(ROLE_LABELS.get(role, role))})</h4>",
        show.to_html(index=False, float_format=lambda x: f"{x:.2f}", border=0, na_rep=""),
    ]
    mine = change[
        (change["site"] == name)
        & (change["role"] == role)
        & (change["indicator"] == "father_info_shared")
    ]
    if role == "comparison" or mine.empty:
        parts.append("<p>No before/after change: the site did not adopt the initiative.</p>")
    else:
        r = mine.iloc[0]
        parts.append(
            "<p>Information about him shared, before and after "
            f"{'adoption' if role == 'adopter' else 'the first adopter started'}: "
            f"{_fmt(r['prop_before'])} to {_fmt(r['prop_after'])} (change {_fmt(r['diff'])}, "
            f"95% interval {_fmt(r['diff_low'])} to {_fmt(r['diff_high'])}).</p>"
        )
    return "\n".join(parts)


def _fmt(value: Any) -> str:
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return html.escape(str(value))


def site_explorer(
    study: Study,
    indicators: Sequence[str] = AUDIT_INDICATORS,
    min_cell: int = 5,
    initial: str | None = None,
    origin_site: str | None = None,
) -> ipywidgets.Widget:
    """Return a widget: a site dropdown above that site's profile table and chart.

    Changing the dropdown redraws the profile; small cells are suppressed exactly as in
    the published tables. ``initial`` is a site id (the notebook passes ``site``).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from srim_analysis import disclosure
    from srim_analysis.analyses import funnel

    table = site_indicators(study, indicators)
    published = disclosure.publishable(table, min_cell, depends=PROPORTION_DEPENDS)
    change = before_after(study, indicators, origin_site=origin_site)
    change = disclosure.publishable(change, min_cell, depends=CHANGE_DEPENDS)
    sites = _sites(study)
    options = [(f"{r.display_name} ({r.role})", sid) for sid, r in sites.iterrows()]
    value = initial if initial in sites.index else str(sites.index[0])
    dropdown = widgets.Dropdown(options=options, value=value, description="Site:")
    summary = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(max_width="900px"))

    def render(site: str) -> None:
        name = str(sites.at[site, "display_name"])
        fig = funnel.interval_chart(
            table,
            indicators,
            focus=name,
            min_cell=min_cell,
            title=f"Audited cases: each site against the all-site value — {name}",
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        plt.close(fig)
        image.value = buf.getvalue()
        summary.value = _explorer_html(table, published, change, name, str(sites.at[site, "role"]))

    def on_change(event: dict[str, Any]) -> None:
        render(str(event["new"]))

    dropdown.observe(on_change, names="value")
    render(value)
    return widgets.VBox([dropdown, summary, image])
