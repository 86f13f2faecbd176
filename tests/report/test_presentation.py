"""Tests for srim_analysis.report.presentation: a published table as a reader sees it."""

from __future__ import annotations

import pandas as pd
import pytest

from srim_analysis.report import presentation
from tests.report.test_widgets import html_tables


def test_plain_labels_for_analysis_column_names():
    assert presentation.plain_label("n_dont_know") == "Don't know (n)"
    assert presentation.plain_label("pct_agree") == "Agree (%)"
    assert presentation.plain_label("ci_high") == "CI high"
    assert presentation.plain_label("respondents_n") == "Respondents (n)"
    assert presentation.plain_label("Already plain") == "Already plain"


def test_p_values_blanks_and_alignment():
    frame = pd.DataFrame(
        {"factor": ["trained", "manager"], "or": [2.5, None], "p": [0.0, 0.0421]}, dtype=object
    )
    text = presentation.table_html(frame, caption="Model")
    assert "&lt; 0.001" in text and "0.042" in text and "<NA>" not in text and "nan" not in text
    (shown,) = html_tables(text)
    assert list(shown.columns) == ["factor", "or", "p"]  # the published names are kept
    assert list(shown["or"]) == ["2.5", ""]
    assert '<th data-column="factor">Factor</th>' in text  # text left
    assert '<th data-column="p" class="num">p</th>' in text  # numbers right


def test_a_table_whose_every_count_is_hidden_is_not_shown():
    frame = pd.DataFrame({"agency": ["a", "b"], "n": ["c", "c"]}, dtype=object)
    text = presentation.table_html(frame, caption="All hidden", csv_href="tables/x.csv")
    assert "<table" not in text and "Every count in this table is hidden" in text
    assert 'href="tables/x.csv"' in text


def test_rows_of_several_hidden_counts_are_left_out_and_counted():
    frame = pd.DataFrame(
        {
            "code": ["r1", "r2", "r3"],
            "n_yes": ["c", "12", "c"],
            "n_no": ["c", "20", "7"],
        },
        dtype=object,
    )
    (shown,) = html_tables(text := presentation.table_html(frame))
    assert list(shown["code"]) == ["r2", "r3"]
    assert "1 row whose every count is hidden is not shown." in text
    # a table of one count keeps its hidden rows: the label says which group is hidden
    single = pd.DataFrame({"agency": ["a", "b", "d"], "n": ["c", "12", "30"]}, dtype=object)
    (kept,) = html_tables(presentation.table_html(single))
    assert list(kept["n"]) == ["c", "12", "30"]


def test_a_long_table_folds_after_its_first_rows_and_links_its_csv():
    frame = pd.DataFrame({"item": [f"i{k}" for k in range(40)], "n": range(10, 50)})
    text = presentation.table_html(frame, csv_href="tables/long.csv", max_rows=30)
    top, rest = html_tables(text)
    assert len(top) == presentation.HEAD_ROWS and len(rest) == 40 - presentation.HEAD_ROWS
    assert "<details><summary>Show the other 25 rows</summary>" in text
    assert 'href="tables/long.csv" download' in text
    short = presentation.table_html(frame.head(30), max_rows=30)
    assert "<details>" not in short and len(html_tables(short)[0]) == 30


# ---------------------------------------------------------------------------
# Numbered figures and tables, alt text, the saved PNG shown
# ---------------------------------------------------------------------------

PNG_2x3 = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000020000000308060000009dd2a4f3")


def test_numbering_follows_first_appearance_figures_and_tables_apart():
    assert presentation.numbered(["b", "a", "b", "c"]) == {"b": 1, "a": 2, "c": 3}
    assert presentation.figure_numbers(["funnel", "profile"]) == {"funnel": 1, "profile": 2}
    assert presentation.table_numbers(["x.csv", "x.csv", "y.csv"]) == {"x.csv": 1, "y.csv": 2}
    assert presentation.figure_label(3, "Sites by size") == "Figure 3. Sites by size"
    assert presentation.table_label(12, "Counts") == "Table 12. Counts"
    assert presentation.table_label(None, "Counts") == "Counts"


def test_alt_text_names_the_caption_panels_axes_and_notes():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle("Awareness by agency")
    left.set_title("Read the advice")
    left.set_xlabel("Share of respondents (%)")
    right.set_ylabel("Agency")
    hidden = fig.add_subplot(3, 3, 9)
    hidden.set_visible(False)
    fig.text(0.01, 0.01, "Left out: 2 agencies with hidden counts.")
    alt = presentation.alt_text("Awareness of the advice by agency", fig)
    plt.close(fig)
    assert alt.startswith("Awareness of the advice by agency. Title: Awareness by agency.")
    assert "2 panels: “Read the advice” — x axis: Share of respondents (%); y axis: Agency." in alt
    assert alt.endswith("Notes: Left out: 2 agencies with hidden counts.")


def test_figure_html_shows_the_png_with_alt_text_and_numbered_caption():
    assert presentation.png_size(PNG_2x3) == (2, 3)
    page = presentation.figure_html(
        PNG_2x3, alt='Bars "a" & b', label="Figure 2. Sites", figure_id="sites"
    )
    assert page.startswith('<figure class="srim-figure" id="figure-sites"')
    assert 'alt="Bars &quot;a&quot; &amp; b"' in page
    assert 'src="data:image/png;base64,iVBORw0KGgo' in page
    assert "<figcaption" in page and "<b>Figure 2. Sites</b>" in page
    with pytest.raises(ValueError, match="not a PNG"):
        presentation.png_size(b"<svg/>")
