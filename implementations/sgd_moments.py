"""Exact first and second moments of SGD on one-dimensional linear problems (notes 003-11).

On a problem whose per-example gradient is affine in the weight, one SGD step is a random affine
map of the error e_t = w_t − w*:

    e_{t+1} = A_t e_t + B_t,   (A_t, B_t) drawn afresh at every step, independent of e_t,

so the mean m_t = E[e_t] and the second moment s_t = E[e_t²] follow exactly

    m_{t+1} = E[A_t] m_t + E[B_t]
    s_{t+1} = E[A_t²] s_t + 2 E[A_t B_t] m_t + E[B_t²]

and E[(w_t − w*)²] = s_t is the mean-square distance to the optimum, known without Monte Carlo.
Two problem families give (A_t, B_t):

* ``noisy_quadratic_coefficients``: E(w) = ½λ(w − w*)² with gradients perturbed by independent
  noise of variance σ², ∇̂ = λe + ξ:  A_t = 1 − η_tλ,  B_t = −η_t ξ_t.
* ``least_squares_coefficients``: f_i(w) = ½(x_i w − y_i)², one example i drawn uniformly (with
  replacement) per step. With r_i = y_i − x_i w*: A_t = 1 − η_t x_i², B_t = η_t x_i r_i.

``tests/test_sgd_moments.py`` checks both against Monte Carlo runs of SGD.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class StepMoments(NamedTuple):
    """E[A_t], E[A_t²], E[B_t], E[B_t²], E[A_t B_t] for t = 0 … T − 1, each float64 ``(T,)``."""

    a: np.ndarray
    a_sq: np.ndarray
    b: np.ndarray
    b_sq: np.ndarray
    ab: np.ndarray


class ErrorMoments(NamedTuple):
    """E[e_t] and E[e_t²] for t = 0 … T, each float64 ``(T + 1,)``."""

    mean: np.ndarray
    second: np.ndarray


def _steps(etas) -> np.ndarray:
    etas = np.asarray(etas, dtype=np.float64)
    if etas.ndim != 1:
        raise ValueError(f"step sizes must be a 1-d sequence, got shape {etas.shape}")
    if np.any(etas < 0):
        raise ValueError(f"step sizes must be >= 0, got {etas.min()}")
    return etas


def noisy_quadratic_coefficients(etas, *, lam: float, sigma2: float) -> StepMoments:
    """SGD on ½λ(w − w*)² with additive gradient noise ξ_t, E ξ = 0, E ξ² = σ²."""
    if not lam > 0:
        raise ValueError(f"curvature λ must be > 0, got {lam}")
    if not sigma2 >= 0:
        raise ValueError(f"noise variance σ² must be >= 0, got {sigma2}")
    etas = _steps(etas)
    # e_{t+1} = (1 − η_t λ) e_t − η_t ξ_t
    a = 1.0 - etas * lam
    zeros = np.zeros_like(etas)
    return StepMoments(a, a * a, zeros, etas * etas * sigma2, zeros)


def least_squares_coefficients(etas, *, x, y) -> StepMoments:
    """SGD on F(w) = (1/n) Σ_i ½(x_i w − y_i)², one uniformly drawn example per step."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 1:
        raise ValueError(f"x and y must be non-empty 1-d arrays of one length, got {x.shape} and {y.shape}")
    if not np.any(x != 0):
        raise ValueError("x must have a non-zero entry, or w* is not defined")
    etas = _steps(etas)
    w_star = float(x @ y / (x @ x))
    r = y - x * w_star  # residuals at the optimum: Σ_i x_i r_i = 0
    x2 = x * x
    # e_{t+1} = (1 − η_t x_i²) e_t + η_t x_i r_i, averaged over i
    mean_x2, mean_x4 = x2.mean(), (x2 * x2).mean()
    mean_xr, mean_x2r2, mean_x3r = (x * r).mean(), (x2 * r * r).mean(), (x2 * x * r).mean()
    a = 1.0 - etas * mean_x2
    a_sq = 1.0 - 2.0 * etas * mean_x2 + etas * etas * mean_x4
    b = etas * mean_xr
    b_sq = etas * etas * mean_x2r2
    ab = etas * mean_xr - etas * etas * mean_x3r
    return StepMoments(a, a_sq, b, b_sq, ab)


def error_moments(coefficients: StepMoments, *, e0: float) -> ErrorMoments:
    """m_t and s_t from a deterministic start e_0 (m_0 = e_0, s_0 = e_0²)."""
    a, a_sq, b, b_sq, ab = (c.tolist() for c in coefficients)
    mean, second = [float(e0)], [float(e0) ** 2]
    m, s = mean[0], second[0]
    for t in range(len(a)):
        # s_{t+1} = E[A²] s_t + 2 E[AB] m_t + E[B²];  m_{t+1} = E[A] m_t + E[B]
        s = a_sq[t] * s + 2.0 * ab[t] * m + b_sq[t]
        m = a[t] * m + b[t]
        mean.append(m)
        second.append(s)
    return ErrorMoments(np.array(mean), np.array(second))
