"""Lecture 001, "Intro to Deep Learning, Lecture 7: Optimization III" (001_5672ff10bad5e403.txt),
from *Statistical Learning Guarantees* to *Batch Normalization* (rows 001-15 to 001-26).

Generalization: the learning / approximation error trade-off of polynomial fits (*An
Illustration*, 001-15) and the √(complexity(F)/n) rate of empirical risk minimization (001-16).

Regularization: ridge regression's closed form, uniqueness and shrinkage (001-17), weight decay as
gradient descent on L + λ‖w‖² and as torch.optim.SGD's ``weight_decay`` (001-18), ℓ2 makes weights
small and ℓ1 sparse (001-19), dropout's test-time scaling (001-20), max-norm (001-21).

Initialization: zero weights and their gradients (001-22), the variance of a neuron's output under
N(0, σ²) weights (001-23) and the LeCun / Xavier / He variances (001-24).

Normalization: standardizing the data matrix (001-25) and batch normalization, its identity
recovery and its inference rule (001-26).

Everything runs in float64 except the Monte Carlo draws of 001-20 and 001-23/24 (``ctx.dtype``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from implementations.generalization import (
    interval_problem,
    legendre_features,
    polynomial_fit_errors,
    target_mass,
    union_erm,
)
from implementations.initializers import init_variance
from implementations.layers import dropout
from implementations.problems import make_least_squares, make_logistic_regression
from implementations.regularization import lasso_lambda_max, lasso_solution, ridge_solution
from theorems.catalogue.kit import (
    DISTRIBUTIONS,
    DOCUMENTS,
    PROBLEMS,
    fitted_exponent,
    neuron_output_sampler,
    seeded_generator,
)
from theorems.core.claim import BEHAVIOUR, EXACT_TO_ROUNDING, Figure, Formula, Measurement, Reading, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers

LECTURE_001 = DOCUMENTS["001"]
F64 = torch.float64


# === Generalization ================================================================================

# --- An Illustration / Vary d (001-15) -------------------------------------------------------------

POLY_POINTS = 21  # (x_i, y_i), i = 1 … 21
MAX_DEGREE = 20
POLY_REPLICATES = 400  # data sets per point; the classification reads medians over them
CURVATURE_SD = math.sqrt(4 / 45)  # sd of x² − 1/3 for x ~ U[−1, 1]: the part of x² no line fits
APPROXIMATION_DOMINATES = "approximation error dominates"
LEARNING_DOMINATES = "learning error dominates"


def quadratic_target(p) -> torch.Tensor:
    """Legendre coefficients of f̃(x) = a x² + b x + c, noise σ = 1.

    |a| = ρ / √(4/45) makes the curvature-to-noise ratio ρ = sd(a(x² − 1/3))/σ; the sign of a and
    b, c ~ N(0, 1) come from the data seed. x² = (2P₂ + P₀)/3.
    """
    generator = seeded_generator(p["data_seed"])
    b, c = torch.randn(2, generator=generator, dtype=F64).tolist()
    a = (1 if float(torch.rand(1, generator=generator)) < 0.5 else -1) * p["curvature_snr"] / CURVATURE_SD
    return torch.tensor([c + a / 3, b, 2 * a / 3], dtype=F64)


def dominance(approximation: float, typical_learning: float) -> str:
    return APPROXIMATION_DOMINATES if approximation > typical_learning else LEARNING_DOMINATES


def trade_off_label(d1: str, d20: str, best_degree: int) -> str:
    return f"d = 1: {d1}; d = 20: {d20}; lowest test error at d = {best_degree}"


@claim(
    id="polynomial-error-trade-off",
    title="Fitting 21 noisy points of a quadratic: d = 1 is approximation-limited, d = 20 learning-limited, d = 2 best",
    inventory_ids=("001-15",),
    source=Source(LECTURE_001, "An Illustration / Vary d"),
    statement=("Randomly generate (x_i, y_i), i = 1 … 21, y_i = f̃(x_i) + ε_i for a quadratic f̃; fit with "
               "f_d(x) = φ_d(x)ᵀw, φ_d(x) = [1, x, …, x^d]: d = 1 approximation error dominates; d = 20 learning "
               "error dominates; d = 2 balances learning error and approximation error."),
    assumptions=(
        "x_i ~ U[−1, 1] ('uniform') or equispaced on [−1, 1] ('equispaced'); ε_i ~ N(0, σ²); test x ~ U[−1, 1]; "
        "f_d fitted by least squares in the Legendre basis (the same span as 1, x, …, x^d), float64",
        "test error err(f̂) − err(f_Bayes) = E_x[(f̂ − f̃)²] split exactly into the learning error err(f̂) − err(f*) "
        "and the approximation error err(f*) − err(f_Bayes), f* the best polynomial of degree d",
        f"'dominates': one error exceeds the other for the typical data set (the median over {POLY_REPLICATES} data "
        "sets; the mean test error of the d = 20 interpolant is infinite for random x); 'balances': d = 2 has the "
        "lowest median test error of all degrees 0 … 20",
        "condition: f̃ is visibly quadratic — ρ = sd(a(x² − 1/3))/σ ≥ 1, the curvature at least as large as the noise. "
        "Below ρ ≈ 0.3 the statement stops holding: at ρ = 0.2 (either design) the d = 1 fit's median learning error "
        "exceeds its approximation error and d = 1 has the lowest test error",
    ),
    preset=BEHAVIOUR,
    domain={
        "design": choices(["uniform", "equispaced"]),
        "curvature_snr": choices([1.0, 3.0, 10.0, 30.0]),
        "data_seed": choices([0, 1, 2]),
    },
    stated=lambda p: trade_off_label(APPROXIMATION_DOMINATES, LEARNING_DOMINATES, 2),
    mutants=(
        Formula("d = 1: learning error dominates (d = 1 overfits)",
                lambda p: trade_off_label(LEARNING_DOMINATES, LEARNING_DOMINATES, 2)),
        Formula("the most flexible fit, d = 20, has the lowest test error",
                lambda p: trade_off_label(APPROXIMATION_DOMINATES, LEARNING_DOMINATES, 20)),
    ),
    design=tuple({"design": design, "curvature_snr": snr, "data_seed": 0}
                 for snr in (1.0, 30.0) for design in ("uniform", "equispaced")),
    figure=Figure(kind="traces", xlabel="degree d", ylabel="log₁₀ median test error E_x[(f̂ − f̃)²] / σ²"),
)
def polynomial_error_trade_off(p, ctx):
    """Median learning, approximation and test errors of the degree-d fits, d = 0 … 20."""
    target = quadratic_target(p)
    R = POLY_REPLICATES
    if p["design"] == "uniform":
        x = 2 * torch.rand(R, POLY_POINTS, generator=ctx.generator, dtype=F64, device=ctx.device) - 1
    else:
        x = torch.linspace(-1, 1, POLY_POINTS, dtype=F64, device=ctx.device).expand(R, POLY_POINTS)
    noise = torch.randn(R, POLY_POINTS, generator=ctx.generator, dtype=F64, device=ctx.device)
    y = legendre_features(x, 2) @ target.to(ctx.device) + noise  # y_i = f̃(x_i) + ε_i, σ = 1
    learning, approximation, test = [], [], []
    for degree in range(MAX_DEGREE + 1):
        errors, approx = polynomial_fit_errors(x, y, target.to(ctx.device), degree)
        learning.append(float(errors.median()))
        approximation.append(approx)
        test.append(float((errors + approx).median()))
    label = trade_off_label(dominance(approximation[1], learning[1]), dominance(approximation[20], learning[20]),
                            int(np.argmin(test)))
    return Measurement(label, quantities={"median_learning": learning, "approximation": approximation},
                       trace={"x": list(range(MAX_DEGREE + 1)), "measured": np.log10(test)})


# --- Statistical Learning Guarantees (001-16) -----------------------------------------------------

INTERVAL_SIZES = (250, 500, 1000, 2000, 4000)  # n, for the rate in n (1.2 decades) at k = RATE_INTERVALS
RATE_INTERVALS = 2  # F = unions of 2 intervals, VC dimension 4
INTERVAL_COUNTS = (1, 2, 4, 8, 16)  # k, for the rate in complexity: VC dimension 2k = 2 … 32 (1.2 decades)
COMPLEXITY_SIZE = 2000  # n for the rate in complexity: ≥ 60 points per segment of the target at k = 16
MARGIN_SCALES = (1.2, 1.7, 2.4)  # the worst case over margins δ = c √(2k/n): E[excess] peaks at c ≈ 1.5–2
# ctx.samples, the profile's Monte Carlo cap times this factor, is the number of training sets per (n, k, δ):
# 1200 at standard (about a minute on a CPU), 60 at smoke, 12 000 at thorough
EXCESS_SAMPLES_FACTOR = 0.003
BYTES_PER_POINT = 6 * 8  # float64 tensors of shape (replicates, n) that interval_problem holds at once
EXPONENT = {"n": -0.5, "complexity": 0.5}  # √(complexity(F)/n) = complexity^(1/2) · n^(−1/2)


def excess_replicates(ctx) -> int:
    """Training sets per (n, k, δ): the profile's ctx.samples (its cap times EXCESS_SAMPLES_FACTOR), made
    even so that the worst case can split them in halves."""
    return 2 * max(1, ctx.samples // 2)


def union_excess(n: int, k: int, deltas: torch.Tensor, replicates: int, ctx) -> torch.Tensor:
    """err(f̂) − err(f*) = δ(k/(2k + 1) − ∫_f̂ t_k) of exact ERM over unions of k intervals, for
    ``replicates`` training sets of size n from D_{k,δ} per margin δ in ``deltas``: shape
    (len(deltas), replicates). Replicates are a batch dimension, drawn in chunks of ctx's memory cap."""
    rows = deltas.to(F64).repeat_interleave(replicates).to(ctx.device)
    chunk = ctx.monte_carlo.chunk_size(BYTES_PER_POINT * (n + 1))
    excess = []
    for start in range(0, len(rows), chunk):
        delta = rows[start : start + chunk]
        y, cuts = interval_problem(len(delta), n, k, delta, generator=ctx.generator, device=ctx.device)
        _, covered = union_erm(y, cuts, k)
        excess.append(delta * (target_mass(k) - covered))
    return torch.cat(excess).reshape(len(deltas), replicates)


def mean_and_se(draws: torch.Tensor) -> tuple[float, float]:
    """The sample mean of ``draws`` and its standard error s/√m."""
    return float(draws.mean()), float(draws.std() / math.sqrt(draws.numel()))


