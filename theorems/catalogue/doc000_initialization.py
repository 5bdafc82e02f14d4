"""Lecture 000, "Initialization" slides (000_7c5c639b47bbde7b.txt), top to bottom.

1. *Review of expectation and variance* (000-01 … 000-04): E[aX] = aE[X], E[Σ X_i] = Σ E[X_i],
   Var[X] = E[X²] − E[X]², Var[aX] = a² Var[X], and Var[X + Y] = Var[X] + Var[Y] for independent X, Y;
   Monte Carlo over normal, uniform, exponential and die-roll variables.
2. *Dropout* (000-05, 000-06): DO(X, r) = D ⊙ X with d_ij ~ Bernoulli(1 − r) scales a linear function's
   expectation by (1 − r), so the "simple (but not quite correct)" evaluation rule (1 − r)X is exact
   before the activation and inexact after it; expectations over all 2^d masks are exact sums.
3. *Convexity* (000-07, 000-08): linear and logistic regression losses are convex (strictly when the
   data have full column rank), gradient descent reaches their minimizer, and a neural network's
   loss is not convex: two equivalent (permuted) solutions have a worse midpoint.
4. *Symmetry-breaking* (000-09): f(x) = σ(x₁w₁₁)w₀₁ + σ(x₁w₁₂)w₀₂ trained from a symmetric
   initialization keeps its two neurons identical; from a random one they separate and fit better.
5. *Scaled initialization* (000-10 … 000-12): Var[Σ x_i w_i] = Σ x_i² for w_i ~ N(0, 1), (1/d) Σ x_i²
   after dividing by s = √d, and the slide's "Kaiming / He" and "Xavier" formulas against torch.nn.init.
6. *Computational complexity* (000-13): operation counts of forward and backward passes
   (``torch.utils.flop_counter.FlopCounterMode`` on meta tensors) fitted on a log-log scale, and the
   AlexNet arithmetic.
7. *Estimating loss / gradients, minibatch SGD* (000-14 … 000-16): sampled losses and gradients are
   unbiased, a minibatch mean has 1/B of one sample's variance, and a sampled loss costs O(1) in N.

The slides write N(μ, s) with s the standard deviation: "αw_i ~ N(0, 1) ≡ w_i ~ N(0, σ)" and the
derivation that divides N(0, 1) weights by s = √d and calls the result N(0, 1/√d). Every claim
below reads the notation that way (000-12 keeps the variance reading as a mutant).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn.functional import softplus

from implementations.layers import dropout
from implementations.problems import (
    LeastSquares,
    LogisticRegression,
    gradient_descent_trajectory,
    make_least_squares,
    make_logistic_regression,
)
from theorems.catalogue.kit import (
    COSTLY,
    DOCUMENTS,
    PROBLEMS,
    SAMPLING_READINGS,
    OperationCounter,
    fitted_exponent,
    full_value,
    log_spaced,
    minibatch_bytes,
    minibatch_deviation_sampler,
    neuron_output_sampler,
    sample_fits,
    sampled_estimate_sampler,
    seeded_generator,
    standardized,
)
from theorems.core.claim import BEHAVIOUR, Figure, Formula, Measurement, Reading, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers

LECTURE_000 = DOCUMENTS["000"]


# === 1. Review of expectation and variance (000-01 … 000-04) =======================================

@dataclass(frozen=True)
class Law:
    """Textbook moments of a base variable Y: its mean and variance, and its raw moments E[Y^k]."""

    mean: float
    variance: float
    raw2: float
    raw3: float
    raw4: float


LAWS = {  # Y ~ N(0, 1), U[0, 1], Exp(1) (E[Y^k] = k!) and a fair die {1, …, 6} (E[Y^k] = Σ j^k / 6)
    "normal": Law(mean=0.0, variance=1.0, raw2=1.0, raw3=0.0, raw4=3.0),
    "uniform": Law(mean=1 / 2, variance=1 / 12, raw2=1 / 3, raw3=1 / 4, raw4=1 / 5),
    "exponential": Law(mean=1.0, variance=1.0, raw2=2.0, raw3=6.0, raw4=24.0),
    "die": Law(mean=7 / 2, variance=35 / 12, raw2=91 / 6, raw3=441 / 6, raw4=2275 / 6),
}
VARIABLES = tuple(LAWS)


def draw_base(distribution: str, shape: tuple[int, ...], ctx) -> torch.Tensor:
    """Draws of the base variable Y of ``distribution`` (see LAWS), in ctx.dtype on ctx.device."""
    if distribution == "die":
        return torch.randint(1, 7, shape, generator=ctx.generator, device=ctx.device).to(ctx.dtype)
    law = LAWS[distribution]
    return law.mean + math.sqrt(law.variance) * standardized(distribution, shape, ctx)


def affine_moments(p, prefix: str = "") -> dict[str, float]:
    """Mean, variance and E[X²] of X = loc + spread·Y, from the base law's table."""
    law, loc, spread = LAWS[p[prefix + "distribution"]], p[prefix + "loc"], p[prefix + "spread"]
    return {prefix + "mean": loc + spread * law.mean, prefix + "variance": spread**2 * law.variance,
            prefix + "raw2": loc**2 + 2 * loc * spread * law.mean + spread**2 * law.raw2}


def draw_affine(p, n: int, ctx, prefix: str = "") -> torch.Tensor:
    """n draws of X = loc + spread·Y."""
    return p[prefix + "loc"] + p[prefix + "spread"] * draw_base(p[prefix + "distribution"], (n,), ctx)


VARIABLE_DOMAIN = {
    "distribution": choices(VARIABLES),
    "loc": floats(-3.0, 3.0),
    "spread": floats(0.1, 3.0),
}
VARIABLE_ASSUMPTION = ("X = loc + spread·Y with Y ~ N(0, 1), U[0, 1], Exp(1) or a fair die roll {1, …, 6}; "
                       "exact moments from the textbook table of each law")


@claim(
    id="expectation-of-scaled-variable",
    title="E[aX] = aE[X]",
    inventory_ids=("000-01",),
    source=Source(LECTURE_000, "Linearity of expectation"),
    statement="E[aX] = aE[X]",
    assumptions=(VARIABLE_ASSUMPTION, "the resolution is relative to the standard deviation of aX"),
    kind="stochastic",
    domain={**VARIABLE_DOMAIN, "a": floats(-4.0, 4.0)},
    constraint=lambda p: abs(p["a"]) >= 0.05,
    stated=lambda p: p["a"] * p["mean"],
    mutants=(Formula("E[aX] = a²E[X]", lambda p: p["a"] ** 2 * p["mean"]),
             Formula("E[aX] = E[X] (the constant left out)", lambda p: p["mean"])),
    resolution=0.05,
    scale=lambda p: abs(p["a"]) * math.sqrt(p["variance"]),
    design=tuple({"distribution": dist, "loc": 1.0, "spread": 1.0, "a": a}
                 for dist in ("exponential", "die") for a in (-3.0, -0.5, 0.5, 2.0, 4.0)),
    figure=Figure(kind="points", x="a", xlabel="constant a", ylabel="E[aX]", series="distribution"),
)
def expectation_of_scaled_variable(p, ctx):
    """Monte Carlo mean of aX."""
    return ctx.mean(lambda n: p["a"] * draw_affine(p, n, ctx), bytes_per_replicate=16, quantities=affine_moments(p))


def sum_terms(p) -> list[tuple[float, float, int]]:
    """(loc_i, spread_i, power_i) of X_i = loc_i + spread_i·T_i, seeded by data_seed.

    Independent terms: T_i = Y_i, one fresh draw each. Dependent terms: T_i = Y for even i and Y² for odd
    i, all from one shared draw Y, so the terms are correlated and nonlinearly dependent.
    """
    u = torch.rand(p["terms"], 2, generator=seeded_generator(p["data_seed"]), dtype=torch.float64)
    power = lambda i: 1 if p["dependence"] == "independent" or i % 2 == 0 else 2  # noqa: E731
    return [(float(6 * a - 3), float(0.2 + 1.8 * b), power(i)) for i, (a, b) in enumerate(u.tolist())]


def sum_moments(p) -> dict[str, object]:
    """E[X_i] of each term (the document's given symbols: the law's table), the sum of the terms' standard
    deviations, and Σ_{i≠j} Cov(X_i, X_j)."""
    law = LAWS[p["distribution"]]
    raw = {0: 1.0, 1: law.mean, 2: law.raw2, 3: law.raw3, 4: law.raw4}
    terms = sum_terms(p)
    means = [loc + spread * raw[k] for loc, spread, k in terms]
    sds = [spread * math.sqrt(raw[2 * k] - raw[k] ** 2) for _, spread, k in terms]
    cross = 0.0
    if p["dependence"] == "dependent":  # Cov(Y^j, Y^k) = E[Y^(j+k)] − E[Y^j]E[Y^k]
        cross = sum(si * sj * (raw[ki + kj] - raw[ki] * raw[kj])
                    for i, (_, si, ki) in enumerate(terms) for j, (_, sj, kj) in enumerate(terms) if i != j)
    return {"means": means, "sum_of_sds": sum(sds), "cross_covariance": cross}


@claim(
    id="expectation-of-sum",
    title="E[Σ X_i] = Σ E[X_i], for independent and for dependent terms",
    inventory_ids=("000-01",),
    source=Source(LECTURE_000, "Linearity of expectation"),
    statement="E[Σ_{i=1}^n X_i] = Σ_{i=1}^n E[X_i]",
    assumptions=("X_i = loc_i + spread_i·T_i with seeded loc_i ∈ [−3, 3], spread_i ∈ [0.2, 2]; T_i = Y_i "
                 "independent, or T_i = Y (even i) and Y² (odd i) of one shared Y (dependent terms); Y as in 000-01",
                 "the slide states no independence condition, so dependent terms are in the domain",
                 "the resolution is relative to Σ_i sd(X_i)"),
    kind="stochastic",
    domain={"distribution": choices(VARIABLES), "dependence": choices(["dependent", "independent"]),
            "terms": integers(2, 8), "data_seed": DATA_SEED},
    stated=lambda p: sum(p["means"]),  # Σ_i E[X_i]
    mutants=(Formula("E[Σ X_i] = Σ E[X_i] + Σ_{i≠j} Cov(X_i, X_j) (the variance rule's cross terms)",
                     lambda p: sum(p["means"]) + p["cross_covariance"]),
             Formula("E[Σ X_i] = (1/n) Σ E[X_i] (an average for the sum)", lambda p: sum(p["means"]) / p["terms"])),
    resolution=0.05,
    scale=lambda p: p["sum_of_sds"],
    design=tuple({"distribution": dist, "dependence": dep, "terms": n, "data_seed": 0}
                 for dep in ("dependent", "independent") for dist in ("exponential", "uniform") for n in (2, 5, 8)),
    figure=Figure(kind="points", x="terms", xlabel="number of terms n", ylabel="E[Σ X_i]", series="dependence"),
)
def expectation_of_sum(p, ctx):
    """Monte Carlo mean of Σ X_i."""
    terms = sum_terms(p)
    locs = torch.tensor([t[0] for t in terms], device=ctx.device, dtype=ctx.dtype)
    spreads = torch.tensor([t[1] for t in terms], device=ctx.device, dtype=ctx.dtype)
    squared = torch.tensor([t[2] == 2 for t in terms], device=ctx.device)

    def draw(n):
        if p["dependence"] == "independent":
            base = draw_base(p["distribution"], (n, p["terms"]), ctx)
        else:
            y = draw_base(p["distribution"], (n, 1), ctx).expand(n, p["terms"])
            base = torch.where(squared, y.square(), y)
        return (locs + spreads * base).sum(dim=1)

    return ctx.mean(draw, bytes_per_replicate=4 * 8 * p["terms"], quantities=sum_moments(p))


@claim(
    id="variance-shortcut",
    title="Var[X] = E[X²] − E[X]²",
    inventory_ids=("000-02",),
    source=Source(LECTURE_000, "Properties of variance"),
    statement="Var[X] = E[X²] − E[X]², with Var[X] = E[(X − E[X])²]",
    assumptions=(VARIABLE_ASSUMPTION, "Var[X] is measured by its definition E[(X − E[X])²]; E[X²] and E[X] "
                 "come from the table's raw moments"),
    kind="stochastic",
    domain=VARIABLE_DOMAIN,
    stated=lambda p: p["raw2"] - p["mean"] ** 2,
    mutants=(Formula("Var[X] = E[X²] − E[X]", lambda p: p["raw2"] - p["mean"]),
             Formula("Var[X] = E[X²]", lambda p: p["raw2"])),
    resolution=0.05,
    design=tuple({"distribution": dist, "loc": loc, "spread": 1.0}
                 for dist in VARIABLES for loc in (-2.0, 2.0)),
    figure=Figure(kind="points", x="loc", xlabel="location of X", ylabel="Var[X]", series="distribution"),
)
def variance_shortcut(p, ctx):
    """Monte Carlo mean of (X − E[X])²."""
    moments = affine_moments(p)
    return ctx.mean(lambda n: (draw_affine(p, n, ctx) - moments["mean"]).square(), bytes_per_replicate=16,
                    quantities=moments)


@claim(
    id="variance-of-scaled-variable",
    title="Var[aX] = a² Var[X]",
    inventory_ids=("000-03",),
    source=Source(LECTURE_000, "Properties of variance"),
    statement="Var[aX] = a² Var[X]",
    assumptions=(VARIABLE_ASSUMPTION, "Var[aX] is measured as E[(aX − aE[X])²]"),
    kind="stochastic",
    domain={**VARIABLE_DOMAIN, "a": floats(-4.0, 4.0)},
    constraint=lambda p: abs(p["a"]) >= 0.05,
    stated="a**2 * variance",  # an expression: typeset in the report, and its standard mutants derived ("auto")
    mutants=("auto", Formula("Var[aX] = |a| Var[X]", lambda p: abs(p["a"]) * p["variance"])),
    resolution=0.05,
    design=tuple({"distribution": dist, "loc": 1.0, "spread": 1.0, "a": a}
                 for dist in ("normal", "die") for a in (-3.0, -0.5, 0.5, 2.0, 4.0)),
    figure=Figure(kind="points", x="a", xlabel="constant a", ylabel="Var[aX]", series="distribution", logy=True),
)
def variance_of_scaled_variable(p, ctx):
    """Monte Carlo mean of (aX − aE[X])²."""
    moments = affine_moments(p)
    return ctx.mean(lambda n: (p["a"] * (draw_affine(p, n, ctx) - moments["mean"])).square(),
                    bytes_per_replicate=16, quantities=moments)


