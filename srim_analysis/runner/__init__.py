"""``srim run``: execute the notebooks for every site, safely, in parallel and incrementally.

What a run does, in order:

1. Reads the settings (``srim.toml``, then the command line), finds the notebooks
   (``notebooks/NN_name.ipynb``) and their parameters, and the study's sites. Unknown
   sites, notebooks and parameters are refused here, before anything runs, with the valid
   ones listed (papermill itself would accept a misspelt parameter silently).
2. Refuses to write outputs from real data into an unsafe folder
   (:func:`srim_analysis.disclosure.assert_safe_output_dir`).
3. Skips every run whose notebook, parameters, data and code are unchanged since its last
   good run and whose outputs are all there (``--force`` reruns them).
4. Runs the rest with papermill in worker processes (``--jobs``; default one per core),
   each into a private staging folder. Only a run that succeeds has its executed notebook,
   HTML, tables and figures moved into place (one ``os.replace`` per file), so a failed or
   interrupted run never replaces the last good publishing. A failed run's notebook is kept as
   ``<notebook>.failed.ipynb`` beside them.
5. Writes ``figures/manifest.csv``, ``reports/index.html`` and ``reports/run-record.json``
   and prints a summary; the exit status is non-zero if any run failed.

Kernels: by default each worker keeps one Python kernel warm and resets it between runs
(user variables, execution count, working folder, ``sys.path``, environment, warnings,
logging, matplotlib, pandas and numpy settings, random seeds), which saves the kernel start
and the library imports on every run. The kernel is replaced after a timeout, a crash, an
interrupted cell or a failed reset, and every :data:`KERNEL_RUNS` runs.
``fresh_kernels = true`` (``--fresh-kernels``) starts a new kernel for every run.

Worker processes are started with "forkserver" where available ("spawn" on Windows); as
with any multiprocessing, a script that calls :func:`run_report` needs an
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from srim_analysis import __version__, atomic
from srim_analysis.report import figures
from srim_analysis.runner import index
from srim_analysis.runner.config import RESERVED_PARAMETERS, Config, ConfigError, load_config

KERNEL_NAME = "python3"
STAGING_DIR = ".staging"
LOCK_FILE = ".srim-run.lock"
RECORD_FILE = "run-record.json"
#: Runs a warm kernel serves before it is replaced by a new one (bounds memory growth).
KERNEL_RUNS = 40
#: Parameters every notebook must declare: the runner sets them for every run.
REQUIRED_PARAMETERS = tuple(RESERVED_PARAMETERS)
NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_\-]+$")
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
VERSION_PACKAGES = (
    "srim-analysis",
    "pandas",
    "numpy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
    "ipykernel",
)
ALL_SITES = "all"
#: Bumped when the runner's outputs change shape, so every run is redone once.
RUNNER_FORMAT = 1

Status = Literal["ok", "skipped", "failed", "interrupted"]


class RunError(Exception):
    """Raised when a run cannot start (unknown names, bad data, unsafe folder); says why."""


# ---------------------------------------------------------------------------
# Notebooks and their parameters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, default (as written), type and help text."""

    name: str
    default: str
    type: str | None
    help: str


@dataclass(frozen=True)
class NotebookInfo:
    """A notebook in the notebooks folder: what it is, whether it runs per site, its inputs."""

    name: str
    path: Path
    title: str
    description: str
    per_site: bool
    parameters: Mapping[str, Parameter]
    sha256: str

    @property
    def number(self) -> str:
        """Return the notebook's two-digit number ('03')."""
        return self.name[:2]


def _declared_type(default: str) -> str | None:
    """Return the type name of a parameter's default value, or None if it is an expression."""
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return type(value).__name__


def _papermill_parameters(path: Path, nb: Any) -> dict[str, dict[str, Any]]:
    """Return papermill's view of a notebook's parameters (name, default, help)."""
    import papermill

    try:
        return papermill.inspect_notebook(str(path))
    except ValueError:  # no kernel named in the notebook: it runs in python3 anyway
        from papermill.translators import papermill_translators
        from papermill.utils import find_first_tagged_cell_index

        cell = find_first_tagged_cell_index(nb, "parameters")
        if cell < 0:
            return {}
        translator = papermill_translators.find_translator(KERNEL_NAME, "python")
        return {p.name: p._asdict() for p in translator.inspect(nb.cells[cell])}


