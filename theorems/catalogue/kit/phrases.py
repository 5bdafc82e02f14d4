"""Short claims of your own material: the teaching phrases and the public measurement kit.

A lecture says "≈", "for any α", "does not depend on n", "in the limit", "the standard deviation
is σ/√b", "this is Adam", "this is exponential decay". Each has one documented form here, so that
no claim has to invent a tolerance, a range or a comparison (see docs/writing-claims.md):

- :func:`approx` ("≈"): the claim's tolerance, from a named preset or a relative one;
- :func:`for_any` ("for any α"): a domain over a positive range, covered on a log scale;
- :func:`does_not_depend_on` ("does not depend on n"): the quantity at n minus at a reference n;
- :func:`in_the_limit` ("in the limit"): the quantity along an increasing sequence, last points;
- :func:`variance_of`, :func:`std_of`: a variance or a standard deviation with a valid interval;
- :func:`same_trajectory_as`: an update rule against a ``torch.optim`` optimizer on a quadratic;
- :func:`same_schedule_as`: a learning-rate rule against a ``torch.optim.lr_scheduler``;
- :func:`behaviour`: "converges", "oscillates" or "diverges", from a trajectory.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from theorems.catalogue.kit.convergence import CONVERGING, DIVERGES, PERSISTENT, STALLS, classify
from theorems.core.claim import ClaimError, Measurement
from theorems.core.domain import WIDE, Dimension, floats
from theorems.core.stats import Estimate

Params = Mapping[str, Any]
Quantity = Callable[[Params, Any], Any]  # (p, ctx) -> a number, an array or a Measurement

# --- "≈" --------------------------------------------------------------------------------------------

#: Relative tolerances for the words a document uses: "roughly" (10 %), "≈" (5 %, the default of every
#: claim), "closely" (1 %) and "exactly" (float64 rounding: an identity, a rule equal to a library's).
APPROX = {"roughly": 0.10, "approximately": 0.05, "closely": 0.01, "exactly": 1e-9}


def approx(level: str = "approximately", *, rel: float | None = None, atol: float = 0.0) -> dict[str, float]:
    """A claim's ``resolution`` and ``atol`` for "≈", to splat into ``@claim``.

    >>> approx("closely")
    {'resolution': 0.01, 'atol': 0.0}
    >>> approx(rel=0.02)["resolution"]
    0.02

    ``@claim(..., **approx("exactly", atol=1e-12))``: a stochastic claim reads ``resolution`` as the
    relative band around the stated value, a deterministic one as its relative tolerance; ``atol``
    is added (needed where the stated value is 0).
    """
    if rel is None:
        if level not in APPROX:
            raise ValueError(f"unknown approximation level {level!r}; choose one of {sorted(APPROX)} or pass rel=")
        rel = APPROX[level]
    if not (0 <= rel < 1 and atol >= 0):
        raise ValueError(f"approx needs 0 <= rel < 1 and atol >= 0, got rel={rel}, atol={atol}")
    return {"resolution": float(rel), "atol": float(atol)}


# --- "for any α" ------------------------------------------------------------------------------------

def for_any(low: float, high: float) -> Dimension:
    """A domain for "for any α > 0": floats in [low, high] with high/low ≥ 100, which the search
    covers on a log scale as well as a linear one, so each decade gets its points.

    >>> for_any(1e-4, 1.0)  # "for any learning rate": four decades
    floats(0.0001, 1.0)
    """
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(f"for_any needs 0 < low < high < inf, got low={low}, high={high}")
    if high / low < WIDE:
        raise ValueError(f"for_any({low}, {high}) spans less than {WIDE:g}×, so it is not covered on a log scale; "
                         f"use floats({low}, {high}) for a narrow range")
    return floats(low, high)


# --- "does not depend on n" and "in the limit" ------------------------------------------------------

def _planned_on(ctx: Any, transform: Callable[[Estimate], Estimate], measure: Callable[[Any], Any]) -> Any:
    """``measure(ctx)`` with the engine's sample-size plan made on ``transform(pilot)``: the estimate the
    claim is judged on (a root, a difference of two means), not the mean drawn."""
    plan = getattr(ctx, "plan", None)
    if plan is None:
        return measure(ctx)
    return measure(dataclasses.replace(ctx, plan=lambda quantities, pilot: plan(quantities, transform(pilot))))


def _one_of_two(pilot: Estimate) -> Estimate:
    """One of two independent means of equal se, as their difference's se (√2 times) is planned."""
    return dataclasses.replace(pilot, se=math.sqrt(2) * pilot.se)


