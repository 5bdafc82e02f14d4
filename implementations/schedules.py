"""Step-size schedules η_t and the Robbins–Monro conditions of 003-11.

003-11: SGD needs step sizes whose sum is infinite (Σ_t η_t = ∞, so the iterates can reach any
point) and whose sum of squares is finite (Σ_t η_t² < ∞, so the noise dies down). 002-04 asks for
η → 0 "like 1/t". Every schedule here states both sums in closed form; ``robbins_monro`` reads them.

Convention: t = 0, 1, 2, … counts the steps already taken, so η_0 is the first step size, as in
torch.optim.lr_scheduler (the optimizer's lr before any ``scheduler.step()`` is η_0). A document's
η₀/t with t counted from 1 is ``inverse_time(η₀)`` here: η₀/(1 + t) at our t = their t − 1.

Schedules:
    constant(η₀)                η_t = η₀
    inverse_time(η₀, tau=τ)     η_t = η₀ / (1 + t/τ)        (1/t; torch ``LambdaLR``)
    inverse_square(η₀, tau=τ)   η_t = η₀ / (1 + t/τ)²       (1/t²)
    exponential(η₀, gamma=γ)    η_t = η₀ γᵗ                 (torch ``ExponentialLR``)
The first three are ``PowerDecay`` η₀ / (1 + t/τ)^p with p = 0, 1, 2; it satisfies Robbins–Monro
exactly when 1/2 < p ≤ 1 (and η₀ > 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Union

import numpy as np
from scipy.special import zeta


def _check_eta0(eta0: float) -> None:
    if not eta0 >= 0.0:
        raise ValueError(f"Invalid learning rate: {eta0}")


def _steps(t: int | np.ndarray) -> np.ndarray:
    """The step counts t = 0, 1, 2, … as float64 (an int or an array of them)."""
    t = np.asarray(t, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError(f"step counts must be >= 0, got {t.min()}")
    return t


def _scalar_or_array(value: np.ndarray) -> float | np.ndarray:
    return float(value) if value.ndim == 0 else value


@dataclass(frozen=True)
class PowerDecay:
    """η_t = η₀ / (1 + t/τ)^p for t = 0, 1, 2, …  (η₀ ≥ 0, τ > 0, p ≥ 0).

    Σ_t η_t = η₀ τ^p ζ(p, τ) for p > 1, else ∞; Σ_t η_t² = η₀² τ^{2p} ζ(2p, τ) for p > 1/2, else ∞;
    ζ(s, q) = Σ_{k≥0} (k + q)^{−s} is the Hurwitz zeta function (ζ(2, 1) = π²/6). Both are 0 when
    η₀ = 0.
    """

    eta0: float  # η₀ = η_0, the first step size
    tau: float  # τ > 0: the step count over which η halves (p = 1)
    power: float  # p ≥ 0: 0 constant, 1 inverse time, 2 inverse square

    def __post_init__(self) -> None:
        _check_eta0(self.eta0)
        if not self.tau > 0.0:
            raise ValueError(f"Invalid tau value: {self.tau}")
        if not self.power >= 0.0:
            raise ValueError(f"Invalid power value: {self.power}")

    def __call__(self, t: int | np.ndarray) -> float | np.ndarray:
        # η_t = η₀ / (1 + t/τ)^p
        return _scalar_or_array(self.eta0 / (1.0 + _steps(t) / self.tau) ** self.power)

    def sum(self) -> float:
        """Σ_{t≥0} η_t = η₀ τ^p ζ(p, τ)  (∞ for p ≤ 1)."""
        return self._sum_of_powers(1)

    def sum_of_squares(self) -> float:
        """Σ_{t≥0} η_t² = η₀² τ^{2p} ζ(2p, τ)  (∞ for p ≤ 1/2)."""
        return self._sum_of_powers(2)

    def _sum_of_powers(self, r: int) -> float:
        # Σ_t η_t^r = η₀^r Σ_t (1 + t/τ)^{−rp} = η₀^r τ^{rp} ζ(rp, τ), finite iff rp > 1
        if self.eta0 == 0.0:
            return 0.0
        if r * self.power <= 1.0:
            return math.inf
        return float(self.eta0**r * self.tau ** (r * self.power) * zeta(r * self.power, self.tau))


@dataclass(frozen=True)
class ExponentialDecay:
    """η_t = η₀ γᵗ for t = 0, 1, 2, …  (η₀ ≥ 0, γ ∈ [0, 1)).

    Σ_t η_t = η₀ / (1 − γ) and Σ_t η_t² = η₀² / (1 − γ²): both finite, so Robbins–Monro fails.
    """

    eta0: float  # η₀ = η_0, the first step size
    gamma: float  # γ ∈ [0, 1), the factor per step

    def __post_init__(self) -> None:
        _check_eta0(self.eta0)
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"Invalid gamma value: {self.gamma}")

    def __call__(self, t: int | np.ndarray) -> float | np.ndarray:
        # η_t = η₀ γᵗ
        return _scalar_or_array(self.eta0 * self.gamma ** _steps(t))

    def sum(self) -> float:
        """Σ_{t≥0} η₀ γᵗ = η₀ / (1 − γ)."""
        return self.eta0 / (1.0 - self.gamma)

    def sum_of_squares(self) -> float:
        """Σ_{t≥0} η₀² γ^{2t} = η₀² / (1 − γ²)."""
        return self.eta0**2 / (1.0 - self.gamma**2)


Schedule = Union[PowerDecay, ExponentialDecay]


def constant(eta0: float) -> PowerDecay:
    """η_t = η₀: Σ η_t = ∞ but Σ η_t² = ∞ too (for η₀ > 0)."""
    return PowerDecay(eta0, tau=1.0, power=0.0)


def inverse_time(eta0: float, *, tau: float = 1.0) -> PowerDecay:
    """η_t = η₀ / (1 + t/τ), the "1/t" schedule: Σ η_t = ∞, Σ η_t² = η₀² τ² ζ(2, τ) < ∞."""
    return PowerDecay(eta0, tau=tau, power=1.0)


def inverse_square(eta0: float, *, tau: float = 1.0) -> PowerDecay:
    """η_t = η₀ / (1 + t/τ)², the "1/t²" schedule: Σ η_t = η₀ τ² ζ(2, τ) < ∞ (it stops too soon)."""
    return PowerDecay(eta0, tau=tau, power=2.0)


def exponential(eta0: float, *, gamma: float) -> ExponentialDecay:
    """η_t = η₀ γᵗ: Σ η_t = η₀/(1 − γ) < ∞ (it stops too soon)."""
    return ExponentialDecay(eta0, gamma)


class RobbinsMonro(NamedTuple):
    """003-11's two conditions on a schedule, from its closed-form sums."""

    sum_of_steps: float  # Σ_t η_t (math.inf when it diverges)
    sum_of_squares: float  # Σ_t η_t² (math.inf when it diverges)
    steps_sum_diverges: bool  # Σ_t η_t = ∞: the iterates can travel arbitrarily far
    squares_sum_converges: bool  # Σ_t η_t² < ∞: the accumulated noise stays bounded
    satisfied: bool  # both


def robbins_monro(schedule: Schedule) -> RobbinsMonro:
    """Whether Σ_t η_t = ∞ and Σ_t η_t² < ∞ (003-11), from the schedule's closed-form sums."""
    total, total_of_squares = schedule.sum(), schedule.sum_of_squares()
    diverges, converges = math.isinf(total), math.isfinite(total_of_squares)
    return RobbinsMonro(total, total_of_squares, diverges, converges, diverges and converges)
