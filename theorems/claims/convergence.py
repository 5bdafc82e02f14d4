"""Gradient descent: the descent lemma, its rate, and the step-size regimes.

Lecture 001 (*Step I: The Descend*, *Step II: Convergence Rate*, *GD for Linear regression*)
proves, for f convex and L-smooth and η ≤ 1/L,

    f(w_{t+1}) ≤ f(w_t) − (η/2)‖∇f(w_t)‖²                                  (001-01)
    f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)              (001-02)
    f(w_T) − f(w*) ≤ ‖w_0 − w*‖² / (2ηT)                                   (001-03, 001-04)

checked here along whole trajectories of generated least-squares problems (in the document's sum
form f(w) = ½‖y − Xw‖², ∇f = XᵀXw − Xᵀy, L = λ_max(XᵀX), as 001-04 writes it) and ℓ2-regularized
logistic regressions, of varied size and conditioning, in float64.

Notes 003 (sections 4.4 to 4.6) then classify step sizes by η_opt = [E'']⁻¹: convergence below
2η_opt, oscillation between η_opt and 2η_opt, divergence above 2η_opt; for ax² + bx + c it writes
η_opt = 1/a. Both readings of η_opt are checked, on one-dimensional and multivariate quadratics.
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import torch

from implementations.problems import (
    gradient_descent_trajectory,
    make_least_squares,
    make_logistic_regression,
    make_quadratic,
)
from theorems.claim import Figure, Formula, Measurement, Reading, Source, claim
from theorems.claims._data import PROBLEMS

LECTURE_001 = "001_5672ff10bad5e403.txt"
NOTES_003 = "003_8575ef13f3bfe434.txt"
STEPS = 1000  # gradient steps per trajectory
TRACE_POINTS = 60  # iterations kept for the figures (log-spaced); the checks use every iteration

GD_DOMAIN = {
    "problem": st.sampled_from(PROBLEMS),
    "n": st.integers(1, 200),
    "d": st.integers(1, 20),
    "condition": st.sampled_from([1.0, 10.0, 100.0, 1000.0]),
    "lr_fraction": st.floats(0.05, 1.0),  # η = lr_fraction / L, so η ≤ 1/L
    "data_seed": st.integers(0, 1000),
}
GD_ASSUMPTIONS = (
    "least squares in the document's sum form f(w) = ½‖y − Xw‖², L = λ_max(XᵀX), with XᵀX/n of the given "
    "condition number; logistic regression with ℓ2 weight 1/condition (strongly convex), L = λ_max(XᵀX)/(4n) + ℓ2",
    f"η = lr_fraction / L ≤ 1/L; w_0 = w* + 3·N(0, I); {STEPS} steps, float64",
)
GD_DESIGN = tuple(
    {"problem": problem, "n": 100, "d": 5, "condition": condition, "lr_fraction": 1.0, "data_seed": 0}
    for condition in (1000.0, 10.0) for problem in PROBLEMS)


def gd_trajectory(p, device: torch.device) -> dict[str, np.ndarray | float]:
    """Run gradient descent on the point's problem; return f, ‖∇f‖² and ‖w − w*‖² per iterate."""
    if p["problem"] == "least_squares":
        problem = make_least_squares(max(p["n"], p["d"]), p["d"], condition=p["condition"], seed=p["data_seed"],
                                     device=device)
        loss, smoothness = problem.document_loss, problem.document_smoothness

        def grad(w):  # ∇f(w) = XᵀXw − Xᵀy (001-04)
            return w @ problem.X.T @ problem.X - problem.y @ problem.X
    else:
        problem = make_logistic_regression(p["n"], p["d"], l2=1.0 / p["condition"], seed=p["data_seed"],
                                           device=device)
        loss, smoothness, grad = problem.loss, problem.smoothness, problem.grad
    generator = torch.Generator(device=device).manual_seed(p["data_seed"])
    w_star = problem.minimizer
    w0 = w_star + 3.0 * torch.randn(problem.d, generator=generator, device=device, dtype=torch.float64)
    lr = p["lr_fraction"] / smoothness
    ws = gradient_descent_trajectory(grad, w0, lr=lr, steps=STEPS)  # (STEPS + 1, d)
    as_numpy = lambda t: t.detach().cpu().numpy()  # noqa: E731
    return {
        "f": as_numpy(loss(ws)), "f_star": float(loss(w_star)), "grad_sq": as_numpy(grad(ws).square().sum(-1)),
        "dist_sq": as_numpy((ws - w_star).square().sum(-1)), "lr": lr,
    }


