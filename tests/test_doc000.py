"""Helpers of the lecture-000 claims (theorems/claims/doc000_initialization.py), against oracles.

Exact enumerations, autograd, torch.nn.functional and closed-form operation counts are the oracles;
the one statistical test states its α.
"""

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from implementations.layers import dropout
from theorems.claims import doc000_initialization as doc

ALPHA = 1e-3  # false-fail rate of each statistical test below


def _ctx(seed=0, dtype=torch.float64):
    return SimpleNamespace(generator=torch.Generator().manual_seed(seed), device=torch.device("cpu"), dtype=dtype)


# --- 1. expectation and variance ------------------------------------------------------------------

@pytest.mark.parametrize("distribution", doc.VARIABLES)
def test_base_draws_have_the_table_moments(distribution):
    law, n = doc.LAWS[distribution], 400_000
    y = doc.draw_base(distribution, (n,), _ctx(1))
    z = math.sqrt(2) * torch.special.erfinv(torch.tensor(1 - ALPHA / 2, dtype=torch.float64)).item()
    for k, raw in ((1, law.mean), (2, law.raw2), (3, law.raw3), (4, law.raw4)):
        powers = y**k
        assert abs(float(powers.mean()) - raw) <= z * float(powers.std()) / math.sqrt(n), (distribution, k)
    assert law.variance == pytest.approx(law.raw2 - law.mean**2)


def test_die_table_is_the_exact_enumeration():
    faces = np.arange(1, 7)
    law = doc.LAWS["die"]
    assert [law.mean, law.raw2, law.raw3, law.raw4] == pytest.approx([np.mean(faces**k) for k in range(1, 5)])


@pytest.mark.parametrize("dependence", ["dependent", "independent"])
def test_sum_moments_match_an_exact_enumeration_over_die_rolls(dependence):
    p = {"distribution": "die", "dependence": dependence, "terms": 4, "data_seed": 3}
    terms = doc.sum_terms(p)
    moments = doc.sum_moments(p)
    faces = np.arange(1, 7, dtype=float)
    if dependence == "dependent":  # one shared roll Y: enumerate its 6 outcomes
        values = np.stack([loc + spread * faces**k for loc, spread, k in terms])  # (terms, 6)
        covariance = np.cov(values, bias=True)
        cross = covariance.sum() - np.trace(covariance)
    else:
        values, cross = np.stack([loc + spread * faces for loc, spread, _ in terms]), 0.0
    assert moments["sum_of_means"] == pytest.approx(values.mean(axis=1).sum())
    assert moments["sum_of_sds"] == pytest.approx(values.std(axis=1).sum())
    assert moments["cross_covariance"] == pytest.approx(cross, abs=1e-9)


def test_affine_moments():
    p = {"distribution": "uniform", "loc": -1.0, "spread": 2.0}  # X ~ U[−1, 1]
    assert doc.affine_moments(p) == pytest.approx({"mean": 0.0, "variance": 1 / 3, "raw2": 1 / 3})


# --- 2. dropout ---------------------------------------------------------------------------------

@pytest.mark.parametrize("d, r", [(1, 0.3), (3, 0.0), (4, 0.5), (5, 1.0)])
def test_dropout_masks_enumerate_every_mask_with_its_probability(d, r):
    masks, probability = doc.dropout_masks(d, r)
    expected = {mask: math.prod((1 - r) if bit else r for bit in mask) for mask in itertools.product((0, 1), repeat=d)}
    got = {tuple(int(v) for v in row): float(pr) for row, pr in zip(masks, probability)}
    assert got.keys() == expected.keys()
    assert all(got[mask] == pytest.approx(expected[mask]) for mask in expected)
    assert float(probability.sum()) == pytest.approx(1.0)


def test_expected_over_masks_of_a_linear_layer_is_the_evaluation_rule():
    p = {"layers": 3, "d": 6, "e": 2, "data_seed": 5}
    x, W, b = doc.dropout_layers(p, "cpu")
    expected = doc.expected_over_masks(lambda masked: doc.pre_activation(masked, W, b), x, 0.3)
    torch.testing.assert_close(expected, doc.pre_activation(0.7 * x, W, b), rtol=1e-12, atol=1e-12)


def test_expected_over_masks_agrees_with_monte_carlo_dropout():
    # statistical: every |mean − exact| ≤ z_{1−α/(2m)} se, Bonferroni over the m entries
    p = {"layers": 2, "d": 5, "e": 3, "data_seed": 7}
    x, W, b = doc.dropout_layers(p, "cpu")
    exact = doc.expected_over_masks(lambda masked: torch.tanh(doc.pre_activation(masked, W, b)), x, 0.4)
    n = 200_000
    generator = torch.Generator().manual_seed(0)
    samples = torch.tanh(doc.pre_activation(dropout(x.expand(n, *x.shape), r=0.4, generator=generator,
                                                    inference=False), W, b))
    z = math.sqrt(2) * torch.special.erfinv(torch.tensor(1 - ALPHA / exact.numel(), dtype=torch.float64)).item()
    assert torch.all((samples.mean(0) - exact).abs() <= z * samples.std(0) / math.sqrt(n))


