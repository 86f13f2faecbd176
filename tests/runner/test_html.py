"""The HTML page of a run: offline, code hidden unless asked, synthetic data and failures said."""

from __future__ import annotations

import nbformat
import pytest

from srim_analysis.runner import html
from tests.runner.conftest import SITES
from tests.runner.test_index import links_of


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("publish_table('x')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a result\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# A title"), cell]
    return nb


def test_the_page_hides_the_code_and_says_synthetic_data(tmp_path):
    page = html.write_html(
        _notebook(),
        tmp_path / "03_x.html",
        title="Awareness",
        site_label="Ashcombe (S01)",
        synthetic=True,
        with_code=False,
        index_href="../index.html",
    )
    text = page.read_text(encoding="utf-8")
    assert "a result" in text and "publish_table" not in text
    assert "Synthetic data" in text and "Awareness" in text and "Ashcombe (S01)" in text
    assert "../index.html" in links_of(page)
    assert "This run failed" not in text
    assert "://" not in "".join(links_of(page))


def test_a_failed_run_shows_the_code_and_says_why(tmp_path):
    page = html.write_html(
        _notebook(),
        tmp_path / "03_x.failed.html",
        title="Awareness",
        site_label="All sites",
        synthetic=False,
        with_code=True,
        index_href="../../index.html",
        failed="ValueError: <no data>",
    )
    text = page.read_text(encoding="utf-8")
    assert "This run failed: ValueError: &lt;no data&gt;" in text
    assert "publish_table" in text and "Synthetic data" not in text
    assert "../../index.html" in links_of(page)


def test_the_exporters_are_made_once():
    assert html.exporter(True) is html.exporter(True)
    assert html.exporter(True) is not html.exporter(False)


@pytest.mark.notebooks
def test_outputs_html_logs_and_manifest(full_run):
    config, _ = full_run
    out = config.out
    for site in ("all", *SITES):
        for name in ("00_echo", "02_fails"):
            assert (out / "reports" / site / f"{name}.html").is_file()
            assert (out / "reports" / site / f"{name}.ipynb").is_file()
            assert (
                out / "figures" / site / f"{name}__{'echo' if name == '00_echo' else 'status'}.png"
            ).is_file()
    page = (out / "reports" / "S01" / "00_echo.html").read_text(encoding="utf-8")
    assert "hi from S01" in page and "Synthetic data" in page
    assert "publish_table" not in page  # code hidden by default
    assert "://" not in "".join(links_of(out / "reports" / "S01" / "00_echo.html"))
    log = (out / "reports" / "S01" / "logs" / "00_echo.log").read_text(encoding="utf-8")
    assert "hi from S01" in log and "a warning on stderr" in log and "succeeded after" in log
    manifest = (out / "figures" / "manifest.csv").read_text().splitlines()
    assert len(manifest) == 1 + 4 + 2 + 4
    assert "overview,Cross-site overview,01_cross,all" in "\n".join(manifest)


# ---------------------------------------------------------------------------
# For readers: contents, glossary, explorers' static views, other sites, print
# ---------------------------------------------------------------------------

VBOX, DROP, SHOWN = "a" * 32, "b" * 32, "c" * 32


def _reader_notebook() -> nbformat.NotebookNode:
    """A notebook with a title, two sections, a method term and an explorer (saved state)."""
    nb = nbformat.v4.new_notebook()
    table = nbformat.v4.new_code_cell("show()")
    table.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>Row 1011: incl 0.92, PRI 0.81.</p>"}
        )
    ]
    explorer = nbformat.v4.new_code_cell("explore()")
    explorer.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": VBOX,
                    "version_major": 2,
                    "version_minor": 0,
                },
                "text/plain": "VBox(...)",
            },
        )
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# The title\n\nWhat this page is for."),
        nbformat.v4.new_markdown_cell("## 1. The truth table"),
        table,
        nbformat.v4.new_markdown_cell("## 2. Explore the sites"),
        explorer,
    ]

    def model(name: str, **state: object) -> dict:
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    nb.metadata["widgets"] = {
        html.WIDGET_STATE: {
            "version_major": 2,
            "version_minor": 0,
            "state": {
                VBOX: model("VBoxModel", children=[f"IPY_MODEL_{DROP}", f"IPY_MODEL_{SHOWN}"]),
                DROP: model(
                    "DropdownModel",
                    _options_labels=["All sites", "Ashcombe (S01)"],
                    index=0,
                    description="Site:",
                ),
                SHOWN: model("HTMLModel", value="<table><tr><td>first view</td></tr></table>"),
            },
        }
    }
    return nb


def _page(tmp_path) -> str:
    page = html.write_html(
        _reader_notebook(),
        tmp_path / "reports" / "all" / "02_x.html",
        title="Typology",
        site_label="All sites",
        synthetic=True,
        with_code=False,
        index_href="../index.html",
    )
    return page.read_text(encoding="utf-8")


