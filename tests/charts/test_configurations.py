"""The QCA charts of objective 1: calibration curve and XY plots, drawn from published tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from srim_analysis.analyses import configurations as sc
from srim_analysis.charts import configurations as config_charts
from srim_analysis.charts.style import FOCUS, LEFT_OUT_GID
from srim_analysis.disclosure import SUPPRESSION_MARK as C
from tests.analyses.test_configurations import ANCHORS, CONDITIONS
from tests.charts.conftest import assert_legible


def notes(fig) -> list[str]:
    """Return the texts of the figure's left-out notes."""
    return [t.get_text() for t in fig.texts if t.get_gid() == LEFT_OUT_GID]


def published_calibration() -> pd.DataFrame:
    """Return a calibration table as published: site Q's count (2 of 16) is hidden."""
    return pd.DataFrame(
        {
            "site": ["P", "Q", "R", "S"],
            "n_yes": [40, C, 20, 30],
            "n_cases": [60, 16, 50, 50],
            "prop": [0.667, C, 0.4, 0.6],
            "membership": [0.96, C, 0.32, 0.92],
            "in_set": ["in", C, "out", "in"],
        },
        dtype=object,
    )


def test_calibration_plot_leaves_out_a_hidden_site_and_says_so():
    fig = config_charts.plot_calibration(published_calibration(), ANCHORS, "Calibration")
    ax = fig.axes[0]
    points = ax.collections[0].get_offsets()
    assert np.asarray(points).tolist() == [[0.667, 0.96], [0.4, 0.32], [0.6, 0.92]]
    labels = {t.get_text() for t in ax.texts}
    assert labels == {"P", "R", "S"}  # no label for Q
    # nothing is drawn at Q's true proportion (2/16) or its membership
    assert not np.isclose(np.asarray(points)[:, 0], 2 / 16).any()
    assert notes(fig) == ["1 site not shown: its outcome count is hidden in the published table."]


def test_calibration_plot_of_a_fully_shown_table_has_no_note(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    table = sc.calibration_table(sc.site_outcome(study, since="2024-07-01"), data, "SHARE")
    fig = config_charts.plot_calibration(table, ANCHORS, "Calibration")
    assert len(fig.axes[0].collections[0].get_offsets()) == len(table)
    assert notes(fig) == []
    assert_legible(fig)
    assert {t.get_text() for t in fig.axes[0].texts if t.get_visible()} >= set(table["site"])


def test_calibration_plot_draws_the_curve_and_anchors():
    ax = config_charts.plot_calibration(published_calibration(), ANCHORS, "Calibration").axes[0]
    curve = ax.lines[0]
    assert len(curve.get_xdata()) == len(sc.calibration_curve(ANCHORS))
    anchors = sorted(line.get_xdata()[0] for line in ax.lines[1:])
    assert anchors == [ANCHORS.exclusion, ANCHORS.crossover, ANCHORS.inclusion]


def published_xy() -> pd.DataFrame:
    """Return XY points as published: sites Q and T have their outcome membership hidden."""
    return pd.DataFrame(
        {
            "site": ["P", "Q", "R", "T"],
            "n_yes": [40, C, 20, C],
            "n_cases": [60, 16, 50, 45],
            "x": [1.0, 0.0, 0.0, 1.0],
            "y": [0.96, C, 0.32, C],
            "consistency": [0.9, 0.9, 0.9, 0.9],
            "coverage": [0.75, 0.75, 0.75, 0.75],
        },
        dtype=object,
    )


def test_xy_plot_draws_only_shown_points_states_fit_and_note():
    fig = config_charts.plot_xy(published_xy(), "EH*FL", "SHARE", "XY")
    ax = fig.axes[0]
    assert np.asarray(ax.collections[0].get_offsets()).tolist() == [[1.0, 0.96], [0.0, 0.32]]
    texts = {t.get_text() for t in ax.texts}
    assert {"P", "R"} <= texts and not {"Q", "T"} & texts
    assert "consistency 0.90\ncoverage 0.75" in texts
    assert ax.get_xlabel() == "Membership in EH*FL"
    assert ax.get_ylabel() == "Membership in SHARE"
    assert notes(fig) == [
        "2 sites not shown: their outcome count is hidden in the published table."
    ]


def test_xy_table_carries_the_counts_points_and_fit(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    rates = sc.site_outcome(study, since="2024-07-01")
    xy = sc.xy_membership(data, "EH*FL", "SHARE")
    table = sc.xy_table(rates, xy)
    assert list(table.columns) == [
        "site",
        "n_yes",
        "n_cases",
        "x",
        "y",
        "consistency",
        "coverage",
    ]
    assert table["site"].tolist() == list(data.index)
    assert table["n_yes"].tolist() == rates["n_yes"].tolist()
    assert table["y"].tolist() == data["SHARE"].tolist()
    fig = config_charts.plot_xy(table, "EH*FL", "SHARE", "XY")
    assert len(fig.axes[0].collections[0].get_offsets()) == len(data) and notes(fig) == []
    assert_legible(fig)


def test_the_focus_site_is_drawn_and_labelled_in_the_house_colour(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    table = sc.calibration_table(sc.site_outcome(study, since="2024-07-01"), data, "SHARE")
    fig = config_charts.plot_calibration(table, ANCHORS, "Calibration", focus="Dunmere")
    ax = fig.axes[0]
    (mine,) = [c for c in ax.collections if to_hex(c.get_facecolor()[0]).upper() == FOCUS]
    row = table[table["site"] == "Dunmere"].iloc[0]
    assert mine.get_offsets().tolist() == [[row["prop"], row["membership"]]]
    (label,) = [t for t in ax.texts if t.get_text() == "Dunmere"]
    assert label.get_color() == FOCUS and label.get_fontweight() == "bold"
    assert_legible(fig)
