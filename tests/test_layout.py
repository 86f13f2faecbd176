"""Where a report's outputs go: every path of the output layout, defined once in RunLayout."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from srim_analysis.layout import FAILED_SUFFIX, OK_SUFFIX, RunLayout


@pytest.fixture
def layout(tmp_path) -> RunLayout:
    return RunLayout.under(tmp_path / "out")


def test_an_output_root_holds_reports_and_figures(tmp_path, layout):
    assert layout.reports_dir == tmp_path / "out" / "reports"
    assert layout.figures_dir == tmp_path / "out" / "figures"
    assert RunLayout.under(str(tmp_path / "out")) == layout
    assert RunLayout.of_figures(tmp_path / "out" / "figures") == layout
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.reports_dir = tmp_path  # type: ignore[misc]


def test_the_report_files(layout):
    reports = layout.reports_dir
    assert layout.index == reports / "index.html"
    assert layout.record == reports / "run-record.json"
    assert layout.lock == reports / ".srim-run.lock"
    assert layout.staging == reports / ".staging"


def test_the_files_of_one_notebook_run(layout):
    site = layout.reports_dir / "S01"
    assert layout.site_dir("S01") == site
    assert layout.tables_dir("S01") == site / "tables"
    assert layout.table("S01", "03_x", "scores") == site / "tables" / "03_x__scores.csv"
    assert layout.table("all", "04_y", "matrix", ".xlsx").name == "04_y__matrix.xlsx"
    assert layout.executed("S01", "03_x") == site / "03_x.ipynb"
    assert layout.html("S01", "03_x") == site / "03_x.html"
    assert layout.failed_executed("S01", "03_x") == site / "03_x.failed.ipynb"
    assert layout.failed_html("S01", "03_x") == site / "03_x.failed.html"
    assert layout.logs_dir("S01") == site / "logs"
    assert layout.log("S01", "03_x") == site / "logs" / "03_x.log"
    assert layout.ok_stamp("S01", "03_x") == site / "logs" / f"03_x{OK_SUFFIX}"
    assert layout.failed_stamp("S01", "03_x") == site / "logs" / f"03_x{FAILED_SUFFIX}"
    assert (OK_SUFFIX, FAILED_SUFFIX) == (".ok.json", ".failed.json")


def test_the_figure_files(layout):
    figures = layout.figures_dir
    assert layout.manifest == figures / "manifest.csv"
    assert layout.site_figures("all") == figures / "all"
    assert layout.figure("all", "03_x", "bars", "svg") == figures / "all" / "03_x__bars.svg"
    assert layout.fragment("all", "03_x") == figures / "all" / ".manifest__03_x.json"


def test_fragments_are_found_sorted(layout):
    assert layout.fragments() == []
    for site, nb in (("S01", "03_x"), ("all", "04_y"), ("all", "03_x")):
        path = layout.fragment(site, nb)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[]")
    (layout.figures_dir / "all" / "03_x__bars.png").write_text("")
    expected = [
        layout.fragment(s, nb) for s, nb in (("S01", "03_x"), ("all", "03_x"), ("all", "04_y"))
    ]
    assert layout.fragments() == expected


def test_a_stage_has_the_same_layout_inside_the_staging_folder(layout):
    stage = layout.stage("03_x__S01__abc")
    root = layout.staging / "03_x__S01__abc"
    assert stage == RunLayout(root / "reports", root / "figures")
    assert stage.table("S01", "03_x", "a").relative_to(root) == Path(
        "reports/S01/tables/03_x__a.csv"
    )