def gd_measurement(p, ctx, measured) -> Measurement:
    """A gradient-descent run's per-iteration quantity ``measured(run)``, every iteration checked.

    The figure keeps TRACE_POINTS log-spaced iterations; the engine adds the stated bound there.
    """
    run = gd_trajectory(p, ctx.device)
    values = measured(run)
    keep = np.unique(np.geomspace(1, len(values), TRACE_POINTS).astype(int)) - 1
    return Measurement(values, quantities=run, trace={"x": keep + 1, "measured": values[keep], "index": keep})


@claim(
    id="gd-sufficient-decrease",
    title="Each gradient step with η ≤ 1/L decreases f by at least (η/2)‖∇f‖²",
    inventory_ids=("001-01",),
    source=Source(LECTURE_001, "Step I: The Descend"),
    statement=("f convex and L-smooth, η ≤ 1/L: f(w_{t+1}) ≤ f(w_t) − (η/2)‖∇f(w_t)‖²; the value decreases "
               "strictly unless ∇f(w_t) = 0."),
    assumptions=GD_ASSUMPTIONS,
    kind="bound",
    relation="le",
    domain=GD_DOMAIN,
    stated=lambda p: p["f"][:-1] - p["lr"] / 2 * p["grad_sq"][:-1],
    mutants=(Formula("f(w_{t+1}) ≤ f(w_t) − η‖∇f(w_t)‖²", lambda p: p["f"][:-1] - p["lr"] * p["grad_sq"][:-1]),),
    resolution=1e-10,
    atol=1e-12,
    design=GD_DESIGN,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="f(w_{t+1}) and its bound", logx=True, logy=True),
)
def gd_sufficient_decrease(p, ctx):
    """f(w_{t+1}) for every t, against the bound at w_t."""
    return gd_measurement(p, ctx, lambda run: run["f"][1:])


@claim(
    id="gd-distance-bound",
    title="One gradient step's suboptimality is bounded by the decrease of the distance to w*",
    inventory_ids=("001-02",),
    source=Source(LECTURE_001, "Step II: Convergence Rate"),
    statement="f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)",
    assumptions=GD_ASSUMPTIONS,
    kind="bound",
    relation="le",
    domain=GD_DOMAIN,
    stated=lambda p: (p["dist_sq"][:-1] - p["dist_sq"][1:]) / (2 * p["lr"]),
    mutants=(Formula("f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_{t+1} − w*‖² − ‖w_t − w*‖²) (indices swapped)",
                     lambda p: (p["dist_sq"][1:] - p["dist_sq"][:-1]) / (2 * p["lr"])),),
    resolution=1e-9,
    atol=1e-12,
    design=GD_DESIGN,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="f(w_{t+1}) − f(w*) and its bound",
                  logx=True, logy=True),
)
def gd_distance_bound(p, ctx):
    """f(w_{t+1}) − f(w*) for every t, against (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)."""
    return gd_measurement(p, ctx, lambda run: run["f"][1:] - run["f_star"])


