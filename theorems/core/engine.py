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
Bonferroni over the claim's readings, planned points and the looks at a point
(:class:`theorems.core.measurement.SamplePlan`: a pilot look that may only refute, so that a grossly
wrong point is decided without drawing the replicates its band would need; the planned look; and
a second look with more replicates for a point left unresolved); the run reports the family-wise
bound (α times the number of claims). Shrinking evaluates more points, but only after the claim is
refuted: it chooses which counterexample to report, not whether there is one.

Points are judged by :mod:`theorems.core.stats`; readings and claims by :mod:`theorems.core.rules`. The
result is a :class:`theorems.core.results.ClaimResult`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
import random
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import numpy as np
import torch

from theorems.core.budget import TimeBudget
from theorems.core.claim import Claim, ClaimError, Formula, Measurement, Params, Reading
from theorems.core.domain import Dimension, dimensions, shrink, space_filling, strategy_of
from theorems.core.expressions import Expression
from theorems.core.measurement import (
    PILOT_LOOK,
    PLANNED_LOOK,
    SECOND_LOOK,
    CacheKey,
    MeasurementCache,
    RunConfig,
    SamplePlan,
    point_seed,
)
from theorems.core.results import (
    Alternative,
    ClaimResult,
    Counterexample,
    Coverage,
    Effect,
    Effects,
    Finding,
    Mutant,
    Point,
    ReadingVerdict,
    canonical,
    plain,
)
from theorems.core.rules import CAVEAT, CONVENTION, ERRATUM, SLIP, combine, reading_verdict, weigh
from theorems.core.stats import (
    CONFIRMED,
    INCONCLUSIVE,
    REFUTED,
    Estimate,
    MonteCarlo,
    PointVerdict,
    band_of,
    judge_deterministic,
    judge_stochastic,
    planned_samples,
)

# A point's share of α is split over its looks (SamplePlan), by Bonferroni: most goes to the planned
# look. The pilot look decides only points tens of standard errors away, and the second look has four
# times the replicates, so a tenth of the share each (a slightly wider z) costs them nothing they need.
PILOT_LOOK_SHARE = 0.1
SECOND_LOOK_SHARE = 0.1
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
    looks: int = PLANNED_LOOK  # 0: decided at the pilot look; 2: judged on a second, larger measurement

    @property
    def design(self) -> bool:
        """A point the claim declares (drawn in its figure): a representative or a design point."""
        return self.origin in ("representative", "design")


class FormulaRole(enum.Enum):
    """What a formula is to its claim. Every role is judged on the very same measurements."""

    STATED = "stated"  # the document's formula: it decides the claim's verdict
    MUTANT = "mutant"  # a plausible wrong formula that the check must refute: the check's power
    ALTERNATIVE = "alternative"  # a formula the measurement may agree with instead (a convention, a correction)


@dataclass
class Candidate:
    """One of a claim's formulas in its role, with its outcome under each reading it applies under."""

    role: FormulaRole
    formula: Formula
    outcomes: dict[str, FormulaOutcome] = field(default_factory=dict)  # reading name -> outcome

    def applies(self, reading: Reading) -> bool:
        """Judged under its own reading where it names one, else under every reading."""
        return self.formula.reading in (None, reading.name)

    @property
    def verdict(self) -> str:
        """The verdict over the readings it applies under."""
        return combine({name: outcome.verdict for name, outcome in self.outcomes.items()})[0]


def candidates(claim: Claim) -> list[Candidate]:
    """The claim's formulas in their roles: the stated one, the mutants, the alternatives."""
    return [Candidate(FormulaRole.STATED, Formula(claim.statement, claim.stated)),
            *(Candidate(FormulaRole.MUTANT, mutant) for mutant in claim.mutants),
            *(Candidate(FormulaRole.ALTERNATIVE, alternative) for alternative in claim.alternatives)]


def _stated(candidates: list[Candidate], items: list[Any]) -> Any:
    """Of ``items`` (one per candidate), the stated formula's."""
    return next(item for candidate, item in zip(candidates, items) if candidate.role is FormulaRole.STATED)


def _decided_by_pilot(candidates: list[Candidate], judged: list[Judged]) -> bool:
    """Whether a pilot look decides its point: it refutes the stated formula and every alternative (what
    may be true instead, which only the planned sample can confirm). Mutants are judged on what was drawn."""
    return all(j.verdict.verdict == REFUTED for c, j in zip(candidates, judged) if c.role is not FormulaRole.MUTANT)


