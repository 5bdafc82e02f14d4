"""Notes 002, "Lecture 12" handwritten notes (002_1f3d2f34a8594b59.txt).

*TRAIN* (002-01): initialize W_ij^(l) ~ N(0, σ²/m_l) with σ² small; a unit's output then has
variance σ² times the mean square of its inputs, whatever the layer's width.

*Stochastic Grad Descent* (002-02): the minibatch gradient g_B = (1/n') Σ_{i∈B} g_i with
i ~ unif[1:n] is g + ε with mean(ε) = 0, Var(ε) = σ²/n', std(ε) = σ/√n'.

*Why SGD "faster" than GD?* (002-03): n = 10⁶, n' = 1000 give n/n' = 1000 batches per pass, and one
iteration costs n'p instead of np.

*Theoretical convergence* (002-04): near the optimum, constant-step SGD stalls at a noise floor;
convergence needs n' → n, or averaging over the last T̃ iterations, or η → 0 like 1/t.

*Heavy Ball/Momentum* (002-05): w^{t+1} = w^t − γη g^t + (1 − γ)(w^t − w^{t−1}), "written also as"
w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1}); the derivation's lines
w^t − w^{t−1} = η g^{t−1} + (1 − η)(w^{t−1} − w^{t−2}); and the unrolled form
w^{t+1} = w^t − η{g^t + (1 − η)g^{t−1} + (1 − η)²g^{t−2} + …}; the first line is Polyak's heavy ball.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from implementations.minibatch_sgd import example_smoothness, make_sign_feature_problem, minibatch_sgd
from implementations.optimizers import heavy_ball_init, heavy_ball_update
from implementations.problems import make_logistic_regression, make_quadratic
from implementations.schedules import inverse_time
from theorems.catalogue.kit import (
    COSTLY,
    DISTRIBUTIONS,
    DOCUMENTS,
    PROBLEMS,
    SAMPLING_READINGS,
    OperationCounter,
    fitted_exponent,
    log_spaced_integers,
    minibatch_bytes,
    minibatch_deviation_sampler,
    neuron_output_sampler,
    sample_indices,
    sampled_estimate_sampler,
    with_sampling,
)
from theorems.core.claim import BEHAVIOUR, EXACT_TO_ROUNDING, Figure, Formula, Measurement, Reading, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers

NOTES_002 = DOCUMENTS["002"]

# --- TRAIN: initialization (002-01) --------------------------------------------------------------


def init_input_energy(p) -> float:
    """Σ x_i² of the fixed input, or its expectation m_l γ² for random inputs."""
    return p["x"] @ p["x"] if p["inputs"] == "fixed" else p["fan_in"] * p["gamma"] ** 2


def init_output_variance_stated(p) -> float:
    """Var(o) = (σ²/m_l) Σ x_i²: σ² times the inputs' mean square (E o = 0 for the mean)."""
    return 0.0 if p["moment"] == "mean" else p["sigma2"] / p["fan_in"] * init_input_energy(p)


@claim(
    id="lecture12-init-output-variance",
    search_factor=COSTLY,
    title="Weights W_ij ~ N(0, σ²/m_l) give a unit's output variance σ² times its inputs' mean square",
    inventory_ids=("002-01",),
    source=Source(NOTES_002, "TRAIN"),
    statement="1. Init W with small random values W_ij^(l) ~ N(0, σ² 1/m_l), σ² small",
    assumptions=("m_l is the number of inputs of each unit of layer l (its fan-in), so o = Σ_{i=1}^{m_l} W_ij x_i",
                 "what the initialization is for is checked: E o = 0 and Var o = (σ²/m_l) Σ x_i², i.e. σ² times the "
                 "inputs' mean square for any width m_l, so a small σ² gives small outputs",
                 "inputs 'fixed': one seeded x with entries U[−1, 2]; 'random': x_i = γ z_i with z_i standardized "
                 "normal, uniform or exponential draws, fresh per replicate",
                 "the mean's resolution is relative to the output's standard deviation"),
    kind="stochastic",
    domain={
        "moment": choices(["variance", "mean"]),
        "inputs": choices(["random", "fixed"]),
        "fan_in": integers(1, 128),
        "sigma2": floats(1e-4, 1.0),
        "gamma": floats(0.1, 3.0),
        "input_distribution": choices(DISTRIBUTIONS),
        "data_seed": DATA_SEED,
    },
    stated=init_output_variance_stated,
    mutants=(
        Formula("Var(o) = σ² Σ x_i² (the 1/m_l left out)",
                lambda p: 0.0 if p["moment"] == "mean" else p["sigma2"] * init_input_energy(p)),
        Formula("Var(o) = σ²/m_l² Σ x_i² (1/m_l on the standard deviation too)",
                lambda p: 0.0 if p["moment"] == "mean" else p["sigma2"] / p["fan_in"] ** 2 * init_input_energy(p)),
    ),
    resolution=0.05,
    scale=lambda p: math.sqrt(p["sigma2"] / p["fan_in"] * init_input_energy(p)) if p["moment"] == "mean" else None,
    design=tuple({"moment": "variance", "inputs": "random", "fan_in": m, "sigma2": 0.01, "gamma": 1.0,
                  "input_distribution": "normal", "data_seed": 0} for m in (1, 16, 128, 4, 64)),
    figure=Figure(kind="points", x="fan_in", xlabel="fan-in m_l", ylabel="Var of a unit's output",
                  logx=True, logy=True, series="inputs"),
)
def lecture12_init_output_variance(p, ctx):
    """Monte Carlo mean of o² (or o) over fresh weights W_ij ~ N(0, σ²/m_l)."""
    draw, quantities = neuron_output_sampler(p, ctx, weight_variance=p["sigma2"] / p["fan_in"])
    return ctx.mean(draw, bytes_per_replicate=3 * 8 * p["fan_in"], quantities=quantities)


