"""Joint displays: known answers for the plan, the evidence tables and the verdict rule."""

from __future__ import annotations

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import blueprint
from srim_analysis.analyses import joint_displays as jd
from srim_analysis.study import synthetic
from srim_analysis.study.loading import load_study
from srim_analysis.study.plan import AnalysisPlan, CodePlan, ComparisonPlan, SurveyPlan

C = disclosure.SUPPRESSION_MARK


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


def test_parse_joint_reads_themes_and_components():
    plan = jd.parse_joint(
        {
            "theme": [
                {
                    "name": "sharing",
                    "label": "Sharing about men",
                    "objective": 2,
                    "indicators": ["father_info_shared"],
                    "survey": "conf",
                    "theme": ["helps", "hinders"],
                    "codes": ["X1"],
                    "positive": ["H+"],
                    "negative": "H-",
                    "lower_is_better": ["conf"],
                },
                {"name": "rules", "objective": 4, "codes": ["R"], "valence": "stance"},
            ],
            "components": {"K-A": ["father_recorded", "father_checked"], "K-B": "father_invited"},
        },
        themes={"helps": ("H", "H2"), "hinders": ("B",)},
    )
    sharing, rules = plan.themes
    assert sharing.title == "Sharing about men" and sharing.objective == 2
    assert sharing.codes == ("X1", "H", "H2", "B")  # listed codes, then the plan themes' codes
    assert sharing.survey == ("conf",) and sharing.negative == ("H-",)
    assert sharing.talk_codes == ("X1", "H", "H2", "B", "H+", "H-")
    assert rules.valence == "stance" and rules.title == "Rules"
    assert plan.for_objective(4) == (rules,)
    assert dict(plan.components) == {
        "K-A": ("father_recorded", "father_checked"),
        "K-B": ("father_invited",),
    }


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"themes": []}, "unknown keys"),
        ({"theme": [{"objective": 2}]}, "needs a name"),
        ({"theme": [{"name": "a", "objective": 3}]}, "objective must be"),
        ({"theme": [{"name": "a", "objective": 2, "valence": "mood"}]}, "valence"),
        ({"theme": [{"name": "a", "objective": 2, "colour": "red"}]}, "unknown keys: colour"),
        ({"theme": [{"name": "a", "objective": 2, "theme": "nope"}]}, "not a theme"),
        ({"theme": [{"name": "a", "objective": 2, "codes": [1, 2]}]}, "codes must be"),
    ],
)
def test_parse_joint_names_the_key_at_fault(section, message):
    with pytest.raises(ValueError, match=message):
        jd.parse_joint(section, themes={"helps": ("H",)})


def test_default_plan_is_built_from_the_plan_parts_only():
    plan = AnalysisPlan(
        codes=CodePlan(
            awareness={"read": "A-R", "heard": "A-H", "unaware": "A-U"},
            themes={"facilitators": ("F",), "barriers": ("B",), "father_practice": ("P",)},
        ),
        survey=SurveyPlan(
            {"aw": "Aware", "father_practice": "Practice"}, {"awareness": "aw", "confidence": "cf"}
        ),
        comparison=ComparisonPlan(("father_identified", "father_info_shared")),
    )
    joint = jd.default_joint_plan(plan)
    practice, aware, confident = joint.themes
    assert (practice.objective, practice.indicators, practice.survey) == (
        2,
        ("father_identified", "father_info_shared"),
        (),  # no construct is taken for practice by its name: only [joint] says which
    )
    assert (practice.codes, practice.positive, practice.negative) == (("P",), ("F",), ("B",))
    assert (aware.objective, aware.survey, aware.positive, aware.negative) == (
        4,
        ("aw",),
        ("A-R",),
        ("A-U",),
    )
    assert aware.codes == ("A-R", "A-H", "A-U") and aware.title == "Aware"
    assert (confident.survey, confident.positive, confident.negative) == (("cf",), ("F",), ("B",))
    assert jd.default_joint_plan(AnalysisPlan()).themes == ()  # nothing mapped, nothing made up


# ---------------------------------------------------------------------------
# The rule: direction and verdict
# ---------------------------------------------------------------------------


