"""Tests for srim_analysis.charts.likert: asserted on the artists drawn, not on pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from srim_analysis.charts import likert as lp
from srim_analysis.charts.style import DIVERGING_5

AGREE = "Strongly disagree|Disagree|Neither agree nor disagree|Agree|Strongly agree"
LEVELS = AGREE.split("|")


def make_items(ids, constructs, labels=AGREE, hi=5):
    return pd.DataFrame(
        {
            "item_id": ids,
            "construct": constructs,
            "wording": [f"Statement {i}" for i in ids],
            "reverse_keyed": [0] * len(ids),
            "scale_min": [1] * len(ids),
            "scale_max": [hi] * len(ids),
            "labels": [labels] * len(ids),
            "allows_dont_know": [1] * len(ids),
            "allows_not_applicable": [1] * len(ids),
        }
    )


def answers(counts: dict[str, int], extra: dict[str, int] | None = None) -> list[object]:
    """Return a column with exactly these counts of each answer code."""
    out: list[object] = []
    for code, n in {**counts, **(extra or {})}.items():
        out += [None if code == "blank" else code] * n
    return out


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def answered_items() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (responses, items): 40 respondents, five items on one 5-point scale."""
    # 40 respondents. A1: nobody chose 1 ("Strongly disagree"); 2 dk, 2 blank.
    a1 = answers({"2": 4, "3": 8, "4": 18, "5": 4}, {"dk": 2, "blank": 4})
    a2 = answers({"1": 10, "2": 10, "3": 10, "4": 5, "5": 5})
    b1 = answers({"1": 2, "2": 2, "3": 4, "4": 24, "5": 2}, {"na": 6})
    small = answers({"4": 3}, {"blank": 37})
    rng = np.random.default_rng(0)
    agency = ["police"] * 18 + ["social_care"] * 17 + ["housing"] * 5
    responses = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(40)],
            "agency": agency,
            "A1": a1,
            "A2": a2,
            "B1": b1,
            "S1": small,
            "C1": rng.choice(["1", "2", "3", "4", "5"], 40),
        }
    )
    items = make_items(["A1", "A2", "B1", "S1", "C1"], ["aw", "aw", "lead", "aw", "conf"])
    return responses, items


@pytest.fixture
def data():
    return answered_items()


def bar_widths(ax) -> np.ndarray:
    """Return the bar widths as (rows, levels), rows in drawing order."""
    containers = ax.containers
    return np.array([[p.get_width() for p in c.patches] for c in containers]).T


def bar_lefts(ax) -> np.ndarray:
    return np.array([[p.get_x() for p in c.patches] for c in ax.containers]).T


def visible_pct_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == lp.PCT_GID and t.get_visible()]


def test_item_chart_bars_sum_to_100_and_neutral_straddles_zero(data):
    responses, items = data
    fig = lp.plot_likert_items(responses, items, ["B1", "A1", "A2"], min_cell=10)
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * 5  # every level drawn for every item, even empty ones
    widths = bar_widths(ax)
    assert widths.sum(axis=1) == pytest.approx([100, 100, 100])
    lefts = bar_lefts(ax)
    neutral = widths[:, 2]
    assert lefts[:, 2] == pytest.approx(-neutral / 2)  # split across zero
    assert (lefts[:, :2] + widths[:, :2] <= 1e-9).all()  # disagreement left of zero
    assert (lefts[:, 3:] >= -1e-9).all()  # agreement right of zero
    # Row 2 is A1: 0/34 strongly disagree, 4/34, 8/34, 18/34, 4/34.
    assert widths[1] == pytest.approx(np.array([0, 4, 8, 18, 4]) / 34 * 100)
    assert ax.containers[0].patches[0].get_facecolor() == pytest.approx(
        matplotlib.colors.to_rgba(DIVERGING_5[0])
    )


def test_item_order_and_n_in_tick_labels(data):
    responses, items = data
    fig = lp.plot_likert_items(responses, items, ["B1", "A1", "A2"], min_cell=10)
    ax = fig.axes[0]
    ticks = {
        round(t): lab.get_text()
        for t, lab in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    assert ticks[0].startswith("Statement B1") and "(n=34; 6 DK/NA)" in ticks[0]
    assert ticks[1].startswith("Statement A1") and "(n=34; 2 DK/NA)" in ticks[1]
    assert ticks[2].endswith("(n=40)")
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first item drawn on top


def test_legend_lists_every_level_even_unanswered(data):
    responses, items = data
    fig = lp.plot_likert_items(responses, items, ["A1"], min_cell=10)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == LEVELS


def test_percentage_labels_only_where_they_fit(data):
    responses, items = data
    fig = lp.plot_likert_items(responses, items, ["B1"], min_cell=10)
    fig.draw_without_rendering()  # labels are fitted when the chart is drawn
    labels = visible_pct_labels(fig.axes[0])
    # B1: 2, 2, 4, 24, 2 of 34 -> 6%, 6%, 12%, 71%, 6%
    assert "71%" in labels
    assert "6%" not in labels
    every = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == lp.PCT_GID]
    assert len(labels) <= len(every)


