"""The chart of notebook 00: data volume per site, drawn from the published table."""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import to_rgb

from srim_analysis import disclosure
from srim_analysis.analyses import overview
from srim_analysis.charts import overview as overview_charts
from srim_analysis.charts import style
from tests.charts.conftest import assert_legible


def _published() -> pd.DataFrame:
    counts = pd.DataFrame(
        {
            "site_id": ["S1", "S2", "S3", "Total"],
            "site": ["One", "Two", "Three", "All"],
            "n_cases": [40, 3, 20, 63],
            "n_observations": [0, 12, 9, 21],
        }
    )
    return disclosure.publishable(counts, disclosure.DEFAULT_MIN_CELL)


def _note(fig) -> str:
    (note,) = [t for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID]
    return note.get_text().replace("\n", " ")


def test_hidden_counts_are_not_drawn_and_the_note_names_them():
    published = _published()
    hidden = published["n_cases"].map(disclosure.is_suppressed)
    assert list(published.loc[hidden, "site"]) == ["Two", "Three"]  # 3 and its complement
    fig = overview_charts.plot_data_volume(published, "Volume")
    ax = fig.axes[0]
    bars = [(round(b.get_x() + b.get_width() / 2, 3), b.get_height()) for b in ax.patches]
    heights = sorted(h for _, h in bars)
    assert heights == [0, 9, 12, 40]  # no bar for the 3 or 20 cases the table hides
    assert 3 not in heights and 20 not in heights and 63 not in heights  # nor the total
    assert [t.get_text() for t in ax.texts] == []  # no label for a hidden count
    assert _note(fig) == "Not shown, as the table hides them (c): audited cases at Two, Three."
    assert [t.get_text() for t in ax.get_xticklabels()] == ["One", "Two", "Three"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [  # below the axes
        "Audited cases",
        "Observed meetings",
    ]


def test_data_volume_of_the_study_draws_every_shown_count(study):
    published = disclosure.publishable(
        overview.audit_observation_counts(study), disclosure.DEFAULT_MIN_CELL
    )
    fig = overview_charts.plot_data_volume(published, "Volume")
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) == len(study.sites)
    sites = published[published["site_id"] != "Total"]
    cells = sites[list(overview_charts.VOLUME_LABELS)].to_numpy().ravel()
    hidden = [disclosure.is_suppressed(v) for v in cells]
    assert sum(hidden) >= 2  # Harrowmere's 2 observed meetings and a complement
    assert len(ax.patches) == len(cells) - sum(hidden)
    drawn = sorted(b.get_height() for b in ax.patches)
    assert drawn == sorted(int(v) for v, h in zip(cells, hidden, strict=True) if not h)
    assert "Harrowmere" in _note(fig)
    assert_legible(fig)


def test_data_volume_at_national_scale_names_only_the_focus_site():
    n = 150
    counts = pd.DataFrame(
        {
            "site_id": [f"S{i:03d}" for i in range(1, n + 1)] + ["Total"],
            "site": [f"Synthetic Authority {i:03d}" for i in range(1, n + 1)] + ["All"],
            "n_cases": [20 + i % 30 for i in range(n)] + [sum(20 + i % 30 for i in range(n))],
        }
    )
    published = disclosure.publishable(counts, disclosure.DEFAULT_MIN_CELL)
    fig = overview_charts.plot_data_volume(published, "Volume", focus="Synthetic Authority 042")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Synthetic Authority 042"]
    assert ax.get_xticklabels()[0].get_color() == style.FOCUS
    outlined = [b for b in ax.patches if b.get_edgecolor()[:3] == to_rgb(style.FOCUS)]
    assert len(outlined) == 1 and outlined[0].get_height() == 20 + 41 % 30
    assert "150 sites" in ax.get_xlabel()
    assert_legible(fig)
    few = overview_charts.plot_data_volume(_published(), "Volume", focus="Two")
    assert [
        t.get_text() for t in few.axes[0].get_xticklabels() if t.get_color() == style.FOCUS
    ] == ["Two"]
