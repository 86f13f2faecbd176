"""Charts of the cross-site comparison: intervals, funnel plots, before and after."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from srim_analysis.analyses import comparison
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import comparison as charts
from srim_analysis.charts import style
from tests.analyses.test_funnel import funnel_table


def test_funnel_plot_highlights_the_focus_and_hides_small_sites():
    table = funnel_table([("Alpha", 40, 100), ("Beta", 30, 90), ("Tiny", 2, 3), ("Gamma", 55, 120)])
    keep = comparison.kept(table, 5, "prop_yes", comparison.PROPORTION_DEPENDS)
    shown = set(table.loc[keep & (table["site"] != TOTAL), "site"])
    assert "Tiny" not in shown and "Gamma" in shown  # and Beta goes too (secondary)
    fig = charts.funnel_plot(table, "x", focus="Gamma", min_cell=5)
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
    fig = charts.interval_chart(table, ["father_info_shared", "father_checked"], focus="Dunmere")
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


def test_before_after_chart_hides_suppressed_points(study):
    change = comparison.before_after(study, indicators=["father_info_shared"])
    fig = charts.before_after_chart(change, focus="Brackwater", min_cell=5)
    ax = fig.axes[0]
    assert "Brackwater" in [t.get_text() for t in ax.get_yticklabels()]
    hidden = charts.before_after_chart(change, min_cell=10_000)
    assert [t.get_text() for t in hidden.axes[0].texts].count("c") == len(change)
    assert not [ln for ln in hidden.axes[0].lines if len(ln.get_xdata()) == 1]


def test_finish_panel_wraps_the_indicator_label_and_bolds_the_focus():
    _fig, ax = style.new_figure("half")
    charts.finish_panel(ax, ["A", "B"], ["A", "B"], "B", False, "father_info_shared", "x")
    assert ax.get_title(loc="left") == style.wrap_label("Information about him shared")
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["B"]
