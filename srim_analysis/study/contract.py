"""The study's data contract: every table, every column, every rule, in one place.

Each table is declared once as a :class:`TableSpec` of :class:`ColumnSpec` s. From these
declarations the loader builds pandera schemas (:func:`pandera_schema`), the template
writer builds blank files and Excel drop-downs, and ``docs/data-dictionary.md`` is
generated (:func:`data_dictionary_markdown`), so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandera.pandas as pa

Kind = Literal["id", "text", "category", "integer", "number", "binary", "date", "boolean"]

# ---------------------------------------------------------------------------
# Controlled vocabularies shared by several tables
# ---------------------------------------------------------------------------

REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)

#: ONS GSS prefix of an upper-tier authority -> authority type.
AUTHORITY_TYPES: dict[str, str] = {
    "E06": "unitary authority",
    "E08": "metropolitan borough",
    "E09": "London borough",
    "E10": "county council",
}

SITE_ROLES: tuple[str, ...] = ("origin", "adopter", "comparison")

#: Agency codes -> plain-English labels used in tables and figures.
AGENCIES: dict[str, str] = {
    "social_care": "Children's social care",
    "early_help": "Early help / family hub",
    "police": "Police",
    "health_visiting": "Health visiting",
    "midwifery": "Midwifery",
    "primary_care": "GP / primary care",
    "education": "Education",
    "adult_mental_health": "Adult mental health",
    "substance_misuse": "Substance misuse",
    "probation": "Probation",
    "housing": "Housing",
    "voluntary_sector": "Voluntary sector",
}

ROLES: dict[str, str] = {
    "practitioner": "Practitioner",
    "senior_practitioner": "Senior practitioner",
    "manager": "Team manager",
    "strategic_lead": "Strategic lead",
    "safeguarding_lead": "Designated / named safeguarding lead",
}

METHODS: dict[str, str] = {
    "interview": "Interview",
    "focus_group": "Focus group",
    "observation": "Observation",
    "survey": "Survey",
    "document": "Document",
}

YEARS_IN_ROLE: tuple[str, ...] = ("<2", "2-5", "6-10", ">10")

MEETING_TYPES: tuple[str, ...] = (
    "front door triage",
    "strategy meeting",
    "child protection conference",
    "core group",
    "early help panel",
)

DOCUMENT_TYPES: tuple[str, ...] = (
    "information sharing protocol",
    "referral form",
    "assessment form",
    "practice guidance",
    "training material",
    "strategy",
)

CODE_BRANCHES: dict[str, str] = {
    "golden_rules": "The seven golden rules of the 2024 advice",
    "consent": "The three meanings of consent",
    "lawful_basis": "Lawful bases for sharing",
    "stance": "Stance taken towards the advice (co-coded with a rule or meaning)",
    "awareness": "Awareness of the 2024 advice",
    "barriers": "Barriers to sharing information",
    "facilitators": "Facilitators of sharing information",
    "father_practice": "Practice with fathers and significant men",
    "gaps": "What practitioners say the advice lacks",
    "transfer_components": "Components of the information-sharing initiative",
    "emergent": "Emergent themes",
}

#: Kinds of audited case (``case_audit.case_type``): what the case file is mainly about.
CASE_TYPES: dict[str, str] = {
    "baby_under_one": "A baby under one",
    "domestic_abuse": "Domestic abuse",
    "neglect": "Neglect",
    "child_protection_plan": "Child protection plan",
    "other": "Other",
}

#: The methods by which a participant takes part (``participants.method``).
PARTICIPANT_METHODS: dict[str, str] = {
    k: v for k, v in METHODS.items() if k not in {"survey", "document"}
}
#: The separator of a list in one cell (``participants.other_methods``).
LIST_SEPARATOR = "|"

#: Codes for survey answers that are answers, not missing values.
DONT_KNOW = "dk"
NOT_APPLICABLE = "na"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
ONS_PATTERN = r"^E(06|08|09|10)\d{6}$"


# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a study table: its type, rules and meaning."""

    name: str
    kind: Kind
    description: str
    required: bool = True
    nullable: bool = False
    unique: bool = False
    allowed: Sequence[str] | Mapping[str, str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    references: str | None = None  # "table.column" this column must match

    @property
    def allowed_values(self) -> list[str] | None:
        """Return the allowed values as a list (keys when a label mapping is given)."""
        if self.allowed is None:
            return None
        return list(self.allowed.keys() if isinstance(self.allowed, Mapping) else self.allowed)

    def rule_text(self) -> str:
        """Return the column's rules in plain words (for the data dictionary)."""
        parts: list[str] = []
        if self.kind == "binary":
            parts.append("0 or 1")
        if self.allowed is not None:
            parts.append("one of: " + ", ".join(f"`{v}`" for v in self.allowed_values or []))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"between {self.minimum:g} and {self.maximum:g}")
        elif self.minimum is not None:
            parts.append(f"at least {self.minimum:g}")
        if self.pattern:
            parts.append(f"matches `{self.pattern}`")
        if self.kind == "date":
            parts.append("a date, YYYY-MM-DD")
        if self.unique:
            parts.append("unique")
        if self.references:
            parts.append(f"must appear in `{self.references}`")
        parts.append("may be blank" if self.nullable else "required")
        return "; ".join(parts)


