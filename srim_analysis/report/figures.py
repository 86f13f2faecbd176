"""The one helper that saves figures, and the manifest the report is built from.

Every figure in the report is saved by :func:`save_figure`: in the formats and at the
resolution of the project's settings (``[figures]`` in ``srim.toml``; by default PNG at 300
dpi and SVG), each rendered once, written atomically, stamped "Synthetic data" when made
from synthetic data, and entered in a manifest (figure id, caption, notebook, site, data
fingerprint, paths) that the runner merges into ``figures/manifest.csv`` for the report.
A page shows the saved PNG; a per-site page may link a figure of the whole-study run
(:func:`figure_link`) instead of drawing it again.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srim_analysis import atomic, paths
from srim_analysis.charts.style import MUTED
from srim_analysis.layout import RunLayout
from srim_analysis.study.selection import ALL_SITES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SYNTHETIC_STAMP = "Synthetic data"


@dataclass(frozen=True)
class FigureRecord:
    """One manifest row: what a saved figure is and where it came from."""

    figure_id: str
    caption: str
    notebook: str
    site: str
    data_fingerprint: str
    synthetic: bool
    png: str
    svg: str
    #: The figure's plotted values as published (a CSV beside it), relative to figures/;
    #: blank for a figure saved without them.
    source_data: str = ""


MANIFEST_FIELDS: tuple[str, ...] = tuple(FigureRecord.__dataclass_fields__)
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")

#: The formats a figure can be saved in; PNG is always one (the pages show it).
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg")
#: The keys of ``[figures]`` in ``srim.toml``, with what each holds (for error messages).
FIGURE_KEYS: dict[str, str] = {
    "formats": 'the formats to save, a list from "png" and "svg" that holds "png"',
    "dpi": "the resolution of the PNG, in dots per inch (a whole number, 72 to 1200)",
}
#: The environment variables ``srim run`` hands the settings to its kernels in.
FORMATS_ENV, DPI_ENV = "SRIM_FIGURE_FORMATS", "SRIM_FIGURE_DPI"


@dataclass(frozen=True)
class FigureSettings:
    """How figures are saved: the formats (each rendered once) and the PNG's resolution."""

    formats: tuple[str, ...] = FIGURE_FORMATS
    dpi: int = 300

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> FigureSettings:
        """Return the settings of a ``[figures]`` table; raise ValueError saying what is wrong."""
        unknown = [k for k in table if k not in FIGURE_KEYS]
        if unknown:
            raise ValueError(
                f"unknown key {unknown[0]!r} under [figures]; the keys are: "
                f"{', '.join(FIGURE_KEYS)}"
            )
        formats = table.get("formats", list(FIGURE_FORMATS))
        if isinstance(formats, str):
            formats = [formats]
        if (
            not isinstance(formats, list | tuple)
            or not all(isinstance(f, str) and f.lower() in FIGURE_FORMATS for f in formats)
            or "png" not in [f.lower() for f in formats]
        ):
            raise ValueError(f"[figures] formats must be {FIGURE_KEYS['formats']}, not {formats!r}")
        dpi = table.get("dpi", cls.dpi)
        if isinstance(dpi, bool) or not isinstance(dpi, int) or not 72 <= dpi <= 1200:
            raise ValueError(f"[figures] dpi must be {FIGURE_KEYS['dpi']}, not {dpi!r}")
        ordered = tuple(f for f in FIGURE_FORMATS if f in {x.lower() for x in formats})
        return cls(formats=ordered, dpi=dpi)

    def environment(self) -> dict[str, str]:
        """Return the settings as the environment variables a kernel reads them from."""
        return {FORMATS_ENV: ",".join(self.formats), DPI_ENV: str(self.dpi)}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> FigureSettings | None:
        """Return the settings ``srim run`` handed over in ``environ``; None if it did not."""
        if FORMATS_ENV not in environ and DPI_ENV not in environ:
            return None
        table: dict[str, Any] = {}
        if environ.get(FORMATS_ENV):
            table["formats"] = environ[FORMATS_ENV].split(",")
        if environ.get(DPI_ENV):
            table["dpi"] = int(environ[DPI_ENV])
        return cls.from_table(table)


