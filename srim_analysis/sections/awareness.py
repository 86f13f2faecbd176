"""Objective 3: awareness of, and confidence to, share information - notebook 03's sections.

One call per section of notebook ``03_awareness_confidence``; each builds its tables with
:mod:`srim_analysis.analyses.survey_tables`, :mod:`~srim_analysis.analyses.survey_model_tables`
and :mod:`~srim_analysis.analyses.survey_barriers`, draws with
:mod:`srim_analysis.charts.survey` and :mod:`srim_analysis.charts.likert`, and publishes
through the report:

* :func:`show_skipped_sections` - which survey sections run, and which are skipped and
  why (a study folder need not hold a survey: the study's own methods are documents,
  observations, interviews and focus groups);
* :func:`show_respondents` - who answered, by agency and role, and item completeness;
* :func:`show_item_charts` - each construct's statements as diverging bars, then each
  outcome by group;
* :func:`show_reliability` - Cronbach's alpha with its 95% interval, omega and item
  statistics;
* :func:`show_group_tests` - scale scores by group with Kruskal-Wallis / Mann-Whitney
  tests, effect sizes and Holm-adjusted p-values;
* :func:`show_model` and :func:`show_ols` - the ordinal model of an outcome (awareness or
  confidence) and its linear sensitivity analysis;
* :func:`show_qualitative` - barriers and facilitators by agency (participants) with
  redacted, pseudonymously attributed quotes for the top barriers;
* :func:`show_summary` - a generated paragraph on the strongest factors;
* :func:`show_explorer` (:func:`explorer`) - an interactive construct / grouping picker.

The constructs, their labels and the outcomes are the study's own (its ``study.toml``:
``[survey.constructs]`` and ``[survey.outcomes]``); nothing here names a study's items.
Every table goes through :meth:`Report.publish` (small counts suppressed) and every figure
through :meth:`Report.chart`, drawn from a published table. Sentences take their numbers
from the published tables, so a count from 1 to ``min_cell - 1`` reads "fewer than 5".
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from srim_analysis import disclosure
from srim_analysis.analyses import survey, survey_barriers, survey_model_tables, survey_tables
from srim_analysis.analyses.survey_barriers import QUOTES_PER_BARRIER
from srim_analysis.analyses.survey_model_tables import (
    OUTCOME_PHRASES,
    ModelOutcome,
    ols_model,
    ordinal_model,
)
from srim_analysis.analyses.survey_models import ModelResult
from srim_analysis.analyses.survey_tables import (
    BY_PHRASES,
    DK_NA,
    GROUPINGS,
    RATED,
    SCORE_DEPENDS,
    SURVEY_TABLES,
    TOTAL,
    construct_label,
    has_survey,
    outcome_construct,
    report_constructs,
)
from srim_analysis.charts import survey as survey_charts
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.report import cache
from srim_analysis.report.publishing import Report, Section
from srim_analysis.report.widgets import dropdown, report_for, shown_html, site_dropdown
from srim_analysis.report.wording import count_words, decimal
from srim_analysis.study.loading import Study
from srim_analysis.study.plan import OUTCOME_ROLES
from srim_analysis.study.selection import ALL_SITES

__all__ = [
    "RESPONDENTS",
    "SURVEY_SECTIONS",
    "explorer",
    "missing_data_sentence",
    "show_explorer",
    "show_group_tests",
    "show_item_charts",
    "show_model",
    "show_ols",
    "show_qualitative",
    "show_reliability",
    "show_respondents",
    "show_skipped_sections",
    "show_summary",
    "summary_text",
]

#: The survey sections of the notebook, in order (named when they are skipped).
SURVEY_SECTIONS: tuple[str, ...] = (
    "who answered the survey",
    "the answers to each construct's statements",
    "the reliability of the scales",
    "scale scores by group",
    "the ordinal models of awareness and confidence and their forest plots",
    "the linear (OLS) sensitivity analyses",
    "the survey half of the summary",
    "the interactive explorer",
)
#: The population the survey tables count (tables of it hide their shared cells alike).
RESPONDENTS = "respondents"


# ---------------------------------------------------------------------------
# Which sections run
# ---------------------------------------------------------------------------


def _n_respondents(report: Report) -> int:
    return len(report.for_site(report.study.survey_responses))


def show_skipped_sections(report: Report) -> Section:
    """Return a sentence saying which survey sections run, and which are skipped and why."""
    study, where = report.study, report.where
    if not has_survey(study):
        missing = [t for t in SURVEY_TABLES if t not in study.tables]
        files = " and ".join(f"`{t}.csv`" for t in missing)
        listed = "; ".join(SURVEY_SECTIONS)
        return Section(
            [
                f"**Survey sections skipped.** This study folder ({study.folder.name}) has no "
                f"{files}, so these sections are skipped: {listed}. The study's own methods are "
                "documents, observations, interviews and focus groups, so a survey is optional: "
                "the barriers and facilitators from the coded interviews and focus groups, and "
                "their quotes, are still reported below. To add the survey, put "
                "`survey_items.csv` and `survey_responses.csv` in the folder (see "
                "docs/data-dictionary.md) and run the notebook again."
            ]
        )
    if _n_respondents(report) == 0:
        return Section(
            [
                f"**Survey sections skipped.** The survey has no respondents {where}, so "
                f"these sections are skipped: {'; '.join(SURVEY_SECTIONS)}. The qualitative "
                "barriers and facilitators are still reported below."
            ]
        )
    unmapped = [r for r in OUTCOME_ROLES if outcome_construct(study, r)[0] is None]
    return Section(
        [
            f"**Every section runs.** The study folder holds the survey (respondents {where}) "
            "as well as the coded interviews and focus groups. Where there are too few "
            "respondents for a statistic (a group smaller than `min_cell`, or a model with "
            "too few respondents per factor), that section says so in a sentence."
            + (
                f" The study's plan (study.toml, `[survey.outcomes]`) maps no construct to "
                f"{' or '.join(unmapped)}, so that outcome is not modelled."
                if unmapped
                else ""
            )
        ]
    )


def _skip(report: Report, what: str) -> Section | None:
    """Return a one-sentence section when the survey cannot feed ``what``, else None."""
    if not has_survey(report.study):
        return Section(
            [
                f"*Skipped: this study folder has no survey (`survey_items`, "
                f"`survey_responses`), so there is no {what}.*"
            ]
        )
    if _n_respondents(report) == 0:
        return Section([f"*Skipped: the survey has no respondents {report.where}, so no {what}.*"])
    return None


# ---------------------------------------------------------------------------
# Who answered, and the answers
# ---------------------------------------------------------------------------


def show_respondents(report: Report, constructs: Sequence[str] | None = None) -> Section:
    """Publish and return who answered (by agency and by role) and each item's completeness.

    ``constructs`` None means the study plan's constructs (see
    :func:`srim_analysis.analyses.survey_tables.report_constructs`).
    """
    skip = _skip(report, "table of respondents")
    if skip:
        return skip
    study, site, where = report.study, report.site, report.site_label
    section = Section()
    for by in ("agency", "role"):
        published = report.publish(
            section,
            survey_tables.respondents_by(study, site, by, constructs),
            f"respondents_by_{by}",
            f"Survey respondents by {by} and whether they answered every item — {where}",
            count_columns=["respondents"],
            view=lambda p, by=by: survey_tables.wide_view(p, [by], "answered", "respondents"),
            population=RESPONDENTS,
        )
        if by == "agency":
            total = published[(published[by] == TOTAL) & (published["answered"] == TOTAL)]
            n = count_words(total["respondents"].iloc[0], report.min_cell)
            section.add(
                f"{n[:1].upper()}{n[1:]} people answered the survey {report.where}. A "
                "respondent is *complete* when they gave an answer (a rating, don't know or "
                "not applicable) to every item reported here.",
                first=True,
            )
    report.publish(
        section,
        survey_tables.item_completeness(study, site, constructs),
        "item_completeness",
        f"Answers to each survey item: rated, don't know, not applicable, blank — {where}",
        count_columns=["respondents"],
        view=lambda p: survey_tables.wide_view(p, ["item", "statement"], "answer", "respondents"),
        population=RESPONDENTS,
    )
    return section


def _figure_id(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def _table_id(text: str) -> str:
    return _figure_id(text).replace("-", "_")


def _publish_answers(
    report: Report,
    section: Section,
    ids: Sequence[str],
    by: str | None,
    name: str,
    caption: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Publish (not shown) the count of each answer to ``ids`` (by group); return it, answers."""
    table = survey_tables.level_count_table(report.study, report.site, ids, by)
    levels = list(table.attrs["levels"])
    published = report.publish(
        section,
        table,
        name,
        caption,
        count_columns=[*levels, RATED, DK_NA],
        sums={RATED: tuple(levels)},
        show=False,
        population=RESPONDENTS,
    )
    return published, levels


