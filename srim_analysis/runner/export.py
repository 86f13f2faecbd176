"""``srim export``: a finished run's outputs as Word documents, one per objective.

The final report is written in Word. For one site (default: the whole study) and each of the
study's objectives (notebook metadata ``srim.objective``, in objective order), ``srim export``
writes ``objective-<N>_<site>.docx`` with:

* the objective's title and what it covers (the notebook's metadata);
* its key findings (the sentences the run recorded with ``Report.finding``), each pointing
  to its numbered figure and table;
* one note on suppression (the rule and threshold the published tables state);
* the numbered figures: the 300-dpi PNGs the run saved, "Figure N. caption";
* the numbered tables: the published CSVs, shown as on the page (plain column labels, p-values
  below 0.001 as "< 0.001", blanks, hidden cells "c", rows and tables whose every count is
  hidden left out with a sentence; tables over :data:`MAX_ROWS` rows cut to their first rows);
* the published quotes the page shows as quotes (tables with ``quote`` and ``attribution``);
* the sources: the run, the data and the file behind every figure and table.

Only published material goes in: nothing is recomputed from the data. Figures and tables are
numbered by the one rule of the pages (:func:`srim_analysis.report.presentation.figure_numbers`,
``table_numbers``): in the order the run showed them.

The document is built as Markdown and converted by pandoc (shipped in ``pypandoc-binary``,
offline) with a reference document for the house style: ``resources/reference.docx`` or the
team's own (``--reference-docx``; see docs/export.md). The custom paragraph styles the export
uses are :data:`NOTE_STYLE`, :data:`SYNTHETIC_STYLE` and :data:`SOURCE_STYLE`.

With real data, the export refuses to write where git could pick the documents up (the guard
of ``srim run``: :func:`srim_analysis.disclosure.assert_safe_output_dir`).
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pypandoc

from srim_analysis import disclosure
from srim_analysis.layout import RunLayout
from srim_analysis.report import presentation, publishing
from srim_analysis.report.figures import FigureRecord
from srim_analysis.runner.config import ConfigError, load_config
from srim_analysis.runner.index import RunState, read_findings, read_states
from srim_analysis.study.selection import ALL_SITES, is_all_sites

#: The house style shipped with the library (a pandoc reference document).
REFERENCE_DOCX = Path(__file__).resolve().parents[1] / "resources" / "reference.docx"
#: The custom paragraph styles the export uses (defined in the reference document).
NOTE_STYLE = "SRIM Note"
SYNTHETIC_STYLE = "SRIM Synthetic"
SOURCE_STYLE = "SRIM Source"
#: The columns of a table of quotes, and those that say what a quote is about, in order.
QUOTE_COLUMNS = ("quote", "attribution")
ABOUT_COLUMNS = ("component", "code_label", "barrier", "stance")
#: A document holds whole tables up to this many rows (about two A4 pages); a longer one
#: shows its first ``HEAD_ROWS`` rows, and a note says the rest are in its CSV file.
MAX_ROWS = 60
HEAD_ROWS = 30
#: The default folder of the documents, under the output root's ``reports/``.
EXPORT_FOLDER = "export"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$~^@{}])")
_OBJECTIVE_PREFIX = re.compile(r"^Objective \d+(?: \([^)]*\))?:\s*")
_CSV_HREF = re.compile(r"""tables/([^"'<>\s/]+?\.csv)""")


class ExportError(RuntimeError):
    """The export cannot be made (nothing to export, an unsafe folder, pandoc failed)."""


# ---------------------------------------------------------------------------
# What a run published
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedTable:
    """A published CSV: its name, caption, suppression note and cells (as text)."""

    name: str
    path: Path
    caption: str
    note: str
    cells: pd.DataFrame


def read_table(path: str | Path) -> PublishedTable:
    """Return a table written by ``Report.table``: caption and note from its comment lines."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line[1:].strip() for line in lines if line.startswith("#")]
    body = "".join(line for line in lines if not line.startswith("#"))
    cells = (
        pd.read_csv(io.StringIO(body), dtype=object, keep_default_na=False)
        if body.strip()
        else pd.DataFrame()
    )
    return PublishedTable(
        name=path.name,
        path=path,
        caption=comments[0] if comments else path.stem,
        note=comments[1] if len(comments) > 1 else "",
        cells=cells,
    )


def shown_order(layout: RunLayout, site: str, notebook: str) -> tuple[list[str], list[str]]:
    """Return the figure ids and the table CSV names the run's page numbered, in order.

    Read from the run's list of what it showed (``publishing.contents_path``); a run made
    before that list existed: its figures in the order saved, its tables in the order its
    executed notebook links them.
    """
    path = publishing.contents_path(layout, site, notebook)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entries = None
    if isinstance(entries, list):
        keys = [(e.get("kind"), str(e.get("key"))) for e in entries if isinstance(e, dict)]
        return [k for kind, k in keys if kind == "figure"], [
            k for kind, k in keys if kind == "table"
        ]
    figures = [f.figure_id for f in saved_figures(layout, site, notebook)]
    return figures, shown_tables(layout.executed(site, notebook))


def shown_tables(executed: Path) -> list[str]:
    """Return the CSV names of the tables an executed notebook showed, in page order."""
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names: list[str] = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            text = "".join(html) if isinstance(html, list) else str(html)
            names += _CSV_HREF.findall(text)
    return list(dict.fromkeys(names))


def saved_figures(layout: RunLayout, site: str, notebook: str) -> list[FigureRecord]:
    """Return the figures one run saved, in the order it saved (showed) them."""
    path = layout.fragment(site, notebook)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    fields = set(FigureRecord.__dataclass_fields__)
    return [FigureRecord(**{k: v for k, v in r.items() if k in fields}) for r in rows]


def site_names(layout: RunLayout) -> dict[str, str]:
    """Return the sites' display names from a published whole-study table that lists them."""
    tables = layout.tables_dir(ALL_SITES)
    for path in sorted(tables.glob("*.csv")) if tables.is_dir() else []:
        with path.open(encoding="utf-8") as handle:
            header = next((line for line in handle if not line.startswith("#")), "")
        if {"site_id", "display_name"} <= set(header.strip().split(",")):
            cells = read_table(path).cells
            return dict(zip(cells["site_id"], cells["display_name"], strict=True))
    return {}


# ---------------------------------------------------------------------------
# A table as a reader sees it (the page's presentation, read back from its HTML)
# ---------------------------------------------------------------------------


@dataclass
class ReaderTable:
    """A table as the page shows it: labels, which columns are numbers, rows, notes."""

    labels: list[str] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _TableParser(HTMLParser):
    """Read the cells and notes out of :func:`presentation.table_html`'s HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.table = ReaderTable()
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._numeric: list[bool] = []
        self._para: list[str] | None = None
        self._skip = 0
        self._in_table = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self._skip += 1
        elif tag == "table":
            self._in_table += 1
        elif tag == "tr" and self._in_table:
            self._row, self._numeric = [], []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._numeric.append("num" in (dict(attrs).get("class") or "").split())
        elif tag == "p" and not self._in_table:
            self._para = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._skip -= 1
        elif tag == "table":
            self._in_table -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self.table.labels or not self._row:
                self.table.rows.append(self._row)
            else:  # the header row: the labels, and which columns hold numbers
                self.table.labels, self.table.numeric = self._row, self._numeric
            self._row = None
        elif tag == "p" and self._para is not None:
            text = " ".join("".join(self._para).split())
            if text:
                self.table.notes.append(text)
            self._para = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._para is not None:
            self._para.append(data)


def reader_table(cells: pd.DataFrame) -> ReaderTable:
    """Return a published table as the page shows it (``presentation.table_html``), unfolded."""
    parser = _TableParser()
    parser.feed(presentation.table_html(cells, max_rows=max(len(cells), 1)))
    parser.close()
    return parser.table


# ---------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------


def escape(text: object) -> str:
    """Return plain text as Markdown that pandoc reads back as the same text.

    >>> escape("a|b *c* <d>")
    'a\\\\|b \\\\*c\\\\* \\\\<d\\\\>'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _styled(style: str, text: str) -> str:
    return f'::: {{custom-style="{style}"}}\n{text}\n:::\n'


def pipe_table(table: ReaderTable, rows: Sequence[Sequence[str]]) -> str:
    """Return a Markdown pipe table of ``rows`` under the table's labels (numbers right)."""
    width = len(table.labels)
    widths = []
    for i, label in enumerate(table.labels):
        longest = max([len(label), *(len(r[i]) for r in rows if i < len(r))])
        widths.append(min(max(longest, 3), 40))
    numeric = [*table.numeric, *[False] * width][:width]
    rule = ["-" * (w - 1) + ":" if numeric[i] else "-" * w for i, w in enumerate(widths)]
    lines = [
        "| " + " | ".join(escape(label) for label in table.labels) + " |",
        "|" + "|".join(rule) + "|",
    ]
    for row in rows:
        padded = [*row, *[""] * (width - len(row))][:width]
        lines.append("| " + " | ".join(escape(cell) for cell in padded) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class ObjectivePart:
    """One notebook's run for the site, as the document of its objective shows it."""

    state: RunState
    figures: list[FigureRecord]
    tables: list[PublishedTable]
    others: list[PublishedTable]
    findings: list[dict[str, str]]

    @property
    def quotes(self) -> list[PublishedTable]:
        """Return the published quotes the page shows as quotes, not as a table."""
        return [t for t in self.others if set(QUOTE_COLUMNS) <= set(t.cells.columns)]


@dataclass(frozen=True)
class ExportedDocument:
    """A written document: its objective, site, path and how many figures and tables it holds."""

    objective: int
    site: str
    path: Path
    figures: int
    tables: int


def objective_parts(
    layout: RunLayout, states: Iterable[RunState], site: str
) -> list[ObjectivePart]:
    """Return what each notebook's last good run for ``site`` published (runs without one: none)."""
    parts = []
    for state in states:
        if state.site != site or state.ok is None:
            continue
        nb = state.notebook
        figure_ids, table_names = shown_order(layout, site, nb)
        saved = {f.figure_id: f for f in saved_figures(layout, site, nb)}
        published = {p.name: p for p in sorted(layout.tables_dir(site).glob(f"{nb}__*.csv"))}
        order = [n for n in table_names if n in published]
        parts.append(
            ObjectivePart(
                state=state,
                figures=[
                    saved[i]
                    for i in figure_ids
                    if i in saved and (layout.figures_dir / saved[i].png).exists()
                ],
                tables=[read_table(published[n]) for n in order],
                others=[read_table(p) for n, p in published.items() if n not in order],
                findings=read_findings(layout, site, nb),
            )
        )
    return parts


def other_outputs(stamp: Mapping[str, Any], site: str) -> list[str]:
    """Return a run's other published files (a workbook, ...), relative to the output root."""
    folder = f"{RunLayout.under('').site_dir(site).as_posix()}/"
    skip = {RunLayout.TABLES, "logs", "findings", "review"}
    found = []
    for rel in stamp.get("outputs", {}).get("files", []):
        rel = str(rel)
        inner = rel[len(folder) :].split("/") if rel.startswith(folder) else []
        if len(inner) < 2 or inner[0] in skip or inner[-1].startswith("."):
            continue
        found.append(rel)
    return found


def _site_label(site: str, names: Mapping[str, str]) -> str:
    if is_all_sites(site):
        return "All sites"
    name = names.get(site)
    return f"{name} ({site})" if name and name != site else site


def _when(stamp: Mapping[str, Any]) -> str:
    try:
        return datetime.fromisoformat(str(stamp.get("finished"))).strftime("%d %B %Y %H:%M")
    except ValueError:
        return str(stamp.get("finished") or "")


def _suppression_note(parts: Sequence[ObjectivePart]) -> str:
    """Return the suppression rule the published tables state (or the run's threshold's)."""
    for part in parts:
        for table in [*part.tables, *part.others]:
            if table.note:
                return table.note
    stamp = parts[0].state.ok or {}
    min_cell = stamp.get("parameters", {}).get("min_cell", disclosure.DEFAULT_MIN_CELL)
    return disclosure.suppression_note(int(min_cell))


@dataclass(frozen=True)
class Numbering:
    """The numbers of a document's figures (by notebook and id) and tables (by CSV name)."""

    figures: dict[str, int]
    tables: dict[str, int]

    @classmethod
    def of(cls, parts: Sequence[ObjectivePart]) -> Numbering:
        """Return the numbering of ``parts`` by the pages' rule (the order they were shown)."""
        return cls(
            figures=presentation.figure_numbers(
                cls.figure_key(p, f) for p in parts for f in p.figures
            ),
            tables=presentation.table_numbers(t.name for p in parts for t in p.tables),
        )

    @staticmethod
    def figure_key(part: ObjectivePart, figure: FigureRecord) -> str:
        """Return a figure's key in the numbering: notebook and figure id."""
        return f"{part.state.notebook}/{figure.figure_id}"

    def figure(self, part: ObjectivePart, figure: FigureRecord) -> int:
        """Return a figure's number."""
        return self.figures[self.figure_key(part, figure)]


def _front(parts: Sequence[ObjectivePart], site: str, names: Mapping[str, str]) -> list[str]:
    """Return the title block, the synthetic-data warning and what the objective covers."""
    first = parts[0].state.ok or {}
    objective = first.get("objective")
    titles = "; ".join(str((p.state.ok or {}).get("title") or p.state.notebook) for p in parts)
    lines = [
        "---",
        f"title: {json.dumps(f'Objective {objective}: {titles}' if objective else titles)}",
        f"subtitle: {json.dumps(_site_label(site, names))}",
        "lang: en-GB",
        "---",
        "",
    ]
    if str(first.get("data", {}).get("kind")) == "synthetic":
        lines.append(
            _styled(
                SYNTHETIC_STYLE,
                "Synthetic data: every result in this document was made from the shipped "
                "synthetic study. It describes no real people, places or cases and shows no "
                "real findings.",
            )
        )
    for part in parts:
        description = _OBJECTIVE_PREFIX.sub("", str((part.state.ok or {}).get("description", "")))
        if description:
            lines += [escape(description[:1].upper() + description[1:]), ""]
    return lines


def _findings(parts: Sequence[ObjectivePart], numbers: Numbering) -> list[str]:
    """Return the key findings, each pointing to its numbered figure and table."""
    by_png = {f.png: numbers.figure(p, f) for p in parts for f in p.figures}
    lines = ["# Key findings", ""]
    for part in parts:
        for found in part.findings:
            refs = []
            if found.get("figure") in by_png:
                refs.append(f"Figure {by_png[found['figure']]}")
            table = Path(found.get("table", "")).name
            if table in numbers.tables:
                refs.append(f"Table {numbers.tables[table]}")
            more = f" ({'; '.join(refs)})" if refs else ""
            lines.append(f"- {' '.join(found['text'].split())}{more}")
    if len(lines) == 2:
        lines.append("The run recorded no key findings for this objective.")
    return [*lines, ""]


def _figures(parts: Sequence[ObjectivePart], numbers: Numbering) -> list[str]:
    """Return the numbered figures: the saved PNGs with their captions."""
    lines = []
    for part in parts:
        for fig in part.figures:
            label = escape(presentation.figure_label(numbers.figure(part, fig), fig.caption))
            # relative to figures/ (pandoc's resource path): no local path enters the document
            lines += [f"![{label}](<{fig.png}>)", ""]
    return ["# Figures", "", *lines] if lines else []


def _table(number: int, table: PublishedTable) -> list[str]:
    """Return one numbered table as the page shows it, long ones cut to their first rows."""
    label = escape(presentation.table_label(number, table.caption))
    shown = reader_table(table.cells)
    if not shown.labels:  # every count hidden: the page says so instead of a table
        return [f"**{label}**", "", *(escape(n) for n in shown.notes), ""]
    rows, notes = shown.rows, list(shown.notes)
    if len(rows) > MAX_ROWS:
        rest = len(rows) - HEAD_ROWS
        rows = rows[:HEAD_ROWS]
        notes.append(f"The first {len(rows)} rows are shown; the other {rest} are in the CSV file.")
    block = [pipe_table(shown, rows), "", f": {label}", ""]
    if notes:
        block.append(_styled(SOURCE_STYLE, escape(" ".join(notes))))
    return block


def _tables(parts: Sequence[ObjectivePart], numbers: Numbering) -> list[str]:
    """Return the numbered tables."""
    lines = [line for p in parts for t in p.tables for line in _table(numbers.tables[t.name], t)]
    return ["# Tables", "", *lines] if lines else []


def _quotes(parts: Sequence[ObjectivePart]) -> list[str]:
    """Return the published quotes, each with its attribution and what it is about."""
    lines = []
    for table in (t for p in parts for t in p.quotes):
        lines += [f"## {escape(table.caption)}", ""]
        about = [c for c in ABOUT_COLUMNS if c in table.cells.columns]
        for row in table.cells.to_dict("records"):
            said = " ".join(str(row["quote"]).split())
            if not said:
                continue
            topic = "; ".join(str(row[c]) for c in about if str(row[c]).strip())
            who = str(row["attribution"]) + (f" \u2014 {topic}" if topic else "")
            lines += [f"> \u201c{escape(said)}\u201d", ">", f"> {escape(who)}", ""]
    return ["# Quotes", "", *lines] if lines else []


def _sources(
    parts: Sequence[ObjectivePart], numbers: Numbering, layout: RunLayout, site: str
) -> list[str]:
    """Return where everything came from: the run, its data and code, each file shown."""
    out = layout.reports_dir.parent
    items = []
    for part in parts:
        ok = part.state.ok or {}
        data = ok.get("data", {})
        run = (
            f"Notebook {part.state.notebook}, run {ok.get('run_id', '')} finished {_when(ok)}; "
            f"data {Path(str(data.get('folder', ''))).name} ({data.get('kind', '?')}, "
            f"fingerprint {data.get('fingerprint', '')})"
        )
        git = ok.get("git") or {}
        if git.get("commit"):
            dirty = ", with uncommitted changes" if git.get("dirty") else ""
            run += f"; code commit {str(git['commit'])[:12]}{dirty}"
        items.append(run + ".")
        for fig in part.figures:
            plotted = f" (plotted values: figures/{fig.source_data})" if fig.source_data else ""
            items.append(f"Figure {numbers.figure(part, fig)}: figures/{fig.png}{plotted}")
        for table in part.tables:
            rel = table.path.relative_to(out).as_posix()
            items.append(f"Table {numbers.tables[table.name]}: {rel}")
        for table in part.quotes:
            items.append(f"Quotes: {table.path.relative_to(out).as_posix()}")
        others = [t for t in part.others if t not in part.quotes]
        if others:
            listed = ", ".join(t.path.relative_to(out).as_posix() for t in others)
            items.append(f"Also published as CSV (not reproduced here): {listed}")
        extra = other_outputs(ok, site)
        if extra:
            items.append(f"Other files of this run: {', '.join(extra)}")
        if part.findings:
            rel = layout.findings(site, part.state.notebook).relative_to(out)
            items.append(f"Key findings: {rel.as_posix()}")
    return ["# Sources", "", *(_styled(SOURCE_STYLE, escape(i)) for i in items)]


def document_markdown(
    parts: Sequence[ObjectivePart], layout: RunLayout, site: str, names: Mapping[str, str]
) -> str:
    """Return one objective's document as Markdown (pandoc's), from what its runs published."""
    numbers = Numbering.of(parts)
    lines = [
        *_front(parts, site, names),
        *_findings(parts, numbers),
        "# Note on suppression",
        "",
        _styled(NOTE_STYLE, escape(_suppression_note(parts))),
        *_figures(parts, numbers),
        *_tables(parts, numbers),
        *_quotes(parts),
        *_sources(parts, numbers, layout, site),
    ]
    return "\n".join(lines) + "\n"


def convert(markdown: str, target: Path, reference_docx: Path, resources: Path) -> Path:
    """Convert the document's Markdown to ``target`` (.docx) with pandoc; return ``target``.

    Images are found in ``resources`` (the run's ``figures/``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        pypandoc.convert_text(
            markdown,
            "docx",
            # text as written: no TeX or HTML read into it, no typographic quotes added
            format="markdown-tex_math_dollars-raw_html-raw_tex-citations-smart",
            outputfile=str(partial),
            extra_args=[f"--reference-doc={reference_docx}", f"--resource-path={resources}"],
            sandbox=False,
        )
    except (OSError, RuntimeError) as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"pandoc could not write {target.name}: {exc}") from exc
    partial.replace(target)
    return target


def export_report(
    out: str | Path,
    *,
    site: str = ALL_SITES,
    to: str | Path | None = None,
    reference_docx: str | Path | None = None,
    say: Callable[[str], object] = print,
) -> list[ExportedDocument]:
    """Write one Word document per objective for ``site`` from the run outputs under ``out``.

    Returns the documents written, in objective order. Raises :class:`ExportError` when there
    is nothing to export or the documents may not be written where asked.
    """
    layout = RunLayout.under(Path(out).resolve())
    reference = Path(reference_docx) if reference_docx else REFERENCE_DOCX
    if not reference.is_file():
        raise ExportError(f"Reference document not found: {reference}")
    states = read_states(layout)
    if not states:
        raise ExportError(
            f"No run outputs in {layout.reports_dir}: run `srim run` first (or give --out)."
        )
    if site not in {s.site for s in states}:
        sites = ", ".join(sorted({s.site for s in states}))
        raise ExportError(f"No run outputs for site {site!r} in {layout.reports_dir} ({sites}).")
    target = Path(to) if to else layout.reports_dir / EXPORT_FOLDER
    kinds = {str((s.ok or s.latest).get("data", {}).get("kind", "")) for s in states}
    if kinds != {"synthetic"}:
        try:
            disclosure.assert_safe_output_dir(target, data_is_real=True)
        except disclosure.UnsafeOutputError as exc:
            raise ExportError(f"Refusing to export documents of real data: {exc}") from exc

    objectives: dict[int, list[RunState]] = {}
    for state in states:
        objective = state.latest.get("objective")
        if not isinstance(objective, int) or state.site != site:
            continue
        objectives.setdefault(objective, []).append(state)
        if state.failed is not None:
            say(
                f"Note: the last run of {state.notebook} for {site} failed; "
                + ("its last good outputs are exported." if state.ok else "it has no outputs.")
            )
    names = site_names(layout)
    whole_study_only = sorted(
        {
            s.latest["objective"]
            for s in states
            if isinstance(s.latest.get("objective"), int)
            and not s.latest.get("per_site", True)
            and s.latest["objective"] not in objectives
        }
    )
    for objective in whole_study_only:
        say(f"Objective {objective} runs for the whole study only: no document for {site}.")
    written = []
    for objective in sorted(objectives):
        parts = objective_parts(layout, objectives[objective], site)
        if not parts:
            continue
        markdown = document_markdown(parts, layout, site, names)
        n_figures = sum(len(p.figures) for p in parts)
        n_tables = sum(len(p.tables) for p in parts)
        path = convert(
            markdown, target / f"objective-{objective}_{site}.docx", reference, layout.figures_dir
        )
        written.append(ExportedDocument(objective, site, path, n_figures, n_tables))
        say(f"Objective {objective}: {path} ({n_figures} figure(s), {n_tables} table(s))")
    if not written:
        raise ExportError(f"No objective has good run outputs for site {site!r}.")
    return written


def run_export(
    out: str | Path | None,
    *,
    site: str = ALL_SITES,
    to: str | Path | None = None,
    reference_docx: str | Path | None = None,
) -> int:
    """Run ``srim export`` (``out`` None: the output root in srim.toml); return the exit status."""
    try:
        root = Path(out) if out else load_config().out
        documents = export_report(root, site=site, to=to, reference_docx=reference_docx)
    except (ExportError, ConfigError) as exc:
        print(f"srim export: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {len(documents)} document(s).")
    return 0
