"""Charts of the cross-site comparison: drawn from published tables, hidden cells left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from srim_analysis import disclosure
from srim_analysis.analyses import comparison, funnel
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import comparison as charts
from srim_analysis.charts import style
from tests.analyses.test_funnel import funnel_table

MIN_CELL = disclosure.DEFAULT_MIN_CELL


def _published(table: pd.DataFrame, depends=comparison.PROPORTION_DEPENDS) -> pd.DataFrame:
    return disclosure.publishable(table, MIN_CELL, depends=depends)


def _note(fig) -> str:
    """Return the text of the figure's left-out note ("" when it has none)."""
    notes = [t.get_text() for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID]
    assert len(notes) <= 1
    return notes[0].replace("\n", " ") if notes else ""


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def _points(ax) -> list[tuple[float, float]]:
    return [
        (float(x), float(y))
        for ln in ax.lines
        if ln.get_marker() == "o"
        for x, y in zip(ln.get_xdata(), ln.get_ydata(), strict=True)
    ]


def test_funnel_plot_draws_only_published_sites_and_names_the_hidden_ones():
    table = funnel_table([("Alpha", 40, 100), ("Beta", 30, 90), ("Tiny", 2, 3), ("Gamma", 55, 120)])
    published = _published(funnel.funnel_positions(table))
    hidden = set(published.loc[published["prop_yes"].map(disclosure.is_suppressed), "site"])
    assert hidden == {"Tiny", "Beta"}  # Tiny's 2 of 3, and Beta to protect it
    fig = charts.funnel_plot(published, "x", focus="Gamma")
    ax = fig.axes[0]
    drawn = sorted(x for x, _ in _points(ax))
    assert drawn == [100, 120]  # Alpha and Gamma only: no point at Beta's 90 or Tiny's 3
    assert (3.0, 2 / 3) not in _points(ax) and all(abs(y - 30 / 90) > 1e-9 for _, y in _points(ax))
    focus = [ln for ln in ax.lines if ln.get_marker() == "o" and ln.get_color() == style.HIGHLIGHT]
    assert len(focus) == 1 and list(focus[0].get_xdata()) == [120]
    labels = [t.get_text() for t in ax.texts]
    assert sorted(labels) == ["Alpha", "Gamma"]
    note = _note(fig)
    assert note.startswith("Not shown") and "Beta" in note and "Tiny" in note
    p0 = float(published.loc[published["site"] == TOTAL, "prop_yes"].iloc[0])
    assert f"All-site value ({p0:.2f})" in [t.get_text() for t in ax.get_legend().get_texts()]
    limit_lines = [ln for ln in ax.lines if ln.get_marker() in ("None", "", None)]
    assert len(limit_lines) == 5  # four limits and the all-site line
    assert all(np.isfinite(ln.get_ydata()).all() for ln in limit_lines)


def test_funnel_plot_without_a_published_all_site_value_draws_no_limits():
    table = funnel_table([("Alpha", 40, 100), ("Gamma", 55, 120)])
    published = _published(table)
    published.loc[published["site"] == TOTAL, ["n_yes", "prop_yes", "ci_low", "ci_high"]] = "c"
    fig = charts.funnel_plot(published, "x")
    ax = fig.axes[0]
    assert not [ln for ln in ax.lines if ln.get_marker() in ("None", "", None)]
    assert sorted(x for x, _ in _points(ax)) == [100, 120]
    assert "all-site value is not published" in _note(fig)


def test_interval_chart_leaves_out_hidden_sites_and_says_so():
    table = funnel_table([("Alpha", 40, 100), ("Beta", 30, 90), ("Tiny", 2, 3), ("Gamma", 55, 120)])
    published = _published(table)
    fig = charts.interval_chart(published, ["x"], focus="Gamma")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Alpha", "Beta", "Gamma", "Tiny"]  # by name, not rank
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    assert len(segments) == 2  # Alpha and Gamma; nothing for the hidden Beta and Tiny
    ys = sorted(float(seg[0][1]) for seg in segments)
    assert ys == [0.0, 2.0]
    assert sorted(x for x, _ in _points(ax)) == pytest.approx(sorted([0.4, 55 / 120]))
    assert "c" not in _texts(fig)
    assert _note(fig) == "Not shown, as the table hides them (c): 2 site values."
    focus = [c for c in ax.collections if tuple(c.get_color()[0][:3]) == to_rgb(style.HIGHLIGHT)]
    assert len(focus) == 1 and len(focus[0].get_segments()) == 1
    p0 = float(published.loc[published["site"] == TOTAL, "prop_yes"].iloc[0])
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert [float(ln.get_xdata()[0]) for ln in dashed] == [p0]


