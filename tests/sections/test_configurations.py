"""Notebook 02 (objective 1): srim_analysis.sections.configurations and the notebook."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import configurations as sc
from srim_analysis.analyses import qca
from srim_analysis.report import cache, publishing
from srim_analysis.report.publishing import SavedFigure, start
from srim_analysis.sections import configurations
from srim_analysis.study.plan import QCAPlan
from tests.analyses.test_configurations import ANCHORS, CONDITIONS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_service_configuration_typology.ipynb"
#: What each section publishes, in order: tables (name: caption) and figures (id: caption).
TABLES = {
    "show_features": {"feature_matrix": "Site-by-feature matrix"},
    "show_typology": {
        "typology_tree": "Hierarchical clustering of the sites: the merges of the dendrogram",
        "type_profiles": "Mean of each feature (0-1 scaled) by site type",
        "typology_robustness": "Agreement of the typology across distances",
    },
    "show_calibration": {
        "calibration": "Outcome per site and its membership (fully out at 25% or less, "
        "crossover at 45%, fully in at 65% or more)"
    },
    "show_conditions": {"conditions": "Conditions used in the QCA"},
    "show_truth_table": {"truth_table": "Truth table for SHARE (sites per row are not people)"},
    "show_solutions": {
        "solutions": "Solutions for SHARE with their fit",
        "parsimonious_terms": "Parsimonious solution: fit of each term",
    },
    "show_necessity": {"necessity": "Necessity of each condition for SHARE"},
    "show_xy": {},
    "show_negated": {"solutions_negated": "Solutions for ~SHARE with their fit"},
    "show_sensitivity": {
        "qca_sensitivity_summary": "Solutions for SHARE across the calibration anchors and "
        "cut-offs tried",
        "qca_sensitivity": "Solutions for SHARE at each anchor set (all three anchors moved by "
        "up to 0.10) and consistency cut-off",
    },
}
#: The QCA parameters (the fields of the plan's [qca]): None in the notebook, from study.toml.
QCA_PARAMETERS = tuple(f.name for f in dataclasses.fields(QCAPlan))
FIGURES = {
    "show_features": {
        "feature-heatmap": "Service-configuration features of each site (values annotated)."
    },
    "show_typology": {"typology-dendrogram": "Hierarchical clustering of sites on their features."},
    "show_calibration": {"calibration": "Outcome proportions and their calibrated membership."},
    "show_xy": {"xy-parsimonious": "Membership in EH*FL against the outcome."},
}


def notebook_parameters() -> dict[str, object]:
    """Return the notebook's parameters as its parameters cell sets them."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params: dict[str, object] = {}
    exec(cell.source, params)  # plain assignments
    params.pop("__builtins__")
    return params


@pytest.fixture(scope="module")
def params():
    return notebook_parameters()


def make_report(tmp_path: Path, data_dir: Path, params: dict[str, object], site: str = "all"):
    """Return a notebook-02 report publishing under ``tmp_path``, loading what the notebook does."""
    return start(
        notebook=NOTEBOOK.stem,
        site=site,
        data_dir=data_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=disclosure.DEFAULT_MIN_CELL,
        tables=["sites", "site_features"],
        optional=["case_audit", "observations"],
    )


def prepare(report, params):
    """Return the QCA run the notebook prepares from its parameters."""
    return configurations.prepare(
        report,
        params["conditions"],
        params["anchors"],
        outcome=params["outcome"],
        outcome_source=params["outcome_source"],
        outcome_since=params["outcome_since"],
        thresholds=params["thresholds"],
        directional=params["directional"],
        incl_cut=params["incl_cut"],
        n_cut=params["n_cut"],
    )


