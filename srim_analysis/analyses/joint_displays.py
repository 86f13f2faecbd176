"""Joint displays: the numbers and what people say about the same theme, side by side.

A mixed-methods *joint display* (as in MAXQDA) puts, for each site and theme, the
quantitative evidence next to the qualitative evidence and says whether they agree. The
study's plan names the themes (:class:`JointPlan`, read from ``study.toml`` by
:func:`parse_joint`; until the study's plan carries one, :func:`default_joint_plan` builds
it from the plan's other parts):

* **the numbers**: case-file audit indicators (:func:`audit_evidence`: % of audited cases
  with a "yes", with n) and survey constructs (:func:`survey_evidence`: % of respondents who
  agree on balance, i.e. whose mean answer on the construct's items is above the scale's
  midpoint, with n);
* **what people say** (:func:`talk_evidence`): the segments of interviews, focus groups and
  observation notes coded with the theme's codes, with their source counts (segments,
  people, sources by method), and their *balance*: of the segments that carry a positive
  or a negative code of the theme (or, for a theme rated by stance, a supportive or
  critical stance code), the % positive;
* **the verdict** (:func:`joint_display`), from the *published* tables (so a hidden cell is
  never used), by the rule of :class:`JointRule`:

  - each side's **direction**: the site's % minus the all-sites % (the "All" row) is
    ``higher`` when at least ``margin`` percentage points (default 10), ``lower`` when at
    most minus the margin, ``close`` otherwise; a measure where a higher value is worse
    (``lower_is_better``) has its direction turned round, so that ``higher`` always reads
    "more of what the theme hopes for";
  - **agree**: both sides point the same way (both higher, both lower, or both close);
  - **differ**: they point opposite ways (one higher, the other lower);
  - **neither**: one side is close to all sites and the other is not;
  - **cannot be compared**: either side's value is hidden by suppression (c), rests on
    fewer than ``min_n`` cases, respondents or rated segments, or is not measured (no
    talk codes, or no positive/negative codes, mapped for the theme).

The transfer blueprint gains the same view (:func:`blueprint_evidence` and
:func:`blueprint_display`): per site and component of the initiative, its status
(:func:`srim_analysis.analyses.blueprint.blueprint_matrix`), the documents, observation
notes and participants' talk coded with it, and the audit indicators the plan links to it.

The sections that publish these tables are in :mod:`srim_analysis.sections.joint_displays`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import blueprint, comparison, survey
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.analyses.qualitative import TALK_METHODS, segment_stances
from srim_analysis.study.plan import OUTCOME_ROLES, THEMES, AnalysisPlan

if TYPE_CHECKING:
    from srim_analysis.study.loading import Study

__all__ = [
    "AUDIT_DEPENDS",
    "DIRECTIONS",
    "EVIDENCE_METHODS",
    "OBJECTIVES",
    "SURVEY_DEPENDS",
    "TALK_DEPENDS",
    "TALK_SUMS",
    "VERDICTS",
    "JointPlan",
    "JointRule",
    "JointTheme",
    "audit_evidence",
    "blueprint_display",
    "blueprint_evidence",
    "default_joint_plan",
    "direction",
    "joint_display",
    "parse_joint",
    "study_joint_plan",
    "survey_evidence",
    "talk_evidence",
    "verdict",
]

#: The objectives a joint theme can belong to, and the notebook that shows it.
OBJECTIVES: dict[int, str] = {2: "01_cross_site_comparison", 4: "04_guidance_views"}
#: The kinds of source whose segments say what people (and meetings) say about a theme.
EVIDENCE_METHODS: tuple[str, ...] = (*TALK_METHODS, "observation")
#: The methods counted per source in the talk table (column ``n_<method>s``).
_METHOD_COLUMNS: dict[str, str] = {
    "interview": "n_interviews",
    "focus_group": "n_focus_groups",
    "observation": "n_observations",
}
DIRECTIONS: tuple[str, ...] = ("higher", "close", "lower")
VERDICTS: tuple[str, ...] = ("agree", "differ", "neither", "cannot be compared")
#: Which estimates go when a count is suppressed (for ``report.publish(depends=...)``).
AUDIT_DEPENDS: dict[str, tuple[str, ...]] = {
    **comparison.PROPORTION_DEPENDS,
    "pct_yes": ("n_yes", "n"),
}
SURVEY_DEPENDS: dict[str, tuple[str, ...]] = {"pct_yes": ("n_yes", "n")}
TALK_DEPENDS: dict[str, tuple[str, ...]] = {"pct_positive": ("n_positive", "n_rated")}
#: Count columns of the talk table that add up others in their row.
TALK_SUMS: dict[str, tuple[str, ...]] = {
    "n_rated": ("n_positive", "n_negative"),
    "n_sources": tuple(_METHOD_COLUMNS.values()),
}
_VALENCES = ("codes", "stance")


# ---------------------------------------------------------------------------
# The plan: which numbers and which codes speak to the same theme
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JointTheme:
    """One theme of a joint display: its audit indicators, survey constructs and codes.

    ``codes`` are what participants say about the theme (source counts); ``positive`` and
    ``negative`` the codes whose segments say it works or happens, or does not; with
    ``valence = "stance"`` the stance codes applied to the theme's segments say it
    (supportive positive, critical negative). ``lower_is_better`` names indicators or
    constructs on which a higher value is worse (e.g. a fear).
    """

    name: str
    objective: int
    label: str = ""
    indicators: tuple[str, ...] = ()
    survey: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    valence: str = "codes"
    lower_is_better: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """Return the theme's label, or its name made readable."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def talk_codes(self) -> tuple[str, ...]:
        """Return every code whose segments count as talk about the theme."""
        return tuple(dict.fromkeys([*self.codes, *self.positive, *self.negative]))


