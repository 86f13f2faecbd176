"""A notebook's parameters: what its parameters cell declares, and values from ``-p`` and settings.

Values given on the command line are parsed as papermill's ``-p`` does, except that a
parameter whose default is text keeps the value as text (a site id ``01`` stays ``"01"``)
and a value that cannot be of the declared type is refused.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srim_analysis.runner.errors import RunError

#: The Jupyter kernel every notebook runs in.
KERNEL_NAME = "python3"

_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "True or False",
    "str": "text",
    "list": "a list such as [1, 2]",
    "dict": "a mapping such as {'a': 1}",
}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, default (as written), type and help text."""

    name: str
    default: str
    type: str | None
    help: str


@dataclass(frozen=True)
class NotebookInfo:
    """A notebook in the notebooks folder: what it is, whether it runs per site, its inputs."""

    name: str
    path: Path
    title: str
    description: str
    per_site: bool
    parameters: Mapping[str, Parameter]
    sha256: str
    #: The study objective the notebook answers (its metadata ``srim.objective``), or None.
    objective: int | None = None

    @property
    def number(self) -> str:
        """Return the notebook's two-digit number ('03')."""
        return self.name[:2]


def declared_type(default: str) -> str | None:
    """Return the type name of a parameter's default value, or None if it is an expression."""
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return type(value).__name__


def _papermill_parameters(path: Path, nb: Any) -> dict[str, dict[str, Any]]:
    """Return papermill's view of a notebook's parameters (name, default, help)."""
    # lazy: papermill costs 0.37 s at import (measured); refusals and --list run without it
    import papermill

    try:
        return papermill.inspect_notebook(str(path))
    except ValueError:  # no kernel named in the notebook: it runs in python3 anyway
        # lazy, measured with papermill above (already imported by then)
        from papermill.translators import papermill_translators

        tagged = (c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", []))
        cell = next(tagged, None)
        if cell is None:
            return {}
        translator = papermill_translators.find_translator(KERNEL_NAME, "python")
        return {p.name: p._asdict() for p in translator.inspect(cell)}


def inspect_notebook(path: str | Path) -> NotebookInfo:
    """Return what the runner needs to know about one notebook (papermill + its metadata)."""
    # lazy: nbformat costs 1.2 s at import (measured) unless kernels.skip_slow_imports ran first
    import nbformat

    path = Path(path)
    raw = path.read_bytes()
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    meta = nb.metadata.get("srim", {}) or {}
    params = {
        name: Parameter(
            name=name,
            default=str(p.get("default", "")),
            type=declared_type(str(p.get("default", ""))),
            help=str(p.get("help", "") or ""),
        )
        for name, p in _papermill_parameters(path, nb).items()
    }
    return NotebookInfo(
        name=path.stem,
        path=path.resolve(),
        title=str(meta.get("title") or path.stem),
        description=str(meta.get("description") or ""),
        per_site=bool(meta.get("per_site", False)),
        parameters=params,
        sha256=hashlib.sha256(raw).hexdigest(),
        objective=int(meta["objective"]) if str(meta.get("objective", "")).isdigit() else None,
    )


def resolve_type(text: str) -> Any:
    """Return ``text`` parsed as papermill's ``-p`` does: bool, None, int, float or text."""
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_value(text: str, declared: str | None = None) -> Any:
    """Return a command-line value for a parameter whose default has type ``declared``.

    Values are parsed as papermill's ``-p`` does, except that a parameter whose default is
    text keeps the value as text (so a site id ``01`` stays ``"01"``), and a value that
    cannot be of the declared type raises :class:`ValueError`.
    """
    if declared == "str":
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        return text
    if text == "None" or declared in (None, "NoneType"):
        return resolve_type(text)
    if declared == "bool":
        low = text.strip().lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise ValueError(_TYPE_WORDS["bool"])
    if declared == "int":
        value = resolve_type(text)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(_TYPE_WORDS["int"])
    if declared == "float":
        value = resolve_type(text)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ValueError(_TYPE_WORDS["float"])
    if declared in ("list", "dict", "tuple"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(_TYPE_WORDS.get(declared, declared)) from exc
        return value
    return resolve_type(text)


def check_value(value: Any, declared: str | None) -> Any:
    """Return a settings-file value checked against the declared type (ints become floats)."""
    if value is None or declared in (None, "NoneType"):
        return value
    if isinstance(value, str) and declared != "str":
        return parse_value(value, declared)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "list": isinstance(value, list | tuple),
        "tuple": isinstance(value, list | tuple),
        "dict": isinstance(value, dict),
    }.get(declared, True)
    if not ok:
        raise ValueError(_TYPE_WORDS.get(declared, declared))
    return float(value) if declared == "float" else value


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Return ``KEY=VALUE`` items as a mapping (keys may be ``NOTEBOOK.KEY``)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise RunError(f"-p {item!r}: write parameters as NAME=VALUE (e.g. -p min_cell=10).")
        out[key] = value
    return out
