"""Barriers and facilitators for Objective 3: who raised them, and what they sound like.

From the coded interviews and focus groups (no survey needed):

* :func:`barrier_facilitator_counts` - distinct participants and segments per barrier /
  facilitator code and group, parent codes rolled up;
* :func:`barrier_table` - the table notebook 03 publishes (codebook order, never ranked
  by counts that may be suppressed);
* :func:`top_barrier_quotes` - redacted, pseudonymously attributed quotes for the
  most-raised barriers;
* :func:`ranked_totals` and :func:`barrier_view` - the published totals ranked, and the
  codes x groups display view.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import qualitative, survey
from srim_analysis.analyses.survey_tables import TOTAL, group_order
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.study.loading import Study
from srim_analysis.study.selection import ALL_SITES, for_site

__all__ = [
    "QUOTES_PER_BARRIER",
    "TOP_BARRIERS",
    "UNATTRIBUTED",
    "barrier_facilitator_counts",
    "barrier_table",
    "barrier_view",
    "ranked_totals",
    "top_barrier_quotes",
]

#: How many of the most-raised barriers get quotes, and how many quotes each.
TOP_BARRIERS = 3
QUOTES_PER_BARRIER = 2


#: The group of segments with no participant (documents, unattributed group talk).
UNATTRIBUTED = "(unattributed)"


def _descendants(codebook: pd.DataFrame) -> dict[str, set[str]]:
    children: dict[str, list[str]] = {}
    for code, parent in zip(codebook["code_id"], codebook["parent_id"], strict=True):
        if pd.notna(parent) and str(parent) != "":
            children.setdefault(str(parent), []).append(str(code))
    out: dict[str, set[str]] = {}
    for code in codebook["code_id"].astype(str):
        seen, stack = {code}, [code]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        out[code] = seen
    return out


def barrier_facilitator_counts(
    coded_segments: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    by: str = "agency",
    branches: Sequence[str] = ("barriers", "facilitators"),
    rollup: bool = True,
) -> pd.DataFrame:
    """Return per barrier / facilitator code and group the distinct participants and segments.

    ``by`` is a column of ``participants`` (agency, role, ...) or of ``coded_segments``
    (site_id, method). ``n_participants`` counts distinct people, ``n_segments`` distinct
    segments; ``n_group`` is the number of participants in that group and
    ``pct_participants`` the share of them who raised the code. With ``rollup`` a parent
    code counts everyone coded with it *or any code below it* (each person once).
    Segments with no participant (documents, unattributed group talk) go in the group
    ``(unattributed)`` when ``by`` comes from participants: counted as segments only.
    A group ``All`` gives totals.
    """
    book = codebook.copy()
    book["code_id"] = book["code_id"].astype(str)
    in_branch = book[book["branch"].isin(branches)]
    family = _descendants(book) if rollup else {c: {c} for c in book["code_id"]}
    seg = coded_segments.copy()
    seg["code_id"] = seg["code_id"].astype(str)
    pid = seg["participant_id"].astype("string")
    seg["participant_id"] = pid.mask(pid == "").astype(object).where(pid.notna(), None)
    people = participants.copy()
    people["participant_id"] = people["participant_id"].astype(str)
    if by in seg.columns:
        seg["group"] = seg[by].astype(str)
        group_sizes = (
            seg.dropna(subset=["participant_id"]).groupby("group")["participant_id"].nunique()
        )
        total_people = seg["participant_id"].dropna().nunique()
    elif by in people.columns:
        lookup = people.set_index("participant_id")[by].astype(str)
        seg["group"] = seg["participant_id"].map(lookup)
        seg.loc[seg["participant_id"].isna(), "group"] = UNATTRIBUTED
        missing = seg["group"].isna()
        if missing.any():
            raise ValueError(
                "coded_segments names participant(s) not in participants: "
                + ", ".join(sorted(seg.loc[missing, "participant_id"].unique())[:5])
            )
        group_sizes = people.groupby(people[by].astype(str))["participant_id"].nunique()
        total_people = people["participant_id"].nunique()
    else:
        raise ValueError(f"Neither participants nor coded_segments has a column {by!r}.")
    groups = sorted(seg["group"].dropna().unique())
    rows = []
    for code in in_branch.itertuples(index=False):
        hits = seg[seg["code_id"].isin(family[code.code_id])]
        for group in [*groups, "All"]:
            part = hits if group == "All" else hits[hits["group"] == group]
            n_group = total_people if group == "All" else int(group_sizes.get(group, 0))
            n_people = int(part["participant_id"].dropna().nunique())
            rows.append(
                {
                    "branch": code.branch,
                    "code_id": code.code_id,
                    "label": code.label,
                    by: group,
                    "n_participants": n_people if group != UNATTRIBUTED else pd.NA,
                    "n_segments": int(part["segment_id"].nunique()),
                    "n_group": n_group if group != UNATTRIBUTED else pd.NA,
                    "pct_participants": (
                        100 * n_people / n_group if group != UNATTRIBUTED and n_group else np.nan
                    ),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for col in ("n_participants", "n_group"):
        out[col] = out[col].astype("Int64")
    out.insert(
        out.columns.get_loc(by) + 1,
        f"{by}_label",
        [g if g in (UNATTRIBUTED, "All") else survey.level_label(by, g) for g in out[by]],
    )
    last = {UNATTRIBUTED: 1, "All": 2}
    out["_order"] = out[by].map(lambda g: last.get(g, 0))
    out = out.sort_values(["branch", "code_id", "_order", by], kind="mergesort")
    return out.drop(columns="_order").reset_index(drop=True)


def barrier_table(study: Study, site: str = ALL_SITES, by: str = "agency") -> pd.DataFrame:
    """Return per barrier / facilitator and group how many participants raised it.

    One row per code and group (``by``: a column of ``participants``, e.g. agency or
    role) and an ``All`` row per code: ``n_participants`` who raised the code (or a code
    under it) and ``pct_participants``, their share of the group's participants. Codes are
    in codebook order (the "any barrier" / "any facilitator" row first), never by their
    counts, so that the order gives nothing away about suppressed counts. Documents and
    observation notes are not participants and are not counted.
    """
    people = for_site(study.participants, site)
    segments = for_site(study.coded_segments, site)
    counts = barrier_facilitator_counts(segments, study.codebook, people, by=by)
    if counts.empty:
        return pd.DataFrame(columns=["branch", "code", by, "n_participants", "pct_participants"])
    counts = counts[counts[by] != UNATTRIBUTED].copy()
    parents = set(study.codebook.loc[study.codebook["parent_id"].isna(), "code_id"].astype(str))
    position = {c: i for i, c in enumerate(study.codebook["code_id"].astype(str))}
    counts["_parent"] = ~counts["code_id"].isin(parents)
    counts["_code"] = counts["code_id"].map(position)
    counts["_last"] = counts[by] == TOTAL
    order = [k for k in group_order(by, counts[by]) if k != TOTAL]
    counts["_group"] = counts[by].map({k: i for i, k in enumerate(order)}).fillna(len(order))
    counts = counts.sort_values(["branch", "_parent", "_code", "_last", "_group"])
    branch_names = {"barriers": "Barrier", "facilitators": "Facilitator"}
    out = pd.DataFrame(
        {
            "branch": counts["branch"].map(branch_names).fillna(counts["branch"]),
            "code": [
                ("Any " + branch_names.get(b, b).lower()) if c in parents else lab
                for b, c, lab in zip(
                    counts["branch"], counts["code_id"], counts["label"], strict=True
                )
            ],
            by: counts[f"{by}_label"],
            "n_participants": counts["n_participants"].astype(int),
            "pct_participants": counts["pct_participants"].round(1),
        }
    )
    return out.reset_index(drop=True)


def top_barrier_quotes(
    study: Study,
    site: str = ALL_SITES,
    n_barriers: int = TOP_BARRIERS,
    per_barrier: int = QUOTES_PER_BARRIER,
    min_cell: int = DEFAULT_MIN_CELL,
) -> pd.DataFrame:
    """Return one or two redacted, pseudonymously attributed quotes per most-raised barrier.

    The barriers are those raised by most participants (ties: codebook order). Quotes are
    chosen reproducibly from interviews and focus groups and redacted with
    :func:`srim_analysis.disclosure.redact` using ``<study folder>/identifiers.csv`` when
    it exists; the attribution is role, agency, site name and method - never an id or name.
    Barriers raised by fewer than ``min_cell`` participants get no quote. ``code_id`` and
    ``segment_id`` say where each quote comes from (for the quote review; not published).
    """
    table = barrier_table(study, site)
    cols = ["barrier", "participants", "quote", "attribution", "code_id", "segment_id"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    parents = set(study.codebook.loc[study.codebook["parent_id"].isna(), "code_id"].astype(str))
    book = study.codebook[study.codebook["branch"] == "barriers"]
    label_to_code = {
        lab: c
        for c, lab in zip(book["code_id"].astype(str), book["label"], strict=True)
        if c not in parents
    }
    totals = table[(table["branch"] == "Barrier") & (table["agency"] == TOTAL)]
    totals = totals[totals["code"].isin(label_to_code)]
    totals = totals[totals["n_participants"] >= min_cell]
    totals = totals.sort_values("n_participants", ascending=False, kind="stable").head(n_barriers)
    if totals.empty:
        return pd.DataFrame(columns=cols)
    coded = qualitative.coded_frame(
        study.coded_segments,
        study.tables.get("participants"),
        study.codebook,
        study.tables.get("sites"),
        site,
    )
    codes = [label_to_code[c] for c in totals["code"]]
    quotes = qualitative.choose_quotes(
        coded,
        codes=codes,
        per_code=per_barrier,
        identifiers=disclosure.study_identifiers(study.folder),
        min_group=min_cell,
    )
    raised = dict(zip(totals["code"], totals["n_participants"], strict=True))
    rows = []
    for code in codes:
        label = book.loc[book["code_id"].astype(str) == code, "label"].iloc[0]
        for q in quotes[quotes["code_id"] == code].itertuples():
            rows.append(
                {
                    "barrier": label,
                    "participants": int(raised[label]),
                    "quote": q.quote,
                    "attribution": q.attribution,
                    "code_id": code,
                    "segment_id": q.segment_id,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def ranked_totals(published: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return the published ``All`` rows: per branch the "any" row, then most raised first.

    Ranked on the *published* counts: suppressed ones follow, in codebook order.
    """
    totals = published[published[by] == TOTAL].copy()
    totals["raised"] = pd.to_numeric(totals["n_participants"], errors="coerce")
    totals["_any"] = ~totals["code"].str.startswith("Any ")
    totals["_rank"] = -totals["raised"].fillna(-1)
    return totals.sort_values(["branch", "_any", "_rank"], kind="stable").drop(
        columns=["_any", "_rank"]
    )


def barrier_view(published: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return codes x groups of the published participant counts, 'All' with its %."""
    view = published.copy()

    def total_cell(n: object, pct: object) -> str:
        if disclosure.is_suppressed(n):
            return disclosure.SUPPRESSION_MARK
        return f"{n} ({float(pct):.0f}%)"  # type: ignore[arg-type]

    totals = view[view[by] == TOTAL]
    wide = view[view[by] != TOTAL].pivot(
        index=["branch", "code"], columns=by, values="n_participants"
    )
    order = list(dict.fromkeys(view.loc[view[by] != TOTAL, by]))
    ranked = ranked_totals(published, by)
    keys = list(zip(ranked["branch"], ranked["code"], strict=True))
    wide = wide.reindex(index=pd.MultiIndex.from_tuples(keys, names=["branch", "code"]))[order]
    wide["All (% of participants)"] = [
        total_cell(n, p)
        for n, p in zip(
            totals.set_index(["branch", "code"]).reindex(wide.index)["n_participants"],
            totals.set_index(["branch", "code"]).reindex(wide.index)["pct_participants"],
            strict=True,
        )
    ]
    wide = wide.reset_index()
    wide.columns.name = None
    return wide
