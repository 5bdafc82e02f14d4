"""Where a claim's time goes, and a time budget per claim that spends fewer points where they cost more.

A claim's time is the product of three numbers (:func:`time_spent`):

    seconds = points × replicates per point × seconds per replicate

where replicates per point is the mean over its points (1 for a deterministic point) and seconds
per replicate is the claim's seconds divided by its Monte Carlo replicates. A claim is slow because
it has many points, because its points plan many replicates (a band that is narrow against the
spread), or because one replicate is costly (a replicate that draws B numbers, or trains a network).

A **time budget** (``RunConfig.budget``, ``theorycheck run --budget SECONDS``) bounds the first and
the third: under each reading, once the representative and design points are measured (or, when
there are none, the first space-filling point), their time gives the cost of a point, and the
space-filling and targeted points still planned are thinned by one factor so that the reading's
planned time fits its share of the budget (:meth:`TimeBudget.further`). The representative and
design points are always measured. The interval rule is not touched: each point keeps the sample
size its band needs and the share of α planned for the full design (a Bonferroni split over more
points than are measured is only more cautious), so a budget can turn a verdict inconclusive or miss
a counterexample, never make a wrong verdict likelier. What it left out is stated (:meth:`TimeBudget.note`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from theorems.core.text import duration

if TYPE_CHECKING:
    from theorems.core.results import ClaimResult


@dataclass(frozen=True)
class TimeSpent:
    """A claim's seconds as points × mean replicates per point × seconds per replicate."""

    seconds: float
    points: int
    replicates: int  # Monte Carlo replicates over the claim's points (one per deterministic point)
    looked_twice: int  # points measured a second time, with more replicates

    @property
    def per_point(self) -> float:
        """Mean replicates per point."""
        return self.replicates / self.points if self.points else 0.0

    @property
    def per_replicate(self) -> float | None:
        """Seconds per replicate; None without replicates."""
        return self.seconds / self.replicates if self.replicates else None


def time_spent(claim: ClaimResult) -> TimeSpent:
    """Where the claim's time went, from its result: its points (``coverage.points``, else its evidence)
    and replicates (``samples``: those of every point measured, the shrinking ones included)."""
    points = claim.coverage.points if claim.coverage is not None else len(claim.evidence)
    replicates = claim.samples or sum(point.samples for point in claim.evidence)
    looked_twice = sum(point.looks > 1 for point in claim.evidence)
    return TimeSpent(float(claim.seconds), points, int(replicates), looked_twice)


@dataclass
class TimeBudget:
    """A claim's time budget in seconds, spent reading by reading (None: no budget).

    Each reading gets an equal share of what is left of the claim's budget when it starts. Within
    it, :meth:`further` thins the space-filling and targeted points once the first points have
    measured what a point costs."""

    seconds: float | None
    readings: int = 1
    started: float = field(default_factory=lambda: time.perf_counter())  # looked up when called
    kept: list[int] = field(default_factory=lambda: [0, 0])  # space-filling and targeted points spent ...
    planned: list[int] = field(default_factory=lambda: [0, 0])  # ... of those planned
    per_replicate: float | None = None  # seconds per replicate, as the first points measured it
    _reading_started: float = 0.0
    _share: float = math.inf  # seconds of the current reading
    _readings_started: int = 0

    def start_reading(self) -> None:
        """A reading starts: its share is what the claim has left, over the readings left."""
        self._reading_started = time.perf_counter()
        if self.seconds is not None:
            left = self.seconds - (self._reading_started - self.started)
            self._share = max(0.0, left) / max(1, self.readings - self._readings_started)
        self._readings_started += 1

    def further(self, explore: int, examples: int, *, planned: int, replicates: Sequence[int]) -> tuple[int, int]:
        """The space-filling count (of ``explore``) and targeted examples (of ``examples``) this reading
        spends, after measuring points whose Monte Carlo replicates were ``replicates``.

        ``planned`` is the number of space-filling points ``explore`` yields (with the log-scaled
        ones). With c = elapsed / measured points, the reading's further points plan
        c · (planned + examples) seconds; when that exceeds the time left of its share, both counts
        are scaled by (time left) / (planned time), rounded down."""
        self.planned[0] += explore
        self.planned[1] += examples
        if self.seconds is None or not replicates:
            self.kept[0] += explore
            self.kept[1] += examples
            return explore, examples
        elapsed = time.perf_counter() - self._reading_started
        self.per_replicate = elapsed / max(1, sum(replicates))
        planned_time = elapsed / len(replicates) * (planned + examples)
        left = max(0.0, self._share - elapsed)
        scale = 1.0 if planned_time <= left else left / planned_time
        kept = math.floor(scale * explore), math.floor(scale * examples)
        self.kept[0] += kept[0]
        self.kept[1] += kept[1]
        return kept

    def note(self) -> str:
        """What the budget left out, in a clause; empty when it left nothing out."""
        if self.kept == self.planned:
            return ""
        cost = f", as a replicate cost {duration(self.per_replicate)}" if self.per_replicate is not None else ""
        return (f"time budget {self.seconds:g} s per claim: space-filling design of {self.kept[0]} points instead of "
                f"{self.planned[0]}, {self.kept[1]} targeted examples instead of {self.planned[1]}{cost}")
