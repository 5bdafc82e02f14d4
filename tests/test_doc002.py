"""Helpers of the notes-002 claims (theorems/claims/doc002_lecture12.py), against direct computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.optimizers import heavy_ball_unrolled_step
from theorems.catalogue.doc002_lecture12 import (
    ABOVE,
    AT,
    BELOW,
    CONVERGES,
    GROWS,
    classify_convergence,
    first_form,
    gradient_flops,
    second_form,
    two_step_trajectory,
    unrolled_steps,
)

SETTINGS = settings(deadline=None, max_examples=20, database=None)


@pytest.mark.parametrize("errors, floor, label", [
    ([1.0, 0.2], 1.0, CONVERGES),
    ([1.0, 0.9], None, AT),
    ([1.0, 0.9], 1.0, AT),
    ([1.0, 0.9], 3.0, BELOW),
    ([1.0, 0.9], 0.3, ABOVE),
    ([1.0, 2.5], 1.0, GROWS),
    ([1.0, math.nan], 1.0, GROWS),
    ([math.inf, math.inf], 1.0, GROWS),
])
def test_classify_convergence(errors, floor, label):
    assert classify_convergence(errors, floor) == label


@pytest.mark.parametrize("batch, p", [(1, 11), (10, 110), (1000, 1100)])
def test_gradient_flops_of_a_linear_model_are_four_batch_p(batch, p):
    # forward X @ w: 2n'p; backward to w: 2n'p (no gradient to the data)
    assert gradient_flops("least_squares", batch, p) == 4 * batch * p
    assert gradient_flops("logistic", batch, p) == 4 * batch * p


def test_gradient_flops_of_the_mlp_are_linear_in_batch_and_width():
    base = gradient_flops("mlp", 10, 110)
    assert gradient_flops("mlp", 20, 110) == 2 * base
    assert gradient_flops("mlp", 10, 220) == 2 * base


def _quadratic_grad(w):
    return torch.tensor([1.0, 0.1], dtype=torch.float64) * w


def test_two_step_trajectory_starts_at_rest_and_first_form_with_gamma_one_is_gradient_descent():
    w0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
    ws = two_step_trajectory(first_form(1.0, 0.5), _quadratic_grad, w0, steps=5)
    w = w0
    for t in range(6):
        torch.testing.assert_close(ws[t], w)
        w = w - 0.5 * _quadratic_grad(w)


@SETTINGS
@given(eta=st.floats(0.01, 1.0), steps=st.integers(1, 12))
def test_unrolled_steps_match_the_implementation_sum(eta, steps):
    ws = two_step_trajectory(second_form(eta), _quadratic_grad, torch.tensor([1.0, -2.0], dtype=torch.float64),
                             steps=steps)
    grads = _quadratic_grad(ws[:-1])
    ours = unrolled_steps({"eta": eta, "grads": grads}).reshape(steps, 2)
    for t in range(steps):
        expected = heavy_ball_unrolled_step(list(grads[: t + 1]), eta=eta)
        np.testing.assert_allclose(ours[t], expected.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours[t], (ws[t + 1] - ws[t]).numpy(), rtol=1e-10, atol=1e-14)


def test_batches_per_pass_are_counted_by_iterating_a_dataloader():
    from theorems.catalogue.doc002_lecture12 import sgd_batches_per_pass

    measured = sgd_batches_per_pass.measure({"n": 10**4, "n_prime": 250}, None).value
    np.testing.assert_array_equal(measured, [40, 250, 250, 1.0])
    assert sgd_batches_per_pass.representative == ({"n": 10**6, "n_prime": 1000},)


def test_without_replacement_variance_is_the_exact_variance_over_all_subsets():
    """(σ²/n')(n − n')/(n − 1) against the variance of the mean over every n'-subset of 6 values."""
    from itertools import combinations

    from theorems.catalogue.doc002_lecture12 import without_replacement_variance

    values = np.array([0.3, -1.2, 2.0, 0.7, -0.4, 1.1])
    sigma2 = values.var()
    for b in range(1, 7):
        means = [values[list(c)].mean() for c in combinations(range(6), b)]
        assert math.isclose(np.var(means), without_replacement_variance({"sigma2": sigma2, "B": b, "N": 6}),
                            rel_tol=1e-12, abs_tol=1e-15)


def test_heavy_ball_claims_are_judged_first_at_momentum_point_nine():
    """Issue 19: every 002-05 claim declares representative points at the usual momentum 0.9 (1 − γ, or 1 − η in the
    second line)."""
    from theorems.core.claim import REGISTRY

    claims = [c for c in REGISTRY if "002-05" in c.inventory_ids]
    assert claims
    for claim in claims:
        assert claim.representative, claim.id
        for point in claim.representative:
            assert 1 - point.get("gamma", point["eta"]) == pytest.approx(0.9), claim.id


def test_every_near_optimum_claim_reads_the_minibatch_both_ways():
    """Issue 19: every 002-04 claim samples minibatches from the n training examples, so each of its readings is
    taken with and without replacement (theorems.catalogue.kit.SAMPLING_READINGS), each other reading crossed with both."""
    from theorems.core.claim import REGISTRY

    claims = [c for c in REGISTRY if "002-04" in c.inventory_ids]
    assert len(claims) == 4
    for claim in claims:
        samplings = [r.params["sampling"] for r in claim.readings]
        assert sorted(samplings) == sorted(["iid", "subset"] * (len(samplings) // 2)), claim.id
        others = {tuple(sorted((k, v) for k, v in r.params.items() if k != "sampling")) for r in claim.readings}
        assert len(claim.readings) == 2 * len(others), claim.id
