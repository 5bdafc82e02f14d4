"""Measuring: what a run's numbers depend on, and what a claim's measurement function gets.

- :class:`RunConfig`: the run's profile, seed, device, dtype, α and memory cap;
- :class:`Context`: the device, the point's generator and the planned Monte Carlo mean, as a
  claim's ``measure(params, ctx)`` sees them;
- :class:`SamplePlan`: one point's sample plan (its pilot, planned size, looks, replicates used and
  cache entry);
- :func:`point_seed`: every point's random numbers come from a generator seeded by (run seed,
  the claim's key, point), so a claim's result does not depend on which other claims ran, in what
  order, or where its code lives (module, function or file names);
- :class:`MeasurementCache`: measurements shared, within a run, by claims registering the same
  measurement function under the same key (``seed_key``);
- :func:`validate`: what a measurement returned, as a Measurement, or a :class:`ClaimError`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from theorems.core.claim import Claim, ClaimError, Measurement, Params
from theorems.core.profiles import Profile
from theorems.core.results import canonical, plain
from theorems.core.stats import Estimate, MonteCarlo


@dataclass(frozen=True)
class RunConfig:
    """Everything a run's numbers depend on."""

    profile: Profile
    seed: int = 0
    device: torch.device = torch.device("cpu")
    dtype: torch.dtype = torch.float32  # sampling dtype; moments accumulate in float64
    alpha: float = 0.01  # false-alarm budget of each claim
    max_bytes: int = 256 * 2**20  # memory cap of one Monte Carlo chunk
    requested_device: str | None = None  # as the user asked ("auto"): what distributed workers resolve
    pilot_look: bool = True  # refute a point at its pilot look where that already decides it (SamplePlan)
    budget: float | None = None  # seconds per claim: fewer further points where they cost more (core/budget.py)

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {self.max_bytes}")
        if self.budget is not None and not (math.isfinite(self.budget) and self.budget > 0):
            raise ValueError(f"budget must be a positive number of seconds per claim, got {self.budget}")


@dataclass
class Context:
    """What a claim's measurement gets: where to compute, with which randomness, how much."""

    device: torch.device
    dtype: torch.dtype
    generator: torch.Generator
    monte_carlo: MonteCarlo
    plan: Callable[[Mapping[str, Any], Estimate], int] | None = None  # (quantities, pilot) -> replicates needed:
    # the point's SamplePlan.size when the engine measures

    @property
    def samples(self) -> int:
        """The most replicates a point may draw."""
        return self.monte_carlo.cap

    def mean(self, draw: Callable[[int], torch.Tensor], *, bytes_per_replicate: int,
             quantities: Mapping[str, Any] | None = None) -> Measurement:
        """Monte Carlo mean of ``draw``'s replicate statistics, as a Measurement: a pilot, then as
        many replicates as the point needs to resolve the stated formula (within the cap)."""
        quantities = dict(quantities or {})
        plan = functools.partial(self.plan, quantities) if self.plan is not None else None  # pilot -> replicates
        estimate = self.monte_carlo.mean(draw, bytes_per_replicate=bytes_per_replicate, plan=plan)
        return Measurement(estimate.mean, se=estimate.se, samples=estimate.samples, quantities=quantities)


