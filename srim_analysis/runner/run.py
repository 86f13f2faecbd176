"""One ``srim run``: check and plan, run what is due in the workers, promote, record.

:func:`run_report` is the whole run; the command line (:mod:`srim_analysis.runner.command`)
only reads the settings and calls it.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import platform
import shutil
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Any

from srim_analysis import atomic, disclosure
from srim_analysis.layout import RunLayout
from srim_analysis.report import cache, figures
from srim_analysis.runner import index, kernels, planning, staging
from srim_analysis.runner.config import Config
from srim_analysis.runner.errors import RunError, one_line
from srim_analysis.runner.kernels import Outcome, Task
from srim_analysis.runner.parameters import KERNEL_NAME
from srim_analysis.runner.planning import RunSpec, StudyInfo
from srim_analysis.runner.record import (
    Progress,
    RunResult,
    RunSummary,
    git_state,
    package_versions,
    provenance,
    relative,
    stamp_of_run,
)
from srim_analysis.study.selection import ALL_SITES


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
        self.layout = planning.layout_of(config)
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
        self.interrupted = False
        self._entries: dict[str, dict[str, Any]] = {}
        self._recorded = -1e9
        self.audit: disclosure.AuditResult | None = None

    # -- records ------------------------------------------------------------------------

    def _provenance(self) -> dict[str, Any]:
        return provenance(self.run_id, self.study, self.git, self.versions)

    def record(self, status: str) -> Path:
        """Write the run record (at most every 2 s while running) and return its path."""
        path = self.layout.record
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
            "index": relative(self.layout.index, out),
            "figure_manifest": relative(self.layout.manifest, out),
            "disclosure_audit": self._audit_entry(),
        }
        return atomic.write_text(path, json.dumps(data, indent=1, default=str))

    def _audit_entry(self) -> dict[str, Any] | None:
        if self.audit is None:
            return None
        return {
            "ok": self.audit.ok,
            "findings": len(self.audit.findings),
            "by_rule": dict(disclosure.findings_by_rule(self.audit.findings)),
            "file": relative(self.layout.disclosure_audit, self.config.out),
            "seconds": round(self.audit.seconds, 3),
        }

    def audit_outputs(self) -> disclosure.AuditResult:
        """Audit the whole output root for disclosure, say what was found, write it down."""
        result = disclosure.audit_output(self.config.out)
        for finding in result.findings:
            self.echo(finding.line())
        disclosure.write_findings(result.findings, self.layout.disclosure_audit)
        self.echo(result.summary())
        self.audit = result
        return result

    # -- per-run bookkeeping --------------------------------------------------------------

    def skipped(self, spec: RunSpec, stamp: Mapping[str, Any]) -> RunResult:
        """Return the result of a run that is up to date (made by the run of ``stamp``)."""
        site, name = spec.site, spec.notebook.name
        return RunResult(
            notebook=name,
            site=site,
            status="skipped",
            parameters=spec.parameters,
            executed=self.layout.executed(site, name),
            html=self.layout.html(site, name),
            log=self.layout.log(site, name),
            outputs=[self.config.out / f for f in stamp.get("outputs", {}).get("files", [])],
            made_by=stamp.get("run_id"),
        )

    def promote(self, spec: RunSpec, stage: Path, outcome: Outcome) -> RunResult:
        """Move a successful run's staged outputs into place; return its result."""
        out, layout = self.config.out, self.layout
        site, name = spec.site, spec.notebook.name
        ok_stamp, failed_stamp = layout.ok_stamp(site, name), layout.failed_stamp(site, name)
        old: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            old = json.loads(ok_stamp.read_text(encoding="utf-8"))
        with staging.no_interrupt():
            # without its stamp, a half-promoted run is redone by the next `srim run`
            ok_stamp.unlink(missing_ok=True)
            new_files = staging.promote(stage, out, old.get("outputs", {}).get("files", []))
            for stale in (layout.failed_executed(site, name), layout.failed_html(site, name)):
                stale.unlink(missing_ok=True)
            failed_stamp.unlink(missing_ok=True)
            stamp = {
                **stamp_of_run(spec, outcome),
                "notebook_sha256": spec.notebook.sha256,
                "outputs": {
                    "executed": relative(layout.executed(site, name), out),
                    "html": relative(layout.html(site, name), out),
                    "log": relative(layout.log(site, name), out),
                    "files": new_files,
                },
                **self._provenance(),
            }
            atomic.write_text(ok_stamp, json.dumps(stamp, indent=1, default=str))
        shutil.rmtree(stage, ignore_errors=True)
        return RunResult(
            notebook=name,
            site=site,
            status="ok",
            parameters=spec.parameters,
            duration=outcome.duration,
            executed=layout.executed(site, name),
            html=layout.html(site, name),
            log=layout.log(site, name),
            outputs=[out / f for f in new_files],
        )

    def record_failure(self, spec: RunSpec, stage: Path | None, outcome: Outcome) -> RunResult:
        """Keep a failed run's notebook and log beside the last good outputs; return its result."""
        out, layout = self.config.out, self.layout
        site, name = spec.site, spec.notebook.name
        ok_stamp, failed_stamp = layout.ok_stamp(site, name), layout.failed_stamp(site, name)
        kept: dict[str, Path | None] = {"executed": None, "html": None, "log": None}
        with staging.no_interrupt():
            if stage is not None:
                staged = RunLayout.under(stage)
                moves = (
                    ("executed", staged.executed(site, name), layout.failed_executed(site, name)),
                    ("html", staged.failed_html(site, name), layout.failed_html(site, name)),
                    ("log", staged.log(site, name), layout.log(site, name)),
                )
                for slot, src, dst in moves:
                    if src.is_file():
                        staging.move_into_place(src, dst)
                        kept[slot] = dst
                    elif slot != "log":
                        dst.unlink(missing_ok=True)  # an older failure's file would mislead
            stamp = {
                **stamp_of_run(spec, outcome),
                "error": outcome.error,
                "error_cell": outcome.error_cell,
                "outputs": {k: relative(v, out) if v else None for k, v in kept.items()},
                **self._provenance(),
            }
            atomic.write_text(failed_stamp, json.dumps(stamp, indent=1, default=str))
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        return RunResult(
            notebook=name,
            site=site,
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

    def task(self, spec: RunSpec, attempt: int) -> Task:
        """Return the worker's task for ``spec``, writing into a new staging folder."""
        stage = staging.new_stage(self.layout, spec.notebook.name, spec.site)
        staged = RunLayout.under(stage)
        params = dict(spec.parameters)
        params["reports_dir"] = str(staged.reports_dir)
        params["figures_dir"] = str(staged.figures_dir)
        return Task(
            notebook=spec.notebook.name,
            title=spec.notebook.title,
            site=spec.site,
            site_label=self.study.site_label(spec.site),
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

    def _lost(self, error: str) -> Outcome:
        return Outcome(
            ok=False, started=datetime.now().astimezone().isoformat(), duration=0.0, error=error
        )

    def execute(self, todo: list[RunSpec], env: Mapping[str, str]) -> None:
        """Run ``todo`` in the worker pool, promoting or recording each run as it ends."""
        jobs = self.config.job_count(len(todo))
        reporter = Progress(len(todo), self.progress, self.echo)
        queue = deque((spec, 1) for spec in todo)
        running: dict[Any, tuple[RunSpec, Task]] = {}
        pool = kernels.get_pool(jobs, env, self.keep_workers)
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
                    task = self.task(spec, attempt)
                    running[pool.submit(kernels.execute_task, task)] = (spec, task)
                reporter.running([s.label for s, _ in running.values()])
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    spec, task = running.pop(fut)
                    try:
                        outcome: Outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if task.attempt < 2:  # the victim may be innocent: try it once more
                            queue.appendleft((spec, task.attempt + 1))
                            continue
                        outcome = self._lost(
                            "the process running this notebook stopped unexpectedly "
                            "(killed, or out of memory) or could not start (see the messages "
                            "above the summary)"
                        )
                    except Exception as exc:  # a bug in the worker itself
                        outcome = self._lost(one_line(f"{type(exc).__name__}: {exc}"))
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
                            outcome = self._lost(
                                "the process running this notebook stopped unexpectedly"
                            )
                            self.results[spec.label] = self.record_failure(
                                spec, Path(task.stage), outcome
                            )
                            reporter.finished(self.results[spec.label])
                    kernels.close_pool(pool, terminate=True)
                    pool = kernels.get_pool(jobs, env, self.keep_workers)
        except BaseException as exc:
            self.interrupted = isinstance(exc, KeyboardInterrupt)
            kernels.close_pool(pool, terminate=True)
            raise
        else:
            if not self.keep_workers:
                forced = kernels.close_pool(pool, terminate=False)
                if forced:
                    self.echo(
                        f"srim run: {forced} worker(s) did not stop within "
                        f"{kernels.STOP_GRACE_S:.0f} s of their last run and were stopped "
                        "(their runs had finished; nothing is lost)"
                    )
        finally:
            reporter.close()


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
    available = planning.discover_notebooks(config.notebooks_dir)
    if not available:
        raise RunError(f"No notebooks (NN_name.ipynb) found in {config.notebooks_dir}.")
    selected = planning.select_notebooks(available, config.notebooks)
    study = planning.read_study(config.data)
    sites = planning.select_sites(study, config.sites)
    specs = planning.plan_runs(config, available, selected, study, sites, cli_parameters)
    if not specs:
        raise RunError(
            "Nothing to run: the notebooks chosen run only for 'all' sites "
            f"({', '.join(nb.name for nb in selected)}); add --site all."
        )
    planning.check_output_safety(config, study)
    layout = planning.layout_of(config)
    for folder in (layout.reports_dir, layout.figures_dir):
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            raise RunError(
                f"The output folder {folder} cannot be made: {existing} is a file, not a "
                "folder. Choose another output folder (--out)."
            )

    say("srim run: resolved configuration")
    say(config.describe())
    say(f"  data kind       {study.kind} ({study.name}), fingerprint {study.fingerprint}")
    if study.withdrawn.get("people"):
        removed = ", ".join(
            f"{n} {what}" for what, n in study.withdrawn.items() if what != "people"
        )
        say(f"  withdrawn       {study.withdrawn['people']} people left out ({removed} rows)")
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
    # the figure formats and the cache setting of this run's configuration (a --config file too)
    env.update(config.kernel_environment())

    layout.reports_dir.mkdir(parents=True, exist_ok=True)
    layout.figures_dir.mkdir(parents=True, exist_ok=True)
    with staging.RunLock(layout.lock):
        staging.clean_leftovers(layout)
        if config.cache:
            stale = cache.keep_current(layout.reports_dir, study.fingerprint)
            if stale:
                say(f"  result cache    {stale} entries of other data or another version deleted")
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
            stamp = None if force else planning.up_to_date(config, spec)
            if stamp is not None:
                run.results[spec.label] = run.skipped(spec, stamp)
            else:
                todo.append(spec)
        # longest first (as last timed; new ones first), so the pool finishes together
        todo.sort(
            key=lambda s: (-planning.previous_duration(config, s), s.site != ALL_SITES, s.label)
        )
        say(
            f"  to run          {len(todo)} ({len(specs) - len(todo)} up to date)"
            + (f", {config.job_count(len(todo))} at a time" if todo else "")
        )
        run.record("running")
        status = "complete"
        try:
            if todo:
                env.update(kernels.ensure_kernel(KERNEL_NAME))
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
            manifest = figures.write_manifest(layout.figures_dir)
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
            if status != "crashed":
                # a separate step: the finished outputs, read back and audited on their own
                run.audit_outputs()
            record = run.record(status)
            shutil.rmtree(layout.staging, ignore_errors=True)
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
            audit_findings=len(run.audit.findings) if run.audit is not None else None,
            audit_file=layout.disclosure_audit if run.audit is not None else None,
        )
