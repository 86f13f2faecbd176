"""Each notebook, opened in JupyterLab in a real browser, runs cleanly and its widgets work;
the HTML report reads cleanly in a browser.

A researcher's view: JupyterLab (this environment, kernel ``python3``) serves a git clone of
the project set up as `make` leaves it (see ``browser_helpers.lab_checkout``), Debian's
chromium opens each notebook in place, Run > Run All Cells runs it, and the test checks what
the page shows: every code cell has an execution count, no cell shows an error, every widget
is drawn, and changing each dropdown (the sites' too) changes what its widgets show. The
notebook is then saved in place, as JupyterLab does, and the clone's `git status` must stay
clean. A full-height screenshot of each notebook goes to the scratch
project's ``reports/screenshots/<notebook>.png`` (copied to the repository's
``reports/screenshots/`` when ``SRIM_KEEP_SCREENSHOTS=1``).

The control tests prove the checks can fail: small notebooks written here with a failing
cell, a syntax error, a dropdown that drives nothing and a widget that cannot be drawn must
each be reported.

The HTML report (the session's test report, ``synthetic_report``: no extra run) is opened
page by page, the index and one page per notebook: no absolute path of the machine in text or
links, no empty output area, alt text on every image, every contents link names a heading of
the page. Screenshots go beside the report (``<out>/reports/screenshots/``) for a person.

If chromium is missing or cannot start, the tests fail (they do not skip): install it with
``make browser``. Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.browser_helpers import (
    ABSOLUTE_PATHS,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    ROOT,
    JupyterLab,
    Pipeline,
    assert_ran_cleanly,
    check_page,
    chromium_path,
    committed_notebooks,
    git,
    lab_checkout,
    open_lab,
    page_problems,
    problems,
    project_env,
    run_notebook,
)

pytestmark = pytest.mark.browser

NOTEBOOKS = committed_notebooks()
# Notebooks 01-04 each carry an interactive explorer (a dropdown driving what is shown).
WITH_DROPDOWN = ("01_", "02_", "03_", "04_")


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright; fails (never skips) if it cannot start."""
    from playwright.sync_api import Error, sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"{CHROMIUM_MISSING}\n{executable} would not start: {exc}", pytrace=False)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A git clone of the project as a researcher has it after `make`; outputs stay in it."""
    root = lab_checkout(tmp_path_factory.mktemp("browser") / "project")
    (root / "controls").mkdir()
    return root


@pytest.fixture(scope="module")
def lab(browser, project, tmp_path_factory):
    """JupyterLab serving the scratch project; shut down (kernels too) whatever happens."""
    with JupyterLab(project, tmp_path_factory.mktemp("jupyter"), project_env(project)) as server:
        yield server


@pytest.fixture(scope="module")
def pipeline(browser, lab, request):
    """Two JupyterLab pages running the selected notebooks in order, two at a time."""
    selected = [
        item.callspec.params["notebook"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_notebook_runs_in_jupyterlab"
    ]
    pages = [open_lab(browser, lab, f"notebooks-{i}") for i in range(2)]
    try:
        yield Pipeline(pages, [f"notebooks/{nb.name}" for nb in selected])
    finally:
        for p in pages:
            p.context.close()


@pytest.fixture(scope="module")
def page(browser, lab):
    """A JupyterLab page for the control notebooks."""
    lab_page = open_lab(browser, lab, "controls")
    try:
        yield lab_page
    finally:
        lab_page.context.close()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(notebook: Path, pipeline, project: Path):
    shot = project / "reports" / "screenshots" / f"{notebook.stem}.png"
    run = pipeline.run(f"notebooks/{notebook.name}", screenshot=shot, save=True)
    if os.environ.get("SRIM_KEEP_SCREENSHOTS") == "1" and shot.is_file():
        keep = ROOT / "reports" / "screenshots"
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, keep / shot.name)
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items())
    print(f"\n{notebook.stem}: {timing}; dropdown changes: {run.changes}")

    assert_ran_cleanly(run)
    assert run.ran_all is True, f"Run All Cells reported {run.ran_all!r}"
    assert shot.is_file() and shot.stat().st_size > 10_000
    # the notebook published into the scratch project (SRIM_PROJECT_ROOT), not the repo
    assert list((project / "reports").glob(f"*/tables/{notebook.stem}__*.csv"))
    if notebook.name.startswith(WITH_DROPDOWN):
        assert run.dropdowns >= 1, f"{notebook.name} shows no dropdown"
        assert run.changes and all(c.changed for c in run.changes)
    # JupyterLab saved the notebook in place, outputs and all, yet the repository is clean:
    # the git filter `make` sets up strips what was saved; nothing else was written.
    saved = nbformat.read(project / "notebooks" / notebook.name, as_version=4)
    assert any(c.get("outputs") for c in saved.cells if c.cell_type == "code")
    assert git(project, "diff") == ""
    git(project, "add", "--all")
    assert git(project, "status", "--porcelain") == ""


def _control(project: Path, name: str, cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, project / "controls" / name)
    return f"controls/{name}"


WARNING_CELL = (
    "import sys, warnings\n"
    "warnings.warn('only a warning')\n"
    "print('ordinary text on stderr', file=sys.stderr)"
)


@pytest.mark.parametrize(
    ("failing_cell", "expected"),
    [
        ("raise ValueError('deliberate failure for the browser test')", "ValueError"),
        ("x = (1,\n     2", "SyntaxError"),
    ],
    ids=["exception", "syntax-error"],
)
def test_a_failing_cell_is_detected(failing_cell, expected, page, project):
    """The checks must catch an error (in the page and in the model), not a warning."""
    name = f"control_{expected.lower()}.ipynb"
    path = _control(project, name, [WARNING_CELL, "y = 1", failing_cell, "print('never run')"])
    run = run_notebook(page, path)

    assert run.ran_all is False
    assert len(run.dom_errors) == 1 and expected in run.dom_errors[0]
    assert len(run.model_errors) == 1 and run.model_errors[0].startswith(f"cell 2: {expected}")
    assert run.unexecuted == [3]
    # the warning and the stderr text are shown, but are not errors
    shown = "\n".join(o["text"] for o in run.cells[0]["outputs"])
    assert "only a warning" in shown and "ordinary text on stderr" in shown
    assert not any("only a warning" in e for e in run.dom_errors)
    with pytest.raises(AssertionError, match=expected):
        assert_ran_cleanly(run)


def test_a_dead_dropdown_and_a_broken_widget_are_detected(page, project):
    """A dropdown driving an Output passes; one driving nothing, or an undrawable widget, fail."""
    live = (
        "import ipywidgets as w\n"
        "live = w.Dropdown(options=['a', 'b', 'c'], value='a', description='Live:')\n"
        "out = w.Output()\n"
        "def show(change):\n"
        "    out.clear_output()\n"
        "    with out:\n"
        "        print('chosen:', change['new'])\n"
        "live.observe(show, names='value')\n"
        "with out:\n"
        "    print('chosen: a')\n"
        "w.VBox([live, out])"
    )
    dead = (
        "dead = w.Dropdown(options=['x', 'y'], value='x', description='Dead:')\n"
        "w.VBox([dead, w.HTML('<b>nothing changes this</b>')])"
    )
    broken = (
        "from IPython.display import display\n"
        "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'f' * 32,\n"
        "         'version_major': 2, 'version_minor': 0}, 'text/plain': 'gone'}, raw=True)"
    )
    path = _control(project, "control_widgets.ipynb", [live, dead, broken])
    run = run_notebook(page, path)

    assert run.dropdowns == 2
    assert [c.changed for c in run.changes] == [True, False]
    assert "chosen: b" in run.cells[0]["outputs"][0]["text"]
    found = problems(run)
    assert any("changing dropdown 1 from 'x' to 'y' changed nothing" in p for p in found)
    assert any("widget" in p and ("failed to display" in p or "no rendered" in p) for p in found)
    assert not any("dropdown 0" in p for p in found)
    assert not run.dom_errors and not run.model_errors


# ---------------------------------------------------------------------------
# The HTML report as a reader opens it
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(browser):
    """A plain browser page (no JupyterLab) for reading the HTML report."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    try:
        yield context.new_page()
    finally:
        context.close()


