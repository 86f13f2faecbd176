"""The study's analysis plan: what its own codes, survey items and columns mean.

A study folder's ``study.toml`` says, beside the marker (``kind``, ``name``), which of the
study's codes carry each stance and awareness level, which codes form each theme of the
framework, which survey constructs are reported and which are the outcomes of objective 3,
the QCA outcome, conditions and calibration anchors of objective 1, and the case-audit
indicators of the cross-site comparison. Nothing in the library names a code, item or site
of any particular study: the notebooks read these definitions (:attr:`Study.plan`).

* :func:`read_plan` parses the file (never raises: every mistake is a :class:`Problem`);
* :func:`check_plan` checks it against the study's tables (every named code, item and
  column exists) and notes what is left unmapped;
* :func:`theme_of_codes` expands themes (a parent code, or a list of codes) to codes;
* :func:`render_plan` writes a plan back as commented TOML (``srim template`` writes a blank
  one, the synthetic study its own).

An example ``study.toml``::

    kind = "real"
    name = "Our study"

    [codes.stance]
    supportive = "V-POS"
    critical = "V-NEG"

    [codes.awareness]
    read = "AW-R"
    heard = "AW-H"
    unaware = "AW-U"

    [codes.themes]
    golden_rules = "RULES"        # a parent code: its children are the rules
    barriers = ["B1", "B2"]       # or a list of codes

    [survey.constructs]
    aware = "Awareness of the advice"
    conf = "Confidence to share"

    [survey.outcomes]
    awareness = "aware"
    confidence = "conf"

    [qca]
    outcome = "father_info_shared"
    anchors = [0.2, 0.5, 0.8]
    conditions = ["front_door_mash", "training_2024_advice"]

    [comparison]
    indicators = ["father_identified", "father_info_shared"]

    [coding]
    primary_coder = "anna"        # whose coding the analyses use where two people coded

    [recruitment]                 # people to recruit per site, agency and method
    target = [                    # ("all": any); or [[recruitment.target]] tables
      { site = "LA1", agency = "police", method = "interview", n = 4 },
      { site = "all", agency = "all", method = "focus_group", n = 30 },
    ]
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from srim_analysis.study.contract import (
    AGENCIES,
    AUDIT_INDICATORS,
    CODE_BRANCHES,
    OBSERVATION_INDICATORS,
    PARTICIPANT_METHODS,
    SITE_FEATURES,
)
from srim_analysis.study.problems import Problem
from srim_analysis.study.selection import ALL_SITES

PLAN_FILE = "study.toml"

#: The stance a passage takes towards the advice, in plotting order (keys of [codes.stance]).
STANCE_ROLES: dict[str, str] = {
    "critical": "Critical",
    "mixed": "Mixed",
    "supportive": "Supportive",
    "unclear": "Unclear",
}
#: A participant's awareness of the advice, most aware first (keys of [codes.awareness]).
AWARENESS_ROLES: dict[str, str] = {
    "read": "Has read the advice",
    "heard": "Heard of it, not read it",
    "unaware": "Not aware of it",
}
#: The themes of the framework (keys of [codes.themes]): the codebook's branches.
THEMES: dict[str, str] = {
    k: v for k, v in CODE_BRANCHES.items() if k not in ("stance", "awareness")
}
#: The outcomes of objective 3 (keys of [survey.outcomes]), each modelled.
OUTCOME_ROLES: dict[str, str] = {
    "awareness": "Awareness of the advice",
    "confidence": "Confidence to share information",
}
OUTCOME_SOURCES: dict[str, tuple[str, ...]] = {
    "case_audit": AUDIT_INDICATORS,
    "observations": OBSERVATION_INDICATORS,
}
#: Method conventions of QCA, used when the plan does not set them.
DEFAULT_INCL_CUT = 0.8
DEFAULT_N_CUT = 1

_TOP_KEYS = {
    "kind",
    "name",
    "seed",
    "codes",
    "survey",
    "qca",
    "comparison",
    "coding",
    "recruitment",
    "joint",
}
#: The keys of one ``[[recruitment.target]]`` entry.
TARGET_KEYS: tuple[str, ...] = ("site", "agency", "method", "n")
_SECTION_KEYS = {
    "codes": {"stance", "awareness", "themes"},
    "survey": {"constructs", "outcomes"},
    "qca": {
        "outcome",
        "outcome_source",
        "outcome_since",
        "anchors",
        "conditions",
        "thresholds",
        "directional",
        "incl_cut",
        "n_cut",
    },
    "comparison": {"indicators"},
    "coding": {"primary_coder"},
    "recruitment": {"target"},
    "joint": {"theme", "components"},
}
#: The keys of one ``[[joint.theme]]`` entry that name the study's own columns, items or codes.
JOINT_NAMES: dict[str, str] = {
    "indicators": "indicator",
    "survey": "construct",
    "codes": "code",
    "positive": "code",
    "negative": "code",
}


@dataclass(frozen=True)
class CodePlan:
    """Which codes carry each stance and awareness level, and which codes form each theme."""

    stance: Mapping[str, str] = field(default_factory=dict)
    awareness: Mapping[str, str] = field(default_factory=dict)
    themes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def stance_labels(self) -> dict[str, str]:
        """Return {code id: stance label} for the mapped stances, in plotting order."""
        return {self.stance[r]: STANCE_ROLES[r] for r in STANCE_ROLES if r in self.stance}

    def stance_columns(self) -> dict[str, str]:
        """Return {code id: stance role} ('critical', ...) for the mapped stances."""
        return {self.stance[r]: r for r in STANCE_ROLES if r in self.stance}

    def awareness_labels(self) -> dict[str, str]:
        """Return {code id: awareness label} for the mapped levels, most aware first."""
        return {
            self.awareness[r]: AWARENESS_ROLES[r] for r in AWARENESS_ROLES if r in self.awareness
        }

    def awareness_columns(self) -> dict[str, str]:
        """Return {code id: awareness role} ('read', ...) for the mapped levels."""
        return {self.awareness[r]: r for r in AWARENESS_ROLES if r in self.awareness}


@dataclass(frozen=True)
class SurveyPlan:
    """The survey constructs reported (with labels) and the constructs that are outcomes."""

    constructs: Mapping[str, str] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)

    def label(self, construct: str) -> str:
        """Return the plan's label of a construct.

        The ``[survey.constructs]`` label; for an outcome it leaves unlabelled, the
        outcome's name ("Confidence to share information"); else the construct's name made
        readable ("new_scale" reads "New scale").
        """
        if self.constructs.get(construct):
            return self.constructs[construct]
        for role, mapped in self.outcomes.items():
            if mapped == construct and role in OUTCOME_ROLES:
                return OUTCOME_ROLES[role]
        return construct.replace("_", " ").capitalize()


@dataclass(frozen=True)
class QCAPlan:
    """The QCA of objective 1: outcome, calibration anchors, conditions and cut-offs."""

    outcome: str
    anchors: tuple[float, float, float]
    conditions: tuple[str, ...]
    outcome_source: str = "case_audit"
    outcome_since: str | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    directional: Mapping[str, int] = field(default_factory=dict)
    incl_cut: float = DEFAULT_INCL_CUT
    n_cut: int = DEFAULT_N_CUT


@dataclass(frozen=True)
class ComparisonPlan:
    """The case-audit indicators the cross-site comparison reports, in order."""

    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodingPlan:
    """Whose coding the analyses use where a source was coded by more than one person."""

    primary_coder: str | None = None


@dataclass(frozen=True)
class RecruitmentTarget:
    """How many people to recruit in a site, agency and method ("all": any of them)."""

    site: str = ALL_SITES
    agency: str = ALL_SITES
    method: str = ALL_SITES
    n: int = 0


@dataclass(frozen=True)
class AnalysisPlan:
    """A study's analysis plan (empty parts when its ``study.toml`` leaves them out)."""

    codes: CodePlan = field(default_factory=CodePlan)
    survey: SurveyPlan = field(default_factory=SurveyPlan)
    qca: QCAPlan | None = None
    comparison: ComparisonPlan = field(default_factory=ComparisonPlan)
    coding: CodingPlan = field(default_factory=CodingPlan)
    #: The recruitment targets, in the file's order (empty: no targets set).
    recruitment: tuple[RecruitmentTarget, ...] = ()
    #: The joint displays' ``[joint]`` table as written (themes and blueprint components);
    #: ``analyses.joint_displays`` reads it (empty: implied by the plan's other parts).
    joint: Mapping[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


class _Reader:
    """Collects problems while reading one plan file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def bad(self, key: str, value: object, rule: str) -> None:
        self.problems.append(Problem(self.file, None, key, _show(value), rule))

    def table(self, data: Mapping, key: str) -> dict:
        value = data.get(key.split(".")[-1], {})
        if not isinstance(value, dict):
            self.bad(key, value, "must be a table ([" + key + "])")
            return {}
        return value

    def text(self, value: object, key: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.bad(key, value, "must be a non-empty text in quotes")
        return None

    def texts(self, value: object, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.bad(key, value, "must be a text or a non-empty list of texts")
            return ()
        out = [self.text(v, key) for v in value]
        return tuple(v for v in out if v is not None)

    def number(self, value: object, key: str, low: float, high: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(key, value, "must be a number")
            return None
        if not low <= value <= high:
            self.bad(key, value, f"must be between {low:g} and {high:g}")
            return None
        return float(value)

    def roles(self, data: Mapping, key: str, roles: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for role, value in self.table(data, key).items():
            if role not in roles:
                self.bad(f"{key}.{role}", value, f"unknown key; the keys are {', '.join(roles)}")
                continue
            code = self.text(value, f"{key}.{role}")
            if code is not None:
                out[role] = code
        return out

    def unknown(self, data: Mapping, allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                name = f"{where}.{key}" if where else key
                self.bad(name, data[key], f"unknown key; the keys are {', '.join(sorted(allowed))}")


def _show(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _codes(r: _Reader, data: Mapping) -> CodePlan:
    codes = r.table(data, "codes")
    r.unknown(codes, _SECTION_KEYS["codes"], "codes")
    themes: dict[str, tuple[str, ...]] = {}
    for theme, value in r.table(codes, "codes.themes").items():
        if theme not in THEMES:
            r.bad(
                f"codes.themes.{theme}", value, f"unknown theme; the themes are {', '.join(THEMES)}"
            )
            continue
        themes[theme] = r.texts(value, f"codes.themes.{theme}")
    return CodePlan(
        stance=r.roles(codes, "codes.stance", STANCE_ROLES),
        awareness=r.roles(codes, "codes.awareness", AWARENESS_ROLES),
        themes=themes,
    )


def _survey(r: _Reader, data: Mapping) -> SurveyPlan:
    survey = r.table(data, "survey")
    r.unknown(survey, _SECTION_KEYS["survey"], "survey")
    constructs: dict[str, str] = {}
    for name, label in r.table(survey, "survey.constructs").items():
        text = r.text(label, f"survey.constructs.{name}")
        if text is not None:
            constructs[name] = text
    return SurveyPlan(
        constructs=constructs, outcomes=r.roles(survey, "survey.outcomes", OUTCOME_ROLES)
    )


def _qca(r: _Reader, data: Mapping) -> QCAPlan | None:
    if "qca" not in data:
        return None
    qca = r.table(data, "qca")
    r.unknown(qca, _SECTION_KEYS["qca"], "qca")
    before = len(r.problems)
    outcome = r.text(qca.get("outcome"), "qca.outcome")
    source = qca.get("outcome_source", "case_audit")
    if not isinstance(source, str) or source not in OUTCOME_SOURCES:
        r.bad("qca.outcome_source", source, f"must be one of {', '.join(OUTCOME_SOURCES)}")
    since = qca.get("outcome_since")
    if since is not None:
        since = r.text(str(since), "qca.outcome_since")
        if since is not None and pd.isna(pd.to_datetime(since, errors="coerce")):
            r.bad("qca.outcome_since", since, "must be a date (YYYY-MM-DD)")
    raw_anchors = qca.get("anchors")
    anchors = (
        [r.number(a, "qca.anchors", 0, 1) for a in raw_anchors or []]
        if isinstance(raw_anchors, list)
        else []
    )
    if len(anchors) != 3 or None in anchors or not anchors[0] < anchors[1] < anchors[2]:  # type: ignore[operator]
        r.bad(
            "qca.anchors",
            raw_anchors,
            "must be three increasing proportions: exclusion, crossover, inclusion",
        )
    conditions = r.texts(qca.get("conditions"), "qca.conditions")
    thresholds = {}
    for k, v in r.table(qca, "qca.thresholds").items():
        n = r.number(v, f"qca.thresholds.{k}", float("-inf"), float("inf"))
        if n is not None:
            thresholds[k] = n
    directional = {}
    for k, v in r.table(qca, "qca.directional").items():
        if v not in (0, 1, -1) or isinstance(v, bool):
            r.bad(
                f"qca.directional.{k}",
                v,
                "must be 1 (helps when present), 0 (when absent) or -1 (either)",
            )
        else:
            directional[k] = int(v)
    incl_cut = r.number(qca.get("incl_cut", DEFAULT_INCL_CUT), "qca.incl_cut", 0.5, 1)
    n_cut = qca.get("n_cut", DEFAULT_N_CUT)
    if isinstance(n_cut, bool) or not isinstance(n_cut, int) or n_cut < 1:
        r.bad("qca.n_cut", n_cut, "must be a whole number of at least 1")
    if len(r.problems) > before or outcome is None:
        return None
    return QCAPlan(
        outcome=outcome,
        anchors=tuple(float(a) for a in anchors),  # type: ignore[arg-type]
        conditions=conditions,
        outcome_source=str(source),
        outcome_since=since,
        thresholds=thresholds,
        directional=directional,
        incl_cut=float(incl_cut if incl_cut is not None else DEFAULT_INCL_CUT),
        n_cut=int(n_cut),
    )


def _comparison(r: _Reader, data: Mapping) -> ComparisonPlan:
    comparison = r.table(data, "comparison")
    r.unknown(comparison, _SECTION_KEYS["comparison"], "comparison")
    if "indicators" not in comparison:
        return ComparisonPlan()
    return ComparisonPlan(indicators=r.texts(comparison["indicators"], "comparison.indicators"))


def _coding(r: _Reader, data: Mapping) -> CodingPlan:
    coding = r.table(data, "coding")
    r.unknown(coding, _SECTION_KEYS["coding"], "coding")
    if "primary_coder" not in coding:
        return CodingPlan()
    return CodingPlan(primary_coder=r.text(coding["primary_coder"], "coding.primary_coder"))


def _recruitment(r: _Reader, data: Mapping) -> tuple[RecruitmentTarget, ...]:
    recruitment = r.table(data, "recruitment")
    r.unknown(recruitment, _SECTION_KEYS["recruitment"], "recruitment")
    entries = recruitment.get("target", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        r.bad("recruitment.target", entries, "must be entries [[recruitment.target]]")
        return ()
    vocab = {"agency": AGENCIES, "method": PARTICIPANT_METHODS}
    out: list[RecruitmentTarget] = []
    seen: set[tuple[str, str, str]] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"recruitment.target[{i}]"
        before = len(r.problems)
        r.unknown(entry, set(TARGET_KEYS), where)
        values: dict[str, str] = {}
        for key in ("site", "agency", "method"):
            value = r.text(entry.get(key, ALL_SITES), f"{where}.{key}")
            if value is None:
                continue
            if key in vocab and value != ALL_SITES and value not in vocab[key]:
                r.bad(
                    f"{where}.{key}",
                    value,
                    f'unknown {key}: "all" or one of {", ".join(vocab[key])}',
                )
            values[key] = value
        n = entry.get("n")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            r.bad(f"{where}.n", n, "must be a whole number of people, at least 1")
        if len(r.problems) > before:
            continue
        target = RecruitmentTarget(**values, n=int(n))  # type: ignore[arg-type]
        key3 = (target.site, target.agency, target.method)
        if key3 in seen:
            r.bad(where, ", ".join(key3), "the same site, agency and method has two targets")
            continue
        seen.add(key3)
        out.append(target)
    return tuple(out)


def _joint(r: _Reader, data: Mapping) -> dict[str, Any]:
    joint = r.table(data, "joint")
    r.unknown(joint, _SECTION_KEYS["joint"], "joint")
    themes = joint.get("theme", [])
    if not isinstance(themes, list) or not all(isinstance(t, Mapping) for t in themes):
        r.bad("joint.theme", themes, "must be entries [[joint.theme]]")
        return {}
    components = joint.get("components", {})
    if not isinstance(components, Mapping):
        r.bad("joint.components", components, "must be a table: component code = [indicators]")
        return {}
    return {k: v for k, v in (("theme", themes), ("components", dict(components))) if v}


def parse_plan(data: Mapping, file: str = PLAN_FILE) -> tuple[AnalysisPlan, list[Problem]]:
    """Return the plan in parsed ``study.toml`` data and the problems found in it."""
    r = _Reader(file)
    r.unknown(data, _TOP_KEYS, "")
    plan = AnalysisPlan(
        codes=_codes(r, data),
        survey=_survey(r, data),
        qca=_qca(r, data),
        comparison=_comparison(r, data),
        coding=_coding(r, data),
        recruitment=_recruitment(r, data),
        joint=_joint(r, data),
    )
    return plan, r.problems


def read_plan(folder: str | Path) -> tuple[AnalysisPlan, list[Problem]]:
    """Return the plan in ``folder/study.toml`` and the problems found in it (never raises)."""
    path = Path(folder) / PLAN_FILE
    if not path.exists():
        return AnalysisPlan(), [Problem.for_file(PLAN_FILE, "file is missing")]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return AnalysisPlan(), [Problem.for_file(PLAN_FILE, "is not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        row = int(line.group(1)) if line else None
        return AnalysisPlan(), [Problem(PLAN_FILE, row, None, None, f"is not valid TOML: {exc}")]
    return parse_plan(data)


# ---------------------------------------------------------------------------
# Checking against the tables
# ---------------------------------------------------------------------------


def _descendants(codebook: pd.DataFrame, code: str) -> list[str]:
    pairs = codebook[["code_id", "parent_id"]].astype(object)
    pairs = pairs.where(pairs.notna(), None)
    children: dict[str, list[str]] = {}
    for child, parent in pairs.itertuples(index=False):
        if isinstance(child, str) and isinstance(parent, str):
            children.setdefault(parent, []).append(child)
    out, frontier = [code], [code]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, []) if c not in out]
        out += frontier
    return out


def theme_of_codes(plan: AnalysisPlan, codebook: pd.DataFrame) -> dict[str, str]:
    """Return {code id: theme} for every code the plan's themes name (a parent takes its tree).

    >>> book = pd.DataFrame({"code_id": ["R", "R1", "R2", "B"],
    ...                      "parent_id": [None, "R", "R", None]})
    >>> theme_of_codes(AnalysisPlan(codes=CodePlan(themes={"golden_rules": ("R",)})), book)
    {'R': 'golden_rules', 'R1': 'golden_rules', 'R2': 'golden_rules'}
    """
    known = {c for c in codebook["code_id"] if isinstance(c, str)}
    out: dict[str, str] = {}
    for theme, codes in plan.codes.themes.items():
        for code in codes:
            if code not in known:
                continue
            children = _descendants(codebook, code) if len(codes) == 1 else [code]
            for c in children:
                out.setdefault(c, theme)
    stance_awareness = {**{c: "stance" for c in plan.codes.stance.values()}}
    stance_awareness.update({c: "awareness" for c in plan.codes.awareness.values()})
    for code, theme in stance_awareness.items():
        if code in known:
            out.setdefault(code, theme)
    return out


def _strings_of(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or ()]


def _check_joint(plan: AnalysisPlan, tables: Mapping[str, pd.DataFrame], bad: Any) -> None:
    """Name every joint-display entry that names an indicator, construct or code not there."""
    codebook, items = tables.get("codebook"), tables.get("survey_items")
    known = {
        "indicator": set(AUDIT_INDICATORS),
        "construct": None if items is None else set(items["construct"].dropna()),
        "code": None if codebook is None else set(codebook["code_id"].dropna()),
    }
    where = {
        "indicator": f"an indicator of case_audit.csv ({', '.join(AUDIT_INDICATORS)})",
        "construct": "a construct of survey_items.csv",
        "code": "a code_id of codebook.csv",
    }
    for i, theme in enumerate(plan.joint.get("theme", ()), start=1):
        for key, kind in JOINT_NAMES.items():
            for name in _strings_of(theme.get(key)):
                if known[kind] is not None and name not in known[kind]:
                    bad(f"joint.theme[{i}].{key}", name, f"is not {where[kind]}")
        theme_name = theme.get("theme")
        for name in _strings_of(theme_name):
            if name not in THEMES:
                bad(f"joint.theme[{i}].theme", name, f"is not a theme ({', '.join(THEMES)})")
    for component, indicators in plan.joint.get("components", {}).items():
        if known["code"] is not None and component not in known["code"]:
            bad("joint.components", component, f"is not {where['code']}")
        for name in _strings_of(indicators):
            if name not in known["indicator"]:
                bad(f"joint.components.{component}", name, f"is not {where['indicator']}")


def check_plan(plan: AnalysisPlan, tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Return the plan's problems against the tables: unknown names (errors), unmapped (notes)."""
    problems: list[Problem] = []

    def bad(key: str, value: object, rule: str, severity: str = "error") -> None:
        problems.append(Problem(PLAN_FILE, None, key, _show(value), rule, severity))  # type: ignore[arg-type]

    book = tables.get("codebook")
    if book is not None:
        known = set(book["code_id"].dropna())
        by_role = (("stance", plan.codes.stance), ("awareness", plan.codes.awareness))
        named = [
            (f"codes.{part}.{role}", code)
            for part, mapping in by_role
            for role, code in mapping.items()
        ]
        named += [
            (f"codes.themes.{theme}", code)
            for theme, codes in plan.codes.themes.items()
            for code in codes
        ]
        for key, code in named:
            if code not in known:
                bad(key, code, "names a code that is not in codebook.csv")
        for part, mapping in by_role:
            if not mapping:
                bad(
                    f"codes.{part}",
                    "",
                    f"no {part} codes are mapped: the {part} sections of notebook 04 will say so",
                    "warning",
                )
        mapped = theme_of_codes(plan, book)
        parents = book.dropna(subset=["parent_id"]).groupby("parent_id")["code_id"].agg(list)
        grouping = {p for p, kids in parents.items() if all(k in mapped for k in kids)}
        unmapped = [c for c in book["code_id"].dropna() if c not in mapped and c not in grouping]
        if plan.codes.themes and unmapped:
            bad(
                "codes.themes",
                ", ".join(map(str, unmapped[:20])) + (" ..." if len(unmapped) > 20 else ""),
                f"{len(unmapped)} code(s) in no theme of the plan (their codebook branch is used)",
                "note",
            )
    items = tables.get("survey_items")
    if items is not None:
        constructs = list(dict.fromkeys(items["construct"].dropna()))
        for name in plan.survey.constructs:
            if name not in constructs:
                bad(
                    f"survey.constructs.{name}",
                    name,
                    f"is not a construct of survey_items.csv ({', '.join(map(str, constructs))})",
                )
        for role, name in plan.survey.outcomes.items():
            if name not in constructs:
                bad(
                    f"survey.outcomes.{role}",
                    name,
                    f"is not a construct of survey_items.csv ({', '.join(map(str, constructs))})",
                )
        for role in OUTCOME_ROLES:
            if role not in plan.survey.outcomes:
                bad(
                    f"survey.outcomes.{role}",
                    "",
                    f"no construct is mapped: {role} is not modelled",
                    "warning",
                )
        left = [
            c
            for c in constructs
            if c not in plan.survey.constructs and c not in plan.survey.outcomes.values()
        ]
        if plan.survey.constructs and left:
            bad(
                "survey.constructs",
                ", ".join(map(str, left)),
                "construct(s) of survey_items.csv not reported",
                "note",
            )
    for key, empty, what in (
        (
            "codes.themes",
            not plan.codes.themes,
            "codes are grouped by codebook.csv's branch column",
        ),
        (
            "survey.constructs",
            not plan.survey.constructs,
            "notebook 03 reports every construct of survey_items.csv, named as in the file",
        ),
        ("qca", plan.qca is None, "notebook 02 (the QCA) will say it is not set up"),
        (
            "comparison.indicators",
            not plan.comparison.indicators,
            "notebook 01 will say the cross-site comparison has no indicators",
        ),
    ):
        if empty:
            bad(key, "", f"not mapped: {what}", "note")
    sites = tables.get("sites")
    if sites is not None:
        known_sites = set(sites["site_id"].dropna())
        for i, target in enumerate(plan.recruitment, start=1):
            if target.site != ALL_SITES and target.site not in known_sites:
                bad(
                    f"recruitment.target[{i}].site",
                    target.site,
                    'is not a site of sites.csv (a site_id, or "all")',
                )
    segments = tables.get("coded_segments")
    coder = plan.coding.primary_coder
    if coder is not None and segments is not None:
        coders = set(segments["coder"].dropna()) if "coder" in segments else set()
        if coder not in coders:
            bad(
                "coding.primary_coder",
                coder,
                "coded nothing in coded_segments.csv (its coder column"
                + (f": {', '.join(sorted(map(str, coders)))})" if coders else " is missing)"),
            )
    for indicator in plan.comparison.indicators:
        if indicator not in AUDIT_INDICATORS:
            bad(
                "comparison.indicators",
                indicator,
                f"is not an indicator of case_audit.csv ({', '.join(AUDIT_INDICATORS)})",
            )
    _check_joint(plan, tables, bad)
    if plan.qca is not None:
        q = plan.qca
        allowed = OUTCOME_SOURCES[q.outcome_source]
        if q.outcome not in allowed:
            bad(
                "qca.outcome",
                q.outcome,
                f"is not an indicator of {q.outcome_source}.csv ({', '.join(allowed)})",
            )
        features = tables.get("site_features")
        columns = list(features.columns) if features is not None else list(SITE_FEATURES)
        for key, names in (
            ("conditions", q.conditions),
            ("thresholds", q.thresholds),
            ("directional", q.directional),
        ):
            for name in names:
                if name not in columns or name == "site_id":
                    bad(f"qca.{key}", name, "is not a column of site_features.csv")
        for name in (*q.thresholds, *q.directional):
            if name not in q.conditions:
                bad(
                    "qca.conditions",
                    name,
                    "is given a threshold or direction but is not a condition",
                    "note",
                )
    return problems


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _toml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _roles(
    title: str, comment: str, roles: Mapping[str, str], mapping: Mapping[str, str]
) -> list[str]:
    lines = ["", comment, f"[{title}]"]
    for role, meaning in roles.items():
        value = mapping.get(role)
        line = f"{role} = {_toml(value)}" if value else f'# {role} = ""'
        lines.append(f"{line}  # {meaning}")
    return lines


def render_plan(
    plan: AnalysisPlan, kind: str, name: str, extra: Mapping[str, object] | None = None
) -> str:
    """Return ``study.toml`` text (marker and plan) with a comment on every part."""
    lines = [
        "# study.toml: what this folder holds and what its own codes, items and columns mean.",
        "# `srim validate DIR` checks every name below against the tables.",
        "# Guide: docs/analysis-plan.md",
        f"kind = {_toml(kind)}  # synthetic or real",
        f"name = {_toml(name)}",
    ]
    lines += [f"{k} = {_toml(v)}" for k, v in (extra or {}).items()]
    lines += _roles(
        "codes.stance",
        "# Notebook 04: the code co-applied with a golden rule or a meaning of consent to say\n"
        "# how the passage received it (code ids of codebook.csv).",
        STANCE_ROLES,
        plan.codes.stance,
    )
    lines += _roles(
        "codes.awareness",
        "# Notebook 04: the code saying how aware a participant is of the advice.",
        AWARENESS_ROLES,
        plan.codes.awareness,
    )
    lines += [
        "",
        "# The themes of the framework: a parent code (it and all its children), or a list of",
        "# codes. A theme left out takes the codes whose codebook branch is that theme.",
        "[codes.themes]",
    ]
    for theme, meaning in THEMES.items():
        codes = plan.codes.themes.get(theme)
        value = (codes[0] if len(codes) == 1 else list(codes)) if codes else None
        line = f"{theme} = {_toml(value)}" if value else f'# {theme} = ""'
        lines.append(f"{line}  # {meaning}")
    lines += [
        "",
        "# Notebook 03: the constructs of survey_items.csv reported, in this order, with their",
        "# labels in tables and figures.",
        "[survey.constructs]",
    ]
    lines += [f"{_key(k)} = {_toml(v)}" for k, v in plan.survey.constructs.items()] or [
        '# construct = "Label shown to readers"'
    ]
    lines += _roles(
        "survey.outcomes",
        "# Notebook 03: the construct that measures each outcome of objective 3 (each is\n"
        "# modelled: a one-item construct on its answers, a longer one on its rounded mean).",
        OUTCOME_ROLES,
        plan.survey.outcomes,
    )
    lines += [
        "",
        "# Notebook 02: the configurational analysis (QCA). outcome: an indicator of",
        "# outcome_source (case_audit or observations) per site, from outcome_since on;",
        "# anchors: the proportions of full exclusion, crossover and full inclusion;",
        "# conditions: columns of site_features.csv; thresholds: the value at which an ordinal",
        "# feature counts as present; directional: 1 if a condition is expected to help when",
        "# present; incl_cut and n_cut: consistency and sites a truth-table row needs.",
    ]
    if plan.qca is None:
        lines += [
            "# [qca]",
            '# outcome = ""',
            "# anchors = [exclusion, crossover, inclusion]",
            "# conditions = []",
        ]
    else:
        q = plan.qca
        lines += [
            "[qca]",
            f"outcome = {_toml(q.outcome)}",
            f"outcome_source = {_toml(q.outcome_source)}",
        ]
        if q.outcome_since:
            lines.append(f"outcome_since = {_toml(q.outcome_since)}")
        lines += [
            f"anchors = {_toml(list(q.anchors))}",
            f"conditions = {_toml(list(q.conditions))}",
            f"thresholds = {_toml(dict(q.thresholds))}",
            f"directional = {_toml(dict(q.directional))}",
            f"incl_cut = {_toml(q.incl_cut)}",
            f"n_cut = {_toml(q.n_cut)}",
        ]
    lines += ["", "# Notebook 01: the case-audit indicators compared across sites, in order."]
    if plan.comparison.indicators:
        lines += ["[comparison]", f"indicators = {_toml(list(plan.comparison.indicators))}"]
    else:
        lines += ["# [comparison]", "# indicators = []"]
    lines += [
        "",
        "# Notebooks 01 and 04: where two or more people coded a source, the analyses use the",
        "# primary coder's coding (and compare the coders); blank: the coder of the source's",
        "# first row in coded_segments.csv.",
    ]
    if plan.coding.primary_coder:
        lines += ["[coding]", f"primary_coder = {_toml(plan.coding.primary_coder)}"]
    else:
        lines += ["# [coding]", '# primary_coder = ""']
    lines += [
        "",
        '# Notebook 00: the people to recruit, one entry per site (a site_id or "all"), agency',
        '# (an agency code or "all") and method (interview, focus_group, observation or',
        '# "all"); n: the number of people (a person who took part twice counts once).',
    ]
    if plan.recruitment:
        lines += ["[recruitment]", "target = ["]
        lines += [
            "  " + _toml({"site": t.site, "agency": t.agency, "method": t.method, "n": t.n}) + ","
            for t in plan.recruitment
        ]
        lines.append("]")
    else:
        lines += [
            "# [recruitment]",
            "# target = [",
            '#   { site = "all", agency = "all", method = "interview", n = 0 },',
            "# ]",
        ]
    lines += [
        "",
        "# Notebooks 01 and 04, the joint displays: numbers (case-audit indicators, survey",
        "# constructs) beside what people say (codes, or a theme's codes) about one theme;",
        "# positive / negative: codes whose segments say it happens or not; objective: 2 or 4.",
        "# Left out: the themes the parts above imply. components: the case-audit indicators",
        "# that evidence each transfer component (a code of the components branch).",
    ]
    if plan.joint.get("theme"):
        lines += ["[joint]", "theme = ["]
        lines += ["  " + _toml(t) + "," for t in plan.joint["theme"]]
        lines.append("]")
    else:
        lines += [
            "# [joint]",
            "# theme = [",
            '#   { name = "", objective = 2, indicators = [] },',
            "# ]",
        ]
    if plan.joint.get("components"):
        lines.append("[joint.components]")
        lines += [f"{_key(c)} = {_toml(v)}" for c, v in plan.joint["components"].items()]
    return "\n".join(lines) + "\n"
