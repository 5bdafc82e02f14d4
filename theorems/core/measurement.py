"""Measuring: what a run's numbers depend on, and what a claim's measurement function gets.

- :class:`RunConfig`: the run's profile, seed, device, dtype, α and memory cap;
- :class:`Context`: the device, the point's generator and the planned Monte Carlo mean, as a
  claim's ``measure(params, ctx)`` sees them;
- :func:`point_seed`: every point's random numbers come from a generator seeded by (run seed,
  the claim's key, point), so a claim's result does not depend on which other claims ran, in what
  order, or where its code lives (module, function or file names);
- :class:`MeasurementCache`: measurements shared, within a run, by claims registering the same
  measurement function under the same key (``seed_key``);
- :func:`validate`: what a measurement returned, as a Measurement, or a :class:`ClaimError`.
"""

from __future__ import annotations

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
from theorems.core.stats import MonteCarlo


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

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {self.max_bytes}")


@dataclass
class Context:
    """What a claim's measurement gets: where to compute, with which randomness, how much."""

    device: torch.device
    dtype: torch.dtype
    generator: torch.Generator
    monte_carlo: MonteCarlo
    plan: Callable[[Mapping[str, Any], Any], int] | None = None  # (quantities, pilot) -> replicates needed
    planned: bool = False  # whether the measurement drew through mean(), so more replicates would narrow it

    @property
    def samples(self) -> int:
        """The most replicates a point may draw."""
        return self.monte_carlo.cap

    def mean(self, draw: Callable[[int], torch.Tensor], *, bytes_per_replicate: int,
             quantities: Mapping[str, Any] | None = None) -> Measurement:
        """Monte Carlo mean of ``draw``'s replicate statistics, as a Measurement: a pilot, then as
        many replicates as the point needs to resolve the stated formula (within the cap)."""
        quantities = dict(quantities or {})
        self.planned = True
        plan = (lambda pilot: self.plan(quantities, pilot)) if self.plan is not None else None
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