@dataclass(frozen=True)
class TableSpec:
    """One study table: file stem, purpose, columns and primary key."""

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    extra_columns: str | None = None  # a sentence if extra (dynamic) columns are allowed

    def column(self, name: str) -> ColumnSpec:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        """Return the declared column names in order."""
        return [c.name for c in self.columns]


def _binary(name: str, description: str, nullable: bool = False) -> ColumnSpec:
    return ColumnSpec(name, "binary", description, nullable=nullable)


SITES = TableSpec(
    "sites",
    "One row per study site: an upper-tier local authority taking part in the study.",
    (
        ColumnSpec("site_id", "id", "Short pseudonymous site id.", unique=True, pattern=ID_PATTERN),
        ColumnSpec("display_name", "text", "Name shown in tables and figures."),
        ColumnSpec(
            "ons_code",
            "text",
            "ONS GSS code of the upper-tier authority (E06 unitary, E08 metropolitan, "
            "E09 London borough, E10 county).",
            pattern=ONS_PATTERN,
        ),
        ColumnSpec("region", "category", "English region.", allowed=REGIONS),
        ColumnSpec(
            "authority_type",
            "category",
            "Authority type; must agree with the ONS code prefix.",
            allowed=tuple(AUTHORITY_TYPES.values()),
        ),
        ColumnSpec(
            "role",
            "category",
            "Role in the study: origin of the information-sharing initiative, adopter of it, "
            "or comparison site.",
            allowed=SITE_ROLES,
        ),
        ColumnSpec(
            "initiative_start",
            "date",
            "Date the initiative started at the site (origin and adopters; blank for "
            "comparison sites).",
            nullable=True,
        ),
    ),
    key=("site_id",),
)