def worst_case_union_excess(n: int, k: int, ctx) -> tuple[float, float]:
    """max over δ = c √(2k/n), c ∈ MARGIN_SCALES, of E[excess], with its Monte Carlo se.

    The maximum of noisy means is biased upward (it picks the luckiest δ), so the sample is split:
    the first half of each δ's training sets chooses the worst δ, the second half measures E[excess]
    there, an unbiased estimate of a lower bound on the supremum over D."""
    deltas = (torch.tensor(MARGIN_SCALES, dtype=F64) * math.sqrt(2 * k / n)).clamp(max=1.0)
    replicates = excess_replicates(ctx)
    choose, measure = union_excess(n, k, deltas, replicates, ctx).split(replicates // 2, dim=1)
    return mean_and_se(measure[int(choose.mean(dim=1).argmax())])


def expected_union_excess(p, n: int, k: int, ctx) -> tuple[float, float]:
    """E[excess] at the point's fixed margin δ (a distribution that does not change with n)."""
    return mean_and_se(union_excess(n, k, torch.tensor([p["margin"]]), excess_replicates(ctx) // 2, ctx))


def rate_design(p) -> list[tuple[int, int]]:
    """The (n, k) at which the excess error is measured: n varies at k = RATE_INTERVALS, or k at n =
    COMPLEXITY_SIZE."""
    if p["exponent"] == "n":
        return [(n, RATE_INTERVALS) for n in INTERVAL_SIZES]
    return [(COMPLEXITY_SIZE, k) for k in INTERVAL_COUNTS]


@claim(
    id="excess-risk-rate",
    title="The excess error of empirical risk minimization shrinks like √(complexity(F)/n): n^(−1/2) and complexity^(1/2)",
    inventory_ids=("001-16",),
    source=Source(LECTURE_001, "Statistical Learning Guarantees"),
    statement=("Suppose (x_i, y_i), i = 1 … n, ~ D. Fix F. f* = argmin_F L(f), f̂ = argmin_F L̂(f). We have "
               "err(f̂) − err(f*) ∝ √(complexity(F)/n)."),
    assumptions=(
        "F = unions of at most k intervals on [0, 1] (VC dimension 2k: complexity(F) = 2k); classification error "
        "(0-1 loss); f̂ is an exact empirical risk minimizer (a dynamic programme over the sorted points, the "
        "first minimizer, interval ends at the midpoints between points); the measured quantity is the "
        "expected excess error over training sets E[err(f̂) − err(f*)], computed exactly for each training set",
        "D_{k,δ}: x ~ U[0, 1]; the target t_k cuts [0, 1] into 2k + 1 equal segments, −1, +1, −1, …, −1 (k "
        "intervals, so t_k ∈ F and f* = t_k is also the Bayes classifier); y = t_k(x) flipped with probability "
        "(1 − δ)/2 (Massart noise, margin δ)",
        f"exponent 'n': the weighted least-squares slope of log E[excess] on log n for n = {INTERVAL_SIZES[0]} … "
        f"{INTERVAL_SIZES[-1]} at k = {RATE_INTERVALS}; exponent 'complexity': its slope on log(2k) for k = "
        f"{INTERVAL_COUNTS[0]} … {INTERVAL_COUNTS[-1]} at n = {COMPLEXITY_SIZE}; both compared with "
        "√(complexity/n)'s exponent (−1/2, +1/2) within ±0.1 (resolution 0.2 of 1/2); the standard error is the "
        "fit's, from half the profile's Monte Carlo samples per (n, k) (600 training sets at standard, 30 at smoke)",
        f"the worst case over D is taken over margins δ = c √(2k/n), c ∈ {MARGIN_SCALES} (E[excess] peaks inside, "
        "at c ≈ 1.5–2, for every n and k measured): one half of the training sets picks the worst c, the other half "
        "measures E[excess] there (no winner's-curse bias). This family's supremum is a lower bound on the "
        "supremum over all D, which VC theory holds between Ω(√(d/n)) (the agnostic lower bound, attained by "
        "such Massart families) and O(√(d/n)) (ERM's upper bound, without a log factor by chaining)",
        "the family's supremum is about G·2k/√((2k + 1)n) (2k boundaries, each in a segment of length 1/(2k + 1)), "
        "so over d = 2k = 2 … 32 its local slope in d is about 0.5 + 0.06: a finite-d correction, inside the ±0.1 "
        "band",
    ),
    kind="scaling",
    relation="eq",
    resolution=0.2,
    samples_factor=EXCESS_SAMPLES_FACTOR,
    search_factor=1 / 32,  # the domain has 2 × 2 points: more planned points would only split α (z 4.3 → 3.6)
    scale=lambda p: 0.5,  # the band ±0.1 is 0.2 of |1/2| for both exponents and for every mutant
    domain={
        "exponent": choices(["n", "complexity"]),
        "margin": choices([0.3, 0.6]),
    },
    readings=(
        Reading("distribution-free rate", "the uniform-convergence statement: the worst case over distributions D "
                "of the expected excess error, for each n and F (an upper bound for every D, attained by some D)",
                {"distribution": "worst case", "margin": None}),
        Reading("rate at a fixed D", "'∝' read literally: for a distribution that does not change with n (a fixed "
                "margin δ, the target with as many intervals as F allows), the excess error is proportional to "
                "√(complexity(F)/n)", {"distribution": "fixed"}),
    ),
    stated=lambda p: EXPONENT[p["exponent"]],  # err(f̂) − err(f*) ∝ complexity^(1/2) n^(−1/2)
    mutants=(  # each wrong under both readings; complexity(F)/n, the fixed-D rate, is an alternative instead
        Formula("err(f̂) − err(f*) ∝ √(1/n) (complexity(F) does not enter)",
                lambda p: EXPONENT[p["exponent"]] if p["exponent"] == "n" else 0.0),
        Formula("err(f̂) − err(f*) ∝ complexity(F)/√n (the root on n only)",
                lambda p: EXPONENT[p["exponent"]] if p["exponent"] == "n" else 1.0),
        Formula("err(f̂) − err(f*) ∝ √(complexity(F))/n (the root on complexity only)",
                lambda p: EXPONENT[p["exponent"]] if p["exponent"] == "complexity" else -1.0),
    ),
    alternatives=(Formula("err(f̂) − err(f*) ∝ complexity(F)/n (the fast rate of a fixed D with a margin: Massart "
                          "and Nédélec 2006)", lambda p: 2 * EXPONENT[p["exponent"]], reading="rate at a fixed D"),),
    design=({"exponent": "complexity", "margin": 0.3}, {"exponent": "n", "margin": 0.3}),
    figure=Figure(kind="traces", xlabel="complexity(F)/n = 2k/n (n varied at k = 2, or k at n = 2000)",
                  ylabel="E[err(f̂) − err(f*)]", logx=True, logy=True),  # √(complexity/n): one line of slope 1/2
)
def excess_risk_rate(p, ctx):
    """Fitted exponent of the expected excess error of ERM over unions of k intervals, in n or in the VC
    dimension 2k (worst case over D, or at a fixed margin)."""
    design = rate_design(p)
    if p["distribution"] == "worst case":
        estimates = [worst_case_union_excess(n, k, ctx) for n, k in design]
    else:
        estimates = [expected_union_excess(p, n, k, ctx) for n, k in design]
    values = [value for value, _ in estimates]
    varied = [n for n, _ in design] if p["exponent"] == "n" else [2 * k for _, k in design]
    slope, se = fitted_exponent(varied, values, [se for _, se in estimates])
    return Measurement(slope, se=se, samples=excess_replicates(ctx) // 2 * len(design),
                       trace={"x": [2 * k / n for n, k in design], "measured": values})


# === Regularization ================================================================================

# --- Ridge Regression (001-17) -----------------------------------------------------------------------

RIDGE_DOMAIN = {
    "n": integers(1, 60),
    "d": integers(1, 40),
    "lam": floats(1e-3, 1e3),
    "data_seed": DATA_SEED,
}
RIDGE_DESIGN = ({"n": 5, "d": 20, "lam": 0.1, "data_seed": 0}, {"n": 50, "d": 10, "lam": 1.0, "data_seed": 1},
                {"n": 1, "d": 1, "lam": 1e-3, "data_seed": 2}, {"n": 30, "d": 30, "lam": 1e3, "data_seed": 3})
RIDGE_ASSUMPTIONS = ("X (n × d) with N(0, 1) entries, y = Xw_true + N(0, 1) noise, both n < d and n ≥ d; float64",)
LAMBDA_GRID = np.geomspace(1e-4, 1e4, 81)


def ridge_data(p) -> tuple[torch.Tensor, torch.Tensor]:
    generator = seeded_generator(p["data_seed"])
    X = torch.randn(p["n"], p["d"], generator=generator, dtype=F64)
    w_true = torch.randn(p["d"], generator=generator, dtype=F64)
    return X, X @ w_true + torch.randn(p["n"], generator=generator, dtype=F64)


def ridge_loss(X, y, w, lam):
    """L_λ(w) = ‖Xw − y‖² + λ‖w‖²."""
    return (X @ w - y).square().sum() + lam * w.square().sum()


@claim(
    id="ridge-closed-form",
    title="Ridge regression: ½∇L_λ(w) = (XᵀX + λI)w − Xᵀy, and ŵ = (XᵀX + λI)⁻¹Xᵀy minimizes L_λ",
    inventory_ids=("001-17",),
    source=Source(LECTURE_001, "Ridge Regression"),
    statement=("L_λ(w) = ‖Xw − y‖² + λ‖w‖²; ½∇L_λ(w) = XᵀXw − Xᵀy + λw = (XᵀX + λI)w − Xᵀy; setting the gradient "
               "to 0: ŵ = (XᵀX + λI)⁻¹Xᵀy, the global minimizer."),
    assumptions=RIDGE_ASSUMPTIONS + (
        "three blocks compared: ½∇L_λ at a random w by autograd against (XᵀX + λI)w − Xᵀy; the minimizer of L_λ as "
        "torch.linalg.lstsq (gelsd) solves it, on the augmented system [X; √λ I]w = [y; 0], against the closed "
        "form; ½∇L_λ(ŵ) by autograd against 0",),
    kind="identity",
    domain=RIDGE_DOMAIN,
    stated=lambda p: ridge_blocks(p),
    mutants=(
        Formula("∇L_λ(w) = (XᵀX + λI)w − Xᵀy (the ½ dropped)", lambda p: ridge_blocks(p, gradient_factor=0.5)),
        Formula("ŵ = (XᵀX + (λ/2)I)⁻¹Xᵀy", lambda p: ridge_blocks(p, closed_form_lam=p["lam"] / 2)),
    ),
    resolution=1e-9,
    atol=1e-9,
    design=RIDGE_DESIGN,
    figure=Figure(kind="points", x="lam", xlabel="λ", ylabel="largest deviation", logx=True),
)
def ridge_closed_form(p, ctx):
    """[½∇L_λ(w) by autograd, the lstsq minimizer, ½∇L_λ(ŵ) by autograd] for the point's data."""
    X, y = ridge_data(p)
    lam, d = p["lam"], p["d"]
    w = torch.randn(d, generator=seeded_generator(p["data_seed"] + 1), dtype=F64).requires_grad_()
    (half_gradient,) = torch.autograd.grad(ridge_loss(X, y, w, lam) / 2, w)
    augmented = torch.cat([X, math.sqrt(lam) * torch.eye(d, dtype=F64)])
    target = torch.cat([y, torch.zeros(d, dtype=F64)])
    minimizer = torch.linalg.lstsq(augmented, target.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
    at_closed_form = minimizer.clone().requires_grad_()  # ½∇L_λ there must be 0
    (half_gradient_there,) = torch.autograd.grad(ridge_loss(X, y, at_closed_form, lam) / 2, at_closed_form)
    return Measurement(torch.cat([half_gradient, minimizer, half_gradient_there]).numpy(),
                       quantities={"X": X, "y": y, "w": w.detach()})


def ridge_blocks(p, *, gradient_factor: float = 1.0, closed_form_lam: float | None = None) -> np.ndarray:
    """The slide's three blocks from the point's data: ½∇L_λ(w) = (XᵀX + λI)w − Xᵀy, the minimizer
    ŵ = (XᵀX + λI)⁻¹Xᵀy, and ½∇L_λ(ŵ) = 0."""
    X, y, w, lam = p["X"], p["y"], p["w"], p["lam"]
    gram = X.T @ X + lam * torch.eye(p["d"], dtype=F64)
    lam_hat = lam if closed_form_lam is None else closed_form_lam
    closed_form = torch.linalg.solve(X.T @ X + lam_hat * torch.eye(p["d"], dtype=F64), X.T @ y)
    return np.concatenate([(gradient_factor * (gram @ w - X.T @ y)).numpy(), closed_form.numpy(), np.zeros(p["d"])])


@claim(
    id="ridge-half-gradient-first-line",
    title="Ridge regression, first line of 'Differentiating': ½∇L_λ(w) = XᵀXw − Xᵀy + λw",
    inventory_ids=("001-17",),
    role="derivation",  # the first printed line; the row's statement (the closed form) is ridge-closed-form
    source=Source(LECTURE_001, "Ridge Regression"),
    statement="L_λ(w) = ‖Xw − y‖² + λ‖w‖²; differentiating: ½∇L_λ(w) = XᵀXw − Xᵀy + λw",
    assumptions=RIDGE_ASSUMPTIONS + (
        "measured: ½∇L_λ at a seeded random w by autograd; stated: the line, written in the declaration, from the "
        "inputs X, y, w (quantities)",),
    kind="identity",
    domain=RIDGE_DOMAIN,
    stated=lambda p: p["X"].T @ p["X"] @ p["w"] - p["X"].T @ p["y"] + p["lam"] * p["w"],  # XᵀXw − Xᵀy + λw
    mutants=(Formula("½∇L_λ(w) = XᵀXw − Xᵀy + 2λw (the ½ not applied to the penalty)",
                     lambda p: p["X"].T @ p["X"] @ p["w"] - p["X"].T @ p["y"] + 2 * p["lam"] * p["w"]),),
    resolution=1e-9,
    atol=1e-9,
    design=RIDGE_DESIGN,
    figure=Figure(kind="points", x="lam", xlabel="λ", ylabel="largest deviation", logx=True),
)
def ridge_half_gradient_first_line(p, ctx):
    """½∇L_λ(w) by autograd at a seeded w; X, y and w as quantities."""
    X, y = ridge_data(p)
    w = torch.randn(p["d"], generator=seeded_generator(p["data_seed"] + 1), dtype=F64).requires_grad_()
    (half_gradient,) = torch.autograd.grad(ridge_loss(X, y, w, p["lam"]) / 2, w)
    return Measurement(half_gradient.numpy(), quantities={"X": X.numpy(), "y": y.numpy(), "w": w.detach().numpy()})


@claim(
    id="ridge-positive-definite",
    title="XᵀX + λI is positive definite (its smallest eigenvalue is at least λ > 0), so ŵ is unique",
    inventory_ids=("001-17",),
    source=Source(LECTURE_001, "Ridge Regression"),
    statement="Unique solution exists since XᵀX + λI is positive definite.",
    assumptions=RIDGE_ASSUMPTIONS + (
        "measured: the smallest eigenvalue of ½∇²L_λ (autograd's Hessian of L_λ, halved), which is XᵀX + λI; it is "
        "at least λ > 0 because XᵀX ⪰ 0, also when n < d and XᵀX is singular",),
    kind="bound",
    relation="ge",
    domain=RIDGE_DOMAIN,
    stated=lambda p: p["lam"],
    mutants=(Formula("½∇²L_λ ⪰ 2λI (the Hessian's factor 2 counted in the matrix)", lambda p: 2 * p["lam"]),),
    preset=EXACT_TO_ROUNDING,
    design=RIDGE_DESIGN,
    figure=Figure(kind="points", x="lam", xlabel="λ", ylabel="λ_min(XᵀX + λI)", logx=True, logy=True),
)
def ridge_positive_definite(p, ctx):
    """λ_min of the autograd Hessian of L_λ/2."""
    X, y = ridge_data(p)
    hessian = torch.autograd.functional.hessian(lambda w: ridge_loss(X, y, w, p["lam"]) / 2,
                                                torch.zeros(p["d"], dtype=F64), vectorize=True)
    return Measurement(float(torch.linalg.eigvalsh(hessian)[0]))


@claim(
    id="ridge-norm-decreasing",
    title="As λ grows, ‖ŵ‖₂ decreases",
    inventory_ids=("001-17",),
    source=Source(LECTURE_001, "Ridge Regression"),
    statement="As λ grows, ‖ŵ‖₂ decreases.",
    assumptions=RIDGE_ASSUMPTIONS + (
        f"‖ŵ(λ)‖₂ on {len(LAMBDA_GRID)} log-spaced λ from 1e-4 to 1e4: measured, each change ‖ŵ(λ_{{k+1}})‖₂ − "
        "‖ŵ(λ_k)‖₂; stated, 'decreases': every change ≤ 0 (within rounding, 1e-12 absolute for ‖ŵ‖₂ ≲ 100); the "
        "point's own λ is not used",),
    kind="bound",
    relation="le",
    domain={key: value for key, value in RIDGE_DOMAIN.items() if key != "lam"},
    stated=lambda p: np.zeros(len(LAMBDA_GRID) - 1),  # "as λ grows, ‖ŵ‖₂ decreases": every change ≤ 0
    mutants=(Formula("‖ŵ‖₂ ∝ 1/λ: ‖ŵ(λ')‖₂ ≤ (λ/λ')‖ŵ(λ)‖₂ for λ' > λ",
                     lambda p: p["norms"][:-1] * (LAMBDA_GRID[:-1] / LAMBDA_GRID[1:] - 1)),),
    resolution=1e-12,
    atol=1e-12,  # rounding of ‖ŵ‖₂ ≲ 100 in float64; the relative tolerance is 0 at the stated 0
    design=tuple({key: value for key, value in point.items() if key != "lam"} for point in RIDGE_DESIGN),
    figure=Figure(kind="traces", xlabel="λ", ylabel="‖ŵ(λ)‖₂", logx=True, logy=True),
)
def ridge_norm_decreasing(p, ctx):
    """The change ‖ŵ(λ_{k+1})‖₂ − ‖ŵ(λ_k)‖₂ at every step of the λ grid; the norms as a quantity."""
    X, y = ridge_data(p)
    grams = X.T @ X + torch.as_tensor(LAMBDA_GRID)[:, None, None] * torch.eye(p["d"], dtype=F64)
    norms = torch.linalg.solve(grams, (X.T @ y).expand(len(LAMBDA_GRID), -1)).norm(dim=-1).numpy()  # ‖(XᵀX + λI)⁻¹Xᵀy‖
    return Measurement(np.diff(norms), quantities={"norms": norms},
                       trace={"x": LAMBDA_GRID[1:], "measured": norms[1:]})


# --- Ridge regression: weight decay (001-18) ---------------------------------------------------------

DECAY_STEPS = 15
DECAY_DOMAIN = {
    "problem": choices(PROBLEMS),
    "n": integers(2, 100),
    "d": integers(1, 20),
    "lam": floats(1e-3, 10.0),
    "lr_fraction": floats(0.05, 1.0),
    "data_seed": DATA_SEED,
}
DECAY_DESIGN = ({"problem": "least_squares", "n": 50, "d": 5, "lam": 0.5, "lr_fraction": 0.9, "data_seed": 0},
                {"problem": "logistic", "n": 50, "d": 5, "lam": 0.05, "lr_fraction": 0.5, "data_seed": 1})
DECAY_ASSUMPTIONS = (
    "L is the mean loss of a generated least-squares problem (n ≥ d) or of a logistic regression (ℓ2 weight 1e-2 "
    "inside L), float64; η = lr_fraction / (L_smooth + 2λ); w_0 ~ N(0, I); "
    f"{DECAY_STEPS} steps, every iterate compared",)


def decay_problem(p):
    if p["problem"] == "least_squares":
        return make_least_squares(max(p["n"], p["d"]), p["d"], seed=p["data_seed"])
    return make_logistic_regression(p["n"], p["d"], l2=1e-2, seed=p["data_seed"])


@functools.lru_cache(maxsize=512)
def weight_decay_runs(problem: str, n: int, d: int, lam: float, lr_fraction: float, data_seed: int) -> dict:
    """Trajectories (DECAY_STEPS + 1, d) of gradient descent on L + λ‖w‖² (autograd) and of torch.optim.SGD."""
    p = {"problem": problem, "n": n, "d": d, "data_seed": data_seed}
    model = decay_problem(p)
    lr = lr_fraction / (model.smoothness + 2 * lam)
    w0 = torch.randn(d, generator=seeded_generator(data_seed + 7), dtype=F64)

    def run(step):
        ws = [w0]
        for _ in range(DECAY_STEPS):
            ws.append(step(ws[-1]))
        return torch.stack(ws, dim=-2).numpy()

    def penalized_step(w):  # gradient descent on L_λ(w) = L(w) + λ‖w‖², its gradient by autograd
        w = w.clone().requires_grad_()
        (gradient,) = torch.autograd.grad(model.loss(w) + lam * w.square().sum(), w)
        return (w - lr * gradient).detach()

    def torch_sgd(weight_decay):
        w = w0.clone().requires_grad_()
        optimizer = torch.optim.SGD([w], lr=lr, weight_decay=weight_decay)
        ws = [w0]
        for _ in range(DECAY_STEPS):
            w.grad = model.grad(w.detach())
            optimizer.step()
            ws.append(w.detach().clone())
        return torch.stack(ws).numpy()

    # the lecture's lines are written in the claims' declarations, never run here
    return {
        "penalized_gd": run(penalized_step),
        "torch_sgd": torch_sgd(2 * lam),
        "lr": lr,
    }


def decay_runs(p) -> dict:
    return weight_decay_runs(p["problem"], p["n"], p["d"], p["lam"], p["lr_fraction"], p["data_seed"])


def trajectory_trace(trajectory: np.ndarray) -> dict:
    return {"x": np.arange(trajectory.shape[0]), "measured": np.linalg.norm(trajectory, axis=1)}


WEIGHT_DECAY_MEASURED = (
    "measured: gradient descent on L_λ(w) = L(w) + λ‖w‖² with autograd's gradient of L_λ, iterates w_1 … w_T; "
    "stated: the lecture's line, written in the declaration, applied at the same run's iterates w_t with ∇L(w_t) "
    "(quantities iterates, grads), so each step is compared on its own")


def penalized_gd_steps(p, ctx):
    """Gradient descent on L + λ‖w‖² (autograd): its iterates w_1 … w_T; its iterates and ∇L there as quantities."""
    runs = decay_runs(p)
    iterates = runs["penalized_gd"]
    quantities = {"iterates": iterates, "lr": runs["lr"], "grads": torch_sgd_gradients(p, iterates)}
    return Measurement(iterates[1:].ravel(), quantities=quantities, trace=trajectory_trace(iterates))


weight_decay_update = claim(
    id="weight-decay-update",
    seed_key="weight-decay-penalized-gd",
    title="Weight decay: gradient descent on L + λ‖w‖² is w_{t+1} = (1 − 2ηλ)w_t − η∇L(w_t)",
    inventory_ids=("001-18",),
    source=Source(LECTURE_001, "Ridge regression"),
    statement=("Also known as weight decay. L_λ(w) = L(w) + λ‖w‖₂²; gradient update: w_{t+1} = w_t − η(∇L(w_t) + "
               "2λw_t) = (1 − 2ηλ)w_t − η∇L(w_t)."),
    assumptions=DECAY_ASSUMPTIONS + (WEIGHT_DECAY_MEASURED, "the row's final line; its first line is "
                                     "weight-decay-first-line (role derivation)"),
    kind="identity",
    domain=DECAY_DOMAIN,
    # (1 − 2ηλ)w_t − η∇L(w_t), at the run's iterates
    stated=lambda p: ((1 - 2 * p["lr"] * p["lam"]) * p["iterates"][:-1] - p["lr"] * p["grads"]).ravel(),
    mutants=(Formula("w_{t+1} = (1 − ηλ)w_t − η∇L(w_t) (the derivative of λ‖w‖² taken as λw)",
                     lambda p: ((1 - p["lr"] * p["lam"]) * p["iterates"][:-1] - p["lr"] * p["grads"]).ravel()),),
    resolution=1e-10,
    atol=1e-12,
    design=DECAY_DESIGN,
    figure=Figure(kind="traces", xlabel="step t", ylabel="‖w_t‖"),
)(penalized_gd_steps)

weight_decay_first_line = claim(
    id="weight-decay-first-line",
    seed_key="weight-decay-penalized-gd",
    title="Weight decay, first line: gradient descent on L + λ‖w‖² is w_{t+1} = w_t − η(∇L(w_t) + 2λw_t)",
    inventory_ids=("001-18",),
    role="derivation",  # the first printed line; the row's final line is weight-decay-update
    source=Source(LECTURE_001, "Ridge regression"),
    statement="Gradient update: w_{t+1} = w_t − η(∇L(w_t) + 2λw_t)",
    assumptions=DECAY_ASSUMPTIONS + (WEIGHT_DECAY_MEASURED,),
    kind="identity",
    domain=DECAY_DOMAIN,
    # w_t − η(∇L(w_t) + 2λw_t), at the run's iterates
    stated=lambda p: (p["iterates"][:-1] - p["lr"] * (p["grads"] + 2 * p["lam"] * p["iterates"][:-1])).ravel(),
    mutants=(Formula("w_{t+1} = w_t − η(∇L(w_t) + λw_t) (the derivative of λ‖w‖² taken as λw)",
                     lambda p: (p["iterates"][:-1] - p["lr"] * (p["grads"] + p["lam"] * p["iterates"][:-1])).ravel()),),
    resolution=1e-10,
    atol=1e-12,
    design=DECAY_DESIGN,
    figure=Figure(kind="traces", xlabel="step t", ylabel="‖w_t‖"),
)(penalized_gd_steps)


def torch_sgd_gradients(p, iterates: np.ndarray) -> np.ndarray:
    """∇L at torch.optim.SGD's iterates w_0 … w_{T−1}, shape (T, d): what its steps were fed."""
    model = decay_problem(p)
    return torch.stack([model.grad(torch.from_numpy(w)) for w in iterates[:-1]]).numpy()


@claim(
    id="weight-decay-torch-sgd",
    title="Definition, checked for consistency: torch.optim.SGD(weight_decay=2λ) takes the lecture's weight-decay step",
    inventory_ids=("001-18",),
    source=Source(LECTURE_001, "Ridge regression"),
    statement=("Also known as weight decay (why?). General form: L_λ(w) = L(w) + λ‖w‖₂²; gradient update: "
               "w_{t+1} = w_t − η(∇L(w_t) + 2λw_t)."),
    assumptions=DECAY_ASSUMPTIONS + (
        "'also known as weight decay' is a definition (a name), not a measurable property: it is checked for "
        "consistency with the library that uses the name. Measured: the steps of torch.optim.SGD(lr=η, "
        "weight_decay=2λ) fed ∇L; stated: the lecture's first line, written in the declaration, applied at torch's "
        "iterates w_t with ∇L(w_t) (quantity sgd_grads); torch's wd corresponds to the lecture's λ = wd/2",),
    kind="identity",
    domain=DECAY_DOMAIN,
    # w_{t+1} = w_t − η(∇L(w_t) + 2λw_t), at torch's iterates w_t
    stated=lambda p: (p["torch_sgd"][:-1] - p["lr"] * (p["sgd_grads"] + 2 * p["lam"] * p["torch_sgd"][:-1])).ravel(),
    mutants=(Formula("torch's weight_decay is the lecture's λ (w_t − η(∇L(w_t) + λw_t) with wd = 2λ)",
                     lambda p: (p["torch_sgd"][:-1] - p["lr"] * (p["sgd_grads"] + p["lam"] * p["torch_sgd"][:-1]))
                     .ravel()),
             Formula("decoupled decay, w_t(1 − 2λ) − η∇L(w_t) (the decay not scaled by η)",
                     lambda p: ((1 - 2 * p["lam"]) * p["torch_sgd"][:-1] - p["lr"] * p["sgd_grads"]).ravel())),
    resolution=1e-10,
    atol=1e-12,
    design=DECAY_DESIGN,
    figure=Figure(kind="traces", xlabel="step t", ylabel="‖w_t‖"),
)
def weight_decay_torch_sgd(p, ctx):
    """torch.optim.SGD(weight_decay=2λ)'s iterates w_1 … w_T; its iterates and the gradients it was fed as quantities."""
    runs = decay_runs(p)
    quantities = {"torch_sgd": runs["torch_sgd"], "lr": runs["lr"], "sgd_grads": torch_sgd_gradients(p, runs["torch_sgd"])}
    return Measurement(runs["torch_sgd"][1:].ravel(), quantities=quantities, trace=trajectory_trace(runs["torch_sgd"]))


# --- Regularization: ℓ2 small, ℓ1 sparse (001-19) -------------------------------------------------

SHRINKS = "shrinks as λ grows"
DENSE, SPARSE = "no exact zeros", "exact zeros"
SPARSE_FAMILIES = ("more features than examples", "correlated features")


def sparse_regression(p) -> tuple[torch.Tensor, torch.Tensor]:
    """y = Xw_true + N(0, 1) with 5 nonzero weights of magnitude 1 to 3.

    'more features than examples': n = 30, d = 60, X ~ N(0, I); 'correlated features': n = 100,
    d = 20, rows ~ N(0, Σ) with Σ_jk = 0.7^|j−k|.
    """
    generator = seeded_generator(p["data_seed"])
    n, d = (30, 60) if p["family"] == "more features than examples" else (100, 20)
    X = torch.randn(n, d, generator=generator, dtype=F64)
    if p["family"] == "correlated features":
        lags = torch.arange(d, dtype=F64)
        X = X @ torch.linalg.cholesky(0.7 ** (lags[:, None] - lags[None, :]).abs()).T
    w_true = torch.zeros(d, dtype=F64)
    support = torch.randperm(d, generator=generator)[:5]
    signs = torch.where(torch.rand(5, generator=generator) < 0.5, -1.0, 1.0).to(F64)
    w_true[support] = signs * (1 + 2 * torch.rand(5, generator=generator, dtype=F64))
    return X, X @ w_true + torch.randn(n, generator=generator, dtype=F64)


def regularized_solution(X, y, penalty: str, lam: float) -> torch.Tensor:
    return ridge_solution(X, y, lam=lam) if penalty == "ℓ2" else lasso_solution(X, y, lam=lam).w


def regularizer_label(p) -> str:
    return f"{SHRINKS}, {DENSE}" if p["penalty"] == "ℓ2" else SPARSE


@claim(
    id="regularizer-effects",
    title="ℓ2 regularization makes weights small, ℓ1 regularization makes them sparse",
    inventory_ids=("001-19",),
    source=Source(LECTURE_001, "Regularization"),
    statement=("ℓ2 regularization: R(w) = ‖w‖₂², implication: model weights are small; ℓ1 regularization: "
               "R(w) = ‖w‖₁, implication: model weights are sparse."),
    assumptions=(
        "least squares ‖Xw − y‖² + λR(w) on two families of sparse linear regression (5 nonzero weights): 60 features "
        "and 30 examples, and 20 correlated features (Σ_jk = 0.7^|j−k|) and 100 examples",
        "λ = strength · λ₀ with λ₀ = 2σ√(2n log d), σ = 1, the noise level below which the ℓ1 penalty barely acts "
        "(the standard lasso scale); strength from 1 to 10, the same λ for both penalties",
        "ℓ2 (closed form): 'shrinks as λ grows' if ‖ŵ(λ)‖₂ < ‖ŵ(λ/2)‖₂ (1e-12 relative margin); 'exact zeros' if "
        "some ŵ_j == 0.0. ℓ1 (FISTA, then polished on its support and certified by the KKT conditions to 1e-9·λ): "
        "'exact zeros' if some ŵ_j == 0.0",
    ),
    preset=BEHAVIOUR,
    domain={
        "family": choices(SPARSE_FAMILIES),
        "penalty": choices(["ℓ2", "ℓ1"]),
        "strength": floats(1.0, 10.0),
        "data_seed": DATA_SEED,
    },
    stated=regularizer_label,
    mutants=(Formula("ℓ2 makes weights sparse, ℓ1 leaves them dense",
                     lambda p: f"{SHRINKS}, {SPARSE}" if p["penalty"] == "ℓ2" else DENSE),),
    design=tuple({"family": family, "penalty": penalty, "strength": 2.0, "data_seed": 0}
                 for penalty in ("ℓ2", "ℓ1") for family in SPARSE_FAMILIES),
    figure=Figure(kind="points", x="strength", xlabel="λ / λ₀", ylabel="label", series="penalty"),
)
def regularizer_effects(p, ctx):
    """Shrinkage (ℓ2) and exact zeros of the regularized least-squares solution at λ."""
    X, y = sparse_regression(p)
    n, d = X.shape
    lam = p["strength"] * 2 * math.sqrt(2 * n * math.log(d))
    w = regularized_solution(X, y, p["penalty"], lam)
    zeros = int((w == 0).sum())
    sparsity = SPARSE if zeros else DENSE
    quantities = {"zeros": zeros, "d": d, "lambda_max": lasso_lambda_max(X, y)}
    if p["penalty"] == "ℓ1":
        return Measurement(sparsity, quantities=quantities)
    half = regularized_solution(X, y, "ℓ2", lam / 2)
    shrinks = float(w.norm()) < (1 - 1e-12) * float(half.norm())
    return Measurement(f"{SHRINKS if shrinks else 'does not shrink'}, {sparsity}", quantities=quantities)


# --- Dropout (001-20) ----------------------------------------------------------------------------------

HIDDEN_ACTIVATIONS = {"tanh": torch.tanh, "ReLU": torch.relu, "sigmoid": torch.sigmoid}


def hidden_layer(p) -> tuple[torch.Tensor, torch.Tensor]:
    """The outputs h = φ(Ux + b) of a hidden layer of ``units`` units and the weights w connecting
    them to one unit of the next layer, from the data seed (U, b, x, w ~ N(0, 1), U scaled by 1/√10)."""
    generator = seeded_generator(p["data_seed"])
    U = torch.randn(p["units"], 10, generator=generator, dtype=F64) / math.sqrt(10)
    b, x = torch.randn(p["units"], generator=generator, dtype=F64), torch.randn(10, generator=generator, dtype=F64)
    w = torch.randn(p["units"], generator=generator, dtype=F64)
    return HIDDEN_ACTIVATIONS[p["activation"]](U @ x + b), w


@claim(
    id="dropout-test-time-scaling",
    title="Dropout: multiplying the weights by p at test time gives the expected training-time output",
    inventory_ids=("001-20",),
    source=Source(LECTURE_001, "Dropout"),
    statement=("At inference time, multiply the learned weight by the dropout probability p ∈ [0, 1]. A unit at "
               "training time is present with probability p and is connected to units in the next layer with "
               "weights w; at test time the unit is always present and the weights are multiplied by p. The output "
               "at test time is same as the expected output at training time. Dropout rate p: probability to keep a "
               "node; p = 1: keep all nodes; p = 0: drop all nodes (layer has no output)."),
    assumptions=(
        "the output of Figure 2: what the dropped units deliver to a unit of the next layer, z = Σ_j w_j m_j h_j, "
        "m_j ~ Bernoulli(keep) i.i.d. (implementations.layers.dropout), against the test-time Σ_j (p w_j) h_j",
        "h_j = φ(u_jᵀx + b_j) are the outputs of nonlinear hidden units (tanh, ReLU, sigmoid); the equality is of "
        "expectations of this linear input to the next unit. After the next unit's own nonlinearity it holds only "
        "approximately (Jensen), which the slide does not claim",
        "the resolution is relative to √(Σ_j w_j² h_j²), the size of the output",
        "torch.nn.Dropout(p) uses p as the drop probability and rescales by 1/(1 − p) at training time instead of "
        "multiplying at test time; its expected training output equals its (unscaled) test output as well",
    ),
    kind="stochastic",
    domain={
        "p": floats(0.0, 1.0),
        "units": integers(1, 64),
        "activation": choices(sorted(HIDDEN_ACTIVATIONS)),
        "data_seed": DATA_SEED,
    },
    readings=(
        Reading("p = keep probability", "the 'Dropout rate p: probability to keep a node' slide: each unit is kept "
                "with probability p", {"p_means": "keep"}),
        Reading("p = drop probability", "the 'disable some of the neurons at random (with probability p)' slide and "
                "'multiply by the dropout probability p': each unit is dropped with probability p",
                {"p_means": "drop"}),
    ),
    stated=lambda p: (p["p"] * p["w"]) @ p["h"],  # Σ_j (p w_j) h_j: the weights multiplied by p
    mutants=(Formula("test-time output Σ_j w_j h_j (the weights not multiplied by p)", lambda p: p["w"] @ p["h"]),),
    alternatives=(Formula("E[training output] = (1 − p) Σ_j w_j h_j", lambda p: ((1 - p["p"]) * p["w"]) @ p["h"],
                          reading="p = drop probability"),),
    scale=lambda p: p["output_size"],
    resolution=0.05,
    atol=1e-12,  # a layer whose outputs h are all 0 (ReLU) delivers exactly 0 in both modes
    design=tuple({"p": p, "units": 16, "activation": "tanh", "data_seed": 0} for p in (0.8, 0.0, 0.2, 1.0, 0.5)),
    figure=Figure(kind="points", x="p", xlabel="p", ylabel="E[training-time output] and the test-time output"),
)
def dropout_test_time_scaling(p, ctx):
    """Monte Carlo mean of the next unit's input z = Σ_j w_j m_j h_j under training-time dropout."""
    h, w = hidden_layer(p)
    keep = p["p"] if p["p_means"] == "keep" else 1 - p["p"]
    h_sampled, w_sampled = h.to(ctx.device, ctx.dtype), w.to(ctx.device, ctx.dtype)

    def draw(n):
        dropped = dropout(h_sampled.expand(n, -1), r=1 - keep, generator=ctx.generator, inference=False)
        return dropped @ w_sampled

    return ctx.mean(draw, bytes_per_replicate=3 * p["units"] * ctx.dtype.itemsize,
                    quantities={"w": w.numpy(), "h": h.numpy(), "output_size": float((w * h).norm())})


# --- Max-Norm regularization (001-21) ----------------------------------------------------------------


def neuron_ball_projection(W: np.ndarray, c: float, axis: int = 1) -> np.ndarray:
    """Each neuron's weights (rows: incoming, ``axis=1``; columns: outgoing, ``axis=0``) projected back to
    the ball ‖w_j‖₂ ≤ c if they are out: w_j · min(1, c/‖w_j‖₂)."""
    norms = np.linalg.norm(W, axis=axis, keepdims=True)
    return W * np.minimum(1.0, c / norms)


@claim(
    id="max-norm-projection",
    title="Max-norm as torch computes it bounds each neuron's incoming weights, projecting them back when they leave",
    inventory_ids=("001-21",),
    source=Source(LECTURE_001, "Max-Norm regularization"),
    statement=("Max-Norm: enforces bounded incoming weights for every single neuron; project back to the "
               "constrained region if the weights go out."),
    assumptions=(
        "W (fan_out × fan_in) as torch.nn.Linear stores it, row j the incoming weights of neuron j, entries "
        "N(0, spread²/fan_in) so that rows fall inside and outside the ball ‖w_j‖₂ ≤ c",
        "measured: torch.renorm(W, p=2, dim=0, maxnorm=c), torch's max-norm (nn.Embedding's max_norm; Srivastava et "
        "al. 2014 constrain each hidden unit's incoming weight vector the same way); stated: the slide's rule, "
        "written in the declaration: every neuron's incoming weights projected back to the ball if they are out",
        "torch divides by ‖w_j‖₂ + 1e-7 and so lands 1e-7/‖w_j‖ inside: resolution 2e-6 for c ≥ 0.1",),
    kind="identity",
    domain={
        "fan_out": integers(1, 64),
        "fan_in": integers(1, 256),
        "max_norm": floats(0.1, 10.0),
        "spread": floats(0.1, 10.0),
        "data_seed": DATA_SEED,
    },
    # w_j ← w_j · min(1, c/‖w_j‖₂) for the incoming weights w_j of every neuron j
    stated=lambda p: neuron_ball_projection(p["W"], p["max_norm"]).ravel(),
    mutants=(
        Formula("clip each incoming weight to [−c, c]", lambda p: np.clip(p["W"], -p["max_norm"], p["max_norm"]).ravel()),
        Formula("rescale every neuron's weights to norm c (inside the ball too)",
                lambda p: (p["W"] * p["max_norm"] / np.linalg.norm(p["W"], axis=1, keepdims=True)).ravel()),
        Formula("bound each neuron's outgoing weights (the columns)",
                lambda p: neuron_ball_projection(p["W"], p["max_norm"], axis=0).ravel()),
    ),
    resolution=2e-6,
    atol=1e-15,
    design=({"fan_out": 8, "fan_in": 16, "max_norm": 1.0, "spread": 1.0, "data_seed": 0},
            {"fan_out": 32, "fan_in": 100, "max_norm": 0.5, "spread": 3.0, "data_seed": 1}),
    figure=Figure(kind="points", x="spread", xlabel="typical row norm", ylabel="largest deviation", logx=True),
)
def max_norm_projection(p, ctx):
    """torch.renorm(W, 2, 0, c), flattened; W as a quantity."""
    generator = seeded_generator(p["data_seed"])
    W = p["spread"] / math.sqrt(p["fan_in"]) * torch.randn(p["fan_out"], p["fan_in"], generator=generator, dtype=F64)
    return Measurement(torch.renorm(W, 2, 0, p["max_norm"]).ravel().numpy(), quantities={"W": W.numpy()})


# === Initialization ================================================================================

# --- Initialization: all weights 0 (001-22) ----------------------------------------------------------

ZERO_INIT_STEPS = 30
ZERO_INIT_EXAMPLES = 32
ZERO_INIT_LR = 0.5
ACTIVATION_DERIVATIVES = {
    "tanh": lambda z: 1 - torch.tanh(z).square(),
    "ReLU": lambda z: (z > 0).to(z.dtype),  # σ'(0) = 0, torch's convention
    "sigmoid": lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z)),
}


def two_layer_output(U, w, x, activation: str, b=None, c=None):
    """f(x) = wᵀσ(Ux) (+ bias terms: wᵀσ(Ux + b) + c)."""
    z = x @ U.mT if b is None else x @ U.mT + b
    out = HIDDEN_ACTIVATIONS[activation](z) @ w
    return out if c is None else out + c


@claim(
    id="zero-init-gradient-formulas",
    title="For f(x) = wᵀσ(Ux): ∂f/∂w = σ(Ux) and ∂f/∂U = (w ⊙ σ'(Ux))xᵀ",
    inventory_ids=("001-22",),
    source=Source(LECTURE_001, "Initialization"),
    statement="Recall that ∂f/∂w = σ(Ux) and ∂f/∂U = (w ⊙ σ'(Ux))xᵀ.",
    assumptions=("f(x) = wᵀσ(Ux), U (hidden × n_in), w (hidden,), against autograd at random U, w, x or at U = 0, "
                 "w = 0; σ tanh, ReLU (σ'(0) = 0, as torch) or sigmoid; float64",),
    kind="identity",
    domain={
        "activation": choices(sorted(HIDDEN_ACTIVATIONS)),
        "n_in": integers(1, 20),
        "hidden": integers(1, 20),
        "at": choices(["random weights", "zero weights"]),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: np.concatenate([p["sigma_Ux"], p["outer_formula"]]),
    mutants=(Formula("∂f/∂U = (w ⊙ σ(Ux))xᵀ (σ in place of σ')",
                     lambda p: np.concatenate([p["sigma_Ux"], p["outer_with_sigma"]])),),
    resolution=1e-12,
    atol=1e-14,
    design=tuple({"activation": activation, "n_in": 5, "hidden": 4, "at": "random weights", "data_seed": 0}
                 for activation in ("sigmoid", "tanh", "ReLU")),
    figure=Figure(kind="points", x="hidden", xlabel="hidden units", ylabel="largest deviation"),
)
def zero_init_gradient_formulas(p, ctx):
    """[∂f/∂w, ∂f/∂U] by autograd, flattened."""
    generator = seeded_generator(p["data_seed"])
    U = torch.randn(p["hidden"], p["n_in"], generator=generator, dtype=F64)
    w = torch.randn(p["hidden"], generator=generator, dtype=F64)
    x = torch.randn(p["n_in"], generator=generator, dtype=F64)
    if p["at"] == "zero weights":
        U, w = torch.zeros_like(U), torch.zeros_like(w)
    U.requires_grad_(), w.requires_grad_()
    grad_w, grad_U = torch.autograd.grad(two_layer_output(U, w, x, p["activation"]), (w, U))
    Ux = (U @ x).detach()
    sigma, derivative = HIDDEN_ACTIVATIONS[p["activation"]](Ux), ACTIVATION_DERIVATIVES[p["activation"]](Ux)
    quantities = {"sigma_Ux": sigma.numpy(),
                  "outer_formula": torch.outer(w.detach() * derivative, x).ravel().numpy(),
                  "outer_with_sigma": torch.outer(w.detach() * sigma, x).ravel().numpy()}
    return Measurement(torch.cat([grad_w.ravel(), grad_U.ravel()]).numpy(), quantities=quantities)


@functools.lru_cache(maxsize=512)
def zero_init_training(activation: str, biases: bool, n_in: int, hidden: int, data_seed: int) -> dict:
    """Gradient descent on ½ mean (f(x) − y)² from all-zero parameters: what the gradients and the
    hidden units do. Data: x ~ N(0, I), y = sin(vᵀx) + 0.5, v ~ N(0, I), from the data seed."""
    generator = seeded_generator(data_seed)
    x = torch.randn(ZERO_INIT_EXAMPLES, n_in, generator=generator, dtype=F64)
    y = torch.sin(x @ torch.randn(n_in, generator=generator, dtype=F64)) + 0.5
    U, w = torch.zeros(hidden, n_in, dtype=F64), torch.zeros(hidden, dtype=F64)
    b, c = (torch.zeros(hidden, dtype=F64), torch.zeros((), dtype=F64)) if biases else (None, None)
    params = [t for t in (U, w, b, c) if t is not None]
    first_weight_gradient = first_bias_gradient = None
    weight_sizes, unit_spreads = [], []
    for _ in range(ZERO_INIT_STEPS):
        for t in params:
            t.requires_grad_()
        loss = 0.5 * (two_layer_output(U, w, x, activation, b, c) - y).square().mean()
        grads = torch.autograd.grad(loss, params)
        if first_weight_gradient is None:
            first_weight_gradient = max(float(grads[0].abs().max()), float(grads[1].abs().max()))
            first_bias_gradient = max((float(g.abs().max()) for g in grads[2:]), default=0.0)
        with torch.no_grad():
            params = [t - ZERO_INIT_LR * g for t, g in zip(params, grads)]
        U, w = params[0], params[1]
        b, c = (params[2], params[3]) if biases else (None, None)
        weight_sizes.append(max(float(U.abs().max()), float(w.abs().max())))
        # hidden unit j is (U_j, w_j, b_j): its largest difference from unit 0
        units = torch.cat([U, w[:, None]] + ([b[:, None]] if b is not None else []), dim=1).detach()
        unit_spreads.append(float((units - units[:1]).abs().max()))
    return {"first_weight_gradient": first_weight_gradient, "first_bias_gradient": first_bias_gradient,
            "weight_sizes": weight_sizes, "unit_spreads": unit_spreads}


def zero_init_run(p) -> dict:
    return zero_init_training(p["activation"], p["biases"], p["n_in"], p["hidden"], p["data_seed"])


ALL_ZERO, SOME_NONZERO = "all weight gradients are 0", "some weight gradients are nonzero"
STAY, MOVE = "the weights stay at 0", "the weights move"
ZERO_INIT_DOMAIN = {  # discrete: the behaviour is structural, and each run is shared by both claims below
    "biases": choices([False, True]),
    "n_in": choices([1, 3, 10]),
    "hidden": choices([2, 5, 16]),
    "data_seed": choices([0, 1, 2]),
}
ZERO_INIT_ASSUMPTIONS = (
    "f(x) = wᵀσ(Ux), or wᵀσ(Ux + b) + c with biases (zero-initialized too; not weights), all parameters 0; "
    f"½ mean squared error on {ZERO_INIT_EXAMPLES} examples x ~ N(0, I), y = sin(vᵀx) + 0.5; "
    f"{ZERO_INIT_STEPS} steps of gradient descent, η = {ZERO_INIT_LR}, gradients by autograd, float64",
)


@claim(
    id="zero-init-training-stops",
    title="Initializing all weights to 0: all gradients are 0 and training stops",
    inventory_ids=("001-22",),
    source=Source(LECTURE_001, "Initialization"),
    statement=("Idea: initialize all the weights to 0? Problem 1: training stops since all gradients are 0. "
               "Recall that ∂f/∂w = σ(Ux) and ∂f/∂U = (w ⊙ σ'(Ux))xᵀ."),
    assumptions=ZERO_INIT_ASSUMPTIONS + (
        "classification: 'all weight gradients are 0' if ∂/∂w and ∂/∂U at the zero initialization are exactly 0.0; "
        "'the weights stay at 0' if every entry of U and w is exactly 0.0 after every step",
        "σ is not defined in this lecture; each activation is a reading. With biases the output bias c gets a "
        "nonzero gradient (it learns the mean of y); the weights' behaviour is what is classified",
    ),
    preset=BEHAVIOUR,
    domain=ZERO_INIT_DOMAIN,
    readings=tuple(Reading(f"σ = {name}", f"σ(z) = {formula}, σ(0) = {at_zero}", {"activation": name})
                   for name, formula, at_zero in (("tanh", "tanh z", "0"), ("ReLU", "max(z, 0)", "0"),
                                                  ("sigmoid", "1/(1 + e^(−z))", "1/2"))),
    stated=lambda p: f"{ALL_ZERO}; {STAY}",
    mutants=(Formula("the weight gradients are 0 at the zero initialization, yet the weights move (training goes on)",
                     lambda p: f"{ALL_ZERO}; {MOVE}"),),
    alternatives=(Formula("∂f/∂w = σ(0) = 1/2 ≠ 0: the weights move", lambda p: f"{SOME_NONZERO}; {MOVE}",
                          reading="σ = sigmoid"),),
    design=({"biases": False, "n_in": 3, "hidden": 5, "data_seed": 0},
            {"biases": True, "n_in": 3, "hidden": 5, "data_seed": 0}),
    figure=Figure(kind="traces", xlabel="step", ylabel="max |weight|"),
)
def zero_init_training_stops(p, ctx):
    """Whether the weight gradients at the zero initialization vanish and the weights stay at 0."""
    run = zero_init_run(p)
    gradients = ALL_ZERO if run["first_weight_gradient"] == 0.0 else SOME_NONZERO
    motion = STAY if max(run["weight_sizes"]) == 0.0 else MOVE
    return Measurement(f"{gradients}; {motion}",
                       quantities={"first_weight_gradient": run["first_weight_gradient"],
                                   "first_bias_gradient": run["first_bias_gradient"]},
                       trace={"x": np.arange(1, ZERO_INIT_STEPS + 1), "measured": run["weight_sizes"]})


IDENTICAL, DIFFERENT = "hidden units identical", "hidden units differ"


@claim(
    id="zero-init-symmetry",
    title="Initializing all weights to 0: the hidden units stay identical (the same thing learned many times)",
    inventory_ids=("001-22",),
    source=Source(LECTURE_001, "Initialization"),
    statement="Problem 2: lack of diversity in weights — learn the same thing multiple times.",
    assumptions=ZERO_INIT_ASSUMPTIONS + (
        "classification: 'hidden units identical' if after every step each hidden unit's parameters (U_j, w_j, b_j) "
        "equal unit 0's to within 1e-12 (absolute)",),
    preset=BEHAVIOUR,
    domain={"activation": choices(sorted(HIDDEN_ACTIVATIONS)), **ZERO_INIT_DOMAIN},
    stated=lambda p: IDENTICAL,
    mutants=(Formula("the hidden units diverge and learn different features", lambda p: DIFFERENT),),
    design=tuple({"activation": activation, "biases": biases, "n_in": 3, "hidden": 5, "data_seed": 0}
                 for activation, biases in (("sigmoid", False), ("sigmoid", True), ("tanh", True), ("ReLU", False))),
    figure=Figure(kind="traces", xlabel="step", ylabel="max difference between hidden units"),
)
def zero_init_symmetry(p, ctx):
    """Whether the hidden units' parameters stay equal along gradient descent from zero."""
    run = zero_init_run(p)
    label = IDENTICAL if max(run["unit_spreads"]) <= 1e-12 else DIFFERENT
    return Measurement(label, quantities={"largest_weight": max(run["weight_sizes"])},
                       trace={"x": np.arange(1, ZERO_INIT_STEPS + 1), "measured": run["unit_spreads"]})


# --- Initialization: the output variance (001-23, 001-24) ---------------------------------------------

SCHEMES = ("lecun", "xavier", "he")
TORCH_SCHEMES = {  # what each name means in torch.nn.init (torch has no LeCun initializer of its own)
    "lecun": lambda t, g: torch.nn.init.kaiming_normal_(t, mode="fan_in", nonlinearity="linear", generator=g),
    "xavier": lambda t, g: torch.nn.init.xavier_normal_(t, gain=1.0, generator=g),
    "he": lambda t, g: torch.nn.init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu", generator=g),
}


def weight_variance(p) -> float:
    """σ² of one weight: the point's σ (001-23) or the scheme's variance as the lecture gives it (001-24)."""
    if p["scheme"] == "N(0, σ²)":
        return p["sigma"] ** 2
    return init_variance(p["scheme"], p["fan_in"], p["fan_out"])  # 1/n_in, 2/(n_in + n_out), 2/n_in


def output_variance(p) -> float:
    """V[o] = n_in σ² γ²."""
    return p["fan_in"] * weight_variance(p) * p["gamma"] ** 2


def neuron_output_moment(p, ctx):
    """Monte Carlo mean of o (or o²) for o = Σ_i w_i x_i, w_i ~ N(0, σ²), x_i = γ z_i, fresh per replicate."""
    draw, quantities = neuron_output_sampler(p, ctx, weight_variance=weight_variance(p))
    return ctx.mean(draw, bytes_per_replicate=4 * p["fan_in"] * ctx.dtype.itemsize, quantities=quantities)


OUTPUT_DOMAIN = {
    "fan_in": integers(1, 128),
    "gamma": floats(0.1, 10.0),
    "input_distribution": choices(DISTRIBUTIONS),
    "inputs": choices(["random"]),
}
OUTPUT_ASSUMPTIONS = (
    "x_i = γ z_i with z_i i.i.d. standardized normal, uniform or exponential (skewed) draws, independent of the "
    "weights; one fresh weight vector and input per replicate (theorems.catalogue.kit.neuron_output_sampler)",
    "resolution 10 %: o² is heavy-tailed (kurtosis 27 at n_in = 1 with exponential inputs), and the wrong versions "
    "worth catching are off by factors (n_in, 2, a square root)",
)


@claim(
    id="init-output-moments",
    title="o = Σ w_i x_i with w_i ~ N(0, σ²), E[x_i] = 0, V[x_i] = γ²: E[o] = 0 and V[o] = n_in σ² γ²",
    inventory_ids=("001-23",),
    source=Source(LECTURE_001, "Initialization"),
    statement=("Consider o = Σ_{i=1}^{n_in} w_i x_i, w_i ~ N(0, σ²), where E[x_i] = 0, V[x_i] = γ² and x_i, w_i are "
               "independent. We have E[o] = 0 and V[o] = n_in σ² γ²."),
    assumptions=OUTPUT_ASSUMPTIONS + (
        "moment 'mean' measures o against 0 with the resolution relative to √(n_in σ² γ²), the sd of o; "
        "'variance' measures o² against n_in σ² γ²",),
    kind="stochastic",
    domain={"moment": choices(["variance", "mean"]), "scheme": choices(["N(0, σ²)"]),
            "sigma": floats(0.05, 5.0), "fan_out": choices([1]), **OUTPUT_DOMAIN},
    stated=lambda p: 0.0 if p["moment"] == "mean" else output_variance(p),
    mutants=(
        Formula("V[o] = √n_in σ γ (standard deviations in place of variances)",
                lambda p: 0.0 if p["moment"] == "mean" else math.sqrt(output_variance(p))),
        Formula("V[o] = σ² γ² (the n_in terms not summed)",
                lambda p: 0.0 if p["moment"] == "mean" else output_variance(p) / p["fan_in"]),
    ),
    scale=lambda p: math.sqrt(output_variance(p)) if p["moment"] == "mean" else None,
    resolution=0.1,
    samples_factor=2.5,  # a larger pilot: o² is heavy-tailed, and a small pilot underestimates its spread
    design=tuple({"moment": "variance", "scheme": "N(0, σ²)", "sigma": 0.5, "fan_out": 1, "fan_in": fan_in,
                  "gamma": 3.0, "input_distribution": distribution, "inputs": "random"}
                 for fan_in, distribution in ((64, "normal"), (4, "exponential"), (1, "uniform"), (128, "normal")))
    + ({"moment": "mean", "scheme": "N(0, σ²)", "sigma": 0.5, "fan_out": 1, "fan_in": 16, "gamma": 3.0,
        "input_distribution": "exponential", "inputs": "random"},),
    figure=Figure(kind="points", x="fan_in", xlabel="fan-in n_in", ylabel="E[o²] (or E[o])", logx=True,
                  series="moment"),
)
def init_output_moments(p, ctx):
    """E[o] or E[o²] under N(0, σ²) weights."""
    return neuron_output_moment(p, ctx)


@claim(
    id="init-scheme-output-variance",
    title="Under LeCun, Xavier and He weights the output variance is n_in σ² γ² with σ² = 1/n_in, 2/(n_in + n_out), 2/n_in",
    inventory_ids=("001-24",),
    source=Source(LECTURE_001, "Initialization"),
    statement=("LeCun initialization (1990s): w_i ~ N(0, 1/n_in); Xavier initialization (2010): w_i ~ N(0, 2/(n_in + "
               "n_out)); He initialization (2015): w_i ~ N(0, 2/n_in). (With V[o] = n_in σ² γ²: γ², "
               "2n_in γ²/(n_in + n_out) and 2γ².)"),
    assumptions=OUTPUT_ASSUMPTIONS + ("the scheme's variance as the slide writes it, o² against n_in σ² γ²",),
    kind="stochastic",
    domain={"moment": choices(["variance"]), "scheme": choices(SCHEMES), "sigma": choices([0.0]),
            "fan_out": integers(1, 1024), **OUTPUT_DOMAIN},
    stated=output_variance,
    mutants=(
        Formula("n_out in place of n_in (fans swapped)",
                lambda p: p["fan_in"] * init_variance(p["scheme"], p["fan_out"], p["fan_in"]) * p["gamma"] ** 2),
        Formula("V[o] = γ² for every scheme (all preserve the variance)", lambda p: p["gamma"] ** 2),
    ),
    resolution=0.1,
    samples_factor=2.5,  # a larger pilot: o² is heavy-tailed, and a small pilot underestimates its spread
    design=tuple({"moment": "variance", "scheme": scheme, "sigma": 0.0, "fan_out": 256, "fan_in": 16, "gamma": 2.0,
                  "input_distribution": "normal", "inputs": "random"} for scheme in ("xavier", "he", "lecun")),
    figure=Figure(kind="points", x="fan_in", xlabel="fan-in n_in", ylabel="E[o²]", logx=True, logy=True,
                  series="scheme"),
)
def init_scheme_output_variance(p, ctx):
    """E[o²] under the scheme's N(0, σ²) weights."""
    return neuron_output_moment(p, ctx)


@claim(
    id="init-schemes-match-torch",
    title="torch.nn.init's LeCun (kaiming, linear), xavier_normal_ and kaiming_normal_ (ReLU) draw with the slide's variances",
    inventory_ids=("001-24",),
    source=Source(LECTURE_001, "Initialization"),
    statement=("LeCun initialization: w_i ~ N(0, 1/n_in); Xavier initialization: w_i ~ N(0, 2/(n_in + n_out)); "
               "He initialization: w_i ~ N(0, 2/n_in)."),
    assumptions=(
        "torch.nn.init on a (n_out × n_in) float64 weight: LeCun = kaiming_normal_(mode='fan_in', "
        "nonlinearity='linear'), Xavier = xavier_normal_(gain=1), He = kaiming_normal_(mode='fan_in', "
        "nonlinearity='relu'); the variance it draws with is read exactly as (its draw / the standard normal draw "
        "of the same generator state)², entry by entry",),
    kind="identity",
    domain={"scheme": choices(SCHEMES), "fan_in": integers(1, 256), "fan_out": integers(1, 256),
            "data_seed": DATA_SEED},
    stated=lambda p: init_variance(p["scheme"], p["fan_in"], p["fan_out"]),
    mutants=(
        Formula("n_out in place of n_in", lambda p: init_variance(p["scheme"], p["fan_out"], p["fan_in"])),
        Formula("the slide's value is the standard deviation", lambda p: init_variance(
            p["scheme"], p["fan_in"], p["fan_out"]) ** 2),
    ),
    resolution=1e-12,
    design=tuple({"scheme": scheme, "fan_in": 300, "fan_out": 10, "data_seed": 0} for scheme in SCHEMES),
    figure=Figure(kind="points", x="fan_in", xlabel="fan-in n_in", ylabel="torch's weight variance", logx=True,
                  logy=True, series="scheme"),
)
def init_schemes_match_torch(p, ctx):
    """(torch.nn.init draw / same-state standard normal draw)², every entry of the weight."""
    shape = (p["fan_out"], p["fan_in"])
    weight = TORCH_SCHEMES[p["scheme"]](torch.empty(shape, dtype=F64), seeded_generator(p["data_seed"]))
    standard = torch.randn(shape, generator=seeded_generator(p["data_seed"]), dtype=F64)
    return Measurement((weight / standard).square().ravel().numpy())


# === Normalization =================================================================================

# --- Data Preprocessing (001-25) ------------------------------------------------------------------------

FLOAT_DATA = ("gaussian", "skewed")
ALL_DATA = FLOAT_DATA + ("a constant column", "uint8 pixels")


def data_matrix(p) -> np.ndarray:
    """An N × D data matrix, each example in a row: gaussian or skewed (exponential) float64 features with
    offsets and scales from 1e-3 to 1e3, the same with one constant (integer-valued) column, or uint8 pixels."""
    generator = seeded_generator(p["data_seed"])
    N, D = p["N"], p["D"]
    if p["data"] == "uint8 pixels":
        return torch.randint(0, 256, (N, D), generator=generator, dtype=torch.uint8).numpy()
    z = torch.randn(N, D, generator=generator, dtype=F64)
    if p["data"] == "skewed":
        z = -torch.log1p(-torch.rand(N, D, generator=generator, dtype=F64))
    scales = 10 ** (6 * torch.rand(D, generator=generator, dtype=F64) - 3)
    offsets = scales * 10 * torch.randn(D, generator=generator, dtype=F64)
    X = offsets + scales * z
    if p["data"] == "a constant column":
        X[:, 0] = round(float(offsets[0]))  # e.g. a pixel that is always 0 or always 255: its mean is exact
    return X.numpy()


@claim(
    id="standardize-features",
    title="X −= mean(X, axis=0); X /= std(X, axis=0) gives zero-mean, unit-variance features",
    inventory_ids=("001-25",),
    source=Source(LECTURE_001, "Data Preprocessing"),
    statement=("X -= np.mean(X, axis = 0); X /= np.std(X, axis = 0) (assume X [N×D] is data matrix, each example "
               "in a row): zero-mean, unit-variance features."),
    assumptions=(
        "the slide's numpy code run as written on X; measured: np.mean(X, axis=0) and np.std(X, axis=0) (ddof = 0, "
        "the code's own convention) afterwards, against 0 and 1 (tolerance 1e-10); a matrix the code cannot "
        "process (numpy raises) or turns into NaN is measured as NaN",
        "features: N(0, 1) or exponential draws, scaled and offset per column by up to 1e3; N from 1 to 200",
        "with np.std(ddof=1) (the sample variance, torch.std's default) the same features have std √(N/(N − 1))",
    ),
    kind="identity",
    domain={"N": integers(1, 200), "D": integers(1, 20), "data": choices(ALL_DATA),
            "data_seed": DATA_SEED},
    readings=(
        Reading("floating-point features that vary", "the implicit assumption of the code: X a float array and "
                "every column non-constant (N ≥ 2)", {"matrices": "non-degenerate"}),
        Reading("any data matrix", "any N × D data matrix: integer pixel arrays, constant columns (e.g. MNIST's "
                "border pixels), a single example", {"matrices": "any"}),
    ),
    constraint=lambda p: p.get("matrices") != "non-degenerate" or (p["data"] in FLOAT_DATA and p["N"] >= 2),
    stated=lambda p: np.concatenate([np.zeros(p["D"]), np.ones(p["D"])]),
    mutants=(Formula("unit variance in torch.std's sense: np.std(X, axis=0) = √((N − 1)/N) afterwards",
                     lambda p: np.concatenate([np.zeros(p["D"]), np.full(p["D"], math.sqrt(max(p["N"] - 1, 0) / p["N"]))])),),
    resolution=1e-10,
    atol=1e-10,
    may_diverge=True,
    design=({"N": 2, "D": 3, "data": "gaussian", "data_seed": 0}, {"N": 100, "D": 5, "data": "skewed", "data_seed": 1}),
    figure=Figure(kind="points", x="N", xlabel="examples N", ylabel="largest deviation", logx=True, series="data"),
)
def standardize_features(p, ctx):
    """[column means, column stds] after the slide's two lines, NaN where numpy cannot run them."""
    X = data_matrix(p)
    nan = np.full(2 * p["D"], np.nan)
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            X -= np.mean(X, axis=0)
            X /= np.std(X, axis=0)
    except TypeError as error:  # numpy's UFuncTypeError: integer arrays cannot hold the float result in place
        return Measurement(nan, quantities={"error": f"{type(error).__name__}: {error}"})
    return Measurement(np.concatenate([np.mean(X, axis=0), np.std(X, axis=0)]), quantities={"error": None})


# --- Batch Normalization (001-26) --------------------------------------------------------------------

BN_DOMAIN = {
    "B": integers(2, 64),
    "C": integers(1, 16),
    "feature_scale": floats(1e-3, 1e3),
    "data_seed": DATA_SEED,
}
BN_DESIGN = ({"B": 8, "C": 4, "feature_scale": 1.0, "data_seed": 0}, {"B": 2, "C": 3, "feature_scale": 1e-2, "data_seed": 1},
             {"B": 32, "C": 8, "feature_scale": 1e2, "data_seed": 2})
BN_REPRESENTATIVE = ({"B": 32, "C": 8, "feature_scale": 1.0, "data_seed": 0},)  # unit-scale features, torch's eps
BN_ASSUMPTIONS = ("a mini-batch x (B × C) with per-dimension means ~ feature_scale·N(0, 4) and sds feature_scale·"
                  "U[0.5, 2]; float64; torch.nn.BatchNorm1d(C, eps=1e-5, momentum=0.1)",
                  "representative: features of unit scale (standardized inputs, as 001-25 prepares them) at torch's "
                  "default ε = 1e-5")
BN_EPS = 1e-5
BN_NO_EPS = 1e-300  # "without ε" in torch, which refuses ε = 0 in training: nothing next to a variance ≥ 1e-8
BN_MATERIALITY = 1e-3
BN_MATERIALITY_REASON = (
    "ε in the normalization shrinks x̂ by √(Var/(Var + ε)), about ε/(2Var) relative: a numerical guard the slide's "
    "algorithm box writes itself; an output changed by under 0.1% changes no training outcome (float32 layers "
    "round at 6e-8 and mini-batch statistics vary by about 1/√m)")


def minibatch(p, index: int = 0) -> torch.Tensor:
    generator = seeded_generator(1000 * p["data_seed"] + index)
    means = p["feature_scale"] * 2 * torch.randn(p["C"], generator=generator, dtype=F64)
    sds = p["feature_scale"] * (0.5 + 1.5 * torch.rand(p["C"], generator=generator, dtype=F64))
    return means + sds * torch.randn(p["B"], p["C"], generator=generator, dtype=F64)


def batch_statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """μ_B = (1/m) Σ x_i and σ_B² = (1/m) Σ (x_i − μ_B)², per dimension."""
    mean = x.mean(dim=0)
    return mean, (x - mean).square().mean(dim=0)


def scale_and_shift(p) -> tuple[torch.Tensor, torch.Tensor]:
    """Random γ, β of the point's layer."""
    generator = seeded_generator(p["data_seed"] + 5)
    return torch.randn(p["C"], generator=generator, dtype=F64), torch.randn(p["C"], generator=generator, dtype=F64)


def batch_norm_lines(p, *, variance_divisor: int = 0, eps_inside: bool = True) -> np.ndarray:
    """The slide's four lines on the quantities x (m × C), γ, β, ε: μ_B ← (1/m) Σ x_i;
    σ_B² ← (1/(m − divisor)) Σ (x_i − μ_B)²; x̂_i ← (x_i − μ_B)/√(σ_B² + ε) (or /(σ_B + ε)); y_i ← γx̂_i + β."""
    x, m = p["x"], len(p["x"])
    mu = x.sum(axis=0) / m
    var = ((x - mu) ** 2).sum(axis=0) / (m - variance_divisor)
    x_hat = (x - mu) / (np.sqrt(var + p["eps"]) if eps_inside else np.sqrt(var) + p["eps"])
    return (p["gamma"] * x_hat + p["beta"]).ravel()


@claim(
    id="batch-norm-training",
    title="Batch normalization normalizes each dimension by the mini-batch mean and variance, then scales and shifts",
    inventory_ids=("001-26",),
    source=Source(LECTURE_001, "Batch Normalization"),
    statement=("μ_B ← (1/m) Σ x_i; σ_B² ← (1/m) Σ (x_i − μ_B)²; x̂_i ← (x_i − μ_B)/√(σ_B² + ε); y_i ← γx̂_i + β "
               "≡ BN_{γ,β}(x_i), for each dimension over the mini-batch."),
    assumptions=BN_ASSUMPTIONS + ("measured: torch.nn.BatchNorm1d in training mode with random γ, β; stated: "
                                  "the slide's four lines on the same x, γ, β and ε",),
    kind="identity",
    domain=BN_DOMAIN,
    stated=lambda p: batch_norm_lines(p),
    mutants=(
        Formula("σ_B² with 1/(m − 1) (the unbiased variance)", lambda p: batch_norm_lines(p, variance_divisor=1)),
        Formula("x̂ = (x − μ_B)/(σ_B + ε) (ε outside the root)", lambda p: batch_norm_lines(p, eps_inside=False)),
    ),
    resolution=1e-9,
    atol=1e-9,
    design=BN_DESIGN,
    representative=BN_REPRESENTATIVE,
    figure=Figure(kind="points", x="B", xlabel="mini-batch size m", ylabel="largest deviation", logx=True),
)
def batch_norm_training(p, ctx):
    """torch.nn.BatchNorm1d's training-mode output, flattened; its input, γ, β and ε as quantities."""
    x = minibatch(p)
    gamma, beta = scale_and_shift(p)
    layer = torch.nn.BatchNorm1d(p["C"], eps=BN_EPS, dtype=F64).train()
    with torch.no_grad():
        layer.weight.copy_(gamma), layer.bias.copy_(beta)
        output = layer(x)
    return Measurement(output.ravel().numpy(), quantities={"x": x.numpy(), "gamma": gamma.numpy(),
                                                           "beta": beta.numpy(), "eps": BN_EPS})


@claim(
    id="batch-norm-identity-recovery",
    title="Batch normalization can recover the identity with γ = √Var[x], β = E[x]",
    inventory_ids=("001-26",),
    source=Source(LECTURE_001, "Batch Normalization"),
    statement=("Normalize: x̂ = (x − E[x])/√Var[x], and then y = γx̂ + β. Note, the network can learn γ = √Var[x], "
               "β = E[x] to recover the identity mapping."),
    assumptions=BN_ASSUMPTIONS + (
        "E[x], Var[x] the mini-batch's mean and (1/m) variance, per dimension ('compute the empirical mean and "
        "variance independently for each dimension'); measured: torch.nn.BatchNorm1d in training mode with "
        "weight γ = √Var[x] and bias β = E[x], against y = x (tolerance 1e-9 relative + 1e-12 absolute)",),
    kind="identity",
    domain=BN_DOMAIN,
    readings=(
        Reading("normalization without ε", "the slide's x̂ = (x − E[x])/√Var[x] (BatchNorm1d with ε = 1e-300)",
                {"eps": 0.0}),
        Reading("normalization with ε", f"the algorithm's x̂ = (x − μ_B)/√(σ_B² + ε), ε = {BN_EPS} (torch's default)",
                {"eps": BN_EPS}),
    ),
    stated=lambda p: p["x"].ravel(),  # y = x: the identity mapping
    mutants=(
        Formula("y = x̂: the scale and shift do not undo the normalization",
                lambda p: ((p["x"] - p["x"].mean(axis=0)) / p["x"].std(axis=0)).ravel()),
    ),
    alternatives=(Formula("y = E[x] + (x − E[x])·√(Var[x]/(Var[x] + ε))", lambda p: (
        p["x"].mean(axis=0) + (p["x"] - p["x"].mean(axis=0)) * np.sqrt(p["x"].var(axis=0) / (p["x"].var(axis=0)
                                                                                      + p["eps"]))).ravel(),
        reading="normalization with ε"),),
    preset=EXACT_TO_ROUNDING,
    scale=lambda p: float(p["x"].std(axis=0).min()),  # relative to the features' spread, not to |x| (which may be 0)
    design=BN_DESIGN,
    representative=BN_REPRESENTATIVE,
    materiality=BN_MATERIALITY,
    materiality_reason=BN_MATERIALITY_REASON,
    figure=Figure(kind="points", x="feature_scale", xlabel="feature scale (√Var[x])", ylabel="largest |y − x|",
                  logx=True),
)
def batch_norm_identity_recovery(p, ctx):
    """torch.nn.BatchNorm1d(eps) in training mode with γ = √Var[x], β = E[x]: its output, flattened."""
    x = minibatch(p)
    mean, var = batch_statistics(x)
    eps = p["eps"] or BN_NO_EPS  # torch refuses ε = 0 in training mode
    layer = torch.nn.BatchNorm1d(p["C"], eps=eps, dtype=F64).train()
    with torch.no_grad():
        layer.weight.copy_(var.sqrt()), layer.bias.copy_(mean)  # γ = √Var[x], β = E[x]
        output = layer(x)
    return Measurement(output.ravel().numpy(), quantities={"x": x.numpy()})


BN_TRAINING_BATCHES = 5
BN_MOMENTUM = 0.1


def running_average_rule(p, *, unbiased: bool = True, test_statistics: bool = False) -> np.ndarray:
    """[test output, μ̄, v̄] by the rule: μ̄ ← (1 − momentum)μ̄ + momentum·μ_B and v̄ likewise of the batch
    variances (unbiased, × m/(m − 1), as torch does), from μ̄ = 0, v̄ = 1; the test batch normalized by
    (μ̄, v̄): x̂ = (x − μ̄)/√(v̄ + ε), y = γx̂ + β (``test_statistics``: by the test batch's own μ_B, σ_B²)."""
    running_mean, running_var = np.zeros(p["C"]), np.ones(p["C"])
    for x in p["training_batches"]:
        m = len(x)
        var = x.var(axis=0) * (m / (m - 1) if unbiased else 1.0)
        running_mean = (1 - BN_MOMENTUM) * running_mean + BN_MOMENTUM * x.mean(axis=0)
        running_var = (1 - BN_MOMENTUM) * running_var + BN_MOMENTUM * var
    test = p["test_batch"]
    mean, var = (test.mean(axis=0), test.var(axis=0)) if test_statistics else (running_mean, running_var)
    output = p["gamma"] * (test - mean) / np.sqrt(var + BN_EPS) + p["beta"]
    return np.concatenate([output.ravel(), running_mean, running_var])


@claim(
    id="batch-norm-inference",
    title="At inference, batch normalization uses the saved running averages of the batch statistics",
    inventory_ids=("001-26",),
    source=Source(LECTURE_001, "Batch Normalization"),
    statement="At inference time, batch statistics (save running avg. mean/std) are used.",
    assumptions=BN_ASSUMPTIONS + (
        f"{BN_TRAINING_BATCHES} training batches through torch.nn.BatchNorm1d, then one test batch in eval mode; "
        "measured: [the eval output, the saved running_mean, running_var]; stated: the normalization with running "
        f"averages μ̄ ← (1 − {BN_MOMENTUM})μ̄ + {BN_MOMENTUM}μ_B and v̄ likewise of the unbiased batch variances "
        "(torch's convention: an exponential running average of the variance, not of the std), from μ̄ = 0, v̄ = 1, "
        "computed from the batches themselves",),
    kind="identity",
    domain=BN_DOMAIN,
    stated=lambda p: running_average_rule(p),
    mutants=(
        Formula("inference normalizes by the test batch's own statistics",
                lambda p: running_average_rule(p, test_statistics=True)),
        Formula("the running variance averages the biased σ_B²", lambda p: running_average_rule(p, unbiased=False)),
    ),
    preset=EXACT_TO_ROUNDING,
    design=BN_DESIGN,
    representative=BN_REPRESENTATIVE,
    figure=Figure(kind="points", x="B", xlabel="mini-batch size m", ylabel="largest deviation", logx=True),
)
def batch_norm_inference(p, ctx):
    """[eval-mode output on a test batch, running_mean, running_var] of torch.nn.BatchNorm1d; the batches,
    γ and β as quantities."""
    gamma, beta = scale_and_shift(p)
    layer = torch.nn.BatchNorm1d(p["C"], eps=BN_EPS, momentum=BN_MOMENTUM, dtype=F64).train()
    with torch.no_grad():
        layer.weight.copy_(gamma), layer.bias.copy_(beta)
        batches = [minibatch(p, index) for index in range(BN_TRAINING_BATCHES)]
        for x in batches:
            layer(x)
        test = minibatch(p, BN_TRAINING_BATCHES)
        output = layer.eval()(test)
    measured = np.concatenate([output.ravel().numpy(), layer.running_mean.numpy(), layer.running_var.numpy()])
    return Measurement(measured, quantities={"training_batches": [x.numpy() for x in batches],
                                             "test_batch": test.numpy(), "gamma": gamma.numpy(),
                                             "beta": beta.numpy()})
