"""How long the report takes, against the floor of running empty notebooks (issue #21).

Run on demand (not part of the tests)::

    .venv/bin/python benchmarks/bench_report.py --jobs 2            # study, national one site
    .venv/bin/python benchmarks/bench_report.py --national-full     # + the whole national report
    .venv/bin/python benchmarks/bench_report.py --skip-national --no-papermill  # a quick look
    .venv/bin/python benchmarks/bench_report.py --jobs 2 --json results.json

For each scale it generates the synthetic study in a temporary folder and runs the
notebooks with ``srim run`` (``--force``, the default settings otherwise): at the study
scale every notebook for every site and "all"; at the national scale (153 sites) one
site's runs (every per-site notebook for one adopting site), and with ``--national-full``
the whole national report as well. Against each it measures the **floor**: the same
number of runs of an empty notebook (one parameters cell, nothing else), with plain
papermill, a new kernel per run, the same number at once. Goals (#21): the full study
report at most 2.5x its floor; the national runs at most 3x theirs.

It also prints: the same study report made the way a user without the runner would (the
``papermill`` command, one process per run, the same number at once: the runner should
cost at most a third of it); a second forced run with the result cache warm; the runner on
empty notebooks (its own cost per run); the median and slowest run per notebook; the
figures rendered per report (manifest rows x formats); and where a run's time goes: each
notebook run in the benchmark's own process (once to warm up, once timed) with the
library's figure helper timed, giving the cost per figure.

Works with whatever notebooks are in ``notebooks/``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from srim_analysis.runner import NotebookInfo

GOALS = {"study": 2.5, "national": 3.0}
#: The runner against one papermill process per run: at most this share of its time.
PAPERMILL_GOAL = 1 / 3


def _empty_notebook(folder: Path, name: str = "00_empty", per_site: bool = True) -> Path:
    """Write a notebook with one parameters cell and nothing else; return its path."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["srim"] = {"title": "Empty", "per_site": per_site, "description": "floor"}
    cell = nbformat.v4.new_code_cell(
        'site = "all"  # site\n'
        'data_dir = "data/synthetic"  # data\n'
        'reports_dir = "reports"  # reports\n'
        'figures_dir = "figures"  # figures\n'
        "min_cell = 5  # suppression\n"
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _floor_worker_init() -> None:
    import os

    from srim_analysis import runner

    runner.skip_slow_imports()  # the runner's workers do the same: a fair comparison
    devnull = os.open(os.devnull, os.O_WRONLY)  # the kernels' start-up chatter
    os.dup2(devnull, 2)


def _floor_one(args: tuple[str, str, int]) -> float:
    import papermill

    notebook, out_dir, i = args
    t0 = time.perf_counter()
    papermill.execute_notebook(
        notebook,
        str(Path(out_dir) / f"run-{i}.ipynb"),
        parameters={"site": f"S{i}", "reports_dir": out_dir, "figures_dir": out_dir},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(Path(notebook).parent),
    )
    return time.perf_counter() - t0


def floor(runs: int, jobs: int, work: Path) -> float:
    """Return the seconds plain papermill takes for ``runs`` empty notebooks, ``jobs`` at once."""
    import multiprocessing

    notebook = _empty_notebook(work / "floor-notebooks")
    out = work / "floor-out"
    out.mkdir(parents=True, exist_ok=True)
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    t0 = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_floor_worker_init,
    ) as pool:
        list(pool.map(_floor_one, [(str(notebook), str(out), i) for i in range(runs)]))
    return time.perf_counter() - t0


def report(
    data: Path,
    out: Path,
    jobs: int,
    notebooks_dir: Path | None = None,
    notebooks: list[str] | None = None,
    sites: list[str] | None = None,
) -> tuple[float, object]:
    """Return (seconds, summary) of a forced ``srim run`` of ``data`` into ``out``."""
    from srim_analysis import paths, runner
    from srim_analysis.runner.config import load_config

    config = load_config().replace(
        data=data,
        out=out,
        jobs=jobs,
        notebooks_dir=notebooks_dir or paths.NOTEBOOKS_DIR,
        notebooks=notebooks or [],
        sites=sites or [],
    )
    t0 = time.perf_counter()
    summary = runner.run_report(config, force=True, progress=False, echo=None)
    return time.perf_counter() - t0, summary