#: Service-configuration features (domain brief, section 3). name -> (kind, max, description).
SITE_FEATURES: dict[str, tuple[str, int, str]] = {
    "front_door_mash": ("binary", 1, "Multi-agency front door or MASH in place."),
    "agencies_colocated": ("ordinal", 12, "Number of agencies co-located in the front door."),
    "early_help_in_front_door": (
        "binary",
        1,
        "Early help triage co-located inside the front door.",
    ),
    "family_hubs_programme": ("binary", 1, "One of the 75 family-hubs programme authorities."),
    "hub_maturity": ("ordinal", 2, "Family hub maturity: 0 none, 1 basic, 2 developed."),
    "earned_autonomy": ("binary", 1, "Supporting Families Earned Autonomy status."),
    "families_first_pathfinder": ("binary", 1, "Families First pathfinder authority."),
    "lead_practitioner_model": (
        "ordinal",
        2,
        "Early help lead practitioners: 0 local authority staff only, 1 mixed, "
        "2 fully multi-agency.",
    ),
    "shared_assessment": ("binary", 1, "Shared early help assessment across agencies."),
    "partner_record_access": (
        "ordinal",
        2,
        "Partner access to case records: 0 none, 1 read-only, 2 read and contribute.",
    ),
    "father_inclusion_lead": ("binary", 1, "A named father-inclusion lead in post."),
    "father_inclusion_strategy": (
        "ordinal",
        2,
        "Father-inclusion strategy: 0 none, 1 strategy, 2 strategy with case-file audit.",
    ),
    "adult_specialists": (
        "binary",
        1,
        "Family Safeguarding-style adult specialists in children's teams.",
    ),
    "protocol_refreshed_2024": (
        "binary",
        1,
        "Information-sharing protocol refreshed after the May 2024 advice.",
    ),
    "training_2024_advice": ("binary", 1, "Multi-agency training on the 2024 advice delivered."),
    "father_fields_in_records": (
        "ordinal",
        2,
        "Father / male-carer fields in case records: 0 none, 1 optional, 2 mandatory.",
    ),
    "priority_men_under1": (
        "binary",
        1,
        "Partnership priority on men or babies under one.",
    ),
    "ilacs_grade": (
        "ordinal",
        4,
        "Latest ILACS overall grade: 1 inadequate, 2 requires improvement, 3 good, 4 outstanding.",
    ),
    "idaci_decile": ("ordinal", 10, "IDACI decile of the authority (1 most deprived)."),
}


def _feature_column(name: str, kind: str, maximum: int, description: str) -> ColumnSpec:
    if kind == "binary":
        return ColumnSpec(name, "binary", description)
    minimum = 1 if name in {"ilacs_grade", "idaci_decile"} else 0
    return ColumnSpec(name, "integer", description, minimum=minimum, maximum=maximum)


SITE_FEATURES_TABLE = TableSpec(
    "site_features",
    "One row per site: its service configuration across early help and family support "
    "(binary and ordinal features; fuzzy memberships are derived by calibration in the "
    "analysis, not stored).",
    (
        ColumnSpec("site_id", "id", "Study site id.", unique=True, references="sites.site_id"),
        *(_feature_column(n, k, m, d) for n, (k, m, d) in SITE_FEATURES.items()),
    ),
    key=("site_id",),
)

PARTICIPANTS = TableSpec(
    "participants",
    "One row per person who took part in an interview, focus group or observed meeting "
    "(survey respondents are in survey_responses).",
    (
        ColumnSpec(
            "participant_id",
            "id",
            "Pseudonymous participant id.",
            unique=True,
            pattern=ID_PATTERN,
        ),
        ColumnSpec("site_id", "id", "Site the participant works in.", references="sites.site_id"),
        ColumnSpec("agency", "category", "Agency the participant works for.", allowed=AGENCIES),
        ColumnSpec("role", "category", "The participant's role.", allowed=ROLES),
        ColumnSpec(
            "method",
            "category",
            "How the participant took part (the first way, when they took part in more than "
            "one: the others are in other_methods). A person is listed once.",
            allowed=PARTICIPANT_METHODS,
        ),
        ColumnSpec(
            "years_in_role",
            "category",
            "Years in role, banded.",
            allowed=YEARS_IN_ROLE,
            nullable=True,
        ),
        ColumnSpec(
            "other_methods",
            "text",
            "Other ways the same person took part (e.g. an interviewee who also joined a "
            "focus group), separated by `|`; each one of: "
            + ", ".join(f"`{m}`" for m in PARTICIPANT_METHODS)
            + ". Blank when they took part once. Counts of participants count a person once.",
            required=False,
            nullable=True,
        ),
    ),
    key=("participant_id",),
)

