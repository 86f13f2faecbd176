"""The survey tables notebook 03 publishes: who answered, reliability, scores by group.

Pure table builders on a study (one site, or all): each returns a tidy table ready for
:meth:`srim_analysis.report.publishing.Report.publish`, people counted in one column so
that small-cell suppression protects the parts of each partition.

* :func:`respondents_by` and :func:`item_completeness` - who answered, and how;
* :func:`reliability_tables` - alpha with its interval, omega and item statistics;
* :func:`scoring_table`, :func:`score_summary` and :func:`group_tests` - who got a scale
  score, the scores by group, and whether they differ (only groups whose count is
  published are tested);
* :func:`level_count_table` - how many chose each answer of each statement (by group),
  the table the Likert charts are drawn from once published;
* display views of published tables (:func:`wide_view`, :func:`score_view`).

The constructs reported, their labels and the outcomes come from the study's analysis plan
(``study.toml``: :func:`report_constructs`, :func:`construct_label`,
:func:`outcome_construct`); nothing here names a study's items or constructs.

Groups are ordered by :func:`group_order` (the project's agency and role order, then the
rest), everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import survey
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.study.contract import AGENCIES, ROLES
from srim_analysis.study.loading import Study
from srim_analysis.study.plan import OUTCOME_ROLES
from srim_analysis.study.selection import ALL_SITES, for_site, is_all_sites

__all__ = [
    "BY_PHRASES",
    "COMPLETE",
    "DK_NA",
    "GROUPINGS",
    "INCOMPLETE",
    "NOT_RECORDED",
    "RATED",
    "SCORE_DEPENDS",
    "SURVEY_TABLES",
    "TOTAL",
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
    "level_count_table",
    "outcome_construct",
    "reliability_tables",
    "report_constructs",
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

#: The columns of :func:`level_count_table` beside the answers: who rated, who said DK/NA.
RATED = "n"
DK_NA = "n_dk_na"

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


def report_constructs(study: Study, constructs: Sequence[str] | None = None) -> list[str]:
    """Return the constructs to report: ``constructs``, or the plan's, or every one.

    ``None`` means the constructs of the study's plan (``[survey.constructs]`` of
    ``study.toml``, in its order); when the plan lists none, every construct of
    ``survey_items`` in file order. Unknown constructs raise, naming the survey's.
    """
    if constructs is None:
        constructs = list(study.plan.survey.constructs) or list(
            survey.construct_items(study.survey_items)
        )
    return check_constructs(study, constructs)


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


def construct_label(study: Study, construct: str) -> str:
    """Return the plain-English name of a construct, from the study's plan (see ``label``)."""
    return study.plan.survey.label(construct)


def outcome_construct(study: Study, role: str) -> tuple[str | None, str]:
    """Return (the construct the plan maps to an outcome, ""), or (None, why not in words).

    ``role`` is an outcome of objective 3 (``"awareness"`` or ``"confidence"``, the keys of
    ``[survey.outcomes]`` in ``study.toml``).
    """
    if role not in OUTCOME_ROLES:
        raise ValueError(f"role must be one of {', '.join(OUTCOME_ROLES)} (not {role!r}).")
    construct = study.plan.survey.outcomes.get(role)
    if construct is None:
        return None, (
            f"the study's plan does not say which survey construct measures {role} (add "
            f'`{role} = "<construct>"` under `[survey.outcomes]` in the study folder\'s '
            "study.toml)"
        )
    if construct not in survey.construct_items(study.survey_items):
        return None, (
            f"the plan (study.toml, `[survey.outcomes]`) names {construct!r} for {role}, but "
            "survey_items has no such construct"
        )
    return construct, ""


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
    """Return the item ids of ``constructs``, then of the plan's outcomes, in order."""
    groups = survey.construct_items(study.survey_items)
    outcomes = [outcome_construct(study, role)[0] for role in OUTCOME_ROLES]
    chosen = [*constructs, *(c for c in outcomes if c is not None)]
    return list(dict.fromkeys(i for c in chosen for i in groups[c]))


