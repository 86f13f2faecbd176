"""Generate the deterministic synthetic SRIM study shipped in ``data/synthetic/``.

The synthetic study has the shape and texture of the real one (eight sites, uneven sizes,
missing answers, small groups) and carries *planted effects* that the analyses must find.
They are listed in :data:`PLANTED_EFFECTS` and written to the folder's README, and the
tests assert that each is present in the generated data and recovered by the notebooks.

Two more studies are generated for the tests (``srim synth --variant``, :data:`VARIANTS`),
never shipped: the *null* study (the shipped shape and ids, no planted effect: the notebooks
must find nothing beyond chance) and the *other* study (five sites, its own site and code ids
and labels, qualitative tables only, one site with almost no data; its plan is
:func:`other_plan`). :func:`rename_ids` and :func:`rename_plan` rename ids consistently.

Nothing here describes real people or places: names, ONS codes (``E..9.....``), phone
numbers (Ofcom drama ranges) and postcodes (unused 98/99 districts) are fictional. Every
CSV starts with a ``# SYNTHETIC DATA`` line, and figures made from it are stamped
"Synthetic data".
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from srim_analysis import atomic
from srim_analysis.study import contract
from srim_analysis.study.loading import SYNTHETIC_BANNER
from srim_analysis.study.plan import (
    PLAN_FILE,
    AnalysisPlan,
    CodePlan,
    ComparisonPlan,
    QCAPlan,
    RecruitmentTarget,
    SurveyPlan,
    render_plan,
)
from srim_analysis.study.selection import ALL_SITES

DEFAULT_SEED = 20240701

#: The effects planted in the synthetic study, in the words the README uses.
PLANTED_EFFECTS: dict[str, str] = {
    "configuration": (
        "Sites that combine early help co-located in the front door "
        "(early_help_in_front_door = 1) with a named father-inclusion lead "
        "(father_inclusion_lead = 1) identify, record, check and share information about "
        "fathers more often: since July 2024 about 65% of their audited cases show "
        "information about the father shared, against about 30% elsewhere. In QCA this "
        "configuration is sufficient for the outcome and no single condition is."
    ),
    "adoption": (
        "Adopter sites share father information in about 30% of audited cases before "
        "adopting the initiative and about 62% after; the origin site stays near 65% "
        "throughout."
    ),
    "training": (
        "In the survey, training on the May 2024 advice multiplies the odds of a higher "
        "answer to CONF1 (confidence to share information about a father) by 2.5; having "
        "read the advice by 1.5; each point of manager support by 1.3 (proportional-odds "
        "logistic model)."
    ),
    "criticised_rule": (
        "Golden rule 3 (consent is not needed when a child is at risk) is the most "
        "criticised rule: segments coded GR3 are co-coded ST-CRIT far more often than any "
        "other rule, mostly by midwifery, health visiting, GP / primary care and adult "
        "mental health participants."
    ),
    "gap": (
        "The gap practitioners name most often is that the advice says nothing specific "
        "about fathers and significant men (GAP-FATHERS)."
    ),
    "case_type": (
        "Domestic-abuse cases (case_type = domestic_abuse, about a fifth of the cases) have "
        "fathers invited and involved less often than other cases: the father was invited "
        "in about 28% of them against about 48% of other cases, involved in about 23% "
        "against 33% (the case type is drawn given the audit's answers: a case whose father "
        "was not invited is three times as likely to be a domestic-abuse case, so no answer "
        "changes)."
    ),
    "audit_agreement": (
        "About 20% of audited cases are double-audited (second_auditor, second_father_*): "
        "the second auditor answers otherwise on about 6% of answers, and on about 25% for "
        "father_checked, so Cohen's kappa is high (0.8 to 0.95) for every indicator but "
        "father_checked, and about 0.5 for it."
    ),
    "coder_agreement": (
        "About 15% of interview and focus-group sources are coded by a second coder (and a "
        "third of those by a third, coder_c), on the same segments: each code of the primary "
        "coder is given otherwise (left out, or a sibling code instead) about 3% of the "
        "time, but ST-MIX (a mixed stance) about 60% of the time, so ST-MIX has by far the "
        "poorest agreement (alpha below 0.667 by source and by segment) and only the stance "
        "codes it is swapped with can fall below it too. The analyses use the primary "
        "coder's coding (the coder of the source's first row), so no count changes."
    ),
    "people_once": (
        "One interviewee per site also took part in a focus group of their site (listed "
        "once in participants.csv, other_methods = focus_group; their focus-group segments "
        "carry their participant_id): counts of participants count them once, counts per "
        "method in both methods."
    ),
}

SITE_NAMES = (
    "Ashcombe",
    "Brackwater",
    "Carrowby",
    "Dunmere",
    "Eastwold",
    "Fenhollow",
    "Greystoke Bay",
    "Harrowmere",
)
FIRST_NAMES = (
    "Sarah",
    "James",
    "Aisha",
    "Tomasz",
    "Siobhán",
    "Zoë",
    "Mohammed",
    "Grace",
    "Daniel",
    "Priya",
    "Oluwaseun",
    "Chloe",
    "Liam",
    "Fatima",
    "Gareth",
    "Niamh",
    "Kwame",
    "Hannah",
)
LAST_NAMES = (
    "Okafor",
    "Smith",
    "Nowak",
    "O'Neill",
    "Patel",
    "Hughes",
    "Begum",
    "Clarke",
    "Evans",
    "Adeyemi",
    "Walsh",
    "Khan",
    "Murphy",
    "Davies",
    "Thompson",
    "Ahmed",
)
REGION_BY_SITE = (
    "North West",
    "Yorkshire and The Humber",
    "West Midlands",
    "South East",
    "East of England",
    "North East",
    "South West",
    "London",
)
PREFIX_BY_SITE = ("E06", "E08", "E10", "E06", "E10", "E08", "E06", "E09")

# feature matrix for the eight shipped sites (rows follow SITE_NAMES)
_FEATURES_8 = {
    #                          A  B  C  D  E  F  G  H
    "front_door_mash": [1, 1, 1, 1, 1, 1, 1, 1],
    "agencies_colocated": [8, 6, 6, 5, 4, 7, 3, 5],
    "early_help_in_front_door": [1, 1, 1, 1, 1, 1, 0, 0],
    "family_hubs_programme": [1, 0, 1, 1, 0, 1, 0, 1],
    "hub_maturity": [2, 1, 1, 2, 0, 2, 0, 1],
    "earned_autonomy": [1, 0, 0, 1, 0, 1, 0, 0],
    "families_first_pathfinder": [0, 0, 1, 0, 0, 1, 0, 0],
    "lead_practitioner_model": [2, 1, 2, 1, 0, 2, 1, 1],
    "shared_assessment": [1, 1, 0, 1, 0, 1, 0, 1],
    "partner_record_access": [2, 1, 1, 1, 0, 2, 0, 1],
    "father_inclusion_lead": [1, 1, 1, 1, 0, 0, 1, 0],
    "father_inclusion_strategy": [2, 1, 1, 1, 0, 1, 1, 0],
    "adult_specialists": [1, 0, 1, 0, 0, 1, 0, 0],
    "protocol_refreshed_2024": [1, 1, 0, 1, 1, 1, 0, 0],
    "training_2024_advice": [1, 1, 1, 0, 0, 1, 1, 0],
    "father_fields_in_records": [2, 1, 2, 1, 0, 1, 1, 0],
    "priority_men_under1": [1, 0, 1, 0, 1, 1, 1, 0],
    "ilacs_grade": [3, 3, 2, 3, 2, 4, 2, 3],
    "idaci_decile": [3, 2, 5, 7, 6, 4, 8, 1],
}
_ROLES_8 = (
    "origin",
    "adopter",
    "adopter",
    "adopter",
    "comparison",
    "comparison",
    "comparison",
    "comparison",
)
_START_8 = ("2022-09-01", "2023-10-01", "2024-03-01", "2024-06-03", None, None, None, None)
# relative sizes: uneven, with one small site whose groups disclosure control must hide
_WEIGHT_8 = (1.6, 1.2, 1.0, 0.9, 1.0, 0.9, 0.8, 0.25)

P_SHARED_CONFIG = 0.65
P_SHARED_BEFORE = 0.30
P_SHARED_ADOPTED = 0.62
P_SHARED_OTHER = 0.30
OR_TRAINED = 2.5
OR_READ = 1.5
OR_MANAGER = 1.3
CONF_CUTS = (-2.2, -0.9, 0.5, 2.0)  # latent cut points of CONF1 (1..5)
AUDIT_START, AUDIT_END = "2023-01-09", "2025-03-28"
OUTCOME_SINCE = "2024-07-01"

AGENCY_WEIGHTS = {
    "social_care": 0.20,
    "early_help": 0.12,
    "police": 0.09,
    "health_visiting": 0.09,
    "midwifery": 0.07,
    "primary_care": 0.06,
    "education": 0.12,
    "adult_mental_health": 0.06,
    "substance_misuse": 0.04,
    "probation": 0.05,
    "housing": 0.04,
    "voluntary_sector": 0.06,
}
HEALTH_CRITICS = ("midwifery", "health_visiting", "primary_care", "adult_mental_health")
SCALE_LABELS = "Strongly disagree|Disagree|Neither agree nor disagree|Agree|Strongly agree"

# (item_id, construct, wording, reverse, dk, na, loading)
SURVEY_ITEMS: tuple[tuple[str, str, str, int, int, int], ...] = (
    (
        "AW1",
        "awareness",
        "I know that the information sharing advice was revised in 2024.",
        0,
        1,
        0,
    ),
    ("AW2", "awareness", "I know where to find the 2024 information sharing advice.", 0, 1, 0),
    ("AW3", "awareness", "My team has discussed what the 2024 advice changed.", 0, 1, 0),
    (
        "LB1",
        "lawful_bases",
        "I can name the lawful basis I rely on when I share without consent.",
        0,
        1,
        0,
    ),
    (
        "LB2",
        "lawful_bases",
        "I understand when special category information can be shared.",
        0,
        1,
        0,
    ),
    (
        "LB3",
        "lawful_bases",
        "I know that data protection law does not stop me sharing to keep a child safe.",
        0,
        1,
        0,
    ),
    (
        "CM1",
        "consent_myths",
        "I must always get a parent's consent before I share information.",
        1,
        1,
        0,
    ),
    (
        "CM2",
        "consent_myths",
        "A father has to agree before I can share what I know about him.",
        1,
        1,
        0,
    ),
    (
        "CM3",
        "consent_myths",
        "If a family declines early help I cannot share information about them.",
        1,
        1,
        0,
    ),
    (
        "FS1",
        "fear_of_sanction",
        "I worry I will be disciplined if I share information wrongly.",
        0,
        0,
        0,
    ),
    (
        "FS2",
        "fear_of_sanction",
        "I worry about a complaint if a father finds out I shared information about him.",
        0,
        0,
        0,
    ),
    (
        "FS3",
        "fear_of_sanction",
        "Fear of getting it wrong makes me hold back information.",
        0,
        0,
        0,
    ),
    ("SE1", "self_efficacy", "I can judge what information is relevant to share.", 0, 0, 0),
    ("SE2", "self_efficacy", "I can explain to a family why I am sharing information.", 0, 0, 0),
    (
        "SE3",
        "self_efficacy",
        "I can decide quickly whether to share when a child may be at risk.",
        0,
        0,
        0,
    ),
    ("SE4", "self_efficacy", "I find it hard to decide what to share.", 1, 0, 0),
    (
        "LS1",
        "leadership",
        "My manager encourages me to share information when I have a concern.",
        0,
        0,
        1,
    ),
    ("LS2", "leadership", "Supervision gives me time to talk through sharing decisions.", 0, 0, 1),
    ("LS3", "leadership", "Leaders in my organisation promote information sharing.", 0, 1, 0),
    (
        "TP1",
        "trust_partners",
        "I trust other agencies to use information I share properly.",
        0,
        0,
        0,
    ),
    (
        "TP2",
        "trust_partners",
        "Other agencies tell me what happened after I share a concern.",
        0,
        0,
        0,
    ),
    ("TP3", "trust_partners", "I know who to contact in other agencies about a father.", 0, 0, 0),
    ("IT1", "it_access", "I can see the records I need from other agencies.", 0, 0, 1),
    ("IT2", "it_access", "Our systems make it easy to share information securely.", 0, 0, 1),
    (
        "IT3",
        "it_access",
        "I can record information about a father or male carer on our system.",
        0,
        0,
        1,
    ),
    ("FP1", "father_practice", "I ask who the significant men in a child's life are.", 0, 0, 1),
    (
        "FP2",
        "father_practice",
        "I record the father's details even when he is not living with the child.",
        0,
        0,
        1,
    ),
    (
        "FP3",
        "father_practice",
        "I check with other agencies what is known about a father or male carer.",
        0,
        0,
        1,
    ),
    (
        "FP4",
        "father_practice",
        "I share information I hold about a father when it is relevant to a child's safety.",
        0,
        0,
        1,
    ),
    (
        "CONF1",
        "confidence",
        "I feel confident sharing information about a father or "
        "significant man with another agency when I have a concern.",
        0,
        0,
        0,
    ),
)


@dataclass(frozen=True)
class StudyShape:
    """How big the synthetic study is, and whether it carries the planted effects."""

    n_sites: int = 8
    n_respondents: int = 600
    n_cases: int = 800
    n_observations: int = 150
    interviews_per_site: int = 12
    focus_groups_per_site: int = 2
    documents_per_site: int = 7
    segments_per_interview: int = 18
    target_codings: int | None = None  # national scale: add sources until reached
    planted: bool = True  # False: no planted effect (the null study)


SHAPES: dict[str, StudyShape] = {
    "study": StudyShape(),
    "national": StudyShape(
        n_sites=153,
        n_respondents=20_000,
        n_cases=30_000,
        n_observations=4_000,
        interviews_per_site=40,
        focus_groups_per_site=4,
        documents_per_site=10,
        segments_per_interview=25,
        target_codings=300_000,
    ),
}


# ---------------------------------------------------------------------------
# Sites and features
# ---------------------------------------------------------------------------


def _sites(shape: StudyShape, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = shape.n_sites
    if n == 8:
        names, regions, prefixes = SITE_NAMES, REGION_BY_SITE, PREFIX_BY_SITE
        roles, starts = _ROLES_8, _START_8
        feats = pd.DataFrame(_FEATURES_8)
    else:
        names = tuple(f"Synthetic Authority {i + 1:03d}" for i in range(n))
        regions = tuple(contract.REGIONS[i % len(contract.REGIONS)] for i in range(n))
        prefixes = tuple(("E06", "E08", "E09", "E10")[i % 4] for i in range(n))
        n_adopt = max(2, n // 8)
        roles = ("origin",) + ("adopter",) * n_adopt + ("comparison",) * (n - 1 - n_adopt)
        months = pd.date_range("2023-06-01", "2024-06-01", freq="MS")
        starts = (
            ("2022-09-01",)
            + tuple(months[i % len(months)].strftime("%Y-%m-%d") for i in range(n_adopt))
            + (None,) * (n - 1 - n_adopt)
        )
        feats = pd.DataFrame(
            {
                name: (
                    rng.integers(1, 11, n)
                    if name == "idaci_decile"
                    else rng.integers(1, 5, n)
                    if name == "ilacs_grade"
                    else rng.integers(0, spec[1] + 1, n)
                )
                for name, spec in contract.SITE_FEATURES.items()
            }
        )
        initiative = np.array([r in ("origin", "adopter") for r in roles])
        feats.loc[initiative, ["early_help_in_front_door", "father_inclusion_lead"]] = 1
    site_ids = [f"S{i + 1:02d}" if n < 100 else f"S{i + 1:03d}" for i in range(n)]
    sites = pd.DataFrame(
        {
            "site_id": site_ids,
            "display_name": list(names),
            "ons_code": [f"{p}9{i + 1:05d}" for i, p in enumerate(prefixes)],
            "region": list(regions),
            "authority_type": [contract.AUTHORITY_TYPES[p] for p in prefixes],
            "role": list(roles),
            "initiative_start": list(starts),
        }
    )
    feats.insert(0, "site_id", site_ids)
    return sites, feats


def _site_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    w = np.array(_WEIGHT_8) if n == 8 else rng.uniform(0.3, 1.7, n)
    return w / w.sum()


def _configured(features: pd.DataFrame, planted: bool = True) -> np.ndarray:
    if not planted:  # the null study: no configuration makes a difference
        return np.zeros(len(features), dtype=bool)
    return (
        (features["early_help_in_front_door"] == 1) & (features["father_inclusion_lead"] == 1)
    ).to_numpy()


def _dates(rng: np.random.Generator, n: int, start: str, end: str) -> pd.Series:
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    days = rng.integers(0, (hi - lo).days + 1, n)
    d = lo + pd.to_timedelta(days, unit="D")
    # move weekend dates to the Monday after
    d = d + pd.to_timedelta((7 - d.day_of_week) % 7 * (d.day_of_week >= 5), unit="D")
    return pd.Series(d)


def _p_shared(
    sites: pd.DataFrame,
    features: pd.DataFrame,
    site_idx: np.ndarray,
    dates: pd.Series,
    planted: bool = True,
) -> np.ndarray:
    if not planted:  # the null study: the same chance everywhere, before and after
        return np.full(len(site_idx), P_SHARED_OTHER)
    configured = _configured(features)[site_idx]
    role = sites["role"].to_numpy()[site_idx]
    start = pd.to_datetime(sites["initiative_start"]).to_numpy()[site_idx]
    after = dates.to_numpy() >= start  # NaT compares False
    p = np.where(configured, P_SHARED_CONFIG, P_SHARED_OTHER)
    adopter = role == "adopter"
    p = np.where(adopter & ~after, P_SHARED_BEFORE, p)
    p = np.where(adopter & after, np.where(configured, P_SHARED_ADOPTED, 0.5), p)
    return p


def _father_outcomes(
    rng: np.random.Generator, p_shared: np.ndarray, columns: Sequence[str]
) -> dict[str, pd.api.extensions.ExtensionArray]:
    n = len(p_shared)
    lift = (p_shared - 0.30) / 0.35  # 0 for baseline practice, about 1 for configured
    identified = rng.random(n) < 0.72 + 0.18 * lift
    out = {
        "father_identified": identified,
        "father_recorded": identified & (rng.random(n) < 0.60 + 0.30 * lift),
        "father_checked": identified & (rng.random(n) < 0.35 + 0.35 * lift),
        "father_discussed": identified & (rng.random(n) < 0.55 + 0.30 * lift),
        "father_info_shared": identified & (rng.random(n) < p_shared / (0.72 + 0.18 * lift)),
        "father_invited": identified & (rng.random(n) < 0.45 + 0.25 * lift),
    }
    out["father_involved"] = out["father_invited"] & (rng.random(n) < 0.55 + 0.15 * lift)
    result = {}
    for col in columns:
        values = out[col].astype(float)
        values[rng.random(n) < 0.03] = np.nan  # not recorded in the file
        result[col] = pd.array(values, dtype="Float64").astype("Int64")
    return result


def _case_audit(
    shape: StudyShape,
    sites: pd.DataFrame,
    features: pd.DataFrame,
    rng: np.random.Generator,
    weights: np.ndarray,
) -> pd.DataFrame:
    n = shape.n_cases
    site_idx = np.sort(rng.choice(len(sites), n, p=weights))
    # audits sample current practice (since July 2024) and, retrospectively, earlier work
    recent = rng.random(n) < 0.55
    dates = _dates(rng, n, AUDIT_START, "2024-06-30").where(
        ~pd.Series(recent), _dates(rng, n, OUTCOME_SINCE, AUDIT_END)
    )
    agencies = rng.choice(
        ["social_care", "early_help", "police", "health_visiting"], n, p=[0.55, 0.30, 0.08, 0.07]
    )
    outcomes = _father_outcomes(
        rng,
        _p_shared(sites, features, site_idx, dates, shape.planted),
        contract.AUDIT_INDICATORS,
    )
    frame = pd.DataFrame(
        {
            "case_id": [f"C{i + 1:05d}" for i in range(n)],
            "site_id": sites["site_id"].to_numpy()[site_idx],
            "audit_date": dates.dt.strftime("%Y-%m-%d"),
            "lead_agency": agencies,
            **outcomes,
        }
    )
    return frame


def _observations(
    shape: StudyShape,
    sites: pd.DataFrame,
    features: pd.DataFrame,
    rng: np.random.Generator,
    weights: np.ndarray,
) -> pd.DataFrame:
    n = shape.n_observations
    site_idx = np.sort(rng.choice(len(sites), n, p=weights))
    dates = _dates(rng, n, "2024-09-02", "2025-03-28")
    outcomes = _father_outcomes(
        rng,
        _p_shared(sites, features, site_idx, dates, shape.planted),
        contract.OBSERVATION_INDICATORS,
    )
    return pd.DataFrame(
        {
            "observation_id": [f"O{i + 1:04d}" for i in range(n)],
            "site_id": sites["site_id"].to_numpy()[site_idx],
            "meeting_date": dates.dt.strftime("%Y-%m-%d"),
            "meeting_type": rng.choice(contract.MEETING_TYPES, n, p=[0.3, 0.2, 0.2, 0.15, 0.15]),
            "agencies_present": rng.integers(2, 9, n),
            **outcomes,
        }
    )


def _documents(
    shape: StudyShape, sites: pd.DataFrame, features: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    rows = []
    refreshed = features["protocol_refreshed_2024"].to_numpy()
    configured = _configured(features, shape.planted)
    k = 0
    for i, site in enumerate(sites["site_id"]):
        for j in range(shape.documents_per_site):
            k += 1
            doc_type = contract.DOCUMENT_TYPES[j % len(contract.DOCUMENT_TYPES)]
            after = bool(refreshed[i]) and rng.random() < 0.7
            date = pd.Timestamp("2024-06-01" if after else "2021-03-01") + pd.Timedelta(
                days=int(rng.integers(0, 300))
            )
            fathers = configured[i] or rng.random() < 0.3
            rows.append(
                {
                    "document_id": f"D{k:04d}",
                    "site_id": site,
                    "doc_type": doc_type,
                    "title": f"{doc_type.capitalize()} ({date.year})",
                    "doc_date": date.strftime("%Y-%m-%d"),
                    "mentions_fathers": int(fathers),
                    "father_fields": int(fathers and doc_type.endswith("form")),
                    "cites_2024_advice": int(after),
                    "consent_explained": int(after and rng.random() < 0.8),
                    "lawful_basis_named": int(rng.random() < (0.7 if after else 0.35)),
                    "records_decision": int(rng.random() < 0.6),
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Participants, codebook and coded segments
# ---------------------------------------------------------------------------


def _codebook() -> pd.DataFrame:
    roots = {
        "GR": ("golden_rules", "Golden rules of the 2024 advice"),
        "CON": ("consent", "Meanings of consent"),
        "LB": ("lawful_basis", "Lawful bases"),
        "ST": ("stance", "Stance towards the advice"),
        "AWR": ("awareness", "Awareness of the 2024 advice"),
        "BAR": ("barriers", "Barriers to sharing"),
        "FAC": ("facilitators", "Facilitators of sharing"),
        "FP": ("father_practice", "Practice with fathers and significant men"),
        "GAP": ("gaps", "What the advice lacks"),
        "TC": ("transfer_components", "Components of the initiative"),
        "EM": ("emergent", "Emergent themes"),
    }
    children = {
        "GR": [
            ("GR1", "Rule 1: safety of the child before privacy"),
            ("GR2", "Rule 2: be open with the family"),
            ("GR3", "Rule 3: consent not needed when a child is at risk"),
            ("GR4", "Rule 4: seek advice promptly"),
            ("GR5", "Rule 5: protect identities of people at risk"),
            ("GR6", "Rule 6: share only relevant, accurate information"),
            ("GR7", "Rule 7: record the decision and the reasons"),
        ],
        "CON": [
            ("CON-LAWFUL", "Consent as a lawful basis"),
            ("CON-SERVICE", "Consent to a service such as early help"),
            ("CON-MEDICAL", "Consent to medical treatment"),
        ],
        "LB": [
            ("LB-PUBLIC", "Public task"),
            ("LB-LEGAL", "Legal obligation"),
            ("LB-VITAL", "Vital interests"),
            ("LB-ART9", "Special category condition"),
        ],
        "ST": [
            ("ST-SUP", "Supportive"),
            ("ST-CRIT", "Critical"),
            ("ST-MIX", "Mixed"),
            ("ST-UNC", "Unclear"),
        ],
        "AWR": [
            ("AWR-READ", "Has read the 2024 advice"),
            ("AWR-HEARD", "Has heard of it but not read it"),
            ("AWR-UNAWARE", "Not aware of it"),
        ],
        "BAR": [
            ("BAR-IT", "IT systems and access"),
            ("BAR-FEAR", "Fear of getting it wrong"),
            ("BAR-CONSENT", "Confusion about consent"),
            ("BAR-THRESHOLD", "Unclear thresholds"),
            ("BAR-FEEDBACK", "No feedback after referral"),
            ("BAR-MOTHERFOCUS", "Services focused on mothers"),
            ("BAR-ADULTSERV", "Adult services not linked to children"),
        ],
        "FAC": [
            ("FAC-COLOC", "Co-location"),
            ("FAC-TRAINING", "Multi-agency training"),
            ("FAC-LEADERSHIP", "Leadership and supervision"),
            ("FAC-TRUST", "Trust between partners"),
            ("FAC-FATHERLEAD", "A named father-inclusion lead"),
        ],
        "FP": [
            ("FP-ASK", "Asking about men in the child's life"),
            ("FP-RECORD", "Recording fathers' details"),
            ("FP-CHECK", "Checking with other agencies"),
            ("FP-SHARE", "Sharing information about fathers"),
            ("FP-INVOLVE", "Involving fathers"),
        ],
        "GAP": [
            ("GAP-FATHERS", "Nothing specific on fathers and significant men"),
            ("GAP-EXAMPLES", "Needs worked examples"),
            ("GAP-ADULTS", "Role of adult services unclear"),
        ],
        "TC": [
            ("TC-LEAD", "Named father-inclusion lead"),
            ("TC-PROTOCOL", "Refreshed information sharing protocol"),
            ("TC-TRAINING", "Multi-agency training on the 2024 advice"),
            ("TC-FIELDS", "Father fields in case records"),
            ("TC-TRIAGE", "Early help triage in the front door"),
            ("TC-AUDIT", "Father-inclusion case audit"),
        ],
        "EM": [
            ("EM-WORKLOAD", "Workload and time pressure"),
            ("EM-REORG", "Reorganisation of services"),
        ],
    }
    a_priori = {"golden_rules", "consent", "lawful_basis", "stance", "awareness"}
    rows = []
    for root, (branch, label) in roots.items():
        rows.append(
            {
                "code_id": root,
                "parent_id": None,
                "label": label,
                "description": contract.CODE_BRANCHES[branch],
                "branch": branch,
                "a_priori": int(branch in a_priori),
            }
        )
        for code, child in children[root]:
            rows.append(
                {
                    "code_id": code,
                    "parent_id": root,
                    "label": child,
                    "description": f"{label}: {child.lower()}.",
                    "branch": branch,
                    "a_priori": int(branch in a_priori),
                }
            )
    return pd.DataFrame(rows)


_STANCE_TEXT = {
    "ST-SUP": [
        "Honestly it helps. {rule_gist} gives me something to point to when a colleague hesitates.",
        "I think {rule_gist} is right; it has made talking to {agency_other} easier.",
        "Since the training I quote it: {rule_gist}. It backs me up.",
    ],
    "ST-CRIT": [
        "I'm not comfortable with it. {rule_gist} sounds simple but in a clinic it isn't, "
        "and I worry about the relationship with the family.",
        "The advice says {rule_gist}, but nobody has told us what that means for a dad we "
        "have never met. I rang {person} at {agency_other} and she didn't know either.",
        "We were told {rule_gist}. Our own governance people still ask for consent first, "
        "so in practice nothing changed.",
    ],
    "ST-UNC": [
        "Section on {rule_gist} quoted without comment.",
        "The document repeats that {rule_gist}.",
    ],
    "ST-MIX": [
        "Partly. {rule_gist} is fine on paper; it is the grey cases that are hard.",
        "Some of it helps. {rule_gist} — yes, but the wording leaves a lot to judgement.",
    ],
}
_RULE_GIST = {
    "GR1": "the child's safety comes before privacy",
    "GR2": "tell the family what you will share unless it is unsafe",
    "GR3": "you don't need consent when a child is at risk",
    "GR4": "seek advice if you are unsure",
    "GR5": "protect the identity of anyone who could be harmed",
    "GR6": "share only what is relevant and accurate",
    "GR7": "record the decision and the reasons",
    "CON-LAWFUL": "consent is usually not the lawful basis",
    "CON-SERVICE": "agreeing to early help is a different kind of consent",
    "CON-MEDICAL": "medical consent is out of scope",
}
_TOPIC_TEXT = {
    "AWR-READ": "I read the May 2024 advice when it came out; our safeguarding lead circulated it.",
    "AWR-HEARD": "I know there was something new in 2024 but I haven't actually read it.",
    "AWR-UNAWARE": "I didn't know the advice had changed. Nobody in adult services mentioned it.",
    "BAR-IT": "I can't see the children's system from here, so I phone and hope someone picks up.",
    "BAR-FEAR": "People are frightened of getting it wrong and ending up in front of a panel.",
    "BAR-CONSENT": "Half the team still think we need the parents to agree before we share.",
    "BAR-THRESHOLD": "Nobody is sure where the threshold is for sharing below child protection.",
    "BAR-FEEDBACK": "You refer and then hear nothing back, so you stop referring.",
    "BAR-MOTHERFOCUS": "Everything is set up around mum; dad is a name on a form if that.",
    "BAR-ADULTSERV": "Probation knew about him but didn't know there was a baby in the house.",
    "FAC-COLOC": "Being in the same room as early help means I just lean over and ask.",
    "FAC-TRAINING": "The multi-agency training made the difference; we heard the same message.",
    "FAC-LEADERSHIP": "My manager backs me when I share, and supervision gives time to think.",
    "FAC-TRUST": "I know the police officer in the hub, so I trust what happens next.",
    "FAC-FATHERLEAD": "Having a named lead for fathers means someone keeps asking about the men.",
    "FP-ASK": "I always ask now who else is around the baby, not just who lives there.",
    "FP-RECORD": "We record the father's details even when he isn't living with the child.",
    "FP-CHECK": "We check with police and probation what is known about the new partner.",
    "FP-SHARE": "When we knew about his history we shared it with the health visitor that day.",
    "FP-INVOLVE": "We invited dad to the meeting and he came, which changed the plan.",
    "GAP-FATHERS": "The advice says nothing about fathers or the men around a child. That's "
    "exactly where we get stuck.",
    "GAP-EXAMPLES": "It needs worked examples; the principles are fine but cases are messy.",
    "GAP-ADULTS": "It doesn't say what adult mental health or substance misuse services should do.",
    "TC-LEAD": "The father-inclusion lead came to every team meeting for the first months.",
    "TC-PROTOCOL": "We rewrote the sharing protocol so it matched the 2024 advice.",
    "TC-TRAINING": "Everyone went through the same half-day multi-agency session.",
    "TC-FIELDS": "The case record now has mandatory fields for the father and other men.",
    "TC-TRIAGE": "Early help sits in the front door now, so triage sees the whole family.",
    "TC-AUDIT": "Each quarter we audit ten files for how well we worked with fathers.",
    "EM-WORKLOAD": "Caseloads are so high that the checks are the first thing to go.",
    "EM-REORG": "We were restructured twice in a year, so protocols kept changing.",
    "LB-PUBLIC": "We rely on public task; that took a while for everyone to accept.",
    "LB-LEGAL": "Where there's a legal duty we share, that part is clear.",
    "LB-VITAL": "Vital interests is for emergencies, when life is at risk.",
    "LB-ART9": "Health information is special category, which makes our IG team nervous.",
}
_IDENTIFIER_SNIPPETS = (
    " You can call me on 0161 496 0{n:03d} if you want the details.",
    " It was the family at {house} Mill Lane, {postcode}.",
    " Email {first}.{last}@example.org.uk and she'll send it.",
    " I spoke to {person} about it afterwards.",
)
_FICTIONAL_POSTCODES = ("B99 9ZZ", "M99 9ZY", "NE99 9ZX", "LS98 9ZW")


def _participants(
    shape: StudyShape, sites: pd.DataFrame, rng: np.random.Generator, weights: np.ndarray
) -> pd.DataFrame:
    rows = []
    agencies = list(AGENCY_WEIGHTS)
    p_ag = np.array(list(AGENCY_WEIGHTS.values()))
    k = 0
    for i, site in enumerate(sites["site_id"]):
        scale = weights[i] * len(sites)
        n_int = max(2, round(shape.interviews_per_site * scale))
        n_fg = max(1, round(shape.focus_groups_per_site * min(scale, 1.5)))
        for method, count in (("interview", n_int), ("focus_group", n_fg * 5)):
            for _ in range(count):
                k += 1
                rows.append(
                    {
                        "participant_id": f"P{k:04d}",
                        "site_id": site,
                        "agency": agencies[rng.choice(len(agencies), p=p_ag / p_ag.sum())],
                        "role": rng.choice(list(contract.ROLES), p=[0.45, 0.2, 0.2, 0.07, 0.08]),
                        "method": method,
                        "years_in_role": None
                        if rng.random() < 0.04
                        else rng.choice(contract.YEARS_IN_ROLE, p=[0.2, 0.35, 0.25, 0.2]),
                    }
                )
    return pd.DataFrame(rows)


def _segment_codes(
    rng: np.random.Generator, agency: str, site_role: str, configured: bool, planted: bool = True
) -> list[list[str]]:
    """Return the codes of each segment in one interview or focus-group contribution."""
    segs: list[list[str]] = []
    critic = agency in HEALTH_CRITICS
    # views on the golden rules and consent meanings, with a stance
    for rule in rng.choice(list(_RULE_GIST), size=3, replace=False):
        if not planted:  # the null study: one stance mix for every rule and agency
            p = [0.55, 0.20, 0.25]
        elif rule == "GR3":
            p = [0.10, 0.75, 0.15] if critic else [0.35, 0.40, 0.25]
        else:
            p = [0.70, 0.08, 0.22] if not critic else [0.60, 0.12, 0.28]
        segs.append([str(rule), str(rng.choice(["ST-SUP", "ST-CRIT", "ST-MIX"], p=p))])
    aw = ["AWR-READ", "AWR-HEARD", "AWR-UNAWARE"]
    p_aw = (
        [0.25, 0.35, 0.40]
        if planted and agency in ("adult_mental_health", "substance_misuse", "housing", "probation")
        else [0.55, 0.30, 0.15]
    )
    segs.append([str(rng.choice(aw, p=p_aw))])
    bars = [
        "BAR-IT",
        "BAR-FEAR",
        "BAR-CONSENT",
        "BAR-THRESHOLD",
        "BAR-FEEDBACK",
        "BAR-MOTHERFOCUS",
        "BAR-ADULTSERV",
    ]
    facs = ["FAC-COLOC", "FAC-TRAINING", "FAC-LEADERSHIP", "FAC-TRUST", "FAC-FATHERLEAD"]
    fps = ["FP-ASK", "FP-RECORD", "FP-CHECK", "FP-SHARE", "FP-INVOLVE"]
    segs.append([str(rng.choice(bars))] + ([str(rng.choice(fps))] if rng.random() < 0.4 else []))
    if configured:
        segs.append([str(rng.choice(facs[:1] + facs[4:], p=[0.5, 0.5]))])
    else:
        segs.append([str(rng.choice(facs))])
    p_gap = [0.6, 0.25, 0.15] if planted else [1 / 3, 1 / 3, 1 / 3]
    gap = rng.choice(["GAP-FATHERS", "GAP-EXAMPLES", "GAP-ADULTS"], p=p_gap)
    segs.append([str(gap)])
    if site_role in ("origin", "adopter"):
        tcs = ["TC-LEAD", "TC-PROTOCOL", "TC-TRAINING", "TC-FIELDS", "TC-TRIAGE", "TC-AUDIT"]
        tc = str(rng.choice(tcs))
        extra = str(rng.choice(facs if rng.random() < 0.6 else bars))
        segs.append([tc, extra])
    if rng.random() < 0.5:
        segs.append([str(rng.choice(["LB-PUBLIC", "LB-LEGAL", "LB-VITAL", "LB-ART9"]))])
    if rng.random() < 0.3:
        segs.append([str(rng.choice(["EM-WORKLOAD", "EM-REORG"]))])
    return segs


def _excerpt(codes: list[str], rng: np.random.Generator, agency_other: str, n: int) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    person = f"{first} {last}"
    main = codes[0]
    stance = next((c for c in codes if c.startswith("ST-")), None)
    if main in _RULE_GIST and stance:
        text = str(rng.choice(_STANCE_TEXT[stance])).format(
            rule_gist=_RULE_GIST[main], agency_other=agency_other, person=person
        )
    else:
        text = _TOPIC_TEXT[main]
        extra = [c for c in codes[1:] if c in _TOPIC_TEXT]
        if extra:
            text += " " + _TOPIC_TEXT[extra[0]]
    if rng.random() < 0.12:
        snippet = str(rng.choice(_IDENTIFIER_SNIPPETS))
        text += snippet.format(
            n=n % 1000,
            house=int(rng.integers(2, 140)),
            postcode=rng.choice(_FICTIONAL_POSTCODES),
            first=first.lower().replace("ö", "o"),
            last=last.lower().replace("'", ""),
            person=person,
        )
    return text


def _coded_segments(
    shape: StudyShape,
    sites: pd.DataFrame,
    features: pd.DataFrame,
    participants: pd.DataFrame,
    documents: pd.DataFrame,
    observations: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    role_of = sites.set_index("site_id")["role"].to_dict()
    configured = dict(zip(sites["site_id"], _configured(features, shape.planted), strict=True))
    start_of = pd.to_datetime(sites.set_index("site_id")["initiative_start"]).to_dict()
    agency_names = list(contract.AGENCIES.values())
    rows: list[tuple] = []
    seg_no = 0

    def add(
        source: str, method: str, site: str, pid: str | None, date: str, codes_list: list[list[str]]
    ) -> None:
        nonlocal seg_no
        for codes in codes_list:
            seg_no += 1
            sid = f"G{seg_no:06d}"
            text = _excerpt(codes, rng, str(rng.choice(agency_names)).lower(), seg_no)
            for code in codes:
                rows.append((sid, code, source, method, site, pid, date, text))

    interviews = participants[participants["method"] == "interview"]
    dates = _dates(rng, len(interviews), "2024-10-01", "2025-02-28").dt.strftime("%Y-%m-%d")
    for (_, p), date in zip(interviews.iterrows(), dates, strict=True):
        site = p["site_id"]
        segs = []
        for _ in range(max(1, shape.segments_per_interview // 9)):
            segs += _segment_codes(rng, p["agency"], role_of[site], configured[site], shape.planted)
        add(f"INT-{p['participant_id']}", "interview", site, p["participant_id"], date, segs)
    groups = participants[participants["method"] == "focus_group"]
    for g, (site, members) in enumerate(groups.groupby("site_id", sort=True)):
        for k in range(0, len(members), 5):
            chunk = members.iloc[k : k + 5]
            source = f"FG-{site}-{k // 5 + 1}"
            date = (pd.Timestamp("2024-11-04") + pd.Timedelta(days=7 * ((g + k) % 12))).strftime(
                "%Y-%m-%d"
            )
            for _, p in chunk.iterrows():
                segs = _segment_codes(
                    rng, p["agency"], role_of[site], configured[site], shape.planted
                )
                add(
                    source,
                    "focus_group",
                    site,
                    p["participant_id"],
                    date,
                    segs[: int(rng.integers(3, len(segs) + 1))],
                )
    # documents and observation notes evidence the transfer components (with dates)
    tcs = ["TC-LEAD", "TC-PROTOCOL", "TC-TRAINING", "TC-FIELDS", "TC-TRIAGE", "TC-AUDIT"]
    n_components = {"origin": 6, "adopter": 4, "comparison": 1}
    for _, d in documents.iterrows():
        site = d["site_id"]
        role = role_of[site]
        have = tcs[: n_components[role] + (1 if role == "adopter" and site in ("S02",) else 0)]
        if rng.random() < 0.6:
            tc = str(rng.choice(have))
            start = start_of.get(site)
            date = d["doc_date"]
            if role == "adopter" and pd.notna(start):
                offset = 30 * (tcs.index(tc) + 1) + int(rng.integers(0, 20))
                date = (start + pd.Timedelta(days=offset)).strftime("%Y-%m-%d")
            add(f"DOC-{d['document_id']}", "document", site, None, date, [[tc]])
        add(
            f"DOC-{d['document_id']}",
            "document",
            site,
            None,
            d["doc_date"],
            [[str(rng.choice(["GR1", "GR3", "GR7", "CON-LAWFUL"])), "ST-UNC"]],
        )
    for _, o in observations.iterrows():
        site = o["site_id"]
        codes = [
            [str(rng.choice(["FP-ASK", "FP-CHECK", "FP-SHARE", "FP-INVOLVE", "BAR-MOTHERFOCUS"]))]
        ]
        if role_of[site] != "comparison" and rng.random() < 0.5:
            codes.append([str(rng.choice(tcs[: n_components[role_of[site]]]))])
        add(f"OBS-{o['observation_id']}", "observation", site, None, o["meeting_date"], codes)
    if shape.target_codings:
        base = list(rows)
        i = 0
        while len(rows) < shape.target_codings:
            r = base[i % len(base)]
            rows.append((f"{r[0]}-{i // len(base) + 1}", *r[1:]))
            i += 1
    columns = [c.name for c in contract.CODED_SEGMENTS.columns if c.required]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------
# Survey
# ---------------------------------------------------------------------------


def _survey_items() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "item_id": i,
                "construct": c,
                "wording": w,
                "reverse_keyed": r,
                "scale_min": 1,
                "scale_max": 5,
                "labels": SCALE_LABELS,
                "allows_dont_know": dk,
                "allows_not_applicable": na,
            }
            for i, c, w, r, dk, na in SURVEY_ITEMS
        ]
    )


def _ordinal(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    return 1 + np.searchsorted(np.asarray(cuts), latent)


def _survey_responses(
    shape: StudyShape,
    sites: pd.DataFrame,
    features: pd.DataFrame,
    rng: np.random.Generator,
    weights: np.ndarray,
) -> pd.DataFrame:
    n = shape.n_respondents
    site_idx = np.sort(rng.choice(len(sites), n, p=weights))
    agencies = np.array(list(AGENCY_WEIGHTS))
    p_ag = np.array(list(AGENCY_WEIGHTS.values()))
    agency = agencies[rng.choice(len(agencies), n, p=p_ag / p_ag.sum())]
    trained_site = features["training_2024_advice"].to_numpy()[site_idx] == 1
    if not shape.planted:  # the null study: training independent of the site
        trained_site = np.zeros(n, dtype=bool)
    trained = (rng.random(n) < np.where(trained_site, 0.6, 0.25)).astype(float)
    read = (rng.random(n) < 0.25 + 0.35 * trained).astype(float)
    manager = np.clip(np.round(rng.normal(3.2, 1.0, n)), 1, 5)
    years = rng.choice(contract.YEARS_IN_ROLE, n, p=[0.2, 0.35, 0.25, 0.2]).astype(object)
    # the planted proportional-odds model for CONF1 (odds ratios of 1 in the null study)
    odds = (OR_TRAINED, OR_READ, OR_MANAGER) if shape.planted else (1.0, 1.0, 1.0)
    eta = np.log(odds[0]) * trained + np.log(odds[1]) * read + np.log(odds[2]) * (manager - 3)
    conf = _ordinal(eta + rng.logistic(size=n), CONF_CUTS).astype(float)

    traits = {c: rng.normal(0, 1, n) for c in sorted({i[1] for i in SURVEY_ITEMS})}
    shift = (
        {}
        if not shape.planted
        else {
            "awareness": 0.9 * read + 0.4 * trained,
            "lawful_bases": 0.6 * trained,
            "consent_myths": -0.5 * trained,
            "self_efficacy": 0.4 * trained,
            "leadership": 0.5 * (manager - 3),
            "father_practice": 0.5 * _configured(features, shape.planted)[site_idx],
        }
    )
    data: dict[str, np.ndarray] = {}
    for item_id, construct, _w, reverse, dk, na in SURVEY_ITEMS:
        if item_id == "CONF1":
            values = conf.astype(object)
        else:
            latent = traits[construct] + shift.get(construct, 0) + rng.normal(0, 0.75, n)
            if reverse:
                latent = -latent
            values = _ordinal(latent, (-1.6, -0.6, 0.4, 1.4)).astype(object)
        u = rng.random(n)
        values = np.where(u < 0.035, None, values)
        if dk:
            values = np.where((u >= 0.035) & (u < 0.075), "dk", values)
        if na:
            values = np.where((u >= 0.075) & (u < 0.10), "na", values)
        data[item_id] = values
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{i + 1:05d}" for i in range(n)],
            "site_id": sites["site_id"].to_numpy()[site_idx],
            "agency": agency,
            "role": rng.choice(list(contract.ROLES), n, p=[0.5, 0.2, 0.18, 0.05, 0.07]),
            "years_in_role": np.where(rng.random(n) < 0.03, None, years),
            "trained_2024": np.where(rng.random(n) < 0.02, np.nan, trained),
            "read_advice_2024": np.where(rng.random(n) < 0.02, np.nan, read),
            "manager_support": np.where(rng.random(n) < 0.02, np.nan, manager),
            **data,
        }
    )
    # some respondents broke off half way: their later items are missing
    broke = rng.random(n) < 0.05
    later = [i[0] for i in SURVEY_ITEMS[15:-1]]
    frame.loc[broke, later] = None
    for col in ("trained_2024", "read_advice_2024", "manager_support"):
        frame[col] = pd.array(frame[col], dtype="Float64").astype("Int64")
    return frame


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def generate_tables(
    seed: int = DEFAULT_SEED, scale: str = "study", variant: str = "study"
) -> dict[str, pd.DataFrame]:
    """Return every table of a generated study (``variant``, see :data:`VARIANTS`) from ``seed``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; the variants are {', '.join(VARIANTS)}")
    if variant == "other":
        return _other_tables(seed)
    shape = SHAPES[scale] if variant == "study" else replace(SHAPES[scale], planted=False)
    return _housekeeping(_tables(shape, np.random.default_rng(seed)), shape, seed)


