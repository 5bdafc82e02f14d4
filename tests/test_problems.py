"""The finite-sum problems agree with autograd, with their own constants and with their seeds."""

import math
from dataclasses import fields

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.problems import (
    gradient_descent_trajectory,
    make_least_squares,
    make_logistic_regression,
    make_quadratic,
)

MAKERS = {
    "least_squares": lambda seed, **kw: make_least_squares(40, 5, condition=30.0, seed=seed, **kw),
    "logistic": lambda seed, **kw: make_logistic_regression(60, 4, separation=2.0, seed=seed, **kw),
    "quadratic": lambda seed, **kw: make_quadratic([0.5, 2.0, 9.0], seed=seed, **kw),
}
SETTINGS = settings(deadline=None, max_examples=15, database=None)


@pytest.fixture(params=sorted(MAKERS))
def problem(request):
    return MAKERS[request.param](seed=3)


def _random_w(problem, *leading, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*leading, problem.d, generator=g, dtype=torch.float64)


def test_shapes_with_replicates(problem):
    n, d = problem.n, problem.d
    assert problem.X.shape == (n, d) and problem.y.shape == (n,)
    assert problem.minimizer.shape == (d,)
    for leading in [(), (3,), (2, 3)]:
        w = _random_w(problem, *leading)
        assert problem.loss(w).shape == leading
        assert problem.example_losses(w).shape == (*leading, n)
        assert problem.grad(w).shape == (*leading, d)
        assert problem.per_example_grads(w).shape == (*leading, n, d)


def test_replicates_are_independent_rows(problem):
    w = _random_w(problem, 2, 3)
    torch.testing.assert_close(problem.grad(w)[1, 2], problem.grad(w[1, 2]), rtol=0, atol=1e-14)
    torch.testing.assert_close(problem.loss(w)[0, 1], problem.loss(w[0, 1]), rtol=0, atol=1e-14)


def test_grad_matches_autograd(problem):
    w = _random_w(problem, 4).requires_grad_()
    (autograd,) = torch.autograd.grad(problem.loss(w).sum(), w)
    torch.testing.assert_close(problem.grad(w.detach()), autograd, rtol=1e-12, atol=1e-12)


