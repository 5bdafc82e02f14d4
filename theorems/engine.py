"""The engine: measures a claim over its domain and decides its verdict.

For every reading of a claim:

1. **design points** (the claim's own, in priority order: they draw the figures and pin corners);
2. **space-filling points** over the whole domain (:func:`theorems.domain.space_filling`: a
   scrambled Sobol design, plus a log-scaled one for wide ranges);
3. a **targeted search**: hypothesis, deterministic for the run seed, steered by
   ``hypothesis.target`` toward the smallest margin (the largest deviation beyond the resolution,
   relative to the scale), for the stated formula and for any mutant not yet refuted;
4. when the stated formula is refuted, **shrinking** the first refuting point to a minimal
   counterexample (:func:`theorems.domain.shrink`).

Every formula (the stated one, each mutant, each alternative) is judged on the very same
measurements (:mod:`theorems.measurement`: seeded per point, shared by claims registering the same
measurement function).

α is per claim (the run's ``alpha``, not divided by the number of claims selected), split by
Bonferroni over the claim's readings, planned points and the looks at a point (a Monte Carlo
point left unresolved is measured once more with more replicates); the run reports the family-wise bound
(α times the number of claims). Shrinking evaluates more points, but only after the claim is
refuted: it chooses which counterexample to report, not whether there is one.

Points are judged by :mod:`theorems.stats`; readings and claims by :mod:`theorems.verdicts`. The
result is a :class:`theorems.results.ClaimResult`.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import hypothesis
import hypothesis.errors
import numpy as np
import torch

from theorems.claim import Claim, ClaimError, Formula, Measurement, Params, Reading
from theorems.domain import Dimension, dimensions, shrink, space_filling, strategy_of
from theorems.measurement import Context, MeasurementCache, RunConfig, measure_key, point_seed, validate
from theorems.results import (
    Alternative, ClaimResult, Counterexample, Coverage, Mutant, Point, ReadingVerdict, canonical, plain,
)
from theorems.stats import (
    INCONCLUSIVE,
    REFUTED,
    MonteCarlo,
    PointVerdict,
    band_of,
    judge_deterministic,
    judge_stochastic,
    planned_samples,
)
from theorems.verdicts import combine, reading_verdict

# A point's share of α goes mostly to its first look: the second look has four times the
# replicates, so a tenth of the share (a slightly wider z) costs it nothing it needs.
FIRST_LOOK_SHARE = 0.9


@dataclass
class Judged:
    """A formula judged at one point."""

    reading: str
    params: dict[str, Any]
    verdict: PointVerdict
    measurement: Measurement
    formula_value: Any
    origin: str = "explore"  # "design", "explore", "targeted" or "shrink"
    looks: int = 1  # 2: judged on a second, larger measurement

    @property
    def design(self) -> bool:
        return self.origin == "design"


@dataclass
class FormulaOutcome:
    """A formula's verdict under one reading, from its evaluated points."""

    verdict: str = INCONCLUSIVE
    points: list[Judged] = field(default_factory=list)
    counterexample: Judged | None = None  # the shrunk refuting point (the first one, for mutants)

    def settle(self) -> None:
        self.verdict = reading_verdict(judged.verdict.verdict for judged in self.points)
        if self.verdict == REFUTED and self.counterexample is None:
            self.counterexample = next(j for j in self.points if j.verdict.verdict == REFUTED)


