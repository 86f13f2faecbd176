"""Objective 4 analyses: the coded material, frequencies, co-occurrence, stance and quotes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import qualitative
from srim_analysis.study import synthetic
from srim_analysis.study.contract import AGENCIES
from srim_analysis.study.loading import load_study

HEALTH = set(synthetic.HEALTH_CRITICS)


def generated_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the generated synthetic study, shared by the objective-4 test modules."""
    folder = tmp_path_factory.getbasetemp() / "srim_study04"
    if not (folder / "study.toml").exists():
        synthetic.write_study(folder)
    return folder


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory):
    return generated_study(tmp_path_factory)


@pytest.fixture(scope="module")
def loaded(study_dir):
    return load_study(study_dir)


@pytest.fixture(scope="module")
def coded(loaded):
    return qualitative.coded_frame(
        loaded.coded_segments, loaded.participants, loaded.codebook, loaded.sites
    )


@pytest.fixture(scope="module")
def people(loaded):
    return qualitative.participant_frame(loaded.participants, loaded.sites)


def _segments(rows: list[tuple]) -> pd.DataFrame:
    """Make a coded_segments table: (segment, code, source, method, participant, excerpt)."""
    frame = pd.DataFrame(
        rows,
        columns=["segment_id", "code_id", "source_id", "method", "participant_id", "excerpt"],
    )
    frame["site_id"] = "S1"
    frame["source_date"] = pd.NaT
    return frame


BOOK = pd.DataFrame(
    {
        "code_id": ["GR1", "GR3", "ST-SUP", "ST-CRIT", "ST-MIX", "ST-UNC", "X", "Y", "Z"],
        "parent_id": ["GR", "GR", "ST", "ST", "ST", "ST", "T", "T", "T"],
        "label": ["Rule 1", "Rule 3", "Supportive", "Critical", "Mixed", "Unclear", "X", "Y", "Z"],
        "branch": ["golden_rules"] * 2 + ["stance"] * 4 + ["gaps"] * 3,
    }
)
PEOPLE = pd.DataFrame(
    {
        "participant_id": ["p1", "p2", "p3", "p4"],
        "site_id": ["S1"] * 4,
        "agency": ["midwifery", "midwifery", "police", "police"],
        "role": ["practitioner", "manager", "practitioner", "strategic_lead"],
        "method": ["interview", "interview", "focus_group", "focus_group"],
    }
)
SITES = pd.DataFrame({"site_id": ["S1"], "display_name": ["Brackwater"]})
#: The hand-made study's stance and awareness codes, as its analysis plan would map them.
STANCES = {"ST-CRIT": "critical", "ST-MIX": "mixed", "ST-SUP": "supportive", "ST-UNC": "unclear"}
AWARENESS = {"AWR-READ": "read", "AWR-HEARD": "heard", "AWR-UNAWARE": "unaware"}


# ---------------------------------------------------------------------------
# The coded material
# ---------------------------------------------------------------------------


def test_material_is_one_sites_codings_and_participants(loaded):
    coded, people = qualitative.material(loaded, "S02")
    assert set(coded["site_id"]) == {"S02"} and set(people["site_id"]) == {"S02"}
    assert {"agency", "role", "site_name", "code_label", "branch", "code_order"} <= set(coded)
    everyone, all_people = qualitative.material(loaded)
    assert len(all_people) == len(loaded.participants)
    assert len(everyone) == len(loaded.coded_segments)


def test_groupings_are_checked_and_ranked_in_schema_order():
    qualitative.check_grouping(None)
    qualitative.check_grouping("agency")
    with pytest.raises(ValueError, match="group_by"):
        qualitative.check_grouping("team")
    rank = qualitative.group_rank("agency", ["police", qualitative.UNATTRIBUTED_KEY, "zzz"])
    ordered = sorted(["zzz", qualitative.UNATTRIBUTED_KEY, "police"], key=rank.get)
    assert ordered == ["police", "zzz", qualitative.UNATTRIBUTED_KEY]


