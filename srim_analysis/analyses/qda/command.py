"""``srim import-qda FILE --out DIR | --into STUDY``: a QDA project as the study's tables."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from srim_analysis.atomic import atomic_path
from srim_analysis.disclosure.errors import MissingKeyError, UnsafeKeyError
from srim_analysis.disclosure.pseudonyms import load_key

from ._model import FORMATS, QdaFormatError, QdaImportWarning
from .merge import MAPPING_FILE, MergeError, merge_into
from .reading import read_qda
from .tables import QdaImport

OUTPUT_FILES = ("codebook.csv", "coded_segments.csv", "sources.csv", "cases.csv")

#: Exit statuses: done, the mapping sheet needs filling in, could not read or write.
DONE, NEEDS_MAPPING, FAILED = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srim import-qda",
        description=(
            "Import coded qualitative data from a QDA package. Reads REFI-QDA .qdpx "
            "projects and .qdc codebooks (NVivo, ATLAS.ti, MAXQDA, QualCoder, ...), QualCoder "
            "projects (folder or data.qda), and Taguette project copies (.sqlite3) and "
            "highlights exports (.csv/.xlsx). With --into STUDY it merges the export into a "
            "study folder: codings linked to sites and participants (from the export's cases "
            f"and variables, or from the sheet {MAPPING_FILE} it writes for you to fill in "
            "when they do not say), participant and source ids pseudonymised with the key "
            "(SRIM_PSEUDONYM_KEY_FILE or SRIM_PSEUDONYM_KEY), codes added to codebook.csv; a "
            "newer export of the same project replaces the previous one. With --out DIR it "
            "writes the export's own tables (codebook.csv, coded_segments.csv, sources.csv, "
            "cases.csv) as they are, ids not pseudonymised: keep DIR private."
        ),
        epilog=(
            "Exit status: 0 done; 1 the mapping sheet needs filling in (--into); "
            "2 the file or folder could not be read or written."
        ),
    )
    parser.add_argument("file", type=Path, help="the QDA file or project folder to read")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--into",
        "-i",
        type=Path,
        metavar="STUDY",
        help="study folder to merge the export into (created if missing)",
    )
    target.add_argument(
        "--out", "-o", type=Path, help="folder to write the export's four CSV tables to"
    )
    parser.add_argument(
        "--name",
        default=None,
        help="with --into: the name this import is recorded under (default: the project's "
        "name in the export); importing again under the same name replaces it",
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
        "--report",
        type=Path,
        default=None,
        help="with --out: also write the import report to this CSV (it quotes the export's "
        "names, so it is not offered with --into)",
    )
    parser.add_argument(
        "--force", action="store_true", help="with --out: overwrite CSV files already there"
    )
    return parser


def _error(message: str) -> int:
    print(f"srim import-qda: error: {message}", file=sys.stderr)
    return FAILED


def _read(args: argparse.Namespace) -> QdaImport | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QdaImportWarning)  # the summary lists them
            return read_qda(args.file, base_path=args.base_path, format=args.format)
    except (QdaFormatError, FileNotFoundError, ValueError) as exc:
        _error(str(exc))
        return None


def _into(args: argparse.Namespace) -> int:
    try:
        key = load_key(required=True)
    except (MissingKeyError, UnsafeKeyError) as exc:
        return _error(f"{exc} The import pseudonymises participant and source ids with it.")
    result = _read(args) if key is not None else None
    if result is None:
        return FAILED
    print(result.summary())
    try:
        outcome = merge_into(result, args.into, key, name=args.name)
    except MergeError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write to {args.into} ({exc})")
    print(outcome.summary())
    return DONE if outcome.done else NEEDS_MAPPING


def _out(args: argparse.Namespace) -> int:
    existing = [args.out / name for name in OUTPUT_FILES if (args.out / name).exists()]
    if existing and not args.force:
        names = ", ".join(p.name for p in existing)
        return _error(
            f"{args.out} already has {names}; choose another --out folder or add --force "
            "to overwrite"
        )
    result = _read(args)
    if result is None:
        return FAILED
    print(result.summary())
    try:
        written = result.write(args.out)
        if args.report is not None:
            with atomic_path(args.report) as tmp:
                result.report.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    except OSError as exc:
        return _error(f"cannot write to {args.out} ({exc})")
    sizes = ", ".join(
        f"{path.name} ({len(frame)} rows)"
        for path, frame in zip(written.values(), result.tables().values(), strict=True)
    )
    print(f"Wrote {sizes} to {args.out}")
    if args.report is not None:
        print(f"Wrote the import report ({len(result.report)} rows) to {args.report}")
    return DONE


def cli(argv: list[str] | None = None) -> int:
    """Run ``srim import-qda``; return the exit status (0 done, 1 mapping needed, 2 failed)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.into is not None:
        if args.report is not None:
            parser.error("--report goes with --out (the report quotes the export's names)")
        return _into(args)
    return _out(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(cli())
