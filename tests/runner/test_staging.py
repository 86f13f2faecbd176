"""Staging: a run's outputs are moved into place only if it succeeds, never half; one run at a
time per folder; what an interrupted run left is cleaned up."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from srim_analysis import paths
from srim_analysis.layout import RunLayout
from srim_analysis.runner import staging
from srim_analysis.runner.errors import RunError
from tests.runner.conftest import FIXTURES, assert_no_partial_files, run, write_settings


def test_two_runs_never_write_into_the_same_folder_at_once(project):
    lock = staging.RunLock(RunLayout.under(project.out).lock)
    with lock, pytest.raises(RunError, match="Another `srim run` is writing to"):
        run(project)
    assert not (project.reports_dir / "index.html").exists()


def test_staged_files_are_promoted_and_old_ones_removed(tmp_path):
    out, stage = tmp_path / "out", tmp_path / "stage"
    staged = RunLayout.under(stage)
    final = RunLayout.under(out)
    for path in (staged.table("S01", "03_x", "a"), staged.figure("S01", "03_x", "f", "png")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("new")
    (staged.tables_dir("S01") / ".03_x__a.csv.abc.tmp").write_text("half")  # never promoted
    gone = final.figure("S01", "03_x", "old", "png")
    gone.parent.mkdir(parents=True)
    gone.write_text("old")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    files = [rel for _, rel in staging.staged_files(stage)]
    assert files == ["reports/S01/tables/03_x__a.csv", "figures/S01/03_x__f.png"]
    old = ["figures/S01/03_x__old.png", "../outside.txt"]
    assert staging.promote(stage, out, old) == files
    assert final.table("S01", "03_x", "a").read_text() == "new"
    assert final.figure("S01", "03_x", "f", "png").read_text() == "new"
    assert not gone.exists()  # no longer made
    assert outside.read_text() == "keep"  # never anything outside the output folder


def test_leftovers_of_an_interrupted_run_are_removed(tmp_path):
    layout = RunLayout.under(tmp_path / "out")
    stage = staging.new_stage(layout, "03_x", "S01")
    assert stage.parent == layout.staging and stage.name.startswith("03_x__S01__")
    stage.mkdir(parents=True)
    tmp = layout.figures_dir / "S01" / ".03_x__f.png.abc.tmp"
    tmp.parent.mkdir(parents=True)
    tmp.write_text("half")
    keep = layout.figures_dir / "S01" / "03_x__f.png"
    keep.write_text("whole")
    assert staging.clean_leftovers(layout) == 2
    assert not layout.staging.exists() and not tmp.exists() and keep.exists()


def test_the_executed_notebook_shows_the_final_parameters(tmp_path):
    nb = nbformat.read(FIXTURES / "00_echo.ipynb", as_version=4)
    injected = nbformat.v4.new_code_cell('reports_dir = "/staging/reports"')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    path = tmp_path / "00_echo.ipynb"
    nbformat.write(nb, path)
    shown = staging.show_final_parameters(path, {"reports_dir": "/final/reports", "factor": 3})
    source = nbformat.read(path, as_version=4).cells[2].source
    assert source == shown.cells[2].source
    assert 'reports_dir = "/final/reports"' in source and "factor = 3" in source
    assert "/staging" not in source and "set by `srim run`" in source


def test_ctrl_c_is_held_back_while_outputs_move():
    with pytest.raises(KeyboardInterrupt), staging.no_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        moved = True  # the block is not cut short
    assert moved


@pytest.mark.notebooks
def test_an_interruption_before_promotion_leaves_no_partial_file(project, monkeypatch):
    config = project.replace(notebooks=["00"], sites=["S01"], jobs=1)
    moved = []
    real_move = staging.move_into_place

    def move_then_interrupt(src, dst):
        if moved:
            raise KeyboardInterrupt  # Ctrl-C after the first file was moved
        moved.append(dst)
        real_move(src, dst)

    monkeypatch.setattr(staging, "move_into_place", move_then_interrupt)
    summary = run(config)
    assert summary.interrupted and summary.exit_code == 130
    assert_no_partial_files(config.out)
    assert not (config.reports_dir / ".staging").exists()
    ok_stamp = config.reports_dir / "S01" / "logs" / "00_echo.ok.json"
    assert not ok_stamp.exists(), "a half-promoted run must not look complete"
    record = json.loads((config.reports_dir / "run-record.json").read_text())
    assert record["status"] == "interrupted"

    monkeypatch.setattr(staging, "move_into_place", real_move)
    again = run(config)
    assert [r.status for r in again.results] == ["ok"]  # redone, not skipped
    assert ok_stamp.exists()
    assert_no_partial_files(config.out)


def _alive(pid: int) -> bool:
    """Return True if process ``pid`` is running (a zombie has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    return True


def _group_alive(pgid: int) -> bool:
    """Return True if any process of process group ``pgid`` is running."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    return True
    return False


@pytest.mark.notebooks
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_run_leaves_no_partial_file_and_a_rerun_completes(project, tmp_path):
    settings = write_settings(project)
    pid_file = tmp_path / "kernel.pid"
    code = (
        "import sys; from srim_analysis.runner import cli; "
        f"sys.exit(cli(['--config', {str(settings)!r}, '--notebook', '00', '--site', 'S01', "
        f"'-p', 'pause=60', '-p', 'pid_file={pid_file}']))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=paths.ROOT,
    )
    try:
        deadline = time.monotonic() + 90
        while not pid_file.exists() or not pid_file.read_text():
            assert proc.poll() is None, "the run ended early"
            assert time.monotonic() < deadline, "the run never started its notebook"
            time.sleep(0.2)
        kernel = int(pid_file.read_text())
    finally:
        proc.kill()  # the main process only, as an out-of-memory kill would
        proc.wait(timeout=30)
    # its workers (same process group) and the kernel (its own session) go too
    deadline = time.monotonic() + 30
    while (_group_alive(proc.pid) or _alive(kernel)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(proc.pid), "worker processes outlived the killed run"
    assert not _alive(kernel), "the kernel outlived the killed run"

    assert not (project.reports_dir / "S01" / "00_echo.ipynb").exists()
    assert not (project.out / "figures" / "S01").exists()
    assert (project.reports_dir / ".staging").exists()  # left behind, cleaned next time
    assert_no_partial_files(project.out)

    summary = run(project.replace(notebooks=["00"], sites=["S01"]))
    assert [r.status for r in summary.results] == ["ok"]
    assert not (project.reports_dir / ".staging").exists()
    assert_no_partial_files(project.out)