def test_branch_codes_and_labels_follow_the_codebook():
    seg = _segments(
        [
            ("s1", "Y", "a", "interview", "p1", ""),
            ("s2", "X", "a", "interview", "p1", ""),
            ("s3", "GR1", "a", "interview", "p1", ""),
        ]
    )
    coded = qualitative.coded_frame(seg, PEOPLE, BOOK, SITES)
    assert qualitative.branch_codes(coded, "gaps") == ["X", "Y"]
    assert qualitative.branch_codes(coded, "consent") == []
    assert qualitative.branch_codes(coded.iloc[:0], "gaps") == []
    assert qualitative.code_labels(coded).to_dict() == {"Y": "Y", "X": "X", "GR1": "Rule 1"}
    table = qualitative.cooccurrence_table(
        qualitative.cooccurrence(coded, "source", ["GR1"], ["X", "Y"]),
        qualitative.code_labels(coded),
    )
    assert table.to_dict("records") == [
        {"code_id": "GR1", "code_label": "Rule 1", "n_X": 1, "n_Y": 1}
    ]


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------


def test_cooccurrence_on_a_hand_made_table():
    seg = _segments(
        [
            ("s1", "X", "a", "interview", "p1", ""),
            ("s1", "Y", "a", "interview", "p1", ""),
            ("s2", "X", "a", "interview", "p1", ""),
            ("s2", "Z", "a", "interview", "p1", ""),
            ("s3", "Y", "b", "interview", "p2", ""),
            ("s4", "X", "b", "interview", "p2", ""),
            ("s5", "Z", "c", "document", None, ""),
        ]
    )
    coded = qualitative.coded_frame(seg, PEOPLE, BOOK, SITES)
    within_segment = qualitative.cooccurrence(coded, "segment", ["X", "Y", "Z"])
    assert within_segment.to_dict() == {
        "X": {"X": 3, "Y": 1, "Z": 1},
        "Y": {"X": 1, "Y": 2, "Z": 0},
        "Z": {"X": 1, "Y": 0, "Z": 2},
    }
    within_source = qualitative.cooccurrence(coded, "source", ["X", "Y", "Z"])
    # source a: X Y Z; source b: X Y; source c: Z
    assert within_source.to_dict() == {
        "X": {"X": 2, "Y": 2, "Z": 1},
        "Y": {"X": 2, "Y": 2, "Z": 1},
        "Z": {"X": 1, "Y": 1, "Z": 2},
    }
    rect = qualitative.cooccurrence(coded, "source", ["Z"], ["X", "Y"])
    assert rect.to_dict() == {"X": {"Z": 1}, "Y": {"Z": 1}}
    with pytest.raises(ValueError, match="within"):
        qualitative.cooccurrence(coded, "paragraph")


def test_frequencies_count_participants_as_well_as_segments():
    seg = _segments(
        [
            ("s1", "X", "int1", "interview", "p1", ""),
            ("s2", "X", "int1", "interview", "p1", ""),
            ("s3", "X", "int1", "interview", "p1", ""),
            ("s4", "X", "int2", "interview", "p2", ""),
            ("s5", "X", "fg1", "focus_group", "p3", ""),
            ("s6", "X", "doc1", "document", None, ""),
            ("s7", "X", "doc1", "document", None, ""),
            ("s8", "Y", "int2", "interview", "p2", ""),
        ]
    )
    coded = qualitative.coded_frame(seg, PEOPLE, BOOK, SITES)
    overall = qualitative.code_frequencies(coded, by=None).set_index("code_id")
    assert overall.loc["X", ["n_participants", "n_segments", "n_sources"]].tolist() == [3, 7, 4]
    assert overall.loc["Y", ["n_participants", "n_segments", "n_sources"]].tolist() == [1, 1, 1]

    by_agency = qualitative.code_frequencies(coded, by="agency", codes=["X"])
    got = {
        r.agency: (r.group, r.n_participants, r.n_segments, r.n_sources)
        for r in by_agency.itertuples()
    }
    assert got == {
        "midwifery": ("Midwifery", 2, 4, 2),  # p1 three times counts once
        "police": ("Police", 1, 1, 1),
        qualitative.UNATTRIBUTED_KEY: (qualitative.UNATTRIBUTED, 0, 2, 1),  # documents
    }
    wide = qualitative.frequency_matrix(by_agency, "n_segments")
    assert list(wide.columns) == ["Police", "Midwifery", qualitative.UNATTRIBUTED]  # schema order
    assert wide.loc["X"].tolist() == [1, 4, 2]

    summary = qualitative.branch_summary(coded, qualitative.participant_frame(PEOPLE), "gaps")
    assert summary["code_id"].tolist() == ["X", "Y"]
    assert summary["pct_participants"].tolist() == [75.0, 25.0]


