"""Tests for Objective 3: srim_analysis.sections.awareness and notebook 03_awareness_confidence."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import (
    survey,
    survey_barriers,
    survey_model_tables,
    survey_models,
    survey_tables,
)
from srim_analysis.charts import likert
from srim_analysis.charts import survey as survey_charts
from srim_analysis.report import cache, publishing
from srim_analysis.report.publishing import read_published
from srim_analysis.sections import awareness
from srim_analysis.study.loading import load_study
from tests.report.test_widgets import assert_no_small_count, html_tables

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_awareness_confidence.ipynb"
STEM = NOTEBOOK.stem
SMALL_SITE = "S08"  # Harrowmere: 13 respondents, 8 participants (too few for a model)
MODELLED_SITE = "S02"  # a single site whose own models are estimated
PLANTED = {"trained_2024": 2.5, "read_advice_2024": 1.5, "manager_support": 1.3}


# ---------------------------------------------------------------------------
# The library, on the shipped synthetic study
# ---------------------------------------------------------------------------


def test_min_cell_defaults_are_the_project_threshold():
    for func in (
        survey.compare_groups,
        likert.plot_likert_table,
        likert.plot_likert_panels,
        survey_tables.group_tests,
        survey_model_tables.ordinal_model,
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


def _start(tmp_path, data_dir, site):
    """Return the notebook's report on a study folder for one site, publishing under tmp_path."""
    return publishing.start(
        notebook=STEM,
        site=site,
        data_dir=data_dir,
        reports_dir=tmp_path / "reports",
        figures_dir=tmp_path / "figures",
        min_cell=5,
        tables=["sites", "participants", "codebook", "coded_segments"],
        optional=["survey_items", "survey_responses"],
    )


def _shown_table(widget):
    """Return the group-test table the explorer shows (parsed from its HTML output)."""
    (table,) = html_tables(widget.output.outputs[1]["data"]["text/html"])
    return table


def test_explorer_site_control_redraws_for_the_chosen_site(tmp_path, shipped_dir):
    report = _start(tmp_path, shipped_dir, "all")
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
    report = _start(tmp_path, shipped_dir, "S02")
    widget = awareness.show_explorer(report, ["awareness"], "agency")
    assert widget.site.value == "S02"
    assert_no_small_count(_shown_table(widget), ["n"])
    assert not list((tmp_path / "reports").rglob("*.csv"))  # an explorer publishes nothing


# ---------------------------------------------------------------------------
# Every number in a sentence comes from a published table
# ---------------------------------------------------------------------------

#: Numbers the sentences state that are the method's, not the data's: thresholds of
#: reliability (0.70, 0.30), the confidence level (95%), significance (0.05), respondents
#: needed per model term, and quotes per barrier.
METHOD_NUMBERS = {
    0.7,
    0.3,
    95.0,
    0.05,
    float(survey_model_tables.MIN_PER_TERM),
    float(survey_barriers.QUOTES_PER_BARRIER),
}
NUMBER = re.compile(r"(?<![\w.\-])(\d+(?:\.\d+)?)(?![\w])")


def _published_numbers(tables: dict[str, pd.DataFrame]) -> list[float]:
    """Return every number in the shown cells of the tables (numbers inside text too)."""
    out = []
    for table in tables.values():
        for value in table.to_numpy().ravel():
            if disclosure.is_suppressed(value) or value is None:
                continue
            out += [float(n) for n in NUMBER.findall(str(value))]
            with contextlib.suppress(TypeError, ValueError):
                out.append(float(value))
    return out


def _stated_numbers(text: str) -> list[str]:
    """Return the numbers a text states, leaving out years and ids (letters beside digits)."""
    return [n for n in NUMBER.findall(text) if not (len(n) == 4 and n.startswith(("19", "20")))]


def _sections(report):
    yield awareness.show_skipped_sections(report)
    yield awareness.show_respondents(report)
    yield awareness.show_item_charts(report)
    yield awareness.show_reliability(report)
    yield awareness.show_group_tests(report)
    for role in ("awareness", "confidence"):
        yield awareness.show_model(report, role)
        yield awareness.show_ols(report, role)
    yield awareness.show_qualitative(report)
    yield awareness.show_summary(report)


@pytest.mark.parametrize("site", ["all", SMALL_SITE])
def test_every_number_in_a_sentence_is_a_published_cell(tmp_path, shipped_dir, site):
    report = _start(tmp_path, shipped_dir, site)
    stated = 0
    for section in _sections(report):
        text = section.text()
        published = _published_numbers(section.tables)
        for number in _stated_numbers(text):
            x = float(number)
            if x in METHOD_NUMBERS or x == report.min_cell:
                continue
            digits = len(number.split(".")[1]) if "." in number else 0
            stated += 1
            assert any(round(v, digits) == x for v in published), (
                f"{number} in {text[:200]!r}... is in none of {list(section.tables)}"
            )
        assert "Traceback" not in text
        assert not re.search(r"\b[1-4] (?:people|respondents|participants)\b", text)
    assert stated > (20 if site == "all" else 5)


def test_every_figure_is_drawn_from_a_published_table(tmp_path, shipped_dir):
    report = _start(tmp_path, shipped_dir, "S02")
    saved = [
        item
        for section in (
            awareness.show_item_charts(report),
            awareness.show_model(report, "confidence"),
            awareness.show_qualitative(report),
        )
        for item in section.items
        if isinstance(item, publishing.SavedFigure)
    ]
    assert len(saved) >= 12
    for figure in saved:
        assert figure.record.source_data, figure.record.figure_id
        source = read_published(report.figures_dir / figure.record.source_data)
        assert len(source)
    source = inspect.getsource(awareness)
    assert "add_figure" not in source and "report.figure(" not in source


