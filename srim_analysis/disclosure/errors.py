"""The refusals and warnings of disclosure control, shared by its modules.

Every refusal is a :class:`DisclosureError`: :class:`MissingKeyError` and
:class:`UnsafeKeyError` come from the pseudonymisation key (:mod:`.pseudonyms`),
:class:`UnsafeOutputError` from the output-folder guard (:mod:`.guards`).
:class:`DisclosureWarning` says that a published table may still disclose (:mod:`.suppression`).
"""

from __future__ import annotations

__all__ = [
    "DisclosureError",
    "DisclosureWarning",
    "MissingKeyError",
    "UnsafeKeyError",
    "UnsafeOutputError",
]


class DisclosureError(Exception):
    """Base class for refusals raised by disclosure control."""


class MissingKeyError(DisclosureError):
    """A real-data run needs a pseudonymisation key and none was configured."""


class UnsafeKeyError(DisclosureError):
    """The pseudonymisation key is configured unsafely (inside a git work tree, too short)."""


class UnsafeOutputError(DisclosureError):
    """Outputs built from real data would be written where git could pick them up."""


class DisclosureWarning(UserWarning):
    """Something published may still disclose; read the message and act on it."""
