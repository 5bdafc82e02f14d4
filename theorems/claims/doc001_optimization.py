"""Lecture 001, "Intro to Deep Learning, Lecture 7: Optimization III" (001_5672ff10bad5e403.txt).

Gradient descent on convex L-smooth functions (*Step I: The Descend*, *Step II: Convergence Rate*,
*GD for Linear regression*): for f convex and L-smooth and η ≤ 1/L,

    f(w_{t+1}) ≤ f(w_t) − (η/2)‖∇f(w_t)‖²                                  (001-01)
    f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)              (001-02)
    f(w_T) − f(w*) ≤ ‖w_0 − w*‖² / (2ηT)                                   (001-03, 001-04)

checked along whole trajectories of generated least-squares problems (in the document's sum form
f(w) = ½‖y − Xw‖², ∇f = XᵀXw − Xᵀy, L = λ_max(XᵀX), as 001-04 writes it) and ℓ2-regularized
logistic regressions, of varied size and conditioning, in float64.
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import torch

from implementations.problems import gradient_descent_trajectory, make_least_squares, make_logistic_regression
from theorems.claim import Figure, Formula, Measurement, Source, claim
from theorems.kit import DOCUMENTS, PROBLEMS

LECTURE_001 = DOCUMENTS["001"]
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
