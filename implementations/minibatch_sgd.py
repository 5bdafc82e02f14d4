"""Minibatch SGD on the finite-sum problems, vectorized over replicates (002-04).

    g_B(w) = (1/B) Σ_{b=1}^{B} ∇f_{i_b}(w)                     (002-02: the minibatch gradient)
    w^{t+1} = w^t − η_t d^t,  d^t = (1/T̃_t) Σ_{k=t−T̃_t+1}^{t} g_{B^k}(w^k)   (T̃_t = min(t + 1, T̃))

With a window T̃ = 1 this is plain minibatch SGD; a window T̃ > 1 steps along the average of the last
T̃ minibatch gradients, as notes 002 (*Theoretical convergence*) write "average g_B^t over last T̃
iterations". Every replicate draws its own minibatches; ``draw_indices()`` returns them, shape
(R, B), so the caller decides the sampling (i.i.d. or a random subset, ``theorems.catalogue.kit.sample_indices``).
``draw_indices=None`` uses the full gradient ∇F (the batch is the whole training set).

Shapes: w is (R, d); problem tensors are (n, d) and (n,). Nothing mutates its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields, replace

import torch
from torch import Tensor

from implementations.problems import FiniteSumProblem, LeastSquares, LogisticRegression


def make_sign_feature_problem(kind: str, n: int, d: int, *, seed: int, l2: float = 0.25, noise: float = 0.1,
                              device: torch.device | str = "cpu") -> LeastSquares | LogisticRegression:
    """Least squares (``kind="least_squares"``) or ℓ2-regularized logistic regression (``"logistic"``) on
    features x_i ∈ {−1, +1}^d drawn uniformly, so that every example's curvature is bounded (‖x_i‖² = d):
    constant-step SGD with η below 1/max_i L_i is stable for every example, with no heavy tails.

    Least squares: y = X w_true + noise·ε, w* from the normal equations. Logistic: labels from
    P(y_i = +1) = σ(x_iᵀu), u a random unit vector; w* by Newton's method with step halving until
    ‖∇F(w*)‖ < 1e-12. Per-example smoothness: ‖x_i‖² = d for least squares, d/4 + ℓ2 for logistic.
    """
    if n < d:
        raise ValueError(f"n must be >= d, got n={n}, d={d}")
    generator = torch.Generator().manual_seed(seed)  # data drawn on the CPU: the same problem on every device
    X = 2.0 * torch.randint(0, 2, (n, d), generator=generator).to(torch.float64) - 1.0
    gram = X.mT @ X / n
    eigenvalues = torch.linalg.eigvalsh(gram)
    problem: LeastSquares | LogisticRegression
    if kind == "least_squares":
        y = X @ torch.randn(d, generator=generator, dtype=torch.float64) + noise * torch.randn(n, generator=generator, dtype=torch.float64)
        minimizer = torch.linalg.solve(gram, X.mT @ y / n)
        problem = LeastSquares(X=X, y=y, smoothness=eigenvalues[-1].item(), strong_convexity=eigenvalues[0].item(),
                               minimizer=minimizer, optimal_value=math.nan)
    elif kind == "logistic":
        u = torch.randn(d, generator=generator, dtype=torch.float64)
        y = 2.0 * torch.bernoulli(torch.sigmoid(X @ (u / u.norm())), generator=generator) - 1.0
        problem = LogisticRegression(X=X, y=y, l2=l2, smoothness=eigenvalues[-1].item() / 4 + l2, strong_convexity=l2,
                                     minimizer=torch.zeros(d, dtype=torch.float64), optimal_value=math.nan)
        w = problem.minimizer
        for _ in range(100):
            g = problem.grad(w)
            if torch.linalg.vector_norm(g) < 1e-12:
                break
            step, t = torch.linalg.solve(problem.hessian_at(w), g), 1.0
            while torch.linalg.vector_norm(problem.grad(w - t * step)) >= torch.linalg.vector_norm(g) and t > 1e-10:
                t /= 2
            w = w - t * step
        problem = replace(problem, minimizer=w)
    else:
        raise ValueError(f"unknown kind {kind!r}; choose 'least_squares' or 'logistic'")
    problem = replace(problem, optimal_value=problem.loss(problem.minimizer).item())
    return replace(problem, **{f.name: getattr(problem, f.name).to(device) for f in fields(problem)
                               if isinstance(getattr(problem, f.name), torch.Tensor)})


def example_smoothness(problem: LeastSquares | LogisticRegression) -> float:
    """max_i L_i, the largest smoothness of one example's loss: max ‖x_i‖² (least squares) or
    max ‖x_i‖²/4 + ℓ2 (logistic)."""
    largest = problem.X.square().sum(dim=1).max().item()
    return largest if isinstance(problem, LeastSquares) else largest / 4 + problem.l2


def minibatch_gradients(problem: FiniteSumProblem, w: Tensor, idx: Tensor) -> Tensor:
    """(1/B) Σ_b ∇f_{idx[r, b]}(w[r]) for every replicate r: w (R, d), idx (R, B) -> (R, d).

    Least squares: ∇f_i(w) = (x_iᵀw − y_i) x_i; logistic regression: ∇f_i(w) = −y_i σ(−y_i x_iᵀw) x_i + λw.
    """
    if idx.ndim != 2 or w.ndim != 2 or idx.shape[0] != w.shape[0]:
        raise ValueError(f"w must be (R, d) and idx (R, B) with the same R, got {tuple(w.shape)} and "
                         f"{tuple(idx.shape)}")
    X = problem.X[idx]  # (R, B, d)
    y = problem.y[idx]  # (R, B)
    margins = (X * w.unsqueeze(1)).sum(dim=-1)  # x_iᵀw, (R, B)
    if isinstance(problem, LeastSquares):
        coefficients = margins - y
        return (coefficients.unsqueeze(-1) * X).mean(dim=1)
    if isinstance(problem, LogisticRegression):
        coefficients = -y * torch.sigmoid(-y * margins)
        return (coefficients.unsqueeze(-1) * X).mean(dim=1) + problem.l2 * w
    raise TypeError(f"minibatch gradients of a {type(problem).__name__} are not implemented")


def minibatch_sgd(problem: FiniteSumProblem, w0: Tensor, *, lrs: Tensor,
                  draw_indices: Callable[[], Tensor] | None, gradient_window: int = 1) -> Tensor:
    """Iterates w^0 … w^T of minibatch SGD with step sizes ``lrs`` (η_0 … η_{T−1}), shape (T + 1, R, d).

    ``gradient_window`` T̃ ≥ 1: the step is along the average of the last T̃ minibatch gradients
    (fewer during the first T̃ − 1 steps). Divergence is data: inf and nan iterates are returned.
    """
    if gradient_window < 1:
        raise ValueError(f"gradient window must be >= 1, got {gradient_window}")
    iterates = [w0]
    window: list[Tensor] = []
    w = w0
    for eta in lrs.tolist():
        g = problem.grad(w) if draw_indices is None else minibatch_gradients(problem, w, draw_indices())
        window = (window + [g])[-gradient_window:]
        direction = g if gradient_window == 1 else torch.stack(window).mean(dim=0)
        # w^{t+1} = w^t − η_t d^t
        w = w - eta * direction
        iterates.append(w)
    return torch.stack(iterates)


# --- the stationary variance of (momentum) SGD on a one-dimensional quadratic (004-09, 004-10) -----
#
# f_i(w) = ½λ(w − a_i)², so a minibatch gradient is λ(w − ā) + ξ with E ξ = 0 and Var ξ = s²
# (state-independent noise). SGD with momentum μ in torch's form (v ← μv + g, w ← w − ηv) is the
# AR(2) recursion e_{t+1} = (1 + μ − ηλ) e_t − μ e_{t−1} − η ξ_t for e = w − w*.


def heavy_ball_spectral_radius(*, step: float, momentum: float) -> float:
    """The largest |z| of z² − (1 + μ − ηλ) z + μ = 0, ``step`` = ηλ: the error's contraction per step."""
    a1 = 1.0 + momentum - step
    discriminant = a1 * a1 - 4.0 * momentum
    if discriminant < 0:
        return momentum ** 0.5  # complex roots of modulus √μ
    root = discriminant ** 0.5
    return max(abs(a1 + root), abs(a1 - root)) / 2.0


