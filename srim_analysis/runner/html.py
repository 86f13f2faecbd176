"""An executed notebook as an HTML page: the reader's copy of one run.

The page holds its images and CSS (it opens offline), links back to the report index, says
"Synthetic data" when the run used synthetic data, and, for a failed run, says so and shows
the code so that the failing cell can be found. The code is hidden unless asked for.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from srim_analysis import atomic

HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
.srim-nav { font-family: system-ui, sans-serif; padding: .5rem 1rem; font-size: .9rem;
  border-bottom: 1px solid #ddd; }
.srim-synthetic { font-family: system-ui, sans-serif; background: #fff3cd;
  border: 3px solid #e69f00; color: #5c3d00; padding: .6rem 1rem; margin: .6rem 1rem;
  font-weight: 700; font-size: 1.1rem; border-radius: 6px; }
.srim-failed { font-family: system-ui, sans-serif; background: #fbe0dc;
  border: 3px solid #d55e00; color: #8a1c0b; padding: .6rem 1rem; margin: .6rem 1rem;
  font-weight: 700; border-radius: 6px; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
<div class="srim-nav"><a href="{{ resources.srim.index }}">&larr; Report index</a>
 &middot; {{ resources.srim.title | e }} &middot; {{ resources.srim.site | e }}</div>
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
    body, _ = exporter(with_code).from_notebook_node(nb, resources=resources)
    return atomic.write_text(target, body)