def _report_pages(out: Path) -> list[tuple[str, Path]]:
    """Return the index and, per notebook, its all-sites page (or a site's if none)."""
    reports = out / "reports"
    found = [("index", reports / "index.html")]
    for notebook in NOTEBOOKS:
        pages = sorted(reports.glob(f"*/{notebook.stem}.html"))
        pages.sort(key=lambda p: p.parent.name != "all")
        if pages:
            found.append((f"{pages[0].parent.name}-{notebook.stem}", pages[0]))
    # and one site page, to see the links to the other sites
    found += [
        (f"{p.parent.name}-{p.stem}", p)
        for p in sorted(reports.glob(f"*/{NOTEBOOKS[1].stem}.html"))
        if p.parent.name != "all"
    ][:1]
    return found


def test_the_html_report_reads_cleanly_in_a_browser(synthetic_report: Path, reader):
    shots = synthetic_report / "reports" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pages = _report_pages(synthetic_report)
    assert len(pages) == 2 + len(NOTEBOOKS), [n for n, _ in pages]
    found = []
    for name, path in pages:
        check = check_page(reader, path.as_uri(), name)
        found += page_problems(check, (*ABSOLUTE_PATHS, str(synthetic_report)))
        reader.screenshot(path=str(shots / f"{name}.png"))
        if name == "index":
            assert "Sites at a glance" in check.text
            continue
        assert check.contents, f"{name}: no contents list"
        assert "Glossary" in check.text and "Report index" in check.text
        if not name.startswith("all-"):
            assert "This notebook for:" in check.text and "All sites" in check.text
    assert not found, "\n".join(found)
    assert len(list(shots.glob("*.png"))) == len(pages)


