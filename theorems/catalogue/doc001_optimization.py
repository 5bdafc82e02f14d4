"""Lecture 001, "Intro to Deep Learning, Lecture 7: Optimization III" (001_5672ff10bad5e403.txt),
rows 001-01 to 001-14, in the lecture's order.

*GD for Convex Functions*: for f convex and L-smooth, w_{t+1} = w_t − η∇f(w_t) and η ≤ 1/L,

    f(w_{t+1}) ≤ f(w_t) − (η/2)‖∇f(w_t)‖², strictly less unless ∇f(w_t) = 0         (001-01)
    f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)                     (001-02)
    f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT), so ε error needs O(1/(ηε)) = O(L/ε) steps  (001-03)

checked at every iteration of runs on least squares and ℓ2-regularized logistic regression.

*GD for Linear regression*: f(w) = ½‖y − Xw‖² has ∇f(w) = XᵀXw − Xᵀy (against autograd), which is
λ_max(XᵀX)-Lipschitz, and η = 1/λ_max(XᵀX) reaches ε in O(λ_max/ε) iterations (001-04: hitting
times against the bound's constant); only O(log(1/ε)) if λ_min(XᵀX) > 0 (001-05: the exponent of
the hitting time against 1/ε, over a hundred decades of ε).

*Stochastic Gradient Descent*, *Mini-batch SGD*, *Computation Cost*: the randomized rule's and a
random subset's gradients are unbiased (001-06, 001-07: Monte Carlo; the cyclic rule uses every
example once per cycle); one iteration costs O(md), O(d), O(bd) (001-08: counted operations,
fitted exponents); constant-step SGD keeps pace with GD far from the optimum and stalls at a noise
floor near it (001-09).

*Momentum*, *AdaGrad*, *RMSProp*, *Adam* (001-10 to 001-14): the torch.optim optimizer each name
means (``implementations.optimizer_oracles``) is run, and the slide's update, written in the
declaration, predicts each of its steps from the same gradients (step against step, with the
library's defaults as representative settings and where ε sits weighed as a convention), and
the properties the slides state: momentum's effective learning rate η/(1 − β); tuned momentum
against tuned GD under asymmetric curvature, and GD's zigzag there (001-11); AdaGrad's learning
rates falling like 1/|∂L/∂θ_k| and 1/√t (001-12).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np
import torch

from implementations import optimizers as opt
from implementations.optimizer_oracles import PAIRING, torch_trajectory
from implementations.problems import (
    FiniteSumProblem,
    LeastSquares,
    LogisticRegression,
    gradient_descent_trajectory,
    make_least_squares,
    make_logistic_regression,
    make_quadratic,
)
from theorems.catalogue.kit import (
    COSTLY,
    DISTRIBUTIONS,
    DOCUMENTS,
    PROBLEMS,
    SAMPLING_READINGS,
    OperationCounter,
    evaluation_point,
    finite_sum_problem,
    fitted_exponent,
    full_value,
    log_spaced,
    log_spaced_integers,
    minibatch_bytes,
    sample_fits,
    sampled_estimate_sampler,
    seeded_generator,
    standardized,
)
from theorems.core.claim import BEHAVIOUR, EXACT_TO_ROUNDING, Figure, Formula, Measurement, Preset, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers

LECTURE_001 = DOCUMENTS["001"]


# --- shared helper: hitting times ----------------------------------------------------------------------

def first_hits(suboptimality: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold ε, the first t with suboptimality[t] ≤ ε; len(suboptimality) if never."""
    hits = suboptimality[None, :] <= thresholds[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1), len(suboptimality))


# =====================================================================================================
# GD for Convex Functions: Step I (001-01), Step II (001-02, 001-03)
# =====================================================================================================

STEPS = 500  # gradient steps per trajectory

GD_DOMAIN = {
    "problem": choices(PROBLEMS),
    "n": integers(1, 200),
    "d": integers(1, 20),
    "condition": choices([1.0, 10.0, 100.0, 1000.0]),
    "lr_fraction": floats(0.05, 1.0),  # η = lr_fraction / L, so η ≤ 1/L
    "data_seed": DATA_SEED,
}
GD_ASSUMPTIONS = (
    "least squares in the document's sum form f(w) = ½‖y − Xw‖², L = λ_max(XᵀX), with XᵀX/n of the given "
    "condition number; logistic regression with ℓ2 weight 1/condition (strongly convex), L = λ_max(XᵀX)/(4n) + ℓ2",
    f"η = lr_fraction / L ≤ 1/L; w_0 = w* + 3·N(0, I); {STEPS} steps, float64",
)
GD_DESIGN = tuple(
    {"problem": problem, "n": 100, "d": 5, "condition": condition, "lr_fraction": 1.0, "data_seed": 0}
    for condition in (1000.0, 10.0) for problem in PROBLEMS)


def gd_trajectory(p, device: torch.device, *, stationary: bool = False) -> dict[str, np.ndarray | float]:
    """Run gradient descent on the point's problem; return f, ‖∇f‖² and ‖w − w*‖² per iterate, and
    ‖w_{t+1} − w_t‖² per step.

    ``stationary``: least squares with targets y = 0, started at w_0 = w* = 0, where the computed
    gradient XᵀX·0 − Xᵀ·0 is exactly 0.
    """
    problem: LeastSquares | LogisticRegression
    if p["problem"] == "least_squares":
        problem = make_least_squares(max(p["n"], p["d"]), p["d"], condition=p["condition"], seed=p["data_seed"],
                                     device=device)
        if stationary:
            zeros = torch.zeros_like(problem.minimizer)
            problem = dataclasses.replace(problem, y=torch.zeros_like(problem.y), minimizer=zeros, optimal_value=0.0)
        loss, smoothness = problem.document_loss, problem.document_smoothness

        def grad(w):  # ∇f(w) = XᵀXw − Xᵀy (001-04)
            return w @ problem.X.T @ problem.X - problem.y @ problem.X
    else:
        if stationary:
            raise ValueError("a stationary start is built for least squares only")
        problem = make_logistic_regression(p["n"], p["d"], l2=1.0 / p["condition"], seed=p["data_seed"],
                                           device=device)
        loss, smoothness, grad = problem.loss, problem.smoothness, problem.grad
    w_star = problem.minimizer
    w0 = w_star.clone() if stationary else w_star + 3.0 * torch.randn(  # drawn on the CPU: the same on every device
        problem.d, generator=seeded_generator(p["data_seed"]), dtype=torch.float64).to(device)
    lr = p["lr_fraction"] / smoothness
    ws = gradient_descent_trajectory(grad, w0, lr=lr, steps=STEPS)  # (STEPS + 1, d)
    as_numpy = lambda t: t.detach().cpu().numpy()  # noqa: E731
    return {
        "f": as_numpy(loss(ws)), "f_star": float(loss(w_star)), "grad_sq": as_numpy(grad(ws).square().sum(-1)),
        "dist_sq": as_numpy((ws - w_star).square().sum(-1)), "lr": lr,
        "step_sq": as_numpy(torch.diff(ws, dim=0).square().sum(-1)),  # 0 exactly where the computed ∇f(w_t) is 0
    }


def gd_measurement(p, ctx, measured) -> Measurement:
    """A gradient-descent run's per-iteration quantity ``measured(run)``, every iteration checked.

    The figure keeps the kit's log_spaced iterations; the engine adds the stated bound there.
    """
    run = gd_trajectory(p, ctx.device)
    values = measured(run)
    keep = log_spaced(len(values))
    return Measurement(values, quantities=run, trace={"x": keep + 1, "measured": values[keep], "index": keep})


@claim(
    id="gd-sufficient-decrease",
    search_factor=COSTLY,
    title="Each gradient step with η ≤ 1/L decreases f by at least (η/2)‖∇f‖²",
    inventory_ids=("001-01",),
    source=Source(LECTURE_001, "Step I: The Descend"),
    statement="f convex and L-smooth, η ≤ 1/L: f(w_{t+1}) ≤ f(w_t) − (η/2)‖∇f(w_t)‖²",
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


STRICT = "decreases strictly at every step"
CONSTANT = "stays constant"
STRICT_THEN_CONSTANT = "decreases strictly, then stays constant once ∇f(w_t) = 0"
ROUNDING = 1e-13  # a step's guaranteed decrease (η/2)‖∇f‖² below this fraction of |f| is not resolvable
FLOOR = 1e-8  # steps from w_t with f(w_t) − f(w*) below this fraction of f(w_0) − f(w*) are not read


def decrease_label(run) -> str:
    """What f does along a run, read step by step.

    A step from w_t where the run's computed ∇f(w_t) is exactly 0 leaves w (hence f) where it is: the
    label counts these null steps. A step must decrease f strictly when it is resolvable: its
    guaranteed decrease (η/2)‖∇f(w_t)‖² exceeds ROUNDING·|f(w_t)| and the run is still above
    FLOOR·(f(w_0) − f(w*)). Other steps (a nonzero gradient whose effect is at the level of float64's
    rounding of f) are not read. The label names the kinds of steps seen.
    """
    f, grad_sq, lr = run["f"], run["grad_sq"][:-1], run["lr"]
    stationary = run["step_sq"] == 0
    gap = f[:-1] - run["f_star"]
    resolved = (lr / 2 * grad_sq > ROUNDING * np.abs(f[:-1])) & (gap > FLOOR * gap[0]) & ~stationary
    if np.any(f[1:][resolved] >= f[:-1][resolved]):
        return "fails to decrease at a step where ∇f(w_t) ≠ 0"
    if resolved.any():
        return STRICT_THEN_CONSTANT if stationary.any() else STRICT
    return CONSTANT if stationary.all() else "no resolvable step"


def strict_decrease_stated(p) -> str:
    """The slide's statement, given where the run met ∇f(w_t) = 0 (``stationary_steps``)."""
    if p["stationary_steps"] == 0:
        return STRICT
    return CONSTANT if p["start"] == "stationary" else STRICT_THEN_CONSTANT


@claim(
    id="gd-strict-decrease",
    search_factor=COSTLY,
    title="Along gradient descent with η ≤ 1/L, f decreases strictly unless ∇f(w_t) = 0",
    inventory_ids=("001-01",),
    source=Source(LECTURE_001, "Step I: The Descend"),
    statement="Function value decreases strictly unless ∇f(w_t) = 0",
    assumptions=GD_ASSUMPTIONS + (
        "start 'random': w_0 = w* + 3·N(0, I) (the computed ∇f may reach exactly 0 late in a run, after which f "
        "must stay constant); start 'stationary': least squares with y = 0 started at w_0 = w* = 0, where the "
        "computed ∇f is exactly 0",
        f"steps whose guaranteed decrease (η/2)‖∇f‖² is below {ROUNDING:g}·|f|, or taken once f − f* is below "
        f"{FLOOR:g} of its start, are at float64's rounding of f and are not read (see decrease_label)",),
    preset=BEHAVIOUR,
    domain={**GD_DOMAIN, "start": choices(["random", "stationary"])},
    constraint=lambda p: p["start"] == "random" or p["problem"] == "least_squares",
    stated=strict_decrease_stated,
    mutants=(Formula("the value decreases strictly at every step (without the exception ∇f(w_t) = 0)",
                     lambda p: STRICT),),
    design=tuple({**point, "start": "random"} for point in GD_DESIGN)
    + ({"problem": "least_squares", "n": 100, "d": 5, "condition": 10.0, "lr_fraction": 1.0, "data_seed": 0,
        "start": "stationary"},),
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="f(w_t) − f(w*)", logx=True, logy=True),
)
def gd_strict_decrease(p, ctx):
    """Classify f(w_0), f(w_1), … of one run (see ``decrease_label``)."""
    run = gd_trajectory(p, ctx.device, stationary=p["start"] == "stationary")
    keep = log_spaced(len(run["f"]))
    return Measurement(decrease_label(run), quantities={"stationary_steps": int((run["step_sq"] == 0).sum())},
                       trace={"x": keep + 1, "measured": (run["f"] - run["f_star"])[keep]})


