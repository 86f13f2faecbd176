"""Helpers for the notebook tests: a scratch project root, JupyterLab, and a notebook in it.

The notebook and browser tests never write into the repository's own ``reports/`` or
``figures/``: they run the committed notebooks against a *scratch project root* (a temporary
folder whose ``data`` links to the repository's data and which has its own ``reports/``,
``figures/`` and a copy of ``notebooks/``), named to the library by ``SRIM_PROJECT_ROOT``.

:class:`JupyterLab` starts a real JupyterLab server on 127.0.0.1 (random free port, random
token, kernel ``python3`` of this environment, settings and workspaces in the scratch folder)
and always stops it, kernels included. :func:`run_notebook` drives one notebook in it through
Chromium with Playwright and returns a :class:`LabRun` describing what the page shows;
:func:`problems` turns that into the list of things a researcher would see go wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"

CHROMIUM_MISSING = (
    "Debian's chromium is not installed: run `make browser` (apt-get install chromium)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
KERNEL = "python3"


def committed_notebooks() -> list[Path]:
    """Return the notebooks in ``notebooks/`` (those that exist now), in order."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def chromium_path() -> str:
    """Return the path of Debian's chromium, or fail the test saying how to install it."""
    import pytest

    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(CHROMIUM_MISSING, pytrace=False)


def scratch_project(root: Path, notebooks: list[Path] | None = None) -> Path:
    """Lay out a scratch project root in ``root`` and return it.

    ``data`` is a symlink to the repository's data (read only use); ``reports``,
    ``figures`` and ``notebooks`` (a copy of ``notebooks``) are the scratch project's own.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    for sub in ("reports", "figures", "notebooks"):
        (root / sub).mkdir()
    for nb in committed_notebooks() if notebooks is None else notebooks:
        shutil.copy2(nb, root / "notebooks" / nb.name)
    return root


def git(repo: Path, *args: str) -> str:
    """Return the output of ``git *args`` run in ``repo`` (failing on a git error)."""
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def git_checkout(dest: Path, files: tuple[str, ...]) -> Path:
    """Clone the repository's HEAD into ``dest``, commit this tree's ``files`` there; return it.

    The clone then holds what is about to be committed (the working tree's versions of
    ``files``), so a test in it checks the tree under test, not only the last commit.
    """
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True)
    git(dest, "config", "user.name", "test")
    git(dest, "config", "user.email", "test@example.invalid")
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    git(dest, "add", *files)
    git(dest, "commit", "--quiet", "--allow-empty", "-m", "the working tree's files under test")
    return dest


def make(folder: Path, target: str) -> str:
    """Run a Makefile target in ``folder`` with this environment's Python as the venv."""
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        ["make", "--no-print-directory", target, f"BIN={bin_dir}"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def lab_checkout(dest: Path) -> Path:
    """Return a git clone of the project, as a researcher has it after `make`, in ``dest``.

    The working tree's notebooks, study data and set-up files are committed in the clone,
    the git filter is set up by `make git-filter` (as `make` does), and the scratch folders
    the tests add (JupyterLab's user folders) are excluded in the clone's own
    ``.git/info/exclude``, so `git status` shows only what a researcher's session changed.
    """
    files = (
        "Makefile",
        ".gitattributes",
        ".gitignore",
        "srim.toml",
        *(p.relative_to(ROOT).as_posix() for p in committed_notebooks()),
        *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "data" / "synthetic").iterdir())),
    )
    git_checkout(dest, files)
    make(dest, "git-filter")
    with (dest / ".git" / "info" / "exclude").open("a", encoding="utf-8") as f:
        f.write("/.user/\n/controls/\n")
    for sub in ("reports", "figures"):
        (dest / sub).mkdir(exist_ok=True)
    return dest


