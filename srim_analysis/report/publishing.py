"""What a notebook publishes: tables and figures, made safe and recorded, in one place.

A notebook starts with :func:`start`, which loads and validates the study, applies the
house style and returns a :class:`Report`. Everything the notebook publishes goes through
it: :meth:`Report.table` applies small-cell suppression and writes the table as CSV under
``reports/<site>/tables/``; :meth:`Report.chart` draws a figure from a published table
(the only way a notebook saves a figure), saves it through the one figure helper with that
table as its source data, and records it in the manifest.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import HTML, Markdown, display

from srim_analysis import atomic, disclosure, paths
from srim_analysis.charts import style
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.layout import RunLayout
from srim_analysis.report import cache, figures, presentation
from srim_analysis.study.loading import Study, data_fingerprint, load_study, tables_present
from srim_analysis.study.selection import ALL_SITES, for_site, is_all_sites

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def resolve(path: str | Path) -> Path:
    """Return ``path`` as an absolute path, relative paths taken from the project root."""
    p = Path(path)
    return p if p.is_absolute() else paths.ROOT / p


@dataclass(frozen=True)
class SavedFigure:
    """A figure saved by :meth:`Report.chart`: its manifest record, shown as the saved PNG.

    A notebook (and so its HTML page) shows the very PNG the report saved, with alt text and
    a numbered caption ("Figure 3. caption"): the figure is rendered once, by the save.
    """

    record: figures.FigureRecord
    figures_dir: Path
    #: The figure's number on its page (None: not numbered).
    number: int | None = None
    #: What the image shows, for a reader who cannot see it (the caption when blank).
    alt: str = ""

    @property
    def svg_path(self) -> Path:
        """Return the path of the saved SVG."""
        return self.figures_dir / self.record.svg

    @property
    def png_path(self) -> Path:
        """Return the path of the saved PNG (300 dpi)."""
        return self.figures_dir / self.record.png

    @property
    def label(self) -> str:
        """Return the caption line shown under the figure: "Figure N. caption"."""
        return presentation.figure_label(self.number, self.record.caption)

    def _repr_html_(self) -> str:
        return presentation.figure_html(
            self.png_path.read_bytes(),
            alt=self.alt or self.record.caption,
            label=self.label,
            figure_id=self.record.figure_id,
        )


class Section:
    """What one notebook section displays, in order: Markdown text, tables and figures."""

    def __init__(self, items: Iterable[object] = ()) -> None:
        self.items: list[object] = [i for i in items if i is not None]
        #: Tables the section published, by name (for tests and later cells).
        self.tables: dict[str, pd.DataFrame] = {}

    def add(self, item: object, *, first: bool = False) -> Section:
        """Add an item (Markdown text or a display object; None is ignored); return self.

        ``first`` puts it before everything added so far (a sentence that sums up the tables).
        """
        if item is not None:
            if first:
                self.items.insert(0, item)
            else:
                self.items.append(item)
        return self

    def text(self) -> str:
        """Return the Markdown text of the section (for tests and logs)."""
        return "\n\n".join(i for i in self.items if isinstance(i, str))

    def _ipython_display_(self) -> None:
        for item in self.items:
            display(Markdown(item) if isinstance(item, str) else item)

    def __repr__(self) -> str:
        return self.text() or f"<{len(self.items)} item(s)>"


@dataclass
class Report:
    """One notebook run for one site: the study and where its outputs go."""

    notebook: str
    site: str
    study: Study
    reports_dir: Path
    figures_dir: Path
    min_cell: int
    published: list[Path] = field(default_factory=list)
    #: Cells shown and hidden by this report's tables, by population (see ``population=``).
    linked: disclosure.LinkedCells = field(default_factory=disclosure.LinkedCells)
    #: The figures and tables the run showed, in order (what numbers them; see
    #: :func:`contents_path`).
    contents: list[dict[str, str]] = field(default_factory=list)

    @property
    def site_label(self) -> str:
        """Return the site's display name, or 'All sites'."""
        return self.study.site_label(self.site)

    @property
    def where(self) -> str:
        """Return where the run looks, for a sentence: 'across all sites' or 'at <site name>'."""
        return "across all sites" if is_all_sites(self.site) else f"at {self.site_label}"

    @property
    def layout(self) -> RunLayout:
        """Return where this run's outputs go."""
        return RunLayout(self.reports_dir, self.figures_dir)

    @property
    def tables_dir(self) -> Path:
        """Return the folder this run's tables are written to."""
        return self.layout.tables_dir(self.site)

    def for_site(self, frame: pd.DataFrame, column: str = "site_id") -> pd.DataFrame:
        """Return the rows of ``frame`` for this run's site (all rows for the whole study)."""
        return for_site(frame, self.site, column)

    def title(self, text: str) -> str:
        """Return a figure title naming what it shows and the site."""
        return style.site_title(text, self.site_label)

    def _save_figure(
        self, fig: Figure, figure_id: str, caption: str, source: pd.DataFrame
    ) -> SavedFigure:
        """Save a figure (PNG and SVG) with its caption and source data; return it (closed)."""
        alt = presentation.alt_text(caption, fig)
        record = figures.save_figure(
            fig,
            figure_id,
            caption,
            notebook=self.notebook,
            site=self.site,
            data_fingerprint=self.study.fingerprint,
            figures_dir=self.figures_dir,
            synthetic=self.study.synthetic,
            close=True,
            source_data=self._csv(source, f"Source data of the figure: {caption}"),
        )
        number = self._number("figure", figure_id, caption, record.png)
        return SavedFigure(record, self.figures_dir, number=number, alt=alt)

    def _number(self, kind: str, key: str, caption: str, path: str) -> int:
        """Return the number of a figure or table shown on the page, recording it once."""
        if not any(e["kind"] == kind and e["key"] == key for e in self.contents):
            self.contents.append({"kind": kind, "key": key, "caption": caption, "path": path})
            target = contents_path(self.layout, self.site, self.notebook)
            atomic.write_text(target, json.dumps(self.contents, indent=1))
        keys = [e["key"] for e in self.contents if e["kind"] == kind]
        rule = presentation.figure_numbers if kind == "figure" else presentation.table_numbers
        return rule(keys)[key]

    def chart(
        self,
        section: Section,
        published: pd.DataFrame,
        draw: Callable[[pd.DataFrame], Figure | None],
        figure_id: str,
        caption: str,
    ) -> SavedFigure | None:
        """Draw a figure from a published table, save it with that table as its source data.

        ``published`` must come from :meth:`table`, :meth:`publish` or :meth:`made_safe`
        (hidden cells are the suppression mark), so a chart cannot show what a table hides;
        ``draw`` gets only that table. The figure is added to ``section``; None when ``draw``
        returns no figure.
        """
        _require_safe(published, figure_id)
        fig = draw(published)
        if fig is None:
            return None
        saved = self._save_figure(fig, figure_id, caption, published)
        section.add(saved)
        return saved

    def made_safe(
        self,
        frame: pd.DataFrame,
        *,
        count_columns: Sequence[str] | None = None,
        depends: Mapping[str, tuple[str, ...]] | None = None,
        not_counts: Sequence[str] = (),
        decimals: int = 3,
        sums: Mapping[str, tuple[str, ...]] | None = None,
        population: str | None = None,
    ) -> pd.DataFrame:
        """Return ``frame`` as :meth:`table` publishes it (rounded, suppressed); writes nothing.

        ``sums`` declares count columns that add up others in each row; ``population`` names
        the population the table counts, so that tables of the same population in this report
        hide and show their shared cells consistently (see ``disclosure.publishable``).

        A later section that needs the cells an earlier one published calls this with the
        same table: suppression is deterministic, so the cells are the same.
        """
        _refuse_undeclared_counts(frame, count_columns, not_counts)
        floats = frame.select_dtypes("floating").columns
        frame = frame.assign(**{c: frame[c].round(decimals) for c in floats})
        published = disclosure.publishable(
            frame,
            self.min_cell,
            count_columns=count_columns,
            depends=depends,
            sums=sums,
            population=population,
            linked=self.linked,
        )
        published.attrs["note"] = disclosure.suppression_note(self.min_cell)
        published.attrs[_MADE_SAFE] = self.min_cell
        if population:
            published.attrs["population"] = population
        return published

    def table(
        self,
        frame: pd.DataFrame,
        name: str,
        caption: str,
        count_columns: Sequence[str] | None = None,
        depends: Mapping[str, tuple[str, ...]] | None = None,
        not_counts: Sequence[str] = (),
        decimals: int = 3,
        sums: Mapping[str, tuple[str, ...]] | None = None,
        population: str | None = None,
    ) -> pd.DataFrame:
        """Suppress small cells, write the table as CSV, and return the published table.

        Count columns are found by name (``n``, ``n_*``, ``*_n``, ``count``, ``cases``,
        ``participants``, ``respondents``, ``segments``) or given in ``count_columns``. Any
        other integer column must be declared in ``not_counts`` (a grade, a year, a
        feature level): an undeclared one is refused, so no count is published unsuppressed
        by accident. Decimal numbers are rounded to ``decimals`` places.
        """
        published = self.made_safe(
            frame,
            count_columns=count_columns,
            depends=depends,
            not_counts=not_counts,
            decimals=decimals,
            sums=sums,
            population=population,
        )
        path = self.layout.table(self.site, self.notebook, name)
        atomic.write_text(path, self._csv(published, caption))
        self.published.append(path)
        published.attrs["caption"] = caption
        published.attrs["csv"] = path.name
        return published

    def publish(
        self,
        section: Section,
        frame: pd.DataFrame,
        name: str,
        caption: str,
        *,
        count_columns: Sequence[str] | None = None,
        depends: Mapping[str, tuple[str, ...]] | None = None,
        not_counts: Sequence[str] = (),
        view: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
        show: bool = True,
        sums: Mapping[str, tuple[str, ...]] | None = None,
        population: str | None = None,
    ) -> pd.DataFrame:
        """Publish ``frame`` (see :meth:`table`), record it in ``section``; return it.

        ``view``, if given, picks what the section shows from the published cells (the CSV
        holds the whole published table); ``show=False`` publishes and records the table
        without showing it (a download the page does not repeat).
        """
        published = self.table(
            frame,
            name,
            caption,
            count_columns=count_columns,
            depends=depends,
            not_counts=not_counts,
            sums=sums,
            population=population,
        )
        section.tables[name] = published
        if not show:
            return published
        shown = published
        if view is not None:
            shown = view(published)
            shown.attrs = {**published.attrs}
        section.add(self.show(shown))
        return published

    def _csv(self, published: pd.DataFrame, caption: str) -> str:
        """Return the CSV text of a published table: caption, suppression note, then cells."""
        buf = io.StringIO()
        buf.write(f"# {caption}\n# {published.attrs['note']}\n")
        if self.study.synthetic:
            buf.write("# SYNTHETIC DATA: made from the shipped synthetic study, not real data.\n")
        if published.attrs.get("population"):
            # the disclosure audit reads the tables of one population together
            buf.write(f"# population: {published.attrs['population']}\n")
        published.to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()

    def banner(self) -> object:
        """Return a display object naming the site, the data and, if so, that it is synthetic."""
        kind = (
            '<b style="color:#D55E00">SYNTHETIC DATA</b>: made up for testing and '
            "training; not real people, places or cases."
            if self.study.synthetic
            else "<b>Real study data</b>: outputs are for the research team until checked."
        )
        sites = ", ".join(
            f"<code>{html.escape(sid)}</code> {html.escape(self.study.site_label(sid))}"
            for sid in self.study.site_ids()
        )
        # outputs named from the project root, or from the run's output folder when the run
        # writes elsewhere: never an absolute path of the machine (the page is shared)
        out = RunLayout.final(self.reports_dir).parent
        tables = _shown_path(RunLayout.final(self.tables_dir), out)
        figs = _shown_path(RunLayout.final(self.layout.site_figures(self.site)), out)
        return HTML(
            f"<p>{kind}<br>"
            f"Site: <b>{html.escape(self.site_label)}</b>"
            f"{'' if is_all_sites(self.site) else f' (<code>{html.escape(self.site)}</code>)'}. "
            f"Sites in this study (the values <code>site</code> takes, or "
            f'<code>"all"</code>): {sites}.<br>'
            f"Study folder: <code>{_shown_path(self.study.folder)}</code>, "
            f"{'synthetic' if self.study.synthetic else 'real'} data "
            f"({html.escape(self.study.name)}; fingerprint {self.study.fingerprint}). "
            f"Small-cell threshold: {self.min_cell}. In every table and figure: "
            f"{html.escape(disclosure.suppression_note(self.min_cell))}<br>"
            f"Outputs: tables in <code>{tables}/</code>, figures in <code>{figs}/</code>.</p>"
        )

    def say(self, text: str) -> object:
        """Return a sentence the library wrote, for display as Markdown."""
        return Markdown(text)

    def review_quotes(
        self, quotes: pd.DataFrame, *, record: bool = True
    ) -> disclosure.ReviewedQuotes:
        """Return the chosen quotes this report may publish (real data: approved ones only).

        ``quotes`` (with ``code_id``, ``segment_id``, ``quote``, ``attribution``) are recorded
        in the study's quote review sheet (see :func:`disclosure.review_quotes`);
        ``record=False`` only reads the decisions (a quote browser publishes nothing).
        """
        return disclosure.review_quotes(
            quotes,
            folder=self.study.folder,
            synthetic=self.study.synthetic,
            site=self.site,
            notebook=self.notebook,
            reports_dir=self.reports_dir,
            record=record,
        )

    def finding(
        self, text: str, *, figure: SavedFigure | None = None, table: str | None = None
    ) -> str:
        """Record a key finding for the report's front page; return the sentence.

        ``text`` is a sentence written from published cells (as every sentence is);
        ``figure`` (a saved figure) and ``table`` (the name of a table this run published)
        are what the front page links it to.
        """
        path = self.layout.findings(self.site, self.notebook)
        found = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        entry: dict[str, str] = {"text": text}
        if figure is not None:
            entry["figure"] = figure.record.png
            entry["caption"] = figure.record.caption
        if table is not None:
            csv = self.layout.table(self.site, self.notebook, table)
            entry["table"] = csv.relative_to(self.layout.reports_dir).as_posix()
        found = [f for f in found if f.get("text") != text] + [entry]
        atomic.write_text(path, json.dumps(found, indent=1))
        return text

    def missing(self, table: str) -> Section | None:
        """Return a section saying it is skipped for want of ``table``; None if the study has it."""
        if table in self.study.tables:
            return None
        return Section([f"*This study folder has no `{table}` table, so this section is skipped.*"])

    def show(self, frame: pd.DataFrame, *, numbered: bool = True) -> object:
        """Return a display object: the table as a reader sees it (see ``report.presentation``).

        The suppression rule is stated once, in the page's banner, not under every table;
        a published table links its CSV (relative to the HTML page of the run) and, unless
        ``numbered=False`` (an explorer's view), is numbered on the page ("Table 5. caption").
        """
        csv = frame.attrs.get("csv")
        caption = frame.attrs.get("caption", "")
        if csv and numbered:
            href = f"{RunLayout.TABLES}/{csv}"
            caption = presentation.table_label(self._number("table", csv, caption, href), caption)
        return HTML(
            presentation.table_html(
                frame,
                caption=caption,
                csv_href=f"{RunLayout.TABLES}/{csv}" if csv else None,
            )
        )


