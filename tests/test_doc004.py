"""Helpers of the problem-set-004 claims (theorems/claims/doc004_sgd_problems.py), against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.averages import ema_limit_variance
from theorems.claims.doc004_sgd_problems import (
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
@given(loss=st.sampled_from(["squared", "cross-entropy"]), B=st.integers(1, 5), I=st.integers(1, 4),
       J=st.integers(1, 4), seed=st.integers(0, 100))
def test_the_for_loop_forms_are_the_problem_sets_loops(loss, B, I, J, seed):
    """The einsum forms against the literal for-loops of Problem 4(a) and 4(b)."""
    g = batch_gradients({"loss": loss, "B": B, "I": I, "J": J, "data_seed": seed}, None)
    p = {"B": B, "y_grad": g["y_grad"], "x": g["x"]}
    averaged = torch.zeros(J, I, dtype=torch.float64)
    per_example = torch.zeros(B, J, I, dtype=torch.float64)
    for b in range(B):
        for i in range(I):
            for j in range(J):
                averaged[j, i] += (1 / B) * g["y_grad"][b, j] * g["x"][b, i]
                per_example[b, j, i] += g["y_grad"][b, j] * g["x"][b, i]
    np.testing.assert_allclose(for_loop_batch_gradient(p), averaged.flatten().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(for_loop_per_example_gradient(p), per_example.flatten().numpy(), rtol=1e-12, atol=1e-15)


def test_grad2_search_finds_a_pair_for_batches_of_two_or_more():
    for B, I, J in ((2, 1, 1), (3, 5, 2), (16, 4, 4)):
        measurement = grad2_not_from_averaged_gradient.measure({"B": B, "I": I, "J": J, "data_seed": 1}, None)
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
    inside = {"momentum": 0.0, "B": 2, "eta0_curvature": 0.02}
    assert stationary_constraint({**inside, "regime": "langevin"})
    assert stationary_constraint({**inside, "regime": "any"})
    large = {"momentum": 0.0, "B": 8, "eta0_curvature": 0.1}
    assert not stationary_constraint({**large, "regime": "langevin"})
    assert stationary_constraint({**large, "regime": "any"})
    assert not stationary_constraint({"momentum": 0.9, "B": 1, "eta0_curvature": 0.05, "regime": "any"})  # ηλ < 0.02


def test_weights_families():
    np.testing.assert_allclose(weights({"weights": "momentum", "K": 3, "eta": 2.0, "mu": 0.5}), [2.0, 1.0, 0.5])
    np.testing.assert_allclose(weights({"weights": "equal", "K": 2, "eta": 0.3, "mu": 0.5}), [0.3, 0.3])
    random = weights({"weights": "random", "K": 100, "eta": 1.0, "mu": 0.5, "data_seed": 0})
    assert random.min() >= 0 and random.max() <= 2
