"""Objective 4: views on the May 2024 information sharing advice - the notebook's glue.

The analyses live in :mod:`srim_analysis.analyses.qualitative` (coded material, counts,
stance, awareness, quotes) and :mod:`srim_analysis.analyses.framework` (the Framework
matrix), and the charts in :mod:`srim_analysis.charts.qualitative`; this module turns them
into what notebook ``04_guidance_views`` publishes, one call per section:

* :func:`show_sources` - the kinds of source behind the views, and who took part;
* :func:`show_awareness` - awareness of the advice by group (participants);
* :func:`show_most_criticised` - which rule or meaning of consent is most criticised, and
  by whom;
* :func:`show_reception` - how a branch's codes were received: stance overall, by group,
  and quotes;
* :func:`show_branch` - a branch's codes ranked by participants, with quotes;
* :func:`show_cooccurrence` - how often the codes of two branches occur together;
* :func:`show_frequencies` - participants raising each code, by group;
* :func:`quote_browser` - an interactive theme picker for the illustrative quotes;
* :func:`show_framework` - the Framework workbook for charting, and its preview by site.

Every table goes through :meth:`Report.publish` (or :meth:`Report.table` for tables written
but not shown) and every figure through :meth:`Report.add_figure`, so small counts are
suppressed in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets
import pandas as pd
from IPython.display import HTML

from srim_analysis import disclosure, paths
from srim_analysis.analyses import framework, qualitative
from srim_analysis.analyses.qualitative import GROUPINGS, QUOTE_SEED, STANCE_BRANCHES
from srim_analysis.charts import qualitative as charts
from srim_analysis.report.publishing import Section
from srim_analysis.report.widgets import dropdown, report_for, site_dropdown
from srim_analysis.study.contract import CODE_BRANCHES
from srim_analysis.study.selection import ALL_SITES, is_all_sites

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report

__all__ = [
    "quote_browser",
    "quotes_html",
    "show_awareness",
    "show_branch",
    "show_cooccurrence",
    "show_framework",
    "show_frequencies",
    "show_most_criticised",
    "show_reception",
    "show_sources",
]

#: Short names of the branches, for chart titles.
_SHORT = {
    "gaps": "Gaps in the advice",
    "barriers": "Barriers to sharing",
    "father_practice": "Practice with fathers",
    "facilitators": "Facilitators of sharing",
    "golden_rules": "Golden rules",
    "consent": "Meanings of consent",
    "lawful_basis": "Lawful bases",
}
_PLURAL = {"agency": "agencies", "role": "roles", "site_id": "sites", "method": "methods"}
_MOST_CRITICISED_DEPENDS = {"pct_critical": ("n_critical", "n_segments")}


# ---------------------------------------------------------------------------
# Shared pieces of the sections
# ---------------------------------------------------------------------------


def _material(report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the report's site's codings and participants."""
    return qualitative.material(report.study, report.site)


