"""How a run says no, and errors told in one line."""

from __future__ import annotations

from srim_analysis.runner.errors import RunError, one_line


def test_one_line_keeps_the_first_line_without_colours():
    assert one_line("\n  \x1b[31mValueError: bad\x1b[0m\nTraceback ...") == "ValueError: bad"
    assert one_line("") == ""


def test_one_line_cuts_long_lines():
    line = one_line("x" * 300, limit=10)
    assert line == "x" * 9 + "…" and len(line) == 10


def test_run_error_is_an_exception_that_says_why():
    assert str(RunError("no such site")) == "no such site"
    assert issubclass(RunError, Exception)