def _as_measurement(value: Any) -> Measurement:
    return value if isinstance(value, Measurement) else Measurement(value)


def does_not_depend_on(name: str, reference: Any) -> Callable[[Quantity], Quantity]:
    """Decorator for "q does not depend on n": measures q(p) − q(p with n = reference).

    The claim states 0 (``stated=lambda p: 0.0``) with a ``scale=`` read from the parameters (the
    resolution is relative to it); the quantities ``at_n`` and ``at_reference`` carry both values.
    A Monte Carlo q (``ctx.mean``) keeps a valid interval: the two means are independent, so the
    difference's standard error is the root of the sum of their squares, and each mean's sample size
    is planned for √2 times its own standard error, so that the difference resolves the band::

        @claim(..., stated=lambda p: 0.0, scale=lambda p: p["sigma"], ...)
        @does_not_depend_on("b", reference=1)
        def mean_gradient(p, ctx):
            return ctx.mean(lambda n: minibatch_average(p, n, ctx), bytes_per_replicate=...)
    """

    def wrap(quantity: Quantity) -> Quantity:
        @functools.wraps(quantity)
        def measure(p: Params, ctx: Any) -> Measurement:
            at_n = _as_measurement(_planned_on(ctx, _one_of_two, lambda c: quantity(p, c)))
            at_reference = _as_measurement(_planned_on(ctx, _one_of_two, lambda c: quantity({**p, name: reference}, c)))
            value = np.asarray(at_n.value, dtype=np.float64) - np.asarray(at_reference.value, dtype=np.float64)
            both = (at_n.se, at_reference.se)
            se = None if both == (None, None) else math.hypot(*(s or 0.0 for s in both))
            return Measurement(float(value) if value.ndim == 0 else value, se=se,
                               samples=at_n.samples + at_reference.samples,
                               quantities={**at_n.quantities, "at_n": at_n.value, "at_reference": at_reference.value})

        return measure

    return wrap


def in_the_limit(name: str, values: Sequence[Any], *, last: int = 2) -> Callable[[Quantity], Quantity]:
    """Decorator for "in the limit n → ∞, q = L": a deterministic q at each n of the increasing
    ``values``; the claim compares the ``last`` ones with L elementwise, and the trace (all of them)
    shows the trend in the report.

        @claim(..., stated=lambda p: 1 / (1 - p["beta"]), **approx("closely"), ...)
        @in_the_limit("t", (10, 100, 1000, 10000))
        def weight_sum(p, ctx):
            return sum(p["beta"] ** k for k in range(p["t"]))

    Choose the sequence far enough out that "eventually" is reached within the tolerance.
    """
    values = tuple(values)
    if len(values) < 2 or any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"in_the_limit needs an increasing sequence of at least two values, got {values}")
    if not 1 <= last <= len(values):
        raise ValueError(f"last must be between 1 and {len(values)}, got {last}")

    def wrap(quantity: Quantity) -> Quantity:
        @functools.wraps(quantity)
        def measure(p: Params, ctx: Any) -> Measurement:
            along = [_as_measurement(quantity({**p, name: v}, ctx)) for v in values]
            if any(m.se is not None for m in along):
                raise ClaimError("in_the_limit takes a deterministic quantity; a Monte Carlo mean at each n "
                                 "is a claim over n (put n in the domain)")
            sequence = np.array([float(m.value) for m in along])
            return Measurement(sequence[-last:], quantities=dict(along[-1].quantities),
                               trace={"x": np.array(values, dtype=np.float64), "measured": sequence})

        return measure

    return wrap


# --- variance and standard deviation ----------------------------------------------------------------

def _pair_halves(draw: Callable[[int], torch.Tensor]) -> Callable[[int], torch.Tensor]:
    """n replicates of (x₁ − x₂)²/2 from 2n draws: each is unbiased for Var(x)."""

    def pairs(n: int) -> torch.Tensor:
        x = draw(2 * n).reshape(n, 2)
        return (x[:, 0] - x[:, 1]).square() / 2

    return pairs


