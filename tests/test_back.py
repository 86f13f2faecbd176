"""Back test: the synthetic report publishes exactly the committed ground-truth tables.

`tests/reference/report_tables/<site>/` holds every table a `srim run` of the shipped
synthetic study publishes for the sites the test report covers. A change that moves code
must leave them byte-identical; a change meant to alter a published table regenerates them
with `make ground-truth` and says which tables changed and why.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.conftest import REFERENCE, REPORT_SITES

pytestmark = pytest.mark.notebooks

GROUND_TRUTH = REFERENCE / "report_tables"


def _tables(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.csv")}


def test_ground_truth_covers_every_site_of_the_test_report():
    assert sorted(p.name for p in GROUND_TRUTH.iterdir()) == sorted(REPORT_SITES)
    assert all(_tables(GROUND_TRUTH / site) for site in REPORT_SITES)


@pytest.mark.parametrize("site", REPORT_SITES)
def test_report_publishes_the_same_tables(synthetic_report, site):
    published = synthetic_report / "reports" / site / "tables"
    assert _tables(published) == _tables(GROUND_TRUTH / site)


@pytest.mark.parametrize("site", REPORT_SITES)
def test_every_published_table_equals_its_ground_truth(synthetic_report, site):
    published = synthetic_report / "reports" / site / "tables"
    changed = {}
    for name in sorted(_tables(GROUND_TRUTH / site)):
        want = (GROUND_TRUTH / site / name).read_text(encoding="utf-8")
        path = published / name
        got = path.read_text(encoding="utf-8") if path.exists() else ""
        if got != want:
            diff = difflib.unified_diff(
                want.splitlines(), got.splitlines(), "ground truth", "published", lineterm=""
            )
            changed[name] = "\n".join(list(diff)[:12])
    assert not changed, "tables differ from tests/reference/report_tables:\n" + "\n\n".join(
        f"{name}:\n{d}" for name, d in changed.items()
    )
