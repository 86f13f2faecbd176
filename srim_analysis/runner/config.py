"""The project's settings: ``srim.toml`` read, checked and resolved in one place.

``srim run`` (and ``make report``) take their settings from three layers, later ones
winning: the built-in defaults below, the project's ``srim.toml``, and the command line.
Every key is documented in ``docs/configuration.md`` and commented in ``srim.toml``.

A misspelt key is an error, not a silent no-op: a team that writes ``min_cel = 10`` must be
told, not given tables suppressed at the default of 5.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srim_analysis import paths
from srim_analysis.layout import RunLayout
from srim_analysis.report import cache
from srim_analysis.report.figures import FIGURE_KEYS, FigureSettings

#: The keys of the ``[run]`` table, with what each holds (used in error messages).
RUN_KEYS: dict[str, str] = {
    "data": "the study folder (text)",
    "out": "the output root: reports/ and figures/ go inside it (text)",
    "notebooks_dir": "the folder holding the NN_name.ipynb notebooks (text)",
    "sites": 'the site ids to run, as a list of text; [] means every site and "all"',
    "notebooks": "the notebooks to run, as a list of text; [] means all of them",
    "jobs": "how many notebooks run at once (a whole number; 0 means one per core)",
    "with_code": "keep the code in the HTML reports (true or false)",
    "fresh_kernels": "start a new Python kernel for every run (true or false)",
    "cell_timeout": "seconds a single cell may run before the run fails (0 means no limit)",
    "cache": "reuse site-independent results across the report's runs (true or false)",
}
TOP_LEVEL_TABLES = ("run", "parameters", "notebooks", "figures")

#: Parameters the runner sets itself for every run; they cannot be set in [parameters].
RESERVED_PARAMETERS: dict[str, str] = {
    "site": "choose sites with `--site` or `sites = [...]` under [run]",
    "data_dir": "choose the study folder with `--data` or `data = ...` under [run]",
    "reports_dir": "choose the output folder with `--out` or `out = ...` under [run]",
    "figures_dir": "choose the output folder with `--out` or `out = ...` under [run]",
}


class ConfigError(ValueError):
    """Raised when ``srim.toml`` or a command-line setting cannot be used; says why."""


@dataclass(frozen=True)
class Config:
    """Resolved settings of a report run: absolute paths, selections and parameters."""

    root: Path = field(default_factory=lambda: paths.ROOT)
    data: Path = field(default_factory=lambda: paths.SYNTHETIC_DIR)
    out: Path = field(default_factory=lambda: paths.ROOT)
    notebooks_dir: Path = field(default_factory=lambda: paths.NOTEBOOKS_DIR)
    sites: tuple[str, ...] = ()
    notebooks: tuple[str, ...] = ()
    jobs: int = 0
    with_code: bool = False
    fresh_kernels: bool = False
    cell_timeout: int = 0
    cache: bool = True
    figures: FigureSettings = field(default_factory=FigureSettings)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    notebook_parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: Path | None = None

    @property
    def layout(self) -> RunLayout:
        """Return where the run's outputs go (every path under the output root)."""
        return RunLayout.under(self.out)

    @property
    def reports_dir(self) -> Path:
        """Return the folder executed notebooks, HTML, tables and logs go to."""
        return self.layout.reports_dir

    @property
    def figures_dir(self) -> Path:
        """Return the folder figures and ``manifest.csv`` go to."""
        return self.layout.figures_dir

    def job_count(self, runs: int | None = None) -> int:
        """Return how many runs go at once: ``jobs``, or one per core, never more than runs."""
        jobs = self.jobs if self.jobs > 0 else _cores()
        if runs is not None:
            jobs = min(jobs, max(runs, 1))
        return max(jobs, 1)

    def kernel_environment(self) -> dict[str, str]:
        """Return the settings a notebook's kernel reads from its environment (figures, cache)."""
        return {**self.figures.environment(), cache.ENV_VAR: "1" if self.cache else "0"}

    def replace(self, **changes: Any) -> Config:
        """Return a copy with ``changes`` applied (paths made absolute, lists made tuples)."""
        for key in ("data", "out", "notebooks_dir", "root"):
            if key in changes and changes[key] is not None:
                changes[key] = _absolute(changes[key], Path.cwd())
        for key in ("sites", "notebooks"):
            if key in changes and changes[key] is not None:
                changes[key] = tuple(str(v) for v in changes[key])
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON-ready data (for the run record and the log)."""
        return {
            "source": str(self.source) if self.source else None,
            "root": str(self.root),
            "run": {
                "data": str(self.data),
                "out": str(self.out),
                "notebooks_dir": str(self.notebooks_dir),
                "sites": list(self.sites),
                "notebooks": list(self.notebooks),
                "jobs": self.jobs,
                "jobs_used": self.job_count(),
                "with_code": self.with_code,
                "fresh_kernels": self.fresh_kernels,
                "cell_timeout": self.cell_timeout,
                "cache": self.cache,
            },
            "figures": {"formats": list(self.figures.formats), "dpi": self.figures.dpi},
            "parameters": dict(self.parameters),
            "notebooks": {k: dict(v) for k, v in self.notebook_parameters.items()},
        }

    def describe(self) -> str:
        """Return the settings as indented ``key = value`` lines for the start of a run."""
        data = self.to_dict()
        lines = [f"  settings file   {data['source'] or '(none: built-in defaults)'}"]
        for key, value in data["run"].items():
            shown = value
            if key == "sites" and not value:
                shown = "every site, and all"
            elif key == "notebooks" and not value:
                shown = "every notebook"
            elif key == "jobs" and value == 0:
                shown = f"0 (one per core: {self.job_count()})"
            elif key == "cell_timeout" and value == 0:
                shown = "0 (no limit)"
            lines.append(f"  {key:<15} {shown}")
        lines.append(
            f"  figures         {', '.join(f.upper() for f in self.figures.formats)} "
            f"({self.figures.dpi} dpi)"
        )
        for key, value in data["parameters"].items():
            lines.append(f"  parameter       {key} = {value!r}")
        for nb, values in data["notebooks"].items():
            for key, value in values.items():
                lines.append(f"  parameter       {nb}: {key} = {value!r}")
        return "\n".join(lines)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # type: ignore[attr-defined,unused-ignore]
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _absolute(value: str | os.PathLike[str], base: Path) -> Path:
    p = Path(value).expanduser()
    return (p if p.is_absolute() else base / p).resolve()


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _plain(value: Any) -> Any:
    """Return a TOML value as plain data a notebook parameter can hold (dates as text)."""
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check_parameter_table(table: Any, where: str, file: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [{where}] must be a table of name = value lines.")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in RESERVED_PARAMETERS:
            raise ConfigError(
                f"{file}: [{where}] sets {key!r}, which the runner sets for every run; "
                f"{RESERVED_PARAMETERS[key]}."
            )
        if isinstance(value, dict):
            raise ConfigError(
                f"{file}: [{where}] {key} is a table; parameter values must be text, "
                "numbers, true/false or lists."
            )
        out[key] = _plain(value)
    return out


def _unknown_key(file: Path, table: str, key: str, keys: Mapping[str, str]) -> ConfigError:
    """Return the error for a key ``[table]`` does not have, suggesting the nearest one."""
    return ConfigError(
        f"{file}: unknown key {key!r} under [{table}].{_suggest(key, list(keys))} "
        f"The keys are: {', '.join(keys)}."
    )


def _check_run_table(table: Any, file: Path, base: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [run] must be a table of key = value lines.")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in RUN_KEYS:
            raise _unknown_key(file, "run", key, RUN_KEYS)
        expect = RUN_KEYS[key]
        if key in ("data", "out", "notebooks_dir"):
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{file}: [run] {key} must be {expect}, not {value!r}.")
            out[key] = _absolute(value, base)
        elif key in ("sites", "notebooks"):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
                raise ConfigError(f"{file}: [run] {key} must be {expect}, not {value!r}.")
            out[key] = tuple(str(v) for v in value)
        elif key in ("jobs", "cell_timeout"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{file}: [run] {key} must be {expect}, not {value!r}.")
            out[key] = value
        else:
            if not isinstance(value, bool):
                raise ConfigError(f"{file}: [run] {key} must be {expect}, not {value!r}.")
            out[key] = value
    return out


def parse_config(text: str, file: Path, root: Path | None = None) -> Config:
    """Return the settings in TOML ``text`` (read from ``file``), on top of the defaults."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from exc
    base = file.parent.resolve()
    for key in data:
        if key not in TOP_LEVEL_TABLES:
            raise ConfigError(
                f"{file}: unknown setting {key!r}.{_suggest(key, list(TOP_LEVEL_TABLES))} "
                "Settings go under [run], [parameters], [figures] or [notebooks.<name>]."
            )
    run = _check_run_table(data.get("run", {}), file, base)
    params = _check_parameter_table(data.get("parameters", {}), "parameters", file)
    per_nb_raw = data.get("notebooks", {})
    if not isinstance(per_nb_raw, dict):
        raise ConfigError(f"{file}: [notebooks] must hold one [notebooks.<name>] table each.")
    per_nb = {
        str(name): _check_parameter_table(table, f"notebooks.{name}", file)
        for name, table in per_nb_raw.items()
    }
    figures_table = data.get("figures", {})
    if not isinstance(figures_table, dict):
        raise ConfigError(f"{file}: [figures] must be a table of key = value lines.")
    for key in figures_table:
        if key not in FIGURE_KEYS:
            raise _unknown_key(file, "figures", key, FIGURE_KEYS)
    try:
        figure_settings = FigureSettings.from_table(figures_table)
    except ValueError as exc:
        raise ConfigError(f"{file}: {exc}.") from exc
    root = (root or base).resolve()
    defaults = Config(
        root=root,
        data=(root / "data" / "synthetic").resolve(),
        out=root,
        notebooks_dir=(root / "notebooks").resolve(),
    )
    return dataclasses.replace(
        defaults,
        **run,
        figures=figure_settings,
        parameters=params,
        notebook_parameters=per_nb,
        source=file.resolve(),
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Return the settings from ``path`` (default: the project's ``srim.toml``, if any)."""
    if path is None:
        file = paths.CONFIG_FILE
        if not file.is_file():
            return Config()
        return parse_config(file.read_text(encoding="utf-8"), file, root=paths.ROOT)
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"Settings file not found: {file}")
    return parse_config(file.read_text(encoding="utf-8"), file)