def project_env(project_root: Path) -> dict[str, str]:
    """Return this process's environment with ``SRIM_PROJECT_ROOT`` set to ``project_root``.

    Jupyter's and IPython's per-user folders are moved into the scratch project too, so a
    researcher's own kernels (a ``python3`` of another Python), settings or IPython
    startup files cannot change what the tests run.
    """
    env = dict(os.environ)
    env["SRIM_PROJECT_ROOT"] = str(project_root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    own = project_root / ".user"
    for var, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_CONFIG_DIR", "config")):
        env[var] = str(own / sub)
    env["IPYTHONDIR"] = str(own / "ipython")
    env.pop("JUPYTER_PATH", None)
    # the kernel's matplotlib must use the inline backend, whatever the caller set
    env.pop("MPLBACKEND", None)
    return env


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------
# JupyterLab server
# ---------------------------------------------------------------------------

# Settings a researcher may set differently; fixed here so the page is the same every run:
# every cell stays in the DOM (no windowing), and no news or update checks (no network).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class JupyterLab:
    """A JupyterLab server for one test session; use as a context manager.

    It serves ``root_dir`` with the environment ``env``; its own Jupyter config, runtime,
    data, settings and workspace folders live under ``state_dir``, so a researcher's own
    settings neither affect the test nor are touched by it.
    """

    def __init__(self, root_dir: Path, state_dir: Path, env: dict[str, str]) -> None:
        self.root_dir = root_dir
        self.state_dir = state_dir
        self.env = dict(env)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = state_dir / "jupyterlab.log"

    def __enter__(self) -> JupyterLab:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _prepare_state(self) -> None:
        dirs = {
            name: self.state_dir / name
            for name in ("config", "data", "runtime", "settings", "workspaces")
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        for rel, value in LAB_SETTINGS.items():
            target = dirs["settings"] / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        # no news feed fetched (null cannot be given on the command line)
        server_config = {"LabApp": {"news_url": None}}
        (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(server_config))
        self.env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            IPYTHONDIR=str(self.state_dir / "ipython"),
        )

    def start(self, timeout: float = 90) -> None:
        """Start the server and wait until its API answers."""
        self._prepare_state()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.allow_root=True",
            "--ServerApp.terminals_enabled=False",
            f"--MappingKernelManager.default_kernel_name={KERNEL}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class="
            "jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root_dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole in stop()
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                status = self.api("GET", "/api/status", timeout=2)
                if "started" in status:
                    return
            time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        """Call the server's REST API with the token and return the decoded JSON (or None)."""
        req = urllib.request.Request(
            self.url + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "PUT") else None,
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the server's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def kernel_pids(self) -> list[int]:
        """Return the pids of the kernels this server started (its child processes)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            out = subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        except OSError:
            return []
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        """Shut the kernels and the server down; kill what is left. Safe to call twice."""
        proc = self.proc
        if proc is None:
            return
        kernels = self.kernel_pids()
        self.proc = None
        if proc.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
                for k in self.api("GET", "/api/kernels", timeout=5) or []:
                    self.api("DELETE", f"/api/kernels/{k['id']}", timeout=10)
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
                self.api("POST", "/api/shutdown", timeout=5)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        # kernels run in sessions of their own: end any that outlived the server
        for pid in kernels:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------
# One notebook in the browser
# ---------------------------------------------------------------------------

# What the page shows, read from the live app (window.jupyterapp, exposed by
# --LabApp.expose_app_in_browser) and from the DOM of the notebook panel.
#
# Error outputs: JupyterLab renders both an error and ordinary stderr text (a warning) as
# `.jp-OutputArea-output.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]`;
# only an error's text carries IPython's traceback header ("Traceback (most recent call
# last)", or "Cell In[n], line m" for a syntax error), so the DOM check looks for that.
# The model check reads each output's type ('error') independently.
_STATE_JS = r"""
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const TRACEBACK = /Traceback \(most recent call last\)|^\s*Cell In\[\d+\], line \d+/m;
  const cells = [];
  let index = -1;
  for (const cell of panel.content.widgets) {
    index += 1;
    if (cell.model.type !== 'code') continue;
    const outputs = [];
    const area = cell.outputArea;
    for (let i = 0; i < area.model.length; i++) {
      const out = area.model.get(i);
      const raw = out.toJSON();
      const node = area.widgets[i] ? area.widgets[i].node : null;
      outputs.push({
        type: out.type,
        mimes: Object.keys(out.data),
        ename: raw.ename || null,
        evalue: raw.evalue || null,
        widget: 'application/vnd.jupyter.widget-view+json' in out.data,
        rendered_widget: !!(node && node.querySelector('.jupyter-widgets')),
        text: node ? node.innerText.slice(0, 2000) : '',
      });
    }
    cells.push({
      index: index,
      source: cell.model.sharedModel.getSource().slice(0, 300),
      execution_count: cell.model.executionCount,
      outputs: outputs,
    });
  }
  const domErrors = [];
  const sel = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  for (const el of panel.node.querySelectorAll(sel)) {
    if (TRACEBACK.test(el.innerText)) domErrors.push(el.innerText.slice(0, 3000));
  }
  const widgetErrors = [];
  for (const el of panel.node.querySelectorAll('.jp-OutputArea-output')) {
    const t = el.innerText;
    if (/Error displaying widget|Failed to display Jupyter Widget|model not found/.test(t)) {
      widgetErrors.push(t.slice(0, 500));
    }
  }
  return {
    path: panel.context.path,
    kernel: panel.sessionContext.session ? panel.sessionContext.session.kernel.name : null,
    status: panel.sessionContext.kernelDisplayStatus,
    cells: cells,
    dom_errors: domErrors,
    widget_errors: widgetErrors,
    dropdowns: panel.node.querySelectorAll('.widget-dropdown select').length,
  };
}
"""

# A fingerprint of everything the notebook's widgets show, dropdowns excluded: their
# text, HTML and the images they hold. A dropdown "drives" something if this changes.
_WIDGETS_SNAPSHOT_JS = r"""
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const parts = [];
  for (const el of panel.node.querySelectorAll('.jp-OutputArea-output')) {
    if (!el.querySelector('.jupyter-widgets')) continue;
    const copy = el.cloneNode(true);
    for (const dd of copy.querySelectorAll('.widget-dropdown')) dd.remove();
    parts.push(copy.innerHTML);
  }
  return parts.join('\n');
}
"""

_KERNEL_IDLE_JS = r"""
() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(panel && panel.sessionContext && panel.sessionContext.session &&
            panel.sessionContext.session.kernel &&
            panel.sessionContext.kernelDisplayStatus === 'idle');
}
"""


@dataclass
class DropdownChange:
    """One dropdown changed in the page, and whether the widgets' display changed with it."""

    index: int
    before: str
    after: str
    changed: bool
    seconds: float


