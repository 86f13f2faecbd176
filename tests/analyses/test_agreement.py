"""Agreement between coders: published worked examples, the unit rules, planted answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srim_analysis.analyses import agreement
from tests.conftest import REFERENCE

EXAMPLES = REFERENCE / "agreement"


def _reliability(name: str) -> np.ndarray:
    """Return a reference file's reliability data as units x coders (NaN = not coded)."""
    frame = pd.read_csv(EXAMPLES / name, index_col="coder")
    return frame.to_numpy(dtype=float).T


# ---------------------------------------------------------------------------
# Published worked examples
# ---------------------------------------------------------------------------


def test_krippendorffs_own_example_gives_alpha_0_743():
    stats = agreement.coder_stats(_reliability("krippendorff_2011_nominal.csv"))
    assert stats.alpha == pytest.approx(0.743, abs=5e-4)
    assert stats.n_units == 11  # unit 12 has one value only: not pairable
    assert stats.n_coders == 4
    assert np.isnan(stats.kappa)  # more than two coders: no Cohen's kappa


def test_wikipedia_alpha_example_gives_0_691():
    stats = agreement.coder_stats(_reliability("wikipedia_alpha_nominal.csv"))
    assert stats.alpha == pytest.approx(0.691, abs=5e-4)
    assert stats.n_units == 12  # units with two or more values
    # agreeing pairs / pairs: units 6 and 7 have 3 coders (1 and 3 of 3 pairs agree),
    # ten units have 2 coders, 8 of them agreeing
    assert stats.pct_agreement == pytest.approx(100 * (1 + 3 + 8) / (2 * 3 + 10))


@pytest.mark.parametrize("example", ["grant_proposals", "same_agreement_1", "same_agreement_2"])
def test_cohens_kappa_textbook_examples(example):
    cells = pd.read_csv(EXAMPLES / "cohen_kappa_wikipedia.csv")
    cells = cells[cells["example"] == example]
    pairs = np.repeat(cells[["coder_a", "coder_b"]].to_numpy(float), cells["n"], axis=0)
    stats = agreement.coder_stats(pairs)
    assert stats.n_units == cells["n"].sum()
    assert stats.kappa == pytest.approx(cells["kappa"].iloc[0], abs=5e-5)
    assert stats.pct_agreement == pytest.approx(100 * cells["p_o"].iloc[0])


def test_pct_agreement_counts_pairs_of_coders():
    # unit 1: 3 coders all agree (3 agreeing pairs of 3); unit 2: 2 of 3 agree (1 of 3)
    stats = agreement.coder_stats(np.array([[1, 1, 1], [1, 1, 0], [0, np.nan, 0]]))
    assert stats.pct_agreement == pytest.approx(100 * (3 + 1 + 1) / (3 + 3 + 1))


def test_undefined_measures_are_blank_not_errors():
    stats = agreement.coder_stats(np.zeros((4, 2)))
    assert stats.pct_agreement == 100
    assert np.isnan(stats.kappa) and np.isnan(stats.alpha)


# ---------------------------------------------------------------------------
# Units: sources and segments (the overlap rule)
# ---------------------------------------------------------------------------


def _rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["source_id", "coder", "segment_id", "code_id", "start", "end", "excerpt"]
    )


def test_only_sources_with_two_coders_are_compared():
    rows = _rows(
        ("s1", "x", "s1.1", "k", 0, 5, "a"),
        ("s1", "y", "s1.1", "k", 0, 5, "a"),
        ("s2", "x", "s2.1", "k", 0, 5, "b"),
        ("s3", None, "s3.1", "k", 0, 5, "c"),
    )
    assert agreement.double_coded(rows)["source_id"].unique().tolist() == ["s1"]
    assert agreement.double_coded(rows.drop(columns="coder")).empty


def test_segments_join_by_id_overlap_or_same_excerpt():
    rows = _rows(
        ("s", "x", "s.1", "k", 0, 20, "long stretch"),
        ("s", "y", "s.2", "k", 5, 8, "inside"),  # overlaps s.1
        ("s", "y", "s.3", "k", 12, 30, "tail"),  # overlaps s.1 too: one unit
        ("s", "x", "s.4", "k", 40, 50, "apart"),
        ("s", "y", "s.4", "j", 40, 50, "apart"),  # same segment id
        ("s", "x", "s.5", "k", None, None, "no  positions"),
        ("s", "y", "s.6", "k", None, None, "no positions"),  # same text (spaces read as one)
        ("s", "y", "s.7", "k", None, None, "other text"),
    )
    units = agreement.segment_units(rows)
    assert units.nunique() == 4
    assert units[0] == units[1] == units[2]
    assert units[3] == units[4] != units[0]
    assert units[5] == units[6] != units[7]


def test_touching_ranges_are_not_overlapping():
    rows = _rows(("s", "x", "s.1", "k", 0, 10, "a"), ("s", "y", "s.2", "k", 10, 20, "b"))
    assert agreement.segment_units(rows).nunique() == 2


