"""What a run leaves to say what it did: stamps per run, the run record, and the summary.

Each notebook run for a site leaves a stamp in ``reports/<site>/logs/`` (``.ok.json`` for its
last good run, ``.failed.json`` for a failure): its key, parameters, timing, outputs, data,
git commit and package versions. ``reports/run-record.json`` describes the whole ``srim run``
(settings, command, every run's status). The summary is the table printed at the end.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from srim_analysis import __version__
from srim_analysis.runner.kernels import Outcome
from srim_analysis.runner.planning import RunSpec, StudyInfo

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

Status = Literal["ok", "skipped", "failed", "interrupted"]


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

    def git(*args: str, locks: bool = False) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *([] if locks else ["--no-optional-locks"]), *args],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None, "branch": None}
    # Refresh the index's file stats first (the one write, skipped if another git holds the
    # lock): otherwise every status runs the notebooks' nbstripout filter again (~10 s).
    git("update-index", "-q", "--refresh", locks=True)
    status = git("status", "--porcelain")
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    return {
        "commit": commit.strip(),
        "dirty": bool(status.strip()) if status is not None else None,
        "branch": branch.strip() if branch else None,
    }


def relative(path: Path, base: Path) -> str:
    """Return ``path`` relative to ``base`` (both absolute), or in full if outside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def stamp_of_run(spec: RunSpec, outcome: Outcome) -> dict[str, Any]:
    """Return what a run's stamp says of the run itself (ok or failed alike)."""
    return {
        "notebook": spec.notebook.name,
        "site": spec.site,
        "title": spec.notebook.title,
        "description": spec.notebook.description,
        "per_site": spec.notebook.per_site,
        "objective": spec.notebook.objective,
        "key": spec.key,
        "started": outcome.started,
        "finished": datetime.now().astimezone().isoformat(),
        "duration_s": round(outcome.duration, 3),
        "parameters": dict(spec.parameters),
    }


def provenance(
    run_id: str, study: StudyInfo, git: Mapping[str, Any], versions: Mapping[str, Any]
) -> dict[str, Any]:
    """Return what every stamp of one ``srim run`` says of its data, code and packages."""
    return {
        "run_id": run_id,
        "data": {
            "folder": str(study.folder),
            "kind": study.kind,
            "fingerprint": study.fingerprint,
            "withdrawn": dict(study.withdrawn),
        },
        "git": git,
        "versions": versions,
    }


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
            return relative(p, out) if p else None

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
    audit_findings: int | None = None
    audit_file: Path | None = None

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
        """Return 0 if every run is ok or up to date and the audit is clean, else 1; 130 if cut."""
        if self.interrupted:
            return 130
        return 1 if self.failed or self.audit_findings else 0

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
        if self.audit_findings is not None:
            where = f": see {show(self.audit_file)}" if self.audit_findings else ""
            verdict = "; the run is NOT ok" if self.audit_findings else ""
            lines.append(f"Disclosure audit: {self.audit_findings} finding(s){where}{verdict}")
        if self.index:
            lines.append(f"Report index: {show(self.index)}")
        return "\n".join(lines)


class Progress:
    """Progress: a tqdm bar on a terminal, one line per finished run otherwise."""

    def __init__(self, total: int, progress: bool, echo: Callable[[str], None]):
        self.echo = echo
        self.done = 0
        self.total = total
        self.bar: Any = None
        if progress and total:
            self.bar = tqdm(total=total, unit="run", dynamic_ncols=True, file=sys.stderr)

    def running(self, labels: Sequence[str]) -> None:
        """Show the runs now running (on the bar)."""
        if self.bar is not None:
            shown = ", ".join(labels)
            self.bar.set_postfix_str(f"running: {shown}" if shown else "", refresh=True)

    def finished(self, result: RunResult) -> None:
        """Count a finished run and say how it went."""
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
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.set_postfix_str("", refresh=False)
            self.bar.close()