def test_the_page_checks_catch_what_a_reader_would_see_go_wrong(tmp_path, reader):
    """Control: a page with each fault is caught, fault by fault; a clean one passes."""
    page = tmp_path / "faulty.html"
    page.write_text(
        "<html><body><nav class='srim-contents'><a href='#there'>There</a>"
        "<a href='#nowhere'>Nowhere</a></nav><h2 id='there'>There</h2>"
        "<p>Tables in /tmp/run/reports/all/tables.</p><a href='/work/main/x.csv'>x</a>"
        "<div class='jp-OutputArea-output'> </div>"
        "<img src='x.png'><img src='y.png' alt='No description has been provided for this "
        "image'><img src='z.png' alt='A chart of sites.'></body></html>",
        encoding="utf-8",
    )
    found = page_problems(check_page(reader, page.as_uri(), "faulty"))
    assert any("absolute path in the text" in f and "/tmp/run" in f for f in found)
    assert any("absolute link '/work/main/x.csv'" in f for f in found)
    assert sum("an empty output area" in f for f in found) == 1
    assert sum("without alt text" in f for f in found) == 2
    assert any("contents link to no heading: #nowhere" in f for f in found)
    assert len(found) == 6, found
    clean = tmp_path / "clean.html"
    clean.write_text(
        "<html><body><nav class='srim-contents'><a href='#there'>There</a></nav>"
        "<h2 id='there'>There</h2><div class='jp-OutputArea-output'><p>Text</p></div>"
        "<img src='z.png' alt='A chart of sites.'></body></html>",
        encoding="utf-8",
    )
    assert page_problems(check_page(reader, clean.as_uri(), "clean")) == []
