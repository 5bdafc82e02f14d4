"""Learning problems whose test error is known exactly, for lecture 001's generalization slides
(001-15, 001-16).

Polynomial regression (*An Illustration*): fit (x_i, y_i), i = 1 … n, with f_d(x) = φ_d(x)ᵀw by
least squares. The features are Legendre polynomials P_0 … P_d (the same span as 1, x, …, x^d,
much better conditioned), orthogonal for x ~ U[−1, 1]: E[P_j P_k] = δ_jk / (2k + 1). So for a
target with Legendre coefficients c, the test error of coefficients ŵ splits exactly into

    E_x[(f̂ − f̃)²] = Σ_{k ≤ d} (ŵ_k − c_k)²/(2k + 1)  +  Σ_{k > d} c_k²/(2k + 1)
                    learning (estimation) error          approximation error

(the second term is err(f*) − err(f_Bayes) for the best f* of degree d; the first is
err(f̂) − err(f*)).

Empirical risk minimization for classification (*Statistical Learning Guarantees*, 001-16): unions
of at most k intervals on [0, 1] (VC dimension 2k), so that complexity(F) can vary.

The problem D_{k,δ}: x ~ U[0, 1]; the target t_k(x) = +1 on the k intervals [(2j + 1)L, (2j + 2)L),
j = 0 … k − 1, L = 1/(2k + 1), and −1 elsewhere (2k boundaries, each a segment L from its neighbours
or from an end of [0, 1]); y = t_k(x) flipped with probability (1 − δ)/2 (Massart noise, margin δ), so
2η(x) − 1 = δ t_k(x). t_k ∈ F_k is f* (and the Bayes classifier). For h ∈ F_k,
err(h) = err(∅) − δ ∫_h t_k, and ∫_{t_k} t_k = k/(2k + 1), so the excess error is exactly

    err(h) − err(f*) = δ (k/(2k + 1) − ∫_h t_k),   ∫_h t_k = Σ_intervals Γ_k(right) − Γ_k(left).

ERM is a dynamic programme over the sorted points (``union_erm``).
"""

from __future__ import annotations

import torch
from torch import Tensor

# --- polynomial regression in the Legendre basis ------------------------------------------------


def legendre_features(x: Tensor, degree: int) -> Tensor:
    """[P_0(x), …, P_degree(x)], shape (*x.shape, degree + 1), by Bonnet's recurrence
    (k + 1) P_{k+1} = (2k + 1) x P_k − k P_{k−1} (numpy.polynomial.legendre.legvander's values)."""
    if degree < 0:
        raise ValueError(f"degree must be >= 0, got {degree}")
    columns = [torch.ones_like(x), x]
    for k in range(1, degree):
        columns.append(((2 * k + 1) * x * columns[k] - k * columns[k - 1]) / (k + 1))
    return torch.stack(columns[: degree + 1], dim=-1)


def legendre_norms(degree: int, *, dtype: torch.dtype = torch.float64, device=None) -> Tensor:
    """E[P_k(x)²] = 1/(2k + 1) for x ~ U[−1, 1], k = 0 … degree."""
    return 1.0 / (2 * torch.arange(degree + 1, dtype=dtype, device=device) + 1)


def polynomial_fit_errors(x: Tensor, y: Tensor, target: Tensor, degree: int) -> tuple[Tensor, float]:
    """Least-squares fit of degree ``degree`` to each replicate's (x, y), shape (R, n) each.

    ``target`` holds the Legendre coefficients of f̃ (length m). Returns the learning errors
    Σ_{k≤d} (ŵ_k − c_k)²/(2k + 1), shape (R,), and the approximation error Σ_{k>d} c_k²/(2k + 1).
    With n = degree + 1 points the fit interpolates.
    """
    features = legendre_features(x, degree)  # (R, n, d + 1)
    fitted = torch.linalg.lstsq(features, y.unsqueeze(-1)).solution.squeeze(-1)  # (R, d + 1)
    norms = legendre_norms(max(degree, target.shape[-1] - 1), dtype=x.dtype, device=x.device)
    padded = torch.zeros(degree + 1, dtype=x.dtype, device=x.device)
    kept = min(degree + 1, target.shape[-1])
    padded[:kept] = target[:kept]
    learning = ((fitted - padded).square() * norms[: degree + 1]).sum(dim=-1)
    approximation = float((target[kept:].square() * norms[kept : target.shape[-1]]).sum())
    return learning, approximation


# --- empirical risk minimization: unions of k intervals -----------------------------------------