def inspect_notebook(path: str | Path) -> NotebookInfo:
    """Return what the runner needs to know about one notebook (papermill + its metadata)."""
    import nbformat

    path = Path(path)
    raw = path.read_bytes()
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    meta = nb.metadata.get("srim", {}) or {}
    params = {
        name: Parameter(
            name=name,
            default=str(p.get("default", "")),
            type=_declared_type(str(p.get("default", ""))),
            help=str(p.get("help", "") or ""),
        )
        for name, p in _papermill_parameters(path, nb).items()
    }
    return NotebookInfo(
        name=path.stem,
        path=path.resolve(),
        title=str(meta.get("title") or path.stem),
        description=str(meta.get("description") or ""),
        per_site=bool(meta.get("per_site", False)),
        parameters=params,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def discover_notebooks(folder: str | Path) -> list[NotebookInfo]:
    """Return the ``NN_name.ipynb`` notebooks in ``folder``, in order of their numbers."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"The notebooks folder {folder} does not exist.")
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and NOTEBOOK_NAME.match(p.stem))
    return [inspect_notebook(p) for p in found]


def select_notebooks(
    available: Sequence[NotebookInfo], requested: Sequence[str]
) -> list[NotebookInfo]:
    """Return the notebooks named in ``requested`` (all if empty), or raise listing valid ones.

    A notebook can be named in full (``03_awareness_confidence``), by its number (``03``)
    or by its name without the number (``awareness_confidence``); ``.ipynb`` is optional.
    """
    if not requested:
        return list(available)
    chosen: list[NotebookInfo] = []
    unknown: list[str] = []
    for item in requested:
        name = Path(item).name.removesuffix(".ipynb")
        match = [
            nb
            for nb in available
            if name in (nb.name, nb.number, nb.name[3:]) or nb.name.startswith(f"{name}_")
        ]
        if len(match) > 1:
            names = ", ".join(nb.name for nb in match)
            raise RunError(f"Notebook {item!r} is ambiguous: it could be {names}.")
        if not match:
            unknown.append(item)
        elif match[0] not in chosen:
            chosen.append(match[0])
    if unknown:
        valid = ", ".join(nb.name for nb in available) or "(none)"
        raise RunError(
            f"Unknown notebook(s): {', '.join(unknown)}. The notebooks are: {valid} "
            "(a number such as 03 is enough)."
        )
    return sorted(chosen, key=lambda nb: nb.name)


# ---------------------------------------------------------------------------
# Parameter values
# ---------------------------------------------------------------------------

_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "True or False",
    "str": "text",
    "list": "a list such as [1, 2]",
    "dict": "a mapping such as {'a': 1}",
}


def resolve_type(text: str) -> Any:
    """Return ``text`` parsed as papermill's ``-p`` does: bool, None, int, float or text."""
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_value(text: str, declared: str | None = None) -> Any:
    """Return a command-line value for a parameter whose default has type ``declared``.

    Values are parsed as papermill's ``-p`` does, except that a parameter whose default is
    text keeps the value as text (so a site id ``01`` stays ``"01"``), and a value that
    cannot be of the declared type raises :class:`ValueError`.
    """
    if declared == "str":
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        return text
    if text == "None" or declared in (None, "NoneType"):
        return resolve_type(text)
    if declared == "bool":
        low = text.strip().lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise ValueError(_TYPE_WORDS["bool"])
    if declared == "int":
        value = resolve_type(text)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(_TYPE_WORDS["int"])
    if declared == "float":
        value = resolve_type(text)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ValueError(_TYPE_WORDS["float"])
    if declared in ("list", "dict", "tuple"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(_TYPE_WORDS.get(declared, declared)) from exc
        return value
    return resolve_type(text)


def check_value(value: Any, declared: str | None) -> Any:
    """Return a settings-file value checked against the declared type (ints become floats)."""
    if value is None or declared in (None, "NoneType"):
        return value
    if isinstance(value, str) and declared != "str":
        return parse_value(value, declared)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "list": isinstance(value, list | tuple),
        "tuple": isinstance(value, list | tuple),
        "dict": isinstance(value, dict),
    }.get(declared, True)
    if not ok:
        raise ValueError(_TYPE_WORDS.get(declared, declared))
    return float(value) if declared == "float" else value


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Return ``KEY=VALUE`` items as a mapping (keys may be ``NOTEBOOK.KEY``)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise RunError(f"-p {item!r}: write parameters as NAME=VALUE (e.g. -p min_cell=10).")
        out[key] = value
    return out


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One notebook run for one site: its final parameters and its identity for skipping."""

    notebook: NotebookInfo
    site: str
    parameters: Mapping[str, Any]
    key: str

    @property
    def label(self) -> str:
        """Return ``notebook[site]``, how the run is named in messages."""
        return f"{self.notebook.name}[{self.site}]"


@dataclass(frozen=True)
class StudyInfo:
    """What the runner knows about the data folder: kind, fingerprint and sites."""

    folder: Path
    kind: str
    name: str
    fingerprint: str
    sites: Mapping[str, str]  # id -> display name, in file order

    @property
    def synthetic(self) -> bool:
        """Return True for synthetic data."""
        return self.kind == "synthetic"

    def to_dict(self) -> dict[str, Any]:
        """Return the data description for the run record."""
        return {
            "folder": str(self.folder),
            "kind": self.kind,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "sites": dict(self.sites),
        }


def read_study(folder: Path) -> StudyInfo:
    """Return the data folder's kind, fingerprint and sites, or raise a plain RunError."""
    from srim_analysis.study import loading

    if not folder.is_dir():
        raise RunError(f"The data folder {folder} does not exist (set it with --data).")
    try:
        marker = loading.read_marker(folder)
        study = loading.load_study(folder, tables=["sites"])
        frame = study.tables["sites"]
        names = dict(zip(frame["site_id"], frame["display_name"], strict=False))
        sites = {str(s): str(names.get(s, s)) for s in study.site_ids()}
    except (ValueError, FileNotFoundError) as exc:
        raise RunError(str(exc)) from exc
    bad = [s for s in sites if not SITE_ID.match(s) or s == ALL_SITES]
    if bad:
        raise RunError(
            f"Site ids {bad} cannot be used as folder names; use letters, digits, '-', '_'."
        )
    return StudyInfo(
        folder=folder,
        kind=marker["kind"],
        name=marker.get("name", folder.name),
        fingerprint=study.fingerprint,
        sites=sites,
    )


def select_sites(study: StudyInfo, requested: Sequence[str]) -> list[str]:
    """Return the sites to run ("all" first), every site and "all" if none are named."""
    if not requested:
        return [ALL_SITES, *study.sites]
    wanted: list[str] = []
    for item in requested:
        wanted += [s.strip() for s in str(item).split(",") if s.strip()]
    unknown = [s for s in wanted if s != ALL_SITES and s not in study.sites]
    if unknown:
        raise RunError(
            f"Unknown site(s): {', '.join(unknown)}. The sites in {study.folder} are: "
            f"{', '.join(study.sites)} (or 'all' for the whole study)."
        )
    ordered = [ALL_SITES] if ALL_SITES in wanted else []
    return ordered + [s for s in study.sites if s in wanted]


def _code_fingerprint() -> str:
    """Return a fingerprint of the package's source (a library change reruns everything)."""
    h = hashlib.sha256(__version__.encode())
    pkg = Path(__file__).resolve().parents[1]
    for path in sorted(pkg.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(pkg).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _run_key(
    nb: NotebookInfo, params: Mapping[str, Any], study: StudyInfo, code: str, with_code: bool
) -> str:
    blob = json.dumps(
        {
            "format": RUNNER_FORMAT,
            "notebook": nb.sha256,
            "parameters": params,
            "data": study.fingerprint,
            "package": __version__,
            "code": code,
            "with_code": with_code,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _coerce(nb: NotebookInfo, name: str, value: Any, *, text: bool, where: str) -> Any:
    param = nb.parameters[name]
    try:
        return parse_value(value, param.type) if text else check_value(value, param.type)
    except ValueError as exc:
        raise RunError(
            f"{where}: {nb.name} expects {exc} for {name!r} (its default is {param.default}), "
            f"not {value!r}."
        ) from exc


def _declared_somewhere(name: str, notebooks: Sequence[NotebookInfo]) -> bool:
    return any(name in nb.parameters for nb in notebooks)


def _unknown_parameter(name: str, where: str, notebooks: Sequence[NotebookInfo]) -> RunError:
    if name in RESERVED_PARAMETERS:
        return RunError(f"{where}: {name!r} is set by the runner; {RESERVED_PARAMETERS[name]}.")
    known = sorted({p for nb in notebooks for p in nb.parameters} - set(RESERVED_PARAMETERS))
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return RunError(
        f"{where}: unknown parameter {name!r}: no notebook run here declares it.{hint} "
        f"The parameters are: {', '.join(known) or '(none)'} "
        "(`srim run --list` shows them with their notebooks)."
    )


def plan_runs(
    config: Config,
    available: Sequence[NotebookInfo],
    selected: Sequence[NotebookInfo],
    study: StudyInfo,
    sites: Sequence[str],
    cli_parameters: Mapping[str, Any] | None = None,
) -> list[RunSpec]:
    """Return every run to make, with its parameters checked and resolved, or raise."""
    cli_parameters = dict(cli_parameters or {})
    for nb in selected:
        missing = [p for p in REQUIRED_PARAMETERS if p not in nb.parameters]
        if missing:
            raise RunError(
                f"{nb.path.name} cannot be run: its parameters cell (tagged 'parameters') "
                f"does not declare {', '.join(missing)}. Every notebook declares "
                f"{', '.join(REQUIRED_PARAMETERS)}."
            )
    # settings-file parameters: checked against every notebook, selected or not
    for name in config.parameters:
        if not _declared_somewhere(name, available):
            raise _unknown_parameter(name, f"{config.source or 'settings'} [parameters]", available)
    per_nb: dict[str, dict[str, Any]] = {}
    for nb_name, values in config.notebook_parameters.items():
        try:
            (nb,) = select_notebooks(available, [nb_name])
        except RunError as exc:
            raise RunError(f"{config.source} [notebooks.{nb_name}]: {exc}") from exc
        for name in values:
            if name not in nb.parameters:
                raise _unknown_parameter(name, f"{config.source} [notebooks.{nb_name}]", [nb])
        per_nb.setdefault(nb.name, {}).update(values)
    # command-line parameters: checked against the notebooks of this run
    cli_plain: dict[str, Any] = {}
    cli_nb: dict[str, dict[str, Any]] = {}
    for key, value in cli_parameters.items():
        if "." in key:
            nb_name, _, name = key.partition(".")
            (nb,) = select_notebooks(available, [nb_name])
            if nb not in selected:
                raise RunError(f"-p {key}: notebook {nb.name} is not part of this run.")
            if name not in nb.parameters:
                raise _unknown_parameter(name, f"-p {key}", [nb])
            cli_nb.setdefault(nb.name, {})[name] = value
        else:
            if key in RESERVED_PARAMETERS or not _declared_somewhere(key, selected):
                raise _unknown_parameter(key, f"-p {key}", selected)
            cli_plain[key] = value

    code = _code_fingerprint()
    runs: list[RunSpec] = []
    for nb in selected:
        values: dict[str, Any] = {}
        src = config.source or "settings"
        for name, value in config.parameters.items():
            if name in nb.parameters:
                values[name] = _coerce(nb, name, value, text=False, where=f"{src} [parameters]")
        for name, value in per_nb.get(nb.name, {}).items():
            values[name] = _coerce(nb, name, value, text=False, where=f"{src} [notebooks]")
        for layer in (cli_plain, cli_nb.get(nb.name, {})):
            for name, value in layer.items():
                if name in nb.parameters:
                    values[name] = _coerce(
                        nb, name, value, text=isinstance(value, str), where=f"-p {name}"
                    )
        nb_sites = [s for s in sites if nb.per_site or s == ALL_SITES]
        for site in nb_sites:
            params = {
                "site": site,
                "data_dir": str(study.folder),
                "reports_dir": str(config.reports_dir),
                "figures_dir": str(config.figures_dir),
                **values,
            }
            key = _run_key(nb, params, study, code, config.with_code)
            runs.append(RunSpec(notebook=nb, site=site, parameters=params, key=key))
    return runs


# ---------------------------------------------------------------------------
# Environment: kernel, versions, git, safety
# ---------------------------------------------------------------------------


def _spec_runs_this_python(argv: Sequence[str]) -> bool:
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
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel, find_kernel_specs

    ksm = KernelSpecManager()
    if name in find_kernel_specs():
        try:
            if _spec_runs_this_python(ksm.get_kernel_spec(name).argv):
                return {}
        except NoSuchKernel:
            pass
    # missing, or it runs another Python: install ours in this environment and prefer it
    from ipykernel.kernelspec import install

    install(user=False, prefix=sys.prefix, kernel_name=name)
    share = str(Path(sys.prefix) / "share" / "jupyter")
    rest = os.environ.get("JUPYTER_PATH")
    return {"JUPYTER_PATH": share + (os.pathsep + rest if rest else "")}


def package_versions() -> dict[str, str | None]:
    """Return the versions of Python and of the packages that shape the publishing."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = __version__ if name == "srim-analysis" else None
    return versions


def git_state(root: Path) -> dict[str, Any]:
    """Return the git commit of ``root`` and whether the working tree has changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), "--no-optional-locks", *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None, "branch": None}
    status = git("status", "--porcelain")
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    return {
        "commit": commit.strip(),
        "dirty": bool(status.strip()) if status is not None else None,
        "branch": branch.strip() if branch else None,
    }


def check_output_safety(config: Config, study: StudyInfo) -> None:
    """Refuse (RunError) to write outputs from real data into an unsafe folder."""
    if study.kind != "real":
        return
    try:
        from srim_analysis.disclosure import assert_safe_output_dir
    except ImportError as exc:
        raise RunError(
            f"{study.folder} holds real data, and the output-folder safety check "
            "(srim_analysis.disclosure) is not available in this installation, so nothing "
            "was run. Update srim-analysis."
        ) from exc
    for folder in (config.reports_dir, config.figures_dir):
        try:
            assert_safe_output_dir(folder, data_is_real=True)
        except Exception as exc:  # UnsafeOutputError, or anything that says no
            raise RunError(f"Refusing to write outputs from real data: {exc}") from exc
    from srim_analysis.disclosure import load_key

    try:
        load_key(required=True)
    except Exception as exc:  # MissingKeyError, UnsafeKeyError
        raise RunError(
            f"Refusing to run on real data without a pseudonymisation key: {exc} "
            "(see docs/disclosure-control.md)."
        ) from exc


class _RunLock:
    """An exclusive lock on an output folder, so two runs never write into it at once."""

    def __init__(self, path: Path):
        self.path = path
        self._fh: Any = None

    def __enter__(self) -> _RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a+")
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(self._fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._fh.close()
            raise RunError(
                f"Another `srim run` is writing to {self.path.parent.parent}; wait for it to "
                "finish (or choose another --out)."
            ) from exc
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"{os.getpid()}\n")
        self._fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()


_TMP_FILE = re.compile(r"^\..+\.tmp$")


def _clean_leftovers(config: Config) -> int:
    """Remove what an interrupted run left: staging folders and temporary files."""
    removed = 0
    staging = config.reports_dir / STAGING_DIR
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)
        removed += 1
    for top in (config.reports_dir, config.figures_dir):
        if not top.is_dir():
            continue
        for path in top.rglob(".*.tmp"):
            if path.is_file() and _TMP_FILE.match(path.name):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


# ---------------------------------------------------------------------------
# The worker: one notebook run into a staging folder
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
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
class _Outcome:
    ok: bool
    started: str
    duration: float
    error: str | None = None
    error_cell: int | None = None


_WORKER: dict[str, Any] = {"km": None, "runs": 0, "exporters": {}, "log": None}

_PRELUDE = r"""
def __srim_prelude(cwd):
    import logging, os, random, sys, types, warnings
    state = sys.modules.get("_srim_kernel_state")
    if state is None:
        os.chdir(cwd)
        state = types.ModuleType("_srim_kernel_state")
        state.path = list(sys.path)
        state.environ = dict(os.environ)
        state.filters = list(warnings.filters)
        root = logging.getLogger()
        state.log = (root.level, list(root.handlers))
        try:
            import numpy
            state.np_print = numpy.get_printoptions()
            state.np_err = numpy.geterr()
        except Exception:
            pass
        sys.modules["_srim_kernel_state"] = state
        return
    import gc
    collect = gc.collect
    gc.collect = lambda *args, **kwargs: 0  # reset() forces a full collection: slow, not needed
    try:
        get_ipython().reset(new_session=True)
    finally:
        gc.collect = collect
    steps = []
    def step(f):
        try:
            f()
        except Exception as exc:
            steps.append(repr(exc))
    step(lambda: os.chdir(cwd))
    def _path():
        sys.path[:] = state.path
    step(_path)
    def _env():
        for k in [k for k in os.environ if k not in state.environ]:
            del os.environ[k]
        for k, v in state.environ.items():
            if os.environ.get(k) != v:
                os.environ[k] = v
    step(_env)
    def _warn():
        warnings.filters[:] = state.filters
        warnings._filters_mutated()
    step(_warn)
    def _log():
        root = logging.getLogger()
        root.setLevel(state.log[0])
        root.handlers[:] = state.log[1]
        logging.disable(logging.NOTSET)
    step(_log)
    step(lambda: random.seed())
    def _np():
        if "numpy" in sys.modules:
            np = sys.modules["numpy"]
            np.random.seed()
            if hasattr(state, "np_print"):
                np.set_printoptions(**state.np_print)
                np.seterr(**state.np_err)
    step(_np)
    def _pd():
        if "pandas" in sys.modules:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sys.modules["pandas"].reset_option("all")
    step(_pd)
    def _mpl():
        if "matplotlib" not in sys.modules:
            return
        mpl = sys.modules["matplotlib"]
        if "matplotlib.pyplot" in sys.modules:
            plt = sys.modules["matplotlib.pyplot"]
            plt.close("all")
            wanted = os.environ.get("MPLBACKEND")
            if wanted and mpl.get_backend() != wanted:
                plt.switch_backend(wanted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mpl.rc_file_defaults()
        if "matplotlib_inline" in sys.modules:
            from matplotlib_inline.config import InlineBackend
            ib = InlineBackend.instance()
            for name in ("figure_formats", "print_figure_kwargs", "close_figures", "rc"):
                default = ib.trait_defaults(name)
                if getattr(ib, name) != default:
                    setattr(ib, name, default)
            mpl.rcParams.update(ib.rc)
    step(_mpl)
    if steps:
        print("srim: kernel reset incomplete:", steps, file=sys.stderr)
__srim_prelude(@CWD@)
globals().pop("__srim_prelude", None)
"""


class _KernelResetError(RuntimeError):
    """The warm kernel could not be reset before a run (the run is retried in a new one)."""


def _discard_kernel() -> None:
    """Shut down the worker's warm kernel, if any."""
    km, kc = _WORKER.get("km"), _WORKER.get("kc")
    _WORKER["km"], _WORKER["kc"], _WORKER["runs"] = None, None, 0
    if kc is not None:
        with contextlib.suppress(Exception):
            kc.stop_channels()
    if km is None:
        return
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)  # also cleans up its connection files


