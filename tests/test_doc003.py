"""The helpers of theorems/claims/doc003_training.py: classifiers, line searches, transcriptions.

Deterministic tests only (float64, seeded); each pins a helper against a closed form or an oracle
(torch.optim, autograd) on cases where the answer is known.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.problems import make_quadratic
from theorems.catalogue import doc003_training as doc

SETTINGS = settings(deadline=None, max_examples=25, database=None)


# --- 1.4.1 critical points ----------------------------------------------------------------------


def test_classify_critical_point_reads_the_signs_around_the_point():
    assert doc.classify_critical_point(torch.tensor([1.0, 2.0, 3.0]), 0.5) == doc.MINIMUM
    assert doc.classify_critical_point(torch.tensor([-1.0, -2.0]), 0.5) == doc.MAXIMUM
    assert doc.classify_critical_point(torch.tensor([1.0, -2.0]), 0.0) == doc.SADDLE
    assert doc.classify_critical_point(torch.tensor([1.0, 0.0]), 0.0) == doc.UNDECIDED


@pytest.mark.parametrize("signature", doc.SIGNATURES)
@pytest.mark.parametrize("dim", [2, 5])
def test_hessian_eigenvalues_have_the_signature_and_magnitudes_in_range(signature, dim):
    lam = doc.hessian_eigenvalues(signature, dim, torch.Generator().manual_seed(dim))
    assert bool(((lam.abs() >= 0.1) & (lam.abs() <= 10)).all())
    if signature == "positive definite":
        assert bool((lam > 0).all())
    elif signature == "negative definite":
        assert bool((lam < 0).all())
    else:
        assert bool((lam > 0).any()) and bool((lam < 0).any())


def test_second_order_test_sees_a_saddle_missed_by_the_trace():
    """An indefinite Hessian with a positive trace: the measurement finds the saddle."""
    p = {"signature": "indefinite", "dim": 2, "cubic": 0.0, "quartic": 0.0, "data_seed": 3}
    measured = doc.second_order_test.measure(p, None)
    assert measured.value == doc.SADDLE


# --- 2.2 and 3.3–3.5 ------------------------------------------------------------------------------


@pytest.mark.parametrize("form", doc.CHAIN_FORMS)
def test_chain_rule_quantities_agree_with_autograd(form):
    p = {"form": form, "n_x": 2, "n_z": 3, "n_y": 4, "inner": "tanh", "outer": "softmax",
         "divergence": "cross entropy", "data_seed": 1}
    measured = doc.jacobian_chain_rule.measure(p, None)
    params = {**p, **measured.quantities}
    torch.testing.assert_close(measured.value, doc.jacobian_chain_rule.stated(params), rtol=1e-12, atol=1e-14)
    assert not torch.allclose(measured.value, doc.jacobian_chain_rule.mutants[0].value(params))


def test_scalar_chain_line_as_printed_sets_a_vector_equal_to_a_number():
    """2.2.4's printed right side is the scalar ΔD along Δz; without Δz it is autograd's ∇_z D."""
    p = {"n_z": 3, "n_y": 4, "inner": "tanh", "outer": "softmax", "divergence": "cross entropy", "data_seed": 1}
    measured = doc.jacobian_scalar_chain_line.measure(p, None)
    params = {**p, **measured.quantities}
    assert doc.jacobian_scalar_chain_line.role == "derivation"
    assert doc.jacobian_scalar_chain_line.stated(params).numel() == 1 and measured.value.numel() == 3
    torch.testing.assert_close(measured.value, doc.jacobian_scalar_chain_line.alternatives[0].value(params),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("equation", doc.BACKPROP_EQUATIONS)
def test_backprop_terms_follow_the_notes_layout(equation):
    """The notes' right sides, computed in the declaration from the layers' quantities, equal autograd's left sides;
    the softmax output separates the elementwise mutant."""
    p = {"equation": equation, "depth": 2, "max_width": 4, "hidden": "tanh", "output": "softmax", "data_seed": 2}
    measured, layers = doc.backprop_terms(p)
    params = {**p, "layers": layers}
    torch.testing.assert_close(doc.backprop_right_side(params), measured, rtol=1e-12, atol=1e-14)
    elementwise = doc.backpropagation_equations.mutants[1].value(params)
    assert not torch.allclose(measured, elementwise)


def test_backprop_measurement_returns_the_layers_not_the_notes_formula():
    """Issue 19: the measurement returns Z, Y, W and the upstream gradients; only the declaration computes the
    notes' right side."""
    p = dict(doc.backpropagation_equations.design[0])
    quantities = doc.backpropagation_equations.measure(p, None).quantities
    assert set(quantities) == {"layers"}
    assert {"y_prev", "z_prev", "weight", "grad_z", "grad_y", "jacobian"} == set(vars(quantities["layers"][0]))


