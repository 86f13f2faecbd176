"""Site typology: Gower distance, clustering and robustness (the figures: tests/charts)."""

from __future__ import annotations

import pandas as pd
import pytest

from srim_analysis.analyses import typology


def two_groups() -> pd.DataFrame:
    """Return six sites in two planted groups of three (shared with the chart tests)."""
    rows = {
        "A": [1, 2, 1, 2, 0],
        "B": [1, 2, 1, 1, 0],
        "C": [1, 1, 1, 2, 0],
        "D": [0, 0, 0, 0, 1],
        "E": [0, 0, 0, 1, 1],
        "F": [0, 1, 0, 0, 1],
    }
    return pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=[
            "front_door_mash",
            "hub_maturity",
            "father_inclusion_lead",
            "father_fields_in_records",
            "shared_assessment",
        ],
    )


def test_gower_distance_by_hand():
    m = two_groups()
    d = typology.gower_distance(m)
    # A vs B: |0| + |0| + |0| + |2-1|/2 + 0 over 5 features = 0.1
    assert d[0] == pytest.approx(0.1)
    # A vs D: 1 + 1 + 1 + 1 + 1 over 5 = 1
    assert d[2] == pytest.approx(1.0)


def test_clusters_recover_planted_groups():
    ty = typology.cluster_sites(two_groups(), n_types=2)
    assert ty.clusters[["A", "B", "C"]].nunique() == 1
    assert ty.clusters[["D", "E", "F"]].nunique() == 1
    assert ty.clusters["A"] != ty.clusters["D"]
    prof = ty.profiles()
    assert prof.loc["n_sites"].tolist() == [3, 3]
    assert prof.loc["front_door_mash"].tolist() == [1.0, 0.0]


def test_rand_index_known_values():
    assert typology.rand_index([1, 1, 2, 2], [1, 1, 2, 2]) == (1.0, 1.0)
    rand, ari = typology.rand_index([1, 1, 2, 2], [1, 2, 1, 2])
    assert rand == pytest.approx(2 / 6, abs=1e-3)  # only pairs (1,4) and (2,3) agree
    assert ari < 0


def test_robustness_reports_every_distance_and_a_sentence():
    table = typology.robustness(two_groups(), n_types=2)
    assert set(table["distance"]) == set(typology.DISTANCES)
    assert table["same_types"].all()
    assert "does not hinge" in typology.robustness_sentence(table)


def test_feature_matrix_uses_site_names(study):
    m = typology.feature_matrix(study.site_features, study.sites, ["front_door_mash"])
    assert m.index[0] == "Ashcombe"
    with pytest.raises(ValueError, match="unknown feature"):
        typology.feature_matrix(study.site_features, study.sites, ["nope"])


def test_tree_lists_the_merges_with_heights_and_types():
    ty = typology.cluster_sites(two_groups(), n_types=2)
    tree = ty.tree()
    assert list(tree.columns) == ["merge", "left", "right", "height", "sites_below", "type"]
    assert tree["merge"].tolist() == [f"merge {k}" for k in range(1, 6)]
    assert tree["height"].tolist() == pytest.approx(ty.linkage[:, 2].tolist())
    assert tree["sites_below"].tolist() == ty.linkage[:, 3].astype(int).tolist()
    # A and B differ in one ordinal step only (Gower 0.1): the first merge
    assert {tree.loc[0, "left"], tree.loc[0, "right"]} == {"A", "B"}
    assert tree.loc[0, "height"] == pytest.approx(0.1)
    # four merges within the two planted types, then the one joining them
    a, d = ty.clusters["A"], ty.clusters["D"]
    assert sorted(tree["type"][:4]) == sorted([f"type {a}"] * 2 + [f"type {d}"] * 2)
    last = tree.iloc[-1]
    assert last["type"] == "" and last["sites_below"] == 6
    assert {last["left"], last["right"]} <= set(tree["merge"])