SURVEY_ITEMS = TableSpec(
    "survey_items",
    "One row per survey item: the construct it measures and how it is answered.",
    (
        ColumnSpec(
            "item_id",
            "id",
            "Item id; also the item's column in survey_responses.",
            unique=True,
            pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        ),
        ColumnSpec(
            "construct",
            "id",
            "Construct (scale) the item belongs to.",
            pattern=r"^[a-z][a-z0-9_]*$",
        ),
        ColumnSpec("wording", "text", "The item as asked."),
        ColumnSpec("reverse_keyed", "binary", "1 if agreeing means less of the construct."),
        ColumnSpec("scale_min", "integer", "Lowest response value.", minimum=0, maximum=1),
        ColumnSpec("scale_max", "integer", "Highest response value.", minimum=2, maximum=11),
        ColumnSpec(
            "labels",
            "text",
            "Response labels from lowest to highest, separated by `|`.",
        ),
        ColumnSpec("allows_dont_know", "binary", "1 if `dk` (don't know) is offered."),
        ColumnSpec("allows_not_applicable", "binary", "1 if `na` (not applicable) is offered."),
    ),
    key=("item_id",),
)

SURVEY_RESPONSES = TableSpec(
    "survey_responses",
    "One row per survey respondent: who they are, training and awareness, and one column "
    "per survey item.",
    (
        ColumnSpec(
            "respondent_id", "id", "Pseudonymous respondent id.", unique=True, pattern=ID_PATTERN
        ),
        ColumnSpec("site_id", "id", "Site the respondent works in.", references="sites.site_id"),
        ColumnSpec("agency", "category", "Respondent's agency.", allowed=AGENCIES),
        ColumnSpec("role", "category", "Respondent's role.", allowed=ROLES),
        ColumnSpec(
            "years_in_role",
            "category",
            "Years in role, banded.",
            allowed=YEARS_IN_ROLE,
            nullable=True,
        ),
        _binary("trained_2024", "Attended training on the May 2024 advice.", nullable=True),
        _binary("read_advice_2024", "Has read the May 2024 advice.", nullable=True),
        ColumnSpec(
            "manager_support",
            "integer",
            "Support from their manager for sharing (1 none to 5 a great deal).",
            minimum=1,
            maximum=5,
            nullable=True,
        ),
    ),
    key=("respondent_id",),
    extra_columns=(
        "One column per `survey_items.item_id`. A cell holds a whole number between the "
        "item's `scale_min` and `scale_max`, `dk` (don't know) or `na` (not applicable) "
        "where the item offers them, or is blank (missing)."
    ),
)

CODEBOOK = TableSpec(
    "codebook",
    "The hierarchical coding frame for qualitative data (a priori and emergent codes).",
    (
        ColumnSpec("code_id", "id", "Code id.", unique=True, pattern=ID_PATTERN),
        ColumnSpec(
            "parent_id",
            "id",
            "Parent code (blank for a top-level code).",
            nullable=True,
            references="codebook.code_id",
        ),
        ColumnSpec("label", "text", "Short label shown in tables and figures."),
        ColumnSpec("description", "text", "What the code captures.", nullable=True),
        ColumnSpec("branch", "category", "Branch of the framework.", allowed=CODE_BRANCHES),
        ColumnSpec("a_priori", "binary", "1 if the code was set before coding began."),
    ),
    key=("code_id",),
)

