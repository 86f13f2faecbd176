"""Agreement between coders: how far two or more people coding the same sources agree.

Exports of the QDA packages (and a study's ``coded_segments`` table, with its ``coder``
column) can hold the same source coded by more than one person. A source is **double
coded** when rows of it carry two or more coders; only double-coded sources enter the
measures, and each coder of such a source is taken to have coded all of it (a code a coder
did not apply is a code they judged absent).

**Units.** Agreement is measured on the presence or absence of each code in a unit:

* **by source** - the unit is a double-coded source: for each code, did each coder apply
  it anywhere in the source (1) or not (0)?
* **by segment** - the unit is a stretch of a double-coded source's text that some coder
  coded. The overlap rule: two coded stretches of the same source (any coders) are one
  unit when they share a ``segment_id``, or both have positions (``start``/``end``) and
  their ranges overlap (``start < other end`` and ``other start < end``), or one of them
  has no positions and their excerpts are the same text (whitespace runs read as one
  space). Units are the connected groups this rule makes, so a long stretch one coder
  coded joins the shorter stretches another coder coded inside it. For each code, did each
  coder apply it to any stretch of the unit (1) or not (0)?

For one code the reliability data are then a units x coders table of 0/1 (blank where a
coder did not code the unit's source); the overall figure pools every code's units.

**Measures.** ``pct_agreement``: the share of pairs of coders agreeing, over every unit
(for two coders, the share of units they agree on), in percent. ``kappa``: Cohen's kappa
(:func:`statsmodels.stats.inter_rater.cohens_kappa`), given when the double-coded units
were coded by the same two coders throughout, else blank. ``alpha``: Krippendorff's alpha
for nominal data (the ``krippendorff`` package), for two or more coders and missing
values. Both are blank when undefined (every unit has the same value, e.g. a code no coder
applied, so chance agreement is complete). Checked against published worked examples in
``tests/reference/agreement/``.

**Poor agreement.** A code is flagged ``poor`` when its alpha is below
:data:`POOR_ALPHA` (0.667), the level below which Krippendorff (2004, *Content
Analysis*, 2nd ed., p. 241) advises against drawing even tentative conclusions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

__all__ = [
    "AGREEMENT_DEPENDS",
    "COUNT_COLUMNS",
    "NOT_COUNTS",
    "POOR",
    "POOR_ALPHA",
    "UNITS",
    "Agreement",
    "agreement_table",
    "coder_stats",
    "double_coded",
    "overall_agreement",
    "poor_codes",
    "presence",
    "reliability_matrix",
    "segment_units",
]

Unit = Literal["source", "segment"]
#: The units agreement is measured on (see the module docstring).
UNITS: tuple[Unit, ...] = ("source", "segment")
#: Krippendorff's alpha below which a code's agreement is poor (no tentative conclusions).
POOR_ALPHA: float = 0.667
#: The flag a code with poor agreement gets in the ``flag`` column.
POOR = "poor"
#: Count columns of the agreement tables (units compared, units where the code was applied).
COUNT_COLUMNS: tuple[str, ...] = ("n_units", "n_coded")
#: Columns that are whole numbers but not counts of units (``Report.publish(not_counts=)``).
NOT_COUNTS: tuple[str, ...] = ("coders", "codes")
#: Every statistic rests on both counts: hidden with either (``Report.publish(depends=)``).
AGREEMENT_DEPENDS: dict[str, tuple[str, ...]] = {
    col: COUNT_COLUMNS for col in ("pct_agreement", "kappa", "alpha", "flag")
}
TABLE_COLUMNS = [
    "code_id",
    "code",
    "theme",
    "n_units",
    "n_coded",
    "coders",
    "pct_agreement",
    "kappa",
    "alpha",
    "flag",
]
OVERALL_COLUMNS = [
    "unit",
    "n_units",
    "n_coded",
    "codes",
    "coders",
    "pct_agreement",
    "kappa",
    "alpha",
    "flag",
]
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Agreement:
    """Agreement on one set of reliability data: units, coders and the three measures."""

    n_units: int
    n_coded: int
    n_coders: int
    pct_agreement: float
    kappa: float
    alpha: float


def _coders(codings: pd.DataFrame) -> pd.Series:
    """Return each row's coder as text ('' when blank or when there is no coder column)."""
    if "coder" not in codings.columns:
        return pd.Series("", index=codings.index, dtype=object)
    return codings["coder"].astype(object).where(codings["coder"].notna(), "").astype(str)