def test_awareness_counts_each_participant_once_at_the_most_aware_level():
    book = pd.concat(
        [
            BOOK,
            pd.DataFrame(
                {
                    "code_id": list(AWARENESS),
                    "parent_id": ["AWR"] * 3,
                    "label": ["Read", "Heard", "Unaware"],
                    "branch": ["awareness"] * 3,
                }
            ),
        ]
    )
    seg = _segments(
        [
            ("s1", "AWR-UNAWARE", "int1", "interview", "p1", ""),
            ("s2", "AWR-READ", "int1", "interview", "p1", ""),
            ("s3", "AWR-HEARD", "int2", "interview", "p2", ""),
            ("s4", "AWR-UNAWARE", "fg1", "focus_group", "p3", ""),
        ]
    )
    coded = qualitative.coded_frame(seg, PEOPLE, book, SITES)
    table = qualitative.awareness_table(
        coded, qualitative.participant_frame(PEOPLE), AWARENESS, "agency"
    )
    got = table.set_index("agency")[
        ["n_participants", "n_coded", "n_read", "n_heard", "n_unaware", "n_not_coded"]
    ]
    assert got.loc["midwifery"].tolist() == [2, 2, 1, 1, 0, 0]
    assert got.loc["police"].tolist() == [2, 1, 0, 0, 1, 1]
    assert table.set_index("agency").loc["midwifery", "pct_read"] == 50.0
    # the codes' names do not matter: the plan's mapping does
    renamed = {"AWR-READ": "aw-1", "AWR-HEARD": "aw-2", "AWR-UNAWARE": "aw-3"}
    again = qualitative.awareness_table(
        qualitative.coded_frame(seg.replace({"code_id": renamed}), PEOPLE, book, SITES),
        qualitative.participant_frame(PEOPLE),
        {renamed[k]: v for k, v in AWARENESS.items()},
        "agency",
    )
    pd.testing.assert_frame_equal(again, table)
    # no awareness codes mapped: every participant is 'not coded'
    none = qualitative.awareness_table(coded, qualitative.participant_frame(PEOPLE), {}, "agency")
    assert none["n_coded"].sum() == 0 and none["n_not_coded"].sum() == 4


def test_awareness_on_the_synthetic_study_counts_every_participant(loaded, coded, people):
    table = qualitative.awareness_table(
        coded, people, loaded.plan.codes.awareness_columns(), "agency"
    )
    assert table["n_coded"].sum() > 0.8 * len(people)
    assert table["n_participants"].sum() == len(people)
    assert (table["n_coded"] + table["n_not_coded"] == table["n_participants"]).all()


# ---------------------------------------------------------------------------
# Stance
# ---------------------------------------------------------------------------


def test_stance_table_on_a_hand_made_table():
    seg = _segments(
        [
            ("s1", "GR3", "i1", "interview", "p1", ""),
            ("s1", "ST-CRIT", "i1", "interview", "p1", ""),
            ("s2", "GR3", "i2", "interview", "p2", ""),
            ("s2", "ST-SUP", "i2", "interview", "p2", ""),
            ("s2", "ST-CRIT", "i2", "interview", "p2", ""),  # both: mixed
            ("s3", "GR3", "f1", "focus_group", "p3", ""),
            ("s3", "ST-SUP", "f1", "focus_group", "p3", ""),
            ("s4", "GR3", "f1", "focus_group", "p4", ""),  # no stance
            ("s5", "GR3", "d1", "document", None, ""),  # documents hold no views
            ("s5", "ST-UNC", "d1", "document", None, ""),
            ("s6", "GR1", "i1", "interview", "p1", ""),
            ("s6", "ST-SUP", "i1", "interview", "p1", ""),
        ]
    )
    coded = qualitative.coded_frame(seg, PEOPLE, BOOK, SITES)
    overall = qualitative.stance_table(coded, STANCES).set_index("code_id")
    gr3 = overall.loc["GR3"]
    assert gr3[["n_segments", "n_critical", "n_mixed", "n_supportive", "n_no_stance"]].tolist() == [
        4,
        1,
        1,
        1,
        1,
    ]
    assert gr3["pct_critical"] == 25.0
    by_agency = qualitative.stance_table(coded, STANCES, by="agency")
    mid = by_agency[(by_agency["code_id"] == "GR3") & (by_agency["agency"] == "midwifery")]
    assert mid[["n_participants", "n_critical", "n_mixed"]].iloc[0].tolist() == [2, 1, 1]
    found = qualitative.most_criticised(by_agency, min_participants=1)
    assert found.code_id == "GR3"
    assert found.critics == ["midwifery"]