@claim(
    id="gd-distance-bound",
    search_factor=COSTLY,
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
    preset=EXACT_TO_ROUNDING,
    design=GD_DESIGN,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="f(w_{t+1}) − f(w*) and its bound",
                  logx=True, logy=True),
)
def gd_distance_bound(p, ctx):
    """f(w_{t+1}) − f(w*) for every t, against (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)."""
    return gd_measurement(p, ctx, lambda run: run["f"][1:] - run["f_star"])


@claim(
    id="gd-rate",
    search_factor=COSTLY,
    title="Gradient descent with η ≤ 1/L reaches f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT)",
    inventory_ids=("001-03",),
    source=Source(LECTURE_001, "Step II: Convergence Rate"),
    statement="f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT)",
    assumptions=GD_ASSUMPTIONS,
    kind="bound",
    relation="le",
    domain=GD_DOMAIN,
    stated=lambda p: p["dist_sq"][0] / (2 * p["lr"] * np.arange(1, STEPS + 1)),
    mutants=(Formula("f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT²)",
                     lambda p: p["dist_sq"][0] / (2 * p["lr"] * np.arange(1, STEPS + 1) ** 2)),),
    preset=EXACT_TO_ROUNDING,
    design=GD_DESIGN,
    figure=Figure(kind="traces", xlabel="iteration T", ylabel="f(w_T) − f(w*) and the bound", logx=True, logy=True),
)
def gd_rate(p, ctx):
    """f(w_T) − f(w*) for T = 1 … STEPS, against ‖w_0 − w*‖²/(2ηT)."""
    return gd_measurement(p, ctx, lambda run: run["f"][1:] - run["f_star"])


EPSILON_DECADES = np.arange(1, 41) / 4  # ε = (f(w_0) − f(w*))·10^(−k/4): ten decades below the start


@claim(
    id="gd-iterations-to-epsilon",
    search_factor=COSTLY,
    title="Gradient descent with η ≤ 1/L reaches ε error within ⌈‖w_0 − w*‖²/(2ηε)⌉ = O(1/(ηε)) iterations",
    inventory_ids=("001-03",),
    source=Source(LECTURE_001, "Step II: Convergence Rate"),
    statement="To achieve ε error, we need O(1/(ηε)) = O(L/ε) number of iterations",
    assumptions=GD_ASSUMPTIONS + (
        "the O's constant is the one of the slide's bound f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT): the first T with "
        "f(w_T) − f(w*) ≤ ε is at most ⌈‖w_0 − w*‖²/(2ηε)⌉; with η = lr_fraction/L this is O(L/ε)",
        f"ε = (f(w_0) − f(w*))·10^(−k/4), k = 1 … 40; an ε not reached in {STEPS} steps counts as {STEPS + 1}",),
    kind="bound",
    relation="le",
    domain=GD_DOMAIN,
    stated=lambda p: np.ceil(p["dist_sq"][0] / (2 * p["lr"] * p["epsilon"])),
    mutants=(Formula("O(1/√(ηε)) iterations: at most ⌈√(‖w_0 − w*‖²/(2ηε))⌉ (the accelerated rate)",
                     lambda p: np.ceil(np.sqrt(p["dist_sq"][0] / (2 * p["lr"] * p["epsilon"])))),),
    resolution=1e-9,
    design=GD_DESIGN,
    figure=Figure(kind="traces", xlabel="1/ε (relative to f(w_0) − f(w*))", ylabel="iterations to ε error",
                  logx=True, logy=True),
)
def gd_iterations_to_epsilon(p, ctx):
    """The first iteration with f(w_T) − f(w*) ≤ ε, for ε over ten decades below f(w_0) − f(w*)."""
    run = gd_trajectory(p, ctx.device)
    gap = run["f"] - run["f_star"]
    epsilon = gap[0] * 10.0 ** -EPSILON_DECADES
    counts = first_hits(gap, epsilon).astype(np.float64)
    index = np.arange(len(counts))
    return Measurement(counts, quantities={**run, "epsilon": epsilon},
                       trace={"x": 10.0 ** EPSILON_DECADES, "measured": counts, "index": index})


# =====================================================================================================
# GD for Linear regression (001-04, 001-05)
# =====================================================================================================

LINREG_DOMAIN = {
    "n": integers(1, 60),
    "d": integers(1, 20),
    "scale": floats(0.1, 10.0),  # X and y are scale · N(0, 1) entries
    "data_seed": DATA_SEED,
}
LINREG_DESIGN = tuple({"n": n, "d": d, "scale": scale, "data_seed": 0}
                      for n, d, scale in ((50, 5, 1.0), (3, 8, 2.0), (20, 20, 0.3), (1, 1, 5.0)))
LIPSCHITZ_PAIRS = 64  # random pairs (w_1, w_2), plus one along the top and one along the bottom eigenvector


def linreg_data(p) -> dict[str, torch.Tensor]:
    """X (n, d), y (n,), and points w_1, w_2 (LIPSCHITZ_PAIRS + 2, d), float64, from the point's seed.

    n < d is allowed (XᵀX singular). The last two pairs differ along the top and the bottom
    eigenvector of XᵀX, where ‖XᵀX(w_1 − w_2)‖ equals λ_max‖w_1 − w_2‖ and λ_min‖w_1 − w_2‖.
    """
    generator = seeded_generator(p["data_seed"])
    f64: dict[str, Any] = dict(generator=generator, dtype=torch.float64)
    n, d, scale = p["n"], p["d"], p["scale"]
    X, y = scale * torch.randn(n, d, **f64), scale * torch.randn(n, **f64)
    w1 = torch.randn(LIPSCHITZ_PAIRS + 2, d, **f64)
    w2 = w1 + torch.randn(LIPSCHITZ_PAIRS + 2, d, **f64)
    eigenvalues, eigenvectors = torch.linalg.eigh(X.T @ X)
    w2[-2], w2[-1] = w1[-2] + eigenvectors[:, -1], w1[-1] + eigenvectors[:, 0]
    return {"X": X, "y": y, "w1": w1, "w2": w2, "lambda_max": eigenvalues[-1], "lambda_min": eigenvalues[0]}