def figure_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> FigureSettings:
    """Return how figures are saved now: as ``srim run`` says, else ``srim.toml``, else defaults.

    A notebook run by ``srim run`` gets the run's settings (its settings file and command
    line); a notebook run by hand (JupyterLab) reads ``[figures]`` of the project's
    ``srim.toml``, so both save the same files.
    """
    given = FigureSettings.from_environment(os.environ if environ is None else environ)
    if given is not None:
        return given
    file = paths.CONFIG_FILE if config_file is None else config_file
    try:
        return FigureSettings.from_table(project_settings("figures", file))
    except ValueError as exc:
        raise ValueError(f"{file}: {exc}") from exc


_PROJECT_FILE: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}


def project_settings(table: str, config_file: Path | None = None) -> dict[str, Any]:
    """Return one table of the project's ``srim.toml`` as a notebook reads it ({} if none).

    Read once per change of the file. A missing or broken file gives {} (``srim run``
    reports a broken settings file; a notebook run by hand goes on with the defaults).
    """
    file = paths.CONFIG_FILE if config_file is None else config_file
    try:
        info = file.stat()
    except OSError:
        return {}
    stamp = (info.st_mtime_ns, info.st_size)
    known = _PROJECT_FILE.get(str(file))
    if known is None or known[0] != stamp:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        known = _PROJECT_FILE[str(file)] = (stamp, data)
    found = known[1].get(table, {})
    return dict(found) if isinstance(found, dict) else {}


def save_figure(
    fig: Figure,
    figure_id: str,
    caption: str,
    *,
    notebook: str,
    site: str,
    data_fingerprint: str,
    figures_dir: str | Path,
    synthetic: bool,
    close: bool = True,
    source_data: str | None = None,
    settings: FigureSettings | None = None,
) -> FigureRecord:
    """Save ``fig`` in each format of the settings and record it in the run's manifest.

    ``settings`` default to :func:`figure_settings` (PNG at 300 dpi and SVG unless the
    project says otherwise); each format is rendered once, from one layout. A format not
    saved has a blank path in the record. ``source_data``, the text of a CSV of what the
    figure plots (as published), is written beside it (``<notebook>__<figure id>.csv``)
    and named in the manifest.
    """
    if not _ID.match(figure_id):
        raise ValueError(f"figure id {figure_id!r} must be lower case letters, digits, '-' or '_'")
    if not caption.strip():
        raise ValueError(f"figure {figure_id!r} needs a caption")
    settings = figure_settings() if settings is None else settings
    layout = RunLayout.of_figures(figures_dir)
    # lay the figure out once and reuse its tight box for both formats
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    bbox = fig.get_tightbbox(renderer)
    if synthetic and not any(t.get_text() == SYNTHETIC_STAMP for t in fig.texts):
        # under everything else the figure shows (labels may overflow its edge), at the right
        height = fig.get_figheight()
        stamp = fig.text(
            bbox.x1 / fig.get_figwidth(),
            (bbox.y0 - 0.04) / height,
            SYNTHETIC_STAMP,
            ha="right",
            va="top",
            fontsize=8,
            color=MUTED,
            style="italic",
        )
        # lazy: matplotlib.transforms costs 0.18 s at import (measured); the runner never needs it
        from matplotlib.transforms import Bbox

        box = stamp.get_window_extent(renderer).transformed(fig.dpi_scale_trans.inverted())
        bbox = Bbox.union([bbox, box])
    bbox = bbox.padded(0.1)  # savefig.pad_inches
    # freeze the layout just computed: with no layout engine and an explicit box, savefig
    # renders each format once (no second layout pass, no dry-run render at 300 dpi)
    engine = fig.get_layout_engine()
    fig.set_layout_engine(None)
    saved: dict[str, str] = {"png": "", "svg": ""}
    try:
        for ext in settings.formats:
            buf = io.BytesIO()
            fig.savefig(
                buf,
                format=ext,
                dpi=settings.dpi,
                bbox_inches=bbox,
                metadata={"Date": None} if ext == "svg" else {"Software": None},
                # zlib level 3: a third faster than the default 6, files about 15% larger
                **({"pil_kwargs": {"compress_level": 3}} if ext == "png" else {}),
            )
            target = layout.figure(site, notebook, figure_id, ext)
            atomic.write_bytes(target, buf.getvalue())
            saved[ext] = target.relative_to(layout.figures_dir).as_posix()
        for ext in FIGURE_FORMATS:
            if not saved[ext]:  # a format no longer saved: no stale file of an earlier run
                layout.figure(site, notebook, figure_id, ext).unlink(missing_ok=True)
    finally:
        if engine is not None and not close:
            fig.set_layout_engine(engine)
    data_path = ""
    if source_data is not None:
        target = layout.figure(site, notebook, figure_id, "csv")
        atomic.write_text(target, source_data)
        data_path = target.relative_to(layout.figures_dir).as_posix()
    record = FigureRecord(
        figure_id=figure_id,
        caption=caption,
        notebook=notebook,
        site=site,
        data_fingerprint=data_fingerprint,
        synthetic=synthetic,
        png=saved["png"],
        svg=saved["svg"],
        source_data=data_path,
    )
    add_to_manifest(figures_dir, record)
    if close:
        # lazy: matplotlib.pyplot costs 0.5 s at import (measured); the runner never needs it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return record


