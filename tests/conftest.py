"""Shared fixtures: the shipped synthetic study, fresh copies to break, and tidy figures."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "synthetic"
#: Published reference data the known-answer tests check against (copied from their public
#: sources into the repository, so a fresh clone runs every test; see tests/reference/README.md).
REFERENCE = ROOT / "tests" / "reference"


@pytest.fixture(scope="session")
def shipped_dir() -> Path:
    """The synthetic study shipped in data/synthetic."""
    return SHIPPED


@pytest.fixture(scope="session")
def study(shipped_dir):
    """The shipped synthetic study, loaded and validated once."""
    from srim_analysis.study.loading import load_study

    return load_study(shipped_dir)


@pytest.fixture
def study_copy(tmp_path, shipped_dir) -> Path:
    """A writable copy of the synthetic study, for tests that break it."""
    dest = tmp_path / "study"
    shutil.copytree(shipped_dir, dest)
    return dest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a run in which any test skipped: every test must run on a fresh clone."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0 and not os.environ.get("SRIM_ALLOW_SKIPS"):
        reporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped; a fresh clone must run every test "
            "(set SRIM_ALLOW_SKIPS=1 to allow skips in a local run).",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
    """Run a notebook once per (name, parameters) in this session and return its publishing."""
    done: dict[tuple, dict[str, Path]] = {}

    def run(name: str, **parameters) -> dict[str, Path]:
        key = (name, tuple(sorted((k, repr(v)) for k, v in parameters.items())))
        if key not in done:
            out = tmp_path_factory.mktemp(name)
            done[key] = execute_notebook(name, out, **parameters)
        return done[key]

    return run


#: The sites a test report covers: the whole study, an adopter and the smallest site.
REPORT_SITES = ("all", "S02", "S08")


def made_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """Return a folder ``make`` filled once for the whole test run, on any number of workers.

    Run alone, a fresh folder of this session. Under pytest-xdist (``make test`` runs two
    workers), the first worker to ask makes it in the run's shared temporary folder while
    holding a lock; the others wait and read the same folder. A failed make leaves no mark,
    so the next worker to ask tries again and fails with its own message.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def synthetic_report(tmp_path_factory) -> Path:
    """Run `srim run` once per test run (every notebook; all sites, S02, S08) into a tmp root.

    Notebook tests read the tables, figures and executed notebooks this run writes, so the
    suite pays for each notebook run once (once across workers, too: :func:`made_once`).
    """
    from srim_analysis import runner

    def make(out: Path) -> None:
        status = runner.cli(["--out", str(out), "--jobs", "2", "--force", "--site", *REPORT_SITES])
        assert status == 0, f"srim run failed (exit {status}); see {out}/reports"

    return made_once(tmp_path_factory, "report", make)


@pytest.fixture(scope="session")
def report_tables(synthetic_report):
    """Return a function reading one table the test report published."""
    from srim_analysis.report.publishing import read_published

    def read(site: str, notebook: str, name: str):
        return read_published(
            synthetic_report / "reports" / site / "tables" / f"{notebook}__{name}.csv"
        )

    return read
