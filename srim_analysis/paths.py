"""Project paths, derived from the project root in one place.

The project root is the project the user is working in, never the folder the package is
installed from (an editable install from another checkout must not receive this one's
tables and figures). It is, in order:

1. ``SRIM_PROJECT_ROOT`` when set (``srim run`` sets it for its kernels);
2. the first folder, from the current working directory upwards, that holds ``srim.toml``
   (or ``pyproject.toml`` beside a ``notebooks/`` folder): a notebook running in
   ``notebooks/`` or ``lab/`` finds the checkout it belongs to;
3. the current working directory, with a warning saying no project was found.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "SRIM_PROJECT_ROOT"
MARKER = "srim.toml"


def is_project(folder: Path) -> bool:
    """Return True when ``folder`` holds ``srim.toml``, or ``pyproject.toml`` and ``notebooks/``."""
    return (folder / MARKER).is_file() or (
        (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir()
    )


def find_project(start: Path) -> Path | None:
    """Return the first project root at or above ``start``, or None when there is none."""
    start = start.resolve()
    return next((folder for folder in (start, *start.parents) if is_project(folder)), None)


def project_root(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Return the project root seen from ``start`` (default: the working directory)."""
    environ = os.environ if environ is None else environ
    env = environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd() if start is None else start
    found = find_project(here)
    if found is not None:
        return found
    warnings.warn(
        f"srim: no project found at or above {here.resolve()} (no {MARKER}, and {ENV_VAR} "
        f"is not set), so {here.resolve()} is taken as the project root: data/, reports/ "
        f"and figures/ are read and written there. Run from inside the project, or set "
        f"{ENV_VAR}=/path/to/project.",
        stacklevel=2,
    )
    return here.resolve()


ROOT = project_root()
DATA_DIR = ROOT / "data"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
PRIVATE_DIR = DATA_DIR / "private"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
FIGURES_DIR = ROOT / "figures"
DOCS_DIR = ROOT / "docs"
CONFIG_FILE = ROOT / "srim.toml"