def test_direction_uses_the_margin_the_minimum_n_and_hidden_cells():
    rule = jd.JointRule(margin=10, min_n=20)
    assert jd.direction(60.0, 50, 50.0, rule) == "higher"  # exactly the margin counts
    assert jd.direction(59.9, 50, 50.0, rule) == "close"
    assert jd.direction(40.0, 50, 50.0, rule) == "lower"
    assert jd.direction(40.0, 50, 50.0, rule, lower_is_better=True) == "higher"
    assert jd.direction(90.0, 19, 50.0, rule) is None  # too few
    assert jd.direction(C, 50, 50.0, rule) is None
    assert jd.direction(90.0, C, 50.0, rule) is None
    assert jd.direction(90.0, 50, C, rule) is None
    assert jd.direction(float("nan"), 50, 50.0, rule) is None
    with pytest.raises(ValueError):
        jd.JointRule(margin=0)


def _tables():
    """Return tiny published-like tables where every verdict is hit once or more."""
    audit = pd.DataFrame(
        {
            "site": ["A", "B", "C", "D", "All"],
            "source": "case_audit",
            "indicator": "x",
            "label": "X shared",
            "n_yes": [40, 10, 30, C, 90],
            "n": [50, 50, 50, 8, 158],
            "pct_yes": [80.0, 20.0, 60.0, C, 57.0],
        }
    )
    survey_table = pd.DataFrame(
        {
            "site": ["A", "B", "C", "D", "All"],
            "source": "survey",
            "indicator": "fear",
            "label": "Fear",
            "n_yes": [10, 40, 20, 20, 90],
            "n": [50, 50, 50, 40, 190],
            "pct_yes": [20.0, 80.0, 40.0, 50.0, 47.0],
        }
    )
    talk = pd.DataFrame(
        {
            "site": ["A", "B", "C", "D", "All"],
            "theme": "t",
            "label": "T",
            "n_positive": [30, 30, 20, 3, 83],
            "n_negative": [10, 10, 20, 2, 42],
            "n_rated": [40, 40, 40, 5, 125],
            "pct_positive": [75.0, 75.0, 50.0, 60.0, 66.4],
        }
    )
    return audit, survey_table, talk


def test_joint_display_known_verdicts():
    audit, survey_table, talk = _tables()
    theme = jd.JointTheme(
        "t", 2, "T", ("x",), ("fear",), ("P",), ("P",), ("N",), "codes", ("fear",)
    )
    out = jd.joint_display([theme], audit, survey_table, talk, jd.JointRule(margin=10, min_n=10))
    got = {(r.site, r.source): r for r in out.itertuples()}
    # A: audit 80 vs 57 higher, talk 75 vs 66.4 close -> neither
    assert got["A", "Audited cases"].numbers_direction == "higher"
    assert got["A", "Audited cases"].talk_direction == "close"
    assert got["A", "Audited cases"].verdict == "neither"
    # A: fear 20 vs 47 (lower is better) -> higher; talk close -> neither
    assert got["A", "Survey"].numbers_direction == "higher"
    # B: audit 20 vs 57 lower, talk close -> neither; fear 80 -> lower
    assert got["B", "Audited cases"].verdict == "neither"
    # C: audit 60 close, talk 50 vs 66.4 lower -> neither; fear 40 close -> neither
    assert got["C", "Audited cases"].verdict == "neither"
    # D: audit hidden, talk rests on 5 rated segments -> cannot be compared
    assert got["D", "Audited cases"].verdict == "cannot be compared"
    assert "hidden" in got["D", "Audited cases"].why
    assert got["D", "Audited cases"].numbers == "c of 8 cases"
    assert set(out["site"]) == {"A", "B", "C", "D"}  # the all-sites row is the reference

    # agree and differ: talk positive share high at A (higher), low at B (lower)
    talk2 = talk.assign(pct_positive=[90.0, 40.0, 66.0, 60.0, 66.4])
    out = jd.joint_display([theme], audit, survey_table, talk2, jd.JointRule(margin=10, min_n=10))
    got = {(r.site, r.source): r.verdict for r in out.itertuples()}
    assert got["A", "Audited cases"] == "agree"  # both higher
    assert got["B", "Audited cases"] == "agree"  # both lower
    assert got["A", "Survey"] == "agree"  # less fear (higher, turned round) and more positive
    assert got["B", "Survey"] == "agree"
    assert got["C", "Audited cases"] == "agree"  # both close
    talk3 = talk.assign(pct_positive=[40.0, 90.0, 66.0, 60.0, 66.4])
    out = jd.joint_display([theme], audit, survey_table, talk3, jd.JointRule(margin=10, min_n=10))
    got = {(r.site, r.source): r.verdict for r in out.itertuples()}
    assert got["A", "Audited cases"] == "differ" and got["B", "Audited cases"] == "differ"
    assert set(out["verdict"]) <= set(jd.VERDICTS)