def _views(report: Report, by: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """Return the codings and participants, and why their views are not reported (or None).

    ``by`` (a grouping, or None) is checked first.
    """
    qualitative.check_grouping(by)
    coded, people = _material(report)
    return coded, people, _too_few(report, people)


def _slug(text: str) -> str:
    """Return ``text`` as a figure-id fragment ('golden_rules' -> 'golden-rules')."""
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _counts(frame: pd.DataFrame) -> list[str]:
    """Return the count columns (``n_*``) of a table."""
    return [c for c in frame.columns if c.startswith("n_")]


def _too_few(report: Report, people: pd.DataFrame) -> str | None:
    """Return why a site's views are not reported (too few participants), or None."""
    if len(people) >= report.min_cell:
        return None
    return (
        f"**{report.site_label} has fewer than {report.min_cell} participants** "
        f"(interviews and focus groups), so their views are not reported here: with so few "
        "people, what they said could identify them. Run the notebook for all sites "
        f'(`site = "{ALL_SITES}"`), or lower `min_cell` only for the research team\'s own use.'
    )


def _choose_quotes(
    report: Report,
    coded: pd.DataFrame,
    branches: Sequence[str] | None,
    per_code: int,
    seed: int = QUOTE_SEED,
) -> pd.DataFrame:
    """Return the report's quotes: redacted with the study's identifiers, attribution coarsened."""
    return qualitative.choose_quotes(
        coded,
        branches=branches,
        per_code=per_code,
        seed=seed,
        identifiers=disclosure.study_identifiers(report.study.folder),
        min_group=report.min_cell,
    )


def _publish_quotes(
    report: Report, shown: Section, coded: pd.DataFrame, branch: str, name: str, per_code: int
) -> pd.DataFrame:
    """Write the illustrative quotes of one branch (when there are any); return them."""
    quotes = _choose_quotes(report, coded, [branch], per_code)
    if len(quotes):
        table = f"quotes_{branch}"
        report.publish(
            shown,
            qualitative.quotes_table(quotes),
            table,
            f"Illustrative quotes: {_lower_first(name)} (redacted, pseudonymous) — "
            f"{report.site_label}",
            count_columns=[],
            show=False,
        )
    return quotes


def quotes_html(quotes: pd.DataFrame) -> str:
    """Return quotes as HTML blockquotes grouped by code (for the browser and the report)."""
    if not len(quotes):
        return "<p><i>No quotes for this theme.</i></p>"
    parts: list[str] = []
    for code, group in quotes.groupby("code_id", sort=False):
        label = escape(str(group["code_label"].iloc[0]))
        parts.append(
            f"<h4 style='margin-bottom:0.2em'>{label} <small>({escape(str(code))})</small></h4>"
        )
        for row in group.itertuples(index=False):
            stance = f" — <i>{escape(str(row.stance)).lower()}</i>" if row.stance else ""
            parts.append(
                "<blockquote style='margin:0.3em 0 0.6em 1em;border-left:3px solid #ccc;"
                f"padding-left:0.6em'>“{escape(str(row.quote))}”<br>"
                f"<small>{escape(str(row.attribution))}{stance}</small></blockquote>"
            )
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# The sections of notebook 04
# ---------------------------------------------------------------------------


def show_sources(report: Report, by: str = "agency") -> Section:
    """Publish and return the sources behind the views: by method, and participants by group."""
    coded, people, note = _views(report, by)
    shown = Section()
    report.publish(
        shown,
        qualitative.sources_by_method(coded, people),
        "sources_by_method",
        f"Sources, coded segments and participants by kind of source — {report.site_label}",
        count_columns=["n_sources", "n_segments", "n_participants"],
    )
    by_group = qualitative.participants_by_group(people, by)
    report.publish(
        shown,
        by_group,
        f"participants_by_{by}",
        f"Participants by {GROUPINGS[by].lower()} and how they took part — {report.site_label}",
        count_columns=_counts(by_group),
    )
    return shown.add(note)


def show_awareness(report: Report, by: str = "agency") -> Section:
    """Publish and return awareness of the 2024 advice by group (participants), table and chart."""
    coded, people, note = _views(report, by)
    if note:
        return Section([note])
    table = qualitative.awareness_table(coded, people, by)
    total = int(table["n_coded"].sum()) if len(table) else 0
    if total < report.min_cell:
        return Section(
            [
                f"Awareness of the advice was coded for fewer than {report.min_cell} participants "
                f"{report.where}, so it is not reported."
            ]
        )
    read = int(table["n_read"].sum())
    unaware = int(table["n_unaware"].sum())
    group = GROUPINGS[by].lower()
    shown = Section(
        [
            f"Of the {total} participants whose awareness was coded, "
            f"{100 * read / total:.0f}% had read the advice and {100 * unaware / total:.0f}% "
            "were not aware of it."
        ]
    )
    fig = charts.awareness_figure(
        table, report.title(f"Awareness of the May 2024 advice by {group}"), report.min_cell
    )
    saved = report.add_figure(
        shown,
        fig,
        f"awareness-by-{_slug(by)}",
        f"Awareness of the May 2024 information sharing advice by {group}: "
        f"share of participants who had read it, had heard of it, or were not aware of it — "
        f"{report.site_label}. Groups with fewer than {report.min_cell} participants are not "
        "shown.",
    )
    if saved is None:
        shown.add(
            f"No {group} has {report.min_cell} or more participants whose "
            "awareness was coded, so no chart is drawn."
        )
    report.publish(
        shown,
        table,
        f"awareness_by_{by}",
        f"Awareness of the May 2024 advice by {group} (participants) — {report.site_label}",
        count_columns=_counts(table),
        depends=qualitative.AWARENESS_DEPENDS,
    )
    return shown


def show_reception(
    report: Report, branch: str = "golden_rules", by: str = "agency", per_code: int = 2
) -> Section:
    """Publish and return how a branch's codes were received: stance overall, by group, quotes."""
    coded, _, note = _views(report, by)
    if note:
        return Section([note])
    name = CODE_BRANCHES.get(branch, branch)
    group = GROUPINGS[by].lower()
    overall = qualitative.stance_table(coded, by=None, branches=[branch])
    if not len(overall):
        return Section(
            [f"No interview or focus-group segment {report.where} was coded under “{name}”."]
        )
    shown = Section()
    fig = charts.stance_figure(
        overall, report.title(f"Stance on {_lower_first(name)}"), report.min_cell
    )
    report.add_figure(
        shown,
        fig,
        f"stance-{_slug(branch)}",
        f"{name}: share of interview and focus-group segments about each that were critical, "
        f"mixed, supportive or unclear — {report.site_label}. Codes discussed by fewer than "
        f"{report.min_cell} participants are not shown.",
    )
    report.publish(
        shown,
        overall.drop(columns=["branch", "group"]),
        f"stance_{branch}",
        f"Stance on {_lower_first(name)} (segments of interview and focus-group talk) — "
        f"{report.site_label}",
        count_columns=_counts(overall),
        depends=qualitative.STANCE_DEPENDS,
    )
    by_group = qualitative.stance_table(coded, by=by, branches=[branch])
    table = f"stance_{branch}_by_{by}"
    report.publish(
        shown,
        by_group.drop(columns=["branch"]),
        table,
        f"Stance on {_lower_first(name)} by {group} — {report.site_label}",
        count_columns=_counts(by_group),
        depends=qualitative.STANCE_DEPENDS,
        show=False,
    )
    quotes = _publish_quotes(report, shown, coded, branch, name, per_code)
    fig = charts.stance_grid_figure(
        by_group,
        report.title(f"{_SHORT.get(branch, name)}: stance by {group}"),
        report.min_cell,
    )
    saved = report.add_figure(
        shown,
        fig,
        f"stance-{_slug(branch)}-by-{_slug(by)}",
        f"{name}: stance by {group}, one panel each (share of segments "
        f"critical, mixed or supportive) — {report.site_label}. Groups with fewer than "
        f"{report.min_cell} participants who spoke about it are hidden (c).",
    )
    if saved is None:
        shown.add(
            f"*No {group} has {report.min_cell} or more participants who "
            "spoke about any of these, so the chart by group is not drawn.*"
        )
    if len(quotes):
        shown.add("**Illustrative quotes** (most common stance first):")
        shown.add(HTML(quotes_html(quotes)))
    return shown


def show_most_criticised(
    report: Report, by: str = "agency", branches: Sequence[str] = STANCE_BRANCHES
) -> Section:
    """Publish and return which rule or meaning is most criticised, and by which groups."""
    coded, _, note = _views(report, by)
    if note:
        return Section([note])
    stance = qualitative.stance_table(coded, by=by, branches=list(branches))
    if not len(stance):
        return Section([f"No segment {report.where} carries a stance on these codes."])
    found = qualitative.most_criticised(stance)
    shown = Section()
    codes = report.publish(
        shown,
        found.codes,
        "most_criticised_codes",
        f"Rules and meanings of consent ranked by the share of critical segments — "
        f"{report.site_label}",
        count_columns=["n_participants", "n_segments", "n_critical"],
        depends=_MOST_CRITICISED_DEPENDS,
    )
    groups = report.publish(
        shown,
        found.groups,
        f"most_criticised_by_{by}",
        f"{found.code_label}: {_PLURAL[by]} ranked by the share of their segments that are "
        f"critical — {report.site_label}",
        count_columns=["n_participants", "n_segments", "n_critical"],
        depends=_MOST_CRITICISED_DEPENDS,
    )
    # the sentence says no more than the published tables show
    hidden_groups = {
        str(k)
        for k, p in zip(groups[by], groups["pct_critical"], strict=True)
        if disclosure.is_suppressed(p)
    }
    if len(codes) and disclosure.is_suppressed(codes["pct_critical"].iloc[0]):
        sentence = (
            f"Too few participants {report.where} gave a view for the most criticised "
            "rule or meaning of consent to be named."
        )
    else:
        sentence = found.sentence(report.min_cell, report.site_label, hidden=hidden_groups)
    shown.add(sentence, first=True)
    return shown


def show_frequencies(
    report: Report, branches: Sequence[str] | str, by: str = "agency", name: str | None = None
) -> Section:
    """Publish and return a heatmap and table of participants raising each code, by group."""
    coded, _, note = _views(report, by)
    branches = [branches] if isinstance(branches, str) else list(branches)
    if note:
        return Section([note])
    freq = qualitative.code_frequencies(coded, by=by, branches=branches)
    slug = "_".join(branches) if len(branches) <= 2 else "themes"
    title_name = name or ", ".join(CODE_BRANCHES.get(b, b) for b in branches)
    if not len(freq):
        return Section([f"Nothing {report.where} was coded under {title_name}."])
    group = GROUPINGS[by].lower()
    talk = freq[freq[by] != qualitative.UNATTRIBUTED_KEY]
    shown = Section()
    fig = charts.heatmap_figure(
        qualitative.frequency_matrix(talk, "n_participants"),
        report.title(f"Participants raising each code by {group}"),
        report.min_cell,
        count_label="Participants",
        secondary=True,
    )
    report.add_figure(
        shown,
        fig,
        f"frequencies-{_slug(slug)}-by-{_slug(by)}",
        f"{title_name}: participants raising each code, by {group} — "
        f"{report.site_label}. Counts from 1 to {report.min_cell - 1} are hidden (c).",
    )
    report.publish(
        shown,
        freq.drop(columns=["branch"]),
        f"frequencies_{slug}_by_{by}",
        f"{title_name}: participants, segments and sources per code and {group} — "
        f"{report.site_label}",
        count_columns=["n_participants", "n_segments", "n_sources"],
    )
    return shown


def show_branch(report: Report, branch: str, by: str = "agency", per_code: int = 2) -> Section:
    """Publish and return a branch's codes ranked by participants, a chart and quotes."""
    coded, people, note = _views(report, by)
    if note:
        return Section([note])
    name = CODE_BRANCHES.get(branch, branch)
    summary = qualitative.branch_summary(coded, people, branch)
    if not len(summary):
        return Section([f"Nothing {report.where} was coded under “{name}”."])
    shown = Section()
    top = summary.iloc[0]
    if top["n_participants"] >= report.min_cell:
        whom = "all participants" if is_all_sites(report.site) else f"those {report.where}"
        shown.add(
            f"Raised by most participants: **{top['code_label']}** "
            f"({top['n_participants']} participants, {top['pct_participants']:.0f}% of {whom})."
        )
    report.add_figure(
        shown,
        charts.branch_figure(summary, report.title(name), report.min_cell),
        f"{_slug(branch)}-participants",
        f"{name}: participants raising each code — {report.site_label}. Counts from 1 to "
        f"{report.min_cell - 1} are hidden (c).",
    )
    report.publish(
        shown,
        summary.drop(columns=["rank"]),
        f"{branch}_summary",
        f"{name}: participants, segments and sources per code — {report.site_label}",
        count_columns=["n_participants", "n_segments", "n_sources"],
        depends={"pct_participants": ("n_participants",)},
    )
    quotes = _publish_quotes(report, shown, coded, branch, name, per_code)
    if len(quotes):
        shown.add(HTML(quotes_html(quotes)))
    return shown


def show_cooccurrence(
    report: Report,
    rows: str,
    columns: str,
    within: str = "source",
) -> Section:
    """Publish and return a heatmap of how often codes of two branches occur together."""
    coded, _, note = _views(report)
    if note:
        return Section([note])
    row_codes = qualitative.branch_codes(coded, rows)
    col_codes = qualitative.branch_codes(coded, columns)
    if not row_codes or not col_codes:
        return Section([f"Not enough coded material {report.where} to relate these themes."])
    matrix = qualitative.cooccurrence(coded, within, row_codes, col_codes)
    label = qualitative.code_labels(coded)
    unit = (
        "segments"
        if within == "segment"
        else "sources (interviews, focus groups, notes, documents)"
    )
    rname, cname = CODE_BRANCHES.get(rows, rows), CODE_BRANCHES.get(columns, columns)
    shown = Section()
    fig = charts.heatmap_figure(
        matrix.rename(index=label, columns=label),
        report.title(f"{_SHORT.get(rows, rname)} and {_SHORT.get(columns, cname).lower()}"),
        report.min_cell,
        count_label=unit.split(" (")[0].capitalize(),
    )
    report.add_figure(
        shown,
        fig,
        f"cooccurrence-{_slug(rows)}-{_slug(columns)}-{within}",
        f"Number of {unit} coded with both codes: {rname.lower()} (rows) and {cname.lower()} "
        f"(columns) — {report.site_label}. Counts from 1 to {report.min_cell - 1} are hidden (c).",
    )
    table = qualitative.cooccurrence_table(matrix, label)
    name = f"cooccurrence_{rows}_{columns}_{within}"
    report.publish(
        shown,
        table,
        name,
        f"Co-occurrence within {unit}: {rname.lower()} by {cname.lower()} — {report.site_label}",
        count_columns=_counts(table),
        show=False,
    )
    return shown


def _theme_options(quotes: pd.DataFrame, themes: Sequence[str] | None) -> list[tuple[str, str]]:
    """Return the browser's themes that have quotes, as (label, branch) in theme order."""
    order = list(themes) if themes is not None else list(dict.fromkeys(quotes["branch"]))
    return [(CODE_BRANCHES.get(b, b), b) for b in order if (quotes["branch"] == b).any()]


def _browser_quotes(
    report: Report, themes: Sequence[str] | None, per_code: int, seed: int
) -> tuple[pd.DataFrame, str | None]:
    """Return the report's site's quotes for the browser, and why there are none (or None)."""
    coded, people = _material(report)
    why = _too_few(report, people)
    if why is not None:
        return coded.iloc[0:0].assign(branch=pd.Series(dtype=str)), why
    branches = list(themes) if themes is not None else None
    return _choose_quotes(report, coded, branches, per_code, seed), None


def quote_browser(
    source: Report | pd.DataFrame,
    themes: Sequence[str] | None = None,
    per_code: int = 2,
    seed: int = QUOTE_SEED,
) -> ipywidgets.Widget:
    """Return a widget: a site control (for a Report), a theme drop-down and the chosen quotes.

    ``source`` is the notebook's Report (quotes are chosen for ``themes`` at the chosen
    site, starting on the report's site; a site with too few participants shows why, as
    the sections do) or a table from :func:`~srim_analysis.analyses.qualitative.choose_quotes`
    (no site control). Changing a drop-down updates the quotes shown.
    """
    if isinstance(source, pd.DataFrame):
        options = _theme_options(source, themes)
        if not options:
            return ipywidgets.HTML("<p><i>No quotes to browse for this selection.</i></p>")
        view = ipywidgets.HTML(quotes_html(source[source["branch"] == options[0][1]]))
        theme = dropdown(
            options,
            options[0][1],
            "Theme:",
            lambda branch: setattr(view, "value", quotes_html(source[source["branch"] == branch])),
        )
        return ipywidgets.VBox([theme, view])
    report = source
    view = ipywidgets.HTML()
    theme = dropdown([("(none)", "")], "", "Theme:")
    state: dict[str, Any] = {"quotes": pd.DataFrame(), "why": None}

    def show_theme(branch: str) -> None:
        quotes = state["quotes"]
        if state["why"] is not None:
            view.value = f"<p>{markdown_html(state['why'])}</p>"
        elif not branch:
            view.value = "<p><i>No quotes to browse for this selection.</i></p>"
        else:
            view.value = quotes_html(quotes[quotes["branch"] == branch])

    def pick_site(site: str) -> None:
        quotes, why = _browser_quotes(report_for(report, site), themes, per_code, seed)
        state.update(quotes=quotes, why=why)
        options = _theme_options(quotes, themes) or [("(none)", "")]
        kept = theme.value if theme.value in {b for _, b in options} else options[0][1]
        theme.options = options  # resets the value to the first option
        theme.value = kept
        show_theme(theme.value)

    theme.observe(lambda change: show_theme(change["new"]), names="value")
    site = site_dropdown(report.study, report.site, pick_site)
    pick_site(site.value)
    box = ipywidgets.VBox([site, theme, view])
    box.site = site  # type: ignore[attr-defined]
    box.theme = theme  # type: ignore[attr-defined]
    box.view = view  # type: ignore[attr-defined]
    return box


def markdown_html(text: str) -> str:
    """Return a sentence with Markdown bold and code as HTML (for a widget's text)."""
    parts = escape(text).split("**")
    text = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def show_framework(report: Report, themes: Sequence[str], cases: str = "participant") -> Section:
    """Write the Framework workbook for the themes, publish a preview by site; return both."""
    coded, people = _material(report)
    book = report.study.codebook
    themes = list(themes)
    tidy = framework.framework_matrix(coded, book, people, cases=cases, branches=themes)
    path = report.tables_dir / f"{report.notebook}__framework_matrix.xlsx"
    study = report.study
    framework.write_framework_workbook(
        tidy,
        path,
        title=f"Framework matrix — {report.site_label}",
        about=[
            f"Study: {study.name} (data fingerprint {study.fingerprint})"
            + (" — SYNTHETIC DATA, not real people." if study.synthetic else "."),
            f"Site: {report.site_label}. Cases: {cases}s. Themes: "
            + ", ".join(CODE_BRANCHES.get(t, t) for t in themes)
            + ".",
        ],
    )
    report.published.append(path)
    try:
        shown_path: Path = path.resolve().relative_to(paths.ROOT.resolve())
    except ValueError:
        shown_path = path
    shown = Section(
        [
            f"The framework matrix has **{tidy['case_id'].nunique()} {cases}s × "
            f"{tidy['code_id'].nunique()} codes** in {tidy['branch'].nunique()} theme sheets. "
            f"Its Excel workbook, for charting summaries, is `{shown_path}` (a working file "
            "for the research team: do not publish it). Below, a preview: coded segments per "
            "site and code."
        ]
    )
    preview = framework.framework_preview(coded, book, people, themes)
    report.publish(
        shown,
        preview,
        "framework_matrix_preview",
        f"Framework matrix preview: coded segments per site and code — {report.site_label}",
        count_columns=_counts(preview),
    )
    return shown
