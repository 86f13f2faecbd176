"""Blank study folders: CSV headers, and an Excel workbook with drop-downs that validates."""

from __future__ import annotations

from openpyxl import load_workbook

from srim_analysis.cli import main
from srim_analysis.study.contract import TABLES
from srim_analysis.study.loading import load_study, read_marker, validate_study
from srim_analysis.study.plan import AnalysisPlan, read_plan, render_plan
from srim_analysis.study.template import TEMPLATE_NAME, WORKBOOK_NAME, write_template
from tests.study.test_plan import UNMAPPED_IN_AN_EMPTY_PLAN


def test_template_csvs_have_every_header(tmp_path):
    write_template(tmp_path)
    for name, spec in TABLES.items():
        header = (tmp_path / f"{name}.csv").read_text().strip().split(",")
        assert header == spec.column_names
    study = load_study(tmp_path)
    assert study.kind == "real"
    assert all(len(t) == 0 for t in study.tables.values())


def test_workbook_has_dropdowns_for_coded_columns(tmp_path):
    write_template(tmp_path)
    wb = load_workbook(tmp_path / "workbook" / WORKBOOK_NAME)
    assert {"About", "_lists", *TABLES} == set(wb.sheetnames)
    assert wb["_lists"].sheet_state == "hidden"
    ws = wb["participants"]
    formulas = {
        str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation
    }
    # column B (site_id) lists the sites sheet; column C (agency) the agency list
    assert formulas["B"] == "='sites'!$A$2:$A$5000"
    agency_range = formulas["C"].removeprefix("=").split("!")[1].replace("$", "")
    lists = wb["_lists"]
    first, last = agency_range.split(":")
    values = [c.value for row in lists[first:last] for c in row]
    assert "health_visiting" in values and len(values) == 12


def test_filled_workbook_validates_and_errors_are_reported(tmp_path):
    write_template(tmp_path)
    path = tmp_path / "workbook" / WORKBOOK_NAME
    wb = load_workbook(path)
    sites = wb["sites"]
    sites.append(
        ["S01", "Ashcombe", "E06900001", "North West", "unitary authority", "origin", "2022-09-01"]
    )
    sites.append(["S02", "Brackwater", "E08900002", "London", "unitary authority", "adopter", None])
    wb.save(path)
    report, tables = validate_study(tmp_path / "workbook")
    assert len(tables["sites"]) == 2
    rules = {(p.row, p.column): p.rule for p in report.errors}
    assert "does not agree with ONS code" in rules[(3, "authority_type")]
    assert "initiative started" in rules[(3, "initiative_start")]
    assert all(p.file == f"{WORKBOOK_NAME} [sites]" for p in report.errors)


def test_template_writes_a_commented_blank_plan(tmp_path):
    write_template(tmp_path)
    text = (tmp_path / "study.toml").read_text(encoding="utf-8")
    # one writer: the template's plan is render_plan's blank plan
    assert text == render_plan(AnalysisPlan(), "real", TEMPLATE_NAME)
    assert (tmp_path / "workbook" / "study.toml").read_text(encoding="utf-8") == text
    for section in ("[codes.stance]", "[codes.awareness]", "[codes.themes]", "[survey.outcomes]"):
        assert section in text
    assert "# [qca]" in text and "# [comparison]" in text and "docs/analysis-plan.md" in text
    plan, problems = read_plan(tmp_path)
    assert (plan, problems) == (AnalysisPlan(), [])
    marker = read_marker(tmp_path)
    assert (marker["kind"], marker["name"]) == ("real", TEMPLATE_NAME)


def test_validate_on_a_fresh_template_reports_what_is_unmapped(tmp_path, capsys):
    write_template(tmp_path, kind="real")
    report, _ = validate_study(tmp_path)
    assert report.ok
    said = {(p.severity, p.column) for p in report.problems if p.file == "study.toml"}
    assert said == UNMAPPED_IN_AN_EMPTY_PLAN
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert "no stance codes are mapped" in out and "not mapped: notebook 02" in out
    assert "0 error(s), 4 warning(s), 4 note(s)" in out
