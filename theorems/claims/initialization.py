"""Scaled initialization: the variance of a neuron's output under random weights.

Lecture 000 (*Scaled initialization*): for f(x) = Σ x_i w_i with w_i ~ N(0, 1) i.i.d. and a
fixed input x, E[f(x)] = 0 and Var[f(x)] = Σ x_i² (000-10); dividing by s = √d gives variance
(1/d) Σ x_i², independent of d (000-11).

Lecture 001 (*Initialization*): for o = Σ_{i=1}^{n_in} w_i x_i with w_i ~ N(0, σ²), E[x_i] = 0,
V[x_i] = γ², all independent: E[o] = 0 and V[o] = n_in σ² γ² (001-23), with LeCun σ² = 1/n_in,
Xavier σ² = 2/(n_in + n_out) and He σ² = 2/n_in (001-24).

Weights are drawn with the variance ``implementations.initializers`` gives each scheme; the
statistic is o² (or o, for the mean), one replicate per fresh weight vector (and fresh input).
"""

from __future__ import annotations

import math

import hypothesis.strategies as st
import torch

from implementations.initializers import init_variance, standard_normal
from theorems.claim import Figure, Formula, Source, claim

LECTURE_000 = "000_7c5c639b47bbde7b.txt"

SCHEMES = ("N(0, 1)", "N(0, 1)/√d", "N(0, σ²)", "lecun", "xavier", "he")


def weight_variance(p) -> float:
    """σ_w² of one weight under the point's scheme, as the documents give it."""
    scheme, d = p["scheme"], p["fan_in"]
    if scheme == "N(0, 1)":
        return 1.0  # 000-10
    if scheme == "N(0, 1)/√d":
        return 1.0 / d  # 000-11: (1/s)² with s = √d
    if scheme == "N(0, σ²)":
        return p["sigma"] ** 2  # 001-23
    return init_variance(scheme, d, p["fan_out"])  # 001-24


def draw_weights(p, n: int, ctx) -> torch.Tensor:
    """n weight vectors into one output, shape (n, fan_in), with the scheme's variance.

    Only the one output's weights are drawn: rows of a weight matrix are i.i.d., and fan_out enters
    only through Xavier's variance (``implementations.initializers.init_variance``), whose
    samplers are checked against torch.nn.init in tests/test_initializers.py.
    """
    standard = standard_normal((n, p["fan_in"]), generator=ctx.generator, dtype=ctx.dtype, device=ctx.device)
    return standard * math.sqrt(weight_variance(p))


def input_energy(p) -> float:
    """Σ x_i² for a fixed input (000-10, 000-11), or its expectation n_in γ² for a random one."""
    return p["x_sq_sum"] if p["inputs"] == "fixed" else p["fan_in"] * p["gamma"] ** 2


def _stated(p):
    variance = weight_variance(p) * input_energy(p)
    return 0.0 if p["moment"] == "mean" else variance


@claim(
    id="init-output-variance",
    title="A neuron's output under random weights has variance n_in σ² γ² (Σ x_i² σ² for a fixed input)",
    inventory_ids=("000-10", "000-11", "001-23", "001-24"),
    source=Source("001_5672ff10bad5e403.txt", "Initialization"),
    statement=("f(x) = Σ x_i w_i, w_i ~ N(0, 1): E[f(x)] = 0, Var[f(x)] = Σ x_i²; with 1/s, s = √d: "
               "Var = (1/d) Σ x_i² (000-10, 000-11). o = Σ w_i x_i, w_i ~ N(0, σ²), E[x_i] = 0, V[x_i] = γ², "
               "independent: E[o] = 0, V[o] = n_in σ² γ²; LeCun N(0, 1/n_in), Xavier N(0, 2/(n_in + n_out)), "
               "He N(0, 2/n_in) (001-23, 001-24)."),
    assumptions=("inputs 'fixed': one seeded x with entries U[−1, 2] (000-10, 000-11); 'random': x_i with "
                 "mean 0 and variance γ², normal or uniform, drawn afresh per replicate (001-23, 001-24)",
                 "the resolution of the mean check is relative to the stated standard deviation"),
    kind="stochastic",
    domain={
        "scheme": st.sampled_from(SCHEMES),
        "moment": st.sampled_from(["variance", "mean"]),
        "inputs": st.sampled_from(["random", "fixed"]),
        "fan_in": st.integers(1, 256),
        "fan_out": st.integers(1, 1024),
        "sigma": st.sampled_from([0.1, 0.5, 2.0]),
        "gamma": st.sampled_from([0.5, 1.0, 3.0]),
        "input_distribution": st.sampled_from(["normal", "uniform"]),
        "data_seed": st.integers(0, 1000),
    },
    stated=_stated,
    mutants=(
        Formula("V[o] = √n_in σ γ (standard deviations in place of variances)",
                lambda p: 0.0 if p["moment"] == "mean" else math.sqrt(weight_variance(p) * input_energy(p))),
        Formula("V[o] = σ² γ² (the n_in terms not summed)",
                lambda p: 0.0 if p["moment"] == "mean" else weight_variance(p) * input_energy(p) / p["fan_in"]),
    ),
    resolution=0.05,
    scale=lambda p: math.sqrt(weight_variance(p) * input_energy(p)) if p["moment"] == "mean" else None,
    design=tuple({"scheme": scheme, "moment": "variance", "inputs": "random", "fan_in": fan_in, "fan_out": 16,
                  "sigma": 0.5, "gamma": 3.0, "input_distribution": "normal", "data_seed": 0}
                 for fan_in in (64, 4, 256, 16, 1) for scheme in ("lecun", "he", "xavier"))
    + tuple({"scheme": scheme, "moment": "variance", "inputs": "fixed", "fan_in": fan_in, "fan_out": 16,
             "sigma": 0.5, "gamma": 1.0, "input_distribution": "normal", "data_seed": 0}
            for fan_in in (4, 64, 256) for scheme in ("N(0, 1)", "N(0, 1)/√d")),
    figure=Figure(kind="points", x="fan_in", xlabel="fan-in n_in", ylabel="Var of the output", logx=True, logy=True,
                  series="scheme"),
    samples_factor=2.5,  # o² of a product of normals is heavy-tailed (kurtosis 9 at n_in = 1)
)
def init_output_variance(p, ctx):
    """Monte Carlo mean of o² (or o) over fresh weights (and fresh inputs when random)."""
    fan_in = p["fan_in"]
    fixed = torch.Generator(device=ctx.device).manual_seed(p["data_seed"])
    x_fixed = 3 * torch.rand(fan_in, generator=fixed, device=ctx.device, dtype=torch.float64) - 1  # U[−1, 2]

    def draw_inputs(n):
        if p["inputs"] == "fixed":
            return x_fixed.to(ctx.dtype).expand(n, fan_in)
        if p["input_distribution"] == "normal":
            x = torch.randn(n, fan_in, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
        else:
            u = torch.rand(n, fan_in, generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
            x = (u - 0.5) * math.sqrt(12.0)
        return p["gamma"] * x

    def draw(n):
        output = (draw_weights(p, n, ctx) * draw_inputs(n)).sum(dim=1)  # o = Σ_i w_i x_i, (n,)
        return output if p["moment"] == "mean" else output.square()

    return ctx.mean(draw, bytes_per_replicate=4 * ctx.dtype.itemsize * fan_in,
                    quantities={"x_sq_sum": float(x_fixed.square().sum())})
