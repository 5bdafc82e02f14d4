"""Running averages: closed forms of the problem set (004) and a Monte Carlo check of Var(μ̂_t)."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from implementations.averages import (
    bias_corrected_average,
    ema,
    ema_limit_variance,
    ema_step,
    ema_variance,
    iterate_average,
    momentum_sum,
)

ALPHA = 1e-3  # false-fail rate of the statistical test below
SETTINGS = settings(deadline=None, max_examples=30, database=None)
horizons = st.floats(1.0, 50.0)


def _constant(c, T, *replicates):
    return torch.full((T, *replicates), c, dtype=torch.float64)


def test_ema_step_formula():
    assert ema_step(2.0, 6.0, N=4) == pytest.approx(0.75 * 2.0 + 6.0 / 4)
    assert ema_step(5.0, 3.0, N=1) == 3.0


def test_ema_is_repeated_ema_step_and_keeps_replicate_shape():
    xs = torch.randn(30, 3, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = ema(xs, N=5.5, mu0=1.0)
    assert out.shape == xs.shape
    mu = torch.ones(3, 2, dtype=torch.float64)
    for t in range(30):
        mu = ema_step(mu, xs[t], N=5.5)
        torch.testing.assert_close(out[t], mu, rtol=0, atol=0)
    torch.testing.assert_close(out[:, 1, 0], ema(xs[:, 1, 0], N=5.5, mu0=1.0), rtol=0, atol=0)


@SETTINGS
@given(c=st.floats(-10, 10), N=horizons, T=st.integers(1, 60))
def test_ema_of_constant_has_closed_form(c, N, T):
    """From μ̂_0 = 0, μ̂_t = c (1 − ρ^t) with ρ = 1 − 1/N."""
    t = torch.arange(1, T + 1, dtype=torch.float64)
    expected = c * (1 - (1 - 1 / N) ** t)
    torch.testing.assert_close(ema(_constant(c, T), N=N), expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(N=horizons, t=st.integers(0, 200))
def test_ema_variance_is_geometric_sum(N, t):
    rho = 1 - 1 / N
    direct = sum(rho ** (2 * j) for j in range(t)) / N**2
    assert ema_variance(1.0, N, t) == pytest.approx(direct, rel=1e-12, abs=1e-300)


def test_ema_variance_limits():
    """004-02: the limit is σ²/((2 − 1/N)N), σ² for N = 1;
    004-03: about half of σ²/N for large N."""
    assert ema_variance(2.0, 1, 1) == ema_variance(2.0, 1, 7) == 2.0
    assert ema_variance(2.0, 3, 0) == 0.0
    assert ema_limit_variance(2.0, 1) == 2.0
    assert ema_variance(2.0, 7, 2000) == pytest.approx(ema_limit_variance(2.0, 7), rel=1e-12)
    assert ema_limit_variance(1.0, 1e6) * 1e6 == pytest.approx(0.5, rel=1e-5)


def test_ema_variance_monte_carlo():
    """Sample variance of μ̂_t over R i.i.d. replicates against the exact Var(μ̂_t).

    For Gaussian x_t, μ̂_t is Gaussian, so (R − 1)s²/Var(μ̂_t) ~ χ²_{R−1}; the test is two-sided
    at level ALPHA.
    """
    N, sigma2, R = 8.0, 2.5, 20000
    xs = math.sqrt(sigma2) * torch.randn(
        40, R, generator=torch.Generator().manual_seed(11), dtype=torch.float64
    )
    mus = ema(xs, N=N)
    for t in (1, 5, 40):
        s2 = mus[t - 1].var().item()
        cdf = stats.chi2(R - 1).cdf((R - 1) * s2 / ema_variance(sigma2, N, t))
        assert ALPHA / 2 < cdf < 1 - ALPHA / 2, t


@settings(deadline=None, max_examples=10, database=None)
@given(c=st.floats(-10, 10), N=horizons)
def test_momentum_sum_of_constant_tends_to_Nc(c, N):
    """004-04: y_t = (1 − 1/N) y_{t−1} + c → Nc, and y_t = N μ̂_t."""
    xs = _constant(c, 1500, 2)  # ρ^1500 < 1e-13 for N <= 50
    ys = momentum_sum(xs, N=N)
    assert ys.shape == xs.shape
    torch.testing.assert_close(ys[-1], torch.full((2,), N * c, dtype=torch.float64))
    torch.testing.assert_close(ys, N * ema(xs, N=N), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(c=st.floats(-10, 10), N=horizons, T=st.integers(1, 80))
def test_bias_corrected_average_of_constant_is_constant(c, N, T):
    """004-05: y_t = c for all t >= 1."""
    ys = bias_corrected_average(_constant(c, T, 3), N=N)
    torch.testing.assert_close(ys, _constant(c, T, 3), rtol=1e-12, atol=1e-12)


def test_bias_corrected_average_is_running_mean_then_ema():
    xs = torch.randn(20, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ys = bias_corrected_average(xs, N=6)
    counts = torch.arange(1, 7, dtype=torch.float64).unsqueeze(-1)
    torch.testing.assert_close(ys[:6], xs[:6].cumsum(dim=0) / counts)
    torch.testing.assert_close(ys[6:], ema(xs[6:], N=6, mu0=ys[5]))


def test_iterate_average():
    ws = torch.arange(12, dtype=torch.float64).reshape(6, 2)
    torch.testing.assert_close(iterate_average(ws), ws.mean(dim=0))
    torch.testing.assert_close(iterate_average(ws, last=2), (ws[4] + ws[5]) / 2)
    torch.testing.assert_close(iterate_average(ws, last=1), ws[5])


def test_inputs_are_not_mutated():
    xs = torch.ones(5, 2, dtype=torch.float64)
    for f in (ema, momentum_sum, bias_corrected_average):
        f(xs, N=2)
    iterate_average(xs, last=3)
    assert torch.equal(xs, torch.ones(5, 2, dtype=torch.float64))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ema_step(0.0, 1.0, N=0.5), "N must be >= 1, got 0.5"),
        (lambda: ema(torch.ones(3), N=0), "N must be >= 1, got 0"),
        (lambda: momentum_sum(torch.ones(3), N=-1), "got -1"),
        (lambda: bias_corrected_average(torch.ones(3), N=float("nan")), "got nan"),
        (lambda: ema_limit_variance(1.0, 0.9), "got 0.9"),
        (lambda: ema_variance(1.0, 2, -1), "t must be >= 0, got -1"),
        (lambda: ema(torch.ones(0, 2), N=2), r"length >= 1, got shape \(0, 2\)"),
        (lambda: iterate_average(torch.ones(4, 2), last=5), r"last must be in \[1, 4\].* got 5"),
        (lambda: iterate_average(torch.ones(4), last=0), "got 0"),
    ],
)
def test_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()
