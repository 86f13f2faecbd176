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
* :func:`show_framework` - the Framework workbook (a working file, kept between runs), the
  summaries charted in it, and a preview by site.

What the study's codes mean (which carry each stance and awareness level, which form each
theme) comes from its analysis plan (``study.toml``, :attr:`Study.plan`); a part the plan
leaves unmapped is said in a sentence. The stance and framework sections name the codes
they rest on whose agreement between coders is poor (:mod:`srim_analysis.sections.agreement`,
threshold ``poor_alpha``). Every table goes through :meth:`Report.publish`,
every figure through :meth:`Report.chart` from the published table, and every number in a
sentence is read from a published cell, so small counts are suppressed in one place. With
real data a quote is published only once a researcher has approved it
(:func:`srim_analysis.disclosure.review_quotes`).
"""

from __future__ import annotations

import contextlib
import shutil
import zipfile
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
from srim_analysis.layout import RunLayout
from srim_analysis.report.publishing import Section
from srim_analysis.report.widgets import dropdown, report_for, site_dropdown
from srim_analysis.sections import agreement as coder_agreement
from srim_analysis.sections.agreement import POOR_ALPHA
from srim_analysis.study.contract import CODE_BRANCHES
from srim_analysis.study.plan import AWARENESS_ROLES, PLAN_FILE, STANCE_ROLES, THEMES
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
    "study_themes",
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
#: The population most of notebook 04's tables count (see ``Report.made_safe``).
_PEOPLE = "participants"


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


def _unmapped(report: Report, part: str, roles: Sequence[str], what: str) -> str:
    """Return the sentence saying the study's plan maps no codes for ``part`` of the plan."""
    return (
        f"*This study's `{PLAN_FILE}` maps no {part} codes (section `[codes.{part}]`, keys "
        f"{', '.join(f'`{r}`' for r in roles)}), so {what} {report.where} is not reported. "
        "Name the study's own codes there (see docs/analysis-plan.md; `srim validate` "
        "checks them) and run the notebook again.*"
    )


def study_themes(report: Report, themes: Sequence[str] | str | None = None) -> list[str]:
    """Return the themes to report: ``themes`` as given, or (None) every theme in the codebook.

    The themes are the framework's branches (``[codes.themes]`` of ``study.toml``; the
    loader sets each code's ``branch`` from them), in the plan's order.
    """
    if isinstance(themes, str):
        return [themes]
    if themes is not None:
        return list(themes)
    book = report.study.tables.get("codebook")
    present = set(book["branch"].dropna().astype(str)) if book is not None else set()
    return [t for t in THEMES if t in present]


def _stances(report: Report) -> dict[str, str]:
    """Return the study's stance codes and their roles (empty when the plan maps none)."""
    return report.study.plan.codes.stance_columns()


def _agreement_note(
    report: Report, branches: Sequence[str], poor_alpha: float, stance: bool = True
) -> str | None:
    """Return the note naming codes of poor coder agreement a section rests on, or None.

    A section rests on the codes of its branches (themes) and, for stance, the study's
    stance codes; the flags are those the published agreement tables show
    (:func:`srim_analysis.sections.agreement.flagged_codes`).
    """
    book = report.study.tables.get("codebook")
    codes = [] if book is None else book.loc[book["branch"].isin(list(branches)), "code_id"]
    rests = [*map(str, codes), *(_stances(report) if stance else [])]
    return coder_agreement.rests_on(report, rests, poor_alpha)


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
        stances=_stances(report),
    )


def _publish_quotes(
    report: Report, shown: Section, coded: pd.DataFrame, branch: str, name: str, per_code: int
) -> disclosure.ReviewedQuotes:
    """Write the illustrative quotes of one branch that may be published; return the review."""
    reviewed = report.review_quotes(_choose_quotes(report, coded, [branch], per_code))
    if len(reviewed.quotes):
        report.publish(
            shown,
            qualitative.quotes_table(reviewed.quotes.drop(columns=["key"])),
            f"quotes_{branch}",
            f"Illustrative quotes: {_lower_first(name)} (redacted, pseudonymous) — "
            f"{report.site_label}",
            count_columns=[],
            show=False,
        )
    return reviewed


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


