"""Dropout and batch normalization against torch.nn; the MLP backward pass against autograd.

Statistical tests use fixed seeds and α = 1e-3 (each would fail for about 1 in 1000 seeds with a
correct implementation). Counts of kept units are tested exactly with a binomial test, and the
mean of a linear function of dropped-out inputs with a z-test using its exact variance.
"""

import math

import pytest
import torch
from scipy import stats

from implementations.layers import (
    BatchNormState,
    Dense,
    batch_norm,
    batch_norm_init,
    dropout,
    inverted_dropout,
    mlp_backward,
    mlp_forward,
    mlp_init,
)

ALPHA = 1e-3  # false-fail rate of each statistical test below


def _generator(seed):
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed):
    return torch.randn(*shape, generator=_generator(seed), dtype=torch.float64)


# --- dropout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("r", [0.0, 0.2, 0.5, 1.0])
def test_dropout_evaluation_scales_by_keep_probability(r):
    """000-05: Dropout_eval(X, r) = (1 − r) X; torch.nn.Dropout in eval mode is the identity."""
    x = _randn(4, 6, seed=0)
    torch.testing.assert_close(dropout(x, r=r, generator=None, inference=True), (1 - r) * x)
    torch.testing.assert_close(
        dropout(x, r=r, generator=None, inference=True),
        (1 - r) * torch.nn.Dropout(p=r).eval()(x),
        rtol=0,
        atol=0,
    )
    torch.testing.assert_close(
        inverted_dropout(x, r=r, generator=None, inference=True),
        torch.nn.Dropout(p=r).eval()(x),
        rtol=0,
        atol=0,
    )


@pytest.mark.parametrize("r", [0.1, 0.5, 0.9])
def test_dropout_training_keeps_each_unit_with_probability_one_minus_r(r):
    x = 1.0 + _randn(200, 100, seed=1).abs()
    ours = dropout(x, r=r, generator=_generator(2), inference=False)
    kept = ours != 0
    torch.testing.assert_close(ours[kept], x[kept], rtol=0, atol=0)
    assert stats.binomtest(int(kept.sum()), x.numel(), 1 - r).pvalue > ALPHA


@pytest.mark.parametrize("r", [0.1, 0.5, 0.9])
def test_inverted_dropout_training_matches_torch_in_law(r):
    x = 1.0 + _randn(200, 100, seed=3).abs()
    ours = inverted_dropout(x, r=r, generator=_generator(4), inference=False)
    with torch.random.fork_rng():
        torch.manual_seed(5)
        theirs = torch.nn.Dropout(p=r).train()(x)
    for out in (ours, theirs):
        kept = out != 0
        torch.testing.assert_close(out[kept], x[kept] / (1 - r))
        assert stats.binomtest(int(kept.sum()), x.numel(), 1 - r).pvalue > ALPHA


def test_dropout_expected_linear_output():
    """000-05: E[DO_r(x)ᵀw] = (1 − r) Σ x_i w_i, the evaluation-time output.

    Each draw has variance r(1 − r) Σ x_i² w_i²; the mean of R draws is tested with a z-test."""
    r, R = 0.3, 20000
    x, w = _randn(50, seed=6), _randn(50, seed=7)
    outputs = dropout(x.expand(R, 50), r=r, generator=_generator(8), inference=False) @ w
    evaluation = dropout(x, r=r, generator=None, inference=True) @ w
    std_error = math.sqrt(r * (1 - r) * (x.square() * w.square()).sum().item() / R)
    z = (outputs.mean().item() - evaluation.item()) / std_error
    assert 2 * stats.norm.sf(abs(z)) > ALPHA


def test_dropout_and_inverted_dropout_share_the_mask():
    x, r = _randn(3, 7, seed=9), 0.4
    plain = dropout(x, r=r, generator=_generator(10), inference=False)
    inverted = inverted_dropout(x, r=r, generator=_generator(10), inference=False)
    torch.testing.assert_close(inverted * (1 - r), plain)