@dataclass
class LabRun:
    """What one notebook showed in JupyterLab after Run All Cells (and the dropdown changes)."""

    path: str
    kernel: str | None
    ran_all: Any
    cells: list[dict[str, Any]]
    dom_errors: list[str]
    widget_errors: list[str]
    dropdowns: int
    changes: list[DropdownChange] = field(default_factory=list)
    screenshot: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def model_errors(self) -> list[str]:
        """Return 'cell N: EName: value' for each error output in the notebook's model."""
        return [
            f"cell {c['index']}: {o['ename']}: {o['evalue']}"
            for c in self.cells
            for o in c["outputs"]
            if o["type"] == "error"
        ]

    @property
    def unexecuted(self) -> list[int]:
        """Return the indices of code cells with no execution count (not run)."""
        return [
            c["index"] for c in self.cells if c["execution_count"] is None and c["source"].strip()
        ]

    @property
    def widget_outputs(self) -> list[dict[str, Any]]:
        """Return the outputs that are widget views."""
        return [o for c in self.cells for o in c["outputs"] if o["widget"]]


def problems(run: LabRun) -> list[str]:
    """Return what went wrong in ``run``, as a researcher would see it; empty if all is well."""
    found: list[str] = []
    if run.kernel != KERNEL:
        found.append(f"kernel is {run.kernel!r}, not {KERNEL!r}")
    found += [f"error shown in the page:\n{text}" for text in run.dom_errors]
    found += [f"error output in the notebook: {e}" for e in run.model_errors]
    if run.unexecuted:
        found.append(f"code cells not executed (no execution count): {run.unexecuted}")
    found += [f"widget failed to display: {t}" for t in run.widget_errors]
    unrendered = [o for o in run.widget_outputs if not o["rendered_widget"]]
    if unrendered:
        found.append(f"{len(unrendered)} widget output(s) have no rendered widget in the page")
    if run.dropdowns and not run.widget_outputs:
        found.append("dropdowns found but no widget output")
    found += [
        f"changing dropdown {c.index} from {c.before!r} to {c.after!r} changed nothing the "
        "widgets show"
        for c in run.changes
        if not c.changed
    ]
    return found


