"""A typology of sites from their service-configuration features (objective 1).

Sites are clustered hierarchically on Gower's distance, which treats binary features as
present/absent and ordinal features by their range-scaled difference. Because a typology of
a handful of sites can hinge on the choice of distance, :func:`robustness` reruns the
clustering with other reasonable distances and reports how often pairs of sites are grouped
the same way (the Rand index and its chance-adjusted form). The heatmap and dendrogram are
drawn by :mod:`srim_analysis.charts.typology`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist

from srim_analysis.study.contract import SITE_FEATURES


def feature_matrix(
    site_features: pd.DataFrame, sites: pd.DataFrame, features: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return the site-by-feature matrix indexed by site display name."""
    features = list(features or SITE_FEATURES)
    unknown = [f for f in features if f not in site_features.columns]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; known: {list(SITE_FEATURES)}")
    names = sites.set_index("site_id")["display_name"]
    matrix = site_features.set_index("site_id")[features].astype(float)
    matrix.index = [names.get(s, s) for s in matrix.index]
    matrix.index.name = "site"
    return matrix


def scaled(matrix: pd.DataFrame) -> pd.DataFrame:
    """Return features rescaled to 0-1 by their declared maximum (binary stay 0/1)."""
    out = matrix.copy()
    for col in out.columns:
        lo = 1.0 if col in {"ilacs_grade", "idaci_decile"} else 0.0
        hi = float(SITE_FEATURES[col][1]) if col in SITE_FEATURES else float(out[col].max())
        out[col] = (out[col] - lo) / (hi - lo) if hi > lo else 0.0
    return out


def gower_distance(matrix: pd.DataFrame) -> np.ndarray:
    """Return the condensed Gower distance between sites (mean range-scaled difference).

    >>> m = pd.DataFrame({"front_door_mash": [1, 0], "hub_maturity": [2, 0]})
    >>> float(gower_distance(m)[0])
    1.0
    """
    return pdist(scaled(matrix).to_numpy(), metric="cityblock") / matrix.shape[1]


DISTANCES = {
    "gower": gower_distance,
    "euclidean": lambda m: pdist(scaled(m).to_numpy(), metric="euclidean"),
    "jaccard (features present)": lambda m: pdist(scaled(m).to_numpy() >= 0.5, metric="jaccard"),
}


@dataclass(frozen=True)
class Typology:
    """Clusters of sites: the linkage, each site's cluster and the distance used."""

    matrix: pd.DataFrame
    linkage: np.ndarray
    clusters: pd.Series
    distance: str
    method: str

    def profiles(self) -> pd.DataFrame:
        """Return the mean of each feature per cluster (0-1 scaled), with cluster sizes."""
        prof = scaled(self.matrix).groupby(self.clusters).mean().T.round(2)
        prof.columns = [f"type {c}" for c in prof.columns]
        sizes = self.clusters.value_counts().sort_index()
        prof.loc["n_sites"] = sizes.to_numpy()
        return prof

    def members(self) -> pd.DataFrame:
        """Return each site with its type."""
        return self.clusters.rename("type").rename_axis("site").reset_index()

    def tree(self) -> pd.DataFrame:
        """Return the dendrogram as a table: one row per merge, in the order they happen.

        ``left`` and ``right`` are the site names or earlier merges (``merge k``) joined at
        ``height`` (the distance), ``sites_below`` is how many sites the merge holds, and
        ``type`` names the type when all of them are of one type (blank when the merge joins
        types). The dendrogram chart is drawn from this table.
        """
        sites = list(self.matrix.index)
        members: list[list[str]] = [[s] for s in sites]
        names = list(sites)
        rows = []
        for k, (a, b, height, size) in enumerate(self.linkage, start=1):
            a, b = int(a), int(b)
            below = members[a] + members[b]
            types = set(self.clusters.loc[below])
            rows.append(
                {
                    "merge": f"merge {k}",
                    "left": names[a],
                    "right": names[b],
                    "height": round(float(height), 6),
                    "sites_below": int(size),
                    "type": f"type {types.pop()}" if len(types) == 1 else "",
                }
            )
            members.append(below)
            names.append(f"merge {k}")
        return pd.DataFrame(rows)


def cluster_sites(
    matrix: pd.DataFrame, n_types: int = 3, distance: str = "gower", method: str = "average"
) -> Typology:
    """Return a hierarchical clustering of sites into ``n_types`` types."""
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {list(DISTANCES)}")
    if not 1 <= n_types <= len(matrix):
        raise ValueError(f"n_types must be between 1 and the number of sites ({len(matrix)})")
    d = np.nan_to_num(DISTANCES[distance](matrix))
    link = hierarchy.linkage(d, method=method, optimal_ordering=True)
    labels = hierarchy.fcluster(link, t=n_types, criterion="maxclust")
    # number types by order of first appearance, so labels are stable and readable
    order = {old: new for new, old in enumerate(dict.fromkeys(labels), start=1)}
    clusters = pd.Series([order[c] for c in labels], index=matrix.index, name="type")
    return Typology(matrix, link, clusters, distance, method)


def rand_index(a: Sequence[int], b: Sequence[int]) -> tuple[float, float]:
    """Return the Rand index and the adjusted Rand index of two partitions.

    >>> rand_index([1, 1, 2, 2], [2, 2, 1, 1])
    (1.0, 1.0)
    """
    table = pd.crosstab(np.asarray(a), np.asarray(b)).to_numpy()
    n = table.sum()

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    total = n * (n - 1) / 2
    both, rows, cols = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
    rand = (total + 2 * both - rows - cols) / total if total else 1.0
    expected = rows * cols / total if total else 0.0
    max_index = (rows + cols) / 2
    ari = (both - expected) / (max_index - expected) if max_index != expected else 1.0
    return round(float(rand), 3), round(float(ari), 3)


def robustness(matrix: pd.DataFrame, n_types: int = 3, method: str = "average") -> pd.DataFrame:
    """Return how far each alternative distance reproduces the Gower typology."""
    base = cluster_sites(matrix, n_types, "gower", method).clusters
    rows = []
    for name in DISTANCES:
        alt = cluster_sites(matrix, n_types, name, method).clusters
        rand, ari = rand_index(base, alt)
        rows.append(
            {
                "distance": name,
                "rand_index": rand,
                "adjusted_rand": ari,
                "same_types": bool(rand == 1.0),
            }
        )
    return pd.DataFrame(rows)


def robustness_sentence(table: pd.DataFrame) -> str:
    """Return one sentence on how robust the typology is to the choice of distance."""
    alts = table[table["distance"] != "gower"]
    if alts["same_types"].all():
        return (
            "The same types come out with every distance tried "
            f"({', '.join(alts['distance'])}): the typology does not hinge on that choice."
        )
    worst = alts.sort_values("rand_index").iloc[0]
    return (
        f"The types depend partly on the distance: with {worst['distance']} "
        f"{worst['rand_index']:.0%} of site pairs are grouped as with Gower's distance "
        f"(adjusted Rand {worst['adjusted_rand']:.2f}); read the types as tentative."
    )
