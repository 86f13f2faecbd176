"""The joint-display chart: what it draws, what it leaves out, and that it is legible."""

from __future__ import annotations

import numpy as np
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import joint_displays as analyses
from srim_analysis.charts import joint_displays as charts
from srim_analysis.charts import style
from tests.charts.conftest import assert_legible


def _display() -> pd.DataFrame:
    """Return a published-like joint display: four rows, one hidden, one not measured."""
    return pd.DataFrame(
        {
            "site": ["One", "One", "Two", "Three"],
            "verdict": ["agree", "differ", "cannot be compared", "cannot be compared"],
            "numbers_gap": [15.0, 12.0, np.nan, 4.0],
            "talk_gap": [11.0, -20.0, 3.0, np.nan],
        }
    )


def _points(fig) -> np.ndarray:
    """Return every plotted point (x, y) of the figure's scatter collections."""
    offsets = [c.get_offsets() for c in fig.axes[0].collections if len(c.get_offsets())]
    return np.vstack(offsets) if offsets else np.empty((0, 2))


def test_only_comparable_rows_are_drawn_and_the_rest_is_said():
    fig = charts.joint_chart(_display(), margin=10.0, focus="One", title="T")
    points = {tuple(p) for p in _points(fig).tolist()}
    assert points == {(15.0, 11.0), (12.0, -20.0)}  # the focus ring repeats One's points
    notes = [t for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID]
    assert len(notes) == 1 and notes[0].get_text().startswith("2 of 4 rows are not drawn")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["agree", "differ", "One"]
    assert_legible(fig)


def test_nothing_comparable_draws_nothing():
    table = _display().assign(numbers_gap=np.nan)
    assert charts.joint_chart(table, margin=10.0) is None


def test_chart_of_the_synthetic_joint_display(study):
    theme = analyses.study_joint_plan(study).for_objective(2)
    audit = disclosure.publishable(
        analyses.audit_evidence(study, theme[0].indicators), 5, depends=analyses.AUDIT_DEPENDS
    )
    survey = disclosure.publishable(
        analyses.survey_evidence(study, theme[0].survey), 5, depends=analyses.SURVEY_DEPENDS
    )
    talk = disclosure.publishable(
        analyses.talk_evidence(study, theme),
        5,
        depends=analyses.TALK_DEPENDS,
        sums=analyses.TALK_SUMS,
    )
    display = analyses.joint_display(theme, audit, survey, talk)
    fig = charts.joint_chart(display, margin=10.0, focus="Ashcombe")
    comparable = display["verdict"] != "cannot be compared"
    focus_points = int((comparable & (display["site"] == "Ashcombe")).sum())
    assert len(_points(fig)) == int(comparable.sum()) + focus_points
    assert_legible(fig)