def test_per_example_grads_match_autograd_and_average_to_grad(problem):
    w = _random_w(problem)
    per_example = problem.per_example_grads(w)
    for i in range(problem.n):
        wi = w.clone().requires_grad_()
        (autograd,) = torch.autograd.grad(problem.example_losses(wi)[i], wi)
        torch.testing.assert_close(per_example[i], autograd, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(per_example.mean(dim=0), problem.grad(w), rtol=1e-12, atol=1e-12)


def test_loss_is_mean_of_example_losses(problem):
    w = _random_w(problem, 5)
    torch.testing.assert_close(problem.loss(w), problem.example_losses(w).mean(dim=-1))


def test_minimizer_is_stationary_and_optimal(problem):
    w_star = problem.minimizer
    assert torch.linalg.vector_norm(problem.grad(w_star)) < 1e-10
    assert problem.optimal_value == pytest.approx(problem.loss(w_star).item(), abs=1e-14)
    assert bool((problem.loss(_random_w(problem, 20)) > problem.optimal_value).all())


def _hessian(problem, w):
    return torch.autograd.functional.hessian(lambda v: problem.loss(v), w)


def test_smoothness_and_strong_convexity_bound_the_hessian(problem):
    for seed in range(5):
        eigenvalues = torch.linalg.eigvalsh(_hessian(problem, _random_w(problem, seed=seed)))
        assert eigenvalues.max().item() <= problem.smoothness * (1 + 1e-12)
        assert eigenvalues.min().item() >= problem.strong_convexity * (1 - 1e-12)


def test_same_seed_same_problem_and_different_seed_different_problem(problem):
    name = next(k for k, make in MAKERS.items() if type(make(seed=3)) is type(problem))
    again = MAKERS[name](seed=3)
    other = MAKERS[name](seed=4)
    assert torch.equal(again.minimizer, problem.minimizer)
    assert not torch.equal(other.minimizer, problem.minimizer)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_dtype_is_respected(name):
    low = MAKERS[name](seed=1, dtype=torch.float32)
    high = MAKERS[name](seed=1)
    assert low.X.dtype == low.y.dtype == low.minimizer.dtype == torch.float32
    torch.testing.assert_close(low.minimizer, high.minimizer.float())
    assert low.optimal_value == high.optimal_value
    assert low.loss(low.minimizer).dtype == torch.float32


# --- least squares ------------------------------------------------------------------------------


@SETTINGS
@given(
    n=st.integers(1, 30),
    d=st.integers(1, 6),
    condition=st.floats(1.0, 1e4),
    seed=st.integers(0, 2**31 - 1),
)
def test_least_squares_condition_number(n, d, condition, seed):
    if n < d:
        with pytest.raises(ValueError, match="n >= d"):
            make_least_squares(n, d, condition=condition, seed=seed)
        return
    problem = make_least_squares(n, d, condition=condition, seed=seed)
    eigenvalues = torch.linalg.eigvalsh(problem.X.mT @ problem.X / n)
    expected_ratio = condition if d > 1 else 1.0
    assert problem.smoothness / problem.strong_convexity == pytest.approx(expected_ratio, rel=1e-9)
    assert problem.smoothness == pytest.approx(eigenvalues[-1].item(), rel=1e-12)
    assert problem.strong_convexity == pytest.approx(eigenvalues[0].item(), rel=1e-12)


def test_least_squares_document_form():
    """Lecture 001-04: f(w) = ½‖y − Xw‖², ∇f = XᵀXw − Xᵀy, L = λ_max(XᵀX)."""
    problem = make_least_squares(30, 4, seed=0)
    w = _random_w(problem, 3)
    X, y = problem.X, problem.y
    expected = 0.5 * (y - w @ X.mT).square().sum(dim=-1)
    torch.testing.assert_close(problem.document_loss(w), expected)
    torch.testing.assert_close(problem.document_loss(w), problem.n * problem.loss(w))
    torch.testing.assert_close(problem.n * problem.grad(w), w @ (X.mT @ X) - X.mT @ y)
    assert problem.document_smoothness == pytest.approx(
        torch.linalg.eigvalsh(X.mT @ X)[-1].item(), rel=1e-12
    )


def test_least_squares_without_noise_recovers_zero_loss():
    problem = make_least_squares(20, 3, noise=0.0, seed=5)
    assert problem.optimal_value < 1e-25


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0, d=1), "n must be >= 1, got 0"),
        (dict(n=3, d=0), "d must be >= 1, got 0"),
        (dict(n=2, d=3), "n >= d"),
        (dict(n=5, d=2, condition=0.5), "condition number must be >= 1, got 0.5"),
        (dict(n=5, d=2, noise=-1.0), "noise must be >= 0, got -1.0"),
    ],
)
def test_least_squares_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_least_squares(seed=0, **kwargs)


# --- logistic regression ------------------------------------------------------------------------


def test_logistic_labels_and_constants():
    problem = make_logistic_regression(100, 3, l2=0.05, seed=0)
    assert set(problem.y.tolist()) == {-1.0, 1.0}
    assert problem.strong_convexity == 0.05
    X = problem.X
    expected_L = torch.linalg.eigvalsh(X.mT @ X)[-1].item() / (4 * problem.n) + 0.05
    assert problem.smoothness == pytest.approx(expected_L, rel=1e-12)


def test_logistic_newton_converges_on_nearly_separable_data():
    problem = make_logistic_regression(50, 5, l2=1e-4, separation=50.0, seed=2)
    assert torch.linalg.vector_norm(problem.grad(problem.minimizer)) < 1e-12


def test_logistic_loss_is_stable_for_large_margins():
    problem = make_logistic_regression(20, 2, seed=0)
    w = torch.tensor([1e4, -1e4], dtype=torch.float64)
    assert bool(torch.isfinite(problem.loss(w))) and bool(torch.isfinite(problem.grad(w)).all())


def test_logistic_separation_makes_labels_predictable():
    def agreement(separation):
        problem = make_logistic_regression(2000, 3, separation=separation, seed=7)
        return (torch.sign(problem.X @ problem.minimizer) == problem.y).double().mean().item()

    assert agreement(20.0) > agreement(0.5) + 0.1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(l2=0.0), "l2 must be > 0"),
        (dict(separation=-1.0), "separation must be >= 0, got -1.0"),
    ],
)
def test_logistic_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_logistic_regression(10, 2, seed=0, **kwargs)


# --- quadratic ----------------------------------------------------------------------------------


