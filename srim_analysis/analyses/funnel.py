"""Funnel plots' numbers: exact binomial control limits and where each site lies.

A funnel plot (Spiegelhalter 2005, *Statistics in Medicine* 24:1185-1202; the convention
in English public-sector comparisons) puts each site's proportion against its denominator,
with control limits around the all-site value that narrow as the denominator grows. A
site inside the 95% limits is consistent with the all-site value; outside the 99.8%
limits, it is unlikely to differ by chance alone. Sites are labelled, never ranked.

The limits here are **exact binomial** limits (scipy ``binom.ppf``) with Spiegelhalter's
interpolation between the discrete steps (his Appendix A.1.1): for a limit at tail
probability ``q`` and denominator ``n``, ``r = binom.ppf(q, n, p0)`` and the limit is
``(r - a) / n`` with ``a = (F(r) - q) / (F(r) - F(r - 1))``; without interpolation it
is ``r / n``. The all-site value ``p0`` is the pooled proportion (all "yes" over all
recorded cases; :func:`pooled_proportion`).

:func:`funnel_positions` says where each site lies. The plots themselves (and the
companion dot-and-interval chart) are drawn by :mod:`srim_analysis.charts.comparison`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from srim_analysis.analyses.comparison import DECIMALS, PROPORTION_DEPENDS, TOTAL

__all__ = [
    "LEVELS",
    "POSITIONS",
    "POSITION_DEPENDS",
    "funnel_limits",
    "funnel_positions",
    "limit_positions",
    "pooled_proportion",
]

#: Coverage of the two pairs of control limits drawn on every funnel plot.
LEVELS: tuple[float, float] = (0.95, 0.998)
#: The plain-English positions a site can have in a funnel plot, low to high.
POSITIONS: tuple[str, ...] = (
    "below the 99.8% limit",
    "below the 95% limit",
    "within the 95% limits",
    "above the 95% limit",
    "above the 99.8% limit",
)
#: What a funnel-positions table hides with its counts (the position gives away a rough value).
POSITION_DEPENDS: dict[str, tuple[str, ...]] = {**PROPORTION_DEPENDS, "position": ("n_yes", "n")}


def funnel_limits(
    p0: float, n: Any, coverage: float = 0.95, interpolate: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return (lower, upper) exact binomial control limits for proportion ``p0`` at each ``n``.

    >>> low, high = funnel_limits(0.3, [100], interpolate=False)
    >>> float(low[0]), float(high[0])
    (0.21, 0.39)
    """
    n_arr = np.atleast_1d(np.asarray(n, dtype=float))
    if not np.all(n_arr == np.round(n_arr)):
        raise ValueError("funnel_limits needs whole-number denominators n")
    tail = (1 - coverage) / 2
    out = []
    for q in (tail, 1 - tail):
        r = binom.ppf(q, n_arr, p0)
        if interpolate:
            f_r = binom.cdf(r, n_arr, p0)
            f_below = binom.cdf(r - 1, n_arr, p0)
            step = f_r - f_below
            with np.errstate(invalid="ignore", divide="ignore"):
                a = np.where(step > 0, (f_r - q) / np.where(step > 0, step, 1), 0.0)
            r = r - a
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(
                np.where(n_arr > 0, np.clip(r / np.where(n_arr > 0, n_arr, 1), 0, 1), np.nan)
            )
    return out[0], out[1]


def limit_positions(p: Any, n: Any, p0: float) -> list[str]:
    """Return each proportion's position (:data:`POSITIONS`) against exact limits at its own n.

    "nothing recorded" where ``n`` is 0 or the proportion is missing.
    """
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    out = np.full(len(p), "nothing recorded", dtype=object)
    ok = (n > 0) & ~np.isnan(p)
    if ok.any():
        q, m = p[ok], n[ok]
        lo95, hi95 = funnel_limits(p0, m, LEVELS[0])
        lo998, hi998 = funnel_limits(p0, m, LEVELS[1])
        out[ok] = np.select(
            [q > hi998, q > hi95, q < lo998, q < lo95],
            [POSITIONS[4], POSITIONS[3], POSITIONS[0], POSITIONS[1]],
            default=POSITIONS[2],
        )
    return [str(x) for x in out]


def pooled_proportion(rows: pd.DataFrame) -> float:
    """Return all the rows' "yes" over all their recorded cases (NaN when nothing is recorded)."""
    total = rows["n"].sum()
    return float(rows["n_yes"].sum() / total) if total else float("nan")


def funnel_positions(table: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Return a site-indicators table with each site's place in the funnel added.

    ``table`` is a :func:`~srim_analysis.analyses.comparison.site_indicators` table. Adds
    ``all_sites`` (the pooled all-site value) and ``position`` (one of :data:`POSITIONS`,
    against exact binomial limits at the site's own denominator; blank on the "All"
    rows). Publish it with ``depends=POSITION_DEPENDS``.
    """
    rows = table if source is None else table[table["source"] == source]
    rows = rows.copy()
    rows["all_sites"] = np.nan
    rows["position"] = ""
    for _key, group in rows.groupby(["source", "indicator"], sort=False):
        sites = group[group["site"] != TOTAL]
        p0 = pooled_proportion(sites)
        rows.loc[group.index, "all_sites"] = round(p0, DECIMALS)
        n = sites["n"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n > 0, sites["n_yes"].to_numpy(dtype=float) / n, np.nan)
        rows.loc[sites.index, "position"] = limit_positions(p, n, p0)
    return rows.reset_index(drop=True)
