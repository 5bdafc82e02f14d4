"""The shared measurement kit: what several claims measure, written once.

One index sampler (with and without replacement), one standardized draw per distribution, the
generated finite-sum problems and their per-example gradients, and the samplers of the quantities
that several documents state facts about (a sampled loss or gradient, a minibatch gradient's
deviation, a neuron's output under random weights). A claim module imports what it needs from
here; nothing here decides a verdict.

Its modules hold the helpers that several documents' claims share: ``fits`` (power-law exponents),
``indices`` (log-spaced sizes and kept elements), ``counting`` (operations, never time),
``convergence`` (converges / oscillates / diverges), and the trajectory runners of
``implementations.optimizer_oracles`` (``form_path`` for a document's form, ``torch_trajectory``).

Every sampler takes the point's parameters ``p`` and the engine's context ``ctx`` and returns
``(draw, quantities)``: ``draw(n)`` gives ``n`` replicate statistics in ``ctx.dtype`` on
``ctx.device`` (for ``ctx.mean``), ``quantities`` the exact values the formulas read.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from implementations.initializers import init_variance, standard_normal
from implementations.optimizer_oracles import form_path, torch_trajectory
from implementations.problems import FiniteSumProblem, make_least_squares, make_logistic_regression
from theorems.catalogue.kit.convergence import classify
from theorems.catalogue.kit.counting import OperationCounter
from theorems.catalogue.kit.fits import fitted_exponent
from theorems.catalogue.kit.indices import TRACE_POINTS, log_spaced, log_spaced_integers
from theorems.core.claim import Reading

DOCUMENTS = {  # the five source documents in shared/seeds/, by number
    "000": "000_7c5c639b47bbde7b.txt",  # lecture slides "Initialization"
    "001": "001_5672ff10bad5e403.txt",  # lecture slides "Lecture 7: Optimization III"
    "002": "002_1f3d2f34a8594b59.txt",  # handwritten notes "Lecture 12"
    "003": "003_8575ef13f3bfe434.txt",  # course notes "11-685 Intro to Deep Learning - Training"
    "004": "004_e701d70adf034ba3.txt",  # problem set "TTIC 31230 SGD Problems"
}

Sampler = tuple[Callable[[int], torch.Tensor], Mapping[str, Any]]

# search_factor of the catalogue's costly claims (a simulation per point, or a large Monte Carlo): a
# quarter of the profile's space-filling and targeted points, so that `standard` stays a CPU run
COSTLY = 0.25


# --- random draws ---------------------------------------------------------------------------------

DISTRIBUTIONS = ("normal", "uniform", "exponential")


def standardized(distribution: str, shape: int | tuple[int, ...], ctx) -> torch.Tensor:
    """Draws with mean 0 and variance 1 from ``distribution``, in ctx.dtype on ctx.device."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if distribution == "normal":
        return torch.randn(shape, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
    u = torch.rand(shape, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
    if distribution == "uniform":
        return (u - 0.5) * math.sqrt(12.0)
    if distribution == "exponential":
        return -torch.log1p(-u) - 1.0
    raise ValueError(f"unknown distribution {distribution!r}; choose one of {DISTRIBUTIONS}")


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU generator for data that must be the same problem on every device (draw, then move)."""
    return torch.Generator().manual_seed(seed)


#: The two readings of "a minibatch drawn uniformly": every sampling row gets both (parameter ``sampling``).
SAMPLING_READINGS = (
    Reading("with replacement", "b_1 … b_B drawn independently, each ~ Uniform(1, N)", {"sampling": "iid"}),
    Reading("without replacement", "a uniformly random subset of B distinct examples: a minibatch of a shuffled "
            "training set, as SGD implementations draw it", {"sampling": "subset"}),
)


def with_sampling(readings: tuple[Reading, ...]) -> tuple[Reading, ...]:
    """Each of a claim's own ``readings`` under each sampling reading, e.g. "iterates, without replacement":
    a sampling row that leaves something else open too still gets both sampling readings."""
    return tuple(Reading(f"{r.name}, {s.name}", f"{r.description}; {s.description}", {**r.params, **s.params})
                 for r in readings for s in SAMPLING_READINGS)


def sample_fits(p) -> bool:
    """A subset of B distinct examples needs B ≤ N; independent draws do not."""
    return p["sampling"] == "iid" or p["B"] <= p["N"]


def sample_indices(n: int, *, N: int, B: int, sampling: str, ctx) -> torch.Tensor:
    """Indices of n minibatches of size B from {0 … N−1}, shape (n, B).

    "iid": b_1 … b_B ~ Uniform(1, N) independently (with replacement).
    "subset": a uniformly random subset of size B (without replacement): what a minibatch of a
    randomly permuted training set is.
    """
    if sampling == "iid":
        return torch.randint(N, (n, B), generator=ctx.generator, device=ctx.device, dtype=torch.int32)
    if sampling == "subset":
        keys = torch.rand(n, N, generator=ctx.generator, device=ctx.device)
        return keys.topk(B, dim=1, sorted=False).indices  # the B largest of N i.i.d. keys: a uniform subset
    raise ValueError(f"unknown sampling {sampling!r}; choose 'iid' or 'subset'")


# --- generated finite-sum problems ------------------------------------------------------------------

PROBLEMS = ("least_squares", "logistic")


def finite_sum_problem(p, device: torch.device) -> FiniteSumProblem:
    """Least squares (condition number 10) or ℓ2-regularized logistic regression, in float64,
    with ``p["N"]`` examples of dimension ``p["d"]``, generated from ``p["data_seed"]``."""
    if p["problem"] == "least_squares":
        return make_least_squares(p["N"], p["d"], condition=10.0, seed=p["data_seed"], device=device)
    if p["problem"] == "logistic":
        return make_logistic_regression(p["N"], p["d"], seed=p["data_seed"], device=device)
    raise ValueError(f"unknown problem {p['problem']!r}; choose one of {PROBLEMS}")


def evaluation_point(problem: FiniteSumProblem, seed: int) -> torch.Tensor:
    """A point w away from the minimizer (w* plus a seeded N(0, 1) step), where gradients differ."""
    step = torch.randn(problem.d, generator=seeded_generator(seed), dtype=torch.float64)
    return problem.minimizer + step.to(problem.X.device, problem.X.dtype)


def unit_direction(d: int, seed: int, device: torch.device) -> torch.Tensor:
    """A seeded uniformly random unit vector: the direction along which gradients are compared."""
    u = torch.randn(d, generator=seeded_generator(seed + 1), dtype=torch.float64)
    return (u / u.norm()).to(device)


def minibatch_bytes(p) -> int:
    """Memory of one minibatch replicate (indices, gathered rows, keys of a subset draw)."""
    return 8 * (p["B"] * p["d"] + 3 * p["N"])


# --- the full-data values that the unbiasedness rows state (000-14 … 000-16, 001-06, 001-07, 003-12, 003-13, 004-07)

CPU = torch.device("cpu")


@functools.lru_cache(maxsize=512)
def full_data_values(problem: str, N: int, d: int, data_seed: int) -> tuple[float, np.ndarray]:
    """F(w) = (1/N) Σ_i f_i(w) and ∇F(w) by the problem's closed form (FiniteSumProblem.grad, e.g.
    Xᵀ(Xw − y)/N), at the evaluation point of the problem generated from (problem, N, d, data_seed):
    not the mean of the per-example gradients a sampler draws, so that a stated value and the
    measurement it is compared with share no code path. Cached: generating a problem takes up to
    half a second (logistic regression solves for its minimizer), and formulas are evaluated often."""
    instance = finite_sum_problem({"problem": problem, "N": N, "d": d, "data_seed": data_seed}, CPU)
    w = evaluation_point(instance, data_seed)
    gradient = instance.grad(w).numpy()
    gradient.setflags(write=False)
    return float(instance.loss(w)), gradient


def full_gradient(p) -> np.ndarray:
    """∇F(w) of the point's problem at its evaluation point (read-only)."""
    return full_data_values(p["problem"], p["N"], p["d"], p["data_seed"])[1]


def full_value(p) -> float:
    """The right-hand side of the unbiasedness rows from the point's inputs: the full loss
    Loss(w) = (1/N) Σ_i f_i(w) (``p["estimate"] == "loss"``), or u·∇F(w), the full gradient along the
    point's direction u (``"gradient"``)."""
    if p["estimate"] == "gradient":
        return float(unit_direction(p["d"], p["data_seed"], CPU).numpy() @ full_gradient(p))
    return full_data_values(p["problem"], p["N"], p["d"], p["data_seed"])[0]


# --- sampled losses and gradients (000-14 to 000-16, 001-06, 001-07, 003-12, 003-13) ----------------

def sampled_estimate_sampler(p, ctx) -> Sampler:
    """The minibatch estimate (1/B) Σ_{i∈I} f_i(w) of the loss (``p["estimate"] == "loss"``) or of
    u·∇F(w) (``"gradient"``), for B indices drawn by ``p["sampling"]`` from the point's problem.

    quantities: ``full`` (the full-data value), ``spread`` (the per-example standard deviation)
    and ``at_mean_example`` (the value at one example placed at the data's mean, a plausible
    wrong answer).
    """
    problem = finite_sum_problem(p, ctx.device)
    w = evaluation_point(problem, p["data_seed"])
    mean_problem = dataclasses.replace(problem, X=problem.X.mean(0, keepdim=True), y=problem.y.mean(0, keepdim=True))
    if p["estimate"] == "loss":
        values = problem.example_losses(w)  # f_i(w), (N,)
        at_mean = float(mean_problem.example_losses(w)[0])
    else:
        u = unit_direction(problem.d, p["data_seed"], ctx.device)
        values = problem.per_example_grads(w) @ u  # u·∇f_i(w), (N,)
        at_mean = float(mean_problem.per_example_grads(w)[0] @ u)
    sampled = values.to(ctx.dtype)

    def draw(n):
        idx = sample_indices(n, N=p["N"], B=p["B"], sampling=p["sampling"], ctx=ctx)
        return sampled[idx].mean(dim=1)

    return draw, {"full": float(values.mean()), "spread": float(values.std(correction=0)),
                  "at_mean_example": at_mean}


def minibatch_deviation_sampler(p, ctx) -> Sampler:
    """‖g_B − g‖² (``p["statistic"] == "trace"``) or (g_B − g)[0]·(g_B − g)[1] (``"entry"``) for the
    average g_B of B per-example gradients drawn by ``p["sampling"]``, g the full gradient.

    Per-example gradients are computed once in float64 at a point away from the minimizer; their
    centred copy is cast to the sampling dtype, so each replicate is a gather and a mean.
    quantities: ``sigma2`` (trace or entry of Σ¹, the population covariance of one sampled
    gradient) and ``spread`` (its natural scale).
    """
    problem = finite_sum_problem(p, ctx.device)
    grads = problem.per_example_grads(evaluation_point(problem, p["data_seed"]))  # (N, d), float64
    centred = grads - grads.mean(dim=0)
    covariance = centred.T @ centred / p["N"]  # Σ¹
    if p["statistic"] == "trace":
        sigma2, spread = float(covariance.trace()), float(covariance.trace())
    else:
        sigma2, spread = float(covariance[0, 1]), math.sqrt(float(covariance[0, 0] * covariance[1, 1]))
    sampled = centred.to(ctx.dtype)

    def statistic(deviation):  # (..., d) -> (...)
        if p["statistic"] == "trace":
            return deviation.square().sum(dim=-1)
        return deviation[..., 0] * deviation[..., 1]

    per_example = statistic(sampled)  # a batch of one is one example: its statistic, (N,)

    def draw(n):
        idx = sample_indices(n, N=p["N"], B=p["B"], sampling=p["sampling"], ctx=ctx)
        if p["B"] == 1:
            return torch.index_select(per_example, 0, idx.view(-1))
        # g_B − g = (1/B) Σ_j c_{b_j}: gathered and summed per row in one fused pass
        return statistic(torch.nn.functional.embedding_bag(idx, sampled, mode="sum") / p["B"])

    return draw, {"sigma2": sigma2, "spread": spread}


# --- a neuron's output under random weights (000-10, 000-11, 000-12, 001-23, 001-24, 002-01) ----------

def neuron_output_sampler(p, ctx, *, weight_variance: float) -> Sampler:
    """o = Σ_i w_i x_i with w_i ~ N(0, weight_variance) i.i.d., returning o (``p["moment"] == "mean"``)
    or o² (``"variance"``), one fresh weight vector per replicate.

    ``p["inputs"] == "fixed"``: one seeded x with entries U[−1, 2]; ``"random"``: x_i = γ·z_i with
    z_i standardized ``p["input_distribution"]`` draws, fresh per replicate. quantities:
    ``x`` (the fixed input) and ``weight_variance``.
    """
    fan_in = p["fan_in"]
    x_fixed = 3 * torch.rand(fan_in, generator=seeded_generator(p.get("data_seed", 0)), dtype=torch.float64) - 1
    x_device = x_fixed.to(ctx.device, ctx.dtype)
    std = math.sqrt(weight_variance)

    def draw(n):
        w = std * standard_normal((n, fan_in), generator=ctx.generator, dtype=ctx.dtype, device=ctx.device)
        x = x_device.expand(n, fan_in) if p["inputs"] == "fixed" else p["gamma"] * standardized(
            p["input_distribution"], (n, fan_in), ctx)
        output = (w * x).sum(dim=1)  # o = Σ_i w_i x_i, (n,)
        return output if p["moment"] == "mean" else output.square()

    return draw, {"x": x_fixed.numpy(), "weight_variance": weight_variance}


__all__ = [
    "classify", "COSTLY", "DISTRIBUTIONS", "DOCUMENTS", "evaluation_point", "finite_sum_problem", "fitted_exponent",
    "form_path", "full_gradient", "full_value", "init_variance", "log_spaced", "log_spaced_integers", "minibatch_bytes",
    "minibatch_deviation_sampler", "neuron_output_sampler", "OperationCounter", "PROBLEMS", "sample_fits",
    "sample_indices", "sampled_estimate_sampler", "Sampler", "SAMPLING_READINGS", "seeded_generator",
    "standardized", "torch_trajectory", "TRACE_POINTS", "unit_direction", "with_sampling",
]