CODED_SEGMENTS = TableSpec(
    "coded_segments",
    "One row per coding: a segment of text from an interview, focus group, observation "
    "note or document, and one code applied to it (a segment with three codes has three "
    "rows sharing its segment_id).",
    (
        ColumnSpec(
            "segment_id", "id", "Segment id (repeated for each code applied).", pattern=ID_PATTERN
        ),
        ColumnSpec("code_id", "id", "Code applied.", references="codebook.code_id"),
        ColumnSpec(
            "source_id",
            "id",
            "Transcript, note or document the segment is from.",
            pattern=ID_PATTERN,
        ),
        ColumnSpec(
            "method",
            "category",
            "Kind of source.",
            allowed={k: v for k, v in METHODS.items() if k != "survey"},
        ),
        ColumnSpec("site_id", "id", "Site of the source.", references="sites.site_id"),
        ColumnSpec(
            "participant_id",
            "id",
            "Speaker (blank for documents or unattributed focus-group talk).",
            nullable=True,
            references="participants.participant_id",
        ),
        ColumnSpec(
            "source_date", "date", "Date of the interview, meeting or document.", nullable=True
        ),
        ColumnSpec(
            "excerpt",
            "text",
            "The coded text as transcribed (may hold identifiers: it is redacted before it "
            "is shown). Blank when a QDA export holds the coding but not its text "
            "(excerpt_missing = 1): the coding still counts, it is never quoted.",
            nullable=True,
        ),
        ColumnSpec(
            "start",
            "integer",
            "Where the segment starts in its source (as the QDA tool counts), if known.",
            required=False,
            nullable=True,
            minimum=0,
        ),
        ColumnSpec(
            "end",
            "integer",
            "Where the segment ends in its source (as the QDA tool counts), if known.",
            required=False,
            nullable=True,
            minimum=0,
        ),
        ColumnSpec(
            "coder",
            "text",
            "Who applied the code (from a QDA export). A source coded by two or more people "
            "holds each coder's rows (the same segment_id for the same passage); the analyses "
            "use one coding per source, its primary coder's (study.toml `[coding] "
            "primary_coder`, else the coder of the source's first row), and the agreement "
            "between coders is computed from all of them.",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "excerpt_missing",
            "binary",
            "1 when the export holds the coding but not its text (the excerpt is blank).",
            required=False,
            nullable=True,
        ),
    ),
    key=("segment_id", "code_id", "coder"),
)

_OUTCOME_NOTE = " 1 yes, 0 no, blank when not applicable or not recorded."


def _outcome(name: str, description: str) -> ColumnSpec:
    """Return a nullable 0/1 father-outcome column (blank: not applicable or not recorded)."""
    return _binary(name, description + _OUTCOME_NOTE, nullable=True)


#: The prefix of a second auditor's answer column (``second_father_identified``, ...).
SECOND_PREFIX = "second_"
_AUDIT_OUTCOMES: tuple[ColumnSpec, ...] = (
    _outcome("father_identified", "A father or significant man was identified."),
    _outcome("father_recorded", "His details were recorded on the child's record."),
    _outcome("father_checked", "Other agencies were checked about him."),
    _outcome("father_info_shared", "Information about him was shared with another agency."),
    _outcome("father_invited", "He was invited to the assessment or meeting."),
    _outcome("father_involved", "He took part in the assessment or plan."),
)

CASE_AUDIT = TableSpec(
    "case_audit",
    "One row per audited case file: what was done about the father or significant man.",
    (
        ColumnSpec(
            "case_id", "id", "Pseudonymous audited case id.", unique=True, pattern=ID_PATTERN
        ),
        ColumnSpec("site_id", "id", "Site of the case.", references="sites.site_id"),
        ColumnSpec("audit_date", "date", "Date of the work audited (referral or assessment)."),
        ColumnSpec("lead_agency", "category", "Agency leading the work.", allowed=AGENCIES),
        *_AUDIT_OUTCOMES,
        ColumnSpec(
            "case_type",
            "category",
            "What the case is mainly about.",
            required=False,
            nullable=True,
            allowed=CASE_TYPES,
        ),
        ColumnSpec(
            "auditor",
            "id",
            "Pseudonymous id of the person who audited the case.",
            required=False,
            nullable=True,
            pattern=ID_PATTERN,
        ),
        ColumnSpec(
            "second_auditor",
            "id",
            "Pseudonymous id of the second auditor of a double-audited case (blank when the "
            "case was audited once); not the same person as auditor.",
            required=False,
            nullable=True,
            pattern=ID_PATTERN,
        ),
        *(
            ColumnSpec(
                f"{SECOND_PREFIX}{c.name}",
                "binary",
                f"The second auditor's answer to {c.name}: 1 yes, 0 no, blank when the case "
                "was not double-audited or the answer not applicable.",
                required=False,
                nullable=True,
            )
            for c in _AUDIT_OUTCOMES
        ),
    ),
    key=("case_id",),
)

