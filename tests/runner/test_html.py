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
