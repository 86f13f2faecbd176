"""The method terms a page uses, in plain words: the glossary at the foot of each page.

:data:`TERMS` lists each term with a plain definition and the pattern that finds it in a
page's text; :func:`terms_used` returns the terms a text uses (in the glossary's order) and
:func:`glossary_html` the glossary a page shows for them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["TERMS", "Term", "glossary_html", "terms_used"]


@dataclass(frozen=True)
class Term:
    """One glossary entry: the term, its plain definition and how a page's text names it."""

    term: str
    definition: str
    #: A regular expression matching the term in a page's text.
    pattern: str
    #: Whether the pattern is matched with case (abbreviations such as PRI, RoN).
    case: bool = False

    def used_in(self, text: str) -> bool:
        """Return True when ``text`` uses the term."""
        return re.search(self.pattern, text, 0 if self.case else re.IGNORECASE) is not None


TERMS: tuple[Term, ...] = (
    Term(
        "Confidence interval (CI)",
        "The range of values the data support for a percentage or an estimate; written as "
        "'86% (80-91)'. A 95% interval would contain the true value in 95 of 100 repeats of "
        "the study.",
        r"\b[Cc]onfidence intervals?\b|\bCI\b",
        case=True,
    ),
    Term(
        "Wilson interval",
        "A confidence interval for a percentage that stays sensible for small groups and for "
        "percentages near 0% or 100%.",
        r"\bWilson\b",
    ),
    Term(
        "p-value",
        "How often a difference at least this large would appear by chance if there were no "
        "real difference; 'p < 0.001' means less than once in a thousand.",
        r"\bp-values?\b|\bp\s*[<=]\s*0?\.\d",
    ),
    Term(
        "Odds ratio (OR)",
        "How many times higher the odds of an answer are in one group than in another; "
        "1 means no difference.",
        r"\b[Oo]dds ratios?\b|\bOR\b",
        case=True,
    ),
    Term(
        "Funnel plot and control limits",
        "A chart of each site's percentage against its number of cases; the funnel-shaped "
        "control limits show how far a site may differ from the overall percentage by "
        "chance alone. A site outside them is flagged.",
        r"\bfunnel\b|\bcontrol limits?\b",
    ),
    Term(
        "Cronbach's alpha",
        "How consistently the items of a survey scale measure the same thing (0 to 1; 0.7 "
        "or more is usually taken as consistent enough).",
        r"\bCronbach",
    ),
    Term(
        "Cohen's kappa",
        "Agreement between two coders beyond what chance alone would give (1 is perfect "
        "agreement, 0 is no better than chance).",
        r"\bkappa\b|\bκ",
    ),
    Term(
        "Krippendorff's alpha",
        "Agreement among coders beyond chance, for any number of coders and missing codings "
        "(1 is perfect agreement; 0.8 or more is usually taken as reliable).",
        r"\bKrippendorff",
    ),
    Term(
        "QCA (qualitative comparative analysis)",
        "A comparison of cases (here: sites) that looks for the combinations of conditions "
        "that go with an outcome, rather than the effect of each condition on its own.",
        r"\bQCA\b|\bqualitative comparative analysis\b",
        case=True,
    ),
    Term(
        "Calibration (fuzzy set)",
        "Turning a measure into a membership score from 0 (fully out) to 1 (fully in) using "
        "three anchors: full non-membership, the crossover point (0.5) and full membership.",
        r"\bcalibrat|\bfuzzy\b|\banchors?\b",
    ),
    Term(
        "Truth table",
        "One row for each combination of conditions, with the sites that have it and how "
        "consistently they show the outcome.",
        r"\btruth tables?\b",
    ),
    Term(
        "incl (consistency)",
        "How far the sites with a condition or combination also show the outcome (0 to 1); "
        "a combination counts as sufficient when it reaches the cut-off.",
        r"\bincl\b|\bconsistency\b",
    ),
    Term(
        "PRI",
        "Proportional reduction in inconsistency: how far a combination goes with the outcome "
        "rather than with its absence too (low PRI warns of a combination that fits both).",
        r"\bPRI\b",
        case=True,
    ),
    Term(
        "cov (coverage) and covS",
        "How much of the outcome a condition or combination accounts for (0 to 1); covS is "
        "the coverage of a sufficient combination.",
        r"\bcovS\b|\bcov[NSU]?\b|\bcoverage\b",
    ),
    Term(
        "RoN (relevance of necessity)",
        "Whether a necessary condition matters, or is simply present almost everywhere "
        "(near 0: trivially necessary; near 1: relevant).",
        r"\bRoN\b",
        case=True,
    ),
    Term(
        "Suppressed cell (c)",
        "A count hidden to protect the people counted: a small count, or one that could be "
        "worked out from the counts shown. It reads 'c' in tables and is not drawn in figures.",
        r"\bsuppress|\bhidden\b",
    ),
)


def terms_used(text: str) -> list[Term]:
    """Return the glossary terms ``text`` uses, in the glossary's order.

    >>> [t.term for t in terms_used("incl 0.9 and PRI 0.8 (pri is not matched)")]
    ['incl (consistency)', 'PRI']
    """
    return [t for t in TERMS if t.used_in(text)]


def glossary_html(text: str, *, anchor: str = "glossary") -> str:
    """Return the glossary section for the terms ``text`` uses ('' when it uses none)."""
    used = terms_used(text)
    if not used:
        return ""
    items = "".join(
        f"<dt>{html.escape(t.term)}</dt><dd>{html.escape(t.definition)}</dd>" for t in used
    )
    return (
        f'<section class="srim-glossary" id="{html.escape(anchor)}">'
        "<h2>Glossary</h2><p>The method terms this page uses, in plain words.</p>"
        f"<dl>{items}</dl></section>"
    )