def test_a_theme_without_numbers_or_rating_cannot_be_compared():
    audit, survey_table, talk = _tables()
    no_numbers = jd.JointTheme("t", 2, "T", codes=("P",), positive=("P",))
    out = jd.joint_display([no_numbers], audit, survey_table, talk)
    assert set(out["verdict"]) == {"cannot be compared"}
    assert set(out["measure"]) == {"no number mapped"}
    no_table = jd.JointTheme("t", 2, "T", indicators=("y",), codes=("P",), positive=("P",))
    out = jd.joint_display([no_table], audit, survey_table, talk)
    assert set(out["measure"]) == {"no number in the tables"}
    assert set(out["verdict"]) == {"cannot be compared"}
    unrated = talk.assign(pct_positive=float("nan"))
    theme = jd.JointTheme("t", 2, "T", ("x",), codes=("P",))
    out = jd.joint_display([theme], audit, survey_table, unrated)
    assert set(out["verdict"]) == {"cannot be compared"}
    assert "talk not rated" in set(out["why"])


# ---------------------------------------------------------------------------
# The evidence tables on tiny studies
# ---------------------------------------------------------------------------


class _Study:
    """A stand-in for a loaded study: tables and a plan."""

    def __init__(self, tables: dict[str, pd.DataFrame], plan: AnalysisPlan | None = None):
        self.tables = tables
        self.plan = plan or AnalysisPlan()


SITES = pd.DataFrame(
    {
        "site_id": ["a", "b"],
        "display_name": ["Site A", "Site B"],
        "role": ["origin", "adopter"],
        "initiative_start": ["2024-01-01", "2024-06-01"],
    }
)
CODEBOOK = pd.DataFrame(
    {
        "code_id": ["T", "T1", "POS", "NEG", "SUP", "CRIT", "K", "K1"],
        "parent_id": [None, "T", None, None, None, None, None, "K"],
        "label": ["Theme", "Sub", "Good", "Bad", "Sup", "Crit", "Parts", "Part one"],
        "branch": [
            "father_practice",
            "father_practice",
            "facilitators",
            "barriers",
            "stance",
            "stance",
            blueprint.COMPONENT_BRANCH,
            blueprint.COMPONENT_BRANCH,
        ],
    }
)


def _segments(rows):
    cols = ["segment_id", "code_id", "source_id", "method", "site_id", "participant_id"]
    out = pd.DataFrame(rows, columns=cols)
    return out.assign(source_date="2024-09-01", excerpt="words")


def test_talk_evidence_counts_and_rates_segments():
    seg = _segments(
        [
            ("s1", "T1", "i1", "interview", "a", "p1"),
            ("s1", "POS", "i1", "interview", "a", "p1"),
            ("s2", "T", "i1", "interview", "a", "p1"),
            ("s2", "NEG", "i1", "interview", "a", "p1"),
            ("s3", "T1", "f1", "focus_group", "a", "p2"),
            ("s3", "POS", "f1", "focus_group", "a", "p2"),
            ("s3", "NEG", "f1", "focus_group", "a", "p2"),  # both: neither
            ("s4", "T1", "o1", "observation", "a", None),
            ("s4", "POS", "o1", "observation", "a", None),
            ("s5", "T1", "d1", "document", "a", None),  # documents are not talk
            ("s5", "POS", "d1", "document", "a", None),
            ("s6", "POS", "i2", "interview", "b", "p3"),  # a positive code alone counts
            ("s7", "SUP", "i2", "interview", "b", "p3"),  # not the theme's
        ]
    )
    study = _Study({"sites": SITES, "codebook": CODEBOOK, "coded_segments": seg})
    theme = jd.JointTheme("t", 2, "T", codes=("T",), positive=("POS",), negative=("NEG",))
    out = jd.talk_evidence(study, [theme]).set_index("site")
    a = out.loc["Site A"]
    assert (a["n_segments"], a["n_positive"], a["n_negative"], a["n_rated"]) == (4, 2, 1, 3)
    assert a["pct_positive"] == pytest.approx(66.7)
    assert (a["n_participants"], a["n_sources"]) == (2, 3)
    assert (a["n_interviews"], a["n_focus_groups"], a["n_observations"]) == (1, 1, 1)
    b = out.loc["Site B"]
    assert (b["n_segments"], b["n_positive"], b["pct_positive"]) == (1, 1, 100.0)
    total = out.loc["All"]
    assert (total["n_segments"], total["n_rated"], total["n_sources"]) == (5, 4, 4)
    for col, parts in jd.TALK_SUMS.items():  # the declared sums hold
        assert (out[col] == out[list(parts)].sum(axis=1)).all()


