"""Tests for the guard rails in srim_analysis.disclosure: keys, output folders, notebooks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from srim_analysis import disclosure as d

GOOD_KEY = "k" * 32

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def no_key_env(monkeypatch):
    monkeypatch.delenv(d.KEY_ENV_VAR, raising=False)
    monkeypatch.delenv(d.KEY_FILE_ENV_VAR, raising=False)
    return monkeypatch


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder in no git work tree (skip if the temporary folder is inside one)."""
    if d._git_root_by_walking(tmp_path) is not None:
        pytest.skip("the temporary folder is inside a git work tree")
    return tmp_path


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
# load_key
# --------------------------------------------------------------------------------------


def test_key_from_environment(no_key_env):
    no_key_env.setenv(d.KEY_ENV_VAR, f"  {GOOD_KEY}\n")
    assert d.load_key(required=True) == GOOD_KEY.encode()


def test_key_from_file_outside_git(no_key_env, outside):
    f = outside / "srim.key"
    f.write_bytes(GOOD_KEY.encode() + b"\n")
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(f))
    assert d.load_key(required=True) == GOOD_KEY.encode()


def test_missing_key(no_key_env):
    assert d.load_key(required=False) is None
    with pytest.raises(d.MissingKeyError, match=d.KEY_FILE_ENV_VAR):
        d.load_key(required=True)


def test_key_file_that_does_not_exist(no_key_env, outside):
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(outside / "nope.key"))
    with pytest.raises(d.MissingKeyError, match="not a file"):
        d.load_key(required=False)


def test_empty_key_file(no_key_env, outside):
    f = outside / "empty.key"
    f.write_text("\n", encoding="utf-8")
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(d.MissingKeyError):
        d.load_key(required=True)


def test_short_key_refused(no_key_env):
    no_key_env.setenv(d.KEY_ENV_VAR, "short")
    with pytest.raises(d.UnsafeKeyError, match="at least 16"):
        d.load_key(required=False)


def test_both_key_settings_refused(no_key_env, outside):
    f = outside / "srim.key"
    f.write_text(GOOD_KEY, encoding="utf-8")
    no_key_env.setenv(d.KEY_ENV_VAR, GOOD_KEY)
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(d.UnsafeKeyError, match="Set only one"):
        d.load_key(required=True)


def test_key_file_inside_a_work_tree_refused(no_key_env, outside):
    tree = outside / "project"
    (tree / ".git").mkdir(parents=True)
    (tree / "config").mkdir()
    f = tree / "config" / "srim.key"
    f.write_text(GOOD_KEY, encoding="utf-8")
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(d.UnsafeKeyError, match="inside the git work tree"):
        d.load_key(required=True)


def test_key_file_reached_through_a_symlink_into_a_work_tree_refused(no_key_env, outside):
    tree = outside / "project"
    (tree / ".git").mkdir(parents=True)
    real = tree / "srim.key"
    real.write_text(GOOD_KEY, encoding="utf-8")
    link = outside / "link.key"
    link.symlink_to(real)
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(link))
    with pytest.raises(d.UnsafeKeyError):
        d.load_key(required=True)


