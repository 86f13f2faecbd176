"""Project paths, derived from the project root in one place.

The root is the folder holding ``pyproject.toml`` above this package (a source checkout);
``SRIM_PROJECT_ROOT`` overrides it (for an installed package or a copied project).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the project root folder."""
    env = os.environ.get("SRIM_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here.parent, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "notebooks").is_dir():
            return candidate
    return Path.cwd().resolve()


ROOT = project_root()
DATA_DIR = ROOT / "data"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
PRIVATE_DIR = DATA_DIR / "private"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
FIGURES_DIR = ROOT / "figures"
DOCS_DIR = ROOT / "docs"
CONFIG_FILE = ROOT / "srim.toml"
