"""The srim command: validate, template, synth and dictionary."""

from __future__ import annotations

import pytest

from srim_analysis import cli


def test_validate_passes_on_the_shipped_study(shipped_dir, capsys):
    assert cli.main(["validate", str(shipped_dir)]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out and "synthetic data" in out


def test_validate_fails_with_a_table_and_writes_csv(study_copy, tmp_path, capsys):
    path = study_copy / "case_audit.csv"
    path.write_text(path.read_text().replace(",S02,", ",S99,", 1))
    report_csv = tmp_path / "problems.csv"
    rejected = tmp_path / "rejected"
    status = cli.main(
        ["validate", str(study_copy), "--csv", str(report_csv), "--rejected", str(rejected)]
    )
    assert status == 1
    out = capsys.readouterr().out
    assert "S99" in out and "unknown site" in out
    assert "S99" in report_csv.read_text()
    assert "S99" in (rejected / "case_audit.rejected.csv").read_text()


def test_template_then_validate(tmp_path):
    assert cli.main(["template", str(tmp_path / "new")]) == 0
    assert cli.main(["validate", str(tmp_path / "new" / "workbook")]) == 0


def test_synth_writes_a_valid_study(tmp_path):
    assert cli.main(["synth", "--out", str(tmp_path / "s")]) == 0
    assert cli.main(["validate", str(tmp_path / "s")]) == 0


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "validate", "template", "synth", "import-qda"):
        assert command in out


def test_run_is_passed_to_the_runner(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    assert "srim run" in out and "--notebook" in out and "--site" in out
