"""The workers: processes that run one notebook each into its staging folder, kernels kept warm.

By default each worker keeps one Python kernel warm and resets it between runs (see
:mod:`srim_analysis.runner.prelude`), which saves the kernel start and the library imports
on every run. The kernel is replaced after a timeout, a crash, an interrupted cell or a
failed reset, and every :data:`KERNEL_RUNS` runs. ``fresh_kernel`` starts a new kernel for
every run.

Worker processes are started with "forkserver" where available ("spawn" on Windows). A worker
sends its own output to a log file (copied into each run's log) and ends, with its kernel,
as soon as the process that started it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from srim_analysis.layout import RunLayout
from srim_analysis.runner import html, prelude, staging
from srim_analysis.runner.errors import one_line
from srim_analysis.runner.parameters import KERNEL_NAME

#: Runs a warm kernel serves before it is replaced by a new one (bounds memory growth).
KERNEL_RUNS = 40

_WORKER: dict[str, Any] = {"km": None, "runs": 0, "log": None}
_KEPT: dict[str, Any] = {}


# ---------------------------------------------------------------------------
# The kernel
# ---------------------------------------------------------------------------


def spec_runs_this_python(argv: Sequence[str]) -> bool:
    """Return True if a kernelspec's command line runs this environment's Python."""
    if not argv:
        return False
    major, minor = sys.version_info[:2]
    if argv[0] in ("python", f"python{major}", f"python{major}.{minor}"):
        return True  # jupyter_client runs these with sys.executable
    try:
        return Path(argv[0]).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


def ensure_kernel(name: str = KERNEL_NAME) -> dict[str, str]:
    """Make a kernelspec ``name`` run this environment's Python; return env vars to use it."""
    # lazy: jupyter_client costs 0.15 s at import (measured); only a run that runs needs it
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel, find_kernel_specs

    ksm = KernelSpecManager()
    if name in find_kernel_specs():
        try:
            if spec_runs_this_python(ksm.get_kernel_spec(name).argv):
                return {}
        except NoSuchKernel:
            pass
    # missing, or it runs another Python: install ours in this environment and prefer it
    # lazy: ipykernel.kernelspec costs 0.16 s at import (measured); rarely needed
    from ipykernel.kernelspec import install

    install(user=False, prefix=sys.prefix, kernel_name=name)
    share = str(Path(sys.prefix) / "share" / "jupyter")
    rest = os.environ.get("JUPYTER_PATH")
    return {"JUPYTER_PATH": share + (os.pathsep + rest if rest else "")}


class KernelResetError(RuntimeError):
    """The warm kernel could not be reset before a run (the run is retried in a new one)."""


def discard_kernel() -> None:
    """Shut down the worker's warm kernel, if any."""
    km, kc = _WORKER.get("km"), _WORKER.get("kc")
    _WORKER["km"], _WORKER["kc"], _WORKER["runs"] = None, None, 0
    if kc is not None:
        with contextlib.suppress(Exception):
            kc.stop_channels()
    if km is None:
        return
    # lazy: measured 0.15 s at import (jupyter_core with jupyter_client); workers only
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)  # also cleans up its connection files


def warm_kernel_manager(kernel_name: str) -> Any:
    """Return the worker's kernel manager (its kernel started by nbclient when needed)."""
    # lazy: measured 0.18 s at import (jupyter_client.manager); workers only
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = _WORKER.get("km")
    if km is not None and km.has_kernel:
        try:
            alive = run_sync(km.is_alive)()
        except Exception:
            alive = False
        if not alive:
            discard_kernel()
            km = None
    if km is None:
        km = AsyncKernelManager(kernel_name=kernel_name)
        _WORKER["km"], _WORKER["kc"], _WORKER["runs"] = km, None, 0
    return km


def register_warm_engine() -> str:
    """Register (once) the papermill engine that reuses the worker's warm kernel."""
    name = "srim-warm"
    if _WORKER.get("engine"):
        return name
    # lazy: papermill costs 0.37 s at import (measured); workers only
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    # lazy, measured with papermill above (already imported by then)
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class _Client(PapermillNotebookClient):  # type: ignore[misc]
        def papermill_execute_cells(self) -> None:
            # the run's working folder: papermill has just moved this worker into it
            code = prelude.kernel_code(os.getcwd())
            msg_id = self.kc.execute(code, silent=True, store_history=False)
            reply = self.wait_for_reply(msg_id)
            if reply is None or reply["content"].get("status") != "ok":
                content = (reply or {}).get("content", {})
                raise KernelResetError(
                    "could not reset the kernel before the run: "
                    f"{content.get('ename', '?')}: {content.get('evalue', '')}"
                )
            super().papermill_execute_cells()

    class _WarmEngine(NBClientEngine):  # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(  # type: ignore[override]
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            km = warm_kernel_manager(kernel_name)
            client = _Client(nb_man, km=km, **final_kwargs)
            # the client of the last run is still connected: reusing it saves the wait for
            # the kernel to say it is ready (replies and outputs are matched by message id)
            client.kc = _WORKER.get("kc") if km.has_kernel else None
            # a cell that raised leaves a usable kernel (the next run resets it); anything
            # else (a timeout, a dead kernel, a failed reset) gets a new kernel
            clean = False
            try:
                result = client.execute()
                clean = True
                return result
            finally:
                _WORKER["kc"] = client.kc
                _WORKER["runs"] += 1
                if not clean or _WORKER["runs"] >= KERNEL_RUNS:
                    discard_kernel()

    papermill_engines.register(name, _WarmEngine)
    multiprocessing.util.Finalize(None, discard_kernel, exitpriority=50)
    _WORKER["engine"] = True
    return name


