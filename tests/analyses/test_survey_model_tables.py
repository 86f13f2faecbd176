"""srim_analysis.analyses.survey_model_tables: notebook 03's models, their tables, summary."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from srim_analysis.analyses import survey_model_tables, survey_models
from srim_analysis.study.loading import load_study
from tests.analyses.test_survey import make_items
from tests.analyses.test_survey_models import fit_planted
from tests.analyses.test_survey_tables import rename_survey

SMALL_SITE = "S08"  # Harrowmere: 13 respondents, 8 participants
PLANTED = {"trained_2024": 2.5, "read_advice_2024": 1.5, "manager_support": 1.3}
#: study/synthetic.py plants awareness = trait + 0.9 x read + 0.4 x trained (+ noise) on
#: every awareness item, and nothing on manager support.
AWARENESS_UP = ("read_advice_2024", "trained_2024")


@pytest.fixture(scope="module")
def planted():
    return fit_planted()


# ---------------------------------------------------------------------------
# The models of the shipped synthetic study
# ---------------------------------------------------------------------------


def test_planted_odds_ratios_recovered_within_their_intervals(study):
    outcome = survey_model_tables.ordinal_model(
        study, "confidence", "all"
    )  # what the notebook's model section fits
    assert outcome.estimated, outcome.reason
    table = survey_model_tables.model_table(outcome.result).set_index("term")
    for term, true_or in PLANTED.items():
        row = table.loc[term]
        assert row["ci_low"] <= true_or <= row["ci_high"], (term, row.to_dict())
    assert table.loc["trained_2024", "ci_low"] > 1  # and clearly above no effect
    assert any(t.startswith("site_id[") for t in table.index)  # all sites: site is a factor
    assert "Harrowmere" in " ".join(table["label"])  # sites named, not ids


def test_planted_awareness_effects_recovered(study):
    outcome = survey_model_tables.ordinal_model(study, "awareness", "all")
    assert outcome.estimated, outcome.reason
    result = outcome.result
    assert result.outcome == "awareness" and "rounded" in result.outcome_rule
    est = result.estimates
    for term in AWARENESS_UP:
        assert est.loc[term, "ci_low"] > 1, term
    assert est.loc["read_advice_2024", "estimate"] > est.loc["trained_2024", "estimate"]
    assert est.loc["manager_support", "ci_low"] < 1 < est.loc["manager_support", "ci_high"]
    thresholds = survey_model_tables.thresholds_table(result)
    assert (thresholds["log_odds"].diff().dropna() > 0).all()  # converted cut points rise
    ols = survey_model_tables.ols_model(study, "awareness", "all").result
    assert ols.estimates.loc["read_advice_2024", "ci_low"] > 0


def test_an_outcome_the_plan_does_not_map_is_not_modelled(study):
    plan = replace(study.plan, survey=replace(study.plan.survey, outcomes={}))
    unmapped = replace(study, plan=plan)
    for fit in (survey_model_tables.ordinal_model, survey_model_tables.ols_model):
        outcome = fit(unmapped, "awareness", "all")
        assert not outcome.estimated and outcome.construct is None
        assert "study.toml" in outcome.reason and "[survey.outcomes]" in outcome.reason


def test_renamed_items_and_constructs_give_the_same_models(study, tmp_path, shipped_dir):
    folder = tmp_path / "renamed"
    shutil.copytree(shipped_dir, folder)
    item_map, construct_map = rename_survey(folder)
    other = load_study(folder)
    for role in ("awareness", "confidence"):
        for fit in (survey_model_tables.ordinal_model, survey_model_tables.ols_model):
            mine, theirs = fit(study, role, "all"), fit(other, role, "all")
            assert mine.estimated and theirs.estimated, (role, theirs.reason)
            a = survey_model_tables.model_table(mine.result)
            b = survey_model_tables.model_table(theirs.result)
            pd.testing.assert_frame_equal(a, b)
            assert theirs.construct == construct_map[mine.construct]
            x = survey_model_tables.dropped_table(mine.result)
            y = survey_model_tables.dropped_table(theirs.result)
            assert x["n"].tolist() == y["n"].tolist()
        th = survey_model_tables.thresholds_table(fit(other, role, "all").result)
        assert th is None or len(th)
    mine = survey_model_tables.ordinal_model(study, "confidence", "all").result
    theirs = survey_model_tables.ordinal_model(other, "confidence", "all").result
    assert theirs.outcome == item_map[mine.outcome]  # a one-item outcome: its item
    pd.testing.assert_frame_equal(
        survey_model_tables.thresholds_table(mine), survey_model_tables.thresholds_table(theirs)
    )


def test_site_model_drops_the_site_factor_and_thins_to_what_the_n_supports(study):
    outcome = survey_model_tables.ordinal_model(study, "confidence", "S01")
    assert outcome.estimated, outcome.reason
    assert "site_id" not in outcome.factors
    assert not any(t.startswith("site_id") for t in outcome.result.estimates.index)
    terms = len(outcome.result.estimates)
    assert outcome.result.n_used >= survey_model_tables.MIN_PER_TERM * terms
    assert "single site" in " ".join(outcome.notes)


def test_small_site_model_is_explained_not_failed(study):
    for outcome in (
        survey_model_tables.ordinal_model(study, "confidence", SMALL_SITE),
        survey_model_tables.ols_model(study, "confidence", SMALL_SITE),
        survey_model_tables.ordinal_model(study, "awareness", SMALL_SITE),
    ):
        assert not outcome.estimated
        assert "respondents" in outcome.reason and "needed" in outcome.reason
        assert outcome.where == "Harrowmere"


def test_model_tables_of_the_synthetic_study(study):
    result = survey_model_tables.ordinal_model(study, "confidence", "all").result
    dropped = survey_model_tables.dropped_table(result)
    assert list(dropped["group"])[-2:] == ["used in the model", "All"]
    assert set(dropped["outcome"]) == {"CONF1"}
    assert dropped["n"].iloc[-1] == result.n_total
    assert dropped["n"].iloc[:-1].sum() == result.n_total
    thresholds = survey_model_tables.thresholds_table(result)
    assert {"log_odds", "ci_low", "ci_high", "below", "above"} <= set(thresholds.columns)
    po = survey_model_tables.proportional_odds_table(result)
    assert po["term"].iloc[0] == "all factors (omnibus)" and "label" in po.columns
    predicted = survey_model_tables.predicted_answers(result)
    assert list(predicted["profile"]) == ["Not trained on the 2024 advice", "Trained"]
    assert predicted.drop(columns="profile").sum(axis=1).round(0).eq(100).all()
    shown = survey_model_tables.estimates_view(survey_model_tables.model_table(result))
    assert "term" not in shown.columns and "odds_ratio" in shown.columns
    ols = survey_model_tables.ols_model(study, "confidence", "all").result
    assert survey_model_tables.thresholds_table(ols) is None
    assert "difference" in survey_model_tables.model_table(ols).columns


# ---------------------------------------------------------------------------
# The plain-English summary
# ---------------------------------------------------------------------------


def test_summary_sentence_quotes_estimates(planted):
    _, _, result = planted
    text = survey_model_tables.summarise_factors(
        result, outcome_phrase="reporting higher confidence"
    )
    row = result.estimates.loc["trained_2024"]
    assert (
        f"Practitioners trained on the 2024 advice had {row['estimate']:.2f} times the odds "
        f"(95% CI {row['ci_low']:.2f} to {row['ci_high']:.2f}) of reporting higher confidence"
    ) in text
    assert "Each extra point of manager support" in text
    assert "550 of 600" in text
    assert "found no clear sign" in text


def test_summary_when_nothing_is_clear():
    rng = np.random.default_rng(1)
    n = 120
    responses = pd.DataFrame(
        {
            "trained_2024": pd.array(rng.integers(0, 2, n), dtype="Int64"),
            "CONF1": rng.integers(1, 6, n).astype(str),
        }
    )
    items = make_items([("CONF1", "confidence", 0)])
    result = survey_models.fit_ordinal_model(responses, items, "CONF1", factors=["trained_2024"])
    text = survey_model_tables.summarise_factors(result)
    if result.estimates["ci_low"].iloc[0] < 1 < result.estimates["ci_high"].iloc[0]:
        assert text.startswith("No factor term had a 95% confidence interval")
        assert "may be chance" in text


def test_ols_summary_states_lower_scores_with_positive_interval(planted):
    responses, items, _ = planted
    flipped = responses.assign(untrained=1 - responses["trained_2024"])
    result = survey_models.fit_scale_ols(
        flipped, items, "confidence", factors=["untrained"], min_items_answered=2
    )
    row = result.estimates.loc["untrained"]
    assert row["estimate"] < 0 and row["ci_high"] < 0
    text = survey_model_tables.summarise_factors(result)
    assert (
        f"scored {abs(row['estimate']):.2f} points lower on the confidence scale "
        f"(95% CI {-row['ci_high']:.2f} to {-row['ci_low']:.2f} lower)"
    ) in text
