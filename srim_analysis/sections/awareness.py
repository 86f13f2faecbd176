"""Objective 3: awareness of, and confidence to, share information - the notebook's glue.

The statistics live in :mod:`srim_analysis.analyses.survey` and the charts of answers in
:mod:`srim_analysis.charts.likert`; this module turns them into what notebook
``03_awareness_confidence`` publishes, one call per section:

* :func:`skipped_sections` - which survey sections run, and which are skipped and why
  (a study folder need not hold a survey: the study's own methods are documents,
  observations, interviews and focus groups);
* :func:`show_respondents` - who answered, by agency and role, and item completeness;
* :func:`show_item_charts` - each construct's statements as diverging bars;
* :func:`show_reliability` - Cronbach's alpha with its 95% interval, omega and item
  statistics;
* :func:`show_group_tests` - scale scores by group with Kruskal-Wallis / Mann-Whitney
  tests, effect sizes and Holm-adjusted p-values;
* :func:`show_model` and :func:`show_ols` - the ordinal model of confidence (CONF1) and
  its linear sensitivity analysis (:func:`confidence_model`, :func:`ols_model`);
* :func:`show_qualitative` - barriers and facilitators by agency (participants) with
  redacted, pseudonymously attributed quotes for the top barriers;
* :func:`show_summary` - a generated paragraph on the strongest factors;
* :func:`explorer` - an interactive construct / grouping picker.

Every table goes through :meth:`Report.table` (small counts suppressed; people are counted
in columns named ``n``, ``n_*``, ``respondents`` or ``participants``) and every figure
through :meth:`Report.figure`. Sentences that quote counts take them from the published
(suppressed) tables, so a count from 1 to ``min_cell - 1`` reads "fewer than 5".
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srim_analysis.analyses import survey
from srim_analysis.disclosure import DEFAULT_MIN_CELL, SUPPRESSION_MARK
from srim_analysis.report.publishing import Section
from srim_analysis.study.contract import AGENCIES, ROLES

if TYPE_CHECKING:
    import ipywidgets
    from IPython.display import Markdown
    from matplotlib.figure import Figure

    from srim_analysis.report.publishing import Report
    from srim_analysis.study.loading import Study

__all__ = [
    "CONSTRUCT_LABELS",
    "DEFAULT_CONSTRUCTS",
    "GROUPINGS",
    "ModelOutcome",
    "Section",
    "barrier_table",
    "confidence_model",
    "explorer",
    "group_tests",
    "has_survey",
    "model_table",
    "ols_model",
    "reliability_tables",
    "respondents_by",
    "score_summary",
    "show_group_tests",
    "show_item_charts",
    "show_model",
    "show_ols",
    "show_qualitative",
    "show_reliability",
    "show_respondents",
    "show_summary",
    "skipped_sections",
    "summary_text",
    "top_barrier_quotes",
]

ALL = "all"
TOTAL = "All"
NOT_RECORDED = "(not recorded)"
COMPLETE = "every item"
INCOMPLETE = "some left blank"
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

#: The survey sections of the notebook, in order (named when they are skipped).
SURVEY_SECTIONS: tuple[str, ...] = (
    "who answered the survey",
    "the answers to each construct's statements",
    "the reliability of the scales",
    "scale scores by group",
    "the ordinal model of confidence and its forest plot",
    "the linear (OLS) sensitivity analysis",
    "the survey half of the summary",
    "the interactive explorer",
)

#: About this many respondents are needed per estimated model term (events per parameter).
MIN_PER_TERM = 10
#: Factors kept in the model however few the respondents (the objective's main interest).
CORE_FACTORS: tuple[str, ...] = ("trained_2024", "read_advice_2024", "manager_support")
OTHER = "_other"
_OTHER_LABELS = {
    "agency": "other agencies (pooled)",
    "years_in_role": "other bands (pooled)",
    "site_id": "other sites (pooled)",
}
#: How many of the most-raised barriers get quotes, and how many quotes each.
TOP_BARRIERS = 3
QUOTES_PER_BARRIER = 2


# ---------------------------------------------------------------------------
# What a section shows
# ---------------------------------------------------------------------------


def _publish(
    report: Report,
    section: Section,
    frame: pd.DataFrame,
    name: str,
    caption: str,
    count_columns: Sequence[str],
    depends: Mapping[str, tuple[str, ...]] | None = None,
    view: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    not_counts: Sequence[str] = (),
) -> pd.DataFrame:
    """Publish ``frame`` through the report; show it, or ``view`` of the published cells.

    Each published table keeps people in a single count column where they form a
    partition (the parts as rows, with an ``All`` row), so that the suppression, which
    protects each count column against its totals, also protects the parts.
    """
    published = report.table(
        frame, name, caption, count_columns=count_columns, depends=depends, not_counts=not_counts
    )
    section.tables[name] = published
    if view is None:
        section.add(report.show(published))
    else:
        shown = view(published)
        shown.attrs = {**published.attrs}
        section.add(report.show(shown))
    return published


def _figure(report: Report, fig: Figure, figure_id: str, caption: str) -> object:
    """Save a figure through the report and return it for display (the figure is closed)."""
    return report.figure(fig, figure_id, caption)


def _hide_small_dk_counts(fig: Figure, min_cell: int) -> Figure:
    """Rewrite "(n=..; 3 DK/NA)" in bar labels as "<5 DK/NA" for counts 1 to min_cell - 1."""
    import re

    def fix(match: re.Match[str]) -> str:
        k = int(match.group(1))
        return f"; <{min_cell} DK/NA)" if 0 < k < min_cell else match.group(0)

    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        if any("DK/NA" in t for t in labels):
            ax.set_yticks(ax.get_yticks(), [re.sub(r"; (\d+) DK/NA\)", fix, t) for t in labels])
    return fig


def _count_text(value: object, min_cell: int) -> str:
    """Return a published count as words: the suppression mark reads 'fewer than N'."""
    if isinstance(value, str) and value.strip() == SUPPRESSION_MARK:
        return f"fewer than {min_cell}"
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "an unknown number of"
    try:
        return str(int(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


# ---------------------------------------------------------------------------
# The survey of one site (or all), and which sections run
# ---------------------------------------------------------------------------


def has_survey(study: Study) -> bool:
    """Return True when the study folder holds both survey tables."""
    return all(t in study.tables for t in SURVEY_TABLES)


def _responses(study: Study, site: str = ALL) -> pd.DataFrame:
    data = study.survey_responses
    if site not in (None, "", ALL):
        data = data[data["site_id"] == site]
    return data.reset_index(drop=True)


def _site_names(study: Study) -> dict[str, str]:
    if "sites" not in study.tables:
        return {}
    sites = study.sites
    return dict(zip(sites["site_id"].astype(str), sites["display_name"].astype(str), strict=True))


def _check_constructs(study: Study, constructs: Sequence[str]) -> list[str]:
    known = survey.construct_items(study.survey_items)
    unknown = [c for c in constructs if c not in known]
    if unknown:
        raise ValueError(
            f"Not constructs of this survey: {', '.join(unknown)}. The survey's constructs are: "
            f"{', '.join(known)}."
        )
    return list(constructs)


def _check_by(by: str) -> str:
    if by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)} (not {by!r}).")
    return by


def _construct_label(construct: str) -> str:
    return CONSTRUCT_LABELS.get(construct, construct.replace("_", " ").capitalize())


def _group_label(study: Study, by: str, key: str) -> str:
    if key == NOT_RECORDED:
        return key
    if by == "site_id":
        return _site_names(study).get(key, key)
    label = survey._level_label(by, key)
    return label[:1].upper() + label[1:]


def _group_keys(study: Study, data: pd.DataFrame, by: str) -> pd.Series:
    """Return each respondent's group as text; a missing value is '(not recorded)'."""
    values = data[by]
    keys = values.map(lambda v: NOT_RECORDED if pd.isna(v) else survey._level_key(v))
    return keys.astype(object)


def _group_order(study: Study, by: str, keys: Iterable[str]) -> list[str]:
    reference = {
        "agency": list(AGENCIES),
        "role": list(ROLES),
        "site_id": study.site_ids(),
        "trained_2024": ["0", "1"],
    }.get(by, [])
    present = set(keys)
    rest = sorted(k for k in present if k not in reference and k != NOT_RECORDED)
    tail = [NOT_RECORDED] if NOT_RECORDED in present else []
    return [k for k in reference if k in present] + rest + tail


def skipped_sections(study: Study, site: str = ALL) -> Markdown:
    """Return Markdown saying which survey sections run, and which are skipped and why.

    The text is in ``.data``.
    """
    from IPython.display import Markdown

    return Markdown(_skipped_text(study, site))


