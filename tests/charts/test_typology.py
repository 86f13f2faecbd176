"""The typology's charts: the annotated feature heatmap and the dendrogram."""

from __future__ import annotations

import numpy as np

from srim_analysis.analyses import typology
from srim_analysis.charts import typology as typology_charts
from tests.analyses.test_typology import two_groups


def test_heatmap_and_dendrogram_artists():
    m = two_groups()
    fig = typology_charts.plot_feature_heatmap(m, "Features")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == m.size and texts[:6] == ["1", "1", "1", "0", "0", "0"]
    ty = typology.cluster_sites(m, 2)
    fig = typology_charts.plot_dendrogram(ty, "Types")
    labels = {t.get_text() for t in fig.axes[0].get_xticklabels()}
    assert labels == set(m.index)
    assert np.isfinite(ty.linkage).all()


def test_chart_titles_and_dendrogram_axis_name_the_distance():
    m = two_groups()
    heatmap = typology_charts.plot_feature_heatmap(m, "Features").axes[0]
    assert heatmap.get_title(loc="left") == "Features"
    ty = typology.cluster_sites(m, 2, distance="euclidean")
    ax = typology_charts.plot_dendrogram(ty, "Types").axes[0]
    assert ax.get_ylabel() == "Euclidean distance"
