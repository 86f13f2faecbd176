"""Notebook ``00_study_overview``: what data the study holds, one call per section.

The counts come from :mod:`srim_analysis.analyses.overview` and the chart from
:mod:`srim_analysis.charts.overview`; each ``show_*`` function publishes its tables
through the :class:`~srim_analysis.report.publishing.Report` (small counts suppressed;
tables of the same people declare their ``population``, and a column that adds up others
its ``sums``), draws its figure from the published table (``report.chart``), and returns
the :class:`~srim_analysis.report.publishing.Section` to display. A section that needs a
table the study folder does not hold says so and publishes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import overview
from srim_analysis.charts import overview as overview_charts
from srim_analysis.report.publishing import Section
from srim_analysis.report.wording import count_words
from srim_analysis.study.selection import is_all_sites

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report

#: A section function of this notebook.
Show = Callable[["Report"], Section]


def _needs(table: str) -> Callable[[Show], Show]:
    """Return a decorator: the section says it is skipped when the study has no ``table``."""

    def decorate(show: Show) -> Show:
        @functools.wraps(show)
        def shown_if_held(report: Report) -> Section:
            return report.missing(table) or show(report)

        return shown_if_held

    return decorate


def show_sites(report: Report) -> Section:
    """Publish and return the study's sites."""
    section = Section()
    report.publish(section, overview.sites_table(report.study), "sites", "Study sites")
    return section


#: The population of the material counts: the inventory's rows and the data-volume table.
MATERIAL = "study material"


def _link_material(report: Report, inventory: pd.DataFrame) -> None:
    """Record the data-volume cells the inventory repeats, as that table publishes them.

    The data-volume table (the whole study, the same in every site's report) gives each
    site's audited cases, observed meetings and documents; the inventory repeats the row of
    this report's site (the total row for all sites). Recorded as linked cells of
    :data:`MATERIAL`, the inventory shows and hides them as the data-volume table does, so
    that no page, nor two pages together, gives away a count one of them hides.
    """
    volume = report.made_safe(overview.audit_observation_counts(report.study))
    row = volume[volume["site_id"] == ("Total" if is_all_sites(report.site) else report.site)]
    if row.empty:
        return
    for r in inventory.itertuples(index=False):
        column = overview.VOLUME_COLUMNS.get(r.table)
        if column is None or column not in row or pd.isna(r.n):
            continue
        labels = frozenset({("table", r.table), ("held", r.held), ("description", r.description)})
        hidden = disclosure.is_suppressed(row[column].iloc[0])
        report.linked.record(MATERIAL, (labels, None), int(r.n), hidden=hidden)


def show_inventory(report: Report) -> Section:
    """Publish and return which contract tables the folder holds, with their rows."""
    section = Section()
    inventory = overview.table_inventory(report.study, report.site)
    _link_material(report, inventory)
    report.publish(
        section,
        inventory,
        "inventory",
        f"Tables held and their rows: {report.site_label}",
        population=MATERIAL,
    )
    return section


@_needs("participants")
def show_participants(report: Report) -> Section:
    """Publish and return interview and focus-group participants by agency and by role."""
    section = Section()
    for by in ("agency", "role"):
        report.publish(
            section,
            overview.participants_by(report.study, report.site, by),
            f"participants_by_{by}",
            f"Participants by {by} and method: {report.site_label}",
            population="participants",
            sums=overview.PARTICIPANT_SUMS,
        )
    return section


@_needs("survey_responses")
def show_survey(report: Report) -> Section:
    """Publish and return survey item completeness and respondents by site and agency."""
    section = Section()
    report.publish(
        section,
        overview.survey_completeness(report.study, report.site),
        "survey_completeness",
        f"Survey item completeness: {report.site_label}",
        depends={"pct_answered": ("n_answered", "n_respondents")},
        population="respondents",
        sums=overview.COMPLETENESS_SUMS,
    )
    by_site = overview.survey_by_site(report.study)
    report.publish(
        section,
        by_site,
        "survey_by_site",
        "Survey respondents by site and agency",
        population="respondents",
        sums={"Total": tuple(c for c in by_site.attrs["count_columns"] if c != "Total")},
    )
    return section