def test_interval_chart_of_the_study_draws_every_published_site(study):
    published = _published(comparison.site_indicators(study))
    fig = charts.interval_chart(
        published, ["father_info_shared", "father_checked"], focus="Dunmere"
    )
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == sorted(labels, key=str.casefold) and len(labels) == len(study.sites)
    bold = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_color() == style.HIGHLIGHT]
    assert bold == ["Dunmere"]
    audit = published[(published["source"] == "case_audit") & (published["site"] != TOTAL)]
    rows = audit[audit["indicator"] == "father_info_shared"]
    shown = (~rows["prop_yes"].map(disclosure.is_suppressed)).sum()
    segments = [seg for c in fig.axes[0].collections for seg in c.get_segments()]
    assert len(segments) == shown


def _change() -> pd.DataFrame:
    rows = [
        ("Big", "adopter", 20, 60, 45, 70),
        ("Small", "adopter", 2, 4, 30, 50),
        (TOTAL, "adopter", 22, 64, 75, 120),
    ]
    out = pd.DataFrame(
        rows, columns=["site", "role", "n_yes_before", "n_before", "n_yes_after", "n_after"]
    )
    out.insert(2, "indicator", "x")
    out.insert(3, "label", "X")
    out["prop_before"] = out["n_yes_before"] / out["n_before"]
    out["prop_after"] = out["n_yes_after"] / out["n_after"]
    d, low, high = comparison.newcombe_interval(
        out["n_yes_before"], out["n_before"], out["n_yes_after"], out["n_after"]
    )
    out["diff"], out["diff_low"], out["diff_high"] = d, low, high
    return out


def test_before_after_chart_draws_no_hidden_side():
    published = _published(_change(), comparison.CHANGE_DEPENDS)
    hidden = published["prop_before"].map(disclosure.is_suppressed)
    assert list(published.loc[hidden, "site"]) == ["Big", "Small"]  # Small's 2 of 4, and Big
    fig = charts.before_after_chart(published, ["x"], focus="Big")
    ax = fig.axes[0]
    dots = sorted(x for x, _ in _points(ax))
    # the after values of Big and Small, and both sides of the pooled row; no before value
    assert dots == pytest.approx(sorted([45 / 70, 30 / 50, 22 / 64, 75 / 120]))
    intervals = [ln for ln in ax.lines if ln.get_marker() in ("None", "", None)]
    assert len(intervals) == 4
    assert not ax.texts or all(t.get_text() == "" for t in ax.texts)  # arrow only where both
    arrows = [t for t in ax.texts if t.arrow_patch is not None]
    assert len(arrows) == 1  # the pooled row alone has both sides
    assert "c" not in _texts(fig)
    assert _note(fig) == "Not shown, as the table hides them (c): 2 before or after values."
    assert "Big" in [t.get_text() for t in ax.get_yticklabels()]


def test_before_after_chart_of_the_study(study):
    change = comparison.before_after(study, indicators=["father_info_shared"])
    published = _published(change, comparison.CHANGE_DEPENDS)
    fig = charts.before_after_chart(published, focus="Brackwater")
    ax = fig.axes[0]
    assert "Brackwater" in [t.get_text() for t in ax.get_yticklabels()]
    assert len(_points(ax)) == 2 * len(change)  # nothing hidden: large groups
    assert _note(fig) == ""


def test_finish_panel_wraps_the_indicator_label_and_bolds_the_focus():
    _fig, ax = style.new_figure("half")
    charts.finish_panel(ax, ["A", "B"], ["A", "B"], "B", False, "father_info_shared", "x")
    assert ax.get_title(loc="left") == style.wrap_label("Information about him shared")
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["B"]
