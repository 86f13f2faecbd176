"""The survey tables notebook 03 publishes: who answered, reliability, scores by group.

Pure table builders on a study (one site, or all): each returns a tidy table ready for
:meth:`srim_analysis.report.publishing.Report.publish`, people counted in one column so
that small-cell suppression protects the parts of each partition.

* :func:`respondents_by` and :func:`item_completeness` - who answered, and how;
* :func:`reliability_tables` - alpha with its interval, omega and item statistics;
* :func:`scoring_table`, :func:`score_summary` and :func:`group_tests` - who got a scale
  score, the scores by group, and whether they differ (only groups whose count is
  published are tested);
* :func:`chart_groups` - which groups a chart of one item by group may draw;
* display views of published tables (:func:`wide_view`, :func:`score_view`).

Groups are ordered by :func:`group_order` (the project's agency and role order, then the
rest), everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import survey
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.study.contract import AGENCIES, ROLES
from srim_analysis.study.loading import Study
from srim_analysis.study.selection import ALL_SITES, for_site, is_all_sites

__all__ = [
    "BY_PHRASES",
    "COMPLETE",
    "CONSTRUCT_LABELS",
    "DEFAULT_CONSTRUCTS",
    "GROUPINGS",
    "INCOMPLETE",
    "NOT_RECORDED",
    "SCORE_DEPENDS",
    "SURVEY_TABLES",
    "TOTAL",
    "ChartGroups",
    "chart_groups",
    "check_by",
    "check_constructs",
    "construct_label",
    "group_keys",
    "group_label",
    "group_order",
    "group_tests",
    "has_survey",
    "item_completeness",
    "item_ids",
    "item_labels",
    "reliability_tables",
    "respondents_by",
    "score_summary",
    "score_view",
    "scoring_table",
    "single_site",
    "site_names",
    "site_responses",
    "wide_view",
]

#: The row or group of totals.
TOTAL = "All"
#: The group of respondents with no value for a grouping.
NOT_RECORDED = "(not recorded)"
#: Whether a respondent answered every item reported.
COMPLETE = "every item"
INCOMPLETE = "some left blank"
#: The tables of a survey (optional in a study folder).
SURVEY_TABLES: tuple[str, ...] = ("survey_items", "survey_responses")

#: The survey constructs reported by default (the outcome, ``confidence``, is CONF1).
DEFAULT_CONSTRUCTS: tuple[str, ...] = (
    "awareness",
    "lawful_bases",
    "consent_myths",
    "fear_of_sanction",
    "self_efficacy",
    "leadership",
    "trust_partners",
    "it_access",
    "father_practice",
)

#: Plain-English names of the constructs.
CONSTRUCT_LABELS: dict[str, str] = {
    "awareness": "Awareness of the 2024 advice",
    "lawful_bases": "Knowledge of lawful bases",
    "consent_myths": "Consent misconceptions",
    "fear_of_sanction": "Fear of sanction",
    "self_efficacy": "Self-efficacy",
    "leadership": "Leadership, culture and supervision",
    "trust_partners": "Trust in partners",
    "it_access": "IT access",
    "father_practice": "Practice with fathers and significant men",
    "confidence": "Confidence to share (CONF1)",
}

#: What scale scores can be compared by.
GROUPINGS: dict[str, str] = {
    "agency": "Agency",
    "role": "Role",
    "site_id": "Site",
    "trained_2024": "Trained on the 2024 advice",
}

#: How a grouping reads after "by" in a sentence or title.
BY_PHRASES: dict[str, str] = {
    "agency": "agency",
    "role": "role",
    "site_id": "site",
    "trained_2024": "training on the 2024 advice",
}


# ---------------------------------------------------------------------------
# The survey of one site (or all), its groups and their order
# ---------------------------------------------------------------------------


def has_survey(study: Study) -> bool:
    """Return True when the study folder holds both survey tables."""
    return all(t in study.tables for t in SURVEY_TABLES)


def site_responses(study: Study, site: str = ALL_SITES) -> pd.DataFrame:
    """Return the survey responses of one site (all sites: every response), renumbered."""
    return for_site(study.survey_responses, site).reset_index(drop=True)


def single_site(data: pd.DataFrame, site: str) -> bool:
    """Return True when the responses are of one site (a site run, or a one-site study)."""
    return not is_all_sites(site) or data["site_id"].nunique() < 2


def site_names(study: Study) -> dict[str, str]:
    """Return site id -> display name (empty when the study has no sites table)."""
    if "sites" not in study.tables:
        return {}
    sites = study.sites
    return dict(zip(sites["site_id"].astype(str), sites["display_name"].astype(str), strict=True))


def check_constructs(study: Study, constructs: Sequence[str]) -> list[str]:
    """Return ``constructs`` as a list; raise, naming the survey's constructs, on unknown ones."""
    known = survey.construct_items(study.survey_items)
    unknown = [c for c in constructs if c not in known]
    if unknown:
        raise ValueError(
            f"Not constructs of this survey: {', '.join(unknown)}. The survey's constructs are: "
            f"{', '.join(known)}."
        )
    return list(constructs)