def variance_of(draw: Callable[[int], torch.Tensor], ctx: Any, *, bytes_per_replicate: int,
                quantities: Mapping[str, Any] | None = None) -> Measurement:
    """Var(x) of the statistic that ``draw(n)`` gives n independent replicates of, as a Measurement.

    The estimate is the plain mean of (x₁ − x₂)²/2 over independent pairs: each pair is unbiased for
    Var(x), so ``ctx.mean``'s interval is valid as it is (a mean of i.i.d. terms, needing only a
    finite fourth moment of x). ``bytes_per_replicate`` is the memory of one draw of x.

        return variance_of(lambda n: minibatch_average(p, n, ctx), ctx, bytes_per_replicate=8 * p["b"])
    """
    return ctx.mean(_pair_halves(draw), bytes_per_replicate=2 * bytes_per_replicate, quantities=quantities)


def _std_estimate(pilot: Estimate) -> Estimate:
    """The delta-method estimate of √v from an estimate of v."""
    root = math.sqrt(max(pilot.mean, 0.0))
    se = pilot.se / (2 * root) if root > 0 else math.inf
    return dataclasses.replace(pilot, mean=root, se=se)


def std_of(draw: Callable[[int], torch.Tensor], ctx: Any, *, bytes_per_replicate: int,
           quantities: Mapping[str, Any] | None = None) -> Measurement:
    """The standard deviation √Var(x), for claims stated on σ (``stated=lambda p: p["sigma"] / p["b"] ** 0.5``).

    The estimate is √v̂ of :func:`variance_of`, with the delta-method standard error se(v̂)/(2√v̂);
    the sample size is planned on that standard error. This is valid where v̂'s relative error is
    small, which the planned sample size ensures: at se(v̂)/v̂ = ε, √v̂'s bias and the error of the
    linearized interval are of order ε²/8 relative (about 10⁻⁵ at the 1 % the plan reaches for a 5 %
    band). The alternative, stating the squared formula on variance_of, is exact; use it where a
    point cannot draw enough replicates (a cap reached far from resolving). A zero variance (every
    draw equal) is a broken check and raises.
    """
    variance = _planned_on(ctx, _std_estimate, lambda c: variance_of(draw, c, bytes_per_replicate=bytes_per_replicate,
                                                                     quantities=quantities))
    if not variance.value > 0:
        raise ClaimError(f"std_of: the measured variance is {variance.value}; every draw was equal")
    std = _std_estimate(Estimate(variance.value, variance.se, variance.samples))
    return Measurement(std.mean, se=std.se, samples=std.samples,
                       quantities={**variance.quantities, "variance": variance.value})


# --- trajectories: torch.optim, lr_scheduler, behaviour ---------------------------------------------

UpdateRule = Callable[..., torch.Tensor]  # update(w, grad, state, **hyper) -> next w; state["t"] = 1, 2, …


