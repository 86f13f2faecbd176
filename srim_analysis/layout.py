"""Where a report's outputs go: every path under ``reports/`` and ``figures/``, defined once.

An output root holds two folders, laid out like this (``<nb>`` is a notebook's name, such as
``03_awareness_confidence``; ``<site>`` a site id, or ``all`` for the whole study)::

    reports/
      index.html                          the front page
      run-record.json                     what the last ``srim run`` did
      disclosure-audit.csv                what the last run's disclosure audit found
      .srim-run.lock                      held while a run writes here
      .staging/<run>/{reports,figures}/   one run's outputs until it succeeds
      <site>/<nb>.ipynb, <nb>.html        the executed notebook and its HTML
      <site>/<nb>.failed.ipynb, .html     a failed run's notebook, beside the last good one
      <site>/tables/<nb>__<name>.csv      the published tables
      <site>/logs/<nb>.log                the run's log
      <site>/logs/<nb>.ok.json            the stamp of its last good run (and .failed.json)
    figures/
      manifest.csv                        every figure, for the report
      <site>/<nb>__<figure id>.png, .svg  the figures
      <site>/.manifest__<nb>.json         the figures one run made (merged into manifest.csv)

>>> layout = RunLayout.under(Path("out"))
>>> layout.table("LA-1", "03_awareness", "scores").as_posix()
'out/reports/LA-1/tables/03_awareness__scores.csv'
>>> layout.figure("all", "03_awareness", "scores", "png").as_posix()
'out/figures/all/03_awareness__scores.png'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

#: The suffixes of a run's stamps in ``reports/<site>/logs/``: last good run, last failure.
OK_SUFFIX = ".ok.json"
FAILED_SUFFIX = ".failed.json"
#: The prefix of a run's figure-manifest fragment in ``figures/<site>/``.
FRAGMENT_PREFIX = ".manifest__"


@dataclass(frozen=True)
class RunLayout:
    """The output folders of a report (``reports_dir``, ``figures_dir``) and every path in them."""

    reports_dir: Path
    figures_dir: Path
    #: The folder of a site's published tables, beside its HTML pages.
    TABLES: ClassVar[str] = "tables"

    @classmethod
    def under(cls, out: str | Path) -> RunLayout:
        """Return the layout of the output root ``out`` (``out/reports``, ``out/figures``)."""
        out = Path(out)
        return cls(reports_dir=out / "reports", figures_dir=out / "figures")

    @classmethod
    def of_figures(cls, figures_dir: str | Path) -> RunLayout:
        """Return the layout whose figures folder is ``figures_dir`` (reports beside it)."""
        figures_dir = Path(figures_dir)
        return cls(reports_dir=figures_dir.parent / "reports", figures_dir=figures_dir)

    @staticmethod
    def final(path: str | Path) -> Path:
        """Return where ``path`` ends up once its run succeeds (staging folders left out).

        >>> RunLayout.final("/p/reports/.staging/r1/reports/LA-1/tables")
        PosixPath('/p/reports/LA-1/tables')
        >>> RunLayout.final("/p/reports/.staging/r1/figures/LA-1")
        PosixPath('/p/figures/LA-1')
        >>> RunLayout.final("reports/LA-1/tables")
        PosixPath('reports/LA-1/tables')
        """
        parts = Path(path).parts
        if ".staging" not in parts:
            return Path(path)
        i = parts.index(".staging")
        root = Path(*parts[: i - 1]) if i > 1 else Path()
        return root.joinpath(*parts[i + 2 :])

    # -- reports/ -------------------------------------------------------------------------

    @property
    def index(self) -> Path:
        """Return the path of the report's front page, ``reports/index.html``."""
        return self.reports_dir / "index.html"

    @property
    def record(self) -> Path:
        """Return the path of the run record, ``reports/run-record.json``."""
        return self.reports_dir / "run-record.json"

    @property
    def disclosure_audit(self) -> Path:
        """Return the path of the findings of the last disclosure audit of this output root."""
        return self.reports_dir / "disclosure-audit.csv"

    @property
    def lock(self) -> Path:
        """Return the path of the lock file held while a run writes here."""
        return self.reports_dir / ".srim-run.lock"

    @property
    def staging(self) -> Path:
        """Return the folder that holds each running notebook's outputs until it succeeds."""
        return self.reports_dir / ".staging"

    def stage(self, name: str) -> RunLayout:
        """Return the layout of one run's staging folder ``reports/.staging/<name>``."""
        return RunLayout.under(self.staging / name)

    def site_dir(self, site: str) -> Path:
        """Return the folder of one site's executed notebooks and HTML."""
        return self.reports_dir / site

    def tables_dir(self, site: str) -> Path:
        """Return the folder one site's published tables are written to."""
        return self.site_dir(site) / self.TABLES

    def table(self, site: str, notebook: str, name: str, suffix: str = ".csv") -> Path:
        """Return the path of one published table (``<nb>__<name>.csv``)."""
        return self.tables_dir(site) / f"{notebook}__{name}{suffix}"

    def findings(self, site: str, notebook: str) -> Path:
        """Return the path of a run's key findings (JSON: sentence, figure, table)."""
        return self.site_dir(site) / "findings" / f"{notebook}.json"

    def executed(self, site: str, notebook: str) -> Path:
        """Return the path of an executed notebook."""
        return self.site_dir(site) / f"{notebook}.ipynb"

    def html(self, site: str, notebook: str) -> Path:
        """Return the path of an executed notebook's HTML."""
        return self.site_dir(site) / f"{notebook}.html"

    def failed_executed(self, site: str, notebook: str) -> Path:
        """Return the path a failed run's executed notebook is kept at."""
        return self.site_dir(site) / f"{notebook}.failed.ipynb"

    def failed_html(self, site: str, notebook: str) -> Path:
        """Return the path of a failed run's HTML."""
        return self.site_dir(site) / f"{notebook}.failed.html"

    def logs_dir(self, site: str) -> Path:
        """Return the folder of one site's logs and run stamps."""
        return self.site_dir(site) / "logs"

    def log(self, site: str, notebook: str) -> Path:
        """Return the path of a run's log."""
        return self.logs_dir(site) / f"{notebook}.log"

    def ok_stamp(self, site: str, notebook: str) -> Path:
        """Return the path of the stamp of a notebook's last good run for a site."""
        return self.logs_dir(site) / f"{notebook}{OK_SUFFIX}"

    def failed_stamp(self, site: str, notebook: str) -> Path:
        """Return the path of the stamp of a notebook's last failed run for a site."""
        return self.logs_dir(site) / f"{notebook}{FAILED_SUFFIX}"

    # -- figures/ -------------------------------------------------------------------------

    @property
    def manifest(self) -> Path:
        """Return the path of the figure manifest, ``figures/manifest.csv``."""
        return self.figures_dir / "manifest.csv"

    def site_figures(self, site: str) -> Path:
        """Return the folder of one site's figures."""
        return self.figures_dir / site

    def figure(self, site: str, notebook: str, figure_id: str, ext: str) -> Path:
        """Return the path of one figure file (``<nb>__<figure id>.<ext>``)."""
        return self.site_figures(site) / f"{notebook}__{figure_id}.{ext}"

    def fragment(self, site: str, notebook: str) -> Path:
        """Return the path of the manifest fragment of one notebook run's figures."""
        return self.site_figures(site) / f"{FRAGMENT_PREFIX}{notebook}.json"

    def fragments(self) -> list[Path]:
        """Return every manifest fragment under ``figures_dir``, sorted."""
        return sorted(self.figures_dir.glob(f"*/{FRAGMENT_PREFIX}*.json"))
