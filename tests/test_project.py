"""Project hygiene: the environment files agree, notebooks are clean, private data stay out."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STANDARD_PARAMETERS = ("site", "data_dir", "reports_dir", "figures_dir", "min_cell")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = _pyproject()["project"]
    pip_deps = {_name(d) for d in project["dependencies"]}
    pip_deps |= {_name(d) for d in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    # a package conda-forge does not carry is named in the file's own pip: list
    from_pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    conda |= {_name(d) for part in from_pip for d in part["pip"] if not d.startswith("-")}
    assert conda == pip_deps


def test_environment_versions_agree():
    project = _pyproject()["project"]
    reqs = {
        _name(d): d.replace(" ", "")
        for d in project["dependencies"] + project["optional-dependencies"]["dev"]
    }
    text = (ROOT / "environment.yml").read_text()
    for name, req in reqs.items():
        assert f"- {req}" in text.replace(name, name), f"{req} not pinned alike in environment.yml"


def test_design_dependencies_are_declared():
    deps = {_name(d) for d in _pyproject()["project"]["dependencies"]}
    deps |= {_name(d) for d in _pyproject()["project"]["optional-dependencies"]["dev"]}
    for needed in (
        "jupyterlab",
        "pandas",
        "matplotlib",
        "seaborn",
        "ipywidgets",
        "nbval",
        "papermill",
        "pandera",
        "statsmodels",
        "pingouin",
        "sympy",
        "openpyxl",
        "ipykernel",
    ):
        assert needed in deps


def test_version_is_in_the_changelog():
    from srim_analysis import __version__

    assert __version__ == _pyproject()["project"]["version"]
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_tree_names_every_top_level_folder():
    readme = (ROOT / "README.md").read_text()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    folders = {p.split("/")[0] for p in tracked.stdout.split() if "/" in p}
    for folder in folders - {".ci"}:
        assert f"{folder}/" in readme, f"README tree misses {folder}/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_clean_with_a_parameters_cell(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} has outputs"
            assert cell["execution_count"] is None
    tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    source = "".join(tagged[0]["source"])
    for name in STANDARD_PARAMETERS:
        assert re.search(rf"^{name} = .+  # \S", source, re.M), f"{name} missing or undocumented"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert {"title", "per_site", "description"} <= set(nb["metadata"]["srim"])


def test_there_is_a_notebook_per_objective():
    stems = {p.stem for p in NOTEBOOKS}
    assert {
        "00_study_overview",
        "01_cross_site_comparison",
        "02_service_configuration_typology",
        "03_awareness_confidence",
        "04_guidance_views",
    } <= stems


def test_private_data_and_outputs_are_git_ignored(tmp_path):
    probe = ["data/private/site/x.csv", "reports/all/x.html", "figures/all/x.png", "secret.key"]
    out = subprocess.run(["git", "check-ignore", *probe], cwd=ROOT, capture_output=True, text=True)
    if out.returncode == 128:
        pytest.skip("not a git checkout")
    assert sorted(out.stdout.split()) == sorted(probe)
    tracked = subprocess.run(
        ["git", "ls-files", "data/private", "reports", "figures"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert set(tracked) <= {"reports/README.md", "figures/README.md"}
