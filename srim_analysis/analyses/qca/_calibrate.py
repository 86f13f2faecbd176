"""Calibration of raw values into crisp or fuzzy set memberships."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import overload

import numpy as np
import pandas as pd

__all__ = ["calibrate", "calibrate_crisp"]

ArrayLike = pd.Series | np.ndarray | Sequence[float]


def _as_float_array(values: object) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim > 1:
        raise ValueError("values must be one-dimensional")
    return arr


def _wrap(values: object, result: np.ndarray, *, integer: bool = False) -> object:
    if integer and not np.isnan(result).any():
        result = result.astype(int)
    if isinstance(values, pd.Series):
        return pd.Series(result, index=values.index, name=values.name)
    if np.ndim(values) == 0:
        return result[0].item()
    return result


@overload
def calibrate(
    values: pd.Series, exclusion: float, crossover: float, inclusion: float, *, idm: float = ...
) -> pd.Series: ...
@overload
def calibrate(
    values: float, exclusion: float, crossover: float, inclusion: float, *, idm: float = ...
) -> float: ...
@overload
def calibrate(
    values: np.ndarray | Sequence[float],
    exclusion: float,
    crossover: float,
    inclusion: float,
    *,
    idm: float = ...,
) -> np.ndarray: ...
def calibrate(
    values: ArrayLike | float,
    exclusion: float,
    crossover: float,
    inclusion: float,
    *,
    idm: float = 0.95,
) -> pd.Series | np.ndarray | float:
    """Return fuzzy memberships by the direct (logistic) method; a Series keeps its index.

    Follows R ``QCA::calibrate(type = "fuzzy", method = "direct", logistic = TRUE)``: the
    inclusion anchor maps to membership ``idm`` (0.95, log-odds ``log(19)``, about 2.94), the
    crossover to 0.5 and the exclusion anchor to ``1 - idm``; the log-odds are scaled linearly
    and separately on each side of the crossover. ``exclusion > inclusion`` gives a decreasing
    set. As in R, memberships below 0.0001 become 0 and above 0.9999 become 1. Missing values
    stay missing.

    >>> calibrate([0, 10, 20, 25], 20, 50, 80).round(6).tolist()
    [0.007337, 0.019342, 0.05, 0.079168]
    >>> round(calibrate(80, exclusion=80, crossover=50, inclusion=20), 4)
    0.05
    """
    if not 0.5 < idm < 1:
        raise ValueError("idm (inclusion degree of membership) must be in (0.5, 1)")
    if not (min(exclusion, inclusion) < crossover < max(exclusion, inclusion)):
        raise ValueError(
            "the crossover must lie strictly between the exclusion and inclusion anchors"
        )
    x = _as_float_array(values)
    decreasing = exclusion > inclusion
    low, high = (inclusion, exclusion) if decreasing else (exclusion, inclusion)
    odds = math.log(idm / (1 - idm))
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.where(x < crossover, odds / (crossover - low), odds / (high - crossover))
        fs = 1.0 / (1.0 + np.exp(-(x - crossover) * scale))
    if decreasing:
        fs = 1.0 - fs
    fs = np.where(fs < 0.0001, 0.0, np.where(fs > 0.9999, 1.0, fs))
    fs[np.isnan(x)] = np.nan
    return _wrap(values, fs)  # type: ignore[return-value]


def calibrate_crisp(
    values: ArrayLike | float,
    thresholds: float | Sequence[float],
    *,
    increasing: bool = True,
) -> pd.Series | np.ndarray | int:
    """Return crisp set levels: the number of thresholds at or below each value (0, 1, ...).

    One threshold gives a 0/1 set (``value >= threshold`` is 1); several thresholds give
    ordered levels, as R ``QCA::calibrate(type = "crisp")``. ``increasing=False`` reverses
    the levels (e.g. ``STB = 1`` when there were fewer than 10 cabinets). A Series keeps its
    index; missing values stay missing (the result is then float).

    >>> calibrate_crisp([549, 550, 1098], 550).tolist()
    [0, 1, 1]
    >>> calibrate_crisp([4, 10, 25], [10, 20]).tolist()
    [0, 1, 2]
    >>> calibrate_crisp([4, 10], 10, increasing=False).tolist()
    [1, 0]
    """
    ths = np.sort(np.atleast_1d(np.asarray(thresholds, dtype=float)))
    if ths.size == 0 or np.isnan(ths).any():
        raise ValueError("give at least one (non-missing) threshold")
    x = _as_float_array(values)
    levels = np.searchsorted(ths, x, side="right").astype(float)
    if not increasing:
        levels = ths.size - levels
    levels[np.isnan(x)] = np.nan
    return _wrap(values, levels, integer=True)  # type: ignore[return-value]
