"""Problem set 004, "TTIC 31230 SGD Problems" (004_e701d70adf034ba3.txt).

Problem 1, variance of running averages: σ_s² = a²σ_x² + b²σ_y² (004-01); the EMA
μ̂_t = (1 − 1/N)μ̂_{t−1} + x_t/N has lim Var(μ̂_t) = σ_x²/((2 − 1/N)N), σ_x² for N = 1, with every line of
the solution's algebra (004-02); for large N about half of σ_x²/N, the variance of a plain average
of N values (004-03).

Problem 2, momentum as a running average: y_t = (1 − 1/N)y_{t−1} + x_t tends to Nc for x_t = c, is the
running average of Nx_t, and equals Nμ_t (004-04). Problem 3, bias correction:
y_t = (1 − 1/min(t, N))y_{t−1} + x_t/min(t, N) is c for every t ≥ 1 when x_t = c (004-05).

Problem 4, batch-size coupling: the for-loops of the batch-averaged and per-example weight gradients,
and grad2 not computable from the averaged gradient (004-06); RMSProp's and Adam's s_t average ĝ² of
the batch gradient, so it shrinks with the batch size toward the mean squared (004-07).

Problem 5: Σ^B = Σ¹/B, line by line (004-08), so the stationary distribution of batched SGD with
η = Bη₀ is independent of B (004-09). Problem 6: with momentum, η = (1 − μ)Bη₀ gives a temperature
independent of μ and B (004-10); Σ_ΔΦ = (Σ_i α_i)Σ_g for ΔΦ = Σ_i α_i ĝ_i (004-11).

Limits in t are approached by running the recursions as written: after t = 5N steps a geometric
transient (1 − 1/N)^{2t} is below e^{−10} ≈ 5·10⁻⁵, far below any resolution here.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import torch

from implementations.averages import bias_corrected_average, ema, ema_step, momentum_sum
from implementations.minibatch_sgd import heavy_ball_spectral_radius, heavy_ball_stationary_variance
from theorems.catalogue.doc002_lecture12 import minibatch_covariance, without_replacement_variance
from theorems.catalogue.kit import (
    COSTLY,
    DISTRIBUTIONS,
    DOCUMENTS,
    PROBLEMS,
    SAMPLING_READINGS,
    evaluation_point,
    finite_sum_problem,
    full_gradient,
    minibatch_bytes,
    sample_fits,
    sample_indices,
    seeded_generator,
    standardized,
    with_sampling,
)
from theorems.core.claim import BEHAVIOUR, EXACT_TO_ROUNDING, Figure, Formula, Measurement, Reading, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers

PROBLEM_SET_004 = DOCUMENTS["004"]


# --- Problem 1: variance of running averages (004-01, 004-02, 004-03) ---------------------------

@claim(
    id="independent-weighted-sum-variance",
    title="For independent x, y, Var(ax + by) = a²σ_x² + b²σ_y²",
    inventory_ids=("004-01",),
    source=Source(PROBLEM_SET_004, "Problem 1"),
    statement="For two independent random variables x and y and a weighted sum s = ax + by we have "
              "σ_s² = a²σ_x² + b²σ_y²",
    assumptions=("x and y are independent, each a standardized normal, uniform or exponential draw times its "
                 "standard deviation (mean 0)",),
    kind="stochastic",
    domain={"a": floats(-3, 3), "b": floats(-3, 3), "sx": floats(0.1, 2), "sy": floats(0.1, 2),
            "x_distribution": choices(DISTRIBUTIONS), "y_distribution": choices(DISTRIBUTIONS)},
    constraint=lambda p: abs(p["a"]) + abs(p["b"]) > 0.1,
    stated=lambda p: p["a"] ** 2 * p["sx"] ** 2 + p["b"] ** 2 * p["sy"] ** 2,
    mutants=(
        Formula("σ_s² = aσ_x² + bσ_y²", lambda p: p["a"] * p["sx"] ** 2 + p["b"] * p["sy"] ** 2),
        Formula("σ_s = aσ_x + bσ_y", lambda p: (p["a"] * p["sx"] + p["b"] * p["sy"]) ** 2),
    ),
    resolution=0.05,
    design=tuple({"a": a, "b": b, "sx": 1.0, "sy": 0.5, "x_distribution": "normal", "y_distribution": "exponential"}
                 for a, b in ((1.0, 1.0), (2.0, -1.0), (0.5, 3.0), (-3.0, 0.2))),
    figure=Figure(kind="points", x="a", xlabel="weight a", ylabel="Var(ax + by)", series="x_distribution"),
)
def independent_weighted_sum_variance(p, ctx):
    """Monte Carlo mean of s² = (ax + by)² for independent mean-0 x and y."""

    def draw(n):
        x = p["sx"] * standardized(p["x_distribution"], n, ctx)
        y = p["sy"] * standardized(p["y_distribution"], n, ctx)
        return (p["a"] * x + p["b"] * y).square()

    return ctx.mean(draw, bytes_per_replicate=32)


EMA_BURN_IN = 5  # steps, in units of N: (1 − 1/N)^{2·5N} ≤ e^{−10}
EMA_WINDOW = 15  # steps, in units of N, over which (μ̂_t − E μ̂_t)² is averaged after the burn-in


def ema_variance_at_limit(p, ctx):
    """Var(μ̂_t) near t → ∞: the recursion μ̂_t = (1 − 1/N)μ̂_{t−1} + x_t/N run as written from μ̂_0 = 0
    (implementations.averages.ema, all replicates in one tensor per step), then (μ̂_t − E μ̂_t)² averaged
    over t = 5N + 1 … 20N, where every Var(μ̂_t) is within a factor e^{−10} of the limit.

    E μ̂_t = μ(1 − (1 − 1/N)^t) exactly. Averaging over the window makes each replicate worth about
    fifteen independent ones (the correlation time of μ̂_t² is about N steps), for 4× the steps.
    """
    N, mu = p["N"], p["mean"]
    burn, steps = EMA_BURN_IN * N, (EMA_BURN_IN + EMA_WINDOW) * N
    t = torch.arange(burn + 1, steps + 1, device=ctx.device, dtype=torch.float64)
    expected = (mu * (1 - (1 - 1 / N) ** t)).unsqueeze(1).to(ctx.dtype)  # E μ̂_t, (window, 1)

    def draw(n):
        estimate = torch.zeros(n, device=ctx.device, dtype=ctx.dtype)  # μ̂_0 = 0
        for x in mu + standardized(p["distribution"], (burn, n), ctx):  # t = 1 … 5N
            estimate = ema_step(estimate, x, N=N)
        window = ema(mu + standardized(p["distribution"], (steps - burn, n), ctx), N=N, mu0=estimate)  # t = 5N + 1 …
        return (window - expected).square().mean(dim=0)

    return ctx.mean(draw, bytes_per_replicate=3 * 4 * steps, quantities={"sigma2": 1.0})


claim(
    id="ema-limiting-variance",
    seed_key="ema-variance-at-limit",
    search_factor=COSTLY,
    title="An exponential moving average has limiting variance σ_x²/((2 − 1/N)N), σ_x² for N = 1",
    inventory_ids=("004-02",),
    source=Source(PROBLEM_SET_004, "Problem 1(a)"),
    statement=("μ̂_0 = 0, μ̂_t = (1 − 1/N)μ̂_{t−1} + (1/N)x_t, x_t i.i.d. with variance σ_x²: "
               "σ²_{μ̂,∞} = σ_x²/((2 − 1/N)N); for N = 1 we have σ²_{μ̂,∞} = σ_x² (a sanity check)"),
    assumptions=("x_t = mean + a standardized normal, uniform or exponential draw (σ_x² = 1)",
                 "the limit is approached by running the recursion t = 5N steps (the transient (1 − 1/N)^{2t} "
                 "≤ e^{−10}); the variance is then averaged over t = 5N … 20N"),
    kind="stochastic",
    domain={"N": integers(1, 200), "mean": choices([0.0, 1.0, -3.0]),
            "distribution": choices(DISTRIBUTIONS)},
    stated=lambda p: p["sigma2"] / ((2 - 1 / p["N"]) * p["N"]),
    mutants=(
        Formula("lim Var(μ̂_t) = σ_x²/N (the plain average's variance)", lambda p: p["sigma2"] / p["N"]),
        Formula("lim Var(μ̂_t) = σ_x²/((2 + 1/N)N)", lambda p: p["sigma2"] / ((2 + 1 / p["N"]) * p["N"])),
    ),
    resolution=0.05,
    design=tuple({"N": n, "mean": 1.0, "distribution": "normal"} for n in (1, 2, 10, 100, 5, 20, 50, 200))
    + ({"N": 1, "mean": 0.0, "distribution": "exponential"},),
    figure=Figure(kind="points", x="N", xlabel="N (averaging horizon)", ylabel="lim Var(μ̂_t)",
                  logx=True, logy=True, series="distribution"),
)(ema_variance_at_limit)


def linear_root(residual) -> float:
    """The root v of a line's residual r(v) = right side − left side, which is affine in v."""
    r0, r1 = residual(0.0), residual(1.0)
    return -r0 / (r1 - r0)


