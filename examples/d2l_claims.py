"""Claims of public teaching material: "Dive into Deep Learning" (Zhang, Lipton, Li, Smola; d2l.ai,
v1.0), chapter 12 *Optimization Algorithms*, each written with the teaching phrases of
:mod:`theorems.catalogue.kit.phrases` (docs/writing-claims.md):

    theorycheck run --claims-file examples/d2l_claims.py --profile smoke

Rows are ``d2l-12.x``, the section that states the claim. The smoke profile confirms the five
deterministic claims and leaves the two Monte Carlo ones inconclusive (too few samples); the standard
profile confirms all seven, and refutes every mutant (tests/test_userkit.py).
"""

import math

import torch

from implementations.problems import gradient_descent_trajectory
from theorems import (
    Formula,
    Source,
    approx,
    behaviour,
    claim,
    does_not_depend_on,
    floats,
    for_any,
    in_the_limit,
    integers,
    same_schedule_as,
    same_trajectory_as,
    std_of,
)

D2L = "Dive into Deep Learning, d2l.ai (v1.0)"


def minibatch_average(p, n, ctx):
    """n replicates of the average of b per-example gradients μ + σz, z ~ N(0, 1)."""
    z = torch.randn(n, p["b"], generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
    return (p["mu"] + p["sigma"] * z).mean(dim=1)


@claim(id="d2l-gd-learning-rate", inventory_ids=("d2l-12.3",), source=Source(D2L, "12.3.1.1 Learning Rate"),
       statement="on f(x) = x², gradient descent converges for η < 1 and with a too large rate (η = 1.1) diverges",
       kind="behaviour", relation="label", resolution=0.0, domain={"eta": for_any(1e-3, 3.0)},
       constraint=lambda p: abs(p["eta"] - 1) > 0.01,  # at η = 1 exactly x oscillates between ±x₀
       stated=lambda p: "converges" if p["eta"] < 1 else "diverges",
       mutants=[Formula("diverges from η = 1/2", lambda p: "converges" if p["eta"] < 0.5 else "diverges")])
def gd_learning_rate(p, ctx):
    """Gradient descent on x² converges below η = 1 and diverges above."""
    x0 = torch.tensor([10.0], dtype=torch.float64)
    return behaviour(gradient_descent_trajectory(lambda x: 2 * x, x0, lr=p["eta"], steps=60))


def momentum_rule(w, grad, state, lr, momentum):
    """v_t ← βv_{t−1} + g_t, x_t ← x_{t−1} − ηv_t (12.6.2)."""
    state["v"] = momentum * state.get("v", 0) + grad
    return w - lr * state["v"]


@claim(id="d2l-momentum-is-sgd", inventory_ids=("d2l-12.6",), source=Source(D2L, "12.6.2.1 The Momentum Method"),
       statement="v_t ← βv_{t−1} + g_{t,t−1}, x_t ← x_{t−1} − η_t v_t",
       kind="identity", **approx("exactly", atol=1e-9),
       domain={"lr": for_any(1e-3, 0.15), "beta": floats(0.0, 0.95)}, stated=lambda p: 0.0,
       mutants=[Formula("plain gradient descent", lambda p: p["to_gradient_descent"])])
def momentum_is_sgd(p, ctx):
    """The chapter's momentum update is torch.optim.SGD with momentum β."""
    return same_trajectory_as(momentum_rule, torch.optim.SGD, lr=p["lr"], momentum=p["beta"])


def adam_rule(w, grad, state, lr, betas, eps):
    """v, s leaky averages of g and g², bias-corrected: x ← x − ηv̂/(√ŝ + ε) (12.10.1)."""
    (b1, b2), t = betas, state["t"]
    state["v"] = b1 * state.get("v", 0) + (1 - b1) * grad
    state["s"] = b2 * state.get("s", 0) + (1 - b2) * grad**2
    return w - lr * (state["v"] / (1 - b1**t)) / ((state["s"] / (1 - b2**t)).sqrt() + eps)


@claim(id="d2l-adam-is-torch-adam", inventory_ids=("d2l-12.10",), source=Source(D2L, "12.10.1 The Algorithm"),
       statement="v̂_t = v_t/(1 − β₁ᵗ), ŝ_t = s_t/(1 − β₂ᵗ), g′_t = ηv̂_t/(√ŝ_t + ε), x_t ← x_{t−1} − g′_t",
       kind="identity", **approx("exactly", atol=1e-9),
       domain={"lr": for_any(1e-4, 0.1), "beta1": floats(0.5, 0.95)},
       stated=lambda p: 0.0, mutants=[Formula("plain gradient descent", lambda p: p["to_gradient_descent"])])
def adam_is_torch_adam(p, ctx):
    """The chapter's Adam is torch.optim.Adam."""
    return same_trajectory_as(adam_rule, torch.optim.Adam, lr=p["lr"], betas=(p["beta1"], 0.999), eps=1e-6)


@claim(id="d2l-exponential-decay", inventory_ids=("d2l-12.4",), source=Source(D2L, "12.4.3 Dynamic Learning Rate"),
       statement="η(t) = η₀·e^{−λt} (exponential decay)", kind="identity", **approx("exactly", atol=1e-9),
       domain={"lam": for_any(1e-3, 0.5)}, stated=lambda p: 0.0,
       mutants=[Formula("one step late, η₀e^{−λ(t+1)}", lambda p: p["torch"] * (math.exp(-p["lam"]) - 1))])
def exponential_decay(p, ctx):
    """Exponential decay is torch's ExponentialLR with γ = e^{−λ}."""
    rule = lambda t: 0.1 * math.exp(-p["lam"] * t)  # noqa: E731  η₀ = 0.1
    return same_schedule_as(rule, torch.optim.lr_scheduler.ExponentialLR, lr=0.1, gamma=math.exp(-p["lam"]))


@claim(id="d2l-minibatch-std", inventory_ids=("d2l-12.5",), source=Source(D2L, "12.5.3 Minibatches"),
       statement="the standard deviation [of the minibatch gradient] is reduced by a factor of b^{−1/2}",
       kind="stochastic", **approx("approximately"), domain={"b": integers(1, 64), "mu": floats(-1, 1),
       "sigma": floats(0.1, 3)}, stated=lambda p: p["sigma"] / p["b"] ** 0.5,
       mutants=[Formula("reduced by a factor of b^{−1}", lambda p: p["sigma"] / p["b"])])
def minibatch_std(p, ctx):
    """The minibatch gradient's standard deviation is σ/√b."""
    return std_of(lambda n: minibatch_average(p, n, ctx), ctx, bytes_per_replicate=8 * p["b"])


@claim(id="d2l-minibatch-unbiased", inventory_ids=("d2l-12.5",), source=Source(D2L, "12.5.3 Minibatches"),
       statement="the expectation of the gradient remains unchanged [as the minibatch size b grows]",
       kind="stochastic", **approx("approximately"), domain={"b": integers(2, 64), "mu": floats(0.5, 2),
       "sigma": floats(0.1, 3)}, stated=lambda p: 0.0, scale=lambda p: p["sigma"],  # 5 % of the noise
       mutants=[Formula("the minibatch sums its gradients", lambda p: (p["b"] - 1) * p["mu"])])
@does_not_depend_on("b", reference=1)
def minibatch_unbiased(p, ctx):
    """The minibatch gradient's mean does not depend on b."""
    return ctx.mean(lambda n: minibatch_average(p, n, ctx), bytes_per_replicate=8 * p["b"])


@claim(id="d2l-leaky-average-weights", inventory_ids=("d2l-12.6",), source=Source(D2L, "12.6.1.1 Leaky Averages"),
       statement="large β amounts to a long-range average: the weights β^τ add up to 1/(1 − β)", kind="identity",
       **approx("closely"), domain={"beta": floats(0.0, 0.99)}, stated=lambda p: 1 / (1 - p["beta"]),
       mutants=[Formula("the weights add up to 1/β", lambda p: 1 / max(p["beta"], 1e-3))])
@in_the_limit("t", (10, 100, 1000, 10000))
def leaky_average_weights(p, ctx):
    """The leaky average's weights sum to 1/(1 − β) in the limit."""
    return float((p["beta"] ** torch.arange(p["t"], dtype=torch.float64)).sum())