@dataclass
class FormulaOutcome:
    """A formula's verdict under one reading, from its evaluated points."""

    role: FormulaRole
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
        # a point's verdict may be taken at up to three looks (judge_point): the planned look gets most of its α
        self.look_alpha = {PILOT_LOOK: per_point * PILOT_LOOK_SHARE if config.pilot_look else 0.0,
                           SECOND_LOOK: per_point * SECOND_LOOK_SHARE if profile.second_look else 0.0}
        self.point_alpha = self.look_alpha[PLANNED_LOOK] = per_point - sum(self.look_alpha.values())
        self.monte_carlo = MonteCarlo(pilot=max(2, int(profile.pilot * claim.samples_factor)),
                                      cap=max(2, int(profile.cap * claim.samples_factor)), max_bytes=config.max_bytes)
        self.cache = cache if cache is not None else MeasurementCache()
        self.plans: dict[CacheKey, SamplePlan] = {}  # each evaluated point's sample plan, by its cache key
        self._on_point = on_point
        self.budget = TimeBudget(config.budget, readings=len(claim.readings))
        self.shrink_errors: list[tuple[str, str]] = []  # (error, traceback) of each shrinking a check stopped

    @functools.cached_property
    def dims(self) -> list[Dimension]:
        """The domain's dimensions, read when checking: an invalid domain is an error of this claim."""
        return dimensions(self.claim.domain)

    # -- measuring ---------------------------------------------------------------------------
    def plan(self, reading: Reading, params: Params) -> SamplePlan:
        """The point's sample plan (one per point: its looks, its replicates and its cache entry)."""
        point = {**params, **reading.params}
        key = self.cache.key(self.claim, point)
        if key not in self.plans:
            self.plans[key] = SamplePlan(self.claim, point, self.config, self.cache,
                                         functools.partial(self._needed, point), self.monte_carlo,
                                         on_measured=self._on_point)
        return self.plans[key]

    @property
    def samples(self) -> int:
        """Monte Carlo replicates behind this claim's points (whichever claim drew them first)."""
        return sum(plan.used for plan in self.plans.values())

    @property
    def replicates_saved(self) -> int:
        """Replicates the pilot looks saved, net: planned − drawn where a pilot look decided a point,
        minus each pilot drawn again where one did not."""
        return sum(plan.saved for plan in self.plans.values())

    def _needed(self, point: Params, quantities: Mapping[str, Any], pilot: Estimate) -> int:
        """Replicates this point needs for the stated formula's band to be resolved."""
        p = {**point, **quantities}
        claim = self.claim
        band, _ = band_of(claim.stated_function(p), resolution=claim.resolution, atol=claim.atol,
                          scale=claim.scale(p) if claim.scale is not None else None)
        return planned_samples(pilot, band=band, alpha=self.point_alpha, z_margin=self.config.profile.z_margin)

    # -- judging -----------------------------------------------------------------------------
    def judge(self, formula: Callable[[Params], Any], reading: Reading, params: Params, origin: str,
              measurement: Measurement, look: int) -> Judged:
        """``formula`` judged on the point's measurement at look ``look``, at that look's α."""
        point = {**params, **reading.params}
        p = {**point, **measurement.quantities}
        value = formula(p)
        claim = self.claim
        if measurement.se is not None:
            verdict = judge_stochastic(float(measurement.value), measurement.se, value,
                                       alpha=self.look_alpha[look],
                                       resolution=claim.resolution, atol=claim.atol,
                                       scale=claim.scale(p) if claim.scale is not None else None,
                                       relation=claim.relation)
        else:
            verdict = judge_deterministic(measurement.value, value, relation=claim.relation,
                                          rtol=claim.resolution, atol=claim.atol)
        return Judged(reading.name, point, verdict, measurement, value, origin, look)

    def judge_point(self, candidates: list[Candidate], reading: Reading, params: Params, origin: str, *,
                    second_look: bool = True) -> list[Judged]:
        """Every candidate formula judged at a point, look by look (:class:`SamplePlan`), each look
        at its share of the point's α (``look_alpha``), so the looks together keep the claim's α:

        - a pilot look that refutes the stated formula and every alternative decides the point (never
          one that confirms: an alternative that may hold needs the planned sample to be confirmed);
        - else the planned look;
        - where its interval for the stated formula straddles the band (and ``second_look``), a
          second look with ``profile.second_look`` times the replicates."""
        plan = self.plan(reading, params)

        def judged_on(measurement: Measurement, look: int) -> list[Judged]:
            return [self.judge(c.formula.function, reading, params, origin, measurement, look)
                    for c in candidates]

        look, measurement = plan.first_look()
        judged = judged_on(measurement, look)
        if look == PILOT_LOOK and not _decided_by_pilot(candidates, judged):
            judged = judged_on(plan.planned_look(), PLANNED_LOOK)
        if second_look and _stated(candidates, judged).verdict.verdict == INCONCLUSIVE:
            again = plan.look_again(self.config.profile.second_look)
            judged = judged_on(again, SECOND_LOOK) if again is not None else judged
        return judged

    def accept(self, reading: Reading) -> Callable[[Mapping[str, Any]], bool] | None:
        constraint = self.claim.constraint
        if constraint is None:
            return None
        return lambda params: bool(constraint({**params, **reading.params}))

    def check_reading(self, reading: Reading, candidates: list[Candidate]) -> list[FormulaOutcome]:
        """Every candidate formula (the stated one among them) judged on the reading's points."""
        dims = [d for d in self.dims if d.name not in reading.params]
        accept = self.accept(reading)
        outcomes = [FormulaOutcome(candidate.role) for candidate in candidates]
        stated = _stated(candidates, outcomes)
        self.budget.start_reading()

        position: dict[str, int] = {}  # point (without the reading's parameters) -> its place in every outcome

        def evaluate(params: Mapping[str, Any], origin: str) -> list[Judged]:
            """Every formula judged at a point, once: a point met again returns its first judgement."""
            params = {k: v for k, v in params.items() if k not in reading.params}
            key = json.dumps(canonical(params))
            if key not in position:  # recorded once judged: a judgement that raises is raised again if met again
                judged_point = self.judge_point(candidates, reading, params, origin)
                position[key] = len(stated.points)
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
        first = sum(origin != "explore" for _, origin in planned) or 1  # these measure what a point costs
        for params, origin in planned[:first]:
            evaluate(params, origin)
        explore, examples = self.budget.further(self.explore, self.examples, planned=len(planned) - first,
                                                replicates=[j.measurement.samples for j in stated.points])
        for params, origin in planned[first:] if explore == self.explore else [
                (params, "explore") for params in space_filling(dims, explore, seed=explore_seed, accept=accept,
                                                                fixed=reading.params)]:
            evaluate(params, origin)
        for index, outcome in enumerate(outcomes):  # the index keys the search's seed
            if outcome.role is FormulaRole.STATED or not any(j.verdict.verdict == REFUTED for j in outcome.points):
                self._targeted(reading, dims, accept, index, evaluate, examples)
        for outcome in outcomes:
            outcome.settle()
        if stated.verdict == REFUTED and self.config.profile.shrink > 0:
            stated.counterexample = self._shrink(_stated(candidates, candidates), reading, dims, accept,
                                                 stated.counterexample)
        return outcomes

    def _targeted(self, reading: Reading, dims: list[Dimension], accept, index: int, evaluate, examples: int) -> None:
        """hypothesis, steered toward the smallest margin of the reading's formula ``index``, until it refutes."""
        if examples <= 0 or not dims:
            return

        def refutes(params: dict[str, Any]) -> bool:
            judged = evaluate(params, "targeted")[index]
            margin = judged.verdict.margin
            if margin is None:  # a behaviour label: agreement is all there is
                margin = 0.0 if judged.verdict.verdict != REFUTED else -1.0
            hypothesis.target(-float(margin) if math.isfinite(margin) else 1e12, label="excess deviation")
            return judged.verdict.verdict == REFUTED

        settings = hypothesis.settings(
            max_examples=examples, database=None, deadline=None, derandomize=False,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate, hypothesis.Phase.target])
        seed = point_seed(self.config.seed, self.claim.key, reading.name, {"formula": index})
        try:
            # the same points in every process for the same seed: strategy_of draws positions as coin flips
            hypothesis.find(strategy_of(dims, accept, reading.params), refutes, settings=settings,
                            random=random.Random(seed))
        except (hypothesis.errors.NoSuchExample, hypothesis.errors.Unsatisfiable):
            pass

    def _shrink(self, stated: Candidate, reading: Reading, dims: list[Dimension], accept, first: Judged) -> Judged:
        """The first refuting point, simplified while it still refutes. A check that raises while
        shrinking stops it: the simplest refutation found before is kept, and the error is kept in
        ``shrink_errors`` to be reported beside it."""
        start = {k: v for k, v in first.params.items() if k not in reading.params}
        best = first

        def still_fails(params: dict[str, Any]) -> bool:
            nonlocal best
            [judged] = self.judge_point([stated], reading, params, "shrink", second_look=False)
            if judged.verdict.verdict == REFUTED:
                best = judged
                return True
            return False

        try:
            shrink(start, dims, still_fails, budget=self.config.profile.shrink, accept=accept, fixed=reading.params)
        except CHECK_ERRORS as error:
            self.shrink_errors.append((f"{type(error).__name__}: {error}", traceback.format_exc()))
        return best


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
        figure=claim.figure, device=str(config.device),
        stated_latex=claim.stated.latex if isinstance(claim.stated, Expression) else None)
    try:
        _judge_claim(claim, checker, result)
        result.exact = [entry.evidence(claim, result) for entry in claim.exact]
    except CHECK_ERRORS as error:  # reported in the result, with its traceback
        result.verdict_reason = f"the check failed: {type(error).__name__}: {error}"
        result.error = traceback.format_exc()
    else:
        _report_shrink_errors(checker, result)
    if note := checker.budget.note():  # what the time budget left out
        result.verdict_reason += f" ({note})"
        result.coverage = dataclasses.replace(result.coverage, budget=note) if result.coverage is not None else None
    result.samples = checker.samples
    result.replicates_saved = checker.replicates_saved
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def look_shares(config: RunConfig) -> str:
    """How a point's share of α is split over its looks, in words (for the run's ``alpha_split``)."""
    shares = [(PILOT_LOOK_SHARE if config.pilot_look else 0.0, "its pilot look, which only refutes"),
              (SECOND_LOOK_SHARE if config.profile.second_look else 0.0, "a second look")]
    taken = [(share, look) for share, look in shares if share > 0]
    if not taken:
        return ""
    planned = 1.0 - sum(share for share, _ in taken)
    return "; a point’s share goes " + "; ".join([f"{planned:g} to its planned look"] + [
        f"{share:g} to {look}" for share, look in taken])