# ---------------------------------------------------------------------------
# The study's housekeeping (issue #19): each drawn from a random stream of its own, after
# every other table, so that no value drawn before changes
# ---------------------------------------------------------------------------

#: The proportions of case types (before the planted effect) and the planted lift of
#: domestic abuse where the father was not invited.
CASE_TYPE_SHARES: dict[str, float] = {
    "baby_under_one": 0.22,
    "domestic_abuse": 0.12,
    "neglect": 0.32,
    "child_protection_plan": 0.18,
    "other": 0.16,
}
DOMESTIC_ABUSE_LIFT = 3.0
AUDITORS = ("AUD01", "AUD02", "AUD03", "AUD04")
DOUBLE_AUDITED = 0.20
AUDIT_DISAGREE = 0.06
AUDIT_DISAGREE_HARD: dict[str, float] = {"father_checked": 0.25}
CODERS = ("coder_a", "coder_b", "coder_c")
DOUBLE_CODED = 0.15
THIRD_CODER = 1 / 3
CODING_DISAGREE = 0.03
CODING_DISAGREE_HARD: dict[str, float] = {"ST-MIX": 0.6}
#: The random streams of the housekeeping (spawned from the seed, one per part).
_STREAMS = {"case_type": 1, "auditors": 2, "people_once": 3, "coders": 4}


