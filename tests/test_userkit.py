"""The public kit for short claims (theorems.catalogue.kit.phrases) and the claims file that uses it (examples/d2l_claims.py)."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

import theorems
from theorems.catalogue.kit import finite_sum_problem
from theorems.catalogue.kit.phrases import (
    APPROX,
    approx,
    behaviour,
    does_not_depend_on,
    for_any,
    in_the_limit,
    same_schedule_as,
    same_trajectory_as,
    std_of,
    variance_of,
)
from theorems.core.claim import ClaimError
from theorems.core.domain import dimensions
from theorems.core.measurement import Context
from theorems.core.stats import MonteCarlo
from theorems.runs.loading import load_claims_file

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def context(seed=0, cap=200_000, pilot=None, plan=None):
    """A float64 CPU context drawing ``pilot`` replicates (default: ``cap``, so no plan is needed)."""
    return Context(torch.device("cpu"), torch.float64, torch.Generator().manual_seed(seed),
                   MonteCarlo(pilot=pilot or cap, cap=cap, max_bytes=2**24), plan=plan)


def normal(scale, ctx):
    return lambda n: scale * torch.randn(n, generator=ctx.generator, dtype=torch.float64)


def test_public_names_reexported():
    assert theorems.approx is approx and theorems.same_trajectory_as is same_trajectory_as


def test_approx_presets_and_errors():
    assert approx() == {"resolution": APPROX["approximately"], "atol": 0.0}
    assert approx("exactly", atol=1e-9) == {"resolution": 1e-9, "atol": 1e-9}
    assert approx(rel=0.02)["resolution"] == 0.02
    with pytest.raises(ValueError, match="'nearly'"):
        approx("nearly")
    with pytest.raises(ValueError, match="rel=1.5"):
        approx(rel=1.5)


def test_for_any_covers_a_log_range_and_refuses_a_narrow_one():
    assert dimensions({"eta": for_any(1e-4, 1.0)})[0].wide  # the search adds a log-scaled set
    with pytest.raises(ValueError, match="less than 100"):
        for_any(0.1, 1.0)
    with pytest.raises(ValueError, match="low=0"):
        for_any(0, 1.0)


def test_variance_of_is_unbiased_with_a_valid_interval():
    m = variance_of(normal(2.0, ctx := context()), ctx, bytes_per_replicate=8)
    assert abs(m.value - 4.0) < 4 * m.se and m.samples == 200_000


def test_std_of_delta_method():
    """√v̂ of the same pairs as variance_of, with se(v̂)/(2√v̂), and a sample size planned on that se."""
    variance = variance_of(normal(3.0, ctx := context()), ctx, bytes_per_replicate=8)
    std = std_of(normal(3.0, ctx := context()), ctx, bytes_per_replicate=8)
    assert std.value == math.sqrt(variance.value) and std.se == variance.se / (2 * std.value)
    assert abs(std.value - 3.0) < 4 * std.se and std.quantities["variance"] == variance.value
    pilots = []
    ctx = context(cap=20_000, pilot=2_000, plan=lambda quantities, pilot: pilots.append(pilot) or 0)
    std_of(normal(3.0, ctx), ctx, bytes_per_replicate=8)
    assert abs(pilots[0].mean - 3.0) < 0.3  # the plan sees σ, not σ² = 9


def test_std_of_refuses_a_constant_draw():
    ctx = context(cap=10)
    with pytest.raises(ClaimError, match="every draw was equal"):
        std_of(lambda n: torch.ones(n, dtype=torch.float64), ctx, bytes_per_replicate=8)


def test_does_not_depend_on_combines_both_errors():
    measure = does_not_depend_on("scale", reference=1.0)(lambda p, ctx: ctx.mean(normal(p["scale"], ctx),
                                                                                  bytes_per_replicate=8))
    m = measure({"scale": 2.0}, context())
    assert abs(m.value) < 4 * m.se and m.samples == 400_000 and set(m.quantities) >= {"at_n", "at_reference"}
    exact = does_not_depend_on("n", reference=1)(lambda p, ctx: p["n"] ** 2)({"n": 3}, None)
    assert exact.value == 8 and exact.se is None


def test_in_the_limit_reports_the_last_points_and_the_trace():
    m = in_the_limit("t", (1, 10, 100), last=2)(lambda p, ctx: 1 - 1 / p["t"])({}, None)
    assert list(m.value) == [0.9, 0.99] and list(m.trace["measured"]) == [0.0, 0.9, 0.99]
    with pytest.raises(ValueError, match="increasing"):
        in_the_limit("t", (10, 1))


def test_same_trajectory_as_torch_and_against_a_wrong_rule():
    def sgd(w, grad, state, lr, **ignored):
        return w - lr * grad

    assert np.abs(same_trajectory_as(sgd, torch.optim.SGD, lr=0.05).value).max() < 1e-12
    wrong = same_trajectory_as(sgd, torch.optim.SGD, lr=0.05, momentum=0.9)
    assert np.abs(wrong.value).max() > 0.1
    assert np.abs(wrong.value - wrong.quantities["to_gradient_descent"]).max() < 1e-12  # SGD without momentum
    with pytest.raises(TypeError, match="torch.optim.Optimizer class"):
        same_trajectory_as(sgd, torch.optim.lr_scheduler.ExponentialLR, lr=0.1)
    with pytest.raises(ValueError, match="needs lr="):
        same_trajectory_as(sgd, torch.optim.SGD)


def test_same_schedule_as_exponential_lr():
    gamma = math.exp(-0.1)
    m = same_schedule_as(lambda t: 0.5 * gamma**t, torch.optim.lr_scheduler.ExponentialLR, lr=0.5,
                         gamma=gamma)
    assert np.abs(m.value).max() < 1e-12
    late = same_schedule_as(lambda t: 0.5 * gamma ** (t + 1), torch.optim.lr_scheduler.ExponentialLR, lr=0.5,
                         gamma=gamma)
    assert np.abs(late.value).max() > 0.01
    with pytest.raises(TypeError, match="lr_scheduler class"):
        same_schedule_as(lambda t: 1.0, torch.optim.SGD, lr=1.0)


@pytest.mark.parametrize("factor, label", [(0.5, "converges"), (-0.9, "converges"), (-1.0, "oscillates"),
                                           (1.1, "diverges"), (1.0, "stalls")])
def test_behaviour_classifies_a_trajectory(factor, label):
    assert behaviour(3.0 + 2.0 * factor ** np.arange(60), minimum=3.0) == label


def test_least_squares_needs_n_at_least_d():
    with pytest.raises(ValueError, match="n >= d"):
        finite_sum_problem({"problem": "least_squares", "N": 3, "d": 5, "data_seed": 0}, torch.device("cpu"))


def test_d2l_claims_are_short_and_smoke_verdicts():
    """Each claim of the D2L file fits in 12 lines (decorator to the end of its function), and the
    deterministic ones are confirmed with their mutants refuted at the smoke profile."""
    claims = load_claims_file(EXAMPLES / "d2l_claims.py")
    assert len(claims) == 7
    for length in claim_lengths(EXAMPLES / "d2l_claims.py").values():
        assert length <= 12
    from theorems.frontends.verify import verify

    for claim in claims:
        if claim.kind != "stochastic":
            verify(claim, profile="smoke", expect="confirmed")


def claim_lengths(path):
    """Lines from each ``@claim(`` to the last line of the function it decorates, by claim id."""
    lines = Path(path).read_text().splitlines()
    lengths = {}
    for start, line in enumerate(lines):
        if line.startswith("@claim("):
            end = next(i for i in range(start, len(lines)) if lines[i].startswith("def "))
            while end + 1 < len(lines) and lines[end + 1].startswith("    "):
                end += 1
            lengths[line.split('id="')[1].split('"')[0]] = end - start + 1
    return lengths


@pytest.mark.parametrize("claim_id", ["d2l-minibatch-std", "d2l-minibatch-unbiased"])
def test_d2l_stochastic_claims_confirmed_at_standard(claim_id):
    """std_of and does_not_depend_on inside the engine: the chapter's claims hold, the mutants are refuted."""
    from theorems.frontends.verify import verify

    (claim,) = [c for c in load_claims_file(EXAMPLES / "d2l_claims.py") if c.id == claim_id]
    verify(claim, profile="standard", expect="confirmed")
