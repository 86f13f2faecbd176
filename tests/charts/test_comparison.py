"""Charts of the cross-site comparison: drawn from published tables, hidden cells left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb

from srim_analysis import disclosure
from srim_analysis.analyses import comparison, funnel
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import comparison as charts
from srim_analysis.charts import style
from tests.analyses.test_funnel import funnel_table
from tests.charts.conftest import assert_legible

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
    """Return every point drawn: line markers and scatter layers (PathCollections)."""
    marked = [
        (float(x), float(y))
        for ln in ax.lines
        if ln.get_marker() == "o"
        for x, y in zip(ln.get_xdata(), ln.get_ydata(), strict=True)
    ]
    return marked + [
        (float(x), float(y)) for c in ax.collections if isinstance(c, PathCollection)
        for x, y in c.get_offsets()
    ]  # fmt: skip


def _labels(ax) -> list[str]:
    """Return the texts drawn on the axes (labels left off where crowded are hidden)."""
    return [t.get_text() for t in ax.texts if t.get_visible() and t.get_text()]


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
    # a per-site page (#21): the other sites are one unlabelled layer, the focus is labelled
    assert _labels(ax) == ["Gamma"]
    (layer,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [float(x) for x, _ in layer.get_offsets()] == [100]
    assert sorted(_labels(charts.funnel_plot(published, "x").axes[0])) == ["Alpha", "Gamma"]
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


def _national(n_sites: int = 150, seed: int = 3) -> pd.DataFrame:
    """Return a published one-indicator table of a national-scale study (about 150 sites).

    Site 1 is the origin, sites 2-20 adopters, the rest comparison sites; a few small sites
    have their counts hidden. Names are long, as authorities' are.
    """
    rng = np.random.default_rng(seed)
    n = rng.integers(3, 400, n_sites)
    p = rng.uniform(0.2, 0.8, n_sites)
    rows = [
        (f"Synthetic Authority {i + 1:03d}", int(rng.binomial(m, q)), int(m))
        for i, (m, q) in enumerate(zip(n, p, strict=True))
    ]
    return _published(funnel.funnel_positions(funnel_table(rows)), funnel.POSITION_DEPENDS)


def _national_roles(n_sites: int = 150) -> dict[str, str]:
    return {
        f"Synthetic Authority {i:03d}": "origin" if i == 1 else "adopter" if i <= 20 else
        "comparison"
        for i in range(1, n_sites + 1)
    }  # fmt: skip


def test_funnel_plot_of_the_study_is_legible_with_and_without_a_focus(study):
    published = _published(comparison.site_indicators(study))
    everyone = charts.funnel_plot(published, "father_info_shared")
    assert_legible(everyone)
    assert sorted(_labels(everyone.axes[0])) == sorted(study.sites["display_name"])
    legend = everyone.axes[0].get_legend()
    assert legend.get_bbox_to_anchor().x0 >= everyone.axes[0].get_window_extent().x1  # outside
    one = charts.funnel_plot(
        published, "father_info_shared", focus="Dunmere", roles={"Ashcombe": "origin"}
    )
    assert_legible(one)
    assert sorted(_labels(one.axes[0])) == ["Ashcombe (origin)", "Dunmere"]


def test_national_funnel_draws_the_others_as_one_background_layer():
    published = _national()
    roles = _national_roles()
    focus = "Synthetic Authority 007"
    fig = charts.funnel_plot(published, "x", focus=focus, roles=roles)
    ax = fig.axes[0]
    layers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(layers) == 1  # every other site in one artist, no label
    shown = published[
        (published["site"] != TOTAL) & ~published["n"].map(disclosure.is_suppressed).astype(bool)
    ]
    assert len(layers[0].get_offsets()) == len(shown) - 1
    assert tuple(layers[0].get_facecolor()[0][:3]) == to_rgb(style.BACKGROUND)
    assert sorted(_labels(ax)) == sorted([focus, "Synthetic Authority 001 (origin)"])  # and origin
    (me,) = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert me.get_color() == style.FOCUS
    assert_legible(fig)


def test_national_funnel_without_a_focus_labels_what_fits_and_says_what_it_leaves_off():
    fig = charts.funnel_plot(_national(), "x", roles=_national_roles())
    assert_legible(fig)
    labelled = _labels(fig.axes[0])
    assert 0 < len(labelled) < 150
    if "left off where labels would overlap" in _note(fig):
        assert "funnel-positions table names every site" in _note(fig)


def test_national_interval_chart_is_compact_on_a_per_site_page():
    published = _national()
    roles = _national_roles()
    focus = "Synthetic Authority 007"
    fig = charts.interval_chart(published, ["x"], focus=focus, roles=roles)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [
        focus,
        "Synthetic Authority 001 (origin)",
        "Other adopters (18)",
        "Comparison sites (130)",
    ]
    strips = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(strips) == 2  # one background layer per strip, no interval
    rows = published[published["site"] != TOTAL].set_index("site")
    for strip, members in zip(strips, (range(2, 21), range(21, 151)), strict=True):
        names = [f"Synthetic Authority {i:03d}" for i in members if i != 7]
        want = sorted(v for v in style.shown_values(rows.loc[names, "prop_yes"]) if v == v)
        assert sorted(float(x) for x, _ in strip.get_offsets()) == pytest.approx(want)
    band = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx(to_rgb("#E8E8E8"))]
    assert len(band) == 1  # the all-site interval
    assert fig.get_figheight() < 3.5
    assert_legible(fig)
    full = charts.interval_chart(published, ["x"], roles=roles)  # all sites: every row
    assert len(full.axes[0].get_yticklabels()) == 150


def test_study_charts_are_legible(study):
    published = _published(comparison.site_indicators(study))
    assert_legible(
        charts.interval_chart(
            published, ["father_info_shared", "father_checked", "father_invited"], focus="Dunmere"
        )
    )
    change = _published(
        comparison.before_after(study, indicators=["father_info_shared", "father_checked"]),
        comparison.CHANGE_DEPENDS,
    )
    assert_legible(charts.before_after_chart(change, focus="Brackwater"))


def test_before_after_pooled_rows_are_set_apart_below_a_rule():
    published = _published(_change(), comparison.CHANGE_DEPENDS)
    ax = charts.before_after_chart(published, ["x"]).axes[0]
    ticks = ax.get_yticklabels()
    assert [t.get_text() for t in ticks] == ["Big", "Small", "All adopters"]
    assert [t.get_fontstyle() for t in ticks] == ["normal", "normal", "italic"]
    rules = [seg for c in ax.collections for seg in c.get_segments() if seg[0][1] == 1.5]
    assert len(rules) == 1  # between the sites and the pooled row


def test_before_after_is_compact_on_a_per_site_page_of_many_adopters():
    rows = [(f"Adopter {i:02d}", "adopter", 20, 60, 45, 70) for i in range(1, 20)]
    rows += [("Origin", "origin", 30, 60, 40, 60), (TOTAL, "adopter", 380, 1140, 855, 1330)]
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
    published = _published(out, comparison.CHANGE_DEPENDS)
    fig = charts.before_after_chart(published, ["x"], focus="Adopter 07")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["Adopter 07", "Origin (origin)", "All adopters"]
    assert len(_points(fig.axes[0])) == 6  # before and after of the three rows
    assert_legible(fig)
    full = charts.before_after_chart(published, ["x"])  # the whole study: every adopter
    assert len(full.axes[0].get_yticklabels()) == 21
