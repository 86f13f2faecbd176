"""A whole `srim run`: parameters arrive, outputs are indexed, unchanged runs are skipped, a
failed run keeps the last good outputs."""

from __future__ import annotations

import json
import os
import time

import nbformat
import psutil
import pytest

from srim_analysis.layout import RunLayout
from srim_analysis.runner import kernels, planning
from srim_analysis.runner.command import cli
from srim_analysis.runner.errors import RunError
from srim_analysis.runner.run import run_report
from tests.runner.conftest import SITES, run, snapshot, table, write_settings
from tests.runner.test_index import assert_links_resolve


def test_an_output_folder_that_is_a_file_is_refused(project, tmp_path):
    clash = tmp_path / "out-file"
    clash.write_text("not a folder")
    config = project.replace(out=clash)
    with pytest.raises(RunError, match=r"out-file is a file, not a folder"):
        run(config)
    assert clash.read_text() == "not a folder"


def test_an_empty_notebooks_folder_is_refused(project, tmp_path):
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(RunError, match="No notebooks"):
        run_report(project.replace(notebooks_dir=empty), echo=None)


@pytest.mark.notebooks
def test_parameters_arrive_in_the_executed_notebooks(full_run):
    config, summary = full_run
    assert summary.exit_code == 0, summary.table()
    assert len(summary.ran) == 4 + 1 + 4
    out = config.out
    params = table(out, "S02", "params")
    assert params["site"] == "S02"
    assert params["greeting"] == "hi"  # [parameters]
    assert params["factor"] == "3" and params["product"] == "63"  # -p 00.factor
    assert params["min_cell"] == "8"  # -p beats [parameters]
    assert params["cwd"] == "notebooks"  # run from the notebooks folder
    cross = (out / "reports" / "all" / "tables" / "01_cross__summary.csv").read_text()
    assert "all,from-settings,8" in cross  # [notebooks.01_cross]
    nb = nbformat.read(out / "reports" / "S02" / "00_echo.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'site = "S02"' in injected.source and "factor = 3" in injected.source
    # the executed notebook shows the real output folders, not the staging folder
    assert f'reports_dir = "{config.reports_dir}"' in injected.source
    assert ".staging" not in injected.source
    assert not (config.reports_dir / ".staging").exists()


@pytest.mark.notebooks
def test_index_links_resolve_to_files_that_exist(full_run):
    config, _ = full_run
    page = config.reports_dir / "index.html"
    links = assert_links_resolve(page)
    text = page.read_text(encoding="utf-8")
    assert "Synthetic data" in text
    for site in ("all", *SITES):
        assert f"{site}/00_echo.html" in links and f"{site}/00_echo.ipynb" in links
        assert f"../figures/{site}/00_echo__echo.png" in links
    assert "../figures/all/01_cross__second.png" in links
    assert "Echo of the parameters for S03" in text
    assert "OK: ran in this run" in text
    assert "run-record.json" in links


@pytest.mark.notebooks
def test_unchanged_runs_are_skipped_and_force_reruns(project):
    config = project.replace(notebooks=["01"])
    first = run(config)
    assert [r.status for r in first.results] == ["ok"]
    before = snapshot(config.out)

    again = run(config)  # nothing changed: nothing runs, nothing is rewritten
    assert [r.status for r in again.results] == ["skipped"]
    assert again.results[0].made_by == first.run_id
    assert "up to date" in again.table()
    assert {k: v for k, v in snapshot(config.out).items() if "/logs/" in f"/{k}"} == {
        k: v for k, v in before.items() if "/logs/" in f"/{k}"
    }
    assert snapshot(config.out / "figures") == {
        k.removeprefix("figures/"): v for k, v in before.items() if k.startswith("figures/")
    }

    # the notebook changes (and the code is asked for): it reruns, in a fresh kernel
    path = config.notebooks_dir / "01_cross.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new closing note."))
    nbformat.write(nb, path)
    (config.out / "figures" / "all" / "01_cross__second.svg").unlink()
    edited = run(config.replace(with_code=True, fresh_kernels=True))
    assert [r.status for r in edited.results] == ["ok"]
    html = (config.reports_dir / "all" / "01_cross.html").read_text(encoding="utf-8")
    assert '<span class="n">publish_table</span>' in html  # the code is shown
    assert "A new closing note." in html
    assert (config.out / "figures" / "all" / "01_cross__second.svg").is_file()

    forced = run(config.replace(with_code=True), force=True)
    assert [r.status for r in forced.results] == ["ok"]
    assert forced.results[0].made_by is None

    # an output that disappears makes the run due again
    notebooks = planning.discover_notebooks(config.notebooks_dir)
    study = planning.read_study(config.data)
    with_code = config.replace(with_code=True)
    (spec,) = planning.plan_runs(with_code, notebooks, notebooks[1:2], study, ["all"])
    assert planning.up_to_date(with_code, spec) is not None
    (config.reports_dir / "all" / "tables" / "01_cross__summary.csv").unlink()
    assert planning.up_to_date(with_code, spec) is None


