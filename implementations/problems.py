"""Finite-sum test problems F(w) = (1/n) Σ_i f_i(w), generated from a seed.

Every problem is a frozen dataclass of tensors built by a ``make_*`` function that draws all of
its randomness from one CPU ``torch.Generator`` seeded with ``seed``, builds the problem in float64
on the CPU, and only then casts it to the requested dtype and moves it to the requested device. A
CUDA generator draws other numbers than a CPU one, so this is what makes a seed the same problem on
every device: the problem made with ``device=X`` is the CPU one moved to X, bit for bit. The
constants a theorem needs (smoothness L, strong convexity μ, minimizer w*, F(w*)) are computed
once, in float64 on the CPU, when the problem is made.

Shapes: a parameter ``w`` is ``(d,)`` or ``(..., d)`` where the leading dimensions index
independent replicates; ``loss`` returns ``(...)``, ``example_losses`` ``(..., n)``, ``grad``
``(..., d)`` and ``per_example_grads`` ``(..., n, d)``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import Field, dataclass, fields, replace
from typing import Any, ClassVar, TypedDict, TypeVar

import torch
from torch import Tensor
from torch.nn.functional import softplus


class FiniteSumProblem(ABC):
    """Interface shared by the problems: data ``X`` (n, d), targets ``y`` (n,) and the constants
    ``smoothness`` (L, the Lipschitz constant of ∇F), ``strong_convexity`` (μ, 0.0 if none),
    ``minimizer`` (d,) and ``optimal_value`` F(w*).

    Every problem is a frozen dataclass; ``__dataclass_fields__`` says so to a type checker, so
    that ``dataclasses.fields`` and ``replace`` accept any problem."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    X: Tensor
    y: Tensor
    smoothness: float
    strong_convexity: float
    minimizer: Tensor
    optimal_value: float

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    def loss(self, w: Tensor) -> Tensor:
        """F(w) = (1/n) Σ_i f_i(w), shape (...)."""
        return self.example_losses(w).mean(dim=-1)

    @abstractmethod
    def example_losses(self, w: Tensor) -> Tensor:
        """f_i(w) for every i, shape (..., n)."""

    @abstractmethod
    def grad(self, w: Tensor) -> Tensor:
        """∇F(w), shape (..., d)."""

    @abstractmethod
    def per_example_grads(self, w: Tensor) -> Tensor:
        """∇f_i(w) for every i, shape (..., n, d)."""


def _generator(seed: int) -> torch.Generator:
    """The CPU generator a problem's data is drawn from, whatever device the problem goes to."""
    return torch.Generator().manual_seed(seed)


class _Factory(TypedDict):
    """Keywords of a torch factory function (``torch.randn``, ``torch.zeros``, …)."""

    dtype: torch.dtype
    device: str


_F64: _Factory = {"dtype": torch.float64, "device": "cpu"}  # what every problem is built in, before _finalize


def _random_orthonormal(rows: int, cols: int, generator: torch.Generator) -> Tensor:
    """A (rows, cols) matrix with orthonormal columns: the Q factor of a Gaussian matrix."""
    gaussian = torch.randn(rows, cols, generator=generator, **_F64)
    return torch.linalg.qr(gaussian).Q


Problem = TypeVar("Problem", bound=FiniteSumProblem)


def _finalize(exact: Problem, dtype: torch.dtype, device: torch.device | str) -> Problem:
    """Set F(w*) from the float64 CPU problem ``exact``, then cast its tensors to ``dtype`` and
    move them to ``device``."""
    optimal_value = exact.loss(exact.minimizer).item()
    tensors = {
        f.name: getattr(exact, f.name).to(device=device, dtype=dtype)
        for f in fields(exact)
        if isinstance(getattr(exact, f.name), Tensor)
    }
    return replace(exact, optimal_value=optimal_value, **tensors)


def _check_sizes(n: int, d: int) -> None:
    if n < 1:
        raise ValueError(f"number of examples n must be >= 1, got {n}")
    if d < 1:
        raise ValueError(f"dimension d must be >= 1, got {d}")


