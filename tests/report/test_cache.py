"""The site-independent result cache: computed once, keyed exactly, safe under parallel runs."""

from __future__ import annotations

import multiprocessing
import pickle
import time
from pathlib import Path

import pandas as pd
import pytest

from srim_analysis import paths
from srim_analysis.report import cache
from srim_analysis.report.cache import ResultCache


class Counter:
    """A computation that counts its calls and returns a table."""

    def __init__(self, value: int = 1) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> pd.DataFrame:
        self.calls += 1
        return pd.DataFrame({"site": ["a", "b"], "x": [self.value / 3, 2.0]})


def test_a_result_is_computed_once_and_read_back_equal(tmp_path):
    compute = Counter()
    first = ResultCache(tmp_path, "fp1").get("table", {"site": "all"}, compute)
    # another run of the report: a new cache object on the same folder
    again = ResultCache(tmp_path, "fp1").get("table", {"site": "all"}, compute)
    assert compute.calls == 1
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert first["x"][0] == again["x"][0] == 1 / 3  # floats come back bit for bit
    (entry,) = tmp_path.glob("table-*.pkl")
    assert pickle.loads(entry.read_bytes())["key"] == cache.entry_key(
        "table", {"site": "all"}, "fp1"
    )


def test_a_changed_input_or_parameter_invalidates_exactly_its_entries(tmp_path, monkeypatch):
    computes = {k: Counter(i) for i, k in enumerate(["a", "b", "other-data", "other-lib"])}
    c = ResultCache(tmp_path, "fp1")
    c.get("model", {"site": "S1", "cut": 0.8}, computes["a"])
    c.get("model", {"site": "S1", "cut": 0.9}, computes["b"])  # a parameter changed: computed
    assert [computes["a"].calls, computes["b"].calls] == [1, 1]
    # the first entry is still valid, untouched by the second
    c.get("model", {"site": "S1", "cut": 0.8}, computes["a"])
    c.get("model", {"cut": 0.8, "site": "S1"}, computes["a"])  # parameter order does not matter
    assert computes["a"].calls == 1
    # changed data (fingerprint): computed again, and the old data's entry stays valid
    ResultCache(tmp_path, "fp2").get("model", {"site": "S1", "cut": 0.8}, computes["other-data"])
    assert computes["other-data"].calls == 1
    c.get("model", {"site": "S1", "cut": 0.8}, computes["a"])
    assert computes["a"].calls == 1
    # a changed library (version or source): every entry misses
    monkeypatch.setattr(cache, "library_fingerprint", lambda: "9.9.9+changed")
    c.get("model", {"site": "S1", "cut": 0.8}, computes["other-lib"])
    assert computes["other-lib"].calls == 1
    assert len(list(tmp_path.glob("model-*.pkl"))) == 4


def test_the_key_holds_version_and_source_and_the_tables_loaded(study, tmp_path):
    assert cache.library_fingerprint().startswith(cache.__version__ + "+")
    c = ResultCache.for_study(study, tmp_path / "reports")
    assert c.folder == tmp_path / "reports" / cache.CACHE_FOLDER
    assert c.data.startswith(study.fingerprint + ":") and "sites" in c.data.split(":")[1]


def test_a_staged_run_uses_the_final_cache(tmp_path):
    staged = tmp_path / "reports" / ".staging" / "run-1" / "reports"
    assert cache.cache_dir(staged) == tmp_path / "reports" / cache.CACHE_FOLDER


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch, study):
    monkeypatch.setenv(cache.ENV_VAR, "0")
    assert not cache.enabled()
    c = ResultCache.for_study(study, tmp_path / "reports")
    compute = Counter()
    c.get("t", {}, compute)
    c.get("t", {}, compute)
    assert compute.calls == 2 and not (tmp_path / "reports" / cache.CACHE_FOLDER).exists()
    assert cache.enabled({cache.ENV_VAR: "1"}) and cache.enabled({})


