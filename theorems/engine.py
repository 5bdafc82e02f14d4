"""The engine: measures a claim over its domain and decides its verdict.

For every reading of a claim and every formula (the stated one, each mutant, each alternative):

1. the claim's design points are evaluated (they draw the figures and pin the corners);
2. hypothesis explores the domain, deterministically for the run seed, and when a point refutes
   the formula it shrinks that point to a minimal counterexample.

Measurements are cached per point, so the mutants and alternatives are judged on the very same
measurements as the claim. Each point draws its random numbers from a generator seeded by
(run seed, claim id, reading, point), so a claim's result does not depend on which other claims
ran or in what order.

The false-alarm budget α is split by Bonferroni: α / (number of claims) per claim, then over the
claim's readings and planned points (design points + hypothesis examples). Shrinking evaluates
more points, but only after the claim is already refuted: it chooses which counterexample to
report, not whether there is one.
"""

from __future__ import annotations

import hashlib
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
import hypothesis.strategies as st
import numpy as np
import torch

from theorems.claim import Claim, Formula, Measurement, Params, Reading
from theorems.stats import (
    CONDITIONAL,
    CONFIRMED,
    INCONCLUSIVE,
    REFUTED,
    Estimate,
    MonteCarlo,
    PointVerdict,
    judge_deterministic,
    judge_stochastic,
)


@dataclass(frozen=True)
class Profile:
    """How much work a run spends per claim."""

    name: str
    samples: int  # Monte Carlo replicates per stochastic point (times the claim's samples_factor)
    examples: int  # hypothesis examples per claim, reading and formula
    design: int | None  # how many of a claim's design points to evaluate (None: all)
    description: str = ""


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("smoke", samples=4_000, examples=3, design=4,
                description="seconds: every claim and mutant runs, few points, wide intervals"),
        Profile("standard", samples=60_000, examples=12, design=None,
                description="minutes on a laptop CPU: the default, resolves the headline claims"),
        Profile("thorough", samples=400_000, examples=40, design=None,
                description="a GPU or a long CPU run: narrow intervals, wide search"),
    )
}


@dataclass(frozen=True)
class RunConfig:
    """Everything a run's numbers depend on."""

    profile: Profile
    seed: int = 0
    device: torch.device = torch.device("cpu")
    dtype: torch.dtype = torch.float32  # sampling dtype; moments accumulate in float64
    alpha: float = 0.01  # false-alarm budget of the whole run
    max_bytes: int = 256 * 2**20  # memory cap of one Monte Carlo chunk

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

    @property
    def samples(self) -> int:
        return self.monte_carlo.samples

    def mean(self, draw: Callable[[int], torch.Tensor], *, bytes_per_replicate: int,
             quantities: Mapping[str, Any] | None = None) -> Measurement:
        """Monte Carlo mean of ``draw``'s replicate statistics, as a Measurement."""
        estimate: Estimate = self.monte_carlo.mean(draw, bytes_per_replicate=bytes_per_replicate)
        return Measurement(estimate.mean, se=estimate.se, samples=estimate.samples,
                           quantities=dict(quantities or {}))


