"""Back tests on what a synthetic `srim run` publishes: every table safe, every figure listed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from srim_analysis import disclosure
from srim_analysis.report.publishing import read_published

pytestmark = pytest.mark.notebooks


def _tables(root: Path) -> list[Path]:
    return sorted((root / "reports").glob("*/tables/*.csv"))


def test_every_notebook_ran_for_every_site(synthetic_report):
    reports = synthetic_report / "reports"
    for site in ("all", "S02", "S08"):
        for nb in (
            "00_study_overview",
            "01_cross_site_comparison",
            "03_awareness_confidence",
            "04_guidance_views",
        ):
            assert (reports / site / f"{nb}.ipynb").exists(), (site, nb)
            assert (reports / site / f"{nb}.html").exists(), (site, nb)
    assert (reports / "all" / "02_service_configuration_typology.ipynb").exists()
    assert (reports / "index.html").exists()
    assert (reports / "run-record.json").exists()


def test_every_published_table_passes_the_disclosure_check(synthetic_report):
    """No published count lies between 1 and min_cell - 1 (issue 8's check, on every table)."""
    tables = _tables(synthetic_report)
    assert len(tables) >= 60
    small = [str(i) for i in range(1, disclosure.DEFAULT_MIN_CELL)]
    for path in tables:
        frame = read_published(path)
        counts = disclosure.count_columns_of(frame)
        for col in counts:
            bad = frame[col].astype(str).isin(small)
            assert not bad.any(), f"{path.name}: {col} publishes {frame.loc[bad, col].tolist()}"


def test_every_table_says_its_rule_and_that_it_is_synthetic(synthetic_report):
    for path in _tables(synthetic_report):
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert head[0].startswith("# ") and "suppressed" in head[1], path.name
        assert "SYNTHETIC DATA" in head[2], path.name


def test_manifest_lists_every_figure_with_both_files(synthetic_report):
    figs = synthetic_report / "figures"
    rows = list(csv.DictReader((figs / "manifest.csv").open(encoding="utf-8")))
    assert len(rows) >= 40
    on_disk = {p.relative_to(figs).as_posix() for p in figs.glob("*/*.png")}
    assert {r["png"] for r in rows} == on_disk
    for r in rows:
        assert (figs / r["svg"]).exists()
        assert r["caption"].strip() and r["synthetic"] == "True"
        assert len(r["data_fingerprint"]) == 16


def test_redacted_quotes_carry_no_planted_identifiers(synthetic_report):
    """Planted phone numbers, emails and listed names never reach a published table."""
    from srim_analysis.study.synthetic import FIRST_NAMES, LAST_NAMES

    names = {f"{f} {ln}" for f in FIRST_NAMES for ln in LAST_NAMES}
    for path in _tables(synthetic_report):
        text = path.read_text(encoding="utf-8")
        assert "0161 496" not in text, path.name
        assert "@example.org.uk" not in text, path.name
        assert not any(n in text for n in names), path.name


def test_study_overview_counts_what_the_study_holds(report_tables, study):
    """Notebook 00: the totals it publishes are the study's own counts."""
    volume = report_tables("all", "00_study_overview", "data_volume").set_index("site_id")
    assert int(volume.loc["Total", "n_cases"]) == len(study.case_audit)
    assert int(volume.loc["Total", "n_observations"]) == len(study.observations)
    people = report_tables("all", "00_study_overview", "participants_by_agency")
    assert int(people.set_index("agency").loc["Total", "n_total"]) == len(study.participants)
    inventory = report_tables("S08", "00_study_overview", "inventory").set_index("table")
    assert set(inventory["held"]) == {"yes"}
    assert inventory.loc["case_audit", "n"] == str(
        int((study.case_audit["site_id"] == "S08").sum())
    )
