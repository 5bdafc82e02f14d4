"""The exact learning problems of implementations/generalization.py against independent oracles:
numpy's Legendre module and Gauss–Legendre quadrature for the polynomial fits, scipy's binomial
distribution for two-classifier ERM, a brute-force scan for threshold ERM, and a
Kolmogorov–Smirnov test (α = 1e-3) for the sorted uniforms."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre
from scipy import stats

from implementations.generalization import (
    legendre_features,
    legendre_norms,
    polynomial_fit_errors,
    sorted_uniforms,
    threshold_erm,
    threshold_excess,
    two_classifier_excess,
)

SETTINGS = settings(deadline=None, max_examples=25, database=None)
ALPHA = 1e-3  # false-fail rate of the statistical test below


@SETTINGS
@given(degree=st.integers(0, 25), seed=st.integers(0, 1000))
def test_legendre_features_match_numpy_legvander(degree, seed):
    x = 2 * torch.rand(7, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) - 1
    expected = torch.from_numpy(legendre.legvander(x.numpy(), degree))
    torch.testing.assert_close(legendre_features(x, degree), expected, rtol=1e-12, atol=1e-12)


def test_legendre_norms_match_quadrature():
    nodes, weights = legendre.leggauss(40)
    features = legendre.legvander(nodes, 10)
    expected = (weights[:, None] * features**2).sum(0) / 2  # E over U[−1, 1]
    torch.testing.assert_close(legendre_norms(10), torch.from_numpy(expected), rtol=1e-12, atol=0)


@SETTINGS
@given(degree=st.integers(0, 6), n=st.integers(8, 30), seed=st.integers(0, 1000))
def test_learning_plus_approximation_error_is_the_test_error(degree, n, seed):
    generator = torch.Generator().manual_seed(seed)
    target = torch.randn(4, generator=generator, dtype=torch.float64)  # a cubic, in Legendre coefficients
    x = 2 * torch.rand(3, n, generator=generator, dtype=torch.float64) - 1
    y = legendre_features(x, 3) @ target + 0.3 * torch.randn(3, n, generator=generator, dtype=torch.float64)
    learning, approximation = polynomial_fit_errors(x, y, target, degree)
    nodes, weights = legendre.leggauss(30)
    for r in range(3):
        fitted = np.polynomial.Legendre.fit(x[r].numpy(), y[r].numpy(), degree, domain=[-1, 1], window=[-1, 1])
        gap = fitted(nodes) - legendre.legval(nodes, target.numpy())
        test_error = float((weights * gap**2).sum() / 2)
        assert learning[r].item() + approximation == pytest.approx(test_error, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 7, 10, 101])
def test_two_classifier_excess_matches_scipy_binomial(n):
    deltas = torch.tensor([0.0, 0.05, 0.3, 0.9, 1.0], dtype=torch.float64)
    ours = two_classifier_excess(n, deltas)
    for delta, value in zip(deltas.tolist(), ours.tolist()):
        law = stats.binom(n, (1 + delta) / 2)
        wrong = law.cdf(math.ceil(n / 2) - 1) + (0.5 * law.pmf(n // 2) if n % 2 == 0 else 0.0)
        assert value == pytest.approx(delta * wrong, rel=1e-10, abs=1e-300)


@SETTINGS
@given(n=st.integers(1, 30), seed=st.integers(0, 1000))
def test_threshold_erm_minimizes_the_empirical_error_by_brute_force(n, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.sort(torch.rand(4, n, generator=generator, dtype=torch.float64)).values
    y = torch.where(torch.rand(4, n, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0).to(torch.float64)
    t_hat = threshold_erm(x, y)
    for r in range(4):
        candidates = torch.cat([torch.tensor([0.0], dtype=torch.float64), x[r], torch.tensor([1.0], dtype=torch.float64)])
        mids = (candidates[:-1] + candidates[1:]) / 2
        errors = [(torch.where(x[r] > t, 1.0, -1.0) != y[r]).sum().item() for t in mids.tolist()]
        ours = (torch.where(x[r] > t_hat[r], 1.0, -1.0) != y[r]).sum().item()
        assert ours == min(errors)


def test_sorted_uniforms_are_sorted_uniform_order_statistics():
    draws = sorted_uniforms(4000, 5, generator=torch.Generator().manual_seed(0))
    assert bool((draws[:, 1:] >= draws[:, :-1]).all())
    # the minimum of 5 uniforms is Beta(1, 5), the median Beta(3, 3)
    assert stats.kstest(draws[:, 0].numpy(), stats.beta(1, 5).cdf).pvalue > ALPHA
    assert stats.kstest(draws[:, 2].numpy(), stats.beta(3, 3).cdf).pvalue > ALPHA


def test_threshold_excess_without_noise_is_below_the_gap_around_t_star():
    excess = threshold_excess(200, 50, delta=1.0, t_star=0.3, generator=torch.Generator().manual_seed(1))
    assert bool((excess >= 0).all()) and float(excess.max()) < 0.2