@claim(
    id="gd-rate",
    title="Gradient descent with η ≤ 1/L reaches f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT)",
    inventory_ids=("001-03", "001-04"),
    source=Source(LECTURE_001, "Step II: Convergence Rate / GD for Linear regression"),
    statement=("f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT); for f(w) = ½‖y − Xw‖², ∇f(w) = XᵀXw − Xᵀy is "
               "λ_max(XᵀX)-Lipschitz and η = 1/λ_max(XᵀX) gives an ε-optimal point in O(λ_max/ε) iterations."),
    assumptions=GD_ASSUMPTIONS,
    kind="bound",
    relation="le",
    domain=GD_DOMAIN,
    stated=lambda p: p["dist_sq"][0] / (2 * p["lr"] * np.arange(1, STEPS + 1)),
    mutants=(Formula("f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT²)",
                     lambda p: p["dist_sq"][0] / (2 * p["lr"] * np.arange(1, STEPS + 1) ** 2)),),
    resolution=1e-9,
    atol=1e-12,
    design=GD_DESIGN,
    figure=Figure(kind="traces", xlabel="iteration T", ylabel="f(w_T) − f(w*) and the bound", logx=True, logy=True),
)
def gd_rate(p, ctx):
    """f(w_T) − f(w*) for T = 1 … STEPS, against ‖w_0 − w*‖²/(2ηT)."""
    return gd_measurement(p, ctx, lambda run: run["f"][1:] - run["f_star"])


# --- step-size regimes (003-04, 003-05, 003-06) -------------------------------------------------

ONE_STEP = "reaches the minimum in one step"
MONOTONE = "converges monotonically"
OSCILLATING = "converges, oscillating"
PERSISTENT = "oscillates without converging"
DIVERGES = "diverges"
REGIME_STEPS = 60
BOUNDARY_GAP = 0.02  # ratios this close to a regime boundary (other than exactly η_opt) are not drawn


def regime_stated(p):
    """The document's regimes, by r = η/η_opt (η_opt itself: one step, section 4.4)."""
    r = p["ratio"]
    if r == 1.0:
        return ONE_STEP
    return MONOTONE if r < 1 else OSCILLATING if r < 2 else DIVERGES


def classify(errors: np.ndarray) -> str:
    """The behaviour of the steepest-direction error e_k = q_maxᵀ(w_k − w*) along a run.

    Only the steps before |e_k| falls to rounding level (1e-9·|e_0|) are read: below that the
    signs are float64 noise.
    """
    if not np.all(np.isfinite(errors)):
        return DIVERGES
    e0 = abs(errors[0])
    if abs(errors[1]) <= 1e-12 * e0:
        return ONE_STEP
    resolved = np.abs(errors) > 1e-9 * e0
    head = errors[: int(np.argmin(resolved))] if not resolved.all() else errors
    alternating = bool(np.all(np.sign(head[1:]) != np.sign(head[:-1])))
    rate = (abs(head[-1]) / e0) ** (1 / (len(head) - 1)) if len(head) > 1 else 0.0
    if head is not errors or rate < 1 - 1e-6:
        return OSCILLATING if alternating else MONOTONE
    if rate > 1 + 1e-6:
        return DIVERGES
    return PERSISTENT if alternating else "stalls"