@pytest.mark.notebooks
def test_a_failing_notebook_is_reported_and_the_last_good_outputs_kept(project, capsys):
    settings = write_settings(project)
    base = ["--config", str(settings), "--notebook", "02", "--site", "S01,S02"]
    assert run(project.replace(notebooks=["02"], sites=["S01", "S02"])).exit_code == 0
    good = snapshot(project.reports_dir / "S02")
    good_figures = snapshot(project.out / "figures" / "S02")
    capsys.readouterr()

    status = cli([*base, "-p", "fail_site=S02"])
    printed = capsys.readouterr().out
    assert status == 1
    failed_line = next(line for line in printed.splitlines() if line.startswith("FAILED"))
    assert "02_fails" in failed_line and "S02" in failed_line
    assert "ValueError: planned failure for site S02 (cell [" in failed_line
    assert "S02/02_fails.failed.ipynb" in printed
    assert "stale" in printed.lower()
    assert "1 ran, 0 up to date, 1 failed" in printed

    # the last good outputs are untouched; the failed notebook is kept beside them
    after = snapshot(project.reports_dir / "S02")
    for name, data in good.items():
        if "/logs/" not in f"/{name}":
            assert after[name] == data, f"{name} was replaced by a failed run"
    assert snapshot(project.out / "figures" / "S02") == good_figures
    layout = RunLayout.under(project.out)
    failed_nb = nbformat.read(layout.failed_executed("S02", "02_fails"), 4)
    assert "planned failure" in json.dumps(failed_nb.cells[-1].get("outputs", []))
    assert layout.failed_html("S02", "02_fails").is_file()
    assert "planned failure" in layout.log("S02", "02_fails").read_text()
    # the others ran with the new parameter
    assert "S01,S02" in (project.reports_dir / "S01" / "tables" / "02_fails__ok.csv").read_text()

    record = json.loads((project.reports_dir / "run-record.json").read_text())
    failed = next(r for r in record["runs"] if r["site"] == "S02" and r["notebook"] == "02_fails")
    assert failed["status"] == "failed" and failed["stale_outputs"] is True
    assert failed["error"] == "ValueError: planned failure for site S02"
    index = project.reports_dir / "index.html"
    assert_links_resolve(index)
    text = index.read_text()
    assert "planned failure for site S02" in text and "<b>Stale:</b>" in text


LEAKY_TABLE = "role,n_interview,n_focus_group,n_total\\nmanager,7,c,9\\n"


def write_leaky_notebook(config) -> str:
    """Add a notebook that publishes a table with a recoverable hidden cell; return its name."""
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        'site = "all"\ndata_dir = "data/synthetic"\nreports_dir = "reports"\n'
        'figures_dir = "figures"\nmin_cell = 5\n'
    )
    parameters.metadata["tags"] = ["parameters"]
    publish = nbformat.v4.new_code_cell(
        "from pathlib import Path\n\n"
        'path = Path(reports_dir) / site / "tables" / "03_leaky__roles.csv"\n'
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        f'path.write_text("# Roles\\n{LEAKY_TABLE}")\n'
    )
    nb.cells = [nbformat.v4.new_markdown_cell("# Leaky\n\nA test fixture."), parameters, publish]
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["srim"] = {"title": "Leaky", "per_site": True}
    nbformat.write(nb, config.notebooks_dir / "03_leaky.ipynb")
    return "03_leaky"


