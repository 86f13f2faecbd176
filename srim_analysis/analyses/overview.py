"""What data the study holds, per site and overall (notebook 00): tables of counts.

The chart of data volume is :mod:`srim_analysis.charts.overview`; the sections that publish
these tables are :mod:`srim_analysis.sections.overview`.
"""

from __future__ import annotations

import pandas as pd

from srim_analysis.study.contract import AGENCIES, METHODS, TABLES
from srim_analysis.study.loading import Study
from srim_analysis.study.plan import RecruitmentTarget
from srim_analysis.study.selection import ALL_SITES, for_site, is_all_sites

#: The column of :func:`participants_by` that adds up the others in its row.
PARTICIPANT_SUMS: dict[str, tuple[str, ...]] = {"n_total": ("n_interview", "n_focus_group")}
#: The column of :func:`survey_completeness` that adds up the others in its row.
COMPLETENESS_SUMS: dict[str, tuple[str, ...]] = {
    "n_respondents": ("n_answered", "n_dont_know", "n_not_applicable", "n_missing")
}


#: The count column of :func:`audit_observation_counts` for each table it counts.
VOLUME_COLUMNS: dict[str, str] = {
    "case_audit": "n_cases",
    "observations": "n_observations",
    "documents": "n_documents",
}


#: Tables the inventory leaves out: the withdrawals (ids of people) have a section of their own.
NOT_IN_INVENTORY = ("withdrawals",)


def table_inventory(study: Study, site: str = ALL_SITES) -> pd.DataFrame:
    """Return one row per contract table: whether the folder holds it and its row count."""
    rows = []
    for name, spec in TABLES.items():
        if name in NOT_IN_INVENTORY:
            continue
        present = name in study.tables
        n = None
        if present:
            frame = study.tables[name]
            n = len(for_site(frame, site)) if "site_id" in frame else len(frame)
        rows.append(
            {
                "table": name,
                "held": "yes" if present else "no",
                "n": n,
                "description": spec.description,
            }
        )
    out = pd.DataFrame(rows)
    out["n"] = out["n"].astype("Int64")
    return out


def sites_table(study: Study) -> pd.DataFrame:
    """Return the study's sites with their role and the date the initiative started."""
    sites = study.sites.copy()
    sites["initiative_start"] = sites["initiative_start"].dt.strftime("%Y-%m-%d")
    return sites[
        ["site_id", "display_name", "region", "authority_type", "role", "initiative_start"]
    ]