def sorted_uniforms(replicates: int, n: int, *, generator: torch.Generator, dtype=torch.float64,
                    device=None) -> Tensor:
    """n sorted U[0, 1] draws per replicate, shape (R, n): normalized partial sums of n + 1
    exponentials (the order statistics' joint law), without a sort."""
    exponentials = -torch.log1p(-torch.rand(replicates, n + 1, generator=generator, dtype=dtype, device=device))
    sums = exponentials.cumsum(dim=-1)
    return sums[:, :n] / sums[:, n:]


def target_primitive(u: Tensor, k: int) -> Tensor:
    """Γ_k(u) = ∫_0^u t_k(x) dx = −L·(1 − |r − 1|), r = (u/L) mod 2, L = 1/(2k + 1): a triangle wave."""
    segment = 1.0 / (2 * k + 1)
    r = torch.remainder(u / segment, 2.0)
    return -segment * (1 - (r - 1).abs())


def target_labels(x: Tensor, k: int) -> Tensor:
    """t_k(x) ∈ {−1, +1}: [0, 1] cut into 2k + 1 equal segments, −1 on the even ones, +1 on the odd ones."""
    odd = torch.remainder(torch.floor(x * (2 * k + 1)), 2.0) == 1
    return torch.where(odd, 1.0, -1.0).to(x.dtype)


def target_mass(k: int) -> float:
    """∫ t_k⁺ = k/(2k + 1): the length of the target's k intervals."""
    return k / (2 * k + 1)


def interval_problem(replicates: int, n: int, k: int, delta: Tensor, *, generator: torch.Generator,
                     device=None) -> tuple[Tensor, Tensor]:
    """n sorted draws of D_{k,δ} per replicate (δ: shape (R,) or scalar).

    Returns the labels y, shape (R, n), and Γ_k at the n + 1 cuts, shape (R, n + 1): the midpoints
    of the gaps 0 < x_(1) < … < x_(n) < 1. Cut i is where an interval that starts at point i, or
    ends just before it, ends.
    """
    x = sorted_uniforms(replicates, n, generator=generator, device=device)
    flipped = torch.rand(replicates, n, generator=generator, dtype=x.dtype, device=device) < (
        (1 - torch.as_tensor(delta, dtype=x.dtype, device=device)) / 2).reshape(-1, 1)
    y = torch.where(flipped, -1.0, 1.0).to(x.dtype) * target_labels(x, k)
    ends = torch.cat([torch.zeros_like(x[:, :1]), x, torch.ones_like(x[:, :1])], dim=-1)
    return y, target_primitive(0.5 * (ends[:, :-1] + ends[:, 1:]), k)


def union_erm(y: Tensor, cuts: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Exact ERM over unions of at most k intervals, per replicate.

    err_S(h) = #{y = +1 outside h} + #{y = −1 inside h} = P − Σ_{i ∈ h} y_i, so ERM maximizes
    Σ_{i ∈ h} y_i over at most k runs of consecutive sorted points: the k-maximum-subarrays dynamic
    programme, O(n k), carrying beside each state's empirical sum the ∫_h t_k of its intervals from
    ``cuts`` (Γ_k at each cut, shape (R, n + 1): Γ_k at the right cut minus Γ_k at the left). States
    after point i, for j = 1 … k: open_j (the j-th interval contains point i) and best_j (at most j
    intervals, all closed):

        best_j ← max(best_j, open_j closed at cut i),   open_j ← max(open_j, best_{j−1} opened at cut i) + y_i.

    Ties keep the earlier state (the first minimizer). Returns (max Σ_{i∈ĥ} y_i, ∫_ĥ t_k), shape (R,).
    """
    if k < 1:
        raise ValueError(f"the number of intervals must be >= 1, got {k}")
    replicates, n = y.shape
    best_sum = torch.zeros(replicates, k + 1, dtype=y.dtype, device=y.device)
    best_mass = torch.zeros_like(best_sum)
    open_sum = torch.full((replicates, k), -float("inf"), dtype=y.dtype, device=y.device)
    open_mass = torch.zeros_like(open_sum)
    for i in range(n + 1):
        cut = cuts[:, i : i + 1]
        closes = open_sum > best_sum[:, 1:]
        best_sum[:, 1:] = torch.where(closes, open_sum, best_sum[:, 1:])
        best_mass[:, 1:] = torch.where(closes, open_mass + cut, best_mass[:, 1:])
        if i == n:
            break
        opens = best_sum[:, :-1] > open_sum
        open_sum = torch.where(opens, best_sum[:, :-1], open_sum) + y[:, i : i + 1]
        open_mass = torch.where(opens, best_mass[:, :-1] - cut, open_mass)
    return best_sum[:, k], best_mass[:, k]
