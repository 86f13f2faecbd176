"""Tests for srim_analysis.disclosure.guards: output folders, git work trees, notebooks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from srim_analysis.disclosure import guards
from srim_analysis.disclosure.errors import UnsafeOutputError

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def repo(outside) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = outside / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    (root / ".gitignore").write_text("data/private/\nreports/\n*.key\n", encoding="utf-8")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "a.ipynb").write_text("{}", encoding="utf-8")
    _git(root, "add", ".gitignore", "notebooks/a.ipynb")
    return root


# --------------------------------------------------------------------------------------
# git_work_tree_root
# --------------------------------------------------------------------------------------


def test_git_work_tree_root(outside):
    tree = outside / "project"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / ".git").mkdir()
    (tree / "sub" / "file.txt").write_text("x", encoding="utf-8")
    assert guards.git_work_tree_root(tree) == tree
    assert guards.git_work_tree_root(tree / "sub" / "deeper") == tree
    assert guards.git_work_tree_root(tree / "sub" / "file.txt") == tree
    assert guards.git_work_tree_root(outside) is None


# --------------------------------------------------------------------------------------
# assert_safe_output_dir
# --------------------------------------------------------------------------------------


def test_synthetic_outputs_may_go_anywhere(repo):
    guards.assert_safe_output_dir(repo, data_is_real=False)
    guards.assert_safe_output_dir(repo / "notebooks", data_is_real=False)


@needs_git
def test_ignored_folder_is_fine_even_before_it_exists(repo):
    guards.assert_safe_output_dir(repo / "data" / "private" / "run-1", data_is_real=True)
    guards.assert_safe_output_dir(repo / "reports", data_is_real=True)
    (repo / "reports").mkdir()
    guards.assert_safe_output_dir(repo / "reports", data_is_real=True)


@needs_git
def test_folder_not_ignored_is_refused(repo):
    with pytest.raises(UnsafeOutputError, match="does not ignore"):
        guards.assert_safe_output_dir(repo / "outputs", data_is_real=True)


@needs_git
def test_tracked_folder_is_refused(repo):
    with pytest.raises(UnsafeOutputError, match="tracks files"):
        guards.assert_safe_output_dir(repo / "notebooks", data_is_real=True)


@needs_git
def test_tracked_file_inside_ignored_folder_is_refused(repo):
    (repo / "reports").mkdir()
    (repo / "reports" / "old.csv").write_text("n\n12\n", encoding="utf-8")
    _git(repo, "add", "-f", "reports/old.csv")
    with pytest.raises(UnsafeOutputError, match="tracks files"):
        guards.assert_safe_output_dir(repo / "reports", data_is_real=True)


@needs_git
def test_repository_root_is_refused(repo):
    with pytest.raises(UnsafeOutputError, match="root of the git repository"):
        guards.assert_safe_output_dir(repo, data_is_real=True)


@needs_git
def test_symlink_into_the_repository_is_followed(repo, outside):
    link = outside / "out-link"
    link.symlink_to(repo / "notebooks", target_is_directory=True)
    with pytest.raises(UnsafeOutputError):
        guards.assert_safe_output_dir(link, data_is_real=True)


def test_folder_outside_any_repository_is_fine(outside):
    guards.assert_safe_output_dir(outside / "private-outputs", data_is_real=True)


def test_without_git_inside_a_work_tree_is_refused(repo, monkeypatch):
    monkeypatch.setattr(guards.shutil, "which", lambda name: None)
    with pytest.raises(UnsafeOutputError, match="git is not available"):
        guards.assert_safe_output_dir(repo / "data" / "private", data_is_real=True)


def test_without_git_outside_a_work_tree_is_fine(outside, monkeypatch):
    monkeypatch.setattr(guards.shutil, "which", lambda name: None)
    guards.assert_safe_output_dir(outside / "out", data_is_real=True)


def test_git_failing_inside_a_work_tree_is_refused(outside, monkeypatch):
    tree = outside / "broken"
    (tree / ".git").mkdir(parents=True)  # not a real repository: git rev-parse fails
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    with pytest.raises(UnsafeOutputError, match="could not check"):
        guards.assert_safe_output_dir(tree / "out", data_is_real=True)


def test_git_environment_variables_do_not_leak_in(repo, monkeypatch):
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    guards.assert_safe_output_dir(repo / "reports", data_is_real=True)
    with pytest.raises(UnsafeOutputError):
        guards.assert_safe_output_dir(repo / "outputs", data_is_real=True)


# --------------------------------------------------------------------------------------
# notebooks
# --------------------------------------------------------------------------------------


def _notebook(path: Path, cells: list[dict]) -> Path:
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _code(outputs=(), count=None) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": "1 + 1",
        "outputs": list(outputs),
        "execution_count": count,
    }


MARKDOWN = {"cell_type": "markdown", "metadata": {}, "source": "# Title"}
OUTPUT = {"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}}


def test_clean_notebook(tmp_path):
    nb = _notebook(tmp_path / "clean.ipynb", [MARKDOWN, _code()])
    assert not guards.notebook_has_outputs(nb)
    assert guards.check_notebooks_stripped([nb]) == []


def test_notebook_with_outputs_or_counts(tmp_path):
    with_out = _notebook(tmp_path / "out.ipynb", [MARKDOWN, _code([OUTPUT], 1)])
    with_count = _notebook(tmp_path / "count.ipynb", [_code(count=3)])
    assert guards.notebook_has_outputs(with_out)
    assert guards.notebook_has_outputs(with_count)
    problems = guards.check_notebooks_stripped([with_out, with_count])
    assert problems == [
        f"{with_out}: cell 2 has saved outputs",
        f"{with_out}: cell 2 has an execution count",
        f"{with_count}: cell 1 has an execution count",
    ]


def test_notebook_folders_are_searched_without_checkpoints(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()
    _notebook(tmp_path / "a.ipynb", [_code()])
    _notebook(tmp_path / "sub" / "b.ipynb", [_code([OUTPUT])])
    _notebook(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", [_code([OUTPUT], 2)])
    problems = guards.check_notebooks_stripped([tmp_path])
    assert problems == [f"{tmp_path / 'sub' / 'b.ipynb'}: cell 1 has saved outputs"]


def test_unreadable_notebook_is_a_problem(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert guards.notebook_has_outputs(bad)
    assert "could not be read" in guards.check_notebooks_stripped([bad])[0]
