"""srim_analysis.analyses.survey_models: the ordinal model of an outcome and its linear check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime

from srim_analysis.analyses import survey, survey_model_tables, survey_models
from tests.analyses.test_survey import AGREE, make_items


def fit_planted() -> tuple[pd.DataFrame, pd.DataFrame, survey_models.ModelResult]:
    """Return (responses, items, ordinal model) of the simulated study with planted effects."""
    responses, items = simulate_confidence()
    result = survey_models.fit_ordinal_model(
        responses, items, "CONF1", factors=["trained_2024", "manager_support", "agency"]
    )
    return responses, items, result


TRUE_OR_TRAINED = 2.5


TRUE_OR_SUPPORT = 1.4


TRUE_CUTS = np.array([-0.5, 1.0, 2.5, 3.8])


def simulate_confidence(n: int = 600, seed: int = 20240501, proportional: bool = True):
    """Return (responses, items) from a proportional-odds model with known odds ratios."""
    rng = np.random.default_rng(seed)
    trained = rng.integers(0, 2, n)
    support = rng.integers(1, 6, n)
    agency = rng.choice(["social_care", "police", "health_visiting"], n, p=[0.5, 0.3, 0.2])
    eta = np.log(TRUE_OR_TRAINED) * trained + np.log(TRUE_OR_SUPPORT) * support
    latent = eta + rng.logistic(size=n)
    if proportional:
        y = 1 + (latent[:, None] > TRUE_CUTS).sum(axis=1)
    else:
        # Training only moves people across the top cut: not proportional odds.
        base = np.log(TRUE_OR_SUPPORT) * support + rng.logistic(size=n)
        y = 1 + (base[:, None] > TRUE_CUTS).sum(axis=1)
        y = np.where((trained == 1) & (y == 4) & (rng.random(n) < 0.8), 5, y)
    conf1 = y.astype(str).astype(object)
    second = np.clip(y + rng.integers(-1, 2, n), 1, 5).astype(str).astype(object)
    conf1[:20] = "dk"
    conf1[20:25] = "na"
    conf1[25:35] = None
    support_col = pd.array(support, dtype="Int64")
    support_col[40:55] = pd.NA
    responses = pd.DataFrame(
        {
            "respondent_id": [f"r{i:03d}" for i in range(n)],
            "site_id": rng.choice(["site_a", "site_b"], n),
            "agency": agency,
            "role": "practitioner",
            "years_in_role": rng.choice(["<2", "2-5", "6-10", ">10"], n),
            "trained_2024": pd.array(trained, dtype="Int64"),
            "read_advice_2024": pd.array(rng.integers(0, 2, n), dtype="Int64"),
            "manager_support": support_col,
            "CONF1": conf1,
            "CONF2": second,
        }
    )
    items = make_items([("CONF1", "confidence", 0), ("CONF2", "confidence", 0)])
    return responses, items


@pytest.fixture(scope="module")
def planted():
    return fit_planted()


def test_ordinal_model_recovers_planted_odds_ratios(planted):
    _, _, result = planted
    est = result.estimates
    for term, true in (("trained_2024", TRUE_OR_TRAINED), ("manager_support", TRUE_OR_SUPPORT)):
        row = est.loc[term]
        assert row["ci_low"] < true < row["ci_high"], term
        assert abs(row["estimate"] / true - 1) < 0.25, term
    assert est.loc["trained_2024", "kind"] == "binary"
    assert est.loc["manager_support", "kind"] == "numeric"
    # Agency has no true effect: its odds ratios stay near 1.
    for term in ("agency[police]", "agency[health_visiting]"):
        assert 0.6 < est.loc[term, "estimate"] < 1.6


def test_thresholds_are_converted_to_the_cut_points(planted):
    _, _, result = planted
    raw = result.fit.params.to_numpy()[-4:]
    # statsmodels: first threshold as is, later ones as log-increments.
    manual = np.cumsum(np.concatenate([raw[:1], np.exp(raw[1:])]))
    th = result.thresholds
    assert th["threshold"].to_numpy() == pytest.approx(manual)
    assert th["threshold"].to_numpy() == pytest.approx(TRUE_CUTS, abs=0.4)
    assert ((th["ci_low"] < TRUE_CUTS) & (th["ci_high"] > TRUE_CUTS)).all()
    assert th.index[0] == "Strongly disagree | Disagree"
    assert list(th["above"]) == AGREE.split("|")[1:]


def test_missing_data_is_counted_by_reason(planted):
    responses, _, result = planted
    dropped = result.dropped.set_index("reason")["n"]
    assert dropped["answered 'don't know' to CONF1"] == 20
    assert dropped["answered 'not applicable' to CONF1"] == 5
    assert dropped["gave no answer to CONF1"] == 10
    assert dropped["had no answer for 'Manager support (1-5)'"] == 15
    assert result.n_total == len(responses) == 600
    assert result.n_used == 600 - 50
    statement = result.missing_data_statement()
    assert "550 of 600" in statement and "20 answered 'don't know' to CONF1" in statement


def test_reference_levels_are_stated_and_settable():
    responses, items = simulate_confidence(n=300, seed=9)
    default = survey_models.fit_ordinal_model(
        responses,
        items,
        "CONF1",
        factors=["agency", "years_in_role"],
        check_proportional_odds=False,
    )
    assert default.references == {"agency": "social_care", "years_in_role": "<2"}
    assert "agency[social_care]" not in default.estimates.index
    assert default.estimates.loc["agency[police]", "label"] == (
        "Agency: Police (vs Children's social care)"
    )
    chosen = survey_models.fit_ordinal_model(
        responses,
        items,
        "CONF1",
        factors=["agency"],
        reference={"agency": "police"},
        check_proportional_odds=False,
    )
    assert chosen.references["agency"] == "police"
    assert "agency[social_care]" in chosen.estimates.index
    with pytest.raises(ValueError, match="Reference level"):
        survey_models.fit_ordinal_model(
            responses, items, "CONF1", factors=["agency"], reference={"agency": "probation"}
        )


def test_brant_test_passes_proportional_data(planted):
    _, _, result = planted
    po = result.proportional_odds
    assert po.loc["all factors (omnibus)", "df"] == 3 * 4  # (cuts - 1) x terms
    assert po.loc["all factors (omnibus)", "p_value"] > 0.05
    assert result.proportional_odds_by_cut.shape == (4, 4)
    assert "Brant" in result.proportional_odds_method


def test_brant_test_flags_non_proportional_effect():
    responses, items = simulate_confidence(n=800, seed=77, proportional=False)
    result = survey_models.fit_ordinal_model(
        responses, items, "CONF1", factors=["trained_2024", "manager_support"]
    )
    po = result.proportional_odds
    assert po.loc["trained_2024", "p_value"] < 0.001
    by_cut = result.proportional_odds_by_cut.loc["trained_2024"]
    assert by_cut.iloc[-1] > 3 * by_cut.iloc[0]  # the effect sits at the top cut
    assert "differ across the answer scale" in survey_model_tables.summarise_factors(result)


def test_ols_sensitivity_on_scale_score(planted):
    responses, items, _ = planted
    result = survey_models.fit_scale_ols(
        responses,
        items,
        "confidence",
        factors=["trained_2024", "manager_support"],
        min_items_answered=2,
    )
    est = result.estimates
    assert est.loc["trained_2024", "estimate"] > 0
    assert est.loc["trained_2024", "ci_low"] > 0
    assert result.effect_measure == "difference in mean score"
    dropped = result.dropped.set_index("reason")["n"]
    # CONF1 not a number for 35 respondents: with two items required they have no score.
    assert dropped.iloc[0] == 35
    assert "answered fewer than 2 of its 2 items" in dropped.index[0]
    assert result.n_used == 600 - 35 - 15
    scores = survey.scale_scores(responses, items, 2)["confidence"]
    assert result.fit.nobs == result.n_used
    assert np.isnan(scores.iloc[0])


def test_unused_outcome_levels_are_dropped_and_noted():
    rng = np.random.default_rng(4)
    n = 200
    trained = rng.integers(0, 2, n)
    y = np.clip(2 + trained + rng.integers(0, 3, n), 2, 5)  # nobody answers 1
    responses = pd.DataFrame(
        {"trained_2024": pd.array(trained, dtype="Int64"), "CONF1": y.astype(str)}
    )
    items = make_items([("CONF1", "confidence", 0)])
    result = survey_models.fit_ordinal_model(responses, items, "CONF1", factors=["trained_2024"])
    assert len(result.thresholds) == 3
    assert list(result.thresholds["below"]) == ["Disagree", "Neither agree nor disagree", "Agree"]
    assert any("Nobody in the model chose 'Strongly disagree'" in n for n in result.notes)
    # Untrained people never answer 5 and trained never 2: separate logits at those cuts
    # separate perfectly, so the Brant test is not reported, and a note says why.
    assert result.proportional_odds is None
    assert any("could not be computed" in n for n in result.notes)
    assert "could not be computed" in survey_model_tables.summarise_factors(result)


def test_brant_falls_back_to_numeric_factors_when_a_category_separates():
    responses, items = simulate_confidence(n=600, seed=31)
    conf = pd.to_numeric(responses["CONF1"], errors="coerce")
    # Nobody at "probation" answers 1: its dummy separates the lowest cut perfectly.
    small = conf.isin([2, 3, 4]).to_numpy() & (np.arange(600) % 25 == 0)
    responses.loc[small, "agency"] = "probation"
    result = survey_models.fit_ordinal_model(
        responses, items, "CONF1", factors=["trained_2024", "manager_support", "agency"]
    )
    po = result.proportional_odds
    assert po is not None
    assert list(po.index) == ["all factors (omnibus)", "trained_2024", "manager_support"]
    assert "reduced model" in result.proportional_odds_method
    assert any("numeric and yes/no factors only" in n for n in result.notes)


def test_ordered_logit_with_exact_score_matches_statsmodels():
    rng = np.random.default_rng(7)
    n = 600
    x = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 2, n).astype(float),
            "g2": (rng.random(n) < 0.3).astype(float),
        }
    )
    latent = 0.8 * x["a"] - 0.5 * x["b"] + 0.4 * x["g2"] + rng.logistic(size=n)
    y = pd.cut(latent, [-np.inf, -1.5, 0.0, 1.0, 2.5, np.inf], labels=list("12345"))
    endog = pd.Series(pd.Categorical(y, ordered=True), index=x.index)
    ours = survey_models.ordered_logit(endog, x)
    theirs = OrderedModel(endog, x, distr="logit")
    start = np.r_[0.3, -0.2, 0.1, -1.0, 0.2, -0.1, 0.3]
    # the exact score agrees with statsmodels' numerical derivative of the log-likelihood
    assert ours.score(start) == pytest.approx(theirs.score(start), rel=1e-5, abs=1e-6)
    # and the exact Hessian agrees with the numerical derivative of the exact score
    numeric = approx_fprime(start, ours.score, centered=True)
    assert ours.hessian(start) == pytest.approx(numeric, rel=1e-5, abs=1e-4)
    fit_ours = ours.fit(method="bfgs", disp=False, maxiter=5000)
    fit_theirs = theirs.fit(method="bfgs", disp=False, maxiter=5000)
    assert fit_ours.params.to_numpy() == pytest.approx(fit_theirs.params.to_numpy(), abs=1e-4)
    assert fit_ours.bse.to_numpy() == pytest.approx(fit_theirs.bse.to_numpy(), rel=1e-3)
    assert fit_ours.params["a"] == pytest.approx(0.8, abs=0.15)  # the planted slope


def test_a_construct_of_several_items_is_modelled_on_its_rounded_mean():
    responses, items = simulate_confidence(n=600, seed=11)
    answer = survey_models.ordinal_outcome(responses, items, "confidence", min_items_answered=2)
    num = survey.numeric_items(responses, items, ["CONF1", "CONF2"])
    mean = num.mean(axis=1).where(num.notna().all(axis=1))
    assert answer.values.to_numpy() == pytest.approx(np.floor(mean + 0.5).to_numpy(), nan_ok=True)
    halves = mean[(mean % 1) == 0.5]
    assert len(halves) and (answer.values[halves.index] == halves + 0.5).all()  # halves up
    assert answer.status is None and "halves rounded up" in answer.rule
    result = survey_models.fit_ordinal_model(
        responses, items, "confidence", factors=["trained_2024"], min_items_answered=2
    )
    assert result.outcome == "confidence" and "rounded" in result.outcome_rule
    dropped = result.dropped.set_index("reason")["n"]
    assert dropped.index[0] == "had no confidence score (rated fewer than 2 of its 2 items)"
    assert dropped.iloc[0] == int(mean.isna().sum())
    # the rounded mean still carries the planted training effect
    assert result.estimates.loc["trained_2024", "ci_low"] > 1
    # a one-item construct is modelled on its item's answers, named by the item
    one = items[items["item_id"] == "CONF1"]
    single = survey_models.ordinal_outcome(responses, one, "confidence")
    assert single.name == "CONF1" and single.status is not None and single.rule == ""
    with pytest.raises(ValueError, match="Not a construct or item"):
        survey_models.ordinal_outcome(responses, items, "nothing")