def ema_derivation_roots(p) -> np.ndarray:
    """σ²_{μ̂,∞} solved from each line of the solution of Problem 1(a), as written."""
    N, s2 = p["N"], p["sigma2"]
    lines = (
        lambda v: (1 - 1 / N) ** 2 * v + s2 / N**2 - v,  # σ² = (1 − 1/N)² σ² + σ_x²/N²
        lambda v: (1 - 2 / N + 1 / N**2) * v + s2 / N**2 - v,  # σ² = (1 − 2/N + 1/N²) σ² + σ_x²/N²
        lambda v: (-2 / N + 1 / N**2) * v + s2 / N**2,  # 0 = (−2/N + 1/N²) σ² + σ_x²/N²
        lambda v: (-2 + 1 / N) * v + s2 / N,  # 0 = ((−2) + 1/N) σ² + σ_x²/N
    )
    return np.array([linear_root(line) for line in lines])


@claim(
    id="ema-limit-derivation",
    title="Every line of the solution to Problem 1(a) has the root σ_x²/((2 − 1/N)N)",
    inventory_ids=("004-02",),
    source=Source(PROBLEM_SET_004, "Problem 1(a), solution"),
    statement=("The limit must satisfy σ² = (1 − 1/N)²σ² + σ_x²/N²; σ² = (1 − 2/N + 1/N²)σ² + σ_x²/N²; "
               "0 = (−2/N + 1/N²)σ² + σ_x²/N²; = ((−2) + 1/N)σ² + σ_x²/N; σ² = σ_x²/((2 − 1/N)N)"),
    assumptions=("each line is affine in σ² = σ²_{μ̂,∞}; it is solved for σ² in float64 and compared with the "
                 "final line",),
    kind="identity",
    domain={"N": floats(1.0, 1e4), "sigma2": floats(1e-2, 1e2)},
    stated=lambda p: p["sigma2"] / ((2 - 1 / p["N"]) * p["N"]),
    mutants=(Formula("σ² = σ_x²/(2N) (the 1/N dropped)", lambda p: p["sigma2"] / (2 * p["N"])),
             Formula("σ² = σ_x²/((2 + 1/N)N)", lambda p: p["sigma2"] / ((2 + 1 / p["N"]) * p["N"]))),
    resolution=1e-9,
    role="derivation",
    design=({"N": 1.0, "sigma2": 1.0}, {"N": 10.0, "sigma2": 1.0}, {"N": 1000.0, "sigma2": 3.0}),
    figure=Figure(kind="points", x="N", xlabel="N", ylabel="root of each line", logx=True, logy=True,
                  series=None),
)
def ema_limit_derivation(p, ctx):
    """The root of each line of the derivation."""
    return Measurement(ema_derivation_roots(p))


LARGE_N = (40, 50, 70, 100, 140, 200)  # 004-03's "for N large": the exact ratio to σ²/(2N) is 1 + 1/(2N − 1)

claim(
    id="ema-limit-about-half",
    seed_key="ema-variance-at-limit",
    search_factor=COSTLY,
    title="For large N the EMA's limiting variance is about half of σ_x²/N",
    inventory_ids=("004-03",),
    source=Source(PROBLEM_SET_004, "Problem 1(b)"),
    statement=("For an average of N we have σ_μ̂² = σ_x²/N. For N large we have that the answer to part (a) is "
               "about half as large."),
    assumptions=(f"'N large' is N ≥ {LARGE_N[0]}: the exact limit over σ_x²/(2N) is 1 + 1/(2N − 1), within "
                 "1.3 % of 1 there; the 5 % resolution stops holding below N = 11",
                 "the limit is measured as in ema-limiting-variance (the same runs)"),
    kind="stochastic",
    domain={"N": choices(LARGE_N), "mean": choices([0.0, 1.0, -3.0]),
            "distribution": choices(DISTRIBUTIONS)},
    stated=lambda p: p["sigma2"] / p["N"] / 2,
    mutants=(Formula("about the same as σ_x²/N", lambda p: p["sigma2"] / p["N"]),
             Formula("about a quarter of σ_x²/N", lambda p: p["sigma2"] / p["N"] / 4)),
    resolution=0.05,
    samples_factor=4.0,  # the truth sits 1 + 1/(2N − 1) above "half" (1.3 % at N = 40): more than a noise-only plan
    design=tuple({"N": n, "mean": 1.0, "distribution": "normal"} for n in (50, 200)),
    figure=Figure(kind="points", x="N", xlabel="N", ylabel="lim Var(μ̂_t)", logx=True, logy=True,
                  series="distribution"),
)(ema_variance_at_limit)


@claim(
    id="plain-average-variance",
    title="The average of N i.i.d. values has variance σ_x²/N",
    inventory_ids=("004-03",),
    source=Source(PROBLEM_SET_004, "Problem 1(b)"),
    statement="μ̂ = (1/N) Σ_{t=1}^N x_t: for an average of N we have σ_μ̂² = σ_x²/N",
    assumptions=("x_t = mean + a standardized normal, uniform or exponential draw (σ_x² = 1)",),
    kind="stochastic",
    domain={"N": integers(1, 100), "mean": choices([0.0, 1.0, -3.0]),
            "distribution": choices(DISTRIBUTIONS)},
    stated=lambda p: p["sigma2"] / p["N"],
    mutants=(Formula("σ_μ̂² = σ_x²/N²", lambda p: p["sigma2"] / p["N"] ** 2),
             Formula("σ_μ̂² = σ_x²/√N", lambda p: p["sigma2"] / math.sqrt(p["N"]))),
    resolution=0.05,
    design=tuple({"N": n, "mean": 1.0, "distribution": "normal"} for n in (1, 10, 100)),
    figure=Figure(kind="points", x="N", xlabel="N", ylabel="Var(μ̂)", logx=True, logy=True, series="distribution"),
)
def plain_average_variance(p, ctx):
    """Monte Carlo mean of (μ̂ − mean)² for μ̂ the average of N draws."""

    def draw(n):
        xs = p["mean"] + standardized(p["distribution"], (n, p["N"]), ctx)
        return (xs.double().mean(dim=1) - p["mean"]).square()

    return ctx.mean(draw, bytes_per_replicate=3 * 8 * p["N"], quantities={"sigma2": 1.0})


# --- Problem 2: momentum as a running average (004-04) -----------------------------------------

MOMENTUM_LIMIT_STEPS = 25  # steps, in units of N: the gap Nc(1 − 1/N)^t ≤ e^{−25}|Nc| ≈ 10⁻¹¹|Nc|


@claim(
    id="momentum-sum-limit",
    title="y_t = (1 − 1/N)y_{t−1} + c tends to Nc",
    inventory_ids=("004-04",),
    source=Source(PROBLEM_SET_004, "Problem 2(a)"),
    statement=("y_0 = 0, y_t = (1 − 1/N)y_{t−1} + x_t; if x_t = c for all t ≥ 1, the limit y_∞ must satisfy "
               "y_∞ = (1 − 1/N)y_∞ + c, giving y_∞ = Nc"),
    assumptions=(f"measured: y_t after t = {MOMENTUM_LIMIT_STEPS}N steps of the recursion "
                 "(implementations.averages.momentum_sum), within e^{−25} of the limit, and the right side of "
                 "the fixed-point equation at y_∞ = Nc; float64, relative tolerance 1e-9",),
    kind="identity",
    domain={"N": integers(1, 100), "c": floats(-10.0, 10.0)},
    stated=lambda p: np.array([p["N"] * p["c"]] * 2),
    mutants=(Formula("y_∞ = c (as for the running average μ_t)", lambda p: np.array([p["c"]] * 2)),
             Formula("y_∞ = (N − 1)c", lambda p: np.array([(p["N"] - 1) * p["c"]] * 2))),
    preset=EXACT_TO_ROUNDING,
    design=tuple({"N": n, "c": 1.0} for n in (1, 10, 100)),
    figure=Figure(kind="points", x="N", xlabel="N", ylabel="[y_t at t = 25N, (1 − 1/N)Nc + c]", logx=True,
                  series=None),
)
def momentum_sum_limit(p, ctx):
    """y_t at t = 25N for x_t = c, and (1 − 1/N)·Nc + c."""
    N, c = p["N"], p["c"]
    ys = momentum_sum(torch.full((MOMENTUM_LIMIT_STEPS * N,), c, dtype=torch.float64), N=N)
    return Measurement(np.array([float(ys[-1]), (1 - 1 / N) * N * c + c]))


MOMENTUM_STEPS = 64


