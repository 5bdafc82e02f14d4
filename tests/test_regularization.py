"""Ridge and lasso (implementations/regularization.py) against independent oracles: the ridge
solution against least squares on the augmented system, the lasso against its KKT conditions
and against a generic bound-constrained solver (scipy's L-BFGS-B on w = u − v, u, v ≥ 0)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from implementations.regularization import (
    lasso_kkt_violation,
    lasso_lambda_max,
    lasso_solution,
    ridge_solution,
    soft_threshold,
)

SETTINGS = settings(deadline=None, max_examples=25, database=None)


def _problem(n, d, seed):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=generator, dtype=torch.float64)
    w = torch.zeros(d, dtype=torch.float64)
    w[: max(1, d // 4)] = torch.randn(max(1, d // 4), generator=generator, dtype=torch.float64) * 2
    return X, X @ w + 0.5 * torch.randn(n, generator=generator, dtype=torch.float64)


@SETTINGS
@given(n=st.integers(1, 40), d=st.integers(1, 30), lam=st.floats(1e-3, 1e3), seed=st.integers(0, 1000))
def test_ridge_solution_solves_the_augmented_least_squares_problem(n, d, lam, seed):
    X, y = _problem(n, d, seed)
    augmented = torch.cat([X, lam**0.5 * torch.eye(d, dtype=torch.float64)])
    target = torch.cat([y, torch.zeros(d, dtype=torch.float64)])
    expected = torch.linalg.lstsq(augmented, target.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
    torch.testing.assert_close(ridge_solution(X, y, lam=lam), expected, rtol=1e-8, atol=1e-10)


def test_soft_threshold_gives_exact_zeros_inside_the_threshold():
    v = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(soft_threshold(v, 1.0), torch.tensor([-2.0, 0, 0, 0, 0, 0, 2.0], dtype=torch.float64),
                               rtol=0, atol=0)


def _objective(X, y, w, lam):
    return float((X @ w - y).square().sum() + lam * w.abs().sum())


@SETTINGS
@given(n=st.integers(2, 40), d=st.integers(1, 30), fraction=st.floats(0.01, 0.99), seed=st.integers(0, 1000))
def test_lasso_solution_satisfies_kkt_and_beats_a_generic_solver(n, d, fraction, seed):
    X, y = _problem(n, d, seed)
    lam = fraction * lasso_lambda_max(X, y)
    result = lasso_solution(X, y, lam=lam)
    assert result.kkt_violation <= 1e-9
    assert lasso_kkt_violation(X, y, result.w, lam=lam) <= 1e-9
    Xn, yn = X.numpy(), y.numpy()

    def split(z):  # w = u − v, u, v ≥ 0: a smooth objective with bounds
        w = z[:d] - z[d:]
        residual = Xn @ w - yn
        gradient_w = 2 * Xn.T @ residual
        return residual @ residual + lam * z.sum(), np.concatenate([gradient_w + lam, -gradient_w + lam])

    generic = minimize(split, np.zeros(2 * d), jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * d),
                       options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    ours = _objective(X, y, result.w, lam)
    assert ours <= generic.fun + 1e-9 * max(1.0, abs(generic.fun))


@pytest.mark.parametrize("fraction", [1.0, 1.5])
def test_lasso_is_zero_from_lambda_max_on(fraction):
    X, y = _problem(20, 8, seed=3)
    result = lasso_solution(X, y, lam=fraction * lasso_lambda_max(X, y))
    assert bool((result.w == 0).all())


def test_invalid_arguments_name_the_bad_value():
    X, y = _problem(5, 3, seed=0)
    with pytest.raises(ValueError, match="got -1"):
        ridge_solution(X, y, lam=-1)
    with pytest.raises(ValueError, match=r"\(5, 3\) and \(4,\)"):
        lasso_solution(X, y[:4], lam=1.0)
