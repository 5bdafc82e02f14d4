"""The one verdict rule, and the one Monte Carlo sampler.

Stochastic points (an interval-equivalence rule, as in TensorFlow Probability's statistical
testing and scipy's bootstrap-interval checks):

    band = resolution · scale + atol   (scale = |stated| unless the claim names another)
    CI   = estimate ± z_{1−α/2} · se   (normal interval of a mean of i.i.d. replicates)

    refuted       the whole CI lies outside stated ± band (deviation significant at α *and*
                  larger than the resolution);
    confirmed     the whole CI lies inside stated ± band;
    inconclusive  otherwise: the sample was too small to tell.

If the truth lies inside the band, a refutation needs the CI to miss the truth, which happens
with probability at most α/2: α bounds the false-alarm rate. ``detectable`` is the smallest
relative deviation (in units of scale) that is refuted with 80 % power at this sample size:
resolution + (z_{1−α/2} + z_{0.8}) · se / scale.

A band of 0 (a stated value of 0 with no declared scale or atol) could never confirm anything: it
is a defect of the claim, raised as :class:`~theorems.core.claim.ClaimError`.

Sample sizes are planned: a pilot chunk estimates the replicates' standard deviation s, and the
point then draws n = (s · (z_{1−α/2} + z_margin) / band)² replicates (capped by the profile), so
that a point whose truth is the stated value confirms unless its estimate strays more than
z_margin standard errors. A point whose pilot interval already lies outside the band, at the
pilot look's share of α, is refuted without drawing the rest
(:class:`theorems.core.measurement.SamplePlan`).

Deterministic points compare elementwise with tolerance ``atol + resolution·|stated|``; behaviour
labels compare by equality.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import torch

from theorems.core.claim import ClaimError
from theorems.core.verdict import Verdict

CONFIRMED, REFUTED, CONDITIONAL, INCONCLUSIVE = Verdict
VERDICTS = tuple(Verdict)
POWER = 0.8
REPLANS = 3  # how many times a point's sample size is planned again from its larger sample


@dataclass(frozen=True)
class PointVerdict:
    """One formula judged at one point against one measurement."""

    estimate: Any  # the measured value at the most telling element (number or label)
    stated: Any  # the formula's value there
    ci_low: Any
    ci_high: Any
    verdict: str
    detectable: float | None = None  # smallest relative deviation detectable (stochastic only)
    index: int | None = None  # element of an array measurement that was reported
    margin: float | None = None  # room left inside the tolerance, relative to the scale (< 0: outside)


def z_two_sided(alpha: float) -> float:
    """z_{1−α/2}."""
    return NormalDist().inv_cdf(1 - alpha / 2)


def band_of(stated: float, *, resolution: float, scale: float | None, atol: float) -> tuple[float, float]:
    """(band, scale) of a stochastic point: resolution · scale + atol, scale = |stated| by default."""
    scale = abs(float(stated)) if scale is None else abs(float(scale))
    band = resolution * scale + atol
    if not band > 0:
        raise ClaimError(f"the band around the stated value {stated!r} is {band!r}: a stated value of 0 needs a "
                         "declared scale= (what the resolution is relative to) or atol=")
    return band, (scale if scale > 0 else band)


def judge_stochastic(estimate: float, se: float, stated: float, *, alpha: float, resolution: float,
                     scale: float | None, relation: str, atol: float = 0.0) -> PointVerdict:
    """The interval rule above, for relation "eq", "le" (estimate ≤ stated) or "ge"."""
    if se < 0:  # its interval would be inverted: an exact match refuted
        raise ClaimError(f"a standard error is never negative, got {se}")
    stated = float(stated)
    band, scale = band_of(stated, resolution=resolution, scale=scale, atol=atol)
    z = z_two_sided(alpha)
    low, high = estimate - z * se, estimate + z * se
    if not (math.isfinite(estimate) and math.isfinite(se)):
        return PointVerdict(estimate, stated, low, high, INCONCLUSIVE, None)
    above = low > stated + band  # surely above the band
    below = high < stated - band  # surely below it
    inside_high = high <= stated + band
    inside_low = low >= stated - band
    if relation == "eq":
        refuted, confirmed = above or below, inside_low and inside_high
    elif relation == "le":
        refuted, confirmed = above, inside_high
    elif relation == "ge":
        refuted, confirmed = below, inside_low
    else:
        raise ValueError(f"a stochastic claim compares numbers, not with relation {relation!r}")
    verdict = REFUTED if refuted else CONFIRMED if confirmed else INCONCLUSIVE
    detectable = (band + (z + NormalDist().inv_cdf(POWER)) * se) / scale
    room = {"eq": band - abs(estimate - stated), "le": stated + band - estimate, "ge": estimate - stated + band}
    margin = room[relation] / scale
    return PointVerdict(estimate, stated, low, high, verdict, detectable, margin=margin)


def judge_deterministic(measured: Any, stated: Any, *, relation: str, rtol: float, atol: float) -> PointVerdict:
    """Elementwise comparison; reports the element that fails worst (or is closest to failing),
    relative to the size of the stated value."""
    if relation == "label":
        verdict = CONFIRMED if measured == stated else REFUTED
        return PointVerdict(measured, stated, measured, measured, verdict)
    m = _as_float_array(measured)
    if m.size == 0:  # agreement at no element is no agreement
        raise ClaimError(f"nothing to compare: the measured value is empty (shape {m.shape})")
    s = np.broadcast_to(_as_float_array(stated), m.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        tol = atol + rtol * np.abs(s)
        if relation == "eq":
            slack = tol - np.abs(m - s)
        elif relation == "le":
            slack = s + tol - m
        elif relation == "ge":
            slack = m - (s - tol)
        else:
            raise ValueError(f"unknown relation {relation!r}")
        slack = np.where(np.isnan(slack), -np.inf, slack)  # a NaN measurement satisfies no relation
        # The element reported is the one with the least slack relative to its size: the most
        # binding one, not one where both sides have shrunk to rounding level.
        relative = slack / np.where(tol + np.abs(s) > 0, tol + np.abs(s), 1.0)
        relative = np.where(np.isnan(relative), np.where(slack < 0, -np.inf, np.inf), relative)  # ∞/∞
    worst = int(np.argmin(relative))
    verdict = CONFIRMED if bool(np.all(slack >= 0)) else REFUTED
    est, st = float(m.flat[worst]), float(s.flat[worst])
    return PointVerdict(est, st, est, est, verdict, None, worst if m.ndim else None, margin=float(relative.flat[worst]))


def _as_float_array(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean with its standard error."""

    mean: float
    se: float
    samples: int