def point_seed(run_seed: int, claim_id: str, reading: str, params: Params) -> int:
    """A 63-bit seed from (run seed, claim, reading, point), independent of everything else."""
    text = json.dumps([run_seed, claim_id, reading, canonical(params)], sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def canonical(params: Params) -> dict[str, Any]:
    """Parameters as plain JSON values, sorted by name."""
    return {key: _plain(params[key]) for key in sorted(params)}


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, torch.Tensor):
        return _plain(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


@dataclass
class Judged:
    """A formula judged at one point."""

    reading: str
    params: dict[str, Any]
    verdict: PointVerdict
    measurement: Measurement
    formula_value: Any
    design: bool = False  # a design point (drawn in figures), not a point found by the search


@dataclass
class FormulaOutcome:
    """A formula's verdict under one reading, from its evaluated points."""

    verdict: str
    points: list[Judged] = field(default_factory=list)  # design + exploration, in order
    counterexample: Judged | None = None  # the shrunk refuting point


class ClaimChecker:
    """Checks one claim under a run configuration."""

    def __init__(self, claim: Claim, config: RunConfig, *, claim_alpha: float,
                 on_point: Callable[[], None] | None = None) -> None:
        self.claim = claim
        self.config = config
        self.design = list(claim.design[: config.profile.design])
        planned = (len(self.design) + config.profile.examples) * len(claim.readings)
        self.claim_alpha = claim_alpha
        self.point_alpha = claim_alpha / planned
        self.samples = max(2, int(config.profile.samples * claim.samples_factor))
        self._cache: dict[str, Measurement] = {}
        self._on_point = on_point

    # -- measuring ---------------------------------------------------------------------------
    @staticmethod
    def _key(reading: Reading, params: Params) -> str:
        return json.dumps([reading.name, canonical({**params, **reading.params})], sort_keys=True)

    def measure(self, reading: Reading, params: Params) -> Measurement:
        point = {**params, **reading.params}
        key = self._key(reading, params)
        if key not in self._cache:
            generator = torch.Generator(device=self.config.device)
            generator.manual_seed(point_seed(self.config.seed, self.claim.id, reading.name, point))
            ctx = Context(self.config.device, self.config.dtype, generator,
                          MonteCarlo(samples=self.samples, max_bytes=self.config.max_bytes))
            measurement = self.claim.measure(point, ctx)
            if not isinstance(measurement, Measurement):
                measurement = Measurement(measurement)
            self._cache[key] = measurement
            if self._on_point is not None:
                self._on_point()
        return self._cache[key]

    @property
    def total_samples(self) -> int:
        return sum(m.samples for m in self._cache.values())

    # -- judging -----------------------------------------------------------------------------
    def judge(self, formula: Callable[[Params], Any], reading: Reading, params: Params) -> Judged:
        point = {**params, **reading.params}
        measurement = self.measure(reading, params)
        p = {**point, **measurement.quantities}
        value = formula(p)
        claim = self.claim
        if measurement.se is not None:
            scale = claim.scale(p) if claim.scale is not None else None
            verdict = judge_stochastic(float(measurement.value), measurement.se, value,
                                       alpha=self.point_alpha, resolution=claim.resolution,
                                       scale=scale, relation=claim.relation)
        else:
            verdict = judge_deterministic(measurement.value, value, relation=claim.relation,
                                          rtol=claim.resolution, atol=claim.atol)
        return Judged(reading.name, point, verdict, measurement, value)

    def search(self, formula: Formula | Callable[[Params], Any], reading: Reading,
               formula_index: int) -> FormulaOutcome:
        """Design points, then hypothesis exploration and shrinking, for one formula."""
        value = formula.value if isinstance(formula, Formula) else formula
        outcome = FormulaOutcome(INCONCLUSIVE)
        for params in self.design:
            judged = self.judge(value, reading, params)
            judged.design = True
            outcome.points.append(judged)
            if judged.verdict.verdict == REFUTED and outcome.counterexample is None:
                outcome.counterexample = judged
        strategy = st.fixed_dictionaries(
            {name: s for name, s in self.claim.domain.items() if name not in reading.params})
        if self.claim.constraint is not None:
            strategy = strategy.filter(lambda params: self.claim.constraint({**params, **reading.params}))
        refuted_yet = outcome.counterexample is not None
        shrink_budget = 4 * self.config.profile.examples + 8  # new points measured after a refutation

        def refutes(params: dict[str, Any]) -> bool:
            nonlocal refuted_yet, shrink_budget
            if refuted_yet and self._key(reading, params) not in self._cache:
                if shrink_budget <= 0:
                    return False  # shrinking stops here; the best counterexample so far stands
                shrink_budget -= 1
            judged = self.judge(value, reading, params)
            if not refuted_yet:
                outcome.points.append(judged)
            failed = judged.verdict.verdict == REFUTED
            refuted_yet = refuted_yet or failed
            return failed

        settings = hypothesis.settings(
            max_examples=max(1, self.config.profile.examples), database=None, deadline=None,
            derandomize=False, suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink])
        seed = point_seed(self.config.seed, self.claim.id, reading.name, {"formula": formula_index})
        if self.config.profile.examples > 0:
            try:
                found = hypothesis.find(strategy, refutes, settings=settings, random=random.Random(seed))
            except (hypothesis.errors.NoSuchExample, hypothesis.errors.Unsatisfiable):
                found = None
            if found is not None:
                outcome.counterexample = self.judge(value, reading, found)
        verdicts = {judged.verdict.verdict for judged in outcome.points}
        if outcome.counterexample is not None:
            outcome.verdict = REFUTED
        elif verdicts == {CONFIRMED}:
            outcome.verdict = CONFIRMED
        return outcome

    def check_formula(self, formula: Formula | Callable[[Params], Any], formula_index: int,
                      readings: tuple[Reading, ...] | None = None) -> dict[str, FormulaOutcome]:
        return {reading.name: self.search(formula, reading, formula_index)
                for reading in (readings or self.claim.readings)}