def show_item_charts(
    report: Report,
    constructs: Sequence[str] | None = None,
    group_by: str = "agency",
) -> Section:
    """Publish and return one diverging bar chart per construct, then each outcome by group.

    Each chart is drawn from a published table of how many chose each answer (not shown
    on the page: the chart shows it), so nothing the table hides is drawn.
    """
    skip = _skip(report, "chart of answers")
    if skip:
        return skip
    study, min_cell, where = report.study, report.min_cell, report.site_label
    constructs = report_constructs(study, constructs)
    survey_tables.check_by(group_by)
    groups = survey.construct_items(study.survey_items)
    section = Section(
        [
            "Each bar is one statement: the percentage of those who gave a rating, disagreement "
            "to the left of zero and agreement to the right (the neutral answer straddles "
            "zero). The n behind each bar, and how many said don't know or not applicable "
            f"(DK/NA), are under the statement. For *reverse-scored* statements agreeing is the "
            f"less favourable answer. Statements rated by fewer than {min_cell} people, and "
            f"answers chosen by fewer than {min_cell}, are not drawn (the table of answers "
            "beside each chart shows them as c)."
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for construct in constructs:
            label = construct_label(study, construct)
            published, levels = _publish_answers(
                report,
                section,
                groups[construct],
                None,
                f"answers_{_table_id(construct)}",
                f"{label}: respondents choosing each answer to each statement — {where}",
            )
            saved = report.chart(
                section,
                published,
                lambda p, levels=levels, label=label: survey_charts.plot_statements(
                    p, levels, report.title(label), min_cell
                ),
                f"likert-{_figure_id(construct)}",
                f"{label}: answers to each statement (% of those who gave a rating) — {where}.",
            )
            if saved is None:
                section.add(
                    f"*{label}: no statement has {min_cell} or more ratings shown "
                    f"{report.where}, so its chart is not drawn.*"
                )
        for role in OUTCOME_ROLES:
            _outcome_by_group(report, section, role, group_by)
    return section


def _outcome_by_group(report: Report, section: Section, role: str, group_by: str) -> None:
    """Add one outcome's answers by group to ``section`` (or the sentence why not)."""
    study, min_cell, where = report.study, report.min_cell, report.site_label
    construct, why = outcome_construct(study, role)
    if construct is None:
        section.add(f"*{OUTCOME_ROLES[role]} is not charted by group: {why}.*")
        return
    by = BY_PHRASES[group_by]
    label = construct_label(study, construct)
    ids = survey.construct_items(study.survey_items)[construct]
    section.add(
        f"An outcome of the models below, {role}: {label} ({', '.join(ids)}), by {by}. Groups "
        f"with fewer than {min_cell} ratings, or hidden so that a smaller group cannot be "
        "worked out, are not drawn."
    )
    published, levels = _publish_answers(
        report,
        section,
        ids,
        group_by,
        f"answers_{_table_id(construct)}_by_{group_by}",
        f"{label}: respondents choosing each answer, by {by} — {where}",
    )
    title = report.title(f"{label} by {by}")
    if len(ids) == 1:

        def draw(p: pd.DataFrame) -> Figure | None:
            return survey_charts.plot_item_by_group(p, levels, group_by, title, min_cell)

    else:

        def draw(p: pd.DataFrame) -> Figure | None:
            return survey_charts.plot_construct_by_group(p, levels, group_by, title, min_cell)

    saved = report.chart(
        section,
        published,
        draw,
        f"{_figure_id(role)}-by-{_figure_id(group_by)}",
        f"{label} by {by}; groups with fewer than {min_cell} ratings, or hidden so that a "
        f"smaller group cannot be worked out, are not drawn — {where}.",
    )
    if saved is None:
        section.add(
            f"*No {by} has {min_cell} or more ratings of {label.lower()} shown {report.where}, "
            "so the chart is not drawn.*"
        )


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


def _number(value: object) -> float:
    """Return a published cell as a number (NaN when hidden or blank)."""
    if disclosure.is_suppressed(value):
        return float("nan")
    return float(pd.to_numeric(value, errors="coerce"))  # type: ignore[arg-type]


def _reliability_sentence(rel: pd.DataFrame) -> str:
    alpha = rel["alpha"].map(_number)
    low_ci = rel["ci_low"].map(_number)
    rated = rel[alpha.notna()]
    low = rel[alpha < 0.7]
    unsure = rel[(alpha >= 0.7) & (low_ci < 0.7)]
    parts = [
        "Cronbach's alpha measures how consistently a construct's statements are answered; "
        "0.70 or more is usually taken as acceptable. The 95% interval (Feldt) shows how "
        "precisely it is known; omega is a second estimate that does not assume every "
        "statement weighs the same. Missing answers are handled pairwise: every pair of "
        "statements a respondent answered is used."
    ]
    if len(rated) and low.empty and unsure.empty:
        parts.append("Every scale reaches 0.70, with its interval above it.")
    if len(low):
        parts.append(
            "Below 0.70: "
            + ", ".join(f"{r.label} ({decimal(r.alpha)})" for r in low.itertuples())
            + ": read their scale scores with caution."
        )
    if len(unsure):
        parts.append(
            "At or above 0.70 but with an interval reaching below it: "
            + ", ".join(f"{r.label} ({decimal(r.alpha)})" for r in unsure.itertuples())
            + "."
        )
    not_rated = rel[alpha.isna()]
    if len(not_rated):
        parts.append(
            "Not estimated: "
            + ", ".join(f"{r.label} ({r.note})" for r in not_rated.itertuples())
            + "."
        )
    return " ".join(parts)


def show_reliability(report: Report, constructs: Sequence[str] | None = None) -> Section:
    """Publish and return the reliability of each scale and the statistics of its items."""
    skip = _skip(report, "reliability table")
    if skip:
        return skip
    rel, stats = survey_tables.reliability_tables(report.study, report.site, constructs)
    where = report.site_label
    section = Section()
    published = report.publish(
        section,
        rel,
        "reliability",
        f"Reliability of each scale: Cronbach's alpha with 95% interval, omega, n — {where}",
        count_columns=["n_respondents"],
        not_counts=["items"],
    )
    section.add(_reliability_sentence(published), first=True)
    flagged = stats[stats["flag"] != ""]
    section.add(
        "Each statement: its mean (reverse-scored statements recoded), the correlation with "
        "the rest of its scale (below 0.30 is weak) and the scale's alpha without it."
        + (
            " Statements flagged: "
            + "; ".join(f"{r.item} ({r.flag})" for r in flagged.itertuples())
            + "."
            if len(flagged)
            else " No statement is flagged."
        )
    )
    report.publish(
        section,
        stats,
        "item_statistics",
        f"Item statistics: n, mean, SD, corrected item-total r, alpha if deleted — {where}",
        count_columns=["n"],
        depends={c: ("n",) for c in ("mean", "sd", "item_total_r", "alpha_if_deleted")},
    )
    return section


# ---------------------------------------------------------------------------
# Scale scores by group
# ---------------------------------------------------------------------------


def _tests_sentence(tests: pd.DataFrame, by: str) -> str:
    tested = tests[tests["test"] != "not tested"]
    what = BY_PHRASES[by]
    if tested.empty:
        reason = tests["note"].iloc[0] if len(tests) else "no scale scores"
        return f"No test by {what} could be run here: {reason}."
    p_holm = tested["p_holm"].map(_number)
    clear = tested[p_holm < 0.05]
    text = (
        f"Scale scores tested by {what} "
        f"({tested['test'].iloc[0]}; p-values Holm-adjusted across the constructs). "
    )
    if clear.empty:
        return text + "None differs clearly between the groups (every adjusted p is 0.05 or more)."
    parts = [
        f"{r.construct} (adjusted p = {_number(r.p_holm):.3g}, "
        f"{r.effect_measure.split(' (')[0]} {decimal(r.effect_size)})"
        for r in clear.itertuples()
    ]
    return text + "Scores differ by " + what + " for: " + "; ".join(parts) + "."


def show_group_tests(
    report: Report,
    constructs: Sequence[str] | None = None,
    group_by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
) -> Section:
    """Publish and return scale scores by group, who was scored, and the group tests."""
    skip = _skip(report, "comparison of scale scores")
    if skip:
        return skip
    study, site, where = report.study, report.site, report.site_label
    survey_tables.check_by(group_by)
    scoring = survey_tables.scoring_table(study, site, constructs, min_items_answered)
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
    report.publish(
        section,
        scoring,
        "scoring",
        f"Who received a scale score for each construct, and why not — {where}",
        count_columns=["respondents"],
        view=lambda p: survey_tables.wide_view(p, ["construct"], "scored", "respondents"),
        not_counts=["items", "items_needed"],
        population=RESPONDENTS,
    )
    section.add(
        f"Mean scale score (n) by {BY_PHRASES[group_by]}; the published table adds the "
        "SD, median and quartiles."
    )
    report.publish(
        section,
        survey_tables.score_summary(study, site, constructs, group_by, min_items_answered),
        f"scores_by_{group_by}",
        f"Scale scores by {BY_PHRASES[group_by]}: n, mean, SD, median and quartiles — {where}",
        count_columns=["n"],
        depends=SCORE_DEPENDS,
        view=lambda p: survey_tables.score_view(p, group_by),
        population=RESPONDENTS,
    )
    tests = survey_tables.group_tests(
        study, site, constructs, group_by, min_items_answered, report.min_cell
    )
    published = report.made_safe(tests, count_columns=["n"], not_counts=["groups_compared"])
    section.add(_tests_sentence(published, group_by))
    report.publish(
        section,
        tests,
        f"group_tests_{group_by}",
        f"Do scale scores differ by {BY_PHRASES[group_by]}? Kruskal-Wallis or "
        f"Mann-Whitney tests with effect sizes, Holm-adjusted across constructs — {where}",
        count_columns=["n"],
        not_counts=["groups_compared"],
    )
    return section


# ---------------------------------------------------------------------------
# The ordinal model of each outcome and its linear sensitivity analysis
# ---------------------------------------------------------------------------


def missing_data_sentence(published: pd.DataFrame, min_cell: int) -> str:
    """Return the complete-case statement from a published dropped table (words for counts)."""
    rows = dict(zip(published["group"], published["n"], strict=True))
    used = count_words(rows.pop("used in the model"), min_cell)
    total = count_words(rows.pop(TOTAL), min_cell)
    text = f"Complete-case analysis: {used} of {total} respondents used."
    reasons = [f"{count_words(n, min_cell)} {g}" for g, n in rows.items() if str(n) != "0"]
    if reasons:
        text += " Left out, in this order: " + "; ".join(reasons) + "."
    return text


def _model_skip(report: Report, outcome: ModelOutcome, what: str) -> Section | None:
    skip = _skip(report, what)
    if skip:
        return skip
    if outcome.estimated:
        return None
    if outcome.construct is None:
        return Section([f"**The {what} is not estimated:** {outcome.reason}."])
    notes = " ".join(outcome.notes)
    return Section(
        [
            f"**The {what} is not estimated for {outcome.where}:** {outcome.reason}. "
            + (f"{notes} " if notes else "")
            + 'Run the notebook for all sites (`site = "all"`) for the model; the '
            "charts and tables above still describe this site's answers."
        ]
    )


def _fit(
    report: Report,
    fit: Callable[..., ModelOutcome],
    role: str,
    factors: Sequence[str] | None,
    min_items_answered: survey.MinAnswered,
) -> ModelOutcome:
    """Return ``fit`` (the ordinal or the linear model) of one outcome for the report's site.

    Fitted once per report: a later run (or section) with the same site, outcome, factors
    and thresholds reads it from the report's result cache.
    """
    return cache.for_report(report).get(
        f"survey_{fit.__name__}",
        {
            "site": report.site,
            "role": role,
            "outcome": report.study.plan.survey.outcomes.get(role),
            "factors": None if factors is None else list(factors),
            "min_cell": report.min_cell,
            "min_items_answered": repr(min_items_answered),
        },
        lambda: fit(
            report.study,
            role,
            report.site,
            factors,
            report.min_cell,
            min_items_answered=min_items_answered,
        ),
    )


def _fitted(
    report: Report,
    fit: Callable[..., ModelOutcome],
    role: str,
    factors: Sequence[str] | None,
    min_items_answered: survey.MinAnswered,
) -> ModelOutcome | Section:
    """Return the fitted model of one outcome, or the section saying why it is not estimated."""
    outcome = _fit(report, fit, role, factors, min_items_answered)
    what = "ordinal model" if fit is ordinal_model else "linear sensitivity model"
    skip = _model_skip(report, outcome, f"{what} of {role}")
    return outcome if skip is None else skip


def _publish_dropped(
    report: Report, section: Section, result: ModelResult, role: str
) -> pd.DataFrame:
    return report.publish(
        section,
        survey_model_tables.dropped_table(result),
        f"model_{role}_missing_data",
        f"Respondents in the ordinal model of {role} and those left out, by reason — "
        f"{report.site_label}",
        count_columns=["n"],
        show=False,
        population=RESPONDENTS,
    )


def show_model(
    report: Report,
    role: str,
    factors: Sequence[str] | None = None,
    min_items_answered: survey.MinAnswered = 0.5,
) -> Section:
    """Publish and return the ordinal model of one outcome: odds ratios, thresholds, checks, plots.

    ``role`` is an outcome of the study's plan, ``"awareness"`` or ``"confidence"``: the
    model explains the construct ``[survey.outcomes]`` of ``study.toml`` names for it (one
    item: its answers; several: their mean score rounded to the nearest answer, halves
    rounded up). An outcome the plan does not map is not modelled, and the section says so.
    """
    outcome = _fitted(report, ordinal_model, role, factors, min_items_answered)
    if isinstance(outcome, Section):
        return outcome
    result = outcome.result
    assert result is not None
    where = report.site_label
    pct = round(result.conf_level * 100)
    name = result.outcome
    ids = survey.construct_items(report.study.survey_items).get(name, [])
    what = (
        f"the {name} construct ({', '.join(ids)})"
        if result.outcome_rule
        else f"{name} (*{result.outcome_label}*)"
    )
    section = Section(
        [
            f"An ordinal (proportional-odds) logistic regression of {role}, measured by "
            f"{what}. "
            + (
                f"{result.outcome_rule[:1].upper()}{result.outcome_rule[1:]}. "
                if result.outcome_rule
                else ""
            )
            + f"An odds ratio above 1 means higher odds of a higher answer; each has a {pct}% "
            "confidence interval. Yes/no factors compare yes with no, manager support is per "
            "point on its scale, and each group of a categorical factor is compared with the "
            "reference group named in its label."
            + (" " + " ".join(outcome.notes) if outcome.notes else "")
        ]
    )
    estimates = report.publish(
        section,
        survey_model_tables.model_table(result),
        f"model_{role}_odds_ratios",
        f"Ordinal model of {role} ({name}): odds ratios with {pct}% CI — {where}",
        count_columns=["n_level"],
        view=survey_model_tables.estimates_view,
    )
    dropped = _publish_dropped(report, section, result, role)
    section.add(missing_data_sentence(dropped, report.min_cell))
    report.chart(
        section,
        estimates,
        lambda p: survey_charts.forest_plot(
            p, report.title(f"Odds ratios for {role} ({name})"), name, result.conf_level
        ),
        f"forest-{_figure_id(role)}-model",
        f"Odds ratios (log scale) with {pct}% confidence intervals from the ordinal model of "
        f"{role} ({name}); the dashed line marks no difference — {where}.",
    )
    thresholds = survey_model_tables.thresholds_table(result)
    if thresholds is not None:
        section.add(
            "**Thresholds.** The model places a cut point between each pair of neighbouring "
            "answers on the log-odds scale, for a respondent in every reference group with "
            "zero on the numeric factors; they are named by the answers they separate "
            "(statsmodels keeps the later ones as log-increments: they are converted here)."
        )
        report.publish(
            section,
            thresholds,
            f"model_{role}_thresholds",
            f"Ordinal model of {role}: thresholds between neighbouring answers of {name} "
            f"(log-odds, {pct}% CI) — {where}",
            count_columns=[],
        )
    predicted = survey_model_tables.predicted_answers(result)
    if predicted is not None:
        section.add(
            "On the original answer scale: the predicted share of each answer for a respondent "
            "who has not read the advice, with median manager support, in every reference "
            "group, trained and not trained."
        )
        shown = report.publish(
            section,
            predicted,
            f"model_{role}_predicted_answers",
            f"Predicted % of each answer of {name}, not trained vs trained (others typical) "
            f"— {where}",
            count_columns=[],
        )
        report.chart(
            section,
            shown,
            lambda p: survey_charts.plot_predicted_answers(
                p, report.title(f"Predicted answers of {name}, by training")
            ),
            f"predicted-{_figure_id(role)}",
            f"Predicted % of each answer of {name} from the ordinal model of {role}, not "
            f"trained vs trained, others at typical values — {where}.",
        )
    po = survey_model_tables.proportional_odds_table(result)
    po_args: dict[str, Any] = {"count_columns": [], "not_counts": ["df"]}
    section.add(_po_sentence(result, None if po is None else report.made_safe(po, **po_args)))
    if po is not None:
        report.publish(
            section,
            po,
            f"model_{role}_proportional_odds",
            f"Ordinal model of {role}: proportional-odds check (Brant test) per factor and "
            f"overall — {where}",
            **po_args,
        )
    other = [n for n in result.notes if "Brant" not in n]
    if other:
        section.add("Notes on the fit: " + " ".join(other))
    return section


def _po_sentence(result: ModelResult, po: pd.DataFrame | None) -> str:
    method = result.proportional_odds_method
    if po is None or not len(po):
        lead = "The proportional-odds (Brant) test could not be computed: "
        why = " ".join(n.removeprefix(lead) for n in result.notes if "Brant" in n)
        return (
            "**Proportional-odds check.** The Brant test could not be computed for these "
            f"data{': ' + why if why else ''}. The odds ratios are then averages whose "
            "constancy across the scale is unchecked."
        )
    p_values = po["p_value"].map(_number)
    omni = p_values.iloc[0]
    verdict = (
        "suggests that some effects differ across the answer scale: read those odds ratios "
        "as averages across the scale"
        if omni < 0.05
        else "finds no clear sign that effects differ across the answer scale"
    )
    flagged = [
        label for label, p in zip(po["label"].iloc[1:], p_values.iloc[1:], strict=True) if p < 0.05
    ]
    text = (
        f"**Proportional-odds check.** The model assumes each factor shifts every answer "
        f"threshold by the same amount. The Brant test (overall p = {omni:.3f}) {verdict}."
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
    role: str,
    factors: Sequence[str] | None = None,
    min_items_answered: survey.MinAnswered = 0.5,
) -> Section:
    """Publish and return the linear sensitivity analysis of one outcome, against the ordinal."""
    outcome = _fitted(report, ols_model, role, factors, min_items_answered)
    if isinstance(outcome, Section):
        return outcome
    result = outcome.result
    assert result is not None
    where = report.site_label
    pct = round(result.conf_level * 100)
    section = Section(
        [
            f"The same factors in a linear regression of the {result.outcome} scale score "
            "(the mean of its statements, treated as a number; HC3 robust standard errors). "
            "The estimates are differences in mean score; a result that holds in both models "
            "does not depend on how the answer scale is treated. "
            + _agreement(report, role, result, factors, min_items_answered)
        ]
    )
    report.publish(
        section,
        survey_model_tables.model_table(result),
        f"ols_{role}_differences",
        f"Linear sensitivity model of {role} ({result.outcome} score): differences in mean "
        f"score with {pct}% CI — {where}",
        count_columns=["n_level"],
        view=survey_model_tables.estimates_view,
    )
    if result.notes:
        section.add("Notes on the fit: " + " ".join(result.notes))
    return section


def _agreement(
    report: Report,
    role: str,
    ols: ModelResult,
    factors: Sequence[str] | None,
    min_items_answered: survey.MinAnswered,
) -> str:
    ordinal = _fit(report, ordinal_model, role, factors, min_items_answered)
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
    differ = [clear.at[t, "label"] for t in clear.index if t not in same]
    text = "Of the terms whose ordinal interval excluded no difference, " + (
        "all also do so here, in the same direction"
        if not differ
        else "these do not here (or not in the same direction): " + "; ".join(differ)
    )
    return text + "."


# ---------------------------------------------------------------------------
# What the qualitative codes add
# ---------------------------------------------------------------------------


def show_qualitative(report: Report, by: str = "agency") -> Section:
    """Publish and return barriers and facilitators by group, with quotes for the top barriers."""
    study, site, where = report.study, report.site, report.site_label
    people = report.for_site(study.participants)
    if len(people) < report.min_cell:
        return Section(
            [
                f"**{where} has fewer than {report.min_cell} interview and focus-group "
                "participants**, so their barriers and facilitators are not reported: with so "
                "few people, what they said could identify them. Run the notebook for all sites."
            ]
        )
    table = survey_barriers.barrier_table(study, site, by)
    section = Section(
        [
            f"How many interview and focus-group participants {report.where} raised each "
            "barrier to sharing and each facilitator, by "
            f"{by.replace('_', ' ')}; a participant counts once per code, however often they "
            'raised it. "Any barrier" counts everyone who raised at least one.'
        ]
    )
    published = report.publish(
        section,
        table,
        f"barriers_facilitators_by_{by}",
        f"Barriers and facilitators: participants who raised each, by {by.replace('_', ' ')} "
        f"— {where}",
        count_columns=["n_participants"],
        view=lambda p: survey_barriers.barrier_view(p, by),
    )
    report.chart(
        section,
        published,
        lambda p: survey_charts.barrier_chart(
            p, by, report.title("Barriers and facilitators raised"), report.min_cell
        ),
        "barriers-facilitators",
        f"Share of interview and focus-group participants who raised each barrier and "
        f"facilitator; counts below {report.min_cell} hidden — {where}.",
    )
    chosen = survey_barriers.top_barrier_quotes(study, site, min_cell=report.min_cell)
    reviewed = report.review_quotes(chosen)
    held_back = reviewed.sentence()
    if held_back:
        section.add(held_back)
    quotes = reviewed.quotes.drop(columns=["code_id", "segment_id", "key"], errors="ignore")
    if quotes.empty:
        section.add(
            f"No barrier was raised by {report.min_cell} or more participants here, so no quotes "
            "are shown."
        )
        return section
    has_ids = (study.folder / "identifiers.csv").is_file()
    section.add(
        f"**What the most-raised barriers sound like.** Up to {QUOTES_PER_BARRIER} quotes for "
        "each of the barriers raised by most participants, "
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
    report.publish(
        section,
        quotes,
        "barrier_quotes",
        f"Quotes for the most-raised barriers (redacted; attributed by role, agency, site and "
        f"method) — {where}",
        count_columns=["participants"],
    )
    return section


# ---------------------------------------------------------------------------
# The generated summary
# ---------------------------------------------------------------------------


def _qualitative_summary(report: Report, tables: dict[str, pd.DataFrame]) -> str:
    study, site = report.study, report.site
    people = report.for_site(study.participants)
    if len(people) < report.min_cell:
        return ""
    table = report.made_safe(
        survey_barriers.barrier_table(study, site), count_columns=["n_participants"]
    )
    tables["barriers_facilitators_by_agency"] = table
    totals = survey_barriers.ranked_totals(table, "agency")
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
            f"{r.code.lower()} ({int(r.raised)} participants, "
            f"{float(r.pct_participants):.0f}% of them)"
            for r in shown.head(3).itertuples()
        )
        parts.append(f"The {word} raised by most participants were: {listed}.")
    return " ".join(parts)


def _as_published(result: ModelResult) -> ModelResult:
    """Return ``result`` with its numbers rounded as its published tables round them."""
    po = result.proportional_odds
    return replace(
        result,
        estimates=result.estimates.assign(
            **{c: result.estimates[c].round(3) for c in ("estimate", "ci_low", "ci_high")}
        ),
        proportional_odds=None if po is None else po.assign(p_value=po["p_value"].round(4)),
    )


def _survey_summary(
    report: Report,
    role: str,
    factors: Sequence[str] | None,
    max_factors: int,
    min_items_answered: survey.MinAnswered,
    tables: dict[str, pd.DataFrame],
) -> str:
    outcome = _fit(report, ordinal_model, role, factors, min_items_answered)
    if not outcome.estimated:
        where = f" for {outcome.where}" if outcome.construct is not None else ""
        return (
            f"**Survey, {role}.** The ordinal model of {role} was not estimated{where}: "
            f"{outcome.reason}."
        )
    result = outcome.result
    assert result is not None
    tables[f"model_{role}_odds_ratios"] = report.made_safe(
        survey_model_tables.model_table(result), count_columns=["n_level"]
    )
    po = survey_model_tables.proportional_odds_table(result)
    if po is not None:
        tables[f"model_{role}_proportional_odds"] = report.made_safe(
            po, count_columns=[], not_counts=["df"]
        )
    dropped = report.made_safe(
        survey_model_tables.dropped_table(result), count_columns=["n"], population=RESPONDENTS
    )
    tables[f"model_{role}_missing_data"] = dropped
    shown = _as_published(result)
    text = survey_model_tables.summarise_factors(
        shown, max_factors=max_factors, outcome_phrase=OUTCOME_PHRASES[role]
    )
    text = text.replace(
        shown.missing_data_statement(), missing_data_sentence(dropped, report.min_cell)
    )
    return f"**Survey ({outcome.where}, ordinal model of {role}, {result.outcome}).** {text}"


def _summary(
    report: Report,
    factors: Sequence[str] | None,
    max_factors: int,
    min_items_answered: survey.MinAnswered,
) -> tuple[str, dict[str, pd.DataFrame]]:
    tables: dict[str, pd.DataFrame] = {}
    parts = []
    if not has_survey(report.study):
        parts.append(
            "There is no survey in this study folder, so this summary rests on the coded "
            "interviews and focus groups alone."
        )
    else:
        parts += [
            _survey_summary(report, role, factors, max_factors, min_items_answered, tables)
            for role in OUTCOME_ROLES
        ]
    qual = _qualitative_summary(report, tables)
    if qual:
        parts.append(f"**Interviews and focus groups ({report.site_label}).** {qual}")
    return "\n\n".join(parts), tables


def summary_text(
    report: Report,
    factors: Sequence[str] | None = None,
    max_factors: int = 3,
    min_items_answered: survey.MinAnswered = 0.5,
) -> str:
    """Return the generated summary: each outcome's strongest factors, then the codes."""
    return _summary(report, factors, max_factors, min_items_answered)[0]


def show_summary(
    report: Report,
    factors: Sequence[str] | None = None,
    min_items_answered: survey.MinAnswered = 0.5,
) -> Section:
    """Return the generated summary, for display, with the (made-safe) tables it quotes."""
    text, tables = _summary(report, factors, 3, min_items_answered)
    for paragraph in text.split("\n\n"):  # each outcome's result, then the interviews'
        report.finding(paragraph)
    section = Section([text])
    section.tables.update(tables)
    return section


# ---------------------------------------------------------------------------
# Interactive explorer
# ---------------------------------------------------------------------------


def _png_output(fig: Figure) -> dict[str, Any]:
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
    site: str = ALL_SITES,
    constructs: Sequence[str] | None = None,
    group_by: str = "agency",
    min_cell: int = DEFAULT_MIN_CELL,
    min_items_answered: survey.MinAnswered = 0.5,
) -> widgets.Widget:
    """Return the explorer widget for a study outside a notebook run (see :func:`show_explorer`).

    The report it works through only makes tables safe: it writes nothing.
    """
    report = Report(
        notebook="explorer",
        site=site,
        study=study,
        reports_dir=study.folder,
        figures_dir=study.folder,
        min_cell=min_cell,
    )
    return show_explorer(report, constructs, group_by, min_items_answered)


_TEST_COLUMNS = [
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


def _explorer_outputs(
    report: Report, construct: str, by: str, min_items_answered: survey.MinAnswered
) -> tuple[dict[str, Any], ...]:
    """Return the explorer's outputs for one site: the construct's bars and its group test."""
    study, site, min_cell = report.study, report.site, report.min_cell
    if not has_survey(study) or _n_respondents(report) == 0:
        text = f"There is no survey {report.where}, so there is nothing to explore."
        return (_html_output(f"<p><i>{html.escape(text)}</i></p>", text),)
    ids = survey.construct_items(study.survey_items)[construct]
    label = construct_label(study, construct)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = survey_tables.level_count_table(study, site, ids, by)
        levels = list(table.attrs["levels"])
        counts = report.made_safe(
            table,
            count_columns=[*levels, RATED, DK_NA],
            sums={RATED: tuple(levels)},
            population=RESPONDENTS,
        )
        fig = survey_charts.plot_construct_by_group(
            counts, levels, by, report.title(f"{label} by {BY_PHRASES[by]}"), min_cell
        )
        tests = survey_tables.group_tests(
            study, site, [construct], by, min_items_answered, min_cell
        )
    shown = report.made_safe(
        tests[_TEST_COLUMNS], count_columns=["n"], not_counts=["groups_compared"]
    )
    shown.attrs["caption"] = (
        f"Does the {label.lower()} score differ by {BY_PHRASES[by]}? "
        f"(one test: p is not adjusted; the notebook's table adjusts across constructs) — "
        f"{report.site_label}"
    )
    plain = shown.to_string(index=False)
    return (_png_output(fig), _html_output(shown_html(report, shown), plain))


def show_explorer(
    report: Report,
    constructs: Sequence[str] | None = None,
    group_by: str = "agency",
    min_items_answered: survey.MinAnswered = 0.5,
) -> widgets.Widget:
    """Return a widget: pick a site, a construct and a grouping to see its bars and group test.

    Three drop-downs (site, construct, group by) drive an Output holding the construct's
    statements as diverging bars, one bar per group (groups with fewer than ``min_cell``
    ratings not drawn), and the Kruskal-Wallis / Mann-Whitney test of its scale score,
    made safe as the published tables are. The site control starts on the report's site;
    a change redraws for that site. The widget's ``output`` is the Output and ``site``,
    ``construct`` and ``group_by`` are the drop-downs.
    """
    study = report.study
    if not has_survey(study):
        return widgets.HTML(
            "<p><i>There is no survey for this selection, so there is nothing to explore.</i></p>"
        )
    constructs = report_constructs(study, constructs)
    survey_tables.check_by(group_by)
    out = widgets.Output()
    current = {"site": report.site}

    def render(*_: object) -> None:
        out.outputs = _explorer_outputs(
            report_for(report, current["site"]),
            construct_dd.value,
            group_dd.value,
            min_items_answered,
        )

    def pick_site(site: str) -> None:
        current["site"] = site
        render()

    site_dd = site_dropdown(study, report.site, pick_site)
    current["site"] = site_dd.value
    construct_dd = dropdown(
        [(construct_label(study, c), c) for c in constructs], constructs[0], "Construct:"
    )
    group_dd = dropdown([(label, g) for g, label in GROUPINGS.items()], group_by, "Group by:")
    construct_dd.observe(render, names="value")
    group_dd.observe(render, names="value")
    render()

    class Explorer(widgets.VBox):
        """The explorer; its text form (saved reports, logs) is one line, not the PNG."""

        def __repr__(self) -> str:
            where = study.site_label(current["site"])
            return (
                f"Survey explorer ({where}): {construct_label(study, construct_dd.value)} by "
                f"{BY_PHRASES[group_dd.value]}. Open the notebook in JupyterLab to use it."
            )

    box = Explorer([widgets.VBox([site_dd, widgets.HBox([construct_dd, group_dd])]), out])
    box.output = out  # type: ignore[attr-defined]
    box.site = site_dd  # type: ignore[attr-defined]
    box.construct = construct_dd  # type: ignore[attr-defined]
    box.group_by = group_dd  # type: ignore[attr-defined]
    return box
