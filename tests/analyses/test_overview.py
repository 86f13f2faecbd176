"""What data the study holds (notebook 00): the count tables, checked by hand."""

from __future__ import annotations

import dataclasses
import inspect

import pandas as pd

from srim_analysis.analyses import overview
from srim_analysis.study.contract import TABLES
from srim_analysis.study.plan import AnalysisPlan, RecruitmentTarget
from srim_analysis.study.selection import ALL_SITES

SITE = "S08"


def test_site_defaults_are_the_whole_study():
    for func in (
        overview.table_inventory,
        overview.participants_by,
        overview.survey_completeness,
        overview.segments_by_source,
    ):
        assert inspect.signature(func).parameters["site"].default == ALL_SITES, func.__name__


def test_inventory_counts_the_site_rows_of_each_table(study):
    inv = overview.table_inventory(study, SITE).set_index("table")
    # every table but the withdrawals (ids of people: notebook 00 counts them on their own)
    assert list(inv.index) == [t for t in TABLES if t not in overview.NOT_IN_INVENTORY]
    assert (inv["held"] == "yes").all()
    participants = study.participants
    assert inv.loc["participants", "n"] == (participants["site_id"] == SITE).sum()
    assert inv.loc["codebook", "n"] == len(study.codebook)  # no site_id: every row
    whole = overview.table_inventory(study).set_index("table")
    assert whole.loc["case_audit", "n"] == len(study.case_audit)
    assert str(inv["n"].dtype) == "Int64"


def test_sites_table_dates_are_text(study):
    sites = overview.sites_table(study)
    assert list(sites.columns) == [
        "site_id",
        "display_name",
        "region",
        "authority_type",
        "role",
        "initiative_start",
    ]
    started = sites["initiative_start"].dropna()  # comparison sites have no initiative
    assert len(started) and started.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_participants_by_role_adds_up(study):
    table = overview.participants_by(study, SITE, "role").set_index("role")
    people = study.participants[study.participants["site_id"] == SITE]
    assert table.loc["Total", "n_total"] == len(people)
    body = table.drop(index="Total")
    assert (body["n_interview"] + body["n_focus_group"] == body["n_total"]).all()
    assert body["n_total"].sum() == len(people)
    by_agency = overview.participants_by(study, SITE, "agency")
    assert by_agency["agency"].iloc[-1] == "Total"
    assert by_agency["n_total"].iloc[-1] == len(people)


def test_survey_completeness_partitions_the_respondents(study):
    table = overview.survey_completeness(study, SITE)
    n = (study.survey_responses["site_id"] == SITE).sum()
    assert (table["n_respondents"] == n).all()
    parts = ["n_answered", "n_dont_know", "n_not_applicable", "n_missing"]
    assert (table[parts].sum(axis=1) == n).all()
    expected = (100 * table["n_answered"] / n).round(1)
    pd.testing.assert_series_equal(table["pct_answered"], expected, check_names=False)
    assert len(table) == len(study.survey_items)


def test_survey_by_site_has_margins_declared_as_counts(study):
    table = overview.survey_by_site(study).set_index("site_id")
    assert table.loc["Total", "Total"] == len(study.survey_responses)
    assert "site_id" not in table.attrs.get("count_columns", [])
    assert overview.survey_by_site(study).attrs["count_columns"][-1] == "Total"


def test_segments_by_source_counts_codings(study):
    table = overview.segments_by_source(study, SITE)
    seg = study.coded_segments[study.coded_segments["site_id"] == SITE]
    assert table["n_codings"].sum() == len(seg)
    assert table["n_sources"].sum() == seg.groupby("method")["source_id"].nunique().sum()
    assert "Interview" in set(table["source_type"])


def test_audit_observation_counts_total_row(study):
    counts = overview.audit_observation_counts(study).set_index("site_id")
    assert counts.loc["Total", "site"] == "All"  # read as the total row by suppression
    assert counts.loc["Total", "n_cases"] == len(study.case_audit)
    assert counts.loc["Total", "n_observations"] == len(study.observations)
    assert counts.loc["Total", "n_documents"] == len(study.documents)
    assert counts.loc["S08", "n_cases"] == (study.case_audit["site_id"] == "S08").sum()


def _people_study(study, targets):
    """The shipped study with a tiny participants table and the given targets."""
    people = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c", "d"],
            "site_id": ["S01", "S01", "S01", "S02"],
            "agency": ["police", "police", "housing", "police"],
            "role": ["manager"] * 4,
            "method": ["interview", "interview", "focus_group", "interview"],
            "other_methods": ["focus_group", None, None, None],
        }
    )
    tables = {**study.tables, "participants": people}
    tables["coded_segments"] = study.coded_segments.iloc[:0]
    return dataclasses.replace(study, tables=tables, plan=AnalysisPlan(recruitment=tuple(targets)))


def test_recruitment_counts_people_once_per_target(study):
    targets = [
        RecruitmentTarget(site="S01", n=5),  # a, b, c: a took part twice, counted once
        RecruitmentTarget(site="S01", method="interview", n=2),  # a, b: met
        RecruitmentTarget(site="S01", method="focus_group", n=4),  # a and c
        RecruitmentTarget(agency="police", n=3),  # a, b, d across sites: met
        RecruitmentTarget(site="S02", agency="housing", method="interview", n=1),  # nobody
    ]
    got = overview.recruitment_progress(_people_study(study, targets))
    assert got["target"].tolist() == [5, 2, 4, 3, 1]
    assert got["n_achieved"].tolist() == [3, 2, 2, 3, 0]
    assert got["still_missing"].tolist() == [2, 0, 2, 0, 1]
    assert got.loc[0, ["site", "agency", "method"]].tolist() == [
        study.site_label("S01"),
        "All agencies",
        "All methods",
    ]
    assert got.loc[2, "method"] == "Focus group"
    one_site = overview.recruitment_progress(_people_study(study, targets), "S02")
    assert one_site["target"].tolist() == [1]  # only the site's own targets


def test_recruitment_of_the_shipped_study(study):
    got = overview.recruitment_progress(study)
    first = got.iloc[0]  # all sites, interview: 96 interviewees against 100
    assert (first["method"], first["target"], first["n_achieved"]) == ("Interview", 100, 96)
    # every person counted once: a target of all methods counts people, not methods
    whole = got[(got["method"] == "All methods") & (got["agency"] == "All agencies")]
    s03 = study.participants[study.participants["site_id"] == "S03"]
    assert whole["n_achieved"].tolist() == [len(s03)]
    assert (got["still_missing"] == (got["target"] - got["n_achieved"]).clip(lower=0)).all()


def test_withdrawal_counts_name_no_one(study):
    assert overview.withdrawal_counts(study).empty  # nobody withdrew from the shipped study
    removed = {"people": 2, "participants": 1, "coded_segments": 40, "all_codings": 44}
    got = overview.withdrawal_counts(dataclasses.replace(study, withdrawn=removed))
    assert got["n"].tolist() == [2, 1, 40, 44]
    assert got["removed"].iloc[0] == overview.WITHDRAWN_LABELS["people"]
