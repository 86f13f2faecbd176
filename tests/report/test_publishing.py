"""The report layer: tables made safe and published, sections, the banner, where outputs go."""

from __future__ import annotations

import base64
import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from srim_analysis.layout import RunLayout
from srim_analysis.report import cache, publishing
from srim_analysis.report.publishing import Section, read_published, start
from srim_analysis.study.loading import StudyValidationError


@pytest.fixture
def report(tmp_path, shipped_dir):
    """A notebook run of the shipped study for one site, writing under tmp_path."""
    return start(
        "00_study_overview",
        site="S02",
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
    )


def _counts() -> pd.DataFrame:
    return pd.DataFrame({"group": ["a", "b", "c", "Total"], "n": [3, 9, 20, 32]})


def test_made_safe_suppresses_without_writing(report, tmp_path):
    safe = report.made_safe(_counts())
    assert safe["n"].tolist()[0] == "c"
    assert "Counts from 1 to 4" in safe.attrs["note"]
    assert not list(tmp_path.rglob("*.csv"))


def test_table_writes_what_made_safe_returns(report):
    published = report.table(_counts(), "groups", "Groups")
    path = RunLayout(report.reports_dir, report.figures_dir).table("S02", report.notebook, "groups")
    assert path.is_file()
    assert read_published(path)["n"].tolist() == [str(v) for v in published["n"]]
    assert published.equals(report.made_safe(_counts()))


def test_publish_records_and_shows_unless_told_not_to(report):
    section = Section()
    report.publish(section, _counts(), "shown", "Shown")
    report.publish(section, _counts(), "kept", "Kept", show=False)
    assert set(section.tables) == {"shown", "kept"}
    assert len(section.items) == 1


def test_section_add_first_puts_a_sentence_before_the_tables(report):
    section = Section(["table"])
    section.add("In short.", first=True)
    assert section.items == ["In short.", "table"]


def test_missing_says_which_table_a_section_needs(report):
    assert report.missing("sites") is None
    skipped = report.missing("no_such_table")
    assert "no `no_such_table` table" in skipped.text()


def test_a_chart_is_drawn_only_from_a_published_table(report):
    section = Section()
    raw = pd.DataFrame({"g": ["a", "b"], "n": [3, 20]})
    with pytest.raises(ValueError, match="must be a table the report made safe"):
        report.chart(section, raw, lambda t: plt.subplots()[0], "raw", "Raw")
    seen = []
    safe = report.made_safe(raw)
    assert report.chart(section, safe, lambda t: seen.append(t) or None, "none", "None") is None
    assert section.items == [] and seen[0]["n"].tolist()[0] == "c"
    assert not hasattr(report, "add_figure") and not hasattr(report, "figure")


def test_banner_says_site_study_kind_and_where_outputs_go(report):
    text = report.banner().data
    assert "SYNTHETIC DATA" in text
    assert "<code>S02</code>" in text
    for sid in report.study.site_ids():  # every site id, with its name, is listed
        assert f"<code>{sid}</code> {report.study.site_label(sid)}" in text
    assert "Study folder: <code>data/synthetic</code>, synthetic data" in text
    # a run outside the project: its outputs named from its output folder, not the machine
    assert "tables in <code>reports/S02/tables/</code>" in text
    assert "figures in <code>figures/S02/</code>" in text
    assert str(report.reports_dir.parent) not in text


def test_banner_shows_final_places_not_staging_folders(tmp_path, shipped_dir):
    staged = tmp_path / "reports" / ".staging" / "run1"
    report = start(
        "00_study_overview",
        site="S02",
        data_dir=shipped_dir,
        reports_dir=staged / "reports",
        figures_dir=staged / "figures",
    )
    text = report.banner().data
    assert ".staging" not in text
    assert "<code>reports/S02/tables/</code>" in text and str(tmp_path) not in text


def test_chart_draws_from_the_published_table_and_saves_it_as_source_data(report):
    import matplotlib.pyplot as plt

    from srim_analysis.report import figures

    section = Section()
    published = report.table(_counts(), "groups", "Groups")
    seen = []

    def draw(table: pd.DataFrame):
        seen.append(table)
        fig, ax = plt.subplots()
        shown = table[table["n"] != "c"]
        ax.bar(shown["group"], shown["n"].astype(int))
        return fig

    saved = report.chart(section, published, draw, "groups", "Groups by size")
    assert seen[0]["n"].tolist()[0] == "c"  # the chart got the published cells
    assert saved.record.source_data == "S02/00_study_overview__groups.csv"
    data = read_published(report.figures_dir / saved.record.source_data)
    assert data["n"].tolist() == [str(v) for v in published["n"]]
    (row,) = figures.read_manifest(report.figures_dir)
    assert row.source_data == saved.record.source_data
    assert section.items == [saved]


def test_chart_refuses_a_table_the_report_did_not_make_safe(report):
    with pytest.raises(ValueError, match="made safe"):
        report.chart(Section(), _counts(), lambda t: None, "raw", "Raw counts")


