"""Running averages of the problem set "TTIC 31230 SGD Problems" (004) and iterate averaging (002).

Sequences are tensors of shape (T, ...): axis 0 is time t = 1, …, T and any further dimensions are
carried along elementwise (replicates, coordinates). Every recurrence starts from y_0 = 0 unless
stated and returns y_1, …, y_T with the shape of its input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import overload

import torch
from torch import Tensor


def _check_N(N: float) -> None:
    if not N >= 1:
        raise ValueError(f"averaging horizon N must be >= 1, got {N}")


def _check_sequence(xs: Tensor) -> None:
    if xs.ndim < 1 or xs.shape[0] < 1:
        shape = tuple(xs.shape)
        raise ValueError(f"a sequence needs a time axis of length >= 1, got shape {shape}")


def _scan(step: Callable[[Tensor, Tensor, int], Tensor], xs: Tensor, y0: Tensor | float) -> Tensor:
    """[y_1, …, y_T] with y_t = step(y_{t−1}, x_t, t)."""
    _check_sequence(xs)
    y = torch.zeros_like(xs[0]) + y0
    ys = []
    for t, x in enumerate(xs, start=1):
        y = step(y, x, t)
        ys.append(y)
    return torch.stack(ys)


@overload
def ema_step(mu: float, x: float, *, N: float) -> float: ...
@overload
def ema_step(mu: Tensor, x: Tensor | float, *, N: float) -> Tensor: ...
@overload
def ema_step(mu: float, x: Tensor, *, N: float) -> Tensor: ...
def ema_step(mu: Tensor | float, x: Tensor | float, *, N: float) -> Tensor | float:
    """One step of the exponential moving average (004-02):

        μ̂_t = (1 − 1/N) μ̂_{t−1} + x_t / N

    Two floats give a float; a tensor on either side gives a tensor (the overloads above).
    """
    _check_N(N)
    return (1 - 1 / N) * mu + x / N


def ema(xs: Tensor, *, N: float, mu0: Tensor | float = 0.0) -> Tensor:
    """μ̂_1, …, μ̂_T of the exponential moving average of xs (shape (T, ...)) from μ̂_0 = mu0."""
    _check_N(N)
    return _scan(lambda mu, x, t: ema_step(mu, x, N=N), xs, mu0)


def ema_variance(sigma2: float, N: float, t: int) -> float:
    """Var(μ̂_t) for i.i.d. x_t of variance σ² and μ̂_0 = 0.

    μ̂_t = (1/N) Σ_{k=1}^{t} ρ^{t−k} x_k with ρ = 1 − 1/N, so
        Var(μ̂_t) = σ²/N² · (1 − ρ^{2t}) / (1 − ρ²),
    which is σ² for N = 1 (ρ = 0) and every t >= 1.
    """
    _check_N(N)
    if t < 0:
        raise ValueError(f"time t must be >= 0, got {t}")
    rho = 1 - 1 / N
    return sigma2 / N**2 * (1 - rho ** (2 * t)) / (1 - rho**2)


def ema_limit_variance(sigma2: float, N: float) -> float:
    """lim_{t→∞} Var(μ̂_t) = σ² / ((2 − 1/N) N) (004-02); σ² for N = 1, ≈ σ²/(2N) for large N."""
    _check_N(N)
    return sigma2 / ((2 - 1 / N) * N)


def momentum_sum(xs: Tensor, *, N: float) -> Tensor:
    """y_t = (1 − 1/N) y_{t−1} + x_t (004-04): for x_t = c, y_t → Nc; y_t = N μ̂_t."""
    _check_N(N)
    return _scan(lambda y, x, t: (1 - 1 / N) * y + x, xs, 0.0)


def bias_corrected_average(xs: Tensor, *, N: float) -> Tensor:
    """y_t = (1 − 1/min(t, N)) y_{t−1} + x_t / min(t, N) (004-05): for x_t = c, y_t = c for t >= 1.

    For t <= N this is the plain running mean of x_1..x_t; afterwards it is the EMA.
    """
    _check_N(N)

    def step(y: Tensor, x: Tensor, t: int) -> Tensor:
        horizon = min(t, N)
        return (1 - 1 / horizon) * y + x / horizon

    return _scan(step, xs, 0.0)


def iterate_average(ws: Tensor, *, last: int | None = None) -> Tensor:
    """(1/T̃) Σ_{t > T − T̃} w_t, the average of the last T̃ = ``last`` iterates (002-04);
    all of them if ``last`` is None.

    ws has shape (T, ...); the result has shape (...).
    """
    _check_sequence(ws)
    T = ws.shape[0]
    if last is None:
        last = T
    if not 1 <= last <= T:
        raise ValueError(f"last must be in [1, {T}] for {T} iterates, got {last}")
    return ws[T - last :].mean(dim=0)