def test_quadratic_structure():
    eigenvalues = [0.1, 1.0, 4.0, 25.0]
    problem = make_quadratic(eigenvalues, seed=0)
    A = problem.hessian
    torch.testing.assert_close(A, A.mT, rtol=0, atol=0)
    torch.testing.assert_close(
        torch.linalg.eigvalsh(A), torch.tensor(eigenvalues, dtype=torch.float64)
    )
    assert (problem.smoothness, problem.strong_convexity) == (25.0, 0.1)
    torch.testing.assert_close(problem.minimizer, -torch.linalg.solve(A, problem.b))
    assert problem.n == 1 and problem.X.shape == (1, 4) and problem.y.shape == (1,)


def test_quadratic_without_rotation_is_diagonal():
    problem = make_quadratic([1.0, 3.0], seed=0, rotate=False)
    expected = torch.diag(torch.tensor([1.0, 3.0], dtype=torch.float64))
    torch.testing.assert_close(problem.hessian, expected)


@pytest.mark.parametrize("eigenvalues", [[1.0, 0.0], [-1.0], []])
def test_quadratic_validation(eigenvalues):
    with pytest.raises(ValueError, match="eigenvalues must"):
        make_quadratic(eigenvalues, seed=0)


# --- gradient descent ---------------------------------------------------------------------------


def test_gradient_descent_trajectory_matches_closed_form_on_a_quadratic():
    """On F(w) = ½wᵀAw + bᵀw + c, w_k − w* = (I − ηA)^k (w_0 − w*)."""
    problem = make_quadratic([1.0, 4.0], seed=1)
    w0 = torch.zeros(2, dtype=torch.float64)
    lr, steps = 0.1, 25
    trajectory = gradient_descent_trajectory(problem.grad, w0, lr=lr, steps=steps)
    assert trajectory.shape == (steps + 1, 2)
    assert torch.equal(trajectory[0], w0)
    contraction = torch.eye(2, dtype=torch.float64) - lr * problem.hessian
    expected = problem.minimizer + torch.linalg.matrix_power(contraction, steps) @ (
        w0 - problem.minimizer
    )
    torch.testing.assert_close(trajectory[-1], expected, rtol=1e-12, atol=1e-12)


def test_gradient_descent_returns_divergence_as_data():
    problem = make_quadratic([1.0], seed=0, rotate=False)
    w0 = torch.ones(3, 1, dtype=torch.float64)
    lr = torch.tensor([[0.5], [1.9], [1e6]], dtype=torch.float64)
    trajectory = gradient_descent_trajectory(problem.grad, w0, lr=lr, steps=200)
    assert trajectory.shape == (201, 3, 1)
    final = trajectory[-1, :, 0]
    assert math.isclose(final[0].item(), problem.minimizer.item(), abs_tol=1e-12)
    assert not bool(torch.isfinite(final[2]))


def test_gradient_descent_does_not_mutate_w0():
    problem = make_quadratic([2.0, 3.0], seed=0)
    w0 = torch.ones(2, dtype=torch.float64)
    gradient_descent_trajectory(problem.grad, w0, lr=0.1, steps=3)
    assert torch.equal(w0, torch.ones(2, dtype=torch.float64))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=0.1, steps=-1), "steps must be >= 0, got -1"),
        (dict(lr=0.0, steps=1), "> 0, got 0.0"),
    ],
)
def test_gradient_descent_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradient_descent_trajectory(lambda w: w, torch.zeros(1), **kwargs)


# --- devices ------------------------------------------------------------------------------------

NEEDS_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=NEEDS_CUDA)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_seed_is_the_same_problem_on_every_device(name, device, dtype):
    """Made with device=X, a problem is the CPU-made one moved to X, bit for bit: data is drawn
    on the CPU, and only Monte Carlo streams are device-specific."""
    on_device = MAKERS[name](seed=5, device=device, dtype=dtype)
    on_cpu = MAKERS[name](seed=5, dtype=dtype)
    for field in fields(on_cpu):
        ours, moved = getattr(on_device, field.name), getattr(on_cpu, field.name)
        if isinstance(moved, torch.Tensor):
            moved = moved.to(device)
            assert ours.device == moved.device and ours.dtype == moved.dtype, field.name
            assert torch.equal(ours, moved), field.name
        else:
            assert ours == moved, field.name


@NEEDS_CUDA
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_problems_live_on_the_requested_device(name):
    problem = MAKERS[name](seed=0, device="cuda")
    assert problem.X.device.type == problem.minimizer.device.type == "cuda"
    w = torch.zeros(2, problem.d, dtype=torch.float64, device="cuda")
    assert problem.per_example_grads(w).device.type == "cuda"
    assert problem.loss(w).device.type == problem.grad(w).device.type == "cuda"
