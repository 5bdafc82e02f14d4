"""A claims file of your own: run it with

    theorycheck run --claims-file examples/my_claims.py --profile smoke
    pytest examples/my_claims.py            # each claim a test (theorems.frontends.pytest_plugin)

This one encodes problem set 004, Problem 1: for independent x and y and s = ax + by,
σ_s² = a²σ_x² + b²σ_y² (inventory 004-01), with a mutant that forgets to square the weights.
"""

import torch

from theorems import Formula, Source, claim, floats


@claim(
    id="variance-of-weighted-sum",
    inventory_ids=("004-01",),
    source=Source("004_e701d70adf034ba3.txt", "Problem 1"),
    statement="for independent x, y and s = ax + by: σ_s² = a²σ_x² + b²σ_y²",
    kind="stochastic",
    domain={"a": floats(-3, 3), "b": floats(-3, 3), "sx": floats(0.1, 2), "sy": floats(0.1, 2)},
    constraint=lambda p: abs(p["a"]) + abs(p["b"]) > 0.1,
    stated=lambda p: p["a"] ** 2 * p["sx"] ** 2 + p["b"] ** 2 * p["sy"] ** 2,
    mutants=[Formula("σ_s² = aσ_x² + bσ_y²", lambda p: p["a"] * p["sx"] ** 2 + p["b"] * p["sy"] ** 2)],
)
def variance_of_weighted_sum(p, ctx):
    """Var(ax + by) for independent normal x and uniform y, both with mean 0."""

    def draw(n):  # n replicates of (s − E s)², in ctx.dtype on ctx.device
        x = p["sx"] * torch.randn(n, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
        u = torch.rand(n, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
        y = p["sy"] * (u - 0.5) * 12 ** 0.5
        return (p["a"] * x + p["b"] * y) ** 2

    return ctx.mean(draw, bytes_per_replicate=16)