def double_coded(codings: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of sources coded by two or more coders, with ``coder`` as text.

    >>> rows = pd.DataFrame({"source_id": ["s1", "s1", "s2"], "coder": ["x", "y", "x"],
    ...                      "segment_id": ["a", "a", "b"], "code_id": ["k", "k", "k"]})
    >>> double_coded(rows)["source_id"].tolist()
    ['s1', 's1']
    """
    out = codings.assign(coder=_coders(codings))
    n = out.groupby("source_id")["coder"].transform("nunique")
    return out[n >= 2].reset_index(drop=True)


def _position(value: object) -> int | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else int(number)


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _SPACE.sub(" ", str(value)).strip()


def _same_unit(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    """Return True when two coded stretches of one source are one unit (the overlap rule)."""
    if a["segment_id"] == b["segment_id"]:
        return True
    a0, a1, b0, b1 = a["start"], a["end"], b["start"], b["end"]
    if None not in (a0, a1, b0, b1):
        return a0 < b1 and b0 < a1  # type: ignore[operator]
    return bool(a["excerpt"]) and a["excerpt"] == b["excerpt"]


def _components(pieces: Sequence[Mapping[str, object]]) -> list[int]:
    """Return a group number for each piece: pieces linked by the overlap rule share one."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(pieces)):
        for j in range(i + 1, len(pieces)):
            if _same_unit(pieces[i], pieces[j]):
                parent[root(j)] = root(i)
    roots: dict[int, int] = {}
    return [roots.setdefault(root(i), len(roots)) for i in range(len(pieces))]


def segment_units(codings: pd.DataFrame) -> pd.Series:
    """Return each double-coded row's segment unit id (``<source_id>#<n>``), by the overlap rule.

    ``codings`` are rows of :func:`double_coded`; the result is indexed like them.

    >>> rows = pd.DataFrame({"source_id": ["s"] * 3, "coder": ["x", "y", "y"],
    ...     "segment_id": ["s.1", "s.2", "s.3"], "code_id": ["k"] * 3,
    ...     "start": [0, 5, 40], "end": [10, 12, 50]})
    >>> segment_units(rows).tolist()
    ['s#1', 's#1', 's#2']
    """
    n = len(codings)
    column = {
        c: (codings[c].tolist() if c in codings.columns else [None] * n)
        for c in ("source_id", "segment_id", "coder", "start", "end", "excerpt")
    }
    pieces_of: dict[str, dict[tuple[str, str], dict[str, object]]] = {}
    for i in range(n):
        key = (str(column["segment_id"][i]), str(column["coder"][i]))
        piece = pieces_of.setdefault(str(column["source_id"][i]), {}).setdefault(
            key,
            {
                "segment_id": key[0],
                "start": _position(column["start"][i]),
                "end": _position(column["end"][i]),
                "excerpt": _text(column["excerpt"][i]),
                "rows": [],
            },
        )
        piece["rows"].append(i)  # type: ignore[union-attr]
    units = np.empty(n, dtype=object)
    for source, by_key in pieces_of.items():
        pieces = sorted(
            by_key.values(),
            key=lambda p: (p["start"] is None, p["start"] or 0),
        )
        for group, piece in zip(_components(pieces), pieces, strict=True):
            units[piece["rows"]] = f"{source}#{group + 1}"  # type: ignore[index]
    return pd.Series(units, index=codings.index, dtype=object)


def presence(codings: pd.DataFrame, unit: Unit = "source") -> pd.DataFrame:
    """Return who coded what in each unit of the double-coded sources.

    Columns ``unit_id``, ``source_id``, ``coder``, ``code_id``: one row per code a coder
    applied in a unit (any number of times). Units are sources or segment units
    (:func:`segment_units`).
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)} (not {unit!r}).")
    rows = double_coded(codings)
    ids = rows["source_id"].astype(str) if unit == "source" else segment_units(rows)
    out = pd.DataFrame(
        {
            "unit_id": ids.to_numpy(),
            "source_id": rows["source_id"].astype(str).to_numpy(),
            "coder": rows["coder"].to_numpy(),
            "code_id": rows["code_id"].astype(str).to_numpy(),
        }
    )
    return out.drop_duplicates().reset_index(drop=True)


def _blank_matrix(present: pd.DataFrame) -> pd.DataFrame:
    """Return units x coders: 0 where the coder coded the unit's source, NaN where not."""
    units = present[["unit_id", "source_id"]].drop_duplicates("unit_id")
    coders = sorted(present["coder"].unique())
    pairs = present[["source_id", "coder"]].drop_duplicates()
    cells = units.merge(pairs, on="source_id")
    matrix = pd.DataFrame(np.nan, index=pd.Index(units["unit_id"], name="unit_id"), columns=coders)
    rows = matrix.index.get_indexer(cells["unit_id"])
    cols = matrix.columns.get_indexer(cells["coder"])
    values = matrix.to_numpy(copy=True)
    values[rows, cols] = 0.0
    return pd.DataFrame(values, index=matrix.index, columns=matrix.columns)


def _code_matrix(blank: pd.DataFrame, present: pd.DataFrame, code: str) -> pd.DataFrame:
    """Return ``blank`` with 1 where a coder applied ``code`` in a unit."""
    hits = present[present["code_id"] == code]
    values = blank.to_numpy(copy=True)
    values[blank.index.get_indexer(hits["unit_id"]), blank.columns.get_indexer(hits["coder"])] = 1
    return pd.DataFrame(values, index=blank.index, columns=blank.columns)


def reliability_matrix(present: pd.DataFrame, code: str) -> pd.DataFrame:
    """Return one code's reliability data: units x coders, 1 applied, 0 not, NaN not coding.

    ``present`` is :func:`presence`; a coder codes every unit of the sources they coded.
    """
    return _code_matrix(_blank_matrix(present), present, code)


def _pct_agreement(values: np.ndarray) -> float:
    """Return the share (%) of pairs of coders agreeing, over units with two or more coders."""
    coded = (~np.isnan(values)).sum(axis=1)
    pairs = float((coded * (coded - 1)).sum()) / 2
    if pairs == 0:
        return float("nan")
    agree = 0.0
    for value in np.unique(values[~np.isnan(values)]):
        same = (values == value).sum(axis=1)
        agree += float((same * (same - 1)).sum()) / 2
    return 100 * agree / pairs


def _kappa(values: np.ndarray) -> float:
    """Return Cohen's kappa of two coders (columns) over the units both coded (NaN if undefined)."""
    if values.shape[1] != 2:
        return float("nan")
    both = values[~np.isnan(values).any(axis=1)]
    if len(both) == 0 or len(both) < int((~np.isnan(values)).any(axis=1).sum()):
        return float("nan")
    table = np.zeros((2, 2))
    for a, b in both.astype(int):
        table[a, b] += 1
    expected = (table.sum(axis=1) @ table.sum(axis=0)) / len(both) ** 2
    if np.isclose(expected, 1.0):
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):  # its z test when kappa's sd is 0
        return float(cohens_kappa(table).kappa)