def test_talk_evidence_rated_by_stance():
    seg = _segments(
        [
            ("s1", "T1", "i1", "interview", "a", "p1"),
            ("s1", "SUP", "i1", "interview", "a", "p1"),
            ("s2", "T1", "i1", "interview", "a", "p1"),
            ("s2", "CRIT", "i1", "interview", "a", "p1"),
            ("s3", "T1", "i2", "interview", "a", "p2"),
            ("s3", "CRIT", "i2", "interview", "a", "p2"),
            ("s4", "T1", "i2", "interview", "a", "p2"),  # no stance: not rated
        ]
    )
    plan = AnalysisPlan(codes=CodePlan(stance={"supportive": "SUP", "critical": "CRIT"}))
    study = _Study({"sites": SITES, "codebook": CODEBOOK, "coded_segments": seg}, plan)
    theme = jd.JointTheme("t", 4, codes=("T",), valence="stance")
    a = jd.talk_evidence(study, [theme]).set_index("site").loc["Site A"]
    assert (a["n_segments"], a["n_positive"], a["n_negative"]) == (4, 1, 2)
    assert a["pct_positive"] == pytest.approx(33.3)
    unrated = jd.talk_evidence(
        _Study(study.tables), [jd.JointTheme("t", 4, codes=("T",), valence="stance")]
    )
    assert unrated["pct_positive"].isna().all()  # no stance codes mapped: not rated


def test_survey_evidence_counts_agreement_above_the_midpoint():
    items = pd.DataFrame(
        {
            "item_id": ["Q1", "Q2"],
            "construct": ["k", "k"],
            "wording": ["w", "w"],
            "reverse_keyed": [0, 1],
            "scale_min": [1, 1],
            "scale_max": [5, 5],
            "labels": ["", ""],
            "allows_dont_know": [1, 1],
            "allows_not_applicable": [0, 0],
        }
    )
    responses = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3", "r4", "r5"],
            "site_id": ["a", "a", "a", "b", "b"],
            # r1: (5 + 5) / 2 = 5 agree; r2: (3 + 3) / 2 = 3, not above the midpoint;
            # r3: Q1 4 only, agree; r4: nothing answered; r5: (2 + 2) / 2 = 2
            "Q1": ["5", "3", "4", "dk", "2"],
            "Q2": ["1", "3", None, None, "4"],
        }
    )
    plan = AnalysisPlan(survey=SurveyPlan({"k": "Knowing"}))
    study = _Study({"sites": SITES, "survey_items": items, "survey_responses": responses}, plan)
    out = jd.survey_evidence(study, ["k", "unknown"]).set_index("site")
    assert out.loc["Site A", ["n_yes", "n", "n_blank"]].tolist() == [2, 3, 0]
    assert out.loc["Site A", "pct_yes"] == pytest.approx(66.7)
    assert out.loc["Site B", ["n_yes", "n", "n_blank"]].tolist() == [0, 1, 1]
    assert out.loc["All", ["n_yes", "n"]].tolist() == [2, 4]
    assert set(out["label"]) == {"Knowing"}
    assert jd.survey_evidence(_Study({"sites": SITES}), ["k"]).empty


# ---------------------------------------------------------------------------
# The synthetic study: the planted configuration effect
# ---------------------------------------------------------------------------


def test_synthetic_configuration_sites_agree_on_both_sides(study):
    """Configuration sites share more (planted) and their people praise co-location and leads.

    The planted effect (``synthetic.PLANTED_EFFECTS['configuration']``): sites with early
    help in the front door and a named father-inclusion lead share information about
    fathers more often, and their participants name co-location and the lead as
    facilitators far more often than they complain of services focused on mothers.
    """
    theme = jd.JointTheme(
        "configuration",
        2,
        indicators=("father_info_shared",),
        codes=("FP",),
        positive=("FAC-COLOC", "FAC-FATHERLEAD"),
        negative=("BAR-MOTHERFOCUS", "BAR-ADULTSERV"),
    )
    audit = jd.audit_evidence(study, theme.indicators)
    talk = jd.talk_evidence(study, [theme])
    out = jd.joint_display([theme], audit, jd.survey_evidence(study, []), talk, jd.JointRule())
    got = out.set_index("site")
    assert got.loc["Ashcombe", "numbers_direction"] == "higher"  # the origin
    for site in ("Fenhollow", "Greystoke Bay"):  # comparison sites: lower on both sides
        assert got.loc[site, ["numbers_direction", "talk_direction", "verdict"]].tolist() == [
            "lower",
            "lower",
            "agree",
        ]
    assert "differ" not in set(out["verdict"])
    comparison_sites = ["Eastwold", "Fenhollow", "Greystoke Bay", "Harrowmere"]
    assert "higher" not in set(got.loc[comparison_sites, "numbers_direction"])
    assert "higher" not in set(got.loc[comparison_sites, "talk_direction"])
    # Harrowmere: 9 rated segments, under the rule's minimum of 10
    assert got.loc["Harrowmere", "verdict"] == "cannot be compared"


