"""Fixtures shared by the disclosure tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from srim_analysis.disclosure.guards import git_work_tree_root


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder in no git work tree (skip if the temporary folder is inside one)."""
    if git_work_tree_root(tmp_path) is not None:
        pytest.skip("the temporary folder is inside a git work tree")
    return tmp_path
