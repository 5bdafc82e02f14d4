"""The engine: measures a claim over its domain and decides its verdict.

For every reading of a claim:

1. **design points** (the claim's own, in priority order: they draw the figures and pin corners);
2. **space-filling points** over the whole domain (:func:`theorems.core.domain.space_filling`: a
   scrambled Sobol design, plus a log-scaled one for wide ranges);
3. a **targeted search**: hypothesis, deterministic for the run seed, steered by
   ``hypothesis.target`` toward the smallest margin (the largest deviation beyond the resolution,
   relative to the scale), for the stated formula and for any mutant not yet refuted;
4. when the stated formula is refuted, **shrinking** the first refuting point to a minimal
   counterexample (:func:`theorems.core.domain.shrink`).

Every formula (the stated one, each mutant, each alternative) is judged on the very same
measurements (:mod:`theorems.core.measurement`: seeded by (run seed, :attr:`Claim.key`, point), shared by
claims registering the same measurement function under the same key).

α is per claim (the run's ``alpha``, not divided by the number of claims selected), split by
Bonferroni over the claim's readings, planned points and the looks at a point (a Monte Carlo
point left unresolved is measured once more with more replicates); the run reports the family-wise bound
(α times the number of claims). Shrinking evaluates more points, but only after the claim is
refuted: it chooses which counterexample to report, not whether there is one.

Points are judged by :mod:`theorems.core.stats`; readings and claims by :mod:`theorems.core.rules`. The
result is a :class:`theorems.core.results.ClaimResult`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
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

from theorems.core.claim import Claim, ClaimError, Formula, Measurement, Params, Reading
from theorems.core.domain import Dimension, dimensions, shrink, space_filling, strategy_of
from theorems.core.measurement import CacheKey, Context, MeasurementCache, RunConfig, point_seed, validate
from theorems.core.results import (
    Alternative, ClaimResult, Counterexample, Coverage, Effect, Effects, Finding, Mutant, Point, ReadingVerdict,
    canonical, plain,
)
from theorems.core.stats import (
    CONFIRMED,
    INCONCLUSIVE,
    REFUTED,
    MonteCarlo,
    PointVerdict,
    band_of,
    judge_deterministic,
    judge_stochastic,
    planned_samples,
)
from theorems.core.rules import CAVEAT, CONVENTION, ERRATUM, SLIP, combine, reading_verdict, weigh

# A point's share of α goes mostly to its first look: the second look has four times the
# replicates, so a tenth of the share (a slightly wider z) costs it nothing it needs.
FIRST_LOOK_SHARE = 0.9
# What a broken check may raise and still be that claim's error: any error, and sys.exit (which
# must not end the run with status 0 and nothing written). KeyboardInterrupt still interrupts.
CHECK_ERRORS = (Exception, SystemExit)


@dataclass
class Judged:
    """A formula judged at one point."""

    reading: str
    params: dict[str, Any]
    verdict: PointVerdict
    measurement: Measurement
    formula_value: Any
    origin: str = "explore"  # "representative", "design", "explore", "targeted" or "shrink"
    looks: int = 1  # 2: judged on a second, larger measurement

    @property
    def design(self) -> bool:
        """A point the claim declares (drawn in its figure): a representative or a design point."""
        return self.origin in ("representative", "design")


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
        # a costly claim's search_factor thins the search, never below the smoke profile's
        self.explore = max(min(profile.explore, 8), round(profile.explore * claim.search_factor))
        self.examples = max(min(profile.examples, 4), round(profile.examples * claim.search_factor))
        planned = len(claim.representative) + len(self.design) + self.explore + self.examples
        self.claim_alpha = config.alpha
        per_point = config.alpha / (planned * len(claim.readings))
        # a point's verdict may be taken twice (judge_point): the first look gets most of its α
        self.point_alpha = per_point * (FIRST_LOOK_SHARE if profile.second_look else 1.0)
        self.second_look_alpha = per_point - self.point_alpha
        self.monte_carlo = MonteCarlo(pilot=max(2, int(profile.pilot * claim.samples_factor)),
                                      cap=max(2, int(profile.cap * claim.samples_factor)), max_bytes=config.max_bytes)
        self.cache = cache if cache is not None else MeasurementCache()
        self._used: dict[CacheKey, int] = {}  # cache key -> Monte Carlo replicates of each point this claim used
        self._planned: set[CacheKey] = set()  # cache keys of the points measured through ctx.mean
        self._on_point = on_point
        self.shrink_errors: list[tuple[str, str]] = []  # (error, traceback) of each shrinking a check stopped

    @functools.cached_property
    def dims(self) -> list[Dimension]:
        """The domain's dimensions, read when checking: an invalid domain is an error of this claim."""
        return dimensions(self.claim.domain)

    # -- measuring ---------------------------------------------------------------------------
    def measure(self, reading: Reading, params: Params, *, at_least: int = 0) -> Measurement:
        """The point's measurement (from the cache when there is one); with ``at_least``, measured
        again with at least that many Monte Carlo replicates."""
        point = {**params, **reading.params}
        key = self.cache.key(self.claim, point)
        measurement = None if at_least else self.cache.get(key, self.claim)
        if measurement is None:
            generator = torch.Generator(device=self.config.device)
            generator.manual_seed(point_seed(self.config.seed, self.claim.key, "", point))
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
            if key not in position:  # recorded once judged: a judgement that raises is raised again if met again
                judged_point = self.judge_point(formulas, reading, params, origin)
                position[key] = len(outcomes[0].points)
                for outcome, judged in zip(outcomes, judged_point):
                    outcome.points.append(judged)
            return [outcome.points[position[key]] for outcome in outcomes]

        # seeded by the claim's key: claims sharing a seed_key (and a domain) share points
        explore_seed = point_seed(self.config.seed, self.claim.key, "explore", dict(reading.params))
        planned = [(params, origin) for origin, points in (("representative", self.claim.representative),
                                                          ("design", self.design))
                   for params in points if accept is None or accept(params)] + [
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
        seed = point_seed(self.config.seed, self.claim.key, reading.name, {"formula": index})
        try:
            with _independent_of_loaded_modules():
                hypothesis.find(strategy_of(dims, accept, reading.params), refutes, settings=settings,
                                random=random.Random(seed))
        except (hypothesis.errors.NoSuchExample, hypothesis.errors.Unsatisfiable):
            pass

    def _shrink(self, formula, reading: Reading, dims: list[Dimension], accept, first: Judged) -> Judged:
        """The first refuting point, simplified while it still refutes. A check that raises while
        shrinking stops it: the simplest refutation found before is kept, and the error is kept in
        ``shrink_errors`` to be reported beside it."""
        start = {k: v for k, v in first.params.items() if k not in reading.params}
        best = first

        def still_fails(params: dict[str, Any]) -> bool:
            nonlocal best
            judged = self.judge(formula, reading, params, "shrink")
            if judged.verdict.verdict == REFUTED:
                best = judged
                return True
            return False

        try:
            shrink(start, dims, still_fails, budget=self.config.profile.shrink, accept=accept, fixed=reading.params)
        except CHECK_ERRORS as error:
            self.shrink_errors.append((f"{type(error).__name__}: {error}", traceback.format_exc()))
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

    A check that raises (a bug in a claim, not a finding; an invalid domain or ``sys.exit``
    included) gives verdict inconclusive with the error in ``error``, so one broken claim does not
    sink a whole run. A check that raises only while shrinking keeps its refutation, with the error
    beside it.
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
    except CHECK_ERRORS as error:  # reported in the result, with its traceback
        result.verdict_reason = f"the check failed: {type(error).__name__}: {error}"
        result.error = traceback.format_exc()
    else:
        _report_shrink_errors(checker, result)
    result.samples = checker.samples
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def _report_shrink_errors(checker: ClaimChecker, result: ClaimResult) -> None:
    """A refutation whose shrinking a check stopped: the counterexample is the simplest refuting
    point found before the error, and the error (a broken check) is reported beside it."""
    if checker.shrink_errors:
        errors = "; ".join(error for error, _ in checker.shrink_errors)
        result.verdict_reason += f" (shrinking the counterexample stopped at an error: {errors})"
        result.error = "\n".join(trace for _, trace in checker.shrink_errors)


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
    points = [j for outcome in stated.values() for j in outcome.points]
    effects = {id(j): _effect(claim, j) for j in points}

    def weighed(judged: Judged) -> str:
        """The point's verdict, a refutation smaller than the claim's materiality counted as agreement."""
        if judged.verdict.verdict == REFUTED and not _material(effects[id(judged)], claim.materiality):
            return CONFIRMED
        return judged.verdict.verdict

    readings = {name: reading_verdict(map(weighed, outcome.points)) for name, outcome in stated.items()}
    refuting = {name: (sum(weighed(j) == REFUTED for j in outcome.points), len(outcome.points))
                for name, outcome in stated.items()}
    kind, result.verdict, result.verdict_reason = weigh(
        *combine(readings, refuting), role=claim.role,
        refuted_below_materiality=any(j.verdict.verdict == REFUTED and weighed(j) != REFUTED for j in points),
        representative=[weighed(j) for j in points if j.origin == "representative"],
        convention=claim.materiality_reason if claim.materiality > 0 else "")
    result.readings = [ReadingVerdict(r.name, r.description, readings[r.name]) for r in claim.readings]
    keep_traces = not any(j.design for j in points)  # trajectories are drawn for the design points: keep only theirs
    result.evidence = [_point(claim, j, trace=keep_traces or j.design) for j in points]
    result.coverage = _coverage(checker.dims, points)
    material = any(weighed(j) == REFUTED for j in points)  # a convention whose difference shows away from the defaults
    result.counterexample = _first_counterexample(claim, stated) if kind != CONVENTION or material else None
    result.mutants = [Mutant(m.statement, verdict_of(i), _first_counterexample(claim, outcomes_of(i)))
                      for i, m in enumerate(claim.mutants, start=1)]
    result.alternatives = [Alternative(a.statement, verdict_of(i), a.reading)
                           for i, a in enumerate(claim.alternatives, start=len(claim.mutants) + 1)]
    named = _named_convention(claim, result)
    if kind == ERRATUM and named is not None:  # the document follows another named convention, which agrees
        kind, result.verdict = CONVENTION, CONFIRMED
        result.verdict_reason = (f"follows another convention than {named.statement}, which agrees exactly: "
                                 f"{named.convention} (as the reference: {result.verdict_reason})")
    if kind is not None:
        telling = [j for j in points if weighed(j) == REFUTED] or [j for j in points if j.verdict.verdict == REFUTED]
        result.finding = _finding(claim, result, kind, points, effects, telling, _first_counterexample(claim, stated))


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
    by_origin = {origin: sum(j.origin == origin for j in points)
                 for origin in ("representative", "design", "explore", "targeted", "shrink")}
    return Coverage(points=len(points), **by_origin, parameters=parameters)


def _first_counterexample(claim: Claim, outcomes: Mapping[str, FormulaOutcome]) -> Counterexample | None:
    """The shrunk (minimal) counterexample of the first reading that has one."""
    for outcome in outcomes.values():
        if outcome.counterexample is not None:
            return Counterexample.of(_point(claim, outcome.counterexample, trace=False))
    return None


def _point(claim: Claim, judged: Judged, *, trace: bool) -> Point:
    v, m = judged.verdict, judged.measurement
    return Point(reading=judged.reading, params=canonical(judged.params), estimate=plain(v.estimate),
                 stated=plain(v.stated), ci_low=plain(v.ci_low), ci_high=plain(v.ci_high), se=plain(m.se),
                 detectable=plain(v.detectable), margin=plain(v.margin), samples=m.samples, verdict=v.verdict,
                 design=judged.design, origin=judged.origin, looks=judged.looks,
                 trace=_trace(judged) if trace and m.trace is not None else None,
                 index=v.index, band=plain(_band(claim, judged, v.stated)))


# ---- findings: how large a refutation is, and what it means for the document ---------------------
ARRAY_SCALE_FLOOR = 1e-3  # an array element's scale is at least this share of the array's largest |stated|


def _declared_scale(claim: Claim, judged: Judged) -> float | None:
    return claim.scale({**judged.params, **judged.measurement.quantities}) if claim.scale is not None else None


def _band(claim: Claim, judged: Judged, stated: Any) -> float | None:
    """Half-width of the band around ``stated`` that decides the point: the stochastic band
    (:func:`theorems.core.stats.band_of`), or a deterministic point's tolerance; None for labels."""
    if isinstance(stated, str) or claim.relation == "label":
        return None
    if judged.measurement.se is not None:
        return band_of(stated, resolution=claim.resolution, scale=_declared_scale(claim, judged), atol=claim.atol)[0]
    return claim.atol + claim.resolution * abs(float(stated))


def _effects(claim: Claim, judged: Judged, measured: np.ndarray, stated: np.ndarray) -> np.ndarray:
    """Elementwise relative effect: |measured − stated| (for a bound, the excess over it) divided by the
    scale the claim is judged on (its declared scale, else |stated|, for an array at least
    ``ARRAY_SCALE_FLOOR`` times its largest |stated|, so that an element the statement puts at 0 up to
    rounding does not report a ratio of 1e16; where the scale is 0, the band, else 1). A non-finite
    measurement has an infinite effect."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        excess = {"eq": np.abs(measured - stated), "le": measured - stated, "ge": stated - measured}[claim.relation]
        excess = np.where(np.isfinite(measured), np.maximum(excess, 0.0), np.inf)
        declared = _declared_scale(claim, judged)
        scale = np.abs(stated) if declared is None else np.full_like(stated, abs(float(declared)))
        finite = scale[np.isfinite(scale)]
        if declared is None and finite.size > 1:
            scale = np.maximum(scale, ARRAY_SCALE_FLOOR * finite.max())
        band = claim.atol + claim.resolution * scale
        return excess / np.where(scale > 0, scale, np.where(band > 0, band, 1.0))


def _effect(claim: Claim, judged: Judged) -> Effect:
    """The point's effect, from the point verdict's numbers; for a refuted array measurement, at its
    element outside the tolerance with the largest effect, which the effect names."""
    v = judged.verdict
    params = canonical(judged.params)
    if claim.relation == "label" or isinstance(v.estimate, str) or isinstance(v.stated, str):
        return Effect(None if v.verdict == REFUTED else 0.0, judged.reading, params)  # None: another label
    if v.verdict == REFUTED and judged.measurement.se is None and v.index is not None:
        measured, stated = _elements(judged)
        effects = _effects(claim, judged, measured, stated)
        outside = np.abs(measured - stated) > claim.atol + claim.resolution * np.abs(stated)
        outside |= ~np.isfinite(measured) | (claim.relation != "eq")  # a bound's excess is 0 where it holds
        index = int(np.argmax(np.where(outside, effects, -1.0)))
        return Effect(plain(float(effects[index])), judged.reading, params, index)
    effect = _effects(claim, judged, np.array([float(v.estimate)]), np.array([float(v.stated)]))[0]
    return Effect(plain(float(effect)), judged.reading, params, v.index)


def _elements(judged: Judged) -> tuple[np.ndarray, np.ndarray]:
    """An array measurement and its formula's value as flat float64 arrays of the same length."""
    def floats(value: Any) -> np.ndarray:
        value = value.detach().to("cpu", torch.float64) if isinstance(value, torch.Tensor) else value
        return np.asarray(value, dtype=np.float64).ravel()

    measured, stated = floats(judged.measurement.value), floats(judged.formula_value)
    return measured, np.broadcast_to(stated, measured.shape) if stated.size == 1 else stated


def _material(effect: Effect, materiality: float) -> bool:
    """Whether an effect reaches the materiality (a label's difference, which has no size, always does)."""
    return effect.relative is None or not _size(effect) < materiality


def _size(effect: Effect) -> float:
    return math.inf if effect.relative is None else float(effect.relative)


def _finding(claim: Claim, result: ClaimResult, kind: str, points: list[Judged], effects: dict[int, Effect],
             refuting: list[Judged], minimal: Counterexample | None) -> Finding:
    """The claim's finding: the largest effect at its representative points and over the domain, and
    the most telling counterexample (the refuting representative point with the largest effect, else
    the refuting point with the largest effect) beside the minimal one."""
    def largest(candidates: list[Judged]) -> Judged | None:
        return max(candidates, key=lambda j: _size(effects[id(j)]), default=None)

    representative = largest([j for j in points if j.origin == "representative"])
    telling = largest([j for j in refuting if j.origin == "representative"]) or largest(refuting)
    widest = effects[id(largest(points))]
    alternative = next((a.statement for a in result.alternatives if a.verdict == CONFIRMED), "")
    return Finding(
        class_=kind, claim=claim.id, where=claim.source.section, as_written=claim.statement,
        correction=alternative or claim.correction, reason=_finding_reason(claim, result, kind, widest),
        materiality=claim.materiality,
        effect=Effects(effects[id(representative)] if representative is not None else None, widest),
        telling=_counterexample_at(claim, telling, effects[id(telling)]) if telling is not None else None,
        minimal=minimal)


def _counterexample_at(claim: Claim, judged: Judged, effect: Effect) -> Counterexample:
    """The point as a counterexample, its values taken at the element the effect names."""
    example = Counterexample.of(_point(claim, judged, trace=False))
    if effect.index is not None and effect.index != judged.verdict.index:
        measured, stated = _elements(judged)
        value = plain(float(measured[effect.index]))
        example = dataclasses.replace(example, estimate=value, stated=plain(float(stated[effect.index])),
                                      ci_low=value, ci_high=value, index=effect.index)
    return example


def _named_convention(claim: Claim, result: ClaimResult) -> Formula | None:
    """The confirmed alternative that names a reference differing only by a convention, if any."""
    return next((a for a, r in zip(claim.alternatives, result.alternatives) if a.convention and r.verdict == CONFIRMED),
                None)


def _finding_reason(claim: Claim, result: ClaimResult, kind: str, largest: Effect) -> str:
    """Why the finding has its class, in a sentence."""
    from theorems.core.text import format_effect

    named = _named_convention(claim, result)
    if kind == CONVENTION and named is not None:
        return f"{named.convention}; the difference, at most {format_effect(largest)}, is that convention"
    if kind == CONVENTION and _material(largest, claim.materiality):  # agrees where a reader uses it only
        return (f"agrees at the representative settings; away from them it differs by up to {format_effect(largest)}: "
                f"{claim.materiality_reason}")
    if kind == CONVENTION:
        return (f"differs by at most {format_effect(largest)}, below the materiality {claim.materiality:.3g}: "
                f"{claim.materiality_reason}")
    if kind == SLIP:
        return f"a wrong line of the derivation ({result.verdict_reason}); the row's result does not rest on it"
    if kind == CAVEAT:
        held = {r.name for r in result.readings if r.verdict == CONFIRMED}
        assumed = "; ".join(f"“{r.name}”: {r.description}" for r in claim.readings if r.name in held and r.description)
        return result.verdict_reason + (f" (what holds assumes {assumed})" if assumed and len(claim.readings) > 1 else "")
    where = "at the representative settings" if claim.representative else "over the domain (no representative settings)"
    return f"wrong {where}: {result.verdict_reason}"


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