def participants_by(study: Study, site: str = ALL_SITES, by: str = "agency") -> pd.DataFrame:
    """Return participant counts by ``by`` (agency or role) and method, with totals.

    A person is counted once, under the way they first took part (``participants.method``;
    a person who also joined a focus group is counted under interview).
    """
    p = for_site(study.participants, site)
    table = pd.crosstab(p[by], p["method"]).reindex(
        columns=["interview", "focus_group"], fill_value=0
    )
    labels = AGENCIES if by == "agency" else {}
    table.index = [labels.get(i, i) for i in table.index]
    table.columns = [f"n_{c}" for c in table.columns]
    table["n_total"] = table.sum(axis=1)
    table = table.rename_axis(by).reset_index()
    total = {by: "Total", **{c: int(table[c].sum()) for c in table.columns if c != by}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def survey_completeness(study: Study, site: str = ALL_SITES) -> pd.DataFrame:
    """Return, per survey item, how many respondents answered, said don't know, or skipped."""
    resp = for_site(study.survey_responses, site)
    items = study.survey_items
    rows = []
    for item in items.itertuples(index=False):
        s = resp[item.item_id]
        n_dk = int((s == "dk").sum())
        n_na = int((s == "na").sum())
        n_missing = int(s.isna().sum())
        rows.append(
            {
                "item_id": item.item_id,
                "construct": item.construct,
                "n_respondents": len(resp),
                "n_answered": len(resp) - n_dk - n_na - n_missing,
                "n_dont_know": n_dk,
                "n_not_applicable": n_na,
                "n_missing": n_missing,
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["pct_answered"] = (100 * out["n_answered"] / out["n_respondents"]).round(1)
    return out


def survey_by_site(study: Study) -> pd.DataFrame:
    """Return survey respondents per site and agency (counts, with totals)."""
    resp = study.survey_responses
    table = pd.crosstab(
        resp["site_id"], resp["agency"].map(AGENCIES), margins=True, margins_name="Total"
    )
    # the study's own order of sites (sites.csv), not the ids' alphabetical order
    known = [s for s in study.site_ids() if s in table.index]
    table = table.reindex(known + [s for s in table.index if s not in known])
    out = table.rename_axis(index="site_id", columns=None).reset_index()
    out.attrs["count_columns"] = [c for c in out.columns if c != "site_id"]
    return out


def segments_by_source(study: Study, site: str = ALL_SITES) -> pd.DataFrame:
    """Return coded segments and sources per kind of source (method)."""
    seg = for_site(study.coded_segments, site)
    grouped = seg.groupby("method").agg(
        n_sources=("source_id", "nunique"),
        n_segments=("segment_id", "nunique"),
        n_codings=("code_id", "size"),
    )
    grouped.index = [METHODS.get(m, m) for m in grouped.index]
    return grouped.rename_axis("source_type").reset_index()


def audit_observation_counts(study: Study) -> pd.DataFrame:
    """Return audited cases, observed meetings and documents per site, with a total row.

    The total row is labelled "Total" and "All" so that suppression reads it as the total
    of the site rows.
    """
    sites = study.sites.set_index("site_id")["display_name"]
    out = pd.DataFrame({"site": sites})
    for table, column in VOLUME_COLUMNS.items():
        if table in study.tables:
            out[column] = study.tables[table]["site_id"].value_counts()
    out = out.fillna(0).reset_index()
    for c in out.columns:
        if c.startswith("n_"):
            out[c] = out[c].astype(int)
    total = {
        "site_id": "Total",
        "site": "All",
        **{c: int(out[c].sum()) for c in out.columns if c.startswith("n_")},
    }
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


# ---------------------------------------------------------------------------
# Recruitment against targets, and withdrawals (issue #19)
# ---------------------------------------------------------------------------

#: The columns of :func:`recruitment_progress` that are not counts of people.
TARGET_COLUMNS: tuple[str, ...] = ("target", "still_missing")
#: What hides ``still_missing``: it would give away a hidden achieved count.
RECRUITMENT_DEPENDS: dict[str, tuple[str, ...]] = {"still_missing": ("n_achieved",)}


def _achieved(people: pd.DataFrame, target: RecruitmentTarget) -> int:
    """Return the people (each once) who match a target's site, agency and method."""
    keep = pd.Series(True, index=people.index)
    for column, value in (("site_id", target.site), ("agency", target.agency)):
        if not is_all_sites(value):
            keep &= people[column] == value
    if not is_all_sites(target.method):
        keep &= people["method"] == target.method
    return int(people.loc[keep, "participant_id"].nunique())


def recruitment_progress(study: Study, site: str = ALL_SITES) -> pd.DataFrame:
    """Return each recruitment target (of the site, or all) with people achieved and missing.

    People are counted once per target (a person who took part by interview and in a focus
    group counts once towards a target of all methods, and once towards each method's).
    """
    targets = [t for t in study.plan.recruitment if is_all_sites(site) or t.site == site]
    people = (
        study.participant_methods()
        if "participants" in study.tables
        else pd.DataFrame(columns=["participant_id", "site_id", "agency", "method"])
    )
    rows = []
    for t in targets:
        achieved = _achieved(people, t)
        rows.append(
            {
                "site": "All sites" if is_all_sites(t.site) else study.site_label(t.site),
                "agency": "All agencies" if is_all_sites(t.agency) else AGENCIES[t.agency],
                "method": "All methods" if is_all_sites(t.method) else METHODS[t.method],
                "target": t.n,
                "n_achieved": achieved,
                "still_missing": max(t.n - achieved, 0),
            }
        )
    columns = ["site", "agency", "method", "target", "n_achieved", "still_missing"]
    out = pd.DataFrame(rows, columns=columns)
    for c in ("target", "n_achieved", "still_missing"):
        out[c] = out[c].astype(int)
    return out


#: Row labels of :func:`withdrawal_counts`, per key of ``Study.withdrawn``.
WITHDRAWN_LABELS: dict[str, str] = {
    "people": "People who withdrew",
    "participants": "Participant rows removed",
    "coded_segments": "Coded segments removed (codings used in the analyses)",
    "all_codings": "Codings removed (every coder's)",
    "survey_responses": "Survey responses removed",
}


def withdrawal_counts(study: Study) -> pd.DataFrame:
    """Return how many people withdrew and how many rows of each table were removed.

    The counts are the whole study's (numbers only, never who); empty when nobody withdrew.
    """
    rows = [
        {"removed": label, "n": int(study.withdrawn[key])}
        for key, label in WITHDRAWN_LABELS.items()
        if key in study.withdrawn
    ]
    return pd.DataFrame(rows, columns=["removed", "n"]).astype({"n": int})