OBSERVATIONS = TableSpec(
    "observations",
    "One row per observed multi-agency meeting.",
    (
        ColumnSpec("observation_id", "id", "Observation id.", unique=True, pattern=ID_PATTERN),
        ColumnSpec("site_id", "id", "Site of the meeting.", references="sites.site_id"),
        ColumnSpec("meeting_date", "date", "Date of the meeting."),
        ColumnSpec("meeting_type", "category", "Kind of meeting.", allowed=MEETING_TYPES),
        ColumnSpec(
            "agencies_present", "integer", "Number of agencies present.", minimum=1, maximum=20
        ),
        _outcome("father_identified", "The father or significant man was identified."),
        _outcome("father_discussed", "Information about him was discussed."),
        _outcome("father_info_shared", "An agency shared information it held about him."),
        _outcome("father_invited", "He was invited."),
        _outcome("father_involved", "He attended or contributed."),
    ),
    key=("observation_id",),
)

DOCUMENTS = TableSpec(
    "documents",
    "One row per local document analysed (protocols, forms, guidance): which features it contains.",
    (
        ColumnSpec("document_id", "id", "Document id.", unique=True, pattern=ID_PATTERN),
        ColumnSpec("site_id", "id", "Site that issued the document.", references="sites.site_id"),
        ColumnSpec("doc_type", "category", "Kind of document.", allowed=DOCUMENT_TYPES),
        ColumnSpec("title", "text", "Title (pseudonymised where it names the authority)."),
        ColumnSpec("doc_date", "date", "Date of issue or last revision."),
        _binary("mentions_fathers", "Names fathers or significant men explicitly."),
        _binary("father_fields", "Has fields for the father's details."),
        _binary("cites_2024_advice", "Cites the May 2024 advice."),
        _binary(
            "consent_explained", "Explains that consent is not needed when a child is at risk."
        ),
        _binary("lawful_basis_named", "Names the lawful basis for sharing."),
        _binary("records_decision", "Asks for the sharing decision and reasons to be recorded."),
    ),
    key=("document_id",),
)

WITHDRAWALS = TableSpec(
    "withdrawals",
    "Optional: one row per person who withdrew from the study (a participant or a survey "
    "respondent). The loader removes everything of theirs from every table (their "
    "participant row, their coded segments by every coder, so their quotes and framework "
    "rows, and their survey answers), whatever the date, and the run record says how many "
    "people and rows were removed, never who. No file: nobody has withdrawn.",
    (
        ColumnSpec(
            "person_id",
            "id",
            "The person's participant_id (participants) or respondent_id (survey_responses).",
            unique=True,
            pattern=ID_PATTERN,
        ),
        ColumnSpec("withdrawn_on", "date", "Date the person withdrew."),
        ColumnSpec(
            "note",
            "text",
            "A note for the research team (never shown in a report).",
            required=False,
            nullable=True,
        ),
    ),
    key=("person_id",),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        SITES,
        SITE_FEATURES_TABLE,
        PARTICIPANTS,
        SURVEY_ITEMS,
        SURVEY_RESPONSES,
        CODEBOOK,
        CODED_SEGMENTS,
        CASE_AUDIT,
        OBSERVATIONS,
        DOCUMENTS,
        WITHDRAWALS,
    )
}


def _outcome_columns(spec: TableSpec) -> tuple[str, ...]:
    return tuple(c.name for c in spec.columns if c.name.startswith("father_"))


#: Case-audit indicators (the father-outcome columns of ``case_audit``), in the order of
#: the care pathway.
AUDIT_INDICATORS: tuple[str, ...] = _outcome_columns(CASE_AUDIT)
#: Indicators recorded for observed meetings (the father-outcome columns of ``observations``).
OBSERVATION_INDICATORS: tuple[str, ...] = _outcome_columns(OBSERVATIONS)

#: Father-related outcome columns shared by case_audit and observations.
FATHER_OUTCOMES: tuple[str, ...] = (
    "father_identified",
    "father_recorded",
    "father_checked",
    "father_discussed",
    "father_info_shared",
    "father_invited",
    "father_involved",
)