def autograd_gradient(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """∇ of f(w) = ½‖y − Xw‖² by torch.autograd, for each row of w."""
    w = w.detach().clone().requires_grad_(True)
    loss = 0.5 * (y - w @ X.T).square().sum()
    (grad,) = torch.autograd.grad(loss, w)
    return grad


@claim(
    id="linreg-gradient",
    title="The gradient of ½‖y − Xw‖² is XᵀXw − Xᵀy, and ∇f(w_1) − ∇f(w_2) = XᵀX(w_1 − w_2)",
    inventory_ids=("001-04",),
    source=Source(LECTURE_001, "GD for Linear regression"),
    statement=("f(w) = ½‖y − Xw‖²: ∇f(w) = XᵀXw − Xᵀy, and |∇f(w_1) − ∇f(w_2)| = |XᵀX(w_1 − w_2)|"),
    assumptions=("X, y with i.i.d. N(0, scale²) entries, any n and d (XᵀX may be singular); the gradient is "
                 "torch.autograd's, at 66 points w_1 and the differences at 66 pairs (w_1, w_2), float64",),
    kind="identity",
    domain=LINREG_DOMAIN,
    stated=lambda p: np.concatenate([p["formula_grad"], p["formula_difference"]]),
    mutants=(
        Formula("∇f(w) = (1/n)(XᵀXw − Xᵀy) (the mean form)",
                lambda p: np.concatenate([p["formula_grad"], p["formula_difference"]]) / p["n"]),
        Formula("∇f(w) = XᵀXw + Xᵀy", lambda p: np.concatenate([p["formula_grad"] + 2 * p["Xty"],
                                                                 p["formula_difference"]])),
    ),
    resolution=1e-10,
    atol=1e-10,
    design=LINREG_DESIGN,
    figure=Figure(kind="points", x="d", xlabel="dimension d", ylabel="gradient entries (autograd vs formula)"),
)
def linreg_gradient(p, ctx):
    """autograd's ∇f(w_1) and ∇f(w_1) − ∇f(w_2), flattened, against the slide's formulas."""
    data = linreg_data(p)
    X, y, w1, w2 = data["X"], data["y"], data["w1"], data["w2"]
    grad1 = autograd_gradient(X, y, w1)
    measured = torch.cat([grad1.flatten(), (grad1 - autograd_gradient(X, y, w2)).flatten()])
    XtX = X.T @ X
    Xty = (y @ X).expand_as(w1)
    return Measurement(measured.numpy(), quantities={
        "formula_grad": (w1 @ XtX - Xty).flatten().numpy(),  # XᵀXw − Xᵀy
        "formula_difference": ((w1 - w2) @ XtX).flatten().numpy(),  # XᵀX(w_1 − w_2)
        "Xty": Xty.flatten().numpy()})


@claim(
    id="linreg-gradient-lipschitz",
    title="The gradient of ½‖y − Xw‖² is λ_max(XᵀX)-Lipschitz",
    inventory_ids=("001-04",),
    source=Source(LECTURE_001, "GD for Linear regression"),
    statement="|∇f(w_1) − ∇f(w_2)| = |XᵀX(w_1 − w_2)| ≤ λ_max(XᵀX)·‖w_1 − w_2‖₂",
    assumptions=("X, y with i.i.d. N(0, scale²) entries, any n and d; 64 random pairs plus one pair along the top "
                 "and one along the bottom eigenvector of XᵀX (where the bound is attained); gradients by autograd",),
    kind="bound",
    relation="le",
    domain=LINREG_DOMAIN,
    stated=lambda p: p["lambda_max"] * p["distance"],
    mutants=(
        Formula("≤ λ_min(XᵀX)·‖w_1 − w_2‖", lambda p: p["lambda_min"] * p["distance"]),
        Formula("≤ σ_max(X)·‖w_1 − w_2‖ = √λ_max(XᵀX)·‖w_1 − w_2‖",
                lambda p: math.sqrt(p["lambda_max"]) * p["distance"]),
    ),
    resolution=1e-10,
    atol=1e-12,
    design=LINREG_DESIGN,
    figure=Figure(kind="points", x="d", xlabel="dimension d", ylabel="‖∇f(w_1) − ∇f(w_2)‖ (largest pair)"),
)
def linreg_gradient_lipschitz(p, ctx):
    """‖∇f(w_1) − ∇f(w_2)‖ by autograd for each pair, against λ_max(XᵀX)‖w_1 − w_2‖."""
    data = linreg_data(p)
    X, y = data["X"], data["y"]
    difference = autograd_gradient(X, y, data["w1"]) - autograd_gradient(X, y, data["w2"])
    return Measurement(torch.linalg.vector_norm(difference, dim=-1).numpy(), quantities={
        "distance": torch.linalg.vector_norm(data["w1"] - data["w2"], dim=-1).numpy(),
        "lambda_max": float(data["lambda_max"]), "lambda_min": max(float(data["lambda_min"]), 0.0)})


def linreg_suboptimality(problem: LeastSquares, e0: torch.Tensor, *, lr: float, target: float,
                         max_steps: int) -> np.ndarray:
    """f(w_t) − f(w*) of gradient descent on the slide's f(w) = ½‖y − Xw‖² with step ``lr``, from
    w_0 = w* + e0, until it falls to ``target`` relative to f(w_0) − f(w*) or ``max_steps``.

    Written for the error e_t = w_t − w*: since XᵀXw* = Xᵀy, the step w_{t+1} = w_t − η(XᵀXw_t − Xᵀy)
    is e_{t+1} = e_t − ηXᵀXe_t, and f(w_t) − f(w*) = ½ e_tᵀXᵀXe_t. This is the same iteration with
    no cancellation against w*, so suboptimalities far below float64's resolution of f are exact.
    """
    hessian = problem.X.T @ problem.X  # XᵀX
    e = e0
    gaps = [0.5 * float(e @ hessian @ e)]
    stop = target * gaps[0]
    while gaps[-1] > stop and len(gaps) <= max_steps:
        e = e - lr * (hessian @ e)  # e_{t+1} = e_t − η XᵀX e_t
        gaps.append(0.5 * float(e @ hessian @ e))
    return np.asarray(gaps)


LINREG_STEPS = 3000


def linreg_start(problem: LeastSquares, seed: int) -> torch.Tensor:
    """w_0 − w* ~ N(0, I), seeded."""
    return torch.randn(problem.d, generator=seeded_generator(seed), dtype=torch.float64).to(problem.X.device)

LINREG_DECADES = np.arange(1, 49) / 4  # ε = (f(w_0) − f(w*))·10^(−k/4) down to 10⁻¹²


@claim(
    id="linreg-gd-iterations",
    search_factor=COSTLY,
    title="With η = 1/λ_max(XᵀX), gradient descent on least squares is ε-optimal within O(λ_max/ε) iterations",
    inventory_ids=("001-04",),
    source=Source(LECTURE_001, "GD for Linear regression"),
    statement=("Select the learning rate as η = 1/λ_max(XᵀX) and run for O(λ_max(XᵀX)/ε) iterations ensures "
               "convergence up to an ε-optimal minimizer."),
    assumptions=(
        "f(w) = ½‖y − Xw‖² with XᵀX/n of the given condition number (eigenvalues geometric from 1 to it); "
        "condition 10⁸ with d ≥ 10 is the hard case, a spectrum dense over eight decades",
        "the O's constant is the one of 001-03's bound with η = 1/λ_max: the first T with f(w_T) − f(w*) ≤ ε is "
        "at most ⌈λ_max‖w_0 − w*‖²/(2ε)⌉, w_0 = w* + N(0, I)",
        f"ε = (f(w_0) − f(w*))·10^(−k/4), k = 1 … 48; an ε not reached in {LINREG_STEPS} steps counts as "
        f"{LINREG_STEPS + 1}",),
    kind="bound",
    relation="le",
    domain={
        "n": integers(1, 100),
        "d": integers(2, 30),
        "condition": choices([1.0, 10.0, 1e2, 1e4, 1e6, 1e8]),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: np.ceil(p["lambda_max"] * p["dist_sq"] / (2 * p["epsilon"])),
    mutants=(Formula("O(√(λ_max/ε)) iterations: at most ⌈√(λ_max‖w_0 − w*‖²/(2ε))⌉ (the accelerated rate)",
                     lambda p: np.ceil(np.sqrt(p["lambda_max"] * p["dist_sq"] / (2 * p["epsilon"])))),),
    resolution=1e-9,
    design=tuple({"n": 100, "d": 30, "condition": c, "data_seed": 0} for c in (1e8, 1e4, 10.0)),
    figure=Figure(kind="traces", xlabel="λ_max/ε", ylabel="iterations T(ε) and the bound", logx=True, logy=True),
)
def linreg_gd_iterations(p, ctx):
    """The first iteration with f(w_T) − f(w*) ≤ ε, η = 1/λ_max(XᵀX), for ε over twelve decades."""
    problem = make_least_squares(max(p["n"], p["d"]), p["d"], condition=p["condition"], seed=p["data_seed"],
                                 device=ctx.device)
    lambda_max = problem.document_smoothness
    e0 = linreg_start(problem, p["data_seed"])
    gaps = linreg_suboptimality(problem, e0, lr=1.0 / lambda_max, target=10.0 ** -LINREG_DECADES[-1],
                                max_steps=LINREG_STEPS)
    epsilon = gaps[0] * 10.0 ** -LINREG_DECADES
    counts = np.minimum(first_hits(gaps, epsilon), LINREG_STEPS + 1).astype(np.float64)
    return Measurement(counts, quantities={"lambda_max": lambda_max, "dist_sq": float(e0.square().sum()),
                                           "epsilon": epsilon},
                       trace={"x": lambda_max / epsilon, "measured": counts, "index": np.arange(len(counts))})


LINREG_FIT_MIN_COUNT = 3  # hitting times of 1 or 2 steps are too coarse to fit


@claim(
    id="linreg-gd-log-iterations",
    search_factor=COSTLY,
    title="If λ_min(XᵀX) > 0, gradient descent on least squares needs only O(log(1/ε)) iterations",
    inventory_ids=("001-05",),
    source=Source(LECTURE_001, "GD for Linear regression"),
    statement="Only O(log(1/ε)) iterations are needed if λ_min(XᵀX) > 0, i.e., under strong convexity",
    assumptions=(
        "f(w) = ½‖y − Xw‖² with n ≥ d and XᵀX/n of the given condition number (so λ_min(XᵀX) > 0); "
        "η = 1/λ_max(XᵀX)",
        "T(ε) = first t with f(w_t) − f(w*) ≤ ε for ε = (f(w_0) − f(w*))·10^(−k/2), k = 2 … 200 (100 decades; "
        "the error recursion keeps them exact); the exponent p of T ∝ (1/ε)^p is fitted over T ≥ 3: "
        "O(log(1/ε)) means no power of 1/ε, p = 0 (over 100 decades a logarithm gives p ≈ 0.01 to 0.02)",),
    kind="scaling",
    domain={
        "n": integers(1, 100),
        "d": integers(1, 20),
        "condition": choices([1.0, 3.0, 10.0, 30.0]),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: 0.0,
    mutants=(Formula("O(λ_max/ε) iterations, as without strong convexity (exponent 1)", lambda p: 1.0),
             Formula("O(1/√ε) iterations (exponent 1/2)", lambda p: 0.5)),
    atol=0.05,
    resolution=0.0,
    design=tuple({"n": 100, "d": 10, "condition": c, "data_seed": 0} for c in (30.0, 3.0)),
    figure=Figure(kind="traces", xlabel="1/ε (relative to f(w_0) − f(w*))", ylabel="iterations T(ε)",
                  logx=True, logy=True),
)
def linreg_gd_log_iterations(p, ctx):
    """The fitted exponent of T(ε) against 1/ε over a hundred decades of ε."""
    problem = make_least_squares(max(p["n"], p["d"]), p["d"], condition=p["condition"], seed=p["data_seed"],
                                 device=ctx.device)
    decades = np.arange(2, 201) / 2
    gaps = linreg_suboptimality(problem, linreg_start(problem, p["data_seed"]), lr=1.0 / problem.document_smoothness,
                                target=10.0 ** -decades[-1], max_steps=20_000)
    counts = first_hits(gaps, gaps[0] * 10.0 ** -decades)
    fitted = counts >= LINREG_FIT_MIN_COUNT
    if fitted.sum() < 3:  # every ε within a couple of steps (condition 1: one step is exact)
        fitted = np.ones_like(fitted)
    slope, _ = fitted_exponent(10.0 ** decades[fitted], counts[fitted])
    per_decade = float(np.polyfit(decades[fitted], counts[fitted], 1)[0])
    return Measurement(slope, quantities={"iterations_per_decade": per_decade},
                       trace={"x": 10.0 ** decades, "measured": counts})


# =====================================================================================================
# Stochastic Gradient Descent (001-06), Mini-batch SGD (001-07), Computation Cost (001-08, 001-09)
# =====================================================================================================

SAMPLED_ASSUMPTIONS = (
    "f(x) = (1/m) Σ_i f_i(x) is least squares or ℓ2-regularized logistic regression on m = N generated examples; "
    "x is w* plus a seeded N(0, I) step",
    "gradients are compared along a seeded random unit direction u (u·ĝ against u·∇f)",
    "the resolution is relative to the per-example spread (the standard deviation of u·∇f_i)",
)


def sampled_gradient_mean(p, ctx):
    """Mean over replicates of u·(1/B) Σ_{i∈I} ∇f_i(x), I drawn by the point's sampling rule."""
    draw, quantities = sampled_estimate_sampler(p, ctx)
    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(p), quantities=quantities)


claim(
    id="sgd-randomized-rule-unbiased",
    seed_key="sampled-gradient-mean",
    title="SGD's randomized rule gives an unbiased gradient: E[∇f_{i_k}(x)] = ∇f(x)",
    inventory_ids=("001-06",),
    source=Source(LECTURE_001, "Stochastic Gradient Descent"),
    statement=("Randomized rule: choose i_k ∈ {1, …, m} uniformly at random. For randomized rule, note that "
               "E[∇f_{i_k}(x)] = ∇f(x), so we can view SGD as using an unbiased estimate of the gradient"),
    assumptions=SAMPLED_ASSUMPTIONS,
    kind="stochastic",
    domain={
        "estimate": choices(["gradient"]),
        "sampling": choices(["iid"]),
        "B": choices([1]),
        "problem": choices(PROBLEMS),
        "N": integers(2, 256),
        "d": integers(1, 12),
        "data_seed": DATA_SEED,
    },
    constraint=lambda p: p["problem"] == "logistic" or p["N"] >= p["d"],  # least squares needs m ≥ d
    stated=full_value,  # ∇f(x) along u, by the problem's closed-form full gradient
    mutants=(
        Formula("E[∇f_{i_k}(x)] is the gradient at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"]),
        Formula("E[∇f_{i_k}(x)] = ∇Σ_i f_i(x) = m·∇f(x) (the sum's gradient)", lambda p: p["N"] * full_value(p)),
    ),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=tuple({"estimate": "gradient", "sampling": "iid", "B": 1, "problem": problem, "N": n, "d": 5,
                  "data_seed": 0} for problem in PROBLEMS for n in (8, 64, 256)),
    figure=Figure(kind="points", x="N", xlabel="number of examples m", ylabel="E[u·∇f_{i_k}(x)]", logx=True,
                  series="problem"),
)(sampled_gradient_mean)


@claim(
    id="sgd-cyclic-rule-epoch-average",
    title="SGD's cyclic rule uses every f_i once per cycle: its gradients average to ∇f(x) over any m steps",
    inventory_ids=("001-06",),
    source=Source(LECTURE_001, "Stochastic Gradient Descent"),
    statement="Cyclic rule: choose i_k = 1, 2, …, m, 1, 2, …, m, …",
    assumptions=SAMPLED_ASSUMPTIONS[:1] + (
        "the slide defines the rule and states unbiasedness for the randomized rule only; what the cyclic rule "
        "guarantees instead is checked: over any m consecutive steps (every starting offset, two cycles of "
        "implementations.optimizers.cyclic_indices) the sampled gradients ∇f_{i_k}(x) average to ∇f(x)",),
    kind="identity",
    domain={
        "problem": choices(PROBLEMS),
        "N": integers(1, 256),
        "d": integers(1, 12),
        "data_seed": DATA_SEED,
    },
    constraint=lambda p: p["problem"] == "logistic" or p["N"] >= p["d"],
    stated=lambda p: np.tile(p["full_gradient"], p["N"] + 1),
    mutants=(Formula("the cycle's gradients add up to ∇f(x) (m·∇f(x) per cycle unaveraged, or ∇f = Σ∇f_i)",
                     lambda p: np.tile(p["full_gradient"], p["N"] + 1) * p["N"]),),
    resolution=1e-10,
    atol=1e-12,
    design=tuple({"problem": problem, "N": n, "d": 5, "data_seed": 0} for problem in PROBLEMS for n in (8, 64)),
    figure=Figure(kind="points", x="N", xlabel="number of examples m", ylabel="cycle-average gradient entries",
                  logx=True, series="problem"),
)
def sgd_cyclic_rule_epoch_average(p, ctx):
    """(1/m) Σ_{k=s}^{s+m−1} ∇f_{i_k}(x) for every offset s = 0 … m, i_k the cyclic rule's indices."""
    problem = finite_sum_problem(p, ctx.device)
    x = evaluation_point(problem, p["data_seed"])
    indices = opt.cyclic_indices(p["N"], 2 * p["N"]).to(ctx.device)
    sampled = problem.per_example_grads(x)[indices]  # ∇f_{i_k}(x), (2m, d)
    windows = sampled.unfold(0, p["N"], 1).mean(dim=-1)  # (m + 1, d): every m consecutive steps
    full = problem.grad(x)
    scale = float(problem.per_example_grads(x).abs().max())
    return Measurement(windows.flatten().cpu().numpy(), quantities={"full_gradient": full.cpu().numpy(),
                                                                    "per_example_scale": scale})


claim(
    id="minibatch-gradient-unbiased",
    seed_key="sampled-gradient-mean",
    title="A mini-batch gradient over a random subset is unbiased: E[(1/b) Σ_{i∈I_k} ∇f_i(x)] = ∇f(x)",
    inventory_ids=("001-07",),
    source=Source(LECTURE_001, "Mini-batch SGD"),
    statement=("Choose a random subset I_k ⊆ {1, …, m}, |I_k| = b ≪ m: E[(1/b) Σ_{i∈I_k} ∇f_i(x)] = ∇f(x), "
               "an unbiased estimate of the full gradient"),
    assumptions=SAMPLED_ASSUMPTIONS + ("a random subset I_k is read both ways (SAMPLING_READINGS): b distinct "
                                       "examples (without replacement, as 'subset' says) or b i.i.d. indices",),
    kind="stochastic",
    readings=SAMPLING_READINGS,
    domain={
        "estimate": choices(["gradient"]),
        "problem": choices(PROBLEMS),
        "N": integers(2, 256),
        "d": integers(1, 12),
        "B": integers(1, 64),
        "data_seed": DATA_SEED,
    },
    constraint=lambda p: sample_fits(p) and (p["problem"] == "logistic" or p["N"] >= p["d"]),
    stated=full_value,  # ∇f(x), the full gradient along u
    mutants=(
        Formula("the expectation is the gradient at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"]),
        Formula("the mini-batch sum Σ_{i∈I_k} ∇f_i(x) (no 1/b) estimates ∇f(x)", lambda p: p["B"] * full_value(p)),
    ),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=tuple({"estimate": "gradient", "problem": problem, "N": 64, "d": 5, "B": b,
                  "data_seed": 0} for problem in PROBLEMS for b in (8, 32, 1)),
    figure=Figure(kind="points", x="B", xlabel="mini-batch size b", ylabel="E[u·(1/b) Σ ∇f_i(x)]", logx=True,
                  series="problem"),
)(sampled_gradient_mean)


