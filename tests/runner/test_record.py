"""What a run leaves to say what it did: stamps, the run record and the printed summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from srim_analysis.runner import planning, record
from srim_analysis.runner.record import RunResult, RunSummary


def test_paths_are_relative_to_the_output_root_when_inside_it(tmp_path):
    assert record.relative(tmp_path / "reports" / "a.html", tmp_path) == "reports/a.html"
    assert record.relative(Path("/elsewhere/x"), tmp_path) == "/elsewhere/x"


def test_the_versions_and_the_git_state_are_recorded(tmp_path):
    versions = record.package_versions()
    assert versions["python"] and versions["srim-analysis"]
    assert set(record.VERSION_PACKAGES) <= set(versions)
    assert record.git_state(tmp_path) == {"commit": None, "dirty": None, "branch": None}


def test_the_summary_says_what_ran_failed_and_was_up_to_date(tmp_path):
    results = [
        RunResult("03_x", "all", "ok", {}, duration=1.25, html=tmp_path / "r" / "03_x.html"),
        RunResult("03_x", "S01", "skipped", {}),
        RunResult(
            "03_x",
            "S02",
            "failed",
            {},
            duration=0.5,
            error="ValueError: no",
            error_cell=4,
            executed=tmp_path / "r" / "03_x.failed.ipynb",
            stale=True,
        ),
    ]
    summary = RunSummary(run_id="r1", out=tmp_path, results=results, elapsed=2.0)
    text = summary.table(relative_to=tmp_path)
    assert "1 ran, 1 up to date, 1 failed" in text
    assert "ValueError: no (cell [4])" in text and "r/03_x.html" in text
    assert "executed notebook: r/03_x.failed.ipynb" in text
    assert "Stale outputs (last good ones kept, from an earlier run): 03_x[S02]" in text
    assert summary.exit_code == 1
    assert RunSummary("r2", tmp_path, results[:2], 1.0).exit_code == 0
    assert RunSummary("r3", tmp_path, [], 1.0, interrupted=True).exit_code == 130
    entry = results[0].to_dict(tmp_path)
    assert entry["html"] == "r/03_x.html" and entry["duration_s"] == 1.25


def test_progress_says_one_line_per_run_without_a_terminal():
    said: list[str] = []
    progress = record.Progress(2, progress=False, echo=said.append)
    progress.running(["03_x[all]"])
    progress.finished(RunResult("03_x", "all", "failed", {}, duration=1.0, error="boom"))
    progress.close()
    assert said == ["[1/2] FAILED 03_x[all] 1.0 s: boom"]


@pytest.mark.notebooks
def test_run_record_says_what_made_every_output(full_run):
    config, summary = full_run
    run_record = json.loads((config.reports_dir / "run-record.json").read_text())
    assert run_record["status"] == "complete" and run_record["run_id"] == summary.run_id
    assert run_record["config"]["run"]["data"] == str(config.data)
    assert run_record["config"]["parameters"] == {"greeting": "hi", "min_cell": 7}
    assert run_record["command_line_parameters"] == {"00.factor": "3", "min_cell": "8"}
    assert len(run_record["git"]["commit"]) == 40 and isinstance(run_record["git"]["dirty"], bool)
    for name in ("python", "srim-analysis", "pandas", "numpy", "statsmodels", "matplotlib"):
        assert run_record["versions"][name], name
    assert run_record["versions"]["papermill"]
    assert run_record["data"]["kind"] == "synthetic"
    assert run_record["data"]["fingerprint"] == planning.read_study(config.data).fingerprint
    entry = next(r for r in run_record["runs"] if (r["notebook"], r["site"]) == ("00_echo", "S01"))
    assert entry["status"] == "ok" and entry["duration_s"] > 0
    assert entry["parameters"]["factor"] == 3 and entry["parameters"]["site"] == "S01"
    assert "figures/S01/00_echo__echo.png" in entry["outputs"]
    assert entry["executed_notebook"] == "reports/S01/00_echo.ipynb"
    assert run_record["index"] == "reports/index.html"
    assert run_record["figure_manifest"] == "figures/manifest.csv"
    stamp = json.loads((config.reports_dir / "S01" / "logs" / "00_echo.ok.json").read_text())
    assert stamp["git"] == run_record["git"] and stamp["data"]["kind"] == "synthetic"
