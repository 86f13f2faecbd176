"""Notebook 01's case-file audit as the study's practitioners read it - the notebook's glue.

The numbers come from :mod:`srim_analysis.analyses.case_audit`, the figures from
:mod:`srim_analysis.charts.case_audit`; one call per section:

* :func:`show_cascade` - which fathers and significant men were identified, checked,
  contacted and involved (the plan's indicators, in order), by site and case type;
* :func:`show_run_charts` - each indicator by quarter of ``audit_date``, with the baseline
  median and the shift rule;
* :func:`show_agreement` - how far two auditors of the same cases agreed, per indicator.

Every table goes through :meth:`Report.publish` (small counts suppressed; population
"cases" for the tables counting audited cases, so they hide and show the cells they share
with the site-indicators table alike) and every figure through :meth:`Report.chart`, drawn
from the published table. Sentences are written from published cells. A section says so in
a sentence when the study lacks the table, the plan names no indicator, or an optional
column (``case_type``, the second auditor's ``second_*`` answers) is absent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import case_audit
from srim_analysis.analyses.case_audit import (
    AGREEMENT_DEPENDS,
    CASE_TYPE,
    PERCENT_DEPENDS,
    POOR_KAPPA,
    SHIFT_POINTS,
)
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import case_audit as charts
from srim_analysis.report.publishing import Section
from srim_analysis.report.wording import count_words, decimal
from srim_analysis.sections.comparison import CASES, NO_INDICATORS
from srim_analysis.study.contract import SECOND_PREFIX
from srim_analysis.study.selection import is_all_sites

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from srim_analysis.report.publishing import Report

__all__ = ["show_agreement", "show_cascade", "show_run_charts"]

#: The tables (and figures) of the sections.
CASCADE, RUN_CHARTS, AGREEMENT = TABLES = (
    "case-audit-cascade",
    "case-audit-run-charts",
    "case-audit-agreement",
)
#: The title and caption (``{where}``: where the run looks) of each per-site figure.
FIGURES: dict[str, tuple[str, str]] = {
    CASCADE: (
        "The practice cascade by case type",
        "The practice cascade {where}: % of audited cases where each step was done, with 95% "
        "Wilson intervals, for each case type and all case types.",
    ),
    RUN_CHARTS: (
        "Audit indicators by quarter",
        "Run charts {where}: % of audited cases per quarter for each indicator, the baseline "
        "median of the shown quarters (dashed) and the points of a shift.",
    ),
}
#: Where a study names its indicators, for the sentences that say none are named.
PLAN_POINTER = "`[comparison] indicators` in the study's `study.toml`"


def _setup(report: Report, indicators: Sequence[str] | None) -> tuple[list[str], Section | None]:
    """Return the indicators (None: the plan's) and a section saying why it is skipped, if so."""
    chosen = list(report.study.plan.comparison.indicators if indicators is None else indicators)
    missing = report.missing("case_audit")
    if missing is not None:
        return chosen, missing
    return chosen, None if chosen else Section([NO_INDICATORS])


def _focus(report: Report) -> str:
    """Return the site a view shows: the focus site's display name, or "All"."""
    return TOTAL if is_all_sites(report.site) else report.site_label


def _view(published: pd.DataFrame, keep: pd.Series, caption: str) -> pd.DataFrame:
    """Return some rows of a published table, still marked as published, with a caption."""
    out = published[keep].copy()
    out.attrs = {**published.attrs, "caption": caption}
    return out


def _pct(value: object) -> str:
    """Return a published percentage for a sentence ("c" stays "c")."""
    return f"{decimal(value, 1)}%"


def _shown(value: object) -> bool:
    """Return True when a published cell holds a value (not hidden, not blank)."""
    return not disclosure.is_suppressed(value) and not pd.isna(value)


def _site_chart(
    report: Report,
    section: Section,
    published: pd.DataFrame,
    draw: Callable[..., Figure],
    indicators: Sequence[str],
    name: str,
) -> None:
    """Draw the focus site's (or all sites') figure ``name`` from a published table."""
    title, caption = FIGURES[name]
    report.chart(
        section,
        published,
        lambda p: draw(p, indicators, site=_focus(report), title=report.title(title)),
        name,
        caption.format(where=report.where),
    )


# ---------------------------------------------------------------------------
# The practice cascade
# ---------------------------------------------------------------------------


def _cascade_sentence(report: Report, rows: pd.DataFrame, indicators: Sequence[str]) -> str:
    """Return the sentence on the first and last step of the focus site's cascade."""
    mine = rows[rows[CASE_TYPE] == TOTAL].set_index("indicator")
    parts = []
    for ind in (indicators[0], indicators[-1]):
        if ind not in mine.index:
            continue
        r = mine.loc[ind]
        if _shown(r["pct_yes"]):
            parts.append(
                f"{r['label']}: {_pct(r['pct_yes'])} of {count_words(r['n'], report.min_cell)} "
                "cases"
            )
        else:
            parts.append(f"{r['label']}: hidden in the table (c)")
    return f"The cascade {report.where}, first and last step. " + "; ".join(parts) + "."


def _case_type_sentence(rows: pd.DataFrame, indicator: str) -> str | None:
    """Return which case type has the lowest shown % at one step, against all case types."""
    step = rows[rows["indicator"] == indicator]
    kinds = step[(step[CASE_TYPE] != TOTAL) & step["pct_yes"].map(_shown)]
    everyone = step[step[CASE_TYPE] == TOTAL]
    if kinds.empty or everyone.empty or not _shown(everyone["pct_yes"].iloc[0]):
        return None
    low = kinds.loc[kinds["pct_yes"].astype(float).idxmin()]
    return (
        f"{low['label']} was least often recorded in cases of type "
        f"\u201c{low[CASE_TYPE]}\u201d ({_pct(low['pct_yes'])}, against "
        f"{_pct(everyone['pct_yes'].iloc[0])} for all case types)."
    )


def show_cascade(report: Report, indicators: Sequence[str] | None = None) -> Section:
    """Publish and return the practice cascade by site and case type, and its chart.

    The table is the whole study's (each site and case type, with "All" rows); the page
    shows the focus site's rows (for ``site = "all"``: the all-site rows by case type and
    the all-case-type rows by site). ``indicators`` None: the study plan's.
    """
    indicators, gap = _setup(report, indicators)
    if gap is not None:
        return gap
    table = case_audit.cascade(report.study, indicators)
    has_types = CASE_TYPE in report.study.tables["case_audit"].columns
    section = Section(
        [
            "The steps of practice with fathers and significant men, in the order the study's "
            f"plan lists them ({PLAN_POINTER}): the % of audited cases where each was done, "
            "out of the cases where it was recorded, with its 95% Wilson interval."
        ]
    )
    if not has_types:
        section.add(
            f"*The case audit has no `{CASE_TYPE}` column, so the cascade is by site only.*"
        )
    focus = _focus(report)
    if focus == TOTAL:
        keep = (table["site"] == TOTAL) | (table[CASE_TYPE] == TOTAL)
    else:
        keep = (table["site"] == focus) | ((table["site"] == TOTAL) & (table[CASE_TYPE] == TOTAL))
    published = report.publish(
        section,
        table,
        CASCADE,
        "The practice cascade: audited cases where each step was done (n_yes) out of those "
        "where it was recorded (n; blanks counted in n_blank), as a % with its 95% Wilson "
        "interval, by site and case type",
        depends=PERCENT_DEPENDS,
        population=CASES,
        view=lambda p: _view(p, keep, p.attrs["caption"]),
    )
    rows = published[published["site"] == focus]
    section.add(report.finding(_cascade_sentence(report, rows, indicators), table=CASCADE))
    by_type = _case_type_sentence(rows, indicators[-1]) if has_types else None
    if by_type:
        section.add(report.finding(by_type, table=CASCADE))
    _site_chart(report, section, published, charts.cascade_chart, indicators, CASCADE)
    return section


# ---------------------------------------------------------------------------
# Run charts
# ---------------------------------------------------------------------------


def _shift_sentence(report: Report, rows: pd.DataFrame) -> str:
    """Return which indicators of the focus site show a shift, and from which quarter."""
    found = []
    for _, series in rows[rows["quarter"] != TOTAL].groupby("indicator", sort=False):
        flagged = series[series["shift"].astype(str) == "True"]
        if flagged.empty:
            continue
        first = flagged.iloc[0]
        side = "above" if float(first["pct_yes"]) > float(first["median"]) else "below"
        found.append(f"{first['label']} ({side} the median from {first['quarter']})")
    if not found:
        return f"No indicator shows a shift {report.where}."
    return f"A shift {report.where}: " + "; ".join(found) + "."


def show_run_charts(
    report: Report, indicators: Sequence[str] | None = None, baseline: int | None = None
) -> Section:
    """Publish and return each indicator by quarter of ``audit_date``, and its run charts.

    The median is that of the first ``baseline`` quarters a site shows (None: all its
    quarters); a run of :data:`SHIFT_POINTS` or more quarters on one side of it is a
    shift. ``indicators`` None: the study plan's.
    """
    indicators, gap = _setup(report, indicators)
    if gap is not None:
        return gap
    base = "all its quarters" if baseline is None else f"its first {baseline} quarters"
    section = Section(
        [
            f"Each indicator by quarter of `audit_date`, as a run chart: the centre line is "
            f"the median of the percentages a site's table shows over {base}, and "
            f"{SHIFT_POINTS} or more quarters in a row all above or all below it make a "
            "shift, a sign of real change (Perla, Provost and Murray, BMJ Quality & Safety, "
            "2011, their first rule; a point on the median is skipped, a hidden one ends the run)."
        ]
    )
    focus = _focus(report)
    published = report.publish(
        section,
        case_audit.quarterly(report.study, indicators),
        RUN_CHARTS,
        "Audit indicators by site and quarter of audit_date: cases where it was done (n_yes) "
        "out of those where it was recorded (n), as a % with its 95% Wilson interval",
        depends=PERCENT_DEPENDS,
        population=CASES,
        view=lambda p: _view(p, p["site"] == focus, p.attrs["caption"]),
    )
    # the median and the shifts come from the published cells only (the chart's source data)
    signals = case_audit.run_chart_signals(published, baseline=baseline)
    signals.attrs = dict(published.attrs)
    section.add(_shift_sentence(report, signals[signals["site"] == focus]))
    _site_chart(report, section, signals, charts.run_chart, indicators, RUN_CHARTS)
    return section


# ---------------------------------------------------------------------------
# Agreement between auditors
# ---------------------------------------------------------------------------


def _agreement_sentence(report: Report, published: pd.DataFrame) -> str:
    """Return the sentence on the range of agreement and the indicators with poor kappa."""
    shown = published[published["pct_agree"].map(_shown)]
    parts = []
    if len(shown):
        pct = shown["pct_agree"].astype(float)
        low, high = shown.loc[pct.idxmin()], shown.loc[pct.idxmax()]
        parts.append(
            f"The two auditors agreed on {_pct(low['pct_agree'])} ({low['label']}) to "
            f"{_pct(high['pct_agree'])} ({high['label']}) of the double-audited cases."
        )
    kappa = published[published["kappa"].map(_shown)]
    poor = kappa[kappa["kappa"].astype(float) < POOR_KAPPA]
    if len(poor):
        named = "; ".join(f"{r['label']} (kappa {decimal(r['kappa'])})" for _, r in poor.iterrows())
        parts.append(f"Agreement is poor (kappa below {POOR_KAPPA:.2f}) for: {named}.")
    elif len(kappa):
        parts.append(f"No indicator has a kappa below {POOR_KAPPA:.2f}.")
    return " ".join(parts) or "*Every agreement value is hidden in the table (c).*"


def show_agreement(report: Report, indicators: Sequence[str] | None = None) -> Section:
    """Publish and return the agreement of two auditors per indicator, and its chart.

    Over the whole study (double-audited cases are too few to split by site). Without
    the second auditor's columns, or with no double-audited case, the section says so.
    """
    indicators, gap = _setup(report, indicators)
    if gap is not None:
        return gap
    if not case_audit.double_audited(report.study, indicators):
        return Section(
            [
                f"*The case audit has no second auditor's answers (`{SECOND_PREFIX}<indicator>` "
                "columns), so agreement between auditors is not reported.*"
            ]
        )
    table = case_audit.agreement(report.study, indicators)
    if not table["n"].gt(0).any():
        return Section(["*No case was audited by two auditors, so agreement is not reported.*"])
    section = Section(
        [
            "How far two auditors of the same case files agreed, per indicator, over the whole "
            "study: the % of double-audited cases both answered where their answers agree, "
            "and Cohen's kappa (agreement beyond chance) with its 95% interval. A kappa below "
            f"{POOR_KAPPA:.2f} is inadequate agreement (McHugh, Biochemia Medica, 2012): "
            "results resting on that indicator should be read with care."
        ]
    )
    published = report.publish(
        section,
        table,
        AGREEMENT,
        "Agreement between two auditors of the same cases, per indicator: cases both answered "
        "(n), agreeing and disagreeing, % agreement and Cohen's kappa with its 95% interval; "
        f"poor: kappa below {POOR_KAPPA:.2f}",
        depends={**AGREEMENT_DEPENDS, "poor": ("n_agree", "n")},
        sums={"n": ("n_agree", "n_disagree")},
    )
    section.add(_agreement_sentence(report, published))
    report.chart(
        section,
        published,
        lambda p: charts.agreement_chart(p, title="Agreement between auditors — whole study"),
        AGREEMENT,
        "Cohen's kappa per audit indicator with its 95% interval, over the whole study; "
        f"dashed: {POOR_KAPPA:.2f}, below which agreement is poor.",
    )
    return section
