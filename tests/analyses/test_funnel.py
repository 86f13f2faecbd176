"""Funnel plots and dot-and-interval charts: exact binomial limits, positions, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from scipy.stats import binom

from srim_analysis.analyses import comparison, funnel
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import style


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


def _table(rows):
    out = pd.DataFrame(rows, columns=["site", "n_yes", "n"])
    total = pd.DataFrame([[TOTAL, out["n_yes"].sum(), out["n"].sum()]], columns=out.columns)
    out = pd.concat([out, total], ignore_index=True)
    out["source"], out["indicator"], out["label"] = "case_audit", "x", "X"
    out["n_blank"] = 0
    out["prop_yes"] = out["n_yes"] / out["n"]
    out["ci_low"], out["ci_high"] = comparison.wilson_interval(out["n_yes"], out["n"])
    return out


def test_positions_against_exact_limits():
    table = _table([("High", 90, 100), ("Middle", 200, 400), ("Low", 20, 100), ("Edge", 56, 100)])
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
    got = funnel._positions(p, n, p0)
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


def test_funnel_plot_highlights_the_focus_and_hides_small_sites():
    table = _table([("Alpha", 40, 100), ("Beta", 30, 90), ("Tiny", 2, 3), ("Gamma", 55, 120)])
    keep = comparison.kept(table, 5, "prop_yes", comparison.PROPORTION_DEPENDS)
    shown = set(table.loc[keep & (table["site"] != TOTAL), "site"])
    assert "Tiny" not in shown and "Gamma" in shown  # and Beta goes too (secondary)
    fig = funnel.funnel_plot(table, "x", focus="Gamma", min_cell=5)
    ax = fig.axes[0]
    points = [ln for ln in ax.lines if ln.get_marker() == "o"]
    drawn = sorted(x for ln in points for x in ln.get_xdata())
    assert drawn == sorted(table.loc[table["site"].isin(shown), "n"])
    focus = [ln for ln in points if ln.get_color() == style.HIGHLIGHT]
    assert len(focus) == 1 and list(focus[0].get_xdata()) == [120]
    assert focus[0].get_zorder() > max(ln.get_zorder() for ln in points if ln not in focus)
    texts = [t.get_text() for t in ax.texts]
    assert shown <= set(texts) and "Tiny" not in texts
    assert any(t.startswith("Not shown") and "Tiny" in t for t in texts)
    limit_lines = [ln for ln in ax.lines if ln.get_marker() in ("None", "", None)]
    assert len(limit_lines) == 5  # four limits and the all-site line
    assert all(np.isfinite(ln.get_ydata()).all() for ln in limit_lines)


def test_interval_chart_sorts_sites_by_name_not_rank(study):
    table = comparison.site_indicators(study)
    fig = funnel.interval_chart(table, ["father_info_shared", "father_checked"], focus="Dunmere")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == sorted(labels, key=str.casefold)
    assert len(labels) == len(study.sites)
    bold = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_color() == style.HIGHLIGHT]
    assert bold == ["Dunmere"]
    ax = fig.axes[0]
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    hidden = [t for t in ax.texts if t.get_text() == "c"]
    assert len(segments) + len(hidden) == len(study.sites)  # one interval per shown site
    focus = [c for c in ax.collections if tuple(c.get_color()[0][:3]) == to_rgb(style.HIGHLIGHT)]
    assert len(focus) == 1 and len(focus[0].get_segments()) == 1


def test_synthetic_origin_sits_above_the_funnel(study):
    table = comparison.site_indicators(study, indicators=["father_info_shared"])
    pos = funnel.funnel_positions(table, "case_audit").set_index("site")
    assert pos.loc["Ashcombe", "position"].startswith("above")