def _papermill_one(args: tuple[str, str, str, str, dict[str, str]]) -> float:
    """Run one notebook for one site with the ``papermill`` command; return its seconds."""
    import os
    import subprocess

    notebook, site, data, out, env = args
    name = Path(notebook).stem
    target = Path(out) / "reports" / site / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "papermill", notebook, str(target), "--no-progress-bar"]
    command += ["-k", "python3", "--cwd", str(Path(notebook).parent)]
    for key, value in (
        ("site", site),
        ("data_dir", data),
        ("reports_dir", str(Path(out) / "reports")),
        ("figures_dir", str(Path(out) / "figures")),
    ):
        command += ["-p", key, value]
    t0 = time.perf_counter()
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(f"  papermill {name}[{site}] failed: {done.stderr.strip().splitlines()[-1:]}")
    return time.perf_counter() - t0


def papermill_report(summary: object, data: Path, out: Path, jobs: int) -> float:
    """Return the seconds the ``papermill`` command takes for the runs of ``summary``.

    One process per run (``python -m papermill``, a new kernel each), ``jobs`` at once:
    what a user without the runner would do. It makes the executed notebooks only (no
    HTML, no index, no audit), so the comparison favours papermill.
    """
    from concurrent.futures import ThreadPoolExecutor

    from srim_analysis import paths
    from srim_analysis.runner import kernels

    env = kernels.ensure_kernel("python3")
    runs = [
        (str(paths.NOTEBOOKS_DIR / f"{r.notebook}.ipynb"), r.site, str(data), str(out), env)
        for r in summary.results  # type: ignore[attr-defined]
    ]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_papermill_one, runs))
    return time.perf_counter() - t0


def figures_rendered(out: Path) -> tuple[int, int]:
    """Return (figures in the report's manifest, files rendered: figures x formats)."""
    from srim_analysis.runner.config import load_config

    with open(out / "figures" / "manifest.csv", encoding="utf-8") as fh:
        n_figures = sum(1 for _ in fh) - 1
    return n_figures, n_figures * len(load_config().figures.formats)


