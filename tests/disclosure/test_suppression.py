"""Tests for srim_analysis.disclosure.suppression: the table corpus, the API, and properties.

Suppression is checked against an independent linear programme (tests/disclosure/helpers.py):
after suppression no published count is between 1 and min_cell - 1, no hidden count is
pinned down by the published cells, the totals and non-negativity, and every hidden small
count could be as large as min_cell (upper protection) given everything published.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srim_analysis.disclosure import suppression
from srim_analysis.disclosure.errors import DisclosureWarning
from tests.disclosure.helpers import (
    CORPUS,
    FAST,
    LP,
    assert_safe,
    assert_tidy_safe,
    extended_view,
    lp_ranges,
    relation_upper,
    table_lines,
    tidy_hidden,
    tidy_values,
)

CASES = CORPUS / "suppression_cases"


def _manifest(function: str) -> list[dict[str, str]]:
    with (CASES / "manifest.csv").open(encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row["function"] == function]


def test_suppression_corpus_is_big_enough():
    tables = list(CASES.glob("*.csv"))
    assert len(_manifest("suppress_counts")) + len(_manifest("publishable")) >= 12
    assert len(_manifest("check")) >= 10
    assert len(tables) > 30


# --------------------------------------------------------------------------------------
# Corpus: tables
# --------------------------------------------------------------------------------------


def _read_counts(path: Path) -> pd.DataFrame | pd.Series:
    t = pd.read_csv(path, index_col=0)
    return t.iloc[:, 0] if t.shape[1] == 1 else t


@pytest.mark.parametrize(
    "row", _manifest("suppress_counts"), ids=[r["case"] for r in _manifest("suppress_counts")]
)
def test_suppression_corpus(row):
    table = _read_counts(CASES / f"{row['case']}.csv")
    min_cell = int(row["min_cell"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = suppression.suppress_counts(table, min_cell, row["totals"])
        plan = suppression.plan_suppression(table, min_cell, row["totals"])
    warned = any(issubclass(w.category, DisclosureWarning) for w in caught)
    assert warned == (row["expect_warning"] == "yes")
    expected = _read_counts(CASES / f"{row['case']}.expected.csv")
    assert out.astype(str).equals(expected.astype(str)), f"\n{out}\n!=\n{expected}"
    # independent check by linear programming, margins included
    ext, hidden, hideable, lines, unprot = extended_view(table, plan)
    assert_safe(ext, hidden, hideable, lines, min_cell, unprot)
    # and the published table passes the checker used on every CSV
    published = out.reset_index()
    names = list(out.columns) if isinstance(out, pd.DataFrame) else [out.name]
    assert suppression.check_published_table(published, min_cell, count_columns=names) == []


def _depends(text: str) -> dict[str, tuple[str, ...]] | None:
    if not text:
        return None
    return {k: tuple(v.split("+")) for k, v in (part.split("=") for part in text.split(";"))}


@pytest.mark.parametrize(
    "row", _manifest("publishable"), ids=[r["case"] for r in _manifest("publishable")]
)
def test_publishable_corpus(row):
    table = pd.read_csv(CASES / f"{row['case']}.csv")
    deps = _depends(row["depends"])
    out = suppression.publishable(table, int(row["min_cell"]), depends=deps)
    expected = pd.read_csv(CASES / f"{row['case']}.expected.csv", dtype=str)
    assert out.astype(str).equals(expected.astype(str)), f"\n{out}\n!=\n{expected}"
    assert suppression.check_published_table(out, int(row["min_cell"]), depends=deps) == []
    # and once written to CSV and read back, as the CI test will see it
    back = pd.read_csv(__import__("io").StringIO(out.to_csv(index=False)))
    assert suppression.check_published_table(back, int(row["min_cell"]), depends=deps) == []


_PROBLEM_KINDS = {
    "a published count is between": "small",
    "can be worked out": "recoverable",
    "percentage, rate or statistic": "dependent",
    "unrecognised value": "unrecognised",
}


def _parse_problem(problem: str) -> str:
    m = re.match(r"column '(.+)', row (\d+) \(CSV line \d+\): (.*)", problem)
    assert m, problem
    kind = next(k for text, k in _PROBLEM_KINDS.items() if text in m.group(3))
    return f"{kind}:{m.group(1)}:{m.group(2)}"


@pytest.mark.parametrize("row", _manifest("check"), ids=[r["case"] for r in _manifest("check")])
def test_check_corpus(row):
    table = pd.read_csv(CASES / f"{row['case']}.csv")
    names = row["count_columns"].split(";") if row["count_columns"] else None
    problems = suppression.check_published_table(table, int(row["min_cell"]), count_columns=names)
    got = sorted(_parse_problem(p) for p in problems)
    want = sorted(p for p in row["expected_problems"].split(";") if p)
    assert got == want
    for p in problems:  # messages name places, never values
        tail = re.sub(r"between 1 and \d+", "", p.split("): ", 1)[1])
        assert not re.search(r"\d", tail), p


# --------------------------------------------------------------------------------------
# Suppression API
# --------------------------------------------------------------------------------------


def test_suppression_note():
    note = suppression.suppression_note(5)
    assert note.startswith("c = suppressed.")
    assert "1 to 4" in note and "5" in note
    assert "Counts of 1 " in suppression.suppression_note(2)
    assert "No small-cell suppression" in suppression.suppression_note(1)
    assert "1 to 9" in suppression.suppression_note(10)
    for bad in (0, -1, 2.5, True, "5"):
        with pytest.raises(ValueError):
            suppression.suppression_note(bad)


def test_constants():
    assert suppression.DEFAULT_MIN_CELL == 5
    assert suppression.SUPPRESSION_MARK == "c"


def test_suppress_counts_types_and_no_mutation():
    t = pd.DataFrame({"x": [3, 12, 20], "y": [8, 9, 15]}, index=list("abc"))
    before = t.copy()
    out = suppression.suppress_counts(t)
    pd.testing.assert_frame_equal(t, before)
    assert all(dtype is np.dtype(object) for dtype in out.dtypes)
    shown = [v for v in out.to_numpy().ravel() if v != "c"]
    assert all(type(v) is int for v in shown)
    assert (suppression.suppression_mask(t) == (out == "c")).all().all()


def test_float_counts_become_ints():
    out = suppression.suppress_counts(pd.Series([3.0, 10.0, 12.0]))
    assert out.tolist() == ["c", "c", 12]


def test_zero_is_not_suppressed_by_the_primary_rule():
    out = suppression.suppress_counts(pd.Series([0, 10, 12]))
    assert out.tolist() == [0, 10, 12]


def test_min_cell_one_suppresses_nothing():
    t = pd.DataFrame([[1, 2], [3, 4]])
    assert not suppression.suppression_mask(t, 1).to_numpy().any()


@pytest.mark.parametrize("label", ["All", "Total", "total", " TOTALS "])
def test_auto_detects_total_labels(label):
    s = pd.Series([3, 10, 12, 25], index=["a", "b", "c", label])
    assert suppression.plan_suppression(s).row_total == label
    assert suppression.suppress_counts(s).tolist() == ["c", "c", 12, 25]


def test_totals_true_and_false():
    s = pd.Series([3, 10, 12, 25], index=["a", "b", "c", "sum"])
    assert suppression.suppress_counts(s, totals=True).tolist() == ["c", "c", 12, 25]
    with pytest.raises(ValueError):
        suppression.suppress_counts(pd.Series([1]), totals=True)
    with pytest.raises(ValueError):
        suppression.suppress_counts(s, totals="yes")
    # with totals=False a 'Total' row is just another row (and then the data do not add up
    # as a total, which is fine: no margins are checked)
    plan = suppression.plan_suppression(
        pd.Series([3, 10, 13], index=["a", "b", "Total"]), totals=False
    )
    assert plan.row_total is None


def test_crosstab_margins_and_multiindex():
    df = pd.DataFrame(
        {
            "site": list("AAAAABBBBBBBBBBCCCCCCCCCCCC"),
            "who": list("FFMMM" + "FFFFFMMMMM" + "FFFFFFMMMMMM"),
            "shared": list("YNYYN" + "YYYNNYYNNN" + "YYYYNNYYYNNN"),
        }
    )
    ct = pd.crosstab(df["site"], df["shared"], margins=True)
    plan = suppression.plan_suppression(ct)
    assert plan.row_total == "All" and plan.column_total == "All"
    ct2 = pd.crosstab(df["site"], [df["who"], df["shared"]], margins=True)
    out = suppression.suppress_counts(ct2)
    assert out.shape == ct2.shape
    assert out.loc["A", ("F", "N")] == "c"
    values = ct2.to_numpy()
    mask = suppression.suppression_mask(ct2).to_numpy()
    assert not (((values >= 1) & (values < 5)) & ~mask).any()


def test_inconsistent_margins_rejected():
    t = pd.DataFrame({"x": [3, 12, 16], "y": [8, 9, 17]}, index=["a", "b", "Total"])
    with pytest.raises(ValueError, match="total row"):
        suppression.suppress_counts(t)
    t = pd.DataFrame({"x": [3, 12], "Total": [4, 12]}, index=["a", "b"])
    with pytest.raises(ValueError, match="total column"):
        suppression.suppress_counts(t)


@pytest.mark.parametrize(
    "bad",
    [
        pd.Series([1, -2, 3]),
        pd.Series([1.5, 2, 3]),
        pd.Series([1, np.nan, 3]),
        pd.Series([1, "c", 3], dtype=object),
    ],
)
def test_bad_counts_rejected(bad):
    with pytest.raises(ValueError):
        suppression.suppress_counts(bad)


def test_two_total_rows_rejected():
    s = pd.Series([1, 2, 3, 3], index=["a", "b", "All", "Total"])
    with pytest.raises(ValueError, match="more than one total"):
        suppression.suppress_counts(s)


def test_not_a_table_rejected():
    with pytest.raises(TypeError):
        suppression.suppress_counts([1, 2, 3])  # type: ignore[arg-type]


def test_empty_table():
    out = suppression.suppress_counts(pd.Series([], dtype=int))
    assert len(out) == 0


def test_unprotectable_cell_warns_and_is_listed():
    t = pd.DataFrame({"x": [3, 0], "y": [5, 0]}, index=["a", "b"])
    with pytest.warns(DisclosureWarning, match="assumed published"):
        plan = suppression.plan_suppression(t)
    assert plan.unprotectable == (("a", "x"),)
    # with the totals shown in the table they can be hidden, and nothing is given away
    shown = pd.DataFrame(
        {"x": [3, 0, 3], "y": [5, 0, 5], "All": [8, 0, 8]}, index=["a", "b", "All"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DisclosureWarning)
        plan = suppression.plan_suppression(shown)
    assert plan.unprotectable == ()


def test_secondary_and_primary_masks():
    t = pd.DataFrame({"x": [3, 12, 20], "y": [8, 9, 15], "z": [22, 1, 30]}, index=list("abc")).T
    plan = suppression.plan_suppression(t)
    assert (plan.mask == (plan.primary | plan.secondary)).all().all()
    assert not (plan.primary & plan.secondary).any().any()
    assert plan.secondary.to_numpy().sum() == 2


def test_larger_table_is_safe():
    rng = np.random.default_rng(5)
    table = pd.DataFrame(rng.choice([0, 1, 2, 3, 6, 9, 14, 30, 80], size=(12, 10)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        plan = suppression.plan_suppression(table)
    ext, hidden, hideable, lines, unprot = extended_view(table, plan)
    assert_safe(ext, hidden, hideable, lines, 5, unprot)


def test_small_margin_is_protected_from_the_grand_total():
    t = pd.DataFrame(
        {"x": [1, 3, 4], "y": [2, 4, 6], "Total": [3, 7, 10]}, index=["a", "b", "Total"]
    )
    out = suppression.suppress_counts(t)
    assert out.loc["a", "Total"] == "c"
    assert out.loc["b", "Total"] == "c"  # else 10 - 7 gives a's total away
    ext, hidden, hideable, lines, unprot = extended_view(t, suppression.plan_suppression(t))
    assert_safe(ext, hidden, hideable, lines, 5, unprot)


# --------------------------------------------------------------------------------------
# Percentages
# --------------------------------------------------------------------------------------


def test_suppress_percentages_series():
    counts = pd.Series([3, 10, 12], index=list("abc"))
    pct = counts / counts.sum() * 100
    out = suppression.suppress_percentages(counts, pct)
    assert out.tolist()[:2] == ["c", "c"]
    assert out["c"] == pytest.approx(48.0)


def test_suppress_percentages_small_denominator_hides_the_row():
    counts = pd.DataFrame({"yes": [3, 20, 25, 30], "no": [0, 30, 35, 40]}, index=list("abcd"))
    rowpct = counts.div(counts.sum(axis=1), axis=0) * 100
    out = suppression.suppress_percentages(counts, rowpct, normalize="index")
    assert out.loc["a"].tolist() == ["c", "c"]  # row total 3: hide its 0% too
    hidden = suppression.suppression_mask(counts)
    for r in "bcd":
        for c in ("yes", "no"):
            assert (out.loc[r, c] == "c") == hidden.loc[r, c]
    assert (out == "c").to_numpy().sum() < out.size


def test_suppress_percentages_with_margins_and_normalize_modes():
    df = pd.DataFrame({"r": list("a" * 5 + "b" * 12), "k": list("xxxxy" + "xxxxxxyyyyyy")})
    counts = pd.crosstab(df["r"], df["k"], margins=True)
    colpct = pd.crosstab(df["r"], df["k"], normalize="columns", margins=True) * 100
    out = suppression.suppress_percentages(counts, colpct, normalize="columns")
    mask = suppression.suppression_mask(counts)
    for r in colpct.index:
        for c in colpct.columns:
            if mask.loc[r, c]:
                assert out.loc[r, c] == "c"
    allpct = pd.crosstab(df["r"], df["k"], normalize="all") * 100
    out_all = suppression.suppress_percentages(counts, allpct, normalize="all")
    assert out_all.loc["a", "y"] == "c"
    conservative = suppression.suppress_percentages(counts, allpct)
    assert (conservative == "c").to_numpy().sum() >= (out_all == "c").to_numpy().sum()
    with pytest.raises(ValueError):
        suppression.suppress_percentages(counts, allpct, normalize="rows")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no count"):
        suppression.suppress_percentages(counts, allpct.rename(index={"a": "zzz"}))


def test_counts_and_percentages():
    table = pd.DataFrame({"yes": [3, 20, 30], "no": [12, 30, 40]}, index=list("abc"))
    out = suppression.counts_and_percentages(table, normalize="index")
    assert out.loc["a", ("yes", "n")] == "c"
    assert out.loc["a", ("yes", "pct")] == "c"
    assert out.loc["c", ("no", "pct")] == pytest.approx(57.1)
    one = suppression.counts_and_percentages(
        pd.Series([3, 10, 12, 25], index=["a", "b", "c", "All"])
    )
    assert one.loc["All"].tolist() == [25, 100.0]


# --------------------------------------------------------------------------------------
# Tidy tables
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "is_count"),
    [
        ("n", True),
        ("N", True),
        ("n_cases", True),
        ("cases_n", True),
        ("fathers_count", True),
        ("count", True),
        ("cases", True),
        ("segments", True),
        ("participants", True),
        ("respondents", True),
        ("notes", False),
        ("name", False),
        ("pct_shared", False),
        ("site_id", False),
    ],
)
def test_count_column_convention(name, is_count):
    df = pd.DataFrame({name: [7, 9]})
    assert (suppression.count_columns_of(df) == [name]) == is_count


def test_count_columns_explicit_attrs_and_non_integers():
    df = pd.DataFrame({"a": [7, 9], "n_rate": [0.5, 1.5], "n": [1, 2]})
    assert suppression.count_columns_of(df) == ["n"]  # n_rate holds non-whole numbers
    assert suppression.count_columns_of(df, ["a"]) == ["a"]
    df.attrs["count_columns"] = ["a", "n"]
    assert suppression.count_columns_of(df) == ["a", "n"]
    with pytest.raises(ValueError, match="not in the table"):
        suppression.count_columns_of(df, ["missing"])
    published = pd.DataFrame({"n": ["c", "12", " c ", ""], "x": ["a", "b", "c", "d"]})
    assert suppression.count_columns_of(published) == ["n"]


def test_publishable_keeps_labels_and_index():
    df = pd.DataFrame(
        {"n_cases": [3, 9, 20], "pct_x": [1.0, 2.0, 3.0]}, index=pd.Index(list("ABC"), name="s")
    )
    before = df.copy()
    out = suppression.publishable(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == list("ABC")
    assert out["n_cases"].tolist() == ["c", "c", 20]
    assert out["pct_x"].tolist() == ["c", "c", 3.0]


def test_publishable_index_with_total_row():
    df = pd.DataFrame({"n": [3, 9, 20, 32]}, index=pd.Index(["A", "B", "C", "Total"], name="s"))
    assert suppression.publishable(df)["n"].tolist() == ["c", "c", 20, 32]


def test_publishable_without_assumed_total():
    df = pd.DataFrame({"site": list("ABC"), "n": [3, 9, 20]})
    out = suppression.publishable(df, assume_column_total=False)
    assert out["n"].tolist() == ["c", 9, 20]


def test_publishable_stats_columns_follow_counts():
    df = pd.DataFrame(
        {
            "site": list("ABC"),
            "n": [3, 9, 20],
            "mean_age": [30.5, 31.0, 29.0],
            "median_days": [4.0, 8.0, 9.0],
            "age_max": [40.0, 50.0, 60.0],
            "score": [1.5, 2.5, 3.5],
        }
    )
    out = suppression.publishable(df)
    assert out["mean_age"].tolist() == ["c", "c", 29.0]
    assert out["median_days"].tolist() == ["c", "c", 9.0]
    assert out["age_max"].tolist() == ["c", "c", 60.0]
    assert out["score"].tolist() == [1.5, 2.5, 3.5]  # not a named dependent column
    out2 = suppression.publishable(df, depends={"score": ("n",)})
    assert out2["score"].tolist() == ["c", "c", 3.5]


def test_publishable_depends_validation():
    df = pd.DataFrame({"site": list("AB"), "n": [7, 9], "pct": [1.0, 2.0]})
    with pytest.raises(ValueError, match="not counts"):
        suppression.publishable(df, depends={"pct": ("n_missing",)})
    with pytest.raises(ValueError, match="not in the table"):
        suppression.publishable(df, depends={"nope": ("n",)})
    assert suppression.publishable(df, depends={"pct": "n"})["pct"].tolist() == [1.0, 2.0]


def test_publishable_rejects_already_suppressed_and_negative():
    with pytest.raises(ValueError, match="already suppressed"):
        suppression.publishable(pd.DataFrame({"n": ["c", 7, 9]}))
    with pytest.raises(ValueError, match="negative"):
        suppression.publishable(pd.DataFrame({"n": [-1, 7, 9]}))


def test_publishable_non_additive_total_warns():
    df = pd.DataFrame({"item": ["a", "b", "Total"], "respondents": [3, 9, 10]})
    with pytest.warns(DisclosureWarning, match="not the sum"):
        out = suppression.publishable(df)
    # the total row is not used; the total of a and b is still assumed known elsewhere
    assert out["respondents"].tolist() == ["c", "c", 10]


def test_publishable_missing_counts_stay_missing():
    df = pd.DataFrame({"site": ["A", "B", "C", "Total"], "n": [3.0, np.nan, 20.0, 23.0]})
    out = suppression.publishable(df)
    assert out["n"].iloc[0] == "c"
    assert pd.isna(out["n"].iloc[1])


def test_publishable_duplicate_totals_rejected():
    df = pd.DataFrame({"site": ["A", "Total", "Total"], "n": [7, 7, 7]})
    with pytest.raises(ValueError, match="same total"):
        suppression.publishable(df)


def test_publishable_three_label_levels_uses_lp():
    rows = []
    rng = np.random.default_rng(3)
    for a in ["a1", "a2"]:
        for b in ["b1", "b2"]:
            for c in ["c1", "c2"]:
                rows.append((a, b, c, int(rng.choice([2, 7, 11, 20]))))
    base = pd.DataFrame(rows, columns=["a", "b", "c", "n"])
    parts = [base]
    for col in ["a", "b", "c"]:  # totals over one label at a time
        others = [x for x in ["a", "b", "c"] if x != col]
        t = base.groupby(others, as_index=False)["n"].sum()
        t[col] = "Total"
        parts.append(t)
    df = pd.concat(parts, ignore_index=True)[["a", "b", "c", "n"]]
    out = suppression.publishable(df)
    assert suppression.check_published_table(out) == []
    assert (out["n"] == "c").sum() >= (base["n"] < 5).sum()


def test_check_published_table_explicit_count_columns_and_wide_total():
    df = pd.DataFrame(
        {"site": ["A", "B", "Total"], "Yes": ["c", 20, 26], "No": ["c", 30, 33], "All": [9, 50, 59]}
    )
    problems = suppression.check_published_table(df, 5, count_columns=["Yes", "No", "All"])
    assert len(problems) == 2
    assert suppression.check_published_table(df, 5) == []  # no column is a count by name


def test_check_published_table_blank_and_non_additive_rows():
    df = pd.DataFrame({"g": ["a", "b", "c", "Total"], "n": ["c", None, 12, 40]})
    assert (
        suppression.check_published_table(df) == []
    )  # a blank member: the relation cannot be used
    df = pd.DataFrame({"g": ["a", "b", "Total"], "n": ["c", 50, 40]})
    assert suppression.check_published_table(df) == []  # parts exceed the total: not additive


def test_check_published_table_depends():
    df = pd.DataFrame({"g": ["a", "b"], "n_a": ["c", "c"], "n_b": [10, 20], "pct_b": [1.0, 2.0]})
    assert len(suppression.check_published_table(df)) == 2
    assert suppression.check_published_table(df, depends={"pct_b": ("n_b",)}) == []


def test_publishable_remembers_a_table_it_has_made_safe():
    t = pd.DataFrame({"site": ["A", "B", "C", "D"], "n": [3, 9, 20, 30], "pct": [1.0, 2, 3, 4]})
    first = suppression.publishable(t)
    known = len(suppression._PUBLISHED)
    first.loc[0, "site"] = "changed by the caller"
    again = suppression.publishable(t.copy())
    assert len(suppression._PUBLISHED) == known  # the same content: worked out once
    assert again["site"].tolist() == ["A", "B", "C", "D"]  # a fresh copy each time
    assert again["n"].tolist() == ["c", "c", 20, 30]
    # what differs in content, type or settings is worked out anew
    assert suppression.publishable(t, min_cell=10)["n"].tolist() == ["c", "c", 20, 30]
    text = t.assign(n=t["n"].astype(object))
    text.loc[0, "n"] = "3"
    rules = suppression._Rules(5, None, None, True)
    assert suppression._publishable_key(text, rules) != suppression._publishable_key(
        t.assign(n=t["n"].astype(object)), rules
    )


def test_publishable_repeats_its_warnings_when_it_remembers():
    t = pd.DataFrame({"g": ["a", "b", "All"], "n": [10, 20, 99]})
    for _ in range(2):
        with pytest.warns(DisclosureWarning, match="not the sum of its rows"):
            suppression.publishable(t)


def test_publishable_reads_count_columns_given_once():
    # the columns may come as any iterable, even one that can be read only once
    t = pd.DataFrame({"site": ["A", "B", "C"], "n": [3, 9, 20], "m": [2, 30, 40]})
    listed = suppression.publishable(t, count_columns=["n"])
    assert suppression.publishable(t, count_columns=iter(["n"])).equals(listed)
    assert listed["n"].tolist() == ["c", "c", 20]


def test_is_suppressed():
    assert suppression.is_suppressed(suppression.SUPPRESSION_MARK)
    assert suppression.is_suppressed(" c ")
    assert not suppression.is_suppressed(3)
    assert not suppression.is_suppressed("cat")
    assert not suppression.is_suppressed(None)


# --------------------------------------------------------------------------------------
# Properties (hypothesis)
# --------------------------------------------------------------------------------------

counts = st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5, 6, 8, 11, 20, 45])


@st.composite
def two_way_tables(
    draw, rows: tuple[int, int] = (1, 4), cols: tuple[int, int] = (1, 4), margins: bool = False
) -> tuple[pd.DataFrame, int]:
    """A table of counts and a min_cell; ``margins``: always with both totals."""
    n_r = draw(st.integers(*rows))
    n_c = draw(st.integers(*cols))
    cells = draw(st.lists(counts, min_size=n_r * n_c, max_size=n_r * n_c))
    x = np.array(cells, dtype=int).reshape(n_r, n_c)
    df = pd.DataFrame(x, index=[f"r{i}" for i in range(n_r)], columns=[f"c{j}" for j in range(n_c)])
    if margins or draw(st.booleans()):
        df["All"] = df.sum(axis=1)
    if margins or draw(st.booleans()):
        df.loc["All"] = df.sum(axis=0)
    return df, draw(st.sampled_from([3, 5, 10]))


def _plan(table, min_cell):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        return suppression.plan_suppression(table, min_cell)


@LP
@given(two_way_tables())
def test_suppressed_two_way_tables_are_safe(case):
    df, min_cell = case
    plan = _plan(df, min_cell)
    ext, hidden, hideable, lines, unprot = extended_view(df, plan)
    assert_safe(ext, hidden, hideable, lines, min_cell, unprot)
    out = suppression.suppress_counts(df, min_cell) if not unprot else None
    if out is not None:
        published = out.reset_index()
        assert (
            suppression.check_published_table(published, min_cell, count_columns=list(df.columns))
            == []
        )
    # unprotectable cells only arise from totals the table does not show
    if unprot:
        assert plan.row_total is None or plan.column_total is None


@FAST
@given(two_way_tables(rows=(3, 9), cols=(2, 6), margins=True))
def test_witness_cycles_change_nothing_in_the_plan(case):
    """The plan re-checks only the cells whose witness cycle a shown cell ran through; it
    must hide exactly what checking every protected cell each time hides."""
    df, min_cell = case
    fast = _plan(df, min_cell)
    original = suppression._Structure.free

    def every_cell(self, hidden, only=None, witness=None):
        return original(self, hidden, only)  # no witnesses: every cell checked each time

    try:
        suppression._Structure.free = every_cell
        plain = _plan(df, min_cell)
    finally:
        suppression._Structure.free = original
    assert fast.mask.equals(plain.mask)


@FAST
@given(st.lists(counts, min_size=1, max_size=8), st.booleans(), st.sampled_from([3, 5]))
def test_suppressed_one_way_tables_are_safe(values, with_total, min_cell):
    s = pd.Series(values, index=[f"g{i}" for i in range(len(values))], name="n")
    if with_total:
        s.loc["Total"] = s.sum()
    plan = _plan(s, min_cell)
    ext, hidden, hideable, lines, unprot = extended_view(s, plan)
    assert_safe(ext, hidden, hideable, lines, min_cell, unprot)
    if with_total:
        assert not unprot  # a shown total can itself be hidden: always protectable


@st.composite
def tidy_tables(draw) -> tuple[pd.DataFrame, int]:
    n_sites = draw(st.integers(1, 3))
    n_cats = draw(st.integers(1, 3))
    style = draw(st.sampled_from(["none", "site_totals", "grand_total", "two_way"]))
    rows = []
    x = np.array(draw(st.lists(counts, min_size=n_sites * n_cats, max_size=n_sites * n_cats)))
    x = x.reshape(n_sites, n_cats)
    y = np.array(draw(st.lists(counts, min_size=n_sites * n_cats, max_size=n_sites * n_cats)))
    y = y.reshape(n_sites, n_cats)
    sites = [f"S{i}" for i in range(n_sites)] + ["Total"]
    cats = [f"k{j}" for j in range(n_cats)] + ["Total"]
    for i, site in enumerate(sites):
        for j, cat in enumerate(cats):
            site_total, cat_total = site == "Total", cat == "Total"
            if style == "none" and (site_total or cat_total):
                continue
            if style == "site_totals" and site_total:
                continue
            if style == "grand_total" and (site_total != cat_total):
                continue
            xs = x[: None if site_total else i + 1][0 if site_total else i :]
            ys = y[: None if site_total else i + 1][0 if site_total else i :]
            xs = xs[:, : None if cat_total else j + 1][:, 0 if cat_total else j :]
            ys = ys[:, : None if cat_total else j + 1][:, 0 if cat_total else j :]
            rows.append((site, cat, int(xs.sum()), int(ys.sum())))
    df = pd.DataFrame(rows, columns=["site", "category", "n_cases", "n_fathers"])
    df["pct_fathers"] = (100 * df["n_fathers"] / df["n_cases"].where(df["n_cases"] > 0)).round(1)
    df["mean_age"] = 30.0 + np.arange(len(df))
    return df, draw(st.sampled_from([3, 5]))


@LP
@given(tidy_tables())
def test_publishable_tidy_tables_pass_the_checker(case):
    df, min_cell = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        out = suppression.publishable(df, min_cell)
    for col in ("n_cases", "n_fathers"):
        shown = pd.to_numeric(out[col].where(out[col] != "c"), errors="coerce")
        assert not ((shown >= 1) & (shown < min_cell)).any()
    hidden_row = (out["n_cases"] == "c") | (out["n_fathers"] == "c")
    assert (out.loc[hidden_row, "pct_fathers"] == "c").all()
    assert (out.loc[hidden_row, "mean_age"] == "c").all()
    assert suppression.check_published_table(out, min_cell) == []


@st.composite
def published_wide_tables(draw) -> pd.DataFrame:
    """A wide table with a Total row and an n_total column and random 'c' marks."""
    n_r = draw(st.integers(2, 4))
    n_c = draw(st.integers(2, 3))
    cells = draw(st.lists(st.integers(5, 30), min_size=n_r * n_c, max_size=n_r * n_c))
    x = np.array(cells).reshape(n_r, n_c)
    full = np.zeros((n_r + 1, n_c + 1), dtype=int)
    full[:n_r, :n_c] = x
    full[:n_r, n_c] = x.sum(axis=1)
    full[n_r, :] = full[:n_r, :].sum(axis=0)
    hide = np.array(draw(st.lists(st.booleans(), min_size=full.size, max_size=full.size)))
    hide = hide.reshape(full.shape)
    df = pd.DataFrame(full.astype(object), columns=[f"n_{j}" for j in range(n_c)] + ["n_total"])
    df[hide] = "c"
    df.insert(0, "site", [f"S{i}" for i in range(n_r)] + ["Total"])
    df.attrs["truth"] = full
    df.attrs["hide"] = hide
    return df


@settings(LP, max_examples=12)
@given(published_wide_tables())
def test_checker_finds_exactly_the_recoverable_cells(df):

    full, hide = df.attrs["truth"], df.attrs["hide"]
    n_r, n_c = full.shape[0] - 1, full.shape[1] - 1
    ranges = lp_ranges(full.astype(float), hide, table_lines(n_r, n_c, True, True))
    want = sorted(
        f"{df.columns[1 + j]}:{i + 1}" for (i, j), (lo, hi) in ranges.items() if hi - lo < 0.5
    )
    problems = suppression.check_published_table(df, 5)
    got = sorted(
        f"{m.group(1)}:{m.group(2)}"
        for p in problems
        if (m := re.match(r"column '(.+)', row (\d+) .*worked out", p))
    )
    assert got == want


# --------------------------------------------------------------------------------------
# Issue #16: upper protection, one structure per tidy table, linked tables
# --------------------------------------------------------------------------------------

ROLES = pd.DataFrame(
    {
        "role": [
            "manager",
            "practitioner",
            "safeguarding_lead",
            "senior_practitioner",
            "strategic_lead",
            "Total",
        ],
        "n_interview": [7, 8, 2, 0, 3, 20],
        "n_focus_group": [2, 8, 1, 3, 1, 15],
        "n_total": [9, 16, 3, 3, 4, 35],
    }
)


def _row_relations(frame, total, parts, table=0):
    return [
        ([(table, r, c) for c in parts], (table, r, total))
        for r in range(len(frame))
        if frame[total].notna().iloc[r]
    ]


def _column_relations(frame, columns, members, total_row, table=0):
    return [([(table, m, c) for m in members], (table, total_row, c)) for c in columns]


def test_row_total_column_protects_the_hidden_count():
    # S01 participants_by_role published manager,7,c,9: the hidden count was 9 - 7 = 2
    out = suppression.publishable(ROLES, 5)
    manager = out.iloc[0]
    assert not (manager["n_interview"] != "c" and manager["n_total"] != "c")
    cols = ["n_interview", "n_focus_group", "n_total"]
    relations = _row_relations(ROLES, "n_total", cols[:2]) + _column_relations(
        ROLES, cols, range(5), 5
    )
    assert_tidy_safe(tidy_values(ROLES, cols), tidy_hidden(out, cols), relations, 5)
    assert suppression.check_published_table(out, 5) == []


def test_exactness_is_not_enough_upper_protection():
    # 2 and 1 hidden with a known total: 2 lies in [0, 3], never 5: the 20 must go too
    t = pd.DataFrame({"g": ["a", "b", "c"], "n": [2, 1, 20]})
    out = suppression.publishable(t, 5)
    assert out["n"].tolist() == ["c", "c", "c"]
    plan = suppression.plan_suppression(pd.Series([2, 1, 20, 23], index=[*"abc", "Total"]))
    assert plan.mask.tolist() == [True, True, True, False]  # 2 + 3 = 5 when 20 is 17


def test_declared_sums_tie_the_columns():
    t = pd.DataFrame(
        {
            "agency": ["police", "health", "school", "Total"],
            "n_read": [6, 2, 9, 17],
            "n_heard": [7, 8, 6, 21],
            "n_unaware": [9, 7, 5, 21],
            "n_coded": [22, 17, 20, 59],
        }
    )
    sums = {"n_coded": ("n_read", "n_heard", "n_unaware")}
    out = suppression.publishable(t, 5, sums=sums)
    cols = ["n_read", "n_heard", "n_unaware", "n_coded"]
    relations = _row_relations(t, "n_coded", cols[:3]) + _column_relations(t, cols, range(3), 3)
    assert_tidy_safe(tidy_values(t, cols), tidy_hidden(out, cols), relations, 5)
    # undeclared, a column that adds up all the others in every row is found anyway
    plain = suppression.publishable(t, 5)
    assert plain.equals(out)
    with pytest.raises(ValueError, match="not counts"):
        suppression.publishable(t, 5, sums={"n_coded": ("n_read", "pct_x")})


def test_declared_sum_that_does_not_add_up_warns():
    t = pd.DataFrame({"g": ["a", "b"], "n_x": [6, 7], "n_y": [8, 9], "n_all2": [14, 99]})
    with pytest.warns(DisclosureWarning, match="not the sum"):
        suppression.publishable(t, 5, sums={"n_all2": ("n_x", "n_y")})


def test_shares_of_a_partition_give_the_total_away():
    # no total shown and none assumed: but n and pct of one category give the total
    t = pd.DataFrame({"g": ["a", "b", "c"], "n": [3, 40, 57]})
    t["pct"] = 100 * t["n"] / t["n"].sum()
    out = suppression.publishable(t, 5, assume_column_total=False)
    values = tidy_values(t, ["n"])
    values[(0, "total", "n")] = 100
    relations = [([(0, r, "n") for r in range(3)], (0, "total", "n"))]
    assert_tidy_safe(values, tidy_hidden(out, ["n"]), relations, 5)
    assert (out.loc[out["n"] == "c", "pct"] == "c").all()


def test_nested_categories_are_one_structure():
    rows = [
        ("S1", "police", 2, 9),
        ("S1", "health", 8, 6),
        ("S1", "All", 10, 15),
        ("S2", "police", 7, 1),
        ("S2", "health", 9, 8),
        ("S2", "All", 16, 9),
        ("All", "All", 26, 24),
    ]
    t = pd.DataFrame(rows, columns=["site", "agency", "n_a", "n_b"])
    t["n_total"] = t["n_a"] + t["n_b"]
    out = suppression.publishable(t, 5)
    cols = ["n_a", "n_b", "n_total"]
    relations = _row_relations(t, "n_total", cols[:2])
    relations += _column_relations(t, cols, [0, 1], 2) + _column_relations(t, cols, [3, 4], 5)
    relations += _column_relations(t, cols, [2, 5], 6)
    assert_tidy_safe(tidy_values(t, cols), tidy_hidden(out, cols), relations, 5)


def test_linked_tables_share_their_cells():
    by_agency = pd.DataFrame({"agency": ["police", "health", "Total"], "n": [30, 3, 33]})
    by_role = pd.DataFrame({"role": ["manager", "worker", "Total"], "n": [13, 20, 33]})
    linked = suppression.LinkedCells()
    # another table of the population hid the grand total (and the police count)
    linked.record("people", (frozenset(), None), 33, hidden=True)
    a = suppression.publishable(by_agency, 5, population="people", linked=linked)
    b = suppression.publishable(by_role, 5, population="people", linked=linked)
    assert a["n"].tolist()[2] == b["n"].tolist()[2] == "c"
    assert len(linked) == 5
    values = {**tidy_values(by_agency, ["n"], "a"), **tidy_values(by_role, ["n"], "b")}
    values.pop(("b", 2, "n"))  # one grand total, the same cell in both
    hidden = tidy_hidden(a, ["n"], "a") | (tidy_hidden(b, ["n"], "b") - {("b", 2, "n")})
    relations = [
        ([("a", 0, "n"), ("a", 1, "n")], ("a", 2, "n")),
        ([("b", 0, "n"), ("b", 1, "n")], ("a", 2, "n")),
    ]
    assert_tidy_safe(values, hidden, relations, 5)
    # the role table moves the total as far as the agency table needed
    assert "c" in b["n"].tolist()[:2]
    # unlinked, the role table shows everything
    alone = suppression.publishable(by_role, 5)
    assert alone["n"].tolist() == [13, 20, 33]
    # the cache key holds what the links contributed
    again = suppression.publishable(by_role, 5, population="people", linked=linked)
    assert again["n"].tolist() == b["n"].tolist()


def test_linked_cell_shown_elsewhere_stays_shown():
    linked = suppression.LinkedCells()
    first = pd.DataFrame({"agency": ["police", "health", "Total"], "n": [30, 12, 42]})
    suppression.publishable(first, 5, population="p", linked=linked)
    second = pd.DataFrame({"role": ["a", "b", "c", "Total"], "n": [3, 9, 30, 42]})
    out = suppression.publishable(second, 5, population="p", linked=linked)
    assert out["n"].tolist() == ["c", "c", 30, 42]
    other = suppression.publishable(second, 5, population="q", linked=linked)
    assert other["n"].tolist()[0] == "c"


def _structure_of(table: np.ndarray, hidden: np.ndarray):
    n_r, n_c = table.shape
    ext = np.zeros((n_r + 1, n_c + 1), dtype=np.int64)
    ext[:n_r, :n_c] = table
    ext[:n_r, n_c] = table.sum(axis=1)
    ext[n_r, :n_c] = table.sum(axis=0)
    ext[n_r, n_c] = table.sum()
    idx = np.arange(ext.size).reshape(ext.shape)
    lines = [suppression._Line(tuple(idx[i, :n_c]), int(idx[i, n_c])) for i in range(n_r + 1)]
    lines += [suppression._Line(tuple(idx[:n_r, j]), int(idx[n_r, j])) for j in range(n_c + 1)]
    mask = np.zeros(ext.shape, dtype=bool)
    mask[:n_r, :n_c] = hidden
    return suppression._Structure(ext.reshape(-1), lines), mask.reshape(-1)


@LP
@given(
    st.integers(2, 4).flatmap(
        lambda r: st.integers(2, 4).flatmap(
            lambda c: st.tuples(
                st.lists(st.integers(0, 9), min_size=r * c, max_size=r * c),
                st.lists(st.booleans(), min_size=r * c, max_size=r * c),
                st.just((r, c)),
            )
        )
    )
)
def test_max_flow_and_lp_agree_on_the_largest_value(case):
    values, hidden, shape = case
    structure, mask = _structure_of(
        np.array(values).reshape(shape), np.array(hidden).reshape(shape)
    )
    assert structure._graph is not None
    cells = np.flatnonzero(mask).tolist()
    flow = structure.upper(mask, cells, method="flow")
    lp = structure.upper(mask, cells, method="lp")
    assert np.allclose(flow, lp), (flow, lp)


@st.composite
def structured_tidy_tables(draw):
    """A tidy table with random structure, and its relations written out independently."""
    nested = draw(st.booleans())
    n_sites = draw(st.integers(2, 3)) if nested else 1
    n_items = draw(st.integers(2, 4))
    n_parts = draw(st.integers(1, 3))
    small = st.one_of(st.integers(0, 4), st.integers(5, 15))
    total_kind = draw(st.sampled_from(["none", "named", "declared"]))
    grand = nested or draw(st.booleans())
    parts = [f"n_p{k}" for k in range(n_parts)]
    rows, members = [], {}
    for s_ in range(n_sites):
        start = len(rows)
        for i in range(n_items):
            rows.append(
                [f"S{s_}", f"k{i}", *draw(st.lists(small, min_size=n_parts, max_size=n_parts))]
            )
        if nested:
            members[len(rows)] = list(range(start, len(rows)))
            rows.append([f"S{s_}", "All", *np.array([r[2:] for r in rows[start:]]).sum(0).tolist()])
    body = list(range(len(rows)))
    site_totals = list(members)
    if grand:
        top = site_totals if nested else body
        members[len(rows)] = top
        rows.append(["All", "All", *np.array([rows[r][2:] for r in top]).sum(0).tolist()])
    df = pd.DataFrame(rows, columns=["site", "agency", *parts])
    if not nested:
        df = df.drop(columns="site")
    cols = list(parts)
    sums = None
    if total_kind != "none":
        name = "n_total" if total_kind == "named" else "n_sum"
        df[name] = df[parts].sum(axis=1)
        cols.append(name)
        if total_kind == "declared":
            sums = {name: tuple(parts)}
    if draw(st.booleans()):
        df["pct_p0"] = (100 * df["n_p0"] / max(int(df["n_p0"].sum()), 1)).round(1)
    relations = []
    values = tidy_values(df, cols)
    for t, ms in members.items():
        relations += _column_relations(df, cols, ms, t)
    if not grand:  # the column totals are assumed known: shown cells outside the table
        for c in cols:
            values[(0, "known", c)] = int(df[c].sum())
            relations.append(([(0, r, c) for r in range(len(df))], (0, "known", c)))
    if total_kind != "none":
        relations += _row_relations(df, cols[-1], parts)
    return df, cols, sums, values, relations, draw(st.sampled_from([3, 5]))


@LP
@given(structured_tidy_tables())
def test_random_structures_protect_every_small_count(case):
    df, cols, sums, values, relations, min_cell = case
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = suppression.publishable(df, min_cell, sums=sums)
    known = {k for k in values if k[1] == "known"}  # published elsewhere, never hidden here
    allowed = set(known)
    if any(issubclass(w.category, DisclosureWarning) for w in caught):
        # only where the known totals keep a count small even with everything hidden
        ups = relation_upper(values, known, relations)
        unprotectable = {k for k, hi in ups.items() if hi < min_cell - 1e-6}
        assert unprotectable
        allowed |= unprotectable
    assert_tidy_safe(values, tidy_hidden(out, cols), relations, min_cell, allowed)
    if "pct_p0" in df:
        assert (out.loc[out["n_p0"] == "c", "pct_p0"] == "c").all()


@st.composite
def linked_pairs(draw):
    """Two one-way tables of one population (by agency, by role) with the same total."""
    total = draw(st.integers(4, 40))
    cuts_a = sorted(draw(st.lists(st.integers(0, total), min_size=1, max_size=3)))
    cuts_b = sorted(draw(st.lists(st.integers(0, total), min_size=1, max_size=3)))
    a = np.diff([0, *cuts_a, total]).tolist()
    b = np.diff([0, *cuts_b, total]).tolist()
    ta = pd.DataFrame({"agency": [f"a{i}" for i in range(len(a))] + ["Total"], "n": [*a, total]})
    tb = pd.DataFrame({"role": [f"r{i}" for i in range(len(b))] + ["Total"], "n": [*b, total]})
    return ta, tb, draw(st.sampled_from([3, 5]))


@LP
@given(linked_pairs())
def test_linked_pairs_are_safe_together(case):
    ta, tb, min_cell = case
    linked = suppression.LinkedCells()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = suppression.publishable(ta, min_cell, population="p", linked=linked)
        b = suppression.publishable(tb, min_cell, population="p", linked=linked)
    ga, gb = len(ta) - 1, len(tb) - 1
    assert suppression.is_suppressed(a["n"].iloc[ga]) == suppression.is_suppressed(b["n"].iloc[gb])
    values = {**tidy_values(ta, ["n"], "a"), **tidy_values(tb, ["n"], "b")}
    values.pop(("b", gb, "n"))
    hidden = tidy_hidden(a, ["n"], "a") | (tidy_hidden(b, ["n"], "b") - {("b", gb, "n")})
    relations = [
        ([("a", r, "n") for r in range(ga)], ("a", ga, "n")),
        ([("b", r, "n") for r in range(gb)], ("a", ga, "n")),
    ]
    allowed = set()
    if any(issubclass(w.category, DisclosureWarning) for w in caught):
        allowed = {k for k, v in values.items() if 1 <= v < min_cell}  # a small total
        assert 1 <= int(ta["n"].iloc[ga]) < min_cell or len(ta) == 2 or len(tb) == 2
    assert_tidy_safe(values, hidden, relations, min_cell, allowed)


def test_the_same_linked_table_twice_comes_out_the_same():
    linked = suppression.LinkedCells()
    t = pd.DataFrame({"g": ["a", "b", "c", "Total"], "n": [3, 9, 30, 42]})
    first = suppression.publishable(t, 5, population="p", linked=linked)
    second = suppression.publishable(t, 5, population="p", linked=linked)
    assert first["n"].tolist() == second["n"].tolist() == ["c", "c", 30, 42]


def test_a_column_that_adds_up_the_others_is_found():
    # notebook 04's participants_by_agency published 'adult_mental_health,c,7,10' (3 = 10 - 7)
    t = pd.DataFrame(
        {
            "agency": ["social_care", "adult_mental_health", "probation", "housing"],
            "n_interview": [17, 3, 5, 10],
            "n_focus_group": [18, 7, 2, 6],
            "n_participants": [35, 10, 7, 16],
        }
    )
    out = suppression.publishable(t, 5)
    cols = ["n_interview", "n_focus_group", "n_participants"]
    values = tidy_values(t, cols)
    relations = _row_relations(t, "n_participants", cols[:2])
    for c in cols:  # the column totals, assumed known
        values[(0, "known", c)] = int(t[c].sum())
        relations.append(([(0, r, c) for r in range(len(t))], (0, "known", c)))
    assert_tidy_safe(
        values, tidy_hidden(out, cols), relations, 5, {k for k in values if k[1] == "known"}
    )
    # a column that is not a sum in every row is left alone
    t.loc[0, "n_participants"] = 36
    assert suppression._found_sums({c: t[c].to_numpy(float) for c in cols}, []) == []


def test_a_count_the_assumed_totals_leave_small_is_still_hidden_from_its_shown_row():
    """The stance table of issue #16: the assumed column total of n_critical (1) keeps the
    small count below min_cell whatever is hidden, yet its row (n_segments = the sum of the
    stances) must not give it away: a row partner is hidden too."""
    frame = pd.DataFrame(
        {
            "code": ["lawful", "service", "medical"],
            "n_segments": [20, 22, 10],
            "n_critical": [0, 0, 1],
            "n_mixed": [5, 10, 0],
            "n_supportive": [15, 12, 9],
        }
    )
    linked = suppression.LinkedCells()
    # an earlier table of the same population showed each code's segments and the zero
    # critical counts, and hid the small one (as notebook 04's ranking of codes does)
    for code, segments, critical in (("lawful", 20, 0), ("service", 22, 0), ("medical", 10, 1)):
        labels = frozenset({("code", code)})
        linked.record("people", (labels, "n_segments"), segments, hidden=False)
        linked.record("people", (labels, "n_critical"), critical, hidden=code == "medical")
    sums = {"n_segments": ("n_critical", "n_mixed", "n_supportive")}
    with pytest.warns(DisclosureWarning, match="cannot be protected"):
        out = suppression.publishable(frame, 5, sums=sums, population="people", linked=linked)
    medical = out.iloc[2]
    assert medical["n_critical"] == "c" and medical["n_segments"] == 10  # shown elsewhere
    hidden = [c for c in ("n_mixed", "n_supportive") if medical[c] == "c"]
    assert hidden, "the row's sum would give the hidden count away"
