"""The project root is the project the user works in, not where the package is installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import srim_analysis
from srim_analysis import paths

ROOT = Path(__file__).resolve().parents[1]


def _root_seen_from(cwd: Path, **env: str) -> tuple[Path, Path, str]:
    """Return (paths.ROOT, the package's folder, stderr) of a fresh Python started in ``cwd``."""
    environ = {k: v for k, v in os.environ.items() if k != "SRIM_PROJECT_ROOT"} | env
    code = "import srim_analysis as s, srim_analysis.paths as p; print(p.ROOT); print(s.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    root, package = out.stdout.splitlines()
    return Path(root), Path(package).parent, out.stderr


def _checkout(folder: Path) -> Path:
    (folder / "notebooks").mkdir(parents=True)
    (folder / "srim.toml").write_text("[run]\n", encoding="utf-8")
    return folder.resolve()


def test_a_second_checkout_resolves_to_itself_not_to_the_installed_package(tmp_path):
    other = _checkout(tmp_path / "second-checkout")
    for cwd in (other, other / "notebooks"):
        root, package, _ = _root_seen_from(cwd)
        assert root == other
        assert other not in package.parents  # the package is installed from elsewhere


def test_the_environment_variable_wins(tmp_path):
    other = _checkout(tmp_path / "second-checkout")
    named = tmp_path / "named"
    named.mkdir()
    root, _, _ = _root_seen_from(other, SRIM_PROJECT_ROOT=str(named))
    assert root == named.resolve()
    assert paths.project_root(other, {"SRIM_PROJECT_ROOT": str(named)}) == named.resolve()


def test_the_nearest_project_above_the_working_directory(tmp_path):
    outer = _checkout(tmp_path / "outer")
    inner = outer / "sub" / "inner"
    (inner / "notebooks").mkdir(parents=True)
    (inner / "pyproject.toml").write_text("", encoding="utf-8")
    deep = inner / "notebooks" / "lab"
    deep.mkdir()
    assert paths.project_root(deep, {}) == inner
    assert paths.project_root(outer / "sub", {}) == outer
    assert paths.find_project(outer / "sub") == outer


def test_pyproject_alone_is_not_a_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    assert not paths.is_project(tmp_path)
    assert paths.find_project(tmp_path) is None


def test_no_project_falls_back_to_the_working_directory_with_a_message(tmp_path):
    with pytest.warns(UserWarning, match="no project found"):
        assert paths.project_root(tmp_path, {}) == tmp_path.resolve()
    root, _, stderr = _root_seen_from(tmp_path)
    assert root == tmp_path.resolve()
    assert "no project found" in stderr and "SRIM_PROJECT_ROOT" in stderr


def test_tests_run_from_the_repository_resolve_to_it():
    if os.environ.get("SRIM_PROJECT_ROOT"):
        pytest.skip("SRIM_PROJECT_ROOT is set for this session")
    assert paths.ROOT == ROOT
    assert paths.NOTEBOOKS_DIR == ROOT / "notebooks"
    assert Path(srim_analysis.__file__).resolve().parent == ROOT / "srim_analysis"
