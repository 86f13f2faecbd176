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
* :func:`show_item_charts` - each construct's statements as diverging bars;
* :func:`show_reliability` - Cronbach's alpha with its 95% interval, omega and item
  statistics;
* :func:`show_group_tests` - scale scores by group with Kruskal-Wallis / Mann-Whitney
  tests, effect sizes and Holm-adjusted p-values;
* :func:`show_model` and :func:`show_ols` - the ordinal model of confidence (CONF1) and
  its linear sensitivity analysis;
* :func:`show_qualitative` - barriers and facilitators by agency (participants) with
  redacted, pseudonymously attributed quotes for the top barriers;
* :func:`show_summary` - a generated paragraph on the strongest factors;
* :func:`show_explorer` (:func:`explorer`) - an interactive construct / grouping picker.

Every table goes through :meth:`Report.publish` (small counts suppressed) and every figure
through :meth:`Report.add_figure`. Sentences that quote counts take them from the published
(suppressed) tables, so a count from 1 to ``min_cell - 1`` reads "fewer than 5".
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from srim_analysis import disclosure
from srim_analysis.analyses import survey, survey_barriers, survey_model_tables, survey_tables
from srim_analysis.analyses.survey_barriers import QUOTES_PER_BARRIER
from srim_analysis.analyses.survey_model_tables import ModelOutcome, confidence_model, ols_model
from srim_analysis.analyses.survey_models import ModelResult
from srim_analysis.analyses.survey_tables import (
    BY_PHRASES,
    DEFAULT_CONSTRUCTS,
    GROUPINGS,
    SCORE_DEPENDS,
    SURVEY_TABLES,
    TOTAL,
    construct_label,
    has_survey,
)
from srim_analysis.charts import survey as survey_charts
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.report.publishing import Report, Section
from srim_analysis.report.widgets import dropdown, report_for, shown_html, site_dropdown
from srim_analysis.report.wording import count_words, decimal
from srim_analysis.study.loading import Study
from srim_analysis.study.selection import ALL_SITES