def _stream(seed: int, part: str) -> np.random.Generator:
    return np.random.default_rng([seed, 19, _STREAMS[part]])


def _audit_extras(audit: pd.DataFrame, seed: int, planted: bool) -> pd.DataFrame:
    """Return the case audit with case types, auditors and the second auditor's answers."""
    out = audit.copy()
    n = len(out)
    rng = _stream(seed, "case_type")
    shares = np.array(list(CASE_TYPE_SHARES.values()))
    types = list(CASE_TYPE_SHARES)
    invited = out["father_invited"].fillna(0).to_numpy() == 1
    lift = np.where(invited | (not planted), 1.0, DOMESTIC_ABUSE_LIFT)
    weights = np.tile(shares, (n, 1))
    weights[:, types.index("domestic_abuse")] *= lift
    weights /= weights.sum(axis=1, keepdims=True)
    u = rng.random(n)[:, None]
    out["case_type"] = np.array(types)[(u > weights.cumsum(axis=1)).sum(axis=1)]
    rng = _stream(seed, "auditors")
    first = rng.integers(0, len(AUDITORS), n)
    double = rng.random(n) < DOUBLE_AUDITED
    second = (first + rng.integers(1, len(AUDITORS), n)) % len(AUDITORS)
    out["auditor"] = np.array(AUDITORS)[first]
    out["second_auditor"] = np.where(double, np.array(AUDITORS)[second], None)
    for col in contract.AUDIT_INDICATORS:
        answer = out[col].astype("Float64")
        flip = rng.random(n) < AUDIT_DISAGREE_HARD.get(col, AUDIT_DISAGREE)
        other = answer.where(~pd.Series(flip, index=out.index), 1 - answer)
        out[contract.SECOND_PREFIX + col] = other.where(pd.Series(double, index=out.index))
        out[contract.SECOND_PREFIX + col] = out[contract.SECOND_PREFIX + col].astype("Int64")
    return out