def test_printed_pre_activation_line_has_y_j_where_y_k_belongs():
    """3.3–3.4's Z_j = Y_i W_ij + Σ_{k≠i} Y_j W_kj: with Y_k in the sum it is the layer's Z_j, as printed it is not."""
    p = {"n_in": 3, "n_out": 2, "data_seed": 0}
    m = doc.backprop_pre_activation_line.measure(p, None)
    params = {**p, **m.quantities}
    np.testing.assert_allclose(doc.printed_pre_activation(params, sum_index="k"), m.value, rtol=1e-12)
    assert np.abs(doc.printed_pre_activation(params) - m.value).max() > 0.1


@pytest.mark.parametrize("derivative", doc.SCALAR_DERIVATIVES)
def test_scalar_derivatives_of_a_layer_are_the_input_and_the_weight(derivative):
    p = {"derivative": derivative, "n_in": 4, "n_out": 3, "data_seed": 1}
    m = doc.backprop_scalar_derivatives.measure(p, None)
    np.testing.assert_allclose(doc.scalar_derivative({**p, **m.quantities}), m.value, rtol=1e-12)


def test_weight_derivative_layout_is_the_transpose_of_torch_gradient():
    """Z = W Y + B with W (n_out × n_in): ∂Div/∂w_ij = [∂Div/∂W]_{j,i} = Y_i ∂Div/∂Z_j."""
    w = torch.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.3, -0.2, 0.7], dtype=torch.float64)
    z = w @ y
    z.retain_grad()
    (z.square().sum() / 2).backward()
    torch.testing.assert_close(w.grad.T, torch.outer(y, z.grad))


# --- 4.4 – 4.8 -------------------------------------------------------------------------------------


@SETTINGS
@given(a=st.floats(0.1, 10.0), b=st.floats(-5.0, 5.0), w=st.floats(-10.0, 10.0))
def test_one_step_optimal_step_of_ax2_plus_bx_is_one_over_2a(a, b, w):
    if abs(2 * a * w + b) < 0.1:
        return
    p = {"a": a, "b": b, "w": w}
    _, grad, w0 = doc.quadratic_1d(p)
    assert doc.one_step_optimal_step(grad, w0) == pytest.approx(1 / (2 * a), rel=1e-10)


def test_one_step_optimal_step_for_a_flat_direction_scales_its_probe():
    quadratic = make_quadratic([1e-3, 1e2], seed=0, rotate=False)
    steps = doc.directional_optimal_steps(quadratic, torch.eye(2, dtype=torch.float64))
    np.testing.assert_allclose(steps, [1e3, 1e-2], rtol=1e-10)


@pytest.mark.parametrize("ratio, label", [(0.3, doc.MONOTONE), (1.0, doc.ONE_STEP), (1.5, doc.OSCILLATING),
                                          (2.0, doc.PERSISTENT), (2.5, doc.DIVERGES)])
def test_regime_of_a_step_size_ratio(ratio, label):
    assert doc.regime(ratio) == label


@pytest.mark.parametrize("factor, label", [(0.5, doc.MONOTONE), (0.0, doc.ONE_STEP), (-0.5, doc.OSCILLATING),
                                           (-1.0, doc.PERSISTENT), (-1.5, doc.DIVERGES), (1.2, doc.DIVERGES)])
def test_classify_reads_the_error_sequence_of_gradient_descent(factor, label):
    """e_k = (1 − ηE'')^k e_0 for gradient descent on a 1-d quadratic."""
    errors = 0.7 * factor ** np.arange(61, dtype=float)
    assert doc.classify(errors) == label


def test_classify_calls_inf_divergence():
    assert doc.classify(np.array([1.0, -3.0, np.inf])) == doc.DIVERGES


def test_axis_labels_use_the_divergence_boundary():
    assert doc.axis_labels([0.9, 1.1]) == "axis 1 converges, axis 2 diverges"


def test_decoupled_expansion_as_written_differs_by_half_the_linear_term():
    p = {"a11": 2.0, "a22": 3.0, "data_seed": 4}
    m = doc.decoupled_quadratic_expansion.measure(p, None)
    q = m.quantities
    assert set(q) == {"a", "b", "c", "w"}  # issue 19: the notes' expansion is computed by the declaration only
    notes = doc.decoupled_quadratic_expansion.stated({**p, **q})
    np.testing.assert_allclose(m.value - notes, 0.5 * (q["b"] * q["w"]).sum(1).numpy(), rtol=1e-12, atol=1e-12)


# --- 5.1 RProp ---------------------------------------------------------------------------------------


RPROP_POINT = {"problem": "quadratic", "d": 3, "condition": 100.0, "data_seed": 5, "initial_step": 0.1,
               "eta_minus": 0.5, "eta_plus": 1.2, "ceiling": 0.5, "floor": 1e-6}