class ClaimChecker:
    """Checks one claim under a run configuration."""

    def __init__(self, claim: Claim, config: RunConfig, *, cache: MeasurementCache | None = None,
                 on_point: Callable[[], None] | None = None) -> None:
        self.claim = claim
        self.config = config
        profile = config.profile
        self.design = list(claim.design[: profile.design])
        self.dims = dimensions(claim.domain)
        # a costly claim's search_factor thins the search, never below the smoke profile's
        self.explore = max(min(profile.explore, 8), round(profile.explore * claim.search_factor))
        self.examples = max(min(profile.examples, 4), round(profile.examples * claim.search_factor))
        planned = len(self.design) + self.explore + self.examples
        self.claim_alpha = config.alpha
        per_point = config.alpha / (planned * len(claim.readings))
        # a point's verdict may be taken twice (judge_point): the first look gets most of its α
        self.point_alpha = per_point * (FIRST_LOOK_SHARE if profile.second_look else 1.0)
        self.second_look_alpha = per_point - self.point_alpha
        self.monte_carlo = MonteCarlo(pilot=max(2, int(profile.pilot * claim.samples_factor)),
                                      cap=max(2, int(profile.cap * claim.samples_factor)), max_bytes=config.max_bytes)
        self.cache = cache if cache is not None else MeasurementCache()
        self._used: dict[str, int] = {}  # cache key -> Monte Carlo replicates of each point this claim used
        self._planned: set[str] = set()  # cache keys of the points measured through ctx.mean
        self._on_point = on_point

    # -- measuring ---------------------------------------------------------------------------
    def measure(self, reading: Reading, params: Params, *, at_least: int = 0) -> Measurement:
        """The point's measurement (from the cache when there is one); with ``at_least``, measured
        again with at least that many Monte Carlo replicates."""
        point = {**params, **reading.params}
        key = self.cache.key(self.claim, point)
        measurement = None if at_least else self.cache.get(key, self.claim)
        if measurement is None:
            generator = torch.Generator(device=self.config.device)
            generator.manual_seed(point_seed(self.config.seed, measure_key(self.claim), "", point))
            monte_carlo = self.monte_carlo if not at_least else MonteCarlo(
                pilot=at_least, cap=self.monte_carlo.cap, max_bytes=self.config.max_bytes)
            ctx = Context(self.config.device, self.config.dtype, generator, monte_carlo,
                          plan=lambda quantities, pilot: self._plan(point, quantities, pilot))
            measurement = validate(self.claim, self.claim.measure(point, ctx))
            self.cache.put(key, self.claim, measurement)
            if ctx.planned:
                self._planned.add(key)
            if self._on_point is not None:
                self._on_point()
        self._used[key] = measurement.samples
        return measurement

    @property
    def samples(self) -> int:
        """Monte Carlo replicates behind this claim's points (whichever claim drew them first)."""
        return sum(self._used.values())

    def _plan(self, point: Params, quantities: Mapping[str, Any], pilot) -> int:
        """Replicates this point needs for the stated formula's band to be resolved."""
        p = {**point, **quantities}
        claim = self.claim
        band, _ = band_of(claim.stated(p), resolution=claim.resolution, atol=claim.atol,
                          scale=claim.scale(p) if claim.scale is not None else None)
        return planned_samples(pilot, band=band, alpha=self.point_alpha, z_margin=self.config.profile.z_margin)

    # -- judging -----------------------------------------------------------------------------
    def judge(self, formula: Callable[[Params], Any], reading: Reading, params: Params, origin: str, *,
              looks: int = 1) -> Judged:
        point = {**params, **reading.params}
        measurement = self.measure(reading, params)
        p = {**point, **measurement.quantities}
        value = formula(p)
        claim = self.claim
        if measurement.se is not None:
            verdict = judge_stochastic(float(measurement.value), measurement.se, value,
                                       alpha=self.point_alpha if looks == 1 else self.second_look_alpha,
                                       resolution=claim.resolution, atol=claim.atol,
                                       scale=claim.scale(p) if claim.scale is not None else None,
                                       relation=claim.relation)
        else:
            verdict = judge_deterministic(measurement.value, value, relation=claim.relation,
                                          rtol=claim.resolution, atol=claim.atol)
        return Judged(reading.name, point, verdict, measurement, value, origin, looks)

    def judge_point(self, formulas: list[Callable[[Params], Any]], reading: Reading, params: Params,
                    origin: str) -> list[Judged]:
        """Every formula judged at a point; formulas[0] is the stated one. A point measured through
        ``ctx.mean`` whose interval for the stated formula straddles the band gets a second look:
        measured again with ``second_look`` times its replicates (within the cap) and judged on
        that. The point's share of α is split between the looks (``FIRST_LOOK_SHARE`` for the
        first), so two looks keep the claim's α."""
        judged = [self.judge(formula, reading, params, origin) for formula in formulas]
        measurement = judged[0].measurement
        more = min(self.monte_carlo.cap, self.config.profile.second_look * measurement.samples)
        drawn_by_plan = self.cache.key(self.claim, {**params, **reading.params}) in self._planned
        if judged[0].verdict.verdict == INCONCLUSIVE and drawn_by_plan and more > measurement.samples:
            self.measure(reading, params, at_least=more)
            judged = [self.judge(formula, reading, params, origin, looks=2) for formula in formulas]
        return judged

    def accept(self, reading: Reading) -> Callable[[dict[str, Any]], bool] | None:
        if self.claim.constraint is None:
            return None
        return lambda params: bool(self.claim.constraint({**params, **reading.params}))

    def check_reading(self, reading: Reading, formulas: list[Callable[[Params], Any]]) -> list[FormulaOutcome]:
        """Every formula judged on the reading's points; formulas[0] is the stated one."""
        dims = [d for d in self.dims if d.name not in reading.params]
        accept = self.accept(reading)
        outcomes = [FormulaOutcome() for _ in formulas]

        position: dict[str, int] = {}  # point (without the reading's parameters) -> its place in every outcome

        def evaluate(params: dict[str, Any], origin: str) -> list[Judged]:
            """Every formula judged at a point, once: a point met again returns its first judgement."""
            params = {k: v for k, v in params.items() if k not in reading.params}
            key = json.dumps(canonical(params))
            if key not in position:
                position[key] = len(outcomes[0].points)
                for outcome, judged in zip(outcomes, self.judge_point(formulas, reading, params, origin)):
                    outcome.points.append(judged)
            return [outcome.points[position[key]] for outcome in outcomes]

        # seeded by the measurement, not the claim: claims sharing a measurement and a domain share points
        explore_seed = point_seed(self.config.seed, measure_key(self.claim), "explore", dict(reading.params))
        planned = [(params, "design") for params in self.design if accept is None or accept(params)] + [
            (params, "explore") for params in space_filling(dims, self.explore, seed=explore_seed,
                                                            accept=accept, fixed=reading.params)]
        if not planned:
            raise ClaimError(f"no point of the domain satisfies the claim's constraint under reading {reading.name!r} "
                             f"(none of the space-filling points did): check `constraint=`")
        for params, origin in planned:
            evaluate(params, origin)
        for index in range(len(formulas)):
            if index == 0 or not any(j.verdict.verdict == REFUTED for j in outcomes[index].points):
                self._targeted(reading, dims, accept, index, evaluate)
        for outcome in outcomes:
            outcome.settle()
        stated = outcomes[0]
        if stated.verdict == REFUTED and self.config.profile.shrink > 0:
            stated.counterexample = self._shrink(formulas[0], reading, dims, accept, stated.counterexample)
        return outcomes

    def _targeted(self, reading: Reading, dims: list[Dimension], accept, index: int, evaluate) -> None:
        """hypothesis, steered toward the smallest margin of formula ``index``, until it refutes."""
        if self.examples <= 0 or not dims:
            return

        def refutes(params: dict[str, Any]) -> bool:
            judged = evaluate(params, "targeted")[index]
            margin = judged.verdict.margin
            if margin is None:  # a behaviour label: agreement is all there is
                margin = 0.0 if judged.verdict.verdict != REFUTED else -1.0
            hypothesis.target(-float(margin) if math.isfinite(margin) else 1e12, label="excess deviation")
            return judged.verdict.verdict == REFUTED

        settings = hypothesis.settings(
            max_examples=self.examples, database=None, deadline=None, derandomize=False,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate, hypothesis.Phase.target])
        seed = point_seed(self.config.seed, self.claim.id, reading.name, {"formula": index})
        try:
            with _independent_of_loaded_modules():
                hypothesis.find(strategy_of(dims, accept, reading.params), refutes, settings=settings,
                                random=random.Random(seed))
        except (hypothesis.errors.NoSuchExample, hypothesis.errors.Unsatisfiable):
            pass

    def _shrink(self, formula, reading: Reading, dims: list[Dimension], accept, first: Judged) -> Judged:
        """The first refuting point, simplified while it still refutes."""
        start = {k: v for k, v in first.params.items() if k not in reading.params}
        best = first

        def still_fails(params: dict[str, Any]) -> bool:
            nonlocal best
            judged = self.judge(formula, reading, params, "shrink")
            if judged.verdict.verdict == REFUTED:
                best = judged
                return True
            return False

        shrink(start, dims, still_fails, budget=self.config.profile.shrink, accept=accept, fixed=reading.params)
        return best