def test_an_outcome_the_plan_does_not_map_is_said_not_modelled(tmp_path, study_copy):
    toml = (study_copy / "study.toml").read_text(encoding="utf-8")
    toml = re.sub(r'\nawareness = "awareness".*', "", toml)  # drop the awareness outcome
    (study_copy / "study.toml").write_text(toml, encoding="utf-8")
    report = _start(tmp_path, study_copy, "all")
    assert "awareness" not in report.study.plan.survey.outcomes
    text = awareness.show_model(report, "awareness").text()
    assert "not estimated" in text and "study.toml" in text and "[survey.outcomes]" in text
    assert "not modelled" in awareness.show_skipped_sections(report).text()
    assert awareness.show_model(report, "confidence").tables  # the other outcome still runs


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
    model = tables["model_confidence_odds_ratios"].set_index("term")
    low, high = (float(model.loc["trained_2024", c]) for c in ("ci_low", "ci_high"))
    assert low <= PLANTED["trained_2024"] <= high and low > 1
    aware = tables["model_awareness_odds_ratios"].set_index("term")
    assert float(aware.loc["read_advice_2024", "ci_low"]) > 1  # planted on awareness
    reliability = tables["reliability"]
    constructs = list(load_study(ROOT / "data" / "synthetic").plan.survey.constructs)
    assert list(reliability["construct"]) == constructs
    assert (reliability["alpha"].astype(float) > 0.7).all()
    assert (reliability["ci_low"].astype(float) < reliability["alpha"].astype(float)).all()
    assert set(reliability["nan_policy"]) == {"pairwise"}
    tests = tables["group_tests_agency"]
    assert set(tests["test"]) == {"Kruskal-Wallis H"} and tests["p_holm"].astype(float).ge(0).all()
    thresholds = tables["model_confidence_thresholds"]
    assert thresholds["below"].iloc[0] == "Strongly disagree"
    assert {
        "model_confidence_proportional_odds",
        "ols_confidence_differences",
        "ols_awareness_differences",
        "answers_awareness",
        "answers_confidence_by_agency",
        "barrier_quotes",
    } <= set(tables)
    _assert_no_small_counts(tables)
    text = _text(out, site)
    assert "Complete-case analysis" in text and "times the odds" in text
    figures = {p.stem.removeprefix(f"{STEM}__") for p in (out / "figures" / site).glob("*.png")}
    expected = {f"likert-{c.replace('_', '-')}" for c in constructs}
    assert (
        expected
        | {
            "forest-confidence-model",
            "forest-awareness-model",
            "barriers-facilitators",
            "confidence-by-agency",
            "awareness-by-agency",
        }
        <= figures
    )


@pytest.mark.notebooks
def test_notebook_small_site_says_the_model_is_not_estimated(runs):
    out, site = runs["small"]
    tables = _tables(out, site)
    assert "model_confidence_odds_ratios" not in tables and "reliability" in tables
    constructs = list(load_study(ROOT / "data" / "synthetic").plan.survey.constructs)
    assert list(tables["reliability"]["construct"]) == constructs
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


def _model_files(folder: Path) -> dict[str, str]:
    """Return the model tables published in a tables folder, by name, as their CSV text."""
    found = [*folder.glob(f"{STEM}__model_*.csv"), *folder.glob(f"{STEM}__ols_*.csv")]
    return {p.name: p.read_text() for p in sorted(found)}


def _model_tables(tmp_path, data_dir, site) -> dict[str, str]:
    report = _start(tmp_path, data_dir, site)
    for role in ("awareness", "confidence"):
        awareness.show_model(report, role)
        awareness.show_ols(report, role)
    return _model_files(tmp_path / "reports" / site / "tables")


@pytest.mark.notebooks
def test_model_tables_are_the_same_with_and_without_the_cache(
    tmp_path, study_copy, monkeypatch, synthetic_report
):
    """Off, cold, warm (read back from disk) and the session's parallel report agree."""
    for site in ("all", MODELLED_SITE):
        monkeypatch.setenv(cache.ENV_VAR, "0")
        off = _model_tables(tmp_path / "off", ROOT / "data" / "synthetic", site)
        assert not (tmp_path / "off" / "reports" / cache.CACHE_FOLDER).exists()
        monkeypatch.setenv(cache.ENV_VAR, "1")
        shared = tmp_path / "cached"
        cold = _model_tables(shared, ROOT / "data" / "synthetic", site)
        entries = sorted((shared / "reports" / cache.CACHE_FOLDER).glob("survey_*.pkl"))
        assert {p.name.rsplit("-", 1)[0] for p in entries} == {
            "survey_ordinal_model",
            "survey_ols_model",
        }
        with monkeypatch.context() as m:
            # a copy of the study (same data, another folder: no result held in memory) and
            # no model fitting allowed: the warm run reads every model from the cache
            m.setattr(survey_models, "fit_ordinal_model", _must_not_fit)
            m.setattr(survey_models, "fit_scale_ols", _must_not_fit)
            warm = _model_tables(shared, study_copy, site)
        parallel = _model_files(synthetic_report / "reports" / site / "tables")
        assert len(off) >= 2 and off == cold == warm == parallel, site


def _must_not_fit(*args, **kwargs):
    raise AssertionError("the model was fitted again: the cache was not used")
