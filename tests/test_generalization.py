"""The exact learning problems of implementations/generalization.py against independent oracles:
numpy's Legendre module and Gauss–Legendre quadrature for the polynomial fits, a brute-force search
over unions of intervals for their ERM, a midpoint sum for the target's primitive, and a
Kolmogorov–Smirnov test (α = 1e-3) for the sorted uniforms."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre
from scipy import stats

from implementations.generalization import (
    interval_problem,
    legendre_features,
    legendre_norms,
    polynomial_fit_errors,
    sorted_uniforms,
    target_labels,
    target_mass,
    target_primitive,
    union_erm,
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


def test_sorted_uniforms_are_sorted_uniform_order_statistics():
    draws = sorted_uniforms(4000, 5, generator=torch.Generator().manual_seed(0))
    assert bool((draws[:, 1:] >= draws[:, :-1]).all())
    # the minimum of 5 uniforms is Beta(1, 5), the median Beta(3, 3)
    assert stats.kstest(draws[:, 0].numpy(), stats.beta(1, 5).cdf).pvalue > ALPHA
    assert stats.kstest(draws[:, 2].numpy(), stats.beta(3, 3).cdf).pvalue > ALPHA


def brute_force_erm(y, cuts, k):
    """max Σ_{i∈h} y_i over unions of at most k runs of consecutive points, and the set of ∫_h t_k of
    every maximizer (any of them is an empirical risk minimizer)."""
    n, best, masses = len(y), None, set()
    for j in range(k + 1):
        for ends in itertools.combinations(range(n + 1), 2 * j):
            runs = list(zip(ends[::2], ends[1::2]))
            total = sum(float(y[a:b].sum()) for a, b in runs)
            mass = round(sum(float(cuts[b] - cuts[a]) for a, b in runs), 12)
            if best is None or total > best:
                best, masses = total, {mass}
            elif total == best:
                masses.add(mass)
    return best, masses


@pytest.mark.parametrize("seed", range(60))
def test_union_erm_is_an_empirical_risk_minimizer(seed):
    generator = torch.Generator().manual_seed(seed)
    n, k = seed % 8 + 1, seed % 3 + 1
    y, cuts = interval_problem(1, n, k, torch.tensor([0.3]), generator=generator)
    total, mass = union_erm(y, cuts, k)
    best, masses = brute_force_erm(y[0], cuts[0], k)
    assert float(total[0]) == best
    assert round(float(mass[0]), 12) in masses


@pytest.mark.parametrize("k", [1, 2, 5])
def test_target_primitive_integrates_the_target(k):
    x = (torch.arange(200_000, dtype=torch.float64) + 0.5) / 200_000
    integral = torch.cumsum(target_labels(x, k), 0) / 200_000
    assert torch.allclose(integral, target_primitive(x + 0.5 / 200_000, k), atol=3e-5)  # a grid cell per segment end
    assert target_primitive(torch.tensor(1.0, dtype=torch.float64), k) == pytest.approx(-1 / (2 * k + 1))
    assert float((target_labels(x, k) > 0).double().mean()) == pytest.approx(target_mass(k), abs=1e-5)


def test_the_target_has_zero_excess_error():
    """The union of the target's own k intervals has ∫_h t_k = k/(2k + 1): excess 0."""
    k, segment = 3, 1 / 7
    ends = torch.tensor([[(2 * j + 1) * segment, (2 * j + 2) * segment] for j in range(k)], dtype=torch.float64)
    assert float((target_primitive(ends[:, 1], k) - target_primitive(ends[:, 0], k)).sum()) == pytest.approx(3 / 7)


def test_interval_problem_flips_labels_with_probability_one_minus_delta_over_two():
    delta = torch.tensor([0.2, 1.0], dtype=torch.float64)
    y, _ = interval_problem(2, 20_000, 2, delta, generator=torch.Generator().manual_seed(3))
    x = sorted_uniforms(2, 20_000, generator=torch.Generator().manual_seed(3))  # the same stream draws x first
    flipped = (y != target_labels(x, 2)).double().mean(dim=1)
    assert float(flipped[0]) == pytest.approx(0.4, abs=0.015) and float(flipped[1]) == 0.0


def test_union_erm_rejects_no_intervals():
    with pytest.raises(ValueError, match="got 0"):
        union_erm(torch.ones(1, 3, dtype=torch.float64), torch.zeros(1, 4, dtype=torch.float64), 0)