__all__ = [
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
    "the ordinal model of confidence and its forest plot",
    "the linear (OLS) sensitivity analysis",
    "the survey half of the summary",
    "the interactive explorer",
)


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
    n = _n_respondents(report)
    if n == 0:
        return Section(
            [
                f"**Survey sections skipped.** The survey has no respondents {where}, so "
                f"these sections are skipped: {'; '.join(SURVEY_SECTIONS)}. The qualitative "
                "barriers and facilitators are still reported below."
            ]
        )
    return Section(
        [
            f"**Every section runs.** The study folder holds the survey ({n} respondents "
            f"{where}) as well as the coded interviews and focus groups. Where there are too "
            "few respondents for a statistic (a group smaller than `min_cell`, or a model with "
            "too few respondents per factor), that section says so in a sentence."
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


def show_respondents(report: Report, constructs: Sequence[str] = DEFAULT_CONSTRUCTS) -> Section:
    """Publish and return who answered (by agency and by role) and each item's completeness."""
    skip = _skip(report, "table of respondents")
    if skip:
        return skip
    study, site, where = report.study, report.site, report.site_label
    section = Section(
        [
            f"{_n_respondents(report)} people answered the survey {report.where}. A "
            "respondent is *complete* when they gave an answer (a rating, don't know or not "
            "applicable) to every item reported here."
        ]
    )
    for by in ("agency", "role"):
        report.publish(
            section,
            survey_tables.respondents_by(study, site, by, constructs),
            f"respondents_by_{by}",
            f"Survey respondents by {by} and whether they answered every item — {where}",
            count_columns=["respondents"],
            view=lambda p, by=by: survey_tables.wide_view(p, [by], "answered", "respondents"),
        )
    report.publish(
        section,
        survey_tables.item_completeness(study, site, constructs),
        "item_completeness",
        f"Answers to each survey item: rated, don't know, not applicable, blank — {where}",
        count_columns=["respondents"],
        view=lambda p: survey_tables.wide_view(p, ["item", "statement"], "answer", "respondents"),
    )
    return section


def _figure_id(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def show_item_charts(
    report: Report,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
    group_by: str = "agency",
) -> Section:
    """Publish and return one diverging bar chart per construct, then CONF1 by group."""
    skip = _skip(report, "chart of answers")
    if skip:
        return skip
    study, min_cell, where = report.study, report.min_cell, report.site_label
    constructs = survey_tables.check_constructs(study, constructs)
    survey_tables.check_by(group_by)
    data = survey_tables.site_responses(study, report.site)
    items = study.survey_items
    groups = survey.construct_items(items)
    section = Section(
        [
            "Each bar is one statement: the percentage of those who gave a rating, disagreement "
            "to the left of zero and agreement to the right (the neutral answer straddles "
            "zero). The n behind each bar, and how many said don't know or not applicable "
            f'(DK/NA; "<{min_cell}" when fewer than {min_cell}), are under the '
            "statement. For *reverse-scored* statements agreeing is the less favourable answer. "
            f"Statements rated by fewer than {min_cell} people are not drawn."
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for construct in constructs:
            ids = groups[construct]
            label = construct_label(construct)
            fig = survey_charts.plot_statements(
                data,
                items,
                ids,
                survey_tables.item_labels(study, ids),
                report.title(label),
                min_cell,
            )
            report.add_figure(
                section,
                fig,
                f"likert-{_figure_id(construct)}",
                f"{label}: answers to each statement (% of those who gave a rating) — {where}.",
            )
        if survey.CONFIDENCE_ITEM in survey.item_info(items):
            by = BY_PHRASES[group_by]
            section.add(
                "The outcome of the models below: how confident respondents feel sharing "
                "information about a father or significant man with another agency (CONF1), "
                f"by {by}."
            )
            fig = survey_charts.plot_item_by_group(
                data,
                items,
                survey.CONFIDENCE_ITEM,
                group_by,
                survey_tables.chart_groups(study, data, survey.CONFIDENCE_ITEM, group_by, min_cell),
                report.title(f"Confidence to share (CONF1) by {by}"),
                min_cell,
            )
            if fig is None:
                section.add(
                    f"*No {by} has {min_cell} or more ratings of CONF1 {report.where}, so the "
                    "chart is not drawn.*"
                )
                return section
            report.add_figure(
                section,
                fig,
                f"confidence-by-{_figure_id(group_by)}",
                f"Confidence to share information about a father (CONF1) by {by}; groups with "
                f"fewer than {min_cell} ratings, or hidden so that a smaller group cannot be "
                f"worked out, are not drawn — {where}.",
            )
    return section


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


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
            + ", ".join(f"{r.label} ({decimal(r.alpha)})" for r in low.itertuples())
            + ": read their scale scores with caution."
        )
    if len(unsure):
        parts.append(
            "At or above 0.70 but with an interval reaching below it: "
            + ", ".join(f"{r.label} ({decimal(r.alpha)})" for r in unsure.itertuples())
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
    skip = _skip(report, "reliability table")
    if skip:
        return skip
    rel, stats = survey_tables.reliability_tables(report.study, report.site, constructs)
    section = Section([_reliability_sentence(rel)])
    where = report.site_label
    report.publish(
        section,
        rel,
        "reliability",
        f"Reliability of each scale: Cronbach's alpha with 95% interval, omega, n — {where}",
        count_columns=["n_respondents"],
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
    clear = tested[tested["p_holm"] < 0.05]
    text = (
        f"{len(tested)} construct(s) tested by {what} "
        f"({tested['test'].iloc[0]}; p-values Holm-adjusted across the constructs). "
    )
    if clear.empty:
        return text + "None differs clearly between the groups (every adjusted p is 0.05 or more)."
    parts = [
        f"{r.construct} (adjusted p = {r.p_holm:.3g}, {r.effect_measure.split(' (')[0]} "
        f"{decimal(r.effect_size)})"
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
    )
    section.add(
        f"Mean scale score (n) by {BY_PHRASES[group_by]}; the published table adds the "
        "SD, median and quartiles."
    )
    report.publish(
        section,
        survey_tables.score_summary(study, site, constructs, group_by, min_items_answered),
        f"scores_by_{group_by}",
        f"Scale scores (1-5) by {BY_PHRASES[group_by]}: n, mean, SD, median and "
        f"quartiles — {where}",
        count_columns=["n"],
        depends=SCORE_DEPENDS,
        view=lambda p: survey_tables.score_view(p, group_by),
    )
    tests = survey_tables.group_tests(
        study, site, constructs, group_by, min_items_answered, report.min_cell
    )
    section.add(_tests_sentence(tests, group_by))
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
# The ordinal model of confidence and its linear sensitivity analysis
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
    report.publish(
        section,
        survey_model_tables.model_table(result),
        "model_odds_ratios",
        f"Ordinal model of confidence (CONF1): odds ratios with {pct}% CI — {where}",
        count_columns=["n_level"],
        view=survey_model_tables.estimates_view,
    )
    dropped = report.publish(
        section,
        survey_model_tables.dropped_table(result),
        "model_missing_data",
        f"Respondents in the ordinal model and those left out, by reason — {where}",
        count_columns=["n"],
        show=False,
    )
    section.add(missing_data_sentence(dropped, report.min_cell))
    report.add_figure(
        section,
        survey_charts.forest_plot(result, title=report.title("Odds ratios for confidence (CONF1)")),
        "forest-ordinal-model",
        f"Odds ratios (log scale) with {pct}% confidence intervals from the ordinal model of "
        f"CONF1; the dashed line marks no difference — {where}.",
    )
    thresholds = survey_model_tables.thresholds_table(result)
    if thresholds is not None:
        section.add(
            "**Thresholds.** The model places a cut point between each pair of neighbouring "
            "answers on the log-odds scale, for a respondent in every reference group with "
            "zero on the numeric factors; they are named by the answers they separate."
        )
        report.publish(
            section,
            thresholds,
            "model_thresholds",
            f"Ordinal model thresholds between neighbouring CONF1 answers (log-odds, {pct}% CI)"
            f" — {where}",
            count_columns=[],
        )
    predicted = survey_model_tables.predicted_answers(result)
    if predicted is not None:
        section.add(
            "On the original answer scale: the predicted share of each answer for a respondent "
            "who has not read the advice, with median manager support, in every reference "
            "group, trained and not trained."
        )
        report.publish(
            section,
            predicted,
            "model_predicted_answers",
            f"Predicted % of each CONF1 answer, not trained vs trained (others typical) — {where}",
            count_columns=[],
        )
    section.add(_po_sentence(result))
    po = survey_model_tables.proportional_odds_table(result)
    if po is not None:
        report.publish(
            section,
            po,
            "model_proportional_odds",
            f"Proportional-odds check (Brant test) per factor and overall — {where}",
            count_columns=[],
            not_counts=["df"],
        )
    other = [n for n in result.notes if "Brant" not in n]
    if other:
        section.add("Notes on the fit: " + " ".join(other))
    return section


def _po_sentence(result: ModelResult) -> str:
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
    report.publish(
        section,
        survey_model_tables.model_table(result),
        "ols_differences",
        f"Linear sensitivity model of confidence (CONF1): differences in mean score with {pct}% "
        f"CI — {where}",
        count_columns=["n_level"],
        view=survey_model_tables.estimates_view,
    )
    if result.notes:
        section.add("Notes on the fit: " + " ".join(result.notes))
    return section


def _agreement(report: Report, ols: ModelResult, factors: Sequence[str] | None) -> str:
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
            f"How many of the {len(people)} interview and focus-group participants {report.where} "
            "raised each barrier to sharing and each facilitator, by "
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
    report.add_figure(
        section,
        survey_charts.barrier_chart(
            survey_barriers.ranked_totals(published, by),
            report.title("Barriers and facilitators raised"),
            report.min_cell,
        ),
        "barriers-facilitators",
        f"Share of interview and focus-group participants who raised each barrier and "
        f"facilitator; counts below {report.min_cell} hidden — {where}.",
    )
    quotes = survey_barriers.top_barrier_quotes(study, site, min_cell=report.min_cell)
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


def _qualitative_summary(report: Report) -> str:
    study, site = report.study, report.site
    people = report.for_site(study.participants)
    if len(people) < report.min_cell:
        return ""
    table = disclosure.publishable(
        survey_barriers.barrier_table(study, site),
        report.min_cell,
        count_columns=["n_participants"],
    )
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
            text = survey_model_tables.summarise_factors(result, max_factors=max_factors)
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


def _safe_missing_statement(result: ModelResult, min_cell: int) -> str:
    """Return the complete-case statement with small counts suppressed."""
    published = disclosure.publishable(
        survey_model_tables.dropped_table(result), min_cell, count_columns=["n"]
    )
    return missing_data_sentence(published, min_cell)


def show_summary(report: Report, factors: Sequence[str] | None = None) -> Section:
    """Return the generated summary of the strongest factors, for display."""
    return Section([summary_text(report, factors)])


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
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
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
    data = survey_tables.site_responses(study, site)
    items = study.survey_items
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = survey.construct_items(items)[construct]
        groups = {i: survey_tables.chart_groups(study, data, i, by, min_cell) for i in ids}
        fig = survey_charts.plot_construct_by_group(
            data,
            items,
            ids,
            by,
            groups,
            report.title(f"{construct_label(construct)} by {BY_PHRASES[by]}"),
            min_cell,
        )
        tests = survey_tables.group_tests(
            study, site, [construct], by, min_items_answered, min_cell
        )
    shown = report.made_safe(
        tests[_TEST_COLUMNS], count_columns=["n"], not_counts=["groups_compared"]
    )
    shown.attrs["caption"] = (
        f"Does the {construct_label(construct).lower()} score differ by {BY_PHRASES[by]}? "
        f"(one test: p is not adjusted; the notebook's table adjusts across constructs) — "
        f"{report.site_label}"
    )
    plain = shown.to_string(index=False)
    return (_png_output(fig), _html_output(shown_html(report, shown), plain))


def show_explorer(
    report: Report,
    constructs: Sequence[str] = DEFAULT_CONSTRUCTS,
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
    constructs = survey_tables.check_constructs(study, constructs)
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
        [(construct_label(c), c) for c in constructs], constructs[0], "Construct:"
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
                f"Survey explorer ({where}): {construct_label(construct_dd.value)} by "
                f"{BY_PHRASES[group_dd.value]}. Open the notebook in JupyterLab to use it."
            )

    box = Explorer([widgets.VBox([site_dd, widgets.HBox([construct_dd, group_dd])]), out])
    box.output = out  # type: ignore[attr-defined]
    box.site = site_dd  # type: ignore[attr-defined]
    box.construct = construct_dd  # type: ignore[attr-defined]
    box.group_by = group_dd  # type: ignore[attr-defined]
    return box
