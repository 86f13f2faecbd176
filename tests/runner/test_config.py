"""srim.toml: read, checked (misspellings are errors), resolved, overridden, documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from srim_analysis import paths
from srim_analysis.report import cache, figures
from srim_analysis.runner.config import RUN_KEYS, Config, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "srim.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_project_file_parses_and_sets_every_run_key():
    config = load_config(ROOT / "srim.toml")
    raw = tomllib.loads((ROOT / "srim.toml").read_text(encoding="utf-8"))
    assert set(raw["run"]) == set(RUN_KEYS), "srim.toml should show every [run] key"
    assert config.data == (ROOT / "data" / "synthetic").resolve()
    assert config.out == ROOT.resolve()
    assert config.reports_dir == ROOT.resolve() / "reports"
    assert config.figures_dir == ROOT.resolve() / "figures"
    assert config.parameters["min_cell"] == 5
    assert config.sites == () and config.notebooks == ()


def test_every_key_is_commented_in_srim_toml_and_documented():
    text = (ROOT / "srim.toml").read_text(encoding="utf-8").splitlines()
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for i, line in enumerate(text):
        m = re.match(r"^([a-z_]+)\s*=", line)
        if not m:
            continue
        assert text[i - 1].startswith("#"), f"srim.toml: {m[1]} has no comment above it"
        assert f"`{m[1]}`" in docs, f"docs/configuration.md does not document {m[1]}"
    for key in RUN_KEYS:
        assert f"`{key}`" in docs


def test_defaults_without_a_file(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "CONFIG_FILE", tmp_path / "missing.toml")
    config = load_config()
    assert config == Config()
    assert config.source is None
    assert config.job_count() >= 1


def test_relative_paths_are_taken_from_the_file_folder(tmp_path):
    path = write(tmp_path, '[run]\ndata = "d/study"\nout = "output"\nnotebooks_dir = "nb"\n')
    config = load_config(path)
    assert config.data == (tmp_path / "d" / "study").resolve()
    assert config.out == (tmp_path / "output").resolve()
    assert config.notebooks_dir == (tmp_path / "nb").resolve()
    assert config.root == tmp_path.resolve()
    assert config.source == path.resolve()


def test_parameters_and_per_notebook_tables(tmp_path):
    path = write(
        tmp_path,
        "[parameters]\nmin_cell = 10\norigin_site = 'S01'\nstart = 2024-05-01\n"
        "[notebooks.03_awareness_confidence]\nalpha = 0.1\n",
    )
    config = load_config(path)
    assert config.parameters == {"min_cell": 10, "origin_site": "S01", "start": "2024-05-01"}
    assert config.notebook_parameters == {"03_awareness_confidence": {"alpha": 0.1}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[run]\njbos = 2\n", "Did you mean 'jobs'"),
        ("[run]\njobs = -1\n", "jobs must be"),
        ("[run]\njobs = true\n", "jobs must be"),
        ("[run]\nwith_code = 'yes'\n", "with_code must be"),
        ("[run]\nsites = 3\n", "sites must be"),
        ("[run]\ndata = ''\n", "data must be"),
        ("[parameter]\nmin_cell = 5\n", "Did you mean 'parameters'"),
        ("[parameters]\nsite = 'S01'\n", "--site"),
        ("[parameters]\ndata_dir = 'x'\n", "--data"),
        ("[parameters]\nnested = {a = 1}\n", "is a table"),
        ("[notebooks]\nx = 1\n", "must be a table"),
        ("[run\n", "not valid TOML"),
        ("[run]\ncache = 1\n", "cache must be"),
        ("[figure]\ndpi = 300\n", "Did you mean 'figures'"),
        ("[figures]\ndip = 300\n", "Did you mean 'dpi'"),
        ("[figures]\nformats = ['svg']\n", "must be the formats to save"),
        ("[figures]\ndpi = 10\n", "dpi must be"),
        ("[figures]\nformats = 'png'\ndpi = 1.5\n", "dpi must be"),
        ("figures = 3\n", "[figures] must be a table"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(tmp_path, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, text))


def test_a_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_command_line_overrides(tmp_path, monkeypatch):
    config = parse_config('[run]\njobs = 3\nsites = ["S01"]\n', tmp_path / "srim.toml")
    monkeypatch.chdir(tmp_path)
    changed = config.replace(
        jobs=1, sites=["S02", "S03"], out="elsewhere", data=None, with_code=True
    )
    assert changed.jobs == 1
    assert changed.sites == ("S02", "S03")
    assert changed.out == (tmp_path / "elsewhere").resolve()  # from the working folder
    assert changed.data == config.data  # None leaves a setting as it was
    assert changed.with_code is True
    assert config.jobs == 3  # the original is unchanged


def test_job_count_never_exceeds_the_runs():
    assert Config(jobs=4).job_count(runs=2) == 2
    assert Config(jobs=4).job_count(runs=0) == 1
    assert Config(jobs=0).job_count() >= 1


def test_describe_and_to_dict_show_the_resolved_settings(tmp_path):
    config = parse_config("[parameters]\nmin_cell = 7\n", tmp_path / "srim.toml")
    text = config.describe()
    assert "every site" in text and "min_cell = 7" in text and "one per core" in text
    data = config.to_dict()
    assert data["parameters"] == {"min_cell": 7}
    assert data["run"]["jobs_used"] >= 1


def test_figure_and_cache_settings_reach_the_kernels(tmp_path):
    config = parse_config(
        '[run]\ncache = false\n[figures]\nformats = ["png"]\ndpi = 150\n', tmp_path / "srim.toml"
    )
    assert config.figures == figures.FigureSettings(("png",), 150) and config.cache is False
    env = config.kernel_environment()
    # what a kernel of the run reads back: the same settings, the cache off
    assert figures.figure_settings(env) == config.figures
    assert not cache.enabled(env)
    assert config.to_dict()["figures"] == {"formats": ["png"], "dpi": 150}
    assert config.to_dict()["run"]["cache"] is False
    assert "PNG (150 dpi)" in config.describe()
    default = Config()
    assert default.figures == figures.FigureSettings(("png", "svg"), 300) and default.cache
    assert cache.enabled(default.kernel_environment())


def test_the_project_file_shows_the_figure_settings():
    raw = tomllib.loads((ROOT / "srim.toml").read_text(encoding="utf-8"))
    assert set(raw["figures"]) == set(figures.FIGURE_KEYS)
    assert load_config(ROOT / "srim.toml").figures == figures.FigureSettings()
