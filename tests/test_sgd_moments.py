"""The exact SGD moments of implementations.sgd_moments against Monte Carlo runs of SGD itself.

Each test runs R independent SGD trajectories (replicates as a batch dimension, float64, seeded)
and compares E[e_t] and E[e_t²] at every step with a z-test on the replicate mean, Bonferroni over
the 2T comparisons: each test fails for a correct implementation with probability at most
α = 1e-3.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.sgd_moments import (
    error_moments,
    least_squares_coefficients,
    noisy_quadratic_coefficients,
)

ALPHA = 1e-3  # false-fail rate of each Monte Carlo test below
R = 100_000  # replicates
T = 12  # SGD steps


def assert_moments_match(errors: torch.Tensor, exact) -> None:
    """errors: (T + 1, R) Monte Carlo e_t; exact: ErrorMoments. z-test per moment and step."""
    z = NormalDist().inv_cdf(1 - ALPHA / (2 * 2 * errors.shape[0]))
    for statistic, expected in ((errors, exact.mean), (errors.square(), exact.second)):
        mean = statistic.mean(dim=1).numpy()
        se = statistic.std(dim=1).numpy() / math.sqrt(statistic.shape[1])
        assert np.all(np.abs(mean - expected) <= z * se + 1e-12), (mean, expected, se)


@pytest.mark.parametrize("seed", [0, 1])
def test_noisy_quadratic_moments_match_monte_carlo(seed):
    generator = torch.Generator().manual_seed(seed)
    lam, sigma2, e0 = 1.3, 0.7, 2.0
    etas = np.linspace(0.9, 0.1, T)
    e = torch.full((R,), e0, dtype=torch.float64)
    errors = [e]
    for eta in etas:
        noise = math.sqrt(sigma2) * torch.randn(R, generator=generator, dtype=torch.float64)
        e = e - eta * (lam * e + noise)
        errors.append(e)
    exact = error_moments(noisy_quadratic_coefficients(etas, lam=lam, sigma2=sigma2), e0=e0)
    assert_moments_match(torch.stack(errors), exact)


@pytest.mark.parametrize("seed", [0, 1])
def test_least_squares_moments_match_monte_carlo(seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.tensor([0.8, -1.1, 1.3, 0.5, -0.9], dtype=torch.float64)
    y = torch.tensor([1.0, -0.7, 2.1, 0.2, -1.5], dtype=torch.float64)
    w_star = float(x @ y / (x @ x))
    w0 = -1.5
    etas = 0.5 / np.sqrt(1.0 + np.arange(T))
    w = torch.full((R,), w0, dtype=torch.float64)
    errors = [w - w_star]
    for eta in etas:
        i = torch.randint(len(x), (R,), generator=generator)
        w = w - eta * x[i] * (x[i] * w - y[i])
        errors.append(w - w_star)
    exact = error_moments(least_squares_coefficients(etas, x=x.numpy(), y=y.numpy()), e0=w0 - w_star)
    assert_moments_match(torch.stack(errors), exact)


@settings(deadline=None, max_examples=25, database=None)
@given(lam=st.floats(0.01, 5.0), eta=st.floats(0.0, 0.3), e0=st.floats(-5.0, 5.0))
def test_noiseless_quadratic_is_plain_gradient_descent(lam, eta, e0):
    """σ² = 0: m_t = (1 − ηλ)^t e_0 and s_t = m_t² exactly."""
    exact = error_moments(noisy_quadratic_coefficients(np.full(T, eta), lam=lam, sigma2=0.0), e0=e0)
    expected = (1 - eta * lam) ** np.arange(T + 1) * e0
    np.testing.assert_allclose(exact.mean, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(exact.second, expected**2, rtol=1e-12, atol=1e-300)


def test_constant_step_reaches_the_noise_floor():
    """Constant η: s_t → ησ²/(λ(2 − ηλ)), the stationary variance of the AR(1) recursion."""
    lam, sigma2, eta = 2.0, 0.5, 0.1
    exact = error_moments(noisy_quadratic_coefficients(np.full(2000, eta), lam=lam, sigma2=sigma2), e0=3.0)
    assert exact.second[-1] == pytest.approx(eta * sigma2 / (lam * (2 - eta * lam)), rel=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: noisy_quadratic_coefficients([0.1], lam=0.0, sigma2=1.0), "got 0.0"),
        (lambda: noisy_quadratic_coefficients([0.1], lam=1.0, sigma2=-1.0), "got -1.0"),
        (lambda: noisy_quadratic_coefficients([-0.1], lam=1.0, sigma2=1.0), "got -0.1"),
        (lambda: least_squares_coefficients([0.1], x=[0.0], y=[1.0]), "non-zero"),
        (lambda: least_squares_coefficients([0.1], x=[1.0, 2.0], y=[1.0]), r"got \(2,\) and \(1,\)"),
    ],
)
def test_invalid_inputs_raise_naming_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()
