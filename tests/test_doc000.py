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
from theorems.catalogue import doc000_initialization as doc

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
    assert moments["means"] == pytest.approx(values.mean(axis=1))
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
    assert doc.operation_count("gd_step", sizes) == _network_flops(N, L, d)
    assert doc.operation_count("gd", sizes) == S * _network_flops(N, L, d)
    with pytest.raises(ValueError, match="unknown cost"):
        doc.operation_count("epoch", sizes)


@pytest.mark.parametrize("d, L, N", [(3, 1, 1), (7, 2, 5), (16, 4, 9)])
def test_sampled_costs_count_flops_and_written_elements_and_only_the_full_loss_touches_n(d, L, N):
    """000-14's costs add every written element to the flops: the full loss writes σ and the residuals of all
    N rows; the sampled loss writes the draw (1), the gathered row and target (d + 1), σ (Ld) and the loss (3);
    the SGD step also writes its gradients and the update (3 per parameter)."""
    sizes = {"d": d, "L": L, "N": N, "S": 1}
    parameters = L * d * d + d
    assert doc.operation_count("full_loss", sizes) == 2 * N * parameters + N * (L * d + 2) + 1
    assert doc.operation_count("sampled_loss", sizes) == 2 * parameters + (L * d + d + 5)
    assert doc.operation_count("sgd_step", sizes) == _network_flops(1, L, d) + (L * d + d + 5) + 3 * parameters
    for cost in ("sampled_loss", "sgd_step"):
        assert doc.operation_count(cost, {**sizes, "N": 1000 * N}) == doc.operation_count(cost, sizes)


def test_alexnet_has_torchvisions_parameters_and_costs_more_per_image_than_the_slides_l_d_squared():
    assert sum(w.numel() for w in doc.alexnet().parameters()) == 61_100_840
    forward = doc.alexnet_multiply_adds(backward=False)
    assert forward == pytest.approx(7.14e8, rel=0.01)
    assert 2.5 * forward < doc.alexnet_multiply_adds(backward=True) < 3 * forward


def test_exponent_interval():
    sizes = [1, 3, 10, 30, 100]
    assert doc.exponent_interval(sizes, [5 * s**2 for s in sizes]) == pytest.approx((2.0, 2.0, 2.0))
    assert doc.exponent_interval(sizes, [7] * 5) == pytest.approx((0.0, 0.0, 0.0))
    slope, low, high = doc.exponent_interval(sizes, [s**2 + 20 * s for s in sizes])
    assert low < slope < high and 1.0 < slope < 2.0
    with pytest.raises(ValueError, match="at least 3"):
        doc.exponent_interval([1, 2], [1, 2])


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


# --- 000-07: gradient descent on the unregularized logistic loss ---------------------------------------

def test_logistic_gd_outcome_tells_log_growth_from_convergence():
    assert doc.logistic_gd_outcome(np.array([9.7, 23.1, 51.7]), 8e-4) == doc.NO_MINIMIZER  # separable data
    assert doc.logistic_gd_outcome(np.array([2.7, 2.7, 2.7]), 1e-16) == doc.REACHES
    assert doc.logistic_gd_outcome(np.array([2.0, 2.5, 2.6]), 1e-3) == doc.STALLS


@pytest.mark.parametrize("separable, label", [(True, doc.NO_MINIMIZER), (False, doc.REACHES)])
def test_unregularized_logistic_runs(separable, label):
    point = {"n": 40, "d": 2, "step": 1.0, "data_seed": 3, "separable": separable}
    assert doc.gd_reaches_unregularized_logistic_minimizer.measure(point, _ctx()).value == label


# --- 000-05: the derivation's first line ---------------------------------------------------------------

def test_dropout_first_line_measures_the_random_sum_over_every_mask():
    point = {"d": 3, "r": 0.3, "data_seed": 2}
    measurement = doc.dropout_expectation_first_line.measure(point, _ctx())
    masks, probability = doc.dropout_masks(3, 0.3)
    x, w = doc.single_neuron(point, torch.device("cpu"))
    np.testing.assert_allclose(measurement.value, ((masks * x) @ w).numpy())
    assert float(probability.numpy() @ measurement.value) == pytest.approx(measurement.quantities["expected"])
    assert measurement.quantities["expected"] == pytest.approx(0.7 * float(x @ w))


def _mean_ctx(seed=0, n=200_000):
    """A context whose Monte Carlo mean is n draws at once, with its standard error."""
    ctx = _ctx(seed)

    def mean(draw, *, bytes_per_replicate, quantities=None):
        values = draw(n)
        return SimpleNamespace(value=float(values.mean()), se=float(values.std()) / math.sqrt(n),
                               quantities=dict(quantities or {}))

    ctx.mean = mean
    return ctx


def test_index_expectation_line_holds_only_with_i_in_place_of_x():
    """E[X] = Σ P(X = i) X is the outcome X, not its mean; Σ P(X = i) i is E[X] = (N + 1)/2."""
    claim, point = doc.expectation_of_index_line, {"N": 10}
    measurement = claim.measure(point, _ctx())
    p = {**point, **measurement.quantities}
    np.testing.assert_allclose(measurement.value, np.full(10, 5.5))
    assert not np.allclose(claim.stated(p), measurement.value)
    np.testing.assert_allclose(claim.alternatives[0].value(p), measurement.value)


def test_scaled_term_variance_sum_estimates_the_sum_of_the_terms_variances():
    point = {"fan_in": 16, "data_seed": 3}
    measurement = doc.scaled_term_variance_sum(point, _mean_ctx(2))
    p = {**point, **measurement.quantities}
    z = math.sqrt(2) * torch.special.erfinv(torch.tensor(1 - ALPHA / 2, dtype=torch.float64)).item()
    assert abs(measurement.value - doc.scaled_init_variance_middle_line.stated(p)) <= z * measurement.se
    assert abs(measurement.value - doc.scaled_init_variance_middle_line.mutants[0].value(p)) > z * measurement.se


def test_minibatch_middle_line_alternative_is_the_exact_variance_over_subsets():
    """Without replacement, the covariance-corrected line equals the variance of the subset mean over all subsets."""
    values = torch.randn(6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    B = 3
    means = torch.stack([values[list(subset)].mean() for subset in itertools.combinations(range(6), B)])
    p = {"sigma2": float(values.var(correction=0)), "B": B, "N": 6}
    claim = doc.minibatch_variance_middle_line
    assert claim.alternatives[0].value(p) == pytest.approx(float(means.var(correction=0)), rel=1e-12)
    assert claim.stated(p) == pytest.approx(p["sigma2"] / B, rel=1e-12)


def test_dropout_linear_part_reports_inputs_and_the_declared_rule_reproduces_the_exact_expectation():
    claim = doc.dropout_eval_rule_linear_part
    point = claim.design[1]
    measurement = claim.measure(point, _ctx())
    assert "eval_rule" not in measurement.quantities and "no_dropout" not in measurement.quantities
    p = {**point, **measurement.quantities}
    np.testing.assert_allclose(claim.stated(p), measurement.value, rtol=1e-12, atol=1e-12)
    for mutant in claim.mutants:
        assert not np.allclose(mutant.value(p), measurement.value, rtol=1e-9), mutant.statement


def test_convexity_measurement_reports_the_chords_inputs_not_the_chord():
    claim = doc.regression_losses_convex
    point = claim.design[0]
    measurement = claim.measure(point, _ctx())
    assert "chord" not in measurement.quantities
    p = {**point, **measurement.quantities}
    assert np.all(measurement.value <= claim.stated(p) + 1e-12)
