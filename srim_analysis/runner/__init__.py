"""``srim run``: execute the notebooks for every site, safely, in parallel and incrementally.

What a run does, in order (each step names the module that does it):

1. Reads the settings (``srim.toml``, then the command line: :mod:`.config`,
   :mod:`.command`), finds the notebooks (``notebooks/NN_name.ipynb``) and their parameters
   (:mod:`.parameters`), and the study's sites. Unknown sites, notebooks and parameters are
   refused here, before anything runs, with the valid ones listed (:mod:`.planning`;
   papermill itself would accept a misspelt parameter silently).
2. Refuses to write outputs from real data into an unsafe folder
   (:func:`srim_analysis.disclosure.assert_safe_output_dir`, via :mod:`.planning`).
3. Skips every run whose notebook, parameters, data and code are unchanged since its last
   good run and whose outputs are all there (``--force`` reruns them; :mod:`.planning`).
4. Runs the rest with papermill in worker processes (``--jobs``; default one per core;
   :mod:`.kernels`), each into a private staging folder. Only a run that succeeds has its
   executed notebook, HTML (:mod:`.html`), tables and figures moved into place (one
   ``os.replace`` per file; :mod:`.staging`), so a failed or interrupted run never replaces
   the last good publishing. A failed run's notebook is kept as ``<notebook>.failed.ipynb``
   beside them.
5. Writes ``figures/manifest.csv``, ``reports/index.html`` (:mod:`.index`) and
   ``reports/run-record.json`` (:mod:`.record`) and prints a summary; the exit status is
   non-zero if any run failed. :mod:`.run` holds the run from start to end.

Where every output goes is defined once, in :class:`srim_analysis.layout.RunLayout`.

Kernels: by default each worker keeps one Python kernel warm and resets it between runs
(:mod:`.prelude`: user variables, execution count, working folder, ``sys.path``,
environment, warnings, logging, matplotlib, pandas and numpy settings, random seeds), which
saves the kernel start and the library imports on every run. The kernel is replaced after a
timeout, a crash, an interrupted cell or a failed reset, and every :data:`KERNEL_RUNS` runs.
``fresh_kernels = true`` (``--fresh-kernels``) starts a new kernel for every run.

Worker processes are started with "forkserver" where available ("spawn" on Windows); as
with any multiprocessing, a script that calls :func:`run_report` needs an
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from srim_analysis.runner.command import build_parser, cli, list_notebooks, main
    from srim_analysis.runner.errors import RunError
    from srim_analysis.runner.kernels import (
        KERNEL_RUNS,
        ensure_kernel,
        shutdown_workers,
        skip_slow_imports,
    )
    from srim_analysis.runner.parameters import (
        KERNEL_NAME,
        NotebookInfo,
        Parameter,
        inspect_notebook,
        parse_assignments,
        parse_value,
    )
    from srim_analysis.runner.planning import (
        RunSpec,
        StudyInfo,
        check_output_safety,
        discover_notebooks,
        plan_runs,
        read_study,
        select_notebooks,
        select_sites,
    )
    from srim_analysis.runner.record import RunResult, RunSummary
    from srim_analysis.runner.run import run_report

#: What the package re-exports, and the module each name lives in. They are loaded on first
#: use: a warm kernel imports :mod:`.prelude` before every notebook, and loading the whole
#: runner there (study loading, pandas, matplotlib) would cost it 1.4 s (measured).
_EXPORTS = {
    "build_parser": "command",
    "cli": "command",
    "list_notebooks": "command",
    "main": "command",
    "RunError": "errors",
    "KERNEL_RUNS": "kernels",
    "ensure_kernel": "kernels",
    "shutdown_workers": "kernels",
    "skip_slow_imports": "kernels",
    "KERNEL_NAME": "parameters",
    "NotebookInfo": "parameters",
    "Parameter": "parameters",
    "inspect_notebook": "parameters",
    "parse_assignments": "parameters",
    "parse_value": "parameters",
    "RunSpec": "planning",
    "StudyInfo": "planning",
    "check_output_safety": "planning",
    "discover_notebooks": "planning",
    "plan_runs": "planning",
    "read_study": "planning",
    "select_notebooks": "planning",
    "select_sites": "planning",
    "RunResult": "record",
    "RunSummary": "record",
    "run_report": "run",
}

__all__ = [
    "KERNEL_NAME",
    "KERNEL_RUNS",
    "NotebookInfo",
    "Parameter",
    "RunError",
    "RunResult",
    "RunSpec",
    "RunSummary",
    "StudyInfo",
    "build_parser",
    "check_output_safety",
    "cli",
    "discover_notebooks",
    "ensure_kernel",
    "inspect_notebook",
    "list_notebooks",
    "main",
    "parse_assignments",
    "parse_value",
    "plan_runs",
    "read_study",
    "run_report",
    "select_notebooks",
    "select_sites",
    "shutdown_workers",
    "skip_slow_imports",
]


def __getattr__(name: str) -> Any:
    """Return a re-exported name, importing its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the module's names, the re-exported ones included."""
    return sorted({*globals(), *_EXPORTS})
