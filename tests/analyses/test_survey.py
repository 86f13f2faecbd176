"""srim_analysis.analyses.survey: answers, level counts, scale scores, reliability, group tests."""

from __future__ import annotations

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


def _answers(counts: dict[str, int]) -> list[object]:
    """Return a column with exactly these counts of each answer code ("blank": None)."""
    out: list[object] = []
    for code, n in counts.items():
        out += [None if code == "blank" else code] * n
    return out


def answered_items() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (responses, items): 40 respondents, three items on one 5-point scale."""
    responses = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(40)],
            "agency": ["police"] * 18 + ["social_care"] * 17 + ["housing"] * 5,
            # A1: nobody chose 1 ("Strongly disagree"); 2 dk, 4 blank
            "A1": _answers({"2": 4, "3": 8, "4": 18, "5": 4, "dk": 2, "blank": 4}),
            "A2": _answers({"1": 10, "2": 10, "3": 10, "4": 5, "5": 5}),
            "B1": _answers({"1": 2, "2": 2, "3": 4, "4": 24, "5": 2, "na": 6}),
        }
    )
    items = make_items([("A1", "aw", 0), ("A2", "aw", 0), ("B1", "lead", 0)])
    items["allows_dont_know"] = 1
    items["allows_not_applicable"] = 1
    return responses, items


def test_level_counts_keep_every_level():
    responses, items = answered_items()
    counts = survey.level_counts(responses, items, ["A1", "B1"])
    assert list(counts.columns) == [*AGREE.split("|"), "n", "n_dk_na"]
    assert counts.loc["A1", "Strongly disagree"] == 0
    assert counts.loc["A1"].tolist() == [0, 4, 8, 18, 4, 34, 2]
    assert counts.loc["B1", "n_dk_na"] == 6
    by = survey.level_counts(responses, items, ["A2"], by="agency")
    assert by.loc[("A2", "housing"), "n"] == 5


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