METHODS = ("GD", "SGD", "mini-batch SGD")
COST_EXPONENTS = {  # the slide's O(md), O(d), O(bd), as exponents of (m, d, b)
    "GD": {"m": 1.0, "d": 1.0, "b": 0.0},
    "SGD": {"m": 0.0, "d": 1.0, "b": 0.0},
    "mini-batch SGD": {"m": 0.0, "d": 1.0, "b": 1.0},
}
SWEEP = np.array([10, 31, 100, 316, 1000])  # each size over two decades


def iteration_cost(method: str, problem: FiniteSumProblem, *, b: int) -> float:
    """Operations of one iteration x ← x − t_k ĝ of ``method`` (counted with OperationCounter).

    GD: ĝ = ∇f(x) over all m examples. SGD: ĝ = ∇f_{i_k}(x), i_k drawn uniformly (randomized rule).
    Mini-batch SGD: ĝ = (1/b) Σ_{i∈I_k} ∇f_i(x), I_k the next b indices of a random permutation drawn
    once per epoch: the permutation's cost is shared by the ⌈m/b⌉ iterations of the epoch.
    """
    m, device = problem.n, problem.X.device
    x = torch.zeros(problem.d, dtype=problem.X.dtype, device=device)
    amortized = 0.0
    if method == "mini-batch SGD":
        with OperationCounter() as epoch:
            permutation = torch.randperm(m, device=device)
        amortized = epoch.total / math.ceil(m / b)
    with OperationCounter() as step:
        if method == "GD":
            sampled = problem
        else:
            rows = torch.randint(m, (1,), device=device) if method == "SGD" else permutation[:b]
            sampled = dataclasses.replace(problem, X=problem.X[rows], y=problem.y[rows])
        x = x - 0.1 * sampled.grad(x)  # the step size does not change the count
    return step.total + amortized


def problem_of_size(template: FiniteSumProblem, m: int, d: int) -> FiniteSumProblem:
    """``template``'s problem class with m examples of dimension d, data all zeros: the count
    depends on the shapes only."""
    zeros: dict[str, Any] = dict(dtype=torch.float64, device=template.X.device)
    return dataclasses.replace(template, X=torch.zeros(m, d, **zeros), y=torch.zeros(m, **zeros))


@claim(
    id="iteration-cost",
    title="One iteration costs O(md) for GD, O(d) for SGD and O(bd) for mini-batch SGD",
    inventory_ids=("001-08",),
    source=Source(LECTURE_001, "Computation Cost"),
    statement=("Suppose x ∈ ℝ^d, m data points in total, mini-batch size b ∈ [m]. Gradient descent: O(md); "
               "stochastic gradient descent: O(d); mini-batch SGD: O(bd)"),
    assumptions=(
        "cost = operations counted while one iteration runs (OperationCounter): matrix-product flops, 2 per "
        "multiply-add as FlopCounterMode counts them, plus the elements written by every other call whose result "
        "is not a view (sampling, gathering rows, elementwise work); never time",
        "the gradient is the problem's own (least squares or ℓ2-regularized logistic regression) on the sampled rows; "
        "mini-batches are the next b indices of a permutation drawn once per epoch, its cost spread over the epoch",
        f"one size (m, d or b) swept over {SWEEP.tolist()} (two decades), the others fixed; the exponent of cost "
        "against it is the log-log slope",),
    kind="scaling",
    domain={
        "method": choices(METHODS),
        "swept": choices(["m", "d", "b"]),
        "problem": choices(PROBLEMS),
        "m": integers(int(SWEEP[-1]), 2 * int(SWEEP[-1])),
        "d": integers(1, 64),
        "b": integers(1, int(SWEEP[0])),  # b ≪ m, and a mini-batch fits in the smallest swept m
    },
    stated=lambda p: COST_EXPONENTS[p["method"]][p["swept"]],
    mutants=(
        Formula("every method costs O(md) per iteration (sampling saves nothing)",
                lambda p: {"m": 1.0, "d": 1.0, "b": 0.0}[p["swept"]]),
        Formula("mini-batch SGD costs O(d), like SGD (independent of b)",
                lambda p: {**COST_EXPONENTS, "mini-batch SGD": COST_EXPONENTS["SGD"]}[p["method"]][p["swept"]]),
    ),
    atol=0.05,
    resolution=0.0,
    design=tuple({"method": method, "swept": swept, "problem": "least_squares", "m": 1000, "d": 16, "b": 8}
                 for method in METHODS for swept in ("m", "d", "b")),
    figure=Figure(kind="traces", xlabel="swept size (m, d or b)", ylabel="operations per iteration",
                  logx=True, logy=True),
)
def iteration_cost_scaling(p, ctx):
    """The log-log slope of one iteration's operation count against the swept size."""
    template = finite_sum_problem({"problem": p["problem"], "N": 2, "d": 1, "data_seed": 0}, torch.device("cpu"))
    costs = []
    for size in SWEEP.tolist():
        sizes = {"m": p["m"], "d": p["d"], "b": p["b"], p["swept"]: size}
        costs.append(iteration_cost(p["method"], problem_of_size(template, sizes["m"], sizes["d"]), b=sizes["b"]))
    costs = np.asarray(costs, dtype=np.float64)
    slope, se = fitted_exponent(SWEEP, costs)
    return Measurement(slope, quantities={"slope_se": se},
                       trace={"x": SWEEP, "measured": costs, "stated": costs[0] * (SWEEP / SWEEP[0]) ** slope})


# --- SGD can struggle when it gets close to the optimum (001-09) ----------------------------------------

STALLS = "keeps pace with GD far from the optimum, stalls at a noise floor near it"
CONVERGES = "converges like GD"
LAGS = "stalls, and lags GD far from the optimum too"
DIVERGES = "diverges"
SGD_REPLICATES = 32
FAR = 30.0  # "far from the optimum": suboptimality above FAR times SGD's floor
STALL_START = 5.0  # ‖w_0 − w*‖: far enough that f(w_0) − f* is many times SGD's floor
STALL_L2 = 0.3  # ℓ2 weight of the logistic family (its strong convexity μ sets the run length)
STALL_HORIZON = 14.0  # run length in units of 1/(ημ)


