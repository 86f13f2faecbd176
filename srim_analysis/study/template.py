"""Blank study folders for a new site team: CSV headers and an Excel workbook with drop-downs."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from srim_analysis import atomic
from srim_analysis.study.contract import TABLES, ColumnSpec
from srim_analysis.study.loading import MARKER_FILE
from srim_analysis.study.plan import AnalysisPlan, render_plan

WORKBOOK_NAME = "srim-study.xlsx"
#: The name a fresh study.toml gives the study (the team replaces it).
TEMPLATE_NAME = "SRIM study data"
_MAX_ROWS = 5000


def _marker(kind: str) -> str:
    """Return a commented study.toml: the marker and a blank analysis plan to fill in."""
    return render_plan(AnalysisPlan(), kind, TEMPLATE_NAME)


def _list_source(col: ColumnSpec) -> list[str] | None:
    if col.kind == "binary":
        return ["0", "1"]
    return col.allowed_values


def write_template(folder: str | Path, kind: str = "real") -> list[Path]:
    """Write blank CSVs, an Excel workbook with drop-downs and study.toml plans; return files."""
    folder = Path(folder)
    written: list[Path] = []
    for spec in TABLES.values():
        written.append(
            atomic.write_text(folder / f"{spec.name}.csv", ",".join(spec.column_names) + "\n")
        )
    written.append(atomic.write_text(folder / MARKER_FILE, _marker(kind)))

    wb = Workbook()
    lists = wb.active
    lists.title = "_lists"
    list_ranges: dict[str, str] = {}
    col_no = 0
    for spec in TABLES.values():
        for col in spec.columns:
            values = _list_source(col)
            if not values:
                continue
            key = "|".join(values)
            if key in list_ranges:
                continue
            col_no += 1
            letter = get_column_letter(col_no)
            lists.cell(row=1, column=col_no, value=col.name)
            for i, v in enumerate(values, start=2):
                lists.cell(row=i, column=col_no, value=v)
            list_ranges[key] = f"'_lists'!${letter}$2:${letter}${len(values) + 1}"
    lists.sheet_state = "hidden"

    header_fill = PatternFill("solid", fgColor="DDE7F0")
    for spec in TABLES.values():
        ws = wb.create_sheet(spec.name)
        for j, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=j, value=col.name)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True)
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(12, min(40, len(col.name) + 4))
            rng = f"{letter}2:{letter}{_MAX_ROWS}"
            values = _list_source(col)
            if col.references and col.references != f"{spec.name}.{col.name}":
                target, target_col = col.references.split(".")
                t_idx = TABLES[target].column_names.index(target_col) + 1
                t_letter = get_column_letter(t_idx)
                formula = f"'{target}'!${t_letter}$2:${t_letter}${_MAX_ROWS}"
            elif values:
                formula = list_ranges["|".join(values)]
            else:
                formula = None
            if formula:
                dv = DataValidation(
                    type="list",
                    formula1=f"={formula}",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Not an allowed value",
                    error=f"{col.name}: {col.rule_text()}",
                )
                dv.add(rng)
                ws.add_data_validation(dv)
            elif col.kind == "integer" and col.minimum is not None and col.maximum is not None:
                dv = DataValidation(
                    type="whole",
                    operator="between",
                    formula1=str(int(col.minimum)),
                    formula2=str(int(col.maximum)),
                    allow_blank=True,
                    showErrorMessage=True,
                    error=col.rule_text(),
                )
                dv.add(rng)
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    about = wb.create_sheet("About", 0)
    about["A1"] = "SRIM study workbook"
    about["A1"].font = Font(bold=True, size=14)
    about["A3"] = (
        "One sheet per table. Fill in rows under the header; coded columns have "
        "drop-down lists. Check the workbook with: srim validate <this folder>. "
        "Column meanings: docs/data-dictionary.md."
    )
    about["A4"] = (
        "survey_responses: add one column per item_id listed in survey_items, "
        "to the right of the fixed columns."
    )
    about.column_dimensions["A"].width = 120
    book_dir = folder / "workbook"
    target = book_dir / WORKBOOK_NAME
    with atomic.atomic_path(target) as tmp:
        wb.save(tmp)
    written.append(target)
    written.append(atomic.write_text(book_dir / MARKER_FILE, _marker(kind)))
    return written