@dataclass(frozen=True)
class JointPlan:
    """The study's joint displays: themes per objective, and the audit links of components."""

    themes: tuple[JointTheme, ...] = ()
    #: Component code id -> the case-audit indicators that evidence it (the blueprint view).
    components: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_objective(self, objective: int) -> tuple[JointTheme, ...]:
        """Return the themes of one objective, in the plan's order."""
        return tuple(t for t in self.themes if t.objective == objective)


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"[joint] {key} must be a name or a list of names, not {value!r}.")


def _theme_codes(names: Iterable[str], themes: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Return the codes of plan themes named in ``names`` (unknown names are an error)."""
    out: list[str] = []
    for name in names:
        if name not in themes:
            raise ValueError(
                f"[joint] theme = {name!r} is not a theme of [codes.themes] "
                f"({', '.join(themes) or 'none mapped'})."
            )
        out.extend(themes[name])
    return tuple(out)


def parse_joint(
    section: Mapping[str, Any], themes: Mapping[str, Sequence[str]] | None = None
) -> JointPlan:
    """Return the :class:`JointPlan` of a parsed ``[joint]`` section of ``study.toml``.

    ``themes`` are the plan's ``[codes.themes]`` ({theme: code ids}), so that a joint theme
    can take a plan theme's codes (``theme = "..."``) instead of listing them. Raises
    ``ValueError`` naming the key at fault.

    >>> plan = parse_joint({"theme": [{"name": "sharing", "objective": 2,
    ...     "indicators": ["father_info_shared"], "survey": ["conf"], "theme": "help",
    ...     "positive": ["H+"], "negative": ["H-"]}], "components": {"K-A": ["father_recorded"]}},
    ...     themes={"help": ("H",)})
    >>> t = plan.themes[0]
    >>> (t.title, t.indicators, t.survey, t.codes, t.positive, dict(plan.components))
    ('Sharing', ('father_info_shared',), ('conf',), ('H',), ('H+',), {'K-A': ('father_recorded',)})
    """
    themes = themes or {}
    unknown = set(section) - {"theme", "components"}
    if unknown:
        raise ValueError(f"[joint] has unknown keys: {', '.join(sorted(unknown))}.")
    parsed: list[JointTheme] = []
    for i, raw in enumerate(section.get("theme", [])):
        where = f"[[joint.theme]] number {i + 1}"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise ValueError(f"{where} needs a name.")
        objective = raw.get("objective")
        if objective not in OBJECTIVES:
            raise ValueError(f"{where}: objective must be one of {sorted(OBJECTIVES)}.")
        valence = raw.get("valence", "codes")
        if valence not in _VALENCES:
            raise ValueError(f"{where}: valence must be one of {', '.join(_VALENCES)}.")
        allowed = {
            "name",
            "label",
            "objective",
            "indicators",
            "survey",
            "codes",
            "theme",
            "positive",
            "negative",
            "valence",
            "lower_is_better",
        }
        extra = set(raw) - allowed
        if extra:
            raise ValueError(f"{where} has unknown keys: {', '.join(sorted(extra))}.")
        codes = _strings(raw.get("codes"), "codes") + _theme_codes(
            _strings(raw.get("theme"), "theme"), themes
        )
        parsed.append(
            JointTheme(
                name=raw["name"],
                objective=int(objective),
                label=str(raw.get("label", "")),
                indicators=_strings(raw.get("indicators"), "indicators"),
                survey=_strings(raw.get("survey"), "survey"),
                codes=codes,
                positive=_strings(raw.get("positive"), "positive"),
                negative=_strings(raw.get("negative"), "negative"),
                valence=valence,
                lower_is_better=_strings(raw.get("lower_is_better"), "lower_is_better"),
            )
        )
    components = {
        str(k): _strings(v, f"components.{k}") for k, v in section.get("components", {}).items()
    }
    return JointPlan(tuple(parsed), components)


def default_joint_plan(plan: AnalysisPlan) -> JointPlan:
    """Return the joint displays the plan's other parts imply (used until it has a [joint]).

    Objective 2: practice with fathers (the ``father_practice`` theme's codes; no survey
    construct, which only the study's ``[joint]`` can name) against the comparison's audit
    indicators,
    rated by the ``facilitators`` (positive) and ``barriers`` (negative) themes. Objective 4:
    the survey's awareness outcome against the awareness codes (read positive, unaware
    negative), and its confidence outcome against facilitators and barriers. A part the
    plan does not map is left out; nothing names a study's own ids.

    >>> from srim_analysis.study.plan import CodePlan, SurveyPlan
    >>> p = AnalysisPlan(codes=CodePlan(awareness={"read": "R", "unaware": "U"}),
    ...                  survey=SurveyPlan({"aw": "Aware"}, {"awareness": "aw"}))
    >>> [(t.name, t.survey, t.positive, t.negative) for t in default_joint_plan(p).themes]
    [('awareness', ('aw',), ('R',), ('U',))]
    """
    themes = plan.codes.themes
    facilitators, barriers = themes.get("facilitators", ()), themes.get("barriers", ())
    out: list[JointTheme] = []
    practice = themes.get("father_practice", ())
    if practice or plan.comparison.indicators:
        out.append(
            JointTheme(
                name="father_practice",
                objective=2,
                label=THEMES["father_practice"],
                indicators=tuple(plan.comparison.indicators),
                survey=(),  # which construct speaks to practice only the study can say
                codes=tuple(practice),
                positive=tuple(facilitators),
                negative=tuple(barriers),
            )
        )
    levels = plan.codes.awareness
    rated = {
        "awareness": (
            tuple(levels.values()),
            tuple(c for r, c in levels.items() if r == "read"),
            tuple(c for r, c in levels.items() if r == "unaware"),
        ),
        "confidence": ((), tuple(facilitators), tuple(barriers)),
    }
    for outcome, (codes, positive, negative) in rated.items():
        construct = plan.survey.outcomes.get(outcome)
        if not (construct or positive or negative):
            continue
        out.append(
            JointTheme(
                name=outcome,
                objective=4,
                label=plan.survey.label(construct) if construct else OUTCOME_ROLES[outcome],
                survey=(construct,) if construct else (),
                codes=codes,
                positive=positive,
                negative=negative,
            )
        )
    return JointPlan(tuple(out))


def study_joint_plan(study: Study) -> JointPlan:
    """Return the study's joint plan: its plan's ``joint`` part, or the one implied by the rest.

    The plan's ``joint`` may be a :class:`JointPlan` or the raw ``[joint]`` table of
    ``study.toml`` (parsed here with :func:`parse_joint`); a plan without one gets
    :func:`default_joint_plan`.
    """
    joint = study.plan.joint
    if isinstance(joint, JointPlan):
        return joint
    if isinstance(joint, Mapping) and joint:
        return parse_joint(joint, study.plan.codes.themes)
    return default_joint_plan(study.plan)


# ---------------------------------------------------------------------------
# The evidence tables (whole study, with the all-sites row "All")
# ---------------------------------------------------------------------------


def _pct(n_yes: pd.Series, n: pd.Series) -> pd.Series:
    return (100 * n_yes / n.where(n > 0)).astype(float).round(1)


def audit_evidence(study: Study, indicators: Sequence[str]) -> pd.DataFrame:
    """Return per site (and "All") and audit indicator: n_yes, n, prop_yes, CI and pct_yes.

    The rows of :func:`srim_analysis.analyses.comparison.site_indicators` for the case
    audit, with the percentage ``pct_yes`` (0-100) that sentences quote.
    """
    out = comparison.site_indicators(
        study, indicators=list(indicators), observation_indicators=None, document_features=None
    )
    return out.assign(pct_yes=_pct(out["n_yes"], out["n"]))


def _descendants(codebook: pd.DataFrame, codes: Iterable[str]) -> list[str]:
    """Return the codes and all codes below them in the codebook, in codebook order."""
    parent = dict(zip(codebook["code_id"], codebook["parent_id"], strict=True))
    wanted = set(codes)
    out = []
    for code in codebook["code_id"]:
        node, seen = code, set()
        while isinstance(node, str) and node not in seen:
            if node in wanted:
                out.append(code)
                break
            seen.add(node)
            node = parent.get(node)
    return out + [c for c in codes if c not in set(codebook["code_id"])]


def survey_evidence(study: Study, constructs: Sequence[str]) -> pd.DataFrame:
    """Return per site (and "All") and construct: respondents agreeing on balance, of those scored.

    A respondent's score is the mean of their numeric answers to the construct's items
    (reverse-keyed items recoded; "dk", "na" and blanks left out); they **agree** when it is
    above the midpoint of the items' scale. Columns: ``site, source, indicator, label,
    n_yes, n, n_blank, pct_yes``.
    """
    cols = ["site", "source", "indicator", "label", "n_yes", "n", "n_blank", "pct_yes"]
    items = study.tables.get("survey_items")
    responses = study.tables.get("survey_responses")
    constructs = [c for c in constructs if items is not None and c in set(items["construct"])]
    if responses is None or not constructs:
        return pd.DataFrame(columns=cols)
    scores = survey.scale_scores(responses, items, min_items_answered=1, constructs=constructs)
    names = comparison.site_names(study)
    site = responses["site_id"].astype(str).map(names).fillna(responses["site_id"])
    rows = []
    for construct in constructs:
        own = items[items["construct"] == construct]
        mid = (float(own["scale_min"].min()) + float(own["scale_max"].max())) / 2
        score = scores[construct].reset_index(drop=True)
        frame = pd.DataFrame({"site": site.to_numpy(), "score": score.to_numpy()})
        for name, group in [*frame.groupby("site", sort=False), (TOTAL, frame)]:
            scored = group["score"].notna()
            rows.append(
                {
                    "site": name,
                    "indicator": construct,
                    "label": study.plan.survey.label(construct),
                    "n_yes": int((group["score"] > mid).sum()),
                    "n": int(scored.sum()),
                    "n_blank": int((~scored).sum()),
                }
            )
    out = pd.DataFrame(rows).assign(source="survey")
    out["pct_yes"] = _pct(out["n_yes"], out["n"])
    order = {s: i for i, s in enumerate([*names.values(), TOTAL])}
    rank = {c: i for i, c in enumerate(constructs)}
    out = out.assign(_i=out["indicator"].map(rank), _s=out["site"].map(order).fillna(len(order)))
    return out.sort_values(["_i", "_s"], kind="stable")[cols].reset_index(drop=True)


def _segment_valence(
    segments: pd.DataFrame, theme: JointTheme, codebook: pd.DataFrame, stances: Mapping[str, str]
) -> pd.Series:
    """Return 'positive', 'negative' or '' per segment id of the theme's talk."""
    if theme.valence == "stance":
        roles = segment_stances(segments, stances)
        kind = roles.map({"supportive": "positive", "critical": "negative"})
        return kind.astype(object).fillna("")
    pos = set(_descendants(codebook, theme.positive))
    neg = set(_descendants(codebook, theme.negative))
    has_pos = segments.assign(x=segments["code_id"].isin(pos)).groupby("segment_id")["x"].any()
    has_neg = segments.assign(x=segments["code_id"].isin(neg)).groupby("segment_id")["x"].any()
    out = pd.Series("", index=has_pos.index, dtype=object)
    out[has_pos & ~has_neg] = "positive"
    out[has_neg & ~has_pos] = "negative"
    return out


def _rated(theme: JointTheme, stances: Mapping[str, str]) -> bool:
    """Return whether the theme's talk can be rated positive or negative."""
    if theme.valence == "stance":
        return bool(stances)
    return bool(theme.positive or theme.negative)


def talk_evidence(study: Study, themes: Sequence[JointTheme]) -> pd.DataFrame:
    """Return per site (and "All") and theme what interviews, focus groups and observations say.

    Columns: ``site, theme, label, n_positive, n_negative, n_rated, pct_positive,
    n_segments, n_participants, n_sources, n_interviews, n_focus_groups,
    n_observations``. ``n_segments`` counts the segments coded with any of the theme's
    codes (:attr:`JointTheme.talk_codes`); ``n_rated`` those rated positive or negative
    (a segment with both is neither), and ``pct_positive`` is the positive share of them
    (blank when the theme has no positive or negative codes). Sources are counted by method.
    """
    cols = [
        "site",
        "theme",
        "label",
        "n_positive",
        "n_negative",
        "n_rated",
        "pct_positive",
        "n_segments",
        "n_participants",
        "n_sources",
        *_METHOD_COLUMNS.values(),
    ]
    seg = study.tables.get("coded_segments")
    codebook = study.tables.get("codebook")
    if seg is None or codebook is None:
        return pd.DataFrame(columns=cols)
    seg = seg[seg["method"].isin(EVIDENCE_METHODS)]
    names = comparison.site_names(study)
    stances = study.plan.codes.stance_columns()
    rows = []
    for theme in themes:
        if not theme.talk_codes:
            continue
        codes = set(_descendants(codebook, theme.talk_codes))
        ids = set(seg.loc[seg["code_id"].isin(codes), "segment_id"])
        own = seg[seg["segment_id"].isin(ids)]
        valence = _segment_valence(own, theme, codebook, stances)
        talk = own[own["code_id"].isin(codes)].drop_duplicates("segment_id")
        talk = talk.assign(
            site=talk["site_id"].astype(str).map(names).fillna(talk["site_id"]),
            valence=talk["segment_id"].map(valence).astype(object).fillna(""),
        )
        rated = _rated(theme, stances)
        groups = [(s, talk[talk["site"] == s]) for s in names.values()] + [(TOTAL, talk)]
        for name, group in groups:
            row: dict[str, Any] = {"site": name, "theme": theme.name, "label": theme.title}
            row["n_positive"] = int((group["valence"] == "positive").sum())
            row["n_negative"] = int((group["valence"] == "negative").sum())
            row["n_rated"] = row["n_positive"] + row["n_negative"]
            row["pct_positive"] = (
                round(100 * row["n_positive"] / row["n_rated"], 1)
                if rated and row["n_rated"]
                else float("nan")
            )
            row["n_segments"] = int(group["segment_id"].nunique())
            row["n_participants"] = int(group["participant_id"].dropna().nunique())
            row["n_sources"] = int(group["source_id"].nunique())
            for method, col in _METHOD_COLUMNS.items():
                row[col] = int(group.loc[group["method"] == method, "source_id"].nunique())
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------
# The verdict: agree, differ, neither or cannot be compared
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JointRule:
    """The rule that compares the two sides: a margin in percentage points and a minimum n.

    >>> JointRule().describe()[:60]
    "A side is 'higher' when the site's percentage is at least 10"
    """

    margin: float = 10.0
    min_n: int = 10

    def __post_init__(self) -> None:
        if self.margin <= 0 or self.min_n < 1:
            raise ValueError("A joint rule needs a positive margin and min_n of at least 1.")

    def describe(self) -> str:
        """Return the rule in plain sentences."""
        return (
            f"A side is 'higher' when the site's percentage is at least {self.margin:g} "
            "percentage points above the all-sites percentage, 'lower' when at least "
            f"{self.margin:g} points below it, and 'close' otherwise (turned round for a "
            "measure on which higher is worse). The two sides **agree** when they point the "
            "same way (both higher, both lower or both close), **differ** when they point "
            "opposite ways, and are **neither** when one is close and the other is not; they "
            "**cannot be compared** when a value is hidden (c), rests on fewer than "
            f"{self.min_n} cases, respondents or rated segments, or is not measured."
        )


def _number(value: object) -> float | None:
    """Return a published cell as a number, or None when hidden, blank or not a number."""
    if disclosure.is_suppressed(value) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def direction(
    pct: object, n: object, all_pct: object, rule: JointRule, lower_is_better: bool = False
) -> str | None:
    """Return 'higher', 'close' or 'lower' than all sites by the rule, or None if not comparable.

    >>> rule = JointRule(margin=10, min_n=5)
    >>> [direction(p, 20, 50.0, rule) for p in (61.0, 45.0, 39.0, "c")]
    ['higher', 'close', 'lower', None]
    >>> direction(61.0, 4, 50.0, rule), direction(61.0, 20, 50.0, rule, lower_is_better=True)
    (None, 'lower')
    """
    value, count, ref = _number(pct), _number(n), _number(all_pct)
    if value is None or count is None or ref is None or count < rule.min_n:
        return None
    diff = value - ref
    if lower_is_better:
        diff = -diff
    if diff >= rule.margin:
        return "higher"
    if diff <= -rule.margin:
        return "lower"
    return "close"


def verdict(numbers: str | None, talk: str | None) -> str:
    """Return 'agree', 'differ', 'neither' or 'cannot be compared' for two directions.

    >>> [verdict(a, b) for a, b in [("higher", "higher"), ("close", "close"),
    ...  ("higher", "lower"), ("close", "lower"), (None, "lower")]]
    ['agree', 'agree', 'differ', 'neither', 'cannot be compared']
    """
    if numbers is None or talk is None:
        return "cannot be compared"
    if numbers == talk:
        return "agree"
    if "close" in (numbers, talk):
        return "neither"
    return "differ"


def _cell_text(pct: object, n: object, unit: str) -> str:
    """Return '62% of 80 cases' from published cells ('c' where hidden)."""
    if disclosure.is_suppressed(pct) or disclosure.is_suppressed(n):
        shown = "" if disclosure.is_suppressed(n) else f" of {_count(n)} {unit}"
        return f"{disclosure.SUPPRESSION_MARK}{shown}"
    value = _number(pct)
    if value is None:
        return f"not measured ({_count(n)} {unit})" if _number(n) is not None else "not measured"
    return f"{value:.0f}% of {_count(n)} {unit}"


def _count(n: object) -> str:
    value = _number(n)
    return disclosure.SUPPRESSION_MARK if value is None else f"{value:.0f}"


def _why(numbers: str | None, talk: str | None, talk_row: Any, no_number: str) -> str:
    """Return why a row cannot be compared ('' when it can); ``no_number`` if it has none."""
    parts = []
    if no_number:
        parts.append(no_number)
    elif numbers is None:
        parts.append("number hidden (c) or too few")
    if talk_row is None:
        parts.append("no talk coded for the theme")
    elif talk is None:
        rated = _number(talk_row["pct_positive"]) is not None
        hidden = disclosure.is_suppressed(talk_row["pct_positive"])
        parts.append("talk hidden (c) or too few rated" if rated or hidden else "talk not rated")
    return "; ".join(parts)


def _by_key(table: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[str, ...], Any]:
    return {tuple(str(r[k]) for k in keys): r for _, r in table.iterrows()}


def joint_display(
    themes: Sequence[JointTheme],
    audit: pd.DataFrame,
    survey_table: pd.DataFrame,
    talk: pd.DataFrame,
    rule: JointRule | None = None,
) -> pd.DataFrame:
    """Return the joint display from PUBLISHED tables: one row per site, theme and number.

    ``audit``, ``survey_table`` and ``talk`` are the published :func:`audit_evidence`,
    :func:`survey_evidence` and :func:`talk_evidence` (hidden cells are the suppression
    mark, and are never used). Columns: ``site, theme, source, measure, numbers,
    numbers_all_sites, numbers_direction, talk, talk_all_sites, talk_direction, verdict,
    why, numbers_gap, talk_gap`` (the gaps: site minus all sites in percentage points,
    turned round where higher is worse; blank where a side cannot be compared); the
    directions and the verdict follow ``rule`` (:class:`JointRule`). A theme with no
    number gets one row per site with only the talk.
    """
    rule = rule or JointRule()
    cols = [
        "site",
        "theme",
        "source",
        "measure",
        "numbers",
        "numbers_all_sites",
        "numbers_direction",
        "talk",
        "talk_all_sites",
        "talk_direction",
        "verdict",
        "why",
        "numbers_gap",
        "talk_gap",
    ]
    nums = (
        pd.concat([t for t in (audit, survey_table) if len(t)], ignore_index=True)
        if len(audit) or len(survey_table)
        else pd.DataFrame(columns=["site", "source", "indicator"])
    )
    by_num = _by_key(nums, ["site", "source", "indicator"])
    by_talk = _by_key(talk, ["site", "theme"]) if len(talk) else {}
    sites = list(dict.fromkeys(str(s) for s in [*nums["site"], *talk.get("site", [])]))
    sites = [s for s in sites if s != TOTAL]
    rows = []
    for theme in themes:
        measures = [("case_audit", i) for i in theme.indicators] + [
            ("survey", c) for c in theme.survey
        ]
        found = [m for m in measures if (TOTAL, *m) in by_num]
        no_number = "" if found else "no number in the tables" if measures else "no number mapped"
        measures = found or [("", "")]
        for site in sites:
            t_row, t_all = by_talk.get((site, theme.name)), by_talk.get((TOTAL, theme.name))
            talk_dir = (
                direction(t_row["pct_positive"], t_row["n_rated"], t_all["pct_positive"], rule)
                if t_row is not None and t_all is not None
                else None
            )
            for source, measure in measures:
                n_row, n_all = (
                    by_num.get((site, source, measure)),
                    by_num.get((TOTAL, source, measure)),
                )
                reverse = measure in theme.lower_is_better
                num_dir = (
                    direction(n_row["pct_yes"], n_row["n"], n_all["pct_yes"], rule, reverse)
                    if n_row is not None and n_all is not None
                    else None
                )
                unit = "cases" if source == "case_audit" else "respondents"
                rows.append(
                    {
                        "site": site,
                        "theme": theme.title,
                        "source": comparison.SOURCE_LABELS.get(source, "none"),
                        "measure": str(n_all["label"]) if n_all is not None else no_number,
                        "numbers": _cell_text(n_row["pct_yes"], n_row["n"], unit)
                        if n_row is not None
                        else "",
                        "numbers_all_sites": _cell_text(n_all["pct_yes"], n_all["n"], unit)
                        if n_all is not None
                        else "",
                        "numbers_direction": num_dir or "",
                        "talk": _talk_text(t_row),
                        "talk_all_sites": _talk_text(t_all),
                        "talk_direction": talk_dir or "",
                        "verdict": verdict(num_dir, talk_dir),
                        "why": _why(num_dir, talk_dir, t_row, no_number),
                        "numbers_gap": _gap(n_row, n_all, "pct_yes", num_dir, reverse),
                        "talk_gap": _gap(t_row, t_all, "pct_positive", talk_dir, False),
                    }
                )
    return pd.DataFrame(rows, columns=cols)


def _gap(row: Any, total: Any, column: str, side: str | None, reverse: bool) -> float:
    """Return the site's percentage minus all sites' (turned round if higher is worse).

    NaN when the side cannot be compared (hidden, too few or not measured), so a gap is
    never worked out from a hidden cell.
    """
    if side is None:
        return float("nan")
    gap = float(row[column]) - float(total[column])
    return round(-gap if reverse else gap, 1)


def _talk_text(row: Any) -> str:
    """Return what a talk row says: '40% positive of 30 rated segments' (from published cells)."""
    if row is None:
        return "no talk coded"
    return _cell_text(row["pct_positive"], row["n_rated"], "rated segments").replace(
        "% of", "% positive of"
    )


# ---------------------------------------------------------------------------
# The transfer blueprint, side by side
# ---------------------------------------------------------------------------


def blueprint_evidence(study: Study, rule: blueprint.EvidenceRule | None = None) -> pd.DataFrame:
    """Return per site (origin and adopters) and component its status and evidence by kind.

    The grid and ``status`` of :func:`srim_analysis.analyses.blueprint.blueprint_matrix`,
    with the component's coded segments split by kind of source: ``n_documents`` (documents
    coded), ``n_observations`` (observation notes), ``n_talk_sources`` (interviews and
    focus groups), ``n_participants`` (people in them) and ``n_talk_segments``.
    """
    matrix = blueprint.blueprint_matrix(study, rule)
    names = comparison.site_names(study)
    seg = study.tables["coded_segments"]
    seg = seg[seg["code_id"].isin(set(matrix["component_id"]))]
    seg = seg.assign(site=seg["site_id"].astype(str).map(names).fillna(seg["site_id"]))
    keys = ["site", "code_id"]

    def count(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
        return frame.groupby(keys)[column].nunique().rename(name)

    talk = seg[seg["method"].isin(TALK_METHODS)]
    parts = [
        count(seg[seg["method"] == "document"], "source_id", "n_documents"),
        count(seg[seg["method"] == "observation"], "source_id", "n_observations"),
        count(talk, "source_id", "n_talk_sources"),
        count(talk.dropna(subset=["participant_id"]), "participant_id", "n_participants"),
        count(talk, "segment_id", "n_talk_segments"),
    ]
    counts = pd.concat(parts, axis=1).reset_index().rename(columns={"code_id": "component_id"})
    out = matrix[["site", "role", "component_id", "component", "status"]].merge(
        counts, on=["site", "component_id"], how="left"
    )
    for col in ("n_documents", "n_observations", "n_talk_sources", "n_participants"):
        out[col] = out[col].fillna(0).astype(int)
    out["n_talk_segments"] = out["n_talk_segments"].fillna(0).astype(int)
    return out


def blueprint_display(
    evidence: pd.DataFrame, audit: pd.DataFrame, components: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """Return the blueprint side by side from PUBLISHED tables: documents, talk and audit.

    ``evidence`` is the published :func:`blueprint_evidence`, ``audit`` the published
    :func:`audit_evidence`; ``components`` maps a component id to the audit indicators that
    evidence it (the plan's ``[joint.components]``). Columns: ``site, component, status,
    documents, observations, participants_say, audit, audit_all_sites``.
    """
    by_audit = _by_key(audit, ["site", "indicator"]) if len(audit) else {}
    rows = []
    for _, r in evidence.iterrows():
        linked = list(components.get(str(r["component_id"]), ()))
        site_cells, all_cells = [], []
        for ind in linked:
            a, a_all = by_audit.get((str(r["site"]), ind)), by_audit.get((TOTAL, ind))
            if a is None or a_all is None:
                continue
            site_cells.append(f"{a['label']}: {_cell_text(a['pct_yes'], a['n'], 'cases')}")
            all_cells.append(
                f"{a_all['label']}: {_cell_text(a_all['pct_yes'], a_all['n'], 'cases')}"
            )
        rows.append(
            {
                "site": r["site"],
                "component": r["component"],
                "status": r["status"],
                "documents": f"{_count(r['n_documents'])} documents",
                "observations": f"{_count(r['n_observations'])} observation notes",
                "participants_say": (
                    f"{_count(r['n_participants'])} people in {_count(r['n_talk_sources'])} "
                    f"interviews or focus groups ({_count(r['n_talk_segments'])} segments)"
                ),
                "audit": "; ".join(site_cells) or "no audit indicator linked",
                "audit_all_sites": "; ".join(all_cells),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "site",
            "component",
            "status",
            "documents",
            "observations",
            "participants_say",
            "audit",
            "audit_all_sites",
        ],
    )
