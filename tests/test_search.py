"""The search covers the whole domain: errors planted in about 1 % of a wide domain are found.

The claim is "Var of the mean of B i.i.d. N(0, σ²) samples is σ²/B", B in [1, 4096]. Its
measurement is exact in law (the mean of B normals is σ/√B · Z) and a planted error multiplies the
true variance by 1.3 inside a region covering about 1 % of the domain: at the bottom of B, at its
top, in its interior, and jointly in two parameters (10 % of B × 10 % of σ). At the ``standard``
profile each must be refuted on at least 9 of 10 seeds, and the true claim confirmed on at least 9
of 10 (the false-alarm rate per claim is α = 0.01, so 9 of 10 leaves room for one unlucky seed).
"""

import pytest
import torch

from theorems import Formula, Source
from theorems.core.claim import Claim
from theorems.core.domain import choices, dimensions, floats, integers, shrink, space_filling
from theorems.core.engine import check_claim
from theorems.core.measurement import RunConfig
from theorems.core.profiles import PROFILES

SEEDS = range(10)
REGIONS = {  # where the planted error lives, as a predicate on (B, σ)
    "bottom": lambda B, s: B <= 41,
    "top": lambda B, s: B >= 4056,
    "interior": lambda B, s: 2000 <= B <= 2040,
    "joint": lambda B, s: 2000 <= B <= 2409 and 5.0 <= s <= 5.99,
    "none": lambda B, s: False,
}


def mean_variance_claim(region: str) -> Claim:
    planted = REGIONS[region]

    def measure(p, ctx):
        B, s = p["B"], p["sigma"]
        truth = s**2 / B * (1.3 if planted(B, s) else 1.0)

        def draw(n):  # (mean of B normals)², exactly distributed as truth · Z²
            z = torch.randn(n, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
            return truth * z.square()

        return ctx.mean(draw, bytes_per_replicate=8)

    return Claim(
        id=f"planted-{region}", title="Var of a mean", inventory_ids=("T-1",), source=Source("toy.txt", "toy"),
        statement="Var[(1/B) Σ x_i] = σ²/B", kind="stochastic",
        domain={"B": integers(1, 4096), "sigma": floats(0.1, 10.0)}, measure=measure,
        stated=lambda p: p["sigma"] ** 2 / p["B"],
        mutants=(Formula("Var = σ²/(B + 1)", lambda p: p["sigma"] ** 2 / (p["B"] + 1)),))


@pytest.mark.parametrize("region", ["bottom", "top", "interior", "joint"])
def test_a_planted_error_in_one_percent_of_the_domain_is_refuted(region):
    claim = mean_variance_claim(region)
    results = [check_claim(claim, RunConfig(profile=PROFILES["standard"], seed=seed)) for seed in SEEDS]
    refuted = [r for r in results if r.verdict == "refuted"]
    assert len(refuted) >= 9, [r.verdict for r in results]
    for result in refuted:  # the counterexample lies in the planted region
        params = result.counterexample.params
        assert REGIONS[region](params["B"], params["sigma"]), params


def test_the_true_claim_is_confirmed_on_nine_seeds_of_ten():
    claim = mean_variance_claim("none")
    verdicts = [check_claim(claim, RunConfig(profile=PROFILES["standard"], seed=seed)).verdict for seed in SEEDS]
    assert verdicts.count("confirmed") >= 9, verdicts
    assert "refuted" not in verdicts


def test_space_filling_points_stratify_every_parameter():
    dims = dimensions({"B": integers(1, 4096), "c": choices("abcd")})
    points = space_filling(dims, 128, seed=0)
    linear = points[:128]
    # every 1/128 of B's range holds one point of the linear Sobol set
    cells = sorted((p["B"] - 1) * 128 // 4096 for p in linear)
    assert cells == list(range(128))
    assert {p["c"] for p in linear} == set("abcd")
    assert sum(p["B"] <= 16 for p in points[128:]) >= 8  # the log-scaled set covers the bottom decades


def test_shrinking_moves_to_the_simplest_failing_point():
    dims = dimensions({"x": integers(0, 1000), "y": floats(0.5, 10.0)})
    fails = lambda p: p["x"] >= 237 and p["y"] >= 3.3  # noqa: E731
    shrunk = shrink({"x": 812, "y": 7.77}, dims, fails, budget=200)
    assert shrunk["x"] == 237 and 3.3 <= shrunk["y"] < 3.4
    calls = []
    shrink({"x": 812, "y": 7.77}, dims, lambda p: calls.append(p) or fails(p), budget=5)
    assert len(calls) == 5


def test_a_range_may_depend_on_earlier_parameters():
    """η in [0, 3/a]: a joint domain, covered and shrunk inside its dependent range."""
    from theorems import Measurement

    def measure(p, ctx):
        assert 0.0 <= p["eta"] <= 3 / p["a"] + 1e-12
        wrong = p["eta"] * p["a"] > 2.5  # an error in the last sixth of every a's range
        return Measurement(p["eta"] * p["a"] + (1.0 if wrong else 0.0))

    claim = Claim(
        id="dependent-range", title="ηa", inventory_ids=("T-2",), source=Source("toy.txt", "toy"),
        statement="f = ηa", kind="identity", domain={"a": floats(0.1, 10.0), "eta": floats(0.0, lambda p: 3 / p["a"])},
        measure=measure, stated=lambda p: p["eta"] * p["a"], mutants=(Formula("f = η", lambda p: p["eta"]),),
        resolution=0.0, atol=1e-9)
    result = check_claim(claim, RunConfig(profile=PROFILES["standard"], seed=0))
    assert result.verdict == "refuted" and result.error is None
    params = result.counterexample.params
    assert params["eta"] * params["a"] > 2.5 and params["eta"] <= 3 / params["a"]
    etas = [p.params["eta"] * p.params["a"] for p in result.evidence]
    assert min(etas) < 0.1 and max(etas) > 2.9  # the whole range [0, 3] of ηa is covered


def test_shrinking_candidates_keep_the_dimension_type():
    """A float range is offered 0.0, never the int 0 (torch.optim.Adam rejects betas=(0, 0.999))."""
    reals, ints = dimensions({"b": floats(0.0, 0.99), "n": integers(-5, 1000)})
    assert list(reals.simpler(0.7345)) and all(type(c) is float for c in reals.simpler(0.7345))
    assert list(ints.simpler(812)) and all(type(c) is int for c in ints.simpler(812))