def heavy_ball_stationary_variance(*, lr: float, curvature: float, momentum: float, noise_variance: float) -> float:
    """Exact stationary Var(w) of SGD with momentum μ on ½λ(w − w*)² with gradient noise of variance s².

    The AR(2) variance γ₀ = (1 − a₂)σ_ε² / ((1 + a₂)((1 − a₂)² − a₁²)) with a₁ = 1 + μ − ηλ, a₂ = −μ,
    σ_ε² = η²s²:
        Var(w) = (1 + μ) η s² / ((1 − μ) λ (2(1 + μ) − ηλ)),
    which is η s² / (λ(2 − ηλ)) without momentum, and tends to η s² / (2(1 − μ)λ) as ηλ → 0 (the
    Langevin value). Infinite where the recursion is unstable (ηλ ≥ 2(1 + μ)).
    """
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"Invalid momentum value: {momentum}")
    if not (lr > 0 and curvature > 0 and noise_variance >= 0):
        raise ValueError(f"lr, curvature must be > 0 and noise_variance >= 0, got {lr}, {curvature}, {noise_variance}")
    step = lr * curvature
    if step >= 2.0 * (1.0 + momentum):
        return float("inf")
    return (1.0 + momentum) * lr * noise_variance / ((1.0 - momentum) * curvature * (2.0 * (1.0 + momentum) - step))
