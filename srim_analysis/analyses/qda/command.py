"""``srim import-qda FILE --out DIR``: convert a QDA project into the study's tables."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from srim_analysis.atomic import atomic_path

from ._model import FORMATS, QdaFormatError, QdaImportWarning
from .reading import read_qda

OUTPUT_FILES = ("codebook.csv", "coded_segments.csv", "sources.csv", "cases.csv")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srim import-qda",
        description=(
            "Convert coded qualitative data from a QDA package into the study's tables "
            "(codebook.csv, coded_segments.csv, sources.csv, cases.csv). Reads REFI-QDA "
            ".qdpx projects and .qdc codebooks (NVivo, ATLAS.ti, MAXQDA, QualCoder, ...), "
            "QualCoder projects (folder or data.qda), and Taguette project copies (.sqlite3) "
            "and highlights exports (.csv/.xlsx)."
        ),
    )
    parser.add_argument("file", type=Path, help="the QDA file or project folder to read")
    parser.add_argument(
        "--out", "-o", type=Path, required=True, help="folder to write the four CSV files to"
    )
    parser.add_argument(
        "--base-path",
        type=Path,
        default=None,
        help="folder where relative:// source files are (default: the project's basePath, "
        "then the folder holding FILE)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="the format of FILE (default: detected)",
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="also write the import report to this CSV"
    )
    parser.add_argument("--force", action="store_true", help="overwrite CSV files already in --out")
    return parser


def cli(argv: list[str] | None = None) -> int:
    """Run ``srim import-qda``; return the exit status (0 done, 2 could not read or write)."""
    args = _parser().parse_args(argv)
    existing = [args.out / name for name in OUTPUT_FILES if (args.out / name).exists()]
    if existing and not args.force:
        names = ", ".join(p.name for p in existing)
        print(
            f"srim import-qda: error: {args.out} already has {names}; "
            "choose another --out folder or add --force to overwrite",
            file=sys.stderr,
        )
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QdaImportWarning)  # the summary lists them
            result = read_qda(args.file, base_path=args.base_path, format=args.format)
    except (QdaFormatError, FileNotFoundError, ValueError) as exc:
        print(f"srim import-qda: error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    try:
        written = result.write(args.out)
        if args.report is not None:
            with atomic_path(args.report) as tmp:
                result.report.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    except OSError as exc:
        print(f"srim import-qda: error: cannot write to {args.out} ({exc})", file=sys.stderr)
        return 2
    sizes = ", ".join(
        f"{path.name} ({len(frame)} rows)"
        for path, frame in zip(written.values(), result.tables().values(), strict=True)
    )
    print(f"Wrote {sizes} to {args.out}")
    if args.report is not None:
        print(f"Wrote the import report ({len(result.report)} rows) to {args.report}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(cli())
