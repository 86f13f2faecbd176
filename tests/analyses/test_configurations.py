"""Objective 1: site outcomes, calibration, conditions, and the planted configuration."""

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


def test_xy_and_calibration_plots_draw_every_site(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    fig = sc.plot_xy(data, "EH*FL", "SHARE", "XY")
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == len(data)
    assert {t.get_text() for t in ax.texts} >= set(data.index)
    table = sc.calibration_table(sc.site_outcome(study, since="2024-07-01"), data, "SHARE")
    fig = sc.plot_calibration(table, ANCHORS, "Calibration")
    assert len(fig.axes[0].collections[0].get_offsets()) == len(table)


def test_explorer_updates_when_conditions_change(study):
    widget = sc.explorer(study, CONDITIONS[:2], ANCHORS, since="2024-07-01")
    out = widget.children[1]
    before = out.value
    assert "EH*FL" in before and "MASH" not in before
    widget.children[0].children[1].value = tuple(CONDITIONS[:3])
    assert out.value != before and "MASH" in out.value
    widget.children[0].children[0].value = "father_checked"
    assert "<table" in out.value


@pytest.mark.notebooks
def test_notebook_finds_the_planted_configuration(synthetic_report, report_tables):
    def table(name):
        return report_tables("all", "02_service_configuration_typology", name)

    solutions = table("solutions")
    pars = solutions[solutions["solution"] == "parsimonious"]
    assert pars["expression"].tolist() == ["EH*FL"]
    assert float(pars["inclS"].iloc[0]) >= 0.8
    tt = table("truth_table")
    assert len(tt) == 7 and set(tt["OUT"]) == {"0", "1"}
    assert tt["sites_in_row"].astype(int).sum() == 8
    calib = table("calibration")
    assert not calib["n_yes"].isin([str(i) for i in range(1, 5)]).any()  # suppressed
    negated = table("solutions_negated")
    assert (negated["solution"] == "parsimonious").sum() >= 1
    figs = {p.name for p in (synthetic_report / "figures" / "all").glob("02_*.png")}
    assert {
        f"02_service_configuration_typology__{f}.png"
        for f in (
            "xy-parsimonious",
            "xy-negated",
            "feature-heatmap",
            "typology-dendrogram",
            "calibration",
        )
    } <= figs