def test_the_planted_criticised_rule_is_found(loaded, coded):
    stance = qualitative.stance_table(coded, loaded.plan.codes.stance_columns(), by="agency")
    found = qualitative.most_criticised(stance)
    assert found.code_id == "GR3"
    assert found.codes.iloc[0]["pct_critical"] > 2 * found.codes.iloc[1]["pct_critical"]
    # the most critical agencies are the health ones planted in the synthetic study
    assert set(found.critics[:3]) <= HEALTH, found.groups
    assert [a for a in found.groups["agency"] if a in HEALTH] == [
        a for a in found.critics if a in HEALTH
    ]
    gr3 = stance[stance["code_id"] == "GR3"]
    health = gr3[gr3["agency"].isin(HEALTH)]
    other = gr3[~gr3["agency"].isin(HEALTH)]
    share = health["n_critical"].sum() / health["n_segments"].sum()
    assert share > 1.5 * other["n_critical"].sum() / other["n_segments"].sum()
    sentence = qualitative.criticised_sentence(found.codes, found.groups, "agency", 5)
    assert "Rule 3" in sentence and "Midwifery" in sentence


def test_the_criticised_sentence_states_only_shown_cells():
    """A hidden share is never stated: the next code and the groups come from shown cells."""
    codes = pd.DataFrame(
        {
            "code_id": ["A", "B", "C"],
            "code_label": ["Rule A", "Rule B", "Rule C"],
            "n_participants": [12, 9, 8],
            "n_segments": [30, 20, 15],
            "n_critical": [12, "c", 3],
            "pct_critical": [40.0, "c", 20.0],
        }
    )
    groups = pd.DataFrame(
        {
            "agency": ["police", "health", "housing"],
            "group": ["Police", "Health", "Housing"],
            "n_participants": [6, "c", 5],
            "n_segments": [10, "c", 8],
            "n_critical": [7, "c", "c"],
            "pct_critical": [70.0, "c", "c"],
        }
    )
    text = qualitative.criticised_sentence(codes, groups, "agency", 5, "at Northfield")
    assert "next" not in text and "Rule B" not in text  # the runner-up's share is hidden
    reordered = codes.iloc[[0, 2, 1]]
    text = qualitative.criticised_sentence(reordered, groups, "agency", 5, "at Northfield")
    assert "(next: Rule C, 20%)" in text and "Rule B" not in text
    assert "Police (70%)" in text and "Health" not in text and "Housing" not in text
    hidden_top = codes.assign(pct_critical=["c", "c", 20.0])
    text = qualitative.criticised_sentence(hidden_top, groups, "agency", 5, "at Northfield")
    assert text.startswith("Too few participants at Northfield") and "%" not in text


def test_the_planted_gap_is_the_most_named(coded, people):
    gaps = qualitative.branch_summary(coded, people, "gaps")
    assert gaps.iloc[0]["code_id"] == "GAP-FATHERS"
    assert gaps.iloc[0]["n_participants"] > gaps.iloc[1]["n_participants"]


# ---------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------


def test_quotes_are_reproducible(loaded, coded):
    stances = loaded.plan.codes.stance_columns()
    first = qualitative.choose_quotes(
        coded, branches=["golden_rules", "gaps"], per_code=2, stances=stances
    )
    again = qualitative.choose_quotes(
        coded.sample(frac=1, random_state=3),
        branches=["golden_rules", "gaps"],
        per_code=2,
        stances=stances,
    )
    pd.testing.assert_frame_equal(first, again)
    assert (first.groupby("code_id").size() == 2).all()
    other = qualitative.choose_quotes(
        coded, branches=["golden_rules", "gaps"], per_code=2, seed=7, stances=stances
    )
    assert set(other["segment_id"]) != set(first["segment_id"])
    # talk is preferred, and the two quotes for a rule take different stances in turn
    assert set(first["method"]) <= {"Interview", "Focus group"}
    gr3 = first[first["code_id"] == "GR3"]
    assert gr3["stance"].iloc[0] == "Critical"
    assert gr3["stance"].nunique() == 2