def test_exactness_labels():
    assert doc.exactness(np.array([1e-16, 0.0])) == doc.EXACT
    assert doc.exactness(np.array([1e-3, 1e-2])) == doc.INEXACT
    assert doc.exactness(np.array([1e-3, 0.0])) == doc.MIXED


# --- 3. convexity -------------------------------------------------------------------------------

def test_regression_losses_match_torch():
    p = {"regression": "linear", "N": 20, "d": 3, "data_seed": 1}
    X, y = doc.regression_data(p, "cpu")
    w = torch.randn(4, 3, dtype=torch.float64)
    expected = torch.stack([F.mse_loss(X @ v, y) for v in w])
    torch.testing.assert_close(doc.regression_loss("linear", X, y, w), expected)
    X, y = doc.regression_data({**p, "regression": "logistic"}, "cpu")
    expected = torch.stack([F.binary_cross_entropy_with_logits(X @ v, (y + 1) / 2) for v in w])
    torch.testing.assert_close(doc.regression_loss("logistic", X, y, w), expected)


def test_duplicated_column_data_are_rank_deficient():
    p = {"regression": "linear", "N": 30, "d": 5, "data_seed": 2, "features": "duplicated column"}
    X, _ = doc.regression_data(p, "cpu")
    assert X.shape == (30, 5) and torch.equal(X[:, 0], X[:, -1]) and int(torch.linalg.matrix_rank(X)) == 4


def test_convexity_class():
    assert doc.convexity_class(torch.tensor([[1.0, 2.0], [0.5, 3.0]])) == doc.STRICT
    assert doc.convexity_class(torch.tensor([[1e-17, 2.0]])) == doc.FLAT
    assert doc.convexity_class(torch.tensor([[-0.1, 2.0]])) == doc.NONCONVEX


def test_gd_outcome():
    assert doc.gd_outcome(np.array([1.0, 0.1, 1e-7])) == doc.REACHES
    assert doc.gd_outcome(np.array([1.0, 0.5, 1e-3])) == doc.STALLS
    assert doc.gd_outcome(np.array([1.0, 3.0, np.inf])) == doc.DIVERGES


def test_permuted_network_computes_the_same_function_and_midpoint_averages():
    p = {"problem": "deep regression", "activation": "tanh", "width": 5, "d_in": 3, "data_seed": 4}
    layers, X = doc.teacher_network(p, "cpu")
    permutation = torch.tensor([2, 0, 4, 1, 3])
    permuted = doc.permute_last_hidden_layer(layers, permutation)
    torch.testing.assert_close(doc.network_output(permuted, X, "tanh"), doc.network_output(layers, X, "tanh"))
    mid = doc.midpoint(layers, permuted)
    torch.testing.assert_close(mid[-1][0], (layers[-1][0] + layers[-1][0][permutation]) / 2)


def test_class_threshold_leaves_no_output_on_it():
    outputs = torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0], dtype=torch.float64)
    threshold = doc.class_threshold(outputs)
    assert 0.0 < threshold < 1.0
    with pytest.raises(ValueError, match="constant"):
        doc.class_threshold(torch.zeros(4))


def test_permutation_outcome():
    base = {"loss": 0.0, "scale": 1.0}
    assert doc.permutation_outcome({**base, "permuted": np.zeros(2), "midpoints": np.array([0.0, 0.5])}) == \
        doc.EQUIVALENT_NONCONVEX
    assert doc.permutation_outcome({**base, "permuted": np.zeros(2), "midpoints": np.zeros(2)}) == doc.EQUIVALENT_CONVEX
    assert doc.permutation_outcome({**base, "permuted": np.array([0.0, 0.1]), "midpoints": np.zeros(2)}) == \
        doc.NOT_EQUIVALENT


# --- 4. symmetry breaking -------------------------------------------------------------------------

