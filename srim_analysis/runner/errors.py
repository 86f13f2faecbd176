"""How a run says no: the error that stops a run before it starts, and errors told in one line."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class RunError(Exception):
    """Raised when a run cannot start (unknown names, bad data, unsafe folder); says why."""


def one_line(text: str, limit: int = 240) -> str:
    """Return the first non-blank line of ``text`` (colours removed), cut to ``limit``."""
    text = _ANSI.sub("", text)
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
