"""Objective 2: the cross-site comparison and the transfer blueprint - the notebook's glue.

The numbers come from :mod:`srim_analysis.analyses.comparison`,
:mod:`srim_analysis.analyses.funnel` and :mod:`srim_analysis.analyses.blueprint`, the
figures from :mod:`srim_analysis.charts.comparison` and
:mod:`srim_analysis.charts.blueprint`; this module turns them into what notebook
``01_cross_site_comparison`` publishes, one call per section:

* :func:`show_run_summary` - the focus site, its role, and which sections apply to it;
* :func:`show_site_indicators` and :func:`show_agency_indicators` - practice with fathers
  per site (audits, observed meetings, documents) and per site and lead agency;
* :func:`show_survey_scores` - each survey outcome of the plan by site, then by agency;
* :func:`show_intervals` - every site with its 95% interval, one panel per indicator;
* :func:`show_focus_profile` - the focus site beside the all-site value;
* :func:`show_funnel_plots` - where each site lies, and one funnel plot per indicator;
* :func:`show_before_after` - where sites are split, the change table, its chart and the
  focus site's change;
* :func:`show_blueprint`, :func:`show_adoption_order`, :func:`show_lessons`,
  :func:`show_quotes` and :func:`show_focus_column` - the transfer blueprint;
* :func:`show_explorer` - an interactive site picker.

Every table goes through :meth:`Report.publish` (small counts suppressed, written as CSV)
and every figure through :meth:`Report.chart`, drawn from the published table (a hidden
cell is not drawn, and the figure says what it leaves out); sentences are written from
published cells. The study's plan (``study.toml``) says which case-audit indicators are
compared (``[comparison] indicators``, unless the notebook's ``indicators`` names them)
and which survey constructs are its outcomes (``[survey.outcomes]``). Each section says
so in plain words when it does not apply to the focus site, or when the study lacks the
table or the part of the plan it needs; a focus-site section shows rows of a table *as
published* (suppression worked out on the whole table) rather than publishing a subset.
Sections read the small-cell threshold from ``report.min_cell``.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import blueprint, comparison, funnel
from srim_analysis.analyses.blueprint import EvidenceRule
from srim_analysis.analyses.comparison import (
    CHANGE_DEPENDS,
    INDICATOR_LABELS,
    MEAN_DEPENDS,
    PROPORTION_DEPENDS,
    ROLE_LABELS,
    TOTAL,
)
from srim_analysis.charts import blueprint as blueprint_charts
from srim_analysis.charts import comparison as comparison_charts
from srim_analysis.report.figures import figure_link
from srim_analysis.report.publishing import Section
from srim_analysis.report.widgets import report_for, shown_html, site_dropdown
from srim_analysis.report.wording import decimal, interval
from srim_analysis.study.contract import SITE_ROLES
from srim_analysis.study.selection import is_all_sites

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from srim_analysis.report.publishing import Report

#: The population the site, agency and funnel tables count (one case is one audited case).
CASES = "cases"
#: The figure id of the dot-and-interval chart (a per-site page of a large study links the
#: whole-study one, which has a row per site).
INTERVALS_FIGURE = "intervals-audit-indicators"
#: The population the survey-score tables count.
RESPONDENTS = "respondents"
#: What a section says when neither the notebook nor the plan names audit indicators.
NO_INDICATORS = (
    "*No case-audit indicators are named for the comparison, so this section is skipped: "
    "list them under `[comparison] indicators` in the study's `study.toml` (or set the "
    "notebook's `indicators` parameter).*"
)

__all__ = [
    "show_adoption_order",
    "show_agency_indicators",
    "show_before_after",
    "show_blueprint",
    "show_explorer",
    "show_focus_column",
    "show_focus_profile",
    "show_funnel_plots",
    "show_intervals",
    "show_lessons",
    "show_quotes",
    "show_run_summary",
    "show_site_indicators",
    "show_survey_scores",
]

# ---------------------------------------------------------------------------
# The focus site
# ---------------------------------------------------------------------------


def _focus_name(report: Report) -> str | None:
    """Return the focus site's display name, or None when the run covers all sites."""
    return None if is_all_sites(report.site) else report.site_label


