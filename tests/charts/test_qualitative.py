"""Charts of notebook 04: small counts and small groups are hidden before drawing."""

from __future__ import annotations

import pandas as pd
import pytest

from srim_analysis.analyses import qualitative
from srim_analysis.charts import qualitative as charts
from srim_analysis.study.loading import load_study
from tests.analyses.test_qualitative import generated_study


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return load_study(generated_study(tmp_path_factory))


@pytest.fixture(scope="module")
def coded(loaded):
    return qualitative.coded_frame(
        loaded.coded_segments, loaded.participants, loaded.codebook, loaded.sites
    )


def test_stance_figure_drops_groups_below_min_cell(coded):
    stance = qualitative.stance_table(coded, by="agency", codes=["GR3"])
    fig = charts.stance_figure(stance, "GR3", min_cell=5, label="group", secondary=True)
    shown = " ".join(t.get_text() for t in fig.axes[0].get_yticklabels())
    for row in stance.itertuples():
        if row.n_participants < 5:
            assert row.group not in shown
    assert "Midwifery" in shown and "Health visiting" in shown
    assert charts.stance_figure(stance, "GR3", min_cell=100) is None


def test_stance_grid_marks_hidden_groups(coded):
    stance = qualitative.stance_table(coded, by="agency", branches=["consent"])
    fig = charts.stance_grid_figure(stance, "consent", min_cell=5)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title().replace("\n", " ") for ax in panels] == [
        "Consent as a lawful basis",
        "Consent to a service such as early help",
        "Consent to medical treatment",
    ]
    rows = {t.get_text().replace("\n", " ") for t in panels[0].get_yticklabels()}
    big = stance.loc[stance["n_participants"] >= 5, "group"]
    never = set(stance["group"]) - set(big)
    assert rows and not rows & never  # a group too small everywhere is not even listed
    assert any(t.get_text() == "c" for ax in panels for t in ax.texts)
    assert charts.stance_grid_figure(stance, "consent", min_cell=1000) is None


def test_heatmap_hides_small_counts():
    matrix = pd.DataFrame([[2, 9], [0, 12]], index=["a", "b"], columns=["x", "y"])
    fig = charts.heatmap_figure(matrix, "t", min_cell=5)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "2" not in texts and "c" in texts and {"9", "12"} <= set(texts)


def test_awareness_figure_leaves_out_small_groups(loaded, coded):
    people = qualitative.participant_frame(loaded.participants, loaded.sites)
    table = qualitative.awareness_table(coded, people, "agency")
    fig = charts.awareness_figure(table, "Awareness", min_cell=5)
    shown = " ".join(t.get_text() for t in fig.axes[0].get_yticklabels())
    for row in table.itertuples():
        if 1 <= row.n_coded < 5:
            assert row.group not in shown
    assert charts.awareness_figure(table, "Awareness", min_cell=10_000) is None


def test_branch_figure_marks_small_counts():
    summary = pd.DataFrame(
        {"code_label": ["Often", "Rarely", "Never"], "n_participants": [12, 3, 0]}
    )
    fig = charts.branch_figure(summary, "t", min_cell=5)
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert texts == ["12", "c", "0"]
    assert charts.branch_figure(summary.iloc[:0], "t", min_cell=5) is None
