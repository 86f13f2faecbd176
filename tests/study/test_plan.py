"""The analysis plan (study.toml): parsing, mistakes, themes, checks against tables, writing."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from srim_analysis.study.plan import (
    DEFAULT_INCL_CUT,
    DEFAULT_N_CUT,
    AnalysisPlan,
    CodePlan,
    CodingPlan,
    ComparisonPlan,
    QCAPlan,
    RecruitmentTarget,
    SurveyPlan,
    check_plan,
    parse_plan,
    read_plan,
    render_plan,
    theme_of_codes,
)
from srim_analysis.study.problems import Problem
from srim_analysis.study.synthetic import synthetic_plan

#: A plan in every section, with made-up ids (not the synthetic study's).
FULL = {
    "kind": "real",
    "name": "A study",
    "codes": {
        "stance": {"supportive": "V-POS", "critical": "V-NEG", "mixed": "V-MIX"},
        "awareness": {"read": "AW-R", "heard": "AW-H", "unaware": "AW-U"},
        "themes": {"golden_rules": "RULES", "barriers": ["B1", "B2"]},
    },
    "survey": {
        "constructs": {"aware": "Awareness of the advice", "conf": "Confidence to share"},
        "outcomes": {"awareness": "aware", "confidence": "conf"},
    },
    "qca": {
        "outcome": "father_invited",
        "outcome_source": "observations",
        "outcome_since": "2025-01-01",
        "anchors": [0.2, 0.5, 0.8],
        "conditions": ["front_door_mash", "hub_maturity"],
        "thresholds": {"hub_maturity": 2},
        "directional": {"front_door_mash": 1, "hub_maturity": -1},
        "incl_cut": 0.75,
        "n_cut": 2,
    },
    "comparison": {"indicators": ["father_identified", "father_invited"]},
}

EXPECTED = AnalysisPlan(
    codes=CodePlan(
        stance={"supportive": "V-POS", "critical": "V-NEG", "mixed": "V-MIX"},
        awareness={"read": "AW-R", "heard": "AW-H", "unaware": "AW-U"},
        themes={"golden_rules": ("RULES",), "barriers": ("B1", "B2")},
    ),
    survey=SurveyPlan(
        constructs={"aware": "Awareness of the advice", "conf": "Confidence to share"},
        outcomes={"awareness": "aware", "confidence": "conf"},
    ),
    qca=QCAPlan(
        outcome="father_invited",
        anchors=(0.2, 0.5, 0.8),
        conditions=("front_door_mash", "hub_maturity"),
        outcome_source="observations",
        outcome_since="2025-01-01",
        thresholds={"hub_maturity": 2.0},
        directional={"front_door_mash": 1, "hub_maturity": -1},
        incl_cut=0.75,
        n_cut=2,
    ),
    comparison=ComparisonPlan(indicators=("father_identified", "father_invited")),
)


def _with(path: str, value: object) -> dict:
    """Return FULL with one value (dotted path) replaced; None deletes it."""
    data = tomllib.loads(render_plan(EXPECTED, "real", "A study"))
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return data


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def test_every_section_is_parsed():
    plan, problems = parse_plan(FULL)
    assert problems == []
    assert plan == EXPECTED


def test_an_empty_file_is_an_empty_plan():
    assert parse_plan({"kind": "real", "name": "x"}) == (AnalysisPlan(), [])


def test_qca_defaults():
    plan, problems = parse_plan(
        {"qca": {"outcome": "father_involved", "anchors": [0.1, 0.4, 0.9], "conditions": "a"}}
    )
    assert problems == []
    assert plan.qca == QCAPlan(
        outcome="father_involved",
        anchors=(0.1, 0.4, 0.9),
        conditions=("a",),
        outcome_source="case_audit",
        outcome_since=None,
        incl_cut=DEFAULT_INCL_CUT,
        n_cut=DEFAULT_N_CUT,
    )


def test_the_helpers_give_codes_in_plotting_order():
    codes = EXPECTED.codes
    assert list(codes.stance_labels().items()) == [
        ("V-NEG", "Critical"),
        ("V-MIX", "Mixed"),
        ("V-POS", "Supportive"),
    ]
    assert codes.stance_columns() == {"V-NEG": "critical", "V-MIX": "mixed", "V-POS": "supportive"}
    assert list(codes.awareness_columns()) == ["AW-R", "AW-H", "AW-U"]
    assert codes.awareness_labels()["AW-U"] == "Not aware of it"
    assert EXPECTED.survey.label("conf") == "Confidence to share"
    assert EXPECTED.survey.label("trust_in_partners") == "Trust in partners"


MISTAKES = [
    # (dotted path, new value, the problem's key, its value, a word of its rule)
    ("colour", "blue", "colour", "blue", "unknown key"),
    ("codes.flavour", {"a": "b"}, "codes.flavour", '{"a": "b"}', "unknown key"),
    ("codes.stance.hostile", "V-X", "codes.stance.hostile", "V-X", "unknown key"),
    ("codes.stance.critical", 7, "codes.stance.critical", "7", "text"),
    ("codes.stance.critical", "  ", "codes.stance.critical", "  ", "text"),
    ("codes.awareness.skimmed", "AW-S", "codes.awareness.skimmed", "AW-S", "unknown key"),
    ("codes.themes.moods", "M", "codes.themes.moods", "M", "unknown theme"),
    ("codes.themes.barriers", [], "codes.themes.barriers", "[]", "non-empty list"),
    ("codes.stance", "V-POS", "codes.stance", "V-POS", "must be a table"),
    ("survey.constructs.conf", 3, "survey.constructs.conf", "3", "text"),
    ("survey.outcomes.trust", "conf", "survey.outcomes.trust", "conf", "unknown key"),
    ("qca.outcome", None, "qca.outcome", "null", "text"),
    ("qca.outcome_source", "interviews", "qca.outcome_source", "interviews", "one of"),
    ("qca.outcome_since", "soon", "qca.outcome_since", "soon", "date"),
    ("qca.outcome_source", {"a": 1}, "qca.outcome_source", '{"a": 1}', "one of"),
    ("qca.anchors", [0.8, 0.5, 0.2], "qca.anchors", "[0.8, 0.5, 0.2]", "increasing"),
    ("qca.anchors", [0.2, 0.5], "qca.anchors", "[0.2, 0.5]", "three"),
    ("qca.anchors", "0.2, 0.5, 0.8", "qca.anchors", "0.2, 0.5, 0.8", "three"),
    ("qca.anchors", [0.2, 0.5, 1.2], "qca.anchors", "1.2", "between 0 and 1"),
    ("qca.anchors", [0.2, "half", 0.8], "qca.anchors", "half", "number"),
    ("qca.conditions", [], "qca.conditions", "[]", "non-empty list"),
    ("qca.thresholds.hub_maturity", "high", "qca.thresholds.hub_maturity", "high", "number"),
    ("qca.directional.front_door_mash", 2, "qca.directional.front_door_mash", "2", "1"),
    ("qca.directional.front_door_mash", True, "qca.directional.front_door_mash", "true", "1"),
    ("qca.incl_cut", 0.3, "qca.incl_cut", "0.3", "between 0.5 and 1"),
    ("qca.n_cut", 0, "qca.n_cut", "0", "whole number"),
    ("qca.n_cut", 1.5, "qca.n_cut", "1.5", "whole number"),
    ("qca.cut", 1, "qca.cut", "1", "unknown key"),
    ("comparison.indicators", "", "comparison.indicators", "", "text"),
    ("comparison.order", ["a"], "comparison.order", '["a"]', "unknown key"),
]


@pytest.mark.parametrize(
    ("path", "value", "key", "shown", "rule"), MISTAKES, ids=[f"{m[0]}={m[1]!r}" for m in MISTAKES]
)
def test_each_mistake_is_a_problem_naming_key_and_value(path, value, key, shown, rule):
    data = _with(path, value)
    if path == "qca.outcome":
        data["qca"]["outcome"] = None  # TOML has no null: a parsed None stands for a wrong type
    plan, problems = parse_plan(data)
    hits = [p for p in problems if (p.column, p.value) == (key, shown)]
    assert hits, problems
    assert all(p.file == "study.toml" and p.severity == "error" for p in problems)
    assert rule in hits[0].rule
    if path.startswith("qca.") and path != "qca.cut":
        assert plan.qca is None  # a broken QCA plan is not half used


def test_read_plan_never_raises(tmp_path):
    assert read_plan(tmp_path) == (
        AnalysisPlan(),
        [Problem.for_file("study.toml", "file is missing")],
    )
    (tmp_path / "study.toml").write_text('kind = "real"\n[codes.stance]\ncritical = \n')
    plan, problems = read_plan(tmp_path)
    assert plan == AnalysisPlan()
    assert [(p.row, p.column) for p in problems] == [(3, None)]
    assert "not valid TOML" in problems[0].rule
    (tmp_path / "study.toml").write_bytes('name = "Zoë"'.encode("cp1252"))
    assert read_plan(tmp_path)[1][0].rule == "is not UTF-8 text"


# ---------------------------------------------------------------------------
# Themes: a parent code takes its tree; a list takes exactly its codes
# ---------------------------------------------------------------------------

BOOK = pd.DataFrame(
    {
        "code_id": [
            *("RULES", "R1", "R2", "R2a", "B1", "B2", "B3"),
            *("V-POS", "V-NEG", "V-MIX", "AW-R", "AW-H", "AW-U"),
        ],
        "parent_id": [None, "RULES", "RULES", "R2", *[None] * 9],
    }
)


def test_theme_of_codes_parent_and_list():
    plan = AnalysisPlan(
        codes=CodePlan(
            stance={"supportive": "V-POS", "critical": "V-NEG"},
            awareness={"read": "AW-R", "heard": "AW-MISSING"},
            themes={"golden_rules": ("RULES",), "barriers": ("B1", "B3", "NOT-THERE")},
        )
    )
    assert theme_of_codes(plan, BOOK) == {
        "RULES": "golden_rules",
        "R1": "golden_rules",
        "R2": "golden_rules",
        "R2a": "golden_rules",  # a grandchild too
        "B1": "barriers",
        "B3": "barriers",  # B2 is not listed: not in the theme
        "V-POS": "stance",
        "V-NEG": "stance",
        "AW-R": "awareness",
    }


def test_a_one_code_list_is_a_parent():
    plan = AnalysisPlan(codes=CodePlan(themes={"consent": ("R2",)}))
    assert theme_of_codes(plan, BOOK) == {"R2": "consent", "R2a": "consent"}


# ---------------------------------------------------------------------------
# Checking against the tables
# ---------------------------------------------------------------------------

ITEMS = pd.DataFrame(
    {"item_id": ["A1", "A2", "C1", "T1"], "construct": ["aware", "aware", "conf", "trust"]}
)
FEATURES = pd.DataFrame({"site_id": ["X"], "front_door_mash": [1], "hub_maturity": [2]})
TABLES = {"codebook": BOOK, "survey_items": ITEMS, "site_features": FEATURES}


def _said(problems: list[Problem]) -> set[tuple[str, str | None, str | None]]:
    return {(p.severity, p.column, p.value) for p in problems}


def test_check_plan_names_unknown_codes_constructs_and_columns():
    plan, problems = parse_plan(
        {
            **FULL,
            "codes": {
                "stance": {"supportive": "V-POS", "critical": "V-GONE"},
                "awareness": {"read": "AW-R"},
                "themes": {"golden_rules": "RULES", "barriers": ["B1", "B9"]},
            },
            "survey": {
                "constructs": {"aware": "Aware", "mood": "Mood"},
                "outcomes": {"awareness": "aware", "confidence": "assurance"},
            },
            "qca": {
                **FULL["qca"],
                "outcome": "father_happy",
                "conditions": ["front_door_mash", "lead"],
            },
            "comparison": {"indicators": ["father_identified", "father_smiles"]},
        }
    )
    assert problems == []
    found = check_plan(plan, TABLES)
    errors = {(p.column, p.value) for p in found if p.severity == "error"}
    assert errors == {
        ("codes.stance.critical", "V-GONE"),
        ("codes.themes.barriers", "B9"),
        ("survey.constructs.mood", "mood"),
        ("survey.outcomes.confidence", "assurance"),
        ("qca.outcome", "father_happy"),
        ("qca.conditions", "lead"),
        ("comparison.indicators", "father_smiles"),
    }
    rules = {p.column: p.rule for p in found if p.severity == "error"}
    assert "not in codebook.csv" in rules["codes.stance.critical"]
    assert "aware, conf, trust" in rules["survey.outcomes.confidence"]
    assert "observations" in rules["qca.outcome"]  # the outcome's source is named
    assert "site_features.csv" in rules["qca.conditions"]


def test_check_plan_notes_what_is_left_unmapped():
    plan, _ = parse_plan(FULL)
    found = check_plan(plan, TABLES)
    assert [p for p in found if p.severity == "error"] == []
    assert _said(found) == {
        # codes in no theme (R1, R2, R2a are under RULES, and RULES is mapped)
        ("note", "codes.themes", "B3"),
        # a construct of the items that the plan does not report
        ("note", "survey.constructs", "trust"),
    }


#: What check_plan says of a plan that maps nothing (severity, key).
UNMAPPED_IN_AN_EMPTY_PLAN = {
    ("warning", "codes.stance"),
    ("warning", "codes.awareness"),
    ("warning", "survey.outcomes.awareness"),
    ("warning", "survey.outcomes.confidence"),
    ("note", "codes.themes"),
    ("note", "survey.constructs"),
    ("note", "qca"),
    ("note", "comparison.indicators"),
}


def test_check_plan_of_an_empty_plan_warns_and_notes():
    found = check_plan(AnalysisPlan(), TABLES)
    assert {(p.severity, p.column) for p in found} == UNMAPPED_IN_AN_EMPTY_PLAN
    assert all(p.file == "study.toml" and p.row is None for p in found)


def test_a_threshold_for_a_condition_not_used_is_a_note():
    plan = AnalysisPlan(
        qca=QCAPlan(
            "father_invited", (0.2, 0.5, 0.8), ("front_door_mash",), thresholds={"hub_maturity": 1}
        )
    )
    found = [p for p in check_plan(plan, TABLES) if p.column == "qca.conditions"]
    assert _said(found) == {("note", "qca.conditions", "hub_maturity")}


# ---------------------------------------------------------------------------
# Writing: render_plan -> parse_plan gives the plan back
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plan",
    [EXPECTED, AnalysisPlan(), synthetic_plan()],
    ids=["every-section", "blank", "synthetic"],
)
def test_render_then_parse_round_trip(plan):
    text = render_plan(plan, "real", 'A "quoted" name', {"seed": 7})
    data = tomllib.loads(text)
    assert (data["kind"], data["name"], data["seed"]) == ("real", 'A "quoted" name', 7)
    assert parse_plan(data) == (plan, [])


def test_every_part_is_commented():
    text = render_plan(AnalysisPlan(), "real", "x")
    for part in ("Notebook 04", "Notebook 03", "Notebook 02", "Notebook 01", "themes"):
        assert part in text
    assert "docs/analysis-plan.md" in text


# ---------------------------------------------------------------------------
# Issue #19: the primary coder and the recruitment targets
# ---------------------------------------------------------------------------


def test_recruitment_targets_and_primary_coder_are_parsed():
    data = tomllib.loads(
        """
        [coding]
        primary_coder = "anna"
        [[recruitment.target]]
        site = "LA1"
        agency = "police"
        method = "interview"
        n = 4
        [[recruitment.target]]
        method = "focus_group"
        n = 30
        """
    )
    plan, problems = parse_plan(data)
    assert problems == []
    assert plan.coding == CodingPlan(primary_coder="anna")
    assert plan.recruitment == (
        RecruitmentTarget("LA1", "police", "interview", 4),
        RecruitmentTarget("all", "all", "focus_group", 30),  # a key left out means "all"
    )


def test_recruitment_targets_are_checked_against_the_sites_and_coders():
    plan = AnalysisPlan(
        coding=CodingPlan(primary_coder="zed"),
        recruitment=(RecruitmentTarget("S1", n=2), RecruitmentTarget("S9", n=2)),
    )
    tables = {
        "sites": pd.DataFrame({"site_id": ["S1"]}),
        "coded_segments": pd.DataFrame({"coder": ["amy", "bo"]}),
    }
    errors = [(p.column, p.value) for p in check_plan(plan, tables) if p.severity == "error"]
    assert ("recruitment.target[2].site", "S9") in errors
    assert ("coding.primary_coder", "zed") in errors
    assert ("recruitment.target[1].site", "S1") not in errors


def test_joint_displays_are_kept_as_written_and_round_trip():
    data = tomllib.loads(
        """
        [[joint.theme]]
        name = "sharing"
        objective = 2
        indicators = ["father_info_shared"]
        codes = ["K1", "K2"]
        positive = ["K1"]
        [joint.components]
        COMP-A = ["father_recorded"]
        """
    )
    plan, problems = parse_plan(data)
    assert problems == []
    assert plan.joint["theme"][0]["codes"] == ["K1", "K2"]
    assert plan.joint["components"] == {"COMP-A": ["father_recorded"]}
    again, problems = parse_plan(tomllib.loads(render_plan(plan, "real", "x")))
    assert problems == [] and again.joint == plan.joint


def test_joint_displays_name_only_what_the_tables_have():
    plan = AnalysisPlan(
        joint={
            "theme": [
                {
                    "name": "t",
                    "objective": 4,
                    "indicators": ["father_seen"],
                    "survey": ["trust", "nope"],
                    "codes": ["K1"],
                    "negative": ["K9"],
                    "theme": "not_a_theme",
                }
            ],
            "components": {"COMP-Z": ["father_recorded"], "K1": ["father_met"]},
        }
    )
    tables = {
        "codebook": pd.DataFrame({"code_id": ["K1"], "parent_id": [None], "branch": ["gaps"]}),
        "survey_items": pd.DataFrame({"construct": ["trust"]}),
    }
    errors = {(p.column, p.value) for p in check_plan(plan, tables) if p.severity == "error"}
    assert {
        ("joint.theme[1].indicators", "father_seen"),
        ("joint.theme[1].survey", "nope"),
        ("joint.theme[1].negative", "K9"),
        ("joint.theme[1].theme", "not_a_theme"),
        ("joint.components", "COMP-Z"),
        ("joint.components.K1", "father_met"),
    } <= errors
    assert ("joint.theme[1].survey", "trust") not in errors
    assert ("joint.theme[1].codes", "K1") not in errors


def test_a_joint_table_that_is_not_entries_is_named():
    _, problems = parse_plan({"joint": {"theme": "x", "colour": 1}})
    said = {(p.column, p.rule) for p in problems}
    assert ("joint.theme", "must be entries [[joint.theme]]") in said
    assert any(column == "joint.colour" or "colour" in str(column) for column, _ in said)
