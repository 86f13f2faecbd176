"""Tests for the srim_analysis.disclosure package: one import for every public name."""

from __future__ import annotations

from srim_analysis import disclosure
from srim_analysis.disclosure import (
    audit,
    errors,
    guards,
    pseudonyms,
    quote_review,
    redaction,
    suppression,
)

MODULES = (audit, errors, guards, pseudonyms, quote_review, redaction, suppression)


def test_the_package_re_exports_every_public_name_of_its_modules():
    names = [name for module in MODULES for name in module.__all__]
    assert len(set(names)) == len(names)  # each name has one home
    assert sorted(disclosure.__all__) == sorted(names)
    for module in MODULES:
        for name in module.__all__:
            assert getattr(disclosure, name) is getattr(module, name), name


def test_each_module_lists_the_functions_and_classes_it_defines():
    for module in MODULES:
        defined = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        }
        assert defined <= set(module.__all__), module.__name__


def test_the_names_other_code_imports_from_the_package():
    for name in (
        "DEFAULT_MIN_CELL",
        "SUPPRESSION_MARK",
        "is_suppressed",
        "publishable",
        "suppression_note",
        "suppression_mask",
        "count_columns_of",
        "DisclosureWarning",
        "study_identifiers",
        "Identifiers",
        "redact",
        "load_key",
        "assert_safe_output_dir",
        "UnsafeOutputError",
    ):
        assert name in disclosure.__all__, name
    assert disclosure.DEFAULT_MIN_CELL == 5
    assert disclosure.SUPPRESSION_MARK == "c"