@_needs("coded_segments")
def show_segments(report: Report) -> Section:
    """Publish and return coded segments, sources and codings per kind of source."""
    section = Section()
    report.publish(
        section,
        overview.segments_by_source(report.study, report.site),
        "segments_by_source",
        f"Coded segments by source type: {report.site_label}",
    )
    return section


def show_data_volume(report: Report) -> Section:
    """Publish and return audited cases, observed meetings and documents per site, and a chart."""
    section = Section()
    published = report.publish(
        section,
        overview.audit_observation_counts(report.study),
        "data_volume",
        "Audited cases, observed meetings and documents per site",
    )
    title = report.title("Data collected per site")
    report.chart(
        section,
        published,
        lambda table: overview_charts.plot_data_volume(
            table, title, focus=None if is_all_sites(report.site) else report.site_label
        ),
        "data-volume",
        "Audited cases, observed meetings and documents per site, from the table above "
        "(a count it hides is not drawn).",
    )
    return section


def _still_to_recruit(published: pd.DataFrame, min_cell: int) -> str:
    """Return what is left to recruit, in words, from the published targets."""
    hidden = published[published["n_achieved"].map(disclosure.is_suppressed)]
    left = published[
        ~published.index.isin(hidden.index)
        & published["still_missing"].map(lambda v: not disclosure.is_suppressed(v) and v > 0)
    ]
    if left.empty:
        text = "Every target whose count is shown is met."
    else:
        parts = [
            f"{r.site}, {r.agency if r.agency != 'All agencies' else 'any agency'}, "
            f"{r.method.lower() if r.method != 'All methods' else 'any method'}: "
            f"{r.still_missing} more of {r.target}"
            for r in left.itertuples(index=False)
        ]
        text = "Still to recruit: " + "; ".join(parts) + "."
    if len(hidden):
        text += (
            f" Where fewer than {min_cell} people are recruited so far the count is hidden, "
            "and so is what is still missing."
        )
    return text


def show_recruitment(report: Report) -> Section:
    """Publish and return recruitment against the study's targets, with what is still missing."""
    section = Section()
    if not report.study.plan.recruitment:
        section.add(
            "*No recruitment targets are set: add `[recruitment]` targets to the study "
            "folder's `study.toml` (see docs/analysis-plan.md) to follow fieldwork here.*"
        )
        return section
    progress = overview.recruitment_progress(report.study, report.site)
    if progress.empty:
        section.add(
            f"*The study's `study.toml` sets no recruitment target for {report.site_label}; "
            "the targets of the whole study are in the report for all sites.*"
        )
        return section
    published = report.publish(
        section,
        progress,
        "recruitment",
        f"Recruitment against targets (people counted once): {report.site_label}",
        not_counts=overview.TARGET_COLUMNS,
        depends=overview.RECRUITMENT_DEPENDS,
    )
    section.add(_still_to_recruit(published, report.min_cell))
    return section


def show_withdrawals(report: Report) -> Section:
    """Publish and return how many people withdrew and how many rows were removed."""
    section = Section()
    counts = overview.withdrawal_counts(report.study)
    if counts.empty:
        section.add(
            "Nobody has withdrawn from the study (the folder has no `withdrawals.csv`, or it "
            "lists nobody)."
        )
        return section
    published = report.publish(
        section,
        counts,
        "withdrawals",
        "People who withdrew and the rows removed (the whole study)",
    )
    n = published.set_index("removed")["n"]
    people = count_words(n[overview.WITHDRAWN_LABELS["people"]], report.min_cell)
    rows = [
        f"{count_words(n[label], report.min_cell)} {label.split(' removed')[0].lower()}"
        for key, label in overview.WITHDRAWN_LABELS.items()
        if key not in ("people", "all_codings") and label in n.index
    ]
    section.add(
        f"{people.capitalize()} people withdrew from the study; everything of theirs is "
        f"left out of every table, figure and quote: {', '.join(rows)} were removed."
    )
    return section
