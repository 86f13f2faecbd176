"""Charts of the transfer blueprint: the components-by-site grid and the adoption timeline."""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import to_rgb

from srim_analysis import disclosure
from srim_analysis.analyses import blueprint
from srim_analysis.charts import blueprint as charts
from srim_analysis.charts import style
from tests.charts.conftest import assert_legible


def test_blueprint_charts_on_the_synthetic_study(study):
    matrix = disclosure.publishable(blueprint.blueprint_matrix(study), disclosure.DEFAULT_MIN_CELL)
    fig = charts.blueprint_chart(matrix, focus="Brackwater")
    assert fig.axes[0].get_title(loc="left").startswith("Transfer blueprint")
    assert_legible(fig)
    order = blueprint.adoption_order(study, blueprint.blueprint_matrix(study))
    published = disclosure.publishable(
        order, disclosure.DEFAULT_MIN_CELL, count_columns=[], depends={}
    )
    timeline = charts.adoption_timeline(published, focus="Brackwater")
    assert len(timeline.axes[0].get_yticklabels()) == 4
    dots = [ln for ln in timeline.axes[0].lines if ln.get_marker() == "o"]
    assert len(dots) == len(order)
    assert_legible(timeline)


def _matrix() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site": ["One", "One", "Two", "Two"],
            "role": ["origin", "origin", "adopter", "adopter"],
            "component_id": ["A", "B", "A", "B"],
            "component": ["Alpha", "Beta", "Alpha", "Beta"],
            "status": ["present", "partial", "present", "absent"],
            "segments": [30, 6, 12, 0],
            "n_sources": [12, 3, 9, 0],
            "source_types": ["document, interview", "interview", "observation, interview", ""],
            "first_evidence": ["2023-01-02", "2023-05-01", "2024-02-01", ""],
        }
    )


def test_blueprint_chart_leaves_out_hidden_counts_and_says_so():
    published = disclosure.publishable(_matrix(), disclosure.DEFAULT_MIN_CELL)
    hidden = published["n_sources"].map(disclosure.is_suppressed)
    assert hidden.sum() >= 1 and bool(hidden.iloc[1])  # One's 3 sources of Beta
    fig = charts.blueprint_chart(published)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 3  # absent cells carry no text
    for text, value, is_hidden in zip(
        texts, published.loc[published["status"] != "absent", "n_sources"], hidden, strict=False
    ):
        assert text.startswith(f"{value} (") != is_hidden
    assert not any(t.startswith(("3 ", "c")) for t in texts)
    (note,) = [t.get_text() for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID]
    n = int(hidden.sum())
    assert note.replace("\n", " ") == (
        f"{n} cell{'' if n == 1 else 's'} without a number: the table hides the count of "
        "sources (c)."
    )


def test_blueprint_chart_with_nothing_hidden_has_no_note(study):
    matrix = blueprint.blueprint_matrix(study)
    published = disclosure.publishable(matrix, 1)
    fig = charts.blueprint_chart(published)
    assert not [t for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == (matrix["status"] != "absent").sum()
    assert all(t.split(" ")[0].isdigit() for t in texts)


def test_a_national_blueprint_stays_legible_with_the_focus_outlined():
    sites = [f"Synthetic Authority {i:03d}" for i in range(1, 21)]
    rows = [
        {
            "site": site,
            "role": "origin" if i == 0 else "adopter",
            "component_id": comp,
            "component": name,
            "status": ("present", "partial", "absent")[(i + k) % 3],
            "segments": 12,
            "n_sources": 3 if (i + k) % 7 == 0 else 9,
            "source_types": "document, interview",
            "first_evidence": "2024-02-01",
        }
        for i, site in enumerate(sites)
        for k, (comp, name) in enumerate([("A", "Named lead"), ("B", "Refreshed protocol")])
    ]
    published = disclosure.publishable(pd.DataFrame(rows), disclosure.DEFAULT_MIN_CELL)
    fig = charts.blueprint_chart(published, focus=sites[6])
    ax = fig.axes[0]
    bold = [t.get_text() for t in ax.get_xticklabels() if t.get_color() == style.FOCUS]
    assert bold == [f"{sites[6]} (adopter)"]
    outlined = [p for p in ax.patches if p.get_edgecolor()[:3] == to_rgb(style.FOCUS)]
    assert len(outlined) == 1 and outlined[0].get_x() == 6 - 0.5
    numbers = [t.get_text() for t in ax.texts]
    assert numbers and all(t.isdigit() for t in numbers)  # narrow cells: the number only
    assert_legible(fig)
