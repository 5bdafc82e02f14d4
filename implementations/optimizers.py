"""Reference optimizers in the forms the lecture documents write them, optax-style.

One convention for every optimizer here (optax's)::

    state = xxx_init(params)
    updates, state = xxx_update(grad, state, params, *, hyperparameters...)
    params = params + updates

``updates`` is the increment, not the new parameters: ``θ_{t+1} = θ_t + updates``. ``grad`` is the
gradient at the current parameters, ``g_t = ∇f(θ_t)`` (for Nesterov, at the look-ahead point; see
``nesterov_lookahead``). ``params`` is read only where an update depends on the weights (weight
decay); every update accepts it so that all of them share one signature.

Shapes: every tensor has the shape of ``params``, ``(*replicates, *param_shape)``. All updates are
elementwise, so leading dimensions are independent replicates (R runs in one call); step counters
are scalars shared by the replicates. Nothing mutates its inputs: each update returns fresh tensors
and a fresh state.

Hyperparameters are keyword-only and checked with torch.optim's messages
(``Invalid learning rate: -1.0``). Every decay factor β lies in [0, 1).

torch.optim is the oracle (tests/test_optimizers.py). Each docstring says how its document's form
maps onto a torch.optim optimizer, or, where no mapping exists, how the two differ.

Contents, in lecture order: sampling rules (001-06, 001-07, 003-13); SGD as torch writes it; the
momentum forms (001-10, 003-09, Nesterov 003-10, heavy ball 002-05); AdaGrad (001-12), RMSProp
(001-13, 003-15), Adam (001-14, 003-16); RProp (003-08); weight decay (001-18) and max-norm
(001-21).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

# ---------------------------------------------------------------------------------------------
# Hyperparameter checks (torch.optim's messages, so a test can match them)
# ---------------------------------------------------------------------------------------------


def _check_lr(lr: float) -> None:
    if not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_eps(eps: float) -> None:
    if not eps >= 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")


def _check_decay(value: float, what: str) -> None:
    """A decay factor β (momentum, EMA weight) must lie in [0, 1)."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"Invalid {what}: {value}")


def _check_weight_decay(weight_decay: float) -> None:
    if not weight_decay >= 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_count(value: int, what: str, minimum: int) -> None:
    if not value >= minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")


# ---------------------------------------------------------------------------------------------
# Sampling rules: which examples a stochastic step uses (001-06, 001-07, 003-13)
# Indices are 0-based: the documents' i_k ∈ {1, …, m} is our i_k + 1.
# ---------------------------------------------------------------------------------------------


def randomized_indices(n: int, steps: int, *, generator: torch.Generator) -> Tensor:
    """001-06 randomized rule: i_k ~ Uniform{0, …, n − 1}, independently for k = 0 … steps − 1.

    Returns int64 ``(steps,)``. Since i_k is uniform, E[∇f_{i_k}(x)] = (1/n) Σ_i ∇f_i(x) = ∇f(x).
    """
    _check_count(n, "n", 1)
    _check_count(steps, "steps", 0)
    return torch.randint(0, n, (steps,), generator=generator)


def cyclic_indices(n: int, steps: int) -> Tensor:
    """001-06 cyclic rule: i_k = 1, 2, …, m, 1, 2, …; 0-based, i_k = k mod n. int64 ``(steps,)``."""
    _check_count(n, "n", 1)
    _check_count(steps, "steps", 0)
    return torch.arange(steps) % n


