"""Tests for srim_analysis.disclosure.redaction: the corpus, the API, and properties."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from srim_analysis.disclosure import redaction
from tests.disclosure.helpers import CORPUS, FAST, IDENTIFIERS


def decode(text: str) -> str:
    r"""Undo the corpus escapes: \n, \t, \uXXXX and \\."""
    table = {"n": "\n", "t": "\t", "\\": "\\"}
    return re.sub(
        r"\\(n|t|\\|u[0-9a-fA-F]{4})",
        lambda m: table.get(m.group(1)) or chr(int(m.group(1)[1:], 16)),
        text,
    )


def _redaction_rows() -> list[dict[str, str]]:
    with (CORPUS / "redaction_cases.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


REDACTION_ROWS = _redaction_rows()


def test_redaction_corpus_is_big_enough():
    assert len(REDACTION_ROWS) >= 100
    assert sum(1 for r in REDACTION_ROWS if r["category"] == "near_miss") >= 30


# --------------------------------------------------------------------------------------
# Corpus: redaction
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", REDACTION_ROWS, ids=[r["id"] for r in REDACTION_ROWS])
def test_redaction_corpus(row):
    text = decode(row["input"])
    result = redaction.redact(text, IDENTIFIERS)
    assert result.text == decode(row["expected"])
    assert ";".join(result.kinds) == row["kinds"]
    for f in result.found:  # offsets point at the original text
        assert text[f.start : f.end] == f.original
    if not row["kinds"]:
        assert result.text == text


def test_redaction_corpus_mentions_every_kind():
    kinds = {k for r in REDACTION_ROWS for k in r["kinds"].split(";") if k}
    assert kinds >= {
        "NAME",
        "SITE",
        "ORG",
        "EMAIL",
        "PHONE",
        "POSTCODE",
        "NHS_NUMBER",
        "NI_NUMBER",
        "DATE",
        "ADDRESS",
    }


def test_corpus_nhs_numbers_are_checked_independently():
    """The valid/invalid NHS numbers in the corpus, re-checked by a second implementation."""

    def mod11(digits: str) -> bool:
        check = (11 - sum(int(c) * (10 - i) for i, c in enumerate(digits[:9])) % 11) % 11
        return check != 10 and check == int(digits[9])

    assert mod11("9434765919")
    for row in REDACTION_ROWS:
        digits = re.sub(r"\D", "", row["input"])
        if not row["id"].startswith("nhs_") or len(digits) != 10:
            continue
        assert mod11(digits) == ("NHS_NUMBER" in row["kinds"]), row["id"]


# --------------------------------------------------------------------------------------
# Redaction API
# --------------------------------------------------------------------------------------


def test_redact_returns_dataclass_and_findings():
    r = redaction.redact("Call Anna on 07700 900123.", ["Anna"])
    assert isinstance(r, redaction.Redaction)
    assert r.text == "Call [NAME] on [PHONE]."
    assert [tuple(f) for f in r.found] == [
        ("NAME", "Anna", 5, 9),
        ("PHONE", "07700 900123", 13, 25),
    ]
    kind, original, start, end = r.found[0]
    assert (kind, original, start, end) == ("NAME", "Anna", 5, 9)


def test_redact_without_identifiers():
    assert redaction.redact("Anna, LS1 4AB").text == "Anna, [POSTCODE]"


def test_redact_rejects_bad_input():
    with pytest.raises(TypeError):
        redaction.redact(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        redaction.redact("Anna", "Anna")


def test_overlapping_identifiers_of_different_kinds():
    ids = redaction.Identifiers.from_pairs([("Mary", "NAME"), ("Mary Seacole House", "SITE")])
    assert (
        redaction.redact("at Mary Seacole House, Mary said", ids).text == "at [SITE], [NAME] said"
    )
    ids = redaction.Identifiers.from_strings(["Mary Smith", "Smith Jones"])
    assert redaction.redact("Mary Smith Jones", ids).text == "[NAME]"


def test_identifiers_from_pairs_cleans_kinds_and_duplicates():
    ids = redaction.Identifiers.from_pairs(
        [("Anna", "name"), ("anna", "NAME"), ("  ", "NAME"), ("X", "")]
    )
    assert ids.entries == (("Anna", "NAME"), ("X", "NAME"))
    assert len(ids) == 2
    weird = redaction.Identifiers.from_pairs([("Leeds General", "place of work")])
    assert redaction.redact("Leeds General", weird).text == "[PLACE_OF_WORK]"


def test_load_identifiers_csv_and_text(tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text("\ufeffIdentifier,Kind\nZoë,NAME\nNorthbridge,SITE\n# comment,x\nAnna,\n", "utf-8")
    ids = redaction.load_identifiers(p)
    assert ids.entries == (("Zoë", "NAME"), ("Northbridge", "SITE"), ("Anna", "NAME"))
    t = tmp_path / "ids.txt"
    t.write_text("# names\nZoë\n\nMary Smith\n", "utf-8")
    assert redaction.load_identifiers(t).entries == (("Zoë", "NAME"), ("Mary Smith", "NAME"))
    only = tmp_path / "only.csv"
    only.write_text("identifier\nZoë\n", "utf-8")
    assert redaction.load_identifiers(only).entries == (("Zoë", "NAME"),)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind\nZoë,NAME\n", "utf-8")
    with pytest.raises(ValueError, match="identifier"):
        redaction.load_identifiers(bad)


def test_redact_series_keeps_missing_and_index():
    s = pd.Series(["Anna said", None, np.nan, "LS1 4AB"], index=[10, 11, 12, 13])
    out = redaction.redact_series(s, ["Anna"])
    assert out.loc[10] == "[NAME] said"
    assert pd.isna(out.loc[11])
    assert pd.isna(out.loc[12])
    assert out.loc[13] == "[POSTCODE]"


def test_redaction_report():
    texts = pd.DataFrame(
        {
            "source": ["int01", "int01", "int02"],
            "text": ["Anna and Anna", "ring 07700 900123", "nothing here"],
        }
    )
    rep = redaction.redaction_report(texts, ["Anna"])
    assert list(rep.columns) == ["source", "kind", "count", "originals"]
    assert rep.to_dict("records") == [
        {"source": "int01", "kind": "NAME", "count": 2, "originals": "Anna"},
        {"source": "int01", "kind": "PHONE", "count": 1, "originals": "07700 900123"},
    ]
    rep2 = redaction.redaction_report(pd.Series(["Anna", None], index=["a", "b"]), ["Anna"])
    assert rep2["source"].tolist() == ["a"]
    empty = redaction.redaction_report(pd.Series(["nothing"]), None)
    assert empty.empty and list(empty.columns) == ["source", "kind", "count", "originals"]
    with pytest.raises(ValueError, match="columns"):
        redaction.redaction_report(texts.rename(columns={"text": "quote"}), ["Anna"])
    assert len(redaction.redaction_report(texts, ["Anna"], text_column="text")) == 2


def test_validators():
    assert redaction.is_valid_nhs_number("9434765919")
    assert redaction.is_valid_nhs_number("943-476-5919")
    assert not redaction.is_valid_nhs_number("94347659")
    assert not redaction.is_valid_nhs_number("4104974650")  # check digit would be 10
    assert redaction.is_valid_ni_number("JG 10 37 59 A")
    assert not redaction.is_valid_ni_number("GB 10 37 59 A")
    assert not redaction.is_valid_ni_number("JG 10 37 59 E")


def test_a_birth_year_after_an_email_is_found_in_one_pass():
    # found by hypothesis: the dot in the email hid the year from the first pass only
    once = redaction.redact("born in a@b.org 2015", [])
    assert once.text == "born in [EMAIL] [DATE]"
    assert redaction.redact(once.text, []).text == once.text
    assert redaction.redact("born in Leeds. In 2015 he moved", []).text.endswith("In 2015 he moved")
    # other findings read as one word, to a fixpoint, as a second pass would read them
    assert redaction.redact("born in the 14 Acacia Road 2015", []).text.endswith("[ADDRESS] [DATE]")
    twice = redaction.redact("born in AB 12 34 56 C 2015 2015", [])
    assert twice.text == "born in [NI_NUMBER] [DATE] [DATE]"
    assert [f.original for f in twice.found] == ["AB 12 34 56 C", "2015", "2015"]


def test_study_identifiers_reads_the_study_folder(tmp_path):
    assert redaction.study_identifiers(tmp_path) is None
    (tmp_path / "identifiers.csv").write_text("identifier,kind\nZoë,NAME\n", "utf-8")
    ids = redaction.study_identifiers(tmp_path)
    assert ids is not None and ids.entries == (("Zoë", "NAME"),)
    assert redaction.study_identifiers(tmp_path) is ids  # read once per version of the file


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
    result = redaction.redact(f"NHS number: {shown}, checked.")
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
    assert redaction.redact(text).text == text


NAMES = [ident for ident, _ in IDENTIFIERS.entries]
separators = st.sampled_from([" ", "\n", ", ", ". ", " (", ") ", "'s ", '"', " — ", "\t", ": "])
cases = st.sampled_from([str, str.upper, str.lower, str.title])


@FAST
@given(st.sampled_from(NAMES), cases, separators, separators)
def test_listed_identifiers_never_survive(name, case, before, after):
    variant = case(name)
    text = f"Before{before}{variant}{after}after."
    result = redaction.redact(text, IDENTIFIERS)
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
    assert redaction.redact(text, IDENTIFIERS).text == text


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
    result = redaction.redact(text, IDENTIFIERS)
    rebuilt, last = [], 0
    for f in result.found:
        assert f.start >= last and text[f.start : f.end] == f.original
        rebuilt += [text[last : f.start], f"[{f.kind}]"]
        last = f.end
    assert "".join([*rebuilt, text[last:]]) == result.text
    assert redaction.redact(result.text, IDENTIFIERS).text == result.text