def point_seed(run_seed: int, key: str, reading: str, params: Params) -> int:
    """A 63-bit seed from (run seed, a key, a reading name, a point), independent of everything else."""
    text = json.dumps([run_seed, key, reading, canonical(params)], sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


CacheKey = tuple[Callable[..., Any], str, str]  # (measurement function, claim key, point as JSON)


class MeasurementCache:
    """Measurements of one run, per (measurement function, claim key, point), shared by the claims
    registering that function under that key (:attr:`Claim.key`, i.e. a common ``seed_key``).

    The key is the function object, never its import path: moving or renaming code changes nothing.
    A deterministic measurement is the same whichever claim asks (its generator is seeded by the
    key and the point alone). A Monte Carlo one is not: its sample size is planned for the claim
    that drew it (its formula, band and α), so another claim measures the point again under its own
    plan. Either way a claim's result does not depend on which claims ran before it."""

    def __init__(self) -> None:
        self._store: dict[CacheKey, tuple[str, Measurement]] = {}

    @staticmethod
    def key(claim: Claim, point: Params) -> CacheKey:
        return claim.measure, claim.key, json.dumps(canonical(point), sort_keys=True)

    def get(self, key: CacheKey, claim: Claim) -> Measurement | None:
        owner, measurement = self._store.get(key, (None, None))
        if measurement is None or (measurement.se is not None and owner != claim.id):
            return None
        return measurement

    def put(self, key: CacheKey, claim: Claim, measurement: Measurement) -> None:
        self._store[key] = (claim.id, measurement)


# The looks at a point, each judged at its own share of the point's α (the engine splits it).
PILOT_LOOK, PLANNED_LOOK, SECOND_LOOK = 0, 1, 2
# A point has a pilot look only where its plan asks at least this many times the pilot: where the
# look decides nothing, drawing the pilot again then costs at most a quarter more.
PILOT_LOOK_RATIO = 4


class SamplePlan:
    """One point's sample plan for one claim: how many Monte Carlo replicates its measurement draws,
    look by look, and which measurement the claim is judged on.

    A measurement that draws through :meth:`Context.mean` starts with a pilot of
    ``monte_carlo.pilot`` replicates; ``needed(quantities, pilot)`` (the engine's rule: enough
    replicates to resolve the stated formula's band) then sizes it, within the cap, and
    :meth:`MonteCarlo.mean` sizes it again from its larger sample. The looks, each judged at its
    own share of the point's α:

    - the **pilot look** (:data:`PILOT_LOOK`, group-sequential; only with ``config.pilot_look``):
      where the plan asks at least ``PILOT_LOOK_RATIO`` pilots, the measurement stops at its pilot
      and is judged on it. A point it refutes is decided there, without drawing more (it only ever
      refutes early, never confirms); else :meth:`planned_look` measures the point again from its
      seed, which draws the same pilot and continues it;
    - the **planned look** (:data:`PLANNED_LOOK`): the pilot and the planned replicates. It is kept in
      the run's :class:`MeasurementCache` under :attr:`key`, so a point met again is not measured
      again;
    - the **second look** (:data:`SECOND_LOOK`, :meth:`look_again`): where the planned look's
      interval straddles the band, the point measured again with ``factor`` times the replicates.

    Every look draws the point's own random stream, so whether a look was taken never changes what
    a later look measures: by Bonferroni over the looks, a point's false-alarm rate is at most the
    sum of its looks' shares. A deterministic measurement (one that does not draw through
    ``ctx.mean``) has one look.
    """

    def __init__(self, claim: Claim, point: Params, config: RunConfig, cache: MeasurementCache,
                 needed: Callable[[Mapping[str, Any], Estimate], int], monte_carlo: MonteCarlo, *,
                 on_measured: Callable[[], None] | None = None) -> None:
        self.claim = claim
        self.point = dict(point)
        self.config = config
        self.cache = cache
        self.key = cache.key(claim, point)
        self.needed = needed
        self.monte_carlo = monte_carlo
        self.on_measured = on_measured
        self.drawn = False  # whether a measurement drew through ctx.mean, so that more replicates narrow it
        self.look = PLANNED_LOOK  # the look of the measurement judged last
        self.used = 0  # replicates behind the measurement the claim is judged on
        self.planned = 0  # replicates the pilot look's plans asked for (the planned look, had it been drawn)
        self.saved = 0  # replicates the pilot look saved: planned − used where it decided, −pilot where it did not
        self._pilot: Measurement | None = None  # the pilot look's measurement, while it is the one judged
        self._stop_at_pilot: bool | None = None  # while measuring a pilot look: whether a mean stopped at its pilot

    def first_look(self) -> tuple[int, Measurement]:
        """(look, measurement) the point is judged on first: the latest look's when the point was
        measured before, else the pilot look's where the point has one, else the planned look's."""
        if self._pilot is not None:
            return PILOT_LOOK, self._pilot
        cached = self.cache.get(self.key, self.claim)
        if cached is not None:
            return self.look, self._judged_on(cached, self.look)
        if not self.config.pilot_look:
            return PLANNED_LOOK, self._measure(self.monte_carlo)
        self._stop_at_pilot, self.planned = False, 0
        try:
            measurement = self._measure(self.monte_carlo)
            if not self._stop_at_pilot:  # no mean planned past PILOT_LOOK_RATIO pilots: this is the planned look
                return PLANNED_LOOK, measurement
        finally:
            self._stop_at_pilot = None
        self._pilot = measurement
        self.saved = self.planned - measurement.samples
        return PILOT_LOOK, self._judged_on(measurement, PILOT_LOOK)

    def planned_look(self) -> Measurement:
        """The planned look after a pilot look that decided nothing: measured again from the
        point's seed (its pilot drawn again, so ``saved`` is minus the pilot)."""
        pilot, self._pilot = self._pilot, None
        self.saved = -pilot.samples if pilot is not None else 0
        return self._measure(self.monte_carlo)

    def look_again(self, factor: int) -> Measurement | None:
        """The second look: the point measured again with ``factor`` times the replicates of the
        planned look (within the cap); None where that draws nothing more (a deterministic
        measurement, or one at the cap already)."""
        more = min(self.monte_carlo.cap, factor * self.used)
        if not (self.drawn and more > self.used):
            return None
        monte_carlo = MonteCarlo(pilot=more, cap=self.monte_carlo.cap, max_bytes=self.monte_carlo.max_bytes)
        return self._measure(monte_carlo, SECOND_LOOK)

    def size(self, quantities: Mapping[str, Any], pilot: Estimate) -> int:
        """Replicates the point needs, from a mean's sample so far (:attr:`Context.plan`). While
        measuring a pilot look, a mean whose first plan asks ``PILOT_LOOK_RATIO`` pilots or more
        stops at its pilot, and so does every mean after it."""
        self.drawn = True
        needed = self.needed(quantities, pilot)
        if self._stop_at_pilot is None or pilot.samples > self.monte_carlo.pilot:  # not a pilot look's first plan
            return needed
        planned = min(self.monte_carlo.cap, max(needed, pilot.samples))
        self.planned += planned
        self._stop_at_pilot = self._stop_at_pilot or planned >= PILOT_LOOK_RATIO * pilot.samples
        return pilot.samples if self._stop_at_pilot else needed

    def _measure(self, monte_carlo: MonteCarlo, look: int = PLANNED_LOOK) -> Measurement:
        """The claim's measurement at the point, drawn from the point's seed with ``monte_carlo``;
        kept in the cache unless it stopped at a pilot look."""
        generator = torch.Generator(device=self.config.device)
        generator.manual_seed(point_seed(self.config.seed, self.claim.key, "", self.point))
        ctx = Context(self.config.device, self.config.dtype, generator, monte_carlo, plan=self.size)
        measurement = validate(self.claim, self.claim.measure(self.point, ctx))
        if not self._stop_at_pilot:
            self.cache.put(self.key, self.claim, measurement)
        if self.on_measured is not None:
            self.on_measured()
        return self._judged_on(measurement, look)

    def _judged_on(self, measurement: Measurement, look: int) -> Measurement:
        self.used, self.look = measurement.samples, look
        return measurement


def validate(claim: Claim, measurement: Any) -> Measurement:
    """A measurement as a Measurement, or a ClaimError saying what is wrong with it."""
    if measurement is None:
        raise ClaimError("the measurement returned None; return a Measurement, a number, an array or a label")
    if not isinstance(measurement, Measurement):
        measurement = Measurement(measurement)
    value = measurement.value
    if value is None:
        raise ClaimError("the measurement's value is None")
    if isinstance(value, str):
        if claim.relation != "label":
            raise ClaimError(f"the measurement's value is the label {value!r}, but the claim compares numbers "
                             f"(relation {claim.relation!r}); a label needs relation='label'")
        return measurement
    try:
        array = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ClaimError(f"the measurement's value is a {type(value).__name__}, not a number, an array or a "
                         "label") from None
    if array.size == 0:
        raise ClaimError(f"the measurement's value is empty (shape {array.shape}): there is nothing to compare")
    if measurement.se is not None and measurement.se < 0:
        raise ClaimError(f"the measurement's standard error is negative ({measurement.se})")
    finite = bool(np.all(np.isfinite(array))) and (measurement.se is None or math.isfinite(measurement.se))
    if not finite and not claim.may_diverge:
        raise ClaimError(f"the measurement is not finite ({plain(value) if array.size < 8 else 'an array with inf/nan'}"
                         f", se {measurement.se}); declare may_diverge=True if divergence is a possible outcome")
    return measurement