def combine(outcomes: Mapping[str, FormulaOutcome]) -> tuple[str, str]:
    """A formula's verdict over readings, and the reason in words."""
    verdicts = {name: outcome.verdict for name, outcome in outcomes.items()}
    held = [name for name, v in verdicts.items() if v == CONFIRMED]
    failed = [name for name, v in verdicts.items() if v == REFUTED]
    open_ = [name for name, v in verdicts.items() if v == INCONCLUSIVE]
    if held and failed:
        reason = f"holds under {_names(held)}; refuted under {_names(failed)}"
        if open_:
            reason += f"; unresolved under {_names(open_)}"
        return CONDITIONAL, reason
    if failed:
        reason = "refuted" if len(verdicts) == 1 else f"refuted under {_names(failed)}"
        return REFUTED, reason + (f"; unresolved under {_names(open_)}" if open_ else "")
    if not open_:
        return CONFIRMED, "every evaluated point agrees within the resolution"
    return INCONCLUSIVE, ("some points' intervals straddle the resolution band: more samples "
                          f"are needed ({_names(open_)})")


def _names(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def check_claim(claim: Claim, config: RunConfig, *, n_claims: int = 1,
                on_point: Callable[[], None] | None = None) -> dict[str, Any]:
    """Check one claim; returns its entry of results.json (see docs/results-schema.md).

    A check that raises (a bug in a claim, not a finding) gives verdict inconclusive with the
    error in ``error``, so one broken claim does not sink a whole run.
    """
    start = time.perf_counter()
    checker = ClaimChecker(claim, config, claim_alpha=config.alpha / n_claims, on_point=on_point)
    result = {
        "id": claim.id,
        "title": claim.title,
        "inventory_ids": list(claim.inventory_ids),
        "source": {"document": claim.source.document, "section": claim.source.section},
        "statement": claim.statement,
        "assumptions": list(claim.assumptions),
        "kind": claim.kind,
        "verdict": INCONCLUSIVE,
        "verdict_reason": "",
        "alpha": checker.claim_alpha,
        "point_alpha": checker.point_alpha,
        "resolution": claim.resolution,
        "readings": [{"name": r.name, "description": r.description, "verdict": INCONCLUSIVE}
                     for r in claim.readings],
        "evidence": [],
        "counterexample": None,
        "alternatives": [],
        "mutants": [{"statement": m.statement, "verdict": INCONCLUSIVE, "counterexample": None}
                    for m in claim.mutants],
        "figure": {"kind": claim.figure.kind, "x": claim.figure.x, "xlabel": claim.figure.xlabel,
                   "ylabel": claim.figure.ylabel, "logx": claim.figure.logx,
                   "logy": claim.figure.logy, "series": claim.figure.series},
        "error": None,
    }
    try:
        result.update(_judge_claim(claim, checker))
    except Exception as error:  # noqa: BLE001 - reported in the result, with its traceback
        result["verdict_reason"] = f"the check failed: {type(error).__name__}: {error}"
        result["error"] = traceback.format_exc()
    result["samples"] = checker.total_samples
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def _judge_claim(claim: Claim, checker: ClaimChecker) -> dict[str, Any]:
    """The verdicts of the stated formula, the mutants and the alternatives."""
    stated = checker.check_formula(claim.stated, 0)
    verdict, reason = combine(stated)
    mutants = []
    for index, mutant in enumerate(claim.mutants, start=1):
        outcomes = checker.check_formula(mutant, index)
        mutants.append({"statement": mutant.statement, "verdict": combine(outcomes)[0],
                        "counterexample": _first_counterexample(outcomes)})
    alternatives = []
    for index, alternative in enumerate(claim.alternatives, start=len(claim.mutants) + 1):
        readings = tuple(r for r in claim.readings if alternative.reading in (None, r.name))
        outcomes = checker.check_formula(alternative, index, readings)
        alternatives.append({"statement": alternative.statement, "reading": alternative.reading,
                             "verdict": combine(outcomes)[0]})
    return {
        "verdict": verdict,
        "verdict_reason": reason,
        "readings": [{"name": r.name, "description": r.description, "verdict": stated[r.name].verdict}
                     for r in claim.readings],
        "evidence": [_evidence(j) for outcome in stated.values() for j in outcome.points],
        "counterexample": _first_counterexample(stated),
        "alternatives": alternatives,
        "mutants": mutants,
    }


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
        trace = {key: _plain(val) for key, val in m.trace.items() if key != "index"}
        stated = np.asarray(_plain(judged.formula_value), dtype=object)
        if "stated" not in trace and stated.ndim == 1:
            index = m.trace.get("index")
            trace["stated"] = _plain(stated[np.asarray(index)] if index is not None else stated)
    return {
        "reading": judged.reading,
        "params": canonical(judged.params),
        "estimate": _plain(v.estimate),
        "stated": _plain(v.stated),
        "ci_low": _plain(v.ci_low),
        "ci_high": _plain(v.ci_high),
        "se": _plain(m.se),
        "detectable": _plain(v.detectable),
        "margin": _plain(v.margin),
        "samples": m.samples,
        "verdict": v.verdict,
        "design": judged.design,
        "trace": trace,
    }