def _skipped_text(study: Study, site: str) -> str:
    where = study.site_label(site)
    if not has_survey(study):
        missing = [t for t in SURVEY_TABLES if t not in study.tables]
        files = " and ".join(f"`{t}.csv`" for t in missing)
        listed = "; ".join(SURVEY_SECTIONS)
        return (
            f"**Survey sections skipped.** This study folder ({study.folder.name}) has no "
            f"{files}, so these sections are skipped: {listed}. The study's own methods are "
            "documents, observations, interviews and focus groups, so a survey is optional: "
            "the barriers and facilitators from the coded interviews and focus groups, and "
            "their quotes, are still reported below. To add the survey, put `survey_items.csv` "
            "and `survey_responses.csv` in the folder (see docs/data-dictionary.md) and run "
            "the notebook again."
        )
    n = len(_responses(study, site))
    if n == 0:
        return (
            f"**Survey sections skipped.** The survey has no respondents at {where}, so these "
            f"sections are skipped: {'; '.join(SURVEY_SECTIONS)}. The qualitative barriers and "
            "facilitators are still reported below."
        )
    return (
        f"**Every section runs.** The study folder holds the survey ({n} respondents at "
        f"{where}) as well as the coded interviews and focus groups. Where {where} has too "
        "few respondents for a statistic (a group smaller than `min_cell`, or a model with "
        "too few respondents per factor), that section says so in a sentence."
    )


def _skip(study: Study, site: str, what: str) -> Section | None:
    """Return a one-sentence section when the survey cannot feed ``what``, else None."""
    if not has_survey(study):
        return Section(
            [
                f"*Skipped: this study folder has no survey (`survey_items`, "
                f"`survey_responses`), so there is no {what}.*"
            ]
        )
    if len(_responses(study, site)) == 0:
        return Section(
            [f"*Skipped: the survey has no respondents at {study.site_label(site)}, so no {what}.*"]
        )
    return None


# ---------------------------------------------------------------------------
# Who answered
# ---------------------------------------------------------------------------


def _item_ids(study: Study, constructs: Sequence[str]) -> list[str]:
    groups = survey.construct_items(study.survey_items)
    ids = [i for c in constructs for i in groups[c]]
    if survey.CONFIDENCE_ITEM in survey.item_info(study.survey_items):
        ids.append(survey.CONFIDENCE_ITEM)
    return list(dict.fromkeys(ids))


def respondents_by(
    study: Study,
    site: str = ALL,
    by: str = "agency",
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
) -> pd.DataFrame:
    """Return respondents per group and whether they answered every item, with totals.

    Tidy: one row per group and ``answered`` (``every item`` - a rating, don't know or not
    applicable for every item of ``constructs`` and CONF1 - or ``some left blank``), an
    ``All`` row per group and an ``All`` group; ``respondents`` counts them and
    ``pct_of_group`` is the share of the group's respondents.
    """
    data = _responses(study, site)
    ids = _item_ids(study, _check_constructs(study, constructs))
    status = survey.answer_status(data, study.survey_items, ids)
    complete = (status != survey.MISSING).all(axis=1).to_numpy()
    keys = _group_keys(study, data, by)
    rows = []
    for key in [*_group_order(study, by, keys), TOTAL]:
        mask = np.ones(len(data), bool) if key == TOTAL else (keys == key).to_numpy()
        group = TOTAL if key == TOTAL else _group_label(study, by, key)
        n = int(mask.sum())
        for answered, part in ((COMPLETE, mask & complete), (INCOMPLETE, mask & ~complete)):
            rows.append((group, answered, int(part.sum()), 100 * part.sum() / n if n else np.nan))
        rows.append((group, TOTAL, n, 100.0 if n else np.nan))
    out = pd.DataFrame(rows, columns=[by, "answered", "respondents", "pct_of_group"])
    out["pct_of_group"] = out["pct_of_group"].round(1)
    return out


def item_completeness(
    study: Study, site: str = ALL, constructs: Sequence[str] = DEFAULT_CONSTRUCTS
) -> pd.DataFrame:
    """Return per item how many rated it, said don't know / not applicable, or left it blank.

    Tidy: one row per item and ``answer`` (``rated``, ``don't know``, ``not applicable``,
    ``blank``, then ``All``), counted in ``respondents``.
    """
    data = _responses(study, site)
    ids = _item_ids(study, _check_constructs(study, constructs))
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
            "construct": _construct_label(info[item].construct),
            "statement": info[item].wording,
            "answer": answer,
            "respondents": int(counts.at[item, col]),
        }
        for item in counts.index
        for col, answer in columns.items()
    ]
    return pd.DataFrame(rows)


def _wide(published: pd.DataFrame, index: Sequence[str], columns: str, values: str) -> pd.DataFrame:
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


def show_respondents(report: Report, constructs: Sequence[str] = DEFAULT_CONSTRUCTS) -> Section:
    """Publish and return who answered (by agency and by role) and each item's completeness."""
    skip = _skip(report.study, report.site, "table of respondents")
    if skip:
        return skip
    study, site, where = report.study, report.site, report.site_label
    section = Section(
        [
            f"{len(_responses(study, site))} people answered the survey at {where}. A "
            "respondent is *complete* when they gave an answer (a rating, don't know or not "
            "applicable) to every item reported here."
        ]
    )
    for by in ("agency", "role"):
        _publish(
            report,
            section,
            respondents_by(study, site, by, constructs),
            f"respondents_by_{by}",
            f"Survey respondents by {by} and whether they answered every item — {where}",
            ["respondents"],
            view=lambda p, by=by: _wide(p, [by], "answered", "respondents"),
        )
    _publish(
        report,
        section,
        item_completeness(study, site, constructs),
        "item_completeness",
        f"Answers to each survey item: rated, don't know, not applicable, blank — {where}",
        ["respondents"],
        view=lambda p: _wide(p, ["item", "statement"], "answer", "respondents"),
    )
    return section


# ---------------------------------------------------------------------------
# Diverging bars of each construct's statements
# ---------------------------------------------------------------------------


def _item_labels(study: Study, ids: Sequence[str]) -> dict[str, str]:
    info = survey.item_info(study.survey_items)
    return {
        i: info[i].wording + (" (reverse-scored)" if info[i].reverse_keyed else "") for i in ids
    }


