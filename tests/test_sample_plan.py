"""A point's sample plan (core.measurement.SamplePlan), the engine's named formula roles, and early
decisions: a point its pilot already refutes is decided without drawing the planned replicates."""

import dataclasses

import pytest
import torch

from theorems import Formula, Reading, Source, integers
from theorems.core.claim import Claim
from theorems.core.engine import ClaimChecker, FormulaRole, candidates, check_claim
from theorems.core.measurement import PILOT_LOOK, PLANNED_LOOK, SECOND_LOOK, MeasurementCache, RunConfig, SamplePlan
from theorems.core.profiles import Profile
from theorems.core.stats import MonteCarlo

SOURCE = Source("toy.txt", "Toy section")


def profile(**overrides) -> Profile:
    fields = dict(explore=8, examples=4, design=None, pilot=1_000, cap=100_000, z_margin=3.5, shrink=8)
    return Profile("test", **{**fields, **overrides})


def mean_variance_claim(stated=lambda p: 1.0 / p["B"] ** 2, high=4096, **overrides) -> Claim:
    """Var(mean of B standard normal draws) = σ²/B² as a claims file would state it (the truth is σ²/B)."""

    def measure(p, ctx):
        def draw(n):  # n replicates of the squared mean of B draws (its expectation is 0)
            x = torch.randn(n, p["B"], generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
            return x.mean(dim=1).square()

        return ctx.mean(draw, bytes_per_replicate=4 * p["B"])

    fields = dict(
        id="toy-mean-variance", title="Var of a mean", inventory_ids=("000-01",), source=SOURCE,
        statement="Var(mean of B draws) = σ²/B²", kind="stochastic", domain={"B": integers(1, high)},
        measure=measure, stated=stated, mutants=(Formula("σ²/B³", lambda p: 1.0 / p["B"] ** 3),),
        alternatives=(Formula("σ²/B", lambda p: 1.0 / p["B"]),), design=({"B": 4096 if high >= 4096 else high},))
    return Claim(**{**fields, **overrides})


def plan_at(claim: Claim, point, config: RunConfig, needed=lambda quantities, pilot: 4_000, cache=None):
    p = config.profile
    return SamplePlan(claim, point, config, cache or MeasurementCache(), needed,
                      MonteCarlo(pilot=p.pilot, cap=p.cap, max_bytes=config.max_bytes))


# -- named formula roles ----------------------------------------------------------------------------

def test_the_formulas_have_named_roles():
    roles = [c.role for c in candidates(mean_variance_claim())]
    assert roles == [FormulaRole.STATED, FormulaRole.MUTANT, FormulaRole.ALTERNATIVE]


def deterministic_two_readings(mutant_reading):
    """f = k·factor under readings with factor 1 and 2; the mutant f = k agrees under "plain" only."""
    return Claim(
        id="toy-readings", title="f = k·factor", inventory_ids=("000-01",), source=SOURCE, statement="f = k·factor",
        kind="identity", domain={"k": integers(1, 5)}, measure=lambda p, ctx: float(p["k"] * p["factor"]),
        stated=lambda p: float(p["k"] * p["factor"]),
        mutants=(Formula("f = k", lambda p: float(p["k"]), reading=mutant_reading),),
        readings=(Reading("plain", params={"factor": 1}), Reading("doubled", params={"factor": 2})))


def test_a_mutant_restricted_to_a_reading_is_judged_under_it_only():
    config = RunConfig(profile=profile(examples=0))
    assert check_claim(deterministic_two_readings(None), config).mutants[0].verdict == "conditional"
    assert check_claim(deterministic_two_readings("plain"), config).mutants[0].verdict == "confirmed"
    assert check_claim(deterministic_two_readings("doubled"), config).mutants[0].verdict == "refuted"


def test_a_formula_restricted_to_an_unknown_reading_is_refused():
    with pytest.raises(ValueError, match="'halved', which is not one of the claim's readings"):
        deterministic_two_readings("halved")


# -- one object owns a point's plan -----------------------------------------------------------------

def test_a_plan_draws_its_pilot_then_the_planned_replicates_and_keeps_them_in_the_cache():
    config = RunConfig(profile=profile(), pilot_look=False)
    cache = MeasurementCache()
    plan = plan_at(mean_variance_claim(), {"B": 4}, config, cache=cache)
    look, measurement = plan.first_look()
    assert (look, measurement.samples, plan.used, plan.drawn) == (PLANNED_LOOK, 4_000, 4_000, True)
    assert cache.get(plan.key, plan.claim) is measurement and plan.first_look()[1] is measurement
    again = plan.look_again(4)
    assert (again.samples, plan.used, plan.look) == (16_000, 16_000, SECOND_LOOK)
    look, latest = plan.first_look()
    assert look == SECOND_LOOK and latest is again  # met again (shrinking): the latest look, judged at its α


def test_a_deterministic_measurement_has_one_look():
    claim = deterministic_two_readings(None)
    plan = plan_at(claim, {"k": 2, "factor": 1}, RunConfig(profile=profile()))
    look, measurement = plan.first_look()
    assert (look, measurement.value, plan.drawn) == (PLANNED_LOOK, 2.0, False)
    assert plan.look_again(4) is None


def test_a_pilot_look_is_taken_only_where_the_plan_asks_four_pilots_or_more():
    config = RunConfig(profile=profile())
    near = plan_at(mean_variance_claim(), {"B": 4}, config, needed=lambda q, pilot: 3_999)
    look, measurement = near.first_look()
    assert (look, measurement.samples, near.saved) == (PLANNED_LOOK, 3_999, 0)
    far = plan_at(mean_variance_claim(), {"B": 4}, config, needed=lambda q, pilot: 50_000)
    look, pilot = far.first_look()
    assert (look, pilot.samples, far.planned, far.saved) == (PILOT_LOOK, 1_000, 50_000, 49_000)
    assert far.cache.get(far.key, far.claim) is None  # a pilot look is never a cached planned look
    planned = far.planned_look()  # the look decided nothing: the same pilot is drawn again, and continued
    assert (planned.samples, far.look, far.saved) == (50_000, PLANNED_LOOK, -1_000)
    without = plan_at(mean_variance_claim(), {"B": 4}, dataclasses.replace(config, pilot_look=False),
                      needed=lambda q, pilot: 50_000).first_look()[1]
    assert (planned.value, planned.se) == (without.value, without.se)  # the planned look is the same either way


# -- early decisions --------------------------------------------------------------------------------

def test_a_grossly_wrong_claim_is_refuted_at_its_pilot_looks():
    """Var of the mean of B ≤ 4096 draws stated as σ²/B²: the band is relative to a tiny stated value,
    so every point plans the cap, although its pilot is tens of standard errors away."""
    config = RunConfig(profile=profile(cap=10_000))
    result = check_claim(mean_variance_claim(alternatives=()), config)  # as a user states it: no alternative
    assert result.verdict == "refuted", result.verdict_reason
    early = [point for point in result.evidence if point.looks == PILOT_LOOK]
    assert len(early) >= len(result.evidence) // 2
    assert all(point.samples == 1_000 and point.verdict == "refuted" for point in early)
    assert result.replicates_saved >= 0.8 * (10_000 - 1_000) * len(early)  # each planned the cap, drew the pilot
    without = check_claim(mean_variance_claim(alternatives=()), dataclasses.replace(config, pilot_look=False))
    assert without.verdict == "refuted" and without.replicates_saved == 0
    assert without.samples >= 4 * result.samples  # the same verdict from a quarter of the replicates or less


def test_a_pilot_look_that_refutes_the_stated_formula_does_not_stop_a_point_whose_alternative_may_hold():
    """σ²/B² stated, σ²/B the alternative (what is true instead): the stated formula is refuted at every
    pilot, but only the planned sample can confirm the alternative. weighted-gradient-sum-covariance
    (004-11) lost its confirmed alternative to early refutation at standard before this rule."""
    result = check_claim(mean_variance_claim(high=64), RunConfig(profile=profile()))
    assert result.verdict == "refuted" and [a.verdict for a in result.alternatives] == ["confirmed"]
    assert not [point for point in result.evidence if point.looks == PILOT_LOOK]


def test_a_pilot_look_never_confirms_and_keeps_a_true_claim_confirmed():
    """σ²/B stated: every point plans ~50 pilots, so each has a pilot look, which decides nothing; the
    pilot is drawn again, and the net saving is honest about it: minus a pilot per point."""
    result = check_claim(mean_variance_claim(stated=lambda p: 1.0 / p["B"], high=64), RunConfig(profile=profile()))
    assert result.verdict == "confirmed", result.verdict_reason
    assert all(point.looks == PLANNED_LOOK and point.samples > 4_000 for point in result.evidence)
    assert result.replicates_saved <= -1_000 * len(result.evidence)


def test_the_looks_split_the_points_alpha():
    config = RunConfig(profile=profile(second_look=4))
    checker = ClaimChecker(mean_variance_claim(), config)
    per_point = config.alpha / (1 + 8 + 4)
    assert checker.look_alpha == pytest.approx({PILOT_LOOK: 0.1 * per_point, PLANNED_LOOK: 0.8 * per_point,
                                                SECOND_LOOK: 0.1 * per_point})
    assert checker.point_alpha == checker.look_alpha[PLANNED_LOOK]