def test_dropout_extremes_and_no_mutation():
    x = _randn(5, 5, seed=11)
    before = x.clone()
    assert torch.equal(dropout(x, r=0.0, generator=_generator(0), inference=False), x)
    assert not dropout(x, r=1.0, generator=_generator(0), inference=False).any()
    assert not inverted_dropout(x, r=1.0, generator=_generator(0), inference=False).any()
    assert torch.equal(x, before)


@pytest.mark.parametrize("layer", [dropout, inverted_dropout])
def test_dropout_validation(layer):
    with pytest.raises(ValueError, match="needs a generator, got None"):
        layer(torch.ones(3), r=0.5, generator=None, inference=False)
    with pytest.raises(ValueError, match=r"r must be in \[0, 1\], got 1.5"):
        layer(torch.ones(3), r=1.5, generator=_generator(0), inference=True)


# --- batch normalization ------------------------------------------------------------------------


def _torch_batch_norm(C, gamma, beta, **kwargs):
    bn = torch.nn.BatchNorm1d(C, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    return bn


@pytest.mark.parametrize("eps, momentum", [(1e-5, 0.1), (1e-3, 0.7)])
def test_batch_norm_matches_torch_in_training_and_evaluation(eps, momentum):
    C = 4
    gamma, beta = _randn(C, seed=0), _randn(C, seed=1)
    bn = _torch_batch_norm(C, gamma, beta, eps=eps, momentum=momentum)
    state = batch_norm_init(C, dtype=torch.float64)
    for step in range(3):
        x = 3.0 + 2.0 * _randn(16, C, seed=10 + step)
        y, state = batch_norm(x, state, gamma=gamma, beta=beta, eps=eps, momentum=momentum,
                              inference=False)
        with torch.no_grad():
            expected = bn.train()(x)
        torch.testing.assert_close(y, expected, rtol=0, atol=1e-13)
        torch.testing.assert_close(state.running_mean, bn.running_mean, rtol=0, atol=1e-14)
        torch.testing.assert_close(state.running_var, bn.running_var, rtol=0, atol=1e-14)
        assert state.count == bn.num_batches_tracked.item() == step + 1
    x = _randn(5, C, seed=20)
    y, after = batch_norm(x, state, gamma=gamma, beta=beta, eps=eps, momentum=momentum,
                          inference=True)
    with torch.no_grad():
        torch.testing.assert_close(y, bn.eval()(x), rtol=0, atol=1e-13)
    assert after is state


def test_batch_norm_can_recover_the_identity():
    """001-26: with γ = √(σ_B² + ε) and β = μ_B the layer returns its input."""
    x = 5.0 + 3.0 * _randn(32, 3, seed=2)
    eps = 1e-5
    gamma = torch.sqrt(x.var(dim=0, correction=0) + eps)
    beta = x.mean(dim=0)
    y, _ = batch_norm(x, batch_norm_init(3, dtype=torch.float64), gamma=gamma, beta=beta,
                      eps=eps, inference=False)
    torch.testing.assert_close(y, x, rtol=1e-12, atol=1e-12)


def test_batch_norm_output_is_standardized_per_feature():
    x = 5.0 + 3.0 * _randn(64, 3, seed=3)
    ones, zeros = torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    y, _ = batch_norm(x, batch_norm_init(3, dtype=torch.float64), gamma=ones, beta=zeros,
                      eps=1e-12, inference=False)
    torch.testing.assert_close(y.mean(dim=0), zeros, rtol=0, atol=1e-12)
    torch.testing.assert_close(y.var(dim=0, correction=0), ones, rtol=1e-9, atol=0)


def test_batch_norm_replicates_are_independent():
    R, B, C = 3, 8, 2
    x = _randn(R, B, C, seed=4)
    gamma, beta = _randn(C, seed=5), _randn(C, seed=6)
    state = BatchNormState(_randn(R, C, seed=7), 1.0 + _randn(R, C, seed=8).abs(), 2)
    before = (x.clone(), state.running_mean.clone(), state.running_var.clone())
    for inference in (False, True):
        y, new = batch_norm(x, state, gamma=gamma, beta=beta, inference=inference)
        assert y.shape == (R, B, C) and new.running_mean.shape == (R, C)
        one, one_new = batch_norm(
            x[1], BatchNormState(state.running_mean[1], state.running_var[1], 2),
            gamma=gamma, beta=beta, inference=inference,
        )
        torch.testing.assert_close(y[1], one, rtol=0, atol=1e-15)
        torch.testing.assert_close(new.running_var[1], one_new.running_var, rtol=0, atol=1e-15)
    assert torch.equal(x, before[0]) and torch.equal(state.running_mean, before[1])
    assert torch.equal(state.running_var, before[2])


@pytest.mark.parametrize(
    "x, kwargs, message",
    [
        (torch.ones(1, 2), dict(inference=False), "batch size must be >= 2 .*, got 1"),
        (torch.ones(2), dict(inference=True), r"shape \(\.\.\., B, C\), got \(2,\)"),
        (torch.ones(4, 2), dict(inference=False, eps=0.0), "eps must be > 0, got 0.0"),
        (torch.ones(4, 2), dict(inference=False, momentum=2.0), r"in \[0, 1\], got 2.0"),
    ],
)
def test_batch_norm_validation(x, kwargs, message):
    state = batch_norm_init(2)
    with pytest.raises(ValueError, match=message):
        batch_norm(x, state, gamma=torch.ones(2), beta=torch.zeros(2), **kwargs)
    with pytest.raises(ValueError, match="num_features must be >= 1, got 0"):
        batch_norm_init(0)


# --- MLP and its backward pass (003-02) ---------------------------------------------------------


def _random_params(sizes, seed):
    """mlp_init's weights with random (not zero) biases, so that ∇_B is exercised."""
    params = mlp_init(sizes, generator=_generator(seed), dtype=torch.float64)
    return tuple(
        Dense(layer.weight, _randn(layer.bias.shape[0], seed=seed + 100 + k))
        for k, layer in enumerate(params)
    )


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("batch_shape", [(), (7,), (2, 5)])
def test_mlp_backward_matches_autograd(activation, batch_shape):
    sizes = (3, 6, 4, 2)
    params = _random_params(sizes, seed=1)
    x = _randn(*batch_shape, sizes[0], seed=2)
    output, cache = mlp_forward(params, x, activation=activation)
    grad_output = _randn(*output.shape, seed=3)
    ours = mlp_backward(params, cache, grad_output)

    leaves = [t.clone().requires_grad_() for layer in params for t in layer]
    autograd_params = [Dense(*leaves[i : i + 2]) for i in range(0, len(leaves), 2)]
    autograd_output, _ = mlp_forward(autograd_params, x, activation=activation)
    expected = torch.autograd.grad(autograd_output, leaves, grad_outputs=grad_output)

    torch.testing.assert_close(output, autograd_output.detach(), rtol=0, atol=0)
    assert len(ours) == len(params)
    for got, want in zip([t for layer in ours for t in layer], expected):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_mlp_forward_is_the_documented_composition():
    params = _random_params((2, 3, 1), seed=4)
    x = _randn(5, 2, seed=5)
    output, cache = mlp_forward(params, x, activation="sigmoid")
    hidden = torch.sigmoid(x @ params[0].weight + params[0].bias)
    torch.testing.assert_close(output, hidden @ params[1].weight + params[1].bias)
    assert len(cache.outputs) == 3 and cache.outputs[0] is x


def test_mlp_init_shapes_follow_the_documents_indexing():
    params = mlp_init((3, 5, 2), generator=_generator(0), dtype=torch.float64)
    assert [tuple(layer.weight.shape) for layer in params] == [(3, 5), (5, 2)]
    assert all(not layer.bias.any() for layer in params)
    assert all(layer.weight.dtype == torch.float64 for layer in params)


def test_mlp_validation():
    with pytest.raises(ValueError, match=r"got \[3\]"):
        mlp_init([3], generator=_generator(0))
    with pytest.raises(ValueError, match=r"got \[3, 0, 1\]"):
        mlp_init([3, 0, 1], generator=_generator(0))
    params = mlp_init([2, 1], generator=_generator(0))
    with pytest.raises(ValueError, match="got 'relu'"):
        mlp_forward(params, torch.ones(2), activation="relu")