def test_a_damaged_or_foreign_entry_is_computed_again(tmp_path):
    c = ResultCache(tmp_path, "fp")
    path = c.path("t", {"a": 1})
    path.write_bytes(b"not a pickle")
    compute = Counter()
    c.get("t", {"a": 1}, compute)
    # an entry whose stored key differs (a hash collision, a copied file) is not trusted
    path.write_bytes(pickle.dumps({"key": "something else", "value": "wrong"}))
    assert isinstance(c.get("t", {"a": 1}, compute), pd.DataFrame)
    assert compute.calls == 2
    assert cache.clear(tmp_path / "x" / "reports") is False


def _fixed_library() -> str:
    return "test-library"


def _slow_writer(args: tuple[str, str, float, str]) -> str:
    """Compute one entry slowly (in another process); log each computation; return the value."""
    folder, log, wait_s, value = args
    cache.WAIT_S = wait_s
    cache.library_fingerprint = _fixed_library  # the tree may change under a long test run

    def compute() -> str:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("computed\n")
        time.sleep(0.5)
        return value

    return ResultCache(Path(folder), "fp").get("shared", {"site": "all"}, compute)


@pytest.mark.parametrize("wait_s", [60.0, 0.0], ids=["locked", "no-lock"])
def test_two_processes_on_one_entry_leave_one_valid_entry(tmp_path, wait_s, monkeypatch):
    monkeypatch.setattr(cache, "library_fingerprint", _fixed_library)
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("forkserver")
    args = [(str(tmp_path / "c"), str(log), wait_s, v) for v in ("x" * 10_000, "x" * 10_000)]
    with ctx.Pool(2) as pool:
        results = pool.map(_slow_writer, args)
    assert results == ["x" * 10_000] * 2
    computed = log.read_text().count("computed")
    # with the lock the second process waits and reads; without it (no wait) both compute
    # and both write, one rename winning: either way one valid entry, no temporary file left
    assert computed == (1 if wait_s else 2)
    (entry,) = (tmp_path / "c").glob("shared-*.pkl")
    assert not list((tmp_path / "c").glob(".*.tmp"))
    compute = Counter()
    assert ResultCache(tmp_path / "c", "fp").get("shared", {"site": "all"}, compute) == "x" * 10_000
    assert compute.calls == 0 and entry.exists()


def test_a_notebook_run_by_hand_reads_the_setting_of_the_project_file(tmp_path, monkeypatch):
    file = tmp_path / "srim.toml"
    file.write_text("[run]\ncache = false\n")
    monkeypatch.setattr(paths, "CONFIG_FILE", file)
    assert not cache.enabled({})
    file.write_text("[run]\njobs = 1\n")
    assert cache.enabled({})


def test_a_run_keeps_the_cache_only_for_its_data_and_library(tmp_path, monkeypatch):
    """Entries of other data or another library are deleted at the start of a run."""
    reports = tmp_path / "reports"
    assert cache.keep_current(reports, "data-a") == 0  # a new cache: stamped, nothing deleted
    a = ResultCache(cache.cache_dir(reports), "data-a")
    a.get("one", {"n": 1}, lambda: 1)
    a.get("two", {"n": 2}, lambda: 2)
    assert cache.keep_current(reports, "data-a") == 0  # same data, same library: kept
    assert len(list(cache.cache_dir(reports).glob("*.pkl"))) == 2
    assert cache.keep_current(reports, "data-b") == 2  # the data changed: emptied
    assert not list(cache.cache_dir(reports).glob("*.pkl"))
    ResultCache(cache.cache_dir(reports), "data-b").get("one", {"n": 1}, lambda: 1)
    monkeypatch.setattr(cache, "library_fingerprint", lambda: "another-version")
    assert cache.keep_current(reports, "data-b") == 1  # the library changed: emptied
    # a damaged stamp is a cache of unknown making: emptied too
    ResultCache(cache.cache_dir(reports), "data-b").get("one", {"n": 1}, lambda: 1)
    (cache.cache_dir(reports) / cache.STAMP_FILE).write_text("{", encoding="utf-8")
    assert cache.keep_current(reports, "data-b") == 1