def test_prepare_is_the_analysis_chain_of_the_plan(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    plan = report.study.plan.qca
    assert run.anchors == sc.Anchors(*plan.anchors)
    assert run.conditions == tuple(plan.conditions)
    assert (run.outcome, run.source, run.since) == (
        plan.outcome,
        plan.outcome_source,
        plan.outcome_since,
    )
    assert (run.incl_cut, run.n_cut, run.thresholds) == (
        plan.incl_cut,
        plan.n_cut,
        dict(plan.thresholds),
    )
    expected = sc.qca_data(
        report.study,
        plan.conditions,
        run.anchors,
        plan.outcome,
        plan.outcome_source,
        plan.outcome_since,
        plan.thresholds,
    )
    assert run.data.equals(expected)
    mine = configurations.prepare(report, incl_cut=0.9, outcome_since="2020-01-01")
    assert (mine.incl_cut, mine.since, mine.anchors) == (0.9, "2020-01-01", run.anchors)
    assert configurations.prepare(report, CONDITIONS, ANCHORS).anchors is ANCHORS
    assert not report.published  # preparing publishes nothing


def test_each_section_publishes_its_tables_and_figures(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    for name, tables in TABLES.items():
        args = {"show_features": (report,), "show_typology": (report, params["n_types"])}
        section = getattr(configurations, name)(*args.get(name, (report, run)))
        assert list(section.tables) == list(tables), name
        for table, caption in tables.items():
            assert section.tables[table].attrs["caption"] == caption
            assert (report.tables_dir / f"{NOTEBOOK.stem}__{table}.csv").exists()
        figures = {
            i.record.figure_id: i.record.caption
            for i in section.items
            if isinstance(i, SavedFigure)
        }
        for item in section.items:
            if isinstance(item, SavedFigure):
                assert item.record.source_data, item.record.figure_id  # source data beside it
        if name == "show_negated":
            worst = run.negated["parsimonious"].models[0]
            assert figures == {"xy-negated": f"Membership in {worst} against ~SHARE."}
        else:
            assert figures == FIGURES.get(name, {}), name
    assert len(report.published) == sum(len(t) for t in TABLES.values())


def test_figures_are_drawn_from_the_published_tables(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    section = configurations.show_calibration(report, run)
    table = section.tables["calibration"]
    hidden = table["n_yes"].map(disclosure.is_suppressed)
    assert hidden.any()  # a site with few cases with the outcome
    for column in ("prop", "membership", "in_set"):  # they give the count back
        assert table.loc[hidden, column].map(disclosure.is_suppressed).all(), column
    (figure,) = [i for i in section.items if isinstance(i, SavedFigure)]
    source = figure.figures_dir / figure.record.source_data
    assert publishing.read_published(source).equals(
        publishing.read_published(report.tables_dir / f"{NOTEBOOK.stem}__calibration.csv")
    )
    xy = configurations.show_xy(report, run)
    (figure,) = [i for i in xy.items if isinstance(i, SavedFigure)]
    points = publishing.read_published(figure.figures_dir / figure.record.source_data)
    shown = points.set_index("site")["y"]
    assert (shown.map(disclosure.is_suppressed) == hidden.to_numpy()).all()


def test_sentences_come_from_the_analyses(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    solutions = configurations.show_solutions(report, run).text()
    assert solutions == sc.describe(run.solutions, "SHARE") and "EH*FL" in solutions
    negated = configurations.show_negated(report, run).text()
    assert negated == sc.describe(run.negated, "~SHARE")
    typology_text = configurations.show_typology(report, params["n_types"]).text()
    assert "distance" in typology_text


def test_published_truth_table_is_not_suppressed(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    table = configurations.show_truth_table(report, run).tables["truth_table"]
    plan = report.study.plan.qca
    used = [c for c in sc.short(plan.conditions) if c != "MASH"]  # MASH: at every site
    assert run.used_short == used and "MASH" not in table.columns
    expected = sc.truth_table_view(
        qca.truth_table(run.data, "SHARE", used, incl_cut=plan.incl_cut, n_cut=plan.n_cut)
    )
    assert table["sites_in_row"].tolist() == expected["sites_in_row"].tolist()
    assert table["sites_in_row"].sum() == len(report.study.sites)


def test_explorer_updates_when_conditions_change(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = configurations.prepare(report, CONDITIONS[:2], ANCHORS)
    widget = configurations.explorer(report, run)
    scope, controls, out = widget.children
    assert "whole study" in scope.value and "no site control" in scope.value
    before = out.value
    assert "EH*FL" in before and "MASH" not in before
    controls.children[1].value = tuple(CONDITIONS[:3])
    assert out.value != before and "MASH" in out.value
    controls.children[0].value = "father_checked"
    assert "<table" in out.value
    controls.children[1].value = ()
    assert out.value == "<p>Pick at least one condition.</p>"


def test_the_notebook_makes_one_section_call_per_code_cell(params):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert params["min_cell"] == disclosure.DEFAULT_MIN_CELL and params["site"] == "all"
    assert all(params[p] is None for p in QCA_PARAMETERS)  # from the study's study.toml
    calls = []
    for cell in code[2:]:
        (stmt,) = ast.parse(cell.source).body
        call = stmt.value
        assert isinstance(call, ast.Call), cell.source
        assert ast.unparse(call.func).startswith("configurations."), cell.source
        calls.append(call.func.attr)
    assert calls == [*TABLES, "explorer"]
    assert "min_cell" not in "".join(c.source for c in code[2:])


@pytest.mark.notebooks
def test_notebook_finds_the_planted_configuration(synthetic_report, report_tables):
    def table(name):
        return report_tables("all", "02_service_configuration_typology", name)

    solutions = table("solutions")
    pars = solutions[solutions["solution"] == "parsimonious"]
    assert pars["expression"].tolist() == ["EH*FL"]
    assert float(pars["inclS"].iloc[0]) >= 0.8
    tt = table("truth_table")
    assert len(tt) == 7 and set(tt["OUT"]) == {"0", "1"}
    assert "MASH" not in tt.columns  # present at every site: left out, with a warning
    conditions = table("conditions").set_index("condition")["in_analysis"]
    assert conditions["MASH"] == "no: present at every site"
    sensitivity = table("qca_sensitivity_summary")
    assert "EH*FL" in set(sensitivity["expression"])
    assert tt["sites_in_row"].astype(int).sum() == 8
    calib = table("calibration")
    assert not calib["n_yes"].isin([str(i) for i in range(1, 5)]).any()  # suppressed
    hidden = calib["n_yes"].map(disclosure.is_suppressed)
    assert hidden.any() and calib.loc[hidden, "membership"].map(disclosure.is_suppressed).all()
    negated = table("solutions_negated")
    assert (negated["solution"] == "parsimonious").sum() >= 1
    figs = {p.name for p in (synthetic_report / "figures" / "all").glob("02_*.png")}
    assert {
        f"02_service_configuration_typology__{f}.png"
        for f in (
            "xy-parsimonious",
            "xy-negated",
            "feature-heatmap",
            "typology-dendrogram",
            "calibration",
        )
    } <= figs


def run_every_section(report, params):
    """Return every section of the notebook, run as the notebook runs them."""
    run = configurations.prepare(report, *[params[p] for p in ("conditions", "anchors")])
    sections = [
        configurations.show_features(report),
        configurations.show_typology(report, params["n_types"]),
    ]
    for name in list(TABLES)[2:]:
        sections.append(getattr(configurations, name)(report, run))
    return sections


NUMBER = re.compile(r"(?<![\w.`~*])(\d+(?:\.\d+)?)(%?)(?![\w])")


def numbers_in(text: str, min_cell: int) -> list[tuple[float, bool, int]]:
    """Return the numbers of a text (value, is a percentage, decimals), years and min_cell out."""
    out = []
    for digits, pct in NUMBER.findall(text):
        value = float(digits)
        if not pct and ("." not in digits) and (1900 <= value <= 2100 or value == min_cell):
            continue
        out.append((value, bool(pct), len(digits.split(".")[1]) if "." in digits else 0))
    return out


def shown_cells(tables: dict[str, pd.DataFrame]) -> list[float]:
    """Return every shown numeric cell of the tables (hidden ones and text left out)."""
    cells = []
    for table in tables.values():
        for value in table.to_numpy().ravel():
            if disclosure.is_suppressed(value) or isinstance(value, bool):
                continue
            number = pd.to_numeric(value, errors="coerce")
            if pd.notna(number):
                cells.append(float(number))
    return cells


@pytest.mark.parametrize("site", ["all", "first site"])
def test_every_number_in_a_sentence_is_a_published_cell(tmp_path, shipped_dir, params, site):
    report = make_report(tmp_path, shipped_dir, params)
    if site != "all":
        report = make_report(tmp_path, shipped_dir, params, site=report.study.site_ids()[0])
    checked = 0
    for section in run_every_section(report, params):
        cells = shown_cells(section.tables)
        for value, pct, decimals in numbers_in(section.text(), report.min_cell):
            checked += 1
            if pct:
                found = any(round(100 * c) == value or c == value for c in cells)
            else:
                found = any(round(c, decimals) == value for c in cells)
            assert found, (value, pct, section.text())
    assert checked >= 5  # the typology's agreement and the sensitivity's counts at least


def test_a_constant_condition_is_warned_about_and_left_out(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    assert run.constant == {"front_door_mash": 1}  # a MASH at every site of the study
    section = configurations.show_conditions(report, run)
    assert "**Warning: constant condition.** `MASH` (front_door_mash, present at every site)" in (
        section.text()
    )
    assert "left out of the truth table, the solutions" in section.text()
    used = section.tables["conditions"].set_index("condition")["in_analysis"]
    assert used["MASH"] == "no: present at every site" and (used.drop("MASH") == "yes").all()
    solutions = configurations.show_solutions(report, run).tables["solutions"]
    assert not solutions["expression"].str.contains("MASH").any()
    necessity = configurations.show_necessity(report, run).tables["necessity"]
    assert "MASH" not in set(necessity["expression"])
    quiet = configurations.prepare(report, CONDITIONS[:2], ANCHORS)
    assert configurations.show_conditions(report, quiet).text() == ""


def test_sensitivity_section_publishes_the_grid_and_says_if_stable(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    section = configurations.show_sensitivity(report, run)
    grid = section.tables["qca_sensitivity"]
    assert len(grid) == 5 * 4 * 2  # five anchor sets, four cut-offs, two solution types
    own = grid[grid["plan"].astype(bool)]
    assert own["expression"].tolist() == ["EH*FL", "EH*FL*PROT + EH*FL*TRAIN"]
    assert set(grid["crossover"].astype(float)) == {0.35, 0.4, 0.45, 0.5, 0.55}
    summary = section.tables["qca_sensitivity_summary"]
    pars = summary[summary["solution"] == "parsimonious"].set_index("expression")["settings"]
    assert pars["EH*FL"] == 12 and pars.sum() == 20
    assert section.text().startswith("The parsimonious solution changes with the calibration")
    assert "`EH*FL` (as at the analysis's own setting) at 12 of 20" in section.text()


def test_without_a_qca_plan_the_sections_say_so(tmp_path, study_copy, params):
    toml = study_copy / "study.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[: text.index("[qca]")] + text[text.index("# Notebook 01") :])
    report = make_report(tmp_path, study_copy, params)
    assert report.study.plan.qca is None
    run = configurations.prepare(report)
    assert isinstance(run, sc.NoQCA)
    for name in list(TABLES)[2:]:
        section = getattr(configurations, name)(report, run)
        assert not section.tables, name
        assert "has no `[qca]` section" in section.text() and "study.toml" in section.text()
    assert "study.toml" in configurations.explorer(report, run).value
    typology_section = configurations.show_typology(report, params["n_types"])
    assert "type_profiles" in typology_section.tables  # the typology still runs
    given = configurations.prepare(report, CONDITIONS, ANCHORS, outcome="father_info_shared")
    assert given.solutions["parsimonious"].models  # a user may still set the QCA up


def _sensitivity(tmp_path: Path, data_dir: Path, params: dict[str, object]) -> dict[str, str]:
    report = make_report(tmp_path, data_dir, params)
    configurations.show_sensitivity(report, prepare(report, params))
    return {
        name: (report.tables_dir / f"{NOTEBOOK.stem}__{name}.csv").read_text()
        for name in TABLES["show_sensitivity"]
    }


@pytest.mark.notebooks
def test_the_sensitivity_grid_is_the_same_with_and_without_the_cache(
    tmp_path, shipped_dir, study_copy, params, monkeypatch, synthetic_report
):
    monkeypatch.setenv(cache.ENV_VAR, "0")
    off = _sensitivity(tmp_path / "off", shipped_dir, params)
    monkeypatch.setenv(cache.ENV_VAR, "1")
    cold = _sensitivity(tmp_path / "cached", shipped_dir, params)
    (entry,) = (tmp_path / "cached" / "reports" / cache.CACHE_FOLDER).glob("qca_sensitivity-*.pkl")
    with monkeypatch.context() as m:
        m.setattr(sc.QCARun, "sensitivity", _must_not_compute)
        warm = _sensitivity(tmp_path / "cached", study_copy, params)
    report = {
        name: (
            synthetic_report / "reports" / "all" / "tables" / f"{NOTEBOOK.stem}__{name}.csv"
        ).read_text()
        for name in off
    }
    assert off == cold == warm == report
    # another cut-off is another analysis: it misses, and the first entry stays
    mine = make_report(tmp_path / "cached", shipped_dir, params)
    configurations.show_sensitivity(mine, configurations.prepare(mine, incl_cut=0.9))
    assert len(list(entry.parent.glob("qca_sensitivity-*.pkl"))) == 2 and entry.exists()


def _must_not_compute(*args, **kwargs):
    raise AssertionError("the sensitivity grid was computed again: the cache was not used")
