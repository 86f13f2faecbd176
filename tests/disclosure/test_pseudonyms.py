"""Tests for srim_analysis.disclosure.pseudonyms: the key, pseudonyms, and properties."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from srim_analysis.disclosure import pseudonyms
from srim_analysis.disclosure.errors import MissingKeyError, UnsafeKeyError
from tests.disclosure.helpers import FAST

GOOD_KEY = "k" * 32


@pytest.fixture
def no_key_env(monkeypatch):
    monkeypatch.delenv(pseudonyms.KEY_ENV_VAR, raising=False)
    monkeypatch.delenv(pseudonyms.KEY_FILE_ENV_VAR, raising=False)
    return monkeypatch


# --------------------------------------------------------------------------------------
# load_key
# --------------------------------------------------------------------------------------


def test_key_from_environment(no_key_env):
    no_key_env.setenv(pseudonyms.KEY_ENV_VAR, f"  {GOOD_KEY}\n")
    assert pseudonyms.load_key(required=True) == GOOD_KEY.encode()


def test_key_from_file_outside_git(no_key_env, outside):
    f = outside / "srim.key"
    f.write_bytes(GOOD_KEY.encode() + b"\n")
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(f))
    assert pseudonyms.load_key(required=True) == GOOD_KEY.encode()


def test_missing_key(no_key_env):
    assert pseudonyms.load_key(required=False) is None
    with pytest.raises(MissingKeyError, match=pseudonyms.KEY_FILE_ENV_VAR):
        pseudonyms.load_key(required=True)


def test_key_file_that_does_not_exist(no_key_env, outside):
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(outside / "nope.key"))
    with pytest.raises(MissingKeyError, match="not a file"):
        pseudonyms.load_key(required=False)


def test_empty_key_file(no_key_env, outside):
    f = outside / "empty.key"
    f.write_text("\n", encoding="utf-8")
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(MissingKeyError):
        pseudonyms.load_key(required=True)


def test_short_key_refused(no_key_env):
    no_key_env.setenv(pseudonyms.KEY_ENV_VAR, "short")
    with pytest.raises(UnsafeKeyError, match="at least 16"):
        pseudonyms.load_key(required=False)


def test_both_key_settings_refused(no_key_env, outside):
    f = outside / "srim.key"
    f.write_text(GOOD_KEY, encoding="utf-8")
    no_key_env.setenv(pseudonyms.KEY_ENV_VAR, GOOD_KEY)
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(UnsafeKeyError, match="Set only one"):
        pseudonyms.load_key(required=True)


def test_key_file_inside_a_work_tree_refused(no_key_env, outside):
    tree = outside / "project"
    (tree / ".git").mkdir(parents=True)
    (tree / "config").mkdir()
    f = tree / "config" / "srim.key"
    f.write_text(GOOD_KEY, encoding="utf-8")
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(UnsafeKeyError, match="inside the git work tree"):
        pseudonyms.load_key(required=True)


def test_key_file_reached_through_a_symlink_into_a_work_tree_refused(no_key_env, outside):
    tree = outside / "project"
    (tree / ".git").mkdir(parents=True)
    real = tree / "srim.key"
    real.write_text(GOOD_KEY, encoding="utf-8")
    link = outside / "link.key"
    link.symlink_to(real)
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(link))
    with pytest.raises(UnsafeKeyError):
        pseudonyms.load_key(required=True)


def test_worktree_git_file_counts(no_key_env, outside):
    tree = outside / "wt"
    tree.mkdir()
    (tree / ".git").write_text("gitdir: /elsewhere\n", encoding="utf-8")  # a linked worktree
    f = tree / "srim.key"
    f.write_text(GOOD_KEY, encoding="utf-8")
    no_key_env.setenv(pseudonyms.KEY_FILE_ENV_VAR, str(f))
    with pytest.raises(UnsafeKeyError):
        pseudonyms.load_key(required=True)


# --------------------------------------------------------------------------------------
# Pseudonymisation
# --------------------------------------------------------------------------------------

KEY = b"0123456789abcdef-test-key"


def test_pseudonymise_format_and_stability():
    pid = pseudonyms.pseudonymise("Jane Smith", KEY)
    assert re.fullmatch(r"P-[0-9A-F]{8}", pid)
    assert pseudonyms.pseudonymise(" jane   SMITH ", KEY) == pid
    assert pseudonyms.pseudonymise("Jane Smith", KEY, prefix="F") == "F" + pid[1:]
    assert pseudonyms.pseudonymise("Jane Smith", KEY + b"!") != pid
    assert pseudonyms.pseudonymise("Jane Smyth", KEY) != pid
    assert len(pseudonyms.pseudonymise("x", KEY, length=12)) == 2 + 12
    assert pseudonyms.pseudonymise("Zoe\u0308", KEY) == pseudonyms.pseudonymise("Zoë", KEY)  # NFC


def test_pseudonymise_refuses_weak_keys_and_bad_lengths():
    with pytest.raises(UnsafeKeyError):
        pseudonyms.pseudonymise("x", b"short")
    with pytest.raises(UnsafeKeyError):
        pseudonyms.pseudonymise("x", "a string key of enough length")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pseudonyms.pseudonymise("x", KEY, length=4)


def test_pseudonymise_column():
    df = pd.DataFrame({"who": ["Jane Smith", "jane smith", None, "Bob"], "v": [1, 2, 3, 4]})
    out = pseudonyms.pseudonymise_column(df, "who", KEY, prefix="M")
    assert (
        out["who"].iloc[0] == out["who"].iloc[1] == pseudonyms.pseudonymise("Jane Smith", KEY, "M")
    )
    assert pd.isna(out["who"].iloc[2])
    assert df["who"].iloc[0] == "Jane Smith"  # copy, not in place
    with pytest.raises(ValueError, match="no column"):
        pseudonyms.pseudonymise_column(df, "nope", KEY)


def test_pseudonymise_column_detects_collisions(monkeypatch):
    monkeypatch.setattr(pseudonyms, "pseudonymise", lambda *a, **k: "P-00000000")
    df = pd.DataFrame({"who": ["a", "b"]})
    with pytest.raises(ValueError, match="same id"):
        pseudonyms.pseudonymise_column(df, "who", KEY)


# --------------------------------------------------------------------------------------
# Pseudonymisation
# --------------------------------------------------------------------------------------

PROPERTY_KEY = b"property-test-key-0123456789"


@FAST
@given(st.text(min_size=1, max_size=30), st.sampled_from(["P", "F", "SITE"]))
def test_pseudonyms_are_stable_and_well_formed(value, prefix):
    pid = pseudonyms.pseudonymise(value, PROPERTY_KEY, prefix)
    assert re.fullmatch(rf"{prefix}-[0-9A-F]{{8}}", pid)
    assert pseudonyms.pseudonymise(value, PROPERTY_KEY, prefix) == pid
    assert pseudonyms.pseudonymise(
        f"  {value.upper()} ", PROPERTY_KEY, prefix
    ) == pseudonyms.pseudonymise(value.upper(), PROPERTY_KEY, prefix)