# --- least squares (lecture 001-04) -------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # tensors have no boolean ==
class LeastSquares(FiniteSumProblem):
    """f_i(w) = ½(x_iᵀw − y_i)², so F(w) = (1/2n)‖Xw − y‖².

    ∇F(w) = (XᵀXw − Xᵀy)/n, L = λ_max(XᵀX)/n, μ = λ_min(XᵀX)/n. Lecture 001-04 writes the
    sum form f(w) = ½‖y − Xw‖² = n·F(w); see ``document_loss`` and ``document_smoothness``.
    """

    X: Tensor
    y: Tensor
    smoothness: float
    strong_convexity: float
    minimizer: Tensor
    optimal_value: float

    def residuals(self, w: Tensor) -> Tensor:
        """r_i = x_iᵀw − y_i, shape (..., n)."""
        return w @ self.X.mT - self.y

    def example_losses(self, w: Tensor) -> Tensor:
        return 0.5 * self.residuals(w).square()

    def grad(self, w: Tensor) -> Tensor:
        # ∇F(w) = Xᵀ(Xw − y)/n
        return self.residuals(w) @ self.X / self.n

    def per_example_grads(self, w: Tensor) -> Tensor:
        # ∇f_i(w) = (x_iᵀw − y_i) x_i
        return self.residuals(w).unsqueeze(-1) * self.X

    def document_loss(self, w: Tensor) -> Tensor:
        """The document's f(w) = ½‖y − Xw‖² (a sum, not a mean): n·F(w)."""
        return 0.5 * self.residuals(w).square().sum(dim=-1)

    @property
    def document_smoothness(self) -> float:
        """λ_max(XᵀX), the Lipschitz constant of ∇f for the document's sum form."""
        return self.n * self.smoothness


