"""The `srim run` command line: --list, refusals before anything runs, the parser."""

from __future__ import annotations

import pytest

from srim_analysis import runner
from srim_analysis.runner.command import build_parser, cli, list_notebooks
from tests.runner.conftest import write_settings


def test_list_shows_notebooks_parameters_defaults_and_help(project, capsys):
    settings = write_settings(project)
    assert cli(["--config", str(settings), "--list"]) == 0
    text = capsys.readouterr().out
    assert "00_echo: Echo  [per site, and for all sites]" in text
    assert "01_cross: Cross-site  [once, for all sites]" in text
    assert "Publishes its parameters as a table and a figure" in text
    assert "greeting" in text and '"hello"' in text and "text written into the table" in text
    assert "(set by srim run)" in text


def test_list_says_when_there_are_no_notebooks(project, tmp_path):
    empty = tmp_path / "none"
    empty.mkdir()
    assert list_notebooks(project.replace(notebooks_dir=empty)).startswith("No notebooks")


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


def test_the_parser_reads_repeated_and_comma_separated_options():
    args = build_parser().parse_args(
        ["--site", "S01,S02", "--site", "all", "--notebook", "03", "-p", "a=1", "-p", "b=2"]
    )
    assert args.site == ["S01,S02", "all"] and args.notebook == ["03"]
    assert args.parameter == ["a=1", "b=2"]
    assert args.with_code is None and args.fresh_kernels is None  # settings decide


def test_the_package_re_exports_the_command_and_the_run():
    assert runner.cli is cli
    assert "run_report" in runner.__all__ and callable(runner.run_report)
    with pytest.raises(AttributeError):
        _ = runner.not_a_name