def momentum_sum_run(p, ctx):
    """y_1 … y_T of y_t = (1 − 1/N)y_{t−1} + x_t (implementations.averages.momentum_sum) for a seeded i.i.d.
    input sequence; the formulas read the inputs x and the running average μ_t of x_t."""
    xs = p["scale"] * torch.randn(MOMENTUM_STEPS, generator=seeded_generator(p["data_seed"]), dtype=torch.float64)
    ys = momentum_sum(xs, N=p["N"])
    return Measurement(ys.numpy(), quantities={"xs": xs},
                       trace={"x": np.arange(1, MOMENTUM_STEPS + 1), "measured": ys.numpy()})


MOMENTUM_DOMAIN = {"N": floats(1.0, 1000.0), "scale": floats(0.01, 100.0), "data_seed": DATA_SEED}
MOMENTUM_DESIGN = ({"N": 10.0, "scale": 1.0, "data_seed": 0}, {"N": 1.0, "scale": 1.0, "data_seed": 1})

claim(
    id="momentum-sum-running-average",
    seed_key="momentum-sum-run",
    title="y_t is the running average of N x_t",
    inventory_ids=("004-04",),
    source=Source(PROBLEM_SET_004, "Problem 2(b)"),
    statement=("The update can be rewritten as y_t = (1 − 1/N)y_{t−1} + (1/N)(Nx_t), so y_t is the running "
               "average of Nx_t"),
    assumptions=(f"x_t i.i.d. N(0, scale²), {MOMENTUM_STEPS} steps from y_0 = 0; measured: y_t; stated: the running "
                 "average (implementations.averages.ema) of Nx_t; float64, relative tolerance 1e-9",),
    kind="identity",
    domain=MOMENTUM_DOMAIN,
    stated=lambda p: ema(p["N"] * p["xs"], N=p["N"]).numpy(),
    mutants=(Formula("y_t is the running average of x_t", lambda p: ema(p["xs"], N=p["N"]).numpy()),
             Formula("y_t is the running average of (N − 1)x_t",
                     lambda p: ema((p["N"] - 1) * p["xs"], N=p["N"]).numpy())),
    preset=EXACT_TO_ROUNDING,
    design=MOMENTUM_DESIGN,
    figure=Figure(kind="traces", xlabel="t", ylabel="y_t"),
)(momentum_sum_run)

claim(
    id="momentum-sum-equals-n-mu",
    seed_key="momentum-sum-run",
    title="y_t = Nμ_t, μ_t the running average of x_t",
    inventory_ids=("004-04",),
    source=Source(PROBLEM_SET_004, "Problem 2(c)"),
    statement=("μ_0 = 0, μ_t = (1 − 1/N)μ_{t−1} + (1/N)x_t: y_t is the running average of Nx_t which equals N "
               "times the running average of x_t so we have y_t = Nμ_t"),
    assumptions=(f"x_t i.i.d. N(0, scale²), {MOMENTUM_STEPS} steps from y_0 = μ_0 = 0; float64, relative "
                 "tolerance 1e-9",),
    kind="identity",
    domain=MOMENTUM_DOMAIN,
    stated=lambda p: (p["N"] * ema(p["xs"], N=p["N"])).numpy(),
    mutants=(Formula("y_t = μ_t/N", lambda p: (ema(p["xs"], N=p["N"]) / p["N"]).numpy()),
             Formula("y_t = (N − 1)μ_t", lambda p: ((p["N"] - 1) * ema(p["xs"], N=p["N"])).numpy())),
    preset=EXACT_TO_ROUNDING,
    design=MOMENTUM_DESIGN,
    figure=Figure(kind="traces", xlabel="t", ylabel="y_t"),
)(momentum_sum_run)


# --- Problem 3: bias correction (004-05) ----------------------------------------------------------

@claim(
    id="bias-corrected-average-constant",
    title="With horizon min(t, N), the running average of a constant c is c from t = 1 on",
    inventory_ids=("004-05",),
    source=Source(PROBLEM_SET_004, "Problem 3"),
    statement=("y_t = (1 − 1/min(t, N))y_{t−1} + (1/min(t, N))x_t; if x_t = c for all t ≥ 1: for t = 1 we get "
               "y_1 = x_1 = c, then y_{t+1} is a convex combination of y_t and x_t, which maintains y_t = c"),
    assumptions=("y_t for t = 1 … 3N (implementations.averages.bias_corrected_average) against c; float64, "
                 "relative tolerance 1e-12",),
    kind="identity",
    domain={"N": integers(1, 100), "c": floats(-100.0, 100.0)},
    stated=lambda p: np.full(3 * p["N"], p["c"]),
    mutants=(Formula("y_t = c(1 − (1 − 1/N)^t) (the plain EMA from y_0 = 0)",
                     lambda p: p["c"] * (1 - (1 - 1 / p["N"]) ** np.arange(1, 3 * p["N"] + 1))),
             Formula("y_t = c·min(t, N)/N",
                     lambda p: p["c"] * np.minimum(np.arange(1, 3 * p["N"] + 1), p["N"]) / p["N"])),
    resolution=1e-12,
    atol=1e-300,
    design=tuple({"N": n, "c": 2.5} for n in (1, 10, 100)),
    figure=Figure(kind="traces", xlabel="t", ylabel="y_t"),
)
def bias_corrected_average_constant(p, ctx):
    """y_1 … y_{3N} for x_t = c."""
    ys = bias_corrected_average(torch.full((3 * p["N"],), p["c"], dtype=torch.float64), N=p["N"])
    return Measurement(ys.numpy(), trace={"x": np.arange(1, 3 * p["N"] + 1), "measured": ys.numpy()})


# --- Problem 4: batch-size coupling to RMSProp and Adam (004-06, 004-07) -------------------------
# y[b, j] = Σ_i W[j, i] x[b, i]; each batch element b has its own loss ℓ_b(y[b]) and y.grad[b, j] is
# ∂ℓ_b/∂y[b, j] (the per-example convention part (b) needs: W.grad[b, j, i] = y.grad[b, j] x[b, i]).

LOSSES = ("squared", "cross-entropy")
BATCH_DOMAIN = {"loss": choices(LOSSES), "B": integers(1, 32), "I": integers(1, 12),
                "J": integers(1, 12), "data_seed": DATA_SEED}
BATCH_ASSUMPTIONS = (
    "y = x Wᵀ with x (B, I), W (J, I) seeded N(0, 1); ℓ_b = ½‖y_b − t_b‖² (t_b ~ N(0, 1)) or the cross-entropy "
    "of y_b with a seeded label; y.grad[b, j] = ∂ℓ_b/∂y[b, j], by autograd of Σ_b ℓ_b",
    "float64, relative tolerance 1e-10",
)
BATCH_DESIGN = tuple({"loss": loss, "B": 8, "I": 4, "J": 3, "data_seed": 0} for loss in LOSSES)


