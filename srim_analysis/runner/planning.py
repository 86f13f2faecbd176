"""What a run will do: which notebooks for which sites, with which parameters, and what is due.

Everything here is checked before anything runs: unknown notebooks, sites and parameters are
refused with the valid ones listed (papermill itself would accept a misspelt parameter
silently), and outputs from real data are refused in an unsafe folder. Each run gets a key
(notebook, parameters, data, code); a run whose key is unchanged since its last good run and
whose outputs are all there is up to date and skipped.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srim_analysis import __version__, disclosure
from srim_analysis.layout import RunLayout
from srim_analysis.runner.config import RESERVED_PARAMETERS, Config
from srim_analysis.runner.errors import RunError
from srim_analysis.runner.parameters import NotebookInfo, check_value, inspect_notebook, parse_value
from srim_analysis.study import loading
from srim_analysis.study.selection import ALL_SITES

#: Parameters every notebook must declare: the runner sets them for every run.
REQUIRED_PARAMETERS = tuple(RESERVED_PARAMETERS)
NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_\-]+$")
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
#: Bumped when the runner's outputs change shape, so every run is redone once.
RUNNER_FORMAT = 1


def layout_of(config: Config) -> RunLayout:
    """Return the output layout of ``config`` (its reports and figures folders)."""
    return RunLayout(config.reports_dir, config.figures_dir)


# ---------------------------------------------------------------------------
# Notebooks and sites
# ---------------------------------------------------------------------------


def discover_notebooks(folder: str | Path) -> list[NotebookInfo]:
    """Return the ``NN_name.ipynb`` notebooks in ``folder``, in order of their numbers."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"The notebooks folder {folder} does not exist.")
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and NOTEBOOK_NAME.match(p.stem))
    return [inspect_notebook(p) for p in found]


def select_notebooks(
    available: Sequence[NotebookInfo], requested: Sequence[str]
) -> list[NotebookInfo]:
    """Return the notebooks named in ``requested`` (all if empty), or raise listing valid ones.

    A notebook can be named in full (``03_awareness_confidence``), by its number (``03``)
    or by its name without the number (``awareness_confidence``); ``.ipynb`` is optional.
    """
    if not requested:
        return list(available)
    chosen: list[NotebookInfo] = []
    unknown: list[str] = []
    for item in requested:
        name = Path(item).name.removesuffix(".ipynb")
        match = [
            nb
            for nb in available
            if name in (nb.name, nb.number, nb.name[3:]) or nb.name.startswith(f"{name}_")
        ]
        if len(match) > 1:
            names = ", ".join(nb.name for nb in match)
            raise RunError(f"Notebook {item!r} is ambiguous: it could be {names}.")
        if not match:
            unknown.append(item)
        elif match[0] not in chosen:
            chosen.append(match[0])
    if unknown:
        valid = ", ".join(nb.name for nb in available) or "(none)"
        raise RunError(
            f"Unknown notebook(s): {', '.join(unknown)}. The notebooks are: {valid} "
            "(a number such as 03 is enough)."
        )
    return sorted(chosen, key=lambda nb: nb.name)


@dataclass(frozen=True)
class StudyInfo:
    """What the runner knows about the data folder: kind, fingerprint and sites."""

    folder: Path
    kind: str
    name: str
    fingerprint: str
    sites: Mapping[str, str]  # id -> display name, in file order
    # how many people and rows the loader removed for withdrawals (counts only, never ids)
    withdrawn: Mapping[str, int] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        """Return True for synthetic data."""
        return self.kind == "synthetic"

    def site_label(self, site: str) -> str:
        """Return how a site is named on its pages: "All sites", or "Name (id)"."""
        if site == ALL_SITES:
            return "All sites"
        label = self.sites.get(site, "")
        return f"{label} ({site})" if label != site else label

    def to_dict(self) -> dict[str, Any]:
        """Return the data description for the run record."""
        return {
            "folder": str(self.folder),
            "kind": self.kind,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "sites": dict(self.sites),
        }


def read_study(folder: Path) -> StudyInfo:
    """Return the data folder's kind, fingerprint and sites, or raise a plain RunError."""
    if not folder.is_dir():
        raise RunError(f"The data folder {folder} does not exist (set it with --data).")
    try:
        marker = loading.read_marker(folder)
        study = loading.load_study(folder, tables=["sites"])
        frame = study.tables["sites"]
        names = dict(zip(frame["site_id"], frame["display_name"], strict=False))
        sites = {str(s): str(names.get(s, s)) for s in study.site_ids()}
    except (ValueError, FileNotFoundError) as exc:
        raise RunError(str(exc)) from exc
    bad = [s for s in sites if not SITE_ID.match(s) or s == ALL_SITES]
    if bad:
        raise RunError(
            f"Site ids {bad} cannot be used as folder names; use letters, digits, '-', '_'."
        )
    return StudyInfo(
        folder=folder,
        kind=marker["kind"],
        name=marker.get("name", folder.name),
        fingerprint=study.fingerprint,
        sites=sites,
        withdrawn=dict(study.withdrawn),
    )


