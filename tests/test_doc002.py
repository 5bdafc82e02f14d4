"""Helpers of the notes-002 claims (theorems/claims/doc002_lecture12.py), against direct computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.optimizers import heavy_ball_unrolled_step
from theorems.claims.doc002_lecture12 import (
    AT,
    BELOW,
    CONVERGES,
    GROWS,
    ABOVE,
    classify_convergence,
    first_form,
    fitted_exponent,
    gradient_flops,
    second_form,
    two_step_trajectory,
    unrolled_steps,
)

SETTINGS = settings(deadline=None, max_examples=20, database=None)


@pytest.mark.parametrize("errors, floor, label", [
    ([1.0, 0.2], 1.0, CONVERGES),
    ([1.0, 0.9], None, AT),
    ([1.0, 0.9], 1.0, AT),
    ([1.0, 0.9], 3.0, BELOW),
    ([1.0, 0.9], 0.3, ABOVE),
    ([1.0, 2.5], 1.0, GROWS),
    ([1.0, math.nan], 1.0, GROWS),
    ([math.inf, math.inf], 1.0, GROWS),
])
def test_classify_convergence(errors, floor, label):
    assert classify_convergence(errors, floor) == label


@pytest.mark.parametrize("batch, p", [(1, 11), (10, 110), (1000, 1100)])
def test_gradient_flops_of_a_linear_model_are_four_batch_p(batch, p):
    # forward X @ w: 2n'p; backward to w: 2n'p (no gradient to the data)
    assert gradient_flops("least_squares", batch, p) == 4 * batch * p
    assert gradient_flops("logistic", batch, p) == 4 * batch * p


def test_gradient_flops_of_the_mlp_are_linear_in_batch_and_width():
    base = gradient_flops("mlp", 10, 110)
    assert gradient_flops("mlp", 20, 110) == 2 * base
    assert gradient_flops("mlp", 10, 220) == 2 * base


def test_fitted_exponent_recovers_a_power_law():
    sizes = np.array([10, 100, 1000])
    assert fitted_exponent(sizes, [3 * s**1.5 for s in sizes]) == pytest.approx(1.5)


def _quadratic_grad(w):
    return torch.tensor([1.0, 0.1], dtype=torch.float64) * w


def test_two_step_trajectory_starts_at_rest_and_first_form_with_gamma_one_is_gradient_descent():
    w0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
    ws = two_step_trajectory(first_form(1.0, 0.5), _quadratic_grad, w0, steps=5)
    w = w0
    for t in range(6):
        torch.testing.assert_close(ws[t], w)
        w = w - 0.5 * _quadratic_grad(w)


@SETTINGS
@given(eta=st.floats(0.01, 1.0), steps=st.integers(1, 12))
def test_unrolled_steps_match_the_implementation_sum(eta, steps):
    ws = two_step_trajectory(second_form(eta), _quadratic_grad, torch.tensor([1.0, -2.0], dtype=torch.float64),
                             steps=steps)
    grads = _quadratic_grad(ws[:-1])
    ours = unrolled_steps({"eta": eta, "grads": grads}).reshape(steps, 2)
    for t in range(steps):
        expected = heavy_ball_unrolled_step(list(grads[: t + 1]), eta=eta)
        np.testing.assert_allclose(ours[t], expected.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours[t], (ws[t + 1] - ws[t]).numpy(), rtol=1e-10, atol=1e-14)
