"""Notebook 04: agreement between coders - the notebook's glue for coder agreement.

The measures live in :mod:`srim_analysis.analyses.agreement` (units, overlap rule,
percentage agreement, Cohen's kappa, Krippendorff's alpha); this module publishes them:

* :func:`show_agreement` - agreement overall and per code, by source and by segment, with
  the codes of poor agreement named (or a sentence saying the study has no double coding);
* :func:`flagged_codes` - the codes whose published agreement is poor, and
  :func:`rests_on` - the note the framework and stance sections of
  :mod:`srim_analysis.sections.guidance` add when they rest on such codes.

Agreement is measured on the study's every-coder codings (:attr:`Study.all_codings`) at
the report's site. Units are sources and stretches of their text, which come from people:
the counts (``n_units``, ``n_coded``) are suppressed like any count, and every measure of
a row hides with them, so a code applied in few units is neither measured nor flagged in
public. Only the number of coders is published about the coders, never their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import agreement
from srim_analysis.analyses.agreement import POOR_ALPHA
from srim_analysis.report.publishing import Section
from srim_analysis.report.wording import count_words, decimal
from srim_analysis.study.contract import CODE_BRANCHES

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report

__all__ = ["POOR_ALPHA", "flagged_codes", "rests_on", "show_agreement"]

#: How the agreement tables are published (counts, not-counts, what hides with them).
_HOW = {
    "count_columns": list(agreement.COUNT_COLUMNS),
    "not_counts": list(agreement.NOT_COUNTS),
    "depends": agreement.AGREEMENT_DEPENDS,
}
_TITLE = "Agreement between coders"
#: Computed tables by (folder, data fingerprint, site, threshold): the sections of notebook
#: 04 that flag codes ask for the same tables as the agreement section.
_COMPUTED: dict[tuple[str, str, str, float], tuple[pd.DataFrame, ...]] = {}
_COMPUTED_MAX = 16


def _codings(report: Report) -> pd.DataFrame | None:
    """Return every coder's codings at the report's site (None: no coded segments)."""
    codings = getattr(report.study, "all_codings", None)
    if codings is None:
        codings = report.study.tables.get("coded_segments")
    return None if codings is None else report.for_site(codings)


def _tables(report: Report, poor_alpha: float) -> tuple[pd.DataFrame, ...]:
    """Return the overall, by-source and by-segment agreement tables (not yet published)."""
    study = report.study
    key = (str(study.folder), study.fingerprint, str(report.site), float(poor_alpha))
    if key not in _COMPUTED:
        codings = _codings(report)
        if codings is None:
            codings = pd.DataFrame(columns=["source_id", "segment_id", "code_id", "coder"])
        book = study.tables.get("codebook")
        if len(_COMPUTED) >= _COMPUTED_MAX:
            _COMPUTED.pop(next(iter(_COMPUTED)))
        _COMPUTED[key] = (
            agreement.overall_agreement(codings, threshold=poor_alpha),
            *(
                agreement.agreement_table(
                    codings, book, unit=unit, threshold=poor_alpha, themes=CODE_BRANCHES
                )
                for unit in agreement.UNITS
            ),
        )
    return _COMPUTED[key]


def flagged_codes(report: Report, poor_alpha: float = POOR_ALPHA) -> list[str]:
    """Return the codes the published agreement tables flag as poor at the report's site.

    The same cells :func:`show_agreement` publishes (``Report.made_safe`` is
    deterministic): a code whose row is hidden is not named.
    """
    _, *per_code = _tables(report, poor_alpha)
    return agreement.poor_codes(*(report.made_safe(t, **_HOW) for t in per_code))


def _labelled(report: Report, codes: Iterable[str]) -> str:
    """Return codes as '`ID` (label)', joined for a sentence."""
    book = report.study.tables.get("codebook")
    labels = {} if book is None else dict(zip(book["code_id"], book["label"], strict=True))
    named = [f"`{c}` ({labels[c]})" if c in labels else f"`{c}`" for c in codes]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def rests_on(report: Report, codes: Iterable[str], poor_alpha: float = POOR_ALPHA) -> str | None:
    """Return the note naming the flagged codes among ``codes`` a section rests on, or None."""
    wanted = set(codes)
    poor = [c for c in flagged_codes(report, poor_alpha) if c in wanted]
    if not poor:
        return None
    return (
        f"*Coder agreement: this section rests on code{'s' if len(poor) > 1 else ''} "
        f"{_labelled(report, poor)}, on which coders agreed poorly {report.where} "
        f"(Krippendorff's alpha below `{poor_alpha}`; see “{_TITLE}”). Read what rests on "
        f"{'them' if len(poor) > 1 else 'it'} with care.*"
    )


def _measure(value: object) -> str:
    """Return a published measure for a sentence, or words for a hidden or undefined one."""
    if disclosure.is_suppressed(value):
        return "hidden (c)"
    text = str(value).strip()
    return "not defined" if text in ("", "nan") else decimal(value, 3)


def _overall_sentence(report: Report, overall: pd.DataFrame) -> str:
    """Return what the published overall table says, in a sentence."""
    by = overall.set_index("unit")
    source = by.loc["source"] if "source" in by.index else None
    segment = by.loc["segment"] if "segment" in by.index else None
    if source is None:
        return ""
    said = (
        f"{count_words(source['n_units'], report.min_cell).capitalize()} sources {report.where} "
        f"were coded by more than one person ({source['coders']} coders in all)."
    )
    if disclosure.is_suppressed(source["alpha"]):
        return said + (
            " The measures over every code are hidden with the counts they rest on (c): "
            "too few sources to report."
        )
    said += f" Over every code, Krippendorff's alpha is {_measure(source['alpha'])} by source"
    if segment is not None:
        said += f" and {_measure(segment['alpha'])} by segment"
    said += "."
    if _measure(source["kappa"]) == "not defined" and str(source["coders"]) != "2":
        said += (
            " Cohen's kappa is for two coders: it is given where the same two people coded "
            "every double-coded source, so it is blank here."
        )
    return said


def show_agreement(report: Report, poor_alpha: float = POOR_ALPHA) -> Section:
    """Publish and return agreement between coders, overall and per code, poor codes named.

    ``poor_alpha``: a code whose Krippendorff's alpha (by source or by segment) is below
    it is flagged (default 0.667, Krippendorff's cut-off for tentative conclusions).
    """
    codings = _codings(report)
    if codings is None:
        return Section(
            [f"*This study has no coded segments, so {_TITLE.lower()} is not measured.*"]
        )
    overall, by_source, by_segment = _tables(report, poor_alpha)
    if not len(overall):
        return Section(
            [
                f"*No source {report.where} was coded by more than one person, so "
                f"{_TITLE.lower()} is not measured. To measure it, have a second person code "
                "some of the same sources and keep each coder's codings, with who coded "
                "them in the `coder` column of `coded_segments.csv` (`srim import-qda` keeps "
                "them; see docs/import-qda.md).*"
            ]
        )
    shown = Section()
    where = report.site_label
    published = report.publish(
        shown,
        overall,
        "coder_agreement_overall",
        f"{_TITLE} over every code, by source and by segment — {where}",
        **_HOW,
    )
    shown.add(_overall_sentence(report, published), first=True)
    units = {"source": "double-coded sources", "segment": "stretches of their text"}
    tables = [
        report.publish(
            shown,
            frame,
            f"coder_agreement_by_{unit}",
            f"{_TITLE} per code, by {unit} (units: {units[unit]}) — {where}",
            **_HOW,
        )
        for unit, frame in zip(agreement.UNITS, (by_source, by_segment), strict=True)
    ]
    poor = agreement.poor_codes(*tables)
    cut = f"Krippendorff's alpha below `{poor_alpha}`, the notebook's `poor_agreement`"
    if poor:
        said = (
            f"Coders agreed poorly on {_labelled(report, poor)} ({cut}, by source or by "
            "segment). The stance and framework sections that rest on "
            f"{'these codes' if len(poor) > 1 else 'this code'} say so."
        )
        shown.add(report.finding(said, table="coder_agreement_by_source"))
    else:
        shown.add(f"No code shown has {cut}.")
    if any(disclosure.is_suppressed(v) for t in tables for v in t["n_coded"]):
        shown.add(
            f"Codes applied in fewer than {report.min_cell} units are hidden (c), with their "
            "measures, and are not judged."
        )
    return shown
