"""Charts of the case-file audit: drawn from published tables, hidden cells left out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from srim_analysis import disclosure
from srim_analysis.analyses import case_audit
from srim_analysis.analyses.comparison import TOTAL
from srim_analysis.charts import case_audit as charts
from srim_analysis.charts import style
from srim_analysis.disclosure import SUPPRESSION_MARK

C = SUPPRESSION_MARK


def _note(fig) -> str:
    """Return the text of the figure's left-out note ("" when it has none)."""
    notes = [t.get_text() for t in fig.texts if t.get_gid() == style.LEFT_OUT_GID]
    assert len(notes) <= 1
    return notes[0].replace("\n", " ") if notes else ""


def _points(ax, colour: str | None = None) -> list[tuple[float, float]]:
    """Return the (x, y) of every marker drawn on ``ax`` (optionally of one colour)."""
    return [
        (float(x), float(y))
        for ln in ax.lines
        if ln.get_marker() in {"o", "D"}
        and (colour is None or to_hex(ln.get_color()) == to_hex(colour))
        for x, y in zip(ln.get_xdata(), ln.get_ydata(), strict=True)
        if not np.isnan(x) and not np.isnan(y)
    ]


def _cascade_table() -> pd.DataFrame:
    rows = []
    for kind, values in (
        ("Neglect", [(80.0, 70.0, 88.0), (40.0, 30.0, 50.0)]),
        ("Domestic abuse", [(60.0, 50.0, 70.0), (C, C, C)]),
        (TOTAL, [(75.0, 68.0, 81.0), (35.0, 28.0, 42.0)]),
    ):
        for ind, (pct, low, high) in zip(("first", "last"), values, strict=True):
            rows.append(
                {
                    "site": TOTAL,
                    "case_type": kind,
                    "indicator": ind,
                    "pct_yes": pct,
                    "pct_low": low,
                    "pct_high": high,
                }
            )
    rows.append({**rows[0], "site": "Other site", "pct_yes": 11.0})  # another site: not drawn
    return pd.DataFrame(rows)


def test_cascade_chart_draws_shown_values_of_one_site_and_notes_the_hidden():
    fig = charts.cascade_chart(_cascade_table(), ["first", "last"], site=TOTAL)
    ax = fig.axes[0]
    xs = sorted(x for x, _ in _points(ax))
    assert xs == [35.0, 40.0, 60.0, 75.0, 80.0]  # not the hidden one, not the other site's 11
    everyone = [ln for ln in ax.lines if ln.get_marker() == "D"]
    assert len(everyone) == 1 and sorted(everyone[0].get_xdata()) == [35.0, 75.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Neglect",
        "Domestic abuse",
        "All case types",
    ]
    assert _note(fig) == "Not shown, as the table hides them (c): 1 value."


def test_run_chart_marks_shifts_draws_the_median_and_leaves_out_hidden_points():
    quarters = [f"2030 Q{q}" for q in (1, 2, 3, 4)] + [f"2031 Q{q}" for q in (1, 2, 3, 4)]
    pct = [10.0, C, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    table = pd.DataFrame(
        {
            "site": "Alpha",
            "quarter": [*quarters, TOTAL],
            "indicator": "step",
            "pct_yes": [*pct, 50.0],
        }
    )
    signals = case_audit.run_chart_signals(table, baseline=3)  # shown baseline: 10, 60 -> 35
    fig = charts.run_chart(signals, ["step"], site="Alpha")
    ax = fig.axes[0]
    assert sorted(x for x, _ in _points(ax)) == [0, 2, 3, 4, 5, 6, 7]  # no point at the hidden 1
    shift = _points(ax, style.HIGHLIGHT)
    assert sorted(x for x, _ in shift) == [2, 3, 4, 5, 6, 7]
    medians = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(medians) == 1 and set(medians[0].get_ydata()) == {35.0}
    assert [t.get_text() for t in ax.get_xticklabels()] == [q.replace(" ", "\n") for q in quarters]
    assert _note(fig) == "Not shown, as the table hides them (c): 1 quarter value."


def test_agreement_chart_highlights_poor_kappa_and_leaves_out_hidden_ones():
    table = pd.DataFrame(
        {
            "indicator": ["good", "poor", "hidden"],
            "kappa": [0.85, 0.45, C],
            "kappa_low": [0.75, 0.30, C],
            "kappa_high": [0.95, 0.60, C],
        }
    )
    fig = charts.agreement_chart(table)
    ax = fig.axes[0]
    assert sorted(x for x, _ in _points(ax)) == [0.45, 0.85]
    assert _points(ax, style.HIGHLIGHT) == [(0.45, 1.0)]
    threshold = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(threshold) == 1 and set(threshold[0].get_xdata()) == {case_audit.POOR_KAPPA}
    assert _note(fig) == "Not shown, as the table hides them (c): 1 indicator."


def test_cascade_chart_from_a_table_the_disclosure_module_published():
    """Small case types hidden by the suppression engine are not drawn."""
    audit = pd.DataFrame(
        {
            "case_id": [f"K{i}" for i in range(43)],
            "site_id": "A1",
            "audit_date": "2030-01-01",
            "case_type": ["neglect"] * 40 + ["other"] * 3,
            "step": pd.array([1] * 30 + [0] * 10 + [1, 1, 0], dtype=object),
        }
    )
    sites = pd.DataFrame({"site_id": ["A1"], "display_name": ["Alpha"]})
    table = case_audit.cascade(
        SimpleNamespace(tables={"sites": sites, "case_audit": audit}), ["step"]
    )
    published = disclosure.publishable(
        table, disclosure.DEFAULT_MIN_CELL, depends=case_audit.PERCENT_DEPENDS
    )
    other = published[(published["site"] == TOTAL) & (published["case_type"] == "Other")]
    assert disclosure.is_suppressed(other["pct_yes"].iloc[0])
    fig = charts.cascade_chart(published, ["step"], site=TOTAL)
    drawn = [round(x, 1) for x, _ in _points(fig.axes[0])]
    # Other (2 of 3) is hidden, and Neglect with it (All minus Neglect would give it away)
    assert drawn == [round(100 * 32 / 43, 1)]
    assert _note(fig) == "Not shown, as the table hides them (c): 2 values."


def test_a_site_run_chart_draws_the_all_site_series_behind_as_a_line_only():
    table = pd.DataFrame(
        {
            "site": ["Alpha", "Alpha", TOTAL, TOTAL, TOTAL],
            "quarter": ["2030 Q1", "2030 Q3", "2030 Q1", "2030 Q2", "2030 Q3"],
            "indicator": "step",
            "pct_yes": [20.0, C, 40.0, 45.0, 50.0],
        }
    )
    fig = charts.run_chart(case_audit.run_chart_signals(table), ["step"], site="Alpha")
    ax = fig.axes[0]
    (reference,) = [ln for ln in ax.lines if to_hex(ln.get_color()) == to_hex(style.BACKGROUND)]
    # every quarter of the study is on the axis, even one without the site's cases
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2030\nQ1", "2030\nQ2", "2030\nQ3"]
    assert list(reference.get_ydata()) == [40.0, 45.0, 50.0]
    assert reference.get_marker() in {"None", ""}
    assert _points(ax) == [(0.0, 20.0)]
    assert "pale line: all sites" in fig._suptitle.get_text()