def _report_shrink_errors(checker: ClaimChecker, result: ClaimResult) -> None:
    """A refutation whose shrinking a check stopped: the counterexample is the simplest refuting
    point found before the error, and the error (a broken check) is reported beside it."""
    if checker.shrink_errors:
        errors = "; ".join(error for error, _ in checker.shrink_errors)
        result.verdict_reason += f" (shrinking the counterexample stopped at an error: {errors})"
        result.error = "\n".join(trace for _, trace in checker.shrink_errors)


def _judge_claim(claim: Claim, checker: ClaimChecker, result: ClaimResult) -> None:
    """The verdicts of the stated formula, the mutants and the alternatives, reading by reading."""
    formulas = candidates(claim)
    for reading in claim.readings:
        applying = [candidate for candidate in formulas if candidate.applies(reading)]
        for candidate, outcome in zip(applying, checker.check_reading(reading, applying)):
            candidate.outcomes[reading.name] = outcome
    stated = _stated(formulas, formulas).outcomes
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
    result.mutants = [Mutant(c.formula.statement, c.verdict, _first_counterexample(claim, c.outcomes))
                      for c in formulas if c.role is FormulaRole.MUTANT]
    result.alternatives = [Alternative(c.formula.statement, c.verdict, c.formula.reading)
                           for c in formulas if c.role is FormulaRole.ALTERNATIVE]
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
        if d.kind in ("int", "float") and not d.dependent and values:
            parameters[d.name] = {"min": plain(min(values)), "max": plain(max(values)),
                                  "domain": [plain(d.low), plain(d.high)]}
        elif d.kind == "choice":
            parameters[d.name] = {"values": len({json.dumps(plain(v)) for v in values}), "of": len(d.choices)}
    def count(origin: str) -> int:
        return sum(j.origin == origin for j in points)

    return Coverage(points=len(points), design=count("design"), explore=count("explore"), targeted=count("targeted"),
                    shrink=count("shrink"), representative=count("representative"), parameters=parameters)


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
                 trace=_trace(judged, m.trace) if trace and m.trace is not None else None,
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


def _trace(judged: Judged, recorded: Mapping[str, Any]) -> dict[str, Any]:
    """A measurement's trace (``recorded``) for trajectory figures. A trace may keep some elements of an array
    measurement ("index"); the formula's values at the same elements are drawn beside them."""
    trace = {key: plain(val) for key, val in recorded.items() if key != "index"}
    stated = np.asarray(plain(judged.formula_value), dtype=object)
    if "stated" not in trace and stated.ndim == 1:
        index = recorded.get("index")
        trace["stated"] = plain(stated[np.asarray(index)] if index is not None else stated)
    return trace
