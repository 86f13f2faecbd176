"""The case-file audit as practitioners read it: cascade, run charts, auditor agreement."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from srim_analysis.analyses import case_audit
from srim_analysis.analyses.comparison import TOTAL, wilson_interval

SITES = pd.DataFrame({"site_id": ["A1", "B2"], "display_name": ["Alpha", "Beta"]})


def _study(audit: pd.DataFrame) -> SimpleNamespace:
    """Return a stand-in study holding ``sites`` and ``case_audit`` (all the module reads)."""
    return SimpleNamespace(tables={"sites": SITES, "case_audit": audit})


def _audit(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "case_id": [f"K{i}" for i in range(n)],
        "site_id": ["A1"] * n,
        "audit_date": ["2030-01-15"] * n,
    }
    return pd.DataFrame({**base, **{k: pd.array(v, dtype=object) for k, v in columns.items()}})


# ---------------------------------------------------------------------------
# Cascade
# ---------------------------------------------------------------------------


def test_cascade_counts_each_step_by_site_and_case_type_with_margins():
    audit = _audit(
        step_a=[1, 1, 0, None, 1, 1],
        step_b=[1, 0, 0, 0, 1, None],
        case_type=["neglect", "neglect", "domestic_abuse", "domestic_abuse", None, "neglect"],
    )
    audit["site_id"] = ["A1", "A1", "A1", "B2", "B2", "B2"]
    out = case_audit.cascade(_study(audit), ["step_b", "step_a"])
    assert list(out.columns[:5]) == ["site", "case_type", "source", "indicator", "label"]
    every = out[(out["site"] == TOTAL) & (out["case_type"] == TOTAL)]
    assert list(every["indicator"]) == ["step_b", "step_a"]  # the given (plan's) order
    a = every.set_index("indicator").loc["step_a"]
    assert (a["n_yes"], a["n"], a["n_blank"]) == (4, 5, 1)
    low, high = wilson_interval(4, 5)
    assert a["pct_yes"] == 80.0
    assert a["pct_low"] == round(100 * low, 1) and a["pct_high"] == round(100 * high, 1)
    neglect = out[(out["site"] == "Alpha") & (out["case_type"] == "Neglect")]
    assert neglect.set_index("indicator").loc["step_a", "n_yes"] == 2
    beta_kinds = set(out.loc[out["site"] == "Beta", "case_type"])
    assert {case_audit.NOT_RECORDED, "Domestic abuse", "Neglect", TOTAL} <= beta_kinds
    # the labels of the contract's vocabulary, "Not recorded" after them, "All" last
    kinds = list(dict.fromkeys(out.loc[out["site"] == TOTAL, "case_type"]))
    assert kinds == ["Domestic abuse", "Neglect", case_audit.NOT_RECORDED, TOTAL]
    assert list(dict.fromkeys(out["site"])) == ["Alpha", "Beta", TOTAL]


def test_cascade_without_case_type_is_by_site_only():
    out = case_audit.cascade(_study(_audit(step=[1, 0, 1])), ["step"])
    assert set(out["case_type"]) == {TOTAL}
    assert list(out["site"]) == ["Alpha", TOTAL]
    assert list(out["n_yes"]) == [2, 2]


# ---------------------------------------------------------------------------
# Run charts
# ---------------------------------------------------------------------------


def test_quarterly_counts_per_quarter_with_the_site_total():
    audit = _audit(step=[1, 0, 1, 1, None])
    audit["audit_date"] = ["2030-01-02", "2030-03-31", "2030-04-01", "2030-12-31", "2030-12-01"]
    out = case_audit.quarterly(_study(audit), ["step"])
    alpha = out[out["site"] == "Alpha"].set_index("quarter")
    assert list(alpha.index) == ["2030 Q1", "2030 Q2", "2030 Q4", TOTAL]
    assert list(alpha["n_yes"]) == [1, 1, 1, 3] and list(alpha["n"]) == [2, 1, 1, 4]
    assert alpha.loc["2030 Q1", "pct_yes"] == 50.0
    assert "n_blank" not in out.columns


@pytest.mark.parametrize(
    ("values", "median", "expected"),
    [
        # six in a row above: a shift (Perla et al. 2011, rule 1)
        ([1, 5, 5, 5, 5, 5, 5], 3, [False] + [True] * 6),
        # five in a row: not a shift
        ([1, 5, 5, 5, 5, 5, 1], 3, [False] * 7),
        # a point on the median neither breaks nor extends the run, and is not flagged
        ([5, 5, 5, 3, 5, 5, 5], 3, [True, True, True, False, True, True, True]),
        # a hidden point ends the run
        ([5, 5, 5, np.nan, 5, 5, 5], 3, [False] * 7),
        # below counts as well as above
        ([1, 1, 1, 1, 1, 1, 5], 3, [True] * 6 + [False]),
    ],
)
def test_shift_rule(values, median, expected):
    assert case_audit.shifts(values, median) == expected


def test_run_chart_signals_use_only_shown_baseline_points():
    table = pd.DataFrame(
        {
            "site": "Alpha",
            "indicator": "step",
            "quarter": [f"q{i}" for i in range(9)] + [TOTAL],
            "pct_yes": [10.0, "c", 30.0, 40.0, 90.0, 90.0, 90.0, 90.0, 90.0, 55.0],
        }
    )
    everything = case_audit.run_chart_signals(table)
    # shown: 10, 30, 40, 90 x5 -> median 90; the "All" row gets none
    assert everything["median"].iloc[0] == 90.0 and np.isnan(everything["median"].iloc[-1])
    first = case_audit.run_chart_signals(table, baseline=4)
    assert first["median"].iloc[0] == 30.0  # 10, (hidden), 30, 40
    # 30 sits on the median (skipped), then six points above it: a shift
    assert list(first["shift"]) == [False] * 3 + [True] * 6 + [False]


# ---------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------


def _pairs(table: list[list[int]]) -> tuple[list[int], list[int]]:
    """Return two raters' 0/1 answers giving a 2x2 table [[yes-yes, yes-no], [no-yes, no-no]]."""
    first, second = [], []
    for a, row in zip((1, 0), table, strict=True):
        for b, count in zip((1, 0), row, strict=True):
            first += [a] * count
            second += [b] * count
    return first, second


