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
    # MASH is present at every site: it is left out of the truth table (issue 17)
    assert run.used_short == ["EH", "FL", "PROT", "TRAIN"]
    tt = qca.truth_table(run.data, "SHARE", run.used_short, incl_cut=0.8)
    pd.testing.assert_frame_equal(run.truth_table.table, tt.table)
    assert run.solutions["parsimonious"].models == ["EH*FL"]
    assert set(run.solutions) == {"conservative", "parsimonious", "intermediate"}
    assert run.negated_name == "~SHARE"
    assert set(run.negated) == {"conservative", "parsimonious"}
    neg = qca.truth_table(run.data, "~SHARE", run.used_short, incl_cut=0.8)
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


# --------------------------------------------------------------------------- issue 17
HAND_CONDITIONS = (
    "early_help_in_front_door",
    "father_inclusion_lead",
    "front_door_mash",
    "adult_specialists",
)
HAND_ANCHORS = sc.Anchors(0.2, 0.4, 0.6)


def hand_run(incl_cut: float = 0.8, directional: dict[str, int] | None = None) -> sc.QCARun:
    """Return a QCA of four made-up sites whose solutions are known at every setting.

    EH and FL vary; MASH is present and ADULT absent at every site (constant). Outcome
    proportions: A (EH, FL) 0.7, B (EH only) 0.5, C (FL only) 0.3, D (neither) 0.1. With
    anchors (0.2, 0.4, 0.6) B's membership is 0.81: sufficient at a cut-off of 0.8, not 0.9.
    """
    sites = ["A", "B", "C", "D"]
    rates = pd.DataFrame(
        {
            "site_id": ["X1", "X2", "X3", "X4"],
            "site": sites,
            "n_yes": [70, 50, 30, 10],
            "n_cases": [100, 100, 100, 100],
            "prop": [0.7, 0.5, 0.3, 0.1],
        }
    )
    data = pd.DataFrame(
        {"EH": [1, 1, 0, 0], "FL": [1, 0, 1, 0], "MASH": [1, 1, 1, 1], "ADULT": [0, 0, 0, 0]},
        index=pd.Index(sites, name="site"),
    )
    data["SHARE"] = sc.calibrated_outcome(rates, data.index, HAND_ANCHORS)
    return sc.QCARun(
        conditions=HAND_CONDITIONS,
        anchors=HAND_ANCHORS,
        rates=rates,
        data=data,
        outcome="father_info_shared",
        directional=directional,
        incl_cut=incl_cut,
    )


def test_constant_conditions_are_left_out_and_said_so():
    run = hand_run(directional={c: 1 for c in HAND_CONDITIONS})
    assert run.data["SHARE"].tolist() == [0.99, 0.81, 0.19, 0.01]
    assert run.constant == {"front_door_mash": 1, "adult_specialists": 0}
    assert run.used_conditions == ["early_help_in_front_door", "father_inclusion_lead"]
    assert run.used_directional == {"EH": 1, "FL": 1}
    assert run.truth_table.conditions == ["EH", "FL"]
    assert list(sc.truth_table_view(run.truth_table).columns[1:3]) == ["EH", "FL"]
    # B (EH, not FL) has 0.81 >= 0.8: EH is sufficient; MASH never enters a solution
    assert run.solutions["conservative"].models == ["EH"]
    assert run.solutions["parsimonious"].models == ["EH"]
    assert run.solutions["intermediate"].models == ["EH"]
    assert run.necessity()["expression"].tolist() == ["EH", "~EH", "FL", "~FL"]
    legend = run.legend().set_index("condition")["in_analysis"]
    assert legend.to_dict() == {
        "EH": "yes",
        "FL": "yes",
        "MASH": "no: present at every site",
        "ADULT": "no: absent at every site",
    }
    # with MASH kept, the conservative solution would carry a literal true of every site
    kept = qca.minimize(qca.truth_table(run.data, "SHARE", ["EH", "FL", "MASH"], incl_cut=0.8))
    assert kept.models == ["EH*MASH"]


