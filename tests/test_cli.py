"""The srim command: validate, template, synth, dictionary, import-qda and export."""

from __future__ import annotations

import pytest

from srim_analysis import cli
from tests.analyses.test_qda_merge import KEY, export, study_folder, write_export
from tests.runner.test_export import make_run


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
    for command in ("run", "validate", "template", "synth", "import-qda", "export"):
        assert command in out


def test_run_is_passed_to_the_runner(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    assert "srim run" in out and "--notebook" in out and "--site" in out


def test_import_qda_is_passed_to_its_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import-qda", "--help"])
    out = capsys.readouterr().out
    assert "srim import-qda" in out and "--into STUDY" in out and "--out" in out
    assert "qda-mapping.csv" in out and "pseudonymised" in out


def test_import_qda_needs_into_or_out(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["import-qda", "export.qdpx"])
    assert stopped.value.code == 2
    assert "one of the arguments --into/-i --out/-o is required" in capsys.readouterr().err


def test_import_qda_into_a_study_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SRIM_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.delenv("SRIM_PSEUDONYM_KEY_FILE", raising=False)
    qdpx = write_export(tmp_path / "export.qdpx", export())
    folder = study_folder(tmp_path / "study")
    assert cli.main(["import-qda", str(qdpx), "--into", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Imported 'Merge study project' into" in out
    assert "coded_segments.csv        6 rows" in out
    assert cli.main(["validate", str(folder)]) == 0


def test_export_writes_a_document_per_objective(tmp_path, capsys):
    out = tmp_path / "out"
    make_run(out, "01_one", objective=2, figure_ids=("a",))
    make_run(out, "02_two", objective=1, figure_ids=())
    status = cli.main(["export", "--out", str(out), "--to", str(tmp_path / "docs")])
    assert status == 0
    printed = capsys.readouterr().out
    assert "Objective 1: " in printed
    assert "objective-2_all.docx (1 figure(s), 0 table(s))" in printed
    assert "Wrote 2 document(s)." in printed
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == [
        "objective-1_all.docx",
        "objective-2_all.docx",
    ]


def test_export_says_why_it_wrote_nothing(tmp_path, capsys):
    assert cli.main(["export", "--out", str(tmp_path), "--site", "S01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("srim export: No run outputs in") and "run `srim run` first" in err