def assert_ran_cleanly(run: LabRun) -> None:
    """Fail with every problem in ``run`` listed."""
    found = problems(run)
    assert not found, f"{run.path} in JupyterLab:\n- " + "\n- ".join(found)


def _wait_idle(page: Any, timeout_s: float) -> None:
    # idle must hold for a moment: a kernel goes idle between the messages of one request
    deadline = time.monotonic() + timeout_s
    while True:
        page.wait_for_function(_KERNEL_IDLE_JS, timeout=max(deadline - time.monotonic(), 1) * 1000)
        page.wait_for_timeout(300)
        if page.evaluate(_KERNEL_IDLE_JS):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the kernel did not go idle")


def open_lab(browser: Any, lab: JupyterLab, workspace: str = "srim-test") -> Any:
    """Return a new page with JupyterLab loaded (file browser collapsed), ready for notebooks.

    Each page gets a workspace of its own, so pages do not restore each other's tabs.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{lab.url}/lab/workspaces/{workspace}?token={lab.token}&reset")
    page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.shell)")
    page.evaluate(
        """async () => { await window.jupyterapp.restored;
             window.jupyterapp.shell.collapseLeft(); }"""
    )
    return page


@dataclass
class Started:
    """A notebook opened in a page whose Run All Cells is under way."""

    page: Any
    path: str
    t0: float
    timeout_s: float
    seconds: dict[str, float] = field(default_factory=dict)


def start_notebook(page: Any, path: str, timeout_s: float = 300) -> Started:
    """Open ``path`` (relative to the server root) in ``page`` and start Run All Cells.

    Returns at once; :func:`finish_notebook` waits for the run and inspects the page.
    """
    t0 = time.monotonic()
    page.set_default_timeout(timeout_s * 1000)
    try:
        # File > Open, by its command id; the kernel named in the notebook starts
        page.evaluate(
            """async (path) => { const app = window.jupyterapp;
                 const w = await app.commands.execute('docmanager:open',
                                                      {path: path, factory: 'Notebook'});
                 await w.context.ready; await w.sessionContext.ready;
                 app.shell.activateById(w.id); }""",
            path,
        )
        page.wait_for_function(
            "(path) => window.jupyterapp.shell.currentWidget.context.path === path", arg=path
        )
        _wait_idle(page, 120)
        started = Started(page, path, t0, timeout_s, {"open": time.monotonic() - t0})
        # Run > Run All Cells, by its command id. Its promise resolves when the run ends
        # (false if a cell failed); the result is left in the page for finish_notebook.
        page.evaluate(
            """(ms) => { window.__srimRanAll = undefined;
                 Promise.race([
                   window.jupyterapp.commands.execute('notebook:run-all-cells'),
                   new Promise((resolve) => setTimeout(() => resolve('timeout'), ms))])
                 .then((r) => { window.__srimRanAll = r; },
                       (e) => { window.__srimRanAll = 'error: ' + e; }); }""",
            timeout_s * 1000,
        )
        return started
    except BaseException:
        with contextlib.suppress(Exception):  # never hide the failure that got us here
            _close(page, path)
        raise


def finish_notebook(
    started: Started,
    screenshot: Path | None = None,
    change_dropdowns: bool = True,
    save: bool = False,
) -> LabRun:
    """Wait for the run ``started`` began, change each dropdown, inspect, screenshot, close.

    Each dropdown is set, in turn, to another option, and the widgets' display must
    change. With ``save``, the notebook is saved in place as JupyterLab's File > Save does
    (outputs, widget state and all). A full-height screenshot of the notebook goes to
    ``screenshot``. The notebook is closed and its kernel shut down afterwards.
    """
    page, path, seconds = started.page, started.path, started.seconds
    try:
        page.wait_for_function(
            "() => window.__srimRanAll !== undefined", timeout=started.timeout_s * 1000
        )
        ran_all = page.evaluate("() => window.__srimRanAll")
        _wait_idle(page, 60)
        seconds["run"] = time.monotonic() - started.t0 - seconds["open"]
        changes: list[DropdownChange] = []
        if change_dropdowns:
            t1 = time.monotonic()
            changes = _change_dropdowns(page)
            _wait_idle(page, 60)
            seconds["dropdowns"] = time.monotonic() - t1
        state = page.evaluate(_STATE_JS)
        if save:
            t1 = time.monotonic()
            _save(page, path)
            seconds["save"] = time.monotonic() - t1
        if screenshot is not None:
            t1 = time.monotonic()
            _screenshot(page, screenshot)
            seconds["screenshot"] = time.monotonic() - t1
        seconds["total"] = time.monotonic() - started.t0
        return LabRun(
            path=state["path"],
            kernel=state["kernel"],
            ran_all=ran_all,
            cells=state["cells"],
            dom_errors=state["dom_errors"],
            widget_errors=state["widget_errors"],
            dropdowns=state["dropdowns"],
            changes=changes,
            screenshot=screenshot,
            seconds=seconds,
        )
    finally:
        with contextlib.suppress(Exception):  # never hide the failure that got us here
            _close(page, path)


def run_notebook(
    page: Any,
    path: str,
    screenshot: Path | None = None,
    timeout_s: float = 300,
    change_dropdowns: bool = True,
    save: bool = False,
) -> LabRun:
    """Open ``path`` in ``page``, run all cells and inspect the result (see above)."""
    started = start_notebook(page, path, timeout_s)
    return finish_notebook(started, screenshot, change_dropdowns, save)


class Pipeline:
    """Run notebooks in a few pages at once, in a fixed order, one result at a time.

    ``run(path)`` starts ``path`` if it is not running yet, starts the notebook after it
    on a free page (so two kernels work while one page is inspected), then waits for
    ``path`` and returns its :class:`LabRun`. A failure to start the next notebook is kept
    and raised by its own ``run``.
    """

    def __init__(self, pages: list[Any], paths: list[str]) -> None:
        self.pages = pages
        self.paths = paths
        self.running: dict[str, Started] = {}
        self.failed: dict[str, BaseException] = {}

    def _free_page(self, keep: set[str]) -> Any:
        busy = {id(s.page) for s in self.running.values()}
        for page in self.pages:
            if id(page) not in busy:
                return page
        for path, started in list(self.running.items()):  # drop a run nobody waits for
            if path not in keep:
                del self.running[path]
                with contextlib.suppress(Exception):
                    _close(started.page, path)
                return started.page
        raise RuntimeError("no free page")

    def _start(self, path: str, keep: set[str]) -> None:
        if path in self.running or path in self.failed:
            return
        try:
            self.running[path] = start_notebook(self._free_page(keep), path)
        except Exception as exc:
            self.failed[path] = exc

    def run(self, path: str, screenshot: Path | None = None, save: bool = False) -> LabRun:
        self._start(path, {path})
        after = self.paths[self.paths.index(path) + 1 :] if path in self.paths else []
        if after and len(self.pages) > 1:
            self._start(after[0], {path, after[0]})
        if path in self.failed:
            raise self.failed.pop(path)
        return finish_notebook(self.running.pop(path), screenshot, save=save)


def _save(page: Any, path: str) -> None:
    """Save the open notebook ``path`` in place, as File > Save (Ctrl+S) does."""
    page.evaluate(
        """async (path) => {
             for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
               if (w.context && w.context.path === path) { await w.context.save(); }
             } }""",
        path,
    )


def _close(page: Any, path: str) -> None:
    """Close the notebook without saving and shut its kernel down; restore the window size."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate(
        """async (path) => {
             for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
               if (!w.context || w.context.path !== path) continue;
               if (w.sessionContext) { await w.sessionContext.shutdown(); }
               w.context.model.dirty = false;
               w.dispose();
             } }""",
        path,
    )