def minibatch_indices(
    n: int, batch_size: int, steps: int, *, generator: torch.Generator, replace: bool
) -> Tensor:
    """001-07 mini-batches: for each step a random I_k ⊆ {0, …, n − 1} with |I_k| = b.

    ``replace=False`` draws I_k as a uniformly random b-subset (distinct indices, b ≤ n), in random
    order; ``replace=True`` draws b indices i.i.d. uniform (the 000-16 / 002-02 sampling). Either
    way every index is in a given slot with probability 1/n, so E[(1/b) Σ_{i∈I_k} ∇f_i(x)] = ∇f(x).
    Returns int64 ``(steps, batch_size)``, one row per step.
    """
    _check_count(n, "n", 1)
    _check_count(batch_size, "batch size", 1)
    _check_count(steps, "steps", 0)
    if replace:
        return torch.randint(0, n, (steps, batch_size), generator=generator)
    if batch_size > n:
        raise ValueError(f"batch size must be <= n = {n} without replacement, got {batch_size}")
    # the ranks of i.i.d. uniform keys are a uniformly random permutation of each row
    keys = torch.rand((steps, n), generator=generator, dtype=torch.float64)
    return keys.argsort(dim=-1)[:, :batch_size]


def epoch_permutation_batches(
    n: int, batch_size: int, epochs: int, *, generator: torch.Generator
) -> list[list[Tensor]]:
    """003-13: each epoch permutes the training set at random and cuts it into mini-batches.

    Returns one list per epoch of int64 batches of size b in order, the last one holding the
    n mod b leftover indices when b does not divide n (torch's ``DataLoader(shuffle=True,
    drop_last=False)`` layout). Every index appears exactly once per epoch.
    """
    _check_count(n, "n", 1)
    _check_count(batch_size, "batch size", 1)
    _check_count(epochs, "epochs", 0)
    return [list(torch.randperm(n, generator=generator).split(batch_size)) for _ in range(epochs)]


# ---------------------------------------------------------------------------------------------
# Weight decay (001-18) and the SGD step as torch.optim.SGD writes it
# ---------------------------------------------------------------------------------------------


def coupled_weight_decay(grad: Tensor, params: Tensor, *, weight_decay: float) -> Tensor:
    """L2 regularization folded into the gradient: g ← g + λ' w (torch's ``weight_decay=λ'``).

    001-18 writes the penalty as λ‖w‖², whose gradient is 2λw: the document's λ is
    ``weight_decay / 2``. Passed to an adaptive method the term is rescaled with the gradient
    (torch ``Adam(weight_decay)``).
    """
    _check_weight_decay(weight_decay)
    return grad + weight_decay * params


def decoupled_weight_decay(
    updates: Tensor, params: Tensor, *, lr: float, weight_decay: float
) -> Tensor:
    """Weight decay applied to the weights, outside the gradient: adds −ηλ' w to ``updates``.

    001-18: w_{t+1} = (1 − 2ηλ) w_t − η∇L(w_t), i.e. ``weight_decay = 2λ``. For plain SGD this
    equals ``coupled_weight_decay``; for Adam it is torch's ``AdamW`` (``p ← p(1 − ηλ')`` before
    the step).
    """
    _check_lr(lr)
    _check_weight_decay(weight_decay)
    # w_{t+1} = (1 − ηλ') w_t + step = w_t + (step − ηλ' w_t)
    return updates - lr * weight_decay * params


class SgdState(NamedTuple):
    momentum_buffer: Tensor  # (*R, *shape) b_t; zeros until the first step
    step: Tensor  # () int64, steps taken (the first step sets b_1 = g_1, undamped)


def sgd_init(params: Tensor) -> SgdState:
    return SgdState(torch.zeros_like(params), torch.zeros((), dtype=torch.int64))


