"""An executed notebook as an HTML page: the reader's copy of one run.

The page holds its images and CSS (it opens offline), links back to the report index, says
"Synthetic data" when the run used synthetic data, and, for a failed run, says so and shows
the code so that the failing cell can be found. The code is hidden unless asked for.

For a reader (issue #18) the page also has: a contents list of its sections (linked), a
line linking the same notebook for the other sites (filled in by the report index, from the
pages on disk: :func:`set_site_links`), a static view of each interactive explorer (its first
selection, from the widget state the run saved: widgets need a kernel), a glossary of the
method terms it uses (``report.glossary``) and a print stylesheet (a clean PDF from the
browser: no navigation, folded tables opened, figures and table rows not split, each
section on a new page).
"""

from __future__ import annotations

import copy
import functools
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from srim_analysis import atomic
from srim_analysis.report import glossary

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

#: What a page says above an explorer's static view.
EXPLORE_NOTE = (
    "An interactive explorer: this page shows its first view. Open the notebook in "
    "JupyterLab to explore the other choices."
)

#: The line of links to the other sites (nbconvert may reorder a tag's attributes).
_SITES = re.compile(r'<nav\b[^>]*\bclass="srim-sites"[^>]*>.*?</nav>', re.S)

HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
.srim-nav, .srim-sites, .srim-contents, .srim-glossary { font-family: system-ui, sans-serif; }
.srim-nav { padding: .5rem 1rem; font-size: .9rem; border-bottom: 1px solid #ddd; }
.srim-sites { padding: .3rem 1rem; font-size: .9rem; }
.srim-sites:empty { display: none; }
.srim-sites a { margin-right: .6rem; white-space: nowrap; }
.srim-contents { margin: .6rem 1rem; padding: .4rem .9rem; border: 1px solid #ddd;
  border-radius: 6px; background: #fafafa; font-size: .92rem; max-width: 60rem; }
.srim-contents ul { margin: .2rem 0 .2rem .2rem; padding: 0; columns: 2; list-style: none; }
.srim-glossary { margin: 1.5rem 1rem; padding: .6rem 1rem; border-top: 2px solid #ddd;
  max-width: 60rem; font-size: .92rem; }
.srim-glossary dt { font-weight: 700; margin-top: .4rem; }
.srim-glossary dd { margin: 0 0 0 1.2rem; }
.srim-static-widget { border-left: 4px solid #0072b2; padding: .2rem .8rem; margin: .4rem 0; }
.srim-static-widget .srim-explore-note { font-style: italic; color: #444; }
.srim-synthetic { font-family: system-ui, sans-serif; background: #fff3cd;
  border: 3px solid #e69f00; color: #5c3d00; padding: .6rem 1rem; margin: .6rem 1rem;
  font-weight: 700; font-size: 1.1rem; border-radius: 6px; }
.srim-failed { font-family: system-ui, sans-serif; background: #fbe0dc;
  border: 3px solid #d55e00; color: #8a1c0b; padding: .6rem 1rem; margin: .6rem 1rem;
  font-weight: 700; border-radius: 6px; }
@media print {
  @page { margin: 15mm 12mm; }
  body { background: #fff !important; }
  .srim-nav, .srim-sites, .srim-contents, .anchor-link, .jp-InputArea,
  details > summary { display: none !important; }
  .jp-Cell, .jp-OutputArea-output, .jp-RenderedHTMLCommon { overflow: visible !important; }
  h2 { break-before: page; }
  h1 + * h2, .srim-glossary h2 { break-before: auto; }
  h1, h2, h3, h4 { break-after: avoid; }
  figure, img, .srim-figure, .srim-static-widget { break-inside: avoid; }
  figure img, .jp-OutputArea-output img { max-width: 100% !important; height: auto !important; }
  table { break-inside: auto; font-size: 9pt; }
  tr, td, th { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
</style>
<script>
// print every folded table: open each <details> before printing
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
});
</script>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
<div class="srim-nav"><a href="{{ resources.srim.index }}">&larr; Report index</a>
 &middot; {{ resources.srim.title | e }} &middot; {{ resources.srim.site | e }}</div>
<nav class="srim-sites" aria-label="This notebook for the other sites"></nav>
{%- if resources.srim.failed %}
<div class="srim-failed">This run failed: {{ resources.srim.failed | e }}.
 The code is shown so that the failing cell can be found.</div>
{%- endif %}
{%- if resources.srim.synthetic %}
<div class="srim-synthetic">Synthetic data: made from the shipped synthetic study, not real
 data.</div>
{%- endif %}
{%- endblock body_header -%}
"""


@functools.cache
def exporter(with_code: bool) -> Any:
    """Return the (cached) nbconvert HTML exporter, showing the code or not."""
    # lazy: nbconvert costs 0.5 s at import (measured); only worker processes export HTML
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"srim.html.j2": HTML_TEMPLATE})],
        template_file="srim.html.j2",
        exclude_input=not with_code,
        exclude_input_prompt=not with_code,
        exclude_output_prompt=not with_code,
        embed_images=True,
    )


def write_html(
    nb: Any,
    target: Path,
    *,
    title: str,
    site_label: str,
    synthetic: bool,
    with_code: bool,
    index_href: str,
    failed: str | None = None,
) -> Path:
    """Write the HTML page of an executed notebook to ``target`` atomically; return its path.

    ``index_href`` is the relative link from the page to the report index.
    """
    resources = {
        "metadata": {"name": f"{title} — {site_label}"},
        "srim": {
            "index": index_href,
            "title": title,
            "site": site_label,
            "synthetic": synthetic,
            "failed": failed,
        },
    }
    shown = plain_warnings(static_widgets(nb))
    body, _ = exporter(with_code).from_notebook_node(shown, resources=resources)
    return atomic.write_text(target, finish_page(body))


# ---------------------------------------------------------------------------
# Contents and glossary
# ---------------------------------------------------------------------------

_HEADING = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link".*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_NOT_TEXT = re.compile(r"<(style|script)\b.*?</\1>|<img\b[^>]*>", re.S | re.I)


def page_text(body: str) -> str:
    """Return the words a reader sees on an HTML page (no tags, styles, scripts or images)."""
    return html.unescape(_TAG.sub(" ", _NOT_TEXT.sub(" ", body)))


def headings(body: str) -> list[tuple[str, str]]:
    """Return the page's section headings (level 2) as (id, text), in order."""
    found = []
    for anchor, inner in _HEADING.findall(body):
        text = " ".join(html.unescape(_TAG.sub("", _ANCHOR_LINK.sub("", inner))).split())
        if text:
            found.append((html.unescape(anchor), text))
    return found


def finish_page(body: str) -> str:
    """Return the exported page with its contents list and its glossary filled in."""
    foot = glossary.glossary_html(page_text(body))
    entries = headings(body) + ([("glossary", "Glossary")] if foot else [])
    contents = (
        '<nav class="srim-contents" aria-label="Contents"><b>Contents</b><ul>'
        + "".join(
            f'<li><a href="#{html.escape(anchor, quote=True)}">{html.escape(text)}</a></li>'
            for anchor, text in entries
        )
        + "</ul></nav>"
        if entries
        else ""
    )
    # under the page's title and opening words (the cell holding the title), if it has one
    title = body.find("<h1")
    at = body.find('<div class="jp-Cell', title) if title >= 0 else -1
    if at < 0:
        at = body.find("<main>") + len("<main>") if "<main>" in body else 0
    body = body[:at] + contents + body[at:]
    if foot:
        at = body.rfind("</main>")
        body = body[:at] + foot + body[at:] if at >= 0 else body + foot
    return body


# ---------------------------------------------------------------------------
# Other sites
# ---------------------------------------------------------------------------


def site_links_html(links: Sequence[tuple[str, str]]) -> str:
    """Return the line linking the same notebook's pages for other sites ((label, href))."""
    inner = (
        "<b>This notebook for:</b> "
        + " ".join(
            f'<a href="{html.escape(href)}">{html.escape(label)}</a>' for label, href in links
        )
        if links
        else ""
    )
    return f'<nav class="srim-sites" aria-label="This notebook for the other sites">{inner}</nav>'


def set_site_links(page: Path, links: Sequence[tuple[str, str]]) -> bool:
    """Fill a page's line of links to the other sites' pages; return True if it changed."""
    body = page.read_text(encoding="utf-8")
    new = _SITES.sub(lambda _m: site_links_html(links), body, count=1)
    if new == body:
        return False
    atomic.write_text(page, new)
    return True


# ---------------------------------------------------------------------------
# Warnings as a reader reads them
# ---------------------------------------------------------------------------

#: A Python warning as printed: "<file>.py:<line>: <Category>: <message>", then the source line.
_WARNING = re.compile(r"^\S*\.py:\d+: (\w+): (.*)\n(?:  .*\n?)?", re.M)


def plain_warnings(nb: Any) -> Any:
    """Return ``nb`` with the warnings it printed stripped of file paths and source lines.

    A page shows "UserWarning: message", not the library file's absolute path on the machine
    that ran it (the run's log keeps the whole text). The notebook itself is not changed.
    """
    found = [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and _WARNING.search(str(out.get("text", "")))
    ]
    if not found:
        return nb
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = _WARNING.sub(r"\1: \2\n", str(out.get("text", "")))
    return nb


# ---------------------------------------------------------------------------
# Explorers: a static view where no kernel runs
# ---------------------------------------------------------------------------


def static_widgets(nb: Any) -> Any:
    """Return a copy of ``nb`` whose widget outputs show a static view of their first state.

    The view is drawn from the widget state the run saved in the notebook (papermill keeps
    it): drop-downs read "Site: All sites", HTML and output areas show what they held, images
    their picture; a sentence says to open the notebook in JupyterLab to explore.
    """
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not any(
        WIDGET_VIEW in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])
    ):
        return nb
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view is None:
                continue
            shown = widget_html(view.get("model_id", ""), state)
            data.pop(WIDGET_VIEW)
            data["text/html"] = (
                f'<div class="srim-static-widget"><p class="srim-explore-note">'
                f"{html.escape(EXPLORE_NOTE)}</p>"
                + (shown or "<p>(The explorer's first view was not saved with the run.)</p>")
                + "</div>"
            )
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def widget_html(model_id: str, state: Mapping[str, Any], depth: int = 0) -> str:
    """Return static HTML for one saved widget and its children ('' for what shows nothing)."""
    model = state.get(model_id.removeprefix("IPY_MODEL_"))
    if model is None or depth > 20:
        return ""
    name = model.get("model_name", "")
    values = model.get("state", {})
    if "children" in values:
        parts = [widget_html(c, state, depth + 1) for c in values.get("children", [])]
        return "<div>" + "".join(p for p in parts if p) + "</div>"
    if name in ("HTMLModel", "HTMLMathModel"):
        return str(values.get("value", ""))
    if name == "LabelModel":
        return f"<p>{html.escape(str(values.get('value', '')))}</p>"
    if name == "OutputModel":
        return "".join(_output_html(o) for o in values.get("outputs", []))
    if name == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                return _explorer_image(f"image/{values.get('format', 'png')}", buffer["data"])
        return ""
    labels = values.get("_options_labels")
    if labels is not None:
        index = values.get("index")
        chosen = [index] if isinstance(index, int) else list(index or [])
        picked = ", ".join(str(labels[i]) for i in chosen if 0 <= i < len(labels))
        description = html.escape(str(values.get("description", "")).rstrip(":"))
        return f"<p><b>{description}:</b> {html.escape(picked) or '(none)'}</p>"
    return ""


def _output_html(output: Mapping[str, Any]) -> str:
    data = output.get("data", {})
    if "text/html" in data:
        text = data["text/html"]
        return "".join(text) if isinstance(text, list) else str(text)
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return _explorer_image(mime, "".join(data[mime]).strip())
    if "text/markdown" in data:
        return f"<p>{html.escape(str(data['text/markdown']))}</p>"
    text = output.get("text") or data.get("text/plain")
    if text:
        text = "".join(text) if isinstance(text, list) else str(text)
        return f"<pre>{html.escape(text)}</pre>"
    return ""


def _explorer_image(mime: str, data: str) -> str:
    return (
        f'<img src="data:{html.escape(mime)};base64,{data}" '
        'alt="The explorer\'s figure for its first selection." '
        'style="max-width: 100%; height: auto;">'
    )