def example_loss(loss: str, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """ℓ(y) of one example (y of shape (J,)) or of each row of a batch (y of shape (B, J))."""
    if loss == "squared":
        return 0.5 * (y - target).square().sum(dim=-1)
    label = target.argmax(dim=-1, keepdim=True)  # a one-hot-free label from the seeded target
    return torch.logsumexp(y, dim=-1) - y.gather(-1, label).squeeze(-1)


def batch_problem(p):
    """(W, x, targets) of the point, float64, seeded."""
    generator = seeded_generator(p["data_seed"])
    W = torch.randn(p["J"], p["I"], generator=generator, dtype=torch.float64)
    x = torch.randn(p["B"], p["I"], generator=generator, dtype=torch.float64)
    targets = torch.randn(p["B"], p["J"], generator=generator, dtype=torch.float64)
    return W, x, targets


def batch_gradients(p, ctx):
    """Autograd's batch-averaged W.grad, torch.func's per-example W.grad[b] and the y.grad the for-loops read."""
    W, x, targets = batch_problem(p)
    W = W.requires_grad_(True)
    y = x @ W.T  # y[b, j] = Σ_i W[j, i] x[b, i]
    losses = example_loss(p["loss"], y, targets)
    W_grad, = torch.autograd.grad(losses.mean(), W, retain_graph=True)  # parameter gradients averaged over the batch
    y_grad, = torch.autograd.grad(losses.sum(), y)  # ∂ℓ_b/∂y[b, j]
    per_example = torch.func.vmap(torch.func.grad(
        lambda w, xb, tb: example_loss(p["loss"], xb @ w.T, tb)), in_dims=(None, 0, 0))(W.detach(), x, targets)
    return {"W_grad": W_grad, "per_example": per_example, "y_grad": y_grad, "x": x}


def batch_averaged_gradient(p, ctx):
    """W.grad of the batch-averaged loss (1/B) Σ_b ℓ_b, by autograd."""
    g = batch_gradients(p, ctx)
    return Measurement(g["W_grad"].flatten().numpy(), quantities={"y_grad": g["y_grad"], "x": g["x"]})


def per_example_gradient(p, ctx):
    """W.grad[b] = ∂ℓ_b/∂W for every batch element b, by torch.func.vmap(torch.func.grad(ℓ))."""
    g = batch_gradients(p, ctx)
    return Measurement(g["per_example"].flatten().numpy(), quantities={"y_grad": g["y_grad"], "x": g["x"]})


def for_loop_batch_gradient(p, scale=None) -> np.ndarray:
    # for b, i, j: W.grad[j, i] += (1/B) y.grad[b, j] x[b, i]
    scale = 1 / p["B"] if scale is None else scale
    return (scale * torch.einsum("bj,bi->ji", p["y_grad"], p["x"])).flatten().numpy()


def for_loop_per_example_gradient(p, scale=1.0) -> np.ndarray:
    # for b, i, j: W.grad[b, j, i] += y.grad[b, j] x[b, i]
    return (scale * torch.einsum("bj,bi->bji", p["y_grad"], p["x"])).flatten().numpy()


claim(
    id="batch-averaged-weight-gradient",
    title="Back-propagation to W, averaged over the batch: W.grad[j,i] += (1/B) y.grad[b,j] x[b,i]",
    inventory_ids=("004-06",),
    source=Source(PROBLEM_SET_004, "Problem 4(a)"),
    statement="for b, i, j: W.grad[j, i] += (1/B) y.grad[b, j] x[b, i]",
    assumptions=BATCH_ASSUMPTIONS + ("measured: autograd's gradient of (1/B) Σ_b ℓ_b",),
    kind="identity",
    domain=BATCH_DOMAIN,
    stated=for_loop_batch_gradient,
    mutants=(Formula("W.grad[j, i] += y.grad[b, j] x[b, i] (summed, not averaged)",
                     lambda p: for_loop_batch_gradient(p, scale=1.0)),
             Formula("W.grad[j, i] += (1/B²) y.grad[b, j] x[b, i]",
                     lambda p: for_loop_batch_gradient(p, scale=1 / p["B"] ** 2))),
    resolution=1e-10,
    atol=1e-12,
    design=BATCH_DESIGN,
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="W.grad entries", series="loss"),
)(batch_averaged_gradient)

claim(
    id="per-example-weight-gradient",
    title="Per-example back-propagation: W.grad[b,j,i] += y.grad[b,j] x[b,i]",
    inventory_ids=("004-06",),
    source=Source(PROBLEM_SET_004, "Problem 4(b)"),
    statement="for b, i, j: W.grad[b, j, i] += y.grad[b, j] x[b, i]",
    assumptions=BATCH_ASSUMPTIONS + ("measured: torch.func.vmap(torch.func.grad(ℓ)) over the batch",),
    kind="identity",
    domain=BATCH_DOMAIN,
    stated=for_loop_per_example_gradient,
    mutants=(Formula("W.grad[b, j, i] += (1/B) y.grad[b, j] x[b, i]",
                     lambda p: for_loop_per_example_gradient(p, scale=1 / p["B"])),),
    resolution=1e-10,
    atol=1e-12,
    design=BATCH_DESIGN,
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="W.grad[b] entries", series="loss"),
)(per_example_gradient)


NOT_DETERMINED = "two batches with the same W.grad have different grad2"
DETERMINED = "batches with the same W.grad have the same grad2"
ROTATIONS = 8  # angles tried by the search


def weight_gradients(x: torch.Tensor, targets: torch.Tensor, W: torch.Tensor):
    """(W.grad, grad2) of the squared loss by autograd: the batch average and (1/B) Σ_b W.grad[b]²."""
    per_example = torch.func.vmap(torch.func.grad(
        lambda w, xb, tb: example_loss("squared", xb @ w.T, tb)), in_dims=(None, 0, 0))(W, x, targets)
    return per_example.mean(dim=0), per_example.square().mean(dim=0)


@claim(
    id="grad2-not-from-averaged-gradient",
    title="grad2 = (1/B) Σ_b W.grad[b]² cannot be computed from the batch-averaged W.grad",
    inventory_ids=("004-06",),
    source=Source(PROBLEM_SET_004, "Problem 4(c)"),
    statement=("W.grad2[j, i] = (1/B) Σ_b W.grad[b, j, i]². Is it possible to compute W.grad[j, i] from W.grad[j, i]? "
               "No. W.grad2[j, i] is the average over the batch of the square of the gradient. The average value "
               "does not determine the average square value."),
    assumptions=("the question is read as \"compute W.grad2 from W.grad\" (the printed question repeats W.grad); "
                 "B ≥ 2 (for B = 1, grad2 = W.grad², computable)",
                 "search: from a seeded batch (x_b, t_b) with the squared loss, the two examples with the largest "
                 "per-example gradients are replaced by a rotation of their factors: (x'_1, x'_2) = (x_1, x_2)R and "
                 "(δ'_1, δ'_2) = (δ_1, δ_2)R with δ = y.grad, targets t'_b = W x'_b − δ'_b (so δ'_b x'_bᵀ sums to the "
                 "same matrix), for 7 angles; the angle that changes grad2 most is kept",
                 "label: W.grad of the two batches (by autograd) agrees to 1e-10 relative and grad2 differs by more "
                 "than 1e-6 relative (rounding is 1e-16)"),
    preset=BEHAVIOUR,
    domain={"B": integers(2, 32), "I": integers(1, 12), "J": integers(1, 12),
            "data_seed": DATA_SEED},
    stated=lambda p: NOT_DETERMINED,
    mutants=(Formula("grad2[j, i] = W.grad[j, i]² (the averaged gradient determines it)", lambda p: DETERMINED),),
    design=tuple({"B": b, "I": i, "J": j, "data_seed": 0} for b, i, j in ((2, 1, 1), (8, 4, 3), (32, 12, 12))),
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="label", series=None),
)
def grad2_not_from_averaged_gradient(p, ctx):
    """Search for a second batch with the first one's W.grad and a different grad2."""
    if p["B"] < 2:
        raise ValueError(f"the search rotates two examples of a batch: B must be >= 2, got {p['B']}")
    W, x, targets = batch_problem({**p, "loss": "squared"})
    delta = x @ W.T - targets  # y.grad of the squared loss
    W_grad, grad2 = weight_gradients(x, targets, W)
    pair = (delta.norm(dim=1) * x.norm(dim=1)).topk(2).indices  # the two examples with the largest ‖W.grad[b]‖
    best = None
    for theta in np.linspace(0, np.pi, ROTATIONS, endpoint=False)[1:]:
        R = torch.tensor([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]], dtype=torch.float64)
        x2, delta2 = x.clone(), delta.clone()
        x2[pair] = R.T @ x[pair]  # (x_1, x_2) → (x_1, x_2)R
        delta2[pair] = R.T @ delta[pair]
        W_grad2, grad2_2 = weight_gradients(x2, x2 @ W.T - delta2, W)
        change = float((grad2_2 - grad2).abs().max())
        if best is None or change > best[0]:
            best = (change, float((W_grad2 - W_grad).abs().max()))
    change, mismatch = best
    same_mean = mismatch <= 1e-10 * float(W_grad.abs().max() + 1e-300) + 1e-15
    different = change > 1e-6 * float(grad2.abs().max())
    return Measurement(NOT_DETERMINED if same_mean and different else DETERMINED,
                       quantities={"grad2_change": change, "W_grad_mismatch": mismatch})


def second_moment_trajectories(p, ctx):
    """torch's second-moment state after each of T steps fed the same gradients: RMSprop(alpha = 1 − 1/N_s)'s
    square_avg or Adam(betas = (0.9, 1 − 1/N_s))'s exp_avg_sq."""
    grads = p["scale"] * torch.randn(SECOND_MOMENT_STEPS, p["d"], generator=seeded_generator(p["data_seed"]),
                                     dtype=torch.float64)
    w = torch.zeros(p["d"], dtype=torch.float64, requires_grad=True)
    beta = 1 - 1 / p["N_s"]
    if p["optimizer"] == "rmsprop":
        optimizer, key = torch.optim.RMSprop([w], lr=1e-3, alpha=beta), "square_avg"
    else:
        optimizer, key = torch.optim.Adam([w], lr=1e-3, betas=(0.9, beta)), "exp_avg_sq"
    states = []
    for g in grads:
        w.grad = g.clone()
        optimizer.step()
        states.append(optimizer.state[w][key].clone())
    return Measurement(torch.stack(states).flatten().numpy(), quantities={"grads": grads})


def second_moment_recursion(p, weight=None) -> np.ndarray:
    """s_{t+1}[i] = (1 − 1/N_s) s_t[i] + (1/N_s) ĝ[i]² from s_0 = 0, for every step."""
    weight = 1 / p["N_s"] if weight is None else weight
    s, states = torch.zeros(p["d"], dtype=torch.float64), []
    for g in p["grads"]:
        s = (1 - 1 / p["N_s"]) * s + weight * g.square()
        states.append(s)
    return torch.stack(states).flatten().numpy()