# ---------------------------------------------------------------------------
# pandera schemas built from the declarations
# ---------------------------------------------------------------------------

_DTYPES: dict[str, object] = {
    "id": None,
    "text": None,
    "category": None,
    "integer": "Int64",
    "number": "Float64",
    "binary": "Int64",
    "date": "datetime64[ns]",
    "boolean": "boolean",
}


def _checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.kind == "binary":
        checks.append(pa.Check.isin([0, 1], error="must be 0 or 1"))
    if col.allowed is not None:
        checks.append(pa.Check.isin(col.allowed_values, error="must be one of the listed values"))
    if col.minimum is not None:
        checks.append(pa.Check.ge(col.minimum, error=f"must be at least {col.minimum:g}"))
    if col.maximum is not None:
        checks.append(pa.Check.le(col.maximum, error=f"must be at most {col.maximum:g}"))
    if col.pattern is not None:
        checks.append(pa.Check.str_matches(col.pattern, error=f"must match {col.pattern}"))
    return checks


def pandera_schema(spec: TableSpec, present: Sequence[str] | None = None) -> pa.DataFrameSchema:
    """Return the pandera schema that checks values of an already-typed table.

    ``present``: the table's columns; an optional key column it lacks is left out of the key.
    """
    key = [k for k in spec.key if present is None or k in present or spec.column(k).required]
    columns = {
        col.name: pa.Column(
            _DTYPES[col.kind],
            checks=_checks(col),
            nullable=col.nullable,
            unique=col.unique,
            required=col.required,
        )
        for col in spec.columns
    }
    return pa.DataFrameSchema(
        columns,
        name=spec.name,
        strict=False,
        unique=key if len(key) > 1 else None,
        report_duplicates="all",
    )


def data_dictionary_markdown() -> str:
    """Return the data dictionary (every table and column) as Markdown."""
    lines = [
        "# Data dictionary",
        "",
        "<!-- Generated by `srim dictionary` from srim_analysis/study/contract.py: "
        "do not edit. -->",
        "",
        "A study folder holds one CSV file per table (`<table>.csv`, UTF-8 or Windows-1252), "
        "or one Excel workbook with a sheet per table. A folder may hold only some tables: "
        "each notebook says which it needs. `srim validate DIR` checks a folder against "
        "this contract; `srim template DIR` writes a blank one.",
        "",
        "Cross-table rules: every `site_id` is in `sites`; every `participant_id` in "
        "`coded_segments` is in `participants` and in the same site; every `code_id` is in "
        "`codebook`; the item columns of `survey_responses` are exactly the `item_id`s of "
        "`survey_items`; `authority_type` agrees with the ONS code; origin and adopter "
        "sites have an `initiative_start` date; a person listed in `withdrawals` is a "
        "`participant_id` or a `respondent_id`; a case's `second_auditor` is not its "
        "`auditor`; a participant's `other_methods` are methods, not their `method` again.",
        "",
    ]
    for spec in TABLES.values():
        lines += [f"## `{spec.name}`", "", spec.description, ""]
        if spec.key:
            lines += [f"Key: {', '.join(f'`{k}`' for k in spec.key)}.", ""]
        lines += ["| column | type | meaning | rules |", "| --- | --- | --- | --- |"]
        for col in spec.columns:
            desc = col.description.replace("|", "\\|")
            lines.append(f"| `{col.name}` | {col.kind} | {desc} | {col.rule_text()} |")
        if spec.extra_columns:
            lines += ["", spec.extra_columns]
        lines.append("")
    lines += ["## Codes and labels", ""]
    for title, mapping in (
        ("Agencies", AGENCIES),
        ("Roles", ROLES),
        ("Methods", METHODS),
        ("Case types", CASE_TYPES),
        ("Code branches", CODE_BRANCHES),
    ):
        lines += [f"### {title}", "", "| code | label |", "| --- | --- |"]
        lines += [f"| `{k}` | {v} |" for k, v in mapping.items()]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