def contents_path(layout: RunLayout, site: str, notebook: str) -> Path:
    """Return where a run lists the figures and tables it showed, in order (JSON).

    Each entry: ``kind`` ("figure" or "table"), ``key`` (figure id or CSV name),
    ``caption`` and ``path`` (PNG relative to figures/, CSV relative to the site's folder);
    numbering them with :func:`presentation.figure_numbers` / ``table_numbers`` gives the
    numbers the page shows.
    """
    return layout.findings(site, notebook).with_name(f"{notebook}.contents.json")


#: The attribute :meth:`Report.made_safe` sets on a table it made safe (its min_cell).
_MADE_SAFE = "srim_made_safe"


def _require_safe(frame: pd.DataFrame, figure_id: str) -> None:
    """Raise unless ``frame`` was made safe by a report (figures show only published cells)."""
    if _MADE_SAFE not in frame.attrs:
        raise ValueError(
            f"Figure {figure_id!r}: its data must be a table the report made safe "
            "(report.table, report.publish or report.made_safe), so that the figure cannot "
            "show a cell the table hides."
        )


def _shown_path(path: Path, out: Path | None = None) -> str:
    """Return ``path`` for display: relative to the project root when inside it.

    Outside it, relative to ``out`` (a run's output folder) when given and inside that.
    """
    path = Path(path).resolve()
    for base in (paths.ROOT, *([Path(out).resolve()] if out is not None else [])):
        try:
            return html.escape(path.relative_to(base).as_posix())
        except ValueError:
            continue
    return html.escape(path.as_posix())


