"""Notebook 04's sections: what they publish, what they say, and the notebook end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import framework, qualitative
from srim_analysis.report import figures, publishing
from srim_analysis.report import widgets as report_widgets
from srim_analysis.sections import agreement as coder_agreement
from srim_analysis.sections import guidance
from srim_analysis.study import synthetic
from srim_analysis.study.loading import load_study
from srim_analysis.study.plan import THEMES
from tests.analyses.test_qualitative import generated_study
from tests.sections.helpers import NUMBER, numbers_not_published

HEALTH = set(synthetic.HEALTH_CRITICS)
TABLES = ["sites", "participants", "codebook", "coded_segments"]


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory):
    return generated_study(tmp_path_factory)


@pytest.fixture(scope="module")
def coded(study_dir):
    loaded = load_study(study_dir)
    return qualitative.coded_frame(
        loaded.coded_segments, loaded.participants, loaded.codebook, loaded.sites
    )


def test_quote_browser_updates_when_the_theme_changes(coded):
    quotes = qualitative.choose_quotes(coded, branches=["gaps", "father_practice"], per_code=1)
    widget = guidance.quote_browser(quotes)
    dropdown, view = widget.children
    assert dropdown.value == "father_practice"  # codebook order
    first = view.value
    assert "Recording fathers" in first and "Nothing specific on fathers" not in first
    dropdown.value = "gaps"
    assert view.value != first and "Nothing specific on fathers" in view.value


def test_quote_browser_theme_dropdown_is_wide_enough_for_its_labels(coded):
    quotes = qualitative.choose_quotes(coded, branches=["gaps", "father_practice"], per_code=1)
    dropdown, _ = guidance.quote_browser(quotes).children
    assert dropdown.layout.width == report_widgets.WIDE
    assert dropdown.style.description_width == "initial"


def test_quote_browser_site_control_rechooses_the_quotes(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", 5)
    widget = guidance.quote_browser(report, themes=["golden_rules", "gaps"], per_code=1)
    assert widget.site.value == "all"
    assert widget.site.options == tuple(report_widgets.site_options(report.study))
    assert widget.theme.value == "golden_rules" and "<blockquote" in widget.view.value
    everyone = widget.view.value
    site = report.study.site_ids()[0]
    widget.site.value = site
    assert widget.view.value != everyone and "<blockquote" in widget.view.value
    assert widget.theme.value == "golden_rules"  # the theme is kept across sites
    widget.theme.value = "gaps"
    assert "<blockquote" in widget.view.value
    assert not list((tmp_path / "reports").rglob("*.csv"))  # a browser publishes nothing


def test_quote_browser_shows_no_quotes_for_a_site_with_too_few_people(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", 5)
    strict = report_widgets.report_for(report, "all")
    strict.min_cell = 10_000
    widget = guidance.quote_browser(strict, themes=["golden_rules"], per_code=1)
    assert "<blockquote" not in widget.view.value
    assert "fewer than 10000 participants" in widget.view.value


# ---------------------------------------------------------------------------
# Sections and notebook 04
# ---------------------------------------------------------------------------


def _report(study_dir: Path, tmp_path: Path, site: str, min_cell: int) -> publishing.Report:
    return publishing.start(
        notebook="04_guidance_views",
        site=site,
        data_dir=study_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=min_cell,
        tables=TABLES,
    )


def test_a_site_with_too_few_participants_is_said_plainly(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "S08", min_cell=10)  # S08 has 8 participants
    for shown in (
        guidance.show_awareness(report),
        guidance.show_reception(report, "golden_rules"),
        guidance.show_branch(report, "gaps"),
    ):
        assert "fewer than 10 participants" in shown.text()
    assert not list((tmp_path / "figures").rglob("*.png"))


def test_show_sections_publish_tables_and_figures(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    guidance.show_most_criticised(report)
    guidance.show_branch(report, "gaps")
    codes = publishing.read_published(
        report.tables_dir / "04_guidance_views__most_criticised_codes.csv"
    )
    assert codes.iloc[0]["code_id"] == "GR3"
    gaps = publishing.read_published(report.tables_dir / "04_guidance_views__gaps_summary.csv")
    assert gaps.iloc[0]["code_id"] == "GAP-FATHERS"
    assert (tmp_path / "figures" / "all" / "04_guidance_views__gaps-participants.png").exists()


def test_sections_record_the_tables_they_publish(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    shown = guidance.show_reception(report, "golden_rules")
    assert set(shown.tables) == {
        "stance_golden_rules",
        "stance_golden_rules_by_agency",
        "quotes_golden_rules",
    }
    assert shown.text().startswith("**Illustrative quotes**")
    ranked = guidance.show_most_criticised(report)
    assert "Rule 3" in ranked.items[0]  # the sentence comes before the tables
    assert set(ranked.tables) == {"most_criticised_codes", "most_criticised_by_agency"}
    pairs = guidance.show_cooccurrence(report, "gaps", "barriers")
    table = pairs.tables["cooccurrence_gaps_barriers_source"]
    assert list(table.columns[:2]) == ["code_id", "code_label"]
    assert all(c.startswith("n_") for c in table.columns[2:])
    sources = guidance.show_sources(report)
    assert set(sources.tables) == {"sources_by_method", "participants_by_agency"}
    with pytest.raises(ValueError, match="group_by"):
        guidance.show_sources(report, by="team")


def guidance_themes(study) -> list[str]:
    """The themes of a study's codebook, in the plan's order (what ``themes=None`` means)."""
    return [t for t in THEMES if t in set(study.codebook["branch"])]


def _agrees(published: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Assert a published table is ``raw`` with some cells hidden: every shown cell is true."""
    assert list(published.columns) == list(raw.columns)
    assert len(published) == len(raw)
    shown = 0
    for col in raw.columns:
        for got, want in zip(published[col], raw[col], strict=True):
            if disclosure.is_suppressed(got):
                continue
            shown += 1
            if isinstance(want, float) and pd.isna(want):
                assert got in ("", "nan"), (col, got, want)
            elif isinstance(want, int | float) and not isinstance(want, bool):
                assert float(got) == pytest.approx(float(want), abs=1e-3), (col, got, want)
            else:
                assert str(got) == str(want), (col, got, want)
    assert shown


