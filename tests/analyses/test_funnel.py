"""Funnel plots' numbers: exact binomial limits and each site's position."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from srim_analysis.analyses import comparison, funnel
from srim_analysis.analyses.comparison import TOTAL


@pytest.mark.parametrize("p0", [0.05, 0.3, 0.47, 0.9])
@pytest.mark.parametrize("coverage", funnel.LEVELS)
def test_limits_are_binomial_quantiles(p0, coverage):
    n = np.array([1, 5, 17, 60, 250, 1000])
    tail = (1 - coverage) / 2
    low, high = funnel.funnel_limits(p0, n, coverage, interpolate=False)
    assert low == pytest.approx(binom.ppf(tail, n, p0) / n)
    assert high == pytest.approx(binom.ppf(1 - tail, n, p0) / n)
    # Spiegelhalter's interpolation stays within one step below the quantile
    ilow, ihigh = funnel.funnel_limits(p0, n, coverage)
    for smooth, step in ((ilow, low), (ihigh, high)):
        assert np.all(smooth <= step + 1e-12)
        assert np.all(smooth >= np.clip(step - 1 / n, 0, 1) - 1e-12)


def test_limits_narrow_with_n_and_widen_with_coverage():
    n = np.array([20, 80, 320])
    low95, high95 = funnel.funnel_limits(0.4, n, 0.95)
    low998, high998 = funnel.funnel_limits(0.4, n, 0.998)
    assert np.all(np.diff(high95 - low95) < 0)
    assert np.all(low998 <= low95) and np.all(high998 >= high95)


def test_limits_need_whole_numbers():
    with pytest.raises(ValueError, match="whole-number"):
        funnel.funnel_limits(0.4, [10.5])


def funnel_table(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    """Return a one-indicator site table (with its "All" row) for funnel tests."""
    out = pd.DataFrame(rows, columns=["site", "n_yes", "n"])
    total = pd.DataFrame([[TOTAL, out["n_yes"].sum(), out["n"].sum()]], columns=out.columns)
    out = pd.concat([out, total], ignore_index=True)
    out["source"], out["indicator"], out["label"] = "case_audit", "x", "X"
    out["n_blank"] = 0
    out["prop_yes"] = out["n_yes"] / out["n"]
    out["ci_low"], out["ci_high"] = comparison.wilson_interval(out["n_yes"], out["n"])
    return out


def test_positions_against_exact_limits():
    table = funnel_table(
        [("High", 90, 100), ("Middle", 200, 400), ("Low", 20, 100), ("Edge", 56, 100)]
    )
    pos = funnel.funnel_positions(table).set_index("site")
    p0 = 366 / 700
    assert pos.loc["High", "position"] == "above the 99.8% limit"
    assert pos.loc["Low", "position"] == "below the 99.8% limit"
    assert pos.loc["Middle", "position"] == "within the 95% limits"
    _, hi95 = funnel.funnel_limits(p0, [100], 0.95)
    _, hi998 = funnel.funnel_limits(p0, [100], 0.998)
    edge = 0.56
    expected = (
        "above the 99.8% limit"
        if edge > hi998[0]
        else "above the 95% limit"
        if edge > hi95[0]
        else "within the 95% limits"
    )
    assert pos.loc["Edge", "position"] == expected
    assert pos.loc[TOTAL, "position"] == ""
    assert pos["all_sites"].iloc[0] == pytest.approx(round(p0, 3))


def test_positions_of_many_sites_follow_the_limits_one_by_one():
    rng = np.random.default_rng(7)
    n = rng.integers(0, 400, size=300)
    p = np.where(n > 0, rng.binomial(np.maximum(n, 1), 0.4) / np.maximum(n, 1), np.nan)
    p0 = 0.4
    got = funnel.limit_positions(p, n, p0)
    for pi, ni, g in zip(p, n, got, strict=True):
        if ni == 0:
            assert g == "nothing recorded"
            continue
        (lo95,), (hi95,) = funnel.funnel_limits(p0, [ni], 0.95)
        (lo998,), (hi998,) = funnel.funnel_limits(p0, [ni], 0.998)
        want = (
            funnel.POSITIONS[4]
            if pi > hi998
            else funnel.POSITIONS[3]
            if pi > hi95
            else funnel.POSITIONS[0]
            if pi < lo998
            else funnel.POSITIONS[1]
            if pi < lo95
            else funnel.POSITIONS[2]
        )
        assert g == want
    assert len(set(got)) >= 4  # the sample reaches beyond the 95% limits on both sides


def test_synthetic_origin_sits_above_the_funnel(study):
    table = comparison.site_indicators(study, indicators=["father_info_shared"])
    pos = funnel.funnel_positions(table, "case_audit").set_index("site")
    assert pos.loc["Ashcombe", "position"].startswith("above")


def test_pooled_proportion_is_all_yes_over_all_recorded():
    rows = pd.DataFrame({"n_yes": [3, 5], "n": [10, 10]})
    assert funnel.pooled_proportion(rows) == pytest.approx(0.4)
    assert np.isnan(funnel.pooled_proportion(pd.DataFrame({"n_yes": [0], "n": [0]})))
