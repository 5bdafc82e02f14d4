"""Ridge and lasso estimators in the form lecture 001 writes the penalized loss (001-17, 001-19).

    ridge   L_λ(w) = ‖Xw − y‖² + λ‖w‖²       ŵ = (XᵀX + λI)⁻¹ Xᵀy
    lasso   L_λ(w) = ‖Xw − y‖² + λ‖w‖₁       no closed form; proximal gradient (ISTA/FISTA)

Both in the document's sum form (no ½, no 1/n). The lasso solution is found by FISTA and then
*polished*: on the support and signs FISTA identifies, the optimality conditions are linear, and
their solution is accepted only if it satisfies every KKT condition

    2X_jᵀ(y − Xŵ) = λ sign(ŵ_j)   (ŵ_j ≠ 0),        |2X_jᵀ(y − Xŵ)| ≤ λ   (ŵ_j = 0),

so the zeros it returns are exact zeros of a certified minimizer, not iterates that stopped early.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


def _check_design(X: Tensor, y: Tensor) -> None:
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, d) and y (n,), got {tuple(X.shape)} and {tuple(y.shape)}")


def _check_lam(lam: float) -> None:
    if not lam > 0:
        raise ValueError(f"the penalty weight λ must be > 0, got {lam}")


def ridge_solution(X: Tensor, y: Tensor, *, lam: float) -> Tensor:
    """ŵ = (XᵀX + λI)⁻¹ Xᵀy, the minimizer of ‖Xw − y‖² + λ‖w‖² (a Cholesky solve: XᵀX + λI ≻ 0)."""
    _check_design(X, y)
    _check_lam(lam)
    gram = X.mT @ X + lam * torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
    factor = torch.linalg.cholesky(gram)
    return torch.cholesky_solve((X.mT @ y).unsqueeze(-1), factor).squeeze(-1)


def soft_threshold(v: Tensor, threshold: float) -> Tensor:
    """prox of threshold·‖·‖₁: sign(v)·max(|v| − threshold, 0), exactly 0 where |v| ≤ threshold."""
    return torch.sign(v) * torch.clamp(v.abs() - threshold, min=0.0)


def lasso_lambda_max(X: Tensor, y: Tensor) -> float:
    """2‖Xᵀy‖_∞: the smallest λ at which ŵ = 0 minimizes ‖Xw − y‖² + λ‖w‖₁."""
    _check_design(X, y)
    return float(2 * (X.mT @ y).abs().max())


class LassoResult(NamedTuple):
    w: Tensor  # (d,) the minimizer; exact zeros off the support
    kkt_violation: float  # max over j of the KKT residual, relative to λ (0 for an exact solution)
    steps: int  # FISTA steps taken before the polished solution was certified


def lasso_kkt_violation(X: Tensor, y: Tensor, w: Tensor, *, lam: float) -> float:
    """The largest violation of the lasso's KKT conditions at w, in units of λ."""
    correlation = 2 * X.mT @ (y - X @ w)  # −∇‖Xw − y‖²
    on = w != 0
    off_violation = torch.clamp(correlation[~on].abs() - lam, min=0.0)
    on_violation = (correlation[on] - lam * torch.sign(w[on])).abs()
    worst = torch.cat([off_violation, on_violation])
    return float(worst.max()) / lam if worst.numel() else 0.0


def _polish(X: Tensor, y: Tensor, w: Tensor, lam: float) -> Tensor | None:
    """Solve the KKT system on w's support and signs; None if the result changes a sign."""
    support = w != 0
    if not bool(support.any()):
        return torch.zeros_like(w)
    Xs, signs = X[:, support], torch.sign(w[support])
    # 2X_SᵀX_S w_S = 2X_Sᵀy − λ s_S
    rhs = X.mT[support] @ y - lam / 2 * signs
    try:
        ws = torch.linalg.solve(Xs.mT @ Xs, rhs)
    except RuntimeError:  # a singular X_SᵀX_S: the support is not yet the solution's
        return None
    if not bool((torch.sign(ws) == signs).all()):
        return None
    polished = torch.zeros_like(w)
    polished[support] = ws
    return polished


def lasso_solution(
    X: Tensor, y: Tensor, *, lam: float, tol: float = 1e-9, max_steps: int = 200_000, check_every: int = 100
) -> LassoResult:
    """The minimizer of ‖Xw − y‖² + λ‖w‖₁ by FISTA from w = 0, polished on its support.

    FISTA: z = w_k + (t_{k−1} − 1)/t_k (w_k − w_{k−1}),  w_{k+1} = S_{λ/L}(z − ∇f(z)/L) with
    ∇f = 2Xᵀ(Xz − y), L = 2λ_max(XᵀX). Every ``check_every`` steps the iterate's support and
    signs are polished (see the module docstring); the first polished point whose KKT violation
    is at most ``tol`` (relative to λ) is returned. Raises if none is found in ``max_steps``.
    """
    _check_design(X, y)
    _check_lam(lam)
    smoothness = 2 * float(torch.linalg.eigvalsh(X.mT @ X)[-1])
    if smoothness == 0.0:
        return LassoResult(torch.zeros(X.shape[1], dtype=X.dtype, device=X.device), 0.0, 0)
    w = w_prev = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    t_prev = 1.0
    Xty = X.mT @ y
    gram = X.mT @ X
    for step in range(1, max_steps + 1):
        t = (1 + (1 + 4 * t_prev**2) ** 0.5) / 2
        z = w + (t_prev - 1) / t * (w - w_prev)
        w_prev, w = w, soft_threshold(z - 2 * (gram @ z - Xty) / smoothness, lam / smoothness)
        t_prev = t
        if step % check_every == 0:
            polished = _polish(X, y, w, lam)
            if polished is not None:
                violation = lasso_kkt_violation(X, y, polished, lam=lam)
                if violation <= tol:
                    return LassoResult(polished, violation, step)
    raise RuntimeError(f"lasso: no solution certified to KKT tolerance {tol} in {max_steps} FISTA steps")
