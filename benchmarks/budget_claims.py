"""Claims for the time-budget benchmark (benchmarks/README.md, "A time budget per claim"): one whose
replicate is costly (it draws B ≤ 4096 numbers, as the variance-of-the-mean claim of issue 21 did),
one whose replicate is cheap, and a deterministic one, so that the budget's effect shows on each kind:

    theorycheck bench --claims-file benchmarks/budget_claims.py --budget 20

Statements from elementary probability (any textbook: the variance of a mean of i.i.d. draws) and
from Dive into Deep Learning (d2l.ai v1.0, 12.6.1.1: a leaky average's weights).
"""

import torch

from theorems import Formula, Source, claim, floats, integers
from theorems.catalogue.kit.phrases import approx, for_any, in_the_limit

TEXTBOOK = Source("the variance of a mean of i.i.d. draws", "Var(X̄)")


@claim(id="bx-variance-of-the-mean", inventory_ids=("bx-01",), source=TEXTBOOK,
       statement="Var(X̄_B) = σ²/B for the mean of B i.i.d. draws of variance σ²", kind="stochastic",
       **approx("approximately"), domain={"B": integers(1, 4096), "sigma": floats(0.5, 2.0)},
       stated=lambda p: p["sigma"] ** 2 / p["B"], design=({"B": 1, "sigma": 1.0}, {"B": 4096, "sigma": 1.0}),
       mutants=[Formula("Var(X̄_B) = σ²/B²", lambda p: p["sigma"] ** 2 / p["B"] ** 2)])
def variance_of_the_mean(p, ctx):
    """X̄_B² for X ~ N(0, σ²): its mean is Var(X̄_B); each replicate draws B numbers."""
    def draw(n):
        x = torch.randn(n, p["B"], generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
        return (p["sigma"] * x.mean(dim=1)) ** 2

    return ctx.mean(draw, bytes_per_replicate=4 * p["B"])


@claim(id="bx-scaled-variance", inventory_ids=("bx-02",), source=TEXTBOOK,
       statement="Var(aX) = a² Var(X)", kind="stochastic", **approx("approximately"),
       domain={"a": for_any(0.01, 10.0)}, stated=lambda p: p["a"] ** 2,
       mutants=[Formula("Var(aX) = a Var(X)", lambda p: p["a"])])
def scaled_variance(p, ctx):
    """(aX)² for X ~ N(0, 1): its mean is Var(aX); each replicate draws one number."""
    return ctx.mean(lambda n: (p["a"] * torch.randn(n, generator=ctx.generator, device=ctx.device,
                                                    dtype=ctx.dtype)) ** 2, bytes_per_replicate=4)


@claim(id="bx-leaky-average-weights", inventory_ids=("bx-03",),
       source=Source("Dive into Deep Learning, d2l.ai (v1.0)", "12.6.1.1 Leaky Averages"),
       statement="the weights β^τ add up to 1/(1 − β)", kind="identity", **approx("closely"),
       domain={"beta": floats(0.0, 0.99)}, stated=lambda p: 1 / (1 - p["beta"]),
       mutants=[Formula("the weights add up to 1/β", lambda p: 1 / max(p["beta"], 1e-3))])
@in_the_limit("t", (10, 100, 1000, 10000))
def leaky_average_weights(p, ctx):
    """Σ_{τ<t} β^τ, as t grows."""
    return float((p["beta"] ** torch.arange(p["t"], dtype=torch.float64)).sum())