# --- Stochastic Grad Descent: g_B = g + ε (002-02) ------------------------------------------------
# σ² = Var{g_i} over a uniformly drawn example; for gradient vectors the total variance (the trace
# of the covariance Σ¹). The minibatch covariance is measured once, in minibatch_covariance, which
# problem set 004's Σ^B = Σ¹/B (004-08) shares.

MINIBATCH_DOMAIN = {
    "problem": choices(PROBLEMS),
    "N": integers(2, 256),
    "d": integers(1, 12),
    "B": integers(1, 64),
    "data_seed": DATA_SEED,
}


def minibatch_constraint(p) -> bool:
    """n' ≤ n, and n ≥ d (a least-squares problem needs it for a unique minimizer)."""
    return p["d"] <= p["N"] and p["B"] <= p["N"]


MINIBATCH_ASSUMPTIONS = (
    "g_i = ∇f_i(w) of a generated least-squares or logistic-regression problem with n = N examples, at a "
    "point w away from the minimizer; the minibatch has n' = B of its examples, drawn by the reading's sampling",
)
def without_replacement_variance(p) -> float:
    """σ²/n' · (n − n')/(n − 1): the variance of the mean of n' of n values drawn without replacement."""
    return p["sigma2"] / p["B"] * (p["N"] - p["B"]) / (p["N"] - 1)


@claim(
    id="minibatch-noise-mean",
    search_factor=COSTLY,
    title="The minibatch gradient's noise ε = g_B − g has mean 0",
    inventory_ids=("002-02",),
    source=Source(NOTES_002, "Stochastic Grad Descent"),
    statement="random variable: g_B = g + ε (\"noise\"), mean(ε) = 0",
    assumptions=MINIBATCH_ASSUMPTIONS + (
        "ε is compared along a seeded random unit direction u; the resolution is relative to std(u·ε)",),
    kind="stochastic",
    domain=MINIBATCH_DOMAIN,
    constraint=minibatch_constraint,
    readings=SAMPLING_READINGS,
    stated=lambda p: 0.0,
    mutants=(
        Formula("g_B = Σ_{i∈B} g_i (no 1/n'): mean(ε) = (n' − 1) g", lambda p: (p["B"] - 1) * p["full"]),
        Formula("g_B = (1/n) Σ_{i∈B} g_i: mean(ε) = (n'/n − 1) g", lambda p: (p["B"] / p["N"] - 1) * p["full"]),
    ),
    resolution=0.05,
    scale=lambda p: p["spread"] / math.sqrt(p["B"]),
    design=tuple({"problem": problem, "N": 64, "d": 5, "B": b, "data_seed": 0}
                 for problem in PROBLEMS for b in (1, 8, 64)),
    figure=Figure(kind="points", x="B", xlabel="minibatch size n'", ylabel="mean of u·ε", logx=True,
                  series="problem"),
)
def minibatch_noise_mean(p, ctx):
    """Mean over replicates of u·(g_B − g)."""
    draw, quantities = sampled_estimate_sampler({**p, "estimate": "gradient"}, ctx)
    full = quantities["full"]
    return ctx.mean(lambda n: draw(n) - full, bytes_per_replicate=minibatch_bytes(p), quantities=quantities)


def minibatch_covariance(p, ctx):
    """Mean over replicates of ‖g_B − g‖² (statistic "trace") or (g_B − g)[0]·(g_B − g)[1] ("entry"),
    g_B the average of B gradients drawn by ``p["sampling"]`` (shared by 002-02 and 004-08)."""
    draw, quantities = minibatch_deviation_sampler(p, ctx)
    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(p), quantities=quantities)


claim(
    id="minibatch-noise-variance",
    seed_key="minibatch-covariance",
    search_factor=COSTLY,
    title="The minibatch gradient's noise has variance σ²/n'",
    inventory_ids=("002-02",),
    source=Source(NOTES_002, "Stochastic Grad Descent"),
    statement="σ² = Var{g_i}, g = mean{g_i}; g_B = (1/n') Σ_{i∈B} g_i = g + ε: Var(ε) = σ²/n'",
    assumptions=MINIBATCH_ASSUMPTIONS + (
        "Var of a vector is the total variance E‖ε‖², the trace of the covariance",),
    kind="stochastic",
    domain={**MINIBATCH_DOMAIN, "statistic": choices(["trace"])},
    constraint=minibatch_constraint,
    readings=SAMPLING_READINGS,
    stated=lambda p: p["sigma2"] / p["B"],
    mutants=(
        Formula("Var(ε) = σ²/n'²", lambda p: p["sigma2"] / p["B"] ** 2),
        Formula("Var(ε) = σ²/√n'", lambda p: p["sigma2"] / math.sqrt(p["B"])),
    ),
    alternatives=(Formula("Var(ε) = (σ²/n')·(n − n')/(n − 1) (sampling without replacement)",
                          without_replacement_variance, reading="without replacement"),),
    resolution=0.05,
    scale=lambda p: p["spread"] / p["B"],
    design=tuple({"problem": "least_squares", "statistic": "trace", "N": 64, "d": 5, "B": b, "data_seed": 0}
                 for b in (1, 4, 16, 64, 2, 8, 32)),
    figure=Figure(kind="points", x="B", xlabel="minibatch size n'", ylabel="Var(ε) = E‖g_B − g‖²",
                  logx=True, logy=True, series="problem"),
)(minibatch_covariance)


