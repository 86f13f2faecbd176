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


def execute_notebook(name: str, out_dir: Path, **parameters) -> dict[str, Path]:
    """Run notebooks/<name>.ipynb with papermill into ``out_dir``; return where things went."""
    import papermill as pm

    reports, figs = out_dir / "reports", out_dir / "figures"
    executed = out_dir / f"{name}.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(executed),
        parameters={"reports_dir": str(reports), "figures_dir": str(figs), **parameters},
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    return {"notebook": executed, "reports": reports, "figures": figs}


@pytest.fixture(scope="session")
def run_notebook(tmp_path_factory):
    """Run a notebook once per (name, parameters) in this session and return its outputs."""
    done: dict[tuple, dict[str, Path]] = {}

    def run(name: str, **parameters) -> dict[str, Path]:
        key = (name, tuple(sorted((k, repr(v)) for k, v in parameters.items())))
        if key not in done:
            out = tmp_path_factory.mktemp(name)
            done[key] = execute_notebook(name, out, **parameters)
        return done[key]

    return run
