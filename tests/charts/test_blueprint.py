"""Charts of the transfer blueprint: the components-by-site grid and the adoption timeline."""

from __future__ import annotations

from srim_analysis.analyses import blueprint
from srim_analysis.charts import blueprint as charts


def test_blueprint_charts_on_the_synthetic_study(study):
    matrix = blueprint.blueprint_matrix(study)
    fig = charts.blueprint_chart(matrix, focus="Brackwater")
    assert fig.axes[0].get_title(loc="left").startswith("Transfer blueprint")
    order = blueprint.adoption_order(study, matrix)
    timeline = charts.adoption_timeline(order, focus="Brackwater")
    assert len(timeline.axes[0].get_yticklabels()) == 4


def test_blueprint_chart_shows_c_where_the_tables_suppress(study):
    matrix = blueprint.blueprint_matrix(study)
    fig = charts.blueprint_chart(matrix, min_cell=10_000)
    texts = [t.get_text() for t in fig.axes[0].texts]
    shown = (matrix["status"] != "absent").sum()
    assert len(texts) == shown and all(t.startswith("c (") for t in texts)
