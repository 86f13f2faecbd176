"""The transfer blueprint: which parts of the initiative each site put in place, and how.

The initiative's **components** are the codes of the ``transfer_components`` branch of
the codebook (leaf codes; the branch's root is left out when it has children), coded in
documents, observation notes, interviews and focus groups. For each site that holds the
initiative (the origin and the adopters) and each component:

* **Evidence** - the number of coded segments, of distinct sources (a transcript, note or
  document) and the *source types* behind them (the ``method`` of each segment:
  document, observation, interview, focus group; each method counts as one type).
* **Status**, by the rule in :class:`EvidenceRule` (a parameter):

  - **present**: evidenced in at least ``present_min_types`` source types (default 2),
  - **partial**: evidenced in at least ``partial_min_types`` source types (default 1),
  - **absent**: otherwise (no evidence at all with the defaults).

  Triangulation is the idea: a component described in a protocol *and* seen in a meeting
  or described by staff is in place; one mentioned in only one kind of source may be
  intended rather than done.
* **Order** (:func:`adoption_order`): the earliest ``source_date`` evidencing each
  component per site, ranked; with the days from the site's ``initiative_start``.
* **Lessons** (:func:`component_lessons`): the barrier and facilitator codes (branches
  ``barriers`` and ``facilitators``) applied to the *same segment* as the component.
* **Quotes** (:func:`illustrative_quotes`): one excerpt per component and site, chosen
  reproducibly (interviews first, then focus groups, observations, documents; within
  those, by a seeded hash of the segment id, so the choice does not depend on row order),
  redacted with :func:`srim_analysis.disclosure.redact`, and attributed by role, agency,
  site and method - never by participant id or name.

Tables are tidy with a ``site`` column of display names; counts are named so that the
disclosure module finds them (``segments``, ``n_sources``). The charts are in
:mod:`srim_analysis.charts.blueprint`; the notebook's sections in
:mod:`srim_analysis.sections.comparison`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import qualitative
from srim_analysis.analyses.comparison import DEFAULT_SEED, TOTAL
from srim_analysis.study.contract import METHODS

if TYPE_CHECKING:
    from srim_analysis.disclosure import Identifiers
    from srim_analysis.study.loading import Study

__all__ = [
    "COMPONENT_BRANCH",
    "DEFAULT_SEED",
    "LESSON_BRANCHES",
    "QUOTE_PREFERENCE",
    "SOURCE_TYPES",
    "STATUSES",
    "EvidenceRule",
    "adoption_order",
    "blueprint_matrix",
    "component_codes",
    "component_evidence",
    "component_lessons",
    "illustrative_quotes",
]

COMPONENT_BRANCH = "transfer_components"
#: Codebook branches whose codes are lessons, and what each kind is called.
LESSON_BRANCHES: dict[str, str] = {"barriers": "barrier", "facilitators": "facilitator"}
STATUSES: tuple[str, ...] = ("present", "partial", "absent")
#: Source types (``coded_segments.method``) in the order they are listed.
SOURCE_TYPES: tuple[str, ...] = ("document", "observation", "interview", "focus_group")
#: Which kinds of source a quote is taken from first.
QUOTE_PREFERENCE: tuple[str, ...] = ("interview", "focus_group", "observation", "document")
DEFAULT_ROLES: tuple[str, ...] = ("origin", "adopter")


@dataclass(frozen=True)
class EvidenceRule:
    """The blueprint rule: present with >= ``present_min_types`` source types, partial >= 1.

    >>> rule = EvidenceRule()
    >>> [rule.status(n) for n in (0, 1, 2, 3)]
    ['absent', 'partial', 'present', 'present']
    >>> EvidenceRule(present_min_types=3).status(2)
    'partial'
    """

    present_min_types: int = 2
    partial_min_types: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.partial_min_types <= self.present_min_types:
            raise ValueError(
                "The blueprint rule needs 1 <= partial_min_types <= present_min_types "
                f"(got partial {self.partial_min_types}, present {self.present_min_types})."
            )

    def status(self, n_types: int) -> str:
        """Return 'present', 'partial' or 'absent' for a number of source types."""
        if n_types >= self.present_min_types:
            return "present"
        if n_types >= self.partial_min_types:
            return "partial"
        return "absent"

    def describe(self) -> str:
        """Return the rule in one plain sentence."""

        def types(n: int) -> str:
            return "one source type" if n == 1 else f"at least {n} source types"

        return (
            f"**present** = evidenced in {types(self.present_min_types)} (documents, "
            "observation notes, interviews and focus groups are the types); **partial** = "
            f"evidenced in {types(self.partial_min_types)}"
            + (
                f" but fewer than {self.present_min_types}"
                if self.present_min_types - self.partial_min_types > 1
                else ""
            )
            + "; **absent** = "
            + ("no evidence." if self.partial_min_types == 1 else "less evidence than that.")
        )


def component_codes(codebook: pd.DataFrame, branch: str = COMPONENT_BRANCH) -> pd.DataFrame:
    """Return the components (``code_id``, ``component`` label) of a codebook branch, in order.

    Leaf codes of the branch; a code that has children in the branch is left out.

    >>> cb = pd.DataFrame({"code_id": ["K", "K-A", "K-B"], "parent_id": [None, "K", "K"],
    ...                    "label": ["Components", "A", "B"], "branch": [COMPONENT_BRANCH] * 3})
    >>> component_codes(cb)["code_id"].tolist()
    ['K-A', 'K-B']
    """
    codes = codebook[codebook["branch"] == branch]
    parents = set(codes["parent_id"].dropna())
    leaves = codes[~codes["code_id"].isin(parents)]
    if leaves.empty:
        raise ValueError(f"The codebook has no codes in the {branch!r} branch.")
    return (
        leaves[["code_id", "label"]].rename(columns={"label": "component"}).reset_index(drop=True)
    )


def _sites(study: Study, roles: Sequence[str]) -> pd.DataFrame:
    sites = study.tables["sites"]
    sites = sites[sites["role"].isin(roles)]
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str),
            "site": sites["display_name"].astype(str),
            "role": sites["role"].astype(str),
            "initiative_start": pd.to_datetime(sites["initiative_start"]),
        }
    ).reset_index(drop=True)


def _types_text(methods: Any) -> str:
    present = set(methods)
    ordered = [m for m in SOURCE_TYPES if m in present] + sorted(present - set(SOURCE_TYPES))
    return ", ".join(METHODS.get(m, m).lower() for m in ordered)


def component_evidence(
    study: Study, roles: Sequence[str] = DEFAULT_ROLES, branch: str = COMPONENT_BRANCH
) -> pd.DataFrame:
    """Return the evidence per site and component: segments, sources, types, first date.

    Only site/component pairs with evidence appear (see :func:`blueprint_matrix` for the
    full grid).
    """
    components = component_codes(study.tables["codebook"], branch)
    sites = _sites(study, roles)
    seg = study.tables["coded_segments"]
    seg = seg[seg["code_id"].isin(components["code_id"]) & seg["site_id"].isin(sites["site_id"])]
    seg = seg.assign(source_date=pd.to_datetime(seg["source_date"]))
    grouped = seg.groupby(["site_id", "code_id"], sort=False)
    out = grouped.agg(
        segments=("segment_id", "nunique"),
        n_sources=("source_id", "nunique"),
        n_types=("method", "nunique"),
        first_evidence=("source_date", "min"),
    )
    out["source_types"] = grouped["method"].agg(_types_text)
    return out.reset_index()


def blueprint_matrix(
    study: Study,
    rule: EvidenceRule | None = None,
    roles: Sequence[str] = DEFAULT_ROLES,
    branch: str = COMPONENT_BRANCH,
) -> pd.DataFrame:
    """Return the blueprint as a tidy table: every site (origin, adopters) by every component.

    Columns: ``site, role, component_id, component, status, segments, n_sources,
    source_types, first_evidence``; ``status`` follows ``rule`` (default: present with two
    or more source types, partial with one, absent with none).
    """
    rule = rule or EvidenceRule()
    components = component_codes(study.tables["codebook"], branch)
    sites = _sites(study, roles)
    evidence = component_evidence(study, roles, branch)
    grid = sites.merge(components, how="cross").rename(columns={"code_id": "component_id"})
    grid = grid.merge(
        evidence.rename(columns={"code_id": "component_id"}),
        on=["site_id", "component_id"],
        how="left",
    )
    for col in ("segments", "n_sources", "n_types"):
        grid[col] = grid[col].fillna(0).astype(int)
    grid["source_types"] = grid["source_types"].fillna("")
    grid["status"] = [rule.status(int(n)) for n in grid["n_types"]]
    grid["first_evidence"] = grid["first_evidence"].dt.strftime("%Y-%m-%d").fillna("")
    cols = [
        "site",
        "role",
        "component_id",
        "component",
        "status",
        "segments",
        "n_sources",
        "source_types",
        "first_evidence",
    ]
    return grid[cols]


def adoption_order(study: Study, matrix: pd.DataFrame) -> pd.DataFrame:
    """Return, per site, its evidenced components in the order they first appear.

    Columns: ``site, role, initiative_start, order, component_id, component,
    first_evidence, days_from_start``. ``order`` ranks the earliest ``source_date``
    evidencing each component (ties share a rank); ``days_from_start`` is negative when
    the first evidence predates the site's ``initiative_start``.
    """
    sites = _sites(study, tuple(dict.fromkeys(matrix["role"])))
    rows = matrix[matrix["first_evidence"] != ""].merge(
        sites[["site", "initiative_start"]], on="site", how="left"
    )
    first = pd.to_datetime(rows["first_evidence"])
    rows = rows.assign(
        _first=first,
        days_from_start=(first - rows["initiative_start"]).dt.days.astype("Int64"),
    )
    site_rank = {s: i for i, s in enumerate(sites["site"])}
    rows = rows.assign(_s=rows["site"].map(site_rank))
    rows = rows.sort_values(["_s", "_first", "component_id"], kind="stable")
    rows["order"] = rows.groupby("site")["_first"].rank(method="min").astype(int)
    rows["initiative_start"] = rows["initiative_start"].dt.strftime("%Y-%m-%d").fillna("")
    cols = [
        "site",
        "role",
        "initiative_start",
        "order",
        "component_id",
        "component",
        "first_evidence",
        "days_from_start",
    ]
    return rows[cols].reset_index(drop=True)


def component_lessons(
    study: Study,
    roles: Sequence[str] = DEFAULT_ROLES,
    branch: str = COMPONENT_BRANCH,
    include_all: bool = False,
) -> pd.DataFrame:
    """Return the barriers and facilitators coded on the same segments as each component.

    Columns: ``site, component_id, component, kind, lesson_id, lesson, segments`` (segments
    coded with both the component and the lesson), most frequent first. With
    ``include_all``, rows with ``site = "All"`` pool the sites; they are off by default
    because a lesson coded at one site only makes its "All" row equal that site's count,
    which small-cell suppression cannot then protect.
    """
    components = component_codes(study.tables["codebook"], branch)
    codebook = study.tables["codebook"]
    lessons = codebook[codebook["branch"].isin(list(LESSON_BRANCHES))]
    sites = _sites(study, roles)
    names = dict(zip(sites["site_id"], sites["site"], strict=True))
    seg = study.tables["coded_segments"]
    seg = seg[seg["site_id"].isin(sites["site_id"])]
    comp = seg[seg["code_id"].isin(components["code_id"])][["segment_id", "site_id", "code_id"]]
    les = seg[seg["code_id"].isin(lessons["code_id"])][["segment_id", "code_id"]]
    pairs = comp.merge(les.rename(columns={"code_id": "lesson_id"}), on="segment_id")
    pairs = pairs.assign(site=pairs["site_id"].map(names))
    frames = [pairs]
    if include_all:
        frames.append(pairs.assign(site=TOTAL))
    both = pd.concat(frames, ignore_index=True)
    out = (
        both.groupby(["site", "code_id", "lesson_id"], sort=False)["segment_id"]
        .nunique()
        .rename("segments")
        .reset_index()
        .rename(columns={"code_id": "component_id"})
    )
    branch_of = lessons.set_index("code_id")["branch"]
    label_of = lessons.set_index("code_id")["label"]
    out["kind"] = out["lesson_id"].map(branch_of).map(LESSON_BRANCHES)
    out["lesson"] = out["lesson_id"].map(label_of)
    out["component"] = out["component_id"].map(components.set_index("code_id")["component"])
    site_rank = {s: i for i, s in enumerate([*sites["site"], TOTAL])}
    comp_rank = {c: i for i, c in enumerate(components["code_id"])}
    out = out.assign(
        _s=out["site"].map(site_rank),
        _c=out["component_id"].map(comp_rank),
        _k=out["kind"].map({"barrier": 0, "facilitator": 1}),
        _n=-out["segments"],
    ).sort_values(["_s", "_c", "_k", "_n", "lesson_id"], kind="stable")
    cols = ["site", "component_id", "component", "kind", "lesson_id", "lesson", "segments"]
    return out[cols].reset_index(drop=True)


def _hash_key(seed: int, segment_id: str) -> str:
    return hashlib.sha256(f"{seed}:{segment_id}".encode()).hexdigest()


def _attribution(row: pd.Series, people: pd.DataFrame | None, site: str, min_group: int = 1) -> str:
    """Return the quote's attribution as every quote in the report has it (role, agency, site).

    ``people`` has one row per participant, indexed by id, with ``site_name``, ``role`` and
    ``agency``.
    """
    speaker: dict[str, object] = {"method": str(row["method"]), "site_name": site}
    pid = row.get("participant_id")
    if people is not None and isinstance(pid, str) and pid in people.index:
        speaker["role"] = people.at[pid, "role"]
        speaker["agency"] = people.at[pid, "agency"]
        speaker = qualitative.coarsened_speaker(speaker, people, min_group)
    return qualitative.attribution(speaker)


def illustrative_quotes(
    study: Study,
    identifiers: Identifiers | Sequence[str] | None = None,
    seed: int = DEFAULT_SEED,
    roles: Sequence[str] = DEFAULT_ROLES,
    branch: str = COMPONENT_BRANCH,
    min_group: int = 1,
) -> pd.DataFrame:
    """Return one redacted, pseudonymously attributed quote per site and component.

    Columns: ``site, component_id, component, quote, attribution, redacted`` (yes when
    anything was removed) and ``segment_id`` (where the quote comes from, for the quote
    review; not for publishing). The quote is chosen reproducibly: by kind of source
    (:data:`QUOTE_PREFERENCE`), then by a SHA-256 hash of ``seed`` and the segment id.
    An agency or role shared by fewer than ``min_group`` participants of the site is left
    out of the attribution (notebooks pass ``min_cell``).
    """
    components = component_codes(study.tables["codebook"], branch)
    sites = _sites(study, roles)
    names = dict(zip(sites["site_id"], sites["site"], strict=True))
    people = study.tables.get("participants")
    if people is not None:
        all_names = dict(
            zip(
                study.tables["sites"]["site_id"], study.tables["sites"]["display_name"], strict=True
            )
        )
        people = people.assign(
            site_name=people["site_id"].map(all_names).fillna(people["site_id"])
        ).set_index("participant_id", drop=False)
    seg = study.tables["coded_segments"]
    seg = seg[seg["code_id"].isin(components["code_id"]) & seg["site_id"].isin(sites["site_id"])]
    seg = seg[seg["excerpt"].fillna("").astype(str).str.strip() != ""]  # a coding with no text
    seg = seg.drop_duplicates(["segment_id", "code_id"])
    pref = {m: i for i, m in enumerate(QUOTE_PREFERENCE)}
    seg = seg.assign(
        _p=seg["method"].map(pref).fillna(len(pref)),
        _h=[_hash_key(seed, str(s)) for s in seg["segment_id"]],
    ).sort_values(["_p", "_h"], kind="stable")
    chosen = seg.groupby(["site_id", "code_id"], sort=False).head(1)
    rows = []
    for _, row in chosen.iterrows():
        site = names[str(row["site_id"])]
        red = disclosure.redact(str(row["excerpt"]), identifiers)
        rows.append(
            {
                "site_id": str(row["site_id"]),
                "site": site,
                "component_id": row["code_id"],
                "quote": red.text,
                "attribution": _attribution(row, people, site, min_group),
                "redacted": "yes" if red.found else "no",
                "segment_id": str(row["segment_id"]),
            }
        )
    cols = ["site", "component_id", "component", "quote", "attribution", "redacted", "segment_id"]
    out = pd.DataFrame(rows, columns=["site_id", *cols[:2], *cols[3:]])
    out["component"] = out["component_id"].map(components.set_index("code_id")["component"])
    site_rank = {s: i for i, s in enumerate(sites["site_id"])}
    comp_rank = {c: i for i, c in enumerate(components["code_id"])}
    out = out.assign(_s=out["site_id"].map(site_rank), _c=out["component_id"].map(comp_rank))
    return out.sort_values(["_s", "_c"])[cols].reset_index(drop=True)
