"""Pseudonymisation with a keyed hash whose key never lives in the repository.

:func:`load_key` reads the key from the environment (``SRIM_PSEUDONYM_KEY``, or the file
named by ``SRIM_PSEUDONYM_KEY_FILE``, which must lie outside any git work tree);
:func:`pseudonymise` and :func:`pseudonymise_column` turn values into stable ids under it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path

import pandas as pd

from srim_analysis.disclosure.errors import MissingKeyError, UnsafeKeyError
from srim_analysis.disclosure.guards import git_work_tree_root

__all__ = [
    "KEY_ENV_VAR",
    "KEY_FILE_ENV_VAR",
    "MIN_KEY_BYTES",
    "load_key",
    "pseudonymise",
    "pseudonymise_column",
]

KEY_ENV_VAR = "SRIM_PSEUDONYM_KEY"
"""Environment variable that may hold the pseudonymisation key itself."""

KEY_FILE_ENV_VAR = "SRIM_PSEUDONYM_KEY_FILE"
"""Environment variable that may name a file, outside any repository, holding the key."""

MIN_KEY_BYTES = 16
"""Shortest pseudonymisation key accepted (16 bytes = 128 bits)."""


def load_key(required: bool) -> bytes | None:
    """Return the pseudonymisation key from the environment, or None if not set and not required.

    The key comes from ``SRIM_PSEUDONYM_KEY`` (its UTF-8 bytes) or from the file named by
    ``SRIM_PSEUDONYM_KEY_FILE`` (its bytes, trailing whitespace removed) — never from code.
    Raises :class:`MissingKeyError` if ``required`` and no key is set, and
    :class:`UnsafeKeyError` if both are set, the key file lies inside a git work tree, or the
    key is shorter than 16 bytes.
    """
    env_key = os.environ.get(KEY_ENV_VAR, "")
    key_file = os.environ.get(KEY_FILE_ENV_VAR, "")
    if env_key and key_file:
        raise UnsafeKeyError(
            f"Both {KEY_ENV_VAR} and {KEY_FILE_ENV_VAR} are set. Set only one, so every run "
            "uses the same key."
        )
    key: bytes | None = None
    if env_key:
        key = env_key.strip().encode("utf-8")
    elif key_file:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise MissingKeyError(f"{KEY_FILE_ENV_VAR} points to {path}, which is not a file.")
        for candidate in {path.absolute(), path.resolve()}:
            root = git_work_tree_root(candidate)
            if root is not None:
                raise UnsafeKeyError(
                    f"The pseudonymisation key file {path} is inside the git work tree {root}. "
                    "Move it outside any repository (e.g. ~/.config/srim/pseudonym.key)."
                )
        key = path.read_bytes().rstrip()
    if not key:
        if required:
            raise MissingKeyError(
                "This run uses real data and needs a pseudonymisation key, but none is set. "
                f"Set {KEY_FILE_ENV_VAR} to a key file kept outside the repository (or "
                f"{KEY_ENV_VAR} to the key itself). See docs/disclosure-control.md."
            )
        return None
    if len(key) < MIN_KEY_BYTES:
        raise UnsafeKeyError(
            f"The pseudonymisation key is {len(key)} bytes; use at least {MIN_KEY_BYTES} "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    return key


def _normalise_id(value: object) -> str:
    return " ".join(unicodedata.normalize("NFC", str(value)).split()).casefold()


def pseudonymise(value: object, key: bytes, prefix: str = "P", length: int = 8) -> str:
    """Return a stable pseudonymous id for ``value``: HMAC-SHA256 under ``key``, truncated.

    The value is normalised first (Unicode NFC, whitespace collapsed, case folded), so
    'Jane  Smith' and 'jane smith' get the same id.

    >>> pseudonymise("Jane Smith", b"an example key, not a real one!")
    'P-7BF3C062'
    >>> pseudonymise("jane  smith ", b"an example key, not a real one!", prefix="F")
    'F-7BF3C062'
    """
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
        raise UnsafeKeyError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes")
    if not 6 <= length <= 64:
        raise ValueError("length must be between 6 and 64 hex digits")
    digest = hmac.new(bytes(key), _normalise_id(value).encode("utf-8"), hashlib.sha256)
    return f"{prefix}-{digest.hexdigest()[:length].upper()}"


def pseudonymise_column(
    df: pd.DataFrame, column: str, key: bytes, prefix: str = "P", length: int = 8
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``column`` replaced by pseudonymous ids (missing stay missing).

    Raises ValueError if two different values would get the same id (use a longer ``length``).
    """
    if column not in df.columns:
        raise ValueError(f"no column {column!r}")
    out = df.copy()
    mapping: dict[str, str] = {}
    owner: dict[str, str] = {}
    for v in df[column].dropna().unique():
        norm = _normalise_id(v)
        pid = pseudonymise(v, key, prefix, length)
        if owner.setdefault(pid, norm) != norm:
            raise ValueError(f"two values of {column!r} map to the same id; use a larger length")
        mapping[v] = pid
    out[column] = df[column].map(lambda v: mapping.get(v, v) if not pd.isna(v) else v)
    return out