def respondents_by(
    study: Study,
    site: str = ALL_SITES,
    by: str = "agency",
    constructs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return respondents per group and whether they answered every item, with totals.

    Tidy: one row per group and ``answered`` (``every item`` - a rating, don't know or not
    applicable for every item of ``constructs`` and the outcomes - or ``some left blank``), an
    ``All`` row per group and an ``All`` group; ``respondents`` counts them and
    ``pct_of_group`` is the share of the group's respondents.
    """
    data = site_responses(study, site)
    ids = item_ids(study, report_constructs(study, constructs))
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
    study: Study, site: str = ALL_SITES, constructs: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return per item how many rated it, said don't know / not applicable, or left it blank.

    Tidy: one row per item and ``answer`` (``rated``, ``don't know``, ``not applicable``,
    ``blank``, then ``All``), counted in ``respondents``.
    """
    data = site_responses(study, site)
    ids = item_ids(study, report_constructs(study, constructs))
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
            "construct": construct_label(study, info[item].construct),
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
# The answers to each statement: the table the Likert charts are drawn from
# ---------------------------------------------------------------------------


def level_count_table(
    study: Study, site: str, ids: Sequence[str], by: str | None = None
) -> pd.DataFrame:
    """Return how many respondents chose each answer of each statement (by group), with n.

    One row per item (and group of ``by``, then an ``All`` row per item, respondents with
    no group counted only there): ``item``, ``statement`` (marked "(reverse-scored)"),
    the group, one count column per answer of the scale (lowest first), ``n`` (gave a
    rating: the sum of the answer columns) and ``n_dk_na`` (don't know or not applicable).
    The items must share one scale. Published (``sums={"n": answers}``), it is what the
    Likert charts draw: an answer's share is drawn only when its count is shown.
    """
    items = study.survey_items
    data = site_responses(study, site)
    labels = item_labels(study, ids)
    everyone = survey.level_counts(data, items, ids)
    levels = [c for c in everyone.columns if c not in (RATED, DK_NA)]
    rows = []
    for item in ids:
        if by is not None:
            keys = group_keys(data, by)
            counts = survey.level_counts(data.assign(**{by: keys}), items, [item], by=by)
            counts = counts.loc[item]
            for key in group_order(by, keys, study.site_ids()):
                if key == NOT_RECORDED or key not in counts.index:
                    continue
                rows.append(
                    {
                        "item": item,
                        "statement": labels[item],
                        by: group_label(study, by, key),
                        **counts.loc[key].to_dict(),
                    }
                )
        total = {"item": item, "statement": labels[item]}
        if by is not None:
            total[by] = TOTAL
        rows.append({**total, **everyone.loc[item].to_dict()})
    out = pd.DataFrame(rows)
    out[[*levels, RATED, DK_NA]] = out[[*levels, RATED, DK_NA]].astype(int)
    out.attrs["levels"] = levels
    return out


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


def reliability_tables(
    study: Study,
    site: str = ALL_SITES,
    constructs: Sequence[str] | None = None,
    nan_policy: survey.NanPolicy = "pairwise",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (reliability per construct, statistics per item), ready to publish.

    Reliability: ``construct``, ``label``, ``alpha`` with its 95% interval, ``omega_total``,
    ``items`` (how many), ``n_respondents`` (the n behind alpha and its interval),
    ``nan_policy`` and ``note``. Items: per statement its ``n``, mean, SD,
    corrected item-total correlation and alpha if deleted, with a ``flag`` in words.
    """
    constructs = report_constructs(study, constructs)
    rel, stats = survey.construct_reliability(
        site_responses(study, site), study.survey_items, constructs, nan_policy=nan_policy
    )
    rel = rel.reset_index()
    rel.insert(1, "label", rel["construct"].map(lambda c: construct_label(study, c)))
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
    constructs: Sequence[str] | None = None,
    min_items_answered: survey.MinAnswered = 0.5,
) -> pd.DataFrame:
    """Return per construct who got a scale score and who did not (and why), with the total.

    Tidy: one row per construct and ``scored`` (``yes``, ``no: too few items rated``, ``no:
    no item rated``, then ``All``), counted in ``respondents``.
    """
    constructs = report_constructs(study, constructs)
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
            "construct": construct_label(study, c),
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
    constructs: Sequence[str] | None = None,
    by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
) -> pd.DataFrame:
    """Return each construct's scale score per group: n, mean, SD, median and quartiles.

    One row per construct and group, then an ``All`` row per construct (everyone with a
    score). Scores are on the items' scale (1 to 5), reverse-scored items recoded.
    """
    constructs = report_constructs(study, constructs)
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
                    "construct": construct_label(study, construct),
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
    constructs: Sequence[str] | None = None,
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
    constructs = report_constructs(study, constructs)
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
        rows = summary[(summary["construct"] == construct_label(study, construct))]
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
            "construct": table["construct"].map(lambda c: construct_label(study, c)),
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
