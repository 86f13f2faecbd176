"""Charts of notebook 04, at the level of matplotlib's artists: nothing a table hides is drawn.

Each chart takes a table as published (a hidden cell is the suppression mark). The tests
plant hidden cells whose true values would be recognisable (a 33% / 67% split of a group of
6, one person in a small agency) and assert that no bar, point or label shows them, and
that the figure's note says what is left out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from srim_analysis.charts import qualitative as charts
from srim_analysis.charts import style
from srim_analysis.charts.style import LEFT_OUT_GID
from srim_analysis.study.plan import AWARENESS_ROLES
from tests.charts.conftest import assert_legible

C = "c"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _ticks(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.get_yticklabels())


def _note(fig) -> str:
    notes = [t.get_text() for t in fig.texts if t.get_gid() == LEFT_OUT_GID]
    assert len(notes) == 1, "the figure must say what it leaves out"
    return notes[0].replace("\n", " ")


def _bars(fig) -> list[Rectangle]:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle)]


def _awareness_table() -> pd.DataFrame:
    """Police fully shown; Probation (6 coded: 2 read, 4 unaware) hidden; Health shares hidden."""
    return pd.DataFrame(
        {
            "agency": ["police", "probation", "health"],
            "group": ["Police", "Probation", "Health"],
            "n_participants": [12, 6, 14],
            "n_coded": [10, C, 12],
            "n_read": [5, C, 7],
            "n_heard": [0, C, C],
            "n_unaware": [5, C, C],
            "n_not_coded": [2, C, 2],
            "pct_read": [50.0, C, 58.3],
            "pct_heard": [0.0, C, C],
            "pct_unaware": [50.0, C, C],
        }
    )


def test_awareness_figure_draws_only_shown_shares():
    fig = charts.awareness_figure(_awareness_table(), "Awareness", min_cell=5)
    ticks = _ticks(fig)
    assert "Police (n = 10)" in ticks and "Health (n = 12)" in ticks
    assert "Probation" not in ticks  # its group is hidden in the table
    widths = sorted(round(b.get_width(), 1) for b in _bars(fig) if b.get_width() > 0)
    assert widths == [50.0, 50.0, 58.3]  # Police read and unaware, Health read: nothing else
    labels = _texts(fig)
    assert sorted(labels) == ["50%", "50%", "58%"]
    assert not {"33%", "67%", "42%"} & set(labels)
    note = _note(fig)
    assert "1 group" in note and "left blank" in note
    assert_legible(fig)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(AWARENESS_ROLES.values())
    colours = {tuple(h.get_facecolor()) for h in legend.legend_handles}
    assert len(colours) == 3  # every level its own colour, drawn or not
    everything_hidden = _awareness_table().assign(n_coded=C)
    assert charts.awareness_figure(everything_hidden, "Awareness", min_cell=5) is None


def _stance_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_id": ["K1", "K2", "K3"],
            "code_label": ["Rule one", "Rule two", "Rule three"],
            "n_participants": [14, 8, C],
            "n_segments": [20, 10, 4],
            "n_critical": [8, C, C],
            "n_mixed": [0, C, C],
            "n_supportive": [10, 6, C],
            "n_unclear": [0, C, C],
            "n_no_stance": [2, C, C],
            "pct_critical": [40.0, C, C],
            "pct_mixed": [0.0, C, C],
            "pct_supportive": [50.0, 60.0, C],
            "pct_unclear": [0.0, C, C],
            "pct_no_stance": [10.0, C, C],
        }
    )


def test_stance_figure_leaves_out_hidden_rows_and_shares():
    fig = charts.stance_figure(_stance_table(), "Stance", min_cell=5)
    ticks = _ticks(fig)
    assert "Rule one" in ticks and "Rule two" in ticks and "Rule three" not in ticks
    assert "(n = 14 participants)" in ticks and "(n = 8 participants)" in ticks
    widths = sorted(round(abs(b.get_width()), 1) for b in _bars(fig) if b.get_width() != 0)
    # Rule one: critical 40, supportive 50, unclear or none 10; Rule two: supportive 60 only
    assert widths == [10.0, 40.0, 50.0, 60.0]
    assert sorted(_texts(fig)) == ["10%", "40%", "50%", "60%"]
    note = _note(fig)
    assert "1 row" in note and "not drawn" in note
    assert_legible(fig)
    assert charts.stance_figure(_stance_table().assign(n_participants=C), "S", 5) is None


def test_stance_grid_marks_hidden_groups_and_draws_no_hidden_share():
    table = pd.DataFrame(
        {
            "code_id": ["K1", "K1", "K1", "K2", "K2"],
            "code_label": [
                "Rule 1: one",
                "Rule 1: one",
                "Rule 1: one",
                "Rule 2: two",
                "Rule 2: two",
            ],
            "agency": ["police", "health", "unattributed", "police", "health"],
            "group": ["Police", "Health", "Not attributed", "Police", "Health"],
            "n_participants": [6, C, 0, 7, 9],
            "n_segments": [10, C, 3, 9, 12],
            "pct_critical": [30.0, C, 0.0, C, 75.0],
            "pct_mixed": [0.0, C, 0.0, C, 0.0],
            "pct_supportive": [70.0, C, 100.0, 55.6, 25.0],
        }
    )
    fig = charts.stance_grid_figure(table, "By agency", min_cell=5)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == ["Rule 1", "Rule 2"]
    first = panels[0]
    assert [t.get_text() for t in first.texts] == ["c"]  # Health hidden in Rule 1
    widths = [round(abs(p.get_width()), 1) for p in first.patches if p.get_width() != 0]
    assert sorted(widths) == [30.0, 70.0]  # Police only: nothing for Health, nothing unattributed
    second = [round(abs(p.get_width()), 1) for p in panels[1].patches if p.get_width() != 0]
    assert sorted(second) == [25.0, 55.6, 75.0]  # Police's hidden critical share is not drawn
    assert "Not attributed" not in _ticks(fig)
    note = _note(fig)
    assert "1 group" in note and "Shares hidden" in note
    assert_legible(fig)


def test_heatmap_shows_hidden_cells_as_c_and_never_their_value():
    matrix = pd.DataFrame([[C, 9], [0, 12]], index=["a", "b"], columns=["x", "y"], dtype=object)
    fig = charts.heatmap_figure(matrix, "t", min_cell=5)
    texts = _texts(fig)
    assert sorted(texts) == ["12", "9", "c"]
    image = fig.axes[0].images[0].get_array()
    assert np.ma.is_masked(image[0, 0]) or np.isnan(image[0, 0])  # no colour for the hidden cell
    assert "1 count hidden" in _note(fig)
    assert_legible(fig)
    plain = charts.heatmap_figure(matrix.replace({C: 6}), "t", min_cell=5)
    assert not [t for t in plain.texts if t.get_gid() == LEFT_OUT_GID]
    assert charts.heatmap_figure(pd.DataFrame(), "t", min_cell=5) is None


def test_branch_figure_marks_hidden_counts_without_a_bar():
    summary = pd.DataFrame(
        {"code_label": ["Often", "Rarely", "Never"], "n_participants": [12, C, 0]}
    )
    fig = charts.branch_figure(summary, "t", min_cell=5)
    texts = [t.strip() for t in _texts(fig)]
    assert texts == ["12", "c", "0"]
    heights = [round(b.get_width(), 1) for b in _bars(fig)]
    assert heights == [12.0, 0.0]  # 'Rarely' has no bar at all
    assert "1 count hidden" in _note(fig)
    assert_legible(fig)
    assert charts.branch_figure(summary.iloc[:0], "t", min_cell=5) is None


def test_count_matrix_keeps_published_cells():
    table = pd.DataFrame(
        {"code_label": ["A", "A", "B"], "group": ["x", "y", "y"], "n_participants": [7, C, 9]}
    )
    grid = charts.count_matrix(table, "n_participants")
    assert grid.to_dict("list") == {"x": [7, 0], "y": [C, 9]}


def test_branch_figure_highlights_only_the_bar_the_text_names():
    summary = pd.DataFrame({"code_label": ["Often", "Sometimes"], "n_participants": [26, 25]})
    plain = {tuple(b.get_facecolor()) for b in _bars(charts.branch_figure(summary, "t", 5))}
    assert len(plain) == 1  # 26 against 25: no bar singled out
    named = charts.branch_figure(summary, "t", 5, highlight="Sometimes")
    colours = [to_hex(b.get_facecolor()).upper() for b in _bars(named)]
    assert colours == [style.PALETTE[0], style.HIGHLIGHT]  # drawn top to bottom: Often, Sometimes
    assert_legible(named)


def test_small_and_crowded_figures_stay_legible():
    one_group = _awareness_table().iloc[[0]].reset_index(drop=True)
    assert_legible(charts.awareness_figure(one_group, "Awareness of the advice by agency", 5))
    top_hidden = pd.DataFrame(
        {"code_label": ["Often", "Rarely", "Never"], "n_participants": [C, 12, 9]}
    )
    assert_legible(charts.branch_figure(top_hidden, "What practitioners say", min_cell=5))
    names = ["IT systems and access", "Fear of getting it wrong", "Confusion about consent",
             "Unclear thresholds", "Children's social care", "Early help / family hub",
             "Police", "Health visiting"]  # fmt: skip
    matrix = pd.DataFrame(
        [[(i * 7 + j) % 13 for j in range(len(names))] for i in range(5)],
        index=[f"Barrier {i}" for i in range(5)],
        columns=names,
        dtype=object,
    )
    assert_legible(charts.heatmap_figure(matrix, "Co-occurrence of codes", min_cell=5))
