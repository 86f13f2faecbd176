"""Tests for Objective 3: srim_analysis.sections.awareness and notebook 03_awareness_confidence."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import survey, survey_barriers, survey_model_tables, survey_tables
from srim_analysis.charts import likert
from srim_analysis.charts import survey as survey_charts
from srim_analysis.report import publishing
from srim_analysis.report.publishing import read_published
from srim_analysis.sections import awareness
from tests.report.test_widgets import assert_no_small_count, html_tables

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_awareness_confidence.ipynb"
STEM = NOTEBOOK.stem
SMALL_SITE = "S08"  # Harrowmere: 13 respondents, 8 participants
PLANTED = {"trained_2024": 2.5, "read_advice_2024": 1.5, "manager_support": 1.3}


# ---------------------------------------------------------------------------
# The library, on the shipped synthetic study
# ---------------------------------------------------------------------------


def test_min_cell_defaults_are_the_project_threshold():
    for func in (
        survey.compare_groups,
        likert.plot_likert_items,
        likert.plot_likert_by_construct,
        likert.plot_likert_by_group,
        survey_tables.group_tests,
        survey_tables.chart_groups,
        survey_model_tables.confidence_model,
        survey_model_tables.ols_model,
        survey_barriers.top_barrier_quotes,
        survey_charts.plot_statements,
        survey_charts.plot_item_by_group,
        survey_charts.plot_construct_by_group,
        survey_charts.barrier_chart,
        awareness.explorer,
    ):
        default = inspect.signature(func).parameters["min_cell"].default
        assert default == disclosure.DEFAULT_MIN_CELL == 5, func.__name__


def test_explorer_redraws_when_a_dropdown_changes(study):
    widget = awareness.explorer(
        study, constructs=["awareness", "it_access"], group_by="trained_2024", min_cell=5
    )
    construct, group_by, output = widget.construct, widget.group_by, widget.output
    assert widget.site.value == "all"
    first = output.outputs
    assert "image/png" in first[0]["data"]
    assert "Awareness of the 2024 advice" in first[1]["data"]["text/html"]
    assert "Mann-Whitney" in first[1]["data"]["text/html"]
    construct.value = "it_access"
    second = output.outputs
    assert second != first
    assert "IT access" in second[1]["data"]["text/html"]
    group_by.value = "role"
    third = output.outputs
    assert third != second and "Kruskal-Wallis" in third[1]["data"]["text/html"]


def _shown_table(widget):
    """Return the group-test table the explorer shows (parsed from its HTML output)."""
    (table,) = html_tables(widget.output.outputs[1]["data"]["text/html"])
    return table


def test_explorer_site_control_redraws_for_the_chosen_site(tmp_path, shipped_dir):
    report = publishing.start(
        notebook=STEM,
        site="all",
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=5,
        tables=["sites", "participants", "codebook", "coded_segments"],
        optional=["survey_items", "survey_responses"],
    )
    widget = awareness.show_explorer(report, ["awareness"], "role")
    assert widget.site.value == "all" and widget.site.options[0] == ("All sites", "all")
    assert ("Harrowmere (S08)", SMALL_SITE) in widget.site.options
    everyone = _shown_table(widget)
    assert int(everyone["n"].iloc[0]) > 100
    widget.site.value = SMALL_SITE
    mine = _shown_table(widget)
    assert widget.output.outputs[0] != {} and not mine.equals(everyone)
    assert "Harrowmere" in widget.output.outputs[1]["data"]["text/html"]
    assert disclosure.suppression_note(5) in widget.output.outputs[1]["data"]["text/html"]
    assert_no_small_count(mine, ["n"])
    assert "Harrowmere" in repr(widget)


def test_explorer_starts_on_the_notebooks_site(tmp_path, shipped_dir):
    report = publishing.start(
        notebook=STEM,
        site="S02",
        data_dir=shipped_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=5,
        tables=["sites", "participants", "codebook", "coded_segments"],
        optional=["survey_items", "survey_responses"],
    )
    widget = awareness.show_explorer(report, ["awareness"], "agency")
    assert widget.site.value == "S02"
    assert_no_small_count(_shown_table(widget), ["n"])
    assert not list((tmp_path / "reports").rglob("*.csv"))  # an explorer publishes nothing


# ---------------------------------------------------------------------------
# The notebook, end to end with papermill
# ---------------------------------------------------------------------------


def _papermill(out_dir: Path, data_dir: str, site: str, **params: object) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "papermill",
        str(NOTEBOOK),
        str(out_dir / "run.ipynb"),
        "-k",
        "python3",
        "--cwd",
        str(NOTEBOOK.parent),
        "--no-progress-bar",
        "-p",
        "site",
        site,
        "-p",
        "data_dir",
        data_dir,
        "-p",
        "reports_dir",
        str(out_dir / "reports"),
        "-p",
        "figures_dir",
        str(out_dir / "figures"),
    ]
    for name, value in params.items():
        args += ["-y", f"{name}: {json.dumps(value)}"]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the inline backend
    log = (out_dir / "papermill.log").open("w")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module", autouse=True)
def _launched(request, tmp_path_factory):
    """Start the notebook runs as soon as this module starts, if any notebook test will run.

    Three runs at once - all sites, one small site, a study folder without the survey - in
    the background while the library tests run; :func:`runs` waits for them.
    """
    wanted = any(
        getattr(item, "module", None) is request.module and item.get_closest_marker("notebooks")
        for item in request.session.items
    )
    if not wanted:
        yield None
        return
    base = tmp_path_factory.mktemp("nb03")
    no_survey = base / "study_without_survey"
    shutil.copytree(ROOT / "data" / "synthetic", no_survey)
    for name in ("survey_items.csv", "survey_responses.csv"):
        (no_survey / name).unlink()
    # the whole-study and small-site runs come from the session's synthetic report
    plan = {"no_survey": (str(no_survey), "all", {})}
    procs = {}
    for key, (data_dir, site, params) in plan.items():
        out = base / key
        out.mkdir()
        procs[key] = (out, site, _papermill(out, data_dir, site, **params))
    yield procs
    for _, _, proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def runs(_launched, synthetic_report):
    """Wait for the notebook runs; fail with the end of the log of any that failed."""
    done = {"all": (synthetic_report, "all"), "small": (synthetic_report, SMALL_SITE)}
    for key, (out, site, proc) in _launched.items():
        code = proc.wait(timeout=900)
        log = (out / "papermill.log").read_text()
        assert code == 0, f"notebook run '{key}' failed:\n{log[-3000:]}"
        done[key] = (out, site)
    return done


def _tables(out: Path, site: str) -> dict[str, pd.DataFrame]:
    folder = out / "reports" / site / "tables"
    return {
        p.stem.removeprefix(f"{STEM}__"): read_published(p)
        for p in sorted(folder.glob(f"{STEM}__*.csv"))
    }


def _text(out: Path, site: str) -> str:
    path = out / "run.ipynb"
    if not path.exists():  # a run of the session's synthetic report
        path = out / "reports" / site / f"{STEM}.ipynb"
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [data.get("text/markdown", ""), data.get("text/html", "")]
            parts.append(output.get("text", ""))
    return "\n".join(str(p) for p in parts)


def _assert_no_small_counts(tables: dict[str, pd.DataFrame]) -> None:
    for name, table in tables.items():
        for col in disclosure.count_columns_of(table):
            values = pd.to_numeric(table[col].replace({disclosure.SUPPRESSION_MARK: ""}))
            small = values[(values >= 1) & (values <= 4)]
            assert small.empty, f"{name}.{col} publishes {small.tolist()}"


@pytest.mark.notebooks
def test_notebook_all_sites_publishes_the_expected_tables(runs):
    out, site = runs["all"]
    tables = _tables(out, site)
    model = tables["model_odds_ratios"].set_index("term")
    low, high = (float(model.loc["trained_2024", c]) for c in ("ci_low", "ci_high"))
    assert low <= PLANTED["trained_2024"] <= high and low > 1
    reliability = tables["reliability"]
    assert list(reliability["construct"]) == list(survey_tables.DEFAULT_CONSTRUCTS)
    assert (reliability["alpha"].astype(float) > 0.7).all()
    assert (reliability["ci_low"].astype(float) < reliability["alpha"].astype(float)).all()
    assert set(reliability["nan_policy"]) == {"pairwise"}
    tests = tables["group_tests_agency"]
    assert set(tests["test"]) == {"Kruskal-Wallis H"} and tests["p_holm"].astype(float).ge(0).all()
    thresholds = tables["model_thresholds"]
    assert thresholds["below"].iloc[0] == "Strongly disagree"
    assert {"model_proportional_odds", "ols_differences", "barrier_quotes"} <= set(tables)
    _assert_no_small_counts(tables)
    text = _text(out, site)
    assert "Complete-case analysis" in text and "times the odds" in text
    figures = {p.stem.removeprefix(f"{STEM}__") for p in (out / "figures" / site).glob("*.png")}
    expected = {f"likert-{c.replace('_', '-')}" for c in survey_tables.DEFAULT_CONSTRUCTS}
    assert expected | {"forest-ordinal-model", "barriers-facilitators", "confidence-by-agency"} <= (
        figures
    )


@pytest.mark.notebooks
def test_notebook_small_site_says_the_model_is_not_estimated(runs):
    out, site = runs["small"]
    tables = _tables(out, site)
    assert "model_odds_ratios" not in tables and "reliability" in tables
    assert list(tables["reliability"]["construct"]) == list(survey_tables.DEFAULT_CONSTRUCTS)
    _assert_no_small_counts(tables)
    text = _text(out, site)
    assert "not estimated for Harrowmere" in text
    assert "Traceback" not in text


@pytest.mark.notebooks
def test_notebook_without_survey_says_what_it_skipped(runs):
    out, site = runs["no_survey"]
    tables = _tables(out, site)
    assert set(tables) == {"barriers_facilitators_by_agency", "barrier_quotes"}
    _assert_no_small_counts(tables)
    text = _text(out, site)
    assert "Survey sections skipped" in text
    for section in awareness.SURVEY_SECTIONS:
        assert section in text
    assert "no survey in this study folder" in text.lower()
    figures = [p.name for p in (out / "figures" / site).glob("*.png")]
    assert figures == [f"{STEM}__barriers-facilitators.png"]