def test_kappa_known_answer():
    """The worked example of Wikipedia's "Cohen's kappa" article (50 grant proposals).

    Both say yes 20, A yes B no 5, A no B yes 10, both no 15: p_o = 0.7, p_e = 0.5*0.6 +
    0.5*0.4 = 0.5, kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4. The standard error by hand
    (Fleiss, Cohen and Everitt 1969): [0.4*0.34^2 + 0.3*0.46^2 + 0.36*(0.1*1.21 + 0.2*0.81)
    - 0.1^2] / (50 * 0.5^2) = 0.2016 / 12.5 = 0.016128, SE 0.12700.
    """
    first, second = _pairs([[20, 5], [10, 15]])
    audit = _audit(step=first, second_step=second)
    out = case_audit.agreement(_study(audit), ["step"]).iloc[0]
    assert (out["n"], out["n_agree"], out["n_disagree"], out["pct_agree"]) == (50, 35, 15, 70.0)
    assert out["kappa"] == pytest.approx(0.4)
    half = 1.959964 * math.sqrt(0.016128)
    assert out["kappa_low"] == pytest.approx(0.4 - half, abs=6e-4)
    assert out["kappa_high"] == pytest.approx(0.4 + half, abs=6e-4)
    assert out["poor"]  # 0.40 < 0.60


def test_agreement_leaves_out_blanks_and_indicators_without_a_second_column():
    audit = _audit(
        step=[1, 1, 0, 0, None, 1],
        second_step=[1, 1, 0, 0, 1, None],
        other=[1, 0, 1, 0, 1, 0],
    )
    out = case_audit.agreement(_study(audit), ["step", "other"])
    assert list(out["indicator"]) == ["step"]
    r = out.iloc[0]
    assert (r["n"], r["n_agree"], r["pct_agree"], r["kappa"]) == (4, 4, 100.0, 1.0)
    assert not r["poor"]
    assert case_audit.double_audited(_study(audit), ["step", "other"]) == ["step"]


def test_kappa_is_undefined_when_both_auditors_always_say_the_same():
    audit = _audit(step=[1, 1, 1], second_step=[1, 1, 1])
    r = case_audit.agreement(_study(audit), ["step"]).iloc[0]
    assert r["pct_agree"] == 100.0 and np.isnan(r["kappa"]) and not r["poor"]


# ---------------------------------------------------------------------------
# The synthetic study's planted effects
# ---------------------------------------------------------------------------


def test_synthetic_domestic_abuse_cases_involve_fathers_least(study):
    indicators = list(study.plan.comparison.indicators)
    out = case_audit.cascade(study, indicators)
    every = out[(out["site"] == TOTAL) & (out["case_type"] != TOTAL)]
    for step in ("father_invited", "father_involved"):
        rows = every[every["indicator"] == step].set_index("case_type")["pct_yes"]
        assert rows.idxmin() == "Domestic abuse", rows


def test_synthetic_second_auditor_disagrees_most_on_the_planted_indicator(study):
    out = case_audit.agreement(study, list(study.plan.comparison.indicators))
    assert len(out) == len(study.plan.comparison.indicators)
    assert out["n"].min() > 100  # about 1 case in 6 is audited twice
    worst = out.set_index("indicator")
    assert worst["kappa"].idxmin() == "father_checked"
    assert list(out.loc[out["poor"], "indicator"]) == ["father_checked"]
    others = worst.drop(index="father_checked")
    assert (others["pct_agree"] > 85).all() and worst.loc["father_checked", "pct_agree"] < 85