def select_sites(study: StudyInfo, requested: Sequence[str]) -> list[str]:
    """Return the sites to run ("all" first), every site and "all" if none are named."""
    if not requested:
        return [ALL_SITES, *study.sites]
    wanted: list[str] = []
    for item in requested:
        wanted += [s.strip() for s in str(item).split(",") if s.strip()]
    unknown = [s for s in wanted if s != ALL_SITES and s not in study.sites]
    if unknown:
        raise RunError(
            f"Unknown site(s): {', '.join(unknown)}. The sites in {study.folder} are: "
            f"{', '.join(study.sites)} (or 'all' for the whole study)."
        )
    ordered = [ALL_SITES] if ALL_SITES in wanted else []
    return ordered + [s for s in study.sites if s in wanted]


def check_output_safety(config: Config, study: StudyInfo) -> None:
    """Refuse (RunError) to write outputs from real data into an unsafe folder."""
    if study.kind != "real":
        return
    check = getattr(disclosure, "assert_safe_output_dir", None)
    if check is None:
        raise RunError(
            f"{study.folder} holds real data, and the output-folder safety check "
            "(srim_analysis.disclosure) is not available in this installation, so nothing "
            "was run. Update srim-analysis."
        )
    for folder in (config.reports_dir, config.figures_dir):
        try:
            check(folder, data_is_real=True)
        except Exception as exc:  # UnsafeOutputError, or anything that says no
            raise RunError(f"Refusing to write outputs from real data: {exc}") from exc
    try:
        disclosure.load_key(required=True)
    except Exception as exc:  # MissingKeyError, UnsafeKeyError
        raise RunError(
            f"Refusing to run on real data without a pseudonymisation key: {exc} "
            "(see docs/disclosure-control.md)."
        ) from exc