def _refuse_undeclared_counts(
    frame: pd.DataFrame, count_columns: Sequence[str] | None, not_counts: Sequence[str]
) -> None:
    counts = set(disclosure.count_columns_of(frame, count_columns))
    undeclared = []
    for col in frame.columns:
        if col in counts or col in not_counts or str(col).startswith("pct_"):
            continue
        s = frame[col]
        if pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s):
            undeclared.append(col)
    if undeclared:
        raise ValueError(
            f"Columns {undeclared} hold integers but are not named as counts. If they "
            "are counts, name them n_* or pass count_columns=[...] so they are suppressed; "
            "if not (a grade, a year, a level), pass not_counts=[...]."
        )


def read_published(path: str | Path) -> pd.DataFrame:
    """Return a table written by :meth:`Report.table` (its comment lines skipped)."""
    text = Path(path).read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    return pd.read_csv(io.StringIO(body), dtype=object, keep_default_na=False)


def _loaded_study(folder: Path, tables: Sequence[str] | None, reports_dir: Path) -> Study:
    """Return the validated study, read back from the report's cache when a run loaded it.

    Validating a large study takes most of a short run (the national synthetic study: about
    15 s of each run); the first run of a report validates it and keeps the result in the
    report's cache (keyed by the data's fingerprint, the folder, the tables and the
    library), every other run reads it back. A folder that is not there, or a study that
    does not validate, raises as :func:`load_study` does, and nothing is kept.
    """
    if not folder.is_dir() or not cache.enabled():
        return load_study(folder, tables=tables)
    results = cache.ResultCache(cache.cache_dir(reports_dir), data_fingerprint(folder))
    return results.get(
        "study",
        {"folder": str(folder.resolve()), "tables": None if tables is None else list(tables)},
        lambda: load_study(folder, tables=tables),
    )


