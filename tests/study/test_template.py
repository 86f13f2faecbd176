"""Blank study folders: CSV headers, and an Excel workbook with drop-downs that validates."""

from __future__ import annotations

from openpyxl import load_workbook

from srim_analysis.study.contract import TABLES
from srim_analysis.study.loading import load_study, validate_study
from srim_analysis.study.template import WORKBOOK_NAME, write_template


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