def test_default_plan_of_the_synthetic_study(study):
    joint = jd.study_joint_plan(study)
    assert [t.objective for t in joint.themes] == [2, 4, 4]
    practice = joint.for_objective(2)[0]
    assert practice.indicators == tuple(study.plan.comparison.indicators)
    assert set(practice.positive) == set(study.plan.codes.themes["facilitators"])


def test_study_joint_plan_reads_the_plan_joint_part():
    plan = AnalysisPlan(codes=CodePlan(themes={"helps": ("H",)}))
    raw = {"theme": [{"name": "x", "objective": 4, "theme": "helps", "positive": ["H1"]}]}

    class _Plan:
        codes = plan.codes
        joint = raw

    joint = jd.study_joint_plan(_Study({}, _Plan()))  # type: ignore[arg-type]
    assert [(t.name, t.codes, t.positive) for t in joint.themes] == [("x", ("H",), ("H1",))]
    parsed = jd.parse_joint(raw, plan.codes.themes)
    _Plan.joint = parsed
    assert jd.study_joint_plan(_Study({}, _Plan())) is parsed  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def null_study(tmp_path_factory):
    return load_study(synthetic.write_study(tmp_path_factory.mktemp("h3null"), variant="null"))


def test_null_study_verdicts_follow_the_rule_and_rarely_differ(null_study):
    joint = jd.study_joint_plan(null_study)
    rule = jd.JointRule()
    for objective in jd.OBJECTIVES:
        themes = joint.for_objective(objective)
        inds = [i for t in themes for i in t.indicators]
        cons = [c for t in themes for c in t.survey]
        audit = jd.audit_evidence(null_study, inds)
        survey_table = jd.survey_evidence(null_study, cons)
        talk = jd.talk_evidence(null_study, themes)
        out = jd.joint_display(themes, audit, survey_table, talk, rule)
        assert len(out)
        for row in out.itertuples():
            assert row.verdict == jd.verdict(
                row.numbers_direction or None, row.talk_direction or None
            )
        assert (out["verdict"] == "differ").sum() <= (out["verdict"] == "agree").sum()


# ---------------------------------------------------------------------------
# The blueprint, side by side
# ---------------------------------------------------------------------------


def test_blueprint_evidence_splits_the_sources_by_kind(study):
    evidence = jd.blueprint_evidence(study)
    matrix = blueprint.blueprint_matrix(study)
    merged = evidence.merge(matrix, on=["site", "component_id"], suffixes=("", "_m"))
    assert len(merged) == len(matrix) == len(evidence)
    total = merged["n_documents"] + merged["n_observations"] + merged["n_talk_sources"]
    assert (total == merged["n_sources"]).all()  # each source is of one kind
    assert (merged["status"] == merged["status_m"]).all()
    absent = merged[merged["status"] == "absent"]
    assert (absent[["n_documents", "n_observations", "n_talk_sources"]] == 0).all().all()
    assert (evidence["n_participants"] <= evidence["n_talk_segments"]).all()


def test_blueprint_display_links_audit_indicators():
    evidence = pd.DataFrame(
        {
            "site": ["Site A", "Site A"],
            "component_id": ["K1", "K2"],
            "component": ["Part one", "Part two"],
            "status": ["present", "absent"],
            "n_documents": [2, 0],
            "n_observations": [C, 0],
            "n_talk_sources": [6, 0],
            "n_participants": [5, 0],
            "n_talk_segments": [9, 0],
        }
    )
    audit = pd.DataFrame(
        {
            "site": ["Site A", "All"],
            "indicator": ["father_recorded", "father_recorded"],
            "label": ["His details recorded", "His details recorded"],
            "n": [40, 120],
            "pct_yes": [62.5, 50.0],
        }
    )
    out = jd.blueprint_display(evidence, audit, {"K1": ("father_recorded",)})
    first, second = out.iloc[0], out.iloc[1]
    assert first["audit"] == "His details recorded: 62% of 40 cases"
    assert first["audit_all_sites"] == "His details recorded: 50% of 120 cases"
    assert first["observations"] == "c observation notes"
    assert first["participants_say"].startswith("5 people in 6 interviews")
    assert second["audit"] == "no audit indicator linked"