def check_by(by: str) -> str:
    """Return ``by`` when it is one of :data:`GROUPINGS`; raise otherwise."""
    if by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)} (not {by!r}).")
    return by


def construct_label(construct: str) -> str:
    """Return the plain-English name of a construct.

    >>> construct_label("it_access"), construct_label("new_scale")
    ('IT access', 'New scale')
    """
    return CONSTRUCT_LABELS.get(construct, construct.replace("_", " ").capitalize())


def group_label(study: Study, by: str, key: str) -> str:
    """Return the name of one group (a site's display name, an agency's full name, ...)."""
    if key == NOT_RECORDED:
        return key
    if by == "site_id":
        return site_names(study).get(key, key)
    label = survey.level_label(by, key)
    return label[:1].upper() + label[1:]


def group_keys(data: pd.DataFrame, by: str) -> pd.Series:
    """Return each respondent's group as text; a missing value is '(not recorded)'."""
    values = data[by]
    keys = values.map(lambda v: NOT_RECORDED if pd.isna(v) else survey.level_key(v))
    return keys.astype(object)


def group_order(by: str, keys: Iterable[str], site_ids: Sequence[str] = ()) -> list[str]:
    """Return the groups present in ``keys`` in reading order; '(not recorded)' last.

    Agencies and roles in the project's order, sites in ``site_ids`` order, not trained
    before trained; anything else sorted, after them.

    >>> group_order("trained_2024", ["zz", "(not recorded)", "1", "0"])
    ['0', '1', 'zz', '(not recorded)']
    """
    reference = {
        "agency": list(AGENCIES),
        "role": list(ROLES),
        "site_id": list(site_ids),
        "trained_2024": ["0", "1"],
    }.get(by, [])
    present = set(keys)
    rest = sorted(k for k in present if k not in reference and k != NOT_RECORDED)
    tail = [NOT_RECORDED] if NOT_RECORDED in present else []
    return [k for k in reference if k in present] + rest + tail


# ---------------------------------------------------------------------------
# Who answered
# ---------------------------------------------------------------------------


def item_ids(study: Study, constructs: Sequence[str]) -> list[str]:
    """Return the item ids of ``constructs`` and CONF1 (when the survey has it), in order."""
    groups = survey.construct_items(study.survey_items)
    ids = [i for c in constructs for i in groups[c]]
    if survey.CONFIDENCE_ITEM in survey.item_info(study.survey_items):
        ids.append(survey.CONFIDENCE_ITEM)
    return list(dict.fromkeys(ids))


def respondents_by(
    study: Study,
    site: str = ALL_SITES,
    by: str = "agency",
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
) -> pd.DataFrame:
    """Return respondents per group and whether they answered every item, with totals.

    Tidy: one row per group and ``answered`` (``every item`` - a rating, don't know or not
    applicable for every item of ``constructs`` and CONF1 - or ``some left blank``), an
    ``All`` row per group and an ``All`` group; ``respondents`` counts them and
    ``pct_of_group`` is the share of the group's respondents.
    """
    data = site_responses(study, site)
    ids = item_ids(study, check_constructs(study, constructs))
    status = survey.answer_status(data, study.survey_items, ids)
    complete = (status != survey.MISSING).all(axis=1).to_numpy()
    keys = group_keys(data, by)
    rows = []
    for key in [*group_order(by, keys, study.site_ids()), TOTAL]:
        mask = np.ones(len(data), bool) if key == TOTAL else (keys == key).to_numpy()
        group = TOTAL if key == TOTAL else group_label(study, by, key)
        n = int(mask.sum())
        for answered, part in ((COMPLETE, mask & complete), (INCOMPLETE, mask & ~complete)):
            rows.append((group, answered, int(part.sum()), 100 * part.sum() / n if n else np.nan))
        rows.append((group, TOTAL, n, 100.0 if n else np.nan))
    out = pd.DataFrame(rows, columns=[by, "answered", "respondents", "pct_of_group"])
    out["pct_of_group"] = out["pct_of_group"].round(1)
    return out