@claim(
    id="variance-of-independent-sum",
    title="Var[X + Y] = Var[X] + Var[Y] for independent X and Y",
    inventory_ids=("000-04",),
    source=Source(LECTURE_000, "Properties of variance"),
    statement="If X and Y are independent: Var[X + Y] = Var[X] + Var[Y]",
    assumptions=(VARIABLE_ASSUMPTION + ", for X and for Y, drawn independently",),
    kind="stochastic",
    domain={**{"x_" + k: v for k, v in VARIABLE_DOMAIN.items()}, **{"y_" + k: v for k, v in VARIABLE_DOMAIN.items()}},
    stated=lambda p: p["x_variance"] + p["y_variance"],
    mutants=(Formula("Var[X + Y] = Var[X] + Var[Y] + 2E[X]E[Y] (the cross term of E[(X + Y)²] kept)",
                     lambda p: p["x_variance"] + p["y_variance"] + 2 * p["x_mean"] * p["y_mean"]),
             Formula("Var[X + Y] = (sd[X] + sd[Y])² (standard deviations added)",
                     lambda p: (math.sqrt(p["x_variance"]) + math.sqrt(p["y_variance"])) ** 2)),
    resolution=0.05,
    design=tuple({"x_distribution": dx, "x_loc": 1.0, "x_spread": sx, "y_distribution": dy, "y_loc": -2.0,
                  "y_spread": 1.0} for dx, dy in (("exponential", "die"), ("normal", "uniform"), ("die", "die"))
                 for sx in (0.2, 1.0, 3.0)),
    figure=Figure(kind="points", x="x_spread", xlabel="spread of X", ylabel="Var[X + Y]", series="x_distribution",
                  logy=True),
)
def variance_of_independent_sum(p, ctx):
    """Monte Carlo mean of (X + Y − E[X] − E[Y])² with X and Y drawn independently."""
    moments = {**affine_moments(p, "x_"), **affine_moments(p, "y_")}
    centre = moments["x_mean"] + moments["y_mean"]
    return ctx.mean(lambda n: (draw_affine(p, n, ctx, "x_") + draw_affine(p, n, ctx, "y_") - centre).square(),
                    bytes_per_replicate=32, quantities=moments)


# === 2. Dropout (000-05, 000-06) ==================================================================