# Records the kernel's status changes, to tell "the kernel handled the change and nothing
# was redrawn" from "still working".
_WATCH_STATUS_JS = r"""
() => {
  const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
  window.__srimStatus = [];
  if (!window.__srimWatching || window.__srimWatching !== ctx) {
    ctx.statusChanged.connect((_, status) => {
      (window.__srimStatus || []).push([status, Date.now()]);
    });
    window.__srimWatching = ctx;
  }
}
"""

# True once the widgets' display differs from ``before``, or (returned as 'settled') once
# the kernel has been busy with the change and idle again for ``grace`` ms.
_CHANGED_OR_SETTLED_JS = (
    "([before, grace]) => {"
    f" if (({_WIDGETS_SNAPSHOT_JS})() !== before) return 'changed';"
    " const s = window.__srimStatus || [];"
    " const busy = s.findIndex((e) => e[0] === 'busy');"
    " const last = s[s.length - 1];"
    " if (busy >= 0 && last[0] === 'idle' && Date.now() - last[1] > grace) return 'settled';"
    " return false; }"
)


def _change_dropdowns(page: Any, timeout_s: float = 60, grace_s: float = 5) -> list[DropdownChange]:
    """Set each dropdown to another option and see whether the widgets' display changes.

    A change counts if the display differs within ``timeout_s``; the wait ends early
    (no change) once the kernel has handled the change and stayed idle for ``grace_s``.
    """
    changes = []
    selects = page.locator(".jp-Notebook .widget-dropdown select")
    for i in range(selects.count()):
        select = selects.nth(i)
        select.scroll_into_view_if_needed()
        before = select.input_value()
        values = select.locator("option").evaluate_all("opts => opts.map(o => o.value)")
        others = [v for v in values if v != before]
        if not others:
            changes.append(DropdownChange(i, before, before, False, 0.0))
            continue
        snapshot = page.evaluate(_WIDGETS_SNAPSHOT_JS)
        page.evaluate(_WATCH_STATUS_JS)
        t = time.monotonic()
        select.select_option(others[0])
        try:
            handle = page.wait_for_function(
                _CHANGED_OR_SETTLED_JS, arg=[snapshot, grace_s * 1000], timeout=timeout_s * 1000
            )
            changed = handle.json_value() == "changed"
        except Exception:  # playwright's TimeoutError: nothing changed in time
            changed = False
        changes.append(DropdownChange(i, before, others[0], changed, time.monotonic() - t))
    return changes