def stall_label(sgd_gap: np.ndarray, gd_gap: np.ndarray) -> str:
    """Classify SGD against GD from their suboptimality curves (SGD's averaged over replicates).

    floor = SGD's mean suboptimality over the last quarter of the run. SGD *stalls* if the floor is at
    least half its mean over the third quarter (it stopped decreasing) and at least 100 times GD's
    final suboptimality (GD went on). SGD *keeps pace far from the optimum* if it first gets within
    FAR·floor of f* no later than twice GD's first time there, plus 2 steps.
    """
    if not (np.all(np.isfinite(sgd_gap)) and np.all(np.isfinite(gd_gap))):
        return DIVERGES
    T = len(sgd_gap) - 1
    floor = sgd_gap[3 * T // 4:].mean()
    stalled = floor >= 0.5 * sgd_gap[T // 2: 3 * T // 4].mean() and floor >= 100 * gd_gap[-1]
    if not stalled:
        return CONVERGES
    far = FAR * floor
    sgd_first, gd_first = first_hits(sgd_gap, np.array([far]))[0], first_hits(gd_gap, np.array([far]))[0]
    return STALLS if sgd_first <= 2 * gd_first + 2 else LAGS


@claim(
    id="sgd-stalls-near-optimum",
    search_factor=COSTLY,
    title="Constant-step SGD keeps pace with GD far from the optimum and stalls near it",
    inventory_ids=("001-09",),
    source=Source(LECTURE_001, "Computation Cost"),
    statement="SGD can struggle when it gets close to the optimum",
    assumptions=(
        "precise form: with the same constant step η = lr_fraction / max_i L_i (L_i the smoothness of f_i, so both "
        "are stable), SGD (randomized rule, one example per step) gets to within 30× its final level of f* in at "
        "most twice GD's iterations (+2), then stalls at a noise floor that GD passes by a factor ≥ 100 "
        "(see stall_label)",
        "families: least squares (label noise 0.1 to 1, so the f_i do not share a minimizer) and logistic "
        f"regression with ℓ2 weight {STALL_L2}; w_0 = w* + {STALL_START:g}·u, u a random unit vector; η from 0.4 to 1 "
        "times 1/max_i L_i",
        f"SGD's suboptimality is averaged over {SGD_REPLICATES} replicates; run length T = ⌈{STALL_HORIZON:g}/(η μ)⌉ "
        f"steps (μ the strong convexity), so GD gains a factor ≈ e^-{2 * STALL_HORIZON:g} and SGD reaches its floor "
        "before the third quarter",
        "not covered: problems where every f_i is minimized at w* (interpolation), where constant-step SGD "
        "converges; the slide's 'can' is checked where the per-example gradients at w* do not all vanish",),
    preset=BEHAVIOUR,
    domain={
        "problem": choices(PROBLEMS),
        "n": integers(10, 100),
        "d": integers(1, 3),
        "noise": floats(0.1, 1.0),  # least squares only
        "lr_fraction": floats(0.4, 1.0),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: STALLS,
    mutants=(Formula("SGD converges like GD (no struggle near the optimum)", lambda p: CONVERGES),
             Formula("SGD struggles far from the optimum as well", lambda p: LAGS)),
    design=tuple({"problem": problem, "n": 50, "d": 3, "noise": 0.5, "lr_fraction": lr, "data_seed": 0}
                 for problem in PROBLEMS for lr in (1.0, 0.4)),
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="f − f* (SGD mean: measured; GD: stated)",
                  logx=True, logy=True),
)
def sgd_stalls_near_optimum(p, ctx):
    """Run GD and SGD (replicates) with the same constant step; classify with ``stall_label``."""
    if p["problem"] == "least_squares":
        problem = make_least_squares(max(p["n"], p["d"]), p["d"], condition=2.0, noise=p["noise"],
                                     seed=p["data_seed"], device=ctx.device)
        example_smoothness = problem.X.square().sum(-1).max()  # ∇²f_i = x_i x_iᵀ
    else:
        problem = make_logistic_regression(p["n"], p["d"], l2=STALL_L2, seed=p["data_seed"], device=ctx.device)
        example_smoothness = problem.X.square().sum(-1).max() / 4 + problem.l2
    lr = p["lr_fraction"] / float(example_smoothness)
    steps = math.ceil(STALL_HORIZON / (lr * problem.strong_convexity))
    generator = seeded_generator(p["data_seed"])
    direction = torch.randn(problem.d, generator=generator, dtype=torch.float64).to(ctx.device)
    w0 = problem.minimizer + STALL_START * direction / direction.norm()
    f_star = problem.optimal_value
    gd_gap = (problem.loss(gradient_descent_trajectory(problem.grad, w0, lr=lr, steps=steps)) - f_star).cpu().numpy()
    w = w0.expand(SGD_REPLICATES, -1)
    replicate = torch.arange(SGD_REPLICATES, device=ctx.device)
    sgd_gap = [float((problem.loss(w) - f_star).mean())]
    for _ in range(steps):
        i = torch.randint(problem.n, (SGD_REPLICATES,), generator=ctx.generator, device=ctx.device)
        w = w - lr * problem.per_example_grads(w)[replicate, i]  # x ← x − t ∇f_{i_k}(x)
        sgd_gap.append(float((problem.loss(w) - f_star).mean()))
    sgd_gap = np.asarray(sgd_gap)
    keep = log_spaced(len(sgd_gap))
    return Measurement(stall_label(sgd_gap, gd_gap), quantities={"steps": steps, "lr": lr},
                       trace={"x": keep + 1, "measured": sgd_gap[keep], "stated": gd_gap[keep]})


# =====================================================================================================
# Momentum (001-10, 001-11)
# =====================================================================================================

OPTIMIZER_DOMAIN = {  # the objective of the trajectory comparisons, and how long they run
    "problem": choices(PROBLEMS),
    "N": integers(1, 32),
    "d": integers(1, 6),
    "data_seed": DATA_SEED,
    "steps": integers(1, 40),
}
OPTIMIZER_ASSUMPTIONS = (
    "torch.optim's optimizer runs from θ_0 = w* + N(0, I) on the objective (least squares or ℓ2-regularized "
    "logistic regression on N examples), float64; the measured value is its steps θ_{t+1} − θ_t, and the "
    "quantity ``grads`` the gradients g_t = ∇f(θ_t) at its iterates",
    "the slide's formulas, written in the declaration, predict every step from those gradients (their state, "
    "s_t or m_t, built from g_0 … g_t as the slide builds it): step against step, elementwise, tolerance 1e-9 "
    "relative + 1e-12 absolute, so a difference at any step of the run is found where it arises",
)
TRAJECTORY_RTOL, TRAJECTORY_ATOL = 1e-9, 1e-12
EPS_MATERIALITY = 1e-2
EPS_MATERIALITY_REASON = (
    "a relative change of every step below 1% is a change of the learning rate by under 1%, far finer than any "
    "learning-rate grid (factors of 2 to 10), so it changes nothing a reader does; where ε sits (√(s + ε) or "
    "√s + ε) changes a step by about ε/(2s) or ε/√s relative: a convention, negligible at the library's ε")


def torch_steps(p, ctx, factory, hyperparameters) -> Measurement:
    """torch.optim's steps θ_{t+1} − θ_t on the point's objective, with the gradients at its iterates.

    value: the steps of ``factory(params, hyperparameters)`` (a torch.optim optimizer), flattened;
    quantity ``grads``: g_t = ∇f(θ_t) for t = 0 … steps − 1, shape (steps, d), each computed exactly
    as the optimizer received it. The slides' formulas take ``grads`` as their input: the measurement
    never evaluates them.
    """
    problem = finite_sum_problem(p, ctx.device)
    w0 = evaluation_point(problem, p["data_seed"])
    hyperparameters = {name: float(value) for name, value in hyperparameters.items()}  # torch wants floats
    path = torch_trajectory(factory, problem.grad, w0, steps=p["steps"], hyperparameters=hyperparameters)
    grads = torch.stack([problem.grad(w) for w in path[:-1]]).cpu().numpy()
    steps = torch.diff(path, dim=0).cpu().numpy()
    return Measurement(steps.ravel(), quantities={"grads": grads, **hyperparameters}, trace={
        "x": np.arange(1, p["steps"] + 1), "measured": steps[:, 0], "index": np.arange(p["steps"]) * problem.d})


def running_sum(x: np.ndarray, beta: float, weight: float = 1.0, *, lagged: bool = False) -> np.ndarray:
    """a_t = β a_{t−1} + weight·x_t over the rows t of ``x``, a_{−1} = 0 (β = 1, weight = 1: a plain sum).

    ``lagged``: a_t holds x_0 … x_{t−1} only (a_0 = 0), as the slide's RMSProp average does.
    """
    out, a = np.empty_like(x), np.zeros_like(x[0])
    for t, row in enumerate(x):
        if lagged:
            out[t] = a
        a = beta * a + weight * row
        if not lagged:
            out[t] = a
    return out


OPTIMIZER_PRESET = Preset(kind="identity", resolution=TRAJECTORY_RTOL, atol=TRAJECTORY_ATOL)


def optimizer_constraint(p) -> bool:
    """The points the trajectory comparisons run at: logistic regression at any size, least squares at N ≥ d."""
    return p["problem"] == "logistic" or p["N"] >= p["d"]


def optimizer_design(**hyperparameters):
    return tuple({"problem": problem, "N": 16, "d": 3, "data_seed": 0, "steps": 20, **hyperparameters}
                 for problem in PROBLEMS)


def optimizer_figure(name: str) -> Figure:
    return Figure(kind="traces", xlabel="step t", ylabel=f"{name}'s step θ_t − θ_{{t−1}}, 1st coordinate")


def momentum_steps(p, *, dampening: float = 0.0, nesterov: bool = False) -> np.ndarray:
    """m_t = β m_{t−1} + (1 − dampening) g_t; step −η m_t (Nesterov: −η(g_t + β m_t)), on torch's gradients."""
    g = p["grads"]
    m = running_sum(g, p["beta"], 1.0 - dampening)
    return (-p["lr"] * (g + p["beta"] * m if nesterov else m)).ravel()


@claim(
    id="momentum-is-torch-sgd-momentum",
    title="The slide's momentum update is torch.optim.SGD(momentum=β)",
    inventory_ids=("001-10",),
    source=Source(LECTURE_001, "Momentum"),
    statement="Choose β ∈ (0, 1), g_t = ∇f_t: m_t = β m_{t−1} + g_{t−1}, θ_t = θ_{t−1} − η m_t",
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "g_{t−1} is the gradient at θ_{t−1}, the point the step starts from; m_0 = 0; "
        "η = lr_fraction / L; torch.optim.SGD(lr=η, momentum=β), dampening 0",),
    domain={**OPTIMIZER_DOMAIN, "lr_fraction": floats(0.01, 1.0), "beta": floats(0.0, 0.99)},
    # m_t = β m_{t−1} + g_{t−1}, θ_t − θ_{t−1} = −η m_t
    stated=lambda p: (-p["lr"] * running_sum(p["grads"], p["beta"])).ravel(),
    mutants=(
        Formula("the EMA form m_t = β m_{t−1} + (1 − β) g_{t−1} (torch SGD with dampening = β)",
                lambda p: momentum_steps(p, dampening=p["beta"])),
        Formula("Nesterov momentum, step −η(g_{t−1} + β m_t) (torch SGD with nesterov=True)",
                lambda p: momentum_steps(p, nesterov=True)),
    ),
    design=optimizer_design(lr_fraction=0.5, beta=0.9),
    representative=optimizer_design(lr_fraction=0.5, beta=0.9),  # torch's usual momentum 0.9
    figure=optimizer_figure("SGD(momentum=β)"),
    preset=OPTIMIZER_PRESET,
    constraint=optimizer_constraint,
)
def momentum_is_torch_sgd_momentum(p, ctx):
    """torch's SGD momentum steps, against the slide's momentum on the same gradients."""
    lr = p["lr_fraction"] / finite_sum_problem(p, ctx.device).smoothness
    return torch_steps(p, ctx, PAIRING["momentum-001-10"].named, {"lr": lr, "beta": p["beta"]})

EFFECTIVE_RATE_TAIL = 1e-13  # the step is read once β^t, its distance to the limit, is below this


@claim(
    id="momentum-effective-learning-rate",
    title="Momentum's effective learning rate is η/(1 − β): under a constant gradient g its step tends to η g/(1 − β)",
    inventory_ids=("001-10",),
    source=Source(LECTURE_001, "Momentum"),
    statement="m_t = β m_{t−1} + g_{t−1}, θ_t = θ_{t−1} − η m_t. Effective learning rate η/(1 − β)",
    assumptions=(
        "a constant gradient g (a linear loss): the slide's update gives θ_{t−1} − θ_t = η g (1 − β^t)/(1 − β), "
        "so the effective rate (θ_{t−1} − θ_t)/g → η/(1 − β) as t → ∞, the gap shrinking like β^t",
        f"the rate is read per coordinate at the first t with β^t ≤ {EFFECTIVE_RATE_TAIL:g} (t = 1 for β = 0), "
        "from implementations.optimizers.momentum_update; tolerance 1e-9 relative",),
    kind="identity",
    domain={"lr": floats(1e-3, 1.0), "beta": floats(0.0, 0.99), "d": integers(1, 5),
            "data_seed": DATA_SEED},
    stated=lambda p: p["lr"] / (1 - p["beta"]),
    mutants=(Formula("effective learning rate η (momentum does not change the step size, as with an EMA)",
                     lambda p: p["lr"]),
             Formula("effective learning rate η/(1 − β²)", lambda p: p["lr"] / (1 - p["beta"] ** 2))),
    resolution=1e-9,
    design=tuple({"lr": 0.1, "beta": beta, "d": 3, "data_seed": 0} for beta in (0.9, 0.5, 0.99)),
    figure=Figure(kind="traces", xlabel="step t", ylabel="(θ_{t−1} − θ_t)/g: measured, and η/(1 − β)", logx=True),
)
def momentum_effective_learning_rate(p, ctx):
    """(θ_{t−1} − θ_t)/g per coordinate at the step where β^t ≤ EFFECTIVE_RATE_TAIL."""
    beta = p["beta"]
    steps = 1 if beta == 0 else math.ceil(math.log(EFFECTIVE_RATE_TAIL) / math.log(beta))
    g = torch.randn(p["d"], generator=seeded_generator(p["data_seed"]), dtype=torch.float64) + 2.0
    state, rates = opt.momentum_init(g), []
    for _ in range(steps):
        updates, state = opt.momentum_update(g, state, lr=p["lr"], beta=beta)
        rates.append(-updates / g)  # (θ_{t−1} − θ_t)/g
    rates = torch.stack(rates).numpy()
    keep = log_spaced(steps)
    return Measurement(rates[-1], trace={"x": keep + 1, "measured": rates[keep, 0],
                                         "stated": np.full(len(keep), p["lr"] / (1 - beta))})


BETA_GRID = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)  # momentum's β, tuned jointly with η (with n ≤ 100, a
# step of all configurations stays under torch's 32768-element grain: single-threaded, as tiny steps should be)
STEP_GRID = 2.0 ** (np.arange(-24, 9) / 4)  # η·λ_max from 2⁻⁶ to 4 in factors of 2^{1/4}, for both methods
TARGET = 1e-6  # suboptimality to reach, relative to f(θ_0) − f*
TUNING_STEPS = 3000  # the most iterations a configuration gets
MOMENTUM_FASTER = "momentum reaches the target in fewer iterations than GD"
MOMENTUM_NOT_FASTER = "GD reaches the target as fast as momentum or faster"
GD_ZIGZAGS = "GD zigzags along the steep axis"
GD_STRAIGHT = "GD does not zigzag"
TUNING_ASSUMPTIONS = (
    f"metric: iterations until f − f* ≤ {TARGET:g}·(f(θ_0) − f*), at most {TUNING_STEPS}; θ_0 = θ* + Σ_j ±q_j, "
    "an error of size 1 along every eigenvector q_j of the Hessian at the optimum (see curvature_start); "
    "each method with its best configuration on the grid η·λ_max ∈ {2^(k/4): k = −24 … 8} (λ_max of the Hessian "
    f"at the optimum), momentum (the slide's form) also over β ∈ {BETA_GRID}; unreached or diverged runs count "
    "as not reaching the target",
    "zigzag: the fraction of consecutive steps whose component along the steep axis (the top Hessian eigenvector "
    "at the optimum) changes sign, over the run's resolved steps (see sign_alternation); ≥ 1/2 is zigzagging",
    "deterministic gradients: the comparison is with gradient descent, not SGD",
)