def test_sensitivity_grid_gives_the_known_solution_at_each_setting():
    run = hand_run()
    grid = run.sensitivity(shifts=(-0.1, 0.0, 0.1), incl_cuts=(0.8, 0.9))
    got = {
        (r.exclusion, r.crossover, r.inclusion, r.incl_cut): (
            r.expression,
            r.sufficient_rows,
            r.plan,
        )
        for r in grid.itertuples()
    }
    assert got == {
        # B's membership 0.95 (at the inclusion anchor): sufficient at both cut-offs
        (0.1, 0.3, 0.5, 0.8): ("EH", 2, False),
        (0.1, 0.3, 0.5, 0.9): ("EH", 2, False),
        # B's membership 0.81
        (0.2, 0.4, 0.6, 0.8): ("EH", 2, True),
        (0.2, 0.4, 0.6, 0.9): ("EH*FL", 1, False),
        # B at the crossover (0.5): only A's row (0.95) is sufficient
        (0.3, 0.5, 0.7, 0.8): ("EH*FL", 1, False),
        (0.3, 0.5, 0.7, 0.9): ("EH*FL", 1, False),
    }
    assert set(grid["solution"]) == {"parsimonious"}  # no expectations, no intermediate
    summary = sc.sensitivity_summary(grid)
    assert summary[["expression", "settings", "of_settings", "plan"]].values.tolist() == [
        ["EH", 3, 6, True],
        ["EH*FL", 3, 6, False],
    ]
    sentence = sc.sensitivity_sentence(summary)
    assert "not stable" in sentence and "`EH` (as at the analysis's own setting) at 3 of 6" in (
        sentence
    )


def test_sensitivity_says_stable_when_one_solution_holds_and_no_solution_when_none():
    run = hand_run()
    summary = sc.sensitivity_summary(run.sensitivity(shifts=(-0.1, 0.0), incl_cuts=(0.8,)))
    assert summary["expression"].tolist() == ["EH"] and summary["settings"].tolist() == [2]
    assert sc.sensitivity_sentence(summary) == (
        "The parsimonious solution is `EH` at every anchor set and cut-off tried: it is stable."
    )
    strict = hand_run(incl_cut=0.995)  # no row reaches 0.995: nothing is sufficient
    assert strict.solutions["parsimonious"] is None
    assert sc.describe(strict.solutions, "SHARE").startswith("No conservative solution")
    grid = strict.sensitivity(shifts=(0.0,), incl_cuts=())
    assert grid["expression"].tolist() == [sc.NO_SOLUTION] and grid["sufficient_rows"].eq(0).all()
    assert grid["inclS"].isna().all()
    assert sc.sensitivity_sentence(sc.sensitivity_summary(grid)) == (
        "There is no parsimonious solution at any anchor set and cut-off tried: no "
        "configuration is consistently sufficient."
    )


def test_shifted_anchors_move_all_three_and_stay_within_zero_and_one():
    sets = sc.shifted_anchors(sc.Anchors(0.05, 0.45, 0.95))
    assert sets == [  # moved by -0.1 or +0.1 an anchor would leave 0-1
        sc.Anchors(0.0, 0.4, 0.9),
        sc.Anchors(0.05, 0.45, 0.95),
        sc.Anchors(0.1, 0.5, 1.0),
    ]
    sets = sc.shifted_anchors(sc.Anchors(0.25, 0.45, 0.65))
    assert [a.crossover for a in sets] == [0.35, 0.4, 0.45, 0.5, 0.55]
    assert sets[0] == sc.Anchors(0.15, 0.35, 0.55)


def test_settings_come_from_the_plan_unless_given(study):
    plan = study.plan.qca
    settings = sc.qca_settings(plan)
    assert settings.outcome == plan.outcome and settings.conditions == plan.conditions
    assert settings.anchors == sc.Anchors(*plan.anchors) and settings.since == plan.outcome_since
    assert settings.thresholds == dict(plan.thresholds) and settings.incl_cut == plan.incl_cut
    mine = sc.qca_settings(plan, anchors=[0.1, 0.2, 0.3], incl_cut=0.9, conditions=["x"])
    assert mine.anchors == sc.Anchors(0.1, 0.2, 0.3) and mine.incl_cut == 0.9
    assert mine.conditions == ("x",) and mine.outcome == plan.outcome
    none = sc.qca_settings(None, outcome="father_checked")
    assert isinstance(none, sc.NoQCA)
    assert "`anchors`, `conditions`" in none.reason and "study.toml" in none.reason
    given = sc.qca_settings(None, outcome="o", anchors=(0.1, 0.5, 0.9), conditions=["c"])
    assert given == sc.QCASettings("o", sc.Anchors(0.1, 0.5, 0.9), ("c",))
    assert (given.source, given.since, given.directional) == ("case_audit", None, None)


def test_run_settings_says_why_there_is_no_analysis(study):
    settings = sc.qca_settings(study.plan.qca, conditions=["front_door_mash"])
    none = sc.run_settings(study, settings)
    assert isinstance(none, sc.NoQCA) and "same value at every site" in none.reason
    other = sc.qca_settings(study.plan.qca, outcome_source="nope")
    assert "no `nope` table" in sc.run_settings(study, other).reason
    run = sc.run_settings(study, sc.qca_settings(study.plan.qca))
    assert run.constant == {"front_door_mash": 1}
    assert run.solutions["parsimonious"].models == ["EH*FL"]
    assert run.solutions["conservative"].models == ["EH*FL*PROT + EH*FL*TRAIN"]