def _focus_phrase(report: Report) -> str:
    """Return how a caption names the focus site ("<site> highlighted", or none highlighted)."""
    if is_all_sites(report.site):
        return "all sites, none highlighted"
    return f"{report.site_label} highlighted"


def _roles(report: Report) -> dict[str, str]:
    """Return each site's role by its display name (the site names of published tables)."""
    sites = comparison.site_table(report.study)
    return dict(zip(sites["display_name"].astype(str), sites["role"].astype(str), strict=True))


def _chart(
    report: Report,
    section: Section,
    published: pd.DataFrame,
    figure_id: str,
    caption: str,
    title: str,
    draw: Callable[..., Figure | None],
    *args: Any,
    **kwargs: Any,
) -> None:
    """Draw a chart from a published table, the focus site highlighted; add it to ``section``.

    The title names the site; the caption ends by saying which site is highlighted.
    """
    focus, titled = _focus_name(report), report.title(title)
    report.chart(
        section,
        published,
        lambda table: draw(table, *args, focus=focus, title=titled, **kwargs),
        figure_id,
        f"{caption}; {_focus_phrase(report)}.",
    )


def _part(published: pd.DataFrame, rows: Any) -> pd.DataFrame:
    """Return some rows of a published table, still marked as published (a chart's source)."""
    out = published[rows].copy()
    out.attrs = dict(published.attrs)
    return out


def _table_section(
    report: Report, frame: pd.DataFrame, name: str, caption: str, **options: Any
) -> Section:
    """Publish one table (options as for :meth:`Report.publish`); return the section showing it."""
    section = Section()
    report.publish(section, frame, name, caption, **options)
    return section


def _rows_of(published: pd.DataFrame, sites: Sequence[str], caption: str) -> pd.DataFrame:
    """Return the rows of a published table for the named sites (shown, not written)."""
    out = published[published["site"].isin(list(sites))].copy()
    out.attrs = {**published.attrs, "caption": caption}
    return out


def _and(words: Iterable[str]) -> str:
    """Return words as a list in a sentence: "a", "a and b", "a, b and c"."""
    words = list(words)
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _indicators(report: Report, indicators: Sequence[str] | None) -> list[str]:
    """Return the audit indicators compared: the notebook's, or (None) the study plan's."""
    return list(report.study.plan.comparison.indicators if indicators is None else indicators)


def _audit_gap(report: Report, indicators: Sequence[str]) -> Section | None:
    """Return a section saying why an audit section is skipped, or None when it runs."""
    missing = report.missing("case_audit")
    if missing is not None:
        return missing
    return None if indicators else Section([NO_INDICATORS])


def _site_table(report: Report, indicators: Sequence[str]) -> pd.DataFrame:
    """Return the site-indicators table as :func:`show_site_indicators` publishes it."""
    return report.made_safe(
        comparison.site_indicators(report.study, indicators=indicators),
        depends=PROPORTION_DEPENDS,
        population=CASES,
    )


def _positions(report: Report, indicators: Sequence[str], source: str) -> pd.DataFrame:
    """Return the funnel-positions table of the audit indicators (not yet made safe).

    The all-site value is the "All" row's proportion, hidden with its counts; the
    ``all_sites`` column that repeats it in every row is left out, since it would show
    the value where the "All" row hides it.
    """
    table = comparison.site_indicators(report.study, indicators=indicators)
    positions = funnel.funnel_positions(table, source).drop(columns="all_sites")
    return positions[positions["indicator"].isin(indicators)].reset_index(drop=True)


