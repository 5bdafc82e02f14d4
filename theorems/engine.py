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
measurements. Measurements are cached per (measurement function, point) for the whole run, so
claims that register the same function share them; each point's random numbers come from a
generator seeded by (run seed, measurement function, point), so a claim's result does not depend
on which other claims ran or in what order.

α is per claim (the run's ``alpha``, not divided by the number of claims selected), split by
Bonferroni over the claim's readings and planned points; the run reports the family-wise bound
(α times the number of claims). Shrinking evaluates more points, but only after the claim is
refuted: it chooses which counterexample to report, not whether there is one.

A reading's verdict: refuted if a point refutes, confirmed if every point confirms, inconclusive
otherwise. Over readings (:func:`combine`): refuted only when every reading is refuted,
conditional when one is confirmed and another refuted, confirmed when all are, inconclusive
otherwise. Partial evidence never refutes.
"""

from __future__ import annotations

import contextlib
import hashlib
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
from theorems.profiles import Profile
from theorems.stats import (
    CONDITIONAL,
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

    @property
    def samples(self) -> int:
        """The most replicates a point may draw."""
        return self.monte_carlo.cap

    def mean(self, draw: Callable[[int], torch.Tensor], *, bytes_per_replicate: int,
             quantities: Mapping[str, Any] | None = None) -> Measurement:
        """Monte Carlo mean of ``draw``'s replicate statistics, as a Measurement: a pilot, then as
        many replicates as the point needs to resolve the stated formula (within the cap)."""
        quantities = dict(quantities or {})
        plan = (lambda pilot: self.plan(quantities, pilot)) if self.plan is not None else None
        estimate = self.monte_carlo.mean(draw, bytes_per_replicate=bytes_per_replicate, plan=plan)
        return Measurement(estimate.mean, se=estimate.se, samples=estimate.samples, quantities=quantities)


def point_seed(run_seed: int, key: str, reading: str, params: Params) -> int:
    """A 63-bit seed from (run seed, a key, a reading name, a point), independent of everything else."""
    text = json.dumps([run_seed, key, reading, canonical(params)], sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def canonical(params: Params) -> dict[str, Any]:
    """Parameters as plain JSON values, sorted by name."""
    return {key: plain(params[key]) for key in sorted(params)}


def plain(value: Any) -> Any:
    """A value as plain JSON: non-finite floats as the strings "inf", "-inf", "nan"."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, torch.Tensor):
        return plain(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return repr(value)


def measure_key(claim: Claim) -> str:
    """Names a claim's measurement function: claims registering the same function share it."""
    return f"{claim.measure.__module__}.{claim.measure.__qualname__}"


class MeasurementCache:
    """Measurements of one run, per (measurement function, point), shared by the claims using them.

    A deterministic measurement is the same whichever claim asks. A Monte Carlo one is not: its
    sample size is planned for the claim that drew it (its formula, band and α), so another claim
    measures the point again under its own plan. Either way a claim's result does not depend on
    which claims ran before it."""

    def __init__(self) -> None:
        self._store: dict[str, tuple[str, Measurement]] = {}

    @staticmethod
    def key(claim: Claim, point: Params) -> str:
        return json.dumps([measure_key(claim), canonical(point)], sort_keys=True)

    def get(self, key: str, claim: Claim) -> Measurement | None:
        owner, measurement = self._store.get(key, (None, None))
        if measurement is None or (measurement.se is not None and owner != claim.id):
            return None
        return measurement

    def put(self, key: str, claim: Claim, measurement: Measurement) -> None:
        self._store[key] = (claim.id, measurement)


@dataclass
class Judged:
    """A formula judged at one point."""

    reading: str
    params: dict[str, Any]
    verdict: PointVerdict
    measurement: Measurement
    formula_value: Any
    origin: str = "explore"  # "design", "explore", "targeted" or "shrink"

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
        verdicts = {judged.verdict.verdict for judged in self.points}
        if REFUTED in verdicts:
            self.verdict = REFUTED
            if self.counterexample is None:
                self.counterexample = next(j for j in self.points if j.verdict.verdict == REFUTED)
        elif verdicts == {CONFIRMED}:
            self.verdict = CONFIRMED
        else:
            self.verdict = INCONCLUSIVE


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
        return measurement
    try:
        array = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ClaimError(f"the measurement's value is a {type(value).__name__}, not a number, an array or a "
                         "label") from None
    finite = bool(np.all(np.isfinite(array))) and (measurement.se is None or math.isfinite(measurement.se))
    if not finite and not claim.may_diverge:
        raise ClaimError(f"the measurement is not finite ({plain(value) if array.size < 8 else 'an array with inf/nan'}"
                         f", se {measurement.se}); declare may_diverge=True if divergence is a possible outcome")
    return measurement


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
        self.point_alpha = config.alpha / (planned * len(claim.readings))
        self.monte_carlo = MonteCarlo(pilot=max(2, int(profile.pilot * claim.samples_factor)),
                                      cap=max(2, int(profile.cap * claim.samples_factor)), max_bytes=config.max_bytes)
        self.cache = cache if cache is not None else MeasurementCache()
        self._used: dict[str, int] = {}  # cache key -> Monte Carlo replicates of each point this claim used
        self._on_point = on_point

    # -- measuring ---------------------------------------------------------------------------
    def measure(self, reading: Reading, params: Params) -> Measurement:
        point = {**params, **reading.params}
        key = self.cache.key(self.claim, point)
        measurement = self.cache.get(key, self.claim)
        if measurement is None:
            generator = torch.Generator(device=self.config.device)
            generator.manual_seed(point_seed(self.config.seed, measure_key(self.claim), "", point))
            ctx = Context(self.config.device, self.config.dtype, generator, self.monte_carlo,
                          plan=lambda quantities, pilot: self._plan(point, quantities, pilot))
            measurement = validate(self.claim, self.claim.measure(point, ctx))
            self.cache.put(key, self.claim, measurement)
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
    def judge(self, formula: Callable[[Params], Any], reading: Reading, params: Params, origin: str) -> Judged:
        point = {**params, **reading.params}
        measurement = self.measure(reading, params)
        p = {**point, **measurement.quantities}
        value = formula(p)
        claim = self.claim
        if measurement.se is not None:
            verdict = judge_stochastic(float(measurement.value), measurement.se, value,
                                       alpha=self.point_alpha, resolution=claim.resolution, atol=claim.atol,
                                       scale=claim.scale(p) if claim.scale is not None else None,
                                       relation=claim.relation)
        else:
            verdict = judge_deterministic(measurement.value, value, relation=claim.relation,
                                          rtol=claim.resolution, atol=claim.atol)
        return Judged(reading.name, point, verdict, measurement, value, origin)

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
                for outcome, formula in zip(outcomes, formulas):
                    outcome.points.append(self.judge(formula, reading, params, origin))
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


def combine(outcomes: Mapping[str, FormulaOutcome]) -> tuple[str, str]:
    """A formula's verdict over readings, and the reason in words."""
    verdicts = {name: outcome.verdict for name, outcome in outcomes.items()}
    held = [name for name, v in verdicts.items() if v == CONFIRMED]
    failed = [name for name, v in verdicts.items() if v == REFUTED]
    open_ = [name for name, v in verdicts.items() if v == INCONCLUSIVE]
    single = len(verdicts) == 1
    if failed and not held and not open_:
        return REFUTED, "refuted" if single else f"refuted under every reading ({_names(failed)})"
    if held and failed:
        reason = f"holds under {_names(held)}; refuted under {_names(failed)}"
        return CONDITIONAL, reason + (f"; unresolved under {_names(open_)}" if open_ else "")
    if held and not open_:
        return CONFIRMED, "every evaluated point agrees within the resolution"
    parts = [f"refuted under {_names(failed)}"] if failed else []
    parts += [f"holds under {_names(held)}"] if held else []
    parts.append("some points' intervals straddle the resolution band" + ("" if single else f" under {_names(open_)}")
                 + ": more samples (a larger profile) are needed")
    return INCONCLUSIVE, "; ".join(parts)


def _names(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def check_claim(claim: Claim, config: RunConfig, *, cache: MeasurementCache | None = None,
                on_point: Callable[[], None] | None = None) -> dict[str, Any]:
    """Check one claim; returns its entry of results.json (see docs/results-schema.md).

    A check that raises (a bug in a claim, not a finding) gives verdict inconclusive with the
    error in ``error``, so one broken claim does not sink a whole run.
    """
    start = time.perf_counter()
    checker = ClaimChecker(claim, config, cache=cache, on_point=on_point)
    result = {
        "id": claim.id,
        "title": claim.title,
        "inventory_ids": list(claim.inventory_ids),
        "source": {"document": claim.source.document, "section": claim.source.section},
        "statement": claim.statement,
        "assumptions": list(claim.assumptions),
        "kind": claim.kind,
        "relation": claim.relation,
        "verdict": INCONCLUSIVE,
        "verdict_reason": "",
        "alpha": checker.claim_alpha,
        "point_alpha": checker.point_alpha,
        "resolution": claim.resolution,
        "atol": claim.atol,
        "readings": [{"name": r.name, "description": r.description, "verdict": INCONCLUSIVE}
                     for r in claim.readings],
        "evidence": [],
        "coverage": None,
        "counterexample": None,
        "alternatives": [],
        "mutants": [{"statement": m.statement, "verdict": INCONCLUSIVE, "counterexample": None}
                    for m in claim.mutants],
        "figure": {"kind": claim.figure.kind, "x": claim.figure.x, "xlabel": claim.figure.xlabel,
                   "ylabel": claim.figure.ylabel, "logx": claim.figure.logx,
                   "logy": claim.figure.logy, "series": claim.figure.series},
        "device": str(config.device),
        "error": None,
    }
    try:
        result.update(_judge_claim(claim, checker))
    except Exception as error:  # noqa: BLE001 - reported in the result, with its traceback
        result["verdict_reason"] = f"the check failed: {type(error).__name__}: {error}"
        result["error"] = traceback.format_exc()
    result["samples"] = checker.samples
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def _judge_claim(claim: Claim, checker: ClaimChecker) -> dict[str, Any]:
    """The verdicts of the stated formula, the mutants and the alternatives, reading by reading."""
    formulas: list[Formula] = [Formula(claim.statement, claim.stated), *claim.mutants, *claim.alternatives]
    by_reading: dict[str, list[FormulaOutcome]] = {}
    for reading in claim.readings:
        applies = [i for i, f in enumerate(formulas) if i <= len(claim.mutants) or f.reading in (None, reading.name)]
        outcomes = checker.check_reading(reading, [formulas[i].value for i in applies])
        by_reading[reading.name] = [None] * len(formulas)  # type: ignore[list-item]
        for i, outcome in zip(applies, outcomes):
            by_reading[reading.name][i] = outcome

    def outcomes_of(index: int) -> dict[str, FormulaOutcome]:
        return {name: outcomes[index] for name, outcomes in by_reading.items() if outcomes[index] is not None}

    stated = outcomes_of(0)
    verdict, reason = combine(stated)
    mutants = [{"statement": m.statement, "verdict": combine(outcomes_of(i))[0],
                "counterexample": _first_counterexample(outcomes_of(i))}
               for i, m in enumerate(claim.mutants, start=1)]
    alternatives = [{"statement": a.statement, "reading": a.reading, "verdict": combine(outcomes_of(i))[0]}
                    for i, a in enumerate(claim.alternatives, start=len(claim.mutants) + 1)]
    points = [j for outcome in stated.values() for j in outcome.points]
    evidence = [_evidence(j) for j in points]
    if any(j.design for j in points):  # trajectories are drawn for the design points: keep only theirs
        for j, e in zip(points, evidence):
            e["trace"] = e["trace"] if j.design else None
    return {
        "verdict": verdict,
        "verdict_reason": reason,
        "readings": [{"name": r.name, "description": r.description, "verdict": stated[r.name].verdict}
                     for r in claim.readings],
        "evidence": evidence,
        "coverage": _coverage(checker.dims, points),
        "counterexample": _first_counterexample(stated),
        "alternatives": alternatives,
        "mutants": mutants,
    }


def _coverage(dims: list[Dimension], points: list[Judged]) -> dict[str, Any]:
    """How many points were evaluated, by origin, and the range each parameter took."""
    origins = ("design", "explore", "targeted", "shrink")
    parameters: dict[str, Any] = {}
    for d in dims:
        values = [j.params[d.name] for j in points if d.name in j.params]
        if d.kind in ("int", "float") and values:
            parameters[d.name] = {"min": plain(min(values)), "max": plain(max(values)),
                                  "domain": [plain(d.low), plain(d.high)]}
        elif d.kind == "choice":
            parameters[d.name] = {"values": len({json.dumps(plain(v)) for v in values}), "of": len(d.choices)}
    return {"points": len(points), **{origin: sum(j.origin == origin for j in points) for origin in origins},
            "parameters": parameters}


def _first_counterexample(outcomes: Mapping[str, FormulaOutcome]) -> dict[str, Any] | None:
    for outcome in outcomes.values():
        if outcome.counterexample is not None:
            e = _evidence(outcome.counterexample)
            return {key: e[key] for key in ("reading", "params", "estimate", "stated", "ci_low", "ci_high")}
    return None


def _evidence(judged: Judged) -> dict[str, Any]:
    v, m = judged.verdict, judged.measurement
    trace = None
    if m.trace is not None:
        # a trace may keep some elements of an array measurement ("index"); the formula's values
        # at the same elements are drawn beside them
        trace = {key: plain(val) for key, val in m.trace.items() if key != "index"}
        stated = np.asarray(plain(judged.formula_value), dtype=object)
        if "stated" not in trace and stated.ndim == 1:
            index = m.trace.get("index")
            trace["stated"] = plain(stated[np.asarray(index)] if index is not None else stated)
    return {
        "reading": judged.reading,
        "params": canonical(judged.params),
        "estimate": plain(v.estimate),
        "stated": plain(v.stated),
        "ci_low": plain(v.ci_low),
        "ci_high": plain(v.ci_high),
        "se": plain(m.se),
        "detectable": plain(v.detectable),
        "margin": plain(v.margin),
        "samples": m.samples,
        "verdict": v.verdict,
        "design": judged.design,
        "origin": judged.origin,
        "trace": trace,
    }
