"""The typology's charts: the feature heatmap and the dendrogram, from published tables."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from srim_analysis.analyses import typology
from srim_analysis.charts import style
from srim_analysis.charts import typology as typology_charts
from srim_analysis.charts.style import LEFT_OUT_GID
from srim_analysis.disclosure import SUPPRESSION_MARK
from tests.analyses.test_typology import two_groups
from tests.charts.conftest import assert_legible


def published_matrix():
    """Return the two-group matrix as a published table (``site`` column, object cells)."""
    return two_groups().rename_axis("site").reset_index().astype(object)


def test_heatmap_annotates_every_shown_value():
    m = two_groups()
    fig = typology_charts.plot_feature_heatmap(published_matrix(), "Features")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == m.size and texts[:6] == ["1", "1", "1", "0", "0", "0"]
    assert {t.get_text() for t in ax.get_xticklabels()} == set(m.index)
    assert not [t for t in fig.texts if t.get_gid() == LEFT_OUT_GID]


def test_heatmap_leaves_a_hidden_cell_blank_and_says_so():
    table = published_matrix()
    table.loc[3, "hub_maturity"] = SUPPRESSION_MARK  # site D's value 0 is hidden
    fig = typology_charts.plot_feature_heatmap(table, "Features")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == two_groups().size - 1
    # the hub_maturity row (second row) has five labels, D's is missing: 2, 2, 1, 0, 1
    assert texts[6:11] == ["2", "2", "1", "0", "1"]
    mesh = ax.collections[0].get_array()
    assert np.ma.count_masked(mesh) == 1
    note = [t.get_text() for t in fig.texts if t.get_gid() == LEFT_OUT_GID]
    assert note == ["1 value hidden in the published table left blank."]


def test_dendrogram_is_drawn_from_the_published_tree():
    ty = typology.cluster_sites(two_groups(), 2)
    tree = ty.tree().astype(object)
    link, leaves = typology_charts.linkage_of(tree)
    assert sorted(leaves) == sorted(two_groups().index)
    # the same tree: each merge joins the same sites at the same height
    assert link[:, 2].tolist() == pytest.approx(ty.linkage[:, 2].tolist())
    assert link[:, 3].tolist() == ty.linkage[:, 3].tolist()
    fig = typology_charts.plot_dendrogram(tree, ty.distance, "Types")
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.get_xticklabels()} == set(two_groups().index)
    tops = sorted(
        round(float(np.max(seg[:, 1])), 6) for coll in ax.collections for seg in coll.get_segments()
    )
    assert tops == pytest.approx(sorted(ty.linkage[:, 2].round(6).tolist()))
    assert ax.get_title(loc="left") == "Types"


def test_dendrogram_axis_names_the_distance():
    ty = typology.cluster_sites(two_groups(), 2, distance="euclidean")
    ax = typology_charts.plot_dendrogram(ty.tree(), ty.distance, "Types").axes[0]
    assert ax.get_ylabel() == "Euclidean distance"


def test_site_types_are_keyed_to_the_dendrograms_colours_and_legible(study):
    matrix = typology.feature_matrix(study.site_features, study.sites)
    ty = typology.cluster_sites(matrix, 3)
    tree = ty.tree().astype(object)
    types = typology_charts.leaf_types(tree)
    clusters = {site: f"type {k}" for site, k in ty.clusters.items()}
    assert types == {
        s: t for s, t in clusters.items() if list(ty.clusters).count(ty.clusters[s]) > 1
    }
    colours = typology_charts.type_colours(types.values())
    fig = typology_charts.plot_dendrogram(tree, ty.distance, "Site types", focus="Dunmere")
    ax = fig.axes[0]
    legend = {
        t.get_text(): h.get_color()
        for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
    }
    assert legend == colours
    for tick in ax.get_xticklabels():
        name = tick.get_text().replace("\n", " ")
        if name == "Dunmere":
            assert tick.get_color() == style.FOCUS and tick.get_fontweight() == "bold"
        elif name in types:
            assert tick.get_color() == colours[types[name]]  # the site's name in its type's colour
    link_colours = {to_hex(c) for coll in ax.collections for c in coll.get_colors()}
    assert set(colours.values()) <= {c.upper() for c in link_colours} | set(colours.values())
    assert_legible(fig)
    published = matrix.rename_axis("site").reset_index().astype(object)
    heat = typology_charts.plot_feature_heatmap(published, "Features", types=types, focus="Dunmere")
    for tick in heat.axes[0].get_xticklabels():
        name = tick.get_text().replace("\n", " ")
        if name in types and name != "Dunmere":
            assert tick.get_color() == colours[types[name]]
    assert_legible(heat)
