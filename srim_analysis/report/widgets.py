"""Widget helpers the notebooks' explorers share: the site control and wide drop-downs.

Every explorer that shows per-site material starts on the notebook's ``site`` and offers
"All sites" and each of the study's sites as "Name (id)"; a change of site recomputes
through :func:`report_for`, a copy of the notebook's report for that site, so the explorer
suppresses exactly as the published tables do.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd

from srim_analysis.report.publishing import Report
from srim_analysis.study.loading import Study
from srim_analysis.study.selection import ALL_SITES, is_all_sites

__all__ = ["WIDE", "dropdown", "report_for", "shown_html", "site_dropdown", "site_options"]

#: The width of an explorer's drop-downs: wide enough that no label is cut.
WIDE = "32em"


def dropdown(
    options: Sequence[tuple[str, Any]],
    value: Any,
    description: str,
    on_change: Callable[[Any], None] | None = None,
) -> widgets.Dropdown:
    """Return a drop-down wide enough for its labels that calls ``on_change(value)`` on change."""
    control = widgets.Dropdown(
        options=list(options),
        value=value,
        description=description,
        style={"description_width": "initial"},
        layout=widgets.Layout(width=WIDE),
    )
    if on_change is not None:
        control.observe(lambda change: on_change(change["new"]), names="value")
    return control


def site_options(study: Study) -> list[tuple[str, str]]:
    """Return the site control's options: "All sites", then each site as "Name (id)"."""
    return [(study.site_label(ALL_SITES), ALL_SITES)] + [
        (f"{study.site_label(sid)} ({sid})", sid) for sid in study.site_ids()
    ]


def site_dropdown(
    study: Study, site: str, on_change: Callable[[str], None] | None = None
) -> widgets.Dropdown:
    """Return the site control, starting on ``site``; ``on_change(site)`` runs on a change."""
    options = site_options(study)
    value = ALL_SITES if is_all_sites(site) else site
    if value not in {sid for _, sid in options}:
        raise ValueError(f"{site!r} is not a site of this study")
    return dropdown(options, value, "Site:", on_change)


def report_for(report: Report, site: str) -> Report:
    """Return a copy of ``report`` for another site, with nothing of what it has published.

    What a report collects as it publishes (its fields with a default factory: the paths
    written, the cells linked across tables) starts empty in the copy, so an explorer's
    tables neither read nor change the notebook's.
    """
    fresh = {
        f.name: f.default_factory()
        for f in dataclasses.fields(report)
        if f.default_factory is not dataclasses.MISSING
    }
    return dataclasses.replace(report, site=site, **fresh)


def shown_html(report: Report, frame: pd.DataFrame) -> str:
    """Return a made-safe table as HTML via :meth:`Report.show`, with the suppression note.

    An explorer's table stands apart from the page, so it carries the rule itself.
    """
    shown = report.show(frame, numbered=False)
    note = html.escape(frame.attrs.get("note", ""))
    return str(getattr(shown, "data", shown)) + (f"<p><small>{note}</small></p>" if note else "")
