"""Minibatch SGD and the stationary variance of SGD on a quadratic, against their oracles.

- ``minibatch_gradients`` against the problems' own per-example gradients (proven against autograd
  in tests/test_problems.py) averaged over the drawn indices;
- ``minibatch_sgd`` with a window of 1 against torch.optim.SGD fed the same minibatch gradients,
  and with a window T̃ against a direct average of the last T̃ gradients;
- ``heavy_ball_stationary_variance`` against the discrete Lyapunov equation of the AR(2) recursion
  (scipy) and against a long simulation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import solve_discrete_lyapunov

from implementations.minibatch_sgd import (
    heavy_ball_spectral_radius,
    heavy_ball_stationary_variance,
    minibatch_gradients,
    minibatch_sgd,
)
from implementations.problems import make_least_squares, make_logistic_regression

SETTINGS = settings(deadline=None, max_examples=20, database=None)
MAKERS = {
    "least_squares": lambda seed: make_least_squares(20, 3, condition=5.0, seed=seed),
    "logistic": lambda seed: make_logistic_regression(20, 3, l2=0.1, seed=seed),
}


@SETTINGS
@given(name=st.sampled_from(sorted(MAKERS)), seed=st.integers(0, 100), R=st.integers(1, 5), B=st.integers(1, 7))
def test_minibatch_gradients_average_the_drawn_per_example_gradients(name, seed, R, B):
    problem = MAKERS[name](seed)
    generator = torch.Generator().manual_seed(seed)
    w = torch.randn(R, problem.d, generator=generator, dtype=torch.float64)
    idx = torch.randint(problem.n, (R, B), generator=generator)
    expected = torch.stack([problem.per_example_grads(w[r])[idx[r]].mean(dim=0) for r in range(R)])
    torch.testing.assert_close(minibatch_gradients(problem, w, idx), expected, rtol=1e-12, atol=1e-14)


def test_minibatch_gradients_reject_mismatched_shapes():
    problem = MAKERS["least_squares"](0)
    with pytest.raises(ValueError, match="same R"):
        minibatch_gradients(problem, torch.zeros(2, 3, dtype=torch.float64), torch.zeros(3, 4, dtype=torch.long))


@SETTINGS
@given(name=st.sampled_from(sorted(MAKERS)), seed=st.integers(0, 100), steps=st.integers(1, 12),
       lr=st.floats(0.01, 0.5))
def test_window_one_is_torch_sgd_on_the_same_minibatches(name, seed, steps, lr):
    problem = MAKERS[name](seed)
    generator = torch.Generator().manual_seed(seed)
    batches = [torch.randint(problem.n, (2, 4), generator=generator) for _ in range(steps)]
    w0 = torch.randn(2, problem.d, generator=generator, dtype=torch.float64)
    draws = iter(batches)
    lrs = torch.full((steps,), lr, dtype=torch.float64)
    ours = minibatch_sgd(problem, w0, lrs=lrs, draw_indices=lambda: next(draws))
    w = w0.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w], lr=lr)
    for t, idx in enumerate(batches):
        w.grad = minibatch_gradients(problem, w.detach(), idx)
        optimizer.step()
        torch.testing.assert_close(ours[t + 1], w.detach(), rtol=1e-12, atol=1e-14)


def test_a_window_steps_along_the_average_of_the_last_gradients():
    problem = MAKERS["logistic"](3)
    generator = torch.Generator().manual_seed(3)
    batches = [torch.randint(problem.n, (3, 2), generator=generator) for _ in range(9)]
    w0 = torch.randn(3, problem.d, generator=generator, dtype=torch.float64)
    lrs = torch.linspace(0.1, 0.3, 9, dtype=torch.float64)
    draws = iter(batches)
    ours = minibatch_sgd(problem, w0, lrs=lrs, draw_indices=lambda: next(draws), gradient_window=4)
    w, grads = w0, []
    for t, idx in enumerate(batches):
        grads.append(minibatch_gradients(problem, w, idx))
        w = w - lrs[t] * sum(grads[-4:]) / len(grads[-4:])
        torch.testing.assert_close(ours[t + 1], w, rtol=1e-12, atol=1e-14)


def test_no_indices_means_the_full_gradient():
    problem = MAKERS["least_squares"](1)
    w0 = torch.zeros(2, problem.d, dtype=torch.float64)
    ws = minibatch_sgd(problem, w0, lrs=torch.full((3,), 0.1, dtype=torch.float64), draw_indices=None)
    w = w0
    for _ in range(3):
        w = w - 0.1 * problem.grad(w)
    torch.testing.assert_close(ws[-1], w)


def test_window_must_be_positive():
    problem = MAKERS["least_squares"](1)
    with pytest.raises(ValueError, match="gradient window must be >= 1, got 0"):
        minibatch_sgd(problem, torch.zeros(1, problem.d, dtype=torch.float64), lrs=torch.ones(1), draw_indices=None,
                      gradient_window=0)


def _lyapunov_variance(step: float, momentum: float, lr: float, noise_variance: float) -> float:
    """Var(e) of e_{t+1} = (1 + μ − ηλ)e_t − μ e_{t−1} − η ξ_t from the state-space Lyapunov equation."""
    A = np.array([[1 + momentum - step, -momentum], [1.0, 0.0]])
    Q = np.array([[lr**2 * noise_variance, 0.0], [0.0, 0.0]])
    return float(solve_discrete_lyapunov(A, Q)[0, 0])


@SETTINGS
@given(lr=st.floats(0.01, 1.5), curvature=st.floats(0.1, 2.0), momentum=st.floats(0.0, 0.95),
       noise_variance=st.floats(0.01, 10.0))
def test_stationary_variance_solves_the_lyapunov_equation(lr, curvature, momentum, noise_variance):
    step = lr * curvature
    if step >= 1.9 * (1 + momentum):
        return
    exact = heavy_ball_stationary_variance(lr=lr, curvature=curvature, momentum=momentum, noise_variance=noise_variance)
    assert exact == pytest.approx(_lyapunov_variance(step, momentum, lr, noise_variance), rel=1e-9)


def test_stationary_variance_limits_and_instability():
    # no momentum: ηs²/(λ(2 − ηλ)); small steps: the Langevin value ηs²/(2(1 − μ)λ)
    assert heavy_ball_stationary_variance(lr=0.5, curvature=1.0, momentum=0.0, noise_variance=2.0) == pytest.approx(
        0.5 * 2.0 / 1.5)
    tiny = heavy_ball_stationary_variance(lr=1e-8, curvature=1.0, momentum=0.9, noise_variance=1.0)
    assert tiny == pytest.approx(1e-8 / (2 * 0.1), rel=1e-7)
    assert heavy_ball_stationary_variance(lr=4.0, curvature=1.0, momentum=0.5, noise_variance=1.0) == math.inf
    with pytest.raises(ValueError, match="Invalid momentum value: 1.0"):
        heavy_ball_stationary_variance(lr=0.1, curvature=1.0, momentum=1.0, noise_variance=1.0)


def test_stationary_variance_matches_a_long_simulation():
    """50 000 replicates × 100 steps (the transient √μ^{200} ≈ 1e-22) of SGD with momentum on ½w² with N(0, 1)
    noise: the sample variance's relative standard error is about √2/√50000 ≈ 0.6 %; 4 % is about 6 standard
    errors (false-fail rate below 1e-8)."""
    generator = torch.Generator().manual_seed(0)
    lr, momentum = 0.3, 0.6
    w = torch.zeros(50_000, dtype=torch.float64)
    v = torch.zeros_like(w)
    for _ in range(100):
        g = w + torch.randn(w.shape, generator=generator, dtype=torch.float64)
        v = momentum * v + g
        w = w - lr * v
    exact = heavy_ball_stationary_variance(lr=lr, curvature=1.0, momentum=momentum, noise_variance=1.0)
    assert float(w.var()) == pytest.approx(exact, rel=0.04)


@pytest.mark.parametrize("step, momentum", [(0.1, 0.0), (1.5, 0.0), (0.05, 0.9), (0.5, 0.3)])
def test_spectral_radius_is_the_largest_root(step, momentum):
    roots = np.roots([1.0, -(1 + momentum - step), momentum])
    assert heavy_ball_spectral_radius(step=step, momentum=momentum) == pytest.approx(float(np.abs(roots).max()))