def _show_quotes(shown: Section, reviewed: disclosure.ReviewedQuotes, heading: str | None) -> None:
    """Add the published quotes (and what waits for review) to a section."""
    if len(reviewed.quotes):
        shown.add(heading)
        shown.add(HTML(quotes_html(reviewed.quotes)))
    shown.add(reviewed.sentence())


def _publish_hidden(
    report: Report, shown: Section, frame: pd.DataFrame, name: str, caption: str, **how: Any
) -> pd.DataFrame:
    """Publish a table without showing it yet (a chart drawn from it comes first); return it."""
    return report.publish(shown, frame, name, caption, show=False, **how)


def _share(value: object) -> str:
    """Return a published percentage for a sentence ('42%'), or words for a hidden one."""
    number = qualitative.shown_number(value)
    return "a share not shown (c)" if number is None else f"{number:.0f}%"


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
        population=_PEOPLE,
    )
    by_group = qualitative.participants_by_group(people, by)
    parts = tuple(c for c in _counts(by_group) if c != "n_participants")
    report.publish(
        shown,
        by_group,
        f"participants_by_{by}",
        f"Participants by {GROUPINGS[by].lower()} and how they took part — {report.site_label}",
        count_columns=_counts(by_group),
        sums={"n_participants": parts} if parts else None,
        population=_PEOPLE,
    )
    return shown.add(note)


def show_awareness(report: Report, by: str = "agency") -> Section:
    """Publish and return awareness of the 2024 advice by group (participants), table and chart."""
    coded, people, note = _views(report, by)
    if note:
        return Section([note])
    levels = report.study.plan.codes.awareness_columns()
    if not levels:
        return Section(
            [_unmapped(report, "awareness", list(AWARENESS_ROLES), "awareness of the advice")]
        )
    overall = qualitative.awareness_table(coded, people, levels, by=None)
    if not len(overall) or int(overall["n_coded"].iloc[0]) < report.min_cell:
        return Section(
            [
                f"Awareness of the advice was coded for fewer than {report.min_cell} participants "
                f"{report.where}, so it is not reported."
            ]
        )
    how = {
        "depends": qualitative.AWARENESS_DEPENDS,
        "sums": qualitative.AWARENESS_SUMS,
        "population": _PEOPLE,
    }
    shown = Section()
    total = _publish_hidden(
        report,
        shown,
        overall,
        "awareness_overall",
        f"Awareness of the May 2024 advice (participants) — {report.site_label}",
        count_columns=_counts(overall),
        **how,
    ).iloc[0]
    coded_n = qualitative.shown_number(total["n_coded"])
    if coded_n is None:
        shown.add(
            f"How many participants {report.where} had their awareness coded is hidden in the "
            "table (c), with the shares that rest on it, to protect small counts; see the "
            "tables below."
        )
    else:
        said = (
            f"Of the {coded_n:.0f} participants {report.where} whose awareness was coded, "
            f"{_share(total['pct_read'])} had read the advice and "
            f"{_share(total['pct_unaware'])} were not aware of it."
        )
        shown.add(report.finding(said, table="awareness_overall"))
    group = GROUPINGS[by].lower()
    table = _publish_hidden(
        report,
        shown,
        qualitative.awareness_table(coded, people, levels, by),
        f"awareness_by_{by}",
        f"Awareness of the May 2024 advice by {group} (participants) — {report.site_label}",
        count_columns=_counts(overall),
        **how,
    )
    title = report.title(f"Awareness of the May 2024 advice by {group}")
    saved = report.chart(
        shown,
        table,
        lambda t: charts.awareness_figure(t, title, report.min_cell),
        f"awareness-by-{_slug(by)}",
        f"Awareness of the May 2024 information sharing advice by {group}: "
        f"share of participants who had read it, had heard of it, or were not aware of it — "
        f"{report.site_label}. Groups and shares hidden in the table (c) are not shown.",
    )
    if saved is None:
        shown.add(
            f"No {group} has {report.min_cell} or more participants whose "
            "awareness was coded, so no chart is drawn."
        )
    shown.add(report.show(table))
    return shown


