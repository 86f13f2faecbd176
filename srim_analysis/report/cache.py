"""Results a report computes once and reuses: the site-independent result cache.

A report runs each notebook once for the whole study and once per site. Some of what a
per-site run needs does not depend on its site (a model fitted on the whole study, a
whole-study table): every run would compute it again. :meth:`ResultCache.get` computes
such a result once and keeps it beside the outputs, in ``reports/.srim-cache/``; every
later run that asks for it with the same key reads it back instead.

The key of an entry is everything the result depends on: its name, the parameters given
(site, thresholds, choices: whatever the computation reads), the study's data fingerprint
and the tables loaded, and the library (its version and the fingerprint of its source).
A changed input or parameter therefore misses, and computes a new entry; the others stay
valid. Entries are pickles of analysis results (tables, dataclasses), each holding its full
key, which is checked on reading; an unreadable or mismatched entry is computed again.

Parallel runs are safe: the first run to need an entry takes a lock on it (``fcntl``) and
computes it, others wait for it and read it (a lock left by a killed run is released by the
operating system); the entry is written to a temporary file and renamed into place, so a
reader never sees half an entry and two writers leave one valid entry.

The cache holds the validated study and analysis results before suppression: it lives
under ``reports/`` beside the outputs, in a hidden folder that the disclosure audit, the
index and the published tables never read. Do not share it; deleting it (:func:`clear`)
is always safe. ``cache = false`` under ``[run]`` in ``srim.toml`` (handed by ``srim run``
to its kernels as ``SRIM_CACHE=0``) turns the cache off: every result is computed where it
is needed.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     cache = ResultCache(Path(tmp), data="made-up-fingerprint")
...     first = cache.get("squares", {"n": 4}, lambda: [i * i for i in range(4)])
...     again = cache.get("squares", {"n": 4}, lambda: "not computed again")
>>> first, again
([0, 1, 4, 9], [0, 1, 4, 9])
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from srim_analysis import __version__, atomic
from srim_analysis.layout import RunLayout
from srim_analysis.report.figures import project_settings

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report
    from srim_analysis.study.loading import Study

T = TypeVar("T")

#: The folder of the cache, inside a report's ``reports/`` folder.
CACHE_FOLDER = ".srim-cache"
#: The environment variable that turns the cache off (``0``, ``false`` or ``no``).
ENV_VAR = "SRIM_CACHE"
#: Changes when the entry format changes (older entries are then ignored).
CACHE_FORMAT = 1
#: Seconds a run waits for another run computing the same entry, before computing it too.
WAIT_S = 600.0


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether results are cached: ``SRIM_CACHE`` as ``srim run`` sets it, else srim.toml.

    A notebook run by hand reads ``cache`` under ``[run]`` of the project's ``srim.toml``
    (default true).
    """
    value = (os.environ if environ is None else environ).get(ENV_VAR)
    if value is None:
        return project_settings("run").get("cache", True) is not False
    return value.strip().lower() not in ("0", "false", "no", "off")


def cache_dir(reports_dir: str | Path) -> Path:
    """Return the cache folder of the report whose (final or staged) reports folder is given.

    A run writes into a staging folder until it succeeds; its cache is the final one, shared
    with every other run of the report.

    >>> cache_dir("/p/reports/.staging/r1/reports").as_posix()
    '/p/reports/.srim-cache'
    """
    return RunLayout.final(reports_dir) / CACHE_FOLDER


@functools.cache
def library_fingerprint() -> str:
    """Return the library's version and a fingerprint of its source (a change misses)."""
    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def entry_key(name: str, parameters: Mapping[str, Any], data: str) -> str:
    """Return the full key of an entry, as text: name, parameters, data, library, format."""
    return json.dumps(
        {
            "format": CACHE_FORMAT,
            "name": name,
            "parameters": {str(k): parameters[k] for k in parameters},
            "data": data,
            "library": library_fingerprint(),
        },
        sort_keys=True,
        default=repr,
    )


