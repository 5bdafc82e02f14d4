"""Sampled losses and gradients: unbiased, and a minibatch's variance shrinks like 1/B.

Lecture 000 ("Initialization", sections *Estimating loss*, *Estimating gradients*, *Minibatch
SGD*), lecture 001 (*Stochastic Gradient Descent*, *Mini-batch SGD*), notes 002 (*Stochastic Grad
Descent*), notes 003 (section 6.3) and problem set 004 (Problem 5) all say the same two things
about a finite sum F(w) = (1/N) Σ_i f_i(w): a gradient (or loss) sampled from random examples
is unbiased, and the average of B sampled gradients has 1/B of one sample's variance.

Both are measured on real finite-sum problems (least squares, logistic regression) generated
from a seed, with the exact per-example gradients computed once in float64 and the sampling done
in the run's dtype on the run's device, replicates as the batch dimension.
"""

from __future__ import annotations

import dataclasses
import math

import hypothesis.strategies as st
import torch

from theorems.claim import Figure, Formula, Reading, Source, claim
from theorems.claims._data import PROBLEMS, evaluation_point, finite_sum_problem, unit_direction

LECTURE_000 = "000_7c5c639b47bbde7b.txt"


def sample_indices(n: int, *, N: int, B: int, sampling: str, ctx) -> torch.Tensor:
    """Indices of n minibatches of size B, shape (n, B).

    "iid": b_1 … b_B ~ Uniform(1, N) independently (with replacement), as lecture 000 writes.
    "subset": a uniformly random subset of size B (without replacement): what a minibatch of a
    randomly permuted training set is, as 001-07 and 003-13 describe.
    """
    if sampling == "iid":
        return torch.randint(N, (n, B), generator=ctx.generator, device=ctx.device, dtype=torch.int32)
    if sampling == "subset":
        keys = torch.rand(n, N, generator=ctx.generator, device=ctx.device)
        return keys.topk(B, dim=1, sorted=False).indices  # the B largest of N i.i.d. keys: a uniform subset
    raise ValueError(f"unknown sampling {sampling!r}")


def _bytes_per_replicate(p) -> int:
    return 8 * (p["B"] * p["d"] + 3 * p["N"])


# --- unbiased estimates (000-14, 000-15, 001-06, 001-07, and the mean part of 000-16) ----------
# B = 1 with i.i.d. sampling is the single-example rule of 000-14, 000-15 and 001-06; B > 1 is the
# minibatch of 000-16 ("iid") or the random subset of 001-07 ("subset").


def _at_mean_example(problem, w, what):
    """The loss or gradient of one example placed at the data's mean (x̄, ȳ)."""
    mean_problem = dataclasses.replace(problem, X=problem.X.mean(0, keepdim=True), y=problem.y.mean(0, keepdim=True))
    if what == "loss":
        return float(mean_problem.example_losses(w)[0])
    return mean_problem.per_example_grads(w)[0]


@claim(
    id="sampled-estimates-unbiased",
    title="Losses and gradients sampled from random examples are unbiased",
    inventory_ids=("000-14", "000-15", "000-16", "001-06", "001-07"),
    source=Source(LECTURE_000, "Estimating loss / Estimating gradients / Minibatch SGD"),
    statement=("For i ~ Uniform(1, N): E_i[(f(x_i, w) − y_i)²] = Loss(w, X, y) and "
               "E[∇_w Loss(w, x_i, y_i)] = ∇_w Loss(w, X, y); with {b_1 … b_B} ~ Uniform(1, N), "
               "E[(1/B) Σ ∇Loss(w, x_{b_i}, y_{b_i})] = ∇Loss(w, X, y) (000-14 to 000-16); for a random "
               "subset I_k ⊆ {1 … m}, |I_k| = b: E[(1/b) Σ_{i∈I_k} ∇f_i(x)] = ∇f(x) (001-07)."),
    assumptions=("Loss(w, X, y) is the mean of the per-example losses",
                 "gradients are compared along a seeded random unit direction u (u·ĝ against u·∇F)",
                 "the resolution is relative to the per-example spread (the standard deviation of u·∇f_i)"),
    kind="stochastic",
    domain={
        "estimate": st.sampled_from(["gradient", "loss"]),
        "sampling": st.sampled_from(["iid", "subset"]),
        "problem": st.sampled_from(PROBLEMS),
        "N": st.integers(2, 256),
        "d": st.integers(1, 12),
        "B": st.integers(1, 64),
        "data_seed": st.integers(0, 1000),
    },
    constraint=lambda p: p["B"] <= p["N"],
    stated=lambda p: p["full"],
    mutants=(
        Formula("the expectation is the loss or gradient at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"]),
        Formula("the minibatch sum Σ_{i∈I} ∇f_i (no 1/B) estimates ∇F", lambda p: p["B"] * p["full"]),
    ),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=tuple(
        {"estimate": estimate, "sampling": sampling, "problem": "logistic", "N": 64, "d": 5, "B": b, "data_seed": 0}
        for estimate, sampling, b in (("gradient", "iid", 1), ("gradient", "subset", 8), ("loss", "iid", 1),
                                      ("gradient", "iid", 8), ("gradient", "subset", 32), ("loss", "subset", 8))),
    figure=Figure(kind="points", x="B", xlabel="minibatch size B (1: a single example)",
                  ylabel="E[estimate]: loss, or u·gradient", logx=True, series="estimate"),
)
def sampled_estimates_unbiased(p, ctx):
    """Mean over replicates of the sampled estimate, against the full-data value."""
    what, sampling = p["estimate"], p["sampling"]
    problem = finite_sum_problem(p, ctx.device)
    w = evaluation_point(problem, p["data_seed"])
    if what == "loss":
        values = problem.example_losses(w)  # f_i(w), (N,)
        at_mean = _at_mean_example(problem, w, what)
    else:
        u = unit_direction(problem.d, p["data_seed"], ctx.device)
        values = problem.per_example_grads(w) @ u  # u·∇f_i(w), (N,)
        at_mean = float(_at_mean_example(problem, w, what) @ u)
    sampled = values.to(ctx.dtype)

    def draw(n):
        idx = sample_indices(n, N=p["N"], B=p["B"], sampling=sampling, ctx=ctx)
        return sampled[idx].mean(dim=1)

    return ctx.mean(draw, bytes_per_replicate=_bytes_per_replicate(p), quantities={
        "full": float(values.mean()), "spread": float(values.std(correction=0)), "at_mean_example": at_mean})