class MonteCarlo:
    """Draws replicates in chunks on one device and accumulates moments in float64.

    ``draw(n)`` must return a tensor of ``n`` replicate statistics (any float dtype); the engine
    calls it with chunks sized so that a chunk needs at most ``max_bytes`` given the caller's
    ``bytes_per_replicate``. A pilot of ``pilot`` replicates comes first; ``plan(pilot_estimate)``
    then says how many replicates the point needs in all, clamped to [pilot, cap]. Randomness
    comes from the context's generator, so results depend only on (run seed, measurement, point).
    """

    def __init__(self, *, pilot: int, cap: int, max_bytes: int) -> None:
        if pilot < 2:
            raise ValueError(f"Monte Carlo needs at least 2 samples, got {pilot}")
        self.pilot = pilot
        self.cap = max(cap, pilot)
        self.max_bytes = max_bytes

    def chunk_size(self, bytes_per_replicate: int) -> int:
        return max(1, self.max_bytes // max(1, bytes_per_replicate))

    def mean(self, draw: Callable[[int], torch.Tensor], *, bytes_per_replicate: int,
             plan: Callable[[Estimate], int] | None = None) -> Estimate:
        """The pilot, then (with ``plan``) as many replicates as the point needs. The plan is made
        again from the larger sample up to ``REPLANS`` times: a heavy-tailed statistic's pilot
        underestimates its spread, and the sample size depends only on the spread, never on how
        far the mean lies from the stated value."""
        chunk = self.chunk_size(bytes_per_replicate)
        moments = self._draw(draw, (0, 0.0, 0.0), self.pilot, chunk)
        if plan is not None:
            for _ in range(REPLANS):
                total = min(self.cap, int(plan(_estimate(moments))))
                if total <= moments[0]:
                    break
                moments = self._draw(draw, moments, total - moments[0], chunk)
        return _estimate(moments)

    @staticmethod
    def _draw(draw: Callable[[int], torch.Tensor], moments: tuple[int, float, float], more: int,
              chunk: int) -> tuple[int, float, float]:
        """Add ``more`` replicates to (count, mean, M2) by Chan et al.'s pairwise merge."""
        count, mean, m2 = moments
        target = count + max(0, more)
        while count < target:
            n = min(chunk, target - count)
            values = draw(n).reshape(-1).to(torch.float64)
            if values.numel() != n:
                raise ClaimError(f"draw({n}) returned {values.numel()} values")
            chunk_mean = float(values.mean())
            chunk_m2 = float((values - chunk_mean).square().sum())
            delta = chunk_mean - mean
            total = count + n
            mean += delta * n / total
            m2 += chunk_m2 + delta * delta * count * n / total
            count = total
        return count, mean, m2


def _estimate(moments: tuple[int, float, float]) -> Estimate:
    count, mean, m2 = moments
    return Estimate(mean, math.sqrt(m2 / (count - 1) / count), count)


def planned_samples(estimate: Estimate, *, band: float, alpha: float, z_margin: float) -> int:
    """Replicates needed for se ≤ band / (z_{1−α/2} + z_margin), from a pilot estimate."""
    sd = estimate.se * math.sqrt(estimate.samples)
    if not (math.isfinite(sd) and sd > 0):
        return estimate.samples
    return math.ceil((sd * (z_two_sided(alpha) + z_margin) / band) ** 2)
