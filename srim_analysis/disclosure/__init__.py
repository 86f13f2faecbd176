"""Disclosure control for everything the SRIM study publishes.

Four parts, used by every notebook and by the runner, one module each:

* :mod:`~srim_analysis.disclosure.suppression`: **small-cell suppression** of tables of
  counts (:func:`suppress_counts`, :func:`suppression_mask`, :func:`suppress_percentages`,
  :func:`publishable` for tidy tables, :class:`LinkedCells` for tables of one population;
  ``"c"`` marks a hidden cell, :func:`is_suppressed` recognises it) and an independent
  checker for tables already written (:func:`check_published_table`). Its docstring states
  the safety model.
* :mod:`~srim_analysis.disclosure.redaction`: **redaction** of direct identifiers in quotes
  and free text (:func:`redact`, :func:`redact_series`, :func:`redaction_report`; the
  study's identifier list: :func:`load_identifiers`, :func:`study_identifiers`).
* :mod:`~srim_analysis.disclosure.pseudonyms`: **pseudonymisation** with a keyed hash whose
  key never lives in the repository (:func:`pseudonymise`, :func:`pseudonymise_column`,
  :func:`load_key`).
* :mod:`~srim_analysis.disclosure.guards`: **guard rails** for the runner and CI, so that
  outputs of real data never land where git tracks files (:func:`assert_safe_output_dir`,
  :func:`notebook_has_outputs`, :func:`check_notebooks_stripped`).

:mod:`~srim_analysis.disclosure.errors` holds the refusals they raise (all
:class:`DisclosureError`) and :class:`DisclosureWarning`. Every public name is re-exported
here: ``from srim_analysis import disclosure; disclosure.publishable(...)``.

The researcher-facing description of the rules is ``docs/disclosure-control.md``.
"""

from __future__ import annotations

from srim_analysis.disclosure.audit import (
    AUDIT_RULES,
    AuditFinding,
    AuditResult,
    NotAnOutputRoot,
    audit_html_text,
    audit_output,
    audit_table_text,
    audit_tables_text,
    findings_by_rule,
    write_findings,
)
from srim_analysis.disclosure.errors import (
    DisclosureError,
    DisclosureWarning,
    MissingKeyError,
    UnsafeKeyError,
    UnsafeOutputError,
)
from srim_analysis.disclosure.guards import (
    assert_safe_output_dir,
    check_notebooks_stripped,
    git_work_tree_root,
    notebook_has_outputs,
)
from srim_analysis.disclosure.pseudonyms import (
    KEY_ENV_VAR,
    KEY_FILE_ENV_VAR,
    MIN_KEY_BYTES,
    load_key,
    pseudonymise,
    pseudonymise_column,
)
from srim_analysis.disclosure.quote_review import (
    REVIEW_COLUMNS,
    REVIEW_SHEET,
    ReviewedQuotes,
    decisions,
    quote_key,
    read_review_sheet,
    record_quotes,
    review_quotes,
    review_sheet,
    sheet_lock,
)
from srim_analysis.disclosure.redaction import (
    Finding,
    Identifiers,
    Redaction,
    is_valid_nhs_number,
    is_valid_ni_number,
    load_identifiers,
    redact,
    redact_series,
    redaction_report,
    study_identifiers,
)
from srim_analysis.disclosure.suppression import (
    COUNT_COLUMN_NAMES,
    DEFAULT_MIN_CELL,
    ROW_TOTAL_COLUMN_NAMES,
    SUPPRESSION_MARK,
    TOTAL_LABELS,
    LinkedCells,
    SuppressionPlan,
    check_published_table,
    count_columns_of,
    counts_and_percentages,
    is_suppressed,
    plan_suppression,
    publishable,
    suppress_counts,
    suppress_percentages,
    suppression_mask,
    suppression_note,
)

__all__ = [
    "AUDIT_RULES",
    "COUNT_COLUMN_NAMES",
    "DEFAULT_MIN_CELL",
    "KEY_ENV_VAR",
    "KEY_FILE_ENV_VAR",
    "MIN_KEY_BYTES",
    "REVIEW_COLUMNS",
    "REVIEW_SHEET",
    "ROW_TOTAL_COLUMN_NAMES",
    "SUPPRESSION_MARK",
    "TOTAL_LABELS",
    "AuditFinding",
    "AuditResult",
    "DisclosureError",
    "DisclosureWarning",
    "Finding",
    "Identifiers",
    "LinkedCells",
    "MissingKeyError",
    "NotAnOutputRoot",
    "Redaction",
    "ReviewedQuotes",
    "SuppressionPlan",
    "UnsafeKeyError",
    "UnsafeOutputError",
    "assert_safe_output_dir",
    "audit_html_text",
    "audit_output",
    "audit_table_text",
    "audit_tables_text",
    "check_notebooks_stripped",
    "check_published_table",
    "count_columns_of",
    "counts_and_percentages",
    "decisions",
    "findings_by_rule",
    "git_work_tree_root",
    "is_suppressed",
    "is_valid_nhs_number",
    "is_valid_ni_number",
    "load_identifiers",
    "load_key",
    "notebook_has_outputs",
    "plan_suppression",
    "pseudonymise",
    "pseudonymise_column",
    "publishable",
    "quote_key",
    "read_review_sheet",
    "record_quotes",
    "redact",
    "redact_series",
    "redaction_report",
    "review_quotes",
    "review_sheet",
    "sheet_lock",
    "study_identifiers",
    "suppress_counts",
    "suppress_percentages",
    "suppression_mask",
    "suppression_note",
    "write_findings",
]
