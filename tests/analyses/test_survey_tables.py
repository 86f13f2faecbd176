"""srim_analysis.analyses.survey_tables: the survey tables notebook 03 publishes."""

from __future__ import annotations

import pandas as pd

from srim_analysis import disclosure
from srim_analysis.analyses import survey, survey_tables
from srim_analysis.study.contract import AGENCIES

SMALL_SITE = "S08"  # Harrowmere: 13 respondents, 8 participants


def test_who_answered_is_a_partition_that_suppression_protects(study):
    table = survey_tables.respondents_by(study, SMALL_SITE, "agency")
    wide = table.pivot(index="agency", columns="answered", values="respondents")
    assert (wide[survey_tables.COMPLETE] + wide[survey_tables.INCOMPLETE] == wide["All"]).all()
    assert wide.loc["All", "All"] == 13
    published = disclosure.publishable(table, 5, count_columns=["respondents"])
    cells = published.pivot(index="agency", columns="answered", values="respondents")
    for group, row in cells.iterrows():
        values = [v for v in row if v != disclosure.SUPPRESSION_MARK]
        assert not any(1 <= int(v) <= 4 for v in values), group
        hidden = [v == disclosure.SUPPRESSION_MARK for v in row]
        assert sum(hidden) != 1, f"{group}: one hidden cell beside its total can be worked out"


def test_group_tests_use_only_groups_whose_counts_are_published(study):
    summary = survey_tables.score_summary(study, "S02", ["awareness"], "role")
    published = disclosure.publishable(
        summary, 5, count_columns=["n"], depends=survey_tables.SCORE_DEPENDS
    )
    groups = published[published["role"] != "All"]
    hidden = groups.loc[groups["n"] == disclosure.SUPPRESSION_MARK, "role"].tolist()
    assert hidden, "Brackwater should have small roles to protect"
    shown = pd.to_numeric(groups.loc[groups["n"] != disclosure.SUPPRESSION_MARK, "n"])
    test = survey_tables.group_tests(study, "S02", ["awareness"], "role").iloc[0]
    assert test["test"] == "Kruskal-Wallis H"
    assert test["n"] == shown.sum()  # the n of the test gives no hidden count away
    assert all(name in test["excluded"] for name in hidden)
    assert not any(name in test["groups"] for name in hidden)


def test_groups_are_ordered_one_way_everywhere(study):
    assert survey_tables.group_order("agency", ["zz", "(not recorded)"]) == [
        "zz",
        "(not recorded)",
    ]
    agencies = survey_tables.group_order("agency", study.survey_responses["agency"].unique())
    assert agencies == [a for a in dict(AGENCIES) if a in agencies]
    sites = study.site_ids()
    assert survey_tables.group_order("site_id", reversed(sites), sites) == sites
    assert survey_tables.group_order("site_id", reversed(sites)) == sorted(sites)
    table = survey_tables.respondents_by(study, "all", "agency")
    names = [survey_tables.group_label(study, "agency", k) for k in agencies]
    assert list(dict.fromkeys(table["agency"])) == [*names, "All"]


def test_chart_groups_hide_what_suppression_hides(study):
    data = survey_tables.site_responses(study, "S02")
    groups = survey_tables.chart_groups(study, data, survey.CONFIDENCE_ITEM, "role", 5)
    assert groups.shown and groups.hidden
    assert not set(groups.hidden) & {groups.labels[k] for k in groups.shown}
    everyone = survey_tables.chart_groups(study, data, survey.CONFIDENCE_ITEM, "role", 1)
    assert not everyone.hidden


def test_views_keep_the_published_order(study):
    summary = survey_tables.score_summary(study, SMALL_SITE, ["awareness", "it_access"], "role")
    published = disclosure.publishable(
        summary, 5, count_columns=["n"], depends=survey_tables.SCORE_DEPENDS
    )
    view = survey_tables.score_view(published, "role")
    assert list(view["role"]) == list(dict.fromkeys(published["role"]))
    assert list(view.columns[1:]) == ["Awareness of the 2024 advice", "IT access"]
    hidden = published["n"].map(disclosure.is_suppressed)
    assert (view.drop(columns="role") == disclosure.SUPPRESSION_MARK).sum().sum() == hidden.sum()
    who = survey_tables.respondents_by(study, SMALL_SITE, "role")
    wide = survey_tables.wide_view(who, ["role"], "answered", "respondents")
    assert list(wide.columns) == [
        "role",
        survey_tables.COMPLETE,
        survey_tables.INCOMPLETE,
        "All",
    ]
    assert isinstance(wide, pd.DataFrame) and len(wide) == who["role"].nunique()