def figure_link(
    page_site: str,
    notebook: str,
    figure_id: str,
    *,
    site: str = ALL_SITES,
    figure_notebook: str | None = None,
    ext: str = "png",
) -> str:
    """Return the link, from a page of ``page_site``, to a figure another run of the report saves.

    A per-site page links the whole-study figure (``site`` "all") instead of drawing it
    again: the link is relative (pages are ``reports/<site>/<nb>.html``, figures
    ``figures/<site>/<nb>__<id>.<ext>``), so it holds wherever the report is copied. The
    figure is the one the run of ``figure_notebook`` (default: the same notebook) for
    ``site`` saves; in a parallel run it may not exist yet when the page is made.

    >>> figure_link("LA-1", "01_compare", "funnel")
    '../../figures/all/01_compare__funnel.png'
    """
    layout = RunLayout.under(Path("out"))
    page = layout.html(page_site, notebook)
    target = layout.figure(site, figure_notebook or notebook, figure_id, ext)
    return Path(os.path.relpath(target, page.parent)).as_posix()


def add_to_manifest(figures_dir: str | Path, record: FigureRecord) -> Path:
    """Record a saved figure in its notebook run's manifest fragment; return the fragment."""
    path = RunLayout.of_figures(figures_dir).fragment(record.site, record.notebook)
    records = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    records = [r for r in records if r["figure_id"] != record.figure_id] + [asdict(record)]
    return atomic.write_text(path, json.dumps(records, indent=1))


def reset_fragment(figures_dir: str | Path, site: str, notebook: str) -> None:
    """Forget the figures recorded for one notebook and site (at the start of its run)."""
    RunLayout.of_figures(figures_dir).fragment(site, notebook).unlink(missing_ok=True)


def read_manifest(figures_dir: str | Path) -> list[FigureRecord]:
    """Return every figure recorded under ``figures_dir``, sorted by site, notebook, id."""
    records: list[FigureRecord] = []
    for frag in RunLayout.of_figures(figures_dir).fragments():
        records += [FigureRecord(**r) for r in json.loads(frag.read_text(encoding="utf-8"))]
    return sorted(records, key=lambda r: (r.site, r.notebook, r.figure_id))


def write_manifest(figures_dir: str | Path, records: Iterable[FigureRecord] | None = None) -> Path:
    """Write ``figures/manifest.csv`` from the per-run records and return its path."""
    rows = list(records) if records is not None else read_manifest(figures_dir)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(MANIFEST_FIELDS), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(asdict(r))
    return atomic.write_text(RunLayout.of_figures(figures_dir).manifest, buf.getvalue())
