"""Joint displays: the numbers next to what people say - the notebooks' glue.

The tables come from :mod:`srim_analysis.analyses.joint_displays`; this module publishes
them, one call per section:

* :func:`show_transfer_joint` (notebook 01, objective 2) - per site and theme of practice
  with fathers, the case-file audit indicators and survey constructs next to what
  interviews, focus groups and observation notes say, and whether they agree;
* :func:`show_blueprint_joint` (notebook 01, objective 2) - per site and component of the
  initiative: its status, the documents, observation notes and talk coded with it, and the
  audit indicators the study links to it;
* :func:`show_advice_joint` (notebook 04, objective 4) - what the survey says about
  awareness of the advice and confidence to share, next to what participants say.

The themes come from the study's plan (``[[joint.theme]]`` and ``[joint.components]`` in
``study.toml``; until the plan holds them, from its other parts:
:func:`srim_analysis.analyses.joint_displays.study_joint_plan`). Every table goes through
:meth:`Report.publish` (small counts suppressed, whole study, the focus site's rows shown);
the verdict is worked out from the published cells, so a hidden cell is never compared,
and every number in a sentence is a published cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from srim_analysis.analyses import blueprint
from srim_analysis.analyses import joint_displays as joint
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.analyses.joint_displays import JointRule, JointTheme
from srim_analysis.charts import joint_displays as charts
from srim_analysis.report.publishing import Section
from srim_analysis.study.plan import PLAN_FILE
from srim_analysis.study.selection import is_all_sites

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report

__all__ = ["show_advice_joint", "show_blueprint_joint", "show_transfer_joint"]

#: The populations the evidence tables count (shared with the other tables of the report).
CASES = "cases"
RESPONDENTS = "respondents"
PEOPLE = "participants"

_OBJECTIVE_WORDS = {2: "the transfer of practice with fathers", 4: "the advice"}


def _rule(margin: float, min_n: int) -> JointRule:
    return JointRule(margin=margin, min_n=min_n)


def _rule_table(rule: JointRule) -> pd.DataFrame:
    """Return the rule's two numbers as a table (published, so sentences may quote them)."""
    return pd.DataFrame(
        {
            "setting": ["margin (percentage points)", "minimum n"],
            "value": [float(rule.margin), float(rule.min_n)],
        }
    )


def _no_themes(objective: int) -> str:
    return (
        f"*This study's `{PLAN_FILE}` names no joint theme for this objective "
        f"(`[[joint.theme]]` with `objective = {objective}`: its audit indicators, survey "
        "constructs and codes), so no joint display of "
        f"{_OBJECTIVE_WORDS[objective]} is shown. Name them there (see "
        "docs/analysis-plan.md) and run the notebook again.*"
    )


def _unmapped_parts(themes: Sequence[JointTheme]) -> list[str]:
    """Return a sentence for each theme that misses a side (no number, or no talk rated)."""
    out = []
    for theme in themes:
        if not theme.indicators and not theme.survey:
            out.append(
                f"*{theme.title}: no audit indicator or survey construct is mapped "
                f"(`indicators`, `survey` of its `[[joint.theme]]` in `{PLAN_FILE}`), so its "
                "rows cannot be compared.*"
            )
        if not theme.talk_codes:
            out.append(
                f"*{theme.title}: no codes are mapped (`codes`, `theme`, `positive`, "
                f"`negative` in `{PLAN_FILE}`), so what participants say is not shown.*"
            )
        elif theme.valence == "codes" and not (theme.positive or theme.negative):
            out.append(
                f"*{theme.title}: no positive or negative codes are mapped (`positive`, "
                f"`negative` in `{PLAN_FILE}`), so what participants say is counted but not "
                "rated, and its rows cannot be compared.*"
            )
    return out