def sgd_update(
    grad: Tensor,
    state: SgdState,
    params: Tensor | None = None,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[Tensor, SgdState]:
    """Gradient descent / SGD step exactly as ``torch.optim.SGD`` computes it (``maximize=False``).

        g_t ← g_t + λ' θ_t                                (weight_decay = λ' > 0)
        b_1 = g_1,   b_t = μ b_{t−1} + (1 − τ) g_t         (momentum μ > 0, dampening τ)
        d_t = g_t + μ b_t  if nesterov  else  b_t
        θ_{t+1} = θ_t − η d_t

    With μ = 0 this is the plain step θ_{t+1} = θ_t − η g_t (GD with the full gradient, SGD with
    a sampled one, 001-06/001-07). Conventions that differ from the documents: the first step
    is undamped (b_1 = g_1, not (1 − τ) g_1); η multiplies the whole buffer, so changing η
    rescales past gradients too (001-10's form; 003-09's ΔW form does not, see
    ``delta_momentum_update``); nesterov is the reparametrized form evaluated at θ_t (see
    ``nesterov_lookahead`` for 003-10's form). Unlike torch, μ must lie in [0, 1).
    """
    _check_lr(lr)
    _check_decay(momentum, "momentum value")
    if not 0.0 <= dampening <= 1.0:
        raise ValueError(f"Invalid dampening value: {dampening}")
    _check_weight_decay(weight_decay)
    if nesterov and (momentum <= 0.0 or dampening != 0.0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    if weight_decay != 0.0:
        if params is None:
            raise ValueError("weight_decay > 0 needs params")
        grad = coupled_weight_decay(grad, params, weight_decay=weight_decay)
    buffer = state.momentum_buffer
    direction = grad
    if momentum != 0.0:
        # b_1 = g_1,  b_t = μ b_{t−1} + (1 − τ) g_t
        if int(state.step) == 0:
            buffer = grad.clone()
        else:
            buffer = momentum * buffer + (1.0 - dampening) * grad
        direction = grad + momentum * buffer if nesterov else buffer
    # θ_{t+1} = θ_t − η d_t
    return -lr * direction, SgdState(buffer, state.step + 1)


# ---------------------------------------------------------------------------------------------
# Momentum in the documents' forms (001-10, 003-09, 003-10, 002-05)
# ---------------------------------------------------------------------------------------------


class MomentumState(NamedTuple):
    m: Tensor  # (*R, *shape) m_{t−1}, the velocity in gradient units; m_0 = 0


def momentum_init(params: Tensor) -> MomentumState:
    return MomentumState(torch.zeros_like(params))


def momentum_update(
    grad: Tensor, state: MomentumState, params: Tensor | None = None, *, lr: float, beta: float
) -> tuple[Tensor, MomentumState]:
    """001-10 momentum: m_t = β m_{t−1} + g_{t−1},  θ_t = θ_{t−1} − η m_t  (β ∈ [0, 1)).

    The slide's g_{t−1} = ∇f_{t−1}(θ_{t−1}) is the gradient at the point the step starts from:
    the index lags only because the step is named by its result θ_t. So ``grad`` is g_{t−1}, and
    the form is ``torch.optim.SGD(lr=η, momentum=β, dampening=0)`` exactly (m_0 = 0 gives
    m_1 = g_0, torch's undamped first buffer). For a constant gradient m_t → g/(1 − β): the
    slide's effective learning rate η/(1 − β).
    """
    _check_lr(lr)
    _check_decay(beta, "momentum value")
    # m_t = β m_{t−1} + g_{t−1}
    m = beta * state.m + grad
    # θ_t = θ_{t−1} − η m_t
    return -lr * m, MomentumState(m)


class DeltaMomentumState(NamedTuple):
    delta: Tensor  # (*R, *shape) ΔW^(k−1), the previous step in parameter units; ΔW^(0) = 0


def delta_momentum_init(params: Tensor) -> DeltaMomentumState:
    return DeltaMomentumState(torch.zeros_like(params))


def delta_momentum_update(
    grad: Tensor,
    state: DeltaMomentumState,
    params: Tensor | None = None,
    *,
    lr: float,
    beta: float,
) -> tuple[Tensor, DeltaMomentumState]:
    """003-09 momentum: ΔW^(k) = β ΔW^(k−1) − η ∇Loss(W^(k−1)),  W^(k) = W^(k−1) + ΔW^(k).

    ``grad`` is ∇Loss(W^(k−1)). With a constant η this is ``torch.optim.SGD(lr=η, momentum=β)``
    (ΔW = −η b). The forms part when η changes between steps: here η_k scales only the new
    gradient, so ΔW^(k) = −Σ_j β^{k−j} η_j g_j, which is torch SGD with lr = 1 fed the gradients
    η_k g_k; torch (and 001-10) rescale the whole buffer by the current η.

    Nesterov (003-10) is this update with ``grad`` taken at ``nesterov_lookahead(params, state)``.
    """
    _check_lr(lr)
    _check_decay(beta, "momentum value")
    # ΔW^(k) = β ΔW^(k−1) − η ∇Loss(W^(k−1))
    delta = beta * state.delta - lr * grad
    return delta, DeltaMomentumState(delta)


def nesterov_lookahead(params: Tensor, state: DeltaMomentumState, *, beta: float) -> Tensor:
    """003-10 Nesterov: "first extend the previous step": the point W^(k−1) + β ΔW^(k−1).

    The gradient step is then taken at that point:
    ``delta_momentum_update(∇Loss(nesterov_lookahead(W, state)), state, lr=η, beta=β)``, i.e.
    ΔW^(k) = β ΔW^(k−1) − η ∇Loss(W^(k−1) + β ΔW^(k−1)) (Sutskever et al., 2013).
    ``torch.optim.SGD(nesterov=True)`` is the same algorithm reparametrized: its parameters are
    these look-ahead points, and it takes its gradient at its own parameters.
    """
    _check_decay(beta, "momentum value")
    # W^(k−1) + β ΔW^(k−1)
    return params + beta * state.delta


heavy_ball_init = delta_momentum_init  # the state is the previous step w^t − w^{t−1}, zero at rest


def heavy_ball_update(
    grad: Tensor,
    state: DeltaMomentumState,
    params: Tensor | None = None,
    *,
    lr: float,
    gamma: float,
) -> tuple[Tensor, DeltaMomentumState]:
    """002-05 heavy ball: w^{t+1} = w^t − γη g^t + (1 − γ)(w^t − w^{t−1}),  γ ∈ (0, 1].

    The state (``heavy_ball_init``) holds the previous step w^t − w^{t−1}, zero at the start
    (w^0 = w^{−1}, starting at rest). The notes' second written form
    w^{t+1} = w^t − η g^t + (1 − η)(w^t − w^{t−1}) is this update with ``gamma=η, lr=1``; its
    unrolled sum is ``heavy_ball_unrolled_step``. It is 003-09's ΔW form with β = 1 − γ and step
    γη, hence ``torch.optim.SGD(lr=γη, momentum=1 − γ, dampening=0)``.
    """
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"Invalid gamma value: {gamma}")
    # w^{t+1} − w^t = (1 − γ)(w^t − w^{t−1}) − γη g^t
    return delta_momentum_update(grad, state, lr=gamma * lr, beta=1.0 - gamma)


def heavy_ball_unrolled_step(grads: Sequence[Tensor], *, eta: float) -> Tensor:
    """002-05 unrolled: w^{t+1} − w^t = −η {g^t + (1 − η) g^{t−1} + (1 − η)² g^{t−2} + …}.

    ``grads`` is (g^0, …, g^t); the sum stops at g^0 because the run starts at rest (w^0 = w^{−1});
    otherwise a term (1 − η)^{t+1}(w^0 − w^{−1}) remains. Equals the step of
    ``heavy_ball_update(gamma=η, lr=1)`` after the same gradients. (The notes' intermediate line
    w^t − w^{t−1} = η g^{t−1} + … drops a minus sign; the final unrolled line is right.)
    """
    if not 0.0 < eta <= 1.0:
        raise ValueError(f"Invalid eta value: {eta}")
    if len(grads) == 0:
        raise ValueError("grads must hold at least g^0, got an empty sequence")
    t = len(grads) - 1
    # −η Σ_{j=0}^{t} (1 − η)^j g^{t−j}
    return -eta * sum(((1.0 - eta) ** j * grads[t - j] for j in range(t + 1)), torch.zeros_like(grads[0]))


# ---------------------------------------------------------------------------------------------
# Adaptive learning rates: AdaGrad (001-12), RMSProp (001-13, 003-15), Adam (001-14, 003-16)
# ---------------------------------------------------------------------------------------------


class AdagradState(NamedTuple):
    s: Tensor  # (*R, *shape) s_{t−1} = Σ_{i<t} g_i², zeros at the start


def adagrad_init(params: Tensor) -> AdagradState:
    return AdagradState(torch.zeros_like(params))


def adagrad_update(
    grad: Tensor,
    state: AdagradState,
    params: Tensor | None = None,
    *,
    lr: float,
    eps: float = 1e-10,
) -> tuple[Tensor, AdagradState]:
    """001-12 AdaGrad: s_t = Σ_{i≤t} g_i ⊙ g_i,  θ_{t+1} = θ_t − η g_t / √(s_t + ε).

    ε sits inside the square root; torch.optim.Adagrad puts it outside (g / (√s + ε)). Adding ε
    under the root is starting the sum at ε, so the document's form is exactly
    ``torch.optim.Adagrad(lr=η, eps=0, initial_accumulator_value=ε, lr_decay=0)``.
    """
    _check_lr(lr)
    _check_eps(eps)
    # s_t = s_{t−1} + g_t ⊙ g_t
    s = state.s + grad * grad
    # θ_{t+1} = θ_t − η g_t / √(s_t + ε)
    return -lr * grad / torch.sqrt(s + eps), AdagradState(s)


class RmspropState(NamedTuple):
    s: Tensor  # (*R, *shape) s_{t−1}, the EMA of g² before this step; zeros at the start


def rmsprop_init(params: Tensor) -> RmspropState:
    return RmspropState(torch.zeros_like(params))


def rmsprop_update(
    grad: Tensor,
    state: RmspropState,
    params: Tensor | None = None,
    *,
    lr: float,
    beta: float = 0.9,
    eps: float = 1e-8,
    lagged: bool = False,
) -> tuple[Tensor, RmspropState]:
    """RMSProp, ε inside the square root as both documents write it.

    003-15 (``lagged=False``): E[g²]_k = γ E[g²]_{k−1} + (1 − γ) g_k²,
        W_{k+1} = W_k − η g_k / √(E[g²]_k + ε).
    001-13 (``lagged=True``): s_t = β s_{t−1} + (1 − β) g_{t−1}²,
        θ_{t+1} = θ_t − η g_t / √(s_t + ε): the denominator holds the squares up to g_{t−1} only,
        not the current g_t (AdaGrad on the same slides includes g_t). The first step divides
        by √ε.

    β here is γ of 003-15 and torch's ``alpha``. torch.optim.RMSprop puts ε outside
    (g / (√s + ε)); with ε = 0 the unlagged form is ``RMSprop(lr=η, alpha=β, eps=0)``. The lagged
    form has no torch counterpart: its step t uses torch's ``square_avg`` from step t − 1.
    """
    _check_lr(lr)
    _check_decay(beta, "beta value")
    _check_eps(eps)
    # s_t = β s_{t−1} + (1 − β) g_t²
    s = beta * state.s + (1.0 - beta) * grad * grad
    denominator = state.s if lagged else s
    # θ_{t+1} = θ_t − η g_t / √(s + ε),  s = s_{t−1} (001-13) or s_t (003-15)
    return -lr * grad / torch.sqrt(denominator + eps), RmspropState(s)


class AdamState(NamedTuple):
    step: Tensor  # () int64, k − 1: steps taken so far (the first update has k = 1)
    m: Tensor  # (*R, *shape) m_{k−1}, EMA of g; zeros at the start
    v: Tensor  # (*R, *shape) v_{k−1}, EMA of g²; zeros at the start


def adam_init(params: Tensor) -> AdamState:
    zeros = torch.zeros_like(params)
    return AdamState(torch.zeros((), dtype=torch.int64), zeros, zeros)


def adam_update(
    grad: Tensor,
    state: AdamState,
    params: Tensor | None = None,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    bias_correction: bool = True,
) -> tuple[Tensor, AdamState]:
    """Adam: m_k = β₁ m_{k−1} + (1 − β₁) g_k,  v_k = β₂ v_{k−1} + (1 − β₂) g_k²,  k = 1, 2, …

    003-16 (``bias_correction=True``): m̂_k = m_k / (1 − β₁ᵏ), v̂_k = v_k / (1 − β₂ᵏ),
        W_{k+1} = W_k − η m̂_k / (√v̂_k + ε),
        exactly ``torch.optim.Adam(lr=η, betas=(β₁, β₂), eps=ε)``.
    001-14 (``bias_correction=False``): θ_{t+1} = θ_t − η m_t / (√s_t + ε), the moments used as
        they are although the slide calls Adam "RMSProp with momentum but with bias correction".
        Its moments equal torch's ``exp_avg``/``exp_avg_sq``; with ε = 0 its step is torch's step
        times (1 − β₁ᵏ)/√(1 − β₂ᵏ): (1 − β₁)/√(1 − β₂) at k = 1 (≈ 3.16 at the defaults), → 1 as
        k grows.

    The documents' δ, γ (003-16) and β₁, β₂ (001-14) are ``beta1``, ``beta2``. ε is outside the
    square root, as in torch. Coupled/decoupled weight decay: ``coupled_weight_decay`` on ``grad``
    is torch ``Adam(weight_decay)``; ``decoupled_weight_decay`` on the updates is ``AdamW``.
    """
    _check_lr(lr)
    _check_eps(eps)
    _check_decay(beta1, "beta parameter at index 0")
    _check_decay(beta2, "beta parameter at index 1")
    k = int(state.step) + 1
    # m_k = β₁ m_{k−1} + (1 − β₁) g_k
    m = beta1 * state.m + (1.0 - beta1) * grad
    # v_k = β₂ v_{k−1} + (1 − β₂) g_k²
    v = beta2 * state.v + (1.0 - beta2) * grad * grad
    if bias_correction:
        # m̂_k = m_k / (1 − β₁ᵏ),  v̂_k = v_k / (1 − β₂ᵏ)
        m_hat, v_hat = m / (1.0 - beta1**k), v / (1.0 - beta2**k)
    else:
        m_hat, v_hat = m, v
    # θ_{k+1} = θ_k − η m̂_k / (√v̂_k + ε)
    return -lr * m_hat / (torch.sqrt(v_hat) + eps), AdamState(state.step + 1, m, v)


# ---------------------------------------------------------------------------------------------
# RProp (003-08)
# ---------------------------------------------------------------------------------------------


class RpropState(NamedTuple):
    prev_grad: Tensor  # (*R, *shape) g_{t−1}, set to 0 where the sign flipped; zeros at the start
    step_size: Tensor  # (*R, *shape) Δ_{t−1} per coordinate; Δ_0 = lr
    prev_update: Tensor  # (*R, *shape) θ_t − θ_{t−1}, undone on a sign flip when revert=True


def rprop_init(params: Tensor, *, lr: float = 0.01) -> RpropState:
    """``lr`` is the initial step size Δ_0 (torch's ``lr``; it is state, not a per-step rate)."""
    _check_lr(lr)
    zeros = torch.zeros_like(params)
    return RpropState(zeros, torch.full_like(params, lr), zeros)


def rprop_update(
    grad: Tensor,
    state: RpropState,
    params: Tensor | None = None,
    *,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50.0),
    revert: bool = False,
) -> tuple[Tensor, RpropState]:
    """003-08 RProp, per coordinate; torch's ``etas = (η⁻, η⁺)``, ``step_sizes = (Δ_min, Δ_max)``.

        Δ_t = min(η⁺ Δ_{t−1}, Δ_max)  if g_t g_{t−1} > 0   (same sign: grow, up to a ceiling)
        Δ_t = max(η⁻ Δ_{t−1}, Δ_min)  if g_t g_{t−1} < 0   (sign flipped: shrink, down to a floor)
        Δ_t = Δ_{t−1} (clamped)        otherwise
        θ_{t+1} = θ_t − sign(g_t) Δ_t, and on a flip g_t is forgotten (stored as 0) so the next step
        does not compare against it.

    ``revert=False`` is ``torch.optim.Rprop`` (iRprop⁻): on a flip the coordinate does not move.
    ``revert=True`` follows the document's "revert to the previous step" (Rprop with weight
    backtracking, Riedmiller & Braun 1993): on a flip the coordinate's previous update is undone,
    θ_{t+1} = θ_t − (θ_t − θ_{t−1}). torch has no such option.
    """
    eta_minus, eta_plus = etas
    if not 0.0 < eta_minus < 1.0 < eta_plus:
        raise ValueError(f"Invalid eta values: {eta_minus}, {eta_plus}")
    step_min, step_max = step_sizes
    if not 0.0 <= step_min <= step_max:
        raise ValueError(f"Invalid step size bounds: {step_min}, {step_max}")
    agreement = torch.sign(grad * state.prev_grad)
    flipped = agreement < 0
    # a tensor as the last branch keeps grad's dtype (all-scalar torch.where gives float32)
    factor = torch.where(flipped, eta_minus, torch.ones_like(grad))
    factor = torch.where(agreement > 0, eta_plus, factor)
    # Δ_t = clip(η± Δ_{t−1}, Δ_min, Δ_max)
    step_size = (state.step_size * factor).clamp(step_min, step_max)
    grad = torch.where(flipped, torch.zeros_like(grad), grad)
    # θ_{t+1} = θ_t − sign(g_t) Δ_t
    updates = -torch.sign(grad) * step_size
    if revert:
        # on a flip: θ_{t+1} = θ_t − (θ_t − θ_{t−1})
        updates = torch.where(flipped, -state.prev_update, updates)
    return updates, RpropState(grad, step_size, updates)


