"""The transfer blueprint: the evidence rule, order, lessons, and redacted quotes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from srim_analysis import disclosure
from srim_analysis.analyses import blueprint
from srim_analysis.analyses.blueprint import EvidenceRule
from srim_analysis.study.loading import Study, ValidationReport

SITES = pd.DataFrame(
    {
        "site_id": ["O", "A", "X"],
        "display_name": ["Origin Town", "Adopter City", "Elsewhere"],
        "role": ["origin", "adopter", "comparison"],
        "initiative_start": ["2022-01-01", "2024-01-01", None],
    }
)
CODEBOOK = pd.DataFrame(
    {
        "code_id": ["TC", "TC-1", "TC-2", "TC-3", "BAR", "BAR-X", "FAC", "FAC-Y"],
        "parent_id": [None, "TC", "TC", "TC", None, "BAR", None, "FAC"],
        "label": ["Components", "One", "Two", "Three", "Barriers", "Ex", "Facilitators", "Why"],
        "branch": ["transfer_components"] * 4 + ["barriers"] * 2 + ["facilitators"] * 2,
    }
)
PARTICIPANTS = pd.DataFrame(
    {
        "participant_id": ["P0001", "P0002"],
        "site_id": ["A", "A"],
        "agency": ["police", "midwifery"],
        "role": ["manager", "practitioner"],
        "method": ["interview", "interview"],
    }
)
PHONE = "0161 496 0123"


def _segments() -> pd.DataFrame:
    rows = [
        # segment, code, source, method, site, participant, date, excerpt
        ("s1", "TC-1", "DOC-1", "document", "A", None, "2024-02-10", "Protocol text."),
        (
            "s2",
            "TC-1",
            "INT-1",
            "interview",
            "A",
            "P0001",
            "2024-05-01",
            f"The lead helped. Ring Sarah Okafor on {PHONE}.",
        ),
        ("s2", "BAR-X", "INT-1", "interview", "A", "P0001", "2024-05-01", "same"),
        ("s3", "TC-2", "INT-2", "interview", "A", "P0002", "2024-03-01", "Fields added."),
        ("s3", "FAC-Y", "INT-2", "interview", "A", "P0002", "2024-03-01", "Fields added."),
        ("s4", "TC-2", "INT-2", "interview", "A", "P0002", "2024-03-01", "More on fields."),
        ("s5", "TC-1", "OBS-1", "observation", "O", None, "2023-01-05", "Lead present."),
        ("s6", "TC-1", "DOC-9", "document", "X", None, "2024-01-05", "Not an adopter."),
    ]
    cols = [
        "segment_id",
        "code_id",
        "source_id",
        "method",
        "site_id",
        "participant_id",
        "source_date",
        "excerpt",
    ]
    return pd.DataFrame(rows, columns=cols)


def _study(segments: pd.DataFrame | None = None) -> Study:
    return Study(
        folder=Path("."),
        kind="synthetic",
        name="tiny",
        tables={
            "sites": SITES,
            "codebook": CODEBOOK,
            "coded_segments": _segments() if segments is None else segments,
            "participants": PARTICIPANTS,
        },
        fingerprint="test",
        report=ValidationReport(Path(".")),
    )


def test_rule_statuses_and_parameters():
    assert [EvidenceRule().status(n) for n in range(4)] == [
        "absent",
        "partial",
        "present",
        "present",
    ]
    assert EvidenceRule(present_min_types=3).status(2) == "partial"
    with pytest.raises(ValueError, match="partial_min_types"):
        EvidenceRule(present_min_types=1, partial_min_types=2)


def test_blueprint_rule_on_a_hand_made_table():
    matrix = blueprint.blueprint_matrix(_study()).set_index(["site", "component_id"])
    assert set(matrix.index.get_level_values("site")) == {"Origin Town", "Adopter City"}
    one = matrix.loc[("Adopter City", "TC-1")]
    assert one["status"] == "present"  # document + interview
    assert (one["segments"], one["n_sources"]) == (2, 2)
    assert one["source_types"] == "document, interview"
    assert one["first_evidence"] == "2024-02-10"
    two = matrix.loc[("Adopter City", "TC-2")]
    assert two["status"] == "partial"  # interviews only
    assert (two["segments"], two["n_sources"]) == (2, 1)
    three = matrix.loc[("Adopter City", "TC-3")]
    assert three["status"] == "absent" and three["segments"] == 0
    strict = blueprint.blueprint_matrix(_study(), rule=EvidenceRule(present_min_types=3))
    strict = strict.set_index(["site", "component_id"])
    assert strict.loc[("Adopter City", "TC-1"), "status"] == "partial"


def test_adoption_order_uses_the_earliest_source_date():
    study = _study()
    order = blueprint.adoption_order(study, blueprint.blueprint_matrix(study))
    mine = order[order["site"] == "Adopter City"]
    assert list(mine["component_id"]) == ["TC-1", "TC-2"]
    assert list(mine["order"]) == [1, 2]
    assert list(mine["days_from_start"]) == [40, 60]


def test_lessons_are_codes_on_the_same_segment():
    lessons = blueprint.component_lessons(_study())
    found = zip(lessons["component_id"], lessons["lesson_id"], lessons["kind"], strict=True)
    assert set(found) == {
        ("TC-1", "BAR-X", "barrier"),
        ("TC-2", "FAC-Y", "facilitator"),
    }
    assert lessons["segments"].tolist() == [1, 1]


def test_quotes_are_redacted_attributed_pseudonymously_and_reproducible():
    quotes = blueprint.illustrative_quotes(_study(), identifiers=["Sarah Okafor"], seed=7)
    row = quotes[(quotes["site"] == "Adopter City") & (quotes["component_id"] == "TC-1")].iloc[0]
    assert PHONE not in row["quote"] and "[PHONE]" in row["quote"]
    assert "Sarah" not in row["quote"] and "[NAME]" in row["quote"]
    assert row["redacted"] == "yes"
    # an interview is preferred to the document, and attributed by role, agency, site, method
    assert row["attribution"] == "Team manager, Police, Adopter City (interview)"
    assert "P0001" not in " ".join(quotes["attribution"])
    shuffled = _study(_segments().sample(frac=1, random_state=3))
    again = blueprint.illustrative_quotes(shuffled, identifiers=["Sarah Okafor"], seed=7)
    pd.testing.assert_frame_equal(quotes, again)
    origin = quotes[quotes["site"] == "Origin Town"].iloc[0]
    assert origin["attribution"] == "Observation notes, Origin Town"
    # the only police manager at Adopter City is not singled out when groups must be 2+
    safe = blueprint.illustrative_quotes(
        _study(), identifiers=["Sarah Okafor"], seed=7, min_group=2
    )
    row = safe[(safe["site"] == "Adopter City") & (safe["component_id"] == "TC-1")].iloc[0]
    assert row["attribution"] == "Participant, Adopter City (interview)"


def test_study_identifiers_reads_the_generated_list(shipped_dir, tmp_path):
    ids = disclosure.study_identifiers(shipped_dir)
    assert ids is not None and len(ids) > 10
    assert disclosure.study_identifiers(tmp_path) is None


def test_blueprint_on_the_synthetic_study(study):
    matrix = blueprint.blueprint_matrix(study)
    assert set(matrix["role"]) == {"origin", "adopter"}
    origin = matrix[matrix["role"] == "origin"]
    assert (origin["status"] != "absent").all()  # the origin has every component
    components = blueprint.component_codes(study.codebook)
    assert len(matrix) == len(components) * 4
    order = blueprint.adoption_order(study, matrix)
    assert (order.groupby("site")["order"].min() == 1).all()