@contextlib.contextmanager
def _independent_of_loaded_modules() -> Iterator[None]:
    """hypothesis also tries constants it finds in the source of the loaded modules; which modules
    are loaded differs between a command-line run, pytest and a Dask worker, so the targeted search
    turns that off, to search the same points in every process for the same seed."""
    try:
        from hypothesis.internal.conjecture.providers import HypothesisProvider
    except ImportError:  # pragma: no cover - a hypothesis without source constants
        yield
        return
    if not hasattr(HypothesisProvider, "_maybe_draw_constant"):  # pragma: no cover
        yield
        return
    with mock.patch.object(HypothesisProvider, "_maybe_draw_constant", lambda self, *args, **kwargs: None):
        yield



# ---- the claim's result -------------------------------------------------------------------------
def check_claim(claim: Claim, config: RunConfig, *, cache: MeasurementCache | None = None,
                on_point: Callable[[], None] | None = None) -> ClaimResult:
    """Check one claim.

    A check that raises (a bug in a claim, not a finding) gives verdict inconclusive with the
    error in ``error``, so one broken claim does not sink a whole run.
    """
    start = time.perf_counter()
    checker = ClaimChecker(claim, config, cache=cache, on_point=on_point)
    result = ClaimResult(
        id=claim.id, title=claim.title, inventory_ids=list(claim.inventory_ids), source=claim.source,
        statement=claim.statement, assumptions=list(claim.assumptions), kind=claim.kind, relation=claim.relation,
        verdict=INCONCLUSIVE, verdict_reason="", alpha=checker.claim_alpha, point_alpha=checker.point_alpha,
        resolution=claim.resolution, atol=claim.atol,
        readings=[ReadingVerdict(r.name, r.description, INCONCLUSIVE) for r in claim.readings],
        mutants=[Mutant(m.statement, INCONCLUSIVE) for m in claim.mutants],
        figure=claim.figure, device=str(config.device))
    try:
        _judge_claim(claim, checker, result)
    except Exception as error:  # noqa: BLE001 - reported in the result, with its traceback
        result.verdict_reason = f"the check failed: {type(error).__name__}: {error}"
        result.error = traceback.format_exc()
    result.samples = checker.samples
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def _judge_claim(claim: Claim, checker: ClaimChecker, result: ClaimResult) -> None:
    """The verdicts of the stated formula, the mutants and the alternatives, reading by reading."""
    formulas: list[Formula] = [Formula(claim.statement, claim.stated), *claim.mutants, *claim.alternatives]
    by_reading: dict[str, list[FormulaOutcome | None]] = {}
    for reading in claim.readings:
        applies = [i for i, f in enumerate(formulas) if i <= len(claim.mutants) or f.reading in (None, reading.name)]
        outcomes = checker.check_reading(reading, [formulas[i].value for i in applies])
        by_reading[reading.name] = [None] * len(formulas)
        for i, outcome in zip(applies, outcomes):
            by_reading[reading.name][i] = outcome

    def outcomes_of(index: int) -> dict[str, FormulaOutcome]:
        return {name: outcomes[index] for name, outcomes in by_reading.items() if outcomes[index] is not None}

    def verdict_of(index: int) -> str:
        return combine({name: outcome.verdict for name, outcome in outcomes_of(index).items()})[0]

    stated = outcomes_of(0)
    refuting = {name: (sum(j.verdict.verdict == REFUTED for j in outcome.points), len(outcome.points))
                for name, outcome in stated.items()}
    result.verdict, result.verdict_reason = combine({name: outcome.verdict for name, outcome in stated.items()},
                                                    refuting)
    result.readings = [ReadingVerdict(r.name, r.description, stated[r.name].verdict) for r in claim.readings]
    points = [j for outcome in stated.values() for j in outcome.points]
    keep_traces = not any(j.design for j in points)  # trajectories are drawn for the design points: keep only theirs
    result.evidence = [_point(j, trace=keep_traces or j.design) for j in points]
    result.coverage = _coverage(checker.dims, points)
    result.counterexample = _first_counterexample(stated)
    result.mutants = [Mutant(m.statement, verdict_of(i), _first_counterexample(outcomes_of(i)))
                      for i, m in enumerate(claim.mutants, start=1)]
    result.alternatives = [Alternative(a.statement, verdict_of(i), a.reading)
                           for i, a in enumerate(claim.alternatives, start=len(claim.mutants) + 1)]