def item_completeness(
    study: Study, site: str = ALL_SITES, constructs: Sequence[str] = DEFAULT_CONSTRUCTS
) -> pd.DataFrame:
    """Return per item how many rated it, said don't know / not applicable, or left it blank.

    Tidy: one row per item and ``answer`` (``rated``, ``don't know``, ``not applicable``,
    ``blank``, then ``All``), counted in ``respondents``.
    """
    data = site_responses(study, site)
    ids = item_ids(study, check_constructs(study, constructs))
    counts = survey.response_counts(data, study.survey_items, ids)
    info = survey.item_info(study.survey_items)
    columns = {
        "n_answered": "rated",
        "n_dont_know": "don't know",
        "n_not_applicable": "not applicable",
        "n_missing": "blank",
        "n_total": TOTAL,
    }
    rows = [
        {
            "item": item,
            "construct": construct_label(info[item].construct),
            "statement": info[item].wording,
            "answer": answer,
            "respondents": int(counts.at[item, col]),
        }
        for item in counts.index
        for col, answer in columns.items()
    ]
    return pd.DataFrame(rows)


def wide_view(
    published: pd.DataFrame, index: Sequence[str], columns: str, values: str
) -> pd.DataFrame:
    """Return a wide display view of published cells (rows and columns in table order)."""
    keys = list(dict.fromkeys(zip(*(published[c] for c in index), strict=True)))
    wide = published.pivot(index=list(index), columns=columns, values=values)
    wide = wide.reindex(
        index=pd.MultiIndex.from_tuples(keys, names=list(index))
        if len(index) > 1
        else pd.Index([k[0] for k in keys], name=index[0])
    )
    wide = wide[list(dict.fromkeys(published[columns]))].reset_index()
    wide.columns.name = None
    return wide


def item_labels(study: Study, ids: Sequence[str]) -> dict[str, str]:
    """Return item id -> its statement, marked "(reverse-scored)" when it is."""
    info = survey.item_info(study.survey_items)
    return {
        i: info[i].wording + (" (reverse-scored)" if info[i].reverse_keyed else "") for i in ids
    }


# ---------------------------------------------------------------------------
# Which groups a chart of one item by group may draw
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartGroups:
    """The groups of a chart of one item by group: keys drawn, names hidden, every name."""

    shown: list[str]
    hidden: list[str]
    labels: dict[str, str]


def chart_groups(
    study: Study, data: pd.DataFrame, item_id: str, by: str, min_cell: int = DEFAULT_MIN_CELL
) -> ChartGroups:
    """Return which groups a chart of ``item_id`` by ``by`` draws, and the names of those hidden.

    A group is drawn only if its number of ratings survives small-cell suppression with the
    total assumed known, so that no hidden group's n can be worked out from the bars drawn.
    Respondents with no group are not drawn.
    """
    keys = group_keys(data, by)
    order = [k for k in group_order(by, keys, study.site_ids()) if k != NOT_RECORDED]
    labels = {k: group_label(study, by, k) for k in order}
    counts = survey.level_counts(data, study.survey_items, [item_id], by=by).loc[item_id]["n"]
    counts.index = counts.index.astype(str)
    present = [k for k in order if k in counts.index]
    table = pd.DataFrame(
        {"group": [f"g{k}" for k in present], "n": [int(counts[k]) for k in present]}
    )
    published = disclosure.publishable(table, min_cell, count_columns=["n"])["n"].tolist()
    shown = [
        k
        for k, n in zip(present, published, strict=True)
        if not disclosure.is_suppressed(n) and int(n) > 0
    ]
    hidden = [k for k, n in zip(present, published, strict=True) if disclosure.is_suppressed(n)]
    return ChartGroups(shown, [labels[k] for k in hidden], labels)


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


