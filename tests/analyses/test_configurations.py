"""Objective 1: site outcomes, calibration, conditions, the QCA chain, the planted configuration."""

from __future__ import annotations

import pandas as pd
import pytest

from srim_analysis.analyses import configurations as sc
from srim_analysis.analyses import qca

CONDITIONS = [
    "early_help_in_front_door",
    "father_inclusion_lead",
    "front_door_mash",
    "protocol_refreshed_2024",
    "training_2024_advice",
]
ANCHORS = sc.Anchors(0.25, 0.45, 0.65)


def test_site_outcome_counts_by_hand(study):
    rates = sc.site_outcome(study, "father_info_shared", since="2024-07-01")
    ca = study.case_audit
    s01 = ca[(ca["site_id"] == "S01") & (ca["audit_date"] >= "2024-07-01")]
    row = rates.set_index("site_id").loc["S01"]
    assert row["n_yes"] == int(s01["father_info_shared"].sum())
    assert row["n_cases"] == int(s01["father_info_shared"].notna().sum())  # blanks excluded
    assert row["prop"] == pytest.approx(row["n_yes"] / row["n_cases"], abs=1e-3)
    with pytest.raises(ValueError, match="no outcome"):
        sc.site_outcome(study, "nope")


def test_crisp_conditions_need_thresholds_for_ordinal(study):
    with pytest.raises(ValueError, match="ordinal"):
        sc.crisp_conditions(study.site_features, study.sites, ["hub_maturity"])
    crisp = sc.crisp_conditions(
        study.site_features, study.sites, ["hub_maturity"], {"hub_maturity": 2}
    )
    raw = study.site_features.set_index("site_id")["hub_maturity"]
    assert crisp["hub_maturity"].tolist() == (raw >= 2).astype(int).tolist()


def test_calibrated_outcome_uses_the_anchors(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    assert list(data.columns) == ["EH", "FL", "MASH", "PROT", "TRAIN", "SHARE"]
    rates = sc.site_outcome(study, since="2024-07-01").set_index("site")["prop"]
    expected = qca.calibrate(rates, 0.25, 0.45, 0.65).round(2)
    pd.testing.assert_series_equal(data["SHARE"], expected.reindex(data.index), check_names=False)


def test_planted_configuration_is_the_parsimonious_solution(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    tt = qca.truth_table(data, "SHARE", sc.short(CONDITIONS), incl_cut=0.8)
    sols = sc.run_solutions(tt, sc.directional_short({c: 1 for c in CONDITIONS}))
    assert sols["parsimonious"].models == ["EH*FL"]
    assert sc.planted_configuration_found(sols, ["EH", "FL"])
    summary = sc.solution_summary(sols)
    assert set(summary["solution"]) == {"conservative", "parsimonious", "intermediate"}
    assert (summary["inclS"] >= 0.8).all()
    assert "EH*FL" in sc.describe(sols, "SHARE")


def test_run_qca_chains_the_notebook_steps(study):
    run = sc.run_qca(
        study,
        CONDITIONS,
        ANCHORS,
        outcome="father_info_shared",
        source="case_audit",
        since="2024-07-01",
        thresholds=None,
        directional={c: 1 for c in CONDITIONS},
        incl_cut=0.8,
        n_cut=1,
    )
    pd.testing.assert_frame_equal(
        run.data, sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    )
    pd.testing.assert_frame_equal(run.rates, sc.site_outcome(study, since="2024-07-01"))
    assert run.short_conditions == ["EH", "FL", "MASH", "PROT", "TRAIN"]
    tt = qca.truth_table(run.data, "SHARE", run.short_conditions, incl_cut=0.8)
    pd.testing.assert_frame_equal(run.truth_table.table, tt.table)
    assert run.solutions["parsimonious"].models == ["EH*FL"]
    assert set(run.solutions) == {"conservative", "parsimonious", "intermediate"}
    assert run.negated_name == "~SHARE"
    assert set(run.negated) == {"conservative", "parsimonious"}
    neg = qca.truth_table(run.data, "~SHARE", run.short_conditions, incl_cut=0.8)
    pd.testing.assert_frame_equal(run.negated_truth_table.table, neg.table)
    calibration = run.calibration()
    assert list(calibration.columns) == ["site", "n_yes", "n_cases", "prop", "membership", "in_set"]
    assert run.legend()["condition"].tolist() == run.short_conditions
    assert run.necessity()["inclN"].between(0, 1).all()


def test_calibration_curve_passes_through_the_anchors():
    curve = sc.calibration_curve(ANCHORS, points=101)
    assert len(curve) == 101 and list(curve.columns) == ["prop", "membership"]
    at = curve.set_index(curve["prop"].round(2))["membership"]
    assert at[0.45] == pytest.approx(0.5, abs=1e-6)
    assert at[0.25] == pytest.approx(0.05, abs=0.01)
    assert at[0.65] == pytest.approx(0.95, abs=0.01)
    assert curve["membership"].is_monotonic_increasing


def test_xy_membership_gives_each_site_and_the_fit(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    xy = sc.xy_membership(data, "EH*FL", "SHARE")
    assert list(xy.points.index) == list(data.index)
    assert xy.points["x"].tolist() == (data["EH"] * data["FL"]).astype(float).tolist()
    assert xy.points["y"].tolist() == data["SHARE"].tolist()
    whole = qca.fit("EH*FL", data, "SHARE").loc[qca.EXPRESSION_ROW]
    assert xy.consistency == pytest.approx(float(whole["inclS"]))
    assert xy.coverage == pytest.approx(float(whole["covS"]))
    assert (xy.expression, xy.outcome) == ("EH*FL", "SHARE")


def test_outcome_options_and_binary_features(study):
    options = sc.outcome_options(study)
    assert "father_info_shared" in options and all(o.startswith("father_") for o in options)
    features = sc.binary_features()
    assert "front_door_mash" in features and "hub_maturity" not in features