SECOND_MOMENT_STEPS = 30

claim(
    id="rmsprop-adam-second-moment",
    title="RMSProp and Adam keep s_{t+1} = (1 − 1/N_s)s_t + (1/N_s)ĝ², a running average of ĝ²",
    inventory_ids=("004-07",),
    source=Source(PROBLEM_SET_004, "Problem 4(d)"),
    statement="Adam and RMSProp both compute a running average of ĝ[i]² defined by "
              "s_{t+1}[i] = (1 − 1/N_s)s_t + (1/N_s)ĝ[i]²",
    assumptions=("measured: torch.optim.RMSprop(alpha = 1 − 1/N_s).state['square_avg'] or torch.optim.Adam(betas = "
                 f"(0.9, 1 − 1/N_s)).state['exp_avg_sq'] after each of {SECOND_MOMENT_STEPS} steps fed seeded "
                 "gradients; stated: the recursion from s_0 = 0; float64, relative tolerance 1e-10",),
    kind="identity",
    domain={"optimizer": choices(["rmsprop", "adam"]), "N_s": floats(1.0, 1e4), "d": integers(1, 8),
            "scale": floats(1e-3, 1e3), "data_seed": DATA_SEED},
    stated=second_moment_recursion,
    mutants=(Formula("s_{t+1} = (1 − 1/N_s)s_t + ĝ² (no 1/N_s)", lambda p: second_moment_recursion(p, weight=1.0)),),
    resolution=1e-10,
    atol=1e-300,
    design=tuple({"optimizer": o, "N_s": n, "d": 2, "scale": 1.0, "data_seed": 0}
                 for o in ("rmsprop", "adam") for n in (10.0, 1000.0)),
    representative=({"optimizer": "rmsprop", "N_s": 100.0, "d": 2, "scale": 1.0, "data_seed": 0},  # torch's alpha 0.99
                    {"optimizer": "adam", "N_s": 1000.0, "d": 2, "scale": 1.0, "data_seed": 0}),  # torch's β₂ 0.999
    figure=Figure(kind="points", x="N_s", xlabel="N_s = 1/(1 − β₂)", ylabel="s_t", logx=True, series="optimizer"),
)(second_moment_trajectories)


def squared_full_gradient(p) -> float:
    """g[i]², the square of the full gradient's coordinate i = p["coordinate"] (the document's "mean squared"),
    from the problem's closed-form gradient: not from the per-example gradients that the measurement averages."""
    return float(full_gradient(p)[p["coordinate"]]) ** 2


def squared_batch_gradient(p, ctx):
    """Monte Carlo mean of ĝ_B[i]², ĝ_B the average of B per-example gradients drawn by ``p["sampling"]`` (the
    expected increment of s_t, hence the limit of E s_t)."""
    problem = finite_sum_problem(p, ctx.device)
    column = problem.per_example_grads(evaluation_point(problem, p["data_seed"]))[:, p["coordinate"]]  # g_b[i]
    variance = float(column.var(correction=0))  # σ_i², the per-example variance: the document's given symbol
    sampled = column.to(ctx.dtype)

    def draw(n):
        idx = sample_indices(n, N=p["N"], B=p["B"], sampling=p["sampling"], ctx=ctx)
        return sampled[idx].mean(dim=1).double().square()

    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(p),
                    quantities={"sigma2": variance})


SECOND_MOMENT_DOMAIN = {"problem": choices(PROBLEMS), "N": integers(2, 256), "d": integers(1, 8),
                        "coordinate": integers(0, 7), "data_seed": DATA_SEED}
SECOND_MOMENT_ASSUMPTIONS = (
    "gradients at a fixed w away from the minimizer of a generated least-squares or logistic-regression problem "
    "(as the solution's argument has it: the parameters move little over N_s steps), coordinate i = 'coordinate'",
    "s_t = Σ_k (1/N_s)(1 − 1/N_s)^{t−k} ĝ_k[i]² with i.i.d. ĝ_k, so E s_t = (1 − (1 − 1/N_s)^t) E ĝ_B[i]² → "
    "E ĝ_B[i]²: the limit is measured as the Monte Carlo mean of ĝ_B[i]²",
)

claim(
    id="second-moment-shrinks-with-batch",
    seed_key="squared-batch-gradient",
    search_factor=COSTLY,
    title="s_t of RMSProp/Adam tends to g[i]² + σ_i²/B: it shrinks as the batch size B grows",
    inventory_ids=("004-07",),
    source=Source(PROBLEM_SET_004, "Problem 4(d)"),
    statement=("At batch sizes greater than 1 this fails to take into account the variance of the gradients "
               "within the batch. This implies that s_t[i] will be reduced as the batch size increases"),
    assumptions=SECOND_MOMENT_ASSUMPTIONS + (
        "made precise: lim E s_t[i] = g[i]² + Var(ĝ_B[i]) (g[i] the full gradient, σ_i² the per-example variance), "
        "with Var(ĝ_B[i]) = σ_i²/B for i.i.d. draws and (σ_i²/B)(N − B)/(N − 1) without replacement: both decrease "
        "in B whenever σ_i² > 0",),
    kind="stochastic",
    domain={**SECOND_MOMENT_DOMAIN, "B": integers(1, 256)},
    constraint=lambda p: p["coordinate"] < p["d"] <= p["N"] and sample_fits(p),
    readings=SAMPLING_READINGS,
    stated=lambda p: squared_full_gradient(p) + (p["sigma2"] / p["B"] if p["sampling"] == "iid"
                                                 else without_replacement_variance(p)),  # g[i]² + Var(ĝ_B[i])
    mutants=(Formula("s_t → E ĝ_1[i]² = g[i]² + σ_i², whatever B", lambda p: squared_full_gradient(p) + p["sigma2"]),
             Formula("s_t → g[i]² + σ_i²/B²", lambda p: squared_full_gradient(p) + p["sigma2"] / p["B"] ** 2)),
    resolution=0.05,
    design=tuple({"problem": "least_squares", "N": 64, "d": 4, "coordinate": 0, "B": b, "data_seed": 0}
                 for b in (1, 4, 16, 64, 256)),
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="lim E s_t[i]", logx=True, logy=True,
                  series="problem"),
    # at B = 1 ĝ² is one squared per-example gradient, heavy-tailed on least squares: the design point B = 1 needs
    # about 1.3 million replicates to resolve the band at `standard` (its cap of 400 000 left it straddling)
    samples_factor=4.0,
)(squared_batch_gradient)

claim(
    id="second-moment-large-batch",
    seed_key="squared-batch-gradient",
    title="For large batches s_t converges to the mean squared g[i]², not the second moment",
    inventory_ids=("004-07",),
    source=Source(PROBLEM_SET_004, "Problem 4(d)"),
    statement="in the limit of large batches s_t[i] will converge to the mean squared rather than the second moment",
    assumptions=SECOND_MOMENT_ASSUMPTIONS + (
        "large batches: B from 256 to 4096; the resolution is relative to the second moment g[i]² + σ_i² (what "
        "s_t is said not to converge to), so the gap σ_i²/B is at most 1/256 of the scale",
        "B exceeds N ≤ 256 here, so only i.i.d. draws are possible (without replacement B = N gives g[i]² exactly)",),
    kind="stochastic",
    domain={**SECOND_MOMENT_DOMAIN, "B": integers(256, 4096)},
    constraint=lambda p: p["coordinate"] < p["d"] <= p["N"],
    readings=SAMPLING_READINGS[:1],
    stated=squared_full_gradient,  # the mean squared g[i]²
    mutants=(Formula("s_t → the second moment g[i]² + σ_i²", lambda p: squared_full_gradient(p) + p["sigma2"]),),
    resolution=0.05,
    scale=lambda p: squared_full_gradient(p) + p["sigma2"],
    design=tuple({"problem": problem, "N": 64, "d": 4, "coordinate": 0, "B": 1024, "data_seed": 0}
                 for problem in PROBLEMS),
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="lim E s_t[i]", logx=True, series="problem"),
    samples_factor=0.25,  # at B ≥ 256 ĝ_B² varies little; the pilot of 500 resolves the band
)(squared_batch_gradient)


# --- Problem 5: the covariance of a minibatch gradient (004-08) ---------------------------------

COVARIANCE_DOMAIN = {"problem": choices(PROBLEMS), "statistic": choices(["trace", "entry"]),
                     "N": integers(2, 256), "d": integers(2, 12), "B": integers(1, 64),
                     "data_seed": DATA_SEED}
COVARIANCE_ASSUMPTIONS = (
    "ĝ_b = ∇f_{i_b}(w), the B indices i_b drawn from the N examples of a generated least-squares or logistic "
    "problem by the reading's sampling (\"sampled gradients\" leaves it open), at a point w away from the "
    "minimizer; g the full gradient",
    "statistic 'trace' compares Σ_i Σ^B[i, i], 'entry' compares Σ^B[0, 1]; the resolution is relative to the "
    "natural scale (trace, or √(Σ¹[0,0]Σ¹[1,1]) for an entry) over B, since an entry can be 0",
)