def momentum_grid_step(theta: torch.Tensor, m: torch.Tensor, grad: torch.Tensor, lrs: torch.Tensor,
                       betas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of the slide's momentum for C configurations at once, row c with its own η_c and β_c:

    m_t = β m_{t−1} + g_{t−1},  θ_t = θ_{t−1} − η m_t  (β = 0 is gradient descent).

    The recursion of implementations.optimizers.momentum_update, vectorized over hyperparameters
    (``lrs``, ``betas`` of shape (C, 1)); tests/test_doc001_optimization.py pins the two together.
    """
    m = betas * m + grad  # m_t = β m_{t−1} + g_{t−1}
    return theta - lrs * m, m  # θ_t = θ_{t−1} − η m_t


def sign_alternation(steps_along_axis: np.ndarray) -> float:
    """The fraction of consecutive steps whose component along an axis changes sign, over the steps
    before the component first falls below 1e-8 of its largest value (below that it is float64 noise)."""
    if len(steps_along_axis) < 2 or not np.any(steps_along_axis):
        return 0.0
    resolved = np.abs(steps_along_axis) > 1e-8 * np.abs(steps_along_axis).max()
    head = steps_along_axis[: int(np.argmin(resolved))] if not resolved.all() else steps_along_axis
    if len(head) < 2:
        return 0.0
    return float(np.mean(np.sign(head[1:]) != np.sign(head[:-1])))


def curvature_problem(p, device):
    """(loss, grad, θ*, f*, Hessian at θ*) of the point's objective with asymmetric curvature.

    "quadratic": ½θᵀAθ + bᵀθ + c, eigenvalues of A geometric from 1 to ``condition``, random axes.
    "least squares": (1/2n)‖Xθ − y‖² on n noisy examples, XᵀX/n of the given condition number.
    "logistic": logistic regression (ℓ2 weight 0.01) with its weights rescaled, w = Sθ, S diagonal
    with entries geometric from 1 to √condition: features of very different scales (and their ℓ2
    penalty with them); f(θ) = F(Sθ), ∇f(θ) = S∇F(Sθ), ∇²f = S∇²F S.
    """
    if p["family"] == "quadratic":
        q = make_quadratic(torch.logspace(0, math.log10(p["condition"]), p["d"], dtype=torch.float64),
                           seed=p["data_seed"], device=device)
        return q.loss, q.grad, q.minimizer, q.optimal_value, q.hessian
    if p["family"] == "least squares":
        ls = make_least_squares(max(p["n"], p["d"]), p["d"], condition=p["condition"], seed=p["data_seed"],
                                device=device)
        return ls.loss, ls.grad, ls.minimizer, ls.optimal_value, ls.X.T @ ls.X / ls.n
    lr_problem = make_logistic_regression(p["n"], p["d"], l2=0.01, seed=p["data_seed"], device=device)
    S = torch.logspace(0, 0.5 * math.log10(p["condition"]), p["d"], dtype=torch.float64, device=device)
    hessian = S[:, None] * lr_problem.hessian_at(lr_problem.minimizer) * S[None, :]
    return (lambda theta: lr_problem.loss(theta * S), lambda theta: lr_problem.grad(theta * S) * S,
            lr_problem.minimizer / S, lr_problem.optimal_value, hessian)


def curvature_start(theta_star: torch.Tensor, eigenvectors: torch.Tensor, seed: int) -> torch.Tensor:
    """θ_0 = θ* + Σ_j ±q_j: an error of the same size (1) along every Hessian eigenvector q_j, with
    seeded random signs. The run has the whole valley to traverse: a start that happens to lie on the
    steep axis (possible with a Gaussian start in two dimensions) is done in a step by either method."""
    signs = 2.0 * torch.randint(2, (len(theta_star),), generator=seeded_generator(seed)).to(torch.float64) - 1
    return theta_star + eigenvectors @ signs


@functools.lru_cache(maxsize=64)
def tuned_runs(family: str, condition: float, d: int, n: int, data_seed: int) -> dict:
    """Gradient descent and the slide's momentum, each tuned on the grid, on one curvature problem.

    Every configuration (η on STEP_GRID; β = 0 for GD, β on BETA_GRID for momentum) runs at once.
    A method's configurations stop once one of them is at the target (the first to arrive is its best:
    later steps cannot change that), and the run stops when both have. Returns the best configurations'
    iteration counts, step sizes, suboptimality curves and steep-axis sign alternation, and the sign
    alternation of GD at the step 2/(λ_max + λ_min) (float64, CPU).
    """
    p = {"family": family, "condition": condition, "d": d, "n": n, "data_seed": data_seed}
    loss, grad, theta_star, f_star, hessian = curvature_problem(p, torch.device("cpu"))
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    steep = eigenvectors[:, -1]
    theta0 = curvature_start(theta_star, eigenvectors, data_seed)
    betas = torch.tensor((0.0,) + BETA_GRID, dtype=torch.float64)
    lrs = torch.as_tensor(STEP_GRID, dtype=torch.float64).repeat(len(betas)) / eigenvalues[-1]
    betas = betas.repeat_interleave(len(STEP_GRID))
    is_gd = (betas == 0).numpy()
    configs = len(lrs)
    gaps = [np.full(configs, float(loss(theta0) - f_star))]  # f(θ_t) − f* per configuration
    along = [np.full(configs, float(theta0 @ steep))]  # θ_t's coordinate along the steep axis
    target = TARGET * gaps[0][0]
    running = np.arange(configs)  # configurations of a method with no arrival yet
    theta, m = theta0.expand(configs, -1), torch.zeros(configs, d, dtype=torch.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        while len(gaps) <= TUNING_STEPS and len(running):
            theta, m = momentum_grid_step(theta, m, grad(theta), lrs[running, None], betas[running, None])
            gaps.append(np.full(configs, np.inf))
            gaps[-1][running] = np.nan_to_num((loss(theta) - f_star).numpy(), nan=np.inf)
            along.append(np.full(configs, np.nan))
            along[-1][running] = (theta @ steep).numpy()
            gd_arrived, momentum_arrived = ((gaps[-1][mask] <= target).any() for mask in (is_gd, ~is_gd))
            keep = np.where(is_gd[running], not gd_arrived, not momentum_arrived)
            running, theta, m = running[keep], theta[keep], m[keep]
    gap, coordinate = np.stack(gaps), np.stack(along)  # (T + 1, C)
    counts = np.where((gap <= target).any(axis=0), (gap <= target).argmax(axis=0), TUNING_STEPS + 1)
    best = {"gd": int(np.flatnonzero(is_gd)[np.argmin(counts[is_gd])]),
            "momentum": int(np.flatnonzero(~is_gd)[np.argmin(counts[~is_gd])])}
    result: dict[str, Any] = {"hessian_condition": float(eigenvalues[-1] / eigenvalues[0]), "curves": {}}
    for method, c in best.items():
        result.update({f"{method}_iterations": int(counts[c]), f"{method}_lr": float(lrs[c]),
                       f"{method}_sign_alternation": sign_alternation(np.diff(coordinate[: counts[c] + 1, c]))})
        result["curves"][method] = gap[:, c]
    result["momentum_beta"] = float(betas[best["momentum"]])
    # GD at the step 2/(λ_max + λ_min), the constant step that is optimal for a quadratic bowl
    classical = 2 / float(eigenvalues[-1] + eigenvalues[0])
    steps = min(TUNING_STEPS, math.ceil(10 * result["hessian_condition"]))
    with np.errstate(invalid="ignore", over="ignore"):
        path = gradient_descent_trajectory(grad, theta0, lr=classical, steps=steps)
    result.update(classical_lr=classical, classical_sign_alternation=sign_alternation(
        np.diff((path @ steep).numpy())))
    return result


def tuned_measurement(p, label: str, runs: dict) -> Measurement:
    """A behaviour label with the tuned runs' numbers, and their curves (momentum measured, GD stated)."""
    curves = runs["curves"]
    horizon = len(curves["gd"])
    return Measurement(label, quantities={k: v for k, v in runs.items() if k != "curves"},
                       trace={"x": np.arange(horizon), "measured": curves["momentum"], "stated": curves["gd"]})


