"""nbval on the notebooks: they run as committed, and a rerun reproduces every output.

(a) ``pytest --nbval-lax`` runs each committed notebook, cell by cell, with its default
parameters, in a scratch project root (``SRIM_PROJECT_ROOT``), so nothing is written into
the repository's ``reports/`` or ``figures/``.

(b) Committed notebooks carry no outputs, so nbval's comparison runs on executed copies:
papermill executes each notebook (site "all", kernel ``python3``, tables and figures into a
scratch folder) and ``pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg`` then
reruns the executed copy and must reproduce every output. The sanitisers cover only paths,
clock times, memory addresses and widget model ids. nbval does not compare images
(``image/png``, ``image/jpeg``; it would need nbdime) or widget views
(``application/vnd.jupyter.widget-view+json``, whose model ids are random); it does compare
their text (a figure's ``<Figure size ...>``, a widget's repr, which holds its options,
values and rendered HTML). To cover the images too, every file the notebook published
(tables, PNG and SVG figures, the figure manifest) must be byte-identical after the rerun
(an Excel workbook: its cell values, as its bytes hold the time it was written). The
first run has ``PYTHONHASHSEED=1`` and the rerun ``2``, so an output that depends on the
iteration order of a set of strings (ties broken by chance, say) fails every time rather
than now and then.

(c) A light cross-check that each executed notebook published at least one table under
``reports/all/tables/`` and at least one figure (read from the figure manifest).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from srim_analysis.report.figures import read_manifest
from srim_analysis.report.publishing import read_published
from tests.browser_helpers import ROOT, committed_notebooks, project_env, scratch_project

pytestmark = pytest.mark.notebooks

NOTEBOOKS = committed_notebooks()
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
SITE = "all"
WORKERS = max(2, min(4, os.cpu_count() or 2))
TIMEOUT_S = 900


@dataclass
class Result:
    """One subprocess: its command, exit code, output and (for pytest) its JUnit counts."""

    cmd: list[str]
    returncode: int
    output: str
    counts: dict[str, int] | None = None
    seconds: float = 0.0

    def report(self, lines: int = 200) -> str:
        """Return the command, its result and its output from the first failure on."""
        out = self.output.splitlines()
        first = next((i for i, line in enumerate(out) if "= FAILURES =" in line), 0)
        tail = "\n".join(out[first : first + lines] if first else out[-lines:])
        return (
            f"$ {' '.join(self.cmd)}\nexit {self.returncode} after {self.seconds:.0f} s, "
            f"{self.counts}\n{tail}"
        )


def _run(cmd: list[str], cwd: Path, env: dict[str, str], junit: Path | None = None) -> Result:
    start = time.monotonic()
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    counts = None
    if junit is not None and junit.is_file():
        suite = ET.parse(junit).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    return Result(cmd, proc.returncode, proc.stdout, counts, time.monotonic() - start)


def _pytest(args: list[str], junit: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--color=no",
        "--nbval-kernel-name=python3",
        f"--junitxml={junit}",
        *args,
    ]


def _code_cells(path: Path) -> int:
    return sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)


def _parallel(jobs: dict[str, tuple]) -> dict[str, Result]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {key: pool.submit(_run, *args) for key, args in jobs.items()}
        return {key: f.result() for key, f in futures.items()}


# ---------------------------------------------------------------------------
# (a) the committed notebooks, as they are
# ---------------------------------------------------------------------------


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
def test_committed_notebooks_pass_nbval_lax(tmp_path):
    """``pytest --nbval-lax notebooks/...`` passes and collects one item per code cell.

    Run per notebook, a few at a time (each in its own pytest), to keep the time down.
    """
    project = scratch_project(tmp_path / "project", notebooks=[])
    env = project_env(project)
    jobs = {}
    for nb in NOTEBOOKS:
        junit = tmp_path / f"{nb.stem}.xml"
        rel = nb.relative_to(ROOT).as_posix()
        jobs[nb.stem] = (_pytest(["--nbval-lax", rel], junit), ROOT, env, junit)
    results = _parallel(jobs)
    print({k: round(r.seconds) for k, r in results.items()})

    failed = {k: r for k, r in results.items() if r.returncode != 0}
    assert not failed, "\n\n".join(r.report() for r in failed.values())
    for nb in NOTEBOOKS:
        counts = results[nb.stem].counts
        expected = _code_cells(nb)
        assert counts == {"tests": expected, "failures": 0, "errors": 0, "skipped": 0}, (
            f"{nb.name}: nbval collected {counts}, expected {expected} code cells passing"
        )
    # the outputs went to the scratch project, as SRIM_PROJECT_ROOT says
    for nb in NOTEBOOKS:
        assert list((project / "reports" / SITE / "tables").glob(f"{nb.stem}__*.csv")), nb.name


# ---------------------------------------------------------------------------
# (b) executed copies: a rerun reproduces every output; (c) what they published
# ---------------------------------------------------------------------------


@dataclass
class Executed:
    """One notebook executed by papermill, then rerun by nbval."""

    notebook: Path
    executed: Path
    reports_dir: Path
    figures_dir: Path
    papermill: Result | None = None
    nbval: Result | None = None
    published_before: dict[str, str] = field(default_factory=dict)
    published_after: dict[str, str] = field(default_factory=dict)


def _digest(path: Path) -> str:
    """Return a file's sha256; for a workbook, of its sheets' cell values (its bytes hold
    the time it was written)."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        text = repr([(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets])
        book.close()
        return hashlib.sha256(text.encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published(reports_dir: Path, figures_dir: Path, stem: str) -> dict[str, str]:
    """Return {relative path: digest} of every file the notebook wrote."""
    found = {}
    for base in (reports_dir, figures_dir):
        for path in sorted(base.rglob(f"*{stem}*")):
            if path.is_file():
                found[f"{base.name}/{path.relative_to(base).as_posix()}"] = _digest(path)
    return found


def _execute_and_rerun(nb: Path, base: Path, env: dict[str, str]) -> Executed:
    """Execute ``nb`` with papermill into ``base/<stem>/``, then rerun that copy with nbval."""
    work = base / nb.stem
    work.mkdir()
    run = Executed(nb, work / nb.name, work / "reports", work / "figures")
    params = {"site": SITE, "reports_dir": run.reports_dir, "figures_dir": run.figures_dir}
    cmd = [sys.executable, "-m", "papermill", str(nb), str(run.executed)]
    cmd += ["--kernel", "python3", "--cwd", str(work), "--log-level", "WARNING"]
    cmd += ["--no-progress-bar"]
    for name, value in params.items():
        cmd += ["-p", name, str(value)]
    run.papermill = _run(cmd, work, {**env, "PYTHONHASHSEED": "1"})
    if run.papermill.returncode != 0:
        return run
    run.published_before = _published(run.reports_dir, run.figures_dir, nb.stem)
    junit = work / "nbval.xml"
    args = ["--nbval", run.executed.name, f"--nbval-sanitize-with={SANITIZE}"]
    rerun = [*_pytest(args, junit), f"--rootdir={work}"]
    run.nbval = _run(rerun, work, {**env, "PYTHONHASHSEED": "2"}, junit)
    run.published_after = _published(run.reports_dir, run.figures_dir, nb.stem)
    return run


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, Executed]:
    """Each notebook executed by papermill, then at once rerun by nbval (a few at a time)."""
    base = tmp_path_factory.mktemp("nbval")
    env = project_env(scratch_project(base / "project", notebooks=[]))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {nb.stem: pool.submit(_execute_and_rerun, nb, base, env) for nb in NOTEBOOKS}
        runs = {stem: f.result() for stem, f in futures.items()}
    for stem, run in runs.items():
        took = [f"{r.seconds:.0f} s" for r in (run.papermill, run.nbval) if r is not None]
        print(f"{stem}: papermill, nbval rerun: {', '.join(took)}")
    return runs