def make_least_squares(
    n: int,
    d: int,
    *,
    condition: float = 10.0,
    noise: float = 0.1,
    seed: int,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> LeastSquares:
    """Least squares with XᵀX/n of condition number ``condition``.

    X = √n · U diag(s) Vᵀ with U (n×d) and V (d×d) orthonormal and s geometric from 1 to
    √condition, so the eigenvalues of XᵀX/n run geometrically from 1 to ``condition`` (for
    d = 1 the only eigenvalue is 1). y = X w_true + noise·ε with w_true, ε ~ N(0, I).
    """
    _check_sizes(n, d)
    if n < d:
        raise ValueError(f"least squares needs n >= d for a unique minimizer, got n={n}, d={d}")
    if condition < 1:
        raise ValueError(f"condition number must be >= 1, got {condition}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    generator = _generator(seed)
    U = _random_orthonormal(n, d, generator)
    V = _random_orthonormal(d, d, generator)
    s = torch.logspace(0.0, 0.5 * math.log10(condition), d, **_F64)
    X = n**0.5 * (U * s) @ V.mT
    w_true = torch.randn(d, generator=generator, **_F64)
    y = X @ w_true + noise * torch.randn(n, generator=generator, **_F64)

    eigenvalues = torch.linalg.eigvalsh(X.mT @ X / n)
    exact = LeastSquares(
        X=X,
        y=y,
        smoothness=eigenvalues[-1].item(),
        strong_convexity=eigenvalues[0].item(),
        # the least-squares solution X⁺y from the SVD X = √n U diag(s) Vᵀ (LAPACK's lstsq is
        # not bitwise reproducible across calls, and a seed must fix the problem exactly)
        minimizer=V @ ((U.mT @ y) / (n**0.5 * s)),
        optimal_value=math.nan,
    )
    return _finalize(exact, dtype, device)


# --- l2-regularized logistic regression ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LogisticRegression(FiniteSumProblem):
    """f_i(w) = log(1 + exp(−y_i x_iᵀw)) + (λ/2)‖w‖² with labels y_i ∈ {−1, +1}.

    ∇f_i(w) = −y_i σ(−y_i x_iᵀw) x_i + λw, L = λ_max(XᵀX)/(4n) + λ (σ' ≤ 1/4), μ = λ.
    """

    X: Tensor
    y: Tensor
    l2: float
    smoothness: float
    strong_convexity: float
    minimizer: Tensor
    optimal_value: float

    def margins(self, w: Tensor) -> Tensor:
        """m_i = y_i x_iᵀw, shape (..., n)."""
        return self.y * (w @ self.X.mT)

    def example_losses(self, w: Tensor) -> Tensor:
        # log(1 + exp(−m_i)) = softplus(−m_i), stable for large |m_i|
        regularizer = 0.5 * self.l2 * w.square().sum(dim=-1, keepdim=True)
        return softplus(-self.margins(w)) + regularizer

    def _coefficients(self, w: Tensor) -> Tensor:
        """c_i = −y_i σ(−m_i), so that ∇f_i(w) = c_i x_i + λw."""
        return -self.y * torch.sigmoid(-self.margins(w))

    def grad(self, w: Tensor) -> Tensor:
        return self._coefficients(w) @ self.X / self.n + self.l2 * w

    def per_example_grads(self, w: Tensor) -> Tensor:
        return self._coefficients(w).unsqueeze(-1) * self.X + self.l2 * w.unsqueeze(-2)

    def hessian_at(self, w: Tensor) -> Tensor:
        """∇²F(w) = Xᵀ diag(σ(m)σ(−m)) X / n + λI for a single w of shape (d,)."""
        m = self.margins(w)
        curvature = torch.sigmoid(m) * torch.sigmoid(-m)
        identity = torch.eye(self.d, dtype=w.dtype, device=w.device)
        return (self.X.mT * curvature) @ self.X / self.n + self.l2 * identity


def _newton_minimize(problem: LogisticRegression, *, tol: float, max_steps: int = 100) -> Tensor:
    """Newton's method from w = 0 until ‖∇F(w)‖ < tol.

    The step w − t H⁻¹∇F is halved until it decreases ‖∇F‖ (it does for small t, since
    d/dt ‖∇F‖² = −2‖∇F‖² at t = 0); unlike F, ‖∇F‖ stays measurable near the optimum.
    """
    w = torch.zeros(problem.d, dtype=problem.X.dtype, device=problem.X.device)
    for _ in range(max_steps):
        g = problem.grad(w)
        g_norm = torch.linalg.vector_norm(g)
        if g_norm < tol:
            return w
        step = torch.linalg.solve(problem.hessian_at(w), g)
        t = 1.0
        while torch.linalg.vector_norm(problem.grad(w - t * step)) >= g_norm and t > 1e-10:
            t /= 2
        w = w - t * step
    raise RuntimeError(f"Newton's method did not reach gradient norm {tol} in {max_steps} steps")


def make_logistic_regression(
    n: int,
    d: int,
    *,
    l2: float = 1e-2,
    separation: float = 1.0,
    seed: int,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> LogisticRegression:
    """Logistic regression on Gaussian features x_i ~ N(0, I).

    Labels follow the logistic model P(y_i = +1 | x_i) = σ(separation · x_iᵀu) for a random unit
    vector u: a larger ``separation`` makes the classes more separable. The minimizer is found by
    Newton's method in float64 to ‖∇F‖ < 1e-12 and then cast to ``dtype``.
    """
    _check_sizes(n, d)
    if l2 <= 0:
        raise ValueError(f"l2 must be > 0 (it is the strong convexity), got {l2}")
    if separation < 0:
        raise ValueError(f"separation must be >= 0, got {separation}")
    generator = _generator(seed)
    X = torch.randn(n, d, generator=generator, **_F64)
    u = _random_orthonormal(d, 1, generator).squeeze(-1)
    p_positive = torch.sigmoid(separation * (X @ u))
    y = 2.0 * torch.bernoulli(p_positive, generator=generator) - 1.0

    exact = LogisticRegression(
        X=X,
        y=y,
        l2=l2,
        smoothness=torch.linalg.eigvalsh(X.mT @ X)[-1].item() / (4 * n) + l2,
        strong_convexity=l2,
        minimizer=torch.zeros(d, **_F64),
        optimal_value=math.nan,
    )
    exact = replace(exact, minimizer=_newton_minimize(exact, tol=1e-12))
    return _finalize(exact, dtype, device)


# --- quadratic ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Quadratic(FiniteSumProblem):
    """F(w) = ½wᵀAw + bᵀw + c with A = Q diag(λ) Qᵀ symmetric positive definite.

    A single "example" (n = 1): ``X`` is a (1, d) zero placeholder and ``y`` a (1,) zero
    placeholder, ``example_losses`` is F with a trailing axis of length 1 and
    ``per_example_grads`` is ∇F(w) = Aw + b with an n = 1 axis. L = λ_max, μ = λ_min,
    w* = −A⁻¹b.
    """

    X: Tensor
    y: Tensor
    hessian: Tensor
    b: Tensor
    c: float
    smoothness: float
    strong_convexity: float
    minimizer: Tensor
    optimal_value: float

    def loss(self, w: Tensor) -> Tensor:
        # ½wᵀAw + bᵀw + c
        return 0.5 * ((w @ self.hessian) * w).sum(dim=-1) + w @ self.b + self.c

    def example_losses(self, w: Tensor) -> Tensor:
        return self.loss(w).unsqueeze(-1)

    def grad(self, w: Tensor) -> Tensor:
        # Aw + b (A is symmetric)
        return w @ self.hessian + self.b

    def per_example_grads(self, w: Tensor) -> Tensor:
        return self.grad(w).unsqueeze(-2)


def make_quadratic(
    eigenvalues: Sequence[float] | Tensor,
    *,
    seed: int,
    rotate: bool = True,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> Quadratic:
    """A quadratic with Hessian eigenvalues ``eigenvalues`` (all > 0).

    Q is a random orthogonal matrix if ``rotate`` else the identity; b ~ N(0, I), c ~ N(0, 1).
    """
    lam = torch.as_tensor(eigenvalues, **_F64).flatten()
    if lam.numel() < 1:
        raise ValueError("eigenvalues must be non-empty, got 0 of them")
    if not bool((lam > 0).all()):
        raise ValueError(f"eigenvalues must all be > 0, got {lam.tolist()}")
    d = lam.numel()
    generator = _generator(seed)
    Q = _random_orthonormal(d, d, generator) if rotate else torch.eye(d, **_F64)
    A = (Q * lam) @ Q.mT
    A = 0.5 * (A + A.mT)
    b = torch.randn(d, generator=generator, **_F64)
    c = torch.randn((), generator=generator, **_F64).item()
    exact = Quadratic(
        X=torch.zeros(1, d, **_F64),
        y=torch.zeros(1, **_F64),
        hessian=A,
        b=b,
        c=c,
        smoothness=lam.max().item(),
        strong_convexity=lam.min().item(),
        minimizer=-torch.linalg.solve(A, b),
        optimal_value=math.nan,
    )
    return _finalize(exact, dtype, device)


# --- plain gradient descent ---------------------------------------------------------------------


def gradient_descent_trajectory(
    grad_fn: Callable[[Tensor], Tensor],
    w0: Tensor,
    *,
    lr: float | Tensor,
    steps: int,
) -> Tensor:
    """Iterates w_{k+1} = w_k − η ∇F(w_k) of plain gradient descent.

    Returns w_0, …, w_steps stacked, shape (steps + 1, *w0.shape). ``lr`` may be a tensor that
    broadcasts against ``w0`` (one step size per replicate, e.g. shape (R, 1) for w0 (R, d)).
    Divergence is data, not an error: inf and nan iterates are returned as they are.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if not bool((torch.as_tensor(lr) > 0).all()):
        raise ValueError(f"learning rate must be > 0, got {lr}")
    iterates = [w0]
    for _ in range(steps):
        iterates.append(iterates[-1] - lr * grad_fn(iterates[-1]))
    return torch.stack(iterates)
