"""srim_analysis.analyses.survey_tables: the survey tables notebook 03 publishes."""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import survey, survey_tables
from srim_analysis.study import synthetic
from srim_analysis.study.contract import AGENCIES
from srim_analysis.study.loading import load_study
from srim_analysis.study.plan import read_plan, render_plan

SMALL_SITE = "S08"  # Harrowmere: 13 respondents, 8 participants


def rename_survey(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Rename every survey item and construct of a study folder, and its plan to match.

    Items become ``Q01``, ``Q02``, ... (in file order) and constructs ``scale_a``,
    ``scale_b``, ...; survey_items.csv, the columns of survey_responses.csv and the
    plan's constructs in study.toml change together. Returns (item map, construct map).
    """
    items = pd.read_csv(folder / "survey_items.csv", comment="#", dtype=str)
    item_map = {old: f"Q{i + 1:02d}" for i, old in enumerate(items["item_id"])}
    constructs = list(dict.fromkeys(items["construct"]))
    construct_map = {old: f"scale_{chr(97 + i)}" for i, old in enumerate(constructs)}
    items["item_id"] = items["item_id"].map(item_map)
    items["construct"] = items["construct"].map(construct_map)
    items.to_csv(folder / "survey_items.csv", index=False)
    responses = pd.read_csv(folder / "survey_responses.csv", comment="#", dtype=str)
    responses.rename(columns=item_map).to_csv(folder / "survey_responses.csv", index=False)
    marker = tomllib.loads((folder / "study.toml").read_text(encoding="utf-8"))
    plan, _ = read_plan(folder)
    extra = {k: marker[k] for k in ("seed",) if k in marker}
    renamed = synthetic.rename_plan(plan, constructs=construct_map)
    text = render_plan(renamed, marker["kind"], marker["name"], extra)
    (folder / "study.toml").write_text(text, encoding="utf-8")
    return item_map, construct_map


@pytest.fixture(scope="module")
def renamed(tmp_path_factory, shipped_dir):
    """The synthetic study with every survey item and construct renamed (plan too)."""
    folder = tmp_path_factory.mktemp("renamed") / "study"
    shutil.copytree(shipped_dir, folder)
    item_map, construct_map = rename_survey(folder)
    return load_study(folder), item_map, construct_map


def test_constructs_and_labels_come_from_the_plan(study, renamed):
    assert survey_tables.report_constructs(study) == list(study.plan.survey.constructs)
    other, _, construct_map = renamed
    assert survey_tables.report_constructs(other) == [
        construct_map[c] for c in study.plan.survey.constructs
    ]
    for old, new in construct_map.items():
        assert survey_tables.construct_label(other, new) == survey_tables.construct_label(
            study, old
        )
    # no constructs in the plan: every construct of survey_items, labels made readable
    bare = replace(
        study, plan=replace(study.plan, survey=replace(study.plan.survey, constructs={}))
    )
    assert survey_tables.report_constructs(bare) == list(survey.construct_items(study.survey_items))
    assert survey_tables.construct_label(bare, "lawful_bases") == "Lawful bases"
    # an outcome the plan does not label reads as the outcome's name
    confidence = study.plan.survey.outcomes["confidence"]
    assert confidence not in study.plan.survey.constructs
    assert survey_tables.construct_label(study, confidence) == "Confidence to share information"
    assert survey_tables.outcome_construct(other, "awareness") == (construct_map["awareness"], "")
    unmapped = replace(
        study, plan=replace(study.plan, survey=replace(study.plan.survey, outcomes={}))
    )
    construct, why = survey_tables.outcome_construct(unmapped, "confidence")
    assert construct is None and "study.toml" in why


def test_renamed_survey_gives_the_same_tables(study, renamed):
    other, item_map, _ = renamed
    pairs = [
        (survey_tables.reliability_tables(study)[0], survey_tables.reliability_tables(other)[0]),
        (survey_tables.scoring_table(study, "S02"), survey_tables.scoring_table(other, "S02")),
        (survey_tables.respondents_by(study, "all"), survey_tables.respondents_by(other, "all")),
    ]
    for mine, theirs in pairs:
        numbers = mine.select_dtypes("number").columns
        pd.testing.assert_frame_equal(mine[numbers], theirs[numbers])
    ids = survey.construct_items(study.survey_items)["awareness"]
    mine = survey_tables.level_count_table(study, "all", ids, "agency")
    theirs = survey_tables.level_count_table(other, "all", [item_map[i] for i in ids], "agency")
    assert list(theirs["item"]) == [item_map[i] for i in mine["item"]]
    pd.testing.assert_frame_equal(mine.drop(columns="item"), theirs.drop(columns="item"))


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


def test_level_count_table_counts_each_answer(study):
    ids = survey.construct_items(study.survey_items)["awareness"]
    table = survey_tables.level_count_table(study, "S02", ids, "role")
    levels = table.attrs["levels"]
    assert len(levels) == 5
    assert (table[levels].sum(axis=1) == table["n"]).all()  # n is the sum of the answers
    every = survey.level_counts(survey_tables.site_responses(study, "S02"), study.survey_items, ids)
    totals = table[table["role"] == survey_tables.TOTAL].set_index("item")
    assert (totals[[*levels, "n", "n_dk_na"]] == every[[*levels, "n", "n_dk_na"]]).all().all()
    groups = table[table["role"] != survey_tables.TOTAL]
    assert (groups.groupby("item")["n"].sum() <= totals["n"]).all()  # unrecorded only in All
    assert not table.isna().any().any()
    published = disclosure.publishable(
        table, 5, count_columns=[*levels, "n", "n_dk_na"], sums={"n": tuple(levels)}
    )
    hidden = published[levels].map(disclosure.is_suppressed)
    assert hidden.any().any()  # a small site has answers to hide
    for _, row in published.iterrows():
        shown = [int(v) for v in row[levels] if not disclosure.is_suppressed(v)]
        assert not any(1 <= v <= 4 for v in shown)


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
