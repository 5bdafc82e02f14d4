"""Log-spaced integers: the sizes of a sweep over decades, and the elements of a long run a figure keeps.

A run of T steps plotted on a log axis needs only about as many points per decade at its end as at
its start; keeping ⌊geometric⌋ integers, once each, does that.
"""

from __future__ import annotations

import numpy as np

TRACE_POINTS = 60  # elements a figure keeps of a long run (the checks read every element)


def log_spaced_integers(low: int, high: int, count: int) -> np.ndarray:
    """The distinct integers ⌊g⌋ of ``count`` geometrically spaced g from ``low`` to ``high`` (both kept),
    increasing; fewer than ``count`` where the spacing is below 1."""
    if low < 1:
        raise ValueError(f"log-spaced integers need low >= 1, got low={low}")
    if high < low:
        raise ValueError(f"log-spaced integers need high >= low, got low={low}, high={high}")
    if count < 1:
        raise ValueError(f"log-spaced integers need count >= 1, got count={count}")
    return np.unique(np.geomspace(low, high, count).astype(int))


def log_spaced(n: int, count: int = TRACE_POINTS) -> np.ndarray:
    """About ``count`` distinct log-spaced indices of 0 … n − 1, the first and last included (the
    elements of an n-element run that a figure keeps)."""
    if n < 1:
        raise ValueError(f"log-spaced indices need n >= 1 elements, got n={n}")
    return log_spaced_integers(1, n, count) - 1


__all__ = ["TRACE_POINTS", "log_spaced", "log_spaced_integers"]