# ---------------------------------------------------------------------------------------------
# Max-norm (001-21)
# ---------------------------------------------------------------------------------------------


def max_norm_project(weight: Tensor, *, max_norm: float) -> Tensor:
    """001-21 max-norm: project each neuron's incoming weights back onto the ball ‖w_j‖₂ ≤ c.

    ``weight`` is ``(*R, fan_out, fan_in)`` (row j holds neuron j's incoming weights; a 1-D weight
    is one neuron): w_j ← w_j · min(1, c / ‖w_j‖₂), the Euclidean projection onto the ball.
    ``torch.renorm(weight, 2, 0, c)`` scales by c / (‖w_j‖₂ + 1e-7) instead, landing just inside.
    """
    if not max_norm >= 0.0:
        raise ValueError(f"Invalid max_norm value: {max_norm}")
    norms = torch.linalg.vector_norm(weight, dim=-1, keepdim=True)
    # w_j ← w_j · c / ‖w_j‖₂  where ‖w_j‖₂ > c; torch divides through the reciprocal, so a subnormal
    # norm is clamped to the smallest normal number to keep 0 / ‖w_j‖₂ from becoming 0 · ∞ = NaN
    safe_norms = norms.clamp_min(torch.finfo(norms.dtype).tiny)
    scale = torch.where(norms > max_norm, max_norm / safe_norms, torch.ones_like(norms))
    return weight * scale
