"""The catalogue kit's shared helpers (issue 20), each written once and checked here on inputs whose
answer is known: power-law fits on exact and noisy power laws, log-spaced indices, the document-form
trajectory runner against hand-written steps, the operation counter against closed-form counts
(forward and backward), and the convergence classifier on gradient descent's error sequences.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations import optimizers as opt
from theorems.catalogue import kit
from theorems.catalogue.kit import convergence

SETTINGS = settings(deadline=None, max_examples=20, database=None, derandomize=True)


# --- power-law fits ---------------------------------------------------------------------------------

@SETTINGS
@given(exponent=st.floats(-3, 3), scale=st.floats(0.1, 10))
def test_fitted_exponent_of_an_exact_power_law_is_its_exponent_with_zero_residual_se(exponent, scale):
    sizes = np.geomspace(1, 1e3, 7)
    slope, se = kit.fitted_exponent(sizes, scale * sizes**exponent)
    assert slope == pytest.approx(exponent, abs=1e-9) and se < 1e-9


def test_fitted_exponent_without_ses_is_ordinary_least_squares_with_the_residual_se():
    sizes = np.array([1.0, 3, 10, 30, 100])
    values = sizes**2 + 20 * sizes
    slope, se = kit.fitted_exponent(sizes, values)
    fit = np.polynomial.polynomial.Polynomial.fit(np.log(sizes), np.log(values), 1).convert()
    assert slope == pytest.approx(fit.coef[1], rel=1e-12)
    x, y = np.log(sizes), np.log(values)
    residuals = y - fit(x)
    assert se == pytest.approx(math.sqrt(residuals @ residuals / 3 / ((x - x.mean()) ** 2).sum()), rel=1e-9)


def test_fitted_exponent_with_ses_weighs_each_log_value_by_its_inverse_variance():
    sizes = np.array([10, 100, 1000, 10000])
    values = 3.0 * sizes**-1.0
    slope, se = kit.fitted_exponent(sizes, values, 0.01 * values)
    assert slope == pytest.approx(-1.0, abs=1e-12)
    # equal relative errors of 1 %: weights 1e4 each, se = 1/√(1e4 Σ(log n − mean)²)
    log_n = np.log(sizes)
    assert se == pytest.approx(1 / math.sqrt(1e4 * ((log_n - log_n.mean()) ** 2).sum()), rel=1e-12)
    # a value 100× less certain barely moves the slope
    noisy = values * np.array([1, 1, 1, 2.0])
    slope, _ = kit.fitted_exponent(sizes, noisy, 0.01 * noisy * np.array([1, 1, 1, 100]))
    assert slope == pytest.approx(-1.0, abs=1e-3)


@pytest.mark.parametrize("sizes, values, ses, message", [
    ([1, 2], [1, 2], None, "at least 3 sizes"),
    ([1], [1], [0.1], "at least 2 sizes"),
    ([1, 2, 3], [1, 2], None, "as many values"),
    ([1, 2, 3], [1, 0, 3], None, "positive"),
    ([1, 2, 3], [1, 2, 3], [0.1, 0.0, 0.1], "positive"),
])
def test_fitted_exponent_names_a_bad_input(sizes, values, ses, message):
    with pytest.raises(ValueError, match=message):
        kit.fitted_exponent(sizes, values, ses)


# --- log-spaced indices -----------------------------------------------------------------------------

def test_log_spaced_integers_are_distinct_increasing_and_keep_both_ends():
    sizes = kit.log_spaced_integers(10, 10**4, 7)
    np.testing.assert_array_equal(sizes, [10, 31, 100, 316, 1000, 3162, 10000])
    dense = kit.log_spaced_integers(1, 50, 60)  # below a spacing of 1 the floors repeat: each kept once
    assert dense[0] == 1 and dense[-1] == 50 and np.all(np.diff(dense) > 0) and len(dense) < 50


def test_log_spaced_indices_cover_an_array_from_first_to_last():
    keep = kit.log_spaced(1000)
    assert keep[0] == 0 and keep[-1] == 999 and len(set(keep)) == len(keep) <= 60
    assert len(kit.log_spaced(1000, 20)) <= 20
    np.testing.assert_array_equal(kit.log_spaced(1), [0])


@pytest.mark.parametrize("call, message", [(lambda: kit.log_spaced_integers(0, 10, 5), "low"),
                                           (lambda: kit.log_spaced_integers(5, 4, 5), "high"),
                                           (lambda: kit.log_spaced(0), "n"),
                                           (lambda: kit.log_spaced(10, 0), "count")])
def test_log_spaced_names_a_bad_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- trajectories -----------------------------------------------------------------------------------

def test_form_path_runs_a_document_form_from_its_own_iterates():
    grad = lambda w: 2.0 * w  # noqa: E731  (E = w², ∇E = 2w)
    w0 = torch.tensor([1.0], dtype=torch.float64)
    path = kit.form_path(opt.delta_momentum_init, opt.delta_momentum_update, grad, w0, steps=3, lr=0.1, beta=0.5)
    # ΔW_k = βΔW_{k−1} − η∇E(W_{k−1}), W_k = W_{k−1} + ΔW_k, ΔW_0 = 0
    w, delta, expected = 1.0, 0.0, [1.0]
    for _ in range(3):
        delta = 0.5 * delta - 0.1 * 2.0 * w
        w += delta
        expected.append(w)
    np.testing.assert_allclose(path.numpy().ravel(), expected, rtol=1e-15)
    assert kit.form_path(opt.delta_momentum_init, opt.delta_momentum_update, grad, w0, steps=0,
                         lr=0.1, beta=0.5).shape == (1, 1)


def test_form_path_refuses_negative_steps():
    with pytest.raises(ValueError, match="steps"):
        kit.form_path(opt.delta_momentum_init, opt.delta_momentum_update, lambda w: w, torch.zeros(1), steps=-1,
                      lr=0.1, beta=0.5)


# --- counting operations ----------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [((3,), (3, 4)), ((6, 2), (2, 7)), ((1, 5), (5, 1)), ((5, 3), (3,)), ((4,), (4,))])
def test_operation_counter_counts_two_flops_per_multiply_add_of_every_product(shapes):
    """Matrix-matrix, matrix-vector (aten.mv) and dot products (aten.dot) alike."""
    a, b = (torch.randn(s, dtype=torch.float64) for s in shapes)
    with kit.OperationCounter() as counter:
        out = a @ b
    assert counter.flops == 2 * max(out.numel(), 1) * shapes[0][-1] and counter.elements == 0


def test_operation_counter_counts_the_backward_pass_too_on_meta_tensors():
    x = torch.empty(8, 5, device="meta")
    w = torch.empty(5, 3, device="meta", requires_grad=True)
    with kit.OperationCounter() as counter:
        (x @ w).sum().backward()
    assert counter.flops == 2 * (2 * 8 * 5 * 3)  # forward X·W, backward Xᵀ·G (no gradient to the data)


def test_operation_counter_counts_written_elements_and_not_views():
    x = torch.zeros(10, 4, dtype=torch.float64)
    with kit.OperationCounter() as counter:
        rows = x[torch.tensor([1, 2, 3])]  # a gather: 12 elements (and the 3-element index tensor)
        x[:5]  # a slice: a view, nothing written
        x.mT  # a view
        rows + 1.0  # 12 elements
    assert counter.flops == 0 and counter.elements == 3 + 12 + 12
    assert counter.total == counter.flops + counter.elements


# --- the convergence classifier ---------------------------------------------------------------------

@pytest.mark.parametrize("factor, label", [(0.5, convergence.MONOTONE), (0.0, convergence.ONE_STEP),
                                           (-0.5, convergence.OSCILLATING), (-1.0, convergence.PERSISTENT),
                                           (-1.5, convergence.DIVERGES), (1.2, convergence.DIVERGES),
                                           (1.0, convergence.STALLS)])
def test_classify_reads_the_error_sequence_of_gradient_descent(factor, label):
    """e_k = (1 − ηE'')^k e_0 for gradient descent on a 1-d quadratic."""
    errors = 0.7 * factor ** np.arange(61, dtype=float)
    assert kit.classify(errors) == label


def test_classify_calls_inf_divergence_and_reads_only_the_steps_above_rounding_level():
    assert kit.classify(np.array([1.0, -3.0, np.inf])) == convergence.DIVERGES
    noise = np.array([1.0, 0.1, 0.01, 1e-10, -1e-10, 1e-10])  # signs below 1e-9|e_0| are rounding noise
    assert kit.classify(noise) == convergence.MONOTONE


def test_classify_is_what_the_catalogue_and_the_behaviour_phrase_read():
    from theorems.catalogue import doc003_training
    from theorems.catalogue.kit import phrases

    assert doc003_training.classify is kit.classify
    assert phrases.behaviour([1.0, -0.5, 0.25, -0.125]) == phrases.CONVERGES
    assert phrases.behaviour([1.0, -1.0, 1.0, -1.0]) == phrases.OSCILLATES
    assert phrases.DIVERGES == convergence.DIVERGES and phrases.STALLS == convergence.STALLS
    assert "doc003" not in inspect.getsource(phrases)  # the phrase reads the kit, not a document module


@pytest.mark.parametrize("problem", kit.PROBLEMS)
@pytest.mark.parametrize(("N", "d", "data_seed"), [(8, 3, 0), (64, 5, 7)])
def test_full_gradient_is_autograds_gradient_of_the_mean_loss(problem, N, d, data_seed):
    """∇F(w) by the problem's closed form, against autograd on F(w) = (1/N) Σ_i f_i(w): an independent path."""
    p = {"problem": problem, "N": N, "d": d, "data_seed": data_seed}
    instance = kit.finite_sum_problem(p, torch.device("cpu"))
    w = kit.evaluation_point(instance, data_seed).clone().requires_grad_(True)
    instance.example_losses(w).mean().backward()
    np.testing.assert_allclose(kit.full_gradient(p), w.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("problem", kit.PROBLEMS)
@pytest.mark.parametrize("estimate", ["loss", "gradient"])
def test_full_value_is_the_mean_of_the_per_example_values_a_sampler_draws(problem, estimate):
    """The unbiasedness rows' right-hand side: (1/N) Σ_i f_i(w), or u·∇F(w), from the point's inputs only."""
    p = {"problem": problem, "N": 40, "d": 4, "data_seed": 3, "estimate": estimate}
    instance = kit.finite_sum_problem(p, torch.device("cpu"))
    w = kit.evaluation_point(instance, 3)
    u = kit.unit_direction(4, 3, torch.device("cpu"))
    per_example = instance.example_losses(w) if estimate == "loss" else instance.per_example_grads(w) @ u
    assert kit.full_value(p) == pytest.approx(float(per_example.mean()), rel=1e-12, abs=1e-14)