# --- minibatch variance (000-16, 002-02, 004-08; 003-13 under its permuted reading) -------------

@claim(
    id="minibatch-gradient-variance",
    title="The average of B sampled gradients has 1/B of one sample's variance",
    inventory_ids=("000-16", "002-02", "004-08", "003-13"),
    source=Source(LECTURE_000, "Minibatch SGD"),
    statement=("Var[(1/B) Σ_{i=1}^B ∇_w Loss(w, x_{b_i}, y_{b_i})] = (1/B) Var[∇_w Loss(w, x_{b_i}, y_{b_i})] "
               "with {b_1 … b_B} ~ Uniform(1, N) (000-16); Var(ε) = σ²/n' for g_B = g + ε (002-02); "
               "Σ^B[i, j] = (1/B) Σ^1[i, j] (004-08); for minibatches of a randomly permuted training set, "
               "Var(Loss) = (1/b) Var(Div) (003-13)."),
    assumptions=("σ² is the variance of one uniformly sampled per-example gradient (the population variance "
                 "over the N training examples)",
                 "statistic 'trace' compares total variances E‖g_B − g‖² (the trace of Σ^B); 'entry' compares "
                 "the covariance entry Σ^B[0, 1]"),
    kind="stochastic",
    domain={
        "problem": st.sampled_from(PROBLEMS),
        "statistic": st.sampled_from(["trace", "entry"]),
        "N": st.integers(2, 128),
        "d": st.integers(2, 8),
        "B": st.integers(1, 128),
        "data_seed": st.integers(0, 1000),
    },
    constraint=lambda p: p["B"] <= p["N"],
    readings=(
        Reading("i.i.d. indices", "b_1 … b_B ~ Uniform(1, N) independently, with replacement "
                "(000-16, 002-02, 004-08)", {"sampling": "iid"}),
        Reading("permuted training set", "consecutive minibatches of a randomly permuted training set, so a "
                "minibatch is a random subset without replacement (003-13)", {"sampling": "subset"}),
    ),
    stated=lambda p: p["sigma2"] / p["B"],
    mutants=(
        Formula("Var = σ²/B²", lambda p: p["sigma2"] / p["B"] ** 2),
        Formula("Var = σ²/√B", lambda p: p["sigma2"] / math.sqrt(p["B"])),
    ),
    alternatives=(
        Formula("Var = (σ²/B)·(N − B)/(N − 1) (finite-population correction)",
                lambda p: p["sigma2"] / p["B"] * (p["N"] - p["B"]) / max(p["N"] - 1, 1),
                reading="permuted training set"),
    ),
    resolution=0.05,
    scale=lambda p: p["spread"] / p["B"],
    design=tuple({"problem": "least_squares", "statistic": "trace", "N": 64, "d": 5, "B": b, "data_seed": 0}
                 for b in (4, 64, 16, 1, 2, 8, 32)),
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="Var of the minibatch gradient (trace)",
                  logx=True, logy=True, series="reading"),
)
def minibatch_gradient_variance(p, ctx):
    """Mean over replicates of ‖g_B − g‖² (or (g_B − g)[0]·(g_B − g)[1]), g the full gradient."""
    draw, quantities = minibatch_deviation_sampler(p, ctx)
    return ctx.mean(draw, bytes_per_replicate=_bytes_per_replicate(p), quantities=quantities)


def minibatch_deviation_sampler(p, ctx):
    """The replicate statistic of the minibatch-variance check, and the exact σ² it is compared with.

    Per-example gradients are computed once in float64 at a point away from the minimizer; their
    centred copy is cast to the sampling dtype, so each replicate is a gather and a mean.
    """
    problem = finite_sum_problem(p, ctx.device)
    grads = problem.per_example_grads(evaluation_point(problem, p["data_seed"]))  # (N, d), float64
    centred = grads - grads.mean(dim=0)
    covariance = centred.T @ centred / p["N"]  # Σ^1, population covariance of one sampled gradient
    if p["statistic"] == "trace":
        sigma2, spread = float(covariance.trace()), float(covariance.trace())
    else:
        sigma2, spread = float(covariance[0, 1]), math.sqrt(float(covariance[0, 0] * covariance[1, 1]))
    sampled = centred.to(ctx.dtype)

    def draw(n):
        idx = sample_indices(n, N=p["N"], B=p["B"], sampling=p["sampling"], ctx=ctx)
        rows = torch.index_select(sampled, 0, idx.reshape(-1)).view(n, p["B"], p["d"])
        deviation = rows.sum(dim=1) / p["B"]  # g_B − g, (n, d)
        if p["statistic"] == "trace":
            return deviation.square().sum(dim=1)
        return deviation[:, 0] * deviation[:, 1]

    return draw, {"sigma2": sigma2, "spread": spread}