def test_a_finding_is_recorded_once_with_its_figure_and_table(report, tmp_path):
    section = Section()
    published = report.publish(section, pd.DataFrame({"g": ["a", "b"], "n": [10, 20]}), "t", "T")
    fig, _ = plt.subplots()
    saved = report.chart(section, published, lambda _t: fig, "fig-t", "A figure")
    assert report.finding("Thirty people took part.", figure=saved, table="t") == (
        "Thirty people took part."
    )
    report.finding("Thirty people took part.", table="t")  # the same sentence: kept once
    found = json.loads(report.layout.findings("S02", "00_study_overview").read_text())
    assert found == [
        {"text": "Thirty people took part.", "table": "S02/tables/00_study_overview__t.csv"}
    ]
    report.finding("Another.", figure=saved)
    found = json.loads(report.layout.findings("S02", "00_study_overview").read_text())
    assert found[1] == {
        "text": "Another.",
        "figure": "S02/00_study_overview__fig-t.png",
        "caption": "A figure",
    }
    assert (tmp_path / "reports" / found[0]["table"]).is_file()


def _bars(title: str):
    def draw(table: pd.DataFrame):
        fig, ax = plt.subplots()
        ax.set_title(title)
        ax.set_xlabel("Group")
        shown = table[table["n"] != "c"]
        ax.bar(shown["group"], shown["n"].astype(int))
        return fig

    return draw


def test_figures_and_tables_are_numbered_in_the_order_shown_and_listed(report):
    section = Section()
    published = report.publish(section, _counts(), "groups", "Groups")
    first = report.chart(section, published, _bars("By size"), "by-size", "Groups by size")
    second = report.chart(section, published, _bars("Again"), "again", "Groups again")
    report.publish(section, _counts(), "more", "More groups")
    again = report.show(published)  # a table shown twice keeps its number
    explorer = report.show(published, numbered=False)
    assert (first.number, second.number) == (1, 2)
    assert "<b>Table 1. Groups</b>" in section.items[0].data
    assert "<b>Table 2. More groups</b>" in section.items[3].data
    assert "<b>Table 1. Groups</b>" in again.data
    assert "<b>Groups</b>" in explorer.data and "Table" not in explorer.data.split("</b>")[0]
    contents = json.loads(
        publishing.contents_path(report.layout, "S02", report.notebook).read_text()
    )
    assert [(e["kind"], e["key"]) for e in contents] == [
        ("table", "00_study_overview__groups.csv"),
        ("figure", "by-size"),
        ("figure", "again"),
        ("table", "00_study_overview__more.csv"),
    ]
    assert contents[1]["path"] == "S02/00_study_overview__by-size.png"
    assert contents[0]["path"] == "tables/00_study_overview__groups.csv"
    # a new run of the notebook starts the list again
    start(
        "00_study_overview",
        site="S02",
        data_dir=report.study.folder,
        reports_dir=report.reports_dir,
        figures_dir=report.figures_dir,
    )
    assert not publishing.contents_path(report.layout, "S02", report.notebook).exists()


def test_a_saved_figure_shows_the_saved_png_with_alt_text_and_its_number(report):
    section = Section()
    published = report.publish(section, _counts(), "groups", "Groups", show=False)
    report.chart(section, published, _bars("One"), "one", "The first")
    saved = report.chart(section, published, _bars("Sizes"), "sizes", "Groups by size")
    page = saved._repr_html_()
    assert saved.label == "Figure 2. Groups by size"
    assert saved.alt == "Groups by size. Panel: “Sizes” — x axis: Group."
    assert f'alt="{saved.alt}"' in page and "<b>Figure 2. Groups by size</b>" in page
    png = base64.b64encode(saved.png_path.read_bytes()).decode("ascii")
    assert f"data:image/png;base64,{png}" in page  # the very file the report saved
    assert not hasattr(saved, "_repr_svg_") and not hasattr(saved, "_repr_png_")


# ---------------------------------------------------------------------------
# The study is validated once per report (issue #21)
# ---------------------------------------------------------------------------


def _start_on(data_dir, out, notebook="00_x"):
    return start(
        notebook=notebook,
        site="all",
        data_dir=data_dir,
        reports_dir=out / "reports",
        figures_dir=out / "figures",
    )


def test_a_report_validates_the_study_once_and_reads_it_back(study_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, "1")
    first = _start_on(study_copy, tmp_path / "out")
    entries = list((tmp_path / "out" / "reports" / cache.CACHE_FOLDER).glob("study-*.pkl"))
    assert len(entries) == 1

    def must_not_load(*args, **kwargs):
        raise AssertionError("the study was validated again: the report's cache was not used")

    with monkeypatch.context() as m:
        m.setattr(publishing, "load_study", must_not_load)
        again = _start_on(study_copy, tmp_path / "out", "01_y")
    assert again.study.folder == first.study.folder and again.study.plan == first.study.plan
    assert again.study.fingerprint == first.study.fingerprint
    for name, table in first.study.tables.items():
        pd.testing.assert_frame_equal(again.study.tables[name], table)
    # changed data: validated again (and its problems raised, not read back)
    path = study_copy / "sites.csv"
    path.write_text(path.read_text(encoding="utf-8") + "S99,,,,\n", encoding="utf-8")
    with pytest.raises(StudyValidationError, match=r"sites\.csv"):
        _start_on(study_copy, tmp_path / "out", "02_z")
    assert list((tmp_path / "out" / "reports" / cache.CACHE_FOLDER).glob("study-*.pkl")) == entries


def test_with_the_cache_off_the_study_is_validated_every_time(study_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, "0")
    _start_on(study_copy, tmp_path / "out")
    assert not (tmp_path / "out" / "reports" / cache.CACHE_FOLDER).exists()