def _run_in_process(nb: NotebookInfo, params: dict[str, object]) -> tuple[float, int, float]:
    """Run a notebook's code cells in this process; return (seconds, figures, figure seconds)."""
    import contextlib
    import io

    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    from srim_analysis.report import figures

    main_module = sys.modules["__main__"]  # the shell replaces it; worker processes need it
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)
    saved = figures.save_figure
    spent = [0.0, 0]

    def timed(*args: object, **kwargs: object) -> object:
        t = time.perf_counter()
        try:
            return saved(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent[0] += time.perf_counter() - t
            spent[1] += 1

    notebook = nbformat.read(nb.path, as_version=4)
    injected = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    figures.save_figure = timed  # type: ignore[assignment]
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for cell in notebook.cells:
                if cell.cell_type != "code":
                    continue
                source = cell.source
                if "parameters" in cell.metadata.get("tags", []):
                    source += "\n" + injected
                result = shell.run_cell(source, store_history=False)
                if not result.success:
                    raise RuntimeError(f"{nb.name}: a cell failed: {result.error_in_exec!r}")
    finally:
        figures.save_figure = saved
        sys.modules["__main__"] = main_module
    return time.perf_counter() - t0, spent[1], spent[0]


def where_time_goes(data: Path, out: Path, notebooks: list[str] | None) -> dict[str, object]:
    """Time each notebook's figure saving in this process (second of two runs); print it.

    Each notebook runs for one adopting site (per-site notebooks) or once (cross-site ones)
    in this process, as a warm kernel would run it: once to warm up, once timed, with the
    library's figure helper timed. Returns the seconds per figure over all of them.
    """
    import matplotlib

    from srim_analysis import paths, runner

    matplotlib.use("Agg")
    study = runner.read_study(data)
    ids = list(study.sites)
    site = ids[1] if len(ids) > 1 else ids[0]
    chosen = runner.select_notebooks(
        runner.discover_notebooks(paths.NOTEBOOKS_DIR), notebooks or []
    )
    total_s = total_fig_s = 0.0
    total_figs = 0
    rest: dict[str, float] = {}
    print("where a run's time goes (in this process, second run; figures = the figure helper):")
    for nb in chosen:
        params = {
            "site": site if nb.per_site else "all",
            "data_dir": str(data),
            "reports_dir": str(out / "reports"),
            "figures_dir": str(out / "figures"),
        }
        params = {k: v for k, v in params.items() if k in nb.parameters}
        _run_in_process(nb, params)
        seconds, n_figs, fig_s = _run_in_process(nb, params)
        rest[nb.name] = seconds - fig_s
        total_s, total_figs, total_fig_s = (
            total_s + seconds,
            total_figs + n_figs,
            total_fig_s + fig_s,
        )
        print(
            f"  {nb.name:<36} {params.get('site', '-'):<5} {seconds:5.1f} s, "
            f"{n_figs:2d} figures saved in {fig_s:5.1f} s ({fig_s / seconds:.0%})"
        )
    per_figure = total_fig_s / total_figs if total_figs else 0.0
    share = total_fig_s / max(total_s, 1e-9)
    print(
        f"  all: {total_s:.1f} s, figures {total_fig_s:.1f} s ({share:.0%}); "
        f"{per_figure:.2f} s per figure (PNG 300 dpi + SVG)"
    )
    return {
        "breakdown_s": round(total_s, 2),
        "figure_s": round(total_fig_s, 2),
        "per_figure_s": round(per_figure, 3),
        "rest_per_run_s": {k: round(v, 2) for k, v in rest.items()},
    }


def scale(
    name: str,
    jobs: int,
    work: Path,
    overhead: bool,
    notebooks: list[str] | None = None,
    breakdown: bool = True,
    *,
    one_site: bool = False,
    papermill: bool = False,
    again: bool = False,
    label: str | None = None,
) -> dict[str, object]:
    """Benchmark one scale (the full report, or one site's runs); print and return its figures."""
    from srim_analysis import runner
    from srim_analysis.runner.config import Config
    from srim_analysis.study import synthetic

    data = work / f"{name}-study"
    if not data.is_dir():
        t0 = time.perf_counter()
        synthetic.write_study(data, scale=name)
        print(f"\n== {name} scale: synthetic study written in {time.perf_counter() - t0:.1f} s")
    sites = None
    what = "full report"
    if one_site:
        study = runner.read_study(data)
        sites = [next(s for s in list(study.sites)[1:])]  # an adopting site, not the origin
        what = f"one site's runs ({sites[0]})"
    label = label or (f"{name} one site" if one_site else name)
    out = work / f"{label.replace(' ', '-')}-out"
    seconds, summary = report(data, out, jobs, notebooks=notebooks, sites=sites)
    runs = len(summary.results)  # type: ignore[attr-defined]
    jobs_used = Config(jobs=jobs).job_count(runs)
    failed = len(summary.failed)  # type: ignore[attr-defined]
    print(
        f"\n-- {label}: {what}, {runs} runs, {jobs_used} at a time: "
        f"{seconds:.1f} s ({failed} failed)"
    )
    durations = sorted(
        ((r.duration or 0.0, r.label) for r in summary.results),  # type: ignore[attr-defined]
        reverse=True,
    )
    by_nb: dict[str, list[float]] = {}
    for d, run_label in durations:
        by_nb.setdefault(run_label.split("[")[0], []).append(d)
    for nb, ds in sorted(by_nb.items()):
        print(f"  {nb:<36} median {statistics.median(ds):5.1f} s, max {max(ds):5.1f} s")
    floor_s = floor(runs, jobs_used, work / f"{name}-floor")
    ratio = seconds / floor_s
    goal = GOALS[name]
    verdict = "within" if ratio <= goal else "OVER"
    print(f"floor (papermill, empty notebook, new kernel per run): {floor_s:.1f} s")
    print(f"ratio: {ratio:.2f}x the floor ({verdict} the {goal}x goal)")
    n_figures, rendered = figures_rendered(out)
    print(f"figures: {n_figures} in the manifest, {rendered} files rendered (x formats)")
    result: dict[str, object] = {
        "scale": label,
        "runs": runs,
        "jobs": jobs_used,
        "failed": failed,
        "report_s": round(seconds, 2),
        "floor_s": round(floor_s, 2),
        "ratio": round(ratio, 3),
        "goal": goal,
        "notebooks": notebooks or "all",
        "figures": n_figures,
        "files_rendered": rendered,
    }
    if again:
        warm_s, _ = report(data, out, jobs, notebooks=notebooks, sites=sites)
        print(
            f"the same report forced again, result cache warm: {warm_s:.1f} s "
            f"({warm_s / floor_s:.2f}x the floor)"
        )
        result["warm_cache_s"] = round(warm_s, 2)
    if papermill:
        plain_s = papermill_report(
            summary, data, work / f"{label.replace(' ', '-')}-papermill", jobs_used
        )
        share = seconds / plain_s
        verdict = "within" if share <= PAPERMILL_GOAL else "OVER"
        print(
            f"the papermill command, one process per run, {jobs_used} at once: {plain_s:.1f} s; "
            f"the runner takes {share:.2f} of it ({verdict} the goal of {PAPERMILL_GOAL:.2f})"
        )
        result["papermill_s"] = round(plain_s, 2)
        result["runner_share_of_papermill"] = round(share, 3)
    if breakdown:
        result.update(where_time_goes(data, work / f"{name}-inproc", notebooks))
        figure_job_s = float(result["per_figure_s"]) * n_figures  # type: ignore[arg-type]
        budget = goal * floor_s * jobs_used
        print(
            f"the report's {n_figures} figures alone: about {figure_job_s:.0f} job-seconds "
            f"({n_figures} x {result['per_figure_s']} s); the {goal}x goal allows "
            f"{budget:.0f} job-seconds ({goal} x {floor_s:.1f} s x {jobs_used} jobs) for "
            f"everything: {figure_job_s / budget:.1f}x that budget"
        )
        rest = result["rest_per_run_s"]
        rest_job_s = sum(
            rest.get(r.label.split("[")[0].strip(), 0.0)  # type: ignore[union-attr]
            for r in summary.results  # type: ignore[attr-defined]
        )
        print(
            f"everything else the notebooks do (each run as long as its notebook's run above, "
            f"less its figures): about {rest_job_s:.0f} job-seconds, "
            f"{rest_job_s / budget:.1f}x that budget"
        )
        result["rest_job_s"] = round(rest_job_s, 1)
        result["figure_job_s"] = round(figure_job_s, 1)
        result["goal_job_s"] = round(budget, 1)
    if overhead:
        # the runner itself on empty notebooks: as many runs as the report made
        sites = len({r.site for r in summary.results})  # type: ignore[attr-defined]
        copies = max(1, math.ceil(runs / max(sites, 1)))
        folder = work / f"{name}-empty-notebooks"
        for i in range(copies):
            _empty_notebook(folder, f"{i:02d}_empty")
        empty_s, empty_summary = report(data, work / f"{name}-empty-out", jobs, folder)
        n = len(empty_summary.results)  # type: ignore[attr-defined]
        print(
            f"runner on empty notebooks: {n} runs in {empty_s:.1f} s "
            f"({empty_s / floor_s * runs / n:.2f}x the floor, per run)"
        )
        result["runner_empty_s"] = round(empty_s, 2)
        result["runner_empty_runs"] = n
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=0, help="runs at once (0: one per core)")
    parser.add_argument("--skip-national", action="store_true", help="the study scale only")
    parser.add_argument("--no-overhead", action="store_true", help="skip the empty-runner run")
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip timing the figure helper in-process"
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument(
        "--notebook",
        action="append",
        default=[],
        help="only this notebook (repeat for more); the default is every notebook",
    )
    parser.add_argument("--skip-study", action="store_true", help="the national scale only")
    parser.add_argument(
        "--national-full",
        action="store_true",
        help="also run the whole national report (616 runs: hours on 2 cores)",
    )
    parser.add_argument(
        "--no-papermill", action="store_true", help="skip the plain-papermill comparison"
    )
    parser.add_argument(
        "--no-warm", action="store_true", help="skip the second run with the result cache warm"
    )
    args = parser.parse_args(argv)

    from srim_analysis import paths, runner

    runner.skip_slow_imports()
    notebooks = runner.discover_notebooks(paths.NOTEBOOKS_DIR)
    if not notebooks:
        print(f"No notebooks in {paths.NOTEBOOKS_DIR}: nothing to benchmark.")
        return 0
    chosen = runner.select_notebooks(notebooks, args.notebook)
    print(f"notebooks: {', '.join(nb.name for nb in chosen)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="srim-bench-") as tmp:
        work = Path(tmp)
        overhead = not args.no_overhead
        breakdown = not args.no_breakdown
        if not args.skip_study:
            results.append(
                scale(
                    "study",
                    args.jobs,
                    work,
                    overhead,
                    args.notebook,
                    breakdown,
                    papermill=not args.no_papermill,
                    again=not args.no_warm,
                )
            )
        if not args.skip_national:
            results.append(
                scale("national", args.jobs, work, False, args.notebook, False, one_site=True)
            )
            if args.national_full:
                results.append(scale("national", args.jobs, work, False, args.notebook, breakdown))
    print("\nsummary")
    for r in results:
        print(
            f"  {r['scale']:<18} {r['runs']:>4} runs  report {r['report_s']:>8.1f} s  "
            f"floor {r['floor_s']:>7.1f} s  {r['ratio']:.2f}x (goal {r['goal']}x)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