@claim(
    id="minibatch-noise-std",
    title="The minibatch gradient's noise has standard deviation σ/√n'",
    inventory_ids=("002-02",),
    source=Source(NOTES_002, "Stochastic Grad Descent"),
    statement="std(ε) = σ/√n'",
    assumptions=MINIBATCH_ASSUMPTIONS + (
        "std of a vector is √(E‖ε‖²); it is estimated as the square root of the Monte Carlo mean of ‖ε‖², "
        "with its standard error by the delta method",),
    kind="stochastic",
    domain=MINIBATCH_DOMAIN,
    constraint=minibatch_constraint,
    readings=SAMPLING_READINGS,
    stated=lambda p: math.sqrt(p["sigma2"] / p["B"]),
    mutants=(
        Formula("std(ε) = σ/n'", lambda p: math.sqrt(p["sigma2"]) / p["B"]),
        Formula("std(ε) = σ²/n' (the variance)", lambda p: p["sigma2"] / p["B"]),
    ),
    alternatives=(Formula("std(ε) = (σ/√n')·√((n − n')/(n − 1)) (sampling without replacement)",
                          lambda p: math.sqrt(without_replacement_variance(p)), reading="without replacement"),),
    resolution=0.05,
    scale=lambda p: math.sqrt(p["sigma2"] / p["B"]),  # relative to σ/√n' also where the alternative is 0 (n' = n)
    design=tuple({"problem": "logistic", "N": 64, "d": 5, "B": b, "data_seed": 0} for b in (1, 4, 16, 64)),
    figure=Figure(kind="points", x="B", xlabel="minibatch size n'", ylabel="std(ε)", logx=True, logy=True,
                  series="problem"),
)
def minibatch_noise_std(p, ctx):
    """√(mean ‖g_B − g‖²), with its delta-method standard error.

    The replicates are ‖ε‖²/(2s) with s = σ/√n' the stated value: their mean m gives std = √(2sm), and
    near the stated value the standard error of m is that of the std, so the engine plans the sample
    size for the std's band.
    """
    draw, quantities = minibatch_deviation_sampler({**p, "statistic": "trace"}, ctx)
    s = math.sqrt(quantities["sigma2"] / p["B"])
    scaled = ctx.mean(lambda n: draw(n) / (2 * s), bytes_per_replicate=minibatch_bytes(p), quantities=quantities)
    std = math.sqrt(2 * s * max(scaled.value, 0.0))
    se = scaled.se * s / std if std > 0 else 0.0 if scaled.se == 0 else math.inf  # d√(2sm)/dm = s/√(2sm)
    return Measurement(std, se=se, samples=scaled.samples, quantities=quantities)


# --- Why SGD "faster" than GD? (002-03) -----------------------------------------------------------

@claim(
    id="sgd-batches-per-pass",
    title="n = 10⁶ examples in minibatches of n' = 1000 make n/n' = 1000 batches per pass",
    inventory_ids=("002-03",),
    source=Source(NOTES_002, "Why SGD \"faster\" than GD?"),
    statement="n = 10⁶, n' = 1000, t' = n/n' = 1000 = #B's in D",
    assumptions=("t' = n/n' defines the number of minibatches in one pass over D (a definition, checked for "
                 "consistency with practice): the batches a torch DataLoader(shuffle=True, batch_size=n') over n "
                 "examples yields in one pass are counted by iterating it, with their smallest and largest sizes and "
                 "the fraction of the n examples the pass visits",
                 "n' divides n, as in the notes' numbers; otherwise the last batch is short and there are ⌈n/n'⌉"),
    kind="identity",
    domain={"n": choices([10**6, 10**4, 10**5]), "n_prime": choices([1000, 100, 250, 4000])},
    constraint=lambda p: p["n"] % p["n_prime"] == 0 and p["n_prime"] < p["n"],
    stated=lambda p: np.array([p["n"] / p["n_prime"], p["n_prime"], p["n_prime"], 1.0]),
    mutants=(
        Formula("#batches = n' (the two numbers coincide at 10⁶ and 1000)",
                lambda p: np.array([p["n_prime"], p["n_prime"], p["n_prime"], 1.0])),
        Formula("#batches = √n", lambda p: np.array([math.sqrt(p["n"]), p["n_prime"], p["n_prime"], 1.0])),
    ),
    resolution=0.0,
    design=({"n": 10**6, "n_prime": 1000},),
    representative=({"n": 10**6, "n_prime": 1000},),
    figure=Figure(kind="points", x="n_prime", xlabel="minibatch size n'",
                  ylabel="[#batches, min size, max size, fraction visited]", logx=True, series="n"),
)
def sgd_batches_per_pass(p, ctx):
    """One pass of a torch DataLoader shuffling n examples into batches of n': the batches it yields, their
    smallest and largest sizes, and the fraction of the examples visited.

    The sampler is the one DataLoader(shuffle=True, batch_size=n') builds, BatchSampler(RandomSampler, n'),
    given explicitly so that each batch is fetched with one indexing operation (a pass over 10⁶ examples
    takes 0.4 s instead of 2.3 s).
    """
    data = torch.utils.data
    dataset = data.TensorDataset(torch.arange(p["n"]))
    sampler = data.BatchSampler(data.RandomSampler(dataset, generator=torch.Generator().manual_seed(0)),
                                p["n_prime"], drop_last=False)
    loader = data.DataLoader(dataset, batch_size=None, sampler=sampler)
    sizes, visited = [], torch.zeros(p["n"], dtype=torch.bool)
    for (batch,) in loader:
        sizes.append(len(batch))
        visited[batch] = True
    return Measurement(np.array([len(sizes), min(sizes), max(sizes), float(visited.float().mean())]))