def covariance_fits(p) -> bool:
    """d ≤ N (a unique least-squares minimizer), and B ≤ N when the B examples are distinct."""
    return p["d"] <= p["N"] and sample_fits(p)


COVARIANCE_DESIGN = tuple({"problem": "logistic", "statistic": s, "N": n, "d": 5, "B": b, "data_seed": 0}
                          for s in ("entry", "trace") for n, b in ((64, 1), (64, 4), (20, 5), (64, 16), (64, 64)))

claim(
    id="minibatch-covariance",
    title="The covariance of the average of B sampled gradients is Σ¹/B",
    inventory_ids=("004-08",),
    source=Source(PROBLEM_SET_004, "Problem 5"),
    statement=("Σ^B[i, j] = E(ĝ^B[i] − g[i])(ĝ^B[j] − g[j]) = … = (1/B) Σ¹[i, j], ĝ^B the average of B sampled "
               "gradients"),
    assumptions=COVARIANCE_ASSUMPTIONS,
    kind="stochastic",
    domain=COVARIANCE_DOMAIN,
    constraint=covariance_fits,
    readings=SAMPLING_READINGS,
    stated=lambda p: p["sigma2"] / p["B"],
    mutants=(Formula("Σ^B = Σ¹/B²", lambda p: p["sigma2"] / p["B"] ** 2),
             Formula("Σ^B = Σ¹/√B", lambda p: p["sigma2"] / math.sqrt(p["B"]))),
    alternatives=(Formula("Σ^B = (Σ¹/B)·(N − B)/(N − 1) (sampling without replacement)",
                          without_replacement_variance, reading="without replacement"),),
    resolution=0.05,
    scale=lambda p: p["spread"] / p["B"],
    design=COVARIANCE_DESIGN,
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="Σ^B (trace or entry [0, 1])", logx=True,
                  series="statistic"),
)(minibatch_covariance)

SOLUTION_LINES = (  # the lines of Problem 5's solution after Σ^B[i, j] = E(ĝ^B[i] − g[i])(ĝ^B[j] − g[j]), as printed
    "(1/B²) E(Σ_b ĝ_b[i] − g[i])(Σ_b ĝ_b[j] − g[j])",
    "(1/B²) E Σ_{b,b'} (ĝ_b[i] − g[i])(ĝ_{b'}[j] − g[j])",
    "(1/B²) Σ_b E(ĝ_b[i] − g[i])(ĝ_b[j] − g[j]) + Σ_{b,b'≠b} E(ĝ_b[i] − g[i])(ĝ_{b'}[j] − g[j])",
    "(1/B²) Σ_b E(ĝ_b[i] − g[i])(ĝ_b[j] − g[j]) [+ Σ_{b,b'≠b} (E(ĝ_b[i] − g[i]))(E(ĝ_{b'}[j] − g[j])) = 0]",
)


def exact_minibatch_covariance(p) -> float:
    """Σ^B of the reading's sampling, from the population's Σ¹ by the sampling theorems: Σ¹/B for i.i.d.
    indices, (Σ¹/B)(N − B)/(N − 1) for a random subset (the finite-population correction)."""
    return p["sigma2"] / p["B"] if p["sampling"] == "iid" else without_replacement_variance(p)


@claim(
    id="minibatch-covariance-derivation",
    search_factor=COSTLY,
    title="Each line of the solution of Problem 5 equals Σ^B[i, j]",
    inventory_ids=("004-08",),
    source=Source(PROBLEM_SET_004, "Problem 5, solution"),
    statement=("Σ^B[i, j] = (1/B²) E(Σ_b ĝ_b[i] − g[i])(Σ_b ĝ_b[j] − g[j]) = (1/B²) E Σ_{b,b'} (…)(…) "
               "= (1/B²) Σ_b E(…)(…) + Σ_{b, b'≠b} E(…)(…) "
               "= (1/B²) Σ_b E(…)(…) + Σ_{b, b'≠b} (E(ĝ_b[i] − g[i]))(E(ĝ_{b'}[j] − g[j])) = (1/B²) Σ_b E(…)(…) "
               "= (1/B) Σ¹[i, j]"),
    assumptions=COVARIANCE_ASSUMPTIONS + (
        "every line is read as printed: in the first, Σ_b ĝ_b[i] − g[i] is (Σ_b ĝ_b[i]) − g[i]; in the third, "
        "the 1/B² multiplies the first sum only",
        "measured: the Monte Carlo mean of the line's expression; stated: the left side Σ^B[i, j], exact from Σ¹ "
        "for the reading's sampling (Σ¹/B i.i.d., (Σ¹/B)(N − B)/(N − 1) without replacement); the last line, "
        "(1/B)Σ¹, is the row's statement (minibatch-covariance)",
        "the product of expectations is 0 (every ĝ_b is uniform over the examples, so E ĝ_b = g): the fourth "
        "line's value is that of its first sum",),
    kind="stochastic",
    domain={**COVARIANCE_DOMAIN, "line": choices(SOLUTION_LINES)},
    constraint=covariance_fits,
    readings=SAMPLING_READINGS,
    stated=exact_minibatch_covariance,
    mutants=(Formula("the line equals Σ¹/B² (the B diagonal terms not summed)", lambda p: p["sigma2"] / p["B"] ** 2),
             Formula("the line equals Σ¹ (the average's 1/B² cancelled by the B² pairs)", lambda p: p["sigma2"])),
    alternatives=(Formula("(1/B²) E(Σ_b ĝ_b[i] − g[i])(Σ_b ĝ_b[j] − g[j]) = Σ^B[i, j] + ((B − 1)/B)² g[i]g[j] "
                          "(the parentheses as printed)", lambda p: exact_minibatch_covariance(p) + p["gradient_product"]
                          * ((p["B"] - 1) / p["B"]) ** 2),),
    role="derivation",
    correction="Σ^B[i, j] = (1/B²) E(Σ_b (ĝ_b[i] − g[i]))(Σ_b (ĝ_b[j] − g[j])) = … = (1/B²)[Σ_b E(…)(…) + "
               "Σ_{b,b'≠b} E(…)(…)] (the 1/B² on both sums); the cross terms vanish for independent draws only",
    resolution=0.05,
    scale=lambda p: p["spread"] / p["B"],
    design=tuple({"problem": "least_squares", "statistic": "entry", "N": 20, "d": 5, "B": b, "line": line,
                  "data_seed": 0} for line in SOLUTION_LINES for b in (5, 16)),
    figure=Figure(kind="points", x="B", xlabel="batch size B", ylabel="the line's value", logx=True, series="line"),
)
def minibatch_covariance_derivation(p, ctx):
    """Monte Carlo mean of one line of the solution's expression, the B draws by the reading's sampling."""
    problem = finite_sum_problem(p, ctx.device)
    grads = problem.per_example_grads(evaluation_point(problem, p["data_seed"]))
    full = grads.mean(dim=0)
    centred = grads - full
    covariance = centred.T @ centred / p["N"]
    if p["statistic"] == "trace":
        sigma2, spread = float(covariance.trace()), float(covariance.trace())
        gradient_product = float(full @ full)
    else:
        sigma2, spread = float(covariance[0, 1]), math.sqrt(float(covariance[0, 0] * covariance[1, 1]))
        gradient_product = float(full[0] * full[1])
    sampled, g = centred.to(ctx.dtype), full.to(ctx.dtype)
    B, line = p["B"], SOLUTION_LINES.index(p["line"])

    def pair(u, v):  # (…, d), (…, d) -> u[i]v[j]: Σ_i u[i]v[i] ("trace") or u[0]v[1] ("entry")
        return (u * v).sum(dim=-1) if p["statistic"] == "trace" else u[..., 0] * v[..., 1]

    def draw(n):
        rows = sampled[sample_indices(n, N=p["N"], B=B, sampling=p["sampling"], ctx=ctx)].double()  # ĝ_b − g, (n, B, d)
        total = rows.sum(dim=1)  # Σ_b (ĝ_b − g)
        if line == 0:
            printed = total + (B - 1) * g.double()  # (Σ_b ĝ_b) − g
            return pair(printed, printed) / B ** 2
        if line == 1:
            return pair(total, total) / B ** 2
        diagonal = pair(rows, rows).sum(dim=1)  # Σ_b (ĝ_b[i] − g[i])(ĝ_b[j] − g[j])
        return diagonal / B ** 2 + (pair(total, total) - diagonal if line == 2 else 0.0)

    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(p) + 16 * B * p["d"],
                    quantities={"sigma2": sigma2, "spread": spread, "gradient_product": gradient_product})