def dropout_layers(p, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """K = p["layers"] seeded layers with their inputs: x (K, d), W (K, d, e), b (K, e), all N(0, 1), float64."""
    generator = seeded_generator(p["data_seed"])
    K, d, e = p["layers"], p["d"], p["e"]
    x = torch.randn(K, d, generator=generator, dtype=torch.float64)
    W = torch.randn(K, d, e, generator=generator, dtype=torch.float64)
    b = torch.randn(K, e, generator=generator, dtype=torch.float64)
    return x.to(device), W.to(device), b.to(device)


def pre_activation(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """xᵀW + b for each of K layers: x (..., K, d), W (K, d, e), b (K, e) -> (..., K, e)."""
    return torch.einsum("...kd,kde->...ke", x, W) + b


def single_neuron(p, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The point's input x and weight vector w (one seeded layer with one output)."""
    x, W, _ = dropout_layers({**p, "layers": 1, "e": 1}, device)
    return x[0], W[0, :, 0]


DROPOUT_DESIGN = tuple({"d": d, "r": r, "data_seed": 0} for d in (8, 64) for r in (0.1, 0.5, 0.9))


@claim(
    id="dropout-expected-linear-output",
    title="Dropout scales the expected output of a linear function by 1 − r",
    inventory_ids=("000-05",),
    source=Source(LECTURE_000, "Dropout at evaluation time"),
    statement=("DO(X, r) = D ⊙ X, d_ij ~ Bernoulli(1 − r); "
               "E[DO_r(x)ᵀw] = Σ_i p(d_i = 1) x_i w_i = (1 − r) Σ_i x_i w_i; "
               "if r = 0.5 the output with dropout is on average half as large"),
    assumptions=("x, w ~ N(0, I_d) seeded (one layer of dropout_layers); DO_r from implementations.layers.dropout "
                 "in training mode",
                 "the resolution is relative to ‖(x_i w_i)_i‖, since Σ x_i w_i itself can be near 0"),
    kind="stochastic",
    domain={"d": integers(1, 128), "r": floats(0.0, 0.95), "data_seed": DATA_SEED},
    stated=lambda p: (1 - p["r"]) * p["xw"],
    mutants=(Formula("E[DO_r(x)ᵀw] = Σ x_i w_i (dropout leaves the mean unchanged)", lambda p: p["xw"]),
             Formula("E[DO_r(x)ᵀw] = r Σ x_i w_i (r read as the keep probability)", lambda p: p["r"] * p["xw"])),
    resolution=0.05,
    scale=lambda p: p["terms_norm"],
    design=DROPOUT_DESIGN,
    representative=({"d": 8, "r": 0.5, "data_seed": 0},),  # the slide's own example, r = 0.5
    figure=Figure(kind="points", x="r", xlabel="dropout rate r", ylabel="E[DO_r(x)ᵀw]", series="d"),
)
def dropout_expected_linear_output(p, ctx):
    """Monte Carlo mean of DO_r(x)ᵀw over dropout masks (the draws' standard deviation is
    √(r(1 − r))·‖(x_i w_i)_i‖, the scale of the resolution)."""
    x, w = single_neuron(p, ctx.device)
    x_run, w_run = x.to(ctx.dtype), w.to(ctx.dtype)

    def draw(n):
        return dropout(x_run.expand(n, p["d"]), r=p["r"], generator=ctx.generator, inference=False) @ w_run

    return ctx.mean(draw, bytes_per_replicate=4 * 8 * p["d"],
                    quantities={"xw": float(x @ w), "terms_norm": float((x * w).norm())})


def dropout_masks(d: int, r: float, *, dtype=torch.float64, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Every dropout mask D ∈ {0, 1}^d, shape (2^d, d), with its probability Π (1 − r)^{d_i} r^{1 − d_i}."""
    if not 0 <= r <= 1:
        raise ValueError(f"dropout rate r must be in [0, 1], got {r}")
    bits = torch.arange(2**d, device=device).unsqueeze(1) >> torch.arange(d, device=device)
    masks = (bits & 1).to(dtype)
    kept = masks.sum(dim=1)
    probability = (1 - r) ** kept * r ** (d - kept)
    return masks, probability


def expected_over_masks(layer: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, r: float) -> torch.Tensor:
    """E_D[layer(D ⊙ x)] exactly, as the probability-weighted sum over all 2^d masks (x: (..., d));
    ``layer`` maps (2^d, ..., d) to (2^d, ..., e)."""
    masks, probability = dropout_masks(x.shape[-1], r, dtype=x.dtype, device=x.device)
    shaped = masks.view(masks.shape[0], *([1] * (x.ndim - 1)), x.shape[-1])
    values = layer(shaped * x)
    return torch.tensordot(probability, values, dims=([0], [0]))


@claim(
    id="dropout-expectation-first-line",
    title="The first line of the dropout derivation sets E[DO_r(x)ᵀw] equal to the random sum Σ d_i x_i w_i",
    inventory_ids=("000-05",),
    role="derivation",  # the derivation's first line; the row's final statement is checked by the claims around it
    source=Source(LECTURE_000, "Dropout at evaluation time"),
    statement="E[DO_r(x)ᵀw] = Σ_i d_i x_i w_i, d_i ~ Bernoulli(1 − r)",
    assumptions=("x, w ~ N(0, I_d) seeded, 0.05 ≤ r ≤ 0.95; the line equates a number with a random sum, so it "
                 "holds only if Σ d_i x_i w_i equals E[DO_r(x)ᵀw] for every mask: measured, Σ d_i x_i w_i for all "
                 "2^d masks D, each against the exact expectation (the probability-weighted sum over the masks)",
                 "tolerance 1e-9 relative to ‖(x_i w_i)_i‖ (Σ x_i w_i itself can be near 0)"),
    kind="identity",
    domain={"d": integers(1, 10), "r": floats(0.05, 0.95), "data_seed": DATA_SEED},
    stated=lambda p: np.full(2 ** p["d"], p["expected"]),  # E[DO_r(x)ᵀw], for every draw of the d_i
    mutants=(Formula("Σ_i x_i w_i (every d_i = 1)", lambda p: np.full(2 ** p["d"], p["xw"])),),
    correction="E[DO_r(x)ᵀw] = E[Σ_i d_i x_i w_i] = Σ_i p(d_i = 1) x_i w_i",
    resolution=1e-9,
    scale=lambda p: p["terms_norm"],
    design=tuple({"d": 8, "r": r, "data_seed": 0} for r in (0.1, 0.5)),
    representative=({"d": 8, "r": 0.5, "data_seed": 0},),  # the slide's own example, r = 0.5
    figure=Figure(kind="points", x="r", xlabel="dropout rate r", ylabel="Σ d_i x_i w_i over the masks"),
)
def dropout_expectation_first_line(p, ctx):
    """Σ d_i x_i w_i for every mask D ∈ {0, 1}^d; the exact E[DO_r(x)ᵀw] and ‖(x_i w_i)_i‖ as quantities."""
    x, w = single_neuron(p, ctx.device)
    masks, _ = dropout_masks(p["d"], p["r"], device=x.device)
    sums = ((masks * x) @ w).cpu().numpy()
    expected = float(expected_over_masks(lambda masked: masked @ w, x, p["r"]))
    return Measurement(sums, quantities={"expected": expected, "xw": float(x @ w),
                                         "terms_norm": float((x * w).norm())})


@claim(
    id="dropout-shrinks-linear-output",
    title="With dropout the expected linear output is smaller: (1 − r) Σ x_i w_i < Σ x_i w_i",
    inventory_ids=("000-05",),
    source=Source(LECTURE_000, "Dropout at evaluation time"),
    statement="E[DO_r(x)ᵀw] = Σ_i p(d_i = 1) x_i w_i = (1 − r) Σ_i x_i w_i < Σ_i x_i w_i",
    assumptions=("x, w ~ N(0, I_d) seeded, dropout rates 0.05 ≤ r ≤ 0.95; E[DO_r(x)ᵀw] is the exact sum over "
                 "all 2^d masks, each with probability Π (1 − r)^{d_i} r^{1 − d_i}",
                 "checked as '≤' in float64; at r > 0 the two sides differ by r·|Σ x_i w_i|, so '≤' decides '<'"),
    kind="bound",
    relation="le",
    domain={"d": integers(1, 10), "r": floats(0.05, 0.95), "data_seed": DATA_SEED},
    readings=(
        Reading("in magnitude", "'<' compares sizes: |E[DO_r(x)ᵀw]| < |Σ x_i w_i| (as 'half as large' at r = 0.5 "
                "suggests)", {"sense": "magnitude"}),
        Reading("as signed numbers", "'<' compares the values themselves: E[DO_r(x)ᵀw] < Σ x_i w_i",
                {"sense": "signed"}),
    ),
    stated=lambda p: abs(p["xw"]) if p["sense"] == "magnitude" else p["xw"],
    mutants=(Formula("E[DO_r(x)ᵀw] ≤ r Σ x_i w_i (r read as the keep probability)",
                     lambda p: p["r"] * (abs(p["xw"]) if p["sense"] == "magnitude" else p["xw"])),),
    resolution=1e-12,
    atol=1e-15,
    design=tuple({"d": 8, "r": r, "data_seed": seed} for r in (0.1, 0.5, 0.9) for seed in (0, 1, 2)),
    representative=({"d": 8, "r": 0.5, "data_seed": 0},),  # the slide's own example, r = 0.5
    figure=Figure(kind="points", x="r", xlabel="dropout rate r", ylabel="E[DO_r(x)ᵀw] (its size, in magnitude)",
                  series="reading"),
)
def dropout_shrinks_linear_output(p, ctx):
    """E[DO_r(x)ᵀw] exactly (its absolute value under the magnitude reading)."""
    x, w = single_neuron(p, ctx.device)
    expected = float(expected_over_masks(lambda masked: masked @ w, x, p["r"]))
    return Measurement(abs(expected) if p["sense"] == "magnitude" else expected, quantities={"xw": float(x @ w)})


@claim(
    id="dropout-eval-rule-linear-part",
    title="The evaluation rule (1 − r)X reproduces the expected pre-activation DO_r(x)ᵀW + b",
    inventory_ids=("000-06",),
    source=Source(LECTURE_000, "Dropout at evaluation time"),
    statement=("φ(x)_train = σ(DO_r(x)ᵀW + b); Simple (but not quite correct) solution: Dropout_eval(X, r) = (1 − r)X: "
               "before σ, E[DO_r(x)ᵀW + b] = Dropout_eval(x, r)ᵀW + b"),
    assumptions=("x, W, b ~ N(0, 1) seeded, 4 layers per point; measured: the expectation over masks, the exact sum "
                 "over all 2^d masks; stated: ((1 − r)x)ᵀW + b written in the declaration from the inputs x, W, b "
                 "(quantities)",),
    kind="identity",
    domain={"d": integers(1, 10), "e": integers(1, 8), "layers": choices([4]), "r": floats(0.0, 1.0),
            "data_seed": DATA_SEED},
    stated=lambda p: layer_output(p, (1 - p["r"]) * p["x"]),  # Dropout_eval(x, r)ᵀW + b, Dropout_eval = (1 − r)x
    mutants=(Formula("E[DO_r(x)ᵀW + b] = xᵀW + b (evaluating without dropout, the slide's 'problem')",
                     lambda p: layer_output(p, p["x"])),
             Formula("E[DO_r(x)ᵀW + b] = (1 − r)(xᵀW + b) (the bias scaled too)",
                     lambda p: (1 - p["r"]) * layer_output(p, p["x"]))),
    resolution=1e-12,
    atol=1e-12,
    design=tuple({"d": 8, "e": 4, "layers": 4, "r": r, "data_seed": 0} for r in (0.1, 0.5, 0.9)),
    representative=({"d": 8, "e": 4, "layers": 4, "r": 0.5, "data_seed": 0},),  # the slide's own example, r = 0.5
    figure=Figure(kind="points", x="r", xlabel="dropout rate r", ylabel="E[DO_r(x)ᵀW + b] (worst entry)", series="d"),
)
def dropout_eval_rule_linear_part(p, ctx):
    """E over masks of DO_r(x)ᵀW + b, exact, for every layer and output unit; x, W, b as quantities."""
    x, W, b = dropout_layers(p, ctx.device)
    expected = expected_over_masks(lambda masked: pre_activation(masked, W, b), x, p["r"])
    return Measurement(expected.cpu().numpy(), quantities={"x": x.cpu().numpy(), "W": W.cpu().numpy(),
                                                          "b": b.cpu().numpy()})


def layer_output(p, inputs: np.ndarray) -> np.ndarray:
    """inputsᵀW + b for each of the point's layers (quantities W, b), in numpy: a declaration's formula."""
    return np.einsum("kd,kde->ke", inputs, p["W"]) + p["b"]


ACTIVATIONS = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
EXACT, INEXACT, MIXED = "exact", "not exact", "exact at some rates only"
GAP_TOLERANCE = 1e-12  # relative to the size of the expected output: float64 rounding, not a real gap
RATES = np.linspace(0.05, 0.95, 10)


def eval_rule_gaps(p, device) -> np.ndarray:
    """For each r in RATES: max over the layers and units of |E_D[σ(DO_r(x)ᵀW + b)] − σ(Dropout_eval(x, r)ᵀW + b)|,
    relative to 1 + max |E_D[σ(·)]|."""
    sigma = ACTIVATIONS[p["activation"]]
    x, W, b = dropout_layers(p, device)
    gaps = []
    for r in RATES:
        expected = expected_over_masks(lambda masked: sigma(pre_activation(masked, W, b)), x, float(r))
        evaluated = sigma(pre_activation(dropout(x, r=float(r), generator=None, inference=True), W, b))
        gaps.append(float((expected - evaluated).abs().max() / (1 + expected.abs().max())))
    return np.array(gaps)


def exactness(gaps: np.ndarray) -> str:
    """'exact' if every gap is at most GAP_TOLERANCE, 'not exact' if every gap exceeds it, else mixed."""
    inexact = gaps > GAP_TOLERANCE
    return INEXACT if inexact.all() else EXACT if not inexact.any() else MIXED


@claim(
    id="dropout-eval-rule-after-activation",
    search_factor=COSTLY,
    title="After a nonlinear σ the evaluation rule (1 − r)X is not exact (it is for a linear layer)",
    inventory_ids=("000-06",),
    source=Source(LECTURE_000, "Dropout at evaluation time"),
    statement=("φ(x)_train = σ(DO_r(x)ᵀW + b); Simple (but not quite correct) solution: Dropout_eval(X, r) = (1 − r)X"),
    assumptions=("precise form: for 0 < r < 1, σ(Dropout_eval(x, r)ᵀW + b) differs from E_D[σ(DO_r(x)ᵀW + b)] for a "
                 "nonlinear σ (sigmoid, tanh, ReLU) and equals it for σ = identity (the slide's linear function); "
                 "'not quite correct' is read as 'not correct in general', so the label looks at 16 seeded layers "
                 "(x, W, b ~ N(0, 1)) at once",
                 f"at each of 10 rates r from 0.05 to 0.95 the gap is the largest difference over the layers and "
                 f"units, relative to 1 + max |E_D[σ(·)]|; '{INEXACT}' if it exceeds {GAP_TOLERANCE:g} at every rate, "
                 f"'{EXACT}' if at none, '{MIXED}' otherwise; expectations are exact sums over all 2^d masks"),
    preset=BEHAVIOUR,
    domain={"activation": choices(list(ACTIVATIONS)), "d": integers(1, 8), "e": integers(1, 8),
            "layers": choices([16]), "data_seed": DATA_SEED},
    stated=lambda p: EXACT if p["activation"] == "identity" else INEXACT,
    mutants=(Formula("the rule is exact after any σ, as before it", lambda p: EXACT),
             Formula("the rule is inexact even for a linear layer", lambda p: INEXACT)),
    design=tuple({"activation": a, "d": 8, "e": 4, "layers": 16, "data_seed": 0} for a in ACTIVATIONS),
    figure=Figure(kind="traces", xlabel="dropout rate r",
                  ylabel="largest |E[σ(DO_r(x)ᵀW + b)] − σ((1 − r)xᵀW + b)|, relative", logy=True),
)
def dropout_eval_rule_after_activation(p, ctx):
    """Classify the evaluation rule's gaps along r; trace them."""
    gaps = eval_rule_gaps(p, ctx.device)
    return Measurement(exactness(gaps), quantities={"largest_gap": float(gaps.max()), "smallest_gap": float(gaps.min())},
                       trace={"x": RATES, "measured": np.maximum(gaps, 1e-17)})


# === 3. Convexity (000-07, 000-08) ================================================================

REGRESSIONS = ("linear", "logistic")


def regression_data(p, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded data X (N, d) ~ N(0, 1) and targets: y = Xw + 0.5ε (linear) or labels ±1 drawn from the
    logistic model (logistic). ``features == "duplicated column"`` repeats the first column last."""
    generator = seeded_generator(p["data_seed"])
    d = p["d"] - 1 if p.get("features") == "duplicated column" else p["d"]
    X = torch.randn(p["N"], d, generator=generator, dtype=torch.float64)
    w_true = torch.randn(d, generator=generator, dtype=torch.float64)
    if p.get("features") == "duplicated column":
        X = torch.cat([X, X[:, :1]], dim=1)
        w_true = torch.cat([w_true, torch.zeros(1, dtype=torch.float64)])
    if p["regression"] == "linear":
        y = X @ w_true + 0.5 * torch.randn(p["N"], generator=generator, dtype=torch.float64)
    else:
        y = 2 * torch.bernoulli(torch.sigmoid(X @ w_true), generator=generator) - 1
    return X.to(device), y.to(device)


def regression_loss(regression: str, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The slides' losses at w (..., d): MSE (1/N) Σ (x_iᵀw − y_i)², or the logistic loss
    (1/N) Σ log(1 + exp(−y_i x_iᵀw)) with labels ±1; shape (...)."""
    z = w @ X.mT
    if regression == "linear":
        return (z - y).square().mean(dim=-1)
    return softplus(-y * z).mean(dim=-1)


SEGMENTS = 64  # random segments [w₁, w₂] per point


@claim(
    id="regression-losses-convex",
    search_factor=COSTLY,
    title="Linear and logistic regression losses are convex",
    inventory_ids=("000-07",),
    source=Source(LECTURE_000, "Convexity"),
    statement=("Convex function: f(tx₁ + (1 − t)x₂) ≤ tf(x₁) + (1 − t)f(x₂); linear and logistic regression losses "
               "are convex (usually strictly)"),
    assumptions=(f"the convexity inequality at {SEGMENTS} seeded segments per point: w₁, w₂ ~ N(0, 4I), t ~ U(0, 1)",
                 "MSE for linear regression, mean log(1 + exp(−y xᵀw)) for logistic regression, unregularized; "
                 "data X ~ N(0, 1) with N examples in d dimensions, including d > N"),
    kind="bound",
    relation="le",
    domain={"regression": choices(REGRESSIONS), "N": integers(1, 64), "d": integers(1, 16),
            "data_seed": DATA_SEED},
    stated=lambda p: p["t"] * p["f1"] + (1 - p["t"]) * p["f2"],  # tf(w₁) + (1 − t)f(w₂)
    mutants=(Formula("strongly convex with modulus 1: f(tw₁ + (1 − t)w₂) ≤ tf(w₁) + (1 − t)f(w₂) − ½t(1 − t)‖w₁ − w₂‖²",
                     lambda p: p["t"] * p["f1"] + (1 - p["t"]) * p["f2"] - 0.5 * p["t"] * (1 - p["t"]) * p["dist_sq"]),
             Formula("f(tw₁ + (1 − t)w₂) ≤ t²f(w₁) + (1 − t)²f(w₂)",
                     lambda p: p["t"] ** 2 * p["f1"] + (1 - p["t"]) ** 2 * p["f2"])),
    resolution=1e-12,
    atol=1e-12,
    design=tuple({"regression": r, "N": n, "d": d, "data_seed": 0} for r in REGRESSIONS for n, d in ((32, 4), (4, 16))),
    figure=Figure(kind="points", x="d", xlabel="dimension d", ylabel="f at the worst segment point", series="regression"),
)
def regression_losses_convex(p, ctx):
    """The loss at t w₁ + (1 − t) w₂ for every segment; f(w₁), f(w₂), t and ‖w₁ − w₂‖² as quantities."""
    X, y = regression_data(p, ctx.device)
    generator = seeded_generator(p["data_seed"] + 1)
    w1, w2 = (2 * torch.randn(2, SEGMENTS, p["d"], generator=generator, dtype=torch.float64)).to(ctx.device)
    t = torch.rand(SEGMENTS, generator=generator, dtype=torch.float64).to(ctx.device)
    f1, f2 = regression_loss(p["regression"], X, y, w1), regression_loss(p["regression"], X, y, w2)
    mid = regression_loss(p["regression"], X, y, t.unsqueeze(1) * w1 + (1 - t.unsqueeze(1)) * w2)
    numpy = lambda v: v.cpu().numpy()  # noqa: E731
    return Measurement(numpy(mid), quantities={"f1": numpy(f1), "f2": numpy(f2), "t": numpy(t),
                                               "dist_sq": numpy((w1 - w2).square().sum(-1))})


STRICT, FLAT, NONCONVEX = "strictly convex", "convex, not strictly", "not convex"
CURVATURE_TOLERANCE = 1e-12  # relative to the largest Hessian eigenvalue: far above float64 rounding (~1e-15)
HESSIAN_POINTS = 8


def regression_hessian(regression: str, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """∇² of regression_loss at w (..., d), in closed form: (2/N) XᵀX for the MSE, and
    (1/N) Xᵀ diag(σ(m)σ(−m)) X with margins m_i = y_i x_iᵀw for the logistic loss; shape (..., d, d)."""
    if regression == "linear":
        return (2 / X.shape[0] * X.mT @ X).expand(*w.shape[:-1], X.shape[1], X.shape[1])
    margins = y * (w @ X.mT)
    curvature = torch.sigmoid(margins) * torch.sigmoid(-margins)  # (..., N)
    return (X.mT * curvature.unsqueeze(-2)) @ X / X.shape[0]


def convexity_class(eigenvalues: torch.Tensor) -> str:
    """The label of a loss from its Hessian eigenvalues at several points, (points, d):
    strictly convex if every eigenvalue is positive beyond the tolerance, not convex if one is negative
    beyond it, convex but not strictly otherwise (a flat direction somewhere)."""
    top = float(eigenvalues.abs().max())
    lowest = float(eigenvalues.min())
    if lowest > CURVATURE_TOLERANCE * top:
        return STRICT
    return NONCONVEX if lowest < -CURVATURE_TOLERANCE * top else FLAT


@claim(
    id="regression-losses-strictly-convex",
    title="Linear and logistic regression losses are strictly convex unless the data are rank-deficient",
    inventory_ids=("000-07",),
    source=Source(LECTURE_000, "Convexity"),
    statement=("Strictly convex: f(tx₁ + (1 − t)x₂) < tf(x₁) + (1 − t)f(x₂), single optimum; linear and logistic "
               "regression losses are convex (usually strictly)"),
    assumptions=("precise form of 'usually': strictly convex when X has full column rank, convex but not strictly "
                 "otherwise (d > N, or a duplicated feature)",
                 f"classified from the Hessian's eigenvalues (closed form, tested against autograd) at {HESSIAN_POINTS} "
                 f"seeded points w ~ N(0, I/d): "
                 f"'{STRICT}' if all exceed {CURVATURE_TOLERANCE:g}·λ_max, '{NONCONVEX}' if one is below "
                 f"−{CURVATURE_TOLERANCE:g}·λ_max, '{FLAT}' otherwise"),
    preset=BEHAVIOUR,
    domain={"regression": choices(REGRESSIONS), "features": choices(["generic", "duplicated column"]),
            "N": integers(1, 64), "d": integers(2, 16), "data_seed": DATA_SEED},
    stated=lambda p: STRICT if p["rank"] == p["d"] else FLAT,
    mutants=(Formula("always strictly convex", lambda p: STRICT),
             Formula("never strictly convex", lambda p: FLAT)),
    design=tuple({"regression": r, "features": f, "N": n, "d": 8, "data_seed": 0}
                 for r in REGRESSIONS for f, n in (("generic", 32), ("generic", 4), ("duplicated column", 32))),
    figure=Figure(kind="points", x="N", xlabel="examples N (d = 8 in the design)", ylabel="convexity",
                  series="regression"),
)
def regression_losses_strictly_convex(p, ctx):
    """Classify the loss by its Hessian's eigenvalues at several points."""
    X, y = regression_data(p, ctx.device)
    w = torch.randn(HESSIAN_POINTS, p["d"], generator=seeded_generator(p["data_seed"] + 1), dtype=torch.float64)
    eigenvalues = torch.linalg.eigvalsh(regression_hessian(p["regression"], X, y, w.to(ctx.device) / math.sqrt(p["d"])))
    return Measurement(convexity_class(eigenvalues), quantities={
        "rank": int(torch.linalg.matrix_rank(X)),
        "relative_lowest_curvature": float(eigenvalues.min() / eigenvalues.abs().max())})


REACHES, STALLS, DIVERGES = "reaches the minimizer", "stalls short of it", "diverges"
GD_PRECISION = 1e-6  # ‖w_T − w*‖ ≤ GD_PRECISION·‖w₀ − w*‖ counts as reaching the minimizer


def gd_run(p, device) -> dict[str, float | np.ndarray]:
    """Gradient descent with η = step/L on the point's problem, for the number of steps T after which
    the contraction bound max(|1 − ημ|, |1 − ηL|)^T is 1e-8 (100 times below GD_PRECISION)."""
    problem: LeastSquares | LogisticRegression
    if p["problem"] == "least_squares":
        problem = make_least_squares(max(p["n"], p["d"]), p["d"], condition=p["condition"], seed=p["data_seed"],
                                     device=device)
    else:
        problem = make_logistic_regression(p["n"], p["d"], l2=0.1, seed=p["data_seed"], device=device)
    L, mu = problem.smoothness, problem.strong_convexity
    lr = p["step"] / L
    rate = max(abs(1 - lr * mu), abs(1 - lr * L))
    steps = math.ceil(math.log(1e-8) / math.log(rate))
    w_star = problem.minimizer
    w0 = w_star + 3 * torch.randn(problem.d, generator=seeded_generator(p["data_seed"] + 1),
                                  dtype=torch.float64).to(device)
    ws = gradient_descent_trajectory(problem.grad, w0, lr=lr, steps=steps)
    distance = ((ws - w_star).norm(dim=-1) / (w0 - w_star).norm()).cpu().numpy()
    return {"distance": distance, "steps": steps, "rate_bound": rate}


def gd_outcome(distance: np.ndarray) -> str:
    """The label of a run from its relative distances ‖w_k − w*‖/‖w₀ − w*‖."""
    final = distance[-1]
    if not np.isfinite(final) or final > 1:
        return DIVERGES
    return REACHES if final <= GD_PRECISION else STALLS


CONVEXITY_STATEMENT = ("Linear and logistic regression losses are convex (usually strictly). Gradient descent will "
                       "always* get us to the right answer.")  # 000-07, checked on regularized and plain losses


@claim(
    id="gd-reaches-regression-minimizer",
    search_factor=COSTLY,
    title="Gradient descent with η < 2/L gets to the minimizer of a linear or logistic regression loss",
    inventory_ids=("000-07",),
    source=Source(LECTURE_000, "Convexity"),
    statement=CONVEXITY_STATEMENT,
    assumptions=("the asterisk's condition is read as the standard one for an L-smooth convex loss: a step size "
                 "η = step/L with 0 < step < 2 (here 0.25 ≤ step ≤ 1.9); beyond 2/L gradient descent on a quadratic "
                 "diverges",
                 "the 'right answer' is the unique minimizer w* of a strictly convex loss: least squares with n ≥ d "
                 "(condition number 1 to 30) and ℓ2-regularized logistic regression (λ = 0.1, so a minimizer exists "
                 "even for separable data)",
                 f"w₀ = w* + 3·N(0, I); run for T steps with max(|1 − ημ|, |1 − ηL|)^T ≤ 1e-8; '{REACHES}' when "
                 f"‖w_T − w*‖ ≤ {GD_PRECISION:g}‖w₀ − w*‖, '{DIVERGES}' when it grew, '{STALLS}' otherwise"),
    preset=BEHAVIOUR,
    domain={"problem": choices(PROBLEMS), "n": integers(1, 100), "d": integers(1, 10),
            "condition": choices([1.0, 10.0, 30.0]), "step": floats(0.25, 1.9),
            "data_seed": DATA_SEED},
    stated=lambda p: REACHES,
    mutants=(Formula("gradient descent converges only for η ≤ 1/L", lambda p: REACHES if p["step"] <= 1 else DIVERGES),),
    design=tuple({"problem": problem, "n": 50, "d": 5, "condition": 30.0, "step": step, "data_seed": 0}
                 for problem in PROBLEMS for step in (0.5, 1.0, 1.9)),
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖w_k − w*‖ / ‖w₀ − w*‖", logy=True, logx=True),
)
def gd_reaches_regression_minimizer(p, ctx):
    """Run gradient descent and classify where it ends."""
    run = gd_run(p, ctx.device)
    distance = run["distance"]
    keep = log_spaced(len(distance))
    return Measurement(gd_outcome(distance), quantities={"steps": run["steps"], "final_distance": float(distance[-1])},
                       trace={"x": keep, "measured": distance[keep]})


NO_MINIMIZER = "‖w‖ grows without bound (no minimizer)"
LOGISTIC_CHECKPOINTS = (200, 2_000, 20_000)  # GD steps at which ‖w_k‖ and the gradient are read
LOGISTIC_GRADIENT_PRECISION = 1e-5  # ‖∇f(w_T)‖ ≤ this·‖∇f(w₀)‖: at a stationary point of a convex loss


def unregularized_logistic_data(p) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded X (n, d) ~ N(0, 1) and labels ±1 = sign(X w_true) (``separable``), or, with overlapping
    classes, labels from the logistic model plus the points e_j with both labels for every axis j, which
    make the loss grow at least like ‖w‖₁/N: a unique minimizer exists."""
    generator = seeded_generator(p["data_seed"])
    X = torch.randn(p["n"], p["d"], generator=generator, dtype=torch.float64)
    w_true = 3 * torch.randn(p["d"], generator=generator, dtype=torch.float64)
    if p["separable"]:
        return X, torch.where(X @ w_true >= 0, 1.0, -1.0).to(torch.float64)
    y = 2 * torch.bernoulli(torch.sigmoid(X @ w_true), generator=generator) - 1
    axes = torch.eye(p["d"], dtype=torch.float64).repeat(2, 1)
    return torch.cat([X, axes]), torch.cat([y, torch.ones(p["d"]), -torch.ones(p["d"])])


def logistic_gd_outcome(norms: np.ndarray, gradient_ratio: float) -> str:
    """The label of a GD run on the unregularized logistic loss from ‖w_k‖ at the checkpoints (each a decade
    apart) and ‖∇f(w_T)‖/‖∇f(w₀)‖: growing by a steady amount per decade (log growth, as on separable data)
    is no minimizer; otherwise a vanishing gradient is the minimizer reached."""
    last, previous = norms[2] - norms[1], norms[1] - norms[0]
    if last > 1e-3 * norms[2] and last >= 0.5 * previous:
        return NO_MINIMIZER
    return REACHES if gradient_ratio <= LOGISTIC_GRADIENT_PRECISION else STALLS


@claim(
    id="gd-reaches-unregularized-logistic-minimizer",
    search_factor=COSTLY,
    title="Gradient descent on the (unregularized) logistic regression loss gets to its minimizer",
    inventory_ids=("000-07",),
    source=Source(LECTURE_000, "Convexity"),
    statement=CONVEXITY_STATEMENT,
    assumptions=("the slide's loss as written, (1/N) Σ log(1 + exp(−y_i x_iᵀw)) without regularization; gradient "
                 "descent from w₀ = 0 with η = step/L, L = λ_max(XᵀX)/(4N), 0.25 ≤ step ≤ 1.9",
                 f"'{NO_MINIMIZER}' when ‖w_k‖ still grows over the last decade of steps (k = "
                 f"{', '.join(map(str, LOGISTIC_CHECKPOINTS))}) by more than 1e-3·‖w_k‖ and at least half the growth "
                 f"of the decade before (log growth); else '{REACHES}' when ‖∇f(w_T)‖ ≤ "
                 f"{LOGISTIC_GRADIENT_PRECISION:g}·‖∇f(w₀)‖ (a stationary point of a convex loss is a minimizer), "
                 f"'{STALLS}' otherwise",
                 "the asterisk of 'always*' is not explained on the slide: both kinds of data are checked"),
    preset=BEHAVIOUR,
    domain={"n": integers(5, 100), "d": integers(1, 5), "step": floats(0.25, 1.9),
            "data_seed": DATA_SEED},
    readings=(
        Reading("overlapping classes", "the classes overlap (no separating hyperplane), so a minimizer exists",
                {"separable": False}),
        Reading("separable classes", "labels sign(xᵀw_true): linearly separable data, as small data sets often are",
                {"separable": True}),
    ),
    stated=lambda p: REACHES,
    mutants=(Formula("gradient descent gets there only with η ≤ 1/L, and diverges beyond",
                     lambda p: REACHES if p["step"] <= 1 else DIVERGES),),
    correction=("on linearly separable data the logistic loss has no minimizer (its infimum 0 is approached as ‖w‖ "
                "→ ∞) and gradient descent's ‖w_k‖ grows like log k; add ℓ2 regularization for a minimizer"),
    design=tuple({"n": 50, "d": 2, "step": step, "data_seed": 0} for step in (1.0, 1.9)),
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖w_k‖", logx=True),
)
def gd_reaches_unregularized_logistic_minimizer(p, ctx):
    """Run gradient descent on the unregularized logistic loss; classify by ‖w_k‖'s growth and the gradient."""
    X, y = (t.to(ctx.device) for t in unregularized_logistic_data(p))

    def grad(w):  # ∇ (1/N) Σ log(1 + exp(−y_i x_iᵀw)) = −(1/N) Σ σ(−y_i x_iᵀw) y_i x_i
        return -(torch.sigmoid(-y * (w @ X.mT)) * y) @ X / X.shape[0]

    lr = p["step"] / float(torch.linalg.eigvalsh(X.T @ X)[-1] / (4 * X.shape[0]))
    w0 = torch.zeros(p["d"], dtype=torch.float64, device=ctx.device)
    ws = gradient_descent_trajectory(grad, w0, lr=lr, steps=LOGISTIC_CHECKPOINTS[-1])
    norms = ws.norm(dim=-1).cpu().numpy()
    gradient_ratio = float(grad(ws[-1]).norm() / grad(w0).norm())
    keep = log_spaced(len(norms))
    return Measurement(logistic_gd_outcome(norms[list(LOGISTIC_CHECKPOINTS)], gradient_ratio),
                       quantities={"norms": norms[list(LOGISTIC_CHECKPOINTS)], "gradient_ratio": gradient_ratio},
                       trace={"x": keep, "measured": norms[keep]})


NETWORK_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
NETWORK_PROBLEMS = ("regression", "deep regression", "classification")
EQUIVALENT_NONCONVEX = "equivalent solutions, loss not convex"
EQUIVALENT_CONVEX = "equivalent solutions, convex along the segments"
NOT_EQUIVALENT = "permuted solution not equivalent"
LOSS_TOLERANCE = 1e-13  # relative to the loss scale: float64 rounding of a reordered sum (~1e-16), not a real difference
PERMUTATIONS = 8  # equivalent copies tried per point


def teacher_network(p, device) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]:
    """A seeded network (a list of (W, b) layers, the last one linear to one output) and its inputs
    X (64, d_in) ~ N(0, 1). "deep regression" has two hidden layers, the others one.

    Weights are N(0, 1); each hidden bias is minus the median of its unit's pre-activation on X, so that
    every unit is active and nonlinear on the data (no dead or saturated-constant units)."""
    generator = seeded_generator(p["data_seed"])
    hidden = 2 if p["problem"] == "deep regression" else 1
    widths = [p["d_in"]] + [p["width"]] * hidden + [1]
    X = torch.randn(64, p["d_in"], generator=generator, dtype=torch.float64).to(device)
    layers, h = [], X
    for k, (a, b) in enumerate(zip(widths, widths[1:])):
        W = torch.randn(a, b, generator=generator, dtype=torch.float64).to(device)
        if k < hidden:
            bias = -(h @ W).quantile(0.5, dim=0)
            h = NETWORK_ACTIVATIONS[p["activation"]](h @ W + bias)
        else:
            bias = torch.randn(b, generator=generator, dtype=torch.float64).to(device)
        layers.append((W, bias))
    return layers, X


def network_output(layers, X: torch.Tensor, activation: str) -> torch.Tensor:
    """f(X) = σ(…σ(XW₁ + b₁)…)W_L + b_L, shape (N,)."""
    h = X
    for W, b in layers[:-1]:
        h = NETWORK_ACTIVATIONS[activation](h @ W + b)
    W, b = layers[-1]
    return (h @ W + b).squeeze(-1)


def permute_last_hidden_layer(layers, permutation: torch.Tensor):
    """The same network with the units of its last hidden layer reordered: columns of the layer feeding
    it and rows of the layer reading it. It computes the same function."""
    (W_in, b_in), (W_out, b_out) = layers[-2], layers[-1]
    return [*layers[:-2], (W_in[:, permutation], b_in[permutation]), (W_out[permutation], b_out)]


def midpoint(layers_a, layers_b):
    """The parameter vector halfway between two networks of the same shape."""
    return [((Wa + Wb) / 2, (ba + bb) / 2) for (Wa, ba), (Wb, bb) in zip(layers_a, layers_b)]


def hidden_permutations(width: int, count: int, seed: int) -> list[torch.Tensor]:
    """The reversal, then seeded random permutations of the hidden units other than the identity."""
    generator = seeded_generator(seed + 2)
    identity = torch.arange(width)
    permutations = [identity.flip(0)]
    while len(permutations) < count:
        candidate = torch.randperm(width, generator=generator)
        if not torch.equal(candidate, identity):
            permutations.append(candidate)
    return permutations


def class_threshold(outputs: torch.Tensor) -> float:
    """A threshold that splits the outputs into two classes as equal as ties allow, halfway between two
    distinct output values (so that no output lies on it)."""
    values = outputs.unique()  # sorted
    if values.numel() < 2:
        raise ValueError("the teacher network is constant on the data: no two classes to separate")
    above = int(torch.searchsorted(values, outputs.quantile(0.5), right=True))
    above = min(max(above, 1), values.numel() - 1)
    return float(values[above - 1] + values[above]) / 2


def permutation_losses(p, device) -> dict[str, np.ndarray | float]:
    """The loss of a global minimizer θ (a teacher network), of PERMUTATIONS copies θ' with the last
    hidden layer's units permuted, and of the midpoints (θ + θ')/2.

    Regression: targets y = f_θ(X) and the MSE. Classification: labels sign f_θ(X) and the hinge loss
    max(0, 1 − y f), with the teacher's output layer scaled so that every |f_θ(x)| ≥ 2 (rounding cannot reach
    the hinge). Both losses are 0 at θ, so θ and each θ' are global minimizers ("two equivalent solutions")."""
    layers, X = teacher_network(p, device)
    activation = p["activation"]
    if p["problem"] == "classification":
        W, b = layers[-1]
        b = b - class_threshold(network_output(layers, X, activation))
        scale_up = 2 / float(network_output([*layers[:-1], (W, b)], X, activation).abs().min())
        layers = [*layers[:-1], (scale_up * W, scale_up * b)]
        labels = torch.sign(network_output(layers, X, activation))
        loss = lambda net: float(torch.relu(1 - labels * network_output(net, X, activation)).mean())  # noqa: E731
        scale = 1.0  # the loss of f = 0
    else:
        targets = network_output(layers, X, activation)
        loss = lambda net: float((network_output(net, X, activation) - targets).square().mean())  # noqa: E731
        scale = float(targets.square().mean())  # the loss of f = 0
    copies = [permute_last_hidden_layer(layers, perm.to(device))
              for perm in hidden_permutations(p["width"], PERMUTATIONS, p["data_seed"])]
    return {"loss": loss(layers), "permuted": np.array([loss(c) for c in copies]),
            "midpoints": np.array([loss(midpoint(layers, c)) for c in copies]), "scale": scale}


def permutation_outcome(losses) -> str:
    """Equivalent if every permuted copy's loss matches L(θ); not convex if some midpoint's loss exceeds
    the chord ½(L(θ) + L(θ'))."""
    tolerance = LOSS_TOLERANCE * (losses["scale"] + losses["loss"])
    if np.any(np.abs(losses["permuted"] - losses["loss"]) > tolerance):
        return NOT_EQUIVALENT
    chords = (losses["loss"] + losses["permuted"]) / 2
    return EQUIVALENT_NONCONVEX if np.any(losses["midpoints"] > chords + tolerance) else EQUIVALENT_CONVEX


@claim(
    id="nn-loss-permutation-nonconvex",
    search_factor=COSTLY,
    title="A neural network's loss is not convex: two equivalent (permuted) solutions have a worse midpoint",
    inventory_ids=("000-08",),
    source=Source(LECTURE_000, "Convexity"),
    statement="Neural network losses are (usually) not convex! Why? Two equivalent solutions",
    assumptions=("precise form: for a global minimizer θ, the copies θ' with the last hidden layer's units "
                 f"permuted (the reversal and {PERMUTATIONS - 1} seeded permutations) have the same loss, and some "
                 "midpoint (θ + θ')/2 has a larger loss than ½(L(θ) + L(θ')), which a convex loss cannot have",
                 "three families, 64 inputs x ~ N(0, I), N(0, 1) weights, hidden biases centring each unit on the "
                 "data: regression (MSE) on the targets of a teacher "
                 "network with one or two hidden layers, and classification (hinge loss) on the teacher's labels, "
                 "its output shifted so that the two classes are about equal in size and scaled to margins ≥ 2; the "
                 "teacher is θ, with loss 0",
                 "the zero set of a hinge loss is wide: with a one-dimensional input or fewer than 4 hidden units "
                 "the midpoints of permuted copies can stay inside it (1.5 % of such networks), so the classification "
                 "family uses d_in ≥ 2 and width ≥ 4 ('usually')",
                 f"losses agree when within {LOSS_TOLERANCE:g}·(loss scale + L(θ)), the loss scale being the loss "
                 "of the zero function"),
    preset=BEHAVIOUR,
    domain={"problem": choices(NETWORK_PROBLEMS), "activation": choices(list(NETWORK_ACTIVATIONS)),
            "width": integers(2, 32), "d_in": integers(1, 8), "data_seed": DATA_SEED},
    constraint=lambda p: p["problem"] != "classification" or (p["width"] >= 4 and p["d_in"] >= 2),
    stated=lambda p: EQUIVALENT_NONCONVEX,
    mutants=(Formula("the loss is convex along the segments between equivalent solutions",
                     lambda p: EQUIVALENT_CONVEX),
             Formula("permuting hidden units changes the loss", lambda p: NOT_EQUIVALENT)),
    design=tuple({"problem": problem, "activation": activation, "width": 8, "d_in": 2, "data_seed": 0}
                 for problem in NETWORK_PROBLEMS for activation in NETWORK_ACTIVATIONS),
    figure=Figure(kind="points", x="width", xlabel="hidden units", ylabel="outcome", series="problem"),
)
def nn_loss_permutation_nonconvex(p, ctx):
    """Losses at a solution, its permuted copies and the midpoints, classified."""
    losses = permutation_losses(p, ctx.device)
    return Measurement(permutation_outcome(losses), quantities={
        "loss": losses["loss"], "largest_permuted_change": float(np.abs(losses["permuted"] - losses["loss"]).max()),
        "largest_midpoint_excess": float((losses["midpoints"] - (losses["loss"] + losses["permuted"]) / 2).max()),
        "scale": losses["scale"]})


# === 4. Symmetry-breaking (000-09) ================================================================

SYMMETRY_INPUTS = torch.linspace(-2.0, 2.0, 32, dtype=torch.float64)  # x₁ at 32 points of [−2, 2]
SYMMETRY_ACTIVATIONS = {
    # σ and σ' written through z and y = σ(z)
    "sigmoid": (torch.sigmoid, lambda z, y: y * (1 - y)),
    "tanh": (torch.tanh, lambda z, y: 1 - y.square()),
    "relu": (torch.relu, lambda z, y: (z > 0).to(z.dtype)),
}


def two_unit_forward(w1: torch.Tensor, w0: torch.Tensor, x: torch.Tensor, activation: str):
    """f(x) = σ(x₁w₁₁)w₀₁ + σ(x₁w₁₂)w₀₂ for replicates w1, w0 (R, 2) and inputs x (N,).

    Returns the pre-activations z and hidden outputs h, both (R, 2, N) with the units on axis 1, and
    f (R, N). Each unit is computed by the same operations on its own row, so two units with equal
    weights get bitwise equal outputs and gradients.
    """
    sigma, _ = SYMMETRY_ACTIVATIONS[activation]
    z = w1.unsqueeze(-1) * x
    h = sigma(z)
    return z, h, (h * w0.unsqueeze(-1)).sum(dim=1)


def two_unit_gradients(w1, w0, x, y, activation: str):
    """Gradients of the MSE (1/N) Σ_n (f(x_n) − y_n)² with respect to w1 and w0 by hand, with the loss
    (R,) and the hidden outputs h (R, 2, N):

        ∂L/∂w₀ⱼ = Σ_n δ_n σ(x_n w₁ⱼ),   ∂L/∂w₁ⱼ = Σ_n δ_n w₀ⱼ σ'(x_n w₁ⱼ) x_n,   δ_n = 2(f(x_n) − y_n)/N
    """
    _, derivative = SYMMETRY_ACTIVATIONS[activation]
    z, h, f = two_unit_forward(w1, w0, x, activation)
    residual = f - y
    delta = (2 / x.shape[-1] * residual).unsqueeze(1)  # (R, 1, N)
    grad_w0 = (delta * h).sum(dim=-1)
    grad_w1 = (delta * w0.unsqueeze(-1) * derivative(z, h) * x).sum(dim=-1)
    return grad_w1, grad_w0, residual.square().mean(dim=-1), h


def train_two_units(w1, w0, x, y, activation: str, *, lr: float, steps: int):
    """Full-batch gradient descent; returns the final weights, the final loss (R,) and the largest
    difference between the two hidden units' outputs at every step, (steps + 1, R)."""
    differences = []
    for step in range(steps + 1):
        grad_w1, grad_w0, loss, h = two_unit_gradients(w1, w0, x, y, activation)
        differences.append((h[:, 0] - h[:, 1]).abs().amax(dim=-1))
        if step < steps:
            w1, w0 = w1 - lr * grad_w1, w0 - lr * grad_w0
    return w1, w0, loss, torch.stack(differences)


def two_scale_target(p, x: torch.Tensor) -> torch.Tensor:
    """y = σ(a_fast x) − σ(a_slow x), a_slow ∈ [0.5, 1.5], a_fast = (2.5 to 4.5)·a_slow, seeded: a function of
    two different units that no symmetric network represents."""
    sigma, _ = SYMMETRY_ACTIVATIONS[p["activation"]]
    u = torch.rand(2, generator=seeded_generator(p["data_seed"]), dtype=torch.float64)
    slow = 0.5 + float(u[0])
    fast = slow * (2.5 + 2 * float(u[1]))
    return sigma(fast * x) - sigma(slow * x)


@claim(
    id="symmetric-init-equal-gradients",
    title="With w₁₁ = w₁₂ = a, the two output weights get the same gradient σ(x₁a)",
    inventory_ids=("000-09",),
    source=Source(LECTURE_000, "Symmetry-breaking"),
    statement=("f(x) = σ(xᵀW₁)ᵀw₀ = σ(x₁w₁₁)w₀₁ + σ(x₁w₁₂)w₀₂; d/dw₀₁ f(x) = σ(x₁w₁₁) = σ(x₁a); "
               "d/dw₀₂ f(x) = σ(x₁w₁₂) = σ(x₁a)"),
    assumptions=("derivatives by autograd at w₁₁ = w₁₂ = a and arbitrary w₀₁, w₀₂, at 32 inputs x₁ ∈ [−2, 2]",),
    kind="identity",
    domain={"activation": choices(list(SYMMETRY_ACTIVATIONS)), "a": floats(-3.0, 3.0),
            "w01": floats(-3.0, 3.0), "w02": floats(-3.0, 3.0)},
    stated=lambda p: np.tile(p["sigma_x_a"], 2),
    mutants=(Formula("d/dw₀ⱼ f(x) = σ'(x₁a) (the activation's derivative)", lambda p: np.tile(p["dsigma_x_a"], 2)),
             Formula("d/dw₀ⱼ f(x) = x₁σ(x₁a)", lambda p: np.tile(p["x"] * p["sigma_x_a"], 2))),
    resolution=1e-12,
    atol=1e-14,
    design=tuple({"activation": act, "a": 0.7, "w01": 1.0, "w02": -0.5} for act in SYMMETRY_ACTIVATIONS),
    figure=Figure(kind="points", x="a", xlabel="shared first-layer weight a", ylabel="d/dw₀ⱼ f (worst input)",
                  series="activation"),
)
def symmetric_init_equal_gradients(p, ctx):
    """(d/dw₀₁ f(x), d/dw₀₂ f(x)) at every input, by autograd."""
    sigma, derivative = SYMMETRY_ACTIVATIONS[p["activation"]]
    x = SYMMETRY_INPUTS.to(ctx.device)
    w1 = torch.tensor([p["a"], p["a"]], dtype=torch.float64, device=ctx.device)
    w0 = torch.tensor([p["w01"], p["w02"]], dtype=torch.float64, device=ctx.device, requires_grad=True)
    rows = []
    for x1 in x:
        f = (sigma(x1 * w1) * w0).sum()
        rows.append(torch.autograd.grad(f, w0)[0])
    grads = torch.stack(rows)  # (N, 2)
    z = x * p["a"]
    return Measurement(grads.T.reshape(-1).cpu().numpy(), quantities={
        "x": x.cpu().numpy(), "sigma_x_a": sigma(z).cpu().numpy(), "dsigma_x_a": derivative(z, sigma(z)).cpu().numpy()})


SAME_GRADIENT, OTHER_GRADIENT = "same gradient", "different gradients"
IDENTICAL, SEPARATE = "always the same output", "outputs separate"
SYMMETRY_STEPS = 50


def symmetry_label(grad_w0: torch.Tensor, differences: torch.Tensor) -> str:
    """'<gradients>; <outputs>': whether d/dw₀₁ and d/dw₀₂ of the loss agree at the start (to 1e-12,
    relative), and whether the hidden outputs agree at every input and step (to 1e-12)."""
    first = grad_w0[0]
    same_gradient = abs(float(first[0] - first[1])) <= 1e-12 * (1 + float(first.abs().max()))
    same_output = float(differences.max()) <= 1e-12
    return f"{SAME_GRADIENT if same_gradient else OTHER_GRADIENT}; {IDENTICAL if same_output else SEPARATE}"


@claim(
    id="symmetric-init-stays-symmetric",
    title="Initialized with symmetry, the two neurons get the same gradient and keep the same output",
    inventory_ids=("000-09",),
    source=Source(LECTURE_000, "Symmetry-breaking"),
    statement=("d/dw₀₁ f(x) = σ(x₁a) = d/dw₀₂ f(x); when the network is initialized with symmetry, the two neurons will "
               "always have the same output and our solution is poor."),
    assumptions=(f"f(x) = σ(x₁w₁₁)w₀₁ + σ(x₁w₁₂)w₀₂ (no biases, as the slide), MSE on a seeded two-scale target at 32 "
                 f"inputs x₁ ∈ [−2, 2], {SYMMETRY_STEPS} steps of full-batch gradient descent at rate lr (stable there)",
                 f"label '<gradients>; <outputs>': '{SAME_GRADIENT}' if the loss's derivatives in w₀₁ and w₀₂ agree at "
                 f"the start, '{IDENTICAL}' if σ(x₁w₁₁) and σ(x₁w₁₂) agree at every input and every step (both to "
                 f"1e-12)"),
    preset=BEHAVIOUR,
    domain={"activation": choices(list(SYMMETRY_ACTIVATIONS)), "a": floats(-2.0, 2.0),
            "w01": floats(-2.0, 2.0), "w02": floats(-2.0, 2.0), "lr": floats(0.01, 0.1),
            "data_seed": DATA_SEED},
    constraint=lambda p: p.get("outgoing") == "equal" or abs(p["w01"] - p["w02"]) >= 0.05,
    readings=(
        Reading("whole neurons symmetric", "symmetry means the two neurons are interchangeable: w₁₁ = w₁₂ = a and "
                "w₀₁ = w₀₂ (w₀₂ set to w₀₁)", {"outgoing": "equal"}),
        Reading("first layer symmetric", "the slide's derivation sets only w₁₁ = w₁₂ = a; the output weights "
                "w₀₁ ≠ w₀₂ are left free", {"outgoing": "free"}),
    ),
    stated=lambda p: f"{SAME_GRADIENT}; {IDENTICAL}",
    mutants=(Formula("symmetry breaks by itself: different gradients from the start, and the outputs separate",
                     lambda p: f"{OTHER_GRADIENT}; {SEPARATE}"),),
    design=tuple({"activation": act, "a": 0.7, "w01": 1.0, "w02": -0.5, "lr": 0.1, "data_seed": 0}
                 for act in SYMMETRY_ACTIVATIONS),
    figure=Figure(kind="traces", xlabel="step", ylabel="max |σ(x₁w₁₁) − σ(x₁w₁₂)| + 1e-17", logy=True),
)
def symmetric_init_stays_symmetric(p, ctx):
    """Train from w₁₁ = w₁₂ = a; compare the units' first gradients and their outputs at every step."""
    x = SYMMETRY_INPUTS.to(ctx.device)
    y = two_scale_target(p, x)
    w02 = p["w01"] if p["outgoing"] == "equal" else p["w02"]
    w1 = torch.tensor([[p["a"], p["a"]]], dtype=torch.float64, device=ctx.device)
    w0 = torch.tensor([[p["w01"], w02]], dtype=torch.float64, device=ctx.device)
    _, grad_w0, _, _ = two_unit_gradients(w1, w0, x, y, p["activation"])
    _, _, loss, differences = train_two_units(w1, w0, x, y, p["activation"], lr=p["lr"], steps=SYMMETRY_STEPS)
    largest = differences[:, 0].cpu().numpy()
    if not np.isfinite(largest).all() or not math.isfinite(float(loss[0])):
        raise ValueError(f"training diverged at lr {p['lr']}: the step sizes of the domain are meant to be stable")
    return Measurement(symmetry_label(grad_w0, differences),
                       quantities={"largest_difference": float(largest.max()), "final_loss": float(loss[0])},
                       trace={"x": np.arange(SYMMETRY_STEPS + 1), "measured": largest + 1e-17})


BETTER, SOMEWHAT, NOT_BETTER, STILL_SYMMETRIC = ("separate, much lower loss", "separate, lower loss",
                                                 "separate, no lower loss", "neurons stay identical")
RANDOM_INITS, RANDOM_STEPS = 32, 1000


def best_symmetric_loss(y: torch.Tensor, x: torch.Tensor, activation: str) -> float:
    """The least MSE of any symmetric network 2c·σ(a x₁): a on a grid of 0 and ±10^u, u from −3 to 6 in steps of
    4.5·10⁻⁴ (the best a is often large: σ(ax₁) then approaches a step), with the best c for each a in closed form."""
    sigma, _ = SYMMETRY_ACTIVATIONS[activation]
    magnitude = torch.logspace(-3, 6, 20_001, dtype=torch.float64, device=x.device)
    a = torch.cat([-magnitude.flip(0), torch.zeros(1, dtype=torch.float64, device=x.device), magnitude])
    h = sigma(a.unsqueeze(1) * x)  # (A, N)
    c = (h * y).sum(dim=1) / h.square().sum(dim=1).clamp_min(1e-300)
    return float((c.unsqueeze(1) * h - y).square().mean(dim=1).min())


def symmetry_breaking_outcome(differences: torch.Tensor, losses: torch.Tensor, best_symmetric: float) -> str:
    """Over random initializations: separate if the median run's hidden units differ at the end (by more
    than 1e-6); 'much lower loss' if the median final loss is at most half the best symmetric loss."""
    if float(differences[-1].median()) <= 1e-6:
        return STILL_SYMMETRIC
    ratio = float(losses.median()) / best_symmetric
    return BETTER if ratio <= 0.5 else SOMEWHAT if ratio < 1 else NOT_BETTER


@claim(
    id="random-init-breaks-symmetry",
    search_factor=COSTLY,
    title="Initialized randomly, the two neurons separate and find a much better solution",
    inventory_ids=("000-09",),
    source=Source(LECTURE_000, "Symmetry-breaking"),
    statement=("When initialized randomly, the two neurons can create different transforms and a much better solution "
               "is found."),
    assumptions=("the network and data of symmetric-init-stays-symmetric, with a smooth σ (sigmoid, tanh), on "
                 "two-scale targets σ(a_fast x) − σ(a_slow x) that two different units represent and no symmetric "
                 "network does (without biases a ReLU unit cannot change the side of its weight's sign, so ReLU is "
                 "left out)",
                 f"{RANDOM_INITS} random initializations w ~ N(0, 1), {RANDOM_STEPS} steps of gradient descent at "
                 f"lr 0.5; 'much better' = the median final loss is at most half the least loss of any symmetric "
                 f"network 2c·σ(ax₁) (a over a log grid up to 10⁶), which bounds what symmetric training can reach"),
    preset=BEHAVIOUR,
    domain={"activation": choices(["sigmoid", "tanh"]), "data_seed": choices(list(range(8)))},
    stated=lambda p: BETTER,
    mutants=(Formula("random initialization finds no better solution than a symmetric one", lambda p: NOT_BETTER),
             Formula("the neurons stay identical", lambda p: STILL_SYMMETRIC)),
    design=tuple({"activation": act, "data_seed": 0} for act in ("sigmoid", "tanh")),
    figure=Figure(kind="traces", xlabel="step", ylabel="median max |σ(x₁w₁₁) − σ(x₁w₁₂)|", logy=True),
)
def random_init_breaks_symmetry(p, ctx):
    """Train from random initializations; compare the median final loss with the best symmetric network."""
    x = SYMMETRY_INPUTS.to(ctx.device)
    y = two_scale_target(p, x)
    init = torch.randn(2, RANDOM_INITS, 2, generator=seeded_generator(p["data_seed"] + 1), dtype=torch.float64)
    _, _, losses, differences = train_two_units(init[0].to(ctx.device), init[1].to(ctx.device), x, y, p["activation"],
                                                lr=0.5, steps=RANDOM_STEPS)
    best = best_symmetric_loss(y, x, p["activation"])
    keep = log_spaced(RANDOM_STEPS + 1, 40)
    median = differences.median(dim=1).values.cpu().numpy()
    return Measurement(symmetry_breaking_outcome(differences, losses, best),
                       quantities={"median_loss": float(losses.median()), "best_symmetric_loss": best,
                                   "loss_ratio": float(losses.median()) / best},
                       trace={"x": keep, "measured": median[keep]})


# === 5. Scaled initialization (000-10 … 000-12) ===================================================

NEURON_DOMAIN = {"fan_in": integers(1, 256), "data_seed": DATA_SEED}
NEURON_ASSUMPTION = ("x fixed (seeded, entries U[−1, 2]), the moments taken over the weights w, one fresh weight "
                     "vector per replicate (theorems.catalogue.kit.neuron_output_sampler)")


def neuron_output(p, ctx, *, weight_variance: float):
    """Monte Carlo mean of f(x) = Σ x_i w_i (moment "mean") or of f(x)² (moment "variance"), w_i ~ N(0, σ_w²)."""
    draw, quantities = neuron_output_sampler({**p, "inputs": "fixed"}, ctx, weight_variance=weight_variance)
    return ctx.mean(draw, bytes_per_replicate=4 * ctx.dtype.itemsize * p["fan_in"], quantities=quantities)


@claim(
    id="unit-normal-init-output-moments",
    search_factor=COSTLY,
    title="With w_i ~ N(0, 1), f(x) = Σ x_i w_i has mean 0 and variance Σ x_i²",
    inventory_ids=("000-10",),
    source=Source(LECTURE_000, "Scaled initialization"),
    statement=("w_i ~ N(0, 1) i.i.d., f(x) = Σ_{i=1}^d x_i w_i: E[f(x)] = Σ x_i E[w_i] = 0; "
               "Var[f(x)] = Σ Var[x_i w_i] = Σ x_i² Var[w_i] = Σ x_i²"),
    assumptions=(NEURON_ASSUMPTION, "the resolution of the mean is relative to the standard deviation √(Σ x_i²)"),
    kind="stochastic",
    domain={"moment": choices(["variance", "mean"]), **NEURON_DOMAIN},
    stated=lambda p: 0.0 if p["moment"] == "mean" else p["x"] @ p["x"],  # Σ x_i²
    mutants=(Formula("Var[f(x)] = d, E[f(x)] = 0 (each term's variance 1, whatever x)",
                     lambda p: 0.0 if p["moment"] == "mean" else float(p["fan_in"])),
             Formula("Var[f(x)] = √(Σ x_i²) and E[f(x)] = √(Σ x_i²) (standard deviations for moments)",
                     lambda p: math.sqrt(p["x"] @ p["x"]))),
    resolution=0.05,
    scale=lambda p: math.sqrt(p["x"] @ p["x"]) if p["moment"] == "mean" else None,
    design=tuple({"moment": moment, "fan_in": d, "data_seed": 0} for moment in ("variance", "mean")
                 for d in (1, 4, 16, 64, 256)),
    figure=Figure(kind="points", x="fan_in", xlabel="inputs d", ylabel="E[f(x)] and Var[f(x)]", logx=True,
                  series="moment"),
)
def unit_normal_init_output_moments(p, ctx):
    """Monte Carlo mean of f(x) or f(x)² over w ~ N(0, I)."""
    return neuron_output(p, ctx, weight_variance=1.0)


def scaled_neuron_output_variance(p, ctx):
    """Monte Carlo mean of f(x)² for f(x) = Σ x_i w_i (1/s), s = √d, w_i ~ N(0, 1) (as weights N(0, 1/d))."""
    return neuron_output({**p, "moment": "variance"}, ctx, weight_variance=1.0 / p["fan_in"])


SCALED_DESIGN = tuple({"fan_in": d, "data_seed": 0} for d in (1, 4, 16, 64, 256))

scaled_init_output_variance = claim(
    id="scaled-init-output-variance",
    seed_key="scaled-neuron-output-variance",
    search_factor=COSTLY,
    title="Dividing by s = √d gives Var[f(x)] = (1/d) Σ x_i², independent of d",
    inventory_ids=("000-11",),
    source=Source(LECTURE_000, "Scaled initialization"),
    statement=("f(x) = Σ x_i w_i (1/s); if we want the variance to be independent of d, then we want s = √d: "
               "Var[Σ x_i w_i (1/√d)] = Σ Var[x_i w_i (1/√d)] = Σ x_i² (1/√d)² Var[w_i] = (1/d) Σ x_i²"),
    assumptions=(NEURON_ASSUMPTION, "x_i ~ U[−1, 2] has E[x_i²] = 1, so (1/d) Σ x_i² stays near 1 as d grows: the "
                 "sense in which the variance is independent of d"),
    kind="stochastic",
    domain=NEURON_DOMAIN,
    stated=lambda p: (p["x"] @ p["x"]) / p["fan_in"],  # (1/d) Σ x_i²
    mutants=(Formula("s = d: Var = (1/d²) Σ x_i²", lambda p: (p["x"] @ p["x"]) / p["fan_in"] ** 2),
             Formula("Var = (1/√d) Σ x_i² (1/s not squared)",
                     lambda p: (p["x"] @ p["x"]) / math.sqrt(p["fan_in"]))),
    resolution=0.05,
    design=SCALED_DESIGN,
    figure=Figure(kind="points", x="fan_in", xlabel="inputs d", ylabel="Var[f(x)]", logx=True, series=None),
)(scaled_neuron_output_variance)

scaled_init_first_build = claim(
    id="scaled-init-variance-first-build",
    seed_key="scaled-neuron-output-variance",
    search_factor=COSTLY,
    title="The first build of 'Computing the variance' writes (1/d) Σ Var[x_i²] w_i² in the middle",
    inventory_ids=("000-11",),
    role="derivation",  # an intermediate line: wrong, it is a slip of 000-11, whose final value is checked above
    source=Source(LECTURE_000, "Scaled initialization (Computing the variance, first build)"),
    statement="Var[Σ x_i w_i (1/√d)] = (1/d) Σ_{i=1}^d Var[x_i²] w_i² = (1/d) Σ_{i=1}^d x_i²",
    assumptions=(NEURON_ASSUMPTION, "x is fixed, so Var[x_i²] = 0 and the middle expression is 0 for every w; the "
                 "resolution is relative to (1/d) Σ x_i²",
                 "the slide's next build writes the same step as Σ x_i² (1/√d)² Var[w_i] (scaled-init-output-variance)"),
    kind="stochastic",
    domain=NEURON_DOMAIN,
    stated=lambda p: 0.0,  # (1/d) Σ Var[x_i²] w_i², with Var[x_i²] = 0 for a fixed x
    mutants=(Formula("Var = Σ x_i² (the 1/d dropped)", lambda p: p["x"] @ p["x"]),),
    correction="Var[Σ x_i w_i (1/√d)] = (1/d) Σ x_i² Var[w_i] = (1/d) Σ x_i²",
    alternatives=(Formula("(1/d) Σ x_i² Var[w_i] (x and w in their places)",
                          lambda p: (p["x"] @ p["x"]) / p["fan_in"]),),
    resolution=0.05,
    scale=lambda p: (p["x"] @ p["x"]) / p["fan_in"],
    design=SCALED_DESIGN,
    figure=Figure(kind="points", x="fan_in", xlabel="inputs d", ylabel="Var[f(x)]", logx=True, series=None),
)(scaled_neuron_output_variance)


def scaled_term_variance_sum(p, ctx):
    """Monte Carlo mean of Σ_i (x_i w_i (1/√d))², w_i ~ N(0, 1): the sum of the terms' variances Σ Var[x_i w_i (1/√d)]
    (each term has mean 0), estimated term by term and not through the variance of their sum."""
    fan_in = p["fan_in"]
    x = 3 * torch.rand(fan_in, generator=seeded_generator(p["data_seed"]), dtype=torch.float64) - 1  # as kit's x
    x_device = x.to(ctx.device, ctx.dtype)

    def draw(n):
        w = torch.randn(n, fan_in, generator=ctx.generator, dtype=ctx.dtype, device=ctx.device)
        return (x_device * w / math.sqrt(fan_in)).square().sum(dim=1)

    return ctx.mean(draw, bytes_per_replicate=4 * ctx.dtype.itemsize * fan_in,
                    quantities={"x": x.numpy(), "weight_variance": 1.0})


scaled_init_variance_middle_line = claim(
    id="scaled-init-variance-middle-line",
    search_factor=COSTLY,
    title="The second build's middle line: Σ Var[x_i w_i (1/√d)] = Σ x_i² (1/√d)² Var[w_i]",
    inventory_ids=("000-11",),
    role="derivation",  # an intermediate line: wrong, it is a slip of 000-11, whose final value is checked above
    source=Source(LECTURE_000, "Scaled initialization (Computing the variance, second build)"),
    statement="Σ_{i=1}^d Var[x_i w_i (1/√d)] = Σ_{i=1}^d x_i² (1/√d)² Var[w_i]",
    assumptions=(NEURON_ASSUMPTION, "w_i ~ N(0, 1) scaled by 1/√d as the slide writes it; measured: Σ_i of each term's "
                 "Monte Carlo variance E[(x_i w_i/√d)²] (the terms have mean 0); the step before it, Var of the sum = "
                 "sum of the variances, is the independence rule of 000-04 (variance-of-independent-sum)"),
    kind="stochastic",
    domain=NEURON_DOMAIN,
    # Σ_i x_i² (1/√d)² Var[w_i]
    stated=lambda p: np.sum(np.square(p["x"]) * (1 / math.sqrt(p["fan_in"])) ** 2 * p["weight_variance"]),
    mutants=(Formula("Σ x_i² (1/√d) Var[w_i] (the scale not squared)",
                     lambda p: np.sum(np.square(p["x"]) / math.sqrt(p["fan_in"]) * p["weight_variance"])),),
    resolution=0.05,
    design=SCALED_DESIGN,
    figure=Figure(kind="points", x="fan_in", xlabel="inputs d", ylabel="Σ Var[x_i w_i/√d]", logx=True, series=None),
)(scaled_term_variance_sum)


TORCH_INITS = {  # name -> (torch.nn.init initializer, its gain²); torch's W is (e, d) = (fan_out, fan_in)
    "kaiming_normal_ (default: leaky_relu, a = 0)": (torch.nn.init.kaiming_normal_, 2.0),
    "kaiming_normal_ (nonlinearity='relu')": (
        lambda w, generator: torch.nn.init.kaiming_normal_(w, nonlinearity="relu", generator=generator), 2.0),
    "kaiming_normal_ (nonlinearity='linear')": (
        lambda w, generator: torch.nn.init.kaiming_normal_(w, nonlinearity="linear", generator=generator), 1.0),
    "xavier_normal_ (gain 1)": (torch.nn.init.xavier_normal_, 1.0),
}
KAIMING = tuple(name for name in TORCH_INITS if name.startswith("kaiming"))


def torch_init_second_moment(p, ctx):
    """Monte Carlo mean of w² (the variance: the mean is 0) for the entries of W ∈ ℝ^{d×e} drawn by
    torch.nn.init. torch stores W as (e, d) = (fan_out, fan_in); each replicate is one entry, and as
    many matrices are drawn as the replicates need (their entries are i.i.d.)."""
    initializer, _ = TORCH_INITS[p["torch_init"]]
    per_matrix = p["d"] * p["e"]

    def draw(n):
        matrices = []
        for _ in range(math.ceil(n / per_matrix)):
            W = torch.empty(p["e"], p["d"], device=ctx.device, dtype=ctx.dtype)
            matrices.append(initializer(W, generator=ctx.generator).reshape(-1))
        return torch.cat(matrices)[:n].square()

    return ctx.mean(draw, bytes_per_replicate=3 * ctx.dtype.itemsize)


INIT_ASSUMPTIONS = ("the slide writes N(μ, s) with s the standard deviation (see the module docstring), so N(0, s) "
                    "has variance s²; the variance reading is a mutant",
                    "W ∈ ℝ^{d×e} maps d inputs to e outputs: torch's fan_in = d, fan_out = e")
INIT_DOMAIN = {"d": integers(4, 1024), "e": integers(4, 1024)}


@claim(
    id="kaiming-init-vs-torch",
    search_factor=COSTLY,
    title="The slide's 'Kaiming / He init' N(0, 1/√d) against torch.nn.init.kaiming_normal_",
    inventory_ids=("000-12",),
    source=Source(LECTURE_000, "Scaled initialization"),
    statement="Kaiming init / He init: w_ij ~ N(0, 1/√d) ∀ w_ij ∈ W, W ∈ ℝ^{d×e}",
    assumptions=(*INIT_ASSUMPTIONS,
                 "the measurement is the variance of the weights torch.nn.init.kaiming_normal_ draws: with its default "
                 "(ReLU gain √2, as in He et al. 2015, Var = 2/fan_in) and with the gains for ReLU and for a linear "
                 "layer (gain 1)"),
    kind="stochastic",
    domain={"torch_init": choices(list(KAIMING)), **INIT_DOMAIN},
    stated=lambda p: (1 / math.sqrt(p["d"])) ** 2,
    mutants=(Formula("N(0, 1/√d) read as variance 1/√d", lambda p: 1 / math.sqrt(p["d"])),
             Formula("Var = 2/(d + e) (Xavier's)", lambda p: 2 / (p["d"] + p["e"]))),
    alternatives=(Formula("Var = gain²/d with torch's gain (√2 for ReLU, the default; 1 for a linear layer)",
                          lambda p: TORCH_INITS[p["torch_init"]][1] / p["d"]),),
    resolution=0.05,
    design=tuple({"torch_init": name, "d": d, "e": 64} for name in KAIMING for d in (16, 256)),
    figure=Figure(kind="points", x="d", xlabel="fan-in d", ylabel="Var[w_ij]", logx=True, logy=True,
                  series="torch_init"),
)
def kaiming_init_vs_torch(p, ctx):
    """Monte Carlo variance of torch's Kaiming-normal weights."""
    return torch_init_second_moment(p, ctx)


@claim(
    id="xavier-init-vs-torch",
    search_factor=COSTLY,
    title="The slide's Xavier (Glorot) init N(0, √(2/(d + e))) against torch.nn.init.xavier_normal_",
    inventory_ids=("000-12",),
    source=Source(LECTURE_000, "Scaled initialization"),
    statement=("w_ij ~ N(0, √(2/(d + e))) ∀ w_ij ∈ W, W ∈ ℝ^{d×e}: Xavier initialization (or Glorot initialization "
               "after the inventor Xavier Glorot)"),
    assumptions=(*INIT_ASSUMPTIONS, "the measurement is the variance of the weights torch.nn.init.xavier_normal_ "
                 "draws (gain 1; Glorot & Bengio 2010: Var = 2/(fan_in + fan_out))"),
    kind="stochastic",
    domain={"torch_init": choices(["xavier_normal_ (gain 1)"]), **INIT_DOMAIN},
    stated=lambda p: math.sqrt(2 / (p["d"] + p["e"])) ** 2,
    mutants=(Formula("N(0, √(2/(d + e))) read as variance √(2/(d + e))", lambda p: math.sqrt(2 / (p["d"] + p["e"]))),
             Formula("Var = 1/(d + e)", lambda p: 1 / (p["d"] + p["e"]))),
    resolution=0.05,
    design=tuple({"torch_init": "xavier_normal_ (gain 1)", "d": d, "e": e} for d, e in ((16, 16), (16, 256), (256, 16))),
    figure=Figure(kind="points", x="d", xlabel="fan-in d", ylabel="Var[w_ij]", logx=True, logy=True, series="e"),
)
def xavier_init_vs_torch(p, ctx):
    """Monte Carlo variance of torch's Xavier-normal weights."""
    return torch_init_second_moment(p, ctx)


# === 6. Computational complexity (000-13) and the cost of a sampled loss (000-14) ==================

BASE_SIZES = {"d": 16, "L": 3, "N": 32, "S": 2}  # the sizes held fixed while one is swept
STEP_SWEEP_SIZES = {"d": 4, "L": 1, "N": 4}  # held fixed while S is swept (S autograd passes, kept cheap)
COSTS = {  # what is computed -> the sizes it depends on
    "neuron": ("d",),  # σ(xᵀw) forward, and backward to x and w
    "layer": ("d",),  # σ(xᵀW), W ∈ ℝ^{d×d}, forward and backward
    "network": ("d", "L"),  # L such layers and a linear output, forward and backward for one input
    "gd_step": ("d", "L", "N"),  # one gradient descent step on the MSE over N examples
    "gd": ("d", "L", "N", "S"),  # S gradient descent steps
    "full_loss": ("N",),  # the MSE over N examples, forward only
    "sampled_loss": ("N",),  # the squared error of one example i ~ Uniform(1, N), forward only
    "sgd_step": ("d", "L", "N"),  # one stochastic gradient step on one sampled example
}


SAMPLED_COSTS = ("full_loss", "sampled_loss", "sgd_step")  # 000-14's costs: every written element counts too


def operation_count(cost: str, sizes: dict[str, int]) -> int:
    """Floating-point operations of ``cost`` at ``sizes`` (d, L, N, S), the kit's OperationCounter flops
    (matrix products, forward and backward; elementwise work is O(1) per matrix entry and is not counted)
    on meta tensors, so no arithmetic is done. The network is L layers σ(hW_k), W_k ∈ ℝ^{d×d}, then a linear output w₀ ∈ ℝ^d.

    For SAMPLED_COSTS the N examples are there as data (N, d), the sampled example is drawn with
    torch.randint and gathered, and every element a torch call writes outside the matrix products (the
    draw, the gather, σ, the loss: the counter's elements) is added: work that touched all N examples would show.
    """
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r}; choose one of {sorted(COSTS)}")
    d, L, N, S = sizes["d"], sizes["L"], sizes["N"], sizes["S"]
    meta: dict[str, Any] = dict(device="meta", dtype=torch.float32)
    if cost in SAMPLED_COSTS:
        weights, X, y = network_weights(d, L, meta), torch.empty(N, d, **meta), torch.empty(N, 1, **meta)
        with OperationCounter() as counter:
            sampled_cost_run(cost, weights, X, y)
        return counter.total
    with OperationCounter() as counter:
        if cost in ("neuron", "layer"):
            x = torch.empty(1, d, requires_grad=True, **meta)
            W = torch.empty(d, 1 if cost == "neuron" else d, requires_grad=True, **meta)
            out = torch.sigmoid(x @ W)
            torch.autograd.grad(out, (x, W), torch.ones_like(out))
            return counter.flops
        weights = network_weights(d, L, meta)
        rows = 1 if cost == "network" else N
        X, y = torch.empty(rows, d, **meta), torch.empty(rows, 1, **meta)
        for _ in range(S if cost == "gd" else 1):
            grads = torch.autograd.grad(mse(weights, X, y), weights)
            if cost != "network":
                with torch.no_grad():
                    weights = [(W - 0.1 * g).requires_grad_() for W, g in zip(weights, grads)]
    return counter.flops


def network_weights(d: int, L: int, meta: dict) -> list[torch.Tensor]:
    """L weight matrices W_k ∈ ℝ^{d×d} and the output w₀ ∈ ℝ^d, as meta tensors that need gradients."""
    return [torch.empty(d, d, requires_grad=True, **meta) for _ in range(L)] + [
        torch.empty(d, 1, requires_grad=True, **meta)]


def mse(weights: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The MSE of the network σ(…σ(XW₁)…)w₀ on rows X with targets y."""
    h = X
    for W in weights[:-1]:
        h = torch.sigmoid(h @ W)
    return (h @ weights[-1] - y).square().mean()


def sampled_cost_run(cost: str, weights: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> None:
    """Run one of SAMPLED_COSTS on the N examples X, y: the full loss over all of them, or the loss (and, for
    "sgd_step", its gradient step) of one example i ~ Uniform(1, N) drawn and gathered as the slide says."""
    if cost != "full_loss":
        i = torch.randint(len(X), (1,), device=X.device)  # i ~ Uniform(1, N)
        X, y = X[i], y[i]
    loss = mse(weights, X, y)
    if cost == "sgd_step":
        grads = torch.autograd.grad(loss, weights)
        with torch.no_grad():
            [W - 0.1 * g for W, g in zip(weights, grads)]


def exponent_interval(sizes: Sequence[float], counts: Sequence[float], *,
                      level: float = 0.99) -> tuple[float, float, float]:
    """The kit's fitted exponent b of count ∝ size^b with its t interval at ``level``: (b, low, high),
    b ± t_{n−2} se. An exact power law (a constant included) gives a zero-width interval."""
    from scipy import stats

    slope, se = fitted_exponent(sizes, counts)
    half = float(stats.t.ppf(0.5 + level / 2, len(sizes) - 2)) * se
    return slope, slope - half, slope + half


SWEEP_POINTS = 7
SWEEP_STARTS = {  # where each size's two-decade sweep may start
    "d": (4, 8, 16), "N": (4, 8, 16),  # lower-order terms (the output layer, O(d) work) fade from about 4 on
    "L": (4,),  # the first layer has no input gradient, a −2d² term; 400 layers at most keeps the count quick
    "S": (1,),  # S identical steps: exactly linear from S = 1
}


def cost_exponent(p, ctx) -> Measurement:
    """Operation counts of p["cost"] with p["vary"] swept over two decades from p["start"] (the other
    sizes at BASE_SIZES); the measurement is the fitted exponent's interval [low, high]."""
    sweep = sorted({int(round(p["start"] * 10 ** (2 * k / (SWEEP_POINTS - 1)))) for k in range(SWEEP_POINTS)})
    base = {**BASE_SIZES, **STEP_SWEEP_SIZES} if p["vary"] == "S" else BASE_SIZES
    counts = [operation_count(p["cost"], {**base, p["vary"]: size}) for size in sweep]
    slope, low, high = exponent_interval(sweep, counts)
    return Measurement(np.array([low, high]), quantities={"slope": slope, "sizes": sweep, "counts": counts},
                       trace={"x": np.array(sweep), "measured": np.array(counts, dtype=float)})


COST_EXPONENT_ASSUMPTIONS = (
    "operations counted by torch.utils.flop_counter.FlopCounterMode on meta tensors (matrix products; the "
    "elementwise work it leaves out is O(1) per entry, as the slides say of σ) for an actual forward and backward pass",
    f"one size is swept over two decades ({SWEEP_POINTS} sizes from start to 100·start, start as in "
    f"{SWEEP_STARTS}: an O(·) is about large sizes), the others held at {BASE_SIZES} ({STEP_SWEEP_SIZES} when S "
    "is swept); the exponent of a least-squares fit of log count on log size, with its 99 % t interval, must lie "
    "within ±0.1 of the stated exponent (both ends of the interval are compared)",
)


def stated_exponent(orders: dict[str, dict[str, int]]) -> Callable:
    return lambda p: float(orders[p["cost"]][p["vary"]])


def valid_sweep(p) -> bool:
    """The swept size is one the cost depends on, and the sweep starts where SWEEP_STARTS allows."""
    return p["vary"] in COSTS[p["cost"]] and p["start"] in SWEEP_STARTS[p["vary"]]


SLIDE_ORDERS = {  # the slides' O(·), as exponents of each size
    "neuron": {"d": 1}, "layer": {"d": 2}, "network": {"d": 2, "L": 1}, "gd_step": {"d": 2, "L": 1, "N": 1},
    "gd": {"d": 2, "L": 1, "N": 1, "S": 1},
    "full_loss": {"N": 1}, "sampled_loss": {"N": 0}, "sgd_step": {"d": 2, "L": 1, "N": 0},
}
COMPLEXITY_CHAIN = ("neuron", "layer", "network", "gd_step", "gd")


@claim(
    id="gd-cost-scaling",
    title="A neuron costs O(d), a layer O(d²), a network O(Ld²), a GD step O(NLd²), GD O(SNLd²)",
    inventory_ids=("000-13",),
    source=Source(LECTURE_000, "Computational complexity"),
    statement=("Computing a single neuron: summation O(d), backward O(1) per entry, total O(d); cost per layer: O(d) "
               "neurons, total O(d²); full network O(Ld²); N terms in the summation, O(NLd²) for a single gradient "
               "descent update; total cost of gradient descent O(SNLd²)"),
    assumptions=COST_EXPONENT_ASSUMPTIONS,
    kind="scaling",
    domain={"cost": choices(COMPLEXITY_CHAIN), "vary": choices(["d", "L", "N", "S"]),
            "start": choices([1, 4, 8, 16])},
    constraint=valid_sweep,
    stated=stated_exponent(SLIDE_ORDERS),
    mutants=(Formula("every cost is linear in d (a layer as cheap as a neuron)",
                     lambda p: 1.0 if p["vary"] == "d" else float(SLIDE_ORDERS[p["cost"]][p["vary"]])),
             Formula("one more power of each size", lambda p: SLIDE_ORDERS[p["cost"]][p["vary"]] + 1.0)),
    resolution=0.0,
    atol=0.1,
    design=tuple({"cost": cost, "vary": vary, "start": SWEEP_STARTS[vary][0]} for cost in COMPLEXITY_CHAIN
                 for vary in COSTS[cost]),
    figure=Figure(kind="traces", xlabel="swept size (d, L, N or S)", ylabel="floating-point operations", logx=True,
                  logy=True),
)
def gd_cost_scaling(p, ctx):
    """Fitted exponent interval of the operation count along the swept size."""
    return cost_exponent(p, ctx)


SLIDE_ALEXNET_STEP = 10 * 10_000_000 * 4000 * 4000  # the slide's (10)(10,000,000)(4000 × 4000)


def alexnet() -> torch.nn.Sequential:
    """AlexNet (Krizhevsky et al., 2012) as torchvision.models.alexnet lays it out: five convolutions
    (64, 192, 384, 256, 256 channels) and three dense layers (4096, 4096, 1000), 61.1M parameters, for
    224 × 224 RGB images; on the meta device (no memory, no arithmetic)."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000),
    ).to("meta")


def alexnet_multiply_adds(backward: bool) -> float:
    """Multiply-adds (the OperationCounter's flops / 2) of AlexNet on one image: the forward pass, or the
    forward and backward passes of a gradient step."""
    network, image = alexnet(), torch.empty(1, 3, 224, 224, device="meta")
    with OperationCounter() as counter:
        output = network(image)
        if backward:
            output.sum().backward()
    return counter.flops / 2


@claim(
    id="alexnet-step-cost",
    title="AlexNet: one GD step costs about (10)(10,000,000)(4000 × 4000) = 1.6·10¹⁵ operations",
    inventory_ids=("000-13",),
    source=Source(LECTURE_000, "AlexNet (2012)"),
    statement=("Dataset size N = 10,000,000; dimensionality d = 4000; number of layers L = 10; one step O(LNd²): "
               "(10)(10,000,000)(4000 × 4000)"),
    assumptions=("measured independently of the slide's L and d: AlexNet itself (torchvision's layout, 61.1M "
                 "parameters, 224 × 224 images), its multiply-adds per image counted by FlopCounterMode on meta "
                 "tensors, times N images; N is the slide's 10,000,000 or the 14,197,122 ImageNet images it shows",
                 "an O(·) count fixes the size, not the constant: the slide's product is checked to within a factor of "
                 "10 (|log₁₀ measured − log₁₀ stated| ≤ 1); the report gives the exact ratio (ratio_to_slide)"),
    kind="identity",
    domain={"N": choices([10_000_000, 14_197_122])},
    readings=(
        Reading("forward pass", "an operation is a multiply-add of the forward pass, as 'summation O(d)' counts",
                {"count": "forward"}),
        Reading("forward and backward", "the whole step: the forward and the backward pass's multiply-adds",
                {"count": "forward and backward"}),
    ),
    stated=lambda p: math.log10(10 * 10_000_000 * 4000 * 4000),  # (10)(10,000,000)(4000 × 4000)
    mutants=(Formula("(10)(10,000,000)(4000): d not squared", lambda p: math.log10(10 * 10_000_000 * 4000)),
             Formula("(10)(4000 × 4000): the cost of one example, not of the N-example step",
                     lambda p: math.log10(10 * 4000 * 4000))),
    resolution=0.0,
    atol=1.0,
    design=({"N": 10_000_000},),
    representative=({"N": 10_000_000},),  # the slide's own N
    figure=Figure(kind="points", x="N", xlabel="images N", ylabel="log₁₀ multiply-adds of one step", series="reading"),
)
def alexnet_step_cost(p, ctx):
    """log₁₀ of AlexNet's multiply-adds for one GD step over N images (meta tensors: no arithmetic)."""
    operations = p["N"] * alexnet_multiply_adds(backward=p["count"] == "forward and backward")
    return Measurement(math.log10(operations), quantities={
        "operations": operations, "ratio_to_slide": operations / SLIDE_ALEXNET_STEP})


# === 7. Estimating loss and gradients, minibatch SGD (000-14 … 000-16) ============================

@claim(
    id="sampled-loss-cost",
    title="The full loss costs O(N); a loss estimated from one sampled example O(1); an SGD step O(Ld²)",
    inventory_ids=("000-14",),
    source=Source(LECTURE_000, "Estimating loss"),
    statement="Cost for full loss: O(N); cost of estimated loss: O(1); cost of GD step → O(Ld²)",
    assumptions=COST_EXPONENT_ASSUMPTIONS + (
        "the full loss is the forward pass over N examples; the estimated loss and the SGD step draw one example "
        "i ~ Uniform(1, N) with torch.randint from N examples held as data and gather it; besides the matrix "
        "products, every element a torch call writes (the draw, the gather, σ, the loss) is counted, so work on all "
        "N examples would show in the exponent of N",),
    kind="scaling",
    domain={"cost": choices(["full_loss", "sampled_loss", "sgd_step"]), "vary": choices(["N", "d", "L"]),
            "start": choices([1, 4, 8, 16])},
    constraint=valid_sweep,
    stated=stated_exponent(SLIDE_ORDERS),
    mutants=(Formula("the estimated loss costs O(N) like the full loss", lambda p: 1.0 if p["vary"] == "N" else
                     float(SLIDE_ORDERS[p["cost"]][p["vary"]])),
             Formula("the full loss costs O(1) in N too (examples in parallel)", lambda p: 0.0 if p["vary"] == "N" else
                     float(SLIDE_ORDERS[p["cost"]][p["vary"]]))),
    resolution=0.0,
    atol=0.1,
    design=tuple({"cost": cost, "vary": vary, "start": SWEEP_STARTS[vary][0]}
                 for cost in ("full_loss", "sampled_loss", "sgd_step") for vary in COSTS[cost]),
    figure=Figure(kind="traces", xlabel="swept size (N, d or L)", ylabel="floating-point operations", logx=True,
                  logy=True),
)
def sampled_loss_cost(p, ctx):
    """Fitted exponent interval of the operation count along the swept size."""
    return cost_exponent(p, ctx)


SGD_DOMAIN = {"problem": choices(PROBLEMS), "N": integers(2, 256), "d": integers(1, 12),
              "data_seed": DATA_SEED}
ENOUGH_EXAMPLES = lambda p: p["N"] >= p["d"]  # noqa: E731  (least squares needs N ≥ d for its minimizer)
SGD_ASSUMPTIONS = (
    "finite sums from theorems.catalogue.kit: least squares f_i = ½(x_iᵀw − y_i)² (the slide's (f(x_i, w) − y_i)² up to the "
    "factor ½ on both sides) and ℓ2-regularized logistic regression, any loss that is a mean of per-example losses "
    "as the slide says; w a seeded point away from the minimizer",
    "i ~ Uniform(1, N) drawn with torch.randint, one index per replicate; a minibatch b_1 … b_B is read both "
    "ways (SAMPLING_READINGS): i.i.d. indices, or a random subset of B distinct examples",
)


def sampled_estimate(p, ctx):
    """Monte Carlo mean of the estimate from B indices drawn by the point's reading (i.i.d. where it has none:
    one index) (theorems.catalogue.kit.sampled_estimate_sampler)."""
    draw, quantities = sampled_estimate_sampler({"sampling": "iid", **p}, ctx)
    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(p), quantities=quantities)


@claim(
    id="sampled-example-loss-unbiased",
    search_factor=COSTLY,
    title="The loss of one uniformly sampled example is an unbiased estimate of the full loss",
    inventory_ids=("000-14",),
    source=Source(LECTURE_000, "Estimating loss"),
    statement=("Loss(w, X, y) ≈ (f(x_i, w) − y_i)², i ~ Uniform(1, N); E_i[(f(x_i, w) − y_i)²] = Σ_i p(i)(f(x_i, w) − "
               "y_i)² = (1/N) Σ_i (f(x_i, w) − y_i)² = Loss"),
    assumptions=(*SGD_ASSUMPTIONS, "the resolution is relative to the per-example spread of the losses"),
    kind="stochastic",
    domain={**SGD_DOMAIN, "estimate": choices(["loss"]), "B": choices([1])},
    constraint=ENOUGH_EXAMPLES,
    stated=full_value,  # (1/N) Σ_i (f(x_i, w) − y_i)² = Loss
    mutants=(Formula("E_i = the loss at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"]),
             Formula("E_i = Σ_i (f(x_i, w) − y_i)² (p(i) = 1/N left out)", lambda p: p["N"] * full_value(p))),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=tuple({"problem": problem, "N": n, "d": 5, "data_seed": 0, "estimate": "loss", "B": 1}
                 for problem in PROBLEMS for n in (8, 64, 256)),
    figure=Figure(kind="points", x="N", xlabel="examples N", ylabel="E_i[loss of example i]", logx=True,
                  series="problem"),
)
def sampled_example_loss_unbiased(p, ctx):
    """Monte Carlo mean of the sampled example's loss."""
    return sampled_estimate(p, ctx)


@claim(
    id="expectation-of-index-line",
    title="'Expectation of sampled loss' opens with E[X] = Σ_i P(X = i) X, the random X in place of i",
    inventory_ids=("000-14",),
    role="derivation",  # a line of the build that derives E_i[(f(x_i, w) − y_i)²]; the row's statement is above
    source=Source(LECTURE_000, "Estimating loss (Expectation of sampled loss)"),
    statement="i ~ Uniform(1, N), {1, 2, …, N}: E[X] = Σ_{i=1}^N P(X = i) X",
    assumptions=("X ~ Uniform{1, …, N}, the slide's index law; the line equates a number with a random variable, so it "
                 "holds only if Σ_i P(X = i) X equals E[X] at every outcome X = 1 … N: measured, E[X] as the mean of "
                 "the N equally likely outcomes; stated, the line's right-hand side at each outcome, from the law's "
                 "probabilities P(X = i) (quantities)",),
    kind="identity",
    domain={"N": integers(2, 1000)},
    stated=lambda p: p["P"].sum() * p["outcomes"],  # Σ_i P(X = i) X at each outcome X
    mutants=(Formula("E[X] = N/2", lambda p: np.full(len(p["outcomes"]), p["N"] / 2)),),
    alternatives=(Formula("E[X] = Σ_i P(X = i) i", lambda p: np.full(len(p["outcomes"]), p["P"] @ p["outcomes"])),),
    correction="E[X] = Σ_{i=1}^N P(X = i) i",
    resolution=1e-12,
    design=tuple({"N": n} for n in (2, 10, 100)),
    figure=Figure(kind="points", x="N", xlabel="N", ylabel="E[X] against Σ P(X = i) X", logx=True, series=None),
)
def expectation_of_index_line(p, ctx):
    """E[X] for X ~ Uniform{1, …, N} (the mean of its N equally likely outcomes), at each outcome; the outcomes
    and their probabilities as quantities."""
    outcomes = np.arange(1, p["N"] + 1, dtype=np.float64)
    return Measurement(np.full(p["N"], outcomes.mean()),
                       quantities={"outcomes": outcomes, "P": np.full(p["N"], 1 / p["N"])})


@claim(
    id="sampled-example-gradient-unbiased",
    search_factor=COSTLY,
    title="The gradient of one uniformly sampled example is an unbiased estimate of the full gradient",
    inventory_ids=("000-15",),
    source=Source(LECTURE_000, "Estimating gradients"),
    statement=("∇_w Loss(w, X, y) = ∇_w ((1/N) Σ_i Loss(w, x_i, y_i)) = (1/N) Σ_i ∇_w Loss(w, x_i, y_i) = "
               "E[∇_w Loss(w, x_i, y_i)], i ~ Uniform(1, N)"),
    assumptions=(*SGD_ASSUMPTIONS, "gradients compared along a seeded unit direction u (u·∇f_i against u·∇F); the "
                 "resolution is relative to the per-example spread of u·∇f_i"),
    kind="stochastic",
    domain={**SGD_DOMAIN, "estimate": choices(["gradient"]), "B": choices([1])},
    constraint=ENOUGH_EXAMPLES,
    stated=full_value,  # ∇_w Loss(w, X, y) along u, by the problem's closed-form full gradient
    mutants=(Formula("E = the gradient at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"]),
             Formula("E = Σ_i ∇_w Loss(w, x_i, y_i) (the 1/N left out)", lambda p: p["N"] * full_value(p))),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=tuple({"problem": problem, "N": n, "d": 5, "data_seed": 0, "estimate": "gradient", "B": 1}
                 for problem in PROBLEMS for n in (8, 64, 256)),
    figure=Figure(kind="points", x="N", xlabel="examples N", ylabel="E[u·∇ loss of example i]", logx=True,
                  series="problem"),
)
def sampled_example_gradient_unbiased(p, ctx):
    """Monte Carlo mean of the sampled example's gradient along u."""
    return sampled_estimate(p, ctx)


@claim(
    id="minibatch-mean-gradient-unbiased",
    search_factor=COSTLY,
    title="The minibatch mean gradient is unbiased",
    inventory_ids=("000-16",),
    source=Source(LECTURE_000, "Minibatch SGD"),
    statement=("{b_1, …, b_B} ~ Uniform(1, N): E[(1/B) Σ_{i=1}^B ∇_w Loss(w, x_{b_i}, y_{b_i})] = "
               "(1/B) Σ_{i=1}^B E[∇_w Loss(w, x_{b_i}, y_{b_i})] = ∇_w Loss(w, X, y)"),
    assumptions=(*SGD_ASSUMPTIONS, "gradients compared along a seeded unit direction u; the resolution is relative "
                 "to the per-example spread of u·∇f_i"),
    kind="stochastic",
    domain={**SGD_DOMAIN, "estimate": choices(["gradient"]), "B": integers(1, 64)},
    readings=SAMPLING_READINGS,
    constraint=lambda p: ENOUGH_EXAMPLES(p) and sample_fits(p),
    stated=full_value,  # ∇_w Loss(w, X, y), the full-data gradient along u
    mutants=(Formula("E[Σ_{i=1}^B ∇ Loss(w, x_{b_i}, y_{b_i})] = ∇ Loss (the 1/B left out)",
                     lambda p: p["B"] * full_value(p)),
             Formula("E = the gradient at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"])),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=tuple({"problem": "logistic", "N": 64, "d": 5, "data_seed": 0, "estimate": "gradient", "B": b}
                 for b in (1, 4, 16, 64)),
    figure=Figure(kind="points", x="B", xlabel="minibatch size B", ylabel="E[u·minibatch gradient]", logx=True,
                  series="problem"),
)
def minibatch_mean_gradient_unbiased(p, ctx):
    """Monte Carlo mean of the minibatch mean gradient along u."""
    return sampled_estimate(p, ctx)


@claim(
    id="minibatch-mean-gradient-variance",
    search_factor=COSTLY,
    title="The minibatch mean gradient has 1/B of one sampled gradient's variance",
    inventory_ids=("000-16",),
    source=Source(LECTURE_000, "Minibatch SGD"),
    statement=("Var[(1/B) Σ_{i=1}^B ∇_w Loss(w, x_{b_i}, y_{b_i})] = (1/B²) Σ_{i=1}^B Var[∇_w Loss(w, x_{b_i}, y_{b_i})] "
               "= (1/B) Var[∇_w Loss(w, x_{b_i}, y_{b_i})]"),
    assumptions=(*SGD_ASSUMPTIONS,
                 "Var of a gradient vector: 'trace' compares total variances E‖g_B − g‖², 'entry' the covariance "
                 "entry [0, 1]; σ² is the population (co)variance of one sampled per-example gradient",
                 "{b_1, …, b_B} ~ Uniform(1, N) has two readings, checked both: i.i.d. indices (each b_i ~ "
                 "Uniform(1, N), as the slide's (1/B²) Σ Var[…] step needs) and a random subset of B distinct "
                 "examples (a shuffled training set's minibatch), whose variance is σ²/B·(N − B)/(N − 1)"),
    kind="stochastic",
    domain={"problem": choices(PROBLEMS), "statistic": choices(["trace", "entry"]),
            "N": integers(2, 128), "d": integers(2, 8), "B": integers(1, 64), "data_seed": DATA_SEED},
    readings=SAMPLING_READINGS,
    constraint=lambda p: ENOUGH_EXAMPLES(p) and sample_fits(p),
    stated=lambda p: p["sigma2"] / p["B"],  # (1/B) Var[∇_w Loss(w, x_{b_i}, y_{b_i})]
    mutants=(Formula("Var = σ²/B²", lambda p: p["sigma2"] / p["B"] ** 2),
             Formula("Var = σ²/√B", lambda p: p["sigma2"] / math.sqrt(p["B"]))),
    alternatives=(Formula("Var = (σ²/B)·(N − B)/(N − 1) (a subset: sampling without replacement)",
                          lambda p: p["sigma2"] / p["B"] * (p["N"] - p["B"]) / (p["N"] - 1),
                          reading="without replacement"),),
    resolution=0.05,
    scale=lambda p: p["spread"] / p["B"],
    design=tuple({"problem": "least_squares", "statistic": "trace", "N": 64, "d": 5, "B": b, "data_seed": 0}
                 for b in (1, 2, 4, 8, 16, 32, 64)),
    figure=Figure(kind="points", x="B", xlabel="minibatch size B", ylabel="Var of the minibatch gradient (trace)",
                  logx=True, logy=True, series="statistic"),
)
def minibatch_mean_gradient_variance(p, ctx):
    """Monte Carlo mean of ‖g_B − g‖² (or (g_B − g)[0]·(g_B − g)[1]), indices drawn by the point's reading."""
    draw, quantities = minibatch_deviation_sampler(p, ctx)
    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(p), quantities=quantities)


minibatch_variance_middle_line = claim(
    id="minibatch-variance-middle-line",
    seed_key="minibatch-mean-gradient-variance",
    search_factor=COSTLY,
    title="The minibatch variance's middle line: Var[(1/B) Σ g_{b_i}] = (1/B²) Σ_i Var[g_{b_i}]",
    inventory_ids=("000-16",),
    role="derivation",  # the middle line; the row's final line is minibatch-mean-gradient-variance
    source=Source(LECTURE_000, "Minibatch SGD"),
    statement=("Var[(1/B) Σ_{i=1}^B ∇_w Loss(w, x_{b_i}, y_{b_i})] = (1/B²) Σ_{i=1}^B Var[∇_w Loss(w, x_{b_i}, "
               "y_{b_i})]"),
    assumptions=minibatch_mean_gradient_variance.assumptions + (
        "each b_i is Uniform(1, N) on its own under both readings, so each Var[∇_w Loss(w, x_{b_i}, y_{b_i})] is σ² and "
        "the line's right-hand side is (1/B²)·B·σ²; without replacement the terms are correlated and the line drops "
        "their covariances (the alternative adds them)",),
    kind="stochastic",
    domain=minibatch_mean_gradient_variance.domain,
    readings=SAMPLING_READINGS,
    constraint=minibatch_mean_gradient_variance.constraint,
    stated=lambda p: sum([p["sigma2"]] * p["B"]) / p["B"] ** 2,  # (1/B²) Σ_{i=1}^B Var[g_{b_i}], each σ²
    mutants=(Formula("(1/B) Σ_i Var[g_{b_i}] (the square of 1/B lost)", lambda p: p["sigma2"]),),
    alternatives=(Formula("(1/B²)(Σ_i Var[g_{b_i}] + Σ_{i≠j} Cov[g_{b_i}, g_{b_j}]), Cov = −σ²/(N − 1) (a subset)",
                          lambda p: (p["B"] * p["sigma2"] - p["B"] * (p["B"] - 1) * p["sigma2"] / (p["N"] - 1))
                          / p["B"] ** 2, reading="without replacement"),),
    resolution=0.05,
    scale=minibatch_mean_gradient_variance.scale,
    design=minibatch_mean_gradient_variance.design,
    figure=minibatch_mean_gradient_variance.figure,
)(minibatch_mean_gradient_variance.measure)