def start(
    notebook: str,
    site: str = ALL_SITES,
    data_dir: str | Path = "data/synthetic",
    reports_dir: str | Path = "reports",
    figures_dir: str | Path = "figures",
    min_cell: int = DEFAULT_MIN_CELL,
    tables: Sequence[str] | None = None,
    optional: Sequence[str] = (),
) -> Report:
    """Load the study for one notebook run and return the :class:`Report` it publishes to.

    ``tables`` are required (a plain error names any that are missing); ``optional`` tables
    are loaded when the folder has them, and the notebook skips what needs them otherwise.
    """
    folder = resolve(data_dir)
    if tables is not None:
        present = set(tables_present(folder)) if folder.is_dir() else set()
        tables = [*tables, *(t for t in optional if t in present and t not in tables)]
    study = _loaded_study(folder, tables, resolve(reports_dir))
    if site != ALL_SITES and site not in study.site_ids():
        raise ValueError(
            f"Unknown site {site!r}. The sites in {data_dir} are: "
            f"{', '.join(study.site_ids())} (or 'all')."
        )
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1 (the default is 5)")
    style.use_house_style()
    report = Report(
        notebook=notebook,
        site=site,
        study=study,
        reports_dir=resolve(reports_dir),
        figures_dir=resolve(figures_dir),
        min_cell=min_cell,
    )
    figures.reset_fragment(report.figures_dir, site, notebook)
    contents_path(report.layout, site, notebook).unlink(missing_ok=True)
    return report