@pytest.mark.parametrize("problem", doc.OPTIMIZER_PROBLEMS)
def test_rprop_rule_holding_on_a_flip_is_torch_rprop(problem):
    """Oracle for the notes' rule's machinery: with on_flip="hold" its points and step sizes are torch.optim.Rprop's."""
    p = {**RPROP_POINT, "problem": problem}
    run = doc.torch_rprop_run(p)
    sizes, points = doc.rprop_notes_rule({**p, **run}, on_flip="hold")
    torch.testing.assert_close(points, run["path"][1:], rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(sizes, run["sizes"], rtol=1e-12, atol=1e-14)


def test_rprop_rule_reverts_the_weight_on_a_flip():
    """1-d w²/2 from w = 1 with Δ_0 = 1.5: torch steps to −0.5, the derivative flips, torch holds there with the
    step size halved; the notes' rule goes back to w = 1 from −0.5."""
    p = {**RPROP_POINT, "initial_step": 1.5, "ceiling": 50.0}
    path = torch.tensor([[1.0], [-0.5], [-0.5]], dtype=torch.float64)
    sizes, points = doc.rprop_notes_rule({**p, "path": path, "grads": path[:-1]})
    torch.testing.assert_close(points, torch.tensor([[-0.5], [1.0]], dtype=torch.float64))
    torch.testing.assert_close(sizes, torch.tensor([[1.5], [0.75]], dtype=torch.float64))


@pytest.mark.parametrize("claim", [doc.rprop_step_sizes, doc.rprop_revert_on_flip])
def test_rprop_claims_measure_torch_rprop_not_a_transcription(claim):
    """The measured side is torch.optim.Rprop itself (issue 19: two in-house transcriptions could not disagree)."""
    run = doc.torch_rprop_run(RPROP_POINT)
    measured = claim.measure(RPROP_POINT, None).value
    expected = run["sizes"] if claim is doc.rprop_step_sizes else run["path"][1:]
    np.testing.assert_array_equal(measured, expected.numpy().reshape(-1))


# --- 5.3 momentum -------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", doc.MOMENTUM_FAMILIES)
def test_momentum_gains_are_one_without_momentum_and_split_with_it(family):
    base = {"family": family, "steady": 0.01, "oscillating": 0.5, "data_seed": 0}
    gains, _ = doc.step_gains({**base, "beta": 1e-12})
    np.testing.assert_allclose(gains, [1.0, 1.0], rtol=1e-9)
    gains, flips = doc.step_gains({**base, "beta": 0.9})
    assert gains[0] > 1 > gains[1]
    assert flips[0] < 0.1 < 0.4 < flips[1]


# --- 6.1 SGD step sizes --------------------------------------------------------------------------------


def test_convergence_label_reads_the_last_decade():
    t = np.arange(1, 10_001, dtype=float)
    assert doc.convergence_label(1 / t**0.25) == doc.CONVERGES
    assert doc.convergence_label(0.3 + 1 / t) == doc.STALLS
    assert doc.convergence_label(np.full(10_000, 0.2)) == doc.STALLS


@pytest.mark.parametrize("schedule, verdict", [("constant", doc.STALLS), ("η₀/√(1+t)", doc.STALLS),
                                               ("η₀/(1+t)", doc.CONVERGES), ("η₀/(1+t)²", doc.STALLS),
                                               ("η₀·0.99ᵗ", doc.STALLS)])
def test_schedule_verdict_is_robbins_monro(schedule, verdict):
    assert doc.schedule_verdict({"schedule": schedule}, sum_infinite=True, squares_finite=True) == verdict


def test_sgd_mean_square_error_levels_off_for_a_constant_step():
    """Constant η on ½(w − w*)² with noise σ²: the floor is ησ²/(2 − η)."""
    p = {"family": "noisy quadratic", "schedule": "constant", "eta0_curvature": 0.5, "noise": 1.0, "data_seed": 0}
    assert doc.sgd_mean_square_error(p)[-1] == pytest.approx(0.5 / 1.5, rel=1e-9)


# --- 6.2 SGD against batch GD ------------------------------------------------------------------------


def test_epochs_to_reach_a_level():
    gaps = np.array([[4.0, 4.0], [2.0, 1.0], [0.5, 0.7]])
    assert doc.epochs_to_reach(gaps, np.array([0.0, 0.5, 1.0]), 1.5) == 0.5
    assert doc.epochs_to_reach(gaps, np.array([0.0, 0.5, 1.0]), 0.1) == math.inf


def test_sgd_vs_gd_label_on_synthetic_runs():
    """Both start at a mean gap of 4: the level is 0.04, reached by SGD at 0.5 epochs and by GD at 3."""
    runs = {"gd": np.array([[4.0, 4.0], [1.0, 1.0], [0.2, 0.2], [0.0, 0.0]]),
            "sgd": np.array([[4.0, 4.0], [0.5, 0.7], [0.03, 0.04], [0.2, 0.4], [0.5, 0.7]]),
            "sgd_epochs": np.array([0.0, 0.25, 0.5, 2.5, 3.0])}
    label, numbers = doc.sgd_vs_gd_label({**runs, "progress": 0.01})
    assert label == doc.comparison_label(True, True, True)
    assert numbers["sgd_epochs_to_level"] == 0.5 and numbers["gd_epochs_to_level"] == 3.0


def test_sgd_runs_its_epochs_with_the_notes_shrinking_step_and_gd_runs_to_its_minimum():
    """Issue 19: 3 SGD epochs were compared with 60 of GD. SGD's step decays as 6.1 requires (its loss
    keeps falling after the first epochs, where a constant step levels off), and GD runs until it
    has converged: a method's minimum is where it ends, not where it is cut off."""
    p = {"problem": "least_squares", "N": 100, "d": 5, "epochs": 12, "data_seed": 0, "progress": 0.1}
    runs = doc.sgd_and_gd_runs(p)
    assert runs["sgd_epochs"][-1] == 12 and len(runs["gd"]) - 1 > 12
    assert runs["gd"][-1].max() < 1e-12  # GD on a strongly convex problem ends at the minimum
    gaps = runs["sgd"].mean(axis=1)
    assert gaps[-1] < 0.5 * gaps[np.searchsorted(runs["sgd_epochs"], 3.0)]


# --- 6.4 Adam's moments --------------------------------------------------------------------------------


@pytest.mark.parametrize("corrected", [False, True])
def test_moment_draws_are_exact_for_constant_derivatives(corrected):
    """σ = 0: m_k = (1 − δ^k)μ, and m̂_k = μ."""

    class Ctx:
        device, dtype, generator = torch.device("cpu"), torch.float64, torch.Generator().manual_seed(0)

    p = {"moment": "m_k", "k": 7, "delta": 0.9, "gamma": 0.999, "mean": 1.5, "sd": 0.0, "distribution": "normal"}
    draw = doc.moment_draws(p, Ctx, corrected=corrected)
    expected = 1.5 if corrected else (1 - 0.9**7) * 1.5
    torch.testing.assert_close(draw(3), torch.full((3,), expected, dtype=torch.float64))


def test_adam_form_matches_torch_on_the_design_point():
    p = dict(doc.adam_as_written.design[0])
    m = doc.adam_as_written.measure(p, None)
    np.testing.assert_allclose(m.value, doc.adam_as_written.stated({**p, **m.quantities}), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("eps, gradient_scale, effect", [(1e-8, 1.0, 1e-6), (1e-3, 1e-3, 1e-1)])
def test_rmsprop_eps_under_the_root_against_torch_at_its_default_and_beyond(eps, gradient_scale, effect):
    """torch puts ε outside the root: its steps are the alternative's; the notes' differ, negligibly at ε = 1e-8."""
    p = {**doc.rmsprop_as_written.design[0], "eps": eps, "gradient_scale": gradient_scale}
    m = doc.rmsprop_as_written.measure(p, None)
    params = {**p, **m.quantities}
    np.testing.assert_allclose(m.value, doc.rmsprop_as_written.alternatives[0].value(params), rtol=1e-9, atol=1e-12)
    start = m.quantities["path"][:-1].numpy().reshape(-1)
    relative = np.abs(doc.rmsprop_as_written.stated(params) - m.value).max() / np.abs(m.value - start).max()
    assert 0 < relative < effect if eps == 1e-8 else relative > 1e-3


@pytest.mark.parametrize("claim", [doc.momentum_as_written, doc.nesterov_lookahead_check])
def test_momentum_claims_are_judged_first_at_the_notes_beta_and_compute_the_form_in_the_declaration(claim):
    """Issue 19: β = 0.9 representative points; the measurement returns torch's run and its inputs only."""
    assert claim.representative and all(point["beta"] == 0.9 for point in claim.representative)
    p = dict(claim.representative[0])
    m = claim.measure(p, None)
    assert set(m.quantities) == {"grad_fn", "w0", "lr"}
    np.testing.assert_allclose(claim.stated({**p, **m.quantities}), m.value, rtol=1e-9, atol=1e-12)


def test_stored_grad_is_what_backward_stored_and_names_a_tensor_it_did_not_reach():
    w, untouched = torch.tensor([1.0, 2.0], requires_grad=True), torch.zeros(3, requires_grad=True)
    (w.square().sum()).backward()
    torch.testing.assert_close(doc.stored_grad(w), 2 * w.detach())
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        doc.stored_grad(untouched)