def test_the_page_has_a_linked_contents_list_under_its_title(tmp_path):
    text = _page(tmp_path)
    assert html.headings(text) == [
        ("1.-The-truth-table", "1. The truth table"),
        ("2.-Explore-the-sites", "2. Explore the sites"),
    ]
    nav = text[text.index('<nav class="srim-contents"') :]
    nav = nav[: nav.index("</nav>")]
    assert nav.count("<li>") == 3  # two sections and the glossary
    for anchor in ("1.-The-truth-table", "2.-Explore-the-sites", "glossary"):
        assert f'href="#{anchor}"' in nav and f'id="{anchor}"' in text
    assert text.index("<h1") < text.index('<nav class="srim-contents"') < text.index("<h2")


def test_the_glossary_at_the_foot_defines_the_terms_the_page_uses(tmp_path):
    text = _page(tmp_path)
    foot = text[text.index('<section class="srim-glossary"') :]
    assert foot.index("</section>") < foot.index("</main>")
    assert "<dt>PRI</dt>" in foot and "<dt>incl (consistency)</dt>" in foot
    assert "<dt>Odds ratio (OR)</dt>" not in foot  # the page uses no odds ratio


def test_an_explorer_shows_its_first_view_and_says_to_open_jupyterlab(tmp_path):
    text = _page(tmp_path)
    assert html.EXPLORE_NOTE in text
    assert "<p><b>Site:</b> All sites</p>" in text
    assert "<td>first view</td>" in text
    assert "widget-view+json" not in text and "widget-state+json" not in text
    # the notebook itself is not changed
    nb = _reader_notebook()
    assert html.static_widgets(nb) is not nb
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[4].outputs[0]["data"]


def test_an_explorer_without_saved_state_still_says_what_it_is(tmp_path):
    nb = _reader_notebook()
    del nb.metadata["widgets"]
    shown = html.static_widgets(nb).cells[4].outputs[0]["data"]["text/html"]
    assert html.EXPLORE_NOTE in shown and "was not saved with the run" in shown


def test_links_to_the_other_sites_are_filled_in_once(tmp_path):
    _page(tmp_path)
    page = tmp_path / "reports" / "all" / "02_x.html"
    assert 'class="srim-sites"></nav>' in page.read_text(encoding="utf-8")  # empty: hidden
    links = [("Ashcombe (S01)", "../S01/02_x.html")]
    assert html.set_site_links(page, links) is True
    assert html.set_site_links(page, links) is False
    assert '<a href="../S01/02_x.html">Ashcombe (S01)</a>' in page.read_text(encoding="utf-8")


def test_the_page_prints_cleanly(tmp_path):
    text = _page(tmp_path)
    css = text[text.index("@media print") :]
    for rule in (
        ".srim-nav, .srim-sites, .srim-contents",
        "h2 { break-before: page; }",
        "figure, img, .srim-figure, .srim-static-widget { break-inside: avoid; }",
        "tr, td, th { break-inside: avoid; }",
    ):
        assert rule in css
    assert 'addEventListener("beforeprint"' in text  # folded tables are opened to print


def test_a_printed_warning_reads_without_the_machines_file_path(tmp_path):
    nb = _notebook()
    nb.cells[1].outputs.append(
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="/work/x/srim_analysis/report/figures.py:188: UserWarning: axes collapsed.\n"
            "  fig.draw_without_rendering()\nordinary text\n",
        )
    )
    page = html.write_html(
        nb,
        tmp_path / "03_x.html",
        title="Awareness",
        site_label="All sites",
        synthetic=False,
        with_code=False,
        index_href="../index.html",
    )
    text = page.read_text(encoding="utf-8")
    assert "UserWarning: axes collapsed." in text and "ordinary text" in text
    assert "/work/x" not in text and "draw_without_rendering" not in text
    assert "/work/x/srim_analysis" in nb.cells[1].outputs[1]["text"]  # the notebook is kept


def test_an_explorers_saved_image_and_output_are_shown_with_alt_text():
    state = {
        "i" * 32: {
            "model_name": "ImageModel",
            "state": {"format": "png"},
            "buffers": [{"path": ["value"], "encoding": "base64", "data": "iVBOR"}],
        },
        "o" * 32: {
            "model_name": "OutputModel",
            "state": {
                "outputs": [
                    {"output_type": "display_data", "data": {"image/png": "iVBOR\n"}},
                    {"output_type": "stream", "name": "stdout", "text": "a <note>"},
                ]
            },
        },
    }
    image = html.widget_html("IPY_MODEL_" + "i" * 32, state)
    assert image.startswith('<img src="data:image/png;base64,iVBOR" alt="The explorer')
    output = html.widget_html("o" * 32, state)
    assert (
        'src="data:image/png;base64,iVBOR" alt=' in output and "<pre>a &lt;note&gt;</pre>" in output
    )
    assert html.widget_html("x" * 32, state) == ""  # a model the run did not save