def seeded_quadratic(d: int, seed: int):
    """A quadratic with Hessian eigenvalues from 1 to 10 (rotated), and a start at w* plus N(0, I)."""
    from implementations.problems import make_quadratic

    if d < 1:
        raise ValueError(f"the quadratic's dimension d must be >= 1, got {d}")
    quadratic = make_quadratic(torch.from_numpy(np.geomspace(1.0, 10.0, d)), seed=seed)
    start = torch.randn(d, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    return quadratic, quadratic.minimizer + start


def _rule_trajectory(update: UpdateRule, grad, w0: torch.Tensor, steps: int, hyper: Mapping[str, Any]) -> torch.Tensor:
    w, state, path = w0, {}, [w0]
    for t in range(1, steps + 1):
        state["t"] = t
        w = update(w, grad(w), state, **hyper)
        path.append(w)
    return torch.stack(path)


def same_trajectory_as(update: UpdateRule, optimizer: type, *, steps: int = 20, d: int = 5, seed: int = 0,
                       **hyper: Any) -> Measurement:
    """``update``'s trajectory minus ``optimizer``'s (a ``torch.optim`` class built with ``**hyper``),
    elementwise over ``steps`` steps on a seeded d-dimensional quadratic, relative to ‖w₀ − w*‖∞.

    ``update(w, grad, state, **hyper)`` returns the next iterate; ``state`` is a dict kept across steps
    with ``state["t"]`` the step number (1, 2, …). The claim states 0 with an absolute tolerance
    (``**approx("exactly", atol=1e-9)``) in float64. Quantities: ``to_gradient_descent``, plain
    gradient descent at ``hyper["lr"]`` minus the optimizer, the same way (a ready mutant).

        same_trajectory_as(momentum_rule, torch.optim.SGD, lr=0.05, momentum=0.9)
    """
    from implementations.optimizer_oracles import torch_trajectory
    from implementations.problems import gradient_descent_trajectory

    if not (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer class such as torch.optim.Adam, got {optimizer!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if "lr" not in hyper:
        raise ValueError("same_trajectory_as needs lr= among the hyperparameters (both rules run at it)")
    quadratic, w0 = seeded_quadratic(d, seed)
    theirs = torch_trajectory(lambda ps, hp: optimizer(ps, **hp), quadratic.grad, w0, steps=steps,
                              hyperparameters=hyper)
    ours = _rule_trajectory(update, quadratic.grad, w0, steps, hyper)
    plain = gradient_descent_trajectory(quadratic.grad, w0, lr=hyper["lr"], steps=steps)
    scale = float((w0 - quadratic.minimizer).abs().max())
    gap = ((ours - theirs) / scale).flatten().numpy()
    return Measurement(gap, quantities={"to_gradient_descent": ((plain - theirs) / scale).flatten().numpy()},
                       trace={"x": np.arange(gap.size), "measured": gap})


def same_schedule_as(rule: Callable[[int], float], scheduler: type, *, lr: float, steps: int = 50,
                     **kwargs: Any) -> Measurement:
    """``rule(t)`` minus the learning rate that ``scheduler`` (a ``torch.optim.lr_scheduler`` class built
    with ``**kwargs``) gives at steps t = 0 … steps − 1 to an optimizer of initial learning rate ``lr``
    (η₀, which torch's schedulers multiply), relative to η₀; t counts the steps already taken, as
    torch's ``scheduler.step()`` does, so rule(0) is the first step's rate.

    The claim states 0 with ``**approx("exactly", atol=1e-9)``. Quantities: ``torch``, the scheduler's
    rates over η₀ (for mutants, e.g. ``lambda p: p["torch"] * gamma − p["torch"]``: one step late).

        same_schedule_as(lambda t: 0.1 * math.exp(-0.05 * t), ExponentialLR, lr=0.1, gamma=math.exp(-0.05))
    """
    if not (isinstance(scheduler, type) and issubclass(scheduler, torch.optim.lr_scheduler.LRScheduler)):
        raise TypeError(f"scheduler must be a torch.optim.lr_scheduler class such as ExponentialLR, got {scheduler!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not lr > 0:
        raise ValueError(f"the initial learning rate lr must be > 0, got {lr}")
    eta0 = float(lr)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=eta0)
    schedule = scheduler(optimizer, **kwargs)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    torch_rates = np.array(rates) / eta0
    ours = np.array([float(rule(t)) for t in range(steps)]) / eta0
    return Measurement(ours - torch_rates, quantities={"torch": torch_rates},
                       trace={"x": np.arange(steps), "measured": ours})


CONVERGES, OSCILLATES = "converges", "oscillates"


def behaviour(trajectory: torch.Tensor | np.ndarray, minimum: torch.Tensor | np.ndarray | float = 0.0) -> str:
    """"converges", "oscillates" (without converging), "diverges" or "stalls", from iterates w_0 … w_K
    (shape (K + 1,) or (K + 1, d)) and the minimizer, read along the first coordinate.

    The rule is the catalogue's (``theorems.catalogue.kit.classify``, used by 003-05 and 003-07): the
    rate ρ = (|e_K|/|e_0|)^(1/K) of the error e_k = w_k − w* over the steps before it reaches
    rounding level; converging means reaching it or ρ < 1 − 10⁻⁶, diverging ρ > 1 + 10⁻⁶ or inf/NaN.

    >>> behaviour([1.0, -0.5, 0.25, -0.125])
    'converges'
    """
    w = torch.as_tensor(trajectory, dtype=torch.float64)
    errors = (w - torch.as_tensor(minimum, dtype=torch.float64)).reshape(w.shape[0], -1)[:, 0].numpy()
    if errors.size < 2 or errors[0] == 0:
        raise ValueError(f"behaviour needs at least two iterates starting away from the minimum, got {errors[:3]}")
    label = classify(errors)
    return CONVERGES if label in CONVERGING else OSCILLATES if label == PERSISTENT else label


__all__ = [
    "APPROX", "CONVERGES", "DIVERGES", "OSCILLATES", "STALLS", "approx", "behaviour", "does_not_depend_on",
    "for_any", "in_the_limit", "same_schedule_as", "same_trajectory_as", "seeded_quadratic", "std_of", "variance_of",
]
