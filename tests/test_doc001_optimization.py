"""The non-trivial helpers of theorems/claims/doc001_optimization.py, against closed forms and oracles.

Each helper is checked on inputs whose answer is known: hitting times and slopes on exact power
laws, the run classifiers on constructed curves, the error-form least-squares iteration against
gradient descent on w, the vectorized momentum step against implementations.optimizers, the
operation counter against FlopCounterMode, and the tuned runs' early stop against full runs.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations import optimizers as opt
from implementations.optimizer_oracles import PAIRING, form_trajectory
from implementations.problems import gradient_descent_trajectory, make_least_squares
from theorems.catalogue import doc001_optimization as doc
from theorems.core.claim import REGISTRY

SETTINGS = settings(deadline=None, max_examples=20, database=None, derandomize=True)


# --- hitting times ----------------------------------------------------------------------------------

def test_first_hits_finds_the_first_crossing_and_marks_the_unreached():
    curve = np.array([10.0, 5.0, 6.0, 1.0, 0.5])
    np.testing.assert_array_equal(doc.first_hits(curve, np.array([20.0, 5.5, 1.0, 0.1])), [0, 1, 3, 5])


# --- 001-01: reading strict decrease ----------------------------------------------------------------

def run(f, grad_sq, lr=1.0, f_star=0.0):
    grad_sq = np.asarray(grad_sq, dtype=float)
    return {"f": np.asarray(f, dtype=float), "grad_sq": grad_sq, "lr": lr, "f_star": f_star,
            "step_sq": lr**2 * grad_sq[:-1]}


def test_decrease_label_names_what_the_steps_did():
    assert doc.decrease_label(run([4, 2, 1], [1, 1, 1])) == doc.STRICT
    assert doc.decrease_label(run([4, 2, 2, 2], [1, 0, 0, 0])) == doc.STRICT_THEN_CONSTANT
    assert doc.decrease_label(run([0, 0, 0], [0, 0, 0])) == doc.CONSTANT
    assert doc.decrease_label(run([4, 4, 1], [1, 1, 1])).startswith("fails to decrease")


def test_decrease_label_does_not_read_steps_at_rounding_level():
    # the third step's guaranteed decrease is 1e-20 of f: a tie there is rounding, not a failure
    assert doc.decrease_label(run([4, 2, 2, 2], [1, 1e-20, 1e-20, 1e-20], f_star=1.0)) == doc.STRICT


# --- 001-04, 001-05: the error form of gradient descent on least squares ------------------------------

@SETTINGS
@given(n=st.integers(3, 30), d=st.integers(1, 3), seed=st.integers(0, 100), fraction=st.floats(0.1, 1.0))
def test_error_form_is_gradient_descent_on_w(n, d, seed, fraction):
    problem = make_least_squares(max(n, d), d, condition=10.0, seed=seed)
    e0 = doc.linreg_start(problem, seed)
    lr = fraction / problem.document_smoothness
    gaps = doc.linreg_suboptimality(problem, e0, lr=lr, target=0.0, max_steps=30)
    ws = gradient_descent_trajectory(lambda w: w @ problem.X.T @ problem.X - problem.y @ problem.X,
                                     problem.minimizer + e0, lr=lr, steps=30)
    direct = (problem.document_loss(ws) - problem.document_loss(problem.minimizer)).numpy()
    scale = direct[0]
    np.testing.assert_allclose(gaps, direct, rtol=1e-6, atol=1e-12 * scale)


# --- 001-08: counting operations ---------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [((3,), (3, 4)), ((6, 2), (2, 7)), ((1, 5), (5, 1))])
def test_operation_counter_counts_matrix_products_as_flop_counter_mode_does(shapes):
    from torch.utils.flop_counter import FlopCounterMode

    a, b = (torch.randn(s, dtype=torch.float64) for s in shapes)
    with doc.OperationCounter() as ours:
        a @ b
    with FlopCounterMode(display=False) as theirs:
        a @ b
    assert ours.flops == theirs.get_total_flops() > 0


@pytest.mark.parametrize("shapes", [((5, 3), (3,)), ((4,), (4,))])
def test_operation_counter_also_counts_the_products_flop_counter_mode_leaves_out(shapes):
    """Matrix-vector and dot products (aten.mv, aten.dot): 2 flops per multiply-add as well."""
    a, b = (torch.randn(s, dtype=torch.float64) for s in shapes)
    with doc.OperationCounter() as ours:
        a @ b
    assert ours.flops == 2 * math.prod(shapes[0])


def test_operation_counter_counts_written_elements_and_not_views():
    x = torch.zeros(10, 4, dtype=torch.float64)
    with doc.OperationCounter() as counter:
        rows = x[torch.tensor([1, 2, 3])]  # a gather: 12 elements (and the 3-element index tensor)
        x[:5]  # a slice: a view, nothing written
        x.mT  # a view
        rows + 1.0  # 12 elements
    assert counter.flops == 0 and counter.elements == 3 + 12 + 12


def test_one_sgd_iteration_does_not_touch_the_other_examples():
    template = make_least_squares(4, 2, seed=0)
    small, large = (doc.problem_of_size(template, m, 8) for m in (100, 10_000))
    for method in ("SGD", "mini-batch SGD"):
        cost = [doc.iteration_cost(method, problem, b=4) for problem in (small, large)]
        assert cost[0] == pytest.approx(cost[1], rel=1e-2), method  # only the amortized shuffle may differ
    gd = [doc.iteration_cost("GD", problem, b=4) for problem in (small, large)]
    assert gd[1] / gd[0] == pytest.approx(100, rel=0.05)


# --- 001-09: reading a stall ---------------------------------------------------------------------------

def test_stall_label_on_constructed_curves():
    t = np.arange(401.0)
    gd = np.exp(-0.1 * t)
    floor = 1e-4
    stalls = np.maximum(np.exp(-0.1 * t), floor)
    assert doc.stall_label(stalls, gd) == doc.STALLS
    assert doc.stall_label(gd * 1.01, gd) == doc.CONVERGES
    slow = np.maximum(np.exp(-0.04 * t), floor)  # reaches the floor, but 2.5 times slower than GD
    assert doc.stall_label(slow, gd) == doc.LAGS
    assert doc.stall_label(np.append(stalls[:-1], np.inf), gd) == doc.DIVERGES


# --- 001-11: the vectorized momentum step and the tuned runs -------------------------------------------

@SETTINGS
@given(lrs=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=4), data=st.data(), seed=st.integers(0, 100))
def test_grid_step_is_the_slides_momentum_per_configuration(lrs, data, seed):
    betas = data.draw(st.lists(st.floats(0.0, 0.99), min_size=len(lrs), max_size=len(lrs)), label="betas")
    generator = torch.Generator().manual_seed(seed)
    A = torch.randn(3, 3, generator=generator, dtype=torch.float64)
    A = A @ A.T / 3
    theta0 = torch.randn(3, generator=generator, dtype=torch.float64)
    lr_t, beta_t = (torch.tensor(v, dtype=torch.float64)[:, None] for v in (lrs, betas))
    theta, m = theta0.expand(len(lrs), -1), torch.zeros(len(lrs), 3, dtype=torch.float64)
    for _ in range(10):
        theta, m = doc.momentum_grid_step(theta, m, theta @ A, lr_t, beta_t)
    for c, (lr, beta) in enumerate(zip(lrs, betas)):
        w, state = theta0, opt.momentum_init(theta0)
        for _ in range(10):
            updates, state = opt.momentum_update(w @ A, state, lr=lr, beta=beta)
            w = w + updates
        torch.testing.assert_close(theta[c], w, rtol=1e-12, atol=1e-14)


def test_sign_alternation():
    assert doc.sign_alternation(np.array([1.0, -0.5, 0.25, -0.1])) == 1.0
    assert doc.sign_alternation(np.array([1.0, 0.5, 0.25, 0.1])) == 0.0
    assert doc.sign_alternation(np.array([1.0, -0.5, 0.2, 1e-12, -1e-13])) == 1.0  # stops at float noise
    assert doc.sign_alternation(np.array([0.0])) == 0.0


@pytest.mark.parametrize("family", ["quadratic", "least squares", "logistic"])
def test_tuned_runs_stop_early_without_changing_the_best_configurations(family):
    """The early stop against every configuration run to the end: same best counts and step sizes."""
    p = {"family": family, "condition": 10.0, "d": 3, "n": 30, "data_seed": 1}
    runs = doc.tuned_runs(**p)
    loss, grad, theta_star, f_star, hessian = doc.curvature_problem(p, torch.device("cpu"))
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    top = eigenvalues[-1]
    theta0 = doc.curvature_start(theta_star, eigenvectors, 1)
    steps = max(runs["gd_iterations"], runs["momentum_iterations"])
    best = {}
    for method, betas in (("gd", (0.0,)), ("momentum", doc.BETA_GRID)):
        counts = {}
        for beta in betas:
            for c in doc.STEP_GRID:
                lr_t, beta_t = (torch.tensor([[v]], dtype=torch.float64) for v in (float(c / top), beta))
                theta, m, gaps = theta0[None], torch.zeros(1, 3, dtype=torch.float64), [float(loss(theta0) - f_star)]
                with np.errstate(all="ignore"):
                    for _ in range(steps):
                        theta, m = doc.momentum_grid_step(theta, m, grad(theta), lr_t, beta_t)
                        gaps.append(float(loss(theta[0]) - f_star))
                hit = doc.first_hits(np.nan_to_num(np.array(gaps), nan=np.inf), np.array([doc.TARGET * gaps[0]]))[0]
                counts[(float(c / top), beta)] = hit
        best[method] = min(counts.values())
    assert (runs["gd_iterations"], runs["momentum_iterations"]) == (best["gd"], best["momentum"])


# --- 001-10 to 001-14: the slides' formulas, step against torch's steps -------------------------------

OPTIMIZER_CLAIMS = {  # claim id -> (oracle pairing of the slide's form, hyperparameters at a test point)
    "momentum-is-torch-sgd-momentum": ("momentum-001-10", {"lr": 0.05, "beta": 0.9}),
    "adagrad-is-torch-adagrad": ("adagrad-001-12", {"lr": 0.1, "eps": 1e-2}),
    "rmsprop-is-torch-rmsprop": ("rmsprop-001-13-lagged", {"lr": 0.01, "beta": 0.9, "eps": 1e-3}),
    "adam-is-torch-adam": ("adam-001-14-uncorrected", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
}
CPU = SimpleNamespace(device=torch.device("cpu"))


def optimizer_point(claim_id: str, problem: str) -> dict:
    """A point of the claim's domain on ``problem`` with the test hyperparameters (lr_fraction for momentum)."""
    hp = dict(OPTIMIZER_CLAIMS[claim_id][1])
    if claim_id.startswith("momentum"):
        hp = {"lr_fraction": 0.5, "beta": hp["beta"]}
    return {"problem": problem, "N": 12, "d": 3, "data_seed": 4, "steps": 15, **hp}


