"""What the runner tests share: a small study, a project of fixture notebooks, quiet runs.

The notebooks run here are the tiny fixtures in tests/fixtures/notebooks/ (they import
nothing heavy); the data are three sites of the synthetic study.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from srim_analysis import paths
from srim_analysis.layout import RunLayout
from srim_analysis.runner import kernels, planning
from srim_analysis.runner.config import Config
from srim_analysis.runner.record import RunSummary
from srim_analysis.runner.run import run_report
from srim_analysis.study import synthetic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
SITES = ("S01", "S02", "S03")


@pytest.fixture(autouse=True)
def _stable_code_fingerprint(monkeypatch):
    # the library's source is part of every run's key; others may edit it while tests run
    monkeypatch.setattr(planning, "code_fingerprint", lambda: "test-code")


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory) -> Path:
    """A small synthetic study folder: the marker and the first three sites."""
    full = tmp_path_factory.mktemp("synthetic")
    synthetic.write_study(full)
    small = tmp_path_factory.mktemp("study")
    lines = (full / "sites.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (small / "sites.csv").write_text("".join(lines[: 2 + len(SITES)]), encoding="utf-8")
    # the marker only: the plan's recruitment targets name sites this small study lacks
    marker = tomllib.loads((full / "study.toml").read_text(encoding="utf-8"))
    (small / "study.toml").write_text(
        f"kind = {json.dumps(marker['kind'])}\nname = {json.dumps(marker['name'])}\n",
        encoding="utf-8",
    )
    return small


def make_project(root: Path, study_dir: Path, **settings) -> Config:
    """A project folder with a copy of the fixture notebooks; returns its settings."""
    nb_dir = root / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    for nb in FIXTURES.glob("*.ipynb"):
        shutil.copy(nb, nb_dir / nb.name)
    base = Config(
        root=paths.ROOT,
        data=study_dir,
        out=root / "out",
        notebooks_dir=nb_dir,
        jobs=2,
    )
    return base.replace(**settings)


@pytest.fixture
def project(tmp_path, study_dir) -> Config:
    """Settings for a fresh project in a temporary folder."""
    return make_project(tmp_path / "project", study_dir)


def write_settings(config: Config, text: str = "") -> Path:
    """Write a srim.toml for ``config`` (plus ``text``) and return its path."""
    path = config.notebooks_dir.parent / "srim.toml"
    path.write_text(
        f"[run]\ndata = '{config.data}'\nout = '{config.out}'\n"
        f"notebooks_dir = '{config.notebooks_dir}'\njobs = {config.jobs}\n{text}",
        encoding="utf-8",
    )
    return path


def run(config: Config, **kwargs) -> RunSummary:
    """Run quietly, keeping the worker processes (and their warm kernels) for the next test."""
    return run_report(config, progress=False, echo=None, keep_workers=True, **kwargs)


@pytest.fixture(scope="module", autouse=True)
def _stop_workers_at_the_end():
    yield
    kernels.shutdown_workers()


@pytest.fixture(scope="session")
def full_run(tmp_path_factory, study_dir):
    """Every fixture notebook for every site, two at a time, with parameters from all layers."""
    root = tmp_path_factory.mktemp("full")
    config = make_project(
        root,
        study_dir,
        parameters={"greeting": "hi", "min_cell": 7},
        notebook_parameters={"01_cross": {"label": "from-settings"}},
    )
    summary = run(config, parameters={"00.factor": "3", "min_cell": "8"})
    return config, summary


def table(out: Path, site: str, name: str) -> dict[str, str]:
    """Return a name,value table written by the 00_echo fixture."""
    text = RunLayout.under(out).table(site, "00_echo", name).read_text()
    rows = [line.split(",", 1) for line in text.splitlines()[1:]]
    return dict(rows)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under ``folder`` (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_no_partial_files(out: Path) -> None:
    """No temporary files, and every notebook and JSON file parses."""
    for path in out.rglob("*"):
        if not path.is_file() or ".staging" in path.parts:
            continue
        assert not path.name.endswith(".tmp"), f"temporary file left: {path}"
        if path.suffix in (".ipynb", ".json"):
            json.loads(path.read_text(encoding="utf-8"))