# ---------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------


def skip_slow_imports() -> None:
    """Skip an optional import that costs seconds in every process that imports nbformat.

    jsonschema imports ``rfc3987_syntax`` (when installed) only to check the "iri" string
    format, which notebook validation never uses; building its grammar at import takes
    about 4 s. Marking it absent makes jsonschema skip that check. Only done in the
    runner's own processes (the ``srim run`` command and its workers).
    """
    if "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]


def init_worker(env: Mapping[str, str], log_dir: str) -> None:
    """Set up a worker process: environment, and its own output sent to a log file."""
    skip_slow_imports()
    os.environ.update(env)
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    path = Path(log_dir) / f"worker-{os.getpid()}.log"
    fh = open(path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the worker
    # kernels inherit these: their low-level output lands here, copied into each run's log
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(fh.fileno(), fd)
    _WORKER["log"] = path
    watch_parent()


def watch_parent() -> None:
    """End this worker (and so its kernel) as soon as the process that started it ends.

    Without this, a worker whose ``srim run`` was killed would wait for work for ever.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - not a worker
        return

    def watch() -> None:
        parent.join()  # returns when the parent has gone
        log = _WORKER.get("log")
        if log is not None:  # the pool's log folder: nobody else will remove it now
            shutil.rmtree(Path(log).parent, ignore_errors=True)
        km = _WORKER.get("km")
        pid = getattr(getattr(km, "provisioner", None), "pid", None)
        if pid:
            with contextlib.suppress(Exception):
                os.kill(pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
        os._exit(1)

    threading.Thread(target=watch, name="srim-parent-watch", daemon=True).start()


@dataclass(frozen=True)
class Task:
    """One notebook run as a worker receives it: what to run, where, and how."""

    notebook: str
    title: str
    site: str
    site_label: str
    input_path: str
    cwd: str
    stage: str
    parameters: dict[str, Any]  # as injected (outputs point into the staging folder)
    final_parameters: dict[str, Any]  # as shown in the executed notebook
    with_code: bool
    synthetic: bool
    fresh_kernel: bool
    cell_timeout: int
    attempt: int = 1


@dataclass(frozen=True)
class Outcome:
    """How a worker's run went: ok or not, when, how long, and the error in one line."""

    ok: bool
    started: str
    duration: float
    error: str | None = None
    error_cell: int | None = None


def execute_task(task: Task) -> Outcome:
    """Run one notebook into its staging folder (in a worker process) and say how it went."""
    # lazy: papermill costs 0.37 s at import (measured); workers only
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stage = RunLayout.under(task.stage)
    executed = stage.executed(task.site, task.notebook)
    log_path = stage.log(task.site, task.notebook)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stage.site_figures(task.site).mkdir(parents=True, exist_ok=True)
    worker_log: Path | None = _WORKER.get("log")
    offset = worker_log.stat().st_size if worker_log and worker_log.exists() else 0

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    ok, error, cell = False, None, None
    with open(log_path, "a", encoding="utf-8", buffering=1) as log:
        log.write(
            f"srim run: {task.notebook} for site {task.site}, started {started.isoformat()}\n"
            f"kernel: {'fresh' if task.fresh_kernel else 'warm (reset before the run)'}, "
            f"attempt {task.attempt}\nparameters: "
            f"{json.dumps(task.final_parameters, default=str)}\n\n"
        )
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        pm_log = logging.getLogger("papermill")
        pm_log.addHandler(handler)
        pm_log.setLevel(logging.INFO)
        pm_log.propagate = False
        try:
            kwargs: dict[str, Any] = {}
            if task.fresh_kernel:
                kwargs["shutdown_kernel"] = "immediate"
            else:
                kwargs["engine_name"] = register_warm_engine()
            if task.cell_timeout:
                kwargs["execution_timeout"] = task.cell_timeout

            def execute() -> None:
                papermill.execute_notebook(
                    task.input_path,
                    str(executed),
                    parameters=task.parameters,
                    kernel_name=KERNEL_NAME,
                    cwd=task.cwd,
                    progress_bar=False,
                    log_output=True,
                    request_save_on_cell_execute=False,  # staged: saved once, at the end
                    **kwargs,
                )

            try:
                execute()
            except KernelResetError as exc:  # not the notebook's fault: a new kernel
                log.write(f"\nsrim run: {exc}; retrying in a new kernel\n")
                discard_kernel()
                execute()
            ok = True
        except PapermillExecutionError as exc:
            error = one_line(f"{exc.ename}: {exc.evalue}") or exc.ename
            cell = exc.exec_count
            if exc.ename in ("KeyboardInterrupt", "SystemExit") and not task.fresh_kernel:
                discard_kernel()
        except Exception as exc:
            error = one_line(f"{type(exc).__name__}: {exc}") or type(exc).__name__
            if not task.fresh_kernel:
                discard_kernel()
        finally:
            pm_log.removeHandler(handler)
        try:
            if executed.exists():
                nb = staging.show_final_parameters(executed, task.final_parameters)
                index_href = os.path.relpath(stage.index, stage.site_dir(task.site))
                page = {
                    "title": task.title,
                    "site_label": task.site_label,
                    "synthetic": task.synthetic,
                    "index_href": Path(index_href).as_posix(),
                }
                if ok:
                    target = stage.html(task.site, task.notebook)
                    html.write_html(nb, target, with_code=task.with_code, **page)
                else:
                    target = stage.failed_html(task.site, task.notebook)
                    html.write_html(nb, target, with_code=True, failed=error, **page)
        except Exception as exc:  # the HTML is part of the outputs: no HTML, no success
            log.write(f"\nsrim run: could not write the HTML report: {exc!r}\n")
            if ok:
                ok, error = False, one_line(f"HTML export failed: {type(exc).__name__}: {exc}")
        if worker_log and worker_log.exists():
            with open(worker_log, "rb") as wl:
                wl.seek(offset)
                extra = wl.read().decode("utf-8", errors="replace").strip()
            if extra:
                log.write(f"\n--- messages from the kernel process ---\n{extra}\n")
        duration = time.perf_counter() - t0
        status = "succeeded" if ok else f"FAILED: {error}"
        log.write(f"\nsrim run: {status} after {duration:.2f} s\n")
    return Outcome(
        ok=ok,
        started=started.isoformat(),
        duration=duration,
        error=error,
        error_cell=cell,
    )


# ---------------------------------------------------------------------------
# The pool of workers
# ---------------------------------------------------------------------------


def new_pool(jobs: int, env: Mapping[str, str]) -> ProcessPoolExecutor:
    """Return a new pool of ``jobs`` worker processes."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        # workers are forked from a small server process that has imported only this
        # module: quicker to start than "spawn", and unlike "fork" nothing of the caller
        # (threads, open kernels, a Jupyter session) is copied into them
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:  # pragma: no cover - Windows
        context = multiprocessing.get_context("spawn")
    log_dir = tempfile.mkdtemp(prefix="srim-workers-")
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=init_worker,
        initargs=(dict(env), log_dir),
    )
    pool._srim = {"env": dict(env), "jobs": jobs, "log_dir": log_dir}  # type: ignore[attr-defined]
    return pool


#: Seconds an idle worker may take to stop (and stop its kernel) once the pool is closed.
STOP_GRACE_S = 30.0


def _stop_process_tree(proc: Any) -> None:
    """Stop a worker process and the kernels it started, at once."""
    pid = getattr(proc, "pid", None)
    children: list[psutil.Process] = []
    if pid:
        with contextlib.suppress(psutil.Error):
            children = psutil.Process(pid).children(recursive=True)
    with contextlib.suppress(Exception):
        proc.terminate()
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    with contextlib.suppress(Exception):
        proc.join(timeout=10)
    if proc.is_alive():
        with contextlib.suppress(Exception):
            proc.kill()
            proc.join(timeout=10)


def close_pool(pool: Any, *, terminate: bool, grace_s: float = STOP_GRACE_S) -> int:
    """Stop a pool's workers (and their kernels); return how many had to be forced.

    ``terminate`` stops them at once. Otherwise idle workers are asked to stop and given
    ``grace_s`` seconds; a worker still running after that (its kernel would not shut
    down: the cause of a run that printed every notebook ``ok`` and then never ended) is
    stopped with its kernels, so closing the pool always ends within a bound.
    """
    if _KEPT.get("pool") is pool:
        _KEPT.clear()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    forced = 0
    if terminate:
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            _stop_process_tree(proc)
    else:
        pool.shutdown(wait=False)
        deadline = time.monotonic() + grace_s
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(timeout=max(0.0, deadline - time.monotonic()))
        for proc in processes:
            if proc.is_alive():
                forced += 1
                _stop_process_tree(proc)
    shutil.rmtree(pool._srim["log_dir"], ignore_errors=True)
    return forced


def get_pool(jobs: int, env: Mapping[str, str], keep: bool) -> Any:
    """Return a pool with at least ``jobs`` workers: the kept one if it fits, else a new one."""
    kept = _KEPT.get("pool")
    if keep and kept is not None:
        fits = kept._srim["env"] == dict(env) and kept._srim["jobs"] >= jobs
        if fits and not getattr(kept, "_broken", False):
            return kept
        close_pool(kept, terminate=bool(getattr(kept, "_broken", False)))
    pool = new_pool(jobs, env)
    if keep:
        _KEPT["pool"] = pool
    return pool


def shutdown_workers() -> None:
    """Stop the worker processes and kernels kept by ``run_report(keep_workers=True)``."""
    pool = _KEPT.get("pool")
    if pool is not None:
        close_pool(pool, terminate=False)


atexit.register(shutdown_workers)
