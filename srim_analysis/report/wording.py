"""How the report writes numbers in sentences: one place for the wording of counts and decimals.

>>> count_words("c", 5), count_words(12, 5), count_words(None, 5)
('fewer than 5', '12', 'an unknown number of')
>>> decimal(0.4567), decimal("c")
('0.46', 'c')
>>> decimal(-0.001), decimal(-0.004, 2), decimal(-0.0), decimal(-0.006)
('0.00', '0.00', '0.00', '-0.01')
>>> interval(-0.001, 0.25)
'0.00 to 0.25'
"""

from __future__ import annotations

import math

import pandas as pd

from srim_analysis.disclosure import is_suppressed


def count_words(value: object, min_cell: int) -> str:
    """Return a published count as words: the suppression mark reads 'fewer than N'."""
    if is_suppressed(value):
        return f"fewer than {min_cell}"
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "an unknown number of"
    try:
        return str(int(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def decimal(value: object, digits: int = 2) -> str:
    """Return a number with ``digits`` decimals, or the value as text when it is not a number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:.{digits}f}"
    # A value that rounds to zero prints "0.00", never "-0.00".
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def interval(low: object, high: object, digits: int = 2) -> str:
    """Return a 95% interval's bounds as 'low to high', each through :func:`decimal`."""
    return f"{decimal(low, digits)} to {decimal(high, digits)}"