def show_run_summary(report: Report, origin_site: str | None = None) -> Section:
    """Return a paragraph: the focus site, its role, and which sections apply to it.

    An ``origin_site`` that is not a site of the study stops the run here.
    """
    comparison.origin_site_id(report.study, origin_site)
    sites = comparison.site_table(report.study)
    counts = sites["role"].value_counts()
    role_text = _and(
        f"the {ROLE_LABELS[r]}{'' if counts[r] == 1 else 's'}"
        for r in SITE_ROLES
        if counts.get(r, 0)
    )
    lines = []
    if is_all_sites(report.site):
        lines.append(
            f'**No focus site** (`site = "all"`): this run compares every site of the study '
            f"({role_text}). The focus-site sections say so and are skipped; set `site` to "
            "a site id to see one site's profile, its place in the funnel plots, its change "
            "since adoption and its column of the blueprint."
        )
    else:
        role = comparison.site_role(report.study, report.site)
        start = comparison.date_text(sites.at[report.site, "initiative_start"])
        what = {
            "adopter": (
                f"It adopted the initiative on {start}: every section applies, "
                "including its change since adoption."
            ),
            "origin": (
                f"The initiative started here on {start}, before the audited "
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
            f"Every site of the study ({role_text}) is shown for comparison, the focus site "
            "highlighted."
        )
    if origin_site and sites.at[origin_site, "role"] != "origin":
        lines.append(
            f'*Note: `origin_site = "{origin_site}"` '
            f"({sites.at[origin_site, 'display_name']}) is recorded as a "
            f"{sites.at[origin_site, 'role']} site in sites.csv, not as the origin; it is "
            "treated as the origin here.*"
        )
    return Section(lines)


# ---------------------------------------------------------------------------
# Site and agency indicators, survey scores
# ---------------------------------------------------------------------------


def _indicator_section(
    report: Report,
    indicators: Sequence[str] | None,
    table: Callable[..., pd.DataFrame],
    name: str,
    caption: str,
) -> Section:
    """Publish an indicators table of the plan's (or the given) indicators, or say why not."""
    indicators = _indicators(report, indicators)
    gap = _audit_gap(report, indicators)
    if gap is not None:
        return gap
    return _table_section(
        report,
        table(report.study, indicators=indicators),
        name,
        caption,
        depends=PROPORTION_DEPENDS,
        population=CASES,
    )


def show_site_indicators(report: Report, indicators: Sequence[str] | None = None) -> Section:
    """Publish and return the practice indicators per site (audits, meetings, documents).

    ``indicators`` None: the study plan's ``[comparison] indicators``.
    """
    return _indicator_section(
        report,
        indicators,
        comparison.site_indicators,
        "site-indicators",
        "Father-related practice by site: audited cases, observed meetings and documents; "
        "proportion with a 95% Wilson interval (blanks excluded from n and counted in n_blank)",
    )


def show_agency_indicators(report: Report, indicators: Sequence[str] | None = None) -> Section:
    """Publish and return the audit indicators per site and lead agency (None: the plan's)."""
    return _indicator_section(
        report,
        indicators,
        comparison.agency_indicators,
        "agency-indicators",
        "Father-related practice in audited cases by site and lead agency, with 95% Wilson "
        "intervals",
    )


def show_survey_scores(report: Report) -> Section:
    """Publish and return each survey outcome's mean by site, then by site and agency.

    The outcomes are the constructs the study's plan maps (``[survey.outcomes]``). Without
    a survey, or with no outcome mapped, the section says so and publishes nothing.
    """
    for table in ("survey_responses", "survey_items"):
        missing = report.missing(table)
        if missing is not None:
            return missing
    measures = comparison.survey_measures(report.study)
    if not measures:
        return Section(
            [
                "*The study's plan maps no survey outcome to a construct of `survey_items` "
                "(`[survey.outcomes]` in its `study.toml`), so no survey score is compared.*"
            ]
        )
    labels = "; ".join(m.label for m in measures)
    section = Section()
    for by_agency in (False, True):
        report.publish(
            section,
            comparison.survey_scores(report.study, by_agency=by_agency),
            "survey-scores-by-agency" if by_agency else "survey-scores",
            "Mean survey scores by site"
            + (" and respondent's agency" if by_agency else "")
            + f": {labels}; with 95% t intervals; don't know, not applicable and blank "
            "answers left out",
            depends=MEAN_DEPENDS,
            population=RESPONDENTS,
        )
    return section


# ---------------------------------------------------------------------------
# Every site with its interval; the focus site's profile; funnel plots
# ---------------------------------------------------------------------------


def show_intervals(report: Report, indicators: Sequence[str] | None = None) -> Section:
    """Save and return the dot-and-interval chart of the audit indicators, site by site.

    Drawn from the published site-indicators table (its audit rows are the figure's source
    data). ``indicators`` None: the study plan's.
    """
    indicators = _indicators(report, indicators)
    gap = _audit_gap(report, indicators)
    if gap is not None:
        return gap
    published = _site_table(report, indicators)
    audit = (published["source"] == "case_audit") & published["indicator"].isin(indicators)
    section = Section()
    n_sites = len(set(published.loc[audit & (published["site"] != TOTAL), "site"]))
    if _focus_name(report) is not None and n_sites > comparison_charts.COMPACT_ABOVE:
        link = figure_link(report.site, report.notebook, INTERVALS_FIGURE)
        section.add(
            f"With this many sites, the chart shows {report.site_label} and the origin with "
            "their intervals, and every other site as a dot on the strip of its role; "
            f"[each site with its own interval]({link}) is in the whole-study report."
        )
    _chart(
        report,
        section,
        _part(published, audit),
        INTERVALS_FIGURE,
        "Proportion of audited cases with each father-related step, by site, with 95% Wilson "
        "intervals and the all-site value",
        "Audited cases by site",
        comparison_charts.interval_chart,
        indicators,
        roles=_roles(report),
    )
    return section


def _shown_positions(report: Report, published: pd.DataFrame, site: str) -> pd.DataFrame:
    """Return a site's rows of the published funnel positions whose position is shown."""
    shown = ~published["position"].map(disclosure.is_suppressed).astype(bool)
    return published[(published["site"] == site) & shown & (published["position"] != "")]


def show_focus_profile(report: Report, indicators: Sequence[str] | None = None) -> Section:
    """Return the focus site's published indicators beside "All", and a sentence.

    The sentence names the audit indicators on which the site lies outside the 95% funnel
    limits, as the published funnel positions give them. For ``site = "all"`` it says there
    is no focus site.
    """
    name = _focus_name(report)
    if name is None:
        return Section(
            [
                '*No focus site was chosen (`site = "all"`), so there is no single-site '
                "profile: the full comparison is above and below.*"
            ]
        )
    indicators = _indicators(report, indicators)
    gap = _audit_gap(report, indicators)
    if gap is not None:
        return gap
    view = _rows_of(
        _site_table(report, indicators),
        [name, TOTAL],
        f"{name} beside all sites (All): father-related practice in audited cases, observed "
        "meetings and documents, with 95% Wilson intervals",
    )
    positions = report.made_safe(
        _positions(report, indicators, "case_audit"),
        depends=funnel.POSITION_DEPENDS,
        population=CASES,
    )
    mine = _shown_positions(report, positions, name)
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


def _funnel_note(report: Report, published: pd.DataFrame) -> str:
    """Return the sentence above the funnel plots: how to read them, or where the focus lies."""
    focus = _focus_name(report)
    if focus is None:
        return (
            "Each point is a site. A site inside the dashed funnel (95% limits) is consistent "
            "with the all-site value; outside the dotted funnel (99.8% limits) a difference is "
            'unlikely to be chance. No site is highlighted (`site = "all"`).'
        )
    mine = _shown_positions(report, published, focus)
    if mine.empty:
        return f"{focus}'s numbers are too small to publish, so it is not drawn."
    inside = mine[mine["position"] == funnel.POSITIONS[2]]
    outside = mine[mine["position"] != funnel.POSITIONS[2]]
    parts = []
    if len(inside):
        which = "every indicator shown" if outside.empty else _and(inside["label"].str.lower())
        parts.append(f"lies within the 95% limits for {which}")
    if len(outside):
        parts.append(
            "outside them for "
            + "; ".join(f"{r.label.lower()} ({r.position})" for r in outside.itertuples())
        )
    return f"**{focus}** (highlighted) " + "; ".join(parts) + "."


def _outliers_sentence(published: pd.DataFrame) -> str:
    """Return which sites the published positions place outside the 95% funnel limits."""
    outside = published[
        (published["site"] != TOTAL)
        & published["position"].isin(funnel.POSITIONS)
        & (published["position"] != funnel.POSITIONS[2])
    ]
    if outside.empty:
        return (
            "Every site whose position is published lies within the 95% limits of every "
            "funnel plot: no site stands out from the all-site value."
        )
    parts = [
        f"{label.lower()}: " + _and(f"{r.site} ({r.position})" for r in rows.itertuples())
        for label, rows in outside.groupby("label", sort=False)
    ]
    return "Sites outside the 95% funnel limits — " + "; ".join(parts) + "."


def show_funnel_plots(
    report: Report, indicators: Sequence[str] | None = None, source: str = "case_audit"
) -> Section:
    """Publish and return the funnel positions table and one funnel plot per indicator.

    Figure ids are ``funnel-<indicator>`` (``funnel-father-info-shared``), each drawn from
    its rows of the published positions table; the section's sentence says where the focus
    site lies in each. ``indicators`` None: the study plan's.
    """
    indicators = _indicators(report, indicators)
    gap = _audit_gap(report, indicators)
    if gap is not None:
        return gap
    positions = _positions(report, indicators, source)
    section = Section()
    published = report.publish(
        section,
        positions,
        "funnel-positions",
        "Where each site lies in each funnel plot of audited cases: proportion, 95% Wilson "
        "interval and position against exact binomial 95% and 99.8% limits around the "
        "all-site value (the All row)",
        depends=funnel.POSITION_DEPENDS,
        population=CASES,
    )
    section.add(_funnel_note(report, published), first=True)
    if _focus_name(report) is None:
        report.finding(_outliers_sentence(published), table="funnel-positions")
    roles = _roles(report)
    for ind in indicators:
        label = INDICATOR_LABELS.get(ind, ind)
        _chart(
            report,
            section,
            _part(published, published["indicator"] == ind),
            f"funnel-{ind.replace('_', '-')}",
            f"Funnel plot of audited cases where {label.lower()}: each site's proportion "
            "against its number of cases with this recorded, with 95% and 99.8% exact "
            "binomial limits around the all-site value",
            f"Funnel plot: {label.lower()}",
            comparison_charts.funnel_plot,
            ind,
            source=source,
            roles=roles,
        )
    return section


# ---------------------------------------------------------------------------
# Before and after adoption
# ---------------------------------------------------------------------------


def _focus_change(report: Report, published: pd.DataFrame, section: Section) -> None:
    """Add the focus site's change since adoption (its published rows), or why there is none."""
    name = _focus_name(report)
    if name is None:
        section.add("*No focus site was chosen: the table and chart above show every adopter.*")
        return
    role = comparison.site_role(report.study, report.site)
    if role == "comparison":
        section.add(
            f"*{name} is a comparison site: it did not adopt the initiative, so it has no "
            "before/after change. The pooled comparison sites (All comparison sites) show how "
            "practice moved elsewhere over the same period.*"
        )
        return
    rows = published[(published["site"] == name) & (published["role"] == role)]
    if rows.empty:
        section.add(
            f"*{name} has no audited cases on both sides of its split date, so no change can "
            "be estimated.*"
        )
        return
    view = _rows_of(
        published[published["role"] == role],
        [name, TOTAL] if role == "adopter" else [name],
        f"{name}: each indicator before and after, with the change (after minus before) and "
        "its 95% Newcombe hybrid score interval",
    )

    def num(v: Any) -> float:
        return float("nan") if disclosure.is_suppressed(v) else float(v)

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
    section.add(lead.strip())
    section.add(report.show(view))
    section.tables["focus-change"] = view


def show_before_after(
    report: Report,
    indicators: Sequence[str] | None = None,
    origin_site: str | None = None,
) -> Section:
    """Publish and return the change since adoption: split dates, table, chart, focus site.

    The section says where each site's cases are split, publishes the before/after table
    and its chart (drawn from the published table), and ends with the focus site's change
    (or why it has none). ``indicators`` None: the study plan's.
    """
    indicators = _indicators(report, indicators)
    gap = _audit_gap(report, indicators)
    if gap is not None:
        return gap
    change = comparison.before_after(report.study, indicators=indicators, origin_site=origin_site)
    section = Section([comparison.split_note(report.study, origin_site)])
    published = report.publish(
        section,
        change,
        "before-after",
        "Audit indicators before and after adoption, with the change (after minus before) "
        "and its 95% Newcombe hybrid score interval; adopters, all adopters pooled, the origin "
        "site and the comparison sites pooled (split at the first adopter's start)",
        depends=CHANGE_DEPENDS,
        population=CASES,
    )
    if not published.empty:
        _chart(
            report,
            section,
            published,
            "before-after",
            "Each audit indicator before (hollow) and after (filled) adoption for each adopter, "
            "all adopters, the origin site and the comparison sites, with 95% Wilson intervals",
            "Before and after adoption",
            comparison_charts.before_after_chart,
            indicators,
        )
    _focus_change(report, published, section)
    return section


# ---------------------------------------------------------------------------
# The transfer blueprint
# ---------------------------------------------------------------------------


def _blueprint_gap(report: Report) -> Section | None:
    """Return a section saying why the blueprint sections are skipped, or None when they run."""
    for table in ("codebook", "coded_segments"):
        missing = report.missing(table)
        if missing is not None:
            return missing
    codebook = report.study.tables["codebook"]
    if not (codebook["branch"] == blueprint.COMPONENT_BRANCH).any():
        return Section(
            [
                f"*No code of the codebook is in the `{blueprint.COMPONENT_BRANCH}` theme (its "
                f"branch, or `[codes.themes] {blueprint.COMPONENT_BRANCH}` in the study's "
                "`study.toml`), so there is no transfer blueprint.*"
            ]
        )
    roles = set(report.study.tables["sites"]["role"])
    if not roles & set(blueprint.DEFAULT_ROLES):
        return Section(
            [
                "*No site is recorded as the origin or an adopter in `sites.csv`, so there is "
                "no transfer blueprint.*"
            ]
        )
    return None


def _rule_text(rule: EvidenceRule) -> str:
    """Return the paragraph stating the blueprint rule."""
    return (
        "How a component is judged to be in place at a site: "
        + rule.describe()
        + " Each cell also gives the evidence: coded segments, distinct sources and the "
        "source types behind it (counts below the small-cell threshold show as c)."
    )


def show_blueprint(
    report: Report,
    present_min_types: int = EvidenceRule.present_min_types,
    partial_min_types: int = EvidenceRule.partial_min_types,
) -> Section:
    """Publish and return the transfer blueprint: its rule, the matrix and its chart."""
    rule = EvidenceRule(present_min_types=present_min_types, partial_min_types=partial_min_types)
    gap = _blueprint_gap(report)
    if gap is not None:
        return gap
    matrix = blueprint.blueprint_matrix(report.study, rule=rule)
    section = Section([_rule_text(rule)])
    published = report.publish(
        section,
        matrix,
        "blueprint",
        "Transfer blueprint: each component at the origin and each adopter, its status "
        "(present / partial / absent), coded segments, distinct sources, source types and the "
        "date of the first source evidencing it",
    )
    _chart(
        report,
        section,
        published,
        "blueprint-matrix",
        "Transfer blueprint: components by site, coloured present, partial or absent, with the "
        "number of sources and their types in each cell",
        "Transfer blueprint",
        blueprint_charts.blueprint_chart,
    )
    return section


def show_adoption_order(report: Report) -> Section:
    """Publish and return the order in which each site's components appeared, and its timeline.

    The order uses only the dates of the evidence, not the blueprint rule.
    """
    gap = _blueprint_gap(report)
    if gap is not None:
        return gap
    order = blueprint.adoption_order(report.study, blueprint.blueprint_matrix(report.study))
    section = Section()
    published = report.publish(
        section,
        order,
        "adoption-order",
        "Order in which each site's components were first evidenced (earliest source date), with "
        "days from the site's initiative start",
        not_counts=["order", "days_from_start"],
    )
    if not published.empty:
        _chart(
            report,
            section,
            published,
            "adoption-timeline",
            "Date of the first source evidencing each component at the origin and each adopter, "
            "with the site's initiative start",
            "When each component was first evidenced",
            blueprint_charts.adoption_timeline,
        )
    return section


def show_lessons(report: Report) -> Section:
    """Publish and return the barriers and facilitators coded with each component, by site."""
    gap = _blueprint_gap(report)
    if gap is not None:
        return gap
    return _table_section(
        report,
        blueprint.component_lessons(report.study),
        "lessons",
        "Barriers and facilitators coded on the same segments as each component, by site",
    )


def _quotes(report: Report, seed: int, record: bool = True) -> tuple[pd.DataFrame, str | None]:
    """Return the illustrative quotes the report may publish, and what is held back.

    Redacted with the study's identifier list; with real data only the quotes a researcher
    approved in the review sheet (``record=False`` reads the decisions, records nothing).
    """
    chosen = blueprint.illustrative_quotes(
        report.study,
        disclosure.study_identifiers(report.study.folder),
        seed=seed,
        min_group=report.min_cell,
    )
    reviewed = report.review_quotes(chosen.assign(code_id=chosen["component_id"]), record=record)
    kept = reviewed.quotes.drop(columns=["code_id", "segment_id", "key"], errors="ignore")
    return kept.reset_index(drop=True), reviewed.sentence()


def show_quotes(report: Report, seed: int = blueprint.DEFAULT_SEED) -> Section:
    """Publish and return one redacted illustrative quote per component and site."""
    gap = _blueprint_gap(report)
    if gap is not None:
        return gap
    quotes, held_back = _quotes(report, seed)
    section = _table_section(
        report,
        quotes,
        "quotes",
        "One illustrative quote per component and site (redacted; attributed by role, agency, site "
        "and method)",
    )
    return section.add(held_back, first=True) if held_back else section


def _listing(values: Sequence[str]) -> str:
    return "; ".join(values) if len(values) else "none coded"


def show_focus_column(
    report: Report,
    present_min_types: int = EvidenceRule.present_min_types,
    partial_min_types: int = EvidenceRule.partial_min_types,
    seed: int = blueprint.DEFAULT_SEED,
) -> Section:
    """Return the focus site's column of the blueprint with its lessons and quotes.

    The rows are those of the published blueprint, lessons and quotes, joined per
    component (barriers and facilitators most frequent first, without counts). For
    ``site = "all"`` or a comparison site it says why there is no column.
    """
    name = _focus_name(report)
    if name is None:
        return Section(
            [
                '*No focus site was chosen (`site = "all"`): the full blueprint, lessons and '
                "quotes are above.*"
            ]
        )
    rule = EvidenceRule(present_min_types=present_min_types, partial_min_types=partial_min_types)
    gap = _blueprint_gap(report)
    if gap is not None:
        return gap
    matrix = report.made_safe(blueprint.blueprint_matrix(report.study, rule=rule))
    if name not in set(matrix["site"]):
        role = comparison.site_role(report.study, report.site)
        return Section(
            [
                f"*{name} is a {role} site: it did not adopt the initiative, so it has no column "
                "in the transfer blueprint. The blueprint above shows the origin and the "
                "adopters.*"
            ]
        )
    lessons = report.made_safe(blueprint.component_lessons(report.study))
    quotes = report.made_safe(_quotes(report, seed, record=False)[0])
    mine = matrix[matrix["site"] == name]
    rows = []
    for r in mine.itertuples():
        les = lessons[(lessons["site"] == name) & (lessons["component_id"] == r.component_id)]
        q = quotes[(quotes["site"] == name) & (quotes["component_id"] == r.component_id)]
        rows.append(
            {
                "component": r.component,
                "status": r.status,
                "source types": r.source_types,
                "first evidence": r.first_evidence,
                "barriers": _listing(list(les.loc[les["kind"] == "barrier", "lesson"])),
                "facilitators": _listing(list(les.loc[les["kind"] == "facilitator", "lesson"])),
                "quote": f"“{q['quote'].iloc[0]}” — {q['attribution'].iloc[0]}" if len(q) else "",
            }
        )
    view = pd.DataFrame(rows)
    view.attrs = {
        "caption": f"{name}: its column of the transfer blueprint, with the barriers and "
        "facilitators coded on the same segments as each component and one illustrative "
        "quote (redacted)",
        "note": matrix.attrs.get("note", ""),
    }
    note = f"**{name}**: " + "; ".join(
        f"{status} - {', '.join(mine.loc[mine['status'] == status, 'component']) or 'none'}"
        for status in blueprint.STATUSES
    )
    note += "."
    section = Section([note, report.show(view)])
    section.tables["focus-column"] = view
    return section


# ---------------------------------------------------------------------------
# Interactive explorer
# ---------------------------------------------------------------------------


def _explorer_indicator(report: Report, indicators: Sequence[str]) -> str:
    """Return the indicator the explorer states the change of: the QCA outcome, if compared."""
    qca = report.study.plan.qca
    return qca.outcome if qca is not None and qca.outcome in indicators else indicators[0]


def _explorer_change(change: pd.DataFrame, name: str, role: str, indicator: str) -> str:
    """Return the explorer's sentence on one site's change in one indicator (published cells)."""
    if not role:
        return "<p>Choose a site to see its change since adoption.</p>"
    mine = change[
        (change["site"] == name) & (change["role"] == role) & (change["indicator"] == indicator)
    ]
    if role == "comparison" or mine.empty:
        return "<p>No before/after change: the site did not adopt the initiative.</p>"
    r = mine.iloc[0]
    values = {k: html.escape(decimal(r[k])) for k in ("prop_before", "prop_after", "diff")}
    bounds = html.escape(interval(r["diff_low"], r["diff_high"]))
    return (
        f"<p>{html.escape(str(r['label']))}, before and after "
        f"{'adoption' if role == 'adopter' else 'the first adopter started'}: "
        f"{values['prop_before']} to {values['prop_after']} (change {values['diff']}, "
        f"95% interval {bounds}).</p>"
    )


def show_explorer(
    report: Report,
    indicators: Sequence[str] | None = None,
    origin_site: str | None = None,
) -> widgets.Widget | Section:
    """Return a widget: the site control above that site's profile table and chart.

    The control lists "All sites" and every site and starts on the notebook's site;
    changing it redraws the profile. The tables are those the report publishes and the
    chart is the one :func:`show_intervals` draws from them, so small cells are hidden
    exactly as in the published tables. The widget's ``site`` is the control and
    ``summary`` the HTML shown. ``indicators`` None: the study plan's; without case audits
    or indicators, a section saying so.
    """
    indicators = _indicators(report, indicators)
    gap = _audit_gap(report, indicators)
    if gap is not None:
        return gap
    study = report.study
    published = _site_table(report, indicators)
    audit = _part(
        published, (published["source"] == "case_audit") & published["indicator"].isin(indicators)
    )
    change = report.made_safe(
        comparison.before_after(study, indicators, origin_site=origin_site),
        depends=CHANGE_DEPENDS,
        population=CASES,
    )
    indicator = _explorer_indicator(report, indicators)
    sites = comparison.site_table(study)
    roles = _roles(report)
    summary = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(max_width="900px"))

    def render(site: str) -> None:
        shown = report_for(report, site)
        everywhere = is_all_sites(site)
        name = TOTAL if everywhere else str(sites.at[site, "display_name"])
        role = "" if everywhere else str(sites.at[site, "role"])
        fig = comparison_charts.interval_chart(
            audit,
            indicators,
            focus=None if everywhere else name,
            title=shown.title("Audited cases: each site against the all-site value"),
            roles=roles,
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        plt.close(fig)
        image.value = buf.getvalue()
        rows = audit[audit["site"].isin([name, TOTAL])]
        profile = rows[["site", "label", "n_yes", "n", "prop_yes", "ci_low", "ci_high"]]
        profile.attrs.update(
            note=published.attrs["note"],
            caption=f"Audited cases: each indicator with its 95% Wilson interval — "
            f"{shown.site_label}"
            + ("" if everywhere else f" ({ROLE_LABELS.get(role, role)}) and all sites"),
        )
        summary.value = shown_html(report, profile) + _explorer_change(
            change, name, role, indicator
        )

    control = site_dropdown(study, report.site, render)
    render(control.value)
    box = widgets.VBox([control, summary, image])
    box.site = control  # type: ignore[attr-defined]
    box.summary = summary  # type: ignore[attr-defined]
    return box