_GEOMETRY_JS = r"""
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const outer = panel.node.querySelector('.jp-WindowedPanel-outer') || panel.content.node;
  const cells = panel.node.querySelectorAll('.jp-Cell');
  const box = outer.getBoundingClientRect();
  const last = cells.length ? cells[cells.length - 1].getBoundingClientRect().bottom : box.top;
  return {top: Math.ceil(box.top), chrome: Math.ceil(window.innerHeight - box.bottom),
          height: Math.ceil(last - box.top + outer.scrollTop + 16)};
}
"""


def _screenshot(page: Any, target: Path, chunk: int = 12000) -> None:
    """Save the whole notebook as one PNG: the window's top bars, then every cell.

    The window is made as tall as the notebook (up to ``chunk`` pixels: Chromium draws
    nothing past about 16k) and, for a longer notebook, the notebook is scrolled and the
    pieces are stitched together.
    """
    import io

    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    geo = page.evaluate(_GEOMETRY_JS)
    top, height = geo["top"], geo["height"]
    view = min(height, chunk)
    page.set_viewport_size({"width": 1280, "height": top + view + geo["chrome"]})
    page.wait_for_timeout(300)
    sheet = Image.new("RGB", (1280, top + height), "white")
    offset = 0
    while True:
        shown = page.evaluate(
            """(y) => { const panel = window.jupyterapp.shell.currentWidget;
                 const outer = panel.node.querySelector('.jp-WindowedPanel-outer')
                               || panel.content.node;
                 outer.scrollTop = y; return outer.scrollTop; }""",
            offset,
        )
        page.wait_for_timeout(300)
        shot = Image.open(io.BytesIO(page.screenshot()))
        if offset == 0:
            sheet.paste(shot.crop((0, 0, 1280, top)), (0, 0))
        sheet.paste(shot.crop((0, top, 1280, top + view)), (0, top + int(shown)))
        if shown + view >= height or shown < offset:
            break
        offset += view
    sheet.save(target, compress_level=3)


