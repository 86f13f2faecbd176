"""Notebook 02 (objective 1): srim_analysis.sections.configurations and the notebook."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import configurations as sc
from srim_analysis.analyses import qca
from srim_analysis.report.publishing import SavedFigure, start
from srim_analysis.sections import configurations
from tests.analyses.test_configurations import ANCHORS, CONDITIONS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_service_configuration_typology.ipynb"
#: What each section publishes, in order: tables (name: caption) and figures (id: caption).
TABLES = {
    "show_features": {"feature_matrix": "Site-by-feature matrix"},
    "show_typology": {
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
}
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


def make_report(tmp_path: Path, data_dir: Path, params: dict[str, object]):
    """Return a notebook-02 report (all sites) publishing under ``tmp_path``."""
    return start(
        notebook=NOTEBOOK.stem,
        site="all",
        data_dir=data_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=disclosure.DEFAULT_MIN_CELL,
        tables=["sites", "site_features", params["outcome_source"]],
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


def test_prepare_is_the_analysis_chain(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = prepare(report, params)
    assert run.anchors == sc.Anchors(*params["anchors"])
    assert run.conditions == tuple(params["conditions"])
    expected = sc.qca_data(
        report.study,
        params["conditions"],
        run.anchors,
        params["outcome"],
        params["outcome_source"],
        params["outcome_since"],
        params["thresholds"],
    )
    assert run.data.equals(expected)
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
        if name == "show_negated":
            worst = run.negated["parsimonious"].models[0]
            assert figures == {"xy-negated": f"Membership in {worst} against ~SHARE."}
        else:
            assert figures == FIGURES.get(name, {}), name
    assert len(report.published) == sum(len(t) for t in TABLES.values())


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
    expected = sc.truth_table_view(
        qca.truth_table(
            run.data,
            "SHARE",
            sc.short(params["conditions"]),
            incl_cut=params["incl_cut"],
            n_cut=params["n_cut"],
        )
    )
    assert table["sites_in_row"].tolist() == expected["sites_in_row"].tolist()
    assert table["sites_in_row"].sum() == len(report.study.sites)


def test_explorer_updates_when_conditions_change(tmp_path, shipped_dir, params):
    report = make_report(tmp_path, shipped_dir, params)
    run = configurations.prepare(report, CONDITIONS[:2], ANCHORS, outcome_since="2024-07-01")
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
    assert params["conditions"] == CONDITIONS
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
    assert tt["sites_in_row"].astype(int).sum() == 8
    calib = table("calibration")
    assert not calib["n_yes"].isin([str(i) for i in range(1, 5)]).any()  # suppressed
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
