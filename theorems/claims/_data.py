"""Generated finite-sum problems shared by the claims, built from a point's parameters."""

from __future__ import annotations

import torch

from implementations.problems import FiniteSumProblem, make_least_squares, make_logistic_regression
from theorems.claim import Params

PROBLEMS = ("least_squares", "logistic")


def finite_sum_problem(p: Params, device: torch.device) -> FiniteSumProblem:
    """Least squares (condition number 10) or ℓ2-regularized logistic regression, in float64,
    with ``p["N"]`` examples of dimension ``p["d"]``, generated from ``p["data_seed"]``."""
    if p["problem"] == "least_squares":
        return make_least_squares(p["N"], p["d"], condition=10.0, seed=p["data_seed"], device=device)
    if p["problem"] == "logistic":
        return make_logistic_regression(p["N"], p["d"], seed=p["data_seed"], device=device)
    raise ValueError(f"unknown problem {p['problem']!r}; choose one of {PROBLEMS}")


def evaluation_point(problem: FiniteSumProblem, seed: int) -> torch.Tensor:
    """A point w away from the minimizer (w* plus a seeded N(0, 1) step), where gradients differ."""
    generator = torch.Generator(device=problem.X.device).manual_seed(seed)
    step = torch.randn(problem.d, generator=generator, device=problem.X.device, dtype=problem.X.dtype)
    return problem.minimizer + step


def unit_direction(d: int, seed: int, device: torch.device) -> torch.Tensor:
    """A seeded uniformly random unit vector: the direction along which gradients are compared."""
    generator = torch.Generator(device=device).manual_seed(seed + 1)
    u = torch.randn(d, generator=generator, device=device, dtype=torch.float64)
    return u / u.norm()