# --- Problems 5 and 6: the stationary distribution (temperature) of SGD (004-09, 004-10) ---------
# A one-dimensional quadratic finite sum f_k(w) = ½λ(w − a_k)², λ = 1, with N seeded a_k centred and scaled to
# variance 1: the minibatch gradient is λ(w − ā_B), ā_B the mean of B a_k sampled with or without replacement (the
# reading), so w* = 0 and one sampled gradient's noise has variance σ² = 1 (Σ¹). SGD with momentum μ is torch's (v ← μv + ĝ, w ← w − ηv:
# implementations.optimizers.sgd_update). The Langevin dynamics of the problem set have the stationary variance
# ησ²/(2λB) (plain) and ησ²/(2(1 − μ)λB) (momentum): with η = (1 − μ)Bη₀ both are η₀σ²/(2λ). SGD itself has
# the exact stationary variance of implementations.minibatch_sgd.heavy_ball_stationary_variance, which agrees
# with that to first order in ηλ.

STATIONARY_BURN_IN = 5.0  # in units of the error's decay time 1/(−ln r): r^{2t} ≤ e^{−10}
STATIONARY_WINDOW = 5.0  # in the same units: w_t² averaged over this many after the burn-in
LANGEVIN_STEP = 0.05  # the Langevin regime: η₀λ and ηλ both at most this
SMALLEST_STEP = 0.02  # ηλ below this needs more than 500 steps per run


def stationary_variance_of_sgd(p, ctx):
    """Stationary Var(w) of minibatch SGD (momentum μ, batch B, η = (1 − μ)Bη₀) on the quadratic finite sum.

    Each replicate runs from w* = 0 for 5 decay times 1/(−ln r) (r the spectral radius of the error's
    recursion: the transient r^{2t} falls below e^{−10}) and then averages w_t² over 5 more: one replicate
    is worth a few independent draws. The update is torch.optim.SGD's (implementations.optimizers.sgd_update,
    written out here so that each step is a few operations on all replicates).
    """
    B, mu, eta = p["B"], p["momentum"], stationary_step(p)
    # a radius of 0 (ηλ = 1 without momentum: the error is gone after one step) counts as e^{−5}: one step of each
    radius = max(heavy_ball_spectral_radius(step=eta, momentum=mu), math.exp(-STATIONARY_BURN_IN))
    rate = -math.log(radius)
    burn, window = math.ceil(STATIONARY_BURN_IN / rate), math.ceil(STATIONARY_WINDOW / rate)
    population = SimpleNamespace(generator=seeded_generator(p["data_seed"]), device=torch.device("cpu"),
                                 dtype=torch.float64)
    a = standardized(p["noise"], p["N"], population)  # the a_k, drawn on the CPU so every device has them
    a = (a - a.mean()) / a.std(correction=0)
    a = a.to(ctx.device, ctx.dtype)

    def draw(n):
        w = torch.zeros(n, device=ctx.device, dtype=ctx.dtype)
        v = torch.zeros_like(w)
        kept = torch.empty(window, n, device=ctx.device, dtype=ctx.dtype)
        for t in range(burn + window):
            grad = w - a[sample_indices(n, N=p["N"], B=B, sampling=p["sampling"], ctx=ctx)].mean(dim=1)  # λ(w − ā_B)
            # torch.optim.SGD(momentum=μ, dampening=0): v_t = μ v_{t−1} + g_t (v_1 = g_1), w_{t+1} = w_t − η v_t
            v = mu * v + grad
            w = w - eta * v
            if t >= burn:
                kept[t - burn] = w
        return kept.double().square().mean(dim=0)

    return ctx.mean(draw, bytes_per_replicate=16 * B + 64)


def stationary_step(p) -> float:
    """ηλ = (1 − μ)Bη₀λ, λ = 1: the step the problem set prescribes (η = Bη₀ without momentum)."""
    return (1 - p["momentum"]) * p["B"] * p["eta0_curvature"]


def batch_noise_variance(p) -> float:
    """Σ^B, the variance of the minibatch mean ā_B of the a_k (Σ¹ = 1), by the reading's sampling: 1/B with
    replacement, (1/B)(N − B)/(N − 1) without."""
    return exact_minibatch_covariance({**p, "sigma2": 1.0})


def batch_one_variance(p) -> float:
    """The stated temperature: plain SGD's exact stationary variance at B = 1, η = η₀, η₀σ²/(λ(2 − η₀λ))."""
    return heavy_ball_stationary_variance(lr=p["eta0_curvature"], curvature=1.0, momentum=0.0, noise_variance=1.0)


def exact_stationary_variance(p) -> float:
    """SGD's exact stationary variance (1 + μ)ηΣ^B/((1 − μ)λ(2(1 + μ) − ηλ)) with the reading's Σ^B."""
    return heavy_ball_stationary_variance(lr=stationary_step(p), curvature=1.0, momentum=p["momentum"],
                                          noise_variance=batch_noise_variance(p))


def langevin_variance(p) -> float:
    """The Langevin dynamics' stationary variance ηΣ^B/(2(1 − μ)λ) with the reading's Σ^B."""
    return stationary_step(p) * batch_noise_variance(p) / (2 * (1 - p["momentum"]))


def stationary_constraint(p) -> bool:
    """ηλ ≥ 0.02 (runs of at most about 500 steps), B ≤ N for distinct examples, and the reading's regime
    (design points: the Langevin one)."""
    eta = stationary_step(p)
    if eta < SMALLEST_STEP or not sample_fits(p):
        return False
    if p.get("regime", "langevin") == "langevin":
        return max(eta, p["eta0_curvature"]) <= LANGEVIN_STEP
    return eta <= 1.0 and p["eta0_curvature"] <= 1.0


STATIONARY_READINGS = with_sampling((
    Reading("Langevin regime", f"steps small against the curvature: η₀λ and ηλ at most {LANGEVIN_STEP}, where SGD is "
            "close to the Langevin dynamics the problem set writes", {"regime": "langevin"}),
    Reading("any stable step", "batched SGD itself, for η₀λ and ηλ up to 1 (SGD on the quadratic is stable "
            "below 2(1 + μ))", {"regime": "any"}),
))
STATIONARY_ASSUMPTIONS = (
    "a one-dimensional quadratic finite sum f_k(w) = ½λ(w − a_k)², λ = 1, N seeded a_k (normal, uniform or "
    "exponential, centred, variance 1), minibatches of B indices drawn by the reading's sampling: Σ^B = 1/B exactly "
    "with replacement, (1/B)(N − B)/(N − 1) without (the problem set's Σ^B = Σ¹/B assumes independent draws)",
    "the stationary distribution is compared by its variance Var(w) (the temperature); stated: the stationary "
    "variance of plain SGD at B = 1 and η = η₀ (exact closed form η₀σ²/(λ(2 − η₀λ))), i.e. independence of B",
    "measured by simulation: replicates start at w* and run 5 decay times of the error (transient below "
    "e^{−10}), then average w² over 5 more; ηλ ≥ 0.02 keeps a run under 500 steps",
    "resolution 10 % of the stated temperature, for every formula (scale=): a temperature 'determined by η₀' "
    "should not move by more than that when B changes by up to 32× (without replacement, n' = n leaves no noise: a "
    "variance of 0)",
)


claim(
    id="sgd-temperature-batch-size",
    seed_key="stationary-variance-of-sgd",
    search_factor=COSTLY,
    title="With η = Bη₀, batched SGD's stationary variance does not depend on B",
    inventory_ids=("004-09",),
    source=Source(PROBLEM_SET_004, "Problem 5"),
    statement=("Φ −= ηĝ^B; Langevin dynamics Φ(t + Δt) = Φ(t) − gΔt + ε√Δt, ε ~ N(0, ηΣ^B). Show that for η = Bη₀ "
               "the stationary distribution is determined by η₀ independent of B. [...] So for η = Bη₀ we have "
               "ηΣ^B = η₀Σ¹ which yields the equivalence."),
    assumptions=STATIONARY_ASSUMPTIONS + (
        "the solution's step ηΣ^B = η₀Σ¹ is Σ^B = Σ¹/B times η = Bη₀: checked by minibatch-covariance (004-08)",),
    kind="stochastic",
    domain={"B": integers(1, 32), "eta0_curvature": floats(3e-4, 1.0), "momentum": choices([0.0]),
            "noise": choices(DISTRIBUTIONS), "N": integers(8, 256), "data_seed": DATA_SEED},
    constraint=stationary_constraint,
    readings=STATIONARY_READINGS,
    stated=batch_one_variance,
    mutants=(Formula("the temperature grows like η: Var = B·Var(B = 1) (Σ^B taken as Σ¹)",
                     lambda p: p["B"] * batch_one_variance(p)),),
    alternatives=(Formula("SGD's exact stationary variance ηΣ^B/(λ(2 − ηλ)), Σ^B = Σ¹/B with replacement (then "
                          "η₀σ²/(λ(2 − ηλ))), (Σ¹/B)(N − B)/(N − 1) without", exact_stationary_variance),
                  Formula("the Langevin value ηΣ^B/(2λ): η₀σ²/(2λ) with replacement, η₀σ²(N − B)/(2λ(N − 1)) without",
                          langevin_variance)),
    resolution=0.1,
    scale=batch_one_variance,
    design=tuple({"B": b, "eta0_curvature": x, "momentum": 0.0, "noise": "normal", "N": 64, "data_seed": 0}
                 for b, x in ((1, 0.02), (4, 0.005), (16, 0.002), (1, 0.05), (2, 0.02), (8, 0.005), (32, 0.001))),
    figure=Figure(kind="points", x="eta0_curvature", xlabel="η₀λ (η = Bη₀)", ylabel="stationary Var(w)", logx=True,
                  logy=True, series="reading"),
    samples_factor=0.5,  # each replicate is a time average worth a few independent draws
)(stationary_variance_of_sgd)

