"""srim_analysis.analyses.survey_barriers: barriers and facilitators, quotes for the top ones."""

from __future__ import annotations

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import survey_barriers
from srim_analysis.analyses.survey_barriers import barrier_facilitator_counts as counts


def test_barrier_facilitator_counts_distinct_participants():
    codebook = pd.DataFrame(
        {
            "code_id": ["BAR", "BAR_IT", "BAR_FEAR", "FAC", "FAC_LEAD", "GR1"],
            "parent_id": [None, "BAR", "BAR", None, "FAC", None],
            "label": ["Barriers", "IT systems", "Fear", "Facilitators", "Leadership", "Rule 1"],
            "description": [None] * 6,
            "branch": ["barriers"] * 3 + ["facilitators"] * 2 + ["golden_rules"],
            "a_priori": [1] * 6,
        }
    )
    participants = pd.DataFrame(
        {
            "participant_id": ["p1", "p2", "p3", "p4"],
            "site_id": ["s1"] * 4,
            "agency": ["police", "police", "housing", "housing"],
        }
    )
    segments = pd.DataFrame(
        {
            "segment_id": ["g1", "g2", "g3", "g4", "g5", "g6", "g7"],
            "code_id": ["BAR_IT", "BAR_IT", "BAR_IT", "BAR_FEAR", "FAC_LEAD", "BAR_IT", "GR1"],
            "site_id": ["s1"] * 7,
            "participant_id": ["p1", "p1", "p1", "p1", "p3", None, "p2"],
        }
    )
    out = counts(segments, codebook, participants, by="agency")
    assert set(out["branch"]) == {"barriers", "facilitators"}
    t = out.set_index(["code_id", "agency"])
    assert t.loc[("BAR_IT", "police"), "n_participants"] == 1  # one person, three segments
    assert t.loc[("BAR_IT", "police"), "n_segments"] == 3
    assert t.loc[("BAR_IT", "police"), "pct_participants"] == pytest.approx(50.0)
    assert t.loc[("BAR", "police"), "n_participants"] == 1  # rolled up, counted once
    assert t.loc[("BAR", "police"), "n_segments"] == 4
    assert t.loc[("BAR_IT", "(unattributed)"), "n_segments"] == 1
    assert pd.isna(t.loc[("BAR_IT", "(unattributed)"), "n_participants"])
    assert t.loc[("BAR_IT", "All"), "n_segments"] == 4
    assert t.loc[("FAC", "housing"), "n_participants"] == 1
    assert t.loc[("FAC", "All"), "n_group"] == 4
    flat = counts(segments, codebook, participants, rollup=False)
    assert flat.set_index(["code_id", "agency"]).loc[("BAR", "police"), "n_segments"] == 0
    by_site = counts(segments, codebook, participants, by="site_id")
    assert by_site.set_index(["code_id", "site_id"]).loc[("BAR", "s1"), "n_participants"] == 1


def test_barriers_count_participants_in_codebook_order(study):
    table = survey_barriers.barrier_table(study, "all")
    fear = table[(table["code"] == "Fear of getting it wrong")]
    by_agency = fear[fear["agency"] != "All"]["n_participants"].sum()
    assert by_agency == fear[fear["agency"] == "All"]["n_participants"].iloc[0]
    codes = list(dict.fromkeys(table.loc[table["branch"] == "Barrier", "code"]))
    assert codes[0] == "Any barrier"
    book = study.codebook
    in_book = list(book.loc[(book["branch"] == "barriers") & book["parent_id"].notna(), "label"])
    assert codes[1:] == in_book  # not ranked by (possibly suppressed) counts


def test_quotes_are_redacted_and_attributed_without_ids(study):
    quotes = survey_barriers.top_barrier_quotes(study, "all")
    assert 1 <= quotes["barrier"].nunique() <= survey_barriers.TOP_BARRIERS
    assert quotes.groupby("barrier").size().between(1, 2).all()
    ids = set(study.participants["participant_id"]) | set(study.sites["site_id"])
    for row in quotes.itertuples():
        assert not any(i in row.quote or i in row.attribution for i in ids)
        assert row.attribution.endswith(("(interview)", "(focus group)"))
        assert any(name in row.attribution for name in study.sites["display_name"])
    names = disclosure.study_identifiers(study.folder)
    assert names is not None and len(names) > 0
    for quote in quotes["quote"]:
        assert not disclosure.redact(quote, names).found, quote  # nothing left to redact


def test_ranked_totals_and_view_read_the_published_counts(study):
    table = survey_barriers.barrier_table(study, "all")
    published = disclosure.publishable(table, 5, count_columns=["n_participants"])
    ranked = survey_barriers.ranked_totals(published, "agency")
    assert set(ranked["agency"]) == {"All"}
    barriers = ranked[ranked["branch"] == "Barrier"]
    assert barriers["code"].iloc[0] == "Any barrier"
    raised = barriers["raised"].iloc[1:].dropna()
    assert raised.is_monotonic_decreasing  # most raised first, suppressed ones after
    view = survey_barriers.barrier_view(published, "agency")
    assert list(view["code"]) == list(ranked["code"])
    assert view.columns[-1] == "All (% of participants)"
