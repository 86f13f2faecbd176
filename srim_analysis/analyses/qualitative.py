"""Objective 4: what practitioners say about the May 2024 information sharing advice.

Analyses of the coded qualitative material (interviews, focus groups, observation notes and
documents) for the Framework method:

* **who said what**: code frequencies by agency, role, site or method, counting people
  (distinct participants) as well as coded segments and sources;
* **how codes connect**: co-occurrence of codes within segments and within sources;
* **stance**: how each golden rule and each meaning of consent was received (supportive,
  critical, mixed or unclear, from the stance codes applied to the same segment), and which
  rule is criticised most and by whom;
* **awareness** of the advice, **gaps** in it and **practice with fathers**;
* **illustrative quotes**, chosen reproducibly, redacted and attributed pseudonymously.

The module has two layers. The analysis functions take the study's plain tables
(``coded_segments``, ``participants``, ``codebook``, ``sites``) and return tables or figures;
they are what the tests check. The ``show_*`` functions take the notebook's
:class:`~srim_analysis.report.publishing.Report`, publish tables and figures through it
(small counts suppressed) and return what the notebook displays, so the notebook itself
holds no logic.
"""

from __future__ import annotations

import hashlib
import textwrap
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srim_analysis.charts import style
from srim_analysis.disclosure import study_identifiers
from srim_analysis.report.publishing import Section
from srim_analysis.study.contract import AGENCIES, CODE_BRANCHES, METHODS, ROLES

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.figure import Figure

    from srim_analysis.disclosure import Identifiers
    from srim_analysis.report.publishing import Report

ALL = "all"

#: Stance codes (co-applied with a rule or a meaning of consent), in plotting order.
STANCES: dict[str, str] = {
    "ST-CRIT": "Critical",
    "ST-MIX": "Mixed",
    "ST-SUP": "Supportive",
    "ST-UNC": "Unclear",
}
_STANCE_COLUMN = {
    "ST-CRIT": "critical",
    "ST-MIX": "mixed",
    "ST-SUP": "supportive",
    "ST-UNC": "unclear",
}
NO_STANCE = "no_stance"

#: Awareness codes, most aware first.
AWARENESS: dict[str, str] = {
    "AWR-READ": "Has read the advice",
    "AWR-HEARD": "Heard of it, not read it",
    "AWR-UNAWARE": "Not aware of it",
}
_AWARENESS_COLUMN = {"AWR-READ": "read", "AWR-HEARD": "heard", "AWR-UNAWARE": "unaware"}

#: What tables and figures can be broken down by.
GROUPINGS: dict[str, str] = {
    "agency": "Agency",
    "role": "Role",
    "site_id": "Site",
    "method": "Method",
}
UNATTRIBUTED_KEY = "unattributed"
UNATTRIBUTED = "Not attributed to a participant"

#: Branches whose codes carry a stance.
STANCE_BRANCHES: tuple[str, ...] = ("golden_rules", "consent")
#: Methods whose segments are people talking (the sources of views and quotes).
TALK_METHODS: tuple[str, ...] = ("interview", "focus_group")
#: Default seed for choosing quotes (change it to draw a different, equally fair, set).
QUOTE_SEED = 20240501
#: Preferred quote length in characters (shorter or longer ones are used only if needed).
QUOTE_LENGTH: tuple[int, int] = (60, 400)

_STANCE_COLOURS = {
    "ST-CRIT": style.DIVERGING_5[0],
    "ST-MIX": style.DIVERGING_5[2],
    "ST-SUP": style.DIVERGING_5[4],
    "ST-UNC": style.MUTED,
}
_AWARENESS_COLOURS = {
    "AWR-READ": style.DIVERGING_5[4],
    "AWR-HEARD": style.DIVERGING_5[3],
    "AWR-UNAWARE": style.DIVERGING_5[1],
}


# ---------------------------------------------------------------------------
# The coded material, with who said it and what the codes mean
# ---------------------------------------------------------------------------


def _for_site(frame: pd.DataFrame, site: str | None) -> pd.DataFrame:
    if site in (None, "", ALL):
        return frame
    return frame[frame["site_id"] == site]


def _code_meta(codebook: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["code_label", "branch", "code_order"]
    if codebook is None or not len(codebook):
        return pd.DataFrame(columns=cols)
    meta = pd.DataFrame(
        {
            "code_label": codebook["label"].astype(object).to_numpy(),
            "branch": codebook["branch"].astype(object).to_numpy(),
            "code_order": np.arange(len(codebook)),
        },
        index=pd.Index(codebook["code_id"].astype(object), name="code_id"),
    )
    return meta[~meta.index.duplicated()]


def coded_frame(
    segments: pd.DataFrame,
    participants: pd.DataFrame | None = None,
    codebook: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    site: str = ALL,
) -> pd.DataFrame:
    """Return the codings of one site (or all) with speaker agency and role, site and code labels.

    One row per coding, as in ``coded_segments``, plus ``agency`` and ``role`` (blank for
    documents, observation notes and unattributed talk), ``site_name``, ``code_label``,
    ``branch`` and ``code_order`` (the code's position in the codebook).
    """
    out = _for_site(segments, site).copy().reset_index(drop=True)
    for col in ("segment_id", "code_id", "source_id", "method", "site_id"):
        if col not in out.columns:
            raise ValueError(f"coded_segments needs a {col!r} column")
    if "participant_id" not in out.columns:
        out["participant_id"] = pd.NA
    if "excerpt" not in out.columns:
        out["excerpt"] = ""
    out["participant_id"] = (
        out["participant_id"].astype(object).where(out["participant_id"].notna(), None)
    )
    if participants is not None and len(participants):
        who = participants.drop_duplicates("participant_id").set_index("participant_id")
        out["agency"] = out["participant_id"].map(who["agency"]).astype(object)
        out["role"] = out["participant_id"].map(who["role"]).astype(object)
    else:
        out["agency"] = None
        out["role"] = None
    names = (
        sites.set_index("site_id")["display_name"]
        if sites is not None and len(sites)
        else pd.Series(dtype=object)
    )
    out["site_name"] = out["site_id"].map(names).astype(object)
    out["site_name"] = out["site_name"].where(out["site_name"].notna(), out["site_id"])
    meta = _code_meta(codebook)
    out["code_label"] = out["code_id"].map(meta["code_label"]).astype(object)
    out["code_label"] = out["code_label"].where(out["code_label"].notna(), out["code_id"])
    out["branch"] = out["code_id"].map(meta["branch"]).astype(object)
    order = out["code_id"].map(meta["code_order"])
    unknown = {c: len(meta) + i for i, c in enumerate(sorted(set(out["code_id"][order.isna()])))}
    out["code_order"] = order.fillna(out["code_id"].map(unknown)).astype(int)
    return out


def participant_frame(
    participants: pd.DataFrame, sites: pd.DataFrame | None = None, site: str = ALL
) -> pd.DataFrame:
    """Return the participants of one site (or all) with their site's display name added."""
    out = _for_site(participants, site).copy().reset_index(drop=True)
    names = (
        sites.set_index("site_id")["display_name"]
        if sites is not None and len(sites)
        else pd.Series(dtype=object)
    )
    out["site_name"] = out["site_id"].map(names).astype(object)
    out["site_name"] = out["site_name"].where(out["site_name"].notna(), out["site_id"])
    return out


def _check_by(by: str | None) -> None:
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)} (not {by!r}).")


def _groups(frame: pd.DataFrame, by: str | None) -> tuple[pd.Series, pd.Series]:
    """Return each row's group key and plain-English group label."""
    _check_by(by)
    if by is None:
        keys = pd.Series(ALL, index=frame.index, dtype=object)
        return keys, pd.Series("All", index=frame.index, dtype=object)
    keys = frame[by].astype(object)
    keys = keys.where(keys.notna(), UNATTRIBUTED_KEY)
    if by == "site_id":
        labels = frame["site_name"].astype(object)
    else:
        mapping = {"agency": AGENCIES, "role": ROLES, "method": METHODS}[by]
        labels = keys.map(lambda k: mapping.get(k, k)).astype(object)
    labels = labels.where(keys != UNATTRIBUTED_KEY, UNATTRIBUTED)
    return keys, labels


def _group_rank(by: str | None, keys: Iterable[object]) -> dict[object, int]:
    """Return the display order of group keys (schema order; unattributed last)."""
    order: list[object] = {
        "agency": list(AGENCIES),
        "role": list(ROLES),
        "method": list(METHODS),
    }.get(by or "", [])
    rest = sorted({k for k in keys if k not in order and k != UNATTRIBUTED_KEY}, key=str)
    ranked = [*order, *rest, UNATTRIBUTED_KEY]
    return {k: i for i, k in enumerate(ranked)}