def _papermill_ok(run: Executed) -> None:
    assert run.papermill is not None
    assert run.papermill.returncode == 0, f"papermill failed:\n{run.papermill.report()}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_rerun_reproduces_every_output(notebook: Path, executed):
    run = executed[notebook.stem]
    _papermill_ok(run)
    assert run.nbval is not None
    expected = _code_cells(run.executed)  # the notebook's cells and papermill's parameters
    assert run.nbval.returncode == 0 and run.nbval.counts == {
        "tests": expected,
        "failures": 0,
        "errors": 0,
        "skipped": 0,
    }, f"nbval rerun of {notebook.name} differs:\n{run.nbval.report()}"
    # what nbval cannot compare (figures as images), the published files show
    assert run.published_before, f"{notebook.name} published nothing"
    changed = sorted(
        k
        for k in run.published_before.keys() | run.published_after.keys()
        if run.published_before.get(k) != run.published_after.get(k)
    )
    assert not changed, f"{notebook.name}: the rerun wrote different files: {changed}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_executed_notebook_published_tables_and_figures(notebook: Path, executed):
    run = executed[notebook.stem]
    _papermill_ok(run)
    tables = sorted((run.reports_dir / SITE / "tables").glob(f"{notebook.stem}__*.csv"))
    assert tables, f"{notebook.name} published no table under reports/{SITE}/tables/"
    for table in tables:
        assert len(read_published(table).columns) > 0, f"{table.name} has no columns"
    figures = [r for r in read_manifest(run.figures_dir) if r.notebook == notebook.stem]
    assert figures, f"{notebook.name} recorded no figure in the manifest"
    for record in figures:
        assert record.site == SITE
        assert (run.figures_dir / record.png).is_file(), record.png
        assert (run.figures_dir / record.svg).is_file(), record.svg


def test_sanitisers_touch_only_paths_times_addresses_and_ids():
    """The sanitisers replace what varies between runs and leave every number alone."""
    import re

    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(SANITIZE.read_text())
    assert len(patterns) == 7

    def clean(text: str) -> str:
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    varying = {
        "/tmp/ipykernel_4242/2229258218.py:2: UserWarning": "<CELL>.py:2: UserWarning",
        "/tmp/pytest-of-root/pytest-17/nbval0/x.csv": "<TMPDIR>/nbval0/x.csv",
        "written 2026-11-25 13:31:21.123456": "written <DATETIME>",
        "<Figure at 0x7f3a2b1c9d50>": "<Figure at 0x<ADDRESS>>",
        "children=(IPY_MODEL_0123456789abcdef0123456789abcdef,)": "children=(IPY_MODEL_<ID>,)",
        '"model_id": "0123456789abcdef0123456789abcdef"': '"model_id": "<ID>"',
        "100%|██████████| 8/8 [00:03<00:00,  2.51it/s]": "100%|██████████| 8/8 [<ELAPSED>]",
    }
    for before, after in varying.items():
        assert clean(before) == after
    results = (
        "n = 617 of 773 (0.798, 95% CI 0.768 to 0.825); p = 0.0672; OR 2.44 (1.70 to 3.50); "
        "start 2024-06-03; fingerprint 9d7c3db2dd7fd356; S01 Ashcombe 162; c; 12:30"
    )
    assert clean(results) == results