def _people_once(
    participants: pd.DataFrame, segments: pd.DataFrame, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the tables with one interviewee per site also in a focus group of the site.

    A focus-group member with the same agency and role as an interviewee of the site is
    taken to be that interviewee: their row goes, their focus-group segments take the
    interviewee's id, and the interviewee's ``other_methods`` says ``focus_group``.
    """
    rng = _stream(seed, "people_once")
    people = participants.copy()
    people["other_methods"] = None
    same: dict[str, str] = {}
    for site in people["site_id"].unique():
        here = people[people["site_id"] == site]
        talks = here[here["method"] == "interview"]
        groups = here[here["method"] == "focus_group"]
        pairs = groups.merge(talks, on=["agency", "role"], suffixes=("_fg", "_int"))
        if pairs.empty:
            continue
        pick = pairs.iloc[int(rng.integers(0, len(pairs)))]
        same[pick["participant_id_fg"]] = pick["participant_id_int"]
    people.loc[people["participant_id"].isin(same.values()), "other_methods"] = "focus_group"
    people = people[~people["participant_id"].isin(list(same))].reset_index(drop=True)
    seg = segments.copy()
    seg["participant_id"] = seg["participant_id"].map(lambda v: same.get(v, v))
    return people, seg


def _double_coding(segments: pd.DataFrame, codebook: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Return the codings with positions, coders, and second (and third) coders' codings."""
    rng = _stream(seed, "coders")
    seg = segments.copy()
    first = seg.drop_duplicates("segment_id")
    length = first["excerpt"].fillna("").str.len() + 1
    start = length.groupby(first["source_id"], sort=False).cumsum() - length
    seg["start"] = seg["segment_id"].map(dict(zip(first["segment_id"], start, strict=True)))
    seg["end"] = seg["start"] + seg["segment_id"].map(
        dict(zip(first["segment_id"], length - 1, strict=True))
    )
    seg[["start", "end"]] = seg[["start", "end"]].astype("Int64")
    sources = list(dict.fromkeys(seg["source_id"]))
    primary = dict(zip(sources, rng.choice(CODERS[:2], len(sources)), strict=True))
    seg["coder"] = seg["source_id"].map(primary)
    talk = seg[seg["method"].isin(["interview", "focus_group"])]
    talked = list(dict.fromkeys(talk["source_id"]))
    chosen = [s for s, u in zip(talked, rng.random(len(talked)), strict=True) if u < DOUBLE_CODED]
    parent = codebook.set_index("code_id")["parent_id"]
    siblings = {
        c: [k for k in parent.index if parent[k] == parent[c] and k != c]
        for c in parent.index
        if isinstance(parent[c], str)
    }
    extra: list[pd.DataFrame] = []
    for source in chosen:
        others = [c for c in CODERS[:2] if c != primary[source]]
        if rng.random() < THIRD_CODER:
            others.append(CODERS[2])
        rows = seg[seg["source_id"] == source]
        for coder in others:
            kept = []
            for _, codes in rows.groupby("segment_id", sort=False):
                have = set(codes["code_id"])
                for _, row in codes.iterrows():
                    code = row["code_id"]
                    if rng.random() >= CODING_DISAGREE_HARD.get(code, CODING_DISAGREE):
                        kept.append(row)
                        continue
                    options = [k for k in siblings.get(code, []) if k not in have]
                    if options and rng.random() < 0.5:
                        other = row.copy()
                        other["code_id"] = options[int(rng.integers(0, len(options)))]
                        have.add(other["code_id"])
                        kept.append(other)
            if kept:
                extra.append(pd.DataFrame(kept).assign(coder=coder))
    return pd.concat([seg, *extra], ignore_index=True)


def _housekeeping(
    tables: dict[str, pd.DataFrame], shape: StudyShape, seed: int
) -> dict[str, pd.DataFrame]:
    """Return the tables with case types, second audits, double coding, people once."""
    out = dict(tables)
    out["case_audit"] = _audit_extras(tables["case_audit"], seed, shape.planted)
    out["participants"], seg = _people_once(tables["participants"], tables["coded_segments"], seed)
    out["coded_segments"] = _double_coding(seg, tables["codebook"], seed)
    return out


def _tables(shape: StudyShape, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    sites, features = _sites(shape, rng)
    weights = _site_weights(len(sites), rng)
    case_audit = _case_audit(shape, sites, features, rng, weights)
    observations = _observations(shape, sites, features, rng, weights)
    documents = _documents(shape, sites, features, rng)
    participants = _participants(shape, sites, rng, weights)
    codebook = _codebook()
    segments = _coded_segments(shape, sites, features, participants, documents, observations, rng)
    items = _survey_items()
    responses = _survey_responses(shape, sites, features, rng, weights)
    return {
        "sites": sites,
        "site_features": features,
        "participants": participants,
        "survey_items": items,
        "survey_responses": responses,
        "codebook": codebook,
        "coded_segments": segments,
        "case_audit": case_audit,
        "observations": observations,
        "documents": documents,
    }


# ---------------------------------------------------------------------------
# Other generated studies: the null study and a study unlike the shipped one
# ---------------------------------------------------------------------------

#: The studies `srim synth --variant` writes.
VARIANTS: dict[str, str] = {
    "study": "the shipped study: eight sites, every table, the planted effects",
    "other": (
        "a second study unlike the first: five sites, its own site, code and source ids and "
        "labels, qualitative tables only (no survey, no case audit), one site with almost no "
        "data"
    ),
    "null": (
        "the shipped study's shape and ids with no planted effect: outcomes independent of "
        "the site features, stances independent of agency and rule, confidence and awareness "
        "independent of training"
    ),
}

#: The "other" study's sites: its ids and display names (the last has almost no data).
OTHER_SITES: dict[str, str] = {
    "LA-north": "Northmoor",
    "LA-east": "Eastbrook",
    "LA-south": "Southfold",
    "LA-west": "Westerby",
    "LA-isles": "Isle of Carrick",
}
OTHER_SHAPE = StudyShape(
    n_sites=len(OTHER_SITES),
    n_respondents=50,
    n_cases=50,
    n_observations=90,
    interviews_per_site=8,
    focus_groups_per_site=1,
    documents_per_site=4,
    segments_per_interview=18,
)
#: The "other" study's codes: the shipped code each stands for, its own id and label.
OTHER_CODES: dict[str, tuple[str, str]] = {
    "GR": ("PRIN", "Principles of the new advice"),
    "GR1": ("PRIN-A", "A: child safety outweighs privacy"),
    "GR2": ("PRIN-B", "B: openness with families"),
    "GR3": ("PRIN-C", "C: no consent needed when a child is at risk"),
    "GR4": ("PRIN-D", "D: ask for advice early"),
    "GR5": ("PRIN-E", "E: keep people at risk anonymous"),
    "GR6": ("PRIN-F", "F: share what is relevant and accurate"),
    "GR7": ("PRIN-G", "G: write down the decision"),
    "CON": ("AGREE", "What people mean by agreement"),
    "CON-LAWFUL": ("AGREE-LAW", "Agreement as a legal ground"),
    "CON-SERVICE": ("AGREE-HELP", "Agreeing to family help"),
    "CON-MEDICAL": ("AGREE-CARE", "Agreeing to treatment"),
    "LB": ("BASIS", "Legal grounds"),
    "LB-PUBLIC": ("BASIS-TASK", "Public task duty"),
    "LB-LEGAL": ("BASIS-DUTY", "Statutory duty"),
    "LB-VITAL": ("BASIS-LIFE", "Risk to life"),
    "LB-ART9": ("BASIS-SPECIAL", "Sensitive data condition"),
    "ST": ("VIEW", "How the advice was received"),
    "ST-SUP": ("VIEW-POS", "Welcomes it"),
    "ST-CRIT": ("VIEW-NEG", "Objects to it"),
    "ST-MIX": ("VIEW-BOTH", "In two minds"),
    "ST-UNC": ("VIEW-NONE", "No view expressed"),
    "AWR": ("KNOW", "Knowing the advice"),
    "AWR-READ": ("KNOW-READ", "Read it"),
    "AWR-HEARD": ("KNOW-HEARD", "Heard of it only"),
    "AWR-UNAWARE": ("KNOW-NOT", "Never heard of it"),
    "BAR": ("OBST", "Obstacles"),
    "BAR-IT": ("OBST-1", "Systems that do not talk"),
    "BAR-FEAR": ("OBST-2", "Worry about blame"),
    "BAR-CONSENT": ("OBST-3", "Muddle over consent"),
    "BAR-THRESHOLD": ("OBST-4", "Unclear when to share"),
    "BAR-FEEDBACK": ("OBST-5", "Silence after a referral"),
    "BAR-MOTHERFOCUS": ("OBST-6", "Mother-centred services"),
    "BAR-ADULTSERV": ("OBST-7", "Adult services apart"),
    "FAC": ("ENAB", "Enablers"),
    "FAC-COLOC": ("ENAB-1", "Sitting together"),
    "FAC-TRAINING": ("ENAB-2", "Training together"),
    "FAC-LEADERSHIP": ("ENAB-3", "Backing from managers"),
    "FAC-TRUST": ("ENAB-4", "Knowing partners"),
    "FAC-FATHERLEAD": ("ENAB-5", "A lead for fathers"),
    "FP": ("MEN", "Work with fathers and male carers"),
    "FP-ASK": ("MEN-ASK", "Asking who the men are"),
    "FP-RECORD": ("MEN-NOTE", "Noting fathers' details"),
    "FP-CHECK": ("MEN-CHECK", "Checking what is known"),
    "FP-SHARE": ("MEN-TELL", "Passing on what is known"),
    "FP-INVOLVE": ("MEN-INVITE", "Bringing fathers in"),
    "GAP": ("MISSING", "Missing from the advice"),
    "GAP-FATHERS": ("MISSING-MEN", "Silent on fathers and male carers"),
    "GAP-EXAMPLES": ("MISSING-CASES", "No worked cases"),
    "GAP-ADULTS": ("MISSING-ADULT", "Adult services' part unclear"),
    "TC": ("PART", "Parts of the local model"),
    "TC-LEAD": ("PART-LEAD", "Lead for fathers"),
    "TC-PROTOCOL": ("PART-PROTOCOL", "New sharing protocol"),
    "TC-TRAINING": ("PART-TRAIN", "Joint training"),
    "TC-FIELDS": ("PART-FIELDS", "Father fields in records"),
    "TC-TRIAGE": ("PART-TRIAGE", "Family help at the front door"),
    "TC-AUDIT": ("PART-AUDIT", "Audit of work with fathers"),
    "EM": ("OTHER", "Other themes"),
    "EM-WORKLOAD": ("OTHER-LOAD", "Caseloads"),
    "EM-REORG": ("OTHER-RESTRUCTURE", "Restructures"),
}
#: The tables the "other" study leaves out: it is qualitative only.
OTHER_LEAVES_OUT = ("survey_items", "survey_responses", "case_audit")


def rename_ids(
    tables: dict[str, pd.DataFrame],
    sites: Mapping[str, str] | None = None,
    codes: Mapping[str, str] | None = None,
    items: Mapping[str, str] | None = None,
    constructs: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the tables with site, code and item ids and construct names renamed consistently.

    >>> t = {"codebook": pd.DataFrame({"code_id": ["A", "A1"], "parent_id": [None, "A"]})}
    >>> rename_ids(t, codes={"A": "Z", "A1": "Z1"})["codebook"].fillna("").to_dict("list")
    {'code_id': ['Z', 'Z1'], 'parent_id': ['', 'Z']}
    """
    columns = {
        "site_id": sites or {},
        "code_id": codes or {},
        "parent_id": codes or {},
        "item_id": items or {},
        "construct": constructs or {},
    }
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column, mapping in columns.items():
            if column in frame.columns and mapping:
                frame[column] = frame[column].map(
                    lambda v, m=mapping: m.get(v, v), na_action="ignore"
                )
        if name == "survey_responses" and items:
            frame = frame.rename(columns=dict(items))
        out[name] = frame
    return out


def rename_plan(
    plan: AnalysisPlan,
    codes: Mapping[str, str] | None = None,
    constructs: Mapping[str, str] | None = None,
    sites: Mapping[str, str] | None = None,
) -> AnalysisPlan:
    """Return ``plan`` with its code, construct and site ids renamed as :func:`rename_ids` does."""
    c, k, s = dict(codes or {}), dict(constructs or {}), dict(sites or {})
    return replace(
        plan,
        codes=CodePlan(
            stance={r: c.get(v, v) for r, v in plan.codes.stance.items()},
            awareness={r: c.get(v, v) for r, v in plan.codes.awareness.items()},
            themes={t: tuple(c.get(v, v) for v in vs) for t, vs in plan.codes.themes.items()},
        ),
        survey=SurveyPlan(
            constructs={k.get(n, n): label for n, label in plan.survey.constructs.items()},
            outcomes={r: k.get(v, v) for r, v in plan.survey.outcomes.items()},
        ),
        joint=_rename_joint(plan.joint, c, k),
        recruitment=tuple(replace(t, site=s.get(t.site, t.site)) for t in plan.recruitment),
    )


def _rename_joint(
    joint: Mapping[str, object], codes: Mapping[str, str], constructs: Mapping[str, str]
) -> dict[str, object]:
    """Return a ``[joint]`` table with its code ids and construct names renamed."""
    renames = {"codes": codes, "positive": codes, "negative": codes, "survey": constructs}

    def theme(entry: Mapping[str, object]) -> dict[str, object]:
        return {
            key: [renames[key].get(v, v) for v in value] if key in renames else value  # type: ignore[union-attr]
            for key, value in entry.items()
        }

    out: dict[str, object] = {}
    if joint.get("theme"):
        out["theme"] = [theme(t) for t in joint["theme"]]  # type: ignore[union-attr]
    if joint.get("components"):
        out["components"] = {codes.get(c, c): v for c, v in joint["components"].items()}  # type: ignore[union-attr]
    return out


def _other_tables(seed: int) -> dict[str, pd.DataFrame]:
    tables = _tables(OTHER_SHAPE, np.random.default_rng(seed))
    old_sites = list(tables["sites"]["site_id"])
    site_map = dict(zip(old_sites, OTHER_SITES, strict=True))
    tables = rename_ids(
        {k: v for k, v in tables.items() if k not in OTHER_LEAVES_OUT},
        sites=site_map,
        codes={old: new for old, (new, _label) in OTHER_CODES.items()},
    )
    tables["sites"]["display_name"] = list(OTHER_SITES.values())
    book = tables["codebook"]
    labels = {new: label for new, label in OTHER_CODES.values()}
    root_label = book["parent_id"].map(labels)
    book["label"] = book["code_id"].map(labels)
    book["description"] = (root_label + ": " + book["label"].str.lower() + ".").fillna(
        book["description"]
    )
    seg = tables["coded_segments"]
    for old, new in site_map.items():
        seg["source_id"] = seg["source_id"].str.replace(f"FG-{old}-", f"FG-{new}-", regex=False)
    return _almost_no_data(tables, list(OTHER_SITES)[-1])


def _almost_no_data(tables: dict[str, pd.DataFrame], site: str) -> dict[str, pd.DataFrame]:
    """Keep one interviewee, one document and one observed meeting of ``site``."""
    people, docs, obs = (
        tables["participants"],
        tables["documents"],
        tables["observations"],
    )
    drop_people = people["site_id"].eq(site) & (
        people["participant_id"] != people.loc[people["site_id"].eq(site), "participant_id"].min()
    )
    drop_docs = docs["site_id"].eq(site) & docs.duplicated("site_id")
    drop_obs = obs["site_id"].eq(site) & obs.duplicated("site_id")
    seg = tables["coded_segments"]
    dropped_sources = {
        *(f"DOC-{d}" for d in docs.loc[drop_docs, "document_id"]),
        *(f"OBS-{o}" for o in obs.loc[drop_obs, "observation_id"]),
    }
    keep_seg = ~seg["participant_id"].isin(people.loc[drop_people, "participant_id"]) & ~seg[
        "source_id"
    ].isin(dropped_sources)
    out = dict(tables)
    out["participants"] = people[~drop_people].reset_index(drop=True)
    out["documents"] = docs[~drop_docs].reset_index(drop=True)
    out["observations"] = obs[~drop_obs].reset_index(drop=True)
    out["coded_segments"] = seg[keep_seg].reset_index(drop=True)
    return out


def other_plan() -> AnalysisPlan:
    """Return the analysis plan of the "other" study (its codes; no survey; QCA on meetings)."""
    code = {old: new for old, (new, _label) in OTHER_CODES.items()}
    return AnalysisPlan(
        codes=CodePlan(
            stance={
                "supportive": code["ST-SUP"],
                "critical": code["ST-CRIT"],
                "mixed": code["ST-MIX"],
                "unclear": code["ST-UNC"],
            },
            awareness={
                "read": code["AWR-READ"],
                "heard": code["AWR-HEARD"],
                "unaware": code["AWR-UNAWARE"],
            },
            themes={
                "golden_rules": (code["GR"],),
                "consent": (code["CON-LAWFUL"], code["CON-SERVICE"], code["CON-MEDICAL"]),
                "barriers": (code["BAR"],),
                "facilitators": (code["FAC"],),
                "father_practice": (code["FP"],),
                "gaps": (code["GAP-FATHERS"], code["GAP-EXAMPLES"], code["GAP-ADULTS"]),
            },
        ),
        qca=QCAPlan(
            outcome="father_info_shared",
            outcome_source="observations",
            anchors=(0.3, 0.5, 0.7),
            conditions=(
                "early_help_in_front_door",
                "father_inclusion_lead",
                "shared_assessment",
                "adult_specialists",
            ),
            directional={"early_help_in_front_door": 1, "father_inclusion_lead": 1},
        ),
    )


def variant_plan(variant: str = "study") -> AnalysisPlan:
    """Return the analysis plan of a generated study (the null study shares the shipped one's)."""
    return other_plan() if variant == "other" else synthetic_plan()


#: The joint displays of the synthetic study (notebooks 01 and 04): practice with fathers
#: against the facilitators and barriers, awareness and confidence against what is said, and
#: the case-audit indicator that evidences each transfer component.
SYNTHETIC_JOINT: dict[str, object] = {
    "theme": [
        {
            "name": "father_practice",
            "label": "Practice with fathers and significant men",
            "objective": 2,
            "indicators": list(contract.AUDIT_INDICATORS),
            "survey": ["father_practice"],
            "theme": "father_practice",
            "positive": ["FAC"],
            "negative": ["BAR"],
        },
        {
            "name": "awareness",
            "label": "Awareness of the 2024 advice",
            "objective": 4,
            "survey": ["awareness"],
            "codes": ["AWR-READ", "AWR-HEARD", "AWR-UNAWARE"],
            "positive": ["AWR-READ"],
            "negative": ["AWR-UNAWARE"],
        },
        {
            "name": "confidence",
            "label": "Confidence to share information",
            "objective": 4,
            "survey": ["confidence"],
            "positive": ["FAC"],
            "negative": ["BAR"],
        },
    ],
    "components": {
        "TC-FIELDS": ["father_recorded"],
        "TC-AUDIT": ["father_identified"],
        "TC-TRIAGE": ["father_checked"],
        "TC-PROTOCOL": ["father_info_shared"],
    },
}


def synthetic_plan() -> AnalysisPlan:
    """Return the analysis plan of the synthetic study (written to its ``study.toml``)."""
    return AnalysisPlan(
        codes=CodePlan(
            stance={
                "supportive": "ST-SUP",
                "critical": "ST-CRIT",
                "mixed": "ST-MIX",
                "unclear": "ST-UNC",
            },
            awareness={"read": "AWR-READ", "heard": "AWR-HEARD", "unaware": "AWR-UNAWARE"},
            themes={
                "golden_rules": ("GR",),
                "consent": ("CON",),
                "lawful_basis": ("LB",),
                "barriers": ("BAR",),
                "facilitators": ("FAC",),
                "father_practice": ("FP",),
                "gaps": ("GAP",),
                "transfer_components": ("TC",),
                "emergent": ("EM",),
            },
        ),
        survey=SurveyPlan(
            constructs={
                "awareness": "Awareness of the 2024 advice",
                "lawful_bases": "Knowledge of lawful bases",
                "consent_myths": "Consent misconceptions",
                "fear_of_sanction": "Fear of sanction",
                "self_efficacy": "Self-efficacy",
                "leadership": "Leadership, culture and supervision",
                "trust_partners": "Trust in partners",
                "it_access": "IT access",
                "father_practice": "Practice with fathers and significant men",
            },
            outcomes={"awareness": "awareness", "confidence": "confidence"},
        ),
        qca=QCAPlan(
            outcome="father_info_shared",
            outcome_source="case_audit",
            outcome_since="2024-07-01",
            anchors=(0.25, 0.45, 0.65),
            conditions=(
                "early_help_in_front_door",
                "father_inclusion_lead",
                "front_door_mash",
                "protocol_refreshed_2024",
                "training_2024_advice",
            ),
            thresholds={
                "hub_maturity": 1,
                "father_fields_in_records": 2,
                "partner_record_access": 1,
            },
            directional={
                "early_help_in_front_door": 1,
                "father_inclusion_lead": 1,
                "front_door_mash": 1,
                "protocol_refreshed_2024": 1,
                "training_2024_advice": 1,
            },
        ),
        comparison=ComparisonPlan(
            indicators=(
                "father_identified",
                "father_recorded",
                "father_checked",
                "father_info_shared",
                "father_invited",
                "father_involved",
            )
        ),
        recruitment=SYNTHETIC_TARGETS,
        joint=SYNTHETIC_JOINT,
    )


#: The synthetic study's recruitment targets: some met, some not (people counted once).
SYNTHETIC_TARGETS: tuple[RecruitmentTarget, ...] = (
    RecruitmentTarget(method="interview", n=100),
    RecruitmentTarget(method="focus_group", n=80),
    RecruitmentTarget(agency="primary_care", n=8),
    RecruitmentTarget(agency="police", n=16),
    *(
        RecruitmentTarget(site=site, method="interview", n=n)
        for site, n in zip(
            ("S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08"),
            (20, 15, 12, 12, 12, 12, 12, 6),
            strict=True,
        )
    ),
    RecruitmentTarget(site="S08", method="focus_group", n=10),
    RecruitmentTarget(site="S01", agency="social_care", method="interview", n=5),
    RecruitmentTarget(site="S02", agency="early_help", method="interview", n=2),
    RecruitmentTarget(site="S03", n=25),
)


def _command(seed: int, variant: str) -> str:
    return f"srim synth --seed {seed}" + ("" if variant == "study" else f" --variant {variant}")


def _csv_bytes(frame: pd.DataFrame, seed: int, variant: str = "study") -> bytes:
    buf = io.StringIO()
    buf.write(
        f"{SYNTHETIC_BANNER} generated by `{_command(seed, variant)}`: not real people, "
        "places or cases.\n"
    )
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _effects_lines(variant: str) -> list[str]:
    if variant == "null":
        return [
            "## Planted effects: none",
            "",
            "This is the null study: the shape and ids of the shipped study with no planted "
            "effect. The QCA, the ordinal models and the stance comparison must find nothing "
            "beyond chance here (the tests check they do).",
        ]
    if variant == "other":
        return [
            "## Planted effects",
            "",
            "The configuration, criticised-rule and gap effects of the shipped study, under "
            "this study's own site and code ids (see study.toml and "
            "`srim_analysis.study.synthetic.OTHER_CODES`); the configuration effect is seen in "
            "the observed meetings, as there is no case audit.",
        ]
    return [
        "## Planted effects (the analyses must recover these; the tests check they do)",
        "",
        *(f"- **{k}**: {v}" for k, v in PLANTED_EFFECTS.items()),
    ]


def readme_text(
    seed: int, scale: str, tables: dict[str, pd.DataFrame], variant: str = "study"
) -> str:
    """Return the README written beside a generated study (sizes and planted effects)."""
    title = "the shipped SRIM study" if variant == "study" else study_name(scale, variant)
    run = f"{_command(seed, variant)} --scale {scale}"
    lines = [
        f"# SYNTHETIC DATA: {title}",
        "",
        *([] if variant == "study" else [f"{VARIANTS[variant].capitalize()}.", ""]),
        f"Generated by `{run}` "
        "(srim_analysis/synthetic.py). Do not edit by hand: regenerate. Nothing here "
        "describes real people, places or cases; ONS codes (E..9.....), names, phone numbers "
        "(Ofcom drama ranges) and postcodes (unused 98/99 districts) are fictional.",
        "",
        "## Tables",
        "",
        "| table | rows |",
        "| --- | --- |",
        *(f"| {name} | {len(frame):,} |" for name, frame in tables.items()),
        "",
        *_effects_lines(variant),
        "",
    ]
    return "\n".join(lines)


def study_name(scale: str, variant: str = "study") -> str:
    """Return a generated study's name: the scale and variant are named unless "study".

    >>> study_name("study"), study_name("national"), study_name("study", "null")
    ('SRIM synthetic study', 'SRIM synthetic study (national)', 'SRIM synthetic study (null)')
    """
    extra = [w for w in (scale, variant) if w != "study"]
    return "SRIM synthetic study" + (f" ({', '.join(extra)})" if extra else "")


def _plan_for_sites(plan: AnalysisPlan, sites: set[str]) -> AnalysisPlan:
    """Return ``plan`` keeping only the recruitment targets of sites the study has.

    The shipped study's per-site targets name its eight sites; a study at national scale
    has other site ids, so it keeps the study-wide targets only.
    """
    kept = tuple(t for t in plan.recruitment if t.site == ALL_SITES or t.site in sites)
    return replace(plan, recruitment=kept)


def write_study(
    out_dir: str | Path, seed: int = DEFAULT_SEED, scale: str = "study", variant: str = "study"
) -> Path:
    """Write a generated study (CSVs, study.toml, README, identifier list); return the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate_tables(seed, scale, variant)
    for name, frame in tables.items():
        atomic.write_bytes(out / f"{name}.csv", _csv_bytes(frame, seed, variant))
    atomic.write_text(
        out / PLAN_FILE,
        "# SYNTHETIC DATA marker: the loader refuses to treat this folder as real.\n"
        + render_plan(
            _plan_for_sites(variant_plan(variant), set(tables["sites"]["site_id"])),
            "synthetic",
            study_name(scale, variant),
            {"seed": seed},
        ),
    )
    people = sorted({f"{f} {ln}" for f in FIRST_NAMES for ln in LAST_NAMES})
    ident = pd.DataFrame(
        [(p, "NAME") for p in people] + [(n, "SITE") for n in tables["sites"]["display_name"]],
        columns=["identifier", "kind"],
    )
    atomic.write_bytes(out / "identifiers.csv", _csv_bytes(ident, seed, variant))
    atomic.write_text(out / "README.md", readme_text(seed, scale, tables, variant))
    return out