def _expected(table: pd.DataFrame, min_cell: int, **kwargs) -> pd.DataFrame:
    """The published form of a table, as read back from CSV (all text)."""
    out = disclosure.publishable(table, min_cell, **kwargs).astype(str).astype(object)
    return out.replace({"nan": "", "None": "", "<NA>": ""}).reset_index(drop=True)


@pytest.mark.notebooks
@pytest.mark.parametrize("site", ["all", "S08"])
def test_notebook_04_runs_and_publishes_the_expected_tables(synthetic_report, study_dir, site):
    import nbformat

    reports, figs = synthetic_report / "reports", synthetic_report / "figures"
    executed = nbformat.read(reports / site / "04_guidance_views.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    tables = reports / site / "tables"

    def published(name: str) -> pd.DataFrame:
        return publishing.read_published(tables / f"04_guidance_views__{name}.csv")

    study = load_study(study_dir)
    coded = qualitative.coded_frame(
        study.coded_segments, study.participants, study.codebook, study.sites, site
    )
    people = qualitative.participant_frame(study.participants, study.sites, site)
    counts = ["n_sources", "n_segments", "n_participants"]
    pd.testing.assert_frame_equal(
        published("sources_by_method"),
        _expected(qualitative.sources_by_method(coded, people), 5, count_columns=counts),
    )
    awareness = qualitative.awareness_table(
        coded, people, study.plan.codes.awareness_columns(), "agency"
    )
    _agrees(published("awareness_by_agency"), awareness)
    gaps = published("gaps_summary")
    assert gaps.iloc[0]["code_id"] == "GAP-FATHERS"
    for name in ("quotes_golden_rules", "quotes_gaps"):
        quotes = published(name)
        assert not quotes["attribution"].str.contains(r"\bP\d{4}\b").any()
    workbook = reports / site / "framework" / "framework-matrix.xlsx"  # synthetic: outputs
    assert workbook.exists() and not (tables / "04_guidance_views__framework_matrix.xlsx").exists()
    tidy = framework.read_framework_workbook(workbook)
    assert tidy["case_id"].nunique() == len(people)
    assert set(tidy["branch"]) == set(guidance_themes(study))  # themes = None: every theme
    manifest = {r.figure_id for r in figures.read_manifest(figs)}
    text = "\n".join(
        "".join(o.get("text", "")) + str(o.get("data", {}).get("text/markdown", ""))
        for c in executed.cells
        for o in c.get("outputs", [])
    )
    if site == "all":
        ranked = published("most_criticised_codes")
        assert ranked.iloc[0]["code_id"] == "GR3"
        critics = published("most_criticised_by_agency")
        assert set(critics["agency"].iloc[:3]) <= HEALTH
        assert {
            "stance-golden-rules",
            "stance-golden-rules-by-agency",
            "awareness-by-agency",
            "gaps-participants",
            "frequencies-themes-by-agency",
        } <= manifest
        assert "GAP-FATHERS" in set(published("framework_matrix_preview").columns.str[2:])
    else:
        assert "stance-golden-rules" in manifest  # 8 participants: pooled views can be shown
        assert "so the chart by group is not drawn" in text


# ---------------------------------------------------------------------------
# Sentences come from the published tables (issue #16)
# ---------------------------------------------------------------------------


def _all_sections(report: publishing.Report) -> list[publishing.Section]:
    """Run every section of notebook 04, as the notebook does."""
    return [
        guidance.show_sources(report),
        guidance.show_awareness(report),
        guidance.show_most_criticised(report),
        guidance.show_reception(report, "golden_rules"),
        guidance.show_reception(report, "consent"),
        guidance.show_branch(report, "lawful_basis"),
        guidance.show_branch(report, "gaps"),
        guidance.show_cooccurrence(report, "gaps", "barriers"),
        guidance.show_branch(report, "father_practice"),
        guidance.show_cooccurrence(report, "father_practice", "barriers", within="segment"),
        guidance.show_frequencies(report),
        guidance.show_framework(report),
    ]


@pytest.mark.parametrize("site", ["all", "S02", "S08"])  # S08: 8 participants
def test_every_number_in_a_sentence_is_a_published_cell(study_dir, tmp_path, site):
    report = _report(study_dir, tmp_path, site, min_cell=5)
    said = 0
    for section in _all_sections(report):
        assert not numbers_not_published(section, (report.min_cell, report.min_cell - 1, 2024)), (
            section.text()
        )
        said += len(NUMBER.findall(section.text()))
    assert said > (5 if site != "S08" else 0)  # the sections do state numbers


def test_a_sentence_never_states_a_hidden_share(study_dir, tmp_path):
    """S02's awareness: its coded count is hidden, so no share of it is stated."""
    report = _report(study_dir, tmp_path, "S02", min_cell=5)
    shown = guidance.show_awareness(report)
    total = shown.tables["awareness_overall"].iloc[0]
    if disclosure.is_suppressed(total["n_coded"]):
        assert "%" not in shown.text() and "hidden in the table (c)" in shown.text()
    else:  # pragma: no cover - depends on the suppression engine
        assert f"{float(total['n_coded']):.0f} participants" in shown.text()
    ranked = guidance.show_most_criticised(report)
    codes = ranked.tables["most_criticised_codes"]
    for label, pct in zip(codes["code_label"], codes["pct_critical"], strict=True):
        if disclosure.is_suppressed(pct):
            assert label not in ranked.text()


def test_sentences_say_where_the_run_looks(study_dir, tmp_path):
    small = _report(study_dir, tmp_path, "S02", min_cell=1000)
    text = guidance.show_awareness(small).text()
    assert "Brackwater" in text and " in Brackwater" not in text
    report = _report(study_dir, tmp_path, "S02", min_cell=5)
    text = guidance.show_most_criticised(report).text()
    assert "participants in" not in text
    assert guidance.show_awareness(report).text().count("at Brackwater") == 1
    everyone = _report(study_dir, tmp_path, "all", min_cell=5)
    assert "across all sites" in guidance.show_awareness(everyone).text()


def test_every_figure_is_drawn_from_a_published_table(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    sections = _all_sections(report)
    records = figures.read_manifest(tmp_path / "figures")
    assert len(records) >= 8
    for record in records:
        assert record.source_data, record.figure_id
        source = publishing.read_published(tmp_path / "figures" / record.source_data)
        tables = [t for s in sections for t in s.tables.values()]
        assert any(
            list(t.columns) == list(source.columns) and len(t) == len(source) for t in tables
        ), record.figure_id
    awareness = publishing.read_published(
        tmp_path / "figures" / "all" / "04_guidance_views__awareness-by-agency.csv"
    )
    published = publishing.read_published(
        report.tables_dir / "04_guidance_views__awareness_by_agency.csv"
    )
    pd.testing.assert_frame_equal(awareness, published)


# ---------------------------------------------------------------------------
# The study's own codes (issue #17)
# ---------------------------------------------------------------------------


def _copy(study_dir: Path, tmp_path: Path, kind: str = "synthetic", drop: tuple = ()) -> Path:
    """Return a copy of the generated study, its marker set to ``kind``, plan parts dropped."""
    folder = tmp_path / f"study-{kind}"
    shutil.copytree(study_dir, folder)
    toml = folder / "study.toml"
    lines, skip = [], False
    for line in toml.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            skip = line.strip("[] ") in drop
        if line.startswith("kind ="):
            line = f'kind = "{kind}"'
        if not skip:
            lines.append(line)
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_unmapped_stance_and_awareness_are_said_not_left_empty(study_dir, tmp_path):
    folder = _copy(study_dir, tmp_path, drop=("codes.stance", "codes.awareness"))
    report = _report(folder, tmp_path, "all", min_cell=5)
    for shown, part in (
        (guidance.show_awareness(report), "awareness"),
        (guidance.show_reception(report, "golden_rules"), "stance"),
        (guidance.show_most_criticised(report), "stance"),
    ):
        assert f"maps no {part} codes" in shown.text() and "study.toml" in shown.text()
        assert f"[codes.{part}]" in shown.text() and not shown.tables
    assert "n_critical" not in guidance.show_branch(report, "gaps").text()  # others still run


def test_renamed_codes_give_the_same_stance_and_awareness_tables(study_dir, tmp_path):
    """The codes' names come from study.toml: renaming them changes no published table."""
    folder = _copy(study_dir, tmp_path)
    renamed = {"ST-CRIT": "v-neg", "ST-SUP": "v-pos", "ST-MIX": "v-both", "ST-UNC": "v-q"}
    renamed |= {"AWR-READ": "k-1", "AWR-HEARD": "k-2", "AWR-UNAWARE": "k-3"}
    for name in ("codebook.csv", "coded_segments.csv", "study.toml"):
        text = (folder / name).read_text(encoding="utf-8")
        for old, new in renamed.items():
            text = text.replace(f'"{old}"', f'"{new}"').replace(f"{old},", f"{new},")
            text = text.replace(f",{old}\n", f",{new}\n")
        (folder / name).write_text(text, encoding="utf-8")
    before = _report(study_dir, tmp_path / "a", "all", min_cell=5)
    after = _report(folder, tmp_path / "b", "all", min_cell=5)
    assert "ST-CRIT" not in set(after.study.codebook["code_id"])
    for show in (guidance.show_awareness, guidance.show_most_criticised):
        one, two = show(before), show(after)
        back = two.text()
        for old, new in renamed.items():  # a note may name the codes it rests on by their ids
            back = back.replace(f"`{new}`", f"`{old}`")
        assert one.text() == back
        for name, table in one.tables.items():
            pd.testing.assert_frame_equal(table, two.tables[name])


# ---------------------------------------------------------------------------
# The Framework matrix: a working file (issue #17)
# ---------------------------------------------------------------------------


def _write_summary(path: Path, sheet: str, case: str, code: str, summary: str) -> None:
    """Type a summary into the workbook as a researcher would (above the bracketed line)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    head = [str(c.value or "").split("\n", 1)[0] for c in ws[1]]
    column = head.index(code) + 1
    for row in ws.iter_rows(min_row=2):
        if row[0].value == case:
            cell = row[column - 1]
            cell.value = summary + ("\n" + cell.value if cell.value else "")
    wb.save(path)


def test_framework_summaries_survive_a_rerun_and_are_shown(study_dir, tmp_path):
    folder = _copy(study_dir, tmp_path)
    report = _report(folder, tmp_path, "S02", min_cell=5)
    guidance.show_framework(report, themes=["gaps", "father_practice"])
    path = tmp_path / "reports" / "S02" / "framework" / "framework-matrix.xlsx"
    assert path.exists() and not (folder / "framework").exists()
    tidy = framework.read_framework_workbook(path)
    assert set(tidy["site_id"]) == {"S02"}
    case = tidy.loc[tidy["n_segments"] > 0].iloc[0]
    name = "Aisha Adeyemi"  # on the study's identifier list
    _write_summary(path, "Gaps", case["case_id"], case["code_id"], f"{name} says: no fathers.")
    typed = path.stat().st_mtime_ns
    shown = guidance.show_framework(report, themes=["gaps", "father_practice"])
    assert path.stat().st_mtime_ns == typed  # nothing new: the file is not touched
    again = framework.read_framework_workbook(path)
    cell = again[(again["case_id"] == case["case_id"]) & (again["code_id"] == case["code_id"])]
    assert cell["summary"].iloc[0] == f"{name} says: no fathers."
    assert cell["n_segments"].iloc[0] == case["n_segments"]
    summaries = shown.tables["framework_summaries"]
    assert summaries["summary"].tolist() == ["[NAME] says: no fathers."]  # redacted
    assert summaries["code_id"].tolist() == [case["code_id"]]
    assert case["case_id"] not in " ".join(summaries.astype(str).to_numpy().ravel())
    assert "Brackwater" in summaries["attribution"].iloc[0]

    # a new code in a theme, and a new theme: a column and a sheet are added, nothing lost
    book = folder / "codebook.csv"
    book.write_text(
        book.read_text(encoding="utf-8").rstrip("\n")
        + "\nGAP-NEWCODE,GAP,A new gap,Added after charting began,gaps,0\n",
        encoding="utf-8",
    )
    segments = pd.read_csv(folder / "coded_segments.csv", comment="#", dtype=str)
    at_site = segments[(segments["site_id"] == "S02") & segments["participant_id"].notna()]
    extra = at_site.iloc[:1].copy()
    extra["code_id"] = "GAP-NEWCODE"
    extra.to_csv(folder / "coded_segments.csv", mode="a", header=False, index=False)
    report = _report(folder, tmp_path, "S02", min_cell=5)
    shown = guidance.show_framework(report, themes=["gaps", "father_practice", "consent"])
    assert path.stat().st_mtime_ns != typed  # rewritten, to add the new column and sheet
    merged = framework.read_framework_workbook(path)
    assert "GAP-NEWCODE" in set(merged["code_id"]) and "consent" in set(merged["branch"])
    kept = merged[(merged["case_id"] == case["case_id"]) & (merged["code_id"] == case["code_id"])]
    assert kept["summary"].iloc[0] == f"{name} says: no fathers."
    old = again.set_index(["case_id", "code_id"])
    new = merged.set_index(["case_id", "code_id"]).loc[old.index]
    pd.testing.assert_frame_equal(new[["summary", "n_segments"]], old[["summary", "n_segments"]])
    sheet = openpyxl.load_workbook(path)["Gaps"]
    assert str(sheet.cell(1, sheet.max_column).value).startswith("GAP-NEWCODE")
    assert shown.tables["framework_summaries"]["summary"].tolist() == ["[NAME] says: no fathers."]


def test_a_real_study_keeps_its_framework_and_review_sheet_in_its_folder(study_dir, tmp_path):
    folder = _copy(study_dir, tmp_path, kind="real")
    report = _report(folder, tmp_path, "S02", min_cell=5)
    assert not report.study.synthetic
    shown = guidance.show_framework(report, themes=["gaps"])
    path = folder / "framework" / "framework-matrix.xlsx"
    assert path.exists() and not (tmp_path / "reports" / "S02" / "framework").exists()
    tidy = framework.read_framework_workbook(path)
    assert set(tidy["site_id"]) == set(report.study.site_ids())  # one file, every site
    assert "kept in the study folder" in shown.text()
    assert path not in report.published


# ---------------------------------------------------------------------------
# Quotes: published with real data only once approved (issue #16)
# ---------------------------------------------------------------------------


def test_real_quotes_wait_for_a_researchers_approval(study_dir, tmp_path):
    folder = _copy(study_dir, tmp_path, kind="real")
    report = _report(folder, tmp_path, "all", min_cell=5)
    shown = guidance.show_reception(report, "golden_rules", per_code=1)
    sheet_path = folder / "review" / "quotes.csv"
    sheet = disclosure.read_review_sheet(sheet_path)
    chosen = len(sheet)
    assert chosen >= 5 and set(sheet["approved"]) == {""}
    assert "quotes_golden_rules" not in shown.tables  # nothing published before review
    assert "<blockquote" not in "".join(str(getattr(i, "data", "")) for i in shown.items)
    assert f"{chosen} quotes are awaiting a researcher's review" in shown.text()
    for quote in sheet["quote"]:
        assert quote not in shown.text()

    sheet.loc[0, "approved"] = "yes"
    sheet.loc[1, "approved"] = "Yes "
    sheet.loc[2, "approved"] = "no"
    sheet.loc[2, "reviewer_note"] = "names a small team"
    sheet.to_csv(sheet_path, index=False)
    shown = guidance.show_reception(report, "golden_rules", per_code=1)
    published = shown.tables["quotes_golden_rules"]
    assert sorted(published["quote"]) == sorted(sheet["quote"].iloc[:2])
    assert "key" not in published.columns
    assert f"{chosen - 3} quotes are awaiting" in shown.text()
    assert "1 quote was declined" in shown.text()
    kept = disclosure.read_review_sheet(sheet_path)
    assert len(kept) == chosen  # a rerun adds no duplicate
    assert kept["approved"].tolist()[:3] == ["yes", "Yes ", "no"]
    assert kept.loc[2, "reviewer_note"] == "names a small team"
    widget = guidance.quote_browser(report, themes=["golden_rules"], per_code=1)
    assert widget.view.value.count("<blockquote") == 2  # the browser shows approved ones only


def test_synthetic_quotes_need_no_review_and_the_sheet_stays_out_of_the_study(study_dir, tmp_path):
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    shown = guidance.show_branch(report, "gaps", per_code=1)
    assert len(shown.tables["quotes_gaps"]) >= 3
    assert "awaiting" not in shown.text()
    sheet = tmp_path / "reports" / "all" / "review" / "04_guidance_views__quotes.csv"
    assert len(disclosure.read_review_sheet(sheet)) == len(shown.tables["quotes_gaps"])
    assert not (study_dir / "review").exists()


def test_an_unreadable_framework_workbook_is_left_as_it_is(study_dir, tmp_path):
    folder = _copy(study_dir, tmp_path, kind="real")
    path = folder / "framework" / "framework-matrix.xlsx"
    path.parent.mkdir()
    path.write_bytes(b"not a workbook, but someone's work")
    report = _report(folder, tmp_path, "all", min_cell=5)
    shown = guidance.show_framework(report, themes=["gaps"])
    assert path.read_bytes() == b"not a workbook, but someone's work"
    assert "could not be read" in shown.text()
    assert "framework_matrix_preview" in shown.tables  # the rest of the section still runs


def test_sections_name_the_poorly_agreed_codes_they_rest_on(study_dir, tmp_path, monkeypatch):
    """Issue #19: a flagged code is named where a section rests on it, and only there."""
    flagged = []

    def fake_flags(report, poor_alpha):
        flagged.append(poor_alpha)
        return ["GAP-FATHERS", "ST-MIX"]

    monkeypatch.setattr(coder_agreement, "flagged_codes", fake_flags)
    report = _report(study_dir, tmp_path, "all", min_cell=5)
    framework_note = guidance.show_framework(report, themes=["gaps"], poor_alpha=0.7).text()
    assert "rests on code `GAP-FATHERS` (Nothing specific on fathers" in framework_note
    assert "ST-MIX" not in framework_note  # the framework does not rest on stance
    reception = guidance.show_reception(report, "consent").text()
    assert "rests on code `ST-MIX` (Mixed)" in reception and "GAP-FATHERS" not in reception
    assert flagged == [0.7, coder_agreement.POOR_ALPHA]
