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
