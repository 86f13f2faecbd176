"""Notebook ``00_study_overview``: what data the study holds, one call per section.

The counts come from :mod:`srim_analysis.analyses.overview` and the chart from
:mod:`srim_analysis.charts.overview`; each ``show_*`` function publishes its tables and
figures through the :class:`~srim_analysis.report.publishing.Report` (small counts
suppressed) and returns the :class:`~srim_analysis.report.publishing.Section` to display.
A section that needs a table the study folder does not hold says so and publishes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from srim_analysis.analyses import overview
from srim_analysis.charts import overview as overview_charts
from srim_analysis.report.publishing import Section

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


def show_inventory(report: Report) -> Section:
    """Publish and return which contract tables the folder holds, with their rows."""
    section = Section()
    report.publish(
        section,
        overview.table_inventory(report.study, report.site),
        "inventory",
        f"Tables held and their rows: {report.site_label}",
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
    )
    report.publish(
        section,
        overview.survey_by_site(report.study),
        "survey_by_site",
        "Survey respondents by site and agency",
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
    counts = overview.audit_observation_counts(report.study)
    report.publish(
        section, counts, "data_volume", "Audited cases, observed meetings and documents per site"
    )
    report.add_figure(
        section,
        overview_charts.plot_data_volume(
            counts, report.title("Data collected per site"), report.min_cell
        ),
        "data-volume",
        "Audited cases, observed meetings and documents per site (counts below min_cell hidden).",
    )
    return section
