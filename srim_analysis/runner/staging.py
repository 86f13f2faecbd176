"""Staging: each run writes into a private folder, and only a success is moved into place.

A run's outputs go to ``reports/.staging/<run>/{reports,figures}`` (the same layout as the
real outputs). If the run succeeds, each file is moved into place with one ``os.replace``,
with Ctrl-C held back meanwhile, so a failed or interrupted run never replaces the last good
publishing. A lock keeps two runs from writing into the same folder at once; what an
interrupted run left (staging folders, temporary files) is removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from srim_analysis import atomic
from srim_analysis.layout import RunLayout
from srim_analysis.runner.errors import RunError
from srim_analysis.runner.parameters import KERNEL_NAME

if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt
else:
    import fcntl

#: The name of a temporary file written by :mod:`srim_analysis.atomic`.
TMP_FILE = re.compile(r"^\..+\.tmp$")


class RunLock:
    """An exclusive lock on an output folder, so two runs never write into it at once."""

    def __init__(self, path: Path):
        self.path = path
        self._fh: Any = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a+")
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
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


def clean_leftovers(layout: RunLayout) -> int:
    """Remove what an interrupted run left: staging folders and temporary files."""
    removed = 0
    if layout.staging.exists():
        shutil.rmtree(layout.staging, ignore_errors=True)
        removed += 1
    for top in (layout.reports_dir, layout.figures_dir):
        if not top.is_dir():
            continue
        for path in top.rglob(".*.tmp"):
            if path.is_file() and TMP_FILE.match(path.name):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def new_stage(layout: RunLayout, notebook: str, site: str) -> Path:
    """Return a new, unique staging folder for one run of ``notebook`` for ``site``."""
    return layout.staging / f"{notebook}__{site}__{uuid.uuid4().hex[:8]}"


def show_final_parameters(path: Path, parameters: Mapping[str, Any]) -> Any:
    """Rewrite the injected-parameters cell to show the final output folders; return the nb."""
    # lazy: papermill costs 0.37 s and nbformat 1.2 s at import (measured); workers only
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = translate_parameters(
                KERNEL_NAME, "python", dict(parameters), "Parameters"
            ) + (
                "# (set by `srim run`, which has each run write to a staging folder and "
                "moves its outputs here only if it succeeds)\n"
            )
            break
    atomic.write_text(path, nbformat.writes(nb))
    return nb


@contextlib.contextmanager
def no_interrupt() -> Iterator[None]:
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


def move_into_place(src: Path, dst: Path) -> None:
    """Move ``src`` onto ``dst`` atomically (a rename; a copy then rename across disks)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError:
        with atomic.atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)
        src.unlink(missing_ok=True)


def staged_files(stage: Path) -> list[tuple[Path, str]]:
    """Return (staged file, path relative to the output root) for every staged output."""
    layout = RunLayout.under(stage)
    files = []
    for base in (layout.reports_dir, layout.figures_dir):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not TMP_FILE.match(path.name):
                    files.append((path, path.relative_to(stage).as_posix()))
    return files


def promote(stage: Path, out: Path, old_files: list[str]) -> list[str]:
    """Move every staged file of ``stage`` into ``out``; remove the old files not made again.

    Returns the new files, relative to ``out``. Only files inside ``out`` are ever removed.
    """
    staged = staged_files(stage)
    new_files = [rel for _, rel in staged]
    for src, rel in staged:
        move_into_place(src, out / rel)
    for rel in old_files:
        target = (out / rel).resolve()
        # e.g. a figure the notebook no longer makes (never anything outside out/)
        if rel not in new_files and target.is_relative_to(out.resolve()):
            target.unlink(missing_ok=True)
    return new_files