def _coverage(dims: list[Dimension], points: list[Judged]) -> Coverage:
    """How many points were evaluated, by origin, and the range each parameter took."""
    parameters: dict[str, Any] = {}
    for d in dims:
        values = [j.params[d.name] for j in points if d.name in j.params]
        if d.kind in ("int", "float") and values:
            parameters[d.name] = {"min": plain(min(values)), "max": plain(max(values)),
                                  "domain": [plain(d.low), plain(d.high)]}
        elif d.kind == "choice":
            parameters[d.name] = {"values": len({json.dumps(plain(v)) for v in values}), "of": len(d.choices)}
    by_origin = {origin: sum(j.origin == origin for j in points) for origin in ("design", "explore", "targeted", "shrink")}
    return Coverage(points=len(points), **by_origin, parameters=parameters)


def _first_counterexample(outcomes: Mapping[str, FormulaOutcome]) -> Counterexample | None:
    for outcome in outcomes.values():
        if outcome.counterexample is not None:
            return Counterexample.of(_point(outcome.counterexample, trace=False))
    return None


def _point(judged: Judged, *, trace: bool) -> Point:
    v, m = judged.verdict, judged.measurement
    return Point(reading=judged.reading, params=canonical(judged.params), estimate=plain(v.estimate),
                 stated=plain(v.stated), ci_low=plain(v.ci_low), ci_high=plain(v.ci_high), se=plain(m.se),
                 detectable=plain(v.detectable), margin=plain(v.margin), samples=m.samples, verdict=v.verdict,
                 design=judged.design, origin=judged.origin, looks=judged.looks,
                 trace=_trace(judged) if trace and m.trace is not None else None)


def _trace(judged: Judged) -> dict[str, Any]:
    """A measurement's trace for trajectory figures. A trace may keep some elements of an array
    measurement ("index"); the formula's values at the same elements are drawn beside them."""
    m = judged.measurement
    trace = {key: plain(val) for key, val in m.trace.items() if key != "index"}
    stated = np.asarray(plain(judged.formula_value), dtype=object)
    if "stated" not in trace and stated.ndim == 1:
        index = m.trace.get("index")
        trace["stated"] = plain(stated[np.asarray(index)] if index is not None else stated)
    return trace
