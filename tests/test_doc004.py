"""Helpers of the problem-set-004 claims (theorems/claims/doc004_sgd_problems.py), against direct computations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.averages import ema_limit_variance
from theorems.catalogue.doc004_sgd_problems import (
    NOT_DETERMINED,
    batch_gradients,
    ema_derivation_roots,
    example_loss,
    for_loop_batch_gradient,
    for_loop_per_example_gradient,
    grad2_not_from_averaged_gradient,
    linear_root,
    second_moment_recursion,
    stationary_constraint,
    weights,
)

SETTINGS = settings(deadline=None, max_examples=20, database=None)


def test_linear_root():
    assert linear_root(lambda v: 3 * v - 6) == pytest.approx(2.0)


@SETTINGS
@given(N=st.floats(1.0, 1e4), sigma2=st.floats(1e-2, 1e2))
def test_every_line_of_the_ema_derivation_has_the_final_root(N, sigma2):
    np.testing.assert_allclose(ema_derivation_roots({"N": N, "sigma2": sigma2}), ema_limit_variance(sigma2, N),
                               rtol=1e-9)


def test_ema_derivation_at_n_one_gives_sigma2():
    np.testing.assert_allclose(ema_derivation_roots({"N": 1.0, "sigma2": 2.5}), 2.5)


def test_example_loss_matches_torch():
    generator = torch.Generator().manual_seed(0)
    y = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    target = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(example_loss("squared", y, target),
                               torch.nn.functional.mse_loss(y, target, reduction="none").sum(dim=1) / 2)
    torch.testing.assert_close(example_loss("cross-entropy", y, target),
                               torch.nn.functional.cross_entropy(y, target.argmax(dim=1), reduction="none"))


@SETTINGS
@given(loss=st.sampled_from(["squared", "cross-entropy"]), B=st.integers(1, 5), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), seed=st.integers(0, 100))
def test_the_for_loop_forms_are_the_problem_sets_loops(loss, B, n_in, n_out, seed):
    """The einsum forms against the literal for-loops of Problem 4(a) and 4(b)."""
    g = batch_gradients({"loss": loss, "B": B, "I": n_in, "J": n_out, "data_seed": seed}, None)
    p = {"B": B, "y_grad": g["y_grad"], "x": g["x"]}
    averaged = torch.zeros(n_out, n_in, dtype=torch.float64)
    per_example = torch.zeros(B, n_out, n_in, dtype=torch.float64)
    for b in range(B):
        for i in range(n_in):
            for j in range(n_out):
                averaged[j, i] += (1 / B) * g["y_grad"][b, j] * g["x"][b, i]
                per_example[b, j, i] += g["y_grad"][b, j] * g["x"][b, i]
    np.testing.assert_allclose(for_loop_batch_gradient(p), averaged.flatten().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(for_loop_per_example_gradient(p), per_example.flatten().numpy(), rtol=1e-12, atol=1e-15)


def test_grad2_search_finds_a_pair_for_batches_of_two_or_more():
    for B, n_in, n_out in ((2, 1, 1), (3, 5, 2), (16, 4, 4)):
        measurement = grad2_not_from_averaged_gradient.measure({"B": B, "I": n_in, "J": n_out, "data_seed": 1}, None)
        assert measurement.value == NOT_DETERMINED
        assert measurement.quantities["W_grad_mismatch"] < 1e-12


def test_grad2_search_cannot_succeed_with_one_example():
    """At B = 1 no second example exists to rotate with, so grad2 = W.grad² is determined."""
    with pytest.raises(ValueError, match="B must be >= 2, got 1"):
        grad2_not_from_averaged_gradient.measure({"B": 1, "I": 2, "J": 2, "data_seed": 1}, None)


def test_second_moment_recursion():
    grads = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=torch.float64)
    states = second_moment_recursion({"N_s": 4.0, "d": 2, "grads": grads}).reshape(2, 2)
    np.testing.assert_allclose(states[0], [0.25, 1.0])
    np.testing.assert_allclose(states[1], [0.75 * 0.25 + 9 / 4, 0.75 * 1.0])


def test_stationary_constraint_regimes():
    inside = {"momentum": 0.0, "B": 2, "eta0_curvature": 0.02, "N": 8, "sampling": "iid"}
    assert stationary_constraint({**inside, "regime": "langevin"})
    assert stationary_constraint({**inside, "regime": "any"})
    large = {**inside, "B": 8, "eta0_curvature": 0.1}
    assert not stationary_constraint({**large, "regime": "langevin"})
    assert stationary_constraint({**large, "regime": "any"})
    assert not stationary_constraint({**inside, "momentum": 0.9, "B": 1, "eta0_curvature": 0.05, "regime": "any"})  # ηλ < 0.02
    assert not stationary_constraint({**large, "B": 9, "sampling": "subset", "regime": "any"})  # 9 distinct of 8


def test_stationary_claims_read_the_minibatch_both_ways():
    """Issue 19: 004-09 and 004-10 sample minibatches of N examples a_k, so each regime is read with and without
    replacement (theorems.catalogue.kit.SAMPLING_READINGS)."""
    from theorems.core.claim import REGISTRY

    claims = [c for c in REGISTRY if {"004-09", "004-10"} & set(c.inventory_ids)]
    assert len(claims) == 2
    for claim in claims:
        pairs = {(r.params["regime"], r.params["sampling"]) for r in claim.readings}
        assert pairs == {(regime, sampling) for regime in ("langevin", "any") for sampling in ("iid", "subset")}


def _mean_of_draws(n: int):
    generator = torch.Generator().manual_seed(0)
    return SimpleNamespace(device=torch.device("cpu"), dtype=torch.float64, generator=generator,
                           mean=lambda draw, bytes_per_replicate: float(draw(n).mean()))


def test_stationary_variance_samples_the_a_k_by_the_reading():
    """A minibatch of all N distinct a_k (centred) has mean 0: no noise, so SGD stays at w* = 0; N draws with
    replacement still leave noise of variance 1/N (stationary Var(w) = 0.8·(1/8)/(2 − 0.8) ≈ 0.083)."""
    from theorems.catalogue.doc004_sgd_problems import stationary_variance_of_sgd

    point = {"B": 8, "N": 8, "eta0_curvature": 0.1, "momentum": 0.0, "noise": "normal", "data_seed": 0}
    assert stationary_variance_of_sgd({**point, "sampling": "subset"}, _mean_of_draws(64)) < 1e-30  # rounding
    assert stationary_variance_of_sgd({**point, "sampling": "iid"}, _mean_of_draws(64)) > 1e-3


def test_stationary_variance_at_a_step_that_ends_the_transient_at_once():
    """At ηλ = 1 without momentum w_{t+1} = ā_B: the spectral radius is 0 (its log was a math domain error) and
    w is one minibatch mean, of variance Σ^B = 1."""
    from theorems.catalogue.doc004_sgd_problems import stationary_variance_of_sgd

    point = {"B": 1, "N": 71, "eta0_curvature": 1.0, "momentum": 0.0, "noise": "normal", "data_seed": 169,
             "sampling": "iid"}
    assert stationary_variance_of_sgd(point, _mean_of_draws(20000)) == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_stationary_formulas_follow_the_readings_batch_variance(momentum):
    """With replacement Σ^B = 1/B and the Langevin value is η₀/2 for every B and μ; without, it carries the
    finite-population factor (N − B)/(N − 1)."""
    from theorems.catalogue.doc004_sgd_problems import exact_stationary_variance, langevin_variance

    point = {"B": 4, "N": 16, "eta0_curvature": 0.01, "momentum": momentum}
    assert langevin_variance({**point, "sampling": "iid"}) == pytest.approx(0.005)
    assert langevin_variance({**point, "sampling": "subset"}) == pytest.approx(0.005 * 12 / 15)
    ratio = exact_stationary_variance({**point, "sampling": "subset"}) / exact_stationary_variance(
        {**point, "sampling": "iid"})
    assert ratio == pytest.approx(12 / 15)


def test_weights_families():
    np.testing.assert_allclose(weights({"weights": "momentum", "K": 3, "eta": 2.0, "mu": 0.5}), [2.0, 1.0, 0.5])
    np.testing.assert_allclose(weights({"weights": "equal", "K": 2, "eta": 0.3, "mu": 0.5}), [0.3, 0.3])
    random = weights({"weights": "random", "K": 100, "eta": 1.0, "mu": 0.5, "data_seed": 0})
    assert random.min() >= 0 and random.max() <= 2


def test_second_moment_cap_resolves_the_heavy_tailed_batch_of_one():
    """Issue 19, 004-07: at the design point B = 1 (least squares, N = 64) ĝ² is one squared per-example gradient;
    its standard deviation needs about 1.3 million replicates for the band at `standard`, beyond the profile's
    cap of 400 000 (the point straddled the band, inconclusive): the claim's samples_factor must lift the cap."""
    from theorems.catalogue.kit import evaluation_point, finite_sum_problem
    from theorems.core.claim import REGISTRY
    from theorems.core.profiles import PROFILES
    from theorems.core.stats import z_two_sided

    claim = REGISTRY.get("second-moment-shrinks-with-batch")
    p = next(point for point in claim.design if point["B"] == 1)
    problem = finite_sum_problem(p, torch.device("cpu"))
    column = problem.per_example_grads(evaluation_point(problem, p["data_seed"]))[:, p["coordinate"]]
    squared = column.square()
    band = claim.resolution * float(squared.mean())
    profile = PROFILES["standard"]
    needed = (float(squared.std(correction=0)) * (z_two_sided(1e-4) + profile.z_margin) / band) ** 2
    assert profile.cap < needed <= profile.cap * claim.samples_factor
