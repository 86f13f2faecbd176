"""The data contract and its generated dictionary."""

from __future__ import annotations

from pathlib import Path

from srim_analysis.study import contract

ROOT = Path(__file__).resolve().parents[2]


def test_data_dictionary_is_current():
    """docs/data-dictionary.md is generated from the schemas (`make dictionary`)."""
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == contract.data_dictionary_markdown()


def test_every_table_documents_every_column():
    text = contract.data_dictionary_markdown()
    for spec in contract.TABLES.values():
        assert f"## `{spec.name}`" in text
        for col in spec.columns:
            assert col.description
            assert f"| `{col.name}` |" in text


def test_references_point_at_real_columns():
    for spec in contract.TABLES.values():
        for col in spec.columns:
            if col.references:
                table, column = col.references.split(".")
                assert column in contract.TABLES[table].column_names


def test_site_features_cover_the_domain_brief():
    names = set(contract.SITE_FEATURES)
    for feature in (
        "front_door_mash",
        "early_help_in_front_door",
        "hub_maturity",
        "lead_practitioner_model",
        "shared_assessment",
        "partner_record_access",
        "father_inclusion_lead",
        "father_fields_in_records",
        "protocol_refreshed_2024",
        "training_2024_advice",
    ):
        assert feature in names


def test_rule_text_is_plain():
    col = contract.SITES.column("ons_code")
    assert "matches" in col.rule_text() and "required" in col.rule_text()


def test_indicators_are_the_outcome_columns_in_pathway_order():
    """The case-audit and observation indicators are declared once, by the data contract."""
    assert contract.AUDIT_INDICATORS == (
        "father_identified",
        "father_recorded",
        "father_checked",
        "father_info_shared",
        "father_invited",
        "father_involved",
    )
    assert contract.OBSERVATION_INDICATORS == (
        "father_identified",
        "father_discussed",
        "father_info_shared",
        "father_invited",
        "father_involved",
    )
    for spec, indicators in (
        (contract.CASE_AUDIT, contract.AUDIT_INDICATORS),
        (contract.OBSERVATIONS, contract.OBSERVATION_INDICATORS),
    ):
        for name in indicators:
            col = spec.column(name)
            assert col.kind == "binary" and col.nullable
            assert col.description.endswith(
                "1 yes, 0 no, blank when not applicable or not recorded."
            )
        assert set(indicators) <= set(contract.FATHER_OUTCOMES)
