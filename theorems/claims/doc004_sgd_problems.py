"""Problem set 004, "TTIC 31230 SGD Problems" (004_e701d70adf034ba3.txt).

Problem 1: the variance of an exponential moving average.

    μ̂_t = (1 − 1/N) μ̂_{t−1} + x_t / N,  μ̂_0 = 0,  x_t i.i.d. with variance σ_x²

    lim_{t→∞} Var(μ̂_t) = σ_x² / ((2 − 1/N) N)        (004-02; σ_x² for N = 1)
    for large N this is about half of σ_x²/N            (004-03)

The recursion is run as written (``implementations.averages.ema_step``) for t = 5N steps; then
Var(μ̂_t) = lim Var · (1 − (1 − 1/N)^{2t}) is within a factor e^{−10} ≈ 5·10⁻⁵ of the limit, far
below any resolution a run can reach. The variance is the Monte Carlo mean of (μ̂_t − E μ̂_t)²,
with E μ̂_t = μ(1 − (1 − 1/N)^t) known exactly.
"""

from __future__ import annotations

import hypothesis.strategies as st
import torch

from implementations.averages import ema_step
from theorems.claim import Figure, Formula, Source, claim
from theorems.kit import DISTRIBUTIONS, DOCUMENTS, standardized

PROBLEM_SET_004 = DOCUMENTS["004"]
LARGE_N = 50  # where 004-03's "for large N" is checked; (2 − 1/N)N/(2N) = 1 − 1/(2N) ≥ 0.99 there

def _stated(p):
    if p["form"] == "limit":
        return p["sigma2"] / ((2 - 1 / p["N"]) * p["N"])  # 004-02
    return p["sigma2"] / p["N"] / 2  # 004-03: about half of σ²/N


@claim(
    id="ema-limiting-variance",
    title="An exponential moving average has limiting variance σ²/((2 − 1/N)N)",
    inventory_ids=("004-02", "004-03"),
    source=Source(PROBLEM_SET_004, "Problem 1"),
    statement=("μ̂_t = (1 − 1/N)μ̂_{t−1} + x_t/N, μ̂_0 = 0, x_t i.i.d. with variance σ_x²: "
               "lim_{t→∞} Var(μ̂_t) = σ_x²/((2 − 1/N)N), which is σ_x² for N = 1 (004-02); for large N "
               "this is about half of σ_x²/N, the variance of a plain average of N values (004-03)."),
    assumptions=(f"form 'limit' checks 004-02 for every N; form 'large N' checks 004-03 for N ≥ {LARGE_N}",
                 "the limit is taken as t = 5N steps (within a relative 5·10⁻⁵ of it)"),
    kind="stochastic",
    domain={
        "form": st.sampled_from(["limit", "large N"]),
        "N": st.integers(1, 200),
        "mean": st.sampled_from([0.0, 1.0, -3.0]),
        "distribution": st.sampled_from(DISTRIBUTIONS),
    },
    constraint=lambda p: p["form"] == "limit" or p["N"] >= LARGE_N,
    stated=_stated,
    mutants=(
        Formula("lim Var(μ̂_t) = σ_x²/N (the plain average's variance)", lambda p: p["sigma2"] / p["N"]),
        Formula("lim Var(μ̂_t) = σ_x²/((2 + 1/N)N)", lambda p: p["sigma2"] / ((2 + 1 / p["N"]) * p["N"])),
    ),
    resolution=0.05,
    design=tuple({"form": "limit", "N": n, "mean": 1.0, "distribution": "normal"} for n in (1, 2, 10, 100, 5, 20, 50))
    + tuple({"form": "large N", "N": n, "mean": 1.0, "distribution": "normal"} for n in (50, 100, 200)),
    figure=Figure(kind="points", x="N", xlabel="N (averaging horizon)", ylabel="lim Var(μ̂_t)",
                  logx=True, logy=True, series="form"),
)
def ema_limiting_variance(p, ctx):
    """Monte Carlo variance of μ̂_t after t = 5N steps of the recursion."""
    N, mu = p["N"], p["mean"]
    steps = 5 * N
    expected = mu * (1 - (1 - 1 / N) ** steps)  # E μ̂_t, exact

    def draw(n):
        estimate = torch.zeros(n, device=ctx.device, dtype=ctx.dtype)
        for _ in range(steps):
            estimate = ema_step(estimate, mu + standardized(p["distribution"], n, ctx), N=N)
        return (estimate.double() - expected).square()

    return ctx.mean(draw, bytes_per_replicate=64, quantities={"sigma2": 1.0})