def _select(
    coded: pd.DataFrame,
    codes: Sequence[str] | None = None,
    branches: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    rows = coded
    if isinstance(branches, str):
        branches = [branches]
    if branches is not None:
        rows = rows[rows["branch"].isin(list(branches))]
    if codes is not None:
        rows = rows[rows["code_id"].isin(list(codes))]
    return rows


def _sorted_codes(frame: pd.DataFrame) -> list[str]:
    first = frame.drop_duplicates("code_id").sort_values(["code_order", "code_id"])
    return list(first["code_id"])


# ---------------------------------------------------------------------------
# Who the views come from
# ---------------------------------------------------------------------------


def sources_by_method(coded: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Return sources, coded segments and participants per kind of source (method)."""
    rows = []
    for method, label in METHODS.items():
        seg = coded[coded["method"] == method]
        ppl = people[people["method"] == method] if "method" in people else people.iloc[:0]
        if not len(seg) and not len(ppl):
            continue
        rows.append(
            {
                "method": label,
                "n_sources": int(seg["source_id"].nunique()),
                "n_segments": int(seg["segment_id"].nunique()),
                "n_participants": len(ppl),
            }
        )
    return pd.DataFrame(rows, columns=["method", "n_sources", "n_segments", "n_participants"])


def participants_by_group(people: pd.DataFrame, by: str = "agency") -> pd.DataFrame:
    """Return participants per group, split by how they took part (interview, focus group)."""
    keys, labels = _groups(people, by)
    frame = pd.DataFrame({"key": keys, "group": labels, "method": people["method"]})
    methods = [
        m for m in ("interview", "focus_group", "observation") if (frame["method"] == m).any()
    ]
    methods = methods or ["interview", "focus_group"]
    table = pd.crosstab(frame["key"], frame["method"]).reindex(columns=methods, fill_value=0)
    rank = _group_rank(by, table.index)
    table = table.loc[sorted(table.index, key=lambda k: rank.get(k, 0))]
    label_of = dict(zip(frame["key"], frame["group"], strict=False))
    out = pd.DataFrame({by: list(table.index), "group": [label_of[k] for k in table.index]})
    for m in methods:
        out[f"n_{m}"] = table[m].to_numpy().astype(int)
    out["n_participants"] = out[[f"n_{m}" for m in methods]].sum(axis=1).astype(int)
    return out


# ---------------------------------------------------------------------------
# Code frequencies and co-occurrence
# ---------------------------------------------------------------------------


def _per_code_and_group(
    frame: pd.DataFrame, dropna: bool = True, **more: tuple[str, str]
) -> pd.DataFrame:
    """Return one row per code and group key: labels, participants and segments (and ``more``)."""
    return (
        frame.groupby(["code_id", "_key"], sort=False, dropna=dropna)
        .agg(
            group=("group", "first"),
            code_label=("code_label", "first"),
            branch=("branch", "first"),
            code_order=("code_order", "first"),
            n_participants=("participant_id", "nunique"),
            n_segments=("segment_id", "nunique"),
            **more,
        )
        .reset_index()
    )


def code_frequencies(
    coded: pd.DataFrame,
    by: str | None = "agency",
    codes: Sequence[str] | None = None,
    branches: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Return, per code and group, distinct participants, coded segments and sources.

    ``n_participants`` counts people (a participant who raised a code five times counts
    once); ``n_sources`` counts transcripts, notes and documents (documents have no
    participant, so they show in ``n_sources`` and ``n_segments`` only).

    >>> seg = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s4"], "code_id": ["X"] * 4,
    ...     "source_id": ["i1", "i1", "i2", "d1"], "method": ["interview"] * 3 + ["document"],
    ...     "site_id": ["S1"] * 4, "participant_id": ["p1", "p1", "p2", None]})
    >>> code_frequencies(coded_frame(seg), by=None)[["code_id", "n_participants",
    ...     "n_segments", "n_sources"]].to_dict("records")
    [{'code_id': 'X', 'n_participants': 2, 'n_segments': 4, 'n_sources': 3}]
    """
    rows = _select(coded, codes, branches)
    keys, labels = _groups(rows, by)
    frame = rows.assign(_key=keys.to_numpy(), group=labels.to_numpy())
    cols = ["code_id", "code_label", "branch", *([by] if by else []), "group"]
    counts = ["n_participants", "n_segments", "n_sources"]
    if not len(frame):
        return pd.DataFrame(columns=[*cols, *counts])
    agg = _per_code_and_group(frame, dropna=False, n_sources=("source_id", "nunique"))
    rank = _group_rank(by, agg["_key"])
    agg["_rank"] = agg["_key"].map(rank)
    agg = agg.sort_values(["code_order", "code_id", "_rank"]).reset_index(drop=True)
    if by:
        agg[by] = agg["_key"]
    for c in counts:
        agg[c] = agg[c].astype(int)
    return agg[[*cols, *counts]]


def frequency_matrix(
    freq: pd.DataFrame, count: str = "n_participants", rows: str = "code_label"
) -> pd.DataFrame:
    """Return a code-by-group table of one count from :func:`code_frequencies` (zeros filled)."""
    if not len(freq):
        return pd.DataFrame()
    row_order = list(dict.fromkeys(freq[rows]))
    col_order = list(dict.fromkeys(freq["group"]))
    wide = freq.pivot_table(index=rows, columns="group", values=count, aggfunc="sum", fill_value=0)
    wide = wide.reindex(index=row_order, columns=col_order, fill_value=0).astype(int)
    wide.index.name, wide.columns.name = None, None
    return wide


def cooccurrence(
    coded: pd.DataFrame,
    within: str = "segment",
    codes: Sequence[str] | None = None,
    other_codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return how many segments (or sources) carry both codes, for each pair of codes.

    ``within`` is ``"segment"`` (the same coded passage) or ``"source"`` (the same
    interview, focus group, note or document). Rows are ``codes`` and columns
    ``other_codes`` (default: the same codes); the diagonal of a square table counts the
    segments or sources carrying that code at all.

    >>> seg = pd.DataFrame({"segment_id": ["s1", "s1", "s2", "s2", "s3"],
    ...     "source_id": ["a", "a", "a", "a", "b"], "code_id": ["X", "Y", "X", "Z", "Y"]})
    >>> cooccurrence(seg, "segment", ["X", "Y", "Z"])
       X  Y  Z
    X  2  1  1
    Y  1  2  0
    Z  1  0  1
    >>> cooccurrence(seg, "source", ["X", "Y", "Z"]).loc["Y", "Z"]
    np.int64(1)
    """
    if within not in ("segment", "source"):
        raise ValueError("within must be 'segment' or 'source'")
    unit = "segment_id" if within == "segment" else "source_id"
    if codes is None:
        codes = _sorted_codes(coded) if "code_order" in coded else sorted(set(coded["code_id"]))
    codes = list(codes)
    other = list(other_codes) if other_codes is not None else codes
    wanted = set(codes) | set(other)
    rows = coded[coded["code_id"].isin(wanted)][[unit, "code_id"]].drop_duplicates()
    if not len(rows):
        return pd.DataFrame(0, index=pd.Index(codes), columns=pd.Index(other), dtype=np.int64)
    incidence = pd.crosstab(rows[unit], rows["code_id"]).clip(upper=1)
    incidence = incidence.reindex(columns=sorted(wanted), fill_value=0).astype(np.int64)
    matrix = incidence[codes].T.dot(incidence[other])
    matrix.index.name, matrix.columns.name = None, None
    return matrix.astype(np.int64)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width)) or str(text)


def heatmap_figure(
    matrix: pd.DataFrame,
    title: str,
    min_cell: int,
    xlabel: str = "",
    ylabel: str = "",
    count_label: str = "Count",
    secondary: bool = False,
) -> Figure:
    """Return an annotated heatmap of counts with small counts hidden (shown as 'c').

    Counts from 1 to ``min_cell - 1`` are hidden before plotting; with ``secondary=True``
    (tables whose rows and columns add up, such as people by group) further cells are
    hidden, as in published tables, so no hidden count can be worked out from the totals.
    """
    from srim_analysis import disclosure

    values = matrix.to_numpy(dtype=float)
    small = (values >= 1) & (values < min_cell)
    hidden = small.copy()
    if secondary and values.size:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", disclosure.DisclosureWarning)
            mask = disclosure.suppression_mask(matrix.astype(int), min_cell, totals=False)
        hidden |= np.asarray(mask, dtype=bool)
    shown = np.where(hidden | (values == 0), np.nan, values)
    n_rows, n_cols = values.shape
    width = min(style.FULL_WIDTH_IN, 3.2 + 0.5 * n_cols)
    fig, ax = style.new_figure(max(width, 5.0), 2.6 + 0.34 * max(n_rows, 2))
    ax.grid(False)
    vmax = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
    cmap = _cmap()
    image = ax.imshow(shown, cmap=cmap, aspect="auto", vmin=0, vmax=vmax)
    for i in range(n_rows):
        for j in range(n_cols):
            if hidden[i, j]:
                ax.add_patch(_rect(j, i, "#E5E5E5"))
                ax.text(j, i, "c", ha="center", va="center", fontsize=8, color="#555555")
            elif values[i, j] > 0:
                dark = values[i, j] < 0.6 * vmax
                ax.text(
                    j,
                    i,
                    f"{int(values[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels([str(c) for c in matrix.columns], rotation=40, ha="right")
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels([_wrap(r, 40) for r in matrix.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    bar = fig.colorbar(image, ax=ax, shrink=min(0.8, 3.0 / max(n_rows, 1) + 0.3), aspect=15)
    bar.set_label(count_label)
    fig.supxlabel(
        f"c: from 1 to {min_cell - 1}, hidden; blank: none.", fontsize=8, color=style.MUTED
    )
    return fig


def _cmap() -> Any:
    import matplotlib as mpl

    return mpl.colormaps[style.SEQUENTIAL_CMAP]


def _rect(x: float, y: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=colour, edgecolor="white", lw=0.5)


# ---------------------------------------------------------------------------
# Stance on the golden rules and the meanings of consent
# ---------------------------------------------------------------------------


def combine_stances(codes: Iterable[str]) -> str | None:
    """Return the one stance of a segment from the stance codes applied to it.

    Supportive and critical together count as mixed; unclear gives way to any view.

    >>> combine_stances(["ST-SUP"])
    'ST-SUP'
    >>> combine_stances(["ST-SUP", "ST-CRIT"])
    'ST-MIX'
    >>> combine_stances(["ST-UNC", "ST-CRIT"])
    'ST-CRIT'
    >>> combine_stances([]) is None
    True
    """
    found = set(codes)
    views = found & {"ST-SUP", "ST-CRIT", "ST-MIX"}
    if "ST-MIX" in views or len(views) > 1:
        return "ST-MIX"
    if views:
        return views.pop()
    return "ST-UNC" if "ST-UNC" in found else None


def segment_stances(coded: pd.DataFrame) -> pd.Series:
    """Return the stance code of each segment that has one (index: segment_id)."""
    st = coded[coded["code_id"].isin(STANCES)]
    if not len(st):
        return pd.Series(dtype=object)
    return st.groupby("segment_id")["code_id"].agg(combine_stances).dropna()


def stance_table(
    coded: pd.DataFrame,
    by: str | None = None,
    codes: Sequence[str] | None = None,
    branches: Sequence[str] | str | None = STANCE_BRANCHES,
    methods: Sequence[str] | None = TALK_METHODS,
) -> pd.DataFrame:
    """Return, per code (and group), segments by stance: critical, mixed, supportive, unclear.

    Only talk (interviews and focus groups, by default) counts: documents quote the advice
    but hold no views. ``pct_*`` are percentages of the code's segments; ``n_no_stance``
    counts segments with no stance code.
    """
    rows = _select(coded, codes, branches)
    if methods is not None:
        rows = rows[rows["method"].isin(list(methods))]
    rows = rows.drop_duplicates(["segment_id", "code_id"])
    stance = segment_stances(coded)
    keys, labels = _groups(rows, by)
    frame = rows.assign(
        _key=keys.to_numpy(),
        group=labels.to_numpy(),
        stance=rows["segment_id"].map(stance).fillna(NO_STANCE).to_numpy(),
    )
    ids = ["code_id", "code_label", "branch", *([by] if by else []), "group"]
    kinds = [*_STANCE_COLUMN.values(), NO_STANCE]
    counts = ["n_participants", "n_segments", *(f"n_{k}" for k in kinds)]
    pcts = [f"pct_{k}" for k in kinds]
    if not len(frame):
        out = pd.DataFrame(columns=[*ids, *counts, *pcts])
        out.attrs["by"] = by
        return out
    base = _per_code_and_group(frame)
    tally = frame.groupby(["code_id", "_key", "stance"]).size().unstack("stance", fill_value=0)
    for code, col in [*_STANCE_COLUMN.items(), (NO_STANCE, NO_STANCE)]:
        series = tally[code] if code in tally else pd.Series(0, index=tally.index)
        base[f"n_{col}"] = [
            int(series.get((c, k), 0)) for c, k in zip(base["code_id"], base["_key"], strict=True)
        ]
    for k in kinds:
        base[f"pct_{k}"] = (100 * base[f"n_{k}"] / base["n_segments"]).round(1)
    rank = _group_rank(by, base["_key"])
    base["_rank"] = base["_key"].map(rank)
    base = base.sort_values(["code_order", "code_id", "_rank"]).reset_index(drop=True)
    if by:
        base[by] = base["_key"]
    for c in counts:
        base[c] = base[c].astype(int)
    out = base[[*ids, *counts, *pcts]]
    out.attrs["by"] = by
    return out


#: Percentage columns of a stance table and the counts each depends on (for publishing).
STANCE_DEPENDS: dict[str, tuple[str, ...]] = {
    f"pct_{k}": (f"n_{k}", "n_segments") for k in [*_STANCE_COLUMN.values(), NO_STANCE]
}


@dataclass(frozen=True)
class MostCriticised:
    """The most criticised rule or meaning, and the groups most critical of it."""

    code_id: str
    code_label: str
    n_segments: int
    n_critical: int
    pct_critical: float
    baseline_pct: float  # the code's critical share among segments from identified groups
    by: str | None
    codes: pd.DataFrame  # every code, most criticised first
    groups: pd.DataFrame  # groups that spoke about the code, most critical first

    @property
    def critics(self) -> list[str]:
        """Return the group keys more critical of the code than average, most critical first."""
        above = self.groups[self.groups["pct_critical"] > self.baseline_pct]
        return [str(k) for k in above[self.by]] if self.by else []

    def sentence(
        self, min_cell: int, site_label: str = "these data", hidden: Iterable[str] = ()
    ) -> str:
        """Return the finding in plain words; nothing about fewer than ``min_cell`` people.

        A code or group is described only when at least ``min_cell`` participants spoke
        about it; groups in ``hidden`` (suppressed in the published table) are not named.
        """
        top = self.codes.iloc[0]
        if int(top["n_participants"]) < min_cell:
            return (
                f"Fewer than {min_cell} participants in {site_label} gave a view on the most "
                "criticised rule or meaning of consent, so none is singled out here."
            )
        text = (
            f"The most criticised is **{self.code_label}**: {self.pct_critical:.0f}% of the "
            f"{self.n_segments} segments about it are critical"
        )
        rest = self.codes.iloc[1:]
        rest = rest[rest["n_participants"] >= min_cell]
        if len(rest):
            nxt = rest.iloc[0]
            text += f" (next: {nxt['code_label']}, {nxt['pct_critical']:.0f}%)"
        text += "."
        named = self.groups[
            (self.groups["n_participants"] >= min_cell)
            & (self.groups["pct_critical"] > self.baseline_pct)
        ]
        if self.by:
            named = named[~named[self.by].astype(str).isin(set(hidden))]
        if self.by and len(named):
            parts = [
                f"{g} ({p:.0f}%)"
                for g, p in zip(named["group"], named["pct_critical"], strict=True)
            ]
            text += (
                f" More critical of it than average ({self.baseline_pct:.0f}%): "
                + ", ".join(parts)
                + "."
            )
        if self.by:
            text += (
                f" Groups with fewer than {min_cell} participants who spoke about it, or whose "
                "counts are suppressed in the table, are not named."
            )
        return text


def most_criticised(stance: pd.DataFrame, min_participants: int = 2) -> MostCriticised:
    """Return the code with the highest share of critical segments, and who criticises it.

    ``stance`` is a :func:`stance_table` by a grouping (e.g. agency). Codes are ranked by
    the share of their segments coded critical (ties: more critical segments first). The
    groups that spoke about the winning code are ranked the same way; groups with fewer
    than ``min_participants`` participants who spoke about it are left out of the ranking
    (one remark is not a pattern), as are segments not attributed to a participant.
    """
    if not len(stance):
        raise ValueError("the stance table is empty: no segment about these codes has a stance")
    by = stance.attrs.get("by")
    if by is None:
        by = next((g for g in GROUPINGS if g in stance.columns), None)
    per_code = (
        stance.groupby("code_id", sort=False)
        .agg(
            code_label=("code_label", "first"),
            n_participants=("n_participants", "sum"),
            n_segments=("n_segments", "sum"),
            n_critical=("n_critical", "sum"),
        )
        .reset_index()
    )
    per_code["pct_critical"] = (100 * per_code["n_critical"] / per_code["n_segments"]).round(1)
    per_code["_order"] = range(len(per_code))
    per_code = per_code.sort_values(
        ["pct_critical", "n_critical", "_order"], ascending=[False, False, True]
    ).drop(columns="_order")
    per_code = per_code.reset_index(drop=True)
    top = per_code.iloc[0]
    code = str(top["code_id"])
    groups = stance[stance["code_id"] == code]
    if by:
        groups = groups[groups[by] != UNATTRIBUTED_KEY]
    attributed = groups["n_segments"].sum()
    baseline = float(100 * groups["n_critical"].sum() / attributed) if attributed else 0.0
    cols = [
        *([by] if by else []),
        "group",
        "n_participants",
        "n_segments",
        "n_critical",
        "pct_critical",
    ]
    groups = groups[groups["n_participants"] >= min_participants][cols]
    groups = groups.sort_values(
        ["pct_critical", "n_segments"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    return MostCriticised(
        code_id=code,
        code_label=str(top["code_label"]),
        n_segments=int(top["n_segments"]),
        n_critical=int(top["n_critical"]),
        pct_critical=float(top["pct_critical"]),
        baseline_pct=round(baseline, 1),
        by=by,
        codes=per_code,
        groups=groups,
    )


def _visible_rows(counts: pd.Series, min_cell: int, secondary: bool = True) -> np.ndarray:
    """Return True for rows whose count may be shown (small ones, and their protectors, hidden)."""
    from srim_analysis import disclosure

    values = counts.to_numpy(dtype=int)
    hidden = (values >= 1) & (values < min_cell)
    if secondary and len(values) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", disclosure.DisclosureWarning)
            mask = disclosure.suppression_mask(pd.Series(values), min_cell, totals=False).to_numpy()
        hidden |= mask
    return ~hidden & (values > 0)


def stance_figure(
    table: pd.DataFrame,
    title: str,
    min_cell: int,
    label: str = "code_label",
    secondary: bool = False,
) -> Figure | None:
    """Return diverging bars of stance per row of a :func:`stance_table` (None if all hidden).

    Critical extends left of zero and supportive right; mixed straddles zero; unclear (and
    no stance) is drawn apart on the right. Rows with fewer than ``min_cell`` participants
    are dropped before plotting (with ``secondary=True``, also rows that would let a dropped
    one be worked out from the total); the axis label says how many were left out.
    """
    visible = _visible_rows(table["n_participants"], min_cell, secondary=secondary)
    data = table[visible].reset_index(drop=True)
    dropped = int((~visible).sum())
    if not len(data):
        return None
    n = len(data)
    fig, ax0 = style.new_figure("full", 1.6 + 0.46 * n)
    ax0.remove()
    grid = fig.add_gridspec(1, 2, width_ratios=[4.2, 1])
    ax = fig.add_subplot(grid[0, 0])
    side = fig.add_subplot(grid[0, 1], sharey=ax)
    y = np.arange(n)[::-1]
    crit = data["pct_critical"].to_numpy(float)
    mix = data["pct_mixed"].to_numpy(float)
    sup = data["pct_supportive"].to_numpy(float)
    apart = (data["pct_unclear"] + data["pct_no_stance"]).to_numpy(float)
    ax.barh(y, -crit, left=-mix / 2, color=_STANCE_COLOURS["ST-CRIT"], label="Critical", height=0.7)
    ax.barh(y, mix, left=-mix / 2, color=_STANCE_COLOURS["ST-MIX"], label="Mixed", height=0.7)
    ax.barh(y, sup, left=mix / 2, color=_STANCE_COLOURS["ST-SUP"], label="Supportive", height=0.7)
    for yi, c, m, s in zip(y, crit, mix, sup, strict=True):
        if c >= 12:
            ax.text(
                -m / 2 - c / 2, yi, f"{c:.0f}%", ha="center", va="center", fontsize=8, color="white"
            )
        if s >= 12:
            ax.text(
                m / 2 + s / 2, yi, f"{s:.0f}%", ha="center", va="center", fontsize=8, color="white"
            )
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlim(-100, 100)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
    ax.set_xlabel("← critical   ·   % of segments   ·   supportive →")
    labels = [
        f"{_wrap(text, 40)}\n(n = {k} participants)"
        for text, k in zip(data[label], data["n_participants"], strict=True)
    ]
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    side.barh(y, apart, color=_STANCE_COLOURS["ST-UNC"], height=0.7)
    for yi, a in zip(y, apart, strict=True):
        if a > 0:
            side.text(a + 2, yi, f"{a:.0f}%", va="center", fontsize=8)
    side.set_xlim(0, 100)
    side.set_xticks([0, 50, 100])
    side.set_xlabel("Unclear or none (%)", fontsize=8)
    side.tick_params(axis="y", left=False, labelleft=False)
    side.grid(axis="y", visible=False)
    fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=11)
    note = "Mixed views straddle zero."
    if dropped:
        note += f" {dropped} group(s) with fewer than {min_cell} participants not shown."
    fig.supxlabel(note, fontsize=8, color=style.MUTED)
    return fig


def _short_label(label: str) -> str:
    """Return a code label short enough for a panel title ('Rule 3: consent ...' -> 'Rule 3')."""
    head = label.split(":", 1)[0]
    return head if head != label and len(head) <= 12 else label


def stance_grid_figure(
    table: pd.DataFrame, title: str, min_cell: int, ncols: int = 4
) -> Figure | None:
    """Return diverging bars of stance by group, one small panel per code (None if all hidden).

    ``table`` is a :func:`stance_table` by a grouping. In each panel, critical extends left
    of zero, supportive right and mixed straddles zero. A group with fewer than ``min_cell``
    participants who spoke about the code (or whose count would let one be worked out) is
    hidden before plotting and marked 'c'; unclear views are left to the tables.
    """
    by = table.attrs.get("by") or next((g for g in GROUPINGS if g in table.columns), None)
    if by is None or not len(table):
        return None
    data = table[table[by] != UNATTRIBUTED_KEY]
    codes = list(dict.fromkeys(data["code_id"]))
    visible: dict[str, pd.DataFrame] = {}
    hidden: dict[str, set[str]] = {}
    for code in codes:
        rows = data[data["code_id"] == code].reset_index(drop=True)
        keep = _visible_rows(rows["n_participants"], min_cell, secondary=True)
        visible[code] = rows[keep]
        hidden[code] = set(rows.loc[~keep, by].astype(str))
    shown_groups = {str(k) for v in visible.values() for k in v[by]}
    if not shown_groups:
        return None
    rank = _group_rank(by, shown_groups)
    groups = sorted(shown_groups, key=lambda k: rank.get(k, 0))
    label_of = dict(zip(data[by].astype(str), data["group"], strict=False))
    ncols = max(1, min(ncols, len(codes)))
    nrows = -(-len(codes) // ncols)
    height = nrows * (0.9 + 0.24 * len(groups)) + 0.9
    fig, axes = style.new_figure("full", height, nrows=nrows, ncols=ncols)
    axes = np.atleast_1d(axes).ravel()
    y = {g: i for i, g in enumerate(reversed(groups))}
    for ax, code in zip(axes, codes, strict=False):
        rows = visible[code]
        ys = [y[str(k)] for k in rows[by]]
        crit = rows["pct_critical"].to_numpy(float)
        mix = rows["pct_mixed"].to_numpy(float)
        sup = rows["pct_supportive"].to_numpy(float)
        ax.barh(ys, -crit, left=-mix / 2, color=_STANCE_COLOURS["ST-CRIT"], height=0.72)
        ax.barh(ys, mix, left=-mix / 2, color=_STANCE_COLOURS["ST-MIX"], height=0.72)
        ax.barh(ys, sup, left=mix / 2, color=_STANCE_COLOURS["ST-SUP"], height=0.72)
        for g in sorted(hidden[code] & set(y)):
            ax.text(0, y[g], "c", ha="center", va="center", fontsize=7, color=style.MUTED)
        ax.axvline(0, color="#333333", lw=0.7)
        ax.set_xlim(-100, 100)
        ax.set_ylim(-0.6, len(groups) - 0.4)
        ax.set_xticks([-100, 0, 100])
        ax.set_xticklabels(["100%", "0", "100%"], fontsize=7)
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels([_wrap(label_of.get(g, g), 24) for g in reversed(groups)], fontsize=7)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        label = str(data.loc[data["code_id"] == code, "code_label"].iloc[0])
        ax.set_title(_wrap(_short_label(label), 22), fontsize=8, loc="center")
    for ax in axes[len(codes) :]:
        ax.set_axis_off()
    for i, ax in enumerate(axes[: len(codes)]):
        if i % ncols:
            ax.tick_params(axis="y", labelleft=False)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=_STANCE_COLOURS[c], label=STANCES[c]) for c in ("ST-CRIT", "ST-MIX", "ST-SUP")
    ]
    if len(axes) > len(codes):
        axes[len(codes)].legend(handles=handles, loc="center", frameon=False, title="Stance")
    else:
        fig.legend(handles=handles, ncols=3, loc="outside upper right", frameon=False)
    fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=11)
    fig.supxlabel(
        f"← critical · % of segments · supportive →\nc: fewer than {min_cell} participants "
        "(hidden). Mixed views straddle zero; unclear views are in the tables.",
        fontsize=8,
        color=style.MUTED,
    )
    return fig


# ---------------------------------------------------------------------------
# Awareness, gaps and father-specific practice
# ---------------------------------------------------------------------------


def awareness_table(coded: pd.DataFrame, people: pd.DataFrame, by: str = "agency") -> pd.DataFrame:
    """Return participants per group by awareness of the 2024 advice (each person counted once).

    A participant coded at several levels counts at the most aware one (read, then heard,
    then unaware); ``n_not_coded`` are participants whose awareness never came up.
    Percentages are of the participants whose awareness was coded (``n_coded``).
    """
    order = list(AWARENESS)
    aw = coded[coded["code_id"].isin(order) & coded["participant_id"].notna()]
    level = aw.groupby("participant_id")["code_id"].agg(lambda s: min(s, key=order.index))
    keys, labels = _groups(people, by)
    frame = pd.DataFrame(
        {
            "key": keys.to_numpy(),
            "group": labels.to_numpy(),
            "level": people["participant_id"].map(level).fillna("none").to_numpy(),
        }
    )
    cols = [
        by,
        "group",
        "n_participants",
        "n_coded",
        *(f"n_{c}" for c in _AWARENESS_COLUMN.values()),
        "n_not_coded",
    ]
    pcts = [f"pct_{c}" for c in _AWARENESS_COLUMN.values()]
    if not len(frame):
        return pd.DataFrame(columns=[*cols, *pcts])
    table = pd.crosstab(frame["key"], frame["level"])
    rank = _group_rank(by, table.index)
    table = table.loc[sorted(table.index, key=lambda k: rank.get(k, 0))]
    label_of = dict(zip(frame["key"], frame["group"], strict=False))
    out = pd.DataFrame({by: list(table.index), "group": [label_of[k] for k in table.index]})
    out["n_participants"] = table.sum(axis=1).to_numpy().astype(int)
    for code, col in _AWARENESS_COLUMN.items():
        out[f"n_{col}"] = np.asarray(table.get(code, 0), dtype=int)
    out["n_coded"] = out[[f"n_{c}" for c in _AWARENESS_COLUMN.values()]].sum(axis=1).astype(int)
    out["n_not_coded"] = (out["n_participants"] - out["n_coded"]).astype(int)
    for col in _AWARENESS_COLUMN.values():
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"pct_{col}"] = (100 * out[f"n_{col}"] / out["n_coded"].replace(0, np.nan)).round(1)
    return out[[*cols, *pcts]]


#: Percentage columns of an awareness table and the counts each depends on.
AWARENESS_DEPENDS: dict[str, tuple[str, ...]] = {
    f"pct_{c}": (f"n_{c}", "n_coded") for c in _AWARENESS_COLUMN.values()
}


def awareness_figure(table: pd.DataFrame, title: str, min_cell: int) -> Figure | None:
    """Return 100% stacked bars of awareness per group (groups below ``min_cell`` hidden)."""
    visible = _visible_rows(table["n_coded"], min_cell, secondary=True)
    data = table[visible].reset_index(drop=True)
    if not len(data):
        return None
    n = len(data)
    fig, ax = style.new_figure("full", 1.4 + 0.32 * n)
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    for code, col in _AWARENESS_COLUMN.items():
        share = data[f"pct_{col}"].to_numpy(float)
        ax.barh(
            y, share, left=left, color=_AWARENESS_COLOURS[code], label=AWARENESS[code], height=0.7
        )
        for yi, lft, s in zip(y, left, share, strict=True):
            if s >= 8:
                colour = "white" if code != "AWR-UNAWARE" else "black"
                ax.text(
                    lft + s / 2, yi, f"{s:.0f}%", ha="center", va="center", fontsize=8, color=colour
                )
        left += share
    ax.set_yticks(y)
    ax.set_yticklabels(
        [f"{_wrap(g, 30)} (n = {k})" for g, k in zip(data["group"], data["n_coded"], strict=True)],
        fontsize=8,
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of participants whose awareness was coded")
    ax.grid(axis="y", visible=False)
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.set_title(title, pad=22)
    dropped = int((~visible).sum())
    if dropped:
        fig.supxlabel(
            f"{dropped} group(s) with fewer than {min_cell} participants not shown.",
            fontsize=8,
            color=style.MUTED,
        )
    return fig


def branch_summary(coded: pd.DataFrame, people: pd.DataFrame, branch: str) -> pd.DataFrame:
    """Return each code of a branch with the participants, segments and sources that raise it.

    Sorted by how many participants raise it (then segments); ``pct_participants`` is the
    share of all participants in the selection.

    >>> seg = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "code_id": ["G1", "G2", "G1"],
    ...     "source_id": ["i1", "i1", "i2"], "method": ["interview"] * 3,
    ...     "site_id": ["S1"] * 3, "participant_id": ["p1", "p1", "p2"]})
    >>> book = pd.DataFrame({"code_id": ["G1", "G2"], "label": ["One", "Two"],
    ...     "branch": ["gaps", "gaps"]})
    >>> people = pd.DataFrame({"participant_id": ["p1", "p2"], "site_id": ["S1", "S1"]})
    >>> out = branch_summary(coded_frame(seg, codebook=book), people, "gaps")
    >>> out[["code_id", "n_participants", "pct_participants"]].values.tolist()
    [['G1', 2, 100.0], ['G2', 1, 50.0]]
    """
    freq = code_frequencies(coded, by=None, branches=[branch])
    cols = [
        "rank",
        "code_id",
        "code_label",
        "n_participants",
        "pct_participants",
        "n_segments",
        "n_sources",
    ]
    if not len(freq):
        return pd.DataFrame(columns=cols)
    total = len(people)
    freq["pct_participants"] = (100 * freq["n_participants"] / total).round(1) if total else np.nan
    freq = freq.sort_values(
        ["n_participants", "n_segments"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    freq["rank"] = range(1, len(freq) + 1)
    return freq[cols]


def branch_figure(summary: pd.DataFrame, title: str, min_cell: int) -> Figure | None:
    """Return horizontal bars of participants per code (small counts hidden, shown as 'c')."""
    if not len(summary):
        return None
    data = summary.reset_index(drop=True)
    n = len(data)
    fig, ax = style.new_figure("full", 1.2 + 0.36 * n)
    y = np.arange(n)[::-1]
    values = data["n_participants"].to_numpy(int)
    hidden = (values >= 1) & (values < min_cell)
    colours = [style.HIGHLIGHT if i == 0 and not hidden[0] else style.PALETTE[0] for i in range(n)]
    ax.barh(y, np.where(hidden, 0, values), color=colours, height=0.7)
    for yi, v, h in zip(y, values, hidden, strict=True):
        ax.text(
            0 if h else v,
            yi,
            " c" if h else f" {v}",
            va="center",
            fontsize=8,
            color=style.MUTED if h else "black",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(t, 40) for t in data["code_label"]], fontsize=8)
    ax.set_xlabel(f"Participants who raised it (c: 1 to {min_cell - 1}, hidden)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------
# Illustrative quotes
# ---------------------------------------------------------------------------


def attribution(row: Mapping[str, Any], with_site: bool = True) -> str:
    """Return a pseudonymous attribution for a quote: role, agency, site and method.

    Never a name or an id: only the plain-English labels of the speaker's role and agency,
    the site's display name and how the words were collected.

    >>> attribution({"role": "practitioner", "agency": "midwifery", "site_name": "Brackwater",
    ...     "method": "interview", "participant_id": "P0042"})
    'Practitioner, Midwifery, Brackwater (interview)'
    >>> attribution({"method": "document", "site_name": "Brackwater"})
    'Document, Brackwater'
    >>> attribution({"method": "focus_group", "site_name": "Carrowby"}, with_site=False)
    'Focus group participant (focus group)'
    """

    def text(key: str) -> str | None:
        return _present(row.get(key))

    method = text("method") or ""
    site = text("site_name") if with_site else None
    if method in ("document", "observation"):
        who = "Document" if method == "document" else "Observation notes"
        return ", ".join(p for p in (who, site) if p)
    role, agency = text("role"), text("agency")
    parts = [
        ROLES.get(role, "Participant") if role else None,
        AGENCIES.get(agency, "") if agency else None,
    ]
    parts = [p for p in parts if p]
    if not parts:
        parts = ["Focus group participant" if method == "focus_group" else "Participant"]
    how = METHODS.get(method, method).lower()
    return ", ".join([*parts, *([site] if site else [])]) + (f" ({how})" if how else "")


def coarsened_speaker(
    speaker: Mapping[str, Any], people: pd.DataFrame, min_group: int, with_site: bool = True
) -> dict[str, Any]:
    """Return ``speaker`` without the agency, then the role, that fewer than ``min_group`` share.

    ``people`` has one row per participant (``participant_id``, ``role``, ``agency`` and,
    with ``with_site``, ``site_name``). A quote attributed to "Practitioner, Midwifery,
    Brackwater" where Brackwater has two midwives would point at one of two people: the
    agency is dropped when fewer than ``min_group`` participants share the site, role and
    agency, and the role too when fewer share the site and role.

    >>> people = pd.DataFrame({"participant_id": list("abcdef"), "site_name": ["X"] * 6,
    ...     "role": ["practitioner"] * 5 + ["manager"], "agency": ["police"] * 2 + ["health"] * 4})
    >>> attribution(coarsened_speaker({"role": "practitioner", "agency": "police",
    ...     "site_name": "X", "method": "interview"}, people, 5))
    'Practitioner, X (interview)'
    >>> attribution(coarsened_speaker({"role": "manager", "agency": "health",
    ...     "site_name": "X", "method": "interview"}, people, 5))
    'Participant, X (interview)'
    """
    out = dict(speaker)
    if min_group <= 1 or _present(out.get("role")) is None:
        return out
    place = ["site_name"] if with_site else []
    who = people

    def shared(keys: list[str]) -> int:
        match = pd.Series(True, index=who.index)
        for k in keys:
            match &= who[k].astype(str) == str(out.get(k))
        return int(match.sum())

    if _present(out.get("agency")) is not None and shared([*place, "role", "agency"]) < min_group:
        out["agency"] = None
    if shared([*place, "role"]) < min_group:
        out["role"] = None
        out["agency"] = None
    return out


def _present(value: object) -> str | None:
    """Return ``value`` as text, or None when it is missing (None, NaN, NA or blank)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if text.strip() else None


def _quote_hash(seed: int, code_id: str, segment_id: str) -> str:
    return hashlib.sha256(f"{seed}|{code_id}|{segment_id}".encode()).hexdigest()


def choose_quotes(
    coded: pd.DataFrame,
    codes: Sequence[str] | None = None,
    branches: Sequence[str] | str | None = None,
    per_code: int = 2,
    seed: int = QUOTE_SEED,
    identifiers: Identifiers | Iterable[str] | None = None,
    methods: Sequence[str] = TALK_METHODS,
    length: tuple[int, int] = QUOTE_LENGTH,
    with_site: bool = True,
    min_group: int = 1,
) -> pd.DataFrame:
    """Return up to ``per_code`` illustrative quotes per code: reproducible, redacted, attributed.

    The choice is a fixed function of the data and ``seed`` (a hash of seed, code and
    segment id orders the candidates), so a re-run gives the same quotes. Interview and
    focus-group talk of moderate length is preferred; different speakers are preferred to
    the same one twice; identical texts are not repeated. Where the segments carry stances
    the quotes take them in turn, most common first. Every quote is redacted with
    :func:`srim_analysis.disclosure.redact` (names on the identifier list, emails, phone
    numbers, postcodes, addresses, dates) and attributed by role, agency, site and method;
    an agency or role shared by fewer than ``min_group`` of the speakers in ``coded`` is
    left out of the attribution (:func:`coarsened_speaker`; notebooks pass ``min_cell``).
    """
    from srim_analysis import disclosure

    ids = identifiers
    if ids is not None and not isinstance(ids, disclosure.Identifiers):
        ids = list(ids)
    cols = [
        "branch",
        "code_id",
        "code_label",
        "quote_no",
        "stance",
        "quote",
        "attribution",
        "method",
        "redactions",
        "segment_id",
    ]
    rows = _select(coded, codes, branches).drop_duplicates(["segment_id", "code_id"])
    rows = rows[rows["excerpt"].notna()]
    if not len(rows) or per_code < 1:
        return pd.DataFrame(columns=cols)
    stance_of = {str(k): str(v) for k, v in segment_stances(coded).items()}
    speakers_all = coded.dropna(subset=["participant_id"]).drop_duplicates("participant_id")
    lo, hi = length
    chosen: list[dict[str, object]] = []
    for code in _sorted_codes(rows):
        cand = rows[rows["code_id"] == code].copy()
        text_len = cand["excerpt"].astype(str).str.len()
        talk = cand["method"].isin(list(methods))
        cand["_tier"] = np.where(talk & text_len.between(lo, hi), 0, np.where(talk, 1, 2))
        cand["_hash"] = [_quote_hash(seed, code, str(s)) for s in cand["segment_id"]]
        cand["_stance"] = [stance_of.get(str(x), "") for x in cand["segment_id"]]
        cand = cand.sort_values(["_tier", "_hash", "segment_id"])
        # one queue per stance, most common stance first (a single queue if none)
        counts = cand.loc[cand["_tier"] < 2, "_stance"].value_counts()
        stances = sorted(
            cand["_stance"].unique(),
            key=lambda s: (-counts.get(s, 0), list(STANCES).index(s) if s in STANCES else 9),
        )
        queues = [cand[cand["_stance"] == s] for s in stances]
        picked: list[dict[str, object]] = []
        seen_text: set[str] = set()
        speakers: set[str] = set()
        for allow_repeat_speaker in (False, True):
            positions = [0] * len(queues)
            while len(picked) < per_code:
                progressed = False
                for qi, queue in enumerate(queues):
                    if len(picked) >= per_code:
                        break
                    while positions[qi] < len(queue):
                        row = queue.iloc[positions[qi]]
                        positions[qi] += 1
                        speaker = _present(row["participant_id"]) or str(row["source_id"])
                        if str(row["segment_id"]) in {p["segment_id"] for p in picked}:
                            continue
                        if speaker in speakers and not allow_repeat_speaker:
                            continue
                        red = disclosure.redact(str(row["excerpt"]), ids)
                        key = " ".join(red.text.casefold().split())
                        if key in seen_text:
                            continue
                        seen_text.add(key)
                        speakers.add(speaker)
                        picked.append(
                            {
                                "branch": row["branch"],
                                "code_id": code,
                                "code_label": row["code_label"],
                                "quote_no": len(picked) + 1,
                                "stance": STANCES.get(str(row["_stance"]), ""),
                                "quote": red.text,
                                "attribution": attribution(
                                    coarsened_speaker(
                                        row.to_dict(), speakers_all, min_group, with_site
                                    ),
                                    with_site=with_site,
                                ),
                                "method": METHODS.get(str(row["method"]), str(row["method"])),
                                "redactions": len(red.found),
                                "segment_id": str(row["segment_id"]),
                            }
                        )
                        progressed = True
                        break
                if not progressed:
                    break
            if len(picked) >= per_code:
                break
        chosen += picked
    out = pd.DataFrame(chosen, columns=cols)
    out["quote_no"] = out["quote_no"].astype(int)
    out["redactions"] = out["redactions"].astype(int)
    return out


def quotes_html(quotes: pd.DataFrame) -> str:
    """Return quotes as HTML blockquotes grouped by code (for the browser and the report)."""
    from html import escape

    if not len(quotes):
        return "<p><i>No quotes for this theme.</i></p>"
    parts: list[str] = []
    for code, group in quotes.groupby("code_id", sort=False):
        label = escape(str(group["code_label"].iloc[0]))
        parts.append(
            f"<h4 style='margin-bottom:0.2em'>{label} <small>({escape(str(code))})</small></h4>"
        )
        for row in group.itertuples(index=False):
            stance = f" — <i>{escape(str(row.stance)).lower()}</i>" if row.stance else ""
            parts.append(
                "<blockquote style='margin:0.3em 0 0.6em 1em;border-left:3px solid #ccc;"
                f"padding-left:0.6em'>“{escape(str(row.quote))}”<br>"
                f"<small>{escape(str(row.attribution))}{stance}</small></blockquote>"
            )
    return "\n".join(parts)


def quote_browser(
    source: Report | pd.DataFrame,
    themes: Sequence[str] | None = None,
    per_code: int = 2,
    seed: int = QUOTE_SEED,
) -> ipywidgets.Widget:
    """Return a widget: a drop-down of themes and the redacted quotes for the chosen one.

    ``source`` is the notebook's Report (quotes are chosen for ``themes``) or a table from
    :func:`choose_quotes`. Changing the drop-down updates the quotes shown.
    """
    import ipywidgets as widgets

    if isinstance(source, pd.DataFrame):
        quotes = source
    else:
        coded, _ = material(source)
        quotes = choose_quotes(
            coded,
            branches=list(themes) if themes is not None else None,
            per_code=per_code,
            seed=seed,
            identifiers=study_identifiers(source.study.folder),
            min_group=source.min_cell,
        )
    branch_order = list(themes) if themes is not None else list(dict.fromkeys(quotes["branch"]))
    options = [(CODE_BRANCHES.get(b, b), b) for b in branch_order if (quotes["branch"] == b).any()]
    if not options:
        return widgets.HTML("<p><i>No quotes to browse for this selection.</i></p>")
    dropdown = widgets.Dropdown(options=options, value=options[0][1], description="Theme")
    view = widgets.HTML(quotes_html(quotes[quotes["branch"] == options[0][1]]))

    def update(change: Mapping[str, Any]) -> None:
        view.value = quotes_html(quotes[quotes["branch"] == change["new"]])

    dropdown.observe(update, names="value")
    return widgets.VBox([dropdown, view])


# ---------------------------------------------------------------------------
# Notebook sections: publish through the Report and return what to display
# ---------------------------------------------------------------------------


def material(report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the report's site's codings (:func:`coded_frame`) and participants."""
    study = report.study
    sites = study.tables.get("sites")
    participants = study.tables.get("participants")
    coded = coded_frame(
        study.coded_segments, participants, study.tables.get("codebook"), sites, report.site
    )
    if participants is None:
        participants = pd.DataFrame(
            columns=["participant_id", "site_id", "agency", "role", "method"]
        )
    people = participant_frame(participants, sites, report.site)
    return coded, people


def _figure(report: Report, fig: Figure | None, figure_id: str, caption: str) -> object | None:
    """Save a figure through the report and return it for display (or None if no figure)."""
    if fig is None:
        return None
    return report.figure(fig, figure_id, caption)


def _publish(
    report: Report,
    frame: pd.DataFrame,
    name: str,
    caption: str,
    count_columns: Sequence[str],
    depends: Mapping[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Publish a table through the report (small counts suppressed); return what was published.

    Percentage columns (``pct_*``) are declared as not counts, so a percentage that happens
    to be a whole number is not mistaken for an undeclared count.
    """
    import inspect

    extra: dict[str, object] = {}
    if "not_counts" in inspect.signature(report.table).parameters:
        extra["not_counts"] = [c for c in frame.columns if str(c).startswith("pct_")]
    return report.table(
        frame, name, caption, count_columns=list(count_columns), depends=depends, **extra
    )


def _quotes_for_table(quotes: pd.DataFrame) -> pd.DataFrame:
    """Return quotes for publishing: whole-number columns (not counts) made plain text."""
    out = quotes.drop(columns=["quote_no", "redactions"])
    out.insert(out.columns.get_loc("method") + 1, "redacted", quotes["redactions"].gt(0))
    out["redacted"] = out["redacted"].map({True: "yes", False: "no"})
    return out


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def _too_few(report: Report, people: pd.DataFrame) -> str | None:
    if len(people) >= report.min_cell:
        return None
    return (
        f"**{report.site_label} has fewer than {report.min_cell} participants** "
        f"(interviews and focus groups), so their views are not reported here: with so few "
        "people, what they said could identify them. Run the notebook for all sites "
        f'(`site = "all"`), or lower `min_cell` only for the research team\'s own use.'
    )


def show_sources(report: Report, by: str = "agency") -> Section:
    """Publish and return the sources behind the views: by method, and participants by group."""
    _check_by(by)
    coded, people = material(report)
    shown = Section()
    table = sources_by_method(coded, people)
    shown.add(
        report.show(
            _publish(
                report,
                table,
                "sources_by_method",
                f"Sources, coded segments and participants by kind of source — {report.site_label}",
                count_columns=["n_sources", "n_segments", "n_participants"],
            )
        )
    )
    by_group = participants_by_group(people, by)
    counts = [c for c in by_group.columns if c.startswith("n_")]
    shown.add(
        report.show(
            _publish(
                report,
                by_group,
                f"participants_by_{by}",
                f"Participants by {GROUPINGS[by].lower()} and how they took part — "
                f"{report.site_label}",
                count_columns=counts,
            )
        )
    )
    note = _too_few(report, people)
    if note:
        shown.add(note)
    return shown


def show_awareness(report: Report, by: str = "agency") -> Section:
    """Publish and return awareness of the 2024 advice by group (participants), table and chart."""
    _check_by(by)
    coded, people = material(report)
    note = _too_few(report, people)
    if note:
        return Section([note])
    table = awareness_table(coded, people, by)
    shown = Section()
    total = int(table["n_coded"].sum()) if len(table) else 0
    if total < report.min_cell:
        return Section(
            [
                f"Awareness of the advice was coded for fewer than {report.min_cell} participants "
                f"in {report.site_label}, so it is not reported."
            ]
        )
    read = int(table["n_read"].sum())
    unaware = int(table["n_unaware"].sum())
    shown.add(
        f"Of the {total} participants whose awareness was coded, "
        f"{100 * read / total:.0f}% had read the advice and {100 * unaware / total:.0f}% "
        "were not aware of it."
    )
    fig = awareness_figure(
        table,
        report.title(f"Awareness of the May 2024 advice by {GROUPINGS[by].lower()}"),
        report.min_cell,
    )
    image = _figure(
        report,
        fig,
        f"awareness-by-{_slug(by)}",
        f"Awareness of the May 2024 information sharing advice by {GROUPINGS[by].lower()}: "
        f"share of participants who had read it, had heard of it, or were not aware of it — "
        f"{report.site_label}. Groups with fewer than {report.min_cell} participants are not "
        "shown.",
    )
    if image is not None:
        shown.add(image)
    else:
        shown.add(
            f"No {GROUPINGS[by].lower()} has {report.min_cell} or more participants whose "
            "awareness was coded, so no chart is drawn."
        )
    counts = [c for c in table.columns if c.startswith("n_")]
    shown.add(
        report.show(
            _publish(
                report,
                table,
                f"awareness_by_{by}",
                f"Awareness of the May 2024 advice by {GROUPINGS[by].lower()} (participants) — "
                f"{report.site_label}",
                count_columns=counts,
                depends=AWARENESS_DEPENDS,
            )
        )
    )
    return shown


def show_reception(
    report: Report, branch: str = "golden_rules", by: str = "agency", per_code: int = 2
) -> Section:
    """Publish and return how a branch's codes were received: stance overall, by group, quotes."""
    _check_by(by)
    coded, people = material(report)
    note = _too_few(report, people)
    if note:
        return Section([note])
    name = CODE_BRANCHES.get(branch, branch)
    shown = Section()
    overall = stance_table(coded, by=None, branches=[branch])
    if not len(overall):
        return Section(
            [
                f"No interview or focus-group segment in {report.site_label} was coded "
                f"under “{name}”."
            ]
        )
    fig = stance_figure(
        overall, report.title(f"Stance on {name[:1].lower() + name[1:]}"), report.min_cell
    )
    image = _figure(
        report,
        fig,
        f"stance-{_slug(branch)}",
        f"{name}: share of interview and focus-group segments about each that were critical, "
        f"mixed, supportive or unclear — {report.site_label}. Codes discussed by fewer than "
        f"{report.min_cell} participants are not shown.",
    )
    if image is not None:
        shown.add(image)
    shown.add(
        report.show(
            _publish(
                report,
                overall.drop(columns=["branch", "group"]),
                f"stance_{branch}",
                f"Stance on {name[:1].lower() + name[1:]} (segments of interview and focus-group "
                f"talk) — {report.site_label}",
                count_columns=[c for c in overall.columns if c.startswith("n_")],
                depends=STANCE_DEPENDS,
            )
        )
    )
    by_group = stance_table(coded, by=by, branches=[branch])
    _publish(
        report,
        by_group.drop(columns=["branch"]),
        f"stance_{branch}_by_{by}",
        f"Stance on {name[:1].lower() + name[1:]} by {GROUPINGS[by].lower()} — {report.site_label}",
        count_columns=[c for c in by_group.columns if c.startswith("n_")],
        depends=STANCE_DEPENDS,
    )
    quotes = _publish_quotes(report, coded, branch, name, per_code)
    fig = stance_grid_figure(
        by_group,
        report.title(f"{_SHORT.get(branch, name)}: stance by {GROUPINGS[by].lower()}"),
        report.min_cell,
    )
    image = _figure(
        report,
        fig,
        f"stance-{_slug(branch)}-by-{_slug(by)}",
        f"{name}: stance by {GROUPINGS[by].lower()}, one panel each (share of segments "
        f"critical, mixed or supportive) — {report.site_label}. Groups with fewer than "
        f"{report.min_cell} participants who spoke about it are hidden (c).",
    )
    if image is not None:
        shown.add(image)
    else:
        shown.add(
            f"*No {GROUPINGS[by].lower()} has {report.min_cell} or more participants who "
            "spoke about any of these, so the chart by group is not drawn.*"
        )
    if len(quotes):
        from IPython.display import HTML

        shown.add("**Illustrative quotes** (most common stance first):")
        shown.add(HTML(quotes_html(quotes)))
    return shown


def show_most_criticised(
    report: Report, by: str = "agency", branches: Sequence[str] = STANCE_BRANCHES
) -> Section:
    """Publish and return which rule or meaning is most criticised, and by which groups."""
    _check_by(by)
    coded, people = material(report)
    note = _too_few(report, people)
    if note:
        return Section([note])
    stance = stance_table(coded, by=by, branches=list(branches))
    if not len(stance):
        return Section([f"No segment in {report.site_label} carries a stance on these codes."])
    found = most_criticised(stance)
    codes = _publish(
        report,
        found.codes,
        "most_criticised_codes",
        f"Rules and meanings of consent ranked by the share of critical segments — "
        f"{report.site_label}",
        count_columns=["n_participants", "n_segments", "n_critical"],
        depends={"pct_critical": ("n_critical", "n_segments")},
    )
    groups = _publish(
        report,
        found.groups,
        f"most_criticised_by_{by}",
        f"{found.code_label}: {_PLURAL[by]} ranked by the share of their segments that are "
        f"critical — {report.site_label}",
        count_columns=["n_participants", "n_segments", "n_critical"],
        depends={"pct_critical": ("n_critical", "n_segments")},
    )
    # the sentence says no more than the published tables show
    hidden_groups = {
        str(k) for k, p in zip(groups[by], groups["pct_critical"], strict=True) if p == "c"
    }
    if len(codes) and codes["pct_critical"].iloc[0] == "c":
        sentence = (
            f"Too few participants in {report.site_label} gave a view for the most criticised "
            "rule or meaning of consent to be named."
        )
    else:
        sentence = found.sentence(report.min_cell, report.site_label, hidden=hidden_groups)
    return Section([sentence, report.show(codes), report.show(groups)])


_PLURAL = {"agency": "agencies", "role": "roles", "site_id": "sites", "method": "methods"}


def show_frequencies(
    report: Report, branches: Sequence[str] | str, by: str = "agency", name: str | None = None
) -> Section:
    """Publish and return a heatmap and table of participants raising each code, by group."""
    _check_by(by)
    branches = [branches] if isinstance(branches, str) else list(branches)
    coded, people = material(report)
    note = _too_few(report, people)
    if note:
        return Section([note])
    freq = code_frequencies(coded, by=by, branches=branches)
    slug = "_".join(branches) if len(branches) <= 2 else "themes"
    title_name = name or ", ".join(CODE_BRANCHES.get(b, b) for b in branches)
    if not len(freq):
        return Section([f"Nothing in {report.site_label} was coded under {title_name}."])
    talk = freq[freq[by] != UNATTRIBUTED_KEY]
    matrix = frequency_matrix(talk, "n_participants")
    shown = Section()
    fig = heatmap_figure(
        matrix,
        report.title(f"Participants raising each code by {GROUPINGS[by].lower()}"),
        report.min_cell,
        count_label="Participants",
        secondary=True,
    )
    image = _figure(
        report,
        fig,
        f"frequencies-{_slug(slug)}-by-{_slug(by)}",
        f"{title_name}: participants raising each code, by {GROUPINGS[by].lower()} — "
        f"{report.site_label}. Counts from 1 to {report.min_cell - 1} are hidden (c).",
    )
    if image is not None:
        shown.add(image)
    shown.add(
        report.show(
            _publish(
                report,
                freq.drop(columns=["branch"]),
                f"frequencies_{slug}_by_{by}",
                f"{title_name}: participants, segments and sources per code and "
                f"{GROUPINGS[by].lower()} — {report.site_label}",
                count_columns=["n_participants", "n_segments", "n_sources"],
            )
        )
    )
    return shown


def show_branch(report: Report, branch: str, by: str = "agency", per_code: int = 2) -> Section:
    """Publish and return a branch's codes ranked by participants, a chart and quotes."""
    _check_by(by)
    coded, people = material(report)
    note = _too_few(report, people)
    if note:
        return Section([note])
    name = CODE_BRANCHES.get(branch, branch)
    summary = branch_summary(coded, people, branch)
    if not len(summary):
        return Section([f"Nothing in {report.site_label} was coded under “{name}”."])
    shown = Section()
    top = summary.iloc[0]
    if top["n_participants"] >= report.min_cell:
        shown.add(
            f"Raised by most participants: **{top['code_label']}** "
            f"({top['n_participants']} participants, {top['pct_participants']:.0f}% of "
            + ("all participants" if report.site == ALL else f"those in {report.site_label}")
            + ")."
        )
    fig = branch_figure(summary, report.title(name), report.min_cell)
    image = _figure(
        report,
        fig,
        f"{_slug(branch)}-participants",
        f"{name}: participants raising each code — {report.site_label}. Counts from 1 to "
        f"{report.min_cell - 1} are hidden (c).",
    )
    if image is not None:
        shown.add(image)
    shown.add(
        report.show(
            _publish(
                report,
                summary.drop(columns=["rank"]),
                f"{branch}_summary",
                f"{name}: participants, segments and sources per code — {report.site_label}",
                count_columns=["n_participants", "n_segments", "n_sources"],
                depends={"pct_participants": ("n_participants",)},
            )
        )
    )
    quotes = _publish_quotes(report, coded, branch, name, per_code)
    if len(quotes):
        from IPython.display import HTML

        shown.add(HTML(quotes_html(quotes)))
    return shown


def _publish_quotes(
    report: Report, coded: pd.DataFrame, branch: str, name: str, per_code: int
) -> pd.DataFrame:
    """Publish the illustrative quotes of one branch (when there are any); return them."""
    quotes = choose_quotes(
        coded,
        branches=[branch],
        per_code=per_code,
        identifiers=study_identifiers(report.study.folder),
        min_group=report.min_cell,
    )
    if len(quotes):
        _publish(
            report,
            _quotes_for_table(quotes),
            f"quotes_{branch}",
            f"Illustrative quotes: {name[:1].lower() + name[1:]} (redacted, pseudonymous) — "
            f"{report.site_label}",
            count_columns=[],
        )
    return quotes


_SHORT = {
    "gaps": "Gaps in the advice",
    "barriers": "Barriers to sharing",
    "father_practice": "Practice with fathers",
    "facilitators": "Facilitators of sharing",
    "golden_rules": "Golden rules",
    "consent": "Meanings of consent",
    "lawful_basis": "Lawful bases",
}


def show_cooccurrence(
    report: Report,
    rows: str,
    columns: str,
    within: str = "source",
) -> Section:
    """Publish and return a heatmap of how often codes of two branches occur together."""
    coded, people = material(report)
    note = _too_few(report, people)
    if note:
        return Section([note])
    row_codes = _sorted_codes(coded[coded["branch"] == rows]) if len(coded) else []
    col_codes = _sorted_codes(coded[coded["branch"] == columns]) if len(coded) else []
    if not row_codes or not col_codes:
        return Section(
            [f"Not enough coded material in {report.site_label} to relate these themes."]
        )
    matrix = cooccurrence(coded, within, row_codes, col_codes)
    label = coded.drop_duplicates("code_id").set_index("code_id")["code_label"]
    shown_matrix = matrix.rename(index=label, columns=label)
    unit = (
        "segments"
        if within == "segment"
        else "sources (interviews, focus groups, notes, documents)"
    )
    rname, cname = CODE_BRANCHES.get(rows, rows), CODE_BRANCHES.get(columns, columns)
    fig = heatmap_figure(
        shown_matrix,
        report.title(f"{_SHORT.get(rows, rname)} and {_SHORT.get(columns, cname).lower()}"),
        report.min_cell,
        count_label=unit.split(" (")[0].capitalize(),
    )
    shown = Section()
    image = _figure(
        report,
        fig,
        f"cooccurrence-{_slug(rows)}-{_slug(columns)}-{within}",
        f"Number of {unit} coded with both codes: {rname.lower()} (rows) and {cname.lower()} "
        f"(columns) — {report.site_label}. Counts from 1 to {report.min_cell - 1} are hidden (c).",
    )
    if image is not None:
        shown.add(image)
    table = matrix.rename_axis("code_id").reset_index()
    table.insert(1, "code_label", table["code_id"].map(label))
    table = table.rename(columns={c: f"n_{c}" for c in col_codes})
    _publish(
        report,
        table,
        f"cooccurrence_{rows}_{columns}_{within}",
        f"Co-occurrence within {unit}: {rname.lower()} by {cname.lower()} — {report.site_label}",
        count_columns=[f"n_{c}" for c in col_codes],
    )
    return shown