@pytest.mark.parametrize("claim_id", OPTIMIZER_CLAIMS)
def test_declared_formula_is_the_slides_form_on_its_own_gradients(claim_id):
    """The stated formula, fed the gradients at the form's own iterates, reproduces the form's steps
    (implementations.optimizers, tested against oracles): the declaration is the slide's update."""
    pairing_name, hp = OPTIMIZER_CLAIMS[claim_id]
    problem = make_least_squares(12, 3, condition=10.0, seed=4)
    w0 = problem.minimizer + 1.0
    path = form_trajectory(PAIRING[pairing_name], problem.grad, w0, steps=15, hyperparameters=hp)
    grads = torch.stack([problem.grad(w) for w in path[:-1]]).numpy()
    stated = REGISTRY.get(claim_id).stated({**hp, "grads": grads})
    np.testing.assert_allclose(stated, torch.diff(path, dim=0).numpy().ravel(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("claim_id", OPTIMIZER_CLAIMS)
@pytest.mark.parametrize("problem", ["least_squares", "logistic"])
def test_measurement_is_torchs_steps_and_the_reference_formula_reproduces_them(claim_id, problem):
    """The measured value is torch.optim's steps; the alternative naming torch (or, for momentum, the
    stated formula itself) reproduces them from the reported gradients."""
    claim = REGISTRY.get(claim_id)
    point = optimizer_point(claim_id, problem)
    measurement = claim.measure(point, CPU)
    p = {**point, **measurement.quantities}
    reference = claim.alternatives[0].value(p) if claim.alternatives else claim.stated(p)
    np.testing.assert_allclose(measurement.value, reference, rtol=1e-9, atol=1e-12)
    assert measurement.quantities["grads"].shape == (15, 3)


def test_running_sum_plain_weighted_and_lagged():
    x = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(doc.running_sum(x, 1.0).ravel(), [1.0, 3.0, 6.0])
    np.testing.assert_allclose(doc.running_sum(x, 0.5, 2.0).ravel(), [2.0, 5.0, 8.5])
    np.testing.assert_allclose(doc.running_sum(x, 0.5, 2.0, lagged=True).ravel(), [0.0, 2.0, 5.0])


def test_adam_at_torchs_defaults_takes_a_first_step_a_third_of_torchs():
    """At (0.9, 0.999) the slide's first step is (1 − β₁)/√(1 − β₂) ≈ 0.316 times torch's (ε aside)."""
    claim = REGISTRY.get("adam-is-torch-adam")
    point = claim.representative[0]
    measurement = claim.measure(point, CPU)
    p = {**point, **measurement.quantities}
    ratio = claim.stated(p)[:3] / measurement.value[:3]
    np.testing.assert_allclose(ratio, 0.1 / math.sqrt(0.001), rtol=1e-4)