@claim(
    id="step-size-regimes",
    title="Gradient descent converges below 2η_opt, oscillates between η_opt and 2η_opt, diverges above",
    inventory_ids=("003-04", "003-05", "003-06"),
    source=Source(NOTES_003, "4.4 Optimal step size with Taylor expansion / 4.5 Other step sizes / 4.6.1"),
    statement=("η_opt = [E''(w^(k))]⁻¹ = a⁻¹ = 1/a for ax² + bx + c (4.4); convergence when η < 2η_opt, "
               "oscillation when η_opt < η < 2η_opt, divergence when η > 2η_opt (4.5); in many dimensions the "
               "inverse of the Hessian's largest eigenvalue is the optimal step size for the steepest "
               "direction (4.6.1)."),
    assumptions=("one dimension: E(w) = ax² + bx + c; several: E(w) = ½wᵀAw + bᵀw + c with λ_max(A) = 2a "
                 "and the given condition number, behaviour read along the steepest eigenvector",
                 "below η_opt the document implies monotone convergence (it places oscillation between η_opt "
                 "and 2η_opt); at η_opt exactly, one step reaches the minimum (4.4)",
                 f"behaviour classified from {REGIME_STEPS} steps of w_k = w_(k−1) − η E'(w_(k−1))"),
    kind="behaviour",
    relation="label",
    resolution=0.0,  # behaviour labels match exactly
    domain={
        "dim": st.sampled_from([1, 2, 3, 5]),
        "a": st.floats(0.1, 10.0),
        "ratio": st.floats(0.05, 3.5),  # η / η_opt
        "condition": st.sampled_from([1.0, 10.0, 100.0]),
        "data_seed": st.integers(0, 1000),
    },
    constraint=lambda p: p["ratio"] == 1.0 or min(abs(p["ratio"] - 1), abs(p["ratio"] - 2)) > BOUNDARY_GAP,
    readings=(
        Reading("η_opt = 1/a", "section 4.4's value for ax² + bx + c: η_opt = a⁻¹ (in several dimensions, "
                "1/λ_max as 4.6.1 says)", {"eta_opt": "1/a"}),
        Reading("η_opt = 1/E''", "section 4.4's general formula η_opt = [E'']⁻¹, which is 1/(2a) for "
                "ax² + bx + c (in several dimensions, 1/λ_max)", {"eta_opt": "1/E''"}),
    ),
    stated=regime_stated,
    mutants=(
        Formula("divergence when η > η_opt (the boundary at η_opt, not 2η_opt)",
                lambda p: ONE_STEP if p["ratio"] == 1.0 else MONOTONE if p["ratio"] < 1 else DIVERGES),
        Formula("convergence for every η < 3η_opt, oscillating above η_opt",
                lambda p: ONE_STEP if p["ratio"] == 1.0 else MONOTONE if p["ratio"] < 1
                else OSCILLATING if p["ratio"] < 3 else DIVERGES),
    ),
    design=tuple({"dim": dim, "a": 1.0, "ratio": r, "condition": 10.0, "data_seed": 0}
                 for dim, r in ((1, 1.5), (1, 1.0), (1, 2.5), (1, 0.5), (1, 0.9), (1, 1.1), (1, 1.9), (1, 2.1),
                                (3, 1.5), (3, 0.5), (3, 2.5), (3, 1.0))),
    figure=Figure(kind="traces", xlabel="step k", ylabel="|w_k − w*| / |w_0 − w*| (steepest direction)",
                  logy=True),
)
def step_size_regimes(p, ctx):
    """Run gradient descent at η = ratio·η_opt and classify what the iterates do."""
    a, dim = p["a"], p["dim"]
    if dim == 1:
        # E(w) = a w² + b w + c: E'' = 2a
        quadratic = make_quadratic([2 * a], seed=p["data_seed"], rotate=False, device=ctx.device)
        eta_opt = 1 / a if p["eta_opt"] == "1/a" else 1 / (2 * a)
    else:
        eigenvalues = 2 * a * torch.logspace(-np.log10(p["condition"]), 0, dim, dtype=torch.float64)
        quadratic = make_quadratic(eigenvalues, seed=p["data_seed"], device=ctx.device)
        eta_opt = 1 / quadratic.smoothness  # the inverse of the largest eigenvalue (4.6.1), both readings
    eigenvalues, eigenvectors = torch.linalg.eigh(quadratic.hessian)
    steepest = eigenvectors[:, -1]
    generator = torch.Generator(device=ctx.device).manual_seed(p["data_seed"])
    w0 = quadratic.minimizer + torch.randn(dim, generator=generator, device=ctx.device, dtype=torch.float64)
    ws = gradient_descent_trajectory(quadratic.grad, w0, lr=p["ratio"] * eta_opt, steps=REGIME_STEPS)
    errors = ((ws - quadratic.minimizer) @ steepest).cpu().numpy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        relative = np.abs(errors[:13] / errors[0])
    return Measurement(classify(errors), quantities={"eta": p["ratio"] * eta_opt, "eta_opt_value": eta_opt},
                       trace={"x": np.arange(13), "measured": relative})
