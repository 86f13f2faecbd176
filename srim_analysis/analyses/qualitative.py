"""Objective 4: what practitioners say about the May 2024 information sharing advice.

Analyses of the coded qualitative material (interviews, focus groups, observation notes and
documents) for the Framework method, as pure functions: the study's plain tables
(``coded_segments``, ``participants``, ``codebook``, ``sites``) in, tables and plain results
out.

* **the material**: :func:`coded_frame` (one row per coding, with who said it and what the
  code means), :func:`participant_frame` and :func:`material` (both for one site, or all);
* **who said what**: code frequencies by agency, role, site or method, counting people
  (distinct participants) as well as coded segments and sources;
* **how codes connect**: co-occurrence of codes within segments and within sources;
* **stance**: how each golden rule and each meaning of consent was received (supportive,
  critical, mixed or unclear, from the stance codes applied to the same segment), and which
  rule is criticised most and by whom;
* **awareness** of the advice, **gaps** in it and **practice with fathers**;
* **illustrative quotes**, chosen reproducibly, redacted and attributed pseudonymously.

The charts of these tables are in :mod:`srim_analysis.charts.qualitative`; notebook 04's
sections, which publish them, in :mod:`srim_analysis.sections.guidance`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srim_analysis import disclosure

# study_identifiers: re-exported for sections.awareness
from srim_analysis.disclosure import study_identifiers as study_identifiers
from srim_analysis.study.contract import AGENCIES, METHODS, ROLES
from srim_analysis.study.plan import AWARENESS_ROLES, STANCE_ROLES
from srim_analysis.study.selection import ALL_SITES, for_site

if TYPE_CHECKING:
    from srim_analysis.disclosure import Identifiers
    from srim_analysis.study.loading import Study

#: A segment of talk about a rule or meaning that carries no stance code.
NO_STANCE = "no_stance"

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

#: The group key of every row when a table is not broken down by group (never published).
_ONE_GROUP = "everyone"


# ---------------------------------------------------------------------------
# The coded material, with who said it and what the codes mean
# ---------------------------------------------------------------------------


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


def _add_site_names(out: pd.DataFrame, sites: pd.DataFrame | None) -> None:
    """Add ``site_name`` (the site's display name, else its id) to ``out`` in place."""
    names = (
        sites.set_index("site_id")["display_name"]
        if sites is not None and len(sites)
        else pd.Series(dtype=object)
    )
    out["site_name"] = out["site_id"].map(names).astype(object)
    out["site_name"] = out["site_name"].where(out["site_name"].notna(), out["site_id"])


def coded_frame(
    segments: pd.DataFrame,
    participants: pd.DataFrame | None = None,
    codebook: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    site: str = ALL_SITES,
) -> pd.DataFrame:
    """Return the codings of one site (or all) with speaker agency and role, site and code labels.

    One row per coding, as in ``coded_segments``, plus ``agency`` and ``role`` (blank for
    documents, observation notes and unattributed talk), ``site_name``, ``code_label``,
    ``branch`` and ``code_order`` (the code's position in the codebook).
    """
    out = for_site(segments, site).copy().reset_index(drop=True)
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
    _add_site_names(out, sites)
    meta = _code_meta(codebook)
    out["code_label"] = out["code_id"].map(meta["code_label"]).astype(object)
    out["code_label"] = out["code_label"].where(out["code_label"].notna(), out["code_id"])
    out["branch"] = out["code_id"].map(meta["branch"]).astype(object)
    order = out["code_id"].map(meta["code_order"])
    unknown = {c: len(meta) + i for i, c in enumerate(sorted(set(out["code_id"][order.isna()])))}
    out["code_order"] = order.fillna(out["code_id"].map(unknown)).astype(int)
    return out


def participant_frame(
    participants: pd.DataFrame, sites: pd.DataFrame | None = None, site: str = ALL_SITES
) -> pd.DataFrame:
    """Return the participants of one site (or all) with their site's display name added."""
    out = for_site(participants, site).copy().reset_index(drop=True)
    _add_site_names(out, sites)
    return out


def material(study: Study, site: str = ALL_SITES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return one site's (or all) codings (:func:`coded_frame`) and participants.

    A study without a ``participants`` table gives an empty participants table.
    """
    sites = study.tables.get("sites")
    participants = study.tables.get("participants")
    coded = coded_frame(
        study.coded_segments, participants, study.tables.get("codebook"), sites, site
    )
    if participants is None:
        participants = pd.DataFrame(
            columns=["participant_id", "site_id", "agency", "role", "method"]
        )
    people = participant_frame(participants, sites, site)
    return coded, people


def check_grouping(by: str | None) -> None:
    """Raise ValueError unless ``by`` is None or one of :data:`GROUPINGS`; return None."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)} (not {by!r}).")


def _groups(frame: pd.DataFrame, by: str | None) -> tuple[pd.Series, pd.Series]:
    """Return each row's group key and plain-English group label."""
    check_grouping(by)
    if by is None:
        keys = pd.Series(_ONE_GROUP, index=frame.index, dtype=object)
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


def group_rank(by: str | None, keys: Iterable[object]) -> dict[object, int]:
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


def branch_codes(coded: pd.DataFrame, branch: str) -> list[str]:
    """Return the codes of ``branch`` applied in ``coded``, in codebook order."""
    if not len(coded):
        return []
    return _sorted_codes(coded[coded["branch"] == branch])


def code_labels(coded: pd.DataFrame) -> pd.Series:
    """Return each applied code's label (index: code_id)."""
    return coded.drop_duplicates("code_id").set_index("code_id")["code_label"]


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
    rank = group_rank(by, table.index)
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


def _in_order(frame: pd.DataFrame, by: str | None, counts: Sequence[str]) -> pd.DataFrame:
    """Return per-code-and-group rows in codebook then group order, keys as ``by``, counts int."""
    rank = group_rank(by, frame["_key"])
    out = frame.assign(_rank=frame["_key"].map(rank))
    out = out.sort_values(["code_order", "code_id", "_rank"]).reset_index(drop=True)
    if by:
        out[by] = out["_key"]
    for c in counts:
        out[c] = out[c].astype(int)
    return out


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
    return _in_order(agg, by, counts)[[*cols, *counts]]


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


def cooccurrence_table(matrix: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Return a :func:`cooccurrence` matrix as a table: ``code_id``, ``code_label``, ``n_<code>``.

    >>> m = pd.DataFrame([[1, 0]], index=["X"], columns=["Y", "Z"])
    >>> cooccurrence_table(m, {"X": "Ex"}).to_dict("records")
    [{'code_id': 'X', 'code_label': 'Ex', 'n_Y': 1, 'n_Z': 0}]
    """
    table = matrix.rename_axis("code_id").reset_index()
    table.insert(1, "code_label", table["code_id"].map(labels))
    return table.rename(columns={c: f"n_{c}" for c in matrix.columns})


# ---------------------------------------------------------------------------
# Stance on the golden rules and the meanings of consent
# ---------------------------------------------------------------------------


def combine_stances(roles: Iterable[str]) -> str | None:
    """Return the one stance role of a segment from the stance roles of the codes applied to it.

    Roles are those of the analysis plan (``critical``, ``mixed``, ``supportive``,
    ``unclear``). Supportive and critical together count as mixed; unclear gives way to
    any view.

    >>> combine_stances(["supportive"])
    'supportive'
    >>> combine_stances(["supportive", "critical"])
    'mixed'
    >>> combine_stances(["unclear", "critical"])
    'critical'
    >>> combine_stances([]) is None
    True
    """
    found = set(roles)
    views = found & {"supportive", "critical", "mixed"}
    if "mixed" in views or len(views) > 1:
        return "mixed"
    if views:
        return views.pop()
    return "unclear" if "unclear" in found else None


def segment_stances(coded: pd.DataFrame, stances: Mapping[str, str]) -> pd.Series:
    """Return the stance role of each segment that has one (index: segment_id).

    ``stances`` maps the study's stance code ids to their roles (the analysis plan's
    ``codes.stance_columns()``).

    >>> seg = pd.DataFrame({"segment_id": ["s1", "s1", "s2"], "code_id": ["R", "V+", "V-"]})
    >>> segment_stances(seg, {"V+": "supportive", "V-": "critical"}).to_dict()
    {'s1': 'supportive', 's2': 'critical'}
    """
    st = coded[coded["code_id"].isin(list(stances))]
    if not len(st):
        return pd.Series(dtype=object)
    roles = st["code_id"].map(dict(stances))
    return roles.groupby(st["segment_id"]).agg(combine_stances).dropna()


def stance_table(
    coded: pd.DataFrame,
    stances: Mapping[str, str],
    by: str | None = None,
    codes: Sequence[str] | None = None,
    branches: Sequence[str] | str | None = STANCE_BRANCHES,
    methods: Sequence[str] | None = TALK_METHODS,
) -> pd.DataFrame:
    """Return, per code (and group), segments by stance: critical, mixed, supportive, unclear.

    Only talk (interviews and focus groups, by default) counts: documents quote the advice
    but hold no views. ``stances`` maps the study's stance code ids to their roles (the
    analysis plan's ``codes.stance_columns()``); the columns are named by role
    (``n_critical``, ``n_mixed``, ``n_supportive``, ``n_unclear``), whatever the codes.
    ``pct_*`` are percentages of the code's segments; ``n_no_stance`` counts segments with
    no stance code.
    """
    rows = _select(coded, codes, branches)
    if methods is not None:
        rows = rows[rows["method"].isin(list(methods))]
    rows = rows.drop_duplicates(["segment_id", "code_id"])
    stance = segment_stances(coded, stances)
    keys, labels = _groups(rows, by)
    frame = rows.assign(
        _key=keys.to_numpy(),
        group=labels.to_numpy(),
        stance=rows["segment_id"].map(stance).fillna(NO_STANCE).to_numpy(),
    )
    ids = ["code_id", "code_label", "branch", *([by] if by else []), "group"]
    kinds = [*STANCE_ROLES, NO_STANCE]
    counts = ["n_participants", "n_segments", *(f"n_{k}" for k in kinds)]
    pcts = [f"pct_{k}" for k in kinds]
    if not len(frame):
        out = pd.DataFrame(columns=[*ids, *counts, *pcts])
        out.attrs["by"] = by
        return out
    base = _per_code_and_group(frame)
    tally = frame.groupby(["code_id", "_key", "stance"]).size().unstack("stance", fill_value=0)
    for col in kinds:
        series = tally[col] if col in tally else pd.Series(0, index=tally.index)
        base[f"n_{col}"] = [
            int(series.get((c, k), 0)) for c, k in zip(base["code_id"], base["_key"], strict=True)
        ]
    for k in kinds:
        base[f"pct_{k}"] = (100 * base[f"n_{k}"] / base["n_segments"]).round(1)
    out = _in_order(base, by, counts)[[*ids, *counts, *pcts]]
    out.attrs["by"] = by
    return out


#: Percentage columns of a stance table and the counts each depends on (for publishing).
STANCE_DEPENDS: dict[str, tuple[str, ...]] = {
    f"pct_{k}": (f"n_{k}", "n_segments") for k in [*STANCE_ROLES, NO_STANCE]
}
#: A stance table's segments are split by stance (or none): the sum it holds.
STANCE_SUMS: dict[str, tuple[str, ...]] = {
    "n_segments": tuple(f"n_{k}" for k in [*STANCE_ROLES, NO_STANCE])
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


def shown_number(value: object) -> float | None:
    """Return a published cell as a number, or None when it is hidden, blank or not a number.

    >>> shown_number("c") is None, shown_number("7"), shown_number(None) is None
    (True, 7.0, True)
    """
    if disclosure.is_suppressed(value):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def criticised_sentence(
    codes: pd.DataFrame,
    groups: pd.DataFrame,
    by: str | None,
    min_cell: int,
    where: str = "in these data",
) -> str:
    """Return the most-criticised finding in plain words, from the published tables only.

    ``codes`` and ``groups`` are the published forms of :attr:`MostCriticised.codes` and
    :attr:`MostCriticised.groups` (a hidden cell is the suppression mark): every number
    in the sentence is a cell they show, and a code or group is named only when its
    participants, segments and share are shown and at least ``min_cell`` participants
    spoke about it; the runner-up is named only when its share is shown. ``where`` says
    where ('across all sites', 'at Northfield').

    >>> codes = pd.DataFrame({"code_label": ["Rule A", "Rule C", "Rule B"],
    ...     "n_participants": [12, 9, "c"], "n_segments": [20, 15, "c"],
    ...     "pct_critical": [45.0, 20.0, "c"]})
    >>> groups = pd.DataFrame({"agency": ["police", "health"], "group": ["Police", "Health"],
    ...     "n_participants": [6, "c"], "pct_critical": [60.0, "c"]})
    >>> text = criticised_sentence(codes, groups, "agency", 5, "at Northfield")
    >>> text.split(": ", 1)[1].split(". ")[0]
    '45% of the 20 segments about it are critical (next: Rule C, 20%)'
    >>> "Police (60%)" in text, "Health" in text
    (True, False)
    """

    def shown(row: Mapping[str, Any], *cols: str) -> list[float] | None:
        values = [shown_number(row.get(c)) for c in cols]
        if any(v is None for v in values):
            return None
        return values  # type: ignore[return-value]

    rows = codes.to_dict("records")
    top = shown(rows[0], "n_participants", "n_segments", "pct_critical") if rows else None
    if top is None or top[0] < min_cell:
        return (
            f"Too few participants {where} gave a view for the most criticised rule or "
            "meaning of consent to be named."
        )
    _, n_segments, pct = top
    text = (
        f"The most criticised is **{rows[0]['code_label']}**: {pct:.0f}% of the "
        f"{n_segments:.0f} segments about it are critical"
    )
    nxt = shown(rows[1], "n_participants", "pct_critical") if len(rows) > 1 else None
    if nxt is not None and nxt[0] >= min_cell:  # the runner-up, only if the table shows it
        text += f" (next: {rows[1]['code_label']}, {nxt[1]:.0f}%)"
    text += "."
    if by:
        named = []
        for row in groups.to_dict("records"):
            got = shown(row, "n_participants", "pct_critical")
            if got is not None and got[0] >= min_cell and got[1] > pct:
                named.append(f"{row['group']} ({got[1]:.0f}%)")
        if named:
            text += f" More critical of it than overall ({pct:.0f}%): " + ", ".join(named) + "."
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


# ---------------------------------------------------------------------------
# Awareness, gaps and father-specific practice
# ---------------------------------------------------------------------------


def awareness_table(
    coded: pd.DataFrame,
    people: pd.DataFrame,
    awareness: Mapping[str, str],
    by: str | None = "agency",
) -> pd.DataFrame:
    """Return participants per group by awareness of the 2024 advice (each person counted once).

    ``awareness`` maps the study's awareness code ids to their levels (the analysis plan's
    ``codes.awareness_columns()``: ``read``, ``heard``, ``unaware``); the columns are named
    by level (``n_read``, ...), whatever the codes. A participant coded at several levels
    counts at the most aware one (read, then heard, then unaware); ``n_not_coded`` are
    participants whose awareness never came up. Percentages are of the participants whose
    awareness was coded (``n_coded``). ``by=None`` gives one row, ``group`` 'All'.

    >>> seg = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "code_id": ["K", "N", "K"],
    ...     "source_id": ["i1", "i1", "i2"], "method": ["interview"] * 3,
    ...     "site_id": ["A"] * 3, "participant_id": ["p1", "p1", "p2"]})
    >>> people = pd.DataFrame({"participant_id": ["p1", "p2", "p3"], "site_id": ["A"] * 3})
    >>> out = awareness_table(coded_frame(seg), people, {"K": "read", "N": "unaware"}, by=None)
    >>> out[["group", "n_participants", "n_coded", "n_read", "n_unaware"]].values.tolist()
    [['All', 3, 2, 2, 0]]
    """
    levels = list(AWARENESS_ROLES)
    role_of = {str(k): v for k, v in awareness.items() if v in AWARENESS_ROLES}
    aw = coded[coded["code_id"].isin(list(role_of)) & coded["participant_id"].notna()]
    level = (
        aw["code_id"]
        .map(role_of)
        .groupby(aw["participant_id"])
        .agg(lambda s: min(s, key=levels.index))
    )
    keys, labels = _groups(people, by)
    frame = pd.DataFrame(
        {
            "key": keys.to_numpy(),
            "group": labels.to_numpy(),
            "level": people["participant_id"].map(level).astype(object).fillna("none").to_numpy(),
        }
    )
    ids = [*([by] if by else []), "group"]
    cols = [
        *ids,
        "n_participants",
        "n_coded",
        *(f"n_{c}" for c in levels),
        "n_not_coded",
    ]
    pcts = [f"pct_{c}" for c in levels]
    if not len(frame):
        return pd.DataFrame(columns=[*cols, *pcts])
    table = pd.crosstab(frame["key"], frame["level"])
    rank = group_rank(by, table.index)
    table = table.loc[sorted(table.index, key=lambda k: rank.get(k, 0))]
    label_of = dict(zip(frame["key"], frame["group"], strict=False))
    out = pd.DataFrame({"_key": list(table.index), "group": [label_of[k] for k in table.index]})
    if by:
        out.insert(0, by, out["_key"])
    out["n_participants"] = table.sum(axis=1).to_numpy().astype(int)
    for col in levels:
        out[f"n_{col}"] = np.asarray(table.get(col, 0), dtype=int)
    out["n_coded"] = out[[f"n_{c}" for c in levels]].sum(axis=1).astype(int)
    out["n_not_coded"] = (out["n_participants"] - out["n_coded"]).astype(int)
    for col in levels:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"pct_{col}"] = (100 * out[f"n_{col}"] / out["n_coded"].replace(0, np.nan)).round(1)
    return out[[*cols, *pcts]]


#: Percentage columns of an awareness table and the counts each depends on.
AWARENESS_DEPENDS: dict[str, tuple[str, ...]] = {
    f"pct_{c}": (f"n_{c}", "n_coded") for c in AWARENESS_ROLES
}
#: Count columns of an awareness table that add up others in the same row.
AWARENESS_SUMS: dict[str, tuple[str, ...]] = {
    "n_coded": tuple(f"n_{c}" for c in AWARENESS_ROLES),
    "n_participants": ("n_coded", "n_not_coded"),
}


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


# ---------------------------------------------------------------------------
# Illustrative quotes
# ---------------------------------------------------------------------------


def attribution(row: Mapping[str, Any], with_site: bool = True) -> str:
    """Return a pseudonymous attribution for a quote: role, agency, site and method.

    Never a name or an id: only the plain-English labels of the speaker's role and agency,
    the site's display name and how the words were collected.

    >>> attribution({"role": "practitioner", "agency": "midwifery", "site_name": "Northfield",
    ...     "method": "interview", "participant_id": "X-17"})
    'Practitioner, Midwifery, Northfield (interview)'
    >>> attribution({"method": "document", "site_name": "Northfield"})
    'Document, Northfield'
    >>> attribution({"method": "focus_group", "site_name": "Southwick"}, with_site=False)
    'Focus group participant (focus group)'
    """

    def text(key: str) -> str | None:
        return text_or_none(row.get(key))

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
    Northfield" where Northfield has two midwives would point at one of two people: the
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
    if min_group <= 1 or text_or_none(out.get("role")) is None:
        return out
    place = ["site_name"] if with_site else []
    who = people

    def shared(keys: list[str]) -> int:
        match = pd.Series(True, index=who.index)
        for k in keys:
            match &= who[k].astype(str) == str(out.get(k))
        return int(match.sum())

    if (
        text_or_none(out.get("agency")) is not None
        and shared([*place, "role", "agency"]) < min_group
    ):
        out["agency"] = None
    if shared([*place, "role"]) < min_group:
        out["role"] = None
        out["agency"] = None
    return out


def text_or_none(value: object) -> str | None:
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
    stances: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return up to ``per_code`` illustrative quotes per code: reproducible, redacted, attributed.

    The choice is a fixed function of the data and ``seed`` (a hash of seed, code and
    segment id orders the candidates), so a re-run gives the same quotes. Interview and
    focus-group talk of moderate length is preferred; different speakers are preferred to
    the same one twice; identical texts are not repeated. Where the segments carry stances
    (``stances``: the study's stance code ids and their roles, the analysis plan's
    ``codes.stance_columns()``) the quotes take them in turn, most common first. Every
    quote is redacted with :func:`srim_analysis.disclosure.redact` (names on the identifier
    list, emails, phone numbers, postcodes, addresses, dates) and attributed by role,
    agency, site and method; an agency or role shared by fewer than ``min_group`` of the
    speakers in ``coded`` is left out of the attribution (:func:`coarsened_speaker`;
    notebooks pass ``min_cell``).
    """
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
    stance_of = {str(k): str(v) for k, v in segment_stances(coded, stances or {}).items()}
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
            key=lambda s: (
                -counts.get(s, 0),
                list(STANCE_ROLES).index(s) if s in STANCE_ROLES else len(STANCE_ROLES),
            ),
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
                        speaker = text_or_none(row["participant_id"]) or str(row["source_id"])
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
                                "stance": STANCE_ROLES.get(str(row["_stance"]), ""),
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


def quotes_table(quotes: pd.DataFrame) -> pd.DataFrame:
    """Return quotes as published: the whole-number columns (not counts) made plain text.

    ``quote_no`` goes, and ``redactions`` becomes ``redacted`` ("yes" or "no").
    """
    out = quotes.drop(columns=["quote_no", "redactions"])
    out.insert(out.columns.get_loc("method") + 1, "redacted", quotes["redactions"].gt(0))
    out["redacted"] = out["redacted"].map({True: "yes", False: "no"})
    return out
