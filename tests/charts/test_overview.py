"""The chart of notebook 00: data volume per site, with small counts hidden."""

from __future__ import annotations

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import overview
from srim_analysis.charts import overview as overview_charts


def _counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": ["S1", "S2", "Total"],
            "site": ["One", "Two", "All sites"],
            "n_cases": [40, 3, 43],
            "n_observations": [0, 12, 12],
        }
    )


def test_small_counts_are_drawn_empty_and_marked():
    fig = overview_charts.plot_data_volume(_counts(), "Volume", disclosure.DEFAULT_MIN_CELL)
    ax = fig.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [40, 0, 0, 12]  # the total row is not drawn; 3 cases hidden
    marks = [t.get_text() for t in ax.texts]
    assert marks == [disclosure.SUPPRESSION_MARK]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["One", "Two"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Audited cases",
        "Observed meetings",
    ]


def test_data_volume_of_the_study_draws_every_site(study):
    counts = overview.audit_observation_counts(study)
    fig = overview_charts.plot_data_volume(counts, "Volume", disclosure.DEFAULT_MIN_CELL)
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) == len(study.sites)
    assert len(ax.patches) == 3 * len(study.sites)
    small = (
        counts[["n_cases", "n_observations", "n_documents"]].iloc[:-1] < disclosure.DEFAULT_MIN_CELL
    )
    small = small.to_numpy()
    assert len(ax.texts) == small.sum() == 1  # Harrowmere's 2 observed meetings