def _warm_kernel_manager(kernel_name: str) -> Any:
    """Return the worker's kernel manager (its kernel started by nbclient when needed)."""
    from jupyter_core.utils import run_sync

    km = _WORKER.get("km")
    if km is not None and km.has_kernel:
        try:
            alive = run_sync(km.is_alive)()
        except Exception:
            alive = False
        if not alive:
            _discard_kernel()
            km = None
    if km is None:
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=kernel_name)
        _WORKER["km"], _WORKER["kc"], _WORKER["runs"] = km, None, 0
    return km


def _register_warm_engine() -> str:
    """Register (once) the papermill engine that reuses the worker's warm kernel."""
    name = "srim-warm"
    if _WORKER.get("engine"):
        return name
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class _Client(PapermillNotebookClient):  # type: ignore[misc]
        def papermill_execute_cells(self) -> None:
            # the run's working folder: papermill has just moved this worker into it
            code = _PRELUDE.replace("@CWD@", repr(os.getcwd()))
            msg_id = self.kc.execute(code, silent=True, store_history=False)
            reply = self.wait_for_reply(msg_id)
            if reply is None or reply["content"].get("status") != "ok":
                content = (reply or {}).get("content", {})
                raise _KernelResetError(
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
            km = _warm_kernel_manager(kernel_name)
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
                    _discard_kernel()

    papermill_engines.register(name, _WarmEngine)
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _discard_kernel, exitpriority=50)
    _WORKER["engine"] = True
    return name


_HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
.srim-nav { font-family: system-ui, sans-serif; padding: .5rem 1rem; font-size: .9rem;
  border-bottom: 1px solid #ddd; }
.srim-synthetic { font-family: system-ui, sans-serif; background: #fff3cd;
  border: 3px solid #e69f00; color: #5c3d00; padding: .6rem 1rem; margin: .6rem 1rem;
  font-weight: 700; font-size: 1.1rem; border-radius: 6px; }
.srim-failed { font-family: system-ui, sans-serif; background: #fbe0dc;
  border: 3px solid #d55e00; color: #8a1c0b; padding: .6rem 1rem; margin: .6rem 1rem;
  font-weight: 700; border-radius: 6px; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
<div class="srim-nav"><a href="{{ resources.srim.index }}">&larr; Report index</a>
 &middot; {{ resources.srim.title | e }} &middot; {{ resources.srim.site | e }}</div>
{%- if resources.srim.failed %}
<div class="srim-failed">This run failed: {{ resources.srim.failed | e }}.
 The code is shown so that the failing cell can be found.</div>
{%- endif %}
{%- if resources.srim.synthetic %}
<div class="srim-synthetic">Synthetic data: made from the shipped synthetic study, not real
 data.</div>
{%- endif %}
{%- endblock body_header -%}
"""


def _exporter(with_code: bool) -> Any:
    cache = _WORKER["exporters"]
    if with_code not in cache:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        cache[with_code] = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"srim.html.j2": _HTML_TEMPLATE})],
            template_file="srim.html.j2",
            exclude_input=not with_code,
            exclude_input_prompt=not with_code,
            exclude_output_prompt=not with_code,
            embed_images=True,
        )
    return cache[with_code]


def _write_html(nb: Any, target: Path, task: _Task, with_code: bool, failed: str | None) -> None:
    resources = {
        "metadata": {"name": f"{task.title} — {task.site_label}"},
        "srim": {
            "index": "../index.html",
            "title": task.title,
            "site": task.site_label,
            "synthetic": task.synthetic,
            "failed": failed,
        },
    }
    body, _ = _exporter(with_code).from_notebook_node(nb, resources=resources)
    atomic.write_text(target, body)


def _show_final_parameters(path: Path, task: _Task) -> Any:
    """Rewrite the injected-parameters cell to show the final output folders; return the nb."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = translate_parameters(
                KERNEL_NAME, "python", task.final_parameters, "Parameters"
            ) + (
                "# (set by `srim run`, which has each run write to a staging folder and "
                "moves its outputs here only if it succeeds)\n"
            )
            break
    atomic.write_text(path, nbformat.writes(nb))
    return nb


def _one_line(text: str, limit: int = 240) -> str:
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _skip_slow_imports() -> None:
    """Skip an optional import that costs seconds in every process that imports nbformat.

    jsonschema imports ``rfc3987_syntax`` (when installed) only to check the "iri" string
    format, which notebook validation never uses; building its grammar at import takes
    about 4 s. Marking it absent makes jsonschema skip that check. Only done in the
    runner's own processes (the ``srim run`` command and its workers).
    """
    if "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]


def _init_worker(env: Mapping[str, str], log_dir: str) -> None:
    """Set up a worker process: environment, and its own output sent to a log file."""
    _skip_slow_imports()
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
    _watch_parent()


def _watch_parent() -> None:
    """End this worker (and so its kernel) as soon as the process that started it ends.

    Without this, a worker whose ``srim run`` was killed would wait for work for ever.
    """
    import multiprocessing

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


def _execute(task: _Task) -> _Outcome:
    """Run one notebook into its staging folder (in a worker process) and say how it went."""
    import logging

    import papermill
    from papermill.exceptions import PapermillExecutionError

    stage = Path(task.stage)
    site_dir = stage / "reports" / task.site
    executed = site_dir / f"{task.notebook}.ipynb"
    log_path = site_dir / "logs" / f"{task.notebook}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    (stage / "figures" / task.site).mkdir(parents=True, exist_ok=True)
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
                kwargs["engine_name"] = _register_warm_engine()
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
            except _KernelResetError as exc:  # not the notebook's fault: a new kernel
                log.write(f"\nsrim run: {exc}; retrying in a new kernel\n")
                _discard_kernel()
                execute()
            ok = True
        except PapermillExecutionError as exc:
            error = _one_line(f"{exc.ename}: {exc.evalue}") or exc.ename
            cell = exc.exec_count
            if exc.ename in ("KeyboardInterrupt", "SystemExit") and not task.fresh_kernel:
                _discard_kernel()
        except Exception as exc:
            error = _one_line(f"{type(exc).__name__}: {exc}") or type(exc).__name__
            if not task.fresh_kernel:
                _discard_kernel()
        finally:
            pm_log.removeHandler(handler)
        try:
            if executed.exists():
                nb = _show_final_parameters(executed, task)
                if ok:
                    _write_html(nb, executed.with_suffix(".html"), task, task.with_code, None)
                else:
                    failed_html = site_dir / f"{task.notebook}.failed.html"
                    _write_html(nb, failed_html, task, True, error)
        except Exception as exc:  # the HTML is part of the outputs: no HTML, no success
            log.write(f"\nsrim run: could not write the HTML report: {exc!r}\n")
            if ok:
                ok, error = False, _one_line(f"HTML export failed: {type(exc).__name__}: {exc}")
        if worker_log and worker_log.exists():
            with open(worker_log, "rb") as wl:
                wl.seek(offset)
                extra = wl.read().decode("utf-8", errors="replace").strip()
            if extra:
                log.write(f"\n--- messages from the kernel process ---\n{extra}\n")
        duration = time.perf_counter() - t0
        status = "succeeded" if ok else f"FAILED: {error}"
        log.write(f"\nsrim run: {status} after {duration:.2f} s\n")
    return _Outcome(
        ok=ok,
        started=started.isoformat(),
        duration=duration,
        error=error,
        error_cell=cell,
    )


# ---------------------------------------------------------------------------
# Promotion: staging -> outputs, one atomic rename per file
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold back Ctrl-C while a run's outputs are moved into place; re-raise it after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def _move_into_place(src: Path, dst: Path) -> None:
    """Move ``src`` onto ``dst`` atomically (a rename; a copy then rename across disks)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError:
        with atomic.atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)
        src.unlink(missing_ok=True)


def _staged_files(stage: Path) -> list[tuple[Path, str]]:
    """Return (staged file, path relative to the output root) for every staged output."""
    files = []
    for top in ("reports", "figures"):
        base = stage / top
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not _TMP_FILE.match(path.name):
                    files.append((path, f"{top}/{path.relative_to(base).as_posix()}"))
    return files


@dataclass
class RunResult:
    """How one run went: status, time, the error (one line) and where its outputs are."""

    notebook: str
    site: str
    status: Status
    parameters: Mapping[str, Any]
    duration: float | None = None
    error: str | None = None
    error_cell: int | None = None
    executed: Path | None = None
    html: Path | None = None
    log: Path | None = None
    outputs: list[Path] = field(default_factory=list)
    stale: bool = False
    made_by: str | None = None

    @property
    def label(self) -> str:
        """Return ``notebook[site]``."""
        return f"{self.notebook}[{self.site}]"

    def to_dict(self, out: Path) -> dict[str, Any]:
        """Return the run's entry in the run record (paths relative to the output root)."""

        def rel(p: Path | None) -> str | None:
            return _rel(p, out) if p else None

        return {
            "notebook": self.notebook,
            "site": self.site,
            "status": self.status,
            "parameters": dict(self.parameters),
            "duration_s": round(self.duration, 3) if self.duration is not None else None,
            "error": self.error,
            "error_cell": self.error_cell,
            "executed_notebook": rel(self.executed),
            "html": rel(self.html),
            "log": rel(self.log),
            "outputs": [rel(p) for p in self.outputs],
            "stale_outputs": self.stale,
            "made_by_run": self.made_by,
        }


def _rel(path: Path, base: Path) -> str:
    """Return ``path`` relative to ``base`` (both absolute), or in full if outside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


@dataclass
class RunSummary:
    """Every run of a report and the files that describe it; ``exit_code`` for the shell."""

    run_id: str
    out: Path
    results: list[RunResult]
    elapsed: float
    interrupted: bool = False
    index: Path | None = None
    manifest: Path | None = None
    record: Path | None = None

    def _with(self, status: str) -> list[RunResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ran(self) -> list[RunResult]:
        """Return the runs that ran and succeeded."""
        return self._with("ok")

    @property
    def skipped(self) -> list[RunResult]:
        """Return the runs that were up to date and not rerun."""
        return self._with("skipped")

    @property
    def failed(self) -> list[RunResult]:
        """Return the runs that failed."""
        return self._with("failed")

    @property
    def exit_code(self) -> int:
        """Return 0 when every run is ok or up to date, 1 if any failed, 130 if interrupted."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0

    def table(self, relative_to: Path | None = None) -> str:
        """Return the summary table printed at the end of a run."""
        base = relative_to or Path.cwd()

        def show(p: Path | None) -> str:
            if p is None:
                return ""
            try:
                rel = os.path.relpath(p, base)
            except ValueError:  # pragma: no cover - another drive on Windows
                return str(p)
            return str(p) if rel.startswith("..") else rel

        words = {"ok": "ok", "skipped": "up to date", "failed": "FAILED", "interrupted": "not run"}
        nb_w = max([len(r.notebook) for r in self.results] + [8])
        site_w = max([len(r.site) for r in self.results] + [4])
        lines = [
            f"{'status':<10}  {'notebook':<{nb_w}}  {'site':<{site_w}}  {'time':>7}  output",
        ]
        for r in self.results:
            took = f"{r.duration:.1f} s" if r.duration is not None else "-"
            where = r.error if r.status == "failed" else show(r.html or r.executed)
            if r.status == "failed" and r.error_cell is not None:
                where = f"{where} (cell [{r.error_cell}])"
            lines.append(
                f"{words[r.status]:<10}  {r.notebook:<{nb_w}}  {r.site:<{site_w}}  "
                f"{took:>7}  {where or ''}"
            )
            pad = " " * (10 + 2 + nb_w + 2 + site_w + 2 + 7 + 2)
            if r.status == "failed":
                if r.executed:
                    lines.append(f"{pad}executed notebook: {show(r.executed)}")
                if r.stale:
                    lines.append(f"{pad}stale: the outputs shown are from the last good run")
                else:
                    lines.append(f"{pad}no earlier good outputs")
        counts = f"{len(self.ran)} ran, {len(self.skipped)} up to date, {len(self.failed)} failed"
        if self.interrupted:
            counts += f", {len(self._with('interrupted'))} not run (interrupted)"
        lines.append("")
        lines.append(f"{len(self.results)} run(s): {counts}; {self.elapsed:.1f} s.")
        stale = [r for r in self.failed if r.stale]
        if stale:
            lines.append(
                "Stale outputs (last good ones kept, from an earlier run): "
                + ", ".join(r.label for r in stale)
            )
        if self.index:
            lines.append(f"Report index: {show(self.index)}")
        return "\n".join(lines)


def _previous_duration(config: Config, spec: RunSpec) -> float:
    ok, failed = index.stamp_paths(config.reports_dir, spec.site, spec.notebook.name)
    for path in (failed, ok):
        with contextlib.suppress(OSError, ValueError, TypeError):
            return float(json.loads(path.read_text(encoding="utf-8"))["duration_s"])
    return float("inf")


def _up_to_date(config: Config, spec: RunSpec) -> dict[str, Any] | None:
    """Return the last good stamp if ``spec`` needs no rerun, else None."""
    ok, failed = index.stamp_paths(config.reports_dir, spec.site, spec.notebook.name)
    if failed.exists() or not ok.exists():
        return None
    try:
        stamp = json.loads(ok.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stamp.get("key") != spec.key:
        return None
    files = stamp.get("outputs", {}).get("files", [])
    if not files or not all((config.out / f).is_file() for f in files):
        return None
    return stamp


class _Reporter:
    """Progress: a tqdm bar on a terminal, one line per finished run otherwise."""

    def __init__(self, total: int, progress: bool, echo: Callable[[str], None]):
        self.echo = echo
        self.done = 0
        self.total = total
        self.bar: Any = None
        if progress and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="run", dynamic_ncols=True, file=sys.stderr)

    def running(self, labels: Sequence[str]) -> None:
        if self.bar is not None:
            shown = ", ".join(labels)
            self.bar.set_postfix_str(f"running: {shown}" if shown else "", refresh=True)

    def finished(self, result: RunResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if result.status == "failed":
                self.bar.write(f"FAILED {result.label}: {result.error}")
        else:
            took = f"{result.duration:.1f} s" if result.duration is not None else ""
            word = "ok" if result.status == "ok" else result.status.upper()
            extra = f": {result.error}" if result.error else ""
            self.echo(f"[{self.done}/{self.total}] {word} {result.label} {took}{extra}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str("", refresh=False)
            self.bar.close()


class _Run:
    """One ``srim run``: the plan, the pool, promotion and the records."""

    def __init__(
        self,
        config: Config,
        study: StudyInfo,
        specs: list[RunSpec],
        *,
        force: bool,
        progress: bool,
        echo: Callable[[str], None],
        command: Sequence[str] | None,
        cli_parameters: Mapping[str, Any],
        keep_workers: bool = False,
    ):
        self.keep_workers = keep_workers
        self.config = config
        self.study = study
        self.specs = specs
        self.force = force
        self.echo = echo
        self.progress = progress
        self.command = list(command) if command is not None else None
        self.cli_parameters = dict(cli_parameters)
        self.run_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.started = datetime.now().astimezone()
        self.t0 = time.perf_counter()
        self.git = git_state(config.root)
        self.versions = package_versions()
        self.results: dict[str, RunResult] = {}
        self.staging = config.reports_dir / STAGING_DIR
        self.interrupted = False
        self._entries: dict[str, dict[str, Any]] = {}
        self._recorded = -1e9

    # -- records ------------------------------------------------------------------------

    @staticmethod
    def _stamp_run(spec: RunSpec, outcome: _Outcome) -> dict[str, Any]:
        """Return what a run's stamp says of the run itself (ok or failed alike)."""
        return {
            "notebook": spec.notebook.name,
            "site": spec.site,
            "title": spec.notebook.title,
            "description": spec.notebook.description,
            "per_site": spec.notebook.per_site,
            "key": spec.key,
            "started": outcome.started,
            "finished": datetime.now().astimezone().isoformat(),
            "duration_s": round(outcome.duration, 3),
            "parameters": dict(spec.parameters),
        }

    def _stamp_common(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "data": {
                "folder": str(self.study.folder),
                "kind": self.study.kind,
                "fingerprint": self.study.fingerprint,
            },
            "git": self.git,
            "versions": self.versions,
        }

    def record(self, status: str) -> Path:
        """Write the run record (at most every 2 s while running) and return its path."""
        path = self.config.reports_dir / RECORD_FILE
        now = time.perf_counter()
        if status == "running" and now - self._recorded < 2.0 and path.exists():
            return path
        self._recorded = now
        out = self.config.out
        for label, result in self.results.items():
            if label not in self._entries:
                self._entries[label] = result.to_dict(out)
        data = {
            "srim_run_record": 1,
            "run_id": self.run_id,
            "status": status,
            "started": self.started.isoformat(),
            "finished": datetime.now().astimezone().isoformat() if status != "running" else None,
            "elapsed_s": round(time.perf_counter() - self.t0, 3),
            "command": self.command,
            "force": self.force,
            "config": self.config.to_dict(),
            "command_line_parameters": self.cli_parameters,
            "git": self.git,
            "versions": self.versions,
            "platform": platform.platform(),
            "data": self.study.to_dict(),
            "runs": [
                self._entries[s.label]
                if s.label in self._entries
                else {
                    "notebook": s.notebook.name,
                    "site": s.site,
                    "status": "pending",
                    "parameters": dict(s.parameters),
                }
                for s in self.specs
            ],
            "index": "reports/index.html",
            "figure_manifest": "figures/manifest.csv",
        }
        return atomic.write_text(path, json.dumps(data, indent=1, default=str))

    # -- per-run bookkeeping --------------------------------------------------------------

    def _paths(self, spec: RunSpec) -> dict[str, Path]:
        site_dir = self.config.reports_dir / spec.site
        name = spec.notebook.name
        return {
            "executed": site_dir / f"{name}.ipynb",
            "html": site_dir / f"{name}.html",
            "failed_ipynb": site_dir / f"{name}.failed.ipynb",
            "failed_html": site_dir / f"{name}.failed.html",
            "log": site_dir / "logs" / f"{name}.log",
        }

    def _skipped(self, spec: RunSpec, stamp: Mapping[str, Any]) -> RunResult:
        p = self._paths(spec)
        out = self.config.out
        return RunResult(
            notebook=spec.notebook.name,
            site=spec.site,
            status="skipped",
            parameters=spec.parameters,
            executed=p["executed"],
            html=p["html"],
            log=p["log"],
            outputs=[out / f for f in stamp.get("outputs", {}).get("files", [])],
            made_by=stamp.get("run_id"),
        )

    def promote(self, spec: RunSpec, stage: Path, outcome: _Outcome) -> RunResult:
        """Move a successful run's staged outputs into place; return its result."""
        out = self.config.out
        p = self._paths(spec)
        ok_stamp, failed_stamp = index.stamp_paths(
            self.config.reports_dir, spec.site, spec.notebook.name
        )
        old: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            old = json.loads(ok_stamp.read_text(encoding="utf-8"))
        staged = _staged_files(stage)
        new_files = [rel for _, rel in staged]
        with _no_interrupt():
            # without its stamp, a half-promoted run is redone by the next `srim run`
            ok_stamp.unlink(missing_ok=True)
            for src, rel in staged:
                _move_into_place(src, out / rel)
            for rel in old.get("outputs", {}).get("files", []):
                target = (out / rel).resolve()
                # e.g. a figure the notebook no longer makes (never anything outside out/)
                if rel not in new_files and target.is_relative_to(out.resolve()):
                    target.unlink(missing_ok=True)
            for stale in (p["failed_ipynb"], p["failed_html"], failed_stamp):
                stale.unlink(missing_ok=True)
            stamp = {
                **self._stamp_run(spec, outcome),
                "notebook_sha256": spec.notebook.sha256,
                "outputs": {
                    "executed": _rel(p["executed"], out),
                    "html": _rel(p["html"], out),
                    "log": _rel(p["log"], out),
                    "files": new_files,
                },
                **self._stamp_common(),
            }
            atomic.write_text(ok_stamp, json.dumps(stamp, indent=1, default=str))
        shutil.rmtree(stage, ignore_errors=True)
        return RunResult(
            notebook=spec.notebook.name,
            site=spec.site,
            status="ok",
            parameters=spec.parameters,
            duration=outcome.duration,
            executed=p["executed"],
            html=p["html"],
            log=p["log"],
            outputs=[out / f for f in new_files],
        )

    def record_failure(self, spec: RunSpec, stage: Path | None, outcome: _Outcome) -> RunResult:
        """Keep a failed run's notebook and log beside the last good outputs; return its result."""
        out = self.config.out
        p = self._paths(spec)
        ok_stamp, failed_stamp = index.stamp_paths(
            self.config.reports_dir, spec.site, spec.notebook.name
        )
        name = spec.notebook.name
        kept: dict[str, Path | None] = {"executed": None, "html": None, "log": None}
        with _no_interrupt():
            if stage is not None:
                site_dir = stage / "reports" / spec.site
                moves = (
                    ("executed", site_dir / f"{name}.ipynb", p["failed_ipynb"]),
                    ("html", site_dir / f"{name}.failed.html", p["failed_html"]),
                    ("log", site_dir / "logs" / f"{name}.log", p["log"]),
                )
                for slot, src, dst in moves:
                    if src.is_file():
                        _move_into_place(src, dst)
                        kept[slot] = dst
                    elif slot != "log":
                        dst.unlink(missing_ok=True)  # an older failure's file would mislead
            stamp = {
                **self._stamp_run(spec, outcome),
                "error": outcome.error,
                "error_cell": outcome.error_cell,
                "outputs": {k: _rel(v, out) if v else None for k, v in kept.items()},
                **self._stamp_common(),
            }
            atomic.write_text(failed_stamp, json.dumps(stamp, indent=1, default=str))
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        return RunResult(
            notebook=name,
            site=spec.site,
            status="failed",
            parameters=spec.parameters,
            duration=outcome.duration,
            error=outcome.error,
            error_cell=outcome.error_cell,
            executed=kept["executed"],
            html=kept["html"],
            log=kept["log"],
            stale=ok_stamp.exists(),
        )

    # -- execution --------------------------------------------------------------------------

    def _task(self, spec: RunSpec, attempt: int) -> _Task:
        stage = self.staging / f"{spec.notebook.name}__{spec.site}__{uuid.uuid4().hex[:8]}"
        params = dict(spec.parameters)
        params["reports_dir"] = str(stage / "reports")
        params["figures_dir"] = str(stage / "figures")
        site_label = "All sites" if spec.site == ALL_SITES else self.study.sites.get(spec.site, "")
        if spec.site != ALL_SITES and site_label != spec.site:
            site_label = f"{site_label} ({spec.site})"
        return _Task(
            notebook=spec.notebook.name,
            title=spec.notebook.title,
            site=spec.site,
            site_label=site_label,
            input_path=str(spec.notebook.path),
            cwd=str(self.config.notebooks_dir),
            stage=str(stage),
            parameters=params,
            final_parameters=dict(spec.parameters),
            with_code=self.config.with_code,
            synthetic=self.study.synthetic,
            fresh_kernel=self.config.fresh_kernels,
            cell_timeout=self.config.cell_timeout,
            attempt=attempt,
        )

    def execute(self, todo: list[RunSpec], env: Mapping[str, str]) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        jobs = self.config.job_count(len(todo))
        reporter = _Reporter(len(todo), self.progress, self.echo)
        queue = deque((spec, 1) for spec in todo)
        running: dict[Any, tuple[RunSpec, _Task]] = {}
        pool = _get_pool(jobs, env, self.keep_workers)
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    # a retry after a worker died runs alone, so that if it kills its worker
                    # again it is the only run lost (and the culprit is known)
                    if running and (
                        queue[0][1] > 1 or any(t.attempt > 1 for _, t in running.values())
                    ):
                        break
                    spec, attempt = queue.popleft()
                    task = self._task(spec, attempt)
                    running[pool.submit(_execute, task)] = (spec, task)
                reporter.running([s.label for s, _ in running.values()])
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    spec, task = running.pop(fut)
                    try:
                        outcome: _Outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if task.attempt < 2:  # the victim may be innocent: try it once more
                            queue.appendleft((spec, task.attempt + 1))
                            continue
                        outcome = _Outcome(
                            ok=False,
                            started=datetime.now().astimezone().isoformat(),
                            duration=0.0,
                            error="the process running this notebook stopped unexpectedly "
                            "(killed, or out of memory) or could not start (see the messages "
                            "above the summary)",
                        )
                    except Exception as exc:  # a bug in the worker itself
                        outcome = _Outcome(
                            ok=False,
                            started=datetime.now().astimezone().isoformat(),
                            duration=0.0,
                            error=_one_line(f"{type(exc).__name__}: {exc}"),
                        )
                    stage = Path(task.stage)
                    if outcome.ok:
                        result = self.promote(spec, stage, outcome)
                    else:
                        result = self.record_failure(spec, stage, outcome)
                    self.results[spec.label] = result
                    reporter.finished(result)
                    self.record("running")
                if broken:
                    # every run in the broken pool is lost: requeue them, start a new pool
                    for fut, (spec, task) in list(running.items()):
                        running.pop(fut)
                        if task.attempt < 2:
                            queue.appendleft((spec, task.attempt + 1))
                        else:
                            outcome = _Outcome(
                                ok=False,
                                started=datetime.now().astimezone().isoformat(),
                                duration=0.0,
                                error="the process running this notebook stopped unexpectedly",
                            )
                            self.results[spec.label] = self.record_failure(
                                spec, Path(task.stage), outcome
                            )
                            reporter.finished(self.results[spec.label])
                    _close_pool(pool, terminate=True)
                    pool = _get_pool(jobs, env, self.keep_workers)
        except BaseException as exc:
            self.interrupted = isinstance(exc, KeyboardInterrupt)
            _close_pool(pool, terminate=True)
            raise
        else:
            if not self.keep_workers:
                _close_pool(pool, terminate=False)
        finally:
            reporter.close()


_KEPT: dict[str, Any] = {}


def _new_pool(jobs: int, env: Mapping[str, str]) -> Any:
    """Return a new pool of ``jobs`` worker processes."""
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

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
        initializer=_init_worker,
        initargs=(dict(env), log_dir),
    )
    pool._srim = {"env": dict(env), "jobs": jobs, "log_dir": log_dir}  # type: ignore[attr-defined]
    return pool


def _close_pool(pool: Any, *, terminate: bool) -> None:
    """Stop a pool's workers (and so their kernels): at once, or when they are idle."""
    if _KEPT.get("pool") is pool:
        _KEPT.clear()
    if terminate:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(timeout=10)
    else:
        pool.shutdown(wait=True)
    shutil.rmtree(pool._srim["log_dir"], ignore_errors=True)


def _get_pool(jobs: int, env: Mapping[str, str], keep: bool) -> Any:
    """Return a pool with at least ``jobs`` workers: the kept one if it fits, else a new one."""
    kept = _KEPT.get("pool")
    if keep and kept is not None:
        fits = kept._srim["env"] == dict(env) and kept._srim["jobs"] >= jobs
        if fits and not getattr(kept, "_broken", False):
            return kept
        _close_pool(kept, terminate=bool(getattr(kept, "_broken", False)))
    pool = _new_pool(jobs, env)
    if keep:
        _KEPT["pool"] = pool
    return pool


def shutdown_workers() -> None:
    """Stop the worker processes and kernels kept by ``run_report(keep_workers=True)``."""
    pool = _KEPT.get("pool")
    if pool is not None:
        _close_pool(pool, terminate=False)


atexit.register(shutdown_workers)


def list_notebooks(config: Config) -> str:
    """Return the text of ``srim run --list``: notebooks, parameters, defaults, help."""
    notebooks = discover_notebooks(config.notebooks_dir)
    if not notebooks:
        return f"No notebooks (NN_name.ipynb) in {config.notebooks_dir}."
    lines = [f"Notebooks in {config.notebooks_dir}:"]
    for nb in notebooks:
        how = "per site, and for all sites" if nb.per_site else "once, for all sites"
        lines += ["", f"{nb.name}: {nb.title}  [{how}]"]
        if nb.description:
            lines.append(f"    {nb.description}")
        lines.append("    parameters:")
        width = max([len(p) for p in nb.parameters] + [4])
        for p in nb.parameters.values():
            note = " (set by srim run)" if p.name in RESERVED_PARAMETERS else ""
            lines.append(f"      {p.name:<{width}} = {p.default:<18} {p.help}{note}")
    lines += [
        "",
        "Set a parameter for every notebook that has it with -p NAME=VALUE, or for one "
        "notebook with -p NN.NAME=VALUE; or in srim.toml under [parameters] or "
        "[notebooks.<name>].",
    ]
    return "\n".join(lines)


def run_report(
    config: Config,
    *,
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
    progress: bool | None = None,
    echo: Callable[[str], None] | None = print,
    command: Sequence[str] | None = None,
    keep_workers: bool = False,
) -> RunSummary:
    """Run the report as ``config`` says and return the summary (raises RunError if refused).

    ``parameters`` are the command line's ``-p`` values (``NAME`` or ``NOTEBOOK.NAME``);
    text values are parsed like papermill's ``-p``. ``keep_workers`` keeps the worker
    processes and their warm kernels for the next call in this Python session (until
    :func:`shutdown_workers` or exit). A script that calls this needs an
    ``if __name__ == "__main__":`` guard, as with any use of multiprocessing.
    """
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(
            "run_report() was called again in a worker process as it started, because the "
            "script that calls it has no `if __name__ == '__main__':` guard. Put the call "
            "under that guard (worker processes import the calling script)."
        )
    say: Callable[[str], None] = echo or (lambda _msg: None)
    if progress is None:
        progress = sys.stderr.isatty()
    cli_parameters = dict(parameters or {})

    # 1. everything is checked before anything runs
    available = discover_notebooks(config.notebooks_dir)
    if not available:
        raise RunError(f"No notebooks (NN_name.ipynb) found in {config.notebooks_dir}.")
    selected = select_notebooks(available, config.notebooks)
    study = read_study(config.data)
    sites = select_sites(study, config.sites)
    specs = plan_runs(config, available, selected, study, sites, cli_parameters)
    if not specs:
        raise RunError(
            "Nothing to run: the notebooks chosen run only for 'all' sites "
            f"({', '.join(nb.name for nb in selected)}); add --site all."
        )
    check_output_safety(config, study)
    for folder in (config.reports_dir, config.figures_dir):
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            raise RunError(
                f"The output folder {folder} cannot be made: {existing} is a file, not a "
                "folder. Choose another output folder (--out)."
            )

    say("srim run: resolved configuration")
    say(config.describe())
    say(f"  data kind       {study.kind} ({study.name}), fingerprint {study.fingerprint}")
    if cli_parameters:
        say(f"  -p              {cli_parameters}")
    say(f"  runs            {len(specs)} ({len(selected)} notebook(s), {len(sites)} site(s))")

    env = {
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[2])]
            + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
        "SRIM_PROJECT_ROOT": str(config.root),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }

    config.reports_dir.mkdir(parents=True, exist_ok=True)
    config.figures_dir.mkdir(parents=True, exist_ok=True)
    with _RunLock(config.reports_dir / LOCK_FILE):
        _clean_leftovers(config)
        run = _Run(
            config,
            study,
            specs,
            force=force,
            progress=progress,
            echo=say,
            command=command,
            cli_parameters=cli_parameters,
            keep_workers=keep_workers,
        )
        todo: list[RunSpec] = []
        for spec in specs:
            stamp = None if force else _up_to_date(config, spec)
            if stamp is not None:
                run.results[spec.label] = run._skipped(spec, stamp)
            else:
                todo.append(spec)
        # longest first (as last timed; new ones first), so the pool finishes together
        todo.sort(key=lambda s: (-_previous_duration(config, s), s.site != ALL_SITES, s.label))
        say(
            f"  to run          {len(todo)} ({len(specs) - len(todo)} up to date)"
            + (f", {config.job_count(len(todo))} at a time" if todo else "")
        )
        run.record("running")
        status = "complete"
        try:
            if todo:
                env.update(ensure_kernel(KERNEL_NAME))
                run.execute(todo, env)
        except KeyboardInterrupt:
            run.interrupted, status = True, "interrupted"
            for spec in specs:
                run.results.setdefault(
                    spec.label,
                    RunResult(spec.notebook.name, spec.site, "interrupted", spec.parameters),
                )
        except BaseException:
            status = "crashed"
            raise
        finally:
            manifest = figures.write_manifest(config.figures_dir)
            index_page = index.write_index(
                config.out,
                run_id=run.run_id,
                site_names=study.sites,
                data={
                    "folder": str(study.folder),
                    "kind": study.kind,
                    "fingerprint": study.fingerprint,
                },
                git=run.git,
                with_code=config.with_code,
            )
            record = run.record(status)
            shutil.rmtree(run.staging, ignore_errors=True)
        ordered = [run.results[s.label] for s in specs if s.label in run.results]
        return RunSummary(
            run_id=run.run_id,
            out=config.out,
            results=ordered,
            elapsed=time.perf_counter() - run.t0,
            interrupted=run.interrupted,
            index=index_page,
            manifest=manifest,
            record=record,
        )


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``srim run``."""
    parser = argparse.ArgumentParser(
        prog="srim run",
        description=(
            "Run the notebooks for every site (or those named), in parallel, into "
            "reports/ and figures/; skip runs that are up to date. Settings come from "
            "srim.toml (see docs/configuration.md); the options below override them."
        ),
        epilog=(
            "examples:\n"
            "  srim run                          every notebook, every site\n"
            "  srim run --site S01 --notebook 03 one notebook for one site\n"
            "  srim run -p min_cell=10           a parameter for every notebook that has it\n"
            "  srim run -p 03.alpha=0.1          a parameter for one notebook\n"
            "  srim run --list                   the notebooks and their parameters\n"
            "exit status: 0 all ok or up to date; 1 a run failed; 2 refused; 130 interrupted"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--site",
        action="extend",
        nargs="+",
        default=[],
        metavar="ID",
        help="a site to run (repeat, or separate with commas); 'all' for the whole-study run",
    )
    parser.add_argument(
        "--notebook",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help="a notebook to run, e.g. 03 or 03_awareness_confidence (repeat for more)",
    )
    parser.add_argument("--data", metavar="DIR", help="the study folder")
    parser.add_argument(
        "--out", metavar="DIR", help="output root: reports/ and figures/ go inside it"
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="runs at once (0: one per core, the default)"
    )
    parser.add_argument("--force", action="store_true", help="rerun runs that are up to date")
    parser.add_argument(
        "--with-code", action="store_true", default=None, help="keep the code in the HTML"
    )
    parser.add_argument(
        "--fresh-kernels",
        action="store_true",
        default=None,
        help="a new Python kernel for every run (slower; the default reuses and resets one)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a notebook parameter (NAME=VALUE, or NOTEBOOK.NAME=VALUE for one notebook)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the notebooks and their parameters"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="settings file (default: srim.toml in the project)"
    )
    return parser


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def cli(argv: list[str] | None = None) -> int:
    """Run ``srim run`` with ``argv`` and return the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    _skip_slow_imports()
    try:
        if args.jobs is not None and args.jobs < 0:
            raise RunError("--jobs must be 0 (one per core) or more.")
        config = load_config(args.config)
        config = config.replace(
            data=args.data,
            out=args.out,
            jobs=args.jobs,
            sites=_split(args.site) or None,
            notebooks=_split(args.notebook) or None,
            with_code=args.with_code,
            fresh_kernels=args.fresh_kernels,
        )
        if args.list:
            print(list_notebooks(config))
            return 0
        parameters = parse_assignments(args.parameter)
        summary = run_report(
            config,
            parameters=parameters,
            force=args.force,
            command=["srim", "run", *(sys.argv[1:] if argv is None else argv)],
        )
    except (RunError, ConfigError) as exc:
        print(f"srim run: {exc}", file=sys.stderr)
        print("Nothing was run.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before the runs started: nothing to clean up
        print("srim run: interrupted.", file=sys.stderr)
        return 130
    print()
    print(summary.table())
    if summary.interrupted:
        print("Interrupted: rerun `srim run` to complete the report (finished runs are kept).")
    return summary.exit_code
