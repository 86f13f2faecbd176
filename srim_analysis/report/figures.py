"""The one helper that saves figures, and the manifest the report is built from.

Every figure in the report is saved by :func:`save_figure`: PNG at 300 dpi and SVG,
written atomically, stamped "Synthetic data" when made from synthetic data, and entered
in a manifest (figure id, caption, notebook, site, data fingerprint, paths) that the
runner merges into ``figures/manifest.csv`` for the report.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from srim_analysis import atomic
from srim_analysis.charts.style import MUTED
from srim_analysis.layout import RunLayout

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
) -> FigureRecord:
    """Save ``fig`` as PNG (300 dpi) and SVG and record it in the run's manifest.

    ``source_data``, the text of a CSV of what the figure plots (as published), is written
    beside it (``<notebook>__<figure id>.csv``) and named in the manifest.
    """
    if not _ID.match(figure_id):
        raise ValueError(f"figure id {figure_id!r} must be lower case letters, digits, '-' or '_'")
    if not caption.strip():
        raise ValueError(f"figure {figure_id!r} needs a caption")
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
    paths = {}
    try:
        for ext in ("png", "svg"):
            buf = io.BytesIO()
            fig.savefig(
                buf,
                format=ext,
                dpi=300,
                bbox_inches=bbox,
                metadata={"Date": None} if ext == "svg" else {"Software": None},
                # zlib level 3: a third faster than the default 6, files about 15% larger
                **({"pil_kwargs": {"compress_level": 3}} if ext == "png" else {}),
            )
            target = layout.figure(site, notebook, figure_id, ext)
            atomic.write_bytes(target, buf.getvalue())
            paths[ext] = target
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
        png=paths["png"].relative_to(layout.figures_dir).as_posix(),
        svg=paths["svg"].relative_to(layout.figures_dir).as_posix(),
        source_data=data_path,
    )
    add_to_manifest(figures_dir, record)
    if close:
        # lazy: matplotlib.pyplot costs 0.5 s at import (measured); the runner never needs it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return record


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