@pytest.mark.parametrize("activation", list(doc.SYMMETRY_ACTIVATIONS))
def test_two_unit_gradients_match_autograd(activation):
    x = doc.SYMMETRY_INPUTS
    y = torch.sin(x)
    generator = torch.Generator().manual_seed(3)
    w1 = torch.randn(5, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    w0 = torch.randn(5, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    sigma, _ = doc.SYMMETRY_ACTIVATIONS[activation]
    f = (sigma(w1.unsqueeze(-1) * x) * w0.unsqueeze(-1)).sum(dim=1)
    loss = (f - y).square().mean(dim=-1)
    auto_w1, auto_w0 = torch.autograd.grad(loss.sum(), (w1, w0))
    grad_w1, grad_w0, manual_loss, _ = doc.two_unit_gradients(w1.detach(), w0.detach(), x, y, activation)
    torch.testing.assert_close(grad_w1, auto_w1)
    torch.testing.assert_close(grad_w0, auto_w0)
    torch.testing.assert_close(manual_loss, loss.detach())


def test_symmetric_weights_give_bitwise_equal_units():
    x = doc.SYMMETRY_INPUTS
    w1 = torch.tensor([[0.7, 0.7]], dtype=torch.float64)
    w0 = torch.tensor([[-1.3, -1.3]], dtype=torch.float64)
    *_, differences = doc.train_two_units(w1, w0, x, torch.cos(x), "sigmoid", lr=0.1, steps=50)
    assert torch.all(differences == 0)


def test_best_symmetric_loss_is_the_least_over_symmetric_networks():
    x = doc.SYMMETRY_INPUTS
    y = doc.two_scale_target({"activation": "tanh", "data_seed": 0}, x)
    best = doc.best_symmetric_loss(y, x, "tanh")
    generator = torch.Generator().manual_seed(0)
    a, c = 4 * torch.randn(2, 2000, 1, generator=generator, dtype=torch.float64)
    sampled = (2 * c * torch.tanh(a * x) - y).square().mean(dim=1)
    assert best <= float(sampled.min()) + 1e-12
    from scipy.optimize import minimize

    xn, yn = x.numpy(), y.numpy()
    refined = minimize(lambda v: float(np.mean((2 * v[1] * np.tanh(v[0] * xn) - yn) ** 2)), x0=[1.0, 0.5],
                       method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000}).fun
    assert best == pytest.approx(refined, rel=1e-4)


def test_symmetry_breaking_outcome():
    separated = torch.ones(3, 4)
    assert doc.symmetry_breaking_outcome(torch.zeros(3, 4), torch.ones(4), 1.0) == doc.STILL_SYMMETRIC
    assert doc.symmetry_breaking_outcome(separated, torch.full((4,), 0.4), 1.0) == doc.BETTER
    assert doc.symmetry_breaking_outcome(separated, torch.full((4,), 0.8), 1.0) == doc.SOMEWHAT
    assert doc.symmetry_breaking_outcome(separated, torch.full((4,), 1.2), 1.0) == doc.NOT_BETTER


# --- 6. operation counts --------------------------------------------------------------------------

def _network_flops(rows, L, d):
    """Closed form: forward 2·rows(Ld² + d); weight gradients the same; input gradients of the L − 1
    upper layers and of the output layer 2·rows((L − 1)d² + d)."""
    return rows * ((6 * L - 2) * d * d + 6 * d)


@pytest.mark.parametrize("d, L, N, S", [(3, 1, 1, 1), (7, 2, 5, 3), (16, 4, 9, 2)])
def test_operation_counts_match_the_closed_forms(d, L, N, S):
    sizes = {"d": d, "L": L, "N": N, "S": S}
    assert doc.operation_count("neuron", sizes) == 6 * d
    assert doc.operation_count("layer", sizes) == 6 * d * d
    assert doc.operation_count("network", sizes) == _network_flops(1, L, d)
    assert doc.operation_count("sgd_step", sizes) == _network_flops(1, L, d)
    assert doc.operation_count("gd_step", sizes) == _network_flops(N, L, d)
    assert doc.operation_count("gd", sizes) == S * _network_flops(N, L, d)
    assert doc.operation_count("full_loss", sizes) == 2 * N * (L * d * d + d)
    assert doc.operation_count("sampled_loss", sizes) == 2 * (L * d * d + d)
    with pytest.raises(ValueError, match="unknown cost"):
        doc.operation_count("epoch", sizes)


def test_fitted_exponent():
    sizes = [1, 3, 10, 30, 100]
    assert doc.fitted_exponent(sizes, [5 * s**2 for s in sizes]) == pytest.approx((2.0, 2.0, 2.0))
    assert doc.fitted_exponent(sizes, [7] * 5) == pytest.approx((0.0, 0.0, 0.0))
    slope, low, high = doc.fitted_exponent(sizes, [s**2 + 20 * s for s in sizes])
    assert low < slope < high and 1.0 < slope < 2.0
    with pytest.raises(ValueError, match="at least 3"):
        doc.fitted_exponent([1, 2], [1, 2])


def test_symmetry_label():
    same = torch.tensor([[0.3, 0.3]])
    assert doc.symmetry_label(same, torch.zeros(5, 1)) == f"{doc.SAME_GRADIENT}; {doc.IDENTICAL}"
    assert doc.symmetry_label(torch.tensor([[0.3, 0.4]]), torch.ones(5, 1)) == f"{doc.OTHER_GRADIENT}; {doc.SEPARATE}"


@pytest.mark.parametrize("regression", doc.REGRESSIONS)
def test_regression_hessian_matches_autograd(regression):
    X, y = doc.regression_data({"regression": regression, "N": 12, "d": 4, "data_seed": 6}, "cpu")
    w = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    autograd = torch.stack([torch.autograd.functional.hessian(lambda v: doc.regression_loss(regression, X, y, v), v)
                            for v in w])
    torch.testing.assert_close(doc.regression_hessian(regression, X, y, w), autograd)