def _figure_id(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def show_item_charts(
    report: Report,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    group_by: str = "agency",
) -> Section:
    """Publish and return one diverging bar chart per construct, then CONF1 by group."""
    from srim_analysis.charts import likert

    skip = _skip(report.study, report.site, "chart of answers")
    if skip:
        return skip
    study, site = report.study, report.site
    constructs = _check_constructs(study, constructs)
    _check_by(group_by)
    data = _responses(study, site)
    items = study.survey_items
    groups = survey.construct_items(items)
    section = Section(
        [
            "Each bar is one statement: the percentage of those who gave a rating, disagreement "
            "to the left of zero and agreement to the right (the neutral answer straddles "
            "zero). The n behind each bar, and how many said don't know or not applicable "
            f'(DK/NA; "<{report.min_cell}" when fewer than {report.min_cell}), are under the '
            "statement. For *reverse-scored* statements agreeing is the less favourable answer. "
            f"Statements rated by fewer than {report.min_cell} people are not drawn."
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for construct in constructs:
            ids = groups[construct]
            label = _construct_label(construct)
            fig = likert.plot_likert_items(
                data,
                items,
                ids,
                min_cell=report.min_cell,
                item_labels=_item_labels(study, ids),
                title=report.title(label),
                wrap=60,
            )
            _hide_small_dk_counts(fig, report.min_cell)
            section.add(
                _figure(
                    report,
                    fig,
                    f"likert-{_figure_id(construct)}",
                    f"{label}: answers to each statement (% of those who gave a rating) — "
                    f"{report.site_label}.",
                )
            )
        if survey.CONFIDENCE_ITEM in survey.item_info(items):
            section.add(
                "The outcome of the models below: how confident respondents feel sharing "
                "information about a father or significant man with another agency (CONF1), "
                f"by {BY_PHRASES[group_by]}."
            )
            fig, _ = _group_chart(
                study,
                data,
                survey.CONFIDENCE_ITEM,
                group_by,
                report.min_cell,
                report.title(f"Confidence to share (CONF1) by {BY_PHRASES[group_by]}"),
            )
            if fig is None:
                section.add(
                    f"*No {BY_PHRASES[group_by]} has {report.min_cell} or more ratings of CONF1 "
                    f"at {report.site_label}, so the chart is not drawn.*"
                )
                return section
            section.add(
                _figure(
                    report,
                    fig,
                    f"confidence-by-{_figure_id(group_by)}",
                    f"Confidence to share information about a father (CONF1) by "
                    f"{BY_PHRASES[group_by]}; groups with fewer than {report.min_cell} "
                    "ratings, or hidden so that a smaller group cannot be worked out, are not "
                    f"drawn — {report.site_label}.",
                )
            )
    return section


def _published_groups(
    data: pd.DataFrame,
    items: pd.DataFrame,
    item_id: str,
    by: str,
    order: Sequence[str],
    min_cell: int,
) -> tuple[list[str], list[str]]:
    """Return (groups to draw, groups hidden) for one item's bars by group.

    A group is drawn only if its number of ratings survives small-cell suppression with the
    total assumed known, so that no hidden group's n can be worked out from the bars drawn.
    """
    from srim_analysis import disclosure
    from srim_analysis.charts import likert

    counts = likert.level_counts(data, items, [item_id], by=by).loc[item_id]["n"]
    counts.index = counts.index.astype(str)
    present = [k for k in order if k in counts.index]
    table = pd.DataFrame(
        {"group": [f"g{k}" for k in present], "n": [int(counts[k]) for k in present]}
    )
    published = disclosure.publishable(table, min_cell, count_columns=["n"])["n"].tolist()
    shown = [
        k
        for k, n in zip(present, published, strict=True)
        if str(n) != SUPPRESSION_MARK and int(n) > 0
    ]
    hidden = [k for k, n in zip(present, published, strict=True) if str(n) == SUPPRESSION_MARK]
    return shown, hidden


def _group_chart(
    study: Study,
    data: pd.DataFrame,
    item_id: str,
    by: str,
    min_cell: int,
    title: str,
    ax: Any = None,
) -> tuple[Figure | None, list[str]]:
    """Draw one item as diverging bars by group (published groups only); name the hidden ones."""
    from srim_analysis.charts import likert

    keys = _group_keys(study, data, by)
    order = [k for k in _group_order(study, by, keys) if k != NOT_RECORDED]
    labels = {k: _group_label(study, by, k) for k in order}
    shown, hidden = _published_groups(data, study.survey_items, item_id, by, order, min_cell)
    names = [labels[k] for k in hidden]
    if not shown:
        return None, names
    fig = likert.plot_likert_by_group(
        data,
        study.survey_items,
        item_id,
        by=by,
        group_order=shown,
        group_labels=labels,
        ax=ax,
        min_cell=min_cell,
        title=title,
    )
    _hide_small_dk_counts(fig, min_cell)
    if names and ax is None:
        fig.supxlabel(_hidden_note(names, min_cell), x=0.01, ha="left", fontsize=8, style="italic")
    return fig, names


def _hidden_note(names: Sequence[str], min_cell: int) -> str:
    text = (
        f"Not shown (fewer than {min_cell} ratings, or hidden so that a smaller group cannot be "
        "worked out): " + ", ".join(names) + "."
    )
    return textwrap.fill(text, 100)


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


def reliability_tables(
    study: Study,
    site: str = ALL,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    nan_policy: survey.NanPolicy = "pairwise",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (reliability per construct, statistics per item), ready to publish.

    Reliability: ``construct``, ``label``, ``alpha`` with its 95% interval, ``omega_total``,
    ``items`` (how many), ``n_respondents`` (the n behind alpha and its interval),
    ``nan_policy`` and ``note``. Items: per statement its ``n``, mean, SD,
    corrected item-total correlation and alpha if deleted, with a ``flag`` in words.
    """
    constructs = _check_constructs(study, constructs)
    rel, stats = survey.construct_reliability(
        _responses(study, site), study.survey_items, constructs, nan_policy=nan_policy
    )
    rel = rel.reset_index()
    rel.insert(1, "label", rel["construct"].map(_construct_label))
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


def _reliability_sentence(rel: pd.DataFrame) -> str:
    rated = rel[rel["alpha"].notna()]
    low = rated[rated["alpha"] < 0.7]
    unsure = rated[(rated["alpha"] >= 0.7) & (rated["ci_low"] < 0.7)]
    parts = [
        "Cronbach's alpha measures how consistently a construct's statements are answered; "
        "0.70 or more is usually taken as acceptable. The 95% interval (Feldt) shows how "
        "precisely it is known; omega is a second estimate that does not assume every "
        "statement weighs the same. Missing answers are handled pairwise: every pair of "
        "statements a respondent answered is used."
    ]
    if len(rated) and low.empty and unsure.empty:
        parts.append(f"All {len(rated)} scales reach 0.70, with intervals above it.")
    if len(low):
        parts.append(
            "Below 0.70: "
            + ", ".join(f"{r.label} ({_fmt(r.alpha)})" for r in low.itertuples())
            + ": read their scale scores with caution."
        )
    if len(unsure):
        parts.append(
            "At or above 0.70 but with an interval reaching below it: "
            + ", ".join(f"{r.label} ({_fmt(r.alpha)})" for r in unsure.itertuples())
            + "."
        )
    not_rated = rel[rel["alpha"].isna()]
    if len(not_rated):
        parts.append(
            "Not estimated: "
            + ", ".join(f"{r.label} ({r.note})" for r in not_rated.itertuples())
            + "."
        )
    return " ".join(parts)


def show_reliability(report: Report, constructs: Sequence[str] = DEFAULT_CONSTRUCTS) -> Section:
    """Publish and return the reliability of each scale and the statistics of its items."""
    skip = _skip(report.study, report.site, "reliability table")
    if skip:
        return skip
    rel, stats = reliability_tables(report.study, report.site, constructs)
    section = Section([_reliability_sentence(rel)])
    where = report.site_label
    _publish(
        report,
        section,
        rel,
        "reliability",
        f"Reliability of each scale: Cronbach's alpha with 95% interval, omega, n — {where}",
        ["n_respondents"],
        not_counts=["items"],
    )
    flagged = stats[stats["flag"] != ""]
    section.add(
        "Each statement: its mean (reverse-scored statements recoded), the correlation with "
        "the rest of its scale (below 0.30 is weak) and the scale's alpha without it."
        + (
            f" {len(flagged)} statement(s) are flagged: "
            + "; ".join(f"{r.item} ({r.flag})" for r in flagged.itertuples())
            + "."
            if len(flagged)
            else " No statement is flagged."
        )
    )
    _publish(
        report,
        section,
        stats,
        "item_statistics",
        f"Item statistics: n, mean, SD, corrected item-total r, alpha if deleted — {where}",
        ["n"],
        depends={c: ("n",) for c in ("mean", "sd", "item_total_r", "alpha_if_deleted")},
    )
    return section


# ---------------------------------------------------------------------------
# Scale scores by group
# ---------------------------------------------------------------------------


def _scores(
    study: Study, site: str, constructs: Sequence[str], min_items_answered: survey.MinAnswered
) -> pd.DataFrame:
    return survey.scale_scores(
        _responses(study, site), study.survey_items, min_items_answered, list(constructs)
    )


def scoring_table(
    study: Study,
    site: str = ALL,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    min_items_answered: survey.MinAnswered = 0.5,
) -> pd.DataFrame:
    """Return per construct who got a scale score and who did not (and why), with the total.

    Tidy: one row per construct and ``scored`` (``yes``, ``no: too few items rated``, ``no:
    no item rated``, then ``All``), counted in ``respondents``.
    """
    constructs = _check_constructs(study, constructs)
    rep = survey.scale_score_report(
        _responses(study, site), study.survey_items, min_items_answered, constructs
    )
    parts = {
        "n_scored": "yes",
        "n_failed_rule": "no: too few items rated",
        "n_no_items_answered": "no: no item rated",
        "n_respondents": TOTAL,
    }
    rows = [
        {
            "construct": _construct_label(c),
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
    site: str = ALL,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
) -> pd.DataFrame:
    """Return each construct's scale score per group: n, mean, SD, median and quartiles.

    One row per construct and group, then an ``All`` row per construct (everyone with a
    score). Scores are on the items' scale (1 to 5), reverse-scored items recoded.
    """
    constructs = _check_constructs(study, constructs)
    _check_by(by)
    data = _responses(study, site)
    scores = _scores(study, site, constructs, min_items_answered)
    keys = _group_keys(study, data, by)
    keys.index = scores.index
    order = _group_order(study, by, keys)
    rows = []
    for construct in constructs:
        col = scores[construct]
        for key in [*order, TOTAL]:
            values = col.dropna() if key == TOTAL else col[(keys == key).to_numpy()].dropna()
            n = len(values)
            rows.append(
                {
                    "construct": _construct_label(construct),
                    by: TOTAL if key == TOTAL else _group_label(study, by, key),
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


SCORE_DEPENDS: dict[str, tuple[str, ...]] = {
    c: ("n",) for c in ("mean", "sd", "median", "q1", "q3")
}


def group_tests(
    study: Study,
    site: str = ALL,
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
    from srim_analysis import disclosure

    constructs = _check_constructs(study, constructs)
    _check_by(by)
    data = _responses(study, site)
    scores = _scores(study, site, constructs, min_items_answered)
    summary = disclosure.publishable(
        score_summary(study, site, constructs, by, min_items_answered),
        min_cell,
        count_columns=["n"],
        depends=SCORE_DEPENDS,
    )
    labels = _group_keys(study, data, by).map(lambda k: _group_label(study, by, k))
    tables = []
    for construct in constructs:
        rows = summary[(summary["construct"] == _construct_label(construct))]
        hidden = [g for g, n in zip(rows[by], rows["n"], strict=True) if str(n) == SUPPRESSION_MARK]
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
            "construct": table["construct"].map(_construct_label),
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


def _tests_sentence(tests: pd.DataFrame, by: str) -> str:
    tested = tests[tests["test"] != "not tested"]
    what = BY_PHRASES[by]
    if tested.empty:
        reason = tests["note"].iloc[0] if len(tests) else "no scale scores"
        return f"No test by {what} could be run here: {reason}."
    clear = tested[tested["p_holm"] < 0.05]
    text = (
        f"{len(tested)} construct(s) tested by {what} "
        f"({tested['test'].iloc[0]}; p-values Holm-adjusted across the constructs). "
    )
    if clear.empty:
        return text + "None differs clearly between the groups (every adjusted p is 0.05 or more)."
    parts = [
        f"{r.construct} (adjusted p = {r.p_holm:.3g}, {r.effect_measure.split(' (')[0]} "
        f"{r.effect_size:.2f})"
        for r in clear.itertuples()
    ]
    return text + "Scores differ by " + what + " for: " + "; ".join(parts) + "."


def show_group_tests(
    report: Report,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    group_by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
) -> Section:
    """Publish and return scale scores by group, who was scored, and the group tests."""
    skip = _skip(report.study, report.site, "comparison of scale scores")
    if skip:
        return skip
    study, site, where = report.study, report.site, report.site_label
    _check_by(group_by)
    scoring = scoring_table(study, site, constructs, min_items_answered)
    need = scoring["items_needed"].astype(str) + " of " + scoring["items"].astype(str)
    section = Section(
        [
            "A respondent's scale score is the mean of the statements they rated "
            "(reverse-scored ones recoded, so higher is always more favourable; don't know "
            "and not applicable left out), given only when they rated enough of the "
            f"construct's statements (here: {', '.join(sorted(set(need)))}). Nobody is dropped "
            "silently: the first table counts who was not scored and why."
        ]
    )
    _publish(
        report,
        section,
        scoring,
        "scoring",
        f"Who received a scale score for each construct, and why not — {where}",
        ["respondents"],
        view=lambda p: _wide(p, ["construct"], "scored", "respondents"),
        not_counts=["items", "items_needed"],
    )
    section.add(
        f"Mean scale score (n) by {BY_PHRASES[group_by]}; the published table adds the "
        "SD, median and quartiles."
    )
    _publish(
        report,
        section,
        score_summary(study, site, constructs, group_by, min_items_answered),
        f"scores_by_{group_by}",
        f"Scale scores (1-5) by {BY_PHRASES[group_by]}: n, mean, SD, median and "
        f"quartiles — {where}",
        ["n"],
        depends=SCORE_DEPENDS,
        view=lambda p: _score_view(p, group_by),
    )
    tests = group_tests(study, site, constructs, group_by, min_items_answered, report.min_cell)
    section.add(_tests_sentence(tests, group_by))
    _publish(
        report,
        section,
        tests,
        f"group_tests_{group_by}",
        f"Do scale scores differ by {BY_PHRASES[group_by]}? Kruskal-Wallis or "
        f"Mann-Whitney tests with effect sizes, Holm-adjusted across constructs — {where}",
        ["n"],
        not_counts=["groups_compared"],
    )
    return section


def _score_view(published: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return a wide display view (groups x constructs, 'mean (n)') of published cells."""

    def cell(mean: object, n: object) -> str:
        if isinstance(n, str) and n == SUPPRESSION_MARK:
            return SUPPRESSION_MARK
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


# ---------------------------------------------------------------------------
# The ordinal model of confidence and its linear sensitivity analysis
# ---------------------------------------------------------------------------


@dataclass
class ModelOutcome:
    """A fitted model, or the sentence saying why it was not estimated."""

    result: survey.ModelResult | None
    reason: str
    factors: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    where: str = "All sites"

    @property
    def estimated(self) -> bool:
        """Return True when the model was fitted."""
        return self.result is not None


#: Fitted models, so that the model, sensitivity and summary sections fit each once. Kept
#: small: a warm kernel runs one site after another.
_CACHE: dict[tuple[Any, ...], ModelOutcome] = {}
_CACHE_SIZE = 4


def _prepare_factors(
    data: pd.DataFrame,
    items: pd.DataFrame,
    factors: Sequence[str],
    single_site: bool,
    min_cell: int,
    min_per_term: int,
) -> tuple[pd.DataFrame, list[str], list[str], str]:
    """Return (responses with small levels pooled, factors kept, notes, reason if none).

    Categorical levels with fewer than ``min_cell`` respondents in the model are pooled
    (their estimate would describe a handful of people); a factor whose pooled level is
    still that small is left out. Then, while there are fewer than ``min_per_term``
    respondents per estimated term, the categorical factor with most levels is left out.
    """
    data = data.copy()
    notes: list[str] = []
    pooling: dict[str, str] = {}
    factors = list(factors)
    if single_site and "site_id" in factors:
        factors.remove("site_id")
        notes.append("A single site's model leaves out the site factor.")
    missing = [f for f in factors if f not in data.columns]
    if missing:
        raise ValueError(f"survey_responses has no column(s) {', '.join(missing)} (model factors).")
    rated = survey.numeric_items(data, items, [survey.CONFIDENCE_ITEM])[survey.CONFIDENCE_ITEM]
    rated_mask = rated.notna().to_numpy()
    numeric = set(survey._NUMERIC_FACTORS)

    def complete(fs: Sequence[str]) -> np.ndarray:
        mask = rated_mask.copy()
        for f in fs:
            mask &= data[f].notna().to_numpy()
        return mask

    def terms(fs: Sequence[str], mask: np.ndarray) -> int:
        k = 0
        for f in fs:
            values = data.loc[mask, f]
            if f in numeric or pd.api.types.is_numeric_dtype(values):
                k += int(values.nunique() > 1)
            else:
                k += max(values.nunique() - 1, 0)
        return k

    for f in [f for f in factors if f in numeric]:
        values = pd.to_numeric(data.loc[complete(factors), f], errors="coerce")
        counts = values.value_counts()
        if set(counts.index) <= {0, 1} and len(counts) == 2 and counts.min() < min_cell:
            factors.remove(f)
            notes.append(
                f"{survey.FACTOR_LABELS.get(f, f)} is left out: fewer than {min_cell} "
                "respondents in the model are on one side of it."
            )
    categorical = [f for f in factors if f not in numeric]
    for f in list(categorical):
        mask = complete(factors)
        counts = data.loc[mask, f].astype(str).value_counts()
        small = sorted(counts[counts < min_cell].index)
        if not small:
            continue
        pooled = int(counts[small].sum())
        label = survey.FACTOR_LABELS.get(f, f)
        if pooled < min_cell or len(counts) - len(small) < 1:
            factors.remove(f)
            categorical.remove(f)
            notes.append(
                f"{label} is left out: some of its groups have fewer than {min_cell} "
                "respondents in the model, even pooled."
            )
            continue
        data[f] = data[f].astype(object).where(~data[f].astype(str).isin(small), OTHER)
        names = ", ".join(survey._level_label(f, s) for s in small)
        pooling[f] = (
            f"{label}: groups with fewer than {min_cell} respondents in the model are pooled "
            f"as '{_OTHER_LABELS.get(f, 'other (pooled)')}' ({names})."
        )
    mask = complete(factors)
    while categorical and mask.sum() < min_per_term * terms(factors, mask):
        widest = max(categorical, key=lambda f: data.loc[mask, f].nunique())
        factors.remove(widest)
        categorical.remove(widest)
        notes.append(
            f"{survey.FACTOR_LABELS.get(widest, widest)} is left out: with "
            f"{int(mask.sum())} respondents in the model there are too few for its "
            f"{data.loc[mask, widest].nunique()} groups (about {min_per_term} respondents "
            "are needed per estimated term)."
        )
        mask = complete(factors)
    notes += [text for f, text in pooling.items() if f in factors]
    reason = ""
    k = terms(factors, mask)
    if k == 0:
        reason = "no factor varies among the respondents"
    elif mask.sum() < min_per_term * k:
        reason = (
            f"only {int(mask.sum())} respondents answered CONF1 and every factor, and about "
            f"{min_per_term} are needed for each of the {k} estimated terms (at least "
            f"{min_per_term * k})"
        )
    return data, factors, notes, reason


def _fit(
    kind: str,
    study: Study,
    site: str,
    factors: Sequence[str] | None,
    min_cell: int,
    min_per_term: int,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ModelOutcome:
    chosen = tuple(factors) if factors is not None else survey.DEFAULT_FACTORS
    where = study.site_label(site)
    key = (
        kind,
        study.fingerprint,
        str(study.folder),
        site,
        chosen,
        min_cell,
        min_per_term,
        str(min_items_answered),
    )
    if key in _CACHE:
        return _CACHE[key]
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    if not has_survey(study):
        outcome = ModelOutcome(None, "this study folder has no survey", chosen, where=where)
        _CACHE[key] = outcome
        return outcome
    data = _responses(study, site)
    single = site not in (None, "", ALL) or data["site_id"].nunique() < 2
    items = study.survey_items
    prepared, kept, notes, reason = _prepare_factors(
        data, items, chosen, single, min_cell, min_per_term
    )
    outcome = ModelOutcome(None, reason, tuple(kept), notes, where)
    if not reason:
        labels: dict[str, dict[str, str]] = {"site_id": _site_names(study)}
        for f, text in _OTHER_LABELS.items():
            labels.setdefault(f, {})[OTHER] = text
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    if kind == "ordinal":
                        result = survey.fit_confidence_model(
                            prepared, items, factors=kept, level_labels=labels
                        )
                    else:
                        result = survey.fit_scale_ols(
                            prepared,
                            items,
                            construct=survey.CONFIDENCE_CONSTRUCT,
                            factors=kept,
                            level_labels=labels,
                            min_items_answered=min_items_answered,
                        )
        except (ValueError, np.linalg.LinAlgError) as err:
            outcome.reason = str(err).rstrip(".")
        else:
            est = result.estimates
            wild = ~np.isfinite(est[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float))
            if kind == "ordinal":
                wild |= est[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float) > 1e3
            if wild.any():
                outcome.reason = (
                    "some estimates have no upper bound (a group of respondents all gave the "
                    "same answer), so the model cannot be trusted"
                )
            else:
                outcome.result = result
    _CACHE[key] = outcome
    return outcome


def confidence_model(
    study: Study,
    site: str = ALL,
    factors: Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    min_per_term: int = MIN_PER_TERM,
) -> ModelOutcome:
    """Return the ordinal (proportional-odds) model of CONF1 for one site or all, or why not.

    Factors default to :data:`srim_analysis.analyses.survey.DEFAULT_FACTORS`; a single site's model
    drops the site factor. Groups of a categorical factor with fewer than ``min_cell``
    respondents in the model are pooled; categorical factors are left out (widest first)
    until there are about ``min_per_term`` respondents per estimated term. When even the
    main factors (training, having read the advice, manager support) cannot be estimated,
    or the fit fails, ``result`` is None and ``reason`` says why in words.
    """
    return _fit("ordinal", study, site, factors, min_cell, min_per_term)


def ols_model(
    study: Study,
    site: str = ALL,
    factors: Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    min_per_term: int = MIN_PER_TERM,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ModelOutcome:
    """Return the linear (OLS, HC3) model of the confidence score, the sensitivity analysis."""
    return _fit("ols", study, site, factors, min_cell, min_per_term, min_items_answered)


def _estimates_view(published: pd.DataFrame) -> pd.DataFrame:
    """Return the published estimates without the technical ``term`` / ``factor`` columns."""
    return published.drop(columns=["term", "factor"])


def model_table(result: survey.ModelResult) -> pd.DataFrame:
    """Return the model's estimates, ready to publish: one row per term with its interval."""
    est = result.estimates.reset_index()
    measure = "odds_ratio" if result.effect_measure == "odds ratio" else "difference"
    out = pd.DataFrame(
        {
            "term": est["term"],
            "factor": est["factor"],
            "label": est["label"],
            measure: est["estimate"].round(3),
            "ci_low": est["ci_low"].round(3),
            "ci_high": est["ci_high"].round(3),
            "p_value": est["p_value"].round(4),
            "n_level": est["n_level"].astype("Int64"),
        }
    )
    return out


def dropped_table(result: survey.ModelResult) -> pd.DataFrame:
    """Return who was in the model and who was left out (and why), with the total."""
    rows = [(r.reason, int(r.n)) for r in result.dropped.itertuples()]
    rows.append(("used in the model", result.n_used))
    rows.append((TOTAL, result.n_total))
    return pd.DataFrame(rows, columns=["group", "n"])


def missing_data_sentence(published: pd.DataFrame, min_cell: int) -> str:
    """Return the complete-case statement from a published :func:`dropped_table`."""
    rows = dict(zip(published["group"], published["n"], strict=True))
    used = _count_text(rows.pop("used in the model"), min_cell)
    total = _count_text(rows.pop(TOTAL), min_cell)
    text = f"Complete-case analysis: {used} of {total} respondents used."
    reasons = [f"{_count_text(n, min_cell)} {g}" for g, n in rows.items() if str(n) != "0"]
    if reasons:
        text += " Left out, in this order: " + "; ".join(reasons) + "."
    return text


def predicted_answers(result: survey.ModelResult) -> pd.DataFrame | None:
    """Return the model's predicted % of each CONF1 answer for trained and untrained staff.

    Everything else is held at a typical value: not having read the advice, the median
    manager support and the reference group of every categorical factor. It reads the
    thresholds and the training odds ratio on the original answer scale.
    """
    if result.thresholds is None or "trained_2024" not in result.estimates.index:
        return None
    fit = result.fit
    exog = np.asarray(fit.model.exog)
    names = list(fit.model.exog_names)[: exog.shape[1]]
    base = np.zeros(len(names))
    for i, name in enumerate(names):
        if name == "manager_support":
            base[i] = float(np.median(exog[:, i]))
    rows = []
    levels = [result.thresholds["below"].iloc[0], *result.thresholds["above"]]
    for value, label in ((0.0, "Not trained on the 2024 advice"), (1.0, "Trained")):
        x = base.copy()
        x[names.index("trained_2024")] = value
        probs = np.asarray(fit.model.predict(fit.params, exog=x[None, :]))[0]
        rows.append(
            {
                "profile": label,
                **{lv: round(100 * p, 1) for lv, p in zip(levels, probs, strict=True)},
            }
        )
    return pd.DataFrame(rows)


def _model_skip(report: Report, outcome: ModelOutcome, what: str) -> Section | None:
    skip = _skip(report.study, report.site, what)
    if skip:
        return skip
    if outcome.estimated:
        return None
    notes = " ".join(outcome.notes)
    return Section(
        [
            f"**The {what} is not estimated for {outcome.where}:** {outcome.reason}. "
            + (f"{notes} " if notes else "")
            + 'Run the notebook for all sites (`site = "all"`) for the model; the '
            "charts and tables above still describe this site's answers."
        ]
    )


def show_model(report: Report, factors: Sequence[str] | None = None) -> Section:
    """Publish and return the ordinal model of CONF1: odds ratios, thresholds, checks, plot."""
    outcome = confidence_model(report.study, report.site, factors, report.min_cell)
    skip = _model_skip(report, outcome, "ordinal model of confidence")
    if skip:
        return skip
    result = outcome.result
    assert result is not None
    where = report.site_label
    pct = round(result.conf_level * 100)
    section = Section(
        [
            f"An ordinal (proportional-odds) logistic regression of the answer to CONF1 "
            f"(*{result.outcome_label}*). An odds ratio above 1 means higher odds of a more "
            f"confident answer; each has a {pct}% confidence interval. Yes/no factors compare "
            "yes with no, manager support is per point on its 1-5 scale, and each group of a "
            "categorical factor is compared with the reference group named in its label."
            + (" " + " ".join(outcome.notes) if outcome.notes else "")
        ]
    )
    _publish(
        report,
        section,
        model_table(result),
        "model_odds_ratios",
        f"Ordinal model of confidence (CONF1): odds ratios with {pct}% CI — {where}",
        ["n_level"],
        view=_estimates_view,
    )
    dropped = report.table(
        dropped_table(result),
        "model_missing_data",
        f"Respondents in the ordinal model and those left out, by reason — {where}",
        count_columns=["n"],
    )
    section.tables["model_missing_data"] = dropped
    section.add(missing_data_sentence(dropped, report.min_cell))
    section.add(
        _figure(
            report,
            survey.forest_plot(result, title=report.title("Odds ratios for confidence (CONF1)")),
            "forest-ordinal-model",
            f"Odds ratios (log scale) with {pct}% confidence intervals from the ordinal model of "
            f"CONF1; the dashed line marks no difference — {where}.",
        )
    )
    thresholds = result.thresholds
    if thresholds is not None:
        section.add(
            "**Thresholds.** The model places a cut point between each pair of neighbouring "
            "answers on the log-odds scale, for a respondent in every reference group with "
            "zero on the numeric factors; they are named by the answers they separate."
        )
        table = thresholds.reset_index().rename(columns={"threshold": "log_odds"})
        table[["log_odds", "ci_low", "ci_high"]] = table[["log_odds", "ci_low", "ci_high"]].round(3)
        _publish(
            report,
            section,
            table,
            "model_thresholds",
            f"Ordinal model thresholds between neighbouring CONF1 answers (log-odds, {pct}% CI)"
            f" — {where}",
            [],
        )
    predicted = predicted_answers(result)
    if predicted is not None:
        section.add(
            "On the original answer scale: the predicted share of each answer for a respondent "
            "who has not read the advice, with median manager support, in every reference "
            "group, trained and not trained."
        )
        _publish(
            report,
            section,
            predicted,
            "model_predicted_answers",
            f"Predicted % of each CONF1 answer, not trained vs trained (others typical) — {where}",
            [],
        )
    section.add(_po_sentence(result))
    if result.proportional_odds is not None:
        po = result.proportional_odds.reset_index()
        labels = result.estimates["label"].to_dict()
        po.insert(1, "label", [labels.get(t, t) for t in po["term"]])
        po["chi2"] = po["chi2"].round(2)
        po["p_value"] = po["p_value"].round(4)
        _publish(
            report,
            section,
            po,
            "model_proportional_odds",
            f"Proportional-odds check (Brant test) per factor and overall — {where}",
            [],
            not_counts=["df"],
        )
    other = [n for n in result.notes if "Brant" not in n]
    if other:
        section.add("Notes on the fit: " + " ".join(other))
    return section


def _po_sentence(result: survey.ModelResult) -> str:
    po = result.proportional_odds
    method = result.proportional_odds_method
    if po is None or not len(po):
        why = " ".join(n for n in result.notes if "Brant" in n)
        return (
            "**Proportional-odds check.** The Brant test could not be computed for these "
            f"data{': ' + why if why else ''}. The odds ratios are then averages whose "
            "constancy across the scale is unchecked."
        )
    omni = po.iloc[0]
    verdict = (
        "suggests that some effects differ across the answer scale: read those odds ratios "
        "as averages across the scale"
        if omni["p_value"] < 0.05
        else "finds no clear sign that effects differ across the answer scale"
    )
    flagged = [
        result.estimates["label"].get(t, t) for t, p in po["p_value"].iloc[1:].items() if p < 0.05
    ]
    text = (
        f"**Proportional-odds check.** The model assumes each factor shifts every answer "
        f"threshold by the same amount. The Brant test (overall p = {omni['p_value']:.3f}) "
        f"{verdict}."
    )
    if flagged:
        text += " Factors flagged (p < 0.05): " + "; ".join(flagged) + "."
    extra = [n for n in result.notes if "Brant" in n]
    if extra:
        text += " " + " ".join(extra)
    how = method.split(" Checked on a reduced model")[0]
    return text + f" (Method: {how})"


def show_ols(
    report: Report,
    factors: Sequence[str] | None = None,
    min_items_answered: survey.MinAnswered = 0.5,
) -> Section:
    """Publish and return the linear sensitivity analysis, compared with the ordinal model."""
    outcome = ols_model(
        report.study, report.site, factors, report.min_cell, min_items_answered=min_items_answered
    )
    skip = _model_skip(report, outcome, "linear sensitivity model")
    if skip:
        return skip
    result = outcome.result
    assert result is not None
    where = report.site_label
    pct = round(result.conf_level * 100)
    section = Section(
        [
            "The same factors in a linear regression of CONF1 treated as a score from 1 to 5 "
            "(HC3 robust standard errors). The estimates are differences in mean score; a "
            "result that holds in both models does not depend on how the answer scale is "
            "treated. " + _agreement(report, result, factors)
        ]
    )
    _publish(
        report,
        section,
        model_table(result),
        "ols_differences",
        f"Linear sensitivity model of confidence (CONF1): differences in mean score with {pct}% "
        f"CI — {where}",
        ["n_level"],
        view=_estimates_view,
    )
    if result.notes:
        section.add("Notes on the fit: " + " ".join(result.notes))
    return section


def _agreement(report: Report, ols: survey.ModelResult, factors: Sequence[str] | None) -> str:
    ordinal = confidence_model(report.study, report.site, factors, report.min_cell)
    if not ordinal.estimated:
        return ""
    assert ordinal.result is not None
    o, lin = ordinal.result.estimates, ols.estimates
    clear = o[(o["ci_low"] > 1) | (o["ci_high"] < 1)]
    if clear.empty:
        return "In the ordinal model no factor's interval excluded no difference."
    same = [
        t
        for t in clear.index
        if t in lin.index
        and (
            (lin.at[t, "ci_low"] > 0) if clear.at[t, "estimate"] > 1 else (lin.at[t, "ci_high"] < 0)
        )
    ]
    text = (
        f"Of the {len(clear)} term(s) whose ordinal interval excluded no difference, "
        f"{len(same)} also do so here, in the same direction"
    )
    differ = [clear.at[t, "label"] for t in clear.index if t not in same]
    if differ:
        text += "; not: " + "; ".join(differ)
    return text + "."


# ---------------------------------------------------------------------------
# What the qualitative codes add
# ---------------------------------------------------------------------------


def _site_part(frame: pd.DataFrame, site: str) -> pd.DataFrame:
    if site in (None, "", ALL):
        return frame
    return frame[frame["site_id"] == site]


def barrier_table(study: Study, site: str = ALL, by: str = "agency") -> pd.DataFrame:
    """Return per barrier / facilitator and group how many participants raised it.

    One row per code and group (``by``: a column of ``participants``, e.g. agency or
    role) and an ``All`` row per code: ``n_participants`` who raised the code (or a code
    under it) and ``pct_participants``, their share of the group's participants. Codes are
    in codebook order (the "any barrier" / "any facilitator" row first), never by their
    counts, so that the order gives nothing away about suppressed counts. Documents and
    observation notes are not participants and are not counted.
    """
    people = _site_part(study.participants, site)
    segments = _site_part(study.coded_segments, site)
    counts = survey.barrier_facilitator_counts(segments, study.codebook, people, by=by)
    if counts.empty:
        return pd.DataFrame(columns=["branch", "code", by, "n_participants", "pct_participants"])
    counts = counts[counts[by] != survey.UNATTRIBUTED].copy()
    parents = set(study.codebook.loc[study.codebook["parent_id"].isna(), "code_id"].astype(str))
    position = {c: i for i, c in enumerate(study.codebook["code_id"].astype(str))}
    counts["_parent"] = ~counts["code_id"].isin(parents)
    counts["_code"] = counts["code_id"].map(position)
    counts["_last"] = counts[by] == TOTAL
    order = [k for k in _order_keys(by, counts[by]) if k != TOTAL]
    counts["_group"] = counts[by].map({k: i for i, k in enumerate(order)}).fillna(len(order))
    counts = counts.sort_values(["branch", "_parent", "_code", "_last", "_group"])
    branch_names = {"barriers": "Barrier", "facilitators": "Facilitator"}
    out = pd.DataFrame(
        {
            "branch": counts["branch"].map(branch_names).fillna(counts["branch"]),
            "code": [
                ("Any " + branch_names.get(b, b).lower()) if c in parents else lab
                for b, c, lab in zip(
                    counts["branch"], counts["code_id"], counts["label"], strict=True
                )
            ],
            by: counts[f"{by}_label"],
            "n_participants": counts["n_participants"].astype(int),
            "pct_participants": counts["pct_participants"].round(1),
        }
    )
    return out.reset_index(drop=True)


def _order_keys(by: str, keys: Iterable[str]) -> list[str]:
    reference = {"agency": list(AGENCIES), "role": list(ROLES)}.get(by, [])
    present = set(keys)
    return [k for k in reference if k in present] + sorted(present - set(reference))


def top_barrier_quotes(
    study: Study,
    site: str = ALL,
    n_barriers: int = TOP_BARRIERS,
    per_barrier: int = QUOTES_PER_BARRIER,
    min_cell: int = DEFAULT_MIN_CELL,
) -> pd.DataFrame:
    """Return one or two redacted, pseudonymously attributed quotes per most-raised barrier.

    The barriers are those raised by most participants (ties: codebook order). Quotes are
    chosen reproducibly from interviews and focus groups and redacted with
    :func:`srim_analysis.disclosure.redact` using ``<study folder>/identifiers.csv`` when
    it exists; the attribution is role, agency, site name and method - never an id or name.
    Barriers raised by fewer than ``min_cell`` participants get no quote.
    """
    from srim_analysis.analyses import qualitative

    table = barrier_table(study, site)
    cols = ["barrier", "participants", "quote", "attribution"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    parents = set(study.codebook.loc[study.codebook["parent_id"].isna(), "code_id"].astype(str))
    book = study.codebook[study.codebook["branch"] == "barriers"]
    label_to_code = {
        lab: c
        for c, lab in zip(book["code_id"].astype(str), book["label"], strict=True)
        if c not in parents
    }
    totals = table[(table["branch"] == "Barrier") & (table["agency"] == TOTAL)]
    totals = totals[totals["code"].isin(label_to_code)]
    totals = totals[totals["n_participants"] >= min_cell]
    totals = totals.sort_values("n_participants", ascending=False, kind="stable").head(n_barriers)
    if totals.empty:
        return pd.DataFrame(columns=cols)
    coded = qualitative.coded_frame(
        study.coded_segments,
        study.tables.get("participants"),
        study.codebook,
        study.tables.get("sites"),
        site,
    )
    codes = [label_to_code[c] for c in totals["code"]]
    quotes = qualitative.choose_quotes(
        coded,
        codes=codes,
        per_code=per_barrier,
        identifiers=qualitative.study_identifiers(study.folder),
        min_group=min_cell,
    )
    raised = dict(zip(totals["code"], totals["n_participants"], strict=True))
    rows = []
    for code in codes:
        label = book.loc[book["code_id"].astype(str) == code, "label"].iloc[0]
        for q in quotes[quotes["code_id"] == code].itertuples():
            rows.append(
                {
                    "barrier": label,
                    "participants": int(raised[label]),
                    "quote": q.quote,
                    "attribution": q.attribution,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def _ranked(published: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return the published ``All`` rows: per branch the "any" row, then most raised first.

    Ranked on the *published* counts: suppressed ones follow, in codebook order.
    """
    totals = published[published[by] == TOTAL].copy()
    totals["raised"] = pd.to_numeric(totals["n_participants"], errors="coerce")
    totals["_any"] = ~totals["code"].str.startswith("Any ")
    totals["_rank"] = -totals["raised"].fillna(-1)
    return totals.sort_values(["branch", "_any", "_rank"], kind="stable").drop(
        columns=["_any", "_rank"]
    )


def _barrier_view(published: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return codes x groups of the published participant counts, 'All' with its %."""
    view = published.copy()

    def total_cell(n: object, pct: object) -> str:
        if isinstance(n, str) and n == SUPPRESSION_MARK:
            return SUPPRESSION_MARK
        return f"{n} ({float(pct):.0f}%)"  # type: ignore[arg-type]

    totals = view[view[by] == TOTAL]
    wide = view[view[by] != TOTAL].pivot(
        index=["branch", "code"], columns=by, values="n_participants"
    )
    order = list(dict.fromkeys(view.loc[view[by] != TOTAL, by]))
    ranked = _ranked(published, by)
    keys = list(zip(ranked["branch"], ranked["code"], strict=True))
    wide = wide.reindex(index=pd.MultiIndex.from_tuples(keys, names=["branch", "code"]))[order]
    wide["All (% of participants)"] = [
        total_cell(n, p)
        for n, p in zip(
            totals.set_index(["branch", "code"]).reindex(wide.index)["n_participants"],
            totals.set_index(["branch", "code"]).reindex(wide.index)["pct_participants"],
            strict=True,
        )
    ]
    wide = wide.reset_index()
    wide.columns.name = None
    return wide


def _barrier_figure(published: pd.DataFrame, title: str, min_cell: int) -> Figure:
    """Return bars of the % of participants raising each barrier and facilitator (all groups)."""
    import matplotlib.pyplot as plt

    from srim_analysis.charts.style import FULL_WIDTH_IN, MUTED, PALETTE, use_house_style

    use_house_style()
    totals = _ranked(published, str(published.columns[2]))
    panels = [b for b in ("Barrier", "Facilitator") if (totals["branch"] == b).any()]
    sizes = [int((totals["branch"] == b).sum()) for b in panels]
    fig = plt.figure(
        figsize=(FULL_WIDTH_IN, 1.4 + 0.32 * sum(sizes) + 0.5 * len(panels)), layout="constrained"
    )
    axes = fig.subplots(len(panels), 1, height_ratios=sizes, squeeze=False)[:, 0]
    shares = pd.to_numeric(totals["pct_participants"], errors="coerce")
    limit = max(100.0, float(shares.max(skipna=True) or 0) + 20)
    for ax, branch, colour in zip(axes, panels, (PALETTE[5], PALETTE[2]), strict=False):
        part = totals[totals["branch"] == branch]
        y = np.arange(len(part))
        hidden = part["n_participants"].astype(str) == SUPPRESSION_MARK
        pct = pd.to_numeric(part["pct_participants"].where(~hidden), errors="coerce").fillna(0)
        ax.barh(y, pct, color=colour, height=0.7)
        for yi, p, n, h in zip(y, pct, part["n_participants"], hidden, strict=True):
            text = f"c (fewer than {min_cell})" if h else f"{p:.0f}% (n={n})"
            ax.text(p + 1, yi, text, va="center", fontsize=8, color=MUTED if h else "black")
        ax.set_yticks(y, [textwrap.fill(str(c), 40) for c in part["code"]])
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(0, limit)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{branch}s", loc="left", fontsize=10)
    axes[-1].set_xlabel("% of participants (interviews and focus groups) who raised it")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return fig


def show_qualitative(report: Report, by: str = "agency") -> Section:
    """Publish and return barriers and facilitators by group, with quotes for the top barriers."""
    study, site, where = report.study, report.site, report.site_label
    people = _site_part(study.participants, site)
    if len(people) < report.min_cell:
        return Section(
            [
                f"**{where} has fewer than {report.min_cell} interview and focus-group "
                "participants**, so their barriers and facilitators are not reported: with so "
                "few people, what they said could identify them. Run the notebook for all sites."
            ]
        )
    table = barrier_table(study, site, by)
    section = Section(
        [
            f"How many of the {len(people)} interview and focus-group participants at {where} "
            "raised each barrier to sharing and each facilitator, by "
            f"{by.replace('_', ' ')}; a participant counts once per code, however often they "
            'raised it. "Any barrier" counts everyone who raised at least one.'
        ]
    )
    published = _publish(
        report,
        section,
        table,
        f"barriers_facilitators_by_{by}",
        f"Barriers and facilitators: participants who raised each, by {by.replace('_', ' ')} "
        f"— {where}",
        ["n_participants"],
        view=lambda p: _barrier_view(p, by),
    )
    section.add(
        _figure(
            report,
            _barrier_figure(
                published, report.title("Barriers and facilitators raised"), report.min_cell
            ),
            "barriers-facilitators",
            f"Share of interview and focus-group participants who raised each barrier and "
            f"facilitator; counts below {report.min_cell} hidden — {where}.",
        )
    )
    quotes = top_barrier_quotes(study, site, min_cell=report.min_cell)
    if quotes.empty:
        section.add(
            f"No barrier was raised by {report.min_cell} or more participants here, so no quotes "
            "are shown."
        )
        return section
    has_ids = (study.folder / "identifiers.csv").is_file()
    section.add(
        f"**What the most-raised barriers sound like.** Up to {QUOTES_PER_BARRIER} quotes for "
        f"each of the {quotes['barrier'].nunique()} barriers raised by most participants, "
        "chosen reproducibly from interviews and focus groups, redacted ("
        + ("names on the study's identifier list, " if has_ids else "")
        + "emails, phone numbers, postcodes, addresses and dates removed) and attributed only "
        "by role, agency, site and method."
        + (
            ""
            if has_ids
            else " *This study folder has no identifiers.csv, so names were not "
            "redacted: check the quotes by hand before sharing.*"
        )
    )
    _publish(
        report,
        section,
        quotes,
        "barrier_quotes",
        f"Quotes for the most-raised barriers (redacted; attributed by role, agency, site and "
        f"method) — {where}",
        ["participants"],
    )
    return section


# ---------------------------------------------------------------------------
# The generated summary
# ---------------------------------------------------------------------------


def _qualitative_summary(report: Report) -> str:
    study, site = report.study, report.site
    people = _site_part(study.participants, site)
    if len(people) < report.min_cell:
        return ""
    from srim_analysis import disclosure

    table = disclosure.publishable(
        barrier_table(study, site), report.min_cell, count_columns=["n_participants"]
    )
    totals = _ranked(table, "agency")
    totals = totals[~totals["code"].str.startswith("Any ")]
    parts = []
    for branch, word in (("Barrier", "barriers"), ("Facilitator", "facilitators")):
        part = totals[totals["branch"] == branch]
        shown = part[part["raised"] > 0]  # suppressed counts are NaN
        if shown.empty:
            if len(part):
                parts.append(
                    f"No single {branch.lower()} was raised by {report.min_cell} or more "
                    "participants, so none is named here."
                )
            continue
        listed = "; ".join(
            f"{r.code.lower()} ({int(r.raised)} of {len(people)} participants, "
            f"{float(r.pct_participants):.0f}%)"
            for r in shown.head(3).itertuples()
        )
        parts.append(f"The {word} raised by most participants were: {listed}.")
    return " ".join(parts)


def summary_text(
    report: Report,
    factors: Sequence[str] | None = None,
    max_factors: int = 3,
) -> str:
    """Return the generated summary: strongest model factors with intervals, then the codes."""
    study, site = report.study, report.site
    parts = []
    if not has_survey(study):
        parts.append(
            "There is no survey in this study folder, so this summary rests on the coded "
            "interviews and focus groups alone."
        )
    else:
        outcome = confidence_model(study, site, factors, report.min_cell)
        if outcome.estimated:
            result = outcome.result
            assert result is not None
            text = survey.summarise_factors(result, max_factors=max_factors)
            dropped = _safe_missing_statement(result, report.min_cell)
            text = text.replace(result.missing_data_statement(), dropped)
            parts.append(f"**Survey ({outcome.where}, ordinal model of CONF1).** {text}")
        else:
            parts.append(
                f"**Survey.** The ordinal model of confidence was not estimated for "
                f"{outcome.where}: {outcome.reason}."
            )
    qual = _qualitative_summary(report)
    if qual:
        parts.append(f"**Interviews and focus groups ({report.site_label}).** {qual}")
    return "\n\n".join(parts)


def _safe_missing_statement(result: survey.ModelResult, min_cell: int) -> str:
    """Return the complete-case statement with small counts suppressed."""
    from srim_analysis import disclosure

    published = disclosure.publishable(dropped_table(result), min_cell, count_columns=["n"])
    return missing_data_sentence(published, min_cell)


def show_summary(report: Report, factors: Sequence[str] | None = None) -> Section:
    """Return the generated summary of the strongest factors, for display."""
    return Section([summary_text(report, factors)])


# ---------------------------------------------------------------------------
# Interactive explorer
# ---------------------------------------------------------------------------


def _group_figure(
    study: Study,
    data: pd.DataFrame,
    construct: str,
    by: str,
    min_cell: int,
    where: str,
) -> Figure:
    """Return one panel per statement of ``construct``, one diverging bar per group."""
    import matplotlib.pyplot as plt

    from srim_analysis.charts.style import FULL_WIDTH_IN, MUTED, use_house_style

    ids = survey.construct_items(study.survey_items)[construct]
    groups = data[by].nunique()
    use_house_style()
    heights = [0.9 + 0.42 * max(groups, 1) for _ in ids]
    fig = plt.figure(figsize=(FULL_WIDTH_IN, sum(heights) + 0.8), layout="constrained")
    axes = fig.subplots(len(ids), 1, height_ratios=heights, squeeze=False)[:, 0]
    info = survey.item_info(study.survey_items)
    hidden_by_item = {}
    for ax, item in zip(axes, ids, strict=True):
        wording = textwrap.shorten(info[item].wording, 80, placeholder="...")
        drawn, hidden = _group_chart(study, data, item, by, min_cell, f"{item}: {wording}", ax)
        if hidden:
            hidden_by_item[item] = hidden
        if drawn is None:
            ax.set_title(f"{item}: {wording}", fontsize=10)
            ax.text(
                0.5,
                0.5,
                f"No group has {min_cell} or more ratings.",
                ha="center",
                va="center",
                color=MUTED,
                transform=ax.transAxes,
            )
            ax.set_axis_off()
    drawn_axes = [ax for ax in axes if ax.axison]
    if drawn_axes:
        limit = max(abs(v) for ax in drawn_axes for v in ax.get_xlim())
        for ax in drawn_axes:
            ax.set_xlim(-limit, limit)
        for ax in drawn_axes[:-1]:
            ax.set_xlabel("")
    if hidden_by_item:
        names = sorted({n for names in hidden_by_item.values() for n in names})
        fig.supxlabel(_hidden_note(names, min_cell), x=0.01, ha="left", fontsize=8, style="italic")
    fig.suptitle(
        f"{_construct_label(construct)} by {BY_PHRASES[by]} — {where}",
        x=0.01,
        ha="left",
        fontweight="bold",
    )
    return fig


def _png_output(fig: Figure) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return {
        "output_type": "display_data",
        "data": {
            "image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
            "text/plain": "<figure>",
        },
        "metadata": {},
    }


def _html_output(text: str, plain: str) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"text/html": text, "text/plain": plain},
        "metadata": {},
    }


def explorer(
    study: Study,
    site: str = ALL,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    group_by: str = "agency",
    min_cell: int = DEFAULT_MIN_CELL,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ipywidgets.Widget:
    """Return a widget: pick a construct and a grouping to see its bars and its group test.

    Two drop-downs (construct, group by) drive an Output holding the construct's
    statements as diverging bars, one bar per group (groups with fewer than ``min_cell``
    ratings not drawn), and the Kruskal-Wallis / Mann-Whitney test of its scale score
    (small counts suppressed). Changing either drop-down redraws the output. The widget's
    ``output`` attribute is the Output.
    """
    import ipywidgets as widgets

    from srim_analysis import disclosure

    if not has_survey(study) or len(_responses(study, site)) == 0:
        return widgets.HTML(
            "<p><i>There is no survey for this selection, so there is nothing to explore.</i></p>"
        )
    constructs = _check_constructs(study, constructs)
    _check_by(group_by)
    data = _responses(study, site)
    construct_dd = widgets.Dropdown(
        options=[(_construct_label(c), c) for c in constructs],
        value=constructs[0],
        description="Construct:",
        style={"description_width": "initial"},
    )
    groupings = [(label, g) for g, label in GROUPINGS.items()]
    group_dd = widgets.Dropdown(
        options=groupings,
        value=group_by,
        description="Group by:",
        style={"description_width": "initial"},
    )
    out = widgets.Output()

    def render(*_: object) -> None:
        construct, by = construct_dd.value, group_dd.value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig = _group_figure(study, data, construct, by, min_cell, study.site_label(site))
            tests = group_tests(study, site, [construct], by, min_items_answered, min_cell)
        shown = tests[
            [
                "construct",
                "grouping",
                "test",
                "n",
                "statistic",
                "p_value",
                "effect_size",
                "effect_measure",
                "groups",
                "excluded",
                "note",
            ]
        ]
        shown = disclosure.publishable(shown, min_cell, count_columns=["n"])
        table = shown.to_html(index=False, border=0, na_rep="")
        note = html.escape(disclosure.suppression_note(min_cell))
        text = (
            f"<p><b>Does the {html.escape(_construct_label(construct).lower())} score differ by "
            f"{html.escape(BY_PHRASES[by])}?</b> (one test: p is not adjusted; the "
            "notebook's table adjusts across constructs)</p>"
            f"{table}<p><small>{note}</small></p>"
        )
        plain = shown.to_string(index=False)
        out.outputs = (_png_output(fig), _html_output(text, plain))

    construct_dd.observe(render, names="value")
    group_dd.observe(render, names="value")
    render()
    where = study.site_label(site)

    class Explorer(widgets.VBox):
        """The explorer; its text form (saved reports, logs) is one line, not the PNG."""

        def __repr__(self) -> str:
            return (
                f"Survey explorer ({where}): {_construct_label(construct_dd.value)} by "
                f"{BY_PHRASES[group_dd.value]}. Open the notebook in JupyterLab to use it."
            )

    box = Explorer([widgets.HBox([construct_dd, group_dd]), out])
    box.output = out  # type: ignore[attr-defined]
    box.construct = construct_dd  # type: ignore[attr-defined]
    box.group_by = group_dd  # type: ignore[attr-defined]
    return box