def test_small_items_are_suppressed_with_a_footnote(data):
    responses, items = data
    fig = lp.plot_likert_items(responses, items, ["A1", "S1"], min_cell=10)
    ax = fig.axes[0]
    assert len(ax.patches) == 1 * 5
    assert all("S1" not in t.get_text() for t in ax.get_yticklabels())
    notes = [t.get_text() for t in ax.texts if t.get_gid() == lp.FOOTNOTE_GID]
    assert notes == ["Not shown (fewer than 10 answers): S1."]


def test_group_chart_suppresses_small_groups(data):
    responses, items = data
    fig = lp.plot_likert_by_group(responses, items, "A2", by="agency", min_cell=10)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == 2 and len(ax.patches) == 2 * 5
    assert ticks[0].startswith("Police") and "(n=18)" in ticks[0]
    assert ticks[1].startswith("Children's social care")
    assert not any("Housing" in t for t in ticks)
    notes = [t.get_text() for t in ax.texts if t.get_gid() == lp.FOOTNOTE_GID]
    assert notes == ["Not shown (fewer than 10 answers): Housing."]
    assert bar_widths(ax).sum(axis=1) == pytest.approx([100, 100])
    ordered = lp.plot_likert_by_group(
        responses, items, "A2", by="agency", group_order=["social_care", "police"]
    )
    assert ordered.axes[0].get_yticklabels()[0].get_text().startswith("Children's social care")


def test_group_chart_on_given_axes(data):
    responses, items = data
    fig, (left, right) = plt.subplots(1, 2)
    out = lp.plot_likert_by_group(responses, items, "A2", ax=right, min_cell=1)
    assert out is fig
    assert len(right.patches) == 3 * 5 and len(left.patches) == 0


def test_construct_panels(data):
    responses, items = data
    fig = lp.plot_likert_by_construct(responses, items, ["conf", "aw", "lead"], min_cell=10)
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == ["Conf", "Aw", "Lead"]
    assert [len(ax.patches) for ax in axes] == [5, 2 * 5, 5]  # S1 suppressed in "aw"
    assert len({ax.get_xlim() for ax in axes}) == 1  # one shared scale
    notes = [t.get_text() for ax in axes for t in ax.texts if t.get_gid() == lp.FOOTNOTE_GID]
    assert notes == ["Not shown (fewer than 10 answers): S1."]


def test_even_scale_splits_at_zero():
    items = make_items(["E1"], ["c"], labels="Never|Rarely|Often|Always", hi=4)
    responses = pd.DataFrame({"E1": answers({"1": 5, "2": 15, "3": 20, "4": 10})})
    fig = lp.plot_likert_items(responses, items, min_cell=1)
    ax = fig.axes[0]
    widths, lefts = bar_widths(ax)[0], bar_lefts(ax)[0]
    assert widths == pytest.approx([10, 30, 40, 20])
    assert lefts == pytest.approx([-40, -30, 0, 40])
    assert len(set(lp.diverging_colours(4))) == 4


def test_mixed_scales_in_one_chart_raise(data):
    responses, items = data
    other = make_items(["E1"], ["c"], labels="No|Yes", hi=2)
    both = pd.concat([items, other], ignore_index=True)
    responses = responses.assign(E1="1")
    with pytest.raises(ValueError, match="different scales"):
        lp.plot_likert_items(responses, both, ["A1", "E1"])
    fig = lp.plot_likert_by_construct(responses, both, ["aw", "c"], min_cell=1)
    assert [len(ax.containers) for ax in fig.axes] == [5, 2]


def test_saved_chart_has_its_labels_fitted_without_an_extra_pass(data, tmp_path):
    from srim_analysis.report import figures

    responses, items = data
    fig = lp.plot_likert_items(responses, items, ["B1"], min_cell=10)
    assert "6%" in visible_pct_labels(fig.axes[0])  # nothing decided before the draw
    figures.save_figure(
        fig,
        "b1",
        "Statement B1",
        notebook="nb",
        site="S",
        data_fingerprint="x",
        figures_dir=tmp_path,
        synthetic=False,
        close=False,
    )
    labels = visible_pct_labels(fig.axes[0])
    assert "71%" in labels and "6%" not in labels
    svg = (tmp_path / "S" / "nb__b1.svg").read_text(encoding="utf-8")
    assert ">71%<" in svg and ">6%<" not in svg
    assert len([a for a in fig.artists if a.get_gid() == "likert-label-fitter"]) == 1
