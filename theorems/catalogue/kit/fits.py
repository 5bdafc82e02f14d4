"""Power-law fits: the exponent b of value ≈ a·size^b, read as the slope of a straight line on log-log axes.

Several claims state an order, O(n^b) or ∝ n^b: each measures the quantity at a sweep of sizes and
compares the fitted exponent with b. One fit serves them all, with or without Monte Carlo standard
errors on the values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def fitted_exponent(sizes: Sequence[float], values: Sequence[float],
                    ses: Sequence[float] | None = None) -> tuple[float, float]:
    """The slope b of log(value) = a + b·log(size) by least squares, and its standard error: (b, se).

    Without ``ses`` (exact values, e.g. operation counts): ordinary least squares, and the se from the
    residuals, √(Σr²/(n − 2) / Σ(x − x̄)²) with x = log size, which is 0 for an exact power law and
    needs n ≥ 3 sizes. With ``ses`` (each value's Monte Carlo standard error): weighted least squares
    with w = 1/var(log value) = (value/se)² (the delta method), whose se, 1/√(Σw(x − x̄_w)²), comes
    from those known variances.
    """
    value = _positive("values", values)
    x, y = np.log(_positive("sizes", sizes)), np.log(value)
    if len(y) != len(x):
        raise ValueError(f"fitted_exponent needs as many values as sizes, got {len(y)} values for {len(x)} sizes")
    least = 3 if ses is None else 2
    if len(x) < least:
        raise ValueError(f"fitted_exponent {'without' if ses is None else 'with'} standard errors needs at least "
                         f"{least} sizes, got {len(x)}")
    if ses is None:
        dx = x - x.mean()
        slope = float(dx @ (y - y.mean()) / (dx @ dx))
        residuals = y - y.mean() - slope * dx
        return slope, math.sqrt(float(residuals @ residuals) / (len(x) - 2) / float(dx @ dx))
    weights = (value / _positive("ses", ses)) ** 2
    dx = x - np.sum(weights * x) / np.sum(weights)
    spread = float(np.sum(weights * dx**2))
    return float(np.sum(weights * dx * y) / spread), 1 / math.sqrt(spread)


def _positive(name: str, numbers: Sequence[float]) -> np.ndarray:
    """``numbers`` as a float64 array, every one > 0 (a logarithm needs it)."""
    array = np.asarray(numbers, dtype=np.float64)
    if not np.all(array > 0):
        raise ValueError(f"fitted_exponent takes logarithms: {name} must be positive, got {array.tolist()}")
    return array


__all__ = ["fitted_exponent"]
