"""Tests for srim_analysis.charts.likert: asserted on the artists drawn, not on pixels.

The charts draw a published count table (one column per answer, ``n`` and ``n_dk_na``),
in which a hidden cell is the suppression mark: nothing hidden may be drawn or labelled.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.charts import likert as lp
from srim_analysis.charts.style import DIVERGING_5, LEFT_OUT_GID
from tests.charts.conftest import assert_legible

LEVELS = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
C = disclosure.SUPPRESSION_MARK


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def table(rows: dict[str, tuple[list[object], object, object]]) -> pd.DataFrame:
    """Return a published-style count table: {statement: ([answers], n, n_dk_na)}."""
    return pd.DataFrame(
        [
            {
                "item": f"I{i}",
                "statement": s,
                **dict(zip(LEVELS, counts, strict=True)),
                "n": n,
                "n_dk_na": dk,
            }
            for i, (s, (counts, n, dk)) in enumerate(rows.items())
        ],
        dtype=object,
    )


def shown_table() -> pd.DataFrame:
    """Three statements with every cell shown."""
    return table(
        {
            "Statement B1": ([0, 10, 0, 24, 0], 34, 6),
            "Statement A1": ([0, 5, 8, 17, 5], 35, 0),
            "Statement A2": ([10, 10, 10, 5, 5], 40, 0),
        }
    )


def bar_widths(ax) -> np.ndarray:
    """Return the bar widths as (rows, levels), rows in drawing order."""
    return np.array([[p.get_width() for p in c.patches] for c in ax.containers]).T


def bar_lefts(ax) -> np.ndarray:
    return np.array([[p.get_x() for p in c.patches] for c in ax.containers]).T


def pct_labels(ax, visible_only: bool = True) -> list[str]:
    return [
        t.get_text()
        for t in ax.texts
        if t.get_gid() == lp.PCT_GID and (t.get_visible() or not visible_only)
    ]


def notes(fig) -> list[str]:
    return [t.get_text().replace("\n", " ") for t in fig.texts if t.get_gid() == LEFT_OUT_GID]


def draw(published: pd.DataFrame, **kwargs):
    return lp.plot_likert_table(published, LEVELS, list(published["statement"]), **kwargs)


def test_bars_sum_to_100_and_neutral_straddles_zero():
    fig = draw(shown_table())
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * 5  # every level drawn for every item, even empty ones
    widths = bar_widths(ax)
    assert widths.sum(axis=1) == pytest.approx([100, 100, 100])
    lefts = bar_lefts(ax)
    assert lefts[:, 2] == pytest.approx(-widths[:, 2] / 2)  # split across zero
    assert (lefts[:, :2] + widths[:, :2] <= 1e-9).all()  # disagreement left of zero
    assert (lefts[:, 3:] >= -1e-9).all()  # agreement right of zero
    assert widths[1] == pytest.approx(np.array([0, 5, 8, 17, 5]) / 35 * 100)
    assert ax.containers[0].patches[0].get_facecolor() == pytest.approx(
        matplotlib.colors.to_rgba(DIVERGING_5[0])
    )
    assert notes(fig) == []  # nothing left out, no note
    assert_legible(fig)


def test_order_n_and_dk_in_tick_labels_and_every_level_in_the_legend():
    fig = draw(shown_table())
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0].startswith("Statement B1") and ticks[0].endswith("(n=34; 6 DK/NA)")
    assert ticks[1].endswith("(n=35)") and ticks[2].endswith("(n=40)")
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row drawn on top
    assert [t.get_text() for t in ax.get_legend().get_texts()] == LEVELS


def test_percentage_labels_only_where_they_fit():
    fig = draw(table({"B": ([8, 5, 5, 125, 7], 150, 0)}))
    fig.draw_without_rendering()  # labels are fitted when the chart is drawn
    labels = pct_labels(fig.axes[0])
    assert "83%" in labels  # 125 / 150
    assert "5%" not in labels  # 8 / 150: written, but too narrow to hold its label
    assert "3%" not in pct_labels(fig.axes[0], visible_only=False)  # below 5%: never written


def test_hidden_answers_are_neither_drawn_nor_labelled():
    # n = 11: the one "Strongly agree" answer (9%) is hidden, and so is a second cell
    fig = draw(table({"Eleven": ([C, 0, 5, C, 0], 11, C)}), min_cell=5)
    ax = fig.axes[0]
    widths = bar_widths(ax)[0]
    assert widths == pytest.approx([0, 0, 5 / 11 * 100, 0, 0])  # only the shown count
    assert pct_labels(ax, visible_only=False) == ["45%"]
    assert "9%" not in " ".join(t.get_text() for t in ax.texts)
    tick = ax.get_yticklabels()[0].get_text()
    assert tick.endswith("(n=11; fewer than 5 DK/NA)")
    (note,) = notes(fig)
    assert "Answers chosen by fewer than 5 people (c in the table) are not drawn" in note


def test_rows_with_a_hidden_n_are_left_out_and_named():
    published = table(
        {
            "Shown": ([5, 5, 5, 5, 10], 30, 0),
            "Hidden n": ([C, C, C, C, C], C, 0),
            "Nobody": ([0, 0, 0, 0, 0], 0, 0),
        }
    )
    fig = draw(published)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == 1 and ticks[0].startswith("Shown")
    assert len(ax.patches) == 5
    (note,) = notes(fig)
    assert note.startswith("Not shown (fewer than 5 ratings") and "Hidden n" in note
    assert "Nobody" not in note
    assert draw(published.iloc[1:]) is None  # nothing to draw: no figure


def test_panels_share_one_scale_and_one_note():
    published = pd.concat(
        [
            shown_table().assign(group="Police"),
            table({"x": ([C, 5, 5, 5, 5], 22, 0)}).assign(item="I0", group="Housing"),
            table({"y": ([C, C, C, C, C], C, 0)}).assign(item="I1", group="Education"),
        ],
        ignore_index=True,
    )
    fig = lp.plot_likert_panels(
        published, LEVELS, "item", "group", {"I0": "First", "I1": "Second", "I2": "Third"}
    )
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["First", "Second", "Third"]
    assert len({ax.get_xlim() for ax in drawn}) == 1  # one shared scale
    assert [len(ax.get_yticklabels()) for ax in drawn] == [2, 1, 1]  # Education left out
    (note,) = notes(fig)
    assert "Education" in note and "Answers chosen by fewer than 5" in note
    assert_legible(fig)


def test_even_scale_splits_at_zero():
    levels = ["Never", "Rarely", "Often", "Always"]
    published = pd.DataFrame(
        [
            {
                "statement": "E",
                "Never": 5,
                "Rarely": 15,
                "Often": 20,
                "Always": 10,
                "n": 50,
                "n_dk_na": 0,
            }
        ],
        dtype=object,
    )
    fig = lp.plot_likert_table(published, levels, ["E"], min_cell=1)
    ax = fig.axes[0]
    assert bar_widths(ax)[0] == pytest.approx([10, 30, 40, 20])
    assert bar_lefts(ax)[0] == pytest.approx([-40, -30, 0, 40])
    assert len(set(lp.diverging_colours(4))) == 4


def test_saved_chart_has_its_labels_fitted_without_an_extra_pass(tmp_path):
    from srim_analysis.report import figures

    fig = draw(table({"B": ([8, 5, 5, 125, 7], 150, 0)}))
    assert "5%" in pct_labels(fig.axes[0])  # nothing decided before the draw
    figures.save_figure(
        fig,
        "b1",
        "Statement B",
        notebook="nb",
        site="S",
        data_fingerprint="x",
        figures_dir=tmp_path,
        synthetic=False,
        close=False,
    )
    labels = pct_labels(fig.axes[0])
    assert "83%" in labels and "5%" not in labels
    fig.draw_without_rendering()  # a second draw keeps the label hidden
    assert "5%" not in pct_labels(fig.axes[0])
    svg = (tmp_path / "S" / "nb__b1.svg").read_text(encoding="utf-8")
    assert ">83%<" in svg and ">5%<" not in svg
    assert len([a for a in fig.artists if a.get_gid() == "likert-label-fitter"]) == 1


def test_every_likert_chart_of_a_page_shares_one_x_range():
    narrow = draw(table({"Mostly neutral": ([0, 1, 30, 1, 0], 32, 0)}))
    wide = draw(shown_table())
    assert narrow.axes[0].get_xlim() == wide.axes[0].get_xlim() == (-lp.X_RANGE, lp.X_RANGE)
    fitted = draw(table({"Mostly neutral": ([0, 1, 30, 1, 0], 32, 0)}), x_range=None)
    assert fitted.axes[0].get_xlim() == (-50, 50)  # fitted to the bars when asked
    assert_legible(narrow)