claim(
    id="sgd-temperature-momentum",
    seed_key="stationary-variance-of-sgd",
    search_factor=COSTLY,
    title="With momentum μ and η = (1 − μ)Bη₀, SGD's stationary variance depends on neither μ nor B",
    inventory_ids=("004-10",),
    source=Source(PROBLEM_SET_004, "Problem 6"),
    statement=("the claim that in the presence of momentum setting the learning rate by η = (1 − μ)Bη₀ yields a "
               "temperature determined by η₀ independent of μ and B"),
    assumptions=STATIONARY_ASSUMPTIONS + ("momentum as torch.optim.SGD(momentum=μ, dampening=0), μ ∈ [0, 0.9]",),
    kind="stochastic",
    domain={"B": integers(1, 32), "eta0_curvature": floats(3e-4, 1.0), "momentum": floats(0.0, 0.9),
            "noise": choices(DISTRIBUTIONS), "N": integers(8, 256), "data_seed": DATA_SEED},
    constraint=stationary_constraint,
    readings=STATIONARY_READINGS,
    stated=batch_one_variance,
    mutants=(Formula("η = Bη₀ would be right; with (1 − μ) the temperature is (1 − μ) times as large",
                     lambda p: (1 - p["momentum"]) * batch_one_variance(p)),
             Formula("the temperature grows like B: Var = B·Var(B = 1, μ = 0)",
                     lambda p: p["B"] * batch_one_variance(p))),
    alternatives=(Formula("SGD's exact stationary variance (1 + μ)ηΣ^B/((1 − μ)λ(2(1 + μ) − ηλ)), Σ^B = Σ¹/B with "
                          "replacement, (Σ¹/B)(N − B)/(N − 1) without", exact_stationary_variance),
                  Formula("the Langevin value ηΣ^B/(2(1 − μ)λ): η₀σ²/(2λ) with replacement, η₀σ²(N − B)/(2λ(N − 1)) "
                          "without", langevin_variance)),
    resolution=0.1,
    scale=batch_one_variance,
    design=tuple({"B": b, "eta0_curvature": x, "momentum": m, "noise": "normal", "N": 64, "data_seed": 0}
                 for b, x, m in ((1, 0.02, 0.0), (4, 0.01, 0.5), (16, 0.02, 0.9), (8, 0.05, 0.9), (2, 0.02, 0.5),
                                 (8, 0.005, 0.0), (32, 0.01, 0.9))),
    figure=Figure(kind="points", x="eta0_curvature", xlabel="η₀λ (η = (1 − μ)Bη₀)", ylabel="stationary Var(w)",
                  logx=True, logy=True, series="reading"),
    samples_factor=0.5,
)(stationary_variance_of_sgd)


# --- Problem 6: the covariance of a weighted sum of sampled gradients (004-11) ---------------------

def weights(p) -> np.ndarray:
    """α_1 … α_K: momentum's α_k = η μ^{k−1}, equal α_k = η, or seeded α_k ~ η·U[0, 2]."""
    k = np.arange(p["K"])
    if p["weights"] == "momentum":
        return p["eta"] * p["mu"] ** k
    if p["weights"] == "equal":
        return np.full(p["K"], p["eta"])
    return p["eta"] * 2 * np.random.default_rng(p["data_seed"]).random(p["K"])


@claim(
    id="weighted-gradient-sum-covariance",
    title="ΔΦ = Σ_i α_i ĝ_i with i.i.d. ĝ_i has covariance (Σ_i α_i) Σ_g",
    inventory_ids=("004-11",),
    source=Source(PROBLEM_SET_004, "Problem 6"),
    statement=("Let ĝ_1, …, ĝ_N be the loss gradients of N individual training points (Batch size 1). Consider a "
               "weighted sum (such as that used in momentum) ΔΦ = Σ_i α_i ĝ_i. [...] the random variables g_i are "
               "essentially independent and identically distributed [...] Show Σ_ΔΦ = (Σ_i α_i) Σ_g"),
    assumptions=("ĝ_k = ∇f_{i_k}(w) at a fixed w (the problem's small-update assumption), i_k i.i.d. uniform over the "
                 "examples of a generated least-squares or logistic problem",
                 "weights: momentum's ημ^{k−1}, equal η, or seeded η·U[0, 2], k = 1 … K",
                 "statistic 'trace' compares the trace of Σ_ΔΦ, 'entry' Σ_ΔΦ[0, 1]; the resolution is relative to "
                 "max(Σ_i α_i, Σ_i α_i²)·(the natural scale of Σ_g), the larger of the two candidate sizes"),
    kind="stochastic",
    domain={"weights": choices(["momentum", "equal", "random"]), "K": integers(1, 16),
            "eta": floats(0.01, 10.0), "mu": floats(0.0, 0.99), "statistic": choices(["trace", "entry"]),
            "problem": choices(PROBLEMS), "N": integers(2, 128), "d": integers(2, 6),
            "data_seed": DATA_SEED},
    constraint=lambda p: p["d"] <= p["N"],
    stated=lambda p: weights(p).sum() * p["sigma2"],  # (Σ_i α_i) Σ_g
    mutants=(Formula("Σ_ΔΦ = (Σ_i α_i)² Σ_g", lambda p: weights(p).sum() ** 2 * p["sigma2"]),
             Formula("Σ_ΔΦ = Σ_g", lambda p: p["sigma2"])),
    alternatives=(Formula("Σ_ΔΦ = (Σ_i α_i²) Σ_g (the covariance of a weighted sum of i.i.d. vectors)",
                          lambda p: np.square(weights(p)).sum() * p["sigma2"]),),
    resolution=0.05,
    scale=lambda p: max(weights(p).sum(), np.square(weights(p)).sum()) * p["spread"],
    design=tuple({"weights": w, "K": k, "eta": eta, "mu": 0.9, "statistic": "trace", "problem": "least_squares",
                  "N": 64, "d": 4, "data_seed": 0}
                 for w, k, eta in (("equal", 1, 2.0), ("equal", 1, 1.0), ("equal", 4, 1.0), ("momentum", 32, 0.1),
                                   ("random", 8, 0.5))),
    figure=Figure(kind="points", x="K", xlabel="terms K", ylabel="Σ_ΔΦ (trace or entry)", logx=True, logy=True,
                  series="weights"),
    samples_factor=0.5,  # the stated formula is far off where Σα ≠ Σα²: its band plans more samples than needed
)
def weighted_gradient_sum_covariance(p, ctx):
    """Monte Carlo mean of ‖ΔΦ − EΔΦ‖² (or its entry [0, 1]) for ΔΦ = Σ_k α_k ĝ_k."""
    problem = finite_sum_problem(p, ctx.device)
    grads = problem.per_example_grads(evaluation_point(problem, p["data_seed"]))
    centred = grads - grads.mean(dim=0)
    covariance = centred.T @ centred / p["N"]  # Σ_g
    if p["statistic"] == "trace":
        sigma2, spread = float(covariance.trace()), float(covariance.trace())
    else:
        sigma2, spread = float(covariance[0, 1]), math.sqrt(float(covariance[0, 0] * covariance[1, 1]))
    alpha = weights(p)
    alpha_device = torch.as_tensor(alpha, device=ctx.device, dtype=ctx.dtype)
    sampled = centred.to(ctx.dtype)

    def draw(n):
        rows = sampled[sample_indices(n, N=p["N"], B=p["K"], sampling="iid", ctx=ctx)]  # ĝ_k − g, (n, K, d)
        deviation = torch.einsum("k,nkd->nd", alpha_device, rows).double()  # ΔΦ − EΔΦ
        return deviation.square().sum(dim=1) if p["statistic"] == "trace" else deviation[:, 0] * deviation[:, 1]

    return ctx.mean(draw, bytes_per_replicate=8 * p["K"] * p["d"] + minibatch_bytes({**p, "B": p["K"]}),
                    quantities={"sigma2": sigma2, "spread": spread})