def show_reception(
    report: Report,
    branch: str = "golden_rules",
    by: str = "agency",
    per_code: int = 2,
    poor_alpha: float = POOR_ALPHA,
) -> Section:
    """Publish and return how a branch's codes were received: stance overall, by group, quotes.

    Codes it rests on whose coder agreement is poor (alpha below ``poor_alpha``) are named.
    """
    coded, _, note = _views(report, by)
    if note:
        return Section([note])
    name = CODE_BRANCHES.get(branch, branch)
    stances = _stances(report)
    if not stances:
        return Section(
            [
                _unmapped(
                    report, "stance", list(STANCE_ROLES), f"the reception of {_lower_first(name)}"
                )
            ]
        )
    group = GROUPINGS[by].lower()
    overall = qualitative.stance_table(coded, stances, by=None, branches=[branch])
    if not len(overall):
        return Section(
            [f"No interview or focus-group segment {report.where} was coded under “{name}”."]
        )
    how = {
        "depends": qualitative.STANCE_DEPENDS,
        "population": _PEOPLE,
        "sums": qualitative.STANCE_SUMS,
    }
    shown = Section()
    published = _publish_hidden(
        report,
        shown,
        overall.drop(columns=["branch", "group"]),
        f"stance_{branch}",
        f"Stance on {_lower_first(name)} (segments of interview and focus-group talk) — "
        f"{report.site_label}",
        count_columns=_counts(overall),
        **how,
    )
    title = report.title(f"Stance on {_lower_first(name)}")
    report.chart(
        shown,
        published,
        lambda t: charts.stance_figure(t, title, report.min_cell),
        f"stance-{_slug(branch)}",
        f"{name}: share of interview and focus-group segments about each that were critical, "
        f"mixed, supportive or unclear — {report.site_label}. Codes discussed by fewer than "
        f"{report.min_cell} participants, and shares hidden in the table (c), are not shown.",
    )
    shown.add(report.show(published))
    by_group = qualitative.stance_table(coded, stances, by=by, branches=[branch])
    grouped = _publish_hidden(
        report,
        shown,
        by_group.drop(columns=["branch"]),
        f"stance_{branch}_by_{by}",
        f"Stance on {_lower_first(name)} by {group} — {report.site_label}",
        count_columns=_counts(by_group),
        **how,
    )
    reviewed = _publish_quotes(report, shown, coded, branch, name, per_code)
    grid_title = report.title(f"{_SHORT.get(branch, name)}: stance by {group}")
    saved = report.chart(
        shown,
        grouped,
        lambda t: charts.stance_grid_figure(t, grid_title, report.min_cell),
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
    _show_quotes(shown, reviewed, "**Illustrative quotes** (most common stance first):")
    return shown.add(_agreement_note(report, [branch], poor_alpha))


def show_most_criticised(
    report: Report,
    by: str = "agency",
    branches: Sequence[str] = STANCE_BRANCHES,
    poor_alpha: float = POOR_ALPHA,
) -> Section:
    """Publish and return which rule or meaning is most criticised, and by which groups.

    ``poor_alpha`` as for :func:`show_reception` (the stance codes and ``branches``).
    """
    coded, _, note = _views(report, by)
    if note:
        return Section([note])
    stances = _stances(report)
    if not stances:
        return Section(
            [
                _unmapped(
                    report,
                    "stance",
                    list(STANCE_ROLES),
                    "the most criticised rule or meaning of consent",
                )
            ]
        )
    stance = qualitative.stance_table(coded, stances, by=by, branches=list(branches))
    if not len(stance):
        return Section([f"No segment {report.where} carries a stance on these codes."])
    found = qualitative.most_criticised(stance)
    shown = Section()
    counts = ["n_participants", "n_segments", "n_critical"]
    codes = report.publish(
        shown,
        found.codes,
        "most_criticised_codes",
        f"Rules and meanings of consent ranked by the share of critical segments — "
        f"{report.site_label}",
        count_columns=counts,
        depends=_MOST_CRITICISED_DEPENDS,
        population=_PEOPLE,
    )
    groups = report.publish(
        shown,
        found.groups,
        f"most_criticised_by_{by}",
        f"{found.code_label}: {_PLURAL[by]} ranked by the share of their segments that are "
        f"critical — {report.site_label}",
        count_columns=counts,
        depends=_MOST_CRITICISED_DEPENDS,
        population=_PEOPLE,
    )
    # the sentence says no more than the published tables show
    said = qualitative.criticised_sentence(codes, groups, by, report.min_cell, report.where)
    shown.add(report.finding(said, table="most_criticised_codes") if said else said, first=True)
    return shown.add(_agreement_note(report, branches, poor_alpha))


def show_frequencies(
    report: Report,
    branches: Sequence[str] | str | None = None,
    by: str = "agency",
    name: str | None = None,
) -> Section:
    """Publish and return a heatmap and table of participants raising each code, by group.

    ``branches`` are the themes (None: every theme in the study's codebook).
    """
    coded, _, note = _views(report, by)
    branches = study_themes(report, branches)
    if note:
        return Section([note])
    freq = qualitative.code_frequencies(coded, by=by, branches=branches)
    slug = "_".join(branches) if len(branches) <= 2 else "themes"
    title_name = name or ", ".join(CODE_BRANCHES.get(b, b) for b in branches)
    if not len(freq):
        return Section([f"Nothing {report.where} was coded under {title_name}."])
    group = GROUPINGS[by].lower()
    shown = Section()
    published = _publish_hidden(
        report,
        shown,
        freq.drop(columns=["branch"]),
        f"frequencies_{slug}_by_{by}",
        f"{title_name}: participants, segments and sources per code and {group} — "
        f"{report.site_label}",
        count_columns=["n_participants", "n_segments", "n_sources"],
        population=_PEOPLE,
    )
    title = report.title(f"Participants raising each code by {group}")

    def draw(table: pd.DataFrame) -> Any:
        talk = table[table[by].astype(str) != qualitative.UNATTRIBUTED_KEY]
        matrix = charts.count_matrix(talk, "n_participants")
        return charts.heatmap_figure(matrix, title, report.min_cell, count_label="Participants")

    report.chart(
        shown,
        published,
        draw,
        f"frequencies-{_slug(slug)}-by-{_slug(by)}",
        f"{title_name}: participants raising each code, by {group} — "
        f"{report.site_label}. Counts hidden in the table are marked c.",
    )
    shown.add(report.show(published))
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
    published = _publish_hidden(
        report,
        shown,
        summary.drop(columns=["rank"]),
        f"{branch}_summary",
        f"{name}: participants, segments and sources per code — {report.site_label}",
        count_columns=["n_participants", "n_segments", "n_sources"],
        depends={"pct_participants": ("n_participants",)},
        population=_PEOPLE,
    )
    top = published.iloc[0]
    n, pct = (
        qualitative.shown_number(top["n_participants"]),
        qualitative.shown_number(top["pct_participants"]),
    )
    if n is not None and pct is not None and n >= report.min_cell:
        whom = "all participants" if is_all_sites(report.site) else f"those {report.where}"
        shown.add(
            f"Raised by most participants: **{top['code_label']}** "
            f"({n:.0f} participants, {pct:.0f}% of {whom})."
        )
    chart_title = report.title(name)
    report.chart(
        shown,
        published,
        lambda t: charts.branch_figure(t, chart_title, report.min_cell),
        f"{_slug(branch)}-participants",
        f"{name}: participants raising each code — {report.site_label}. Counts hidden in the "
        "table are marked c.",
    )
    shown.add(report.show(published))
    reviewed = _publish_quotes(report, shown, coded, branch, name, per_code)
    _show_quotes(shown, reviewed, None)
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
    table = qualitative.cooccurrence_table(matrix, label)
    published = _publish_hidden(
        report,
        shown,
        table,
        f"cooccurrence_{rows}_{columns}_{within}",
        f"Co-occurrence within {unit}: {rname.lower()} by {cname.lower()} — {report.site_label}",
        count_columns=_counts(table),
    )
    title = report.title(f"{_SHORT.get(rows, rname)} and {_SHORT.get(columns, cname).lower()}")
    names = {f"n_{code}": label.get(code, code) for code in col_codes}

    def draw(shown_table: pd.DataFrame) -> Any:
        grid = shown_table.set_index("code_label")[list(names)].rename(columns=names)
        grid.index.name = None
        return charts.heatmap_figure(
            grid, title, report.min_cell, count_label=unit.split(" (")[0].capitalize()
        )

    report.chart(
        shown,
        published,
        draw,
        f"cooccurrence-{_slug(rows)}-{_slug(columns)}-{within}",
        f"Number of {unit} coded with both codes: {rname.lower()} (rows) and {cname.lower()} "
        f"(columns) — {report.site_label}. Counts hidden in the table are marked c.",
    )
    return shown


def _theme_options(quotes: pd.DataFrame, themes: Sequence[str] | None) -> list[tuple[str, str]]:
    """Return the browser's themes that have quotes, as (label, branch) in theme order."""
    order = list(themes) if themes is not None else list(dict.fromkeys(quotes["branch"]))
    return [(CODE_BRANCHES.get(b, b), b) for b in order if (quotes["branch"] == b).any()]


def _browser_quotes(
    report: Report, themes: Sequence[str] | None, per_code: int, seed: int
) -> tuple[pd.DataFrame, str | None]:
    """Return the report's site's quotes for the browser, and why there are none (or None).

    With real data only the quotes a researcher has approved are browsed (nothing is
    recorded for review: a browser publishes nothing).
    """
    coded, people = _material(report)
    why = _too_few(report, people)
    if why is not None:
        return coded.iloc[0:0].assign(branch=pd.Series(dtype=str)), why
    quotes = _choose_quotes(report, coded, study_themes(report, themes), per_code, seed)
    reviewed = report.review_quotes(quotes, record=False)
    return reviewed.quotes, reviewed.sentence()


def quote_browser(
    source: Report | pd.DataFrame,
    themes: Sequence[str] | None = None,
    per_code: int = 2,
    seed: int = QUOTE_SEED,
) -> ipywidgets.Widget:
    """Return a widget: a site control (for a Report), a theme drop-down and the chosen quotes.

    ``source`` is the notebook's Report (quotes are chosen for ``themes``, None for every
    theme of the study, at the chosen site, starting on the report's site; a site with too
    few participants shows why, as the sections do; with real data only approved quotes)
    or a table from :func:`~srim_analysis.analyses.qualitative.choose_quotes`
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
        if state["why"] is not None and not len(quotes):
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


def _framework_file(report: Report) -> Path:
    """Return the Framework workbook's path: a real study's folder, or a synthetic run's outputs."""
    if report.study.synthetic:
        return report.reports_dir / report.site / framework.WORKING_FILE
    return report.study.folder / framework.WORKING_FILE


def _shown(path: Path, out_root: Path | None = None) -> str:
    """Return a path for a sentence: relative to the project, else to the run's output folder.

    A page never prints an absolute path of the machine: a file outside both is named by
    its own name.
    """
    final = RunLayout.final(path).resolve()
    for root in (paths.ROOT, out_root):
        if root is not None:
            with contextlib.suppress(ValueError):
                return final.relative_to(Path(root).resolve()).as_posix()
    return final.name


def _keep_framework(
    path: Path,
    fresh: pd.DataFrame,
    title: str,
    about: Sequence[str],
    synthetic: bool,
    out_root: Path | None = None,
) -> tuple[pd.DataFrame | None, str | None]:
    """Merge ``fresh`` into the workbook at ``path``; return the matrix kept and any problem.

    The workbook is created once and never overwritten: it is rewritten (atomically, under a
    lock) only to add new cases, codes or themes, with every filled cell kept. A workbook
    that cannot be read is left untouched (None is returned). A synthetic run in a staging
    folder starts from the workbook of the last good run.
    """
    with disclosure.sheet_lock(path):
        last = RunLayout.final(path)
        if synthetic and last != path and last.is_file() and not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(last, path)  # its date too: the file is not rewritten
        existing = None
        if path.is_file():
            try:
                existing = framework.read_framework_workbook(path)
            except (ValueError, KeyError, IndexError, OSError, zipfile.BadZipFile) as exc:
                return None, (
                    f"**The Framework workbook `{_shown(path, out_root)}` could not be read** "
                    f"({exc}), so it is left exactly as it is and nothing is added to it. "
                    "Repair it (or move it away to start a new one) and run the notebook again."
                )
        merged = framework.merge_framework(existing, fresh)
        if existing is not None and framework.same_matrix(existing, merged):
            return merged, None  # nothing new: the file is not touched
        try:
            framework.write_framework_workbook(merged, path, title=title, about=about)
        except OSError as exc:  # e.g. the file is open in Excel on Windows
            return merged, (
                f"**The new cases, codes or themes could not be added** ({exc}); the file is "
                "left as it was. Close it (if it is open) and run the notebook again."
            )
    return merged, None


def _summaries_table(
    report: Report, kept: pd.DataFrame, people: pd.DataFrame, cases: str
) -> pd.DataFrame:
    """Return the charted summaries to publish: redacted, attributed like quotes (no case ids)."""
    filled = framework.charted_summaries(kept)
    if not is_all_sites(report.site):
        filled = filled[filled["site_id"] == report.site]
    ids = disclosure.study_identifiers(report.study.folder)
    rows = []
    for r in filled.itertuples(index=False):
        if cases == "site":
            who = r.site
        else:
            speaker = {"role": r.role, "agency": r.agency, "site_name": r.site, "method": r.method}
            who = qualitative.attribution(
                qualitative.coarsened_speaker(speaker, people, report.min_cell)
            )
        rows.append(
            {
                "theme": CODE_BRANCHES.get(r.branch, r.branch),
                "code_id": r.code_id,
                "code_label": r.code_label,
                "attribution": who,
                "summary": disclosure.redact(r.summary, ids).text,
            }
        )
    return pd.DataFrame(
        rows, columns=["theme", "code_id", "code_label", "attribution", "summary"], dtype=object
    )


def show_framework(
    report: Report,
    themes: Sequence[str] | None = None,
    cases: str = "participant",
    poor_alpha: float = POOR_ALPHA,
) -> Section:
    """Keep the Framework workbook, show the summaries charted in it and a preview by site.

    The workbook is a working file (``framework/framework-matrix.xlsx`` in a real study's
    folder; with a synthetic study, under the run's outputs): created once, never
    overwritten, new cases, codes and themes added on rerun. ``themes``: None for every
    theme of the study. Codes of the themes whose coder agreement is poor (alpha below
    ``poor_alpha``) are named.
    """
    study = report.study
    themes = study_themes(report, themes)
    scope = report.site if study.synthetic else ALL_SITES
    coded, people = qualitative.material(study, scope)
    fresh = framework.framework_matrix(coded, study.codebook, people, cases=cases, branches=themes)
    path = _framework_file(report)
    out = RunLayout.final(report.reports_dir).parent
    kept, problem = _keep_framework(
        path,
        fresh,
        title=f"Framework matrix — {study.site_label(scope)}",
        about=[
            f"Study: {study.name}"
            + (" — SYNTHETIC DATA, not real people." if study.synthetic else "."),
            f"Cases: {cases}s ({study.site_label(scope)}). Themes: "
            + ", ".join(CODE_BRANCHES.get(t, t) for t in themes)
            + ". New cases, codes and themes are added when the notebook runs again; "
            "summaries written here are kept and shown in notebook 04.",
        ],
        synthetic=study.synthetic,
        out_root=out,
    )
    where = (
        "This is a synthetic study, so the file is kept with the run's outputs (the synthetic "
        "study folder is tracked by git), for this site."
        if study.synthetic
        else "It is kept in the study folder, for every site."
    )
    shown = Section(
        [
            f"The Framework matrix is a working file for the research team: `{_shown(path, out)}`, "
            f"one sheet per theme, a row per {cases} (pseudonymous id), a column per code, "
            "and in each cell the researcher's summary above a line giving the coded "
            f"segments. {where} It is created once and never overwritten: a rerun adds new "
            f"{cases}s, codes and themes and keeps every summary written in it. Do not "
            "publish the file: it holds pseudonymous ids and counts that are not suppressed."
        ]
    )
    shown.add(problem)
    if study.synthetic:
        report.published.append(path)
    if kept is not None:
        summaries = _summaries_table(report, kept, people, cases)
        if len(summaries):
            report.publish(
                shown,
                summaries,
                "framework_summaries",
                f"Summaries charted in the Framework matrix (redacted, pseudonymous) — "
                f"{report.site_label}",
                count_columns=[],
            )
        else:
            shown.add(
                f"*No summaries have been charted {report.where} yet: write them in the "
                "workbook (in a cell, above its bracketed line) and run the notebook again to "
                "show them here.*"
            )
    site_coded, site_people = _material(report)
    preview = framework.framework_preview(site_coded, study.codebook, site_people, themes)
    shown.add("A preview of the matrix: coded segments per site and code.")
    report.publish(
        shown,
        preview,
        "framework_matrix_preview",
        f"Framework matrix preview: coded segments per site and code — {report.site_label}",
        count_columns=_counts(preview),
    )
    return shown.add(_agreement_note(report, themes, poor_alpha, stance=False))
