"""The workers: the kernel they use, warm kernels that leak nothing, a killed worker, the pool."""

from __future__ import annotations

import multiprocessing.util
import os
import subprocess
import sys
import time
from pathlib import Path

import ipykernel.kernelspec
import jupyter_client.kernelspec as ks
import nbformat
import psutil
import pytest

from srim_analysis.runner import kernels
from tests.runner.conftest import SITES, assert_no_partial_files, run, snapshot, table


def test_the_python3_kernel_is_installed_when_missing(monkeypatch):
    installed = []
    monkeypatch.setattr(ks, "find_kernel_specs", lambda: {})
    monkeypatch.setattr(
        ipykernel.kernelspec, "install", lambda **kw: installed.append(kw) or "/somewhere"
    )
    env = kernels.ensure_kernel("python3")
    assert installed == [{"user": False, "prefix": sys.prefix, "kernel_name": "python3"}]
    assert env["JUPYTER_PATH"].startswith(str(Path(sys.prefix) / "share" / "jupyter"))


def test_an_existing_kernel_for_this_python_is_kept(monkeypatch):
    monkeypatch.setattr(ipykernel.kernelspec, "install", lambda **kw: pytest.fail("installed"))
    assert kernels.ensure_kernel("python3") == {}
    assert kernels.spec_runs_this_python([sys.executable, "-m", "ipykernel_launcher"])
    assert not kernels.spec_runs_this_python(["/usr/bin/other-python", "-m", "x"])
    assert not kernels.spec_runs_this_python([])


def test_the_slow_optional_import_is_skipped_only_before_jsonschema(monkeypatch):
    monkeypatch.delitem(sys.modules, "rfc3987_syntax", raising=False)
    monkeypatch.delitem(sys.modules, "jsonschema", raising=False)
    kernels.skip_slow_imports()
    assert sys.modules["rfc3987_syntax"] is None
    monkeypatch.delitem(sys.modules, "rfc3987_syntax")
    monkeypatch.setitem(sys.modules, "jsonschema", object())
    kernels.skip_slow_imports()  # too late: jsonschema is loaded, nothing is marked
    assert "rfc3987_syntax" not in sys.modules


def test_a_kept_pool_is_reused_while_it_fits():
    env = {"SRIM_TEST_POOL": "1"}
    pool = kernels.get_pool(1, env, keep=True)
    try:
        assert kernels.get_pool(1, env, keep=True) is pool
        bigger = kernels.get_pool(2, env, keep=True)  # too small: replaced
        assert bigger is not pool
        pool = bigger
    finally:
        kernels.shutdown_workers()
    fresh = kernels.get_pool(1, env, keep=False)
    assert fresh is not pool
    kernels.close_pool(fresh, terminate=True)


@pytest.mark.notebooks
def test_serial_and_parallel_runs_give_identical_tables(full_run, tmp_path, study_dir):
    config, _ = full_run
    serial = config.replace(jobs=1, out=tmp_path / "serial")
    summary = run(serial, parameters={"00.factor": "3", "min_cell": "8"})
    assert summary.exit_code == 0, summary.table()

    def tables(out: Path) -> dict[str, bytes]:
        return {k: v for k, v in snapshot(out / "reports").items() if "/tables/" in f"/{k}"}

    assert tables(serial.out) == tables(config.out)
    assert len(tables(config.out)) == 9
    # one warm kernel ran all nine: nothing leaked from one run into the next
    for site in ("all", *SITES):
        assert table(serial.out, site, "params")["leaked"] == "False"
        nb = nbformat.read(serial.out / "reports" / site / "00_echo.ipynb", as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))
    a = (serial.out / "figures" / "manifest.csv").read_text()
    b = (config.out / "figures" / "manifest.csv").read_text()
    assert a == b


@pytest.mark.notebooks
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_worker_fails_its_run_and_the_others_complete(project):
    config = project.replace(notebooks=["02"], sites=["S01", "S02"])
    summary = run(config, parameters={"fail_site": "S02", "fail_how": "kill"})
    status = {r.site: r.status for r in summary.results}
    assert status == {"S01": "ok", "S02": "failed"}, summary.table()
    failed = summary.failed[0]
    assert "stopped unexpectedly" in failed.error
    assert summary.exit_code == 1
    assert (config.reports_dir / "S01" / "02_fails.html").is_file()
    assert not (config.reports_dir / "S02" / "02_fails.html").exists()
    assert_no_partial_files(config.out)
    assert not (config.reports_dir / ".staging").exists()


def _hang_on_exit() -> int:
    """In a worker: start a child and make the worker's exit hang, as a stuck kernel does."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    multiprocessing.util.Finalize(None, time.sleep, args=(600,), exitpriority=60)
    return child.pid


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_worker_that_will_not_stop_is_stopped_with_its_children():
    pool = kernels.new_pool(1, {})
    worker = next(iter(pool._processes.values())) if pool._processes else None
    child = pool.submit(_hang_on_exit).result(timeout=120)
    worker = worker or next(iter(pool._processes.values()))
    t0 = time.monotonic()
    forced = kernels.close_pool(pool, terminate=False, grace_s=2)
    # the worker would have waited 600 s; closing ends within the grace and the stop
    assert forced == 1
    assert time.monotonic() - t0 < 60
    assert not worker.is_alive()
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child), "the stuck worker's child process was left running"


def test_idle_workers_stop_on_their_own():
    pool = kernels.new_pool(2, {})
    assert pool.submit(os.getpid).result(timeout=120) > 0
    processes = list(pool._processes.values())
    assert kernels.close_pool(pool, terminate=False) == 0
    assert processes and not any(p.is_alive() for p in processes)
