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

Empirical risk minimization for classification (*Statistical Learning Guarantees*):

- two classifiers, f₁ ≡ +1 and f₂ ≡ −1, labels P(y = +1) = (1 + δ)/2: ERM picks f₂ when fewer
  than half of the n labels are +1 (a coin decides ties), and f₂'s excess error is δ. The expected
  excess error is a binomial sum, computed exactly.
- thresholds h_t(x) = sign(x − t) on x ~ U[0, 1], labels sign(x − t*) flipped with probability
  (1 − δ)/2 (Massart noise with margin δ): the excess error of h_t is δ|t − t*|, and ERM is a scan
  over the n + 1 gaps between sorted points.
"""

from __future__ import annotations

import math

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


# --- empirical risk minimization: two classifiers -------------------------------------------------


def two_classifier_excess(n: int, delta: Tensor) -> Tensor:
    """E[err(f̂) − err(f*)] of ERM over {+1, −1} from n labels with P(y = +1) = (1 + δ)/2, δ ≥ 0.

        δ · [P(K < n/2) + ½ P(K = n/2)],   K ~ Binomial(n, (1 + δ)/2)

    computed from log-probabilities, elementwise in ``delta`` (any shape).
    """
    if n < 1:
        raise ValueError(f"sample size must be >= 1, got {n}")
    delta = torch.as_tensor(delta, dtype=torch.float64)
    k = torch.arange(n + 1, dtype=torch.float64)
    p = ((1 + delta) / 2).clamp(max=1.0).unsqueeze(-1)
    log_choose = math.lgamma(n + 1) - torch.lgamma(k + 1) - torch.lgamma(n - k + 1)
    log_pmf = log_choose + torch.special.xlogy(k, p) + torch.special.xlogy(n - k, 1 - p)  # exact at p = 1
    weight = torch.where(2 * k < n, 1.0, torch.where(2 * k == n, 0.5, 0.0)).to(torch.float64)
    log_wrong = torch.logsumexp(log_pmf + torch.log(weight), dim=-1)
    return delta * torch.exp(log_wrong)


# --- empirical risk minimization: thresholds -----------------------------------------------------


def sorted_uniforms(replicates: int, n: int, *, generator: torch.Generator, dtype=torch.float64,
                    device=None) -> Tensor:
    """n sorted U[0, 1] draws per replicate, shape (R, n): normalized partial sums of n + 1
    exponentials (the order statistics' joint law), without a sort."""
    exponentials = -torch.log1p(-torch.rand(replicates, n + 1, generator=generator, dtype=dtype, device=device))
    sums = exponentials.cumsum(dim=-1)
    return sums[:, :n] / sums[:, n:]


def threshold_erm(x: Tensor, y: Tensor) -> Tensor:
    """The empirical risk minimizer t̂ of h_t(x) = sign(x − t) for each replicate.

    x is sorted along the last axis, y ∈ {−1, +1}. Placing t in gap k (after the first k points)
    errs on the +1 labels among the first k and the −1 labels among the rest; the first minimizing
    gap is taken and t̂ is its midpoint (gaps 0 and n end at 0 and 1).
    """
    positives_before = torch.cat([torch.zeros_like(y[..., :1]), (y > 0).to(x.dtype).cumsum(dim=-1)], dim=-1)
    negatives = (y < 0).to(x.dtype)
    negatives_from = negatives.sum(dim=-1, keepdim=True) - torch.cat(
        [torch.zeros_like(y[..., :1]), negatives.cumsum(dim=-1)], dim=-1)
    gap = torch.argmin(positives_before + negatives_from, dim=-1, keepdim=True)  # (R, 1), first minimum
    ends = torch.cat([torch.zeros_like(x[..., :1]), x, torch.ones_like(x[..., :1])], dim=-1)
    return (0.5 * (ends.gather(-1, gap) + ends.gather(-1, gap + 1))).squeeze(-1)


def threshold_excess(replicates: int, n: int, *, delta: float, t_star: float, generator: torch.Generator,
                     device=None) -> Tensor:
    """err(ĥ) − err(h_{t*}) = δ|t̂ − t*| of ERM over thresholds, one value per replicate, for n
    points x ~ U[0, 1] labelled sign(x − t*) and flipped with probability (1 − δ)/2."""
    if not 0 <= delta <= 1:
        raise ValueError(f"the margin δ must be in [0, 1], got {delta}")
    x = sorted_uniforms(replicates, n, generator=generator, device=device)
    clean = torch.where(x > t_star, 1.0, -1.0).to(x.dtype)
    flipped = torch.rand(replicates, n, generator=generator, dtype=x.dtype, device=device) < (1 - delta) / 2
    y = torch.where(flipped, -clean, clean)
    return delta * (threshold_erm(x, y) - t_star).abs()