def _focus_rows(report: Report, published: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of a published table for the report's site (all rows for all sites)."""
    if is_all_sites(report.site):
        return published
    out = published[published["site"].isin([report.site_label, TOTAL])].copy()
    out.attrs = dict(published.attrs)
    return out


def _differences(report: Report, display: pd.DataFrame) -> str:
    """Return a sentence naming where the two sides differ (no numbers: labels only)."""
    shown = _focus_rows(report, display)
    differ = shown[shown["verdict"] == "differ"]
    if differ.empty:
        return (
            f"The numbers and what people say never point opposite ways {report.where} "
            "(no row **differs**)."
        )
    where = sorted({f"{r.site}: {r.measure}" for r in differ.itertuples()})
    return (
        f"The numbers and what people say point opposite ways (**differ**) {report.where} "
        f"for {'; '.join(where)} - read the sources before drawing a conclusion."
    )


def _publish_audit(
    report: Report, section: Section, indicators: Sequence[str], name: str, caption: str
) -> pd.DataFrame:
    """Publish the audit evidence of some indicators (not shown); empty when there is none."""
    if not indicators or "case_audit" not in report.study.tables:
        return pd.DataFrame(columns=["site", "source", "indicator"])
    return report.publish(
        section,
        joint.audit_evidence(report.study, indicators),
        name,
        caption,
        depends=joint.AUDIT_DEPENDS,
        population=CASES,
        show=False,
    )


def _joint_section(report: Report, objective: int, tag: str, margin: float, min_n: int) -> Section:
    """Publish the evidence tables and the joint display of one objective; return the section."""
    rule = _rule(margin, min_n)
    themes = joint.study_joint_plan(report.study).for_objective(objective)
    if not themes:
        return Section([_no_themes(objective)])
    section = Section([rule.describe()])
    report.publish(
        section,
        _rule_table(rule),
        f"joint_{tag}_rule",
        "The rule comparing the numbers with what people say",
        count_columns=[],
        show=False,
    )
    indicators = list(dict.fromkeys(i for t in themes for i in t.indicators))
    constructs = list(dict.fromkeys(c for t in themes for c in t.survey))
    audit = _publish_audit(
        report,
        section,
        indicators,
        f"joint_{tag}_audit",
        "Joint display, the numbers: audited cases with a yes to each indicator, per site",
    )
    survey_table = pd.DataFrame(columns=["site", "source", "indicator"])
    if constructs:
        survey_table = report.publish(
            section,
            joint.survey_evidence(report.study, constructs),
            f"joint_{tag}_survey",
            "Joint display, the numbers: respondents agreeing on balance with each construct "
            "(mean answer above the scale's midpoint), per site",
            depends=joint.SURVEY_DEPENDS,
            population=RESPONDENTS,
            show=False,
        )
    talk = report.publish(
        section,
        joint.talk_evidence(report.study, themes),
        f"joint_{tag}_talk",
        "Joint display, what people say: segments of interviews, focus groups and observation "
        "notes coded with each theme, rated positive or negative, with the people and sources "
        "behind them, per site",
        depends=joint.TALK_DEPENDS,
        sums=joint.TALK_SUMS,
        population=PEOPLE,
        show=False,
    )
    display = report.publish(
        section,
        joint.joint_display(themes, audit, survey_table, talk, rule),
        f"joint_{tag}",
        f"Joint display of {_OBJECTIVE_WORDS[objective]}: the numbers next to what people "
        f"say, and whether they agree - {report.site_label}",
        count_columns=[],
        view=lambda t: _focus_rows(report, t),
    )
    focus = None if is_all_sites(report.site) else report.site_label
    report.chart(
        section,
        display,
        lambda table: charts.joint_chart(
            table, rule.margin, focus=focus, title=report.title("The numbers and what people say")
        ),
        f"joint-{tag}",
        f"Joint display of {_OBJECTIVE_WORDS[objective]}: each point a site and measure, placed "
        "by how far its number (across) and what people say (up) lie from all sites; grey "
        f"bands are the rule's margin; {'none' if focus is None else focus} highlighted",
    )
    for sentence in _unmapped_parts(themes):
        section.add(sentence)
    for table, wanted in (("case_audit", indicators), ("survey_responses", constructs)):
        if wanted and table not in report.study.tables:
            section.add(
                f"*This run has no `{table}` table, so the numbers it would give are not shown "
                "and those rows cannot be compared.*"
            )
    section.add(report.finding(_differences(report, display), table=f"joint_{tag}"))
    return section


def show_transfer_joint(report: Report, margin: float = 10.0, min_n: int = 10) -> Section:
    """Publish and return the joint display of objective 2 (audit and survey next to talk)."""
    return _joint_section(report, 2, "transfer", margin, min_n)


def show_advice_joint(report: Report, margin: float = 10.0, min_n: int = 10) -> Section:
    """Publish and return the joint display of objective 4 (survey next to what people say)."""
    return _joint_section(report, 4, "advice", margin, min_n)


def _blueprint_gap(report: Report) -> Section | None:
    """Return a section saying why the blueprint view is skipped, or None when it runs."""
    missing = [report.missing(t) for t in ("coded_segments", "codebook", "sites")]
    if any(m is not None for m in missing):
        return next(m for m in missing if m is not None)
    try:
        blueprint.component_codes(report.study.tables["codebook"])
    except ValueError:
        return Section(
            [
                f"*This study's `{PLAN_FILE}` maps no codes to the components of the initiative "
                f"(`{blueprint.COMPONENT_BRANCH}` in `[codes.themes]`), so the blueprint is "
                "not shown.*"
            ]
        )
    return None


def show_blueprint_joint(
    report: Report,
    present_min_types: int = blueprint.EvidenceRule.present_min_types,
    partial_min_types: int = blueprint.EvidenceRule.partial_min_types,
) -> Section:
    """Publish and return the blueprint side by side: documents, observations, talk, audit."""
    gap = _blueprint_gap(report)
    if gap is not None:
        return gap
    rule = blueprint.EvidenceRule(present_min_types, partial_min_types)
    evidence = blueprint.blueprint_matrix(report.study, rule)
    if not is_all_sites(report.site) and report.site_label not in set(evidence["site"]):
        return Section(
            [
                f"{report.site_label} is a comparison site: the blueprint covers the origin and "
                "the adopters, so it has no column here."
            ]
        )
    components = joint.study_joint_plan(report.study).components
    section = Section(
        [
            "For each component of the initiative at the origin and each adopter: its status "
            "by the blueprint's rule, the documents and observation notes coded with it, the "
            "people who talk about it in interviews and focus groups, and the case-audit "
            "indicators the study links to it, next to their all-sites value."
        ]
    )
    published = report.publish(
        section,
        joint.blueprint_evidence(report.study, rule),
        "joint_blueprint_evidence",
        "Transfer blueprint, evidence by kind of source: documents, observation notes, "
        "interviews and focus groups coded with each component, per site",
        population=PEOPLE,
        show=False,
    )
    indicators = list(dict.fromkeys(i for ids in components.values() for i in ids))
    audit = _publish_audit(
        report,
        section,
        indicators,
        "joint_blueprint_audit",
        "Transfer blueprint, audit evidence: audited cases with a yes to each indicator "
        "linked to a component, per site",
    )
    if audit.empty:
        section.add(
            f"*No case-audit indicator is linked to a component (`[joint.components]` in "
            f"`{PLAN_FILE}`: component code = [indicators]), so the audit column is empty.*"
        )
    report.publish(
        section,
        joint.blueprint_display(published, audit, components),
        "joint_blueprint",
        f"Transfer blueprint side by side: status, documents, observation notes, what "
        f"participants say and audit evidence per component - {report.site_label}",
        count_columns=[],
        view=lambda t: _focus_rows(report, t),
    )
    return section
