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

from implementations.optimizer_oracles import torch_trajectory
from implementations.problems import make_quadratic
from theorems.claims import doc003_training as doc

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
    torch.testing.assert_close(measured.value, measured.quantities["chain"], rtol=1e-12, atol=1e-14)
    assert not torch.allclose(measured.value, measured.quantities["first_path"])


@pytest.mark.parametrize("equation", doc.BACKPROP_EQUATIONS)
def test_backprop_terms_follow_the_notes_layout(equation):
    """The notes' right sides equal autograd; the softmax output separates the elementwise mutant."""
    p = {"equation": equation, "depth": 2, "max_width": 4, "hidden": "tanh", "output": "softmax", "data_seed": 2}
    terms = doc.backprop_terms(p)
    torch.testing.assert_close(terms["measured"], terms["notes"], rtol=1e-12, atol=1e-14)
    assert not torch.allclose(terms["measured"], terms["elementwise"])


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
    np.testing.assert_allclose(m.value - m.quantities["notes_expansion"], 0.5 * m.quantities["linear_part"],
                               rtol=1e-12, atol=1e-12)


# --- 5.1 RProp ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", doc.OPTIMIZER_PROBLEMS)
def test_rprop_transcription_holding_on_a_flip_is_torch_rprop(problem):
    """Oracle for the transcription's machinery: with on_flip="hold" it is torch.optim.Rprop exactly."""
    p = {"problem": problem, "d": 3, "condition": 100.0, "data_seed": 5}
    quadratic, w0 = doc.optimizer_problem(p)
    hp = {"lr": 0.1, "etas": (0.5, 1.2), "step_sizes": (1e-6, 0.5)}
    expected = torch_trajectory(lambda ps, h: torch.optim.Rprop(ps, **h), quadratic.grad, w0, steps=30,
                                hyperparameters=hp)
    held = doc.rprop_as_described(quadratic.grad, w0, steps=30, initial_step=0.1, etas=(0.5, 1.2),
                                  step_sizes=(1e-6, 0.5), on_flip="hold")
    np.testing.assert_allclose(held, expected.numpy().reshape(-1), rtol=1e-12, atol=1e-14)


def test_rprop_transcription_reverts_the_weight_on_a_flip():
    """1-d quadratic w²/2 from w = 1 with Δ_0 = 1.5: the first step overshoots to −0.5, the derivative
    flips, and the notes' RProp goes back to w = 1 with the step size halved."""
    path = doc.rprop_as_described(lambda w: w, torch.tensor([1.0], dtype=torch.float64), steps=3,
                                  initial_step=1.5, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0))
    np.testing.assert_allclose(path, [1.0, -0.5, 1.0, 0.25])


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
    runs = {"gd": np.array([[4.0, 4.0], [1.0, 1.0], [0.2, 0.2], [0.0, 0.0]]),
            "sgd": np.array([[4.0, 4.0], [0.5, 0.7], [0.4, 0.8], [0.6, 0.6], [0.5, 0.7]]),
            "sgd_epochs": np.array([0.0, 0.25, 0.5, 2.5, 3.0])}
    label, numbers = doc.sgd_vs_gd_label(runs)
    assert label == doc.comparison_label(True, True, True)
    assert numbers["sgd_epochs_to_level"] == 0.25 and numbers["gd_epochs_to_level"] == 1.0


# --- 6.4 Adam's moments --------------------------------------------------------------------------------


@pytest.mark.parametrize("corrected", [False, True])
def test_moment_draws_are_exact_for_constant_derivatives(corrected):
    """σ = 0: m_k = (1 − δ^k)μ, and m̂_k = μ."""

    class Ctx:
        device, dtype, generator = torch.device("cpu"), torch.float64, torch.Generator().manual_seed(0)

    p = {"moment": "m_k", "k": 7, "delta": 0.9, "gamma": 0.999, "mean": 1.5, "sd": 0.0, "distribution": "normal"}
    draw, _ = doc.moment_draws(p, Ctx, corrected=corrected)
    expected = 1.5 if corrected else (1 - 0.9**7) * 1.5
    torch.testing.assert_close(draw(3), torch.full((3,), expected, dtype=torch.float64))


def test_adam_form_matches_torch_on_the_design_point():
    p = dict(doc.adam_as_written.design[0])
    m = doc.adam_as_written.measure(p, None)
    np.testing.assert_allclose(m.value, m.quantities["notes"], rtol=1e-9, atol=1e-12)
