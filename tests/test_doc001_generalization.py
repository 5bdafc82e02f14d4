"""Helpers of theorems/claims/doc001_generalization.py against closed forms and autograd."""

import math

import numpy as np
import pytest
import torch

from implementations.generalization import legendre_features
from theorems.catalogue import doc001_generalization as g
from theorems.core.profiles import PROFILES
from theorems.core.stats import MonteCarlo


class _Context:
    device = torch.device("cpu")
    dtype = torch.float64

    def __init__(self, seed=0):
        self.generator = torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("snr", [0.2, 1.0, 30.0])
def test_quadratic_target_has_the_stated_curvature_to_noise_ratio(seed, snr):
    target = g.quadratic_target({"data_seed": seed, "curvature_snr": snr})
    x = torch.linspace(-1, 1, 7, dtype=torch.float64)
    values = legendre_features(x, 2) @ target
    a, b, c = np.polyfit(x.numpy(), values.numpy(), 2)
    assert abs(a) * g.CURVATURE_SD == pytest.approx(snr, rel=1e-10)
    # the quadratic part no line fits: a(x² − 1/3), whose sd over U[−1, 1] is |a|√(4/45)
    nodes, weights = np.polynomial.legendre.leggauss(10)
    assert math.sqrt((weights * (a * (nodes**2 - 1 / 3)) ** 2).sum() / 2) == pytest.approx(snr, rel=1e-10)


def _monte_carlo_context(cap, seed=0):
    ctx = _Context(seed)
    ctx.monte_carlo = MonteCarlo(pilot=2, cap=cap, max_bytes=2**20)
    ctx.samples = ctx.monte_carlo.cap
    return ctx


@pytest.mark.parametrize(("profile", "training_sets"), [("smoke", 60), ("standard", 1200), ("thorough", 12_000)])
def test_excess_rate_work_is_the_profiles_monte_carlo_cap_times_the_samples_factor(profile, training_sets):
    """Like every Monte Carlo claim's samples: no profile is named in the measurement."""
    cap = int(PROFILES[profile].cap * g.excess_risk_rate.samples_factor)
    assert g.excess_replicates(_monte_carlo_context(cap)) == training_sets


def test_union_excess_is_nonnegative_and_without_noise_grows_with_complexity():
    """f* = t_k is the best of F, so every excess is ≥ 0; at δ = 1 (no noise) ERM recovers t_k up to the
    gaps around its 2k ends, so the excess is small and grows with k."""
    ctx = _monte_carlo_context(2, seed=5)
    one, eight = (g.union_excess(2000, k, torch.tensor([1.0]), 50, ctx) for k in (1, 8))
    assert bool((one >= -1e-12).all()) and bool((eight >= -1e-12).all())
    assert float(one.mean()) < 2e-3 and float(one.mean()) < float(eight.mean())


@pytest.mark.parametrize("family", g.SPARSE_FAMILIES)
def test_sparse_regression_has_five_nonzero_weights_and_the_family_shape(family):
    X, y = g.sparse_regression({"family": family, "data_seed": 4})
    assert X.shape == ((30, 60) if family == "more features than examples" else (100, 20))
    w_true = torch.linalg.lstsq(X, y.unsqueeze(-1)).solution.squeeze(-1) if X.shape[0] > X.shape[1] else None
    if w_true is not None:  # least squares recovers the 5 large weights from noise of sd 1
        assert int((w_true.abs() > 0.6).sum()) == 5
    if family == "correlated features":
        correlation = np.corrcoef(X.numpy().T)
        assert correlation[0, 1] == pytest.approx(0.7, abs=0.2)


@pytest.mark.parametrize("data", g.ALL_DATA)
def test_data_matrix_kinds(data):
    X = g.data_matrix({"N": 40, "D": 6, "data": data, "data_seed": 0})
    assert X.shape == (40, 6)
    if data == "uint8 pixels":
        assert X.dtype == np.uint8
        return
    assert X.dtype == np.float64
    spreads = X.std(axis=0)
    assert (spreads[0] == 0) == (data == "a constant column")
    assert bool((spreads[1:] > 0).all())


