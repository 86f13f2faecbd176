"""Tests for srim_analysis.report.glossary: the method terms a page uses, in plain words."""

from __future__ import annotations

from srim_analysis.report import glossary


def _terms(text: str) -> list[str]:
    return [t.term for t in glossary.terms_used(text)]


def test_terms_are_found_in_a_pages_words_in_glossary_order():
    text = (
        "Truth table: row 1011 has incl 0.92, PRI 0.81 and covS 0.40; RoN 0.7. "
        "Each share has its 95% Wilson interval; odds ratio 2.4 (p < 0.001)."
    )
    assert _terms(text) == [
        "Wilson interval",
        "p-value",
        "Odds ratio (OR)",
        "Truth table",
        "incl (consistency)",
        "PRI",
        "cov (coverage) and covS",
        "RoN (relevance of necessity)",
    ]


def test_abbreviations_need_their_case_and_common_words_do_not_match():
    assert _terms("the pri of one or the other; ron; qca; a ci") == []
    assert _terms("OR 1.8 (95% CI 1.1 to 2.9)") == ["Confidence interval (CI)", "Odds ratio (OR)"]
    assert _terms("Cronbach's alpha 0.81; Cohen's kappa 0.6; Krippendorff's alpha 0.7") == [
        "Cronbach's alpha",
        "Cohen's kappa",
        "Krippendorff's alpha",
    ]


def test_every_term_has_a_plain_definition_and_matches_its_own_name():
    for term in glossary.TERMS:
        assert term.definition.endswith(".") and len(term.definition) > 40
        assert term.used_in(term.term), term.term


def test_the_glossary_section_lists_the_terms_used_or_is_empty():
    assert glossary.glossary_html("Nothing technical here.") == ""
    page = glossary.glossary_html("The funnel plot's control limits; PRI < 0.5.")
    assert page.startswith('<section class="srim-glossary" id="glossary"><h2>Glossary</h2>')
    assert page.count("<dt>") == 2
    assert "<dt>Funnel plot and control limits</dt>" in page and "<dt>PRI</dt>" in page