def test_reliability_matrix_marks_absence_and_not_coding():
    rows = _rows(
        ("s1", "x", "s1.1", "k", 0, 5, "a"),
        ("s1", "y", "s1.1", "j", 0, 5, "a"),
        ("s2", "x", "s2.1", "k", 0, 5, "b"),
        ("s2", "z", "s2.1", "k", 0, 5, "b"),
    )
    matrix = agreement.reliability_matrix(agreement.presence(rows, "source"), "k")
    assert matrix.loc["s1"].tolist()[:2] == [1.0, 0.0]  # x applied k, y judged it absent
    assert np.isnan(matrix.loc["s1", "z"])  # z did not code s1
    assert matrix.loc["s2", ["x", "z"]].tolist() == [1.0, 1.0]


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unit must be one of"):
        agreement.presence(_rows(), "paragraph")


# ---------------------------------------------------------------------------
# The tables: a planted bad code is flagged, a good one is not
# ---------------------------------------------------------------------------


def _planted(n_sources: int = 20) -> pd.DataFrame:
    """Two coders, n sources, two segments each: code "good" always agreed, "bad" half the time.

    Each source's first segment carries "good" from both coders; "bad" is applied by x to
    every second segment and by y to every second segment of odd sources only.
    """
    rows = []
    for s in range(n_sources):
        src = f"src{s:02d}"
        for coder in ("x", "y"):
            rows.append((src, coder, f"{src}.1", "good", 0, 10, "one"))
            rows.append((src, coder, f"{src}.2", "other", 20, 30, "two"))
            if coder == "x" or s % 2:
                rows.append((src, coder, f"{src}.2", "bad", 20, 30, "two"))
    return _rows(*rows)


CODEBOOK = pd.DataFrame(
    {
        "code_id": ["bad", "good", "other"],
        "label": ["Bad code", "Good code", "Other code"],
        "branch": ["gaps", "gaps", "barriers"],
    }
)


def test_agreement_table_flags_the_planted_code():
    table = agreement.agreement_table(_planted(), CODEBOOK, unit="source", themes={"gaps": "Gaps"})
    assert table["code_id"].tolist() == ["bad", "good", "other"]  # codebook order
    good = table.set_index("code_id").loc["good"]
    bad = table.set_index("code_id").loc["bad"]
    assert (good["n_units"], good["n_coded"], good["pct_agreement"]) == (20, 20, 100.0)
    assert np.isnan(good["alpha"]) and good["flag"] == ""  # all agreed on presence
    assert (bad["n_units"], bad["n_coded"], bad["pct_agreement"]) == (20, 20, 50.0)
    assert bad["kappa"] == pytest.approx(0.0)  # x always applies it: kappa is 0
    assert bad["alpha"] < agreement.POOR_ALPHA and bad["flag"] == agreement.POOR
    assert (bad["code"], bad["theme"], bad["coders"]) == ("Bad code", "Gaps", 2)
    assert agreement.poor_codes(table) == ["bad"]


def test_by_segment_units_count_absence_in_other_segments():
    table = agreement.agreement_table(_planted(), CODEBOOK, unit="segment").set_index("code_id")
    assert table.loc["good", "n_units"] == 40  # two segment units per source
    assert table.loc["good", "n_coded"] == 20
    assert table.loc["good", "alpha"] == pytest.approx(1.0)
    assert table.loc["bad", "pct_agreement"] == 75.0  # 10 of 40 units disagree
    assert table.loc["bad", "flag"] == agreement.POOR


def test_a_threshold_of_zero_flags_nothing():
    table = agreement.agreement_table(_planted(), CODEBOOK, threshold=-1.0)
    assert agreement.poor_codes(table) == []


def test_overall_pools_every_code():
    overall = agreement.overall_agreement(_planted()).set_index("unit")
    assert overall.loc["source", "n_units"] == 20
    assert overall.loc["source", "codes"] == 3
    assert overall.loc["source", "n_coded"] == 60  # 20 sources x 3 codes applied
    assert overall.loc["source", "pct_agreement"] == pytest.approx(100 * 50 / 60, abs=0.05)
    assert overall.loc["segment", "n_units"] == 40


def test_no_double_coding_gives_empty_tables():
    single = _planted().query("coder == 'x'")
    assert agreement.agreement_table(single, CODEBOOK).empty
    assert agreement.overall_agreement(single).empty
    assert list(agreement.agreement_table(single).columns) == agreement.TABLE_COLUMNS


def test_poor_codes_ignores_hidden_flags():
    published = pd.DataFrame({"code_id": ["a", "b", "c"], "flag": ["poor", "c", ""]})
    assert agreement.poor_codes(published, published) == ["a"]


@pytest.mark.parametrize("unit", agreement.UNITS)
def test_the_synthetic_studys_planted_code_is_flagged(study, unit):
    """The generator gives the mixed-stance code a 60% disagreement (3% elsewhere).

    Its disagreements are swaps with sibling stance codes, so only stance codes may fall
    below the threshold beside it; every other code agrees well.
    """
    mixed = study.plan.codes.stance["mixed"]
    stances = set(study.plan.codes.stance.values())
    table = agreement.agreement_table(study.all_codings, study.codebook, unit=unit)
    seen = table[table["n_coded"] >= 5].set_index("code_id")
    assert seen.loc[mixed, "alpha"] < agreement.POOR_ALPHA
    assert seen.loc[mixed, "flag"] == agreement.POOR
    others = seen.drop(index=[c for c in stances if c in seen.index])
    assert (others["alpha"].dropna() >= 0.75).all(), others[others["alpha"] < 0.75]
