"""Tests for srim_analysis.charts.style: the house style's shared pieces."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from srim_analysis.charts import style


def test_shown_values_reads_hidden_and_blank_cells_as_missing():
    values = style.shown_values(pd.Series([4, "c", None, "0.5", np.nan]))
    assert values[0] == 4 and values[3] == 0.5
    assert np.isnan(values[[1, 2, 4]]).all()


def test_the_left_out_note_sits_under_the_figure_and_is_found_by_its_gid():
    fig, _ax = style.new_figure("half")
    assert style.left_out_note(fig, "") is None
    note = style.left_out_note(fig, "2 sites with fewer than 5 cases are not shown")
    assert note.get_gid() == style.LEFT_OUT_GID and note.get_position()[1] < 0
    assert [t.get_text() for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID] == [
        "2 sites with fewer than 5 cases are not shown"
    ]
    plt.close(fig)


def test_text_collisions_and_outside_find_what_a_reader_could_not_read():
    fig, ax = style.new_figure("half")
    ax.set_title("A title")
    ax.text(0.5, 0.5, "one", transform=ax.transAxes)
    assert style.text_collisions(fig) == [] and style.text_outside(fig) == []
    ax.text(0.52, 0.5, "two", transform=ax.transAxes)  # on top of "one"
    ax.text(1.4, 0.5, "off the page", transform=ax.transAxes)
    hidden = ax.text(0.5, 0.5, "hidden", transform=ax.transAxes)
    hidden.set_visible(False)  # not drawn: not checked
    assert style.text_collisions(fig) == [("one", "two")]
    assert style.text_outside(fig) == ["off the page"]
    plt.close(fig)


def test_the_left_out_note_may_sit_below_the_figure_but_not_beyond_its_width():
    fig, _ax = style.new_figure("half")
    style.left_out_note(fig, "A long note about what the figure leaves out. " * 6)
    assert style.text_outside(fig) == []  # wrapped to the figure's width when drawn
    fig.text(0.5, -0.2, "a plain text below the figure")
    assert style.text_outside(fig) == ["a plain text below the figure"]
    plt.close(fig)


def test_place_labels_never_overlaps_and_keeps_the_focus_first():
    fig, ax = style.new_figure("half")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    xs = [0.5 + 0.001 * k for k in range(30)]
    names = [f"Site number {k}" for k in range(30)]
    dropped = style.place_labels(ax, xs, [0.5] * 30, names, focus="Site number 29")
    shown = [t.get_text() for t in ax.texts if t.get_visible()]
    assert "Site number 29" in shown and "Site number 29" not in dropped
    assert sorted(shown + dropped) == sorted(names) and dropped  # 30 labels cannot all fit
    assert style.text_collisions(fig) == [] and style.text_outside(fig) == []
    focus = next(t for t in ax.texts if t.get_text() == "Site number 29")
    assert focus.get_color() == style.FOCUS and focus.get_fontweight() == "bold"
    plt.close(fig)
