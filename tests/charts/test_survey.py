"""srim_analysis.charts.survey: forest plot, answers by group, predicted answers, barriers.

Every chart draws a published table; the tests assert on the artists that no hidden cell
(the suppression mark) is drawn or labelled and that the note says what is left out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import (
    survey,
    survey_barriers,
    survey_model_tables,
    survey_models,
    survey_tables,
)
from srim_analysis.charts import survey as survey_charts
from srim_analysis.charts.style import LEFT_OUT_GID
from tests.analyses.test_survey_models import fit_planted
from tests.charts.conftest import assert_legible

C = disclosure.SUPPRESSION_MARK


@pytest.fixture(scope="module")
def planted():
    return fit_planted()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def notes(fig) -> list[str]:
    return [t.get_text().replace("\n", " ") for t in fig.texts if t.get_gid() == LEFT_OUT_GID]


def test_forest_plot_draws_the_published_estimates(planted):
    _, _, result = planted
    published = disclosure.publishable(
        survey_model_tables.model_table(result), 5, count_columns=["n_level"]
    )
    fig = survey_charts.forest_plot(published, "Odds ratios", "CONF1")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    ref_lines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [1.0, 1.0]]
    assert len(ref_lines) == 1
    ticks = {
        round(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    n_terms = len(published)
    assert ticks[n_terms - 1] == published["label"].iloc[0]  # first term on top
    points = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert list(points.get_xdata()) == pytest.approx(published["odds_ratio"].astype(float).tolist())
    assert ax.get_title(loc="left") == "Odds ratios"
    assert notes(fig) == []
    assert_legible(fig)


def test_forest_plot_leaves_out_a_hidden_estimate(planted):
    _, _, result = planted
    published = survey_model_tables.model_table(result).astype(object)
    published.loc[1, ["odds_ratio", "ci_low", "ci_high"]] = C
    fig = survey_charts.forest_plot(published, "Odds ratios", "CONF1")
    ax = fig.axes[0]
    points = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert len(points.get_xdata()) == len(published) - 1
    hidden = published.loc[1, "label"]
    assert hidden not in [t.get_text() for t in ax.get_yticklabels()]
    (note,) = notes(fig)
    assert hidden in note
    segments = ax.collections[0].get_segments()
    assert len(segments) == len(published) - 1
    ols = survey_model_tables.model_table(
        survey_models.fit_scale_ols(*planted[:2], "confidence", factors=["trained_2024"])
    )
    ax2 = survey_charts.forest_plot(ols, "Differences", "confidence").axes[0]
    assert ax2.get_xscale() == "linear"
    everything = published.assign(odds_ratio=C)
    assert survey_charts.forest_plot(everything, "t", "CONF1") is None


def test_item_by_group_draws_only_the_published_groups(study):
    item = survey.construct_items(study.survey_items)[study.plan.survey.outcomes["confidence"]]
    table = survey_tables.level_count_table(study, "S02", item, "role")
    levels = table.attrs["levels"]
    published = disclosure.publishable(
        table, 5, count_columns=[*levels, "n", "n_dk_na"], sums={"n": tuple(levels)}
    )
    fig = survey_charts.plot_item_by_group(published, levels, "role", "By role", 5)
    ax = fig.axes[0]
    groups = published[published["role"] != survey_tables.TOTAL]
    shown = groups[~groups["n"].map(disclosure.is_suppressed).astype(bool)]
    hidden = groups[groups["n"].map(disclosure.is_suppressed).astype(bool)]
    assert len(hidden), "Brackwater should have small roles to protect"
    ticks = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert ticks == list(shown["role"])  # the All row is not drawn
    (note,) = notes(fig)
    assert all(name in note for name in hidden["role"])
    # each drawn segment is a shown count over the shown n; hidden counts have no width
    widths = np.array([[p.get_width() for p in c.patches] for c in ax.containers]).T
    for row, (_, cells) in zip(widths, shown.iterrows(), strict=True):
        want = [
            0 if disclosure.is_suppressed(cells[lv]) else 100 * int(cells[lv]) / int(cells["n"])
            for lv in levels
        ]
        assert row == pytest.approx(want)
    texts = [t.get_text() for t in ax.texts if t.get_text().endswith("%")]
    allowed = {f"{w:.0f}%" for w in widths.ravel() if w > 0}
    assert set(texts) <= allowed
    assert_legible(fig)


def test_construct_by_group_has_a_panel_per_statement(study):
    ids = survey.construct_items(study.survey_items)["it_access"]
    table = survey_tables.level_count_table(study, "all", ids, "agency")
    levels = table.attrs["levels"]
    published = disclosure.publishable(
        table, 5, count_columns=[*levels, "n", "n_dk_na"], sums={"n": tuple(levels)}
    )
    fig = survey_charts.plot_construct_by_group(published, levels, "agency", "IT access", 5)
    axes = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == len(ids)
    assert len({ax.get_xlim() for ax in axes}) == 1  # one scale for every panel
    assert_legible(fig)


def test_predicted_answers_chart_draws_the_published_shares(planted):
    _, _, result = planted
    predicted = survey_model_tables.predicted_answers(result)
    levels = [c for c in predicted.columns if c != "profile"]
    fig = survey_charts.plot_predicted_answers(predicted, "Predicted")
    ax = fig.axes[0]
    widths = np.array([[p.get_width() for p in c.patches] for c in ax.containers]).T
    shares = predicted[levels].to_numpy(dtype=float)
    assert widths == pytest.approx(100 * shares / shares.sum(axis=1, keepdims=True))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(predicted["profile"])
    assert_legible(fig)
    hidden = predicted.astype(object)
    hidden.loc[0, levels[0]] = C
    fig = survey_charts.plot_predicted_answers(hidden, "Predicted")
    assert len(fig.axes[0].get_yticklabels()) == 1
    (note,) = notes(fig)
    assert predicted["profile"].iloc[0] in note


def test_barrier_chart_draws_no_hidden_count(study):
    table = survey_barriers.barrier_table(study, "S08")
    published = disclosure.publishable(table, 5, count_columns=["n_participants"])
    totals = survey_barriers.ranked_totals(published, "agency")
    hidden = totals["n_participants"].map(disclosure.is_suppressed).astype(bool)
    assert hidden.any() and (~hidden).any()
    fig = survey_charts.barrier_chart(published, "agency", "Barriers", 5)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == int((~hidden).sum())  # a label for every shown count, none else
    shown_pct = pd.to_numeric(totals.loc[~hidden, "pct_participants"])
    assert sorted(texts) == sorted(
        f"{p:.0f}% (n={n})"
        for p, n in zip(shown_pct, totals.loc[~hidden, "n_participants"], strict=True)
    )
    bars = [p.get_width() for ax in fig.axes for p in ax.patches]
    assert bars == pytest.approx(
        [
            w
            for b in ("Barrier", "Facilitator")
            for w in pd.to_numeric(
                totals.loc[~hidden & (totals["branch"] == b), "pct_participants"]
            )
        ]
    )
    (note,) = notes(fig)
    assert note.startswith(f"{int(hidden.sum())} code(s) raised by fewer than 5 participants")
    assert_legible(fig)
