"""The check every section's test makes: each number of its sentences is a published cell."""

from __future__ import annotations

import re
from collections.abc import Iterable

from srim_analysis import disclosure
from srim_analysis.report import publishing

#: A number in a sentence (with its percent sign), not part of a word or an id.
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)%?")


def numbers_not_published(section: publishing.Section, allowed: Iterable[float] = ()) -> list[str]:
    """Return the numbers in a section's sentences that no shown cell of its tables holds.

    Code and paths (in backticks) and the labels of the tables' rows (which may hold a
    number: "Rule 3", "2024 Q3") are left out first; ``allowed`` are numbers of the method
    (thresholds, min_cell), not of the data.
    """
    text = re.sub(r"`[^`]*`", "", section.text())
    cells = [v for t in section.tables.values() for v in t.to_numpy().ravel().tolist()]
    labels = sorted({str(v) for v in cells if isinstance(v, str)}, key=len, reverse=True)
    for label in labels:
        if len(label) > 2 and not NUMBER.fullmatch(label):
            text = text.replace(label, " ")
    values = {float(a) for a in allowed}
    for v in cells:
        if disclosure.is_suppressed(v) or isinstance(v, bool):
            continue
        try:
            number = float(v)
        except (TypeError, ValueError):
            continue
        if number == number:  # not a blank (NaN) cell
            values |= {round(number, d) for d in (1, 2, 3)} | {float(round(number))}
    return [m.group(0) for m in NUMBER.finditer(text) if float(m.group(1)) not in values]