def test_quotes_are_redacted():
    planted = (
        "Ring me on 0161 496 0123 or email jo.bloggs@example.org.uk, and ask "
        "Jo Bloggs what she told the midwife about the baby's father."
    )
    seg = _segments(
        [
            ("s1", "X", "i1", "interview", "p1", planted),
            ("s2", "X", "i2", "interview", "p2", "Nobody told us anything about the dad at all."),
        ]
    )
    coded = qualitative.coded_frame(seg, PEOPLE, BOOK, SITES)
    quotes = qualitative.choose_quotes(coded, per_code=2, identifiers=["Jo Bloggs"])
    text = quotes.set_index("segment_id").loc["s1", "quote"]
    assert "[PHONE]" in text and "[EMAIL]" in text and "[NAME]" in text
    for original in ("0161", "496", "jo.bloggs", "example.org", "Jo Bloggs", "Bloggs"):
        assert original not in text
    assert quotes.set_index("segment_id").loc["s1", "redactions"] == 3


def test_quotes_on_the_synthetic_study_carry_no_identifiers(loaded, coded):
    ids = qualitative.study_identifiers(loaded.folder)
    assert isinstance(ids, disclosure.Identifiers)
    quotes = qualitative.choose_quotes(coded, per_code=3, identifiers=ids)
    listed = pd.read_csv(loaded.folder / "identifiers.csv", comment="#")
    names = listed.loc[listed["kind"] == "NAME", "identifier"]
    joined = "\n".join(quotes["quote"])
    assert not [n for n in names if n in joined]
    assert not re.search(r"0\d{3} \d{3} \d{4}|@", joined)
    assert "[PHONE]" in joined or "[NAME]" in joined or "[EMAIL]" in joined


def test_attribution_never_contains_participant_ids(loaded, coded):
    quotes = qualitative.choose_quotes(coded, per_code=3)  # min_group 1: full attribution
    ids = set(loaded.participants["participant_id"]) | set(coded["source_id"])
    ids |= set(coded["segment_id"])
    for text in quotes["attribution"]:
        assert not set(re.findall(r"[\w.-]+", text)) & ids, text
        assert not re.search(r"\bP\d{3,}\b", text), text
    sample = quotes[quotes["method"] == "Interview"]["attribution"].iloc[0]
    assert sample.endswith("(interview)") and sample.count(",") == 2
    assert qualitative.attribution(
        {"participant_id": "P0007", "role": "manager", "agency": "police", "method": "focus_group"},
        with_site=False,
    ) == ("Team manager, Police (focus group)")


def test_attribution_leaves_out_what_too_few_share(loaded, coded):
    full = qualitative.choose_quotes(coded, per_code=3)
    safe = qualitative.choose_quotes(coded, per_code=3, min_group=5)
    assert list(full["segment_id"]) == list(safe["segment_id"])  # same quotes, coarser words
    speakers = coded.dropna(subset=["participant_id"]).drop_duplicates("participant_id")
    by_segment = coded.drop_duplicates("segment_id").set_index("segment_id")
    coarsened = 0
    for q in safe.itertuples():
        row = by_segment.loc[q.segment_id]
        if qualitative.text_or_none(row["participant_id"]) is None:
            continue
        same = speakers[
            (speakers["site_name"] == row["site_name"])
            & (speakers["role"] == row["role"])
            & (speakers["agency"] == row["agency"])
        ]
        agency = AGENCIES.get(row["agency"], "")
        if len(same) < 5:
            assert agency not in q.attribution, q.attribution
            coarsened += 1
        else:
            assert agency in q.attribution, q.attribution
    assert coarsened > 0  # the synthetic sites have small teams: the rule is exercised
    assert (safe["attribution"] != full["attribution"]).sum() == coarsened


def test_quotes_table_is_published_without_whole_number_columns(coded):
    quotes = qualitative.choose_quotes(coded, branches=["gaps"], per_code=1)
    table = qualitative.quotes_table(quotes)
    assert "quote_no" not in table and "redactions" not in table
    assert list(table.columns).index("redacted") == list(table.columns).index("method") + 1
    assert set(table["redacted"]) <= {"yes", "no"}
    assert (table["redacted"] == "yes").sum() == (quotes["redactions"] > 0).sum()
