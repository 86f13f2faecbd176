"""Tests for srim_analysis.report.widgets: the site control and the explorers' shared pieces."""

from __future__ import annotations

from html.parser import HTMLParser

import ipywidgets as widgets
import pandas as pd
import pytest

from srim_analysis.report import publishing
from srim_analysis.report import widgets as report_widgets
from srim_analysis.study.selection import ALL_SITES


class _Tables(HTMLParser):
    """Collects the cells of every HTML table, row by row.

    A header cell is read as the column it shows (its ``data-column``: the published
    table's column name), not as the plain label a reader sees.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None
        self.column: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
            self.column = dict(attrs).get("data-column")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.tables:
            text = self.column if self.column is not None else "".join(self.cell).strip()
            self.tables[-1][-1].append(text)
            self.cell, self.column = None, None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_tables(text: str) -> list[pd.DataFrame]:
    """Return the tables of an HTML fragment as text frames (first row the header)."""
    parser = _Tables()
    parser.feed(text)
    return [pd.DataFrame(rows[1:], columns=rows[0]) for rows in parser.tables if rows]


def assert_no_small_count(frame: pd.DataFrame, columns: list[str], min_cell: int = 5) -> None:
    """Fail if a count column of a shown table holds a count from 1 to ``min_cell - 1``."""
    for column in columns:
        for value in frame[column]:
            if value in ("", "c"):
                continue
            number = float(value)
            assert number == 0 or number >= min_cell, f"{column} shows {value}"


@pytest.fixture
def report(tmp_path, shipped_dir) -> publishing.Report:
    return publishing.start(
        notebook="03_awareness_confidence",
        site="S02",
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=5,
        tables=["sites"],
    )


def test_site_options_list_all_sites_then_each_site_by_name_and_id(study):
    options = report_widgets.site_options(study)
    assert options[0] == ("All sites", ALL_SITES)
    assert [sid for _, sid in options[1:]] == study.site_ids()
    assert options[1] == (f"{study.site_label('S01')} (S01)", "S01")


@pytest.mark.parametrize(("site", "value"), [("S03", "S03"), ("all", ALL_SITES), ("", ALL_SITES)])
def test_site_dropdown_starts_on_the_notebooks_site(study, site, value):
    control = report_widgets.site_dropdown(study, site)
    assert isinstance(control, widgets.Dropdown) and control.value == value
    assert control.style.description_width == "initial"
    assert control.layout.width == report_widgets.WIDE


def test_site_dropdown_calls_back_with_the_chosen_site(study):
    seen: list[str] = []
    control = report_widgets.site_dropdown(study, "all", seen.append)
    control.value = "S08"
    control.value = ALL_SITES
    assert seen == ["S08", ALL_SITES]


def test_site_dropdown_refuses_an_unknown_site(study):
    with pytest.raises(ValueError, match="not a site"):
        report_widgets.site_dropdown(study, "S99")


def test_dropdown_is_wide_and_calls_back_with_the_value():
    seen: list[str] = []
    control = report_widgets.dropdown(
        [("A long label", "a"), ("B", "b")], "a", "Pick:", seen.append
    )
    control.value = "b"
    assert seen == ["b"] and control.layout.width == report_widgets.WIDE


def test_report_for_changes_only_the_site(report):
    other = report_widgets.report_for(report, "S08")
    assert other.site == "S08" and report.site == "S02"
    assert other.study is report.study and other.min_cell == report.min_cell
    assert other.published == [] and other.where == "at Harrowmere"
    assert other.contents == []  # numbers nothing on the notebook's page


def test_an_explorers_table_is_not_numbered_on_the_page(report):
    safe = report.table(pd.DataFrame({"group": ["a", "b"], "n": [12, 20]}), "g", "Groups")
    text = report_widgets.shown_html(report, safe)
    assert "<b>Groups</b>" in text and "Table 1" not in text and report.contents == []


def test_shown_html_has_the_note_and_left_aligned_text(report):
    safe = report.made_safe(pd.DataFrame({"group": ["a", "b", "d"], "n": [3, 12, 20]}))
    safe.attrs["caption"] = "Groups"
    text = report_widgets.shown_html(report, safe)
    assert "<b>Groups</b>" in text and safe.attrs["note"] in text
    assert "text-align: left" in text and "<td>3</td>" not in text


def test_html_tables_reads_a_shown_table(report):
    safe = report.made_safe(pd.DataFrame({"group": ["a", "b", "d"], "n": [3, 12, 20]}))
    (table,) = html_tables(report_widgets.shown_html(report, safe))
    assert list(table.columns) == ["group", "n"] and table["n"].iloc[0] == "c"
    assert_no_small_count(table, ["n"])
    with pytest.raises(AssertionError):
        assert_no_small_count(pd.DataFrame({"n": ["3"]}), ["n"])