# ---------------------------------------------------------------------------
# Runs and their keys
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One notebook run for one site: its final parameters and its identity for skipping."""

    notebook: NotebookInfo
    site: str
    parameters: Mapping[str, Any]
    key: str

    @property
    def label(self) -> str:
        """Return ``notebook[site]``, how the run is named in messages."""
        return f"{self.notebook.name}[{self.site}]"


def code_fingerprint() -> str:
    """Return a fingerprint of the package's source (a library change reruns everything)."""
    h = hashlib.sha256(__version__.encode())
    pkg = Path(__file__).resolve().parents[1]
    for path in sorted(pkg.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(pkg).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def run_key(
    nb: NotebookInfo,
    params: Mapping[str, Any],
    study: StudyInfo,
    code: str,
    with_code: bool,
    settings: Mapping[str, str] | None = None,
) -> str:
    """Return the key of a run: it changes with anything that shapes the run's outputs."""
    blob = json.dumps(
        {
            "format": RUNNER_FORMAT,
            "notebook": nb.sha256,
            "parameters": params,
            "data": study.fingerprint,
            "package": __version__,
            "code": code,
            "with_code": with_code,
            "settings": dict(settings or {}),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _coerce(nb: NotebookInfo, name: str, value: Any, *, text: bool, where: str) -> Any:
    param = nb.parameters[name]
    try:
        return parse_value(value, param.type) if text else check_value(value, param.type)
    except ValueError as exc:
        raise RunError(
            f"{where}: {nb.name} expects {exc} for {name!r} (its default is {param.default}), "
            f"not {value!r}."
        ) from exc


def _declared_somewhere(name: str, notebooks: Sequence[NotebookInfo]) -> bool:
    return any(name in nb.parameters for nb in notebooks)


def _unknown_parameter(name: str, where: str, notebooks: Sequence[NotebookInfo]) -> RunError:
    if name in RESERVED_PARAMETERS:
        return RunError(f"{where}: {name!r} is set by the runner; {RESERVED_PARAMETERS[name]}.")
    known = sorted({p for nb in notebooks for p in nb.parameters} - set(RESERVED_PARAMETERS))
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return RunError(
        f"{where}: unknown parameter {name!r}: no notebook run here declares it.{hint} "
        f"The parameters are: {', '.join(known) or '(none)'} "
        "(`srim run --list` shows them with their notebooks)."
    )


def plan_runs(
    config: Config,
    available: Sequence[NotebookInfo],
    selected: Sequence[NotebookInfo],
    study: StudyInfo,
    sites: Sequence[str],
    cli_parameters: Mapping[str, Any] | None = None,
) -> list[RunSpec]:
    """Return every run to make, with its parameters checked and resolved, or raise."""
    cli_parameters = dict(cli_parameters or {})
    for nb in selected:
        missing = [p for p in REQUIRED_PARAMETERS if p not in nb.parameters]
        if missing:
            raise RunError(
                f"{nb.path.name} cannot be run: its parameters cell (tagged 'parameters') "
                f"does not declare {', '.join(missing)}. Every notebook declares "
                f"{', '.join(REQUIRED_PARAMETERS)}."
            )
    # settings-file parameters: checked against every notebook, selected or not
    for name in config.parameters:
        if not _declared_somewhere(name, available):
            raise _unknown_parameter(name, f"{config.source or 'settings'} [parameters]", available)
    per_nb: dict[str, dict[str, Any]] = {}
    for nb_name, values in config.notebook_parameters.items():
        try:
            (nb,) = select_notebooks(available, [nb_name])
        except RunError as exc:
            raise RunError(f"{config.source} [notebooks.{nb_name}]: {exc}") from exc
        for name in values:
            if name not in nb.parameters:
                raise _unknown_parameter(name, f"{config.source} [notebooks.{nb_name}]", [nb])
        per_nb.setdefault(nb.name, {}).update(values)
    # command-line parameters: checked against the notebooks of this run
    cli_plain: dict[str, Any] = {}
    cli_nb: dict[str, dict[str, Any]] = {}
    for key, value in cli_parameters.items():
        if "." in key:
            nb_name, _, name = key.partition(".")
            (nb,) = select_notebooks(available, [nb_name])
            if nb not in selected:
                raise RunError(f"-p {key}: notebook {nb.name} is not part of this run.")
            if name not in nb.parameters:
                raise _unknown_parameter(name, f"-p {key}", [nb])
            cli_nb.setdefault(nb.name, {})[name] = value
        else:
            if key in RESERVED_PARAMETERS or not _declared_somewhere(key, selected):
                raise _unknown_parameter(key, f"-p {key}", selected)
            cli_plain[key] = value

    code = code_fingerprint()
    runs: list[RunSpec] = []
    for nb in selected:
        values: dict[str, Any] = {}
        src = config.source or "settings"
        for name, value in config.parameters.items():
            if name in nb.parameters:
                values[name] = _coerce(nb, name, value, text=False, where=f"{src} [parameters]")
        for name, value in per_nb.get(nb.name, {}).items():
            values[name] = _coerce(nb, name, value, text=False, where=f"{src} [notebooks]")
        for layer in (cli_plain, cli_nb.get(nb.name, {})):
            for name, value in layer.items():
                if name in nb.parameters:
                    values[name] = _coerce(
                        nb, name, value, text=isinstance(value, str), where=f"-p {name}"
                    )
        nb_sites = [s for s in sites if nb.per_site or s == ALL_SITES]
        for site in nb_sites:
            params = {
                "site": site,
                "data_dir": str(study.folder),
                "reports_dir": str(config.reports_dir),
                "figures_dir": str(config.figures_dir),
                **values,
            }
            key = run_key(nb, params, study, code, config.with_code, config.kernel_environment())
            runs.append(RunSpec(notebook=nb, site=site, parameters=params, key=key))
    return runs


# ---------------------------------------------------------------------------
# Skipping what is up to date
# ---------------------------------------------------------------------------


def previous_duration(config: Config, spec: RunSpec) -> float:
    """Return how long the run took last time (its failure if it failed), or infinity."""
    layout = layout_of(config)
    ok = layout.ok_stamp(spec.site, spec.notebook.name)
    failed = layout.failed_stamp(spec.site, spec.notebook.name)
    for path in (failed, ok):
        with contextlib.suppress(OSError, ValueError, TypeError):
            return float(json.loads(path.read_text(encoding="utf-8"))["duration_s"])
    return float("inf")


def up_to_date(config: Config, spec: RunSpec) -> dict[str, Any] | None:
    """Return the last good stamp if ``spec`` needs no rerun, else None."""
    layout = layout_of(config)
    ok = layout.ok_stamp(spec.site, spec.notebook.name)
    failed = layout.failed_stamp(spec.site, spec.notebook.name)
    if failed.exists() or not ok.exists():
        return None
    try:
        stamp = json.loads(ok.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stamp.get("key") != spec.key:
        return None
    files = stamp.get("outputs", {}).get("files", [])
    if not files or not all((config.out / f).is_file() for f in files):
        return None
    return stamp