NOTES_N = 10**6  # the notes' training-set size
COST_SIZES = log_spaced_integers(10, 10**4, 7)  # three decades of each size
MODELS = ("least_squares", "logistic", "mlp")


def gradient_flops(model: str, batch: int, p: int) -> int:
    """Floating-point operations of one minibatch gradient by backpropagation, on meta tensors.

    The kit's OperationCounter counts the matrix products' flops (the elementwise losses are lower
    order); "mlp" is one tanh hidden layer whose width h makes p = 10h + h parameters for 10 inputs;
    the linear models have p = d weights.
    """
    meta: dict[str, Any] = dict(device="meta", dtype=torch.float32)
    y = torch.empty(batch, 1, **meta)
    with OperationCounter() as counter:
        if model == "mlp":
            h = max(1, p // 11)
            X = torch.empty(batch, 10, **meta)
            W1 = torch.empty(10, h, requires_grad=True, **meta)
            w2 = torch.empty(h, 1, requires_grad=True, **meta)
            out = torch.tanh(X @ W1) @ w2
            loss = (out - y).square().mean()
        else:
            X = torch.empty(batch, p, **meta)
            w = torch.empty(p, 1, requires_grad=True, **meta)
            margin = X @ w
            loss = (margin - y).square().mean() if model == "least_squares" else torch.nn.functional.softplus(
                -y * margin).mean()
        loss.backward()
    return counter.flops


@claim(
    id="sgd-iteration-cost",
    search_factor=COSTLY,
    title="One SGD iteration costs n'p operations, against np for a full gradient",
    inventory_ids=("002-03",),
    source=Source(NOTES_002, "Benefits / Why SGD \"faster\" than GD?"),
    statement="1) Faster computation / iteration (I): n'p vs np",
    assumptions=("the cost of one iteration is the floating-point operations of the minibatch gradient by "
                 "backpropagation (FlopCounterMode: matrix products), for a least-squares model, a logistic "
                 "model and a one-hidden-layer MLP",
                 "measured: the log-log slope of the cost against n' (10 to 10⁴, p fixed) and against p (10 to "
                 "10⁴, n' fixed), and the cost at n' over the cost at the notes' n = 10⁶"),
    kind="scaling",
    domain={"model": choices(MODELS), "batch": choices([1000, 1, 10, 100, 10**4]),
            "p": choices([110, 11, 1100, 11000])},
    stated=lambda p: np.array([1.0, 1.0, p["batch"] / NOTES_N]),
    mutants=(
        Formula("np per iteration whatever n' (slope 0 in n')", lambda p: np.array([0.0, 1.0, 1.0])),
        Formula("n'p² per iteration", lambda p: np.array([1.0, 2.0, p["batch"] / NOTES_N])),
    ),
    resolution=1e-6,
    design=tuple({"model": model, "batch": 1000, "p": 110} for model in MODELS),
    representative=tuple({"model": model, "batch": 1000, "p": 110} for model in MODELS),  # the notes' n' = 1000
    figure=Figure(kind="points", x="p", xlabel="parameters p", ylabel="[slope in n', slope in p, cost ratio]",
                  logx=True, series="model"),
)
def sgd_iteration_cost(p, ctx):
    """Slopes of the operation count in n' and in p, and the count at n' over the count at n = 10⁶."""
    model = p["model"]
    slope_batch, _ = fitted_exponent(COST_SIZES, [gradient_flops(model, int(b), p["p"]) for b in COST_SIZES])
    slope_p, _ = fitted_exponent(COST_SIZES * 11, [gradient_flops(model, p["batch"], int(11 * s)) for s in COST_SIZES])
    ratio = gradient_flops(model, p["batch"], p["p"]) / gradient_flops(model, NOTES_N, p["p"])
    return Measurement(np.array([slope_batch, slope_p, ratio]))


# --- Theoretical convergence near the optimum (002-04) ---------------------------------------------

CONVERGES = "converges (the error keeps falling)"
BELOW = "stalls, below the constant-step noise floor"
AT = "stalls at the constant-step noise floor"
ABOVE = "stalls, above the constant-step noise floor"
GROWS = "diverges (the error grows)"
REPLICATES = 96  # runs per point, one tensor (R·N·d stays below torch's grain size: one thread)
START = 0.01  # w^0 = w* + START·N(0, I): near the optimum (the start's bias is gone by T even for n' = n)
HORIZON = 8  # the error is compared at T and HORIZON·T


def convergence_problem(p, device):
    """Least squares or ℓ2-regularized logistic regression (ℓ2 = 1/4) on ±1 features: every example's
    curvature is bounded, so a constant step below 1/max_i L_i is stable for SGD (no heavy tails)."""
    return make_sign_feature_problem(p["problem"], p["N"], p["d"], seed=p["data_seed"], device=device)


def classify_convergence(errors: list[float], floor: float | None) -> str:
    """A run's behaviour from its mean squared error at horizons T and 8T, against the constant-step
    floor (its error at 8T) when given:

    diverges if the error is not finite or grew more than twofold; converges if it fell more than
    twofold (a noise floor stays put, a 1/t rate falls eightfold); otherwise it stalls, below / at /
    above the floor by a factor 2.
    """
    early, late = errors
    if not (math.isfinite(early) and math.isfinite(late)) or late > 2 * early:
        return GROWS
    if late < 0.5 * early:
        return CONVERGES
    if floor is None:
        return AT
    return BELOW if late < 0.5 * floor else ABOVE if late > 2 * floor else AT


def near_optimum_behaviour(p, ctx):
    """Constant-step SGD and one remedy from w* + 0.01·N(0, I), 96 replicates; the remedy's label.

    η = lr_fraction/max_i L_i, horizons T = ⌈3/(ημ)⌉ (the start's bias below e^{−6}) and 8T. Remedies:
    "full batch" (n' = n); "averaged" (over the last T̃ = T/2 iterations: of the gradients g_B^t, each
    step along their average, or of the iterates w^t); "1/t steps" (η_t = η/(1 + t/τ), τ = 2/(ημ),
    so η_t ≈ 2/(μt)).
    """
    problem = convergence_problem(p, ctx.device)
    eta, mu = p["lr_fraction"] / example_smoothness(problem), problem.strong_convexity
    T = math.ceil(3 / (eta * mu))
    sampling = p["sampling"]
    start = torch.randn(REPLICATES, problem.d, generator=ctx.generator, device=ctx.device, dtype=torch.float64)
    w0 = problem.minimizer + START * start

    def batches(size):
        return lambda: sample_indices(REPLICATES, N=p["N"], B=size, sampling=sampling, ctx=ctx)

    def error(w) -> float:
        return float((w - problem.minimizer).square().sum(dim=-1).mean())

    def run(lrs, draw, window=1):
        return minibatch_sgd(problem, w0, lrs=torch.as_tensor(lrs, dtype=torch.float64), draw_indices=draw,
                             gradient_window=window)

    constant = run(np.full(HORIZON * T, eta), batches(p["B"]))
    floor = [error(constant[T]), error(constant[HORIZON * T])]
    method = p["method"]
    if method == "constant":
        errors, reference = floor, None
    elif method == "full batch":
        ws = run(np.full(HORIZON * T, eta), None if sampling == "subset" else batches(p["N"]))
        errors, reference = [error(ws[T]), error(ws[HORIZON * T])], floor[1]
    elif method == "1/t steps":
        ws = run(inverse_time(eta, tau=2 / (eta * mu))(np.arange(HORIZON * T)), batches(p["B"]))
        errors, reference = [error(ws[T]), error(ws[HORIZON * T])], floor[1]
    elif p["average"] == "iterates":
        errors, reference = [error(constant[h - h // 2 + 1: h + 1].mean(dim=0)) for h in (T, HORIZON * T)], floor[1]
    else:
        errors = [error(run(np.full(h, eta), batches(p["B"]), window=h // 2)[h]) for h in (T, HORIZON * T)]
        reference = floor[1]
    return Measurement(classify_convergence(errors, reference),
                       quantities={"errors": errors, "floor": floor[1]},
                       trace={"x": [T, HORIZON * T], "measured": errors})


CONVERGENCE_DOMAIN = {
    "problem": choices(PROBLEMS),
    "N": integers(24, 48),
    "d": integers(1, 3),
    "B": integers(1, 4),
    "lr_fraction": floats(0.25, 0.5),
    "data_seed": DATA_SEED,
}
CONVERGENCE_ASSUMPTIONS = (
    "least squares and ℓ2-regularized logistic regression (ℓ2 = 1/4) on n = N ∈ [24, 48] examples with features "
    "x_i ∈ {−1, +1}^d (implementations.minibatch_sgd.make_sign_feature_problem); minibatches of n' = B ≤ 4 ≤ N/6 "
    "indices i ~ unif[1:n], drawn with or without replacement by the reading (the notes leave it open; constant-step "
    "SGD, the floor of every comparison, is run with the same sampling); constant step η = lr_fraction/max_i L_i, "
    "lr_fraction ∈ [1/4, 1/2], stable for every example",
    "near the optimum: w^0 = w* + 0.01·N(0, I); error = mean over 96 runs of ‖w − w*‖² at horizons "
    "T = ⌈3/(ημ)⌉ (the start's bias below e^{−6} of it for constant-step SGD) and 8T",
    "classification: diverges if the error is not finite or grew more than twofold from T to 8T; converges if it "
    "fell more than twofold (a floor stays put, a 1/t rate falls eightfold); otherwise it stalls, below / at / above "
    "the constant-step floor (constant-step SGD's error at 8T, same η and n') by a factor 2",
)
CONVERGENCE_DESIGN = tuple({"problem": problem, "N": 40, "d": 2, "B": 2, "lr_fraction": f, "data_seed": 0}
                           for problem in PROBLEMS for f in (0.5, 0.25))
CONVERGENCE_FIGURE = Figure(kind="traces", xlabel="iteration", ylabel="E‖w − w*‖²", logx=True, logy=True)


def _convergence_claim(method: str, **fields):
    return claim(
        inventory_ids=("002-04",),
        source=Source(NOTES_002, "Theoretical convergence"),
        preset=BEHAVIOUR,
        domain={**CONVERGENCE_DOMAIN, "method": choices([method])},
        design=tuple({**point, "method": method} for point in CONVERGENCE_DESIGN),
        figure=CONVERGENCE_FIGURE,
        **fields,
    )(near_optimum_behaviour)


_convergence_claim(
    "constant",
    id="near-optimum-constant-step-stalls",
    seed_key="near-optimum-behaviour",
    title="Near the optimum, constant-step minibatch SGD stalls at a noise floor",
    statement="Theoretical convergence near W* optimum: [it needs] increase n' → n, average g_B over last T̃ "
              "iterations, η → 0 (like ~1/t) — so SGD with a constant η and a fixed n' < n does not converge",
    assumptions=CONVERGENCE_ASSUMPTIONS,
    readings=SAMPLING_READINGS,
    stated=lambda p: AT,
    mutants=(Formula("constant-step SGD converges", lambda p: CONVERGES),),
)

_convergence_claim(
    "full batch",
    id="near-optimum-full-batch-converges",
    seed_key="near-optimum-behaviour",
    search_factor=COSTLY,
    title="Near the optimum, SGD converges when n' → n",
    statement="Theoretical convergence near W* optimum: increase n' → n",
    assumptions=CONVERGENCE_ASSUMPTIONS + ("n' = n, the same η, against constant-step SGD with n' = B",),
    readings=(
        Reading("with replacement", "the notes' sampling i ~ unif[1:n], n' times with replacement, so n' = n is "
                "still a random minibatch", {"sampling": "iid"}),
        Reading("without replacement", "minibatches drawn without replacement, so n' = n is the whole training set "
                "(gradient descent)", {"sampling": "subset"}),
    ),
    stated=lambda p: CONVERGES,
    mutants=(Formula("a larger batch leaves the noise floor where it is", lambda p: AT),),
    alternatives=(Formula("n' = n lowers the noise floor (by about n'/n) without removing it", lambda p: BELOW,
                          reading="with replacement"),),
)

_convergence_claim(
    "averaged",
    id="near-optimum-averaging-converges",
    seed_key="near-optimum-behaviour",
    search_factor=COSTLY,
    title="Near the optimum, SGD converges when averaged over the last T̃ iterations",
    statement="Theoretical convergence near W* optimum: average g_B^t over last T̃ iterations",
    assumptions=CONVERGENCE_ASSUMPTIONS + ("T̃ = T/2 (the last half of a run of T steps), the same η and n'",),
    readings=with_sampling((
        Reading("gradients, as written", "each step moves along the average of the minibatch gradients g_B of "
                "the last T̃ iterations", {"average": "gradients"}),
        Reading("iterates", "the result is the average of the iterates w^t of the last T̃ iterations of "
                "constant-step SGD (Polyak–Ruppert averaging)", {"average": "iterates"}),
    )),
    stated=lambda p: CONVERGES,
    mutants=(Formula("averaging T̃ gradients acts as a T̃-fold batch: the floor drops but stays",
                     lambda p: BELOW),),
)

_convergence_claim(
    "1/t steps",
    id="near-optimum-decaying-step-converges",
    seed_key="near-optimum-behaviour",
    search_factor=COSTLY,
    title="Near the optimum, SGD converges when η → 0 like 1/t",
    statement="Theoretical convergence near W* optimum: η → 0 (like ~1/t)",
    assumptions=CONVERGENCE_ASSUMPTIONS + ("η_t = η/(1 + t/τ) with τ = 2/(ημ) (implementations.schedules."
                                           "inverse_time), the same n'",),
    readings=SAMPLING_READINGS,
    stated=lambda p: CONVERGES,
    mutants=(Formula("a decaying step only lowers the floor", lambda p: BELOW),),
)


# --- Heavy Ball/Momentum (002-05) -----------------------------------------------------------------

HEAVY_BALL_STEPS = 50
HEAVY_BALL_DOMAIN = {
    "problem": choices(["quadratic", "logistic"]),
    "d": integers(1, 8),
    "condition": floats(1.0, 100.0),
    "gamma": floats(0.01, 0.99),
    "eta": floats(0.01, 1.0),
    "data_seed": DATA_SEED,
}
HEAVY_BALL_ASSUMPTIONS = (
    "g^t = ∇L(w^t), the full gradient at the current iterate, of a quadratic with Hessian eigenvalues from "
    "1/condition to 1 or of a logistic regression whose loss is divided by its smoothness L (so L = 1)",
    f"the run starts at rest, w^{{−1}} = w^0 = w* + N(0, I); {HEAVY_BALL_STEPS} steps compared elementwise in "
    "float64 (relative 1e-9, absolute 1e-12)",
)
HEAVY_BALL_DESIGN = tuple({"problem": problem, "d": 3, "condition": 10.0, "gamma": 0.5, "eta": 0.5,
                           "data_seed": 0} for problem in ("quadratic", "logistic"))
# where a reader uses it: momentum 1 − γ = 0.9, torch.optim.SGD's usual momentum (lr = γη = 0.05)
HEAVY_BALL_REPRESENTATIVE = tuple({"problem": problem, "d": 3, "condition": 10.0, "gamma": 0.1, "eta": 0.5,
                                   "data_seed": 0} for problem in ("quadratic", "logistic"))


def heavy_ball_problem(p, device):
    """(∇L, w^0) of the point's problem, its smoothness scaled to 1, and w^0 = w* + N(0, I) seeded."""
    if p["problem"] == "quadratic":
        eigenvalues = torch.logspace(-math.log10(p["condition"]), 0, p["d"], dtype=torch.float64)
        problem = make_quadratic(eigenvalues, seed=p["data_seed"], device=device)
        grad = problem.grad
    else:
        problem = make_logistic_regression(4 * p["d"] + 8, p["d"], seed=p["data_seed"], device=device)
        grad = lambda w: problem.grad(w) / problem.smoothness  # noqa: E731
    offset = torch.randn(p["d"], generator=torch.Generator().manual_seed(p["data_seed"]), dtype=torch.float64)
    return grad, problem.minimizer + offset.to(device)


def two_step_trajectory(step, grad, w0: torch.Tensor, steps: int = HEAVY_BALL_STEPS) -> torch.Tensor:
    """w^0 … w^steps of w^{t+1} = step(w^t, w^{t−1}, g^t) from rest (w^{−1} = w^0), shape (steps + 1, d)."""
    ws = [w0, w0]  # w^{−1}, w^0
    for _ in range(steps):
        ws.append(step(ws[-1], ws[-2], grad(ws[-1])))
    return torch.stack(ws[1:])


def first_form(gamma: float, eta: float):
    # w^{t+1} = w^t − γη g^t + (1 − γ)(w^t − w^{t−1})
    return lambda w, w_prev, g: w - gamma * eta * g + (1 - gamma) * (w - w_prev)


def second_form(eta: float, momentum: float | None = None):
    # w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1})
    momentum = 1 - eta if momentum is None else momentum
    return lambda w, w_prev, g: w - eta * g + momentum * (w - w_prev)


def heavy_ball_first_form_run(p, ctx):
    """The first line, w^{t+1} = w^t − γη g^t + (1 − γ)(w^t − w^{t−1}), by implementations.optimizers.
    heavy_ball_update (proven against torch.optim.SGD(lr=γη, momentum=1 − γ))."""
    grad, w = heavy_ball_problem(p, ctx.device)
    state, ws = heavy_ball_init(w), [w]
    for _ in range(HEAVY_BALL_STEPS):
        updates, state = heavy_ball_update(grad(w), state, lr=p["eta"], gamma=p["gamma"])
        w = w + updates
        ws.append(w)
    return Measurement(torch.stack(ws).flatten().numpy(), quantities={"grad": grad, "w0": ws[0]},
                       trace={"x": np.arange(HEAVY_BALL_STEPS + 1), "measured": torch.stack(ws)[:, 0].numpy(),
                              "index": np.arange(HEAVY_BALL_STEPS + 1) * p["d"]})


def second_form_stated(p, momentum=None):
    """The second line's trajectory: with the first line's η ("same η"), or with its η standing for γ on
    the loss ηL ("η renamed")."""
    if p["second_eta"] == "same":
        return two_step_trajectory(second_form(p["eta"], momentum), p["grad"], p["w0"]).flatten().numpy()
    gamma, eta, grad = p["gamma"], p["eta"], p["grad"]
    momentum = 1 - gamma if momentum is None else momentum
    return two_step_trajectory(second_form(gamma, momentum), lambda w: eta * grad(w), p["w0"]).flatten().numpy()


claim(
    id="heavy-ball-second-form",
    title="The heavy-ball update is \"written also as\" w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1})",
    inventory_ids=("002-05",),
    source=Source(NOTES_002, "Heavy Ball/Momentum"),
    statement=("γ ∈ (0, 1): w_j^{t+1} ← w_j^t − γη ∂L^t/∂w_j + (1 − γ)(w_j^t − w_j^{t−1}), [written also as] "
               "w_j^{t+1} ← w_j^t − η g_j^t + (1 − η)(w_j^t − w_j^{t−1})"),
    assumptions=HEAVY_BALL_ASSUMPTIONS + ("measured: the first line's trajectory; stated: the second line's",),
    kind="identity",
    domain=HEAVY_BALL_DOMAIN,
    readings=(
        Reading("same η", "both lines use the same step size η (and the second has no γ)", {"second_eta": "same"}),
        Reading("η renamed", "the second line's η stands for the first line's γ, the step size η being absorbed "
                "into the gradient (g ← ηg)", {"second_eta": "renamed"}),
    ),
    stated=second_form_stated,
    mutants=(Formula("w^{t+1} = w^t − η g^t + η(w^t − w^{t−1}) (the weights swapped)",
                     lambda p: second_form_stated(p, momentum=p["gamma"] if p["second_eta"] == "renamed"
                                                  else p["eta"])),),
    preset=EXACT_TO_ROUNDING,
    design=HEAVY_BALL_DESIGN,
    representative=HEAVY_BALL_REPRESENTATIVE,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="w^t (first coordinate)"),
)(heavy_ball_first_form_run)


def second_form_run(p, ctx):
    """The second line's run w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1}): its steps w^{t+1} − w^t,
    the gradients g^t and the previous steps w^t − w^{t−1} (zero at rest), per t = 0 … T − 1."""
    grad, w0 = heavy_ball_problem(p, ctx.device)
    ws = two_step_trajectory(second_form(p["eta"]), grad, w0)
    steps = torch.diff(ws, dim=0)  # w^{t+1} − w^t, (T, d)
    previous = torch.cat([torch.zeros_like(steps[:1]), steps[:-1]])  # w^t − w^{t−1}
    grads = grad(ws[:-1])  # g^t
    return Measurement(steps.flatten().numpy(),
                       quantities={"steps": steps, "previous": previous, "grads": grads},
                       trace={"x": np.arange(1, HEAVY_BALL_STEPS + 1), "measured": steps[:, 0].numpy(),
                              "index": np.arange(HEAVY_BALL_STEPS) * p["d"]})


HEAVY_BALL_SECOND_DOMAIN = {k: v for k, v in HEAVY_BALL_DOMAIN.items() if k != "gamma"}
HEAVY_BALL_SECOND_DESIGN = tuple({k: v for k, v in point.items() if k != "gamma"} for point in HEAVY_BALL_DESIGN)
# the second line's momentum weight is 1 − η: η = 0.1 gives the usual 0.9
HEAVY_BALL_SECOND_REPRESENTATIVE = tuple({**point, "eta": 0.1} for point in HEAVY_BALL_SECOND_DESIGN)

claim(
    id="heavy-ball-derivation-step",
    seed_key="second-form-run",
    title="The derivation's line w^t − w^{t−1} = η g^{t−1} + (1 − η)(w^{t−1} − w^{t−2})",
    inventory_ids=("002-05",),
    source=Source(NOTES_002, "Heavy Ball/Momentum"),
    statement=("w_j^t − w_j^{t−1} = η g_j^{t−1} + (1 − η)(w_j^{t−1} − w_j^{t−2}); "
               "w_j^{t−1} − w_j^{t−2} = η g_j^{t−2} + (1 − η)(…)"),
    assumptions=HEAVY_BALL_ASSUMPTIONS + (
        "the lines unroll the second form w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1}); measured: its steps "
        "w^{t+1} − w^t for every t; stated: η g^t + (1 − η)(w^t − w^{t−1}) from the same run",),
    kind="identity",
    domain=HEAVY_BALL_SECOND_DOMAIN,
    stated=lambda p: (p["eta"] * p["grads"] + (1 - p["eta"]) * p["previous"]).flatten().numpy(),
    mutants=(Formula("w^t − w^{t−1} = η g^{t−1} + η(w^{t−1} − w^{t−2})",
                     lambda p: (p["eta"] * p["grads"] + p["eta"] * p["previous"]).flatten().numpy()),),
    alternatives=(Formula("w^t − w^{t−1} = −η g^{t−1} + (1 − η)(w^{t−1} − w^{t−2}) (the step's sign)",
                          lambda p: (-p["eta"] * p["grads"] + (1 - p["eta"]) * p["previous"]).flatten().numpy()),),
    preset=EXACT_TO_ROUNDING,
    role="derivation",
    design=HEAVY_BALL_SECOND_DESIGN,
    representative=HEAVY_BALL_SECOND_REPRESENTATIVE,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="w^t − w^{t−1} (first coordinate)"),
)(second_form_run)


def unrolled_steps(p, decay=None) -> np.ndarray:
    """−η {g^t + (1 − η) g^{t−1} + (1 − η)² g^{t−2} + … + (1 − η)^t g^0} for every t (from rest)."""
    decay = 1 - p["eta"] if decay is None else decay
    t = torch.arange(len(p["grads"]), dtype=torch.float64)
    lag = t[:, None] - t[None, :]  # t − k
    weights = torch.where(lag >= 0, decay ** lag.clamp(min=0), torch.zeros(()))  # (1 − η)^{t−k}, k ≤ t
    return (-p["eta"] * weights @ p["grads"]).flatten().numpy()


claim(
    id="heavy-ball-unrolled",
    seed_key="second-form-run",
    title="The heavy-ball step unrolls into −η{g^t + (1 − η)g^{t−1} + (1 − η)²g^{t−2} + …}",
    inventory_ids=("002-05",),
    source=Source(NOTES_002, "Heavy Ball/Momentum"),
    statement="w_j^{t+1} ← w_j^t − η{g_j^t + (1 − η)g_j^{t−1} + (1 − η)²g_j^{t−2} + …}",
    assumptions=HEAVY_BALL_ASSUMPTIONS + (
        "the unrolled sum of the second form w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1}); from rest the "
        "sum stops at g^0; measured: the recursion's steps w^{t+1} − w^t; stated: the sum over its gradients",),
    kind="identity",
    domain=HEAVY_BALL_SECOND_DOMAIN,
    stated=unrolled_steps,
    mutants=(Formula("w^{t+1} = w^t − η{g^t + η g^{t−1} + η² g^{t−2} + …}",
                     lambda p: unrolled_steps(p, decay=p["eta"])),),
    preset=EXACT_TO_ROUNDING,
    design=HEAVY_BALL_SECOND_DESIGN,
    representative=HEAVY_BALL_SECOND_REPRESENTATIVE,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="w^{t+1} − w^t (first coordinate)"),
)(second_form_run)


def torch_heavy_ball(p, ctx):
    """torch.optim.SGD(lr=γη, momentum=1 − γ, dampening=0) fed g^t = ∇L(w^t): Polyak's heavy ball."""
    grad, w0 = heavy_ball_problem(p, ctx.device)
    w = w0.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w], lr=p["gamma"] * p["eta"], momentum=1 - p["gamma"], dampening=0.0)
    ws = [w0]
    for _ in range(HEAVY_BALL_STEPS):
        w.grad = grad(w.detach())
        optimizer.step()
        ws.append(w.detach().clone())
    ws = torch.stack(ws)
    return Measurement(ws.flatten().numpy(), quantities={"grad": grad, "w0": w0},
                       trace={"x": np.arange(HEAVY_BALL_STEPS + 1), "measured": ws[:, 0].numpy(),
                              "index": np.arange(HEAVY_BALL_STEPS + 1) * p["d"]})


claim(
    id="heavy-ball-is-polyak",
    title="The notes' heavy ball is Polyak's heavy ball: torch.optim.SGD(lr=γη, momentum=1 − γ)",
    inventory_ids=("002-05",),
    source=Source(NOTES_002, "Heavy Ball/Momentum"),
    statement="Heavy Ball/Momentum, γ ∈ (0, 1): w_j^{t+1} ← w_j^t − γη g_j^t + (1 − γ)(w_j^t − w_j^{t−1})",
    assumptions=HEAVY_BALL_ASSUMPTIONS + (
        "Polyak's heavy ball w^{t+1} = w^t − α∇L(w^t) + β(w^t − w^{t−1}) is torch.optim.SGD(lr=α, momentum=β, "
        "dampening=0) from rest; measured: torch's trajectory with α = γη, β = 1 − γ; stated: the notes' line",),
    kind="identity",
    domain=HEAVY_BALL_DOMAIN,
    stated=lambda p: two_step_trajectory(first_form(p["gamma"], p["eta"]), p["grad"], p["w0"]).flatten().numpy(),
    mutants=(Formula("momentum 1 − γ on the step but step size η (not γη)",
                     lambda p: two_step_trajectory(second_form(p["eta"], 1 - p["gamma"]), p["grad"],
                                                   p["w0"]).flatten().numpy()),),
    preset=EXACT_TO_ROUNDING,
    design=HEAVY_BALL_DESIGN,
    representative=HEAVY_BALL_REPRESENTATIVE,
    figure=Figure(kind="traces", xlabel="iteration t", ylabel="w^t (first coordinate)"),
)(torch_heavy_ball)
