"""Objective 2: site indicators, intervals, survey scores, before/after and suppression."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from srim_analysis import disclosure
from srim_analysis.analyses import comparison
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.study import contract
from srim_analysis.study.loading import Study, ValidationReport
from srim_analysis.study.plan import OUTCOME_ROLES, AnalysisPlan, SurveyPlan

Z = stats.norm.ppf(0.975)


def _tiny_study(case_audit: pd.DataFrame, sites: pd.DataFrame | None = None, **tables) -> Study:
    if sites is None:
        sites = pd.DataFrame(
            {
                "site_id": ["A", "B"],
                "display_name": ["Alpha", "Beta"],
                "role": ["origin", "adopter"],
                "initiative_start": ["2020-01-01", "2024-01-01"],
            }
        )
    return Study(
        folder=Path("."),
        kind="synthetic",
        name="tiny",
        tables={"sites": sites, "case_audit": case_audit, **tables},
        fingerprint="test",
        report=ValidationReport(Path(".")),
    )


# ---------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------


def test_wilson_interval_matches_the_formula_for_8_of_20():
    n, x = 20, 8
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    low, high = comparison.wilson_interval(x, n)
    assert low == pytest.approx(centre - half, abs=1e-9)
    assert high == pytest.approx(centre + half, abs=1e-9)
    assert (round(low, 4), round(high, 4)) == (0.2188, 0.6134)


def test_wilson_interval_is_nan_for_an_empty_group_and_works_on_arrays():
    low, high = comparison.wilson_interval(np.array([0, 3]), np.array([0, 10]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert 0 < low[1] < 0.3 < high[1] < 1


def test_newcombe_interval_matches_statsmodels():
    for before, n_before, after, n_after in [(9, 30, 64, 102), (12, 31, 41, 69), (0, 10, 5, 12)]:
        d, low, high = comparison.newcombe_interval(before, n_before, after, n_after)
        ref = confint_proportions_2indep(
            after, n_after, before, n_before, method="newcomb", compare="diff"
        )
        assert d == pytest.approx(after / n_after - before / n_before)
        assert (low, high) == pytest.approx(ref, abs=1e-9)


def test_mean_interval_t_and_seeded_bootstrap():
    values = [1, 2, 2, 3, 4, 5, 5, 5, "dk", None]
    mean, low, high = comparison.mean_interval(values)
    x = np.array([1, 2, 2, 3, 4, 5, 5, 5], dtype=float)
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert mean == pytest.approx(x.mean())
    assert (low, high) == pytest.approx(ref)
    a = comparison.mean_interval(values, method="bootstrap", seed=1)
    b = comparison.mean_interval(values, method="bootstrap", seed=1)
    assert a == b and a[1] < mean < a[2]


# ---------------------------------------------------------------------------
# Site and agency indicators
# ---------------------------------------------------------------------------


def test_denominators_exclude_blanks_and_count_them():
    audit = pd.DataFrame(
        {
            "case_id": [f"C{i}" for i in range(8)],
            "site_id": ["A"] * 5 + ["B"] * 3,
            "audit_date": ["2024-06-01"] * 8,
            "lead_agency": ["social_care"] * 6 + ["police"] * 2,
            "father_info_shared": pd.array([1, 0, None, 1, None, 1, 1, 0], dtype="Int64"),
        }
    )
    out = comparison.site_indicators(_tiny_study(audit), indicators=["father_info_shared"])
    a = out[out["site"] == "Alpha"].iloc[0]
    assert (a["n_yes"], a["n"], a["n_blank"]) == (2, 3, 2)
    assert a["prop_yes"] == pytest.approx(round(2 / 3, 3))
    low, high = comparison.wilson_interval(2, 3)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((low, high), abs=5e-4)
    total = out[out["site"] == TOTAL].iloc[0]
    assert (total["n_yes"], total["n"], total["n_blank"]) == (4, 6, 2)
    agency = comparison.agency_indicators(_tiny_study(audit), indicators=["father_info_shared"])
    police = agency[(agency["site"] == "Beta") & (agency["agency"] == "Police")].iloc[0]
    assert (police["n_yes"], police["n"]) == (1, 2)


def test_unknown_indicator_is_a_plain_error():
    audit = pd.DataFrame({"site_id": ["A"], "father_info_shared": [1]})
    with pytest.raises(ValueError, match="Unknown indicator"):
        comparison.site_indicators(_tiny_study(audit), indicators=["father_shared"])


def test_site_indicators_on_the_synthetic_study(study):
    out = comparison.site_indicators(study)
    assert set(out["source"]) == {"case_audit", "observations", "documents"}
    audit = out[out["source"] == "case_audit"]
    for indicator, rows in audit.groupby("indicator"):
        sites = rows[rows["site"] != TOTAL]
        total = rows[rows["site"] == TOTAL].iloc[0]
        assert len(sites) == len(study.sites)
        assert sites["n"].sum() == total["n"] and sites["n_yes"].sum() == total["n_yes"]
        blanks = int(study.case_audit[indicator].isna().sum())
        assert total["n_blank"] == blanks and total["n"] == len(study.case_audit) - blanks
    assert (audit["ci_low"] <= audit["prop_yes"]).all()
    assert (audit["prop_yes"] <= audit["ci_high"]).all()
    # suppression finds the counts by name and leaves the all-site row alone
    published = disclosure.publishable(out, 5, depends=comparison.PROPORTION_DEPENDS)
    assert (published.loc[out["site"] == TOTAL, "n"] != "c").all()


def test_agency_table_margins_add_up(study):
    out = comparison.agency_indicators(study, indicators=["father_info_shared"])
    by_site = out[out["agency"] != TOTAL].groupby("site")["n"].sum()
    margins = out[out["agency"] == TOTAL].set_index("site")["n"]
    assert (by_site == margins.loc[by_site.index]).all()


def _survey_study(plan: AnalysisPlan | None = None) -> Study:
    responses = pd.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "site_id": ["A", "A", "B"],
            "agency": ["police", "police", "housing"],
            "Q-SURE": ["4", "dk", "2"],
            "Q-KNOW-1": ["5", None, "na"],
            "Q-KNOW-2": ["1", "dk", None],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": ["Q-SURE", "Q-KNOW-1", "Q-KNOW-2"],
            "construct": ["sure", "know", "know"],
            "reverse_keyed": [0, 0, 1],
            "scale_min": [1, 1, 1],
            "scale_max": [5, 5, 5],
        }
    )
    study = _tiny_study(pd.DataFrame(), survey_responses=responses, survey_items=items)
    if plan is None:
        plan = AnalysisPlan(
            survey=SurveyPlan(
                constructs={"know": "Knowing the advice"},
                outcomes={"confidence": "sure", "awareness": "know"},
            )
        )
    return replace(study, plan=plan)


def test_survey_scores_leave_out_dont_know_and_blank():
    out = comparison.survey_scores(_survey_study()).set_index(["site", "indicator"])
    assert out.loc[("Alpha", "sure"), "mean"] == 4
    assert (out.loc[("Alpha", "sure"), "n"], out.loc[("Alpha", "sure"), "n_blank"]) == (1, 1)
    assert out.loc[("Alpha", "know"), "mean"] == 5  # mean of 5 and 1 reverse-keyed (5)
    assert out.loc[("Beta", "know"), "n_blank"] == 1
    assert out.loc[(TOTAL, "sure"), "mean"] == 3


def test_survey_measures_come_from_the_plan():
    measures = comparison.survey_measures(_survey_study())
    assert [(m.outcome, m.construct, m.items) for m in measures] == [
        ("confidence", "sure", ("Q-SURE",)),
        ("awareness", "know", ("Q-KNOW-1", "Q-KNOW-2")),
    ]
    # the plan's label of a construct, else the outcome's, with the items and scale
    assert [m.label for m in measures] == [
        "Confidence to share information (1-5)",
        "Knowing the advice (mean of 2 items, 1-5)",
    ]
    out = comparison.survey_scores(_survey_study())
    assert list(dict.fromkeys(out["label"])) == [m.label for m in measures]
    assert set(comparison.SURVEY_OUTCOMES) == set(OUTCOME_ROLES)


def test_survey_measures_are_empty_without_a_plan_or_a_survey():
    assert comparison.survey_measures(_survey_study(AnalysisPlan())) == []
    one = AnalysisPlan(survey=SurveyPlan(outcomes={"awareness": "know"}))
    assert [m.construct for m in comparison.survey_measures(_survey_study(one))] == ["know"]
    unknown = AnalysisPlan(survey=SurveyPlan(outcomes={"awareness": "nothing"}))
    assert comparison.survey_measures(_survey_study(unknown)) == []
    assert comparison.survey_measures(_tiny_study(pd.DataFrame())) == []
    with pytest.raises(ValueError, match=r"\[survey.outcomes\]"):
        comparison.survey_scores(_survey_study(AnalysisPlan()))


def test_survey_scores_of_the_synthetic_study_follow_its_plan(study):
    out = comparison.survey_scores(study)
    outcomes = study.plan.survey.outcomes
    assert list(dict.fromkeys(out["indicator"])) == [
        outcomes[o] for o in comparison.SURVEY_OUTCOMES if o in outcomes
    ]
    everyone = out[out["site"] == TOTAL].set_index("indicator")
    assert (everyone["n"] + everyone["n_blank"] == len(study.survey_responses)).all()


# ---------------------------------------------------------------------------
# Before and after
# ---------------------------------------------------------------------------


def test_before_after_splits_at_each_start_and_sums_to_the_site(study):
    change = comparison.before_after(study)
    audit = study.case_audit
    sites = study.sites.set_index("site_id")
    for sid in sites.index[sites["role"] == "adopter"]:
        name = sites.at[sid, "display_name"]
        row = change[(change["site"] == name) & (change["indicator"] == "father_info_shared")]
        mine = audit[audit["site_id"] == sid]
        after = pd.to_datetime(mine["audit_date"]) >= pd.Timestamp(
            sites.at[sid, "initiative_start"]
        )
        assert row["n_after"].item() == mine.loc[after, "father_info_shared"].notna().sum()
        assert row["n_before"].item() + row["n_after"].item() == (
            mine["father_info_shared"].notna().sum()
        )


def test_planted_adoption_effect_is_found(study):
    """Adopters share in ~30% of cases before and ~62% after; the origin stays near 65%."""
    change = comparison.before_after(study)
    shared = change[change["indicator"] == "father_info_shared"]
    adopters = shared[(shared["role"] == "adopter") & (shared["site"] != TOTAL)]
    assert len(adopters) == 3
    assert (adopters["diff"] > 0).all()  # every adopter improves
    assert (adopters["diff_low"] > 0).sum() >= 2  # and most are clear of chance on their own
    pooled = shared[(shared["site"] == TOTAL) & (shared["role"] == "adopter")].iloc[0]
    assert pooled["diff_low"] > 0
    assert pooled["prop_before"] == pytest.approx(0.30, abs=0.08)
    assert pooled["prop_after"] == pytest.approx(0.62, abs=0.08)
    origin = shared[shared["role"] == "origin"].iloc[0]
    assert origin["diff_low"] < 0 < origin["diff_high"]
    assert origin["prop_after"] == pytest.approx(0.65, abs=0.08)


def test_origin_defaults_to_the_site_recorded_as_origin(study):
    assert comparison.origin_site_id(study, "") == "S01"  # role "origin" in sites.csv
    assert comparison.origin_site_id(study, None) == "S01"
    assert comparison.before_after(study, origin_site="").equals(
        comparison.before_after(study, origin_site="S01")
    )
    with pytest.raises(ValueError, match="origin_site 'S001' is not a site in this study"):
        comparison.origin_site_id(study, "S001")


def test_site_roles_and_dates_read_as_sentences(study):
    assert comparison.site_role(study, "S01") == "origin"
    assert comparison.site_role(study, "S05") == "comparison"
    assert comparison.site_role(study, "nowhere") == ""
    assert comparison.date_text(pd.Timestamp("2024-03-01")) == "1 March 2024"
    assert comparison.date_text(None) == "no start date"
    assert "split at their own initiative start" in comparison.split_note(study)


def test_indicators_come_from_the_data_contract():
    assert comparison.AUDIT_INDICATORS is contract.AUDIT_INDICATORS
    assert comparison.OBSERVATION_INDICATORS is contract.OBSERVATION_INDICATORS
