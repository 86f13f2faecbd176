"""The ``srim run`` command line: options over ``srim.toml``, ``--list``, exit status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from srim_analysis.runner.config import RESERVED_PARAMETERS, Config, ConfigError, load_config
from srim_analysis.runner.errors import RunError
from srim_analysis.runner.kernels import skip_slow_imports
from srim_analysis.runner.parameters import parse_assignments
from srim_analysis.runner.planning import discover_notebooks
from srim_analysis.runner.run import run_report


def list_notebooks(config: Config) -> str:
    """Return the text of ``srim run --list``: notebooks, parameters, defaults, help."""
    notebooks = discover_notebooks(config.notebooks_dir)
    if not notebooks:
        return f"No notebooks (NN_name.ipynb) in {config.notebooks_dir}."
    lines = [f"Notebooks in {config.notebooks_dir}:"]
    for nb in notebooks:
        how = "per site, and for all sites" if nb.per_site else "once, for all sites"
        lines += ["", f"{nb.name}: {nb.title}  [{how}]"]
        if nb.description:
            lines.append(f"    {nb.description}")
        lines.append("    parameters:")
        width = max([len(p) for p in nb.parameters] + [4])
        for p in nb.parameters.values():
            note = " (set by srim run)" if p.name in RESERVED_PARAMETERS else ""
            lines.append(f"      {p.name:<{width}} = {p.default:<18} {p.help}{note}")
    lines += [
        "",
        "Set a parameter for every notebook that has it with -p NAME=VALUE, or for one "
        "notebook with -p NN.NAME=VALUE; or in srim.toml under [parameters] or "
        "[notebooks.<name>].",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``srim run``."""
    parser = argparse.ArgumentParser(
        prog="srim run",
        description=(
            "Run the notebooks for every site (or those named), in parallel, into "
            "reports/ and figures/; skip runs that are up to date. Settings come from "
            "srim.toml (see docs/configuration.md); the options below override them."
        ),
        epilog=(
            "examples:\n"
            "  srim run                          every notebook, every site\n"
            "  srim run --site SITE --notebook 03 one notebook for one site\n"
            "  srim run -p min_cell=10           a parameter for every notebook that has it\n"
            "  srim run -p 03.alpha=0.1          a parameter for one notebook\n"
            "  srim run --list                   the notebooks and their parameters\n"
            "exit status: 0 all ok or up to date; 1 a run failed; 2 refused; 130 interrupted"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--site",
        action="extend",
        nargs="+",
        default=[],
        metavar="ID",
        help="a site to run (repeat, or separate with commas); 'all' for the whole-study run",
    )
    parser.add_argument(
        "--notebook",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help="a notebook to run, e.g. 03 or 03_awareness_confidence (repeat for more)",
    )
    parser.add_argument("--data", metavar="DIR", help="the study folder")
    parser.add_argument(
        "--out", metavar="DIR", help="output root: reports/ and figures/ go inside it"
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="runs at once (0: one per core, the default)"
    )
    parser.add_argument("--force", action="store_true", help="rerun runs that are up to date")
    parser.add_argument(
        "--with-code", action="store_true", default=None, help="keep the code in the HTML"
    )
    parser.add_argument(
        "--fresh-kernels",
        action="store_true",
        default=None,
        help="a new Python kernel for every run (slower; the default reuses and resets one)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a notebook parameter (NAME=VALUE, or NOTEBOOK.NAME=VALUE for one notebook)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the notebooks and their parameters"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="settings file (default: srim.toml in the project)"
    )
    return parser


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def cli(argv: list[str] | None = None) -> int:
    """Run ``srim run`` with ``argv`` and return the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    skip_slow_imports()
    try:
        if args.jobs is not None and args.jobs < 0:
            raise RunError("--jobs must be 0 (one per core) or more.")
        config = load_config(args.config)
        config = config.replace(
            data=args.data,
            out=args.out,
            jobs=args.jobs,
            sites=_split(args.site) or None,
            notebooks=_split(args.notebook) or None,
            with_code=args.with_code,
            fresh_kernels=args.fresh_kernels,
        )
        if args.list:
            print(list_notebooks(config))
            return 0
        parameters = parse_assignments(args.parameter)
        summary = run_report(
            config,
            parameters=parameters,
            force=args.force,
            command=["srim", "run", *(sys.argv[1:] if argv is None else argv)],
        )
    except (RunError, ConfigError) as exc:
        print(f"srim run: {exc}", file=sys.stderr)
        print("Nothing was run.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before the runs started: nothing to clean up
        print("srim run: interrupted.", file=sys.stderr)
        return 130
    print()
    print(summary.table())
    if summary.interrupted:
        print("Interrupted: rerun `srim run` to complete the report (finished runs are kept).")
    return summary.exit_code


def main() -> None:
    """Run ``srim run`` from ``sys.argv`` and exit with its status."""
    sys.exit(cli())