@dataclass(frozen=True)
class ResultCache:
    """The result cache of one report in ``folder``, for the study of fingerprint ``data``.

    ``folder`` None (or the cache turned off) computes every result where it is asked for.
    """

    folder: Path | None
    data: str

    @classmethod
    def for_study(cls, study: Study, reports_dir: str | Path) -> ResultCache:
        """Return the cache of a report on ``study`` writing to ``reports_dir``.

        The data part of the key is the study's fingerprint and the tables it loaded (a
        result may read an optional table); the cache is off when the environment says so.
        """
        data = f"{study.fingerprint}:{','.join(sorted(study.tables))}"
        return cls(cache_dir(reports_dir) if enabled() else None, data)

    def path(self, name: str, parameters: Mapping[str, Any]) -> Path:
        """Return the file of an entry (its name, and a hash of its full key)."""
        if self.folder is None:
            raise ValueError("this cache is turned off: it has no files")
        digest = hashlib.sha256(entry_key(name, parameters, self.data).encode()).hexdigest()
        return self.folder / f"{_safe(name)}-{digest[:24]}.pkl"

    def get(self, name: str, parameters: Mapping[str, Any], compute: Callable[[], T]) -> T:
        """Return the result named ``name`` for ``parameters``: read back, or computed once.

        ``parameters`` must hold everything ``compute`` reads besides the study's data (the
        site, thresholds, choices), as JSON-ready values; ``compute`` takes no argument.
        The value comes back as computed (a pickle round trip: equal tables, equal floats).
        """
        if self.folder is None:
            return compute()
        key = entry_key(name, parameters, self.data)
        path = self.path(name, parameters)
        found = _read(path, key)
        if found is not None:
            return found[0]
        with _locked(path.with_suffix(".lock")):
            found = _read(path, key)  # another run may have written it while we waited
            if found is not None:
                return found[0]
            value = compute()
            _write(path, key, value)
        return value


def for_report(report: Report) -> ResultCache:
    """Return the result cache of the report a notebook run publishes to.

    A section uses it for a result it would otherwise compute in every run::

        grid = cache.for_report(report).get(
            "qca_sensitivity", {"settings": repr(settings)}, lambda: run.sensitivity()
        )
    """
    return ResultCache.for_study(report.study, report.reports_dir)


#: The file in the cache folder that says which data and library its entries were made for.
STAMP_FILE = "stamp.json"


def keep_current(reports_dir: str | Path, data: str) -> int:
    """Empty the report's cache if it was filled for other data or another library; return
    the number of entries deleted.

    An entry made for other data or by another version of the library can never be read
    again (its key differs), and an entry of the validated study is as large as the data:
    ``srim run`` calls this at the start of every run, so the cache never grows past one
    study's results. ``data`` is the study's fingerprint.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = keep_current(tmp, "old-data")  # a new cache: stamped
    ...     _ = ResultCache(cache_dir(tmp), "old-data").get("n", {}, lambda: 1)
    ...     kept, emptied = keep_current(tmp, "old-data"), keep_current(tmp, "new-data")
    >>> first, kept, emptied
    (0, 0, 1)
    """
    folder = cache_dir(reports_dir)
    stamp = {"format": CACHE_FORMAT, "data": data, "library": library_fingerprint()}
    path = folder / STAMP_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = None  # no stamp (a new cache, or entries of unknown making): start afresh
    if stored == stamp:
        return 0
    stale = len(list(folder.glob("*.pkl")))
    clear(reports_dir)
    atomic.write_text(path, json.dumps(stamp, sort_keys=True))
    return stale


def clear(reports_dir: str | Path) -> bool:
    """Delete the cache of the report writing to ``reports_dir``; return True if it existed."""
    folder = cache_dir(reports_dir)
    existed = folder.is_dir()
    shutil.rmtree(folder, ignore_errors=True)
    return existed


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60] or "entry"


def _read(path: Path, key: str) -> tuple[Any] | None:
    """Return (value,) from the entry at ``path`` if it holds ``key``; None otherwise."""
    try:
        with path.open("rb") as fh:
            stored = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # unreadable (another library's pickle, a damaged file): compute again
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return (stored["value"],)


def _write(path: Path, key: str, value: object) -> None:
    """Write an entry atomically: a reader sees the old file, the new one or none."""
    data = pickle.dumps({"key": key, "value": value}, protocol=pickle.HIGHEST_PROTOCOL)
    atomic.write_bytes(path, data)


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``lock`` while the block runs; yield True if it was taken.

    Waits at most :data:`WAIT_S` for another holder (then goes on without the lock: the
    entry is still written atomically). The lock file stays; the lock ends with the
    process, so a killed run never blocks the next one.
    """
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        deadline = time.monotonic() + WAIT_S
        taken = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
        try:
            yield taken
        finally:
            if taken:
                fcntl.flock(fh, fcntl.LOCK_UN)
