"""`srim run`: parameters, refusals, parallel runs, failures, skipping, safe outputs, records.

The notebooks run here are the tiny fixtures in tests/fixtures/notebooks/ (they import
nothing heavy); the data are three sites of the synthetic study.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from srim_analysis import paths, runner
from srim_analysis.runner import RunError, cli, parse_value, run_report
from srim_analysis.runner.config import Config
from tests.runner.test_index import assert_links_resolve, links_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
SITES = ("S01", "S02", "S03")


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _stable_code_fingerprint(monkeypatch):
    # the library's source is part of every run's key; others may edit it while tests run
    monkeypatch.setattr(runner, "_code_fingerprint", lambda: "test-code")


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory) -> Path:
    """A small synthetic study folder: the marker and the first three sites."""
    from srim_analysis.study import synthetic

    full = tmp_path_factory.mktemp("synthetic")
    synthetic.write_study(full)
    small = tmp_path_factory.mktemp("study")
    lines = (full / "sites.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (small / "sites.csv").write_text("".join(lines[: 2 + len(SITES)]), encoding="utf-8")
    shutil.copy(full / "study.toml", small / "study.toml")
    return small


def make_project(root: Path, study_dir: Path, **settings) -> Config:
    """A project folder with a copy of the fixture notebooks; returns its settings."""
    nb_dir = root / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    for nb in FIXTURES.glob("*.ipynb"):
        shutil.copy(nb, nb_dir / nb.name)
    base = Config(
        root=paths.ROOT,
        data=study_dir,
        out=root / "out",
        notebooks_dir=nb_dir,
        jobs=2,
    )
    return base.replace(**settings)


@pytest.fixture
def project(tmp_path, study_dir) -> Config:
    """Settings for a fresh project in a temporary folder."""
    return make_project(tmp_path / "project", study_dir)


def write_settings(config: Config, text: str = "") -> Path:
    """Write a srim.toml for ``config`` (plus ``text``) and return its path."""
    path = config.notebooks_dir.parent / "srim.toml"
    path.write_text(
        f"[run]\ndata = '{config.data}'\nout = '{config.out}'\n"
        f"notebooks_dir = '{config.notebooks_dir}'\njobs = {config.jobs}\n{text}",
        encoding="utf-8",
    )
    return path


def run(config: Config, **kwargs) -> runner.RunSummary:
    """Run quietly, keeping the worker processes (and their warm kernels) for the next test."""
    return run_report(config, progress=False, echo=None, keep_workers=True, **kwargs)


@pytest.fixture(scope="module", autouse=True)
def _stop_workers_at_the_end():
    yield
    runner.shutdown_workers()


def table(out: Path, site: str, name: str) -> dict[str, str]:
    """Return a name,value table written by the 00_echo fixture."""
    text = (out / "reports" / site / "tables" / f"00_echo__{name}.csv").read_text()
    rows = [line.split(",", 1) for line in text.splitlines()[1:]]
    return dict(rows)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under ``folder`` (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_no_partial_files(out: Path) -> None:
    """No temporary files, and every notebook and JSON file parses."""
    for path in out.rglob("*"):
        if not path.is_file() or ".staging" in path.parts:
            continue
        assert not path.name.endswith(".tmp"), f"temporary file left: {path}"
        if path.suffix in (".ipynb", ".json"):
            json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Without kernels: parsing, selection, refusals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("5", None, 5),
        ("2.5", None, 2.5),
        ("True", None, True),
        ("None", None, None),
        ("hello", None, "hello"),
        ("01", "str", "01"),  # text parameters keep text: site ids stay as written
        ("'quoted'", "str", "quoted"),
        ("7", "int", 7),
        ("7", "float", 7.0),
        ("yes", "bool", True),
        ("False", "bool", False),
        ("None", "int", None),
        ("[1, 2]", "list", [1, 2]),
    ],
)
def test_values_are_parsed_like_papermill(text, declared, expected):
    value = parse_value(text, declared)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("text", "declared"), [("ten", "int"), ("1.5", "int"), ("x", "bool")])
def test_values_of_the_wrong_type_are_refused(text, declared):
    with pytest.raises(ValueError):
        parse_value(text, declared)


def test_notebooks_are_found_with_their_parameters_and_metadata(project):
    notebooks = runner.discover_notebooks(project.notebooks_dir)
    assert [nb.name for nb in notebooks] == ["00_echo", "01_cross", "02_fails"]
    echo = notebooks[0]
    assert echo.per_site and echo.title == "Echo"
    assert echo.parameters["factor"].default == "2"
    assert echo.parameters["factor"].type == "int"
    assert echo.parameters["factor"].help == "a whole number multiplied by 21"
    assert not notebooks[1].per_site
    picked = runner.select_notebooks(notebooks, ["02", "echo", "01_cross.ipynb"])
    assert [nb.name for nb in picked] == ["00_echo", "01_cross", "02_fails"]


def test_list_shows_notebooks_parameters_defaults_and_help(project, capsys):
    settings = write_settings(project)
    assert cli(["--config", str(settings), "--list"]) == 0
    text = capsys.readouterr().out
    assert "00_echo: Echo  [per site, and for all sites]" in text
    assert "01_cross: Cross-site  [once, for all sites]" in text
    assert "Publishes its parameters as a table and a figure" in text
    assert "greeting" in text and '"hello"' in text and "text written into the table" in text
    assert "(set by srim run)" in text


@pytest.mark.parametrize(
    ("args", "extra_settings", "message"),
    [
        (["--site", "S99"], "", "Unknown site(s): S99. The sites in"),
        (["--notebook", "07"], "", "Unknown notebook(s): 07. The notebooks are: 00_echo"),
        (["-p", "greting=hi"], "", "unknown parameter 'greting'"),
        (["-p", "02.greeting=hi"], "", "unknown parameter 'greeting'"),
        (["-p", "site=S01"], "", "'site' is set by the runner"),
        (["-p", "factor=ten"], "", "expects a whole number for 'factor'"),
        (["-p", "noequals"], "", "write parameters as NAME=VALUE"),
        (["--notebook", "01", "-p", "00.factor=3"], "", "is not part of this run"),
        ([], "[parameters]\nmin_cel = 10\n", "Did you mean 'min_cell'?"),
        ([], "[notebooks.05_nothing]\nx = 1\n", "Unknown notebook(s): 05_nothing"),
        ([], "[notebooks.00_echo]\nfactor = 'x'\n", "expects a whole number"),
        ([], "[run]\njbos = 1\n", "Did you mean 'jobs'?"),
        (["--jobs", "-1"], "", "--jobs must be"),
    ],
)
def test_unknown_names_are_refused_before_anything_runs(
    project, capsys, args, extra_settings, message
):
    settings = write_settings(project, extra_settings)
    if extra_settings.startswith("[run]"):  # a second [run] table: rewrite the file
        settings.write_text(extra_settings)
    assert cli(["--config", str(settings), *args]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Nothing was run." in err
    assert not project.out.exists(), "a refused run must not write anything"


def test_unknown_site_lists_the_valid_ones(project):
    with pytest.raises(RunError, match=r"S01, S02, S03 \(or 'all'"):
        run(project.replace(sites=["S01", "nope"]))


def test_an_output_folder_that_is_a_file_is_refused(project, tmp_path):
    clash = tmp_path / "out-file"
    clash.write_text("not a folder")
    config = project.replace(out=clash)
    with pytest.raises(RunError, match=r"out-file is a file, not a folder"):
        run(config)
    assert clash.read_text() == "not a folder"


def test_a_notebook_without_the_standard_parameters_is_refused(project):
    bad = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('site = "all"  # the site')
    cell.metadata["tags"] = ["parameters"]
    bad.cells = [cell]
    nbformat.write(bad, project.notebooks_dir / "03_bad.ipynb")
    with pytest.raises(RunError, match="does not declare data_dir, reports_dir, figures_dir"):
        run(project)


def test_the_run_key_changes_with_what_shapes_the_outputs(project, study_dir):
    notebooks = runner.discover_notebooks(project.notebooks_dir)
    study = runner.read_study(study_dir)

    def keys(config=project, params=None, nbs=notebooks, data=study):
        specs = runner.plan_runs(config, nbs, nbs, data, ["all"], params)
        return {s.label: s.key for s in specs}

    base = keys()
    assert keys() == base  # stable
    assert keys(params={"greeting": "other"})["00_echo[all]"] != base["00_echo[all]"]
    assert keys(params={"greeting": "other"})["01_cross[all]"] == base["01_cross[all]"]
    assert keys(config=project.replace(with_code=True)) != base
    edited = [runner.NotebookInfo(**{**vars(notebooks[0]), "sha256": "x"}), *notebooks[1:]]
    assert keys(nbs=edited)["00_echo[all]"] != base["00_echo[all]"]
    other = runner.StudyInfo(**{**vars(study), "fingerprint": "different"})
    assert keys(data=other)["01_cross[all]"] != base["01_cross[all]"]


def test_cross_site_notebooks_run_for_all_only(project, study_dir):
    notebooks = runner.discover_notebooks(project.notebooks_dir)
    study = runner.read_study(study_dir)
    sites = runner.select_sites(study, ["S02,all"])
    assert sites == ["all", "S02"]
    specs = runner.plan_runs(project, notebooks, notebooks, study, sites)
    assert [s.label for s in specs] == [
        "00_echo[all]",
        "00_echo[S02]",
        "01_cross[all]",
        "02_fails[all]",
        "02_fails[S02]",
    ]
    with pytest.raises(RunError, match="Nothing to run"):
        run(project.replace(sites=["S01"], notebooks=["01"]))


def test_real_data_go_through_the_output_safety_check(project, study_dir, tmp_path, monkeypatch):
    real = tmp_path / "real"
    shutil.copytree(study_dir, real)
    (real / "study.toml").write_text('kind = "real"\nname = "test"\n')
    from srim_analysis import disclosure

    calls = []

    def refuse(out_dir, data_is_real):
        calls.append((Path(out_dir), data_is_real))
        raise disclosure.UnsafeOutputError(f"{out_dir} is tracked by git")

    monkeypatch.setattr(disclosure, "assert_safe_output_dir", refuse)
    with pytest.raises(RunError, match=r"Refusing to write outputs from real data: .* tracked"):
        run(project.replace(data=real))
    assert calls == [(project.reports_dir, True)]
    assert not project.out.exists()
    # without the check available, real data are refused too
    monkeypatch.setitem(sys.modules, "srim_analysis.disclosure", None)
    with pytest.raises(RunError, match="safety check"):
        run(project.replace(data=real))
    # synthetic data are not checked
    runner.check_output_safety(project, runner.read_study(study_dir))


def test_real_data_need_a_pseudonymisation_key(project, study_dir, tmp_path, monkeypatch):
    real = tmp_path / "real"
    shutil.copytree(study_dir, real)
    (real / "study.toml").write_text('kind = "real"\nname = "test"\n')
    from srim_analysis import disclosure

    monkeypatch.setattr(disclosure, "assert_safe_output_dir", lambda out_dir, data_is_real: None)
    monkeypatch.delenv("SRIM_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("SRIM_PSEUDONYM_KEY_FILE", raising=False)
    with pytest.raises(RunError, match="without a pseudonymisation key"):
        runner.check_output_safety(project.replace(data=real), runner.read_study(real))
    key = tmp_path / "outside" / "srim.key"
    key.parent.mkdir()
    key.write_bytes(b"k" * 32)
    monkeypatch.setenv("SRIM_PSEUDONYM_KEY_FILE", str(key))
    runner.check_output_safety(project.replace(data=real), runner.read_study(real))


def test_two_runs_never_write_into_the_same_folder_at_once(project):
    lock = runner._RunLock(project.reports_dir / runner.LOCK_FILE)
    with lock, pytest.raises(RunError, match="Another `srim run` is writing to"):
        run(project)
    assert not (project.reports_dir / "index.html").exists()


def test_the_python3_kernel_is_installed_when_missing(monkeypatch):
    import ipykernel.kernelspec
    import jupyter_client.kernelspec as ks

    installed = []
    monkeypatch.setattr(ks, "find_kernel_specs", lambda: {})
    monkeypatch.setattr(
        ipykernel.kernelspec, "install", lambda **kw: installed.append(kw) or "/somewhere"
    )
    env = runner.ensure_kernel("python3")
    assert installed == [{"user": False, "prefix": sys.prefix, "kernel_name": "python3"}]
    assert env["JUPYTER_PATH"].startswith(str(Path(sys.prefix) / "share" / "jupyter"))


def test_an_existing_kernel_for_this_python_is_kept(monkeypatch):
    import ipykernel.kernelspec

    monkeypatch.setattr(ipykernel.kernelspec, "install", lambda **kw: pytest.fail("installed"))
    assert runner.ensure_kernel("python3") == {}
    assert runner._spec_runs_this_python([sys.executable, "-m", "ipykernel_launcher"])
    assert not runner._spec_runs_this_python(["/usr/bin/other-python", "-m", "x"])


# ---------------------------------------------------------------------------
# With kernels
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, study_dir):
    """Every fixture notebook for every site, two at a time, with parameters from all layers."""
    root = tmp_path_factory.mktemp("full")
    config = make_project(
        root,
        study_dir,
        parameters={"greeting": "hi", "min_cell": 7},
        notebook_parameters={"01_cross": {"label": "from-settings"}},
    )
    summary = run(config, parameters={"00.factor": "3", "min_cell": "8"})
    return config, summary


@pytest.mark.notebooks
def test_parameters_arrive_in_the_executed_notebooks(full_run):
    config, summary = full_run
    assert summary.exit_code == 0, summary.table()
    assert len(summary.ran) == 4 + 1 + 4
    out = config.out
    params = table(out, "S02", "params")
    assert params["site"] == "S02"
    assert params["greeting"] == "hi"  # [parameters]
    assert params["factor"] == "3" and params["product"] == "63"  # -p 00.factor
    assert params["min_cell"] == "8"  # -p beats [parameters]
    assert params["cwd"] == "notebooks"  # run from the notebooks folder
    cross = (out / "reports" / "all" / "tables" / "01_cross__summary.csv").read_text()
    assert "all,from-settings,8" in cross  # [notebooks.01_cross]
    nb = nbformat.read(out / "reports" / "S02" / "00_echo.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'site = "S02"' in injected.source and "factor = 3" in injected.source
    # the executed notebook shows the real output folders, not the staging folder
    assert f'reports_dir = "{config.reports_dir}"' in injected.source
    assert ".staging" not in injected.source
    assert not (config.reports_dir / ".staging").exists()


@pytest.mark.notebooks
def test_outputs_html_logs_and_manifest(full_run):
    config, _ = full_run
    out = config.out
    for site in ("all", *SITES):
        for name in ("00_echo", "02_fails"):
            assert (out / "reports" / site / f"{name}.html").is_file()
            assert (out / "reports" / site / f"{name}.ipynb").is_file()
            assert (
                out / "figures" / site / f"{name}__{'echo' if name == '00_echo' else 'status'}.png"
            ).is_file()
    html = (out / "reports" / "S01" / "00_echo.html").read_text(encoding="utf-8")
    assert "hi from S01" in html and "Synthetic data" in html
    assert "publish_table" not in html  # code hidden by default
    assert "://" not in "".join(links_of(out / "reports" / "S01" / "00_echo.html"))
    log = (out / "reports" / "S01" / "logs" / "00_echo.log").read_text(encoding="utf-8")
    assert "hi from S01" in log and "a warning on stderr" in log and "succeeded after" in log
    manifest = (out / "figures" / "manifest.csv").read_text().splitlines()
    assert len(manifest) == 1 + 4 + 2 + 4
    assert "overview,Cross-site overview,01_cross,all" in "\n".join(manifest)


@pytest.mark.notebooks
def test_index_links_resolve_to_files_that_exist(full_run):
    config, _ = full_run
    page = config.reports_dir / "index.html"
    links = assert_links_resolve(page)
    text = page.read_text(encoding="utf-8")
    assert "Synthetic data" in text
    for site in ("all", *SITES):
        assert f"{site}/00_echo.html" in links and f"{site}/00_echo.ipynb" in links
        assert f"../figures/{site}/00_echo__echo.png" in links
    assert "../figures/all/01_cross__second.png" in links
    assert "Echo of the parameters for S03" in text
    assert "OK: ran in this run" in text
    assert "run-record.json" in links


@pytest.mark.notebooks
def test_run_record_says_what_made_every_output(full_run):
    config, summary = full_run
    record = json.loads((config.reports_dir / "run-record.json").read_text())
    assert record["status"] == "complete" and record["run_id"] == summary.run_id
    assert record["config"]["run"]["data"] == str(config.data)
    assert record["config"]["parameters"] == {"greeting": "hi", "min_cell": 7}
    assert record["command_line_parameters"] == {"00.factor": "3", "min_cell": "8"}
    assert len(record["git"]["commit"]) == 40 and isinstance(record["git"]["dirty"], bool)
    for name in ("python", "srim-analysis", "pandas", "numpy", "statsmodels", "matplotlib"):
        assert record["versions"][name], name
    assert record["versions"]["papermill"]
    assert record["data"]["kind"] == "synthetic"
    assert record["data"]["fingerprint"] == runner.read_study(config.data).fingerprint
    entry = next(r for r in record["runs"] if (r["notebook"], r["site"]) == ("00_echo", "S01"))
    assert entry["status"] == "ok" and entry["duration_s"] > 0
    assert entry["parameters"]["factor"] == 3 and entry["parameters"]["site"] == "S01"
    assert "figures/S01/00_echo__echo.png" in entry["outputs"]
    assert entry["executed_notebook"] == "reports/S01/00_echo.ipynb"
    stamp = json.loads((config.reports_dir / "S01" / "logs" / "00_echo.ok.json").read_text())
    assert stamp["git"] == record["git"] and stamp["data"]["kind"] == "synthetic"


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
def test_unchanged_runs_are_skipped_and_force_reruns(project):
    config = project.replace(notebooks=["01"])
    first = run(config)
    assert [r.status for r in first.results] == ["ok"]
    before = snapshot(config.out)

    again = run(config)  # nothing changed: nothing runs, nothing is rewritten
    assert [r.status for r in again.results] == ["skipped"]
    assert again.results[0].made_by == first.run_id
    assert "up to date" in again.table()
    assert {k: v for k, v in snapshot(config.out).items() if "/logs/" in f"/{k}"} == {
        k: v for k, v in before.items() if "/logs/" in f"/{k}"
    }
    assert snapshot(config.out / "figures") == {
        k.removeprefix("figures/"): v for k, v in before.items() if k.startswith("figures/")
    }

    # the notebook changes (and the code is asked for): it reruns, in a fresh kernel
    path = config.notebooks_dir / "01_cross.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new closing note."))
    nbformat.write(nb, path)
    (config.out / "figures" / "all" / "01_cross__second.svg").unlink()
    edited = run(config.replace(with_code=True, fresh_kernels=True))
    assert [r.status for r in edited.results] == ["ok"]
    html = (config.reports_dir / "all" / "01_cross.html").read_text(encoding="utf-8")
    assert '<span class="n">publish_table</span>' in html  # the code is shown
    assert "A new closing note." in html
    assert (config.out / "figures" / "all" / "01_cross__second.svg").is_file()

    forced = run(config.replace(with_code=True), force=True)
    assert [r.status for r in forced.results] == ["ok"]
    assert forced.results[0].made_by is None

    # an output that disappears makes the run due again
    notebooks = runner.discover_notebooks(config.notebooks_dir)
    study = runner.read_study(config.data)
    with_code = config.replace(with_code=True)
    (spec,) = runner.plan_runs(with_code, notebooks, notebooks[1:2], study, ["all"])
    assert runner._up_to_date(with_code, spec) is not None
    (config.reports_dir / "all" / "tables" / "01_cross__summary.csv").unlink()
    assert runner._up_to_date(with_code, spec) is None


@pytest.mark.notebooks
def test_a_failing_notebook_is_reported_and_the_last_good_outputs_kept(project, capsys):
    settings = write_settings(project)
    base = ["--config", str(settings), "--notebook", "02", "--site", "S01,S02"]
    assert run(project.replace(notebooks=["02"], sites=["S01", "S02"])).exit_code == 0
    good = snapshot(project.reports_dir / "S02")
    good_figures = snapshot(project.out / "figures" / "S02")
    capsys.readouterr()

    status = cli([*base, "-p", "fail_site=S02"])
    printed = capsys.readouterr().out
    assert status == 1
    failed_line = next(line for line in printed.splitlines() if line.startswith("FAILED"))
    assert "02_fails" in failed_line and "S02" in failed_line
    assert "ValueError: planned failure for site S02 (cell [" in failed_line
    assert "S02/02_fails.failed.ipynb" in printed
    assert "stale" in printed.lower()
    assert "1 ran, 0 up to date, 1 failed" in printed

    # the last good outputs are untouched; the failed notebook is kept beside them
    after = snapshot(project.reports_dir / "S02")
    for name, data in good.items():
        if "/logs/" not in f"/{name}":
            assert after[name] == data, f"{name} was replaced by a failed run"
    assert snapshot(project.out / "figures" / "S02") == good_figures
    failed_nb = nbformat.read(project.reports_dir / "S02" / "02_fails.failed.ipynb", 4)
    assert "planned failure" in json.dumps(failed_nb.cells[-1].get("outputs", []))
    assert (project.reports_dir / "S02" / "02_fails.failed.html").is_file()
    assert "planned failure" in (project.reports_dir / "S02" / "logs" / "02_fails.log").read_text()
    # the others ran with the new parameter
    assert "S01,S02" in (project.reports_dir / "S01" / "tables" / "02_fails__ok.csv").read_text()

    record = json.loads((project.reports_dir / "run-record.json").read_text())
    failed = next(r for r in record["runs"] if r["site"] == "S02" and r["notebook"] == "02_fails")
    assert failed["status"] == "failed" and failed["stale_outputs"] is True
    assert failed["error"] == "ValueError: planned failure for site S02"
    index = project.reports_dir / "index.html"
    assert_links_resolve(index)
    text = index.read_text()
    assert "planned failure for site S02" in text and "<b>Stale:</b>" in text


@pytest.mark.notebooks
def test_an_interruption_before_promotion_leaves_no_partial_file(project, monkeypatch):
    config = project.replace(notebooks=["00"], sites=["S01"], jobs=1)
    moved = []
    real_move = runner._move_into_place

    def move_then_interrupt(src, dst):
        if moved:
            raise KeyboardInterrupt  # Ctrl-C after the first file was moved
        moved.append(dst)
        real_move(src, dst)

    monkeypatch.setattr(runner, "_move_into_place", move_then_interrupt)
    summary = run(config)
    assert summary.interrupted and summary.exit_code == 130
    assert_no_partial_files(config.out)
    assert not (config.reports_dir / ".staging").exists()
    ok_stamp = config.reports_dir / "S01" / "logs" / "00_echo.ok.json"
    assert not ok_stamp.exists(), "a half-promoted run must not look complete"
    record = json.loads((config.reports_dir / "run-record.json").read_text())
    assert record["status"] == "interrupted"

    monkeypatch.setattr(runner, "_move_into_place", real_move)
    again = run(config)
    assert [r.status for r in again.results] == ["ok"]  # redone, not skipped
    assert ok_stamp.exists()
    assert_no_partial_files(config.out)


def _alive(pid: int) -> bool:
    """Return True if process ``pid`` is running (a zombie has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    return True


def _group_alive(pgid: int) -> bool:
    """Return True if any process of process group ``pgid`` is running."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    return True
    return False


@pytest.mark.notebooks
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_run_leaves_no_partial_file_and_a_rerun_completes(project, tmp_path):
    settings = write_settings(project)
    pid_file = tmp_path / "kernel.pid"
    code = (
        "import sys; from srim_analysis.runner import cli; "
        f"sys.exit(cli(['--config', {str(settings)!r}, '--notebook', '00', '--site', 'S01', "
        f"'-p', 'pause=60', '-p', 'pid_file={pid_file}']))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=paths.ROOT,
    )
    try:
        deadline = time.monotonic() + 90
        while not pid_file.exists() or not pid_file.read_text():
            assert proc.poll() is None, "the run ended early"
            assert time.monotonic() < deadline, "the run never started its notebook"
            time.sleep(0.2)
        kernel = int(pid_file.read_text())
    finally:
        proc.kill()  # the main process only, as an out-of-memory kill would
        proc.wait(timeout=30)
    # its workers (same process group) and the kernel (its own session) go too
    deadline = time.monotonic() + 30
    while (_group_alive(proc.pid) or _alive(kernel)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(proc.pid), "worker processes outlived the killed run"
    assert not _alive(kernel), "the kernel outlived the killed run"

    assert not (project.reports_dir / "S01" / "00_echo.ipynb").exists()
    assert not (project.out / "figures" / "S01").exists()
    assert (project.reports_dir / ".staging").exists()  # left behind, cleaned next time
    assert_no_partial_files(project.out)

    summary = run(project.replace(notebooks=["00"], sites=["S01"]))
    assert [r.status for r in summary.results] == ["ok"]
    assert not (project.reports_dir / ".staging").exists()
    assert_no_partial_files(project.out)


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