# ---------------------------------------------------------------------------
# The HTML report in a browser: what a reader of a page would see go wrong
# ---------------------------------------------------------------------------

#: Text or links naming these are absolute paths of a machine, not of the report.
ABSOLUTE_PATHS = ("/tmp/", "/work/", "/home/", "/root/", "/Users/", "file://", "C:\\")

_PAGE_JS = r"""
() => {
  const links = [...document.querySelectorAll('[href], [src]')].map(
    (e) => e.getAttribute('href') || e.getAttribute('src') || '');
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')].filter(
    (o) => !o.innerText.trim() && !o.querySelector('img, svg, canvas, table, iframe'));
  const images = [...document.querySelectorAll('img')].map((i) => i.getAttribute('alt'));
  const contents = [...document.querySelectorAll('.srim-contents a')].map(
    (a) => a.getAttribute('href'));
  return {
    text: document.body.innerText,
    links: links.filter((l) => !l.startsWith('data:')),
    empty: outputs.map((o) => o.outerHTML.slice(0, 160)),
    alts: images,
    contents: contents,
    missing: contents.filter((h) => !h.startsWith('#')
      || !document.getElementById(decodeURIComponent(h.slice(1)))),
  };
}
"""


@dataclass
class PageCheck:
    """What one HTML page of a report shows a reader (read in the browser)."""

    name: str
    text: str
    links: list[str]
    empty: list[str]
    alts: list[str | None]
    contents: list[str]
    missing: list[str]


def check_page(page: Any, url: str, name: str) -> PageCheck:
    """Open ``url`` in ``page`` and return what it shows (see :func:`page_problems`)."""
    page.goto(url, wait_until="load")
    return PageCheck(name=name, **page.evaluate(_PAGE_JS))


def page_problems(check: PageCheck, forbidden: tuple[str, ...] = ABSOLUTE_PATHS) -> list[str]:
    """Return what is wrong on a page: absolute paths, empty outputs, images without alt
    text, contents links to no heading."""
    found = []
    for bad in forbidden:
        if bad in check.text:
            at = check.text.index(bad)
            around = check.text[max(0, at - 40) : at + 60]
            found.append(f"{check.name}: an absolute path in the text: …{around!r}")
        found += [f"{check.name}: an absolute link {link!r}" for link in check.links if bad in link]
    found += [f"{check.name}: an empty output area: {html}" for html in check.empty]
    for alt in check.alts:
        if not alt or not alt.strip() or "No description has been provided" in alt:
            found.append(f"{check.name}: an image without alt text ({alt!r})")
    found += [f"{check.name}: a contents link to no heading: {h}" for h in check.missing]
    return found
