"""Planning a run: notebooks and sites chosen, parameters resolved, refusals, run keys, skipping."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from srim_analysis import disclosure
from srim_analysis.layout import RunLayout
from srim_analysis.runner import planning
from srim_analysis.runner.errors import RunError
from srim_analysis.runner.parameters import NotebookInfo
from srim_analysis.runner.planning import StudyInfo
from tests.runner.conftest import run


def test_notebooks_are_found_with_their_parameters_and_metadata(project):
    notebooks = planning.discover_notebooks(project.notebooks_dir)
    assert [nb.name for nb in notebooks] == ["00_echo", "01_cross", "02_fails"]
    echo = notebooks[0]
    assert echo.per_site and echo.title == "Echo"
    assert echo.parameters["factor"].default == "2"
    assert echo.parameters["factor"].type == "int"
    assert echo.parameters["factor"].help == "a whole number multiplied by 21"
    assert not notebooks[1].per_site
    picked = planning.select_notebooks(notebooks, ["02", "echo", "01_cross.ipynb"])
    assert [nb.name for nb in picked] == ["00_echo", "01_cross", "02_fails"]


def test_a_missing_notebooks_folder_and_an_ambiguous_name_are_refused(project, tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        planning.discover_notebooks(tmp_path / "nowhere")
    notebooks = planning.discover_notebooks(project.notebooks_dir)
    twin = NotebookInfo(**{**vars(notebooks[0]), "name": "00_echo_again"})
    with pytest.raises(RunError, match="ambiguous"):
        planning.select_notebooks([*notebooks, twin], ["00"])


def test_unknown_site_lists_the_valid_ones(project):
    with pytest.raises(RunError, match=r"S01, S02, S03 \(or 'all'"):
        run(project.replace(sites=["S01", "nope"]))


def test_a_notebook_without_the_standard_parameters_is_refused(project):
    bad = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('site = "all"  # the site')
    cell.metadata["tags"] = ["parameters"]
    bad.cells = [cell]
    nbformat.write(bad, project.notebooks_dir / "03_bad.ipynb")
    with pytest.raises(RunError, match="does not declare data_dir, reports_dir, figures_dir"):
        run(project)


def test_the_run_key_changes_with_what_shapes_the_outputs(project, study_dir):
    notebooks = planning.discover_notebooks(project.notebooks_dir)
    study = planning.read_study(study_dir)

    def keys(config=project, params=None, nbs=notebooks, data=study):
        specs = planning.plan_runs(config, nbs, nbs, data, ["all"], params)
        return {s.label: s.key for s in specs}

    base = keys()
    assert keys() == base  # stable
    assert keys(params={"greeting": "other"})["00_echo[all]"] != base["00_echo[all]"]
    assert keys(params={"greeting": "other"})["01_cross[all]"] == base["01_cross[all]"]
    assert keys(config=project.replace(with_code=True)) != base
    edited = [NotebookInfo(**{**vars(notebooks[0]), "sha256": "x"}), *notebooks[1:]]
    assert keys(nbs=edited)["00_echo[all]"] != base["00_echo[all]"]
    other = StudyInfo(**{**vars(study), "fingerprint": "different"})
    assert keys(data=other)["01_cross[all]"] != base["01_cross[all]"]


def test_the_code_fingerprint_follows_the_library_source(monkeypatch):
    monkeypatch.undo()  # the autouse fixture replaces it with a constant
    first = planning.code_fingerprint()
    assert len(first) == 16 and first == planning.code_fingerprint()


def test_cross_site_notebooks_run_for_all_only(project, study_dir):
    notebooks = planning.discover_notebooks(project.notebooks_dir)
    study = planning.read_study(study_dir)
    sites = planning.select_sites(study, ["S02,all"])
    assert sites == ["all", "S02"]
    specs = planning.plan_runs(project, notebooks, notebooks, study, sites)
    assert [s.label for s in specs] == [
        "00_echo[all]",
        "00_echo[S02]",
        "01_cross[all]",
        "02_fails[all]",
        "02_fails[S02]",
    ]
    with pytest.raises(RunError, match="Nothing to run"):
        run(project.replace(sites=["S01"], notebooks=["01"]))


def test_every_site_and_all_when_none_are_named(study_dir):
    study = planning.read_study(study_dir)
    assert planning.select_sites(study, []) == ["all", "S01", "S02", "S03"]
    assert study.synthetic and study.to_dict()["sites"] == dict(study.sites)
    assert study.site_label("all") == "All sites"
    assert study.site_label("S01") == f"{study.sites['S01']} (S01)"


def test_real_data_go_through_the_output_safety_check(project, study_dir, tmp_path, monkeypatch):
    real = tmp_path / "real"
    shutil.copytree(study_dir, real)
    (real / "study.toml").write_text('kind = "real"\nname = "test"\n')

    calls = []

    def refuse(out_dir, data_is_real):
        calls.append((Path(out_dir), data_is_real))
        raise disclosure.UnsafeOutputError(f"{out_dir} is tracked by git")

    monkeypatch.setattr(disclosure, "assert_safe_output_dir", refuse)
    with pytest.raises(RunError, match=r"Refusing to write outputs from real data: .* tracked"):
        run(project.replace(data=real))
    assert calls == [(project.reports_dir, True)]
    assert not project.out.exists()
    # without the check available, real data are refused too
    monkeypatch.delattr(disclosure, "assert_safe_output_dir")
    with pytest.raises(RunError, match="safety check"):
        run(project.replace(data=real))
    # synthetic data are not checked
    planning.check_output_safety(project, planning.read_study(study_dir))


def test_real_data_need_a_pseudonymisation_key(project, study_dir, tmp_path, monkeypatch):
    real = tmp_path / "real"
    shutil.copytree(study_dir, real)
    (real / "study.toml").write_text('kind = "real"\nname = "test"\n')

    monkeypatch.setattr(disclosure, "assert_safe_output_dir", lambda out_dir, data_is_real: None)
    monkeypatch.delenv("SRIM_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("SRIM_PSEUDONYM_KEY_FILE", raising=False)
    with pytest.raises(RunError, match="without a pseudonymisation key"):
        planning.check_output_safety(project.replace(data=real), planning.read_study(real))
    key = tmp_path / "outside" / "srim.key"
    key.parent.mkdir()
    key.write_bytes(b"k" * 32)
    monkeypatch.setenv("SRIM_PSEUDONYM_KEY_FILE", str(key))
    planning.check_output_safety(project.replace(data=real), planning.read_study(real))


def test_a_run_is_up_to_date_only_with_its_stamp_key_and_outputs(project, study_dir):
    notebooks = planning.discover_notebooks(project.notebooks_dir)
    study = planning.read_study(study_dir)
    (spec,) = planning.plan_runs(project, notebooks, notebooks[1:2], study, ["all"])
    layout = planning.layout_of(project)
    assert layout == RunLayout.under(project.out)
    assert planning.up_to_date(project, spec) is None  # never ran
    assert planning.previous_duration(project, spec) == float("inf")
    output = layout.table("all", "01_cross", "summary")
    output.parent.mkdir(parents=True)
    layout.logs_dir("all").mkdir()
    output.write_text("x")
    stamp = {
        "key": spec.key,
        "duration_s": 1.5,
        "outputs": {"files": ["reports/all/tables/01_cross__summary.csv"]},
    }
    layout.ok_stamp("all", "01_cross").write_text(json.dumps(stamp))
    assert planning.up_to_date(project, spec) == stamp
    assert planning.previous_duration(project, spec) == 1.5
    layout.ok_stamp("all", "01_cross").write_text(json.dumps({**stamp, "key": "other"}))
    assert planning.up_to_date(project, spec) is None  # something changed
    layout.ok_stamp("all", "01_cross").write_text(json.dumps(stamp))
    output.unlink()
    assert planning.up_to_date(project, spec) is None  # an output is missing
    output.write_text("x")
    layout.failed_stamp("all", "01_cross").write_text(json.dumps({**stamp, "duration_s": 2.0}))
    assert planning.up_to_date(project, spec) is None  # the last attempt failed
    assert planning.previous_duration(project, spec) == 2.0
