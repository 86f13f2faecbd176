"""The QCA charts of objective 1: calibration curve and XY plots."""

from __future__ import annotations

from srim_analysis.analyses import configurations as sc
from srim_analysis.charts import configurations as config_charts
from tests.analyses.test_configurations import ANCHORS, CONDITIONS


def test_xy_and_calibration_plots_draw_every_site(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    fig = config_charts.plot_xy(sc.xy_membership(data, "EH*FL", "SHARE"), "XY")
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == len(data)
    assert {t.get_text() for t in ax.texts} >= set(data.index)
    table = sc.calibration_table(sc.site_outcome(study, since="2024-07-01"), data, "SHARE")
    fig = config_charts.plot_calibration(table, ANCHORS, "Calibration")
    assert len(fig.axes[0].collections[0].get_offsets()) == len(table)


def test_xy_plot_states_its_fit_and_axes(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    xy = sc.xy_membership(data, "EH*FL", "SHARE")
    ax = config_charts.plot_xy(xy, "XY").axes[0]
    assert ax.get_xlabel() == "Membership in EH*FL"
    assert ax.get_ylabel() == "Membership in SHARE"
    fit = f"consistency {xy.consistency:.2f}\ncoverage {xy.coverage:.2f}"
    assert fit in {t.get_text() for t in ax.texts}


def test_calibration_plot_draws_the_curve_and_anchors(study):
    data = sc.qca_data(study, CONDITIONS, ANCHORS, since="2024-07-01")
    table = sc.calibration_table(sc.site_outcome(study, since="2024-07-01"), data, "SHARE")
    ax = config_charts.plot_calibration(table, ANCHORS, "Calibration").axes[0]
    curve = ax.lines[0]
    assert len(curve.get_xdata()) == len(sc.calibration_curve(ANCHORS))
    anchors = sorted(line.get_xdata()[0] for line in ax.lines[1:])
    assert anchors == [ANCHORS.exclusion, ANCHORS.crossover, ANCHORS.inclusion]
