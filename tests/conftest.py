"""Shared fixtures: the shipped synthetic study, fresh copies to break, and tidy figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "synthetic"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shipped_dir() -> Path:
    """The synthetic study shipped in data/synthetic."""
    return SHIPPED


@pytest.fixture(scope="session")
def study(shipped_dir):
    """The shipped synthetic study, loaded and validated once."""
    from srim_analysis.loading import load_study

    return load_study(shipped_dir)


@pytest.fixture
def study_copy(tmp_path, shipped_dir) -> Path:
    """A writable copy of the synthetic study, for tests that break it."""
    dest = tmp_path / "study"
    shutil.copytree(shipped_dir, dest)
    return dest


@pytest.fixture(autouse=True)
def _tidy_figures_and_seed():
    np.random.seed(12345)
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
