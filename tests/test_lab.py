"""Exploring never touches git-tracked files: `make lab` works on copies, and the git filter
set up by `make` strips what a notebook saved in place in notebooks/ carries.

Every test works in a temporary `git clone` of the repository (or a bare folder), never in
the repository itself. The clone gets this working tree's set-up files (Makefile,
.gitattributes, .gitignore) and notebook 00, committed in the clone, so the test checks what
is about to be committed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from tests.browser_helpers import ROOT, git, git_checkout, make

BIN = Path(sys.executable).parent
NOTEBOOK = "notebooks/00_study_overview.ipynb"
SETUP_FILES = ("Makefile", ".gitattributes", ".gitignore", NOTEBOOK)
KERNEL = "python3"


def _clone(dest: Path) -> Path:
    """Clone the repository's HEAD into ``dest`` and commit this tree's set-up files there."""
    return git_checkout(dest, SETUP_FILES)


def _save_as_jupyterlab(path: Path) -> None:
    """Run every cell of ``path`` in its folder and save it in place as JupyterLab does."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    # what JupyterLab writes on save besides outputs: the kernel it ran (its display name),
    # the kernel's full language_info (nbclient sets it), the widget state, view state of cells
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    nb.metadata["kernelspec"] = {
        "display_name": spec.display_name,
        "language": spec.language,
        "name": KERNEL,
    }
    assert "version" in nb.metadata["language_info"]
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), "the run produced no outputs: the test proves nothing"
    code[-1].metadata["scrolled"] = True
    code[-1].metadata["jupyter"] = {"outputs_hidden": False}
    nbformat.write(nb, path)


@pytest.fixture
def no_project_override(monkeypatch):
    """The kernel finds its project by walking up from the notebook's folder."""
    monkeypatch.delenv("SRIM_PROJECT_ROOT", raising=False)


def test_a_notebook_saved_in_place_after_a_run_leaves_git_status_clean(
    tmp_path, no_project_override
):
    repo = _clone(tmp_path / "clone")
    _save_as_jupyterlab(repo / NOTEBOOK)
    # what the notebook published went into the clone's own git-ignored folders
    assert list((repo / "reports" / "all" / "tables").glob("00_*.csv"))

    # control: without the filter, the same save shows as a modified notebook, outputs and all
    assert git(repo, "status", "--porcelain").splitlines() == [f" M {NOTEBOOK}"]
    assert git(repo, "diff", "--numstat").split()[2:] == [NOTEBOOK]

    out = make(repo, "git-filter")
    assert "git filter nbstripout set up" in out
    # through the filter the saved notebook is the committed one: no difference, and staging
    # everything (what `git commit -a` does) stages nothing. (`git status` alone may still list
    # the notebook until it is staged: git takes a file whose size changed as modified.)
    assert git(repo, "diff") == ""
    git(repo, "add", "--all")
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "diff", "--cached", "--name-only") == ""


def test_git_filter_is_idempotent_and_strips_as_the_pre_commit_hook(tmp_path):
    repo = _clone(tmp_path / "clone")
    make(repo, "git-filter")
    first = git(repo, "config", "--local", "--list")
    make(repo, "git-filter")
    assert git(repo, "config", "--local", "--list") == first
    clean = git(repo, "config", "filter.nbstripout.clean").strip()
    assert clean.startswith(f'"{BIN}/python" -m nbstripout')
    assert git(repo, "config", "filter.nbstripout.required").strip() == "true"
    assert git(repo, "check-attr", "filter", "diff", "--", NOTEBOOK).splitlines() == [
        f"{NOTEBOOK}: filter: nbstripout",
        f"{NOTEBOOK}: diff: ipynb",
    ]
    keys = git(repo, "config", "filter.nbstripout.extrakeys").split()
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for r in hooks["repos"] for h in r["hooks"] if h["id"] == "nbstripout"]
    args = hook["args"]
    assert args[args.index("--extra-keys") + 1].split() == keys
    assert ("--keep-id" in args) == ("--keep-id" in clean.split())


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_committed_notebook_is_what_the_filter_keeps(tmp_path, path):
    repo = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    shutil.copy2(ROOT / "Makefile", repo / "Makefile")
    make(repo, "git-filter")
    clean = git(repo, "config", "filter.nbstripout.clean").strip()
    stripped = subprocess.run(
        clean, shell=True, cwd=repo, input=path.read_bytes(), capture_output=True, check=True
    ).stdout
    assert stripped == path.read_bytes(), (
        f"{path.name} is not as the filter keeps it: run `make strip-notebooks` and commit"
    )


def test_committed_notebooks_record_the_kernel_jupyterlab_writes():
    display = KernelSpecManager().get_kernel_spec(KERNEL).display_name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"KERNEL_DISPLAY := {display}" in makefile
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        spec = nbformat.read(path, as_version=4).metadata["kernelspec"]
        assert spec == {"display_name": display, "language": "python", "name": KERNEL}, (
            f"{path.name} records {spec}: opening it in JupyterLab changes it; run "
            "`make strip-notebooks` and commit"
        )


def test_git_filter_is_harmless_outside_a_git_checkout(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy2(ROOT / "Makefile", plain / "Makefile")
    assert "not a git checkout" in make(plain, "git-filter")
    # a project copied inside someone else's repository leaves that repository alone
    outer = tmp_path / "outer"
    nested = outer / "project"
    nested.mkdir(parents=True)
    git(outer, "init", "--quiet")
    shutil.copy2(ROOT / "Makefile", nested / "Makefile")
    before = (outer / ".git" / "config").read_text(encoding="utf-8")
    assert "not a git checkout" in make(nested, "git-filter")
    assert (outer / ".git" / "config").read_text(encoding="utf-8") == before


def test_lab_copies_copies_missing_notebooks_and_never_overwrites_a_copy(tmp_path):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy2(ROOT / "Makefile", project / "Makefile")
    committed = sorted((ROOT / "notebooks").glob("*.ipynb"))[:2]
    for nb in committed:
        shutil.copy2(nb, project / "notebooks" / nb.name)
    mine = project / "lab" / committed[0].name
    mine.parent.mkdir()
    mine.write_text("my working copy", encoding="utf-8")

    out = make(project, "lab-copies")
    assert mine.read_text(encoding="utf-8") == "my working copy"
    copy = project / "lab" / committed[1].name
    assert copy.read_bytes() == committed[1].read_bytes()
    assert f"copied notebooks/{committed[1].name} -> lab/{committed[1].name}" in out
    assert f"kept   lab/{committed[0].name}" in out
    assert "The notebooks in notebooks/ are the" in out and "committed ones" in out

    out = make(project, "lab-copies")
    assert "copied" not in out
    assert copy.read_bytes() == committed[1].read_bytes()


def test_make_lab_opens_jupyterlab_on_the_copies_and_sets_up_the_filter():
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "lab", f"BIN={BIN}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "git config filter.nbstripout.clean" in dry
    assert "lab/" in dry and "cp " in dry
    (jupyter,) = [line for line in dry.splitlines() if "jupyter lab" in line]
    assert "--notebook-dir=lab " in jupyter and "--ip=127.0.0.1" in jupyter


def test_lab_folder_is_git_ignored():
    out = subprocess.run(
        ["git", "check-ignore", "lab/00_study_overview.ipynb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode == 128:
        pytest.skip("not a git checkout")
    assert out.stdout.strip() == "lab/00_study_overview.ipynb"
