"""The report's front page: ``reports/index.html``, one page linking every output.

The page lists, per site and per notebook, the executed notebook (HTML and ``.ipynb``), its
log, the run status (ran now, up to date, or failed with the error and the last good
outputs), and thumbnails of its figures with their captions. It says "Synthetic data"
prominently when the results come from synthetic data. It uses relative links only and
holds its own CSS, so it opens from the file system in any browser, offline.

The page is built from what is on disk (the run stamps the runner leaves in
``reports/<site>/logs/`` and the figure manifest), so it also lists the outputs of earlier
runs that this run did not touch.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from srim_analysis import atomic, disclosure
from srim_analysis.layout import FAILED_SUFFIX, OK_SUFFIX, RunLayout
from srim_analysis.report import figures
from srim_analysis.report.publishing import read_published
from srim_analysis.runner import html as pages
from srim_analysis.study.selection import ALL_SITES


@dataclass(frozen=True)
class RunState:
    """What is on disk for one notebook and site: its last good run and its last failure."""

    notebook: str
    site: str
    ok: Mapping[str, Any] | None
    failed: Mapping[str, Any] | None

    @property
    def latest(self) -> Mapping[str, Any]:
        """Return the stamp of the last attempt (the failure if the last attempt failed)."""
        stamp = self.failed or self.ok
        assert stamp is not None
        return stamp

    @property
    def title(self) -> str:
        """Return the notebook's title (its name if it has none)."""
        return str(self.latest.get("title") or self.notebook)

    @property
    def stale(self) -> bool:
        """Return True when the last attempt failed and earlier good outputs are shown."""
        return self.failed is not None and self.ok is not None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_states(layout: RunLayout) -> list[RunState]:
    """Return every notebook and site with outputs in ``layout``, from the run stamps."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if not layout.reports_dir.is_dir():
        return []
    for site_dir in sorted(p for p in layout.reports_dir.iterdir() if p.is_dir()):
        if site_dir.name.startswith("."):
            continue
        logs = layout.logs_dir(site_dir.name)
        if not logs.is_dir():
            continue
        for stamp in sorted(logs.glob("*.json")):
            for suffix, slot in ((OK_SUFFIX, "ok"), (FAILED_SUFFIX, "failed")):
                if stamp.name.endswith(suffix) and not stamp.name.startswith("."):
                    data = _read_json(stamp)
                    if data is not None:
                        nb = stamp.name[: -len(suffix)]
                        found.setdefault((site_dir.name, nb), {})[slot] = data
    return [
        RunState(notebook=nb, site=site, ok=v.get("ok"), failed=v.get("failed"))
        for (site, nb), v in sorted(found.items())
    ]


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------

_CSS = """
.objective { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem;
  margin: .8rem 0; }
