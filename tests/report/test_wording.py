"""Tests for srim_analysis.report.wording and the report's phrase for where a run looks."""

from __future__ import annotations

import pytest

from srim_analysis.report import publishing
from srim_analysis.report.wording import count_words, decimal, interval


@pytest.mark.parametrize("value", [-0.0, -0.001, -0.004999, "-0.002"])
def test_decimal_never_prints_a_negative_zero(value):
    assert decimal(value) == "0.00"


def test_decimal_keeps_real_negatives_and_text():
    assert decimal(-0.006) == "-0.01"
    assert decimal(-1.5, 1) == "-1.5"
    assert decimal(-0.04, 1) == "0.0"
    assert decimal("c") == "c"


def test_interval_formats_both_bounds_through_decimal():
    assert interval(-0.001, 0.123) == "0.00 to 0.12"
    assert interval(-0.2, -0.0001) == "-0.20 to 0.00"


def test_count_words_reads_a_suppressed_count():
    assert count_words("c", 5) == "fewer than 5"


@pytest.mark.parametrize(("site", "where"), [("all", "across all sites"), ("S08", "at Harrowmere")])
def test_report_where_names_the_site_or_all_sites(tmp_path, shipped_dir, site, where):
    report = publishing.start(
        notebook="00_study_overview",
        site=site,
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=5,
        tables=["sites"],
    )
    assert report.where == where
    assert "All sites" not in report.where
