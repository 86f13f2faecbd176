"""Property-based tests (hypothesis) for srim_analysis.disclosure.

Suppression is checked against an independent linear programme (in test_disclosure.py):
after suppression no published count is between 1 and min_cell - 1, and no hidden count is
pinned down by the published cells, the totals and non-negativity.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srim_analysis import disclosure as d
from tests.disclosure.test_disclosure import (
    IDENTIFIERS,
    assert_safe,
    extended_view,
    lp_ranges,
    table_lines,
)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# examples that solve many linear programmes each
LP = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
        warnings.simplefilter("ignore", d.DisclosureWarning)
        return d.plan_suppression(table, min_cell)


@LP
@given(two_way_tables())
def test_suppressed_two_way_tables_are_safe(case):
    df, min_cell = case
    plan = _plan(df, min_cell)
    ext, hidden, hideable, lines, unprot = extended_view(df, plan)
    assert_safe(ext, hidden, hideable, lines, min_cell, unprot)
    out = d.suppress_counts(df, min_cell) if not unprot else None
    if out is not None:
        published = out.reset_index()
        assert d.check_published_table(published, min_cell, count_columns=list(df.columns)) == []
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
    original = d._Structure.free

    def every_cell(self, hidden, only=None, witness=None):
        return original(self, hidden, only)  # no witnesses: every cell checked each time

    try:
        d._Structure.free = every_cell
        plain = _plan(df, min_cell)
    finally:
        d._Structure.free = original
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
        warnings.simplefilter("ignore", d.DisclosureWarning)
        out = d.publishable(df, min_cell)
    for col in ("n_cases", "n_fathers"):
        shown = pd.to_numeric(out[col].where(out[col] != "c"), errors="coerce")
        assert not ((shown >= 1) & (shown < min_cell)).any()
    hidden_row = (out["n_cases"] == "c") | (out["n_fathers"] == "c")
    assert (out.loc[hidden_row, "pct_fathers"] == "c").all()
    assert (out.loc[hidden_row, "mean_age"] == "c").all()
    assert d.check_published_table(out, min_cell) == []


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
    problems = d.check_published_table(df, 5)
    got = sorted(
        f"{m.group(1)}:{m.group(2)}"
        for p in problems
        if (m := re.match(r"column '(.+)', row (\d+) .*worked out", p))
    )
    assert got == want


# --------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------


def _nhs(nine: str) -> str | None:
    check = (11 - sum(int(c) * (10 - i) for i, c in enumerate(nine)) % 11) % 11
    return None if check == 10 else nine + str(check)


nine_digits = st.text("0123456789", min_size=8, max_size=8).map(lambda s: "4" + s)
layouts = st.sampled_from(["{}{}{}", "{} {} {}", "{}-{}-{}"])


@FAST
@given(nine_digits, layouts)
def test_valid_nhs_numbers_are_always_redacted(nine, layout):
    number = _nhs(nine)
    if number is None:
        return
    shown = layout.format(number[:3], number[3:6], number[6:])
    result = d.redact(f"NHS number: {shown}, checked.")
    assert result.text == "NHS number: [NHS_NUMBER], checked."


@FAST
@given(nine_digits, layouts, st.integers(1, 9))
def test_nhs_numbers_failing_the_check_are_left(nine, layout, shift):
    number = _nhs(nine)
    if number is None:
        return
    wrong = number[:9] + str((int(number[9]) + shift) % 10)
    shown = layout.format(wrong[:3], wrong[3:6], wrong[6:])
    text = f"reference {shown} here"
    assert d.redact(text).text == text


NAMES = [ident for ident, _ in IDENTIFIERS.entries]
separators = st.sampled_from([" ", "\n", ", ", ". ", " (", ") ", "'s ", '"', " — ", "\t", ": "])
cases = st.sampled_from([str, str.upper, str.lower, str.title])


@FAST
@given(st.sampled_from(NAMES), cases, separators, separators)
def test_listed_identifiers_never_survive(name, case, before, after):
    variant = case(name)
    text = f"Before{before}{variant}{after}after."
    result = d.redact(text, IDENTIFIERS)
    assert variant not in result.text
    assert any(variant in f.original for f in result.found)


@FAST
@given(
    st.sampled_from(["Anna", "Lee", "Björn", "Northbridge", "Siobhán"]),
    st.text("abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=3),
    st.booleans(),
)
def test_identifiers_inside_other_words_are_left(name, glue, at_end):
    word = name + glue if at_end else glue + name.lower()
    text = f"The word {word} stays."
    assert d.redact(text, IDENTIFIERS).text == text


VOCAB = [
    "the",
    "father",
    "said",
    "Zoë",
    "O'Neill",
    "Mary Smith",
    "Northbridge",
    "07700 900123",
    "LS1 4AB",
    "943 476 5919",
    "AB 12 34 56 C",
    "born in",
    "2015",
    "March",
    "3",
    "14 Acacia Road",
    "a@b.org",
    "12/03/2019",
    "\n",
    ",",
    "Flat 2",
    "c",
]


@FAST
@given(st.lists(st.sampled_from(VOCAB), max_size=12))
def test_redaction_offsets_and_idempotence(tokens):
    text = " ".join(tokens)
    result = d.redact(text, IDENTIFIERS)
    rebuilt, last = [], 0
    for f in result.found:
        assert f.start >= last and text[f.start : f.end] == f.original
        rebuilt += [text[last : f.start], f"[{f.kind}]"]
        last = f.end
    assert "".join([*rebuilt, text[last:]]) == result.text
    assert d.redact(result.text, IDENTIFIERS).text == result.text


# --------------------------------------------------------------------------------------
# Pseudonymisation
# --------------------------------------------------------------------------------------

KEY = b"property-test-key-0123456789"


@FAST
@given(st.text(min_size=1, max_size=30), st.sampled_from(["P", "F", "SITE"]))
def test_pseudonyms_are_stable_and_well_formed(value, prefix):
    pid = d.pseudonymise(value, KEY, prefix)
    assert re.fullmatch(rf"{prefix}-[0-9A-F]{{8}}", pid)
    assert d.pseudonymise(value, KEY, prefix) == pid
    assert d.pseudonymise(f"  {value.upper()} ", KEY, prefix) == d.pseudonymise(
        value.upper(), KEY, prefix
    )