@pytest.mark.notebooks
def test_a_run_whose_outputs_fail_the_disclosure_audit_is_not_ok(project, capsys):
    write_leaky_notebook(project)
    settings = write_settings(project)
    status = cli(["--config", str(settings), "--notebook", "03", "--site", "S01"])
    captured = capsys.readouterr()
    printed = captured.out
    assert status == 1, captured.err
    assert "reports/S01/tables/03_leaky__roles.csv:3:n_focus_group c recoverable" in printed
    assert "Disclosure audit: 1 finding(s)" in printed and "NOT ok" in printed
    assert "1 ran, 0 up to date, 0 failed" in printed  # the notebook ran; the run is not ok
    layout = RunLayout.under(project.out)
    assert "03_leaky__roles.csv,3,n_focus_group,c,recoverable" in (
        layout.disclosure_audit.read_text()
    )
    record = json.loads(layout.record.read_text())
    assert record["disclosure_audit"]["ok"] is False
    assert record["disclosure_audit"]["findings"] == 1
    assert record["disclosure_audit"]["file"] == "reports/disclosure-audit.csv"


@pytest.mark.notebooks
def test_a_clean_run_passes_the_disclosure_audit(full_run):
    config, summary = full_run
    assert summary.audit_findings == 0 and summary.exit_code == 0
    assert "Disclosure audit: 0 finding(s)" in summary.table()
    record = json.loads(RunLayout.under(config.out).record.read_text())
    assert record["disclosure_audit"]["ok"] is True


@pytest.mark.notebooks
def test_back_to_back_runs_always_finish_and_stop_their_workers(project):
    """The stress loop of issue #21: short runs one after another, each closing its pool.

    A run once printed every notebook ``ok`` and then never ended (a worker that did not
    stop). Each run here must end with its summary within a bound of its own runs' time,
    leave no worker or kernel behind, and say nothing about stopped workers unless one was.
    """
    config = project.replace(notebooks=["00_echo", "01_cross"], sites=SITES[:2])
    kernels.shutdown_workers()  # workers other tests kept are not this test's
    before = _workers_and_kernels()
    for attempt in range(3):
        said: list[str] = []
        t0 = time.monotonic()
        summary = run_report(config, force=True, progress=False, echo=said.append)
        elapsed = time.monotonic() - t0
        assert summary.exit_code == 0, summary.table()
        assert len(summary.ran) == len(summary.results) >= 2
        slowest = max(r.duration for r in summary.ran)
        bound = len(summary.ran) * slowest + kernels.STOP_GRACE_S + 60
        assert elapsed < bound, f"attempt {attempt}: {elapsed:.0f} s > bound {bound:.0f} s"
        assert not [s for s in said if "did not stop" in s]
        left = _workers_and_kernels() - before
        assert not left, f"attempt {attempt}: workers or kernels left running: {left}"


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _workers_and_kernels() -> set[int]:
    """Return the pids of this process's pool workers (forked by its forkserver) and kernels."""
    found: set[int] = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if "forkserver" in cmd and proc.ppid() == os.getpid():
            found |= {c.pid for c in proc.children(recursive=True) if _alive(c)}
        elif "ipykernel" in cmd and _alive(proc):
            found.add(proc.pid)
    return found


def test_a_run_empties_a_result_cache_made_for_other_data(project):
    """An entry made for other data can never be read again: the run deletes it and says so."""
    from srim_analysis.report import cache

    config = project.replace(notebooks=["01"])
    folder = config.out / "reports" / cache.CACHE_FOLDER
    stale = cache.ResultCache(folder, "data-of-another-study")
    cache.keep_current(config.out / "reports", "data-of-another-study")
    stale.get("whole_study_model", {"site": "all"}, lambda: [1, 2, 3])
    said: list[str] = []
    summary = run_report(config, progress=False, echo=said.append, keep_workers=True)
    assert summary.exit_code == 0, summary.table()
    assert not list(folder.glob("*.pkl"))
    assert any("result cache" in line and "1 entries" in line for line in said), said
    stamp = json.loads((folder / cache.STAMP_FILE).read_text(encoding="utf-8"))
    assert stamp["data"] == planning.read_study(config.data).fingerprint
    # the same data again: the stamp matches and nothing more is said
    said.clear()
    (folder / "entry-of-this-data.pkl").write_bytes(b"")
    run_report(config, progress=False, echo=said.append, keep_workers=True, force=True)
    assert (folder / "entry-of-this-data.pkl").exists()
    assert not any("result cache" in line for line in said)