def test_batch_statistics_are_the_biased_moments():
    x = torch.randn(9, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    mean, var = g.batch_statistics(x)
    torch.testing.assert_close(mean, x.mean(0))
    torch.testing.assert_close(var, x.var(0, correction=0))


@pytest.mark.parametrize("claim", [g.batch_norm_training, g.batch_norm_inference, g.max_norm_projection,
                                   g.weight_decay_torch_sgd, g.weight_decay_update, g.weight_decay_first_line,
                                   g.ridge_half_gradient_first_line])
def test_torch_measurements_report_inputs_and_the_declared_formula_reproduces_torch(claim):
    """The measurement reports torch's output and its inputs only; the slide's formula, written in the
    declaration, reproduces torch's output from those inputs (and the mutants do not)."""
    point = (claim.representative or claim.design)[0]
    measurement = claim.measure(point, _Context())
    assert not {"algorithm", "running_rule", "torch_renorm", "line_1"} & set(measurement.quantities)
    p = {**point, **measurement.quantities}
    np.testing.assert_allclose(claim.stated(p), measurement.value, rtol=max(claim.resolution, 1e-12), atol=1e-12)
    for mutant in claim.mutants:
        assert not np.allclose(mutant.value(p), measurement.value, rtol=1e-9, atol=1e-12), mutant.statement


def test_batch_norm_identity_recovery_at_torchs_eps_is_off_by_about_eps_over_twice_the_variance():
    """With ε = 1e-5 and unit-scale features, y differs from x by about ε/(2Var) relative: under materiality."""
    claim = g.batch_norm_identity_recovery
    point = {**claim.representative[0], "eps": g.BN_EPS}
    measurement = claim.measure(point, _Context())
    p = {**point, **measurement.quantities}
    x = p["x"]
    relative = np.abs(measurement.value - claim.stated(p)) / np.abs(x - x.mean(0)).ravel()
    assert relative.max() < claim.materiality
    np.testing.assert_allclose(relative, (g.BN_EPS / (2 * x.var(0)) * np.ones_like(x)).ravel(), rtol=0.01)


@pytest.mark.parametrize("activation", sorted(g.HIDDEN_ACTIVATIONS))
def test_activation_derivatives_match_autograd(activation):
    z = torch.linspace(-3, 3, 13, dtype=torch.float64).requires_grad_()  # includes 0
    (derivative,) = torch.autograd.grad(g.HIDDEN_ACTIVATIONS[activation](z).sum(), z)
    torch.testing.assert_close(g.ACTIVATION_DERIVATIVES[activation](z.detach()), derivative)


def test_two_layer_output_is_w_dot_sigma_of_ux_plus_biases():
    generator = torch.Generator().manual_seed(1)
    U, w, x = (torch.randn(*shape, generator=generator, dtype=torch.float64) for shape in ((4, 3), (4,), (5, 3)))
    b, c = torch.randn(4, generator=generator, dtype=torch.float64), torch.tensor(0.7, dtype=torch.float64)
    torch.testing.assert_close(g.two_layer_output(U, w, x, "tanh"), torch.tanh(x @ U.T) @ w)
    torch.testing.assert_close(g.two_layer_output(U, w, x, "tanh", b, c), torch.tanh(x @ U.T + b) @ w + c)


def test_weight_decay_runs_start_together_and_take_the_stated_first_step():
    runs = dict(g.weight_decay_runs("least_squares", 20, 3, 0.3, 0.5, 0))
    assert runs.pop("lr") > 0
    assert all(run.shape == (g.DECAY_STEPS + 1, 3) for run in runs.values())
    assert len({run[0].tobytes() for run in runs.values()}) == 1
