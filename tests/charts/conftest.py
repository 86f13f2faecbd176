"""Shared checks of the chart tests: a figure is legible by construction.

``assert_legible(fig)`` draws the figure on the Agg canvas and fails if two of its texts
overlap or a text leaves the figure (see :func:`srim_analysis.charts.style.text_collisions`
and :func:`~srim_analysis.charts.style.text_outside`). Every chart module's tests call it on
a realistic table; tests of other chart modules import it from here.
"""

from __future__ import annotations

from srim_analysis.charts import style


def assert_legible(fig) -> None:
    """Fail when two texts of ``fig`` overlap or a text lies outside the figure."""
    assert fig is not None
    collisions = style.text_collisions(fig)
    assert not collisions, f"overlapping texts: {collisions[:8]}"
    outside = style.text_outside(fig)
    assert not outside, f"texts outside the figure: {outside[:8]}"