def test_worktree_git_file_counts(no_key_env, outside):
    tree = outside / "wt"
    tree.mkdir()
    (tree / ".git").write_text("gitdir: /elsewhere\n", encoding="utf-8")  # a linked worktree
    f = tree / "srim.key"
    f.write_text(GOOD_KEY, encoding="utf-8")
    no_key_env.setenv(d.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(d.UnsafeKeyError):
        d.load_key(required=True)


# --------------------------------------------------------------------------------------
# assert_safe_output_dir
# --------------------------------------------------------------------------------------


def test_synthetic_outputs_may_go_anywhere(repo):
    d.assert_safe_output_dir(repo, data_is_real=False)
    d.assert_safe_output_dir(repo / "notebooks", data_is_real=False)


@needs_git
def test_ignored_folder_is_fine_even_before_it_exists(repo):
    d.assert_safe_output_dir(repo / "data" / "private" / "run-1", data_is_real=True)
    d.assert_safe_output_dir(repo / "reports", data_is_real=True)
    (repo / "reports").mkdir()
    d.assert_safe_output_dir(repo / "reports", data_is_real=True)


@needs_git
def test_folder_not_ignored_is_refused(repo):
    with pytest.raises(d.UnsafeOutputError, match="does not ignore"):
        d.assert_safe_output_dir(repo / "outputs", data_is_real=True)


@needs_git
def test_tracked_folder_is_refused(repo):
    with pytest.raises(d.UnsafeOutputError, match="tracks files"):
        d.assert_safe_output_dir(repo / "notebooks", data_is_real=True)


@needs_git
def test_tracked_file_inside_ignored_folder_is_refused(repo):
    (repo / "reports").mkdir()
    (repo / "reports" / "old.csv").write_text("n\n12\n", encoding="utf-8")
    _git(repo, "add", "-f", "reports/old.csv")
    with pytest.raises(d.UnsafeOutputError, match="tracks files"):
        d.assert_safe_output_dir(repo / "reports", data_is_real=True)


@needs_git
def test_repository_root_is_refused(repo):
    with pytest.raises(d.UnsafeOutputError, match="root of the git repository"):
        d.assert_safe_output_dir(repo, data_is_real=True)


@needs_git
def test_symlink_into_the_repository_is_followed(repo, outside):
    link = outside / "out-link"
    link.symlink_to(repo / "notebooks", target_is_directory=True)
    with pytest.raises(d.UnsafeOutputError):
        d.assert_safe_output_dir(link, data_is_real=True)


def test_folder_outside_any_repository_is_fine(outside):
    d.assert_safe_output_dir(outside / "private-outputs", data_is_real=True)


def test_without_git_inside_a_work_tree_is_refused(repo, monkeypatch):
    monkeypatch.setattr(d.shutil, "which", lambda name: None)
    with pytest.raises(d.UnsafeOutputError, match="git is not available"):
        d.assert_safe_output_dir(repo / "data" / "private", data_is_real=True)


def test_without_git_outside_a_work_tree_is_fine(outside, monkeypatch):
    monkeypatch.setattr(d.shutil, "which", lambda name: None)
    d.assert_safe_output_dir(outside / "out", data_is_real=True)


def test_git_failing_inside_a_work_tree_is_refused(outside, monkeypatch):
    tree = outside / "broken"
    (tree / ".git").mkdir(parents=True)  # not a real repository: git rev-parse fails
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    with pytest.raises(d.UnsafeOutputError, match="could not check"):
        d.assert_safe_output_dir(tree / "out", data_is_real=True)


def test_git_environment_variables_do_not_leak_in(repo, monkeypatch):
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    d.assert_safe_output_dir(repo / "reports", data_is_real=True)
    with pytest.raises(d.UnsafeOutputError):
        d.assert_safe_output_dir(repo / "outputs", data_is_real=True)


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
    assert not d.notebook_has_outputs(nb)
    assert d.check_notebooks_stripped([nb]) == []


def test_notebook_with_outputs_or_counts(tmp_path):
    with_out = _notebook(tmp_path / "out.ipynb", [MARKDOWN, _code([OUTPUT], 1)])
    with_count = _notebook(tmp_path / "count.ipynb", [_code(count=3)])
    assert d.notebook_has_outputs(with_out)
    assert d.notebook_has_outputs(with_count)
    problems = d.check_notebooks_stripped([with_out, with_count])
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
    problems = d.check_notebooks_stripped([tmp_path])
    assert problems == [f"{tmp_path / 'sub' / 'b.ipynb'}: cell 1 has saved outputs"]


def test_unreadable_notebook_is_a_problem(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert d.notebook_has_outputs(bad)
    assert "could not be read" in d.check_notebooks_stripped([bad])[0]