def _alpha(values: np.ndarray) -> float:
    """Return Krippendorff's nominal alpha of coders x units data (NaN when undefined)."""
    seen = values[~np.isnan(values)]
    if len(np.unique(seen)) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=values.T, level_of_measurement="nominal"))


def coder_stats(matrix: pd.DataFrame | np.ndarray) -> Agreement:
    """Return the agreement in reliability data (units x coders; NaN where a coder did not code).

    >>> coder_stats(np.array([[1, 1], [0, 0], [1, 0], [0, 0]])).pct_agreement
    75.0
    """
    values = np.asarray(matrix, dtype=float)
    pairable = (~np.isnan(values)).sum(axis=1) >= 2
    values = values[pairable]
    coders = int((~np.isnan(values)).any(axis=0).sum()) if len(values) else 0
    return Agreement(
        n_units=int(pairable.sum()),
        n_coded=int((np.nan_to_num(values, nan=0.0) > 0).any(axis=1).sum()),
        n_coders=coders,
        pct_agreement=_pct_agreement(values),
        kappa=_kappa(values[:, (~np.isnan(values)).any(axis=0)]) if len(values) else np.nan,
        alpha=_alpha(values) if len(values) else float("nan"),
    )


def _flag(alpha: float, threshold: float) -> str:
    return POOR if not np.isnan(alpha) and alpha < threshold else ""


