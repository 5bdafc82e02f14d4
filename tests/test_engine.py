"""The engine on toy claims whose truth is known: it must confirm, refute, abstain and shrink."""

import dataclasses

import pytest
import torch

from theorems import Formula, Measurement, Reading, Source
from theorems.core.claim import Claim
from theorems.core.domain import choices, floats, integers
from theorems.core.engine import check_claim
from theorems.core.measurement import RunConfig, point_seed
from theorems.core.profiles import PROFILES, Profile
from theorems.core.results import Alternative
from theorems.frontends.verify import verify

SOURCE = Source("toy.txt", "Toy section")


def variance_claim(true_factor: float = 1.0, **overrides) -> Claim:
    """Var[aX] = a² Var[X] for X ~ N(0, 1), measured as the mean of (aX)²; the truth is
    true_factor·a² so that a planted deviation can be dialled in."""

    def measure(p, ctx):
        a = p["a"]

        def draw(n):
            x = torch.randn(n, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
            return (a * x * true_factor ** 0.5) ** 2

        return ctx.mean(draw, bytes_per_replicate=8)

    fields = dict(
        id="toy-variance", title="Var[aX] = a² Var[X]", inventory_ids=("000-03",), source=SOURCE,
        statement="Var[aX] = a² Var[X]", kind="stochastic",
        domain={"a": choices([0.5, 1.0, 2.0, 3.0])}, measure=measure,
        stated=lambda p: p["a"] ** 2,
        mutants=(Formula("Var[aX] = a Var[X]", lambda p: p["a"]),
                 Formula("Var[aX] = |a| Var[X]", lambda p: abs(p["a"]))),
        design=({"a": 2.0}, {"a": 3.0}), resolution=0.05)
    fields.update(overrides)
    return Claim(**fields)


def config(cap=200_000, examples=4, seed=0, explore=8, pilot=2_000, alpha=0.01):
    profile = Profile("test", explore=explore, examples=examples, design=None, pilot=min(pilot, cap), cap=cap,
                      z_margin=3.5, shrink=40)
    return RunConfig(profile=profile, seed=seed, alpha=alpha)


def test_true_claim_is_confirmed_and_mutants_refuted():
    result = check_claim(variance_claim(), config())
    assert result.verdict == "confirmed", result.verdict_reason
    assert [m.verdict for m in result.mutants] == ["refuted", "refuted"]
    for point in result.evidence:
        assert point.ci_low <= point.stated <= point.ci_high
        assert 0 < point.detectable < 0.2


def test_deviation_below_resolution_is_not_refuted():
    result = check_claim(variance_claim(true_factor=1.02), config())  # 2 % off, resolution 5 %
    assert result.verdict != "refuted"


def test_deviation_above_resolution_is_refuted_with_counterexample():
    result = check_claim(variance_claim(true_factor=1.3), config())
    assert result.verdict == "refuted"
    example = result.counterexample
    assert example.estimate == pytest.approx(1.3 * example.stated, rel=0.05)
    refuting = sum(point.verdict == "refuted" for point in result.evidence)
    assert result.verdict_reason == f"refuted at {refuting} of {len(result.evidence)} evaluated points"


def test_too_small_a_budget_is_inconclusive():
    result = check_claim(variance_claim(), config(cap=30))
    assert result.verdict == "inconclusive"


def test_same_seed_same_numbers_other_seed_other_numbers():
    first, again = check_claim(variance_claim(), config()), check_claim(variance_claim(), config())
    other = check_claim(variance_claim(), config(seed=1))
    strip = lambda r: dataclasses.replace(r, seconds=0.0)  # noqa: E731
    assert strip(first) == strip(again)
    assert first.evidence[0].estimate != other.evidence[0].estimate


def test_point_seed_depends_on_point_not_on_history():
    assert point_seed(0, "c", "r", {"a": 1, "b": 2}) == point_seed(0, "c", "r", {"b": 2, "a": 1})
    assert point_seed(0, "c", "r", {"a": 1}) != point_seed(0, "c", "r", {"a": 2})
    assert point_seed(0, "c", "r", {"a": 1}) != point_seed(1, "c", "r", {"a": 1})


def test_planted_corner_error_is_found_and_shrunk_to_the_corner():
    def measure(p, ctx):
        wrong = p["x"] >= 90 and p["y"] >= 70
        return Measurement(float(p["x"] + p["y"] + (1 if wrong else 0)))

    claim = Claim(
        id="toy-corner", title="x + y", inventory_ids=("000-01",), source=SOURCE, statement="f = x + y",
        kind="identity", domain={"x": integers(0, 100), "y": integers(0, 100)}, measure=measure,
        stated=lambda p: p["x"] + p["y"], mutants=(Formula("f = x", lambda p: p["x"]),), atol=1e-9,
        resolution=0.0)
    result = check_claim(claim, config(examples=100, explore=64))
    assert result.verdict == "refuted"
    assert result.counterexample.params == {"x": 90, "y": 70}
    assert result.coverage.explore >= 64  # and a log-scaled quarter more: 0 … 100 is a wide range
    assert result.mutants[0].verdict == "refuted"


def test_reading_dependent_claim_is_conditional():
    def measure(p, ctx):
        return Measurement(2.0 if p["reading"] == "doubled" else 1.0)

    claim = Claim(
        id="toy-readings", title="f = 1", inventory_ids=("000-01",), source=SOURCE, statement="f = 1",
        kind="identity", domain={"k": integers(0, 3)}, measure=measure, stated=lambda p: 1.0,
        mutants=(Formula("f = 3", lambda p: 3.0),),
        readings=(Reading("plain", params={"reading": "plain"}), Reading("doubled", params={"reading": "doubled"})),
        alternatives=(Formula("f = 2", lambda p: 2.0, reading="doubled"),), atol=1e-12, resolution=0.0)
    result = check_claim(claim, config())
    assert result.verdict == "conditional"
    assert "“plain”" in result.verdict_reason and "“doubled”" in result.verdict_reason
    assert result.alternatives == [Alternative(statement="f = 2", verdict="confirmed", reading="doubled")]
    assert result.counterexample.reading == "doubled"


def test_refuted_under_one_reading_and_unresolved_under_another_is_inconclusive():
    def measure(p, ctx):
        if p["reading"] == "doubled":
            return Measurement(2.0)

        def draw(n):  # a mean of 1 with so few replicates that nothing is resolved
            return 1.0 + torch.randn(n, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)

        return ctx.mean(draw, bytes_per_replicate=8)

    claim = Claim(
        id="toy-partial", title="f = 1", inventory_ids=("000-01",), source=SOURCE, statement="f = 1",
        kind="stochastic", domain={"k": integers(0, 3)}, measure=measure, stated=lambda p: 1.0,
        mutants=(Formula("f = 30", lambda p: 30.0),),
        readings=(Reading("plain", params={"reading": "plain"}), Reading("doubled", params={"reading": "doubled"})))
    result = check_claim(claim, config(cap=20))
    assert [r.verdict for r in result.readings] == ["inconclusive", "refuted"]
    assert result.verdict == "inconclusive"  # partial evidence never refutes
    assert "refuted under “doubled”" in result.verdict_reason


def test_alpha_is_per_claim_and_split_over_its_planned_points():
    result = check_claim(variance_claim(), config(examples=4, explore=8))
    assert result.alpha == pytest.approx(0.01)
    assert result.point_alpha == pytest.approx(0.01 / (2 + 8 + 4) * 0.9)  # 0.1 of a point's share: its pilot look


def test_sample_size_is_planned_to_resolve_the_band():
    from theorems.core.stats import z_two_sided

    result = check_claim(variance_claim(), config(cap=10_000_000))
    for point in result.evidence:
        band = 0.05 * point.stated
        assert point.samples > 2_000  # more than the pilot
        target = band / (z_two_sided(result.point_alpha) + 3.5)
        assert 0.8 * target <= point.se <= 1.2 * target  # planned from the pilot's standard deviation


def test_an_unresolved_point_gets_a_second_look_with_four_times_the_samples():
    from theorems.core.stats import z_two_sided

    # z_margin 0 plans intervals exactly as wide as the band: every first look straddles it
    profile = Profile("look", explore=8, examples=0, design=None, pilot=2_000, cap=10_000_000, z_margin=0.0,
                      shrink=0, second_look=4)
    result = check_claim(variance_claim(), RunConfig(profile=profile))
    assert result.verdict == "confirmed", result.verdict_reason
    assert result.point_alpha == pytest.approx(0.01 / (2 + 8) * 0.8)  # the planned look's share; 0.1 for the pilot
    # look and 0.1 for the second
    for point in result.evidence:
        first_look_se = 0.05 * point.stated / z_two_sided(result.point_alpha)
        assert point.looks == 2 and point.se == pytest.approx(first_look_se / 2, rel=0.2)
    without = check_claim(variance_claim(), RunConfig(profile=dataclasses.replace(profile, second_look=0)))
    assert without.verdict == "inconclusive" and without.point_alpha == pytest.approx(0.01 / (2 + 8) * 0.9)


def test_a_stated_zero_needs_a_scale():
    def measure(p, ctx):
        return ctx.mean(lambda n: torch.randn(n, generator=ctx.generator, dtype=ctx.dtype), bytes_per_replicate=8)

    claim = variance_claim(measure=measure, stated=lambda p: 0.0, mutants=(Formula("E = 1", lambda p: 1.0),))
    result = check_claim(claim, config())
    assert result.error and "scale=" in result.verdict_reason
    assert result.verdict == "inconclusive"
    scaled = check_claim(variance_claim(measure=measure, stated=lambda p: 0.0, scale=lambda p: 1.0,
                                        mutants=(Formula("E = 1", lambda p: 1.0),)), config())
    assert scaled.verdict == "confirmed" and scaled.mutants[0].verdict == "refuted"


@pytest.mark.parametrize("value", [None, float("nan"), object()], ids=["none", "nan", "object"])
def test_a_broken_measurement_is_an_error_not_a_finding(value):
    claim = Claim(
        id="toy-broken", title="broken", inventory_ids=("000-01",), source=SOURCE, statement="f = 1",
        kind="identity", domain={"k": integers(0, 2)}, measure=lambda p, ctx: value,
        stated=lambda p: 1.0, mutants=(Formula("f = 2", lambda p: 2.0),))
    result = check_claim(claim, config())
    assert result.error and result.verdict == "inconclusive"
    assert all(m.verdict == "inconclusive" for m in result.mutants)
    with pytest.raises(AssertionError, match="raised"):
        verify(claim)


def test_profiles_exist():
    assert {"smoke", "standard", "thorough"} <= set(PROFILES)


def test_monte_carlo_chunks_stay_under_the_memory_cap_and_merge_exactly():
    from theorems.core.stats import MonteCarlo

    chunks = []

    def draw(n):  # deterministic values, so the merged moments can be compared exactly
        start = sum(chunks)
        chunks.append(n)
        return torch.arange(start, start + n, dtype=torch.float32) ** 0.5

    mc = MonteCarlo(pilot=2_500, cap=10_000, max_bytes=8 * 1_000)
    estimate = mc.mean(draw, bytes_per_replicate=8, plan=lambda pilot: 10**9)  # planned beyond the cap
    assert max(chunks) == 1_000 and sum(chunks) == 10_000 and chunks[:3] == [1_000, 1_000, 500]
    values = (torch.arange(10_000, dtype=torch.float32) ** 0.5).double()
    assert estimate.mean == pytest.approx(float(values.mean()), rel=1e-12)
    assert estimate.se == pytest.approx(float(values.std() / 100), rel=1e-9)


def test_a_constraint_no_point_satisfies_is_an_error():
    claim = variance_claim(constraint=lambda p: p["a"] > 100, design=())
    result = check_claim(claim, config())
    assert result.error and "constraint" in result.verdict_reason


def test_a_claim_sharing_a_measurement_gets_the_same_result_whichever_claims_ran_before():
    from theorems.core.measurement import MeasurementCache

    def measure(p, ctx):  # one measurement, shared by two claims with different formulas (so plans)
        return ctx.mean(lambda n: (p["a"] * torch.randn(n, generator=ctx.generator, dtype=ctx.dtype)) ** 2,
                        bytes_per_replicate=8)

    tight = variance_claim(id="toy-tight", measure=measure, resolution=0.02)
    loose = variance_claim(id="toy-loose", measure=measure, resolution=0.2)
    cache = MeasurementCache()
    check_claim(tight, config(), cache=cache)
    after = check_claim(loose, config(), cache=cache)
    alone = check_claim(loose, config())
    strip = lambda r: dataclasses.replace(r, seconds=0.0)  # noqa: E731
    assert strip(after) == strip(alone)


def test_an_error_while_shrinking_keeps_the_refutation_and_reports_the_error():
    def measure(p, ctx):  # wrong everywhere; raises at x = 0, which only shrinking asks for
        if p["x"] == 0:
            raise ValueError("no measurement at x = 0")
        return Measurement(2 * p["x"])

    claim = Claim(
        id="toy-shrink-error", title="f = x", inventory_ids=("000-01",), source=SOURCE, statement="f = x",
        kind="identity", domain={"x": floats(0.0, 10.0)}, measure=measure, stated=lambda p: p["x"],
        mutants=(Formula("f = 2x", lambda p: 2 * p["x"]),), resolution=0.0, atol=1e-9)
    result = check_claim(claim, config(examples=0))
    assert result.verdict == "refuted" and result.counterexample is not None
    assert "shrinking the counterexample stopped at an error: ValueError: no measurement at x = 0" in (
        result.verdict_reason)
    assert "Traceback" in result.error and result.mutants[0].verdict == "confirmed"