.objective h3 { margin: .2rem 0 .3rem; }
.objective ul.findings { margin: .3rem 0 .5rem 1.1rem; padding: 0; }
.objective .pages a { margin-right: .6rem; white-space: nowrap; }
.muted { color: #777; font-size: .85em; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1a1a1a; background: #fafafa; line-height: 1.45; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 1.2rem; }
header { padding-top: 1.2rem; }
h1 { margin: .2rem 0 .4rem; font-size: 1.7rem; }
h2 { margin: 1.6rem 0 .6rem; font-size: 1.3rem; }
h3 { margin: 0 0 .2rem; font-size: 1.1rem; }
.synthetic { background: #fff3cd; border: 3px solid #e69f00; color: #5c3d00; padding: .8rem 1rem;
  font-size: 1.25rem; font-weight: 700; margin: .8rem 0; border-radius: 6px; }
.synthetic small { display: block; font-weight: 400; font-size: .95rem; }
.meta { color: #444; font-size: .92rem; }
.meta code { font-size: .88rem; }
table.overview { border-collapse: collapse; font-size: .9rem; background: #fff; }
table.overview th, table.overview td { border: 1px solid #ddd; padding: .25rem .5rem;
  text-align: left; }
details.site { background: #fff; border: 1px solid #ddd; border-radius: 6px;
  margin: .8rem 0; padding: .4rem .9rem; }
details.site > summary { font-size: 1.2rem; font-weight: 600; cursor: pointer; padding: .3rem 0; }
section.run { border-top: 1px solid #eee; padding: .8rem 0; }
.links a { margin-right: .9rem; }
.status { display: inline-block; border-radius: 4px; padding: .05rem .5rem; font-size: .85rem;
  font-weight: 600; margin-left: .4rem; vertical-align: middle; }
.status.ok { background: #d9f2e6; color: #0b5c36; }
.status.uptodate { background: #e3ecf7; color: #123f73; }
.status.failed { background: #fbe0dc; color: #8a1c0b; }
.error { background: #fff5f3; border-left: 4px solid #d55e00; padding: .4rem .7rem;
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem;
  white-space: pre-wrap; }
.figs { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: .6rem; }
figure { margin: 0; width: 240px; }
figure img { width: 240px; height: auto; border: 1px solid #ddd; background: #fff; }
figcaption { font-size: .82rem; color: #333; }
table.glance { border-collapse: collapse; font-size: .85rem; background: #fff; }
table.glance th, table.glance td { border: 1px solid #ddd; padding: .25rem .45rem; }
table.glance td { text-align: right; white-space: nowrap; }
table.glance th { text-align: left; vertical-align: bottom; }
table.glance tr.reference { background: #f1f1f1; font-weight: 600; }
.flag { font-weight: 700; margin-left: .2rem; }
.flag.high { color: #0b6e4f; }
.flag.low { color: #b3400b; }
@media print {
  header .meta, table.overview, details.site, .pages { display: none; }
  .objective, table.glance tr { break-inside: avoid; }
  body { background: #fff; }
}
footer { color: #666; font-size: .85rem; padding-bottom: 2rem; }
"""


def _href(target: Path, base: Path) -> str:
    """Return a relative, URL-quoted link from folder ``base`` to ``target``."""
    rel = os.path.relpath(target, base)
    return quote(Path(rel).as_posix())


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(stamp: Mapping[str, Any] | None) -> str:
    if not stamp or not stamp.get("finished"):
        return "an earlier run"
    try:
        return datetime.fromisoformat(str(stamp["finished"])).strftime("%d %b %Y %H:%M")
    except ValueError:
        return str(stamp["finished"])


def _status(state: RunState, run_id: str | None) -> tuple[str, str]:
    """Return the (css class, label) of a run's status."""
    if state.failed is not None:
        now = run_id is not None and state.failed.get("run_id") == run_id
        return "failed", "Failed in this run" if now else f"Failed ({_when(state.failed)})"
    assert state.ok is not None
    if run_id is not None and state.ok.get("run_id") == run_id:
        return "ok", "OK: ran in this run"
    return "uptodate", f"Up to date: made {_when(state.ok)}"


def _link(out: Path, reports_dir: Path, rel: str | None, label: str) -> str:
    if not rel:
        return ""
    target = out / rel
    if not target.exists():
        return ""
    return f'<a href="{_href(target, reports_dir)}">{_esc(label)}</a>'


def _run_section(
    state: RunState,
    out: Path,
    reports_dir: Path,
    figures_dir: Path,
    records: list[figures.FigureRecord],
    run_id: str | None,
) -> str:
    css, label = _status(state, run_id)
    latest = state.latest
    parts = [
        f'<section class="run" id="{_esc(state.site)}--{_esc(state.notebook)}">',
        f"<h3>{_esc(state.title)} <span class='status {css}'>{_esc(label)}</span></h3>",
        f"<div class='meta'><code>{_esc(state.notebook)}</code>",
    ]
    if latest.get("description"):
        parts.append(f" — {_esc(latest['description'])}")
    parts.append("</div>")
    links: list[str] = []
    if state.ok is not None:
        outs = state.ok.get("outputs", {})
        links += [
            _link(out, reports_dir, outs.get("html"), "Report (HTML)"),
            _link(out, reports_dir, outs.get("executed"), "Notebook (.ipynb)"),
        ]
    if state.failed is not None:
        outs = state.failed.get("outputs", {})
        links += [
            _link(out, reports_dir, outs.get("html"), "Failed run (HTML)"),
            _link(out, reports_dir, outs.get("executed"), "Failed run (.ipynb)"),
        ]
    log = latest.get("outputs", {}).get("log")
    links.append(_link(out, reports_dir, log, "Log"))
    links = [x for x in links if x]
    if links:
        parts.append(f"<div class='links'>{' '.join(links)}</div>")
    if state.failed is not None:
        cell = state.failed.get("error_cell")
        where = f" (cell [{cell}])" if cell is not None else ""
        parts.append(f"<div class='error'>{_esc(state.failed.get('error', ''))}{_esc(where)}</div>")
        if state.stale:
            parts.append(
                "<p class='meta'><b>Stale:</b> the report, tables and figures shown are the "
                f"last good ones, from {_esc(_when(state.ok))}.</p>"
            )
        else:
            parts.append("<p class='meta'>No earlier good outputs exist for this run.</p>")
    figs = []
    for rec in records:
        png, svg = figures_dir / rec.png, figures_dir / rec.svg
        if not png.exists():
            continue
        svg_link = (
            f' · <a href="{_href(svg, reports_dir)}">SVG</a>' if rec.svg and svg.is_file() else ""
        )
        figs.append(
            "<figure>"
            f'<a href="{_href(png, reports_dir)}"><img src="{_href(png, reports_dir)}" '
            f'alt="{_esc(rec.caption)}" loading="lazy"></a>'
            f"<figcaption>{_esc(rec.caption)} <code>{_esc(rec.figure_id)}</code>{svg_link}"
            "</figcaption></figure>"
        )
    if figs:
        parts.append(f"<div class='figs'>{''.join(figs)}</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _per_site(states: Iterable[RunState], notebook: str) -> bool:
    """Return whether a notebook runs per site (True when its stamps do not say)."""
    return all(bool(s.latest.get("per_site", True)) for s in states if s.notebook == notebook)


def _site_order(states: Iterable[RunState], site_names: Mapping[str, str]) -> list[str]:
    present = {s.site for s in states}
    order = [ALL_SITES] if ALL_SITES in present else []
    order += [s for s in site_names if s in present and s != ALL_SITES]
    order += sorted(present - set(order))
    return order


def _site_label(site: str, site_names: Mapping[str, str]) -> str:
    if site == ALL_SITES:
        return "All sites"
    name = site_names.get(site)
    return f"{name} ({site})" if name and name != site else site


_MARKDOWN = re.compile(r"\*\*|(?<!\w)\*|\*(?!\w)|`")
_OBJECTIVE_PREFIX = re.compile(r"^Objective \d+(?: \([^)]*\))?:\s*")


def read_findings(layout: RunLayout, site: str, notebook: str) -> list[dict[str, str]]:
    """Return the key findings a run recorded (``Report.finding``), or none."""
    found = _read_json_list(layout.findings(site, notebook))
    return [f for f in found if isinstance(f, dict) and f.get("text")]


def _read_json_list(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def _objective_sections(
    states: list[RunState],
    order: list[str],
    site_names: Mapping[str, str],
    layout: RunLayout,
    out: Path,
) -> list[str]:
    """Return the front page's sections: one per notebook, in the order of the objectives."""
    by_notebook: dict[str, list[RunState]] = {}
    for state in states:
        by_notebook.setdefault(state.notebook, []).append(state)

    def rank(name: str) -> tuple[int, str]:
        objective = by_notebook[name][0].latest.get("objective")
        return (int(objective) if isinstance(objective, int) else 0, name)

    reports_dir = layout.reports_dir
    parts = []
    for name in sorted(by_notebook, key=rank):
        runs = {s.site: s for s in by_notebook[name]}
        first = by_notebook[name][0]
        objective = first.latest.get("objective")
        heading = f"Objective {objective}: {first.title}" if objective else first.title
        description = _OBJECTIVE_PREFIX.sub("", str(first.latest.get("description") or ""))
        per_site = bool(first.latest.get("per_site", True))
        scope = (
            "Runs for the whole study and for each site."
            if per_site
            else "Runs once, for the whole study: it compares the sites with one another, "
            "so it has no page per site."
        )
        items = []
        for f in read_findings(layout, ALL_SITES, name)[:5]:
            links = []
            if f.get("figure") and (layout.figures_dir / f["figure"]).exists():
                href = _href(layout.figures_dir / f["figure"], reports_dir)
                links.append(f'<a href="{href}">figure</a>')
            if f.get("table") and (reports_dir / f["table"]).exists():
                links.append(f'<a href="{_href(reports_dir / f["table"], reports_dir)}">table</a>')
            more = f" <span class='muted'>({' · '.join(links)})</span>" if links else ""
            items.append(f"<li>{_esc(_MARKDOWN.sub('', f['text']))}{more}</li>")
        findings = (
            f"<p><b>Key findings, all sites</b></p><ul class='findings'>{''.join(items)}</ul>"
            if items
            else ""
        )
        pages = []
        for site in order:
            state = runs.get(site)
            html_rel = state.ok.get("outputs", {}).get("html") if state and state.ok else None
            link = _link(out, reports_dir, html_rel, _site_label(site, site_names))
            if link:
                pages.append(link)
        parts.append(
            f"<section class='objective' id='nb-{_esc(name)}'><h3>{_esc(heading)}</h3>"
            f"<p>{_esc(description)}</p><p class='muted'>{_esc(scope)}</p>{findings}"
            f"<p class='pages'><b>Pages:</b> {' '.join(pages) or 'none yet'}</p></section>"
        )
    return parts


# ---------------------------------------------------------------------------
# Sites at a glance
# ---------------------------------------------------------------------------

#: The whole-study table the grid is drawn from: each site's practice indicators with their
#: funnel-plot position (notebook 01, all sites).
GLANCE_TABLE = "funnel-positions"

#: Funnel positions as flags: (symbol, css class) by the position's words.
_FLAGS = {
    "above the 99.8% limit": ("▲▲", "high"),
    "above the 95% limit": ("▲", "high"),
    "below the 95% limit": ("▼", "low"),
    "below the 99.8% limit": ("▼▼", "low"),
}


def _percent(value: object) -> int | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return None if number != number else round(100 * number)


def _glance_cell(row: Mapping[str, Any]) -> str:
    """Return one grid cell: "86% (80-91)" with its funnel flag, or "c" when hidden."""
    share = row.get("prop_yes", "")
    if disclosure.is_suppressed(share) or _percent(share) is None:
        return "<td title='hidden: a small count, or one that could be worked out'>c</td>"
    low, high = _percent(row.get("ci_low", "")), _percent(row.get("ci_high", ""))
    text = f"{_percent(share)}%" + (f" ({low}–{high})" if low is not None and high else "")
    position = str(row.get("position", ""))
    symbol, css = _FLAGS.get(position, ("", ""))
    flag = f"<span class='flag {css}' title='{_esc(position)}'>{symbol}</span>" if symbol else ""
    title = f" title='{_esc(position)}'" if position else ""
    return f"<td{title}>{_esc(text)}{flag}</td>"


def site_grid(layout: RunLayout) -> str:
    """Return the front page's grid of sites by indicator, with funnel flags ('' if none).

    Drawn from the published whole-study table (hidden cells stay hidden: "c"); each cell is
    the share with its 95% interval, flagged when the site lies outside the funnel limits.
    """
    found = sorted(layout.tables_dir(ALL_SITES).glob(f"*__{GLANCE_TABLE}.csv"))
    if not found:
        return ""
    table = read_published(found[0])
    needed = {"site", "indicator", "prop_yes"}
    if table.empty or not needed <= set(table.columns):
        return ""
    labels: dict[str, str] = {}
    for row in table.to_dict("records"):
        labels.setdefault(row["indicator"], str(row.get("label") or row["indicator"]))
    cells: dict[str, dict[str, str]] = {}
    for row in table.to_dict("records"):
        cells.setdefault(str(row["site"]), {})[row["indicator"]] = _glance_cell(row)
    head = "".join(f"<th scope='col'>{_esc(label)}</th>" for label in labels.values())
    rows = []
    for site, by_indicator in cells.items():
        reference = site.lower() in ("all", "all sites")
        css = " class='reference'" if reference else ""
        rows.append(
            f"<tr{css}><th scope='row'>"
            f"{'All sites' if reference else _esc(site)}</th>"
            + "".join(by_indicator.get(i, "<td></td>") for i in labels)
            + "</tr>"
        )
    href = _href(found[0], layout.reports_dir)
    return (
        "<h2 id='sites-at-a-glance'>Sites at a glance</h2>"
        "<p>Each site's share of audited cases with each practice, with its 95% interval. "
        "▲ and ▼ mark a site above or below the funnel plot's 95% control limits (▲▲, ▼▼: "
        "outside the 99.8% limits) around the all-site share; c: hidden (a small count, or "
        f"one that could be worked out). <a href='{href}'>The table (CSV)</a>.</p>"
        f"<table class='glance'><thead><tr><th>Site</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_index(
    out: str | Path,
    *,
    run_id: str | None = None,
    site_names: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    git: Mapping[str, Any] | None = None,
    with_code: bool = False,
    title: str = "SRIM report",
) -> str:
    """Return the HTML of the index page for the outputs under ``out``."""
    out = Path(out).resolve()
    layout = RunLayout.under(out)
    reports_dir, figures_dir = layout.reports_dir, layout.figures_dir
    site_names = dict(site_names or {})
    states = read_states(layout)
    manifest: dict[tuple[str, str], list[figures.FigureRecord]] = {}
    for rec in figures.read_manifest(figures_dir) if figures_dir.is_dir() else []:
        manifest.setdefault((rec.site, rec.notebook), []).append(rec)

    kinds = {str(s.latest.get("data", {}).get("kind", "")) for s in states}
    if data and data.get("kind"):
        kinds.add(str(data["kind"]))
    kinds.discard("")
    banner = ""
    if kinds == {"synthetic"}:
        banner = (
            "<div class='synthetic' role='note'>Synthetic data<small>Every result on this page "
            "was made from the shipped synthetic study: it describes no real people, places "
            "or cases and shows no real findings.</small></div>"
        )
    elif "synthetic" in kinds:
        banner = (
            "<div class='synthetic' role='note'>Synthetic data (some results)<small>Some "
            "results on this page were made from synthetic data; each run says which data "
            "it used.</small></div>"
        )

    generated = datetime.now().astimezone().strftime("%d %b %Y %H:%M")
    meta = [f"Generated {_esc(generated)}"]
    if data:
        meta.append(
            f"data: <code>{_esc(Path(str(data.get('folder', ''))).name)}</code> "
            f"({_esc(data.get('kind', '?'))}"
            f", fingerprint <code>{_esc(data.get('fingerprint', ''))}</code>)"
        )
    if git and git.get("commit"):
        dirty = " with uncommitted changes" if git.get("dirty") else ""
        meta.append(f"code: commit <code>{_esc(str(git['commit'])[:12])}</code>{dirty}")
    n_failed = sum(s.failed is not None for s in states)
    counts = f"{len(states)} run(s)" + (f", {n_failed} failed" if n_failed else "")

    order = _site_order(states, site_names)
    notebooks = sorted({s.notebook for s in states})
    by_key = {(s.site, s.notebook): s for s in states}

    overview = ["<table class='overview'><thead><tr><th>Site</th>"]
    overview += [f"<th>{_esc(nb)}</th>" for nb in notebooks]
    overview.append("</tr></thead><tbody>")
    for site in order:
        overview.append(
            f"<tr><th><a href='#site-{_esc(site)}'>{_esc(_site_label(site, site_names))}</a></th>"
        )
        for nb in notebooks:
            state = by_key.get((site, nb))
            if state is None:
                whole = site != ALL_SITES and not _per_site(states, nb)
                overview.append(
                    "<td><span class='muted' title='this notebook compares the sites: it runs "
                    "once, for the whole study'>whole study only</span></td>"
                    if whole
                    else "<td></td>"
                )
                continue
            css, label = _status(state, run_id)
            short = {"ok": "ok", "uptodate": "up to date", "failed": "FAILED"}[css]
            overview.append(
                f"<td><a href='#{_esc(site)}--{_esc(nb)}' title='{_esc(label)}'>"
                f"<span class='status {css}'>{short}</span></a></td>"
            )
        overview.append("</tr>")
    overview.append("</tbody></table>")

    sections = []
    for site in order:
        site_states = [s for s in states if s.site == site]
        failed_here = any(s.failed is not None for s in site_states)
        is_open = " open" if site == ALL_SITES or failed_here or len(order) <= 4 else ""
        body = "\n".join(
            _run_section(
                s, out, reports_dir, figures_dir, manifest.get((s.site, s.notebook), []), run_id
            )
            for s in site_states
        )
        sections.append(
            f"<details class='site' id='site-{_esc(site)}'{is_open}>"
            f"<summary>{_esc(_site_label(site, site_names))}</summary>\n{body}\n</details>"
        )

    extra_links = []
    for target, label in (
        (layout.record, "Run record (JSON)"),
        (layout.manifest, "Figure manifest (CSV)"),
    ):
        if target.exists():
            extra_links.append(f'<a href="{_href(target, reports_dir)}">{_esc(label)}</a>')
    empty = "" if states else "<p>No notebook has been run into this folder yet.</p>"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            "<html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
            f"<header><h1>{_esc(title)}</h1>{banner}",
            f"<p class='meta'>{' · '.join(meta)}</p>",
            f"<p class='meta'>{_esc(counts)}. {' · '.join(extra_links)}</p></header>",
            "<main>",
            empty,
            "<h2>The study's objectives</h2>" if states else "",
            *_objective_sections(states, order, site_names, layout, out),
            site_grid(layout) if states else "",
            "<h2>Runs</h2>" if states else "",
            "".join(overview) if states else "",
            "<h2>Sites</h2>" if states else "",
            *sections,
            "</main>",
            "<footer><p>Made by <code>srim run</code>. "
            + (
                "The HTML reports show the code. "
                if with_code
                else "The HTML reports hide the code; the notebooks (.ipynb) hold it. "
            )
            + "Rerun <code>srim run</code> (<code>make report</code>) to bring this page up "
            "to date.</p></footer>",
            "</body></html>",
        ]
    )


def write_index(out: str | Path, **kwargs: Any) -> Path:
    """Write ``<out>/reports/index.html`` atomically and return its path.

    Each notebook's pages are linked to one another too (the same notebook for the other
    sites), from the pages on disk.
    """
    page = render_index(out, **kwargs)
    link_site_pages(out, kwargs.get("site_names"))
    return atomic.write_text(RunLayout.under(out).index, page)


def link_site_pages(out: str | Path, site_names: Mapping[str, str] | None = None) -> int:
    """Link every good page to the same notebook's pages for the other sites; return changes."""
    root = Path(out).resolve()
    layout = RunLayout.under(root)
    states = read_states(layout)
    order = _site_order(states, dict(site_names or {}))
    pages_of: dict[str, dict[str, Path]] = {}
    for state in states:
        rel = state.ok.get("outputs", {}).get("html") if state.ok else None
        if rel and (root / rel).is_file():
            pages_of.setdefault(state.notebook, {})[state.site] = root / rel
    changed = 0
    for by_site in pages_of.values():
        for site, page in by_site.items():
            links = [
                (_site_label(other, dict(site_names or {})), _href(by_site[other], page.parent))
                for other in order
                if other in by_site and other != site
            ]
            changed += pages.set_site_links(page, links)
    return changed