def _round(x: float, digits: int) -> float:
    return float("nan") if np.isnan(x) else round(x, digits)


def _codes(present: pd.DataFrame, codebook: pd.DataFrame | None) -> list[str]:
    """Return the codes applied in the double-coded sources, in codebook order."""
    used = set(present["code_id"])
    order = [] if codebook is None else [c for c in codebook["code_id"].astype(str) if c in used]
    return order + sorted(used - set(order))


def agreement_table(
    codings: pd.DataFrame,
    codebook: pd.DataFrame | None = None,
    unit: Unit = "source",
    threshold: float = POOR_ALPHA,
    themes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return agreement per code between the coders of double-coded sources.

    Columns :data:`TABLE_COLUMNS`: ``code_id``, ``code`` (its label), ``theme`` (label of
    its codebook branch, via ``themes``), ``n_units`` (units compared), ``n_coded`` (units
    where some coder applied the code), ``coders`` (how many), ``pct_agreement``, ``kappa``,
    ``alpha``, ``flag`` (:data:`POOR` when alpha < ``threshold``). One row per code applied
    in a double-coded source, in codebook order; empty when no source is double coded.
    """
    present = presence(codings, unit)
    labels: dict[str, str] = {}
    branches: dict[str, str] = {}
    if codebook is not None:
        ids = codebook["code_id"].astype(str)
        labels = dict(zip(ids, codebook["label"].astype(str), strict=True))
        if "branch" in codebook.columns:
            branches = dict(zip(ids, codebook["branch"].astype(str), strict=True))
    rows = []
    blank = _blank_matrix(present) if len(present) else None
    for code in _codes(present, codebook):
        stats = coder_stats(_code_matrix(blank, present, code))  # type: ignore[arg-type]
        branch = branches.get(code, "")
        rows.append(
            {
                "code_id": code,
                "code": labels.get(code, code),
                "theme": (themes or {}).get(branch, branch),
                "n_units": stats.n_units,
                "n_coded": stats.n_coded,
                "coders": stats.n_coders,
                "pct_agreement": _round(stats.pct_agreement, 1),
                "kappa": _round(stats.kappa, 3),
                "alpha": _round(stats.alpha, 3),
                "flag": _flag(stats.alpha, threshold),
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def overall_agreement(
    codings: pd.DataFrame,
    units: Iterable[Unit] = UNITS,
    threshold: float = POOR_ALPHA,
) -> pd.DataFrame:
    """Return agreement over every code at once, one row per unit: each (unit, code) a unit.

    Columns :data:`OVERALL_COLUMNS`; ``n_units`` counts the units (sources or segment
    units) compared, ``n_coded`` the (unit, code) pairs where some coder applied the code.
    Empty when no source is double coded.
    """
    rows = []
    for unit in units:
        present = presence(codings, unit)
        codes = _codes(present, None)
        if not codes:
            continue
        blank = _blank_matrix(present)
        pooled = np.vstack([_code_matrix(blank, present, c).to_numpy() for c in codes])
        stats = coder_stats(pooled)
        rows.append(
            {
                "unit": unit,
                "n_units": int(present["unit_id"].nunique()),
                "n_coded": stats.n_coded,
                "codes": len(codes),
                "coders": stats.n_coders,
                "pct_agreement": _round(stats.pct_agreement, 1),
                "kappa": _round(stats.kappa, 3),
                "alpha": _round(stats.alpha, 3),
                "flag": _flag(stats.alpha, threshold),
            }
        )
    return pd.DataFrame(rows, columns=OVERALL_COLUMNS)


def poor_codes(*tables: pd.DataFrame) -> list[str]:
    """Return the codes flagged poor in any of the (published) per-code agreement tables.

    A hidden flag (the suppression mark) is not a flag: only what a table shows is named.
    """
    found: list[str] = []
    for table in tables:
        if not len(table):
            continue
        flagged = table.loc[table["flag"].astype(str) == POOR, "code_id"].astype(str)
        found += [c for c in flagged if c not in found]
    return found