CURVATURE_DOMAIN = {
    "condition": choices([10.0, 30.0, 100.0]),
    "d": integers(2, 10),
    "n": integers(20, 100),
    "data_seed": DATA_SEED,
}
CURVATURE_FIGURE = Figure(kind="traces", xlabel="iteration t",
                          ylabel="f − f*: tuned momentum (measured), tuned GD (stated)", logy=True)


@claim(
    id="momentum-beats-gd-under-asymmetric-curvature",
    search_factor=COSTLY,
    title="Under asymmetric curvature, tuned momentum reaches a target in fewer iterations than tuned GD",
    inventory_ids=("001-11",),
    source=Source(LECTURE_001, "Momentum"),
    statement=("In particular SGD suffers when the error surface has asymmetric curvature. Illustration of how "
               "momentum traverses such an error surface better compared to Gradient Descent"),
    assumptions=(
        "families: ill-conditioned quadratics (Hessian eigenvalues geometric from 1 to the condition number) and "
        "logistic regression with features rescaled over √condition (curvatures spread by the condition number)",
    ) + TUNING_ASSUMPTIONS,
    preset=BEHAVIOUR,
    domain={"family": choices(["quadratic", "logistic"]), **CURVATURE_DOMAIN},
    stated=lambda p: MOMENTUM_FASTER,
    mutants=(Formula(MOMENTUM_NOT_FASTER, lambda p: MOMENTUM_NOT_FASTER),),
    design=tuple({"family": family, "condition": c, "d": 5, "n": 50, "data_seed": 0}
                 for family in ("quadratic", "logistic") for c in (100.0, 10.0)),
    figure=CURVATURE_FIGURE,
)
def momentum_beats_gd_under_asymmetric_curvature(p, ctx):
    """Tune both methods on the grid; is momentum's best iteration count below GD's?"""
    runs = tuned_runs(p["family"], p["condition"], p["d"], p["n"], p["data_seed"])
    faster = runs["momentum_iterations"] < runs["gd_iterations"]
    return tuned_measurement(p, MOMENTUM_FASTER if faster else MOMENTUM_NOT_FASTER, runs)


@claim(
    id="gd-zigzags-under-asymmetric-curvature",
    search_factor=COSTLY,
    title="On a bowl with asymmetric curvature, gradient descent at the bowl's optimal step zigzags",
    inventory_ids=("001-11",),
    source=Source(LECTURE_001, "Momentum"),
    statement=("SGD suffers when the error surface has asymmetric curvature: (stochastic) gradient descent can "
               "exhibit zigzag behavior"),
    assumptions=(
        "families: the slide's picture, elongated bowls: ill-conditioned quadratics (Hessian eigenvalues geometric "
        "from 1 to the condition number) and least squares with XᵀX/n of that condition number",
        "precise form of 'can exhibit': gradient descent with the constant step that is best for the bowl, "
        "η = 2/(λ_max + λ_min), zigzags along the steep axis (the top Hessian eigenvector): its steps' components "
        "there change sign in at least half of consecutive steps, read until they fall below 1e-8 of the largest "
        f"(see sign_alternation); θ_0 = θ* + Σ_j ±q_j over the Hessian's eigenvectors q_j (see curvature_start), "
        f"at most min({TUNING_STEPS}, 10·condition) steps",
        "not every step size zigzags: η ≤ 1/λ_max never overshoots the steep axis; the grid-tuned GD run's "
        "alternation is reported beside (gd_sign_alternation), and on logistic regression started in its flat, "
        "saturated region the tuned GD run need not zigzag (see momentum-beats-gd-under-asymmetric-curvature)",
    ),
    preset=BEHAVIOUR,
    domain={"family": choices(["quadratic", "least squares"]), **CURVATURE_DOMAIN},
    stated=lambda p: GD_ZIGZAGS,
    mutants=(Formula(GD_STRAIGHT, lambda p: GD_STRAIGHT),),
    design=tuple({"family": family, "condition": c, "d": 5, "n": 50, "data_seed": 0}
                 for family in ("quadratic", "least squares") for c in (100.0, 10.0)),
    figure=CURVATURE_FIGURE,
)
def gd_zigzags_under_asymmetric_curvature(p, ctx):
    """Run GD at η = 2/(λ_max + λ_min); do its steps along the steep axis alternate in sign?"""
    runs = tuned_runs(p["family"], p["condition"], p["d"], p["n"], p["data_seed"])
    return tuned_measurement(p, GD_ZIGZAGS if runs["classical_sign_alternation"] >= 0.5 else GD_STRAIGHT, runs)


# =====================================================================================================
# AdaGrad (001-12), RMSProp (001-13), Adam (001-14)
# =====================================================================================================

ADAGRAD_SCALES = torch.logspace(-1, 2, 16, dtype=torch.float64)  # G_k: partial-derivative scales, 3 decades
ADAGRAD_STEPS = 1000
ADAGRAD_REPLICATES = 16  # independent gradient streams, run at once as a leading dimension
ADAGRAD_EXPONENTS = {"partial derivative scale": -1.0, "steps": -0.5}


@claim(
    id="adagrad-learning-rates-decline",
    search_factor=COSTLY,
    title="AdaGrad's per-parameter learning rate η/√(s_t + ε) falls like 1/|∂L/∂θ_k| and like 1/√t",
    inventory_ids=("001-12",),
    source=Source(LECTURE_001, "AdaGrad (Adaptive Gradient)"),
    statement=("s_{t,k} = Σ_{i=1}^t g_{i,k}², θ_{t+1,k} = θ_{t,k} − η g_{t,k}/√(s_{t,k} + ε): parameters that have "
               "large partial derivative of the loss: learning rates for them are rapidly declined"),
    assumptions=(
        "precise form: for gradient streams whose coordinates differ only in scale, g_{t,k} = G_k·(drift + z_{t,k}) "
        "with z_{t,k} i.i.d. standardized draws and G_k from 0.1 to 100 (3 decades), the effective rate "
        "η_{t,k} = |θ_{t+1,k} − θ_{t,k}|/|g_{t,k}| of implementations.optimizers.adagrad_update falls like "
        "G_k^(−1) across parameters (at t = 1000) and like t^(−1/2) along the run (t from 10 to 1000)",
        f"the typical rate is the root-mean-inverse-square over {ADAGRAD_REPLICATES} independent streams (and, "
        "along the run, over parameters after dividing out G_k): E[1/η_t²] = (E s_t + ε)/η² is linear in t, "
        "while a mean of logarithms would carry a Jensen bias of order Var(z²)/t at small t",
        "ε ≤ 10⁻⁴, so that G_k²·t ≫ ε: a parameter whose squared gradients sum to less than ε keeps the rate η/√ε",
        "the exponents are log-log slopes, tolerance 0.05",),
    kind="scaling",
    domain={
        "against": choices(list(ADAGRAD_EXPONENTS)),
        "lr": floats(1e-3, 1.0),
        "eps": floats(1e-10, 1e-4),
        "distribution": choices(DISTRIBUTIONS),
        "drift": choices([0.0, 1.0]),
    },
    stated=lambda p: ADAGRAD_EXPONENTS[p["against"]],
    mutants=(Formula("rates η/(s_t + ε) without the square root: exponents −2 in G_k, −1 in t",
                     lambda p: 2 * ADAGRAD_EXPONENTS[p["against"]]),
             Formula("rates that do not decline along the run (an average, not a sum, of g²): exponent 0 in t",
                     lambda p: {"partial derivative scale": -1.0, "steps": 0.0}[p["against"]])),
    atol=0.05,
    resolution=0.0,
    design=tuple({"against": against, "lr": 0.1, "eps": 1e-10, "distribution": "normal", "drift": drift}
                 for against in ADAGRAD_EXPONENTS for drift in (0.0, 1.0)),
    figure=Figure(kind="traces", xlabel="G_k (partial-derivative scale) or step t", ylabel="effective learning rate",
                  logx=True, logy=True),
)
def adagrad_learning_rates_decline(p, ctx):
    """The log-log slope of AdaGrad's effective rates against G_k or against t."""
    shape = (ADAGRAD_STEPS, ADAGRAD_REPLICATES, len(ADAGRAD_SCALES))
    z = standardized(p["distribution"], shape, ctx).to("cpu", torch.float64)
    grads = ADAGRAD_SCALES * (p["drift"] + z)  # g_{t,r,k} = G_k (drift + z_{t,r,k})
    state, rates = opt.adagrad_init(grads[0]), []
    for g in grads:
        updates, state = opt.adagrad_update(g, state, lr=p["lr"], eps=p["eps"])
        rates.append((updates / g).abs())  # η_{t,k} = |θ_{t+1,k} − θ_{t,k}|/|g_{t,k}|
    inverse_square = 1 / torch.stack(rates).square().numpy()  # 1/η_{t,r,k}², (T, R, K)
    if p["against"] == "partial derivative scale":
        x, y = ADAGRAD_SCALES.numpy(), inverse_square[-1].mean(axis=0) ** -0.5
    else:
        x = log_spaced_integers(10, ADAGRAD_STEPS, 20)
        y = (inverse_square[x - 1] / ADAGRAD_SCALES.numpy() ** 2).mean(axis=(1, 2)) ** -0.5
    slope, se = fitted_exponent(x, y)
    return Measurement(slope, quantities={"slope_se": se},
                       trace={"x": x, "measured": y, "stated": y[0] * (x / x[0]) ** ADAGRAD_EXPONENTS[p["against"]]})


