"""The ``srim`` command: one entry point for every task a researcher runs from a terminal.

srim run            run the notebooks for every site (the engine behind `make report`)
srim validate DIR   check a study folder against the data contract
srim template DIR   write a blank study folder (CSVs and an Excel workbook)
srim synth          regenerate the shipped synthetic study
srim import-qda F   merge a REFI-QDA, QualCoder or Taguette export into a study folder
                    (--into STUDY: linked, pseudonymised) or write its tables (--out DIR)
srim dictionary     regenerate docs/data-dictionary.md from the schemas
srim audit-disclosure DIR  check a finished output folder for small counts and recoverable cells
srim export         write a finished run's findings, figures and tables as Word documents,
                    one per objective (--site, --to, --reference-docx)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from srim_analysis import __version__, atomic, disclosure, paths, runner
from srim_analysis.analyses.qda import cli as import_qda
from srim_analysis.study import synthetic
from srim_analysis.study.contract import data_dictionary_markdown
from srim_analysis.study.loading import read_marker, validate_study
from srim_analysis.study.selection import ALL_SITES
from srim_analysis.study.template import write_template


def _validate(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    report, tables = validate_study(folder)
    try:
        kind = read_marker(folder)["kind"]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Study folder: {folder} ({kind} data)")
    print(f"Tables found: {', '.join(f'{k} ({len(v):,} rows)' for k, v in tables.items())}")
    frame = report.to_frame()
    if len(frame):
        with_rows = frame.fillna({"column": "", "value": ""})
        print(with_rows.to_string(index=False, max_colwidth=70))
    print(report.summary())
    if args.csv:
        frame.to_csv(args.csv, index=False)
        print(f"Problems written to {args.csv}")
    if args.rejected:
        out = Path(args.rejected)
        out.mkdir(parents=True, exist_ok=True)
        for name, rows in report.rejected.items():
            rows.to_csv(out / f"{name}.rejected.csv", index=False)
        print(f"Rejected rows written to {out}/")
    return 0 if report.ok else 1


def _template(args: argparse.Namespace) -> int:
    written = write_template(args.folder, kind=args.kind)
    print(f"Wrote a blank study folder in {args.folder}: {len(written)} files.")
    return 0


def _synth(args: argparse.Namespace) -> int:
    if args.variant != "study" and not args.out:
        print(
            f"error: --variant {args.variant} needs --out DIR (data/synthetic holds the "
            "shipped study)",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out) if args.out else paths.SYNTHETIC_DIR
    folder = synthetic.write_study(out, seed=args.seed, scale=args.scale, variant=args.variant)
    what = "synthetic study" if args.variant == "study" else f"{args.variant} study"
    print(f"Wrote the {what} ({args.scale}, seed {args.seed}) to {folder}")
    return 0


def _dictionary(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else paths.DOCS_DIR / "data-dictionary.md"
    atomic.write_text(out, data_dictionary_markdown())
    print(f"Wrote {out}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    try:
        result = disclosure.audit_output(args.folder, fixed_min_cell=args.min_cell)
    except disclosure.NotAnOutputRoot as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for finding in result.findings:
        print(finding.line())
    if args.csv:
        disclosure.write_findings(result.findings, args.csv)
        print(f"Findings written to {args.csv}")
    print(result.summary())
    return 0 if result.ok else 1


def _export(args: argparse.Namespace) -> int:
    # `srim export` loads pandoc and the report layer (matplotlib): 3.5 s at import (measured,
    # -X importtime), which no other command needs, so its module is loaded when it runs
    export = importlib.import_module("srim_analysis.runner.export")
    return int(
        export.run_export(args.out, site=args.site, to=args.to, reference_docx=args.reference_docx)
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``srim`` command."""
    parser = argparse.ArgumentParser(
        prog="srim", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"srim-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check a study folder against the data contract")
    p.add_argument("folder", help="study folder (CSV files or an Excel workbook)")
    p.add_argument("--csv", help="also write the problems to this CSV file")
    p.add_argument("--rejected", help="write the rejected rows of each table to this folder")
    p.set_defaults(func=_validate)

    p = sub.add_parser("template", help="write a blank study folder for a new site team")
    p.add_argument("folder")
    p.add_argument("--kind", choices=["real", "synthetic"], default="real")
    p.set_defaults(func=_template)

    p = sub.add_parser("synth", help="generate the synthetic study")
    p.add_argument("--out", help="folder (default data/synthetic)")
    p.add_argument("--seed", type=int, default=20240701)
    p.add_argument("--scale", choices=["study", "national"], default="study")
    p.add_argument(
        "--variant",
        choices=list(synthetic.VARIANTS),
        default="study",
        help="; ".join(f"{k}: {v}" for k, v in synthetic.VARIANTS.items()),
    )
    p.set_defaults(func=_synth)

    p = sub.add_parser("dictionary", help="regenerate docs/data-dictionary.md")
    p.add_argument("--out")
    p.set_defaults(func=_dictionary)

    p = sub.add_parser(
        "audit-disclosure",
        help="audit a finished output folder for small counts and recoverable hidden cells",
    )
    p.add_argument("folder", help="output root (the folder holding reports/ and figures/)")
    p.add_argument(
        "--min-cell",
        type=int,
        default=None,
        help="smallest count that may be shown (default: the run record's, else 5)",
    )
    p.add_argument("--csv", help="also write the findings to this CSV file")
    p.set_defaults(func=_audit)

    p = sub.add_parser(
        "export",
        help="write a finished run's key findings, figures and tables as Word documents, "
        "one per objective (docs/export.md)",
    )
    p.add_argument(
        "--out", help="the output root a run wrote to (default: srim.toml's out, the project root)"
    )
    p.add_argument("--site", default=ALL_SITES, help="a site id, or 'all' (default: all)")
    p.add_argument("--to", help="folder for the documents (default: <out>/reports/export/)")
    p.add_argument(
        "--reference-docx",
        metavar="FILE",
        help="a Word document whose styles the documents take (default: the house style, "
        "srim_analysis/resources/reference.docx)",
    )
    p.set_defaults(func=_export)

    # these two have parsers of their own; the rest of the line is passed through
    sub.add_parser("run", help="run the notebooks (see `srim run --help`)", add_help=False)
    sub.add_parser(
        "import-qda",
        help="merge coded data from a QDA package into a study folder "
        "(see `srim import-qda --help`)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``srim`` command and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        return runner.cli(argv[1:])
    if argv and argv[0] == "import-qda":
        return import_qda(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