def reliability_tables(
    study: Study,
    site: str = ALL_SITES,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    nan_policy: survey.NanPolicy = "pairwise",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (reliability per construct, statistics per item), ready to publish.

    Reliability: ``construct``, ``label``, ``alpha`` with its 95% interval, ``omega_total``,
    ``items`` (how many), ``n_respondents`` (the n behind alpha and its interval),
    ``nan_policy`` and ``note``. Items: per statement its ``n``, mean, SD,
    corrected item-total correlation and alpha if deleted, with a ``flag`` in words.
    """
    constructs = check_constructs(study, constructs)
    rel, stats = survey.construct_reliability(
        site_responses(study, site), study.survey_items, constructs, nan_policy=nan_policy
    )
    rel = rel.reset_index()
    rel.insert(1, "label", rel["construct"].map(construct_label))
    rel = rel.rename(columns={"n_items": "items"})[
        [
            "construct",
            "label",
            "alpha",
            "ci_low",
            "ci_high",
            "omega_total",
            "items",
            "n_respondents",
            "nan_policy",
            "note",
        ]
    ]
    rel[["alpha", "ci_low", "ci_high", "omega_total"]] = rel[
        ["alpha", "ci_low", "ci_high", "omega_total"]
    ].round(3)
    stats = stats.reset_index()
    info = survey.item_info(study.survey_items)
    stats.insert(2, "statement", [info[i].wording for i in stats["item"]])
    stats = stats[
        [
            "construct",
            "item",
            "statement",
            "reversed",
            "n",
            "mean",
            "sd",
            "item_total_r",
            "alpha_if_deleted",
            "flag",
        ]
    ]
    stats["reversed"] = stats["reversed"].map({True: "yes", False: "no"})
    stats[["mean", "sd", "item_total_r", "alpha_if_deleted"]] = stats[
        ["mean", "sd", "item_total_r", "alpha_if_deleted"]
    ].round(3)
    return rel, stats


# ---------------------------------------------------------------------------
# Scale scores by group
# ---------------------------------------------------------------------------


def _scores(
    study: Study, site: str, constructs: Sequence[str], min_items_answered: survey.MinAnswered
) -> pd.DataFrame:
    return survey.scale_scores(
        site_responses(study, site), study.survey_items, min_items_answered, list(constructs)
    )


def scoring_table(
    study: Study,
    site: str = ALL_SITES,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    min_items_answered: survey.MinAnswered = 0.5,
) -> pd.DataFrame:
    """Return per construct who got a scale score and who did not (and why), with the total.

    Tidy: one row per construct and ``scored`` (``yes``, ``no: too few items rated``, ``no:
    no item rated``, then ``All``), counted in ``respondents``.
    """
    constructs = check_constructs(study, constructs)
    rep = survey.scale_score_report(
        site_responses(study, site), study.survey_items, min_items_answered, constructs
    )
    parts = {
        "n_scored": "yes",
        "n_failed_rule": "no: too few items rated",
        "n_no_items_answered": "no: no item rated",
        "n_respondents": TOTAL,
    }
    rows = [
        {
            "construct": construct_label(c),
            "items": int(rep.at[c, "n_items"]),
            "items_needed": int(rep.at[c, "min_items_required"]),
            "scored": scored,
            "respondents": int(rep.at[c, col]),
        }
        for c in rep.index
        for col, scored in parts.items()
    ]
    return pd.DataFrame(rows)


def score_summary(
    study: Study,
    site: str = ALL_SITES,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
) -> pd.DataFrame:
    """Return each construct's scale score per group: n, mean, SD, median and quartiles.

    One row per construct and group, then an ``All`` row per construct (everyone with a
    score). Scores are on the items' scale (1 to 5), reverse-scored items recoded.
    """
    constructs = check_constructs(study, constructs)
    check_by(by)
    data = site_responses(study, site)
    scores = _scores(study, site, constructs, min_items_answered)
    keys = group_keys(data, by)
    keys.index = scores.index
    order = group_order(by, keys, study.site_ids())
    rows = []
    for construct in constructs:
        col = scores[construct]
        for key in [*order, TOTAL]:
            values = col.dropna() if key == TOTAL else col[(keys == key).to_numpy()].dropna()
            n = len(values)
            rows.append(
                {
                    "construct": construct_label(construct),
                    by: TOTAL if key == TOTAL else group_label(study, by, key),
                    "n": n,
                    "mean": values.mean() if n else np.nan,
                    "sd": values.std() if n > 1 else np.nan,
                    "median": values.median() if n else np.nan,
                    "q1": values.quantile(0.25) if n else np.nan,
                    "q3": values.quantile(0.75) if n else np.nan,
                }
            )
    out = pd.DataFrame(rows)
    out[["mean", "sd", "median", "q1", "q3"]] = out[["mean", "sd", "median", "q1", "q3"]].round(2)
    return out


#: The statistics of :func:`score_summary` hidden with their n.
SCORE_DEPENDS: dict[str, tuple[str, ...]] = {
    c: ("n",) for c in ("mean", "sd", "median", "q1", "q3")
}


def group_tests(
    study: Study,
    site: str = ALL_SITES,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
    min_cell: int = DEFAULT_MIN_CELL,
) -> pd.DataFrame:
    """Return one test per construct of whether scale scores differ by ``by``, Holm-adjusted.

    Kruskal-Wallis (three or more groups; epsilon-squared) or Mann-Whitney (two groups;
    rank-biserial r); ``p_holm`` adjusts across the constructs tested. Only groups whose
    count is published in :func:`score_summary` (after small-cell suppression) are tested:
    a group with fewer than ``min_cell`` scored respondents, or one hidden so that a small
    group cannot be worked out from the total, is left out and named in ``excluded`` -
    otherwise the n of the test would give the hidden count away.
    """
    constructs = check_constructs(study, constructs)
    check_by(by)
    data = site_responses(study, site)
    scores = _scores(study, site, constructs, min_items_answered)
    summary = disclosure.publishable(
        score_summary(study, site, constructs, by, min_items_answered),
        min_cell,
        count_columns=["n"],
        depends=SCORE_DEPENDS,
    )
    labels = group_keys(data, by).map(lambda k: group_label(study, by, k))
    tables = []
    for construct in constructs:
        rows = summary[(summary["construct"] == construct_label(construct))]
        hidden = [
            g for g, n in zip(rows[by], rows["n"], strict=True) if disclosure.is_suppressed(n)
        ]
        keep = ~labels.isin([*hidden, NOT_RECORDED]).to_numpy()
        part = data.assign(**{by: labels.where(keep, None).to_numpy()})
        table = survey.compare_groups(scores, part, by=[by], constructs=[construct], min_cell=1)
        table["excluded"] = f"not tested (counts suppressed): {', '.join(hidden)}" if hidden else ""
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    table["p_holm"] = survey.holm_adjust(table["p_value"].to_numpy())
    if (table["test"] == "not tested").any():
        table.loc[table["test"] == "not tested", "note"] = (
            f"fewer than two groups have a published count, that is, {min_cell} or more scored "
            "respondents"
        )
    return pd.DataFrame(
        {
            "construct": table["construct"].map(construct_label),
            "grouping": GROUPINGS[by],
            "test": table["test"],
            "groups_compared": table["k"],
            "n": table["n"],
            "statistic": table["statistic"].round(2),
            "p_value": table["p_value"].round(4),
            "p_holm": table["p_holm"].round(4),
            "effect_size": table["effect_size"].round(3),
            "effect_measure": table["effect_measure"],
            "group_1": table["group_1"],
            "group_2": table["group_2"],
            "groups": table["groups"],
            "excluded": table["excluded"],
            "note": table["note"],
        }
    )


def score_view(published: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return a wide display view (groups x constructs, 'mean (n)') of published cells."""

    def cell(mean: object, n: object) -> str:
        if disclosure.is_suppressed(n):
            return disclosure.SUPPRESSION_MARK
        if mean is None or (isinstance(mean, float) and np.isnan(mean)):
            return "" if str(n) in ("0", "") else f"– ({n})"
        return f"{float(mean):.2f} ({n})"  # type: ignore[arg-type]

    view = published.assign(
        value=[cell(m, n) for m, n in zip(published["mean"], published["n"], strict=True)]
    )
    wide = view.pivot(index=by, columns="construct", values="value")
    wide = wide.reindex(index=list(dict.fromkeys(published[by])))
    wide = wide[list(dict.fromkeys(published["construct"]))]
    wide = wide.reset_index()
    wide.columns.name = None
    return wide