ADAPTIVE_MUTANT_SGD = Formula("plain gradient descent, step −η g_t: no adaptive scaling",
                              lambda p: (-p["lr"] * p["grads"]).ravel())


def adagrad_steps(p, *, eps_inside: bool) -> np.ndarray:
    """s_t = Σ_{i≤t} g_i²; step −η g_t/√(s_t + ε) (ε inside) or −η g_t/(√s_t + ε) (torch, Duchi et al.)."""
    g, s = p["grads"], running_sum(p["grads"] ** 2, 1.0)
    return (-p["lr"] * g / (np.sqrt(s + p["eps"]) if eps_inside else np.sqrt(s) + p["eps"])).ravel()


def rmsprop_steps(p, *, lagged: bool, eps_inside: bool, beta: float | None = None) -> np.ndarray:
    """s_t = β s_{t−1} + (1 − β) g_t² (``lagged``: g_{t−1}², s_0 = 0); step −η g_t/√(s_t + ε) or /(√s_t + ε)."""
    beta = p["beta"] if beta is None else beta
    g = p["grads"]
    s = running_sum(g ** 2, beta, 1 - beta, lagged=lagged)
    return (-p["lr"] * g / (np.sqrt(s + p["eps"]) if eps_inside else np.sqrt(s) + p["eps"])).ravel()


def adam_steps(p, *, bias_correction: bool) -> np.ndarray:
    """m_t = β₁m_{t−1} + (1 − β₁)g_t, s_t = β₂s_{t−1} + (1 − β₂)g_t², step −η m_t/(√s_t + ε); with
    ``bias_correction`` m_t/(1 − β₁ᵗ) and s_t/(1 − β₂ᵗ) (t from 1), as Kingma & Ba and torch.optim.Adam."""
    g, b1, b2 = p["grads"], p["beta1"], p["beta2"]
    m, s = running_sum(g, b1, 1 - b1), running_sum(g ** 2, b2, 1 - b2)
    if bias_correction:
        t = np.arange(1, len(g) + 1)[:, None]
        m, s = m / (1 - b1 ** t), s / (1 - b2 ** t)
    return (-p["lr"] * m / (np.sqrt(s) + p["eps"])).ravel()


@claim(
    id="adagrad-is-torch-adagrad",
    title="The slide's AdaGrad update is torch.optim.Adagrad's",
    inventory_ids=("001-12",),
    source=Source(LECTURE_001, "AdaGrad (Adaptive Gradient)"),
    statement="s_{t,k} = Σ_{i=1}^t g_{i,k}², θ_{t+1} = θ_t − η g_t/√(s_t + ε) (elementwise)",
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "torch.optim.Adagrad(lr=η, eps=ε) with the slide's η and ε (lr_decay 0, initial accumulator 0): what "
        "the name means in torch and in Duchi et al. (2011), who divide by δ + √s; the slide's ε under the root "
        "is Adagrad(lr=η, eps=0, initial_accumulator_value=ε)",
        "representative: torch's defaults lr = 0.01, eps = 1e-10",),
    domain={**OPTIMIZER_DOMAIN, "lr": floats(1e-3, 1.0), "eps": floats(1e-10, 1e-1)},
    # s_t = Σ_{i≤t} g_i², θ_{t+1} − θ_t = −η g_t/√(s_t + ε)
    stated=lambda p: (-p["lr"] * p["grads"] / np.sqrt(running_sum(p["grads"] ** 2, 1.0) + p["eps"])).ravel(),
    alternatives=(Formula("torch.optim.Adagrad and Duchi et al.: −η g_t/(√s_t + ε), ε outside the root",
                          lambda p: adagrad_steps(p, eps_inside=False)),),
    mutants=(ADAPTIVE_MUTANT_SGD,
             Formula("RMSProp's average (β = 0.99) instead of AdaGrad's sum",
                     lambda p: rmsprop_steps(p, lagged=False, eps_inside=False, beta=0.99))),
    design=optimizer_design(lr=0.01, eps=1e-10) + optimizer_design(lr=0.1, eps=1e-2),
    representative=optimizer_design(lr=0.01, eps=1e-10),
    materiality=EPS_MATERIALITY,
    materiality_reason=EPS_MATERIALITY_REASON,
    correction="θ_{t+1} = θ_t − η g_t/(√s_t + ε), as torch.optim.Adagrad and Duchi et al. (2011)",
    figure=optimizer_figure("Adagrad"),
    preset=OPTIMIZER_PRESET,
    constraint=optimizer_constraint,
)
def adagrad_is_torch_adagrad(p, ctx):
    """torch.optim.Adagrad's steps, against the slide's AdaGrad on the same gradients."""
    return torch_steps(p, ctx, PAIRING["adagrad-001-12"].named, {"lr": p["lr"], "eps": p["eps"]})


@claim(
    id="rmsprop-is-torch-rmsprop",
    title="The slide's RMSProp update is torch.optim.RMSprop's",
    inventory_ids=("001-13",),
    source=Source(LECTURE_001, "RMSProp"),
    statement=("s_{t,k} = β s_{t−1,k} + (1 − β) g_{t−1,k}² (exponentially weighted moving average), "
               "θ_{t+1} = θ_t − η g_t/√(s_t + ε)"),
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "as written: the average s_t holds the squares up to g_{t−1}, so the step from θ_t divides g_t by an "
        "average that does not contain g_t (s_0 = 0: the first step divides by √ε), and ε is inside the root",
        "torch.optim.RMSprop(lr=η, alpha=β, eps=ε), whose average includes the current g_t and which divides by "
        "√v + ε (Hinton's lecture 6e form); representative: torch's defaults lr = 0.01, alpha = 0.99, eps = 1e-8",),
    domain={**OPTIMIZER_DOMAIN, "lr": floats(1e-4, 0.1), "beta": floats(0.0, 0.999),
            "eps": floats(1e-10, 1e-2)},
    # s_t = β s_{t−1} + (1 − β) g_{t−1}², θ_{t+1} − θ_t = −η g_t/√(s_t + ε)
    stated=lambda p: (-p["lr"] * p["grads"] / np.sqrt(
        running_sum(p["grads"] ** 2, p["beta"], 1 - p["beta"], lagged=True) + p["eps"])).ravel(),
    alternatives=(
        Formula("torch.optim.RMSprop: s_t includes g_t², step −η g_t/(√s_t + ε)",
                lambda p: rmsprop_steps(p, lagged=False, eps_inside=False)),
        Formula("the slide's ε under the root, with s_t including g_t²",
                lambda p: rmsprop_steps(p, lagged=False, eps_inside=True)),
    ),
    mutants=(ADAPTIVE_MUTANT_SGD,
             Formula("AdaGrad's sum instead of an average", lambda p: adagrad_steps(p, eps_inside=False))),
    design=optimizer_design(lr=0.01, beta=0.9, eps=1e-8),
    representative=optimizer_design(lr=0.01, beta=0.99, eps=1e-8),
    materiality=EPS_MATERIALITY,
    materiality_reason=EPS_MATERIALITY_REASON,
    correction="s_t = β s_{t−1} + (1 − β) g_t², θ_{t+1} = θ_t − η g_t/(√s_t + ε), as torch.optim.RMSprop",
    figure=optimizer_figure("RMSprop"),
    preset=OPTIMIZER_PRESET,
    constraint=optimizer_constraint,
)
def rmsprop_is_torch_rmsprop(p, ctx):
    """torch.optim.RMSprop's steps, against the slide's (lagged) RMSProp on the same gradients."""
    hp = {"lr": p["lr"], "beta": p["beta"], "eps": p["eps"]}
    return torch_steps(p, ctx, PAIRING["rmsprop-001-13-lagged"].named, hp)


@claim(
    id="adam-is-torch-adam",
    title="The slide's Adam update is torch.optim.Adam's",
    inventory_ids=("001-14",),
    source=Source(LECTURE_001, "Adam"),
    statement=("Adam is like RMSProp with Momentum but with bias correction terms for the first and second "
               "moments: m_t = β₁m_{t−1} + (1 − β₁)g_t, s_t = β₂s_{t−1} + (1 − β₂)g_t², "
               "θ_{t+1} = θ_t − η m_t/(√s_t + ε)"),
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "the slide's formulas as written (m_0 = s_0 = 0, no bias correction, ε outside the root) against "
        "torch.optim.Adam(lr=η, betas=(β₁, β₂), eps=ε), which divides m_t by 1 − β₁ᵗ and s_t by 1 − β₂ᵗ "
        "as Kingma & Ba (2014) do: the bias correction the slide's text names",
        "representative: torch's defaults lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, where the slide's first "
        "step is (1 − β₁)/√(1 − β₂) ≈ 0.316 times torch's",),
    domain={**OPTIMIZER_DOMAIN, "lr": floats(1e-4, 0.1), "beta1": floats(0.0, 0.99),
            "beta2": floats(0.0, 0.9999), "eps": floats(1e-10, 1e-2)},
    # m_t = β₁m_{t−1} + (1 − β₁)g_t, s_t = β₂s_{t−1} + (1 − β₂)g_t², θ_{t+1} − θ_t = −η m_t/(√s_t + ε)
    stated=lambda p: (-p["lr"] * running_sum(p["grads"], p["beta1"], 1 - p["beta1"]) / (np.sqrt(
        running_sum(p["grads"] ** 2, p["beta2"], 1 - p["beta2"])) + p["eps"])).ravel(),
    alternatives=(Formula("Kingma & Ba and torch.optim.Adam: m_t/(1 − β₁ᵗ) and s_t/(1 − β₂ᵗ) (bias correction)",
                          lambda p: adam_steps(p, bias_correction=True)),),
    mutants=(ADAPTIVE_MUTANT_SGD,
             Formula("RMSProp without momentum (s_t = β₂s_{t−1} + (1 − β₂)g_t², step −η g_t/(√s_t + ε))",
                     lambda p: rmsprop_steps(p, lagged=False, eps_inside=False, beta=p["beta2"]))),
    design=optimizer_design(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8),
    representative=optimizer_design(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8),
    materiality=EPS_MATERIALITY,
    materiality_reason=EPS_MATERIALITY_REASON,
    correction="m̂_t = m_t/(1 − β₁ᵗ), ŝ_t = s_t/(1 − β₂ᵗ), θ_{t+1} = θ_t − η m̂_t/(√ŝ_t + ε) (Kingma & Ba, 2014)",
    figure=optimizer_figure("Adam"),
    preset=OPTIMIZER_PRESET,
    constraint=optimizer_constraint,
)
def adam_is_torch_adam(p, ctx):
    """torch.optim.Adam's steps, against the slide's Adam (no bias correction) on the same gradients."""
    hp = {"lr": p["lr"], "beta1": p["beta1"], "beta2": p["beta2"], "eps": p["eps"]}
    return torch_steps(p, ctx, PAIRING["adam-001-14-uncorrected"].named, hp)
