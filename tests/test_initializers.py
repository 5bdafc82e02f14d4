"""Initializers: the variances of lecture 001-24, and agreement in law with torch.nn.init.

Statistical tests use fixed seeds and α = 1e-3: with a correct implementation each one would fail
for about 1 in 1000 seeds, so a failure on the fixed seed points at the code. The Kolmogorov–Smirnov
test is used because it compares whole distributions (a wrong scale or a wrong family both show).
"""

import math
from functools import partial

import pytest
import torch
from scipy import stats

from implementations import initializers as init

ALPHA = 1e-3  # false-fail rate of each statistical test below
FAN_OUT, FAN_IN = 60, 150

# name -> (variance rule, family, torch.nn.init reference: gain 1 or the documented nonlinearity)
nn_init = torch.nn.init
CASES = {
    "lecun_normal": ("lecun", "normal", partial(nn_init.kaiming_normal_, nonlinearity="linear")),
    "lecun_uniform": ("lecun", "uniform", partial(nn_init.kaiming_uniform_, nonlinearity="linear")),
    "xavier_normal": ("xavier", "normal", partial(nn_init.xavier_normal_, gain=1.0)),
    "xavier_uniform": ("xavier", "uniform", partial(nn_init.xavier_uniform_, gain=1.0)),
    "he_normal": ("he", "normal", partial(nn_init.kaiming_normal_, nonlinearity="relu")),
    "he_uniform": ("he", "uniform", partial(nn_init.kaiming_uniform_, nonlinearity="relu")),
}


def _generator(seed):
    return torch.Generator().manual_seed(seed)


def _law(rule, family, fan_in, fan_out):
    variance = init.init_variance(rule, fan_in, fan_out)
    if family == "normal":
        return stats.norm(scale=math.sqrt(variance))
    bound = math.sqrt(3 * variance)
    return stats.uniform(loc=-bound, scale=2 * bound)


def test_registry_is_complete():
    expected = {"standard_normal", "uniform01", *CASES}
    assert set(init.INITIALIZERS) == expected
    for name, f in init.INITIALIZERS.items():
        assert f.__name__ == name and f.__doc__


@pytest.mark.parametrize(
    "rule, expected", [("lecun", 1 / 150), ("xavier", 2 / 210), ("he", 2 / 150)]
)
def test_init_variance_matches_lecture(rule, expected):
    assert init.init_variance(rule, FAN_IN, FAN_OUT) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_stated_law(name):
    rule, family, _ = CASES[name]
    w = init.INITIALIZERS[name]((4, FAN_OUT, FAN_IN), generator=_generator(0), dtype=torch.float64)
    assert stats.kstest(w.flatten().numpy(), _law(rule, family, FAN_IN, FAN_OUT).cdf).pvalue > ALPHA


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_nn_init_in_law(name):
    """Two-sample KS test between our draws and torch.nn.init's on 2-D (fan_out, fan_in) weights."""
    _, _, reference = CASES[name]
    ours = init.INITIALIZERS[name]((FAN_OUT, FAN_IN), generator=_generator(1), dtype=torch.float64)
    theirs = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    reference(theirs, generator=_generator(2))
    assert stats.kstest(ours.flatten().numpy(), theirs.flatten().numpy()).pvalue > ALPHA


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_variance_matches_init_variance(name):
    """(N − 1)s²/σ² ~ χ²_{N−1} for normal draws; for uniform draws s² is asymptotically normal with
    variance (μ₄ − σ⁴)/N = 0.8σ⁴/N. Two-sided test at level ALPHA."""
    rule, family, _ = CASES[name]
    w = init.INITIALIZERS[name]((3, FAN_OUT, FAN_IN), generator=_generator(3), dtype=torch.float64)
    N, variance = w.numel(), init.init_variance(rule, FAN_IN, FAN_OUT)
    s2 = w.var().item()
    if family == "normal":
        cdf = stats.chi2(N - 1).cdf((N - 1) * s2 / variance)
    else:
        cdf = stats.norm.cdf((s2 - variance) / math.sqrt(0.8 * variance**2 / N))
    assert ALPHA / 2 < cdf < 1 - ALPHA / 2


@pytest.mark.parametrize("rule", ["lecun", "xavier", "he"])
def test_normal_is_standard_normal_scaled_exactly(rule):
    shape = (2, 3, 7, 5)
    w = init.INITIALIZERS[f"{rule}_normal"](shape, generator=_generator(4), dtype=torch.float64)
    z = init.standard_normal(shape, generator=_generator(4), dtype=torch.float64)
    torch.testing.assert_close(w, math.sqrt(init.init_variance(rule, 5, 7)) * z, rtol=0, atol=0)


@pytest.mark.parametrize("rule", ["lecun", "xavier", "he"])
def test_uniform_bound(rule):
    w = init.INITIALIZERS[f"{rule}_uniform"]((2, 40, 30), generator=_generator(5))
    bound = math.sqrt(3 * init.init_variance(rule, 30, 40))
    assert w.abs().max().item() <= bound and w.abs().max().item() > 0.95 * bound


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
@pytest.mark.parametrize("shape", [(3, 4), (5, 3, 4), (2, 5, 3, 4)])
def test_shape_dtype_device_and_replicates_differ(name, shape):
    f = init.INITIALIZERS[name]
    w = f(shape, generator=_generator(6), dtype=torch.float64)
    assert w.shape == shape and w.dtype == torch.float64 and w.device.type == "cpu"
    assert f(shape, generator=_generator(6)).dtype == torch.float32
    torch.testing.assert_close(w, f(shape, generator=_generator(6), dtype=torch.float64))
    if len(shape) > 2:
        assert not torch.equal(w[0], w[1])


def test_standard_laws():
    z = init.standard_normal((20000,), generator=_generator(7), dtype=torch.float64).numpy()
    u = init.uniform01((20000,), generator=_generator(8), dtype=torch.float64).numpy()
    assert stats.kstest(z, "norm").pvalue > ALPHA
    assert stats.kstest(u, "uniform").pvalue > ALPHA


def test_zeros():
    w = init.zeros((2, 3, 4), dtype=torch.float64)
    assert w.shape == (2, 3, 4) and w.dtype == torch.float64 and not w.any()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: init.init_variance("glorot", 3, 4), "got 'glorot'"),
        (lambda: init.init_variance("he", 0, 4), "fan_in=0"),
        (lambda: init.he_normal((5,), generator=_generator(0)), r"at least 2 dims .* got \(5,\)"),
        (lambda: init.xavier_uniform((0, 5), generator=_generator(0)), "fan_out=0"),
    ],
)
def test_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_draws_on_the_generator_device(name):
    generator = torch.Generator(device="cuda").manual_seed(0)
    assert init.INITIALIZERS[name]((2, 3, 4), generator=generator).device.type == "cuda"
