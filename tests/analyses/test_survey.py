"""srim_analysis.analyses.survey: answers, scale scores, reliability, group tests, models."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from srim_analysis.analyses import survey

AGREE = "Strongly disagree|Disagree|Neither agree nor disagree|Agree|Strongly agree"


def make_items(rows: list[tuple[str, str, int]], labels: str = AGREE, lo: int = 1, hi: int = 5):
    """Return a survey_items table from (item_id, construct, reverse_keyed) triples."""
    return pd.DataFrame(
        {
            "item_id": [r[0] for r in rows],
            "construct": [r[1] for r in rows],
            "wording": [f"Wording of {r[0]}" for r in rows],
            "reverse_keyed": [r[2] for r in rows],
            "scale_min": [lo] * len(rows),
            "scale_max": [hi] * len(rows),
            "labels": [labels] * len(rows),
            "allows_dont_know": [1] * len(rows),
            "allows_not_applicable": [1] * len(rows),
        }
    )


@pytest.fixture
def items() -> pd.DataFrame:
    return make_items(
        [
            ("AW1", "awareness", 0),
            ("AW2", "awareness", 0),
            ("AW3", "awareness", 0),
            ("FS1", "fear_of_sanction", 1),
            ("FS2", "fear_of_sanction", 1),
        ]
    )


@pytest.fixture
def responses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3", "r4", "r5"],
            "agency": ["police", "police", "housing", "police", "housing"],
            "AW1": ["5", "4", "dk", None, "1"],
            "AW2": ["4", "na", "dk", None, "2"],
            "AW3": ["3", "4", "2", None, "na"],
            "FS1": ["1", "2", "5", "4", None],
            "FS2": ["2", "dk", "4", None, None],
        }
    )


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


def test_item_info_reads_labels_and_rejects_wrong_count():
    info = survey.item_info(make_items([("A", "c", 0)]))
    assert info["A"].labels[0] == "Strongly disagree"
    assert info["A"].values == (1, 2, 3, 4, 5)
    with pytest.raises(ValueError, match="3 labels given"):
        survey.item_info(make_items([("A", "c", 0)], labels="No|Maybe|Yes"))


def test_likert_frame_is_ordered_with_labels(items, responses):
    frame = survey.likert_frame(responses, items)
    assert list(frame.index) == ["r1", "r2", "r3", "r4", "r5"]
    col = frame["AW1"]
    assert col.cat.ordered
    assert list(col.cat.categories) == AGREE.split("|")
    assert col.loc["r1"] == "Strongly agree"
    assert col.loc["r1"] > col.loc["r2"]  # ordered comparison works
    assert col.isna().tolist() == [False, False, True, True, False]


def test_dont_know_and_not_applicable_are_kept_apart_from_missing(items, responses):
    status = survey.answer_status(responses, items)
    assert status.loc["r3", "AW1"] == survey.DONT_KNOW_STATUS
    assert status.loc["r2", "AW2"] == survey.NOT_APPLICABLE_STATUS
    assert status.loc["r4", "AW1"] == survey.MISSING
    counts = survey.response_counts(responses, items)
    aw2 = counts.loc["AW2"]
    # AW2 = ["4", "na", "dk", None, "2"]: 2 answered, 1 dk, 1 na, 1 missing.
    assert tuple(int(v) for v in aw2[["n_answered", "n_dont_know", "n_not_applicable"]]) == (
        2,
        1,
        1,
    )
    assert int(aw2["n_missing"]) == 1
    assert (counts["n_total"] == 5).all()
    by = survey.response_counts(responses, items, by="agency")
    assert int(by.loc[("AW1", "housing"), "n_dont_know"]) == 1
    assert int(by.loc[("AW1", "police"), "n_missing"]) == 1


def test_bad_answers_raise_plain_errors(items, responses):
    bad = responses.copy()
    bad.loc[0, "AW1"] = "7"
    with pytest.raises(ValueError, match="AW1: 1 answer"):
        survey.likert_frame(bad, items)
    no_dk = items.copy()
    no_dk["allows_dont_know"] = 0
    with pytest.raises(ValueError, match="does not offer 'don't know'"):
        survey.numeric_items(responses, no_dk)


def test_numeric_answers_accept_numbers_and_numeric_text(items):
    resp = pd.DataFrame({"AW1": [5, 4.0, "3", " 2 ", np.nan]})
    values = survey.numeric_items(resp, items, ["AW1"])["AW1"]
    assert values.tolist()[:4] == [5.0, 4.0, 3.0, 2.0]
    assert np.isnan(values.iloc[4])


def test_reverse_keying(items, responses):
    num = survey.numeric_items(responses, items)
    # FS1 is reverse keyed on 1-5: x -> 6 - x.
    assert num["FS1"].tolist()[:4] == [5.0, 4.0, 1.0, 2.0]
    assert num["AW1"].tolist()[:2] == [5.0, 4.0]  # not reverse keyed: unchanged
    raw = survey.numeric_items(responses, items, reverse=False)
    assert raw["FS1"].tolist()[:4] == [1.0, 2.0, 5.0, 4.0]
    # A 0-10 scale reverses as 10 - x.
    ten = make_items([("T", "c", 1)], labels="", lo=0, hi=10)
    out = survey.numeric_items(pd.DataFrame({"T": ["0", "3", "10"]}), ten)
    assert out["T"].tolist() == [10.0, 7.0, 0.0]


# ---------------------------------------------------------------------------
# Scale scores
# ---------------------------------------------------------------------------


def test_scale_scores_min_answered_rule_and_report(items, responses):
    scores = survey.scale_scores(responses, items, min_items_answered=2)
    # awareness: r1 (5,4,3) -> 4; r2 (4, na, 4) -> 4; r3 (dk, dk, 2) one item -> fails;
    # r4 nothing answered; r5 (1, 2, na) -> 1.5.
    aw = scores["awareness"]
    assert aw.loc["r1"] == pytest.approx(4.0)
    assert aw.loc["r2"] == pytest.approx(4.0)
    assert np.isnan(aw.loc["r3"]) and np.isnan(aw.loc["r4"])
    assert aw.loc["r5"] == pytest.approx(1.5)
    # fear_of_sanction is reverse keyed: r1 (1, 2) -> (5, 4) -> 4.5; r3 (5, 4) -> (1, 2).
    fs = scores["fear_of_sanction"]
    assert fs.loc["r1"] == pytest.approx(4.5)
    assert fs.loc["r3"] == pytest.approx(1.5)
    assert np.isnan(fs.loc["r2"])  # one item answered (FS2 is dk)
    report = survey.scale_score_report(responses, items, min_items_answered=2)
    assert report.loc["awareness"].to_dict() == {
        "n_items": 3,
        "min_items_required": 2,
        "n_respondents": 5,
        "n_scored": 3,
        "n_failed_rule": 1,
        "n_no_items_answered": 1,
        "n_not_scored": 2,
    }
    assert report.loc["fear_of_sanction", "n_failed_rule"] == 2  # r2 and r4
    assert report.loc["fear_of_sanction", "n_no_items_answered"] == 1  # r5
    pd.testing.assert_frame_equal(scores.attrs["report"], report)


def test_min_answered_as_fraction_and_per_construct(items, responses):
    half = survey.scale_score_report(responses, items, min_items_answered=0.5)
    assert half.loc["awareness", "min_items_required"] == 2  # ceil(0.5 * 3)
    assert half.loc["fear_of_sanction", "min_items_required"] == 1
    every = survey.scale_score_report(responses, items, min_items_answered=1.0)
    assert every.loc["awareness", "min_items_required"] == 3
    mapped = survey.scale_scores(responses, items, {"awareness": 1, "fear_of_sanction": 2})
    assert mapped["awareness"].loc["r3"] == pytest.approx(2.0)  # one item is enough
    with pytest.raises(ValueError, match="positive"):
        survey.scale_scores(responses, items, 0)


def test_scale_scores_refuse_mixed_scales(responses):
    mixed = pd.concat(
        [
            make_items([("AW1", "awareness", 0)]),
            make_items([("AW2", "awareness", 0)], hi=4, labels="a|b|c|d"),
        ]
    )
    with pytest.raises(ValueError, match="different scales"):
        survey.scale_scores(responses, mixed)


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


def test_alpha_matches_hand_computation():
    """Hand computation, k = 3 items, n = 5 respondents.

    i1 = 2 3 3 4 5 (variance 1.3); i2 = 1 3 2 4 5 (variance 2.5); i3 = 2 2 3 5 4
    (variance 1.7); sum of item variances 5.5. Totals 5 8 8 13 14 (variance 14.3).
    alpha = 3/2 * (1 - 5.5/14.3) = 3/2 * 8/13 = 12/13 = 0.923077.
    """
    resp = pd.DataFrame(
        {
            "i1": ["2", "3", "3", "4", "5"],
            "i2": ["1", "3", "2", "4", "5"],
            "i3": ["2", "2", "3", "5", "4"],
        }
    )
    table = survey.reliability(resp, {"scale": ["i1", "i2", "i3"]})
    row = table.loc["scale"]
    assert row["alpha"] == pytest.approx(12 / 13, abs=1e-9)
    assert (row["n_items"], row["n_respondents"], row["nan_policy"]) == (3, 5, "pairwise")
    # Feldt interval with df1 = n - 1 = 4 and df2 = (n - 1)(k - 1) = 8.
    low = 1 - (1 - 12 / 13) * stats.f.isf(0.025, 4, 8)
    high = 1 - (1 - 12 / 13) * stats.f.isf(0.975, 4, 8)
    assert row["ci_low"] == pytest.approx(low, abs=1e-3)
    assert row["ci_high"] == pytest.approx(high, abs=1e-3)


def test_alpha_matches_published_values_on_public_data():
    """Public data sets shipped inside the ``pingouin`` package (pingouin.read_dataset).

    * ``cronbach_alpha``: a questionnaire of 10 items rated 1-7 by 15 people, from
      www.real-statistics.com (Cronbach's alpha page). pingouin's documentation of
      ``cronbach_alpha`` publishes alpha = 0.5917188 with 95% CI [0.195, 0.840].
    * ``cronbach_wide_missing``: 12 people x 11 binary items with missing answers, from
      www.real-statistics.com. pingouin's documentation publishes alpha = 0.7326608
      (pairwise, as R ``psych::alpha(use="pairwise")``), CI [0.435, 0.909], and
      0.8016949 after listwise deletion (R ``use="complete.obs"``), CI [0.581, 0.933].
    """
    long = pg.read_dataset("cronbach_alpha")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    items = list(wide.columns)
    row = survey.reliability(wide, {"questionnaire": items}).loc["questionnaire"]
    assert row["alpha"] == pytest.approx(0.5917188, abs=1e-6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.195, 0.840), abs=1e-3)
    assert (row["n_items"], row["n_respondents"]) == (10, 15)

    missing = pg.read_dataset("cronbach_wide_missing")
    cols = list(missing.columns)
    pair = survey.reliability(missing, {"s": cols}, nan_policy="pairwise").loc["s"]
    assert pair["alpha"] == pytest.approx(0.7326608, abs=1e-6)
    assert (pair["ci_low"], pair["ci_high"]) == pytest.approx((0.435, 0.909), abs=1e-3)
    listwise = survey.reliability(missing, {"s": cols}, nan_policy="listwise").loc["s"]
    assert listwise["alpha"] == pytest.approx(0.8016949, abs=1e-6)
    # pingouin's published listwise interval [0.581, 0.933] uses n = 12, all rows, although
    # only the 9 complete rows enter alpha. We state and use the n behind the estimate, 9:
    # Feldt with df1 = 8, df2 = 8 * 10 gives [0.533, 0.947].
    assert (listwise["n_respondents"], listwise["n_complete"]) == (9, 9)
    low = 1 - (1 - 0.8016949) * stats.f.isf(0.025, 8, 80)
    high = 1 - (1 - 0.8016949) * stats.f.isf(0.975, 8, 80)
    assert (listwise["ci_low"], listwise["ci_high"]) == pytest.approx((low, high), abs=1e-3)
    assert (low, high) == pytest.approx((0.533, 0.947), abs=1e-3)
    assert pair["n_respondents"] == 12


def test_reliability_reverse_keying_and_dk():
    rng = np.random.default_rng(3)
    base = rng.integers(1, 6, size=(40, 3)).astype(float)
    base[:, 1] = np.clip(base[:, 0] + rng.integers(-1, 2, 40), 1, 5)
    base[:, 2] = np.clip(base[:, 0] + rng.integers(-1, 2, 40), 1, 5)
    flipped = pd.DataFrame(base, columns=["a", "b", "c"])
    flipped["c"] = 6 - flipped["c"]
    as_text = flipped.astype(int).astype(str).astype(object)
    as_text.loc[0, "a"] = "dk"  # don't know counts as missing
    straight = pd.DataFrame(base, columns=["a", "b", "c"])
    straight.loc[0, "a"] = np.nan
    got = survey.reliability(as_text, {"s": ["a", "b", "c"]}, reverse=["c"], scale_max=5)
    want = pg.cronbach_alpha(data=straight)[0]
    assert got.loc["s", "alpha"] == pytest.approx(want, abs=1e-12)
    # min_value: on a 0-4 coding, reversing is 4 - x.
    zero = survey.reliability(flipped - 1, {"s": ["a", "b", "c"]}, ["c"], scale_max=4, min_value=0)
    want_full = pg.cronbach_alpha(data=pd.DataFrame(base, columns=["a", "b", "c"]))[0]
    assert zero.loc["s", "alpha"] == pytest.approx(want_full, abs=1e-12)
    with pytest.raises(ValueError, match="scale_max"):
        survey.reliability(as_text, {"s": ["a", "b", "c"]}, reverse=["c"])
    single = survey.reliability(straight, {"one": ["a"]})
    assert np.isnan(single.loc["one", "alpha"]) and "single item" in single.loc["one", "note"]


def test_item_statistics_corrected_item_total_and_alpha_if_deleted():
    rng = np.random.default_rng(11)
    f = rng.normal(size=200)
    data = pd.DataFrame(
        {
            f"q{i}": np.round(3 + f * w + rng.normal(size=200))
            for i, w in enumerate([1.0, 0.8, 0.6, 0.1])
        }
    )
    data.iloc[5, 2] = np.nan
    stats_ = survey.item_statistics(data, {"s": list(data.columns)}, nan_policy="listwise")
    complete = data.dropna()
    for item in data.columns:
        rest = complete.drop(columns=item)
        r = np.corrcoef(complete[item], rest.sum(axis=1))[0, 1]
        assert stats_.loc[("s", item), "item_total_r"] == pytest.approx(r, abs=1e-12)
        alpha_rest = pg.cronbach_alpha(data=rest)[0]
        assert stats_.loc[("s", item), "alpha_if_deleted"] == pytest.approx(alpha_rest, abs=1e-12)
        assert stats_.loc[("s", item), "n"] == len(complete)
    assert "weak item-total" in stats_.loc[("s", "q3"), "flag"]


def test_construct_reliability_uses_survey_items(items, responses):
    table, item_stats = survey.construct_reliability(responses, items, nan_policy="pairwise")
    assert list(table.index) == ["awareness", "fear_of_sanction"]
    assert bool(item_stats.loc[("fear_of_sanction", "FS1"), "reversed"])
    num = survey.numeric_items(responses, items)
    want = pg.cronbach_alpha(data=num[["AW1", "AW2", "AW3"]].dropna(how="all"))[0]
    assert table.loc["awareness", "alpha"] == pytest.approx(want)


def test_omega_recovers_congeneric_reliability():
    rng = np.random.default_rng(7)
    n = 20000
    loadings = np.array([0.9, 0.7, 0.6, 0.4])
    uniques = np.array([0.5, 0.8, 1.0, 1.2])
    f = rng.normal(size=n)
    x = f[:, None] * loadings + rng.normal(size=(n, 4)) * np.sqrt(uniques)
    true_omega = loadings.sum() ** 2 / (loadings.sum() ** 2 + uniques.sum())
    data = pd.DataFrame(x, columns=list("abcd"))
    omega = survey.mcdonald_omega(data)
    assert omega == pytest.approx(true_omega, abs=0.01)
    table = survey.reliability(data, {"s": list("abcd")})
    assert table.loc["s", "omega_total"] == pytest.approx(omega)
    assert table.loc["s", "alpha"] < omega  # alpha is a lower bound when loadings differ
    assert np.isnan(survey.mcdonald_omega(data[["a", "b"]]))


# ---------------------------------------------------------------------------
# Group comparisons
# ---------------------------------------------------------------------------


def test_holm_matches_statsmodels():
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 0.2, 12)
    assert survey.holm_adjust(p) == pytest.approx(multipletests(p, method="holm")[1])
    with_nan = np.array([0.01, np.nan, 0.02, 0.04])
    out = survey.holm_adjust(with_nan)
    assert np.isnan(out[1])
    assert out[[0, 2, 3]] == pytest.approx(multipletests([0.01, 0.02, 0.04], method="holm")[1])


@pytest.fixture
def grouped():
    rng = np.random.default_rng(2024)
    n = 160
    trained = rng.integers(0, 2, n)
    agency = rng.choice(["social_care", "police", "health_visiting"], n)
    agency[:6] = "housing"  # a small group, below min_cell
    score = 3 + 0.8 * trained + rng.normal(scale=0.7, size=n)
    responses = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "agency": agency,
            "trained_2024": pd.array(trained, dtype="Int64"),
        }
    )
    scores = pd.DataFrame({"confidence": score}, index=responses["respondent_id"])
    return scores, responses


def test_compare_groups_tests_effect_sizes_and_holm(grouped):
    scores, responses = grouped
    table = survey.compare_groups(scores, responses, by=["agency", "trained_2024"], min_cell=10)
    agency = table.set_index("by").loc["agency"]
    assert agency["test"] == "Kruskal-Wallis H"
    assert agency["k"] == 3
    assert "housing" not in agency["groups"].lower()
    assert "Housing" in agency["excluded"] and "fewer than 10" in agency["excluded"]
    kept = responses["agency"] != "housing"
    assert agency["n"] == int(kept.sum())
    samples = [
        scores["confidence"][(responses["agency"] == a).to_numpy()]
        for a in ["health_visiting", "police", "social_care"]
    ]
    h = stats.kruskal(*samples).statistic
    assert agency["statistic"] == pytest.approx(h)
    assert agency["effect_size"] == pytest.approx(h / (agency["n"] - 1))

    trained = table.set_index("by").loc["trained_2024"]
    assert trained["test"] == "Mann-Whitney U"
    assert (trained["group_1"], trained["group_2"]) == ("0", "1")
    a = scores["confidence"][(responses["trained_2024"] == 0).to_numpy()].to_numpy()
    b = scores["confidence"][(responses["trained_2024"] == 1).to_numpy()].to_numpy()
    # Brute-force rank-biserial: P(trained > untrained) - P(untrained > trained).
    diff = b[:, None] - a[None, :]
    brute = (np.sum(diff > 0) - np.sum(diff < 0)) / diff.size
    assert trained["effect_size"] == pytest.approx(brute)
    assert trained["effect_size"] > 0.3  # trained score higher: positive sign
    assert table["p_holm"].to_numpy() == pytest.approx(
        multipletests(table["p_value"], method="holm")[1]
    )


def test_rank_biserial_sign_flips_with_direction(grouped):
    scores, responses = grouped
    flipped = -scores
    table = survey.compare_groups(flipped, responses, by=["trained_2024"])
    assert table.loc[0, "effect_size"] < -0.3


def test_compare_groups_reports_untestable(grouped):
    scores, responses = grouped
    table = survey.compare_groups(scores, responses, by=["agency"], min_cell=100)
    assert table.loc[0, "test"] == "not tested"
    assert np.isnan(table.loc[0, "p_value"]) and np.isnan(table.loc[0, "p_holm"])
    assert "fewer than two groups" in table.loc[0, "note"]


# ---------------------------------------------------------------------------
# Ordinal model of confidence
# ---------------------------------------------------------------------------

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
    responses, items = simulate_confidence()
    result = survey.fit_confidence_model(
        responses, items, factors=["trained_2024", "manager_support", "agency"]
    )
    return responses, items, result


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
    default = survey.fit_confidence_model(
        responses, items, factors=["agency", "years_in_role"], check_proportional_odds=False
    )
    assert default.references == {"agency": "social_care", "years_in_role": "<2"}
    assert "agency[social_care]" not in default.estimates.index
    assert default.estimates.loc["agency[police]", "label"] == (
        "Agency: Police (vs Children's social care)"
    )
    chosen = survey.fit_confidence_model(
        responses,
        items,
        factors=["agency"],
        reference={"agency": "police"},
        check_proportional_odds=False,
    )
    assert chosen.references["agency"] == "police"
    assert "agency[social_care]" in chosen.estimates.index
    with pytest.raises(ValueError, match="Reference level"):
        survey.fit_confidence_model(
            responses, items, factors=["agency"], reference={"agency": "probation"}
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
    result = survey.fit_confidence_model(
        responses, items, factors=["trained_2024", "manager_support"]
    )
    po = result.proportional_odds
    assert po.loc["trained_2024", "p_value"] < 0.001
    by_cut = result.proportional_odds_by_cut.loc["trained_2024"]
    assert by_cut.iloc[-1] > 3 * by_cut.iloc[0]  # the effect sits at the top cut
    assert "differ across the answer scale" in survey.summarise_factors(result)


def test_ols_sensitivity_on_scale_score(planted):
    responses, items, _ = planted
    result = survey.fit_scale_ols(
        responses, items, factors=["trained_2024", "manager_support"], min_items_answered=2
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


def test_summary_sentence_quotes_estimates(planted):
    _, _, result = planted
    text = survey.summarise_factors(result)
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
    result = survey.fit_confidence_model(responses, items, factors=["trained_2024"])
    text = survey.summarise_factors(result)
    if result.estimates["ci_low"].iloc[0] < 1 < result.estimates["ci_high"].iloc[0]:
        assert text.startswith("None of the 1 factor terms")
        assert "may be chance" in text


def test_unused_outcome_levels_are_dropped_and_noted():
    rng = np.random.default_rng(4)
    n = 200
    trained = rng.integers(0, 2, n)
    y = np.clip(2 + trained + rng.integers(0, 3, n), 2, 5)  # nobody answers 1
    responses = pd.DataFrame(
        {"trained_2024": pd.array(trained, dtype="Int64"), "CONF1": y.astype(str)}
    )
    items = make_items([("CONF1", "confidence", 0)])
    result = survey.fit_confidence_model(responses, items, factors=["trained_2024"])
    assert len(result.thresholds) == 3
    assert list(result.thresholds["below"]) == ["Disagree", "Neither agree nor disagree", "Agree"]
    assert any("Nobody in the model chose 'Strongly disagree'" in n for n in result.notes)
    # Untrained people never answer 5 and trained never 2: separate logits at those cuts
    # separate perfectly, so the Brant test is not reported, and a note says why.
    assert result.proportional_odds is None
    assert any("could not be computed" in n for n in result.notes)
    assert "could not be computed" in survey.summarise_factors(result)


def test_forest_plot_artists(planted):
    _, _, result = planted
    fig = survey.forest_plot(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    ref_lines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [1.0, 1.0]]
    assert len(ref_lines) == 1
    ticks = {
        round(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    n_terms = len(result.estimates)
    assert ticks[n_terms - 1] == result.estimates["label"].iloc[0]  # first term on top
    points = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert list(points.get_xdata()) == pytest.approx(list(result.estimates["estimate"]))
    assert "n = 550 of 600" in ax.get_title(loc="left")
    ols = survey.fit_scale_ols(*planted[:2], factors=["trained_2024"])
    ax2 = survey.forest_plot(ols).axes[0]
    assert ax2.get_xscale() == "linear"


# ---------------------------------------------------------------------------
# Qualitative: barriers and facilitators
# ---------------------------------------------------------------------------


def test_barrier_facilitator_counts_distinct_participants():
    codebook = pd.DataFrame(
        {
            "code_id": ["BAR", "BAR_IT", "BAR_FEAR", "FAC", "FAC_LEAD", "GR1"],
            "parent_id": [None, "BAR", "BAR", None, "FAC", None],
            "label": ["Barriers", "IT systems", "Fear", "Facilitators", "Leadership", "Rule 1"],
            "description": [None] * 6,
            "branch": ["barriers"] * 3 + ["facilitators"] * 2 + ["golden_rules"],
            "a_priori": [1] * 6,
        }
    )
    participants = pd.DataFrame(
        {
            "participant_id": ["p1", "p2", "p3", "p4"],
            "site_id": ["s1"] * 4,
            "agency": ["police", "police", "housing", "housing"],
        }
    )
    segments = pd.DataFrame(
        {
            "segment_id": ["g1", "g2", "g3", "g4", "g5", "g6", "g7"],
            "code_id": ["BAR_IT", "BAR_IT", "BAR_IT", "BAR_FEAR", "FAC_LEAD", "BAR_IT", "GR1"],
            "site_id": ["s1"] * 7,
            "participant_id": ["p1", "p1", "p1", "p1", "p3", None, "p2"],
        }
    )
    out = survey.barrier_facilitator_counts(segments, codebook, participants, by="agency")
    assert set(out["branch"]) == {"barriers", "facilitators"}
    t = out.set_index(["code_id", "agency"])
    assert t.loc[("BAR_IT", "police"), "n_participants"] == 1  # one person, three segments
    assert t.loc[("BAR_IT", "police"), "n_segments"] == 3
    assert t.loc[("BAR_IT", "police"), "pct_participants"] == pytest.approx(50.0)
    assert t.loc[("BAR", "police"), "n_participants"] == 1  # rolled up, counted once
    assert t.loc[("BAR", "police"), "n_segments"] == 4
    assert t.loc[("BAR_IT", "(unattributed)"), "n_segments"] == 1
    assert pd.isna(t.loc[("BAR_IT", "(unattributed)"), "n_participants"])
    assert t.loc[("BAR_IT", "All"), "n_segments"] == 4
    assert t.loc[("FAC", "housing"), "n_participants"] == 1
    assert t.loc[("FAC", "All"), "n_group"] == 4
    flat = survey.barrier_facilitator_counts(segments, codebook, participants, rollup=False)
    assert flat.set_index(["code_id", "agency"]).loc[("BAR", "police"), "n_segments"] == 0
    by_site = survey.barrier_facilitator_counts(segments, codebook, participants, by="site_id")
    assert by_site.set_index(["code_id", "site_id"]).loc[("BAR", "s1"), "n_participants"] == 1


def test_brant_falls_back_to_numeric_factors_when_a_category_separates():
    responses, items = simulate_confidence(n=600, seed=31)
    conf = pd.to_numeric(responses["CONF1"], errors="coerce")
    # Nobody at "probation" answers 1: its dummy separates the lowest cut perfectly.
    small = conf.isin([2, 3, 4]).to_numpy() & (np.arange(600) % 25 == 0)
    responses.loc[small, "agency"] = "probation"
    result = survey.fit_confidence_model(
        responses, items, factors=["trained_2024", "manager_support", "agency"]
    )
    po = result.proportional_odds
    assert po is not None
    assert list(po.index) == ["all factors (omnibus)", "trained_2024", "manager_support"]
    assert "reduced model" in result.proportional_odds_method
    assert any("numeric and yes/no factors only" in n for n in result.notes)


def test_ols_summary_states_lower_scores_with_positive_interval(planted):
    responses, items, _ = planted
    flipped = responses.assign(untrained=1 - responses["trained_2024"])
    result = survey.fit_scale_ols(flipped, items, factors=["untrained"], min_items_answered=2)
    row = result.estimates.loc["untrained"]
    assert row["estimate"] < 0 and row["ci_high"] < 0
    text = survey.summarise_factors(result)
    assert (
        f"scored {abs(row['estimate']):.2f} points lower on the confidence scale "
        f"(95% CI {-row['ci_high']:.2f} to {-row['ci_low']:.2f} lower)"
    ) in text


def test_ordered_logit_with_exact_score_matches_statsmodels():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

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
    ours = survey.ordered_logit(endog, x)
    theirs = OrderedModel(endog, x, distr="logit")
    start = np.r_[0.3, -0.2, 0.1, -1.0, 0.2, -0.1, 0.3]
    # the exact score agrees with statsmodels' numerical derivative of the log-likelihood
    assert ours.score(start) == pytest.approx(theirs.score(start), rel=1e-5, abs=1e-6)
    # and the exact Hessian agrees with the numerical derivative of the exact score
    from statsmodels.tools.numdiff import approx_fprime

    numeric = approx_fprime(start, ours.score, centered=True)
    assert ours.hessian(start) == pytest.approx(numeric, rel=1e-5, abs=1e-4)
    fit_ours = ours.fit(method="bfgs", disp=False, maxiter=5000)
    fit_theirs = theirs.fit(method="bfgs", disp=False, maxiter=5000)
    assert fit_ours.params.to_numpy() == pytest.approx(fit_theirs.params.to_numpy(), abs=1e-4)
    assert fit_ours.bse.to_numpy() == pytest.approx(fit_theirs.bse.to_numpy(), rel=1e-3)
    assert fit_ours.params["a"] == pytest.approx(0.8, abs=0.15)  # the planted slope
