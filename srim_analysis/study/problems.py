"""Problems found in a study folder: one finding, the report of all of them, the error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    """One finding about the data: where it is, what it is, and the rule it breaks."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: Severity = "error"

    @classmethod
    def for_file(cls, file: str, rule: str, severity: Severity = "error") -> Problem:
        """Return a problem about a whole file (no row, column or value)."""
        return cls(file, None, None, None, rule, severity)

    def sentence(self) -> str:
        """Return the problem as one plain-English sentence."""
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        value = "" if self.value is None else f": value {self.value!r}"
        return f"{where}{value} — {self.rule}"


@dataclass
class ValidationReport:
    """Every problem found in a study folder, with the rows they were found in."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that stop the data being used."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        """Return True when there are no errors (warnings and notes are allowed)."""
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a table (one row per problem)."""
        cols = ["severity", "file", "row", "column", "value", "rule"]
        rows = [{c: getattr(p, c) for c in cols} for p in self.problems]
        frame = pd.DataFrame(rows, columns=cols)
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def summary(self) -> str:
        """Return a one-line count of errors, warnings and notes."""
        n = {s: sum(p.severity == s for p in self.problems) for s in ("error", "warning", "note")}
        rows = sum(len(df) for df in self.rejected.values())
        return (
            f"{self.folder}: {n['error']} error(s), {n['warning']} warning(s), "
            f"{n['note']} note(s); {rows} row(s) rejected"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        lines += [f"  [{p.severity}] {p.sentence()}" for p in self.problems]
        return "\n".join(lines)


class StudyValidationError(ValueError):
    """Raised when a study folder breaks the data contract; carries the full report."""

    def __init__(self, report: ValidationReport, limit: int = 30):
        self.report = report
        errors = report.errors
        lines = [
            f"The study data in {report.folder} cannot be used: {len(errors)} problem(s) "
            "found. Fix them in the files and load again.",
            *(f"  - {p.sentence()}" for p in errors[:limit]),
        ]
        if len(errors) > limit:
            lines.append(f"  ... and {len(errors) - limit} more (run `srim validate` for all).")
        super().__init__("\n".join(lines))
