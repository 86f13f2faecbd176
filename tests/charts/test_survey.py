"""srim_analysis.charts.survey: the forest plot, items by group and the barrier chart."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import survey, survey_barriers, survey_models, survey_tables
from srim_analysis.charts import survey as survey_charts
from tests.analyses.test_survey_models import fit_planted


@pytest.fixture(scope="module")
def planted():
    return fit_planted()


def test_forest_plot_artists(planted):
    _, _, result = planted
    fig = survey_charts.forest_plot(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    ref_lines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [1.0, 1.0]]
    assert len(ref_lines) == 1
    ticks = {
        round(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    n_terms = len(result.estimates)
    assert ticks[n_terms - 1] == result.estimates["label"].iloc[0]  # first term on top
    points = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert list(points.get_xdata()) == pytest.approx(list(result.estimates["estimate"]))
    assert "n = 550 of 600" in ax.get_title(loc="left")
    ols = survey_models.fit_scale_ols(*planted[:2], factors=["trained_2024"])
    ax2 = survey_charts.forest_plot(ols).axes[0]
    assert ax2.get_xscale() == "linear"


def test_item_by_group_draws_only_the_groups_allowed(study):
    data = survey_tables.site_responses(study, "S02")
    groups = survey_tables.chart_groups(study, data, survey.CONFIDENCE_ITEM, "role", 5)
    fig = survey_charts.plot_item_by_group(
        data, study.survey_items, survey.CONFIDENCE_ITEM, "role", groups, "CONF1 by role", 5
    )
    ticks = [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()]
    assert ticks == [groups.labels[k] for k in groups.shown]
    note = fig.get_supxlabel().replace("\n", " ")
    assert note.startswith("Not shown") and all(name in note for name in groups.hidden)
    none = survey_tables.ChartGroups([], ["x"], {})
    items = study.survey_items
    assert survey_charts.plot_item_by_group(data, items, "CONF1", "role", none, "t") is None


def test_construct_by_group_has_a_panel_per_statement(study):
    data = survey_tables.site_responses(study, "all")
    ids = survey.construct_items(study.survey_items)["it_access"]
    groups = {i: survey_tables.chart_groups(study, data, i, "agency", 5) for i in ids}
    fig = survey_charts.plot_construct_by_group(
        data, study.survey_items, ids, "agency", groups, "IT access by agency", 5
    )
    assert len(fig.axes) == len(ids)
    assert len({ax.get_xlim() for ax in fig.axes}) == 1  # one scale for every panel


def test_small_dk_counts_read_as_fewer_than_min_cell():
    fig, ax = plt.subplots()
    ax.set_yticks([0, 1], ["A\n(n=40; 3 DK/NA)", "B\n(n=40; 7 DK/NA)"])
    survey_charts.hide_small_dk_counts(fig, 5)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "A\n(n=40; <5 DK/NA)",
        "B\n(n=40; 7 DK/NA)",
    ]


def test_barrier_chart_marks_suppressed_counts(study):
    table = survey_barriers.barrier_table(study, "S08")
    published = disclosure.publishable(table, 5, count_columns=["n_participants"])
    totals = survey_barriers.ranked_totals(published, "agency")
    fig = survey_charts.barrier_chart(totals, "Barriers", 5)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == len(totals)
    hidden = totals["n_participants"].map(disclosure.is_suppressed).sum()
    assert sum(t == "c (fewer than 5)" for t in texts) == hidden
